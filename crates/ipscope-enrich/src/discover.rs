//! Finding the databases: explicit files / directories, or the usual places.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipscope_event::AddressInfo;

use crate::db::{Db, Role};
use crate::{EnrichError, Result};

/// The built-in country database: ip-location-db's `geo-whois-asn-country` (IPv4 + IPv6, country
/// code only; NRO data, CC BY 4.0; `assets/geoip/`, refreshed by `assets/geoip/refresh.sh`).
/// 7.8 MB in the binary.
static BUILTIN: &[u8] = include_bytes!("../../../assets/geoip/geo-whois-asn-country.mmdb");

/// The name that stands for the built-in database in `--geoip` lists and in messages.
pub const BUILTIN_NAME: &str = "builtin";

/// Where GeoIP databases usually live, after the data directory: `geoipupdate`'s default
/// (Debian: `/var/lib/GeoIP`), the distribution packages' `/usr/share/GeoIP`, and `/usr/local`.
pub fn default_dirs(data_dir: &Path) -> Vec<PathBuf> {
    vec![
        data_dir.to_owned(),
        PathBuf::from("/var/lib/GeoIP"),
        PathBuf::from("/usr/share/GeoIP"),
        PathBuf::from("/usr/local/share/GeoIP"),
    ]
}

/// The databases in use, by role, best first.
#[derive(Debug, Default)]
pub struct Databases {
    pub geo: Vec<Db>,
    pub asn: Vec<Db>,
    /// Files seen but not used, with why (another copy is newer, type without location data).
    pub skipped: Vec<(PathBuf, String)>,
    /// Where it looked (for "no databases found in ...").
    pub searched: Vec<PathBuf>,
}

impl Databases {
    /// Opens the given files and every `*.mmdb` in the given directories; [`BUILTIN_NAME`]
    /// (`builtin`) is the built-in country database. Every file named explicitly must work: a
    /// missing path, a corrupt file or a file of an unusable type is an error. In a directory,
    /// an unusable file is skipped and reported in [`Databases::skipped`].
    pub fn open_explicit(paths: &[PathBuf]) -> Result<Databases> {
        let mut dbs = Databases { searched: paths.to_vec(), ..Databases::default() };
        for p in paths {
            if p.as_os_str() == BUILTIN_NAME {
                dbs.add(builtin()?);
            } else if p.is_dir() {
                dbs.scan_dir(p)?;
            } else if p.is_file() {
                dbs.add(Db::open(p)?);
            } else {
                return Err(EnrichError::Dir { path: p.clone(), reason: "no such file or directory".into() });
            }
        }
        Ok(dbs)
    }

    /// Scans the usual places (see [`default_dirs`]); missing directories are fine, unusable
    /// files are skipped and reported. When no location database is found, the built-in
    /// country database is used (the lowest-priority default).
    pub fn discover(dirs: &[PathBuf]) -> Result<Databases> {
        let mut dbs = Databases { searched: dirs.to_vec(), ..Databases::default() };
        for d in dirs.iter().filter(|d| d.is_dir()) {
            dbs.scan_dir(d)?;
        }
        if dbs.geo.is_empty() {
            dbs.add(builtin()?);
        }
        Ok(dbs)
    }

    fn scan_dir(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| EnrichError::Dir { path: dir.to_owned(), reason: format!("cannot list: {e}") })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("mmdb")) && p.is_file())
            .collect();
        files.sort();
        // A directory holds what a tool or a person put there: one unreadable file must not
        // stop the others from being used. It is reported, never used.
        for f in files {
            match Db::open(&f) {
                Ok(db) => self.add(db),
                Err(EnrichError::Unsupported { kind, .. }) => {
                    self.skipped.push((f, format!("type {kind} has no location or network-owner data")));
                }
                Err(EnrichError::Open { reason, .. }) => {
                    self.skipped.push((f, format!("unreadable, not used: {reason}")));
                }
                Err(EnrichError::Lookup { reason, .. }) => {
                    self.skipped.push((f, format!("corrupt, not used: {reason}")));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Adds a database; of two with the same type and IP version the newer build wins.
    fn add(&mut self, db: Db) {
        let list = match db.role {
            Role::Geo => &mut self.geo,
            Role::Asn => &mut self.asn,
        };
        if let Some(i) = list.iter().position(|o| o.kind == db.kind && o.ip_version == db.ip_version) {
            let why = |old: &Db, new: &Db| format!("older copy of {} than {}", old.kind, new.path.display());
            if db.build_epoch > list[i].build_epoch {
                let old = std::mem::replace(&mut list[i], db);
                self.skipped.push((old.path.clone(), why(&old, &list[i])));
            } else {
                self.skipped.push((db.path.clone(), why(&db, &list[i])));
            }
            return;
        }
        list.push(db);
        // Stable: equal ranks keep discovery order.
        list.sort_by_key(|d| std::cmp::Reverse(d.rank));
    }

    pub fn is_empty(&self) -> bool {
        self.geo.is_empty() && self.asn.is_empty()
    }

    /// Every database in use, geo first.
    pub fn all(&self) -> impl Iterator<Item = &Db> {
        self.geo.iter().chain(&self.asn)
    }

    /// Whether the built-in database is in use.
    pub fn uses_builtin(&self) -> bool {
        self.geo.iter().any(|d| d.path.as_os_str() == BUILTIN_NAME)
    }

    /// Fills `info` from the first database of each role that has a record for `ip`.
    pub(crate) fn fill(&self, ip: IpAddr, info: &mut AddressInfo) -> Result<()> {
        for list in [&self.geo, &self.asn] {
            for db in list.iter().filter(|d| d.covers(ip)) {
                if db.fill(ip, info)? {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// The built-in country database, opened (and probed like any other).
pub fn builtin() -> Result<Db> {
    Db::open_bytes(Path::new(BUILTIN_NAME), BUILTIN.to_vec())
}
