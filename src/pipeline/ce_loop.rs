//! The loop of a long-running CE driver, shared by the service's coordinator and a cluster
//! worker: take work from one input channel, follow the pipeline's events, hand each finished
//! CE to a hook, and on shutdown stop taking work and finish what is in hand within a limit.
//!
//! Owns the waiting, the turn order and the drain; what an input means and what becomes of an
//! outcome are the hooks' ([`CeLoopHooks`]). It starts and stops no pipeline.

use super::ce_run::CeDriver;
use super::Pipeline;
use crate::ce_report::CeOutcome;
use crossbeam_channel::{select, Receiver};
use std::time::{Duration, Instant};

/// Longest wait of one turn, so retries and stop requests are seen while nothing arrives.
const TURN: Duration = Duration::from_millis(250);

/// What a driver plugs into [`run_ce_loop`].
pub trait CeLoopHooks {
    /// What arrives on the input channel.
    type Input;

    /// Takes one input (typically submits a CE to `driver`).
    fn take(&mut self, input: Self::Input, driver: &mut CeDriver<'_>);

    /// A CE came out of the pipeline.
    fn finished(&mut self, outcome: CeOutcome, driver: &mut CeDriver<'_>);

    /// Called at the end of every turn; `taking` is false once the loop drains. For work due
    /// at a time (retries) and side inputs.
    fn turn_ended(&mut self, _driver: &mut CeDriver<'_>, _taking: bool) {}

    /// Whether the loop should stop taking input and drain (a stop signal); the input channel
    /// closing drains too.
    fn stop_requested(&self) -> bool {
        false
    }

    /// The loop stops taking input now; `in_hand` CEs are still in flight.
    fn draining(&mut self, _in_hand: usize) {}
}

/// Runs until the input closes or a stop is requested and then every CE in hand has finished,
/// or until `drain_limit` after that; CEs still in flight then are left to whoever resumes them.
pub fn run_ce_loop<H: CeLoopHooks>(
    pipeline: &Pipeline,
    driver: &mut CeDriver<'_>,
    input: &Receiver<H::Input>,
    hooks: &mut H,
    drain_limit: Duration,
) {
    let mut draining_since: Option<Instant> = None;
    let tick = crossbeam_channel::tick(TURN);
    // Replaced by a channel that never delivers once the stages are gone, so the loop waits for
    // its turn instead of spinning on a closed channel.
    let mut events = pipeline.events().clone();
    loop {
        if draining_since.is_none() && hooks.stop_requested() {
            hooks.draining(driver.in_flight());
            draining_since = Some(Instant::now());
        }
        if let Some(since) = draining_since {
            if driver.in_flight() == 0 {
                break;
            }
            if since.elapsed() > drain_limit {
                tracing::warn!(
                    in_flight = driver.in_flight(),
                    "drain time exceeded; the CEs in hand resume elsewhere or at the next start"
                );
                break;
            }
        }
        let input_or_never = if draining_since.is_none() {
            input.clone()
        } else {
            crossbeam_channel::never()
        };
        select! {
            recv(input_or_never) -> message => match message {
                Ok(message) => hooks.take(message, driver),
                Err(_) => {
                    hooks.draining(driver.in_flight());
                    draining_since = Some(Instant::now());
                }
            },
            recv(events) -> event => match event {
                Ok(event) => driver.handle(event),
                Err(_) => events = crossbeam_channel::never(),
            },
            recv(tick) -> _ => {}
        }
        driver.poll_previews();
        for outcome in driver.take_finished() {
            hooks.finished(outcome, driver);
        }
        hooks.turn_ended(driver, draining_since.is_none());
    }
}
