//! Inputs: expanding paths (files, directories, globs, `-`), opening them with transparent
//! gzip / zstd decompression (by magic bytes, not by name), and reading bounded lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use ipscope_store::FileId;

use crate::{IngestError, Result};

/// Decompressed bytes a compressed input may always produce: below this, no input is a bomb.
pub const BOMB_GRACE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest expansion (decompressed bytes per compressed byte read) of a compressed input past
/// [`BOMB_GRACE_BYTES`]. Real logs compress 3–30× (gzip -9 and zstd -19 --long on the corpus
/// and on generated logs of every format); a single brute-forcer repeating one line with only
/// the time and port changing reaches 360× with zstd. Zeros reach gzip's 1 032× and zstd's
/// tens of thousands: a small file that would expand into gigabytes is stopped here, with a
/// reason, instead of running for hours.
pub const MAX_EXPANSION_RATIO: u64 = 1000;

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

/// Wraps `raw` in a gzip or zstd decoder when its first bytes say so (by magic bytes, not name),
/// bounded by [`MAX_EXPANSION_RATIO`].
pub fn decompress(raw: Box<dyn Read + Send>, name: &str) -> Result<(Box<dyn BufRead + Send>, bool)> {
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let magic = buffered.fill_buf().map_err(|source| IngestError::Read { name: name.to_owned(), source })?;
    let gzip = magic.starts_with(&GZIP_MAGIC);
    if !gzip && !magic.starts_with(&ZSTD_MAGIC) {
        return Ok((Box::new(buffered), false));
    }
    let compressed = Arc::new(AtomicU64::new(0));
    let counted = Consumed { inner: buffered, n: Arc::clone(&compressed) };
    let dec: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(counted))
    } else {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(counted)
                .map_err(|source| IngestError::Read { name: name.to_owned(), source })?,
        )
    };
    Ok((Box::new(BufReader::with_capacity(256 * 1024, Bounded { inner: dec, compressed, out: 0 })), true))
}

/// Counts the bytes of a compressed stream its decoder has consumed (not what was read ahead).
struct Consumed<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: BufRead> Read for Consumed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

impl<R: BufRead> BufRead for Consumed<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// A decoder's output, stopped with [`Bomb`] when it expands beyond [`MAX_EXPANSION_RATIO`].
struct Bounded<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    out: u64,
}

/// Why a compressed input was stopped.
#[derive(Debug, thiserror::Error)]
#[error(
    "decompression stopped after {out} bytes from {compressed} compressed bytes: past the first \
     {} MiB it grew more than {MAX_EXPANSION_RATIO} times the compressed size (MAX_EXPANSION_RATIO), \
     so it is taken for a decompression bomb; if it is a real log, decompress it yourself and \
     ingest the plain file",
    BOMB_GRACE_BYTES >> 20
)]
pub struct Bomb {
    pub out: u64,
    pub compressed: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.out += k as u64;
        let compressed = self.compressed.load(Ordering::Relaxed);
        if self.out > BOMB_GRACE_BYTES && self.out > compressed.saturating_mul(MAX_EXPANSION_RATIO) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, Bomb { out: self.out, compressed }));
        }
        Ok(k)
    }
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

    /// Reads everything `decompress` gives for `bytes`: the decompressed length or the error.
    fn drain(bytes: Vec<u8>) -> io::Result<u64> {
        let (mut r, compressed) = decompress(Box::new(io::Cursor::new(bytes)), "test").map_err(io::Error::other)?;
        assert!(compressed);
        io::copy(&mut r, &mut io::sink())
    }

    fn bomb_size(e: &io::Error) -> Option<u64> {
        e.get_ref().and_then(|b| b.downcast_ref::<Bomb>()).map(|b| b.out)
    }

    #[test]
    fn a_gzip_bomb_is_stopped_by_the_expansion_limit() {
        // 256 MiB of zeros: deflate's best ratio (about 1 030:1), 250 KiB on disk.
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        io::copy(&mut io::repeat(0).take(256 << 20), &mut enc).unwrap_or_default();
        let gz = enc.finish().unwrap_or_default();
        let e = drain(gz).err().unwrap_or_else(|| io::Error::other("not stopped"));
        let out = bomb_size(&e).unwrap_or(u64::MAX);
        assert!(out > BOMB_GRACE_BYTES && out < BOMB_GRACE_BYTES + (8 << 20), "stopped at {out}: {e}");
        assert!(e.to_string().contains("MAX_EXPANSION_RATIO"), "{e}");
    }

    #[test]
    fn a_zstd_bomb_is_stopped_by_the_expansion_limit() {
        // 4 GiB of zeros in a few kilobytes: it would take minutes to read, not milliseconds.
        let zeros = io::repeat(0).take(4 << 30);
        let zst = zstd::stream::encode_all(zeros, 1).unwrap_or_default();
        assert!(zst.len() < 1 << 20, "{}", zst.len());
        let e = drain(zst).err().unwrap_or_else(|| io::Error::other("not stopped"));
        let out = bomb_size(&e).unwrap_or(u64::MAX);
        assert!(out > BOMB_GRACE_BYTES && out < BOMB_GRACE_BYTES + (8 << 20), "stopped at {out}: {e}");
    }

    #[test]
    fn a_very_repetitive_real_log_is_not_a_bomb() {
        // One brute-forcer, one line shape, only the time and the port change: the most
        // compressible log we know of (100:1 at zstd -9, 360:1 at -19 --long, which takes a
        // minute here), past the grace size.
        let mut log = Vec::new();
        let mut i = 0u64;
        while log.len() < (BOMB_GRACE_BYTES + (16 << 20)) as usize {
            log.extend_from_slice(
                format!(
                    "2026-11-30T01:{:02}:{:02}+00:00 web1 sshd[4242]: Failed password for root from 203.0.113.7 port {} ssh2\n",
                    i / 60 % 60,
                    i % 60,
                    40_000 + i % 20_000
                )
                .as_bytes(),
            );
            i += 1;
        }
        let zst = zstd::stream::encode_all(log.as_slice(), 9).unwrap_or_default();
        assert!(zst.len() * 50 < log.len(), "{} of {}", zst.len(), log.len());
        assert_eq!(drain(zst).ok(), Some(log.len() as u64));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        io::Write::write_all(&mut enc, &log).unwrap_or_default();
        assert_eq!(drain(enc.finish().unwrap_or_default()).ok(), Some(log.len() as u64));
    }
}
