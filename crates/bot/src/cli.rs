//! The command line: which server and hearing, which phones (one bot each), the staff
//! account that reads the join codes (and admits the bots with `--admit`), how long, what
//! to publish, and the report's format; or, for the SFU benchmark, a Janus VideoRoom
//! (`--janus URL --room N`) instead of a cloudcourt hearing.

use clap::{Parser, ValueEnum};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A headless hearing participant: joins a cloudcourt hearing as one or more
/// participants (one per --phone), publishes a looped VP8 + Opus clip, receives
/// everything the SFU forwards, and reports packets, loss and forwarding latency.
/// With --janus and --room it does the same in a Janus VideoRoom (the benchmark's peer).
#[derive(Debug, Parser)]
#[command(
    name = "cloudcourt-bot",
    version,
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// `load`: the one-node load test instead of media bots.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, required_unless_present = "janus", conflicts_with = "janus")]
    pub server: Option<String>,
    /// The hearing's meeting number (会议号, 8 digits).
    #[arg(long, required_unless_present = "janus", conflicts_with = "janus")]
    pub meeting: Option<String>,
    /// Instead of a cloudcourt server: Janus's HTTP API, e.g. http://10.77.0.1:8088/janus
    /// (each bot is then a VideoRoom participant whose feed id is its --phone's digits).
    #[arg(long, requires = "room")]
    pub janus: Option<String>,
    /// The Janus VideoRoom to join (with --janus).
    #[arg(long, requires = "janus")]
    pub room: Option<u64>,
    /// A participant's registered phone; one bot per phone (repeat the flag).
    #[arg(long = "phone", required_unless_present = "subscribers")]
    pub phones: Vec<String>,
    /// A participant's phone whose bot only receives (as --no-publish, for that bot
    /// alone; repeat the flag).
    #[arg(long = "subscriber")]
    pub subscribers: Vec<String>,
    /// The staff account that reads the join codes from the SMS outbox (and admits
    /// the bots with --admit), e.g. clerk.
    #[arg(
        long,
        env = "CLOUDCOURT_BOT_STAFF_USER",
        required_unless_present = "janus"
    )]
    pub staff_user: Option<String>,
    /// Its password (better in the environment than on the command line).
    #[arg(
        long,
        env = "CLOUDCOURT_BOT_STAFF_PASSWORD",
        hide_env_values = true,
        required_unless_present = "janus"
    )]
    pub staff_password: Option<String>,
    /// Admit the bots (准许入庭) as the staff account; without it each bot waits until
    /// someone admits it in the console.
    #[arg(long)]
    pub admit: bool,
    /// Open the hearing's waiting room (开放候庭) first if it is only scheduled.
    #[arg(long)]
    pub open: bool,
    /// How long to exchange media, counted from each bot's connection: 30s, 2m, 500ms, 1h.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// How long a bot waits to be admitted (without --admit).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub admission_timeout: Duration,
    /// Subscribe only: publish nothing.
    #[arg(long)]
    pub no_publish: bool,
    /// The report on stdout (logs go to stderr).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub report: ReportFormat,
    /// The local address of the media sockets (default: every interface, announcing
    /// the address that reaches the server).
    #[arg(long)]
    pub bind_ip: Option<IpAddr>,
    /// A VP8 clip (IVF) to publish instead of the built-in one.
    #[arg(long)]
    pub video: Option<PathBuf>,
    /// An Opus clip (Ogg) to publish instead of the built-in one.
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// Also count what arrives (and what is sent) from this moment, in seconds since the
    /// Unix epoch (fractions allowed), for --window: the report's `window` (the SFU
    /// benchmark's fixed measuring window).
    #[arg(long, requires = "window")]
    pub window_start: Option<f64>,
    /// The measuring window's length (with --window-start).
    #[arg(long, requires = "window_start", value_parser = parse_duration)]
    pub window: Option<Duration>,
}

