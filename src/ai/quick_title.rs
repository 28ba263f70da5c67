//! The quick title of a new CE: the words sent with its snapshot and the answer kept from it.
//!
//! Owns the quick-title prompt and [`QuickTitle`]; the request itself is
//! [`AiClient::quick_title`](super::AiClient::quick_title), and the answer is read by
//! `parse` like the analysis' (only `title` and `shortSummary` are asked for).

use super::parse::AnalysisResult;

/// Instructions to the model: one snapshot, a notification title and a sentence or two.
pub const QUICK_TITLE_PROMPT: &str = "\
You are a security analyst. You receive one snapshot of an event that a home security camera \
has just detected. Write the text of the phone notification about it.

Answer with raw JSON only: no markdown, no code fences, no text before or after it. \
Use exactly this shape:
{\"title\": string, \"shortSummary\": string}

- title: at most 10 words, factual, e.g. \"Person with a parcel at the front door\"; \
no full stop at the end.
- shortSummary: one or two sentences saying what the snapshot shows.

Describe only what is visible; do not guess who anyone is.";

/// The user text sent with the snapshot of `label` on `camera`.
pub fn quick_title_text(camera: &str, label: &str) -> String {
    format!("Snapshot from the camera {camera}, which detected a {label}. Answer with the JSON object only.")
}

/// The title and text of a new CE's notification, from its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct QuickTitle {
    /// The notification's headline.
    pub title: String,
    /// The notification's text (may be empty).
    pub description: String,
}

impl From<AnalysisResult> for QuickTitle {
    fn from(answer: AnalysisResult) -> QuickTitle {
        QuickTitle {
            title: answer.title,
            description: answer.short_summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::parse::parse_answer;

    #[test]
    fn the_prompt_asks_for_what_is_kept() {
        for field in ["title", "shortSummary"] {
            assert!(QUICK_TITLE_PROMPT.contains(&format!("\"{field}\"")), "{field} missing");
        }
        let answer = parse_answer(r#"{"title": "Person at the gate", "shortSummary": "A person waits."}"#).unwrap();
        assert_eq!(
            QuickTitle::from(answer),
            QuickTitle {
                title: "Person at the gate".into(),
                description: "A person waits.".into()
            }
        );
        assert_eq!(
            quick_title_text("gate", "person"),
            "Snapshot from the camera gate, which detected a person. Answer with the JSON object only."
        );
    }
}
