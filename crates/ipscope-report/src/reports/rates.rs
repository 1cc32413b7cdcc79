//! `rates`: rolling-window counts of hostile events per source address, per /24 (IPv6 /48) and
//! per /16 (IPv6 /32), against thresholds — what crossed one, when, and its peak. The offenders
//! are also what `ipscope blocklist` lists ([`offenders`]).
//!
//! **Hostile events** (default): failed password / key authentications, invalid users, firewall
//! denies, honeypot logins (any Cowrie `auth`) and unanswered connections (scan probes: sshd
//! probes, Zeek's never-established connections). `--kind` replaces the set: every event of
//! those kinds counts.
//!
//! **Thresholds** `SCOPE:WINDOW=COUNT` (`ip:10m=5`; scopes `ip`, `24` for /24 and IPv6 /48, `16`
//! for /16 and IPv6 /32): a key *crosses* at the moment `t` of one of its events when at least
//! COUNT of its events lie in `[t − WINDOW, t]`. That is fail2ban's rule, so the jail
//! `maxretry = 5`, `findtime = 10m`, `bantime = 1h` is `--threshold ip:10m=5 --ban 1h`
//! (fail2ban counts one failure per matched log line, as ipscope counts events). Times are
//! counted in whole seconds (timestamps truncated to the second). Defaults: [`DEFAULT_THRESHOLDS`].
//!
//! One aggregate query: hostile events per source address and second, for the addresses (and
//! prefixes) whose total reaches their scope's smallest threshold — nothing else can cross one;
//! the sliding windows run here, over the sorted seconds of each key (no window functions).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use ipscope_store::{Query, Table, Value, format_timestamp};

pub use ipscope_config::rates::{MAX_WINDOW_SECS, Scope, Threshold, parse_window, window_text};

use crate::{Params, Result};

/// The hostile events counted by default.
pub const HOSTILE: &str = "((kind IN ('auth', 'key_auth') AND outcome = 'failure') OR kind = 'invalid_user' \
     OR kind = 'deny' OR (format = 'cowrie' AND kind = 'auth') OR (kind = 'connection' AND outcome = 'failure'))";

/// The default thresholds: a mistyped password or two never reach them, a brute-forcer does
/// within minutes; a /24 or /16 needs several times more (many sources at once).
pub const DEFAULT_THRESHOLDS: &[&str] = &[
    "ip:5m=10",
    "ip:15m=20",
    "ip:1h=40",
    "ip:1d=100",
    "24:5m=40",
    "24:15m=80",
    "24:1h=160",
    "24:1d=400",
    "16:5m=200",
    "16:15m=400",
    "16:1h=800",
    "16:1d=2000",
];

/// The default thresholds, parsed.
pub fn default_thresholds() -> Vec<Threshold> {
    DEFAULT_THRESHOLDS.iter().filter_map(|t| t.parse().ok()).collect()
}

/// A key that crossed a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Offender {
    /// The address (as a /32 or /128) or prefix.
    pub net: IpNet,
    pub scope: Scope,
    pub threshold: Threshold,
    /// Most events in any window of the threshold's length, and when (the window's end).
    pub peak: u64,
    pub peak_at: i64,
    /// First and last moment (UTC seconds) the count was at or over the threshold.
    pub first_crossed: i64,
    pub last_crossed: i64,
    /// Hostile events of the key in the range read.
    pub events: u64,
}

