#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::test_support::*;
use crate::{ClockConfig, YearRule, Zone};

const HEADER21: &str = "#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2019-11-08-11-44-16
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]";

fn parser() -> ZeekConnParser {
    ZeekConnParser::new(Clock::new(ClockConfig { zone: Zone::Utc, year: YearRule::Reference }, 0))
}
/// Feeds `text` line by line; returns every outcome and every event.
fn feed(p: &mut ZeekConnParser, text: &str) -> (Vec<LineOutcome>, Vec<Event>) {
    let mut events = Vec::new();
    let outcomes = text.lines().map(|l| p.parse_line(l.as_bytes(), &mut events)).collect();
    (outcomes, events)
}

/// The one event of the last line of `text`, or the last line's outcome.
fn last(text: &str) -> Result<Event, LineOutcome> {
    let mut p = parser();
    let (outcomes, mut events) = feed(&mut p, text);
    match outcomes.last() {
        Some(LineOutcome::Events(1)) => Ok(events.pop().unwrap()),
        other => Err(other.cloned().unwrap()),
    }
}

/// The reason or category of the last line's outcome.
fn why(text: &str) -> &'static str {
    match last(text) {
        Err(LineOutcome::Rejected(r)) => r.reason,
        Err(LineOutcome::Ignored(c)) => c,
        other => panic!("{other:?}"),
    }
}
#[test]
fn column_names_match_variants() {
    for (i, name) in tsv::NAMES.iter().enumerate() {
        assert_eq!(tsv::Column::of(name.as_bytes()) as usize, i, "{name}");
    }
    assert_eq!(tsv::Column::of(b"local_orig"), tsv::Column::Other);
}

#[test]
fn tsv_row_maps_every_field() {
    let row = "1521911721.255387\tC8Tful1TvM3Zf5x8fl\t10.164.94.120\t39681\t10.47.3.155\t3389\tTCP\thttp,ssl\t0.004266\t97\t19\tRSTR\t-\t-\t0\tShADTdtr\t10\t730\t6\t342\t-";
    let e = last(&format!("{HEADER21}\n{row}")).unwrap();
    assert_eq!(e.ts, utc("2018-03-24T17:15:21.255387Z"));
    assert_eq!((e.format, e.kind, e.outcome), (SourceFormat::ZeekConn, EventKind::Connection, Some(Outcome::Success)));
    assert_eq!(e.session.as_deref(), Some("C8Tful1TvM3Zf5x8fl"));
    assert_eq!((e.src_ip, e.src_port), (ip("10.164.94.120"), Some(39681)));
    assert_eq!((e.dst_ip, e.dst_port), (ip("10.47.3.155"), Some(3389)));
    assert_eq!(e.proto.as_deref(), Some("tcp"));
    assert_eq!(e.service.as_deref(), Some("http,ssl"));
    assert_eq!(e.duration, Some(0.004266));
    assert_eq!((e.src_bytes, e.dst_bytes), (Some(97), Some(19)));
    assert_eq!(e.conn_state.as_deref(), Some("RSTR"));
    assert_eq!(e.detail.as_deref(), Some("ShADTdtr"));
    assert_eq!((e.sensor, e.src_host), (None, None));
}

#[test]
fn unset_and_empty_fields() {
    let row = "1672844485.675033\tCr4U3w2E9iSU8zBzkk\tfe80::7809:d6ff:fee3:ff67\t133\tff02::2\t134\ticmp\t-\t-\t-\t-\tOTH\tF\tF\t0\t-\t1\t56\t0\t0\t(empty)";
    let e = last(&format!("{HEADER21}\n{row}")).unwrap();
    assert_eq!((e.service, e.duration, e.src_bytes, e.dst_bytes, e.detail), (None, None, None, None, None));
    // ICMP: type and code stay in the port fields.
    assert_eq!((e.src_port, e.dst_port), (Some(133), Some(134)));
    assert_eq!((e.src_ip, e.dst_ip), (ip("fe80::7809:d6ff:fee3:ff67"), ip("ff02::2")));
    // OTH with resp_pkts 0: no reply.
    assert_eq!(e.outcome, Some(Outcome::Failure));
    // `(empty)` in a string column is unset too.
    let row = "1.0\tC\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\t(empty)\t-\t-\t-\tS0\tF\tF\t0\tS\t1\t56\t0\t0\t(empty)";
    assert_eq!(last(&format!("{HEADER21}\n{row}")).unwrap().service, None);
}

