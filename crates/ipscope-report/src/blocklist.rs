//! The blocklist: the `rates` offenders whose ban has not expired, as addresses and prefixes a
//! firewall can load (`ipscope blocklist`, the daemon's `/api/blocklist`).
//!
//! An offender is listed from its last crossing of a threshold until `ban` later (the list is
//! evaluated at `at`, now by default, so it can be rebuilt for any past moment of historical
//! logs). Never listed: addresses inside the home networks or an allow-list — a prefix that
//! overlaps one is listed as the parts of it that do not. An address inside a listed prefix is
//! not listed again; `aggregate` also merges adjacent entries into their common prefix (never
//! adding an address that was not listed).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use ipnet::IpNet;
use ipscope_store::{Query, format_timestamp};

use crate::reports::rates::{self, Offender, Threshold};
use crate::{Params, ReportError, Result};

/// Default ban: one hour after the last crossing (fail2ban's `bantime` defaults to 10 minutes).
pub const DEFAULT_BAN_SECS: i64 = 3600;
/// Longest ban.
pub const MAX_BAN_SECS: i64 = 365 * 86_400;
/// `maxelem` of the ipset sets: the most entries a list loads.
pub const IPSET_MAXELEM: usize = 1 << 20;
pub use ipscope_config::rates::{MAX_SET_NAME, check_set_name};

/// Output formats of a blocklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// One address or CIDR a line (addresses without a prefix length).
    Plain,
    /// One CIDR a line, always with a prefix length.
    Cidr,
    /// `ipset restore` input: sets NAME-v4 and NAME-v6 (hash:net), replaced atomically by swap.
    Ipset,
    /// `nft -f` input: sets blocklist_v4 / blocklist_v6 in table `inet NAME`, flushed and
    /// refilled in one transaction.
    Nftables,
    /// `source,scope,threshold,last_crossed,expires` with a header.
    Csv,
}

/// How the list is built.
#[derive(Clone, Debug)]
pub struct ListParams {
    /// Evaluate as of this moment (UTC micros).
    pub at: i64,
    pub ban_secs: i64,
    /// Never listed, besides the home networks.
    pub allow: Vec<IpNet>,
    pub aggregate: bool,
    pub thresholds: Vec<Threshold>,
}

/// One line of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub net: IpNet,
    /// The threshold whose crossing lasts longest (the reason), and its last crossing (UTC secs).
    pub threshold: String,
    pub last_crossed: i64,
    pub expires: i64,
}

/// The offenders `p` selects that are banned at `l.at`, minus home and allowed networks.
pub fn build(store: &dyn Query, p: &Params, l: &ListParams) -> Result<Vec<Entry>> {
    if !(1..=MAX_BAN_SECS).contains(&l.ban_secs) {
        return Err(ReportError::Invalid(format!("--ban must be between 1 s and 365 days, got {} s", l.ban_secs)));
    }
    let thresholds = if l.thresholds.is_empty() { rates::default_thresholds() } else { l.thresholds.clone() };
    let widest = thresholds.iter().map(|t| t.window_secs).max().unwrap_or(0);
    // Only events that can make a ban still running at `at`: the last ban length plus the widest
    // window before it, and nothing after it.
    let mut q = crate::for_store(store, p).into_owned();
    let from = l.at - (l.ban_secs + widest) * 1_000_000;
    q.filter.since = Some(q.filter.since.map_or(from, |s| s.max(from)));
    q.filter.until = Some(q.filter.until.map_or(l.at + 1, |u| u.min(l.at + 1)));
    let at_secs = l.at.div_euclid(1_000_000);
    let active =
        rates::offenders(store, &q, &thresholds)?.into_iter().filter(|o| o.last_crossed + l.ban_secs > at_secs);
    // Per network, the crossing that expires last.
    let mut by_net: BTreeMap<IpNet, Offender> = BTreeMap::new();
    for o in active {
        match by_net.get(&o.net) {
            Some(prev) if prev.last_crossed >= o.last_crossed => {}
            _ => {
                by_net.insert(o.net, o);
            }
        }
    }
    let mut excluded: Vec<IpNet> = p.home.nets.iter().map(|(_, n)| n.trunc()).collect();
    excluded.extend(l.allow.iter().map(IpNet::trunc));
    let mut entries = Vec::new();
    for (net, o) in by_net {
        for part in subtract(net, &excluded) {
            entries.push(Entry {
                net: part,
                threshold: o.threshold.to_string(),
                last_crossed: o.last_crossed,
                expires: o.last_crossed + l.ban_secs,
            });
        }
    }
    Ok(if l.aggregate { aggregate(entries) } else { drop_covered(entries) })
}

