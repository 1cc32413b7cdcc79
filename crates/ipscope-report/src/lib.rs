//! The report catalogue.
//!
//! Each report is one file in `reports/` and one entry in [`CATALOGUE`]. A report renders SQL
//! for a [`Dialect`] (DuckDB today, ClickHouse for scale-out later — written once, not as two
//! copies), runs it on the store, and may post-process the rows (e.g. turn prefix numbers into
//! CIDR text). Reports never write.

pub mod blocklist;
mod dialect;
mod filter;
pub mod local;
pub mod reports;
pub mod rows;

use ipscope_store::{Query, StoreError, Table};

pub use dialect::{Ctes, Dialect};
pub use filter::{Filter, HomeNets, sql_is_home};
pub use local::{LocalTime, Zone};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("invalid argument: {0}")]
    Arg(#[from] ipscope_config::ArgError),
}

pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// `--by`: what a report groups or splits by (`low-success`: ip or user; `timeline`: kind or
/// format; `trends`: any but kind). Each report has its default ([`default_by`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum By {
    #[default]
    Ip,
    User,
    Kind,
    /// The source format (`--by source` or `format`).
    Format,
    Asn,
    Country,
    Taxonomy,
    /// Destination port.
    Port,
    /// The source's network prefix (`--prefix`, `--prefix6`).
    Prefix,
}

/// What `--by` means when it is not given: `trends` by ASN, `timeline` by kind, the others by
/// source address.
pub fn default_by(report: &str) -> By {
    match report {
        "trends" => By::Asn,
        "timeline" => By::Kind,
        _ => By::Ip,
    }
}

/// Time bucket of a time-series report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Bucket {
    Minute,
    Hour,
    #[default]
    Day,
}

/// Every knob any report takes. Reports read the ones they need; defaults follow the
/// original iptracking script (`-N 20`, `-s 0.05`).
#[derive(Clone, Debug)]
pub struct Params {
    pub filter: Filter,
    /// `-N/--top`: rows to show.
    pub top: usize,
    /// `--min-events`: hide sources/users with fewer events.
    pub min_events: u64,
    /// `-s`: session:auth ratio threshold for `low-success`, in (0, 1].
    pub ratio: f64,
    pub by: By,
    pub home: HomeNets,
    /// `nets`: IPv4 prefix length (0..=32).
    pub prefix_v4: u8,
    /// `nets`: IPv6 prefix length (0..=64).
    pub prefix_v6: u8,
    /// `nets --drill CIDR`: show the addresses inside one prefix instead.
    pub drill: Option<ipnet::IpNet>,
    /// `nets --registered`: group by the registered prefix from enrichment.
    pub registered: bool,
    /// `services --host`: only connections to this address.
    pub host: Option<std::net::IpAddr>,
    /// `services --bucket`.
    pub bucket: Bucket,
    /// `services`: named groups of destination ports.
    pub service_groups: Vec<(String, Vec<u16>)>,
    /// `--tz`: the zone of per-day and per-hour buckets (see [`local`]).
    pub tz: Zone,
    /// `trends --days`: the window, in days.
    pub days: u32,
    /// `rates` / blocklist thresholds; empty: [`reports::rates::DEFAULT_THRESHOLDS`].
    pub thresholds: Vec<reports::rates::Threshold>,
    /// `activity --attacker-time`: hours in each source's own time zone.
    pub attacker_time: bool,
    /// Let reports read the hourly rollups where they can (`--no-rollups`: raw events only,
    /// the same answer, slower; see [`rows`]).
    pub rollups: bool,
    /// The SQL dialect the report renders (every report of [`CATALOGUE`] renders for both).
    /// [`run`] sets it from the store's [`ipscope_store::Query::engine`], so callers need not;
    /// a report function called directly (tests, `blocklist`) takes it from here.
    pub dialect: Dialect,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            filter: Filter::default(),
            top: 20,
            min_events: 1,
            ratio: 0.05,
            by: By::Ip,
            home: HomeNets::default(),
            prefix_v4: 24,
            prefix_v6: 48,
            drill: None,
            registered: false,
            host: None,
            bucket: Bucket::Day,
            service_groups: reports::services::DEFAULT_GROUPS
                .iter()
                .map(|(n, ports)| ((*n).to_owned(), ports.to_vec()))
                .collect(),
            tz: Zone::Utc,
            days: reports::trends::DEFAULT_DAYS,
            thresholds: Vec::new(),
            attacker_time: false,
            rollups: true,
            dialect: Dialect::DuckDb,
        }
    }
}

