//! ASA / FTD logins and the other ids added for issue 15: one sample line per id (written for
//! these tests following the message formats of Cisco's "ASA Series Syslog Messages" guide and of
//! open-source log shippers' fixtures, see docs/formats/asa.md), each checked field by field
//! against an expectation table, then snapshotted; the `%FTD-` spelling of every sample gives the
//! same events; sessions pair up; a service verdict that echoes an AAA verdict is not a second
//! attempt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use ipscope_formats::asa::AsaParser;
use ipscope_formats::{Clock, ClockConfig, Event, EventKind, LineOutcome, Outcome, Parser, YearRule, Zone};

mod common;

fn parser() -> AsaParser {
    AsaParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Fixed(2025) }, 0))
}

/// One sample: the line, and what its event must be.
struct Case {
    line: &'static str,
    kind: EventKind,
    outcome: Option<Outcome>,
    user: Option<&'static str>,
    src: Option<&'static str>,
    src_port: Option<u16>,
    dst: Option<&'static str>,
    dst_port: Option<u16>,
    /// `key=value` pairs the detail must contain (in this order, others may be between).
    detail: &'static [&'static str],
}

const fn case(line: &'static str, kind: EventKind, outcome: Option<Outcome>) -> Case {
    Case { line, kind, outcome, user: None, src: None, src_port: None, dst: None, dst_port: None, detail: &[] }
}

const OK: Option<Outcome> = Some(Outcome::Success);
const FAIL: Option<Outcome> = Some(Outcome::Failure);

