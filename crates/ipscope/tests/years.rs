//! Year-less syslog through the real binary (issue 15): a file's events never run backwards in
//! time, whatever its modification time; its last line is at or before it (one day of slack);
//! a grown file keeps the years of its head; compressed files and stdin decide from their first
//! line. Each line's pid is its line number, so the events can be put back in line order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

mod common;
use common::{ipscope, stdout_ok as ok};

/// The documented out-of-order tolerance (`STRAGGLER_SECS`).
const TOLERANCE_SECS: i64 = 86_400;

/// `sshd` lines, pid = line number, from `(month day, hh:mm:ss)`.
fn log(stamps: &[&str], first_pid: usize) -> String {
    stamps
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{t} h sshd[{}]: Invalid user u from 192.0.2.{} port 22\n", first_pid + i, i + 1))
        .collect()
}

const NOV_DEC: &[&str] =
    &["Nov 30 04:00:00", "Nov 30 10:00:00", "Dec  1 10:00:00", "Dec  2 09:00:00", "Dec  2 09:00:01"];
const DEC_JAN: &[&str] =
    &["Dec 30 23:00:00", "Dec 31 23:59:58", "Jan  1 00:00:00", "Dec 31 23:59:59", "Jan  2 07:00:00"];

fn secs(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
}

fn set_mtime(path: &Path, rfc3339: &str) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs(rfc3339) as u64);
    std::fs::File::options().append(true).open(path).unwrap().set_modified(t).unwrap();
}

/// The events' times in line order (epoch seconds).
fn times(data: &Path) -> Vec<i64> {
    let out = ok(ipscope(data).args([
        "sql",
        "SELECT epoch(ts)::BIGINT FROM events ORDER BY CAST(session AS INTEGER)",
        "--format",
        "csv",
        "--no-header",
    ]));
    out.lines().map(|l| l.trim().parse().unwrap()).collect()
}

fn assert_monotonic(ts: &[i64], what: &str) {
    for w in ts.windows(2) {
        assert!(w[1] >= w[0] - TOLERANCE_SECS, "{what}: {} then {}", w[0], w[1]);
    }
}

fn year_of(t: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(t, 0).unwrap().year()
}

/// Ingests `text` as a plain file with modification time `mtime`; the events' times.
fn ingest_file(text: &str, mtime: &str) -> Vec<i64> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("auth.log");
    std::fs::write(&f, text).unwrap();
    set_mtime(&f, mtime);
    ok(ipscope(&dir.path().join("data")).arg("ingest").arg(&f));
    times(&dir.path().join("data"))
}

#[test]
fn a_nov_dec_file_at_five_mtimes() {
    for (mtime, year) in [
        ("2026-11-29T12:00:00Z", 2025),
        ("2026-11-30T05:00:00Z", 2025),
        ("2026-12-01T10:00:00Z", 2026),
        ("2026-12-03T00:00:00Z", 2026),
        ("2027-03-15T00:00:00Z", 2026),
    ] {
        let ts = ingest_file(&log(NOV_DEC, 1), mtime);
        assert_eq!(ts.len(), NOV_DEC.len());
        assert_monotonic(&ts, mtime);
        assert!(ts.iter().all(|&t| year_of(t) == year), "{mtime}: {ts:?}");
        assert!(*ts.last().unwrap() <= secs(mtime) + TOLERANCE_SECS, "{mtime}: after the mtime");
    }
}

#[test]
fn a_dec_jan_file_with_a_january_mtime_and_an_archive() {
    let ts = ingest_file(&log(DEC_JAN, 1), "2026-01-02T08:00:00Z");
    assert_monotonic(&ts, "dec-jan");
    assert_eq!(ts.iter().map(|&t| year_of(t)).collect::<Vec<_>>(), [2025, 2025, 2026, 2025, 2026]);
    // Copied to an archive years later: the last Dec → Jan before the copy.
    let ts = ingest_file(&log(DEC_JAN, 1), "2031-06-01T00:00:00Z");
    assert_monotonic(&ts, "archive");
    assert_eq!(year_of(ts[0]), 2030);
}

#[test]
fn a_grown_file_keeps_the_years_of_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let f = dir.path().join("auth.log");
    std::fs::write(&f, log(NOV_DEC, 1)).unwrap();
    set_mtime(&f, "2026-12-02T10:00:00Z");
    ok(ipscope(&data).arg("ingest").arg(&f));
    let before = times(&data);
    // It grows into January; its mtime moves with it.
    let mut w = std::fs::File::options().append(true).open(&f).unwrap();
    w.write_all(log(&["Dec 31 23:00:00", "Jan  3 01:00:00"], NOV_DEC.len() + 1).as_bytes()).unwrap();
    drop(w);
    set_mtime(&f, "2027-01-03T02:00:00Z");
    let o = ipscope(&data).arg("ingest").arg(&f).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("resumed"), "{}", String::from_utf8_lossy(&o.stderr));
    let after = times(&data);
    assert_eq!(after[..before.len()], before[..]);
    assert_monotonic(&after, "grown");
    assert_eq!(year_of(*after.last().unwrap()), 2027);
    let anchor = ok(ipscope(&data).args(["sql", "SELECT year_anchor FROM inputs", "--format", "csv", "--no-header"]));
    assert_eq!(anchor.trim(), "2026");
}

#[test]
fn compressed_and_stdin_decide_from_the_first_line() {
    let dir = tempfile::tempdir().unwrap();
    // gzip: the first line at or before the mtime.
    let gz = dir.path().join("auth.log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(log(DEC_JAN, 1).as_bytes()).unwrap();
    enc.finish().unwrap();
    set_mtime(&gz, "2026-01-03T00:00:00Z");
    let data = dir.path().join("gz");
    ok(ipscope(&data).arg("ingest").arg(&gz));
    let ts = times(&data);
    assert_monotonic(&ts, "gz");
    assert_eq!(year_of(ts[0]), 2025);
    // stdin: the first line at or before now; whatever now is, never backwards.
    let data = dir.path().join("stdin");
    let mut child = ipscope(&data).args(["ingest", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(log(NOV_DEC, 1).as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let ts = times(&data);
    assert_eq!(ts.len(), NOV_DEC.len());
    assert_monotonic(&ts, "stdin");
}
