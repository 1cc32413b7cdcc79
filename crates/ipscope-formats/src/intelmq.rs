//! IntelMQ events (JSON) and Shadowserver / eventDB CSV reports: CERT feed events.
//!
//! Two parsers share one field mapping (`fields`):
//!
//! * [`IntelmqJsonParser`] reads IntelMQ events as JSON lines (`{"__type": "Event",
//!   "source.ip": ..., "classification.type": ...}`, what IntelMQ's file output writes), the
//!   hierarchical form (`{"source": {"ip": ...}}`), and pretty-printed objects spanning several
//!   lines (see below).
//! * [`shadowserver::ShadowserverCsvParser`] reads CSV with a header naming the columns:
//!   Shadowserver reports (`"timestamp","ip",...`) and IntelMQ eventDB exports (columns named by
//!   IntelMQ keys: `"time.source","source.ip",...`).
//!
//! Every event has kind `feed_event`, format `intelmq`, outcome unset. Mapping (IntelMQ key /
//! Shadowserver column → event field):
//!
//! | event field | IntelMQ key | Shadowserver column |
//! |---|---|---|
//! | `ts` | `time.source`, else `time.observation`; neither → rejected `no time` | `timestamp` (zone-less = UTC) |
//! | `src_ip` | `source.ip` | `ip`, `src_ip` |
//! | `prefix` | `source.network`, or a CIDR in `source.ip` | `network`, or a CIDR in `ip` (blocklist) |
//! | `src_host` | (no address) the name in `source.ip`, else `source.fqdn`, else `source.reverse_dns` | (no address) `hostname`, `src_hostname` |
//! | `src_port` | `source.port` | `port`, `src_port` |
//! | `dst_ip`, `dst_port` | `destination.ip`, `destination.port` | `dst_ip`, `dst_port` |
//! | `proto`, `service` | `protocol.transport`, `protocol.application` (lowercased) | `protocol`, `application` (else the report's service) |
//! | `asn`, `as_org` | `source.asn` (0 → unset), `source.as_name` | `asn`, `src_asn` |
//! | `geo` | `source.geolocation.cc`, `.country`, `.region` (else `.state`), `.city`, `.latitude`, `.longitude`, as given | `geo`/`src_geo`, `region`/`src_region`, `city`/`src_city` |
//! | `taxonomy`, `class_type`, `identifier` | `classification.taxonomy`, `.type`, `.identifier` | inferred from the header (`shadowserver.rs`) |
//! | `feed_provider`, `feed_name` | `feed.provider`, `feed.name` | `Shadowserver`, the report name |
//! | `sensor` | `feed.code`, else `feed.name` | `public_source`, else the report name |
//! | `user`, `password` | `source.account` | `username`, `password` (honeypot brute-force reports) |
//! | `session`, `file_hash` | —, `malware.hash.sha256` | `session` (IP spoofer), — |
//! | `detail` | first of `malware.name`, `event_description.text`, `source.url`, `source.fqdn` | first of `infection`, `reason`, `tag` |
//!
//! Values a feed carries are kept as given (`"XX"` country codes, upper-case cities). A source
//! address that is neither an address, a CIDR network nor a host name is rejected
//! (`bad address`); an unreadable destination address is left unset (the destination is context:
//! a sinkhole, a honeypot). Bad ports, ASNs, coordinates, networks and timestamps are rejected.
//!
//! **Multi-line objects.** A line holding only `{` (how `json.dumps(indent=...)`, `jq .` and
//! IntelMQ's documentation print an event), or a line starting with `{` that is valid JSON so
//! far and ends with `,`, `{`, `[` or `:`, starts an object that continues on the next lines.
//! Those lines are buffered (at most [`MAX_OBJECT_BYTES`]) and ignored as `multi-line object`
//! until the braces balance; the closing line carries the object's outcome. If, between two
//! members of the pending object, a line starts with `{`, the pending object was cut short: that
//! line is rejected `unterminated object` (and, if it is a lone `{`, starts the next object).
//! A stream that ends inside an object loses it without a reject (the parser is not told about
//! the end of the stream).

use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::{Event, LineOutcome, MAX_REJECT_DETAIL, Parser, Reject, SourceFormat, reject};
use fields::{Field, Fields, Origin, Val, build};

pub(crate) mod fields;
mod known;
pub mod shadowserver;

/// Cap on the buffered text of one multi-line object. An IntelMQ event is a few KiB (its `raw`
/// field holds the base64 report line); beyond this the object is rejected as `object too large`
/// and the parser starts afresh with the next line.
pub const MAX_OBJECT_BYTES: usize = 1 << 20;

/// How deep nested (hierarchical) objects are followed to form dotted keys:
/// `{"source": {"geolocation": {"cc": ...}}}` needs 3.
pub const MAX_KEY_DEPTH: usize = 4;

/// The parser for one stream of IntelMQ JSON events.
pub struct IntelmqJsonParser {
    clock: Clock,
    pending: Option<Pending>,
}

impl IntelmqJsonParser {
    pub fn new(clock: Clock) -> IntelmqJsonParser {
        IntelmqJsonParser { clock, pending: None }
    }
}

/// A multi-line object being read.
struct Pending {
    buf: Vec<u8>,
    scan: Scan,
}

/// Brace balance of JSON text fed line by line, strings and escapes respected.
#[derive(Default)]
struct Scan {
    depth: usize,
    in_str: bool,
    esc: bool,
    /// Last byte outside strings that is not white space (`"` for a string).
    last: u8,
}

