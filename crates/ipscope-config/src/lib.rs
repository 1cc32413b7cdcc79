//! The configuration file (TOML), validated once here into settings the commands use.
//!
//! ```toml
//! data_dir = "/var/lib/ipscope"   # where the database lives
//! tz = "Europe/Berlin"             # zone of syslog / iptracking timestamps without one
//! delimiter = "|"                  # iptracking field delimiter
//! geoip = ["/srv/geoip"]           # .mmdb files / dirs (default: data dir, /var/lib/GeoIP, /usr/share/GeoIP)
//!
//! [home]                           # named home networks (on campus)
//! campus = ["10.0.0.0/8", "2001:db8::/32"]
//! vpn = ["192.168.0.0/16"]
//!
//! [services]                       # service groups for `report services` (replace the defaults)
//! web = [80, 443, 8080]
//! ssh = [22]
//!
//! [serve]                          # the daemon (`ipscope serve`); see packaging/config.toml
//! listen = "127.0.0.1:8479"
//! follow = ["/var/log/auth.log*"]
//! journal = true
//! syslog_udp = "0.0.0.0:5514"
//! syslog_tcp = "0.0.0.0:5514"
//! token = "..."                    # required when listen is not loopback (also IPSCOPE_TOKEN)
//! ```
//!
//! Precedence: command-line flag, then its `IPSCOPE_*` environment twin, then this file, then
//! the built-in default.
//!
//! This crate is the edge where text a user (or whoever can write a config file) typed becomes
//! settings: the config file here, the values of flags in [`args`] (times, ages, networks).
//! Nothing in it touches the store, so all of it is fuzzed (`fuzz/`, targets `config` and
//! `args`) without building DuckDB.

pub mod args;
pub mod rates;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ipscope_enrich::HomeNets;
use ipscope_formats::Zone;
use serde::Deserialize;

pub use args::{ArgError, parse_age, parse_net, parse_time_of_day, parse_when};

/// How the connection to the mail relay is protected (`[maint] smtp_tls`, `--smtp-tls`).
#[derive(clap::ValueEnum, serde::Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP, then STARTTLS, required (submission, port 587)
    #[default]
    Starttls,
    /// TLS from the first byte (port 465)
    Tls,
    /// No encryption: only for a relay on this machine or a trusted network
    None,
}

/// What is wrong with a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}")]
    Invalid { path: PathBuf, source: Box<ConfigError> },
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("tz: {0}")]
    Zone(String),
    #[error("delimiter must be one ASCII character, got {0:?}")]
    Delimiter(String),
    #[error("[home] {name}")]
    Home { name: String, source: ipscope_enrich::EnrichError },
    #[error("cannot find a home directory for the default data directory; pass --data DIR")]
    NoHome,
    #[error("[maint] at = {at:?}")]
    MaintAt { at: String, source: ArgError },
    #[error("[rates] {key}")]
    Rates { key: &'static str, source: ArgError },
}

pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: Option<PathBuf>,
    tz: Option<String>,
    delimiter: Option<String>,
    #[serde(default)]
    geoip: Vec<PathBuf>,
    #[serde(default)]
    home: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    services: BTreeMap<String, Vec<u16>>,
    #[serde(default)]
    serve: ServeConfig,
    #[serde(default)]
    maint: MaintConfig,
    #[serde(default)]
    rates: RatesConfig,
    #[serde(default)]
    store: StoreConfig,
}

/// `[store]`: where events are stored, when not in the embedded file of the data directory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `clickhouse://HOST:HTTP_PORT/DATABASE?cluster=NAME` (also `--store`, `IPSCOPE_STORE`);
    /// checked when the store is opened.
    pub url: Option<String>,
}

/// `[rates]`: thresholds of `report rates` and the blocklist.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesConfig {
    /// `SCOPE:WINDOW=COUNT` specs (`ip:10m=5`), replacing the defaults.
    #[serde(default)]
    pub thresholds: Vec<String>,
    /// How long an offender stays listed after its last crossing (`1h`).
    pub ban: Option<String>,
    /// Networks never listed, besides `[home]`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// ipset set / nftables table name.
    pub set_name: Option<String>,
}

/// `[maint]`: the nightly report the daemon runs and mails, and the relay `maint --email` uses.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintConfig {
    /// Time of day (`06:00`, `06:00:30`) in the configured `tz` at which `serve` runs maint.
    pub at: Option<String>,
    /// Recipients.
    #[serde(default)]
    pub email: Vec<String>,
    pub from: Option<String>,
    /// Relay `host:port`.
    pub smtp: Option<String>,
    pub smtp_tls: Option<TlsMode>,
    pub smtp_ca: Option<PathBuf>,
    pub smtp_user: Option<String>,
    /// Prefer IPSCOPE_SMTP_PASSWORD in the service's environment.
    pub smtp_password: Option<String>,
    /// Purge before the report (what `maint --commit` does); off by default.
    #[serde(default)]
    pub purge: bool,
    pub purge_days: Option<u32>,
    /// `-N` of the reports.
    pub top: Option<usize>,
    /// `-s` of low-success.
    pub ratio: Option<f64>,
}

