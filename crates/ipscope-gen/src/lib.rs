//! Deterministic generator of realistic security-log activity, written as real log text in every
//! format ipscope reads ([`GenFormat`], [`write()`]), with the ground truth of what was written
//! ([`Truth`]). Used by `ipscope demo` (~50 k lines), the parser tests and the benchmarks
//! (1 M / 10 M / 100 M lines).
//!
//! The SSH formats ([`write_sshd`], [`write_iptracking`]) follow the population model below.
//! Cowrie, Zeek conn, ASA and IntelMQ reuse its address ranges and its three groups of attack
//! sources (heavy hitters with Zipf weights, a skewed medium pool, one-offs: `crowd.rs`) with
//! a scheduler that meets the line budget and the span the same way (`engine.rs`); what one
//! unit of activity writes is described in each format's module (`cowrie.rs`, `zeek_conn.rs`,
//! `asa.rs`, `intelmq.rs`).
//!
//! # Population model (SSH)
//!
//! One simulated login host (`cfg.host`) is watched for `cfg.days` days. Connections arrive at
//! a rate that varies from day to day; each connection is one sshd process (one PID, one source
//! port) that writes a short script of lines. Arrivals are drawn from these groups, all scaled
//! with `cfg.lines`:
//!
//! - **Probes** (sshd only: 12 % of the randomly arriving connections, drawn first): connections
//!   that never authenticate, 70 % from one-off scanner addresses and 30 % from the heavy
//!   brute-forcers: `Did not receive identification string` (35 %), `Unable to negotiate ...`
//!   (15 %), `banner exchange: ... invalid format` (10 %), `Connection closed by A port P
//!   [preauth]` (15 %), `Received disconnect ... Bye Bye [preauth]` + `Disconnected from
//!   authenticating user root ...` (15 %, a password bot on a key-only server) and `Connection
//!   closed by authenticating user root ...` (10 %). Each is one `connection/failure` event in
//!   [`Truth::events`]; the `Disconnected` line after a `Bye Bye` is noise.
//! - **Heavy brute-forcers** (45 % of the other randomly arriving connections): 3 addresses at 50 k
//!   lines, one more per doubling (10 at 10 M, 14 max), with Zipf weights and activity windows
//!   (the first is active all the time), one of them IPv6. Mostly `root`, then `admin`; half the
//!   connections use all 6 tries of `MaxAuthTries`. 4·10^4 .. 2·10^6 lines each at 10 M lines.
//! - **Medium attackers** (42 %): a pool of `lines / 2000` addresses (30 .. 50 000) picked with
//!   a skewed distribution, 1–6 attempts per connection, names from a realistic wordlist.
//! - **One-off scanners** (13 %): a fresh address each time (3 % IPv6), 1–3 attempts: the long
//!   tail that gives ~250 k distinct addresses at 10 M lines.
//! - **Legitimate users**: 38 accounts with uids 1000+, about 3.5 logins per user and day on
//!   average (skewed across users, office hours and weekdays; independent of `lines`, at most
//!   10 % of the lines), by publickey (ED25519 / RSA / ECDSA, `SHA256:` fingerprints) or by
//!   password (8 % with a typo first), from [`CAMPUS_NETS`] or, per user 0–50 % of the time,
//!   from a home (residential ISP) or travel address. Each login is `Accepted` +
//!   `session opened`, and 1 s .. hours later `session closed`; 5 % of off-campus logins are
//!   never closed ("still open").
//! - **Low-and-slow guessing** from one routable /24: up to 254 hosts, each making 2–12 single
//!   attempts spread over the whole span.
//! - **The breach**: one address runs a campaign (mostly against the existing account `test`)
//!   from ~40 % of the span and gets in at ~70 % (`Accepted password for test` + `session opened`,
//!   never closed). [`Truth::breach`] names it.
//!
//! Addresses come from real routable allocations (cloud / hosting providers, large access
//! networks, the MaxMind test-database ranges), never from reserved ranges other than the campus
//! networks. sshd lines use OpenSSH 8/9 wording (see [`write_sshd`]).
//!
//! # Guarantees
//!
//! - Exactly `cfg.lines` lines; connections in flight at the end are cut (so the last few
//!   connections may lack their disconnect or `Failed` lines; [`Truth`] counts what was written).
//! - Timestamps are non-decreasing and inside `[start, start + days)`. With very few lines
//!   (below a few thousand), the pre-scheduled groups may fill the budget before the end of
//!   the span.
//! - Same [`SshConfig`] → byte-identical output on any machine (ChaCha8 stream, integer and
//!   exact IEEE arithmetic only). sshd and iptracking output of one config are two independent
//!   samples of the same model, not two renderings of the same events.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

mod asa;
mod cowrie;
mod crowd;
mod engine;
mod intelmq;
mod population;
mod render;
mod rng;
mod sim;
mod truth;
mod zeek_conn;

pub use population::{CAMPUS_NETS, is_campus};
pub use truth::Truth;

