//! RFC 6587 framing of a TCP syslog stream, without I/O: bytes in, messages out. A frame is
//! octet-counted (`LEN SP MSG`) when it starts with a digit 1–9 followed by digits and a space,
//! else newline-terminated — the rule rsyslog, syslog-ng and Vector use, decided per frame.
//! Every message is bounded by [`MAX_MESSAGE`]; a longer one is reported as [`Frame::Oversize`]
//! once and skipped whole, and the stream resynchronises after it. The daemon's TCP listener
//! (`ipscope-ingest`, `syslog.rs`) feeds what it reads through a [`Framer`]; the fuzz target
//! `syslog_framing` feeds it anything.

/// Longest message accepted, in bytes (RFC 5424 asks receivers for at least 2 048; rsyslog's
/// default is 8 192). Longer messages are dropped whole and counted as `oversize`.
pub const MAX_MESSAGE: usize = 16 * 1024;
/// A framed TCP message, or the news that one was too long.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    Message(&'a [u8]),
    Oversize,
}

/// RFC 6587 framing of a TCP syslog stream: octet counting or newline-terminated, decided per
/// frame; every frame bounded by [`MAX_MESSAGE`].
#[derive(Default)]
pub struct Framer {
    buf: Vec<u8>,
    /// Bytes still to skip of a frame already reported as oversize.
    skip: usize,
    /// Skipping an oversize newline-terminated frame up to its newline.
    skip_line: bool,
}

/// Digits of an octet count at most (a count longer than this is not a count).
const MAX_COUNT_DIGITS: usize = 9;

impl Framer {
    /// Adds bytes read from the stream; calls `out` for every complete frame.
    pub fn push(&mut self, mut data: &[u8], out: &mut dyn FnMut(Frame<'_>)) {
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        if self.skip_line {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    self.skip_line = false;
                    data = &data[i + 1..];
                }
                None => return,
            }
        }
        self.buf.extend_from_slice(data);
        // A frame reported as oversize before it was all here sets `skip` / `skip_line` and
        // empties the buffer: the rest of it comes with later reads.
        while self.skip == 0 && !self.skip_line && self.next_frame(out).is_some() {}
    }

    /// Takes one frame from the front of the buffer; `None` when it is incomplete.
    fn next_frame(&mut self, out: &mut dyn FnMut(Frame<'_>)) -> Option<()> {
        // Blank lines and NULs between frames are not frames.
        let start = self.buf.iter().position(|b| !matches!(b, b'\n' | b'\r' | 0)).unwrap_or(self.buf.len());
        self.buf.drain(..start);
        if self.buf.is_empty() {
            return None;
        }
        if let Some((len, header)) = octet_count(&self.buf) {
            if len > MAX_MESSAGE {
                out(Frame::Oversize);
                let have = self.buf.len() - header;
                if have >= len {
                    self.buf.drain(..header + len);
                } else {
                    self.skip = len - have;
                    self.buf.clear();
                }
                return Some(());
            }
            if self.buf.len() < header + len {
                return None;
            }
            out(Frame::Message(&self.buf[header..header + len]));
            self.buf.drain(..header + len);
            return Some(());
        }
        match memchr::memchr(b'\n', &self.buf) {
            Some(i) if i > MAX_MESSAGE => {
                out(Frame::Oversize);
                self.buf.drain(..=i);
                Some(())
            }
            Some(i) => {
                out(Frame::Message(&self.buf[..i]));
                self.buf.drain(..=i);
                Some(())
            }
            None if self.buf.len() > MAX_MESSAGE => {
                out(Frame::Oversize);
                self.buf.clear();
                self.skip_line = true;
                Some(())
            }
            None => None,
        }
    }

    /// What is left when the stream ends: an unterminated last message.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.buf);
        (!rest.is_empty() && !self.skip_line && self.skip == 0 && octet_count(&rest).is_none()).then_some(rest)
    }
}

/// `LEN SP` at the front of `b` (LEN without leading zero): `(LEN, header length)`.
fn octet_count(b: &[u8]) -> Option<(usize, usize)> {
    if !matches!(b.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let digits = b.iter().take(MAX_COUNT_DIGITS + 1).take_while(|c| c.is_ascii_digit()).count();
    if digits > MAX_COUNT_DIGITS || b.get(digits) != Some(&b' ') {
        return None;
    }
    let len = std::str::from_utf8(&b[..digits]).ok()?.parse().ok()?;
    Some((len, digits + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]]) -> Vec<String> {
        let mut f = Framer::default();
        let mut out = Vec::new();
        for c in chunks {
            f.push(c, &mut |fr| {
                out.push(match fr {
                    Frame::Message(m) => String::from_utf8_lossy(m).into_owned(),
                    Frame::Oversize => "<oversize>".to_owned(),
                })
            });
        }
        if let Some(rest) = f.finish() {
            out.push(format!("<rest>{}", String::from_utf8_lossy(&rest)));
        }
        out
    }

    #[test]
    fn newline_and_octet_counted_frames_in_any_split() {
        let stream = b"<13>Nov 30 01:02:03 h sshd[1]: one\n10 <13>two\nxx\r\n<13>three\n";
        let want = vec!["<13>Nov 30 01:02:03 h sshd[1]: one", "<13>two\nxx", "<13>three"];
        // The octet-counted frame holds a newline: it must not split there.
        assert_eq!(frames(&[stream]), want);
        for cut in 1..stream.len() {
            assert_eq!(frames(&[&stream[..cut], &stream[cut..]]), want, "split at {cut}");
        }
        // A digit-first line that is not a count is newline-framed.
        assert_eq!(frames(&[b"2026-11-30T01:02:03Z h sshd[1]: x\n"]), vec!["2026-11-30T01:02:03Z h sshd[1]: x"]);
        // A last line without newline is kept when the stream ends.
        assert_eq!(frames(&[b"a\nb"]), vec!["a", "<rest>b"]);
    }

    #[test]
    fn oversize_frames_are_dropped_whole_and_the_stream_resyncs() {
        let big = vec![b'x'; MAX_MESSAGE + 1];
        let mut s = big.clone();
        s.extend_from_slice(b"\nok\n");
        assert_eq!(frames(&[&s]), vec!["<oversize>", "ok"]);
        // In pieces: the oversize line is reported once and skipped to its newline.
        assert_eq!(frames(&[&big[..MAX_MESSAGE / 2], &big[MAX_MESSAGE / 2..], b"\nok\n"]), vec!["<oversize>", "ok"]);
        let mut counted = format!("{} ", MAX_MESSAGE + 5).into_bytes();
        counted.extend(vec![b'y'; MAX_MESSAGE + 5]);
        counted.extend_from_slice(b"3 abc");
        assert_eq!(frames(&[&counted]), vec!["<oversize>", "abc"]);
        assert_eq!(frames(&[&counted[..100], &counted[100..]]), vec!["<oversize>", "abc"]);
    }
}
