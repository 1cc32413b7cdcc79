//! Reading: [`Query`] for the cluster. SQL runs on shard 1 (the ledger node, where the `events`
//! view is) in the cluster's database, and comes back as `TabSeparatedWithNamesAndTypes`, turned
//! into the [`Table`] the embedded store would give for the same query.
//!
//! Values by ClickHouse type (`Nullable(...)`/`LowCardinality(...)` unwrapped, `\N` is NULL):
//! integers → [`Value::Int`] (a `UInt64` above `i64::MAX` → [`Value::UInt`], as DuckDB's
//! `UBIGINT`), floats → [`Value::Float`], `Date` → [`Value::Date`], `DateTime` → a whole-second
//! [`Value::Timestamp`], **`Decimal(P, 6)` → [`Value::Timestamp`]** (the backend's timestamp: the
//! `events` view's `ts` is a `Decimal64(6)` of seconds, exact to the microsecond, because 18.16
//! has no `DateTime64`; `min(ts)` keeps that type, so a report's time columns need no marking),
//! other decimals → floats, everything else (strings, enums, arrays as text) → [`Value::Text`].
//!
//! Reads run with `join_use_nulls=1`: a LEFT JOIN's missing right side is NULL, as in DuckDB
//! (18.16's default gives the type's default value, `''` or 0).
//!
//! Text rather than `JSONCompact`: JSON prints `Decimal(18, 6)` as a bare number, which a JSON
//! parser reads as an `f64` and rounds (16–17 significant digits); text is parsed exactly.

use ipscope_store::{Engine, Query, StoreError, Table, Value};

use crate::cluster::Cluster;
use crate::{Error, Result};

/// The output format of reads.
const FORMAT: &str = "TabSeparatedWithNamesAndTypes";

impl Cluster {
    /// Runs a read on the ledger node (`readonly=1`: the server refuses any write) and collects
    /// the whole result. Errors name the shard: the one that refused the query, or the one a
    /// distributed query could not reach ([`Error::ShardDown`]) — never a partial answer
    /// (`skip_unavailable_shards` stays 0).
    pub fn read(&self, sql: &str) -> Result<Table> {
        let sql = sql.trim().trim_end_matches(';');
        let body = self.read_text(&format!("{sql}\nFORMAT {FORMAT}"))?;
        parse_tsv(&body).map_err(|message| Error::Protocol { url: self.reader_url().to_owned(), message })
    }

    fn read_text(&self, sql: &str) -> Result<String> {
        let db = self.url().database.clone();
        let settings = [("database", db.as_str()), ("readonly", "1"), ("join_use_nulls", "1")];
        let via = self.reader();
        let body = via.node.run(sql, &settings).map_err(|e| match self.classify(via, e) {
            Error::Server { url, message, .. } => Error::Query { shard: via.num, url, message },
            e => e,
        })?;
        String::from_utf8(body).map_err(|e| Error::Protocol { url: via.http().to_owned(), message: e.to_string() })
    }
}

impl Query for Cluster {
    fn engine(&self) -> Engine {
        Engine::ClickHouse
    }

    fn query(&self, sql: &str) -> ipscope_store::Result<Table> {
        self.read(sql).map_err(|e| StoreError::Backend(Box::new(e)))
    }

    /// A user's SQL: one read-only statement (`SELECT`, `WITH`, `SHOW`, `DESCRIBE`, `EXISTS`),
    /// also sent with `readonly=1`, so the server refuses writes and settings changes too.
    fn query_user(&self, sql: &str) -> ipscope_store::Result<Table> {
        let first = sql.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
        let allowed = ["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS"];
        if !allowed.iter().any(|k| k.eq_ignore_ascii_case(first)) {
            return Err(StoreError::NotReadOnly);
        }
        self.query(sql)
    }

    fn query_arrow(&self, _sql: &str) -> ipscope_store::Result<Vec<duckdb::arrow::record_batch::RecordBatch>> {
        Err(StoreError::Backend("Arrow results (export) are not supported on the ClickHouse cluster yet".into()))
    }
}

/// `TabSeparatedWithNamesAndTypes` → a table (see the module's doc).
fn parse_tsv(body: &str) -> Result<Table, String> {
    let mut lines = body.split('\n');
    let names: Vec<String> = match lines.next() {
        Some(l) if !l.is_empty() => l.split('\t').map(unescape).collect(),
        _ => return Err("no header line in the answer".to_owned()),
    };
    let types: Vec<String> = lines.next().unwrap_or("").split('\t').map(unescape).collect();
    if types.len() != names.len() {
        return Err(format!("{} column names but {} types", names.len(), types.len()));
    }
    let mut table = Table::new(names);
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != types.len() {
            return Err(format!("a row of {} fields for {} columns: {line:?}", fields.len(), types.len()));
        }
        let row = fields.iter().zip(&types).map(|(f, t)| value(t, f)).collect::<Result<Vec<_>, _>>()?;
        table.rows.push(row);
    }
    Ok(table)
}

