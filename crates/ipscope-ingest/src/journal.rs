//! The systemd journal: sshd's entries, followed with `journalctl --follow --output=json`, the
//! cursor of the last entry of each batch committed in the same transaction as its events.
//!
//! Debian 12+ has no `/var/log/auth.log` by default: sshd logs only to the journal (Debian 13's
//! per-connection process as `sshd-session`). `journalctl` is the journal's stable interface
//! (the file format is internal to systemd), so it is run as a child process rather than
//! reading journal files ourselves. Each entry becomes the RFC 3339 syslog line the sshd parser
//! reads (`2026-11-30T01:02:03.123456+00:00 host sshd[pid]: message`). After a restart the
//! journal is read `--after-cursor` the committed cursor: nothing is lost and nothing counted
//! twice; on the very first start it is read from its beginning.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use ipscope_formats::{FormatKind, ParseOptions};
use ipscope_store::{Backend, InputProgress};
use serde::Deserialize;
use tracing::{info, warn};

use crate::batcher::Batcher;
use crate::live::{CommitError, Context};
use crate::metrics::SourceKind;
use crate::source::MAX_LINE_BYTES;
use crate::{IngestError, Result};

/// The programs whose entries are read by default: OpenSSH's daemon under its three names.
pub const DEFAULT_IDENTIFIERS: &[&str] = &["sshd", "sshd-session", "sshd-auth"];
/// Entries buffered between `journalctl` and the parser.
const QUEUE: usize = 65_536;
/// Wait before running `journalctl` again after it ended.
const RESTART_DELAY: Duration = Duration::from_secs(5);

/// Which journal, and which entries.
#[derive(Clone, Debug)]
pub struct JournalConfig {
    /// The `journalctl` program.
    pub journalctl: PathBuf,
    /// Read this journal directory instead of the system journal (`journalctl --directory`).
    pub directory: Option<PathBuf>,
    /// Read these journal files (`journalctl --file`), e.g. from `systemd-journal-remote`.
    pub files: Vec<PathBuf>,
    /// `SYSLOG_IDENTIFIER`s to read.
    pub identifiers: Vec<String>,
    pub parse: ParseOptions,
}

impl JournalConfig {
    /// The input's name in the ledger: `journal`, or the directory / files read.
    pub fn input_name(&self) -> String {
        match (&self.directory, self.files.as_slice()) {
            (Some(d), _) => format!("journal:{}", d.display()),
            (None, []) => "journal".to_owned(),
            (None, files) => {
                format!("journal:{}", files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(","))
            }
        }
    }

    fn command(&self, cursor: Option<&str>) -> Command {
        let mut c = Command::new(&self.journalctl);
        // `--follow` alone shows only the last 10 entries, even after a cursor: `--no-tail`.
        c.args(["--follow", "--no-tail", "--output=json", "--no-pager", "--quiet"]);
        if let Some(d) = &self.directory {
            c.arg("--directory").arg(d);
        }
        for f in &self.files {
            c.arg("--file").arg(f);
        }
        if let Some(cur) = cursor {
            c.arg(format!("--after-cursor={cur}"));
        }
        for id in &self.identifiers {
            c.arg(format!("SYSLOG_IDENTIFIER={id}"));
        }
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    }
}

/// The fields of a journal entry we use. `MESSAGE` is a string, or an array of bytes when it is
/// not valid UTF-8.
#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "__CURSOR")]
    cursor: String,
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: String,
    #[serde(rename = "_HOSTNAME")]
    hostname: Option<String>,
    #[serde(rename = "SYSLOG_IDENTIFIER")]
    identifier: Option<String>,
    #[serde(rename = "_PID")]
    pid: Option<String>,
    #[serde(rename = "SYSLOG_PID")]
    syslog_pid: Option<String>,
    #[serde(rename = "MESSAGE")]
    message: Option<serde_json::Value>,
}

/// An entry as the syslog line the sshd parser reads; `None` for entries without a message.
fn entry_line(e: &Entry) -> Option<Vec<u8>> {
    let micros: i64 = e.realtime.parse().ok()?;
    let ts = chrono::DateTime::from_timestamp_micros(micros)?;
    let msg: Vec<u8> = match e.message.as_ref()? {
        serde_json::Value::String(s) => s.as_bytes().to_vec(),
        serde_json::Value::Array(bytes) => bytes.iter().filter_map(|b| b.as_u64().map(|b| b as u8)).collect(),
        _ => return None,
    };
    let mut line = ts.format("%Y-%m-%dT%H:%M:%S%.6f+00:00 ").to_string().into_bytes();
    line.extend_from_slice(e.hostname.as_deref().unwrap_or("localhost").as_bytes());
    line.push(b' ');
    line.extend_from_slice(e.identifier.as_deref().unwrap_or("sshd").as_bytes());
    if let Some(pid) = e.syslog_pid.as_deref().or(e.pid.as_deref()) {
        line.push(b'[');
        line.extend_from_slice(pid.as_bytes());
        line.push(b']');
    }
    line.extend_from_slice(b": ");
    // One entry is one line: a multi-line message is joined.
    line.extend(msg.iter().map(|b| if *b == b'\n' { b' ' } else { *b }));
    line.truncate(MAX_LINE_BYTES);
    Some(line)
}

