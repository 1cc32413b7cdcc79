//! Logins: AAA results (113xxx), cut-through proxy authentication (109005/109006), VPN user
//! entries (1092xx), management logins (605004/605005, 611101-611103), clientless and AnyConnect
//! VPN sessions (113039, 113019, 716xxx, 722xxx, 751025).
//!
//! One login can be logged several times: the AAA verdict (113004/113005/113012/113015) and then
//! the service's own verdict (716038/716039 WebVPN, 605004 management, 611101/611102, 109005/
//! 109006). The AAA verdict is the attempt; a service verdict with the same outcome from the same
//! host for the same address (or user) within [`AAA_ECHO_SECS`] is its echo and becomes `other`
//! with `echo=<AAA id>` in the detail, so attempts are counted once.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::conns::key;
use super::fields::{Addr, Detail, addr_port, after, find, parse_addr, parse_u64, split_once, user_of, word};
use super::{AsaParser, Ctx};
use crate::{Event, EventKind, Outcome, text};

/// How long after an AAA verdict a service verdict with the same outcome is taken as its echo.
/// ASA logs the echo at once, except 605004, which comes when the management session ends (at the
/// latest at the login timeout).
pub const AAA_ECHO_SECS: i64 = 60;

/// How many recent AAA verdicts are remembered per stream for echo detection (a linear scan:
/// echoes follow their verdict within seconds, so only the newest matter).
pub const MAX_RECENT_AAA: usize = 256;

/// A remembered AAA verdict.
#[derive(Clone, Copy, Debug)]
struct Verdict {
    ts: i64,
    host: u64,
    ip: Option<IpAddr>,
    user: Option<u64>,
    outcome: Outcome,
    id: u32,
}

/// The recent AAA verdicts of one stream.
#[derive(Default)]
pub(super) struct AaaMemory {
    recent: VecDeque<Verdict>,
}

impl AaaMemory {
    fn remember(&mut self, v: Verdict) {
        if self.recent.len() == MAX_RECENT_AAA {
            self.recent.pop_front();
        }
        self.recent.push_back(v);
    }

    /// The id of the AAA verdict `e` (a service verdict) echoes, if any.
    fn echo_of(&self, ctx: &Ctx<'_>, e: &Event) -> Option<u32> {
        let outcome = e.outcome?;
        let host = host_key(ctx);
        let user = e.user.as_deref().map(user_key);
        self.recent.iter().rev().find_map(|v| {
            let fresh = (0..=AAA_ECHO_SECS * 1_000_000).contains(&(ctx.ts - v.ts));
            let same = match (v.ip, e.src_ip) {
                (Some(a), Some(b)) => a == b,
                _ => v.user.is_some() && v.user == user,
            };
            (fresh && v.host == host && v.outcome == outcome && same).then_some(v.id)
        })
    }
}

fn host_key(ctx: &Ctx<'_>) -> u64 {
    key(&[ctx.host.unwrap_or_default()])
}

fn user_key(u: &str) -> u64 {
    key(&[u.as_bytes()])
}

/// A user name as logged; `None` for the mask ASA prints for invalid or unknown names
/// (`*****`, unless `no logging hide username`) and for an empty name.
fn user_name(u: &[u8]) -> Option<&[u8]> {
    let u = u.trim_ascii();
    let u = u.strip_prefix(b"'").and_then(|x| x.strip_suffix(b"'")).unwrap_or(u);
    let u = u.strip_prefix(b"\"").and_then(|x| x.strip_suffix(b"\"")).unwrap_or(u);
    (!u.is_empty() && !u.iter().all(|&c| c == b'*')).then_some(u)
}

/// Sets `user`, its domain removed (`nt\bob` → `bob`, as for connection identities); a hidden
/// one is kept in the detail as `user=*****`.
fn set_user(e: &mut Event, d: &mut Detail, u: &[u8]) {
    match user_name(u).and_then(user_of) {
        Some(name) => e.user = Some(text(name)),
        None if !u.trim_ascii().is_empty() => d.kv("user", u.trim_ascii()),
        None => {}
    }
}

