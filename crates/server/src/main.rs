//! `cloudcourt`: the online court hearing server (云法庭) and its operator commands.

use clap::Parser;
use cloudcourt::cli;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging();
    match cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("错误 error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `CLOUDCOURT_LOG` (or `RUST_LOG`) sets the filter.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("CLOUDCOURT_LOG")
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
