//! `ipscope ingest PATH...`

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ipscope_enrich::AddressBook;
use ipscope_formats::{ClockConfig, ParseOptions, YearRule, Zone};
use ipscope_store::Store;

use super::Ctx;
use crate::cli::IngestArgs;
use crate::ingest::{self, DEFAULT_BATCH_EVENTS, Options, Rejects};
use crate::source;

/// Events per committed batch (tuning and tests; hidden from --help).
const BATCH_ENV: &str = "IPSCOPE_BATCH_EVENTS";

pub fn parse_options(ctx: &Ctx, a: &IngestArgs) -> Result<ParseOptions> {
    let delimiter = match a.delimiter {
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => bail!("--delimiter must be one ASCII character, got {c:?}"),
        None => ctx.cfg.delimiter.unwrap_or(b'|'),
    };
    let zone = a.tz.clone().or_else(|| ctx.cfg.tz.clone()).unwrap_or(Zone::Local);
    let year = a.year.map_or(YearRule::Reference, YearRule::Fixed);
    Ok(ParseOptions { clock: ClockConfig { zone, year }, delimiter })
}

pub fn run(ctx: &Ctx, a: IngestArgs) -> Result<ExitCode> {
    let specs = source::expand(&a.paths)?;
    let data = ctx.data_dir()?;
    let enrich = if a.no_enrich {
        None
    } else {
        Some(
            super::enrich::enricher(ctx, &data)
                .context("cannot use the GeoIP databases (--no-enrich ingests without enrichment)")?,
        )
    };
    if let Some(e) = &enrich {
        let mut err = io::stderr().lock();
        for line in super::enrich::describe(e) {
            writeln!(err, "{line}")?;
        }
    }
    let mut store = Store::open(&data)?;
    store.tune_for_ingest()?;
    let opts = Options {
        format: a.format,
        parse: parse_options(ctx, &a)?,
        batch_events: std::env::var(BATCH_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_BATCH_EVENTS),
        progress: !a.no_progress && io::stderr().is_terminal(),
        enrich: enrich.filter(|e| !e.is_empty()),
    };
    let mut rejects: Option<Rejects> = match &a.rejects {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create rejects file {}", p.display()))?,
        )),
        None => None,
    };
    run_inputs(&mut store, &specs, &opts, rejects.as_mut())
}

/// Ingests every input, printing a summary per input and a total on stderr. Keeps going after
/// an input fails; the exit code is 1 if any did.
pub fn run_inputs(
    store: &mut Store,
    specs: &[source::InputSpec],
    opts: &Options,
    mut rejects: Option<&mut Rejects>,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let stderr = io::stderr();
    let (mut lines, mut events, mut ignored, mut rejected, mut failed) = (0u64, 0u64, 0u64, 0u64, 0usize);
    let mut book = match &opts.enrich {
        Some(_) => AddressBook::new(store.enriched_addresses()?),
        None => AddressBook::default(),
    };
    for spec in specs {
        match ingest::ingest(store, spec, opts, rejects.as_deref_mut(), &mut book) {
            Ok(s) => {
                lines += s.lines;
                events += s.events;
                ignored += s.ignored_total();
                rejected += s.rejected_total();
                ingest::write_summary(&mut stderr.lock(), &s)?;
            }
            Err(e) => {
                failed += 1;
                writeln!(stderr.lock(), "error: {e:#}")?;
                // The failed input's uncommitted batches may hold addresses the book now counts
                // as known: start again from what the store really has.
                if opts.enrich.is_some() {
                    book = AddressBook::new(store.enriched_addresses()?);
                }
            }
        }
    }
    if let Some(w) = rejects {
        w.flush().context("cannot write the rejects file")?;
    }
    store.checkpoint()?;
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        stderr.lock(),
        "total: {} inputs, {lines} lines, {events} events stored, {ignored} ignored, {rejected} rejected in {secs:.2}s ({:.0} lines/s){}",
        specs.len(),
        lines as f64 / secs.max(1e-9),
        if failed > 0 { format!(", {failed} inputs failed") } else { String::new() }
    )?;
    if opts.enrich.is_some() {
        writeln!(
            stderr.lock(),
            "enrichment: {} new addresses looked up, {} events of known addresses",
            book.lookups,
            book.hits
        )?;
    }
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
