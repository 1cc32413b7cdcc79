//! IntelMQ events as JSON lines (the file output bot: flat dotted keys, sorted, Python's
//! `", "` / `": "` separators), as a national CERT's eventDB receives them from its feeds.
//!
//! One event per unit, in `time.source` order; `time.observation` follows by minutes to hours.
//! The reported address comes from the [`Crowd`] (heavy hitters are the addresses that every
//! feed keeps reporting); `source.asn`, `source.as_name` and `source.geolocation.cc` are the
//! real holder of the range the address was drawn from, and absent for addresses drawn
//! uniformly from the routable space (a feed without ASN enrichment). The feeds, with IntelMQ's
//! classification of each ([`FEEDS`]): Shadowserver honeypot brute force / darknet / sinkhole /
//! accessible-service reports, abuse.ch Feodo Tracker and URLhaus, blocklist.de, Spamhaus CERT.
//!
//! Every line is one `feed_event` for ipscope.

use std::io::{self, Write};

use crate::SshConfig;
use crate::crowd::Crowd;
use crate::engine::{self, Model, SEC};
use crate::population::Addr;
use crate::render::{ADDR_TEXT, Stamp, Style, addr_text, push_json_str, push_u64};
use crate::rng::Rng;
use crate::truth::{Ev, Tally, Truth};

/// Which port of the event a feed names.
#[derive(Clone, Copy)]
enum Port {
    /// The attacked port (`destination.port`), the source port ephemeral.
    Dest(u16),
    /// The service the source runs (`source.port`).
    Source(&'static [u16]),
    /// A darknet: any of the usual scan targets.
    Scan,
    None,
}

struct Feed {
    provider: &'static str,
    name: &'static str,
    taxonomy: &'static str,
    class_type: &'static str,
    /// `None`: the malware name is the identifier.
    identifier: Option<&'static str>,
    application: Option<&'static str>,
    port: Port,
    malware: &'static [&'static str],
    url: bool,
    weight: u32,
}

/// The feeds and how IntelMQ's parsers classify their events.
const FEEDS: &[Feed] = &[
    Feed {
        provider: "Shadowserver",
        name: "Honeypot-Brute-Force-Events",
        taxonomy: "intrusion-attempts",
        class_type: "brute-force",
        identifier: Some("ssh-brute-force"),
        application: Some("ssh"),
        port: Port::Dest(22),
        malware: &[],
        url: false,
        weight: 30,
    },
    Feed {
        provider: "Shadowserver",
        name: "Honeypot-Brute-Force-Events",
        taxonomy: "intrusion-attempts",
        class_type: "brute-force",
        identifier: Some("telnet-brute-force"),
        application: Some("telnet"),
        port: Port::Dest(23),
        malware: &[],
        url: false,
        weight: 8,
    },
    Feed {
        provider: "Shadowserver",
        name: "Honeypot-Darknet",
        taxonomy: "other",
        class_type: "other",
        identifier: None,
        application: None,
        port: Port::Scan,
        malware: &["mirai", "gafgyt", "scan", "mozi"],
        url: false,
        weight: 20,
    },
    Feed {
        provider: "Shadowserver",
        name: "Sinkhole-HTTP-Events",
        taxonomy: "malicious-code",
        class_type: "infected-system",
        identifier: Some("sinkhole-http"),
        application: Some("http"),
        port: Port::Dest(80),
        malware: &["andromeda", "necurs", "conficker", "ramnit", "sality"],
        url: false,
        weight: 8,
    },
    Feed {
        provider: "Shadowserver",
        name: "Accessible-RDP",
        taxonomy: "vulnerable",
        class_type: "vulnerable-system",
        identifier: Some("open-rdp"),
        application: Some("rdp"),
        port: Port::Source(&[3389]),
        malware: &[],
        url: false,
        weight: 6,
    },
    Feed {
        provider: "Shadowserver",
        name: "Accessible-Telnet",
        taxonomy: "vulnerable",
        class_type: "vulnerable-system",
        identifier: Some("open-telnet"),
        application: Some("telnet"),
        port: Port::Source(&[23, 2323]),
        malware: &[],
        url: false,
        weight: 4,
    },
    Feed {
        provider: "abuse.ch",
        name: "Feodo Tracker",
        taxonomy: "malicious-code",
        class_type: "c2-server",
        identifier: Some("c2-server"),
        application: None,
        port: Port::Source(&[443, 8080, 447, 995, 2222]),
        malware: &["qakbot", "emotet", "dridex", "trickbot", "bumblebee"],
        url: false,
        weight: 3,
    },
    Feed {
        provider: "abuse.ch",
        name: "URLhaus",
        taxonomy: "malicious-code",
        class_type: "malware-distribution",
        identifier: Some("malware-distribution"),
        application: Some("http"),
        port: Port::Source(&[80, 8080, 443]),
        malware: &[],
        url: true,
        weight: 5,
    },
    Feed {
        provider: "Blocklist.de",
        name: "SSH",
        taxonomy: "intrusion-attempts",
        class_type: "brute-force",
        identifier: Some("ssh"),
        application: Some("ssh"),
        port: Port::None,
        malware: &[],
        url: false,
        weight: 8,
    },
    Feed {
        provider: "Spamhaus",
        name: "Spamhaus CERT",
        taxonomy: "malicious-code",
        class_type: "infected-system",
        identifier: None,
        application: None,
        port: Port::None,
        malware: &["mirai", "pushdo", "xorddos", "gozi"],
        url: false,
        weight: 8,
    },
];

