#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::shadowserver::{ShadowserverCsvParser, split};
use super::*;
use crate::test_support::*;
use crate::{ClockConfig, EventKind, YearRule, Zone};

fn clock(zone: Zone) -> Clock {
    Clock::new(ClockConfig { zone, year: YearRule::Fixed(2024) }, 0)
}

fn json() -> IntelmqJsonParser {
    IntelmqJsonParser::new(clock(Zone::Utc))
}

fn csv() -> ShadowserverCsvParser {
    ShadowserverCsvParser::new(clock(Zone::Utc))
}

#[test]
fn flat_event_all_fields() {
    let e = one(
        &mut json(),
        r#"{"__type": "Event", "time.source": "2023-02-15T14:19:09+00:00", "time.observation": "2023-02-16T09:55:12+00:00",
           "source.ip": "82.212.115.188", "source.port": 443, "source.asn": 47887, "source.as_name": "NEU-AS",
           "source.network": "82.212.115.0/24", "source.geolocation.cc": "JO", "source.geolocation.city": "amman",
           "source.geolocation.latitude": 31.9522, "source.geolocation.longitude": 35.939, "source.geolocation.country": "Jordan",
           "source.geolocation.region": "Amman", "destination.ip": "::ffff:10.0.0.1", "destination.port": "8080",
           "protocol.transport": "TCP", "protocol.application": "HTTPS", "source.account": "root",
           "classification.taxonomy": "malicious-code", "classification.type": "c2-server", "classification.identifier": "qakbot",
           "feed.provider": "abuse.ch", "feed.name": "Feodo Tracker", "feed.code": "feodo", "malware.name": "qakbot",
           "malware.hash.sha256": "ab12", "raw": "eHh4", "extra.status": "offline"}"#,
    );
    assert_eq!(e.kind, EventKind::FeedEvent);
    assert_eq!(e.format, SourceFormat::Intelmq);
    assert_eq!(e.outcome, None);
    assert_eq!(e.ts, utc("2023-02-15T14:19:09Z"), "time.source wins over time.observation");
    assert_eq!((e.src_ip, e.src_port, e.src_host.as_deref()), (ip("82.212.115.188"), Some(443), None));
    assert_eq!((e.dst_ip, e.dst_port), (ip("10.0.0.1"), Some(8080)));
    assert_eq!((e.proto.as_deref(), e.service.as_deref()), (Some("tcp"), Some("https")));
    assert_eq!(
        (e.asn, e.as_org.as_deref(), e.prefix.as_deref()),
        (Some(47887), Some("NEU-AS"), Some("82.212.115.0/24"))
    );
    assert_eq!(e.geo.country_code.as_deref(), Some("JO"));
    assert_eq!(e.geo.country_name.as_deref(), Some("Jordan"));
    assert_eq!(e.geo.city.as_deref(), Some("amman"), "kept as given");
    assert_eq!(e.geo.region.as_deref(), Some("Amman"));
    assert_eq!((e.geo.latitude, e.geo.longitude), (Some(31.9522), Some(35.939)));
    assert_eq!(e.taxonomy.as_deref(), Some("malicious-code"));
    assert_eq!(e.class_type.as_deref(), Some("c2-server"));
    assert_eq!(e.identifier.as_deref(), Some("qakbot"));
    assert_eq!(e.feed_provider.as_deref(), Some("abuse.ch"));
    assert_eq!(e.feed_name.as_deref(), Some("Feodo Tracker"));
    assert_eq!(e.sensor.as_deref(), Some("feodo"), "feed.code before feed.name");
    assert_eq!(e.user.as_deref(), Some("root"));
    assert_eq!(e.detail.as_deref(), Some("qakbot"));
    assert_eq!(e.file_hash.as_deref(), Some("ab12"));
}

#[test]
fn hierarchical_event() {
    let e = one(
        &mut json(),
        r#"{"source": {"ip": "192.0.2.1", "geolocation": {"cc": "AT"}, "asn": "AS64496"}, "time": {"observation": "2024-01-02T03:04:05.5Z"},
            "classification": {"type": "scanner"}, "feed": {"name": "Scans"}, "extra": {"a": {"b": {"c": {"d": 1}}}}}"#,
    );
    assert_eq!(e.src_ip, ip("192.0.2.1"));
    assert_eq!(e.geo.country_code.as_deref(), Some("AT"));
    assert_eq!(e.asn, Some(64496), "`AS` prefix accepted");
    assert_eq!(e.ts, utc("2024-01-02T03:04:05.5Z"));
    assert_eq!(e.class_type.as_deref(), Some("scanner"));
    assert_eq!(e.sensor.as_deref(), Some("Scans"), "feed.name when there is no feed.code");
}

