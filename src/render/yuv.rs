//! RGB → planar YUV 4:2:0 (BT.601, limited range), the layout the video encoder stores.
//!
//! Owns the conversion arithmetic on the CPU; the GPU kernel `rgb_to_i420` in
//! `gpu/kernels/kernels.cu` computes the same integers. Chroma is the average of each 2×2
//! block (frames have even sizes).

/// Luma of one RGB pixel: `16 + (66 R + 129 G + 25 B + 128) >> 8`.
fn luma(r: i32, g: i32, b: i32) -> u8 {
    (16 + ((66 * r + 129 * g + 25 * b + 128) >> 8)) as u8
}

/// Blue- and red-difference chroma of a (block-averaged) RGB colour.
fn chroma(r: i32, g: i32, b: i32) -> (u8, u8) {
    let u = 128 + ((-38 * r - 74 * g + 112 * b + 128) >> 8);
    let v = 128 + ((112 * r - 94 * g - 18 * b + 128) >> 8);
    (u.clamp(0, 255) as u8, v.clamp(0, 255) as u8)
}

/// Converts `rgb` (`width`×`height`, even sizes, tightly packed) into `out` as the Y
/// plane, then the U plane, then the V plane.
pub fn rgb_to_i420(rgb: &[u8], width: usize, height: usize, out: &mut Vec<u8>) {
    let (luma_len, chroma_width) = (width * height, width / 2);
    let chroma_len = chroma_width * (height / 2);
    out.clear();
    out.resize(luma_len + 2 * chroma_len, 0);
    let (y_plane, chroma_planes) = out.split_at_mut(luma_len);
    let (u_plane, v_plane) = chroma_planes.split_at_mut(chroma_len);
    for (pixel, y) in rgb.chunks_exact(3).zip(y_plane.iter_mut()) {
        *y = luma(i32::from(pixel[0]), i32::from(pixel[1]), i32::from(pixel[2]));
    }
    for block_row in 0..height / 2 {
        for block_column in 0..chroma_width {
            let mut sum = [0i32; 3];
            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let at = ((block_row * 2 + dy) * width + block_column * 2 + dx) * 3;
                for (total, value) in sum.iter_mut().zip(&rgb[at..at + 3]) {
                    *total += i32::from(*value);
                }
            }
            let (u, v) = chroma((sum[0] + 2) / 4, (sum[1] + 2) / 4, (sum[2] + 2) / 4);
            u_plane[block_row * chroma_width + block_column] = u;
            v_plane[block_row * chroma_width + block_column] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_white_and_red_have_the_studio_range_values() {
        // 2x2 frames of one colour: Y, then one U and one V.
        let convert = |rgb: [u8; 3]| {
            let mut out = Vec::new();
            rgb_to_i420(&rgb.repeat(4), 2, 2, &mut out);
            out
        };
        assert_eq!(convert([0, 0, 0]), vec![16, 16, 16, 16, 128, 128]);
        assert_eq!(convert([255, 255, 255]), vec![235, 235, 235, 235, 128, 128]);
        // Red: Y = 16 + (66*255+128)>>8 = 82, U = 128 + (-38*255+128)>>8 = 90, V = 128 + (112*255+128)>>8 = 240.
        assert_eq!(convert([255, 0, 0]), vec![82, 82, 82, 82, 90, 240]);
    }

    #[test]
    fn chroma_averages_each_two_by_two_block() {
        // Left column black, right column white: chroma of mid grey (128 → U = V = 128).
        let rgb = [[0u8; 3], [255; 3], [0; 3], [255; 3]].concat();
        let mut out = Vec::new();
        rgb_to_i420(&rgb, 2, 2, &mut out);
        assert_eq!(&out[..4], &[16, 235, 16, 235]);
        assert_eq!(&out[4..], &[128, 128]);
    }
}
