//! The sshd parser over every OpenSSH corpus file, checked against counts computed here
//! independently from the raw text with plain substring tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{FILES, Parsed, lines, parse_all, read, sshd_parser};
use ipscope_formats::{EventKind, LineOutcome};

type Counts = BTreeMap<String, usize>;

fn key(kind: EventKind, outcome: Option<ipscope_formats::Outcome>) -> String {
    match outcome {
        Some(o) => format!("{kind}/{o}"),
        None => kind.to_string(),
    }
}

/// What the parser produced: events by kind/outcome.
fn actual(parsed: &[Parsed]) -> Counts {
    let mut c = Counts::new();
    for e in parsed.iter().flat_map(|p| &p.events) {
        *c.entry(key(e.kind, e.outcome)).or_default() += 1;
    }
    c
}

/// Independent expectation from the raw text.
fn expected(bytes: &[u8]) -> Counts {
    let mut c = Counts::new();
    // Probes: processes (pids) whose first authentication-or-end line is an end line.
    let mut seen = std::collections::HashSet::new();
    let mut add = |k: &str, n: usize| {
        if n > 0 {
            *c.entry(k.to_owned()).or_default() += n;
        }
    };
    for raw in lines(bytes) {
        let l = String::from_utf8_lossy(raw);
        let l = l.trim_end();
        if l.starts_with('#') {
            continue;
        }
        let old_pam = l.contains(" sshd(pam_unix)[");
        let sshd = old_pam
            || l.contains(" sshd[")
            || l.contains(" sshd-session[")
            || l.contains(" [sshd]")
            || (l.starts_with('<') && l.contains(" sshd "));
        if !sshd {
            continue;
        }
        // `message repeated N times: [ ...]` stands for N lines.
        let mult = match l.split_once("message repeated ") {
            Some((_, rest)) => rest.split(' ').next().unwrap().parse::<usize>().unwrap(),
            None => 1,
        };
        let has = |s: &str| l.contains(s);
        let lower = l.to_ascii_lowercase();
        let n = |b: bool| usize::from(b) * mult;
        add(
            "auth/failure",
            n(has("Failed password for ") || has("Failed keyboard-interactive"))
                + n(has("error: PAM: ")
                    && (lower.contains("authentication failure for ")
                        || lower.contains("authentication error for ")
                        || has("User not known to the underlying authentication module")))
                + n(old_pam && has("authentication failure;"))
                + n(has("]: (pam_unix) authentication failure;")),
        );
        add("auth/success", n(has("Accepted password for ") || has("Accepted keyboard-interactive")));
        add(
            "key_auth/success",
            n(has("Accepted publickey for ") || has("Accepted hostbased for ") || has("Accepted gssapi")),
        );
        add(
            "key_auth/failure",
            n(has("Failed publickey for ")
                || has("Failed none for ")
                || has("Failed hostbased for ")
                || has("Failed unknown for ")),
        );
        add("invalid_user", n(has(": Invalid user ") || has(" - Invalid user ") || has(": Illegal user ")));
        add(
            "session_open",
            n(has("pam_unix(sshd:session): session opened for user ") || (old_pam && has("session opened for user "))),
        );
        add(
            "session_close",
            n(has("pam_unix(sshd:session): session closed for user ") || (old_pam && has("session closed for user "))),
        );
        add("connection", n(has("]: Connection from ")));
        add("deny", n(has("refused connect from ")));
        // Issue 15: a scanner probe, or the end of a process that never authenticated, is one
        // connection failure. Keyed by the host word and the pid here (the parser keys by host,
        // pid and address).
        let pid = l.split_once("sshd[").and_then(|(host, r)| {
            let host = host.trim_end().rsplit(' ').next().unwrap_or("");
            r.split_once(']').map(|(p, _)| format!("{host} {p}"))
        });
        let authed = has("]: Failed ")
            || has("]: Accepted ")
            || has("]: Invalid user ")
            || has("]: Illegal user ")
            || has("]: error: PAM: ")
            || has("message repeated ");
        if authed {
            seen.insert(pid.clone());
        }
        let always = has("Did not receive identification string from ")
            || has("banner exchange: Connection from ")
            || (has("Bad protocol version identification") && has(" from "))
            || has("Unable to negotiate with ");
        let end = l.ends_with(" [preauth]")
            && (has("]: Connection closed by ")
                || has("]: Received disconnect from ")
                || has("]: error: Received disconnect from ")
                || has("]: Disconnected from ")
                || has("]: Connection reset by "));
        if always || (end && !seen.contains(&pid)) {
            add("connection/failure", 1);
            seen.insert(pid);
        }
    }
    c
}

struct Summary {
    lines: usize,
    event_lines: usize,
    ignored: BTreeMap<&'static str, usize>,
    rejected: Vec<(usize, String)>,
}

fn summarize(parsed: &[Parsed]) -> Summary {
    let mut s = Summary { lines: parsed.len(), event_lines: 0, ignored: BTreeMap::new(), rejected: vec![] };
    for p in parsed {
        match &p.outcome {
            LineOutcome::Events(n) => {
                assert_eq!(*n, p.events.len(), "line {}", p.line_no);
                assert!(*n > 0, "line {}: Events(0)", p.line_no);
                s.event_lines += 1;
            }
            LineOutcome::Ignored(c) => {
                assert!(p.events.is_empty(), "line {}", p.line_no);
                *s.ignored.entry(c).or_default() += 1;
            }
            LineOutcome::Rejected(r) => {
                assert!(p.events.is_empty(), "line {}", p.line_no);
                s.rejected.push((p.line_no, r.to_string()));
            }
        }
    }
    s
}

