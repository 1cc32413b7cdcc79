//! Addresses in sshd messages, and the injection-safe split of `X from A ...`.

use std::net::IpAddr;

use crate::{Event, ip_before_zone, port_number, text};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Addr<'a> {
    Ip(IpAddr),
    Host(&'a [u8]),
}

/// `A[ port N][ sshN][ via V]`
pub(super) struct AddrTail<'a> {
    pub(super) addr: Addr<'a>,
    pub(super) port: Option<u16>,
    pub(super) via: Option<&'a [u8]>,
}

/// `X from A[ port N][ sshN]...` split at the right ` from `.
pub(super) struct UserFrom<'a> {
    pub(super) user: &'a [u8],
    pub(super) addr: Addr<'a>,
    pub(super) port: Option<u16>,
    pub(super) via: Option<&'a [u8]>,
}

/// `A[ port N][ sshN][ via V]` followed by the end, `:` or ` [`.
pub(super) fn addr_tail(t: &[u8], allow_via: bool) -> Option<AddrTail<'_>> {
    let (addr, port, mut r) = addr_port(t)?;
    if let Some(p) = r.strip_prefix(b" ssh") {
        let n = p.iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            r = p.get(n..).unwrap_or_default();
        }
    }
    let mut via = None;
    if allow_via && let Some(v) = r.strip_prefix(b" via ") {
        let end = memchr::memchr(b' ', v).unwrap_or(v.len());
        via = v.get(..end);
        r = v.get(end..).unwrap_or_default();
    }
    match r {
        [] | [b':', ..] | [b' ', b'[', ..] => Some(AddrTail { addr, port, via }),
        _ => None,
    }
}

/// `A[ port N]` → address, port, rest.
pub(super) fn addr_port(t: &[u8]) -> Option<(Addr<'_>, Option<u16>, &[u8])> {
    let end = memchr::memchr(b' ', t).unwrap_or(t.len());
    let addr = parse_addr(t.get(..end)?)?;
    let mut r = t.get(end..)?;
    let mut port = None;
    if let Some(p) = r.strip_prefix(b" port ") {
        let n = p.iter().take_while(|c| c.is_ascii_digit()).count();
        port = Some(port_number(p.get(..n)?)?);
        r = p.get(n..)?;
    }
    Some((addr, port, r))
}

/// An address, or a host name (see the parser's module doc), or nothing.
pub(super) fn parse_addr(tok: &[u8]) -> Option<Addr<'_>> {
    if tok.is_empty() || tok.len() > 253 {
        return None;
    }
    if let Some(ip) = ip_before_zone(tok) {
        return Some(Addr::Ip(ip));
    }
    let hostish = tok.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    (hostish && tok.iter().any(u8::is_ascii_alphanumeric)).then_some(Addr::Host(tok))
}

pub(super) fn set_src(e: &mut Event, a: Addr<'_>) {
    match a {
        Addr::Ip(ip) => e.src_ip = Some(ip),
        Addr::Host(h) => e.src_host = Some(text(h)),
    }
}