/// `[serve]`: the daemon's settings (each also a flag and an environment variable of `serve`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address of the HTTP API, dashboard and `/metrics`.
    pub listen: Option<std::net::SocketAddr>,
    /// Bearer token every HTTP request must carry (required for a non-loopback `listen`).
    pub token: Option<String>,
    /// Glob patterns of files to follow.
    #[serde(default)]
    pub follow: Vec<String>,
    /// Follow sshd in the systemd journal.
    pub journal: Option<bool>,
    /// Journal directory to read instead of the system journal.
    pub journal_directory: Option<PathBuf>,
    /// `SYSLOG_IDENTIFIER`s read from the journal.
    pub journal_identifiers: Option<Vec<String>>,
    pub syslog_udp: Option<std::net::SocketAddr>,
    pub syslog_tcp: Option<std::net::SocketAddr>,
    /// DuckDB's memory limit while the daemon runs (e.g. `1GB`).
    pub memory_limit: Option<String>,
}

/// Validated settings.
#[derive(Debug, Default)]
pub struct Config {
    pub data_dir: Option<PathBuf>,
    pub tz: Option<Zone>,
    pub delimiter: Option<u8>,
    /// GeoIP database files / directories (`geoip = ["/srv/geoip"]`).
    pub geoip: Vec<PathBuf>,
    pub home: HomeNets,
    /// Service groups (name → destination ports); empty = the built-in defaults.
    pub services: Vec<(String, Vec<u16>)>,
    pub serve: ServeConfig,
    pub maint: MaintConfig,
    pub rates: RatesConfig,
    pub store: StoreConfig,
}

fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "ipscope").map(|d| d.config_dir().join("config.toml"))
}

/// Loads `explicit` (which must exist) or the default file (if it exists).
pub fn load(explicit: Option<&Path>) -> Result<Config> {
    let path = match explicit {
        Some(p) => p.to_owned(),
        None => match default_path() {
            Some(p) if p.exists() => p,
            _ => return Ok(Config::default()),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
    parse(&text).map_err(|e| ConfigError::Invalid { path, source: Box::new(e) })
}

/// Validates the text of a config file into settings.
pub fn parse(text: &str) -> Result<Config> {
    let file: ConfigFile = toml::from_str(text)?;
    let tz = file.tz.as_deref().map(str::parse::<Zone>).transpose().map_err(|e| ConfigError::Zone(e.to_string()))?;
    let delimiter = match file.delimiter.as_deref() {
        None => None,
        Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
        Some(d) => return Err(ConfigError::Delimiter(d.to_owned())),
    };
    let mut home = HomeNets::default();
    for (name, cidrs) in &file.home {
        for c in cidrs {
            home.push(name, c).map_err(|source| ConfigError::Home { name: name.clone(), source })?;
        }
    }
    let services = file.services.into_iter().collect();
    for t in &file.rates.thresholds {
        t.parse::<rates::Threshold>().map_err(|source| ConfigError::Rates { key: "thresholds", source })?;
    }
    if let Some(ban) = &file.rates.ban {
        rates::parse_window(ban).ok_or_else(|| ConfigError::Rates {
            key: "ban",
            source: ArgError::Invalid(format!("{ban:?}: expected a duration like 10m, 1h, 1d")),
        })?;
    }
    for a in &file.rates.allow {
        parse_net(a).map_err(|source| ConfigError::Rates { key: "allow", source })?;
    }
    if let Some(n) = &file.rates.set_name {
        rates::check_set_name(n).map_err(|source| ConfigError::Rates { key: "set_name", source })?;
    }
    if let Some(at) = &file.maint.at {
        parse_time_of_day(at).map_err(|source| ConfigError::MaintAt { at: at.clone(), source })?;
    }
    Ok(Config {
        data_dir: file.data_dir,
        tz,
        delimiter,
        geoip: file.geoip,
        home,
        services,
        serve: file.serve,
        maint: file.maint,
        rates: file.rates,
        store: file.store,
    })
}

/// The data directory: flag/env, config file, or the per-user default.
pub fn data_dir(flag: Option<&Path>, cfg: &Config) -> Result<PathBuf> {
    if let Some(p) = flag.or(cfg.data_dir.as_deref()) {
        return Ok(p.to_owned());
    }
    directories::ProjectDirs::from("", "", "ipscope").map(|d| d.data_dir().to_owned()).ok_or(ConfigError::NoHome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_file() {
        let c = parse(
            "data_dir = \"/x\"\ngeoip = [\"/g\"]\ntz = \"UTC\"\ndelimiter = \";\"\n[home]\ncampus = [\"10.0.0.0/8\"]\n[services]\nweb = [80, 8080]\n",
        )
        .unwrap_or_default();
        assert_eq!(c.services, vec![("web".to_owned(), vec![80, 8080])]);
        assert_eq!(c.data_dir.as_deref(), Some(Path::new("/x")));
        assert_eq!(c.delimiter, Some(b';'));
        assert_eq!(c.geoip, vec![PathBuf::from("/g")]);
        assert_eq!(c.home.nets.len(), 1);
        assert_eq!(c.home.nets[0].0, "campus");
    }

    #[test]
    fn rejects_bad_values() {
        assert!(parse("nope = 1").is_err());
        assert!(parse("[home]\ncampus = [\"10.0.0.0/40\"]").is_err());
        assert!(parse("delimiter = \"ab\"").is_err());
        assert!(parse("[rates]\nthresholds = [\"ip:10m\"]").is_err());
        assert!(parse("[rates]\nban = \"soon\"").is_err());
        assert!(parse("[rates]\nallow = [\"10.0.0.0/33\"]").is_err());
        let c =
            parse("[rates]\nthresholds = [\"ip:10m=5\"]\nban = \"1h\"\nallow = [\"192.0.2.0/24\"]\nset_name = \"ssh\"")
                .unwrap_or_default();
        assert_eq!(c.rates.thresholds, ["ip:10m=5"]);
    }
}
