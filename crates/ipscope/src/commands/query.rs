//! `report`, `reports`, `sql`, `status`: the read-only commands.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, NaiveDate, Utc};
use ipscope_report::{By, Filter, HomeNets, Params, Report};
use ipscope_store::{Backend, Query, Table, Value};

use super::Ctx;
use crate::cli::{BucketArg, ByArg, OutputArgs, ReportArgs, ReportCmd, SqlArgs};
use crate::output::{self, Style};

pub use ipscope_config::{parse_age, parse_when};

/// [`parse_when`] with dates and zone-less date-times read in `zone` (`--since 2026-11-01 --tz
/// America/Chicago` is Chicago's midnight); ages and RFC 3339 times are instants already.
pub fn parse_when_in(s: &str, now: DateTime<Utc>, zone: &ipscope_report::Zone) -> Result<i64> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    match naive {
        Some(t) => Ok(ipscope_report::local::local_to_utc(zone, t)),
        None => Ok(parse_when(s, now)?),
    }
}

/// `--threshold` specs, else the config's `[rates] thresholds` (empty: the defaults).
pub fn thresholds(ctx: &Ctx, a: &crate::cli::ThresholdArgs) -> Result<Vec<ipscope_report::reports::rates::Threshold>> {
    let specs = if a.thresholds.is_empty() { &ctx.cfg.rates.thresholds } else { &a.thresholds };
    specs.iter().map(|s| s.parse().map_err(anyhow::Error::from)).collect()
}

/// The zone of report days: `--tz` (or IPSCOPE_TZ), else the config's `tz`, else the local zone.
pub fn report_zone(ctx: &Ctx, a: &ReportArgs) -> ipscope_report::Zone {
    a.tz.clone().or_else(|| ctx.cfg.tz.clone()).unwrap_or(ipscope_report::Zone::Local)
}

pub fn params(ctx: &Ctx, a: &ReportArgs) -> Result<Params> {
    let now = Utc::now();
    let tz = report_zone(ctx, a);
    let mut home = ctx.cfg.home.clone();
    if let Some(list) = &a.home {
        for (name, net) in HomeNets::parse_list(list)?.nets {
            home.push(&name, &net.to_string())?;
        }
    }
    let location = match (a.home_only, a.external) {
        (false, false) => None,
        _ if home.is_empty() => {
            anyhow::bail!("--home-only / --external need home networks: --home CIDRS or a [home] section in the config")
        }
        (inside, _) => Some((inside, home.clone())),
    };
    Ok(Params {
        filter: Filter {
            since: a.since.as_deref().map(|s| parse_when_in(s, now, &tz)).transpose().context("--since")?,
            until: a.until.as_deref().map(|s| parse_when_in(s, now, &tz)).transpose().context("--until")?,
            formats: a.source.clone(),
            sensors: a.sensor.clone(),
            kinds: a.kind.clone(),
            asns: a.asn.clone(),
            taxonomies: a.taxonomy.clone(),
            home: location,
            src: a
                .src
                .iter()
                .map(|s| {
                    s.parse::<ipnet::IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| anyhow!("--src {s:?}: not an address or network (203.0.113.7, 198.51.100.0/24)"))
                })
                .collect::<Result<Vec<_>>>()?,
            no_probes: a.no_probes,
        },
        top: a.top,
        min_events: a.min_events,
        ratio: a.ratio,
        home,
        service_groups: if ctx.cfg.services.is_empty() {
            Params::default().service_groups
        } else {
            ctx.cfg.services.clone()
        },
        tz,
        ..Params::default()
    })
}

/// Parameters with no filter: the configured home networks and service groups, `top` and
/// `ratio` (the daemon's nightly maint).
pub fn base_params(ctx: &Ctx, top: usize, ratio: f64) -> Params {
    Params {
        top,
        ratio,
        home: ctx.cfg.home.clone(),
        service_groups: if ctx.cfg.services.is_empty() {
            Params::default().service_groups
        } else {
            ctx.cfg.services.clone()
        },
        tz: ctx.cfg.tz.clone().unwrap_or(ipscope_report::Zone::Local),
        ..Params::default()
    }
}

