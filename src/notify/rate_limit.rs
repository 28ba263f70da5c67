//! The notification rate limit (SPEC §3.3).
//!
//! Owns when a notification may go out: at most [`MAX_PER_WINDOW`] per sliding
//! window of [`WINDOW_SECONDS`], at most [`QUEUE_CAPACITY`] waiting beyond
//! those that may go out now, and, when more arrive, the excess dropped and
//! stood for by a single `overflow` notice. Time is passed in (epoch seconds);
//! it neither sleeps nor publishes.

use super::payload::Notification;
use std::collections::VecDeque;

/// Notifications released per sliding window.
pub const MAX_PER_WINDOW: usize = 2;
/// Length of the sliding window, seconds.
pub const WINDOW_SECONDS: f64 = 5.0;
/// Notifications that may wait for a free slot.
pub const QUEUE_CAPACITY: usize = 10;

/// One waiting entry, in offer order.
#[derive(Debug)]
enum Waiting {
    /// A notification as offered (boxed: the marker should not cost as much).
    Notice(Box<Notification>),
    /// Stands for every notification dropped since the last overflow notice;
    /// its text is written when it is released, so it counts them all.
    Overflow,
}

/// Sliding-window rate limiter with a bounded queue.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// Release times still inside the window, oldest first.
    released_at: VecDeque<f64>,
    /// Entries waiting for a slot; holds an overflow marker exactly when
    /// `dropped > 0`.
    waiting: VecDeque<Waiting>,
    /// Notifications dropped since the last overflow notice was released.
    dropped: usize,
    /// The latest time passed in, the answer of `next_ready_at` when a slot is free.
    last_seen: f64,
}

impl RateLimiter {
    /// An idle limiter.
    pub fn new() -> RateLimiter {
        RateLimiter::default()
    }

    /// Offers `notification` at `now`. It waits for [`poll`](Self::poll) if
    /// there is room: a free slot of the window or one of the
    /// [`QUEUE_CAPACITY`] places; otherwise it is dropped and counted by the
    /// single pending `overflow` notice, enqueued at the first drop.
    pub fn offer(&mut self, notification: Notification, now: f64) {
        self.advance(now);
        let free_slots = MAX_PER_WINDOW - self.released_at.len();
        if self.waiting_notices() < QUEUE_CAPACITY + free_slots {
            self.waiting.push_back(Waiting::Notice(Box::new(notification)));
            return;
        }
        if self.dropped == 0 {
            self.waiting.push_back(Waiting::Overflow);
        }
        self.dropped += 1;
    }

    /// The next notification to publish at `now`, if one waits and the window
    /// has a free slot; its release takes the slot.
    pub fn poll(&mut self, now: f64) -> Option<Notification> {
        self.advance(now);
        if self.released_at.len() >= MAX_PER_WINDOW {
            return None;
        }
        let released = match self.waiting.pop_front()? {
            Waiting::Notice(notification) => *notification,
            Waiting::Overflow => Notification::overflow(std::mem::take(&mut self.dropped), now),
        };
        self.released_at.push_back(now);
        Some(released)
    }

    /// When [`poll`](Self::poll) can next release something: `None` when
    /// nothing waits; a time at or before the latest time passed in when it
    /// can release now.
    pub fn next_ready_at(&self) -> Option<f64> {
        if self.waiting.is_empty() {
            return None;
        }
        if self.released_at.len() < MAX_PER_WINDOW {
            return Some(self.last_seen);
        }
        self.released_at.front().map(|oldest| oldest + WINDOW_SECONDS)
    }

    /// Moves the clock to `now` and lets releases older than the window expire.
    fn advance(&mut self, now: f64) {
        self.last_seen = self.last_seen.max(now);
        while self
            .released_at
            .front()
            .is_some_and(|released| released + WINDOW_SECONDS <= now)
        {
            self.released_at.pop_front();
        }
    }

