//! The normalized event: one schema for every source format.
//!
//! Every parser in `ipscope-formats` produces [`Event`]s, the enrichment stage fills the
//! enrichment columns, the store writes them as rows of the `events` table, and every report
//! reads that table. Adding a column means: a field here, a column in the store's schema
//! (with a migration), and nothing else.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Serialize;

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

/// Which parser produced an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// OpenSSH / PAM syslog (auth.log, secure, journald text export).
    Sshd,
    /// The iptracking PAM callback's export: `dst_ip|src_ip|src_port|event|sshd_pid|uid|log_date`.
    Iptracking,
    /// Cowrie honeypot JSON lines.
    Cowrie,
    /// Zeek conn.log, TSV or JSON.
    ZeekConn,
    /// Cisco ASA / FTD syslog.
    Asa,
    /// IntelMQ events (JSON or eventDB CSV).
    Intelmq,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 6] = [
        SourceFormat::Sshd,
        SourceFormat::Iptracking,
        SourceFormat::Cowrie,
        SourceFormat::ZeekConn,
        SourceFormat::Asa,
        SourceFormat::Intelmq,
    ];

    /// The name used on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Sshd => "sshd",
            SourceFormat::Iptracking => "iptracking",
            SourceFormat::Cowrie => "cowrie",
            SourceFormat::ZeekConn => "zeek_conn",
            SourceFormat::Asa => "asa",
            SourceFormat::Intelmq => "intelmq",
        }
    }
}

/// What happened. The vocabulary is shared by every parser, which is what lets one report work
/// across sources (an `auth` from sshd and an `auth` from Cowrie are counted the same way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// One password / keyboard-interactive authentication attempt, failed or accepted
    /// (iptracking's `auth`). The outcome says which.
    Auth,
    /// A public-key (or other non-password: hostbased, gssapi, none) authentication.
    KeyAuth,
    /// A probe for an account that does not exist (sshd `Invalid user X from ADDR`): records the
    /// name guessed without counting a password attempt.
    InvalidUser,
    /// A login session opened (iptracking `open_session`, PAM `session opened`).
    SessionOpen,
    /// A login session closed (iptracking `close_session`, PAM `session closed`).
    SessionClose,
    /// A network connection (Zeek conn, ASA built/teardown, Cowrie connect, sshd `Connection from`).
    Connection,
    /// A connection refused or dropped by policy (firewall deny, tcpwrappers refusal).
    Deny,
    /// A shell command run (honeypot).
    Command,
    /// A file fetched or uploaded (honeypot).
    Download,
    /// Client software facts (SSH version string, key-exchange fingerprint).
    ClientInfo,
    /// A tunnel / port-forward request (Cowrie direct-tcpip).
    Tunnel,
    /// A CERT feed event (IntelMQ): the classification columns say what.
    FeedEvent,
    /// Recorded but of none of the kinds above (iptracking `unknown`).
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::Auth,
        EventKind::KeyAuth,
        EventKind::InvalidUser,
        EventKind::SessionOpen,
        EventKind::SessionClose,
        EventKind::Connection,
        EventKind::Deny,
        EventKind::Command,
        EventKind::Download,
        EventKind::ClientInfo,
        EventKind::Tunnel,
        EventKind::FeedEvent,
        EventKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Auth => "auth",
            EventKind::KeyAuth => "key_auth",
            EventKind::InvalidUser => "invalid_user",
            EventKind::SessionOpen => "session_open",
            EventKind::SessionClose => "session_close",
            EventKind::Connection => "connection",
            EventKind::Deny => "deny",
            EventKind::Command => "command",
            EventKind::Download => "download",
            EventKind::ClientInfo => "client_info",
            EventKind::Tunnel => "tunnel",
            EventKind::FeedEvent => "feed_event",
            EventKind::Other => "other",
        }
    }
}

/// Whether the thing the event describes succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

macro_rules! impl_name {
    ($t:ty, $what:literal) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| UnknownName {
                    what: $what,
                    name: s.to_owned(),
                    known: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }
    };
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Outcome::Success, Outcome::Failure];
}

impl_name!(SourceFormat, "source format");
impl_name!(EventKind, "event kind");
impl_name!(Outcome, "outcome");

/// A name that is not in a fixed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub known: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?} (known: {})", self.what, self.name, self.known)
    }
}

impl std::error::Error for UnknownName {}

/// Geographic enrichment of the source address (empty until an enrichment stage or a feed fills it).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Geo {
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub continent: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_km: Option<u16>,
    pub time_zone: Option<String>,
}

impl Geo {
    /// Nothing known (the same as `== Geo::default()`, without building one: this runs for
    /// every event an ingest converts).
    pub fn is_empty(&self) -> bool {
        let Geo {
            country_code,
            country_name,
            continent,
            region,
            city,
            postal_code,
            latitude,
            longitude,
            accuracy_km,
            time_zone,
        } = self;
        country_code.is_none()
            && country_name.is_none()
            && continent.is_none()
            && region.is_none()
            && city.is_none()
            && postal_code.is_none()
            && latitude.is_none()
            && longitude.is_none()
            && accuracy_km.is_none()
            && time_zone.is_none()
    }
}

