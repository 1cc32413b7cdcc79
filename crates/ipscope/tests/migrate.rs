//! `ipscope migrate --to clickhouse://...` against the real 2-shard cluster of
//! `scripts/clickhouse-cluster.sh` (each test in a database of its own): an embedded store of
//! every generated format copied into the cluster prints the same reports and inputs, a later
//! `ingest --store` of a grown original log adds exactly its new lines, a re-run adds nothing,
//! and SIGKILLs at random points of a migrate followed by a re-run count exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Db, csv, generate, inputs, ipscope, kill_within, run_ok, settle, stored_and_ledger, summary, test_geoip};
use ipscope_gen::{GenConfig, GenFormat};

/// `migrate --to db` from the embedded store in `data`: its stderr.
fn migrate(data: &Path, db: &Db) -> String {
    run_ok(ipscope(data).args(["migrate", "--to", &db.0])).1
}

/// An embedded store of every generated format (enriched with the MaxMind test databases),
/// plus the first half of a generated sshd log (`auth.log`, returned with the whole text).
fn embedded(dir: &Path) -> (PathBuf, PathBuf, String) {
    let data = dir.join("data");
    let cfg = GenConfig { seed: 7, lines: 5_000, ..GenConfig::default() };
    for format in GenFormat::ALL {
        let log = dir.join(format!("{format}.log"));
        ipscope_gen::write(format, &cfg, std::fs::File::create(&log).unwrap()).unwrap();
        run_ok(
            ipscope(&data)
                .args(["ingest", "--no-progress", "--format", format.parser_name(), "--year", "2026", "--geoip"])
                .args([test_geoip().as_str(), log.to_str().unwrap()]),
        );
    }
    let full = dir.join("full.log");
    generate(&full, 20_000, 43);
    let text = std::fs::read_to_string(&full).unwrap();
    let half: String = text.lines().take(10_000).map(|l| format!("{l}\n")).collect();
    let log = dir.join("auth.log");
    std::fs::write(&log, half).unwrap();
    run_ok(ipscope(&data).args(["ingest", "--no-progress", "--geoip", &test_geoip()]).arg(&log));
    (data, log, text)
}

/// The reports compared (catalogue names and variants that take other paths through the SQL).
fn cases() -> Vec<Vec<String>> {
    let mut cases: Vec<Vec<String>> = ipscope_report::CATALOGUE
        .iter()
        .map(|r| r.name)
        .filter(|n| !matches!(*n, "top-asns" | "asn-trend"))
        .map(|n| vec![n.to_owned()])
        .collect();
    let variants: &[&[&str]] = &[
        &["top-asns", "--taxonomy", "intrusion-attempts"],
        &["asn-trend", "--asn", "29518"],
        &["low-success", "--by", "user"],
        &["nets", "--prefix", "16"],
        &["nets", "--registered"],
        &["daily", "--tz", "America/Chicago"],
        &["trends", "--by", "country", "--days", "7"],
        &["rates", "--threshold", "ip:1h=20,24:1d=100"],
    ];
    cases.extend(variants.iter().map(|v| v.iter().map(|s| (*s).to_owned()).collect()));
    cases
}

/// Every case on the embedded store and on the cluster: the ones that differ.
fn differences(data: &Path, db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    for args in cases() {
        let run = |c: &mut Command| run_ok(c.arg("report").args(&args).args(["--top", "50", "--format", "csv"])).0;
        let (want, got) = (run(&mut ipscope(data)), run(&mut db.cmd(data)));
        if want != got {
            out.push(format!("{}:\n--- embedded\n{want}--- cluster\n{got}", args.join(" ")));
        }
    }
    out
}

