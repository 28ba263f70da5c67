//! In-process MP4 (ISO-BMFF) demuxing of a clip's first video track.
//!
//! Owns reading the container: box headers ([`boxes`]), the video sample entry and
//! its decoder configuration ([`sample_entry`]), the per-sample table
//! ([`sample_table`]), the track as a whole with sample reads ([`demux`]), and the
//! AVCC/HVCC → Annex-B rewrite that NVDEC and FFmpeg's raw parsers accept
//! ([`annexb`]). It does not decode pixels, choose a backend, or run subprocesses;
//! probing with a fallback to ffprobe lives in `media::probe`.
//!
//! Only ordinary (non-fragmented) MP4 files are read; fragmented ones are reported
//! as [`Mp4ErrorKind::Fragmented`] so the caller can hand them to another demuxer.
//! Every size read from the file is checked against the bytes that really exist, so a
//! truncated or lying file gives an [`Mp4Error`], never a panic or a huge allocation.

pub mod annexb;
pub mod boxes;
pub mod demux;
pub mod sample_entry;
pub mod sample_table;

use std::path::{Path, PathBuf};

pub use annexb::append_annexb;
pub use boxes::FourCc;
pub use demux::Mp4VideoTrack;
pub use sample_entry::{DecoderConfig, SampleEntry, VideoCodec};
pub use sample_table::{Sample, SampleTable};

/// A failure to read a clip as MP4, naming the clip.
#[derive(Debug, thiserror::Error)]
#[error("clip {}: {kind}", path.display())]
pub struct Mp4Error {
    /// The clip at fault, so the message alone tells the operator which file to look at.
    pub path: PathBuf,
    /// What is wrong with it; callers match on this to decide whether to fall back.
    pub kind: Mp4ErrorKind,
}

/// What is wrong with an MP4 file, without the file name (pure parsers do not know it).
#[derive(Debug, thiserror::Error)]
pub enum Mp4ErrorKind {
    /// The file has no bytes at all (a download that never started).
    #[error("is empty (0 bytes)")]
    Empty,
    /// The file does not start like an ISO-BMFF container.
    #[error("not an MP4 (no 'ftyp'/'moov' box)")]
    NotMp4,
    /// A box claims more bytes than its enclosing region (or the file) holds.
    #[error("truncated: box '{fourcc}' claims {claimed} bytes, {remaining} remain")]
    Truncated {
        /// Type of the box whose size does not fit.
        fourcc: FourCc,
        /// Size the box header claims, header included.
        claimed: u64,
        /// Bytes actually left from the box start to the end of its region.
        remaining: u64,
    },
    /// A fixed-size field or header runs past the end of the bytes that hold it.
    #[error("truncated: {what} needs {needed} bytes, {remaining} remain")]
    ShortRead {
        /// Which structure was being read (`box header`, `'stsz' payload`, ...).
        what: String,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes that were left.
        remaining: u64,
    },
    /// A box header claims a size smaller than the header itself.
    #[error("box '{fourcc}' claims {claimed} bytes, less than its own {header_len}-byte header")]
    BoxSmallerThanHeader {
        /// Type of the offending box.
        fourcc: FourCc,
        /// Size the header claims.
        claimed: u64,
        /// Length of the header (8 or 16 bytes).
        header_len: u64,
    },
    /// A metadata box is too large to load into memory safely.
    #[error("box '{fourcc}' is {size} bytes, over the {limit}-byte limit for metadata")]
    MetadataTooLarge {
        /// Type of the oversized box.
        fourcc: FourCc,
        /// Its claimed payload size.
        size: u64,
        /// The largest payload this reader will load.
        limit: u64,
    },
    /// The container has media data but no movie box (a recording that was never finalised).
    #[error("has no 'moov' box (recording not finalised?)")]
    NoMoov,
    /// Fragmented MP4 (`moof`/`mvex`); another demuxer has to read it.
    #[error("is a fragmented MP4 ('{fourcc}' box), which the in-process demuxer does not read")]
    Fragmented {
        /// The box that revealed the fragmented layout.
        fourcc: FourCc,
    },
    /// No track has handler type `vide`.
    #[error("has no video track")]
    NoVideoTrack,
    /// A box required by the format is missing from its parent.
    #[error("box '{parent}' has no '{child}' box")]
    MissingBox {
        /// The box that should contain `child`.
        parent: FourCc,
        /// The missing box.
        child: FourCc,
    },
    /// A box's contents contradict the format or each other.
    #[error("invalid '{fourcc}' box: {detail}")]
    InvalidBox {
        /// The box whose contents are wrong.
        fourcc: FourCc,
        /// What is wrong, in words, with the numbers involved.
        detail: String,
    },
    /// A sample's byte range lies (partly) outside the file.
    #[error("sample {index} at byte {offset} ({size} bytes) runs past the end of the file ({file_len} bytes)")]
    SampleOutsideFile {
        /// Decode-order index of the sample.
        index: usize,
        /// File offset the sample table gives.
        offset: u64,
        /// Sample size the table gives.
        size: u32,
        /// Actual file length.
        file_len: u64,
    },
    /// A caller asked for a sample the track does not have.
    #[error("sample {index} requested, the track has {count}")]
    NoSuchSample {
        /// The requested decode-order index.
        index: usize,
        /// Number of samples in the track.
        count: usize,
    },
    /// A length-prefixed NAL unit claims more bytes than the sample holds.
    #[error("NAL unit at byte {offset} of the sample claims {claimed} bytes, {remaining} remain")]
    NalOverrun {
        /// Offset of the NAL's length prefix within the sample.
        offset: usize,
        /// Length the prefix claims.
        claimed: usize,
        /// Bytes left in the sample after the prefix.
        remaining: usize,
    },
    /// Annex-B output was asked of a codec that has no length-prefixed NAL form here.
    #[error("codec '{codec}' has no Annex-B form")]
    NoDecoderConfig {
        /// Name of the track's codec.
        codec: String,
    },
    /// The operating system failed to read the file.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
}

impl Mp4ErrorKind {
    /// Attaches the clip path, giving the error callers see.
    pub fn at(self, path: &Path) -> Mp4Error {
        Mp4Error {
            path: path.to_path_buf(),
            kind: self,
        }
    }

    /// True when the file is some container this demuxer does not read (not an MP4
    /// at all, or a fragmented one), so another demuxer may succeed. False for
    /// damaged MP4s (empty, truncated, inconsistent), which no demuxer can rescue.
    pub fn other_demuxer_may_read(&self) -> bool {
        matches!(self, Self::NotMp4 | Self::Fragmented { .. })
    }
}
