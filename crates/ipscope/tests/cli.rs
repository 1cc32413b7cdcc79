//! End-to-end tests: the real binary on real (corpus) and generated logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::Stdio;

mod common;
use common::*;

#[test]
fn ingest_corpus_then_reingest_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = corpus("openssh/loghub/OpenSSH_2k.log");
    let (_, err) = run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(&file));
    assert!(err.contains("new (sshd), 2000 lines"), "{err}");
    let n = scalar(&data, "SELECT count(*) FROM events");
    // Independent count: every `Failed password` (x N for `message repeated N times`) and
    // `Accepted password` line is one auth event.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut auths = 0;
    for l in text.lines() {
        if l.contains("Failed password for") || l.contains("Accepted password for") {
            auths += match l.find("message repeated ") {
                Some(i) => l[i + 17..].split(' ').next().unwrap().parse::<i64>().unwrap(),
                None => 1,
            };
        }
    }
    assert_eq!(scalar(&data, "SELECT count(*) FROM events WHERE kind = 'auth'"), auths);

    let (_, err) = run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(&file));
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), n);

    // A renamed, gzipped copy (log rotation) is recognised by content.
    let gz = dir.path().join("auth.log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let (_, err) = run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(&gz));
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), n);
}

#[test]
fn a_grown_file_adds_only_its_tail() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    generate(&log, 20_000, 7);
    let full = std::fs::read(&log).unwrap();
    // Reference: the whole file at once.
    let whole = dir.path().join("whole");
    run_ok(ipscope(&whole).arg("ingest").arg(&log));
    // Now the same content arriving in three pieces (cut at line ends).
    let cuts = [full.len() / 5, full.len() * 3 / 5];
    let cut_at = |n: usize| full[..n].iter().rposition(|b| *b == b'\n').unwrap() + 1;
    let pieces = dir.path().join("pieces");
    let growing = dir.path().join("growing.log");
    for c in cuts.iter().map(|c| cut_at(*c)).chain([full.len()]) {
        std::fs::write(&growing, &full[..c]).unwrap();
        let (_, err) = run_ok(ipscope(&pieces).arg("ingest").arg(&growing));
        assert!(err.contains(if c == cut_at(cuts[0]) { "new" } else { "resumed" }), "{err}");
    }
    assert_eq!(kinds(&pieces), kinds(&whole));
    assert_eq!(scalar(&pieces, "SELECT max(lines) FROM inputs"), 20_000);
}

#[test]
fn killed_mid_ingest_then_rerun_counts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.log");
    let truth = generate(&log, 400_000, 11);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).arg("ingest").arg(&log));
    assert_eq!(scalar(&reference, "SELECT count(*) FROM events WHERE kind = 'auth'"), truth.password_attempts as i64);

    let data = dir.path().join("crashy");
    let mut child = ipscope(&data)
        .args(["ingest", "-vv", "--no-progress"])
        .arg(&log)
        .env("IPSCOPE_BATCH_EVENTS", "5000")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL: no cleanup) once a few batches are committed.
    let stderr = child.stderr.take().unwrap();
    let mut committed = 0;
    for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
        if line.unwrap().contains("batch committed") {
            committed += 1;
            if committed == 5 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(committed, 5, "the ingest ended before it could be killed");
    let partial = scalar(&data, "SELECT count(*) FROM events");
    let total = scalar(&reference, "SELECT count(*) FROM events");
    assert!(partial > 0 && partial < total, "killed run stored {partial} of {total}");
    let (_, err) = run_ok(ipscope(&data).arg("ingest").arg(&log));
    assert!(err.contains("resumed"), "{err}");
    assert_eq!(kinds(&data), kinds(&reference));
}

#[test]
fn malformed_lines_are_counted_and_written_to_the_rejects_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("mixed.log");
    std::fs::write(
        &log,
        "2026-03-02T10:00:00+00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n\
         2026-03-02T10:00:01+00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n\
         Mar 99 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n\
         \u{1}\u{2}garbage\n\
         2026-03-02T10:00:02+00:00 h sshd[1]: Received disconnect from 192.0.2.1 port 22:11: Bye Bye [preauth]\n",
    )
    .unwrap();
    let rejects = dir.path().join("rejects.txt");
    let (_, err) = run_ok(ipscope(&data).args(["ingest", "--format", "sshd", "--rejects"]).arg(&rejects).arg(&log));
    assert!(err.contains("5 lines, 2 events, 1 ignored, 2 rejected"), "{err}");
    let rej = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(rej.lines().count(), 2, "{rej}");
    assert!(rej.starts_with(&format!("{}:3: ", log.display())), "{rej}");
    assert!(rej.lines().nth(1).unwrap().starts_with(&format!("{}:4: ", log.display())), "{rej}");
}

