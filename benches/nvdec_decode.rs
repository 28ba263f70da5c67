//! NVDEC throughput on one clip: decoder caps, a check of decoded pixels, one session
//! without and with mapping, and N sessions on N threads.
//!
//! Usage: `cargo bench --bench nvdec_decode -- CLIP.mp4 [DUMP_DIR]` (on a machine with an
//! NVIDIA GPU; the built binary can also be run directly). With `DUMP_DIR`, the visible NV12 bytes of
//! a few frames (display order) are written to `DUMP_DIR/nvdec_frames.nv12` so they can
//! be compared with a software decoder's.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use frigate_buffer::gpu::cuda_context::GpuContext;
use frigate_buffer::gpu::nvdec::{query_decoder_caps, MappedFrame, NvcuvidApi, NvdecCodec, NvdecSession};
use frigate_buffer::media::mp4::Mp4VideoTrack;

/// Display-order frames whose pixels are dumped for comparison.
const CHECKED_FRAMES: [usize; 3] = [0, 299, 599];
/// Times the clip is fed to each session in the timed runs (at least 2 s of work).
const REPEATS: usize = 4;
/// Parallel session counts measured.
const SESSION_COUNTS: [usize; 6] = [1, 2, 4, 7, 8, 14];

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Which displayed pictures a timed run maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MapPolicy {
    /// Only those the end-of-stream flush delivers, so the run ends when the engine is done.
    LastOnly,
    /// Every picture, mapped and unmapped at once.
    Every,
}

/// The clip, demuxed into memory before any timing.
struct Clip {
    /// Codec of the track.
    codec: NvdecCodec,
    /// Annex-B access units in decode order.
    access_units: Vec<Vec<u8>>,
}

/// What one timed session did.
#[derive(Debug, Clone, Copy)]
struct RunStats {
    /// Pictures submitted to the engine.
    decoded: u64,
    /// Pictures the parser displayed.
    displayed: u64,
    /// When feeding started.
    started: Instant,
    /// When the last picture was done.
    finished: Instant,
}

fn main() -> ExitCode {
    // `cargo bench` appends its own `--bench` flag; only positional arguments are ours.
    let mut args = std::env::args_os()
        .skip(1)
        .filter(|arg| !arg.to_string_lossy().starts_with("--"));
    let Some(clip_path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: nvdec_decode CLIP.mp4 [DUMP_DIR]");
        return ExitCode::from(2);
    };
    let dump_dir = args.next().map(PathBuf::from);
    match run(&clip_path, dump_dir.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nvdec_decode {}: {err}", clip_path.display());
            ExitCode::FAILURE
        }
    }
}

fn run(clip_path: &Path, dump_dir: Option<&Path>) -> BenchResult<()> {
    let clip = Arc::new(demux(clip_path)?);
    let context = GpuContext::open(0)?;
    let api = Arc::new(NvcuvidApi::load()?);
    println!("device 0: {}", context.device_name()?);
    println!(
        "clip: {} ({} access units, {})",
        clip_path.display(),
        clip.access_units.len(),
        clip.codec
    );
    for codec in [NvdecCodec::H264, NvdecCodec::Hevc] {
        let caps = query_decoder_caps(&api, &context, codec)?;
        println!(
            "caps {codec} 8-bit 4:2:0: supported={} engines={} max={}x{} min={}x{} max_macroblocks={}",
            caps.supported,
            caps.engine_count,
            caps.max_width,
            caps.max_height,
            caps.min_width,
            caps.min_height,
            caps.max_macroblocks
        );
    }
    if let Some(dir) = dump_dir {
        check_pixels(&context, &api, &clip, dir)?;
    }

    let mut table = Vec::new();
    let cold_start = Instant::now();
    let cold = timed_session(&context, &api, &clip, 1, MapPolicy::LastOnly)?;
    let cold_seconds = cold_start.elapsed().as_secs_f64();
    println!(
        "cold: one clip incl. session open: {} frames in {:.3} s = {:.0} frames/s",
        cold.displayed,
        cold_seconds,
        cold.displayed as f64 / cold_seconds
    );
    for (label, policy) in [
        ("(a) 1 session, none mapped", MapPolicy::LastOnly),
        ("(b) 1 session, all mapped", MapPolicy::Every),
    ] {
        let stats = timed_session(&context, &api, &clip, REPEATS, policy)?;
        table.push((label.to_string(), stats.displayed, rate(&[stats])));
    }
    for policy in [MapPolicy::LastOnly, MapPolicy::Every] {
        for sessions in SESSION_COUNTS {
            let runs = parallel_sessions(&api, &clip, sessions, policy)?;
            let frames: u64 = runs.iter().map(|stats| stats.displayed).sum();
            let mapped = if policy == MapPolicy::Every {
                "all mapped"
            } else {
                "none mapped"
            };
            table.push((format!("(c) {sessions} sessions, {mapped}"), frames, rate(&runs)));
        }
    }
    println!();
    println!("| run | frames | seconds | aggregate frames/s |");
    println!("|---|---|---|---|");
    for (label, frames, (seconds, per_second)) in table {
        println!("| {label} | {frames} | {seconds:.3} | {per_second:.0} |");
    }
    Ok(())
}