/// Ports a darknet sees probed.
const SCAN_PORTS: &[u16] = &[23, 22, 445, 80, 8080, 3389, 2323, 5555, 37215, 52869, 443, 1433, 6379, 81, 7547];

/// Holders of the ranges [`crate::population`] draws from: (first octets / prefix, length,
/// ASN, AS name, country).
const V4_HOLDERS: &[([u8; 4], u8, u32, &str, &str)] = &[
    ([218, 92, 0, 0], 16, 4134, "CHINANET-BACKBONE", "CN"),
    ([61, 177, 172, 0], 24, 4134, "CHINANET-BACKBONE", "CN"),
    ([222, 186, 0, 0], 16, 4134, "CHINANET-BACKBONE", "CN"),
    ([58, 218, 0, 0], 16, 4134, "CHINANET-BACKBONE", "CN"),
    ([183, 60, 0, 0], 16, 4134, "CHINANET-BACKBONE", "CN"),
    ([175, 16, 199, 0], 24, 4837, "CHINA169-BACKBONE", "CN"),
    ([112, 85, 0, 0], 16, 4837, "CHINA169-BACKBONE", "CN"),
    ([43, 156, 0, 0], 16, 132_203, "TENCENT-NET-AP-CN", "CN"),
    ([43, 128, 0, 0], 10, 132_203, "TENCENT-NET-AP-CN", "CN"),
    ([119, 28, 0, 0], 16, 132_203, "TENCENT-NET-AP-CN", "CN"),
    ([164, 92, 0, 0], 16, 14_061, "DIGITALOCEAN-ASN", "US"),
    ([159, 65, 0, 0], 16, 14_061, "DIGITALOCEAN-ASN", "US"),
    ([167, 99, 0, 0], 16, 14_061, "DIGITALOCEAN-ASN", "US"),
    ([134, 209, 0, 0], 16, 14_061, "DIGITALOCEAN-ASN", "US"),
    ([138, 68, 0, 0], 16, 14_061, "DIGITALOCEAN-ASN", "US"),
    ([146, 190, 0, 0], 16, 14_061, "DIGITALOCEAN-ASN", "US"),
    ([216, 160, 83, 0], 24, 209, "CENTURYLINK-US-LEGACY-QWEST", "US"),
    ([89, 160, 20, 0], 24, 29_518, "Bredband2 AB", "SE"),
    ([3, 0, 0, 0], 9, 16_509, "AMAZON-02", "US"),
    ([18, 128, 0, 0], 9, 16_509, "AMAZON-02", "US"),
    ([52, 0, 0, 0], 10, 16_509, "AMAZON-02", "US"),
    ([20, 0, 0, 0], 11, 8_075, "MICROSOFT-CORP-MSN-AS-BLOCK", "US"),
    ([40, 64, 0, 0], 10, 8_075, "MICROSOFT-CORP-MSN-AS-BLOCK", "US"),
    ([34, 64, 0, 0], 10, 396_982, "GOOGLE-CLOUD-PLATFORM", "US"),
    ([35, 192, 0, 0], 12, 396_982, "GOOGLE-CLOUD-PLATFORM", "US"),
    ([47, 74, 0, 0], 15, 45_102, "ALIBABA-CN-NET", "CN"),
    ([8, 208, 0, 0], 12, 45_102, "ALIBABA-CN-NET", "CN"),
    ([39, 96, 0, 0], 11, 45_102, "ALIBABA-CN-NET", "CN"),
    ([51, 68, 0, 0], 16, 16_276, "OVH", "FR"),
    ([54, 36, 0, 0], 16, 16_276, "OVH", "FR"),
    ([137, 74, 0, 0], 16, 16_276, "OVH", "FR"),
    ([78, 46, 0, 0], 15, 24_940, "HETZNER-AS", "DE"),
    ([88, 198, 0, 0], 16, 24_940, "HETZNER-AS", "DE"),
    ([116, 202, 0, 0], 15, 24_940, "HETZNER-AS", "DE"),
    ([135, 181, 0, 0], 16, 24_940, "HETZNER-AS", "FI"),
    ([45, 32, 0, 0], 16, 20_473, "AS-CHOOPA", "US"),
    ([45, 77, 0, 0], 16, 20_473, "AS-CHOOPA", "US"),
    ([139, 162, 0, 0], 16, 63_949, "AKAMAI-LINODE-AP", "US"),
    ([172, 104, 0, 0], 15, 63_949, "AKAMAI-LINODE-AP", "US"),
    ([1, 128, 0, 0], 11, 1_221, "ASN-TELSTRA", "AU"),
    ([14, 160, 0, 0], 11, 45_899, "VNPT-AS-VN", "VN"),
    ([113, 160, 0, 0], 11, 45_899, "VNPT-AS-VN", "VN"),
];