#[test]
fn stdin_and_report_formats_pipe_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text = std::fs::read(corpus("openssh/loghub/OpenSSH_2k.log")).unwrap();
    let mut child = ipscope(&data)
        .args(["ingest", "--year", "2025", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (csv, _) = run_ok(ipscope(&data).args(["report", "top-ips", "-N", "3", "--format", "csv"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert_eq!(
        lines[0],
        "ip,events,users,first_seen,last_seen,period_days,per_day,sessions,sources,country,as_org,prefix"
    );
    let (json, _) = run_ok(ipscope(&data).args(["report", "top-users", "-N", "5", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert!(v[0]["events"].as_i64().unwrap() >= v[1]["events"].as_i64().unwrap());
    let (nd, _) = run_ok(ipscope(&data).args(["report", "daily", "--format", "ndjson"]));
    for l in nd.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
    let (gp, _) = run_ok(ipscope(&data).args(["sql", "SELECT 1 AS a, 'x y' AS b", "--format", "csv", "--sep", " "]));
    assert_eq!(gp, "a b\n1 \"x y\"\n");
    // Piped without --format: tsv.
    let (tsv, _) = run_ok(ipscope(&data).args(["report", "daily"]));
    assert!(tsv.starts_with("day\tweekday\tevents\tips\n"), "{tsv}");
}

#[test]
fn closed_stdout_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_ok(ipscope(&data).args(["ingest", "--year", "2025"]).arg(corpus("openssh/loghub/OpenSSH_2k.log")));
    let mut child = ipscope(&data)
        .args(["sql", "SELECT * FROM range(1000000)"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn maint_validates_flags_and_prints_the_markdown_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    generate(&log, 30_000, 3);
    run_ok(ipscope(&data).arg("ingest").arg(&log));
    let before = scalar(&data, "SELECT count(*) FROM events");

    for (args, msg) in [
        (vec!["maint", "-N", "3"], "at least 5"),
        (vec!["maint", "-s", "0"], "(0, 1]"),
        (vec!["maint", "-s", "1.5"], "(0, 1]"),
    ] {
        let out = ipscope(&data).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(msg),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The generated span is 2026-03-02 .. 2026-03-09; "now" on 2026-03-12 makes -p 5 cut at 03-07.
    let (md, _) = run_ok(
        ipscope(&data)
            .args(["maint", "-p", "5", "--home", "10.0.0.0/8,192.168.0.0/16"])
            .env("IPSCOPE_NOW", "2026-03-12T00:00:00Z"),
    );
    for h in [
        "# ipscope report",
        "## Events per day",
        "## Top source addresses",
        "## Top users",
        "## Low session:auth ratio by address",
        "## Low session:auth ratio by user",
        "## Sessions still open",
        "## Busiest /24",
    ] {
        assert!(md.contains(h), "missing {h} in\n{md}");
    }
    let older = scalar(&data, "SELECT count(*) FROM events WHERE ts < TIMESTAMP '2026-03-07 00:00:00'");
    assert!(older > 0);
    assert!(md.contains(&format!(": {older} would be deleted")), "{md}");
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), before, "dry run deletes nothing");

    let (out, _) = run_ok(
        ipscope(&data).args(["purge", "--older-than", "5d", "--commit"]).env("IPSCOPE_NOW", "2026-03-12T00:00:00Z"),
    );
    assert_eq!(out.trim(), format!("purged {older} events older than 2026-03-07 00:00:00 UTC"));
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), before - older);
    assert_eq!(scalar(&data, "SELECT count(*) FROM events WHERE ts < TIMESTAMP '2026-03-07 00:00:00'"), 0);
}

#[test]
fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (md, err) = run_ok(ipscope(&dir.path().join("unused")).args(["demo", "--lines", "20000"]));
    assert!(err.contains("generated 20000 lines"), "{err}");
    assert!(md.contains("## Top source addresses") && md.contains("## Sessions still open"), "{md}");
}

#[test]
fn unknown_report_and_missing_store_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nothing-here");
    let out = ipscope(&data).args(["report", "top-ips"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = ipscope(&data).args(["report", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'nope'") && err.contains("top-ips"), "{err}");
    let out = ipscope(&data).args(["ingest", "/no/such/file"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// The generator's ground truth against ingest + reports, for both SSH formats.
fn check_against_truth(format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("in.log");
    let cfg = ipscope_gen::SshConfig { seed: 5, lines: 60_000, ..ipscope_gen::SshConfig::default() };
    let file = std::fs::File::create(&log).unwrap();
    let truth = match format {
        "iptracking" => ipscope_gen::write_iptracking(&cfg, b'|', file).unwrap(),
        _ => ipscope_gen::write_sshd(&cfg, file).unwrap(),
    };
    run_ok(ipscope(&data).args(["ingest", "--year", "2026", "--format", format]).arg(&log));
    let count = |kind: &str| scalar(&data, &format!("SELECT count(*) FROM events WHERE kind = '{kind}'"));
    assert_eq!(count("auth"), truth.password_attempts as i64, "{format}: auth");
    assert_eq!(count("session_open"), truth.sessions_opened as i64, "{format}: session_open");
    assert_eq!(count("session_close"), truth.sessions_closed as i64, "{format}: session_close");
    assert_eq!(scalar(&data, "SELECT count(DISTINCT src_ip) FROM events"), truth.distinct_addresses as i64);

    let home = ipscope_gen::CAMPUS_NETS.join(",");
    let (csv, _) = run_ok(ipscope(&data).args(["report", "open-sessions", "-N", "1000", "--home", &home, "-o", "csv"]));
    let mut got: Vec<String> =
        csv.lines().skip(1).map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",")).collect();
    let mut want: Vec<String> = truth.open_offcampus.iter().map(|(u, ip, n)| format!("{u},{ip},{n}")).collect();
    got.sort();
    want.sort();
    assert!(!want.is_empty(), "the generated data should leave sessions open");
    assert_eq!(got, want, "{format}: open sessions");

    if let Some((ip, user)) = &truth.breach {
        let (csv, _) = run_ok(ipscope(&data).args(["report", "low-success", "-N", "1000", "-o", "csv"]));
        assert!(
            csv.lines().any(|l| l.starts_with(&format!("{ip},")) && l.ends_with(user.as_str())),
            "{format}: the brute-forcer that got in ({ip}, {user}) is not a low-success suspect:\n{csv}"
        );
    }
}

#[test]
fn sshd_ingest_and_reports_match_the_generators_truth() {
    check_against_truth("sshd");
}

#[test]
fn iptracking_ingest_and_reports_match_the_generators_truth() {
    check_against_truth("iptracking");
}

/// Regression: every new input got id 0 and the second input of a run failed on the primary key.
#[test]
fn several_inputs_in_one_run_each_get_their_own_ledger_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_, err) = run_ok(
        ipscope(&data)
            .args(["ingest", "--year", "2025"])
            .arg(corpus("openssh/loghub/OpenSSH_2k.log"))
            .arg(corpus("openssh/loghub/Linux_2k.log"))
            .arg(corpus("openssh/beats/test.log")),
    );
    assert!(err.contains("3 inputs") && !err.contains("failed"), "{err}");
    assert_eq!(scalar(&data, "SELECT count(DISTINCT id) FROM inputs"), 3);
    assert_eq!(scalar(&data, "SELECT count(DISTINCT input_id) FROM events"), 3);
    assert_eq!(scalar(&data, "SELECT sum(events) FROM inputs"), scalar(&data, "SELECT count(*) FROM events"));
}

#[test]
fn a_directory_with_non_log_files_ingests_the_logs_and_names_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = ipscope(&data).args(["ingest", "--year", "2025"]).arg(corpus("openssh/loghub")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("OpenSSH_2k.log_templates.csv: cannot detect the format"), "{err}");
    assert!(err.contains("4 inputs, 4000 lines") && err.contains("2 inputs failed"), "{err}");
    assert_eq!(scalar(&data, "SELECT count(*) FROM inputs"), 2);
}

/// Golden output: the nightly Markdown run over a fixed generated week. Any change in parsing,
/// storage or a report's numbers shows up as a snapshot diff to review.
#[test]
fn maint_document_over_a_fixed_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    let cfg = ipscope_gen::SshConfig { seed: 2026, lines: 40_000, ..ipscope_gen::SshConfig::default() };
    ipscope_gen::write_sshd(&cfg, std::fs::File::create(&log).unwrap()).unwrap();
    run_ok(ipscope(&data).args(["ingest", "--year", "2026"]).arg(&log));
    let (md, _) = run_ok(
        ipscope(&data)
            .args(["maint", "-p", "10", "-N", "8", "--home", "10.0.0.0/8,192.168.0.0/16"])
            .env("IPSCOPE_NOW", "2026-03-12T06:00:00Z"),
    );
    insta::assert_snapshot!(md);
}

/// Every corpus format through the real binary, detected automatically; the files that are
/// not logs of a supported format are named and skipped, the rest still land.
#[test]
fn the_whole_corpus_ingests_with_auto_detection() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut c = ipscope(&data);
    c.args(["ingest", "--year", "2019", "--no-progress"]);
    // Directories are not recursive: the top ones, then the nested ones that hold the logs.
    for d in ["cowrie", "zeek", "asa", "intelmq"].iter().chain(common::CORPUS_LOG_DIRS) {
        c.arg(corpus(d));
    }
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let undetected: Vec<&str> = err.lines().filter(|l| l.contains("cannot detect the format")).collect();
    assert_eq!(undetected.len(), 3, "only loghub's two CSVs and harmonization.conf:\n{err}");
    let formats = |f: &str| scalar(&data, &format!("SELECT count(*) FROM events WHERE format = '{f}'"));
    for f in ["sshd", "cowrie", "zeek_conn", "asa", "intelmq"] {
        assert!(formats(f) > 0, "no {f} events:\n{err}");
    }
    assert_eq!(formats("asa"), 73 + 270 + 19 + 2 + 1, "every ASA line is one event");
    // Each format's table has every column its parser filled (schema 6): nothing fell back
    // to the wide table.
    assert_eq!(scalar(&data, "SELECT count(*) FROM events_wide"), 0);
}

#[test]
fn one_address_seen_by_sshd_and_cowrie_is_one_top_ips_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cowrie = corpus("cowrie/kareiva-cowrie-logs/cowrie.json.2018-05-06");
    let ip = "88.223.26.58"; // the first attacker of that honeypot log
    let in_cowrie = std::fs::read_to_string(&cowrie)
        .unwrap()
        .lines()
        .filter(|l| l.contains(&format!("\"src_ip\": \"{ip}\"")))
        .count();
    let sshd = dir.path().join("auth.log");
    std::fs::write(
        &sshd,
        format!(
            "2018-05-06T17:40:00+00:00 bastion sshd[7]: Failed password for root from {ip} port 4242 ssh2\n\
             2018-05-06T17:40:02+00:00 bastion sshd[7]: Failed password for root from {ip} port 4242 ssh2\n"
        ),
    )
    .unwrap();
    run_ok(ipscope(&data).arg("ingest").arg(&cowrie).arg(&sshd));
    let (csv, _) = run_ok(ipscope(&data).args(["report", "top-ips", "-N", "1000", "-o", "csv"]));
    let rows: Vec<&str> = csv.lines().filter(|l| l.starts_with(&format!("{ip},"))).collect();
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(rows[0].contains(",\"cowrie,sshd\","), "{}", rows[0]);
    let events = scalar(&data, &format!("SELECT count(*) FROM events WHERE src_ip = '{ip}'"));
    let from_cowrie =
        scalar(&data, &format!("SELECT count(*) FROM events WHERE src_ip = '{ip}' AND format = 'cowrie'"));
    assert_eq!(events - from_cowrie, 2);
    assert!(from_cowrie > 0 && from_cowrie as usize <= in_cowrie * 2, "{from_cowrie} vs {in_cowrie} lines");
    assert!(rows[0].starts_with(&format!("{ip},{events},")), "{}", rows[0]);
}

/// `report --chart`: a time series as PNG (decoded in full) and a top list as SVG.
#[test]
fn report_chart_writes_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    generate(&log, 20_000, 5);
    run_ok(ipscope(&data).arg("ingest").arg(&log));

    let png_path = dir.path().join("daily.png");
    let (out, err) = run_ok(ipscope(&data).args(["report", "daily", "--format", "csv", "--chart"]).arg(&png_path));
    assert!(out.starts_with("day,"), "table still goes to stdout: {out}");
    assert!(err.contains("chart written to") && err.contains("daily.png"), "{err}");
    let bytes = std::fs::read(&png_path).unwrap();
    assert!(bytes.len() > 8_000, "PNG too small: {} bytes", bytes.len());
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1200, 650));
    // Not a blank picture: some pixels are neither white nor one single colour.
    let distinct: std::collections::HashSet<_> = buf[..info.buffer_size()].chunks(3).take(1_000_000).collect();
    assert!(distinct.len() > 10, "only {} colours", distinct.len());

    // Same through the environment twin, with a log scale.
    let log_png = dir.path().join("daily-log.png");
    run_ok(ipscope(&data).args(["report", "daily", "--log-scale"]).env("IPSCOPE_CHART", &log_png));
    assert!(std::fs::read(&log_png).unwrap().starts_with(b"\x89PNG"));

    let first_day = {
        let (out, _) = run_ok(ipscope(&data).args(["report", "daily", "--format", "csv", "--no-header"]));
        out.lines().next().unwrap().split(',').next().unwrap().to_string()
    };
    let daily_svg = dir.path().join("daily.svg");
    run_ok(ipscope(&data).args(["report", "daily", "--chart"]).arg(&daily_svg));
    let text = std::fs::read_to_string(&daily_svg).unwrap();
    assert!(text.contains("<svg") && text.contains(&first_day), "no {first_day} label in daily.svg");

    let svg_path = dir.path().join("top.svg");
    let (out, _) =
        run_ok(ipscope(&data).args(["report", "top-ips", "--format", "csv", "--no-header", "--chart"]).arg(&svg_path));
    let top_ip = out.lines().next().unwrap().split(',').next().unwrap().to_string();
    let text = std::fs::read_to_string(&svg_path).unwrap();
    assert!(text.contains("<svg"), "{text}");
    assert!(text.contains(&top_ip), "top address {top_ip} missing from the SVG");
    assert!(text.contains("events"), "axis title missing");
}

