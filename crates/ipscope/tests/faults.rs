//! Faults: a full disk, a read-only data directory, damaged database files, two writers at
//! once, SIGKILL at random points, decompression bombs. Each ends with a clear error (exit 1,
//! never a panic) or with exact counts.
//!
//! The disk-full and read-only tests mount a small tmpfs, which needs root (CI runs as root):
//! without it the disk-full test fails saying so, and the read-only test falls back to a
//! mode-0555 directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod common;

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{generate, ipscope, kill_within, kinds, run_ok, scalar};

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// A tmpfs mounted at a directory for the test's lifetime.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir).status();
        assert!(ok.is_ok_and(|s| s.success()), "mount -t tmpfs failed (root is needed)");
        Tmpfs(dir.to_owned())
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount").args(["-o", &format!("remount,{opts}")]).arg(&self.0).status();
        assert!(ok.is_ok_and(|s| s.success()), "remount {opts} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failed command: exit status 1 (not a panic's 101, not a signal) and no panic message.
fn assert_clean_failure(what: &str, o: &Output) -> String {
    let err = stderr_of(o);
    assert_eq!(o.status.code(), Some(1), "{what}: {:?}\n{err}", o.status);
    assert!(!err.contains("panicked"), "{what}: {err}");
    err
}

/// Events stored and events the ledger says were committed: equal after any fault. The hourly
/// rollups, committed with each batch, count exactly the stored events too.
fn stored_and_ledger(data: &Path) -> (i64, i64) {
    let stored = scalar(data, "SELECT count(*) FROM events");
    let rolled = scalar(data, "SELECT coalesce(sum(events), 0)::BIGINT FROM rollup_hourly");
    assert_eq!(rolled, stored, "the rollups count other events than the store holds");
    (stored, scalar(data, "SELECT coalesce(sum(events), 0)::BIGINT FROM inputs"))
}

#[test]
fn disk_full_during_ingest_is_a_clear_error_and_a_rerun_after_freeing_space_counts_exactly() {
    // Not a skip: a full disk needs a small filesystem of its own, and that needs root.
    assert!(is_root(), "this test mounts a tmpfs to fill it: run the tests as root (.ci/run does)");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    generate(&log, 400_000, 21);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).arg("ingest").arg(&log));

    let disk = Tmpfs::mount(&dir.path().join("small"), "6m");
    let data = disk.0.join("data");
    let out = ipscope(&data)
        .args(["ingest", "--no-progress"])
        .arg(&log)
        .env("IPSCOPE_BATCH_EVENTS", "20000")
        .output()
        .unwrap();
    let err = assert_clean_failure("ingest on a full disk", &out);
    assert!(
        err.contains(&format!("no space left on the file system holding the data directory {}", data.display())),
        "{err}"
    );
    assert!(err.contains("free space and run the command again"), "{err}");

    // The store still opens, and holds exactly what its ledger says was committed.
    let (stored, ledger) = stored_and_ledger(&data);
    assert_eq!(stored, ledger);
    assert!(stored < scalar(&reference, "SELECT count(*) FROM events"));
    eprintln!("disk full: {stored} events stored before it, the error:\n{err}");

    disk.remount("size=256m");
    let (_, err) = run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains(if stored > 0 { "resumed" } else { "new" }), "{err}");
    assert_eq!(kinds(&data), kinds(&reference));
    assert_eq!(stored_and_ledger(&data), stored_and_ledger(&reference));
}

