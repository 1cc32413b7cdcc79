#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::test_support::*;
use crate::{ClockConfig, YearRule, Zone};

fn parser() -> SshdParser {
    SshdParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2024) }, 0))
}

#[test]
fn failed_password_fields() {
    let mut p = parser();
    let e = one(
        &mut p,
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2\r",
    );
    assert_eq!(e.kind, EventKind::Auth);
    assert_eq!(e.outcome, Some(Outcome::Failure));
    assert_eq!(e.user.as_deref(), Some("webmaster"));
    assert_eq!(e.src_ip, ip("173.234.31.186"));
    assert_eq!(e.src_port, Some(38926));
    assert_eq!(e.detail.as_deref(), Some("password"));
    assert_eq!(e.sensor.as_deref(), Some("LabSZ"));
    assert_eq!(e.session.as_deref(), Some("24200"));
    assert_eq!(e.proto.as_deref(), Some("tcp"));
    assert_eq!(e.format, SourceFormat::Sshd);
    assert_eq!((e.dst_ip, e.dst_port), (None, None));
    assert_eq!(e.ts, utc("2024-12-10T06:55:48Z"));
}

#[test]
fn ipv6_and_mapped_and_hostnames() {
    let mut p = parser();
    let e = one(
        &mut p,
        "Feb 25 14:34:10 belka sshd[31603]: Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1 port 50273 ssh2",
    );
    assert_eq!(e.src_ip, ip("aaaa:bbbb:cccc:1234::1:1"));
    assert_eq!(e.src_port, Some(50273));
    let e = one(
        &mut p,
        "Feb 25 14:34:11 belka sshd[31603]: Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1",
    );
    assert_eq!((e.src_ip, e.src_port), (ip("aaaa:bbbb:cccc:1234::1:1"), None));
    let e = one(&mut p, "Feb 25 14:34:11 h sshd[1]: Accepted password for bob from ::ffff:10.1.2.3 port 22 ssh2");
    assert_eq!(e.src_ip, ip("10.1.2.3"));
    let e = one(
        &mut p,
        "May 29 20:56:52 imago sshd[28732]: error: PAM: Authentication failure for stefanor from example.com",
    );
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("example.com")));
    assert_eq!((e.kind, e.outcome), (EventKind::Auth, Some(Outcome::Failure)));
    // A leading-zero dotted quad is a host name (a PTR record), not an address.
    let e =
        one(&mut p, "Jun 21 16:47:48 d sshd[13709]: error: PAM: Authentication failure for myhlj1374 from 192.030.0.6");
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("192.030.0.6")));
    let e = one(&mut p, "Feb 25 14:34:11 h sshd[1]: Failed password for x from fe80::1%eth0 port 22 ssh2");
    assert_eq!(e.src_ip, ip("fe80::1"));
}

#[test]
fn method_kinds() {
    let mut p = parser();
    let k = |p: &mut SshdParser, l: &str| {
        let e = one(p, l);
        (e.kind, e.outcome.unwrap(), e.detail.unwrap())
    };
    use EventKind::{Auth, KeyAuth};
    use Outcome::{Failure, Success};
    let h = "Apr 30 01:42:12 h sshd[2554]: ";
    assert_eq!(
        k(&mut p, &format!("{h}Failed keyboard-interactive/pam for invalid user j from 1.2.3.4 port 1 ssh2")),
        (Auth, Failure, "keyboard-interactive/pam".into())
    );
    assert_eq!(
        k(&mut p, &format!("{h}Accepted keyboard-interactive/pam for j from 1.2.3.4 port 1 ssh2")),
        (Auth, Success, "keyboard-interactive/pam".into())
    );
    assert_eq!(
        k(&mut p, &format!("{h}Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48:xx")),
        (KeyAuth, Success, "publickey".into())
    );
    assert_eq!(
        k(&mut p, &format!("{h}Accepted gssapi-with-mic for u from 1.2.3.4 port 1 ssh2")),
        (KeyAuth, Success, "gssapi-with-mic".into())
    );
    assert_eq!(
        k(&mut p, &format!("{h}Failed none for invalid user x from 1.2.3.4 port 1 ssh2")),
        (KeyAuth, Failure, "none".into())
    );
    assert_eq!(
        k(
            &mut p,
            &format!(
                "{h}Failed hostbased for dan from 127.0.0.1 port 45785 ssh2: RSA 8c:e3, client user \"dan\", client host \"l\""
            )
        ),
        (KeyAuth, Failure, "hostbased".into())
    );
    assert_eq!(
        k(&mut p, &format!("{h}Failed publickey for invalid user g from 127.0.0.1 port 37954 ssh2: RSA SHA256:v3dp")),
        (KeyAuth, Failure, "publickey".into())
    );
}

