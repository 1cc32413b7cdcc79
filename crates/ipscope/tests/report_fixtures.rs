//! The guard for storage changes (issue 11: a new schema must give byte-identical answers): every
//! catalogue report, and the variants that take other paths through the SQL, run over one store
//! holding generated logs of every format, compared with the CSV they printed before
//! (`tests/fixtures/reports/`).
//!
//! This is a regression fixture, not an oracle: whether the answers are right is checked by the
//! tests that know them by construction (`ipscope-report/tests/catalogue.rs`, the generator's
//! ground truth in `cli.rs`, the per-report tests). What this adds is that a change to how events
//! are stored or queried changes no answer. After an intended change of a report's output, write
//! the fixtures anew with `IPSCOPE_BLESS=1 cargo test --release --workspace --test
//! report_fixtures` and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{Db, ipscope, run_ok, test_geoip};
use ipscope_gen::{GenConfig, GenFormat};

/// Lines generated per format: every report has rows, and the test stays a few seconds.
const LINES: u64 = 5_000;
const SEED: u64 = 7;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

/// One store with every generated format, enriched with the MaxMind test databases: the
/// embedded one in `dir/data`, or the ClickHouse database `cluster` names.
fn store_in(dir: &Path, cluster: Option<&Db>) -> PathBuf {
    let data = dir.join("data");
    let cfg = GenConfig { seed: SEED, lines: LINES, ..GenConfig::default() };
    for format in GenFormat::ALL {
        let log = dir.join(format!("{format}.log"));
        ipscope_gen::write(format, &cfg, std::fs::File::create(&log).unwrap()).unwrap();
        run_ok(
            cmd(&data, cluster)
                .args(["ingest", "--format", format.parser_name(), "--year", "2026", "--geoip"])
                .args([test_geoip().as_str(), log.to_str().unwrap()]),
        );
    }
    data
}

fn store(dir: &Path) -> PathBuf {
    store_in(dir, None)
}

/// `ipscope` on the embedded store in `data`, or on `cluster`.
fn cmd(data: &Path, cluster: Option<&Db>) -> std::process::Command {
    cluster.map_or_else(|| ipscope(data), |db| db.cmd(data))
}

/// Every report by name, then variants: (fixture name, arguments after `report`).
fn cases() -> Vec<(String, Vec<String>)> {
    let names = ipscope_report::CATALOGUE.iter().map(|r| r.name);
    let mut cases: Vec<(String, Vec<String>)> =
        names.filter(|n| !matches!(*n, "top-asns" | "asn-trend")).map(|n| (n.to_owned(), vec![n.to_owned()])).collect();
    let variants: &[&[&str]] = &[
        // Reports that need a key: one the data has (see taxonomy.csv and asns.csv).
        &["top-asns", "--taxonomy", "intrusion-attempts"],
        &["asn-trend", "--asn", "29518"],
        &["low-success", "--by", "user"],
        &["nets", "--prefix", "16"],
        &["nets", "--registered"],
        &["top-ips", "--source", "cowrie,sshd"],
        &["top-ips", "--kind", "auth", "--since", "2026-03-04", "--until", "2026-03-06"],
        &["top-ips", "--src", "0.0.0.0/1", "--min-events", "3"],
        &["daily", "--tz", "America/Chicago"],
        &["activity", "--tz", "Asia/Kolkata"],
        &["activity", "--attacker-time"],
        &["timeline", "--by", "format", "--bucket", "day"],
        &["trends", "--by", "country", "--days", "7"],
        &["trends", "--by", "user"],
        &["rates", "--threshold", "ip:1h=20,24:1d=100"],
        &["scans", "--no-probes"],
    ];
    for v in variants {
        let name = v.join("_").replace("--", "").replace([' ', ',', '/', ':', '='], "-");
        cases.push((name, v.iter().map(|s| (*s).to_owned()).collect()));
    }
    cases
}