/// Reads every access unit of the clip into memory.
fn demux(path: &Path) -> BenchResult<Clip> {
    let mut track = Mp4VideoTrack::open(path)?;
    let codec = NvdecCodec::from_track_codec(&track.codec())
        .ok_or_else(|| format!("codec {} is not decoded by NVDEC", track.codec().name()))?;
    let mut access_units = Vec::with_capacity(track.sample_count());
    for index in 0..track.sample_count() {
        let mut access_unit = Vec::new();
        track.read_annexb(index, &mut access_unit)?;
        access_units.push(access_unit);
    }
    Ok(Clip { codec, access_units })
}

/// Elapsed seconds from the first start to the last finish, and frames per second.
fn rate(runs: &[RunStats]) -> (f64, f64) {
    let first = runs.iter().map(|stats| stats.started).min();
    let last = runs.iter().map(|stats| stats.finished).max();
    let seconds = match (first, last) {
        (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    let frames: u64 = runs.iter().map(|stats| stats.displayed).sum();
    (seconds, frames as f64 / seconds.max(f64::EPSILON))
}

/// Feeds the clip `repeats` times to a new session and maps per `policy`.
fn timed_session(
    context: &GpuContext,
    api: &Arc<NvcuvidApi>,
    clip: &Clip,
    repeats: usize,
    policy: MapPolicy,
) -> BenchResult<RunStats> {
    let session = NvdecSession::new(context, Arc::clone(api), clip.codec)?;
    feed(session, clip, repeats, policy, None)
}

/// Feeds the clip and returns the timing; `start_together` lines threads up first.
fn feed(
    mut session: NvdecSession,
    clip: &Clip,
    repeats: usize,
    policy: MapPolicy,
    start_together: Option<&Barrier>,
) -> BenchResult<RunStats> {
    if let Some(barrier) = start_together {
        barrier.wait();
    }
    let started = Instant::now();
    let mut displayed = 0_u64;
    let mut timestamp = 0_i64;
    for _ in 0..repeats {
        for access_unit in &clip.access_units {
            session.decode(access_unit, timestamp)?;
            timestamp += 1;
            while let Some(picture) = session.next_picture() {
                displayed += 1;
                if policy == MapPolicy::Every {
                    picture.map()?.unmap()?;
                }
            }
        }
    }
    session.flush()?;
    while let Some(picture) = session.next_picture() {
        displayed += 1;
        picture.map()?.unmap()?;
    }
    session.stream().synchronize()?;
    Ok(RunStats {
        decoded: session.pictures_decoded(),
        displayed,
        started,
        finished: Instant::now(),
    })
}

/// Runs `sessions` threads, each with its own context handle and session, started
/// together, each decoding the clip `REPEATS` times.
fn parallel_sessions(
    api: &Arc<NvcuvidApi>,
    clip: &Arc<Clip>,
    sessions: usize,
    policy: MapPolicy,
) -> BenchResult<Vec<RunStats>> {
    let barrier = Arc::new(Barrier::new(sessions));
    let workers: Vec<_> = (0..sessions)
        .map(|_| {
            let (api, clip, barrier) = (Arc::clone(api), Arc::clone(clip), Arc::clone(&barrier));
            thread::spawn(move || -> BenchResult<RunStats> {
                let opened = || -> BenchResult<NvdecSession> {
                    Ok(NvdecSession::new(&GpuContext::open(0)?, Arc::clone(&api), clip.codec)?)
                };
                match opened() {
                    Ok(session) => feed(session, &clip, REPEATS, policy, Some(&barrier)),
                    Err(err) => {
                        barrier.wait();
                        Err(err)
                    }
                }
            })
        })
        .collect();
    let mut runs = Vec::with_capacity(sessions);
    for worker in workers {
        let stats = worker.join().map_err(|_| "a decode thread panicked")??;
        if stats.decoded < stats.displayed {
            return Err(format!(
                "{} pictures displayed but only {} decoded",
                stats.displayed, stats.decoded
            )
            .into());
        }
        runs.push(stats);
    }
    let slowest = runs
        .iter()
        .map(|stats| stats.finished - stats.started)
        .max()
        .unwrap_or(Duration::ZERO);
    println!(
        "(c) {sessions} sessions {policy:?}: slowest thread {:.3} s",
        slowest.as_secs_f64()
    );
    Ok(runs)
}

/// Decodes the clip once, mapping only the checked frames, and writes their visible
/// NV12 bytes to `dir/nvdec_frames.nv12`.
fn check_pixels(context: &GpuContext, api: &Arc<NvcuvidApi>, clip: &Clip, dir: &Path) -> BenchResult<()> {
    let mut session = NvdecSession::new(context, Arc::clone(api), clip.codec)?;
    let mut dump = Vec::new();
    let mut display_index = 0_usize;
    let mut display_timestamps = Vec::new();
    let mut mapped_frames = 0;
    let mut take = |session: &mut NvdecSession, dump: &mut Vec<u8>| -> BenchResult<()> {
        while let Some(picture) = session.next_picture() {
            display_timestamps.push(picture.timestamp());
            if CHECKED_FRAMES.contains(&display_index) {
                let frame = picture.map()?;
                copy_visible_nv12(context, &frame, dump)?;
                println!(
                    "frame {display_index}: {}x{} pitch {} chroma at +{} bytes",
                    frame.width(),
                    frame.height(),
                    frame.pitch(),
                    frame.chroma_ptr() - frame.luma_ptr()
                );
                frame.unmap()?;
                mapped_frames += 1;
            }
            display_index += 1;
        }
        Ok(())
    };
    for (index, access_unit) in clip.access_units.iter().enumerate() {
        session.decode(access_unit, index as i64)?;
        take(&mut session, &mut dump)?;
    }
    session.flush()?;
    take(&mut session, &mut dump)?;
    std::fs::create_dir_all(dir)?;
    let path = dir.join("nvdec_frames.nv12");
    std::fs::write(&path, &dump)?;
    let first: Vec<i64> = display_timestamps.iter().take(12).copied().collect();
    println!(
        "pixel check: {} displayed, {} decoded, {mapped_frames} frames ({} bytes) written to {}; first display timestamps {first:?}",
        display_timestamps.len(),
        session.pictures_decoded(),
        dump.len(),
        path.display()
    );
    Ok(())
}

/// Appends the visible luma rows, then the chroma rows, of a mapped frame.
fn copy_visible_nv12(context: &GpuContext, frame: &MappedFrame<'_>, out: &mut Vec<u8>) -> BenchResult<()> {
    context.make_current()?;
    frame.stream().synchronize()?;
    let width = frame.width() as usize;
    let pitch = u64::from(frame.pitch());
    let planes = [
        (frame.luma_ptr(), frame.height()),
        (frame.chroma_ptr(), frame.height() / 2),
    ];
    for (plane, rows) in planes {
        for row in 0..u64::from(rows) {
            let mut bytes = vec![0_u8; width];
            // SAFETY: the row lies inside the mapped frame (row < rows, width <= pitch),
            // which stays mapped while `frame` lives; the context is current.
            unsafe { cudarc::driver::result::memcpy_dtoh_sync(&mut bytes, plane + row * pitch) }?;
            out.extend_from_slice(&bytes);
        }
    }
    Ok(())
}
