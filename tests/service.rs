//! The service end to end against real components: a Mosquitto broker and a
//! local server speaking Frigate's HTTP API, serving the sample's real clips.
//! Frigate event sequences are published to the broker; the test watches the
//! notifications on the broker and the files on disk.

mod common;

use common::frigate_api::{ffmpeg_test_jpeg, Flavour, FrigateApi, Setup};
use common::service_harness::{
    ce_folders, frigate_event, frigate_with_sample_clips, now, sample_clips, Observer, Rig, Service,
};
use common::video_info;
use frigate_buffer::ce::journal::{self, JournalStep};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Clip downloads the server has answered (exports and fallback clips).
fn downloads(frigate: &FrigateApi) -> usize {
    frigate
        .log()
        .iter()
        .filter(|line| line.starts_with("GET /exports/") || line.ends_with("clip.mp4"))
        .count()
}

#[test]
fn two_cameras_one_ce_summary_and_notifications() {
    let rig = Rig::start(
        "two-cameras",
        frigate_with_sample_clips(&[("1-aaaaaa", "front_door")]),
        "",
    );
    let _service = rig.start_service();

    let start = now() - 20.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "1-aaaaaa", "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "2-bbbbbb", "driveway", start + 2.0, None),
    );
    rig.observer.publish_raw("frigate/events", b"{not json");
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "1-aaaaaa", "front_door", start, Some(start + 12.0)),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "2-bbbbbb", "driveway", start + 2.0, Some(start + 15.0)),
    );

    let seen = rig.observer.until_status("clip_ready", Duration::from_secs(240));
    let statuses: Vec<&str> = seen.iter().map(|n| n["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.first(), Some(&"new"), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == "new").count(),
        1,
        "one CE: {statuses:?}"
    );
    let ready = seen.last().unwrap();
    assert!(ready["tag"].as_str().unwrap().starts_with("frigate_ce_"));
    assert_eq!(
        ready["clear_tag"], ready["tag"],
        "clip_ready replaces the CE's earlier notification"
    );

    let storage = rig.storage();
    let folders = ce_folders(&storage);
    assert_eq!(folders.len(), 1, "{folders:?}");
    let ce = &folders[0];
    for camera in ["front_door", "driveway"] {
        assert!(
            ce.join(camera).join(format!("{camera}-1.mp4")).is_file(),
            "{camera} clip"
        );
        assert!(ce.join(camera).join("detection.json").is_file(), "{camera} sidecar");
    }
    let name = ce.file_name().unwrap().to_string_lossy().into_owned();
    let info = video_info(&ce.join(format!("{name}_summary.mp4")));
    assert_eq!((info.width, info.height), (1440, 1080));
    // Every notification links the CE's player page (public_url is empty here).
    for notification in &seen {
        assert_eq!(notification["player_url"], format!("/player/{name}"), "{notification}");
    }
    // The second camera has no Frigate snapshot: its poster is the frame of its largest detection.
    let poster = std::fs::read(ce.join("driveway").join("poster.jpg")).expect("driveway/poster.jpg");
    assert_eq!(&poster[..3], b"\xff\xd8\xff", "poster.jpg is a JPEG");
    // metadata.json records the camera timeline the summary follows.
    let metadata: Value = serde_json::from_slice(&std::fs::read(ce.join("metadata.json")).unwrap()).unwrap();
    let timeline = metadata["timeline"].as_array().expect("a timeline in metadata.json");
    assert!(!timeline.is_empty());
    assert!(timeline
        .iter()
        .all(|run| ["front_door", "driveway"].contains(&run["camera"].as_str().unwrap())));
    assert_eq!(
        downloads(&rig.frigate),
        2,
        "one download per camera: {:?}",
        rig.frigate.log()
    );
}

#[test]
fn short_event_is_discarded_and_long_event_canceled() {
    let rig = Rig::start("discard", frigate_with_sample_clips(&[("1-aaaaaa", "front_door")]), "");
    let _service = rig.start_service();

    let start = now() - 100.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "3-cccccc", "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "3-cccccc", "front_door", start, Some(start + 0.5)),
    );
    rig.observer.until_status("discarded", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(5));
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "4-dddddd", "driveway", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "4-dddddd", "driveway", start, Some(start + 90.0)),
    );
    rig.observer.until_status("canceled", Duration::from_secs(30));

    let folders = ce_folders(&rig.storage());
    assert_eq!(folders.len(), 1, "the discarded CE's folder is removed: {folders:?}");
    assert!(folders[0].to_string_lossy().ends_with("-canceled"));
    assert_eq!(downloads(&rig.frigate), 0);
}