fn check_file(rel: &str) -> (Counts, Summary) {
    let bytes = read(rel);
    let parsed = parse_all(&mut sshd_parser(), &bytes);
    let got = actual(&parsed);
    let want = expected(&bytes);
    assert_eq!(got, want, "{rel}: events by kind/outcome (left: parser, right: raw-text count)");
    let s = summarize(&parsed);
    assert_eq!(s.event_lines + s.ignored.values().sum::<usize>() + s.rejected.len(), s.lines, "{rel}");
    // Every sshd message shape in the corpus is explicitly recognized.
    assert_eq!(s.ignored.get("other sshd message"), None, "{rel}: unrecognized sshd messages");
    // Nothing in the corpus is malformed.
    assert_eq!(s.rejected, Vec::<(usize, String)>::new(), "{rel}: rejected lines");
    // Every event has the fields every sshd event must have.
    for e in parsed.iter().flat_map(|p| &p.events) {
        assert_eq!(e.format, ipscope_formats::SourceFormat::Sshd);
        assert_eq!(e.proto.as_deref(), Some("tcp"));
        // PAM `rhost=` failures may lack `user=`; sshd's own lines always name one.
        if matches!(e.kind, EventKind::Auth | EventKind::KeyAuth | EventKind::InvalidUser)
            && e.detail.as_deref() != Some("pam")
        {
            assert!(e.user.is_some(), "{rel}: {e:?}");
        }
        assert!(
            e.src_ip.is_some() || e.src_host.is_some() || e.kind.to_string().starts_with("session"),
            "{rel}: {e:?}"
        );
    }
    (got, s)
}

fn counts(pairs: &[(&str, usize)]) -> Counts {
    pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
}

#[test]
fn openssh_2k() {
    let (got, s) = check_file("loghub/OpenSSH_2k.log");
    // Pinned as well, so a change in both the parser and the raw-text count is noticed.
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 528),
            ("auth/success", 1),
            ("connection/failure", 20),
            ("invalid_user", 113),
            ("key_auth/failure", 4),
            ("session_close", 1),
            ("session_open", 1),
        ])
    );
    assert_eq!(s.lines, 2000);
    assert_eq!(s.ignored.get("pam summary"), Some(&494));
    assert_eq!(s.ignored.get("other program"), None);
}

#[test]
fn linux_2k() {
    let (got, s) = check_file("loghub/Linux_2k.log");
    assert_eq!(got, counts(&[("auth/failure", 489), ("session_close", 36), ("session_open", 36)]));
    assert_eq!(s.lines, 2000);
    assert_eq!(s.ignored.get("pam noise"), Some(&116));
    // 2000 lines - 677 sshd(pam_unix) lines.
    assert_eq!(s.ignored.get("other program"), Some(&1323));
}

#[test]
fn fail2ban_sshd() {
    let (got, _) = check_file("fail2ban/sshd");
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 31),
            ("auth/success", 3),
            ("connection", 7),
            ("connection/failure", 28),
            ("deny", 1),
            ("invalid_user", 4),
            ("key_auth/failure", 10),
            ("key_auth/success", 1),
            ("session_open", 2),
        ])
    );
}

#[test]
fn fail2ban_pam_generic() {
    let (got, s) = check_file("fail2ban/pam-generic");
    assert_eq!(got, counts(&[("auth/failure", 2)]));
    assert_eq!(s.ignored.get("other program"), Some(&7));
}

#[test]
fn beats_test_log() {
    let (got, s) = check_file("beats/test.log");
    assert_eq!(
        got,
        counts(&[
            ("auth/failure", 1),
            ("auth/success", 1),
            ("connection/failure", 1),
            ("invalid_user", 1),
            ("key_auth/success", 1)
        ])
    );
    assert_eq!(s.ignored.get("other program"), Some(&5));
    // Its `Did not receive identification string` line is a probe now (issue 15).
    assert_eq!(s.ignored.get("no identification"), None);
}

#[test]
fn openssh_2k_sessions_get_the_accepted_address() {
    let bytes = read("loghub/OpenSSH_2k.log");
    let events: Vec<_> = parse_all(&mut sshd_parser(), &bytes).into_iter().flat_map(|p| p.events).collect();
    let sessions: Vec<_> =
        events.iter().filter(|e| matches!(e.kind, EventKind::SessionOpen | EventKind::SessionClose)).collect();
    assert!(!sessions.is_empty());
    for s in sessions {
        let accepted = events
            .iter()
            .find(|a| {
                a.outcome == Some(ipscope_formats::Outcome::Success) && a.session == s.session && a.sensor == s.sensor
            })
            .expect("an Accepted line for the session's pid");
        assert!(s.src_ip.is_some());
        assert_eq!((s.src_ip, s.src_port), (accepted.src_ip, accepted.src_port), "{s:?}");
        assert_eq!(s.user, accepted.user);
    }
}

#[test]
fn every_file_is_checked() {
    // A new corpus file must be added to FILES (and get its own test above).
    let mut on_disk = Vec::new();
    for dir in ["loghub", "fail2ban", "beats"] {
        for entry in std::fs::read_dir(format!("{}{dir}", common::OPENSSH)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".csv") {
                on_disk.push(format!("{dir}/{name}"));
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}
