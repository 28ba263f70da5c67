//! The fetch surface: a Frigate that answers slowly forever, redirects to another host, or keeps an
//! export running, must not stall other CEs, send the service elsewhere, or hold back the `new` CE's
//! snapshot.

use crate::common::frigate_api::{ffmpeg_test_clip, ffmpeg_test_jpeg, FrigateApi, Setup};
use crate::common::service_harness::{ce_folders, finished_ce_folders, frigate_event, now, Rig};
use frigate_buffer::frigate::http::{ClipSource, FetchPolicy, FrigateClient};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Polls `condition` every 100 ms until it holds; panics naming `what` after `timeout`.
fn wait_for(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "not within {timeout:?}: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The journal of the CE folder one of whose events has an id ending in `tag`, if there is one yet.
fn journal_of_ce_with(storage: &Path, tag: &str) -> Option<(PathBuf, String)> {
    ce_folders(storage).into_iter().find_map(|folder| {
        let journal = std::fs::read_to_string(folder.join("journal.jsonl")).ok()?;
        journal
            .lines()
            .any(|line| line.contains("\"event_joined\"") && line.contains(&format!("{tag}\"")))
            .then_some((folder, journal))
    })
}

/// The journal lines of `step` for `camera`.
fn steps<'a>(journal: &'a str, step: &str, camera: &str) -> Vec<&'a str> {
    journal
        .lines()
        .filter(|line| {
            line.contains(&format!("\"step\":\"{step}\"")) && line.contains(&format!("\"camera\":\"{camera}\""))
        })
        .collect()
}

/// Two cameras with real 2 s H.264 clips and a JPEG for snapshots, exports done at the first look.
fn two_cameras() -> Setup {
    let clip = ffmpeg_test_clip();
    Setup {
        clips: HashMap::from([("front".to_string(), clip.clone()), ("side".to_string(), clip)]),
        jpeg: Some(ffmpeg_test_jpeg()),
        export_looks_until_done: 1,
        ..Setup::default()
    }
}

#[test]
fn a_trickling_camera_holds_up_no_other_ce_and_fails_at_the_clip_deadline() {
    let frigate = FrigateApi::start(Setup {
        trickle_cameras: HashSet::from(["front".to_string()]),
        ..two_cameras()
    });
    let rig = Rig::start("attack-fetch-trickle", frigate, "  clip_fetch_timeout_seconds: 20\n");
    let _service = rig.start_logged_service(&rig.dir.path().join("service.log"));
    let storage = rig.storage();

    rig.publish_incident("one", &["front", "side"]);
    wait_for("CE 1's front clip trickling", Duration::from_secs(60), || {
        rig.frigate.trickles_open() >= 1
    });
    let trickle_began = Instant::now();

    // CE 2, on the other camera, while CE 1's download trickles.
    rig.publish_incident("two", &["side"]);
    wait_for("CE 2's clip fetched", Duration::from_secs(60), || {
        journal_of_ce_with(&storage, "two0")
            .is_some_and(|(_, journal)| !steps(&journal, "clip_fetched", "side").is_empty())
    });
    assert_eq!(
        rig.frigate.trickles_open(),
        1,
        "CE 2's clip must be fetched while CE 1's front clip still trickles"
    );

    // CE 1's trickling camera ends at the 20 s deadline (all sources and tries together).
    wait_for("the trickle ended by the client", Duration::from_secs(90), || {
        rig.frigate.trickles_open() == 0
    });
    let trickled = trickle_began.elapsed();
    assert!(
        trickled < Duration::from_secs(35),
        "the front clip trickled for {trickled:?} with a 20 s deadline"
    );

    wait_for("both CEs finished", Duration::from_secs(240), || {
        finished_ce_folders(&storage).len() == 2
    });
    let (_, first) = journal_of_ce_with(&storage, "one0").unwrap();
    let failed = steps(&first, "clip_failed", "front");
    assert_eq!(failed.len(), 1, "{first}");
    assert!(
        failed[0].contains("camera front: clip not fetched within settings.clip_fetch_timeout_seconds (20 s)"),
        "{}",
        failed[0]
    );
    assert_eq!(steps(&first, "clip_fetched", "side").len(), 1, "{first}");
    assert!(first.contains("\"step\":\"finished\""), "{first}");
    let (second_folder, second) = journal_of_ce_with(&storage, "two0").unwrap();
    assert!(second.contains("\"step\":\"finished\""), "{second}");
    assert!(second_folder.join("side/side-1.mp4").is_file());
}

/// A client of `server` with quick pauses, as a service would have.
fn quick_client(server: &FrigateApi) -> FrigateClient {
    let policy = FetchPolicy {
        attempts: 2,
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        export_poll_interval: Duration::from_millis(20),
        export_timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    };
    FrigateClient::new(&server.base_url(), policy)
}

