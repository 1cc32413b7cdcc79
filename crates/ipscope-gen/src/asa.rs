//! Cisco ASA syslog as the site's perimeter firewall writes it:
//! `Mmm dd yyyy HH:MM:SS HOST : %ASA-L-NNNNNN: BODY` (device clock with year, UTC).
//!
//! Units:
//! - **Deny bursts** (30 % of the units, about two thirds of the lines): a source from the
//!   [`Crowd`] hits closed ports of inside hosts; heavy hitters 5–30 lines per burst, the medium pool 2–8, one-offs 1–3. One
//!   message per burst: 106023 (`Deny tcp|udp|icmp src outside:A/p dst inside:B/q by
//!   access-group "outside_access_in"`, 60 %), 106100 (`access-list outside_access_in denied tcp
//!   outside/A(p) -> inside/B(q) hit-cnt 1 first hit`, 25 %), 106001 (`Inbound TCP connection
//!   denied from A/p to B/q flags SYN on interface outside`, 15 %).
//! - **Inbound connections** (25 %): a visitor reaches the web, mail or SSH server in the DMZ:
//!   302013 `Built inbound TCP` and, after the connection's duration, 302014 `Teardown TCP`
//!   (`TCP FINs`, `TCP Reset-I|O`, `SYN Timeout` with 0 bytes).
//! - **Outbound TCP** (27 %) and **outbound UDP** (18 %, DNS and NTP: 302015 / 302016) from
//!   inside hosts.
//!
//! Events as ipscope counts them: denies → `deny/failure`, built and teardown lines →
//! `connection` (no outcome). The source is the side that opened the connection. Mapped (NAT)
//! addresses are from documentation ranges; ipscope does not record them.

use std::io::{self, Write};

use crate::SshConfig;
use crate::crowd::{Crowd, Tier};
use crate::engine::{self, Model, SEC};
use crate::population::{self as pop, Addr};
use crate::render::{ADDR_TEXT, Stamp, Style, addr_text, push_u64};
use crate::rng::Rng;
use crate::truth::{Ev, Tally, Truth};

/// Ports scanners hit, most popular first.
const DENY_PORTS: &[u16] = &[
    23, 22, 445, 3389, 80, 8080, 443, 5900, 1433, 3306, 2222, 21, 25, 8443, 6379, 5432, 9200, 7547, 2375, 81, 8000,
    37215, 52869, 60001, 5555, 8081,
];
const UDP_DENY_PORTS: &[u16] = &[53, 123, 161, 1900, 5060, 11211, 389, 137];
/// Public DNS / NTP servers inside hosts talk to.
const RESOLVERS: &[&str] = &["8.8.8.8", "1.1.1.1", "9.9.9.9", "8.8.4.4", "208.67.222.222"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Which deny message: 106023, 106100, 106001.
    Deny(u32),
    Inbound,
    OutboundTcp,
    OutboundUdp,
}

pub(crate) struct Unit {
    kind: Kind,
    src: Addr,
    txt: [u8; ADDR_TEXT],
    len: u8,
    left: u32,
    // A connection's fixed facts (Built and Teardown lines).
    id: u64,
    src_port: u16,
    peer: Vec<u8>,
    peer_port: u16,
    dur_secs: u64,
    bytes: u64,
    reason: &'static str,
}

struct Asa {
    r: Rng,
    crowd: Crowd,
    stamp: Stamp,
    /// `" HOST : %ASA-"`.
    head: Vec<u8>,
    inside: Vec<Addr>,
    outside: Vec<Addr>,
    ssh6: Vec<u8>,
    next_id: u64,
}