#[test]
fn every_report_prints_what_it_printed_before() {
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let changed = compare_with_fixtures(&data, None);
    assert!(changed.is_empty(), "reports changed their answers:\n{}", changed.join("\n"));
    // Every generated format filled only columns of its own table (schema 6).
    let (wide, _) =
        run_ok(ipscope(&data).args(["sql", "SELECT count(*) FROM events_wide", "--format", "csv", "--no-header"]));
    assert_eq!(wide.trim(), "0", "events fell back to the wide table");
}

/// Issue 13's equality: the same logs ingested into the 2-shard ClickHouse cluster
/// (`--store`) print every report and variant byte for byte as the embedded store printed
/// them (the fixtures).
#[test]
fn every_report_prints_the_same_on_the_clickhouse_cluster() {
    let db = Db::new("fixtures");
    let dir = tempfile::tempdir().unwrap();
    let data = store_in(dir.path(), Some(&db));
    let changed = compare_with_fixtures(&data, Some(&db));
    assert!(changed.is_empty(), "reports differ on the cluster:\n{}", changed.join("\n"));
}

/// Every case run on the store, compared with its fixture: the differences, one line each
/// (`IPSCOPE_BLESS=1` writes the fixtures instead, from the embedded store only).
fn compare_with_fixtures(data: &Path, cluster: Option<&Db>) -> Vec<String> {
    let bless = cluster.is_none() && std::env::var_os("IPSCOPE_BLESS").is_some();
    let mut changed = Vec::new();
    for (name, args) in cases() {
        let (out, _) = run_ok(cmd(data, cluster).arg("report").args(&args).args(["--top", "50", "--format", "csv"]));
        assert!(out.lines().count() > 1 || name == "crossover", "{name}: no rows, nothing guarded:\n{out}");
        let path = fixtures().join(format!("{name}.csv"));
        if bless {
            std::fs::create_dir_all(fixtures()).unwrap();
            std::fs::write(&path, &out).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (IPSCOPE_BLESS=1 writes the fixtures)", path.display()));
        if out != want {
            let line = out.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
            changed.push(format!(
                "{name} (report {}): first difference at line {}:\n  now:    {:?}\n  before: {:?}",
                args.join(" "),
                line + 1,
                out.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            ));
        }
    }
    changed
}

/// The README's notebook example, as written there (only `db` points at this test's store):
/// Python's `duckdb` opens the file and reads addresses and user names as text, the same
/// answer `ipscope sql` gives. Whatever the schema stores, this must keep working.
#[test]
fn the_readme_notebook_example_reads_addresses_as_text() {
    let ok = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh"))
        .arg("notebook")
        .status()
        .unwrap();
    assert!(ok.success(), "scripts/test-deps.sh notebook failed (Python's duckdb)");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("The notebook example").expect("README: the notebook example");
    let block = &readme[start..];
    let code = &block[block.find("```python\n").unwrap() + 10..];
    let code = &code[..code.find("```").unwrap()];
    let query = &code[code.find("SELECT").unwrap()..code.find("\"\"\")").unwrap()];

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    common::generate(&log, 3_000, SEED);
    let data = dir.path().join("data");
    run_ok(ipscope(&data).args(["ingest", "--format", "sshd", log.to_str().unwrap()]));
    let db = data.join("ipscope.duckdb");
    let script: String = code
        .lines()
        .map(|l| if l.starts_with("db = ") { format!("db = {:?}", db.display().to_string()) } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(script, code.trim_end(), "the example sets db = ...");
    let out = std::process::Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let python = String::from_utf8(out.stdout).unwrap();

    // The same query through ipscope, printed as Python prints a list of tuples.
    let (csv, _) = run_ok(ipscope(&data).args(["sql", query, "--format", "csv", "--no-header"]));
    let rows: Vec<String> = csv
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("('{}', '{}', {})", f[0], f[1], f[2])
        })
        .collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows[0].starts_with("('") && rows[0].contains('.'), "addresses as text: {rows:?}");
    // Each pair is one the log has (the example once selected `user`, which DuckDB reads as
    // the current user: 'duckdb' on every row, the same in Python and in `ipscope sql`).
    let text = std::fs::read_to_string(&log).unwrap();
    for line in csv.lines() {
        let f: Vec<&str> = line.split(',').collect();
        let (ip, user) = (f[0], f[1]);
        assert!(
            text.contains(&format!(" for {user} from {ip} "))
                || text.contains(&format!(" for invalid user {user} from {ip} ")),
            "{user} from {ip} is not in the log: {csv}"
        );
    }
    assert_eq!(python.trim(), format!("[{}]", rows.join(", ")));
}

