//! The database schema and its migrations.
//!
//! Each migration is applied once, in order, in its own transaction, and recorded in
//! `schema_migrations`. Never edit a released migration: add a new one.

use std::sync::LazyLock;

use ipscope_event::SourceFormat;

/// `(version, sql)`; versions start at 1 and increase by one.
pub fn migrations() -> [(i32, &'static str); 8] {
    [(1, V1), (2, V2), (3, V3), (4, V4), (5, V5), (6, V6.as_str()), (7, V7.as_str()), (8, V8.as_str())]
}

/// The newest schema version this build knows.
pub fn latest_version() -> i32 {
    migrations().last().map_or(0, |(v, _)| *v)
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

// Events are stored in one narrow table per source format, and `events` is a view over them.
// DuckDB's cost of appending and compressing a row group grows with the number of columns, NULL
// or not: the one 43-column table made an sshd batch (which fills 15 of them) pay for all 43,
// and half of ingest's store time went to columns no sshd line ever fills. The view gives
// `ipscope sql` users and reports the same `events` as before (same columns, same order, same
// types). `events_wide` is the table of schema 1–5, renamed: it keeps what older ipscope
// stored, and takes any batch with a column its format's table lacks (a parser filling a new
// field before a migration adds it), so no event is ever refused for its shape.

/// The columns of `events`, in order, with their types (as V1 created the table).
pub const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("ts", "TIMESTAMP"),
    ("format", "source_format"),
    ("sensor", "VARCHAR"),
    ("kind", "event_kind"),
    ("outcome", "outcome"),
    ("src_ip", "VARCHAR"),
    ("src_ipnum", "UBIGINT"),
    ("src_family", "UTINYINT"),
    ("src_host", "VARCHAR"),
    ("src_port", "USMALLINT"),
    ("dst_ip", "VARCHAR"),
    ("dst_port", "USMALLINT"),
    ("proto", "VARCHAR"),
    ("username", "VARCHAR"),
    ("password", "VARCHAR"),
    ("session", "VARCHAR"),
    ("src_bytes", "UBIGINT"),
    ("dst_bytes", "UBIGINT"),
    ("duration", "DOUBLE"),
    ("conn_state", "VARCHAR"),
    ("service", "VARCHAR"),
    ("taxonomy", "VARCHAR"),
    ("class_type", "VARCHAR"),
    ("identifier", "VARCHAR"),
    ("feed_provider", "VARCHAR"),
    ("feed_name", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("file_hash", "VARCHAR"),
    ("country_code", "VARCHAR"),
    ("country_name", "VARCHAR"),
    ("continent", "VARCHAR"),
    ("region", "VARCHAR"),
    ("city", "VARCHAR"),
    ("postal_code", "VARCHAR"),
    ("latitude", "DOUBLE"),
    ("longitude", "DOUBLE"),
    ("accuracy_km", "USMALLINT"),
    ("time_zone", "VARCHAR"),
    ("asn", "UINTEGER"),
    ("as_org", "VARCHAR"),
    ("prefix", "VARCHAR"),
    ("home_net", "VARCHAR"),
    ("input_id", "INTEGER"),
];

/// The table that takes events of any shape (the schema 1–5 `events`).
pub const WIDE_TABLE: &str = "events_wide";

/// Columns every format's table has (`format` is the table itself).
const COMMON: &[&str] = &[
    "ts",
    "sensor",
    "kind",
    "outcome",
    "src_ip",
    "src_ipnum",
    "src_family",
    "src_host",
    "src_port",
    "dst_ip",
    "dst_port",
    "proto",
    "session",
    "detail",
    "input_id",
];

/// The columns a format's parser can fill besides [`COMMON`] (from the parsers' code; the
/// report fixtures and the corpus tests check no batch of theirs lands in the wide table).
/// Frozen as migration 6 created them: a change is a new migration.
pub fn format_columns(format: SourceFormat) -> &'static [&'static str] {
    match format {
        SourceFormat::Sshd => &["username", "conn_state"],
        SourceFormat::Iptracking => &["username"],
        SourceFormat::Cowrie => &["username", "password", "duration", "service", "file_hash"],
        SourceFormat::ZeekConn => &["src_bytes", "dst_bytes", "duration", "conn_state", "service"],
        SourceFormat::Asa => &["username", "src_bytes", "dst_bytes", "duration", "conn_state", "service"],
        SourceFormat::Intelmq => &[
            "username",
            "password",
            "service",
            "taxonomy",
            "class_type",
            "identifier",
            "feed_provider",
            "feed_name",
            "file_hash",
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
        ],
    }
}

/// The table of `format`'s events.
pub fn format_table(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Sshd => "events_sshd",
        SourceFormat::Iptracking => "events_iptracking",
        SourceFormat::Cowrie => "events_cowrie",
        SourceFormat::ZeekConn => "events_zeek_conn",
        SourceFormat::Asa => "events_asa",
        SourceFormat::Intelmq => "events_intelmq",
    }
}

