//! `ipscope blocklist` end to end: an sshd log with brute-forcers (IPv4, IPv6, a home address),
//! the list in every format, loaded by the real `ipset restore -!` and `nft -f` (Debian's
//! packages, `scripts/test-deps.sh firewall`) inside a network namespace of the test's own, so
//! the machine's firewall is never touched; `nft -c -f` checks the file as well. The daemon
//! serves the same list at `/api/blocklist`, empty when nobody is banned.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Daemon, ipscope, run_ok};

fn deps() {
    let ok = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh"))
        .arg("firewall")
        .status()
        .unwrap();
    assert!(ok.success(), "scripts/test-deps.sh firewall failed (ipset, nftables)");
}

/// Failed passwords, `n` of them `gap` seconds apart from 2026-11-02 10:00:00 UTC.
fn failures(out: &mut String, ip: &str, n: u32, gap: u32, pid: u32) {
    for i in 0..n {
        let s = i * gap;
        out.push_str(&format!(
            "2026-11-02T10:{:02}:{:02}+00:00 web1 sshd[{pid}]: Failed password for root from {ip} port 4242 ssh2\n",
            s / 60,
            s % 60
        ));
    }
}

/// A store with offenders of ip:10m=5 (and 24:10m=12): two IPv4 addresses, one IPv6, a home
/// address (never listed) and a /24 of four sources with 3 failures each.
fn store(dir: &Path) -> std::path::PathBuf {
    let mut log = String::new();
    failures(&mut log, "198.51.100.7", 6, 20, 100);
    failures(&mut log, "198.51.100.9", 5, 60, 101);
    failures(&mut log, "2001:db8:77::5", 5, 5, 102);
    failures(&mut log, "10.20.30.40", 30, 2, 103);
    for (i, h) in [1, 60, 120, 200].iter().enumerate() {
        failures(&mut log, &format!("203.0.113.{h}"), 3, 30, 110 + i as u32);
    }
    failures(&mut log, "192.0.2.1", 2, 10, 120); // under every threshold
    let path = dir.join("auth.log");
    std::fs::write(&path, log).unwrap();
    let data = dir.join("data");
    run_ok(ipscope(&data).args(["ingest", "--format", "sshd", path.to_str().unwrap()]));
    data
}

const AT: &str = "2026-11-02T10:30:00Z";
const FLAGS: &[&str] = &["--at", AT, "--threshold", "ip:10m=5,24:10m=12", "--ban", "1h", "--home", "10.0.0.0/8"];

fn list(data: &Path, format: &str, extra: &[&str]) -> String {
    run_ok(ipscope(data).args(["blocklist", "--format", format]).args(FLAGS).args(extra)).0
}

const WANT: &[&str] = &["198.51.100.7", "198.51.100.9", "203.0.113.0/24", "2001:db8:77::5"];

