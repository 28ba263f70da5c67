//! `detect CLIP`: one clip's `detection.json`, written beside the clip.

use super::load_config;
use frigate_buffer::ce_folder::CeFolder;
use frigate_buffer::flow::messages::CameraClip;
use frigate_buffer::offline::process_folder;
use std::path::Path;

/// Runs the command.
pub fn run(clip: &Path, config: Option<&Path>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let camera_dir = clip
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let camera = camera_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "camera".into());
    // The clip's folder plays the camera folder of a one-camera CE rooted one level up.
    let root = camera_dir.join("..");
    let folder = CeFolder {
        path: root,
        cameras: vec![CameraClip {
            camera: camera.clone(),
            clip: clip.to_path_buf(),
        }],
        missing: Vec::new(),
    };
    let run = process_folder(&config, folder, false, &mut |_| {})?;
    let outcome = &run.outcome.cameras[0];
    match (&outcome.error, &outcome.sidecar) {
        (None, Some(path)) => {
            println!(
                "{}: {} sampled frames, a person in {}",
                path.display(),
                outcome.sampled_frames,
                outcome.frames_with_person
            );
            Ok(())
        }
        (Some(error), _) => anyhow::bail!("{error}"),
        (None, None) => anyhow::bail!("{}: no sidecar was written", clip.display()),
    }
}
