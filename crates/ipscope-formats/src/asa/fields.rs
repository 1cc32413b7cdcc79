//! The pieces ASA bodies are made of: addresses (or names), `iface:addr/port` endpoints with
//! their parenthesized extras, durations, and the `detail` text.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::MAX_DETAIL_LEN;
use crate::{Event, text};

/// An address slot: an IP address, or a name (ASA `names` / object names, FQDNs, and text that
/// only looks like an address, e.g. `192.1682.2.2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Addr<'a> {
    Ip(IpAddr),
    Host(&'a [u8]),
}

/// The longest name accepted in an address slot (a DNS name is at most 253 bytes).
const MAX_NAME_LEN: usize = 253;

/// An address or a name; `None` for anything else (empty, spaces, odd punctuation).
pub(super) fn parse_addr(tok: &[u8]) -> Option<Addr<'_>> {
    if tok.is_empty() || tok.len() > MAX_NAME_LEN {
        return None;
    }
    if let Ok(s) = std::str::from_utf8(tok) {
        // A zone index (`fe80::1%inside`) is not part of the address.
        let s = s.split_once('%').map_or(s, |(a, _)| a);
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Some(Addr::Ip(ipscope_event::canonical_ip(ip)));
        }
    }
    let namish = tok.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'));
    (namish && tok.iter().any(u8::is_ascii_alphanumeric)).then_some(Addr::Host(tok))
}

/// Digits → port; `None` if not a number or out of range.
pub(super) fn parse_port(d: &[u8]) -> Option<u16> {
    if d.len() > 5 {
        return None;
    }
    crate::port_number(d)
}

/// Digits → u64 (connection ids, byte counts, hit counts).
pub(super) fn parse_u64(d: &[u8]) -> Option<u64> {
    if d.is_empty() || d.len() > 20 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(d).ok()?.parse().ok()
}

/// `ADDR[/PORT]` → address, port (the last `/` splits: IPv6 addresses contain no `/`).
pub(super) fn addr_port(tok: &[u8]) -> Option<(Addr<'_>, Option<u16>)> {
    match memchr::memrchr(b'/', tok) {
        Some(i) => Some((parse_addr(tok.get(..i)?)?, Some(parse_port(tok.get(i + 1..)?)?))),
        None => Some((parse_addr(tok)?, None)),
    }
}

/// One side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Endpoint<'a> {
    pub(super) iface: Option<&'a [u8]>,
    pub(super) addr: Addr<'a>,
    pub(super) port: Option<u16>,
    /// An identity in parentheses (`(LOCAL\user)`, `(LOCAL\user, 321:Test_VLAN)`, `(user)`),
    /// the security-group part removed: see [`Endpoint::user`].
    pub(super) ident: Option<&'a [u8]>,
}

impl<'a> Endpoint<'a> {
    /// The identity's user name, its domain (`LOCAL\`) removed.
    pub(super) fn user(&self) -> Option<&'a [u8]> {
        user_of(self.ident?)
    }

    /// Whether the identity is `DOMAIN\user` (not an FQDN, which 106023 puts in the same place).
    pub(super) fn domain_user(&self) -> bool {
        self.ident.is_some_and(|i| i.contains(&b'\\'))
    }
}

/// `IFACE:ADDR[/PORT][ (mapped/port)][(identity)][ words]`. The interface is everything before
/// the first `:` (it may contain spaces: `NP Identity Ifc`; IPv6 addresses come after it).
pub(super) fn endpoint_colon(seg: &[u8]) -> Option<Endpoint<'_>> {
    let seg = seg.trim_ascii();
    let colon = memchr::memchr(b':', seg)?;
    let iface = seg.get(..colon)?.trim_ascii();
    if iface.is_empty() {
        return None;
    }
    let mut e = endpoint_bare(seg.get(colon + 1..)?)?;
    e.iface = Some(iface);
    Some(e)
}

