//! Motion boxes from a motion mask: external contours, scaled to native pixels.
//!
//! Owns the step from a [`MotionMask`] to the sidecar's `motion` boxes: the
//! outer borders of the moving blobs (holes and blobs inside holes are not
//! separate boxes), their bounding rectangles in native pixels, and the
//! minimum-area filter. It runs on the CPU writer thread and does no I/O.

use std::cmp::Reverse;

use imageproc::contours::{find_contours, BorderType};
use imageproc::image::{GrayImage, Luma};

use crate::motion::mask::MotionMask;
use crate::sidecar::format::MotionBox;

/// Smallest kept blob, as a fraction of the native frame area (0.5%).
pub const DEFAULT_MIN_AREA_FRACTION: f64 = 0.005;

/// Bounding boxes of the mask's external contours in native pixels
/// (`native_width × native_height`), keeping those whose area is at least
/// `min_area_fraction` of the frame, largest first (ties keep scan order).
pub fn motion_boxes(
    mask: &MotionMask,
    native_width: u32,
    native_height: u32,
    min_area_fraction: f64,
) -> Vec<MotionBox> {
    let scale_x = f64::from(native_width) / f64::from(mask.width());
    let scale_y = f64::from(native_height) / f64::from(mask.height());
    let min_area = min_area_fraction * f64::from(native_width) * f64::from(native_height);
    let mut boxes: Vec<MotionBox> = find_contours::<u32>(&bordered_image(mask))
        .into_iter()
        .filter(|contour| contour.parent.is_none() && contour.border_type == BorderType::Outer)
        .filter_map(|contour| {
            let xs = contour.points.iter().map(|p| p.x);
            let ys = contour.points.iter().map(|p| p.y);
            // The image has a 1 px border, so point `p` is mask pixel `p - 1`;
            // the rectangle's far edge is one past the last pixel.
            let (x0, x1) = (xs.clone().min()? - 1, xs.max()?);
            let (y0, y1) = (ys.clone().min()? - 1, ys.max()?);
            let bbox = [
                f64::from(x0) * scale_x,
                f64::from(y0) * scale_y,
                f64::from(x1) * scale_x,
                f64::from(y1) * scale_y,
            ]
            .map(round_to_hundredths);
            Some(MotionBox::new(bbox))
        })
        .filter(|motion| (motion.bbox[2] - motion.bbox[0]) * (motion.bbox[3] - motion.bbox[1]) >= min_area)
        .collect();
    boxes.sort_by_key(|motion| Reverse(motion.area));
    boxes
}

/// The mask as a 0/255 image with a 1 px empty border: `find_contours` only
/// starts an outer border at a pixel whose left neighbour is background, so
/// blobs touching the left edge need the margin.
fn bordered_image(mask: &MotionMask) -> GrayImage {
    GrayImage::from_fn(mask.width() + 2, mask.height() + 2, |x, y| {
        let moved = x > 0 && y > 0 && mask.get(x - 1, y - 1);
        Luma([if moved { 255 } else { 0 }])
    })
}

fn round_to_hundredths(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width × height` mask with the given `(x, y, w, h)` rectangles set,
    /// minus the `holes` rectangles.
    fn mask(width: u32, height: u32, blobs: &[(u32, u32, u32, u32)], holes: &[(u32, u32, u32, u32)]) -> MotionMask {
        let inside = |(x, y): (u32, u32), &(rx, ry, rw, rh): &(u32, u32, u32, u32)| {
            (rx..rx + rw).contains(&x) && (ry..ry + rh).contains(&y)
        };
        let stride = width.div_ceil(8) as usize;
        let mut bits = vec![0u8; stride * height as usize];
        for y in 0..height {
            for x in 0..width {
                let set = blobs.iter().any(|r| inside((x, y), r)) && !holes.iter().any(|r| inside((x, y), r));
                if set {
                    bits[y as usize * stride + x as usize / 8] |= 1 << (x % 8);
                }
            }
        }
        MotionMask::from_bits(width, height, bits).unwrap()
    }

    #[test]
    fn one_blob_is_kept_and_a_speck_is_not() {
        // 320x180 mask of a 1920x1080 frame: 6 native px per mask px.
        let mask = mask(320, 180, &[(100, 50, 40, 30), (10, 10, 2, 2)], &[]);
        let boxes = motion_boxes(&mask, 1920, 1080, DEFAULT_MIN_AREA_FRACTION);
        // 240 x 180 native = 43200 >= 0.005 x 2073600 = 10368; the speck is 12 x 12 = 144.
        assert_eq!(boxes, vec![MotionBox::new([600.0, 300.0, 840.0, 480.0])]);
        assert_eq!(boxes[0].area, 43_200);
    }

    #[test]
    fn empty_mask_has_no_boxes() {
        let mask = mask(320, 180, &[], &[]);
        assert!(motion_boxes(&mask, 1920, 1080, DEFAULT_MIN_AREA_FRACTION).is_empty());
    }

    #[test]
    fn a_ring_is_one_box_and_a_blob_in_its_hole_is_not_another() {
        let mask = mask(320, 180, &[(50, 40, 60, 60), (75, 65, 10, 10)], &[(60, 50, 40, 40)]);
        let boxes = motion_boxes(&mask, 1920, 1080, 0.0);
        assert_eq!(boxes, vec![MotionBox::new([300.0, 240.0, 660.0, 600.0])]);
    }

    #[test]
    fn blobs_on_the_edges_are_found_and_sorted_by_area() {
        // One blob in the top-left corner, a larger one in the bottom-right corner.
        let mask = mask(16, 8, &[(0, 0, 3, 2), (10, 4, 6, 4)], &[]);
        let boxes = motion_boxes(&mask, 160, 80, 0.0);
        assert_eq!(
            boxes,
            vec![
                MotionBox::new([100.0, 40.0, 160.0, 80.0]),
                MotionBox::new([0.0, 0.0, 30.0, 20.0])
            ]
        );
    }

    #[test]
    fn non_integer_scales_are_rounded() {
        // 3 mask px over 1000 native px: 333.33... per px.
        let mask = mask(3, 3, &[(1, 1, 1, 1)], &[]);
        let boxes = motion_boxes(&mask, 1000, 1000, 0.0);
        assert_eq!(boxes[0].bbox, [333.33, 333.33, 666.67, 666.67]);
        assert_eq!(boxes[0].area, 111_115);
    }
}
