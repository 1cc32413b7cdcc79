//! The fields both IntelMQ parsers read, the names they go by (IntelMQ keys, Shadowserver
//! columns), and the one function that turns a row of them into a `feed_event`.

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::Value;

use crate::clock::{Clock, parse_datetime};
use crate::{Event, EventKind, MAX_REJECT_DETAIL, Reject, SourceFormat};

/// What a key or column carries. Everything else (`raw`, `extra.*`, `src_naics`, the many
/// scan-result columns) is not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// `__type`: `Event` or `Report`.
    MsgType,
    TimeSource,
    TimeObservation,
    SrcIp,
    SrcPort,
    SrcFqdn,
    SrcReverseDns,
    SrcNetwork,
    SrcAsn,
    SrcAsName,
    SrcAccount,
    SrcUrl,
    Cc,
    Country,
    Region,
    State,
    City,
    Latitude,
    Longitude,
    DstIp,
    DstPort,
    Transport,
    Application,
    Taxonomy,
    Type,
    Identifier,
    FeedProvider,
    FeedName,
    FeedCode,
    MalwareName,
    MalwareSha256,
    Description,
    // Shadowserver columns without an IntelMQ key of their own here.
    Infection,
    Tag,
    Reason,
    Password,
    PublicSource,
    Session,
}

impl Field {
    /// Number of variants (the last one + 1).
    const COUNT: usize = Field::Session as usize + 1;

    /// The IntelMQ key (or Shadowserver column) shown in reject details.
    fn name(self) -> &'static str {
        match self {
            Field::MsgType => "__type",
            Field::TimeSource => "time.source",
            Field::TimeObservation => "time.observation",
            Field::SrcIp => "source.ip",
            Field::SrcPort => "source.port",
            Field::SrcFqdn => "source.fqdn",
            Field::SrcReverseDns => "source.reverse_dns",
            Field::SrcNetwork => "source.network",
            Field::SrcAsn => "source.asn",
            Field::SrcAsName => "source.as_name",
            Field::SrcAccount => "source.account",
            Field::SrcUrl => "source.url",
            Field::Cc => "source.geolocation.cc",
            Field::Country => "source.geolocation.country",
            Field::Region => "source.geolocation.region",
            Field::State => "source.geolocation.state",
            Field::City => "source.geolocation.city",
            Field::Latitude => "source.geolocation.latitude",
            Field::Longitude => "source.geolocation.longitude",
            Field::DstIp => "destination.ip",
            Field::DstPort => "destination.port",
            Field::Transport => "protocol.transport",
            Field::Application => "protocol.application",
            Field::Taxonomy => "classification.taxonomy",
            Field::Type => "classification.type",
            Field::Identifier => "classification.identifier",
            Field::FeedProvider => "feed.provider",
            Field::FeedName => "feed.name",
            Field::FeedCode => "feed.code",
            Field::MalwareName => "malware.name",
            Field::MalwareSha256 => "malware.hash.sha256",
            Field::Description => "event_description.text",
            Field::Infection => "infection",
            Field::Tag => "tag",
            Field::Reason => "reason",
            Field::Password => "password",
            Field::PublicSource => "public_source",
            Field::Session => "session",
        }
    }
}

/// An IntelMQ key (flat, dotted: `source.geolocation.cc`) → field.
pub(crate) fn intelmq_key(key: &str) -> Option<Field> {
    Some(match key {
        "__type" => Field::MsgType,
        "time.source" => Field::TimeSource,
        "time.observation" => Field::TimeObservation,
        "source.ip" => Field::SrcIp,
        "source.port" => Field::SrcPort,
        "source.fqdn" => Field::SrcFqdn,
        "source.reverse_dns" => Field::SrcReverseDns,
        "source.network" => Field::SrcNetwork,
        "source.asn" => Field::SrcAsn,
        "source.as_name" => Field::SrcAsName,
        "source.account" => Field::SrcAccount,
        "source.url" => Field::SrcUrl,
        "source.geolocation.cc" => Field::Cc,
        "source.geolocation.country" => Field::Country,
        "source.geolocation.region" => Field::Region,
        "source.geolocation.state" => Field::State,
        "source.geolocation.city" => Field::City,
        "source.geolocation.latitude" => Field::Latitude,
        "source.geolocation.longitude" => Field::Longitude,
        "destination.ip" => Field::DstIp,
        "destination.port" => Field::DstPort,
        "protocol.transport" => Field::Transport,
        "protocol.application" => Field::Application,
        "classification.taxonomy" => Field::Taxonomy,
        "classification.type" => Field::Type,
        "classification.identifier" => Field::Identifier,
        "feed.provider" => Field::FeedProvider,
        "feed.name" => Field::FeedName,
        "feed.code" => Field::FeedCode,
        "malware.name" => Field::MalwareName,
        "malware.hash.sha256" => Field::MalwareSha256,
        "event_description.text" => Field::Description,
        _ => return None,
    })
}

