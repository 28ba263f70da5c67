//! The CE lifecycle state machine: Frigate event messages and clock ticks in,
//! lifecycle actions out.
//!
//! Owns which CE each event belongs to and every transition (open, join,
//! end, discard, cancel, close). Pure: no I/O, no threads, no clock reads;
//! the caller passes the wall-clock `now` (epoch seconds) and carries out the
//! actions. Every decision reads the event clock (`event_clock`): joins, the
//! close timer and the maximum-length timer run on Frigate's times.

use std::collections::HashSet;

use super::actions::LifecycleAction;
use super::ce_id::CeIdentity;
use super::config::LifecycleConfig;
use super::event_clock::EventClock;
use super::filters::qualifies;
use super::input::{EventKind, EventUpdate};
use super::restore::{RestoreError, RestoredCe};
use super::state::{ConsolidatedEvent, OpenCe, TrackedEvent};
use crate::recent_ids::RecentIds;

/// The open CEs and the events seen so far.
#[derive(Debug)]
pub struct Lifecycle {
    /// Timings and filters.
    config: LifecycleConfig,
    /// Event time, from the times the messages report.
    clock: EventClock,
    /// Open CEs in the order they were opened (or restored); the last one is
    /// the current CE, the only one new events may join.
    ces: Vec<ConsolidatedEvent>,
    /// Events seen that have not qualified yet; a later update may qualify them.
    unqualified: HashSet<String>,
    /// Events already finished with, so redelivered messages start nothing.
    retired: RecentIds<()>,
}

impl Lifecycle {
    /// A lifecycle with no open CE.
    pub fn new(config: LifecycleConfig) -> Lifecycle {
        Lifecycle {
            config,
            clock: EventClock::default(),
            ces: Vec::new(),
            unqualified: HashSet::new(),
            retired: RecentIds::default(),
        }
    }

    /// Applies one Frigate event message received at wall-clock `now`. The
    /// timers that the message's time makes due fire first, so a CE that
    /// timed out is gone before the message could join it.
    pub fn on_event(&mut self, update: &EventUpdate, now: f64) -> Vec<LifecycleAction> {
        let reported = match update.kind {
            EventKind::New | EventKind::Update => Some(update.start_time),
            EventKind::End => update.end_time,
        };
        let trusted = reported.and_then(|time| self.clock.observe(time, now));
        let event_now = self.clock.read(now);
        let mut actions = self.fire_timers(event_now);
        actions.extend(match update.kind {
            EventKind::New | EventKind::Update => {
                let start_time = if trusted.is_some() {
                    update.start_time
                } else {
                    event_now
                };
                self.on_progress(update, start_time, event_now)
            }
            EventKind::End => self.on_end(update, trusted.unwrap_or(event_now), event_now),
        });
        actions
    }

    /// Fires the timers due at wall-clock `now`: closes every CE whose close
    /// timer is due with no event open, and cancels every CE with an event
    /// open for `max_event_length_seconds` (its `end` never came).
    pub fn on_tick(&mut self, now: f64) -> Vec<LifecycleAction> {
        let event_now = self.clock.read(now);
        self.fire_timers(event_now)
    }

    /// The wall-clock time of the earliest timer (a close, or an open event
    /// reaching the maximum length), so the caller knows when to call
    /// [`Lifecycle::on_tick`] next.
    pub fn next_deadline(&self, now: f64) -> Option<f64> {
        let max_length = self.config.max_event_length_seconds;
        let earliest = self
            .ces
            .iter()
            .flat_map(|ce| [ce.close_deadline(), ce.max_length_deadline(max_length)])
            .flatten()
            .min_by(f64::total_cmp)?;
        Some(now + (earliest - self.clock.read(now)))
    }

    /// Status of the open CEs, oldest first.
    pub fn open_ces(&self) -> Vec<OpenCe> {
        self.ces.iter().map(ConsolidatedEvent::status).collect()
    }