/// Every id of the issue, one or more shapes each. Timestamps advance by a minute per line so
/// that no service verdict here is an echo of an AAA verdict (that is tested separately).
fn cases() -> Vec<Case> {
    use EventKind::*;
    vec![
        Case {
            user: Some("alice"),
            detail: &["server=10.0.0.10"],
            ..case(
                "Mar 02 2025 08:00:00 fw : %ASA-6-113004: AAA user authentication Successful : server =  10.0.0.10 : user = alice",
                Auth,
                OK,
            )
        },
        Case {
            user: Some("alice"),
            detail: &["aaa=authorization", "server=10.0.0.10"],
            ..case(
                "Mar 02 2025 08:01:00 fw : %ASA-6-113004: AAA user authorization Successful : server = 10.0.0.10 : user = alice",
                Other,
                OK,
            )
        },
        Case {
            user: Some("bob"),
            src: Some("203.0.113.9"),
            detail: &["reason=\"Invalid password\"", "server=10.0.0.10"],
            ..case(
                "Mar 02 2025 08:02:00 fw : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.10 : user = bob : user IP = 203.0.113.9",
                Auth,
                FAIL,
            )
        },
        Case {
            src: Some("198.51.100.77"),
            detail: &["reason=\"AAA failure\"", "user=*****"],
            ..case(
                "Mar 02 2025 08:03:00 fw : %ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.0.0.10 : user = ***** : user IP = 198.51.100.77",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("van der Berg"),
            src: Some("203.0.113.10"),
            ..case(
                "Mar 02 2025 08:04:00 fw : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.10 : user = van der Berg : user IP = 203.0.113.10",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("carol"),
            src: Some("203.0.113.11"),
            detail: &["aaa=authorization"],
            ..case(
                "Mar 02 2025 08:05:00 fw : %ASA-6-113005: AAA user authorization Rejected : reason = Unspecified : server = 10.0.0.10 : user = carol : user IP = 203.0.113.11",
                Other,
                FAIL,
            )
        },
        Case {
            user: Some("alice"),
            detail: &["status=ACCEPT"],
            ..case("Mar 02 2025 08:06:00 fw : %ASA-6-113008: AAA transaction status ACCEPT : user = alice", Other, OK)
        },
        Case {
            user: Some("admin"),
            detail: &["server=local"],
            ..case(
                "<166>Mar 02 2025 08:07:00 10.1.1.1 : %ASA-auth-6-113012: AAA user authentication Successful : local database : user = admin",
                Auth,
                OK,
            )
        },
        Case {
            user: Some("root"),
            src: Some("198.51.100.20"),
            detail: &["reason=\"User was not found\"", "server=local"],
            ..case(
                "Mar 02 2025 08:08:00 fw : %ASA-6-113015: AAA user authentication Rejected : reason = User was not found : local database : user = root : user IP = 198.51.100.20",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["group=TG-Remote", "session_type=AnyConnect-Parent", "reason=\"User Requested\""],
            ..case(
                "Mar 02 2025 08:09:00 fw : %ASA-4-113019: Group = TG-Remote, Username = dave, IP = 203.0.113.24, Session disconnected. Session Type: AnyConnect-Parent, Duration: 1h:02m:03s, Bytes xmt: 48211904, Bytes rcv: 9120443, Reason: User Requested",
                SessionClose,
                None,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["group=GP-Staff"],
            ..case(
                "Mar 02 2025 08:10:00 fw : %ASA-6-113039: Group <GP-Staff> User <dave> IP <203.0.113.24> AnyConnect parent session started.",
                SessionOpen,
                None,
            )
        },
        Case {
            user: Some("erin"),
            src: Some("10.1.1.5"),
            src_port: Some(40000),
            dst: Some("192.0.2.80"),
            dst_port: Some(80),
            detail: &["if=inside"],
            ..case(
                "Mar 02 2025 08:11:00 fw : %ASA-6-109005: Authentication succeeded for user 'erin' from 10.1.1.5/40000 to 192.0.2.80/80 on interface inside",
                Auth,
                OK,
            )
        },
        Case {
            user: Some("erin"),
            src: Some("10.1.1.5"),
            src_port: Some(40001),
            dst: Some("192.0.2.80"),
            dst_port: Some(80),
            ..case(
                "Mar 02 2025 08:12:00 fw : %ASA-6-109006: Authentication failed for user 'erin' from 10.1.1.5/40001 to 192.0.2.80/80 on interface inside",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("frank"),
            detail: &["assigned=10.250.8.37", "action=\"Succeeded adding entry\""],
            ..case(
                "Mar 02 2025 08:13:00 fw : %ASA-5-109201: UAUTH: Session=0x0badf00d, User=frank, Assigned IP=10.250.8.37, Succeeded adding entry.",
                Other,
                OK,
            )
        },
        Case {
            user: Some("frank"),
            detail: &["assigned=10.250.8.37", "action=\"Failed applying filter\""],
            ..case(
                "Mar 02 2025 08:14:00 fw : %ASA-3-109205: UAUTH: Session=0x0badf00d, User=frank, Assigned IP=10.250.8.37, Failed applying filter.",
                Other,
                FAIL,
            )
        },
        Case {
            user: Some("frank"),
            detail: &["assigned=10.250.8.37"],
            ..case(
                "Mar 02 2025 08:15:00 fw : %ASA-5-109210: UAUTH: Session=0x0badf00d, User=frank, Assigned IP=10.250.8.37, Succeeded removing entry.",
                Other,
                OK,
            )
        },
        Case {
            user: Some("root"),
            src: Some("198.51.100.21"),
            src_port: Some(36809),
            dst: Some("192.0.2.1"),
            dst_port: Some(22),
            detail: &["if=outside"],
            ..case(
                "Mar 02 2025 08:16:00 fw : %ASA-6-605004: Login denied from 198.51.100.21/36809 to outside:192.0.2.1/ssh for user \"root\"",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("admin"),
            detail: &["from=serial", "to=console"],
            ..case(
                "Mar 02 2025 08:17:00 fw : %ASA-6-605004: Login denied from serial to console for user 'admin'",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("netops"),
            src: Some("10.1.1.9"),
            src_port: Some(48423),
            dst: Some("10.1.1.1"),
            dst_port: Some(443),
            ..case(
                "Mar 02 2025 08:18:00 fw : %ASA-6-605005: Login permitted from 10.1.1.9/48423 to inside:10.1.1.1/https for user \"netops\"",
                SessionOpen,
                None,
            )
        },
        Case {
            user: Some("netops"),
            src: Some("10.1.1.9"),
            ..case(
                "Mar 02 2025 08:19:00 fw : %ASA-6-611101: User authentication succeeded: IP address: 10.1.1.9, Uname: netops",
                Auth,
                OK,
            )
        },
        Case {
            user: Some("guest"),
            src: Some("198.51.100.22"),
            ..case(
                "Mar 02 2025 08:20:00 fw : %ASA-6-611102: User authentication failed: IP address: 198.51.100.22, Uname: guest",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("netops"),
            ..case("Mar 02 2025 08:21:00 fw : %ASA-5-611103: User logged out: Uname: netops", SessionClose, None)
        },
        Case {
            user: Some("gina"),
            src: Some("203.0.113.88"),
            detail: &["group=GP-Contractors"],
            ..case(
                "Mar 02 2025 08:22:00 fw : %ASA-6-716001: Group <GP-Contractors> User <gina> IP <203.0.113.88> WebVPN session started.",
                SessionOpen,
                None,
            )
        },
        Case {
            user: Some("gina"),
            src: Some("203.0.113.88"),
            detail: &["group=GP-Contractors", "reason=\"Idle timeout\""],
            ..case(
                "Mar 02 2025 08:23:00 fw : %ASA-6-716002: Group <GP-Contractors> User <gina> IP <203.0.113.88> WebVPN session terminated: Idle timeout.",
                SessionClose,
                None,
            )
        },
        Case {
            user: Some("gina"),
            src: Some("203.0.113.88"),
            detail: &["session_type=WebVPN"],
            ..case(
                "Mar 02 2025 08:24:00 fw : %ASA-6-716038: Group <GP-Contractors> User <gina> IP <203.0.113.88> Authentication: successful, Session Type: WebVPN.",
                Auth,
                OK,
            )
        },
        Case {
            user: Some("harry"),
            src: Some("198.51.100.30"),
            detail: &["group=DfltGrpPolicy", "session_type=WebVPN"],
            ..case(
                "Mar 02 2025 08:25:00 fw : %ASA-6-716039: Group <DfltGrpPolicy> User <harry> IP <198.51.100.30> Authentication: rejected, Session Type: WebVPN.",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("harry"),
            detail: &["group=DfltGrpPolicy", "session_type=WebVPN"],
            ..case(
                "Mar 02 2025 08:26:00 fw : %ASA-6-716039: Authentication: rejected, group = DfltGrpPolicy user = harry, Session Type: WebVPN",
                Auth,
                FAIL,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["action=lost-connection"],
            ..case(
                "Mar 02 2025 08:27:00 fw : %ASA-6-716058: Group <GP-Staff> User <dave> IP <203.0.113.24> AnyConnect session lost connection. Waiting to resume.",
                Other,
                None,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["compression=without"],
            ..case(
                "Mar 02 2025 08:28:00 fw : %ASA-6-722022: Group <GP-Staff> User <dave> IP <203.0.113.24> UDP SVC connection established without compression",
                Connection,
                OK,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["action=terminated"],
            ..case(
                "Mar 02 2025 08:29:00 fw : %ASA-6-722023: Group GP-Staff User dave IP 203.0.113.24 TCP SVC connection terminated with compression",
                Connection,
                None,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["action=stale-closed"],
            ..case(
                "Mar 02 2025 08:30:00 fw : %ASA-5-722028: Group <GP-Staff> User <dave> IP <203.0.113.24> Stale SVC connection closed.",
                Connection,
                None,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["action=closing", "reason=\"DPD failure\""],
            ..case(
                "Mar 02 2025 08:31:00 fw : %ASA-5-722037: Group <GP-Staff> User <dave> IP <203.0.113.24> SVC closing connection: DPD failure.",
                Connection,
                None,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["tunnel_group=TG-Remote", "group=GP-Staff"],
            ..case(
                "Mar 02 2025 08:32:00 fw : %ASA-4-722041: TunnelGroup <TG-Remote> GroupPolicy <GP-Staff> User <dave> IP <203.0.113.24> No IPv6 address available for SVC connection",
                Other,
                FAIL,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["assigned=10.250.8.91"],
            ..case(
                "Mar 02 2025 08:33:00 fw : %ASA-6-722051: Group <GP-Staff> User <dave> IP <203.0.113.24> IPv4 Address <10.250.8.91> IPv6 address <::> assigned to session",
                Other,
                None,
            )
        },
        Case {
            user: Some("dave"),
            src: Some("203.0.113.24"),
            detail: &["client=\"Cisco AnyConnect VPN Agent for Linux 4.10.07073\""],
            ..case(
                "Mar 02 2025 08:34:00 fw : %ASA-6-722055: Group <GP-Staff> User <dave> IP <203.0.113.24> Client Type: Cisco AnyConnect VPN Agent for Linux 4.10.07073",
                ClientInfo,
                None,
            )
        },
        Case {
            user: Some("ivan"),
            src: Some("198.51.100.40"),
            src_port: Some(6107),
            dst: Some("192.0.2.1"),
            dst_port: Some(4500),
            detail: &["group=AnyConnect_IPSec", "assigned=10.250.9.60"],
            ..case(
                "Mar 02 2025 08:35:00 fw : %ASA-5-751025: Local:192.0.2.1:4500 Remote:198.51.100.40:6107 Username:ivan IKEv2 Group:AnyConnect_IPSec IPv4 Address=10.250.9.60 IPv6 address=:: assigned to session",
                Other,
                None,
            )
        },
        Case {
            src: Some("192.0.2.5"),
            src_port: Some(51000),
            dst: Some("10.0.0.80"),
            dst_port: Some(443),
            detail: &["role=director", "stub=1"],
            ..case(
                "Mar 02 2025 08:36:00 fw : %ASA-6-302022: Built director stub TCP connection for outside:192.0.2.5/51000 (192.0.2.5/51000) to inside:10.0.0.80/443 (198.51.100.80/443)",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.5"),
            dst: Some("10.0.0.80"),
            detail: &["stub=1"],
            ..case(
                "Mar 02 2025 08:37:00 fw : %ASA-6-302023: Teardown stub TCP connection for outside:192.0.2.5/51000 to inside:10.0.0.80/443 duration 0:00:42 forwarded bytes 1234 Cluster flow with CLU closed on owner",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.6"),
            dst: Some("10.0.0.53"),
            dst_port: Some(53),
            detail: &["role=forwarder"],
            ..case(
                "Mar 02 2025 08:38:00 fw : %ASA-6-302024: Built forwarder  stub UDP connection for outside:192.0.2.6/5353 (192.0.2.6/5353) to inside:10.0.0.53/53 (10.0.0.53/53)",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.6"),
            dst: Some("10.0.0.53"),
            ..case(
                "Mar 02 2025 08:39:00 fw : %ASA-6-302025: Teardown stub UDP connection for outside:192.0.2.6/5353 to inside:10.0.0.53/53 duration 0:02:01 forwarded bytes 88 Flow closed by inspection",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.7"),
            dst: Some("10.0.0.1"),
            ..case(
                "Mar 02 2025 08:40:00 fw : %ASA-6-302026: Built backup stub ICMP connection for outside:192.0.2.7/0 (192.0.2.7) to inside:10.0.0.1/0 (10.0.0.1)",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.7"),
            dst: Some("10.0.0.1"),
            ..case(
                "Mar 02 2025 08:41:00 fw : %ASA-6-302027: Teardown stub ICMP connection for outside:192.0.2.7/0 to inside:10.0.0.1/0 duration 0:00:02 forwarded bytes 64 Flow closed by inspection",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.8"),
            src_port: Some(2905),
            dst: Some("10.0.0.9"),
            dst_port: Some(2905),
            ..case(
                "Mar 02 2025 08:42:00 fw : %ASA-6-302035: Built inbound SCTP connection 4711 for outside:192.0.2.8/2905 (192.0.2.8/2905) to inside:10.0.0.9/2905 (10.0.0.9/2905)",
                Connection,
                None,
            )
        },
        Case {
            src: Some("192.0.2.8"),
            dst: Some("10.0.0.9"),
            ..case(
                "Mar 02 2025 08:43:00 fw : %ASA-6-302036: Teardown SCTP connection 4711 for outside:192.0.2.8/2905 to inside:10.0.0.9/2905 duration 0:01:00 bytes 900 SCTP Shutdown",
                Connection,
                None,
            )
        },
        Case {
            user: Some("jane"),
            src: Some("10.1.1.20"),
            src_port: Some(50123),
            dst: Some("198.51.100.50"),
            dst_port: Some(21),
            detail: &["action=retrieved", "file=/pub/report.pdf"],
            ..case(
                "Mar 02 2025 08:44:00 fw : %ASA-6-303002: FTP connection from inside:10.1.1.20/50123 to outside:198.51.100.50/21, user jane Retrieved file /pub/report.pdf",
                Connection,
                OK,
            )
        },
        Case {
            user: Some("kim"),
            src: Some("10.1.1.21"),
            dst: Some("198.51.100.51"),
            detail: &["url=http://198.51.100.51/login"],
            ..case(
                "Mar 02 2025 08:45:00 fw : %ASA-5-304001: kim@10.1.1.21 Accessed URL 198.51.100.51:http://198.51.100.51/login",
                Connection,
                OK,
            )
        },
        Case {
            src: Some("192.0.2.40"),
            dst: Some("10.1.1.30"),
            src_port: Some(3),
            dst_port: Some(3),
            detail: &[
                "type=3",
                "code=3",
                "if=outside",
                "payload=\"udp src inside:10.1.1.30/53 dst outside:192.0.2.40/60717\"",
            ],
            ..case(
                "Mar 02 2025 08:46:00 fw : %ASA-4-313005: No matching connection for ICMP error message: icmp src outside:192.0.2.40 dst inside:10.1.1.30 (type 3, code 3) on outside interface.  Original IP payload: udp src inside:10.1.1.30/53 dst outside:192.0.2.40/60717.",
                Deny,
                FAIL,
            )
        },
        Case {
            src: Some("192.0.2.41"),
            dst: Some("10.1.1.31"),
            detail: &["action=offloaded"],
            ..case(
                "Mar 02 2025 08:47:00 fw : %ASA-6-805001: Offloaded TCP Flow for connection 998877 from outside:192.0.2.41/443 (192.0.2.41/443) to inside:10.1.1.31/51515 (198.51.100.31/51515)",
                Other,
                None,
            )
        },
        Case {
            src: Some("192.0.2.41"),
            dst: Some("10.1.1.31"),
            detail: &["action=unoffloaded"],
            ..case(
                "Mar 02 2025 08:48:00 fw : %ASA-6-805002: TCP Flow is no longer offloaded for connection 998877 from outside:192.0.2.41/443 (192.0.2.41/443) to inside:10.1.1.31/51515 (198.51.100.31/51515)",
                Other,
                None,
            )
        },
        Case {
            src: Some("192.0.2.42"),
            detail: &["action=built", "zone=outside"],
            ..case("Mar 02 2025 08:49:00 fw : %ASA-7-609001: Built local-host outside:192.0.2.42", Other, None)
        },
        Case {
            src: Some("192.0.2.42"),
            detail: &["action=teardown", "zone=outside"],
            ..case(
                "Mar 02 2025 08:50:00 fw : %ASA-7-609002: Teardown local-host outside:192.0.2.42 duration 0:10:26",
                Other,
                None,
            )
        },
        Case {
            src: Some("192.0.2.43"),
            src_port: Some(4444),
            dst: Some("192.0.2.1"),
            dst_port: Some(22),
            ..case(
                "Mar 02 2025 08:51:00 fw : %ASA-7-710005: TCP request discarded from 192.0.2.43/4444 to outside:192.0.2.1/22",
                Deny,
                FAIL,
            )
        },
        Case {
            src: Some("192.0.2.44"),
            dst: Some("192.0.2.1"),
            ..case(
                "Mar 02 2025 08:52:00 fw : %ASA-7-710006: ESP request discarded from 192.0.2.44 to outside:192.0.2.1",
                Deny,
                FAIL,
            )
        },
    ]
}

fn id_of(line: &str) -> &str {
    let at = line.find("%ASA-").or_else(|| line.find("%FTD-")).unwrap();
    let tok = &line[at..];
    let tok = &tok[..tok.find(':').unwrap()];
    &tok[tok.len() - 6..]
}

fn check(e: &Event, c: &Case) {
    let l = c.line;
    assert_eq!((e.kind, e.outcome), (c.kind, c.outcome), "{l}");
    assert_eq!(e.user.as_deref(), c.user, "{l}");
    assert_eq!(e.src_ip.map(|a| a.to_string()).as_deref(), c.src, "{l}");
    assert_eq!(e.dst_ip.map(|a| a.to_string()).as_deref(), c.dst, "{l}");
    if c.src_port.is_some() {
        assert_eq!(e.src_port, c.src_port, "{l}");
    }
    if c.dst_port.is_some() {
        assert_eq!(e.dst_port, c.dst_port, "{l}");
    }
    let detail = e.detail.as_deref().unwrap();
    assert_eq!(&detail[..6], id_of(l), "{l}");
    let mut at = 0;
    for kv in c.detail {
        let i = detail[at..].find(kv).unwrap_or_else(|| panic!("{l}: {kv:?} not in {detail:?} after {at}"));
        at += i + kv.len();
    }
}

fn parse_one(p: &mut AsaParser, line: &str) -> Event {
    let mut out = Vec::new();
    match p.parse_line(line.as_bytes(), &mut out) {
        LineOutcome::Events(1) => out.remove(0),
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn every_id_by_its_fields() {
    let mut p = parser();
    let cases = cases();
    let mut ids = std::collections::BTreeSet::new();
    for c in &cases {
        check(&parse_one(&mut p, c.line), c);
        ids.insert(id_of(c.line).to_owned());
    }
    // The ids issue 15 asks for (109201-109210 by three representatives).
    for id in [
        "113004", "113005", "113008", "113012", "113015", "113019", "109005", "109006", "109201", "109210", "605004",
        "605005", "611101", "611102", "611103", "716001", "716002", "716039", "716058", "722022", "722023", "722028",
        "722037", "722041", "722051", "751025", "113039", "302022", "302023", "302024", "302025", "302026", "302027",
        "304001", "313005", "303002", "805001", "805002", "609001", "609002", "710005", "710006",
    ] {
        assert!(ids.contains(id), "no sample for {id}");
    }
}

#[test]
fn snapshot_of_every_sample() {
    let mut p = parser();
    let events: Vec<BTreeMap<&'static str, String>> =
        cases().iter().map(|c| common::render_event(&parse_one(&mut p, c.line))).collect();
    insta::assert_yaml_snapshot!("asa_logins", events);
}

#[test]
fn ftd_spelling_gives_the_same_events() {
    let (mut asa, mut ftd) = (parser(), parser());
    for c in cases() {
        let f = c.line.replacen("%ASA-", "%FTD-", 1);
        assert_ne!(f, c.line);
        assert_eq!(parse_one(&mut asa, c.line), parse_one(&mut ftd, &f), "{f}");
    }
}

/// Sessions open and close per (user, address): AnyConnect 113039 → 113019, WebVPN 716001 →
/// 716002; the management session 605005 has no address on its 611103 logout.
#[test]
fn sessions_pair_up() {
    let mut p = parser();
    let mut open: BTreeMap<(String, String), i64> = BTreeMap::new();
    for c in cases() {
        let e = parse_one(&mut p, c.line);
        let k = (e.user.clone().unwrap_or_default(), e.src_ip.map(|a| a.to_string()).unwrap_or_default());
        match e.kind {
            EventKind::SessionOpen => *open.entry(k).or_default() += 1,
            EventKind::SessionClose => *open.entry(k).or_default() -= 1,
            _ => {}
        }
    }
    let want: BTreeMap<(String, String), i64> = [
        (("dave".into(), "203.0.113.24".into()), 0),
        (("gina".into(), "203.0.113.88".into()), 0),
        (("netops".into(), "10.1.1.9".into()), 1),
        (("netops".into(), String::new()), -1),
    ]
    .into_iter()
    .collect();
    assert_eq!(open, want);
}

/// A WebVPN or management verdict right after the AAA verdict for the same address is the same
/// attempt: `other` with `echo=`, not a second `auth`. A different address, a different outcome or
/// a later time is a separate attempt.
#[test]
fn service_verdict_echoing_aaa_is_not_a_second_attempt() {
    let mut p = parser();
    let lines = [
        "Mar 02 2025 09:00:00 fw : %ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.10 : user = ***** : user IP = 198.51.100.77",
        "Mar 02 2025 09:00:00 fw : %ASA-6-716039: Group <DfltGrpPolicy> User <*****> IP <198.51.100.77> Authentication: rejected, Session Type: WebVPN.",
        "Mar 02 2025 09:00:01 fw : %ASA-6-716039: Group <DfltGrpPolicy> User <*****> IP <198.51.100.78> Authentication: rejected, Session Type: WebVPN.",
        "Mar 02 2025 09:00:02 fw : %ASA-6-716038: Group <DfltGrpPolicy> User <bob> IP <198.51.100.77> Authentication: successful, Session Type: WebVPN.",
        "Mar 02 2025 09:05:00 fw : %ASA-6-716039: Group <DfltGrpPolicy> User <*****> IP <198.51.100.77> Authentication: rejected, Session Type: WebVPN.",
        "Mar 02 2025 09:10:00 fw : %ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : user = admin : user IP = 198.51.100.21",
        "Mar 02 2025 09:10:20 fw : %ASA-6-605004: Login denied from 198.51.100.21/36809 to outside:192.0.2.1/ssh for user \"admin\"",
        "Mar 02 2025 09:20:00 fw : %ASA-6-113004: AAA user authentication Successful : server = 10.0.0.10 : user = bob",
        "Mar 02 2025 09:20:00 fw : %ASA-6-611101: User authentication succeeded: IP address: 203.0.113.5, Uname: bob",
    ];
    let kinds: Vec<(EventKind, Option<String>)> = lines
        .iter()
        .map(|l| {
            let e = parse_one(&mut p, l);
            let echo = e.detail.as_deref().and_then(|d| d.split(' ').find_map(|kv| kv.strip_prefix("echo=")));
            (e.kind, echo.map(str::to_owned))
        })
        .collect();
    use EventKind::*;
    let echo = |id: &str| Some(id.to_owned());
    assert_eq!(
        kinds,
        vec![
            (Auth, None),
            (Other, echo("113005")),
            (Auth, None),
            (Auth, None),
            (Auth, None),
            (Auth, None),
            (Other, echo("113015")),
            (Auth, None),
            (Other, echo("113004")),
        ]
    );
}

#[test]
fn malformed_bodies_are_rejected_not_guessed() {
    let mut p = parser();
    for body in [
        "%ASA-6-113005: AAA user authentication Maybe : user = x",
        "%ASA-6-113005: AAA user authentication Rejected : reason = x : user = y : user IP = not an address",
        "%ASA-6-605004: Login refused from 1.2.3.4/1 to outside:1.2.3.4/ssh for user \"x\"",
        "%ASA-6-716001: Group <g> User <u> IP <host.example> WebVPN session started.",
        "%ASA-6-716002: Group <g> User <u> IP <1.2.3.4> something else",
        "%ASA-6-722022: Group <g> User <u> IP <1.2.3.4> TCP SVC connection exploded",
        "%ASA-6-302022: Built director stub TCP connection for nowhere",
        "%ASA-4-113019: Group = g, Username = u, IP = 1.2.3.4, Session resumed.",
    ] {
        let line = format!("Mar 02 2025 09:00:00 fw : {body}");
        let mut out = Vec::new();
        assert!(
            matches!(p.parse_line(line.as_bytes(), &mut out), LineOutcome::Rejected(r) if r.reason == "unexpected message body"),
            "{line}"
        );
        assert!(out.is_empty());
    }
}
