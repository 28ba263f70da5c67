//! Loading ONNX Runtime at run time.
//!
//! Owns the search for `libonnxruntime.so` (explicit path or `ORT_DYLIB_PATH`,
//! the project's `.ort/lib/` installed by the setup script, then the system
//! loader path) and the process-wide ONNX Runtime environment. The binary
//! never links ONNX Runtime, so it starts on machines without it.

use super::InferenceError;
use crate::shipped_files;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The loaded ONNX Runtime.
pub struct OnnxRuntime {
    /// Library file it was loaded from.
    pub path: PathBuf,
    /// Version reported by the library (`1.30.0`).
    pub version: String,
    /// The process-wide environment sessions are created in.
    pub environment: ort::environment::Environment,
}

/// The one load attempt of the process (ONNX Runtime can be loaded once).
static RUNTIME: OnceLock<Result<OnnxRuntime, String>> = OnceLock::new();

/// Candidate library paths in search order.
fn candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut list = Vec::new();
    if let Some(path) = explicit {
        list.push(path.to_path_buf());
        return list;
    }
    if let Some(bundled) = shipped_files::locate(shipped_files::BUNDLED_ONNXRUNTIME) {
        list.push(bundled);
    }
    for dir in ["/usr/local/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu"] {
        let path = Path::new(dir).join("libonnxruntime.so");
        if path.exists() {
            list.push(path);
        }
    }
    list
}

/// Loads ONNX Runtime once per process and returns it. `explicit` (from the
/// configuration or `ORT_DYLIB_PATH`) overrides the search.
pub fn load(explicit: Option<&Path>) -> Result<&'static OnnxRuntime, InferenceError> {
    let loaded = RUNTIME.get_or_init(|| {
        let candidates = candidates(explicit);
        let Some(path) = candidates.first().cloned() else {
            return Err(InferenceError::LibraryNotFound {
                searched: format!(
                    "ORT_DYLIB_PATH, {}, /usr/local/lib, /usr/lib",
                    shipped_files::BUNDLED_ONNXRUNTIME
                ),
            }
            .to_string());
        };
        if !path.exists() {
            return Err(InferenceError::LibraryLoad {
                path,
                message: "no such file".into(),
            }
            .to_string());
        }
        let builder = ort::init_from(&path).map_err(|err| {
            InferenceError::LibraryLoad {
                path: path.clone(),
                message: err.to_string(),
            }
            .to_string()
        })?;
        let environment = builder
            .with_name("frigate-buffer")
            .with_telemetry(false)
            .build()
            .map_err(|err| {
                InferenceError::LibraryLoad {
                    path: path.clone(),
                    message: err.to_string(),
                }
                .to_string()
            })?;
        Ok(OnnxRuntime {
            version: version_from_build_info(ort::info()).unwrap_or_else(|| "unknown".into()),
            path: std::fs::canonicalize(&path).unwrap_or(path),
            environment,
        })
    });
    loaded
        .as_ref()
        .map_err(|message| InferenceError::Runtime(message.clone()))
}

/// Extracts `1.30.0` from ONNX Runtime's build string (`git-branch=rel-1.30.0, ...`).
fn version_from_build_info(info: &str) -> Option<String> {
    let start = info.find("rel-")? + 4;
    let version: String = info[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_read_from_the_build_string() {
        let info = "ORT Build Info: git-branch=rel-1.30.0, git-commit-id=abc, build type=Release";
        assert_eq!(version_from_build_info(info).as_deref(), Some("1.30.0"));
        assert_eq!(version_from_build_info("no branch"), None);
    }
}
