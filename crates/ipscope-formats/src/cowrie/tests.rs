#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::test_support::*;
use crate::{ClockConfig, YearRule, Zone};

fn parser() -> CowrieParser {
    CowrieParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Reference }, 0))
}

/// The 2018 shape (key order, `system`, `isError`), with documentation addresses.
const CONNECT_2018: &str = r#"{"eventid": "cowrie.session.connect", "src_ip": "198.51.100.58", "src_port": 52577, "timestamp": "2018-05-06T17:44:05.866769Z", "message": "New connection: 198.51.100.58:52577 (172.17.0.3:2222) [session: 5e551011aaaa]", "dst_ip": "172.17.0.3", "system": "cowrie.ssh.factory.CowrieSSHFactory", "protocol": "ssh", "isError": 0, "session": "5e551011aaaa", "dst_port": 2222, "sensor": "5e4504000001"}"#;

/// A line of session `s` from 203.0.113.9 with the given eventid and extra fields.
fn line(s: &str, eventid: &str, extra: &str) -> String {
    let sep = if extra.is_empty() { "" } else { ", " };
    format!(
        r#"{{"eventid": "{eventid}", "session": "{s}", "src_ip": "203.0.113.9", "timestamp": "2018-05-06T17:44:06.000001Z", "sensor": "s1"{sep}{extra}}}"#
    )
}

fn connect(s: &str) -> String {
    line(
        s,
        "cowrie.session.connect",
        r#""src_port": 4444, "dst_ip": "172.17.0.3", "dst_port": 2223, "protocol": "telnet""#,
    )
}

#[test]
fn connect_2018() {
    let mut p = parser();
    let e = one(&mut p, CONNECT_2018);
    assert_eq!(e.kind, EventKind::Connection);
    assert_eq!(e.format, SourceFormat::Cowrie);
    assert_eq!(e.ts, utc("2018-05-06T17:44:05.866769Z"));
    assert_eq!(e.src_ip, ip("198.51.100.58"));
    assert_eq!(e.src_port, Some(52577));
    assert_eq!(e.dst_ip, ip("172.17.0.3"));
    assert_eq!(e.dst_port, Some(2222));
    assert_eq!(e.session.as_deref(), Some("5e551011aaaa"));
    assert_eq!(e.sensor.as_deref(), Some("5e4504000001"));
    assert_eq!(e.proto.as_deref(), Some("tcp"));
    assert_eq!(e.detail.as_deref(), Some("ssh"));
    assert_eq!(e.service.as_deref(), Some("ssh"));
    assert_eq!(e.outcome, None);
}

