//! What `scripts/install-onnxruntime.sh` installed beside the binary, and loading it.
//!
//! The script records the ONNX Runtime build it chose in `.ort/BUILD` (e.g.
//! `onnxruntime-gpu 1.31.1 cuda13`) and, for a GPU build, every CUDA library that ONNX Runtime's
//! CUDA provider, the NVRTC kernels and nvJPEG need in `.ort/cuda-libraries.tsv`: one line per
//! library, `soname<TAB>file<TAB>origin`, the origin being `system` or the NVIDIA wheel it came
//! from. Loading each file once, globally, before the first CUDA library is asked for by name
//! makes every later lookup of that soname (by ONNX Runtime, cudarc, nvJPEG) find it, so no
//! `LD_LIBRARY_PATH` is needed.
//!
//! Owns reading those two files and the loading; it makes no CUDA call and may not decide a
//! backend (that is `accelerator::selection`'s business). Without the NVIDIA driver nothing is
//! loaded: the libraries would be of no use.

use crate::shipped_files;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the script records the ONNX Runtime build, relative to the project root.
pub const BUILD_FILE: &str = ".ort/BUILD";
/// Where the script lists the CUDA libraries, relative to the project root.
pub const CUDA_MANIFEST: &str = ".ort/cuda-libraries.tsv";

/// One CUDA library of the manifest.
#[derive(Debug, Clone)]
pub struct CudaLibrary {
    /// The name other libraries ask for, e.g. `libcublas.so.13`.
    pub soname: String,
    /// The file loaded.
    pub path: PathBuf,
    /// `system`, or the wheel it was installed from.
    pub origin: String,
    /// Whether it is loaded now, or why not.
    pub loaded: Result<(), String>,
}

/// What is installed and what of it is loaded.
#[derive(Debug, Default)]
pub struct RuntimeLibraries {
    /// The ONNX Runtime build the setup installed, when it recorded one.
    pub build: Option<String>,
    /// Where the manifest was read from, when there is one.
    pub manifest: Option<PathBuf>,
    /// The manifest's libraries, in its order.
    pub cuda: Vec<CudaLibrary>,
    /// Handles that keep the loaded libraries in the process.
    handles: Vec<libloading::os::unix::Library>,
}

/// The one load of the process.
static LOADED: OnceLock<RuntimeLibraries> = OnceLock::new();

/// Reads the installed build and loads the manifest's CUDA libraries, once per process; later
/// calls return the first result. Must run before ONNX Runtime or NVRTC is loaded.
pub fn preload() -> &'static RuntimeLibraries {
    LOADED.get_or_init(|| {
        let driver_present = crate::gpu::driver_probe::probe_driver().cuda.is_ok();
        load_installed(
            shipped_files::locate(BUILD_FILE).as_deref(),
            shipped_files::locate(CUDA_MANIFEST).as_deref(),
            driver_present,
        )
    })
}

/// Reads `build_file` and `manifest`; loads the manifest's libraries when `driver_present`.
fn load_installed(build_file: Option<&Path>, manifest: Option<&Path>, driver_present: bool) -> RuntimeLibraries {
    let build = build_file
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty());
    let mut libraries = RuntimeLibraries {
        build,
        manifest: manifest.map(Path::to_path_buf),
        ..RuntimeLibraries::default()
    };
    let Some(manifest) = manifest else {
        return libraries;
    };
    libraries.cuda = match std::fs::read_to_string(manifest) {
        Ok(text) => parse_manifest(&text, manifest),
        Err(err) => {
            tracing::warn!("cannot read {}: {err}", manifest.display());
            Vec::new()
        }
    };
    if driver_present {
        load_all(&mut libraries);
    } else {
        for library in libraries
            .cuda
            .iter_mut()
            .filter(|library| !library.path.as_os_str().is_empty())
        {
            library.loaded = Err("not loaded: no NVIDIA driver (libcuda.so.1)".into());
        }
    }
    libraries
}

/// The manifest's lines as libraries not yet loaded; a malformed line becomes an entry that
/// says so.
fn parse_manifest(text: &str, manifest: &Path) -> Vec<CudaLibrary> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let mut fields = line.split('\t');
            match (fields.next(), fields.next(), fields.next()) {
                (Some(soname), Some(path), Some(origin)) if !soname.is_empty() && !path.is_empty() => CudaLibrary {
                    soname: soname.to_string(),
                    path: resolve(manifest, path),
                    origin: origin.to_string(),
                    loaded: Err("not loaded yet".into()),
                },
                _ => CudaLibrary {
                    soname: format!("line {}", index + 1),
                    path: PathBuf::new(),
                    origin: String::new(),
                    loaded: Err(format!(
                        "{}:{}: not `soname<TAB>file<TAB>origin`",
                        manifest.display(),
                        index + 1
                    )),
                },
            }
        })
        .collect()
}

