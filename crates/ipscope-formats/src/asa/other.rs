//! Threat detection (733100, 733101).

use super::Ctx;
use super::fields::{Addr, after, parse_addr, split_once, word};
use crate::{Event, EventKind};

/// The number after `pat` in `s`.
fn num_after<'a>(s: &'a [u8], pat: &[u8]) -> Option<&'a [u8]> {
    let v = after(s, pat)?;
    let n = v.iter().take_while(|c| c.is_ascii_digit()).count();
    v.get(..n).filter(|d| !d.is_empty())
}

/// The rates of a threat-detection message: `Current burst rate is X per second, max configured
/// rate is Y; Current average rate is Z per second, max configured rate is W; Cumulative total
/// count is T` → `burst=X burst_max=Y average=Z average_max=W total=T`.
fn rates(d: &mut super::fields::Detail, s: &[u8]) {
    if let Some((burst, avg)) = split_once(s, b"Current average rate is ") {
        d.opt("burst", num_after(burst, b"Current burst rate is "));
        d.opt("burst_max", num_after(burst, b"max configured rate is "));
        let n = avg.iter().take_while(|c| c.is_ascii_digit()).count();
        d.opt("average", avg.get(..n).filter(|v| !v.is_empty()));
        d.opt("average_max", num_after(avg, b"max configured rate is "));
    }
    d.opt("total", num_after(s, b"Cumulative total count is "));
}

/// `[ OBJECT] drop RATE exceeded. Current burst rate is ...` (733100): `other` (a rate summary of
/// many drops, not one dropped connection); an OBJECT that is an address (host threat
/// detection) is the source.
pub(super) fn drop_rate(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let r = body.strip_prefix(b"[")?;
    let (object, r) = split_once(r, b"]")?;
    let object = object.trim_ascii();
    let rate = after(r, b"drop ").map(|x| word(x).0);
    ctx.set(e, EventKind::Other, None);
    let mut d = ctx.detail();
    match parse_addr(object) {
        Some(Addr::Ip(ip)) => e.src_ip = Some(ip),
        _ => d.kv("object", object),
    }
    d.opt("rate", rate);
    rates(&mut d, r);
    e.detail = Some(d.finish());
    Some(())
}

/// `Host|Subnet A is attacking|targeted. Current burst rate is ...` (733101): `other`; an
/// attacking address is the source, a targeted one the destination.
pub(super) fn attack(ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
    let (object, r) = word(body);
    let (addr, r) = word(r);
    let Addr::Ip(ip) = parse_addr(addr)? else { return None };
    ctx.set(e, EventKind::Other, None);
    let mut d = ctx.detail();
    if r.starts_with(b" is attacking") {
        e.src_ip = Some(ip);
        d.kv("action", b"attacking");
    } else if r.starts_with(b" is targeted") {
        e.dst_ip = Some(ip);
        d.kv("action", b"targeted");
    } else {
        return None;
    }
    d.kv("object", object);
    rates(&mut d, r);
    e.detail = Some(d.finish());
    Some(())
}
