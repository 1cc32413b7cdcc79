//! Attacker-controlled text (usernames, passwords and commands a honeypot recorded, a username
//! sshd logged) through every output: terminal tables, Markdown (reports and the maint
//! document), CSV, TSV, JSON, NDJSON, SVG charts, and the same over the HTTP API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Daemon, ipscope, run_ok};

/// Real payloads: terminal escapes (OSC title, clear screen, cursor movement, C1 CSI), carriage
/// return overwrite, bidi overrides and isolates, spreadsheet formulas and DDE, Markdown and
/// HTML injection, line breaks and tabs inside a value.
const HOSTILE: &[&str] = &[
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[Hroot",
    "root\rnobody",
    "admin\u{202E}gnp.exe",
    "\u{2066}isolated\u{2069}",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "a|b|c",
    "`rm -rf /`",
    "<img src=x onerror=alert(1)>",
    "[click](http://evil.example)",
    "line1\nline2",
    "tab\there",
    "del\x7fc1\u{9b}31m",
];

/// A user name with bytes that are not UTF-8, as sshd would log them.
const INVALID_UTF8_USER: &[u8] = b"ad\xffmin\xc3";

fn cowrie_log(path: &Path) {
    let mut out = String::new();
    for (i, s) in HOSTILE.iter().enumerate() {
        let ts = format!("2026-11-20T10:{:02}:00.000000Z", i);
        let session = format!("s{i:04}");
        let ip = format!("203.0.113.{}", i + 1);
        for line in [
            serde_json::json!({"eventid": "cowrie.session.connect", "src_ip": ip, "src_port": 40000 + i,
                "dst_ip": "192.0.2.1", "dst_port": 22, "session": session, "timestamp": ts, "sensor": "hp1"}),
            serde_json::json!({"eventid": "cowrie.login.failed", "username": s, "password": s, "src_ip": ip,
                "session": session, "timestamp": ts, "sensor": "hp1"}),
            serde_json::json!({"eventid": "cowrie.command.input", "input": s, "src_ip": ip,
                "session": session, "timestamp": ts, "sensor": "hp1"}),
        ] {
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    std::fs::write(path, out).unwrap();
}

fn sshd_log(path: &Path) {
    let mut b = b"2026-11-20T11:00:00+00:00 web1 sshd[4242]: Invalid user ".to_vec();
    b.extend_from_slice(INVALID_UTF8_USER);
    b.extend_from_slice(b" from 198.51.100.7 port 50000\n");
    std::fs::write(path, b).unwrap();
}

/// A store holding every hostile string as user, password and command.
fn hostile_store(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    let cowrie = dir.join("cowrie.json");
    let sshd = dir.join("auth.log");
    cowrie_log(&cowrie);
    sshd_log(&sshd);
    let (_, err) = run_ok(ipscope(&data).arg("ingest").arg(&cowrie).arg(&sshd));
    assert!(err.contains("1 lines not valid UTF-8: stored with U+FFFD"), "{err}");
    data
}

fn expected_users() -> BTreeSet<String> {
    let mut users: BTreeSet<String> = HOSTILE.iter().map(|s| (*s).to_owned()).collect();
    users.insert(String::from_utf8_lossy(INVALID_UTF8_USER).into_owned());
    users
}

fn run(data: &Path, args: &[&str]) -> String {
    run_ok(ipscope(data).args(args)).0
}

/// Characters that must never reach a terminal, a Markdown renderer or an SVG as they are.
fn assert_no_hidden(what: &str, s: &str) {
    for c in s.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
        let raw_control = c.is_control() && c != '\n';
        assert!(!raw_control && !bidi, "{what}: {c:?} shown raw in\n{s}");
    }
}

/// How often `special` occurs in `line` without an escaping backslash before it.
fn unescaped(line: &str, special: char) -> usize {
    let (mut n, mut escaped) = (0, false);
    for c in line.chars() {
        if c == special && !escaped {
            n += 1;
        }
        escaped = !escaped && c == '\\';
    }
    n
}

/// Every Markdown table in `doc` keeps its header's column count on every row, and no cell
/// holds raw HTML or a link.
fn assert_markdown_tables_hold(doc: &str) {
    let mut header: Option<usize> = None;
    for line in doc.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let n = unescaped(line, '|');
        match header {
            None => header = Some(n),
            Some(h) => assert_eq!(n, h, "row breaks the table: {line:?}\n{doc}"),
        }
        for markup in ['<', '>', '[', ']', '`', '*', '&'] {
            assert_eq!(unescaped(line, markup), 0, "{markup} starts markup in {line:?}");
        }
    }
}

fn is_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err()
}

