//! Stand-in `ffmpeg` programs for the encoder and decoder tests: shell scripts that behave like an
//! FFmpeg whose encoder works or fails, so both outcomes are tested on machines without
//! an NVIDIA encoder.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Environment variable that makes a stand-in exit at once (the readiness probe).
const PROBE: &str = "STAND_IN_PROBE";

/// Writes an executable stand-in `ffmpeg` running `body` (sh) into `dir`, and returns once
/// it can be executed: a process another test thread forks while the file is open for
/// writing holds that descriptor until it execs, and executing the file meanwhile fails
/// with "Text file busy".
pub fn stand_in(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("ffmpeg");
    std::fs::write(&path, format!("#!/bin/sh\n[ -n \"${PROBE}\" ] && exit 0\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match Command::new(&path).env(PROBE, "1").status() {
            Ok(status) => {
                assert!(status.success(), "the stand-in's probe failed: {status}");
                return path;
            }
            Err(err) if err.raw_os_error() == Some(ETXTBSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(err) => panic!("cannot run the stand-in {}: {err}", path.display()),
        }
    }
}

/// `errno` of executing a file that is open for writing.
const ETXTBSY: i32 = 26;

/// A stand-in that records its arguments (`dir/args`, one per line) and the bytes it was
/// fed (`dir/fed`), then writes a one-byte "video" to its last argument (the output path)
/// and exits 0.
pub fn working_encoder(dir: &Path) -> PathBuf {
    let record = dir.display();
    stand_in(
        dir,
        &format!(
            "printf '%s\\n' \"$@\" > {record}/args\ncat > {record}/fed\nfor last; do :; done\nprintf x > \"$last\""
        ),
    )
}

/// A stand-in that reads its input, prints `error` as `h264_nvenc` would, and exits 187.
pub fn failing_encoder(dir: &Path, error: &str) -> PathBuf {
    stand_in(
        dir,
        &format!(
            "cat > /dev/null\necho '[h264_nvenc @ 0x5] {error}' >&2\necho 'Error while opening encoder' >&2\nexit 187"
        ),
    )
}
