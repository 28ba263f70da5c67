//! The quick title: once `ai.quick_title_delay_seconds` have passed after a new CE's snapshot,
//! the snapshot goes to the OpenAI-compatible endpoint, and the answer replaces the CE's
//! notification (same tag); with `ai.quick_title_enabled: false` nothing is asked.

use crate::common::frigate_api::{ffmpeg_test_jpeg, FrigateApi, Setup};
use crate::common::openai_stub::{completion, Reply, StubEndpoint};
use crate::common::service_harness::{frigate_event, now, Rig};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The endpoint's answer for the quick title.
const ANSWER: &str = r#"{"title": "Person waiting at the side gate", "shortSummary": "A person stands at the gate."}"#;

/// A Frigate server that knows event `event_id` on camera `side` and serves a JPEG as its
/// snapshot, and a rig around it whose `ai:` section is `ai` (indented YAML lines).
fn rig(name: &str, event_id: &str, ai: &str) -> Rig {
    let frigate = FrigateApi::start(Setup {
        events: HashMap::from([(event_id.to_string(), "side".to_string())]),
        jpeg: Some(ffmpeg_test_jpeg()),
        ..Setup::default()
    });
    Rig::start(name, frigate, &format!("ai:\n{ai}"))
}

/// Notifications received until `done` holds for one (that one last); panics after `timeout`.
fn notifications_until(rig: &Rig, timeout: Duration, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(Some(message)) = rig.observer.notifications.recv_timeout(Duration::from_millis(100)) {
            let value: Value = serde_json::from_slice(message.payload()).unwrap();
            let stop = done(&value);
            seen.push(value);
            if stop {
                return seen;
            }
        }
    }
    panic!("not within {timeout:?}; saw {seen:?}");
}

#[test]
fn the_quick_title_from_the_snapshot_replaces_the_new_notification() {
    let stub = StubEndpoint::start(vec![Reply::Http(200, completion(ANSWER))]);
    let event_id = format!("{:.6}-titled", now());
    let rig = rig(
        "quick-title",
        &event_id,
        &format!(
            "  base_url: {}\n  model: vision-model\n  quick_title_delay_seconds: 1\n",
            stub.base_url
        ),
    );
    let _service = rig.start_logged_service(&rig.dir.path().join("service.log"));

    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", &event_id, "side", now() - 1.0, None),
    );
    let seen = notifications_until(&rig, Duration::from_secs(60), |n| n["status"] == "snapshot_ready");
    let (new, titled) = (&seen[0], seen.last().unwrap());
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(new["status"], "new", "{new}");
    assert!(
        new["image_url"].as_str().unwrap().ends_with("/side/snapshot.jpg"),
        "{new}"
    );
    assert_eq!(titled["title"], "Person waiting at the side gate", "{titled}");
    assert_eq!(titled["message"], "A person stands at the gate.", "{titled}");
    assert_eq!(titled["tag"], new["tag"], "{titled}");
    assert_eq!(titled["clear_tag"], new["tag"], "{titled}");
    assert_eq!(titled["image_url"], new["image_url"], "{titled}");
    assert_eq!(titled["event_phase"], "FINALIZED", "{titled}");

    let requests = stub.finish();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "vision-model");
    let user = body["messages"][1]["content"].as_array().unwrap();
    let images: Vec<&str> = user
        .iter()
        .filter_map(|part| part["image_url"]["url"].as_str())
        .collect();
    let snapshot = BASE64.encode(std::fs::read(ffmpeg_test_jpeg()).unwrap());
    assert_eq!(images, [format!("data:image/jpeg;base64,{snapshot}")]);
    assert!(user[0]["text"].as_str().unwrap().contains("side"), "{body}");
}

#[test]
fn with_quick_titles_off_no_request_is_made() {
    let stub = StubEndpoint::start(vec![Reply::Http(200, completion(ANSWER))]);
    let event_id = format!("{:.6}-untitled", now());
    let rig = rig(
        "quick-title-off",
        &event_id,
        &format!(
            "  base_url: {}\n  quick_title_enabled: false\n  quick_title_delay_seconds: 0\n",
            stub.base_url
        ),
    );
    let _service = rig.start_logged_service(&rig.dir.path().join("service.log"));

    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", &event_id, "side", now() - 1.0, None),
    );
    let seen = notifications_until(&rig, Duration::from_secs(60), |n| n["status"] == "new");
    assert!(seen[0]["image_url"].is_string(), "{seen:?}");
    // Turned on, the title would be asked for at once (no delay); nothing may come in 5 s.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(message)) = rig.observer.notifications.recv_timeout(Duration::from_millis(100)) {
            panic!(
                "unexpected notification: {}",
                String::from_utf8_lossy(message.payload())
            );
        }
    }
    assert_eq!(stub.seen(), 0, "the endpoint was asked");
}