pub fn print(t: &Table, o: &OutputArgs) -> Result<()> {
    let style = Style::resolve(o.format, o.sep, o.no_header, o.no_formula_guard);
    let mut out = io::BufWriter::new(io::stdout().lock());
    output::write_table(&mut out, t, style)?;
    out.flush()?;
    Ok(())
}

/// Runs the report `a` names on `store`: what `ipscope report` prints and the API returns.
pub fn report_table(ctx: &Ctx, a: &ReportCmd, store: &dyn Query) -> Result<(Table, &'static Report)> {
    let (report, p) = report_params(ctx, a)?;
    Ok((ipscope_report::run(report, store, &p)?, report))
}

/// What `--chart` draws for report `a`: the report's own chart table when it has one (`trends`),
/// else `t`, the report's table.
pub fn chart_table(ctx: &Ctx, a: &ReportCmd, store: &dyn Query, t: Table) -> Result<Table> {
    let (report, p) = report_params(ctx, a)?;
    Ok(ipscope_report::chart_table(report, store, &p)?.unwrap_or(t))
}

/// The report `a` names and its parameters.
fn report_params(ctx: &Ctx, a: &ReportCmd) -> Result<(&'static Report, Params)> {
    let report = ipscope_report::find(&a.name).ok_or_else(|| {
        let names: Vec<_> = ipscope_report::CATALOGUE.iter().map(|r| r.name).collect();
        anyhow!("unknown report {:?} (known: {}); see `ipscope reports`", a.name, names.join(", "))
    })?;
    let mut p = params(ctx, &a.report)?;
    p.by = match a.by {
        None => ipscope_report::default_by(report.name),
        Some(ByArg::Ip) => By::Ip,
        Some(ByArg::User) => By::User,
        Some(ByArg::Kind) => By::Kind,
        Some(ByArg::Format) => By::Format,
        Some(ByArg::Asn) => By::Asn,
        Some(ByArg::Country) => By::Country,
        Some(ByArg::Taxonomy) => By::Taxonomy,
        Some(ByArg::Port) => By::Port,
        Some(ByArg::Prefix) => By::Prefix,
    };
    p.host = a.host;
    p.days = a.days;
    p.attacker_time = a.attacker_time;
    p.rollups = !a.no_rollups;
    p.thresholds = thresholds(ctx, &a.thresholds)?;
    p.bucket = match a.bucket {
        BucketArg::Minute => ipscope_report::Bucket::Minute,
        BucketArg::Hour => ipscope_report::Bucket::Hour,
        BucketArg::Day => ipscope_report::Bucket::Day,
    };
    p.registered = a.registered;
    p.prefix_v4 = a.prefix;
    p.prefix_v6 = a.prefix6;
    p.drill = a.drill.as_deref().map(ipscope_config::parse_net).transpose().context("--drill")?;
    Ok((report, p))
}

