//! `scripts/install-onnxruntime.sh`'s choices, with stand-ins: a stand-in NVIDIA driver (a
//! `libcuda.so.1` built here whose `cuDriverGetVersion` answers a chosen CUDA version), a folder
//! of stand-in wheels (the offline mode), and a stand-in CUDA toolkit folder. Checked: which
//! ONNX Runtime build is installed for which driver, which CUDA libraries come from the system
//! and which from which wheel, and that NVRTC is never newer than the driver.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A wheel at `dir/file_name` holding `members` (each a file with a few bytes).
fn wheel(dir: &Path, file_name: &str, members: &[&str]) {
    let file = std::fs::File::create(dir.join(file_name)).unwrap();
    let mut zip = zip_writer::ZipWriter::new(file);
    for member in members {
        zip.add(member, format!("stand-in for {member}").as_bytes());
    }
    zip.finish();
}

/// A minimal stored (uncompressed) ZIP writer, enough for stand-in wheels.
mod zip_writer {
    use std::io::Write;

    /// CRC-32 (IEEE) of `data`.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    pub struct ZipWriter<W: Write> {
        out: W,
        offset: u32,
        central: Vec<u8>,
        entries: u16,
    }

    impl<W: Write> ZipWriter<W> {
        pub fn new(out: W) -> Self {
            Self {
                out,
                offset: 0,
                central: Vec::new(),
                entries: 0,
            }
        }

        pub fn add(&mut self, name: &str, data: &[u8]) {
            let crc = crc32(data);
            let size = data.len() as u32;
            let mut local = Vec::new();
            local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            local.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            local.extend_from_slice(&crc.to_le_bytes());
            local.extend_from_slice(&size.to_le_bytes());
            local.extend_from_slice(&size.to_le_bytes());
            local.extend_from_slice(&(name.len() as u16).to_le_bytes());
            local.extend_from_slice(&0u16.to_le_bytes());
            local.extend_from_slice(name.as_bytes());
            self.out.write_all(&local).unwrap();
            self.out.write_all(data).unwrap();

            self.central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            self.central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            self.central.extend_from_slice(&crc.to_le_bytes());
            self.central.extend_from_slice(&size.to_le_bytes());
            self.central.extend_from_slice(&size.to_le_bytes());
            self.central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            self.central.extend_from_slice(&[0; 8]);
            self.central.extend_from_slice(&0u32.to_le_bytes());
            self.central.extend_from_slice(&self.offset.to_le_bytes());
            self.central.extend_from_slice(name.as_bytes());
            self.offset += local.len() as u32 + size;
            self.entries += 1;
        }

        pub fn finish(mut self) {
            self.out.write_all(&self.central).unwrap();
            let mut end = Vec::new();
            end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
            end.extend_from_slice(&[0; 4]);
            end.extend_from_slice(&self.entries.to_le_bytes());
            end.extend_from_slice(&self.entries.to_le_bytes());
            end.extend_from_slice(&(self.central.len() as u32).to_le_bytes());
            end.extend_from_slice(&self.offset.to_le_bytes());
            end.extend_from_slice(&0u16.to_le_bytes());
            self.out.write_all(&end).unwrap();
        }
    }
}

/// Builds a stand-in `libcuda.so.1` in `dir` whose `cuDriverGetVersion` answers `version`.
fn stand_in_driver(dir: &Path, version: u32) {
    let source = dir.join("libcuda.c");
    let mut file = std::fs::File::create(&source).unwrap();
    writeln!(file, "int cuDriverGetVersion(int *v) {{ *v = {version}; return 0; }}").unwrap();
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(dir.join("libcuda.so.1"))
        .arg(&source)
        .status()
        .expect("a C compiler (scripts/setup.sh installs build-essential)");
    assert!(status.success());
}

