//! Records the git commit the binary is built from (`ipscope --version`, `ipscope_build_info`).

use std::path::Path;
use std::process::Command;

/// `git ARGS` in this crate's directory, trimmed; `None` outside a checkout or without git.
fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=IPSCOPE_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves (a checkout: HEAD; a commit: the branch it names), not on every
    // build. `--git-path` finds them in a worktree too (its HEAD is under .git/worktrees/NAME).
    // A path that does not exist would make cargo run this script on every build: skipped.
    println!("cargo:rerun-if-changed=build.rs");
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "packed-refs"].into_iter().map(str::to_owned).chain(branch) {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]).filter(|p| Path::new(p).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
