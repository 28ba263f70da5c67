//! The soak run: realistic Frigate incidents (one or two cameras with
//! overlapping events) published through a real Mosquitto into
//! `frigate-buffer run` against the local Frigate-API server serving the
//! sample's real clips, for `FRIGATE_BUFFER_SOAK_SECONDS` (180 by default).
//!
//! An incident starts every `FRIGATE_BUFFER_SOAK_INTERVAL` seconds (30 by
//! default, a load two cores sustain).
//!
//! It reports CEs per minute, close-to-summary latency (p50/p95/max), RSS
//! and open file descriptors over time, and asserts that every incident
//! became exactly one finished CE, and that, idle, the service holds no
//! more than 5% more RSS and no more descriptors at the end than right
//! after warm-up (the first CE). Ignored by default: `scripts/soak.sh` runs it.

mod common;

use common::service_harness::{ce_folders, frigate_event, frigate_with_clips, now, whole_sample_clips, Observer, Rig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Seconds of quiet that close a CE in the test configuration.
const EVENT_GAP_SECONDS: f64 = 3.0;

/// One sample of the service process.
#[derive(Debug, Clone, Copy)]
struct ProcessSample {
    /// Seconds since the soak started.
    at: f64,
    /// Resident set, KiB.
    rss_kib: u64,
    /// Open file descriptors.
    fds: usize,
}

fn sample_process(pid: u32, started: Instant) -> Option<ProcessSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some(ProcessSample {
        at: started.elapsed().as_secs_f64(),
        rss_kib,
        fds,
    })
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// An incident on one or two cameras; returns when its events have ended and
/// the time its CE closes (the last end plus the gap).
fn publish_incident(observer: &Observer, index: usize) -> f64 {
    let cameras: &[&str] = if index.is_multiple_of(2) {
        &["front_door", "driveway"]
    } else {
        &["driveway"]
    };
    let start = now() - 15.0;
    let ids: Vec<String> = cameras
        .iter()
        .enumerate()
        .map(|(n, _)| format!("{:.6}-s{index:03}{n}", start + n as f64))
        .collect();
    for ((camera, id), n) in cameras.iter().zip(&ids).zip(0..) {
        observer.publish(
            "frigate/events",
            &frigate_event("new", id, camera, start + n as f64, None),
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    let mut last_end = 0.0;
    for ((camera, id), n) in cameras.iter().zip(&ids).zip(0..) {
        let end = start + 10.0 + n as f64;
        observer.publish(
            "frigate/events",
            &frigate_event("end", id, camera, start + n as f64, Some(end)),
        );
        last_end = now();
    }
    last_end + EVENT_GAP_SECONDS
}

/// The notifications seen, per CE.
#[derive(Default)]
struct Seen {
    /// When each CE's `clip_ready` arrived (epoch seconds).
    ready_at: BTreeMap<String, f64>,
    /// Every status of each CE, in order.
    statuses: BTreeMap<String, Vec<String>>,
}

impl Seen {
    /// Takes notifications until `until` or until `want` CEs are ready.
    fn collect(&mut self, observer: &Observer, until: Instant, want: usize) {
        while Instant::now() < until && self.ready_at.len() < want {
            let Ok(Some(message)) = observer.notifications.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let value: Value = serde_json::from_slice(message.payload()).unwrap();
            let (ce, status) = (value["event_id"].as_str().unwrap(), value["status"].as_str().unwrap());
            self.statuses
                .entry(ce.to_string())
                .or_default()
                .push(status.to_string());
            if status == "clip_ready" {
                assert!(
                    self.ready_at.insert(ce.to_string(), now()).is_none(),
                    "{ce}: clip_ready twice"
                );
            }
        }
    }
}

#[test]
#[ignore = "long-running; scripts/soak.sh runs it"]
fn soak() {
    let duration = Duration::from_secs(
        std::env::var("FRIGATE_BUFFER_SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(180),
    );
    let interval = Duration::from_secs(
        std::env::var("FRIGATE_BUFFER_SOAK_INTERVAL")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(30),
    );
    let rig = Rig::start("soak", frigate_with_clips(whole_sample_clips(), &[]), "");
    let service = rig.start_service();
    let pid = service.child.id();

    let started = Instant::now();
    let samples = Arc::new(Mutex::new(Vec::<ProcessSample>::new()));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (samples, sampling) = (samples.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Some(sample) = sample_process(pid, started) {
                    samples.lock().unwrap().push(sample);
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        })
    };

    // Warm-up: the first incident, processed alone, then the idle baseline.
    let mut closes = vec![publish_incident(&rig.observer, 0)];
    let mut seen = Seen::default();
    seen.collect(&rig.observer, Instant::now() + Duration::from_secs(240), 1);
    assert_eq!(seen.ready_at.len(), 1, "the warm-up incident never finished");
    std::thread::sleep(Duration::from_secs(3));
    let warm = sample_process(pid, started).expect("the service runs");
    let warm_up_end = warm.at;

    let mut next = Instant::now();
    while started.elapsed() < duration {
        if Instant::now() >= next {
            closes.push(publish_incident(&rig.observer, closes.len()));
            next += interval;
        }
        seen.collect(&rig.observer, Instant::now() + Duration::from_millis(500), usize::MAX);
    }
    let publishing_ended = started.elapsed().as_secs_f64();
    seen.collect(&rig.observer, Instant::now() + Duration::from_secs(300), closes.len());
    std::thread::sleep(Duration::from_secs(3));
    let idle = sample_process(pid, started).expect("the service runs");
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    service.sigterm();

    // Accounting: one CE per incident, each finished once, none extra.
    let folders = ce_folders(&rig.storage());
    assert_eq!(
        seen.ready_at.len(),
        closes.len(),
        "finished CEs vs incidents; statuses {:?}",
        seen.statuses
    );
    assert_eq!(folders.len(), closes.len(), "CE folders vs incidents: {folders:?}");
    for (ce, statuses) in &seen.statuses {
        assert_eq!(statuses.iter().filter(|s| *s == "new").count(), 1, "{ce}: {statuses:?}");
    }

    // Latency: close (last end + gap) to clip_ready, matched in order of close.
    let mut ready: Vec<f64> = seen.ready_at.values().copied().collect();
    ready.sort_by(f64::total_cmp);
    let mut latencies: Vec<f64> = ready.iter().zip(&closes).map(|(r, c)| (r - c).max(0.0)).collect();
    latencies.sort_by(f64::total_cmp);

    let samples = samples.lock().unwrap().clone();
    let steady: Vec<&ProcessSample> = samples
        .iter()
        .filter(|s| s.at >= warm_up_end && s.at <= publishing_ended)
        .collect();
    let half = steady.len() / 2;
    let peak = |part: &[&ProcessSample]| part.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let (first_peak, second_peak) = (peak(&steady[..half]), peak(&steady[half..]));
    let drift = (idle.rss_kib as f64 - warm.rss_kib as f64) / warm.rss_kib.max(1) as f64;
    let minutes = publishing_ended / 60.0;
    let report = json!({
        "seconds": publishing_ended,
        "incidents": closes.len(),
        "ces_per_minute": closes.len() as f64 / minutes,
        "latency_seconds": {
            "p50": percentile(&latencies, 0.5),
            "p95": percentile(&latencies, 0.95),
            "max": latencies.last(),
        },
        "rss_mib": {
            "warm_idle": warm.rss_kib / 1024,
            "end_idle": idle.rss_kib / 1024,
            "idle_drift": drift,
            "first_half_peak": first_peak / 1024,
            "second_half_peak": second_peak / 1024,
        },
        "fds": {"warm_idle": warm.fds, "end_idle": idle.fds},
        "timeline": samples.iter().map(|s| json!([s.at.round(), s.rss_kib / 1024, s.fds])).collect::<Vec<_>>(),
    });
    println!("soak report: {report}");
    if let Some(path) = std::env::var_os("FRIGATE_BUFFER_SOAK_REPORT") {
        std::fs::write(path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    }
    assert!(drift < 0.05, "idle RSS grew {:.1}% after warm-up", drift * 100.0);
    assert!(
        idle.fds <= warm.fds,
        "open descriptors grew from {} to {} at idle",
        warm.fds,
        idle.fds
    );
}
