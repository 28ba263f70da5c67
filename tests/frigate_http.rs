//! The Frigate HTTP fetch side against a local stand-in of Frigate's API serving real FFmpeg files.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::frigate_api::{ffmpeg_test_clip, ffmpeg_test_jpeg, Flavour, FrigateApi, Setup};
use frigate_buffer::frigate::http::{ClipSource, FetchError, FetchPolicy, FrigateClient};

const START: f64 = 1700000000.0;
const END: f64 = 1700000030.0;

/// A policy with short pauses so the suite stays fast.
fn quick_policy() -> FetchPolicy {
    FetchPolicy {
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_secs(2),
        attempts: 4,
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        export_poll_interval: Duration::from_millis(20),
        export_timeout: Duration::from_secs(2),
        ..FetchPolicy::default()
    }
}

/// File names in `folder`, sorted.
fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts that `dest` holds exactly the bytes of `source` and is the only file in its folder.
fn assert_only_file_is_copy_of(dest: &Path, source: &Path) {
    assert_eq!(
        fs::read(dest).unwrap(),
        fs::read(source).unwrap(),
        "{} differs from the served file",
        dest.display()
    );
    assert_eq!(
        names_in(dest.parent().unwrap()),
        vec![dest.file_name().unwrap().to_string_lossy().into_owned()]
    );
}

fn export_id(source: &ClipSource) -> &str {
    match source {
        ClipSource::Export { export_id } => export_id,
        other => panic!("expected the export source, got {other:?}"),
    }
}

#[test]
fn v017_export_lands_the_clip_and_deletes_the_export() {
    let clip = ffmpeg_test_clip();
    let server = FrigateApi::start(Setup::with_clip("front", &clip, &["1700000001.5-abc123"]));
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("front/front-1.mp4");

    let fetched = client
        .fetch_clip("front", START, END, &["1700000001.5-abc123".into()], &dest)
        .unwrap();

    let id = export_id(&fetched.source);
    assert_eq!(id, "front_000001");
    assert_eq!(fetched.bytes, fs::metadata(&clip).unwrap().len());
    assert!(fetched.setbacks.is_empty(), "{:?}", fetched.setbacks);
    assert_only_file_is_copy_of(&dest, &clip);
    assert_eq!(server.live_exports(), Vec::<String>::new());
    assert_eq!(server.hits(&format!("/exports/{id}.mp4")), 1);
    assert_eq!(server.hits(&format!("/api/export/{id}")), 1, "{:?}", server.log());
    assert_eq!(server.hits("/api/events/1700000001.5-abc123/clip.mp4"), 0);
    // Starting 1700000000 is written without a fraction, as Frigate's float route accepts.
    assert_eq!(server.hits("/api/export/front/start/1700000000/end/1700000030"), 1);

    // The flavour probe is made once per client, not per clip.
    let second = dir.path().join("front/front-2.mp4");
    client.fetch_clip("front", START, END, &[], &second).unwrap();
    assert_eq!(server.hits("/api/jobs/export"), 1);
    assert_eq!(server.exports_started(), 2);
}

#[test]
fn v018_export_uses_the_renamed_routes() {
    let clip = ffmpeg_test_clip();
    let setup = Setup {
        flavour: Flavour::V018,
        export_looks_until_done: 2,
        ..Setup::with_clip("porch", &clip, &[])
    };
    let server = FrigateApi::start(setup);
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("porch-1.mp4");

    let fetched = client.fetch_clip("porch", START, END, &[], &dest).unwrap();

    let id = export_id(&fetched.source).to_string();
    assert_only_file_is_copy_of(&dest, &clip);
    assert_eq!(server.live_exports(), Vec::<String>::new());
    assert_eq!(server.hits("/api/exports/delete"), 1);
    assert_eq!(
        server.hits(&format!("/api/export/{id}")),
        0,
        "the 0.17 delete route is not used"
    );
    assert_eq!(server.hits("/api/exports"), 0, "the 0.17 list is not polled");
    // Looks: 1 and 2 see the job queued (404, then the jobs route), 3 sees it done.
    assert_eq!(server.hits(&format!("/api/exports/{id}")), 3);
    assert_eq!(server.hits("/api/jobs/export"), 1 + 2);
    assert_eq!(server.hits(&format!("/exports/{id}.mp4")), 1);
}

