//! Reverse DNS: the PTR name of addresses, from a DNS server over UDP.
//!
//! A small client of its own (RFC 1035 messages, no dependency): one socket `connect`ed to the
//! server (so nothing else can answer), up to `concurrency` queries in flight at once, each with
//! a random ID and its question checked in the answer, sent again once when no answer came within
//! half the timeout, and given up after `timeout`. A thousand addresses at 32 in flight and a
//! 2 s timeout take at most about a minute even when the server answers nothing.
//!
//! Answers are hostile text (whoever owns an address's reverse zone writes its PTR name): names
//! are kept to letters, digits, `-`, `_` and `.`, any other byte shown as `\DDD` (as `dig`
//! does), and never longer than a DNS name can be. Responses are parsed with bounds checks
//! everywhere and at most [`MAX_POINTERS`] compression jumps.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Longest DNS name, in bytes of its wire form (RFC 1035 §2.3.4).
pub const MAX_NAME: usize = 255;
/// Most compression pointers followed in one name (a loop is an error, not a hang).
pub const MAX_POINTERS: usize = 32;
/// Largest UDP response read (EDNS is not asked for, so 512 is the most a server sends).
const MAX_UDP: usize = 4096;
/// Default time to wait for an answer, per address.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default queries in flight.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// Most queries in flight.
pub const MAX_CONCURRENCY: usize = 1024;

const TYPE_PTR: u16 = 12;
const CLASS_IN: u16 = 1;

/// What the server said about one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PtrAnswer {
    /// The PTR name (the first, when there are several).
    Name(String),
    /// The name does not exist (NXDOMAIN) or has no PTR record.
    None,
    /// The server failed (SERVFAIL, REFUSED, a malformed answer, ...).
    Failed(&'static str),
    /// No answer within the timeout.
    Timeout,
}

impl PtrAnswer {
    /// A short word for the cache and messages: `ok`, `none`, `failed`, `timeout`.
    pub fn status(&self) -> &'static str {
        match self {
            PtrAnswer::Name(_) => "ok",
            PtrAnswer::None => "none",
            PtrAnswer::Failed(_) => "failed",
            PtrAnswer::Timeout => "timeout",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PtrError {
    #[error("cannot use DNS server {server}: {source}")]
    Socket { server: SocketAddr, source: std::io::Error },
    #[error("no DNS server: no `nameserver` line in /etc/resolv.conf (pass --dns-server ADDR:PORT)")]
    NoServer,
}

/// A DNS server and how to ask it.
#[derive(Clone, Debug)]
pub struct Resolver {
    pub server: SocketAddr,
    pub timeout: Duration,
    pub concurrency: usize,
}

/// The first `nameserver` of a resolv.conf text, on port 53.
pub fn system_server(resolv_conf: &str) -> Option<SocketAddr> {
    resolv_conf
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver")).then(|| w.next()).flatten()?.split('%').next()?.parse::<IpAddr>().ok()
        })
        .map(|ip| SocketAddr::new(ip, 53))
}

/// The name a PTR query asks for: `7.100.51.198.in-addr.arpa`, or the IPv6 nibbles `.ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(72);
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

/// A PTR query for `name` with `id` (recursion desired).
pub fn build_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.').filter(|l| !l.is_empty()) {
        q.push(label.len().min(63) as u8);
        q.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    q.push(0);
    q.extend_from_slice(&TYPE_PTR.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    q
}

/// Why a response was not used.
#[derive(Debug, PartialEq, Eq)]
pub enum Bad {
    /// Not an answer to this query (another ID or question): ignored.
    NotOurs,
    /// A broken message.
    Malformed,
}

fn u16_at(m: &[u8], i: usize) -> Result<u16, Bad> {
    m.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or(Bad::Malformed)
}

