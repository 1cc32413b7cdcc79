//! The values users type: times and ages (`--since`, `--older-than`), times of day (`[maint]
//! at`), networks (`--drill`, `--home`), thresholds, windows and set names (`report rates`,
//! `blocklist`), zones (`--tz`), format, source and kind names. Each either parses or says why.
//! A zone that parses must then convert times without panicking.
#![no_main]

use std::str::FromStr;

use ipscope_formats::{Clock, ClockConfig, YearRule, Zone};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let now = chrono::DateTime::from_timestamp(1_764_460_800, 0).unwrap_or_default();
    let _ = ipscope_config::parse_when(s, now);
    let _ = ipscope_config::parse_time_of_day(s);
    if let Some(age) = ipscope_config::parse_age(s) {
        assert!(age >= 0);
    }
    if let Ok(net) = ipscope_config::parse_net(s) {
        assert!(net.contains(&net.network()));
    }
    // `--threshold ip:10m=5`: what parses prints back as itself.
    if let Ok(t) = s.parse::<ipscope_config::rates::Threshold>() {
        assert_eq!(t.to_string().parse::<ipscope_config::rates::Threshold>().ok(), Some(t));
    }
    if let Some(secs) = ipscope_config::rates::parse_window(s) {
        assert!(secs > 0);
    }
    let _ = ipscope_config::rates::check_set_name(s);
    let _ = ipscope_enrich::HomeNets::parse_list(s);
    let _ = ipscope_formats::FormatKind::from_str(s);
    let _ = ipscope_event::SourceFormat::from_str(s);
    let _ = ipscope_event::EventKind::from_str(s);
    if let Ok(zone) = Zone::from_str(s) {
        let _ = zone.to_string();
        let mut clock = Clock::new(ClockConfig { zone, year: YearRule::Reference }, now.timestamp_micros());
        for line in [&b"Mar 31 02:30:00"[..], b"Oct 27 02:30:00", b"Feb 29 23:59:59"] {
            if let Some((t, _)) = ipscope_formats::clock::parse_rfc3164(line) {
                let _ = clock.syslog_micros(t);
            }
        }
    }
});
