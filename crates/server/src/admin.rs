//! Operator commands for a real deployment: courts, staff accounts, passwords, and the
//! audit chain check. Every change is audited as done at the command line.

use crate::app;
use crate::config::Config;
use anyhow::{Context, bail};
use clap::Subcommand;
use court::{AuditActor, Court, NewAuditEvent, PersonName, StaffRole, User, UserId, Username};
use serde_json::json;
use std::io::BufRead;
use std::process::ExitCode;
use store::{AuditVerdict, Store};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a court.
    CreateCourt {
        /// e.g. 北京市石景山区人民法院
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "Asia/Shanghai")]
        time_zone: String,
    },
    /// List the courts.
    ListCourts,
    /// Create a staff account; prints a generated password unless one is read from stdin.
    CreateUser {
        #[arg(long)]
        username: String,
        /// The name shown in transcripts, e.g. 许1.
        #[arg(long)]
        display_name: String,
        /// admin, judge or clerk.
        #[arg(long)]
        role: String,
        /// The court's name (default: the configured court).
        #[arg(long)]
        court: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for a staff account and end its sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the staff of a court.
    ListUsers {
        /// The court's name (default: the configured court).
        #[arg(long)]
        court: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SmsCommand {
    /// List the outbox, newest first: time, status, kind, phone (masked), attempts, text.
    Outbox {
        /// The court's name (default: the configured court).
        #[arg(long)]
        court: Option<String>,
        /// Only messages in this status: queued, sending, sent, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every link of the audit chain; names the first broken row.
    Verify,
    /// Print events as JSON lines, oldest first (for the court's IT and for checks:
    /// e.g. every recording file's SHA-256 is a `recording.file` event).
    List {
        /// Only this hearing's events.
        #[arg(long)]
        hearing: Option<uuid::Uuid>,
        /// Only events of this action, e.g. `recording.file`.
        #[arg(long)]
        action: Option<String>,
    },
}

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    let store = store.as_ref();
    match command {
        AdminCommand::CreateCourt { name, time_zone } => {
            let court = app::create_court(store, &name, &time_zone, AuditActor::Cli).await?;
            println!(
                "已创建法院 court created: {} ({}) id {}",
                court.name, court.time_zone, court.id
            );
        }
        AdminCommand::ListCourts => {
            for court in store.courts().await? {
                println!("{}\t{}\t{}", court.id, court.name, court.time_zone);
            }
        }
        AdminCommand::CreateUser {
            username,
            display_name,
            role,
            court,
            password_stdin,
        } => {
            let court = find_court(store, court.as_deref().unwrap_or(&config.court.name)).await?;
            let role: StaffRole = role
                .parse()
                .map_err(|e: court::Invalid| anyhow::anyhow!(e.en))?;
            let (password, generated) = choose_password(password_stdin)?;
            let user = create_user(
                store,
                &court,
                &username,
                &display_name,
                role,
                &password,
                AuditActor::Cli,
            )
            .await?;
            println!(
                "已创建账号 account created: {} ({} {}) in {}",
                user.username,
                user.display_name,
                role.label_zh(),
                court.name
            );
            if generated {
                println!("密码 password (shown once): {password}");
            }
        }
        AdminCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let (user, _) = store
                .user_credentials(&username.trim().to_ascii_lowercase())
                .await?
                .with_context(|| format!("no staff account named {username}"))?;
            let (password, generated) = choose_password(password_stdin)?;
            set_password(store, &user, &password, AuditActor::Cli).await?;
            println!("已重置密码 password reset for {}", user.username);
            if generated {
                println!("密码 password (shown once): {password}");
            }
        }
        AdminCommand::ListUsers { court } => {
            let court = find_court(store, court.as_deref().unwrap_or(&config.court.name)).await?;
            for user in store.users(court.id).await? {
                let state = if user.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}",
                    user.username, user.display_name, user.role, state
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `sms outbox`: the messages as staff see them in the console.
pub async fn sms(config: Config, command: SmsCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    match command {
        SmsCommand::Outbox {
            court,
            status,
            limit,
        } => {
            let court = find_court(
                store.as_ref(),
                court.as_deref().unwrap_or(&config.court.name),
            )
            .await?;
            let status = match status {
                Some(raw) => Some(
                    court::SmsStatus::parse(&raw)
                        .with_context(|| format!("unknown status {raw}"))?,
                ),
                None => None,
            };
            let zone = court.time_zone.tz();
            for message in store
                .outbox(court.id, None, status, limit.clamp(1, 10_000))
                .await?
            {
                let error = message
                    .last_error
                    .as_deref()
                    .map(|e| format!("\t{e}"))
                    .unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}{}",
                    message
                        .created_at
                        .with_timezone(&zone)
                        .format("%Y-%m-%d %H:%M:%S"),
                    message.status.as_str(),
                    message.kind.as_str(),
                    sms::masked(&message.phone),
                    message.attempts,
                    message.text,
                    error
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `audit verify`: exit 0 when the chain is intact, 1 (naming the row) when not.
pub async fn audit(config: Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = store::open(config.database_url(), &config.data_dir).await?;
    match command {
        AuditCommand::Verify => match store::verify_audit(store.as_ref()).await? {
            AuditVerdict::Intact { rows } => {
                println!("审计日志完整 audit chain intact: {rows} rows verified");
                Ok(ExitCode::SUCCESS)
            }
            AuditVerdict::Broken(broken) => {
                println!(
                    "审计日志已被篡改 audit chain BROKEN at row {}: {}",
                    broken.seq, broken.reason
                );
                Ok(ExitCode::FAILURE)
            }
        },
        AuditCommand::List { hearing, action } => {
            const PAGE: i64 = 500;
            let mut after = 0;
            loop {
                let events = store.audit_events(after, PAGE).await?;
                let Some(last) = events.last() else {
                    break;
                };
                after = last.seq;
                for event in &events {
                    let wanted = hearing.is_none_or(|h| event.hearing_id.map(|id| id.0) == Some(h))
                        && action.as_deref().is_none_or(|a| a == event.action);
                    if wanted {
                        println!("{}", serde_json::to_string(event)?);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn find_court(store: &dyn Store, name: &str) -> anyhow::Result<Court> {
    store
        .court_by_name(name.trim())
        .await?
        .with_context(|| format!("no court named {name} (see `cloudcourt admin list-courts`)"))
}

/// The password from stdin, or a generated one (`true` when generated).
fn choose_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((crate::password::generate(), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    crate::password::check(&password).map_err(|e| anyhow::anyhow!(e.en))?;
    Ok((password, false))
}

/// Creates a staff account with an argon2id password hash.
pub async fn create_user(
    store: &dyn Store,
    court: &Court,
    username: &str,
    display_name: &str,
    role: StaffRole,
    password: &str,
    actor: AuditActor,
) -> anyhow::Result<User> {
    crate::password::check(password).map_err(|e| anyhow::anyhow!(e.en))?;
    let user = User {
        id: UserId::new(),
        court_id: court.id,
        username: Username::parse(username).map_err(|e| anyhow::anyhow!(e.en))?,
        display_name: PersonName::parse(display_name).map_err(|e| anyhow::anyhow!(e.en))?,
        role,
        disabled: false,
        created_at: court::to_storage_precision(chrono::Utc::now()),
    };
    let hash = crate::password::hash(password.to_owned()).await?;
    let audit = NewAuditEvent::new(
        actor,
        "user.create",
        json!({"user_id": user.id, "username": user.username, "display_name": user.display_name, "role": role}),
    )
    .court(court.id);
    match store.create_user(&user, &hash, audit).await {
        Err(store::StoreError::Conflict(store::Conflict::UsernameTaken)) => {
            bail!("the username {} is taken", user.username)
        }
        other => other?,
    }
    Ok(user)
}

/// Replaces a user's password and ends their sessions.
pub async fn set_password(
    store: &dyn Store,
    user: &User,
    password: &str,
    actor: AuditActor,
) -> anyhow::Result<()> {
    crate::password::check(password).map_err(|e| anyhow::anyhow!(e.en))?;
    let hash = crate::password::hash(password.to_owned()).await?;
    let audit = NewAuditEvent::new(
        actor,
        "user.reset_password",
        json!({"user_id": user.id, "username": user.username}),
    )
    .court(user.court_id);
    store.set_password(user.id, &hash, audit).await?;
    Ok(())
}
