//! Denies: the 1060xx family, 106100 access-list hits, 313001/313004 ICMP denies, 304002 URL
//! denies and 710002/710003/710005 to-the-box traffic.

use super::Ctx;
use super::fields::{
    Endpoint, addr_port, after, endpoint_bare, endpoint_colon, endpoint_slash, is_icmp, parse_port, parse_u64,
    proto_name, set_dst, set_src, split_once, word,
};
use crate::{Event, EventKind, Outcome};

/// Leading words that are not the protocol.
fn skip_direction_words(mut s: &[u8]) -> &[u8] {
    loop {
        let (w, rest) = word(s);
        match w {
            b"Deny" | b"Inbound" | b"inbound" | b"Outbound" | b"outbound" => s = rest,
            _ => return s,
        }
    }
}

/// The protocol at the start of `s` (`tcp`, `protocol 47`) → (name, rest).
fn protocol(s: &[u8]) -> (String, &[u8]) {
    let (w, rest) = word(skip_direction_words(s));
    if w == b"protocol" {
        let (n, rest) = word(rest);
        return (proto_name(n), rest);
    }
    (proto_name(w), rest)
}

/// `A[/p]`, `(A)`, or `IFACE:A[/p]` as one token.
fn loose_endpoint(tok: &[u8]) -> Option<Endpoint<'_>> {
    let tok = tok.strip_prefix(b"(").and_then(|t| t.strip_suffix(b")")).unwrap_or(tok);
    let tok = tok.strip_suffix(b":").or_else(|| tok.strip_suffix(b",")).unwrap_or(tok);
    match addr_port(tok) {
        Some(_) => endpoint_bare(tok),
        None => endpoint_colon(tok),
    }
}

/// ` on interface I[.]` → I.
fn on_interface(s: &[u8]) -> Option<&[u8]> {
    let i = after(s, b" on interface ")?;
    let i = i.trim_ascii();
    Some(i.strip_suffix(b".").unwrap_or(i))
}

/// `type T, code C` / `type=T, code=C` → numbers (each optional).
fn type_code(s: &[u8]) -> (Option<u16>, Option<u16>) {
    let num = |pat: &[u8]| {
        let v = after(s, pat)?;
        let n = v.iter().take_while(|c| c.is_ascii_digit()).count();
        parse_port(v.get(..n)?)
    };
    (num(b"type ").or_else(|| num(b"type=")), num(b"code ").or_else(|| num(b"code=")))
}

/// ICMP type and code: in the ports for ICMP (Zeek's convention), in the detail always.
fn apply_type_code(e: &mut Event, proto: &str, t: Option<u16>, c: Option<u16>) -> [Option<u16>; 2] {
    if is_icmp(proto) && (t.is_some() || c.is_some()) {
        e.src_port = t;
        e.dst_port = c;
    }
    [t, c]
}

/// 1060xx with `from A[/p] to B[/q]`:
/// `Inbound TCP connection denied from A/p to B/q flags F on interface I` (106001),
/// `Deny inbound UDP from A/p to B/q on interface I` (106006), `... due to DNS Query` (106007),
/// `Deny TCP (no connection) from A/p to B/q flags F on interface I` (106015),
/// `Deny IP spoof from (A) to B on interface I` (106016), `Deny IP due to Land Attack from A to B`
/// (106017), `Deny IP teardrop fragment (...) from A to B` (106020), `Deny P reverse path check
/// from A to B on interface I` (106021), `Deny P connection spoof from A to B on interface I` (106022).
pub(super) fn from_to(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (proto, _) = protocol(body);
    let r = after(body, b" from ")?;
    let (src_tok, r) = word(r);
    let r = r.strip_prefix(b" to ")?;
    let (dst_tok, tail) = word(r);
    let src = loose_endpoint(src_tok)?;
    let dst = loose_endpoint(dst_tok)?;
    ctx.set(e, EventKind::Deny, Some(Outcome::Failure));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    if let Some(f) = after(tail, b" flags ") {
        let f = split_once(f, b" on interface ").map_or(f, |(f, _)| f);
        d.kv("flags", f.trim_ascii());
    }
    d.opt("if", on_interface(tail));
    if let Some(why) = after(tail, b" due to ") {
        d.kv("reason", why.trim_ascii());
    }
    e.proto = Some(proto);
    e.detail = Some(d.finish());
    Some(())
}