/// Whether `format`'s table has `column` (`format` itself is implied by the table).
pub fn format_has(format: SourceFormat, column: &str) -> bool {
    COMMON.contains(&column) || format_columns(format).contains(&column)
}

/// Every table holding events: the wide one, then one per format.
pub fn event_tables() -> impl Iterator<Item = &'static str> {
    std::iter::once(WIDE_TABLE).chain(SourceFormat::ALL.into_iter().map(format_table))
}

static V6: LazyLock<String> = LazyLock::new(|| {
    let mut sql = String::from("DROP VIEW events_geo;\nALTER TABLE events RENAME TO events_wide;\n");
    for format in SourceFormat::ALL {
        let columns: Vec<String> = EVENT_COLUMNS
            .iter()
            .filter(|(c, _)| format_has(format, c))
            .map(|(c, t)| if *c == "ts" || *c == "kind" { format!("{c} {t} NOT NULL") } else { format!("{c} {t}") })
            .collect();
        sql.push_str(&format!("CREATE TABLE {} (\n    {}\n);\n", format_table(format), columns.join(",\n    ")));
    }
    // Over the wide table only: the store adds each format's table to the view with its first
    // rows (`events_view`).
    sql.push_str(&events_view(&[WIDE_TABLE]));
    // The first and last event's time: DuckDB answers each table's min/max from its statistics,
    // which it cannot do through a view over several tables (a scan of every event).
    let spans: Vec<String> = event_tables().map(|t| format!("SELECT min(ts) AS lo, max(ts) AS hi FROM {t}")).collect();
    sql.push_str(&format!(
        "CREATE VIEW events_span AS SELECT min(lo) AS lo, max(hi) AS hi FROM (\n{}\n);\n",
        spans.join("\nUNION ALL\n")
    ));
    sql.push_str(EVENTS_GEO);
    sql
});

/// `CREATE OR REPLACE VIEW events` over `tables` (event tables; the wide one when empty): each
/// narrow table padded with typed NULLs into the columns, order and types of [`EVENT_COLUMNS`],
/// its address number and family computed from the columns that hold them since schema 8
/// ([`ADDRESS_NUMBER`]). For the newest schema only: a migration that changes a narrow table's
/// columns recreates the view after it (`Store::migrate_to`).
/// The view names only the tables that hold events: over one table DuckDB keeps what a view over
/// several loses — statistics (`max(ts)` of 7.9 M events: 1 ms against 22 ms) and a `LIMIT`
/// pushed into the scan (`ORDER BY ts DESC LIMIT 20`: 20 ms against 240 ms).
pub fn events_view(tables: &[&str]) -> String {
    let branch = |table: &str| -> String {
        let Some(format) = SourceFormat::ALL.into_iter().find(|f| format_table(*f) == table) else {
            return format!(
                "SELECT {} FROM {WIDE_TABLE}",
                EVENT_COLUMNS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
            );
        };
        let select: Vec<String> = EVENT_COLUMNS
            .iter()
            .map(|(c, t)| match *c {
                "format" => format!("'{}'::source_format AS format", format.as_str()),
                "src_ipnum" => format!("coalesce({IP4}::UBIGINT, {IP6HI}) AS src_ipnum"),
                "src_family" => {
                    format!("(CASE WHEN {IP4} IS NOT NULL THEN 4 WHEN {IP6HI} IS NOT NULL THEN 6 END)::UTINYINT AS src_family")
                }
                c if format_has(format, c) => c.to_owned(),
                c => format!("NULL::{t} AS {c}"),
            })
            .collect();
        format!("SELECT {} FROM {table}", select.join(", "))
    };
    let tables = if tables.is_empty() { &[WIDE_TABLE][..] } else { tables };
    let branches: Vec<String> = tables.iter().map(|t| branch(t)).collect();
    format!("CREATE OR REPLACE VIEW events AS\n{};\n", branches.join("\nUNION ALL\n"))
}

/// `events_geo` as V2 created it, recreated over the view by V6.
const EVENTS_GEO: &str = r#"
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

