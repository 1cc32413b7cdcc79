//! `ipscope serve` end to end: a real daemon on an ephemeral loopback port, real files, real
//! sockets, a real journal file, and the CLI working through it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::time::Duration;

mod common;
use common::*;

/// Generated sshd lines (RFC 3339 timestamps: no year rule involved), split into `parts` pieces
/// at line ends.
fn sshd_lines(lines: u64, seed: u64, parts: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.log");
    generate(&p, lines, seed);
    let all = std::fs::read(&p).unwrap();
    let mut pieces = Vec::new();
    let mut start = 0;
    for i in 1..=parts {
        let want = all.len() * i / parts;
        let end = if i == parts { all.len() } else { all[..want].iter().rposition(|b| *b == b'\n').unwrap() + 1 };
        pieces.push(all[start..end].to_vec());
        start = end;
    }
    (pieces, all)
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Waits until the store (through the daemon) has `n` events.
fn wait_events(data: &Path, n: i64) {
    let mut last = -1;
    let reached = eventually(Duration::from_secs(60), || {
        last = scalar(data, "SELECT count(*) FROM events");
        last == n
    });
    assert!(reached, "expected {n} events, have {last}");
}

/// The reference: the same lines ingested in one run without a daemon.
fn reference(dir: &Path, all: &[u8]) -> (std::path::PathBuf, i64) {
    let log = dir.join("reference.log");
    std::fs::write(&log, all).unwrap();
    let data = dir.join("reference");
    run_ok(ipscope(&data).arg("ingest").arg(&log));
    let n = scalar(&data, "SELECT count(*) FROM events");
    (data, n)
}

#[test]
fn follows_a_file_across_rename_copytruncate_and_gzip_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let (pieces, all) = sshd_lines(30_000, 21, 6);
    let (reference, n) = reference(dir.path(), &all);
    let data = dir.path().join("data");
    let live = logs.join("auth.log");
    append(&live, &pieces[0]);
    let glob = format!("{}/auth.log*", logs.display());
    let d = Daemon::start(&data, &["--follow", &glob]);

    // Grows, line by line at the end of a piece too (a line written in two parts).
    let (a, b) = pieces[1].split_at(pieces[1].len() / 2 + 7);
    append(&live, a);
    std::thread::sleep(Duration::from_millis(400));
    append(&live, b);
    // Rename rotation: auth.log -> auth.log.1, a new auth.log.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::rename(&live, logs.join("auth.log.1")).unwrap();
    append(&live, &pieces[2]);
    // copytruncate: the content is copied to auth.log.2, then auth.log is emptied in place.
    std::thread::sleep(Duration::from_millis(700));
    std::fs::copy(&live, logs.join("auth.log.2")).unwrap();
    std::fs::OpenOptions::new().write(true).open(&live).unwrap().set_len(0).unwrap();
    append(&live, &pieces[3]);
    // Compression: auth.log.1 becomes auth.log.1.gz (a new file, same content).
    std::thread::sleep(Duration::from_millis(700));
    let gz = logs.join("auth.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(logs.join("auth.log.1")).unwrap()).unwrap();
    enc.finish().unwrap();
    std::fs::remove_file(logs.join("auth.log.1")).unwrap();
    append(&live, &pieces[4]);
    append(&live, &pieces[5]);

    wait_events(&data, n);
    // Nothing more trickles in: the count stays.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), n);
    assert_eq!(kinds(&data), kinds(&reference));
    assert!(d.terminate().success());
}

#[test]
fn sigkill_mid_stream_then_restart_counts_exactly_and_sigterm_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (pieces, all) = sshd_lines(60_000, 5, 30);
    let (reference, n) = reference(dir.path(), &all);
    let data = dir.path().join("data");
    let live = dir.path().join("auth.log");
    let glob = live.display().to_string();
    let d = Daemon::start(&data, &["--follow", &glob]);
    for p in &pieces[..20] {
        append(&live, p);
        std::thread::sleep(Duration::from_millis(60));
    }
    d.kill();
    // Lines written while the daemon is down are read when it starts again.
    for p in &pieces[20..25] {
        append(&live, p);
    }
    let d = Daemon::start(&data, &["--follow", &glob]);
    for p in &pieces[25..] {
        append(&live, p);
    }
    // SIGTERM right away: what was read is committed, exit 0.
    std::thread::sleep(Duration::from_millis(300));
    assert!(d.terminate().success());
    let d = Daemon::start(&data, &["--follow", &glob]);
    wait_events(&data, n);
    assert_eq!(kinds(&data), kinds(&reference));
    assert!(d.terminate().success());
    // The file is one input, read once.
    assert_eq!(scalar(&data, "SELECT count(*) FROM inputs"), 1);
    assert_eq!(scalar(&data, "SELECT max(lines) FROM inputs"), 60_000);
}