    /// Waiting notifications, not counting the overflow marker.
    fn waiting_notices(&self) -> usize {
        self.waiting.len() - usize::from(self.dropped > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::payload::Status;

    /// A notification told apart by its event id.
    fn numbered(i: usize) -> Notification {
        Notification {
            event_id: format!("ce_{i}"),
            status: Status::New,
            ..Notification::overflow(0, 0.0)
        }
    }

    fn drain(limiter: &mut RateLimiter, now: f64) -> Vec<String> {
        std::iter::from_fn(|| limiter.poll(now)).map(|n| n.event_id).collect()
    }

    #[test]
    fn three_offers_release_two_now_and_the_third_at_five() {
        let mut limiter = RateLimiter::new();
        for i in 0..3 {
            limiter.offer(numbered(i), 0.0);
        }
        assert_eq!(limiter.next_ready_at(), Some(0.0));
        assert_eq!(drain(&mut limiter, 0.0), ["ce_0", "ce_1"]);
        assert_eq!(limiter.next_ready_at(), Some(5.0));
        assert_eq!(drain(&mut limiter, 4.999), Vec::<String>::new());
        assert_eq!(drain(&mut limiter, 5.0), ["ce_2"]);
        assert_eq!(limiter.next_ready_at(), None);
    }

    #[test]
    fn window_slides_from_the_oldest_release() {
        let mut limiter = RateLimiter::new();
        limiter.offer(numbered(0), 0.0);
        assert_eq!(drain(&mut limiter, 0.0), ["ce_0"]);
        limiter.offer(numbered(1), 3.0);
        assert_eq!(drain(&mut limiter, 3.0), ["ce_1"]);
        limiter.offer(numbered(2), 4.0);
        limiter.offer(numbered(3), 4.0);
        assert_eq!(limiter.next_ready_at(), Some(5.0));
        assert_eq!(drain(&mut limiter, 5.0), ["ce_2"]);
        assert_eq!(limiter.next_ready_at(), Some(8.0));
        assert_eq!(drain(&mut limiter, 8.0), ["ce_3"]);
    }

    #[test]
    fn fifteen_offers_keep_two_plus_ten_and_one_overflow() {
        let mut limiter = RateLimiter::new();
        for i in 0..15 {
            limiter.offer(numbered(i), 0.0);
        }
        assert_eq!(drain(&mut limiter, 0.0), ["ce_0", "ce_1"]);
        let mut released = Vec::new();
        let mut overflow_times = Vec::new();
        while let Some(at) = limiter.next_ready_at() {
            let notification = limiter.poll(at).expect("ready at next_ready_at");
            if notification.status == Status::Overflow {
                overflow_times.push(at);
                assert_eq!(notification.message, "3 notifications dropped by the rate limit");
                assert_eq!(notification.timestamp, 30.0);
            }
            released.push((at, notification.event_id));
        }
        let expected: Vec<(f64, String)> = (2..12)
            .map(|i| (5.0 * ((i / 2) as f64), format!("ce_{i}")))
            .chain([(30.0, "overflow".to_string())])
            .collect();
        assert_eq!(released, expected);
        assert_eq!(overflow_times, [30.0]);
    }

    #[test]
    fn drops_after_a_pending_overflow_are_counted_by_it() {
        let mut limiter = RateLimiter::new();
        for i in 0..13 {
            limiter.offer(numbered(i), 0.0);
        }
        limiter.offer(numbered(13), 1.0);
        let overflows = std::iter::from_fn(|| {
            let at = limiter.next_ready_at()?;
            limiter.poll(at)
        })
        .filter(|n| n.status == Status::Overflow)
        .map(|n| n.message)
        .collect::<Vec<_>>();
        assert_eq!(overflows, ["2 notifications dropped by the rate limit"]);
    }

    #[test]
    fn a_new_overflow_follows_a_released_one() {
        let mut limiter = RateLimiter::new();
        for i in 0..13 {
            limiter.offer(numbered(i), 0.0);
        }
        while let Some(at) = limiter.next_ready_at() {
            limiter.poll(at);
        }
        for i in 0..13 {
            limiter.offer(numbered(i), 100.0);
        }
        let last = std::iter::from_fn(|| {
            let at = limiter.next_ready_at()?;
            limiter.poll(at)
        })
        .last()
        .expect("something released");
        assert_eq!(last.status, Status::Overflow);
        assert_eq!(last.message, "1 notification dropped by the rate limit");
    }
}