/// The stand-in wheels of both CUDA majors, and a newer NVRTC that must not be picked for a
/// CUDA 13.0 driver.
fn stand_in_wheels(dir: &Path) {
    let tag = "py3-none-manylinux_2_27_x86_64.whl";
    wheel(
        dir,
        "onnxruntime-1.30.0-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        &[
            "onnxruntime/capi/libonnxruntime.so.1.30.0",
            "onnxruntime/capi/libonnxruntime_providers_shared.so",
        ],
    );
    for version in ["1.31.1", "1.26.0"] {
        wheel(
            dir,
            &format!("onnxruntime_gpu-{version}-cp312-cp312-manylinux_2_28_x86_64.whl"),
            &[
                &format!("onnxruntime/capi/libonnxruntime.so.{version}"),
                "onnxruntime/capi/libonnxruntime_providers_shared.so",
                "onnxruntime/capi/libonnxruntime_providers_cuda.so",
                "onnxruntime/capi/onnxruntime_pybind11_state.so",
            ],
        );
    }
    let nvidia: &[(&str, &[&str])] = &[
        ("nvidia_cuda_runtime-13.0.96", &["nvidia/cu13/lib/libcudart.so.13"]),
        (
            "nvidia_cublas-13.1.0.3",
            &[
                "nvidia/cu13/lib/libcublas.so.13",
                "nvidia/cu13/lib/libcublasLt.so.13",
                "nvidia/cu13/lib/libnvblas.so.13",
            ],
        ),
        ("nvidia_curand-10.4.0.35", &["nvidia/cu13/lib/libcurand.so.10"]),
        (
            "nvidia_cufft-12.0.0.61",
            &["nvidia/cu13/lib/libcufft.so.12", "nvidia/cu13/lib/libcufftw.so.12"],
        ),
        (
            "nvidia_cuda_nvrtc-13.0.88",
            &[
                "nvidia/cu13/lib/libnvrtc.so.13",
                "nvidia/cu13/lib/libnvrtc-builtins.so.13.0",
            ],
        ),
        (
            "nvidia_cuda_nvrtc-13.5.37",
            &[
                "nvidia/cu13/lib/libnvrtc.so.13",
                "nvidia/cu13/lib/libnvrtc-builtins.so.13.5",
            ],
        ),
        (
            "nvidia_cudnn_cu13-9.28.1.4",
            &["nvidia/cudnn/lib/libcudnn.so.9", "nvidia/cudnn/lib/libcudnn_ops.so.9"],
        ),
        ("nvidia_nvjpeg-13.0.1.86", &["nvidia/cu13/lib/libnvjpeg.so.13"]),
        (
            "nvidia_cuda_runtime_cu12-12.9.79",
            &["nvidia/cuda_runtime/lib/libcudart.so.12"],
        ),
        (
            "nvidia_cublas_cu12-12.9.3.13",
            &[
                "nvidia/cublas/lib/libcublas.so.12",
                "nvidia/cublas/lib/libcublasLt.so.12",
            ],
        ),
        ("nvidia_curand_cu12-10.3.10.19", &["nvidia/curand/lib/libcurand.so.10"]),
        ("nvidia_cufft_cu12-11.4.1.4", &["nvidia/cufft/lib/libcufft.so.11"]),
        (
            "nvidia_cuda_nvrtc_cu12-12.4.127",
            &[
                "nvidia/cuda_nvrtc/lib/libnvrtc.so.12",
                "nvidia/cuda_nvrtc/lib/libnvrtc-builtins.so.12.4",
            ],
        ),
        ("nvidia_cudnn_cu12-9.28.0.42", &["nvidia/cudnn/lib/libcudnn.so.9"]),
        ("nvidia_nvjpeg_cu12-12.4.0.76", &["nvidia/nvjpeg/lib/libnvjpeg.so.12"]),
    ];
    for (name, members) in nvidia {
        wheel(dir, &format!("{name}-{tag}"), members);
    }
}

/// What one run of the script left: its output, `.ort/BUILD`, and the manifest as
/// soname → (file, origin).
struct Installed {
    output: String,
    build: String,
    libraries: BTreeMap<String, (String, String)>,
    project: tempfile::TempDir,
}

/// Runs the script of a copy of the project's `scripts/` with the stand-in driver answering
/// `driver` (none: no driver) and `extra` arguments, offline from the stand-in wheels, with
/// `system_cuda` as the system's CUDA toolkit folder.
fn install(driver: Option<u32>, extra: &[&str], system_cuda: &[&str]) -> Installed {
    let project = tempfile::tempdir().unwrap();
    let scripts = project.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    std::fs::copy(
        common::root().join("scripts/install-onnxruntime.sh"),
        scripts.join("install-onnxruntime.sh"),
    )
    .unwrap();
    let wheels = project.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    stand_in_wheels(&wheels);
    let driver_dir = project.path().join("driver");
    std::fs::create_dir(&driver_dir).unwrap();
    if let Some(version) = driver {
        stand_in_driver(&driver_dir, version);
    }
    let cuda_home = project.path().join("cuda");
    std::fs::create_dir_all(cuda_home.join("lib64")).unwrap();
    for library in system_cuda {
        std::fs::write(cuda_home.join("lib64").join(library), b"system library").unwrap();
    }
    let output = Command::new("bash")
        .arg(scripts.join("install-onnxruntime.sh"))
        .arg("--wheels")
        .arg(&wheels)
        .args(extra)
        .env("LD_LIBRARY_PATH", &driver_dir)
        .env("CUDA_HOME", &cuda_home)
        .env_remove("FRIGATE_BUFFER_ONNXRUNTIME")
        .env_remove("FRIGATE_BUFFER_CUDA")
        .env_remove("FRIGATE_BUFFER_WHEELS")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    let ort = project.path().join(".ort");
    let build = std::fs::read_to_string(ort.join("BUILD")).unwrap().trim().to_string();
    let libraries = std::fs::read_to_string(ort.join("cuda-libraries.tsv"))
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (fields[0].to_string(), (fields[1].to_string(), fields[2].to_string()))
        })
        .collect();
    Installed {
        output: text,
        build,
        libraries,
        project,
    }
}

/// Whether this machine's loader already knows CUDA libraries (then the "missing" cases cannot
/// be staged with stand-ins).
fn system_has_cuda_libraries() -> bool {
    Command::new("/sbin/ldconfig")
        .arg("-p")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("libcudart.so"))
}

