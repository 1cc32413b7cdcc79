//! Benchmark of `ipscope serve` (numbers only, never pass/fail), run by `bench/serve.sh`:
//!
//! 1. follow lag: a file appended at 1 k, 10 k and 50 k lines/s while the daemon follows it;
//!    each line carries its sequence number (as the sshd pid, stored as `session`), the API is
//!    polled every 20 ms for the highest stored one, and each line's lag is the time from its
//!    write to the first poll that sees it (so lags include up to one poll interval);
//! 2. syslog over UDP: messages sent at increasing rates on loopback, stored vs sent;
//! 3. daemon RSS while following for a long time (`--long SECONDS`) at 20 k lines/s.
//!
//! Usage: serve IPSCOPE_BINARY WORKDIR [--long SECONDS] [--rates 1000,10000,50000] [--seconds S]

use std::io::Write;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Daemon {
    child: Child,
    url: String,
    info: serde_json::Value,
}

impl Daemon {
    fn start(bin: &Path, data: &Path, args: &[&str]) -> Res<Daemon> {
        let _ = std::fs::remove_file(data.join("ipscope.serve"));
        let child = Command::new(bin)
            .env("IPSCOPE_DATA", data)
            .env("IPSCOPE_CONFIG", "/dev/null")
            .env("IPSCOPE_TZ", "UTC")
            .env("IPSCOPE_GEOIP", data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(t) = std::fs::read_to_string(data.join("ipscope.serve"))
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
            {
                let url = v["url"].as_str().unwrap_or_default().to_owned();
                return Ok(Daemon { child, url, info: v });
            }
            if Instant::now() > deadline {
                return Err("daemon did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn sql(&self, agent: &ureq::Agent, q: &str) -> Res<String> {
        let mut r = agent.post(format!("{}/api/sql?format=csv", self.url)).send(q)?;
        Ok(r.body_mut().read_to_string()?)
    }

    fn scalar(&self, agent: &ureq::Agent, q: &str) -> Res<i64> {
        let t = self.sql(agent, q)?;
        Ok(t.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or(0))
    }

    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn line(seq: u64, t: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{} bench sshd[{seq}]: Failed password for root from 198.51.{}.{} port {} ssh2\n",
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00"),
        (seq / 250) % 250,
        seq % 250 + 1,
        1024 + seq % 60000
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Appends lines at `rate` per second for `secs`, in bursts every millisecond; returns the write
/// time of every line.
fn follow_lag(bin: &Path, work: &Path, rate: u64, secs: u64) -> Res<String> {
    let dir = work.join(format!("follow-{rate}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("auth.log");
    std::fs::File::create(&log)?;
    let data = dir.join("data");
    let d = Daemon::start(bin, &data, &["--follow", &log.display().to_string(), "--no-enrich"])?;
    let total = rate * secs;
    let written: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let writer = {
        let written = Arc::clone(&written);
        let log = log.clone();
        std::thread::spawn(move || -> Res<()> {
            let mut f = std::fs::OpenOptions::new().append(true).open(&log)?;
            let start = Instant::now();
            let mut seq = 1u64;
            let mut buf = String::new();
            while seq <= total {
                let due = (start.elapsed().as_secs_f64() * rate as f64) as u64 + 1;
                if seq > due {
                    std::thread::sleep(Duration::from_micros(500));
                    continue;
                }
                buf.clear();
                let now = chrono::Utc::now();
                let upto = due.min(total);
                let first = seq;
                while seq <= upto {
                    buf.push_str(&line(seq, now));
                    seq += 1;
                }
                f.write_all(buf.as_bytes())?;
                let t = Instant::now();
                let mut w = written.lock().map_err(|_| "poisoned")?;
                for _ in first..seq {
                    w.push(t);
                }
            }
            Ok(())
        })
    };
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut lags = Vec::with_capacity(total as usize);
    let mut seen = 0u64;
    let poll_start = Instant::now();
    while seen < total && poll_start.elapsed() < Duration::from_secs(secs + 60) {
        std::thread::sleep(Duration::from_millis(20));
        let m = d.scalar(&agent, "SELECT coalesce(max(CAST(session AS BIGINT)), 0) FROM events")? as u64;
        let now = Instant::now();
        if m > seen {
            let w = written.lock().map_err(|_| "poisoned")?;
            for s in seen..m.min(w.len() as u64) {
                lags.push(now.duration_since(w[s as usize]).as_secs_f64());
            }
            seen = m;
        }
    }
    writer.join().map_err(|_| "writer panicked")??;
    let rss = d.rss_kib();
    d.stop();
    lags.sort_by(f64::total_cmp);
    Ok(format!(
        "| {rate} | {total} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
        percentile(&lags, 0.5) * 1e3,
        percentile(&lags, 0.99) * 1e3,
        lags.last().copied().unwrap_or(f64::NAN) * 1e3,
        (total - seen.min(total)) as f64,
        rss as f64 / 1024.0
    ))
}

fn syslog_udp(bin: &Path, work: &Path, rate: u64, count: u64) -> Res<String> {
    let dir = work.join(format!("syslog-{rate}"));
    let _ = std::fs::remove_dir_all(&dir);
    let d = Daemon::start(bin, &dir.join("data"), &["--syslog-udp", "127.0.0.1:0", "--no-enrich"])?;
    let addr = d.info["syslog_udp"].as_str().ok_or("no udp address")?.to_owned();
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let start = Instant::now();
    for i in 0..count {
        let due = Duration::from_secs_f64(i as f64 / rate as f64);
        while start.elapsed() < due {
            std::hint::spin_loop();
        }
        let m = format!(
            "<38>Nov 30 10:00:00 gw sshd[{i}]: Failed password for root from 198.51.100.{} port 22 ssh2",
            i % 250 + 1
        );
        sock.send_to(m.as_bytes(), &addr)?;
    }
    let sent_secs = start.elapsed().as_secs_f64();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    // Stored once the count has not moved for 2 s (commits come every 0.5 s).
    let (mut stored, mut since) = (-1, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(120);
    while since.elapsed() < Duration::from_secs(2) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let n = d.scalar(&agent, "SELECT count(*) FROM events")?;
        if n != stored {
            (stored, since) = (n, Instant::now());
        }
    }
    // Where the rest went: the daemon's own count of drops, and the kernel's for UDP sockets.
    let mut metrics = agent.get(format!("{}/metrics", d.url)).call()?;
    let text = metrics.body_mut().read_to_string()?;
    let queue_full: f64 = text
        .lines()
        .filter(|l| l.starts_with("ipscope_syslog_dropped_total") && l.contains("queue_full"))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum();
    let received: f64 = text
        .lines()
        .filter(|l| l.starts_with("ipscope_syslog_messages_total"))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum();
    d.stop();
    Ok(format!(
        "| {rate} | {count} | {:.0} | {received:.0} | {} | {stored} | {} |",
        count as f64 / sent_secs,
        queue_full as u64,
        count as i64 - stored
    ))
}

fn long_run(bin: &Path, work: &Path, secs: u64) -> Res<String> {
    let dir = work.join("long");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("auth.log");
    std::fs::File::create(&log)?;
    let d = Daemon::start(bin, &dir.join("data"), &["--follow", &log.display().to_string(), "--no-enrich"])?;
    let rate = 20_000u64;
    let mut f = std::fs::OpenOptions::new().append(true).open(&log)?;
    let start = Instant::now();
    let mut seq = 1u64;
    let mut samples = Vec::new();
    let mut next_sample = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(secs) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64 + 1;
        let now = chrono::Utc::now();
        let mut buf = String::new();
        while seq <= due {
            buf.push_str(&line(seq, now));
            seq += 1;
        }
        f.write_all(buf.as_bytes())?;
        if start.elapsed() >= next_sample {
            samples.push((start.elapsed().as_secs(), seq - 1, d.rss_kib()));
            next_sample += Duration::from_secs((secs / 10).max(1));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    samples.push((start.elapsed().as_secs(), seq - 1, d.rss_kib()));
    d.stop();
    let rows: Vec<String> =
        samples.iter().map(|(t, n, rss)| format!("| {t} | {n} | {:.1} |", *rss as f64 / 1024.0)).collect();
    Ok(rows.join("\n"))
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin = PathBuf::from(args.get(1).ok_or("usage: serve IPSCOPE_BINARY WORKDIR [--long S] [--seconds S]")?);
    let work = PathBuf::from(args.get(2).ok_or("WORKDIR")?);
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let long: u64 = opt("--long").and_then(|s| s.parse().ok()).unwrap_or(300);
    let secs: u64 = opt("--seconds").and_then(|s| s.parse().ok()).unwrap_or(15);
    let rates: Vec<u64> =
        opt("--rates").unwrap_or_else(|| "1000,10000,50000".into()).split(',').filter_map(|r| r.parse().ok()).collect();
    std::fs::create_dir_all(&work)?;
    let only = opt("--only");
    let part = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let mut out = std::io::stdout().lock();
    if part("follow") {
        writeln!(out, "### Follow lag (append → queryable through the API, polled every 20 ms)\n")?;
        writeln!(out, "| lines/s | lines | p50 ms | p99 ms | max ms | not seen | daemon RSS MiB |")?;
        writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in &rates {
            writeln!(out, "{}", follow_lag(&bin, &work, *r, secs)?)?;
        }
    }
    if part("syslog") {
        writeln!(out, "\n### Syslog over UDP on loopback\n")?;
        writeln!(
            out,
            "| target msgs/s | sent | achieved msgs/s | received by the daemon | dropped: queue full | stored | lost |"
        )?;
        writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|")?;
        for r in [10_000u64, 25_000, 50_000, 100_000, 200_000] {
            writeln!(out, "{}", syslog_udp(&bin, &work, r, (r * 4).min(400_000))?)?;
        }
    }
    if part("long") {
        writeln!(out, "\n### Daemon RSS while following 20 k lines/s for {long} s\n")?;
        writeln!(out, "| s | lines written | RSS MiB |")?;
        writeln!(out, "|---:|---:|---:|")?;
        writeln!(out, "{}", long_run(&bin, &work, long)?)?;
    }
    Ok(())
}
