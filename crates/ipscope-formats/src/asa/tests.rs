#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::test_support::*;
use crate::{ClockConfig, YearRule, Zone};

fn parser() -> AsaParser {
    AsaParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2019) }, 0))
}

fn one(line: &str) -> Event {
    crate::test_support::one(&mut parser(), line)
}

fn ignored(line: &str) -> &'static str {
    match parse(&mut parser(), line) {
        (LineOutcome::Ignored(c), _) => c,
        other => panic!("{line}: {other:?}"),
    }
}

fn rejected(line: &str) -> &'static str {
    match parse(&mut parser(), line) {
        (LineOutcome::Rejected(r), _) => r.reason,
        other => panic!("{line}: {other:?}"),
    }
}

const BODY: &str =
    "%ASA-4-106023: Deny tcp src outside:192.0.2.1/1234 dst inside:10.0.0.1/22 by access-group \"in\" [0x0, 0x0]";

#[test]
fn header_shapes() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("Apr 15 2013 09:36:50: ", "2013-04-15T09:36:50Z", None),
        ("<165>Oct 04 2019 15:27:55: ", "2019-10-04T15:27:55Z", None),
        ("Apr 15 2014 09:34:34 EDT: ", "2014-04-15T13:34:34Z", None),
        ("Apr 15 2014 09:34:34 CEST: ", "2014-04-15T07:34:34Z", None),
        ("Apr 24 2013 16:00:28 INT-FW01 : ", "2013-04-24T16:00:28Z", Some("INT-FW01")),
        ("Oct 10 2018 12:34:56 localhost CiscoASA[999]: ", "2018-10-10T12:34:56Z", Some("localhost")),
        ("Dec 11 2018 08:01:24 <IP>: ", "2018-12-11T08:01:24Z", None),
        ("Aug 15 2012 23:30:09 : ", "2012-08-15T23:30:09Z", None),
        ("Jul 15 13:38:14 216.160.83.56 : ", "2019-07-15T13:38:14Z", Some("216.160.83.56")),
        ("Jul 15 13:38:08 81.2.69.142 ", "2019-07-15T13:38:08Z", Some("81.2.69.142")),
        ("Jul  1 09:27:13 fw ", "2019-07-01T09:27:13Z", Some("fw")),
        ("May  5 17:51:17 dev01: ", "2019-05-05T17:51:17Z", Some("dev01")),
        ("Oct 10 2019 10:21:36 localhost: ", "2019-10-10T10:21:36Z", Some("localhost")),
        ("Jun 04 2011 21:59:52 MYHOSTNAME : ", "2011-06-04T21:59:52Z", Some("MYHOSTNAME")),
        // A year-less relay timestamp with a zone: the year from the rule, the offset from the zone.
        ("Jul 15 13:38:14 EDT fw : ", "2019-07-15T17:38:14Z", Some("fw")),
        // ISO 8601 (`logging timestamp rfc5424`), own offset; RFC 5424 framing.
        ("<166>2018-06-27T12:17:46Z asa : ", "2018-06-27T12:17:46Z", Some("asa")),
        ("<166>1 2018-06-27T12:17:46.123+02:00 asa - - - - ", "2018-06-27T10:17:46.123Z", Some("asa")),
        ("Apr 15 2013 09:36:50.250: ", "2013-04-15T09:36:50.250Z", None),
    ];
    for &(head, ts, host) in cases {
        let line = format!("{head}{BODY}");
        let e = one(&line);
        assert_eq!(e.ts, utc(ts), "{line}");
        assert_eq!(e.sensor.as_deref(), host, "{line}");
        assert_eq!(e.format, SourceFormat::Asa);
        assert_eq!(e.src_ip, ip("192.0.2.1"), "{line}");
    }
}

