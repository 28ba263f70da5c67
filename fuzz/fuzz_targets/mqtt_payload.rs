//! Frigate's MQTT messages: the first byte picks the topic, the rest is the
//! payload. Parsing must return a message, `None` or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const TOPICS: [&str; 5] = [
    "frigate/events",
    "frigate/reviews",
    "frigate/tracked_object_update",
    "frigate/available",
    "frigate/front_door/person",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let topic = TOPICS[usize::from(selector) % TOPICS.len()];
    let _ = frigate_buffer::frigate::mqtt::parse_message("frigate", topic, payload);
});
