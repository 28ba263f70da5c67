//! Faults injected into the running service: SIGKILL at random moments
//! while incidents arrive and are processed, each time restarted at once.
//! Every published Frigate event must end in exactly one finished CE with a
//! playable summary, and no half-written file may remain. (Incidents whose
//! messages wait out a restart together may share a CE: the close timer runs
//! on arrival time.) The moments come from a
//! seed printed at the start (`FRIGATE_BUFFER_FAULT_SEED` replays one).

mod common;

use common::service_harness::{ce_folders, frigate_event, frigate_with_sample_clips, now, Rig, Service};
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
    assert!((1..=incidents).contains(&folders.len()), "seed {seed}: {folders:?}");
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