#[test]
fn injection_in_user_and_info() {
    let mut p = parser();
    let h = "Nov 11 08:04:52 redbamboo sshd[2737]: ";
    let e = one(&mut p, &format!("{h}Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2"));
    assert_eq!((e.src_ip, e.user.as_deref()), (ip("127.0.0.1"), Some("from 10.10.1.1")));
    let e = one(
        &mut p,
        &format!(
            "{h}Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2"
        ),
    );
    assert_eq!(
        (e.src_ip, e.src_port, e.user.as_deref()),
        (ip("127.0.0.1"), Some(58946), Some("test from 10.10.1.2 port 55555 ssh2"))
    );
    let e = one(
        &mut p,
        &format!(
            "{h}Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2"
        ),
    );
    assert_eq!((e.src_ip, e.user.as_deref()), (ip("127.0.0.1"), Some("test")));
    let e = one(&mut p, &format!("{h}Failed password for user from 127.0.0.1 port 20000 ssh1: ruser from 1.2.3.4"));
    assert_eq!((e.src_ip, e.user.as_deref()), (ip("127.0.0.1"), Some("user")));
}

#[test]
fn empty_user() {
    let mut p = parser();
    let e = one(&mut p, "Jun  6 04:17:04 host sshd[1189074]: Invalid user  from 192.0.2.68 port 34916");
    assert_eq!(e.kind, EventKind::InvalidUser);
    assert_eq!((e.user.as_deref(), e.src_ip, e.src_port), (Some(""), ip("192.0.2.68"), Some(34916)));
    assert_eq!(e.ts, utc("2024-06-06T04:17:04Z"));
    let e =
        one(&mut p, "Jun  6 04:17:05 host sshd[1]: Failed password for invalid user  from 192.0.2.68 port 34916 ssh2");
    assert_eq!((e.kind, e.user.as_deref()), (EventKind::Auth, Some("")));
    assert_eq!(
        ignored(
            &mut p,
            "Jun  6 04:17:09 host sshd[1189074]: Connection closed by invalid user  192.0.2.68 port 34916 [preauth]"
        ),
        "disconnect"
    );
}