#[test]
fn server_errors_are_retried_until_success() {
    let clip = ffmpeg_test_clip();
    let setup = Setup {
        failures_per_path: 2,
        ..Setup::with_clip("front", &clip, &[])
    };
    let server = FrigateApi::start(setup);
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("front-1.mp4");

    let fetched = client.fetch_clip("front", START, END, &[], &dest).unwrap();

    let id = export_id(&fetched.source);
    assert_only_file_is_copy_of(&dest, &clip);
    assert_eq!(server.hits(&format!("/exports/{id}.mp4")), 3, "two 500s, then the file");
    assert_eq!(
        server.hits(&format!("/api/export/{id}")),
        3,
        "the delete is retried as well"
    );
    assert_eq!(server.live_exports(), Vec::<String>::new());
}

#[test]
fn server_errors_beyond_the_attempt_budget_fail_with_the_status() {
    let jpeg = ffmpeg_test_jpeg();
    let setup = Setup {
        failures_per_path: 5,
        jpeg: Some(jpeg),
        ..Setup::with_clip("front", &ffmpeg_test_clip(), &[])
    };
    let server = FrigateApi::start(setup);
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();

    let error = client
        .latest_frame("front", &dir.path().join("latest.jpg"))
        .unwrap_err();

    assert!(matches!(error, FetchError::Http { status: 500, .. }), "{error}");
    assert_eq!(
        error.to_string(),
        format!("{}/api/front/latest.jpg: HTTP 500", server.base_url())
    );
    assert_eq!(server.hits("/api/front/latest.jpg"), 4);
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[test]
fn export_that_never_finishes_falls_back_to_the_next_existing_event_clip() {
    let clip = ffmpeg_test_clip();
    let setup = Setup {
        export_never_finishes: true,
        ..Setup::with_clip("front", &clip, &["1700000002.0-known"])
    };
    let server = FrigateApi::start(setup);
    let policy = FetchPolicy {
        export_timeout: Duration::from_millis(200),
        ..quick_policy()
    };
    let client = FrigateClient::new(&server.base_url(), policy);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("front-1.mp4");
    let events = ["1700000001.0-gone".to_string(), "1700000002.0-known".to_string()];

    let fetched = client.fetch_clip("front", START, END, &events, &dest).unwrap();

    assert_eq!(
        fetched.source,
        ClipSource::EventClip {
            event_id: "1700000002.0-known".into()
        }
    );
    assert_only_file_is_copy_of(&dest, &clip);
    assert!(
        matches!(fetched.setbacks[0], FetchError::ExportTimedOut { .. }),
        "{:?}",
        fetched.setbacks
    );
    assert!(
        matches!(fetched.setbacks[1], FetchError::Http { status: 404, .. }),
        "{:?}",
        fetched.setbacks
    );
    assert_eq!(fetched.setbacks.len(), 2);
    assert_eq!(
        server.hits("/api/events/1700000001.0-gone/clip.mp4"),
        1,
        "404 is not retried"
    );
    assert_eq!(
        server.live_exports(),
        Vec::<String>::new(),
        "the abandoned export is deleted"
    );
    assert_eq!(server.hits("/exports/front_000001.mp4"), 0);
}

#[test]
fn without_events_the_recording_range_clip_is_the_last_resort() {
    let clip = ffmpeg_test_clip();
    let setup = Setup {
        export_never_finishes: true,
        ..Setup::with_clip("yard", &clip, &[])
    };
    let server = FrigateApi::start(setup);
    let policy = FetchPolicy {
        export_timeout: Duration::from_millis(100),
        ..quick_policy()
    };
    let client = FrigateClient::new(&server.base_url(), policy);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("yard-1.mp4");

    let fetched = client.fetch_clip("yard", START, END, &[], &dest).unwrap();

    assert_eq!(fetched.source, ClipSource::RecordingRange);
    assert_only_file_is_copy_of(&dest, &clip);
    assert_eq!(server.hits("/api/yard/start/1700000000/end/1700000030/clip.mp4"), 1);
}

#[test]
fn camera_without_recording_is_no_recording_and_leaves_no_file() {
    let server = FrigateApi::start(Setup::with_clip("front", &ffmpeg_test_clip(), &[]));
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("garage-1.mp4");

    let error = client
        .fetch_clip("garage", START, END, &["1700000003.0-garage".into()], &dest)
        .unwrap_err();

    assert!(
        matches!(&error, FetchError::NoRecording { camera } if camera == "garage"),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "camera garage: Frigate has no recording for the requested range"
    );
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
    assert_eq!(server.exports_started(), 0);
}

#[test]
fn connection_cut_mid_download_is_retried_without_leftovers() {
    let clip = ffmpeg_test_clip();
    let setup = Setup {
        cut_downloads: 1,
        ..Setup::with_clip("front", &clip, &[])
    };
    let server = FrigateApi::start(setup);
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("front-1.mp4");

    let fetched = client.fetch_clip("front", START, END, &[], &dest).unwrap();

    let id = export_id(&fetched.source);
    assert_eq!(server.hits(&format!("/exports/{id}.mp4")), 2, "cut once, then whole");
    assert_only_file_is_copy_of(&dest, &clip);
}

#[test]
fn a_body_that_is_not_mp4_is_bad_clip_and_never_lands() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("error.html");
    fs::write(&page, "<html><body>502 Bad Gateway</body></html>").unwrap();
    let server = FrigateApi::start(Setup::with_clip("front", &page, &["1700000004.0-html"]));
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let clips = dir.path().join("front");
    let dest = clips.join("front-1.mp4");

    let error = client
        .fetch_clip("front", START, END, &["1700000004.0-html".into()], &dest)
        .unwrap_err();

    let range_url = format!(
        "{}/api/front/start/1700000000/end/1700000030/clip.mp4",
        server.base_url()
    );
    match &error {
        FetchError::BadClip { url, path, reason } => {
            assert_eq!(url, &range_url);
            assert_eq!(path, &dest);
            assert!(reason.starts_with("no MP4 ftyp box in the first 64 bytes"), "{reason}");
        }
        other => panic!("expected BadClip, got {other}"),
    }
    assert!(error.to_string().contains(&dest.display().to_string()));
    assert_eq!(
        names_in(&clips),
        Vec::<String>::new(),
        "no final file and no temporary file"
    );
    // A wrong body is not retried: every source was downloaded exactly once.
    assert_eq!(server.hits("/exports/front_000001.mp4"), 1);
    assert_eq!(server.hits("/api/events/1700000004.0-html/clip.mp4"), 1);
    assert_eq!(server.hits("/api/front/start/1700000000/end/1700000030/clip.mp4"), 1);
    assert_eq!(server.live_exports(), Vec::<String>::new());
}