#[test]
fn a_read_only_data_directory_is_a_clear_error_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    generate(&log, 5_000, 22);
    let more = dir.path().join("more.log");
    generate(&more, 5_000, 23);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).arg("ingest").arg(&log).arg(&more));

    let disk = is_root().then(|| Tmpfs::mount(&dir.path().join("ro"), "64m"));
    let base = disk.as_ref().map_or_else(|| dir.path().join("ro"), |d| d.0.clone());
    let store = base.join("store");
    let empty = base.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    run_ok(ipscope(&store).arg("ingest").arg(&log));
    let before = kinds(&store);
    let files = |d: &Path| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    let store_files = files(&store);
    match &disk {
        Some(d) => d.remount("ro"),
        None => {
            use std::os::unix::fs::PermissionsExt;
            for d in [&base, &store, &empty] {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
            }
        }
    }
    let refusal = |err: &str| {
        if disk.is_some() {
            err.contains("is not writable (")
                && err.contains("Read-only file system")
                && err.contains("nothing was written")
        } else {
            err.contains("permission denied") || err.contains("Permission denied")
        }
    };

    for target in [base.join("new"), empty.clone(), store.clone()] {
        let out = ipscope(&target).args(["ingest", "--no-progress"]).arg(&more).output().unwrap();
        let err = assert_clean_failure("ingest into a read-only directory", &out);
        assert!(refusal(&err), "{}: {err}", target.display());
    }
    assert!(!base.join("new").exists());
    assert_eq!(files(&empty), 0);
    assert_eq!(files(&store), store_files, "a file appeared in the read-only store directory");
    // Reading still works, and the store is as it was.
    assert_eq!(kinds(&store), before);

    match &disk {
        Some(d) => d.remount("rw"),
        None => {
            use std::os::unix::fs::PermissionsExt;
            for d in [&base, &store, &empty] {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }
    assert_eq!(kinds(&store), before);
    run_ok(ipscope(&store).arg("ingest").arg(&more));
    assert_eq!(kinds(&store), kinds(&reference));
}

/// xorshift64*: the test's own deterministic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn damaged_database_files_are_clear_errors_never_panics_never_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    generate(&log, 100_000, 24);
    let small = dir.path().join("small.log");
    generate(&small, 2_000, 25);
    let good = dir.path().join("good");
    run_ok(ipscope(&good).arg("ingest").arg(&log));
    let total = scalar(&good, "SELECT count(*) FROM events");
    let top = run_ok(ipscope(&good).args(["report", "top-ips"])).0;
    let size = std::fs::metadata(good.join("ipscope.duckdb")).unwrap().len();
    let mut rng = Rng(0x5eed_1234);

    let mut damages: Vec<(String, Damage)> = vec![
        ("zero length".into(), Box::new(|p: &Path| std::fs::write(p, b"").unwrap())),
        ("truncated to half".into(), Box::new(move |p: &Path| truncate(p, size / 2))),
        ("truncated to 4 KiB".into(), Box::new(|p: &Path| truncate(p, 4096))),
        ("truncated by one byte".into(), Box::new(move |p: &Path| truncate(p, size - 1))),
    ];
    for at in [0, 4096, 8192] {
        let noise: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
        damages.push((format!("random bytes at {at}"), Box::new(move |p: &Path| overwrite(p, at, &noise))));
    }
    for _ in 0..6 {
        let at = rng.below(size / 4096) * 4096;
        let noise: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
        damages.push((format!("random bytes at block {at}"), Box::new(move |p: &Path| overwrite(p, at, &noise))));
    }

    for (what, damage) in &damages {
        let data = dir.path().join(format!("damaged-{}", what.replace(' ', "-")));
        copy_dir(&good, &data);
        damage(&data.join("ipscope.duckdb"));
        let run = |args: &[&str]| ipscope(&data).args(args).output().unwrap();
        let damaged = |o: &Output| {
            let err = assert_clean_failure(what, o);
            assert!(err.contains("is damaged (") && err.contains("restore it from a backup"), "{what}: {err}");
        };
        // Whatever works must give the true answer; whatever fails must say the file is damaged.
        let count = run(&["sql", "SELECT count(*) FROM events", "-o", "csv", "--no-header"]);
        if count.status.success() {
            assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), total.to_string(), "{what}");
        } else {
            damaged(&count);
        }
        let report = run(&["report", "top-ips"]);
        if report.status.success() {
            assert_eq!(String::from_utf8_lossy(&report.stdout), top, "{what}");
        } else {
            damaged(&report);
        }
        let ingest = ipscope(&data).args(["ingest", "--no-progress"]).arg(&small).output().unwrap();
        if ingest.status.success() {
            let after = run(&["sql", "SELECT count(*) FROM events", "-o", "csv", "--no-header"]);
            if after.status.success() {
                let n: i64 = String::from_utf8_lossy(&after.stdout).trim().parse().unwrap();
                assert!(n > total, "{what}: {n} events after adding to {total}");
            } else {
                damaged(&after);
            }
        } else {
            damaged(&ingest);
        }
    }
}

