//! Whether an event message qualifies to start or join a CE.
//!
//! Owns the camera, label and zone filters (`cameras[].labels`,
//! `event_filters.tracked_zones` and their exceptions). Pure: reads the
//! configuration and one message, touches no lifecycle state.

use super::config::LifecycleConfig;
use super::input::EventUpdate;

/// True when `update` passes every configured filter: a confirmed object, an
/// accepted camera and label, and (when zones are tracked) in a tracked zone
/// or an exception by label or sub label.
pub fn qualifies(config: &LifecycleConfig, update: &EventUpdate) -> bool {
    !update.false_positive && camera_and_label_pass(config, update) && zone_filter_passes(config, update)
}

/// Camera filter (empty list = any camera) and that camera's label filter
/// (empty list = any label); names match exactly.
fn camera_and_label_pass(config: &LifecycleConfig, update: &EventUpdate) -> bool {
    if config.cameras.is_empty() {
        return true;
    }
    config
        .cameras
        .iter()
        .find(|camera| camera.name == update.camera)
        .is_some_and(|camera| camera.labels.is_empty() || camera.labels.contains(&update.label))
}

/// Zone filter: no tracked zones, or the object is in / has entered one of
/// them, or its label or sub label is an exception (case-insensitive).
fn zone_filter_passes(config: &LifecycleConfig, update: &EventUpdate) -> bool {
    if config.tracked_zones.is_empty() {
        return true;
    }
    let in_tracked_zone = update
        .current_zones
        .iter()
        .chain(&update.entered_zones)
        .any(|zone| config.tracked_zones.contains(zone));
    let names = std::iter::once(update.label.as_str()).chain(update.sub_label.as_deref());
    let is_exception = names.into_iter().any(|name| {
        config
            .zone_exceptions
            .iter()
            .any(|exception| exception.eq_ignore_ascii_case(name))
    });
    in_tracked_zone || is_exception
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ce::lifecycle::config::CameraFilter;
    use crate::ce::lifecycle::input::fixtures::message;
    use crate::ce::lifecycle::input::EventKind;

    fn person_on(camera: &str) -> EventUpdate {
        message(EventKind::New, "1.0-abcdef", camera, "person", 1.0)
    }

    fn camera_filtered() -> LifecycleConfig {
        LifecycleConfig {
            cameras: vec![
                CameraFilter {
                    name: "front".into(),
                    labels: vec!["person".into()],
                },
                CameraFilter {
                    name: "yard".into(),
                    labels: Vec::new(),
                },
            ],
            ..LifecycleConfig::default()
        }
    }

    fn zone_filtered() -> LifecycleConfig {
        LifecycleConfig {
            tracked_zones: vec!["porch".into()],
            zone_exceptions: vec!["Alice".into(), "DOG".into()],
            ..LifecycleConfig::default()
        }
    }

    #[test]
    fn no_filters_accept_any_confirmed_event() {
        assert!(qualifies(&LifecycleConfig::default(), &person_on("anything")));
    }

    #[test]
    fn false_positive_never_qualifies() {
        let unconfirmed = EventUpdate {
            false_positive: true,
            ..person_on("front")
        };
        assert!(!qualifies(&LifecycleConfig::default(), &unconfirmed));
    }

    #[test]
    fn camera_filter_rejects_unlisted_camera() {
        let config = camera_filtered();
        assert!(qualifies(&config, &person_on("front")));
        assert!(!qualifies(&config, &person_on("garage")));
    }

    #[test]
    fn label_filter_applies_per_camera() {
        let config = camera_filtered();
        let car_front = EventUpdate {
            label: "car".into(),
            ..person_on("front")
        };
        let car_yard = EventUpdate {
            label: "car".into(),
            ..person_on("yard")
        };
        assert!(!qualifies(&config, &car_front));
        assert!(qualifies(&config, &car_yard));
    }

    #[test]
    fn zone_filter_accepts_current_or_entered_tracked_zone() {
        let config = zone_filtered();
        let outside = EventUpdate {
            current_zones: vec!["street".into()],
            ..person_on("front")
        };
        let in_porch = EventUpdate {
            current_zones: vec!["porch".into()],
            ..person_on("front")
        };
        let entered_porch = EventUpdate {
            entered_zones: vec!["porch".into()],
            ..person_on("front")
        };
        assert!(!qualifies(&config, &outside));
        assert!(qualifies(&config, &in_porch));
        assert!(qualifies(&config, &entered_porch));
    }

    #[test]
    fn zone_exception_by_sub_label_or_label_ignores_case() {
        let config = zone_filtered();
        let alice = EventUpdate {
            sub_label: Some("alice".into()),
            ..person_on("front")
        };
        let bob = EventUpdate {
            sub_label: Some("bob".into()),
            ..person_on("front")
        };
        let dog = EventUpdate {
            label: "dog".into(),
            ..person_on("front")
        };
        assert!(qualifies(&config, &alice));
        assert!(!qualifies(&config, &bob));
        assert!(qualifies(&config, &dog));
    }
}
