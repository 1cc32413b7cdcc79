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
            // Over a Nullable column with no value in the group 18.16 gives NULL, not 0.
            Dialect::ClickHouse => format!("ifNull(uniqExact({expr}), 0)"),
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
            // A NULL condition (`outcome = 'success'` on a NULL outcome) counts as false.
            Dialect::ClickHouse => format!("countIf(ifNull({cond}, 0))"),
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
            // The one nullable enum: its NULL rows hold 0 underneath, which 18.16's `toString`
            // refuses for the whole column (`Code: 49 ... Unexpected value 0 for type Enum8`),
            // so it is cast first to the same enum with a name for 0 (the cluster's `Enum8`
            // values are 1..n in the Rust enum's order).
            Dialect::ClickHouse if expr == "outcome" => {
                let values: Vec<String> = ipscope_event::Outcome::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, o)| format!("'{}' = {}", o.as_str(), i + 1))
                    .collect();
                format!("toString(CAST(outcome AS Nullable(Enum8('' = 0, {}))))", values.join(", "))
            }
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

    /// Whether the store keeps the hourly rollups (see [`crate::rows`]; the cluster has none).
    pub fn has_rollups(self) -> bool {
        self == Dialect::DuckDb
    }

    /// Smallest value of `expr` over rows matching `cond`, NULL when none does (ClickHouse's
    /// `minIf` gives the type's default then).
    pub fn min_if_or_null(self, expr: &str, cond: &str) -> String {
        match self {
            Dialect::DuckDb => self.min_if(expr, cond),
            Dialect::ClickHouse => {
                format!("if(countIf(ifNull({cond}, 0)) > 0, minIf({expr}, ifNull({cond}, 0)), NULL)")
            }
        }
    }

    /// The relation of the addresses' enrichment, one row per address: `addresses` in DuckDB;
    /// the cluster's `addresses_latest` view (its `addresses` is a `ReplacingMergeTree`, where
    /// an address has two rows until a merge).
    pub fn addresses(self) -> &'static str {
        match self {
            Dialect::DuckDb => "addresses",
            Dialect::ClickHouse => "(SELECT * FROM addresses_latest)",
        }
    }

    /// The one-row relation `lo, hi` of the first and last event's time that the store keeps
    /// without a scan, if it has one (DuckDB's `events_span`; the cluster has none).
    pub fn events_span(self) -> Option<&'static str> {
        match self {
            Dialect::DuckDb => Some("events_span"),
            Dialect::ClickHouse => None,
        }
    }

    /// SQL true when `subquery` returns a row (18.16 has no `EXISTS`).
    pub fn exists(self, subquery: &str) -> String {
        match self {
            Dialect::DuckDb => format!("EXISTS ({subquery})"),
            Dialect::ClickHouse => format!("((SELECT count() FROM ({subquery} LIMIT 1)) > 0)"),
        }
    }

    /// Whether a boolean result cell is true (DuckDB gives `Bool`, ClickHouse a `UInt8`).
    pub fn is_true(self, v: &ipscope_store::Value) -> bool {
        matches!(v, ipscope_store::Value::Bool(true) | ipscope_store::Value::Int(1))
    }

    /// The rows of `select` (whose output has the columns `partition` and the ORDER BY's), the
    /// first `n` of each `partition` value in `order`, then sorted by `partition, order`
    /// (ClickHouse 18.16 has no window functions: `LIMIT n BY`).
    pub fn top_per(self, select: &str, cols: &str, partition: &str, order: &str, n: usize) -> String {
        match self {
            Dialect::DuckDb => format!(
                "SELECT {cols} FROM (\
                   SELECT {cols}, row_number() OVER (PARTITION BY {partition} ORDER BY {order}) AS rank \
                   FROM ({select})\
                 ) WHERE rank <= {n} ORDER BY {partition}, {order}"
            ),
            Dialect::ClickHouse => {
                format!("SELECT {cols} FROM ({select}) ORDER BY {partition}, {order} LIMIT {n} BY {partition}")
            }
        }
    }

    /// `ts` minus `secs` seconds, for a scalar timestamp expression (a subquery).
    pub fn minus_days(self, ts: &str, days: u32) -> String {
        match self {
            Dialect::DuckDb => format!("{ts} - INTERVAL {days} DAY"),
            Dialect::ClickHouse => format!("{ts} - toDecimal64({}, 6)", u64::from(days) * 86_400),
        }
    }

    /// The timestamp `expr` of the one row of `from`, as a scalar subquery; NULL, or with
    /// `or_earliest` a time before every other, when there is no row or it is NULL.
    ///
    /// 18.16 cannot turn a `Decimal` scalar subquery into a constant (`Code: 53 ... Type mismatch
    /// in IN or VALUES section. Expected: Decimal(18, 6). Got: Decimal64`): its text comes back
    /// and is parsed (a NULL one as some text, `toDecimal64` evaluating every row's).
    pub fn scalar_ts(self, expr: &str, from: &str, or_earliest: bool) -> String {
        match self {
            Dialect::DuckDb if or_earliest => format!("coalesce((SELECT {expr} FROM {from}), TIMESTAMP '-infinity')"),
            Dialect::DuckDb => format!("(SELECT {expr} FROM {from})"),
            Dialect::ClickHouse => {
                let text = format!("(SELECT toString({expr}) FROM {from})");
                if or_earliest {
                    // Decimal64(6) holds 18 digits: 999999999999.999999 s either side of the epoch.
                    format!("toDecimal64(ifNull({text}, '-999999999999'), 6)")
                } else {
                    format!("if(isNull({text}), NULL, toDecimal64(ifNull({text}, '0'), 6))")
                }
            }
        }
    }

    /// Named subqueries for a query: `WITH name AS (...)` in DuckDB; inlined where they are
    /// used in ClickHouse (18.16 has no `WITH name AS (SELECT ...)`).
    pub fn ctes(self) -> Ctes {
        Ctes { d: self, defs: Vec::new() }
    }
}

