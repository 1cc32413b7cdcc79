//! Who connects: static tables (user names, address ranges) and the address generators.
//!
//! Address ranges are real, routable allocations (cloud and hosting providers, large access
//! networks, and the addresses that MaxMind's GeoIP2 test databases know), so that GeoIP / ASN
//! lookups in benchmarks hit real data. Reserved ranges are never generated, except the two
//! "campus" networks [`CAMPUS_NETS`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::rng::Rng;

/// The home ("campus") networks of the simulated site, as CIDR text. Legitimate users log in
/// from addresses in these networks and, sometimes, from off-campus addresses; attackers never
/// use them. Configure the same networks as home networks when ingesting generated data.
pub const CAMPUS_NETS: [&str; 2] = ["10.0.0.0/8", "192.168.0.0/16"];

/// Whether `ip` is in one of [`CAMPUS_NETS`].
pub fn is_campus(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            o[0] == 10 || (o[0] == 192 && o[1] == 168)
        }
        IpAddr::V6(_) => false,
    }
}

/// A source address, compact and cheap to hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Addr {
    V4(u32),
    V6(u128),
}

impl Addr {
    pub(crate) fn ip(self) -> IpAddr {
        match self {
            Addr::V4(a) => IpAddr::V4(Ipv4Addr::from(a)),
            Addr::V6(a) => IpAddr::V6(Ipv6Addr::from(a)),
        }
    }

    /// A 128-bit key, unique per address (v4 as its mapped form; mapped v6 is never generated).
    pub(crate) fn key(self) -> u128 {
        match self {
            Addr::V4(a) => 0xffff_0000_0000 | u128::from(a),
            Addr::V6(a) => a,
        }
    }
}

/// Names attackers try, with relative weights (from public honeypot and auth.log statistics:
/// `root` dominates, then default / service accounts).
pub(crate) const ATTACK_USERS: &[(&str, u32)] = &[
    ("root", 400),
    ("admin", 80),
    ("test", 30),
    ("user", 30),
    ("ubuntu", 28),
    ("oracle", 20),
    ("postgres", 20),
    ("pi", 16),
    ("git", 16),
    ("guest", 12),
    ("ftpuser", 12),
    ("support", 10),
    ("mysql", 10),
    ("deploy", 10),
    ("dev", 8),
    ("jenkins", 8),
    ("hadoop", 8),
    ("minecraft", 6),
    ("nagios", 6),
    ("tomcat", 6),
    ("www", 6),
    ("www-data", 5),
    ("ftp", 5),
    ("ubnt", 5),
    ("debian", 5),
    ("centos", 5),
    ("ec2-user", 5),
    ("azureuser", 5),
    ("steam", 4),
    ("ts3", 4),
    ("teamspeak", 4),
    ("administrator", 4),
    ("operator", 4),
    ("sysadmin", 4),
    ("backup", 4),
    ("server", 4),
    ("student", 4),
    ("test1", 3),
    ("test2", 3),
    ("user1", 3),
    ("admin1", 3),
    ("web", 3),
    ("webmaster", 3),
    ("mail", 3),
    ("docker", 4),
    ("odoo", 3),
    ("elastic", 3),
    ("es", 2),
    ("kafka", 2),
    ("redis", 3),
    ("zabbix", 3),
    ("vagrant", 3),
    ("sammy", 2),
    ("ansible", 2),
    ("gitlab-runner", 2),
    ("solana", 3),
    ("sol", 3),
    ("validator", 2),
    ("node", 2),
    ("testuser", 3),
    ("demo", 3),
    ("apache", 2),
    ("nginx", 2),
    ("hdfs", 1),
    ("spark", 1),
    ("gpadmin", 1),
    ("oracle1", 1),
    ("postgresql", 1),
    ("ftptest", 1),
    ("dspace", 1),
    ("bitnami", 1),
    ("ansadmin", 1),
    ("hive", 1),
    ("cisco", 1),
    ("support1", 1),
    ("guest1", 1),
    ("mongodb", 1),
    ("rabbitmq", 1),
];

/// The account attackers eventually break into (it exists on the host, so guesses for it are
/// logged as `Failed password for test`, not `invalid user`).
pub(crate) const BREACH_USER: &str = "test";
pub(crate) const BREACH_UID: u32 = 1500;

/// Accounts that exist on the simulated host besides the legitimate users: attackers' guesses
/// for these are valid-user failures.
pub(crate) fn host_uid(name: &str) -> Option<u32> {
    match name {
        "root" => Some(0),
        BREACH_USER => Some(BREACH_UID),
        _ => None,
    }
}

