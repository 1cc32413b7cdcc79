//! Inputs: expanding paths (files, directories, globs, `-`), opening them with transparent
//! gzip / zstd decompression (by magic bytes, not by name), and reading bounded lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ipscope_store::FileId;

use crate::{IngestError, Result};

/// Longest line we keep. Logs are hostile input: a longer line is cut here, reported as
/// rejected ("line too long"), and reading resumes at the next newline.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    Stdin,
    File(PathBuf),
}

impl InputSpec {
    pub fn name(&self) -> String {
        match self {
            InputSpec::Stdin => "-".to_owned(),
            InputSpec::File(p) => p.display().to_string(),
        }
    }
}

/// Expands the command line's paths: `-` is stdin, a directory is its regular files (sorted,
/// not recursive, hidden files skipped), anything with glob characters is a pattern.
pub fn expand(paths: &[String]) -> Result<Vec<InputSpec>> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(InputSpec::Stdin);
            continue;
        }
        let path = PathBuf::from(p);
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|source| IngestError::ListDir { path: p.clone(), source })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && !f.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(InputSpec::File));
        } else if path.exists() {
            out.push(InputSpec::File(path));
        } else if p.contains(['*', '?', '[']) {
            let matched = glob_files(p)?;
            if matched.is_empty() {
                return Err(IngestError::NoMatch { pattern: p.clone() });
            }
            out.extend(matched.into_iter().map(InputSpec::File));
        } else {
            return Err(IngestError::NotFound { path: p.clone() });
        }
    }
    Ok(out)
}

/// The regular files a glob pattern matches now, sorted.
pub fn glob_files(pattern: &str) -> Result<Vec<PathBuf>> {
    let mut matched: Vec<PathBuf> = glob::glob(pattern)
        .map_err(|e| IngestError::Glob { pattern: pattern.to_owned(), reason: e.to_string() })?
        .filter_map(|r| r.ok())
        .filter(|f| f.is_file())
        .collect();
    matched.sort();
    Ok(matched)
}

/// The device and inode of an open file (what a follower tracks across renames).
#[cfg(unix)]
pub fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId { dev: meta.dev(), inode: meta.ino() })
}

#[cfg(not(unix))]
pub fn file_id(_meta: &std::fs::Metadata) -> Option<FileId> {
    None
}

/// Whether `bytes` start with the magic number of a compression format we read.
pub fn is_compressed(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC) || bytes.starts_with(&ZSTD_MAGIC)
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Reads exactly `len` bytes at `offset` of the file at `path` (`None` when it is shorter).
pub fn read_at(path: &Path, offset: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0; len];
    match f.read_exact(&mut buf) {
        Ok(()) => Ok(Some(buf)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// An opened input.
pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    /// Size on disk (compressed size for compressed files), for progress.
    pub size: Option<u64>,
    pub compressed: bool,
    pub mtime: Option<SystemTime>,
    /// Which file, for regular files.
    pub file: Option<FileId>,
}

pub fn open(spec: &InputSpec) -> Result<Opened> {
    let name = spec.name();
    let (raw, size, mtime, file): (Box<dyn Read + Send>, _, _, _) = match spec {
        InputSpec::Stdin => (Box::new(io::stdin()), None, None, None),
        InputSpec::File(p) => {
            let f = File::open(p).map_err(|source| IngestError::Open { name: name.clone(), source })?;
            let meta = f.metadata().ok();
            let file = meta.as_ref().and_then(file_id);
            (Box::new(f), meta.as_ref().map(|m| m.len()), meta.and_then(|m| m.modified().ok()), file)
        }
    };
    let (reader, compressed) = decompress(raw, &name)?;
    Ok(Opened { reader, size, compressed, mtime, file })
}

/// Wraps `raw` in a gzip or zstd decoder when its first bytes say so (by magic bytes, not name).
pub fn decompress(raw: Box<dyn Read + Send>, name: &str) -> Result<(Box<dyn BufRead + Send>, bool)> {
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let magic = buffered.fill_buf().map_err(|source| IngestError::Read { name: name.to_owned(), source })?;
    Ok(if magic.starts_with(&GZIP_MAGIC) {
        (Box::new(BufReader::with_capacity(256 * 1024, flate2::bufread::MultiGzDecoder::new(buffered))), true)
    } else if magic.starts_with(&ZSTD_MAGIC) {
        let dec = zstd::stream::read::Decoder::with_buffer(buffered)
            .map_err(|source| IngestError::Read { name: name.to_owned(), source })?;
        (Box::new(BufReader::with_capacity(256 * 1024, dec)), true)
    } else {
        (Box::new(buffered), false)
    })
}

/// Reads lines of at most [`MAX_LINE_BYTES`], without the `\n` terminator.
pub struct LineReader<R> {
    inner: R,
    /// Bytes consumed so far, including terminators.
    pub offset: u64,
}

/// One line read.
pub struct Line {
    /// Offset just past this line (and its terminator).
    pub end: u64,
    /// Whether the line was longer than [`MAX_LINE_BYTES`] and got cut.
    pub truncated: bool,
    /// Whether a `\n` ended it (only the last line of a stream may lack one).
    pub terminated: bool,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner, offset: 0 }
    }

    /// Reads the next line into `buf` (cleared first). `None` at end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<Line>> {
        buf.clear();
        let mut truncated = false;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(any.then_some(Line { end: self.offset, truncated, terminated: false }));
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let content = if done { &chunk[..take - 1] } else { chunk };
            let room = MAX_LINE_BYTES.saturating_sub(buf.len());
            if content.len() > room {
                truncated = true;
            }
            buf.extend_from_slice(&content[..content.len().min(room)]);
            self.inner.consume(take);
            self.offset += take as u64;
            if done {
                return Ok(Some(Line { end: self.offset, truncated, terminated: true }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_with_offsets_and_limits() {
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut data = b"a\r\nbb\n".to_vec();
        data.extend_from_slice(&long);
        data.extend_from_slice(b"\nlast");
        let mut r = LineReader::new(io::Cursor::new(data));
        let mut buf = Vec::new();
        let l = r.next_line(&mut buf).ok().flatten();
        assert_eq!((buf.as_slice(), l.map(|l| l.end)), (&b"a\r"[..], Some(3)));
        let l = r.next_line(&mut buf).ok().flatten();
        assert_eq!((buf.as_slice(), l.map(|l| l.end)), (&b"bb"[..], Some(6)));
        let l = r.next_line(&mut buf).ok().flatten();
        assert_eq!(buf.len(), MAX_LINE_BYTES);
        assert!(l.is_some_and(|l| l.truncated));
        let l = r.next_line(&mut buf).ok().flatten();
        assert_eq!(buf.as_slice(), b"last");
        assert!(l.is_some_and(|l| !l.truncated));
        assert!(r.next_line(&mut buf).ok().flatten().is_none());
    }
}
