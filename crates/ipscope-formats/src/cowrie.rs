//! Cowrie honeypot JSON lines (`cowrie.json`, `log.format = json`): one JSON object per line.
//!
//! Every event: `ts` from `timestamp` (ISO 8601; Cowrie writes UTC with `Z`, a zone-less one is
//! taken in the clock's zone), `format = cowrie`, `sensor` (when not empty), `session`,
//! `src_ip` (a name there → `src_host`), `proto = tcp`, `service` = `protocol` (`ssh` /
//! `telnet`). Before Cowrie 2.6 only `cowrie.session.connect` carries the ports, the honeypot
//! address and the protocol, and only the login carries the user: the parser keeps a bounded
//! map session → (src_port, dst_ip, dst_port, protocol, user after login, logged in) and fills
//! them into the session's later events (an event's own values win).
//!
//! | `eventid` | result |
//! |---|---|
//! | `cowrie.session.connect` | `connection`, src/dst address and port, detail = protocol |
//! | `cowrie.login.success` | `auth` success (user, password) + `session_open` (first success of the session only); `key_auth` if it carries a key `fingerprint` and no password |
//! | `cowrie.login.failed` | `auth` failure (user, password); `key_auth` for a key attempt |
//! | `cowrie.session.closed` | `session_close` (user, duration) if the session logged in; else ignored `closed without login` / `closed unknown session` |
//! | `cowrie.command.input` / `.failed` / `.success` | `command`, detail = `input`, outcome unset / failure / success |
//! | `cowrie.session.file_download` / `.file_upload` | `download` success, detail = url / filename / destfile / outfile, `file_hash` = shasum |
//! | `cowrie.session.file_download.failed` | `download` failure, detail = url |
//! | `cowrie.client.version` / `.kex` / `.fingerprint` | `client_info`, detail = version / hassh / key fingerprint (fingerprint: user = username) |
//! | `cowrie.direct-tcpip.request` | `tunnel`, dst = the requested destination, detail = `host:port` as requested |
//! | everything else | ignored with a category (the catalogue is `classify`); unknown ids → `unknown eventid` |
//! | `#...` / empty | ignored `comment` / `blank` |
//! | not JSON, not an object, no `eventid`, no or bad `timestamp`, bad port / address / duration, an event without a source address | rejected |
//!
//! The full table with every field is in `docs/formats/cowrie.md`. Lines are read by a
//! validating shallow JSON scanner (`cowrie/json.rs`): it accepts exactly what `serde_json` does
//! but keeps only the top-level fields, ~5x faster than building a `serde_json::Value`.

use std::borrow::Cow;
use std::net::IpAddr;

use memchr::memmem;

use crate::clock::{Clock, parse_datetime};
use crate::{Event, EventKind, LineOutcome, Outcome, Parser, SourceFormat, reject};
use json::{NotObject, Object, Val};
use sessions::{SessionMap, Tracked, keep};

mod json;
mod sessions;
#[cfg(test)]
mod tests;

/// How many sessions (connect → close) are tracked per stream for filling in their later events;
/// the oldest is evicted beyond it. Cowrie drops idle sessions after minutes, so 64 Ki open at
/// once is far beyond a real sensor. An entry is at most ~800 bytes (see the two limits below),
/// so the map stays near 50 MiB even when filled with hostile values.
pub const MAX_TRACKED_SESSIONS: usize = 65_536;

/// Longest session id used as a map key (Cowrie's are 12 hex digits; older ones 32). A longer
/// id is not tracked: its events carry only what they say themselves.
pub const MAX_SESSION_ID_LEN: usize = 64;

/// Longest user name / protocol remembered for a session (attacker-chosen user names can be
/// long); a longer one is still on the login event, just not copied into later events.
pub const MAX_TRACKED_TEXT_LEN: usize = 256;

/// How many non-blank, non-comment lines [`looks_like`] examines.
pub const DETECT_LINES: usize = 20;

/// The parser for one Cowrie JSON stream.
pub struct CowrieParser {
    clock: Clock,
    sessions: SessionMap,
}

impl CowrieParser {
    pub fn new(clock: Clock) -> CowrieParser {
        CowrieParser { clock, sessions: SessionMap::default() }
    }
}