/// A Shadowserver report column → field. Event reports name the source `src_*`, scan and
/// blocklist reports name it plainly (`ip`, `port`, `geo`).
pub(crate) fn shadowserver_column(col: &str) -> Option<Field> {
    Some(match col {
        "timestamp" => Field::TimeSource,
        "ip" | "src_ip" => Field::SrcIp,
        "port" | "src_port" => Field::SrcPort,
        "hostname" | "src_hostname" => Field::SrcReverseDns,
        "asn" | "src_asn" => Field::SrcAsn,
        "geo" | "src_geo" => Field::Cc,
        "region" | "src_region" => Field::Region,
        "city" | "src_city" => Field::City,
        "network" => Field::SrcNetwork,
        "protocol" => Field::Transport,
        "application" => Field::Application,
        "dst_ip" => Field::DstIp,
        "dst_port" => Field::DstPort,
        "infection" => Field::Infection,
        "tag" => Field::Tag,
        "reason" => Field::Reason,
        "username" => Field::SrcAccount,
        "password" => Field::Password,
        "public_source" => Field::PublicSource,
        "session" => Field::Session,
        _ => return None,
    })
}

/// One value: a CSV cell or a JSON value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    Json(&'a Value),
}

impl<'a> Val<'a> {
    /// The value as text, trimmed; empty, `null`, arrays and objects → `None`.
    pub(crate) fn text(self) -> Option<Cow<'a, str>> {
        let s = match self {
            Val::Str(s) => s,
            Val::Json(Value::String(s)) => s.as_str(),
            Val::Json(Value::Number(n)) => return Some(Cow::Owned(n.to_string())),
            Val::Json(Value::Bool(b)) => return Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Val::Json(Value::Null | Value::Array(_) | Value::Object(_)) => return None,
        };
        let s = s.trim();
        (!s.is_empty()).then_some(Cow::Borrowed(s))
    }

    /// A CSV cell or a JSON string, untrimmed.
    fn raw(self) -> Option<&'a str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Json(Value::String(s)) => Some(s.as_str()),
            Val::Json(_) => None,
        }
    }

    /// A non-negative integer (JSON number or digits); empty → `Ok(None)`.
    fn uint(self) -> Result<Option<u64>, ()> {
        match self {
            Val::Json(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
                (Some(u), _) => Ok(Some(u)),
                // 443.0 is 443; 443.5 and negatives are not.
                (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
                _ => Err(()),
            },
            Val::Json(Value::Null) => Ok(None),
            _ => {
                let s = self.raw().ok_or(())?.trim();
                let s = s.strip_prefix("AS").or_else(|| s.strip_prefix("as")).unwrap_or(s);
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<u64>().map(Some).map_err(|_| ())
            }
        }
    }

    /// A finite number (JSON number or its text); empty → `Ok(None)`.
    fn float(self) -> Result<Option<f64>, ()> {
        let f = match self {
            Val::Json(Value::Number(n)) => n.as_f64(),
            Val::Json(Value::Null) => return Ok(None),
            _ => {
                let s = self.raw().ok_or(())?.trim();
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<f64>().ok()
            }
        };
        match f {
            Some(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(()),
        }
    }
}

/// The values of one event, by field (the first value of a field wins).
pub(crate) struct Fields<'a> {
    v: [Option<Val<'a>>; Field::COUNT],
}

impl<'a> Fields<'a> {
    pub(crate) fn new() -> Self {
        Fields { v: [None; Field::COUNT] }
    }

    pub(crate) fn set(&mut self, f: Field, v: Val<'a>) {
        if let Some(slot) = self.v.get_mut(f as usize)
            && slot.is_none()
        {
            *slot = Some(v);
        }
    }

    pub(crate) fn get(&self, f: Field) -> Option<Val<'a>> {
        self.v.get(f as usize).copied().flatten()
    }

    pub(crate) fn text(&self, f: Field) -> Option<Cow<'a, str>> {
        self.get(f).and_then(Val::text)
    }

    fn string(&self, f: Field) -> Option<String> {
        self.text(f).map(Cow::into_owned)
    }
}

