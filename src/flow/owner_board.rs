//! The board the job router and the accelerator owners share: per owner, the frames and jobs
//! queued on it, whether it is in rotation, and its faults and recoveries.
//!
//! Owns the routing decision (which owner gets the next job: the one in rotation with the
//! fewest queued frames, ties to the lowest index) and the fault back-off (when an owner out of
//! rotation is due a probe). Everything is an atomic: the router writes what it queued, each
//! owner what it finished and whether its device faulted, `/metrics` and `bench` read it, and no
//! lock is shared between owners. It holds no channel and starts no thread.

use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long an owner waits out of rotation before its first probe, and the longest wait
/// between probes (each failed probe doubles the wait up to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeBackoff {
    /// Wait before the first probe after a fault.
    pub first: Duration,
    /// Longest wait between probes.
    pub longest: Duration,
}

impl Default for ProbeBackoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(2),
            longest: Duration::from_secs(60),
        }
    }
}

/// [`OwnerSlot::probe_due_millis`] while no probe is due (in rotation, or a probe is on its way).
const NO_PROBE_DUE: u64 = u64::MAX;

/// One owner's line on the board.
#[derive(Debug)]
struct OwnerSlot {
    /// Frames of the jobs queued on the owner or in its hands.
    queued_frames: AtomicU64,
    /// Jobs queued on the owner or in its hands.
    queued_jobs: AtomicU64,
    /// Whether the router hands the owner new jobs.
    in_rotation: AtomicBool,
    /// Times the owner's device faulted and it left rotation.
    faults: AtomicU64,
    /// Times a probe succeeded and the owner came back into rotation.
    recoveries: AtomicU64,
    /// Jobs the owner ran (not counting those it handed back after a fault).
    jobs_run: AtomicU64,
    /// Frames its detection passes decoded.
    decoded_frames: AtomicU64,
    /// Milliseconds after the board's start when the next probe is due; [`NO_PROBE_DUE`] if none.
    probe_due_millis: AtomicU64,
    /// The current wait between probes, milliseconds.
    backoff_millis: AtomicU64,
}

/// A point-in-time copy of one owner's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OwnerSnapshot {
    /// The owner's index (its GPU's place in the configuration).
    pub owner: usize,
    /// Frames queued on it or in its hands.
    pub queued_frames: u64,
    /// Jobs queued on it or in its hands.
    pub queued_jobs: u64,
    /// Whether it gets new jobs.
    pub in_rotation: bool,
    /// Faults that took it out of rotation.
    pub faults: u64,
    /// Probes that brought it back.
    pub recoveries: u64,
    /// Jobs it ran.
    pub jobs_run: u64,
    /// Frames its detection passes decoded.
    pub decoded_frames: u64,
}

/// The shared board of every accelerator owner.
#[derive(Debug)]
pub struct OwnerBoard {
    /// One line per owner, by index.
    owners: Vec<OwnerSlot>,
    /// The probe back-off.
    backoff: ProbeBackoff,
    /// The origin of the probe due times.
    started: Instant,
}

impl OwnerBoard {
    /// A board of `owners` owners, all in rotation with nothing queued.
    pub fn new(owners: usize, backoff: ProbeBackoff) -> Self {
        let slot = || OwnerSlot {
            queued_frames: AtomicU64::new(0),
            queued_jobs: AtomicU64::new(0),
            in_rotation: AtomicBool::new(true),
            faults: AtomicU64::new(0),
            recoveries: AtomicU64::new(0),
            jobs_run: AtomicU64::new(0),
            decoded_frames: AtomicU64::new(0),
            probe_due_millis: AtomicU64::new(NO_PROBE_DUE),
            backoff_millis: AtomicU64::new(0),
        };
        Self {
            owners: (0..owners).map(|_| slot()).collect(),
            backoff,
            started: Instant::now(),
        }
    }

    /// Number of owners.
    pub fn owners(&self) -> usize {
        self.owners.len()
    }

    /// The owners in the order the next job should try them: those in rotation, fewest queued
    /// frames first, ties by index. With none in rotation every owner, in the same order, so a
    /// job is still run (and fails with its device's error if the device is still broken)
    /// rather than lost.
    pub fn preference(&self) -> Vec<usize> {
        let in_rotation: Vec<usize> = (0..self.owners.len()).filter(|&i| self.in_rotation(i)).collect();
        let mut order = if in_rotation.is_empty() {
            (0..self.owners.len()).collect()
        } else {
            in_rotation
        };
        order.sort_by_key(|&i| (self.owners[i].queued_frames.load(Ordering::Relaxed), i));
        order
    }