use render::{IptrackingSink, SshdSink};
use sim::{Mode, Sim};

/// How sshd lines are timestamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimestampStyle {
    /// BSD syslog: `Nov  3 06:55:46` (no year, space-padded day), UTC wall clock.
    #[default]
    Rfc3164,
    /// `2026-11-03T06:55:46.123456+00:00` (rsyslog's high-precision format).
    Rfc3339,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshConfig {
    pub seed: u64,
    /// Exact number of lines (rows) to write.
    pub lines: u64,
    /// Start of the span, UTC microseconds since the Unix epoch.
    pub start_micros: i64,
    /// Length of the span in days (at least 1).
    pub days: u32,
    /// Syslog host name (non-empty, no whitespace).
    pub host: String,
    pub style: TimestampStyle,
    /// The server's address in iptracking `dst_ip` for IPv4 clients.
    pub server_ip: Ipv4Addr,
    /// The server's address in iptracking `dst_ip` for IPv6 clients.
    pub server_ip6: Ipv6Addr,
}

impl Default for SshConfig {
    /// 50 k lines over 7 days from Monday 2026-03-02 00:00 UTC, host `login1`.
    fn default() -> Self {
        SshConfig {
            seed: 1,
            lines: 50_000,
            start_micros: 1_772_409_600_000_000,
            days: 7,
            host: "login1".to_owned(),
            style: TimestampStyle::Rfc3164,
            server_ip: Ipv4Addr::new(10, 0, 0, 22),
            server_ip6: Ipv6Addr::new(0xfd10, 0, 0, 1, 0, 0, 0, 0x22),
        }
    }
}

/// The configuration of every format (the SSH-specific fields are ignored where they do not apply).
pub type GenConfig = SshConfig;

/// A format the generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GenFormat {
    /// sshd syslog with RFC 3164 timestamps ([`write_sshd`]).
    Sshd,
    /// sshd syslog with RFC 3339 timestamps ([`write_sshd`]).
    Sshd3339,
    /// The iptracking export with `|` ([`write_iptracking`]).
    Iptracking,
    /// Cowrie honeypot JSON lines.
    Cowrie,
    /// Zeek conn.log, TSV with its header.
    ZeekConn,
    /// Cisco ASA syslog.
    Asa,
    /// IntelMQ events, JSON lines.
    Intelmq,
}

impl GenFormat {
    pub const ALL: [GenFormat; 7] = [
        GenFormat::Sshd,
        GenFormat::Sshd3339,
        GenFormat::Iptracking,
        GenFormat::Cowrie,
        GenFormat::ZeekConn,
        GenFormat::Asa,
        GenFormat::Intelmq,
    ];

    /// The generator's name (`sshd3339` for the RFC 3339 variant).
    pub fn as_str(self) -> &'static str {
        match self {
            GenFormat::Sshd => "sshd",
            GenFormat::Sshd3339 => "sshd3339",
            GenFormat::Iptracking => "iptracking",
            GenFormat::Cowrie => "cowrie",
            GenFormat::ZeekConn => "zeek_conn",
            GenFormat::Asa => "asa",
            GenFormat::Intelmq => "intelmq",
        }
    }

    /// The name of ipscope's parser for the output (`--format`): `sshd` for both sshd variants.
    pub fn parser_name(self) -> &'static str {
        match self {
            GenFormat::Sshd3339 => "sshd",
            f => f.as_str(),
        }
    }
}

impl fmt::Display for GenFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GenFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GenFormat::ALL.iter().copied().find(|f| f.as_str() == s).ok_or_else(|| {
            let known: Vec<_> = GenFormat::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown format {s:?} (known: {})", known.join(", "))
        })
    }
}

/// Writes `cfg.lines` lines of `format` to `out` and returns what was written.
///
/// The format decides the timestamp style (`cfg.style` is ignored). Every format is in time
/// order, deterministic (same config → same bytes) and streams: memory depends on the activity
/// in flight and the distinct-address count, not on `cfg.lines`. [`Truth::events`],
/// [`Truth::ignored_lines`], [`Truth::lines`], [`Truth::distinct_addresses`] and the first / last
/// timestamps are filled for every format; the SSH counters only for the SSH formats.
///
/// - `sshd`, `sshd3339`, `iptracking`: [`write_sshd`], [`write_iptracking`] (delimiter `|`).
/// - `cowrie`: honeypot sessions (connect, client version / kex, failed and successful logins
///   with user names and passwords from wordlists, commands, downloads, close).
/// - `zeek_conn`: a site's conn.log (Zeek 7, 22 columns, header included in the line count):
///   outbound client traffic, inbound visitors, scans (`S0`, `REJ`, ...).
/// - `asa`: the site's firewall: denies (106023, 106001, 106100) from scanners and built /
///   teardown pairs (302013/302014 TCP, 302015/302016 UDP).
/// - `intelmq`: CERT feed events (Shadowserver, abuse.ch, ... classifications).
///
/// `out` is wrapped in a 256 KiB `BufWriter` and flushed at the end.
pub fn write<W: Write>(format: GenFormat, cfg: &GenConfig, out: W) -> io::Result<Truth> {
    match format {
        GenFormat::Sshd | GenFormat::Sshd3339 => {
            let style = if format == GenFormat::Sshd { TimestampStyle::Rfc3164 } else { TimestampStyle::Rfc3339 };
            write_sshd(&SshConfig { style, ..cfg.clone() }, out)
        }
        GenFormat::Iptracking => write_iptracking(cfg, b'|', out),
        _ => {
            validate(cfg)?;
            let out = BufWriter::with_capacity(WRITE_BUFFER, out);
            match format {
                GenFormat::Cowrie => cowrie::write(cfg, out),
                GenFormat::ZeekConn => zeek_conn::write(cfg, out),
                GenFormat::Asa => asa::write(cfg, out),
                _ => intelmq::write(cfg, out),
            }
        }
    }
}