    /// Takes back a CE that was open before a restart (at wall-clock `now`),
    /// so its events' later messages continue it. Restore in journal order,
    /// before the first message: the last CE restored becomes the current
    /// one. The event clock starts from the latest time of the restored
    /// events; their timers fire by it. A CE left with no event (interrupted
    /// discard) is discarded now.
    ///
    /// # Errors
    /// [`RestoreError::AlreadyOpen`] when the CE is already open,
    /// [`RestoreError::EventInAnotherCe`] when one of its events belongs to another open CE.
    pub fn restore_open_ce(&mut self, restored: RestoredCe, now: f64) -> Result<Vec<LifecycleAction>, RestoreError> {
        if self.ces.iter().any(|ce| ce.identity().ce_id == restored.ce_id) {
            return Err(RestoreError::AlreadyOpen { ce_id: restored.ce_id });
        }
        for event in &restored.events {
            if let Some(other) = self.ce_of(&event.event_id) {
                return Err(RestoreError::EventInAnotherCe {
                    ce_id: restored.ce_id.clone(),
                    event_id: event.event_id.clone(),
                    other_ce_id: self.ces[other].identity().ce_id.clone(),
                });
            }
        }
        if restored.events.is_empty() {
            return Ok(vec![LifecycleAction::CeDiscarded {
                ce_id: restored.ce_id,
                folder: restored.folder,
            }]);
        }
        let events: Vec<TrackedEvent> = restored
            .events
            .into_iter()
            .map(|event| TrackedEvent {
                event_id: event.event_id,
                camera: event.camera,
                label: event.label,
                start_time: event.start_time,
                end_time: event.end_time,
            })
            .collect();
        let identity = CeIdentity {
            ce_id: restored.ce_id,
            folder: restored.folder,
        };
        let ce = ConsolidatedEvent::restored(identity, events, self.config.event_gap_seconds);
        self.clock.observe(ce.status().last_activity, now);
        self.ces.push(ce);
        Ok(Vec::new())
    }

    /// Cancels the CEs with an event open for the maximum length and closes
    /// those due, at event time `event_now`.
    fn fire_timers(&mut self, event_now: f64) -> Vec<LifecycleAction> {
        let mut actions = Vec::new();
        let config = &self.config;
        let retired = &mut self.retired;
        self.ces.retain(|ce| {
            let timed_out = ce
                .max_length_deadline(config.max_event_length_seconds)
                .is_some_and(|deadline| deadline <= event_now);
            let finished = if timed_out {
                Some(LifecycleAction::CeCanceled {
                    ce_id: ce.identity().ce_id.clone(),
                    folder: ce.identity().folder.clone(),
                })
            } else {
                ce.close(event_now, config)
            };
            let Some(finished) = finished else { return true };
            ce.events().iter().for_each(|event| retired.insert(&event.event_id, ()));
            actions.push(finished);
            false
        });
        actions
    }

    /// A `new` or `update` of an event that started at `start_time`, at event
    /// time `now`: the first qualifying one joins the current CE or opens a
    /// new one; later ones for a member or a finished event change nothing,
    /// and so does one that is already `max_event_length_seconds` old (a
    /// stale redelivery: it would only cancel the CE it joined).
    fn on_progress(&mut self, update: &EventUpdate, start_time: f64, now: f64) -> Vec<LifecycleAction> {
        if self.retired.contains(&update.id) || self.ce_of(&update.id).is_some() {
            return Vec::new();
        }
        if !qualifies(&self.config, update) {
            self.unqualified.insert(update.id.clone());
            return Vec::new();
        }
        self.unqualified.remove(&update.id);
        if start_time + self.config.max_event_length_seconds <= now {
            self.retired.insert(&update.id, ());
            return Vec::new();
        }
        let event = TrackedEvent {
            event_id: update.id.clone(),
            camera: update.camera.clone(),
            label: update.label.clone(),
            start_time,
            end_time: None,
        };
        let mut actions = Vec::new();
        let gap = self.config.event_gap_seconds;
        let ce_id = match self.ces.last_mut().filter(|ce| ce.accepts_joins(now, gap)) {
            Some(current) => {
                current.join(event, now);
                current.identity().ce_id.clone()
            }
            None => {
                let identity = CeIdentity::for_first_event(update.start_time, &update.id);
                actions.push(LifecycleAction::CeOpened {
                    ce_id: identity.ce_id.clone(),
                    folder: identity.folder.clone(),
                    camera: update.camera.clone(),
                    label: update.label.clone(),
                    start_time,
                });
                let ce_id = identity.ce_id.clone();
                self.ces.push(ConsolidatedEvent::open(identity, event, now));
                ce_id
            }
        };
        actions.push(LifecycleAction::EventJoined {
            ce_id,
            event_id: update.id.clone(),
            camera: update.camera.clone(),
            label: update.label.clone(),
            start_time,
        });
        actions
    }

