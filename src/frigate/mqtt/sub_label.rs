//! A sub label: the name Frigate gives a tracked object once face recognition, plate recognition
//! or a classification model has identified it.
//!
//! Owns the lenient decoding of the two shapes Frigate has used: a bare name (before 0.14, and in
//! review items) and a `[name, score]` pair (events since 0.14). It may not look at anything else.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

/// Who or what a tracked object was identified as.
#[derive(Debug, Clone, PartialEq)]
pub struct SubLabel {
    /// The identified name, e.g. a person's name or a known plate's owner.
    pub name: String,
    /// The recognition confidence (0..1), when Frigate sent the `[name, score]` form.
    pub score: Option<f64>,
}

impl<'de> Deserialize<'de> for SubLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SubLabelVisitor)
    }
}

/// Accepts a string or a `[name, score]` sequence.
struct SubLabelVisitor;

impl<'de> Visitor<'de> for SubLabelVisitor {
    type Value = SubLabel;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a sub label name or a [name, score] pair")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<SubLabel, E> {
        Ok(SubLabel {
            name: name.to_owned(),
            score: None,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut pair: A) -> Result<SubLabel, A::Error> {
        let name: String = pair
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let score: Option<f64> = pair.next_element::<Option<f64>>()?.flatten();
        while pair.next_element::<IgnoredAny>()?.is_some() {}
        Ok(SubLabel { name, score })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Option<SubLabel>, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn accepts_null_a_name_and_a_pair() {
        assert_eq!(parse("null").unwrap(), None);
        assert_eq!(
            parse(r#""Bob""#).unwrap(),
            Some(SubLabel {
                name: "Bob".into(),
                score: None
            })
        );
        assert_eq!(
            parse(r#"["Bob", 0.93]"#).unwrap(),
            Some(SubLabel {
                name: "Bob".into(),
                score: Some(0.93)
            })
        );
    }

    #[test]
    fn a_pair_without_score_or_with_a_null_score_has_no_score() {
        assert_eq!(
            parse(r#"["Bob"]"#).unwrap(),
            Some(SubLabel {
                name: "Bob".into(),
                score: None
            })
        );
        assert_eq!(
            parse(r#"["Bob", null]"#).unwrap(),
            Some(SubLabel {
                name: "Bob".into(),
                score: None
            })
        );
    }

    #[test]
    fn rejects_shapes_without_a_name() {
        assert_eq!(
            parse("[]").unwrap_err().to_string(),
            "invalid length 0, expected a sub label name or a [name, score] pair at line 1 column 2"
        );
        assert_eq!(
            parse("7").unwrap_err().to_string(),
            "invalid type: integer `7`, expected a sub label name or a [name, score] pair at line 1 column 1"
        );
        assert!(parse(r#"[0.93, "Bob"]"#).is_err());
    }
}
