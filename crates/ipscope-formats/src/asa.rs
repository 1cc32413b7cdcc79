//! Cisco ASA / FTD syslog (also PIX and FWSM, which share the message catalogue).
//!
//! **Header** (`asa/header.rs`): `[<PRI>]TIMESTAMP[ ZONE][ HOST][ TAG][ :] %ASA-L-NNNNNN[:] BODY`.
//! The timestamp is `Apr 15 2013 09:36:50` (the device's, with the year), `Jul 15 13:38:14`
//! (a relay's RFC 3164: the clock's year rule) or ISO 8601 (own offset, or the clock's zone).
//! `ZONE` is an abbreviation from a small table (`EDT` = -04:00, `CET` = +01:00, ...); an
//! uppercase word glued to the final colon (`09:34:34 XYZ:`) that is not in the table is an
//! unknown zone and the clock's zone is used (nothing in the event says so). `HOST` becomes
//! `sensor`, except the `<IP>` placeholder; a tag such as `CiscoASA[999]:` is skipped. The id
//! token may carry a facility word (`%ASA-session-5-106100`) and may lack its colon
//! (`%ASA-6-302016 Teardown`); `%FTD-`, `%PIX-`, `%FWSM-` are accepted too.
//!
//! **Every event**: `format = asa`, `sensor` = host, `detail` = the six-digit message id followed
//! by ` key=value` pairs (values with spaces in double quotes, the whole capped at
//! [`MAX_DETAIL_LEN`] bytes): `src_if` / `dst_if` / `if` interface names, `acl`, `flags`,
//! `type` / `code`, `dst_host` (a name in the destination slot: there is no `dst_host` field),
//! and per message the items below.
//!
//! | message id: body | kind, outcome | fields |
//! |---|---|---|
//! | 106001 `Inbound TCP connection denied from A/p to B/q flags F on interface I` | deny, failure | proto, src, dst, `flags`, `if` |
//! | 106006 / 106007 `Deny inbound UDP from A/p to B/q on interface I` / `due to DNS Query` | deny, failure | proto, src, dst, `if` / `reason` |
//! | 106015 `Deny TCP (no connection) from A/p to B/q flags F on interface I` | deny, failure | proto, src, dst, `flags`, `if` |
//! | 106016 / 106017 / 106020 / 106021 / 106022 `Deny P ... from A to B [on interface I]` (spoof, land, teardrop, reverse path, connection spoof) | deny, failure | proto, src, dst, `if` |
//! | 106010 / 106014 / 106023 `Deny [inbound ]P src I:A[/p][(fqdn or DOM\user)] dst I:B[/q] [(type T, code C)] [by access-group "ACL" [...]]` | deny, failure | proto, src, dst, user (only `DOM\user`), `acl`, `src_if`, `dst_if`, `type`, `code` |
//! | 106100 `access-list ACL denied P I/A(p) -> I/B(q) hit-cnt N ...` | deny, failure | proto, src, dst, user, `acl`, `src_if`, `dst_if`, `hits` (when N ≠ 1) |
//! | 106100 `access-list ACL permitted\|est-allowed ...` | connection, success | as above, `action=est-allowed` |
//! | 302013 / 302015 `Built inbound\|outbound TCP\|UDP connection ID for I:A/p (m) to I:B/q (m)` | connection, none | proto, src, dst (by direction), session = ID, user, `src_if`, `dst_if` |
//! | 302014 / 302016 `Teardown TCP\|UDP connection ID for ... to ... duration H:MM:SS bytes N[ REASON][ from I]` | connection, none | as Built, plus duration, dst_bytes = N (both directions), conn_state = REASON, `initiator` |
//! | 302020 / 302021 `Built inbound\|outbound ICMP connection for faddr F gaddr G laddr L[ type T code C]` / `Teardown ICMP ...` | connection, none | proto, src, dst (by direction), src_port = type, dst_port = code |
//! | 304001 `[U@]A[(DOM\U)] Accessed URL B:URL` | connection, success | proto tcp, src, dst, user, `url` |
//! | 304002 `Access denied URL URL SRC A DEST B on interface I` | deny, failure | proto tcp, src, dst, `url`, `if` |
//! | 305011 / 305012 `Built\|Teardown dynamic\|static P translation from I:A/p to I:B/q[ duration D]` | other, none | proto, src = the real address, duration, `src_if`, `mapped` |
//! | 313001 / 313004 `Denied ICMP type=T, code=C from [laddr ]A on interface I[ to B: ...]` | deny, failure | proto icmp, src, dst, src_port = type, dst_port = code, `if` |
//! | 3380xx `Dynamic Filter dropped\|permitted\|monitored LIST P traffic from I:A/p (m) to I:B/q (m), TAIL` | dropped: deny, failure; else connection, success | proto, src, dst, `action`, `list`, `match` = TAIL |
//! | 710002 / 710003 / 710005 / 710006 `P access permitted\|access denied by ACL\|request discarded from A[/p] to I:B[/q]` | 710002 connection, success; else deny, failure | proto, src, dst, `dst_if` |
//! | 733100 `[ OBJECT] drop rate-N exceeded. Current burst rate is ...` | other, none | src = OBJECT if an address, else `object`; `rate`, `burst`, `burst_max`, `average`, `average_max`, `total` |
//! | 733101 `Host\|Subnet A is attacking\|targeted. Current burst rate is ...` | other, none | src (attacking) or dst (targeted), `action`, `object`, rates |
//! | 302022-302027 `Built ROLE stub P connection ...` / `Teardown stub P connection ... forwarded bytes N REASON` | connection, none | src = the `for` side, dst, `role`, `stub=1`; teardown: duration, dst_bytes, conn_state |
//! | 302035 / 302036 SCTP Built / Teardown | connection, none | as 302013 / 302014 |
//! | 303002 `FTP connection from I:A/p to I:B/q, user U ACTION file F` | connection, success | user, `action`, `file` |
//! | 313005 `No matching connection for ICMP error message: icmp src I:A dst I:B (type T, code C) on I interface. Original IP payload: ...` | deny, failure | src, dst, type/code, `if`, `payload` |
//! | 609001 / 609002 `Built\|Teardown local-host Z:A[ duration D]` | other, none | src, `zone` |
//! | 805001 / 805002 `[Offloaded ]P Flow [is no longer offloaded ]for connection ID from ... to ...` | other, none | src, dst, session |
//! | logins: 109005/109006, 1092xx, 113004/113005/113008/113012/113015/113019/113039, 605004/605005, 611101-611103, 716001/716002/716038/716039/716058, 722022/722023/722028/722037/722041/722051/722055, 751025 | auth / session_open / session_close / connection / other (`asa/auth.rs`) | user, src, outcome, reason; a service verdict echoing an AAA verdict is `other` |
//!
//! **Direction**: `Built inbound` means the `for` side (the lower-security, "foreign" side)
//! started the connection, `Built outbound` the `to` side; the source is the side that started
//! it. Teardowns name the sides in the same order without the direction: it is remembered per
//! (host, connection id) from the Built line (at most [`MAX_TRACKED_CONNECTIONS`] kept); without
//! one, the side with the lower port is taken as the server (ties: outbound). ICMP connections
//! are keyed by host + faddr/gaddr/laddr; without a Built line the foreign side is the source.
//! Mapped addresses `(m)` are ignored (the real addresses are what the logs' owner knows).
//!
//! **Users**: an identity `(LOCAL\user)` / `(LOCAL\user, 321:Test_VLAN)` / `(user)` gives `user`
//! without its domain; for connections the source side's identity wins, else the destination
//! side's (where ASA's trailing AAA `(user)` sits for inbound connections).
//!
//! **Addresses**: IPv4 / IPv6 (`::ffff:` canonicalized) → `src_ip` / `dst_ip`. A name in an
//! address slot (`DMZ:shule/5802`, `faddr target.destination.hostname.local/10005`, and text
//! that only looks like an address, `192.1682.2.2`) → `src_host`, or the destination left unset
//! with `dst_host=NAME` in the detail. Anything else there rejects the line.
//!
//! **Not events**: blank → ignored `blank`; `#...` → `comment`; a well-formed timestamp without
//! an ASA id among the first three header tokens → `not asa` (another
//! program's line in a relay's file); a known id that carries no address → `message id NNNNNN`
//! (see [`IGNORED`]); any other id → `unknown message id`. Rejected: a bad priority, timestamp or
//! date, a line without a timestamp (`no timestamp`), a malformed id token (`bad message id`), and
//! a mapped id whose body does not have the expected shape (`unexpected message body`).