/// `Deny [inbound ]P src IFACE:A[/p] dst IFACE:B[/q] [(type T, code C)|type T, code C,] [by
/// access-group "ACL" [h, h]]` (106010, 106014, 106023).
pub(super) fn src_dst(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (proto, r) = protocol(body);
    let r = r.strip_prefix(b" src ")?;
    let (src, dst, mut d, tail) = deny_endpoints(ctx, e, r, &[b" by access-group", b" (type ", b" type "])?;
    if let Some(acl) = after(tail, b"access-group ") {
        let acl = match acl.strip_prefix(b"\"") {
            Some(q) => q.get(..memchr::memchr(b'"', q).unwrap_or(q.len()))?,
            None => word(acl).0,
        };
        d.kv("acl", acl);
    }
    d.opt("src_if", src.iface);
    d.opt("dst_if", dst.iface);
    let (t, c) = type_code(tail);
    let [t, c] = apply_type_code(e, &proto, t, c);
    type_code_detail(&mut d, t, c);
    e.proto = Some(proto);
    e.detail = Some(d.finish());
    Some(())
}

fn type_code_detail(d: &mut super::fields::Detail, t: Option<u16>, c: Option<u16>) {
    if let Some(t) = t {
        d.kv("type", t.to_string().as_bytes());
    }
    if let Some(c) = c {
        d.kv("code", c.to_string().as_bytes());
    }
}

/// `access-list ACL permitted|denied|est-allowed P IFACE/A(p) -> IFACE/B(q) hit-cnt N (first hit|
/// N-second interval) [h, h]` (106100): `denied` → deny; `permitted` and `est-allowed` (a packet
/// of an established flow) → connection, success.
pub(super) fn access_list(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let r = body.strip_prefix(b"access-list ")?;
    let (acl, r) = word(r);
    let (verb, r) = word(r);
    let (proto, r) = word(r);
    let (src_seg, r) = split_once(r, b" -> ")?;
    let (dst_seg, hits) = match split_once(r, b" hit-cnt ") {
        Some((d, h)) => (d, Some(word(h).0)),
        None => (r, None),
    };
    let (kind, outcome) = match verb {
        b"denied" => (EventKind::Deny, Outcome::Failure),
        b"permitted" | b"est-allowed" => (EventKind::Connection, Outcome::Success),
        _ => return None,
    };
    let src = endpoint_slash(src_seg)?;
    let dst = endpoint_slash(dst_seg)?;
    ctx.set(e, kind, Some(outcome));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    e.user = src.user().map(crate::text);
    d.kv("acl", acl);
    if verb == b"est-allowed" {
        d.kv("action", verb);
    }
    d.opt("src_if", src.iface);
    d.opt("dst_if", dst.iface);
    if let Some(h) = hits.filter(|h| parse_u64(h).is_some_and(|n| n != 1)) {
        d.kv("hits", h);
    }
    e.proto = Some(proto_name(proto));
    e.detail = Some(d.finish());
    Some(())
}

/// `Denied ICMP type=T, code=C from A on interface I` (313001), `Denied ICMP type=T, from laddr A
/// on interface I to B: no matching session` (313004).
pub(super) fn icmp_denied(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (proto, _) = word(body.strip_prefix(b"Denied ")?);
    let r = after(body, b" from ")?;
    let (mut tok, mut rest) = word(r);
    if tok == b"laddr" {
        (tok, rest) = word(rest);
    }
    let src = loose_endpoint(tok)?;
    ctx.set(e, EventKind::Deny, Some(Outcome::Failure));
    let mut d = ctx.detail();
    set_src(e, &src);
    if let Some(to) = after(rest, b" to ") {
        set_dst(e, &loose_endpoint(word(to).0)?, &mut d);
    }
    let proto = proto_name(proto);
    let (t, c) = type_code(body);
    let [t, c] = apply_type_code(e, &proto, t, c);
    type_code_detail(&mut d, t, c);
    if let Some(i) = after(rest, b" on interface ") {
        let i = split_once(i, b" to ").map_or(i, |(i, _)| i);
        d.kv("if", i.trim_ascii());
    }
    e.proto = Some(proto);
    e.detail = Some(d.finish());
    Some(())
}

