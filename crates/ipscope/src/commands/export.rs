//! `export`: events with their enrichment (the `events_geo` view) as Parquet partitioned by day,
//! CSV or JSON lines, with the report filters — for notebooks and other tools.
//!
//! The events are read a chunk at a time as Arrow batches (at most about [`CHUNK_ROWS`] rows: a
//! day, or an equal slice of a busier day) from the store, or from a running daemon, which owns
//! the database, over its API; DuckDB's own writers put them in files
//! (`ipscope_store::export::FileWriter`). Memory stays bounded by a chunk.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{Days, NaiveDate};
use ipscope_report::local::{LocalTime, day_start};
use ipscope_report::{Dialect, Params};
use ipscope_store::export::{FileFormat, FileWriter};
use ipscope_store::{Query, Value};

use super::Ctx;
use super::query::params;
use crate::cli::{ExportArgs, ExportFormat};

/// Rows read and written at a time, about: a day's events, or a slice of a busier day.
pub const CHUNK_ROWS: u64 = 250_000;

/// One piece of the export: a local day, or a time slice of one.
struct Chunk {
    day: NaiveDate,
    part: u32,
    since: i64,
    until: i64,
}

/// The chunks of the events `p` selects: per local day (in `p.tz`), split in equal time slices
/// when a day holds more than [`CHUNK_ROWS`] events.
fn chunks(store: &dyn Query, p: &Params) -> Result<(Vec<Chunk>, u64)> {
    let d = Dialect::DuckDb;
    let lt = LocalTime::for_report(store, p)?;
    let t = store.query(&format!(
        "SELECT {day} AS day, count(*) AS n FROM {from} WHERE {filter} GROUP BY 1 ORDER BY 1",
        day = d.day(&lt.sql(d, "ts")),
        from = p.filter.from(),
        filter = p.filter.sql(d),
    ))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut out = Vec::new();
    let mut total = 0;
    for row in &t.rows {
        let (Some(Value::Date(days)), Some(n)) = (row.first(), row.get(1).and_then(Value::as_u64)) else { continue };
        total += n;
        let day = epoch.checked_add_signed(chrono::Duration::days(i64::from(*days))).unwrap_or(epoch);
        let mut since = day_start(&p.tz, day);
        let mut until = day_start(&p.tz, day.checked_add_days(Days::new(1)).unwrap_or(day));
        if let Some(s) = p.filter.since {
            since = since.max(s);
        }
        if let Some(u) = p.filter.until {
            until = until.min(u);
        }
        let parts = n.div_ceil(CHUNK_ROWS).max(1);
        let step = ((until - since) / parts as i64).max(1);
        for i in 0..parts {
            let a = since + step * i as i64;
            let b = if i + 1 == parts { until } else { a + step };
            out.push(Chunk { day, part: i as u32, since: a, until: b });
        }
    }
    Ok((out, total))
}

/// The events of one chunk, enum columns as text, in time order; events of the same instant by
/// their other columns in order, so a store exports the same bytes however DuckDB's threads
/// happened to scan it (a file or the daemon).
fn chunk_sql(p: &Params, c: &Chunk) -> String {
    let d = Dialect::DuckDb;
    let mut f = p.filter.clone();
    f.since = Some(c.since);
    f.until = Some(c.until);
    format!(
        "SELECT * REPLACE (CAST(format AS VARCHAR) AS format, CAST(kind AS VARCHAR) AS kind, \
           CAST(outcome AS VARCHAR) AS outcome) \
         FROM events_geo WHERE {} ORDER BY ALL",
        f.sql(d)
    )
}

pub fn run(ctx: &Ctx, a: ExportArgs) -> Result<ExitCode> {
    let p = params(ctx, &a.report)?;
    let store = crate::daemon::open_read_only(ctx, &ctx.data_dir()?)?;
    let started = std::time::Instant::now();
    let (chunks, total) = chunks(store.as_ref(), &p)?;
    let writer = FileWriter::new()?;
    let (rows, files) = match a.format {
        ExportFormat::Parquet => parquet(store.as_ref(), &p, &chunks, &writer, &a.output)?,
        ExportFormat::Csv => text(store.as_ref(), &p, &chunks, &writer, &a.output, FileFormat::Csv)?,
        ExportFormat::Json => text(store.as_ref(), &p, &chunks, &writer, &a.output, FileFormat::Json)?,
    };
    if rows != total {
        // Events ingested while exporting (a running daemon) land in a chunk or not: say so.
        tracing::info!(rows, total, "the store changed during the export");
    }
    writeln!(
        std::io::stderr(),
        "exported {rows} events in {files} file{} to {} in {:.2}s",
        if files == 1 { "" } else { "s" },
        a.output.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `OUT/day=YYYY-MM-DD/part-NNNN.parquet` (Hive partitioning: pyarrow, DuckDB, Spark and pandas
/// read `day` back as a column).
fn parquet(store: &dyn Query, p: &Params, chunks: &[Chunk], w: &FileWriter, out: &Path) -> Result<(u64, usize)> {
    if out.as_os_str() == "-" {
        bail!("--format parquet writes a directory: give --output DIR");
    }
    if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!(
            "{} exists and is not an empty directory (Parquet export writes one directory per day into it)",
            out.display()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let (mut rows, mut files) = (0, 0);
    for c in chunks {
        let batches = store.query_arrow(&chunk_sql(p, c))?;
        if batches.iter().all(|b| b.num_rows() == 0) {
            continue;
        }
        let dir = out.join(format!("day={}", c.day));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let file = dir.join(format!("part-{:04}.parquet", c.part));
        rows += w
            .write(&batches, FileFormat::Parquet, false, &file)
            .with_context(|| format!("cannot write {}", file.display()))?;
        files += 1;
    }
    Ok((rows, files))
}

/// One CSV (a header line first) or JSON-lines file, or stdout for `-`, chunk after chunk.
fn text(
    store: &dyn Query,
    p: &Params,
    chunks: &[Chunk],
    w: &FileWriter,
    out: &Path,
    format: FileFormat,
) -> Result<(u64, usize)> {
    let stdout = out.as_os_str() == "-";
    // Chunks are written beside the output (or in a temporary directory for stdout) and
    // appended; a file output is renamed into place at the end, whole.
    let tmp_dir = if stdout { tempfile::tempdir()? } else { tempfile::tempdir_in(parent(out))? };
    let piece = tmp_dir.path().join("chunk");
    let target: PathBuf = tmp_dir.path().join("all");
    let mut dest: Box<dyn Write> = if stdout {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(&target).with_context(|| format!("cannot write in {}", parent(out).display()))?,
        ))
    };
    let mut rows = 0;
    for c in chunks {
        let batches = store.query_arrow(&chunk_sql(p, c))?;
        if batches.iter().all(|b| b.num_rows() == 0) {
            continue;
        }
        rows += w.write(&batches, format, rows == 0, &piece)?;
        let mut f = std::fs::File::open(&piece)?;
        std::io::copy(&mut f, &mut dest)?;
    }
    dest.flush()?;
    drop(dest);
    if !stdout {
        std::fs::rename(&target, out).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok((rows, 1))
}

fn parent(p: &Path) -> &Path {
    p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}