/// How a Shadowserver report fills `classification.identifier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ident {
    Const(&'static str),
    /// The row's `infection` column (the malware family or attack the report is about).
    Infection,
}

/// What a kind of Shadowserver report implies (see `shadowserver.rs` for how it is recognized).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Report {
    pub(crate) name: &'static str,
    pub(crate) taxonomy: &'static str,
    pub(crate) class_type: &'static str,
    pub(crate) identifier: Ident,
    pub(crate) service: Option<&'static str>,
}

/// Where the values come from: defaults for what the rows do not say.
pub(crate) struct Origin {
    /// `feed.provider` when the row has none (`Shadowserver` for Shadowserver reports).
    pub(crate) provider: Option<&'static str>,
    /// The report kind inferred from a CSV header.
    pub(crate) report: Option<&'static Report>,
    /// Zone-less timestamps are UTC (Shadowserver's documented convention) rather than in the
    /// clock's zone.
    pub(crate) naive_utc: bool,
}

/// A reject naming the field and (the start of) its value.
fn bad(reason: &'static str, f: Field, v: Option<Val<'_>>) -> Reject {
    let shown = match v {
        Some(Val::Str(s)) => s.to_owned(),
        Some(Val::Json(j)) => j.to_string(),
        None => String::new(),
    };
    let d = format!("{}={shown}", f.name());
    let cut = d.as_bytes().get(..MAX_REJECT_DETAIL).unwrap_or(d.as_bytes());
    Reject::new(reason, String::from_utf8_lossy(cut))
}

/// `time.source`, else `time.observation`: ISO 8601 with `T` or a space, an optional fraction,
/// an optional offset (`Z`, `+00:00`, `+00`) or ` UTC` suffix.
fn timestamp(f: &Fields<'_>, naive_utc: bool, clock: &mut Clock) -> Result<i64, Reject> {
    let (field, s) = match (f.text(Field::TimeSource), f.text(Field::TimeObservation)) {
        (Some(s), _) => (Field::TimeSource, s),
        (None, Some(s)) => (Field::TimeObservation, s),
        (None, None) => return Err(Reject::new("no time", "neither time.source nor time.observation")),
    };
    let b = s.as_bytes();
    let (b, utc_suffix) = match b.strip_suffix(b" UTC") {
        Some(rest) => (rest, true),
        None => (b, false),
    };
    match parse_datetime(b) {
        Some((mut p, used)) if used == b.len() => {
            if p.offset.is_none() && (naive_utc || utc_suffix) {
                p.offset = Some(0);
            }
            clock.datetime_micros(p).map_err(|e| bad(e.reason(), field, f.get(field)))
        }
        _ => Err(bad("bad timestamp", field, f.get(field))),
    }
}

