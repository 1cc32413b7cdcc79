//! The dashboard in a real headless Chromium (Debian's, driven by playwright-core from npm;
//! `scripts/test-deps.sh browser` installs both): it loads with no console error and no request
//! to another origin, every panel has data for a known store and its numbers are the CLI's, a
//! syslog line shows up within 2 s without a reload, the time range and a filter change the
//! numbers, clicking an address opens its page, and attacker-typed markup stays text.
//! Screenshots land in `$CARGO_TARGET_TMPDIR/dashboard/` (overview, address, network, print).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod common;
use common::*;

fn deps() {
    let ok = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/test-deps.sh"))
        .arg("browser")
        .status()
        .unwrap();
    assert!(ok.success(), "scripts/test-deps.sh browser failed (chromium, npm ci)");
}

/// A store with every kind of panel's data, and log lines whose user names are markup.
fn store(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    let config = dir.join("config.toml");
    std::fs::write(&config, "[home]\ncampus = [\"10.0.0.0/8\", \"192.168.0.0/16\"]\n").unwrap();
    let hostile = dir.join("hostile.log");
    let mut text = String::new();
    let names = [
        "<img src=x onerror=\"window.__xss=1\">",
        "<script>window.__xss=2</script>",
        "\u{1b}[31mred\u{1b}[0m\u{202e}evil",
        "a|b`c`<b>bold</b>",
    ];
    for (n, name) in names.iter().enumerate() {
        for i in 0..(60 - n * 5) {
            text.push_str(&format!(
                "2025-12-11T10:{:02}:{:02}+00:00 bastion sshd[{}]: Failed password for invalid user {name} from 198.51.100.{} port {} ssh2\n",
                n * 10 + i / 60,
                i % 60,
                900 + i,
                66 + n,
                4000 + i
            ));
        }
    }
    // One of them gets in and stays: a brute-force suspect with a session still open from outside.
    text.push_str(
        "2025-12-11T11:00:00+00:00 bastion sshd[7777]: Accepted password for root from 198.51.100.66 port 5000 ssh2\n\
         2025-12-11T11:00:00+00:00 bastion sshd[7777]: pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)\n",
    );
    std::fs::write(&hostile, text).unwrap();
    let inputs = [
        corpus("openssh/loghub/OpenSSH_2k.log"),
        corpus("asa/beats/asa.log"),
        corpus("cowrie/kareiva-cowrie-logs/cowrie.json.2018-05-06"),
        corpus("intelmq/shadowserver/event4_honeypot_brute_force.csv"),
        hostile,
    ];
    run_ok(
        ipscope(&data)
            .env("IPSCOPE_CONFIG", &config)
            .args(["--geoip", "builtin", "ingest", "--year", "2025"])
            .args(&inputs),
    );
    (data, config)
}