#[test]
fn unknown_zone_uses_the_clock_zone() {
    let cfg = ClockConfig { zone: "+05:30".parse().unwrap(), year: YearRule::Fixed(2019) };
    let mut p = AsaParser::new(Clock::new(cfg, 0));
    // `XYZ:` glued to the colon: an unknown zone, so the clock's +05:30 applies.
    let e = crate::test_support::one(&mut p, &format!("Apr 15 2014 09:34:34 XYZ: {BODY}"));
    assert_eq!(e.ts, utc("2014-04-15T04:04:34Z"));
    assert_eq!(e.sensor, None);
    // `XYZ :` with a space is a host.
    let e = crate::test_support::one(&mut p, &format!("Apr 15 2014 09:34:34 XYZ : {BODY}"));
    assert_eq!(e.ts, utc("2014-04-15T04:04:34Z"));
    assert_eq!(e.sensor.as_deref(), Some("XYZ"));
    // A known zone wins over the clock.
    let e = crate::test_support::one(&mut p, &format!("Apr 15 2014 09:34:34 UTC: {BODY}"));
    assert_eq!(e.ts, utc("2014-04-15T09:34:34Z"));
}

#[test]
fn yearless_with_zone_across_new_year() {
    // Reference 2020-01-01 00:30 UTC: `Dec 31 23:00:00` is in 2019; EST makes it 04:00 UTC Jan 1.
    let cfg = ClockConfig { zone: Zone::Utc, year: YearRule::Reference };
    let mut p = AsaParser::new(Clock::new(cfg, utc("2020-01-01T00:30:00Z")));
    let e = crate::test_support::one(&mut p, &format!("Dec 31 23:00:00 EST fw : {BODY}"));
    assert_eq!(e.ts, utc("2020-01-01T04:00:00Z"));
    // A clock zone far east puts the local date a day after the UTC date.
    let cfg = ClockConfig { zone: "+14:00".parse().unwrap(), year: YearRule::Fixed(2019) };
    let mut p = AsaParser::new(Clock::new(cfg, 0));
    let e = crate::test_support::one(&mut p, &format!("Jan  1 05:00:00 UTC fw : {BODY}"));
    assert_eq!(e.ts, utc("2019-01-01T05:00:00Z"));
}

#[test]
fn message_id_tokens() {
    for tok in ["%ASA-4-106023:", "%ASA-session-4-106023:", "%ASA-4-106023", "%FTD-4-106023:", "%PIX-4-106023:"] {
        let line = format!("Apr 15 2013 09:36:50: {tok} {}", BODY.split_once(": ").unwrap().1);
        let e = one(&line);
        assert!(e.detail.as_deref().unwrap().starts_with("106023 "), "{line}");
    }
    assert_eq!(rejected("Apr 15 2013 09:36:50: %ASA-4-10602: Deny"), "bad message id");
    assert_eq!(rejected("Apr 15 2013 09:36:50: %ASA-9-106023: Deny"), "bad message id");
    assert_eq!(rejected("Apr 15 2013 09:36:50: %ASA-4-106023x Deny"), "bad message id");
    // An id with nothing after it is an empty body.
    assert_eq!(rejected("Apr 15 2013 09:36:50: %ASA-4-106023:"), "unexpected message body");
}

#[test]
fn not_asa_and_malformed() {
    assert_eq!(ignored(""), "blank");
    assert_eq!(ignored("   \r"), "blank");
    assert_eq!(ignored("# comment"), "comment");
    assert_eq!(ignored("Oct 10 2018 12:34:56 relay rsyslogd: restarted"), "not asa");
    // An ASA id inside another program's message is not an ASA line.
    assert_eq!(
        ignored("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user %ASA-4-106023: Deny tcp src a:1.2.3.4 dst b:1.2.3.4"),
        "not asa"
    );
    // A relay's header in front of the device's: too many header tokens.
    assert_eq!(ignored(&format!("Oct 10 12:34:56 relay Oct 10 2018 12:34:56: {BODY}")), "not asa");
    assert_eq!(ignored("Apr 15 2013 09:36:50: %ASA-6-199999: something"), "unknown message id");
    assert_eq!(
        ignored("Apr 15 2013 09:36:50: %ASA-5-111008: User 'enable_15' executed the 'x' command."),
        "message id 111008"
    );
    assert_eq!(rejected("%ASA-6-302013: Built outbound TCP connection"), "no timestamp");
    assert_eq!(rejected("hello world, this is not a log line"), "bad timestamp");
    assert_eq!(rejected("Apr 15 2013"), "truncated line");
    assert_eq!(rejected("Apr 15 2013 09:36:50:"), "truncated line");
    assert_eq!(rejected("<99999>Apr 15 2013 09:36:50: x"), "bad priority");
    assert_eq!(rejected(&format!("Feb 29 2013 09:36:50: {BODY}")), "bad date");
    assert_eq!(
        rejected("Apr 15 2013 09:36:50: %ASA-6-302013: Built sideways TCP connection 1 for a:1.2.3.4/1 to b:1.2.3.4/2"),
        "unexpected message body"
    );
}