/// `net` without the addresses of `excluded`: itself, nothing, or the halves (recursively) that
/// do not overlap.
pub fn subtract(net: IpNet, excluded: &[IpNet]) -> Vec<IpNet> {
    let overlaps: Vec<&IpNet> = excluded.iter().filter(|e| e.contains(&net) || net.contains(*e)).collect();
    if overlaps.is_empty() {
        return vec![net];
    }
    if overlaps.iter().any(|e| e.contains(&net)) {
        return Vec::new();
    }
    // Some excluded network lies strictly inside: split in two and look again.
    match net.subnets(net.prefix_len() + 1) {
        Ok(halves) => halves.flat_map(|h| subtract(h, excluded)).collect(),
        Err(_) => Vec::new(),
    }
}

/// Removes entries inside another entry (an address inside a listed /24).
fn drop_covered(mut entries: Vec<Entry>) -> Vec<Entry> {
    let nets: HashSet<IpNet> = entries.iter().map(|e| e.net).collect();
    entries.retain(|e| {
        !(0..e.net.prefix_len()).any(|len| IpNet::new(e.net.addr(), len).is_ok_and(|s| nets.contains(&s.trunc())))
    });
    entries.sort_by_key(|e| e.net);
    entries
}

/// Merges entries into the fewest prefixes covering exactly the same addresses; a merged entry
/// keeps the latest expiry (and its reason) of those inside it.
fn aggregate(entries: Vec<Entry>) -> Vec<Entry> {
    let nets: Vec<IpNet> = entries.iter().map(|e| e.net).collect();
    let mut out: Vec<Entry> = IpNet::aggregate(&nets)
        .into_iter()
        .filter_map(|net| {
            entries
                .iter()
                .filter(|e| net.contains(&e.net))
                .max_by_key(|e| e.expires)
                .map(|e| Entry { net, ..e.clone() })
        })
        .collect();
    out.sort_by_key(|e| e.net);
    out
}

