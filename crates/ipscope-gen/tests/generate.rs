//! The generator's output re-read as text: shapes, order, counts and determinism.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDateTime};
use ipscope_gen::{SshConfig, TimestampStyle, Truth, is_campus, write_iptracking, write_sshd};

const DAY: i64 = 86_400_000_000;

fn cfg(seed: u64, lines: u64) -> SshConfig {
    SshConfig { seed, lines, ..SshConfig::default() }
}

fn sshd(cfg: &SshConfig) -> (String, Truth) {
    let mut out = Vec::new();
    let truth = write_sshd(cfg, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), truth)
}

fn iptracking(cfg: &SshConfig, delimiter: u8) -> (String, Truth) {
    let mut out = Vec::new();
    let truth = write_iptracking(cfg, delimiter, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), truth)
}

/// FNV-1a, to pin the exact output without storing it.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// `A port P`.
fn addr_port(s: &str) -> Option<(IpAddr, u16)> {
    let (a, p) = s.split_once(" port ")?;
    Some((a.parse().ok()?, p.parse().ok()?))
}

/// `U from A port P`.
fn user_from(s: &str) -> Option<(&str, IpAddr, u16)> {
    let (u, rest) = s.split_once(" from ")?;
    let (a, p) = addr_port(rest)?;
    (!u.is_empty() && !u.contains(' ')).then_some((u, a, p))
}

/// `U A port P` (user, one space, address).
fn user_addr(s: &str) -> Option<(&str, IpAddr, u16)> {
    let (u, rest) = s.split_once(' ')?;
    let (a, p) = addr_port(rest)?;
    Some((u, a, p))
}

/// `[invalid user ]U` → (invalid, U).
fn maybe_invalid(s: &str) -> (bool, &str) {
    match s.strip_prefix("invalid user ") {
        Some(u) => (true, u),
        None => (false, s),
    }
}

/// `authenticating user U` / `invalid user U` → (invalid, rest).
fn who(s: &str) -> Option<(bool, &str)> {
    if let Some(r) = s.strip_prefix("authenticating user ") {
        Some((false, r))
    } else {
        s.strip_prefix("invalid user ").map(|r| (true, r))
    }
}