/// Runs until `ctx.stop` is set; then commits what was read, stops `journalctl` and returns.
pub fn run(ctx: &Context, cfg: &JournalConfig) -> Result<()> {
    let name = cfg.input_name();
    let store_err = |source| IngestError::Store { name: name.clone(), source };
    let mut progress = match ctx.reader.find_named_input(&name).map_err(store_err)? {
        Some(rec) => InputProgress::resume(&rec, &name),
        None => {
            InputProgress { path: name.clone(), format: FormatKind::Sshd.as_str().to_owned(), ..Default::default() }
        }
    };
    let parser = ipscope_formats::new_parser(FormatKind::Sshd, &cfg.parse, crate::batcher::now_micros());
    let mut batcher = Batcher::new(parser, progress.id, ctx.batch_events, progress.bytes);
    while !ctx.stopping() {
        let mut child = spawn(cfg, progress.cursor.as_deref(), &name)?;
        info!(journal = %name, after = ?progress.cursor, "reading the journal");
        let outcome = pump(ctx, &name, &mut child, &mut batcher, &mut progress);
        let _ = child.kill();
        let _ = child.wait();
        let conflict = matches!(outcome, Err(CommitError::Conflict));
        if let Err(CommitError::Other(e)) = outcome {
            warn!(journal = %name, error = %e, "journal source failed");
        }
        if conflict || batcher.has_pending() {
            // Start over from what is committed.
            if let Some(rec) = ctx.reader.find_named_input(&name).map_err(store_err)? {
                progress = InputProgress::resume(&rec, &name);
            }
            let parser = ipscope_formats::new_parser(FormatKind::Sshd, &cfg.parse, crate::batcher::now_micros());
            batcher = Batcher::new(parser, progress.id, ctx.batch_events, progress.bytes);
        }
        if !ctx.stopping() {
            sleep_unless_stopped(ctx, RESTART_DELAY);
        }
    }
    Ok(())
}

fn spawn(cfg: &JournalConfig, cursor: Option<&str>, name: &str) -> Result<Child> {
    cfg.command(cursor).spawn().map_err(|source| IngestError::Source {
        what: format!("{name}: cannot run {}", cfg.journalctl.display()),
        source,
    })
}

fn sleep_unless_stopped(ctx: &Context, d: Duration) {
    let step = Duration::from_millis(100);
    let mut left = d;
    while !ctx.stopping() && !left.is_zero() {
        std::thread::sleep(step.min(left));
        left = left.saturating_sub(step);
    }
}

/// Reads entries from a running `journalctl` until it ends or the daemon stops.
fn pump(
    ctx: &Context,
    name: &str,
    child: &mut Child,
    batcher: &mut Batcher,
    progress: &mut InputProgress,
) -> Result<(), CommitError> {
    let Some(stdout) = child.stdout.take() else { return Ok(()) };
    let stderr = child.stderr.take();
    let (tx, rx) = mpsc::sync_channel::<String>(QUEUE);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let poll = ctx.flush_after.min(Duration::from_millis(200));
    loop {
        match rx.recv_timeout(poll) {
            Ok(json) => {
                let Ok(entry) = serde_json::from_str::<Entry>(&json) else {
                    warn!(journal = name, "unreadable journal entry skipped");
                    continue;
                };
                batcher.set_reference(crate::batcher::now_micros());
                if let Some(line) = entry_line(&entry) {
                    // Progress in bytes counts the lines as they were built (one per entry).
                    let end = batcher.end_bytes() + line.len() as u64 + 1;
                    batcher.push(&line, end, true, false);
                }
                batcher.set_cursor(entry.cursor);
                if batcher.is_full() {
                    ctx.commit(SourceKind::Journal, name, batcher, progress, &[])?;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if ctx.due(batcher) {
            ctx.commit(SourceKind::Journal, name, batcher, progress, &[])?;
        }
        if ctx.stopping() {
            break;
        }
    }
    if batcher.has_pending() || batcher.has_cursor() {
        ctx.commit(SourceKind::Journal, name, batcher, progress, &[])?;
    }
    let _ = child.kill();
    drop(rx);
    let _ = reader.join();
    if let Some(mut err) = stderr {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        if !text.trim().is_empty() && !ctx.stopping() {
            warn!(journal = name, stderr = %text.trim(), "journalctl ended");
        }
    }
    Ok(())
}
