//! What went wrong with the database file, in words a user can act on.
//!
//! DuckDB reports file-system trouble as text, without an errno; [`classify`] reads that text
//! into [`StoreError::DiskFull`], [`StoreError::NotWritable`], [`StoreError::Permission`],
//! [`StoreError::Locked`] and [`StoreError::Damaged`], each of which names the data directory
//! or the file and says what to do. Anything else is left as it was.

use std::path::{Path, PathBuf};

use crate::StoreError;

/// DuckDB's words for a database file that is not what it should be: not a database at all
/// (zero length, overwritten header), shorter than its own metadata says (truncated), or a
/// block whose checksum does not match (overwritten or bit-rotted).
const DAMAGE: &[&str] = &[
    "not a valid DuckDB database file",
    "Could not read enough bytes",
    "Corrupt database file",
    "Data Corruption Error",
    "database file is corrupted",
    "Serialization Error",
];

/// The text of the DuckDB error inside `e`, if it holds one.
fn duckdb_text(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Db(d)
        | StoreError::Query { source: d }
        | StoreError::Open { source: d, .. }
        | StoreError::Migration { source: d, .. } => Some(d.to_string()),
        _ => None,
    }
}

/// `e`, made specific when its text says the disk is full, the directory is read-only or not
/// ours, another process holds the file, or the file is damaged. `db` is the database file.
pub(crate) fn classify(e: StoreError, db: Option<&Path>) -> StoreError {
    let (Some(db), Some(text)) = (db, duckdb_text(&e)) else { return e };
    let dir = db.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    // DuckDB repeats the message with its error code on a second line; one line is enough.
    let detail = text.lines().next().unwrap_or_default().trim().to_owned();
    if text.contains("No space left on device") || text.contains("Disk quota exceeded") {
        StoreError::DiskFull { dir, detail }
    } else if text.contains("Could not set lock on file") {
        StoreError::Locked { path: db.to_owned(), holder: lock_holder(&text) }
    } else if text.contains("Read-only file system") {
        StoreError::NotWritable { dir, detail }
    } else if text.contains("Permission denied") {
        StoreError::Permission { path: db.to_owned(), detail }
    } else if DAMAGE.iter().any(|d| text.contains(d)) {
        StoreError::Damaged { path: db.to_owned(), detail }
    } else {
        e
    }
}

/// `PID 123` and the program from DuckDB's "Conflicting lock is held in PROGRAM (PID 123)".
fn lock_holder(text: &str) -> String {
    let pid = text.split("(PID ").nth(1).map(|r| r.chars().take_while(char::is_ascii_digit).collect::<String>());
    match pid {
        Some(p) if !p.is_empty() => format!(" (pid {p})"),
        _ => String::new(),
    }
}

/// The pid in a [`StoreError::Locked`]'s holder text, for waiting on it.
pub fn locked_by(e: &StoreError) -> Option<u32> {
    match e {
        StoreError::Locked { holder, .. } => {
            holder.trim().strip_prefix("(pid ").and_then(|r| r.strip_suffix(')')).and_then(|p| p.parse().ok())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_error(msg: &str) -> StoreError {
        StoreError::Db(duckdb::Error::DuckDBFailure(duckdb::ffi::Error::new(1), Some(msg.to_owned())))
    }

    #[test]
    fn duckdb_messages_become_errors_that_say_what_to_do() {
        let db = Path::new("/srv/ipscope/ipscope.duckdb");
        let e = classify(
            query_error(
                "TransactionContext Error: Failed to commit: Could not write file \"/srv/ipscope/ipscope.duckdb.wal\": No space left on device",
            ),
            Some(db),
        );
        assert!(matches!(&e, StoreError::DiskFull { dir, .. } if dir == Path::new("/srv/ipscope")), "{e}");
        assert!(e.to_string().contains("data directory /srv/ipscope"), "{e}");
        let e = classify(
            query_error(
                "IO Error: Could not set lock on file \"/srv/ipscope/ipscope.duckdb\": Conflicting lock is held in /usr/bin/ipscope (PID 16754). See also https://duckdb.org/docs/current/connect/concurrency",
            ),
            Some(db),
        );
        assert_eq!(locked_by(&e), Some(16754), "{e}");
        assert!(e.to_string().contains("pid 16754"), "{e}");
        let e = classify(query_error("IO Error: Cannot open file \"x\": Read-only file system"), Some(db));
        assert!(matches!(e, StoreError::NotWritable { .. }), "{e}");
        for damage in [
            "IO Error: The file \"x\" exists, but it is not a valid DuckDB database file!",
            "IO Error: Could not read enough bytes from file \"x\": attempted to read 4096 bytes from location 4096",
            "Data Corruption Error: Corrupt database file: computed checksum 1 does not match stored checksum 2",
        ] {
            let e = classify(query_error(damage), Some(db));
            assert!(matches!(e, StoreError::Damaged { .. }), "{e}");
            assert!(e.to_string().contains("backup"), "{e}");
        }
        let e = classify(query_error("Binder Error: column x not found"), Some(db));
        assert!(matches!(e, StoreError::Db(_)), "{e}");
        // In memory: nothing to name.
        let e = classify(query_error("No space left on device"), None);
        assert!(matches!(e, StoreError::Db(_)), "{e}");
    }
}
