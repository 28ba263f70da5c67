//! Rewriting MP4 length-prefixed samples (AVCC/HVCC) as Annex-B byte streams.
//!
//! Owns the bitstream form handed to decoders: every NAL unit behind a
//! `00 00 00 01` start code, with the track's parameter sets in front of keyframes so
//! that NVDEC (and FFmpeg's raw `h264`/`hevc` parsers) can start decoding at any
//! keyframe. Pure functions over byte slices; it does not read files.

use super::sample_entry::DecoderConfig;
use super::Mp4ErrorKind;

/// The four-byte Annex-B start code written before every NAL unit.
pub const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Appends `sample` (NAL units each behind a big-endian length of
/// `config.nal_length_size` bytes) to `out` in Annex-B form. With
/// `with_parameter_sets` (set it for keyframes) the configuration's parameter sets
/// come first. On error `out` is left as it was.
pub fn append_annexb(
    sample: &[u8],
    config: &DecoderConfig,
    with_parameter_sets: bool,
    out: &mut Vec<u8>,
) -> Result<(), Mp4ErrorKind> {
    let original_len = out.len();
    if with_parameter_sets {
        for parameter_set in &config.parameter_sets {
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(parameter_set);
        }
    }
    let result = append_nal_units(sample, usize::from(config.nal_length_size), out);
    if result.is_err() {
        out.truncate(original_len);
    }
    result
}

fn append_nal_units(sample: &[u8], length_size: usize, out: &mut Vec<u8>) -> Result<(), Mp4ErrorKind> {
    let mut position = 0;
    while position < sample.len() {
        let prefix_end = position + length_size;
        let Some(prefix) = sample.get(position..prefix_end) else {
            return Err(Mp4ErrorKind::NalOverrun {
                offset: position,
                claimed: length_size,
                remaining: sample.len() - position,
            });
        };
        let nal_len = prefix.iter().fold(0usize, |len, &byte| (len << 8) | usize::from(byte));
        let remaining = sample.len() - prefix_end;
        if nal_len > remaining {
            return Err(Mp4ErrorKind::NalOverrun {
                offset: position,
                claimed: nal_len,
                remaining,
            });
        }
        if nal_len > 0 {
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(&sample[prefix_end..prefix_end + nal_len]);
        }
        position = prefix_end + nal_len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(nal_length_size: u8) -> DecoderConfig {
        DecoderConfig {
            nal_length_size,
            parameter_sets: vec![vec![0x67, 0x64], vec![0x68, 0xEE]],
        }
    }

    #[test]
    fn keyframe_gets_parameter_sets_then_its_nal_units() {
        let sample = [0, 0, 0, 3, 0x65, 0x88, 0x84, 0, 0, 0, 1, 0x06];
        let mut out = Vec::new();
        append_annexb(&sample, &config(4), true, &mut out).unwrap();
        assert_eq!(
            out,
            vec![0, 0, 0, 1, 0x67, 0x64, 0, 0, 0, 1, 0x68, 0xEE, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0, 0, 1, 0x06]
        );
    }

    #[test]
    fn non_keyframe_has_no_parameter_sets_and_appends_after_existing_bytes() {
        let sample = [0, 2, 0x41, 0x9A];
        let mut out = vec![0xFF];
        append_annexb(&sample, &config(2), false, &mut out).unwrap();
        assert_eq!(out, vec![0xFF, 0, 0, 0, 1, 0x41, 0x9A]);
    }

    #[test]
    fn one_byte_lengths_and_empty_nal_units() {
        let sample = [0, 1, 0x41];
        let mut out = Vec::new();
        append_annexb(&sample, &config(1), false, &mut out).unwrap();
        assert_eq!(out, vec![0, 0, 0, 1, 0x41]);
    }

    #[test]
    fn nal_length_overrunning_the_sample_is_an_error_and_leaves_out_untouched() {
        let sample = [0, 0, 0, 2, 0x41, 0x9A, 0, 0, 0, 9, 0x01];
        let mut out = vec![0xAB];
        let err = append_annexb(&sample, &config(4), true, &mut out).unwrap_err();
        assert_eq!(
            err.to_string(),
            "NAL unit at byte 6 of the sample claims 9 bytes, 1 remain"
        );
        assert_eq!(out, vec![0xAB]);
    }

    #[test]
    fn partial_length_prefix_is_an_error() {
        let sample = [0, 0, 0, 1, 0x41, 0, 0];
        let err = append_annexb(&sample, &config(4), false, &mut Vec::new()).unwrap_err();
        assert!(matches!(
            err,
            Mp4ErrorKind::NalOverrun {
                offset: 5,
                claimed: 4,
                remaining: 2
            }
        ));
    }
}