/// Writes `cfg.lines` ASA syslog lines; see the module docs.
pub(crate) fn write<W: Write>(cfg: &SshConfig, out: W) -> io::Result<Truth> {
    let mut r = Rng::new(cfg.seed ^ 0x0a5a_0001);
    let end = cfg.start_micros + i64::from(cfg.days) * engine::DAY;
    let crowd = Crowd::new(&mut r, cfg.lines, cfg.start_micros, end, 0.4, 0.2);
    let inside = (0..(cfg.lines / 2_000).clamp(200, 20_000)).map(|_| pop::campus_addr(&mut r)).collect();
    let outside = (0..(cfg.lines / 5_000).clamp(100, 5_000)).map(|_| pop::scanner_addr(&mut r)).collect();
    let next_id = 100_000 + r.below(10_000_000);
    let mut m = Asa {
        r: Rng::new(cfg.seed ^ 0x0a5a_0002),
        crowd,
        stamp: Stamp::new(Style::AsaYear),
        head: format!(" {} : %ASA-", cfg.host).into_bytes(),
        inside,
        outside,
        ssh6: cfg.server_ip6.to_string().into_bytes(),
        next_id,
    };
    engine::run(cfg, &mut m, &mut r, out)
}

fn text(a: Addr) -> Vec<u8> {
    let (t, n) = addr_text(a);
    t[..usize::from(n)].to_vec()
}

/// `H:MM:SS`.
fn push_duration(out: &mut Vec<u8>, secs: u64) {
    push_u64(out, secs / 3600);
    for part in [secs / 60 % 60, secs % 60] {
        out.push(b':');
        out.push(b'0' + (part / 10) as u8);
        out.push(b'0' + (part % 10) as u8);
    }
}

/// `IF:A/p`.
fn endpoint(out: &mut Vec<u8>, iface: &[u8], a: &[u8], port: u16) {
    out.extend_from_slice(iface);
    out.push(b':');
    out.extend_from_slice(a);
    out.push(b'/');
    push_u64(out, u64::from(port));
}

impl Asa {
    /// A connection unit's fixed facts: (peer, peer port, duration, bytes, teardown reason).
    fn connection(&mut self, kind: Kind, src_v6: bool) -> (Vec<u8>, u16, u64, u64, &'static str) {
        let r = &mut self.r;
        let tcp_end = |r: &mut Rng| match r.below(100) {
            0..=79 => "TCP FINs",
            80..=87 => "TCP Reset-I",
            88..=94 => "TCP Reset-O",
            _ => "SYN Timeout",
        };
        match kind {
            Kind::Inbound => {
                let (server, port): (Vec<u8>, u16) = if src_v6 {
                    (self.ssh6.clone(), 22)
                } else {
                    match r.below(10) {
                        0..=6 => (b"10.0.0.80".to_vec(), 443),
                        7 => (b"10.0.0.80".to_vec(), 80),
                        8 => (b"10.0.0.25".to_vec(), 25),
                        _ => (b"10.0.0.22".to_vec(), 22),
                    }
                };
                let reason = tcp_end(r);
                let (dur, bytes) = if reason == "SYN Timeout" {
                    (30, 0)
                } else {
                    ((r.exp(15.0) as u64).min(86_399), r.range(400, 2_000_000))
                };
                (server, port, dur, bytes, reason)
            }
            Kind::OutboundTcp => {
                let ext = text(self.outside[r.skewed(self.outside.len() as u64) as usize]);
                let port = if r.chance(0.85) { 443 } else { 80 };
                let reason = tcp_end(r);
                let (dur, bytes) = if reason == "SYN Timeout" {
                    (30, 0)
                } else {
                    ((r.exp(40.0) as u64).min(86_399), r.range(800, 5_000_000))
                };
                (ext, port, dur, bytes, reason)
            }
            _ => {
                let ntp = r.chance(0.1);
                let server = RESOLVERS[r.below(RESOLVERS.len() as u64) as usize].as_bytes().to_vec();
                let bytes = if ntp { 96 } else { r.range(70, 600) };
                (server, if ntp { 123 } else { 53 }, r.below(3), bytes, "")
            }
        }
    }
}

impl Model for Asa {
    type Unit = Unit;