/// `ADDR[/PORT][ (mapped/port)][(identity)][ words]` (no interface).
pub(super) fn endpoint_bare(seg: &[u8]) -> Option<Endpoint<'_>> {
    let seg = seg.trim_ascii();
    let end = memchr::memchr2(b' ', b'(', seg).unwrap_or(seg.len());
    let (addr, port) = addr_port(seg.get(..end)?)?;
    let ident = identity(seg.get(end..)?);
    Some(Endpoint { iface: None, addr, port, ident })
}

/// `IFACE/ADDR(PORT)[(identity)]` (106100). The interface is everything before the first `/`.
pub(super) fn endpoint_slash(seg: &[u8]) -> Option<Endpoint<'_>> {
    let seg = seg.trim_ascii();
    let slash = memchr::memchr(b'/', seg)?;
    let iface = seg.get(..slash)?.trim_ascii();
    let r = seg.get(slash + 1..)?;
    let open = memchr::memchr(b'(', r)?;
    let addr = parse_addr(r.get(..open)?)?;
    let r = r.get(open + 1..)?;
    let close = memchr::memchr(b')', r)?;
    let port = parse_port(r.get(..close)?)?;
    let ident = identity(r.get(close + 1..)?);
    Some(Endpoint { iface: (!iface.is_empty()).then_some(iface), addr, port: Some(port), ident })
}

/// `DOMAIN\user` → `user`.
pub(super) fn user_of(ident: &[u8]) -> Option<&[u8]> {
    let name = memchr::memrchr(b'\\', ident).and_then(|i| ident.get(i + 1..)).unwrap_or(ident);
    (!name.is_empty()).then_some(name)
}

/// The first parenthesized group of `extras` that is an identity rather than a mapped address:
/// `(LOCAL\user, 321:Test_VLAN)` → `LOCAL\user`.
pub(super) fn identity(extras: &[u8]) -> Option<&[u8]> {
    let mut r = extras;
    while let Some(open) = memchr::memchr(b'(', r) {
        let inner = r.get(open + 1..)?;
        let close = memchr::memchr(b')', inner)?;
        let group = inner.get(..close)?;
        r = inner.get(close + 1..)?;
        if is_mapped(group) {
            continue;
        }
        let name = group.split(|&c| c == b',').next().unwrap_or_default().trim_ascii();
        if !name.is_empty() {
            return Some(name);
        }
    }
    None
}

/// `(A/p)` or `(A)`: a mapped address (or name with a port) rather than an identity; a bare
/// IP address (`(10.0.0.1)`, 302026) is mapped too, a bare name (`(karibou)`) is a user.
fn is_mapped(group: &[u8]) -> bool {
    !group.contains(&b'\\')
        && !group.contains(&b',')
        && ((group.contains(&b'/') && addr_port(group).is_some()) || matches!(parse_addr(group), Some(Addr::Ip(_))))
}

/// `H:MM:SS` (hours unbounded: `23:59:59`, `10:00:00`, `1234:00:00`) or `D:HH:MM:SS` → seconds.
pub(super) fn parse_duration(d: &[u8]) -> Option<f64> {
    let mut parts = [0u64; 4];
    let mut n = 0;
    for p in d.split(|&c| c == b':') {
        *parts.get_mut(n)? = parse_u64(p)?;
        n += 1;
    }
    let secs = match parts.get(..n)? {
        [h, m, s] if *m < 60 && *s < 60 => h.checked_mul(3600)?.checked_add(m * 60 + s)?,
        [d, h, m, s] if *h < 24 && *m < 60 && *s < 60 => d.checked_mul(86_400)?.checked_add(h * 3600 + m * 60 + s)?,
        _ => return None,
    };
    // Durations this large are far inside f64's exact integer range (2^53).
    Some(secs as f64)
}