/// Reads the (possibly compressed) name at `pos`: its text (lowercase as sent, hostile bytes
/// escaped) and the position after it in the message.
pub fn read_name(m: &[u8], mut pos: usize) -> Result<(String, usize), Bad> {
    let mut out = String::new();
    let mut wire_len = 0;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *m.get(pos).ok_or(Bad::Malformed)? as usize;
        match len & 0xc0 {
            0xc0 => {
                let target = (u16_at(m, pos)? & 0x3fff) as usize;
                end.get_or_insert(pos + 2);
                jumps += 1;
                if jumps > MAX_POINTERS {
                    return Err(Bad::Malformed);
                }
                pos = target;
            }
            0 if len == 0 => {
                return Ok((if out.is_empty() { ".".into() } else { out }, end.unwrap_or(pos + 1)));
            }
            0 => {
                wire_len += len + 1;
                if wire_len > MAX_NAME {
                    return Err(Bad::Malformed);
                }
                let label = m.get(pos + 1..pos + 1 + len).ok_or(Bad::Malformed)?;
                if !out.is_empty() {
                    out.push('.');
                }
                for &b in label {
                    if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                        out.push(char::from(b));
                    } else {
                        out.push_str(&format!("\\{b:03}"));
                    }
                }
                pos += 1 + len;
            }
            _ => return Err(Bad::Malformed),
        }
    }
}

/// Parses the response to the query `(id, name)`.
pub fn parse_response(m: &[u8], id: u16, name: &str) -> Result<PtrAnswer, Bad> {
    if u16_at(m, 0)? != id {
        return Err(Bad::NotOurs);
    }
    let flags = u16_at(m, 2)?;
    if flags & 0x8000 == 0 {
        return Err(Bad::NotOurs); // a query, not a response
    }
    let (qd, an) = (u16_at(m, 4)?, u16_at(m, 6)?);
    if qd != 1 {
        return Err(Bad::Malformed);
    }
    let (qname, mut pos) = read_name(m, 12)?;
    if !qname.eq_ignore_ascii_case(name) || u16_at(m, pos)? != TYPE_PTR {
        return Err(Bad::NotOurs);
    }
    pos += 4;
    if flags & 0x0200 != 0 {
        return Ok(PtrAnswer::Failed("truncated"));
    }
    match flags & 0x000f {
        0 => {}
        3 => return Ok(PtrAnswer::None),
        2 => return Ok(PtrAnswer::Failed("server failure")),
        5 => return Ok(PtrAnswer::Failed("refused")),
        _ => return Ok(PtrAnswer::Failed("error")),
    }
    for _ in 0..an {
        let (_, p) = read_name(m, pos)?;
        let rtype = u16_at(m, p)?;
        let rdlen = u16_at(m, p + 8)? as usize;
        let rdata = p + 10;
        if m.len() < rdata + rdlen {
            return Err(Bad::Malformed);
        }
        if rtype == TYPE_PTR {
            let (target, _) = read_name(m, rdata)?;
            return Ok(PtrAnswer::Name(target));
        }
        pos = rdata + rdlen;
    }
    Ok(PtrAnswer::None)
}

/// A query in flight.
struct Pending {
    index: usize,
    name: String,
    deadline: Instant,
    resend: Option<Instant>,
}

