//! The small SQL differences between the engines a report can run on.
//!
//! Reports build their SQL with these helpers so the same report text renders for DuckDB
//! (embedded) and ClickHouse (scale-out). Only what the reports use is here.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    DuckDb,
    ClickHouse,
}

impl From<ipscope_store::Engine> for Dialect {
    fn from(e: ipscope_store::Engine) -> Dialect {
        match e {
            ipscope_store::Engine::DuckDb => Dialect::DuckDb,
            ipscope_store::Engine::ClickHouse => Dialect::ClickHouse,
        }
    }
}

impl Dialect {
    /// Exact count of distinct non-null values.
    pub fn count_distinct(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("count(DISTINCT {expr})"),
            Dialect::ClickHouse => format!("uniqExact({expr})"),
        }
    }

    /// Rows matching `cond`.
    /// A sum of counts, typed as `count(*)` is (DuckDB sums BIGINTs into a HUGEINT).
    pub fn sum_as_count(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST(sum({expr}) AS BIGINT)"),
            Dialect::ClickHouse => format!("toUInt64(sum({expr}))"),
        }
    }

    pub fn count_if(self, cond: &str) -> String {
        match self {
            Dialect::DuckDb => format!("count(*) FILTER (WHERE {cond})"),
            Dialect::ClickHouse => format!("countIf({cond})"),
        }
    }

    /// Smallest value of `expr` over rows matching `cond` (NULL when none does).
    pub fn min_if(self, expr: &str, cond: &str) -> String {
        match self {
            Dialect::DuckDb => format!("min({expr}) FILTER (WHERE {cond})"),
            Dialect::ClickHouse => format!("minIf({expr}, {cond})"),
        }
    }

    /// Distinct values of `expr` over rows matching `cond`, sorted, comma-separated.
    pub fn list_distinct_if(self, expr: &str, cond: &str) -> String {
        match self {
            Dialect::DuckDb => {
                format!("array_to_string(list_sort(list_distinct(list({expr}) FILTER (WHERE {cond}))), ',')")
            }
            Dialect::ClickHouse => format!("arrayStringConcat(arraySort(groupUniqArrayIf({expr}, {cond})), ',')"),
        }
    }

    /// The UTC calendar day of a timestamp.
    pub fn day(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({ts} AS DATE)"),
            Dialect::ClickHouse => format!("toDate(toDateTime(toInt64({ts}), 'UTC'))"),
        }
    }

    /// English weekday name of a date (as `day` gives it).
    pub fn weekday(self, date: &str) -> String {
        match self {
            Dialect::DuckDb => format!("dayname({date})"),
            // 18.16 has no `dateName`; `toDayOfWeek` is 1 = Monday … 7 = Sunday.
            Dialect::ClickHouse => format!(
                "arrayElement(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'], \
                 toDayOfWeek({date}))"
            ),
        }
    }

    /// A boolean literal: `TRUE`/`FALSE`; `1`/`0` in ClickHouse (18.16 has no `TRUE`:
    /// `Code: 47 ... Unknown identifier: TRUE`).
    pub fn bool(self, b: bool) -> &'static str {
        match (self, b) {
            (Dialect::DuckDb, true) => "TRUE",
            (Dialect::DuckDb, false) => "FALSE",
            (Dialect::ClickHouse, true) => "1",
            (Dialect::ClickHouse, false) => "0",
        }
    }

    /// `expr` shifted right by `bits` (ClickHouse 18.16 has no `>>`).
    pub fn shift_right(self, expr: &str, bits: u32) -> String {
        match self {
            Dialect::DuckDb => format!("({expr} >> {bits})"),
            Dialect::ClickHouse => format!("bitShiftRight({expr}, {bits})"),
        }
    }

    /// A value as text (an enum column's name).
    pub fn text(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({expr} AS VARCHAR)"),
            Dialect::ClickHouse => format!("toString({expr})"),
        }
    }

    /// The `GROUP BY` / `ORDER BY` list of the leading output columns named `keys`: positions
    /// (`1, 2`) in DuckDB; the names in ClickHouse, where `GROUP BY 1` groups by the constant 1
    /// (18.16 has no positional arguments; `ORDER BY 1` would silently not sort).
    pub fn keys(self, keys: &[&str]) -> String {
        match self {
            Dialect::DuckDb => (1..=keys.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
            Dialect::ClickHouse => keys.join(", "),
        }
    }

    /// A timestamp truncated to the start of its minute, hour or day.
    pub fn truncate(self, bucket: crate::Bucket, ts: &str) -> String {
        match (self, bucket) {
            (Dialect::DuckDb, crate::Bucket::Minute) => format!("date_trunc('minute', {ts})"),
            (Dialect::ClickHouse, crate::Bucket::Minute) => {
                ch_timestamp(&format!("toStartOfMinute({})", ch_seconds(ts)))
            }
            (Dialect::DuckDb, crate::Bucket::Hour) => format!("date_trunc('hour', {ts})"),
            (Dialect::DuckDb, crate::Bucket::Day) => format!("date_trunc('day', {ts})"),
            (Dialect::ClickHouse, crate::Bucket::Hour) => ch_timestamp(&format!("toStartOfHour({})", ch_seconds(ts))),
            (Dialect::ClickHouse, crate::Bucket::Day) => ch_timestamp(&format!("toStartOfDay({})", ch_seconds(ts))),
        }
    }

    /// Hour of day (0–23) of a timestamp.
    pub fn hour(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("hour({ts})"),
            Dialect::ClickHouse => format!("toHour({})", ch_seconds(ts)),
        }
    }

    /// ISO weekday of a timestamp: 1 = Monday … 7 = Sunday.
    pub fn iso_weekday(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("isodow({ts})"),
            Dialect::ClickHouse => format!("toDayOfWeek({})", ch_seconds(ts)),
        }
    }

    /// Seconds between two timestamps, as a float.
    pub fn seconds_between(self, from: &str, to: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(epoch_us({to}) - epoch_us({from})) / 1e6"),
            Dialect::ClickHouse => format!("toFloat64({to} - {from})"),
        }
    }

    /// A timestamp literal from UTC microseconds.
    ///
    /// ClickHouse: a timestamp is a `Decimal64(6)` of seconds since the epoch (18.16 has no
    /// `DateTime64`; the cluster's `events` view exposes `ts` so, exact to the microsecond, and
    /// the cluster's reader turns `Decimal(18, 6)` results back into timestamps).
    pub fn timestamp(self, micros: i64) -> String {
        match self {
            Dialect::DuckDb => format!("make_timestamp({micros})"),
            Dialect::ClickHouse => {
                let sign = if micros < 0 { "-" } else { "" };
                let abs = micros.unsigned_abs();
                format!("toDecimal64('{sign}{}.{:06}', 6)", abs / 1_000_000, abs % 1_000_000)
            }
        }
    }

    /// `ts` moved by `secs` seconds (an integer expression): local wall-clock times for `--tz`.
    pub fn add_seconds(self, ts: &str, secs: &str) -> String {
        match self {
            Dialect::DuckDb => format!("({ts} + to_seconds({secs}))"),
            Dialect::ClickHouse => format!("({ts} + toDecimal64({secs}, 6))"),
        }
    }

    /// A timestamp truncated to the start of its second.
    pub fn second(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("date_trunc('second', {ts})"),
            Dialect::ClickHouse => format!("toDecimal64(toInt64({ts}), 6)"),
        }
    }

    /// A timestamp truncated to the start of its quarter hour (every UTC offset in use is a
    /// multiple of 15 minutes).
    pub fn quarter_hour(self, ts: &str) -> String {
        match self {
            Dialect::DuckDb => format!("time_bucket(INTERVAL 15 MINUTE, {ts})"),
            Dialect::ClickHouse => ch_timestamp(&format!("toStartOfFifteenMinutes({})", ch_seconds(ts))),
        }
    }

    /// A string literal.
    pub fn string(self, s: &str) -> String {
        match self {
            Dialect::DuckDb => format!("'{}'", s.replace('\'', "''")),
            Dialect::ClickHouse => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// Whether the row's source address is IPv6 (the store's `src_family` column; the same
    /// in both engines).
    /// Any value of `expr` in the group (for columns that are functions of the grouping key).
    pub fn any_value(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("any_value({expr})"),
            Dialect::ClickHouse => format!("any({expr})"),
        }
    }

    pub fn src_is_v6(self) -> String {
        "src_family = 6".to_owned()
    }
}