use chrono::Datelike;

use crate::clock::{Clock, DateTimeParts, TimeError};
use crate::{Event, EventKind, LineOutcome, Outcome, Parser, SourceFormat, reject, text};
use conns::ConnMap;
use fields::Detail;
use header::{Parsed, Stamp, ZoneAbbr, parse_header};

/// How many connections (Built lines waiting for their Teardown) are remembered per stream for
/// the direction of their teardown; the oldest is forgotten beyond it. 64 Ki entries ≈ 3 MiB.
pub const MAX_TRACKED_CONNECTIONS: usize = 65_536;

/// The longest `detail` (URLs can be long): cut at a character boundary beyond it.
pub const MAX_DETAIL_LEN: usize = 512;

/// Known message ids that carry no address: ignored with their own category.
pub const IGNORED: &[(u32, &str)] = &[
    (111007, "message id 111007"),
    (111008, "message id 111008"),
    (111009, "message id 111009"),
    (111010, "message id 111010"),
    (199002, "message id 199002"),
    (199005, "message id 199005"),
    (302010, "message id 302010"),
    (321001, "message id 321001"),
    (321002, "message id 321002"),
    (321003, "message id 321003"),
    (321004, "message id 321004"),
];

/// The parser for one ASA / FTD syslog stream.
pub struct AsaParser {
    clock: Clock,
    conns: ConnMap,
    aaa: auth::AaaMemory,
}

