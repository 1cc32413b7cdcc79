//! Enrichment commands: which databases are in use (`status`, ingest), `lookup ADDR...` and
//! `enrich [--refresh]`.

use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ipscope_enrich::{AddressInfo, Databases, Enricher, default_dirs};
use ipscope_store::{Query, StoreError, Table, Value, format_timestamp};

use super::Ctx;
use super::query::print;
use crate::cli::{EnrichArgs, LookupArgs};
use crate::output::{OutputFormat, Style};

/// Addresses enriched per stored batch by `enrich`.
const CHUNK: usize = 100_000;

/// The databases named by `--geoip` / `IPSCOPE_GEOIP`, else by the config's `geoip`, else found
/// in the usual places; with the configured home networks.
pub fn enricher(ctx: &Ctx, data_dir: &Path) -> Result<Enricher> {
    let explicit = if ctx.geoip.is_empty() { &ctx.cfg.geoip } else { &ctx.geoip };
    let databases = if explicit.is_empty() {
        Databases::discover(&default_dirs(data_dir))?
    } else {
        Databases::open_explicit(explicit)?
    };
    Ok(Enricher::new(databases, ctx.cfg.home.clone()))
}

/// One line per database in use, or why there is none.
pub fn describe(e: &Enricher) -> Vec<String> {
    let mut lines: Vec<String> = e
        .databases
        .all()
        .map(|db| {
            let built = format_timestamp(i64::try_from(db.build_epoch).unwrap_or(0).saturating_mul(1_000_000));
            let built = built.get(..10).unwrap_or(&built).to_owned();
            let place = if db.path.as_os_str() == ipscope_enrich::BUILTIN_NAME {
                "built-in: ip-location-db geo-whois-asn-country, country codes only (contains NRO data, CC BY 4.0); \
                 install GeoLite2 / DB-IP databases for cities and networks"
                    .to_owned()
            } else {
                db.path.display().to_string()
            };
            format!("{} database: {} (IPv{}, built {built}) {place}", db.role, db.kind, db.ip_version)
        })
        .collect();
    if e.databases.is_empty() {
        let dirs: Vec<String> = e.databases.searched.iter().map(|d| d.display().to_string()).collect();
        lines.push(format!(
            "no GeoIP databases found (looked in {}): addresses get no location or ASN; pass --geoip DIR or set `geoip` in the config",
            dirs.join(", ")
        ));
    }
    for (path, why) in &e.databases.skipped {
        lines.push(format!("not used: {} ({why})", path.display()));
    }
    if !e.home.is_empty() {
        lines.push(format!("home networks: {}", e.home.nets.len()));
    }
    lines
}