#[test]
fn invalid_user() {
    let mut p = parser();
    let e = one(&mut p, "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
    assert_eq!(
        (e.kind, e.outcome, e.user.as_deref(), e.src_ip, e.src_port),
        (EventKind::InvalidUser, None, Some("webmaster"), ip("173.234.31.186"), None)
    );
    let e = one(&mut p, "Jul 20 14:42:12 localhost sshd[22708]: Invalid user ftp from 192.0.2.2 port 37220");
    assert_eq!(e.src_port, Some(37220));
    let e = one(&mut p, "Jul 20 14:42:12 localhost sshd[22708]: Illegal user ftp from 192.0.2.2");
    assert_eq!(e.kind, EventKind::InvalidUser);
    assert_eq!(
        ignored(&mut p, "Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]"),
        "invalid user echo"
    );
}

#[test]
fn message_repeated_multiplies() {
    let mut p = parser();
    let (o, v) = parse(
        &mut p,
        "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
    );
    assert_eq!(o, LineOutcome::Events(5));
    assert_eq!(v.len(), 5);
    assert!(
        v.iter()
            .all(|e| e.kind == EventKind::Auth && e.src_ip == ip("5.36.59.76") && e.user.as_deref() == Some("root"))
    );
    let (o, _) = parse(
        &mut p,
        "Dec 10 07:13:56 LabSZ sshd[1]: message repeated 2 times: [ Received disconnect from 1.2.3.4: 11: Bye Bye]",
    );
    assert_eq!(o, LineOutcome::Ignored("disconnect"));
    // A repeated probe line is one process, one connection: one probe.
    let (o, v) = parse(
        &mut p,
        "Dec 10 07:13:56 LabSZ sshd[2]: message repeated 2 times: [ Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]]",
    );
    assert_eq!((o, v.len()), (LineOutcome::Events(1), 1));
    assert_eq!(
        rejected(
            &mut p,
            "Dec 10 07:13:56 LabSZ sshd[1]: message repeated 0 times: [ Failed password for root from 5.36.59.76 port 1 ssh2]"
        ),
        "bad repeat"
    );
    assert_eq!(
        rejected(&mut p, "Dec 10 07:13:56 LabSZ sshd[1]: message repeated 3 times: [ message repeated 3 times: [ x]]"),
        "nested repeat"
    );
    assert_eq!(rejected(&mut p, "Dec 10 07:13:56 LabSZ sshd[1]: message repeated many times"), "bad repeat");
}

#[test]
fn message_repeated_is_capped() {
    let mut p = parser();
    let (o, v) = parse(
        &mut p,
        "Dec 10 07:13:56 LabSZ sshd[1]: message repeated 99999999999999999999999 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
    );
    assert_eq!(o, LineOutcome::Events(MAX_REPEAT));
    assert_eq!(v.len(), MAX_REPEAT);
    let (o, _) = parse(
        &mut p,
        "Dec 10 07:13:56 LabSZ sshd[1]: message repeated 10001 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
    );
    assert_eq!(o, LineOutcome::Events(MAX_REPEAT));
}

#[test]
fn session_address_carried_over_by_pid() {
    let mut p = parser();
    let a = one(
        &mut p,
        "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
    );
    assert_eq!((a.kind, a.outcome), (EventKind::Auth, Some(Outcome::Success)));
    // Another host with the same pid does not get this address.
    let other = one(
        &mut p,
        "Dec 10 09:32:20 Other sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)",
    );
    assert_eq!(other.src_ip, None);
    let o = one(
        &mut p,
        "Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)",
    );
    assert_eq!(
        (o.kind, o.user.as_deref(), o.src_ip, o.src_port),
        (EventKind::SessionOpen, Some("fztu"), ip("119.137.62.142"), Some(49116))
    );
    assert_eq!(o.session.as_deref(), Some("24680"));
    let c = one(&mut p, "Dec 10 09:45:06 LabSZ sshd[24680]: pam_unix(sshd:session): session closed for user fztu");
    assert_eq!((c.kind, c.src_ip), (EventKind::SessionClose, ip("119.137.62.142")));
    // Forgotten after the close.
    assert_eq!(p.sessions.len(), 0);
    let c = one(&mut p, "Dec 10 09:45:07 LabSZ sshd[24680]: pam_unix(sshd:session): session closed for user fztu");
    assert_eq!(c.src_ip, None);
    // Newer PAM: `for user bob(uid=1000) by (uid=0)`.
    one(
        &mut p,
        "Dec 10 10:00:00 h sshd-session[77]: Accepted publickey for bob from 2001:db8::7 port 4444 ssh2: ED25519 SHA256:abc",
    );
    let o = one(
        &mut p,
        "Dec 10 10:00:00 h sshd-session[77]: pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)",
    );
    assert_eq!((o.user.as_deref(), o.src_ip), (Some("bob"), ip("2001:db8::7")));
}

#[test]
fn session_map_is_bounded() {
    let mut p = parser();
    for pid in 0..(MAX_TRACKED_SESSIONS + 10) {
        one(&mut p, &format!("Dec 10 09:32:20 h sshd[{pid}]: Accepted password for u from 10.0.0.1 port 1 ssh2"));
    }
    assert_eq!(p.sessions.len(), MAX_TRACKED_SESSIONS);
    // The oldest were evicted, the newest kept.
    let o = one(&mut p, "Dec 10 09:32:21 h sshd[0]: pam_unix(sshd:session): session opened for user u by (uid=0)");
    assert_eq!(o.src_ip, None);
    let last = MAX_TRACKED_SESSIONS + 9;
    let o = one(
        &mut p,
        &format!("Dec 10 09:32:21 h sshd[{last}]: pam_unix(sshd:session): session opened for user u by (uid=0)"),
    );
    assert_eq!(o.src_ip, ip("10.0.0.1"));
}

#[test]
fn pam_lines() {
    let mut p = parser();
    let h = "Dec 10 06:55:46 LabSZ sshd[24200]: ";
    assert_eq!(
        ignored(
            &mut p,
            &format!(
                "{h}pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 "
            )
        ),
        "pam summary"
    );
    assert_eq!(ignored(&mut p, &format!("{h}pam_unix(sshd:auth): check pass; user unknown")), "pam noise");
    assert_eq!(
        ignored(
            &mut p,
            &format!(
                "{h}PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"
            )
        ),
        "pam noise"
    );
    assert_eq!(ignored(&mut p, &format!("{h}PAM service(sshd) ignoring max retries; 6 > 3")), "pam noise");
    assert_eq!(
        ignored(&mut p, &format!("{h}pam_unix(cron:session): session opened for user root by (uid=0)")),
        "other pam service"
    );
    assert_eq!(
        ignored(&mut p, "Dec 10 06:55:46 h CRON[1]: pam_unix(cron:session): session opened for user root by (uid=0)"),
        "other program"
    );
    assert_eq!(
        ignored(&mut p, "Dec 10 06:55:46 h sudo: pam_unix(sudo:session): session opened for user root by bob(uid=0)"),
        "other program"
    );
    assert_eq!(
        ignored(&mut p, "Dec 10 06:55:46 h su(pam_unix)[2]: session opened for user news by (uid=0)"),
        "other program"
    );
    assert_eq!(ignored(&mut p, "Dec 10 06:55:46 h systemd-logind[2]: New session 1 of user bob."), "other program");

    // Old Red Hat form: the only record of the attempt.
    let e = one(
        &mut p,
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \r",
    );
    assert_eq!(
        (e.kind, e.outcome, e.src_ip, e.user),
        (EventKind::Auth, Some(Outcome::Failure), ip("218.188.2.4"), None)
    );
    assert_eq!(e.detail.as_deref(), Some("pam"));
    let e = one(
        &mut p,
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
    );
    assert_eq!(
        (e.src_ip, e.src_host.as_deref(), e.user.as_deref()),
        (None, Some("220-135-151-1.hinet-ip.hinet.net"), Some("root"))
    );
    assert_eq!(ignored(&mut p, "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown"), "pam noise");
    let o = one(&mut p, "Jun 15 12:12:34 combo sshd(pam_unix)[23397]: session opened for user test by (uid=509)");
    assert_eq!(
        (o.kind, o.user.as_deref(), o.session.as_deref()),
        (EventKind::SessionOpen, Some("test"), Some("23397"))
    );
    let c = one(&mut p, "Jun 15 12:12:34 combo sshd(pam_unix)[23397]: session closed for user test");
    assert_eq!((c.kind, c.user.as_deref()), (EventKind::SessionClose, Some("test")));

    // pam-generic: `(pam_unix)` inside sshd's own message.
    let e = one(
        &mut p,
        "May 12 09:47:54 vaio sshd[16004]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=71-13-115-12.static.mdsn.wi.charter.com  user=root",
    );
    assert_eq!(
        (e.kind, e.src_host.as_deref(), e.user.as_deref()),
        (EventKind::Auth, Some("71-13-115-12.static.mdsn.wi.charter.com"), Some("root"))
    );
    // Injection on the user: rhost is the one before `user=`.
    let e = one(
        &mut p,
        "Jul 19 18:11:52 srv2 sshd[1]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=xxx ruser= rhost=192.0.2.2 user=test rhost=192.0.2.152",
    );
    assert_eq!((e.src_ip, e.user.as_deref()), (ip("192.0.2.2"), Some("test rhost=192.0.2.152")));
    let e = one(
        &mut p,
        "Jul 19 18:11:50 srv2 sshd[1]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=xxx ruser=test rhost=192.0.2.151 rhost=192.0.2.1",
    );
    assert_eq!(e.src_ip, ip("192.0.2.1"));
}

#[test]
fn pam_error_variants() {
    let mut p = parser();
    let e = one(
        &mut p,
        "Apr 29 17:16:20 Jamess-iMac.local sshd[62312]: error: PAM: authentication error for james from example.com via 192.168.1.201",
    );
    assert_eq!(
        (e.src_host.as_deref(), e.dst_ip, e.user.as_deref()),
        (Some("example.com"), ip("192.168.1.201"), Some("james"))
    );
    let e = one(
        &mut p,
        "Dec 12 20:04:39 aragorn sshd[1328]: error: PAM: User not known to the underlying authentication module for illegal user kernelitshell from 10.215.4.227 ",
    );
    assert_eq!((e.kind, e.user.as_deref(), e.src_ip), (EventKind::Auth, Some("kernelitshell"), ip("10.215.4.227")));
    assert_eq!(
        ignored(&mut p, "Dec 12 20:04:39 a sshd[1]: error: PAM: pam_open_session(): Cannot make/remove an entry"),
        "pam noise"
    );
}

#[test]
fn deny_and_connection() {
    let mut p = parser();
    let e = one(
        &mut p,
        "Nov 11 23:33:27 Server sshd[5174]: refused connect from _U2FsdGVkX19P3BCJmFBHhjLza8BcMH06WCUVwttMHpE=_@::ffff:218.249.210.161 (::ffff:218.249.210.161)",
    );
    assert_eq!((e.kind, e.src_ip, e.src_host), (EventKind::Deny, ip("218.249.210.161"), None));
    let e = one(&mut p, "Nov 11 23:33:27 Server sshd[5174]: refused connect from evil.example.com (192.0.2.9)");
    assert_eq!((e.src_ip, e.src_host.as_deref()), (ip("192.0.2.9"), Some("evil.example.com")));
    let e = one(&mut p, "Nov 11 23:33:27 Server sshd[5174]: refused connect from 192.0.2.10");
    assert_eq!(e.src_ip, ip("192.0.2.10"));
    let e = one(
        &mut p,
        "Jun  7 04:29:10 host sshd[649921]: Connection from 192.0.2.16 port 51280 on 192.0.2.17 port 22 rdomain \"\"",
    );
    assert_eq!(
        (e.kind, e.src_ip, e.src_port, e.dst_ip, e.dst_port),
        (EventKind::Connection, ip("192.0.2.16"), Some(51280), ip("192.0.2.17"), Some(22))
    );
    let e = one(&mut p, "Sep 29 16:28:05 localhost sshd[16700]: Connection from 192.0.2.5");
    assert_eq!((e.src_ip, e.src_port, e.dst_ip), (ip("192.0.2.5"), None, None));
    assert_eq!(rejected(&mut p, "Sep 29 16:28:05 localhost sshd[16700]: Connection from !!!"), "bad address");
}

#[test]
fn header_variants() {
    let mut p = parser();
    let e =
        one(&mut p, "Jul  3 14:59:17 host sshd-session[1571]: Failed password for root from 192.0.2.1 port 56502 ssh2");
    assert_eq!((e.session.as_deref(), e.sensor.as_deref()), (Some("1571"), Some("host")));
    let e = one(
        &mut p,
        "2015-04-16T18:02:50.321974+02:00 host sshd[2716]: Failed password for root from 192.0.2.1 port 1 ssh2",
    );
    assert_eq!(e.ts, utc("2015-04-16T16:02:50.321974Z"));
    let e = one(
        &mut p,
        "<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2",
    );
    assert_eq!((e.kind, e.user.as_deref(), e.session.as_deref()), (EventKind::KeyAuth, Some("redmond"), Some("57915")));
    assert_eq!(e.ts, utc("2019-07-08T21:40:16.954167Z"));
    let e = one(&mut p, "<86>Feb 17 17:40:17 sshd[19725]: Connection from 192.0.2.10 port 62004 on 192.0.2.10 port 22");
    assert_eq!((e.sensor, e.session.as_deref()), (None, Some("19725")));
    assert_eq!(
        ignored(
            &mut p,
            "Mar  3 00:17:22 [sshd]: User root from 211.188.220.49 not allowed because not listed in AllowUsers"
        ),
        "user not allowed"
    );
    assert_eq!(
        ignored(&mut p, "Jun 25 23:53:34 [sshd] User root from 1.2.3.4 not allowed because not listed in AllowUsers"),
        "user not allowed"
    );
    let e = one(
        &mut p,
        "Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2",
    );
    assert_eq!((e.kind, e.user.as_deref()), (EventKind::Auth, Some("<invalid username>")));
    assert_eq!(ignored(&mut p, "# failJSON: {}"), "comment");
    assert_eq!(ignored(&mut p, "  \r"), "blank");
    assert_eq!(ignored(&mut p, ""), "blank");
}

#[test]
fn dec_to_jan_rollover() {
    let mut p = parser();
    let a = one(&mut p, "Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4");
    let b = one(&mut p, "Jan  1 00:00:01 h sshd[1]: Invalid user b from 1.2.3.4");
    assert_eq!(a.ts, utc("2024-12-31T23:59:59Z"));
    assert_eq!(b.ts, utc("2025-01-01T00:00:01Z"));
    // Reference rule: a January mtime puts December lines in the previous year.
    let cfg = ClockConfig { zone: Zone::Utc, year: YearRule::Reference };
    let mut p = SshdParser::new(Clock::new(cfg, utc("2025-01-02T00:00:00Z")));
    assert_eq!(one(&mut p, "Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4").ts, utc("2024-12-31T23:59:59Z"));
    assert_eq!(one(&mut p, "Jan  1 00:00:01 h sshd[1]: Invalid user a from 1.2.3.4").ts, utc("2025-01-01T00:00:01Z"));
}

#[test]
fn malformed_lines_are_rejected() {
    let mut p = parser();
    assert_eq!(rejected(&mut p, "Dec  2 13:14:2"), "truncated line");
    assert_eq!(rejected(&mut p, "Dec  2 13:14:20 host"), "truncated line");
    assert_eq!(rejected(&mut p, "not a syslog line at all"), "bad timestamp");
    // 2024 (the parser's year) has a Feb 29; 2023 does not.
    one(&mut p, "Feb 29 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4");
    let mut p23 = SshdParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2023) }, 0));
    assert_eq!(rejected(&mut p23, "Feb 29 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4"), "bad date");
    assert_eq!(rejected(&mut p, "Feb 30 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4"), "bad date");
    assert_eq!(
        rejected(&mut p, "Feb 10 10:00:00 h sshd[1]: Failed password for root from $$$ port 1 ssh2"),
        "bad address"
    );
    assert_eq!(
        rejected(&mut p, "Feb 10 10:00:00 h sshd[1]: Failed password for root from 1.2.3.4 port 99999 ssh2"),
        "bad address"
    );
    assert_eq!(rejected(&mut p, "Feb 10 10:00:00 h sshd[1]: Failed password"), "bad auth line");
    // Other programs are not looked at beyond the header.
    assert_eq!(ignored(&mut p, "Feb 29 10:00:00 h cron[1]: whatever"), "other program");
}