#[test]
fn migrate_copies_a_store_so_reports_inputs_and_a_later_ingest_answer_as_embedded() {
    let db = Db::new("migrate");
    let dir = tempfile::tempdir().unwrap();
    let (data, log, text) = embedded(dir.path());
    assert!(summary(&mut ipscope(&data)).lines().count() > 10);

    let started = Instant::now();
    let err = migrate(&data, &db);
    eprintln!("{err}(in {:.2}s)", started.elapsed().as_secs_f64());
    assert!(err.contains("migrated ") && err.contains("auth.log: "), "{err}");
    assert!(err.contains("(sshd, embedded input 8 → cluster input 8)"), "{err}");

    // Every report, byte for byte; the inputs as the embedded store lists them; the counts.
    let diff = differences(&data, &db);
    assert!(diff.is_empty(), "reports differ after the migration:\n{}", diff.join("\n"));
    assert_eq!(inputs(&mut db.cmd(&data)), inputs(&mut ipscope(&data)));
    let counts = stored_and_ledger(|| ipscope(&data));
    assert_eq!(counts.0, counts.1);
    assert_eq!(stored_and_ledger(|| db.cmd(&data)), counts);
    let enriched = "SELECT count(DISTINCT ip) FROM addresses";
    let n = |c: &mut Command| csv(c.args(["sql", enriched, "--no-header"]));
    assert_eq!(n(&mut db.cmd(&data)), n(&mut ipscope(&data)));

    // Again: nothing added, and it says so.
    let err = migrate(&data, &db);
    assert!(err.contains("nothing to migrate") && err.contains("already in the cluster (input 8), skipped"), "{err}");
    assert_eq!(stored_and_ledger(|| db.cmd(&data)), counts);
    let c = ipscope_clickhouse::Cluster::connect(&db.0).unwrap();
    let before = c.query_text(&format!("SELECT count() FROM {}.addresses", c.url().database)).unwrap();
    let err = migrate(&data, &db);
    assert!(err.contains("nothing to migrate"), "{err}");
    assert_eq!(c.query_text(&format!("SELECT count() FROM {}.addresses", c.url().database)).unwrap(), before);

    // The original log grew: `ingest --store` adds only its new lines, as the embedded store does.
    std::fs::write(&log, &text).unwrap();
    let ingest = |c: &mut Command| run_ok(c.args(["ingest", "--no-progress", "--geoip", &test_geoip()]).arg(&log)).1;
    let err = ingest(&mut db.cmd(&data));
    assert!(err.contains("resumed") || err.contains("grown"), "{err}");
    let embedded_err = ingest(&mut ipscope(&data));
    let added = |e: &str| e.lines().find(|l| l.contains("auth.log")).map(str::to_owned);
    assert_eq!(added(&err), added(&embedded_err), "{err}\n{embedded_err}");
    assert_eq!(summary(&mut db.cmd(&data)), summary(&mut ipscope(&data)));
    assert_eq!(inputs(&mut db.cmd(&data)), inputs(&mut ipscope(&data)));
    let grown = stored_and_ledger(|| ipscope(&data));
    assert!(grown.0 > counts.0);
    assert_eq!(stored_and_ledger(|| db.cmd(&data)), grown);
}

/// The cluster holds the embedded store's events and inputs exactly, and a re-run adds nothing.
fn copied_exactly(data: &Path, db: &Db) {
    assert_eq!(summary(&mut db.cmd(data)), summary(&mut ipscope(data)));
    let counts = stored_and_ledger(|| ipscope(data));
    assert_eq!(stored_and_ledger(|| db.cmd(data)), counts);
    let c = ipscope_clickhouse::Cluster::connect(&db.0).unwrap();
    let count = |sql: &str| c.query_text(&sql.replace("DB", &c.url().database)).unwrap().trim().to_owned();
    assert_eq!(count("SELECT count() FROM DB.events"), count("SELECT sum(events) FROM DB.inputs"));
    assert_eq!(count("SELECT count() FROM DB.events"), counts.0.to_string());
    let enriched = |c: &mut Command| csv(c.args(["sql", "SELECT count(DISTINCT ip) FROM addresses", "--no-header"]));
    assert_eq!(enriched(&mut db.cmd(data)), enriched(&mut ipscope(data)));
    assert_eq!(count("SELECT count() FROM DB.addresses"), enriched(&mut ipscope(data)).trim(), "an address twice");
    // Every input ends with its own progress (no migration record left).
    let inputs = c.inputs().unwrap();
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    assert!(inputs.iter().all(|r| r.head_len > 0 && !r.path.starts_with(ipscope_clickhouse::MARKER)), "{inputs:?}");
    let err = run_ok(ipscope(data).args(["migrate", "--to", &db.0])).1;
    assert!(err.contains("nothing to migrate"), "{err}");
}