#[test]
fn report_chart_refuses_bad_extension_and_empty_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    generate(&log, 2_000, 9);
    run_ok(ipscope(&data).arg("ingest").arg(&log));
    let out = ipscope(&data).args(["report", "daily", "--chart"]).arg(dir.path().join("x.gif")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(".svg or .png"));
    let empty = dir.path().join("empty.png");
    let out =
        ipscope(&data).args(["report", "daily", "--since", "2099-01-01", "--chart"]).arg(&empty).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing to plot"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!empty.exists());
}

/// CSV rows as maps from column name to value.
fn csv_rows(csv: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(str::to_owned)).collect()).collect()
}

/// The ASA corpus file with the three MaxMind test addresses, ingested with the test databases:
/// every geo report agrees with counts taken straight from the events.
#[test]
fn asa_ingest_with_geoip_fills_geo_reports_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let asa = corpus("asa/beats/non-canonical.log");
    let (_, err) = run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "ingest"]).arg(&asa));
    assert!(err.contains("geo database: GeoIP2-City (IPv6, built "), "{err}");
    assert!(err.contains("asn database: GeoLite2-ASN"), "{err}");
    let count = |ip: &str| scalar(&data, &format!("SELECT count(*) FROM events WHERE src_ip = '{ip}'"));
    // The file's sources include 81.2.69.192 (London in the City test database), 216.160.83.56
    // and 89.160.20.128; the rest are private addresses.
    let (gb, us, se) = (count("81.2.69.192"), count("216.160.83.56"), count("89.160.20.128"));
    assert!(gb > 0 && us > 0 && se > 0, "{gb} {us} {se}");

    let (csv, _) = run_ok(ipscope(&data).args(["report", "countries", "-o", "csv"]));
    let rows = csv_rows(&csv);
    let events_of = |c: &str| rows.iter().find(|r| r["country"] == c).map(|r| r["events"].parse::<i64>().unwrap());
    assert_eq!(events_of("GB"), Some(gb), "{csv}");
    assert_eq!(events_of("US"), Some(us), "{csv}");
    assert_eq!(events_of("SE"), Some(se), "{csv}");
    assert!(rows.iter().any(|r| r["country_name"] == "Sweden"), "{csv}");

    let (csv, _) = run_ok(ipscope(&data).args(["report", "cities", "-o", "csv"]));
    let rows = csv_rows(&csv);
    let linkoping = rows.iter().find(|r| r["city"] == "Linköping").unwrap_or_else(|| panic!("{csv}"));
    assert_eq!(linkoping["events"].parse::<i64>().unwrap(), se);
    assert_eq!(linkoping["latitude"], "58.4167", "{csv}");
    assert!(rows.iter().any(|r| r["city"] == "Milton" && r["region"] == "Washington"), "{csv}");

    let (csv, _) = run_ok(ipscope(&data).args(["report", "continents", "-o", "csv"]));
    assert!(csv_rows(&csv).iter().any(|r| r["continent"] == "EU" && r["events"].parse::<i64>().unwrap() == gb + se));

    let (csv, _) = run_ok(ipscope(&data).args(["report", "top-ips", "-N", "100", "-o", "csv"]));
    let rows = csv_rows(&csv);
    let row = rows.iter().find(|r| r["ip"] == "89.160.20.128").unwrap_or_else(|| panic!("{csv}"));
    assert_eq!((row["country"].as_str(), row["as_org"].as_str()), ("SE", "Bredband2 AB"));
    assert_eq!(row["prefix"], "89.160.0.0/17");

    let (csv, _) = run_ok(ipscope(&data).args(["report", "asns", "-o", "csv"]));
    let rows = csv_rows(&csv);
    assert!(rows.iter().any(|r| r["asn"] == "29518" && r["events"].parse::<i64>().unwrap() == se), "{csv}");
    assert!(rows.iter().any(|r| r["asn"] == "209" && r["events"].parse::<i64>().unwrap() == us), "{csv}");
    // --asn filters every report through the enrichment.
    let (csv, _) = run_ok(ipscope(&data).args(["report", "daily", "--asn", "29518", "-o", "csv"]));
    let total: i64 = csv_rows(&csv).iter().map(|r| r["events"].parse::<i64>().unwrap()).sum();
    assert_eq!(total, se, "{csv}");

    let (csv, _) = run_ok(ipscope(&data).args(["report", "nets", "--registered", "-o", "csv"]));
    let rows = csv_rows(&csv);
    assert!(rows.iter().any(|r| r["prefix"] == "216.160.64.0/18" && r["asn"] == "209"), "{csv}");

    // lookup: the databases' answer and the stored activity.
    let (json, _) =
        run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "lookup", "89.160.20.128", "10.1.2.3", "-o", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["country"], "SE");
    assert_eq!(v[0]["city"], "Linköping");
    assert_eq!(v[0]["asn"], 29518);
    assert_eq!(v[0]["prefix"], "89.160.0.0/17");
    assert_eq!(v[0]["events"], se);
    assert!(v[0]["by_source"].as_str().unwrap().starts_with(&format!("asa:{se}")), "{json}");
    assert_eq!(v[1]["country"], serde_json::Value::Null);
    assert_eq!(v[1]["events"], 0);
    let (table, _) = run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "lookup", "81.2.69.142", "-o", "table"]));
    assert!(table.contains("London") && table.contains("Europe/London"), "{table}");

    // Geo reports draw world maps: a bubble per country / city.
    let svg = dir.path().join("map.svg");
    run_ok(ipscope(&data).args(["report", "countries", "--chart"]).arg(&svg));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<circle"), "no bubbles in {}", svg.display());
    let png = dir.path().join("cities.png");
    let (_, err) = run_ok(ipscope(&data).args(["report", "cities", "--chart"]).arg(&png));
    assert!(err.contains("chart written"), "{err}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    assert!(decoder.read_info().unwrap().info().width >= 800);

    let (_, err) = run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "status"]));
    let sources = scalar(&data, "SELECT count(DISTINCT src_ip) FROM events");
    assert!(
        err.contains(&format!("{sources} distinct sources, {sources} enriched (3 located, 2 with an ASN)")),
        "{err}"
    );
    assert!(err.contains("GeoLite2-ASN"), "{err}");
    // The rollups count what is stored.
    let events = scalar(&data, "SELECT count(*) FROM events");
    assert!(err.contains(&format!("counting {events} events")), "{err}");
}