    fn prior_lines(&self) -> f64 {
        4.0
    }

    fn start(&mut self, t: i64) -> (Unit, u32) {
        let u = self.r.unit();
        let (kind, src, left) = if u < 0.3 {
            let (a, tier) = self.crowd.pick(&mut self.r, t);
            let r = &mut self.r;
            let msg = match r.below(100) {
                0..=59 => 106_023,
                60..=84 => 106_100,
                _ => 106_001,
            };
            let k = match tier {
                Tier::Heavy(_) => r.range(5, 30),
                Tier::Medium => r.range(2, 8),
                Tier::OneOff => r.range(1, 3),
            };
            (Kind::Deny(msg), a, k as u32)
        } else if u < 0.55 {
            let a = if self.r.chance(0.6) { pop::home_addr(&mut self.r) } else { pop::travel_addr(&mut self.r) };
            (Kind::Inbound, a, 2)
        } else {
            let host = self.inside[self.r.skewed(self.inside.len() as u64) as usize];
            (if u < 0.82 { Kind::OutboundTcp } else { Kind::OutboundUdp }, host, 2)
        };
        let (txt, len) = addr_text(src);
        let mut unit = Unit {
            kind,
            src,
            txt,
            len,
            left,
            id: 0,
            src_port: self.r.range(32_768, 60_999) as u16,
            peer: Vec::new(),
            peer_port: 0,
            dur_secs: 0,
            bytes: 0,
            reason: "",
        };
        if !matches!(kind, Kind::Deny(_)) {
            let (peer, peer_port, dur, bytes, reason) = self.connection(kind, matches!(src, Addr::V6(_)));
            self.next_id += 1 + self.r.below(4);
            unit.id = self.next_id;
            unit.peer = peer;
            unit.peer_port = peer_port;
            unit.dur_secs = dur;
            unit.bytes = bytes;
            unit.reason = reason;
        }
        (unit, left)
    }

