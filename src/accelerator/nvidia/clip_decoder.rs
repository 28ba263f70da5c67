//! One clip decoded by NVDEC on the GPU owner: the access units its reader thread
//! demuxes, fed one at a time to a decode session whose pictures are mapped on the
//! owner's stream.
//!
//! Owns the reader and the session and numbers pictures in display order, as the CPU
//! decoder numbers its frames. It does not choose which pictures to map: callers see
//! every displayed picture and map only those they use.

use super::access_units::AccessUnitReader;
use crate::accelerator::AcceleratorError;
use crate::gpu::cuda_context::GpuContext;
use crate::gpu::kernels::Nv12Picture;
use crate::gpu::nvdec::{DisplayedPicture, MappedFrame, NvcuvidApi, NvdecSession};
use cudarc::driver::CudaStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A clip being decoded.
pub struct GpuClipDecoder {
    /// The clip, for messages.
    clip: PathBuf,
    /// Compressed pictures from the demux thread.
    reader: AccessUnitReader,
    /// The NVDEC session.
    session: NvdecSession,
    /// Display index the next displayed picture gets.
    next_index: u64,
    /// Access units fed so far (their feed order is the timestamp NVDEC hands back).
    fed: i64,
    /// Whether the end of the stream was fed.
    ended: bool,
}

impl GpuClipDecoder {
    /// Starts decoding `clip`, mapping pictures on `stream`.
    pub fn open(
        context: &GpuContext,
        api: &Arc<NvcuvidApi>,
        stream: &Arc<CudaStream>,
        clip: &Path,
    ) -> Result<Self, AcceleratorError> {
        let decode_error = |message: String| AcceleratorError::Decode {
            clip: clip.to_path_buf(),
            message,
        };
        let mut reader = AccessUnitReader::open(clip).map_err(decode_error)?;
        let codec = reader.codec().map_err(decode_error)?;
        let session = NvdecSession::on_stream(context, Arc::clone(api), codec, Arc::clone(stream))
            .map_err(|err| decode_error(err.to_string()))?;
        Ok(Self {
            clip: clip.to_path_buf(),
            reader,
            session,
            next_index: 0,
            fed: 0,
            ended: false,
        })
    }

    /// Feeds the next access unit (or, after the last, the end of the stream) and calls
    /// `visit` with each picture that became ready for display, in display order, with
    /// its display index. Returns `false` once the clip is finished.
    pub fn pump(
        &mut self,
        visit: &mut dyn FnMut(u64, &DisplayedPicture<'_>) -> Result<(), AcceleratorError>,
    ) -> Result<bool, AcceleratorError> {
        if self.ended {
            return Ok(false);
        }
        let fed = match self
            .reader
            .next_access_unit()
            .map_err(|message| self.decode_error(message))?
        {
            Some(access_unit) => {
                self.fed += 1;
                self.session.decode(&access_unit, self.fed)
            }
            None => {
                self.ended = true;
                self.session.flush()
            }
        };
        fed.map_err(|err| self.decode_error(err.to_string()))?;
        while let Some(picture) = self.session.next_picture() {
            visit(self.next_index, &picture)?;
            self.next_index += 1;
        }
        Ok(!self.ended)
    }

    fn decode_error(&self, message: String) -> AcceleratorError {
        AcceleratorError::Decode {
            clip: self.clip.clone(),
            message,
        }
    }
}

/// Maps `picture` and describes it for the kernels; the error names `clip`.
pub fn map_picture<'p>(
    picture: &'p DisplayedPicture<'_>,
    clip: &Path,
) -> Result<(MappedFrame<'p>, Nv12Picture), AcceleratorError> {
    let frame = picture.map().map_err(|err| AcceleratorError::Decode {
        clip: clip.to_path_buf(),
        message: err.to_string(),
    })?;
    let described = frame.picture();
    Ok((frame, described))
}
