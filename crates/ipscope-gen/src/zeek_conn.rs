//! Zeek `conn.log` (TSV, Zeek 7's 22 columns with `ip_proto`) as a site's sensor writes it:
//! the 8-line header (`#separator` .. `#types`, counted in the line budget, ignored by the
//! parser), then one row per connection, in `ts` order (no `#close`: a log still being written).
//!
//! Units (bursts of connections from one source):
//! - **Outbound** (45 % of the units): an inside host ([`crate::CAMPUS_NETS`]) opens 1–6
//!   connections: TLS / HTTP to popular servers, DNS to the site's resolver, NTP, SSH, ping,
//!   other TCP. Mostly `SF`; some `S0`, `RSTO`, `RSTR`, `SH`, `S1`, UDP without reply.
//! - **Inbound visitors** (20 %): a residential or travelling address visits the web or mail
//!   server, 1–3 connections, `SF`.
//! - **Attacks** (35 %): a source from the [`Crowd`]. Heavy hitters brute-force SSH (5–30
//!   connections, `ssh`, `SF`) or sweep ports (20–100 probes); the medium pool probes 2–10
//!   ports, one-offs 1–3. Probes get no reply (`S0`), a reset (`REJ`), rarely `RSTOS0` or an
//!   open port (`SF`).
//!
//! Every row is a `connection` event whose outcome ipscope derives from `conn_state`
//! (`SF`, `S1`, `RSTO`, `RSTR` → success; `S0`, `REJ`, `RSTOS0`, `SH` → failure; ICMP `OTH`
//! with reply packets → success).

use std::io::{self, Write};

use crate::SshConfig;
use crate::crowd::{Crowd, Tier};
use crate::engine::{self, Model, SEC};
use crate::population::{self as pop, Addr, is_campus};
use crate::render::{ADDR_TEXT, addr_text, civil_from_days, push_epoch, push_secs6, push_u64};
use crate::rng::Rng;
use crate::truth::{Ev, Tally, Truth};

const FIELDS: &str = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\t\
                      resp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\t\
                      resp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto";
const TYPES: &str = "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\t\
                     count\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount";

/// Ports scanners probe, most popular first.
const PROBE_PORTS: &[u16] = &[
    22, 23, 80, 443, 3389, 445, 8080, 2222, 5900, 3306, 1433, 21, 25, 8443, 6379, 5432, 9200, 8888, 2375, 5060, 81,
    7547, 8000, 9000, 11211, 27017, 123, 161, 1900, 53,
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Outbound,
    Visitor,
    BruteForce,
    Probes,
}

pub(crate) struct Burst {
    kind: Kind,
    src: Addr,
    txt: [u8; ADDR_TEXT],
    len: u8,
    /// Connections left to write.
    left: u32,
}

/// One connection's columns from `proto` on.
struct Conn {
    proto: Proto,
    service: &'static str,
    state: &'static str,
    history: &'static str,
    /// `None`: a single packet (`duration`, byte counts unset).
    duration: Option<u64>,
    orig_bytes: u64,
    resp_bytes: u64,
    orig_pkts: u64,
    resp_pkts: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    Tcp,
    Udp,
    Icmp,
}

struct Zeek {
    /// `#open` value: the first day of the span.
    open: String,
    r: Rng,
    crowd: Crowd,
    inside: Vec<Addr>,
    outside: Vec<Addr>,
    servers: Servers,
}

/// The site's servers as address text.
struct Servers {
    web: Vec<u8>,
    mail: Vec<u8>,
    ssh: Vec<u8>,
    ssh6: Vec<u8>,
    dns: Vec<u8>,
}

/// Writes `cfg.lines` conn.log lines (header included); see the module docs.
pub(crate) fn write<W: Write>(cfg: &SshConfig, out: W) -> io::Result<Truth> {
    let mut r = Rng::new(cfg.seed ^ 0x2eec_0c0a);
    let end = cfg.start_micros + i64::from(cfg.days) * engine::DAY;
    let crowd = Crowd::new(&mut r, cfg.lines, cfg.start_micros, end, 0.4, 0.2);
    let inside = (0..(cfg.lines / 2_000).clamp(200, 20_000)).map(|_| pop::campus_addr(&mut r)).collect();
    let outside = (0..(cfg.lines / 5_000).clamp(100, 5_000)).map(|_| pop::scanner_addr(&mut r)).collect();
    let servers = Servers {
        web: b"10.0.0.80".to_vec(),
        mail: b"10.0.0.25".to_vec(),
        ssh: cfg.server_ip.to_string().into_bytes(),
        ssh6: cfg.server_ip6.to_string().into_bytes(),
        dns: b"10.0.0.53".to_vec(),
    };
    let (y, mo, d) = civil_from_days(cfg.start_micros.div_euclid(engine::DAY));
    let open = format!("{y:04}-{mo:02}-{d:02}-00-00-00");
    let mut m = Zeek { open, r: Rng::new(cfg.seed ^ 0x2eec_0c0b), crowd, inside, outside, servers };
    engine::run(cfg, &mut m, &mut r, out)
}

