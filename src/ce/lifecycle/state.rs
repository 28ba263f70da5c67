//! The state of one open consolidated event and its public status view.
//!
//! Owns a CE's member events, its last activity and its close timer, and the
//! rules that read them: whether it still accepts joins, when it is due to
//! close, when an open member reaches the maximum length, and its export
//! window. Decides nothing about filters. Every time here is event time (see
//! `event_clock`).

use serde::Serialize;

use super::actions::{CeMember, LifecycleAction};
use super::ce_id::CeIdentity;
use super::config::LifecycleConfig;

/// One member event of an open CE.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TrackedEvent {
    /// Frigate event id.
    pub(super) event_id: String,
    /// Camera that saw it, for the CE's camera list.
    pub(super) camera: String,
    /// Object label, reported on close.
    pub(super) label: String,
    /// Frigate's start time, for its length and the window start.
    pub(super) start_time: f64,
    /// Frigate's end time once it ended; `None` while the event is open.
    pub(super) end_time: Option<f64>,
}

impl TrackedEvent {
    /// Its end, or its start while it is open.
    fn latest_time(&self) -> f64 {
        self.end_time.unwrap_or(self.start_time)
    }
}

/// An open CE: accepting joins until the gap passes, closing once every
/// member has ended and the close timer is due.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ConsolidatedEvent {
    /// Its id and folder.
    identity: CeIdentity,
    /// Member events in the order they joined (never empty while the CE is kept).
    events: Vec<TrackedEvent>,
    /// When the CE last opened, gained an event or had an event end (event time).
    last_activity: f64,
    /// When the CE closes if no event is open then; `None` until an event ends.
    closes_at: Option<f64>,
}

impl ConsolidatedEvent {
    /// A CE opened at `now` by its first event.
    pub(super) fn open(identity: CeIdentity, first: TrackedEvent, now: f64) -> ConsolidatedEvent {
        ConsolidatedEvent {
            identity,
            events: vec![first],
            last_activity: now,
            closes_at: None,
        }
    }

    /// A CE rebuilt after a restart. Its last activity is the latest start or
    /// end of its members; its close timer is re-armed one gap after that when
    /// any member has already ended.
    pub(super) fn restored(
        identity: CeIdentity,
        events: Vec<TrackedEvent>,
        event_gap_seconds: f64,
    ) -> ConsolidatedEvent {
        let last_activity = events
            .iter()
            .map(TrackedEvent::latest_time)
            .fold(f64::NEG_INFINITY, f64::max);
        let any_ended = events.iter().any(|event| event.end_time.is_some());
        let closes_at = any_ended.then_some(last_activity + event_gap_seconds);
        ConsolidatedEvent {
            identity,
            events,
            last_activity,
            closes_at,
        }
    }

    /// Its id and folder.
    pub(super) fn identity(&self) -> &CeIdentity {
        &self.identity
    }

    /// Its member events in join order.
    pub(super) fn events(&self) -> &[TrackedEvent] {
        &self.events
    }

    /// The member event `event_id`, if it is one.
    pub(super) fn event(&self, event_id: &str) -> Option<&TrackedEvent> {
        self.events.iter().find(|event| event.event_id == event_id)
    }

    /// True while a new event may join: not closing, and either one of its
    /// events is still open (the incident is visibly going on) or less than
    /// one gap has passed since the last activity.
    pub(super) fn accepts_joins(&self, now: f64, event_gap_seconds: f64) -> bool {
        let ongoing = self.events.iter().any(|event| event.end_time.is_none());
        !self.is_due(now) && (ongoing || now - self.last_activity < event_gap_seconds)
    }

    /// Adds `event` as a member at `now`.
    pub(super) fn join(&mut self, event: TrackedEvent, now: f64) {
        self.events.push(event);
        self.last_activity = now;
    }

