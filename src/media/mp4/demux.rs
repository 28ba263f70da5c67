//! An open MP4 clip's first video track: its description, timing and sample reads.
//!
//! Owns the file handle and walks the container (`moov/trak/mdia/minf/stbl`) once
//! at open, keeping only the video track's metadata and sample table. Afterwards it
//! reads samples by offset, raw or as Annex-B. It does not decode, and it does not
//! fall back to other demuxers (`media::probe` decides that).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::annexb::append_annexb;
use super::boxes::{child_boxes, child_headers, require_child, ChildBox, FieldReader, FourCc};
use super::sample_entry::{DecoderConfig, VideoCodec};
use super::sample_table::{Sample, SampleTable};
use super::{Mp4Error, Mp4ErrorKind};

/// Largest `moov` payload loaded into memory; real clips need well under 1 MiB per
/// hour of video, so anything larger is a lying header.
pub const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// Box types an MP4/QuickTime file may start with; anything else is not an MP4.
const LEADING_BOX_TYPES: [&[u8; 4]; 11] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"uuid", b"sidx", b"meta",
];

const MOOV: FourCc = FourCc::new(b"moov");
const TRAK: FourCc = FourCc::new(b"trak");
const MDIA: FourCc = FourCc::new(b"mdia");
const MINF: FourCc = FourCc::new(b"minf");

/// The first video track of an MP4 clip, open for sample reads.
#[derive(Debug)]
pub struct Mp4VideoTrack {
    /// The clip, named in every error.
    path: PathBuf,
    /// Open handle used for sample reads.
    file: File,
    /// Coded width in pixels (sample entry, else `tkhd`).
    width: u32,
    /// Coded height in pixels (sample entry, else `tkhd`).
    height: u32,
    /// Media timescale (`mdhd`): timestamp units per second.
    timescale: u32,
    /// Track duration in timescale units (`mdhd`, else the sum of sample durations).
    duration: u64,
    /// Sample description and per-sample records.
    table: SampleTable,
    /// Reused buffer for the raw sample behind [`Mp4VideoTrack::read_annexb`].
    raw_sample: Vec<u8>,
}

impl Mp4VideoTrack {
    /// Opens `path` and parses its first video track (handler `vide`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Mp4Error> {
        let path = path.as_ref();
        open_track(path).map_err(|kind| kind.at(path))
    }

    /// The clip this track was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Codec of the track.
    pub fn codec(&self) -> VideoCodec {
        self.table.entry.codec
    }

    /// Coded width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Coded height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Timestamp units per second.
    pub fn timescale(&self) -> u32 {
        self.timescale
    }

    /// Track duration in timescale units.
    pub fn duration(&self) -> u64 {
        self.duration
    }

    /// Track duration in seconds.
    pub fn duration_sec(&self) -> f64 {
        self.duration as f64 / f64::from(self.timescale)
    }

    /// Number of samples (frames).
    pub fn sample_count(&self) -> usize {
        self.table.samples.len()
    }

    /// Average frame rate: samples per second of track duration (0 for a zero-length track).
    pub fn fps(&self) -> f64 {
        if self.duration == 0 {
            return 0.0;
        }
        self.sample_count() as f64 / self.duration_sec()
    }

    /// Per-sample records in decode order (offset, size, timing, sync flag).
    pub fn samples(&self) -> &[Sample] {
        &self.table.samples
    }

    /// The whole sample table, for presentation-order queries.
    pub fn sample_table(&self) -> &SampleTable {
        &self.table
    }

    /// Parameter sets and NAL length size; `None` for codecs other than H.264/HEVC.
    pub fn decoder_config(&self) -> Option<&DecoderConfig> {
        self.table.entry.decoder_config.as_ref()
    }

    /// Frame indices (presentation order) of the keyframes.
    pub fn keyframe_frame_indices(&self) -> Vec<u64> {
        self.table.keyframe_frame_indices()
    }

    /// Presentation time of each sample (decode order) in seconds from the first
    /// presented frame: `(dts + ctts - first pts) / timescale`.
    pub fn presentation_times_sec(&self) -> Vec<f64> {
        let timescale = f64::from(self.timescale);
        self.table
            .relative_presentation_times()
            .into_iter()
            .map(|pts| pts as f64 / timescale)
            .collect()
    }

    /// Reads sample `index` (decode order) into `buffer`, replacing its contents.
    pub fn read_sample_into(&mut self, index: usize, buffer: &mut Vec<u8>) -> Result<(), Mp4Error> {
        let sample = *self.table.samples.get(index).ok_or_else(|| {
            Mp4ErrorKind::NoSuchSample {
                index,
                count: self.table.samples.len(),
            }
            .at(&self.path)
        })?;
        buffer.clear();
        // The size was checked at open to lie inside the file, so this is bounded.
        buffer.resize(sample.size as usize, 0);
        self.file
            .seek(SeekFrom::Start(sample.offset))
            .and_then(|_| self.file.read_exact(buffer))
            .map_err(|err| Mp4ErrorKind::Io(err).at(&self.path))
    }

    /// Reads sample `index` (decode order) into a new buffer.
    pub fn read_sample(&mut self, index: usize) -> Result<Vec<u8>, Mp4Error> {
        let mut buffer = Vec::new();
        self.read_sample_into(index, &mut buffer)?;
        Ok(buffer)
    }

    /// Reads sample `index` as an Annex-B access unit into `out` (replacing its
    /// contents), with parameter sets in front when it is a keyframe. Fails with
    /// [`Mp4ErrorKind::NoDecoderConfig`] for codecs other than H.264/HEVC.
    pub fn read_annexb(&mut self, index: usize, out: &mut Vec<u8>) -> Result<(), Mp4Error> {
        let mut raw_sample = std::mem::take(&mut self.raw_sample);
        let result = self.read_sample_into(index, &mut raw_sample).and_then(|()| {
            let config = self.table.entry.decoder_config.as_ref().ok_or_else(|| {
                Mp4ErrorKind::NoDecoderConfig {
                    codec: self.table.entry.codec.name(),
                }
                .at(&self.path)
            })?;
            out.clear();
            append_annexb(&raw_sample, config, self.table.samples[index].is_sync, out)
                .map_err(|kind| kind.at(&self.path))
        });
        self.raw_sample = raw_sample;
        result
    }
}