/// `Access denied URL U SRC A DEST B on interface I` (304002).
pub(super) fn url_denied(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let r = body.strip_prefix(b"Access denied URL ")?;
    let (url, r) = split_once(r, b" SRC ")?;
    let (src_tok, r) = word(r);
    let r = r.strip_prefix(b" DEST ")?;
    let (dst_tok, tail) = word(r);
    ctx.set(e, EventKind::Deny, Some(Outcome::Failure));
    let mut d = ctx.detail();
    set_src(e, &loose_endpoint(src_tok)?);
    set_dst(e, &loose_endpoint(dst_tok)?, &mut d);
    d.kv("url", url);
    d.opt("if", on_interface(tail));
    e.proto = Some("tcp".to_owned());
    e.detail = Some(d.finish());
    Some(())
}

/// To-the-box traffic: `P access permitted from A/p to IFACE:B/q` (710002, connection success),
/// `P access denied by ACL from A/p to IFACE:B/q` (710003, deny), `P request discarded from A/p
/// to IFACE:B/q` (710005, deny).
pub(super) fn to_the_box(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (proto, _) = word(body);
    let r = after(body, b" from ")?;
    let (src_tok, r) = word(r);
    let dst_seg = r.strip_prefix(b" to ")?;
    let (kind, outcome) =
        if ctx.id == 710002 { (EventKind::Connection, Outcome::Success) } else { (EventKind::Deny, Outcome::Failure) };
    let src = loose_endpoint(src_tok)?;
    let dst = endpoint_colon(dst_seg).or_else(|| endpoint_bare(dst_seg))?;
    ctx.set(e, kind, Some(outcome));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    d.opt("dst_if", dst.iface);
    e.proto = Some(proto_name(proto));
    e.detail = Some(d.finish());
    Some(())
}

/// `No matching connection for ICMP error message: icmp src IFACE:A[(id)] dst IFACE:B (type T, code
/// C) on IFACE interface. Original IP payload: P src IFACE:C/p dst IFACE:D/q.` (313005): an ICMP
/// error that belongs to no connection, dropped: deny, failure, proto icmp, src A (the sender of
/// the error), dst B, ports = type/code, `if`, `payload` = the embedded packet as logged.
pub(super) fn icmp_no_connection(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let r = body.strip_prefix(b"No matching connection for ICMP error message: ")?;
    let (proto, r) = word(r);
    let r = r.strip_prefix(b" src ")?;
    let (_, _, mut d, tail) = deny_endpoints(ctx, e, r, &[b" (type ", b" on "])?;
    let proto = proto_name(proto);
    let (t, c) = type_code(tail);
    let [t, c] = apply_type_code(e, &proto, t, c);
    type_code_detail(&mut d, t, c);
    if let Some(i) = after(tail, b" on ") {
        d.opt("if", split_once(i, b" interface").map(|(i, _)| i.trim_ascii()));
    }
    if let Some(p) = after(tail, b"Original IP payload: ") {
        let p = p.trim_ascii();
        d.kv("payload", p.strip_suffix(b".").unwrap_or(p));
    }
    e.proto = Some(proto);
    e.detail = Some(d.finish());
    Some(())
}

/// `IFACE:A[/p] dst IFACE:B[/q]` up to the first of `ends`: a deny from A to B, set on `e`, and
/// the detail they begin; returns both endpoints and the text after them.
fn deny_endpoints<'a>(
    ctx: &Ctx<'_>,
    e: &mut Event,
    r: &'a [u8],
    ends: &[&[u8]],
) -> Option<(Endpoint<'a>, Endpoint<'a>, super::fields::Detail, &'a [u8])> {
    let (src_seg, r) = split_once(r, b" dst ")?;
    let end = ends.iter().filter_map(|p| super::fields::find(r, p)).min().unwrap_or(r.len());
    let (dst_seg, tail) = (r.get(..end)?, r.get(end..)?);
    let src = endpoint_colon(src_seg)?;
    let dst = endpoint_colon(dst_seg)?;
    ctx.set(e, EventKind::Deny, Some(Outcome::Failure));
    let mut d = ctx.detail();
    set_src(e, &src);
    set_dst(e, &dst, &mut d);
    // The parentheses after an address hold an FQDN or an identity: only `DOMAIN\user` is a user.
    if src.domain_user() {
        e.user = src.user().map(crate::text);
    }
    Some((src, dst, d, tail))
}
