//! `ipscope export`: Parquet read back by Python's pyarrow (`scripts/test-deps.sh export`) equals
//! the events with their enrichment as DuckDB returns them (`ipscope sql` on `events_geo`), row
//! for row and column for column; days partition by `--tz`; CSV and JSON lines hold every event;
//! and all of it works while a daemon owns the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Daemon, ipscope, run_ok, test_geoip};

fn deps() {
    let ok = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh"))
        .arg("export")
        .status()
        .unwrap();
    assert!(ok.success(), "scripts/test-deps.sh export failed (pyarrow)");
}

/// A store of generated sshd, Cowrie, Zeek and IntelMQ events (feed values, bytes, durations,
/// IPv6), enriched with the MaxMind test databases.
fn store(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    for (format, name, lines) in [
        (ipscope_gen::GenFormat::Sshd3339, "auth.log", 3000),
        (ipscope_gen::GenFormat::Cowrie, "cowrie.json", 1500),
        (ipscope_gen::GenFormat::ZeekConn, "conn.log", 1500),
        (ipscope_gen::GenFormat::Intelmq, "intelmq.json", 500),
    ] {
        let path = dir.join(name);
        let cfg = ipscope_gen::GenConfig { seed: 7, lines, days: 3, ..ipscope_gen::GenConfig::default() };
        ipscope_gen::write(format, &cfg, std::fs::File::create(&path).unwrap()).unwrap();
        run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "ingest", path.to_str().unwrap()]));
    }
    data
}

/// Every event of `events_geo` as DuckDB returns it: one JSON object a line, the time as epoch
/// microseconds.
fn events_json(data: &Path, dir: &Path) -> std::path::PathBuf {
    let (out, _) = run_ok(ipscope(data).args([
        "sql",
        "SELECT epoch_us(ts) AS ts, * EXCLUDE (ts) REPLACE (CAST(format AS VARCHAR) AS format, \
         CAST(kind AS VARCHAR) AS kind, CAST(outcome AS VARCHAR) AS outcome) FROM events_geo",
        "--format",
        "ndjson",
    ]));
    let path = dir.join("events.ndjson");
    std::fs::write(&path, out).unwrap();
    path
}

/// pyarrow reads the Parquet directory; every row (its `day` partition checked against its time
/// in `zone`, then dropped) must equal one row of `want` and the other way round.
const COMPARE: &str = r#"
import json, sys, datetime, zoneinfo
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
root, want_path, zone = sys.argv[1], sys.argv[2], zoneinfo.ZoneInfo(sys.argv[3])
t = pq.read_table(root)
days = t.column("day").to_pylist()
ts = pc.cast(t.column("ts"), pa.int64()).to_pylist()
for d, us in zip(days, ts):
    local = datetime.datetime.fromtimestamp(us // 1000000, tz=datetime.timezone.utc).astimezone(zone).date()
    assert str(d) == local.isoformat(), (d, us, local)
t = t.drop_columns(["day"]).set_column(0, "ts", pc.cast(t.column("ts"), pa.int64()))
got = sorted(json.dumps(r, sort_keys=True) for r in t.to_pylist())
want = sorted(json.dumps(json.loads(l), sort_keys=True) for l in open(want_path) if l.strip())
if got != want:
    extra = set(got) - set(want)
    missing = set(want) - set(got)
    print(f"{len(got)} rows read, {len(want)} expected; extra {list(extra)[:2]} missing {list(missing)[:2]}")
    sys.exit(1)
print(len(got))
"#;

fn compare(parquet: &Path, want: &Path, zone: &str) -> usize {
    let out = Command::new("python3").args(["-c", COMPARE]).arg(parquet).arg(want).arg(zone).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "pyarrow's rows differ:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text.trim().parse().unwrap()
}

#[test]
fn parquet_read_back_by_pyarrow_equals_the_events() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let want = events_json(&data, dir.path());
    let events = common::scalar(&data, "SELECT count(*) FROM events");
    assert!(events > 5000, "{events}");

    let pq = dir.path().join("pq");
    let (_, err) = run_ok(ipscope(&data).args(["export", "--output", pq.to_str().unwrap()]));
    assert!(err.contains(&format!("exported {events} events")), "{err}");
    assert_eq!(compare(&pq, &want, "UTC") as i64, events);
    // Several days, one directory each.
    assert!(std::fs::read_dir(&pq).unwrap().count() >= 3);
    // A second export into the same directory is refused (it would mix two exports).
    let out = ipscope(&data).args(["export", "--output", pq.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());

    // Days in another zone.
    let chicago = dir.path().join("pq-chicago");
    run_ok(ipscope(&data).args(["export", "--tz", "America/Chicago", "--output", chicago.to_str().unwrap()]));
    assert_eq!(compare(&chicago, &want, "America/Chicago") as i64, events);

    // Filters: only sshd, one day.
    let f = dir.path().join("pq-sshd");
    run_ok(ipscope(&data).args(["export", "--source", "sshd", "--output", f.to_str().unwrap()]));
    let sshd = common::scalar(&data, "SELECT count(*) FROM events WHERE format = 'sshd'");
    let n: i64 = Command::new("python3")
        .args([
            "-c",
            "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); \
                      assert set(t.column('format').to_pylist()) == {'sshd'}; print(t.num_rows)",
        ])
        .arg(&f)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().parse().unwrap_or(-1))
        .unwrap();
    assert_eq!(n, sshd);
}

#[test]
fn csv_and_json_lines_hold_every_event_also_through_the_daemon() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let want = events_json(&data, dir.path());
    let events = common::scalar(&data, "SELECT count(*) FROM events");
    let csv = dir.path().join("e.csv");
    run_ok(ipscope(&data).args(["export", "--format", "csv", "--output", csv.to_str().unwrap()]));
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let header = r.headers().unwrap().clone();
    assert_eq!(&header[0], "ts");
    assert!(header.iter().any(|h| h == "country_code") && header.iter().any(|h| h == "as_org"));
    assert_eq!(r.records().count() as i64, events);
    let (json, _) = run_ok(ipscope(&data).args(["export", "--format", "json", "--output", "-"]));
    let rows: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len() as i64, events);
    assert!(rows.iter().all(|r| r["kind"].is_string() && r["ts"].is_string()));

    // With the daemon owning the database: the same Parquet, the same CSV.
    let d = Daemon::start(&data, &[]);
    let pq = dir.path().join("pq-daemon");
    run_ok(ipscope(&data).args(["export", "--output", pq.to_str().unwrap()]));
    assert_eq!(compare(&pq, &want, "UTC") as i64, events);
    let csv2 = dir.path().join("e2.csv");
    run_ok(ipscope(&data).args(["export", "--format", "csv", "--output", csv2.to_str().unwrap()]));
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(&csv2).unwrap());
    // Arrow over the API is read-only like every query there.
    let (status, _) = common::http(&format!("{}/api/sql?format=arrow", d.url), None, Some("DELETE FROM events"));
    assert_eq!(status, 403);
    d.terminate();
}