#[test]
fn syslog_over_udp_and_tcp_both_framings_counts_bad_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = Daemon::start(&data, &["--syslog-udp", "127.0.0.1:0", "--syslog-tcp", "127.0.0.1:0"]);
    let udp_addr = d.info["syslog_udp"].as_str().unwrap().to_owned();
    let tcp_addr = d.info["syslog_tcp"].as_str().unwrap().to_owned();
    let failed = |i: u32| {
        format!(
            "<38>Nov 30 10:00:{:02} gw sshd[{i}]: Failed password for root from 198.51.100.{} port 22 ssh2",
            i % 60,
            i % 250 + 1
        )
    };
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..200 {
        sock.send_to(failed(i).as_bytes(), &udp_addr).unwrap();
    }
    // An ASA deny without a hostname: the sender is the sensor.
    sock.send_to(b"<166>Nov 30 2026 10:00:00: %ASA-4-106023: Deny tcp src outside:203.0.113.9/4444 dst inside:10.0.0.5/22 by access-group \"in\" [0x0, 0x0]", &udp_addr).unwrap();
    sock.send_to(&vec![b'x'; 20_000], &udp_addr).unwrap(); // oversize
    sock.send_to(b"\x00\x01\x02 not syslog at all", &udp_addr).unwrap(); // garbage
    let mut tcp = TcpStream::connect(&tcp_addr).unwrap();
    for i in 200..300 {
        tcp.write_all(format!("{}\n", failed(i)).as_bytes()).unwrap();
    }
    for i in 300..400 {
        let m = failed(i);
        tcp.write_all(format!("{} {m}", m.len()).as_bytes()).unwrap();
    }
    tcp.write_all(format!("20000 {}", "y".repeat(20_000)).as_bytes()).unwrap(); // oversize, counted
    tcp.write_all(format!("{}\n", failed(400)).as_bytes()).unwrap();
    drop(tcp);
    wait_events(&data, 402);
    assert_eq!(scalar(&data, "SELECT count(*) FROM events WHERE kind = 'auth' AND outcome = 'failure'"), 401);
    assert_eq!(scalar(&data, "SELECT count(*) FROM events WHERE kind = 'deny' AND sensor = '127.0.0.1'"), 1);
    assert_eq!(scalar(&data, "SELECT count(DISTINCT sensor) FROM events WHERE format = 'sshd'"), 1);
    let (code, metrics) = d.get("/metrics");
    assert_eq!(code, 200);
    let m = parse_metrics(&metrics);
    assert_eq!(m.get("ipscope_syslog_dropped_total{reason=\"oversize\",transport=\"udp\"}"), Some(&1.0), "{metrics}");
    assert_eq!(m.get("ipscope_syslog_dropped_total{reason=\"oversize\",transport=\"tcp\"}"), Some(&1.0), "{metrics}");
    assert_eq!(m.get("ipscope_syslog_messages_total{transport=\"udp\"}"), Some(&203.0), "{metrics}");
    assert_eq!(m.get("ipscope_syslog_messages_total{transport=\"tcp\"}"), Some(&202.0), "{metrics}");
    let rejected: f64 = m.iter().filter(|(k, _)| k.starts_with("ipscope_lines_rejected_total")).map(|(_, v)| v).sum();
    assert_eq!(rejected, 1.0, "the garbage message is a rejected line: {metrics}");
    assert!(d.terminate().success());
}

