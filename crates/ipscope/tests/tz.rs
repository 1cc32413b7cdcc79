//! `--tz` from the command line: the flag, its environment twin, the config's `tz` as default,
//! `--since` dates at the zone's midnight, and the API (UTC unless `tz=` is given).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Daemon, ipscope, run_ok};

/// Failed logins at 2026-11-02 05:30 UTC (23:30 on Nov 1 in Chicago, CST) and 06:30 UTC
/// (00:30 on Nov 2 in Chicago).
fn store(dir: &std::path::Path) -> std::path::PathBuf {
    let log = "2026-11-02T05:30:00+00:00 web1 sshd[1]: Failed password for root from 198.51.100.7 port 1 ssh2\n\
               2026-11-02T06:30:00+00:00 web1 sshd[2]: Failed password for root from 198.51.100.8 port 1 ssh2\n";
    std::fs::write(dir.join("auth.log"), log).unwrap();
    let data = dir.join("data");
    run_ok(ipscope(&data).args(["ingest", "--format", "sshd", dir.join("auth.log").to_str().unwrap()]));
    data
}

fn daily(out: &str) -> Vec<String> {
    out.lines().skip(1).map(|l| l.split(',').take(3).collect::<Vec<_>>().join(" ")).collect()
}

#[test]
fn days_follow_the_zone_from_flag_env_or_config() {
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let utc = ["2026-11-02 Monday 2"];
    let chicago = ["2026-11-01 Sunday 1", "2026-11-02 Monday 1"];
    // The test environment sets IPSCOPE_TZ=UTC.
    let (out, _) = run_ok(ipscope(&data).args(["report", "daily", "--format", "csv"]));
    assert_eq!(daily(&out), utc);
    let (out, _) = run_ok(ipscope(&data).args(["report", "daily", "--format", "csv", "--tz", "America/Chicago"]));
    assert_eq!(daily(&out), chicago);
    let (out, _) =
        run_ok(ipscope(&data).env("IPSCOPE_TZ", "America/Chicago").args(["report", "daily", "--format", "csv"]));
    assert_eq!(daily(&out), chicago);
    // The config's tz is the default when neither is given.
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "tz = \"America/Chicago\"\n").unwrap();
    let (out, _) = run_ok(
        ipscope(&data)
            .env_remove("IPSCOPE_TZ")
            .env("IPSCOPE_CONFIG", &cfg)
            .args(["report", "daily", "--format", "csv"]),
    );
    assert_eq!(daily(&out), chicago);
    // --since DATE is the zone's midnight: Chicago's Nov 2 begins at 06:00 UTC.
    let (out, _) = run_ok(ipscope(&data).args([
        "report",
        "daily",
        "--format",
        "csv",
        "--tz",
        "America/Chicago",
        "--since",
        "2026-11-02",
    ]));
    assert_eq!(daily(&out), ["2026-11-02 Monday 1"]);
    // A zone that does not exist is a usage error.
    let out = ipscope(&data).args(["report", "daily", "--tz", "Mars/Olympus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    // The API: UTC days unless tz= is given.
    let d = Daemon::start(&data, &[]);
    let (_, body) = d.get("/api/report/daily?format=csv");
    assert_eq!(daily(&body), utc);
    let (_, body) = d.get("/api/report/daily?format=csv&tz=America/Chicago");
    assert_eq!(daily(&body), chicago);
    // Local hour buckets carry no `Z`: they are wall-clock times, not UTC instants.
    let (_, body) = d.get("/api/report/timeline?bucket=hour&tz=America/Chicago");
    assert!(body.contains("\"2026-11-01 23:00:00\""), "{body}");
    let (_, body) = d.get("/api/report/timeline?bucket=hour");
    assert!(body.contains("\"2026-11-02T05:00:00Z\""), "{body}");
    d.terminate();
}
