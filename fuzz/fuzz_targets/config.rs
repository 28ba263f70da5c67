//! The YAML configuration: any text becomes a validated configuration or one
//! typed error whose message is a single line.
#![no_main]

use frigate_buffer::config::Config;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(err) = Config::from_yaml(text, Path::new("fuzz.yaml")) {
        assert!(!err.to_string().contains('\n'), "one-line error: {err}");
    }
});
