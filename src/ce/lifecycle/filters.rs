//! Whether an event message qualifies to start or join a CE.
//!
//! Owns the camera, label and zone filters (`cameras[].labels`, each camera's
//! `event_filters`, and the global `event_filters` for cameras without their
//! own). Pure: reads the configuration and one message, touches no lifecycle
//! state.

use super::config::{LifecycleConfig, ZoneFilter};
use super::input::EventUpdate;

/// True when `update` passes every configured filter: a confirmed object, an
/// accepted camera and label, and (when its camera's zone filter tracks zones)
/// in a tracked zone or an exception by label or sub label.
pub fn qualifies(config: &LifecycleConfig, update: &EventUpdate) -> bool {
    if update.false_positive {
        return false;
    }
    if config.cameras.is_empty() {
        return zone_filter_passes(&config.zone_filter, update);
    }
    let Some(camera) = config.cameras.iter().find(|camera| camera.name == update.camera) else {
        return false;
    };
    let label_passes = camera.labels.is_empty() || camera.labels.contains(&update.label);
    label_passes && zone_filter_passes(camera.zone_filter.as_ref().unwrap_or(&config.zone_filter), update)
}

/// Zone filter: no tracked zones, or the object is in / has entered one of
/// them, or its label or sub label is an exception. Zones and exceptions
/// match ignoring case and surrounding spaces.
fn zone_filter_passes(filter: &ZoneFilter, update: &EventUpdate) -> bool {
    if filter.tracked_zones.is_empty() {
        return true;
    }
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let in_tracked_zone = update
        .current_zones
        .iter()
        .chain(&update.entered_zones)
        .any(|zone| filter.tracked_zones.iter().any(|tracked| same(tracked, zone)));
    let names = std::iter::once(update.label.as_str()).chain(update.sub_label.as_deref());
    let is_exception = names
        .into_iter()
        .any(|name| filter.exceptions.iter().any(|exception| same(exception, name)));
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
                    zone_filter: None,
                },
                CameraFilter {
                    name: "yard".into(),
                    labels: Vec::new(),
                    zone_filter: None,
                },
            ],
            ..LifecycleConfig::default()
        }
    }

    fn zone_filtered() -> LifecycleConfig {
        LifecycleConfig {
            zone_filter: ZoneFilter {
                tracked_zones: vec!["porch".into()],
                exceptions: vec!["Alice".into(), "DOG".into()],
            },
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

    /// `front` tracks only its `Porch` zone with `Alice` as an exception; `yard` has no filter of
    /// its own and gets the global one (zone `street`); `garage` tracks no zones but keeps cars only.
    fn per_camera_filtered() -> LifecycleConfig {
        let own = |zones: &[&str], exceptions: &[&str]| ZoneFilter {
            tracked_zones: zones.iter().map(|z| z.to_string()).collect(),
            exceptions: exceptions.iter().map(|e| e.to_string()).collect(),
        };
        LifecycleConfig {
            cameras: vec![
                CameraFilter {
                    name: "front".into(),
                    labels: vec!["person".into()],
                    zone_filter: Some(own(&["Porch"], &["Alice"])),
                },
                CameraFilter {
                    name: "yard".into(),
                    labels: Vec::new(),
                    zone_filter: None,
                },
                CameraFilter {
                    name: "garage".into(),
                    labels: vec!["car".into()],
                    zone_filter: Some(own(&[], &[])),
                },
            ],
            zone_filter: own(&["street"], &[]),
            ..LifecycleConfig::default()
        }
    }

    fn in_zone(camera: &str, label: &str, zone: &str) -> EventUpdate {
        EventUpdate {
            label: label.into(),
            current_zones: vec![zone.into()],
            ..person_on(camera)
        }
    }

    #[test]
    fn a_cameras_own_tracked_zones_replace_the_global_ones_and_match_any_case() {
        let config = per_camera_filtered();
        assert!(qualifies(&config, &in_zone("front", "person", "porch")));
        assert!(qualifies(&config, &in_zone("front", "person", " PORCH ")));
        assert!(!qualifies(&config, &in_zone("front", "person", "street")));
        let entered = EventUpdate {
            entered_zones: vec!["Porch".into()],
            ..person_on("front")
        };
        assert!(qualifies(&config, &entered));
    }

    #[test]
    fn a_camera_without_its_own_filter_uses_the_global_one() {
        let config = per_camera_filtered();
        assert!(qualifies(&config, &in_zone("yard", "dog", "Street")));
        assert!(!qualifies(&config, &in_zone("yard", "dog", "porch")));
    }

    #[test]
    fn a_cameras_exceptions_pass_anywhere_but_only_on_that_camera() {
        let config = per_camera_filtered();
        let alice_front = EventUpdate {
            sub_label: Some("ALICE".into()),
            ..in_zone("front", "person", "driveway")
        };
        let alice_yard = EventUpdate {
            sub_label: Some("alice".into()),
            ..in_zone("yard", "person", "driveway")
        };
        assert!(qualifies(&config, &alice_front));
        assert!(!qualifies(&config, &alice_yard));
    }

    #[test]
    fn a_cameras_labels_still_apply_with_its_zone_filter() {
        let config = per_camera_filtered();
        assert!(!qualifies(&config, &in_zone("front", "car", "porch")));
        assert!(qualifies(&config, &in_zone("garage", "car", "anywhere")));
        assert!(!qualifies(&config, &in_zone("garage", "person", "anywhere")));
        assert!(!qualifies(&config, &in_zone("shed", "person", "street")));
    }
}
