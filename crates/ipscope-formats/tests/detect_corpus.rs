//! Auto-detection over every log file of the corpus: each is recognised as its own format, and
//! files that are not logs of a supported format are not claimed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use ipscope_formats::{FormatKind, detect};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// What ingest does: the first lines of the first 64 KiB, blank lines dropped.
fn detect_file(path: &Path) -> Option<FormatKind> {
    let bytes = std::fs::read(path).unwrap();
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(20)
        .collect();
    detect(&lines)
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { files(&p, out) } else { out.push(p) }
    }
}

/// The expected format of a corpus file, by where it lives.
fn expected(rel: &str) -> Option<FormatKind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match rel.split('/').next() {
        Some("openssh") if name.ends_with(".csv") => None, // loghub's parsed CSV, not a log
        Some("openssh") => Some(FormatKind::Sshd),
        Some("cowrie") => Some(FormatKind::Cowrie),
        Some("zeek") if name.starts_with("conn") => Some(FormatKind::ZeekConn),
        Some("zeek") => None, // http.log.json: another Zeek log
        Some("intelmq") if rel.starts_with("intelmq/events/") => Some(FormatKind::Intelmq),
        Some("intelmq") if rel.starts_with("intelmq/shadowserver/") => Some(FormatKind::Shadowserver),
        Some("intelmq") => None, // harmonization.conf
        Some("asa") => Some(FormatKind::Asa),
        _ => None,
    }
}

#[test]
fn every_corpus_log_is_detected_as_its_format() {
    let root = corpus();
    let mut all = Vec::new();
    for dir in ["openssh", "cowrie", "zeek", "intelmq", "asa"] {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 30, "corpus not found at {}", root.display());
    let mut wrong = Vec::new();
    for f in &all {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let got = detect_file(f);
        if got != expected(&rel) {
            wrong.push(format!("{rel}: detected {got:?}, expected {:?}", expected(&rel)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
