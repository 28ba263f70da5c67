//! Lenient parsing of the endpoint's answer into an `AnalysisResult` (SPEC §8).
//!
//! Owns the shape of the result and the tolerance for what models actually send: the content as
//! a string or as text parts, code fences and prose around the JSON object, numbers sent as
//! strings, values out of range. It does no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::AiError;

/// Highest `potential_threat_level`: 0 normal, 1 unusual, 2 likely threat.
pub const MAX_THREAT_LEVEL: u8 = 2;

/// What the model made of the frames; the fields the system prompt asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisResult {
    /// A few words naming the incident: the notification title.
    pub title: String,
    /// A longer description of who did what, where.
    pub scene: String,
    /// One or two sentences: the notification text.
    #[serde(rename = "shortSummary")]
    pub short_summary: String,
    /// The model's confidence in its description, 0 to 1 (0 when it gave none).
    pub confidence: f64,
    /// 0 normal activity, 1 worth a look, 2 likely threat (0 when it gave none).
    pub potential_threat_level: u8,
}

/// Parses a chat-completions response body: takes its answer text ([`completion_text`]) and
/// parses it with [`parse_answer`].
pub fn parse_chat_completion(body: &str) -> Result<AnalysisResult, AiError> {
    parse_answer(&completion_text(body)?)
}

/// The answer text of a chat-completions response body: `choices[0].message.content`, a string
/// or an array of `{type: "text", text}` parts joined in order.
pub fn completion_text(body: &str) -> Result<String, AiError> {
    let response: Value = serde_json::from_str(body)
        .map_err(|error| AiError::malformed(format!("response body is not JSON ({error})"), body))?;
    let content = response
        .pointer("/choices/0/message/content")
        .ok_or_else(|| AiError::malformed("response has no choices[0].message.content", body))?;
    match content {
        Value::String(text) => Ok(text.clone()),
        Value::Array(parts) => Ok(joined_text_parts(parts)),
        _ => Err(AiError::malformed(
            "choices[0].message.content is neither text nor a list of parts",
            body,
        )),
    }
}

/// The `text` of every `{type: "text"}` part, concatenated.
fn joined_text_parts(parts: &[Value]) -> String {
    parts
        .iter()
        .filter(|part| part.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|part| part.get("text").and_then(Value::as_str))
        .collect()
}

/// Parses the model's answer text: the JSON object from its first `{` to its last `}` (which
/// drops code fences and prose around it). `title` is required; `scene` and `shortSummary`
/// default to empty; `confidence` is clamped to 0..=1 and `potential_threat_level` rounded and
/// clamped to 0..=2 (both may be sent as numbers or numeric strings, and default to 0).
pub fn parse_answer(answer: &str) -> Result<AnalysisResult, AiError> {
    let object_text = match (answer.find('{'), answer.rfind('}')) {
        (Some(start), Some(end)) if start < end => &answer[start..=end],
        _ => return Err(AiError::malformed("no JSON object in the answer", answer)),
    };
    let object: Map<String, Value> = serde_json::from_str(object_text)
        .map_err(|error| AiError::malformed(format!("the JSON object does not parse ({error})"), answer))?;
    let title = text_field(&object, "title");
    if title.is_empty() {
        return Err(AiError::malformed("the answer has no \"title\"", answer));
    }
    let confidence = number_field(&object, "confidence").unwrap_or(0.0).clamp(0.0, 1.0);
    let threat = number_field(&object, "potential_threat_level")
        .unwrap_or(0.0)
        .round()
        .clamp(0.0, f64::from(MAX_THREAT_LEVEL));
    Ok(AnalysisResult {
        title,
        scene: text_field(&object, "scene"),
        short_summary: text_field(&object, "shortSummary"),
        confidence,
        // In 0..=2 after the clamp, so the cast is exact.
        potential_threat_level: threat as u8,
    })
}

/// The trimmed string at `key`, or empty when it is missing or not a string.
fn text_field(object: &Map<String, Value>, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(|text| text.trim().to_string())
        .unwrap_or_default()
}

