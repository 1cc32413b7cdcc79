//! The Cowrie parser over every Cowrie corpus file: events by kind/outcome checked against an
//! eventid histogram computed here with `serde_json::Value`, the exact ignored/rejected lines,
//! snapshots of two representative files, auto-detection against every corpus file of every
//! format, and never-panic properties.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Parsed, lines, parse_all};
use ipscope_formats::cowrie::{CowrieParser, looks_like};
use ipscope_formats::{
    Clock, ClockConfig, Event, EventKind, LineOutcome, Outcome, Parser, SourceFormat, YearRule, Zone,
};
use proptest::prelude::*;
use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/");

/// Every Cowrie corpus file, relative to `CORPUS/cowrie/`.
const FILES: [&str; 5] = [
    "kareiva-cowrie-logs/cowrie.json.2018-05-06",
    "kareiva-cowrie-logs/cowrie.json.2018-05-07",
    "kareiva-cowrie-logs/cowrie.json.2018-05-10",
    "kareiva-cowrie-logs/cowrie.json.2018-06-13",
    "fail2ban/cowrie",
];

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{CORPUS}cowrie/{rel}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parser() -> CowrieParser {
    CowrieParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Reference }, 0))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn files_list_is_the_whole_cowrie_corpus() {
    let mut all = Vec::new();
    let root = PathBuf::from(format!("{CORPUS}cowrie"));
    files_under(&root, &mut all);
    let found: BTreeSet<String> =
        all.iter().map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().into_owned()).collect();
    let listed: BTreeSet<String> = FILES.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(found, listed, "a Cowrie corpus file is not covered by FILES");
}

type Counts = BTreeMap<String, usize>;

fn key(kind: EventKind, outcome: Option<Outcome>) -> String {
    match outcome {
        Some(o) => format!("{kind}/{o}"),
        None => kind.to_string(),
    }
}

fn actual(parsed: &[Parsed]) -> Counts {
    let mut c = Counts::new();
    for e in parsed.iter().flat_map(|p| &p.events) {
        *c.entry(key(e.kind, e.outcome)).or_default() += 1;
    }
    c
}

/// What the raw text says, independently of the parser: the eventid histogram, plus the two
/// facts that need session state (first login of a session, closes of logged-in sessions).
struct Expected {
    counts: Counts,
    /// Lines that are not JSON: (1-based line, text).
    not_json: Vec<usize>,
    blank: usize,
    comment: usize,
    /// eventid → lines.
    histogram: BTreeMap<String, usize>,
    closed_without_login: usize,
    /// Sessions logged in and not closed by the end of the file.
    still_open: usize,
}

fn expected(bytes: &[u8]) -> Expected {
    let mut x = Expected {
        counts: Counts::new(),
        not_json: vec![],
        blank: 0,
        comment: 0,
        histogram: BTreeMap::new(),
        closed_without_login: 0,
        still_open: 0,
    };
    let mut logged_in: BTreeSet<String> = BTreeSet::new();
    let mut opens = 0;
    let mut closes = 0;
    for (i, raw) in lines(bytes).into_iter().enumerate() {
        let l = String::from_utf8(raw.to_vec()).unwrap();
        let l = l.trim();
        if l.is_empty() {
            x.blank += 1;
            continue;
        }
        if l.starts_with('#') {
            x.comment += 1;
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            x.not_json.push(i + 1);
            continue;
        };
        let id = v["eventid"].as_str().unwrap().to_owned();
        let session = v["session"].as_str().unwrap().to_owned();
        match id.as_str() {
            // Only a session's first success opens it.
            "cowrie.login.success" => opens += usize::from(logged_in.insert(session)),
            "cowrie.session.closed" => {
                if logged_in.remove(&session) {
                    closes += 1;
                } else {
                    x.closed_without_login += 1;
                }
            }
            _ => {}
        }
        *x.histogram.entry(id).or_default() += 1;
    }
    x.still_open = logged_in.len();
    let h = |id: &str| x.histogram.get(id).copied().unwrap_or(0);
    let mut add = |k: &str, n: usize| {
        if n > 0 {
            *x.counts.entry(k.to_owned()).or_default() += n;
        }
    };
    add("connection", h("cowrie.session.connect"));
    add("auth/success", h("cowrie.login.success"));
    add("auth/failure", h("cowrie.login.failed"));
    add("session_open", opens);
    add("session_close", closes);
    add("command", h("cowrie.command.input"));
    add("command/failure", h("cowrie.command.failed"));
    add("command/success", h("cowrie.command.success"));
    add("download/success", h("cowrie.session.file_download") + h("cowrie.session.file_upload"));
    add("download/failure", h("cowrie.session.file_download.failed"));
    add("client_info", h("cowrie.client.version") + h("cowrie.client.kex") + h("cowrie.client.fingerprint"));
    add("tunnel", h("cowrie.direct-tcpip.request"));
    x
}

