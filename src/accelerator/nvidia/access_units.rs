//! Reading a clip's compressed pictures off the GPU owner: a thread per clip opens the
//! MP4, demuxes it in-process and sends Annex-B access units over a bounded channel.
//!
//! Owns that thread and the channel. The owner only receives bytes ready for NVDEC, so it
//! does no file I/O, and reading the next pictures overlaps with decoding these.

use crate::gpu::nvdec::NvdecCodec;
use crate::media::mp4::Mp4VideoTrack;
use crossbeam_channel::{bounded, Receiver};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// Access units queued ahead of the decoder (a few hundred KiB at most).
const QUEUED_ACCESS_UNITS: usize = 32;

/// What the reader thread sends, in order: the codec, the access units, then nothing
/// (channel closed) or one failure.
enum ReaderItem {
    /// The track's codec, sent first.
    Codec(NvdecCodec),
    /// One picture in decode order, Annex-B with parameter sets before keyframes.
    AccessUnit(Vec<u8>),
    /// Why the clip cannot be read further.
    Failed(String),
}

/// A clip being read on its own thread.
pub struct AccessUnitReader {
    /// The clip, for messages.
    clip: PathBuf,
    /// Items from the reader thread.
    items: Receiver<ReaderItem>,
    /// The reader thread; it ends when the clip is read or the receiver is dropped.
    thread: Option<JoinHandle<()>>,
}

impl AccessUnitReader {
    /// Starts reading `clip`.
    pub fn open(clip: &Path) -> Result<Self, String> {
        let (sender, items) = bounded(QUEUED_ACCESS_UNITS);
        let path = clip.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("clip-demux".into())
            .spawn(move || {
                let mut track = match Mp4VideoTrack::open(&path) {
                    Ok(track) => track,
                    Err(err) => {
                        let _ = sender.send(ReaderItem::Failed(err.to_string()));
                        return;
                    }
                };
                let Some(codec) = NvdecCodec::from_track_codec(&track.codec()) else {
                    let message = format!("codec {} is not decoded by NVDEC", track.codec().name());
                    let _ = sender.send(ReaderItem::Failed(message));
                    return;
                };
                if sender.send(ReaderItem::Codec(codec)).is_err() {
                    return;
                }
                for index in 0..track.sample_count() {
                    let mut access_unit = Vec::new();
                    let item = match track.read_annexb(index, &mut access_unit) {
                        Ok(()) => ReaderItem::AccessUnit(access_unit),
                        Err(err) => ReaderItem::Failed(err.to_string()),
                    };
                    let failed = matches!(item, ReaderItem::Failed(_));
                    if sender.send(item).is_err() || failed {
                        return;
                    }
                }
            })
            .map_err(|err| format!("cannot start the demux thread: {err}"))?;
        Ok(Self {
            clip: clip.to_path_buf(),
            items,
            thread: Some(thread),
        })
    }

    /// The clip's codec (waits for the reader to open the file).
    pub fn codec(&mut self) -> Result<NvdecCodec, String> {
        match self.items.recv() {
            Ok(ReaderItem::Codec(codec)) => Ok(codec),
            Ok(ReaderItem::Failed(message)) => Err(message),
            Ok(ReaderItem::AccessUnit(_)) | Err(_) => Err(format!("{}: no video track header", self.clip.display())),
        }
    }

    /// The next access unit, `None` at the end of the clip.
    pub fn next_access_unit(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self.items.recv() {
            Ok(ReaderItem::AccessUnit(bytes)) => Ok(Some(bytes)),
            Ok(ReaderItem::Failed(message)) => Err(message),
            Ok(ReaderItem::Codec(_)) | Err(_) => Ok(None),
        }
    }
}

impl Drop for AccessUnitReader {
    fn drop(&mut self) {
        // Closing the channel first lets a reader blocked on a full queue finish.
        let (_, closed) = bounded(0);
        drop(std::mem::replace(&mut self.items, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::test_clips;

    #[test]
    fn reads_every_access_unit_of_an_h264_clip() {
        // One second of 20 fps.
        let clip = test_clips::encoded_clip("demux.mp4", 1, test_clips::H264_GOP20);
        let mut reader = AccessUnitReader::open(&clip).unwrap();
        assert_eq!(reader.codec().unwrap(), NvdecCodec::H264);
        let mut units = 0;
        while let Some(bytes) = reader.next_access_unit().unwrap() {
            assert_eq!(&bytes[..4], &[0, 0, 0, 1], "Annex-B start code");
            units += 1;
        }
        assert_eq!(units, 20);
    }

    #[test]
    fn an_unreadable_clip_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("broken.mp4");
        std::fs::write(&clip, b"not an mp4").unwrap();
        let mut reader = AccessUnitReader::open(&clip).unwrap();
        let message = reader.codec().unwrap_err();
        assert!(message.contains("broken.mp4"), "{message}");
    }

    #[test]
    fn dropping_early_stops_the_reader() {
        let clip = test_clips::encoded_clip("demux-long.mp4", 10, test_clips::H264_GOP20);
        let mut reader = AccessUnitReader::open(&clip).unwrap();
        reader.codec().unwrap();
        reader.next_access_unit().unwrap();
        drop(reader); // must not hang with the queue full
    }
}
