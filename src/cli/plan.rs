//! `plan DIR --json`: the summary's slices and crops from the sidecars in
//! DIR, without decoding anything.

use super::load_config;
use anyhow::Context;
use frigate_buffer::media::probe::probe_clip;
use frigate_buffer::sidecar::store::{read_sidecar, SIDECAR_FILE};
use frigate_buffer::timeline::{default_primary, plan_summary, CameraSidecar};
use std::path::Path;
use std::sync::Arc;

/// Runs the command.
pub fn run(dir: &Path, primary: Option<&str>, config: Option<&Path>) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let mut camera_dirs: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the CE folder", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(SIDECAR_FILE).is_file())
        .collect();
    camera_dirs.sort();
    if camera_dirs.is_empty() {
        anyhow::bail!("{}: no <camera>/{SIDECAR_FILE} found", dir.display());
    }
    let clips = frigate_buffer::ce_folder::scan(dir)
        .map(|f| f.cameras)
        .unwrap_or_default();
    let mut cameras = Vec::new();
    let mut window: f64 = 0.0;
    for camera_dir in camera_dirs {
        let name = camera_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sidecar = read_sidecar(&camera_dir.join(SIDECAR_FILE))?;
        let clip = clips
            .iter()
            .find(|c| c.camera == name)
            .and_then(|c| probe_clip(&c.clip).ok());
        if let Some(clip) = &clip {
            window = window.max(clip.duration_sec);
        }
        let native = match (sidecar.native_width, sidecar.native_height, &clip) {
            (w, h, _) if w > 0 && h > 0 => (w, h),
            (_, _, Some(clip)) => (clip.width, clip.height),
            _ => anyhow::bail!(
                "{}: sidecar has no native size (legacy format) and the camera has no clip to probe",
                camera_dir.join(SIDECAR_FILE).display()
            ),
        };
        cameras.push(CameraSidecar {
            name,
            sidecar: Arc::new(sidecar),
            native,
        });
    }
    let primary = match primary {
        Some(name) if cameras.iter().any(|c| c.name == name) => name.to_string(),
        Some(name) => anyhow::bail!("--primary {name}: no such camera with a sidecar in {}", dir.display()),
        None => default_primary(&cameras, &config.plan.label).unwrap_or_else(|| cameras[0].name.clone()),
    };
    let plan = plan_summary(&cameras, &primary, window, &config.plan);
    println!(
        "{}",
        serde_json::to_string_pretty(&plan).context("serialising the plan")?
    );
    Ok(())
}