struct Summary {
    lines: usize,
    ignored: BTreeMap<&'static str, usize>,
    rejected: Vec<(usize, &'static str)>,
}

fn summarize(parsed: &[Parsed]) -> Summary {
    let mut s = Summary { lines: parsed.len(), ignored: BTreeMap::new(), rejected: vec![] };
    let mut event_lines = 0;
    for p in parsed {
        match &p.outcome {
            LineOutcome::Events(n) => {
                assert_eq!(*n, p.events.len(), "line {}", p.line_no);
                assert!(*n > 0, "line {}: Events(0)", p.line_no);
                event_lines += 1;
            }
            LineOutcome::Ignored(c) => {
                assert!(p.events.is_empty(), "line {}", p.line_no);
                *s.ignored.entry(c).or_default() += 1;
            }
            LineOutcome::Rejected(r) => {
                assert!(p.events.is_empty(), "line {}", p.line_no);
                s.rejected.push((p.line_no, r.reason));
            }
        }
    }
    assert_eq!(event_lines + s.ignored.values().sum::<usize>() + s.rejected.len(), s.lines);
    s
}

/// Parse one file, check it against the raw text, and return what the parser produced.
fn check_file(rel: &str) -> (Counts, Summary) {
    let bytes = read(rel);
    let parsed = parse_all(&mut parser(), &bytes);
    let got = actual(&parsed);
    let x = expected(&bytes);
    assert_eq!(got, x.counts, "{rel}: events by kind/outcome (left: parser, right: eventid histogram)");
    let s = summarize(&parsed);
    // Exactly the non-JSON lines are rejected, as `not json`.
    let want_rejected: Vec<(usize, &str)> = x.not_json.iter().map(|&n| (n, "not json")).collect();
    assert_eq!(s.rejected, want_rejected, "{rel}: rejected lines");
    // Every ignored line is accounted for by the histogram.
    let h = |id: &str| x.histogram.get(id).copied().unwrap_or(0);
    let mut want_ignored: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (cat, n) in [
        ("blank", x.blank),
        ("comment", x.comment),
        ("tty log", h("cowrie.log.open") + h("cowrie.log.closed")),
        ("terminal size", h("cowrie.client.size")),
        ("client env", h("cowrie.client.var")),
        ("session params", h("cowrie.session.params")),
        ("tunnel data", h("cowrie.direct-tcpip.data")),
        ("closed without login", x.closed_without_login),
    ] {
        if n > 0 {
            want_ignored.insert(cat, n);
        }
    }
    assert_eq!(s.ignored, want_ignored, "{rel}: ignored lines by category");
    // Opens and closes balance for logged-in sessions, but for those still open at the end.
    let n = |k: &str| got.get(k).copied().unwrap_or(0);
    assert_eq!(n("session_open") - n("session_close"), x.still_open, "{rel}: opens - closes");
    check_fields(rel, &bytes, &parsed);
    (got, s)
}

/// Field-level checks against each line's own JSON and its session's connect.
fn check_fields(rel: &str, bytes: &[u8], parsed: &[Parsed]) {
    let raw = lines(bytes);
    let mut connects: BTreeMap<String, Value> = BTreeMap::new();
    for p in parsed {
        let Ok(v) = serde_json::from_slice::<Value>(raw[p.line_no - 1]) else { continue };
        let session = v["session"].as_str().unwrap_or_default().to_owned();
        if v["eventid"] == "cowrie.session.connect" {
            connects.insert(session.clone(), v.clone());
        }
        for e in &p.events {
            let ctx = format!("{rel}:{}: {e:?}", p.line_no);
            assert_eq!(e.format, SourceFormat::Cowrie, "{ctx}");
            assert_eq!(e.proto.as_deref(), Some("tcp"), "{ctx}");
            assert_eq!(e.session.as_deref(), Some(session.as_str()), "{ctx}");
            assert_eq!(e.src_ip.map(|a| a.to_string()).as_deref(), v["src_ip"].as_str(), "{ctx}");
            assert_eq!(e.sensor.as_deref(), v["sensor"].as_str().filter(|s| !s.is_empty()), "{ctx}");
            let ts = chrono::DateTime::parse_from_rfc3339(v["timestamp"].as_str().unwrap()).unwrap();
            assert_eq!(e.ts, ts.timestamp_micros(), "{ctx}");
            // The connect's ports and honeypot address reach every later event of the session
            // (tunnels carry the requested destination instead).
            let c = &connects[&session];
            assert_eq!(e.src_port.map(u64::from), c["src_port"].as_u64(), "{ctx}");
            assert_eq!(e.service.as_deref(), c["protocol"].as_str(), "{ctx}");
            if e.kind != EventKind::Tunnel {
                assert_eq!(e.dst_port.map(u64::from), c["dst_port"].as_u64(), "{ctx}");
                assert_eq!(e.dst_ip.map(|a| a.to_string()).as_deref(), c["dst_ip"].as_str(), "{ctx}");
            } else {
                assert_eq!(e.dst_port.map(u64::from), v["dst_port"].as_u64(), "{ctx}");
                assert_eq!(e.dst_ip.map(|a| a.to_string()).as_deref(), v["dst_ip"].as_str(), "{ctx}");
            }
            match e.kind {
                EventKind::Auth => {
                    assert_eq!(e.user.as_deref(), v["username"].as_str(), "{ctx}");
                    assert_eq!(e.password.as_deref(), v["password"].as_str(), "{ctx}");
                }
                EventKind::SessionOpen => assert_eq!(e.user.as_deref(), v["username"].as_str(), "{ctx}"),
                EventKind::SessionClose => {
                    assert!(e.user.is_some(), "{ctx}");
                    // serde_json's default float parser may be 1 ulp off; ours is exact.
                    let (got, want) = (e.duration.unwrap(), v["duration"].as_f64().unwrap());
                    assert!((got - want).abs() <= 1e-12 * want.max(1.0), "{ctx}");
                }
                EventKind::Command => {
                    assert_eq!(e.detail.as_deref(), v["input"].as_str(), "{ctx}");
                    assert!(e.user.is_some(), "{ctx}: commands only run after a login");
                }
                EventKind::ClientInfo => {
                    let want = v.get("version").or_else(|| v.get("hassh")).and_then(Value::as_str);
                    assert_eq!(e.detail.as_deref(), want, "{ctx}");
                }
                EventKind::Connection => assert_eq!(e.detail.as_deref(), v["protocol"].as_str(), "{ctx}"),
                _ => {}
            }
        }
    }
}

fn counts(pairs: &[(&str, usize)]) -> Counts {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

#[test]
fn kareiva_2018_05_06() {
    let (got, s) = check_file("kareiva-cowrie-logs/cowrie.json.2018-05-06");
    // Pinned as well, so a change in both the parser and the histogram is noticed.
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 2),
            ("auth/success", 2),
            ("client_info", 62),
            ("command", 4),
            ("command/failure", 1),
            ("connection", 64),
            ("session_close", 2),
            ("session_open", 2),
        ])
    );
    assert_eq!(s.lines, 211);
    assert_eq!(s.ignored.get("closed without login"), Some(&62));
}

