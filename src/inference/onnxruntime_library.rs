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
        // The CUDA libraries the setup installed must be in the process before ONNX Runtime
        // looks for them by name.
        crate::runtime_libraries::preload();
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
            version: library_version(&path).unwrap_or_else(|| "unknown".into()),
            path: std::fs::canonicalize(&path).unwrap_or(path),
            environment,
        })
    });
    loaded
        .as_ref()
        .map_err(|message| InferenceError::Runtime(message.clone()))
}

/// The version the library reports through `OrtGetApiBase()->GetVersionString()`.
fn library_version(path: &Path) -> Option<String> {
    // SAFETY: the library at `path` has just been loaded by ONNX Runtime's
    // loader, so opening it again only takes another reference to the same
    // image; `OrtGetApiBase` is its documented C entry point taking no
    // arguments and returning a pointer to a static table, whose
    // `GetVersionString` returns a static NUL-terminated string.
    unsafe {
        let library = libloading::Library::new(path).ok()?;
        let get_api_base: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
            library.get(b"OrtGetApiBase").ok()?;
        let base = get_api_base();
        if base.is_null() {
            return None;
        }
        let version = ((*base).GetVersionString)();
        (!version.is_null()).then(|| std::ffi::CStr::from_ptr(version).to_string_lossy().into_owned())
    }
}
