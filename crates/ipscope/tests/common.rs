//! Helpers shared by the end-to-end tests: the real binary with a private data dir, corpus
//! paths, generated logs, and a running daemon.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

pub fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus").join(rel)
}

/// The corpus directories that hold logs of the supported formats (ingest does not recurse).
pub const CORPUS_LOG_DIRS: &[&str] = &[
    "openssh/beats",
    "openssh/fail2ban",
    "openssh/loghub",
    "cowrie/kareiva-cowrie-logs",
    "cowrie/fail2ban",
    "zeek/brimdata-zed",
    "zeek/rita/proxy",
    "zeek/beats",
    "asa/beats",
    "intelmq/events",
    "intelmq/shadowserver",
];

/// `ipscope` with a private data dir and no user config.
pub fn ipscope(data: &Path) -> Command {
    let mut c = Command::cargo_bin("ipscope").unwrap();
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("IPSCOPE_DATA", data)
        .env("IPSCOPE_CONFIG", "/dev/null")
        .env("IPSCOPE_TZ", "UTC")
        // A directory without databases: tests never depend on the machine's GeoIP files.
        .env("IPSCOPE_GEOIP", Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))
        .env("NO_COLOR", "1");
    c
}

/// The MaxMind test City and ASN databases, as `--geoip` takes them.
pub fn test_geoip() -> String {
    ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"]
        .map(|f| corpus("mmdb/test-data").join(f).display().to_string())
        .join(",")
}

pub fn run_ok(c: &mut Command) -> (String, String) {
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "command failed: {c:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

/// One number from `ipscope sql`.
pub fn scalar(data: &Path, sql: &str) -> i64 {
    let (out, _) = run_ok(ipscope(data).args(["sql", sql, "--format", "csv", "--no-header"]));
    out.trim().parse().unwrap_or_else(|_| panic!("not a number: {out:?} for {sql}"))
}

/// Events by kind, as `kind=count` lines, for comparing two stores.
pub fn kinds(data: &Path) -> String {
    let (out, _) = run_ok(ipscope(data).args([
        "sql",
        "SELECT kind, coalesce(outcome, '-'), count(*) FROM events GROUP BY ALL ORDER BY ALL",
        "--format",
        "csv",
    ]));
    out
}

pub fn generate(path: &Path, lines: u64, seed: u64) -> ipscope_gen::Truth {
    let cfg = ipscope_gen::SshConfig {
        seed,
        lines,
        style: ipscope_gen::TimestampStyle::Rfc3339,
        ..ipscope_gen::SshConfig::default()
    };
    ipscope_gen::write_sshd(&cfg, std::fs::File::create(path).unwrap()).unwrap()
}

/// A running `ipscope serve` on an ephemeral loopback port; killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub url: String,
    pub info: serde_json::Value,
    pub data: PathBuf,
}

impl Daemon {
    /// Starts `ipscope serve ARGS` on `data` and waits until it says where it listens.
    pub fn start(data: &Path, args: &[&str]) -> Daemon {
        Daemon::start_with(ipscope(data), data, args)
    }

    pub fn start_with(mut cmd: Command, data: &Path, args: &[&str]) -> Daemon {
        let info_path = data.join("ipscope.serve");
        let _ = std::fs::remove_file(&info_path);
        let child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut d = Daemon { child, url: String::new(), info: serde_json::Value::Null, data: data.to_owned() };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = d.child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(d.child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("ipscope serve exited with {status}:\n{err}");
            }
            if let Ok(text) = std::fs::read_to_string(&info_path)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            {
                d.url = v["url"].as_str().unwrap().to_owned();
                d.info = v;
                break;
            }
            assert!(Instant::now() < deadline, "ipscope serve did not start within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Drain stderr so the daemon never blocks on a full pipe.
        let err = d.child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::BufReader::new(err), &mut std::io::sink());
        });
        d
    }

    /// GET a path of the API: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http(&format!("{}{path}", self.url), None, None)
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        signal(&self.child, "TERM");
        let status = wait_for(&mut self.child, Duration::from_secs(60));
        std::mem::forget(self);
        status
    }

    /// SIGKILL: no cleanup at all.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::forget(self);
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill").args([&format!("-{sig}"), &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

