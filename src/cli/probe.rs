//! `probe CLIP`: the clip's metadata as JSON on stdout.

use anyhow::Context;
use frigate_buffer::media::probe::probe_clip;
use std::path::Path;

/// Runs the command.
pub fn run(clip: &Path) -> anyhow::Result<()> {
    let metadata = probe_clip(clip)?;
    let json = serde_json::to_string_pretty(&metadata).context("serialising the metadata")?;
    println!("{json}");
    Ok(())
}
