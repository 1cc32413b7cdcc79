//! Shadowserver report CSV, and IntelMQ eventDB CSV exports: a header line naming the columns,
//! then one row per event, mapped by column name (see the table in `intelmq.rs`).
//!
//! Rows are split with a quote-aware splitter: `"..."` fields with `""` escapes (values such
//! as `"curve25519-sha256, ecdh-sha2-nistp256"` keep their commas), unquoted fields as they
//! are, empty unquoted fields (`,,`) empty. A quoted field never spans lines (Shadowserver
//! writes none); an unterminated quote is rejected.
//!
//! * A line with a cell `timestamp`, `time.source` or `time.observation` is a header: it sets
//!   the column mapping for the rows after it (a second header mid-stream, as in concatenated
//!   reports, replaces it) → ignored `header`.
//! * A header with IntelMQ keys (`source.ip`, ...) is an eventDB export: `feed.provider` comes
//!   from its column and zone-less times are in the clock's zone. Otherwise it is a Shadowserver
//!   report: `feed_provider` = `Shadowserver`, zone-less `timestamp`s are UTC (Shadowserver's
//!   convention), and the report kind is inferred from the header (`REPORTS`).
//! * A row with fewer cells than the header has the missing trailing cells empty (Shadowserver's
//!   `scan_rdp` rows lack the last column); one with more is rejected `too many fields`.
//! * A row before any header is rejected `no header`.

use std::borrow::Cow;

use crate::clock::Clock;
use crate::{Event, LineOutcome, Parser, Reject, SourceFormat, reject};

use super::fields::{Field, Fields, Ident, Origin, Report, Val, build, intelmq_key, shadowserver_column};

/// Most columns a header or row may have (Shadowserver's widest report, `scan_ssh`, has 84);
/// beyond it the line is rejected.
pub const MAX_COLUMNS: usize = 1024;

/// Cells that make a line a header.
const TIME_COLUMNS: [&str; 3] = ["timestamp", "time.source", "time.observation"];

/// The columns every Shadowserver event report (`event4_*`, `event6_*`) starts with.
const EVENT_BASE: [&str; 30] = [
    "timestamp",
    "protocol",
    "src_ip",
    "src_port",
    "src_asn",
    "src_geo",
    "src_region",
    "src_city",
    "src_hostname",
    "src_naics",
    "src_sector",
    "device_vendor",
    "device_type",
    "device_model",
    "dst_ip",
    "dst_port",
    "dst_asn",
    "dst_geo",
    "dst_region",
    "dst_city",
    "dst_hostname",
    "dst_naics",
    "dst_sector",
    "public_source",
    "infection",
    "family",
    "tag",
    "application",
    "version",
    "event_id",
];

/// The `scan_telnet` header (it has no column of its own to recognize it by).
const SCAN_TELNET: [&str; 13] = [
    "timestamp",
    "ip",
    "protocol",
    "port",
    "hostname",
    "tag",
    "asn",
    "geo",
    "region",
    "city",
    "naics",
    "sic",
    "banner",
];

/// How a report kind is recognized from its header.
pub(crate) enum Rule {
    /// All these columns are present.
    Has(&'static [&'static str]),
    /// The event columns plus exactly these.
    EventPlus(&'static [&'static str]),
    /// Exactly these columns, in order.
    Exactly(&'static [&'static str]),
}

const fn report(
    name: &'static str,
    taxonomy: &'static str,
    class_type: &'static str,
    identifier: Ident,
    service: Option<&'static str>,
) -> Report {
    Report { name, taxonomy, class_type, identifier, service }
}