impl AsaParser {
    pub fn new(clock: Clock) -> AsaParser {
        AsaParser { clock, conns: ConnMap::default(), aaa: auth::AaaMemory::default() }
    }

    /// The header's timestamp → UTC microseconds.
    fn resolve(&mut self, stamp: Stamp, zone: ZoneAbbr) -> Result<i64, TimeError> {
        match (stamp, zone) {
            (Stamp::Full(p), ZoneAbbr::Known(off)) if p.offset.is_none() => {
                self.clock.datetime_micros(DateTimeParts { offset: Some(off), ..p })
            }
            (Stamp::Full(p), _) => self.clock.datetime_micros(p),
            (Stamp::Yearless(t), ZoneAbbr::Known(off)) => {
                // The year rule lives in the clock: resolve in the clock's zone, read the year
                // back (the local date differs from the UTC date by at most a day), then apply
                // the logged zone.
                let guess = self.clock.syslog_micros(t)?;
                let utc = chrono::DateTime::from_timestamp_micros(guess).ok_or(TimeError::TimeOfDay)?;
                let year = match (t.month, utc.month()) {
                    (12, 1) => utc.year() - 1,
                    (1, 12) => utc.year() + 1,
                    _ => utc.year(),
                };
                self.clock.datetime_micros(DateTimeParts {
                    year,
                    month: t.month,
                    day: t.day,
                    secs: t.secs,
                    micros: t.micros,
                    offset: Some(off),
                })
            }
            (Stamp::Yearless(t), _) => self.clock.syslog_micros(t),
        }
    }

    /// Fill `e` (pre-set with the header's facts) from the body of message `ctx.id`: `Ok(None)`
    /// if the body does not have the expected shape, `Err(category)` for an ignored id.
    fn message(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Result<Option<()>, &'static str> {
        let done = match ctx.id {
            106001 | 106006 | 106007 | 106015 | 106016 | 106017 | 106020 | 106021 | 106022 => {
                deny::from_to(ctx, body, e)
            }
            106010 | 106014 | 106023 => deny::src_dst(ctx, body, e),
            106100 => deny::access_list(ctx, body, e),
            109005 | 109006 => self.cut_through(ctx, body, e),
            109201..=109213 => self.uauth(ctx, body, e),
            113004 | 113005 | 113008 | 113012 | 113015 => self.aaa(ctx, body, e),
            113019 => self.session_disconnected(ctx, body, e),
            113039 | 716001 | 716002 | 716038 | 716039 | 716058 | 722022 | 722023 | 722028 | 722037 | 722041
            | 722051 | 722055 => self.group_user_ip(ctx, body, e),
            302013 | 302015 | 302035 => self.built(ctx, body, e),
            302014 | 302016 | 302036 => self.teardown(ctx, body, e),
            302020 | 302021 => self.icmp_conn(ctx, body, e),
            302022..=302027 => conn::stub(ctx, body, e),
            303002 => conn::ftp_file(ctx, body, e),
            304001 => conn::url_accessed(ctx, body, e),
            304002 => deny::url_denied(ctx, body, e),
            305011 | 305012 => conn::xlate(ctx, body, e),
            313001 | 313004 => deny::icmp_denied(ctx, body, e),
            313005 => deny::icmp_no_connection(ctx, body, e),
            338001..=338008 | 338101..=338104 | 338201..=338204 => conn::dynamic_filter(ctx, body, e),
            605004 | 605005 => self.mgmt_login(ctx, body, e),
            609001 | 609002 => conn::local_host(ctx, body, e),
            611101..=611103 => self.user_auth(ctx, body, e),
            710002 | 710003 | 710005 | 710006 => deny::to_the_box(ctx, body, e),
            751025 => self.ikev2_assigned(ctx, body, e),
            805001 | 805002 => conn::offload(ctx, body, e),
            733100 => other::drop_rate(ctx, body, e),
            733101 => other::attack(ctx, body, e),
            id => {
                return Err(IGNORED.iter().find(|&&(i, _)| i == id).map_or("unknown message id", |&(_, c)| c));
            }
        };
        Ok(done)
    }
}

