//! The CE lifecycle against lost `end`s, a backlog delivered at once after a
//! restart, and CE folders whose journal cannot be replayed at start-up.

use crate::common::service_harness::{
    ce_folders, finished_ce_folders, frigate_event, frigate_with_sample_clips, now, wait_for_finished_ce_folders, Rig,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Sets `settings.max_event_length_seconds` of the rig's configuration.
fn set_max_event_length(rig: &Rig, seconds: u32) {
    let text = std::fs::read_to_string(&rig.config).unwrap();
    let text = text.replace(
        "max_event_length_seconds: 60",
        &format!("max_event_length_seconds: {seconds}"),
    );
    std::fs::write(&rig.config, text).unwrap();
}

/// Polls `condition` every 200 ms until it holds, or panics with `what` after `timeout`.
fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The Frigate event ids that joined the CE in `folder`, in journal order.
fn members(folder: &Path) -> Vec<String> {
    let journal = std::fs::read_to_string(folder.join("journal.jsonl")).unwrap_or_default();
    journal
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["step"] == "event_joined")
        .map(|entry| entry["event_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_event_whose_end_never_comes_stops_holding_its_ce_and_its_late_end_cancels_nothing_else() {
    let rig = Rig::start("lc-timeout", frigate_with_sample_clips(&[]), "");
    set_max_event_length(&rig, 8);
    let _service = rig.start_service();

    let stuck_start = now();
    let stuck = format!("{stuck_start:.6}-stuck0");
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", &stuck, "front_door", stuck_start, None),
    );
    rig.observer.until_status("canceled", Duration::from_secs(60));
    let canceled_after = now() - stuck_start;
    assert!(
        canceled_after >= 8.0,
        "canceled {canceled_after:.1} s after the start, before 8 s"
    );
    let storage = rig.storage();
    let folders = ce_folders(&storage);
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert!(folders[0].to_string_lossy().ends_with("-canceled"), "{folders:?}");

    // A later incident, with the stuck event's late end arriving while it is open.
    let start = now();
    let later = format!("{start:.6}-later0");
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", &later, "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", &stuck, "front_door", stuck_start, Some(now())),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", &later, "front_door", start, Some(start + 2.0)),
    );
    let seen = rig.observer.until_status("clip_ready", Duration::from_secs(300));
    let statuses: Vec<&str> = seen.iter().filter_map(|n| n["status"].as_str()).collect();
    assert!(
        !statuses.contains(&"canceled"),
        "the late end canceled the later CE: {statuses:?}"
    );
    let finished = wait_for_finished_ce_folders(&storage, 1, Duration::from_secs(120));
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert_eq!(members(&finished[0]), [later]);
}

#[test]
fn incidents_queued_while_the_service_was_down_become_one_ce_each() {
    let rig = Rig::start("lc-backlog", frigate_with_sample_clips(&[]), "");
    // One run creates the persistent session; the broker keeps what comes while it is down.
    assert!(rig.start_service().sigterm().success());

    // Two incidents 8 s apart (the gap is 3 s), published while the service is down.
    let start = now() - 30.0;
    let mut ids = Vec::new();
    for (n, at) in [start, start + 8.0].into_iter().enumerate() {
        let id = format!("{at:.6}-queued{n}");
        rig.observer
            .publish("frigate/events", &frigate_event("new", &id, "front_door", at, None));
        rig.observer.publish(
            "frigate/events",
            &frigate_event("end", &id, "front_door", at, Some(at + 2.0)),
        );
        ids.push(id);
    }
    let _service = rig.start_service();

    let storage = rig.storage();
    wait_until("two finished CEs", Duration::from_secs(400), || {
        finished_ce_folders(&storage).len() >= 2
    });
    let folders = ce_folders(&storage);
    let grouped: Vec<Vec<String>> = folders.iter().map(|folder| members(folder)).collect();
    assert_eq!(grouped, [vec![ids[0].clone()], vec![ids[1].clone()]], "{folders:?}");
}

/// The HTTP API's address, from the service's `HTTP API listening` log line.
fn api_address(log: &Path) -> String {
    let mut address = None;
    wait_until("the HTTP API's address in the log", Duration::from_secs(60), || {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        address = text
            .lines()
            .filter(|line| line.contains("HTTP API listening"))
            .find_map(|line| line.split("address=").nth(1))
            .map(|rest| rest.split_whitespace().next().unwrap().to_string());
        address.is_some()
    });
    address.unwrap()
}

fn get(address: &str, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.get(format!("http://{address}{path}")).call().unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

#[test]
fn ce_folders_with_unreadable_or_garbage_journals_are_quarantined_and_the_service_serves_the_rest() {
    let rig = Rig::start("lc-quarantine", frigate_with_sample_clips(&[]), "");
    let events = rig.storage().join("events");
    let as_folder = events.join("1700000000_0000dead");
    std::fs::create_dir_all(as_folder.join("journal.jsonl")).unwrap();
    let garbage = events.join("1700000001_0000beef");
    std::fs::create_dir_all(&garbage).unwrap();
    std::fs::write(
        garbage.join("journal.jsonl"),
        b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage\n",
    )
    .unwrap();

    let log = rig.dir.path().join("service.log");
    let _service = rig.start_logged_service(&log);
    let address = api_address(&log);
    assert_eq!(get(&address, "/healthz"), (200, "ok".to_string()));

    let quarantined = |folder: &PathBuf| PathBuf::from(format!("{}-quarantined", folder.display()));
    // The journals are replayed once the service is up; the API may answer first.
    wait_until("both folders set aside", Duration::from_secs(120), || {
        [&as_folder, &garbage].iter().all(|folder| quarantined(folder).is_dir())
    });
    for folder in [&as_folder, &garbage] {
        assert!(!folder.exists(), "{} was not set aside", folder.display());
        assert!(
            quarantined(folder).is_dir(),
            "{} missing",
            quarantined(folder).display()
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    for folder in [&as_folder, &garbage] {
        let named = text
            .lines()
            .filter(|line| line.contains("ERROR") && line.contains(&*folder.to_string_lossy()))
            .count();
        assert_eq!(named, 1, "one error line names {}:\n{text}", folder.display());
    }
    let (status, metrics) = get(&address, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("frigate_buffer_errors_total{kind=\"quarantine\"} 2"),
        "{metrics}"
    );

    // A new incident goes through.
    rig.publish_incident("fresh", &["front_door"]);
    rig.observer.until_status("clip_ready", Duration::from_secs(300));
    assert_eq!(
        wait_for_finished_ce_folders(&rig.storage(), 1, Duration::from_secs(120)).len(),
        1
    );
}
