//! Connections: 302013-302016 (TCP/UDP built/teardown), 302020/302021 (ICMP), 305011/305012
//! (NAT translations), 304001 (URL accessed), 3380xx (botnet traffic filter).

use super::conns::{Direction, key};
use super::fields::{
    Endpoint, after, endpoint_bare, endpoint_colon, identity, parse_addr, parse_duration, parse_port, parse_u64,
    proto_name, set_dst, set_src, split_once, user_of, word,
};
use super::{AsaParser, Ctx};
use crate::{Event, EventKind, Outcome, text};

/// `inbound` / `outbound`.
fn direction(w: &[u8]) -> Option<Direction> {
    match w {
        b"inbound" => Some(Direction::Inbound),
        b"outbound" => Some(Direction::Outbound),
        _ => None,
    }
}

/// (source, destination) of a connection logged as `for A to B`: the `for` side started an
/// inbound connection, the `to` side an outbound one.
fn orient<'e, 'a>(dir: Direction, for_side: &'e Endpoint<'a>, to_side: &'e Endpoint<'a>) -> [&'e Endpoint<'a>; 2] {
    match dir {
        Direction::Inbound => [for_side, to_side],
        Direction::Outbound => [to_side, for_side],
    }
}

/// A teardown whose `Built` line was not seen: the side with the lower port is the server (the
/// destination); equal or missing ports → outbound (the common case: inside clients).
fn guess_direction(for_side: &Endpoint<'_>, to_side: &Endpoint<'_>) -> Direction {
    match (for_side.port, to_side.port) {
        (Some(f), Some(t)) if t < f => Direction::Inbound,
        _ => Direction::Outbound,
    }
}

/// Fill source, destination, user and interfaces of a connection event.
fn fill(e: &mut Event, d: &mut super::fields::Detail, dir: Direction, for_side: &Endpoint<'_>, to_side: &Endpoint<'_>) {
    let [src, dst] = orient(dir, for_side, to_side);
    set_src(e, src);
    set_dst(e, dst, d);
    e.user = src.user().or_else(|| dst.user()).map(text);
    d.opt("src_if", src.iface);
    d.opt("dst_if", dst.iface);
}

impl AsaParser {
    /// `Built inbound|outbound TCP|UDP connection ID for IFACE:A/p (mA/mp)[(idfw)] to IFACE:B/q
    /// (mB/mq)[(idfw)][ (user)]` (302013, 302015).
    pub(super) fn built(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let r = body.strip_prefix(b"Built ")?;
        let (dir, r) = word(r);
        let dir = direction(dir)?;
        let (proto, r) = word(r);
        let r = r.strip_prefix(b" connection ")?;
        let (id, r) = word(r);
        parse_u64(id)?;
        let r = r.strip_prefix(b" for ")?;
        let (for_seg, to_seg) = split_once(r, b" to ")?;
        let for_side = endpoint_colon(for_seg)?;
        let to_side = endpoint_colon(to_seg)?;
        self.conns.insert(key(&[ctx.host.unwrap_or_default(), id]), dir);
        ctx.set(e, EventKind::Connection, None);
        let mut d = ctx.detail();
        fill(e, &mut d, dir, &for_side, &to_side);
        e.proto = Some(proto_name(proto));
        e.session = Some(text(id));
        e.detail = Some(d.finish());
        Some(())
    }