/// An address slot that must hold an IP address (a name goes to `src_host`).
fn set_src_addr(e: &mut Event, tok: &[u8]) -> Option<()> {
    match parse_addr(tok.trim_ascii())? {
        Addr::Ip(ip) => e.src_ip = Some(ip),
        Addr::Host(h) => e.src_host = Some(text(h)),
    }
    Some(())
}

impl AsaParser {
    /// Records an AAA verdict for echo detection.
    fn remember_aaa(&mut self, ctx: &Ctx<'_>, e: &Event) {
        if let Some(outcome) = e.outcome {
            let user = e.user.as_deref().map(user_key);
            self.aaa.remember(Verdict { ts: ctx.ts, host: host_key(ctx), ip: e.src_ip, user, outcome, id: ctx.id });
        }
    }

    /// A service verdict: `auth`, or `other` with `echo=ID` when it repeats a recent AAA verdict.
    fn service_verdict(&self, ctx: &Ctx<'_>, e: &mut Event, d: &mut Detail) {
        e.kind = EventKind::Auth;
        if let Some(id) = self.aaa.echo_of(ctx, e) {
            e.kind = EventKind::Other;
            d.kv("echo", format!("{id:06}").as_bytes());
        }
    }

    /// `AAA user TYPE Successful|Rejected : [reason = R : ][server = S|local database] : user = U[ :
    /// user IP = A]` (113004, 113005, 113012, 113015) and `AAA transaction status ACCEPT : user = U`
    /// (113008). Authentication verdicts are `auth` (the attempt); authorization and accounting
    /// verdicts and 113008 (which follows a successful authentication) are `other`.
    pub(super) fn aaa(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let mut parts = body.split_str(b" : ");
        let head = parts.next()?.trim_ascii();
        let mut d = ctx.detail();
        let (kind, outcome) = if ctx.id == 113008 {
            let status = head.strip_prefix(b"AAA transaction status ")?.trim_ascii();
            d.kv("status", status);
            (EventKind::Other, if status == b"ACCEPT" { Outcome::Success } else { Outcome::Failure })
        } else {
            let r = head.strip_prefix(b"AAA user ")?;
            let (what, r) = word(r);
            let outcome = match r.trim_ascii() {
                b"Successful" => Outcome::Success,
                b"Rejected" => Outcome::Failure,
                _ => return None,
            };
            if what == b"authentication" {
                (EventKind::Auth, outcome)
            } else {
                d.kv("aaa", what);
                (EventKind::Other, outcome)
            }
        };
        ctx.set(e, kind, Some(outcome));
        for part in parts {
            let part = part.trim_ascii();
            if part == b"local database" {
                d.kv("server", b"local");
                continue;
            }
            let Some((k, v)) = split_once(part, b"=") else { continue };
            let v = v.trim_ascii();
            match k.trim_ascii() {
                b"reason" => d.kv("reason", v),
                b"server" => d.kv("server", v),
                b"user" => set_user(e, &mut d, v),
                b"user IP" => set_src_addr(e, v)?,
                _ => {}
            }
        }
        e.detail = Some(d.finish());
        if kind == EventKind::Auth {
            self.remember_aaa(ctx, e);
        }
        Some(())
    }

    /// `Authentication succeeded|failed for user 'U' from A/p to B/q on interface I` (109005,
    /// 109006: cut-through proxy authentication): `auth`, src A, dst B.
    pub(super) fn cut_through(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let r = body.strip_prefix(b"Authentication ")?;
        let (verb, r) = word(r);
        let outcome = match verb {
            b"succeeded" => Outcome::Success,
            b"failed" => Outcome::Failure,
            _ => return None,
        };
        let r = r.strip_prefix(b" for user ")?;
        let (user, r) = split_once(r, b" from ")?;
        let (src, r) = word(r);
        let r = r.strip_prefix(b" to ")?;
        let (dst, tail) = word(r);
        let (sa, sp) = addr_port(src)?;
        let (da, dp) = addr_port(dst)?;
        ctx.set(e, EventKind::Auth, Some(outcome));
        let mut d = ctx.detail();
        set_user(e, &mut d, user);
        set_addr(e, sa, sp, true);
        set_addr(e, da, dp, false);
        d.opt("if", after(tail, b" on interface ").map(<[u8]>::trim_ascii));
        self.service_verdict(ctx, e, &mut d);
        e.detail = Some(d.finish());
        Some(())
    }