/// The header facts every event of a line shares.
struct Ctx<'a> {
    ts: i64,
    host: Option<&'a [u8]>,
    id: u32,
}

impl Ctx<'_> {
    /// An event with the header's facts; the message handler sets kind, outcome and the rest.
    fn event(&self) -> Event {
        let mut e = Event::new(self.ts, SourceFormat::Asa, EventKind::Other);
        e.sensor = self.host.map(text);
        e
    }

    fn set(&self, e: &mut Event, kind: EventKind, outcome: Option<Outcome>) {
        e.kind = kind;
        e.outcome = outcome;
    }

    fn detail(&self) -> Detail {
        Detail::new(self.id)
    }
}

impl Parser for AsaParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::Asa
    }

    fn set_reference(&mut self, reference_micros: i64) {
        self.clock.set_reference(reference_micros);
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = line.trim_ascii_end();
        match header::trim_start(line).first() {
            None => return LineOutcome::Ignored("blank"),
            Some(b'#') => return LineOutcome::Ignored("comment"),
            Some(_) => {}
        }
        let h = match parse_header(header::trim_start(line)) {
            Parsed::Asa(h) => h,
            Parsed::NotAsa => return LineOutcome::Ignored("not asa"),
            Parsed::Bad(reason) => return reject(reason, line),
        };
        let ts = match self.resolve(h.stamp, h.zone) {
            Ok(ts) => ts,
            Err(e) => return reject(e.reason(), line),
        };
        let ctx = Ctx { ts, host: h.host, id: h.id };
        // Double spaces (`flags RST  on interface`) and tabs: one space, so the shapes match.
        let collapsed;
        let body = if h.body.windows(2).any(|w| w == b"  ") || h.body.contains(&b'\t') {
            collapsed = collapse_spaces(h.body);
            collapsed.as_slice()
        } else {
            h.body
        };
        // The event is built in place: it is large, and moving it through return values shows up
        // in profiles.
        let start = out.len();
        out.push(ctx.event());
        let res = match out.last_mut() {
            Some(e) => self.message(&ctx, body, e),
            None => Ok(None),
        };
        if !matches!(res, Ok(Some(()))) {
            out.truncate(start);
        }
        match res {
            Ok(Some(())) => LineOutcome::Events(1),
            Ok(None) => reject("unexpected message body", line),
            Err(category) => LineOutcome::Ignored(category),
        }
    }
}

/// Runs of spaces and tabs → one space.
fn collapse_spaces(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len());
    for &c in s {
        let c = if c == b'\t' { b' ' } else { c };
        if !(c == b' ' && v.last() == Some(&b' ')) {
            v.push(c);
        }
    }
    v
}

/// The year-less timestamp of an ASA line relayed with an RFC 3164 header (`Jul 15 13:38:14 host
/// : %ASA-...`), for the year inference of [`crate::year`]; `None` for lines with a year.
pub fn yearless_time(line: &[u8]) -> Option<crate::clock::SyslogTime> {
    match parse_header(header::trim_start(line)) {
        Parsed::Asa(header::Header { stamp: Stamp::Yearless(t), .. }) => Some(t),
        _ => None,
    }
}

/// Whether a stream whose first lines are `first_lines` is ASA / FTD syslog: of the first
/// [`crate::detect::DETECT_LINES`] non-blank, non-`#` lines, at least one and at least half carry
/// an ASA-family message id in the header position (a relay's file may hold other lines too).
pub fn looks_like(first_lines: &[&[u8]]) -> bool {
    let mut seen = 0usize;
    let mut asa = 0usize;
    let lines = first_lines
        .iter()
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty() && !l.starts_with(b"#"))
        .take(crate::detect::DETECT_LINES);
    for line in lines {
        seen += 1;
        if matches!(parse_header(line), Parsed::Asa(_)) {
            asa += 1;
        }
    }
    asa > 0 && asa * 2 >= seen
}

mod auth;
mod conn;
mod conns;
mod deny;
mod fields;
mod header;
mod other;
#[cfg(test)]
mod tests;