#[test]
fn deny_106023_variants() {
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-106023: Deny icmp src outside:192.0.2.1 dst inside:10.0.0.1 (type 8, code 0) by access-group \"OUTSIDE\" [0x0, 0x0]",
    );
    assert_eq!((e.kind, e.outcome), (EventKind::Deny, Some(Outcome::Failure)));
    assert_eq!(e.proto.as_deref(), Some("icmp"));
    // ICMP type and code in the ports (Zeek style) and in the detail.
    assert_eq!((e.src_port, e.dst_port), (Some(8), Some(0)));
    assert_eq!(e.detail.as_deref(), Some("106023 acl=OUTSIDE src_if=outside dst_if=inside type=8 code=0"));
    // FQDN suffix: not a user; identity with a domain: a user. No hash block, stray quote.
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src outside:192.0.2.1/1234(testhostname.domain) dst inside:10.0.0.1/80 by access-group \"in\"\"",
    );
    assert_eq!((e.src_port, e.dst_port, e.user.as_deref()), (Some(1234), Some(80), None));
    assert_eq!(e.detail.as_deref(), Some("106023 acl=in src_if=outside dst_if=inside"));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src inside:10.0.0.5/1234(LOCAL\\alice, 12:SG) dst outside:192.0.2.1/443 by access-group \"out\" [0x1, 0x2]",
    );
    assert_eq!(e.user.as_deref(), Some("alice"));
    // `protocol N`, interface names with spaces, IPv6.
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-106023: Deny protocol 47 src NP Identity Ifc:2001:db8::1 dst outside:2001:db8::2 by access-group \"v6\" [0x0, 0x0]",
    );
    assert_eq!(e.proto.as_deref(), Some("gre"));
    assert_eq!((e.src_ip, e.dst_ip), (ip("2001:db8::1"), ip("2001:db8::2")));
    assert_eq!(e.detail.as_deref(), Some("106023 acl=v6 src_if=\"NP Identity Ifc\" dst_if=outside"));
    // 106014 and 106010 share the shape.
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-3-106014: Deny inbound icmp src outside:192.0.2.9 dst inside:10.1.1.1 (type 3, code 3)",
    );
    assert_eq!((e.src_ip, e.dst_ip, e.src_port, e.dst_port), (ip("192.0.2.9"), ip("10.1.1.1"), Some(3), Some(3)));
    let e =
        one("Apr 15 2013 09:36:50: %ASA-3-106010: Deny inbound protocol 50 src outside:192.0.2.9 dst inside:10.1.1.1");
    assert_eq!(e.proto.as_deref(), Some("esp"));
}

#[test]
fn deny_from_to_family() {
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-2-106001: Inbound TCP connection denied from 192.0.2.7/4444 to 10.0.0.1/23 flags SYN  on interface outside",
    );
    assert_eq!((e.kind, e.proto.as_deref()), (EventKind::Deny, Some("tcp")));
    assert_eq!((e.src_ip, e.src_port, e.dst_ip, e.dst_port), (ip("192.0.2.7"), Some(4444), ip("10.0.0.1"), Some(23)));
    assert_eq!(e.detail.as_deref(), Some("106001 flags=SYN if=outside"));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-1-106021: Deny TCP reverse path check from 192.0.2.8 to 10.0.0.2 on interface outside",
    );
    assert_eq!((e.src_ip, e.dst_ip, e.src_port), (ip("192.0.2.8"), ip("10.0.0.2"), None));
    assert_eq!(e.detail.as_deref(), Some("106021 if=outside"));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-1-106021: Deny protocol 47 reverse path check from 192.0.2.8 to 10.0.0.2 on interface NP Identity Ifc.",
    );
    assert_eq!(e.proto.as_deref(), Some("gre"));
    assert_eq!(e.detail.as_deref(), Some("106021 if=\"NP Identity Ifc\""));
    // A name where an address belongs: source → src_host; destination unset, noted.
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-6-106015: Deny TCP (no connection) from mail-gw/25 to exp-angle/54703 flags RST on interface dmz",
    );
    assert_eq!((e.src_ip, e.src_host.as_deref(), e.dst_ip, e.dst_port), (None, Some("mail-gw"), None, Some(54703)));
    assert_eq!(e.detail.as_deref(), Some("106015 dst_host=exp-angle flags=RST if=dmz"));
    // A dotted quad std refuses is a name, not a panic and not a reject.
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-6-106015: Deny TCP (no connection) from 192.1682.2.2/1234 to 10.0.0.1/80 flags RST on interface outside",
    );
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("192.1682.2.2")));
    // Something that is neither: rejected.
    assert_eq!(
        rejected(
            "Apr 15 2013 09:36:50: %ASA-6-106015: Deny TCP (no connection) from a$b/1 to 10.0.0.1/80 flags RST on interface x"
        ),
        "unexpected message body"
    );
    assert_eq!(
        rejected(
            "Apr 15 2013 09:36:50: %ASA-6-106015: Deny TCP (no connection) from 10.0.0.2/99999 to 10.0.0.1/80 flags RST on interface x"
        ),
        "unexpected message body"
    );
}