/// The reports the hourly rollups serve (issue 12: "say which reports are served from rollups
/// and prove equality with the raw-event answer"): with each filter and window shape, the query
/// log shows the report read `rollup_hourly`, and `--no-rollups` (raw events only) prints the
/// same bytes. The cases the rollups cannot serve are shown to fall back.
#[test]
fn served_reports_read_the_rollups_and_print_the_raw_event_answer() {
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let served: &[&[&str]] = &[
        &["daily"],
        &["daily", "--tz", "America/Chicago"],
        &["daily", "--since", "2026-03-04T10:30:00Z", "--until", "2026-03-09T07:15:10Z"],
        &["daily", "--source", "sshd,asa", "--no-probes"],
        &["top-ips"],
        &["top-ips", "--source", "cowrie,sshd"],
        &["top-ips", "--kind", "auth", "--since", "2026-03-04", "--until", "2026-03-06"],
        &["top-ips", "--since", "2026-03-04T10:30:00Z", "--min-events", "3"],
        &["top-ips", "--src", "0.0.0.0/1,2000::/3"],
        &["nets"],
        &["nets", "--prefix", "16", "--prefix6", "32"],
        &["nets", "--registered"],
        &["nets", "--drill", "0.0.0.0/0"],
        &["countries"],
        &["countries", "--since", "2026-03-05T00:00:01Z"],
        &["cities"],
        &["continents"],
        &["asns"],
        &["asns", "--kind", "feed_event,deny"],
        &["summary"],
        &["summary", "--until", "2026-03-06T12:00:00Z", "--home", "0.0.0.0/2,2001:db8::/32", "--external"],
        &["top-ips", "--home", "0.0.0.0/2", "--home-only"],
        &["activity"],
        &["activity", "--tz", "America/Chicago", "--source", "zeek_conn"],
        &["timeline"],
        &["timeline", "--by", "format", "--bucket", "hour", "--since", "2026-03-05T03:20:00Z"],
        &["trends"],
        &["trends", "--by", "country", "--days", "7"],
        &["trends", "--by", "prefix", "--prefix", "16"],
        &["trends", "--by", "source", "--tz", "Europe/Berlin"],
        &["asn-trend", "--asn", "29518"],
        &["daily", "--asn", "29518,15169"],
        &["top-ips", "--asn", "29518"],
        &["nets", "--asn", "29518"],
        &["low-success"],
        &["low-success", "-s", "0.5", "--since", "2026-03-04T10:30:00Z"],
    ];
    let fallback: &[&[&str]] = &[
        &["daily", "--tz", "Asia/Kolkata"],
        &["top-ips", "--sensor", "honeypot-1"],
        &["top-users"],
        &["feeds"],
        &["timeline", "--bucket", "minute"],
        &["trends", "--by", "user"],
        &["activity", "--tz", "Asia/Kolkata"],
        &["low-success", "--by", "user"],
    ];
    let run = |args: &[&str], rollups: bool| {
        let mut c = ipscope(&data);
        c.args(["-vv", "report"]).args(args).args(["--top", "50", "--format", "csv"]);
        if !rollups {
            c.arg("--no-rollups");
        }
        run_ok(&mut c)
    };
    for (args, serves) in served.iter().map(|a| (a, true)).chain(fallback.iter().map(|a| (a, false))) {
        let (with, log) = run(args, true);
        let (without, raw_log) = run(args, false);
        assert_eq!(log.contains("rollup_hourly"), serves, "report {}: rollups used = {}", args.join(" "), !serves);
        assert!(!raw_log.contains("rollup_hourly"), "report {} --no-rollups read the rollups", args.join(" "));
        assert!(with.lines().count() > 1 || args.contains(&"--sensor"), "report {}: no rows", args.join(" "));
        assert_eq!(with, without, "report {}: the rollups' answer differs from the events'", args.join(" "));
    }
}