/// `name{labels} value` lines of the Prometheus / OpenMetrics text format, with a check of the
/// syntax of every line, labels sorted by name.
fn parse_metrics(text: &str) -> std::collections::HashMap<String, f64> {
    let mut out = std::collections::HashMap::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if l.starts_with('#') {
            assert!(
                l.starts_with("# HELP ") || l.starts_with("# TYPE ") || l.starts_with("# UNIT ") || l == "# EOF",
                "bad comment line {l:?}"
            );
            if l == "# EOF" {
                assert!(lines.peek().is_none(), "text after # EOF");
            }
            continue;
        }
        let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {l:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').unwrap_or_else(|| panic!("bad labels in {l:?}"))),
            None => (series, ""),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'), "bad name {name:?}");
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let (k, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("bad label in {l:?}"));
            let end = after.find('"').unwrap_or_else(|| panic!("unterminated label in {l:?}"));
            pairs.push((k.to_owned(), after[..end].to_owned()));
            rest = after[end + 1..].trim_start_matches(',');
        }
        pairs.sort();
        let key = if pairs.is_empty() {
            name.to_owned()
        } else {
            format!("{name}{{{}}}", pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect::<Vec<_>>().join(","))
        };
        out.insert(key, value);
    }
    assert!(text.trim_end().ends_with("# EOF"), "no # EOF");
    out
}

#[test]
fn metrics_parse_and_no_label_value_is_an_address_a_user_or_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::copy(corpus("openssh/loghub/OpenSSH_2k.log"), logs.join("auth.log")).unwrap();
    std::fs::copy(corpus("cowrie/cowrie-2026/cowrie.json"), logs.join("cowrie.json")).ok();
    let glob = format!("{}/*", logs.display());
    let d = Daemon::start(&data, &["--follow", &glob, "--syslog-udp", "127.0.0.1:0"]);
    // OpenSSH_2k.log: 647 events.
    assert!(eventually(Duration::from_secs(60), || scalar(&data, "SELECT count(*) FROM events") >= 647));
    d.get("/api/report/top-ips?top=3");
    d.get("/api/lookup?ip=173.234.31.186");
    let (_, text) = d.get("/metrics");
    let m = parse_metrics(&text);
    // A strict OpenMetrics parser (Python's prometheus_client) reads it too.
    deps("openmetrics");
    let mut py = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\n\
             fams = list(p(sys.stdin.read()))\nprint(len(fams))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    py.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = py.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "OpenMetrics parser refused /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(families >= 10, "{families} families");
    assert!(m.keys().any(|k| k.starts_with("ipscope_build_info{")), "{text}");
    assert!(m.keys().any(|k| k.starts_with("ipscope_events_total{")), "{text}");
    assert!(
        m.keys().any(|k| k.starts_with("ipscope_http_requests_total{") && k.contains("/api/report/{name}")),
        "{text}"
    );
    assert!(m.keys().any(|k| k.starts_with("ipscope_commit_duration_seconds_bucket")), "{text}");
    let users: std::collections::HashSet<String> = {
        let (out, _) = run_ok(ipscope(&data).args([
            "sql",
            "SELECT DISTINCT username FROM events WHERE username IS NOT NULL",
            "--format",
            "csv",
            "--no-header",
        ]));
        out.lines().map(str::to_owned).collect()
    };
    let labels = |key: &str| -> Vec<(String, String)> {
        let Some((_, labels)) = key.split_once('{') else { return Vec::new() };
        labels
            .trim_end_matches('}')
            .split("\",")
            .map(|pair| {
                let (k, v) = pair.split_once("=\"").unwrap();
                (k.to_owned(), v.trim_end_matches('"').to_owned())
            })
            .collect()
    };
    // Words of the parsers' fixed vocabularies (ignore categories, reject reasons, formats,
    // kinds) may happen to be someone's user name too; anything else from the data may not.
    let vocabulary: std::collections::HashSet<String> = m
        .keys()
        .flat_map(|k| labels(k))
        .filter(|(k, _)| ["category", "reason", "format", "kind"].contains(&k.as_str()))
        .map(|(_, v)| v)
        .collect();
    for key in m.keys() {
        for (_, value) in labels(key) {
            assert!(value.parse::<std::net::IpAddr>().is_err(), "address as label value: {key}");
            assert!(!users.contains(&value) || vocabulary.contains(&value), "user as label value: {key}");
            assert!(!value.contains(&*dir.path().display().to_string()), "path as label value: {key}");
            assert!(value.len() <= 40, "long label value: {key}");
        }
    }
    assert!(d.terminate().success());
}

