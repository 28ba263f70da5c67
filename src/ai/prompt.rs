//! The words sent with the AI frames: the system prompt and the user text (SPEC §8).
//!
//! Owns the prompt wording and the filling of its placeholders; it does not build the request
//! or see the images.

use chrono::{DateTime, FixedOffset, Local};

/// Instructions to the model: what the frames are and the exact JSON to answer with.
pub const SYSTEM_PROMPT: &str = "\
You are a security analyst reviewing footage from a home security camera system. \
You receive still frames from security cameras, in chronological order, all showing one incident \
that may have been seen by several cameras. Each frame is labelled at its top-left with the date \
and time, the camera name and its position in the sequence (i/N). \
Describe what happens across all frames as one incident, following people and vehicles from \
camera to camera.

Answer with raw JSON only: no markdown, no code fences, no text before or after it. \
Use exactly this shape:
{\"title\": string, \"scene\": string, \"shortSummary\": string, \"confidence\": number, \
\"potential_threat_level\": integer}

- title: at most 10 words naming the incident, e.g. \"Courier leaves a parcel at the front door\".
- scene: a few sentences describing the people, vehicles and actions in order, naming the cameras.
- shortSummary: one or two sentences for a phone notification.
- confidence: from 0 to 1, how sure you are of your description.
- potential_threat_level: 0 = normal activity (residents, visitors, deliveries, passers-by); \
1 = unusual, worth a look (loitering, trying door handles, looking into cars or windows); \
2 = likely threat (forced entry, a weapon, vandalism, theft in progress).

Describe only what is visible; do not guess who anyone is.";

/// The user message; `{frame_count}`, `{cameras}` and `{time_span}` are filled by [`user_text`].
const USER_TEMPLATE: &str = "Here are {frame_count} frames of one incident, in chronological order, \
from the cameras {cameras}, spanning {time_span}. Answer with the JSON object only.";

/// `2023-11-14 10:13:20 PM`, the same wall-clock format as the frame labels.
const DATE_TIME_FORMAT: &str = "%Y-%m-%d %I:%M:%S %p";

/// Where and when the frames were taken, for the user text.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisContext {
    /// The cameras the frames come from, in order of first appearance.
    pub cameras: Vec<String>,
    /// Wall-clock time of the first frame, in the zone the user reads the labels in.
    pub start: DateTime<FixedOffset>,
    /// Wall-clock time of the last frame, same zone.
    pub end: DateTime<FixedOffset>,
}

impl AnalysisContext {
    /// The context of frames from `start_epoch_sec` to `end_epoch_sec` (seconds since the Unix
    /// epoch, fractions dropped) in the machine's local time, as the frame labels show them;
    /// `None` when either time is not a representable date.
    pub fn local(cameras: Vec<String>, start_epoch_sec: f64, end_epoch_sec: f64) -> Option<Self> {
        Some(Self {
            cameras,
            start: local_time(start_epoch_sec)?,
            end: local_time(end_epoch_sec)?,
        })
    }
}

/// The local wall-clock second containing `epoch_sec`, if it is a representable date.
fn local_time(epoch_sec: f64) -> Option<DateTime<FixedOffset>> {
    let whole = epoch_sec.floor();
    if !whole.is_finite() || whole.abs() >= i64::MAX as f64 {
        return None;
    }
    DateTime::from_timestamp(whole as i64, 0).map(|utc| utc.with_timezone(&Local).fixed_offset())
}

/// The user text for `frame_count` frames of `context`.
pub fn user_text(context: &AnalysisContext, frame_count: usize) -> String {
    let duration_sec = (context.end - context.start).num_seconds().max(0);
    let time_span = format!(
        "{} to {} ({duration_sec} s)",
        context.start.format(DATE_TIME_FORMAT),
        context.end.format(DATE_TIME_FORMAT)
    );
    USER_TEMPLATE
        .replace("{frame_count}", &frame_count.to_string())
        .replace("{cameras}", &context.cameras.join(", "))
        .replace("{time_span}", &time_span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_fills_every_placeholder() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let context = AnalysisContext {
            cameras: vec!["front_door".into(), "driveway".into()],
            start: DateTime::from_timestamp(1_700_000_000, 0).unwrap().with_timezone(&utc),
            end: DateTime::from_timestamp(1_700_000_102, 0).unwrap().with_timezone(&utc),
        };
        let text = user_text(&context, 45);
        assert_eq!(
            text,
            "Here are 45 frames of one incident, in chronological order, from the cameras front_door, \
             driveway, spanning 2023-11-14 10:13:20 PM to 2023-11-14 10:15:02 PM (102 s). \
             Answer with the JSON object only."
        );
        assert!(!text.contains('{') && !text.contains('}'), "{text}");
    }

    #[test]
    fn local_context_keeps_the_span_and_rejects_impossible_dates() {
        let cameras = vec!["yard".to_string()];
        let context = AnalysisContext::local(cameras.clone(), 1_700_000_000.9, 1_700_000_060.2).unwrap();
        assert_eq!((context.end - context.start).num_seconds(), 60);
        assert_eq!(context.start.timestamp(), 1_700_000_000);
        assert!(AnalysisContext::local(cameras.clone(), f64::NAN, 0.0).is_none());
        assert!(AnalysisContext::local(cameras, 0.0, 1e15).is_none());
    }

    #[test]
    fn system_prompt_asks_for_the_result_fields() {
        for field in ["title", "scene", "shortSummary", "confidence", "potential_threat_level"] {
            assert!(SYSTEM_PROMPT.contains(&format!("\"{field}\"")), "{field} missing");
        }
        assert!(SYSTEM_PROMPT.contains("chronological"));
        assert!(SYSTEM_PROMPT.contains("raw JSON only"));
    }
}