    /// `Teardown TCP|UDP connection ID for IFACE:A/p[ ...] to IFACE:B/q[ ...] duration H:MM:SS
    /// bytes N[ REASON][ from IFACE][ (user)]` (302014, 302016).
    pub(super) fn teardown(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let r = body.strip_prefix(b"Teardown ")?;
        let (proto, r) = word(r);
        let r = r.strip_prefix(b" connection ")?;
        let (id, r) = word(r);
        parse_u64(id)?;
        let r = r.strip_prefix(b" for ")?;
        let (for_seg, r) = split_once(r, b" to ")?;
        let (to_seg, tail) = split_once(r, b" duration ")?;
        let for_side = endpoint_colon(for_seg)?;
        let to_side = endpoint_colon(to_seg)?;
        let (dur, tail) = word(tail);
        let duration = parse_duration(dur)?;
        let tail = tail.strip_prefix(b" bytes ")?;
        let (bytes, tail) = word(tail);
        let bytes = parse_u64(bytes)?;
        let dir = self
            .conns
            .remove(key(&[ctx.host.unwrap_or_default(), id]))
            .unwrap_or_else(|| guess_direction(&for_side, &to_side));
        ctx.set(e, EventKind::Connection, None);
        let mut d = ctx.detail();
        fill(e, &mut d, dir, &for_side, &to_side);
        // `REASON[ from IFACE][ (user)]`
        let tail = tail.trim_ascii();
        let tail = match super::fields::find(tail, b" (").or_else(|| tail.starts_with(b"(").then_some(0)) {
            Some(i) => tail.get(..i).unwrap_or_default(),
            None => tail,
        };
        let (reason, initiator) = match split_once(tail, b" from ") {
            Some((r, i)) => (r, Some(i.trim_ascii())),
            None => (tail, None),
        };
        d.opt("initiator", initiator);
        e.conn_state = (!reason.is_empty()).then(|| text(reason));
        e.proto = Some(proto_name(proto));
        e.session = Some(text(id));
        e.duration = Some(duration);
        e.dst_bytes = Some(bytes);
        e.detail = Some(d.finish());
        Some(())
    }

    /// `Built inbound|outbound ICMP connection for faddr F/x gaddr G/x laddr L/x[ type T code C]`
    /// (302020) and `Teardown ICMP connection for faddr ... [ type T code C]` (302021). The `/x`
    /// numbers are ICMP identifiers, not ports; the type and code go into the ports (Zeek style).
    pub(super) fn icmp_conn(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let (verb, r) = word(body);
        let (dir, r) = match verb {
            b"Built" => {
                let (w, r) = word(r);
                (Some(direction(w)?), r)
            }
            b"Teardown" => (None, r),
            _ => return None,
        };
        let (proto, r) = word(r);
        let r = after(r, b"faddr ")?;
        let (f_seg, r) = split_once(r, b" gaddr ")?;
        let (g_seg, r) = split_once(r, b" laddr ")?;
        let (l_seg, tail) = match super::fields::find(r, b" type ") {
            Some(i) => (r.get(..i)?, r.get(i..)?),
            None => (r, &b""[..]),
        };
        let faddr = endpoint_bare(f_seg)?;
        let laddr = endpoint_bare(l_seg)?;
        let k = key(&[ctx.host.unwrap_or_default(), word(f_seg).0, word(g_seg).0, word(l_seg).0]);
        let dir = match dir {
            Some(d) => {
                self.conns.insert(k, d);
                d
            }
            // Without its Built line, the foreign side is taken as the source.
            None => self.conns.remove(k).unwrap_or(Direction::Inbound),
        };
        ctx.set(e, EventKind::Connection, None);
        let mut d = ctx.detail();
        fill(e, &mut d, dir, &faddr, &laddr);
        let num = |pat: &[u8]| after(tail, pat).and_then(|v| parse_port(word(v).0));
        e.src_port = num(b" type ");
        e.dst_port = num(b" code ");
        if let Some(t) = e.src_port {
            d.kv("type", t.to_string().as_bytes());
        }
        if let Some(c) = e.dst_port {
            d.kv("code", c.to_string().as_bytes());
        }
        e.proto = Some(proto_name(proto));
        e.detail = Some(d.finish());
        Some(())
    }
}

/// `Built|Teardown dynamic|static[ P] translation from IFACE:A/p to IFACE:B/q[ duration D]`
/// (305011, 305012): `other`, the real (`from`) side as source, the mapped side in the detail.
pub(super) fn xlate(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (verb, r) = word(body);
    if verb != b"Built" && verb != b"Teardown" {
        return None;
    }
    let (_, r) = word(r);
    let (w, r) = word(r);
    let proto = if w == b"translation" { None } else { Some(proto_name(w)) };
    let r = after(r, b"from ")?;
    let (real_seg, r) = split_once(r, b" to ")?;
    let (mapped_seg, duration) = match split_once(r, b" duration ") {
        Some((m, d)) => (m, Some(parse_duration(word(d).0)?)),
        None => (r, None),
    };
    let real = endpoint_colon(real_seg)?;
    endpoint_colon(mapped_seg)?;
    ctx.set(e, EventKind::Other, None);
    let mut d = ctx.detail();
    set_src(e, &real);
    e.user = real.user().map(text);
    d.opt("src_if", real.iface);
    d.kv("mapped", mapped_seg.trim_ascii());
    e.proto = proto;
    e.duration = duration;
    e.detail = Some(d.finish());
    Some(())
}