impl Params {
    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        if !(self.ratio > 0.0 && self.ratio <= 1.0) {
            return Err(ReportError::Invalid(format!("success ratio threshold must be in (0, 1], got {}", self.ratio)));
        }
        if self.prefix_v4 > 32 {
            return Err(ReportError::Invalid(format!("IPv4 prefix must be 0..=32, got {}", self.prefix_v4)));
        }
        if self.prefix_v6 > 64 {
            return Err(ReportError::Invalid(format!("IPv6 prefix must be 0..=64, got {}", self.prefix_v6)));
        }
        if self.top == 0 {
            return Err(ReportError::Invalid("--top must be at least 1".into()));
        }
        if let Some(n) = self
            .filter
            .src
            .iter()
            .find(|n| matches!(n, ipnet::IpNet::V6(v6) if v6.prefix_len() > 64 && v6.prefix_len() < 128))
        {
            return Err(ReportError::Invalid(format!(
                "--src {n}: IPv6 networks can be at most /64 (or one address, /128)"
            )));
        }
        Ok(())
    }
}

/// One report of the catalogue.
pub struct Report {
    pub name: &'static str,
    pub about: &'static str,
    pub run: fn(&dyn Query, &Params) -> Result<Table>,
}

/// The catalogue, in the order `maint` prints it.
pub const CATALOGUE: &[Report] = &[
    Report {
        name: "daily",
        about: "events and distinct source addresses per day (UTC, or --tz), with weekday",
        run: reports::daily::run,
    },
    Report {
        name: "top-ips",
        about: "source addresses by events: distinct users, first/last seen, active period, events per day, sessions",
        run: reports::top_ips::run,
    },
    Report {
        name: "top-users",
        about: "user names by events: distinct source addresses, first/last seen, active period, events per day",
        run: reports::top_users::run,
    },
    Report {
        name: "low-success",
        about: "brute-force suspects: session:auth ratio below -s (by ip or by user), both > 0",
        run: reports::low_success::run,
    },
    Report {
        name: "open-sessions",
        about: "(user, address) pairs from outside the home networks with more session opens than closes",
        run: reports::open_sessions::run,
    },
    Report {
        name: "nets",
        about: "activity per network prefix (/24 and /48 by default; --registered: per registered prefix); --drill CIDR lists one prefix",
        run: reports::nets::run,
    },
    Report {
        name: "ports",
        about: "events per destination port and protocol: sources, denies, hosts",
        run: reports::groups::ports::run,
    },
    Report { name: "protocols", about: "events per transport protocol", run: reports::groups::protocols::run },
    Report {
        name: "scans",
        about: "per day and port: unanswered connections and firewall denies (top -N ports a day)",
        run: reports::scans::run,
    },
    Report { name: "scanners", about: "sources by distinct destination ports touched", run: reports::scanners::run },
    Report {
        name: "countries",
        about: "events per source country (feed or GeoIP), with name and auth attempts",
        run: reports::groups::countries::run,
    },
    Report {
        name: "cities",
        about: "events per source city (GeoIP), with region and coordinates",
        run: reports::groups::cities::run,
    },
    Report { name: "continents", about: "events per source continent (GeoIP)", run: reports::groups::continents::run },
    Report {
        name: "asns",
        about: "events per source ASN and organisation (--taxonomy: top ASNs of one taxonomy)",
        run: reports::groups::asns::run,
    },
    Report {
        name: "attackers",
        about: "attacker profiles: attempts, successes, first/last, severity (<3, 3-499, >=500), mean gap",
        run: reports::attackers::run,
    },
    Report {
        name: "crossover",
        about: "addresses seen by a honeypot, firewall deny, scan or feed that also tried production logins; \
                those that got in after the sighting first",
        run: reports::crossover::run,
    },
    Report {
        name: "credentials",
        about: "user / password pairs tried, with successes",
        run: reports::groups::credentials::run,
    },
    Report { name: "commands", about: "commands run in honeypot sessions", run: reports::groups::commands::run },
    Report {
        name: "downloads",
        about: "URLs and files fetched or uploaded, with hashes",
        run: reports::groups::downloads::run,
    },
    Report {
        name: "taxonomy",
        about: "feed events per day per taxonomy / type / identifier",
        run: reports::taxonomy::run,
    },
    Report { name: "feeds", about: "events per feed provider per source ASN", run: reports::groups::feeds::run },
    Report {
        name: "top-asns",
        about: "the ASNs with most events of one taxonomy (--taxonomy X; same table as asns)",
        run: reports::groups::top_asns,
    },
    Report {
        name: "asn-trend",
        about: "one ASN's events and addresses per day (--asn N)",
        run: reports::asn_trend::run,
    },
    Report {
        name: "activity",
        about: "events by hour of day and weekday (UTC, or --tz; --attacker-time: each source's own zone)",
        run: reports::activity::run,
    },
    Report {
        name: "timeline",
        about: "events per minute, hour or day (--bucket; UTC, or --tz) per event kind or source format (--by kind|format)",
        run: reports::timeline::run,
    },
    Report { name: "recent", about: "the latest -N events, newest first", run: reports::recent::run },
    Report {
        name: "summary",
        about: "events, first and last event per source format and event kind",
        run: reports::summary::run,
    },
    Report {
        name: "sensors",
        about: "events per sensor (syslog host, honeypot, Zeek node)",
        run: reports::groups::sensors::run,
    },
    Report {
        name: "rates",
        about: "sources, /24s and /16s over hostile-event thresholds in rolling windows (--threshold ip:10m=5): \
                when they crossed, their peak",
        run: reports::rates::run,
    },
    Report {
        name: "trends",
        about: "rising and falling ASNs, countries, taxonomies, ports, prefixes, sources or users (--by): \
                daily counts over --days, least-squares slope, last day against the median, flag",
        run: reports::trends::run,
    },
    Report {
        name: "services",
        about: "connections and bytes in/out per service group per day or hour (--bucket), to one --host",
        run: reports::services::run,
    },
];