#[test]
fn access_list_106100() {
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-6-106100: access-list inside permitted udp inside/172.29.2.3(1065) -> outside/192.0.2.57(53) hit-cnt 144 300-second interval [0xe982c7a4, 0x0]",
    );
    assert_eq!((e.kind, e.outcome), (EventKind::Connection, Some(Outcome::Success)));
    assert_eq!(e.detail.as_deref(), Some("106100 acl=inside src_if=inside dst_if=outside hits=144"));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-5-106100: access-list acl_in denied tcp inside/10.0.0.16(2011)(LOCAL\\bob) -> outside/192.0.0.89(2000) hit-cnt 1 first hit [0x71a87d94, 0x0]",
    );
    assert_eq!((e.kind, e.outcome, e.user.as_deref()), (EventKind::Deny, Some(Outcome::Failure), Some("bob")));
    assert_eq!(
        rejected(
            "Apr 15 2013 09:36:50: %ASA-5-106100: access-list acl_in frobbed tcp inside/10.0.0.16(2011) -> outside/192.0.0.89(2000) hit-cnt 1 first hit"
        ),
        "unexpected message body"
    );
}

#[test]
fn built_and_teardown_direction() {
    let mut p = parser();
    let built = crate::test_support::one(
        &mut p,
        "Oct 10 2018 12:34:56 fw : %ASA-6-302013: Built inbound TCP connection 7 for outside:192.0.2.5/123 (203.0.113.5/123)(LOCAL\\eve, 1:VLAN) to dmz:10.0.0.80/8443 (203.0.113.80/8443) (eve)",
    );
    assert_eq!(
        (built.src_ip, built.src_port, built.dst_ip, built.dst_port),
        (ip("192.0.2.5"), Some(123), ip("10.0.0.80"), Some(8443))
    );
    assert_eq!((built.session.as_deref(), built.user.as_deref(), built.outcome), (Some("7"), Some("eve"), None));
    assert_eq!(built.detail.as_deref(), Some("302013 src_if=outside dst_if=dmz"));
    assert_eq!(p.conns.len(), 1);
    // The teardown of an inbound connection: same order, direction from the Built line, even
    // though the port heuristic would say otherwise.
    let td = crate::test_support::one(
        &mut p,
        "Oct 10 2018 12:35:56 fw : %ASA-6-302014: Teardown TCP connection 7 for outside:192.0.2.5/123 to dmz:10.0.0.80/8443 duration 1:02:03 bytes 4242 TCP FINs from outside (eve)",
    );
    assert_eq!((td.src_ip, td.dst_ip), (built.src_ip, built.dst_ip));
    assert_eq!((td.duration, td.dst_bytes, td.src_bytes), (Some(3723.0), Some(4242), None));
    assert_eq!(td.conn_state.as_deref(), Some("TCP FINs"));
    assert_eq!(td.detail.as_deref(), Some("302014 src_if=outside dst_if=dmz initiator=outside"));
    assert_eq!(p.conns.len(), 0);
    // Another host's connection 7 is another connection.
    crate::test_support::one(
        &mut p,
        "Oct 10 2018 12:34:56 fw : %ASA-6-302013: Built inbound TCP connection 7 for outside:192.0.2.5/123 (x/1) to dmz:10.0.0.80/8443 (y/2)",
    );
    let other = crate::test_support::one(
        &mut p,
        "Oct 10 2018 12:35:56 fw2 : %ASA-6-302014: Teardown TCP connection 7 for outside:192.0.2.5/123 to dmz:10.0.0.80/8443 duration 0:00:01 bytes 0 SYN Timeout",
    );
    assert_eq!(other.src_ip, ip("10.0.0.80"), "no Built line for fw2: the lower port is the server");
    assert_eq!(other.conn_state.as_deref(), Some("SYN Timeout"));
    // Without a Built line and with a lower `to` port: inbound.
    let td = crate::test_support::one(
        &mut p,
        "Oct 10 2018 12:35:56 fw : %ASA-6-302016: Teardown UDP connection 9 for outside:192.0.2.9/5353 to inside:10.0.0.53/53 duration 10:00:00 bytes 0",
    );
    assert_eq!((td.src_ip, td.dst_port, td.duration, td.conn_state), (ip("192.0.2.9"), Some(53), Some(36000.0), None));
}