#[test]
fn kareiva_2018_05_07() {
    let (got, s) = check_file("kareiva-cowrie-logs/cowrie.json.2018-05-07");
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 82),
            ("auth/success", 8),
            ("client_info", 107),
            ("connection", 110),
            ("session_close", 8),
            ("session_open", 8),
        ])
    );
    assert_eq!(s.lines, 417);
    assert_eq!(s.ignored.get("closed without login"), Some(&102));
}

#[test]
fn kareiva_2018_05_10() {
    let (got, s) = check_file("kareiva-cowrie-logs/cowrie.json.2018-05-10");
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 167),
            ("auth/success", 21),
            ("client_info", 163),
            ("command", 8),
            ("command/failure", 2),
            ("connection", 187),
            ("session_close", 21),
            ("session_open", 21),
            ("tunnel", 102),
        ])
    );
    assert_eq!(s.lines, 955);
    assert_eq!(s.ignored.get("tunnel data"), Some(&102));
}

#[test]
fn kareiva_2018_06_13() {
    let (got, s) = check_file("kareiva-cowrie-logs/cowrie.json.2018-06-13");
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 806),
            ("auth/success", 33),
            ("client_info", 959),
            ("command", 7),
            ("connection", 978),
            ("session_close", 33),
            ("session_open", 33),
            ("tunnel", 107),
        ])
    );
    assert_eq!(s.lines, 3989);
    assert_eq!(s.ignored.get("closed without login"), Some(&945));
}

