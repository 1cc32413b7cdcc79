//! Addresses in sshd messages, and the injection-safe split of `X from A ...`.

use std::net::IpAddr;

use crate::{Event, text};

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

/// A port written as ASCII digits: `None` when there are none, one is not a digit, or it passes
/// 65535 (what `str::parse::<u16>` says of them, without checking UTF-8 first).
pub(super) fn port_number(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u16, |n, &c| {
        let d = c.wrapping_sub(b'0');
        if d > 9 { None } else { n.checked_mul(10)?.checked_add(u16::from(d)) }
    })
}

/// An address, or a host name (see the parser's module doc), or nothing.
pub(super) fn parse_addr(tok: &[u8]) -> Option<Addr<'_>> {
    if tok.is_empty() || tok.len() > 253 {
        return None;
    }
    // A zone index (`fe80::1%eth0`) is not part of the address.
    let ip = memchr::memchr(b'%', tok).map_or(tok, |i| tok.get(..i).unwrap_or_default());
    if let Ok(s) = std::str::from_utf8(ip)
        && let Ok(ip) = s.parse::<IpAddr>()
    {
        return Some(Addr::Ip(ipscope_event::canonical_ip(ip)));
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
