//! The zeek_conn parser on a stream of arbitrary lines (see `ipscope_fuzz::parse_stream`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ipscope_fuzz::parse_stream(ipscope_formats::FormatKind::ZeekConn, data);
});
