//! The video sample description (`stsd`): codec, coded size, decoder configuration.
//!
//! Owns parsing the first visual sample entry and its `avcC` (H.264) or `hvcC`
//! (HEVC) record into the parameter sets and NAL length size a decoder needs. It does
//! not read samples or rewrite bitstreams (`annexb` does that).

use super::boxes::{child_boxes, require_child, FieldReader, FourCc};
use super::Mp4ErrorKind;

const STSD: FourCc = FourCc::new(b"stsd");
const AVCC: FourCc = FourCc::new(b"avcC");
const HVCC: FourCc = FourCc::new(b"hvcC");

/// Bytes of fixed fields in a visual sample entry before its child boxes
/// (ISO/IEC 14496-12 `VisualSampleEntry`).
const VISUAL_SAMPLE_ENTRY_FIELDS: usize = 78;
/// Offset of the `width` field within a visual sample entry.
const VISUAL_SAMPLE_ENTRY_WIDTH_OFFSET: usize = 24;

/// The video codec of a track, from its sample entry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// `avc1`/`avc3`.
    H264,
    /// `hvc1`/`hev1`.
    Hevc,
    /// Any other sample entry type; the track is probed but not demuxed for NVDEC.
    Other(FourCc),
}

impl VideoCodec {
    /// Short lowercase name as FFmpeg spells it (`h264`, `hevc`), or the trimmed fourcc.
    pub fn name(&self) -> String {
        match self {
            Self::H264 => "h264".to_string(),
            Self::Hevc => "hevc".to_string(),
            Self::Other(fourcc) => fourcc.to_string().trim().to_string(),
        }
    }
}

/// What a decoder needs before the first sample: parameter sets and the NAL length size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Bytes in each sample's NAL length prefix (1, 2 or 4).
    pub nal_length_size: u8,
    /// Parameter-set NAL units without start codes, in decoder order
    /// (H.264: SPS then PPS; HEVC: the `hvcC` arrays in order, normally VPS, SPS, PPS).
    pub parameter_sets: Vec<Vec<u8>>,
}

/// The first sample entry of a video track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleEntry {
    /// Codec from the entry type.
    pub codec: VideoCodec,
    /// Coded width in pixels (0 if the entry does not say).
    pub width: u16,
    /// Coded height in pixels (0 if the entry does not say).
    pub height: u16,
    /// Present for H.264 and HEVC, whose entries must carry `avcC`/`hvcC`.
    pub decoder_config: Option<DecoderConfig>,
}

/// Parses the first sample entry of an `stsd` payload.
pub fn parse_stsd(stsd: &[u8]) -> Result<SampleEntry, Mp4ErrorKind> {
    let mut reader = FieldReader::new(STSD, stsd);
    reader.full_box_version()?;
    if reader.u32()? == 0 {
        return Err(reader.invalid("has no sample entries".to_string()));
    }
    let entries = reader.take(reader.remaining())?;
    let entry = child_boxes(entries)?
        .into_iter()
        .next()
        .ok_or_else(|| reader.invalid("entry count > 0 but no entry box".to_string()))?;
    let mut fields = FieldReader::new(entry.fourcc, entry.payload);
    fields.skip(VISUAL_SAMPLE_ENTRY_WIDTH_OFFSET)?;
    let width = fields.u16()?;
    let height = fields.u16()?;
    fields.skip(VISUAL_SAMPLE_ENTRY_FIELDS - VISUAL_SAMPLE_ENTRY_WIDTH_OFFSET - 4)?;
    let extensions = fields.take(fields.remaining())?;
    let (codec, decoder_config) = match &entry.fourcc.0 {
        b"avc1" | b"avc3" => (
            VideoCodec::H264,
            Some(parse_avcc(require_child(entry.fourcc, extensions, AVCC)?)?),
        ),
        b"hvc1" | b"hev1" => (
            VideoCodec::Hevc,
            Some(parse_hvcc(require_child(entry.fourcc, extensions, HVCC)?)?),
        ),
        _ => (VideoCodec::Other(entry.fourcc), None),
    };
    Ok(SampleEntry {
        codec,
        width,
        height,
        decoder_config,
    })
}

/// Parses an `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15 §5.3.3).
fn parse_avcc(avcc: &[u8]) -> Result<DecoderConfig, Mp4ErrorKind> {
    let mut reader = FieldReader::new(AVCC, avcc);
    reader.skip(4)?; // version, profile, compatibility, level
    let length_size_minus_one = reader.u8()? & 0b11;
    let nal_length_size = nal_length_size(&reader, length_size_minus_one)?;
    let sps_count = reader.u8()? & 0b1_1111;
    let mut parameter_sets = read_length_prefixed_units(&mut reader, usize::from(sps_count))?;
    let pps_count = reader.u8()?;
    parameter_sets.extend(read_length_prefixed_units(&mut reader, usize::from(pps_count))?);
    Ok(DecoderConfig {
        nal_length_size,
        parameter_sets,
    })
}

