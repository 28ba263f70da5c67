//! The GenAI summary Frigate attaches to a review item (`data.metadata` of a `genai` review message).
//!
//! Owns the typed shape of that summary and the range of its threat level. It may not interpret
//! the summary (notification wording, criticality); consumers do.

use serde::{Deserialize, Deserializer};

/// Frigate's GenAI analysis of a review item.
///
/// Every field is optional with an empty default: the shape has grown between Frigate releases
/// (`observations` exists only in recent builds) and a missing part must not cost the whole summary.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct GenAiMetadata {
    /// A short title naming the activity and where it happened.
    pub title: String,
    /// The chronological narrative of the activity.
    pub scene: String,
    /// A two-sentence summary meant for notifications (JSON key `shortSummary`).
    #[serde(rename = "shortSummary")]
    pub short_summary: String,
    /// The model's confidence in its analysis, 0..1.
    pub confidence: Option<f64>,
    /// How worrying the activity is; 0 when absent.
    pub potential_threat_level: ThreatLevel,
    /// User-configured concerns the model saw; Frigate sends null for none.
    #[serde(deserialize_with = "null_as_empty")]
    pub other_concerns: Vec<String>,
    /// The time of the activity as the model phrased it, e.g. `"Tuesday, 02:13 PM"`.
    pub time: Option<String>,
    /// The individual facts the model noted, in chronological order.
    pub observations: Vec<String>,
}

/// Frigate's GenAI threat level: 0 normal, 1 suspicious, 2 critical; older builds also used 3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "u8")]
pub struct ThreatLevel(u8);

impl ThreatLevel {
    /// The highest level any Frigate build has sent.
    pub const MAX: u8 = 3;

    /// The level as a number, 0..=[`ThreatLevel::MAX`].
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for ThreatLevel {
    type Error = String;

    fn try_from(level: u8) -> Result<Self, Self::Error> {
        if level <= Self::MAX {
            Ok(Self(level))
        } else {
            Err(format!("threat level {level} is outside 0..={}", Self::MAX))
        }
    }
}

/// Reads a list that may be null as an empty list.
fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Option::<Vec<String>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threat_levels_zero_to_three_are_accepted() {
        let levels: Vec<ThreatLevel> = serde_json::from_str("[0, 1, 2, 3]").unwrap();
        assert_eq!(levels.iter().map(|level| level.get()).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }

    #[test]
    fn threat_levels_outside_the_range_are_rejected() {
        assert_eq!(
            serde_json::from_str::<ThreatLevel>("4").unwrap_err().to_string(),
            "threat level 4 is outside 0..=3"
        );
        assert!(serde_json::from_str::<ThreatLevel>("-1").is_err());
        assert!(serde_json::from_str::<ThreatLevel>("\"high\"").is_err());
    }

    #[test]
    fn missing_fields_default_and_null_concerns_are_empty() {
        let metadata: GenAiMetadata =
            serde_json::from_str(r#"{"title": "Parcel left at the door", "other_concerns": null}"#).unwrap();
        assert_eq!(metadata.title, "Parcel left at the door");
        assert_eq!(metadata.short_summary, "");
        assert_eq!(metadata.confidence, None);
        assert_eq!(metadata.potential_threat_level.get(), 0);
        assert!(metadata.other_concerns.is_empty() && metadata.observations.is_empty());
    }
}