/// A ClickHouse timestamp (`Decimal64(6)` seconds, see [`Dialect::timestamp`]) as a
/// `DateTime('UTC')` of its whole second (times are never before 1970 there: `toInt64`
/// truncates toward zero, which is the floor).
fn ch_seconds(ts: &str) -> String {
    format!("toDateTime(toInt64({ts}), 'UTC')")
}

/// A ClickHouse `DateTime` as a timestamp (`Decimal64(6)` seconds).
fn ch_timestamp(datetime: &str) -> String {
    format!("toDecimal64(toUInt32({datetime}), 6)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_strings() {
        assert_eq!(Dialect::DuckDb.string("o'brien"), "'o''brien'");
        assert_eq!(Dialect::ClickHouse.string("o'b\\"), "'o\\'b\\\\'");
    }

    #[test]
    fn clickhouse_timestamps_are_decimal_seconds() {
        assert_eq!(Dialect::ClickHouse.timestamp(1_704_201_255_000_042), "toDecimal64('1704201255.000042', 6)");
        assert_eq!(Dialect::ClickHouse.timestamp(-1), "toDecimal64('-0.000001', 6)");
        assert_eq!(Dialect::DuckDb.keys(&["a", "b"]), "1, 2");
        assert_eq!(Dialect::ClickHouse.keys(&["a", "b"]), "a, b");
    }
}