    /// Records that member `event_id` ended at `end_time` (reported at `now`)
    /// and resets the close timer to one gap from now.
    pub(super) fn end_event(&mut self, event_id: &str, end_time: f64, now: f64, event_gap_seconds: f64) {
        if let Some(event) = self.events.iter_mut().find(|event| event.event_id == event_id) {
            event.end_time = Some(end_time);
        }
        self.last_activity = now;
        self.closes_at = Some(now + event_gap_seconds);
    }

    /// Drops member `event_id`; the close timer is left as it was.
    pub(super) fn remove_event(&mut self, event_id: &str) {
        self.events.retain(|event| event.event_id != event_id);
    }

    /// True once the CE has no member left.
    pub(super) fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// When the CE will close unless something happens; `None` while an event
    /// is open (it cannot close then) or before any event ended.
    pub(super) fn close_deadline(&self) -> Option<f64> {
        let any_open = self.events.iter().any(|event| event.end_time.is_none());
        if any_open || self.events.is_empty() {
            None
        } else {
            self.closes_at
        }
    }

    /// When the first of its open members reaches `max_event_length_seconds`
    /// (from its start); `None` when no member is open.
    pub(super) fn max_length_deadline(&self, max_event_length_seconds: f64) -> Option<f64> {
        self.events
            .iter()
            .filter(|event| event.end_time.is_none())
            .map(|event| event.start_time + max_event_length_seconds)
            .min_by(f64::total_cmp)
    }

    /// True when the close deadline has passed.
    fn is_due(&self, now: f64) -> bool {
        self.close_deadline().is_some_and(|deadline| deadline <= now)
    }

    /// The `CeClosed` action when the CE is due at `now`, else `None`.
    pub(super) fn close(&self, now: f64, config: &LifecycleConfig) -> Option<LifecycleAction> {
        if !self.is_due(now) {
            return None;
        }
        let members: Vec<CeMember> = self
            .events
            .iter()
            .filter_map(|event| {
                event.end_time.map(|end_time| CeMember {
                    event_id: event.event_id.clone(),
                    camera: event.camera.clone(),
                    label: event.label.clone(),
                    start_time: event.start_time,
                    end_time,
                })
            })
            .collect();
        let first_start = members
            .iter()
            .map(|member| member.start_time)
            .fold(f64::INFINITY, f64::min);
        let last_end = members
            .iter()
            .map(|member| member.end_time)
            .fold(f64::NEG_INFINITY, f64::max);
        Some(LifecycleAction::CeClosed {
            ce_id: self.identity.ce_id.clone(),
            folder: self.identity.folder.clone(),
            window_start: first_start - config.export_buffer_before,
            window_end: last_end + config.export_buffer_after,
            cameras: self.cameras(),
            events: members,
        })
    }

    /// Distinct cameras in order of first appearance; the first is the primary.
    fn cameras(&self) -> Vec<String> {
        let mut cameras: Vec<String> = Vec::new();
        for event in &self.events {
            if !cameras.contains(&event.camera) {
                cameras.push(event.camera.clone());
            }
        }
        cameras
    }

    /// The status view of this CE.
    pub(super) fn status(&self) -> OpenCe {
        OpenCe {
            ce_id: self.identity.ce_id.clone(),
            folder: self.identity.folder.clone(),
            cameras: self.cameras(),
            event_ids: self.events.iter().map(|event| event.event_id.clone()).collect(),
            open_events: self.events.iter().filter(|event| event.end_time.is_none()).count(),
            last_activity: self.last_activity,
            closes_at: self.close_deadline(),
        }
    }
}

