//! Scanner probes and silent attempts: connections that end before any authentication line.
//!
//! `Did not receive identification string from A`, `banner exchange: Connection from A port N:
//! invalid format`, `Bad protocol version identification '...' from A`, `Unable to negotiate with
//! A port N: ...` are always probes. A connection that ends before authenticating — `Connection
//! closed by [authenticating user U |invalid user U ]A port N [preauth]`, `Received disconnect
//! from A port N:11: Bye Bye [preauth]`, `Disconnected from ... [preauth]`, `Connection reset by
//! ... [preauth]` — is one when its connection had no authentication line (`Failed`, `Accepted`,
//! `Invalid user`, PAM failure): on a server that only accepts keys it is the only trace of an
//! attempt at a valid user such as root. Each becomes ONE `connection` event with outcome
//! `failure` (what `scans` / `scanners` count as unanswered), `conn_state` = the category, user U
//! when logged; the next end line of the same connection is ignored as before (`disconnect`).
//!
//! A connection is identified by (syslog host, pid, source address), or (host, source address,
//! port) when there is no pid. The connections that logged an authentication line or a probe are
//! remembered, at most [`MAX_TRACKED_CONNECTIONS`] (oldest forgotten first).

use std::collections::{HashSet, VecDeque};

use super::Ctx;
use super::addr::{Addr, parse_addr};
use crate::port_number;

/// How many connections with an authentication line (or a probe) are remembered per stream, so
/// that their `[preauth]` end lines are not taken for probes. A connection's end follows its last
/// authentication line within seconds: 64 Ki entries (about 2 MiB) cover far more connections
/// starting in between than any real server sees.
pub const MAX_TRACKED_CONNECTIONS: usize = 65_536;

/// A probe line, parsed.
pub(super) struct Probe<'a> {
    /// `conn_state` of the event, also the category when the line is ignored instead.
    pub(super) state: &'static str,
    pub(super) addr: Addr<'a>,
    pub(super) port: Option<u16>,
    pub(super) user: Option<&'a [u8]>,
    /// Why, when the line says: `no matching key exchange method found`, `11: Bye Bye`.
    pub(super) detail: Option<&'a [u8]>,
    /// An end line: a probe only if its connection had no authentication line.
    pub(super) end_only: bool,
}

/// The connections seen authenticating (or probing), bounded.
#[derive(Default)]
pub(super) struct Seen {
    /// (foldhash: std's SipHash was 3 % of the sshd parser's instructions, for keys that are
    /// already hashes.)
    set: HashSet<u64, foldhash::fast::RandomState>,
    order: VecDeque<u64>,
}