#[test]
fn sigkill_after_export_resumes_without_downloading_again() {
    let rig = Rig::start("resume", frigate_with_sample_clips(&[("1-aaaaaa", "front_door")]), "");
    let service = rig.start_service();

    let start = now() - 20.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "5-eeeeee", "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "5-eeeeee", "front_door", start, Some(start + 10.0)),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while downloads(&rig.frigate) == 0 {
        assert!(Instant::now() < deadline, "the clip was never downloaded");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let the download land and be journaled, then kill the service mid-processing.
    std::thread::sleep(Duration::from_millis(1500));
    service.sigkill();
    let _service = Service::start(&rig.config);
    rig.observer.until_status("clip_ready", Duration::from_secs(240));
    assert_eq!(
        downloads(&rig.frigate),
        1,
        "the clip is not downloaded twice: {:?}",
        rig.frigate.log()
    );
    let folders = ce_folders(&rig.storage());
    assert_eq!(folders.len(), 1);
    assert!(folders[0].join("front_door/detection.json").is_file());
}

#[test]
fn a_ce_stopped_before_its_clip_ready_gets_one_with_links_under_the_public_url() {
    let rig = Rig::start("resume-notify", frigate_with_sample_clips(&[]), "");
    let config = std::fs::read_to_string(&rig.config).unwrap();
    let public_url = "http://buffer.lan:5055";
    let config = config.replacen("network:\n", &format!("network:\n  public_url: {public_url}\n"), 1);
    std::fs::write(&rig.config, config).unwrap();

    // A CE whose summary was written when the service stopped, before `clip_ready` was asked for.
    let start = now() - 120.0;
    let folder_name = format!("{}_0badf00d", start as u64);
    let folder = rig.storage().join("events").join(&folder_name);
    std::fs::create_dir_all(folder.join("front_door")).unwrap();
    let summary = format!("{folder_name}_summary.mp4");
    std::fs::write(folder.join(&summary), b"video").unwrap();
    std::fs::write(folder.join("notification.gif"), b"GIF89a").unwrap();
    let clip = std::fs::copy(&sample_clips()["front_door"], folder.join("front_door/clip.mp4")).unwrap();
    let steps = [
        JournalStep::Opened {
            ce_id: format!("ce_{folder_name}"),
            folder: folder_name.clone(),
            camera: "front_door".into(),
            label: "person".into(),
            start_time: start,
        },
        JournalStep::EventJoined {
            event_id: format!("{start:.6}-aaaaaa"),
            camera: "front_door".into(),
            label: "person".into(),
            start_time: start,
        },
        JournalStep::EventEnded {
            event_id: format!("{start:.6}-aaaaaa"),
            end_time: start + 10.0,
        },
        JournalStep::Closed {
            window_start: start,
            window_end: start + 10.0,
            cameras: vec!["front_door".into()],
            primary: "front_door".into(),
        },
        JournalStep::ClipFetched {
            camera: "front_door".into(),
            path: "front_door/clip.mp4".into(),
            bytes: clip,
        },
        JournalStep::SidecarsDone,
        JournalStep::SummaryDone {
            path: summary.clone().into(),
        },
    ];
    for (n, step) in steps.iter().enumerate() {
        journal::append(&folder, start + 20.0 + n as f64, step).unwrap();
    }

    let _service = rig.start_service();
    let seen = rig.observer.until_status("clip_ready", Duration::from_secs(120));
    let ready = seen.last().unwrap();
    assert_eq!(ready["event_id"], format!("ce_{folder_name}"));
    assert_eq!(
        ready["video_url"],
        format!("{public_url}/files/events/{folder_name}/{summary}")
    );
    assert_eq!(
        ready["image_url"],
        format!("{public_url}/files/events/{folder_name}/notification.gif")
    );
    assert_eq!(ready["player_url"], format!("{public_url}/player/{folder_name}"));
    assert_eq!(downloads(&rig.frigate), 0, "nothing is fetched again");
}

