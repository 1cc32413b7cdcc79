//! `purge` and `maint` (the nightly run).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::Utc;
use ipscope_report::{By, Params};
use ipscope_store::{Backend, format_timestamp};

use super::Ctx;
use super::query::{params, parse_age};
use crate::cli::{MaintArgs, PurgeArgs};
use crate::output;

/// "Now" in UTC micros; `IPSCOPE_NOW` (RFC 3339) pins it for reproducible runs and tests.
pub fn now_micros() -> Result<i64> {
    match std::env::var("IPSCOPE_NOW") {
        Ok(s) => Ok(chrono::DateTime::parse_from_rfc3339(&s).context("IPSCOPE_NOW")?.timestamp_micros()),
        Err(_) => Ok(Utc::now().timestamp_micros()),
    }
}

pub fn purge(ctx: &Ctx, a: PurgeArgs) -> Result<ExitCode> {
    let age = parse_age(&a.older_than)
        .ok_or_else(|| anyhow!("--older-than {:?}: expected an age like 10d, 36h or 10", a.older_than))?;
    let cutoff = now_micros()? - age;
    let mut store = crate::daemon::open_writable(ctx, &ctx.data_dir()?, false)?;
    let out = store.purge(cutoff, a.commit)?;
    let mut stdout = io::stdout().lock();
    if out.committed {
        writeln!(stdout, "purged {} events older than {} UTC", out.events, format_timestamp(cutoff))?;
    } else {
        writeln!(
            stdout,
            "dry run: {} events older than {} UTC would be purged (add --commit to delete them)",
            out.events,
            format_timestamp(cutoff)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn maint(ctx: &Ctx, a: MaintArgs) -> Result<ExitCode> {
    if a.report.top < 5 {
        bail!("-N/--top-N must be at least 5, got {}", a.report.top);
    }
    let base = params(ctx, &a.report)?;
    base.validate()?;
    let now = now_micros()?;
    let cutoff = now - i64::from(a.purge_days) * 86_400_000_000;
    let mail = (!a.mail.email.is_empty()).then(|| mail_settings(ctx, &a.mail));
    let mut store = crate::daemon::open_writable(ctx, &ctx.data_dir()?, false)?;
    let purged = store.purge(cutoff, a.commit)?;
    let mut doc = Vec::new();
    write_document(&mut doc, store.as_ref(), &base, now, a.purge_days, purged)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    out.write_all(&doc)?;
    out.flush()?;
    if let Some(m) = mail {
        let text = String::from_utf8_lossy(&doc);
        crate::mail::send(&m, &crate::mail::subject(&format_timestamp(now - now % 60_000_000)), &text)?;
        writeln!(io::stderr(), "mailed to {} through {}", m.to.join(", "), m.relay)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The relay settings: flags (and their environment twins), else `[maint]` in the config.
pub fn mail_settings(ctx: &Ctx, a: &crate::cli::MailArgs) -> crate::mail::MailSettings {
    let c = &ctx.cfg.maint;
    crate::mail::MailSettings {
        to: if a.email.is_empty() { c.email.clone() } else { a.email.clone() },
        from: a.from.clone().or_else(|| c.from.clone()),
        relay: a.smtp.clone().or_else(|| c.smtp.clone()).unwrap_or_else(|| "localhost:25".into()),
        tls: a.smtp_tls.or(c.smtp_tls).unwrap_or_default(),
        ca: a.smtp_ca.clone().or_else(|| c.smtp_ca.clone()),
        user: a.smtp_user.clone().or_else(|| c.smtp_user.clone()),
        password: a.smtp_password.clone().or_else(|| c.smtp_password.clone()),
    }
}

/// The nightly Markdown document: purge result, then every report.
pub fn write_document(
    out: &mut dyn Write,
    store: &dyn Backend,
    base: &Params,
    now: i64,
    purge_days: u32,
    purged: ipscope_store::PurgeOutcome,
) -> Result<()> {
    writeln!(out, "# ipscope report — {} UTC\n", format_timestamp(now - now % 1_000_000))?;
    writeln!(
        out,
        "{} events in the store. Purge of events older than {purge_days} days: {} {}.\n",
        store.event_count()?,
        purged.events,
        if purged.committed { "deleted" } else { "would be deleted (dry run; --commit deletes)" }
    )?;
    if !base.home.is_empty() {
        // Group the CIDRs by network name: "campus (10.0.0.0/8, 192.168.0.0/16)".
        let mut named: Vec<(&str, Vec<String>)> = Vec::new();
        for (name, net) in &base.home.nets {
            match named.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => v.push(net.to_string()),
                None => named.push((name, vec![net.to_string()])),
            }
        }
        let text: Vec<String> = named
            .iter()
            .map(|(n, v)| if v.len() == 1 && v[0] == *n { v[0].clone() } else { format!("{n} ({})", v.join(", ")) })
            .collect();
        writeln!(out, "Home networks: {}.\n", text.join(", "))?;
    }
    let sections: [(&str, &str, Option<By>); 7] = [
        ("daily", "Events per day", None),
        ("top-ips", "Top source addresses", None),
        ("top-users", "Top users", None),
        ("low-success", "Low session:auth ratio by address (brute-force suspects)", Some(By::Ip)),
        ("low-success", "Low session:auth ratio by user", Some(By::User)),
        ("open-sessions", "Sessions still open from outside the home networks", None),
        ("nets", "Busiest /24 networks", None),
    ];
    for (name, title, by) in sections {
        let report = ipscope_report::find(name).ok_or_else(|| anyhow!("report {name} missing from catalogue"))?;
        let mut p = base.clone();
        if let Some(by) = by {
            p.by = by;
        }
        let t = ipscope_report::run(report, store, &p).with_context(|| format!("report {name}"))?;
        writeln!(out, "## {title}\n")?;
        if name == "low-success" {
            writeln!(out, "Threshold: {} (sessions / password auths, both > 0).\n", p.ratio)?;
        }
        output::write_markdown(out, &t)?;
        writeln!(out)?;
    }
    Ok(())
}
