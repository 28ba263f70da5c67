//! A GPU that faults, with two accelerator owners: the real pipeline (real clips, the real
//! model on the CPU backend) behind stand-in backends that count what they get, one of which
//! reports a GPU fault on its first job. The faulted owner must leave rotation and hand its
//! job back, the other owner must run it (so every camera still gets its sidecar), the faulted
//! owner must come back after its probe and take work again, and `/metrics` must show it.

use crate::common::copy_sample;
use frigate_buffer::accelerator::{AcceleratorBackend, AcceleratorError, BackendFactory, DetectStats};
use frigate_buffer::ai::AiFrameJpeg;
use frigate_buffer::assemble::pipeline_parts;
use frigate_buffer::ce_folder;
use frigate_buffer::config::Config;
use frigate_buffer::encode::PixelFormat;
use frigate_buffer::flow::frame_pool::PooledBuffer;
use frigate_buffer::flow::messages::{AiFramesJob, CompileJob, DetectJob, SampledFrame};
use frigate_buffer::flow::owner_board::ProbeBackoff;
use frigate_buffer::metrics::{render, ServiceMetrics};
use frigate_buffer::offline::folder_job;
use frigate_buffer::pipeline::ce_run::CeDriver;
use frigate_buffer::pipeline::Pipeline;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CAMERAS: [&str; 2] = ["front_door", "driveway"];

/// What one stand-in backend was given.
#[derive(Default)]
struct Tally {
    detect_jobs: AtomicU64,
    compile_jobs: AtomicU64,
    probes: AtomicU64,
}

/// Builds a [`StandIn`] around a real backend.
struct StandInFactory {
    inner: Box<dyn BackendFactory>,
    tally: Arc<Tally>,
    fault_first_job: bool,
}

impl BackendFactory for StandInFactory {
    fn name(&self) -> &'static str {
        "stand-in"
    }

    fn create(self: Box<Self>) -> Result<Box<dyn AcceleratorBackend>, AcceleratorError> {
        Ok(Box::new(StandIn {
            inner: self.inner.create()?,
            tally: self.tally,
            fault_pending: self.fault_first_job,
        }))
    }
}

/// A backend that counts its jobs and runs them on the real one, except a first detection
/// job it fails with a GPU fault when `fault_pending`; its probe always succeeds.
struct StandIn {
    inner: Box<dyn AcceleratorBackend>,
    tally: Arc<Tally>,
    fault_pending: bool,
}