/// What the status API shows of an open CE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenCe {
    /// `ce_<int start_ts>_<8 hex>`.
    pub ce_id: String,
    /// Its folder under `events/`.
    pub folder: String,
    /// Distinct cameras in order of first appearance.
    pub cameras: Vec<String>,
    /// Member event ids in join order.
    pub event_ids: Vec<String>,
    /// How many members Frigate is still tracking (the CE cannot close before 0).
    pub open_events: usize,
    /// Last open, join or end (event time, epoch seconds).
    pub last_activity: f64,
    /// When it will close if nothing else happens (event time); `None` while an event is open.
    pub closes_at: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(event_id: &str, camera: &str, start_time: f64, end_time: Option<f64>) -> TrackedEvent {
        TrackedEvent {
            event_id: event_id.into(),
            camera: camera.into(),
            label: "person".into(),
            start_time,
            end_time,
        }
    }

    fn identity() -> CeIdentity {
        CeIdentity {
            ce_id: "ce_100_00000000".into(),
            folder: "100_00000000".into(),
        }
    }

    #[test]
    fn window_spans_all_members_with_buffers_and_cameras_keep_first_appearance() {
        let events = vec![
            tracked("b", "yard", 110.0, Some(150.0)),
            tracked("a", "front", 100.0, Some(130.0)),
            tracked("c", "yard", 120.0, Some(170.0)),
        ];
        let ce = ConsolidatedEvent::restored(identity(), events, 120.0);
        let Some(LifecycleAction::CeClosed {
            window_start,
            window_end,
            cameras,
            events,
            ..
        }) = ce.close(290.0, &LifecycleConfig::default())
        else {
            panic!("the CE is due at 170 + 120");
        };
        assert_eq!(window_start, 95.0); // 100 - 5
        assert_eq!(window_end, 200.0); // 170 + 30
        assert_eq!(cameras, vec!["yard".to_string(), "front".to_string()]);
        let ids: Vec<&str> = events.iter().map(|member| member.event_id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn not_due_before_the_timer_nor_while_an_event_is_open() {
        let config = LifecycleConfig::default();
        let ended = ConsolidatedEvent::restored(identity(), vec![tracked("a", "front", 100.0, Some(130.0))], 120.0);
        assert!(ended.close(249.9, &config).is_none());
        assert!(ended.close(250.0, &config).is_some());
        let events = vec![
            tracked("a", "front", 100.0, Some(130.0)),
            tracked("b", "yard", 120.0, None),
        ];
        let with_open = ConsolidatedEvent::restored(identity(), events, 120.0);
        assert_eq!(with_open.close_deadline(), None);
        assert!(with_open.close(1000.0, &config).is_none());
    }

    #[test]
    fn joins_accepted_while_ongoing_or_within_the_gap_and_before_the_ce_is_due() {
        let ce = ConsolidatedEvent::open(identity(), tracked("a", "front", 100.0, None), 100.0);
        assert!(ce.accepts_joins(219.9, 120.0));
        assert!(ce.accepts_joins(500.0, 120.0), "event 'a' is still open");
        let mut due = ce.clone();
        due.end_event("a", 130.0, 130.0, 10.0);
        assert!(due.accepts_joins(139.0, 120.0));
        assert!(!due.accepts_joins(140.0, 120.0)); // closing at 130 + 10
        let ended = ConsolidatedEvent::restored(identity(), vec![tracked("a", "front", 100.0, Some(110.0))], 500.0);
        assert!(
            !ended.accepts_joins(230.0, 120.0),
            "no open event and a full gap since the last activity"
        );
    }

    #[test]
    fn the_first_open_member_to_reach_the_maximum_length_sets_the_deadline() {
        let events = vec![
            tracked("a", "front", 100.0, Some(150.0)),
            tracked("b", "yard", 120.0, None),
            tracked("c", "yard", 110.0, None),
        ];
        let ce = ConsolidatedEvent::restored(identity(), events, 120.0);
        assert_eq!(ce.max_length_deadline(60.0), Some(170.0)); // c: 110 + 60; a has ended
        assert_eq!(ce.status().last_activity, 150.0); // a's end is the latest time
        let ended = ConsolidatedEvent::restored(identity(), vec![tracked("a", "front", 100.0, Some(150.0))], 120.0);
        assert_eq!(ended.max_length_deadline(60.0), None);
    }
}
