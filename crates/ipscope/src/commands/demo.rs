//! `ipscope demo`: generate realistic SSH activity (ipscope-gen), ingest it into a store, and
//! print the nightly report — the whole pipeline on a fresh machine with nothing to configure.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use ipscope_formats::{ClockConfig, ParseOptions, YearRule, Zone};
use ipscope_gen::{CAMPUS_NETS, SshConfig, TimestampStyle};
use ipscope_report::{HomeNets, Params};
use ipscope_store::Store;

use super::Ctx;
use super::ingest::run_inputs;
use super::maint::write_document;
use crate::cli::DemoArgs;
use ipscope_ingest::{DEFAULT_BATCH_EVENTS, InputSpec, Options};

const DAY: i64 = 86_400_000_000;

pub fn run(ctx: &Ctx, a: DemoArgs) -> Result<ExitCode> {
    let temp;
    let dir = match &a.keep {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            d.clone()
        }
        None => {
            temp = tempfile::tempdir().context("cannot create a temporary directory")?;
            temp.path().to_owned()
        }
    };
    // The activity ends at today's UTC midnight, so reports and purge windows look current.
    let now = Utc::now().timestamp_micros();
    let end = now - now.rem_euclid(DAY);
    let days = a.days.max(1);
    let start = end - i64::from(days) * DAY;
    let cfg = SshConfig {
        seed: a.seed,
        lines: a.lines,
        start_micros: start,
        days,
        host: "login1".into(),
        style: TimestampStyle::Rfc3164,
        ..SshConfig::default()
    };
    let log = dir.join("auth.log");
    let truth =
        ipscope_gen::write_sshd(&cfg, File::create(&log).with_context(|| format!("cannot create {}", log.display()))?)
            .context("cannot generate the demo log")?;
    let mut err = io::stderr().lock();
    writeln!(
        err,
        "generated {} lines of sshd log ({} password attempts, {} sessions, {} addresses) in {}",
        truth.lines,
        truth.password_attempts,
        truth.sessions_opened,
        truth.distinct_addresses,
        log.display()
    )?;
    drop(err);

    let start_year = chrono::DateTime::from_timestamp_micros(start).map_or(2026, |t| chrono::Datelike::year(&t));
    let opts = Options {
        format: Some(ipscope_formats::FormatKind::Sshd),
        parse: ParseOptions {
            clock: ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(start_year) },
            delimiter: b'|',
        },
        batch_events: DEFAULT_BATCH_EVENTS,
        enrich: None,
    };
    let mut home = HomeNets::default();
    for net in CAMPUS_NETS {
        home.push("campus", net)?;
    }
    // The usual GeoIP databases when the machine has them, and the generator's campus.
    let mut enricher = super::enrich::enricher(ctx, &dir.join("data"))?;
    enricher.home = home.clone();
    let opts = Options { enrich: Some(std::sync::Arc::new(enricher)), ..opts };
    let mut store = Store::open(&dir.join("data"))?;
    run_inputs(&mut store, &[InputSpec::File(log)], &opts, None, io::stderr().is_terminal())?;

    let params = Params { home, ..Params::default() };
    let purged = store.purge(now - 10 * DAY, false)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    write_document(&mut out, &store, &params, now, 10, purged)?;
    out.flush()?;
    if a.keep.is_some() {
        writeln!(io::stderr(), "kept: {} (query it with --data {})", dir.display(), dir.join("data").display())?;
    }
    Ok(ExitCode::SUCCESS)
}
