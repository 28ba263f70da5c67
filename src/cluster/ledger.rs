//! The ingest node's ledger of published jobs: which attempt of each CE is
//! out, which worker took it, and which must be published again — because no
//! worker took it in time, its worker went away, or it ran past the job
//! timeout. A job published again counts its attempt up, so a late claim of
//! an older attempt is recognised as stale.
//!
//! Pure state: the caller publishes, journals and keeps the clock.

use super::protocol::{ClaimMessage, JobMessage};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a job may wait for each step.
#[derive(Debug, Clone, Copy)]
pub struct LedgerTimeouts {
    /// From publication to a worker's claim.
    pub claim: Duration,
    /// From the claim to the result.
    pub job: Duration,
}

/// How long a job given back by a gone worker waits before it is published
/// again: a broker may still route to the gone worker's subscription for a
/// moment after publishing its last will.
pub const GIVE_BACK_DELAY: Duration = Duration::from_secs(1);

/// Who has a job.
#[derive(Debug, Clone, PartialEq)]
enum Holder {
    /// Published at `since`, not claimed yet.
    Nobody { since: Instant },
    /// Claimed by worker `id` at `since`.
    Worker { id: String, since: Instant },
    /// Its worker went away; to be published again at `at`.
    GivenBack { at: Instant },
}

/// One CE's job.
#[derive(Debug)]
struct Tracked {
    /// The latest attempt published.
    job: JobMessage,
    /// Who has it.
    holder: Holder,
}

impl Tracked {
    /// Whether it must be published again at `now`.
    fn is_overdue(&self, now: Instant, timeouts: LedgerTimeouts) -> bool {
        match &self.holder {
            Holder::Nobody { since } => now.duration_since(*since) > timeouts.claim,
            Holder::Worker { since, .. } => now.duration_since(*since) > timeouts.job,
            Holder::GivenBack { at } => now >= *at,
        }
    }

    /// The next attempt, unclaimed from `now`.
    fn retry(&mut self, now: Instant) -> JobMessage {
        self.job.attempt += 1;
        self.holder = Holder::Nobody { since: now };
        self.job.clone()
    }
}

/// Jobs out with the workers, by CE id.
#[derive(Debug)]
pub struct JobLedger {
    /// The jobs.
    jobs: HashMap<String, Tracked>,
    /// The limits.
    timeouts: LedgerTimeouts,
}

impl JobLedger {
    /// An empty ledger.
    pub fn new(timeouts: LedgerTimeouts) -> Self {
        Self {
            jobs: HashMap::new(),
            timeouts,
        }
    }

    /// Records `job` as published at `now`, already claimed by `worker` when
    /// restored from a journal.
    pub fn track(&mut self, job: JobMessage, worker: Option<String>, now: Instant) {
        let holder = match worker {
            Some(id) => Holder::Worker { id, since: now },
            None => Holder::Nobody { since: now },
        };
        self.jobs.insert(job.ce_id.clone(), Tracked { job, holder });
    }

    /// Records a worker's claim; `false` when it is about an attempt that is
    /// no longer current, a job given back, or a CE that is not out.
    pub fn claim(&mut self, claim: &ClaimMessage, now: Instant) -> bool {
        match self.jobs.get_mut(&claim.ce_id) {
            Some(tracked)
                if tracked.job.attempt == claim.attempt && !matches!(tracked.holder, Holder::GivenBack { .. }) =>
            {
                tracked.holder = Holder::Worker {
                    id: claim.worker.clone(),
                    since: now,
                };
                true
            }
            _ => false,
        }
    }

    /// Removes a CE whose result came; `None` when it was not out (a second
    /// result of the same CE, for one).
    pub fn complete(&mut self, ce_id: &str) -> Option<JobMessage> {
        self.jobs.remove(ce_id).map(|tracked| tracked.job)
    }

    /// Tracks `job` again, to be published again at `at` (its result asked
    /// for a retry).
    pub fn give_back(&mut self, job: JobMessage, at: Instant) {
        let holder = Holder::GivenBack { at };
        self.jobs.insert(job.ce_id.clone(), Tracked { job, holder });
    }

    /// Takes back the jobs `worker` held, to be published again after
    /// [`GIVE_BACK_DELAY`] (by [`JobLedger::overdue`]); returns their CE ids.
    pub fn worker_gone(&mut self, worker: &str, now: Instant) -> Vec<String> {
        self.jobs
            .values_mut()
            .filter(|tracked| matches!(&tracked.holder, Holder::Worker { id, .. } if id == worker))
            .map(|tracked| {
                tracked.holder = Holder::GivenBack {
                    at: now + GIVE_BACK_DELAY,
                };
                tracked.job.ce_id.clone()
            })
            .collect()
    }

