//! The strings drawn over rendered frames: the summary video's timestamp and the AI frames'
//! timestamp with camera and position, in the machine's local time.
//!
//! Owns only formatting; it does not draw (see `text_overlay`) and reads no clock but the
//! time-zone rules.

use std::fmt::Display;

use chrono::{DateTime, Local, TimeZone};

/// `2023-11-14 10:13:20 PM`: date, 12-hour clock, AM/PM.
const DATE_TIME_FORMAT: &str = "%Y-%m-%d %I:%M:%S %p";

/// Overlay for a summary-video frame: `YYYY-MM-DD hh:mm:ss AM/PM | camera` in local time.
pub fn summary_label(epoch_seconds: f64, camera: &str) -> String {
    summary_label_in(epoch_seconds, camera, &Local)
}

/// Overlay for AI frame `position` of `total` (1-based, shown as given):
/// `YYYY-MM-DD hh:mm:ss AM/PM | camera | position/total` in local time.
pub fn ai_frame_label(epoch_seconds: f64, camera: &str, position: usize, total: usize) -> String {
    ai_frame_label_in(epoch_seconds, camera, position, total, &Local)
}

/// [`summary_label`] in the time zone `zone`.
fn summary_label_in<Tz: TimeZone>(epoch_seconds: f64, camera: &str, zone: &Tz) -> String
where
    Tz::Offset: Display,
{
    format!("{} | {camera}", date_time_in(epoch_seconds, zone))
}

/// [`ai_frame_label`] in the time zone `zone`.
fn ai_frame_label_in<Tz: TimeZone>(epoch_seconds: f64, camera: &str, position: usize, total: usize, zone: &Tz) -> String
where
    Tz::Offset: Display,
{
    format!("{} | {camera} | {position}/{total}", date_time_in(epoch_seconds, zone))
}

/// The wall-clock second containing `epoch_seconds` (fractions are dropped, not rounded, so the
/// label changes exactly on the second), or `<epoch_seconds> s` when the value is not a
/// representable date.
fn date_time_in<Tz: TimeZone>(epoch_seconds: f64, zone: &Tz) -> String
where
    Tz::Offset: Display,
{
    let whole_seconds = epoch_seconds.floor();
    let utc = if whole_seconds.is_finite() && whole_seconds.abs() < i64::MAX as f64 {
        DateTime::from_timestamp(whole_seconds as i64, 0)
    } else {
        None
    };
    match utc {
        Some(utc) => utc.with_timezone(zone).format(DATE_TIME_FORMAT).to_string(),
        None => format!("{epoch_seconds} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn summary_label_uses_twelve_hour_clock() {
        assert_eq!(
            summary_label_in(1_700_000_000.0, "cam", &utc()),
            "2023-11-14 10:13:20 PM | cam"
        );
    }

    #[test]
    fn fractional_seconds_are_truncated() {
        assert_eq!(
            summary_label_in(1_700_000_000.999, "front", &utc()),
            "2023-11-14 10:13:20 PM | front"
        );
    }

    #[test]
    fn offset_moves_the_wall_clock() {
        // UTC-5: 22:13:20 becomes 17:13:20, i.e. 05:13:20 PM.
        let new_york_winter = FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(
            summary_label_in(1_700_000_000.0, "yard", &new_york_winter),
            "2023-11-14 05:13:20 PM | yard"
        );
        // UTC+9: 07:13:20 the next morning.
        let tokyo = FixedOffset::east_opt(9 * 3600).unwrap();
        assert_eq!(
            summary_label_in(1_700_000_000.0, "yard", &tokyo),
            "2023-11-15 07:13:20 AM | yard"
        );
    }

    #[test]
    fn ai_frame_label_appends_position() {
        assert_eq!(
            ai_frame_label_in(1_700_000_000.0, "driveway", 3, 45, &utc()),
            "2023-11-14 10:13:20 PM | driveway | 3/45"
        );
    }

    #[test]
    fn unrepresentable_time_falls_back_to_seconds() {
        assert_eq!(summary_label_in(f64::NAN, "cam", &utc()), "NaN s | cam");
        // Inside i64 but past the last year chrono represents.
        assert_eq!(summary_label_in(1e15, "cam", &utc()), "1000000000000000 s | cam");
    }
}