/// Stored events are re-enriched from new databases without re-reading the logs.
#[test]
fn enrich_fills_and_refresh_replaces_without_reingesting() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let asa = corpus("asa/beats/non-canonical.log");
    let (_, err) = run_ok(ipscope(&data).arg("ingest").arg(&asa));
    assert!(err.contains("no GeoIP databases found"), "{err}");
    let located = || scalar(&data, "SELECT count(*) FROM events_geo WHERE country_code IS NOT NULL");
    assert_eq!(located(), 0);
    let sources = scalar(&data, "SELECT count(DISTINCT src_ip) FROM events");

    let (_, err) = run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "enrich"]));
    assert!(err.contains(&format!("enriched {sources} addresses")), "{err}");
    let gb_se_us =
        scalar(&data, "SELECT count(*) FROM events WHERE src_ip IN ('81.2.69.192', '216.160.83.56', '89.160.20.128')");
    assert_eq!(located(), gb_se_us);
    let (_, err) = run_ok(ipscope(&data).args(["--geoip", &test_geoip(), "enrich"]));
    assert!(err.contains("enriched 0 addresses"), "a second run has nothing left to do: {err}");

    // A Country database instead: cities disappear, countries stay, nothing is duplicated.
    let country = corpus("mmdb/test-data/GeoIP2-Country-Test.mmdb");
    let (_, err) = run_ok(ipscope(&data).arg("--geoip").arg(&country).args(["enrich", "--refresh"]));
    assert!(err.contains(&format!("re-enriched {sources} addresses")), "{err}");
    assert_eq!(scalar(&data, "SELECT count(*) FROM addresses"), sources);
    assert_eq!(scalar(&data, "SELECT count(*) FROM events_geo WHERE city IS NOT NULL"), 0);
    assert_eq!(located(), gb_se_us);
    assert_eq!(scalar(&data, "SELECT count(*) FROM events_geo"), scalar(&data, "SELECT count(*) FROM events"));
}

