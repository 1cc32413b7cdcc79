//! Stage micro-benchmarks after parsing (parsing itself: `ipscope-formats`' `parse` bench):
//!
//! - `enrich_cold`: database lookups of distinct addresses (what ingest does once per new
//!   address), lookups/s;
//! - `enrich_warm`: the per-event cost once addresses are known (`AddressBook` hits), events/s;
//! - `store_append`: prepare + commit 256 k-event batches into a fresh on-disk store, rows/s;
//! - `report/NAME`: every catalogue report on a store of `IPSCOPE_BENCH_LINES` (default 1 M)
//!   generated sshd lines, latency.
//!
//! Numbers only; nothing gates on them. See `src/lib.rs` for the knobs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipscope_bench::{events, geoip_paths, lines};
use ipscope_enrich::{AddressBook, Databases, Enricher, HomeNets};
use ipscope_gen::GenFormat;
use ipscope_report::{CATALOGUE, Params};
use ipscope_store::{InputProgress, Store, prepare_addresses, prepare_batch};

fn enricher() -> Enricher {
    Enricher::new(Databases::open_explicit(&geoip_paths()).unwrap(), HomeNets::parse_list("10.0.0.0/8").unwrap())
}

fn enrichment(c: &mut Criterion) {
    let e = enricher();
    let evs = events(GenFormat::Cowrie, 300_000);
    let mut distinct: Vec<IpAddr> = evs.iter().filter_map(|e| e.src_ip).collect();
    distinct.sort();
    distinct.dedup();
    let mut g = c.benchmark_group("enrich");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(distinct.len() as u64));
    g.bench_function("cold_lookups", |b| {
        b.iter(|| {
            for ip in &distinct {
                black_box(e.lookup(*ip).unwrap());
            }
        })
    });
    g.throughput(Throughput::Elements(evs.len() as u64));
    g.bench_function("warm_events", |b| {
        b.iter_batched_ref(
            || AddressBook::new(distinct.iter().copied()),
            |book| {
                let mut out = Vec::new();
                book.enrich_new(&e, evs.iter().filter_map(|x| x.src_ip), &mut out).unwrap();
                black_box(out.len())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn store_append(c: &mut Criterion) {
    let evs = events(GenFormat::Sshd, 330_000);
    let batch_events = &evs[..evs.len().min(256 * 1024)];
    let e = enricher();
    let mut g = c.benchmark_group("store");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(batch_events.len() as u64));
    g.bench_function("append_256k_events", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let mut store = Store::open(dir.path()).unwrap();
                store.tune_for_ingest(Duration::ZERO).unwrap();
                let mut book = AddressBook::default();
                let mut infos = Vec::new();
                book.enrich_new(&e, batch_events.iter().filter_map(|x| x.src_ip), &mut infos).unwrap();
                let batch =
                    prepare_batch(batch_events, 1).unwrap().with_addresses(prepare_addresses(&infos, 0).unwrap());
                (dir, store, batch)
            },
            |(dir, mut store, batch)| {
                let mut progress =
                    InputProgress { id: 1, path: "bench".into(), format: "sshd".into(), ..Default::default() };
                store.commit_batch(&mut progress, batch).unwrap();
                store.checkpoint().unwrap();
                drop(dir);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn reports(c: &mut Criterion) {
    let n = lines(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        store.tune_for_ingest(Duration::ZERO).unwrap();
        let evs = events(GenFormat::Sshd, n);
        let e = enricher();
        let mut book = AddressBook::default();
        let mut progress = InputProgress { id: 1, path: "bench".into(), format: "sshd".into(), ..Default::default() };
        for chunk in evs.chunks(256 * 1024) {
            let mut infos = Vec::new();
            book.enrich_new(&e, chunk.iter().filter_map(|x| x.src_ip), &mut infos).unwrap();
            let batch = prepare_batch(chunk, 1).unwrap().with_addresses(prepare_addresses(&infos, 0).unwrap());
            store.commit_batch(&mut progress, batch).unwrap();
        }
        store.checkpoint().unwrap();
    }
    let store = Store::open_read_only(dir.path()).unwrap();
    let p = Params { home: HomeNets::parse_list("10.0.0.0/8,192.168.0.0/16").unwrap(), ..Params::default() };
    let mut g = c.benchmark_group(format!("report_{}M_lines", n / 1_000_000));
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    for r in CATALOGUE {
        let mut p = p.clone();
        match r.name {
            "top-asns" => p.filter.taxonomies = vec!["intrusion-attempts".into()],
            "asn-trend" => p.filter.asns = vec![14061],
            _ => {}
        }
        g.bench_function(r.name, |b| b.iter(|| ipscope_report::run(r, &store, &p).unwrap().rows.len()));
    }
    g.finish();
}

criterion_group!(benches, enrichment, store_append, reports);
criterion_main!(benches);
