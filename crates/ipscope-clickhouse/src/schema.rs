//! The ClickHouse schema: the embedded store's `events` (schema 7's view, 43 columns),
//! `addresses` and ledger, in a form ClickHouse 18.16 and current ClickHouse both accept.
//!
//! On every shard (DDL is run per shard: `ON CLUSTER` needs ZooKeeper):
//! - `events_local`: `MergeTree`, one partition per UTC day, sorted by `(format, kind, ts)`;
//! - `events_all`: `Distributed` over `events_local`, sharded by `cityHash64` of the source
//!   address, so one address's events are on one shard; it holds the rows of every attempt;
//! - `addresses_local` (`ReplacingMergeTree(enriched_at)` by `ip`) and `addresses`
//!   (`Distributed`, the same sharding as events: an address lives with its events).
//!
//! On the ledger node (shard 1) only:
//! - `ledger`: one row per state change of a batch attempt (see `cluster.rs`), with the input's
//!   progress on its `committed` row;
//! - `events`: a view of `events_all` restricted to committed attempts — what readers query.
//!   It exists on one node only on purpose: the ledger is there, and a reader sent elsewhere
//!   gets "table doesn't exist" rather than uncommitted rows;
//! - `addresses_latest`: one row per address (its latest enrichment), what reports join;
//! - `events_geo`: the embedded store's view of the same name over `events` and
//!   `addresses_latest`.
//!
//! Time: 18.16 has no `DateTime64`, so the event time is `ts DateTime('UTC')` (whole seconds,
//! what partitioning, `toStartOfHour` and `toDate` work on, with no conversion in any report)
//! plus `ts_us UInt32` (the microseconds within that second): exact, and
//! `toInt64(ts) * 1000000 + ts_us` gives the embedded store's microseconds back. Times before
//! 1970 or after 2106 (`DateTime`'s range) are refused at insert.

use ipscope_event::{EventKind, Outcome, SourceFormat};
use ipscope_store::{EventBatch, GEO_COLUMNS};

/// A ClickHouse column type this backend writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Whole seconds of a microsecond Arrow timestamp.
    DateTime,
    /// The microseconds within the second of a microsecond Arrow timestamp.
    SubMicros,
    Str,
    U8,
    U16,
    U32,
    U64,
    I32,
    F64,
    Enum(Vocab),
}

/// The fixed vocabularies, stored as `Enum8` (values 1..n in the Rust enums' order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Vocab {
    Format,
    Kind,
    Outcome,
}

impl Vocab {
    pub(crate) fn names(self) -> Vec<&'static str> {
        match self {
            Vocab::Format => SourceFormat::ALL.iter().map(|f| f.as_str()).collect(),
            Vocab::Kind => EventKind::ALL.iter().map(|k| k.as_str()).collect(),
            Vocab::Outcome => Outcome::ALL.iter().map(|o| o.as_str()).collect(),
        }
    }
}

/// A column: its ClickHouse name, the Arrow column it is read from, its type and nullability.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Col {
    pub name: &'static str,
    pub source: &'static str,
    pub ty: Ty,
    pub nullable: bool,
}

impl Col {
    fn sql_type(&self) -> String {
        let t = match self.ty {
            Ty::DateTime => "DateTime('UTC')".to_owned(),
            Ty::SubMicros => "UInt32".to_owned(),
            Ty::Str => "String".to_owned(),
            Ty::U8 => "UInt8".to_owned(),
            Ty::U16 => "UInt16".to_owned(),
            Ty::U32 => "UInt32".to_owned(),
            Ty::U64 => "UInt64".to_owned(),
            Ty::I32 => "Int32".to_owned(),
            Ty::F64 => "Float64".to_owned(),
            Ty::Enum(v) => {
                let values: Vec<String> =
                    v.names().iter().enumerate().map(|(i, n)| format!("'{n}' = {}", i + 1)).collect();
                format!("Enum8({})", values.join(", "))
            }
        };
        if self.nullable { format!("Nullable({t})") } else { t }
    }
}

/// The column of the events tables that carries the batch attempt's id.
pub(crate) const BATCH_ID: &str = "batch_id";

/// The DuckDB type of one of `schema::EVENT_COLUMNS` → ClickHouse's.
fn ty_of(duck: &str) -> Option<Ty> {
    Some(match duck {
        "VARCHAR" => Ty::Str,
        "UBIGINT" => Ty::U64,
        "UTINYINT" => Ty::U8,
        "USMALLINT" => Ty::U16,
        "UINTEGER" => Ty::U32,
        "INTEGER" => Ty::I32,
        "DOUBLE" => Ty::F64,
        "source_format" => Ty::Enum(Vocab::Format),
        "event_kind" => Ty::Enum(Vocab::Kind),
        "outcome" => Ty::Enum(Vocab::Outcome),
        _ => return None,
    })
}