/// The same for the IPv6 /32 prefixes.
const V6_HOLDERS: &[(u32, u32, &str, &str)] = &[
    (0x2a01_04f8, 24_940, "HETZNER-AS", "DE"),
    (0x2604_a880, 14_061, "DIGITALOCEAN-ASN", "US"),
    (0x2a03_b0c0, 14_061, "DIGITALOCEAN-ASN", "US"),
    (0x2001_41d0, 16_276, "OVH", "FR"),
    (0x2600_3c00, 63_949, "AKAMAI-LINODE-AP", "US"),
    (0x2402_4e00, 132_203, "TENCENT-NET-AP-CN", "CN"),
    (0x2001_0218, 2_914, "NTT-LTD-2914", "JP"),
];

fn holder(a: Addr) -> Option<(u32, &'static str, &'static str)> {
    match a {
        Addr::V4(x) => V4_HOLDERS
            .iter()
            .find(|(net, len, ..)| x >> (32 - u32::from(*len)) == u32::from_be_bytes(*net) >> (32 - u32::from(*len)))
            .map(|&(_, _, asn, name, cc)| (asn, name, cc)),
        Addr::V6(x) => {
            let p = (x >> 96) as u32;
            V6_HOLDERS.iter().find(|h| h.0 == p).map(|&(_, asn, name, cc)| (asn, name, cc))
        }
    }
}

struct Intelmq {
    r: Rng,
    crowd: Crowd,
    cumulative: Vec<u32>,
    source: Stamp,
    observation: Stamp,
}

/// Writes `cfg.lines` IntelMQ event lines; see the module docs.
pub(crate) fn write<W: Write>(cfg: &SshConfig, out: W) -> io::Result<Truth> {
    let mut r = Rng::new(cfg.seed ^ 0x01e1_0001);
    let end = cfg.start_micros + i64::from(cfg.days) * engine::DAY;
    let crowd = Crowd::new(&mut r, cfg.lines, cfg.start_micros, end, 0.3, 0.08);
    let mut acc = 0;
    let cumulative = FEEDS
        .iter()
        .map(|f| {
            acc += f.weight;
            acc
        })
        .collect();
    let mut m = Intelmq {
        r: Rng::new(cfg.seed ^ 0x01e1_0002),
        crowd,
        cumulative,
        source: Stamp::new(Style::IsoSeconds),
        observation: Stamp::new(Style::IsoSeconds),
    };
    engine::run(cfg, &mut m, &mut r, out)
}