    /// `Login denied|permitted from A/p to IFACE:B/SERVICE for user "U"` (605004, 605005), or
    /// `... from serial to console ...`: a denied management login is `auth` failure (logged after
    /// the third failed attempt of a session, or when it ends), a permitted one opens a management
    /// session (`session_open`).
    pub(super) fn mgmt_login(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let r = body.strip_prefix(b"Login ")?;
        let (verb, r) = word(r);
        let denied = match verb {
            b"denied" => true,
            b"permitted" => false,
            _ => return None,
        };
        let r = r.strip_prefix(b" from ")?;
        let (src, r) = word(r);
        let r = r.strip_prefix(b" to ")?;
        let (dst, r) = word(r);
        let user = r.strip_prefix(b" for user ")?;
        if denied {
            ctx.set(e, EventKind::Auth, Some(Outcome::Failure));
        } else {
            ctx.set(e, EventKind::SessionOpen, None);
        }
        let mut d = ctx.detail();
        set_user(e, &mut d, user);
        if src == b"serial" {
            d.kv("from", src);
        } else {
            let (a, p) = addr_port(src)?;
            set_addr(e, a, p, true);
        }
        if dst == b"console" {
            d.kv("to", dst);
        } else {
            let colon = memchr::memchr(b':', dst)?;
            let (iface, rest) = (dst.get(..colon)?, dst.get(colon + 1..)?);
            let (addr, service) = match memchr::memrchr(b'/', rest) {
                Some(i) => (rest.get(..i)?, Some(rest.get(i + 1..)?)),
                None => (rest, None),
            };
            match parse_addr(addr)? {
                Addr::Ip(ip) => e.dst_ip = Some(ip),
                Addr::Host(h) => d.kv("dst_host", h),
            }
            if let Some(s) = service {
                e.dst_port = service_port(s);
                e.service = Some(text(s).to_ascii_lowercase());
            }
            d.kv("if", iface);
        }
        if denied {
            self.service_verdict(ctx, e, &mut d);
        }
        e.detail = Some(d.finish());
        Some(())
    }

    /// `User authentication succeeded|failed: [IP address: A, ]Uname: U` (611101, 611102): `auth`;
    /// `User logged out: Uname: U` (611103): `session_close`.
    pub(super) fn user_auth(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let uname = after(body, b"Uname: ")?;
        let mut d = ctx.detail();
        if ctx.id == 611103 {
            body.strip_prefix(b"User logged out:")?;
            ctx.set(e, EventKind::SessionClose, None);
            set_user(e, &mut d, uname);
            e.detail = Some(d.finish());
            return Some(());
        }
        let r = body.strip_prefix(b"User authentication ")?;
        let outcome = match word(r).0 {
            b"succeeded:" => Outcome::Success,
            b"failed:" => Outcome::Failure,
            _ => return None,
        };
        ctx.set(e, EventKind::Auth, Some(outcome));
        set_user(e, &mut d, uname);
        if let Some(a) = after(body, b"IP address: ") {
            let end = memchr::memchr(b',', a).unwrap_or(a.len());
            set_src_addr(e, a.get(..end)?)?;
        }
        self.service_verdict(ctx, e, &mut d);
        e.detail = Some(d.finish());
        Some(())
    }

    /// `UAUTH: Session=S, User=U, Assigned IP=X, WHAT` (109201-109213): the VPN user entry for the
    /// address X assigned to a session: `other` (success for `Succeeded ...`, failure for
    /// `Failed ...`), user U, session S, `assigned` = X (not the user's own address).
    pub(super) fn uauth(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let r = body.strip_prefix(b"UAUTH: Session=")?;
        let (session, r) = split_once(r, b", User=")?;
        let (user, r) = split_once(r, b", Assigned IP=")?;
        let (assigned, what) = split_once(r, b", ")?;
        let what = what.trim_ascii();
        let outcome = if what.starts_with(b"Succeeded") {
            Some(Outcome::Success)
        } else if what.starts_with(b"Failed") {
            Some(Outcome::Failure)
        } else {
            None
        };
        ctx.set(e, EventKind::Other, outcome);
        let mut d = ctx.detail();
        set_user(e, &mut d, user);
        e.session = Some(text(session.trim_ascii()));
        d.kv("assigned", assigned.trim_ascii());
        d.kv("action", what.strip_suffix(b".").unwrap_or(what));
        e.detail = Some(d.finish());
        Some(())
    }

