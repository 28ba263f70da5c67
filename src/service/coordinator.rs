//! The coordinator thread (stand-alone mode): owns the pipeline and the CE
//! driver. It submits each CE whose clips are on disk, follows it through the
//! stages and hands each outcome to [`Conclusions`]; a CE sent back (the
//! storage was full) is submitted again after the delay asked for, or at the
//! next start if the service stops first.

use super::conclusions::{Conclusions, Verdict};
use super::messages::{ReadyCe, ReviewAnalysis};
use crate::ce_report::CeOutcome;
use crate::flow::messages::CeJob;
use crate::pipeline::ce_loop::{run_ce_loop, CeLoopHooks};
use crate::pipeline::ce_run::CeDriver;
use crate::pipeline::Pipeline;
use crate::timeline::PlanParams;
use crossbeam_channel::{Receiver, TryRecvError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The coordinator's inputs.
pub struct CoordinatorLinks {
    /// CEs whose clips are on disk.
    pub ready: Receiver<ReadyCe>,
    /// Frigate's GenAI summaries (`ai_mode: frigate`); never sends otherwise.
    pub reviews: Receiver<ReviewAnalysis>,
}

/// Runs until `ready` closes and every submitted CE has finished, or until
/// `drain_limit` after `ready` closed; then drains and stops the pipeline. CEs
/// still waiting to be retried then resume at the next start.
pub fn run_coordinator(
    pipeline: Pipeline,
    params: PlanParams,
    links: CoordinatorLinks,
    conclusions: Conclusions,
    drain_limit: Duration,
) {
    let mut driver = CeDriver::new(&pipeline, params);
    let mut coordinator = Coordinator {
        conclusions,
        reviews: Some(links.reviews),
        submitted: HashMap::new(),
        retry_later: Vec::new(),
    };
    run_ce_loop(&pipeline, &mut driver, &links.ready, &mut coordinator, drain_limit);
    drop(driver);
    pipeline.shutdown();
}

/// The coordinator's side of the CE loop.
struct Coordinator {
    /// Journals, notifies and judges each outcome.
    conclusions: Conclusions,
    /// Frigate's GenAI summaries; `None` once the ingest thread has stopped.
    reviews: Option<Receiver<ReviewAnalysis>>,
    /// CEs in the pipeline, kept to be submitted again.
    submitted: HashMap<String, ReadyCe>,
    /// CEs sent back (the storage was full), with when to retry.
    retry_later: Vec<(Instant, ReadyCe)>,
}

impl Coordinator {
    /// Submits `ce` to the pipeline and keeps it until its outcome.
    fn submit(&mut self, driver: &mut CeDriver<'_>, ce: ReadyCe) {
        let job = CeJob::new(
            ce.ce_id.clone(),
            ce.folder.clone(),
            ce.window_start,
            ce.window_seconds,
            ce.clips.clone(),
        );
        driver.submit(Arc::new(job), ce.failed.clone(), true);
        self.submitted.insert(ce.ce_id.clone(), ce);
    }
}

impl CeLoopHooks for Coordinator {
    type Input = ReadyCe;

    fn take(&mut self, ce: ReadyCe, driver: &mut CeDriver<'_>) {
        self.conclusions.expect(&ce);
        self.submit(driver, ce);
    }

    fn finished(&mut self, outcome: CeOutcome, _driver: &mut CeDriver<'_>) {
        let ce = self.submitted.remove(&outcome.ce_id);
        if let (Verdict::RetryAfter(delay), Some(ce)) = (self.conclusions.conclude(&outcome), ce) {
            self.retry_later.push((Instant::now() + delay, ce));
        }
    }

    fn turn_ended(&mut self, driver: &mut CeDriver<'_>, taking: bool) {
        if let Some(reviews) = &self.reviews {
            loop {
                match reviews.try_recv() {
                    Ok(review) => self.conclusions.take_review(review),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.reviews = None;
                        break;
                    }
                }
            }
        }
        if taking {
            let now = Instant::now();
            let (due, later) = std::mem::take(&mut self.retry_later)
                .into_iter()
                .partition(|(at, _)| *at <= now);
            self.retry_later = later;
            for (_, ce) in due {
                self.submit(driver, ce);
            }
        }
    }
}
