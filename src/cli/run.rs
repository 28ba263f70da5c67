//! `run --config F`: the service, until SIGTERM or SIGINT.

use super::load_config;
use frigate_buffer::service::run_service;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Runs the command.
pub fn run(config: &Path) -> anyhow::Result<()> {
    let config = load_config(Some(config))?;
    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, shutdown.clone())?;
    }
    run_service(&config, shutdown)?;
    Ok(())
}