    /// `Group = G, Username = U, IP = A, Session disconnected. Session Type: T, Duration: D, Bytes
    /// xmt: N, Bytes rcv: M, Reason: R` (113019): `session_close`, src A, user U, duration,
    /// `src_bytes` = M (received from the peer), `dst_bytes` = N (sent to it).
    pub(super) fn session_disconnected(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let r = body.strip_prefix(b"Group = ")?;
        let (group, r) = split_once(r, b", Username = ")?;
        let (user, r) = split_once(r, b", IP = ")?;
        let (ip, tail) = split_once(r, b", ")?;
        if !tail.starts_with(b"Session disconnected") {
            return None;
        }
        let field = |label: &[u8]| -> Option<&[u8]> {
            let v = after(tail, label)?;
            Some(v.get(..memchr::memchr(b',', v).unwrap_or(v.len()))?.trim_ascii())
        };
        ctx.set(e, EventKind::SessionClose, None);
        let mut d = ctx.detail();
        set_user(e, &mut d, user);
        set_src_addr(e, ip)?;
        d.kv("group", group.trim_ascii());
        d.opt("session_type", field(b"Session Type: "));
        e.duration = field(b"Duration: ").and_then(parse_units_duration);
        e.dst_bytes = field(b"Bytes xmt: ").and_then(parse_u64);
        e.src_bytes = field(b"Bytes rcv: ").and_then(parse_u64);
        if let Some(reason) = after(tail, b"Reason: ") {
            d.kv("reason", reason.trim_ascii());
        }
        e.detail = Some(d.finish());
        Some(())
    }