fn open_track(path: &Path) -> Result<Mp4VideoTrack, Mp4ErrorKind> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    if file_len == 0 {
        return Err(Mp4ErrorKind::Empty);
    }
    check_leading_box(&mut file, file_len)?;
    let top_level = child_headers(&mut file, 0..file_len)?;
    if let Some(fragment) = top_level.iter().find(|header| header.fourcc.0 == *b"moof") {
        return Err(Mp4ErrorKind::Fragmented {
            fourcc: fragment.fourcc,
        });
    }
    let moov = top_level
        .iter()
        .find(|header| header.fourcc == MOOV)
        .ok_or(Mp4ErrorKind::NoMoov)?;
    let moov_len = moov.end() - moov.payload_start();
    if moov_len > MAX_MOOV_BYTES {
        return Err(Mp4ErrorKind::MetadataTooLarge {
            fourcc: MOOV,
            size: moov_len,
            limit: MAX_MOOV_BYTES,
        });
    }
    let mut moov_payload = vec![0; moov_len as usize];
    file.seek(SeekFrom::Start(moov.payload_start()))?;
    file.read_exact(&mut moov_payload)?;

    let movie = child_boxes(&moov_payload)?;
    if let Some(extends) = movie.iter().find(|child| child.fourcc.0 == *b"mvex") {
        return Err(Mp4ErrorKind::Fragmented { fourcc: extends.fourcc });
    }
    let video_trak = find_video_trak(&movie)?.ok_or(Mp4ErrorKind::NoVideoTrack)?;
    let (tkhd_width, tkhd_height) = parse_tkhd_size(require_child(TRAK, video_trak, FourCc::new(b"tkhd"))?)?;
    let mdia = require_child(TRAK, video_trak, MDIA)?;
    let (timescale, mdhd_duration) = parse_mdhd(require_child(MDIA, mdia, FourCc::new(b"mdhd"))?)?;
    let minf = require_child(MDIA, mdia, MINF)?;
    let table = SampleTable::parse(require_child(MINF, minf, FourCc::new(b"stbl"))?, file_len)?;

    let duration = match mdhd_duration {
        0 | u64::MAX => table.total_duration(),
        known => known,
    };
    let or_tkhd = |entry: u16, tkhd: u32| if entry == 0 { tkhd } else { u32::from(entry) };
    Ok(Mp4VideoTrack {
        path: path.to_path_buf(),
        file,
        width: or_tkhd(table.entry.width, tkhd_width),
        height: or_tkhd(table.entry.height, tkhd_height),
        timescale,
        duration,
        table,
        raw_sample: Vec::new(),
    })
}

/// Rejects files whose first box type is not one an MP4 can start with.
fn check_leading_box(file: &mut File, file_len: u64) -> Result<(), Mp4ErrorKind> {
    if file_len < 8 {
        return Err(Mp4ErrorKind::NotMp4);
    }
    let mut first_header = [0u8; 8];
    file.read_exact(&mut first_header)?;
    let leading_type = &first_header[4..8];
    if LEADING_BOX_TYPES.iter().any(|known| known[..] == *leading_type) {
        Ok(())
    } else {
        Err(Mp4ErrorKind::NotMp4)
    }
}