    /// The jobs to publish again at `now`, as new attempts: given back by a
    /// gone worker, unclaimed past the claim timeout, or unfinished past the
    /// job timeout.
    pub fn overdue(&mut self, now: Instant) -> Vec<JobMessage> {
        let timeouts = self.timeouts;
        self.jobs
            .values_mut()
            .filter(|tracked| tracked.is_overdue(now, timeouts))
            .map(|tracked| tracked.retry(now))
            .collect()
    }

    /// The worker holding a CE's job, if one claimed it.
    pub fn holder(&self, ce_id: &str) -> Option<&str> {
        match &self.jobs.get(ce_id)?.holder {
            Holder::Worker { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Jobs out.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether no job is out.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(ce_id: &str) -> JobMessage {
        JobMessage {
            ce_id: ce_id.into(),
            attempt: 1,
            folder: format!("events/{ce_id}").into(),
            window_start: 0.0,
            window_seconds: 10.0,
            clips: Vec::new(),
            failed: Vec::new(),
        }
    }

    fn claim(ce_id: &str, attempt: u32, worker: &str) -> ClaimMessage {
        ClaimMessage {
            ce_id: ce_id.into(),
            attempt,
            worker: worker.into(),
        }
    }

    const TIMEOUTS: LedgerTimeouts = LedgerTimeouts {
        claim: Duration::from_secs(30),
        job: Duration::from_secs(600),
    };

    #[test]
    fn a_gone_worker_gives_back_exactly_its_jobs_as_new_attempts() {
        let t0 = Instant::now();
        let mut ledger = JobLedger::new(TIMEOUTS);
        for ce in ["a", "b", "c"] {
            ledger.track(job(ce), None, t0);
        }
        assert!(ledger.claim(&claim("a", 1, "w1"), t0));
        assert!(ledger.claim(&claim("b", 1, "w2"), t0));
        assert_eq!(ledger.worker_gone("w1", t0), ["a"]);
        assert_eq!(ledger.holder("a"), None);
        assert_eq!(ledger.holder("b"), Some("w2"));
        // Given back, not yet published again; a late claim of it is refused.
        assert!(!ledger.claim(&claim("a", 1, "w1"), t0));
        assert!(ledger.overdue(t0 + GIVE_BACK_DELAY / 2).is_empty());
        let again = ledger.overdue(t0 + GIVE_BACK_DELAY);
        assert_eq!(
            again.iter().map(|j| (j.ce_id.as_str(), j.attempt)).collect::<Vec<_>>(),
            [("a", 2)]
        );
        // The old attempt's claim is stale; the new one counts.
        assert!(!ledger.claim(&claim("a", 1, "w1"), t0));
        assert!(ledger.claim(&claim("a", 2, "w2"), t0));
        assert!(ledger.worker_gone("w1", t0).is_empty());
    }

    #[test]
    fn unclaimed_and_overlong_jobs_come_back_after_their_timeouts() {
        let t0 = Instant::now();
        let mut ledger = JobLedger::new(TIMEOUTS);
        ledger.track(job("unclaimed"), None, t0);
        ledger.track(job("claimed"), None, t0);
        assert!(ledger.claim(&claim("claimed", 1, "w1"), t0));
        assert!(ledger.overdue(t0 + Duration::from_secs(30)).is_empty());
        let again = ledger.overdue(t0 + Duration::from_secs(31));
        assert_eq!(
            again.iter().map(|j| (j.ce_id.as_str(), j.attempt)).collect::<Vec<_>>(),
            [("unclaimed", 2)]
        );
        let again = ledger.overdue(t0 + Duration::from_secs(601));
        let mut again: Vec<_> = again.iter().map(|j| (j.ce_id.clone(), j.attempt)).collect();
        again.sort();
        assert_eq!(again, [("claimed".to_string(), 2), ("unclaimed".to_string(), 3)]);
    }

    #[test]
    fn a_result_completes_once() {
        let t0 = Instant::now();
        let mut ledger = JobLedger::new(TIMEOUTS);
        ledger.track(job("a"), Some("w1".into()), t0);
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger.complete("a").map(|j| j.attempt), Some(1));
        assert!(ledger.complete("a").is_none());
        assert!(ledger.is_empty());
    }

    #[test]
    fn a_job_given_back_is_published_again_when_due() {
        let t0 = Instant::now();
        let mut ledger = JobLedger::new(TIMEOUTS);
        ledger.track(job("a"), Some("w1".into()), t0);
        let done = ledger.complete("a").unwrap();
        ledger.give_back(done, t0 + Duration::from_secs(30));
        assert!(ledger.overdue(t0 + Duration::from_secs(29)).is_empty());
        let again = ledger.overdue(t0 + Duration::from_secs(30));
        assert_eq!(again.iter().map(|j| j.attempt).collect::<Vec<_>>(), [2]);
    }
}