#[test]
fn lists_offenders_in_every_format_and_the_firewall_tools_load_them() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    assert_eq!(list(&data, "plain", &[]).lines().collect::<Vec<_>>(), WANT);
    assert_eq!(
        list(&data, "cidr", &[]).lines().collect::<Vec<_>>(),
        ["198.51.100.7/32", "198.51.100.9/32", "203.0.113.0/24", "2001:db8:77::5/128"]
    );
    let csv = list(&data, "csv", &[]);
    assert!(csv.starts_with("source,scope,threshold,last_crossed,expires\n"), "{csv}");
    assert!(csv.contains("198.51.100.7/32,ip,ip:10m=5,2026-11-02T10:01:40Z,2026-11-02T11:01:40Z\n"), "{csv}");
    // --allow, --aggregate.
    assert_eq!(
        list(&data, "plain", &["--allow", "198.51.100.9,203.0.113.0/25"]).lines().collect::<Vec<_>>(),
        ["198.51.100.7", "203.0.113.128/25", "2001:db8:77::5"]
    );
    // An hour and a bit later every ban has run out.
    assert_eq!(run_ok(ipscope(&data).args(["blocklist", "--at", "2026-11-02T11:30:00Z"]).args(&FLAGS[2..])).0, "");

    // ipset: loaded twice into a fresh network namespace, then listed.
    let ipset = dir.path().join("list.ipset");
    std::fs::write(&ipset, list(&data, "ipset", &["--set-name", "ipscope-test"])).unwrap();
    let script = format!(
        "ipset restore -! < {f} && ipset restore -! < {f} && ipset list ipscope-test-v4 && ipset list ipscope-test-v6 \
         && ! ipset list ipscope-test-v4-tmp 2>/dev/null",
        f = ipset.display()
    );
    let out = Command::new("unshare").args(["--net", "sh", "-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ipset restore refused the list:\n{}\n{text}", String::from_utf8_lossy(&out.stderr));
    let members: Vec<&str> =
        text.lines().skip_while(|l| *l != "Members:").filter(|l| l.contains('.') || l.contains(':')).collect();
    for want in ["198.51.100.7", "198.51.100.9", "203.0.113.0/24", "2001:db8:77::5"] {
        assert!(members.iter().any(|m| m.trim() == want), "{want} not in the sets:\n{text}");
    }
    assert!(!text.contains("10.20.30.40"));

    // nftables: checked (nft -c) and loaded twice into a fresh namespace.
    let nft = dir.path().join("list.nft");
    std::fs::write(&nft, list(&data, "nftables", &["--set-name", "ipscope_test"])).unwrap();
    let check = Command::new("nft").args(["-c", "-f"]).arg(&nft).output().unwrap();
    assert!(check.status.success(), "nft -c refused the list: {}", String::from_utf8_lossy(&check.stderr));
    let script = format!(
        "nft -f {f} && nft -f {f} && nft list set inet ipscope_test blocklist_v4 && nft list set inet ipscope_test blocklist_v6",
        f = nft.display()
    );
    let out = Command::new("unshare").args(["--net", "sh", "-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "nft -f refused the list: {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("198.51.100.7") && text.contains("203.0.113.0/24") && text.contains("2001:db8:77::5"),
        "{text}"
    );
    assert!(!text.contains("10.20.30.40"), "{text}");

    // An empty list still loads, and empties the sets.
    let empty_nft = list(&data, "nftables", &["--set-name", "ipscope_test", "--allow", "0.0.0.0/0,::/0"]);
    assert!(!empty_nft.contains("add element"), "{empty_nft}");
    std::fs::write(&nft, empty_nft).unwrap();
    let check = Command::new("nft").args(["-c", "-f"]).arg(&nft).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    let empty_ipset = list(&data, "ipset", &["--allow", "0.0.0.0/0,::/0"]);
    std::fs::write(&ipset, empty_ipset).unwrap();
    let out = Command::new("unshare")
        .args(["--net", "sh", "-c", &format!("ipset restore -! < {}", ipset.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_daemon_serves_the_list_and_output_files_are_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let cli = list(&data, "cidr", &[]);
    // --output: written whole.
    let out = dir.path().join("bl.txt");
    run_ok(ipscope(&data).args(["blocklist", "--format", "cidr", "--output", out.to_str().unwrap()]).args(FLAGS));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), cli);

    let d = Daemon::start(&data, &[]);
    let q = "at=2026-11-02T10:30:00Z&threshold=ip:10m=5,24:10m=12&ban=1h&home=10.0.0.0/8";
    let (status, body) = d.get(&format!("/api/blocklist?format=cidr&{q}"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, cli);
    // Through the daemon, the CLI prints the same.
    assert_eq!(list(&data, "cidr", &[]), cli);
    // Nobody banned: 200 and an empty body.
    let (status, body) = d.get("/api/blocklist?at=2026-11-03T00:00:00Z&threshold=ip:10m=5");
    assert_eq!((status, body.as_str()), (200, ""));
    // Writing files is not for HTTP; bad values are a 400.
    assert_eq!(d.get("/api/blocklist?output=/tmp/x").0, 400);
    assert_eq!(d.get("/api/blocklist?threshold=ip:10m").0, 400);
    d.terminate();
}