#[test]
fn later_events_inherit_ports_protocol_and_user() {
    let mut p = parser();
    one(&mut p, &connect("aa"));
    let v = one(&mut p, &line("aa", "cowrie.client.version", r#""version": "SSH-2.0-Go""#));
    assert_eq!((v.kind, v.detail.as_deref()), (EventKind::ClientInfo, Some("SSH-2.0-Go")));
    assert_eq!((v.src_port, v.dst_ip, v.dst_port), (Some(4444), ip("172.17.0.3"), Some(2223)));
    assert_eq!(v.service.as_deref(), Some("telnet"));
    assert_eq!(v.user, None);
    // A failed login: the user it tried, not remembered.
    let f = one(&mut p, &line("aa", "cowrie.login.failed", r#""username": "admin", "password": """#));
    assert_eq!((f.kind, f.outcome), (EventKind::Auth, Some(Outcome::Failure)));
    assert_eq!((f.user.as_deref(), f.password.as_deref()), (Some("admin"), Some("")));
    assert_eq!(f.src_port, Some(4444));
    // The success opens the session.
    let (o, v) = parse(&mut p, &line("aa", "cowrie.login.success", r#""username": "root", "password": "1234""#));
    assert_eq!(o, LineOutcome::Events(2));
    assert_eq!(
        (v[0].kind, v[0].outcome, v[0].password.as_deref()),
        (EventKind::Auth, Some(Outcome::Success), Some("1234"))
    );
    assert_eq!((v[1].kind, v[1].outcome, v[1].password.as_deref()), (EventKind::SessionOpen, None, None));
    assert_eq!((v[1].user.as_deref(), v[1].src_port, v[1].dst_port), (Some("root"), Some(4444), Some(2223)));
    assert_eq!(v[1].session.as_deref(), Some("aa"));
    // Commands: the user after login.
    let c = one(&mut p, &line("aa", "cowrie.command.input", r#""input": "echo \"senpai\" > rootsenpai""#));
    assert_eq!((c.kind, c.outcome), (EventKind::Command, None));
    assert_eq!(c.detail.as_deref(), Some(r#"echo "senpai" > rootsenpai"#));
    assert_eq!((c.user.as_deref(), c.src_port), (Some("root"), Some(4444)));
    let c = one(&mut p, &line("aa", "cowrie.command.failed", r#""input": "find /""#));
    assert_eq!((c.kind, c.outcome), (EventKind::Command, Some(Outcome::Failure)));
    let c = one(&mut p, &line("aa", "cowrie.command.success", r#""input": "busybox""#));
    assert_eq!(c.outcome, Some(Outcome::Success));
    // The close: duration as a number, user from the login; the entry is then forgotten.
    let e = one(&mut p, &line("aa", "cowrie.session.closed", r#""duration": 14.5"#));
    assert_eq!((e.kind, e.duration, e.user.as_deref()), (EventKind::SessionClose, Some(14.5), Some("root")));
    assert_eq!((e.src_port, e.dst_port, e.service.as_deref()), (Some(4444), Some(2223), Some("telnet")));
    assert_eq!(p.sessions.len(), 0);
    let c = one(&mut p, &line("aa", "cowrie.command.input", r#""input": "late""#));
    assert_eq!((c.user, c.src_port), (None, None));
}

#[test]
fn second_success_does_not_open_again() {
    let mut p = parser();
    one(&mut p, &connect("bb"));
    let ok = line("bb", "cowrie.login.success", r#""username": "root", "password": "x""#);
    assert_eq!(parse(&mut p, &ok).0, LineOutcome::Events(2));
    assert_eq!(one(&mut p, &ok).kind, EventKind::Auth);
    assert_eq!(one(&mut p, &line("bb", "cowrie.session.closed", r#""duration": "1""#)).kind, EventKind::SessionClose);
}

#[test]
fn close_without_login_or_unknown_session() {
    let mut p = parser();
    one(&mut p, &connect("cc"));
    assert_eq!(ignored(&mut p, &line("cc", "cowrie.session.closed", r#""duration": 0.07"#)), "closed without login");
    assert_eq!(ignored(&mut p, &line("cc", "cowrie.session.closed", r#""duration": 0.07"#)), "closed unknown session");
    assert_eq!(ignored(&mut p, &line("zz", "cowrie.session.closed", "")), "closed unknown session");
    // Login without a connect seen (the stream started mid-session): still balanced.
    let (o, _) = parse(&mut p, &line("dd", "cowrie.login.success", r#""username": "u", "password": "p""#));
    assert_eq!(o, LineOutcome::Events(2));
    let e = one(&mut p, &line("dd", "cowrie.session.closed", r#""duration": 3"#));
    assert_eq!((e.kind, e.user.as_deref(), e.src_port), (EventKind::SessionClose, Some("u"), None));
}

#[test]
fn login_before_connect_keeps_login_state() {
    // honeypot-ai files are filtered per attacker and not sorted.
    let mut p = parser();
    assert_eq!(
        parse(&mut p, &line("ee", "cowrie.login.success", r#""username": "u", "password": "p""#)).0,
        LineOutcome::Events(2)
    );
    one(&mut p, &connect("ee"));
    let e = one(&mut p, &line("ee", "cowrie.session.closed", r#""duration": 3"#));
    assert_eq!((e.kind, e.user.as_deref(), e.src_port), (EventKind::SessionClose, Some("u"), Some(4444)));
}

#[test]
fn duration_shapes() {
    let mut p = parser();
    let login = |s: &str| line(s, "cowrie.login.success", r#""username": "u", "password": "p""#);
    for (s, extra, want) in [
        ("d1", r#""duration": 0.0678555965423584"#, Some(0.0678555965423584)),
        ("d2", r#""duration": "88.7""#, Some(88.7)),
        ("d3", r#""duration_ms": 1500"#, Some(1.5)),
        ("d4", r#""duration": 7"#, Some(7.0)),
        ("d5", "", None),
        ("d6", r#""duration": null, "duration_ms": "250""#, Some(0.25)),
    ] {
        parse(&mut p, &login(s));
        assert_eq!(one(&mut p, &line(s, "cowrie.session.closed", extra)).duration, want, "{extra}");
    }
    for bad in [r#""duration": "soon""#, r#""duration": -1"#, r#""duration": [1]"#, r#""duration": "inf""#] {
        parse(&mut p, &login("d7"));
        assert_eq!(rejected(&mut p, &line("d7", "cowrie.session.closed", bad)), "bad duration", "{bad}");
    }
}

#[test]
fn downloads_uploads_and_failures() {
    let mut p = parser();
    let d = one(
        &mut p,
        &line(
            "ff",
            "cowrie.session.file_download",
            r#""url": "http://198.51.100.7/x.sh", "outfile": "var/lib/cowrie/downloads/ab12", "shasum": "ab12""#,
        ),
    );
    assert_eq!((d.kind, d.outcome), (EventKind::Download, Some(Outcome::Success)));
    assert_eq!((d.detail.as_deref(), d.file_hash.as_deref()), (Some("http://198.51.100.7/x.sh"), Some("ab12")));
    let u = one(&mut p, &line("ff", "cowrie.session.file_upload", r#""filename": "a.out", "shasum": "cd34""#));
    assert_eq!((u.detail.as_deref(), u.file_hash.as_deref()), (Some("a.out"), Some("cd34")));
    // stdin capture: no url, an empty destfile, the stored file.
    let s = one(
        &mut p,
        &line("ff", "cowrie.session.file_download", r#""destfile": "", "outfile": "dl/ef56", "shasum": "ef56""#),
    );
    assert_eq!(s.detail.as_deref(), Some("dl/ef56"));
    let f =
        one(&mut p, &line("ff", "cowrie.session.file_download.failed", r#""url": "http://x/y", "error": "timeout""#));
    assert_eq!(
        (f.kind, f.outcome, f.detail.as_deref(), f.file_hash),
        (EventKind::Download, Some(Outcome::Failure), Some("http://x/y"), None)
    );
}

#[test]
fn client_info_shapes() {
    let mut p = parser();
    let k = one(
        &mut p,
        &line(
            "gg",
            "cowrie.client.kex",
            r#""hassh": "16443846184eafde36765c9bab2f4397", "kexAlgs": ["a", "b"], "langCS": [""]"#,
        ),
    );
    assert_eq!((k.kind, k.detail.as_deref()), (EventKind::ClientInfo, Some("16443846184eafde36765c9bab2f4397")));
    let f = one(
        &mut p,
        &line("gg", "cowrie.client.fingerprint", r#""username": "git", "fingerprint": "aa:bb", "type": "ssh-rsa""#),
    );
    assert_eq!((f.kind, f.user.as_deref(), f.detail.as_deref()), (EventKind::ClientInfo, Some("git"), Some("aa:bb")));
    // Key logins (Cowrie 2.6+ login events may carry the key instead of a password).
    let a = one(
        &mut p,
        &line("gg", "cowrie.login.failed", r#""username": "git", "fingerprint": "aa:bb", "key": "ssh-rsa AAA""#),
    );
    assert_eq!(
        (a.kind, a.outcome, a.detail.as_deref(), a.password),
        (EventKind::KeyAuth, Some(Outcome::Failure), Some("aa:bb"), None)
    );
}

#[test]
fn tunnels() {
    let mut p = parser();
    one(&mut p, &connect("hh"));
    // 2018: src_port is the originator the client claims; the real port comes from the connect.
    let t = one(
        &mut p,
        &line("hh", "cowrie.direct-tcpip.request", r#""dst_ip": "172.217.16.14", "dst_port": 80, "src_port": 8080"#),
    );
    assert_eq!(t.kind, EventKind::Tunnel);
    assert_eq!((t.dst_ip, t.dst_port, t.src_port), (ip("172.217.16.14"), Some(80), Some(4444)));
    assert_eq!(t.detail.as_deref(), Some("172.217.16.14:80"));
    // A host name as the destination.
    let t = one(&mut p, &line("hh", "cowrie.direct-tcpip.request", r#""dst_ip": "google.com", "dst_port": 443"#));
    assert_eq!((t.dst_ip, t.dst_port, t.detail.as_deref()), (None, Some(443), Some("google.com:443")));
    let t = one(&mut p, &line("hh", "cowrie.direct-tcpip.request", r#""dst_ip": "2001:db8::1", "dst_port": 22"#));
    assert_eq!(t.detail.as_deref(), Some("[2001:db8::1]:22"));
    // 2.6+: orig_* is the claim, src_port the real port.
    let t = one(
        &mut p,
        &line(
            "new",
            "cowrie.direct-tcpip.request",
            r#""dst_ip": "192.0.2.1", "dst_port": 25, "src_port": 5555, "orig_ip": "127.0.0.1", "orig_port": 1"#,
        ),
    );
    assert_eq!(t.src_port, Some(5555));
    assert_eq!(
        ignored(
            &mut p,
            &line("hh", "cowrie.direct-tcpip.data", r#""dst_ip": "1.2.3.4", "dst_port": 80, "data": "'GET /'""#)
        ),
        "tunnel data"
    );
}

#[test]
fn ignored_eventids_and_lines() {
    let mut p = parser();
    assert_eq!(ignored(&mut p, ""), "blank");
    assert_eq!(ignored(&mut p, "   \r"), "blank");
    assert_eq!(ignored(&mut p, "# failJSON: { \"match\": false }"), "comment");
    for (id, cat) in [
        ("cowrie.client.size", "terminal size"),
        ("cowrie.client.var", "client env"),
        ("cowrie.session.params", "session params"),
        ("cowrie.log.open", "tty log"),
        ("cowrie.log.closed", "tty log"),
        ("cowrie.direct-tcpip.ja4", "tunnel detail"),
        ("cowrie.telnet.option", "telnet negotiation"),
        ("cowrie.proxy.ssh", "proxy backend"),
        ("cowrie.virustotal.scanfile", "lookup"),
        ("cowrie.session.input", "stdin input"),
        ("cowrie.command.chpasswd", "chpasswd"),
        ("cowrie.client.malformed_packet", "malformed packet"),
        ("cowrie.something.new", "unknown eventid"),
        ("kippo.session.connect", "unknown eventid"),
    ] {
        assert_eq!(ignored(&mut p, &line("ii", id, "")), cat, "{id}");
    }
    // session.params with a LIST message (2023-24).
    assert_eq!(
        ignored(&mut p, &line("ii", "cowrie.session.params", r#""arch": "linux-x64-lsb", "message": []"#)),
        "session params"
    );
}

#[test]
fn message_may_be_a_list_and_sensor_empty() {
    let mut p = parser();
    let e = one(&mut p, &line("jj", "cowrie.command.input", r#""input": "ls", "message": ["CMD: ls"], "sensor": """#));
    // The later "sensor" key wins in serde_json; an empty sensor is unset.
    assert_eq!(e.sensor, None);
    assert_eq!(e.detail.as_deref(), Some("ls"));
}

#[test]
fn rejected_lines() {
    let mut p = parser();
    assert_eq!(rejected(&mut p, "not a json line at all"), "not json");
    assert_eq!(rejected(&mut p, r#"{"eventid": "cowrie.session.connect""#), "not json");
    assert_eq!(rejected(&mut p, "[1, 2]"), "not a json object");
    assert_eq!(rejected(&mut p, r#"{"src_ip": "1.2.3.4"}"#), "missing eventid");
    assert_eq!(rejected(&mut p, r#"{"eventid": 5}"#), "missing eventid");
    assert_eq!(rejected(&mut p, r#"{"eventid": "cowrie.session.connect", "src_ip": "1.2.3.4"}"#), "missing timestamp");
    let ts = |t: &str| format!(r#"{{"eventid": "cowrie.command.input", "src_ip": "1.2.3.4", "timestamp": {t}}}"#);
    assert_eq!(rejected(&mut p, &ts("1525628645.8")), "bad timestamp");
    assert_eq!(rejected(&mut p, &ts(r#""yesterday""#)), "bad timestamp");
    assert_eq!(rejected(&mut p, &ts(r#""2018-05-06T17:44:05.866769Z junk""#)), "bad timestamp");
    assert_eq!(rejected(&mut p, &ts(r#""2018-02-30T17:44:05Z""#)), "bad date");
    let with = |extra: &str| {
        format!(r#"{{"eventid": "cowrie.session.connect", "timestamp": "2018-05-06T17:44:05Z", {extra}}}"#)
    };
    assert_eq!(rejected(&mut p, &with(r#""src_ip": "1.2.3.4", "src_port": 70000"#)), "bad port");
    assert_eq!(rejected(&mut p, &with(r#""src_ip": "1.2.3.4", "src_port": -1"#)), "bad port");
    assert_eq!(rejected(&mut p, &with(r#""src_ip": "1.2.3.4", "dst_port": "ssh""#)), "bad port");
    assert_eq!(rejected(&mut p, &with(r#""src_ip": "1.2.3.4:22""#)), "bad address");
    assert_eq!(rejected(&mut p, &with(r#""src_ip": 16909060"#)), "bad address");
    assert_eq!(rejected(&mut p, &with(r#""session": "x""#)), "missing src_ip");
    let mut out = Vec::new();
    assert!(
        matches!(p.parse_line(b"{\"eventid\": \"cowrie.log.open\", \"x\": \"\xff\"}", &mut out), LineOutcome::Rejected(r) if r.reason == "not json")
    );
}

#[test]
fn addresses() {
    let mut p = parser();
    let with = |src: &str| {
        format!(
            r#"{{"eventid": "cowrie.session.connect", "timestamp": "2018-05-06T17:44:05Z", "src_ip": "{src}", "dst_ip": "honeypot.local", "src_port": "22"}}"#
        )
    };
    let e = one(&mut p, &with("::ffff:198.51.100.4"));
    assert_eq!((e.src_ip, e.src_host.as_deref()), (ip("198.51.100.4"), None));
    assert_eq!((e.dst_ip, e.src_port), (None, Some(22)));
    let e = one(&mut p, &with("2001:db8::7"));
    assert_eq!(e.src_ip, ip("2001:db8::7"));
    let e = one(&mut p, &with("scanner.example.net"));
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("scanner.example.net")));
}

#[test]
fn timestamps() {
    let mut p = parser();
    let at = |p: &mut CowrieParser, t: &str| {
        one(p, &format!(r#"{{"eventid": "cowrie.command.input", "src_ip": "1.2.3.4", "timestamp": "{t}"}}"#)).ts
    };
    assert_eq!(at(&mut p, "2026-08-13T00:00:34.803989Z"), utc("2026-08-13T00:00:34.803989Z"));
    assert_eq!(at(&mut p, "2018-05-06T17:44:05+02:00"), utc("2018-05-06T15:44:05Z"));
    assert_eq!(at(&mut p, "2018-05-06T17:44:05.5"), utc("2018-05-06T17:44:05.5Z"));
    // Zone-less: the clock's zone.
    let cfg = ClockConfig { zone: "Europe/Berlin".parse().unwrap(), year: YearRule::Reference };
    let mut berlin = CowrieParser::new(Clock::new(cfg, 0));
    assert_eq!(at(&mut berlin, "2018-05-06T17:44:05"), utc("2018-05-06T15:44:05Z"));
    assert_eq!(at(&mut berlin, "2018-05-06T17:44:05Z"), utc("2018-05-06T17:44:05Z"));
}

#[test]
fn session_map_is_bounded() {
    let mut m = SessionMap::default();
    for i in 0..MAX_TRACKED_SESSIONS + 10 {
        m.insert(&format!("{i:012x}"), Tracked::default());
    }
    assert_eq!(m.len(), MAX_TRACKED_SESSIONS);
    assert!(m.get(&format!("{:012x}", 0)).is_none(), "oldest evicted");
    assert!(m.get(&format!("{:012x}", MAX_TRACKED_SESSIONS + 9)).is_some());
    // Closing sessions must not let the order queue grow without bound.
    for i in 0..3 * MAX_TRACKED_SESSIONS {
        let id = format!("c{i}");
        m.insert(&id, Tracked::default());
        m.remove(&id);
    }
    assert!(m.order_len() <= 2 * MAX_TRACKED_SESSIONS + 1);
    // Untrackable ids are not stored.
    m.insert("", Tracked::default());
    m.insert(&"x".repeat(MAX_SESSION_ID_LEN + 1), Tracked::default());
    assert!(m.get("").is_none());
}

#[test]
fn long_user_is_not_remembered() {
    let mut p = parser();
    let user = "u".repeat(MAX_TRACKED_TEXT_LEN + 1);
    let (_, v) =
        parse(&mut p, &line("kk", "cowrie.login.success", &format!(r#""username": "{user}", "password": "p""#)));
    assert_eq!(v[1].user.as_deref(), Some(user.as_str()));
    let c = one(&mut p, &line("kk", "cowrie.command.input", r#""input": "id""#));
    assert_eq!(c.user, None);
    // Still a logged-in session: its close balances the open.
    assert_eq!(one(&mut p, &line("kk", "cowrie.session.closed", "")).kind, EventKind::SessionClose);
}

#[test]
fn detection() {
    let l = |s: &str| -> Vec<u8> { s.as_bytes().to_vec() };
    let yes = [l("# comment"), l(""), l(CONNECT_2018), l(&connect("x"))];
    let refs: Vec<&[u8]> = yes.iter().map(Vec::as_slice).collect();
    assert!(looks_like(&refs));
    let refs: Vec<&[u8]> = vec![b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"];
    assert!(!looks_like(&refs));
    let refs: Vec<&[u8]> = vec![br#"{"ts":1546981792.48,"uid":"Cu00","id.orig_h":"192.168.86.167","proto":"tcp"}"#];
    assert!(!looks_like(&refs));
    // The eventid must be the value, not some other field's text.
    let refs: Vec<&[u8]> = vec![br#"{"eventid":"x","message":"\"cowrie.session.connect\""}"#];
    assert!(!looks_like(&refs));
    let refs: Vec<&[u8]> = vec![b"# only", b""];
    assert!(!looks_like(&refs));
    // One cowrie line and one truncated one still count.
    let refs: Vec<&[u8]> = vec![CONNECT_2018.as_bytes(), &CONNECT_2018.as_bytes()[..40]];
    assert!(looks_like(&refs));
}