impl AcceleratorBackend for StandIn {
    fn name(&self) -> &'static str {
        "stand-in"
    }

    fn model_name(&self) -> &str {
        self.inner.model_name()
    }

    fn detect_clip(
        &mut self,
        job: &DetectJob,
        emit: &mut dyn FnMut(SampledFrame) -> bool,
    ) -> Result<DetectStats, AcceleratorError> {
        self.tally.detect_jobs.fetch_add(1, Ordering::SeqCst);
        if std::mem::take(&mut self.fault_pending) {
            return Err(AcceleratorError::Gpu {
                device: 0,
                message: "an illegal memory access was encountered".into(),
            });
        }
        self.inner.detect_clip(job, emit)
    }

    fn summary_pixels(&self) -> PixelFormat {
        self.inner.summary_pixels()
    }

    fn render_summary(
        &mut self,
        job: &CompileJob,
        emit: &mut dyn FnMut(PooledBuffer) -> bool,
    ) -> Result<u64, AcceleratorError> {
        self.tally.compile_jobs.fetch_add(1, Ordering::SeqCst);
        self.inner.render_summary(job, emit)
    }

    fn render_ai_frames(&mut self, job: &AiFramesJob) -> Result<Vec<AiFrameJpeg>, AcceleratorError> {
        self.inner.render_ai_frames(job)
    }

    fn probe(&mut self) -> Result<(), AcceleratorError> {
        self.tally.probes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// The value of the sample `key` (name and labels) in a metrics text.
fn sample(text: &str, key: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn a_faulted_owner_leaves_rotation_hands_its_job_on_and_rejoins_after_its_probe() {
    let dir = copy_sample(&CAMERAS);
    let config_path = dir.path().join("config.yaml");
    std::fs::write(&config_path, "pipeline: cpu\n").unwrap();
    let config = Config::load(&config_path).unwrap();

    // Two owners, each a stand-in around a real CPU backend; owner 0 faults on its first job.
    let (mut parts, _) = pipeline_parts(&config).unwrap();
    let (mut second, _) = pipeline_parts(&config).unwrap();
    let tallies = [Arc::new(Tally::default()), Arc::new(Tally::default())];
    parts.accelerators = vec![
        Box::new(StandInFactory {
            inner: parts.accelerators.pop().unwrap(),
            tally: tallies[0].clone(),
            fault_first_job: true,
        }),
        Box::new(StandInFactory {
            inner: second.accelerators.pop().unwrap(),
            tally: tallies[1].clone(),
            fault_first_job: false,
        }),
    ];
    let backoff = Duration::from_secs(2);
    parts.probe_backoff = ProbeBackoff {
        first: backoff,
        longest: backoff,
    };
    let pipeline = Pipeline::start(parts).unwrap();

    // A watcher renders /metrics' text all along, to see owner 0 out of rotation.
    let telemetry = pipeline.telemetry().clone();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (telemetry, done) = (telemetry.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen_out = false;
            while !done.load(Ordering::SeqCst) {
                let text = render(&ServiceMetrics::new(), &telemetry, 1.0);
                let key = "frigate_buffer_accelerator_owner_in_rotation{owner=\"0\"}";
                seen_out |= sample(&text, key) == Some(0.0);
                std::thread::sleep(Duration::from_millis(5));
            }
            seen_out
        })
    };

    let started = Instant::now();
    let mut driver = CeDriver::new(&pipeline, config.plan.clone());
    let (job, missing) = folder_job(ce_folder::scan(dir.path()).unwrap());
    driver.submit(job, missing, true);
    let outcomes = driver.run_to_completion(&mut || {
        assert!(started.elapsed() < Duration::from_secs(600), "the CE did not finish");
    });

    // Every camera got its sidecar, and the CE its summary.
    assert_eq!(outcomes.len(), 1);
    let outcome = &outcomes[0];
    for camera in &outcome.cameras {
        assert!(camera.error.is_none(), "{}: {:?}", camera.camera, camera.error);
        let sidecar = camera
            .sidecar
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no sidecar", camera.camera));
        assert!(sidecar.is_file(), "{}", sidecar.display());
    }
    assert_eq!(outcome.cameras.len(), CAMERAS.len());
    assert!(
        outcome.summary.as_ref().is_some_and(|path| path.is_file()),
        "{:?}",
        outcome.summary_error
    );

    // Owner 0 got the first detection job, faulted on it and handed it (and whatever was
    // queued behind it) on; owner 1 ran every clip.
    assert_eq!(tallies[0].detect_jobs.load(Ordering::SeqCst), 1);
    assert_eq!(tallies[1].detect_jobs.load(Ordering::SeqCst), CAMERAS.len() as u64);
    // Owner 0's probe came after the back-off and brought it back: the detection passes on
    // the CPU take longer than the back-off, so the summary found both owners in rotation
    // with nothing queued, and the tie went to owner 0.
    assert_eq!(tallies[0].probes.load(Ordering::SeqCst), 1);
    assert_eq!(tallies[0].compile_jobs.load(Ordering::SeqCst), 1);
    assert_eq!(tallies[1].compile_jobs.load(Ordering::SeqCst), 0);

    done.store(true, Ordering::SeqCst);
    assert!(watcher.join().unwrap(), "metrics never showed owner 0 out of rotation");
    let text = render(&ServiceMetrics::new(), &telemetry, 1.0);
    let value = |key: &str| sample(&text, key).unwrap_or_else(|| panic!("{key} missing from\n{text}"));
    assert_eq!(value("frigate_buffer_accelerator_owner_in_rotation{owner=\"0\"}"), 1.0);
    assert_eq!(value("frigate_buffer_accelerator_owner_faults_total{owner=\"0\"}"), 1.0);
    assert_eq!(
        value("frigate_buffer_accelerator_owner_recoveries_total{owner=\"0\"}"),
        1.0
    );
    assert_eq!(value("frigate_buffer_accelerator_owner_faults_total{owner=\"1\"}"), 0.0);
    assert_eq!(
        value("frigate_buffer_accelerator_owner_queued_frames{owner=\"0\"}"),
        0.0
    );
    assert_eq!(
        value("frigate_buffer_accelerator_owner_queued_frames{owner=\"1\"}"),
        0.0
    );
    pipeline.shutdown();
}
