//! `detection.json` sidecars: any bytes parse to a sidecar or a typed error;
//! a parsed sidecar writes back to JSON that parses to the same sidecar.
#![no_main]

use frigate_buffer::sidecar::format::Sidecar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sidecar) = Sidecar::from_json_slice(data) else {
        return;
    };
    let written = sidecar.to_json_vec();
    let again = Sidecar::from_json_slice(&written).expect("a written sidecar parses");
    assert_eq!(again.to_json_vec(), written, "writing is stable");
    let _ = sidecar.nearest_entry_index(1.5);
});
