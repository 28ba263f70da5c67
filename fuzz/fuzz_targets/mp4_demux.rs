//! The MP4 demuxer and the AVCC → Annex-B conversion: any file must open to
//! a track or a typed error, and every sample of an opened track must read
//! or fail cleanly, never panic or allocate without bound.
#![no_main]

use frigate_buffer::media::mp4::Mp4VideoTrack;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new_in("/dev/shm").expect("a temporary file");
    file.write_all(data).expect("writing the input");
    let Ok(mut track) = Mp4VideoTrack::open(file.path()) else {
        return;
    };
    let _ = (track.fps(), track.duration_sec(), track.keyframe_frame_indices());
    let mut annexb = Vec::new();
    for index in 0..track.sample_count().min(64) {
        annexb.clear();
        let _ = track.read_annexb(index, &mut annexb);
    }
});