#[test]
fn ignored_categories() {
    let mut p = parser();
    let h = "Nov 26 13:03:30 srv sshd[45]: ";
    for (msg, cat) in [
        ("Received disconnect from 1.2.3.4: 11: Bye Bye", "disconnect"),
        ("Disconnecting: Too many authentication failures for root [preauth]", "too many failures"),
        (
            "error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]",
            "too many failures",
        ),
        ("Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username", "disconnect"),
        ("error: kex_exchange_identification: banner line too long", "no identification"),
        ("fatal: no matching mac found: client hmac-xxx", "negotiation failure"),
        ("fatal: Read from socket failed: Connection reset by peer [preauth]", "fatal"),
        ("fatal: Timeout before authentication for 192.0.2.14 port 55555", "timeout"),
        ("Timeout before authentication for connection from 192.0.2.17 to 127.0.0.1, pid = 29098", "timeout"),
        (
            "ssh_dispatch_run_fatal: Connection from 192.0.2.13 port 33738: message authentication code incorrect [preauth]",
            "protocol error",
        ),
        ("User root not allowed because account is locked", "user not allowed"),
        ("ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4", "user not allowed"),
        ("SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;Protocol: 2.0;Client: libssh2_1.4.3", "audit"),
        ("Postponed publickey for git from 192.0.2.1 port 57904 ssh2 [preauth]", "postponed"),
        (
            "reverse mapping checking getaddrinfo for ns.example.com [1.2.3.4] failed - POSSIBLE BREAK-IN ATTEMPT!",
            "reverse mapping",
        ),
        (
            "Address 1.2.3.4 maps to 1234.bbbbbb.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
            "reverse mapping",
        ),
        ("Server listening on 0.0.0.0 port 22.", "server"),
        ("error: Could not load host key: /etc/ssh/ssh_host_ed25519_key", "error"),
        ("something new in OpenSSH 11", "other sshd message"),
    ] {
        assert_eq!(ignored(&mut p, &format!("{h}{msg}")), cat, "{msg}");
    }
}