impl Resolver {
    /// The PTR answer for each of `ips`, in order.
    pub fn resolve(&self, ips: &[IpAddr]) -> Result<Vec<PtrAnswer>, PtrError> {
        let err = |source| PtrError::Socket { server: self.server, source };
        let bind: SocketAddr = if self.server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
        let sock = UdpSocket::bind(bind).map_err(err)?;
        sock.connect(self.server).map_err(err)?;
        let mut answers = vec![PtrAnswer::Timeout; ips.len()];
        let mut next = 0;
        let mut pending: HashMap<u16, Pending> = HashMap::new();
        let mut ids = Ids::new();
        let limit = self.concurrency.clamp(1, MAX_CONCURRENCY);
        let mut buf = vec![0u8; MAX_UDP];
        while next < ips.len() || !pending.is_empty() {
            while next < ips.len() && pending.len() < limit {
                let name = reverse_name(ips[next]);
                let id = ids.fresh(&pending);
                let now = Instant::now();
                // A lost datagram is sent again once, half way to the deadline.
                let p =
                    Pending { index: next, deadline: now + self.timeout, resend: Some(now + self.timeout / 2), name };
                if sock.send(&build_query(id, &p.name)).is_err() {
                    answers[next] = PtrAnswer::Failed("send failed");
                } else {
                    pending.insert(id, p);
                }
                next += 1;
            }
            let now = Instant::now();
            let wake = pending.values().map(|p| p.resend.unwrap_or(p.deadline)).min().unwrap_or(now);
            let wait = wake.saturating_duration_since(now).max(Duration::from_millis(1));
            sock.set_read_timeout(Some(wait)).map_err(err)?;
            // A timeout (WouldBlock / TimedOut) or an ICMP error (ConnectionRefused: nothing
            // listens there) alike: go on to the deadlines.
            if let Ok(n) = sock.recv(&mut buf) {
                let msg = &buf[..n];
                let Some(id) = msg.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else { continue };
                if let Some(p) = pending.get(&id) {
                    match parse_response(msg, id, &p.name) {
                        Ok(a) => {
                            answers[p.index] = a;
                            pending.remove(&id);
                        }
                        Err(Bad::Malformed) => {
                            answers[p.index] = PtrAnswer::Failed("malformed answer");
                            pending.remove(&id);
                        }
                        Err(Bad::NotOurs) => {}
                    }
                }
            }
            let now = Instant::now();
            let mut resend = Vec::new();
            pending.retain(|id, p| {
                if now >= p.deadline {
                    answers[p.index] = PtrAnswer::Timeout;
                    return false;
                }
                if p.resend.is_some_and(|r| now >= r) {
                    p.resend = None;
                    resend.push(*id);
                }
                true
            });
            for id in resend {
                if let Some(p) = pending.get(&id) {
                    let _ = sock.send(&build_query(id, &p.name));
                }
            }
        }
        Ok(answers)
    }
}

/// Query IDs: random (seeded from the process's random hasher keys), unique among those in flight.
struct Ids(u64);

impl Ids {
    fn new() -> Ids {
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish();
        Ids(seed | 1)
    }