/// The list in `format`. Empty `plain` / `cidr` lists are empty text; the `ipset` and `nftables`
/// forms always define and empty the sets, so loading an empty list unbans everyone.
pub fn render(entries: &[Entry], format: ListFormat, set_name: &str) -> Result<String> {
    check_set_name(set_name)?;
    let mut out = String::new();
    let cidr = |n: &IpNet| n.to_string();
    let plain = |n: &IpNet| if n.prefix_len() == n.max_prefix_len() { n.addr().to_string() } else { n.to_string() };
    let (v4, v6): (Vec<&Entry>, Vec<&Entry>) = entries.iter().partition(|e| matches!(e.net, IpNet::V4(_)));
    match format {
        ListFormat::Plain | ListFormat::Cidr => {
            for e in v4.iter().chain(&v6) {
                let text = if format == ListFormat::Plain { plain(&e.net) } else { cidr(&e.net) };
                let _ = writeln!(out, "{text}");
            }
        }
        ListFormat::Ipset => {
            if entries.len() > IPSET_MAXELEM {
                return Err(ReportError::Invalid(format!(
                    "{} entries: more than an ipset set holds here ({IPSET_MAXELEM})",
                    entries.len()
                )));
            }
            for (family, suffix, list) in [("inet", "v4", &v4), ("inet6", "v6", &v6)] {
                let set = format!("{set_name}-{suffix}");
                let tmp = format!("{set}-tmp");
                let create = |n: &str| {
                    format!("create {n} hash:net family {family} hashsize 1024 maxelem {IPSET_MAXELEM} -exist\n")
                };
                out.push_str(&create(&set));
                out.push_str(&create(&tmp));
                let _ = writeln!(out, "flush {tmp}");
                for e in list.iter() {
                    let _ = writeln!(out, "add {tmp} {} -exist", cidr(&e.net));
                }
                let _ = writeln!(out, "swap {tmp} {set}");
                let _ = writeln!(out, "destroy {tmp}");
            }
        }
        ListFormat::Nftables => {
            let _ = writeln!(out, "table inet {set_name} {{");
            let _ = writeln!(out, "\tset blocklist_v4 {{ type ipv4_addr; flags interval; }}");
            let _ = writeln!(out, "\tset blocklist_v6 {{ type ipv6_addr; flags interval; }}");
            let _ = writeln!(out, "}}");
            for (set, list) in [("blocklist_v4", &v4), ("blocklist_v6", &v6)] {
                let _ = writeln!(out, "flush set inet {set_name} {set}");
                if !list.is_empty() {
                    let elems: Vec<String> = list.iter().map(|e| plain(&e.net)).collect();
                    let _ = writeln!(out, "add element inet {set_name} {set} {{ {} }}", elems.join(", "));
                }
            }
        }
        ListFormat::Csv => {
            out.push_str("source,scope,threshold,last_crossed,expires\n");
            let iso = |s: i64| format_timestamp(s.saturating_mul(1_000_000)).replace(' ', "T") + "Z";
            for e in v4.iter().chain(&v6) {
                let scope = if e.net.prefix_len() == e.net.max_prefix_len() {
                    "ip".to_owned()
                } else {
                    format!("/{}", e.net.prefix_len())
                };
                let _ = writeln!(
                    out,
                    "{},{scope},{},{},{}",
                    cidr(&e.net),
                    e.threshold,
                    iso(e.last_crossed),
                    iso(e.expires)
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| IpNet::from(std::net::IpAddr::from([0, 0, 0, 0])))
    }

    #[test]
    fn subtracts_networks() {
        assert_eq!(subtract(n("10.0.0.0/24"), &[n("192.168.0.0/16")]), [n("10.0.0.0/24")]);
        assert!(subtract(n("10.0.0.7/32"), &[n("10.0.0.0/8")]).is_empty());
        // A /24 with one home /26 inside: the other three quarters, as /26 + /25.
        assert_eq!(subtract(n("10.0.0.0/24"), &[n("10.0.0.64/26")]), [n("10.0.0.0/26"), n("10.0.0.128/25")]);
        let parts = subtract(n("2001:db8::/32"), &[n("2001:db8:1::/48")]);
        assert_eq!(parts.len(), 16);
        assert!(parts.iter().all(|p| !p.contains(&n("2001:db8:1::5/128"))));
        assert!(parts.iter().any(|p| p.contains(&n("2001:db8:2::5/128"))));
    }

    fn e(net: &str) -> Entry {
        Entry { net: n(net), threshold: "ip:5m=10".into(), last_crossed: 0, expires: 3600 }
    }

    #[test]
    fn drops_covered_and_aggregates() {
        let list = drop_covered(vec![e("10.0.0.5/32"), e("10.0.0.0/24"), e("10.0.1.5/32")]);
        assert_eq!(list.iter().map(|e| e.net.to_string()).collect::<Vec<_>>(), ["10.0.0.0/24", "10.0.1.5/32"]);
        let list = aggregate(vec![e("10.0.0.0/25"), e("10.0.0.128/25"), e("10.0.3.1/32")]);
        assert_eq!(list.iter().map(|e| e.net.to_string()).collect::<Vec<_>>(), ["10.0.0.0/24", "10.0.3.1/32"]);
    }

    #[test]
    fn renders_formats() {
        let list = [e("198.51.100.7/32"), e("203.0.113.0/24"), e("2001:db8::1/128")];
        assert_eq!(
            render(&list, ListFormat::Plain, "x").unwrap_or_default(),
            "198.51.100.7\n203.0.113.0/24\n2001:db8::1\n"
        );
        assert_eq!(
            render(&list, ListFormat::Cidr, "x").unwrap_or_default(),
            "198.51.100.7/32\n203.0.113.0/24\n2001:db8::1/128\n"
        );
        assert_eq!(render(&[], ListFormat::Plain, "x").unwrap_or_default(), "");
        let nft = render(&list, ListFormat::Nftables, "ipscope").unwrap_or_default();
        assert!(nft.contains("add element inet ipscope blocklist_v4 { 198.51.100.7, 203.0.113.0/24 }"), "{nft}");
        assert!(render(&list, ListFormat::Ipset, "bad name").is_err());
        assert!(render(&list, ListFormat::Ipset, "a-very-long-name-for-a-set-x").is_err());
    }
}
