//! The NVIDIA backend against the CPU backend on the sample CE: the same people found
//! (matched boxes IoU ≥ 0.8), sidecars of the same shape, summary videos of the same
//! size and length; the motion background kernels bit-identical to the CPU's, and the
//! slowly creeping box seen on the GPU too. Needs an NVIDIA GPU, NVRTC and ONNX Runtime with the CUDA provider,
//! so it is ignored by `make test`; `scripts/gpu-tests.sh` runs it on a GPU machine.

mod common;

use common::creeping_box::{creeping_box_thumbnail, HEIGHT, WIDTH};
use common::openai_stub::{completion, Reply, StubEndpoint};
use common::slow_box::{assert_slow_box_motion, slow_box_clip};
use common::{copy_sample, iou};
use cudarc::driver::DevicePtr;
use frigate_buffer::config::{Config, PipelinePreset};
use frigate_buffer::gpu::cuda_context::GpuContext;
use frigate_buffer::gpu::kernels::{mask_row_bytes, GpuKernels, MotionBuffers};
use frigate_buffer::media::probe::probe_clip;
use frigate_buffer::motion::background::{alpha_fixed_point, MotionBackground, DEFAULT_BACKGROUND_ALPHA};
use frigate_buffer::motion::mask::{MotionMask, DEFAULT_DIFF_THRESHOLD};
use frigate_buffer::offline::process_dir;
use frigate_buffer::sidecar::format::Sidecar;
use frigate_buffer::sidecar::store::read_sidecar;
use std::path::{Path, PathBuf};

const CAMERAS: [&str; 3] = ["backyard", "driveway", "front_door"];

fn config(preset: &str) -> Config {
    let mut config = Config::defaults().unwrap();
    config.pipeline = PipelinePreset::resolve(preset, Path::new("<gpu test>")).unwrap();
    config
}

/// Of the people the CPU found, the share the GPU found too (best match IoU ≥ 0.8), and
/// the number compared.
fn people_matched(cpu: &Sidecar, gpu: &Sidecar) -> (f64, usize) {
    let (mut compared, mut matched) = (0usize, 0usize);
    for (cpu_entry, gpu_entry) in cpu.entries.iter().zip(&gpu.entries) {
        assert_eq!(cpu_entry.frame_number, gpu_entry.frame_number);
        for person in cpu_entry.detections.iter().filter(|d| d.label == "person") {
            compared += 1;
            let best = gpu_entry
                .detections
                .iter()
                .filter(|d| d.label == "person")
                .map(|d| iou(d.bbox, person.bbox))
                .fold(0.0, f64::max);
            matched += usize::from(best >= 0.8);
        }
    }
    (matched as f64 / compared.max(1) as f64, compared)
}

