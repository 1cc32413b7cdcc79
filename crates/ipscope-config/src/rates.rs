//! The values of `report rates` and `ipscope blocklist` that users type — thresholds
//! (`SCOPE:WINDOW=COUNT`), windows and ban durations (`10m`), ipset / nftables set names — here
//! without DuckDB so the config file's validation and the fuzz targets reach them.

use std::fmt;
use std::str::FromStr;

use crate::ArgError;

/// Longest set / table name: ipset allows 31 characters, and the sets add `-v4-tmp`.
pub const MAX_SET_NAME: usize = 24;

/// Longest window a threshold may have.
pub const MAX_WINDOW_SECS: i64 = 31 * 86_400;

/// What a threshold counts over: one address, or the prefix around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Ip,
    /// IPv4 /24, IPv6 /48.
    Net,
    /// IPv4 /16, IPv6 /32.
    Wide,
}

impl Scope {
    /// The prefix length of this scope for an address family.
    pub fn prefix_len(self, v6: bool) -> u8 {
        match (self, v6) {
            (Scope::Ip, false) => 32,
            (Scope::Ip, true) => 128,
            (Scope::Net, false) => 24,
            (Scope::Net, true) => 48,
            (Scope::Wide, false) => 16,
            (Scope::Wide, true) => 32,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::Ip => "ip",
            Scope::Net => "24",
            Scope::Wide => "16",
        }
    }
}

/// At least `count` hostile events of one key within `window_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    pub scope: Scope,
    pub window_secs: i64,
    pub count: u64,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}={}", self.scope.name(), window_text(self.window_secs), self.count)
    }
}

impl FromStr for Threshold {
    type Err = ArgError;

    fn from_str(s: &str) -> Result<Self, ArgError> {
        let bad = |why: &str| {
            ArgError::Invalid(format!(
                "threshold {s:?}: {why} (expected SCOPE:WINDOW=COUNT, e.g. ip:10m=5, 24:1h=200, 16:1d=5000)"
            ))
        };
        let (scope, rest) = s.trim().split_once(':').ok_or_else(|| bad("no scope"))?;
        let (window, count) = rest.split_once('=').ok_or_else(|| bad("no count"))?;
        let scope = match scope.trim().trim_start_matches('/') {
            "ip" | "addr" | "address" => Scope::Ip,
            "24" | "net" | "48" => Scope::Net,
            "16" | "wide" | "32" => Scope::Wide,
            _ => return Err(bad("scope must be ip, 24 or 16")),
        };
        let window_secs = parse_window(window).ok_or_else(|| bad("window must be like 90s, 5m, 1h, 1d"))?;
        if window_secs > MAX_WINDOW_SECS {
            return Err(bad("window longer than 31 days"));
        }
        let count: u64 = count.trim().parse().map_err(|_| bad("count must be a number"))?;
        if count == 0 {
            return Err(bad("count must be at least 1"));
        }
        Ok(Threshold { scope, window_secs, count })
    }
}

/// `90s`, `5m`, `1h`, `1d`, `2w` → seconds (at least 1).
pub fn parse_window(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok().filter(|n| *n > 0)?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// `300` → `5m`.
pub fn window_text(secs: i64) -> String {
    for (unit, n) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs >= n && secs % n == 0 {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

/// Checks a set / table name for ipset and nftables: a letter, then letters, digits, `_`, `-`.
pub fn check_set_name(name: &str) -> Result<(), ArgError> {
    let ok = name.len() <= MAX_SET_NAME
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ArgError::Invalid(format!(
            "set name {name:?}: a letter, then letters, digits, _ or -, at most {MAX_SET_NAME} characters"
        )))
    }
}
