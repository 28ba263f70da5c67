//! The poster frame of a camera's clip (`<ce>/<camera>/poster.jpg`): the
//! frame of the sidecar's largest detection, so a video shows its subject
//! before it plays instead of an empty first frame.
//!
//! Owns the choice of the frame (from the parsed sidecar) and writing it: one
//! FFmpeg run on the CPU that seeks to that time and encodes a small JPEG to a
//! temporary file, committed atomically. It decodes nothing itself and is
//! never run for a camera that has Frigate's `snapshot.jpg`, the better poster.

use super::format::Sidecar;
use crate::fs_atomic::{commit, temp_path_for};
use crate::media::child_process::ToolChild;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// File name of the poster in the camera's folder.
pub const POSTER_FILE: &str = "poster.jpg";

/// Frigate's event snapshot in the camera's folder; where it exists it is the poster.
pub const SNAPSHOT_FILE: &str = "snapshot.jpg";

/// Widest poster written, in pixels (narrower clips keep their width).
const POSTER_MAX_WIDTH: u32 = 640;

/// Longest an FFmpeg run may take before it is killed.
const POSTER_TIME_LIMIT: Duration = Duration::from_secs(30);

/// Why a poster was not written.
#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    /// FFmpeg could not be started or waited for.
    #[error("{}: cannot run {}: {source}", poster.display(), ffmpeg.display())]
    Spawn {
        /// The poster that was to be written.
        poster: PathBuf,
        /// The FFmpeg binary.
        ffmpeg: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// FFmpeg failed or ran past [`POSTER_TIME_LIMIT`].
    #[error("{}: ffmpeg on {} at {at_sec:.2} s {how}", poster.display(), clip.display())]
    Ffmpeg {
        /// The poster that was to be written.
        poster: PathBuf,
        /// The clip it was cut from.
        clip: PathBuf,
        /// The seek time.
        at_sec: f64,
        /// How FFmpeg ended.
        how: String,
    },
    /// The finished JPEG could not be moved into place.
    #[error("{}: {source}", poster.display())]
    Commit {
        /// The poster that was to be written.
        poster: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}

/// The clip time (seconds) of the entry holding the sidecar's largest
/// detection, of any label; the earliest on a tie; `None` without detections.
pub fn largest_detection_time(sidecar: &Sidecar) -> Option<f64> {
    let mut best: Option<(i64, f64)> = None;
    for entry in &sidecar.entries {
        for detection in &entry.detections {
            let area = detection.area();
            if best.is_none_or(|(largest, _)| area > largest) {
                best = Some((area, entry.timestamp_sec));
            }
        }
    }
    best.map(|(_, at_sec)| at_sec)
}

/// Writes the frame of `clip` at `at_sec` as a JPEG at most
/// [`POSTER_MAX_WIDTH`] wide to `poster`, atomically.
pub fn write_poster(ffmpeg: &Path, clip: &Path, at_sec: f64, poster: &Path) -> Result<(), PosterError> {
    let temp = temp_path_for(poster);
    let mut command = Command::new(ffmpeg);
    command
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-ss"])
        .arg(format!("{:.3}", at_sec.max(0.0)))
        .arg("-i")
        .arg(clip)
        .args(["-frames:v", "1", "-vf"])
        .arg(format!("scale='min({POSTER_MAX_WIDTH},iw)':-2"))
        .args(["-q:v", "4", "-f", "image2", "-c:v", "mjpeg"])
        .arg(&temp)
        .stdout(Stdio::null());
    let failed = |how: String| PosterError::Ffmpeg {
        poster: poster.to_path_buf(),
        clip: clip.to_path_buf(),
        at_sec,
        how,
    };
    let spawn_error = |source| PosterError::Spawn {
        poster: poster.to_path_buf(),
        ffmpeg: ffmpeg.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut child = ToolChild::spawn(command).map_err(spawn_error)?;
        let exited = match child.wait_at_most(POSTER_TIME_LIMIT).map_err(spawn_error)? {
            Some(exited) => exited,
            None => {
                let _ = child.kill();
                return Err(failed(format!("ran past {} s", POSTER_TIME_LIMIT.as_secs())));
            }
        };
        if !exited.status.success() || !temp.is_file() {
            return Err(failed(exited.describe()));
        }
        commit(&temp, poster).map_err(|source| PosterError::Commit {
            poster: poster.to_path_buf(),
            source,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Gives the camera folder `camera_dir` a poster from `clip` and its parsed
/// sidecar, unless it has Frigate's snapshot or the sidecar has no detection.
/// Returns the poster written, if one was.
pub fn ensure_poster(
    ffmpeg: &Path,
    camera_dir: &Path,
    clip: &Path,
    sidecar: &Sidecar,
) -> Result<Option<PathBuf>, PosterError> {
    if camera_dir.join(SNAPSHOT_FILE).is_file() {
        return Ok(None);
    }
    let Some(at_sec) = largest_detection_time(sidecar) else {
        return Ok(None);
    };
    let poster = camera_dir.join(POSTER_FILE);
    write_poster(ffmpeg, clip, at_sec, &poster)?;
    Ok(Some(poster))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sidecar::format::{Detection, SidecarEntry};

    fn entry(t: f64, boxes: &[[f64; 4]]) -> SidecarEntry {
        SidecarEntry {
            frame_number: (t * 20.0) as u64,
            timestamp_sec: t,
            detections: boxes.iter().map(|b| Detection::new("person", 0.9, *b)).collect(),
            motion: vec![],
        }
    }

    fn sidecar(entries: Vec<SidecarEntry>) -> Sidecar {
        Sidecar {
            native_width: 320,
            native_height: 240,
            model: "test".into(),
            frame_interval: 1,
            fps: 20.0,
            entries,
        }
    }

    #[test]
    fn the_largest_single_detection_picks_the_frame() {
        let sidecar = sidecar(vec![
            entry(0.0, &[]),
            // Two small boxes (2 × 400 px²) lose to one of 900 px².
            entry(0.5, &[[0.0, 0.0, 20.0, 20.0], [40.0, 40.0, 60.0, 60.0]]),
            entry(1.0, &[[0.0, 0.0, 30.0, 30.0]]),
            entry(1.5, &[[0.0, 0.0, 30.0, 30.0]]),
        ]);
        assert_eq!(largest_detection_time(&sidecar), Some(1.0));
        assert_eq!(largest_detection_time(&self::sidecar(vec![entry(0.0, &[])])), None);
    }

    /// The frame of `clip` at `at` seconds as 640×360 RGB bytes.
    fn frame_at(ffmpeg: &Path, clip: &Path, at: &str) -> Vec<u8> {
        let output = Command::new(ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-ss", at, "-i"])
            .arg(clip)
            .args([
                "-frames:v",
                "1",
                "-vf",
                "scale=640:360",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-",
            ])
            .output()
            .unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout.len(), 640 * 360 * 3);
        output.stdout
    }

    #[test]
    fn a_poster_is_a_jpeg_of_the_chosen_frame_and_a_snapshot_wins() {
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.mp4");
        let made = Command::new(&ffmpeg)
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
            .arg("testsrc2=size=960x540:rate=10")
            .args(["-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
            .arg(&clip)
            .status()
            .unwrap();
        assert!(made.success());
        let with_person = sidecar(vec![entry(0.0, &[]), entry(1.2, &[[100.0, 100.0, 300.0, 400.0]])]);

        let written = ensure_poster(&ffmpeg, dir.path(), &clip, &with_person).unwrap();
        let poster = dir.path().join(POSTER_FILE);
        assert_eq!(written.as_deref(), Some(poster.as_path()));
        let jpeg = std::fs::read(&poster).unwrap();
        assert_eq!(&jpeg[..3], b"\xff\xd8\xff", "not a JPEG");
        let picture = image::load_from_memory(&jpeg).unwrap().to_rgb8();
        assert_eq!(picture.dimensions(), (640, 360), "scaled to 640 px wide");
        // It is the frame at 1.2 s, not the first one.
        let difference = |at: &str| {
            let frame = frame_at(&ffmpeg, &clip, at);
            let total: u64 = picture
                .as_raw()
                .iter()
                .zip(&frame)
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            total as f64 / frame.len() as f64
        };
        let (chosen, first) = (difference("1.2"), difference("0"));
        assert!(
            chosen < 6.0 && chosen * 3.0 < first,
            "mean difference {chosen} to 1.2 s, {first} to 0 s"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary file left beside the clip and the poster"
        );

        std::fs::remove_file(&poster).unwrap();
        std::fs::write(dir.path().join(SNAPSHOT_FILE), b"\xff\xd8\xff").unwrap();
        assert_eq!(ensure_poster(&ffmpeg, dir.path(), &clip, &with_person).unwrap(), None);
        assert!(!poster.exists(), "a camera with a snapshot gets no poster");
    }

    #[test]
    fn a_failed_extraction_names_the_poster_and_leaves_nothing() {
        let ffmpeg = crate::media::ffmpeg_tool::locate("ffmpeg").expect("ffmpeg is installed where the tests run");
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("broken.mp4");
        std::fs::write(&clip, b"not a video").unwrap();
        let poster = dir.path().join(POSTER_FILE);
        let error = write_poster(&ffmpeg, &clip, 1.0, &poster).unwrap_err().to_string();
        assert!(error.contains("poster.jpg") && error.contains("broken.mp4"), "{error}");
        assert!(!error.contains('\n'), "one line: {error}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
