//! One `.mmdb` file: what it is for ([`Role`]), and how its records map onto [`AddressInfo`].

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipscope_event::AddressInfo;
use maxminddb::{MaxMindDbError, Reader};
use serde::{Deserialize, Deserializer};

use crate::{EnrichError, Result};

/// What a database answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// City, Country or Enterprise: location.
    Geo,
    /// ASN or ISP: the network owner and the registered prefix.
    Asn,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Geo => "geo",
            Role::Asn => "asn",
        })
    }
}

/// An open database.
pub struct Db {
    pub path: PathBuf,
    pub role: Role,
    /// The metadata's `database_type`, e.g. `GeoLite2-City`.
    pub kind: String,
    /// Unix seconds (metadata `build_epoch`).
    pub build_epoch: u64,
    /// 4 or 6 (a v6 database also answers IPv4 through its `::/96` subtree).
    pub ip_version: u16,
    /// Preference within a role: a City database beats a Country one.
    pub(crate) rank: u8,
    reader: Reader<Vec<u8>>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db").field("path", &self.path).field("role", &self.role).field("kind", &self.kind).finish()
    }
}

impl Db {
    /// Opens and checks a database: the reader validates the metadata and the search tree's
    /// layout, then a probe decodes the records of addresses spread over the whole IPv4 and
    /// IPv6 space, so a corrupt file is refused here, with its name. (`Reader::verify`, the
    /// crate's full check, walks every network — seconds on a real database, at every start —
    /// and refuses ip-location-db's files for their empty `description`.) Corruption the probe
    /// misses surfaces as a lookup error naming the file, never as a panic.
    pub fn open(path: &Path) -> Result<Db> {
        let open_err = |e: MaxMindDbError| EnrichError::Open { path: path.to_owned(), reason: e.to_string() };
        let reader = Reader::open_readfile(path).map_err(open_err)?;
        Db::from_reader(path, reader)
    }

    /// Opens a database held in memory (the built-in one), checked like [`Db::open`]; `label`
    /// stands for its path in messages.
    pub fn open_bytes(label: &Path, bytes: Vec<u8>) -> Result<Db> {
        let reader = Reader::from_source(bytes)
            .map_err(|e| EnrichError::Open { path: label.to_owned(), reason: e.to_string() })?;
        Db::from_reader(label, reader)
    }

    fn from_reader(path: &Path, reader: Reader<Vec<u8>>) -> Result<Db> {
        let meta = reader.metadata();
        let kind = meta.database_type.clone();
        let lower = kind.to_ascii_lowercase();
        let (role, rank) = if lower.contains("asn") || lower.contains("isp") {
            (Role::Asn, 1)
        } else if lower.contains("city") || lower.contains("enterprise") {
            (Role::Geo, 2)
        } else if lower.contains("country") {
            (Role::Geo, 1)
        } else {
            return Err(EnrichError::Unsupported { path: path.to_owned(), kind });
        };
        let (build_epoch, ip_version) = (meta.build_epoch, meta.ip_version);
        let db = Db { path: path.to_owned(), role, kind, build_epoch, ip_version, rank, reader };
        db.probe()?;
        Ok(db)
    }

    /// Looks up 1 024 addresses spread evenly over IPv4 and, for IPv6 databases, 1 024 over
    /// the global unicast range.
    fn probe(&self) -> Result<()> {
        let mut info = AddressInfo::new(IpAddr::from([0u8; 4]));
        for i in 0u32..1024 {
            let v4 = IpAddr::from((i << 22 | i.wrapping_mul(2_654_435_761) >> 10).to_be_bytes());
            self.fill(v4, &mut info)?;
            if self.ip_version == 6 {
                let v6 = (0x2000u128 << 112) | (u128::from(i) << 100) | u128::from(i.wrapping_mul(2_654_435_761));
                self.fill(IpAddr::from(v6.to_be_bytes()), &mut info)?;
            }
            info = AddressInfo::new(info.ip);
        }
        Ok(())
    }

    /// Whether this database can answer for `ip` (an IPv4-only file cannot answer IPv6).
    pub fn covers(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() || self.ip_version == 6
    }

    /// Fills what this database knows about `ip` into `info`; returns whether it had a record.
    /// Fields already set (by a database earlier in the list) are kept.
    pub fn fill(&self, ip: IpAddr, info: &mut AddressInfo) -> Result<bool> {
        let err = |e: MaxMindDbError| EnrichError::Lookup { path: self.path.clone(), ip, reason: e.to_string() };
        let found = self.reader.lookup(ip).map_err(err)?;
        let Some(rec) = found.decode::<Record<'_>>().map_err(err)? else {
            return Ok(false);
        };
        match self.role {
            Role::Geo => rec.fill_geo(info),
            Role::Asn => {
                set(&mut info.asn, rec.autonomous_system_number);
                set(&mut info.as_org, rec.autonomous_system_organization.or(rec.isp).map(str::to_owned));
                if info.prefix.is_none() {
                    info.prefix = Some(found.network().map_err(err)?.to_string());
                }
            }
        }
        Ok(true)
    }
}

