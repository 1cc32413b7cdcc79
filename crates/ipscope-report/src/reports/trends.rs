//! `trends`: where are problems rising? Per dimension (`--by asn|country|taxonomy|port|prefix|
//! source|user|ip`, default asn) the daily event counts over a window of `--days` days (default
//! 14, local days with `--tz`), their least-squares slope, the last day against the window's
//! median, and a flag; ranked by slope, steepest rise first.
//!
//! The window ends with the day before `--until`, or else with the day of the newest event the
//! filters let through (so a store of old logs has trends too); `--since` cuts it shorter.
//! Days without events count as 0.
//!
//! Per key, with the counts `y[0..n]` of the window's `n` days:
//! - `slope`: the least-squares slope of `y` over the day index, in events/day per day;
//!   `slope_pct`: that slope in % of the key's mean events per day;
//! - `last_vs_median_pct`: (last day − median day) / median, in % (empty when the median is 0);
//! - `flag`, the first rule that holds, with `r` = max(1, n / 4) *recent* days:
//!   `new` — no events before the last `r` days; `gone` — none in the last `r` days;
//!   `rising` — slope ≥ [`RISE_PCT`] % of the mean per day and the fitted rise over the window
//!   (slope × (n − 1)) ≥ [`MIN_RISE`] events; `falling` — the same downwards; else `steady`.
//!
//! One SQL aggregate (events per key per day); the statistics are computed here, so the query
//! stays portable (no window functions).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use ipscope_store::{Query, Table, Value};

use crate::local::{day_start, local_date};
use crate::rows::Rows;
use crate::{By, Dialect, LocalTime, Params, ReportError, Result};

/// Default window, in days.
pub const DEFAULT_DAYS: u32 = 14;
/// Longest window (`--days`): a year and a bit.
pub const MAX_DAYS: u32 = 400;
/// `rising`/`falling`: the slope in % of the mean per day at least this steep.
pub const RISE_PCT: f64 = 5.0;
/// `rising`/`falling`: the fitted change across the window at least this many events (a key
/// going from 1 to 2 events a day is not a trend).
pub const MIN_RISE: f64 = 10.0;
/// Series drawn by `--chart` (the top keys).
pub const CHART_SERIES: usize = 8;

/// The window: its first day, its number of days, and its UTC bounds.
struct Window {
    first: NaiveDate,
    days: usize,
    since: i64,
    until: i64,
}

/// The grouping key's SQL, its output name, and the relation it reads.
struct Key {
    expr: String,
    /// A label column for the key (the AS organisation of an ASN).
    label: Option<(&'static str, &'static str)>,
    name: &'static str,
    from: &'static str,
    /// The enrichment columns the key reads when the rollups can serve it (see
    /// [`crate::rows`]); `None` when they cannot (users, ports, taxonomies are not in them).
    rollup_geo: Option<&'static [&'static str]>,
}

fn key(d: Dialect, p: &Params) -> Result<Key> {
    let from = p.filter.from();
    let k = |expr: &str, name, from| Key { expr: expr.to_owned(), label: None, name, from, rollup_geo: Some(&[]) };
    Ok(match p.by {
        By::Asn => Key {
            label: Some(("as_org", "as_org")),
            rollup_geo: Some(&["asn", "as_org"]),
            ..k("asn", "asn", "events_geo")
        },
        By::Country => Key { rollup_geo: Some(&["country_code"]), ..k("country_code", "country", "events_geo") },
        By::Taxonomy => Key { rollup_geo: None, ..k("taxonomy", "taxonomy", from) },
        By::Port => Key { rollup_geo: None, ..k("dst_port", "port", from) },
        By::Format => k(&d.text("format"), "source", from),
        By::User => Key { rollup_geo: None, ..k("username", "user", from) },
        By::Ip => k("src_ip", "ip", from),
        By::Kind => k(&d.text("kind"), "kind", from),
        By::Prefix => {
            if p.prefix_v4 > 32 || p.prefix_v6 > 64 {
                return Err(ReportError::Invalid("trends --by prefix: --prefix 0..=32, --prefix6 0..=64".into()));
            }
            // Family and prefix number in one integer-free text key, turned into CIDR text below.
            let expr = format!(
                "CASE WHEN {v6} THEN '6/' || {k6} ELSE '4/' || {k4} END",
                v6 = d.src_is_v6(),
                k6 = d.text(&d.shift_right("src_ipnum", 64 - u32::from(p.prefix_v6))),
                k4 = d.text(&d.shift_right("src_ipnum", 32 - u32::from(p.prefix_v4))),
            );
            Key { expr, label: None, name: "prefix", from, rollup_geo: Some(&[]) }
        }
    })
}

