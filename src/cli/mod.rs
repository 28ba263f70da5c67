//! The commands of the binary, one file each, and the mapping of errors to
//! exit codes. This is the `anyhow` edge: library errors are typed, here they
//! become one line for the user.

pub mod bench;
pub mod build_engine;
pub mod check_config;
pub mod detect;
pub mod doctor;
pub mod plan;
pub mod probe;
pub mod process;
pub mod run;
pub mod worker;

use frigate_buffer::config::{Config, ConfigError};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// Changes the log filter after start-up; set only when `FRIGATE_BUFFER_LOG` did not fix it.
static LOG_FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// The log filter for `level` (a directive such as `info` or `warn`); ONNX Runtime's own
/// messages stay at `warn` and above.
pub fn log_filter(level: &str) -> EnvFilter {
    EnvFilter::new(format!("{level},ort=warn"))
}

/// Lets [`load_config`] apply a configuration's `settings.log_level` through `handle`.
pub fn allow_log_level_from_config(handle: reload::Handle<EnvFilter, Registry>) {
    let _ = LOG_FILTER.set(handle);
}

/// Exit code for an error: 2 for configuration errors, 1 for the rest.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<ConfigError>()) {
        2
    } else {
        1
    }
}

/// The error and its causes on one line.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Where `run` and `worker` read their configuration: `--config`, else `$FRIGATE_BUFFER_CONFIG`,
/// else [`DEFAULT_SERVICE_CONFIG`].
pub fn service_config_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var_os("FRIGATE_BUFFER_CONFIG")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(|| PathBuf::from(DEFAULT_SERVICE_CONFIG))
}

/// The service's configuration file when none is named, where Frigate keeps its own.
pub const DEFAULT_SERVICE_CONFIG: &str = "/config/config.yml";

/// Loads the configuration file, or the defaults without one; logs its warnings, then applies
/// its `settings.log_level`.
pub fn load_config(path: Option<&Path>) -> Result<Config, ConfigError> {
    let config = match path {
        Some(path) => Config::load(path)?,
        None => Config::defaults()?,
    };
    config.log_warnings();
    if let (Some(level), Some(handle)) = (&config.log_level, LOG_FILTER.get()) {
        if let Err(err) = handle.reload(log_filter(level)) {
            tracing::warn!("cannot apply settings.log_level: {err}");
        }
    }
    Ok(config)
}
