//! The picture on a CE's first notification, owned by the notifier thread.
//!
//! A CE's `new` notification is held, at most [`SNAPSHOT_WAIT_SECONDS`], for the snapshot lane's
//! `snapshot_ready` of the same CE. When the snapshot comes in time, the `new` goes out once,
//! carrying its image, and the `snapshot_ready` is not sent on its own: a phone shows one
//! notification with the picture instead of a text-only one replaced a moment later (and the
//! rate limit's slots stay free for the quick title). When the snapshot is late or Frigate has
//! none, the `new` goes out without an image at the end of the wait, and a later
//! `snapshot_ready` follows as its own notification with the same tag. Any other notification
//! of the CE releases its held `new` first, so a CE's notifications keep their order.
//!
//! It only holds and merges requests; it neither builds, rate-limits nor publishes them. Time is
//! passed in (epoch seconds).

use super::messages::NotifyRequest;
use crate::notify::Milestone;
use std::collections::HashMap;

/// Longest hold of a `new` notification waiting for its snapshot, seconds: short enough that
/// the notification still feels immediate, long enough for Frigate to answer a snapshot request.
pub const SNAPSHOT_WAIT_SECONDS: f64 = 1.5;

/// The `new` notifications waiting for their snapshot, by CE.
#[derive(Debug, Default)]
pub struct FirstPicture {
    /// CE id → its `new` request and when it goes out without a picture.
    held: HashMap<String, (NotifyRequest, f64)>,
}

impl FirstPicture {
    /// Takes `request`, arrived at `now`; returns the requests to hand on now, in order.
    pub fn take(&mut self, request: NotifyRequest, now: f64) -> Vec<NotifyRequest> {
        let ce_id = request.facts.ce_id.clone();
        match request.milestone {
            Milestone::New if request.facts.image_url.is_none() => {
                let release_at = now + SNAPSHOT_WAIT_SECONDS;
                let earlier = self.held.insert(ce_id, (request, release_at));
                earlier.map(|(earlier, _)| earlier).into_iter().collect()
            }
            Milestone::SnapshotReady => match self.held.remove(&ce_id) {
                Some((mut new, _)) => {
                    new.facts.image_url = request.facts.image_url;
                    vec![new]
                }
                None => vec![request],
            },
            _ => {
                let held = self.held.remove(&ce_id).map(|(new, _)| new);
                held.into_iter().chain([request]).collect()
            }
        }
    }

    /// The held requests whose wait has ended at `now`, oldest first.
    pub fn due(&mut self, now: f64) -> Vec<NotifyRequest> {
        let due: Vec<String> = self
            .held
            .iter()
            .filter(|(_, (_, release_at))| *release_at <= now)
            .map(|(ce_id, _)| ce_id.clone())
            .collect();
        self.released(due)
    }

    /// Every held request, oldest first (the service is stopping).
    pub fn release_all(&mut self) -> Vec<NotifyRequest> {
        let all: Vec<String> = self.held.keys().cloned().collect();
        self.released(all)
    }

    /// When the next held request is due, if any is held.
    pub fn next_due(&self) -> Option<f64> {
        self.held.values().map(|(_, release_at)| *release_at).reduce(f64::min)
    }

    /// Removes the requests of `ce_ids` and returns them oldest first.
    fn released(&mut self, ce_ids: Vec<String>) -> Vec<NotifyRequest> {
        let mut released: Vec<(NotifyRequest, f64)> =
            ce_ids.iter().filter_map(|ce_id| self.held.remove(ce_id)).collect();
        released.sort_by(|a, b| a.1.total_cmp(&b.1));
        released.into_iter().map(|(request, _)| request).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::CeFacts;

    fn request(ce_id: &str, milestone: Milestone, image_url: Option<&str>) -> NotifyRequest {
        NotifyRequest {
            milestone,
            facts: CeFacts {
                ce_id: ce_id.to_string(),
                camera: "gate".to_string(),
                label: "person".to_string(),
                camera_count: 1,
                image_url: image_url.map(str::to_string),
                video_url: None,
                player_url: None,
                threat_level: 0,
            },
            journal: None,
        }
    }

    fn shown(requests: &[NotifyRequest]) -> Vec<(String, Milestone, Option<String>)> {
        requests
            .iter()
            .map(|r| (r.facts.ce_id.clone(), r.milestone.clone(), r.facts.image_url.clone()))
            .collect()
    }

    #[test]
    fn a_snapshot_in_time_goes_out_on_the_new_notification_alone() {
        let mut hold = FirstPicture::default();
        assert!(hold.take(request("ce_1", Milestone::New, None), 100.0).is_empty());
        assert_eq!(hold.next_due(), Some(100.0 + SNAPSHOT_WAIT_SECONDS));
        let out = hold.take(request("ce_1", Milestone::SnapshotReady, Some("http://b/s.jpg")), 100.4);
        assert_eq!(
            shown(&out),
            [("ce_1".into(), Milestone::New, Some("http://b/s.jpg".into()))]
        );
        assert_eq!(hold.next_due(), None);
    }

    #[test]
    fn a_late_snapshot_follows_a_new_released_at_the_end_of_the_wait() {
        let mut hold = FirstPicture::default();
        hold.take(request("ce_1", Milestone::New, None), 100.0);
        hold.take(request("ce_2", Milestone::New, None), 100.5);
        assert!(hold.due(101.4).is_empty());
        assert_eq!(shown(&hold.due(101.5)), [("ce_1".into(), Milestone::New, None)]);
        let late = hold.take(request("ce_1", Milestone::SnapshotReady, Some("http://b/s.jpg")), 103.0);
        assert_eq!(
            shown(&late),
            [("ce_1".into(), Milestone::SnapshotReady, Some("http://b/s.jpg".into()))]
        );
        assert_eq!(shown(&hold.release_all()), [("ce_2".into(), Milestone::New, None)]);
    }

    #[test]
    fn another_notification_of_the_ce_releases_its_new_first() {
        let mut hold = FirstPicture::default();
        hold.take(request("ce_1", Milestone::New, None), 100.0);
        hold.take(request("ce_2", Milestone::New, None), 100.0);
        let out = hold.take(request("ce_1", Milestone::Discarded, None), 100.2);
        assert_eq!(
            shown(&out),
            [
                ("ce_1".into(), Milestone::New, None),
                ("ce_1".into(), Milestone::Discarded, None)
            ]
        );
        assert_eq!(hold.next_due(), Some(100.0 + SNAPSHOT_WAIT_SECONDS), "ce_2 still waits");
    }
}
