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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::messages::{CeJob, DetectJob};
    use crate::flow::owner_board::ProbeBackoff;
    use crate::media::probe::{ClipMetadata, ProbeMethod};
    use crossbeam_channel::{bounded, unbounded};
    use std::path::PathBuf;

    /// Long enough for a busy machine; the waits end as soon as the message arrives.
    const PATIENCE: Duration = Duration::from_secs(30);

    /// A detection job over a clip of `frames` frames.
    fn detect(frames: u64) -> AcceleratorJob {
        let ce = Arc::new(CeJob::new("ce".into(), PathBuf::from("ce"), 0.0, 30.0, Vec::new()));
        let clip = ClipMetadata {
            path: PathBuf::from(format!("cam/{frames}.mp4")),
            codec: "h264".into(),
            width: 1280,
            height: 720,
            fps: 10.0,
            duration_sec: frames as f64 / 10.0,
            frame_count: frames,
            keyframes: vec![0],
            probed_by: ProbeMethod::Mp4,
        };
        AcceleratorJob::Detect(DetectJob {
            ce,
            camera: "cam".into(),
            clip: Arc::new(clip),
        })
    }

    /// The frames of the job an owner's queue delivers next.
    fn next_job_frames(queue: &Receiver<OwnerMessage>) -> u64 {
        match queue.recv_timeout(PATIENCE) {
            Ok(OwnerMessage::Job(job)) => job.frames(),
            other => panic!("expected a job, got {other:?}"),
        }
    }

    struct Rig {
        input: Sender<AcceleratorJob>,
        hand_back: Sender<AcceleratorJob>,
        queues: Vec<Receiver<OwnerMessage>>,
        board: Arc<OwnerBoard>,
        router: std::thread::JoinHandle<()>,
    }

    fn rig(queue_capacity: usize, backoff: Duration) -> Rig {
        let (input, input_rx) = bounded(1);
        let (hand_back, handed_back) = unbounded();
        let (senders, queues): (Vec<_>, Vec<_>) = (0..2).map(|_| bounded(queue_capacity)).unzip();
        let board = Arc::new(OwnerBoard::new(
            2,
            ProbeBackoff {
                first: backoff,
                longest: backoff,
            },
        ));
        let router = JobRouter::new(
            input_rx,
            handed_back,
            senders,
            board.clone(),
            StageCounters::new("router"),
        );
        Rig {
            input,
            hand_back,
            queues,
            board,
            router: std::thread::spawn(move || router.run()),
        }
    }

    #[test]
    fn jobs_go_to_the_least_busy_owner_and_the_producer_blocks_when_every_queue_is_full() {
        let rig = rig(1, Duration::from_secs(60));
        rig.input.send(detect(3_000)).unwrap();
        // Both idle: the tie goes to owner 0.
        assert_eq!(next_job_frames(&rig.queues[0]), 3_000);
        rig.input.send(detect(400)).unwrap();
        assert_eq!(next_job_frames(&rig.queues[1]), 400);
        // Owner 0 holds 3000 frames, owner 1 400: the next goes to owner 1, even once owner 1
        // holds two jobs to owner 0's one.
        rig.input.send(detect(500)).unwrap();
        assert_eq!(next_job_frames(&rig.queues[1]), 500);
        assert_eq!(rig.board.snapshot()[1].queued_jobs, 2);
        // Fill both queues, then the router's hands, then the shared queue: the producer blocks.
        rig.input.send(detect(10)).unwrap(); // to owner 1 (900 frames against 3000)
        rig.input.send(detect(20)).unwrap(); // owner 1's queue is full: to owner 0
        rig.input.send(detect(30)).unwrap(); // both full: in the router's hands
        rig.input.send(detect(40)).unwrap(); // in the shared queue
        let deadline = Instant::now() + PATIENCE;
        while rig.queues.iter().any(|queue| queue.is_empty()) || !rig.input.is_full() {
            assert!(Instant::now() < deadline, "the queues never filled");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            rig.input.try_send(detect(50)).is_err(),
            "the shared queue took more than it holds"
        );
        // Owner 1 takes its next job: the waiting ones go to it, still the least busy.
        assert_eq!(next_job_frames(&rig.queues[1]), 10);
        assert_eq!(next_job_frames(&rig.queues[1]), 30);
        assert_eq!(next_job_frames(&rig.queues[1]), 40);
        assert_eq!(rig.board.snapshot()[0].queued_frames, 3_020);
        // Once every job is released and the input closed, the router ends.
        drop((rig.input, rig.hand_back));
        for (owner, frames) in [(0, 3_000), (0, 20), (1, 400), (1, 500), (1, 10), (1, 30), (1, 40)] {
            rig.board.released(owner, frames);
        }
        rig.router.join().unwrap();
        assert_eq!(rig.board.queued_jobs(), 0);
    }

    #[test]
    fn a_faulted_owner_gets_no_job_until_its_probe_succeeds_and_handed_back_jobs_go_elsewhere() {
        let rig = rig(8, Duration::from_millis(50));
        rig.board.take_out(0, Instant::now());
        rig.input.send(detect(100)).unwrap();
        rig.hand_back.send(detect(200)).unwrap();
        let mut to_owner_1 = [next_job_frames(&rig.queues[1]), next_job_frames(&rig.queues[1])];
        to_owner_1.sort();
        assert_eq!(to_owner_1, [100, 200]);
        // After the back-off, owner 0 gets its probe, and nothing else.
        match rig.queues[0].recv_timeout(PATIENCE) {
            Ok(OwnerMessage::Probe) => {}
            other => panic!("expected the probe, got {other:?}"),
        }
        rig.board.probe_succeeded(0);
        rig.input.send(detect(5_000)).unwrap();
        assert_eq!(next_job_frames(&rig.queues[0]), 5_000);
        let line = rig.board.snapshot()[0];
        assert_eq!((line.faults, line.recoveries, line.in_rotation), (1, 1, true));
        drop((rig.input, rig.hand_back));
        for (owner, frames) in [(1, 100), (1, 200), (0, 5_000)] {
            rig.board.released(owner, frames);
        }
        rig.router.join().unwrap();
    }
}