/// Every key over any of `thresholds` in the events `p` selects, strongest first (peak over
/// threshold, then key).
pub fn offenders(store: &dyn Query, p: &Params, thresholds: &[Threshold]) -> Result<Vec<Offender>> {
    let d = p.dialect;
    let min = |s: Scope| thresholds.iter().filter(|t| t.scope == s).map(|t| t.count).min();
    // No threshold for a scope: nothing there is a candidate (count > any total).
    let floor = |s: Scope| min(s).map_or_else(|| "NULL".to_owned(), |m| m.to_string());
    let hostile = if p.filter.kinds.is_empty() { HOSTILE } else { d.bool(true) };
    let net_key = format!(
        "CASE WHEN fam = 6 THEN {} + 281474976710656 ELSE {} END",
        d.shift_right("num", 16),
        d.shift_right("num", 8)
    );
    let wide_key = format!(
        "CASE WHEN fam = 6 THEN {} + 4294967296 ELSE {} END",
        d.shift_right("num", 32),
        d.shift_right("num", 16)
    );
    let k = d.keys(&["k"]);
    let mut w = d.ctes();
    let h = w.define(
        "h",
        format!(
            "SELECT src_ip, src_family AS fam, src_ipnum AS num, {second} AS s FROM {from} \
             WHERE {filter} AND {hostile} AND src_ip IS NOT NULL AND src_ipnum IS NOT NULL",
            second = d.second("ts"),
            from = p.filter.from(),
            filter = p.filter.sql(d),
        ),
    );
    let ci = w.define("ci", format!("SELECT src_ip FROM {h} GROUP BY src_ip HAVING count(*) >= {}", floor(Scope::Ip)));
    let cn =
        w.define("cn", format!("SELECT {net_key} AS k FROM {h} GROUP BY {k} HAVING count(*) >= {}", floor(Scope::Net)));
    let cw = w.define(
        "cw",
        format!("SELECT {wide_key} AS k FROM {h} GROUP BY {k} HAVING count(*) >= {}", floor(Scope::Wide)),
    );
    // Output columns named apart from `fam` / `num`: ClickHouse would read `fam` inside
    // `any(fam)` as the alias.
    let sql = w.query(&format!(
        "SELECT CASE WHEN {fam} = 6 THEN src_ip END AS ip6, {fam} AS family, {num} AS ipnum, s, count(*) AS n FROM {h} \
         WHERE src_ip IN (SELECT src_ip FROM {ci}) OR {net_key} IN (SELECT k FROM {cn}) \
           OR {wide_key} IN (SELECT k FROM {cw}) \
         GROUP BY src_ip, s",
        fam = d.any_value("fam"),
        num = d.any_value("num"),
    ));
    let t = store.query(&sql)?;
    // Per scope and key: (second, events), unordered; a /24 or /16 gets one entry per address
    // and second. Pushing, then sorting each key's series once, halves the time of an ordered
    // map per key (7.9 M sshd events, 5.2 M address-seconds: 16-18 s → 7-10 s, under load).
    let mut keys: HashMap<(Scope, IpNet), Vec<(i64, u64)>> = HashMap::new();
    for row in &t.rows {
        let (Some(fam), Some(num), Some(Value::Timestamp(s)), Some(n)) =
            (row.get(1).and_then(Value::as_i64), row.get(2).and_then(Value::as_u64), row.get(3), row.get(4))
        else {
            continue;
        };
        // IPv4 addresses are their number; only IPv6 ones (64 bits of 128 in `num`) come as text.
        let addr = match (fam, row.first()) {
            (6, Some(Value::Text(ip))) => ip.parse::<IpAddr>().ok(),
            (6, _) => None,
            _ => u32::try_from(num).ok().map(|v| IpAddr::V4(Ipv4Addr::from(v))),
        };
        let (Some(addr), Some(n)) = (addr, n.as_u64()) else { continue };
        let second = s.div_euclid(1_000_000);
        let v6 = fam == 6;
        for scope in [Scope::Ip, Scope::Net, Scope::Wide] {
            if min(scope).is_none() {
                continue;
            }
            let net = match scope {
                Scope::Ip => IpNet::from(addr),
                _ => prefix_net(v6, num, scope.prefix_len(v6)),
            };
            keys.entry((scope, net)).or_default().push((second, n));
        }
    }
    let mut keys: Vec<_> = keys.into_iter().collect();
    keys.sort_unstable_by_key(|(k, _)| *k);
    let mut out = Vec::new();
    for ((scope, net), mut series) in keys {
        let (scope, net) = (&scope, &net);
        series.sort_unstable_by_key(|(s, _)| *s);
        // One entry per second: the addresses of a prefix summed.
        series.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 += later.1;
            }
            same
        });
        let events: u64 = series.iter().map(|(_, n)| n).sum();
        for th in thresholds.iter().filter(|t| t.scope == *scope) {
            if events < th.count {
                continue;
            }
            if let Some(w) = windows(&series, th) {
                out.push(Offender {
                    net: *net,
                    scope: *scope,
                    threshold: *th,
                    peak: w.peak,
                    peak_at: w.peak_at,
                    first_crossed: w.first,
                    last_crossed: w.last,
                    events,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        let ra = a.peak as f64 / a.threshold.count as f64;
        let rb = b.peak as f64 / b.threshold.count as f64;
        rb.total_cmp(&ra).then(a.net.cmp(&b.net)).then(a.threshold.window_secs.cmp(&b.threshold.window_secs))
    });
    Ok(out)
}

/// The network of `prefix_len` around a stored `src_ipnum` (IPv4: the address; IPv6: its upper
/// 64 bits, enough for every scope's prefix).
fn prefix_net(v6: bool, num: u64, len: u8) -> IpNet {
    if v6 {
        let addr = Ipv6Addr::from(u128::from(num) << 64);
        IpNet::new(IpAddr::V6(addr), len).map(|n| n.trunc()).unwrap_or_else(|_| IpNet::from(IpAddr::V6(addr)))
    } else {
        let addr = Ipv4Addr::from(u32::try_from(num).unwrap_or(0));
        IpNet::new(IpAddr::V4(addr), len).map(|n| n.trunc()).unwrap_or_else(|_| IpNet::from(IpAddr::V4(addr)))
    }
}

/// What the sliding window found for one key and threshold.
#[derive(Debug, PartialEq, Eq)]
pub struct Crossing {
    pub peak: u64,
    pub peak_at: i64,
    pub first: i64,
    pub last: i64,
}

/// Slides a window of `th.window_secs` over `series` (seconds ascending, events at each): at each
/// second `t` with events, the events in `[t − window, t]`. `None` when the count never reaches
/// `th.count`.
pub fn windows(series: &[(i64, u64)], th: &Threshold) -> Option<Crossing> {
    let mut start = 0;
    let mut sum: u64 = 0;
    let (mut peak, mut peak_at) = (0u64, 0i64);
    let mut crossed: Option<(i64, i64)> = None;
    for &(t, n) in series {
        sum += n;
        while series[start].0 < t - th.window_secs {
            sum -= series[start].1;
            start += 1;
        }
        if sum > peak {
            (peak, peak_at) = (sum, t);
        }
        if sum >= th.count {
            crossed = Some(crossed.map_or((t, t), |(f, _)| (f, t)));
        }
    }
    crossed.map(|(first, last)| Crossing { peak, peak_at, first, last })
}

/// The thresholds `p` asks for (`--threshold`, config `[rates]`), else the defaults.
pub fn thresholds(p: &Params) -> Vec<Threshold> {
    if p.thresholds.is_empty() { default_thresholds() } else { p.thresholds.clone() }
}

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    let list = offenders(store, p, &thresholds(p))?;
    let mut t = Table::new(
        ["scope", "source", "window", "threshold", "peak", "peak_at", "first_crossed", "last_crossed", "events"]
            .map(str::to_owned)
            .to_vec(),
    );
    let ts = |s: i64| Value::Timestamp(s.saturating_mul(1_000_000));
    for o in list.into_iter().filter(|o| o.events >= p.min_events).take(p.top) {
        let source = if o.scope == Scope::Ip { o.net.addr().to_string() } else { o.net.to_string() };
        let scope = if o.scope == Scope::Ip { "ip".to_owned() } else { format!("/{}", o.net.prefix_len()) };
        t.rows.push(vec![
            Value::Text(scope),
            Value::Text(source),
            Value::Text(window_text(o.threshold.window_secs)),
            Value::Int(i64::try_from(o.threshold.count).unwrap_or(i64::MAX)),
            Value::Int(i64::try_from(o.peak).unwrap_or(i64::MAX)),
            ts(o.peak_at),
            ts(o.first_crossed),
            ts(o.last_crossed),
            Value::Int(i64::try_from(o.events).unwrap_or(i64::MAX)),
        ]);
    }
    Ok(t)
}

