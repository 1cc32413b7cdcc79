//! `ipscope ingest PATH...`

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ipscope_enrich::AddressBook;
use ipscope_formats::{ClockConfig, ParseOptions, YearRule, Zone};
use ipscope_ingest::{DEFAULT_BATCH_EVENTS, InputSpec, NoProgress, Options, Progress, Summary};
use ipscope_store::Backend;

use super::Ctx;
use crate::cli::IngestArgs;

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

/// Events per batch: `IPSCOPE_BATCH_EVENTS` or the default.
pub fn batch_events() -> usize {
    std::env::var(BATCH_ENV).ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_BATCH_EVENTS)
}

pub fn run(ctx: &Ctx, a: IngestArgs) -> Result<ExitCode> {
    let specs = ipscope_ingest::source::expand(&a.paths)?;
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
    let mut store = crate::daemon::open_writable(ctx, &data, true)?;
    let opts = Options {
        format: a.format,
        parse: parse_options(ctx, &a)?,
        batch_events: batch_events(),
        enrich: enrich.filter(|e| !e.is_empty()).map(Arc::new),
    };
    let mut rejects: Option<BufWriter<File>> = match &a.rejects {
        Some(p) => Some(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create rejects file {}", p.display()))?,
        )),
        None => None,
    };
    let progress = !a.no_progress && io::stderr().is_terminal();
    run_inputs(store.as_mut(), &specs, &opts, rejects.as_mut(), progress)
}

/// A progress bar per input on stderr.
struct Bar(std::sync::Mutex<ProgressBar>);

impl Progress for Bar {
    fn start(&self, name: &str, total: Option<u64>) {
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(name.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = bar;
    }
    fn set(&self, position: u64) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).set_position(position);
    }
    fn finish(&self) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).finish_and_clear();
    }
}

/// Ingests every input, printing a summary per input and a total on stderr. Keeps going after
/// an input fails; the exit code is 1 if any did.
pub fn run_inputs(
    store: &mut dyn Backend,
    specs: &[InputSpec],
    opts: &Options,
    mut rejects: Option<&mut BufWriter<File>>,
    progress: bool,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let stderr = io::stderr();
    let (mut lines, mut events, mut ignored, mut rejected, mut failed) = (0u64, 0u64, 0u64, 0u64, 0usize);
    let mut book = match &opts.enrich {
        Some(_) => AddressBook::new(store.enriched_addresses()?),
        None => AddressBook::default(),
    };
    let bar = Bar(std::sync::Mutex::new(ProgressBar::hidden()));
    let shown: &dyn Progress = if progress { &bar } else { &NoProgress };
    for spec in specs {
        let mut sink = rejects.as_deref_mut().map(|w| {
            move |name: &str, line: u64, r: &ipscope_formats::Reject, text: &[u8]| -> io::Result<()> {
                let text = String::from_utf8_lossy(text);
                writeln!(w, "{name}:{line}: {r}\t{}", text.trim_end_matches('\r'))
            }
        });
        let sink = sink.as_mut().map(|s| s as &mut ipscope_ingest::RejectSink<'_>);
        match ipscope_ingest::ingest(store, spec, opts, sink, &mut book, shown) {
            Ok(s) => {
                lines += s.lines;
                events += s.events;
                ignored += s.ignored_total();
                rejected += s.rejected_total();
                write_summary(&mut stderr.lock(), &s)?;
            }
            Err(e) => {
                failed += 1;
                writeln!(stderr.lock(), "error: {:#}", anyhow::Error::from(e))?;
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

/// Writes the per-input summary lines to `w` (stderr).
pub fn write_summary(w: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
    if s.status == "skipped" {
        return writeln!(w, "{}: skipped (the running daemon is storing it)", s.name);
    }
    writeln!(
        w,
        "{}: {} ({}), {} lines, {} events, {} ignored, {} rejected{}",
        s.name,
        s.status,
        s.format,
        s.lines,
        s.events,
        s.ignored_total(),
        s.rejected_total(),
        if s.addresses > 0 { format!(", {} new addresses enriched", s.addresses) } else { String::new() }
    )?;
    let detail = |m: &std::collections::BTreeMap<&str, u64>| {
        let mut v: Vec<_> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
    };
    if !s.rejected.is_empty() {
        writeln!(w, "  rejected: {}", detail(&s.rejected))?;
    }
    if !s.ignored.is_empty() {
        writeln!(w, "  ignored: {}", detail(&s.ignored))?;
    }
    Ok(())
}
