//! The job router: the one thread between the shared accelerator queue (the metadata-probe's
//! detection jobs, the driver's compile and AI-frame jobs) and each accelerator owner's own
//! bounded queue.
//!
//! Owns where a job goes: to the owner in rotation with the fewest queued frames
//! ([`OwnerBoard::preference`]); when that owner's queue is full, to the next; when every
//! queue is full it blocks, so the shared queue fills and the metadata-probe blocks behind it
//! (the pipeline's backpressure). It also re-routes the jobs an owner hands back when its
//! device faults, and sends a faulted owner its probe when the back-off has passed. It runs
//! no job and touches no device: which owner is in rotation is decided by the owners.

use crate::flow::messages::{AcceleratorJob, OwnerMessage};
use crate::flow::owner_board::OwnerBoard;
use crate::flow::telemetry::StageCounters;
use crossbeam_channel::{never, select, Receiver, Select, Sender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the router looks for due probes while nothing arrives, and how long it waits on
/// full owner queues before it looks at the board again (an owner may have left or rejoined).
const TICK: Duration = Duration::from_millis(50);

/// State of the job-router thread.
pub struct JobRouter {
    /// The shared accelerator queue.
    input: Receiver<AcceleratorJob>,
    /// Jobs an owner handed back when its device faulted.
    handed_back: Receiver<AcceleratorJob>,
    /// Each owner's own queue, by index.
    owners: Vec<Sender<OwnerMessage>>,
    /// Queued frames and rotation of every owner.
    board: Arc<OwnerBoard>,
    /// Jobs routed, and the time spent routing them (waiting on full owner queues included).
    counters: Arc<StageCounters>,
}

impl JobRouter {
    /// A router from `input` (and `handed_back`) to `owners`, balancing by `board`.
    pub fn new(
        input: Receiver<AcceleratorJob>,
        handed_back: Receiver<AcceleratorJob>,
        owners: Vec<Sender<OwnerMessage>>,
        board: Arc<OwnerBoard>,
        counters: Arc<StageCounters>,
    ) -> Self {
        Self {
            input,
            handed_back,
            owners,
            board,
            counters,
        }
    }

    /// Routes until the shared queue is closed and drained and no owner holds a job that it
    /// could still hand back; then returns, closing the owners' queues.
    pub fn run(self) {
        let closed = never();
        let mut input_open = true;
        loop {
            let input = if input_open { &self.input } else { &closed };
            select! {
                recv(input) -> job => match job {
                    Ok(job) => self.route(job),
                    Err(_) => input_open = false,
                },
                recv(self.handed_back) -> job => {
                    if let Ok(job) = job {
                        self.route(job);
                    }
                },
                default(TICK) => {},
            }
            self.send_due_probes();
            // An owner hands a job back before releasing it, so this order never misses one.
            if !input_open && self.board.queued_jobs() == 0 && self.handed_back.is_empty() {
                return;
            }
        }
    }

    /// Queues `job` on the least-busy owner whose queue has room, blocking while none has.
    fn route(&self, job: AcceleratorJob) {
        let started = Instant::now();
        let routed = self.place(job);
        self.counters.record(started.elapsed(), routed);
    }

    /// [`JobRouter::route`]'s work; `false` if no owner is left to take the job.
    fn place(&self, job: AcceleratorJob) -> bool {
        let frames = job.frames();
        let mut message = OwnerMessage::Job(job);
        loop {
            let order = self.board.preference();
            let mut gone = 0;
            for &owner in &order {
                // Counted before the send, so the owner never releases what is not counted yet.
                self.board.queued(owner, frames);
                match self.owners[owner].try_send(message) {
                    Ok(()) => return true,
                    Err(err) => {
                        self.board.released(owner, frames);
                        gone += usize::from(matches!(err, TrySendError::Disconnected(_)));
                        message = err.into_inner();
                    }
                }
            }
            if gone == order.len() {
                if let OwnerMessage::Job(job) = message {
                    tracing::error!(ce = %job.ce().id, "no accelerator owner is running; a job was dropped");
                }
                return false;
            }
            let mut ready = Select::new();
            for &owner in &order {
                ready.send(&self.owners[owner]);
            }
            let _ = ready.ready_timeout(TICK);
            self.send_due_probes();
        }
    }

    /// Sends each owner whose back-off has passed its probe.
    fn send_due_probes(&self) {
        let now = Instant::now();
        for owner in self.board.claim_due_probes(now) {
            if self.owners[owner].try_send(OwnerMessage::Probe).is_err() {
                // Its queue is full (jobs came to it with no owner in rotation): try later.
                self.board.probe_failed(owner, now);
            }
        }
    }
}
