//! The CLI on the sharded ClickHouse backend (issue 13): `--store clickhouse://...` against the
//! real 2-shard cluster of `scripts/clickhouse-cluster.sh` (started here; it installs
//! ClickHouse from Debian's packages when missing). Every test keeps its own database and
//! compares the cluster's answers with the embedded store's for the same input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    Db, cluster_started, csv, generate, inputs, ipscope, kill_within, run_ok, settle, stored_and_ledger, summary,
};

#[test]
fn ingest_is_exactly_once_and_status_lookup_sql_purge_answer_as_embedded() {
    let db = Db::new("once");
    let dir = tempfile::tempdir().unwrap();
    let (data, embedded) = (dir.path().join("data"), dir.path().join("embedded"));
    let full = dir.path().join("full.log");
    generate(&full, 100_000, 41);
    let text = std::fs::read_to_string(&full).unwrap();
    let half = text.lines().count() / 2;
    let head: String = text.lines().take(half).map(|l| format!("{l}\n")).collect();
    let log = dir.path().join("auth.log");
    std::fs::write(&log, &head).unwrap();

    // First ingest creates the schema; the same answers as the embedded store.
    let (_, err) = run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("new (sshd)"), "{err}");
    run_ok(ipscope(&embedded).args(["ingest", "--no-progress"]).arg(&log));
    let first = summary(&mut db.cmd(&data));
    assert!(first.lines().count() > 3, "{first}");
    assert_eq!(first, summary(&mut ipscope(&embedded)));

    // Re-ingest adds nothing.
    let (_, err) = run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(summary(&mut db.cmd(&data)), first);

    // The grown file adds its tail only: the same as the whole file ingested at once.
    std::fs::write(&log, &text).unwrap();
    let (_, err) = run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("resumed") || err.contains("grown"), "{err}");
    let whole = dir.path().join("whole");
    run_ok(ipscope(&whole).args(["ingest", "--no-progress"]).arg(&log));
    let all = summary(&mut db.cmd(&data));
    assert_ne!(all, first);
    assert_eq!(all, summary(&mut ipscope(&whole)));
    assert_eq!(inputs(&mut db.cmd(&data)), inputs(&mut ipscope(&whole)));
    let (stored, ledger) = stored_and_ledger(|| db.cmd(&data));
    assert_eq!(stored, ledger);
    assert_eq!((stored, ledger), stored_and_ledger(|| ipscope(&whole)));

    // status names the store; lookup prints the same record.
    let (_, err) = run_ok(db.cmd(&data).arg("status"));
    assert!(err.contains(&format!("database: {}, {stored} events", db.0)), "{err}");
    let top = csv(ipscope(&whole).args(["report", "top-ips", "-N", "1", "--no-header"]));
    let ip = top.split(',').next().unwrap();
    assert_eq!(run_ok(db.cmd(&data).args(["lookup", ip])).0, run_ok(ipscope(&whole).args(["lookup", ip])).0);

    // maint (the nightly document, every report in it), blocklist (rates → offenders) and a
    // chart's series print the same bytes.
    let at = |c: &mut Command| {
        c.env("IPSCOPE_NOW", "2026-03-04T06:00:00Z");
    };
    let (mut m1, mut m2) = (db.cmd(&data), ipscope(&whole));
    at(&mut m1);
    at(&mut m2);
    let maint = run_ok(m1.arg("maint")).0;
    assert!(maint.lines().count() > 20, "{maint}");
    assert_eq!(maint, run_ok(m2.arg("maint")).0);
    let (mut b1, mut b2) = (db.cmd(&data), ipscope(&whole));
    at(&mut b1);
    at(&mut b2);
    let list = run_ok(b1.args(["blocklist", "--threshold", "ip:1h=20", "--ban", "1d"])).0;
    assert!(list.lines().count() > 3, "{list}");
    assert_eq!(list, run_ok(b2.args(["blocklist", "--threshold", "ip:1h=20", "--ban", "1d"])).0);
    let (svg1, svg2) = (dir.path().join("1.svg"), dir.path().join("2.svg"));
    run_ok(db.cmd(&data).args(["report", "trends", "--by", "ip", "--chart"]).arg(&svg1));
    run_ok(ipscope(&whole).args(["report", "trends", "--by", "ip", "--chart"]).arg(&svg2));
    assert_eq!(std::fs::read(&svg1).unwrap(), std::fs::read(&svg2).unwrap());

    // sql is read-only.
    let out = db.cmd(&data).args(["sql", "DROP TABLE events"]).output().unwrap();
    assert!(!out.status.success());
    assert_eq!(stored_and_ledger(|| db.cmd(&data)).0, stored);

    // purge: whole days drop their partitions, the day the cutoff cuts through is trimmed to the
    // microsecond; the same count, and the same events left, as on the embedded store.
    let now = "2026-03-04T11:17:05.500001Z";
    let purge = |c: &mut Command, commit: bool| -> String {
        c.env("IPSCOPE_NOW", now).args(["purge", "--older-than", "1d"]);
        if commit {
            c.arg("--commit");
        }
        run_ok(c).0
    };
    let dry = purge(&mut db.cmd(&data), false);
    assert_eq!(dry, purge(&mut ipscope(&whole), false));
    let n: i64 = dry.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(n > 0 && n < stored, "{dry}");
    let cut_day = csv(ipscope(&whole).args([
        "sql",
        "SELECT count(*) FROM events WHERE ts >= '2026-03-03' AND ts < '2026-03-03 11:17:05.500001'",
        "--no-header",
    ]));
    assert!(cut_day.trim().parse::<i64>().unwrap() > 0, "the cutoff's day holds events before it: {cut_day}");
    assert_eq!(purge(&mut db.cmd(&data), true), purge(&mut ipscope(&whole), true));
    let left = summary(&mut db.cmd(&data));
    assert_eq!(left, summary(&mut ipscope(&whole)));
    assert_eq!(stored_and_ledger(|| db.cmd(&data)).0, stored - n);
}