/// The Shadowserver reports recognized from their header, first match wins. Classification as
/// IntelMQ's Shadowserver parser sets it (its tests for these reports); names as in IntelMQ's
/// feed list. Other headers get no classification and no feed name.
pub(crate) static REPORTS: [(Rule, Report); 9] = [
    (
        Rule::Has(&["ip", "reason", "source"]),
        report("Blocklist", "other", "blacklist", Ident::Const("blocklist"), None),
    ),
    (
        Rule::Has(&["src_ip", "routedspoof"]),
        report("IP-Spoofer-Events", "fraud", "masquerade", Ident::Const("event-ip-spoofer"), None),
    ),
    (
        Rule::Has(&["src_ip", "start_time", "client_version", "username", "password"]),
        report("Honeypot-Brute-Force-Events", "intrusion-attempts", "brute-force", Ident::Infection, None),
    ),
    (
        Rule::Has(&["src_ip", "http_url", "http_host"]),
        report(
            "Sinkhole-HTTP-Events",
            "malicious-code",
            "infected-system",
            Ident::Const("sinkhole-http"),
            Some("http"),
        ),
    ),
    (Rule::EventPlus(&["count"]), report("Honeypot-Darknet", "other", "other", Ident::Infection, None)),
    (Rule::EventPlus(&[]), report("Sinkhole-Events", "malicious-code", "infected-system", Ident::Infection, None)),
    (
        Rule::Has(&["ip", "port", "rdp_protocol"]),
        report("Accessible-RDP", "vulnerable", "vulnerable-system", Ident::Const("open-rdp"), Some("rdp")),
    ),
    (
        Rule::Has(&["ip", "port", "serverid_raw"]),
        report("Accessible-SSH", "vulnerable", "vulnerable-system", Ident::Const("open-ssh"), Some("ssh")),
    ),
    (
        Rule::Exactly(&SCAN_TELNET),
        report("Accessible-Telnet", "vulnerable", "vulnerable-system", Ident::Const("open-telnet"), Some("telnet")),
    ),
];

fn matches(rule: &Rule, names: &[String]) -> bool {
    match rule {
        Rule::Has(cols) => cols.iter().all(|c| names.iter().any(|n| n == c)),
        Rule::EventPlus(extra) => {
            names.len() == EVENT_BASE.len() + extra.len()
                && names.iter().zip(EVENT_BASE.iter().chain(extra.iter())).all(|(n, c)| n == c)
        }
        Rule::Exactly(cols) => names.len() == cols.len() && names.iter().zip(cols.iter()).all(|(n, c)| n == c),
    }
}

/// The report kind of a Shadowserver header, if recognized.
pub(crate) fn infer_report(names: &[String]) -> Option<&'static Report> {
    REPORTS.iter().find(|(rule, _)| matches(rule, names)).map(|(_, r)| r)
}

/// The column mapping set by a header.
struct Header {
    cols: Vec<Option<Field>>,
    origin: Origin,
}

/// The parser for one CSV stream (Shadowserver report or IntelMQ eventDB export).
pub struct ShadowserverCsvParser {
    clock: Clock,
    header: Option<Header>,
}

impl ShadowserverCsvParser {
    pub fn new(clock: Clock) -> ShadowserverCsvParser {
        ShadowserverCsvParser { clock, header: None }
    }
}

/// Split one CSV line into cells (see the module doc).
pub(crate) fn split(line: &[u8]) -> Result<Vec<Cow<'_, [u8]>>, &'static str> {
    let mut cells = Vec::new();
    let mut i = 0;
    loop {
        if cells.len() >= MAX_COLUMNS {
            return Err("too many columns");
        }
        let rest = line.get(i..).unwrap_or_default();
        let next;
        if let Some(q) = rest.strip_prefix(b"\"") {
            // Quoted: up to the `"` not followed by another `"`.
            let mut owned: Option<Vec<u8>> = None;
            let mut j = 0;
            loop {
                let Some(k) = q.get(j..).and_then(|s| memchr::memchr(b'"', s)) else {
                    return Err("unterminated quote");
                };
                let piece = q.get(j..j + k).unwrap_or_default();
                if q.get(j + k + 1) == Some(&b'"') {
                    let o = owned.get_or_insert_with(Vec::new);
                    o.extend_from_slice(piece);
                    o.push(b'"');
                    j += k + 2;
                    continue;
                }
                let cell = match owned {
                    Some(mut o) => {
                        o.extend_from_slice(piece);
                        Cow::Owned(o)
                    }
                    None => Cow::Borrowed(piece),
                };
                cells.push(cell);
                // Past the opening quote, the content and the closing quote.
                next = i + 1 + j + k + 1;
                break;
            }
            match line.get(next) {
                None => return Ok(cells),
                Some(b',') => i = next + 1,
                Some(_) => return Err("bad quoting"),
            }
        } else {
            match memchr::memchr(b',', rest) {
                Some(k) => {
                    cells.push(Cow::Borrowed(rest.get(..k).unwrap_or_default()));
                    i += k + 1;
                }
                None => {
                    cells.push(Cow::Borrowed(rest));
                    return Ok(cells);
                }
            }
        }
    }
}