/// A crossing time for messages: `2026-11-02 10:00:00`.
pub fn time_text(secs: i64) -> String {
    format_timestamp(secs.saturating_mul(1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(s: &str) -> Threshold {
        s.parse().unwrap_or(Threshold { scope: Scope::Ip, window_secs: 1, count: u64::MAX })
    }

    #[test]
    fn parses_thresholds() {
        assert_eq!(th("ip:10m=5"), Threshold { scope: Scope::Ip, window_secs: 600, count: 5 });
        assert_eq!(th("/24:1h=200").scope, Scope::Net);
        assert_eq!(th("16:1d=5000").to_string(), "16:1d=5000");
        for bad in ["ip:10m", "x:1m=2", "ip:0m=3", "ip:5m=0", "ip:40d=3", "ip:5q=3"] {
            assert!(bad.parse::<Threshold>().is_err(), "{bad}");
        }
        assert_eq!(default_thresholds().len(), DEFAULT_THRESHOLDS.len());
        assert_eq!(window_text(900), "15m");
        assert_eq!(window_text(90), "90s");
    }

    #[test]
    fn window_edges_are_inclusive_like_fail2ban() {
        let t = th("ip:10s=3");
        // Exactly at the threshold: 3 events in [10, 20].
        assert_eq!(windows(&[(10, 1), (15, 1), (20, 1)], &t).map(|c| (c.first, c.last, c.peak)), Some((20, 20, 3)));
        // One second outside: 10 and 21 are 11 s apart.
        assert_eq!(windows(&[(10, 1), (15, 1), (21, 1)], &t), None);
        // One under.
        assert_eq!(windows(&[(10, 1), (20, 1)], &t), None);
        // Several at one second count each.
        let c =
            windows(&[(10, 4), (30, 1), (31, 2)], &t).unwrap_or(Crossing { peak: 0, peak_at: 0, first: 0, last: 0 });
        assert_eq!((c.first, c.last, c.peak, c.peak_at), (10, 31, 4, 10));
    }
}