    /// `Group G User U IP A WHAT` (values bare or in `<>`; 722041: `TunnelGroup T GroupPolicy G
    /// User U IP A WHAT`), per message id (see `docs/formats/asa.md`).
    pub(super) fn group_user_ip(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        // The old 716039 shape: `Authentication: rejected, group = G user = U, Session Type: T`.
        if ctx.id == 716039 && body.starts_with(b"Authentication: rejected") {
            let mut d = ctx.detail();
            ctx.set(e, EventKind::Auth, Some(Outcome::Failure));
            let g = after(body, b"group = ")?;
            let (group, r) = split_once(g, b" user = ")?;
            let (user, r) = split_once(r, b",").unwrap_or((r, b""));
            set_user(e, &mut d, user);
            d.kv("group", group.trim_ascii());
            d.opt("session_type", after(r, b"Session Type: ").map(trim_dot));
            self.service_verdict(ctx, e, &mut d);
            e.detail = Some(d.finish());
            return Some(());
        }
        let mut d = ctx.detail();
        let mut r = body;
        if ctx.id == 722041 {
            let (tg, rest) = labelled(r, b"TunnelGroup")?;
            d.kv("tunnel_group", tg);
            let (group, rest) = labelled(rest, b"GroupPolicy")?;
            d.kv("group", group);
            r = rest;
        } else {
            let (group, rest) = labelled(r, b"Group")?;
            d.kv("group", group);
            r = rest;
        }
        let (user, r) = labelled(r, b"User")?;
        let (ip, what) = labelled(r, b"IP")?;
        set_user(e, &mut d, user);
        let Addr::Ip(ip) = parse_addr(ip)? else { return None };
        e.src_ip = Some(ip);
        let what = what.trim_ascii();
        let (kind, outcome) = match ctx.id {
            113039 => {
                what.starts_with(b"AnyConnect parent session started").then_some(())?;
                (EventKind::SessionOpen, None)
            }
            716001 => {
                what.starts_with(b"WebVPN session started").then_some(())?;
                (EventKind::SessionOpen, None)
            }
            716002 => {
                let reason = what.strip_prefix(b"WebVPN session terminated")?;
                let reason = reason.strip_prefix(b":").unwrap_or(reason);
                d.kv("reason", trim_dot(reason));
                (EventKind::SessionClose, None)
            }
            716038 | 716039 => {
                let r = what.strip_prefix(b"Authentication: ")?;
                let outcome = if r.starts_with(b"successful") {
                    Outcome::Success
                } else if r.starts_with(b"rejected") {
                    Outcome::Failure
                } else {
                    return None;
                };
                d.opt("session_type", after(r, b"Session Type: ").map(trim_dot));
                (EventKind::Auth, Some(outcome))
            }
            716058 => {
                what.starts_with(b"AnyConnect session lost connection").then_some(())?;
                d.kv("action", b"lost-connection");
                (EventKind::Other, None)
            }
            722022 | 722023 => {
                let (proto, r) = word(what);
                let r = r.trim_ascii_start().strip_prefix(b"SVC connection ")?;
                let (state, r) = word(r);
                let outcome = match (ctx.id, state) {
                    (722022, b"established") => Some(Outcome::Success),
                    (722023, b"terminated") => None,
                    _ => return None,
                };
                if ctx.id == 722023 {
                    d.kv("action", b"terminated");
                }
                d.opt("compression", after(r, b" ").map(|c| word(c).0).filter(|c| !c.is_empty()));
                e.proto = Some(text(proto).to_ascii_lowercase());
                e.service = Some("svc".to_owned());
                (EventKind::Connection, outcome)
            }
            722028 => {
                what.starts_with(b"Stale SVC connection closed").then_some(())?;
                d.kv("action", b"stale-closed");
                e.service = Some("svc".to_owned());
                (EventKind::Connection, None)
            }
            722037 => {
                let reason = what.strip_prefix(b"SVC closing connection")?;
                let reason = reason.strip_prefix(b":").unwrap_or(reason);
                d.kv("action", b"closing");
                d.kv("reason", trim_dot(reason));
                e.service = Some("svc".to_owned());
                (EventKind::Connection, None)
            }
            722041 => {
                what.starts_with(b"No IPv6 address available").then_some(())?;
                d.kv("reason", b"no IPv6 address available");
                (EventKind::Other, Some(Outcome::Failure))
            }
            722051 => {
                let v4 = after(what, b"IPv4 Address ").map(angle_or_word);
                let v6 = after(what, b"IPv6 address ").map(angle_or_word);
                find(what, b"assigned to session")?;
                d.opt("assigned", v4.filter(|a| !a.is_empty()));
                d.opt("assigned6", v6.filter(|a| !a.is_empty() && *a != b"::"));
                (EventKind::Other, None)
            }
            722055 => {
                let client = what.strip_prefix(b"Client Type:")?;
                d.kv("client", client.trim_ascii());
                (EventKind::ClientInfo, None)
            }
            _ => return None,
        };
        ctx.set(e, kind, outcome);
        if kind == EventKind::Auth {
            self.service_verdict(ctx, e, &mut d);
        }
        e.detail = Some(d.finish());
        Some(())
    }

    /// `Local:L:lp Remote:R:rp Username:U IKEv2 Group:G IPv4 Address=X IPv6 address=Y assigned to
    /// session` (751025): `other`, src R:rp, dst L:lp, user U, `group`, `assigned`.
    pub(super) fn ikev2_assigned(&mut self, ctx: &Ctx<'_>, body: &[u8], e: &mut Event) -> Option<()> {
        let (local, r) = word(body.strip_prefix(b"Local:")?);
        let (remote, r) = word(r.trim_ascii_start().strip_prefix(b"Remote:")?);
        let r = r.trim_ascii_start().strip_prefix(b"Username:")?;
        let (user, r) = split_once(r, b" Group:")?;
        let user = user.strip_suffix(b" IKEv2").unwrap_or(user);
        let (group, r) = split_once(r, b" IPv4 Address=").unwrap_or((word(r).0, r));
        ctx.set(e, EventKind::Other, None);
        let mut d = ctx.detail();
        let (ra, rp) = host_colon_port(remote)?;
        let (la, lp) = host_colon_port(local)?;
        set_addr(e, ra, rp, true);
        set_addr(e, la, lp, false);
        set_user(e, &mut d, user);
        d.kv("group", group.trim_ascii());
        let (v4, r) = split_once(r, b" IPv6 address=").unwrap_or((r, b""));
        let v4 = word(v4).0;
        if !v4.is_empty() && v4 != b"0.0.0.0" {
            d.kv("assigned", v4);
        }
        let v6 = word(r).0;
        if !v6.is_empty() && v6 != b"::" {
            d.kv("assigned6", v6);
        }
        e.detail = Some(d.finish());
        Some(())
    }
}