fn set<T>(slot: &mut Option<T>, v: Option<T>) {
    if slot.is_none() {
        *slot = v;
    }
}

/// The fields ipscope reads, in both layouts: MaxMind's nested one and the flat one of
/// ip-location-db / DB-IP lite conversions. Unknown fields are skipped without decoding.
#[derive(Deserialize, Default)]
struct Record<'a> {
    #[serde(borrow, default, deserialize_with = "city_field")]
    city: Option<&'a str>,
    #[serde(borrow, default)]
    continent: Option<Place<'a>>,
    #[serde(borrow, default)]
    country: Option<Place<'a>>,
    #[serde(borrow, default)]
    registered_country: Option<Place<'a>>,
    #[serde(borrow, default)]
    location: Option<Location<'a>>,
    #[serde(borrow, default)]
    postal: Option<Place<'a>>,
    #[serde(borrow, default)]
    subdivisions: Option<Vec<Place<'a>>>,
    // ASN / ISP databases.
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(borrow, default)]
    autonomous_system_organization: Option<&'a str>,
    #[serde(borrow, default)]
    isp: Option<&'a str>,
    // Flat layouts.
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(borrow, default)]
    state1: Option<&'a str>,
    #[serde(borrow, default)]
    postcode: Option<&'a str>,
    #[serde(default, deserialize_with = "number")]
    latitude: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    longitude: Option<f64>,
    #[serde(borrow, default)]
    timezone: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct Place<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
    /// Continent code (`EU`) and postal code.
    #[serde(borrow, default)]
    code: Option<&'a str>,
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize, Default)]
struct Names<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct Location<'a> {
    #[serde(default, deserialize_with = "number")]
    latitude: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    longitude: Option<f64>,
    #[serde(default)]
    accuracy_radius: Option<u16>,
    #[serde(borrow, default)]
    time_zone: Option<&'a str>,
}

impl Place<'_> {
    fn name(&self) -> Option<&str> {
        self.names.as_ref().and_then(|n| n.en)
    }
}

impl Record<'_> {
    fn fill_geo(&self, info: &mut AddressInfo) {
        let g = &mut info.geo;
        let own = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        // The country the address is in; failing that, where the block is registered.
        let country = self.country.as_ref().or(self.registered_country.as_ref());
        set(&mut g.country_code, own(country.and_then(|c| c.iso_code).or(self.country_code)));
        set(&mut g.country_name, own(country.and_then(Place::name)));
        set(&mut g.continent, own(self.continent.as_ref().and_then(|c| c.code)));
        let region = self.subdivisions.as_ref().and_then(|s| s.first()).and_then(Place::name);
        set(&mut g.region, own(region.or(self.state1)));
        set(&mut g.city, own(self.city));
        set(&mut g.postal_code, own(self.postal.as_ref().and_then(|p| p.code).or(self.postcode)));
        let loc = self.location.as_ref();
        set(&mut g.latitude, loc.and_then(|l| l.latitude).or(self.latitude));
        set(&mut g.longitude, loc.and_then(|l| l.longitude).or(self.longitude));
        set(&mut g.accuracy_km, loc.and_then(|l| l.accuracy_radius));
        set(&mut g.time_zone, own(loc.and_then(|l| l.time_zone).or(self.timezone)));
    }
}

/// `city` is `{"names": {"en": ...}}` in MaxMind's layout and a plain string in flat ones.
fn city_field<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<&'de str>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum City<'a> {
        Flat(&'a str),
        Nested {
            #[serde(borrow, default)]
            names: Option<Names<'a>>,
        },
    }
    Ok(match Option::<City<'de>>::deserialize(d)? {
        Some(City::Flat(s)) => Some(s),
        Some(City::Nested { names }) => names.and_then(|n| n.en),
        None => None,
    })
}

/// A coordinate stored as a double (MaxMind), a float (ip-location-db) or an integer.
fn number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    struct Num;
    impl serde::de::Visitor<'_> for Num {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_f32<E>(self, v: f32) -> std::result::Result<Self::Value, E> {
            // Through the shortest decimal form: 58.4167f32 becomes 58.4167, not 58.41669845581055.
            Ok(v.to_string().parse().ok())
        }
        fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
    }
    d.deserialize_any(Num)
}