#[test]
#[ignore = "needs an NVIDIA GPU; run scripts/gpu-tests.sh on one"]
fn gpu_and_cpu_backends_agree_on_the_sample_ce() {
    let (cpu_dir, gpu_dir) = (copy_sample(&CAMERAS), copy_sample(&CAMERAS));
    let cpu = process_dir(&config("cpu"), cpu_dir.path(), true, &mut |_| {}).unwrap();
    let gpu = process_dir(&config("nvidia"), gpu_dir.path(), true, &mut |_| {}).unwrap();
    assert_eq!(cpu.backends.accelerator, "cpu");
    assert_eq!(gpu.backends.accelerator, "nvidia");
    let fallbacks: u64 = gpu.stages.iter().map(|stage| stage.fallbacks).sum();
    assert_eq!(fallbacks, 0, "the GPU ran every job itself");

    for camera in CAMERAS {
        let read = |dir: &Path| read_sidecar(&dir.join(camera).join("detection.json")).unwrap();
        let (cpu_sidecar, gpu_sidecar) = (read(cpu_dir.path()), read(gpu_dir.path()));
        assert_eq!(
            gpu_sidecar.entries.len(),
            cpu_sidecar.entries.len(),
            "{camera}: entries"
        );
        assert_eq!(
            (
                gpu_sidecar.native_width,
                gpu_sidecar.native_height,
                gpu_sidecar.frame_interval
            ),
            (
                cpu_sidecar.native_width,
                cpu_sidecar.native_height,
                cpu_sidecar.frame_interval
            ),
            "{camera}: sidecar header"
        );
        let (share, compared) = people_matched(&cpu_sidecar, &gpu_sidecar);
        println!(
            "{camera}: {compared} people found on the CPU, {:.1}% matched on the GPU",
            share * 100.0
        );
        assert!(compared >= 20, "{camera}: the sample shows a person for at least 5 s");
        assert!(share >= 0.95, "{camera}: only {:.1}% of people matched", share * 100.0);
        let motion = |sidecar: &Sidecar| sidecar.entries.iter().filter(|e| !e.motion.is_empty()).count();
        let (cpu_motion, gpu_motion) = (motion(&cpu_sidecar), motion(&gpu_sidecar));
        println!("{camera}: entries with motion boxes: cpu {cpu_motion}, gpu {gpu_motion}");
        assert!(
            cpu_motion.abs_diff(gpu_motion) <= cpu_motion / 10 + 2,
            "{camera}: motion differs"
        );
    }

    let summary = |run: &frigate_buffer::offline::OfflineRun| {
        let path = run.outcome.summary.clone().expect("a summary video");
        probe_clip(&path).unwrap()
    };
    let (cpu_video, gpu_video) = (summary(&cpu), summary(&gpu));
    assert_eq!((gpu_video.width, gpu_video.height), (cpu_video.width, cpu_video.height));
    assert_eq!(gpu_video.frame_count, cpu_video.frame_count);
    assert!((gpu_video.duration_sec - cpu_video.duration_sec).abs() < 0.06);
    println!(
        "summary {}x{} {} frames; detection pass cpu {:.2} s gpu {:.2} s; compile cpu {:.2} s gpu {:.2} s",
        gpu_video.width,
        gpu_video.height,
        gpu_video.frame_count,
        cpu.outcome.detect_seconds,
        gpu.outcome.detect_seconds,
        cpu.outcome.compile_seconds,
        gpu.outcome.compile_seconds
    );
}

/// The AI frames the run of `preset` sends to a local endpoint, decoded.
fn ai_frames(preset: &str) -> Vec<image::RgbImage> {
    let dir = copy_sample(&CAMERAS);
    let answer = r#"{"title": "t", "scene": "s", "shortSummary": "x", "confidence": 0.5, "potential_threat_level": 0}"#;
    let endpoint = StubEndpoint::start(vec![Reply::Http(200, completion(answer))]);
    let config_path = dir.path().join("config.yaml");
    let yaml = format!(
        "pipeline: {preset}\nai:\n  enabled: true\n  base_url: {}\n  api_key: k\n  model: m\nmulti_cam:\n  max_multi_cam_frames_min: 6\n",
        endpoint.base_url
    );
    std::fs::write(&config_path, yaml).unwrap();
    let config = Config::load(&config_path).unwrap();
    let run = process_dir(&config, dir.path(), true, &mut |_| {}).unwrap();
    assert!(
        run.outcome.analysis.is_some(),
        "{preset}: {:?}",
        run.outcome.analysis_error
    );
    let frames_dir = dir.path().join("ai_frame_analysis/frames");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&frames_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.iter().map(|path| image::open(path).unwrap().to_rgb8()).collect()
}