#[derive(Debug, PartialEq)]
enum Msg<'a> {
    Invalid(&'a str, IpAddr),
    Failed {
        invalid: bool,
        user: &'a str,
        addr: IpAddr,
        n: u64,
    },
    AcceptedPw(&'a str, IpAddr),
    AcceptedKey(&'a str, IpAddr),
    Opened(&'a str, u32),
    Closed(&'a str),
    /// A line only a connection that never authenticates writes.
    Probe(IpAddr),
    /// A line that ends a connection: a probe when it is the connection's first line.
    Noise(IpAddr),
}

/// Classifies one sshd message strictly; `None` if it matches no documented shape.
fn classify(m: &str) -> Option<Msg<'_>> {
    if let Some(r) = m.strip_prefix("Invalid user ") {
        let (u, a, _) = user_from(r)?;
        return Some(Msg::Invalid(u, a));
    }
    if let Some(r) = m.strip_prefix("Failed password for ") {
        let (invalid, r) = maybe_invalid(r.strip_suffix(" ssh2")?);
        let (user, addr, _) = user_from(r)?;
        return Some(Msg::Failed { invalid, user, addr, n: 1 });
    }
    if let Some(r) = m.strip_prefix("message repeated ") {
        let (n, r) = r.split_once(" times: [ Failed password for ")?;
        let n: u64 = n.parse().ok()?;
        let (invalid, r) = maybe_invalid(r.strip_suffix(" ssh2]")?);
        let (user, addr, _) = user_from(r)?;
        return (n >= 2).then_some(Msg::Failed { invalid, user, addr, n });
    }
    if let Some(r) = m.strip_prefix("Accepted password for ") {
        let (u, a, _) = user_from(r.strip_suffix(" ssh2")?)?;
        return Some(Msg::AcceptedPw(u, a));
    }
    if let Some(r) = m.strip_prefix("Accepted publickey for ") {
        let (r, key) = r.split_once(" ssh2: ")?;
        let (kind, fp) = key.split_once(" SHA256:")?;
        let fp_ok = fp.len() == 43 && fp.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !["ED25519", "RSA", "ECDSA"].contains(&kind) || !fp_ok {
            return None;
        }
        let (u, a, _) = user_from(r)?;
        return Some(Msg::AcceptedKey(u, a));
    }
    if let Some(r) = m.strip_prefix("pam_unix(sshd:session): session opened for user ") {
        let (u, uid) = r.strip_suffix(") by (uid=0)")?.split_once("(uid=")?;
        return Some(Msg::Opened(u, uid.parse().ok()?));
    }
    if let Some(u) = m.strip_prefix("pam_unix(sshd:session): session closed for user ") {
        return (!u.contains(' ')).then_some(Msg::Closed(u));
    }
    if let Some(r) = m.strip_prefix("Did not receive identification string from ") {
        return Some(Msg::Probe(addr_port(r)?.0));
    }
    if let Some(r) = m.strip_prefix("banner exchange: Connection from ") {
        return Some(Msg::Probe(addr_port(r.strip_suffix(": invalid format")?)?.0));
    }
    if let Some(r) = m.strip_prefix("Unable to negotiate with ") {
        let (r, offer) = r.split_once(": no matching key exchange method found. Their offer: ")?;
        return offer.ends_with(" [preauth]").then_some(Msg::Probe(addr_port(r)?.0));
    }
    // Noise.
    let addr = if let Some(r) = m.strip_prefix("Received disconnect from ") {
        let r = r.strip_suffix(":11: Bye Bye [preauth]").or_else(|| r.strip_suffix(":11: disconnected by user"))?;
        addr_port(r)?.0
    } else if let Some(r) = m.strip_prefix("Disconnected from user ") {
        user_addr(r)?.1
    } else if let Some(r) = m.strip_prefix("Disconnected from ") {
        user_addr(who(r.strip_suffix(" [preauth]")?)?.1)?.1
    } else if let Some(r) = m.strip_prefix("Connection closed by ") {
        let r = r.strip_suffix(" [preauth]")?;
        match who(r) {
            Some((_, r)) => user_addr(r)?.1,
            None => addr_port(r)?.0,
        }
    } else if let Some(r) = m.strip_prefix("error: maximum authentication attempts exceeded for ") {
        let (_, r) = maybe_invalid(r.strip_suffix(" ssh2 [preauth]")?);
        user_from(r)?.1
    } else if let Some(r) = m.strip_prefix("Disconnecting ") {
        let r = r.strip_suffix(": Too many authentication failures [preauth]")?;
        user_addr(who(r)?.1)?.1
    } else {
        return None;
    };
    Some(Msg::Noise(addr))
}

/// Parses the syslog header; returns (UTC micros, pid, message).
fn header<'a>(line: &'a str, style: TimestampStyle, host: &str, year: i32) -> (i64, u32, &'a str) {
    let (ts, rest) = match style {
        TimestampStyle::Rfc3164 => {
            let t = NaiveDateTime::parse_from_str(&format!("{year} {}", &line[..15]), "%Y %b %e %H:%M:%S")
                .unwrap_or_else(|e| panic!("{e}: {line}"));
            // The day is space-padded to two characters.
            assert!(line.as_bytes()[4] == b' ' || line.as_bytes()[4].is_ascii_digit(), "{line}");
            (t.and_utc().timestamp_micros(), &line[15..])
        }
        TimestampStyle::Rfc3339 => {
            let t = &line[..32];
            assert!(t.ends_with("+00:00") && line.as_bytes()[32] == b' ', "{line}");
            let t = DateTime::parse_from_rfc3339(t).unwrap_or_else(|e| panic!("{e}: {line}"));
            (t.timestamp_micros(), &line[32..])
        }
    };
    let rest = rest.strip_prefix(&format!(" {host} sshd[")).unwrap_or_else(|| panic!("header: {line}"));
    let (pid, msg) = rest.split_once("]: ").unwrap_or_else(|| panic!("pid: {line}"));
    (ts, pid.parse().unwrap_or_else(|_| panic!("pid: {line}")), msg)
}

/// Recounts everything [`Truth`] claims from the sshd text, checking shapes and order.
fn recount_sshd(text: &str, cfg: &SshConfig) -> Truth {
    let year = DateTime::from_timestamp_micros(cfg.start_micros).unwrap().format("%Y").to_string();
    let year: i32 = year.parse().unwrap();
    let mut t = Truth::default();
    let mut addrs = HashSet::new();
    let mut pid_addr: HashMap<u32, IpAddr> = HashMap::new();
    let mut pid_invalid_user: HashMap<u32, &str> = HashMap::new();
    let mut pid_session: HashMap<u32, (&str, IpAddr)> = HashMap::new();
    let mut open: HashMap<(String, IpAddr), i64> = HashMap::new();
    let mut failures: HashMap<IpAddr, u64> = HashMap::new();
    let mut prev = i64::MIN;
    assert!(text.is_empty() || text.ends_with('\n'));
    for line in text.lines() {
        let (ts, pid, msg) = header(line, cfg.style, &cfg.host, year);
        assert!(ts >= prev, "time goes back: {line}");
        assert!(ts >= cfg.start_micros && ts < cfg.start_micros + i64::from(cfg.days) * DAY, "{line}");
        if t.lines == 0 {
            t.first_micros = ts;
        }
        prev = ts;
        t.last_micros = ts;
        t.lines += 1;
        let m = classify(msg).unwrap_or_else(|| panic!("unknown shape: {line}"));
        let addr = match m {
            Msg::Invalid(u, a) => {
                t.invalid_users += 1;
                *t.events.entry("invalid_user").or_default() += 1;
                pid_invalid_user.insert(pid, u);
                Some(a)
            }
            Msg::Failed { invalid, user, addr, n } => {
                t.password_attempts += n;
                t.failed_passwords += n;
                t.repeated_lines += u64::from(n > 1);
                *t.events.entry("auth/failure").or_default() += n;
                if invalid {
                    assert_eq!(pid_invalid_user.get(&pid), Some(&user), "no Invalid user line first: {line}");
                }
                *failures.entry(addr).or_default() += n;
                Some(addr)
            }
            Msg::AcceptedPw(u, a) | Msg::AcceptedKey(u, a) => {
                if matches!(m, Msg::AcceptedPw(..)) {
                    t.password_attempts += 1;
                    t.accepted_passwords += 1;
                    *t.events.entry("auth/success").or_default() += 1;
                    if failures.get(&a).copied().unwrap_or(0) >= 20 {
                        t.breach = Some((a, u.to_owned()));
                    }
                } else {
                    t.accepted_publickeys += 1;
                    *t.events.entry("key_auth/success").or_default() += 1;
                }
                pid_session.insert(pid, (u, a));
                Some(a)
            }
            Msg::Opened(u, uid) => {
                let &(su, a) = pid_session.get(&pid).unwrap_or_else(|| panic!("open without Accepted: {line}"));
                assert_eq!(su, u, "{line}");
                assert!(uid == 0 || uid >= 1000, "{line}");
                t.sessions_opened += 1;
                *t.events.entry("session_open").or_default() += 1;
                *open.entry((u.to_owned(), a)).or_default() += 1;
                None
            }
            Msg::Closed(u) => {
                let &(su, a) = pid_session.get(&pid).unwrap_or_else(|| panic!("close without Accepted: {line}"));
                assert_eq!(su, u, "{line}");
                t.sessions_closed += 1;
                *t.events.entry("session_close").or_default() += 1;
                *open.entry((u.to_owned(), a)).or_default() -= 1;
                None
            }
            Msg::Probe(a) => {
                *t.events.entry("connection/failure").or_default() += 1;
                Some(a)
            }
            // A connection's end without any line before it: the probe of a connection that
            // never authenticated (the parser counts it as one).
            Msg::Noise(a) if !pid_addr.contains_key(&pid) => {
                *t.events.entry("connection/failure").or_default() += 1;
                Some(a)
            }
            Msg::Noise(a) => {
                t.noise_lines += 1;
                t.ignored_lines += 1;
                Some(a)
            }
        };
        if let Some(a) = addr {
            assert!(!matches!(a, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some()), "mapped address: {line}");
            addrs.insert(a);
            let first = *pid_addr.entry(pid).or_insert(a);
            assert_eq!(first, a, "one pid, two addresses: {line}");
        }
    }
    t.distinct_addresses = addrs.len() as u64;
    let mut open: Vec<_> =
        open.into_iter().filter(|((_, a), n)| *n > 0 && !is_campus(*a)).map(|((u, a), n)| (u, a, n as u64)).collect();
    open.sort();
    t.open_offcampus = open;
    t
}

#[test]
fn sshd_truth_matches_the_text() {
    for (seed, lines, style, days) in [
        (1, 200_000, TimestampStyle::Rfc3164, 7),
        (2, 50_000, TimestampStyle::Rfc3339, 3),
        (3, 30_000, TimestampStyle::Rfc3164, 30),
    ] {
        let c = SshConfig { style, days, ..cfg(seed, lines) };
        let (text, mut truth) = sshd(&c);
        let recount = recount_sshd(&text, &c);
        if style == TimestampStyle::Rfc3164 {
            // The text has whole seconds only.
            truth.first_micros -= truth.first_micros.rem_euclid(1_000_000);
            truth.last_micros -= truth.last_micros.rem_euclid(1_000_000);
        }
        assert_eq!(recount, truth, "seed {seed}");
        // Every group of the model shows up.
        assert!(truth.invalid_users > 0 && truth.repeated_lines > 0 && truth.noise_lines > 0);
        // Probes: every shape, and a probe's end line after it is noise.
        assert!(truth.events.get("connection/failure").is_some_and(|&n| n > truth.lines / 100), "seed {seed}");
        for shape in ["Did not receive identification", "Unable to negotiate", "banner exchange", "Bye Bye"] {
            assert!(text.contains(shape), "seed {seed}: no {shape}");
        }
        assert!(truth.accepted_passwords > 0 && truth.accepted_publickeys > 0);
        assert!(truth.sessions_closed > 0 && truth.sessions_opened > truth.sessions_closed);
        assert!(truth.breach.is_some(), "seed {seed}: no breach");
        let (bip, buser) = truth.breach.clone().unwrap();
        assert!(truth.open_offcampus.iter().any(|(u, a, _)| *u == buser && *a == bip));
        assert!(text.lines().any(|l| l.contains(" from 2") && l.contains("::")), "no IPv6 attacker");
        // The output covers the span: first and last lines within a day of its ends.
        assert!(truth.first_micros < c.start_micros + DAY);
        assert!(truth.last_micros >= c.start_micros + i64::from(days - 1) * DAY);
    }
}

#[test]
fn exact_line_count_even_when_tiny() {
    for lines in [0, 1, 2, 7, 100, 999, 12_345] {
        let c = cfg(9, lines);
        let (text, truth) = sshd(&c);
        assert_eq!(text.lines().count() as u64, lines);
        assert_eq!(truth.lines, lines);
        assert_eq!(recount_sshd(&text, &c).lines, lines);
        let (rows, truth) = iptracking(&c, b'|');
        assert_eq!(rows.lines().count() as u64, lines);
        assert_eq!(truth.lines, lines);
    }
}

#[test]
fn same_config_same_bytes_other_seed_other_bytes() {
    let (a, ta) = sshd(&cfg(42, 20_000));
    let (b, tb) = sshd(&cfg(42, 20_000));
    assert!(a == b && ta == tb);
    let (c, _) = sshd(&cfg(43, 20_000));
    assert_ne!(a, c);
    let (d, _) = iptracking(&cfg(42, 20_000), b'|');
    let (e, _) = iptracking(&cfg(42, 20_000), b'|');
    let (f, _) = iptracking(&cfg(43, 20_000), b'|');
    assert!(d == e && d != f);
}

/// The exact output for one config, pinned: any change to the model, the tables or the random
/// stream (e.g. a rand / rand_chacha upgrade that changes values) shows up here. Update the
/// constants only when changing the model on purpose, and say so in the commit.
#[test]
fn output_is_pinned() {
    let (text, _) = sshd(&cfg(1, 5_000));
    let (rows, _) = iptracking(&cfg(1, 5_000), b'|');
    let got = (fnv(text.as_bytes()), fnv(rows.as_bytes()));
    assert_eq!(
        got,
        (12_343_387_639_798_636_299, 11_842_794_041_010_319_442),
        "output changed; first lines:\n{}",
        &text[..400]
    );
}

#[test]
fn scanner_tail_scales_with_lines() {
    // 1 M lines: at least 10 k distinct addresses (10 M lines give ~250 k, see the crate docs).
    let truth = write_sshd(&SshConfig { days: 30, ..cfg(1, 1_000_000) }, io::sink()).unwrap();
    assert_eq!(truth.lines, 1_000_000);
    assert!(truth.distinct_addresses >= 10_000, "{}", truth.distinct_addresses);
    assert!(truth.password_attempts > 500_000);
}

#[test]
fn iptracking_truth_matches_the_rows() {
    let c = SshConfig { days: 5, ..cfg(5, 100_000) };
    for delimiter in [b'|', b',', b'\t'] {
        let (rows, truth) = iptracking(&c, delimiter);
        let d = char::from(delimiter);
        let (mut auth, mut opened, mut closed, mut prev) = (0u64, 0u64, 0u64, String::new());
        let mut addrs = HashSet::new();
        let mut open: HashMap<(String, IpAddr), i64> = HashMap::new();
        for row in rows.lines() {
            let f: Vec<&str> = row.split(d).collect();
            assert_eq!(f.len(), 7, "{row}");
            let dst: IpAddr = f[0].parse().unwrap();
            let src: IpAddr = f[1].parse().unwrap();
            assert_eq!(dst.is_ipv4(), src.is_ipv4(), "{row}");
            let _port: u16 = f[2].parse().unwrap();
            let _pid: u32 = f[4].parse().unwrap();
            assert!(!f[5].is_empty() && !f[5].contains(' '), "{row}");
            NaiveDateTime::parse_from_str(f[6], "%Y-%m-%d %H:%M:%S").unwrap();
            assert!(f[6] >= prev.as_str(), "time goes back: {row}");
            prev = f[6].to_owned();
            addrs.insert(src);
            match f[3] {
                "auth" => auth += 1,
                "open_session" => {
                    opened += 1;
                    *open.entry((f[5].to_owned(), src)).or_default() += 1;
                }
                "close_session" => {
                    closed += 1;
                    *open.entry((f[5].to_owned(), src)).or_default() -= 1;
                }
                other => panic!("event {other}: {row}"),
            }
        }
        assert_eq!(rows.lines().count() as u64, truth.lines);
        assert_eq!(auth, truth.password_attempts);
        assert_eq!(opened, truth.sessions_opened);
        assert_eq!(closed, truth.sessions_closed);
        assert_eq!(addrs.len() as u64, truth.distinct_addresses);
        assert_eq!(truth.invalid_users + truth.noise_lines + truth.repeated_lines, 0);
        let mut want: Vec<_> = open
            .into_iter()
            .filter(|((_, a), n)| *n > 0 && !is_campus(*a))
            .map(|((u, a), n)| (u, a, n as u64))
            .collect();
        want.sort();
        assert_eq!(want, truth.open_offcampus);
        assert!(truth.breach.is_some() && truth.accepted_publickeys > 0 && closed > 0);
    }
}

#[test]
fn bad_configs_are_refused() {
    let mut out = Vec::new();
    assert!(write_sshd(&SshConfig { days: 0, ..cfg(1, 10) }, &mut out).is_err());
    assert!(write_sshd(&SshConfig { host: "two words".into(), ..cfg(1, 10) }, &mut out).is_err());
    assert!(write_sshd(&SshConfig { host: String::new(), ..cfg(1, 10) }, &mut out).is_err());
    assert!(write_sshd(&SshConfig { start_micros: i64::MAX - 1, ..cfg(1, 10) }, &mut out).is_err());
    assert!(write_iptracking(&cfg(1, 10), b'.', &mut out).is_err());
    assert!(write_iptracking(&cfg(1, 10), b'a', &mut out).is_err());
    assert!(out.is_empty());
}
