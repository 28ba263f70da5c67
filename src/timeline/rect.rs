//! The crop rectangle in a camera's native pixels, and the integer rules that
//! turn real-valued geometry into one.
//!
//! Owns `CropRect` (serialised as `[x, y, w, h]`), centring and clamping inside
//! a frame, linear interpolation, even side lengths and uniform down-scaling.
//! It does not decide where a crop goes or how big it is: `crop`,
//! `smoothing` and `ai_frames` do.
//!
//! The integer rules are the predecessor's, exactly (SPEC §7): sizes and
//! corners truncate toward zero (its `int(...)`), sizes then drop their lowest
//! bit, and corners are clamped inside the frame afterwards. Rounding to
//! nearest instead moves crops by up to 4 px against the predecessor's.
//! Only `lerp`, which the predecessor did per output frame in its own way,
//! rounds to nearest.

use serde::{Deserialize, Serialize};

/// A crop of a source frame, in native pixels, always inside the frame it was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "[u32; 4]", into = "[u32; 4]")]
pub struct CropRect {
    /// Left edge, pixels from the frame's left side.
    pub x: u32,
    /// Top edge, pixels from the frame's top.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

impl From<[u32; 4]> for CropRect {
    fn from([x, y, w, h]: [u32; 4]) -> Self {
        Self { x, y, w, h }
    }
}

impl From<CropRect> for [u32; 4] {
    fn from(rect: CropRect) -> Self {
        [rect.x, rect.y, rect.w, rect.h]
    }
}

impl CropRect {
    /// The rectangle of `size` (each side capped at the frame's) centred on
    /// `center` as nearly as the frame allows: the left edge is
    /// `int(cx − w/2)` (truncated) clamped to `[0, frame_w − w]`, likewise the top edge.
    pub fn centered(center: [f64; 2], size: (u32, u32), frame: (u32, u32)) -> Self {
        let w = size.0.min(frame.0);
        let h = size.1.min(frame.1);
        Self {
            x: clamped_edge(center[0], w, frame.0),
            y: clamped_edge(center[1], h, frame.1),
            w,
            h,
        }
    }

    /// Centre of the rectangle, in native pixels.
    pub fn center(&self) -> [f64; 2] {
        [
            f64::from(self.x) + f64::from(self.w) / 2.0,
            f64::from(self.y) + f64::from(self.h) / 2.0,
        ]
    }