#[test]
#[ignore = "needs an NVIDIA GPU; run scripts/gpu-tests.sh on one"]
fn gpu_ai_frames_match_the_cpu_ones() {
    let (cpu, gpu) = (ai_frames("cpu"), ai_frames("nvidia"));
    assert_eq!(gpu.len(), 6);
    assert_eq!(gpu.len(), cpu.len());
    for (index, (cpu_frame, gpu_frame)) in cpu.iter().zip(&gpu).enumerate() {
        assert_eq!(gpu_frame.dimensions(), (1280, 720));
        let total: u64 = cpu_frame
            .as_raw()
            .iter()
            .zip(gpu_frame.as_raw())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = total as f64 / cpu_frame.as_raw().len() as f64;
        println!("AI frame {index}: mean absolute difference GPU vs CPU {mean:.2} levels");
        assert!(
            mean < 6.0,
            "AI frame {index}: GPU and CPU differ by {mean:.2} levels on average"
        );
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU; run scripts/gpu-tests.sh on one"]
fn gpu_motion_background_masks_are_bit_identical_to_the_cpu_ones() {
    let context = GpuContext::open(0).unwrap();
    let kernels = GpuKernels::compile(&context).unwrap();
    let stream = context.new_stream().unwrap();
    let (width, height) = (WIDTH, HEIGHT);
    let pixels = (width * height) as usize;
    let mask_len = mask_row_bytes(width) as usize * height as usize;
    let blurred = stream.alloc_zeros::<u8>(pixels).unwrap();
    let average = stream.alloc_zeros::<u16>(pixels).unwrap();
    let moving = stream.alloc_zeros::<u8>(pixels).unwrap();
    let bits = stream.alloc_zeros::<u8>(mask_len).unwrap();
    let buffers = MotionBuffers {
        blurred: blurred.device_ptr(&stream).0,
        average: average.device_ptr(&stream).0,
        moving: moving.device_ptr(&stream).0,
    };
    let mut cpu = MotionBackground::new(width, height, DEFAULT_BACKGROUND_ALPHA, DEFAULT_DIFF_THRESHOLD);
    let (mut compared, mut frames_with_motion) = (0, 0);
    for index in 0..120 {
        let thumbnail = creeping_box_thumbnail(index);
        let grey = stream.clone_htod(thumbnail.pixels()).unwrap();
        kernels
            .motion_background(
                &stream,
                grey.device_ptr(&stream).0,
                &buffers,
                width,
                height,
                alpha_fixed_point(DEFAULT_BACKGROUND_ALPHA),
                DEFAULT_DIFF_THRESHOLD,
                index == 0,
                bits.device_ptr(&stream).0,
            )
            .unwrap();
        let gpu_bits = stream.clone_dtoh(&bits).unwrap();
        let Some(cpu_mask) = cpu.update(&thumbnail).unwrap() else {
            continue;
        };
        let gpu_mask = MotionMask::from_bits(width, height, gpu_bits).unwrap();
        assert_eq!(gpu_mask, cpu_mask, "frame {index}: GPU and CPU masks differ");
        compared += 1;
        frames_with_motion += usize::from((0..height).any(|y| (0..width).any(|x| cpu_mask.get(x, y))));
    }
    println!("motion masks: {compared} compared, {frames_with_motion} with motion, all bit-identical");
    assert_eq!(compared, 119);
    assert!(frames_with_motion >= 100, "the box moves in most frames");
}

#[test]
#[ignore = "needs an NVIDIA GPU; run scripts/gpu-tests.sh on one"]
fn a_slowly_creeping_box_is_seen_on_the_gpu() {
    let dir = tempfile::Builder::new().prefix("slow-box-").tempdir().unwrap();
    let clip = dir.path().join("driveway/driveway-1.mp4");
    std::fs::create_dir_all(clip.parent().unwrap()).unwrap();
    std::fs::copy(slow_box_clip(), &clip).unwrap();
    let run = process_dir(&config("nvidia"), dir.path(), false, &mut |_| {}).unwrap();
    assert_eq!(run.backends.accelerator, "nvidia");
    let fallbacks: u64 = run.stages.iter().map(|stage| stage.fallbacks).sum();
    assert_eq!(fallbacks, 0, "the GPU ran the clip itself");
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("driveway/detection.json")).unwrap()).unwrap();
    assert_slow_box_motion(&sidecar);
}
