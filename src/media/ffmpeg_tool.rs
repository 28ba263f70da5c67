//! Locating the FFmpeg command-line tools.
//!
//! Owns the lookup (`FFMPEG`/`FFPROBE` environment variables, then `PATH`)
//! and the version line shown by `doctor`. Running them is [`super::child_process`]'s job.

use super::child_process::ToolChild;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Finds `tool` (`ffmpeg` or `ffprobe`): the environment variable named like
/// the tool in upper case, then the directories of `PATH`.
pub fn locate(tool: &str) -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os(tool.to_ascii_uppercase()).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(explicit));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// First line of `<tool> -version`, e.g. `ffmpeg version 5.1.6-0+deb12u1 ...`.
pub fn version_line(tool: &Path) -> Option<String> {
    let mut command = Command::new(tool);
    command.arg("-version");
    let (_, stdout) = ToolChild::output(command).ok()?;
    String::from_utf8_lossy(&stdout).lines().next().map(str::to_string)
}

/// Whether `ffmpeg` lists `encoder` (e.g. `libx264`) among its encoders.
pub fn has_encoder(ffmpeg: &Path, encoder: &str) -> bool {
    let mut command = Command::new(ffmpeg);
    command.args(["-hide_banner", "-encoders"]);
    ToolChild::output(command)
        .map(|(_, stdout)| {
            String::from_utf8_lossy(&stdout)
                .lines()
                .any(|line| line.split_whitespace().nth(1) == Some(encoder))
        })
        .unwrap_or(false)
}