#[test]
fn snapshot_and_latest_frame_land_atomically() {
    let jpeg = ffmpeg_test_jpeg();
    let setup = Setup {
        jpeg: Some(jpeg.clone()),
        ..Setup::with_clip("front", &ffmpeg_test_clip(), &["1700000005.0-snap"])
    };
    let server = FrigateApi::start(setup);
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();

    let snapshot = dir.path().join("snapshot.jpg");
    assert_eq!(
        client.fetch_snapshot("1700000005.0-snap", &snapshot).unwrap(),
        fs::metadata(&jpeg).unwrap().len()
    );
    assert_only_file_is_copy_of(&snapshot, &jpeg);
    fs::remove_file(&snapshot).unwrap();

    let latest = dir.path().join("latest.jpg");
    client.latest_frame("front", &latest).unwrap();
    assert_only_file_is_copy_of(&latest, &jpeg);

    let missing = client
        .fetch_snapshot("1700000006.0-none", &dir.path().join("none.jpg"))
        .unwrap_err();
    assert!(matches!(missing, FetchError::Http { status: 404, .. }), "{missing}");
    assert_eq!(server.hits("/api/events/1700000006.0-none/snapshot.jpg"), 1);
}

#[test]
fn an_mp4_served_as_snapshot_is_refused() {
    let clip = ffmpeg_test_clip();
    let setup = Setup {
        jpeg: Some(clip.clone()),
        ..Setup::with_clip("front", &clip, &[])
    };
    let server = FrigateApi::start(setup);
    let client = FrigateClient::new(&server.base_url(), quick_policy());
    let dir = tempfile::tempdir().unwrap();

    let error = client
        .latest_frame("front", &dir.path().join("latest.jpg"))
        .unwrap_err();

    assert!(
        matches!(&error, FetchError::BadClip { reason, .. } if reason.starts_with("not a JPEG")),
        "{error}"
    );
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

#[test]
fn slow_answers_time_out_and_are_retried() {
    let setup = Setup {
        delay: Duration::from_millis(300),
        ..Setup::with_clip("front", &ffmpeg_test_clip(), &[])
    };
    let server = FrigateApi::start(setup);
    let policy = FetchPolicy {
        read_timeout: Duration::from_millis(100),
        attempts: 2,
        ..quick_policy()
    };
    let client = FrigateClient::new(&server.base_url(), policy);
    let dir = tempfile::tempdir().unwrap();

    let error = client
        .latest_frame("front", &dir.path().join("latest.jpg"))
        .unwrap_err();

    assert!(
        matches!(&error, FetchError::Transport { message, .. } if message.contains("timeout")),
        "{error}"
    );
    assert_eq!(server.hits("/api/front/latest.jpg"), 2);
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}
