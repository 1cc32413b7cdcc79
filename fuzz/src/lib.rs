//! What the fuzz targets share: a stream of lines through one parser, with the clock settings
//! taken from the input's first bytes so the zone and year rules are explored too.
//!
//! Input layout of the parser targets: byte 0 picks the zone and year rule (bit 6: the year
//! anchored from the stream's first and last lines, as `ipscope ingest` decides it for a plain
//! file, `ipscope_formats::year`), bytes 1–4 the stream's reference time (seconds after
//! 2020-09-13, up to 2156), the rest is the log, split at `\n` as the line reader does.
//! `fuzz/seed.sh` writes corpus files in this layout.

use ipscope_formats::{ClockConfig, FormatKind, LineOutcome, ParseOptions, YearRule, Zone, year};

/// Bytes before the log text in a parser target's input.
pub const HEADER: usize = 5;
/// Events kept before the output vector is cleared (memory stays flat on long inputs).
const MAX_PENDING: usize = 4096;

/// The clock settings byte 0 selects: zones with DST folds and gaps (Berlin, Lord Howe's
/// 30-minute shift), a fixed odd offset, UTC; the reference year or a fixed one.
fn clock(b: u8) -> ClockConfig {
    let zone = match b & 3 {
        0 => Zone::Utc,
        1 => Zone::Named(chrono_tz::Europe::Berlin),
        2 => Zone::Named(chrono_tz::Australia::Lord_Howe),
        _ => Zone::Fixed(chrono::FixedOffset::east_opt(5 * 3600 + 45 * 60).expect("+05:45 is an offset")),
    };
    let year = if b & 4 == 0 { YearRule::Reference } else { YearRule::Fixed(1970 + i32::from(b >> 3) * 4) };
    ClockConfig { zone, year }
}

/// Feeds `data` to a fresh parser of `kind`, line by line, and checks what every parser
/// promises: it never panics, and `Events(n)` means exactly `n` events were pushed while an
/// ignored or rejected line pushes none.
pub fn parse_stream(kind: FormatKind, data: &[u8]) {
    let Some((head, log)) = data.split_at_checked(HEADER) else { return };
    let reference_secs = 1_600_000_000 + i64::from(u32::from_le_bytes([head[1], head[2], head[3], head[4]]));
    let reference = reference_secs * 1_000_000;
    let mut cfg = clock(head[0]);
    if head[0] & 0x40 != 0 {
        // The whole log is both the head and the tail window of a small plain file.
        let mut whole = vec![b'\n'];
        whole.extend_from_slice(log);
        let (first, last) = (year::window_lines(log, false), year::window_lines(&whole, true));
        if let Some(y) = year::tail_anchor(kind, &cfg, reference, &first, &last) {
            cfg.year = YearRule::Anchored(y);
        }
    }
    let opts = ParseOptions { clock: cfg, delimiter: if head[0] & 0x80 == 0 { b'|' } else { b';' } };
    let mut parser = ipscope_formats::new_parser(kind, &opts, reference);
    let mut out = Vec::new();
    for line in log.split(|b| *b == b'\n') {
        let before = out.len();
        match parser.parse_line(line, &mut out) {
            LineOutcome::Events(n) => {
                assert_eq!(out.len() - before, n, "Events({n}) but {} pushed", out.len() - before)
            }
            LineOutcome::Ignored(_) | LineOutcome::Rejected(_) => {
                assert_eq!(out.len(), before, "events from a line not counted")
            }
        }
        if out.len() > MAX_PENDING {
            out.clear();
        }
    }
}