/// Parses an `HEVCDecoderConfigurationRecord` (ISO/IEC 14496-15 §8.3.3).
fn parse_hvcc(hvcc: &[u8]) -> Result<DecoderConfig, Mp4ErrorKind> {
    let mut reader = FieldReader::new(HVCC, hvcc);
    reader.skip(21)?; // version through avgFrameRate
    let length_size_minus_one = reader.u8()? & 0b11;
    let nal_length_size = nal_length_size(&reader, length_size_minus_one)?;
    let array_count = reader.u8()?;
    let mut parameter_sets = Vec::new();
    for _ in 0..array_count {
        reader.skip(1)?; // completeness flag and NAL unit type
        let unit_count = reader.u16()?;
        parameter_sets.extend(read_length_prefixed_units(&mut reader, usize::from(unit_count))?);
    }
    Ok(DecoderConfig {
        nal_length_size,
        parameter_sets,
    })
}

/// Converts `lengthSizeMinusOne` to a length size, rejecting the reserved value 2 (3 bytes).
fn nal_length_size(reader: &FieldReader<'_>, minus_one: u8) -> Result<u8, Mp4ErrorKind> {
    match minus_one {
        0 | 1 | 3 => Ok(minus_one + 1),
        _ => Err(reader.invalid(format!("NAL length size {} is not 1, 2 or 4", minus_one + 1))),
    }
}

/// Reads `count` NAL units, each behind a 16-bit length.
fn read_length_prefixed_units(reader: &mut FieldReader<'_>, count: usize) -> Result<Vec<Vec<u8>>, Mp4ErrorKind> {
    (0..count)
        .map(|_| {
            let len = usize::from(reader.u16()?);
            Ok(reader.take(len)?.to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::boxes::boxed;

    /// An `stsd` payload with one visual entry of the given type, size and child box.
    fn stsd_with(entry_type: &[u8; 4], width: u16, height: u16, child: &[u8]) -> Vec<u8> {
        let mut entry = vec![0u8; VISUAL_SAMPLE_ENTRY_FIELDS];
        entry[24..26].copy_from_slice(&width.to_be_bytes());
        entry[26..28].copy_from_slice(&height.to_be_bytes());
        entry.extend_from_slice(child);
        let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stsd.extend(boxed(entry_type, &entry));
        stsd
    }

    fn avcc(length_size_minus_one: u8) -> Vec<u8> {
        let mut record = vec![1, 0x64, 0, 0x1F, 0xFC | length_size_minus_one, 0xE1];
        record.extend_from_slice(&[0, 3, 0x67, 0xAA, 0xBB]); // SPS
        record.push(1);
        record.extend_from_slice(&[0, 2, 0x68, 0xCC]); // PPS
        boxed(b"avcC", &record)
    }

    #[test]
    fn avc1_entry_gives_size_and_parameter_sets() {
        let entry = parse_stsd(&stsd_with(b"avc1", 320, 240, &avcc(3))).unwrap();
        assert_eq!(entry.codec, VideoCodec::H264);
        assert_eq!((entry.width, entry.height), (320, 240));
        let config = entry.decoder_config.unwrap();
        assert_eq!(config.nal_length_size, 4);
        assert_eq!(config.parameter_sets, vec![vec![0x67, 0xAA, 0xBB], vec![0x68, 0xCC]]);
    }

    #[test]
    fn hvc1_entry_gives_arrays_in_order() {
        let mut record = vec![0u8; 21];
        record.push(0xF0 | 1); // lengthSizeMinusOne = 1
        record.push(2); // two arrays
        record.extend_from_slice(&[0x20, 0, 1, 0, 2, 0x40, 0x01]); // VPS
        record.extend_from_slice(&[0x21, 0, 1, 0, 2, 0x42, 0x01]); // SPS
        let entry = parse_stsd(&stsd_with(b"hvc1", 1920, 1080, &boxed(b"hvcC", &record))).unwrap();
        assert_eq!(entry.codec, VideoCodec::Hevc);
        let config = entry.decoder_config.unwrap();
        assert_eq!(config.nal_length_size, 2);
        assert_eq!(config.parameter_sets, vec![vec![0x40, 0x01], vec![0x42, 0x01]]);
    }

    #[test]
    fn other_codec_keeps_fourcc_and_has_no_config() {
        let entry = parse_stsd(&stsd_with(b"mp4v", 640, 480, &[])).unwrap();
        assert_eq!(entry.codec, VideoCodec::Other(FourCc::new(b"mp4v")));
        assert_eq!(entry.codec.name(), "mp4v");
        assert_eq!(entry.decoder_config, None);
    }

    #[test]
    fn avc1_without_avcc_is_an_error() {
        let err = parse_stsd(&stsd_with(b"avc1", 320, 240, &[])).unwrap_err();
        assert_eq!(err.to_string(), "box 'avc1' has no 'avcC' box");
    }

    #[test]
    fn reserved_nal_length_size_is_rejected() {
        let err = parse_stsd(&stsd_with(b"avc1", 320, 240, &avcc(2))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid 'avcC' box: NAL length size 3 is not 1, 2 or 4"
        );
    }

    #[test]
    fn parameter_set_overrunning_avcc_is_a_short_read() {
        let record = [1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0x10, 0x00, 0x67];
        let err = parse_stsd(&stsd_with(b"avc1", 1, 1, &boxed(b"avcC", &record))).unwrap_err();
        assert!(matches!(
            err,
            Mp4ErrorKind::ShortRead {
                needed: 4096,
                remaining: 1,
                ..
            }
        ));
    }
}