/// Whether a stream whose first lines are `first_lines` is Cowrie JSON: of the first
/// [`DETECT_LINES`] lines that are not blank or `#` comments, at least one and at least as many
/// as not are JSON objects whose `eventid` is a string starting with `cowrie.`.
pub fn looks_like(first_lines: &[&[u8]]) -> bool {
    let (mut yes, mut no) = (0usize, 0usize);
    let lines =
        first_lines.iter().map(|l| l.trim_ascii()).filter(|l| !l.is_empty() && !l.starts_with(b"#")).take(DETECT_LINES);
    for l in lines {
        if is_cowrie_line(l) {
            yes += 1;
        } else {
            no += 1;
        }
    }
    yes > 0 && yes >= no
}

fn is_cowrie_line(l: &[u8]) -> bool {
    l.starts_with(b"{")
        && memmem::find(l, b"\"cowrie.").is_some()
        && json::object(l).is_ok_and(|o| o.str("eventid").is_some_and(|id| id.starts_with("cowrie.")))
}

/// What an `eventid` becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Connect,
    Login(Outcome),
    Closed,
    Command(Option<Outcome>),
    Download(Outcome),
    ClientVersion,
    ClientKex,
    ClientFingerprint,
    TunnelRequest,
    Ignore(&'static str),
}

/// The eventid catalogue (Cowrie's `core/eventids.py`, 2018 to 2026).
fn classify(id: &str) -> Action {
    match id {
        "cowrie.session.connect" => Action::Connect,
        "cowrie.login.success" => Action::Login(Outcome::Success),
        "cowrie.login.failed" => Action::Login(Outcome::Failure),
        "cowrie.session.closed" => Action::Closed,
        "cowrie.command.input" => Action::Command(None),
        "cowrie.command.failed" => Action::Command(Some(Outcome::Failure)),
        "cowrie.command.success" => Action::Command(Some(Outcome::Success)),
        "cowrie.session.file_download" | "cowrie.session.file_upload" => Action::Download(Outcome::Success),
        "cowrie.session.file_download.failed" => Action::Download(Outcome::Failure),
        "cowrie.client.version" => Action::ClientVersion,
        "cowrie.client.kex" => Action::ClientKex,
        "cowrie.client.fingerprint" => Action::ClientFingerprint,
        "cowrie.direct-tcpip.request" => Action::TunnelRequest,
        // The payload sent through a (refused) forward: the request is the tunnel event.
        "cowrie.direct-tcpip.data" | "cowrie.tunnelproxy-tcpip.data" => Action::Ignore("tunnel data"),
        "cowrie.direct-tcpip.ja4"
        | "cowrie.direct-tcpip.ja4h"
        | "cowrie.direct-tcpip.redirect"
        | "cowrie.direct-tcpip.tunnel" => Action::Ignore("tunnel detail"),
        "cowrie.client.size" => Action::Ignore("terminal size"),
        "cowrie.client.var" => Action::Ignore("client env"),
        "cowrie.client.malformed_packet" => Action::Ignore("malformed packet"),
        "cowrie.session.params" => Action::Ignore("session params"),
        "cowrie.session.input" => Action::Ignore("stdin input"),
        "cowrie.command.chpasswd" => Action::Ignore("chpasswd"),
        "cowrie.log.open" | "cowrie.log.closed" => Action::Ignore("tty log"),
        _ if id.starts_with("cowrie.telnet.") => Action::Ignore("telnet negotiation"),
        _ if id.starts_with("cowrie.proxy.") => Action::Ignore("proxy backend"),
        _ if [
            "cowrie.abuseipdb.",
            "cowrie.greynoise.",
            "cowrie.virustotal.",
            "cowrie.urlhaus.",
            "cowrie.reversedns.",
        ]
        .iter()
        .any(|p| id.starts_with(p)) =>
        {
            Action::Ignore("lookup")
        }
        _ => Action::Ignore("unknown eventid"),
    }
}

/// A field that should hold an address.
enum Addr {
    Ip(IpAddr),
    Name(String),
}

/// The facts a line states about itself.
struct Ctx {
    ts: i64,
    sensor: Option<String>,
    session: Option<String>,
    src: Option<Addr>,
    src_port: Option<u16>,
    dst: Option<Addr>,
    dst_port: Option<u16>,
    protocol: Option<String>,
}