fn to_str(c: Cow<'_, [u8]>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(b) => String::from_utf8_lossy(b),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
    }
}

/// The cells of a header line as names, if it is one.
fn header_names(cells: &[Cow<'_, [u8]>]) -> Option<Vec<String>> {
    let is_time = |c: &[u8]| TIME_COLUMNS.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(c.trim_ascii()));
    if !cells.iter().any(|c| is_time(c)) {
        return None;
    }
    Some(cells.iter().map(|c| String::from_utf8_lossy(c.trim_ascii()).to_ascii_lowercase()).collect())
}

fn header(names: &[String]) -> Header {
    let eventdb = names.iter().any(|n| n.contains('.') && intelmq_key(n).is_some());
    let cols = names.iter().map(|n| if eventdb { intelmq_key(n) } else { shadowserver_column(n) }).collect();
    let origin = if eventdb {
        Origin { provider: None, report: None, naive_utc: false }
    } else {
        Origin { provider: Some("Shadowserver"), report: infer_report(names), naive_utc: true }
    };
    Header { cols, origin }
}

impl Parser for ShadowserverCsvParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::Intelmq
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = line.trim_ascii_end();
        if line.trim_ascii_start().is_empty() {
            return LineOutcome::Ignored("blank");
        }
        let cells = match split(line) {
            Ok(c) => c,
            Err(reason) => return reject(reason, line),
        };
        if let Some(names) = header_names(&cells) {
            self.header = Some(header(&names));
            return LineOutcome::Ignored("header");
        }
        let Some(h) = self.header.as_ref() else {
            return reject("no header", line);
        };
        if cells.len() > h.cols.len() {
            return LineOutcome::Rejected(Reject::new(
                "too many fields",
                format!("{} fields, header has {}", cells.len(), h.cols.len()),
            ));
        }
        let values: Vec<(Field, Cow<'_, str>)> =
            cells.into_iter().zip(&h.cols).filter_map(|(c, col)| col.map(|f| (f, to_str(c)))).collect();
        let mut f = Fields::new();
        for (field, v) in &values {
            f.set(*field, Val::Str(v));
        }
        match build(&f, &h.origin, &mut self.clock) {
            Ok(e) => {
                out.push(e);
                LineOutcome::Events(1)
            }
            Err(r) => LineOutcome::Rejected(r),
        }
    }
}

/// Whether the first non-blank line is a header of this parser: a CSV line of at least three
/// column names (letters, digits, `_`, `.`) with a time column (`timestamp`, `time.source`,
/// `time.observation`) and a source column (`ip`, `src_ip`, `source.ip`, `source.network`,
/// `source.fqdn`).
pub fn looks_like(first_lines: &[&[u8]]) -> bool {
    let Some(first) = first_lines.iter().map(|l| l.trim_ascii()).find(|l| !l.is_empty()) else {
        return false;
    };
    let Ok(cells) = split(first) else { return false };
    let name_like = |c: &[u8]| !c.is_empty() && c.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'));
    if cells.len() < 3 || !cells.iter().all(|c| name_like(c)) {
        return false;
    }
    let has = |set: &[&str]| cells.iter().any(|c| set.iter().any(|s| s.as_bytes().eq_ignore_ascii_case(c)));
    has(&TIME_COLUMNS) && has(&["ip", "src_ip", "source.ip", "source.network", "source.fqdn"])
}
