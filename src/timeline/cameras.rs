//! One camera of a consolidated event as the planner sees it: its name, its
//! parsed sidecar (shared, parsed once per CE) and its probed native size.
//!
//! Owns the look-ups every planning step asks of a camera's sidecar. It does
//! not parse or read files; the sidecar arrives already parsed.

use std::sync::Arc;

use crate::sidecar::format::Sidecar;

/// A camera's parsed detections together with the size of its clip.
#[derive(Debug, Clone)]
pub struct CameraSidecar {
    /// Camera name as Frigate spells it; used in the plan and the overlay.
    pub name: String,
    /// The camera's parsed sidecar, shared with every other consumer of the CE.
    pub sidecar: Arc<Sidecar>,
    /// Probed `(width, height)` of the clip; the frame all crops must fit in
    /// (legacy sidecars do not record it, so it comes from the probe).
    pub native: (u32, u32),
}

impl CameraSidecar {
    /// Sum of the areas of `label` detections in the entry nearest to `t`
    /// (0 when the sidecar has no entries), in square native pixels.
    pub fn label_area_at(&self, t: f64, label: &str) -> f64 {
        self.sidecar
            .nearest_entry_index(t)
            .map_or(0.0, |i| self.sidecar.entries[i].label_area(label) as f64)
    }

    /// Timestamp of the last sidecar entry, if any.
    pub fn last_timestamp(&self) -> Option<f64> {
        self.sidecar.entries.last().map(|e| e.timestamp_sec)
    }

    /// Timestamp of the first entry holding a `label` detection, if any.
    pub fn first_label_time(&self, label: &str) -> Option<f64> {
        self.sidecar
            .entries
            .iter()
            .find(|e| e.detections.iter().any(|d| d.label == label))
            .map(|e| e.timestamp_sec)
    }

    /// Native frame area in square pixels, as a real number.
    pub fn frame_area(&self) -> f64 {
        f64::from(self.native.0) * f64::from(self.native.1)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builders for small hand-made sidecars used across the timeline tests.

    use std::sync::Arc;

    use super::CameraSidecar;
    use crate::sidecar::format::{Detection, MotionBox, Sidecar, SidecarEntry};

    /// An entry at `t` with one person per box and the given motion boxes.
    pub fn entry(t: f64, people: &[[f64; 4]], motion: &[[f64; 4]]) -> SidecarEntry {
        SidecarEntry {
            frame_number: (t * 20.0).round() as u64,
            timestamp_sec: t,
            detections: people.iter().map(|&bbox| Detection::new("person", 0.9, bbox)).collect(),
            motion: motion.iter().map(|&bbox| MotionBox::new(bbox)).collect(),
        }
    }

    /// A camera with the given entries and native size.
    pub fn camera(name: &str, native: (u32, u32), entries: Vec<SidecarEntry>) -> CameraSidecar {
        CameraSidecar {
            name: name.to_owned(),
            sidecar: Arc::new(Sidecar {
                native_width: native.0,
                native_height: native.1,
                model: "test".to_owned(),
                frame_interval: 5,
                fps: 20.0,
                entries,
            }),
            native,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{camera, entry};
    use crate::sidecar::format::{Detection, SidecarEntry};

    #[test]
    fn label_area_sums_only_the_label_in_the_nearest_entry() {
        let mut with_car = entry(1.0, &[[0.0, 0.0, 10.0, 20.0], [0.0, 0.0, 5.0, 5.0]], &[]);
        with_car
            .detections
            .push(Detection::new("car", 0.9, [0.0, 0.0, 100.0, 100.0]));
        let cam = camera("a", (1920, 1080), vec![entry(0.0, &[], &[]), with_car]);
        assert_eq!(cam.label_area_at(0.4, "person"), 0.0);
        assert_eq!(cam.label_area_at(0.6, "person"), 225.0);
        assert_eq!(cam.label_area_at(0.6, "car"), 10_000.0);
    }

    #[test]
    fn empty_sidecar_has_no_area_and_no_times() {
        let cam = camera("a", (1920, 1080), Vec::<SidecarEntry>::new());
        assert_eq!(cam.label_area_at(3.0, "person"), 0.0);
        assert_eq!(cam.last_timestamp(), None);
        assert_eq!(cam.first_label_time("person"), None);
        assert_eq!(cam.frame_area(), 2_073_600.0);
    }

    #[test]
    fn first_label_time_skips_entries_without_the_label() {
        let cam = camera(
            "a",
            (1920, 1080),
            vec![entry(0.0, &[], &[]), entry(2.5, &[[0.0, 0.0, 1.0, 1.0]], &[])],
        );
        assert_eq!(cam.first_label_time("person"), Some(2.5));
        assert_eq!(cam.last_timestamp(), Some(2.5));
    }
}
