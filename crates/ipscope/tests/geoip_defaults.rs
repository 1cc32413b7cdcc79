//! GeoIP defaults through the real binary (issue 15): the built-in country database answers
//! when named (and is what discovery falls back to), `status` says it is in use, and a directory
//! with one unusable file still enriches from the others, naming the file it skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

mod common;
use common::{corpus, run_ok as run};

/// `ipscope` with these GeoIP databases.
fn ipscope_with(data: &Path, geoip: &str) -> Command {
    let mut c = common::ipscope(data);
    c.env("IPSCOPE_GEOIP", geoip);
    c
}

#[test]
fn builtin_database_gives_countries_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (out, _) = run(ipscope_with(&data, "builtin").args(["lookup", "8.8.8.8", "--format", "csv"]));
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let country = r.headers().unwrap().iter().position(|h| h == "country").unwrap();
    assert_eq!(&r.records().next().unwrap().unwrap()[country], "US");
    // A demo store: countries out of the box, drawn on the map.
    run(ipscope_with(&data, "builtin").args(["demo", "--lines", "3000", "--keep"]).arg(dir.path()));
    let (out, _) = run(ipscope_with(&data, "builtin")
        .args(["report", "countries", "--format", "csv", "--chart"])
        .arg(dir.path().join("map.svg")));
    let codes: Vec<&str> = out.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert!(codes.len() >= 3 && codes.iter().all(|c| c.len() == 2), "{out}");
    assert!(std::fs::read_to_string(dir.path().join("map.svg")).unwrap().contains("<circle"), "bubbles on the map");
    let (out, err) = run(ipscope_with(&data, "builtin").arg("status"));
    assert!(format!("{out}{err}").contains("built-in: ip-location-db"), "{out}{err}");
}

#[test]
fn a_directory_with_a_broken_file_still_enriches() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let geo = dir.path().join("geoip");
    std::fs::create_dir(&geo).unwrap();
    std::fs::copy(corpus("mmdb/test-data/GeoIP2-City-Test.mmdb"), geo.join("city.mmdb")).unwrap();
    std::fs::copy(corpus("mmdb/bad-data/maxminddb-golang/cyclic-data-structure.mmdb"), geo.join("broken.mmdb"))
        .unwrap();
    let (_, err) =
        run(ipscope_with(&data, geo.to_str().unwrap()).arg("ingest").arg(corpus("asa/beats/non-canonical.log")));
    assert!(err.contains("not used:") && err.contains("broken.mmdb"), "{err}");
    let (out, _) = run(ipscope_with(&data, geo.to_str().unwrap()).args([
        "sql",
        "SELECT count(*) FROM addresses WHERE country_code IS NOT NULL",
        "--format",
        "csv",
        "--no-header",
    ]));
    assert!(out.trim().parse::<u32>().unwrap() > 0, "{out}");
}