#[test]
fn times() {
    let mut p = json();
    let e = one(&mut p, r#"{"time.observation": "2015-01-01T00:00:01+02:00"}"#);
    assert_eq!(e.ts, utc("2014-12-31T22:00:01Z"));
    let e = one(&mut p, r#"{"time.source": "", "time.observation": "2015-01-01 00:00:01 UTC"}"#);
    assert_eq!(e.ts, utc("2015-01-01T00:00:01Z"), "an empty time.source falls back");
    assert_eq!(rejected(&mut p, r#"{"__type": "Event", "source.ip": "127.0.0.1"}"#), "no time");
    assert_eq!(rejected(&mut p, r#"{"time.source": "yesterday"}"#), "bad timestamp");
    assert_eq!(rejected(&mut p, r#"{"time.source": "2015-02-30T00:00:00+00:00"}"#), "bad date");
    assert_eq!(rejected(&mut p, r#"{"time.source": 1420070400}"#), "bad timestamp");
    // A zone-less time is in the clock's zone (JSON) ...
    let mut berlin = IntelmqJsonParser::new(clock(Zone::Named(chrono_tz::Europe::Berlin)));
    assert_eq!(one(&mut berlin, r#"{"time.source": "2024-07-01T12:00:00"}"#).ts, utc("2024-07-01T10:00:00Z"));
    // ... but UTC in a Shadowserver report, whatever the clock says.
    let mut ss = ShadowserverCsvParser::new(clock(Zone::Named(chrono_tz::Europe::Berlin)));
    parse(&mut ss, r#""timestamp","ip""#);
    assert_eq!(one(&mut ss, r#""2024-07-01 12:00:00","192.0.2.1""#).ts, utc("2024-07-01T12:00:00Z"));
}

#[test]
fn addresses() {
    let mut p = json();
    let t = r#""time.source": "2024-01-01T00:00:00Z""#;
    let e = one(&mut p, &format!(r#"{{{t}, "source.fqdn": "evil.example", "source.reverse_dns": "x.example"}}"#));
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("evil.example")), "fqdn without an address");
    let e = one(&mut p, &format!(r#"{{{t}, "source.ip": "192.0.2.1", "source.fqdn": "evil.example"}}"#));
    assert_eq!((e.src_host, e.detail.as_deref()), (None, Some("evil.example")), "fqdn beside an address → detail");
    let e = one(&mut p, &format!(r#"{{{t}, "source.ip": "198.51.100.0/24"}}"#));
    assert_eq!((e.src_ip, e.prefix.as_deref()), (None, Some("198.51.100.0/24")), "a network in source.ip");
    let e = one(&mut p, &format!(r#"{{{t}, "source.ip": "192.030.0.6"}}"#));
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("192.030.0.6")), "not an address std accepts: a name");
    let e = one(&mut p, &format!(r#"{{{t}, "source.ip": "2001:db8::1", "destination.ip": "148.81.111.11.12"}}"#));
    assert_eq!((e.src_ip, e.dst_ip), (ip("2001:db8::1"), None), "an unreadable destination is left unset");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.ip": "<script>"}}"#)), "bad address");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.network": "10.0.0.0/33"}}"#)), "bad network");
}

#[test]
fn numbers() {
    let mut p = json();
    let t = r#""time.source": "2024-01-01T00:00:00Z""#;
    assert_eq!(one(&mut p, &format!(r#"{{{t}, "source.port": "22", "source.asn": 0}}"#)).src_port, Some(22));
    assert_eq!(one(&mut p, &format!(r#"{{{t}, "source.asn": 0}}"#)).asn, None, "ASN 0 is unknown");
    assert_eq!(one(&mut p, &format!(r#"{{{t}, "source.port": 22.0}}"#)).src_port, Some(22));
    assert_eq!(one(&mut p, &format!(r#"{{{t}, "source.port": null}}"#)).src_port, None);
    let e =
        one(&mut p, &format!(r#"{{{t}, "source.geolocation.latitude": "48.2", "source.geolocation.longitude": -16}}"#));
    assert_eq!((e.geo.latitude, e.geo.longitude), (Some(48.2), Some(-16.0)));
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.port": 65536}}"#)), "bad port");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "destination.port": -1}}"#)), "bad port");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.port": "ssh"}}"#)), "bad port");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.asn": 4294967296}}"#)), "bad asn");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.asn": [1]}}"#)), "bad asn");
    assert_eq!(rejected(&mut p, &format!(r#"{{{t}, "source.geolocation.latitude": "north"}}"#)), "bad coordinate");
}

#[test]
fn json_lines_that_are_not_events() {
    let mut p = json();
    assert_eq!(parse(&mut p, "").0, LineOutcome::Ignored("blank"));
    assert_eq!(parse(&mut p, "  \r").0, LineOutcome::Ignored("blank"));
    assert_eq!(parse(&mut p, r#"{"__type": "Report", "raw": "eA=="}"#).0, LineOutcome::Ignored("not an event"));
    assert_eq!(rejected(&mut p, r#"{"__type": "Event", "source.ip": "1.2.3.4""#), "bad json");
    assert_eq!(rejected(&mut p, r#"{"a": 1} trailing"#), "bad json");
    assert_eq!(rejected(&mut p, r#"[{"__type": "Event"}]"#), "not a JSON object");
    assert_eq!(rejected(&mut p, "# comment"), "not a JSON object");
    assert_eq!(rejected(&mut p, r#"  "source.ip": "1.2.3.4","#), "not a JSON object");
}

const PRETTY: &str = "{\r\n    \"source.ip\": \"82.212.115.188\",\r\n    \"extra.note\": \"{ not a brace } \\\" {\",\r\n    \"extra.list\": [1, {\"a\": 2}],\r\n    \"time.source\": \"2023-02-15T14:19:09+00:00\"\r\n  }\r\n";

#[test]
fn multi_line_object() {
    let mut p = json();
    let lines: Vec<&str> = PRETTY.split('\n').filter(|l| !l.is_empty()).collect();
    for l in &lines[..lines.len() - 1] {
        assert_eq!(parse(&mut p, l).0, LineOutcome::Ignored("multi-line object"), "{l}");
    }
    let e = one(&mut p, lines[lines.len() - 1]);
    assert_eq!(e.src_ip, ip("82.212.115.188"));
    assert_eq!(e.ts, utc("2023-02-15T14:19:09Z"));
    // The parser is back to one object per line.
    assert_eq!(one(&mut p, r#"{"time.source": "2024-01-01T00:00:00Z"}"#).ts, utc("2024-01-01T00:00:00Z"));
}

#[test]
fn multi_line_object_opened_on_a_member_line() {
    let mut p = json();
    assert_eq!(parse(&mut p, r#"{"__type": "Event","#).0, LineOutcome::Ignored("multi-line object"));
    assert_eq!(parse(&mut p, r#" "source": {"#).0, LineOutcome::Ignored("multi-line object"));
    assert_eq!(parse(&mut p, r#"   "ip": "192.0.2.9"},"#).0, LineOutcome::Ignored("multi-line object"));
    assert_eq!(one(&mut p, r#" "time.observation": "2024-01-01T00:00:00Z"}"#).src_ip, ip("192.0.2.9"));
}

#[test]
fn multi_line_object_cut_short() {
    let mut p = json();
    assert_eq!(parse(&mut p, "{").0, LineOutcome::Ignored("multi-line object"));
    assert_eq!(parse(&mut p, r#"  "source.ip": "192.0.2.1","#).0, LineOutcome::Ignored("multi-line object"));
    // A new object begins where a key was due: the first one never closed.
    assert_eq!(rejected(&mut p, "{"), "unterminated object");
    assert_eq!(
        parse(&mut p, r#"  "time.source": "2024-01-01T00:00:00Z""#).0,
        LineOutcome::Ignored("multi-line object")
    );
    assert_eq!(one(&mut p, "}").ts, utc("2024-01-01T00:00:00Z"));
    // A one-line event in the same place is rejected with the broken object.
    parse(&mut p, "{");
    assert_eq!(rejected(&mut p, r#"{"time.source": "2024-01-01T00:00:00Z"}"#), "unterminated object");
    assert_eq!(one(&mut p, r#"{"time.source": "2024-01-01T00:00:00Z"}"#).ts, utc("2024-01-01T00:00:00Z"));
    // A broken member is a bad object, found when the braces balance.
    parse(&mut p, "{");
    parse(&mut p, r#"  "source.ip" "192.0.2.1""#);
    assert_eq!(rejected(&mut p, "}"), "bad json");
}

#[test]
fn multi_line_object_too_large() {
    let mut p = json();
    parse(&mut p, "{");
    let member = format!(r#""extra.x": "{}","#, "a".repeat(1000));
    let mut outcome = LineOutcome::Ignored("multi-line object");
    let mut n = 0;
    while outcome == LineOutcome::Ignored("multi-line object") {
        outcome = parse(&mut p, &member).0;
        n += 1;
    }
    assert!(matches!(outcome, LineOutcome::Rejected(ref r) if r.reason == "object too large"), "{outcome:?}");
    assert!(n * member.len() >= MAX_OBJECT_BYTES - member.len() && n * member.len() <= MAX_OBJECT_BYTES + member.len());
    // Afresh: the rest of the object is rejected line by line, then events parse again.
    assert_eq!(rejected(&mut p, &member), "not a JSON object");
    assert_eq!(rejected(&mut p, "}"), "not a JSON object");
    assert_eq!(one(&mut p, r#"{"time.source": "2024-01-01T00:00:00Z"}"#).ts, utc("2024-01-01T00:00:00Z"));
}

#[test]
fn csv_split() {
    let cells = |s: &str| -> Vec<String> {
        split(s.as_bytes()).unwrap().iter().map(|c| String::from_utf8(c.to_vec()).unwrap()).collect()
    };
    assert_eq!(cells(r#""a","b, c",,7,"#), ["a", "b, c", "", "7", ""]);
    assert_eq!(cells(r#""say ""hi""","""",x"y"#), [r#"say "hi""#, r#"""#, r#"x"y"#]);
    assert_eq!(cells(""), [""]);
    assert_eq!(cells(r#""""#), [""]);
    assert_eq!(split(br#""a,b"#).unwrap_err(), "unterminated quote");
    assert_eq!(split(br#""a"b,c"#).unwrap_err(), "bad quoting");
    assert_eq!(split(",".repeat(shadowserver::MAX_COLUMNS).as_bytes()).unwrap_err(), "too many columns");
}

#[test]
fn csv_rows() {
    let mut p = csv();
    assert_eq!(rejected(&mut p, r#""2021-03-27 00:00:00","1.2.3.4""#), "no header");
    assert_eq!(
        parse(&mut p, r#""timestamp","ip","port","asn","geo","hostname","tag""#).0,
        LineOutcome::Ignored("header")
    );
    let e = one(&mut p, r#""2021-03-27 00:00:00","1.2.3.4",22,0,"XX",,"ssh""#);
    assert_eq!((e.src_ip, e.src_port, e.asn), (ip("1.2.3.4"), Some(22), None));
    assert_eq!(e.geo.country_code.as_deref(), Some("XX"));
    assert_eq!(e.feed_provider.as_deref(), Some("Shadowserver"));
    assert_eq!((e.taxonomy, e.feed_name, e.sensor), (None, None, None), "an unknown report kind");
    assert_eq!(e.detail.as_deref(), Some("ssh"), "tag as the last resort");
    let e = one(&mut p, r#""2021-03-27 00:00:00",,,,,"host.example","#);
    assert_eq!((e.src_ip, e.src_host.as_deref()), (None, Some("host.example")), "short row: missing cells empty");
    assert_eq!(rejected(&mut p, r#""2021-03-27 00:00:00","1.2.3.4",22,0,"XX",,"ssh",extra"#), "too many fields");
    assert_eq!(rejected(&mut p, r#""2021-03-27 00:00:00","1.2.3.4",99999"#), "bad port");
    assert_eq!(rejected(&mut p, r#""2021-03-27 00:00:00","1.2.3.4",22,"AS-x""#), "bad asn");
    assert_eq!(rejected(&mut p, r#""2021-03-27","1.2.3.4""#), "bad timestamp");
    assert_eq!(rejected(&mut p, r#",1.2.3.4"#), "no time");
    assert_eq!(rejected(&mut p, r#""2021-03-27 00:00:00","1.2.3.4"x"#), "bad quoting");
    assert_eq!(parse(&mut p, "\r").0, LineOutcome::Ignored("blank"));
    // A second header replaces the first.
    assert_eq!(
        parse(&mut p, "timestamp,src_ip,dst_ip,dst_port,username,password,session\r").0,
        LineOutcome::Ignored("header")
    );
    let e = one(&mut p, "2021-03-27T00:00:00Z,::ffff:1.2.3.4,2001:db8::2,23,root,admin,77\r");
    assert_eq!((e.src_ip, e.dst_ip, e.dst_port), (ip("1.2.3.4"), ip("2001:db8::2"), Some(23)));
    assert_eq!(
        (e.user.as_deref(), e.password.as_deref(), e.session.as_deref()),
        (Some("root"), Some("admin"), Some("77"))
    );
}

#[test]
fn eventdb_csv_export() {
    let mut p = csv();
    let h = r#""time.source","source.ip","source.asn","classification.taxonomy","classification.type","feed.provider","feed.name","feed.code","timestamp""#;
    assert_eq!(parse(&mut p, h).0, LineOutcome::Ignored("header"));
    let e =
        one(&mut p, r#""2023-02-15 14:19:09+00","192.0.2.1",64496,"malicious-code","c2-server","abuse.ch","Feodo",,"#);
    assert_eq!(e.ts, utc("2023-02-15T14:19:09Z"));
    assert_eq!((e.src_ip, e.asn), (ip("192.0.2.1"), Some(64496)));
    assert_eq!(e.feed_provider.as_deref(), Some("abuse.ch"), "not Shadowserver");
    assert_eq!((e.taxonomy.as_deref(), e.sensor.as_deref()), (Some("malicious-code"), Some("Feodo")));
}

#[test]
fn report_inference() {
    let names = |s: &str| -> Vec<String> { s.split(',').map(str::to_owned).collect() };
    let base = "timestamp,protocol,src_ip,src_port,src_asn,src_geo,src_region,src_city,src_hostname,src_naics,src_sector,device_vendor,device_type,device_model,dst_ip,dst_port,dst_asn,dst_geo,dst_region,dst_city,dst_hostname,dst_naics,dst_sector,public_source,infection,family,tag,application,version,event_id";
    let kind = |s: &str| shadowserver::infer_report(&names(s)).map(|r| r.name);
    assert_eq!(kind(base), Some("Sinkhole-Events"));
    assert_eq!(kind(&format!("{base},count")), Some("Honeypot-Darknet"));
    assert_eq!(kind(&format!("{base},count,other")), None, "not a known event report");
    assert_eq!(kind(&format!("{base},network,routedspoof")), Some("IP-Spoofer-Events"));
    assert_eq!(kind(&format!("{base},http_url,http_host")), Some("Sinkhole-HTTP-Events"));
    assert_eq!(kind("timestamp,ip,reason,source"), Some("Blocklist"));
    assert_eq!(kind("timestamp,ip,port,rdp_protocol"), Some("Accessible-RDP"));
    assert_eq!(kind("timestamp,ip,port,banner"), None);
}

#[test]
fn looks_like_json() {
    let yes = |s: &str| looks_like(&s.lines().map(str::as_bytes).collect::<Vec<_>>());
    assert!(yes(r#"{"__type": "Event", "source.ip": "127.0.0.1"}"#));
    assert!(yes("{\n  \"source.ip\": \"1.2.3.4\",\n  \"classification.type\": \"c2-server\"\n}"));
    assert!(yes(r#"{"classification": {"type": "scanner"}}"#));
    assert!(!yes(r#"{"eventid": "cowrie.session.connect", "src_ip": "1.2.3.4"}"#));
    assert!(!yes(r#"{"ts": 1.5, "id.orig_h": "1.2.3.4"}"#));
    assert!(!yes("{\n  \"event\": {\n    \"classification.type\": {\n      \"type\": \"String\"\n    }\n  }\n}"));
    assert!(!yes("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"));
    assert!(!yes(r#"{"__type": "Event"}
Dec 10 06:55:46 LabSZ sshd[24200]: x"#));
    assert!(!yes(""));
}

#[test]
fn looks_like_csv() {
    let yes = |s: &str| shadowserver::looks_like(&s.lines().map(str::as_bytes).collect::<Vec<_>>());
    assert!(yes("\n\"timestamp\",\"ip\",\"port\"\n\"2019-09-04 15:45:51\",\"1.2.3.4\",1"));
    assert!(yes("time.source,source.ip,classification.type"));
    assert!(!yes("LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate"));
    assert!(!yes("\"2019-09-04 15:45:51\",\"1.2.3.4\",1"));
    assert!(!yes("timestamp,host,port"));
    assert!(!yes("dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date"));
    assert!(!yes("#fields\tts\tuid\tid.orig_h"));
}