/// The window for `p`; `None` when no event passes the filters.
fn window(store: &dyn Query, p: &Params) -> Result<Option<Window>> {
    let days = if p.days == 0 { DEFAULT_DAYS } else { p.days };
    if days > MAX_DAYS {
        return Err(ReportError::Invalid(format!("--days must be at most {MAX_DAYS}, got {days}")));
    }
    let last = match p.filter.until {
        Some(u) => local_date(&p.tz, u - 1),
        None => {
            let t = store.query(&p.filter.span_sql(p.dialect))?;
            match t.rows.first().and_then(|r| r.get(1)) {
                Some(Value::Timestamp(m)) => local_date(&p.tz, *m),
                _ => return Ok(None),
            }
        }
    };
    let mut first = last.checked_sub_days(Days::new(u64::from(days - 1))).unwrap_or(last);
    if let Some(s) = p.filter.since {
        first = first.max(local_date(&p.tz, s));
    }
    if first > last {
        return Ok(None);
    }
    let n = (last - first).num_days() as usize + 1;
    let next = last.checked_add_days(Days::new(1)).unwrap_or(last);
    let mut until = day_start(&p.tz, next);
    if let Some(u) = p.filter.until {
        until = until.min(u);
    }
    let mut since = day_start(&p.tz, first);
    if let Some(s) = p.filter.since {
        since = since.max(s);
    }
    Ok(Some(Window { first, days: n, since, until }))
}

/// Events per key per day in the window, as `key → (label, counts)`.
type Series = BTreeMap<String, (Value, Option<Value>, Vec<f64>)>;

fn series(store: &dyn Query, p: &Params, w: &Window) -> Result<(Key, Series)> {
    let d = p.dialect;
    let k = key(d, p)?;
    let mut pw = p.clone();
    pw.filter.since = Some(w.since);
    pw.filter.until = Some(w.until);
    let lt = LocalTime::for_range(&p.tz, w.since, w.until);
    let label = k.label.map_or(String::new(), |(e, n)| format!(", max({e}) AS {n}"));
    let rows = match k.rollup_geo {
        Some(geo) => Rows::with_geo(d, &pw, &pw.filter, Some(&lt), geo),
        None => Rows::events(k.from),
    };
    let sql = format!(
        "SELECT {expr} AS k, {day} AS day, {count} AS n{label} FROM {from} \
         WHERE {filter} AND {expr} IS NOT NULL GROUP BY {keys}",
        keys = d.keys(&["k", "day"]),
        expr = k.expr,
        day = d.day(&lt.sql(d, "ts")),
        count = rows.count(d),
        from = rows.from(),
        filter = pw.filter.sql(d),
    );
    let t = store.query(&sql)?;
    let mut out: Series = BTreeMap::new();
    for row in t.rows {
        let (Some(key), Some(Value::Date(day)), Some(n)) =
            (row.first(), row.get(1), row.get(2).and_then(Value::as_f64))
        else {
            continue;
        };
        let Some(i) = day_index(w, *day) else { continue };
        let shown = match (p.by, key) {
            (By::Prefix, Value::Text(s)) => Value::Text(prefix_text(s, p)),
            _ => key.clone(),
        };
        let entry = out.entry(key.render()).or_insert_with(|| (shown, None, vec![0.0; w.days]));
        entry.2[i] += n;
        if let Some(l) = row.get(3).filter(|v| **v != Value::Null) {
            entry.1 = Some(l.clone());
        }
    }
    Ok((k, out))
}