/// Legitimate users: `(login, share of off-campus logins in percent)`. uid = 1000 + index.
pub(crate) const LEGIT_USERS: &[(&str, u32)] = &[
    ("jsmith", 20),
    ("mgarcia", 35),
    ("wchen", 15),
    ("akumar", 40),
    ("lnguyen", 25),
    ("ebrown", 10),
    ("dmiller", 30),
    ("sjohnson", 20),
    ("kwilliams", 50),
    ("rjones", 15),
    ("tdavis", 25),
    ("hlee", 35),
    ("pmartin", 10),
    ("ywang", 45),
    ("fschmidt", 20),
    ("mrossi", 30),
    ("anowak", 15),
    ("jkim", 25),
    ("cwilson", 20),
    ("bmoore", 10),
    ("ltaylor", 40),
    ("ganderson", 15),
    ("sthomas", 30),
    ("vjackson", 20),
    ("owhite", 25),
    ("nharris", 15),
    ("iclark", 35),
    ("elewis", 20),
    ("zrobinson", 10),
    ("qwalker", 25),
    ("dyoung", 20),
    ("khall", 30),
    ("mallen", 15),
    ("rking", 40),
    ("bwright", 20),
    ("ascott", 25),
    ("hpc-admin", 5),
    ("jupyter", 0),
];

/// Networks of heavy, well-known brute-force sources: `(first octets, prefix length)`.
/// Includes 175.16.199.0/24 and 216.160.83.0/24, which the MaxMind GeoIP2 test databases locate.
const HEAVY_V4: &[([u8; 4], u8)] = &[
    ([218, 92, 0, 0], 16),   // ChinaNet Jiangsu
    ([61, 177, 172, 0], 24), // ChinaNet Jiangsu
    ([222, 186, 0, 0], 16),  // ChinaNet Jiangsu
    ([175, 16, 199, 0], 24), // Changchun CN (GeoIP2 test data)
    ([43, 156, 0, 0], 16),   // Tencent cloud
    ([45, 148, 10, 0], 24),  // hosting
    ([92, 118, 39, 0], 24),  // hosting
    ([80, 94, 95, 0], 24),   // hosting
    ([141, 98, 11, 0], 24),  // hosting
    ([194, 165, 16, 0], 24), // hosting
    ([164, 92, 0, 0], 16),   // DigitalOcean
    ([216, 160, 83, 0], 24), // Milton US, AS209 (GeoIP2 test data)
    ([89, 160, 20, 0], 24),  // Linkoping SE, AS29518 (GeoIP2 test data)
    ([179, 43, 128, 0], 17), // hosting
    ([103, 149, 26, 0], 24), // hosting
    ([5, 188, 10, 0], 24),   // hosting
];

/// Networks scanners and medium attackers come from (cloud, hosting, large access networks),
/// half of all such addresses; the other half are uniform over the routable space.
const SCAN_V4: &[([u8; 4], u8)] = &[
    ([159, 65, 0, 0], 16),  // DigitalOcean
    ([167, 99, 0, 0], 16),  // DigitalOcean
    ([134, 209, 0, 0], 16), // DigitalOcean
    ([138, 68, 0, 0], 16),  // DigitalOcean
    ([146, 190, 0, 0], 16), // DigitalOcean
    ([3, 0, 0, 0], 9),      // Amazon
    ([18, 128, 0, 0], 9),   // Amazon
    ([52, 0, 0, 0], 10),    // Amazon
    ([20, 0, 0, 0], 11),    // Microsoft
    ([40, 64, 0, 0], 10),   // Microsoft
    ([34, 64, 0, 0], 10),   // Google cloud
    ([35, 192, 0, 0], 12),  // Google cloud
    ([43, 128, 0, 0], 10),  // Tencent
    ([119, 28, 0, 0], 16),  // Tencent
    ([47, 74, 0, 0], 15),   // Alibaba
    ([8, 208, 0, 0], 12),   // Alibaba
    ([39, 96, 0, 0], 11),   // Alibaba
    ([51, 68, 0, 0], 16),   // OVH
    ([54, 36, 0, 0], 16),   // OVH
    ([137, 74, 0, 0], 16),  // OVH
    ([78, 46, 0, 0], 15),   // Hetzner
    ([88, 198, 0, 0], 16),  // Hetzner
    ([116, 202, 0, 0], 15), // Hetzner
    ([135, 181, 0, 0], 16), // Hetzner
    ([45, 32, 0, 0], 16),   // Vultr
    ([45, 77, 0, 0], 16),   // Vultr
    ([139, 162, 0, 0], 16), // Linode
    ([172, 104, 0, 0], 15), // Linode
    ([58, 218, 0, 0], 16),  // ChinaNet
    ([117, 50, 0, 0], 16),  // ChinaNet
    ([183, 60, 0, 0], 16),  // ChinaNet
    ([112, 85, 0, 0], 16),  // China Unicom
    ([1, 128, 0, 0], 11),   // Telstra AS1221 (GeoIP2 test data)
    ([14, 160, 0, 0], 11),  // Viettel / VNPT
    ([113, 160, 0, 0], 11), // VNPT
    ([103, 0, 0, 0], 8),    // APNIC, many small ISPs
    ([177, 0, 0, 0], 8),    // Brazil
    ([187, 0, 0, 0], 8),    // Brazil / Mexico
    ([190, 0, 0, 0], 8),    // LACNIC
    ([41, 0, 0, 0], 8),     // AFRINIC
    ([45, 0, 0, 0], 8),     // mixed
    ([185, 0, 0, 0], 8),    // RIPE hosting
    ([193, 0, 0, 0], 8),    // RIPE
    ([91, 0, 0, 0], 8),     // RIPE
    ([95, 0, 0, 0], 8),     // RIPE
    ([211, 0, 0, 0], 8),    // KR / JP / TW
    ([222, 0, 0, 0], 8),    // CN / JP / KR
];