#[test]
fn forbidden_sql_is_refused_through_the_api_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(corpus("openssh/loghub/OpenSSH_2k.log")));
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "root:x:0:0\n").unwrap();
    let out_file = dir.path().join("out.csv");
    let forbidden = [
        format!("SELECT * FROM read_csv('{}')", secret.display()),
        format!("SELECT * FROM read_text('{}')", secret.display()),
        format!("COPY events TO '{}'", out_file.display()),
        format!("ATTACH '{}' AS x", dir.path().join("other.duckdb").display()),
        "INSTALL httpfs".to_owned(),
        "DELETE FROM events".to_owned(),
        "DROP TABLE events".to_owned(),
        "CREATE TABLE t AS SELECT 1".to_owned(),
        "SET enable_external_access = true".to_owned(),
        "SELECT 1; DELETE FROM events".to_owned(),
    ];
    let n = scalar(&data, "SELECT count(*) FROM events");
    let check_cli = |label: &str| {
        for q in &forbidden {
            let out = ipscope(&data).args(["sql", q]).output().unwrap();
            assert!(!out.status.success(), "{label}: CLI ran {q:?}");
            assert!(!String::from_utf8_lossy(&out.stderr).contains("root:x"), "{label}: leaked the file");
        }
    };
    check_cli("no daemon");
    let d = Daemon::start(&data, &[]);
    check_cli("daemon");
    for q in &forbidden {
        let (code, body) = http(&format!("{}/api/sql", d.url), None, Some(q));
        assert!((400..500).contains(&code), "API ran {q:?}: {code} {body}");
        assert!(!body.contains("root:x"), "API leaked the file: {body}");
    }
    assert!(!out_file.exists());
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), n);
    // A read-only query works, in every output format.
    let (code, body) =
        http(&format!("{}/api/sql?q=SELECT%20count(*)%20AS%20n%20FROM%20events&format=csv", d.url), None, None);
    assert_eq!((code, body), (200, format!("n\n{n}\n")));
    assert!(d.terminate().success());
}

