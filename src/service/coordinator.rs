//! The coordinator thread (stand-alone mode): owns the pipeline and the CE
//! driver. It submits each CE whose clips are on disk, follows it through the
//! stages and hands each outcome to [`Conclusions`].

use super::conclusions::Conclusions;
use super::messages::{ReadyCe, ReviewAnalysis};
use crate::pipeline::ce_run::CeDriver;
use crate::pipeline::messages::CeJob;
use crate::pipeline::Pipeline;
use crate::timeline::PlanParams;
use crossbeam_channel::{select, Receiver};
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
/// `drain_limit` after `ready` closed; then drains and stops the pipeline.
pub fn run_coordinator(
    pipeline: Pipeline,
    params: PlanParams,
    links: CoordinatorLinks,
    mut conclusions: Conclusions,
    drain_limit: Duration,
) {
    let mut driver = CeDriver::new(&pipeline, params);
    let mut ready_open = true;
    let mut drain_deadline: Option<Instant> = None;
    let tick = crossbeam_channel::tick(Duration::from_millis(500));
    while ready_open || driver.in_flight() > 0 {
        if drain_deadline.is_some_and(|deadline| Instant::now() > deadline) {
            tracing::warn!(
                in_flight = driver.in_flight(),
                "shutdown drain time exceeded; unfinished CEs resume at next start"
            );
            break;
        }
        let ready_or_never = if ready_open {
            links.ready.clone()
        } else {
            crossbeam_channel::never()
        };
        select! {
            recv(ready_or_never) -> message => match message {
                Ok(ce) => {
                    conclusions.expect(&ce);
                    let job = Arc::new(CeJob::new(ce.ce_id, ce.folder, ce.window_start, ce.window_seconds, ce.clips));
                    driver.submit(job, ce.failed, true);
                }
                Err(_) => {
                    ready_open = false;
                    drain_deadline = Some(Instant::now() + drain_limit);
                }
            },
            recv(pipeline.events()) -> event => {
                if let Ok(event) = event {
                    driver.handle(event);
                }
            },
            recv(links.reviews) -> review => {
                if let Ok(review) = review {
                    conclusions.take_review(review);
                }
            },
            recv(tick) -> _ => {}
        }
        for outcome in driver.take_finished() {
            conclusions.conclude(&outcome);
        }
    }
    drop(driver);
    pipeline.shutdown();
}
