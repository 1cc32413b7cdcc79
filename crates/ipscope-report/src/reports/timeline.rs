//! `timeline`: events per time bucket (`--bucket minute|hour|day`, UTC or local with `--tz`) per event kind or source
//! format (`--by kind|format`) — the dashboard's "events over time" and a quick look from the CLI.
//! Only buckets with events are listed (a chart fills the others with zeros).

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{By, Dialect, LocalTime, Params, ReportError, Result};

pub fn sql(d: Dialect, p: &Params, lt: &LocalTime) -> Result<String> {
    let (key, name) = match p.by {
        By::Kind | By::Ip => ("kind", "kind"),
        By::Format => ("format", "format"),
        By::User | By::Asn | By::Country | By::Taxonomy | By::Port | By::Prefix => {
            return Err(ReportError::Invalid("timeline: --by kind or --by format".into()));
        }
    };
    // Served by the rollups for hours and days in whole-hour zones (see [`crate::rows`]).
    let rows = match p.bucket {
        crate::Bucket::Minute => Rows::events(p.filter.from()),
        crate::Bucket::Hour | crate::Bucket::Day => Rows::for_report(d, p, &p.filter, Some(lt)),
    };
    Ok(format!(
        "SELECT {bucket} AS time, {text} AS {name}, {count} AS events \
         FROM {from} WHERE {filter} GROUP BY {keys} ORDER BY {keys}",
        text = d.text(key),
        keys = d.keys(&["time", name]),
        bucket = d.truncate(p.bucket, &lt.sql(d, "ts")),
        count = rows.count(d),
        from = rows.from(),
        filter = p.filter.sql(d),
    ))
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let lt = LocalTime::for_report(store, p)?;
    Ok(store.query(&sql(p.dialect, p, &lt)?)?)
}