#[test]
fn hostile_text_is_shown_escaped_in_every_cli_format() {
    let dir = tempfile::tempdir().unwrap();
    let data = hostile_store(dir.path());

    for report in ["credentials", "commands", "top-users"] {
        // Terminal table: one line per row, every control and bidi character escaped.
        let table = run(&data, &["report", report, "-N", "100", "--format", "table"]);
        assert_no_hidden(report, &table);
        assert!(table.contains("\\x1b]0;pwned\\x07"), "{table}");
        assert!(table.contains("line1\\nline2") && table.contains("root\\rnobody"), "{table}");
        assert!(table.contains("admin\\u{202e}gnp.exe"), "{table}");

        let md = run(&data, &["report", report, "-N", "100", "--format", "markdown"]);
        assert_no_hidden(report, &md);
        assert_markdown_tables_hold(&md);
        assert!(md.contains("a\\|b\\|c") && md.contains("\\<img src=x onerror=alert(1)\\>"), "{md}");
    }

    // JSON keeps every character exactly (invalid UTF-8 became U+FFFD when read).
    let json: serde_json::Value =
        serde_json::from_str(&run(&data, &["report", "top-users", "-N", "100", "--format", "json"])).unwrap();
    let users: BTreeSet<String> =
        json.as_array().unwrap().iter().map(|r| r["user"].as_str().unwrap().to_owned()).collect();
    assert_eq!(users, expected_users());
    let nd = run(&data, &["report", "credentials", "-N", "100", "--format", "ndjson"]);
    let pwds: BTreeSet<String> = nd
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["password"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(pwds, HOSTILE.iter().map(|s| (*s).to_owned()).collect());

    // CSV: quoted where needed, one record per row, no field a spreadsheet would run.
    let csv_text = run(&data, &["report", "credentials", "-N", "100", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let width = rdr.headers().unwrap().len();
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), width, "{rec:?}");
        for f in &rec {
            assert!(!is_formula(f), "formula left in CSV: {f:?}\n{csv_text}");
        }
        rows += 1;
    }
    assert_eq!(rows, HOSTILE.len());
    assert!(csv_text.contains("'=HYPERLINK(") && csv_text.contains("'@SUM(1,2)"), "{csv_text}");

    // --no-formula-guard (and its env twin): the text as stored, for programs.
    for raw in [
        run(&data, &["report", "credentials", "-N", "100", "--format", "csv", "--no-formula-guard"]),
        run_ok(
            ipscope(&data)
                .args(["report", "credentials", "-N", "100", "--format", "csv"])
                .env("IPSCOPE_NO_FORMULA_GUARD", "true"),
        )
        .0,
    ] {
        let mut rdr = csv::Reader::from_reader(raw.as_bytes());
        let users: BTreeSet<String> = rdr.records().map(|r| r.unwrap()[0].to_owned()).collect();
        for s in ["=HYPERLINK(\"http://evil.example\",\"x\")", "-2+3", "@SUM(1,2)", "line1\nline2", "tab\there"] {
            assert!(users.contains(s), "{s:?} missing from {users:?}");
        }
    }

    // TSV: one line per row, as many tabs as columns, escapes that undo exactly.
    let tsv = run(&data, &["report", "credentials", "-N", "100", "--format", "tsv", "--no-formula-guard"]);
    let mut lines = tsv.lines();
    let tabs = lines.next().unwrap().matches('\t').count();
    let mut users = BTreeSet::new();
    for l in lines {
        assert_eq!(l.matches('\t').count(), tabs, "{l:?}");
        assert_no_hidden("tsv", l.split('\t').next().unwrap());
        users.insert(unescape_tsv(l.split('\t').next().unwrap()));
    }
    for s in ["line1\nline2", "tab\there", "root\rnobody", "a|b|c"] {
        assert!(users.contains(s), "{s:?} missing from {users:?}");
    }
}

fn unescape_tsv(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => {}
        }
    }
    out
}

#[test]
fn numbers_stay_numbers_in_csv_and_only_text_formulas_are_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let data = hostile_store(dir.path());
    let out = run(
        &data,
        &[
            "sql",
            "SELECT -5 AS n, -1.5 AS f, '-5' AS t, '=1+1' AS formula, '@x' AS at, '+1' AS plus",
            "--format",
            "csv",
        ],
    );
    assert_eq!(out, "n,f,t,formula,at,plus\n-5,-1.5,-5,'=1+1,'@x,+1\n");
    let out = run(&data, &["sql", "SELECT -5 AS n, '=1+1' AS formula", "--format", "tsv"]);
    assert_eq!(out, "n\tformula\n-5\t'=1+1\n");
}