impl Scan {
    fn feed(&mut self, b: &[u8]) {
        for &c in b {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if c == b'\\' {
                    self.esc = true;
                } else if c == b'"' {
                    self.in_str = false;
                }
                continue;
            }
            match c {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ if c.is_ascii_whitespace() => continue,
                _ => {}
            }
            self.last = c;
        }
    }

    /// Between two members of the top-level object, where only a key or `}` may come.
    fn expects_key(&self) -> bool {
        self.depth == 1 && !self.in_str && matches!(self.last, b'{' | b',')
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    line.trim_ascii_end()
}

fn cut(b: &[u8]) -> String {
    String::from_utf8_lossy(b.get(..MAX_REJECT_DETAIL).unwrap_or(b)).into_owned()
}

impl Parser for IntelmqJsonParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::Intelmq
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = trim_end(line);
        if let Some(p) = self.pending.as_mut() {
            let t = line.trim_ascii_start();
            if p.scan.expects_key() && t.first() == Some(&b'{') {
                let detail = format!("object never closed: {}", cut(&p.buf));
                self.pending = None;
                if t == b"{" {
                    self.start(t);
                }
                return LineOutcome::Rejected(Reject::new("unterminated object", detail));
            }
            if p.buf.len() + 1 + line.len() > MAX_OBJECT_BYTES {
                let detail = format!("more than {MAX_OBJECT_BYTES} bytes: {}", cut(&p.buf));
                self.pending = None;
                return LineOutcome::Rejected(Reject::new("object too large", detail));
            }
            p.buf.push(b'\n');
            p.buf.extend_from_slice(line);
            p.scan.feed(line);
            if p.scan.depth > 0 {
                return LineOutcome::Ignored("multi-line object");
            }
            let buf = std::mem::take(&mut p.buf);
            self.pending = None;
            return match known::known(&buf) {
                Ok(values) => self.event(&values, out),
                Err(_) => reject("bad json", &buf),
            };
        }
        let t = line.trim_ascii_start();
        match t.first() {
            None => LineOutcome::Ignored("blank"),
            Some(b'{') if t == b"{" => {
                self.start(t);
                LineOutcome::Ignored("multi-line object")
            }
            Some(b'{') => match known::known(t) {
                Ok(values) => self.event(&values, out),
                Err(e) if e.is_eof() && matches!(t.last(), Some(b',' | b'{' | b'[' | b':')) => {
                    self.start(t);
                    LineOutcome::Ignored("multi-line object")
                }
                Err(_) => reject("bad json", line),
            },
            Some(_) => reject("not a JSON object", line),
        }
    }
}

impl IntelmqJsonParser {
    fn start(&mut self, first: &[u8]) {
        let mut scan = Scan::default();
        scan.feed(first);
        self.pending = Some(Pending { buf: first.to_vec(), scan });
    }

    /// The event of an object's known values (`known::known`).
    fn event(&mut self, values: &[(Field, Value)], out: &mut Vec<Event>) -> LineOutcome {
        let mut f = Fields::new();
        for (field, v) in values {
            f.set(*field, Val::Json(v));
        }
        if let Some(t) = f.text(Field::MsgType)
            && t != "Event"
        {
            return LineOutcome::Ignored("not an event");
        }
        let origin = Origin { provider: None, report: None, naive_utc: false };
        match build(&f, &origin, &mut self.clock) {
            Ok(e) => {
                out.push(e);
                LineOutcome::Events(1)
            }
            Err(r) => LineOutcome::Rejected(r),
        }
    }
}

/// Keys only IntelMQ events carry (what [`looks_like`] looks for).
fn is_marker(key: &str) -> bool {
    key == "__type"
        || key == "time.observation"
        || key == "time.source"
        || key.starts_with("classification.")
        || key.starts_with("feed.")
}

/// An object with an IntelMQ marker key, flat or nested.
fn has_marker(m: &Map<String, Value>) -> bool {
    m.iter().any(|(k, v)| match v {
        Value::Object(inner) => match k.as_str() {
            "classification" | "feed" => true,
            "time" => inner.contains_key("observation") || inner.contains_key("source"),
            _ => false,
        },
        _ => is_marker(k),
    })
}

/// A member line of a pretty-printed object, `"key": <scalar>[,]`, whose key is a marker.
/// Schema files such as `harmonization.conf` (`"classification.type": {`) do not count.
fn is_marker_line(l: &[u8]) -> bool {
    let Some(rest) = l.strip_prefix(b"\"") else { return false };
    let Some(end) = memchr::memchr(b'"', rest) else { return false };
    let (Some(key), Some(after)) = (rest.get(..end), rest.get(end + 1..)) else { return false };
    let Some(value) = after.trim_ascii_start().strip_prefix(b":") else { return false };
    let scalar = !matches!(value.trim_ascii_start().first(), None | Some(b'{' | b'['));
    scalar && std::str::from_utf8(key).is_ok_and(is_marker)
}

/// Whether the first non-blank lines of a stream are IntelMQ JSON events: at least one line is
/// an object (or a pretty-printed member line) with an IntelMQ key (`__type`, `time.observation`,
/// `time.source`, `classification.*`, `feed.*`), no line is a JSON object without one, and every
/// line starts like JSON (`{`, `}`, `"`, `[`, `]`).
pub fn looks_like(first_lines: &[&[u8]]) -> bool {
    let mut votes = 0usize;
    for l in first_lines.iter().map(|l| l.trim_ascii()).filter(|l| !l.is_empty()) {
        match l.first() {
            Some(b'{') => match serde_json::from_slice::<Value>(l) {
                Ok(Value::Object(m)) if has_marker(&m) => votes += 1,
                Ok(_) => return false,
                // A cut-off line or the opening line of a pretty-printed object.
                Err(_) => {}
            },
            Some(b'"') => votes += usize::from(is_marker_line(l)),
            Some(b'}' | b'[' | b']') => {}
            _ => return false,
        }
    }
    votes > 0
}

#[cfg(test)]
mod tests;
