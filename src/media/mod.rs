//! Clip media: in-process MP4 demuxing and clip metadata probing.
//!
//! - [`mp4`]: the MP4 demuxer (first video track, sample table, Annex-B samples) that
//!   feeds NVDEC without a subprocess.
//! - [`probe`]: a clip's metadata (codec, size, fps, duration, frame count,
//!   keyframes), from the demuxer or, for other containers, from ffprobe.
//! - [`probe_cache`]: the metadata-probe stage's memo of probe results.
//! - [`ffmpeg_tool`]: locating the FFmpeg command-line tools.
//! - [`child_process`]: running them: own process group, stderr drained, killed on drop.

pub mod child_process;
pub mod ffmpeg_tool;
pub mod mp4;
pub mod probe;
pub mod probe_cache;

#[cfg(test)]
pub(crate) mod test_clips;