#[test]
fn the_maint_document_and_charts_show_hostile_text_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let data = hostile_store(dir.path());
    let doc = run_ok(ipscope(&data).args(["maint", "-N", "50"]).env("IPSCOPE_NOW", "2026-11-21T00:00:00Z")).0;
    assert_no_hidden("maint", &doc);
    assert_markdown_tables_hold(&doc);
    assert!(doc.contains("\\\\x1b\\]0;pwned\\\\x07"), "{doc}");

    // An SVG holds no control character (invalid XML) and no bidi override (a browser would
    // apply it); markup in labels is escaped.
    let svg = dir.path().join("users.svg");
    run_ok(ipscope(&data).args(["report", "top-users", "-N", "50", "--chart"]).arg(&svg));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_no_hidden("svg", &text);
    assert!(text.contains("admin\\u{202e}gnp.exe") && text.contains("&lt;img src=x"), "{text}");
    assert!(!text.contains("<img"), "{text}");
}

#[test]
fn the_api_renders_hostile_text_like_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = hostile_store(dir.path());
    let d = Daemon::start(&data, &[]);
    let (status, md) = d.get("/api/report/credentials?top=100&format=markdown");
    assert_eq!(status, 200);
    assert_no_hidden("api markdown", &md);
    assert_markdown_tables_hold(&md);

    let (_, csv_text) = d.get("/api/report/credentials?top=100&format=csv");
    assert!(csv_text.contains("'=HYPERLINK(") && !csv_text.contains(",=HYPERLINK("), "{csv_text}");
    let (_, raw) = d.get("/api/report/credentials?top=100&format=csv&no_formula_guard=true");
    assert!(raw.contains("\n\"=HYPERLINK("), "{raw}");
    let (_, sql) = d.get("/api/sql?q=SELECT%20%27%3D1%2B1%27%20AS%20f&format=csv");
    assert_eq!(sql, "f\n'=1+1\n");
    let (_, sql) = d.get("/api/sql?q=SELECT%20%27%3D1%2B1%27%20AS%20f&format=csv&no_formula_guard=true");
    assert_eq!(sql, "f\n=1+1\n");

    let (_, json) = d.get("/api/report/top-users?top=100");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let users: BTreeSet<String> =
        v.as_array().unwrap().iter().map(|r| r["user"].as_str().unwrap().to_owned()).collect();
    assert_eq!(users, expected_users());
    d.terminate();
}

/// A honeypot log of pasted droppers: 2 200 commands of 30 000 random base64 characters (66 MB).
/// Before values were cut, DuckDB refused the commit (a column's 2 048-value vector of them
/// passed the ingest memory limit) and the whole input failed. Now every event is stored, the
/// long commands as their first 16 KiB and a note of the rest, the short one whole.
#[test]
fn pasted_droppers_are_stored_cut_and_nothing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("droppers.json");
    const LINES: usize = 2_200;
    const PAYLOAD: usize = 30_000;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = String::new();
    let mut first_command = String::new();
    for i in 0..=LINES {
        let command = if i == LINES {
            "uname -a".to_owned()
        } else {
            let payload: String = (0..PAYLOAD)
                .map(|_| {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    char::from(alphabet[(state >> 58) as usize])
                })
                .collect();
            format!("echo {payload} | base64 -d | sh")
        };
        if i == 0 {
            first_command.clone_from(&command);
        }
        let line = serde_json::json!({"eventid": "cowrie.command.input", "input": command,
            "src_ip": format!("198.51.100.{}", i % 200 + 1), "session": format!("d{i:05}"),
            "timestamp": format!("2026-11-20T12:{:02}:{:02}.000000Z", i / 60 % 60, i % 60), "sensor": "hp1"});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(&log, out).unwrap();
    let data = dir.path().join("data");
    run_ok(ipscope(&data).args(["ingest", "--no-progress", "--format", "cowrie"]).arg(&log));

    let count = |sql: &str| common::scalar(&data, sql);
    assert_eq!(count("SELECT count(*) FROM events WHERE kind = 'command'"), LINES as i64 + 1);
    // Every long command has the same length: 16 KiB less 40 bytes kept, then the note.
    let kept = 16 * 1024 - 40;
    let note = format!("…[cut {} bytes]", first_command.len() - kept);
    assert_eq!(count("SELECT max(strlen(detail)) FROM events"), (kept + note.len()) as i64);
    assert_eq!(count(&format!("SELECT count(*) FROM events WHERE detail LIKE '%{note}'")), LINES as i64);
    assert_eq!(count("SELECT count(*) FROM events WHERE detail = 'uname -a'"), 1);
    // What is kept is the command's own beginning.
    let (stored, _) = run_ok(ipscope(&data).args([
        "sql",
        "SELECT detail FROM events WHERE session = 'd00000'",
        "--format",
        "csv",
        "--no-header",
    ]));
    assert_eq!(stored.trim_end(), format!("{}{note}", &first_command[..kept]));
}