impl Parser for CowrieParser {
    fn format(&self) -> SourceFormat {
        SourceFormat::Cowrie
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Event>) -> LineOutcome {
        let line = line.trim_ascii();
        match line.first() {
            None => return LineOutcome::Ignored("blank"),
            Some(b'#') => return LineOutcome::Ignored("comment"),
            Some(_) => {}
        }
        let o = match json::object(line) {
            Ok(o) => o,
            Err(NotObject::OtherValue) => return reject("not a json object", line),
            Err(NotObject::Invalid) => return reject("not json", line),
        };
        let Some(id) = o.str("eventid") else {
            return reject("missing eventid", line);
        };
        let action = classify(&id);
        if let Action::Ignore(category) = action {
            return LineOutcome::Ignored(category);
        }
        match self.event_line(&o, action, out) {
            Ok(res) => res,
            Err(reason) => reject(reason, line),
        }
    }
}

impl CowrieParser {
    /// A line whose eventid makes events. `Err` = the rejection reason.
    fn event_line(
        &mut self,
        o: &Object<'_>,
        action: Action,
        out: &mut Vec<Event>,
    ) -> Result<LineOutcome, &'static str> {
        let ctx = self.context(o)?;
        let tracked = ctx.session.as_deref().and_then(|id| self.sessions.get(id)).cloned();
        let t = tracked.as_ref();
        let mut e = match action {
            Action::Connect => {
                // The connect is authoritative: nothing is filled in from earlier lines.
                let mut e = base(&ctx, EventKind::Connection, None)?;
                self.track_connect(&ctx, &e);
                e.detail = ctx.protocol.clone();
                e
            }
            Action::Login(outcome) => return self.login(o, &ctx, t, outcome, out),
            Action::Closed => {
                let duration = duration(o)?;
                let removed = ctx.session.as_deref().and_then(|id| self.sessions.remove(id));
                let t = match removed {
                    Some(t) if t.logged_in => t,
                    Some(_) => return Ok(LineOutcome::Ignored("closed without login")),
                    None => return Ok(LineOutcome::Ignored("closed unknown session")),
                };
                let mut e = base(&ctx, EventKind::SessionClose, Some(&t))?;
                e.duration = duration;
                e
            }
            Action::Command(outcome) => {
                let mut e = base(&ctx, EventKind::Command, t)?;
                e.outcome = outcome;
                e.detail = text(o, "input");
                e.user = e.user.or_else(|| text(o, "username"));
                e
            }
            Action::Download(outcome) => {
                let mut e = base(&ctx, EventKind::Download, t)?;
                e.outcome = Some(outcome);
                e.detail = ["url", "filename", "destfile", "outfile"].into_iter().find_map(|k| text(o, k));
                e.file_hash = text(o, "shasum").or_else(|| text(o, "sha256"));
                e.user = e.user.or_else(|| text(o, "username"));
                e
            }
            Action::ClientVersion | Action::ClientKex | Action::ClientFingerprint => {
                let mut e = base(&ctx, EventKind::ClientInfo, t)?;
                e.detail = match action {
                    Action::ClientVersion => text(o, "version"),
                    Action::ClientKex => text(o, "hassh"),
                    _ => {
                        e.user = text(o, "username");
                        text(o, "fingerprint")
                    }
                };
                e
            }
            Action::TunnelRequest => tunnel(o, &ctx, t)?,
            // Handled by the caller; kept total so a new variant cannot slip through silently.
            Action::Ignore(category) => return Ok(LineOutcome::Ignored(category)),
        };
        e.session = ctx.session;
        out.push(e);
        Ok(LineOutcome::Events(1))
    }

    /// The shared fields of a line: timestamp, sensor, session, addresses, ports, protocol.
    fn context(&mut self, o: &Object<'_>) -> Result<Ctx, &'static str> {
        let ts = match o.get("timestamp") {
            None | Some(Val::Null) => return Err("missing timestamp"),
            Some(Val::Str(s)) => {
                let s = s.decode();
                let b = s.trim().as_bytes();
                match parse_datetime(b) {
                    Some((p, used)) if used == b.len() => self.clock.datetime_micros(p).map_err(|e| e.reason())?,
                    _ => return Err("bad timestamp"),
                }
            }
            Some(_) => return Err("bad timestamp"),
        };
        Ok(Ctx {
            ts,
            sensor: text(o, "sensor"),
            session: text(o, "session"),
            src: addr(o, "src_ip")?,
            src_port: port(o, "src_port")?,
            dst: addr(o, "dst_ip")?,
            dst_port: port(o, "dst_port")?,
            protocol: text(o, "protocol"),
        })
    }

    /// Remember (or refresh) what a connect says about its session.
    fn track_connect(&mut self, ctx: &Ctx, e: &Event) {
        let Some(id) = ctx.session.as_deref() else { return };
        if let Some(t) = self.sessions.get_mut(id) {
            // A login seen before its connect (files filtered per attacker are not sorted):
            // keep the login state, take the addresses.
            t.src_ip = e.src_ip.or(t.src_ip);
            t.src_port = e.src_port.or(t.src_port);
            t.dst_ip = e.dst_ip.or(t.dst_ip);
            t.dst_port = e.dst_port.or(t.dst_port);
            t.protocol = keep(ctx.protocol.as_deref()).or(t.protocol.take());
            return;
        }
        self.sessions.insert(id, tracked_of(e, keep(ctx.protocol.as_deref())));
    }

    /// `cowrie.login.success|failed`: an auth event, plus a session open for the first success.
    fn login(
        &mut self,
        o: &Object<'_>,
        ctx: &Ctx,
        t: Option<&Tracked>,
        outcome: Outcome,
        out: &mut Vec<Event>,
    ) -> Result<LineOutcome, &'static str> {
        let password = text(o, "password");
        let fingerprint = text(o, "fingerprint");
        let key = password.is_none() && fingerprint.is_some();
        let mut e = base(ctx, if key { EventKind::KeyAuth } else { EventKind::Auth }, t)?;
        e.session = ctx.session.clone();
        e.outcome = Some(outcome);
        e.user = text(o, "username");
        e.password = password;
        if key {
            e.detail = fingerprint;
        }
        let first = outcome == Outcome::Success && self.mark_logged_in(ctx, &e);
        let mut open = first.then(|| e.clone());
        out.push(e);
        Ok(match open.as_mut() {
            Some(s) => {
                s.kind = EventKind::SessionOpen;
                s.outcome = None;
                s.password = None;
                s.detail = None;
                out.extend(open);
                LineOutcome::Events(2)
            }
            None => LineOutcome::Events(1),
        })
    }

    /// Record a successful login; true if it is the session's first (it opens the session).
    fn mark_logged_in(&mut self, ctx: &Ctx, e: &Event) -> bool {
        let Some(id) = ctx.session.as_deref().filter(|id| SessionMap::trackable(id)) else {
            // Untrackable: nothing can match its close, but the attacker did get in.
            return true;
        };
        if let Some(t) = self.sessions.get_mut(id) {
            if t.logged_in {
                return false;
            }
            t.logged_in = true;
            t.user = keep(e.user.as_deref());
            return true;
        }
        let mut t = tracked_of(e, keep(e.service.as_deref()));
        t.user = keep(e.user.as_deref());
        t.logged_in = true;
        self.sessions.insert(id, t);
        true
    }
}

