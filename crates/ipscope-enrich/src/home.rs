//! Home networks: named CIDR lists (`[home] campus = ["10.0.0.0/8", "2001:db8::/32"]`).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::{EnrichError, Result};

/// Named home networks (campus, VPN, ...). An address inside any of them is "home" (on
/// campus); its home network is the most specific one that contains it.
#[derive(Clone, Debug, Default)]
pub struct HomeNets {
    /// `(name, network)`, in configuration order.
    pub nets: Vec<(String, IpNet)>,
}

impl HomeNets {
    /// Parses `CIDR,CIDR,...` (each named after itself), as given to `--home`.
    pub fn parse_list(s: &str) -> Result<HomeNets> {
        let mut h = HomeNets::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            h.push(part, part)?;
        }
        Ok(h)
    }

    /// Adds a named network (a bare address counts as a /32 or /128).
    pub fn push(&mut self, name: &str, cidr: &str) -> Result<()> {
        let err = |reason: String| EnrichError::Home { name: name.to_owned(), reason };
        let net: IpNet = cidr
            .parse()
            .or_else(|_| cidr.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| err(format!("not a network: {cidr:?} (expected CIDR like 10.0.0.0/8)")))?;
        if let IpNet::V6(n) = net
            && n.prefix_len() > 64
        {
            // Prefix arithmetic in the store keeps the upper 64 bits of IPv6 addresses.
            return Err(err(format!("{cidr}: IPv6 home networks longer than /64 are not supported")));
        }
        self.nets.push((name.to_owned(), net.trunc()));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// The name of the most specific home network containing `ip`.
    pub fn name_of(&self, ip: IpAddr) -> Option<&str> {
        // A handful of networks: a scan beats a trie, and ingest calls this once per address.
        let mut best: Option<&(String, IpNet)> = None;
        for e in self.nets.iter().filter(|(_, n)| n.contains(&ip)) {
            if best.is_none_or(|b| e.1.prefix_len() > b.1.prefix_len()) {
                best = Some(e);
            }
        }
        best.map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0u8; 4]))
    }

    #[test]
    fn longest_prefix_wins_whatever_the_order() {
        let mut h = HomeNets::default();
        assert!(h.push("campus", "10.0.0.0/8").is_ok());
        assert!(h.push("vpn", "10.8.0.0/16").is_ok());
        assert!(h.push("campus", "2001:db8::/32").is_ok());
        assert!(h.push("lab", "2001:db8:5::/48").is_ok());
        assert_eq!(h.name_of(ip("10.8.1.2")), Some("vpn"));
        assert_eq!(h.name_of(ip("10.9.1.2")), Some("campus"));
        assert_eq!(h.name_of(ip("2001:db8:5::1")), Some("lab"));
        assert_eq!(h.name_of(ip("2001:db8:6::1")), Some("campus"));
        assert_eq!(h.name_of(ip("11.0.0.1")), None);
    }

    #[test]
    fn bad_networks_are_refused_with_their_name() {
        let e = HomeNets::parse_list("10.0.0.0/8, nonsense").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("nonsense"), "{e}");
        let e = HomeNets::parse_list("2001:db8::1/128").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("longer than /64"), "{e}");
        let h = HomeNets::parse_list("192.0.2.7").unwrap_or_default();
        assert_eq!(h.name_of(ip("192.0.2.7")), Some("192.0.2.7"));
        assert_eq!(h.name_of(ip("192.0.2.8")), None);
    }
}
