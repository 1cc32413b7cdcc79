//! A firewall-only store (issue 15): ASA VPN and management logins ingested by the real binary,
//! then `low-success`, `top-users` and `top-ips` must name the suspects a sysadmin would. The log
//! is built here with its answers counted by construction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

mod common;
use common::{ipscope, stdout_ok as run_ok};

/// CSV rows as maps column → value.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records().map(|rec| head.iter().cloned().zip(rec.unwrap().iter().map(str::to_owned)).collect()).collect()
}

/// The log and what it holds: per user, events; per address, password attempts and sessions.
struct Log {
    text: String,
    user_events: BTreeMap<String, u64>,
}

fn build() -> Log {
    let mut text = String::new();
    let mut user_events: BTreeMap<String, u64> = BTreeMap::new();
    let mut t = 0u32; // seconds after 02:00:00
    let mut line = |body: &str, user: Option<&str>| {
        let (h, m, s) = (2 + t / 3600, t / 60 % 60, t % 60);
        writeln!(text, "Mar 02 2025 {h:02}:{m:02}:{s:02} vpn-fw : {body}").unwrap();
        // Two minutes apart: no service verdict here echoes an AAA verdict.
        t += 120;
        if let Some(u) = user {
            *user_events.entry(u.to_owned()).or_default() += 1;
        }
    };
    // The spray that got in: 20 rejected attempts at svc-backup and 20 with a hidden user name
    // from 198.51.100.77, then svc-backup's success and its AnyConnect session from there.
    for i in 0..40 {
        let user = if i % 2 == 0 { "svc-backup" } else { "*****" };
        line(
            &format!(
                "%ASA-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.10 : user = {user} : user IP = 198.51.100.77"
            ),
            (user != "*****").then_some(user),
        );
    }
    line(
        "%ASA-6-113004: AAA user authentication Successful : server = 10.0.0.10 : user = svc-backup",
        Some("svc-backup"),
    );
    line(
        "%ASA-6-113039: Group <GP-Staff> User <svc-backup> IP <198.51.100.77> AnyConnect parent session started.",
        Some("svc-backup"),
    );
    // dave mistypes twice, then works from home all day.
    for _ in 0..2 {
        line(
            "%FTD-6-113005: AAA user authentication Rejected : reason = Invalid password : server = 10.0.0.10 : user = dave : user IP = 203.0.113.24",
            Some("dave"),
        );
    }
    line("%FTD-6-113004: AAA user authentication Successful : server = 10.0.0.10 : user = dave", Some("dave"));
    line(
        "%FTD-6-113039: Group <GP-Staff> User <dave> IP <203.0.113.24> AnyConnect parent session started.",
        Some("dave"),
    );
    line(
        "%FTD-4-113019: Group = TG-Remote, Username = dave, IP = 203.0.113.24, Session disconnected. Session Type: AnyConnect-Parent, Duration: 8h:00m:00s, Bytes xmt: 1000, Bytes rcv: 2000, Reason: User Requested",
        Some("dave"),
    );
    // A sprayer against the local database that never gets in, and management logins.
    for i in 0..30 {
        let user = ["admin", "root", "cisco"][i % 3];
        line(
            &format!(
                "%ASA-6-113015: AAA user authentication Rejected : reason = User was not found : local database : user = {user} : user IP = 198.51.100.99"
            ),
            Some(user),
        );
    }
    for _ in 0..3 {
        line(
            "%ASA-6-605004: Login denied from 198.51.100.21/36809 to outside:192.0.2.1/ssh for user \"root\"",
            Some("root"),
        );
    }
    Log { text, user_events }
}

#[test]
fn firewall_logins_give_the_suspects() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("asa.log");
    let log = build();
    std::fs::write(&file, &log.text).unwrap();
    run_ok(ipscope(&data).arg("ingest").arg(&file));

    // By address: the sprayer that got a session after 40 rejected attempts (ratio 1/40); dave
    // (1/2) is not a suspect, 198.51.100.99 never got a session.
    let rows = csv_rows(&run_ok(ipscope(&data).args(["report", "low-success", "--by", "ip", "--format", "csv"])));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["ip"], "198.51.100.77");
    assert_eq!((rows[0]["auths"].as_str(), rows[0]["sessions"].as_str()), ("40", "1"));
    assert_eq!(rows[0]["session_users"], "svc-backup");

    // By user: svc-backup, 21 attempts with its name (20 rejected + the success), 1 session.
    let rows = csv_rows(&run_ok(ipscope(&data).args(["report", "low-success", "--by", "user", "--format", "csv"])));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["user"], "svc-backup");
    assert_eq!((rows[0]["auths"].as_str(), rows[0]["sessions"].as_str()), ("21", "1"));
    assert_eq!(rows[0]["offcampus_session_ips"], "198.51.100.77");

    // top-users: events per user name, exactly as counted while writing the log.
    let rows = csv_rows(&run_ok(ipscope(&data).args(["report", "top-users", "--format", "csv"])));
    let got: BTreeMap<String, u64> = rows.iter().map(|r| (r["user"].clone(), r["events"].parse().unwrap())).collect();
    assert_eq!(got, log.user_events);
    assert_eq!(rows[0]["user"], "svc-backup");

    // top-ips: the two sprayers first, the management brute-forcer with its 3 denied logins.
    let rows = csv_rows(&run_ok(ipscope(&data).args(["report", "top-ips", "--format", "csv"])));
    let got: Vec<(&str, &str)> = rows.iter().map(|r| (r["ip"].as_str(), r["events"].as_str())).collect();
    assert_eq!(
        got,
        vec![("198.51.100.77", "41"), ("198.51.100.99", "30"), ("203.0.113.24", "4"), ("198.51.100.21", "3")]
    );
}