#[test]
fn sigkill_at_random_points_of_a_migrate_then_a_rerun_counts_exactly() {
    let db = Db::new("migrate_kill");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (i, lines) in [40_000, 15_000].into_iter().enumerate() {
        let log = dir.path().join(format!("auth{i}.log"));
        generate(&log, lines, 60 + i as u64);
        run_ok(ipscope(&data).args(["ingest", "--no-progress", "--geoip", &test_geoip()]).arg(&log));
    }
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
        assert!(runs <= 40, "migrate kept finishing before it was killed ({kills} kills in {runs} runs)");
        // Kills anywhere in each run's first 3 s (a run moves on from where the last one got):
        // startup, the clean-up of the killed run's attempts, batches in flight. A run that
        // finishes first is checked, and the copy starts over in an empty database.
        let delay = Duration::from_millis(30 + below(3000));
        let mut child = ipscope(&data)
            .args(["migrate", "--to", &db.0, "--chunk-events", "700"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let killed = kill_within(&mut child, delay);
        if killed {
            kills += 1;
        }
        let status = child.wait().unwrap();
        assert!(status.success() || (killed && status.code().is_none()), "run {runs} ({delay:?}): {status:?}");
        let c = ipscope_clickhouse::Cluster::connect(&db.0).unwrap();
        settle(&c);
        if c.has_schema().unwrap() {
            // At every point, readers see exactly what the ledger counts.
            let (stored, ledger) = stored_and_ledger(|| db.cmd(&data));
            assert_eq!(stored, ledger, "after kill {kills} at {delay:?}");
            seen.push(format!("{}{}ms:{stored}", if killed { "" } else { "done " }, delay.as_millis()));
        }
        if !killed {
            copied_exactly(&data, &db);
            db.drop_all();
            rounds += 1;
        }
    }
    eprintln!("{kills} kills in {runs} runs, {rounds} copies (delay:events visible after it): {}", seen.join(" "));
    let err = run_ok(ipscope(&data).args(["migrate", "--to", &db.0, "--chunk-events", "700"])).1;
    assert!(err.contains("migrated") || err.contains("nothing to migrate"), "{err}");
    copied_exactly(&data, &db);
}

#[test]
fn migrate_into_a_database_with_other_data_keeps_it_and_skips_the_inputs_it_holds() {
    let db = Db::new("migrate_other");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (a, b, other) = (dir.path().join("a.log"), dir.path().join("b.log"), dir.path().join("other.log"));
    generate(&a, 8_000, 71);
    generate(&b, 6_000, 72);
    generate(&other, 5_000, 73);
    run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&a).arg(&b));
    // The cluster already holds `other` (not in the embedded store) and `a` (in both).
    run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&other).arg(&a));
    let before = stored_and_ledger(|| db.cmd(&data));
    let err = migrate(&data, &db);
    assert!(err.contains("a.log: already in the cluster (input 2), skipped"), "{err}");
    assert!(err.contains("(sshd, embedded input 2 → cluster input 3)"), "{err}");
    // The cluster now holds other + a + b once each: the same as one store ingesting all three.
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).args(["ingest", "--no-progress"]).arg(&other).arg(&a).arg(&b));
    assert_eq!(summary(&mut db.cmd(&data)), summary(&mut ipscope(&reference)));
    assert_eq!(inputs(&mut db.cmd(&data)), inputs(&mut ipscope(&reference)));
    let after = stored_and_ledger(|| db.cmd(&data));
    assert!(after.0 > before.0 && after.0 == after.1);
}

