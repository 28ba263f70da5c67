//! Names from MQTT are not paths: events whose camera or id would lead out of the storage
//! folder (or onto a CE's own files) are counted as malformed and dropped before anything is
//! written, and fields with control characters cannot forge or colour log lines.

use crate::common::service_harness::frigate_with_sample_clips;
use crate::common::service_harness::{ce_folders, frigate_event, now, Rig};
use std::path::Path;
use std::time::{Duration, Instant};

/// Every path under `dir`, relative to it.
fn tree(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().map(Result::unwrap) {
            let path = entry.path();
            paths.push(path.strip_prefix(dir).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            }
        }
    }
    paths.sort();
    paths
}

#[test]
fn hostile_camera_names_and_ids_write_nothing_and_are_counted() {
    let rig = Rig::start("attack-names", frigate_with_sample_clips(&[]), "");
    let log = rig.dir.path().join("service.log");
    let service = rig.start_logged_service(&log);
    let outside = rig.dir.path().to_path_buf();
    let absolute = tempfile::tempdir().unwrap();
    let absolute_target = absolute.path().join("abs-target");
    let before = tree(&outside);

    let start = now() - 5.0;
    let hostile_cameras = [
        "../../../x".to_string(),
        absolute_target.display().to_string(),
        "..".to_string(),
        ".".to_string(),
        String::new(),
        "a/b".to_string(),
        "cam\u{1b}[31m".to_string(),
    ];
    for (n, camera) in hostile_cameras.iter().enumerate() {
        let id = format!("{start:.6}-cam{n}");
        rig.observer
            .publish("frigate/events", &frigate_event("new", &id, camera, start, None));
        rig.observer.publish(
            "frigate/events",
            &frigate_event("end", &id, camera, start, Some(start + 3.0)),
        );
    }
    let hostile_ids = ["../../../evil", "a/b", "..", "id\nERROR forged line", "id\u{1b}[2J"];
    for id in hostile_ids {
        rig.observer
            .publish("frigate/events", &frigate_event("new", id, "front_door", start, None));
    }

    // A valid incident afterwards still makes its CE.
    rig.publish_incident("ok", &["driveway"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let expected_drops = 2 * hostile_cameras.len() + hostile_ids.len();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let dropped = text.matches("malformed message dropped").count();
        if dropped >= expected_drops && !ce_folders(&rig.storage()).is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{dropped} of {expected_drops} dropped:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    rig.observer.until_status("clip_ready", Duration::from_secs(240));
    assert!(service.sigterm().success());

    // Nothing was written outside the storage folder, and one CE (the valid one) inside it.
    assert!(!absolute_target.exists(), "written to an absolute path");
    let after: Vec<String> = tree(&outside)
        .into_iter()
        .filter(|path| !path.starts_with("storage") && path != "service.log")
        .collect();
    let before: Vec<String> = before
        .into_iter()
        .filter(|path| !path.starts_with("storage") && path != "service.log")
        .collect();
    assert_eq!(after, before, "files appeared beside the storage folder");
    let folders = ce_folders(&rig.storage());
    assert_eq!(folders.len(), 1, "{folders:?}");
    let cameras: Vec<String> = tree(&folders[0]).into_iter().filter(|p| !p.contains('/')).collect();
    assert!(cameras.contains(&"driveway".to_string()), "{cameras:?}");
    assert!(
        cameras
            .iter()
            .all(|name| !name.contains("..") && !name.contains('\u{1b}')),
        "{cameras:?}"
    );

    // The hostile fields reached the log only escaped: no raw escape byte, no forged line.
    // (The log is a file, not a terminal, so it has no colour codes either.)
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\u{1b}'), "a raw escape character reached the log");
    assert!(
        !text.lines().any(|line| line.starts_with("ERROR forged")),
        "a field forged a log line"
    );
}
