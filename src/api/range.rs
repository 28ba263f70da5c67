//! The HTTP `Range` header of a file request (RFC 9110 §14), reduced to the
//! single byte range a video player sends.
//!
//! Pure: takes the header text and the file length, returns which bytes to
//! send. It never touches the file.

/// Which bytes of a file of known length to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole file, status 200 (no header, or one this server ignores:
    /// malformed, several ranges, another unit).
    Whole,
    /// Bytes `first..=last`, status 206.
    Partial {
        /// First byte sent.
        first: u64,
        /// Last byte sent (inclusive).
        last: u64,
    },
    /// No byte of the range exists, status 416.
    Unsatisfiable,
}

/// Interprets a `Range` header value for a file of `len` bytes: `bytes=a-b`
/// (`b` clamped to the end), `bytes=a-`, `bytes=-n` (the last `n` bytes).
pub fn answer_range(header: &str, len: u64) -> RangeAnswer {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((start, end)) = spec.split_once('-') else {
        return RangeAnswer::Whole;
    };
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        return match parse(end) {
            None => RangeAnswer::Whole,
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if len == 0 => RangeAnswer::Unsatisfiable,
            Some(suffix) => RangeAnswer::Partial {
                first: len.saturating_sub(suffix),
                last: len - 1,
            },
        };
    }
    let Some(first) = parse(start) else {
        return RangeAnswer::Whole;
    };
    let last = if end.is_empty() {
        None
    } else {
        match parse(end) {
            Some(last) if last >= first => Some(last),
            _ => return RangeAnswer::Whole,
        }
    };
    if first >= len {
        return RangeAnswer::Unsatisfiable;
    }
    RangeAnswer::Partial {
        first,
        last: last.map_or(len - 1, |last| last.min(len - 1)),
    }
}

/// A run of ASCII digits as a number; `None` for anything else (signs,
/// spaces, empty, overflow).
fn parse(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(first: u64, last: u64) -> RangeAnswer {
        RangeAnswer::Partial { first, last }
    }

    #[test]
    fn closed_range_is_clamped_to_the_end() {
        assert_eq!(answer_range("bytes=100-199", 1000), partial(100, 199));
        assert_eq!(answer_range("bytes=900-5000", 1000), partial(900, 999));
        assert_eq!(answer_range("bytes=0-0", 1), partial(0, 0));
    }

    #[test]
    fn open_range_runs_to_the_end() {
        assert_eq!(answer_range("bytes=10-", 1000), partial(10, 999));
        assert_eq!(answer_range("bytes=0-", 1000), partial(0, 999));
    }

    #[test]
    fn suffix_range_takes_the_last_bytes() {
        assert_eq!(answer_range("bytes=-10", 1000), partial(990, 999));
        assert_eq!(answer_range("bytes=-5000", 1000), partial(0, 999));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(answer_range("bytes=1000-", 1000), RangeAnswer::Unsatisfiable);
        assert_eq!(answer_range("bytes=2000-3000", 1000), RangeAnswer::Unsatisfiable);
        assert_eq!(answer_range("bytes=-0", 1000), RangeAnswer::Unsatisfiable);
        assert_eq!(answer_range("bytes=-5", 0), RangeAnswer::Unsatisfiable);
        assert_eq!(answer_range("bytes=0-", 0), RangeAnswer::Unsatisfiable);
    }

    #[test]
    fn malformed_or_multiple_ranges_get_the_whole_file() {
        for header in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-4",
            "bytes=-",
            "bytes=a-b",
            "bytes=1",
            "bytes=+1-2",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(answer_range(header, 1000), RangeAnswer::Whole, "{header}");
        }
    }
}
