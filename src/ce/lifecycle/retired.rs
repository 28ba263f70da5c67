//! A bounded memory of Frigate event ids the lifecycle is done with.
//!
//! Owns only the id set: MQTT QoS 1 may redeliver an `update` after its
//! event ended, was discarded or its CE closed, and such a message must not
//! start a fresh CE. The oldest ids are forgotten first, so memory stays bounded.

use std::collections::{HashSet, VecDeque};

/// How many finished event ids are remembered; redeliveries arrive within
/// seconds of the original, far fewer events than this.
const REMEMBERED_IDS: usize = 4096;

/// Finished event ids, oldest first out.
#[derive(Debug, Default)]
pub(super) struct RetiredIds {
    /// Ids in the order they were retired, to forget the oldest.
    order: VecDeque<String>,
    /// The same ids, for lookups.
    ids: HashSet<String>,
}

impl RetiredIds {
    /// Remembers `event_id` as finished, forgetting the oldest past the bound.
    pub(super) fn retire(&mut self, event_id: &str) {
        if !self.ids.insert(event_id.to_string()) {
            return;
        }
        self.order.push_back(event_id.to_string());
        if self.order.len() > REMEMBERED_IDS {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
    }

    /// True when `event_id` is finished.
    pub(super) fn contains(&self, event_id: &str) -> bool {
        self.ids.contains(event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_retired_ids_and_forgets_the_oldest_past_the_bound() {
        let mut retired = RetiredIds::default();
        retired.retire("first");
        retired.retire("first");
        assert!(retired.contains("first"));
        assert!(!retired.contains("second"));
        for index in 0..REMEMBERED_IDS {
            retired.retire(&format!("later-{index}"));
        }
        assert!(!retired.contains("first"));
        assert!(retired.contains("later-0"));
        assert_eq!(retired.order.len(), REMEMBERED_IDS);
        assert_eq!(retired.ids.len(), REMEMBERED_IDS);
    }
}
