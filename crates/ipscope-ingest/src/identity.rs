//! Which recorded input a stream continues, if any.
//!
//! The ledger offers every input whose identity window (the first up to 64 KiB) is a prefix of
//! the stream's head. For a stream that is not a plain file (stdin, a compressed file) the head
//! is all we have: the record last read from the same path wins, then the furthest. A plain file
//! can say more, and must, because two files may well start with the same lines (a Zeek log's
//! header, a short log): a record is the same input only if the file still holds that record's
//! last consumed line at the recorded offset (the *mark*). Then a grown file, a renamed one and a
//! copy (`copytruncate`, `cp`) all continue the record, and a different file, a truncated one or a
//! new file that reuses an old inode does not. Among several, the same device+inode wins, then the
//! same path, then the furthest.

use std::path::Path;

use ipscope_store::{FileId, InputRecord, head_hash, pick_by_head};

/// A plain file's view of itself: where it is and which file it is.
pub struct FileView<'a> {
    pub path: &'a Path,
    pub id: Option<FileId>,
    pub size: u64,
}

/// Picks the record `candidates` (from `Backend::find_inputs`) that the stream named `name`
/// continues. `file` is given for plain (uncompressed) regular files.
pub fn choose(candidates: Vec<InputRecord>, name: &str, file: Option<&FileView<'_>>) -> Option<InputRecord> {
    let Some(file) = file else {
        return pick_by_head(candidates, name);
    };
    let mut best: Option<(u8, InputRecord)> = None;
    for rec in candidates {
        if !same_content(&rec, file) {
            continue;
        }
        let rank = match (rec.file.is_some() && rec.file == file.id, rec.path == name) {
            (true, _) => 2,
            (false, true) => 1,
            (false, false) => 0,
        };
        // Candidates come furthest first: keep the first of the best rank.
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((rank, rec));
        }
    }
    best.map(|(_, rec)| rec)
}

/// Whether the file still holds what `rec` consumed: it is long enough, and the recorded last
/// line sits where it was. A record without a mark (written before marks existed, or whose last
/// line was too long to keep) is judged by its head, like a stream.
fn same_content(rec: &InputRecord, file: &FileView<'_>) -> bool {
    if file.size < rec.bytes {
        return false;
    }
    if rec.mark_len == 0 || rec.mark_len > rec.bytes {
        return true;
    }
    match crate::source::read_at(file.path, rec.bytes - rec.mark_len, rec.mark_len as usize) {
        Ok(Some(window)) => head_hash(&window) == rec.mark_hash,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn record(id: i32, path: &str, content: &[u8], bytes: usize, file: Option<FileId>) -> InputRecord {
        let start = content[..bytes - 1].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        InputRecord {
            id,
            path: path.into(),
            format: "sshd".into(),
            head_len: bytes as u64,
            head_hash: head_hash(&content[..bytes]),
            bytes: bytes as u64,
            lines: 1,
            events: 1,
            ignored: 0,
            rejected: 0,
            mark_len: (bytes - start) as u64,
            mark_hash: head_hash(&content[start..bytes]),
            file,
            cursor: None,
            year_anchor: None,
        }
    }

    #[test]
    fn a_file_continues_the_record_whose_last_line_it_still_holds() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("a.log");
        let content = b"header\nline one\nline two\n";
        let mut f = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
        f.write_all(content).unwrap_or_else(|e| panic!("{e}"));
        let view = FileView { path: &path, id: None, size: content.len() as u64 };
        // Consumed up to "line one\n": the file holds that line there → same input.
        let rec = record(1, "a.log", content, 16, None);
        assert_eq!(choose(vec![rec], "a.log", Some(&view)).map(|r| r.id), Some(1));
        // A file that starts with the same header but went on differently is another input.
        let other = b"header\nline XXX\n";
        let rec = record(2, "b.log", other, other.len(), None);
        assert!(choose(vec![rec], "a.log", Some(&view)).is_none());
        // A record that consumed more than the file holds (truncated since) is not it.
        let longer = b"header\nline one\nline two\nline three\n";
        let rec = record(3, "a.log", longer, longer.len(), None);
        assert!(choose(vec![rec], "a.log", Some(&view)).is_none());
        // The same device+inode wins over the same path.
        let id = Some(FileId { dev: 1, inode: 7 });
        let view = FileView { path: &path, id, size: content.len() as u64 };
        let by_path = record(4, "a.log", content, 16, None);
        let by_inode = record(5, "old-name.log", content, 16, id);
        assert_eq!(choose(vec![by_path, by_inode], "a.log", Some(&view)).map(|r| r.id), Some(5));
    }
}
