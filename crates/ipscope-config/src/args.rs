//! Values users type on the command line (and as API parameters): times, ages, networks. Each
//! parser takes any text and either returns the value or says what it expected; none panics
//! (the fuzz target `args` feeds them arbitrary bytes). Zones are `ipscope_formats::Zone`'s
//! `FromStr`, home-network lists `ipscope_enrich::HomeNets::parse_list`.

use chrono::{DateTime, NaiveDate, Utc};

/// A value that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    #[error("cannot read time {0:?}: use 2026-11-01, 2026-11-01T12:00:00Z, or an age like 7d / 24h / 30m")]
    Time(String),
    #[error("not a network: {0:?} (expected CIDR like 203.0.113.0/24, or an address)")]
    Net(String),
    #[error("expected a time of day such as 06:00 or 06:00:30, got {0:?}")]
    TimeOfDay(String),
    /// A value checked by its own rules (a threshold, a set name), with the reason.
    #[error("{0}")]
    Invalid(String),
}

/// Longest age accepted, in days (`100000d`): beyond it a time is out of every range the store
/// and the calendar handle, so it is refused rather than overflowed.
pub const MAX_AGE_DAYS: f64 = 100_000.0;

/// Parses `--since/--until`: a date (UTC midnight), an RFC 3339 time, `YYYY-MM-DD HH:MM:SS`
/// (UTC), or an age like `7d`, `24h`, `30m` (that long before `now`). UTC microseconds.
pub fn parse_when(s: &str, now: DateTime<Utc>) -> Result<i64, ArgError> {
    if let Some(age) = parse_age(s) {
        return Ok(now.timestamp_micros().saturating_sub(age));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        return Ok(t.and_utc().timestamp_micros());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros())
            .ok_or_else(|| ArgError::Time(s.to_owned()));
    }
    Err(ArgError::Time(s.to_owned()))
}

/// `10d`, `36h`, `30m`, `90s`, `2w` or a plain number of days → microseconds; at most
/// [`MAX_AGE_DAYS`].
pub fn parse_age(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 'd'),
    };
    let n: f64 = num.parse().ok().filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    let secs = match unit {
        'd' => 86_400.0,
        'h' => 3_600.0,
        'm' => 60.0,
        's' => 1.0,
        'w' => 604_800.0,
        _ => return None,
    };
    let micros = n * secs * 1e6;
    (micros <= MAX_AGE_DAYS * 86_400e6).then_some(micros as i64)
}

/// `06:00` or `06:00:30` (`[maint] at`, `serve --maint-at`).
pub fn parse_time_of_day(s: &str) -> Result<chrono::NaiveTime, ArgError> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M"))
        .map_err(|_| ArgError::TimeOfDay(s.to_owned()))
}

/// A network (`203.0.113.0/24`) or a single address (`/32`, `/128`), as `nets --drill` takes it.
pub fn parse_net(s: &str) -> Result<ipnet::IpNet, ArgError> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| ArgError::Net(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_times() {
        assert_eq!(parse_age("10d"), Some(864_000_000_000));
        assert_eq!(parse_age("10"), Some(864_000_000_000));
        assert_eq!(parse_age("36h"), Some(129_600_000_000));
        assert_eq!(parse_age("x"), None);
        assert_eq!(parse_age("-1d"), None);
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        assert_eq!(parse_when("1970-01-02", now).ok(), Some(86_400_000_000));
        assert_eq!(parse_when("1970-01-01T00:00:10Z", now).ok(), Some(10_000_000));
        assert_eq!(parse_when("1s", now).ok(), Some(999_999_000_000));
        assert!(parse_when("yesterday", now).is_err());
    }

    #[test]
    fn huge_ages_are_refused_not_overflowed() {
        assert_eq!(parse_age("100000d"), Some(8_640_000_000_000_000));
        assert_eq!(parse_age("100001d"), None);
        assert_eq!(parse_age("1e300w"), None);
        let now = DateTime::from_timestamp(0, 0).unwrap_or_default();
        assert!(parse_when("99999d", now).is_ok_and(|t| t < 0));
    }

    #[test]
    fn networks_and_addresses() {
        assert_eq!(parse_net("203.0.113.0/24").map(|n| n.to_string()).ok().as_deref(), Some("203.0.113.0/24"));
        assert_eq!(parse_net("2001:db8::1").map(|n| n.prefix_len()).ok(), Some(128));
        assert!(parse_net("203.0.113.0/33").is_err());
    }
}
