//! Finding the files that ship beside the binary (the default model, its
//! names file, the ONNX Runtime library installed by the setup script).
//!
//! Owns the search order only: the current directory, then the folders above
//! the executable (so `target/release/frigate-buffer` finds the project root).

use std::path::{Path, PathBuf};

/// Where the default detector model ships, relative to the project root.
pub const DEFAULT_MODEL: &str = "models/nanodet_coco80_416.onnx";
/// Where the default model's class names ship.
pub const DEFAULT_NAMES: &str = "models/coco80.names";
/// sha256 of the shipped default model (see `models/README.md`).
pub const DEFAULT_MODEL_SHA256: &str = "36b267480e15b25fd4456411a087fa1a9d833ecebd36dee4d44d53d75258320d";
/// Where `scripts/install-onnxruntime.sh` puts the ONNX Runtime library.
pub const BUNDLED_ONNXRUNTIME: &str = ".ort/lib/libonnxruntime.so";

/// Returns the first existing `relative` under the current directory or an
/// ancestor of the executable's folder; `None` when nowhere.
pub fn locate(relative: &str) -> Option<PathBuf> {
    let from_cwd = Path::new(relative);
    if from_cwd.exists() {
        return Some(from_cwd.to_path_buf());
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .map(|dir| dir.join(relative))
        .find(|candidate| candidate.exists())
}