/// A CIDR network `addr/len` with a valid address and length.
fn is_network(s: &str) -> bool {
    let Some((a, len)) = s.split_once('/') else { return false };
    let Ok(len) = len.parse::<u8>() else { return false };
    match a.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => len <= 32,
        Ok(IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// Letters, digits, `.`, `-`, `_` (and at least one letter or digit): a host name.
fn is_hostish(s: &str) -> bool {
    s.len() <= 253
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        && s.bytes().any(|c| c.is_ascii_alphanumeric())
}

fn port(f: &Fields<'_>, field: Field) -> Result<Option<u16>, Reject> {
    let Some(v) = f.get(field) else { return Ok(None) };
    match v.uint() {
        Ok(None) => Ok(None),
        Ok(Some(p)) => u16::try_from(p).map(Some).map_err(|_| bad("bad port", field, Some(v))),
        Err(()) => Err(bad("bad port", field, Some(v))),
    }
}

fn coordinate(f: &Fields<'_>, field: Field) -> Result<Option<f64>, Reject> {
    let Some(v) = f.get(field) else { return Ok(None) };
    v.float().map_err(|()| bad("bad coordinate", field, Some(v)))
}

/// The event of one IntelMQ event / Shadowserver row (see the module doc of `intelmq.rs` for
/// the mapping).
pub(crate) fn build(f: &Fields<'_>, origin: &Origin, clock: &mut Clock) -> Result<Event, Reject> {
    let ts = timestamp(f, origin.naive_utc, clock)?;
    let mut e = Event::new(ts, SourceFormat::Intelmq, EventKind::FeedEvent);

    // Source: an address, a network (Shadowserver blocklists put `a.b.c.0/24` in `ip`), or a
    // name where an address was expected.
    let mut ip_name = None;
    let mut ip_net = None;
    if let Some(s) = f.text(Field::SrcIp) {
        if let Ok(ip) = s.parse::<IpAddr>() {
            e.src_ip = Some(ipscope_event::canonical_ip(ip));
        } else if is_network(&s) {
            ip_net = Some(s.into_owned());
        } else if is_hostish(&s) {
            ip_name = Some(s.into_owned());
        } else {
            return Err(bad("bad address", Field::SrcIp, f.get(Field::SrcIp)));
        }
    }
    e.prefix = match f.text(Field::SrcNetwork) {
        Some(n) if is_network(&n) => Some(n.into_owned()),
        Some(_) => return Err(bad("bad network", Field::SrcNetwork, f.get(Field::SrcNetwork))),
        None => ip_net,
    };
    if e.src_ip.is_none() {
        e.src_host = ip_name.or_else(|| f.string(Field::SrcFqdn)).or_else(|| f.string(Field::SrcReverseDns));
    }
    e.src_port = port(f, Field::SrcPort)?;
    // The destination is context (a sinkhole, a honeypot): an unreadable one is left unset.
    e.dst_ip = f.text(Field::DstIp).and_then(|s| s.parse::<IpAddr>().ok()).map(ipscope_event::canonical_ip);
    e.dst_port = port(f, Field::DstPort)?;
    e.proto = f.text(Field::Transport).map(|s| s.to_ascii_lowercase());
    e.service = f.text(Field::Application).map(|s| s.to_ascii_lowercase());

    if let Some(v) = f.get(Field::SrcAsn) {
        match v.uint() {
            // 0 is "unknown" in Shadowserver reports (IntelMQ's `invalidate_zero`).
            Ok(None | Some(0)) => {}
            Ok(Some(n)) => e.asn = Some(u32::try_from(n).map_err(|_| bad("bad asn", Field::SrcAsn, Some(v)))?),
            Err(()) => return Err(bad("bad asn", Field::SrcAsn, Some(v))),
        }
    }
    e.as_org = f.string(Field::SrcAsName);
    e.geo.country_code = f.string(Field::Cc);
    e.geo.country_name = f.string(Field::Country);
    e.geo.region = f.string(Field::Region).or_else(|| f.string(Field::State));
    e.geo.city = f.string(Field::City);
    e.geo.latitude = coordinate(f, Field::Latitude)?;
    e.geo.longitude = coordinate(f, Field::Longitude)?;

    let report = origin.report;
    e.taxonomy = f.string(Field::Taxonomy).or_else(|| report.map(|r| r.taxonomy.to_owned()));
    e.class_type = f.string(Field::Type).or_else(|| report.map(|r| r.class_type.to_owned()));
    e.identifier = f.string(Field::Identifier).or_else(|| match report.map(|r| r.identifier) {
        Some(Ident::Const(s)) => Some(s.to_owned()),
        Some(Ident::Infection) => f.string(Field::Infection),
        None => None,
    });
    if e.service.is_none() {
        e.service = report.and_then(|r| r.service).map(str::to_owned);
    }
    e.feed_provider = f.string(Field::FeedProvider).or_else(|| origin.provider.map(str::to_owned));
    e.feed_name = f.string(Field::FeedName).or_else(|| report.map(|r| r.name.to_owned()));
    e.sensor = f.string(Field::FeedCode).or_else(|| f.string(Field::PublicSource)).or_else(|| e.feed_name.clone());

    e.user = f.string(Field::SrcAccount);
    e.password = f.string(Field::Password);
    e.session = f.string(Field::Session);
    e.file_hash = f.string(Field::MalwareSha256);
    e.detail = [Field::MalwareName, Field::Infection, Field::Description, Field::Reason, Field::SrcUrl]
        .into_iter()
        .find_map(|k| f.string(k))
        .or_else(|| if e.src_ip.is_some() { f.string(Field::SrcFqdn) } else { None })
        .or_else(|| f.string(Field::Tag));
    Ok(e)
}