#[test]
fn redirects_are_followed_on_frigates_origin_only() {
    let event = "1700000000.0-redir".to_string();
    let redirecting = |host: &str| {
        FrigateApi::start(Setup {
            redirect_files_via: Some(host.to_string()),
            ..Setup::with_clip("front", &ffmpeg_test_clip(), &[&event])
        })
    };
    let dir = tempfile::tempdir().unwrap();

    // The same host, port and scheme as network.frigate_url: followed.
    let same = redirecting("127.0.0.1");
    let dest = dir.path().join("same").join("front-1.mp4");
    let clip = quick_client(&same)
        .fetch_clip("front", 1700000000.0, 1700000030.0, std::slice::from_ref(&event), &dest)
        .unwrap();
    assert!(matches!(clip.source, ClipSource::Export { .. }), "{:?}", clip.source);
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        std::fs::read(ffmpeg_test_clip()).unwrap()
    );
    assert!(
        same.log()
            .contains(&"GET /redirected/exports/front_000001.mp4".to_string()),
        "{:?}",
        same.log()
    );

    // Another host name for the very same server: refused, on every source, and never requested.
    let other = redirecting("localhost");
    let dest = dir.path().join("other").join("front-1.mp4");
    let error = quick_client(&other)
        .fetch_clip("front", 1700000000.0, 1700000030.0, &[event], &dest)
        .unwrap_err()
        .to_string();
    let expected = format!(
        "redirect to http://localhost:{port} refused: only {base} (network.frigate_url) is followed",
        port = other.base_url().rsplit(':').next().unwrap(),
        base = other.base_url()
    );
    assert!(error.contains(&expected), "{error}");
    assert!(
        error.starts_with(&format!("{}/api/front/start/", other.base_url())),
        "{error}"
    );
    assert!(
        !other.log().iter().any(|line| line.contains("/redirected/")),
        "{:?}",
        other.log()
    );
    assert!(!dest.exists());
    assert_eq!(std::fs::read_dir(dest.parent().unwrap()).unwrap().count(), 0);
}

/// Notifications received until one about `camera` arrives (that one last); panics after `timeout`.
fn until_camera(rig: &Rig, camera: &str, timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(Some(message)) = rig.observer.notifications.recv_timeout(Duration::from_millis(50)) {
            let value: Value = serde_json::from_slice(message.payload()).unwrap();
            let done = value["camera"] == camera;
            seen.push(value);
            if done {
                return seen;
            }
        }
    }
    panic!("no notification about {camera} within {timeout:?}; saw {seen:?}");
}

/// The acceptance of the first picture: while CE 1's clip export is under way (and would be for
/// two minutes), CE 2's first notification is its `new`, and it carries the snapshot's URL
/// within 2 s of the first event message; the snapshot is saved in CE 2's folder.
#[test]
fn the_new_notification_carries_the_snapshot_within_2_s_while_an_export_is_under_way() {
    let snapshot_event = format!("{:.6}-snap", now());
    let frigate = FrigateApi::start(Setup {
        events: HashMap::from([(snapshot_event.clone(), "side".to_string())]),
        export_never_finishes: true,
        ..two_cameras()
    });
    let rig = Rig::start("attack-fetch-snapshot", frigate, "  export_timeout_seconds: 120\n");
    let _service = rig.start_logged_service(&rig.dir.path().join("service.log"));

    // CE 1's clip export runs (and would for 120 s).
    rig.publish_incident("slow", &["front"]);
    wait_for("CE 1's export started", Duration::from_secs(60), || {
        rig.frigate.exports_started() >= 1
    });

    // CE 2 opens: its first notification carries its snapshot.
    let opened = Instant::now();
    rig.observer.publish(
        "frigate/events",
        &frigate_event("new", &snapshot_event, "side", now() - 1.0, None),
    );
    let seen = until_camera(&rig, "side", Duration::from_secs(20));
    let waited = opened.elapsed();
    let first = seen.last().unwrap();
    let (folder, _) = journal_of_ce_with(&rig.storage(), "snap").unwrap();
    let folder_name = folder.file_name().unwrap().to_str().unwrap();
    assert_eq!(first["status"], "new", "{first}");
    assert_eq!(
        first["image_url"],
        format!("/files/events/{folder_name}/side/snapshot.jpg"),
        "{first}"
    );
    assert!(
        waited <= Duration::from_secs(2),
        "the picture came {waited:?} after the event"
    );
    assert_eq!(
        rig.frigate.live_exports().len(),
        1,
        "CE 1's export must still be running"
    );
    let saved = std::fs::read(folder.join("side/snapshot.jpg")).unwrap();
    assert_eq!(saved, std::fs::read(ffmpeg_test_jpeg()).unwrap());
}
