//! RFC 6587 framing of a TCP syslog stream. The stream arrives in reads of arbitrary sizes
//! (byte 0 seeds them): the frames must be the same as when it arrives in one piece, every
//! message at most MAX_MESSAGE bytes, and no more message bytes than came in.
#![no_main]

use ipscope_formats::syslog::framing::{Frame, Framer, MAX_MESSAGE};

fn frames(chunks: &[&[u8]]) -> Vec<Option<Vec<u8>>> {
    let mut f = Framer::default();
    let mut out = Vec::new();
    for c in chunks {
        f.push(c, &mut |fr| {
            out.push(match fr {
                Frame::Message(m) => {
                    assert!(m.len() <= MAX_MESSAGE, "message of {} bytes", m.len());
                    Some(m.to_vec())
                }
                Frame::Oversize => None,
            })
        });
    }
    if let Some(rest) = f.finish() {
        assert!(rest.len() <= MAX_MESSAGE, "last message of {} bytes", rest.len());
        out.push(Some(rest));
    }
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&seed, stream)) = data.split_first() else { return };
    let whole = frames(&[stream]);
    let bytes: usize = whole.iter().flatten().map(Vec::len).sum();
    assert!(bytes <= stream.len());
    // Reads of 1..=64 bytes, or of up to 4 KiB, in a pattern drawn from the seed byte.
    let mut chunks = Vec::new();
    let (mut rest, mut x) = (stream, u32::from(seed) | 1);
    while !rest.is_empty() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = if seed & 1 == 0 { 1 + x as usize % 64 } else { 1 + x as usize % 4096 };
        let (a, b) = rest.split_at(n.min(rest.len()));
        chunks.push(a);
        rest = b;
    }
    assert_eq!(frames(&chunks), whole, "frames depend on how the stream was split");
});
