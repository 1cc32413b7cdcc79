//! `migrate --to clickhouse://...`: copies the embedded store (events, inputs' progress,
//! enrichment) into a ClickHouse cluster, exactly once and resumably, leaving it as it was.
//!
//! The embedded store is only read (through a running daemon when one owns it), a chunk at a
//! time: per input, consecutive UTC days of its events holding up to `--chunk-events` together,
//! or an equal time slice of a day holding more. Each chunk is one [`Cluster::commit_batch`] of a cluster input of its own
//! (a fresh id); every commit but an input's last carries a migration record saying how far the
//! copy got, the last one the embedded input's own progress. Why that is exactly once, and why
//! no `ingest` ever takes a migration record for a log's progress, is in
//! `ipscope_clickhouse::Migration`'s module (crates/ipscope-clickhouse/src/migrate.rs).
//! Addresses follow the events, a range of them at a time, each row stored only where the
//! cluster lacks it ([`Cluster::insert_missing_addresses`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ipscope_clickhouse::{Cluster, Migration, SourceKey};
use ipscope_store::{Backend, EventBatch, GEO_COLUMNS, InputProgress, InputRecord, Value};

use super::Ctx;
use crate::cli::MigrateArgs;

const DAY_US: i64 = 86_400_000_000;
/// How often a long input's copy says how far it got.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// One thing to copy: an embedded input, or the events of no recorded input.
struct Unit {
    key: SourceKey,
    /// The embedded input (`None`: the events whose input is not recorded).
    record: Option<InputRecord>,
    /// Its events per UTC day: (day start µs, events).
    days: Vec<(i64, u64)>,
}

impl Unit {
    fn name(&self) -> String {
        self.record.as_ref().map_or_else(|| "events without an input".to_owned(), |r| r.path.clone())
    }

    fn format(&self) -> &str {
        self.record.as_ref().map_or("", |r| r.format.as_str())
    }

    /// The embedded store's condition selecting its events.
    fn filter(&self) -> String {
        match &self.record {
            Some(r) => format!("input_id = {}", r.id),
            None => "(input_id IS NULL OR input_id NOT IN (SELECT id FROM inputs))".to_owned(),
        }
    }

    fn events(&self) -> u64 {
        self.days.iter().map(|d| d.1).sum()
    }
}

/// The time intervals `[from, until)` still to copy, in order and disjoint: consecutive UTC
/// days after `done_until` together while they hold at most `per` events, a day holding more
/// split in equal time slices. (Each is one batch: a commit per day would make a store of
/// sparse days slow to copy.)
fn plan(days: &[(i64, u64)], done_until: i64, per: u64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    // The interval being grown: its start and its events; and where its last day ends.
    let mut open: Option<(i64, u64)> = None;
    let mut open_end = 0;
    for &(day, n) in days {
        let end = day + DAY_US;
        if end <= done_until {
            continue;
        }
        let start = day.max(done_until);
        if n > per {
            if let Some((a, _)) = open.take() {
                out.push((a, start));
            }
            let parts = n.div_ceil(per);
            let step = ((end - start) / parts as i64).max(1);
            for i in 0..parts as i64 {
                let a = start + step * i;
                let b = if i + 1 == parts as i64 { end } else { a + step };
                out.push((a, b));
            }
            continue;
        }
        open = match open {
            Some((a, m)) if m + n <= per => Some((a, m + n)),
            Some((a, _)) => {
                out.push((a, start));
                Some((start, n))
            }
            None => Some((start, n)),
        };
        open_end = end;
    }
    if let Some((a, _)) = open {
        out.push((a, open_end));
    }
    out
}

