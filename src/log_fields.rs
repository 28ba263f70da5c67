//! How the human-readable log writes an event's fields: like tracing-subscriber's default
//! (`message key=value …`), with every control character (newline, carriage return, the ESC of an
//! ANSI sequence…) and every bidirectional-override character written as an escape.
//!
//! Owns that escaping, so a value from outside (an MQTT field, a file name, an error text) can
//! neither start a forged log line nor colour or rewrite the terminal; the record's own final
//! newline is the formatter's and stays. It may not choose levels, filters or the writer; the JSON
//! format needs none of this, since JSON strings escape control characters already.

use std::borrow::Cow;
use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;

/// Field formatter for `tracing_subscriber::fmt().fmt_fields(EscapingFields)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapingFields;

impl<'writer> FormatFields<'writer> for EscapingFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = EscapingVisitor {
            writer: &mut writer,
            result: Ok(()),
            first: true,
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes one record's fields, separated by spaces, escaped.
struct EscapingVisitor<'a, 'writer> {
    writer: &'a mut Writer<'writer>,
    result: fmt::Result,
    first: bool,
}

impl Visit for EscapingVisitor<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        let separator = if std::mem::take(&mut self.first) { "" } else { " " };
        let value = format!("{value:?}");
        self.result = if field.name() == "message" {
            write!(self.writer, "{separator}{}", escape_control(&value))
        } else {
            let name = field.name().trim_start_matches("r#");
            write!(self.writer, "{separator}{name}={}", escape_control(&value))
        };
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}

/// `text` with control and bidirectional-override characters escaped (`\n`, `\u{1b}`, `\u{202e}`).
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if needs_escape(character) {
            escaped.extend(character.escape_default());
        } else {
            escaped.push(character);
        }
    }
    Cow::Owned(escaped)
}

/// Control characters, and the Unicode characters that reorder the text shown after them.
fn needs_escape(character: char) -> bool {
    character.is_control() || matches!(character, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn control_characters_are_escaped_and_plain_text_is_kept() {
        assert_eq!(escape_control("front_door café"), "front_door café");
        assert_eq!(
            escape_control("cam\u{1b}[31m\nINFO forged\r\t\u{7f}\u{202e}"),
            r"cam\u{1b}[31m\nINFO forged\r\t\u{7f}\u{202e}"
        );
    }

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_record_with_hostile_fields_stays_one_uncoloured_line() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .with_target(false)
            .fmt_fields(EscapingFields)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let label = "person\nERROR forged line";
            tracing::info!(camera = %"cam\u{1b}[31m", label, "event {} seen", "id\r\n1");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            " INFO event id\\r\\n1 seen camera=cam\\u{1b}[31m label=\"person\\nERROR forged line\"\n"
        );
    }
}
