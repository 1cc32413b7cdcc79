//! Inputs: expanding paths (files, directories, globs, `-`), opening them with transparent
//! gzip / zstd decompression (by magic bytes, not by name), and reading bounded lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

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
                .with_context(|| format!("cannot list directory {p}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && !f.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(InputSpec::File));
        } else if path.exists() {
            out.push(InputSpec::File(path));
        } else if p.contains(['*', '?', '[']) {
            let mut matched: Vec<PathBuf> = glob::glob(p)
                .with_context(|| format!("bad glob pattern {p}"))?
                .filter_map(|r| r.ok())
                .filter(|f| f.is_file())
                .collect();
            if matched.is_empty() {
                bail!("{p}: no file matches this pattern");
            }
            matched.sort();
            out.extend(matched.into_iter().map(InputSpec::File));
        } else {
            bail!("{p}: no such file or directory");
        }
    }
    Ok(out)
}

/// An opened input.
pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    /// Size on disk (compressed size for compressed files), for progress.
    pub size: Option<u64>,
    pub compressed: bool,
    pub mtime: Option<SystemTime>,
}

pub fn open(spec: &InputSpec) -> Result<Opened> {
    let (raw, size, mtime): (Box<dyn Read + Send>, _, _) = match spec {
        InputSpec::Stdin => (Box::new(io::stdin()), None, None),
        InputSpec::File(p) => {
            let f = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            let meta = f.metadata().ok();
            (Box::new(f), meta.as_ref().map(|m| m.len()), meta.and_then(|m| m.modified().ok()))
        }
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let magic = buffered.fill_buf().with_context(|| format!("cannot read {}", spec.name()))?;
    let (reader, compressed): (Box<dyn BufRead + Send>, bool) = if magic.starts_with(&[0x1f, 0x8b]) {
        (Box::new(BufReader::with_capacity(256 * 1024, flate2::bufread::MultiGzDecoder::new(buffered))), true)
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = zstd::stream::read::Decoder::with_buffer(buffered)
            .with_context(|| format!("cannot start zstd decoder for {}", spec.name()))?;
        (Box::new(BufReader::with_capacity(256 * 1024, dec)), true)
    } else {
        (Box::new(buffered), false)
    };
    Ok(Opened { reader, size, compressed, mtime })
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
                return Ok(any.then_some(Line { end: self.offset, truncated }));
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
                return Ok(Some(Line { end: self.offset, truncated }));
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
