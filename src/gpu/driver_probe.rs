//! Probing for the NVIDIA driver without linking it.
//!
//! Owns the question "could a CUDA backend start here?", answered by trying
//! to load the driver libraries by name. No CUDA call is made: a missing
//! library means "CPU backend", never a failed start.

/// What was found of the NVIDIA user-space driver.
#[derive(Debug, Clone)]
pub struct DriverProbe {
    /// `libcuda.so.1` loaded.
    pub cuda: Result<(), String>,
    /// `libnvcuvid.so.1` (NVDEC) loaded.
    pub nvdec: Result<(), String>,
    /// `libnvidia-encode.so.1` (NVENC) loaded.
    pub nvenc: Result<(), String>,
}

/// Tries to load one shared library by name; the error is one line.
fn try_load(name: &str) -> Result<(), String> {
    // SAFETY: loading a driver library runs its initialisers; the NVIDIA
    // driver libraries have no initialisers with preconditions, and the
    // handle is closed immediately, before any symbol is used.
    match unsafe { libloading::Library::new(name) } {
        Ok(library) => {
            drop(library);
            Ok(())
        }
        Err(err) => Err(format!(
            "{name} not found ({})",
            err.to_string().lines().next().unwrap_or("no detail")
        )),
    }
}

/// Whether NVRTC (`libnvrtc.so`, from the CUDA toolkit), which compiles the image kernels, can
/// be loaded.
pub fn nvrtc_present() -> bool {
    // SAFETY: only probes whether the library can be loaded; no symbol is used.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// Looks for the driver libraries.
pub fn probe_driver() -> DriverProbe {
    DriverProbe {
        cuda: try_load("libcuda.so.1"),
        nvdec: try_load("libnvcuvid.so.1"),
        nvenc: try_load("libnvidia-encode.so.1"),
    }
}