/// One normalized event. `Default` gives an empty event that parsers fill field by field.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When it happened, UTC microseconds.
    pub ts: Micros,
    pub format: SourceFormat,
    /// The host or sensor that logged it (syslog host, Cowrie sensor, Zeek node).
    pub sensor: Option<String>,
    pub kind: EventKind,
    pub outcome: Option<Outcome>,
    pub src_ip: Option<IpAddr>,
    /// A host name logged where an address was expected (sshd `from example.com`, ASA hostnames).
    pub src_host: Option<String>,
    pub src_port: Option<u16>,
    pub dst_ip: Option<IpAddr>,
    pub dst_port: Option<u16>,
    /// Transport protocol, lowercase (`tcp`, `udp`, `icmp`, ...).
    pub proto: Option<String>,
    pub user: Option<String>,
    /// Password tried (honeypots only; real systems never log it).
    pub password: Option<String>,
    /// Session identifier: Cowrie session id, sshd pid, Zeek uid.
    pub session: Option<String>,
    /// Bytes sent by the source (Zeek `orig_bytes`).
    pub src_bytes: Option<u64>,
    /// Bytes sent by the destination (Zeek `resp_bytes`).
    pub dst_bytes: Option<u64>,
    /// Seconds.
    pub duration: Option<f64>,
    /// Connection state (Zeek `conn_state`, ASA teardown reason).
    pub conn_state: Option<String>,
    /// Application service (Zeek `service`).
    pub service: Option<String>,
    /// CERT classification (IntelMQ `classification.*`).
    pub taxonomy: Option<String>,
    pub class_type: Option<String>,
    pub identifier: Option<String>,
    pub feed_provider: Option<String>,
    pub feed_name: Option<String>,
    /// Free detail: auth method, command line, URL, ASA message id.
    pub detail: Option<String>,
    /// Hash of a transferred file (Cowrie downloads: sha256).
    pub file_hash: Option<String>,
    // Enrichment of the source address.
    pub geo: Geo,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    /// The registered network that contains the source address (the ASN database's prefix).
    pub prefix: Option<String>,
    /// Name of the home network containing the source address; `None` = off-campus.
    pub home_net: Option<String>,
}

impl Event {
    /// An event with only the mandatory fields set.
    pub fn new(ts: Micros, format: SourceFormat, kind: EventKind) -> Self {
        Event {
            ts,
            format,
            sensor: None,
            kind,
            outcome: None,
            src_ip: None,
            src_host: None,
            src_port: None,
            dst_ip: None,
            dst_port: None,
            proto: None,
            user: None,
            password: None,
            session: None,
            src_bytes: None,
            dst_bytes: None,
            duration: None,
            conn_state: None,
            service: None,
            taxonomy: None,
            class_type: None,
            identifier: None,
            feed_provider: None,
            feed_name: None,
            detail: None,
            file_hash: None,
            geo: Geo::default(),
            asn: None,
            as_org: None,
            prefix: None,
            home_net: None,
        }
    }
}

/// What enrichment knows about one source address: location, network owner, the registered
/// prefix (the ASN database's network that contains it) and the home network it belongs to.
/// Stored once per address (the store's `addresses` table), not once per event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AddressInfo {
    pub ip: IpAddr,
    pub geo: Geo,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    /// CIDR text, e.g. `89.160.0.0/17`.
    pub prefix: Option<String>,
    pub home_net: Option<String>,
}

impl AddressInfo {
    /// Nothing known yet about `ip`.
    pub fn new(ip: IpAddr) -> Self {
        AddressInfo { ip, geo: Geo::default(), asn: None, as_org: None, prefix: None, home_net: None }
    }

    /// True when no database and no home network said anything about the address.
    pub fn is_unknown(&self) -> bool {
        self.geo.is_empty() && self.asn.is_none() && self.as_org.is_none() && self.home_net.is_none()
    }
}

/// Canonical form of an address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4, so the
/// same attacker seen over a dual-stack socket and a v4 socket is one address.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
        }
        for f in SourceFormat::ALL {
            assert_eq!(f.as_str().parse::<SourceFormat>(), Ok(f));
        }
        assert!("nope".parse::<EventKind>().is_err());
    }

    #[test]
    fn an_empty_geo_is_the_default_one() {
        assert!(Geo::default().is_empty());
        let set: [fn(&mut Geo); 10] = [
            |g| g.country_code = Some(String::new()),
            |g| g.country_name = Some("x".into()),
            |g| g.continent = Some("x".into()),
            |g| g.region = Some("x".into()),
            |g| g.city = Some("x".into()),
            |g| g.postal_code = Some("x".into()),
            |g| g.latitude = Some(0.0),
            |g| g.longitude = Some(0.0),
            |g| g.accuracy_km = Some(0),
            |g| g.time_zone = Some("x".into()),
        ];
        for f in set {
            let mut g = Geo::default();
            f(&mut g);
            assert!(!g.is_empty() && g != Geo::default(), "{g:?}");
        }
    }

    #[test]
    fn mapped_v4_is_canonicalized() {
        let ip: IpAddr = "::ffff:1.2.3.4".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        assert_eq!(canonical_ip(ip).to_string(), "1.2.3.4");
        let v6: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
        assert_eq!(canonical_ip(v6), v6);
    }
}