/// The named subqueries of one query (see [`Dialect::ctes`]).
pub struct Ctes {
    d: Dialect,
    defs: Vec<(String, String)>,
}

impl Ctes {
    /// Names `sql` and returns the relation to write where it is read (`FROM`, `JOIN`, an `IN`
    /// subquery's `FROM`): the name in DuckDB, `(sql) AS name` in ClickHouse. `sql` may read
    /// the relations defined before it.
    pub fn define(&mut self, name: &str, sql: String) -> String {
        let rel = match self.d {
            Dialect::DuckDb => name.to_owned(),
            Dialect::ClickHouse => format!("({sql}) AS {name}"),
        };
        self.defs.push((name.to_owned(), sql));
        rel
    }

    /// The query `body` with its named subqueries.
    pub fn query(&self, body: &str) -> String {
        match self.d {
            Dialect::DuckDb if !self.defs.is_empty() => {
                let defs: Vec<String> = self.defs.iter().map(|(n, s)| format!("{n} AS ({s})")).collect();
                format!("WITH {} {body}", defs.join(", "))
            }
            _ => body.to_owned(),
        }
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

    #[test]
    fn named_subqueries_are_a_with_in_duckdb_and_inlined_in_clickhouse() {
        for d in [Dialect::DuckDb, Dialect::ClickHouse] {
            let mut w = d.ctes();
            let t = w.define("t", "SELECT 1 AS a".to_owned());
            let u = w.define("u", format!("SELECT a FROM {t}"));
            let q = w.query(&format!("SELECT * FROM {t} JOIN {u} ON t.a = u.a WHERE a IN (SELECT a FROM {u})"));
            let want = match d {
                Dialect::DuckDb => {
                    "WITH t AS (SELECT 1 AS a), u AS (SELECT a FROM t) SELECT * FROM t JOIN u ON t.a = u.a \
                     WHERE a IN (SELECT a FROM u)"
                }
                Dialect::ClickHouse => {
                    "SELECT * FROM (SELECT 1 AS a) AS t JOIN (SELECT a FROM (SELECT 1 AS a) AS t) AS u ON t.a = u.a \
                     WHERE a IN (SELECT a FROM (SELECT a FROM (SELECT 1 AS a) AS t) AS u)"
                }
            };
            assert_eq!(q, want);
        }
        assert_eq!(Dialect::DuckDb.ctes().query("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn clickhouse_renderings_of_duckdb_only_syntax() {
        let ch = Dialect::ClickHouse;
        assert_eq!(
            ch.top_per("SELECT d, p FROM x", "d, p", "d", "p DESC", 3),
            "SELECT d, p FROM (SELECT d, p FROM x) ORDER BY d, p DESC LIMIT 3 BY d"
        );
        assert!(
            Dialect::DuckDb
                .top_per("S", "d", "d", "n DESC", 3)
                .contains("row_number() OVER (PARTITION BY d ORDER BY n DESC)")
        );
        assert_eq!(ch.exists("SELECT 1"), "((SELECT count() FROM (SELECT 1 LIMIT 1)) > 0)");
        assert!(
            ch.scalar_ts("hi", "(s)", true)
                .starts_with("toDecimal64(ifNull((SELECT toString(hi) FROM (s)), '-999999999999'), 6)")
        );
        assert_eq!(Dialect::DuckDb.scalar_ts("hi", "(s)", false), "(SELECT hi FROM (s))");
        assert_eq!(
            ch.text("outcome"),
            "toString(CAST(outcome AS Nullable(Enum8('' = 0, 'success' = 1, 'failure' = 2))))"
        );
        assert_eq!(ch.count_if("k = 1"), "countIf(ifNull(k = 1, 0))");
        assert!(!ch.has_rollups() && Dialect::DuckDb.has_rollups());
        assert_eq!(ch.events_span(), None);
    }
}
