//! The database schema and its migrations.
//!
//! Each migration is applied once, in order, in its own transaction, and recorded in
//! `schema_migrations`. Never edit a released migration: add a new one.

/// `(version, sql)`; versions start at 1 and increase by one.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3), (4, V4), (5, V5)];

/// The newest schema version this build knows.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

// The fixed vocabularies are ENUMs: stored as one byte, read and compared as text
// (`kind = 'auth'`), and cheap to append (DuckDB's string compression was the ingest bottleneck).
// Adding a kind or format later is a migration that recreates the type.
const V1: &str = r#"
CREATE TYPE source_format AS ENUM ('sshd', 'iptracking', 'cowrie', 'zeek_conn', 'asa', 'intelmq');
CREATE TYPE event_kind AS ENUM ('auth', 'key_auth', 'invalid_user', 'session_open', 'session_close',
    'connection', 'deny', 'command', 'download', 'client_info', 'tunnel', 'feed_event', 'other');
CREATE TYPE outcome AS ENUM ('success', 'failure');

-- What has been ingested. One row per distinct input stream (identified by content, not by name,
-- so a rotated auth.log -> auth.log.1 -> auth.log.2.gz is recognised as the same input).
CREATE SEQUENCE inputs_id_seq START 1;
CREATE TABLE inputs (
    id          INTEGER PRIMARY KEY DEFAULT nextval('inputs_id_seq'),
    path        VARCHAR NOT NULL,       -- where it was last read from
    format      VARCHAR NOT NULL,
    head_len    UBIGINT NOT NULL,       -- how many leading bytes head_hash covers
    head_hash   UBIGINT NOT NULL,       -- xxh3 of those bytes: the input's identity
    bytes       UBIGINT NOT NULL,       -- bytes consumed (decompressed), always at a line end
    lines       UBIGINT NOT NULL,       -- lines consumed
    events      UBIGINT NOT NULL,       -- events stored from it
    ignored     UBIGINT NOT NULL,
    rejected    UBIGINT NOT NULL,
    first_ingest TIMESTAMP NOT NULL,
    last_ingest  TIMESTAMP NOT NULL
);

-- The normalized events (see crates/ipscope-event). Addresses are stored as canonical text
-- (what people read and query) plus src_ipnum, a number for prefix arithmetic:
-- IPv4 = the 32-bit address, IPv6 = its upper 64 bits (the routing prefix); src_family says which.
CREATE TABLE events (
    ts            TIMESTAMP NOT NULL,   -- UTC
    format        source_format NOT NULL,
    sensor        VARCHAR,
    kind          event_kind NOT NULL,
    outcome       outcome,
    src_ip        VARCHAR,
    src_ipnum     UBIGINT,
    src_family    UTINYINT,             -- 4 or 6
    src_host      VARCHAR,
    src_port      USMALLINT,
    dst_ip        VARCHAR,
    dst_port      USMALLINT,
    proto         VARCHAR,
    username      VARCHAR,
    password      VARCHAR,
    session       VARCHAR,
    src_bytes     UBIGINT,
    dst_bytes     UBIGINT,
    duration      DOUBLE,
    conn_state    VARCHAR,
    service       VARCHAR,
    taxonomy      VARCHAR,
    class_type    VARCHAR,
    identifier    VARCHAR,
    feed_provider VARCHAR,
    feed_name     VARCHAR,
    detail        VARCHAR,
    file_hash     VARCHAR,
    country_code  VARCHAR,
    country_name  VARCHAR,
    continent     VARCHAR,
    region        VARCHAR,
    city          VARCHAR,
    postal_code   VARCHAR,
    latitude      DOUBLE,
    longitude     DOUBLE,
    accuracy_km   USMALLINT,
    time_zone     VARCHAR,
    asn           UINTEGER,
    as_org        VARCHAR,
    prefix        VARCHAR,
    home_net      VARCHAR,
    input_id      INTEGER               -- inputs.id it came from
);
"#;

/// Geo / ASN / home-network columns, in `events` (values a feed carries) and in `addresses`.
pub const GEO_COLUMNS: &[&str] = &[
    "country_code",
    "country_name",
    "continent",
    "region",
    "city",
    "postal_code",
    "latitude",
    "longitude",
    "accuracy_km",
    "time_zone",
    "asn",
    "as_org",
    "prefix",
    "home_net",
];

