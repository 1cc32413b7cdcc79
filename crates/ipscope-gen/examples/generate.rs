//! Generate a corpus to stdout and report the ground truth and speed on stderr.
//!
//! `cargo run --release -p ipscope-gen --example generate -- [FORMAT] LINES [SEED] [DAYS] > out.log`
//!
//! FORMAT is one of `sshd` (default), `sshd3339`, `iptracking`, `cowrie`, `zeek_conn`, `asa`,
//! `intelmq`. Use `> /dev/null` to measure generation speed alone.
#![allow(clippy::print_stderr)]

use std::io;
use std::process::ExitCode;
use std::time::Instant;

use ipscope_gen::{GenConfig, GenFormat, write};

fn main() -> io::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|s| s.replace('_', "").parse().ok()).unwrap_or(default);
    let format: GenFormat = match args.first().map_or("sshd", String::as_str).parse() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let cfg = GenConfig {
        lines: arg(1, 50_000),
        seed: arg(2, 1),
        days: u32::try_from(arg(3, 7)).unwrap_or(7),
        ..GenConfig::default()
    };
    let out = io::stdout().lock();
    let started = Instant::now();
    let truth = write(format, &cfg, out)?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!("{truth:#?}");
    eprintln!("{} lines in {secs:.3} s = {:.0} lines/s", truth.lines, truth.lines as f64 / secs);
    Ok(ExitCode::SUCCESS)
}