/// Residential access networks, for legitimate users' off-campus (home) addresses.
/// 81.2.69.0/24 and 2.125.160.0/24 are in the MaxMind GeoIP2 test databases.
const HOME_V4: &[([u8; 4], u8)] = &[
    ([73, 0, 0, 0], 8),     // Comcast
    ([98, 192, 0, 0], 10),  // Comcast
    ([71, 192, 0, 0], 12),  // Charter
    ([76, 16, 0, 0], 12),   // Comcast
    ([108, 0, 0, 0], 13),   // Verizon
    ([86, 128, 0, 0], 10),  // BT
    ([79, 192, 0, 0], 10),  // Deutsche Telekom
    ([90, 0, 0, 0], 9),     // Orange
    ([81, 2, 69, 0], 24),   // London GB (GeoIP2 test data)
    ([2, 125, 160, 0], 24), // Boxford GB (GeoIP2 test data)
    ([24, 16, 0, 0], 13),   // cable
    ([174, 0, 0, 0], 9),    // Cox / Charter
];

/// The /24 networks one of which hosts the distributed low-and-slow guessing (one per seed).
pub(crate) const SLOW_NETS: &[[u8; 3]] = &[[45, 141, 84], [194, 26, 29], [80, 94, 92], [185, 196, 8]];

/// IPv6 /32 prefixes of attack sources (Hetzner, DigitalOcean, OVH, Linode, Tencent, NTT JP —
/// 2001:218::/32 is in the GeoIP2 test databases).
const ATTACK_V6: &[u32] = &[0x2a01_04f8, 0x2604_a880, 0x2001_41d0, 0x2a03_b0c0, 0x2600_3c00, 0x2402_4e00, 0x2001_0218];

/// Whether a v4 address is in a reserved / special-purpose range (RFC 6890), campus included.
pub(crate) fn is_reserved_v4(a: u32) -> bool {
    const RESERVED: &[(u32, u8)] = &[
        (0x0000_0000, 8),  // 0.0.0.0/8
        (0x0a00_0000, 8),  // 10.0.0.0/8 (campus)
        (0x6440_0000, 10), // 100.64.0.0/10
        (0x7f00_0000, 8),  // 127.0.0.0/8
        (0xa9fe_0000, 16), // 169.254.0.0/16
        (0xac10_0000, 12), // 172.16.0.0/12
        (0xc000_0000, 24), // 192.0.0.0/24
        (0xc000_0200, 24), // 192.0.2.0/24
        (0xc058_6300, 24), // 192.88.99.0/24
        (0xc0a8_0000, 16), // 192.168.0.0/16 (campus)
        (0xc612_0000, 15), // 198.18.0.0/15
        (0xc633_6400, 24), // 198.51.100.0/24
        (0xcb00_7100, 24), // 203.0.113.0/24
        (0xe000_0000, 3),  // 224.0.0.0/4 multicast + 240.0.0.0/4 reserved
    ];
    RESERVED.iter().any(|&(net, len)| a >> (32 - len) == net >> (32 - len))
}

fn in_prefix(r: &mut Rng, net: [u8; 4], len: u8) -> u32 {
    let base = u32::from_be_bytes(net);
    let host_bits = 32 - u32::from(len);
    let mask = if host_bits == 0 { 0 } else { u32::MAX >> (32 - host_bits) };
    (base & !mask) | (r.u64() as u32 & mask)
}

/// A host address (not .0 / .255) in one of `nets`, outside reserved ranges.
fn from_nets(r: &mut Rng, nets: &[([u8; 4], u8)]) -> u32 {
    loop {
        let (net, len) = nets[r.below(nets.len() as u64) as usize];
        let a = in_prefix(r, net, len);
        let last = a & 0xff;
        if last != 0 && last != 255 && !is_reserved_v4(a) {
            return a;
        }
    }
}

