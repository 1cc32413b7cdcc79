//! What the daemon counts, for Prometheus (`/metrics`).
//!
//! Names follow the Prometheus conventions (`ipscope_*`, counters end in `_total`, durations are
//! `_seconds` histograms). **Every label set is bounded**: label values come from fixed
//! vocabularies (source kind, format, event kind, a parser's static ignore category or reject
//! reason, a syslog drop reason, an HTTP route *template*), never from the data — no address,
//! user name or file path is ever a label value.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::Batch;

/// Which kind of source a count is about (`source` label).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum SourceKind {
    /// A followed file.
    File,
    Journal,
    SyslogUdp,
    SyslogTcp,
    /// Batches a CLI `ingest` handed to the daemon.
    Api,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Journal => "journal",
            SourceKind::SyslogUdp => "syslog_udp",
            SourceKind::SyslogTcp => "syslog_tcp",
            SourceKind::Api => "api",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub format: &'static str,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CategoryLabels {
    pub source: &'static str,
    pub category: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub source: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransportLabel {
    pub transport: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    pub transport: &'static str,
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
    pub commit: &'static str,
}

fn latency_buckets() -> Histogram {
    // 100 µs .. ~100 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 21))
}

/// Every metric family, registered once; cheap to clone (shared counters).
#[derive(Clone)]
pub struct Metrics {
    pub lines: Family<SourceLabel, Counter>,
    pub events: Family<KindLabels, Counter>,
    pub ignored: Family<CategoryLabels, Counter>,
    pub rejected: Family<ReasonLabels, Counter>,
    pub batches: Family<SourceLabel, Counter>,
    pub commit_seconds: Histogram,
    /// From reading the first line of a batch to its commit: how far the store trails the logs.
    pub lag_seconds: Family<SourceLabel, Histogram, fn() -> Histogram>,
    pub commit_conflicts: Counter,
    pub syslog_messages: Family<TransportLabel, Counter>,
    pub syslog_dropped: Family<DropLabels, Counter>,
    pub followed_files: Gauge,
    /// Bytes written to followed files and not read yet.
    pub follow_backlog_bytes: Gauge,
    pub store_size_bytes: Gauge,
    pub http_requests: Family<RouteLabels, Counter>,
    pub http_seconds: Family<SourceLabel, Histogram, fn() -> Histogram>,
}

impl Metrics {
    /// Creates every family and registers it in `registry`.
    pub fn new(registry: &mut Registry, version: &'static str, commit: &'static str) -> Metrics {
        let m = Metrics {
            lines: Family::default(),
            events: Family::default(),
            ignored: Family::default(),
            rejected: Family::default(),
            batches: Family::default(),
            commit_seconds: latency_buckets(),
            lag_seconds: Family::new_with_constructor(latency_buckets),
            commit_conflicts: Counter::default(),
            syslog_messages: Family::default(),
            syslog_dropped: Family::default(),
            followed_files: Gauge::default(),
            follow_backlog_bytes: Gauge::default(),
            store_size_bytes: Gauge::default(),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(latency_buckets),
        };
        let r = registry.sub_registry_with_prefix("ipscope");
        // An info metric: exposed as `ipscope_build_info{version,commit} 1`.
        r.register(
            "build",
            "Version and git commit of the running ipscope",
            Info::new(BuildLabels { version, commit }),
        );
        r.register("lines_read", "Lines (messages, journal entries) read, by kind of source", m.lines.clone());
        r.register("events", "Events stored, by source format and event kind", m.events.clone());
        r.register("lines_ignored", "Well-formed lines that carry no event, by category", m.ignored.clone());
        r.register("lines_rejected", "Malformed lines, by reason", m.rejected.clone());
        r.register("batches_committed", "Batches committed to the store", m.batches.clone());
        r.register("commit_duration_seconds", "Time to commit one batch", m.commit_seconds.clone());
        r.register(
            "ingest_lag_seconds",
            "From reading the first line of a batch to its commit (how far the store trails the logs)",
            m.lag_seconds.clone(),
        );
        r.register(
            "commit_conflicts",
            "Commits refused because another writer stored part of the same input first",
            m.commit_conflicts.clone(),
        );
        r.register("syslog_messages", "Syslog messages received", m.syslog_messages.clone());
        r.register(
            "syslog_dropped",
            "Syslog messages dropped: oversize, malformed framing, no parser for them, queue full",
            m.syslog_dropped.clone(),
        );
        r.register("followed_files", "Files followed now", m.followed_files.clone());
        r.register(
            "follow_backlog_bytes",
            "Bytes written to followed files and not read yet",
            m.follow_backlog_bytes.clone(),
        );
        r.register("store_size_bytes", "Size of the database file and its WAL", m.store_size_bytes.clone());
        r.register("http_requests", "HTTP requests, by route template and status", m.http_requests.clone());
        r.register("http_request_duration_seconds", "HTTP request latency, by route template", m.http_seconds.clone());
        m
    }

    /// Counts a committed batch.
    pub fn committed(&self, source: SourceKind, batch: &Batch, commit_secs: f64) {
        let label = SourceLabel { source: source.as_str() };
        self.lines.get_or_create(&label).inc_by(batch.lines);
        self.batches.get_or_create(&label).inc();
        for ((format, kind), n) in &batch.kinds {
            self.events.get_or_create(&KindLabels { format: format.as_str(), kind: kind.as_str() }).inc_by(*n);
        }
        for (category, n) in &batch.ignored_by {
            self.ignored.get_or_create(&CategoryLabels { source: source.as_str(), category }).inc_by(*n);
        }
        for (reason, n) in &batch.rejected_by {
            self.rejected.get_or_create(&ReasonLabels { source: source.as_str(), reason }).inc_by(*n);
        }
        self.commit_seconds.observe(commit_secs);
        if let Some(t) = batch.first_read {
            self.lag_seconds.get_or_create(&label).observe(t.elapsed().as_secs_f64());
        }
    }
}
