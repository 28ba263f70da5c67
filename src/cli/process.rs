//! `process DIR`: the CE pipeline on a folder, with progress bars on a
//! terminal, a per-camera report, and `--json` for machines.

use super::load_config;
use anyhow::Context;
use frigate_buffer::flow::messages::CeJob;
use frigate_buffer::offline::{process_dir, OfflineRun};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;

/// Progress bars of one CE: one per camera, one for the summary.
struct Bars {
    cameras: Vec<ProgressBar>,
    summary: ProgressBar,
}

impl Bars {
    fn new(multi: &MultiProgress, job_cameras: &[String]) -> Self {
        let style =
            ProgressStyle::with_template("{spinner} {prefix:>14} {pos:>6} frames  {per_sec}").expect("static template");
        let bar = |name: &str| {
            let bar = multi.add(
                ProgressBar::new_spinner()
                    .with_style(style.clone())
                    .with_prefix(name.to_string()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        };
        Self {
            cameras: job_cameras.iter().map(|c| bar(c)).collect(),
            summary: bar("summary"),
        }
    }

    fn update(&self, job: &CeJob) {
        for (index, bar) in self.cameras.iter().enumerate() {
            bar.set_position(job.progress.detect_frames(index));
        }
        self.summary.set_position(job.progress.summary_frames());
    }

    fn finish(&self) {
        self.cameras
            .iter()
            .chain(std::iter::once(&self.summary))
            .for_each(ProgressBar::finish);
    }
}

/// Runs the command.
pub fn run(dir: &Path, config: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let config = load_config(config)?;
    let multi = MultiProgress::with_draw_target(if !json && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut bars: Option<Bars> = None;
    let run = process_dir(&config, dir, true, &mut |job| {
        let names: Vec<String> = job.cameras.iter().map(|c| c.camera.clone()).collect();
        bars.get_or_insert_with(|| Bars::new(&multi, &names)).update(job);
    })?;
    if let Some(bars) = &bars {
        bars.finish();
    }
    if json {
        print_json(&run)?;
    } else {
        print_human(&run);
    }
    match &run.outcome.summary {
        Some(_) => Ok(()),
        None => anyhow::bail!(
            "{}: no summary video: {}",
            dir.display(),
            run.outcome
                .summary_error
                .as_ref()
                .map_or("unknown reason", |error| error.message.as_str())
        ),
    }
}

fn print_json(run: &OfflineRun) -> anyhow::Result<()> {
    let value = serde_json::json!({
        "ce": run.outcome,
        "backends": run.backends,
        "stages": run.stages,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&value).context("serialising the summary")?
    );
    Ok(())
}

fn print_human(run: &OfflineRun) {
    let outcome = &run.outcome;
    for camera in &outcome.cameras {
        match (&camera.error, &camera.sidecar) {
            (Some(error), _) => eprintln!("{}: failed: {error}", camera.camera),
            (None, Some(sidecar)) => println!(
                "{}: {} sampled frames, a person in {} -> {}",
                camera.camera,
                camera.sampled_frames,
                camera.frames_with_person,
                sidecar.display()
            ),
            (None, None) => {}
        }
    }
    if let Some(video) = &outcome.summary {
        println!(
            "summary video: {} ({} frames, {} slices, primary camera {})",
            video.display(),
            outcome.summary_frames,
            outcome.slices,
            outcome.primary_camera.as_deref().unwrap_or("-")
        );
    }
    if let Some(gif) = &outcome.preview_gif {
        println!("preview: {}", gif.display());
    }
    match (&outcome.analysis, &outcome.analysis_error) {
        (Some(analysis), _) => println!(
            "AI analysis: {} (threat level {}): {}",
            analysis.title, analysis.potential_threat_level, analysis.short_summary
        ),
        (None, Some(error)) => eprintln!("AI analysis failed: {error}"),
        (None, None) => {}
    }
    println!(
        "detection pass {:.2} s, compile {:.2} s ({} backend)",
        outcome.detect_seconds, outcome.compile_seconds, run.backends.accelerator
    );
}
