//! One module per report (`groups.rs` holds the simple "events per X" ones).

pub mod activity;
pub mod asn_trend;
pub mod attackers;
pub mod crossover;
pub mod daily;
pub mod groups;
pub mod low_success;
pub mod nets;
pub mod open_sessions;
pub mod rates;
pub mod recent;
pub mod scanners;
pub mod scans;
pub mod services;
pub mod summary;
pub mod taxonomy;
pub mod timeline;
pub mod top;
pub mod top_ips;
pub mod top_users;
pub mod trends;
