//! Offline enrichment of source addresses.
//!
//! - [`Databases`]: MaxMind-format `.mmdb` files (GeoLite2 / GeoIP2 City, Country, ASN, ISP,
//!   Enterprise, and other producers of the format: DB-IP, ipinfo, ip-location-db), found in the
//!   usual places or given explicitly, opened and checked once.
//! - [`HomeNets`]: named CIDR lists (campus, VPN, ...) with longest-prefix match.
//! - [`Enricher`]: both together; [`Enricher::lookup`] answers everything known about one
//!   address as an [`AddressInfo`].
//! - [`AddressBook`]: the per-address cache of an ingest run. Each distinct address is looked up
//!   once (and not at all when the store already knows it), so enrichment costs one hash lookup
//!   per event, not one database lookup.
//!
//! The reader is the `maxminddb` crate; this crate only decides which file answers what, and maps
//! the two record layouts in use (MaxMind's nested `country.iso_code` / `city.names.en`, and the
//! flat `country_code` / `city` of ip-location-db and DB-IP "lite" conversions) onto one
//! [`Geo`](ipscope_event::Geo).

mod book;
mod db;
mod discover;
mod home;
pub mod ptr;

use std::net::IpAddr;
use std::path::PathBuf;

pub use book::{AddressBook, MAX_KNOWN};
pub use db::{Db, Role};
pub use discover::{BUILTIN_NAME, Databases, builtin, default_dirs};
pub use home::HomeNets;
pub use ipscope_event::AddressInfo;

#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("{path}: not a usable MaxMind DB file: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error(
        "{path}: database type {kind:?} has no location or network-owner data (expected a City, Country, ASN, ISP or Enterprise database)"
    )]
    Unsupported { path: PathBuf, kind: String },
    #[error("{path}: lookup of {ip} failed, the file is corrupt: {reason}")]
    Lookup { path: PathBuf, ip: IpAddr, reason: String },
    #[error("{path}: {reason}")]
    Dir { path: PathBuf, reason: String },
    #[error("home network {name}: {reason}")]
    Home { name: String, reason: String },
}

pub type Result<T, E = EnrichError> = std::result::Result<T, E>;

/// Databases plus home networks: everything needed to enrich an address.
#[derive(Debug, Default)]
pub struct Enricher {
    pub databases: Databases,
    pub home: HomeNets,
}

impl Enricher {
    pub fn new(databases: Databases, home: HomeNets) -> Self {
        Enricher { databases, home }
    }

    /// True when there is nothing to enrich with (no database, no home network).
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty() && self.home.is_empty()
    }

    /// Everything the databases and home networks say about `ip`. An address absent from the
    /// databases gives empty fields, not an error; a corrupt record is an error naming the file.
    pub fn lookup(&self, ip: IpAddr) -> Result<AddressInfo> {
        let mut info = AddressInfo::new(ip);
        self.databases.fill(ip, &mut info)?;
        info.home_net = self.home.name_of(ip).map(str::to_owned);
        Ok(info)
    }
}
