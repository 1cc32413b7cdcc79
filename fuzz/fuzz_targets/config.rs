//! The config file (`ipscope_config::parse`): any text is either settings or an error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ipscope_config::parse(text);
    }
});