/// Largest supported span (100 years), so that `start + span` cannot overflow.
const MAX_DAYS: u32 = 36_525;
/// Buffer in front of the caller's writer.
const WRITE_BUFFER: usize = 256 * 1024;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn validate(cfg: &SshConfig) -> io::Result<()> {
    if cfg.days == 0 || cfg.days > MAX_DAYS {
        return Err(invalid(format!("days must be 1..={MAX_DAYS}, got {}", cfg.days)));
    }
    let span = i64::from(cfg.days) * 86_400 * 1_000_000;
    if cfg.start_micros.checked_add(span).is_none() || cfg.start_micros < -(1 << 62) {
        return Err(invalid(format!("start {} out of range", cfg.start_micros)));
    }
    if cfg.host.is_empty() || cfg.host.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return Err(invalid(format!("host name {:?} must be non-empty without whitespace", cfg.host)));
    }
    Ok(())
}

/// Writes `cfg.lines` sshd syslog lines (`STAMP HOST sshd[PID]: MESSAGE`), in time order.
///
/// Message shapes (U = user, A = address, P = port):
/// - `Invalid user U from A port P`
/// - `Failed password for [invalid user ]U from A port P ssh2`
/// - `message repeated N times: [ Failed password for [invalid user ]U from A port P ssh2]`
/// - `Accepted password for U from A port P ssh2`
/// - `Accepted publickey for U from A port P ssh2: ED25519|RSA|ECDSA SHA256:<43 chars>`
/// - `pam_unix(sshd:session): session opened for user U(uid=N) by (uid=0)`
/// - `pam_unix(sshd:session): session closed for user U` (same PID as its `Accepted` line)
/// - noise: `Received disconnect from A port P:11: Bye Bye [preauth]`,
///   `Disconnected from authenticating|invalid user U A port P [preauth]`,
///   `Connection closed by [authenticating|invalid user U ]A port P [preauth]`,
///   `error: maximum authentication attempts exceeded for [invalid user ]U from A port P ssh2 [preauth]`,
///   `Disconnecting authenticating|invalid user U A port P: Too many authentication failures [preauth]`,
///   `Received disconnect from A port P:11: disconnected by user`, `Disconnected from user U A port P`.
///
/// `out` is wrapped in a 256 KiB `BufWriter` (pass the raw file or stdout) and flushed at the end.
pub fn write_sshd<W: Write>(cfg: &SshConfig, out: W) -> io::Result<Truth> {
    validate(cfg)?;
    let mut sink = SshdSink::new(BufWriter::with_capacity(WRITE_BUFFER, out), &cfg.host, cfg.style);
    Sim::new(cfg, Mode::Sshd).run(&mut sink)
}

/// Writes `cfg.lines` iptracking rows `dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date`
/// (the PAM callback's CSV export, no header) with the given delimiter, in time order.
/// `event` is `auth` (one per password attempt, failed or accepted, valid user or not),
/// `open_session` or `close_session`; `uid` is the user name as PAM saw it; `log_date` is
/// `YYYY-MM-DD HH:MM:SS` in UTC. Public-key logins have no `auth` row.
///
/// The delimiter must not occur in the fields: ASCII letters, digits, `.`, `:`, `-`, `_`,
/// space and line breaks are refused.
pub fn write_iptracking<W: Write>(cfg: &SshConfig, delimiter: u8, out: W) -> io::Result<Truth> {
    validate(cfg)?;
    if delimiter.is_ascii_alphanumeric() || b".:-_ \r\n".contains(&delimiter) || !delimiter.is_ascii() {
        return Err(invalid(format!("delimiter {:?} can occur inside a field", char::from(delimiter))));
    }
    let mut sink =
        IptrackingSink::new(BufWriter::with_capacity(WRITE_BUFFER, out), delimiter, cfg.server_ip, cfg.server_ip6);
    Sim::new(cfg, Mode::Iptracking).run(&mut sink)
}