    /// Whether owner `index` gets new jobs.
    pub fn in_rotation(&self, index: usize) -> bool {
        self.owners[index].in_rotation.load(Ordering::Relaxed)
    }

    /// Whether any owner gets new jobs.
    pub fn any_in_rotation(&self) -> bool {
        (0..self.owners.len()).any(|i| self.in_rotation(i))
    }

    /// Records a job of `frames` frames queued on owner `index`.
    pub fn queued(&self, index: usize, frames: u64) {
        let slot = &self.owners[index];
        slot.queued_frames.fetch_add(frames, Ordering::Relaxed);
        slot.queued_jobs.fetch_add(1, Ordering::Relaxed);
    }

    /// Records that owner `index` no longer holds a job of `frames` frames (it ran it, or
    /// handed it back).
    pub fn released(&self, index: usize, frames: u64) {
        let slot = &self.owners[index];
        let less = |by: u64| move |value: u64| Some(value.saturating_sub(by));
        let _ = slot
            .queued_frames
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, less(frames));
        let _ = slot
            .queued_jobs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, less(1));
    }

    /// Records a job owner `index` ran, and the frames it decoded.
    pub fn ran(&self, index: usize, decoded_frames: u64) {
        let slot = &self.owners[index];
        slot.jobs_run.fetch_add(1, Ordering::Relaxed);
        slot.decoded_frames.fetch_add(decoded_frames, Ordering::Relaxed);
    }

    /// Jobs queued on every owner or in their hands.
    pub fn queued_jobs(&self) -> u64 {
        self.owners
            .iter()
            .map(|slot| slot.queued_jobs.load(Ordering::Relaxed))
            .sum()
    }

    /// Takes owner `index` out of rotation after a device fault at `now`; its first probe is
    /// due after the first back-off. Returns `false` (and counts nothing) if it was already out.
    pub fn take_out(&self, index: usize, now: Instant) -> bool {
        let slot = &self.owners[index];
        if !slot.in_rotation.swap(false, Ordering::AcqRel) {
            return false;
        }
        slot.faults.fetch_add(1, Ordering::Relaxed);
        let first = millis(self.backoff.first);
        slot.backoff_millis.store(first, Ordering::Relaxed);
        slot.probe_due_millis
            .store(self.millis_at(now) + first, Ordering::Release);
        true
    }

    /// The owners out of rotation whose probe is due at `now`, each claimed so that it is
    /// returned once until [`OwnerBoard::probe_failed`] sets the next due time.
    pub fn claim_due_probes(&self, now: Instant) -> Vec<usize> {
        let now = self.millis_at(now);
        (0..self.owners.len())
            .filter(|&i| {
                let due = &self.owners[i].probe_due_millis;
                let at = due.load(Ordering::Acquire);
                at != NO_PROBE_DUE
                    && at <= now
                    && due
                        .compare_exchange(at, NO_PROBE_DUE, Ordering::AcqRel, Ordering::Relaxed)
                        .is_ok()
            })
            .collect()
    }

    /// Owner `index`'s probe succeeded: it is back in rotation.
    pub fn probe_succeeded(&self, index: usize) {
        let slot = &self.owners[index];
        slot.probe_due_millis.store(NO_PROBE_DUE, Ordering::Release);
        if !slot.in_rotation.swap(true, Ordering::AcqRel) {
            slot.recoveries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Owner `index`'s probe failed at `now`: the wait doubles (up to the longest) and the next
    /// probe is due after it.
    pub fn probe_failed(&self, index: usize, now: Instant) {
        let slot = &self.owners[index];
        let longest = millis(self.backoff.longest);
        let wait = slot
            .backoff_millis
            .load(Ordering::Relaxed)
            .saturating_mul(2)
            .clamp(1, longest);
        slot.backoff_millis.store(wait, Ordering::Relaxed);
        slot.probe_due_millis
            .store(self.millis_at(now) + wait, Ordering::Release);
    }

    /// Owner `index`'s thread ended abnormally (a panic): it leaves rotation for good and holds
    /// nothing, so the router neither sends it work nor waits for it at shutdown.
    pub fn abandon(&self, index: usize) {
        let slot = &self.owners[index];
        slot.in_rotation.store(false, Ordering::Release);
        slot.probe_due_millis.store(NO_PROBE_DUE, Ordering::Release);
        slot.queued_frames.store(0, Ordering::Relaxed);
        slot.queued_jobs.store(0, Ordering::Relaxed);
    }

    /// Copies every owner's line.
    pub fn snapshot(&self) -> Vec<OwnerSnapshot> {
        self.owners
            .iter()
            .enumerate()
            .map(|(owner, slot)| OwnerSnapshot {
                owner,
                queued_frames: slot.queued_frames.load(Ordering::Relaxed),
                queued_jobs: slot.queued_jobs.load(Ordering::Relaxed),
                in_rotation: slot.in_rotation.load(Ordering::Relaxed),
                faults: slot.faults.load(Ordering::Relaxed),
                recoveries: slot.recoveries.load(Ordering::Relaxed),
                jobs_run: slot.jobs_run.load(Ordering::Relaxed),
                decoded_frames: slot.decoded_frames.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// `now` as milliseconds after the board's start.
    fn millis_at(&self, now: Instant) -> u64 {
        millis(now.saturating_duration_since(self.started))
    }
}

/// A duration in whole milliseconds.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(owners: usize) -> OwnerBoard {
        OwnerBoard::new(
            owners,
            ProbeBackoff {
                first: Duration::from_secs(2),
                longest: Duration::from_secs(5),
            },
        )
    }

    #[test]
    fn the_next_job_goes_to_the_owner_with_fewest_queued_frames_not_fewest_jobs() {
        let board = board(2);
        // Owner 0 holds one long clip, owner 1 two short ones.
        board.queued(0, 3_000);
        board.queued(1, 400);
        board.queued(1, 500);
        assert_eq!(board.preference(), vec![1, 0]);
        // Once owner 1 holds more frames than owner 0, owner 0 is first again.
        board.queued(1, 2_500);
        assert_eq!(board.preference(), vec![0, 1]);
    }

    #[test]
    fn ties_go_to_the_lowest_index_and_released_frames_count_down() {
        let board = board(3);
        assert_eq!(board.preference(), vec![0, 1, 2]);
        board.queued(0, 100);
        board.queued(1, 100);
        assert_eq!(board.preference(), vec![2, 0, 1]);
        board.released(0, 100);
        assert_eq!(board.preference(), vec![0, 2, 1]);
        assert_eq!(board.queued_jobs(), 1);
        // Releasing more than was queued never wraps below zero.
        board.released(0, 100);
        assert_eq!(board.snapshot()[0].queued_frames, 0);
        assert_eq!(board.snapshot()[0].queued_jobs, 0);
    }

    #[test]
    fn a_faulted_owner_gets_nothing_until_its_probe_succeeds() {
        let board = board(2);
        let fault = Instant::now();
        board.queued(1, 1_000);
        assert!(board.take_out(0, fault));
        assert!(
            !board.take_out(0, fault),
            "a second fault while out is not counted again"
        );
        // Owner 1 is busier, yet owner 0 is skipped.
        assert_eq!(board.preference(), vec![1]);
        // No probe before the back-off has passed; one, once, after it.
        assert!(board.claim_due_probes(fault + Duration::from_millis(1_999)).is_empty());
        assert_eq!(board.claim_due_probes(fault + Duration::from_secs(2)), vec![0]);
        assert!(board.claim_due_probes(fault + Duration::from_secs(3)).is_empty());
        // A failed probe doubles the wait (2 s → 4 s), then the longest (5 s) caps it.
        let failed = fault + Duration::from_secs(3);
        board.probe_failed(0, failed);
        assert!(board.claim_due_probes(failed + Duration::from_millis(3_999)).is_empty());
        assert_eq!(board.claim_due_probes(failed + Duration::from_secs(4)), vec![0]);
        let failed_again = failed + Duration::from_secs(4);
        board.probe_failed(0, failed_again);
        assert!(board
            .claim_due_probes(failed_again + Duration::from_millis(4_999))
            .is_empty());
        assert_eq!(board.claim_due_probes(failed_again + Duration::from_secs(5)), vec![0]);
        assert_eq!(board.preference(), vec![1]);
        board.probe_succeeded(0);
        assert_eq!(board.preference(), vec![0, 1]);
        let line = board.snapshot()[0];
        assert_eq!((line.in_rotation, line.faults, line.recoveries), (true, 1, 1));
    }

    #[test]
    fn an_abandoned_owner_holds_nothing_and_is_never_probed() {
        let board = board(2);
        board.queued(1, 700);
        let now = Instant::now();
        board.take_out(1, now);
        board.abandon(1);
        assert_eq!(board.queued_jobs(), 0);
        assert_eq!(board.preference(), vec![0]);
        assert!(board.claim_due_probes(now + Duration::from_secs(60)).is_empty());
    }

    #[test]
    fn with_every_owner_out_jobs_still_go_to_the_least_busy() {
        let board = board(2);
        board.queued(0, 50);
        let now = Instant::now();
        board.take_out(0, now);
        board.take_out(1, now);
        assert_eq!(board.preference(), vec![1, 0]);
    }
}