fn tcp(service: &'static str, state: &'static str, history: &'static str, dur: u64, ob: u64, rb: u64) -> Conn {
    // Roughly one packet per 1.4 kB plus the handshake and teardown.
    let (op, rp) = match state {
        "S0" => (if dur == 0 { 1 } else { 2 + dur / 3_000_000 }, 0),
        "REJ" => (1, 1),
        "RSTOS0" | "SH" => (2, 0),
        _ => (3 + ob / 1_400, 2 + rb / 1_400),
    };
    Conn {
        proto: Proto::Tcp,
        service,
        state,
        history,
        duration: (op + rp > 1).then_some(dur),
        orig_bytes: ob,
        resp_bytes: rb,
        orig_pkts: op,
        resp_pkts: rp,
    }
}

impl Zeek {
    /// An outbound connection's destination and columns.
    fn outbound(&mut self, src_v6: bool) -> (Vec<u8>, u16, Conn) {
        let r = &mut self.r;
        let ext = self.outside[r.skewed(self.outside.len() as u64) as usize];
        let ext = if src_v6 { Addr::V6(0x2606_4700_0000_0000_0000_0000_0000_1111) } else { ext };
        let ext_txt = {
            let (t, n) = addr_text(ext);
            t[..usize::from(n)].to_vec()
        };
        let dur = |r: &mut Rng, mean: f64| (r.exp(mean) * SEC as f64) as u64 + 1_000;
        let u = r.below(100);
        match u {
            0..=54 => {
                let c = match r.below(100) {
                    0..=84 => {
                        tcp("ssl", "SF", "ShADadFf", dur(r, 20.0), r.range(500, 4_000), r.range(2_000, 2_000_000))
                    }
                    85..=89 => tcp("ssl", "RSTO", "ShADadR", dur(r, 30.0), r.range(500, 3_000), r.range(1_000, 90_000)),
                    90..=93 => tcp("ssl", "RSTR", "ShADadr", dur(r, 30.0), r.range(500, 3_000), r.range(1_000, 90_000)),
                    94..=95 => tcp("-", "S1", "ShADad", dur(r, 600.0), r.range(100, 900), r.range(100, 900)),
                    96..=97 => tcp("-", "SH", "SF", dur(r, 0.5), 0, 0),
                    _ => tcp("-", "S0", "S", dur(r, 6.0), 0, 0),
                };
                (ext_txt, 443, c)
            }
            55..=64 => {
                (ext_txt, 80, tcp("http", "SF", "ShADadFf", dur(r, 3.0), r.range(300, 2_000), r.range(500, 500_000)))
            }
            65..=79 => {
                let answered = r.chance(0.97);
                let c = Conn {
                    proto: Proto::Udp,
                    service: if answered { "dns" } else { "-" },
                    state: if answered { "SF" } else { "S0" },
                    history: if answered { "Dd" } else { "D" },
                    duration: Some(if answered { r.range(300, 80_000) } else { 0 }),
                    orig_bytes: r.range(30, 60),
                    resp_bytes: if answered { r.range(60, 500) } else { 0 },
                    orig_pkts: 1,
                    resp_pkts: u64::from(answered),
                };
                (self.servers.dns.clone(), 53, c)
            }
            80..=82 => {
                let c = Conn {
                    proto: Proto::Udp,
                    service: "ntp",
                    state: "SF",
                    history: "Dd",
                    duration: Some(r.range(5_000, 90_000)),
                    orig_bytes: 48,
                    resp_bytes: 48,
                    orig_pkts: 1,
                    resp_pkts: 1,
                };
                (ext_txt, 123, c)
            }
            83..=84 => (
                ext_txt,
                22,
                tcp("ssh", "SF", "ShAdDaFf", dur(r, 900.0), r.range(3_000, 90_000), r.range(3_000, 900_000)),
            ),
            85..=87 if !src_v6 => {
                let c = Conn {
                    proto: Proto::Icmp,
                    service: "-",
                    state: "OTH",
                    history: "-",
                    duration: Some(r.range(3_000_000, 4_000_000)),
                    orig_bytes: 256,
                    resp_bytes: 256,
                    orig_pkts: 4,
                    resp_pkts: 4,
                };
                (ext_txt, 8, c)
            }
            _ => {
                let port = r.range(1_024, 20_000) as u16;
                let c = if r.chance(0.8) {
                    tcp("-", "SF", "ShADadFf", dur(r, 10.0), r.range(100, 50_000), r.range(100, 200_000))
                } else {
                    tcp("-", "REJ", "Sr", r.range(100, 90_000), 0, 0)
                };
                (ext_txt, port, c)
            }
        }
    }