pub fn report(ctx: &Ctx, a: ReportCmd) -> Result<ExitCode> {
    let data = ctx.data_dir()?;
    let store = crate::daemon::open_read_only(ctx, &data)?;
    let (mut t, report) = report_table(ctx, &a, store.as_ref())?;
    let chart = match &a.chart {
        Some(_) => Some(chart_table(ctx, &a, store.as_ref(), t.clone())?),
        None => None,
    };
    if a.ptr.ptr {
        let ips = super::ptr::addresses(&t);
        let mut names = super::ptr::lookup(Some(store.as_ref()), &ips, &a.ptr, super::maint::now_micros()?)?;
        // The read-only store is closed before the cache is written (one process, one mode).
        drop(store);
        super::ptr::save(ctx, &data, &mut names)?;
        super::ptr::add_column(&mut t, &names.names)?;
        writeln!(io::stderr().lock(), "{}", super::ptr::summary(&names, ips.len()))?;
    }
    print(&t, &a.output)?;
    if let (Some(path), Some(t)) = (&a.chart, chart) {
        crate::chart::write(&t, &format!("ipscope report {}", report.name), path, a.log_scale, a.chart_type)?;
        writeln!(io::stderr().lock(), "chart written to {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The catalogue as a table: `ipscope reports`, `/api/reports`.
pub fn catalogue_table() -> Table {
    Table {
        columns: vec!["report".into(), "about".into()],
        rows: ipscope_report::CATALOGUE
            .iter()
            .map(|r| vec![Value::Text(r.name.into()), Value::Text(r.about.into())])
            .collect(),
    }
}

pub fn list_reports() -> Result<ExitCode> {
    let t = catalogue_table();
    print(&t, &OutputArgs { format: None, sep: ',', no_header: false, no_formula_guard: false })?;
    Ok(ExitCode::SUCCESS)
}

pub fn sql(ctx: &Ctx, a: SqlArgs) -> Result<ExitCode> {
    let store = crate::daemon::open_read_only(ctx, &ctx.data_dir()?)?;
    let t = store.query_user(&a.query)?;
    print(&t, &a.output)?;
    Ok(ExitCode::SUCCESS)
}

/// What `status` says about the store, as lines (stderr) and the table of inputs (stdout).
pub fn status_info(ctx: &Ctx, data: &std::path::Path, store: &dyn Backend) -> Result<(Vec<String>, Table)> {
    let cluster = store.engine() == ipscope_store::Engine::ClickHouse;
    let mut lines = vec![format!("data directory: {}", data.display())];
    match (&ctx.store, cluster) {
        (Some(url), true) => lines.push(format!("database: {url}, {} events", store.event_count()?)),
        _ => {
            let size = store.path().and_then(|p| std::fs::metadata(p).ok()).map_or(0, |m| m.len());
            lines.push(format!("database: {} bytes, {} events", size, store.event_count()?));
        }
    }
    // `count(DISTINCT ip)`: on the cluster an address stored twice has two rows until a merge;
    // `coalesce`/`CASE`: ClickHouse aggregates no rows into NULL (Nullable) or 1970, not 0/NULL.
    let addresses = store.query(
        "SELECT (SELECT coalesce(count(DISTINCT src_ip), 0) FROM events) AS sources, \
           (SELECT count(DISTINCT ip) FROM addresses) AS enriched, \
           (SELECT count(DISTINCT ip) FROM addresses WHERE country_code IS NOT NULL) AS located, \
           (SELECT count(DISTINCT ip) FROM addresses WHERE asn IS NOT NULL) AS with_asn, \
           (SELECT CASE WHEN count(*) = 0 THEN NULL ELSE max(enriched_at) END FROM addresses) AS last_enriched",
    )?;
    if let Some(r) = addresses.rows.first() {
        let cell = |i: usize| r.get(i).map_or_else(String::new, Value::render);
        lines.push(format!(
            "addresses: {} distinct sources, {} enriched ({} located, {} with an ASN), last enriched {}",
            cell(0),
            cell(1),
            cell(2),
            cell(3),
            if matches!(r.get(4), Some(Value::Null) | None) { "never".to_owned() } else { cell(4) }
        ));
    }
    let rollups = if cluster {
        lines.push("rollups: none on a ClickHouse store (reports read the events)".to_owned());
        Table::default()
    } else {
        store.query(&format!(
            "SELECT count(*) AS n, count(DISTINCT hour) AS hours, CAST(coalesce(sum(events), 0) AS BIGINT) AS events \
         FROM {}",
            ipscope_store::rollup::TABLE
        ))?
    };
    if let Some(r) = rollups.rows.first() {
        let cell = |i: usize| r.get(i).map_or_else(String::new, Value::render);
        lines.push(format!(
            "rollups: {} rows over {} hours, counting {} events (what most reports read; --no-rollups reads the events)",
            cell(0),
            cell(1),
            cell(2)
        ));
    }
    match super::enrich::enricher(ctx, data) {
        Ok(e) => lines.extend(super::enrich::describe(&e)),
        Err(e) => lines.push(format!("GeoIP databases: {e:#}")),
    }
    let t = store.query(
        "SELECT id, path, format, bytes, lines, events, ignored, rejected, first_ingest, last_ingest FROM inputs ORDER BY id",
    )?;
    Ok((lines, t))
}

pub fn status(ctx: &Ctx, o: OutputArgs) -> Result<ExitCode> {
    let data = ctx.data_dir()?;
    let store = crate::daemon::open_read_only(ctx, &data)?;
    let (lines, t) = status_info(ctx, &data, store.as_ref())?;
    let mut err = io::stderr().lock();
    for l in lines {
        writeln!(err, "{l}")?;
    }
    drop(err);
    print(&t, &o)?;
    Ok(ExitCode::SUCCESS)
}