#[test]
fn home_networks_filter_every_report_and_fill_the_home_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[home]\nbredband = [\"89.160.0.0/16\"]\nlab = [\"89.160.20.0/24\"]\n").unwrap();
    let asa = corpus("asa/beats/non-canonical.log");
    run_ok(ipscope(&data).env("IPSCOPE_CONFIG", &cfg).arg("ingest").arg(&asa));
    assert_eq!(scalar(&data, "SELECT count(*) FROM addresses WHERE home_net = 'lab'"), 1);
    let all = scalar(&data, "SELECT count(*) FROM events");
    let home = scalar(&data, "SELECT count(*) FROM events WHERE src_ip LIKE '89.160.%'");
    assert!(home > 0 && home < all);
    let total = |flag: &str| -> i64 {
        let (csv, _) = run_ok(ipscope(&data).env("IPSCOPE_CONFIG", &cfg).args(["report", "daily", flag, "-o", "csv"]));
        csv_rows(&csv).iter().map(|r| r["events"].parse::<i64>().unwrap()).sum()
    };
    assert_eq!(total("--home-only"), home);
    assert_eq!(total("--external"), all - home);
    let out = ipscope(&data).args(["report", "daily", "--external"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("need home networks"));
}

#[test]
fn a_corrupt_geoip_database_stops_ingest_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bad = corpus("mmdb/bad-data/maxminddb-golang/cyclic-data-structure.mmdb");
    let out = ipscope(&data)
        .arg("--geoip")
        .arg(&bad)
        .arg("ingest")
        .arg(corpus("asa/beats/non-canonical.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cyclic-data-structure.mmdb"), "{err}");
    assert!(err.contains("--no-enrich"), "the error says how to go on without: {err}");
    assert!(!data.join("ipscope.duckdb").exists(), "nothing is stored with a broken database");
}

/// A store of an older ipscope is upgraded by the first command that opens it, which says so on
/// stderr (a large store's upgrade takes a while); a new store and an up-to-date one say nothing.
#[test]
fn the_first_open_of_an_older_store_says_it_upgrades_it_and_later_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    drop(ipscope_store::Store::create_at_version(&old, 7).unwrap());
    let (_, err) = run_ok(ipscope(&old).arg("status"));
    assert!(err.contains("upgrading") && err.contains("from schema 7 to "), "{err}");
    let (_, err) = run_ok(ipscope(&old).arg("status"));
    assert!(!err.contains("upgrad"), "{err}");
    let log = dir.path().join("auth.log");
    generate(&log, 100, 1);
    let (_, err) = run_ok(ipscope(&dir.path().join("new")).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("100 lines") && !err.contains("upgrad"), "{err}");
}
