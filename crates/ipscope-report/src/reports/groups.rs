//! Reports that count events per value of one dimension — ports, protocols, countries, ASNs,
//! commands, downloads, credentials — written once: the dimension's columns, the events, the
//! distinct source addresses, first/last seen, and any extra aggregates.

use ipscope_store::{Query, Table};

use crate::rows::Rows;
use crate::{Dialect, Params, Result};

/// One "events per X" report.
pub struct GroupBy {
    /// `(expression, output name)` of the grouping columns.
    pub keys: &'static [(&'static str, &'static str)],
    /// Only rows matching this (besides the common filter), if anything.
    pub only: Option<&'static str>,
    /// Extra aggregates: `(expression with {count_if:COND} placeholders rendered by the dialect,
    /// output name)`.
    pub extra: &'static [(Agg, &'static str)],
    /// The enrichment columns (country_code, asn, ...) the keys and extras read; empty for
    /// reports on event columns only. A geo report aggregates in two steps (see [`sql`]).
    pub geo: &'static [&'static str],
    /// Event columns besides `src_ip` and `ts` that a geo report's keys or extras read.
    pub carry: &'static [&'static str],
}

/// An extra aggregate column.
pub enum Agg {
    /// Rows matching a condition.
    CountIf(&'static str),
    /// Distinct values of an expression.
    Distinct(&'static str),
    /// Sum of an expression.
    Sum(&'static str),
    /// Largest value (a representative for values equal within a group, e.g. a country's name).
    Max(&'static str),
    /// Mean, rounded to 4 decimals (coordinates of a city).
    Avg(&'static str),
}

pub fn sql(d: Dialect, p: &Params, g: &GroupBy) -> String {
    if g.geo.is_empty() { one_step_sql(d, p, g, p.filter.from()) } else { geo_sql(d, p, g) }
}

/// The report over `events_geo` in one aggregation: what a geo report means (tests compare the
/// two-step form with it), and how every other report runs, over `from`.
pub fn one_step_sql(d: Dialect, p: &Params, g: &GroupBy, from: &str) -> String {
    let k = Keys::of(g);
    let extra: Vec<String> = g
        .extra
        .iter()
        .map(|(a, n)| {
            let e = match a {
                Agg::CountIf(c) => d.count_if(c),
                Agg::Distinct(e) => d.count_distinct(e),
                Agg::Sum(e) => format!("sum({e})"),
                Agg::Max(e) => format!("max({e})"),
                Agg::Avg(e) => format!("round(avg({e}), 4)"),
            };
            format!(", {e} AS {n}")
        })
        .collect();
    format!(
        "SELECT {keys}, count(*) AS events, {ips} AS ips{extra}, min(ts) AS first_seen, max(ts) AS last_seen \
         FROM {from} WHERE {filter} AND {only} AND {not_null} \
         GROUP BY {names} HAVING count(*) >= {min} ORDER BY events DESC, {names} LIMIT {top}",
        keys = k.keys,
        ips = d.count_distinct("src_ip"),
        extra = extra.concat(),
        filter = p.filter.sql(d),
        only = g.only.unwrap_or(d.bool(true)),
        not_null = k.not_null,
        names = k.names,
        min = p.min_events.max(1),
        top = p.top,
    )
}

/// A geo report in two steps: events are first aggregated per source address and the event's own
/// values of the geo columns (a feed's; NULL for logs, so one row per address there), then joined
/// with `addresses` — one probe per address instead of one per event — and aggregated per key.
/// The result equals the one-step form over `events_geo` (a test checks it on feed + log data);
/// at 10 M events `countries` took 0.12 s instead of 0.29 s (query time).
fn geo_sql(d: Dialect, p: &Params, g: &GroupBy) -> String {
    // --asn is a geo condition: applied after the join, on the event's or the address's ASN.
    let inner_filter = crate::Filter { asns: Vec::new(), ..p.filter.clone() };
    let mut geo: Vec<&str> = g.geo.to_vec();
    if !p.filter.asns.is_empty() && !geo.contains(&"asn") {
        geo.push("asn");
    }
    // On the joined value, not on the `asn` output name: ClickHouse would read that as a key's or
    // an aggregate's alias (`max(asn) AS asn` of `nets --registered`).
    let asn_filter = if p.filter.asns.is_empty() {
        d.bool(true).to_owned()
    } else {
        format!(
            "coalesce(p.asn, a.asn) IN ({})",
            p.filter.asns.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        )
    };
    // Log events carry no geo values of their own: grouped by address alone (the branch a log
    // store reads; DuckDB skips the other one by its NULL statistics). Feed events: by address
    // and their values. Two branches instead of one grouping over all columns: 0.49 -> 0.15 s
    // for the first step at 10 M events.
    let mut by_ip: Vec<String> = vec!["src_ip".into()];
    by_ip.extend(g.carry.iter().map(|c| (*c).to_owned()));
    let mut by_all = by_ip.clone();
    by_all.extend(geo.iter().map(|c| (*c).to_owned()));
    // That branch keeps only rows whose geo columns are all NULL: NULL is their value. (Not
    // `any_value(c)`: DuckDB drops that aggregate only when the column's statistics say "all
    // NULL", which a table has and a view's padding column does not: 7.9 M sshd events, the
    // first step 0.26 s with the plain NULL, 0.48 s with `any_value`.)
    let nulls: Vec<String> = geo.iter().map(|c| format!("NULL AS no_{c}")).collect();
    let all_null = geo.iter().map(|c| format!("{c} IS NULL")).collect::<Vec<_>>().join(" AND ");
    let mut partials: Vec<String> =
        vec!["count(*) AS n".into(), "min(ts) AS first_seen".into(), "max(ts) AS last_seen".into()];
    // The first branch from the rollups when they hold what it reads (see `rollup_serves`).
    let rows = if rollup_serves(g) { Rows::for_report(d, p, &inner_filter, None) } else { Rows::events("events") };
    let mut rolled: Vec<String> = vec![
        format!("{} AS n", rows.count(d)),
        format!("{} AS first_seen", rows.first()),
        format!("{} AS last_seen", rows.last()),
    ];
    let mut outer_extra = Vec::new();
    for (i, (a, name)) in g.extra.iter().enumerate() {
        let e = match a {
            Agg::CountIf(c) => {
                partials.push(format!("{} AS x{i}", d.count_if(c)));
                rolled.push(format!("{} AS x{i}", rows.count_if(d, c)));
                format!("sum(x{i})")
            }
            Agg::Sum(e) => {
                partials.push(format!("sum({e}) AS x{i}"));
                rolled.push(format!("sum({e}) AS x{i}"));
                format!("sum(x{i})")
            }
            Agg::Distinct(e) => d.count_distinct(e),
            Agg::Max(e) => format!("max({e})"),
            // Weighted by events, over the rows that have a value (as avg() over events).
            Agg::Avg(e) => format!("round(sum({e} * n) / sum(CASE WHEN {e} IS NOT NULL THEN n END), 4)"),
        };
        outer_extra.push(format!(", {e} AS {name}"));
    }
    let joined: Vec<String> = geo.iter().map(|c| format!(", coalesce(p.{c}, a.{c}) AS {c}")).collect();
    let carried: Vec<String> = g.carry.iter().map(|c| format!(", p.{c}")).collect();
    let partial_names: Vec<String> = (0..g.extra.len())
        .filter(|i| matches!(g.extra[*i].0, Agg::CountIf(_) | Agg::Sum(_)))
        .map(|i| format!(", p.x{i}"))
        .collect();
    let k = Keys::of(g);
    let no_own_geo = if rows.is_rollup() { "NOT own_geo".to_owned() } else { all_null.clone() };
    let mut w = d.ctes();
    let p_rel = w.define(
        "p",
        format!(
            // The branch of events with values of their own first: a union's column names are its
            // first branch's, and ClickHouse reads `asn` in a WHERE as the alias `NULL AS asn`
            // of the branch that has it (so that one names them `no_asn`).
            "SELECT {all_cols}, {partials} FROM events WHERE {filter} AND {only} AND NOT ({all_null}) \
             GROUP BY {all_cols} \
             UNION ALL \
             SELECT {ip_cols}, {nulls}, {rolled} FROM {per_ip} WHERE {filter} AND {only} AND {no_own_geo} \
             GROUP BY {ip_cols}",
            ip_cols = by_ip.join(", "),
            all_cols = by_all.join(", "),
            nulls = nulls.join(", "),
            partials = partials.join(", "),
            rolled = rolled.join(", "),
            per_ip = rows.from(),
            filter = inner_filter.sql(d),
            only = g.only.unwrap_or(d.bool(true)),
        ),
    );
    let g_rel = w.define(
        "g",
        format!(
            "SELECT p.src_ip{carried}{joined}, p.n, p.first_seen, p.last_seen{partial_names} \
             FROM {p_rel} LEFT JOIN {addresses} a ON a.ip = p.src_ip WHERE {asn_filter}",
            carried = carried.concat(),
            joined = joined.concat(),
            partial_names = partial_names.concat(),
            addresses = d.addresses(),
        ),
    );
    w.query(&format!(
        "SELECT {keys}, sum(n) AS events, {ips} AS ips{extra}, min(first_seen) AS first_seen, \
           max(last_seen) AS last_seen \
         FROM {g_rel} WHERE {not_null} \
         GROUP BY {names} HAVING sum(n) >= {min} ORDER BY events DESC, {names} LIMIT {top}",
        keys = k.keys,
        ips = d.count_distinct("src_ip"),
        extra = outer_extra.concat(),
        not_null = k.not_null,
        names = k.names,
        min = p.min_events.max(1),
        top = p.top,
    ))
}

/// Whether the rollups hold what a geo report's first branch reads: its carried columns and
/// the conditions of its counts are rollup columns, and it sums no event column.
fn rollup_serves(g: &GroupBy) -> bool {
    const ROLLUP_COLUMNS: &[&str] = &["format", "kind", "outcome", "feed_provider"];
    g.only.is_none()
        && g.carry.iter().all(|c| ROLLUP_COLUMNS.contains(c))
        && g.extra.iter().all(|(a, _)| match a {
            // `kind = 'auth'`, `outcome = 'success'`, or several joined by AND.
            Agg::CountIf(c) => c.split(" AND ").all(|part| {
                let value = part.strip_prefix("kind = '").or_else(|| part.strip_prefix("outcome = '"));
                value
                    .and_then(|v| v.strip_suffix('\''))
                    .is_some_and(|v| v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            }),
            Agg::Sum(_) => false,
            Agg::Distinct(_) | Agg::Max(_) | Agg::Avg(_) => true,
        })
}

/// The grouping columns of a report, rendered for SELECT, GROUP BY / ORDER BY and WHERE.
struct Keys {
    keys: String,
    names: String,
    not_null: String,
}

impl Keys {
    fn of(g: &GroupBy) -> Keys {
        Keys {
            keys: g.keys.iter().map(|(e, n)| format!("{e} AS {n}")).collect::<Vec<_>>().join(", "),
            names: g.keys.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "),
            not_null: g.keys.iter().map(|(e, _)| format!("{e} IS NOT NULL")).collect::<Vec<_>>().join(" AND "),
        }
    }
}

pub fn run(store: &dyn Query, p: &Params, g: &GroupBy) -> Result<Table> {
    let sql = sql(p.dialect, p, g);
    if !g.geo.is_empty() && !every_key_has_values(store, p.dialect, g)? {
        // No row can have every key: the same (empty) table without scanning every event.
        return Ok(store.query(&format!("SELECT * FROM ({sql}) LIMIT 0"))?);
    }
    Ok(store.query(&sql)?)
}

/// Whether each geo column among `g`'s keys has a value in some address or some event. Not
/// so when the databases lack a field (DB-IP lite has no continents): then DuckDB would still
/// group every event by address before finding that out (7.9 M events: 0.26 s; this check 1 ms,
/// the columns a format's table lacks being NULL constants in the `events` view).
fn every_key_has_values(store: &dyn Query, d: Dialect, g: &GroupBy) -> Result<bool> {
    for (column, _) in g.keys.iter().filter(|(k, _)| g.geo.contains(k)) {
        let t = store.query(&format!(
            "SELECT {} OR {} AS v",
            d.exists(&format!("SELECT 1 FROM {} WHERE {column} IS NOT NULL", d.addresses())),
            d.exists(&format!("SELECT 1 FROM events WHERE {column} IS NOT NULL")),
        ))?;
        if t.rows.first().and_then(|r| r.first()).is_some_and(|v| !d.is_true(v)) {
            return Ok(false);
        }
    }
    Ok(true)
}

macro_rules! group_report {
    ($(#[$doc:meta])* $name:ident, $group:expr) => {
        $(#[$doc])*
        pub mod $name {
            use ipscope_store::{Query, Table};

            #[allow(unused_imports)]
            use super::{Agg, GroupBy};
            use crate::{Params, Result};

            pub const GROUP: GroupBy = $group;

            pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
                super::run(store, p, &GROUP)
            }
        }
    };
}

group_report!(
    /// `ports`: events per destination port and protocol, with distinct sources and how many
    /// were denies.
    ports,
    GroupBy {
        keys: &[("dst_port", "port"), ("proto", "proto")],
        only: None,
        extra: &[(Agg::CountIf("kind = 'deny'"), "denies"), (Agg::Distinct("dst_ip"), "hosts")],
        geo: &[],
        carry: &[],
    }
);

group_report!(
    /// `sensors`: events per sensor (syslog host, honeypot sensor, Zeek node).
    sensors,
    GroupBy {
        keys: &[("sensor", "sensor")],
        only: None,
        extra: &[(Agg::Distinct("format"), "formats")],
        geo: &[],
        carry: &[],
    }
);

group_report!(
    /// `protocols`: events per transport protocol.
    protocols,
    GroupBy {
        keys: &[("proto", "proto")],
        only: None,
        extra: &[(Agg::CountIf("kind = 'deny'"), "denies"), (Agg::Distinct("dst_port"), "ports")],
        geo: &[],
        carry: &[],
    }
);

group_report!(
    /// `countries`: events per source country (a feed's value, else enrichment's).
    countries,
    GroupBy {
        keys: &[("country_code", "country")],
        only: None,
        extra: &[(Agg::Max("country_name"), "country_name"), (Agg::CountIf("kind = 'auth'"), "auths")],
        geo: &["country_code", "country_name"],
        carry: &[],
    }
);

group_report!(
    /// `cities`: events per source city, with region and coordinates (for maps).
    cities,
    GroupBy {
        keys: &[("country_code", "country"), ("city", "city")],
        only: None,
        extra: &[
            (Agg::Max("region"), "region"),
            (Agg::Avg("latitude"), "latitude"),
            (Agg::Avg("longitude"), "longitude"),
            (Agg::CountIf("kind = 'auth'"), "auths"),
        ],
        geo: &["country_code", "city", "region", "latitude", "longitude"],
        carry: &[],
    }
);

group_report!(
    /// `continents`: events per source continent.
    continents,
    GroupBy {
        keys: &[("continent", "continent")],
        only: None,
        extra: &[(Agg::Distinct("country_code"), "countries"), (Agg::CountIf("kind = 'auth'"), "auths")],
        geo: &["continent", "country_code"],
        carry: &[],
    }
);

group_report!(
    /// `asns`: events per source ASN and organisation (`--taxonomy` narrows it to one CERT
    /// taxonomy: the "top ASNs per taxonomy" view).
    asns,
    GroupBy {
        keys: &[("asn", "asn"), ("coalesce(as_org, '')", "as_org")],
        only: None,
        extra: &[(Agg::Distinct("feed_provider"), "feeds")],
        geo: &["asn", "as_org"],
        carry: &["feed_provider"],
    }
);

group_report!(
    /// `credentials`: user / password pairs tried (honeypots log passwords), with successes.
    credentials,
    GroupBy {
        keys: &[("username", "user"), ("password", "password")],
        only: Some("kind = 'auth'"),
        extra: &[(Agg::CountIf("outcome = 'success'"), "successes")],
        geo: &[],
        carry: &[],
    }
);

group_report!(
    /// `commands`: commands run in honeypot sessions, with failures and distinct sessions.
    commands,
    GroupBy {
        keys: &[("detail", "command")],
        only: Some("kind = 'command' AND outcome IS NULL"),
        extra: &[(Agg::Distinct("session"), "sessions")],
        geo: &[],
        carry: &[],
    }
);

group_report!(
    /// `downloads`: URLs / files fetched or uploaded, with their hash.
    downloads,
    GroupBy {
        keys: &[("detail", "url"), ("coalesce(file_hash, '')", "hash")],
        only: Some("kind = 'download'"),
        extra: &[(Agg::CountIf("outcome = 'failure'"), "failed")],
        geo: &[],
        carry: &[],
    }
);

group_report!(
    /// `feeds`: events per source ASN per feed provider.
    feeds,
    GroupBy {
        keys: &[("feed_provider", "provider"), ("asn", "asn")],
        only: None,
        extra: &[(Agg::Distinct("feed_name"), "feeds")],
        geo: &["asn"],
        carry: &["feed_provider", "feed_name"],
    }
);

group_report!(
    /// `nets --registered`: events per registered prefix (the ASN database's network), with
    /// its ASN and organisation.
    registered_nets,
    GroupBy {
        keys: &[("prefix", "prefix")],
        only: None,
        extra: &[(Agg::Max("asn"), "asn"), (Agg::Max("as_org"), "as_org"), (Agg::Max("country_code"), "country")],
        geo: &["prefix", "asn", "as_org", "country_code"],
        carry: &[],
    }
);

/// `top-asns --taxonomy X`: `asns` narrowed to one or more taxonomies, refusing to run without.
pub fn top_asns(store: &dyn Query, p: &Params) -> Result<Table> {
    if p.filter.taxonomies.is_empty() {
        return Err(crate::ReportError::Invalid("top-asns needs --taxonomy X (one or more, comma-separated)".into()));
    }
    asns::run(store, p)
}