/// Looks a report up by name.
pub fn find(name: &str) -> Option<&'static Report> {
    CATALOGUE.iter().find(|r| r.name == name)
}

/// What `--chart` draws for reports whose table is not itself a chart (`trends`: the daily series
/// of its top keys); `None` for the others, whose table is drawn.
pub fn chart_table(report: &Report, store: &dyn Query, params: &Params) -> Result<Option<Table>> {
    params.validate()?;
    let params = &for_store(store, params);
    match report.name {
        "trends" => Ok(Some(reports::trends::chart(store, params)?)),
        _ => Ok(None),
    }
}

/// Runs a report after validating the parameters.
pub fn run(report: &Report, store: &dyn Query, params: &Params) -> Result<Table> {
    params.validate()?;
    (report.run)(store, &for_store(store, params))
}

/// `params` in the dialect of `store`'s engine: the store decides the SQL it is sent. Every
/// public entry point that runs SQL on a store goes through here.
pub(crate) fn for_store<'a>(store: &dyn Query, params: &'a Params) -> std::borrow::Cow<'a, Params> {
    let dialect = Dialect::from(store.engine());
    if params.dialect == dialect {
        std::borrow::Cow::Borrowed(params)
    } else {
        std::borrow::Cow::Owned(Params { dialect, ..params.clone() })
    }
}
