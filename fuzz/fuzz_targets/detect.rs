//! Format detection on the first lines of a stream, split as the ingest pipeline splits them
//! (`ipscope_ingest::detect`); byte 0 picks the iptracking delimiter. Whatever it answers, the
//! parser it names must then take the same lines without panicking.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&d, head)) = data.split_first() else { return };
    let delimiter = [b'|', b';', b',', b'\t'][usize::from(d & 3)];
    let lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(ipscope_formats::detect::DETECT_LINES)
        .collect();
    if let Some(kind) = ipscope_formats::detect_with_delimiter(&lines, delimiter) {
        let mut stream = vec![0u8; ipscope_fuzz::HEADER];
        stream.extend_from_slice(head);
        ipscope_fuzz::parse_stream(kind, &stream);
    }
});
