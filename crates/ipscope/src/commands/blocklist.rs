//! `blocklist`: the offenders of `report rates` whose ban runs, in a firewall's format (also the
//! daemon's `/api/blocklist`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use chrono::Utc;
use ipscope_report::blocklist::{self, ListFormat, ListParams};
use ipscope_report::reports::rates;
use ipscope_store::Query;

use super::Ctx;
use super::query::{params, parse_when_in, report_zone, thresholds};
use crate::cli::{BlocklistArgs, ListFormatArg};

/// The list `a` asks for, as text, from `store`.
pub fn text(ctx: &Ctx, a: &BlocklistArgs, store: &dyn Query) -> Result<String> {
    let p = params(ctx, &a.report)?;
    let now = Utc::now();
    let at = match &a.at {
        Some(s) => parse_when_in(s, now, &report_zone(ctx, &a.report)).context("--at")?,
        None => super::maint::now_micros()?,
    };
    let ban = a.ban.as_deref().or(ctx.cfg.rates.ban.as_deref()).unwrap_or("1h");
    let ban_secs =
        rates::parse_window(ban).ok_or_else(|| anyhow!("--ban {ban:?}: expected a duration like 10m, 1h, 1d"))?;
    let mut allow = Vec::new();
    for s in ctx.cfg.rates.allow.iter().chain(&a.allow) {
        allow.push(parse_net(s).with_context(|| format!("--allow {s:?}"))?);
    }
    let l = ListParams { at, ban_secs, allow, aggregate: a.aggregate, thresholds: thresholds(ctx, &a.thresholds)? };
    let format = match a.format {
        ListFormatArg::Plain => ListFormat::Plain,
        ListFormatArg::Cidr => ListFormat::Cidr,
        ListFormatArg::Ipset => ListFormat::Ipset,
        ListFormatArg::Nftables => ListFormat::Nftables,
        ListFormatArg::Csv => ListFormat::Csv,
    };
    let name = a.set_name.as_deref().or(ctx.cfg.rates.set_name.as_deref()).unwrap_or("ipscope");
    blocklist::check_set_name(name)?;
    let entries = blocklist::build(store, &p, &l)?;
    Ok(blocklist::render(&entries, format, name)?)
}

/// An address or a CIDR.
fn parse_net(s: &str) -> Result<ipnet::IpNet> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| anyhow!("not an address or network (203.0.113.7, 198.51.100.0/24)"))
}

pub fn run(ctx: &Ctx, a: BlocklistArgs) -> Result<ExitCode> {
    let store = crate::daemon::open_read_only(ctx, &ctx.data_dir()?)?;
    let list = text(ctx, &a, store.as_ref())?;
    match &a.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(list.as_bytes())?;
            out.flush()?;
        }
        Some(path) => {
            // Beside the target, then renamed over it: a firewall reading it never sees half a list.
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot create a file in {}", dir.display()))?;
            tmp.write_all(list.as_bytes())?;
            tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
