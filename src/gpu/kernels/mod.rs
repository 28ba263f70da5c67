//! The GPU owner's image kernels: NV12 → detector letterbox, NV12 crop + bicubic resize,
//! motion thumbnail and background-model mask, timestamp blending, RGB → YUV 4:2:0 for the encoder.
//!
//! Owns compiling `kernels.cu` with NVRTC (loaded at run time) for the device's
//! architecture when an owner starts, and launching the kernels on a caller's stream.
//! It allocates nothing and synchronises nothing: callers own the buffers, pass device
//! addresses, and order work by the stream they launch on.
//!
//! - [`geometry`]: launch shapes and the kernel-side picture descriptor.

pub mod geometry;

use std::sync::Arc;

use cudarc::driver::{CudaFunction, CudaModule, CudaStream, DriverError, LaunchConfig, PushKernelArg};

use crate::detect::letterbox::{Letterbox, PAD_VALUE};
use crate::gpu::cuda_context::GpuContext;
use crate::render::crop_resize::{CropRect, PixelRect};
pub use geometry::{mask_row_bytes, LaunchShape, Nv12Picture};

/// The CUDA C source of every kernel.
const KERNEL_SOURCE: &str = include_str!("kernels.cu");
/// The NVRTC library cudarc loads; named when it is missing.
const NVRTC_LIBRARY: &str = "libnvrtc.so";

/// Why the kernels could not be built or launched.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// NVRTC is not installed (it ships with the CUDA toolkit, not the driver).
    #[error("{NVRTC_LIBRARY} not found: install the CUDA toolkit's NVRTC (cuda-nvrtc) or add its lib64 directory to LD_LIBRARY_PATH")]
    NvrtcNotFound,
    /// NVRTC rejected the source (the log says why).
    #[error("compiling the image kernels for {arch} failed: {log}")]
    Compile {
        /// The target architecture.
        arch: String,
        /// NVRTC's message.
        log: String,
    },
    /// A driver call failed.
    #[error("CUDA {operation} failed: {source}")]
    Driver {
        /// What was being done (`load module`, `launch letterbox_chw`, ...).
        operation: String,
        /// The driver's error.
        source: DriverError,
    },
}

/// The compiled kernels of one device.
pub struct GpuKernels {
    /// Keeps the module loaded while its functions are used.
    _module: Arc<CudaModule>,
    /// `letterbox_chw`.
    letterbox: CudaFunction,
    /// `crop_resize_rgb`.
    crop_resize: CudaFunction,
    /// `fill_rgb`.
    fill: CudaFunction,
    /// `grey_thumbnail`.
    thumbnail: CudaFunction,
    /// `motion_blur`.
    motion_blur: CudaFunction,
    /// `motion_background`.
    motion_background: CudaFunction,
    /// `motion_dilate_bits`.
    motion_dilate: CudaFunction,
    /// `blend_text`.
    blend: CudaFunction,
    /// `rgb_to_i420`.
    to_i420: CudaFunction,
}

/// Device addresses of one clip's motion state, each for a `width`×`height` thumbnail:
/// the blurred thumbnail (u8), the background average (u16, 8.8 fixed point) and the
/// undilated moving flags (u8, 0 or 1).
#[derive(Debug, Clone, Copy)]
pub struct MotionBuffers {
    /// Blurred thumbnail.
    pub blurred: u64,
    /// Background average; persists across the clip's sampled frames.
    pub average: u64,
    /// Moving flags before dilation.
    pub moving: u64,
}

/// Wraps a driver error with what was being done.
fn driver(operation: impl Into<String>) -> impl FnOnce(DriverError) -> KernelError {
    let operation = operation.into();
    move |source| KernelError::Driver { operation, source }
}