#[test]
fn events_published_while_the_service_is_down_are_not_lost() {
    let rig = Rig::start("offline", frigate_with_sample_clips(&[("1-aaaaaa", "front_door")]), "");
    // The first run registers the persistent session, then stops cleanly.
    let service = rig.start_service();
    assert!(service.sigterm().success());

    let start = now() - 20.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "6-ffffff", "driveway", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "6-ffffff", "driveway", start, Some(start + 8.0)),
    );
    let _service = Service::start(&rig.config);
    rig.observer.until_status("clip_ready", Duration::from_secs(240));
    assert_eq!(downloads(&rig.frigate), 1);
}

#[test]
fn broker_restart_mid_ce_loses_no_event_and_a_camera_without_recording_fails_alone() {
    let mut rig = Rig::start(
        "broker-restart",
        frigate_with_sample_clips(&[("1-aaaaaa", "front_door")]),
        "",
    );
    let _service = rig.start_service();

    let start = now() - 20.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "7-gggggg", "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "8-hhhhhh", "garage", start + 1.0, None),
    );
    rig.observer.until_status("new", Duration::from_secs(30));
    rig.broker.restart();
    // Both clients reconnect to their persistent sessions; the service's by itself.
    rig.observer = Observer::connect(&rig.broker, "observer-broker-restart");
    std::thread::sleep(Duration::from_secs(3));
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "7-gggggg", "front_door", start, Some(start + 10.0)),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "8-hhhhhh", "garage", start + 1.0, Some(start + 9.0)),
    );
    let seen = rig.observer.until_status("clip_ready", Duration::from_secs(240));
    let ready = seen.last().unwrap();
    assert!(ready["message"].as_str().is_some());

    let folders = ce_folders(&rig.storage());
    assert_eq!(folders.len(), 1, "one CE across the broker restart: {folders:?}");
    let ce = &folders[0];
    assert!(ce.join("front_door/detection.json").is_file());
    assert!(!ce.join("garage/detection.json").exists(), "garage has no recording");
    let journal = std::fs::read_to_string(ce.join("journal.jsonl")).unwrap();
    assert!(
        journal.contains("\"clip_failed\"") && journal.contains("garage"),
        "{journal}"
    );
    let name = ce.file_name().unwrap().to_string_lossy().into_owned();
    assert!(ce.join(format!("{name}_summary.mp4")).is_file());
}

#[test]
fn frigate_018_with_server_errors_and_a_stuck_export_falls_back_to_event_clips() {
    let frigate = FrigateApi::start(Setup {
        clips: sample_clips(),
        events: HashMap::from([
            ("9-iiiiii".to_string(), "front_door".to_string()),
            ("10-jjjjjj".to_string(), "driveway".to_string()),
        ]),
        jpeg: Some(ffmpeg_test_jpeg()),
        flavour: Flavour::V018,
        export_never_finishes: true,
        failures_per_path: 1,
        ..Setup::default()
    });
    let rig = Rig::start("frigate-018", frigate, "  export_timeout_seconds: 3\n");
    let _service = rig.start_service();

    let start = now() - 20.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "9-iiiiii", "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "10-jjjjjj", "driveway", start + 1.0, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "9-iiiiii", "front_door", start, Some(start + 10.0)),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "10-jjjjjj", "driveway", start + 1.0, Some(start + 12.0)),
    );
    rig.observer.until_status("clip_ready", Duration::from_secs(240));

    let log = rig.frigate.log();
    assert!(
        log.iter().any(|line| line.starts_with("POST /api/export/front_door/")),
        "an export was asked for: {log:?}"
    );
    for event in ["9-iiiiii", "10-jjjjjj"] {
        let route = format!("GET /api/events/{event}/clip.mp4");
        assert!(
            log.iter().filter(|line| line.starts_with(&route)).count() >= 2,
            "{event}: a 500, then the fallback clip: {log:?}"
        );
    }
    assert_eq!(
        downloads(&rig.frigate),
        4,
        "one failed and one good clip download per camera: {log:?}"
    );
    let folders = ce_folders(&rig.storage());
    assert_eq!(folders.len(), 1, "{folders:?}");
    let ce = &folders[0];
    for camera in ["front_door", "driveway"] {
        assert!(ce.join(camera).join("detection.json").is_file(), "{camera} sidecar");
    }
    let name = ce.file_name().unwrap().to_string_lossy().into_owned();
    let info = video_info(&ce.join(format!("{name}_summary.mp4")));
    assert_eq!((info.width, info.height), (1440, 1080));
}

