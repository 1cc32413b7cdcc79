//! `clickhouse://HOST:PORT/DB?cluster=NAME`, validated once into a [`ClusterUrl`].

use crate::{Error, Result};

/// ClickHouse's default HTTP port.
pub const DEFAULT_HTTP_PORT: u16 = 8123;

/// Where the cluster is: one node's HTTP interface, the database and the cluster's name (as in
/// the servers' `remote_servers`). The other shards are found from that node's
/// `system.clusters` (see [`crate::Cluster::connect`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterUrl {
    /// Host name or address (an IPv6 address without brackets).
    pub host: String,
    /// The node's HTTP port (not the native TCP port).
    pub port: u16,
    pub database: String,
    pub cluster: String,
}

impl ClusterUrl {
    /// Parses `clickhouse://HOST[:PORT]/DB?cluster=NAME`. The port is the HTTP port
    /// ([`DEFAULT_HTTP_PORT`] when absent). Database and cluster names are interpolated into SQL,
    /// so they are limited to ASCII letters, digits and `_`. (The `url` crate does the parsing.)
    pub fn parse(text: &str) -> Result<ClusterUrl> {
        let bad = |reason: &str| Error::Url { url: text.to_owned(), reason: reason.to_owned() };
        if !text.starts_with("clickhouse://") {
            return Err(bad("must start with clickhouse://"));
        }
        let u = url::Url::parse(text).map_err(|e| match e {
            url::ParseError::EmptyHost => bad("no host"),
            e => bad(&e.to_string()),
        })?;
        let host = match u.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(a)) => a.to_string(),
            Some(url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(bad("no host")),
        };
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("user names and passwords in the URL are not supported yet"));
        }
        let port = u.port().unwrap_or(DEFAULT_HTTP_PORT);
        if port == 0 {
            return Err(bad("the port is not a number in 1..65535"));
        }
        let database = u.path().trim_matches('/');
        if database.is_empty() {
            return Err(bad("no database (clickhouse://HOST:PORT/DB?cluster=NAME)"));
        }
        check_name(database).map_err(|r| bad(&format!("database {r}")))?;
        let mut cluster = None;
        for (k, v) in u.query_pairs() {
            match k.as_ref() {
                "cluster" => cluster = Some(v.into_owned()),
                _ => return Err(bad(&format!("unknown parameter {:?} (only cluster=NAME)", format!("{k}={v}")))),
            }
        }
        let cluster = cluster.ok_or_else(|| bad("no ?cluster=NAME"))?;
        check_name(&cluster).map_err(|r| bad(&format!("cluster {r}")))?;
        Ok(ClusterUrl { host, port, database: database.to_owned(), cluster })
    }

    /// The node's HTTP base URL (`http://HOST:PORT/`).
    pub fn http(&self) -> String {
        http_url(&self.host, self.port)
    }
}

impl std::fmt::Display for ClusterUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "clickhouse://{host}:{}/{}?cluster={}", self.port, self.database, self.cluster)
    }
}

pub(crate) fn http_url(host: &str, port: u16) -> String {
    if host.contains(':') { format!("http://[{host}]:{port}/") } else { format!("http://{host}:{port}/") }
}

/// Names that go into SQL unquoted: `[A-Za-z_][A-Za-z0-9_]*`, at most 64 bytes.
fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok { Ok(()) } else { Err(format!("{name:?} must be ASCII letters, digits and _ (not first a digit)")) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_the_documented_form() {
        let u = ClusterUrl::parse("clickhouse://127.0.0.1:18123/ipscope?cluster=ipscope").unwrap();
        assert_eq!(
            u,
            ClusterUrl { host: "127.0.0.1".into(), port: 18123, database: "ipscope".into(), cluster: "ipscope".into() }
        );
        assert_eq!(u.http(), "http://127.0.0.1:18123/");
        assert_eq!(u.to_string(), "clickhouse://127.0.0.1:18123/ipscope?cluster=ipscope");
        let v6 = ClusterUrl::parse("clickhouse://[::1]/db?cluster=c").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", DEFAULT_HTTP_PORT));
        assert_eq!(v6.http(), "http://[::1]:8123/");
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for (url, why) in [
            ("http://h:1/db?cluster=c", "clickhouse://"),
            ("clickhouse://h:1/?cluster=c", "no database"),
            ("clickhouse://h:1/db", "no ?cluster"),
            ("clickhouse://h:99999/db?cluster=c", "port"),
            ("clickhouse://h:1/db;drop?cluster=c", "database"),
            ("clickhouse://h:1/db?cluster=c&x=1", "unknown parameter"),
            ("clickhouse://:1/db?cluster=c", "no host"),
            ("clickhouse://u:p@h:1/db?cluster=c", "passwords"),
        ] {
            let e = ClusterUrl::parse(url).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(url), "{url}: {e}");
        }
    }
}