pub fn lookup(ctx: &Ctx, a: LookupArgs) -> Result<ExitCode> {
    let data = ctx.data_dir()?;
    let e = enricher(ctx, &data)?;
    let store = match crate::daemon::open_read_only(ctx, &data) {
        Ok(s) => Some(s),
        Err(err) if matches!(err.downcast_ref::<StoreError>(), Some(StoreError::Missing(_))) => None,
        Err(err) => return Err(err),
    };
    let mut wide = lookup_table(&e, store.as_deref().map(|s| s as &dyn Query), &a.addrs)?;
    if a.ptr.ptr {
        let mut names = super::ptr::lookup(
            store.as_deref().map(|s| s as &dyn Query),
            &a.addrs,
            &a.ptr,
            super::maint::now_micros()?,
        )?;
        // Cache only into a store that exists; close the read-only one first.
        let had_store = store.is_some();
        drop(store);
        if had_store {
            super::ptr::save(ctx, &data, &mut names)?;
        }
        super::ptr::add_column(&mut wide, &names.names)?;
        writeln!(io::stderr().lock(), "{}", super::ptr::summary(&names, a.addrs.len()))?;
    }
    let style = Style::resolve(a.output.format, a.output.sep, a.output.no_header, a.output.no_formula_guard);
    if matches!(style.format, OutputFormat::Table | OutputFormat::Markdown) {
        // One address per block of `field value` rows: 20 columns do not fit a terminal.
        let mut t = Table::new(vec!["field".into(), "value".into()]);
        for row in &wide.rows {
            for (c, v) in wide.columns.iter().zip(row) {
                if *v != Value::Null {
                    t.rows.push(vec![Value::Text(c.clone()), v.clone()]);
                }
            }
        }
        print(&t, &a.output)?;
    } else {
        print(&wide, &a.output)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Everything known about each address, one row per address (what `lookup` prints and the API
/// returns): enrichment from `e`, activity from `store` when there is one.
pub fn lookup_table(e: &Enricher, store: Option<&dyn Query>, addrs: &[IpAddr]) -> Result<Table> {
    let mut wide = Table::new(Vec::new());
    for ip in addrs {
        let ip = ipscope_event::canonical_ip(*ip);
        let info = e.lookup(ip)?;
        let mut fields = info_fields(&info);
        if let Some(store) = store {
            fields.extend(activity(store, ip)?);
        }
        if wide.columns.is_empty() {
            wide.columns = fields.iter().map(|(k, _)| k.clone()).collect();
        }
        wide.rows.push(fields.into_iter().map(|(_, v)| v).collect());
    }
    Ok(wide)
}

fn text(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

fn info_fields(i: &AddressInfo) -> Vec<(String, Value)> {
    let g = &i.geo;
    vec![
        ("ip", Value::Text(i.ip.to_string())),
        ("country", text(&g.country_code)),
        ("country_name", text(&g.country_name)),
        ("continent", text(&g.continent)),
        ("region", text(&g.region)),
        ("city", text(&g.city)),
        ("postal_code", text(&g.postal_code)),
        ("latitude", g.latitude.map_or(Value::Null, Value::Float)),
        ("longitude", g.longitude.map_or(Value::Null, Value::Float)),
        ("accuracy_km", g.accuracy_km.map_or(Value::Null, |v| Value::Int(v.into()))),
        ("time_zone", text(&g.time_zone)),
        ("asn", i.asn.map_or(Value::Null, |v| Value::Int(v.into()))),
        ("as_org", text(&i.as_org)),
        ("prefix", text(&i.prefix)),
        ("home_net", text(&i.home_net)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A one-row table as (column, value) pairs.
fn first_row(t: Table) -> Vec<(String, Value)> {
    let row = t.rows.into_iter().next().unwrap_or_default();
    t.columns.into_iter().zip(row).collect()
}

/// First/last seen, counts by source and by kind, and the users tried, from the store: plain
/// aggregates every engine runs, joined into text here.
fn activity(store: &dyn Query, ip: IpAddr) -> Result<Vec<(String, Value)>> {
    let of_ip = format!("FROM events WHERE src_ip = '{ip}'");
    let mut out: Vec<(String, Value)> = store
        .query(&format!("SELECT count(*) AS events, min(ts) AS first_seen, max(ts) AS last_seen {of_ip}"))
        .map(first_row)?;
    // `key:n, ...` by count, then key; NULL when there is none (as `string_agg` of no rows).
    let joined = |sql: String, with_count: bool| -> Result<Value> {
        let t = store.query(&sql)?;
        let items: Vec<String> = t
            .rows
            .iter()
            .map(|r| {
                let key = r[0].render();
                if with_count { format!("{key}:{}", r[1].render()) } else { key }
            })
            .collect();
        Ok(if items.is_empty() { Value::Null } else { Value::Text(items.join(", ")) })
    };
    for (name, key) in [("by_source", "format"), ("by_kind", "kind")] {
        let sql = format!("SELECT {key} AS k, count(*) AS n {of_ip} GROUP BY k ORDER BY n DESC, k");
        out.push((name.to_owned(), joined(sql, true)?));
    }
    let users = store.query(&format!("SELECT count(DISTINCT username) AS users {of_ip}"))?;
    out.extend(first_row(users));
    let top = format!(
        "SELECT username AS u, count(*) AS n {of_ip} AND username IS NOT NULL GROUP BY u ORDER BY n DESC, u LIMIT 10"
    );
    out.push(("top_users".to_owned(), joined(top, false)?));
    Ok(out)
}

pub fn enrich(ctx: &Ctx, a: EnrichArgs) -> Result<ExitCode> {
    let data = ctx.data_dir()?;
    let e = enricher(ctx, &data)?;
    let mut err = io::stderr().lock();
    for line in describe(&e) {
        writeln!(err, "{line}")?;
    }
    if e.is_empty() {
        anyhow::bail!("nothing to enrich with: no GeoIP database and no home networks");
    }
    let mut store = crate::daemon::open_writable(ctx, &data, false)?;
    let started = std::time::Instant::now();
    let mut todo = store.source_addresses()?;
    if !a.refresh {
        let known: std::collections::HashSet<IpAddr> = store.enriched_addresses()?.into_iter().collect();
        todo.retain(|ip| !known.contains(ip));
    }
    let now = chrono::Utc::now().timestamp_micros();
    let mut batches = Vec::new();
    let (mut located, mut with_asn) = (0u64, 0u64);
    for chunk in todo.chunks(CHUNK) {
        let mut infos = Vec::with_capacity(chunk.len());
        for ip in chunk {
            let info = e.lookup(*ip)?;
            located += u64::from(info.geo.country_code.is_some());
            with_asn += u64::from(info.asn.is_some());
            infos.push(info);
        }
        batches.push(ipscope_store::prepare_addresses(&infos, now).context("cannot convert addresses")?);
    }
    let n = store.store_addresses(batches, a.refresh)?;
    writeln!(
        err,
        "{} {n} addresses ({located} located, {with_asn} with an ASN) in {:.2}s",
        if a.refresh { "re-enriched" } else { "enriched" },
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}
