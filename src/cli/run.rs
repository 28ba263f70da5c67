//! `run --config F`: the service, until SIGTERM or SIGINT.

use super::load_config;
use frigate_buffer::service::run_service;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A flag that SIGTERM and SIGINT set.
pub fn shutdown_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, shutdown.clone())?;
    }
    Ok(shutdown)
}

/// Runs the command.
pub fn run(config: &Path) -> anyhow::Result<()> {
    let config = load_config(Some(config))?;
    run_service(&config, shutdown_on_signals()?)?;
    Ok(())
}
