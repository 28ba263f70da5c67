//! The previous service's configuration, brought over: `check-config` on the release binary,
//! and per-camera `event_filters` and the start-up warnings in the running service (real
//! Mosquitto, a stand-in Frigate).

mod common;

use common::service_harness::{frigate_event, frigate_with_sample_clips, now, Rig};
use serde_json::Value;
use std::process::{Command, Output};
use std::time::Duration;

const PREVIOUS_CONFIG: &str = include_str!("fixtures/previous-service-config.yaml");

/// `frigate-buffer check-config --config <path>` with an environment of only `PATH`, so that
/// variables of the machine running the tests do not change the effective configuration.
fn check_config(path: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frigate-buffer"))
        .args(["check-config", "--config"])
        .arg(path)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("running frigate-buffer")
}

#[test]
fn check_config_prints_the_effective_previous_config_masked_and_the_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, PREVIOUS_CONFIG).unwrap();
    let output = check_config(&path);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");

    let effective: Value = serde_saphyr::from_str(&stdout).unwrap_or_else(|err| panic!("{err}: {stdout}"));
    assert_eq!(effective["network"]["mqtt_broker"], "mqtt.home.lan");
    assert_eq!(effective["network"]["api_port"], 5077);
    assert_eq!(effective["network"]["public_url"], "http://192.168.7.20:5077");
    assert_eq!(effective["settings"]["event_gap_seconds"], 90.0);
    assert_eq!(effective["settings"]["log_level"], "warn");
    assert_eq!(effective["settings"]["stats_refresh_seconds"], 20);
    assert_eq!(effective["settings"]["daily_report_schedule_hour"], 6);
    assert_eq!(effective["settings"]["daily_report_retention_days"], 30);
    assert_eq!(effective["settings"]["report_prompt_file"], "/config/report_prompt.txt");
    assert_eq!(effective["settings"]["report_known_person_name"], "Alice");
    assert_eq!(effective["ai"]["base_url"], "http://ai-proxy.home.lan:8000");
    assert_eq!(effective["cameras"][0]["event_filters"]["tracked_zones"][1], "Walkway");
    assert_eq!(effective["network"]["mqtt_password"], "********");
    assert_eq!(effective["ai"]["api_key"], "********");
    for secret in [
        "mqtt-secret-pw",
        "gemini-secret-key",
        "pushover-api-token",
        "ha-long-lived-token",
    ] {
        assert!(!stdout.contains(secret), "{secret} in {stdout}");
    }

    let warnings: Vec<&str> = stderr.lines().filter(|line| line.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    let expected = format!(
        "{}: settings not supported, ignored: settings.cleanup_interval_hours, ",
        path.display()
    );
    assert!(warnings[0].contains(&expected), "{stderr}");
    assert!(
        warnings[0].ends_with(", multi_cam.merge_frame_timeout_sec, multi_cam.person_area_debug"),
        "{stderr}"
    );
    let keys = warnings[0].split_once("ignored: ").unwrap().1.split(", ").count();
    assert_eq!(keys, 33, "33 keys not supported: {stderr}");
}

#[test]
fn check_config_on_a_broken_file_exits_2_with_one_line_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "network:\n  flask_port: fifty\n").unwrap();
    let output = check_config(&path);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    let errors: Vec<&str> = stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with(&format!("error: {}: key 'network.api_port': ", path.display())),
        "{stderr}"
    );
}

/// `front_door` has its own filter (zone `Porch`); `driveway` has none and gets the global
/// one (zone `street`). Only the event in the porch (written `porch` by Frigate) opens a CE; the
/// service also logs the previous key it does not support, at start-up.
#[test]
fn per_camera_event_filters_decide_which_events_open_a_ce() {
    let rig = Rig::start(
        "event-filters",
        frigate_with_sample_clips(&[]),
        "  ffmpeg_timeout_seconds: 60\ncameras:\n  - name: front_door\n    event_filters:\n      tracked_zones: [Porch]\n  - name: driveway\nevent_filters:\n  tracked_zones: [street]\n",
    );
    let log = rig.dir.path().join("service.log");
    let _service = rig.start_logged_service(&log);

    let start = now() - 10.0;
    let with_zone = |id: &str, camera: &str, start: f64, zone: Option<&str>| {
        let mut event = frigate_event("new", id, camera, start, None);
        event["after"]["current_zones"] = zone.into_iter().collect::<Vec<_>>().into();
        event
    };
    let (apron, no_zone, porch) = (start - 40.0, start - 20.0, start);
    for event in [
        with_zone(&format!("{apron:.6}-apronn"), "front_door", apron, Some("street")),
        with_zone(&format!("{no_zone:.6}-nozone"), "driveway", no_zone, None),
        with_zone(&format!("{porch:.6}-porchy"), "front_door", porch, Some("porch")),
    ] {
        rig.observer.publish("frigate/events", &event);
    }

    // The events are handled in order: the first CE opened is the first event that passed.
    let seen = rig.observer.until_status("new", Duration::from_secs(60));
    let opened = seen.last().unwrap();
    assert_eq!(opened["camera"], "front_door");
    let ce_id = opened["event_id"].as_str().unwrap();
    assert!(
        ce_id.starts_with(&format!("ce_{}_", porch as i64)),
        "{ce_id}: the porch event opened it"
    );

    let text = std::fs::read_to_string(&log).unwrap();
    let warning = format!(
        "{}: settings not supported, ignored: settings.ffmpeg_timeout_seconds",
        rig.config.display()
    );
    assert_eq!(
        text.lines().filter(|line| line.ends_with(&warning)).count(),
        1,
        "{text}"
    );
}
