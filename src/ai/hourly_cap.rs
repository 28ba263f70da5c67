//! The rolling cap on AI frames sent per hour (SPEC §8: 200 by default).
//!
//! Owns the bookkeeping of which frames were sent when, over a 3600 s window that
//! moves with the clock passed in. It reads no clock itself and sends nothing.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use thiserror::Error;

/// Frames sent longer ago than this no longer count against the cap.
pub const CAP_WINDOW: Duration = Duration::from_secs(3600);

/// A request was refused because its frames would exceed the hourly cap.
#[derive(Debug, Clone, Copy, Error, PartialEq, Eq)]
#[error(
    "AI frame cap reached: sending {requested} more frames would exceed `ai.frames_per_hour_cap` = {cap} \
     ({in_window} already sent in the last hour)"
)]
pub struct CapExceeded {
    /// Frames the refused request wanted to send.
    pub requested: usize,
    /// Frames already sent within the window when the request was refused.
    pub in_window: usize,
    /// The configured cap per rolling hour.
    pub cap: usize,
}

/// Counts frames sent within the last [`CAP_WINDOW`] and refuses reservations that would exceed
/// the cap, whole requests only (a request is never sent with part of its frames).
#[derive(Debug, Clone)]
pub struct HourlyFrameCap {
    /// Most frames allowed within any window.
    cap: usize,
    /// Accepted reservations, oldest first: when and how many frames.
    sent: VecDeque<(Instant, usize)>,
}

impl HourlyFrameCap {
    /// A cap of `cap` frames per rolling hour, with nothing sent yet.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            sent: VecDeque::new(),
        }
    }

    /// Reserves `frames` at `now` if the frames of the last hour plus these stay within the cap;
    /// otherwise reserves nothing. Reservations made at `t` stop counting at `t + CAP_WINDOW`.
    /// `now` is expected not to go backwards between calls.
    pub fn try_reserve(&mut self, frames: usize, now: Instant) -> Result<(), CapExceeded> {
        while let Some(&(sent_at, _)) = self.sent.front() {
            if now.saturating_duration_since(sent_at) < CAP_WINDOW {
                break;
            }
            self.sent.pop_front();
        }
        let in_window: usize = self.sent.iter().map(|&(_, count)| count).sum();
        if in_window + frames > self.cap {
            return Err(CapExceeded {
                requested: frames,
                in_window,
                cap: self.cap,
            });
        }
        self.sent.push_back((now, frames));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    #[test]
    fn the_201st_frame_within_an_hour_is_refused() {
        let start = Instant::now();
        let mut cap = HourlyFrameCap::new(200);
        assert_eq!(cap.try_reserve(150, start), Ok(()));
        assert_eq!(cap.try_reserve(50, after(start, 1000)), Ok(()));
        assert_eq!(
            cap.try_reserve(1, after(start, 3599)),
            Err(CapExceeded {
                requested: 1,
                in_window: 200,
                cap: 200
            })
        );
    }

    #[test]
    fn frames_expire_exactly_one_hour_after_they_were_sent() {
        let start = Instant::now();
        let mut cap = HourlyFrameCap::new(200);
        cap.try_reserve(150, start).unwrap();
        cap.try_reserve(50, after(start, 1000)).unwrap();
        // At 3600 s the first 150 expire: 50 remain, 1 more fits → 51.
        assert_eq!(cap.try_reserve(1, after(start, 3600)), Ok(()));
        // 51 + 150 = 201 > 200: refused whole, nothing reserved.
        let refused = cap.try_reserve(150, after(start, 3600)).unwrap_err();
        assert_eq!(refused.in_window, 51);
        // 51 + 149 = 200 fits.
        assert_eq!(cap.try_reserve(149, after(start, 3600)), Ok(()));
        // At 4600 s the 50 from 1000 s expire: 1 + 149 = 150 remain.
        let refused = cap.try_reserve(51, after(start, 4600)).unwrap_err();
        assert_eq!(refused.in_window, 150);
    }

    #[test]
    fn a_request_larger_than_the_cap_is_never_accepted() {
        let mut cap = HourlyFrameCap::new(10);
        let refused = cap.try_reserve(11, Instant::now()).unwrap_err();
        assert_eq!((refused.requested, refused.in_window), (11, 0));
        assert!(refused.to_string().contains("ai.frames_per_hour_cap"));
    }
}