#[test]
fn columns_by_name_not_position() {
    // rita proxy_rolling / zeekctl: a leading _node_name, ip_proto at the end, reordered columns.
    let text = "#separator \\x09\n#path\tconn\n#fields\t_node_name\tuid\tts\tid.resp_h\tid.resp_p\tid.orig_h\tid.orig_p\tproto\tconn_state\tresp_pkts\tip_proto\n\
                worker-1\tCabc\t1700000000.5\t2001:db8::1\t443\t::ffff:192.0.2.7\t5555\tudp\tSF\t3\t17";
    let e = last(text).unwrap();
    assert_eq!(e.sensor.as_deref(), Some("worker-1"));
    assert_eq!(e.ts, 1_700_000_000_500_000);
    assert_eq!((e.src_ip, e.src_port), (ip("192.0.2.7"), Some(5555)));
    assert_eq!((e.dst_ip, e.dst_port), (ip("2001:db8::1"), Some(443)));
    assert_eq!((e.outcome, e.service, e.detail), (Some(Outcome::Success), None, None));
}

#[test]
fn headers_repeat_mid_file() {
    let old20 = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
                 #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n\
                 1329843175.736107\tCjhG\t141.142.220.235\t37604\t199.233.217.249\t56666\ttcp\tftp-data\t0.112432\t0\t342\tSF\t-\t0\tShAdfFa\t4\t216\t4\t562\t(empty)\n#close\t2014-04-01-23-15-49";
    let row21 = "1521911721.411148\tCXWf\t10.47.25.80\t50817\t10.128.0.218\t23189\ttcp\t-\t0.000486\t0\t0\tREJ\t-\t-\t0\tSr\t2\t104\t2\t80\t-";
    let mut p = parser();
    let (o, ev) = feed(&mut p, &format!("{HEADER21}\n{row21}\n{old20}\n{HEADER21}\n{row21}"));
    assert_eq!(ev.len(), 3, "{o:?}");
    assert_eq!(ev[1].dst_bytes, Some(342));
    assert_eq!(ev[1].detail.as_deref(), Some("ShAdfFa"));
    assert_eq!(ev[0].outcome, Some(Outcome::Failure));
    assert!(o.contains(&LineOutcome::Ignored("footer")));
    // A 21-column row under the 20-column header is rejected, not mis-mapped.
    let (o, ev) = feed(&mut parser(), &format!("{old20}\n{row21}"));
    assert!(ev.len() == 1 && matches!(o.last(), Some(LineOutcome::Rejected(r)) if r.reason == "wrong field count"));
}

#[test]
fn other_separators() {
    let text = "#separator \\x7c\n#set_separator|;\n#path|conn\n#fields|ts|id.orig_h|id.orig_p|id.resp_h|id.resp_p|proto|service|conn_state\n\
                1.25|10.0.0.1|1|10.0.0.2|80|tcp|http;ssl|S0";
    let e = last(text).unwrap();
    assert_eq!(e.ts, 1_250_000);
    assert_eq!(e.service.as_deref(), Some("http,ssl"));
    assert_eq!(e.outcome, Some(Outcome::Failure));
    // Two-byte separator; then a new block goes back to the tab default for other headers.
    let text = "#separator ::\n#path::conn\n#fields::ts::id.orig_h::id.resp_h::conn_state\n2::10.0.0.1::10.0.0.2::SF";
    assert_eq!(last(text).unwrap().ts, 2_000_000);
    assert_eq!(why("#separator "), "bad #separator");
}

#[test]
fn btest_baselines() {
    let text = format!(
        "### BTest baseline data generated by btest-diff. Do not edit.\n{HEADER21}\nXXXXXXXXXX.XXXXXX\tC\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\t-\t-\t-\t-\tS0\tF\tF\t0\tS\t1\t56\t0\t0\t-"
    );
    let (o, ev) = feed(&mut parser(), &text);
    assert!(ev.is_empty());
    assert_eq!(o[0], LineOutcome::Ignored("btest header"));
    assert!(
        matches!(o.last(), Some(LineOutcome::Rejected(r)) if r.reason == "bad timestamp" && r.detail == "ts=XXXXXXXXXX.XXXXXX")
    );
    assert_eq!(why("#open XXXX-XX-XX-XX-XX-XX"), "header");
    assert_eq!(why("#close XXXX-XX-XX-XX-XX-XX"), "footer");
}