fn genai_review(review_id: &str, camera: &str, start: f64, detections: &[&str], title: &str, threat: u8) -> Value {
    json!({
        "type": "genai",
        "before": null,
        "after": {
            "id": review_id, "camera": camera, "start_time": start, "end_time": start + 12.0,
            "severity": "alert", "thumb_path": "/media/frigate/clips/review/thumb.webp",
            "data": {
                "detections": detections, "objects": ["person"], "sub_labels": [], "zones": [],
                "audio": [],
                "metadata": {
                    "title": title, "scene": "A person walks up to the door.",
                    "shortSummary": format!("{title}, seen on {camera}."), "confidence": 0.8,
                    "potential_threat_level": threat, "other_concerns": null
                }
            }
        }
    })
}

#[test]
fn frigate_genai_summaries_finalize_ces_whether_they_come_early_or_late() {
    let rig = Rig::start(
        "genai",
        frigate_with_sample_clips(&[("1-aaaaaa", "front_door")]),
        "  ai_mode: frigate\n",
    );
    let _service = rig.start_service();

    // Early: the summary arrives before the CE has even closed.
    let start = now() - 60.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "11-kkkkkk", "front_door", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "11-kkkkkk", "front_door", start, Some(start + 10.0)),
    );
    rig.observer.publish(
        "frigate/reviews",
        &genai_review("r-early", "front_door", start, &["11-kkkkkk"], "Courier at the door", 1),
    );
    let first = rig.observer.until_status("finalized", Duration::from_secs(240));
    let statuses: Vec<&str> = first.iter().map(|n| n["status"].as_str().unwrap()).collect();
    let ready_at = statuses.iter().position(|s| *s == "clip_ready");
    assert!(
        ready_at.is_some_and(|at| at + 1 == statuses.len() - 1),
        "finalized follows clip_ready: {statuses:?}"
    );
    let finalized = first.last().unwrap();
    assert_eq!(finalized["title"], "Courier at the door");
    assert_eq!(finalized["threat_level"], 1);

    // Late: the summary arrives after the CE's clip_ready.
    let start = now() - 30.0;
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", "12-llllll", "driveway", start, None),
    );
    rig.observer.publish(
        "frigate/events",
        &frigate_event("end", "12-llllll", "driveway", start, Some(start + 8.0)),
    );
    let second = rig.observer.until_status("clip_ready", Duration::from_secs(240));
    let ce_id = second.last().unwrap()["event_id"].as_str().unwrap().to_string();
    assert_ne!(ce_id, finalized["event_id"].as_str().unwrap(), "two CEs");
    let unmatched = genai_review("r-other", "garage", start, &["99-zzzzzz"], "Nobody", 0);
    rig.observer.publish("frigate/reviews", &unmatched);
    rig.observer.publish(
        "frigate/reviews",
        &genai_review(
            "r-late",
            "driveway",
            start,
            &["12-llllll"],
            "Car parked in the driveway",
            0,
        ),
    );
    // Redelivered: must not finalize twice.
    rig.observer.publish(
        "frigate/reviews",
        &genai_review(
            "r-late",
            "driveway",
            start,
            &["12-llllll"],
            "Car parked in the driveway",
            0,
        ),
    );
    let late = rig.observer.until_status("finalized", Duration::from_secs(60));
    let finalized = late.last().unwrap();
    assert_eq!(finalized["event_id"], ce_id.as_str());
    assert_eq!(finalized["title"], "Car parked in the driveway");
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        if let Ok(Some(message)) = rig.observer.notifications.recv_timeout(Duration::from_millis(200)) {
            let value: Value = serde_json::from_slice(message.payload()).unwrap();
            panic!("nothing after the one finalized per CE, got {value}");
        }
    }

    let folders = ce_folders(&rig.storage());
    assert_eq!(folders.len(), 2, "{folders:?}");
    for folder in &folders {
        let record: Value =
            serde_json::from_slice(&std::fs::read(folder.join("analysis_result.json")).unwrap()).unwrap();
        assert_eq!(record["model"], "frigate-genai");
        assert!(record["title"].as_str().unwrap().len() > 5, "{record}");
    }
}