/// `report NAME ARGS` through the running daemon, as rows of column → text.
fn cli_rows(data: &Path, config: &Path, args: &[&str]) -> Vec<HashMap<String, String>> {
    let (out, _) =
        run_ok(ipscope(data).env("IPSCOPE_CONFIG", config).arg("report").args(args).args(["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .collect()
}

/// The `(key, value)` pairs of a panel's rows.
fn pairs(panel: &serde_json::Value, key: &str, value: &str) -> Vec<(String, String)> {
    panel["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[key].as_str().unwrap_or_default().to_owned(), r[value].as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn cli_pairs(rows: &[HashMap<String, String>], key: &str, value: &str) -> Vec<(String, String)> {
    rows.iter().map(|r| (r[key].replace("null", ""), r[value].clone())).collect()
}

#[test]
fn the_dashboard_in_headless_chromium() {
    deps();
    let dir = tempfile::tempdir().unwrap();
    let (data, config) = store(dir.path());
    let mut cmd = ipscope(&data);
    cmd.env("IPSCOPE_CONFIG", &config);
    let d = Daemon::start_with(cmd, &data, &["--geoip", "builtin", "--syslog-udp", "127.0.0.1:0"]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&shots).unwrap();
    let cfg = serde_json::json!({
        "url": d.url,
        "syslog": d.info["syslog_udp"],
        "shots": shots,
        "net": "183.62.140.0/24",
    });
    let out = std::process::Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/dashboard.mjs"))
        .arg(cfg.to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "node failed: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(r["failure"].is_null(), "the browser run failed: {}", r["failure"]);
    eprintln!("screenshots in {}", shots.display());

    // Loads cleanly, on this origin only.
    assert_eq!(r["errors"], serde_json::json!([]), "console errors");
    assert_eq!(r["foreign"], serde_json::json!([]), "requests to other origins");
    // Attacker-typed markup never became markup.
    assert_eq!(r["injected"], serde_json::json!({"flag": false, "img": false, "script": false}));

    // Every panel has something, and the numbers are the CLI's.
    let panels = &r["panels"];
    for (id, p) in panels.as_object().unwrap() {
        assert!(!p["error"].as_bool().unwrap(), "panel {id} shows an error: {}", p["note"]);
        let rows = p["rows"].as_array().unwrap().len();
        assert!(
            rows > 0 || p["plot"].as_bool().unwrap() || p["img"].as_bool().unwrap(),
            "panel {id} is empty: {}",
            p["note"]
        );
    }
    let cli = |args: &[&str]| cli_rows(&data, &config, args);
    let compare = |panel: &str, args: &[&str], key: &str, value: &str| {
        let want = cli_pairs(&cli(args), key, value);
        let got = pairs(&panels[panel], key, value);
        assert_eq!(got, want, "panel {panel} against `ipscope report {}`", args.join(" "));
    };
    compare("top-ips", &["top-ips", "-N", "15"], "ip", "events");
    compare("top-users", &["top-users", "-N", "15"], "user", "events");
    compare("nets", &["nets", "-N", "15"], "prefix", "events");
    compare("ports", &["ports", "-N", "15"], "port", "events");
    compare("countries", &["countries", "-N", "15"], "country", "events");
    compare("credentials", &["credentials", "-N", "15"], "password", "events");
    compare("commands", &["commands", "-N", "15"], "command", "events");
    compare("attackers", &["attackers", "-N", "15"], "ip", "attempts");
    compare("low-success", &["low-success", "-N", "15"], "ip", "auths");
    compare("open-sessions", &["open-sessions", "-N", "15"], "ip", "open");
    compare("taxonomy", &["taxonomy", "-N", "10"], "taxonomy", "events");
    assert_eq!(pairs(&panels["recent"], "ts", "kind").len(), 12);
    assert!(panels["map"]["img"].as_bool().unwrap(), "the world map is drawn");
    let kinds = panels["timeline-kind"]["series"].as_str().unwrap();
    assert!(kinds.contains("auth") && kinds.contains("deny"), "{kinds}");
    // The hostile names are in the table as the text they are.
    let users: Vec<String> = pairs(&panels["top-users"], "user", "events").into_iter().map(|(u, _)| u).collect();
    assert!(users.iter().any(|u| u == "<img src=x onerror=\"window.__xss=1\">"), "{users:?}");
    assert!(users.iter().any(|u| u == "<script>window.__xss=2</script>"), "{users:?}");
    // Control characters and bidi overrides are shown as escapes, not obeyed.
    let cells: Vec<&str> = r["user_cells"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert!(cells.contains(&"\\u{1b}[31mred\\u{1b}[0m\\u{202e}evil"), "{cells:?}");
    assert!(cells.iter().all(|c| !c.contains('\u{202e}') && !c.contains('\u{1b}')), "{cells:?}");

    // Live: the syslog line showed up without a reload, within 2 s.
    let live = r["live_ms"].as_u64().unwrap();
    assert!(live <= 2000, "live update took {live} ms");
    assert!(!r["reloaded"].as_bool().unwrap());

    // The last hour holds only the live line: the numbers changed.
    assert_ne!(r["stats_hour"], r["stats_all"]);
    assert_eq!(r["panels_hour"]["recent"]["rows"].as_array().unwrap().len(), 1);

    // The source filter: every address shown is one the CLI lists for that source.
    let asa: Vec<String> = cli(&["top-ips", "-N", "15", "--source", "asa"]).iter().map(|r| r["ip"].clone()).collect();
    let shown: Vec<String> = pairs(&r["panels_asa"]["top-ips"], "ip", "events").into_iter().map(|(ip, _)| ip).collect();
    assert_eq!(shown, asa);
    assert!(r["hash_asa"].as_str().unwrap().contains("source=asa"));

    // Clicking an address opened its page.
    let clicked = r["clicked"].as_str().unwrap();
    assert_eq!(r["address_page"]["ip"].as_str().unwrap(), clicked);
    assert!(r["address_page"]["hash"].as_str().unwrap().starts_with("#/ip/"));
    assert!(r["address_panels"]["ip-timeline"]["plot"].as_bool().unwrap(), "the address's activity over time");
    assert!(!r["net_panels"]["net-drill"]["rows"].as_array().unwrap().is_empty(), "the network's addresses");
    for shot in ["overview", "address", "network", "print"] {
        let png = std::fs::read(shots.join(format!("{shot}.png"))).unwrap();
        assert!(png.len() > 10_000 && png.starts_with(b"\x89PNG"), "{shot}.png");
    }

    // The downloads: a table as CSV, a chart as SVG and PNG, rendered for the browser (no file
    // is written on the server).
    let (code, csv) = http(&format!("{}/api/report/top-ips?top=3&format=csv", d.url), None, None);
    assert_eq!(code, 200);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let (code, svg) = http(&format!("{}/api/report/daily?chart=svg", d.url), None, None);
    assert_eq!(code, 200);
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{}", &svg[..svg.len().min(100)]);
    assert!(d.terminate().success());
}