    /// The rectangle a fraction `f` (0..=1) of the way from `self` to `end`,
    /// centre and size both linear in `f`. The four edges are interpolated
    /// (the same motion, since centre and size are linear in the edges) and
    /// each edge is rounded, so the result stays inside any frame that holds
    /// both ends, with no clamping needed.
    pub fn lerp(&self, end: &CropRect, f: f64) -> CropRect {
        let edge = |a: u32, b: u32| {
            let (a, b) = (f64::from(a), f64::from(b));
            (a + (b - a) * f).round().max(0.0) as u32
        };
        let x = edge(self.x, end.x);
        let y = edge(self.y, end.y);
        let right = edge(self.x + self.w, end.x + end.w);
        let bottom = edge(self.y + self.h, end.y + end.h);
        CropRect {
            x,
            y,
            w: right.saturating_sub(x),
            h: bottom.saturating_sub(y),
        }
    }
}

/// `int(center − len/2)` clamped so that `[edge, edge + len]` lies in
/// `[0, frame_side]`. Truncating a negative value and flooring it agree once
/// clamped at 0, so a plain truncation is the predecessor's rule.
fn clamped_edge(center: f64, len: u32, frame_side: u32) -> u32 {
    let max_edge = f64::from(frame_side.saturating_sub(len));
    (center - f64::from(len) / 2.0).trunc().clamp(0.0, max_edge) as u32
}

/// A crop side from a real length, as the predecessor made it:
/// `int(len)` (truncated) clamped to `[min_side, max_side]`, then the lowest
/// bit cleared (`& ~1`), never below 1. An odd `max_side` therefore yields at
/// most `max_side − 1`.
pub fn even_side(len: f64, min_side: u32, max_side: u32) -> u32 {
    let truncated = len.trunc().clamp(0.0, f64::from(u32::MAX)) as u32;
    let clamped = truncated.min(max_side).max(min_side);
    (clamped & !1).max(1)
}

/// `size` unchanged when it fits in `frame`; otherwise scaled down uniformly
/// by `min(frame_w / w, frame_h / h)`, each side truncated (`int(side × scale)`)
/// and capped at the frame's.
pub fn scaled_to_fit(size: (u32, u32), frame: (u32, u32)) -> (u32, u32) {
    if size.0 <= frame.0 && size.1 <= frame.1 {
        return size;
    }
    let scale = (f64::from(frame.0) / f64::from(size.0)).min(f64::from(frame.1) / f64::from(size.1));
    let side = |len: u32, cap: u32| ((f64::from(len) * scale).trunc() as u32).min(cap);
    (side(size.0, frame.0), side(size.1, frame.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_a_four_element_array() {
        let rect = CropRect {
            x: 1,
            y: 2,
            w: 30,
            h: 40,
        };
        assert_eq!(serde_json::to_string(&rect).unwrap(), "[1,2,30,40]");
        let back: CropRect = serde_json::from_str("[1,2,30,40]").unwrap();
        assert_eq!(back, rect);
    }

    #[test]
    fn centred_rect_truncates_and_clamps_at_both_edges() {
        let frame = (1920, 1080);
        // 1000.9 − 100 = 900.9 → 900; 540.5 − 50 = 490.5 → 490.
        let mid = CropRect::centered([1000.9, 540.5], (200, 100), frame);
        assert_eq!((mid.x, mid.y), (900, 490));
        let left_top = CropRect::centered([10.0, 10.0], (200, 100), frame);
        assert_eq!((left_top.x, left_top.y), (0, 0));
        let right_bottom = CropRect::centered([1915.0, 1079.0], (200, 100), frame);
        assert_eq!((right_bottom.x, right_bottom.y), (1720, 980));
        let oversize = CropRect::centered([960.0, 540.0], (4000, 4000), frame);
        assert_eq!(<[u32; 4]>::from(oversize), [0, 0, 1920, 1080]);
    }

    #[test]
    fn lerp_moves_centre_and_size_linearly() {
        let a = CropRect {
            x: 0,
            y: 0,
            w: 100,
            h: 80,
        };
        let b = CropRect {
            x: 100,
            y: 40,
            w: 200,
            h: 160,
        };
        // Halfway: centre (50,40)→(200,120) gives (125,80); size 150×120.
        let half = a.lerp(&b, 0.5);
        assert_eq!(<[u32; 4]>::from(half), [50, 20, 150, 120]);
        assert_eq!(half.center(), [125.0, 80.0]);
        assert_eq!(a.lerp(&b, 0.0), a);
        assert_eq!(a.lerp(&b, 1.0), b);
    }

    #[test]
    fn even_side_truncates_clamps_then_clears_the_lowest_bit() {
        // int(465.9) = 465 → 464; int(467.0) = 467 → 466.
        assert_eq!(even_side(465.9, 1, 1080), 464);
        assert_eq!(even_side(467.0, 1, 1080), 466);
        // Clamped to an odd maximum first: 1081 → 1080.
        assert_eq!(even_side(2000.0, 1, 1081), 1080);
        // Clamped to an odd minimum first: int(0.4 × 1921) = 768 stays 768,
        // int(0.4 × 1081) = 432; a minimum of 433 becomes 432.
        assert_eq!(even_side(100.0, 433, 1081), 432);
        assert_eq!(even_side(0.4, 1, 1080), 1);
    }

    #[test]
    fn scaled_to_fit_keeps_aspect_when_the_source_is_smaller() {
        assert_eq!(scaled_to_fit((1440, 1080), (1920, 1080)), (1440, 1080));
        // 1280×720: min(1280/1440, 720/1080) = 2/3 → 960×720.
        assert_eq!(scaled_to_fit((1440, 1080), (1280, 720)), (960, 720));
        // 1000×700: min(0.694…, 0.648…) = 0.6481 → 933.3 → 933 (truncated), 700.
        assert_eq!(scaled_to_fit((1440, 1080), (1000, 700)), (933, 700));
        // 640×480: min(0.444…, 0.444…) → 640×480.
        assert_eq!(scaled_to_fit((1440, 1080), (640, 480)), (640, 480));
    }
}