#[test]
fn sigkill_at_random_points_of_an_ingest_into_the_cluster_counts_exactly() {
    let db = Db::new("kill");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (log, err) = (dir.path().join("long.log"), dir.path().join("run.err"));
    generate(&log, 60_000, 29);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).args(["ingest", "--no-progress"]).arg(&log));
    let mut rng = 0x5eed_u64;
    let mut below = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let (mut kills, mut runs, mut rounds, mut seen) = (0, 0, 1, Vec::new());
    while kills < 8 {
        runs += 1;
        assert!(runs <= 40, "the ingest kept finishing before it was killed ({kills} kills in {runs} runs): {seen:?}");
        // A run moves on from where the last one got; one that finishes before its kill is
        // checked against the reference, and the ingest starts over in an empty database (so
        // the test does not depend on how fast this machine ingests).
        let delay = Duration::from_millis(50 + below(600));
        let mut child = db
            .cmd(&data)
            .args(["ingest", "--no-progress"])
            .arg(&log)
            .env("IPSCOPE_BATCH_EVENTS", "1000")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let killed = kill_within(&mut child, delay);
        if killed {
            kills += 1;
        }
        let status = child.wait().unwrap();
        assert!(status.success() || (killed && status.code().is_none()), "run {runs} ({delay:?}): {status:?}");
        // After every kill, readers see exactly what the ledger committed — once the servers
        // have finished the requests the killed client left (a `committed` row sent just before
        // the kill still lands: the commit then happened, and both counts include it).
        let c = ipscope_clickhouse::Cluster::connect(&db.0).unwrap();
        settle(&c);
        if c.has_schema().unwrap() {
            let (stored, ledger) = stored_and_ledger(|| db.cmd(&data));
            assert_eq!(stored, ledger, "after kill {kills} at {delay:?}");
            seen.push(format!("{}{}ms:{stored}", if killed { "" } else { "done " }, delay.as_millis()));
        }
        if !killed {
            let said = std::fs::read_to_string(&err).unwrap();
            assert_eq!(summary(&mut db.cmd(&data)), summary(&mut ipscope(&reference)), "round {rounds}: {said}");
            assert_eq!(stored_and_ledger(|| db.cmd(&data)), stored_and_ledger(|| ipscope(&reference)));
            db.drop_all();
            rounds += 1;
        }
    }
    eprintln!("{kills} kills in {runs} runs, {rounds} ingests (delay:events stored after it): {}", seen.join(" "));
    let (_, err) = run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("resumed") || err.contains("new"), "{err}");
    assert_eq!(summary(&mut db.cmd(&data)), summary(&mut ipscope(&reference)));
    assert_eq!(stored_and_ledger(|| db.cmd(&data)), stored_and_ledger(|| ipscope(&reference)));
}