    /// A probe of a scanner: destination, port and columns.
    fn probe(&mut self) -> (Vec<u8>, u16, Conn) {
        let r = &mut self.r;
        let port = PROBE_PORTS[r.skewed(PROBE_PORTS.len() as u64) as usize];
        let host = self.inside[r.below(self.inside.len() as u64) as usize];
        let dst = {
            let (t, n) = addr_text(host);
            t[..usize::from(n)].to_vec()
        };
        let c = match r.below(100) {
            0..=64 => {
                let retries = r.below(3);
                tcp("-", "S0", "S", retries * 3_000_000, 0, 0)
            }
            65..=91 => tcp("-", "REJ", "Sr", r.range(100, 5_000), 0, 0),
            92..=94 => tcp("-", "RSTOS0", "SR", r.range(100, 5_000), 0, 0),
            _ => {
                let svc = match port {
                    22 | 2222 => "ssh",
                    80 | 8080 | 8000 | 81 => "http",
                    443 | 8443 => "ssl",
                    _ => "-",
                };
                tcp(svc, "SF", "ShAdDaFf", r.range(50_000, 3_000_000), r.range(0, 300), r.range(20, 2_000))
            }
        };
        (dst, port, c)
    }
}

/// `"T"` / `"F"`: Zeek's `local_orig` / `local_resp` for the campus networks.
fn local(a: &[u8]) -> &'static [u8] {
    let campus = std::str::from_utf8(a).ok().and_then(|s| s.parse().ok()).is_some_and(is_campus);
    if campus { b"T" } else { b"F" }
}

impl Model for Zeek {
    type Unit = Burst;

    fn header(&mut self, budget: u64, out: &mut Vec<u8>, tally: &mut Tally) {
        let lines = [
            "#separator \\x09".to_owned(),
            "#set_separator\t,".to_owned(),
            "#empty_field\t(empty)".to_owned(),
            "#unset_field\t-".to_owned(),
            "#path\tconn".to_owned(),
            format!("#open\t{}", self.open),
            format!("#fields\t{FIELDS}"),
            format!("#types\t{TYPES}"),
        ];
        for l in lines.iter().take(usize::try_from(budget).unwrap_or(usize::MAX)) {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
            tally.header_line();
        }
    }

    fn prior_lines(&self) -> f64 {
        4.0
    }

    fn start(&mut self, t: i64) -> (Burst, u32) {
        let r = &mut self.r;
        let u = r.unit();
        let (kind, src, left) = if u < 0.45 {
            let host = self.inside[r.skewed(self.inside.len() as u64) as usize];
            (Kind::Outbound, host, r.range(1, 6))
        } else if u < 0.65 {
            let a = if r.chance(0.6) { pop::home_addr(r) } else { pop::travel_addr(r) };
            (Kind::Visitor, a, r.range(1, 3))
        } else {
            let (a, tier) = self.crowd.pick(r, t);
            match tier {
                Tier::Heavy(_) if r.chance(0.5) => (Kind::BruteForce, a, r.range(5, 30)),
                Tier::Heavy(_) => (Kind::Probes, a, r.range(20, 100)),
                Tier::Medium => (Kind::Probes, a, r.range(2, 10)),
                Tier::OneOff => (Kind::Probes, a, r.range(1, 3)),
            }
        };
        let (txt, len) = addr_text(src);
        let left = left as u32;
        (Burst { kind, src, txt, len, left }, left)
    }

