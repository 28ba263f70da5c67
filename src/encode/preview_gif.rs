//! The `notification.gif` preview: the first 5 s of the summary at 5 fps,
//! 480 px wide, made by FFmpeg with a generated palette, written atomically.

use crate::fs_atomic;
use std::path::Path;
use std::process::Command;

/// Writes the preview GIF of `video` to `gif`; the error is FFmpeg's last line.
pub fn write_preview_gif(ffmpeg: &Path, video: &Path, gif: &Path) -> Result<(), String> {
    let temp = fs_atomic::temp_path_for(gif);
    let output = Command::new(ffmpeg)
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-t", "5", "-i"])
        .arg(video)
        .args([
            "-vf",
            "fps=5,scale=480:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse",
            "-f",
            "gif",
        ])
        .arg(&temp)
        .output()
        .map_err(|err| format!("cannot start {}: {err}", ffmpeg.display()))?;
    let result = if output.status.success() {
        fs_atomic::commit(&temp, gif).map_err(|err| format!("{}: {err}", gif.display()))
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!(
            "{}: ffmpeg failed: {}",
            gif.display(),
            stderr.lines().last().unwrap_or("no message")
        ))
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