#[test]
fn fail2ban_cowrie() {
    let (got, s) = check_file("fail2ban/cowrie");
    assert_eq!(
        got,
        // The file stops before the logged-in session closes: one session still open.
        counts(&[("auth/success", 1), ("client_info", 2), ("connection", 2), ("session_open", 1)])
    );
    assert_eq!(s.rejected, vec![(28, "not json")]);
    assert_eq!(s.ignored, [("blank", 7), ("comment", 14), ("tty log", 1)].into_iter().collect());
}

// ---- snapshots ----------------------------------------------------------------------------

/// The shared event rendering, for this file's events only.
fn render_event(e: &Event) -> std::collections::BTreeMap<&'static str, String> {
    assert_eq!(e.format, SourceFormat::Cowrie);
    common::render_event(e)
}

#[derive(serde::Serialize)]
struct Row {
    line: usize,
    outcome: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<BTreeMap<&'static str, String>>,
}

/// Parse the whole file in order (sessions carry state) and keep the lines `keep` accepts.
fn render(bytes: &[u8], keep: impl Fn(usize, &[u8]) -> bool) -> Vec<Row> {
    let raw = lines(bytes);
    parse_all(&mut parser(), bytes)
        .into_iter()
        .filter(|p| keep(p.line_no, raw[p.line_no - 1]))
        .map(|p| Row {
            line: p.line_no,
            outcome: match &p.outcome {
                LineOutcome::Events(n) => format!("events {n}"),
                LineOutcome::Ignored(c) => format!("ignored: {c}"),
                LineOutcome::Rejected(r) => format!("rejected: {r}"),
            },
            events: p.events.iter().map(render_event).collect(),
        })
        .collect()
}

#[test]
fn snapshot_fail2ban_cowrie() {
    // 2026 schema: every field on every line, comments, blanks, one non-JSON line.
    insta::assert_yaml_snapshot!("fail2ban_cowrie", render(&read("fail2ban/cowrie"), |_, _| true));
}