// Hourly rollups (see rollup.rs): what reports read instead of raw events when their filters
// allow. A store with events gets its rollups counted from them here, once.
static V7: LazyLock<String> = LazyLock::new(|| {
    format!(
        "CREATE TABLE {table} (
    hour          TIMESTAMP NOT NULL,   -- UTC, the hour's start
    format        source_format NOT NULL,
    kind          event_kind NOT NULL,
    outcome       outcome,
    src_ip        VARCHAR,
    src_ipnum     UBIGINT,
    src_family    UTINYINT,
    feed_provider VARCHAR,
    own_geo       BOOLEAN NOT NULL,     -- the events carry enrichment of their own (a feed's)
    events        BIGINT NOT NULL,      -- events of this key in this hour
    first_seen    TIMESTAMP NOT NULL,
    last_seen     TIMESTAMP NOT NULL
);
INSERT INTO {table} {rows};
",
        table = crate::rollup::TABLE,
        rows = crate::rollup::from_events_sql("TRUE"),
    )
});

// Schema 8: a narrow table keeps a source address's number in two columns, `src_ip4`
// (UINTEGER, IPv4) and `src_ip6hi` (UBIGINT, an IPv6 address's upper 64 bits), instead of
// `src_ipnum` and `src_family`; the view gives both back as before. One UBIGINT column mixing
// the two families spans 64 bits in any row group holding an IPv6 address, so DuckDB stored it
// uncompressed or run-length encoded: it was the largest column of every format but Zeek and
// Cowrie (2 M lines: sshd 9.5 MiB, ASA 12.3, iptracking 15.0 of 32–50 MiB of events). Split,
// the IPv4 column bit-packs and the IPv6 one is all NULL but for its few rows: sshd 6.75,
// ASA 8.25, iptracking 9.0 MiB.

/// The columns of a narrow table that hold its events' address number (see [`ADDRESS_NUMBER`]).
pub const IP4: &str = "src_ip4";
pub const IP6HI: &str = "src_ip6hi";

/// What schema 8 stores in a narrow table instead of `src_ipnum` and `src_family`.
pub const ADDRESS_NUMBER: &[(&str, &str)] = &[(IP4, "UINTEGER"), (IP6HI, "UBIGINT")];

/// Schema 7's `src_ipnum` and `src_family` as [`ADDRESS_NUMBER`]'s two columns.
const SPLIT_NUMBER: &str =
    "CASE WHEN src_family = 4 THEN src_ipnum::UINTEGER END, CASE WHEN src_family = 6 THEN src_ipnum END";

static V8: LazyLock<String> = LazyLock::new(|| {
    let mut sql = String::new();
    for format in SourceFormat::ALL {
        let table = format_table(format);
        // The new table's columns (`ts` and `kind` NOT NULL, as V6 made them) and what fills
        // each from the old table, in the same order.
        let (mut columns, mut select) = (Vec::new(), Vec::new());
        for (c, t) in EVENT_COLUMNS.iter().filter(|(c, _)| format_has(format, c)) {
            match *c {
                "src_ipnum" => {
                    columns.extend(ADDRESS_NUMBER.iter().map(|(c, t)| format!("{c} {t}")));
                    select.push(SPLIT_NUMBER.to_owned());
                }
                "src_family" => {}
                c => {
                    let not_null = if c == "ts" || c == "kind" { " NOT NULL" } else { "" };
                    columns.push(format!("{c} {t}{not_null}"));
                    select.push(c.to_owned());
                }
            }
        }
        sql.push_str(&format!(
            "CREATE TABLE {table}_v8 (\n    {}\n);\nINSERT INTO {table}_v8 SELECT {} FROM {table};\n\
             DROP TABLE {table};\nALTER TABLE {table}_v8 RENAME TO {table};\n",
            columns.join(",\n    "),
            select.join(", ")
        ));
    }
    sql
});

#[cfg(test)]
mod tests {
    use ipscope_event::{EventKind, Outcome, SourceFormat};

    use super::{EVENT_COLUMNS, EVENTS_GEO, V1, V2};

    /// V1's `events` has exactly the columns of [`EVENT_COLUMNS`], in that order, and V6
    /// recreates `events_geo` as V2 made it.
    #[test]
    fn event_columns_match_v1_and_events_geo_v2() {
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let uncommented: Vec<&str> = V1.lines().map(|l| l.split("--").next().unwrap_or_default()).collect();
        let v1 = flat(&uncommented.join(" "));
        let body = v1.split("CREATE TABLE events (").nth(1).and_then(|b| b.split(");").next()).unwrap_or_default();
        let mut declared = Vec::new();
        for line in body.split(',') {
            let mut words = line.split_whitespace();
            if let (Some(c), Some(t)) = (words.next(), words.next()) {
                declared.push((c.to_owned(), t.to_owned()));
            }
        }
        let want: Vec<(String, String)> = EVENT_COLUMNS.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect();
        assert_eq!(declared, want);
        assert!(flat(V2).contains(&flat(EVENTS_GEO)), "V6's events_geo differs from V2's");
    }

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