/// `[USER@]A[(DOMAIN\USER)] Accessed URL B:URL` (304001): connection, success, proto tcp.
pub(super) fn url_accessed(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (src_tok, r) = split_once(body, b" Accessed URL ")?;
    let src_tok = src_tok.trim_ascii();
    let (src_tok, ident) = match memchr::memchr(b'(', src_tok) {
        Some(i) => (src_tok.get(..i)?, src_tok.get(i..)),
        None => (src_tok, None),
    };
    let (user, src_tok) = match memchr::memrchr(b'@', src_tok) {
        Some(i) => (src_tok.get(..i), src_tok.get(i + 1..)?),
        None => (None, src_tok),
    };
    let src = endpoint_bare(src_tok)?;
    // `B:URL`: B has no `:` unless it is IPv6; take the first colon after which B parses.
    let r = r.trim_ascii();
    let (dst, url) = memchr::memchr_iter(b':', r)
        .find_map(|i| Some((parse_addr(r.get(..i)?)?, r.get(i + 1..)?)))
        .or_else(|| Some((parse_addr(r)?, &b""[..])))?;
    ctx.set(e, EventKind::Connection, Some(Outcome::Success));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &Endpoint { iface: None, addr: dst, port: None, ident: None }, &mut d);
    let ident_user = ident.and_then(identity).and_then(user_of);
    e.user = user.filter(|u| !u.is_empty()).or(ident_user).map(text);
    d.kv("url", url);
    e.proto = Some("tcp".to_owned());
    e.detail = Some(d.finish());
    Some(())
}

/// `Dynamic Filter VERB LIST P traffic from IFACE:A/p (mA/mp) to IFACE:B/q (mB/mq), TAIL`
/// (338001-338008, 338101-338104, 338201-338204): `dropped` → deny; `permitted` / `monitored` →
/// connection, success. The verb, list and tail (`destination B resolved from dynamic list:
/// NAME, threat-level: L, category: C`) go into the detail.
pub(super) fn dynamic_filter(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let r = body.strip_prefix(b"Dynamic Filter ")?;
    let (head, r) = split_once(r, b" traffic from ")?;
    let (verb, list) = word(head);
    let list = list.trim_ascii();
    let (list, proto) = match memchr::memrchr(b' ', list) {
        Some(i) => (list.get(..i)?, list.get(i + 1..)?),
        None => (&b""[..], list),
    };
    let (src_seg, r) = split_once(r, b" to ")?;
    let (dst_seg, tail) = split_once(r, b", ").unwrap_or((r, b""));
    let src = endpoint_colon(src_seg)?;
    let dst = endpoint_colon(dst_seg)?;
    let (kind, outcome) = match verb {
        b"dropped" => (EventKind::Deny, Outcome::Failure),
        b"permitted" | b"monitored" => (EventKind::Connection, Outcome::Success),
        _ => return None,
    };
    ctx.set(e, kind, Some(outcome));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    d.kv("action", verb);
    d.kv("list", list.trim_ascii());
    d.opt("src_if", src.iface);
    d.opt("dst_if", dst.iface);
    d.kv("match", tail.trim_ascii());
    e.proto = Some(proto_name(proto));
    e.detail = Some(d.finish());
    Some(())
}

/// `Built ROLE stub P connection for IFACE:A/p (m) to IFACE:B/q (m)` (302022, 302024, 302026)
/// and `Teardown stub P connection for IFACE:A/p to IFACE:B/q duration D forwarded bytes N
/// REASON` (302023, 302025, 302027): a cluster's director / backup / forwarder flow. The lines
/// do not say which side started it: the `for` side is the source. `connection`, detail
/// `role`, `stub=1`; a teardown adds duration, `dst_bytes` = the forwarded bytes, `conn_state`.
pub(super) fn stub(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (verb, r) = word(body);
    let (role, r) = match verb {
        b"Built" => {
            let (role, r) = word(r);
            (Some(role), r)
        }
        b"Teardown" => (None, r),
        _ => return None,
    };
    let (stub, r) = word(r);
    if stub != b"stub" {
        return None;
    }
    let (proto, r) = word(r);
    let r = r.strip_prefix(b" connection for ")?;
    let (for_seg, r) = split_once(r, b" to ")?;
    let (to_seg, tail) = match split_once(r, b" duration ") {
        Some((t, tail)) => (t, Some(tail)),
        None => (r, None),
    };
    let for_side = endpoint_colon(for_seg)?;
    let to_side = endpoint_colon(to_seg)?;
    ctx.set(e, EventKind::Connection, None);
    let mut d = ctx.detail();
    fill(e, &mut d, Direction::Inbound, &for_side, &to_side);
    d.opt("role", role);
    d.kv("stub", b"1");
    if let Some(tail) = tail {
        let (dur, tail) = word(tail);
        e.duration = Some(parse_duration(dur)?);
        let tail = tail.strip_prefix(b" forwarded bytes ")?;
        let (bytes, reason) = word(tail);
        e.dst_bytes = Some(parse_u64(bytes)?);
        let reason = reason.trim_ascii();
        e.conn_state = (!reason.is_empty()).then(|| text(reason));
    }
    e.proto = Some(proto_name(proto));
    e.detail = Some(d.finish());
    Some(())
}