// Enrichment is stored once per address, not once per event: a 10 M-event store has ~250 k
// addresses, so ingest appends 14 columns for 2.5 % of the rows instead of all of them, and
// `enrich --refresh` rewrites this table alone. `events_geo` is what geo reports read: the event's
// own values (a feed's) where present, else the address's.
const V2: &str = r#"
CREATE TABLE addresses (
    ip            VARCHAR NOT NULL,     -- canonical text, as events.src_ip
    country_code  VARCHAR,
    country_name  VARCHAR,
    continent     VARCHAR,
    region        VARCHAR,
    city          VARCHAR,
    postal_code   VARCHAR,
    latitude      DOUBLE,
    longitude     DOUBLE,
    accuracy_km   USMALLINT,
    time_zone     VARCHAR,
    asn           UINTEGER,
    as_org        VARCHAR,
    prefix        VARCHAR,              -- the registered network (ASN database) containing ip
    home_net      VARCHAR,              -- the home network containing ip, NULL = external
    enriched_at   TIMESTAMP NOT NULL
);

CREATE VIEW events_geo AS
SELECT e.* EXCLUDE (country_code, country_name, continent, region, city, postal_code, latitude, longitude,
                    accuracy_km, time_zone, asn, as_org, prefix, home_net),
    coalesce(e.country_code, a.country_code) AS country_code,
    coalesce(e.country_name, a.country_name) AS country_name,
    coalesce(e.continent, a.continent) AS continent,
    coalesce(e.region, a.region) AS region,
    coalesce(e.city, a.city) AS city,
    coalesce(e.postal_code, a.postal_code) AS postal_code,
    coalesce(e.latitude, a.latitude) AS latitude,
    coalesce(e.longitude, a.longitude) AS longitude,
    coalesce(e.accuracy_km, a.accuracy_km) AS accuracy_km,
    coalesce(e.time_zone, a.time_zone) AS time_zone,
    coalesce(e.asn, a.asn) AS asn,
    coalesce(e.as_org, a.as_org) AS as_org,
    coalesce(e.prefix, a.prefix) AS prefix,
    coalesce(e.home_net, a.home_net) AS home_net
FROM events e LEFT JOIN addresses a ON a.ip = e.src_ip;
"#;

// The identity of followed files (see ledger.rs): the last line consumed (mark), the file on disk
// (dev, inode), and the journal's cursor, committed with each batch.
const V3: &str = r#"
ALTER TABLE inputs ADD COLUMN mark_len UBIGINT;
ALTER TABLE inputs ADD COLUMN mark_hash UBIGINT;
ALTER TABLE inputs ADD COLUMN dev UBIGINT;
ALTER TABLE inputs ADD COLUMN inode UBIGINT;
ALTER TABLE inputs ADD COLUMN cursor VARCHAR;
"#;

// The year of a year-less input's first line, decided when it was first ingested (from the
// file's last lines and modification time, `ipscope_formats::year`): a grown or rotated copy read
// later gets the same years for the lines already stored. NULL: not decided (lines with years, or
// `--year`, or a stream whose tail was not read).
const V4: &str = r#"
ALTER TABLE inputs ADD COLUMN year_anchor INTEGER;
"#;

// Reverse DNS answers (`lookup --ptr`, `report top-ips --ptr`), kept until `expires_at` so
// repeated runs ask the DNS server nothing. One row per address; a name or, for `none`, none.
const V5: &str = r#"
CREATE TABLE ptr_cache (
    ip          VARCHAR NOT NULL,   -- canonical text, as events.src_ip
    name        VARCHAR,            -- the PTR name (hostile text escaped); NULL when there is none
    status      VARCHAR NOT NULL,   -- ok | none (NXDOMAIN or no PTR record)
    resolved_at TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
"#;

#[cfg(test)]
mod tests {
    use ipscope_event::{EventKind, Outcome, SourceFormat};

    use super::V1;

    /// The ENUM types must list exactly the names the event crate knows.
    #[test]
    fn enums_match_the_event_vocabulary() {
        let quoted = |names: Vec<&str>| names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
        let flat: String = V1.split_whitespace().collect::<Vec<_>>().join(" ");
        let kinds = quoted(EventKind::ALL.iter().map(|k| k.as_str()).collect());
        assert!(flat.contains(&format!("event_kind AS ENUM ({kinds})")), "event_kind ENUM differs from EventKind::ALL");
        let formats = quoted(SourceFormat::ALL.iter().map(|k| k.as_str()).collect());
        assert!(flat.contains(&format!("source_format AS ENUM ({formats})")), "source_format ENUM differs");
        let outcomes = quoted(Outcome::ALL.iter().map(|k| k.as_str()).collect());
        assert!(flat.contains(&format!("outcome AS ENUM ({outcomes})")), "outcome ENUM differs");
    }
}