/// The events tables' columns, in order: the embedded `events` view's (`ts` split into `ts` and
/// `ts_us`; `ts`, `format`, `kind` not nullable as in DuckDB, the rest nullable), then
/// `batch_id`. A DuckDB type this backend does not know is a bug caught by the unit test.
pub(crate) fn event_columns() -> Vec<Col> {
    let mut cols = Vec::with_capacity(EventBatch::event_columns().len() + 2);
    for &(name, duck) in EventBatch::event_columns() {
        if duck == "TIMESTAMP" {
            cols.push(Col { name, source: name, ty: Ty::DateTime, nullable: false });
            cols.push(Col { name: "ts_us", source: name, ty: Ty::SubMicros, nullable: false });
            continue;
        }
        let nullable = !matches!(name, "format" | "kind");
        cols.push(Col { name, source: name, ty: ty_of(duck).unwrap_or(Ty::Str), nullable });
    }
    cols.push(Col { name: BATCH_ID, source: BATCH_ID, ty: Ty::U64, nullable: false });
    cols
}

/// The `addresses` tables' columns: `ip`, the enrichment columns, `enriched_at` (seconds).
pub(crate) fn address_columns() -> Vec<Col> {
    let mut cols = vec![Col { name: "ip", source: "ip", ty: Ty::Str, nullable: false }];
    for &name in GEO_COLUMNS {
        let duck = EventBatch::event_columns().iter().find(|(c, _)| *c == name).map_or("VARCHAR", |(_, t)| *t);
        cols.push(Col { name, source: name, ty: ty_of(duck).unwrap_or(Ty::Str), nullable: true });
    }
    cols.push(Col { name: "enriched_at", source: "enriched_at", ty: Ty::DateTime, nullable: false });
    cols
}

fn column_list(cols: &[Col]) -> String {
    cols.iter().map(|c| format!("    {} {}", c.name, c.sql_type())).collect::<Vec<_>>().join(",\n")
}

/// DDL for every shard, in order (each statement idempotent).
pub(crate) fn shard_ddl(db: &str, cluster: &str) -> Vec<String> {
    vec![
        format!("CREATE DATABASE IF NOT EXISTS {db}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.events_local (\n{}\n) ENGINE = MergeTree \
             PARTITION BY toYYYYMMDD(ts) ORDER BY (format, kind, ts)",
            column_list(&event_columns())
        ),
        // The same hash of the same text as `addresses`: an address and its events share a shard.
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.events_all AS {db}.events_local \
             ENGINE = Distributed({cluster}, {db}, events_local, cityHash64(ifNull(src_ip, '')))"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.addresses_local (\n{}\n) ENGINE = ReplacingMergeTree(enriched_at) \
             ORDER BY ip",
            column_list(&address_columns())
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.addresses AS {db}.addresses_local \
             ENGINE = Distributed({cluster}, {db}, addresses_local, cityHash64(ip))"
        ),
    ]
}

/// The `events` view's columns: the events tables' with `ts` and `ts_us` joined into one `ts`,
/// a `Decimal64(6)` of seconds since the epoch — the exact microsecond time (18.16 has no
/// `DateTime64`), ordered and compared like the embedded store's `TIMESTAMP`, and the type the
/// reader turns back into [`ipscope_store::Value::Timestamp`] (see `reader.rs`).
pub(crate) fn view_columns() -> Vec<String> {
    event_columns()
        .iter()
        .filter(|c| c.ty != Ty::SubMicros)
        .map(|c| match c.ty {
            Ty::DateTime => format!("toDecimal64(toInt64({0}), 6) + toDecimal64(ts_us, 6) / 1000000 AS {0}", c.name),
            _ => c.name.to_owned(),
        })
        .collect()
}

/// The ledger rows that count, as a subquery: the `committed` rows of attempts that were never
/// marked aborted. What readers see (the `events` and `inputs` views) and what writers resume
/// from ([`crate::Cluster::inputs`], the conflict check) both use it, so they always agree.
///
/// Why "never aborted": a writer killed while its `committed` row is on the wire may have it
/// land after the next run's recovery has marked the attempt aborted and deleted its rows. That
/// late row must count for nothing — neither its (deleted) rows nor its progress — or the lines
/// it covered would be skipped by the re-run and lost. (An attempt whose `committed` row landed
/// before the recovery read the ledger is not recovered at all: its highest rank is `committed`.)
pub(crate) fn committed_rows(db: &str) -> String {
    format!(
        "(SELECT * FROM {db}.ledger WHERE state = 'committed' \
         AND batch_id NOT IN (SELECT batch_id FROM {db}.ledger WHERE state IN ('aborted', 'cleaned')))"
    )
}

/// The attempt states, as `Enum8` values; `rank` orders them for `ReplacingMergeTree`.
pub(crate) const STATES: &str = "Enum8('started' = 1, 'aborted' = 2, 'cleaned' = 3, 'committed' = 4)";

