//! The `notification.gif` preview: the first 5 s of the summary at 5 fps,
//! 480 px wide, made by FFmpeg (a [`ToolChild`]) with a generated palette, written atomically.

use crate::fs_atomic;
use crate::media::child_process::ToolChild;
use std::path::Path;
use std::process::Command;

/// Writes the preview GIF of `video` to `gif`; the error ends with FFmpeg's last lines.
pub fn write_preview_gif(ffmpeg: &Path, video: &Path, gif: &Path) -> Result<(), String> {
    let temp = fs_atomic::temp_path_for(gif);
    let mut command = Command::new(ffmpeg);
    command
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-t", "5", "-i"])
        .arg(video)
        .args([
            "-vf",
            "fps=5,scale=480:-1:flags=lanczos,split[a][b];[a]palettegen=max_colors=128[p];[b][p]paletteuse",
            "-f",
            "gif",
        ])
        .arg(&temp);
    let (exited, _) = ToolChild::output(command).map_err(|err| format!("cannot run {}: {err}", ffmpeg.display()))?;
    let result = if exited.status.success() {
        fs_atomic::commit(&temp, gif).map_err(|err| format!("{}: {err}", gif.display()))
    } else {
        Err(format!("{}: ffmpeg {}", gif.display(), exited.describe()))
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
