//! The command line: `serve`, `demo`, `admin …` and `audit verify`, with the flags that
//! override the configuration file and environment.

use crate::app::{self, AppState};
use crate::config::{Config, Overrides};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::net::TcpListener;

#[derive(Debug, Parser)]
#[command(
    name = "cloudcourt",
    version,
    about = "云法庭 cloudcourt: online court hearings"
)]
pub struct Cli {
    /// Configuration file (default: ./cloudcourt.toml when it exists).
    #[arg(long, global = true, env = "CLOUDCOURT_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the SQLite file and the blobs (default ./data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL, e.g. postgres://user@host/cloudcourt (default: SQLite in the data directory).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run the server with demo data (created on first start): a court, staff, a case and a hearing today.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// One password for all demo accounts, instead of random ones (for scripts and tests).
        #[arg(long)]
        demo_password: Option<String>,
    },
    /// Manage courts and staff accounts.
    #[command(subcommand)]
    Admin(crate::admin::AdminCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(crate::admin::AuditCommand),
    /// Read the SMS outbox.
    #[command(subcommand)]
    Sms(crate::admin::SmsCommand),
    /// Back up the database, evidence, recordings and signing key into a new directory (online).
    Backup(crate::backup::BackupArgs),
    /// Restore a backup into an empty data directory (and empty PostgreSQL database).
    Restore(crate::backup::RestoreArgs),
    /// Create a self-signed certificate and key for signing transcript PDFs (for a
    /// demo or a trial; a court configures its own as pdf.certificate and pdf.key).
    PdfKey {
        /// Where to write certificate.pem and key.pem.
        #[arg(long)]
        dir: std::path::PathBuf,
        /// The certificate's common name (the court's name by default).
        #[arg(long)]
        common_name: Option<String>,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free port).
    #[arg(long)]
    listen: Option<SocketAddr>,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let listen = match &cli.command {
        Command::Serve(args) | Command::Demo { serve: args, .. } => args.listen,
        _ => None,
    };
    let overrides = Overrides {
        listen,
        data_dir: cli.data_dir,
        database_url: cli.database_url,
    };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    match cli.command {
        Command::Serve(_) => serve(config, None).await,
        Command::Demo { demo_password, .. } => serve(config, Some(demo_password)).await,
        Command::Admin(command) => crate::admin::run(config, command).await,
        Command::Audit(command) => crate::admin::audit(config, command).await,
        Command::Sms(command) => crate::admin::sms(config, command).await,
        Command::Backup(args) => crate::backup::backup(config, args).await,
        Command::Restore(args) => crate::backup::restore(config, args).await,
        Command::PdfKey { dir, common_name } => {
            let name = common_name.unwrap_or_else(|| config.court.name.clone());
            let (certificate, key) = crate::pdf::write_self_signed(&dir, &name)?;
            println!(
                "certificate: {}\nkey:         {}\n\nIn cloudcourt.toml:\n[pdf]\ncertificate = \"{}\"\nkey = \"{}\"",
                certificate.display(),
                key.display(),
                certificate.display(),
                key.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Serves until Ctrl-C or SIGTERM; with `demo`, creates the demo data first.
async fn serve(mut config: Config, demo: Option<Option<String>>) -> anyhow::Result<ExitCode> {
    tracing::info!("configuration:\n{}", config.describe());
    let store = app::open_store(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    // Links (the SMS's client URL) need the real address when the port was picked.
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{address}"));
    }
    let base_url = config.base_url();
    match demo {
        Some(password) => {
            let report = crate::demo::ensure(store.as_ref(), &config, password).await?;
            println!("{}", report.banner(&base_url));
        }
        None => {
            if no_staff(store.as_ref()).await? {
                tracing::warn!(
                    "no staff account yet: create one with `cloudcourt admin create-user --username NAME --display-name 姓名 --role clerk`"
                );
            }
        }
    }
    let state = AppState::new(store, config)?;
    // A wrong font or key path should stop the start, not the first PDF of a hearing.
    state.pdf().await?;
    tracing::info!("cloudcourt is listening on {base_url}");
    app::launch(state, listener, app::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

async fn no_staff(store: &dyn store::Store) -> anyhow::Result<bool> {
    for court in store.courts().await? {
        if !store.users(court.id).await?.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}
