//! One module per report.

pub mod daily;
pub mod low_success;
pub mod nets;
pub mod open_sessions;
pub mod top;
pub mod top_ips;
pub mod top_users;