/// Uniform over the routable, non-reserved v4 space.
fn routable_v4(r: &mut Rng) -> u32 {
    loop {
        let a = r.u64() as u32;
        let last = a & 0xff;
        if last != 0 && last != 255 && !is_reserved_v4(a) {
            return a;
        }
    }
}

/// A global unicast v6 address under one of [`ATTACK_V6`]: a random /64 and either a small
/// interface id (`::1` .. `::ff`, typical for servers) or a random one.
fn attack_v6(r: &mut Rng) -> u128 {
    let p = ATTACK_V6[r.below(ATTACK_V6.len() as u64) as usize];
    let mid = r.u64() >> 32; // 32 bits of site / subnet
    let iid = if r.chance(0.5) { r.range(1, 255) } else { r.u64() | 1 };
    (u128::from(p) << 96) | (u128::from(mid) << 64) | u128::from(iid)
}

pub(crate) fn heavy_addr(r: &mut Rng) -> Addr {
    Addr::V4(from_nets(r, HEAVY_V4))
}

pub(crate) fn v6_attacker(r: &mut Rng) -> Addr {
    Addr::V6(attack_v6(r))
}

/// A scanner / medium attacker: 3% IPv6, else half from provider networks, half uniform.
pub(crate) fn scanner_addr(r: &mut Rng) -> Addr {
    let u = r.unit();
    if u < 0.03 {
        Addr::V6(attack_v6(r))
    } else if u < 0.515 {
        Addr::V4(from_nets(r, SCAN_V4))
    } else {
        Addr::V4(routable_v4(r))
    }
}

pub(crate) fn home_addr(r: &mut Rng) -> Addr {
    Addr::V4(from_nets(r, HOME_V4))
}

/// Anywhere routable (a user travelling).
pub(crate) fn travel_addr(r: &mut Rng) -> Addr {
    Addr::V4(routable_v4(r))
}

/// A campus address: 10.1-60.x.y (wired / VPN) or 192.168.0-31.x (wireless).
pub(crate) fn campus_addr(r: &mut Rng) -> Addr {
    if r.chance(0.7) {
        Addr::V4(u32::from_be_bytes([10, r.range(1, 60) as u8, r.below(256) as u8, r.range(1, 254) as u8]))
    } else {
        Addr::V4(u32::from_be_bytes([192, 168, r.below(32) as u8, r.range(1, 254) as u8]))
    }
}

/// Cumulative weights of [`ATTACK_USERS`], for sampling by binary search.
pub(crate) struct UserTable {
    cumulative: Vec<u64>,
}

impl UserTable {
    pub(crate) fn new() -> Self {
        let mut acc = 0u64;
        let cumulative = ATTACK_USERS
            .iter()
            .map(|&(_, w)| {
                acc += u64::from(w);
                acc
            })
            .collect();
        UserTable { cumulative }
    }

    /// A name from the wordlist, weighted.
    pub(crate) fn pick(&self, r: &mut Rng) -> &'static str {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = r.below(total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        ATTACK_USERS.get(i).map_or("root", |&(name, _)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_addresses_avoid_reserved_ranges() {
        let mut r = Rng::new(7);
        for _ in 0..20_000 {
            for a in [scanner_addr(&mut r), heavy_addr(&mut r), home_addr(&mut r), travel_addr(&mut r)] {
                let ip = a.ip();
                assert!(!is_campus(ip), "{ip}");
                if let Addr::V4(v4) = a {
                    assert!(!is_reserved_v4(v4), "{ip}");
                }
                if let IpAddr::V6(v6) = ip {
                    assert!(v6.segments()[0] & 0xe000 == 0x2000, "{ip} not global unicast");
                }
            }
            assert!(is_campus(campus_addr(&mut r).ip()));
        }
    }

    #[test]
    fn reserved_check_knows_the_edges() {
        assert!(is_reserved_v4(u32::from(Ipv4Addr::new(203, 0, 113, 9))));
        assert!(is_reserved_v4(u32::from(Ipv4Addr::new(239, 1, 1, 1))));
        assert!(is_reserved_v4(u32::from(Ipv4Addr::new(255, 255, 255, 255))));
        assert!(is_reserved_v4(u32::from(Ipv4Addr::new(172, 31, 0, 1))));
        assert!(!is_reserved_v4(u32::from(Ipv4Addr::new(172, 32, 0, 1))));
        assert!(!is_reserved_v4(u32::from(Ipv4Addr::new(223, 255, 255, 1))));
    }

    #[test]
    fn user_table_covers_all_names() {
        let t = UserTable::new();
        let mut r = Rng::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200_000 {
            seen.insert(t.pick(&mut r));
        }
        assert_eq!(seen.len(), ATTACK_USERS.len());
    }
}