/// `FTP connection from IFACE:A/p to IFACE:B/q, user U ACTION file F` (303002): a file stored or
/// retrieved: `connection`, success, proto tcp, user U, `action`, `file`.
pub(super) fn ftp_file(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let r = body.strip_prefix(b"FTP connection from ")?;
    let (src_seg, r) = split_once(r, b" to ")?;
    let (dst_seg, r) = split_once(r, b", user ")?;
    let src = endpoint_colon(src_seg)?;
    let dst = endpoint_colon(dst_seg)?;
    let (user, r) = word(r);
    let (action, r) = word(r);
    let file = after(r, b"file ").unwrap_or_default().trim_ascii();
    ctx.set(e, EventKind::Connection, Some(Outcome::Success));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    e.user = (!user.is_empty()).then(|| text(user));
    d.opt("src_if", src.iface);
    d.opt("dst_if", dst.iface);
    d.kv("action", &action.to_ascii_lowercase());
    d.kv("file", file);
    e.proto = Some("tcp".to_owned());
    e.service = Some("ftp".to_owned());
    e.detail = Some(d.finish());
    Some(())
}

/// `Offloaded P Flow for connection ID from IFACE:A/p (m) to IFACE:B/q (m)` (805001) and `P Flow
/// is no longer offloaded for connection ID from ... to ...` (805002): bookkeeping of a flow
/// already logged as Built/Teardown, so `other` (not a second connection): src A, dst B, session
/// ID, `action` = `offloaded` / `unoffloaded`.
pub(super) fn offload(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (proto, action, r) = match body.strip_prefix(b"Offloaded ") {
        Some(r) => {
            let (proto, r) = word(r);
            (proto, &b"offloaded"[..], r.strip_prefix(b" Flow for connection ")?)
        }
        None => {
            let (proto, r) = word(body);
            (proto, &b"unoffloaded"[..], r.strip_prefix(b" Flow is no longer offloaded for connection ")?)
        }
    };
    let (id, r) = word(r);
    parse_u64(id)?;
    let r = r.strip_prefix(b" from ")?;
    let (src_seg, dst_seg) = split_once(r, b" to ")?;
    let src = endpoint_colon(src_seg)?;
    let dst = endpoint_colon(dst_seg)?;
    ctx.set(e, EventKind::Other, None);
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    d.kv("action", action);
    e.session = Some(text(id));
    e.proto = Some(proto_name(proto));
    e.detail = Some(d.finish());
    Some(())
}

/// `Built local-host ZONE:A` (609001) and `Teardown local-host ZONE:A duration D` (609002): the
/// firewall's state for host A: `other`, src A, `zone`, duration.
pub(super) fn local_host(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (verb, r) = word(body);
    let r = match verb {
        b"Built" | b"Teardown" => r.strip_prefix(b" local-host ").or_else(|| r.strip_prefix(b" local_host "))?,
        _ => return None,
    };
    let (seg, duration) = match split_once(r, b" duration ") {
        Some((s, d)) => (s, Some(parse_duration(word(d).0)?)),
        None => (r, None),
    };
    let host = endpoint_colon(seg)?;
    ctx.set(e, EventKind::Other, None);
    let mut d = ctx.detail();
    set_src(e, &host);
    d.kv("action", &verb.to_ascii_lowercase());
    d.opt("zone", host.iface);
    e.duration = duration;
    e.detail = Some(d.finish());
    Some(())
}