pub fn wait_for(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "process did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Lets `child` run for up to `delay`, then SIGKILLs it if it is still running: whether it was
/// killed (the SIGKILL tests' one step; the caller waits for it and checks the store).
pub fn kill_within(child: &mut Child, delay: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < delay && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let running = child.try_wait().unwrap().is_none();
    if running {
        child.kill().unwrap();
    }
    running
}

/// One HTTP request: (status, body). `body` makes it a POST.
pub fn http(url: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let res = match body {
        Some(b) => {
            let mut r = agent.post(url);
            if let Some(t) = token {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.send(b)
        }
        None => {
            let mut r = agent.get(url);
            if let Some(t) = token {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.call()
        }
    };
    let mut res = res.unwrap();
    let status = res.status().as_u16();
    (status, res.body_mut().read_to_string().unwrap())
}

/// Polls `f` until it returns true or `limit` passes; the last value of `f` otherwise.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The stdout of a command that must succeed.
pub fn stdout_ok(c: &mut Command) -> String {
    run_ok(c).0
}

/// Starts the cluster once per test process; a failure fails the test (never a silent skip).
pub fn cluster_started() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/clickhouse-cluster.sh");
        let out = Command::new("bash").arg(script).arg("start").output().expect("run clickhouse-cluster.sh");
        assert!(
            out.status.success(),
            "clickhouse-cluster.sh start failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// A database of this test's own on the local cluster, dropped at the end, pass or fail.
pub struct Db(pub String);

impl Db {
    pub fn new(test: &str) -> Db {
        cluster_started();
        let db = Db(format!("clickhouse://127.0.0.1:18123/ipscope_cli_{test}_{}?cluster=ipscope", std::process::id()));
        db.drop_all();
        db
    }

    pub fn drop_all(&self) {
        if let Ok(c) = ipscope_clickhouse::Cluster::connect(&self.0) {
            c.drop_database().unwrap();
        }
    }

    /// `ipscope` on this database (`IPSCOPE_STORE`); `data` only holds what is not the store.
    pub fn cmd(&self, data: &Path) -> Command {
        let mut c = ipscope(data);
        c.env("IPSCOPE_STORE", &self.0);
        c
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.drop_all();
    }
}

/// CSV stdout of a command that must succeed.
pub fn csv(c: &mut Command) -> String {
    run_ok(c.args(["--format", "csv"])).0
}

/// `summary` (events per format and kind, first and last time to the microsecond).
pub fn summary(c: &mut Command) -> String {
    csv(c.args(["report", "summary"]))
}

/// The stored event count and the ledger's count of events committed with the inputs' progress.
pub fn stored_and_ledger(c: impl Fn() -> Command) -> (i64, i64) {
    let one = |sql: &str| -> i64 {
        let out = run_ok(c().args(["sql", sql, "--format", "csv", "--no-header"])).0;
        out.trim().parse().unwrap_or_else(|_| panic!("not a number: {out:?} for {sql}"))
    };
    (one("SELECT count(*) FROM events"), one("SELECT coalesce(sum(events), 0) FROM inputs"))
}

/// The inputs table without its wall-clock columns.
pub fn inputs(c: &mut Command) -> String {
    let out = csv(c.arg("status"));
    out.lines().map(|l| l.split(',').take(8).collect::<Vec<_>>().join(",")).collect::<Vec<_>>().join("\n")
}

/// Waits until no shard runs a query on `c`'s database (other than this one).
pub fn settle(c: &ipscope_clickhouse::Cluster) {
    let sql = format!(
        "SELECT count() FROM system.processes WHERE query LIKE '%{}%' AND query NOT LIKE '%system.processes%'",
        c.url().database
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    for s in c.shards() {
        while c.shard_text(s.num, &sql).unwrap().trim() != "0" {
            assert!(Instant::now() < deadline, "shard {} still runs the killed client's queries", s.num);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
