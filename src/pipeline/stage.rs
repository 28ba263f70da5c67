//! Running a stage: one named OS thread that handles messages from one
//! bounded channel until every sender is gone, timing each message.
//!
//! Owns the loop shape shared by every stage, so each stage file holds only
//! its own state and what it does with one message.

use crate::flow::telemetry::StageCounters;
use crossbeam_channel::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// A stage's per-message behaviour. The stage value is created on its own
/// thread by the factory passed to [`spawn_stage`], so it may hold things that
/// must never leave that thread (a CUDA context, an encoder session).
pub trait Stage {
    /// The message type of the stage's input channel.
    type Input: Send + 'static;

    /// Handles one message; `false` counts it as an error.
    fn handle(&mut self, message: Self::Input) -> bool;

    /// Called once after the input channel closed and drained.
    fn finish(&mut self) {}
}

/// A running stage thread.
pub struct StageThread {
    /// Thread name, for shutdown messages.
    pub name: &'static str,
    /// The thread; joined at shutdown.
    handle: JoinHandle<()>,
}

impl StageThread {
    /// Waits for the stage to drain and exit; a panic in it is reported, not propagated.
    pub fn join(self) {
        if self.handle.join().is_err() {
            tracing::error!(stage = self.name, "stage thread panicked");
        }
    }
}

/// Spawns stage `counters.name` on its own thread. `make` runs on that
/// thread; this call waits for it, so a stage that cannot start (a model that
/// does not load, a device that does not open) is an error here, at start-up.
pub fn spawn_stage<S, F>(
    counters: Arc<StageCounters>,
    input: Receiver<S::Input>,
    make: F,
) -> Result<StageThread, String>
where
    S: Stage,
    F: FnOnce() -> Result<S, String> + Send + 'static,
{
    let name = counters.name;
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<Result<(), String>>(1);
    let handle = std::thread::Builder::new()
        .name(format!("fb-{name}"))
        .spawn(move || {
            let mut stage = match make() {
                Ok(stage) => {
                    let _ = ready_tx.send(Ok(()));
                    stage
                }
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return;
                }
            };
            for message in input.iter() {
                let started = Instant::now();
                let ok = stage.handle(message);
                counters.record(started.elapsed(), ok);
            }
            stage.finish();
        })
        .map_err(|err| format!("cannot spawn the {name} thread: {err}"))?;
    let thread = StageThread { name, handle };
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(thread),
        Ok(Err(err)) => {
            thread.join();
            Err(err)
        }
        Err(_) => {
            thread.join();
            Err(format!("the {name} stage panicked while starting"))
        }
    }
}

/// Spawns `body` on a thread named like a stage's (`fb-{name}`), joined like one at shutdown,
/// for a thread whose loop is not one input channel's (the job router).
pub fn spawn_thread(name: &'static str, body: impl FnOnce() + Send + 'static) -> Result<StageThread, String> {
    let handle = std::thread::Builder::new()
        .name(format!("fb-{name}"))
        .spawn(body)
        .map_err(|err| format!("cannot spawn the {name} thread: {err}"))?;
    Ok(StageThread { name, handle })
}