/// One way of damaging a database file.
type Damage = Box<dyn Fn(&Path)>;

fn truncate(p: &Path, len: u64) {
    std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(len).unwrap();
}

fn overwrite(p: &Path, at: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Spawns `ipscope ingest -vv` and waits until it has committed its first batch.
fn ingest_started(data: &Path, log: &Path) -> (std::process::Child, std::thread::JoinHandle<String>) {
    let mut child = ipscope(data)
        .args(["ingest", "-vv", "--no-progress"])
        .arg(log)
        .env("IPSCOPE_BATCH_EVENTS", "5000")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("batch committed") {
            break;
        }
    }
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    (child, rest)
}

#[test]
fn two_ingests_at_once_the_second_waits_and_counts_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    generate(&a, 300_000, 26);
    let b = dir.path().join("b.log");
    generate(&b, 20_000, 27);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).arg("ingest").arg(&a).arg(&b));
    let only_a = dir.path().join("only-a");
    run_ok(ipscope(&only_a).arg("ingest").arg(&a));

    // Two files: the second ingest waits for the first, then both are stored exactly once.
    let data = dir.path().join("data");
    let (mut first, first_err) = ingest_started(&data, &a);
    let pid = first.id();
    let impatient = ipscope(&data).args(["--lock-wait", "0", "sql", "SELECT 1"]).output().unwrap();
    let err = assert_clean_failure("a reader that does not wait", &impatient);
    assert!(err.contains(&format!("is in use by another process (pid {pid})")), "{err}");
    assert!(err.contains("gave up after waiting 0 s (--lock-wait)"), "{err}");
    let second = ipscope(&data).args(["ingest", "--no-progress"]).arg(&b).output().unwrap();
    let err = stderr_of(&second);
    assert!(second.status.success(), "{err}");
    assert!(err.contains(&format!("(pid {pid})")) && err.contains("waiting up to 60 s"), "{err}");
    assert!(first.wait().unwrap().success(), "{}", first_err.join().unwrap());
    assert_eq!(kinds(&data), kinds(&reference));
    assert_eq!(stored_and_ledger(&data), stored_and_ledger(&reference));

    // One file twice: the second finds it stored and adds nothing.
    let data = dir.path().join("same");
    let (mut first, _) = ingest_started(&data, &a);
    let second = ipscope(&data).args(["ingest", "--no-progress"]).arg(&a).output().unwrap();
    assert!(second.status.success(), "{}", stderr_of(&second));
    assert!(first.wait().unwrap().success());
    assert_eq!(kinds(&data), kinds(&only_a));
    assert_eq!(stored_and_ledger(&data), stored_and_ledger(&only_a));
}