/// A 2018-schema session written for this test in the shape of the kareiva files (key order,
/// `system`, `isError`, float `duration`, direct-tcpip with a claimed originator), with
/// documentation addresses: the kareiva files carry no licence, so no excerpt of them is
/// committed; the corpus tests above check every one of their events field by field.
const SESSION_2018: &str = r#"{"eventid": "cowrie.session.connect", "src_ip": "198.51.100.23", "src_port": 52581, "timestamp": "2018-05-06T17:44:48.570502Z", "message": "New connection: 198.51.100.23:52581 (172.17.0.3:2222) [session: 5e5510110001]", "dst_ip": "172.17.0.3", "system": "cowrie.ssh.factory.CowrieSSHFactory", "protocol": "ssh", "isError": 0, "session": "5e5510110001", "dst_port": 2222, "sensor": "5e4504000001"}
{"macCS": ["hmac-sha2-256", "hmac-sha1"], "session": "5e5510110001", "kexAlgs": ["curve25519-sha256@libssh.org", "diffie-hellman-group14-sha1"], "message": "Remote SSH version: SSH-2.0-OpenSSH_7.7", "system": "HoneyPotSSHTransport,3,198.51.100.23", "src_ip": "198.51.100.23", "version": "SSH-2.0-OpenSSH_7.7", "sensor": "5e4504000001", "eventid": "cowrie.client.version", "timestamp": "2018-05-06T17:44:48.588198Z", "keyAlgs": ["ssh-ed25519", "ssh-rsa"], "isError": 0, "compCS": ["none"], "encCS": ["aes128-ctr"]}
{"eventid": "cowrie.login.failed", "username": "admin", "timestamp": "2018-05-06T17:44:50.001000Z", "message": "login attempt [admin/admin] failed", "system": "SSHService 'ssh-userauth' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "password": "admin", "sensor": "5e4504000001"}
{"eventid": "cowrie.login.success", "username": "root", "timestamp": "2018-05-06T17:44:51.165980Z", "message": "login attempt [root/password] succeeded", "system": "SSHService 'ssh-userauth' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "password": "password", "sensor": "5e4504000001"}
{"eventid": "cowrie.client.size", "timestamp": "2018-05-06T17:44:52.382471Z", "message": "Terminal Size: 56 121", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "height": 121, "src_ip": "198.51.100.23", "width": 56, "isError": 0, "session": "5e5510110001", "sensor": "5e4504000001"}
{"eventid": "cowrie.client.var", "name": "LANG", "timestamp": "2018-05-06T17:44:52.386345Z", "message": "request_env: LANG=en_US.UTF-8", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "value": "en_US.UTF-8", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "sensor": "5e4504000001"}
{"eventid": "cowrie.log.open", "ttylog": "log/tty/20180506-174452-5e5510110001-0i.log", "timestamp": "2018-05-06T17:44:52.398002Z", "message": "Opening TTY Log: log/tty/20180506-174452-5e5510110001-0i.log", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "sensor": "5e4504000001"}
{"eventid": "cowrie.command.input", "timestamp": "2018-05-06T17:45:01.142441Z", "message": "CMD: echo \"senpai\" > rootsenpai", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "input": "echo \"senpai\" > rootsenpai", "sensor": "5e4504000001"}
{"eventid": "cowrie.command.input", "timestamp": "2018-05-06T17:45:02.142441Z", "message": "CMD: find /", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "input": "find /", "sensor": "5e4504000001"}
{"eventid": "cowrie.command.failed", "timestamp": "2018-05-06T17:45:02.146780Z", "message": "Command not found: find /", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "input": "find /", "sensor": "5e4504000001"}
{"eventid": "cowrie.direct-tcpip.request", "timestamp": "2018-05-06T17:45:03.252227Z", "dst_ip": "203.0.113.80", "system": "SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "dst_port": 80, "src_port": 8080, "message": "direct-tcp connection request to 203.0.113.80:80 from localhost:8080", "sensor": "5e4504000001"}
{"eventid": "cowrie.direct-tcpip.data", "timestamp": "2018-05-06T17:45:03.273928Z", "sensor": "5e4504000001", "system": "SSHChannel cowrie-discarded-direct-tcpip (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "session": "5e5510110001", "dst_port": 80, "dst_ip": "203.0.113.80", "data": "'GET / HTTP/1.0\\r\\nHost: example.com\\r\\n\\r\\n'", "message": "discarded direct-tcp forward request to 203.0.113.80:80"}
{"eventid": "cowrie.log.closed", "timestamp": "2018-05-06T17:45:07.122229Z", "message": "Closing TTY Log: log/tty/20180506-174452-5e5510110001-0i.log after 14 seconds", "ttylog": "log/tty/20180506-174452-5e5510110001-0i.log", "system": "SSHChannel session (0) on SSHService 'ssh-connection' on HoneyPotSSHTransport,3,198.51.100.23", "src_ip": "198.51.100.23", "session": "5e5510110001", "duration": 14.724617004394531, "sensor": "5e4504000001", "isError": 0, "size": 656}
{"eventid": "cowrie.session.closed", "timestamp": "2018-05-06T17:45:07.136717Z", "message": "Connection lost after 18 seconds", "system": "HoneyPotSSHTransport,3,198.51.100.23", "isError": 0, "src_ip": "198.51.100.23", "duration": 18.5622341632843, "session": "5e5510110001", "sensor": "5e4504000001"}
"#;

#[test]
fn snapshot_2018_session() {
    insta::assert_yaml_snapshot!("session_2018", render(SESSION_2018.as_bytes(), |_, _| true));
}

// ---- detection ----------------------------------------------------------------------------

#[test]
fn detection_claims_exactly_the_cowrie_corpus() {
    let mut all = Vec::new();
    files_under(Path::new(CORPUS), &mut all);
    assert!(all.len() > 50, "corpus not found under {CORPUS}");
    let mut claimed = vec![];
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        let first: Vec<&[u8]> = lines(&bytes).into_iter().take(100).collect();
        let rel = path.strip_prefix(CORPUS).unwrap().to_string_lossy().into_owned();
        let mine = rel.starts_with("cowrie/");
        assert_eq!(looks_like(&first), mine, "{rel}");
        if mine {
            claimed.push(rel);
        }
    }
    assert_eq!(claimed.len(), FILES.len());
}

// ---- never panic --------------------------------------------------------------------------

fn corpus_lines() -> &'static Vec<Vec<u8>> {
    static LINES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| {
        FILES.iter().flat_map(|f| lines(&read(f)).into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>()).collect()
    })
}

fn parsers() -> Vec<CowrieParser> {
    let berlin = ClockConfig { zone: Zone::Named(chrono_tz::Europe::Berlin), year: YearRule::Reference };
    vec![
        parser(),
        CowrieParser::new(Clock::new(berlin, i64::MAX)),
        CowrieParser::new(Clock::new(ClockConfig::default(), i64::MIN)),
    ]
}

fn check(p: &mut dyn Parser, line: &[u8]) {
    let mut out: Vec<Event> = Vec::new();
    match p.parse_line(line, &mut out) {
        LineOutcome::Events(n) => assert_eq!(n, out.len()),
        LineOutcome::Ignored(_) | LineOutcome::Rejected(_) => assert!(out.is_empty()),
    }
}

/// A JSON value of any type, for the fields the parser reads.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("[\"a\", 1]".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() { f.to_string() } else { "1e999".to_owned() }),
        Just("\"\"".to_owned()),
        Just("\"1.2.3.4\"".to_owned()),
        Just("\"::ffff:1.2.3.4\"".to_owned()),
        Just("\"host.example\"".to_owned()),
        Just("\"2018-05-06T17:44:05.866769Z\"".to_owned()),
        Just("\"2018-02-29T00:00:00\"".to_owned()),
        Just("\"9999-12-31T23:59:60.999999-23:59\"".to_owned()),
        Just("\"65536\"".to_owned()),
        Just("\"88.7\"".to_owned()),
        Just("\"aaaaaaaaaaaa\"".to_owned()),
        "\"[ -~]{0,40}\"".prop_map(|s| s.replace('\\', "")),
    ]
}