/// A manifest path; a relative one is taken from the folder above the manifest's (the
/// project root), so the project can move.
fn resolve(manifest: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    manifest
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| path.to_path_buf(), |root| root.join(path))
}

/// Loads every library, globally, in passes until a pass loads nothing new: a library whose
/// own dependencies come later in the list loads in a later pass.
fn load_all(libraries: &mut RuntimeLibraries) {
    let mut pending: Vec<usize> = (0..libraries.cuda.len())
        .filter(|&index| !libraries.cuda[index].path.as_os_str().is_empty())
        .collect();
    loop {
        let before = pending.len();
        pending.retain(|&index| {
            let library = &mut libraries.cuda[index];
            match open_global(&library.path) {
                Ok(handle) => {
                    libraries.handles.push(handle);
                    library.loaded = Ok(());
                    false
                }
                Err(err) => {
                    library.loaded = Err(err);
                    true
                }
            }
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    for &index in &pending {
        let library = &libraries.cuda[index];
        if let Err(err) = &library.loaded {
            tracing::warn!("CUDA library {} not loaded: {err}", library.soname);
        }
    }
}

/// Opens `path` with its symbols global, so later lookups of its soname find it.
fn open_global(path: &Path) -> Result<libloading::os::unix::Library, String> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
    // SAFETY: the file is one of NVIDIA's CUDA libraries that the setup script chose; their
    // initialisers have no preconditions on the caller, and the handle is kept for the life
    // of the process, so nothing resolved through it outlives it.
    unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) }
        .map_err(|err| err.to_string().lines().next().unwrap_or("no detail").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_build_and_each_manifest_line_are_read_and_nothing_is_loaded_without_a_driver() {
        let root = tempfile::tempdir().unwrap();
        let ort = root.path().join(".ort");
        std::fs::create_dir(&ort).unwrap();
        let build = write(&ort, "BUILD", "onnxruntime-gpu 1.31.1 cuda13\n");
        let manifest = write(
            &ort,
            "cuda-libraries.tsv",
            "libcudart.so.13\t/usr/local/cuda/lib64/libcudart.so.13.0.48\tsystem\n\
             libcudnn.so.9\t.ort/cuda/lib/libcudnn.so.9\twheel nvidia_cudnn_cu13-9.28.1.4\n\
             garbage line\n",
        );
        let libraries = load_installed(Some(&build), Some(&manifest), false);
        assert_eq!(libraries.build.as_deref(), Some("onnxruntime-gpu 1.31.1 cuda13"));
        assert_eq!(libraries.cuda.len(), 3);
        let cudart = &libraries.cuda[0];
        assert_eq!(
            (cudart.soname.as_str(), cudart.origin.as_str()),
            ("libcudart.so.13", "system")
        );
        assert_eq!(cudart.path, Path::new("/usr/local/cuda/lib64/libcudart.so.13.0.48"));
        assert_eq!(libraries.cuda[1].path, root.path().join(".ort/cuda/lib/libcudnn.so.9"));
        assert!(cudart.loaded.as_ref().unwrap_err().contains("no NVIDIA driver"));
        let garbage = libraries.cuda[2].loaded.as_ref().unwrap_err();
        assert!(garbage.contains("cuda-libraries.tsv:3"), "{garbage}");
    }

    #[test]
    fn libraries_load_in_passes_and_a_missing_file_says_why() {
        let root = tempfile::tempdir().unwrap();
        let ort = root.path().join(".ort");
        std::fs::create_dir(&ort).unwrap();
        // Two real shared libraries of the system stand in for CUDA's, and one file is absent.
        let libm = ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("libm.so.6");
        let manifest = write(
            &ort,
            "cuda-libraries.tsv",
            &format!("libabsent.so.1\t/nonexistent/libabsent.so.1\tsystem\nlibm.so.6\t{libm}\tsystem\n"),
        );
        let libraries = load_installed(None, Some(&manifest), true);
        assert!(libraries.build.is_none());
        assert!(libraries.cuda[1].loaded.is_ok(), "{:?}", libraries.cuda[1].loaded);
        let absent = libraries.cuda[0].loaded.as_ref().unwrap_err();
        assert!(absent.contains("libabsent.so.1"), "{absent}");
        assert_eq!(libraries.handles.len(), 1);
    }

    #[test]
    fn no_manifest_means_no_libraries() {
        let libraries = load_installed(None, None, true);
        assert!(libraries.build.is_none() && libraries.cuda.is_empty() && libraries.manifest.is_none());
    }
}