/// `LABEL <value>` or `LABEL value` at the start of `s` → (value, rest after it).
fn labelled<'a>(s: &'a [u8], label: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let s = s.trim_ascii_start().strip_prefix(label)?.strip_prefix(b" ")?;
    match s.strip_prefix(b"<") {
        Some(r) => {
            let close = memchr::memchr(b'>', r)?;
            Some((r.get(..close)?, r.get(close + 1..)?))
        }
        None => {
            let (v, r) = word(s);
            Some((v, r))
        }
    }
}

/// `<value>` or the first word of `s`.
fn angle_or_word(s: &[u8]) -> &[u8] {
    match s.strip_prefix(b"<") {
        Some(r) => r.get(..memchr::memchr(b'>', r).unwrap_or(r.len())).unwrap_or_default(),
        None => word(s).0,
    }
}

/// Trims spaces and a final period.
fn trim_dot(s: &[u8]) -> &[u8] {
    let s = s.trim_ascii();
    s.strip_suffix(b".").unwrap_or(s).trim_ascii_end()
}

/// `A:port` with the port after the last colon (IPv6 addresses contain colons).
fn host_colon_port(tok: &[u8]) -> Option<(Addr<'_>, Option<u16>)> {
    let i = memchr::memrchr(b':', tok)?;
    let port = super::fields::parse_port(tok.get(i + 1..)?)?;
    Some((parse_addr(tok.get(..i)?)?, Some(port)))
}

/// Sets the source (`src`) or destination side from an address slot.
fn set_addr(e: &mut Event, a: Addr<'_>, port: Option<u16>, src: bool) {
    match (a, src) {
        (Addr::Ip(ip), true) => e.src_ip = Some(ip),
        (Addr::Host(h), true) => e.src_host = Some(text(h)),
        (Addr::Ip(ip), false) => e.dst_ip = Some(ip),
        (Addr::Host(_), false) => {}
    }
    if src {
        e.src_port = port;
    } else {
        e.dst_port = port;
    }
}

/// A management service name → its well-known port.
fn service_port(s: &[u8]) -> Option<u16> {
    match s {
        b"ssh" => Some(22),
        b"telnet" => Some(23),
        b"http" => Some(80),
        b"https" => Some(443),
        d => super::fields::parse_port(d),
    }
}

/// `1h:15m:21s`, `0h:32m:16s`, `2d 4h:21m:44s` → seconds.
fn parse_units_duration(s: &[u8]) -> Option<f64> {
    let mut total: u64 = 0;
    for part in s.split(|&c| c == b':' || c == b' ').filter(|p| !p.is_empty()) {
        let (num, unit) = part.split_at(part.len().checked_sub(1)?);
        let n = parse_u64(num)?;
        let mult = match unit {
            b"d" => 86_400,
            b"h" => 3_600,
            b"m" => 60,
            b"s" => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
    }
    // Far inside f64's exact integer range.
    Some(total as f64)
}

/// Splitting a byte string on a multi-byte separator.
trait SplitStr {
    fn split_str<'a>(&'a self, sep: &'a [u8]) -> SplitBy<'a>;
}

impl SplitStr for [u8] {
    fn split_str<'a>(&'a self, sep: &'a [u8]) -> SplitBy<'a> {
        SplitBy { rest: Some(self), sep }
    }
}

struct SplitBy<'a> {
    rest: Option<&'a [u8]>,
    sep: &'a [u8],
}

impl<'a> Iterator for SplitBy<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.rest?;
        match split_once(s, self.sep) {
            Some((a, b)) => {
                self.rest = Some(b);
                Some(a)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}