/// The payload of the first `trak` whose handler type is `vide`.
fn find_video_trak<'a>(movie: &[ChildBox<'a>]) -> Result<Option<&'a [u8]>, Mp4ErrorKind> {
    for trak in movie.iter().filter(|child| child.fourcc == TRAK) {
        let mdia = require_child(TRAK, trak.payload, MDIA)?;
        let hdlr = FourCc::new(b"hdlr");
        let mut reader = FieldReader::new(hdlr, require_child(MDIA, mdia, hdlr)?);
        reader.full_box_version()?;
        reader.skip(4)?; // pre_defined
        if reader.take(4)? == b"vide" {
            return Ok(Some(trak.payload));
        }
    }
    Ok(None)
}

/// Width and height from `tkhd` (16.16 fixed point, integer part).
fn parse_tkhd_size(tkhd: &[u8]) -> Result<(u32, u32), Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"tkhd"), tkhd);
    let version = reader.full_box_version()?;
    // times, track id, reserved, duration; then reserved, layer, group, volume,
    // reserved and the 3x3 matrix.
    let timing_len = if version == 1 { 32 } else { 20 };
    reader.skip(timing_len + 52)?;
    Ok((reader.u32()? >> 16, reader.u32()? >> 16))
}

/// Timescale and duration from `mdhd`.
fn parse_mdhd(mdhd: &[u8]) -> Result<(u32, u64), Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"mdhd"), mdhd);
    let version = reader.full_box_version()?;
    let (timescale, duration) = if version == 1 {
        reader.skip(16)?;
        (reader.u32()?, reader.u64()?)
    } else {
        reader.skip(8)?;
        let timescale = reader.u32()?;
        let duration = match reader.u32()? {
            u32::MAX => u64::MAX,
            known => u64::from(known),
        };
        (timescale, duration)
    };
    if timescale == 0 {
        return Err(reader.invalid("timescale is 0".to_string()));
    }
    Ok((timescale, duration))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::annexb::START_CODE;
    use crate::media::test_clips::{
        copy_clip, decoded_frame_count, encoded_clip, fragmented_h264_mp4, h264_mp4, H264_GOP20,
    };

    /// First bytes of each NAL unit in an Annex-B stream written with 4-byte start codes.
    fn nal_headers(annexb: &[u8]) -> Vec<u8> {
        let mut headers = Vec::new();
        let mut position = 0;
        while let Some(found) = annexb[position..].windows(4).position(|w| w == START_CODE) {
            position += found + 4;
            headers.push(annexb[position]);
        }
        headers
    }

    fn open_err(path: &Path) -> Mp4Error {
        Mp4VideoTrack::open(path).unwrap_err()
    }

    #[test]
    fn h264_clip_metadata_matches_the_encode() {
        let track = Mp4VideoTrack::open(h264_mp4()).unwrap();
        assert_eq!(track.codec(), VideoCodec::H264);
        assert_eq!((track.width(), track.height()), (320, 240));
        assert_eq!(track.sample_count(), 60);
        assert!((track.fps() - 20.0).abs() < 0.01, "{}", track.fps());
        assert!((track.duration_sec() - 3.0).abs() < 0.05, "{}", track.duration_sec());
        assert_eq!(track.keyframe_frame_indices(), vec![0, 20, 40]);
        let sync: Vec<usize> = (0..60).filter(|&i| track.samples()[i].is_sync).collect();
        assert_eq!(sync, vec![0, 20, 40], "IDR frames are not reordered");
        let config = track.decoder_config().unwrap();
        assert_eq!(config.nal_length_size, 4);
        let mut pts = track.presentation_times_sec();
        assert_eq!(pts[0], 0.0);
        pts.sort_by(f64::total_cmp);
        for (frame, time) in pts.iter().enumerate() {
            assert!((time - frame as f64 / 20.0).abs() < 1e-6, "frame {frame} at {time}");
        }
    }

    #[test]
    fn h264_annexb_starts_with_parameter_sets_and_decodes_every_frame() {
        let mut track = Mp4VideoTrack::open(h264_mp4()).unwrap();
        let mut access_unit = Vec::new();
        track.read_annexb(0, &mut access_unit).unwrap();
        assert_eq!(access_unit[..4], START_CODE);
        let types: Vec<u8> = nal_headers(&access_unit).iter().map(|h| h & 0x1F).collect();
        assert_eq!(types[..2], [7, 8], "SPS then PPS first: {types:?}");
        assert_eq!(types.last(), Some(&5), "ends with the IDR slice: {types:?}");

        track.read_annexb(1, &mut access_unit).unwrap();
        let types: Vec<u8> = nal_headers(&access_unit).iter().map(|h| h & 0x1F).collect();
        assert!(!types.contains(&7), "no SPS on a non-keyframe: {types:?}");

        let mut stream = Vec::new();
        for index in 0..track.sample_count() {
            track.read_annexb(index, &mut access_unit).unwrap();
            stream.extend_from_slice(&access_unit);
        }
        assert_eq!(decoded_frame_count("h264", &stream), 60);
    }

    #[test]
    fn raw_sample_read_matches_the_table_and_bad_index_is_an_error() {
        let mut track = Mp4VideoTrack::open(h264_mp4()).unwrap();
        let sample = track.read_sample(5).unwrap();
        assert_eq!(sample.len(), track.samples()[5].size as usize);
        let first_nal_len = u32::from_be_bytes([sample[0], sample[1], sample[2], sample[3]]);
        assert!(first_nal_len as usize + 4 <= sample.len());
        let err = track.read_sample(60).unwrap_err();
        assert!(matches!(err.kind, Mp4ErrorKind::NoSuchSample { index: 60, count: 60 }));
    }

    #[test]
    fn hevc_clip_gives_vps_sps_pps_and_decodes() {
        let path = encoded_clip(
            "hevc.mp4",
            1,
            &["-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1"],
        );
        let mut track = Mp4VideoTrack::open(&path).unwrap();
        assert_eq!(track.codec(), VideoCodec::Hevc);
        assert_eq!((track.width(), track.height(), track.sample_count()), (320, 240, 20));
        let mut access_unit = Vec::new();
        track.read_annexb(0, &mut access_unit).unwrap();
        let types: Vec<u8> = nal_headers(&access_unit).iter().map(|h| (h >> 1) & 0x3F).collect();
        assert_eq!(types[..3], [32, 33, 34], "VPS, SPS, PPS first: {types:?}");
        let mut stream = Vec::new();
        for index in 0..track.sample_count() {
            track.read_annexb(index, &mut access_unit).unwrap();
            stream.extend_from_slice(&access_unit);
        }
        assert_eq!(decoded_frame_count("hevc", &stream), 20);
    }

    #[test]
    fn empty_file_is_reported_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.mp4");
        File::create(&path).unwrap();
        let err = open_err(&path);
        assert!(matches!(err.kind, Mp4ErrorKind::Empty));
        assert_eq!(err.to_string(), format!("clip {}: is empty (0 bytes)", path.display()));
    }

    #[test]
    fn truncated_clip_is_reported_with_the_box_that_does_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        let path = copy_clip(&h264_mp4(), dir.path(), "clip.mp4");
        let bytes = std::fs::read(&path).unwrap();
        let kept = bytes.len() * 2 / 5;
        std::fs::write(&path, &bytes[..kept]).unwrap();
        let err = open_err(&path);
        let Mp4ErrorKind::Truncated { fourcc, remaining, .. } = err.kind else {
            panic!("expected truncation, got {err}");
        };
        assert_eq!(fourcc, FourCc::new(b"mdat"));
        assert!(remaining < kept as u64);
        assert!(!err.kind.other_demuxer_may_read());
        let prefix = format!("clip {}: truncated: box 'mdat' claims ", path.display());
        assert!(err.to_string().starts_with(&prefix), "{err}");
    }

    #[test]
    fn text_file_named_mp4_is_not_an_mp4() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.mp4");
        std::fs::write(&path, "hello, this is not a video\n").unwrap();
        let err = open_err(&path);
        assert!(err.kind.other_demuxer_may_read());
        assert_eq!(
            err.to_string(),
            format!("clip {}: not an MP4 (no 'ftyp'/'moov' box)", path.display())
        );
    }

    #[test]
    fn matroska_is_not_an_mp4() {
        let path = encoded_clip("h264.mkv", 3, H264_GOP20);
        assert!(matches!(open_err(&path).kind, Mp4ErrorKind::NotMp4));
    }

    #[test]
    fn fragmented_mp4_is_left_to_another_demuxer() {
        let path = fragmented_h264_mp4();
        let err = open_err(&path);
        assert!(matches!(err.kind, Mp4ErrorKind::Fragmented { .. }), "{err}");
        assert!(err.kind.other_demuxer_may_read());
    }

    #[test]
    fn missing_file_is_a_read_error_naming_it() {
        let err = open_err(Path::new("/nonexistent/cam/clip.mp4"));
        assert!(matches!(err.kind, Mp4ErrorKind::Io(_)));
        assert!(
            err.to_string()
                .starts_with("clip /nonexistent/cam/clip.mp4: read error:"),
            "{err}"
        );
    }
}
