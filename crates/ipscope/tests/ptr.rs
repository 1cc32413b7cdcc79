//! Reverse DNS against a real DNS server on loopback: Debian's dnsmasq (`scripts/test-deps.sh
//! dns`), started by the test with PTR records of its own and authoritative for `arpa` (so
//! unknown names are NXDOMAIN) — never the internet. Checks the names shown by `report top-ips
//! --ptr` and `lookup --ptr`, that a second run asks the server nothing (the cache in the store,
//! counted in dnsmasq's query log), that entries expire after `--ptr-ttl`, that a server that never
//! answers costs the timeout and nothing is cached, and the same through a running daemon.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Daemon, ipscope, run_ok, scalar};

struct Dnsmasq {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Dnsmasq {
    fn start(dir: &Path) -> Dnsmasq {
        let ok = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh"))
            .arg("dns")
            .status()
            .unwrap();
        assert!(ok.success(), "scripts/test-deps.sh dns failed (dnsmasq)");
        // A free port: bound, read, released (dnsmasq binds it a moment later). The port may be
        // taken in between, or for TCP (dnsmasq binds both): then dnsmasq exits, and the next
        // attempt takes another port.
        for attempt in 1..=5 {
            let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let log = dir.join(format!("dnsmasq-{attempt}.log"));
            let v6 = "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
            let child = Command::new("dnsmasq")
                .args([
                    "--keep-in-foreground",
                    "--conf-file=/dev/null",
                    "--no-resolv",
                    "--no-hosts",
                    "--listen-address=127.0.0.1",
                    "--bind-interfaces",
                    "--pid-file=",
                    &format!("--port={port}"),
                    "--ptr-record=7.100.51.198.in-addr.arpa,brute.example.net",
                    &format!("--ptr-record={v6},v6-host.example.org"),
                    "--local=/arpa/",
                    "--log-queries",
                    &format!("--log-facility={}", log.display()),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dnsmasq");
            let mut d = Dnsmasq { child, addr: format!("127.0.0.1:{port}"), log };
            // Ready when it logged that it started.
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if std::fs::read_to_string(&d.log).unwrap_or_default().contains("started") {
                    return d;
                }
                if d.child.try_wait().unwrap().is_some() {
                    break; // exited at start: another port
                }
                assert!(Instant::now() < deadline, "dnsmasq did not start within 20 s");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("dnsmasq exited at start 5 times (see {}/dnsmasq-*.log)", dir.display())
    }

    /// PTR queries it has received so far.
    fn queries(&self) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().filter(|l| l.contains("query[PTR]")).count()
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn store(dir: &Path) -> PathBuf {
    let mut log = String::new();
    for (i, ip) in ["198.51.100.7", "198.51.100.7", "2001:db8:77::5", "203.0.113.9"].iter().enumerate() {
        log.push_str(&format!(
            "2026-11-02T10:00:0{i}+00:00 web1 sshd[10{i}]: Failed password for root from {ip} port 4242 ssh2\n"
        ));
    }
    std::fs::write(dir.join("auth.log"), log).unwrap();
    let data = dir.join("data");
    run_ok(ipscope(&data).args(["ingest", "--format", "sshd", dir.join("auth.log").to_str().unwrap()]));
    data
}

fn top_ips(data: &Path, server: &str, extra: &[&str]) -> (Vec<String>, String) {
    let (out, err) = run_ok(
        ipscope(data).args(["report", "top-ips", "--ptr", "--dns-server", server, "--format", "csv"]).args(extra),
    );
    let rows = out.lines().skip(1).map(|l| l.split(',').take(2).collect::<Vec<_>>().join(" ")).collect();
    (rows, err)
}

const WANT: [&str; 3] = ["198.51.100.7 brute.example.net", "2001:db8:77::5 v6-host.example.org", "203.0.113.9 "];

#[test]
fn names_from_dnsmasq_are_cached_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let dns = Dnsmasq::start(dir.path());
    let data = store(dir.path());
    let (rows, err) = top_ips(&data, &dns.addr, &[]);
    assert_eq!(rows, WANT, "{err}");
    assert_eq!(dns.queries(), 3);
    // Names and the NXDOMAIN are cached: a second run asks nothing.
    let (rows, err) = top_ips(&data, &dns.addr, &[]);
    assert_eq!(rows, WANT);
    assert!(err.contains("3 from the cache, 0 asked"), "{err}");
    assert_eq!(dns.queries(), 3);
    assert_eq!(scalar(&data, "SELECT count(*) FROM ptr_cache"), 3);
    assert_eq!(scalar(&data, "SELECT count(*) FROM ptr_cache WHERE status = 'none' AND name IS NULL"), 1);
    // lookup uses the same cache, and caches addresses the store has no events of.
    let (out, _) = run_ok(ipscope(&data).args([
        "lookup",
        "198.51.100.7",
        "198.51.100.99",
        "--ptr",
        "--dns-server",
        &dns.addr,
        "-o",
        "csv",
    ]));
    assert!(out.lines().nth(1).unwrap().starts_with("198.51.100.7,brute.example.net,"), "{out}");
    assert_eq!(dns.queries(), 4);
    // Without --ptr: no column, no query.
    let (out, _) = run_ok(ipscope(&data).args(["report", "top-ips", "--format", "csv"]));
    assert!(!out.contains("ptr") && !out.contains("brute.example.net"));
    // Entries expire (IPSCOPE_NOW moves the clock): past the default day, all three are asked
    // again; with --ptr-ttl 1s they are stale two seconds later.
    let later = |now: &str, ttl: &str| {
        let (out, _) = run_ok(ipscope(&data).env("IPSCOPE_NOW", now).args([
            "report",
            "top-ips",
            "--ptr",
            "--dns-server",
            &dns.addr,
            "--ptr-ttl",
            ttl,
            "--format",
            "csv",
        ]));
        assert!(out.contains("brute.example.net"));
    };
    later("2030-01-01T00:00:00Z", "1s");
    assert_eq!(dns.queries(), 7);
    later("2030-01-01T00:00:00.900Z", "1s");
    assert_eq!(dns.queries(), 7);
    later("2030-01-01T00:00:02Z", "1d");
    assert_eq!(dns.queries(), 10);
    later("2030-01-01T12:00:00Z", "1d");
    assert_eq!(dns.queries(), 10);
    // Answers replace their address's row: one row per address asked so far.
    assert_eq!(scalar(&data, "SELECT count(*) FROM ptr_cache"), 4);
    // A report without addresses is refused.
    let out = ipscope(&data).args(["report", "daily", "--ptr", "--dns-server", &dns.addr]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_silent_server_costs_the_timeout_and_caches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = store(dir.path());
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let (rows, err) = top_ips(&data, &addr, &["--dns-timeout", "400ms"]);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(rows, ["198.51.100.7 ", "2001:db8:77::5 ", "203.0.113.9 "]);
    assert!(err.contains("3 without an answer"), "{err}");
    assert_eq!(scalar(&data, "SELECT count(*) FROM ptr_cache"), 0);
}

#[test]
fn through_a_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let dns = Dnsmasq::start(dir.path());
    let data = store(dir.path());
    let d = Daemon::start(&data, &[]);
    let (rows, _) = top_ips(&data, &dns.addr, &[]);
    assert_eq!(rows, WANT);
    // Cached through the daemon's writer.
    let (rows, err) = top_ips(&data, &dns.addr, &[]);
    assert_eq!(rows, WANT);
    assert!(err.contains("3 from the cache"), "{err}");
    assert_eq!(dns.queries(), 3);
    // Reverse DNS is the CLI's, not the API's.
    assert_eq!(d.get("/api/report/top-ips?ptr=true").0, 400);
    d.terminate();
}
