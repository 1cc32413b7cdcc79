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

use common::{ipscope, run_ok, test_geoip};
use ipscope_gen::{GenConfig, GenFormat};

/// Lines generated per format: every report has rows, and the test stays a few seconds.
const LINES: u64 = 5_000;
const SEED: u64 = 7;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports")
}

/// One store with every generated format, enriched with the MaxMind test databases.
fn store(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let cfg = GenConfig { seed: SEED, lines: LINES, ..GenConfig::default() };
    for format in GenFormat::ALL {
        let log = dir.join(format!("{format}.log"));
        ipscope_gen::write(format, &cfg, std::fs::File::create(&log).unwrap()).unwrap();
        run_ok(
            ipscope(&data)
                .args(["ingest", "--format", format.parser_name(), "--year", "2026", "--geoip"])
                .args([test_geoip().as_str(), log.to_str().unwrap()]),
        );
    }
    data
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
    let bless = std::env::var_os("IPSCOPE_BLESS").is_some();
    let mut changed = Vec::new();
    for (name, args) in cases() {
        let (out, _) = run_ok(ipscope(&data).arg("report").args(&args).args(["--top", "50", "--format", "csv"]));
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
    assert!(changed.is_empty(), "reports changed their answers:\n{}", changed.join("\n"));
    // Every generated format filled only columns of its own table (schema 6).
    let (wide, _) =
        run_ok(ipscope(&data).args(["sql", "SELECT count(*) FROM events_wide", "--format", "csv", "--no-header"]));
    assert_eq!(wide.trim(), "0", "events fell back to the wide table");
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
    assert_eq!(python.trim(), format!("[{}]", rows.join(", ")));
}