#[test]
fn durations() {
    use fields::parse_duration;
    assert_eq!(parse_duration(b"0:00:00"), Some(0.0));
    assert_eq!(parse_duration(b"23:59:59"), Some(86399.0));
    assert_eq!(parse_duration(b"1234:00:01"), Some(4_442_401.0));
    assert_eq!(parse_duration(b"2:03:04:05"), Some(2.0 * 86400.0 + 3.0 * 3600.0 + 4.0 * 60.0 + 5.0));
    for bad in [&b""[..], b"1:60:00", b"1:00", b"a:00:00", b"1:2:3:4:5", b"99999999999999999999:00:00"] {
        assert_eq!(parse_duration(bad), None, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn icmp_connections() {
    let mut p = parser();
    let b = crate::test_support::one(
        &mut p,
        "Jul 15 13:30:09 fw %ASA-6-302020: Built outbound ICMP connection for faddr 198.51.100.1/0 gaddr 203.0.113.1/7 laddr 10.0.0.9/7 type 8 code 0",
    );
    assert_eq!((b.src_ip, b.dst_ip, b.src_port, b.dst_port), (ip("10.0.0.9"), ip("198.51.100.1"), Some(8), Some(0)));
    let t = crate::test_support::one(
        &mut p,
        "Jul 15 13:30:10 fw %ASA-6-302021: Teardown ICMP connection for faddr 198.51.100.1/0 gaddr 203.0.113.1/7 laddr 10.0.0.9/7 type 0 code 0",
    );
    assert_eq!((t.src_ip, t.dst_ip), (ip("10.0.0.9"), ip("198.51.100.1")));
    // Unseen: the foreign side is the source.
    let t = crate::test_support::one(
        &mut p,
        "Jul 15 13:30:10 fw %ASA-6-302021: Teardown ICMP connection for faddr 198.51.100.1/0 gaddr 203.0.113.1/7 laddr 10.0.0.9/7",
    );
    assert_eq!((t.src_ip, t.dst_ip, t.src_port), (ip("198.51.100.1"), ip("10.0.0.9"), None));
}

#[test]
fn to_the_box_threats_and_vpn() {
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-3-710003: TCP access denied by ACL from 192.0.2.1/51234 to outside:198.51.100.1/22",
    );
    assert_eq!((e.kind, e.outcome, e.proto.as_deref()), (EventKind::Deny, Some(Outcome::Failure), Some("tcp")));
    assert_eq!(
        (e.src_ip, e.src_port, e.dst_ip, e.dst_port),
        (ip("192.0.2.1"), Some(51234), ip("198.51.100.1"), Some(22))
    );
    assert_eq!(e.detail.as_deref(), Some("710003 dst_if=outside"));
    let e =
        one("Apr 15 2013 09:36:50: %ASA-7-710002: UDP access permitted from 192.0.2.1/500 to outside:198.51.100.1/500");
    assert_eq!((e.kind, e.outcome), (EventKind::Connection, Some(Outcome::Success)));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 1 per second, max configured rate is 10; Current average rate is 5 per second, max configured rate is 5; Cumulative total count is 3006",
    );
    assert_eq!((e.kind, e.outcome, e.src_ip), (EventKind::Other, None, None));
    assert_eq!(
        e.detail.as_deref(),
        Some("733100 object=Scanning rate=rate-1 burst=1 burst_max=10 average=5 average_max=5 total=3006")
    );
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-733100: [ 192.0.2.66] drop rate-2 exceeded. Current burst rate is 0 per second, max configured rate is 8; Current average rate is 12 per second, max configured rate is 4; Cumulative total count is 7409",
    );
    assert_eq!(e.src_ip, ip("192.0.2.66"));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-733101: Host 192.0.2.66 is attacking. Current burst rate is 200 per second, max configured rate is 100; Current average rate is 90 per second, max configured rate is 80; Cumulative total count is 54000",
    );
    assert_eq!((e.src_ip, e.dst_ip), (ip("192.0.2.66"), None));
    let e = one(
        "Apr 15 2013 09:36:50: %ASA-4-733101: Subnet 10.1.0.0 is targeted. Current burst rate is 200 per second, max configured rate is 100; Current average rate is 90 per second, max configured rate is 80; Cumulative total count is 54000",
    );
    assert_eq!((e.src_ip, e.dst_ip), (None, ip("10.1.0.0")));
    let e = one(
        "Jul 15 12:18:51 vpn %ASA-6-113039: Group <novpn> User <nt\\minsk> IP <216.160.83.56> AnyConnect parent session started.",
    );
    assert_eq!((e.kind, e.user.as_deref(), e.src_ip), (EventKind::SessionOpen, Some("minsk"), ip("216.160.83.56")));
}

