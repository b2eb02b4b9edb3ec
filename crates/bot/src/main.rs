//! `cloudcourt-bot`: a headless hearing participant on str0m, for load tests, the SFU
//! benchmark and browser tests. Each `--phone` becomes one bot that joins the hearing
//! through the real API (join code by SMS, read back from the outbox by a staff
//! account), confirms the court rules, is admitted, publishes a looped VP8 + Opus clip
//! over WebRTC, receives what the SFU forwards, and reports what it measured. Ctrl-C
//! (or SIGTERM) ends every bot cleanly (`media.leave`) and still prints the report.
//! With `--janus URL --room N` the same bots join a Janus VideoRoom instead (crate::janus),
//! for the side-by-side SFU benchmark (`bench/sfu.py`). `cloudcourt-bot load` is the
//! one-node load test of the REST API and the live sockets (crate::load).

mod api;
mod cli;
mod clip;
mod janus;
mod latency;
mod load;
mod pacing;
mod report;
mod session;
mod signalling;

use anyhow::Context;
use api::{Api, ParticipantSession, ParticipantView, StaffSession, masked};
use clap::Parser;
use cli::{Cli, ReportFormat, national_phone};
use report::{BotReport, Outcome, Report};
use session::{Media, SessionConfig, Window};
use signalling::{LiveSignalling, Signalling};
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// What every bot of the run shares.
struct Run {
    api: Api,
    staff: StaffSession,
    meeting: String,
    hearing_id: String,
    participants: Vec<ParticipantView>,
    admit: bool,
    admission_timeout: Duration,
    session: SessionConfig,
    media: Media,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "cloudcourt_bot=info,warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cloudcourt-bot: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("cloudcourt-bot: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_clips(cli: &Cli) -> anyhow::Result<Media> {
    let video = match &cli.video {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
            clip::read_ivf(&bytes)
                .with_context(|| format!("read the VP8 clip {}", path.display()))?
        }
        None => clip::read_ivf(clip::DEFAULT_VIDEO).context("read the built-in VP8 clip")?,
    };
    let audio = match &cli.audio {
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
            clip::read_ogg_opus(&bytes)
                .with_context(|| format!("read the Opus clip {}", path.display()))?
        }
        None => clip::read_ogg_opus(clip::DEFAULT_AUDIO).context("read the built-in Opus clip")?,
    };
    let seconds = |clip: &clip::Clip| clip.duration_ticks() as f64 / f64::from(clip.clock_rate);
    tracing::info!(
        video = format!("{:.2} s, {} frames", seconds(&video), video.frames.len()),
        audio = format!("{:.2} s, {} frames", seconds(&audio), audio.frames.len()),
        "clips"
    );
    Ok(Media::new(audio, video))
}

/// The local address that reaches `host` (what the host candidate announces when the
/// socket is bound to every interface); loopback when it cannot be found out.
async fn route_to(host: Option<&str>) -> IpAddr {
    let fallback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let Some(host) = host else {
        return fallback;
    };
    let Ok(mut addrs) = tokio::net::lookup_host((host, 9)).await else {
        return fallback;
    };
    let Some(target) = addrs.next() else {
        return fallback;
    };
    let unspecified: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    // A connected UDP socket sends nothing; it only asks the kernel for the route.
    std::net::UdpSocket::bind(unspecified)
        .and_then(|socket| {
            socket.connect(target)?;
            socket.local_addr()
        })
        .map_or(fallback, |local| local.ip())
}

/// Ctrl-C or SIGTERM: every bot ends cleanly.
fn watch_signals(stop: watch::Sender<bool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
        tracing::info!("stopping: every bot leaves");
        let _ = stop.send(true);
    });
}

/// The instant of a time given in seconds since the Unix epoch.
fn instant_at(unix_seconds: f64) -> anyhow::Result<Instant> {
    let at = Duration::try_from_secs_f64(unix_seconds)
        .map(|since| UNIX_EPOCH + since)
        .with_context(|| format!("--window-start {unix_seconds} is no time"))?;
    let (now, now_instant) = (SystemTime::now(), Instant::now());
    Ok(match at.duration_since(now) {
        Ok(ahead) => now_instant + ahead,
        Err(past) => now_instant
            .checked_sub(past.duration())
            .unwrap_or(now_instant),
    })
}