    fn line(&mut self, t: i64, ts: i64, u: &mut Unit, b: &mut Vec<u8>, tally: &mut Tally) -> Option<i64> {
        tally.line(ts);
        tally.address(u.src);
        self.stamp.push(ts, b);
        b.extend_from_slice(&self.head);
        let src = &u.txt[..usize::from(u.len)];
        let v6 = matches!(u.src, Addr::V6(_));
        match u.kind {
            Kind::Deny(msg) => {
                tally.event(Ev::DenyFailure);
                let r = &mut self.r;
                let dst =
                    if v6 { self.ssh6.clone() } else { text(self.inside[r.below(self.inside.len() as u64) as usize]) };
                let sport = r.range(1_024, 65_535) as u16;
                match msg {
                    106_023 => {
                        b.extend_from_slice(b"4-106023: Deny ");
                        match r.below(100) {
                            0..=4 if !v6 => {
                                b.extend_from_slice(b"icmp src outside:");
                                b.extend_from_slice(src);
                                b.extend_from_slice(b" dst inside:");
                                b.extend_from_slice(&dst);
                                b.extend_from_slice(b" (type 8, code 0)");
                            }
                            5..=14 => {
                                let port = UDP_DENY_PORTS[r.below(UDP_DENY_PORTS.len() as u64) as usize];
                                b.extend_from_slice(b"udp src ");
                                endpoint(b, b"outside", src, sport);
                                b.extend_from_slice(b" dst ");
                                endpoint(b, b"inside", &dst, port);
                            }
                            _ => {
                                let port = DENY_PORTS[r.skewed(DENY_PORTS.len() as u64) as usize];
                                b.extend_from_slice(b"tcp src ");
                                endpoint(b, b"outside", src, sport);
                                b.extend_from_slice(b" dst ");
                                endpoint(b, b"inside", &dst, port);
                            }
                        }
                        b.extend_from_slice(b" by access-group \"outside_access_in\" [0x0, 0x0]");
                    }
                    106_100 => {
                        let port = DENY_PORTS[r.skewed(DENY_PORTS.len() as u64) as usize];
                        b.extend_from_slice(b"6-106100: access-list outside_access_in denied tcp outside/");
                        b.extend_from_slice(src);
                        b.push(b'(');
                        push_u64(b, u64::from(sport));
                        b.extend_from_slice(b") -> inside/");
                        b.extend_from_slice(&dst);
                        b.push(b'(');
                        push_u64(b, u64::from(port));
                        b.extend_from_slice(b") hit-cnt 1 first hit [0x");
                        let h = r.u64() as u32;
                        b.extend_from_slice(format!("{h:08x}").as_bytes());
                        b.extend_from_slice(b", 0x0]");
                    }
                    _ => {
                        let port = DENY_PORTS[r.skewed(DENY_PORTS.len() as u64) as usize];
                        b.extend_from_slice(b"2-106001: Inbound TCP connection denied from ");
                        b.extend_from_slice(src);
                        b.push(b'/');
                        push_u64(b, u64::from(sport));
                        b.extend_from_slice(b" to ");
                        b.extend_from_slice(&dst);
                        b.push(b'/');
                        push_u64(b, u64::from(port));
                        b.extend_from_slice(b" flags SYN on interface outside");
                    }
                }
                b.push(b'\n');
                u.left -= 1;
                if u.left == 0 {
                    return None;
                }
                let gap = 0.01 + 2.0 * self.r.unit();
                Some(t + (gap * SEC as f64) as i64)
            }
            kind => {
                tally.event(Ev::Connection);
                let udp = kind == Kind::OutboundUdp;
                let built = u.left == 2;
                let msg: &[u8] = match (built, udp) {
                    (true, false) => b"6-302013: Built ",
                    (false, false) => b"6-302014: Teardown TCP",
                    (true, true) => b"6-302015: Built ",
                    (false, true) => b"6-302016: Teardown UDP",
                };
                b.extend_from_slice(msg);
                if built {
                    b.extend_from_slice(if kind == Kind::Inbound { b"inbound " } else { b"outbound " });
                    b.extend_from_slice(if udp { b"UDP" } else { b"TCP" });
                }
                b.extend_from_slice(b" connection ");
                push_u64(b, u.id);
                b.extend_from_slice(b" for ");
                // The `for` side is the outside one; the mapped address of an inside host is the
                // site's NAT address (documentation range), of a DMZ server its public one.
                let (out_a, out_p, in_if, in_a, in_p) = if kind == Kind::Inbound {
                    (src, u.src_port, &b"dmz"[..], &u.peer[..], u.peer_port)
                } else {
                    (&u.peer[..], u.peer_port, &b"inside"[..], src, u.src_port)
                };
                endpoint(b, b"outside", out_a, out_p);
                if built {
                    b.extend_from_slice(b" (");
                    b.extend_from_slice(out_a);
                    b.push(b'/');
                    push_u64(b, u64::from(out_p));
                    b.push(b')');
                }
                b.extend_from_slice(b" to ");
                endpoint(b, in_if, in_a, in_p);
                if built {
                    b.extend_from_slice(if v6 { b" (2001:db8::22/" } else { b" (198.51.100.10/" });
                    push_u64(b, u64::from(in_p));
                    b.push(b')');
                } else {
                    b.extend_from_slice(b" duration ");
                    push_duration(b, u.dur_secs);
                    b.extend_from_slice(b" bytes ");
                    push_u64(b, u.bytes);
                    if !u.reason.is_empty() {
                        b.push(b' ');
                        b.extend_from_slice(u.reason.as_bytes());
                    }
                }
                b.push(b'\n');
                u.left -= 1;
                if u.left == 0 {
                    return None;
                }
                let micros = u.dur_secs as i64 * SEC + self.r.below(SEC as u64) as i64;
                Some(t + micros)
            }
        }
    }
}