#[test]
fn rejected_rows() {
    let row = |f: &[(usize, &str)]| {
        let mut v: Vec<&str> =
            "1.5\tC\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\t-\t0.5\t1\t2\tSF\tF\tF\t0\tS\t1\t56\t0\t0\t-".split('\t').collect();
        for &(i, s) in f {
            v[i] = s;
        }
        format!("{HEADER21}\n{}", v.join("\t"))
    };
    assert!(last(&row(&[])).is_ok());
    assert_eq!(why("1.5\tC\t1.2.3.4"), "no #fields header");
    assert_eq!(why(&row(&[(0, "-")])), "missing timestamp");
    assert_eq!(why(&row(&[(0, "1.2.3")])), "bad timestamp");
    assert_eq!(why(&row(&[(0, "-1.5")])), "bad timestamp");
    assert_eq!(why(&row(&[(0, "9999999999999")])), "bad timestamp");
    assert_eq!(why(&row(&[(2, "-")])), "missing address");
    assert_eq!(why(&row(&[(4, "1.2.3.400")])), "bad address");
    assert_eq!(why(&row(&[(3, "65536")])), "bad port");
    assert_eq!(why(&row(&[(5, "x")])), "bad port");
    assert_eq!(why(&row(&[(9, "-3")])), "bad count");
    assert_eq!(why(&row(&[(18, "many")])), "bad count");
    assert_eq!(why(&row(&[(8, "NaN")])), "bad duration");
    assert_eq!(why(&row(&[(8, "-0.5")])), "bad duration");
    assert_eq!(why(&format!("{HEADER21}\n1.5\tC")), "wrong field count");
    assert_eq!(why("#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\n1\t1.2.3.4"), "incomplete #fields");
    assert_eq!(why("#fields\t"), "empty #fields");
    let many = format!("#fields{}", "\tx".repeat(tsv::MAX_FIELDS + 1));
    assert_eq!(why(&many), "too many fields");
    assert_eq!(why(&format!("#unset_field\t{}", "-".repeat(tsv::MAX_MARKER + 1))), "bad header value");
}

#[test]
fn timestamps() {
    let row = |ts: &str| {
        format!("{HEADER21}\n{ts}\tC\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\t-\t-\t-\t-\tS0\tF\tF\t0\tS\t1\t56\t0\t0\t-")
    };
    assert_eq!(last(&row("1521911721")).unwrap().ts, 1_521_911_721_000_000);
    assert_eq!(last(&row("1521911721.1234567")).unwrap().ts, 1_521_911_721_123_456);
    assert_eq!(last(&row("2018-03-24T17:15:21.25+01:00")).unwrap().ts, utc("2018-03-24T16:15:21.25Z"));
    // Zone-less ISO text takes the clock's zone.
    let cfg = ClockConfig { zone: "+02:00".parse().unwrap(), year: YearRule::Reference };
    let mut p = ZeekConnParser::new(Clock::new(cfg, 0));
    let (_, ev) = feed(&mut p, &row("2018-03-24 17:15:21"));
    assert_eq!(ev[0].ts, utc("2018-03-24T15:15:21Z"));
    assert_eq!(why(&row("2018-02-30T00:00:00Z")), "bad date");
}

