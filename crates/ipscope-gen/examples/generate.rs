//! Generate a corpus to stdout and report the ground truth and speed on stderr.
//!
//! `cargo run --release -p ipscope-gen --example generate -- [sshd|iptracking|sshd3339] LINES [SEED] [DAYS] > out.log`
//! (use `> /dev/null` to measure generation speed alone).
#![allow(clippy::print_stderr)]

use std::io;
use std::time::Instant;

use ipscope_gen::{SshConfig, TimestampStyle, write_iptracking, write_sshd};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|s| s.replace('_', "").parse().ok()).unwrap_or(default);
    let format = args.first().map_or("sshd", String::as_str);
    let cfg = SshConfig {
        lines: arg(1, 50_000),
        seed: arg(2, 1),
        days: u32::try_from(arg(3, 7)).unwrap_or(7),
        style: if format == "sshd3339" { TimestampStyle::Rfc3339 } else { TimestampStyle::Rfc3164 },
        ..SshConfig::default()
    };
    let out = io::stdout().lock();
    let started = Instant::now();
    let truth = if format == "iptracking" { write_iptracking(&cfg, b'|', out)? } else { write_sshd(&cfg, out)? };
    let secs = started.elapsed().as_secs_f64();
    eprintln!("{truth:#?}");
    eprintln!("{} lines in {secs:.3} s = {:.0} lines/s", truth.lines, truth.lines as f64 / secs);
    Ok(())
}
