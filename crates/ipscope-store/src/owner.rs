//! The owner file: while a long-running process (the daemon, `ipscope serve`) keeps the
//! database open for writing, no other process can open it at all (DuckDB's file lock). It
//! leaves `<data dir>/ipscope.serve` saying where it answers, so other commands go through it,
//! and beside it `ipscope.serve.key`, readable by its owner only: the key that lets a command
//! write through the daemon (whoever may read the data may read reports; only who may write the
//! data directory may write). What the files hold is the daemon's business (written by the
//! binary); this module only writes, reads and removes them, keeping every write under the data
//! directory in this crate.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The owner file's name inside the data directory.
pub const OWNER_FILE: &str = "ipscope.serve";
/// The key file's name (mode 0600).
pub const KEY_FILE: &str = "ipscope.serve.key";

/// Where the owner file of `data_dir` is.
pub fn owner_path(data_dir: &Path) -> PathBuf {
    data_dir.join(OWNER_FILE)
}

/// Writes the owner file (mode 0644) and the key file (mode 0600), replacing old ones.
pub fn write_owner(data_dir: &Path, contents: &[u8], key: &[u8]) -> io::Result<()> {
    write_mode(&data_dir.join(KEY_FILE), key, 0o600)?;
    write_mode(&owner_path(data_dir), contents, 0o644)
}

fn write_mode(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

fn read_if_there(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The owner file's text; `None` when there is none.
pub fn read_owner(data_dir: &Path) -> io::Result<Option<String>> {
    read_if_there(&owner_path(data_dir))
}

/// The key, when this user may read it.
pub fn read_key(data_dir: &Path) -> Option<String> {
    read_if_there(&data_dir.join(KEY_FILE)).ok().flatten().map(|k| k.trim().to_owned())
}

/// Removes both files (missing ones are fine).
pub fn remove_owner(data_dir: &Path) -> io::Result<()> {
    for name in [OWNER_FILE, KEY_FILE] {
        match std::fs::remove_file(data_dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}
