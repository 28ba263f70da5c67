//! `check-config --config F`: loads a configuration file exactly as `run` does (the same
//! warnings, through [`super::load_config`]), then prints the effective configuration as YAML,
//! secrets masked, on stdout.

use super::load_config;
use std::io::Write;
use std::path::Path;

/// Runs the command: a configuration error is returned (exit code 2), warnings are not errors.
pub fn run(path: &Path) -> anyhow::Result<()> {
    let config = load_config(Some(path))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(config.effective_yaml().as_bytes())?;
    stdout.flush()?;
    Ok(())
}