/// Issue 15: scanner probes and connections that end before any authentication line are one
/// `connection` failure each; the end lines of connections that authenticated stay ignored.
#[test]
fn probes_and_silent_attempts() {
    let mut p = parser();
    let at = |pid: u32, msg: &str| format!("Nov 26 13:03:30 srv sshd[{pid}]: {msg}");
    // (line, conn_state, address, port, user, detail)
    for (pid, msg, state, addr, port, user, detail) in [
        (
            1,
            "Did not receive identification string from 69.61.56.114",
            "no identification",
            "69.61.56.114",
            None,
            None,
            None,
        ),
        (
            2,
            "Did not receive identification string from 2001:db8::7 port 50022",
            "no identification",
            "2001:db8::7",
            Some(50022),
            None,
            None,
        ),
        (
            3,
            "banner exchange: Connection from 192.0.2.12 port 44105: invalid format",
            "bad banner",
            "192.0.2.12",
            Some(44105),
            None,
            Some("invalid format"),
        ),
        (
            4,
            "Bad protocol version identification 'GET / HTTP/1.1' from 192.0.2.13 port 40000",
            "bad banner",
            "192.0.2.13",
            Some(40000),
            None,
            None,
        ),
        (
            5,
            "fatal: Unable to negotiate with 192.0.2.2 port 55419: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
            "negotiation failure",
            "192.0.2.2",
            Some(55419),
            None,
            Some("no matching key exchange method found"),
        ),
        (
            6,
            "Unable to negotiate with 192.0.2.3 port 55420: no matching host key type found. Their offer: ssh-rsa,ssh-dss [preauth]",
            "negotiation failure",
            "192.0.2.3",
            Some(55420),
            None,
            Some("no matching host key type found"),
        ),
        (
            7,
            "Connection closed by 192.0.2.4 port 40001 [preauth]",
            "closed preauth",
            "192.0.2.4",
            Some(40001),
            None,
            None,
        ),
        (
            8,
            "Connection closed by authenticating user root 192.0.2.5 port 40002 [preauth]",
            "closed preauth",
            "192.0.2.5",
            Some(40002),
            Some("root"),
            None,
        ),
        (
            9,
            "Received disconnect from 192.0.2.6 port 40003:11: Bye Bye [preauth]",
            "disconnect preauth",
            "192.0.2.6",
            Some(40003),
            None,
            Some("11: Bye Bye"),
        ),
        (
            10,
            "error: Received disconnect from 192.168.2.92 port 1684:14: No supported authentication methods available [preauth]",
            "disconnect preauth",
            "192.168.2.92",
            Some(1684),
            None,
            Some("14: No supported authentication methods available"),
        ),
        (
            11,
            "Connection reset by authenticating user admin 192.0.2.7 port 40004 [preauth]",
            "reset preauth",
            "192.0.2.7",
            Some(40004),
            Some("admin"),
            None,
        ),
        (
            12,
            "Disconnected from invalid user  192.0.2.68 port 34916 [preauth]",
            "disconnect preauth",
            "192.0.2.68",
            Some(34916),
            None,
            None,
        ),
        (
            13,
            "Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]",
            "disconnect preauth",
            "1.2.3.4",
            None,
            None,
            Some("11: Bye Bye"),
        ),
        (
            14,
            "Connection closed by authenticating user oracle db 192.0.2.8 port 40005 [preauth]",
            "closed preauth",
            "192.0.2.8",
            Some(40005),
            Some("oracle db"),
            None,
        ),
    ] {
        let e = one(&mut p, &at(pid, msg));
        assert_eq!((e.kind, e.outcome), (EventKind::Connection, Some(Outcome::Failure)), "{msg}");
        assert_eq!(e.conn_state.as_deref(), Some(state), "{msg}");
        assert_eq!(e.src_ip, ip(addr), "{msg}");
        assert_eq!(e.src_port, port, "{msg}");
        assert_eq!(e.user.as_deref(), user, "{msg}");
        assert_eq!(e.detail.as_deref(), detail, "{msg}");
        assert_eq!(e.session.as_deref(), Some(pid.to_string().as_str()), "{msg}");
    }
    // The second end line of a probe's connection is not a second probe.
    assert_eq!(
        ignored(&mut p, &at(9, "Disconnected from authenticating user root 192.0.2.6 port 40003 [preauth]")),
        "disconnect"
    );
    // A connection that authenticated: its [preauth] end lines stay ignored, whatever the order.
    for (pid, lines) in [
        (
            20,
            [
                "Failed password for root from 198.51.100.1 port 5000 ssh2",
                "Connection closed by authenticating user root 198.51.100.1 port 5000 [preauth]",
            ],
        ),
        (
            21,
            [
                "Invalid user oracle from 198.51.100.2 port 5001",
                "Connection closed by invalid user oracle 198.51.100.2 port 5001 [preauth]",
            ],
        ),
        (
            22,
            [
                "Failed none for invalid user x from 198.51.100.3 port 5002 ssh2",
                "Received disconnect from 198.51.100.3 port 5002:11: Bye Bye [preauth]",
            ],
        ),
        (
            23,
            [
                "Accepted publickey for bob from 198.51.100.4 port 5003 ssh2",
                "Connection closed by 198.51.100.4 port 5003",
            ],
        ),
        (
            24,
            [
                "message repeated 3 times: [ Failed password for root from 198.51.100.5 port 5004 ssh2]",
                "Disconnected from authenticating user root 198.51.100.5 port 5004 [preauth]",
            ],
        ),
    ] {
        assert!(matches!(parse(&mut p, &at(pid, lines[0])).0, LineOutcome::Events(_)), "{}", lines[0]);
        assert_eq!(ignored(&mut p, &at(pid, lines[1])), "disconnect", "{}", lines[1]);
    }
    // Old-format end line without a port, after an authentication line of the same process.
    assert!(matches!(
        parse(&mut p, &at(30, "Failed password for root from 198.51.100.6 port 5005 ssh2")).0,
        LineOutcome::Events(1)
    ));
    assert_eq!(ignored(&mut p, &at(30, "Connection closed by 198.51.100.6 [preauth]")), "disconnect");
    // The same address later on another pid is a new connection.
    assert_eq!(
        one(&mut p, &at(31, "Connection closed by 198.51.100.6 port 5006 [preauth]")).conn_state.as_deref(),
        Some("closed preauth")
    );
    // After a login (no [preauth]) the same words end a session: ignored.
    assert_eq!(
        ignored(&mut p, &at(32, "Received disconnect from 198.51.100.7 port 5007:11: disconnected by user")),
        "disconnect"
    );
    assert_eq!(ignored(&mut p, &at(32, "Disconnected from user bob 198.51.100.7 port 5007")), "disconnect");
    // Odd tails are not guessed: ignored as before.
    assert_eq!(
        ignored(&mut p, &at(33, "Did not receive identification string from 192.0.2.9 port x")),
        "no identification"
    );
    assert_eq!(ignored(&mut p, &at(33, "Connection closed by nobody knows [preauth]")), "disconnect");
}