/// What else the tool does.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Load test of one node: N hearings × P participants joining through the API,
    /// their live sockets held, the clerk saving the transcript, the parties reading it
    /// and uploading evidence; prints REST and fan-out latency percentiles and every error.
    Load(crate::load::LoadArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
    Text,
}

/// Parses `30s`, `2m`, `1h`, `500ms` or plain seconds (`30`, `1.5`).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration (e.g. 30s, 2m, 500ms)"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1_000.0,
        "m" | "min" | "mins" => value * 60.0,
        "h" => value * 3_600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {raw:?} (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("{raw:?}: {err}"))
}

/// A phone as the server keeps it: digits only, without +86 or 0086.
pub fn national_phone(raw: &str) -> String {
    let compact: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1_500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3_600)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("1e400").is_err());
    }

    #[test]
    fn phones_compare_as_the_server_keeps_them() {
        assert_eq!(national_phone("+86 138-0000-0001"), "13800000001");
        assert_eq!(national_phone("008613800000001"), "13800000001");
        assert_eq!(national_phone("13800000001"), "13800000001");
    }

    #[test]
    fn the_cli_takes_several_phones() {
        let cli = Cli::try_parse_from([
            "cloudcourt-bot",
            "--server",
            "http://127.0.0.1:1",
            "--meeting",
            "12345678",
            "--phone",
            "13800000001",
            "--phone",
            "13800000002",
            "--staff-user",
            "clerk",
            "--staff-password",
            "pw",
            "--duration",
            "5s",
            "--report",
            "json",
        ])
        .expect("parses");
        assert_eq!(cli.phones.len(), 2);
        assert_eq!(cli.duration, Duration::from_secs(5));
        assert_eq!(cli.report, ReportFormat::Json);
        assert!(!cli.admit && !cli.no_publish);
        assert!(cli.janus.is_none() && cli.window.is_none());
    }

    #[test]
    fn load_is_a_subcommand_of_its_own() {
        let cli = Cli::try_parse_from([
            "cloudcourt-bot",
            "load",
            "--server",
            "http://127.0.0.1:1",
            "--staff-password",
            "pw",
            "--hearings",
            "3",
        ])
        .expect("parses");
        let Some(Command::Load(load)) = cli.command else {
            panic!("not the load command");
        };
        assert_eq!((load.hearings, load.participants), (3, 5));
        assert_eq!(load.duration, Duration::from_secs(60));
        assert_eq!(load.staff_user, "clerk");
        assert!(
            Cli::try_parse_from([
                "cloudcourt-bot",
                "load",
                "--server",
                "http://x",
                "--staff-password",
                "pw",
                "--hearings",
                "0"
            ])
            .is_err(),
            "no hearings"
        );
    }

    #[test]
    fn janus_needs_a_room_and_no_staff() {
        let cli = Cli::try_parse_from([
            "cloudcourt-bot",
            "--janus",
            "http://10.77.0.1:8088/janus",
            "--room",
            "3",
            "--phone",
            "3001",
            "--subscriber",
            "3002",
            "--window-start",
            "1764000000.5",
            "--window",
            "30s",
        ])
        .expect("parses");
        assert_eq!(cli.room, Some(3));
        assert_eq!(cli.subscribers, ["3002"]);
        assert_eq!(cli.window_start, Some(1_764_000_000.5));
        assert_eq!(cli.window, Some(Duration::from_secs(30)));
        assert!(cli.server.is_none() && cli.staff_user.is_none());
        assert!(
            Cli::try_parse_from([
                "cloudcourt-bot",
                "--janus",
                "http://x/janus",
                "--phone",
                "1"
            ])
            .is_err(),
            "no room"
        );
        assert!(
            Cli::try_parse_from([
                "cloudcourt-bot",
                "--server",
                "http://127.0.0.1:1",
                "--meeting",
                "12345678",
                "--phone",
                "1",
                "--staff-user",
                "clerk",
                "--staff-password",
                "pw",
                "--window-start",
                "1"
            ])
            .is_err(),
            "a window start without a length"
        );
    }
}
