//! The coordinator thread (stand-alone mode): owns the pipeline and the CE
//! driver. It submits each CE whose clips are on disk, follows it through the
//! stages and hands each outcome to [`Conclusions`]; a CE sent back (the
//! storage was full) is submitted again after the delay asked for, or at the
//! next start if the service stops first.

use super::conclusions::{Conclusions, Verdict};
use super::messages::{ReadyCe, ReviewAnalysis};
use crate::flow::messages::CeJob;
use crate::pipeline::ce_run::CeDriver;
use crate::pipeline::Pipeline;
use crate::timeline::PlanParams;
use crossbeam_channel::{select, Receiver};
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
    mut conclusions: Conclusions,
    drain_limit: Duration,
) {
    let mut driver = CeDriver::new(&pipeline, params);
    // CEs in the pipeline, kept to be submitted again; CEs sent back, with when to retry.
    let mut submitted: HashMap<String, ReadyCe> = HashMap::new();
    let mut retry_later: Vec<(Instant, ReadyCe)> = Vec::new();
    let submit = |driver: &mut CeDriver, submitted: &mut HashMap<String, ReadyCe>, ce: ReadyCe| {
        let job = CeJob::new(
            ce.ce_id.clone(),
            ce.folder.clone(),
            ce.window_start,
            ce.window_seconds,
            ce.clips.clone(),
        );
        driver.submit(Arc::new(job), ce.failed.clone(), true);
        submitted.insert(ce.ce_id.clone(), ce);
    };
    let mut ready_open = true;
    let mut drain_deadline: Option<Instant> = None;
    let tick = crossbeam_channel::tick(Duration::from_millis(500));
    // Its sender goes when the ingest thread stops; a closed channel is then never again ready.
    let mut reviews = Some(links.reviews);
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
                    submit(&mut driver, &mut submitted, ce);
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
            recv(reviews.clone().unwrap_or_else(crossbeam_channel::never)) -> review => match review {
                Ok(review) => conclusions.take_review(review),
                Err(_) => reviews = None,
            },
            recv(tick) -> _ => {}
        }
        for outcome in driver.take_finished() {
            let ce = submitted.remove(&outcome.ce_id);
            if let (Verdict::RetryAfter(delay), Some(ce)) = (conclusions.conclude(&outcome), ce) {
                retry_later.push((Instant::now() + delay, ce));
            }
        }
        if ready_open {
            let now = Instant::now();
            let (due, later) = retry_later.into_iter().partition(|(at, _)| *at <= now);
            retry_later = later;
            for (_, ce) in due {
                submit(&mut driver, &mut submitted, ce);
            }
        }
    }
    drop(driver);
    pipeline.shutdown();
}