pub(crate) struct Report {
    addr: Addr,
    txt: [u8; ADDR_TEXT],
    len: u8,
}

/// `, "key": `
fn key(out: &mut Vec<u8>, k: &str) {
    out.extend_from_slice(b", \"");
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\": ");
}

impl Model for Intelmq {
    type Unit = Report;

    fn prior_lines(&self) -> f64 {
        1.0
    }

    fn start(&mut self, t: i64) -> (Report, u32) {
        let (addr, _) = self.crowd.pick(&mut self.r, t);
        let (txt, len) = addr_text(addr);
        (Report { addr, txt, len }, 1)
    }

    fn line(&mut self, _t: i64, ts: i64, u: &mut Report, b: &mut Vec<u8>, tally: &mut Tally) -> Option<i64> {
        tally.line(ts);
        tally.address(u.addr);
        tally.event(Ev::FeedEvent);
        let r = &mut self.r;
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = r.below(u64::from(total)) as u32;
        let f = &FEEDS[self.cumulative.partition_point(|&c| c <= x).min(FEEDS.len() - 1)];
        let malware = (!f.malware.is_empty()).then(|| f.malware[r.skewed(f.malware.len() as u64) as usize]);

        b.extend_from_slice(b"{\"classification.identifier\": ");
        push_json_str(b, f.identifier.or(malware).unwrap_or("unknown"));
        key(b, "classification.taxonomy");
        push_json_str(b, f.taxonomy);
        key(b, "classification.type");
        push_json_str(b, f.class_type);
        let (src_port, dst_port) = match f.port {
            Port::Dest(p) => (Some(r.range(1_024, 65_535) as u16), Some(p)),
            Port::Source(ps) => (Some(ps[r.below(ps.len() as u64) as usize]), None),
            Port::Scan => {
                (Some(r.range(1_024, 65_535) as u16), Some(SCAN_PORTS[r.skewed(SCAN_PORTS.len() as u64) as usize]))
            }
            Port::None => (None, None),
        };
        if let Some(p) = dst_port {
            key(b, "destination.port");
            push_u64(b, u64::from(p));
        }
        b.extend_from_slice(b", \"feed.accuracy\": 100.0");
        key(b, "feed.name");
        push_json_str(b, f.name);
        key(b, "feed.provider");
        push_json_str(b, f.provider);
        if let Some(m) = malware {
            key(b, "malware.name");
            push_json_str(b, m);
        }
        if let Some(app) = f.application {
            key(b, "protocol.application");
            push_json_str(b, app);
        }
        if src_port.is_some() {
            b.extend_from_slice(b", \"protocol.transport\": \"tcp\"");
        }
        if let Some((asn, name, cc)) = holder(u.addr) {
            key(b, "source.as_name");
            push_json_str(b, name);
            key(b, "source.asn");
            push_u64(b, u64::from(asn));
            key(b, "source.geolocation.cc");
            push_json_str(b, cc);
        }
        let ip = &u.txt[..usize::from(u.len)];
        b.extend_from_slice(b", \"source.ip\": \"");
        b.extend_from_slice(ip);
        b.push(b'"');
        if let Some(p) = src_port {
            key(b, "source.port");
            push_u64(b, u64::from(p));
        }
        if f.url {
            const PATHS: &[&str] = &["/bins.sh", "/i", "/x86_64", "/mips", "/arm7", "/Mozi.m", "/wget.sh"];
            b.extend_from_slice(b", \"source.url\": \"http://");
            if matches!(u.addr, Addr::V6(_)) {
                b.push(b'[');
                b.extend_from_slice(ip);
                b.push(b']');
            } else {
                b.extend_from_slice(ip);
            }
            b.extend_from_slice(PATHS[r.below(PATHS.len() as u64) as usize].as_bytes());
            b.push(b'"');
        }
        let delay = (r.exp(1_800.0) * SEC as f64) as i64 + 60 * SEC;
        b.extend_from_slice(b", \"time.observation\": \"");
        self.observation.push(ts + delay, b);
        b.extend_from_slice(b"\", \"time.source\": \"");
        self.source.push(ts, b);
        b.extend_from_slice(b"\"}\n");
        None
    }
}