fn tracked_of(e: &Event, protocol: Option<String>) -> Tracked {
    let mut t = Tracked::default();
    t.src_ip = e.src_ip;
    t.src_port = e.src_port;
    t.dst_ip = e.dst_ip;
    t.dst_port = e.dst_port;
    t.protocol = protocol;
    t
}

/// An event with the line's shared fields, the session's remembered ones filling the gaps.
/// Rejects an event that ends up without any source address.
fn base(ctx: &Ctx, kind: EventKind, t: Option<&Tracked>) -> Result<Event, &'static str> {
    let mut e = Event::new(ctx.ts, SourceFormat::Cowrie, kind);
    e.sensor = ctx.sensor.clone();
    e.proto = Some("tcp".to_owned());
    match &ctx.src {
        Some(Addr::Ip(ip)) => e.src_ip = Some(*ip),
        Some(Addr::Name(h)) => e.src_host = Some(h.clone()),
        None => e.src_ip = t.and_then(|t| t.src_ip),
    }
    if e.src_ip.is_none() && e.src_host.is_none() {
        return Err("missing src_ip");
    }
    e.src_port = ctx.src_port.or_else(|| t.and_then(|t| t.src_port));
    e.dst_ip = match &ctx.dst {
        Some(Addr::Ip(ip)) => Some(*ip),
        // A name where the honeypot's address belongs is left unset.
        Some(Addr::Name(_)) => None,
        None => t.and_then(|t| t.dst_ip),
    };
    e.dst_port = ctx.dst_port.or_else(|| t.and_then(|t| t.dst_port));
    e.service = ctx.protocol.clone().or_else(|| t.and_then(|t| t.protocol.clone()));
    e.user = t.and_then(|t| t.user.clone());
    Ok(e)
}