/// The report in the chosen format, with the measuring window's figures if there is one.
fn output(report: &Report, format: ReportFormat, window: Option<&Window>) -> String {
    match (format, window) {
        (ReportFormat::Json, None) => report.json(),
        (ReportFormat::Json, Some(window)) => {
            let mut json: serde_json::Value =
                serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
            json["window"] = window.json();
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| report.json())
        }
        (ReportFormat::Text, None) => report.text(),
        (ReportFormat::Text, Some(window)) => format!("{}{}\n", report.text(), window.text()),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(cli::Command::Load(args)) = cli.command {
        return load::run(args).await;
    }
    // Each bot: its phone (a Janus feed id with --janus) and whether it publishes.
    let mut bots: Vec<(String, bool)> = cli
        .phones
        .iter()
        .map(|p| (national_phone(p), !cli.no_publish))
        .collect();
    bots.extend(cli.subscribers.iter().map(|p| (national_phone(p), false)));
    for (i, (phone, _)) in bots.iter().enumerate() {
        if bots[..i].iter().any(|(other, _)| other == phone) {
            // A second connection of one participant replaces the first one's.
            anyhow::bail!(
                "--phone {} is given twice: one bot per participant",
                masked(phone)
            );
        }
    }
    let mut media = load_clips(&cli)?;
    if let (Some(start), Some(length)) = (cli.window_start, cli.window) {
        media.window = Some(Window::new(instant_at(start)?, length));
    }
    let bind = cli.bind_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if let (Some(url), Some(room)) = (&cli.janus, cli.room) {
        let client = janus::JanusClient::new(url)?;
        let host = reqwest::Url::parse(client.base())
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned));
        let candidate_ip = if bind.is_unspecified() {
            route_to(host.as_deref()).await
        } else {
            bind
        };
        let run = Arc::new(janus::JanusRun {
            client: Arc::new(client),
            room,
            session: SessionConfig {
                publish: !cli.no_publish,
                duration: cli.duration,
                bind,
                candidate_ip,
            },
            media,
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        watch_signals(stop_tx);
        let handles: Vec<_> = bots
            .into_iter()
            .map(|(feed, publish)| {
                let task = tokio::spawn(janus::bot(
                    run.clone(),
                    feed.clone(),
                    publish,
                    stop_rx.clone(),
                ));
                (feed, task)
            })
            .collect();
        let reports = collect(handles).await;
        let report = Report::new(
            run.client.base(),
            &room.to_string(),
            cli.duration.as_secs_f64(),
            reports,
        );
        return Ok(finish(&report, cli.report, run.media.window.as_ref()));
    }
    let (Some(server), Some(meeting), Some(staff_user), Some(staff_password)) = (
        cli.server.as_deref(),
        cli.meeting.as_deref(),
        cli.staff_user.as_deref(),
        cli.staff_password.as_deref(),
    ) else {
        anyhow::bail!(
            "give --server, --meeting, --staff-user and --staff-password (or --janus and --room)"
        );
    };
    let api = Api::new(server)?;
    let staff = api.staff_login(staff_user, staff_password).await?;
    let mut hearing = api.hearing_by_meeting(&staff, meeting).await?;
    if hearing.state == "scheduled" {
        if cli.open {
            api.open_hearing(&staff, &hearing.id).await?;
            hearing.state = "open".into();
            tracing::info!(meeting = %meeting, "opened the waiting room");
        } else if cli.admit {
            anyhow::bail!(
                "hearing {meeting} is only scheduled: nobody can be admitted before its waiting room opens (open it in the console, or pass --open)"
            );
        }
    }
    let participants = api.participants(&staff, &hearing.id).await?;
    let candidate_ip = if bind.is_unspecified() {
        route_to(api.host()).await
    } else {
        bind
    };
    let run = Arc::new(Run {
        api,
        staff,
        meeting: meeting.to_owned(),
        hearing_id: hearing.id.clone(),
        participants,
        admit: cli.admit,
        admission_timeout: cli.admission_timeout,
        session: SessionConfig {
            publish: !cli.no_publish,
            duration: cli.duration,
            bind,
            candidate_ip,
        },
        media,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    watch_signals(stop_tx);
    let handles: Vec<_> = bots
        .into_iter()
        .map(|(phone, publish)| {
            let task = tokio::spawn(bot(run.clone(), phone.clone(), publish, stop_rx.clone()));
            (phone, task)
        })
        .collect();
    let reports = collect(handles).await;
    let report = Report::new(
        run.api.base(),
        &run.meeting,
        cli.duration.as_secs_f64(),
        reports,
    );
    Ok(finish(&report, cli.report, run.media.window.as_ref()))
}

/// Waits for every bot's report.
async fn collect(bots: Vec<(String, tokio::task::JoinHandle<BotReport>)>) -> Vec<BotReport> {
    let mut reports = Vec::new();
    for (phone, handle) in bots {
        reports.push(handle.await.unwrap_or_else(|err| {
            let mut report = BotReport::new(&phone);
            report.error = Some(format!("the bot's task ended abnormally: {err}"));
            report
        }));
    }
    reports
}

/// Prints the report; the exit status says whether every bot got through.
fn finish(report: &Report, format: ReportFormat, window: Option<&Window>) -> ExitCode {
    let output = output(report, format, window);
    // A closed stdout (the reader went away) is no reason to fail the run.
    let _ = writeln!(std::io::stdout(), "{}", output.trim_end());
    if report.total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One bot from start to end; its report, whatever happens.
async fn bot(
    run: Arc<Run>,
    phone: String,
    publish: bool,
    mut stop: watch::Receiver<bool>,
) -> BotReport {
    let started = Instant::now();
    let mut report = BotReport::new(&phone);
    match bot_steps(&run, &phone, publish, started, &mut stop, &mut report).await {
        Ok(outcome) => report.outcome = outcome,
        Err(err) => {
            let message = format!("{err:#}");
            tracing::error!(phone = %masked(&phone), error = %message, "bot failed");
            report.outcome = Outcome::Failed;
            report.error = Some(message);
        }
    }
    report
}

async fn bot_steps(
    run: &Run,
    phone: &str,
    publish: bool,
    started: Instant,
    stop: &mut watch::Receiver<bool>,
    report: &mut BotReport,
) -> anyhow::Result<Outcome> {
    if *stop.borrow() {
        return Ok(Outcome::Stopped);
    }
    let session = tokio::select! {
        session = join(run, phone) => session?,
        _ = stop.changed() => return Ok(Outcome::Stopped),
    };
    let me = &session.me;
    report.participant_id = Some(me.participant_id.clone());
    report.name = Some(me.name.clone());
    report.role = Some(me.role.clone());
    tracing::info!(phone = %masked(phone), participant = %me.participant_id, name = %me.name, "joined");

    let log = Arc::new(run.media.new_log());
    run.media.registry.register(&me.participant_id, log.clone());
    let mut signalling =
        LiveSignalling::new(run.api.live_url(&me.hearing_id)?, session.cookie.clone());
    signalling.connect().await?;
    let config = SessionConfig {
        publish,
        ..run.session.clone()
    };
    let outcome = session::run(
        &mut signalling,
        &run.media,
        &config,
        log,
        report,
        started,
        stop,
    )
    .await;
    // Leave in every case, so the SFU frees the peer at once.
    if let Err(err) = signalling.leave().await {
        tracing::debug!(error = %err, "leave");
    }
    outcome
}

/// Joins as the participant with `phone`: code, session, rules, admission.
async fn join(run: &Run, phone: &str) -> anyhow::Result<ParticipantSession> {
    let shown = masked(phone);
    let participant = run
        .participants
        .iter()
        .find(|p| p.phone.as_deref().map(national_phone).as_deref() == Some(phone))
        .with_context(|| {
            format!(
                "no participant of hearing {} has the phone {shown} (add them in the console first)",
                run.meeting
            )
        })?;
    if participant.role == "witness" {
        tracing::warn!(phone = %shown, "a witness gets no media until called in: this bot will be refused");
    }
    let code = run
        .api
        .join_code(
            &run.staff,
            &run.hearing_id,
            &participant.id,
            &run.meeting,
            phone,
        )
        .await?;
    let mut session = run.api.verify(&run.meeting, phone, &code).await?;
    if session.me.rules_confirmed_at.is_none() {
        session.me = run.api.confirm_rules(&session).await?;
    }
    if session.me.checked_in_at.is_some() {
        return Ok(session);
    }
    if run.admit {
        run.api
            .check_in(&run.staff, &run.hearing_id, &session.me)
            .await?;
        return Ok(session);
    }
    tracing::info!(phone = %shown, name = %session.me.name, "waiting to be admitted");
    let deadline = Instant::now() + run.admission_timeout;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let me = run.api.me(&session).await?;
        if me.checked_in_at.is_some() {
            session.me = me;
            return Ok(session);
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "{} ({shown}) was not admitted within {} s: admit them in the clerk's console, or pass --admit",
                session.me.name,
                run.admission_timeout.as_secs()
            );
        }
    }
}