    fn fresh(&mut self, pending: &HashMap<u16, Pending>) -> u16 {
        loop {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let id = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 48) as u16;
            if !pending.contains_key(&id) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `build_query(id, name)` with these answer records (`(type, rdata)`), the
    /// owner name as a pointer to the question.
    fn response(id: u16, name: &str, rcode: u8, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut m = build_query(id, name);
        m[2] = 0x81;
        m[3] = 0x80 | rcode;
        m[7] = answers.len() as u8;
        for (t, rdata) in answers {
            m.extend_from_slice(&[0xc0, 12]);
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(rdata);
        }
        m
    }

    fn wire(name: &str) -> Vec<u8> {
        let q = build_query(0, name);
        q[12..q.len() - 4].to_vec()
    }

    #[test]
    fn reverse_names() {
        assert_eq!(reverse_name("198.51.100.7".parse().unwrap_or(IpAddr::from([0; 4]))), "7.100.51.198.in-addr.arpa");
        let v6 = reverse_name("2001:db8::5".parse().unwrap_or(IpAddr::from([0; 4])));
        assert!(v6.starts_with("5.0.0.0.0.0.0.0.") && v6.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"), "{v6}");
        assert_eq!(v6.split('.').count(), 34);
        assert_eq!(
            system_server("# x\nsearch lan\nnameserver 10.0.0.53\nnameserver 1.1.1.1\n"),
            Some("10.0.0.53:53".parse().unwrap_or(SocketAddr::from(([0; 4], 0))))
        );
        assert_eq!(system_server("nameserver fe80::1%eth0\n").map(|s| s.port()), Some(53));
        assert_eq!(system_server(""), None);
    }

    #[test]
    fn parses_answers() {
        let n = "7.100.51.198.in-addr.arpa";
        let r = response(7, n, 0, &[(5, wire("x.example")), (TYPE_PTR, wire("brute.example.net"))]);
        assert_eq!(parse_response(&r, 7, n), Ok(PtrAnswer::Name("brute.example.net".into())));
        assert_eq!(parse_response(&r, 8, n), Err(Bad::NotOurs));
        assert_eq!(parse_response(&r, 7, "8.100.51.198.in-addr.arpa"), Err(Bad::NotOurs));
        assert_eq!(parse_response(&response(7, n, 3, &[]), 7, n), Ok(PtrAnswer::None));
        assert_eq!(parse_response(&response(7, n, 0, &[]), 7, n), Ok(PtrAnswer::None));
        assert_eq!(parse_response(&response(7, n, 2, &[]), 7, n), Ok(PtrAnswer::Failed("server failure")));
        // The query itself (no QR bit) is not an answer.
        assert_eq!(parse_response(&build_query(7, n), 7, n), Err(Bad::NotOurs));
    }

    #[test]
    fn hostile_answers_are_bounded_and_escaped() {
        let n = "7.100.51.198.in-addr.arpa";
        // Control characters and a bidi override in a label.
        let mut evil = vec![8u8];
        evil.extend_from_slice(b"a\x1b[31m\xe2\x80");
        evil.extend_from_slice(&[3, b'c', b'o', b'm', 0]);
        let r = response(1, n, 0, &[(TYPE_PTR, evil)]);
        assert_eq!(parse_response(&r, 1, n), Ok(PtrAnswer::Name("a\\027\\09131m\\226\\128.com".into())));
        // A pointer to itself: a loop.
        let r = response(1, n, 0, &[(TYPE_PTR, vec![0xc0, 0])]);
        let at = r.len() - 2;
        let mut r2 = r.clone();
        r2[at] = 0xc0 | ((at >> 8) as u8);
        r2[at + 1] = at as u8;
        assert_eq!(parse_response(&r2, 1, n), Err(Bad::Malformed));
        // Truncated anywhere: never a panic, never an answer.
        let good = response(1, n, 0, &[(TYPE_PTR, wire("brute.example.net"))]);
        for len in 0..good.len() {
            assert!(parse_response(&good[..len], 1, n).is_err() || len >= good.len(), "{len}");
        }
        // A name longer than 255 bytes.
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'a'; 63]);
        }
        long.push(0);
        assert_eq!(parse_response(&response(1, n, 0, &[(TYPE_PTR, long)]), 1, n), Err(Bad::Malformed));
        // Arbitrary bytes never panic.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut m = good.clone();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % m.len();
                m[i] = (x >> 32) as u8;
            }
            let _ = parse_response(&m, 1, n);
        }
    }

    #[test]
    fn a_silent_server_times_out_within_the_limit() {
        let silent = UdpSocket::bind("127.0.0.1:0");
        let Ok(silent) = silent else { return };
        let Ok(server) = silent.local_addr() else { return };
        let r = Resolver { server, timeout: Duration::from_millis(300), concurrency: 4 };
        let ips: Vec<IpAddr> = (1..=10u8).map(|i| IpAddr::from([198, 51, 100, i])).collect();
        let started = Instant::now();
        let answers = r.resolve(&ips).unwrap_or_default();
        assert_eq!(answers, vec![PtrAnswer::Timeout; 10]);
        // 10 addresses, 4 at a time, 300 ms each: 3 rounds.
        assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
        // Every query was sent, and resent once.
        let mut buf = [0u8; 512];
        let _ = silent.set_read_timeout(Some(Duration::from_millis(50)));
        let mut n = 0;
        while silent.recv(&mut buf).is_ok() {
            n += 1;
        }
        assert_eq!(n, 20);
    }
}