#[test]
fn a_cuda_13_driver_gets_the_cuda_13_build_and_only_the_missing_libraries_from_wheels() {
    if system_has_cuda_libraries() {
        eprintln!("skipped: this machine has CUDA libraries on the loader's path");
        return;
    }
    let installed = install(Some(13000), &[], &["libcudart.so.13", "libcufft.so.12"]);
    assert_eq!(installed.build, "onnxruntime-gpu 1.31.1 cuda13", "{}", installed.output);
    let lib = installed.project.path().join(".ort/lib");
    assert!(lib.join("libonnxruntime.so.1.31.1").is_file());
    assert!(lib.join("libonnxruntime_providers_cuda.so").is_file());
    assert!(
        !lib.join("onnxruntime_pybind11_state.so").exists(),
        "only the shared libraries"
    );
    assert_eq!(
        std::fs::read_link(lib.join("libonnxruntime.so")).unwrap(),
        PathBuf::from("libonnxruntime.so.1.31.1")
    );

    let origin = |soname: &str| installed.libraries.get(soname).map(|(_, origin)| origin.as_str());
    assert_eq!(origin("libcudart.so.13"), Some("system"), "{:?}", installed.libraries);
    assert_eq!(origin("libcufft.so.12"), Some("system"));
    assert_eq!(origin("libcublas.so.13"), Some("wheel nvidia_cublas-13.1.0.3"));
    assert_eq!(origin("libcublasLt.so.13"), Some("wheel nvidia_cublas-13.1.0.3"));
    assert_eq!(origin("libcudnn.so.9"), Some("wheel nvidia_cudnn_cu13-9.28.1.4"));
    assert_eq!(origin("libcudnn_ops.so.9"), Some("wheel nvidia_cudnn_cu13-9.28.1.4"));
    assert_eq!(origin("libnvjpeg.so.13"), Some("wheel nvidia_nvjpeg-13.0.1.86"));
    // NVRTC matches the driver's CUDA 13.0, not the newer 13.5 in the same folder.
    assert_eq!(origin("libnvrtc.so.13"), Some("wheel nvidia_cuda_nvrtc-13.0.88"));
    assert_eq!(
        origin("libnvrtc-builtins.so.13.0"),
        Some("wheel nvidia_cuda_nvrtc-13.0.88")
    );
    assert!(origin("libnvblas.so.13").is_none() && origin("libcufftw.so.12").is_none());
    let (cublas, _) = &installed.libraries["libcublas.so.13"];
    assert_eq!(cublas, ".ort/cuda/lib/libcublas.so.13", "relative to the project");
    assert!(installed.project.path().join(cublas).is_file());
    let (cudart, _) = &installed.libraries["libcudart.so.13"];
    assert!(cudart.ends_with("cuda/lib64/libcudart.so.13"), "{cudart}");
}

#[test]
fn a_cuda_12_driver_gets_the_last_cuda_12_build() {
    if system_has_cuda_libraries() {
        eprintln!("skipped: this machine has CUDA libraries on the loader's path");
        return;
    }
    let installed = install(Some(12040), &[], &[]);
    assert_eq!(installed.build, "onnxruntime-gpu 1.26.0 cuda12", "{}", installed.output);
    let origin = |soname: &str| installed.libraries.get(soname).map(|(_, origin)| origin.as_str());
    assert_eq!(
        origin("libcudart.so.12"),
        Some("wheel nvidia_cuda_runtime_cu12-12.9.79")
    );
    assert_eq!(origin("libcudnn.so.9"), Some("wheel nvidia_cudnn_cu12-9.28.0.42"));
    assert_eq!(origin("libnvrtc.so.12"), Some("wheel nvidia_cuda_nvrtc_cu12-12.4.127"));
    assert!(installed.libraries.keys().all(|soname| !soname.ends_with(".so.13")));
}

#[test]
fn no_driver_or_a_too_old_one_gets_the_cpu_build_and_no_cuda_libraries() {
    let none = install(None, &[], &[]);
    assert_eq!(none.build, "onnxruntime 1.30.0 cpu", "{}", none.output);
    assert!(none.libraries.is_empty());
    assert!(none.project.path().join(".ort/lib/libonnxruntime.so.1.30.0").is_file());

    let old = install(Some(11080), &[], &[]);
    assert_eq!(old.build, "onnxruntime 1.30.0 cpu");
    assert!(old.output.contains("only CUDA 11"), "{}", old.output);
}

#[test]
fn an_image_built_without_a_driver_can_ask_for_the_gpu_build() {
    if system_has_cuda_libraries() {
        eprintln!("skipped: this machine has CUDA libraries on the loader's path");
        return;
    }
    let installed = install(None, &["--onnxruntime", "gpu"], &[]);
    assert_eq!(installed.build, "onnxruntime-gpu 1.31.1 cuda13", "{}", installed.output);
    assert_eq!(
        installed
            .libraries
            .get("libnvrtc.so.13")
            .map(|(_, origin)| origin.as_str()),
        Some("wheel nvidia_cuda_nvrtc-13.0.88"),
        "without a driver to match, the NVRTC every driver of the major reads"
    );
}
