//! A small tmpfs mounted on a test's storage folder, to fill it up or turn it read-only under
//! the running service. Mounting needs root or CAP_SYS_ADMIN; tests skip, with a message, where
//! it is not permitted.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a folder for the life of the value.
pub struct SmallDisk(PathBuf);

/// Runs `mount` with `args`; the error is its message.
fn mount(args: &[&str], dir: &Path) -> Result<(), String> {
    let output = Command::new("mount")
        .args(args)
        .arg(dir)
        .output()
        .map_err(|err| err.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes` on `dir`, or says why not.
    pub fn mount(dir: &Path, megabytes: u32) -> Result<SmallDisk, String> {
        std::fs::create_dir_all(dir).unwrap();
        mount(&["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"], dir)?;
        Ok(SmallDisk(dir.to_path_buf()))
    }

    /// Makes the file system read-only (for root too) or writable again.
    pub fn set_read_only(&self, read_only: bool) {
        let option = if read_only { "remount,ro" } else { "remount,rw" };
        mount(&["-o", option], &self.0).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