impl Seen {
    pub(super) fn mark(&mut self, key: u64) {
        if self.set.insert(key) {
            self.order.push_back(key);
            if self.order.len() > MAX_TRACKED_CONNECTIONS
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }

    pub(super) fn contains(&self, key: u64) -> bool {
        self.set.contains(&key)
    }
}

/// The key of a connection: FNV-1a over the host, the pid (or else the port) and the address.
pub(super) fn conn_key(ctx: &Ctx<'_>, addr: Addr<'_>, port: Option<u16>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    let mut eat = |b: &[u8]| {
        for &c in b {
            h = (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(ctx.host.unwrap_or_default());
    match ctx.pid.filter(|p| !p.is_empty()) {
        Some(pid) => eat(pid),
        None => eat(&port.unwrap_or(0).to_be_bytes()),
    }
    match addr {
        Addr::Ip(std::net::IpAddr::V4(a)) => eat(&a.octets()),
        Addr::Ip(std::net::IpAddr::V6(a)) => eat(&a.octets()),
        Addr::Host(n) => eat(n),
    }
    h
}

/// `msg` as a probe line, if it is one.
pub(super) fn parse(msg: &[u8]) -> Option<Probe<'_>> {
    if let Some(r) = msg.strip_prefix(b"Did not receive identification string from ") {
        return from_addr(r, "no identification", None, false);
    }
    if let Some(r) = msg.strip_prefix(b"banner exchange: Connection from ") {
        let (a, p, rest) = addr_port_colon(r)?;
        let why = rest.strip_prefix(b":").map(<[u8]>::trim_ascii).filter(|w| !w.is_empty());
        return Some(Probe { state: "bad banner", addr: a, port: p, user: None, detail: why, end_only: false });
    }
    if let Some(r) = msg.strip_prefix(b"Bad protocol version identification ") {
        let at = memchr::memmem::rfind(r, b" from ")?;
        return from_addr(r.get(at + 6..)?, "bad banner", None, false);
    }
    if let Some(r) = msg.strip_prefix(b"Unable to negotiate with ") {
        let (a, p, rest) = addr_port_colon(r)?;
        let why = rest.strip_prefix(b": ").map(|w| {
            let w = match memchr::memmem::find(w, b". Their offer") {
                Some(i) => w.get(..i).unwrap_or(w),
                None => w,
            };
            strip_preauth(w)
        });
        return Some(Probe {
            state: "negotiation failure",
            addr: a,
            port: p,
            user: None,
            detail: why,
            end_only: false,
        });
    }
    // End lines: only with `[preauth]` (after a login, the same words end a session).
    let r = msg.strip_suffix(b" [preauth]")?;
    if let Some(r) = r.strip_prefix(b"Connection closed by ") {
        return end_line(r, "closed preauth");
    }
    if let Some(r) = r.strip_prefix(b"Connection reset by ") {
        return end_line(r, "reset preauth");
    }
    if let Some(r) = r.strip_prefix(b"Disconnected from ") {
        return end_line(r, "disconnect preauth");
    }
    if let Some(r) = r.strip_prefix(b"Received disconnect from ") {
        let (a, p, rest) = addr_port_colon(r)?;
        let why = rest.strip_prefix(b":").map(<[u8]>::trim_ascii).filter(|w| !w.is_empty());
        return Some(Probe { state: "disconnect preauth", addr: a, port: p, user: None, detail: why, end_only: true });
    }
    None
}

fn strip_preauth(s: &[u8]) -> &[u8] {
    s.strip_suffix(b" [preauth]").unwrap_or(s).trim_ascii()
}

/// `A[ port N]` and nothing else (a `[preauth]` suffix allowed).
fn from_addr<'a>(r: &'a [u8], state: &'static str, user: Option<&'a [u8]>, end_only: bool) -> Option<Probe<'a>> {
    let r = strip_preauth(r);
    let (addr, port, rest) = super::addr::addr_port(r)?;
    rest.is_empty().then_some(Probe { state, addr, port, user, detail: None, end_only })
}

/// `A[ port N]` followed by `:` or the end (`A: 11: Bye Bye`, `A port N:11: Bye Bye`).
fn addr_port_colon(r: &[u8]) -> Option<(Addr<'_>, Option<u16>, &[u8])> {
    let end = r.iter().position(|&c| c == b' ' || c == b':').unwrap_or(r.len());
    // An IPv6 address has colons: take the token up to the space when it parses as one.
    let space = memchr::memchr(b' ', r).unwrap_or(r.len());
    let (addr, mut rest) = match r.get(..space).and_then(parse_addr) {
        Some(a @ Addr::Ip(std::net::IpAddr::V6(_))) => (a, r.get(space..)?),
        _ => (parse_addr(r.get(..end)?)?, r.get(end..)?),
    };
    let mut port = None;
    if let Some(p) = rest.strip_prefix(b" port ") {
        let n = p.iter().take_while(|c| c.is_ascii_digit()).count();
        port = Some(port_number(p.get(..n)?)?);
        rest = p.get(n..)?;
    }
    (rest.is_empty() || rest.starts_with(b":")).then_some((addr, port, rest))
}

/// `[authenticating user U |invalid user U |user U ]A[ port N]` (the `[preauth]` already cut).
fn end_line<'a>(r: &'a [u8], state: &'static str) -> Option<Probe<'a>> {
    let (user, r) = if let Some(x) = r.strip_prefix(b"authenticating user ") {
        split_user(x)?
    } else if let Some(x) = r.strip_prefix(b"invalid user ") {
        split_user(x)?
    } else {
        (None, r)
    };
    from_addr(r, state, user, true)
}

/// `U A[ port N]` → (U, `A[ port N]`): the address is the last word before ` port`, so a user
/// name may contain spaces (and may be empty: `invalid user  A port N`).
fn split_user(r: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let head = match memchr::memmem::rfind(r, b" port ") {
        Some(i) => r.get(..i)?,
        None => r,
    };
    let sp = memchr::memrchr(b' ', head)?;
    let user = r.get(..sp)?;
    Some(((!user.is_empty()).then_some(user), r.get(sp + 1..)?))
}
