//! The detection sidecar (`<ce>/<camera>/detection.json`) as data.
//!
//! Owns the serde shape of the file (SPEC §5) and its parsing, including the
//! predecessor's legacy bare-list form (`[entry, ...]`). It does no I/O: the
//! durable write lives in `sidecar::write`, reading a file in `sidecar::read`.

use serde::{Deserialize, Serialize};

/// One detected object in native clip pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Class name from the model's names file (`person`, `car`, ...).
    pub label: String,
    /// Detector confidence, 0..1.
    pub score: f32,
    /// `[x1, y1, x2, y2]` in native pixels.
    pub bbox: [f64; 4],
    /// Centre of `bbox`; older sidecars may omit it, so it is derived when missing.
    #[serde(default)]
    pub centerpoint: Option<[f64; 2]>,
    /// `int((x2-x1)*(y2-y1))`; derived when missing.
    #[serde(default)]
    pub area: Option<i64>,
}

impl Detection {
    /// Builds a detection with `centerpoint` and `area` filled from the box.
    pub fn new(label: impl Into<String>, score: f32, bbox: [f64; 4]) -> Self {
        let mut detection = Self {
            label: label.into(),
            score,
            bbox,
            centerpoint: None,
            area: None,
        };
        detection.fill_derived();
        detection
    }

    /// Box area in square native pixels, as written in the file (or derived).
    pub fn area(&self) -> i64 {
        self.area.unwrap_or_else(|| box_area(self.bbox))
    }

    /// Box centre in native pixels.
    pub fn center(&self) -> [f64; 2] {
        self.centerpoint.unwrap_or_else(|| box_center(self.bbox))
    }

    fn fill_derived(&mut self) {
        self.centerpoint.get_or_insert_with(|| box_center(self.bbox));
        self.area.get_or_insert_with(|| box_area(self.bbox));
    }
}

/// A moving blob found by the motion fallback, in native pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MotionBox {
    /// `[x1, y1, x2, y2]` in native pixels.
    pub bbox: [f64; 4],
    /// `int((x2-x1)*(y2-y1))`.
    pub area: i64,
}

impl MotionBox {
    /// Builds a motion box with its area derived from the box.
    pub fn new(bbox: [f64; 4]) -> Self {
        Self {
            bbox,
            area: box_area(bbox),
        }
    }
}

/// One sampled frame of a clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SidecarEntry {
    /// Index of the decoded frame (0, interval, 2·interval, ...).
    pub frame_number: u64,
    /// Presentation time of the frame, seconds from the clip start.
    pub timestamp_sec: f64,
    /// Detections of the configured labels.
    #[serde(default)]
    pub detections: Vec<Detection>,
    /// Motion blobs against the previous sampled frame (absent in legacy files).
    #[serde(default)]
    pub motion: Vec<MotionBox>,
}

impl SidecarEntry {
    /// Sum of the areas of the detections labelled `label`.
    pub fn label_area(&self, label: &str) -> i64 {
        self.detections
            .iter()
            .filter(|d| d.label == label)
            .map(Detection::area)
            .sum()
    }
}

/// The whole sidecar of one camera's clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// Clip width in pixels; 0 when read from a legacy file that did not say.
    #[serde(default)]
    pub native_width: u32,
    /// Clip height in pixels; 0 when read from a legacy file that did not say.
    #[serde(default)]
    pub native_height: u32,
    /// Name of the detector model that produced the entries.
    #[serde(default)]
    pub model: String,
    /// Every how many decoded frames an entry was sampled.
    #[serde(default)]
    pub frame_interval: u32,
    /// Clip frame rate.
    #[serde(default)]
    pub fps: f64,
    /// Sampled frames in increasing `frame_number` order.
    pub entries: Vec<SidecarEntry>,
}