fn day_index(w: &Window, day: i32) -> Option<usize> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let first = (w.first - epoch).num_days();
    let i = i64::from(day) - first;
    usize::try_from(i).ok().filter(|i| *i < w.days)
}

/// `4/12345` / `6/…` → the CIDR text of that prefix.
fn prefix_text(key: &str, p: &Params) -> String {
    let (fam, num) = key.split_once('/').unwrap_or(("4", key));
    let num: u64 = num.parse().unwrap_or(0);
    super::nets::prefix_text(fam == "6", num, p)
}

/// The statistics of one key's daily counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub events: f64,
    pub days_active: usize,
    pub mean: f64,
    pub slope: f64,
    pub slope_pct: Option<f64>,
    pub last: f64,
    pub median: f64,
    pub last_vs_median_pct: Option<f64>,
    pub flag: &'static str,
}

/// Least-squares slope, median and flag of daily counts (see the module doc).
pub fn trend(y: &[f64]) -> Trend {
    let n = y.len();
    let nf = n as f64;
    let events: f64 = y.iter().sum();
    let mean = if n == 0 { 0.0 } else { events / nf };
    let xm = (nf - 1.0) / 2.0;
    let sxx: f64 = (0..n).map(|i| (i as f64 - xm).powi(2)).sum();
    let sxy: f64 = y.iter().enumerate().map(|(i, v)| (i as f64 - xm) * (v - mean)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let slope_pct = (mean > 0.0).then(|| slope / mean * 100.0);
    let mut sorted = y.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    let last = y.last().copied().unwrap_or(0.0);
    let recent = (n / 4).max(1).min(n);
    let before: f64 = y[..n - recent].iter().sum();
    let during: f64 = y[n - recent..].iter().sum();
    let rise = slope * (nf - 1.0);
    let flag = if before == 0.0 && during > 0.0 && n > recent {
        "new"
    } else if during == 0.0 && before > 0.0 {
        "gone"
    } else if slope_pct.is_some_and(|s| s >= RISE_PCT) && rise >= MIN_RISE {
        "rising"
    } else if slope_pct.is_some_and(|s| s <= -RISE_PCT) && -rise >= MIN_RISE {
        "falling"
    } else {
        "steady"
    };
    Trend {
        events,
        days_active: y.iter().filter(|v| **v > 0.0).count(),
        mean,
        slope,
        slope_pct,
        last,
        median,
        last_vs_median_pct: (median > 0.0).then(|| (last - median) / median * 100.0),
        flag,
    }
}

/// The keys ranked by slope (steepest rise first; then events, then key), with their trends.
fn ranked(s: Series, p: &Params) -> Vec<(Value, Option<Value>, Vec<f64>, Trend)> {
    let mut rows: Vec<_> = s
        .into_values()
        .map(|(k, l, y)| {
            let t = trend(&y);
            (k, l, y, t)
        })
        .filter(|(_, _, _, t)| t.events >= p.min_events.max(1) as f64)
        .collect();
    rows.sort_by(|a, b| {
        b.3.slope
            .total_cmp(&a.3.slope)
            .then(b.3.events.total_cmp(&a.3.events))
            .then_with(|| a.0.render().cmp(&b.0.render()))
    });
    rows
}

fn round(v: f64, places: i32) -> Value {
    let m = 10f64.powi(places);
    Value::Float((v * m).round() / m)
}

fn columns(k: &Key) -> Vec<String> {
    let mut c = vec![k.name.to_owned()];
    if let Some((_, n)) = k.label {
        c.push(n.to_owned());
    }
    for n in [
        "events",
        "days_active",
        "per_day",
        "slope",
        "slope_pct",
        "last_day",
        "median",
        "last_vs_median_pct",
        "flag",
        "first_day",
        "counts",
    ] {
        c.push(n.to_owned());
    }
    c
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let k = key(p.dialect, p)?;
    let Some(w) = window(store, p)? else {
        return Ok(Table::new(columns(&k)));
    };
    let (k, s) = series(store, p, &w)?;
    let mut t = Table::new(columns(&k));
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let first = i32::try_from((w.first - epoch).num_days()).unwrap_or(0);
    for (key, label, y, tr) in ranked(s, p).into_iter().take(p.top) {
        let mut row = vec![key];
        if k.label.is_some() {
            row.push(label.unwrap_or(Value::Null));
        }
        let counts: Vec<String> = y.iter().map(|v| format!("{v}")).collect();
        row.extend([
            round(tr.events, 0),
            Value::Int(tr.days_active as i64),
            round(tr.mean, 2),
            round(tr.slope, 2),
            tr.slope_pct.map_or(Value::Null, |v| round(v, 1)),
            round(tr.last, 0),
            round(tr.median, 1),
            tr.last_vs_median_pct.map_or(Value::Null, |v| round(v, 1)),
            Value::Text(tr.flag.to_owned()),
            Value::Date(first),
            Value::Text(counts.join(",")),
        ]);
        t.rows.push(row);
    }
    Ok(t)
}

/// What `--chart` draws: the daily counts (zeros included) of the top [`CHART_SERIES`] keys, as
/// `(day, key, events)` rows.
pub fn chart(store: &dyn Query, p: &Params) -> Result<Table> {
    let mut t = Table::new(vec!["day".into(), "key".into(), "events".into()]);
    let Some(w) = window(store, p)? else { return Ok(t) };
    let (_, s) = series(store, p, &w)?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let first = i32::try_from((w.first - epoch).num_days()).unwrap_or(0);
    for (key, label, y, _) in ranked(s, p).into_iter().take(p.top.min(CHART_SERIES)) {
        let name = match label {
            Some(l) => format!("{} {}", key.render(), l.render()),
            None => key.render(),
        };
        for (i, v) in y.iter().enumerate() {
            t.rows.push(vec![Value::Date(first + i as i32), Value::Text(name.clone()), Value::Int(*v as i64)]);
        }
    }
    t.rows.sort_by(|a, b| a[0].render().cmp(&b[0].render()));
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_and_median() {
        let t = trend(&[10.0, 14.0, 18.0, 22.0, 26.0, 30.0]);
        assert!((t.slope - 4.0).abs() < 1e-12);
        assert_eq!(t.median, 20.0);
        assert_eq!(t.last_vs_median_pct, Some(50.0));
        assert_eq!(t.flag, "rising");
        // The same slope over 5 days rises 8 events in all: below MIN_RISE.
        assert_eq!(trend(&[10.0, 12.0, 14.0, 16.0, 18.0]).flag, "steady");
        assert_eq!(trend(&[5.0; 14]).flag, "steady");
        assert_eq!(trend(&[30.0, 28.0, 26.0, 24.0, 22.0, 20.0, 18.0, 16.0]).flag, "falling");
    }

    #[test]
    fn new_gone_and_single_days() {
        let mut y = vec![0.0; 14];
        y[13] = 3.0;
        assert_eq!(trend(&y).flag, "new");
        let mut y = vec![0.0; 14];
        y[0] = 3.0;
        assert_eq!(trend(&y).flag, "gone");
        // One day of data in the middle: quiet since, so gone.
        let mut y = vec![0.0; 14];
        y[6] = 50.0;
        assert_eq!(trend(&y).flag, "gone");
        // A one-day window: nothing to compare.
        let t = trend(&[7.0]);
        assert_eq!((t.slope, t.flag), (0.0, "steady"));
        // Small numbers are not a trend: 1 -> 2 a day.
        assert_eq!(trend(&[1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]).flag, "steady");
    }
}