impl GpuKernels {
    /// Compiles the kernels for `context`'s device and loads them.
    pub fn compile(context: &GpuContext) -> Result<Self, KernelError> {
        // SAFETY: only probes whether the library can be loaded; no symbol is used.
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(KernelError::NvrtcNotFound);
        }
        let (major, minor) = context
            .cuda()
            .compute_capability()
            .map_err(driver("query compute capability"))?;
        let arch = format!("compute_{major}{minor}");
        let options = cudarc::nvrtc::CompileOptions {
            options: vec![format!("--gpu-architecture={arch}"), "-default-device".into()],
            use_fast_math: Some(false),
            ..Default::default()
        };
        let ptx = cudarc::nvrtc::compile_ptx_with_opts(KERNEL_SOURCE, options).map_err(|err| KernelError::Compile {
            arch: arch.clone(),
            log: err.to_string(),
        })?;
        let module = context.cuda().load_module(ptx).map_err(driver("load module"))?;
        let function = |name: &str| module.load_function(name).map_err(driver(format!("load {name}")));
        Ok(Self {
            letterbox: function("letterbox_chw")?,
            crop_resize: function("crop_resize_rgb")?,
            fill: function("fill_rgb")?,
            thumbnail: function("grey_thumbnail")?,
            motion_blur: function("motion_blur")?,
            motion_background: function("motion_background")?,
            motion_dilate: function("motion_dilate_bits")?,
            blend: function("blend_text")?,
            to_i420: function("rgb_to_i420")?,
            _module: module,
        })
    }

    /// Writes `picture` letterboxed into the detector input at `dst` (`3 × target` floats).
    pub fn letterbox_chw(
        &self,
        stream: &CudaStream,
        picture: &Nv12Picture,
        letterbox: &Letterbox,
        dst: u64,
    ) -> Result<(), KernelError> {
        let (width, height) = (letterbox.target_width as i32, letterbox.target_height as i32);
        let (left, top) = (letterbox.pad_left as i32, letterbox.pad_top as i32);
        let (content_width, content_height) = (letterbox.content_width as i32, letterbox.content_height as i32);
        let shape = LaunchShape::covering(letterbox.target_width, letterbox.target_height);
        let mut launch = stream.launch_builder(&self.letterbox);
        launch
            .arg(picture)
            .arg(&dst)
            .arg(&width)
            .arg(&height)
            .arg(&left)
            .arg(&top)
            .arg(&content_width)
            .arg(&content_height)
            .arg(&PAD_VALUE);
        // SAFETY: the arguments match `letterbox_chw`'s parameters in order and type; `dst`
        // holds 3 × target floats and `picture` stays mapped until the stream has run it.
        unsafe { launch.launch(config(shape)) }
            .map(drop)
            .map_err(driver("launch letterbox_chw"))
    }

    /// Scales `crop` of `picture` into `region` of the RGB image at `dst` (rows of
    /// `dst_pitch` bytes).
    pub fn crop_resize_rgb(
        &self,
        stream: &CudaStream,
        picture: &Nv12Picture,
        crop: CropRect,
        dst: u64,
        dst_pitch: u32,
        region: PixelRect,
    ) -> Result<(), KernelError> {
        let crop = [crop.x as f32, crop.y as f32, crop.width as f32, crop.height as f32];
        let pitch = dst_pitch as i32;
        let area = [
            region.left as i32,
            region.top as i32,
            region.width as i32,
            region.height as i32,
        ];
        let shape = LaunchShape::covering(region.width, region.height);
        let mut launch = stream.launch_builder(&self.crop_resize);
        launch.arg(picture);
        for value in &crop {
            launch.arg(value);
        }
        launch.arg(&dst).arg(&pitch);
        for value in &area {
            launch.arg(value);
        }
        // SAFETY: arguments match `crop_resize_rgb`'s parameters; `region` lies inside the
        // image at `dst`, which the caller sized; `picture` stays mapped until the stream ran.
        unsafe { launch.launch(config(shape)) }
            .map(drop)
            .map_err(driver("launch crop_resize_rgb"))
    }

    /// Sets every byte of the `width`×`height` RGB image at `dst` to `value`.
    pub fn fill_rgb(
        &self,
        stream: &CudaStream,
        dst: u64,
        dst_pitch: u32,
        width: u32,
        height: u32,
        value: u8,
    ) -> Result<(), KernelError> {
        let (pitch, w, h) = (dst_pitch as i32, width as i32, height as i32);
        let shape = LaunchShape::covering(width * 3, height);
        let mut launch = stream.launch_builder(&self.fill);
        launch.arg(&dst).arg(&pitch).arg(&w).arg(&h).arg(&value);
        // SAFETY: arguments match `fill_rgb`; the image at `dst` has `height` rows of `dst_pitch`.
        unsafe { launch.launch(config(shape)) }
            .map(drop)
            .map_err(driver("launch fill_rgb"))
    }

    /// Writes the `thumb_width`×`thumb_height` grey thumbnail of `picture` to `dst`.
    pub fn grey_thumbnail(
        &self,
        stream: &CudaStream,
        picture: &Nv12Picture,
        dst: u64,
        thumb_width: u32,
        thumb_height: u32,
    ) -> Result<(), KernelError> {
        let (w, h) = (thumb_width as i32, thumb_height as i32);
        let mut launch = stream.launch_builder(&self.thumbnail);
        launch.arg(picture).arg(&dst).arg(&w).arg(&h);
        // SAFETY: arguments match `grey_thumbnail`; `dst` holds `thumb_width × thumb_height` bytes.
        unsafe { launch.launch(config(LaunchShape::covering(thumb_width, thumb_height))) }
            .map(drop)
            .map_err(driver("launch grey_thumbnail"))
    }

    /// One background-model step on the `width`×`height` grey thumbnail at `grey`
    /// (`motion::background`): blur, then seed the background (`seed`) or compare with and
    /// blend into it (`alpha` in 1/256ths), then dilate and pack the mask into `bits`
    /// (`mask_row_bytes(width) × height` bytes; all zero when seeding).
    #[allow(clippy::too_many_arguments)]
    pub fn motion_background(
        &self,
        stream: &CudaStream,
        grey: u64,
        buffers: &MotionBuffers,
        width: u32,
        height: u32,
        alpha: u32,
        threshold: u8,
        seed: bool,
        bits: u64,
    ) -> Result<(), KernelError> {
        let count = width * height;
        let row_bytes = mask_row_bytes(width);
        let (w, h, n, rb) = (width as i32, height as i32, count as i32, row_bytes as i32);
        let (a, t, s) = (alpha as i32, i32::from(threshold), i32::from(seed));
        let mut blur = stream.launch_builder(&self.motion_blur);
        blur.arg(&grey).arg(&w).arg(&h).arg(&buffers.blurred);
        // SAFETY: arguments match `motion_blur`; `grey` and `blurred` hold `width × height` bytes.
        unsafe { blur.launch(config(LaunchShape::linear(count))) }
            .map(drop)
            .map_err(driver("launch motion_blur"))?;
        let mut step = stream.launch_builder(&self.motion_background);
        step.arg(&buffers.blurred)
            .arg(&buffers.average)
            .arg(&n)
            .arg(&a)
            .arg(&t)
            .arg(&s)
            .arg(&buffers.moving);
        // SAFETY: arguments match `motion_background`; `average` holds `width × height` u16,
        // `blurred` and `moving` as many bytes.
        unsafe { step.launch(config(LaunchShape::linear(count))) }
            .map(drop)
            .map_err(driver("launch motion_background"))?;
        let mut dilate = stream.launch_builder(&self.motion_dilate);
        dilate.arg(&buffers.moving).arg(&w).arg(&h).arg(&rb).arg(&bits);
        // SAFETY: arguments match `motion_dilate_bits`; `moving` holds `width × height` bytes and
        // `bits` holds `row_bytes × height`.
        unsafe { dilate.launch(config(LaunchShape::linear(row_bytes * height))) }
            .map(drop)
            .map_err(driver("launch motion_dilate_bits"))
    }

    /// Blends a text sprite (outline then fill coverage, `sprite_width`×`sprite_height`)
    /// into the RGB frame at `frame` with its corner at (`origin`, `origin`).
    #[allow(clippy::too_many_arguments)]
    pub fn blend_text(
        &self,
        stream: &CudaStream,
        frame: u64,
        frame_pitch: u32,
        frame_size: (u32, u32),
        fill: u64,
        outline: u64,
        sprite_size: (u32, u32),
        origin: u32,
    ) -> Result<(), KernelError> {
        let (pitch, fw, fh) = (frame_pitch as i32, frame_size.0 as i32, frame_size.1 as i32);
        let (sw, sh, at) = (sprite_size.0 as i32, sprite_size.1 as i32, origin as i32);
        let mut launch = stream.launch_builder(&self.blend);
        launch
            .arg(&frame)
            .arg(&pitch)
            .arg(&fw)
            .arg(&fh)
            .arg(&fill)
            .arg(&outline)
            .arg(&sw)
            .arg(&sh)
            .arg(&at);
        // SAFETY: arguments match `blend_text`; both masks hold `sprite_size` bytes and the
        // kernel clips the sprite to the frame.
        unsafe { launch.launch(config(LaunchShape::covering(sprite_size.0, sprite_size.1))) }
            .map(drop)
            .map_err(driver("launch blend_text"))
    }
}

impl GpuKernels {
    /// Converts the `width`×`height` RGB image at `rgb` (rows of `pitch` bytes, even
    /// sizes) into planar YUV 4:2:0 at `planes` (`width × height × 3 / 2` bytes).
    pub fn rgb_to_i420(
        &self,
        stream: &CudaStream,
        rgb: u64,
        pitch: u32,
        (width, height): (u32, u32),
        planes: u64,
    ) -> Result<(), KernelError> {
        let (p, w, h) = (pitch as i32, width as i32, height as i32);
        let mut launch = stream.launch_builder(&self.to_i420);
        launch.arg(&rgb).arg(&p).arg(&w).arg(&h).arg(&planes);
        // SAFETY: arguments match `rgb_to_i420`; one thread per 2×2 block stays inside both images.
        unsafe { launch.launch(config(LaunchShape::covering(width / 2, height / 2))) }
            .map(drop)
            .map_err(driver("launch rgb_to_i420"))
    }
}

/// cudarc's launch configuration for a shape.
fn config(shape: LaunchShape) -> LaunchConfig {
    LaunchConfig {
        grid_dim: shape.grid,
        block_dim: shape.block,
        shared_mem_bytes: 0,
    }
}
