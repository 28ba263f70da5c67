//! `worker --config F`: a cluster worker, until SIGTERM or SIGINT.

use super::load_config;
use super::run::shutdown_on_signals;
use frigate_buffer::cluster::worker::run_worker;
use std::path::Path;

/// Runs the command.
pub fn run(config: &Path) -> anyhow::Result<()> {
    let config = load_config(Some(config))?;
    run_worker(&config, shutdown_on_signals()?)?;
    Ok(())
}