/// Why a sidecar's bytes could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("not a detection sidecar: {0}")]
pub struct SidecarFormatError(#[from] serde_json::Error);

/// Either the current object form or the predecessor's bare list of entries.
#[derive(Deserialize)]
#[serde(untagged)]
enum AnySidecar {
    Current(Sidecar),
    Legacy(Vec<SidecarEntry>),
}

impl Sidecar {
    /// Parses a sidecar in the current or the legacy bare-list form; derived
    /// fields (`centerpoint`, `area`) missing from older files are filled in.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self, SidecarFormatError> {
        let mut sidecar = match serde_json::from_slice::<AnySidecar>(bytes) {
            Ok(AnySidecar::Current(sidecar)) => sidecar,
            Ok(AnySidecar::Legacy(entries)) => Sidecar {
                native_width: 0,
                native_height: 0,
                model: String::new(),
                frame_interval: 0,
                fps: 0.0,
                entries,
            },
            // Re-parse as the current form to get serde's precise message
            // (line, column, field) instead of the untagged enum's generic one.
            Err(_) => serde_json::from_slice::<Sidecar>(bytes)?,
        };
        for entry in &mut sidecar.entries {
            entry.detections.iter_mut().for_each(Detection::fill_derived);
        }
        Ok(sidecar)
    }

    /// Serialises the sidecar as pretty-printed JSON bytes.
    pub fn to_json_vec(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("sidecar values always serialise")
    }

    /// Index of the entry whose timestamp is nearest to `t` (ties: the earlier).
    pub fn nearest_entry_index(&self, t: f64) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let after = self.entries.partition_point(|e| e.timestamp_sec < t);
        let candidates = [after.checked_sub(1), Some(after)];
        candidates
            .into_iter()
            .flatten()
            .filter(|&i| i < self.entries.len())
            .min_by(|&a, &b| {
                let da = (self.entries[a].timestamp_sec - t).abs();
                let db = (self.entries[b].timestamp_sec - t).abs();
                da.total_cmp(&db)
            })
    }
}

/// `int((x2-x1)*(y2-y1))`, as the file format defines area.
pub fn box_area(bbox: [f64; 4]) -> i64 {
    ((bbox[2] - bbox[0]) * (bbox[3] - bbox[1])) as i64
}

/// Centre of an `[x1, y1, x2, y2]` box.
pub fn box_center(bbox: [f64; 4]) -> [f64; 2] {
    [(bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1920×1080 sidecar with one entry.
    fn one_entry_sidecar(entry: SidecarEntry) -> Sidecar {
        Sidecar {
            native_width: 1920,
            native_height: 1080,
            model: "m".into(),
            frame_interval: 5,
            fps: 20.0,
            entries: vec![entry],
        }
    }

    #[test]
    fn a_written_sidecar_reads_back_to_the_same_numbers() {
        // Found by the `sidecar` fuzz target: without correctly rounded float
        // parsing, 414.285 was read back as 414.28499999999997.
        let sidecar = one_entry_sidecar(SidecarEntry {
            frame_number: 205,
            timestamp_sec: 10.25,
            detections: vec![Detection::new("person", 0.75, [149.42, 39.0, 679.15, 936.22])],
            motion: Vec::new(),
        });
        let written = sidecar.to_json_vec();
        let read = Sidecar::from_json_slice(&written).unwrap();
        assert_eq!(read, sidecar);
        assert_eq!(read.to_json_vec(), written);
    }

    #[test]
    fn legacy_bare_list_is_accepted_and_derived_fields_filled() {
        let legacy = br#"[{"frame_number": 0, "timestamp_sec": 0.0,
            "detections": [{"label": "person", "score": 0.9, "bbox": [10, 20, 30, 60]}]}]"#;
        let sidecar = Sidecar::from_json_slice(legacy).unwrap();
        assert_eq!(sidecar.native_width, 0);
        let detection = &sidecar.entries[0].detections[0];
        assert_eq!(detection.area, Some(800));
        assert_eq!(detection.centerpoint, Some([20.0, 40.0]));
        assert!(sidecar.entries[0].motion.is_empty());
    }

    #[test]
    fn current_form_round_trips() {
        let sidecar = one_entry_sidecar(SidecarEntry {
            frame_number: 5,
            timestamp_sec: 0.25,
            detections: vec![Detection::new("person", 0.8, [1.0, 2.0, 11.0, 22.0])],
            motion: vec![MotionBox::new([0.0, 0.0, 4.0, 4.0])],
        });
        let parsed = Sidecar::from_json_slice(&sidecar.to_json_vec()).unwrap();
        assert_eq!(parsed, sidecar);
    }

    #[test]
    fn garbage_is_an_error_with_position() {
        let err = Sidecar::from_json_slice(b"{\"entries\": 3}").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn nearest_entry_prefers_closest_then_earlier() {
        let entry = |t: f64| SidecarEntry {
            frame_number: 0,
            timestamp_sec: t,
            detections: vec![],
            motion: vec![],
        };
        let sidecar = Sidecar {
            native_width: 1,
            native_height: 1,
            model: String::new(),
            frame_interval: 5,
            fps: 20.0,
            entries: vec![entry(0.0), entry(1.0), entry(2.0)],
        };
        assert_eq!(sidecar.nearest_entry_index(0.4), Some(0));
        assert_eq!(sidecar.nearest_entry_index(0.5), Some(0));
        assert_eq!(sidecar.nearest_entry_index(0.6), Some(1));
        assert_eq!(sidecar.nearest_entry_index(9.0), Some(2));
        assert_eq!(sidecar.nearest_entry_index(-3.0), Some(0));
    }
}
