//! Query results as a plain table of values, independent of the database that produced them.

use serde::Serialize;

/// One cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// An unsigned 64-bit value above `i64::MAX` (smaller ones are [`Value::Int`]), carried
    /// exactly: prefix keys of IPv6 `src_ipnum`, `UBIGINT` columns in `ipscope sql`.
    UInt(u64),
    Float(f64),
    Text(String),
    /// UTC microseconds since the epoch.
    #[serde(serialize_with = "ser_ts")]
    Timestamp(i64),
    /// Days since the epoch.
    #[serde(serialize_with = "ser_date")]
    Date(i32),
}

fn ser_ts<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_timestamp(*v))
}

fn ser_date<S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*v))
}

/// `2026-11-22 17:06:05` (UTC; fractional seconds only when present).
pub fn format_timestamp(micros: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(t) if micros % 1_000_000 == 0 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        None => micros.to_string(),
    }
}

/// `2026-11-22`.
pub fn format_date(days: i32) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163))
        .map_or_else(|| days.to_string(), |d| d.to_string())
}

impl Value {
    /// Plain text rendering used by every output format (NULL renders empty).
    pub fn render(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Text(s) => s.clone(),
            Value::Timestamp(t) => format_timestamp(*t),
            Value::Date(d) => format_date(*d),
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Value::Int(_) | Value::UInt(_) | Value::Float(_))
    }

    /// An integer value as `u64` (exact), for unsigned columns such as prefix keys.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::UInt(u) => Some(*u),
            _ => None,
        }
    }
}

/// Floats with up to 4 significant decimals, no trailing zeros: `0.05`, `12.5`, `3`.
pub fn format_float(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    let s = format!("{f:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_owned() } else { s.to_owned() }
}

/// A query result: named columns and rows of values.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(columns: Vec<String>) -> Self {
        Table { columns, rows: Vec::new() }
    }

    /// Index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Removes a column by name (no-op when absent).
    pub fn drop_column(&mut self, name: &str) {
        if let Some(i) = self.column(name) {
            self.columns.remove(i);
            for r in &mut self.rows {
                if i < r.len() {
                    r.remove(i);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values() {
        assert_eq!(Value::Float(0.05).render(), "0.05");
        assert_eq!(Value::Float(3.0).render(), "3");
        assert_eq!(Value::Float(-0.00001).render(), "0");
        assert_eq!(Value::Timestamp(0).render(), "1970-01-01 00:00:00");
        assert_eq!(Value::Timestamp(1_500_000).render(), "1970-01-01 00:00:01.500000");
        assert_eq!(Value::Date(20_000).render(), "2024-10-04");
        assert_eq!(Value::Null.render(), "");
        // Above i64::MAX, exact (an f64 would round the low bits away).
        assert_eq!(Value::UInt(u64::MAX - 1).render(), "18446744073709551614");
        assert_eq!(Value::UInt(u64::MAX - 1).as_u64(), Some(u64::MAX - 1));
        assert_eq!(serde_json::to_string(&Value::UInt(u64::MAX)).unwrap_or_default(), "18446744073709551615");
    }
}
