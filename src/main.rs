//! The `frigate-buffer` command line: parses arguments, sets up logging,
//! runs one command and turns its outcome into an exit code
//! (0 success, 1 runtime failure, 2 usage or configuration error).

mod cli;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Consolidates Frigate NVR events into one summary per incident.
#[derive(Parser)]
#[command(name = "frigate-buffer", version, about)]
struct Args {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    log_format: LogFormat,
    /// The command to run.
    #[command(subcommand)]
    command: Command,
}

/// Log output format.
#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: Frigate MQTT in, consolidated events out.
    Run {
        /// Configuration file [default: $FRIGATE_BUFFER_CONFIG, else /config/config.yml].
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check a configuration file: print the effective configuration as YAML (secrets masked)
    /// on stdout and the warnings on stderr; exit 2 on an error.
    CheckConfig {
        /// Configuration file [default: $FRIGATE_BUFFER_CONFIG, else /config/config.yml].
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run a cluster worker: take CE jobs from the MQTT broker's shared subscription and process them.
    Worker {
        /// Configuration file (the `cluster:` section, the broker and the shared storage)
        /// [default: $FRIGATE_BUFFER_CONFIG, else /config/config.yml].
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run the CE pipeline offline on DIR/<camera>/<clip>.mp4: sidecars, summary video, preview GIF.
    Process {
        /// The CE folder.
        dir: PathBuf,
        /// Configuration file (defaults apply without one).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print a machine-readable summary instead of progress bars.
        #[arg(long)]
        json: bool,
    },
    /// Write one clip's detection.json beside it.
    Detect {
        /// The clip.
        clip: PathBuf,
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the summary's timeline slices and crops computed from DIR/<camera>/detection.json.
    Plan {
        /// The CE folder.
        dir: PathBuf,
        /// Print JSON (the only format).
        #[arg(long)]
        json: bool,
        /// Override the primary camera.
        #[arg(long)]
        primary: Option<String>,
        /// Configuration file (timeline and crop tunables).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a clip's metadata as JSON.
    Probe {
        /// The clip.
        clip: PathBuf,
    },
    /// Report the GPU, libraries, tools and the backend each stage will use.
    Doctor {
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build the TensorRT engine of the configured detector ahead of the first event.
    BuildEngine {
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// CUDA device to build for.
        #[arg(long, default_value_t = 0)]
        device: usize,
    },
    /// Measure stage and end-to-end throughput on a CE folder.
    Bench {
        /// The CE folder (e.g. the sample made by scripts/make-sample.sh).
        dir: PathBuf,
        /// Configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Run N copies of the CE through one pipeline at once and report what the machine
        /// sustains (CEs per minute, aggregate decode rate) instead of the stage figures.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        concurrent: Option<u16>,
    },
}

/// Sets up logging on stderr. `FRIGATE_BUFFER_LOG` (a full filter) wins; without it the level is
/// `info` until a configuration's `settings.log_level` changes it (see `cli::load_config`).
fn init_logging(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let from_env = tracing_subscriber::EnvFilter::try_from_env("FRIGATE_BUFFER_LOG").ok();
    let set_by_env = from_env.is_some();
    let filter = from_env.unwrap_or_else(|| cli::log_filter("info"));
    let (filter, reload) = tracing_subscriber::reload::Layer::new(filter);
    // Colour only for a person at a terminal (and not when NO_COLOR is set); journald,
    // `docker logs` and files get plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let output = tracing_subscriber::fmt::layer()
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let output = match format {
        LogFormat::Human => output
            .with_target(false)
            .fmt_fields(frigate_buffer::log_fields::EscapingFields)
            .boxed(),
        LogFormat::Json => output.json().boxed(),
    };
    tracing_subscriber::registry().with(filter).with(output).init();
    if !set_by_env {
        cli::allow_log_level_from_config(reload);
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.log_format);
    let result = match args.command {
        Command::Run { config } => cli::run::run(&cli::service_config_path(config)),
        Command::CheckConfig { config } => cli::check_config::run(&cli::service_config_path(config)),
        Command::Worker { config } => cli::worker::run(&cli::service_config_path(config)),
        Command::Process { dir, config, json } => cli::process::run(&dir, config.as_deref(), json),
        Command::Detect { clip, config } => cli::detect::run(&clip, config.as_deref()),
        Command::Plan {
            dir,
            json: _,
            primary,
            config,
        } => cli::plan::run(&dir, primary.as_deref(), config.as_deref()),
        Command::Probe { clip } => cli::probe::run(&clip),
        Command::Doctor { config, json } => cli::doctor::run(config.as_deref(), json),
        Command::BuildEngine { config, device } => cli::build_engine::run(config.as_deref(), device),
        Command::Bench {
            dir,
            config,
            json,
            concurrent,
        } => cli::bench::run(&dir, config.as_deref(), json, concurrent),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", cli::one_line(&err));
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