fn eventid() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cowrie.session.connect"),
        Just("cowrie.login.success"),
        Just("cowrie.login.failed"),
        Just("cowrie.session.closed"),
        Just("cowrie.command.input"),
        Just("cowrie.command.failed"),
        Just("cowrie.session.file_download"),
        Just("cowrie.session.file_download.failed"),
        Just("cowrie.client.version"),
        Just("cowrie.client.kex"),
        Just("cowrie.client.fingerprint"),
        Just("cowrie.direct-tcpip.request"),
        Just("cowrie.direct-tcpip.data"),
        Just("cowrie.nope"),
    ]
    .prop_map(|s| format!("\"{s}\""))
}

const KEYS: [&str; 18] = [
    "timestamp",
    "session",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "protocol",
    "sensor",
    "username",
    "password",
    "fingerprint",
    "duration",
    "duration_ms",
    "input",
    "url",
    "shasum",
    "orig_port",
    "message",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8)) {
        for mut p in parsers() {
            for l in &lines {
                check(&mut p, l);
            }
        }
    }

    #[test]
    fn json_shaped_noise(
        objs in prop::collection::vec(
            (eventid(), prop::collection::vec((prop::sample::select(&KEYS[..]), any_value()), 0..12)),
            1..12,
        ),
    ) {
        let lines: Vec<String> = objs
            .iter()
            .map(|(id, fields)| {
                let mut s = format!("{{\"eventid\": {id}");
                for (k, v) in fields {
                    s.push_str(&format!(", \"{k}\": {v}"));
                }
                s.push('}');
                s
            })
            .collect();
        for mut p in parsers() {
            for l in &lines {
                check(&mut p, l.as_bytes());
            }
        }
    }

    #[test]
    fn damaged_corpus_lines(picks in prop::collection::vec((any::<prop::sample::Index>(), any::<usize>(), any::<u8>(), 0..3u8), 1..10)) {
        let corpus = corpus_lines();
        for mut p in parsers() {
            for (idx, at, b, how) in &picks {
                let mut line = corpus[idx.index(corpus.len())].clone();
                let n = line.len();
                match how {
                    0 if n > 0 => line[at % n] = *b,
                    1 => line.insert(at % (n + 1), *b),
                    _ => line.truncate(at % (n + 1)),
                }
                check(&mut p, &line);
            }
        }
    }
}

#[test]
fn every_corpus_line_with_every_parser() {
    for mut p in parsers() {
        for l in corpus_lines() {
            check(&mut p, l);
        }
    }
}