/// The number at `key`, also when sent as a numeric string; `None` when missing or not a number.
fn number_field(object: &Map<String, Value>, key: &str) -> Option<f64> {
    match object.get(key)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok().filter(|value: &f64| value.is_finite()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"title": "Courier leaves a parcel", "scene": "A courier walks up the drive.",
        "shortSummary": "Parcel delivered at the front door.", "confidence": 0.85, "potential_threat_level": 0}"#;

    fn completion(content: Value) -> String {
        serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).to_string()
    }

    #[test]
    fn fenced_answer_with_leading_prose_parses() {
        let answer = format!("Here is the analysis:\n```json\n{GOOD}\n```\n");
        let result = parse_chat_completion(&completion(Value::String(answer))).unwrap();
        assert_eq!(
            result,
            AnalysisResult {
                title: "Courier leaves a parcel".into(),
                scene: "A courier walks up the drive.".into(),
                short_summary: "Parcel delivered at the front door.".into(),
                confidence: 0.85,
                potential_threat_level: 0,
            }
        );
    }

    #[test]
    fn content_parts_are_joined_in_order() {
        let (first, second) = GOOD.split_at(40);
        let parts = serde_json::json!([
            {"type": "text", "text": format!("```\n{first}")},
            {"type": "image_url", "image_url": {"url": "data:,"}},
            {"type": "text", "text": format!("{second}\n```")},
        ]);
        let result = parse_chat_completion(&completion(parts)).unwrap();
        assert_eq!(result.title, "Courier leaves a parcel");
        assert_eq!(result.short_summary, "Parcel delivered at the front door.");
    }

    #[test]
    fn out_of_range_values_are_clamped_and_strings_accepted() {
        let high = parse_answer(r#"{"title": "t", "confidence": 85, "potential_threat_level": 3}"#).unwrap();
        assert_eq!((high.confidence, high.potential_threat_level), (1.0, 2));
        let low = parse_answer(r#"{"title": "t", "confidence": -0.5, "potential_threat_level": -1}"#).unwrap();
        assert_eq!((low.confidence, low.potential_threat_level), (0.0, 0));
        let strings = parse_answer(r#"{"title": "t", "confidence": "0.4", "potential_threat_level": "1"}"#).unwrap();
        assert_eq!((strings.confidence, strings.potential_threat_level), (0.4, 1));
        // 1.5 rounds half away from zero to 2; missing fields default.
        let sparse = parse_answer(r#"{"title": "t", "potential_threat_level": 1.5}"#).unwrap();
        assert_eq!((sparse.potential_threat_level, sparse.confidence), (2, 0.0));
        assert_eq!((sparse.scene.as_str(), sparse.short_summary.as_str()), ("", ""));
    }

    #[test]
    fn missing_title_is_an_error() {
        let error = parse_answer(r#"{"scene": "s", "potential_threat_level": 1}"#).unwrap_err();
        assert!(matches!(&error, AiError::Malformed { reason, .. } if reason.contains("title")));
    }

    #[test]
    fn plain_text_is_a_one_line_malformed_error() {
        let answer = "I'm sorry, I can't help with that.\nPlease try again.";
        let error = parse_chat_completion(&completion(Value::String(answer.into()))).unwrap_err();
        let AiError::Malformed { reason, answer_head } = &error else {
            panic!("expected Malformed, got {error:?}");
        };
        assert_eq!(reason, "no JSON object in the answer");
        assert_eq!(answer_head, answer);
        assert!(!error.to_string().contains('\n'));
    }

    #[test]
    fn a_body_without_choices_names_the_missing_key() {
        let error = parse_chat_completion(r#"{"error": {"message": "quota"}}"#).unwrap_err();
        assert!(error.to_string().contains("choices[0].message.content"), "{error}");
        let error = parse_chat_completion("<html>Bad gateway</html>").unwrap_err();
        assert!(error.to_string().contains("response body is not JSON"), "{error}");
    }

    #[test]
    fn broken_json_inside_braces_is_malformed() {
        let error = parse_answer("```json\n{\"title\": \"x\",}\n```").unwrap_err();
        assert!(
            matches!(&error, AiError::Malformed { reason, .. } if reason.starts_with("the JSON object does not parse"))
        );
    }
}