#[test]
fn other_logs_are_not_connections() {
    let http = "#separator \\x09\n#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\n1.0\tC\t1.2.3.4\t1\t5.6.7.8\t80\tGET";
    assert_eq!(why(http), "not a conn log");
    // Without #path: no conn-only column → not conn; with one → conn.
    assert_eq!(why("#fields\tts\tid.orig_h\tid.resp_h\tmethod\n1.0\t1.2.3.4\t5.6.7.8\tGET"), "not a conn log");
    let e = last("#fields\tts\tid.orig_h\tid.resp_h\tconn_state\n1.0\t1.2.3.4\t5.6.7.8\tREJ").unwrap();
    assert_eq!(e.outcome, Some(Outcome::Failure));
    assert!(
        last("#separator \\x09\n#path\tconn_long\n#fields\tts\tid.orig_h\tid.resp_h\n1.0\t1.2.3.4\t5.6.7.8").is_ok()
    );
    let json = r#"{"ts":1.0,"uid":"C","id.orig_h":"172.24.0.2","id.orig_p":1,"id.resp_h":"172.24.0.3","id.resp_p":80,"method":"GET","status_code":404}"#;
    assert_eq!(why(json), "not a conn log");
    assert_eq!(
        why(r#"{"_path":"dns","ts":1.0,"id.orig_h":"1.2.3.4","id.resp_h":"1.2.3.4","conn_state":"SF"}"#),
        "not a conn log"
    );
}

#[test]
fn json_records() {
    let compact = r#"{"ts":1547188415.857497,"uid":"CAcJ","id.orig_h":"192.168.86.167","id.orig_p":38339,"id.resp_h":"192.168.86.1","id.resp_p":53,"proto":"udp","service":"dns","duration":0.076967,"orig_bytes":75,"resp_bytes":178,"conn_state":"SF","local_orig":true,"local_resp":true,"missed_bytes":0,"history":"Dd","orig_pkts":1,"orig_ip_bytes":103,"resp_pkts":1,"resp_ip_bytes":206,"tunnel_parents":[]}"#;
    let e = last(compact).unwrap();
    assert_eq!(e.ts, 1_547_188_415_857_497);
    assert_eq!(
        (e.src_ip, e.src_port, e.dst_ip, e.dst_port),
        (ip("192.168.86.167"), Some(38339), ip("192.168.86.1"), Some(53))
    );
    assert_eq!((e.proto.as_deref(), e.service.as_deref(), e.duration), (Some("udp"), Some("dns"), Some(0.076967)));
    assert_eq!((e.src_bytes, e.dst_bytes, e.outcome), (Some(75), Some(178), Some(Outcome::Success)));
    assert_eq!(
        (e.session.as_deref(), e.detail.as_deref(), e.conn_state.as_deref()),
        (Some("CAcJ"), Some("Dd"), Some("SF"))
    );
    let spaced = r#"{"ts": 1517422337.389061, "uid": "Ckt", "id.orig_h": "10.55.100.111", "id.orig_p": 57494, "id.resp_h": "208.89.12.87", "id.resp_p": 443, "proto": "tcp", "conn_state": "S1", "_path": "conn", "_node_name": "zeek-1"}"#;
    let e = last(spaced).unwrap();
    assert_eq!((e.ts, e.outcome, e.sensor.as_deref()), (1_517_422_337_389_061, Some(Outcome::Success), Some("zeek-1")));
    // ISO ts, absent keys, null, nested id object, a service list, numbers as strings.
    let e = last(r#"{"ts":"2021-06-09T20:55:13.160328Z","id":{"orig_h":"10.0.2.15","orig_p":"46408","resp_h":"fe80::1%eth0","resp_p":80},"proto":"TCP","service":["http","ssl"],"duration":null,"conn_state":"OTH","history":"C","resp_pkts":0}"#).unwrap();
    assert_eq!(e.ts, utc("2021-06-09T20:55:13.160328Z"));
    assert_eq!((e.src_ip, e.src_port, e.dst_ip), (ip("10.0.2.15"), Some(46408), ip("fe80::1")));
    assert_eq!((e.proto.as_deref(), e.service.as_deref()), (Some("tcp"), Some("http,ssl")));
    assert_eq!((e.duration, e.session, e.outcome), (None, None, Some(Outcome::Failure)));
    assert_eq!(
        last(r#"{"ts":"1547188415.5","id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","orig_bytes":1}"#).unwrap().ts,
        1_547_188_415_500_000
    );
    assert_eq!(
        last(r#"{"ts":1547188415,"id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","orig_bytes":1}"#).unwrap().ts,
        1_547_188_415_000_000
    );
    assert_eq!(
        last(r#"  {"ts":1,"id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","orig_bytes":1}  "#).unwrap().ts,
        1_000_000
    );
}

#[test]
fn json_rejects() {
    let base = r#""id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","conn_state":"S0""#;
    assert_eq!(why(r#"{"ts":XXXXXXXXXX.XXXXXX,"uid":"C"}"#), "bad json");
    assert_eq!(why("[1,2]"), "no #fields header");
    assert_eq!(why("{"), "bad json");
    assert_eq!(why(r#"{} {}"#), "bad json");
    assert_eq!(why(&format!("{{{base}}}")), "missing timestamp");
    assert_eq!(why(&format!(r#"{{"ts":-1,{base}}}"#)), "bad timestamp");
    assert_eq!(why(&format!(r#"{{"ts":1e300,{base}}}"#)), "bad timestamp");
    assert_eq!(why(&format!(r#"{{"ts":true,{base}}}"#)), "bad timestamp");
    assert_eq!(why(&format!(r#"{{"ts":"soon",{base}}}"#)), "bad timestamp");
    assert_eq!(why(r#"{"ts":1,"id.orig_h":"1.2.3.4","conn_state":"S0"}"#), "missing address");
    assert_eq!(why(r#"{"ts":1,"id.orig_h":42,"id.resp_h":"1.2.3.4","conn_state":"S0"}"#), "bad address");
    assert_eq!(why(&format!(r#"{{"ts":1,"id.orig_p":70000,{base}}}"#)), "bad port");
    assert_eq!(why(&format!(r#"{{"ts":1,"id.resp_p":-1,{base}}}"#)), "bad port");
    assert_eq!(why(&format!(r#"{{"ts":1,"orig_bytes":1.5,{base}}}"#)), "bad count");
    assert_eq!(why(&format!(r#"{{"ts":1,"duration":"x",{base}}}"#)), "bad duration");
    assert_eq!(why(&format!(r#"{{"ts":1,"uid":7,{base}}}"#)), "bad value");
    assert_eq!(why(&format!(r#"{{"ts":1,"service":["a",1],{base}}}"#)), "bad value");
    // `_path: conn` is enough: no conn-only key needed.
    assert!(last(r#"{"ts":1,"_path":"conn","id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","proto":"icmp"}"#).is_ok());
}

#[test]
fn host_names_in_address_slots() {
    let e = last(r#"{"ts":1,"id.orig_h":"scanner.example.com","id.resp_h":"web-01","conn_state":"S0"}"#).unwrap();
    assert_eq!((e.src_ip, e.src_host.as_deref(), e.dst_ip), (None, Some("scanner.example.com"), None));
    assert_eq!(why(r#"{"ts":1,"id.orig_h":"1.2.3.4 5","id.resp_h":"1.2.3.4","conn_state":"S0"}"#), "bad address");
    assert_eq!(why(r#"{"ts":1,"id.orig_h":"10.0.0","id.resp_h":"1.2.3.4","conn_state":"S0"}"#), "bad address");
}

#[test]
fn outcomes() {
    use Outcome::{Failure, Success};
    for s in ["SF", "S1", "S2", "S3", "RSTO", "RSTR"] {
        assert_eq!(outcome(s, Some(0), Some(0)), Some(Success), "{s}");
    }
    for s in ["S0", "REJ", "RSTOS0", "SH", "RSTRH", "SHR"] {
        assert_eq!(outcome(s, Some(5), Some(5)), Some(Failure), "{s}");
    }
    assert_eq!(outcome("OTH", Some(0), None), Some(Failure));
    assert_eq!(outcome("OTH", Some(0), Some(9)), Some(Failure));
    assert_eq!(outcome("OTH", Some(1), Some(0)), Some(Success));
    assert_eq!(outcome("OTH", None, Some(4)), Some(Success));
    assert_eq!(outcome("OTH", None, Some(0)), None);
    assert_eq!(outcome("OTH", None, None), None);
    assert_eq!(outcome("sf", None, None), None);
    assert_eq!(outcome("", None, None), None);
}

#[test]
fn line_endings_and_blanks() {
    let row = "1.5\tC\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\t-\t-\t-\t-\tS0\tF\tF\t0\tS\t1\t56\t0\t0\t-\r";
    let e = last(&format!("{HEADER21}\n{row}")).unwrap();
    assert_eq!(e.outcome, Some(Outcome::Failure));
    assert_eq!(why("   "), "blank");
    assert_eq!(parser().parse_line(b"", &mut Vec::new()), LineOutcome::Ignored("blank"));
    assert_eq!(why("# a comment"), "comment");
}

#[test]
fn detection() {
    let l = |t: &str| looks_like(&t.lines().map(str::as_bytes).collect::<Vec<_>>());
    assert!(l(HEADER21));
    assert!(l(&format!("### BTest baseline data generated by btest-diff.\n\n{HEADER21}")));
    assert!(l("#separator \\x7c\n#fields|ts|id.orig_h|id.resp_h|conn_state"));
    assert!(!l("#separator \\x09\n#path\thttp\n#fields\tts\tid.orig_h\tid.resp_h"));
    assert!(!l("#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\tmethod"));
    assert!(!l("#separator \\x09\n#set_separator\t,"));
    assert!(!l("#fields\tts\tid.orig_h\tid.resp_h\tconn_state"));
    assert!(l(r#"{"ts":1,"id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","conn_state":"S0"}"#));
    assert!(l(r#"{"ts": 1, "id.orig_h": "1.2.3.4", "id.resp_h": "5.6.7.8", "_path": "conn"}"#));
    assert!(!l(r#"{"ts":1,"uid":"C","id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","method":"GET"}"#));
    assert!(!l(r#"{"ts":XXXXXXXXXX.XXXXXX,"id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","conn_state":"S0"}"#));
    assert!(!l(r#"{"eventid": "cowrie.session.connect", "src_ip": "1.2.3.4"}"#));
    assert!(!l("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"));
    assert!(!l("1521911721.255387\tC8Tful1TvM3Zf5x8fl\t10.164.94.120\t39681"));
    assert!(!l(""));
}
