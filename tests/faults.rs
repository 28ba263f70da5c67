//! Faults injected into the running service.
//!
//! - SIGKILL at random moments while incidents arrive and are processed,
//!   each time restarted at once. Every published Frigate event must end in
//!   exactly one finished CE with a playable summary, one CE per incident
//!   (the lifecycle runs on event time, so incidents whose messages wait out
//!   a restart together stay apart), and no half-written file may remain. The moments come
//!   from a seed printed at the start (`FRIGATE_BUFFER_FAULT_SEED` replays one).
//! - A slow Frigate that answers 500 and cuts downloads mid-body.
//! - A truncated clip on one camera.
//! - The storage filling up while a CE is processed (a small tmpfs; skipped,
//!   with a message, where mounting one is not permitted).

mod common;

use common::frigate_api::{ffmpeg_test_jpeg, FrigateApi, Setup};
use common::service_harness::{
    ce_folders, finished_ce_folders, frigate_event, frigate_with_sample_clips, now, sample_clips, Rig, Service,
};
use common::small_disk::SmallDisk;
use common::video_info;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A small deterministic generator (64-bit LCG), enough to place kills.
struct Moments(u64);

impl Moments {
    /// A delay between `min` and `max`.
    fn next(&mut self, min: Duration, max: Duration) -> Duration {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        min + (max - min).mul_f64(unit)
    }
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn sigkill_at_random_moments_loses_no_ce_and_leaves_no_partial_file() {
    let seed = std::env::var("FRIGATE_BUFFER_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| now().to_bits());
    eprintln!("fault seed {seed} (FRIGATE_BUFFER_FAULT_SEED={seed} replays these kills)");
    let mut moments = Moments(seed);
    let rig = Rig::start("faults", frigate_with_sample_clips(&[]), "");
    let mut service = rig.start_service();

    // Three incidents, 8 s apart (the CE gap is 3 s), while the service is killed
    // three times at random moments over the first minute.
    let incidents = 3;
    let started = Instant::now();
    let mut kills: Vec<Duration> = (0..3)
        .map(|_| moments.next(Duration::from_secs(2), Duration::from_secs(60)))
        .collect();
    kills.sort();
    let mut published = 0;
    let mut event_ids = Vec::new();
    while published < incidents || !kills.is_empty() {
        let elapsed = started.elapsed();
        if published < incidents && elapsed >= Duration::from_secs(8 * published as u64) {
            let start = now() - 2.5;
            let cameras: &[&str] = if published == 1 {
                &["driveway"]
            } else {
                &["front_door", "driveway"]
            };
            for (n, camera) in cameras.iter().enumerate() {
                let id = format!("{:.6}-f{published}{n}", start + n as f64);
                rig.observer
                    .publish("frigate/events", &frigate_event("new", &id, camera, start, None));
                rig.observer.publish(
                    "frigate/events",
                    &frigate_event("end", &id, camera, start, Some(start + 2.0)),
                );
                event_ids.push(id);
            }
            published += 1;
        }
        if kills.first().is_some_and(|at| elapsed >= *at) {
            kills.remove(0);
            eprintln!("SIGKILL at {:.1} s", elapsed.as_secs_f64());
            service.sigkill();
            service = Service::start(&rig.config);
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // Every event ends up in one finished CE.
    let storage = rig.storage();
    let deadline = Instant::now() + Duration::from_secs(400);
    let members = || -> Vec<String> {
        let mut ids = Vec::new();
        for folder in ce_folders(&storage) {
            let journal = std::fs::read_to_string(folder.join("journal.jsonl")).unwrap_or_default();
            if journal.contains("\"finished\"") {
                for line in journal.lines().filter(|line| line.contains("\"event_joined\"")) {
                    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                    ids.push(entry["event_id"].as_str().unwrap().to_string());
                }
            }
        }
        ids.sort();
        ids
    };
    event_ids.sort();
    while members() != event_ids {
        assert!(
            Instant::now() < deadline,
            "seed {seed}: events in finished CEs {:?}, published {event_ids:?}",
            members()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let folders = ce_folders(&storage);
    assert_eq!(folders.len(), incidents, "seed {seed}: {folders:?}");
    assert!(service.sigterm().success());

    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let info = video_info(&folder.join(format!("{name}_summary.mp4")));
        assert_eq!((info.width, info.height), (1440, 1080), "seed {seed}: {name}");
        assert!(info.duration > 5.0, "seed {seed}: {name}: {info:?}");
        for file in files_under(&folder) {
            let file_name = file.file_name().unwrap().to_string_lossy();
            assert!(
                !file_name.contains(".tmp"),
                "seed {seed}: half-written file left: {}",
                file.display()
            );
        }
    }
}

/// Waits until `count` CE folders have a journal that says `finished`; returns them.
fn finished_ces(storage: &Path, count: usize, timeout: Duration) -> Vec<PathBuf> {
    let deadline = Instant::now() + timeout;
    loop {
        let finished = finished_ce_folders(storage);
        if finished.len() >= count {
            return finished;
        }
        assert!(Instant::now() < deadline, "{} of {count} CEs finished", finished.len());
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Asserts that no temporary file is left under `dir`.
fn assert_no_partial_file(dir: &Path) {
    for file in files_under(dir) {
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(!name.contains(".tmp"), "half-written file left: {}", file.display());
    }
}

/// The summary video of a finished CE folder.
fn summary_of(folder: &Path) -> PathBuf {
    let name = folder.file_name().unwrap().to_string_lossy().into_owned();
    folder.join(format!("{name}_summary.mp4"))
}

#[test]
fn a_slow_frigate_that_errors_and_cuts_downloads_still_yields_a_complete_ce() {
    let frigate = FrigateApi::start(Setup {
        clips: sample_clips(),
        jpeg: Some(ffmpeg_test_jpeg()),
        export_looks_until_done: 1,
        failures_per_path: 1,
        delay: Duration::from_millis(1500),
        cut_downloads: 2,
        ..Setup::default()
    });
    let rig = Rig::start("faults-frigate", frigate, "");
    let service = rig.start_service();
    rig.publish_incident("slow", &["front_door", "driveway"]);

    let folders = finished_ces(&rig.storage(), 1, Duration::from_secs(300));
    let folder = &folders[0];
    for camera in ["front_door", "driveway"] {
        assert!(folder.join(camera).join("detection.json").is_file(), "{camera}");
    }
    let info = video_info(&summary_of(folder));
    assert_eq!((info.width, info.height), (1440, 1080));
    assert!(info.duration > 1.0, "{info:?}");
    assert_no_partial_file(&rig.storage());
    let cut_then_retried = rig
        .frigate
        .log()
        .iter()
        .filter(|line| line.starts_with("GET /exports/"))
        .count();
    assert!(
        cut_then_retried >= 4,
        "two cut downloads and two whole ones: {:?}",
        rig.frigate.log()
    );
    assert!(service.sigterm().success());
}

#[test]
fn a_truncated_clip_fails_its_camera_not_the_ce() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(&sample_clips()["driveway"]).unwrap();
    let truncated = dir.path().join("driveway-truncated.mp4");
    std::fs::write(&truncated, &whole[..whole.len() * 2 / 5]).unwrap();
    let mut clips = sample_clips();
    clips.insert("driveway".into(), truncated);
    let frigate = FrigateApi::start(Setup {
        clips,
        jpeg: Some(ffmpeg_test_jpeg()),
        export_looks_until_done: 1,
        ..Setup::default()
    });
    let rig = Rig::start("faults-truncated", frigate, "");
    let service = rig.start_service();
    rig.publish_incident("cut", &["front_door", "driveway"]);

    let folders = finished_ces(&rig.storage(), 1, Duration::from_secs(300));
    let folder = &folders[0];
    assert!(folder.join("front_door/detection.json").is_file());
    assert!(!folder.join("driveway/detection.json").exists());
    let info = video_info(&summary_of(folder));
    assert_eq!((info.width, info.height), (1440, 1080));
    let report = std::fs::read_to_string(folder.join("metadata.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let failure = report.to_string();
    assert!(failure.contains("driveway"), "{report}");
    assert_no_partial_file(&rig.storage());
    assert!(service.sigterm().success());
}

/// Fills the file system of `dir` with a ballast file until it is full.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let ballast = dir.join("ballast");
    let mut file = std::fs::File::create(&ballast).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    ballast
}

#[test]
fn a_full_disk_holds_the_ce_back_cleanly_until_there_is_room() {
    let rig = Rig::start("faults-disk-full", frigate_with_sample_clips(&[]), "");
    let storage = rig.storage();
    let _disk = match SmallDisk::mount(&storage, 64) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs for the storage ({why}); needs root or CAP_SYS_ADMIN");
            return;
        }
    };
    let log = rig.dir.path().join("service.log");
    let mut service = rig.start_logged_service(&log);
    rig.publish_incident("full", &["front_door", "driveway"]);

    // Once both clips are on disk, the disk fills up under the pipeline.
    let journal = || {
        ce_folders(&storage)
            .first()
            .and_then(|folder| std::fs::read_to_string(folder.join("journal.jsonl")).ok())
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal().matches("\"clip_fetched\"").count() < 2 {
        assert!(Instant::now() < deadline, "clips not fetched: {}", journal());
        std::thread::sleep(Duration::from_millis(50));
    }
    let ballast = fill(&storage);

    // One clear error line; the CE is held back, not concluded; nothing half-written; still running.
    let deadline = Instant::now() + Duration::from_secs(300);
    let full_line = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if let Some(line) = text.lines().find(|line| line.contains("storage full")) {
            break line.to_string();
        }
        assert!(Instant::now() < deadline, "no storage-full error logged:\n{text}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let first = ce_folders(&storage)[0].clone();
    let name = first.file_name().unwrap().to_string_lossy().into_owned();
    assert!(full_line.contains("ERROR") && full_line.contains(&name), "{full_line}");
    assert!(!journal().contains("\"step\":\"finished\""), "{}", journal());
    assert_no_partial_file(&storage);
    assert!(service.child.try_wait().unwrap().is_none(), "the service died");

    // With room again, the same CE is processed in full, once.
    std::fs::remove_file(&ballast).unwrap();
    let folders = finished_ces(&storage, 1, Duration::from_secs(300));
    assert_eq!(folders, std::slice::from_ref(&first));
    let info = video_info(&summary_of(&first));
    assert_eq!((info.width, info.height), (1440, 1080));
    assert_eq!(
        journal().matches("\"status\":\"clip_ready\"").count(),
        1,
        "{}",
        journal()
    );
    assert_no_partial_file(&storage);
    assert!(service.sigterm().success());
}