#[test]
fn a_listen_address_off_loopback_needs_a_token_and_requests_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = ipscope(&data).args(["serve", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("token"), "{}", String::from_utf8_lossy(&out.stderr));
    run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(corpus("openssh/fail2ban/sshd")));
    let mut with_token = ipscope(&data);
    with_token.env("IPSCOPE_TOKEN", "s3cret");
    let d = Daemon::start_with(with_token, &data, &[]);
    assert_eq!(d.get("/api/reports").0, 401);
    assert_eq!(http(&format!("{}/api/reports", d.url), Some("wrong"), None).0, 401);
    assert_eq!(http(&format!("{}/api/reports", d.url), Some("s3cret"), None).0, 200);
    // The CLI finds the daemon and sends the token from its environment.
    let out = ipscope(&data).env("IPSCOPE_TOKEN", "s3cret").args(["sql", "SELECT 1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ipscope(&data).args(["sql", "SELECT 1"]).output().unwrap();
    assert!(!out.status.success(), "no token, no answer");
    assert!(d.terminate().success());
}

/// What a set of commands prints on stdout.
fn transcript(data: &Path, commands: &[Vec<String>]) -> Vec<String> {
    commands
        .iter()
        .map(|c| {
            let (out, _) = run_ok(ipscope(data).args(c).env("IPSCOPE_NOW", "2026-12-01T00:00:00Z"));
            format!("$ ipscope {}\n{out}", c.join(" "))
        })
        .collect()
}

#[test]
fn every_command_prints_the_same_with_and_without_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let served = dir.path().join("served");
    let geoip = test_geoip();
    let first = [corpus("openssh/loghub/OpenSSH_2k.log"), corpus("asa/beats/asa.log")];
    let second = corpus("openssh/fail2ban/sshd");
    for data in [&plain, &served] {
        run_ok(ipscope(data).args(["--geoip", &geoip, "ingest", "--year", "2025"]).args(&first));
    }
    let d = Daemon::start(&served, &["--geoip", &geoip]);
    // Writes through the daemon give what they give without it.
    let ingest = |data: &Path| {
        let (_, err) = run_ok(ipscope(data).args(["--geoip", &geoip, "ingest", "--year", "2025"]).arg(&second));
        err.lines().filter(|l| !l.starts_with("total:")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(ingest(&served), ingest(&plain));
    let mut commands: Vec<Vec<String>> = Vec::new();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
    for r in ipscope_names() {
        let mut c = s(&["report", &r, "--format", "csv"]);
        // The two reports that need a subject.
        match r.as_str() {
            "top-asns" => c.extend(s(&["--taxonomy", "intrusion-attempts"])),
            "asn-trend" => c.extend(s(&["--asn", "15169"])),
            _ => {}
        }
        commands.push(c);
    }
    commands.extend([
        s(&["report", "top-ips", "-N", "5", "--format", "json", "--since", "2024-01-01"]),
        s(&["report", "low-success", "--by", "user", "-s", "0.5", "--format", "markdown"]),
        s(&["report", "nets", "--prefix", "16", "--format", "tsv"]),
        s(&["report", "nets", "--drill", "173.234.31.0/24", "--format", "csv"]),
        s(&["reports"]),
        s(&["sql", "SELECT kind, count(*) n FROM events GROUP BY ALL ORDER BY ALL", "--format", "ndjson"]),
        s(&["status", "--format", "csv"]),
        s(&["--geoip", &geoip, "lookup", "173.234.31.186", "89.160.20.128", "--format", "json"]),
        s(&["maint", "-p", "10000"]),
        s(&["purge", "--older-than", "10000d"]),
    ]);
    let with_daemon = transcript(&served, &commands);
    let writes = [s(&["--geoip", &geoip, "enrich", "--refresh"]), s(&["purge", "--older-than", "600d", "--commit"])];
    transcript(&served, &writes);
    let after_with = transcript(&served, &commands);
    assert!(d.terminate().success());
    let without = transcript(&plain, &commands);
    transcript(&plain, &writes);
    let after_without = transcript(&plain, &commands);
    // The two stores were written by separate runs: only their ingest times differ (the last two
    // columns of `status`).
    let same = |a: &str, data: &Path| {
        let a = a.replace(&data.display().to_string(), "DATA");
        if !a.starts_with("$ ipscope status") {
            return a;
        }
        a.lines().map(|l| l.rsplitn(3, ',').last().unwrap_or(l).to_owned()).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(with_daemon.len(), without.len());
    for (a, b) in with_daemon.iter().zip(&without).chain(after_with.iter().zip(&after_without)) {
        assert_eq!(same(a, &served), same(b, &plain));
    }
    assert_ne!(with_daemon, after_with, "the writes through the daemon changed something");
}

fn ipscope_names() -> Vec<String> {
    // Piped: tab-separated, a header row first.
    let (out, _) = run_ok(std::process::Command::new(env!("CARGO_BIN_EXE_ipscope")).arg("reports"));
    out.lines().skip(1).map(|l| l.split('\t').next().unwrap().to_owned()).collect()
}

#[test]
fn the_api_serves_reports_with_the_cli_parameters_as_flat_rows_with_iso_times() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(corpus("openssh/loghub/OpenSSH_2k.log")));
    let (cli, _) =
        run_ok(ipscope(&data).args(["report", "top-ips", "-N", "4", "--since", "2025-12-10", "--format", "csv"]));
    let d = Daemon::start(&data, &[]);
    let (code, api) = d.get("/api/report/top-ips?top=4&since=2025-12-10&format=csv");
    assert_eq!(code, 200, "{api}");
    assert_eq!(api, cli, "the API's csv is the CLI's");
    let (code, json) = d.get("/api/report/daily");
    assert_eq!(code, 200);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = &rows[0];
    assert!(first.as_object().unwrap().values().all(|v| !v.is_object() && !v.is_array()), "flat rows: {first}");
    let (_, ts_json) = d.get("/api/report/top-ips?top=1");
    let top: serde_json::Value = serde_json::from_str(&ts_json).unwrap();
    let first_seen = top[0]["first_seen"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(first_seen).is_ok(), "ISO time: {first_seen}");
    // Booleans, lists, bad values, flags that would write files on the server.
    assert_eq!(d.get("/api/report/top-ips?external=true").0, 400, "needs home networks, like the CLI");
    assert_eq!(d.get("/api/report/top-ips?source=sshd,cowrie").0, 200);
    assert_eq!(d.get("/api/report/top-ips?top=0").0, 400);
    assert_eq!(d.get("/api/report/top-ips?since=yesterday").0, 400);
    assert_eq!(d.get("/api/report/nope").0, 400);
    assert_eq!(d.get("/api/report/top-ips?chart=/tmp/x.svg").0, 400);
    assert_eq!(d.get("/api/report/top-ips?sensor=x%27%20OR%201%3D1%20--").1, "[]\n", "a quote is data, not SQL");
    let (code, body) = d.get(&format!("/api/report/top-ips?since={}", "9".repeat(20_000)));
    assert_eq!(code, 414, "{body}");
    let (code, reports) = d.get("/api/reports");
    assert_eq!(code, 200);
    assert!(reports.contains("\"report\": \"top-ips\""), "{reports}");
    let (code, status) = d.get("/api/status");
    assert_eq!(code, 200);
    assert!(status.contains("\"inputs\""), "{status}");
    let (code, lookup) = d.get("/api/lookup?ip=173.234.31.186");
    assert_eq!(code, 200);
    assert!(lookup.contains("\"events\""), "{lookup}");
    assert!(d.terminate().success());
}

/// Installs what a test needs through the project's script (never a silent skip).
fn deps(what: &str) {
    let ok = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh"))
        .arg(what)
        .status()
        .unwrap();
    assert!(ok.success(), "scripts/test-deps.sh {what} failed");
}

#[test]
fn the_packaged_systemd_unit_verifies_and_the_example_config_loads() {
    deps("systemd");
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let unit = std::fs::read_to_string(root.join("packaging/ipscope.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/ipscope "), "{unit}");
    // systemd-analyze checks that the program exists: point it at the binary under test.
    let here = unit.replace("ExecStart=/usr/bin/ipscope", &format!("ExecStart={}", env!("CARGO_BIN_EXE_ipscope")));
    let path = dir.path().join("ipscope.service");
    std::fs::write(&path, here).unwrap();
    let out = std::process::Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&path).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The commented example config is valid as shipped (serve settings included).
    let data = dir.path().join("data");
    let out = ipscope(&data)
        .env("IPSCOPE_CONFIG", root.join("packaging/config.toml"))
        .env("IPSCOPE_DATA", &data)
        .args(["reports"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn journal_entries_are_read_and_resume_after_the_committed_cursor() {
    deps("journal");
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("remote.journal");
    let entry = |i: u64| {
        format!(
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=bastion\n\
             SYSLOG_IDENTIFIER={}\n_PID={}\nMESSAGE=Failed password for invalid user u{i} from 192.0.2.{} port 4{i} ssh2\n\n",
            1_764_460_800_000_000 + i * 1_000_000,
            1_000_000 + i,
            if i.is_multiple_of(2) { "sshd" } else { "sshd-session" },
            1000 + i,
            i % 200 + 1
        )
    };
    let write = |from: u64, to: u64| {
        let export: String = (from..to).map(entry).collect();
        let mut child = std::process::Command::new("/lib/systemd/systemd-journal-remote")
            .arg(format!("--output={}", journal.display()))
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(export.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    write(0, 40);
    let data = dir.path().join("data");
    let jf = journal.display().to_string();
    let d = Daemon::start(&data, &["--journal-file", &jf]);
    wait_events(&data, 40);
    assert_eq!(scalar(&data, "SELECT count(*) FROM events WHERE kind = 'auth' AND sensor = 'bastion'"), 40);
    assert!(d.terminate().success());
    write(40, 55);
    let d = Daemon::start(&data, &["--journal-file", &jf]);
    wait_events(&data, 55);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), 55, "read after the cursor, not again");
    assert_eq!(scalar(&data, "SELECT count(DISTINCT username) FROM events"), 55);
    d.kill();
}

#[test]
fn a_cron_ingest_of_a_followed_file_neither_fails_nor_counts_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (pieces, all) = sshd_lines(40_000, 9, 20);
    let (reference, n) = reference(dir.path(), &all);
    let data = dir.path().join("data");
    let live = dir.path().join("auth.log");
    append(&live, &pieces[0]);
    let glob = live.display().to_string();
    let d = Daemon::start(&data, &["--follow", &glob]);
    // The file grows while `ipscope ingest` of it runs again and again, as from cron: the two
    // writers race for the same input; each line must be stored once.
    let writer = {
        let live = live.clone();
        let rest: Vec<Vec<u8>> = pieces[1..].to_vec();
        std::thread::spawn(move || {
            for p in rest {
                append(&live, &p);
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (_, err) = run_ok(ipscope(&data).arg("ingest").arg(&live));
        statuses.push(err.lines().next().unwrap_or_default().to_owned());
    }
    writer.join().unwrap();
    let (_, err) = run_ok(ipscope(&data).arg("ingest").arg(&live));
    statuses.push(err.lines().next().unwrap_or_default().to_owned());
    wait_events(&data, n);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), n, "{statuses:#?}");
    assert_eq!(kinds(&data), kinds(&reference));
    assert_eq!(scalar(&data, "SELECT count(*) FROM inputs"), 1, "{statuses:#?}");
    assert!(d.terminate().success());
}