/// The first position of `pat` in `s`. The needles here are short literals and the haystacks
/// one log line, where building a `memmem::Finder` per call costs more than the search: scan
/// for the needle's first byte and compare.
pub(super) fn find(s: &[u8], pat: &[u8]) -> Option<usize> {
    let (&first, _) = pat.split_first()?;
    memchr::memchr_iter(first, s).find(|&i| s.get(i..).is_some_and(|t| t.starts_with(pat)))
}

/// `s` after the first `pat`.
pub(super) fn after<'a>(s: &'a [u8], pat: &[u8]) -> Option<&'a [u8]> {
    find(s, pat).and_then(|i| s.get(i + pat.len()..))
}

/// `s` split around the first `pat`.
pub(super) fn split_once<'a>(s: &'a [u8], pat: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let i = find(s, pat)?;
    Some((s.get(..i)?, s.get(i + pat.len()..)?))
}

/// The first space-delimited word of `s` and the rest (starting at the space).
pub(super) fn word(s: &[u8]) -> (&[u8], &[u8]) {
    let s = s.trim_ascii_start();
    let end = memchr::memchr(b' ', s).unwrap_or(s.len());
    (s.get(..end).unwrap_or_default(), s.get(end..).unwrap_or_default())
}

/// A protocol word or number → lowercase name (`TCP` → `tcp`, `6` → `tcp`, `47` → `gre`).
pub(super) fn proto_name(p: &[u8]) -> String {
    match p {
        b"1" => "icmp".to_owned(),
        b"6" => "tcp".to_owned(),
        b"17" => "udp".to_owned(),
        b"47" => "gre".to_owned(),
        b"50" => "esp".to_owned(),
        b"51" => "ah".to_owned(),
        b"58" => "icmp6".to_owned(),
        _ => text(p).to_ascii_lowercase(),
    }
}

pub(super) fn is_icmp(proto: &str) -> bool {
    matches!(proto, "icmp" | "icmp6" | "icmpv6")
}

/// The source side of an event.
pub(super) fn set_src(e: &mut Event, ep: &Endpoint<'_>) {
    match ep.addr {
        Addr::Ip(ip) => e.src_ip = Some(ip),
        Addr::Host(h) => e.src_host = Some(text(h)),
    }
    e.src_port = ep.port;
}

/// The destination side of an event; a name leaves the address unset (there is no `dst_host`)
/// and is noted in the detail as `dst_host=NAME`.
pub(super) fn set_dst(e: &mut Event, ep: &Endpoint<'_>, d: &mut Detail) {
    match ep.addr {
        Addr::Ip(ip) => e.dst_ip = Some(ip),
        Addr::Host(h) => d.kv("dst_host", h),
    }
    e.dst_port = ep.port;
}

/// The `detail` text: the message id, then ` key=value` pairs (a value with a space in double
/// quotes), capped at [`MAX_DETAIL_LEN`] bytes.
pub(super) struct Detail(String);

impl Detail {
    pub(super) fn new(id: u32) -> Detail {
        let mut s = String::with_capacity(64);
        let _ = write!(s, "{id:06}");
        Detail(s)
    }

    pub(super) fn kv(&mut self, key: &str, value: &[u8]) {
        let v = String::from_utf8_lossy(value);
        let quote = v.contains(' ') || v.is_empty();
        self.0.push(' ');
        self.0.push_str(key);
        self.0.push('=');
        if quote {
            self.0.push('"');
        }
        self.0.push_str(&v);
        if quote {
            self.0.push('"');
        }
    }

    pub(super) fn opt(&mut self, key: &str, value: Option<&[u8]>) {
        if let Some(v) = value {
            self.kv(key, v);
        }
    }

    pub(super) fn finish(mut self) -> String {
        if self.0.len() > MAX_DETAIL_LEN {
            let mut cut = MAX_DETAIL_LEN;
            while !self.0.is_char_boundary(cut) {
                cut -= 1;
            }
            self.0.truncate(cut);
        }
        self.0
    }
}