#[test]
fn sigkill_at_20_random_points_of_one_long_ingest_counts_exactly_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("long.log");
    generate(&log, 1_000_000, 28);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).arg("ingest").arg(&log));
    let data = dir.path().join("data");
    let seed = 0x0dd_ba11;
    let mut rng = Rng(seed);
    let (mut kills, mut runs, mut rounds, mut seen) = (0, 0, 1, Vec::new());
    while kills < 20 {
        runs += 1;
        assert!(runs <= 60, "the ingest kept finishing before it was killed ({kills} kills in {runs} runs)");
        // A run moves on from where the last one got; one that finishes before its kill is
        // checked against the reference, and the ingest starts over from no store (so the test
        // does not depend on how fast this machine ingests).
        // Half early (start-up, opening, replaying the committed part), half well into the run.
        let delay = Duration::from_millis(if rng.below(2) == 0 { rng.below(30) } else { 30 + rng.below(270) });
        let mut child = ipscope(&data)
            .args(["ingest", "--no-progress"])
            .arg(&log)
            .env("IPSCOPE_BATCH_EVENTS", "2000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let killed = kill_within(&mut child, delay);
        if killed {
            kills += 1;
        }
        let status = child.wait().unwrap();
        assert!(
            status.success() || (killed && status.code().is_none()),
            "run {runs} (seed {seed:#x}, {delay:?}): {status:?}"
        );
        // After every kill: the store opens, and holds exactly what its ledger committed.
        if data.join("ipscope.duckdb").exists() {
            let (stored, ledger) = stored_and_ledger(&data);
            assert_eq!(stored, ledger, "after kill {kills} at {delay:?} (seed {seed:#x})");
            seen.push(format!("{}{}ms:{stored}", if killed { "" } else { "done " }, delay.as_millis()));
        } else {
            seen.push(format!("{}ms:no-file", delay.as_millis()));
        }
        if !killed {
            assert_eq!(kinds(&data), kinds(&reference), "round {rounds}");
            assert_eq!(stored_and_ledger(&data), stored_and_ledger(&reference));
            std::fs::remove_dir_all(&data).unwrap();
            rounds += 1;
        }
    }
    eprintln!("{kills} kills in {runs} runs, {rounds} ingests (delay:events stored after it): {}", seen.join(" "));
    let (_, err) = run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&log));
    assert!(err.contains("resumed") || err.contains("new"), "{err}");
    assert_eq!(kinds(&data), kinds(&reference));
    assert_eq!(stored_and_ledger(&data), stored_and_ledger(&reference));
}

#[test]
fn sigkill_while_the_store_is_being_created_leaves_nothing_that_blocks_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("auth.log");
    generate(&log, 2_000, 29);
    let reference = dir.path().join("reference");
    run_ok(ipscope(&reference).arg("ingest").arg(&log));
    // Creating the file, writing its header, the schema migration: the first milliseconds. A
    // kill between DuckDB creating the file and writing its header used to leave a zero-length
    // database that every later run refused as damaged (1 kill in 150 here).
    for micros in (0..20_000).step_by(500) {
        let data = dir.path().join(format!("early-{micros}"));
        let mut child = ipscope(&data)
            .args(["ingest", "--no-progress"])
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(micros));
        let _ = child.kill();
        let _ = child.wait();
        run_ok(ipscope(&data).args(["ingest", "--no-progress"]).arg(&log));
        assert_eq!(kinds(&data), kinds(&reference), "killed after {micros} µs");
    }
}

#[test]
fn decompression_bombs_are_stopped_by_the_named_limit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // 4 GiB of zeros as zstd (a few KiB) and 256 MiB as gzip (250 KiB).
    let zst = dir.path().join("bomb.log.zst");
    std::fs::write(&zst, zstd::stream::encode_all(std::io::repeat(0).take(4 << 30), 1).unwrap()).unwrap();
    let gz = dir.path().join("bomb.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::copy(&mut std::io::repeat(0).take(256 << 20), &mut enc).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    for bomb in [&zst, &gz] {
        let started = Instant::now();
        let out = ipscope(&data).args(["ingest", "--no-progress", "--format", "sshd"]).arg(bomb).output().unwrap();
        let err = assert_clean_failure("a decompression bomb", &out);
        assert!(err.contains("MAX_EXPANSION_RATIO") && err.contains("decompression bomb"), "{err}");
        assert!(err.contains(&bomb.display().to_string()), "{err}");
        assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    }
    assert_eq!(scalar(&data, "SELECT count(*) FROM events"), 0);
}