    /// An `end` at `end_time`, reported at event time `now`: too short → the event leaves its CE (the CE too when it was
    /// the last member); too long → the CE is canceled; otherwise the CE's
    /// close timer restarts. Ends of unknown or finished events (one that
    /// timed out included) change nothing.
    fn on_end(&mut self, update: &EventUpdate, end_time: f64, now: f64) -> Vec<LifecycleAction> {
        if self.unqualified.remove(&update.id) {
            self.retired.insert(&update.id, ());
            return Vec::new();
        }
        let Some(index) = self.ce_of(&update.id) else {
            return Vec::new();
        };
        let ce = &mut self.ces[index];
        let Some(start_time) = ce
            .event(&update.id)
            .filter(|event| event.end_time.is_none())
            .map(|event| event.start_time)
        else {
            return Vec::new();
        };
        let ce_id = ce.identity().ce_id.clone();
        let duration = end_time - start_time;
        if duration < self.config.minimum_event_seconds {
            ce.remove_event(&update.id);
            self.retired.insert(&update.id, ());
            let mut actions = vec![LifecycleAction::EventDiscarded {
                ce_id: ce_id.clone(),
                event_id: update.id.clone(),
            }];
            if ce.is_empty() {
                let discarded = self.ces.remove(index);
                actions.push(LifecycleAction::CeDiscarded {
                    ce_id,
                    folder: discarded.identity().folder.clone(),
                });
            }
            actions
        } else if duration >= self.config.max_event_length_seconds {
            let canceled = self.ces.remove(index);
            canceled
                .events()
                .iter()
                .for_each(|event| self.retired.insert(&event.event_id, ()));
            vec![LifecycleAction::CeCanceled {
                ce_id,
                folder: canceled.identity().folder.clone(),
            }]
        } else {
            ce.end_event(&update.id, end_time, now, self.config.event_gap_seconds);
            vec![LifecycleAction::EventEnded {
                ce_id,
                event_id: update.id.clone(),
                end_time,
            }]
        }
    }