/// The type inside `Wrapper(...)`, if `ty` is one.
fn inner<'a>(ty: &'a str, wrapper: &str) -> Option<&'a str> {
    ty.strip_prefix(wrapper)?.strip_prefix('(')?.strip_suffix(')')
}

/// One field of type `ty` (see the module's doc).
fn value(ty: &str, field: &str) -> Result<Value, String> {
    if let Some(t) = inner(ty, "Nullable").or_else(|| inner(ty, "LowCardinality")) {
        return value(t, field);
    }
    if field == "\\N" {
        return Ok(Value::Null);
    }
    let bad = || format!("cannot read {field:?} as {ty}");
    let v = match ty {
        "UInt8" | "UInt16" | "UInt32" | "UInt64" => {
            let n: u64 = field.parse().map_err(|_| bad())?;
            i64::try_from(n).map_or(Value::UInt(n), Value::Int)
        }
        "Int8" | "Int16" | "Int32" | "Int64" => Value::Int(field.parse().map_err(|_| bad())?),
        "Float32" | "Float64" => Value::Float(field.parse().map_err(|_| bad())?),
        "Date" => Value::Date(date_days(field).ok_or_else(bad)?),
        t if t == "DateTime" || t.starts_with("DateTime(") => {
            let (date, time) = field.split_once(' ').ok_or_else(bad)?;
            let days = i64::from(date_days(date).ok_or_else(bad)?);
            let hms: Vec<i64> = time.split(':').map(str::parse).collect::<Result<_, _>>().map_err(|_| bad())?;
            let [h, m, s] = hms[..] else { return Err(bad()) };
            Value::Timestamp(((days * 86_400) + h * 3600 + m * 60 + s) * 1_000_000)
        }
        t if t.starts_with("Decimal(") && t.ends_with(", 6)") => {
            Value::Timestamp(decimal_micros(field).ok_or_else(bad)?)
        }
        t if t.starts_with("Decimal") => Value::Float(field.parse().map_err(|_| bad())?),
        _ => Value::Text(unescape(field)),
    };
    Ok(v)
}

/// `-?SECS.UUUUUU` (a `Decimal(P, 6)`) → microseconds, exactly.
fn decimal_micros(field: &str) -> Option<i64> {
    let (neg, digits) = field.strip_prefix('-').map_or((false, field), |d| (true, d));
    let (secs, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    let micros = secs.parse::<i64>().ok()?.checked_mul(1_000_000)?.checked_add(frac)?;
    Some(if neg { -micros } else { micros })
}

/// `YYYY-MM-DD` → days since 1970-01-01 (proleptic Gregorian).
fn date_days(s: &str) -> Option<i32> {
    let mut it = s.split('-');
    let (y, m, d): (i64, i64, i64) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    if it.next().is_some() {
        return None;
    }
    if (y, m, d) == (0, 0, 0) {
        // 18.16 prints the zero date as 0000-00-00.
        return Some(0);
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// A TabSeparated field's escapes undone (`\t`, `\n`, `\\`, `\'`, ...).
fn unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_type() {
        assert_eq!(value("Decimal(18, 6)", "1704201255.000042"), Ok(Value::Timestamp(1_704_201_255_000_042)));
        assert_eq!(value("Decimal(18, 6)", "-0.5"), Ok(Value::Timestamp(-500_000)));
        assert_eq!(value("Nullable(Decimal(18, 6))", "\\N"), Ok(Value::Null));
        assert_eq!(value("Date", "1970-01-02"), Ok(Value::Date(1)));
        assert_eq!(value("Date", "2024-01-02"), Ok(Value::Date(19_724)));
        assert_eq!(value("DateTime('UTC')", "1970-01-01 00:01:02"), Ok(Value::Timestamp(62_000_000)));
        assert_eq!(value("UInt64", "18446744073709551615"), Ok(Value::UInt(u64::MAX)));
        assert_eq!(value("UInt64", "7"), Ok(Value::Int(7)));
        assert_eq!(value("Int32", "-7"), Ok(Value::Int(-7)));
        assert_eq!(value("Float64", "2.5"), Ok(Value::Float(2.5)));
        assert_eq!(value("String", "a\\tb\\\\N"), Ok(Value::Text("a\tb\\N".into())));
        assert_eq!(value("Nullable(String)", "\\N"), Ok(Value::Null));
        assert!(value("Int64", "x").is_err());
    }

    #[test]
    fn tables() {
        let mut want = Table::new(vec!["a".into(), "b".into()]);
        want.rows = vec![vec![Value::Text("x".into()), Value::Int(1)], vec![Value::Text("y".into()), Value::Int(2)]];
        assert_eq!(parse_tsv("a\tb\nString\tUInt8\nx\t1\ny\t2\n"), Ok(want));
        assert!(parse_tsv("").is_err());
        assert_eq!(parse_tsv("a\nString\n").map(|t| t.rows.len()), Ok(0));
        assert!(parse_tsv("a\tb\nString\n").is_err());
    }
}
