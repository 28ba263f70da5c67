//! The metadata-probe stage: owns the probe cache; turns clip paths into
//! detection jobs carrying the probed metadata, so the accelerator owner
//! never probes anything itself.

use crate::flow::failure::PipelineError;
use crate::flow::messages::{AcceleratorJob, DetectJob, PipelineEvent, ProbeRequest};
use crate::media::probe_cache::ProbeCache;
use crate::pipeline::stage::Stage;
use crossbeam_channel::Sender;

/// Clips whose metadata stay cached (the oldest are dropped first).
const PROBE_CACHE_CAPACITY: usize = 512;

/// State of the metadata-probe thread.
pub struct ProbeStage {
    /// Memoised probe results by (path, size, mtime).
    cache: ProbeCache,
    /// Detection jobs out.
    jobs: Sender<AcceleratorJob>,
    /// Per-camera failures out.
    events: Sender<PipelineEvent>,
}

impl ProbeStage {
    /// A probe stage sending to `jobs` and `events`.
    pub fn new(jobs: Sender<AcceleratorJob>, events: Sender<PipelineEvent>) -> Self {
        Self {
            cache: ProbeCache::new(PROBE_CACHE_CAPACITY),
            jobs,
            events,
        }
    }
}

impl Stage for ProbeStage {
    type Input = ProbeRequest;

    fn handle(&mut self, request: ProbeRequest) -> bool {
        match self.cache.probe(&request.clip) {
            Ok(metadata) => {
                let job = DetectJob {
                    ce: request.ce,
                    camera: request.camera,
                    clip: metadata,
                };
                self.jobs.send(AcceleratorJob::Detect(job)).is_ok()
            }
            Err(err) => {
                tracing::error!(camera = %request.camera, "{err}");
                let _ = self.events.send(PipelineEvent::CameraFailed {
                    ce_id: request.ce.id.clone(),
                    camera: request.camera,
                    error: PipelineError::failed(err.to_string()),
                });
                false
            }
        }
    }
}
