//! The lifecycle's clock: "now" on Frigate's timeline (event time).
//!
//! Owns the estimate of how far Frigate's message stream has got, so the CE
//! lifecycle decides on the times in the messages, not on when they arrive.
//! Messages queued by the broker while the service was down arrive at once
//! at reconnect; read on this clock they are as far apart as they were when
//! they happened.
//!
//! The clock is anchored at the latest event time reported so far and runs on
//! with the wall clock from the moment that report arrived: in live operation
//! it reads the wall clock less Frigate's reporting delay (and follows
//! Frigate's clock, whatever the skew between the two machines); while a
//! backlog is delivered it reads the time of the latest message delivered.
//! Guards against bad clocks and stale messages:
//! - a reported time more than [`FUTURE_TOLERANCE_SECONDS`] after the arrival
//!   time is not trusted and moves nothing, so one bad timestamp cannot run
//!   the clock ahead;
//! - a time before the clock (a late or redelivered message) never moves it
//!   back, so it cannot hold close timers off.
//!
//! Pure: the caller passes the wall-clock `now`; nothing here reads a clock.

/// How far after its arrival (seconds) a reported event time is still trusted.
pub const FUTURE_TOLERANCE_SECONDS: f64 = 30.0;

/// A reported event time and the wall-clock time it arrived at.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Anchor {
    /// The event time reported (epoch seconds, Frigate's clock).
    event_time: f64,
    /// When the report arrived (epoch seconds, this machine's clock).
    received_at: f64,
}

/// Event time, estimated from the messages seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct EventClock {
    /// The latest trusted report; `None` before the first, when the clock
    /// reads the wall clock.
    anchor: Option<Anchor>,
}

impl EventClock {
    /// Event time at wall-clock `now`.
    pub(super) fn read(&self, now: f64) -> f64 {
        match self.anchor {
            Some(anchor) => anchor.event_time + (now - anchor.received_at).max(0.0),
            None => now,
        }
    }

    /// Takes in `event_time`, reported by a message that arrived at `now`.
    /// Returns it when trusted (finite and not too far in the future), after
    /// moving the clock forward to it if it is later than the clock (or the
    /// first report); `None` when it is not trusted.
    pub(super) fn observe(&mut self, event_time: f64, now: f64) -> Option<f64> {
        if !event_time.is_finite() || event_time > now + FUTURE_TOLERANCE_SECONDS {
            return None;
        }
        if self.anchor.is_none() || event_time > self.read(now) {
            self.anchor = Some(Anchor {
                event_time,
                received_at: now,
            });
        }
        Some(event_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wall_clock_until_the_first_report() {
        let mut clock = EventClock::default();
        assert_eq!(clock.read(1000.0), 1000.0);
        assert_eq!(clock.observe(900.0, 1000.0), Some(900.0));
        assert_eq!(clock.read(1000.0), 900.0);
        assert_eq!(clock.read(1010.0), 910.0); // runs on with the wall clock
    }

    #[test]
    fn a_backlog_delivered_at_once_reads_as_far_apart_as_it_happened() {
        let mut clock = EventClock::default();
        for event_time in [100.0, 105.0, 108.0, 113.0] {
            clock.observe(event_time, 500.0);
            assert_eq!(clock.read(500.0), event_time);
        }
        assert_eq!(clock.read(503.0), 116.0);
    }

    #[test]
    fn late_reports_never_move_it_back_and_future_ones_are_not_trusted() {
        let mut clock = EventClock::default();
        clock.observe(200.0, 201.0);
        assert_eq!(clock.observe(50.0, 202.0), Some(50.0));
        assert_eq!(clock.read(202.0), 201.0);
        assert_eq!(clock.observe(202.0 + FUTURE_TOLERANCE_SECONDS + 1.0, 202.0), None);
        assert_eq!(clock.observe(f64::NAN, 202.0), None);
        assert_eq!(clock.read(202.0), 201.0);
        assert_eq!(clock.observe(230.0, 202.0), Some(230.0)); // within the tolerance
        assert_eq!(clock.read(203.0), 231.0);
    }
}
