//! sshd scanner probes and silent attempts through the real binary (issue 15): they are
//! `connection` failures that `scanners` and `top-ips` see, `--no-probes` leaves them out, and
//! the authentication counts are the same with and without them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

mod common;
use common::{ipscope, stdout_ok as out};

/// The `ip,events` pairs of `top-ips` (csv).
fn top_ips(data: &Path, extra: &[&str]) -> Vec<String> {
    let t = out(ipscope(data).args(["report", "top-ips", "--format", "csv"]).args(extra));
    t.lines().skip(1).map(|l| l.split(',').take(2).collect::<Vec<_>>().join(",")).collect()
}

#[test]
fn probes_are_unanswered_connections_that_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    let mut text = String::new();
    // A scanner: 5 connections that never authenticate, in 4 shapes.
    for (i, msg) in [
        "Did not receive identification string from 192.0.2.50 port 40000",
        "banner exchange: Connection from 192.0.2.50 port 40001: invalid format",
        "Unable to negotiate with 192.0.2.50 port 40002: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
        "Connection closed by 192.0.2.50 port 40003 [preauth]",
        "Connection closed by authenticating user root 192.0.2.50 port 40004 [preauth]",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!("2026-03-02T10:00:0{i}+00:00 h sshd[{}]: {msg}\n", 100 + i));
    }
    // A brute-forcer: 3 failures in one connection, then its end line (not a probe).
    for i in 0..3 {
        text.push_str(&format!(
            "2026-03-02T11:00:0{i}+00:00 h sshd[200]: Failed password for root from 198.51.100.9 port 50000 ssh2\n"
        ));
    }
    text.push_str("2026-03-02T11:00:05+00:00 h sshd[200]: Connection closed by authenticating user root 198.51.100.9 port 50000 [preauth]\n");
    std::fs::write(&log, text).unwrap();
    out(ipscope(&data).arg("ingest").arg(&log));

    assert_eq!(top_ips(&data, &[]), ["192.0.2.50,5", "198.51.100.9,3"]);
    assert_eq!(top_ips(&data, &["--no-probes"]), ["198.51.100.9,3"]);
    // scanners: the probes are unanswered connections (no port: sshd does not log its own).
    let t = out(ipscope(&data).args(["report", "scanners", "--format", "csv"]));
    let row: Vec<&str> = t.lines().nth(1).unwrap().split(',').collect();
    assert_eq!((row[0], row[4]), ("192.0.2.50", "5"), "{t}");
    // top-users sees root's silent attempt; auth counts are the brute-forcer's alone.
    let sql = |q: &str| out(ipscope(&data).args(["sql", q, "--format", "csv", "--no-header"])).trim().to_owned();
    assert_eq!(sql("SELECT count(*) FROM events WHERE kind = 'auth'"), "3");
    assert_eq!(
        sql("SELECT count(*) FROM events WHERE kind = 'connection' AND outcome = 'failure' AND username = 'root'"),
        "1"
    );
    assert_eq!(
        sql("SELECT string_agg(conn_state, ' ' ORDER BY ts) FROM events WHERE kind = 'connection'"),
        "no identification bad banner negotiation failure closed preauth closed preauth"
    );
}