/// The SELECT list of a chunk: every column of `events` with the Arrow type the ingest's
/// converter gives it (enums as text), `input_id` the cluster's.
fn select_list(cluster_input: i32) -> String {
    EventBatch::event_columns()
        .iter()
        .map(|&(c, t)| match (c, t) {
            ("input_id", _) => format!("CAST({cluster_input} AS INTEGER) AS input_id"),
            (_, "source_format" | "event_kind" | "outcome") => format!("CAST({c} AS VARCHAR) AS {c}"),
            _ => format!("CAST({c} AS {t}) AS {c}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SELECT list of `addresses`, typed as the converter types them.
fn address_list() -> String {
    let mut cols = vec!["CAST(ip AS VARCHAR) AS ip".to_owned()];
    for &c in GEO_COLUMNS {
        let t = EventBatch::event_columns().iter().find(|(n, _)| *n == c).map_or("VARCHAR", |(_, t)| *t);
        cols.push(format!("CAST({c} AS {t}) AS {c}"));
    }
    cols.push("CAST(enriched_at AS TIMESTAMP) AS enriched_at".to_owned());
    cols.join(", ")
}

/// A text literal for DuckDB.
fn duck_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// The embedded input `rec`'s progress, to be the cluster input `id`'s latest record.
fn real_progress(rec: &InputRecord, id: i32, committed: Option<u64>) -> InputProgress {
    let mut p = InputProgress::resume(rec, &rec.path);
    p.id = id;
    p.recorded = committed.is_some();
    p.committed_bytes = committed.unwrap_or(0);
    p
}

/// Whether the cluster record `c` is the embedded input `e`'s log (the same identity).
fn same_input(c: &InputRecord, e: &InputRecord) -> bool {
    c.format == e.format
        && c.head_len == e.head_len
        && if e.head_len > 0 { c.head_hash == e.head_hash } else { c.path == e.path }
}

/// What happened to one unit.
enum Outcome {
    Copied { events: u64 },
    Skipped,
    Refused,
}

struct Migrator<'a> {
    source: &'a dyn Backend,
    cluster: Cluster,
    source_name: String,
    per: u64,
}

impl Migrator<'_> {
    fn say(&self, line: &str) -> Result<()> {
        writeln!(std::io::stderr().lock(), "{line}")?;
        Ok(())
    }

    fn count(&self, sql: &str) -> Result<u64> {
        let t = self.source.query(sql)?;
        Ok(t.rows.first().and_then(|r| int(r.first())).unwrap_or(0).max(0) as u64)
    }

    /// Copies one unit, or resumes its copy, or skips it (see the module documentation).
    fn unit(&mut self, u: &Unit, cluster_inputs: &[InputRecord]) -> Result<Outcome> {
        let started = Instant::now();
        let name = u.name();
        let label = crate::output::escape::display(&name);
        // A copy in progress of this very input?
        // A copy of this very input in progress: its state as the ledger holds it once the
        // killed run's unfinished attempts are cleaned up.
        let mut resumed = None;
        if let Some(c) = cluster_inputs.iter().find(|c| Migration::of_record(c).is_some_and(|m| m.migrate == u.key)) {
            let rec = self.cluster.recovered_input(c.id).with_context(|| format!("{label}: cluster input {}", c.id))?;
            match rec.as_ref().map(|r| (r, Migration::of_record(r))) {
                Some((r, Some(m))) => resumed = Some((r.id, r.bytes, m)),
                // The last batch's commit (the input's own progress) landed after the snapshot.
                Some((r, None)) => {
                    self.say(&format!("{label}: already in the cluster (input {}), skipped", r.id))?;
                    return Ok(Outcome::Skipped);
                }
                None => {}
            }
        }
        let (id, mut committed, mut state) = match resumed {
            Some((id, _, m)) if m.done_until_us == i64::MAX => {
                self.say(&format!("{label}: already in the cluster (input {id}), skipped"))?;
                return Ok(Outcome::Skipped);
            }
            Some((id, bytes, m)) => {
                // What the committed batches hold must be what the embedded store holds before
                // the point they reached; else the store changed since, and resuming would leave
                // a gap or copy events twice.
                let have =
                    self.cluster.input_event_count(id).with_context(|| format!("{label}: cluster input {id}"))?;
                let want = self.count(&format!(
                    "SELECT count(*) FROM events WHERE {} AND ts < make_timestamp({})",
                    u.filter(),
                    m.done_until_us
                ))?;
                if have != want {
                    bail!(
                        "{label}: the embedded store changed since this input's copy began: the cluster's input {id} \
                         holds {have} of its events, the embedded store now has {want} before the point the copy \
                         reached (stop writing to the embedded store while migrating; to start this input over, drop \
                         the cluster database or copy into another one)"
                    );
                }
                (id, Some(bytes), m)
            }
            None => {
                if let Some(e) = &u.record
                    && let Some(c) = cluster_inputs.iter().find(|c| same_input(c, e))
                {
                    if c.bytes >= e.bytes && c.lines >= e.lines {
                        self.say(&format!("{label}: already in the cluster (input {}), skipped", c.id))?;
                        return Ok(Outcome::Skipped);
                    }
                    self.say(&format!(
                        "{label}: not copied: the cluster holds this log as input {} with less of it ({} of {} bytes); \
                         ingest the original log with --store to complete it there",
                        c.id, c.bytes, e.bytes
                    ))?;
                    return Ok(Outcome::Refused);
                }
                if u.record.is_none() && u.days.is_empty() {
                    return Ok(Outcome::Skipped);
                }
                let id = self.cluster.new_input_id().with_context(|| format!("{label}: a new cluster input id"))?;
                (id, None, Migration::new(u.key.clone(), &self.source_name))
            }
        };
        let from = state.copied;
        let chunks = plan(&u.days, state.done_until_us, self.per);
        let total = u.events();
        let mut last_said = Instant::now();
        let n = chunks.len();
        for (i, (a, b)) in chunks.into_iter().enumerate() {
            let last = i + 1 == n;
            let sql = format!(
                "SELECT {} FROM events WHERE {} AND ts >= make_timestamp({a}) AND ts < make_timestamp({b})",
                select_list(id),
                u.filter()
            );
            let batch = EventBatch::from_chunks(self.source.query_arrow(&sql)?);
            let rows = batch.len() as u64;
            if rows == 0 && !last {
                continue;
            }
            state.done_until_us = b;
            state.copied += rows;
            let mut progress = match (&u.record, last) {
                (Some(rec), true) => real_progress(rec, id, committed),
                (None, true) => {
                    state.done_until_us = i64::MAX;
                    state.progress(id, &name, u.format(), committed)
                }
                _ => state.progress(id, &name, u.format(), committed),
            };
            self.cluster
                .commit_batch(&mut progress, batch)
                .with_context(|| format!("{label}: copying into cluster input {id}"))?;
            committed = Some(progress.bytes);
            if !last && last_said.elapsed() >= PROGRESS_EVERY {
                let line = format!("{label}: {} of {total} events copied…", state.copied);
                self.say(&line)?;
                last_said = Instant::now();
            }
        }
        if n == 0 {
            // Nothing (left) to copy: the input's own progress is all there is to commit.
            let mut progress = match &u.record {
                Some(rec) => real_progress(rec, id, committed),
                None => {
                    state.done_until_us = i64::MAX;
                    state.progress(id, &name, u.format(), committed)
                }
            };
            self.cluster
                .commit_batch(&mut progress, EventBatch::default())
                .with_context(|| format!("{label}: recording cluster input {id}"))?;
        }
        let copied = state.copied - from;
        let resumed = if from > 0 { format!(", resumed after {from}") } else { String::new() };
        let line = format!(
            "{label}: {copied} events copied{resumed} in {:.2}s ({}embedded input {} → cluster input {id})",
            started.elapsed().as_secs_f64(),
            if u.format().is_empty() { String::new() } else { format!("{}, ", u.format()) },
            u.record.as_ref().map_or_else(|| "none".to_owned(), |r| r.id.to_string()),
        );
        self.say(&line)?;
        Ok(Outcome::Copied { events: copied })
    }

    /// Copies the addresses the cluster lacks, a range of `per` addresses at a time.
    fn addresses(&mut self) -> Result<u64> {
        let t = self.source.query(&format!(
            "SELECT ip FROM (SELECT ip, row_number() OVER (ORDER BY ip) AS rn FROM (SELECT DISTINCT ip FROM addresses)) \
             WHERE rn % {} = 1 ORDER BY ip",
            self.per
        ))?;
        let bounds: Vec<String> =
            t.rows.iter().filter_map(|r| r.first().and_then(Value::as_str).map(str::to_owned)).collect();
        let mut added = 0;
        for (i, lo) in bounds.iter().enumerate() {
            let hi = bounds.get(i + 1);
            let upper = hi.map_or_else(String::new, |h| format!(" AND ip < {}", duck_text(h)));
            let sql = format!("SELECT {} FROM addresses WHERE ip >= {}{upper}", address_list(), duck_text(lo));
            for rows in self.source.query_arrow(&sql)? {
                added += self
                    .cluster
                    .insert_missing_addresses(&rows, lo, hi.map(String::as_str))
                    .context("copying the addresses' enrichment")?;
            }
        }
        Ok(added)
    }
}

/// The units to copy, in the embedded inputs' order, then the events of no recorded input.
fn units(source: &dyn Backend) -> Result<Vec<Unit>> {
    let mut inputs = source.inputs()?;
    inputs.sort_by_key(|r| r.id);
    let first: HashMap<i64, i64> = source
        .query("SELECT id, epoch_us(first_ingest) FROM inputs")?
        .rows
        .iter()
        .filter_map(|r| Some((int(r.first())?, int(r.get(1))?)))
        .collect();
    let mut days: BTreeMap<Option<i32>, Vec<(i64, u64)>> = BTreeMap::new();
    let t = source.query(
        "SELECT input_id, epoch_us(date_trunc('day', ts)) AS day, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL",
    )?;
    let known: std::collections::HashSet<i32> = inputs.iter().map(|r| r.id).collect();
    for r in &t.rows {
        let input = int(r.first()).and_then(|i| i32::try_from(i).ok()).filter(|i| known.contains(i));
        let (Some(day), Some(n)) = (int(r.get(1)), int(r.get(2))) else { continue };
        let list = days.entry(input).or_default();
        match list.last_mut() {
            Some(l) if l.0 == day => l.1 += n as u64,
            _ => list.push((day, n as u64)),
        }
    }
    let mut out: Vec<Unit> = inputs
        .into_iter()
        .map(|rec| Unit {
            key: SourceKey {
                input: Some(rec.id),
                first_ingest_us: first.get(&i64::from(rec.id)).copied().unwrap_or(0),
                head_len: rec.head_len,
                head_hash: rec.head_hash,
            },
            days: days.remove(&Some(rec.id)).unwrap_or_default(),
            record: Some(rec),
        })
        .collect();
    if let Some(mut orphans) = days.remove(&None) {
        orphans.sort_unstable();
        orphans.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                true
            } else {
                false
            }
        });
        out.push(Unit {
            key: SourceKey { input: None, first_ingest_us: 0, head_len: 0, head_hash: 0 },
            record: None,
            days: orphans,
        });
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, a: MigrateArgs) -> Result<ExitCode> {
    let data = ctx.data_dir()?;
    let source = crate::daemon::open_embedded_read_only(ctx, &data)?;
    let cluster = Cluster::connect(&a.to).with_context(|| format!("store {}", a.to))?;
    cluster.create_schema().with_context(|| format!("creating the ipscope tables in {}", a.to))?;
    let abandoned = cluster.recover_abandoned_inputs().with_context(|| format!("cleaning up {}", a.to))?;
    if abandoned > 0 {
        tracing::info!(abandoned, "deleted the rows of inputs whose first batch never committed");
    }
    let cluster_inputs = cluster.inputs().with_context(|| format!("reading the ledger of {}", a.to))?;
    let file = source.path().unwrap_or_else(|| data.join(ipscope_store::DB_FILE));
    let source_name = std::fs::canonicalize(&file).unwrap_or(file).display().to_string();
    let started = Instant::now();
    let units = units(source.as_ref())?;
    let mut m = Migrator { source: source.as_ref(), cluster, source_name: source_name.clone(), per: a.chunk_events };
    let (mut events, mut copied_inputs, mut skipped, mut refused) = (0u64, 0, 0, 0);
    for u in &units {
        match m.unit(u, &cluster_inputs)? {
            Outcome::Copied { events: n } => {
                events += n;
                copied_inputs += 1;
            }
            Outcome::Skipped => skipped += 1,
            Outcome::Refused => refused += 1,
        }
    }
    let addresses = m.addresses()?;
    let secs = started.elapsed().as_secs_f64();
    let line = if copied_inputs == 0 && addresses == 0 {
        format!(
            "nothing to migrate: the cluster already holds every input of {source_name} ({skipped} skipped{})",
            if refused > 0 { format!(", {refused} not copied") } else { String::new() }
        )
    } else {
        format!(
            "migrated {events} events of {copied_inputs} input{} and {addresses} address{} from {source_name} to {} \
             in {secs:.2}s ({:.0} events/s){}{}",
            if copied_inputs == 1 { "" } else { "s" },
            if addresses == 1 { "" } else { "es" },
            a.to,
            events as f64 / secs.max(1e-9),
            if skipped > 0 { format!("; {skipped} skipped (already in the cluster)") } else { String::new() },
            if refused > 0 { format!("; {refused} not copied (see above)") } else { String::new() },
        )
    };
    m.say(&line)?;
    Ok(if refused > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_cover_the_days_after_the_resume_point_without_overlap() {
        let d = 19_000 * DAY_US;
        let days = [(d, 10), (d + 2 * DAY_US, 25), (d + 3 * DAY_US, 5)];
        // Sparse days go together while they fit.
        assert_eq!(plan(&days, i64::MIN, 100), vec![(d, d + 4 * DAY_US)]);
        assert_eq!(plan(&days, i64::MIN, 30), vec![(d, d + 2 * DAY_US), (d + 2 * DAY_US, d + 4 * DAY_US)]);
        // A busy day is sliced; the intervals follow each other without overlap or gap.
        let p = plan(&days, i64::MIN, 10);
        assert_eq!(p.first().map(|x| x.0), Some(d));
        assert_eq!(p.last().map(|x| x.1), Some(d + 4 * DAY_US));
        for w in p.windows(2) {
            assert_eq!(w[0].1, w[1].0, "{p:?}");
        }
        assert_eq!(p.len(), 1 + 3 + 1, "{p:?}");
        // Resuming inside the second day: only what is left.
        let mid = d + 2 * DAY_US + 1000;
        assert_eq!(plan(&days, mid, 100), vec![(mid, d + 4 * DAY_US)]);
        assert!(plan(&days, d + 4 * DAY_US, 100).is_empty());
    }
}