/// `cowrie.direct-tcpip.request`: `dst_ip`/`dst_port` are the REQUESTED destination, not the
/// honeypot. Before Cowrie 2.6 `src_port` is the originator port the client claims (often
/// `localhost:8080`); 2.6+ names that `orig_port` and `src_port` is the real one. The
/// attacker's real port comes from the session's connect.
fn tunnel(o: &Object<'_>, ctx: &Ctx, t: Option<&Tracked>) -> Result<Event, &'static str> {
    let mut e = base(ctx, EventKind::Tunnel, t)?;
    let new_schema = o.contains("orig_port") || o.contains("orig_ip");
    e.src_port = t.and_then(|t| t.src_port).or(if new_schema { ctx.src_port } else { None });
    let host = match &ctx.dst {
        Some(Addr::Ip(ip)) => {
            e.dst_ip = Some(*ip);
            Some(match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            })
        }
        Some(Addr::Name(h)) => {
            e.dst_ip = None;
            Some(h.clone())
        }
        None => {
            e.dst_ip = None;
            None
        }
    };
    e.dst_port = ctx.dst_port;
    e.detail = match (host, ctx.dst_port) {
        (Some(h), Some(p)) => Some(format!("{h}:{p}")),
        (Some(h), None) => Some(h),
        (None, Some(p)) => Some(format!(":{p}")),
        (None, None) => None,
    };
    Ok(e)
}

/// A text field: strings as written, numbers and booleans in their JSON spelling; absent,
/// `null`, arrays and objects → `None`. Empty strings are kept (an empty password was tried),
/// except for the fields where empty means unset (sensor, session, protocol, urls, hashes...),
/// which is every field but `username`, `password` and `input`.
fn text(o: &Object<'_>, k: &str) -> Option<String> {
    let s = match o.get(k)? {
        Val::Str(s) => s.decode().into_owned(),
        Val::Num(n) => n.to_owned(),
        Val::Bool(b) => b.to_string(),
        Val::Null | Val::Array | Val::Object => return None,
    };
    (!s.is_empty() || matches!(k, "username" | "password" | "input")).then_some(s)
}

/// Longest text taken for a host name in an address field (DNS names are at most 253).
const MAX_HOST_LEN: usize = 253;

/// An address field: an IP (`::ffff:a.b.c.d` canonicalized), a host name, or absent/empty.
fn addr(o: &Object<'_>, k: &str) -> Result<Option<Addr>, &'static str> {
    let s = match o.get(k) {
        None | Some(Val::Null) => return Ok(None),
        Some(Val::Str(s)) => s.decode(),
        Some(_) => return Err("bad address"),
    };
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(ip) = crate::ip_before_zone(s.as_bytes()) {
        return Ok(Some(Addr::Ip(ip)));
    }
    let hostish = s.len() <= MAX_HOST_LEN
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        && s.bytes().any(|c| c.is_ascii_alphanumeric());
    if hostish { Ok(Some(Addr::Name(s.to_owned()))) } else { Err("bad address") }
}

/// A port: a JSON integer or a decimal string in 0..=65535; absent, `null` or `""` → unset.
fn port(o: &Object<'_>, k: &str) -> Result<Option<u16>, &'static str> {
    let s = match o.get(k) {
        None | Some(Val::Null) => return Ok(None),
        Some(Val::Num(n)) => Cow::Borrowed(n),
        Some(Val::Str(s)) => s.decode(),
        Some(_) => return Err("bad port"),
    };
    match s.trim() {
        "" => Ok(None),
        p => p.parse::<u16>().map(Some).map_err(|_| "bad port"),
    }
}

/// `cowrie.session.closed` duration in seconds: `duration` (seconds: a number until 2024, a
/// string like `"88.7"` in 2026) or `duration_ms` (milliseconds, Cowrie 2.6+). Negative,
/// infinite or unreadable values are rejected.
fn duration(o: &Object<'_>) -> Result<Option<f64>, &'static str> {
    match seconds(o.get("duration"), 1.0)? {
        Some(d) => Ok(Some(d)),
        None => seconds(o.get("duration_ms"), 1000.0),
    }
}

fn seconds(v: Option<Val<'_>>, per_second: f64) -> Result<Option<f64>, &'static str> {
    let x = match v {
        None | Some(Val::Null) => return Ok(None),
        Some(Val::Num(n)) => n.parse::<f64>().ok(),
        Some(Val::Str(s)) if s.decode().trim().is_empty() => return Ok(None),
        Some(Val::Str(s)) => s.decode().trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match x {
        Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x / per_second)),
        _ => Err("bad duration"),
    }
}