    /// Index of the open CE that has `event_id` as a member.
    fn ce_of(&self, event_id: &str) -> Option<usize> {
        self.ces.iter().position(|ce| ce.event(event_id).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::lifecycle::actions::CeMember;
    use crate::ce::lifecycle::config::{CameraFilter, ZoneFilter};
    use crate::ce::lifecycle::input::fixtures::{end, message};
    use crate::ce::lifecycle::restore::RestoredEvent;

    /// FNV-1a of "100.0-aaaaaa", computed independently.
    const FIRST_CE: &str = "ce_100_1420b893";

    fn person(kind: EventKind, id: &str, camera: &str, start_time: f64) -> EventUpdate {
        message(kind, id, camera, "person", start_time)
    }

    fn appear(lifecycle: &mut Lifecycle, id: &str, camera: &str, start_time: f64) -> Vec<LifecycleAction> {
        lifecycle.on_event(&person(EventKind::New, id, camera, start_time), start_time)
    }

    fn finish(
        lifecycle: &mut Lifecycle,
        id: &str,
        camera: &str,
        start_time: f64,
        end_time: f64,
    ) -> Vec<LifecycleAction> {
        lifecycle.on_event(&end(id, camera, "person", start_time, end_time), end_time)
    }

    fn closed_window(action: &LifecycleAction) -> (f64, f64, Vec<String>, Vec<String>) {
        let LifecycleAction::CeClosed {
            window_start,
            window_end,
            cameras,
            events,
            ..
        } = action
        else {
            panic!("expected ce_closed, got {action:?}");
        };
        let ids = events.iter().map(|member| member.event_id.clone()).collect();
        (*window_start, *window_end, cameras.clone(), ids)
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    #[test]
    fn events_within_the_gap_group_across_cameras_and_close_one_gap_after_the_last_end() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        let opened = appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        assert_eq!(
            opened,
            vec![
                LifecycleAction::CeOpened {
                    ce_id: FIRST_CE.into(),
                    folder: "100_1420b893".into(),
                    camera: "front".into(),
                    label: "person".into(),
                    start_time: 100.0,
                },
                LifecycleAction::EventJoined {
                    ce_id: FIRST_CE.into(),
                    event_id: "100.0-aaaaaa".into(),
                    camera: "front".into(),
                    label: "person".into(),
                    start_time: 100.0,
                },
            ]
        );
        let joined = appear(&mut lifecycle, "150.0-bbbbbb", "yard", 150.0);
        assert!(matches!(&joined[..], [LifecycleAction::EventJoined { ce_id, .. }] if ce_id == FIRST_CE));
        assert_eq!(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 130.0).len(), 1);
        assert_eq!(finish(&mut lifecycle, "150.0-bbbbbb", "yard", 150.0, 170.0).len(), 1);
        assert_eq!(lifecycle.next_deadline(170.0), Some(290.0)); // 170 + 120
        assert!(lifecycle.on_tick(289.0).is_empty());
        let closed = lifecycle.on_tick(290.0);
        assert_eq!(closed.len(), 1);
        let (start, end, cameras, ids) = closed_window(&closed[0]);
        assert_eq!((start, end), (95.0, 200.0)); // 100 - 5, 170 + 30
        assert_eq!(cameras, strings(&["front", "yard"]));
        assert_eq!(ids, strings(&["100.0-aaaaaa", "150.0-bbbbbb"]));
        assert!(lifecycle.open_ces().is_empty());
        assert_eq!(lifecycle.next_deadline(290.0), None);
    }

    #[test]
    fn closed_ce_reports_every_member_with_its_times() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 130.0);
        let closed = lifecycle.on_tick(250.0);
        let [LifecycleAction::CeClosed { events, .. }] = &closed[..] else {
            panic!("expected one close: {closed:?}")
        };
        let expected = CeMember {
            event_id: "100.0-aaaaaa".into(),
            camera: "front".into(),
            label: "person".into(),
            start_time: 100.0,
            end_time: 130.0,
        };
        assert_eq!(events, &vec![expected]);
    }

    #[test]
    fn an_event_joins_while_a_member_is_still_open_however_old_the_last_activity() {
        let config = LifecycleConfig {
            max_event_length_seconds: 1000.0,
            ..LifecycleConfig::default()
        };
        let mut lifecycle = Lifecycle::new(config);
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        let joined = appear(&mut lifecycle, "219.9-bbbbbb", "yard", 219.9);
        assert!(matches!(&joined[..], [LifecycleAction::EventJoined { ce_id, .. }] if ce_id == FIRST_CE));
        // 340 - 219.9 >= 120, but both events are still open: the incident goes on.
        let joined = appear(&mut lifecycle, "340.0-cccccc", "yard", 340.0);
        assert!(matches!(&joined[..], [LifecycleAction::EventJoined { ce_id, .. }] if ce_id == FIRST_CE));
        assert_eq!(lifecycle.open_ces().len(), 1);
    }

    #[test]
    fn a_ce_due_to_close_takes_no_new_event_even_before_the_tick() {
        let config = LifecycleConfig {
            event_gap_seconds: 10.0,
            ..LifecycleConfig::default()
        };
        let mut lifecycle = Lifecycle::new(config);
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 110.0); // closes at 120
        let opened = appear(&mut lifecycle, "120.0-bbbbbb", "front", 120.0);
        let (_, _, _, ids) = closed_window(&opened[0]); // the due close comes first
        assert_eq!(ids, strings(&["100.0-aaaaaa"]));
        assert!(matches!(&opened[1], LifecycleAction::CeOpened { .. }));
        assert!(lifecycle.on_tick(120.0).is_empty());
    }

    #[test]
    fn too_short_only_event_discards_the_whole_ce() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        let actions = finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 104.9); // 4.9 s < 5
        assert_eq!(
            actions,
            vec![
                LifecycleAction::EventDiscarded {
                    ce_id: FIRST_CE.into(),
                    event_id: "100.0-aaaaaa".into()
                },
                LifecycleAction::CeDiscarded {
                    ce_id: FIRST_CE.into(),
                    folder: "100_1420b893".into()
                },
            ]
        );
        assert!(lifecycle.open_ces().is_empty());
        assert!(lifecycle.on_tick(1000.0).is_empty());
    }

    #[test]
    fn too_short_event_among_two_leaves_only_itself() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        appear(&mut lifecycle, "101.0-bbbbbb", "yard", 101.0);
        let dropped = finish(&mut lifecycle, "101.0-bbbbbb", "yard", 101.0, 104.0); // 3 s
        assert_eq!(
            dropped,
            vec![LifecycleAction::EventDiscarded {
                ce_id: FIRST_CE.into(),
                event_id: "101.0-bbbbbb".into()
            }]
        );
        finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 140.0);
        let closed = lifecycle.on_tick(260.0); // 140 + 120
        let (start, end, cameras, ids) = closed_window(&closed[0]);
        assert_eq!((start, end), (95.0, 170.0));
        assert_eq!(cameras, strings(&["front"]));
        assert_eq!(ids, strings(&["100.0-aaaaaa"]));
    }

    #[test]
    fn an_event_of_maximum_length_cancels_the_ce() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        appear(&mut lifecycle, "110.0-bbbbbb", "yard", 110.0);
        let canceled = finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 220.0); // exactly 120 s
        assert_eq!(
            canceled,
            vec![LifecycleAction::CeCanceled {
                ce_id: FIRST_CE.into(),
                folder: "100_1420b893".into()
            }]
        );
        assert!(lifecycle.open_ces().is_empty());
        assert!(finish(&mut lifecycle, "110.0-bbbbbb", "yard", 110.0, 225.0).is_empty());
        assert!(appear(&mut lifecycle, "110.0-bbbbbb", "yard", 110.0).is_empty());
    }

    #[test]
    fn a_later_end_resets_the_close_timer() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 110.0);
        assert_eq!(lifecycle.next_deadline(110.0), Some(230.0));
        appear(&mut lifecycle, "120.0-bbbbbb", "yard", 120.0);
        assert_eq!(lifecycle.next_deadline(120.0), Some(240.0)); // an event is open: only its maximum length
        finish(&mut lifecycle, "120.0-bbbbbb", "yard", 120.0, 200.0);
        assert_eq!(lifecycle.next_deadline(200.0), Some(320.0)); // 200 + 120, not 230
        assert!(lifecycle.on_tick(230.0).is_empty());
        assert!(lifecycle.on_tick(319.0).is_empty());
        assert_eq!(lifecycle.on_tick(320.0).len(), 1);
    }

    #[test]
    fn a_sub_event_arriving_just_before_the_close_timer_is_waited_for() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 110.0); // timer at 230
        let joined = appear(&mut lifecycle, "229.0-bbbbbb", "yard", 229.0); // 229 - 110 = 119 < 120
        assert!(matches!(&joined[..], [LifecycleAction::EventJoined { ce_id, .. }] if ce_id == FIRST_CE));
        assert!(lifecycle.on_tick(230.0).is_empty());
        assert!(lifecycle.on_tick(300.0).is_empty());
        assert_eq!(lifecycle.open_ces()[0].open_events, 1);
        finish(&mut lifecycle, "229.0-bbbbbb", "yard", 229.0, 260.0); // re-armed to 380
        assert!(lifecycle.on_tick(379.0).is_empty());
        let closed = lifecycle.on_tick(380.0);
        let (start, end, cameras, ids) = closed_window(&closed[0]);
        assert_eq!((start, end), (95.0, 290.0)); // 100 - 5, 260 + 30
        assert_eq!(cameras, strings(&["front", "yard"]));
        assert_eq!(ids, strings(&["100.0-aaaaaa", "229.0-bbbbbb"]));
    }

    #[test]
    fn redelivered_and_out_of_order_messages_change_nothing() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        assert!(finish(&mut lifecycle, "90.0-zzzzzz", "front", 90.0, 99.0).is_empty()); // unknown end
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        assert!(appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0).is_empty()); // repeated new
        assert_eq!(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 130.0).len(), 1);
        assert!(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 131.0).is_empty()); // second end
        assert_eq!(lifecycle.next_deadline(131.0), Some(250.0)); // not moved by the second end
        assert!(lifecycle
            .on_event(&person(EventKind::Update, "100.0-aaaaaa", "front", 100.0), 132.0)
            .is_empty());
        assert_eq!(lifecycle.on_tick(250.0).len(), 1);
        // A late update of a member of the closed CE starts nothing.
        assert!(lifecycle
            .on_event(&person(EventKind::Update, "100.0-aaaaaa", "front", 100.0), 251.0)
            .is_empty());
        assert!(lifecycle.open_ces().is_empty());
    }

    #[test]
    fn end_without_end_time_is_taken_at_now() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        let ended = lifecycle.on_event(&person(EventKind::End, "100.0-aaaaaa", "front", 100.0), 140.0);
        assert_eq!(
            ended,
            vec![LifecycleAction::EventEnded {
                ce_id: FIRST_CE.into(),
                event_id: "100.0-aaaaaa".into(),
                end_time: 140.0
            }]
        );
    }

    #[test]
    fn filtered_camera_and_label_are_ignored() {
        let config = LifecycleConfig {
            cameras: vec![CameraFilter {
                name: "front".into(),
                labels: vec!["person".into()],
                zone_filter: None,
            }],
            ..LifecycleConfig::default()
        };
        let mut lifecycle = Lifecycle::new(config);
        assert!(appear(&mut lifecycle, "100.0-aaaaaa", "garage", 100.0).is_empty());
        let car = message(EventKind::New, "101.0-bbbbbb", "front", "car", 101.0);
        assert!(lifecycle.on_event(&car, 101.0).is_empty());
        assert!(lifecycle.open_ces().is_empty());
        assert_eq!(appear(&mut lifecycle, "102.0-cccccc", "front", 102.0).len(), 2);
    }

    #[test]
    fn an_event_qualifies_on_its_first_update_in_a_tracked_zone_or_as_an_exception() {
        let config = LifecycleConfig {
            zone_filter: ZoneFilter {
                tracked_zones: vec!["porch".into()],
                exceptions: vec!["Alice".into()],
            },
            ..LifecycleConfig::default()
        };
        let mut lifecycle = Lifecycle::new(config);
        assert!(appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0).is_empty());
        let on_porch = EventUpdate {
            entered_zones: vec!["porch".into()],
            ..person(EventKind::Update, "100.0-aaaaaa", "front", 100.0)
        };
        let started = lifecycle.on_event(&on_porch, 104.0);
        assert!(matches!(&started[0], LifecycleAction::CeOpened { ce_id, .. } if ce_id == FIRST_CE));
        let alice = EventUpdate {
            sub_label: Some("ALICE".into()),
            ..person(EventKind::Update, "105.0-bbbbbb", "yard", 105.0)
        };
        let joined = lifecycle.on_event(&alice, 106.0);
        assert!(matches!(&joined[..], [LifecycleAction::EventJoined { event_id, .. }] if event_id == "105.0-bbbbbb"));
    }

    #[test]
    fn an_event_that_ended_unqualified_is_not_started_by_a_redelivered_update() {
        let config = LifecycleConfig {
            zone_filter: ZoneFilter {
                tracked_zones: vec!["porch".into()],
                exceptions: Vec::new(),
            },
            ..LifecycleConfig::default()
        };
        let mut lifecycle = Lifecycle::new(config);
        assert!(appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0).is_empty());
        assert!(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 130.0).is_empty());
        let late = EventUpdate {
            current_zones: vec!["porch".into()],
            ..person(EventKind::Update, "100.0-aaaaaa", "front", 100.0)
        };
        assert!(lifecycle.on_event(&late, 131.0).is_empty());
        assert!(lifecycle.open_ces().is_empty());
    }

    #[test]
    fn replaying_the_same_messages_yields_the_same_actions() {
        let replay = || {
            let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
            let mut actions = appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
            actions.extend(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 130.0));
            actions.extend(appear(&mut lifecycle, "300.0-cccccc", "yard", 300.0));
            actions
        };
        let first = replay();
        assert_eq!(first, replay());
        let opened: Vec<&str> = first
            .iter()
            .filter_map(|action| match action {
                LifecycleAction::CeOpened { ce_id, .. } => Some(ce_id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(opened, [FIRST_CE, "ce_300_7488865d"]); // 300 >= 250: the first CE was due
    }

    #[test]
    fn an_event_whose_end_never_comes_cancels_its_ce_at_the_maximum_length_from_its_start() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        assert_eq!(lifecycle.next_deadline(100.0), Some(220.0)); // 100 + 120
        assert!(lifecycle.on_tick(219.9).is_empty());
        assert_eq!(
            lifecycle.on_tick(220.0),
            vec![LifecycleAction::CeCanceled {
                ce_id: FIRST_CE.into(),
                folder: "100_1420b893".into()
            }]
        );
        assert!(lifecycle.open_ces().is_empty());
        // The next incident opens its own CE, and the late end of the timed-out event leaves it be.
        let opened = appear(&mut lifecycle, "230.0-bbbbbb", "yard", 230.0);
        assert!(matches!(&opened[0], LifecycleAction::CeOpened { ce_id, .. } if ce_id != FIRST_CE));
        assert!(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 240.0).is_empty());
        assert!(appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0).is_empty());
        assert_eq!(lifecycle.open_ces().len(), 1);
        assert_eq!(lifecycle.open_ces()[0].event_ids, strings(&["230.0-bbbbbb"]));
    }

    #[test]
    fn a_timed_out_ce_is_canceled_before_a_later_message_could_join_it() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        // No tick between: the message's own time fires the timer first.
        let actions = appear(&mut lifecycle, "300.0-bbbbbb", "yard", 300.0);
        assert!(matches!(&actions[0], LifecycleAction::CeCanceled { ce_id, .. } if ce_id == FIRST_CE));
        assert!(matches!(&actions[1], LifecycleAction::CeOpened { start_time, .. } if *start_time == 300.0));
        assert_eq!(lifecycle.open_ces()[0].event_ids, strings(&["300.0-bbbbbb"]));
    }

    #[test]
    fn messages_delivered_at_once_group_by_their_event_times() {
        let config = LifecycleConfig {
            event_gap_seconds: 3.0,
            minimum_event_seconds: 1.0,
            ..LifecycleConfig::default()
        };
        let mut lifecycle = Lifecycle::new(config);
        let arrival = 1000.0; // every message arrives now, after a restart
        let mut actions = Vec::new();
        for (id, camera, start) in [
            ("100.0-aaaaaa", "front", 100.0),
            ("100.5-bbbbbb", "yard", 100.5),
            ("108.0-cccccc", "front", 108.0),
        ] {
            actions.extend(lifecycle.on_event(&person(EventKind::New, id, camera, start), arrival));
            actions.extend(lifecycle.on_event(&end(id, camera, "person", start, start + 2.0), arrival));
            actions.extend(lifecycle.on_tick(arrival));
        }
        // 100.5 joins (it started while 100.0 was open); 108 - 102.5 >= 3: a new CE.
        let opened: Vec<&str> = actions
            .iter()
            .filter_map(|action| match action {
                LifecycleAction::CeOpened { ce_id, .. } => Some(ce_id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(opened.len(), 2, "{actions:?}");
        let closed: Vec<Vec<String>> = actions
            .iter()
            .filter(|action| matches!(action, LifecycleAction::CeClosed { .. }))
            .map(|action| closed_window(action).3)
            .collect();
        assert_eq!(closed, [strings(&["100.0-aaaaaa", "100.5-bbbbbb"])]);
        // The second CE closes one gap after its end in event time: 3 s of wall clock from here.
        assert_eq!(lifecycle.next_deadline(arrival), Some(arrival + 3.0));
        assert!(lifecycle.on_tick(arrival + 2.9).is_empty());
        let last = lifecycle.on_tick(arrival + 3.0);
        assert_eq!(closed_window(&last[0]).3, strings(&["108.0-cccccc"]));
    }

    #[test]
    fn event_times_far_in_the_future_are_not_trusted_and_stale_events_start_nothing() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        appear(&mut lifecycle, "100.0-aaaaaa", "front", 100.0);
        // A start a day ahead of the arrival moves no timer; it is taken at the event clock.
        let skewed = lifecycle.on_event(&person(EventKind::New, "86500.0-bbbbbb", "yard", 86_500.0), 110.0);
        assert!(matches!(&skewed[..], [LifecycleAction::EventJoined { start_time, .. }] if *start_time == 110.0));
        assert_eq!(lifecycle.open_ces().len(), 1);
        // An event already at the maximum length when first seen (a redelivered `new`) joins nothing.
        assert!(appear_at(&mut lifecycle, "-20.0-cccccc", -20.0, 115.0).is_empty());
        assert_eq!(
            lifecycle.open_ces()[0].event_ids,
            strings(&["100.0-aaaaaa", "86500.0-bbbbbb"])
        );
    }

    fn appear_at(lifecycle: &mut Lifecycle, id: &str, start_time: f64, now: f64) -> Vec<LifecycleAction> {
        lifecycle.on_event(&person(EventKind::New, id, "side", start_time), now)
    }

    #[test]
    fn a_restored_open_event_times_out_on_the_clock_restored_with_it() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        lifecycle
            .restore_open_ce(restored_front_and_yard(), 5000.0)
            .expect("restorable");
        // The clock goes on from the latest restored time (130) at the restart (5000):
        // yard's 125 + 120 is due 115 s later.
        assert_eq!(lifecycle.next_deadline(5000.0), Some(5115.0));
        assert!(lifecycle.on_tick(5114.0).is_empty());
        let canceled = lifecycle.on_tick(5115.0);
        assert!(matches!(&canceled[..], [LifecycleAction::CeCanceled { ce_id, .. }] if ce_id == FIRST_CE));
    }

    fn restored_front_and_yard() -> RestoredCe {
        let event = |event_id: &str, camera: &str, start_time: f64, end_time: Option<f64>| RestoredEvent {
            event_id: event_id.into(),
            camera: camera.into(),
            label: "person".into(),
            start_time,
            end_time,
        };
        RestoredCe {
            ce_id: FIRST_CE.into(),
            folder: "100_1420b893".into(),
            events: vec![
                event("100.0-aaaaaa", "front", 100.0, Some(130.0)),
                event("125.0-bbbbbb", "yard", 125.0, None),
            ],
        }
    }

    #[test]
    fn a_restored_ce_is_continued_by_later_messages() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        assert_eq!(
            lifecycle.restore_open_ce(restored_front_and_yard(), 131.0),
            Ok(Vec::new())
        );
        let joined = appear(&mut lifecycle, "200.0-cccccc", "back", 200.0); // 200 - 130 < 120
        assert!(matches!(&joined[..], [LifecycleAction::EventJoined { ce_id, .. }] if ce_id == FIRST_CE));
        assert!(finish(&mut lifecycle, "100.0-aaaaaa", "front", 100.0, 130.0).is_empty()); // ended before the restart
        assert_eq!(finish(&mut lifecycle, "125.0-bbbbbb", "yard", 125.0, 210.0).len(), 1);
        assert_eq!(finish(&mut lifecycle, "200.0-cccccc", "back", 200.0, 215.0).len(), 1);
        assert_eq!(lifecycle.next_deadline(215.0), Some(335.0)); // 215 + 120
        let closed = lifecycle.on_tick(335.0);
        let (start, end, cameras, ids) = closed_window(&closed[0]);
        assert_eq!((start, end), (95.0, 245.0)); // 100 - 5, 215 + 30
        assert_eq!(cameras, strings(&["front", "yard", "back"]));
        assert_eq!(ids, strings(&["100.0-aaaaaa", "125.0-bbbbbb", "200.0-cccccc"]));
    }

    #[test]
    fn restoring_twice_or_without_events_is_handled() {
        let mut lifecycle = Lifecycle::new(LifecycleConfig::default());
        assert_eq!(
            lifecycle.restore_open_ce(restored_front_and_yard(), 131.0),
            Ok(Vec::new())
        );
        assert_eq!(
            lifecycle.restore_open_ce(restored_front_and_yard(), 131.0),
            Err(RestoreError::AlreadyOpen { ce_id: FIRST_CE.into() })
        );
        let sharing = RestoredCe {
            ce_id: "ce_125_00000001".into(),
            ..restored_front_and_yard()
        };
        assert_eq!(
            lifecycle.restore_open_ce(sharing, 131.0),
            Err(RestoreError::EventInAnotherCe {
                ce_id: "ce_125_00000001".into(),
                event_id: "100.0-aaaaaa".into(),
                other_ce_id: FIRST_CE.into(),
            })
        );
        let emptied = RestoredCe {
            ce_id: "ce_90_00000002".into(),
            folder: "90_00000002".into(),
            events: Vec::new(),
        };
        assert_eq!(
            lifecycle.restore_open_ce(emptied, 131.0),
            Ok(vec![LifecycleAction::CeDiscarded {
                ce_id: "ce_90_00000002".into(),
                folder: "90_00000002".into()
            }])
        );
        assert_eq!(lifecycle.open_ces().len(), 1);
    }
}
