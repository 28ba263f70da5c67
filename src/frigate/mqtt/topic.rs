//! Which MQTT topics are ours: the four Frigate topics the service subscribes to, under a
//! configurable prefix.
//!
//! Owns the topic names and the subscription list. It may not look at payloads.
//!
//! `tracked_object_update` has no camera level: Frigate publishes `<prefix>/tracked_object_update`,
//! so `<prefix>/<camera>/tracked_object_update` is a camera sensor topic, not ours.

/// One of the Frigate topics this service consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Topic {
    /// `<prefix>/events`: tracked-object lifecycle (`new`, `update`, `end`).
    Events,
    /// `<prefix>/reviews`: review items (alerts and detections), including GenAI summaries.
    Reviews,
    /// `<prefix>/tracked_object_update`: enrichment of a tracked object (description, face, plate…).
    TrackedObjectUpdate,
    /// `<prefix>/available`: Frigate's own `online` / `offline` state.
    Available,
}

impl Topic {
    /// Every topic we consume, in subscription order.
    const ALL: [Topic; 4] = [
        Topic::Events,
        Topic::Reviews,
        Topic::TrackedObjectUpdate,
        Topic::Available,
    ];

    /// The part of the topic after `<prefix>/`.
    fn suffix(self) -> &'static str {
        match self {
            Topic::Events => "events",
            Topic::Reviews => "reviews",
            Topic::TrackedObjectUpdate => "tracked_object_update",
            Topic::Available => "available",
        }
    }

    /// Which of our topics `topic` is under `prefix`, or `None` when it is not one of ours.
    pub(super) fn classify(prefix: &str, topic: &str) -> Option<Topic> {
        let suffix = topic.strip_prefix(prefix)?.strip_prefix('/')?;
        Topic::ALL.into_iter().find(|candidate| candidate.suffix() == suffix)
    }
}

/// The exact topics to subscribe to (QoS 1, persistent session) for Frigate's topic `prefix`.
pub fn subscriptions(prefix: &str) -> Vec<String> {
    Topic::ALL
        .iter()
        .map(|topic| format!("{prefix}/{}", topic.suffix()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_the_four_topics_under_the_prefix() {
        assert_eq!(
            subscriptions("frigate"),
            [
                "frigate/events",
                "frigate/reviews",
                "frigate/tracked_object_update",
                "frigate/available"
            ]
        );
        assert_eq!(subscriptions("nvr/home")[0], "nvr/home/events");
    }

    #[test]
    fn classifies_our_topics_under_a_custom_prefix() {
        assert_eq!(Topic::classify("nvr/home", "nvr/home/events"), Some(Topic::Events));
        assert_eq!(Topic::classify("nvr/home", "nvr/home/reviews"), Some(Topic::Reviews));
        assert_eq!(
            Topic::classify("nvr/home", "nvr/home/tracked_object_update"),
            Some(Topic::TrackedObjectUpdate)
        );
        assert_eq!(
            Topic::classify("nvr/home", "nvr/home/available"),
            Some(Topic::Available)
        );
    }

    #[test]
    fn every_subscription_classifies_back_to_its_topic() {
        let classified: Vec<_> = subscriptions("frigate")
            .iter()
            .map(|topic| Topic::classify("frigate", topic))
            .collect();
        assert_eq!(classified, Topic::ALL.map(Some));
    }

    #[test]
    fn other_topics_are_not_ours() {
        for topic in [
            "frigate/stats",
            "frigate/front/person",
            "frigate/front/tracked_object_update",
            "frigate/events/extra",
            "frigateevents",
            "frigate2/events",
            "nvr/events",
            "frigate/",
            "events",
        ] {
            assert_eq!(Topic::classify("frigate", topic), None, "{topic}");
        }
    }
}