#[test]
fn a_store_url_that_is_wrong_or_empty_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = Db::new("missing");
    let out = db.cmd(&data).args(["report", "summary"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("holds no ipscope data yet"), "{err}");
    let out = ipscope(&data).args(["--store", "postgres://db/x", "status"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("clickhouse://"), "{err}");
    // Nothing listens on port 1.
    let out =
        ipscope(&data).args(["--store", "clickhouse://127.0.0.1:1/x?cluster=ipscope", "status"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("127.0.0.1:1"), "{err}");
    let out = db.cmd(&data).args(["serve"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("not by the daemon"), "{err}");
    assert!(!data.join("ipscope.duckdb").exists(), "no embedded store was created on the side");
}

/// A 2-shard cluster of this test's own (`clickhouse-cluster.sh` with its own directory and
/// ports), so stopping one of its servers disturbs no other test; stopped when dropped.
struct Private {
    env: Vec<(&'static str, String)>,
    dir: tempfile::TempDir,
    http: u16,
}

impl Private {
    /// `slot` (0 or 1): which of this process's two private clusters (tests run in parallel).
    fn start(slot: u16) -> Private {
        cluster_started(); // installs ClickHouse when missing
        let dir = tempfile::tempdir().unwrap();
        // Six ports from a base of this process's own and the slot's: http, tcp, interserver ×
        // 2 shards. Below Linux's ephemeral range (32768 up), above the shared cluster's 18123 /
        // 19000s.
        let http = 20_000 + (std::process::id() % 1_000) as u16 * 12 + slot * 6;
        let env = vec![
            ("IPSCOPE_CH_DIR", dir.path().display().to_string()),
            ("IPSCOPE_CH_HTTP_PORT", http.to_string()),
            ("IPSCOPE_CH_TCP_PORT", (http + 2).to_string()),
            ("IPSCOPE_CH_INTERSERVER_PORT", (http + 4).to_string()),
        ];
        let p = Private { env, dir, http };
        p.script("start");
        p
    }

    fn script(&self, arg: &str) -> String {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/clickhouse-cluster.sh");
        let out = Command::new("bash").arg(script).arg(arg).envs(self.env.iter().cloned()).output().unwrap();
        assert!(out.status.success(), "clickhouse-cluster.sh {arg}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn url(&self) -> String {
        format!("clickhouse://127.0.0.1:{}/ipscope?cluster=ipscope", self.http)
    }

    /// `ipscope` with `data` on this cluster.
    fn cmd(&self, data: &Path) -> Command {
        let mut c = ipscope(data);
        c.env("IPSCOPE_STORE", self.url());
        c
    }

    /// SIGKILLs shard `n`'s server (a crash, not a clean stop) and waits until it is gone.
    fn kill_shard(&self, n: u32) {
        let pid = std::fs::read_to_string(self.dir.path().join(format!("shard{n}/pid"))).unwrap();
        let pid = pid.trim();
        assert!(Command::new("kill").args(["-KILL", pid]).status().unwrap().success());
        while Path::new(&format!("/proc/{pid}")).exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `writer` (writing into this cluster from `data`) has committed a batch, then
    /// crashes shard 2 under it; returns the writer's stderr once it has exited, unsuccessfully.
    fn crash_shard_2_under(&self, data: &Path, writer: std::process::Child) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut writer = writer;
        let count = || -> i64 {
            let out = self
                .cmd(data)
                .args(["sql", "SELECT count(*) FROM events", "--format", "csv", "--no-header"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
        };
        while count() == 0 {
            assert!(Instant::now() < deadline && writer.try_wait().unwrap().is_none(), "no batch committed");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill_shard(2);
        let out = writer.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "the writer went on without shard 2:\n{err}");
        err
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/clickhouse-cluster.sh");
        let _ = Command::new("bash").arg(script).arg("stop").envs(self.env.iter().cloned()).output();
    }
}

#[test]
fn a_shard_down_is_an_error_naming_it_and_the_rerun_after_it_is_back_counts_exactly() {
    let cluster = Private::start(0);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    generate(&log, 60_000, 30);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).args(["ingest", "--no-progress"]).arg(&log));
    let on = || cluster.cmd(&data);
    // Shard 2 crashes while an ingest commits small batches.
    let child = on()
        .args(["ingest", "--no-progress"])
        .arg(&log)
        .env("IPSCOPE_BATCH_EVENTS", "500")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = cluster.crash_shard_2_under(&data, child);
    let port = cluster.http + 3; // shard 2's native port
    assert!(err.contains(&format!("shard 2 (127.0.0.1:{port})")), "{err}");

    // A report while it is down: an error naming it, nothing on stdout (no partial answer).
    let out = on().args(["report", "summary"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{err}");
    // (Named by its HTTP address: opening the store already finds it does not answer.)
    assert!(err.contains(&format!("shard 2 (http://127.0.0.1:{}/) is down", cluster.http + 1)), "{err}");

    // Back up: the re-run completes and nothing was counted twice or lost.
    cluster.script("start");
    let (_, err) = run_ok(on().args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("resumed"), "{err}");
    assert_eq!(summary(&mut on()), summary(&mut ipscope(&reference)));
    assert_eq!(stored_and_ledger(on), stored_and_ledger(|| ipscope(&reference)));
}

#[test]
fn a_shard_down_during_a_migrate_is_an_error_naming_it_and_the_rerun_completes_the_copy() {
    let cluster = Private::start(1);
    let url = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    generate(&log, 60_000, 31);
    run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&log));
    let on = || cluster.cmd(&data);
    let child = ipscope(&data)
        .args(["migrate", "--to", &url, "--chunk-events", "500"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = cluster.crash_shard_2_under(&data, child);
    let port = cluster.http + 3; // shard 2's native port
    assert!(err.contains(&format!("shard 2 (127.0.0.1:{port})")) && err.contains("auth.log"), "{err}");

    cluster.script("start");
    let (_, err) = run_ok(ipscope(&data).args(["migrate", "--to", &url]));
    assert!(err.contains("resumed after"), "{err}");
    assert_eq!(summary(&mut on()), summary(&mut ipscope(&data)));
    assert_eq!(stored_and_ledger(on), stored_and_ledger(|| ipscope(&data)));
    assert_eq!(inputs(&mut on()), inputs(&mut ipscope(&data)));
}

/// The real-world corpus (every supported format, as `cli.rs` ingests it with auto-detection)
/// into the embedded store and into the cluster: every catalogue report prints the same bytes on
/// both, and so does a geo report after `enrich --refresh` with other databases.
#[test]
fn the_whole_corpus_prints_every_report_the_same_on_the_cluster() {
    let db = Db::new("corpus");
    let dir = tempfile::tempdir().unwrap();
    let (data, embedded) = (dir.path().join("data"), dir.path().join("embedded"));
    let ingest = |mut c: Command| {
        c.args(["ingest", "--year", "2019", "--no-progress", "--geoip", &common::test_geoip()]);
        for d in common::CORPUS_LOG_DIRS {
            c.arg(common::corpus(d));
        }
        let out = c.output().unwrap();
        // 1: the few files that are not logs of a supported format are named and skipped.
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    };
    ingest(db.cmd(&data));
    ingest(ipscope(&embedded));
    let (stored, _) = stored_and_ledger(|| db.cmd(&data));
    assert!(stored > 5_000, "{stored}");
    assert_eq!(stored_and_ledger(|| db.cmd(&data)), stored_and_ledger(|| ipscope(&embedded)));
    // The two reports that need a key get the data's most common one.
    let top = |sql: &str| csv(ipscope(&embedded).args(["sql", sql, "--no-header"])).trim().to_owned();
    let taxonomy =
        top("SELECT taxonomy FROM events WHERE taxonomy IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1");
    let asn = top("SELECT asn FROM events_geo WHERE asn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1");
    assert!(!taxonomy.is_empty() && !asn.is_empty(), "{taxonomy:?} {asn:?}");
    let mut cases: Vec<Vec<&str>> = ipscope_report::CATALOGUE
        .iter()
        .filter(|r| !matches!(r.name, "top-asns" | "asn-trend"))
        .map(|r| vec![r.name])
        .collect();
    cases.extend([
        vec!["top-asns", "--taxonomy", &taxonomy],
        vec!["asn-trend", "--asn", &asn],
        vec!["low-success", "--by", "user"],
        vec!["nets", "--registered"],
        vec!["top-ips", "--source", "cowrie,sshd", "--since", "2018-01-01"],
        vec!["timeline", "--by", "format", "--bucket", "day"],
        vec!["trends", "--by", "user"],
        vec!["daily", "--tz", "America/Chicago"],
    ]);
    let mut differ = Vec::new();
    let mut rows = 0;
    for args in &cases {
        let a = csv(db.cmd(&data).arg("report").args(args).args(["--top", "50"]));
        let b = csv(ipscope(&embedded).arg("report").args(args).args(["--top", "50"]));
        rows += b.lines().count().saturating_sub(1);
        if a != b {
            differ.push(format!("{}:\n  cluster:  {:?}\n  embedded: {:?}", args.join(" "), a, b));
        }
    }
    assert!(differ.is_empty(), "{} of {} differ:\n{}", differ.len(), cases.len(), differ.join("\n"));
    assert!(rows > 500, "too few rows compared: {rows}");
    // Re-enrichment with the built-in database only: the same new answer on both.
    for c in [db.cmd(&data), ipscope(&embedded)] {
        let mut c = c;
        run_ok(c.args(["enrich", "--refresh", "--geoip", "builtin"]));
    }
    let a = csv(db.cmd(&data).args(["report", "countries"]));
    assert_eq!(a, csv(ipscope(&embedded).args(["report", "countries"])));
    assert!(a.lines().count() > 5, "{a}");
}
