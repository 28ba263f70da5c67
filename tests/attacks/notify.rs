//! Notifications that must not get lost: a `clip_ready` that never reached
//! the broker is journaled as due, not as sent, and goes out exactly once
//! after the restart.

use crate::common::service_harness::{ce_folders, frigate_event, frigate_with_sample_clips, now, Observer, Rig};
use crate::common::small_disk::SmallDisk;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The CE's journal, or "" before it exists.
fn journal(storage: &Path) -> String {
    ce_folders(storage)
        .first()
        .and_then(|folder| std::fs::read_to_string(folder.join("journal.jsonl")).ok())
        .unwrap_or_default()
}

/// Polls until the first CE's journal holds `needle`.
fn wait_for_journal(storage: &Path, needle: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !journal(storage).contains(needle) {
        assert!(
            Instant::now() < deadline,
            "journal never got {needle}: {}",
            journal(storage)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Journal lines whose step and status are these.
fn lines_with(journal: &str, step: &str, status: &str) -> usize {
    journal
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["step"] == step)
        .filter(|entry| entry["status"] == status || entry["milestone"] == status)
        .count()
}

/// `clip_ready` notifications collected for `timeout` after the first one.
fn clip_ready_notifications(observer: &Observer, first_within: Duration, settle: Duration) -> Vec<Value> {
    let mut seen = observer.until_status("clip_ready", first_within);
    let deadline = Instant::now() + settle;
    while Instant::now() < deadline {
        if let Ok(Some(message)) = observer.notifications.recv_timeout(Duration::from_millis(200)) {
            seen.push(serde_json::from_slice(message.payload()).unwrap());
        }
    }
    seen.into_iter().filter(|n| n["status"] == "clip_ready").collect()
}

#[test]
fn clip_ready_that_never_reached_the_broker_goes_out_once_after_restart() {
    let mut rig = Rig::start("notify-lost", frigate_with_sample_clips(&[]), "");
    let storage = rig.storage();
    let service = rig.start_service();
    rig.publish_incident("lost", &["front_door", "driveway"]);

    // The broker goes away while the CE is processed: its clip_ready cannot be published.
    wait_for_journal(&storage, "\"step\":\"closed\"", Duration::from_secs(120));
    rig.broker.stop();
    wait_for_journal(&storage, "\"step\":\"finished\"", Duration::from_secs(300));
    let before = journal(&storage);
    assert_eq!(lines_with(&before, "notification_due", "clip_ready"), 1, "{before}");
    assert_eq!(
        lines_with(&before, "notified", "clip_ready"),
        0,
        "journaled as sent though the broker was down: {before}"
    );
    service.sigterm();
    let stopped = journal(&storage);
    assert_eq!(lines_with(&stopped, "notified", "clip_ready"), 0, "{stopped}");

    // Broker and service back: the notification goes out once, then is journaled as sent.
    rig.broker.restart();
    let observer = Observer::connect(&rig.broker, "observer-notify-lost-after");
    let _service = rig.start_service();
    let clip_ready = clip_ready_notifications(&observer, Duration::from_secs(60), Duration::from_secs(8));
    assert_eq!(clip_ready.len(), 1, "{clip_ready:?}");
    assert_eq!(clip_ready[0]["title"], "Summary ready (2 cameras)");
    let ce_id = clip_ready[0]["event_id"].as_str().unwrap().to_string();
    let folder = ce_folders(&storage)[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(ce_id, format!("ce_{folder}"));
    wait_for_journal(
        &storage,
        "\"step\":\"notified\",\"status\":\"clip_ready\"",
        Duration::from_secs(30),
    );
    let after = journal(&storage);
    assert_eq!(lines_with(&after, "notified", "clip_ready"), 1, "{after}");
    assert_eq!(lines_with(&after, "notification_due", "clip_ready"), 1, "{after}");
}

#[test]
fn storage_turning_read_only_loses_no_message_and_announces_the_ce_once() {
    let rig = Rig::start("notify-read-only", frigate_with_sample_clips(&[]), "");
    let storage = rig.storage();
    let disk = match SmallDisk::mount(&storage, 256) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs for the storage ({why}); needs root or CAP_SYS_ADMIN");
            return;
        }
    };
    let log = rig.dir.path().join("service.log");
    let service = rig.start_logged_service(&log);

    // An event opens its CE; then the storage turns read-only and the event's end arrives.
    let start = now() - 2.5;
    let id = format!("{start:.6}-ro0");
    rig.observer
        .publish("frigate/events", &frigate_event("new", &id, "front_door", start, None));
    wait_for_journal(&storage, "\"event_joined\"", Duration::from_secs(60));
    disk.set_read_only(true);
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", &id, "front_door", start, Some(start + 2.0)),
    );

    // The end cannot be journaled: the service says so and holds the message unacknowledged.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("stays unacknowledged") {
            break;
        }
        assert!(Instant::now() < deadline, "no held message logged:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!journal(&storage).contains("\"event_ended\""));

    // Writable again: the held end is journaled, and the CE completes, announced once with its camera.
    disk.set_read_only(false);
    let clip_ready = clip_ready_notifications(&rig.observer, Duration::from_secs(300), Duration::from_secs(5));
    assert_eq!(clip_ready.len(), 1, "{clip_ready:?}");
    let title = clip_ready[0]["title"].as_str().unwrap_or_default().to_string();
    assert!(title.starts_with("Summary ready (1 "), "{title}");
    let journal = journal(&storage);
    assert_eq!(journal.matches("\"step\":\"event_ended\"").count(), 1, "{journal}");
    assert!(journal.contains("\"step\":\"finished\""), "{journal}");
    assert!(service.sigterm().success());
}
