//! The time budget of one fetch: a point in time after which no request of that fetch may run.
//!
//! Owns only the arithmetic of the budget (what is left, whether it is spent); it performs no I/O.
//! Every request, retry pause and export poll of a fetch is bounded by the fetch's [`Deadline`], so
//! one slow or endless answer cannot hold a fetch worker longer than the budget.

use std::time::{Duration, Instant};

/// The end of a fetch's time budget, with the budget it was made from (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// When the budget runs out.
    at: Instant,
    /// The budget as configured, named in errors.
    limit: Duration,
}

impl Deadline {
    /// A budget of `limit` that starts now.
    pub fn after(limit: Duration) -> Self {
        Deadline {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// What is left of the budget; zero once spent.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether the budget is spent.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The budget as configured.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_budget_is_spent_at_once() {
        let deadline = Deadline::after(Duration::ZERO);
        assert!(deadline.expired());
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_long_budget_counts_down_from_its_limit() {
        let deadline = Deadline::after(Duration::from_secs(600));
        assert!(!deadline.expired());
        assert!(deadline.remaining() <= Duration::from_secs(600));
        assert!(deadline.remaining() > Duration::from_secs(590));
        assert_eq!(deadline.limit(), Duration::from_secs(600));
    }
}
