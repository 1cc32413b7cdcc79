//! What the Debian package ships, checked from the sources: `--version` with the commit, the
//! man pages and completions `ipscope generate` makes from the CLI definition, the system user
//! and the package's assets. (`.ci/run` builds the package itself, installs it with `dpkg -i`
//! and runs the installed binary: `packaging/deb.sh`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{ipscope, run_ok};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Every subcommand name, from `ipscope --help`.
fn subcommands(data: &Path) -> Vec<String> {
    let (help, _) = run_ok(ipscope(data).arg("--help"));
    let mut names = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            match line.strip_prefix("  ").and_then(|l| l.split_whitespace().next()) {
                Some(name) if !line.starts_with("   ") => names.push(name.to_owned()),
                _ if line.trim().is_empty() => break,
                _ => {}
            }
        }
    }
    names.retain(|n| n != "help");
    assert!(names.len() >= 10, "{names:?}\n{help}");
    names
}

#[test]
fn version_names_the_version_and_the_git_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run_ok(ipscope(dir.path()).arg("--version"));
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    assert_eq!(out.trim(), format!("ipscope {} (commit {commit})", env!("CARGO_PKG_VERSION")));
}

#[test]
fn man_pages_and_completions_cover_every_command_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let names = subcommands(dir.path());
    let (man, _) = run_ok(ipscope(dir.path()).args(["generate", "man"]));
    assert!(man.starts_with(".ie \\n(.g") && man.contains(".TH ipscope 1"), "{man}");
    for n in &names {
        assert!(man.contains(&format!("ipscope\\-{}", n.replace('-', "\\-"))), "man page lacks {n}");
    }
    let pages = dir.path().join("man");
    run_ok(ipscope(dir.path()).args(["generate", "man", "--dir"]).arg(&pages));
    for n in &names {
        let page = std::fs::read_to_string(pages.join(format!("ipscope-{n}.1"))).unwrap();
        assert!(page.contains(&format!(".TH ipscope-{n} 1")), "{n}: {page}");
    }
    let ingest = std::fs::read_to_string(pages.join("ipscope-ingest.1")).unwrap();
    assert!(ingest.contains("IPSCOPE_NO_ENRICH"), "env twins are documented: {ingest}");

    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (script, _) = run_ok(ipscope(dir.path()).args(["generate", shell]));
        for n in &names {
            assert!(script.contains(n.as_str()), "{shell} completion lacks {n}");
        }
        for flag in ["lock-wait", "no-formula-guard", "follow-format", "chart-type"] {
            assert!(script.contains(flag), "{shell} completion lacks --{flag}");
        }
    }
    // bash parses its completion script.
    let (bash, _) = run_ok(ipscope(dir.path()).args(["generate", "bash"]));
    let file = dir.path().join("ipscope.bash");
    std::fs::write(&file, bash).unwrap();
    let ok = Command::new("bash").arg("-n").arg(&file).status().unwrap();
    assert!(ok.success());
}

#[test]
fn the_package_metadata_names_files_that_exist_and_a_valid_system_user() {
    let manifest = std::fs::read_to_string(root().join("crates/ipscope/Cargo.toml")).unwrap();
    let deb = manifest.split("[package.metadata.deb]").nth(1).expect("no [package.metadata.deb]");
    for asset in ["../../packaging/config.toml", "../../README.md"] {
        assert!(deb.contains(asset), "{asset} not packaged");
        assert!(root().join("crates/ipscope").join(asset).exists(), "{asset} missing");
    }
    for generated in ["packaging/man/*.1.gz", "completions/ipscope\"", "completions/_ipscope", "ipscope.fish"] {
        assert!(deb.contains(generated), "{generated} not packaged");
    }
    for unit in ["ipscope.service", "ipscope.sysusers"] {
        assert!(root().join("packaging").join(unit).exists(), "packaging/{unit} missing");
    }
    // systemd-sysusers reads the user definition (into a scratch root, not this machine's).
    if Command::new("systemd-sysusers").arg("--version").output().is_ok() {
        let scratch = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(scratch.path().join("etc")).unwrap();
        let out = Command::new("systemd-sysusers")
            .arg(format!("--root={}", scratch.path().display()))
            .arg(root().join("packaging/ipscope.sysusers"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let passwd = std::fs::read_to_string(scratch.path().join("etc/passwd")).unwrap();
        assert!(passwd.contains(":ipscope daemon:/var/lib/ipscope:/usr/sbin/nologin"), "{passwd}");
    }
    // The unit runs as that user and reads the packaged config.
    let unit = std::fs::read_to_string(root().join("packaging/ipscope.service")).unwrap();
    assert!(unit.contains("User=ipscope") && unit.contains("--config /etc/ipscope/config.toml"), "{unit}");
}
