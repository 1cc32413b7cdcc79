//! What both cluster test files need: the real 2-shard cluster of `scripts/clickhouse-cluster.sh`
//! (started here once per test process; it installs ClickHouse from Debian's packages when
//! missing), a database of each test's own, and deterministic numbers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::OnceLock;

use ipscope_clickhouse::Cluster;

/// Shard 1's HTTP port (the script's fixed ports).
pub const SHARD1_HTTP: u16 = 18123;

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

/// The store URL of database `db` on the local cluster.
pub fn c_url(db: &str) -> String {
    format!("clickhouse://127.0.0.1:{SHARD1_HTTP}/{db}?cluster=ipscope")
}

/// Drops a test's database at the end, pass or fail.
pub struct Scratch(String);

impl Drop for Scratch {
    fn drop(&mut self) {
        // `IPSCOPE_CH_KEEP=1`: leave the database for a look by hand.
        if std::env::var_os("IPSCOPE_CH_KEEP").is_some() {
            return;
        }
        if let Ok(c) = Cluster::connect(&c_url(&self.0)) {
            let _ = c.drop_database();
        }
    }
}

/// A cluster handle on a database of this test's own (unique per test file, test and process),
/// with the schema.
pub fn scratch(test: &str) -> (Scratch, Cluster) {
    cluster_started();
    let db = format!("ipscope_{}_{test}_{}", env!("CARGO_CRATE_NAME"), std::process::id());
    let c = Cluster::connect(&c_url(&db)).unwrap();
    c.drop_database().unwrap();
    c.create_schema().unwrap();
    (Scratch(db), c)
}

/// Deterministic pseudo-random numbers (xorshift).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