#[test]
fn an_input_the_cluster_holds_less_of_is_not_copied_and_named_and_a_daemon_is_read_through() {
    let db = Db::new("migrate_less");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (c, quiet) = (dir.path().join("c.log"), dir.path().join("quiet.log"));
    generate(&c, 8_000, 81);
    // An input with no event at all (every line ignored): its progress is copied all the same.
    std::fs::write(&quiet, "2026-03-01T10:00:00+00:00 host CRON[1]: (root) CMD (true)\n".repeat(50)).unwrap();
    run_ok(ipscope(&data).args(["ingest", "--no-progress", "--format", "sshd"]).arg(&c).arg(&quiet));
    let text = std::fs::read_to_string(&c).unwrap();
    let part = dir.path().join("part");
    std::fs::create_dir(&part).unwrap();
    let c_part = part.join("c.log");
    std::fs::write(&c_part, text.lines().take(3_000).map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&c_part));

    // The embedded store is owned by a running daemon: migrate reads through it.
    let daemon = common::Daemon::start(&data, &[]);
    let out = ipscope(&data).args(["migrate", "--to", &db.0]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("c.log: not copied: the cluster holds this log as input 1 with less of it"), "{err}");
    assert!(err.contains("quiet.log: 0 events copied") && err.contains("1 not copied"), "{err}");
    let rows = inputs(&mut db.cmd(&data));
    let quiet_row =
        |t: &str| t.lines().find(|l| l.contains("quiet.log")).map(|l| l.split_once(',').unwrap().1.to_owned());
    assert_eq!(quiet_row(&rows), quiet_row(&inputs(&mut ipscope(&data))), "{rows}");
    assert!(quiet_row(&rows).unwrap().contains(",0,50,"), "{rows}");
    // Completing it the way the message says: ingest the original log into the cluster.
    run_ok(db.cmd(&data).args(["ingest", "--no-progress"]).arg(&c));
    let err = migrate(&data, &db);
    assert!(err.contains("nothing to migrate") && err.contains("c.log: already in the cluster (input 1)"), "{err}");
    assert_eq!(summary(&mut db.cmd(&data)), summary(&mut ipscope(&data)));
    assert_eq!(stored_and_ledger(|| db.cmd(&data)), stored_and_ledger(|| ipscope(&data)));
    drop(daemon);
}

#[test]
fn migrate_errors_name_the_missing_store_or_the_unreachable_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = Db::new("migrate_errors");
    let out = ipscope(&data).args(["migrate", "--to", &db.0]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no database at") && err.contains("ingest something first"), "{err}");
    let log = dir.path().join("auth.log");
    generate(&log, 1_000, 5);
    run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&log));
    // Nothing listens on port 1.
    let out = ipscope(&data).args(["migrate", "--to", "clickhouse://127.0.0.1:1/x?cluster=ipscope"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("127.0.0.1:1"), "{err}");
    let out = ipscope(&data).args(["migrate", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("resumable") && help.contains("left as it was"), "{help}");
}

#[test]
fn events_of_no_recorded_input_are_copied_once_under_a_record_of_their_own() {
    let db = Db::new("migrate_orphans");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    generate(&log, 6_000, 91);
    run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&log));
    {
        // Events whose input the ledger does not know (none of ipscope's writers leaves such;
        // a store edited by hand might): the first day's go to input 99, some to none at all.
        let store = ipscope_store::Store::open(&data).unwrap();
        store
            .query("UPDATE events_sshd SET input_id = 99 WHERE ts < (SELECT min(ts) + INTERVAL 1 DAY FROM events_sshd)")
            .unwrap();
        store
            .query(
                "UPDATE events_sshd SET input_id = NULL WHERE ts > (SELECT max(ts) - INTERVAL 6 HOUR FROM events_sshd)",
            )
            .unwrap();
    }
    let orphans = |c: &mut Command| {
        csv(c.args([
            "sql",
            "SELECT count(*) FROM events WHERE input_id IS NULL OR input_id NOT IN (SELECT id FROM inputs)",
            "--no-header",
        ]))
    };
    let n = orphans(&mut ipscope(&data));
    assert!(n.trim().parse::<u64>().unwrap() > 0, "{n}");
    let err = migrate(&data, &db);
    assert!(err.contains("events without an input: "), "{err}");
    assert_eq!(summary(&mut db.cmd(&data)), summary(&mut ipscope(&data)));
    let count = "SELECT count(*) FROM events";
    let all = |c: &mut Command| csv(c.args(["sql", count, "--no-header"]));
    assert_eq!(all(&mut db.cmd(&data)), all(&mut ipscope(&data)));
    // On the cluster they belong to an input of their own, whose record says what they are.
    let c = ipscope_clickhouse::Cluster::connect(&db.0).unwrap();
    let inputs = c.inputs().unwrap();
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    let own = inputs.iter().find(|r| r.path.starts_with(ipscope_clickhouse::MARKER)).unwrap();
    assert_eq!(own.events.to_string(), n.trim(), "{own:?}");
    let err = migrate(&data, &db);
    assert!(
        err.contains("nothing to migrate") && err.contains("events without an input: already in the cluster"),
        "{err}"
    );
    assert_eq!(all(&mut db.cmd(&data)), all(&mut ipscope(&data)));
}
