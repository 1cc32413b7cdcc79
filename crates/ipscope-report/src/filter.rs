//! The time window and filters every report takes, and the home-network predicate.

use std::net::IpAddr;

use ipnet::IpNet;
use ipscope_event::{EventKind, Micros, SourceFormat};

use crate::{Dialect, ReportError, Result};

/// `--since/--until` and the source / sensor / kind filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Inclusive lower bound, UTC micros.
    pub since: Option<Micros>,
    /// Exclusive upper bound, UTC micros.
    pub until: Option<Micros>,
    pub formats: Vec<SourceFormat>,
    pub sensors: Vec<String>,
    pub kinds: Vec<EventKind>,
    /// Source ASNs.
    pub asns: Vec<u32>,
    /// CERT classification taxonomies.
    pub taxonomies: Vec<String>,
}

impl Filter {
    /// The conditions as SQL (`TRUE` when there are none), to AND into a WHERE clause.
    pub fn sql(&self, d: Dialect) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.since {
            parts.push(format!("ts >= {}", d.timestamp(s)));
        }
        if let Some(u) = self.until {
            parts.push(format!("ts < {}", d.timestamp(u)));
        }
        let list = |col: &str, vals: Vec<String>| {
            format!("{col} IN ({})", vals.iter().map(|v| d.string(v)).collect::<Vec<_>>().join(", "))
        };
        if !self.formats.is_empty() {
            parts.push(list("format", self.formats.iter().map(|f| f.as_str().to_owned()).collect()));
        }
        if !self.sensors.is_empty() {
            parts.push(list("sensor", self.sensors.clone()));
        }
        if !self.kinds.is_empty() {
            parts.push(list("kind", self.kinds.iter().map(|k| k.as_str().to_owned()).collect()));
        }
        if !self.asns.is_empty() {
            parts.push(format!("asn IN ({})", self.asns.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")));
        }
        if !self.taxonomies.is_empty() {
            parts.push(list("taxonomy", self.taxonomies.clone()));
        }
        if parts.is_empty() { "TRUE".to_owned() } else { parts.join(" AND ") }
    }
}

/// Named home networks (campus, VPN, ...). An address inside any of them is "on campus".
#[derive(Clone, Debug, Default)]
pub struct HomeNets {
    pub nets: Vec<(String, IpNet)>,
}

impl HomeNets {
    /// Parses `CIDR,CIDR,...` (each named after itself), as given to `--home`.
    pub fn parse_list(s: &str) -> Result<HomeNets> {
        let mut nets = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = parse_net(part)?;
            nets.push((part.to_owned(), net));
        }
        Ok(HomeNets { nets })
    }

    /// Adds a named network.
    pub fn push(&mut self, name: &str, cidr: &str) -> Result<()> {
        let net = parse_net(cidr)?;
        self.nets.push((name.to_owned(), net));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// The name of the first network containing `ip`.
    pub fn name_of(&self, ip: IpAddr) -> Option<&str> {
        self.nets.iter().find(|(_, n)| n.contains(&ip)).map(|(name, _)| name.as_str())
    }

    /// SQL that is true when the row's source address is inside a home network (FALSE when
    /// there are none; NULL addresses are never home). Uses `src_ipnum` prefix arithmetic.
    pub fn sql_is_home(&self, d: Dialect) -> String {
        let mut parts = Vec::new();
        for (_, net) in &self.nets {
            match net {
                IpNet::V4(n) => {
                    let shift = 32 - u32::from(n.prefix_len());
                    let key = u64::from(u32::from(n.network())) >> shift;
                    parts.push(format!("(NOT {} AND (src_ipnum >> {shift}) = {key})", d.src_is_v6()));
                }
                IpNet::V6(n) => {
                    let shift = 64 - u32::from(n.prefix_len());
                    let key = ((u128::from(n.network()) >> 64) as u64) >> shift;
                    parts.push(format!("({} AND (src_ipnum >> {shift}) = {key})", d.src_is_v6()));
                }
            }
        }
        if parts.is_empty() { "FALSE".to_owned() } else { format!("(src_ip IS NOT NULL AND ({}))", parts.join(" OR ")) }
    }
}

fn parse_net(s: &str) -> Result<IpNet> {
    let net: IpNet = s
        .parse()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| ReportError::Invalid(format!("not a network: {s:?} (expected CIDR like 10.0.0.0/8)")))?;
    if let IpNet::V6(n) = net
        && n.prefix_len() > 64
    {
        return Err(ReportError::Invalid(format!(
            "home network {s}: IPv6 home networks longer than /64 are not supported"
        )));
    }
    Ok(net.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_sql() {
        let f = Filter {
            since: Some(0),
            kinds: vec![EventKind::Auth, EventKind::SessionOpen],
            sensors: vec!["o'host".into()],
            ..Filter::default()
        };
        assert_eq!(
            f.sql(Dialect::DuckDb),
            "ts >= make_timestamp(0) AND sensor IN ('o''host') AND kind IN ('auth', 'session_open')"
        );
        assert_eq!(Filter::default().sql(Dialect::DuckDb), "TRUE");
    }

    #[test]
    fn home_nets() {
        let h = HomeNets::parse_list("10.0.0.0/8, 2001:db8::/32").unwrap_or_default();
        assert_eq!(h.nets.len(), 2);
        assert_eq!(h.name_of("10.1.2.3".parse().unwrap_or(IpAddr::from([0u8; 4]))), Some("10.0.0.0/8"));
        assert!(HomeNets::parse_list("10.0.0.0/33").is_err());
        assert!(HomeNets::parse_list("2001:db8::/96").is_err());
        assert_eq!(HomeNets::default().sql_is_home(Dialect::DuckDb), "FALSE");
    }
}