/// DDL for the ledger node only, after [`shard_ddl`].
pub(crate) fn ledger_ddl(db: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.ledger (
    batch_id    UInt64,
    input_id    Int32,
    state       {STATES},
    rank        UInt8,                -- = state: the latest state of an attempt wins a merge
    at_us       UInt64,               -- when the row was written (UTC microseconds)
    rows        UInt64,               -- events in the attempt
    path        String,
    format      String,
    head_len    UInt64,
    head_hash   UInt64,
    bytes       UInt64,
    lines       UInt64,
    events      UInt64,
    ignored     UInt64,
    rejected    UInt64,
    mark_len    UInt64,
    mark_hash   UInt64,
    dev         Nullable(UInt64),
    inode       Nullable(UInt64),
    cursor      Nullable(String),
    year_anchor Nullable(Int32)
) ENGINE = ReplacingMergeTree(rank) ORDER BY batch_id"
        ),
        format!(
            "CREATE VIEW IF NOT EXISTS {db}.events AS SELECT {} FROM {db}.events_all \
             WHERE {BATCH_ID} GLOBAL IN (SELECT batch_id FROM {})",
            view_columns().join(", "),
            committed_rows(db)
        ),
        // The embedded store's `inputs` table, from the ledger: each input's latest committed
        // progress, and when it was first and last committed (`Decimal64(6)` seconds, the
        // backend's timestamp type).
        format!(
            "CREATE VIEW IF NOT EXISTS {db}.inputs AS SELECT input_id AS id, \
             argMax(path, at_us) AS path, argMax(format, at_us) AS format, \
             argMax(head_len, at_us) AS head_len, argMax(head_hash, at_us) AS head_hash, \
             argMax(bytes, at_us) AS bytes, argMax(lines, at_us) AS lines, argMax(events, at_us) AS events, \
             argMax(ignored, at_us) AS ignored, argMax(rejected, at_us) AS rejected, \
             {} AS first_ingest, {} AS last_ingest \
             FROM {} GROUP BY input_id",
            micros_as_time("min(at_us)"),
            micros_as_time("max(at_us)"),
            committed_rows(db)
        ),
        format!("CREATE VIEW IF NOT EXISTS {db}.{ADDRESSES_LATEST} AS {}", addresses_latest_sql(db)),
        format!("CREATE VIEW IF NOT EXISTS {db}.events_geo AS {}", events_geo_sql(db)),
    ]
}

/// A `UInt64` of microseconds as `Decimal64(6)` seconds, without overflowing the decimal's 18
/// digits on the way (µs × 10⁶ would).
fn micros_as_time(us: &str) -> String {
    format!("toDecimal64(intDiv({us}, 1000000), 6) + toDecimal64({us} % 1000000, 6) / 1000000")
}

/// The view of `addresses` with one row per address, its latest enrichment: `addresses` is a
/// `ReplacingMergeTree` (by `enriched_at`) behind a `Distributed` table, and until a merge an
/// address re-enriched (or stored twice) has two rows there. What reports read instead of
/// `addresses` (`Dialect::addresses`), so a join never doubles an address's events.
pub(crate) const ADDRESSES_LATEST: &str = "addresses_latest";

/// The latest row of each address (`LIMIT 1 BY`: no aggregate over the enrichment columns, so
/// a NULL in the latest row stays NULL instead of an older row's value).
fn addresses_latest_sql(db: &str) -> String {
    format!("SELECT * FROM {db}.addresses ORDER BY ip, enriched_at DESC LIMIT 1 BY ip")
}

/// The embedded store's `events_geo`: every event with its geo / ASN columns being the event's
/// own value (a feed's) where present, else its source address's latest (one row per event).
fn events_geo_sql(db: &str) -> String {
    let cols: Vec<String> = event_columns()
        .iter()
        .filter(|c| c.ty != Ty::SubMicros)
        .map(|c| {
            if GEO_COLUMNS.contains(&c.name) {
                format!("coalesce(e.{0}, a.{0}) AS {0}", c.name)
            } else {
                format!("e.{0} AS {0}", c.name)
            }
        })
        .collect();
    format!(
        "SELECT {} FROM {db}.events AS e ANY LEFT JOIN (SELECT * FROM {db}.{ADDRESSES_LATEST}) AS a ON a.ip = e.src_ip",
        cols.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_column_has_a_clickhouse_type() {
        for &(name, duck) in EventBatch::event_columns() {
            assert!(duck == "TIMESTAMP" || ty_of(duck).is_some(), "{name} {duck}");
        }
        let cols = event_columns();
        assert_eq!(cols.len(), EventBatch::event_columns().len() + 2);
        assert_eq!(
            cols.iter().filter(|c| !c.nullable).map(|c| c.name).collect::<Vec<_>>(),
            ["ts", "ts_us", "format", "kind", BATCH_ID]
        );
        assert_eq!(address_columns().len(), GEO_COLUMNS.len() + 2);
    }

    #[test]
    fn enums_list_the_rust_vocabularies() {
        let format = Col { name: "format", source: "format", ty: Ty::Enum(Vocab::Format), nullable: false };
        assert!(format.sql_type().starts_with("Enum8('sshd' = 1, 'iptracking' = 2"), "{}", format.sql_type());
        let outcome = Col { name: "outcome", source: "outcome", ty: Ty::Enum(Vocab::Outcome), nullable: true };
        assert_eq!(outcome.sql_type(), "Nullable(Enum8('success' = 1, 'failure' = 2))");
    }
}