/// Probes never change the authentication counts: the same log with its probe lines removed
/// has exactly the same auth / key_auth / invalid_user events.
#[test]
fn probes_leave_auth_counts_alone() {
    let lines = [
        "Nov 26 13:03:30 srv sshd[1]: Did not receive identification string from 192.0.2.1 port 1",
        "Nov 26 13:03:31 srv sshd[2]: Invalid user a from 192.0.2.2 port 2",
        "Nov 26 13:03:32 srv sshd[2]: Failed password for invalid user a from 192.0.2.2 port 2 ssh2",
        "Nov 26 13:03:33 srv sshd[2]: Connection closed by invalid user a 192.0.2.2 port 2 [preauth]",
        "Nov 26 13:03:34 srv sshd[3]: Connection closed by authenticating user root 192.0.2.3 port 3 [preauth]",
        "Nov 26 13:03:35 srv sshd[4]: Accepted password for bob from 192.0.2.4 port 4 ssh2",
    ];
    let count = |ls: &[&str]| {
        let mut p = parser();
        let mut out = Vec::new();
        for l in ls {
            p.parse_line(l.as_bytes(), &mut out);
        }
        let mut k: Vec<(EventKind, Option<Outcome>)> =
            out.iter().filter(|e| e.kind != EventKind::Connection).map(|e| (e.kind, e.outcome)).collect();
        k.sort_by_key(|x| format!("{x:?}"));
        (k, out.iter().filter(|e| e.kind == EventKind::Connection).count())
    };
    let all = count(&lines);
    let without: Vec<&str> =
        lines.iter().copied().filter(|l| !l.contains("identification") && !l.contains("root 192.0.2.3")).collect();
    let none = count(&without);
    assert_eq!(all.0, none.0);
    assert_eq!((all.1, none.1), (2, 0));
}

/// Ports read from bytes say what `str::parse::<u16>` says of the same digits.
#[test]
fn port_numbers_parse_as_std_parses_them() {
    use crate::port_number;
    for s in
        ["", "0", "22", "0022", "65535", "65536", "99999", "000000000065535", "123456", "1a", "a", " 1", "+1", "-1"]
    {
        assert_eq!(port_number(s.as_bytes()), s.parse::<u16>().ok().filter(|_| !s.starts_with('+')), "{s:?}");
    }
    for n in (0..=70_000u32).step_by(7) {
        let s = n.to_string();
        assert_eq!(port_number(s.as_bytes()), u16::try_from(n).ok(), "{s}");
    }
}

/// A zone index after an address is not part of it (`fe80::1%eth0`), whatever its bytes.
#[test]
fn zone_index_is_cut_from_an_address() {
    use super::addr::{Addr, parse_addr};
    assert_eq!(parse_addr(b"fe80::1%eth0"), Some(Addr::Ip("fe80::1".parse().unwrap())));
    assert_eq!(parse_addr(b"fe80::1%\xff"), Some(Addr::Ip("fe80::1".parse().unwrap())));
    assert_eq!(parse_addr(b"%eth0"), None);
}
