//! Synthetic grey thumbnails for the motion background model: a 320×180 textured scene
//! with a little deterministic noise, and a 40×40 box of grey level 200 that creeps 3 px
//! per frame from off-frame left. Shared by the GPU-versus-CPU mask test and the
//! `motion_background` benchmark.

use frigate_buffer::motion::mask::GreyThumbnail;

/// Thumbnail width (the default motion thumbnail width).
pub const WIDTH: u32 = 320;
/// Thumbnail height (a 16:9 frame at that width).
pub const HEIGHT: u32 = 180;

/// Frame `index` of the scene.
pub fn creeping_box_thumbnail(index: u32) -> GreyThumbnail {
    let mut rgb = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let texture = 128.0 + 60.0 * (f64::from(x) / 5.0).sin() * (f64::from(y) / 4.0).sin();
            let noise = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ index.wrapping_mul(31)) % 7;
            let left = 3 * i64::from(index) - 40;
            let in_box = (left..left + 40).contains(&i64::from(x)) && (70..110).contains(&y);
            let level = if in_box {
                200
            } else {
                (texture as u32 + noise).min(255) as u8
            };
            rgb.extend_from_slice(&[level; 3]);
        }
    }
    GreyThumbnail::from_rgb(&rgb, WIDTH, HEIGHT, WIDTH).expect("a 320x180 frame")
}