    fn line(&mut self, t: i64, ts: i64, b: &mut Burst, out: &mut Vec<u8>, tally: &mut Tally) -> Option<i64> {
        let v6 = matches!(b.src, Addr::V6(_));
        let (dst, port, c) = match b.kind {
            Kind::Outbound => self.outbound(v6),
            Kind::Visitor => {
                let r = &mut self.r;
                if r.chance(0.85) {
                    let rb = r.range(2_000, 800_000);
                    let c = tcp("ssl", "SF", "ShADadFf", r.range(100_000, 30_000_000), r.range(400, 3_000), rb);
                    (self.servers.web.clone(), 443, c)
                } else {
                    let c = tcp("smtp", "SF", "ShAdDaFf", r.range(500_000, 5_000_000), r.range(1_000, 60_000), 900);
                    (self.servers.mail.clone(), 25, c)
                }
            }
            Kind::BruteForce => {
                let r = &mut self.r;
                let c = tcp(
                    "ssh",
                    "SF",
                    "ShAdDaFf",
                    r.range(2_000_000, 15_000_000),
                    r.range(1_500, 5_000),
                    r.range(2_000, 4_500),
                );
                (if v6 { self.servers.ssh6.clone() } else { self.servers.ssh.clone() }, 22, c)
            }
            Kind::Probes if v6 => {
                let c = tcp("-", "S0", "S", 0, 0, 0);
                (self.servers.ssh6.clone(), PROBE_PORTS[self.r.below(8) as usize], c)
            }
            Kind::Probes => self.probe(),
        };
        tally.line(ts);
        tally.address(b.src);
        tally.event(match (c.state, c.proto) {
            ("SF" | "S1" | "RSTO" | "RSTR", _) | ("OTH", Proto::Icmp) => Ev::ConnectionSuccess,
            _ => Ev::ConnectionFailure,
        });
        let r = &mut self.r;
        push_epoch(out, ts);
        out.extend_from_slice(b"\tC");
        for _ in 0..17 {
            const B62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
            out.push(B62[r.below(62) as usize]);
        }
        out.push(b'\t');
        let src = &b.txt[..usize::from(b.len)];
        out.extend_from_slice(src);
        out.push(b'\t');
        push_u64(out, if c.proto == Proto::Icmp { 8 } else { r.range(32_768, 60_999) });
        out.push(b'\t');
        out.extend_from_slice(&dst);
        out.push(b'\t');
        push_u64(out, if c.proto == Proto::Icmp { 0 } else { u64::from(port) });
        let (proto, ip_proto, hdr): (&[u8], u64, u64) = match c.proto {
            Proto::Tcp => (b"tcp", 6, 40),
            Proto::Udp => (b"udp", 17, 28),
            Proto::Icmp => (b"icmp", 1, 28),
        };
        out.push(b'\t');
        out.extend_from_slice(proto);
        out.push(b'\t');
        out.extend_from_slice(c.service.as_bytes());
        out.push(b'\t');
        match c.duration {
            Some(d) => {
                push_secs6(out, d);
                out.push(b'\t');
                push_u64(out, c.orig_bytes);
                out.push(b'\t');
                push_u64(out, c.resp_bytes);
            }
            None => out.extend_from_slice(b"-\t-\t-"),
        }
        out.push(b'\t');
        out.extend_from_slice(c.state.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(local(src));
        out.push(b'\t');
        out.extend_from_slice(local(&dst));
        out.extend_from_slice(b"\t0\t");
        out.extend_from_slice(c.history.as_bytes());
        out.push(b'\t');
        push_u64(out, c.orig_pkts);
        out.push(b'\t');
        push_u64(out, c.orig_bytes + hdr * c.orig_pkts);
        out.push(b'\t');
        push_u64(out, c.resp_pkts);
        out.push(b'\t');
        push_u64(out, c.resp_bytes + hdr * c.resp_pkts);
        out.extend_from_slice(b"\t-\t");
        push_u64(out, ip_proto);
        out.push(b'\n');

        b.left -= 1;
        if b.left == 0 {
            return None;
        }
        let gap = match b.kind {
            Kind::Outbound => 0.05 + 3.0 * self.r.unit(),
            Kind::Visitor => 0.2 + 20.0 * self.r.unit(),
            Kind::BruteForce => 2.0 + 8.0 * self.r.unit(),
            Kind::Probes => 0.001 + 0.5 * self.r.unit(),
        };
        Some(t + (gap * SEC as f64) as i64)
    }
}
