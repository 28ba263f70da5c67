//! Reading an offline CE folder laid out as `DIR/<camera>/<clip>.mp4`.
//!
//! Owns the folder conventions of `process`, `plan` and `detect`: which
//! sub-folders are cameras, which file is a camera's clip, and the wall-clock
//! start of the CE, and [`camera_dir`], the one way a camera's folder is
//! named under a CE folder. It only lists the folder; clips are probed
//! elsewhere.

use crate::flow::messages::CameraClip;
use std::path::{Path, PathBuf};

/// What was found in a CE folder.
#[derive(Debug)]
pub struct CeFolder {
    /// The folder.
    pub path: PathBuf,
    /// Cameras with a clip, sorted by name.
    pub cameras: Vec<CameraClip>,
    /// Cameras without a usable clip, with the one-line reason.
    pub missing: Vec<(String, String)>,
}

/// Why a CE folder could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CeFolderError {
    /// The folder is unreadable.
    #[error("{}: {source}", path.display())]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// No camera sub-folder at all.
    #[error("{}: no camera folders (expected DIR/<camera>/<clip>.mp4)", path.display())]
    NoCameras {
        /// The folder.
        path: PathBuf,
    },
}

/// A camera name that would not name one sub-folder of the CE folder.
#[derive(Debug, thiserror::Error)]
#[error("{}: camera name {camera:?} does not name a folder inside the CE folder", folder.display())]
pub struct CameraDirError {
    /// The CE folder.
    pub folder: PathBuf,
    /// The rejected camera name.
    pub camera: String,
}

/// `<ce_folder>/<camera>`, the folder of a camera's files, provided `camera`
/// is exactly one plain path segment (not empty, `.`, `..`, absolute, with a
/// separator or a control character), so the result stays inside the CE
/// folder whatever the name.
pub fn camera_dir(ce_folder: &Path, camera: &str) -> Result<PathBuf, CameraDirError> {
    let mut components = Path::new(camera).components();
    let single_segment = matches!(components.next(), Some(std::path::Component::Normal(_)))
        && components.next().is_none()
        && !camera.contains(['/', '\\'])
        && !camera.chars().any(char::is_control);
    if !single_segment {
        return Err(CameraDirError {
            folder: ce_folder.to_path_buf(),
            camera: camera.to_owned(),
        });
    }
    Ok(ce_folder.join(camera))
}

/// Lists the camera sub-folders of `dir` and picks each camera's clip: the
/// first `.mp4` by name that is not one of our own temporary files.
pub fn scan(dir: &Path) -> Result<CeFolder, CeFolderError> {
    let unreadable = |source| CeFolderError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut camera_dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && !is_hidden(path) && !is_output_folder(path))
        .collect();
    camera_dirs.sort();
    if camera_dirs.is_empty() {
        return Err(CeFolderError::NoCameras {
            path: dir.to_path_buf(),
        });
    }
    let mut cameras = Vec::new();
    let mut missing = Vec::new();
    for camera_dir in camera_dirs {
        let camera = camera_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match first_clip(&camera_dir) {
            Some(clip) => cameras.push(CameraClip { camera, clip }),
            None => missing.push((
                camera,
                format!("{}: camera folder has no .mp4 clip", camera_dir.display()),
            )),
        }
    }
    Ok(CeFolder {
        path: dir.to_path_buf(),
        cameras,
        missing,
    })
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Sub-folders the product itself writes into a CE folder.
fn is_output_folder(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "ai_frame_analysis")
}

fn first_clip(camera_dir: &Path) -> Option<PathBuf> {
    let mut clips: Vec<PathBuf> = std::fs::read_dir(camera_dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file() && !is_hidden(path) && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("mp4"))
        })
        .collect();
    clips.sort();
    clips.into_iter().next()
}

/// Wall-clock start of the CE: the `<start_ts>` of a `<start_ts>_<hex8>`
/// folder name, else the modification time of the oldest clip.
pub fn start_epoch(folder: &CeFolder) -> f64 {
    let name = folder
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(ts) = name
        .split('_')
        .next()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&ts| ts > 1_000_000_000)
    {
        return ts as f64;
    }
    folder
        .cameras
        .iter()
        .filter_map(|c| c.clip.metadata().and_then(|m| m.modified()).ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .fold(None, |min: Option<f64>, t| Some(min.map_or(t, |m| m.min(t))))
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn cameras_with_and_without_clips() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("b_cam")).unwrap();
        fs::write(dir.path().join("b_cam/b_cam-2.mp4"), b"x").unwrap();
        fs::write(dir.path().join("b_cam/b_cam-1.mp4"), b"x").unwrap();
        fs::write(dir.path().join("b_cam/.b_cam-0.tmp.mp4"), b"x").unwrap();
        fs::create_dir_all(dir.path().join("a_cam")).unwrap();
        fs::write(dir.path().join("a_cam/detection.json"), b"[]").unwrap();
        fs::create_dir_all(dir.path().join("ai_frame_analysis")).unwrap();
        let folder = scan(dir.path()).unwrap();
        assert_eq!(folder.cameras.len(), 1);
        assert_eq!(folder.cameras[0].camera, "b_cam");
        assert!(folder.cameras[0].clip.ends_with("b_cam-1.mp4"));
        assert_eq!(folder.missing.len(), 1);
        assert_eq!(folder.missing[0].0, "a_cam");
        assert!(folder.missing[0].1.contains("has no .mp4 clip"));
    }

    #[test]
    fn start_comes_from_the_folder_name() {
        let dir = tempfile::tempdir().unwrap();
        let ce = dir.path().join("1700000000_abcdef12");
        fs::create_dir_all(ce.join("cam")).unwrap();
        let folder = scan(&ce).unwrap();
        assert_eq!(start_epoch(&folder), 1_700_000_000.0);
    }

    #[test]
    fn a_camera_dir_is_one_folder_inside_the_ce_folder() {
        let ce = Path::new("/storage/events/1700000000_abcdef12");
        assert_eq!(camera_dir(ce, "front_door").unwrap(), ce.join("front_door"));
        assert_eq!(camera_dir(ce, "cam.v2").unwrap(), ce.join("cam.v2"));
        for camera in [
            "",
            ".",
            "..",
            "../../../x",
            "/abs/path",
            "a/b",
            "a\\b",
            "x/..",
            "./x",
            "cam\u{1b}[31m",
        ] {
            let error = camera_dir(ce, camera).unwrap_err();
            assert_eq!(error.camera, camera);
            assert!(error
                .to_string()
                .starts_with("/storage/events/1700000000_abcdef12: camera name"));
        }
    }

    #[test]
    fn empty_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(scan(dir.path()), Err(CeFolderError::NoCameras { .. })));
    }
}