#[test]
fn ftd_and_double_spaces() {
    let e = one(
        "May  5 17:51:17 dev01: %FTD-6-302013: Built  outbound  TCP connection 11 for outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.0.0.2/51000 (203.0.113.2/51000)",
    );
    assert_eq!((e.src_ip, e.dst_ip, e.dst_port), (ip("10.0.0.2"), ip("198.51.100.7"), Some(443)));
    assert_eq!(e.sensor.as_deref(), Some("dev01"));
}

#[test]
fn detail_is_capped() {
    let url = format!("http://example.com/{}", "é".repeat(2000));
    let e = one(&format!("Nov 16 2009 14:12:36: %ASA-5-304001: 10.5.111.32 Accessed URL 192.0.2.32:{url}"));
    let d = e.detail.unwrap();
    assert!(d.len() <= MAX_DETAIL_LEN && d.len() > MAX_DETAIL_LEN - 4, "{}", d.len());
    assert!(d.starts_with("304001 url=http://example.com/é"));
}

#[test]
fn connection_map_is_bounded() {
    let mut p = parser();
    for i in 0..MAX_TRACKED_CONNECTIONS + 10 {
        let line = format!(
            "Oct 10 2018 12:34:56 fw : %ASA-6-302015: Built outbound UDP connection {i} for outside:192.0.2.1/53 (x/53) to inside:10.0.0.1/5000 (y/5000)"
        );
        crate::test_support::one(&mut p, &line);
    }
    assert_eq!(p.conns.len(), MAX_TRACKED_CONNECTIONS);
}

#[test]
fn looks_like_asa() {
    let l = |s: &'static str| -> Vec<&'static [u8]> { s.lines().map(str::as_bytes).collect() };
    assert!(looks_like(&l("Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp")));
    assert!(looks_like(&l(
        "\n# c\nJul 15 13:38:14 216.160.83.56 : %ASA-6-302013: Built\nJul 15 13:38:14 relay cron[1]: x"
    )));
    assert!(looks_like(&l("<165>Oct 04 2019 15:27:55: %FTD-5-106100: access-list")));
    assert!(!looks_like(&l("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186")));
    assert!(!looks_like(&l("Dec 10 06:55:46 h sshd[1]: Invalid user %ASA-4-106023: from 1.2.3.4")));
    assert!(!looks_like(&l("%ASA-4-106023: Deny tcp")));
    assert!(!looks_like(&l("")));
    assert!(!looks_like(&l("Jul 15 13:38:14 a : %ASA-6-302013: B\nJul 15 13:38:14 r x: y\nJul 15 13:38:14 r x: y")));
}
