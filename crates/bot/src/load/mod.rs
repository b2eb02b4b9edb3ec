//! `cloudcourt-bot load`: the load test of one node, through the real API only.
//!
//! Setup, as the court and the parties would do it: the clerk signs in, creates N cases
//! and N hearings (bench: the demo judge and the clerk) with P participants each (原告,
//! 被告, 原告代理人, 被告代理人, 第三人, then more 第三人 — never a witness, who waits
//! outside), sends the invitations (开庭通知), opens each waiting room (开放候庭) and
//! holds one live socket per hearing. Each participant asks for a join code, which the
//! clerk reads from the SMS outbox (crate::api), verifies it, confirms the court rules,
//! connects its live socket, and is admitted by the clerk (准许入庭); then the clerk
//! starts each hearing (开庭).
//!
//! The measured window (`--duration`): every hearing's clerk saves a new transcript
//! version every `--save-every`; every participant GETs the transcript, the evidence
//! list and its own hearing state (`/participant/me`) every `--poll-every`, and, like the
//! web client, refetches the transcript or the evidence list when its socket says they
//! changed; `--uploaders` participants per hearing upload a small text file through the
//! resumable evidence API. Measured: each endpoint's latency, the fan-out latency from the
//! save's answer to each participant's socket receiving the `transcript` message (and from
//! the upload's last answer to the `evidence` message), and every error (crate's
//! `record`). The report (a table, then JSON) ends the run; the exit status is 1 if any
//! error happened.

mod http;
mod live;
mod record;
mod report;

use crate::api::{Api, ParticipantSession, StaffSession};
use crate::cli::parse_duration;
use anyhow::{Context, bail};
use http::Http;
use live::{LiveConn, LiveEvent};
use record::{Recorder, signed_ms};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Semaphore, mpsc};

/// The load test's command line.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080 (a `cloudcourt demo`).
    #[arg(long)]
    pub server: String,
    /// The clerk's account: creates, opens and starts the hearings, reads the join
    /// codes, admits the participants, saves the transcripts.
    #[arg(long, env = "CLOUDCOURT_BOT_STAFF_USER", default_value = "clerk")]
    pub staff_user: String,
    /// Its password (the demo's --demo-password).
    #[arg(long, env = "CLOUDCOURT_BOT_STAFF_PASSWORD", hide_env_values = true)]
    pub staff_password: String,
    /// The judge who presides over every hearing (by username).
    #[arg(long, default_value = "judge")]
    pub judge_user: String,
    /// Concurrent hearings.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=999))]
    pub hearings: u16,
    /// Participants per hearing (each with a live socket).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=999))]
    pub participants: u16,
    /// The measured window.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// How often each hearing's clerk saves a transcript version.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub save_every: Duration,
    /// How often each participant GETs the transcript, the evidence list and its
    /// hearing state.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub poll_every: Duration,
    /// Do not refetch on `transcript` / `evidence` messages (the web client does).
    #[arg(long)]
    pub no_follow_live: bool,
    /// Participants per hearing who upload one evidence file in the window.
    #[arg(long, default_value_t = 1)]
    pub uploaders: u16,
    /// The evidence file's size.
    #[arg(long, default_value_t = 64 * 1024)]
    pub upload_bytes: usize,
    /// The size of each PATCH of the upload.
    #[arg(long, default_value_t = 32 * 1024)]
    pub chunk_bytes: usize,
    /// Hearings set up, and participants joining, at the same time.
    #[arg(long, default_value_t = 8)]
    pub setup_concurrency: usize,
    /// Leave the hearings open (waiting room, participants admitted) instead of
    /// starting them (开庭, which also starts each hearing's recording).
    #[arg(long)]
    pub no_start: bool,
    /// A pause between the setup and the window.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub settle: Duration,
    /// Also write the JSON summary to this file.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
}

/// The roles of a hearing's participants, in order; beyond five, more third parties.
const PARTIES: [(&str, &str, &str); 5] = [
    ("plaintiff", "原告", "贾"),
    ("defendant", "被告", "王"),
    ("agent", "原告代理人", "李"),
    ("agent", "被告代理人", "赵"),
    ("third_party", "第三人", "孙"),
];

/// A small xorshift generator: spreads the tasks' start times, no more.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A UTC time as RFC 3339, from seconds since the epoch (no date crate needed).
fn rfc3339(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or_default();
    let secs = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A participant as planned, then as joined.
struct Party {
    index: usize,
    id: String,
    role: String,
    name: String,
    label: String,
    phone: String,
    session: Option<ParticipantSession>,
    live: Option<LiveConn>,
    events: Option<mpsc::UnboundedReceiver<LiveEvent>>,
}

/// One hearing of the test.
struct HearingRun {
    index: usize,
    id: String,
    meeting: String,
    parties: Vec<Party>,
    clerk_live: Option<LiveConn>,
}

/// A transcript save of the window.
#[derive(Debug, Clone)]
struct Save {
    hearing: usize,
    version: i64,
    created: bool,
    sent: Instant,
    done: Instant,
}

/// A finished evidence upload of the window.
#[derive(Debug, Clone)]
struct Uploaded {
    hearing: usize,
    evidence_id: String,
    done: Instant,
}

/// What every task shares.
struct Ctx {
    args: LoadArgs,
    http: Http,
    api: Api,
    staff: StaffSession,
    recorder: Arc<Recorder>,
    /// Tells this run's cases and save ids from another run's on the same server.
    tag: u64,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct HearingCreated {
    id: String,
    meeting_number: String,
    participants: Vec<ParticipantCreated>,
}

#[derive(Deserialize)]
struct ParticipantCreated {
    id: String,
    phone: Option<String>,
}

pub async fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    if args.chunk_bytes == 0 || args.upload_bytes == 0 {
        bail!("--upload-bytes and --chunk-bytes must be at least 1");
    }
    if args.uploaders > args.participants {
        bail!("--uploaders cannot exceed --participants");
    }
    let recorder = Arc::new(Recorder::new());
    let http = Http::new(&args.server, recorder.clone())?;
    let api = Api::new(&args.server)?;
    let started_unix = unix_now();
    let staff = recorder
        .timed(
            "POST /api/v1/session",
            api.staff_login(&args.staff_user, &args.staff_password),
        )
        .await
        .context("the clerk cannot sign in: nothing to test")?;
    let tag = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        % 1_000_000;
    let ctx = Arc::new(Ctx {
        args: args.clone(),
        http,
        api,
        staff,
        recorder: recorder.clone(),
        tag,
    });
    let (judge_id, judge_name, clerk_id) = bench(&ctx).await?;

    // Setup: hearings, then the clerk's sockets, then the participants.
    let setup_started = Instant::now();
    let limit = Arc::new(Semaphore::new(args.setup_concurrency.max(1)));
    let mut tasks = Vec::new();
    for index in 0..usize::from(args.hearings) {
        let (ctx, limit, judge_id, clerk_id) = (
            ctx.clone(),
            limit.clone(),
            judge_id.clone(),
            clerk_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.ok()?;
            create_hearing(&ctx, index, &judge_id, &clerk_id).await
        }));
    }
    let mut hearings: Vec<HearingRun> = Vec::new();
    for task in tasks {
        if let Some(hearing) = task.await.ok().flatten() {
            hearings.push(hearing);
        }
    }
    tracing::info!(hearings = hearings.len(), "hearings created and opened");
    let mut tasks = Vec::new();
    for hearing in hearings {
        let (ctx, limit) = (ctx.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            clerk_socket(&ctx, hearing).await
        }));
    }
    let mut hearings = Vec::new();
    for task in tasks {
        hearings.push(task.await.context("a setup task failed")?);
    }
    let mut tasks = Vec::new();
    for hearing in &mut hearings {
        for party in std::mem::take(&mut hearing.parties) {
            let (ctx, limit) = (ctx.clone(), limit.clone());
            let (hearing_id, meeting) = (hearing.id.clone(), hearing.meeting.clone());
            tasks.push((
                hearing.index,
                tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await.ok();
                    join_party(&ctx, &hearing_id, &meeting, party).await
                }),
            ));
        }
    }
    for (index, task) in tasks {
        let party = task.await.context("a join task failed")?;
        if let Some(hearing) = hearings.iter_mut().find(|h| h.index == index) {
            hearing.parties.push(party);
        }
    }
    if !args.no_start {
        let mut tasks = Vec::new();
        for hearing in &hearings {
            let (ctx, limit, id) = (ctx.clone(), limit.clone(), hearing.id.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await.ok();
                transition(&ctx, &id, "start").await;
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    }
    let setup_seconds = setup_started.elapsed().as_secs_f64();
    let joined = hearings
        .iter()
        .flat_map(|h| &h.parties)
        .filter(|p| p.live.is_some())
        .count();
    let clerk_sockets = hearings.iter().filter(|h| h.clerk_live.is_some()).count();
    tracing::info!(
        hearings = hearings.len(),
        participants = joined,
        seconds = format!("{setup_seconds:.1}"),
        "setup done"
    );
    tokio::time::sleep(args.settle).await;

    // The window.
    recorder.start_window();
    let window_start = Instant::now();
    let window_start_unix = unix_now();
    let deadline = window_start + args.duration;
    let saves = Arc::new(Mutex::new(Vec::<Save>::new()));
    let uploads = Arc::new(Mutex::new(Vec::<Uploaded>::new()));
    let mut tasks = Vec::new();
    for hearing in &mut hearings {
        let seed = (hearing.index as u64 + 1) * 1_000_003 + ctx.tag;
        {
            let (ctx, saves, id, index) = (
                ctx.clone(),
                saves.clone(),
                hearing.id.clone(),
                hearing.index,
            );
            let speakers: Vec<(String, String)> =
                std::iter::once(("presiding_judge".to_owned(), judge_name.clone()))
                    .chain(
                        hearing
                            .parties
                            .iter()
                            .map(|p| (p.role.clone(), p.name.clone())),
                    )
                    .collect();
            tasks.push(tokio::spawn(async move {
                clerk_saves(
                    &ctx,
                    index,
                    &id,
                    speakers,
                    seed,
                    window_start,
                    deadline,
                    &saves,
                )
                .await;
            }));
        }
        for party in &mut hearing.parties {
            let Some(session) = &party.session else {
                continue;
            };
            let cookie = session.cookie.clone();
            let who = format!("h{} {}", hearing.index, party.label);
            let seed = seed + party.index as u64 * 7_919;
            {
                let (ctx, id, cookie, who) =
                    (ctx.clone(), hearing.id.clone(), cookie.clone(), who.clone());
                tasks.push(tokio::spawn(async move {
                    poll(&ctx, &id, &cookie, &who, seed, window_start, deadline).await;
                }));
            }
            if let Some(events) = party.events.take()
                && !args.no_follow_live
            {
                let (ctx, id, cookie, who) =
                    (ctx.clone(), hearing.id.clone(), cookie.clone(), who.clone());
                tasks.push(tokio::spawn(async move {
                    follow(&ctx, &id, &cookie, &who, events, deadline).await;
                }));
            }
            if party.index < usize::from(args.uploaders) {
                let (ctx, id, uploads, index, tag) = (
                    ctx.clone(),
                    hearing.id.clone(),
                    uploads.clone(),
                    hearing.index,
                    party.index,
                );
                tasks.push(tokio::spawn(async move {
                    upload(
                        &ctx,
                        index,
                        tag,
                        &id,
                        &cookie,
                        &who,
                        seed + 1,
                        window_start,
                        &uploads,
                    )
                    .await;
                }));
            }
        }
    }
    for task in tasks {
        if let Err(err) = task.await {
            recorder.error(
                "unexpected",
                format!("a window task ended abnormally: {err}"),
            );
        }
    }
    let window_seconds = window_start.elapsed().as_secs_f64();
    // Messages still on their way.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut closing = Vec::new();
    for hearing in &mut hearings {
        if let Some(live) = hearing.clerk_live.as_mut() {
            closing.push(live);
        }
        for party in &mut hearing.parties {
            if let Some(live) = party.live.as_mut() {
                closing.push(live);
            }
        }
    }
    futures_util::future::join_all(closing.into_iter().map(|live| live.close())).await;

    let saves = saves.lock().map(|s| s.clone()).unwrap_or_default();
    let uploads = uploads.lock().map(|u| u.clone()).unwrap_or_default();
    let fanout = check_fanout(&recorder, &hearings, &saves, &uploads);
    let results = report::Results {
        args: &args,
        started_unix,
        setup_seconds,
        window_start_unix,
        window_seconds,
        hearings: hearings.len(),
        participants_joined: joined,
        clerk_sockets,
        saves: saves.len(),
        versions_created: saves.iter().filter(|s| s.created).count(),
        uploads: uploads.len(),
        fanout,
        sockets: socket_totals(&hearings),
        calls: recorder.take_calls(),
        errors: recorder.errors(),
    };
    let (text, json) = report::render(&results);
    let json_text = serde_json::to_string_pretty(&json).context("writing the JSON summary")?;
    // A closed stdout (the reader went away) is no reason to fail the run.
    let _ = writeln!(
        std::io::stdout(),
        "{}\n\nJSON summary:\n{json_text}",
        text.trim_end()
    );
    if let Some(path) = &args.json_out {
        std::fs::write(path, format!("{json_text}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if recorder.error_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The presiding judge's user id and name, and the clerk's user id.
async fn bench(ctx: &Ctx) -> anyhow::Result<(String, String, String)> {
    let cookie = Some(ctx.staff.cookie.as_str());
    let (me, _) = ctx
        .http
        .json::<Value>(
            "GET /api/v1/me",
            "clerk",
            ctx.http.request(Method::GET, "/api/v1/me", cookie),
        )
        .await
        .context("reading the clerk's account")?;
    let (staff, _) = ctx
        .http
        .json::<Vec<Value>>(
            "GET /api/v1/staff",
            "clerk",
            ctx.http.request(Method::GET, "/api/v1/staff", cookie),
        )
        .await
        .context("reading the court's staff")?;
    let clerk = me["user"]["id"]
        .as_str()
        .context("GET /api/v1/me: no user id")?
        .to_owned();
    let judge = staff
        .iter()
        .find(|user| user["username"] == ctx.args.judge_user.as_str())
        .with_context(|| format!("no staff account {:?} in the court", ctx.args.judge_user))?;
    let judge_id = judge["id"]
        .as_str()
        .context("GET /api/v1/staff: no user id")?
        .to_owned();
    let judge_name = judge["display_name"]
        .as_str()
        .unwrap_or("审判长")
        .to_owned();
    Ok((judge_id, judge_name, clerk))
}

async fn transition(ctx: &Ctx, hearing_id: &str, transition: &str) -> bool {
    ctx.http
        .call(
            "POST /api/v1/hearings/{id}/transitions",
            &format!("{transition} {hearing_id}"),
            ctx.http
                .request(
                    Method::POST,
                    &format!("/api/v1/hearings/{hearing_id}/transitions"),
                    Some(&ctx.staff.cookie),
                )
                .json(&json!({"transition": transition})),
        )
        .await
        .is_some()
}

/// A case and its hearing with its participants; invitations sent; waiting room open.
async fn create_hearing(
    ctx: &Ctx,
    index: usize,
    judge_id: &str,
    clerk_id: &str,
) -> Option<HearingRun> {
    let cookie = Some(ctx.staff.cookie.as_str());
    let who = format!("h{index}");
    let (case, _) = ctx
        .http
        .json::<Created>(
            "POST /api/v1/cases",
            &who,
            ctx.http
                .request(Method::POST, "/api/v1/cases", cookie)
                .json(&json!({
                    "case_number": format!("(2026)京0107民初{}{index:03}号", ctx.tag),
                    "cause": "民间借贷纠纷",
                })),
        )
        .await?;
    let planned: Vec<(String, String, String, String)> = (0..usize::from(ctx.args.participants))
        .map(|p| {
            let (role, title, surname) = PARTIES[p.min(PARTIES.len() - 1)];
            let name = format!("{surname}{}", index * 1_000 + p + 1);
            let phone = format!("139{:02}{index:03}{p:03}", ctx.tag % 100);
            let label = format!("{title} {name}");
            (role.to_owned(), name, phone, label)
        })
        .collect();
    let scheduled = rfc3339(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            + 600,
    );
    let (hearing, _) = ctx
        .http
        .json::<HearingCreated>(
            "POST /api/v1/hearings",
            &who,
            ctx.http
                .request(Method::POST, "/api/v1/hearings", cookie)
                .json(&json!({
                    "case_id": case.id,
                    "scheduled_at": scheduled,
                    "judge_ids": [judge_id],
                    "clerk_id": clerk_id,
                    "participants": planned.iter().map(|(role, name, phone, _)| json!({
                        "name": name, "role": role, "phone": phone,
                    })).collect::<Vec<_>>(),
                })),
        )
        .await?;
    ctx.http
        .call(
            "POST /api/v1/hearings/{id}/invitations",
            &who,
            ctx.http.request(
                Method::POST,
                &format!("/api/v1/hearings/{}/invitations", hearing.id),
                cookie,
            ),
        )
        .await?;
    if !transition(ctx, &hearing.id, "open").await {
        return None;
    }
    let mut parties = Vec::new();
    for (index, (role, name, phone, label)) in planned.into_iter().enumerate() {
        let Some(created) = hearing
            .participants
            .iter()
            .find(|p| p.phone.as_deref() == Some(phone.as_str()))
        else {
            ctx.recorder.error(
                "unexpected",
                format!("POST /api/v1/hearings ({who}): {label} is missing from the answer"),
            );
            continue;
        };
        parties.push(Party {
            index,
            id: created.id.clone(),
            role,
            name,
            label,
            phone,
            session: None,
            live: None,
            events: None,
        });
    }
    Some(HearingRun {
        index,
        id: hearing.id,
        meeting: hearing.meeting_number,
        parties,
        clerk_live: None,
    })
}

/// The clerk's live socket of one hearing (the console holds one).
async fn clerk_socket(ctx: &Arc<Ctx>, mut hearing: HearingRun) -> HearingRun {
    let label = format!("h{} clerk socket", hearing.index);
    let url = match ctx.api.live_url(&hearing.id) {
        Ok(url) => url,
        Err(err) => {
            ctx.recorder.error("setup", format!("{label}: {err:#}"));
            return hearing;
        }
    };
    hearing.clerk_live = ctx
        .recorder
        .timed(
            "WS connect /api/v1/hearings/{id}/live (clerk)",
            LiveConn::connect(&url, &ctx.staff.cookie, label, ctx.recorder.clone(), None),
        )
        .await;
    hearing
}

/// One participant comes in as the web client does: code by SMS (read from the outbox
/// by the clerk), verify, court rules, live socket (waiting room), admitted by the clerk.
async fn join_party(ctx: &Arc<Ctx>, hearing_id: &str, meeting: &str, mut party: Party) -> Party {
    let recorder = &ctx.recorder;
    let Some(code) = recorder
        .timed(
            "join code: POST /api/v1/join + GET /api/v1/sms/outbox",
            ctx.api
                .join_code(&ctx.staff, hearing_id, &party.id, meeting, &party.phone),
        )
        .await
    else {
        return party;
    };
    let Some(mut session) = recorder
        .timed(
            "POST /api/v1/join/verify",
            ctx.api.verify(meeting, &party.phone, &code),
        )
        .await
    else {
        return party;
    };
    if session.me.rules_confirmed_at.is_none() {
        let Some(me) = recorder
            .timed(
                "POST /api/v1/participant/rules",
                ctx.api.confirm_rules(&session),
            )
            .await
        else {
            return party;
        };
        session.me = me;
    }
    let url = match ctx.api.live_url(hearing_id) {
        Ok(url) => url,
        Err(err) => {
            recorder.error("setup", format!("{}: {err:#}", party.label));
            return party;
        }
    };
    let (events, events_rx) = mpsc::unbounded_channel();
    let label = format!("{} ({hearing_id})", party.label);
    party.live = recorder
        .timed(
            "WS connect /api/v1/hearings/{id}/live (participant)",
            LiveConn::connect(&url, &session.cookie, label, recorder.clone(), Some(events)),
        )
        .await;
    party.events = Some(events_rx);
    if session.me.checked_in_at.is_none() {
        recorder
            .timed(
                "POST /api/v1/hearings/{id}/participants/{pid}/check-in",
                ctx.api.check_in(&ctx.staff, hearing_id, &session.me),
            )
            .await;
    }
    party.session = Some(session);
    party
}

/// A version-4-shaped UUID unique to this run, hearing and save.
fn save_id(tag: u64, hearing: usize, number: u64) -> String {
    format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        tag & 0xffff_ffff,
        hearing & 0xffff,
        number & 0xffff_ffff_ffff
    )
}

/// The clerk of one hearing saves a new version (one more entry) every `--save-every`.
#[allow(clippy::too_many_arguments)]
async fn clerk_saves(
    ctx: &Ctx,
    index: usize,
    hearing_id: &str,
    speakers: Vec<(String, String)>,
    seed: u64,
    window_start: Instant,
    deadline: Instant,
    saves: &Mutex<Vec<Save>>,
) {
    let mut rng = Rng::new(seed);
    let every = ctx.args.save_every;
    let mut next = window_start + every.mul_f64(rng.unit());
    let mut base = 0_i64;
    let mut entries: Vec<Value> = Vec::new();
    let who = format!("h{index} clerk");
    let path = format!("/api/v1/hearings/{hearing_id}/transcript");
    let mut number = 0_u64;
    while next < deadline {
        tokio::time::sleep_until(next.into()).await;
        number += 1;
        let (role, name) = &speakers[usize::try_from(number).unwrap_or(0) % speakers.len()];
        entries.push(json!({
            "role": role,
            "name": name,
            "text": format!(
                "第{number}次发言：借款人于2025年3月1日向出借人借款人民币{}元，约定2025年12月31日前归还，至今未还。",
                10_000 + number * 100
            ),
        }));
        let request = ctx
            .http
            .request(Method::PUT, &path, Some(&ctx.staff.cookie))
            .json(&json!({
                "base_version": base,
                "save_id": save_id(ctx.tag, index, number),
                "entries": entries,
            }));
        match ctx
            .http
            .json::<Value>("PUT /api/v1/hearings/{id}/transcript", &who, request)
            .await
        {
            Some((saved, answer)) => {
                let version = saved["version"].as_i64().unwrap_or(base);
                base = version;
                if let Ok(mut saves) = saves.lock() {
                    saves.push(Save {
                        hearing: index,
                        version,
                        created: saved["created"].as_bool().unwrap_or(false),
                        sent: answer.sent,
                        done: answer.done,
                    });
                }
            }
            None => {
                // Take up from the latest version, as the editor does after a conflict.
                if let Some((latest, _)) = ctx
                    .http
                    .json::<Value>(
                        "GET /api/v1/hearings/{id}/transcript (clerk)",
                        &who,
                        ctx.http
                            .request(Method::GET, &path, Some(&ctx.staff.cookie)),
                    )
                    .await
                {
                    base = latest["latest_version"].as_i64().unwrap_or(base);
                }
            }
        }
        next += every;
    }
}

async fn get(ctx: &Ctx, endpoint: &str, path: &str, cookie: &str, who: &str) {
    ctx.http
        .call(
            endpoint,
            who,
            ctx.http.request(Method::GET, path, Some(cookie)),
        )
        .await;
}

/// A participant's periodic reading: transcript, evidence list, hearing state.
async fn poll(
    ctx: &Ctx,
    hearing_id: &str,
    cookie: &str,
    who: &str,
    seed: u64,
    window_start: Instant,
    deadline: Instant,
) {
    let mut rng = Rng::new(seed);
    let every = ctx.args.poll_every;
    let mut next = window_start + every.mul_f64(rng.unit());
    let transcript = format!("/api/v1/hearings/{hearing_id}/transcript");
    let evidence = format!("/api/v1/hearings/{hearing_id}/evidence");
    while next < deadline {
        tokio::time::sleep_until(next.into()).await;
        get(
            ctx,
            "GET /api/v1/hearings/{id}/transcript",
            &transcript,
            cookie,
            who,
        )
        .await;
        get(
            ctx,
            "GET /api/v1/hearings/{id}/evidence",
            &evidence,
            cookie,
            who,
        )
        .await;
        get(
            ctx,
            "GET /api/v1/participant/me",
            "/api/v1/participant/me",
            cookie,
            who,
        )
        .await;
        next += every;
    }
}

/// Refetches what the socket says changed, as the web client's views do (several
/// messages while a fetch is under way make one more fetch).
async fn follow(
    ctx: &Ctx,
    hearing_id: &str,
    cookie: &str,
    who: &str,
    mut events: mpsc::UnboundedReceiver<LiveEvent>,
    deadline: Instant,
) {
    let transcript = format!("/api/v1/hearings/{hearing_id}/transcript");
    let evidence = format!("/api/v1/hearings/{hearing_id}/evidence");
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = tokio::time::sleep_until(deadline.into()) => None,
        };
        let Some(event) = event else { return };
        let (mut transcript_changed, mut evidence_changed) = (false, false);
        for event in std::iter::once(event).chain(std::iter::from_fn(|| events.try_recv().ok())) {
            match event {
                LiveEvent::Transcript => transcript_changed = true,
                LiveEvent::Evidence => evidence_changed = true,
            }
        }
        if transcript_changed {
            get(
                ctx,
                "GET /api/v1/hearings/{id}/transcript",
                &transcript,
                cookie,
                who,
            )
            .await;
        }
        if evidence_changed {
            get(
                ctx,
                "GET /api/v1/hearings/{id}/evidence",
                &evidence,
                cookie,
                who,
            )
            .await;
        }
    }
}

/// The evidence file: plain UTF-8 text of about `size` bytes (cut at a character).
fn evidence_text(hearing: usize, size: usize) -> Vec<u8> {
    let mut text = String::with_capacity(size + 128);
    let mut line = 0;
    while text.len() < size {
        line += 1;
        text.push_str(&format!(
            "第{hearing}号庭审证据 第{line}行：借条一张，载明借款人民币伍万元整，出借人与借款人签字确认。\n"
        ));
    }
    let mut cut = size.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.into_bytes()
}

/// A party uploads one file through the resumable API at a random moment of the
/// window's first part (上传证据 → 本地上传).
#[allow(clippy::too_many_arguments)]
async fn upload(
    ctx: &Ctx,
    index: usize,
    party: usize,
    hearing_id: &str,
    cookie: &str,
    who: &str,
    seed: u64,
    window_start: Instant,
    uploads: &Mutex<Vec<Uploaded>>,
) {
    let mut rng = Rng::new(seed);
    let at = window_start + ctx.args.duration.mul_f64(0.1 + 0.5 * rng.unit());
    tokio::time::sleep_until(at.into()).await;
    let bytes = evidence_text(index, ctx.args.upload_bytes);
    let Some((created, _)) = ctx
        .http
        .json::<Created>(
            "POST /api/v1/hearings/{id}/evidence/uploads",
            who,
            ctx.http
                .request(
                    Method::POST,
                    &format!("/api/v1/hearings/{hearing_id}/evidence/uploads"),
                    Some(cookie),
                )
                .json(&json!({
                    "file_name": format!("借条说明-{index}-{party}.txt"),
                    "size": bytes.len(),
                    "title": format!("借条说明（第{index}号庭审）"),
                    "purpose": "证明借款事实及借款金额",
                })),
        )
        .await
    else {
        return;
    };
    let path = format!("/api/v1/evidence/uploads/{}", created.id);
    let mut offset = 0;
    while offset < bytes.len() {
        let end = (offset + ctx.args.chunk_bytes).min(bytes.len());
        let last = end == bytes.len();
        let endpoint = if last {
            "PATCH /api/v1/evidence/uploads/{uid} (last chunk: store + hash)"
        } else {
            "PATCH /api/v1/evidence/uploads/{uid}"
        };
        let request = ctx
            .http
            .request(Method::PATCH, &path, Some(cookie))
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes[offset..end].to_vec());
        let Some((view, answer)) = ctx.http.json::<Value>(endpoint, who, request).await else {
            return;
        };
        if view["offset"].as_u64() != Some(end as u64) {
            ctx.recorder.error(
                "unexpected",
                format!(
                    "{endpoint} ({who}): offset {} after sending up to {end}",
                    view["offset"]
                ),
            );
            return;
        }
        if last {
            match view["evidence"]["id"].as_str() {
                Some(id) => {
                    if let Ok(mut uploads) = uploads.lock() {
                        uploads.push(Uploaded {
                            hearing: index,
                            evidence_id: id.to_owned(),
                            done: answer.done,
                        });
                    }
                }
                None => ctx.recorder.error(
                    "unexpected",
                    format!("{endpoint} ({who}): the last chunk's answer names no evidence"),
                ),
            }
        }
        offset = end;
    }
}

/// Fan-out figures, in milliseconds: from the save's answer (and from its request) to
/// each participant socket's `transcript` message, and from the upload's last answer
/// to the `evidence` message. A message that never came is an error.
pub struct Fanout {
    pub transcript_from_answer: Vec<f64>,
    pub transcript_from_request: Vec<f64>,
    pub evidence_from_answer: Vec<f64>,
    pub expected: usize,
    pub missed: usize,
}

fn check_fanout(
    recorder: &Recorder,
    hearings: &[HearingRun],
    saves: &[Save],
    uploads: &[Uploaded],
) -> Fanout {
    let mut fanout = Fanout {
        transcript_from_answer: Vec::new(),
        transcript_from_request: Vec::new(),
        evidence_from_answer: Vec::new(),
        expected: 0,
        missed: 0,
    };
    for hearing in hearings {
        let sockets = hearing
            .parties
            .iter()
            .filter_map(|p| p.live.as_ref().map(|live| (live, true)))
            .chain(hearing.clerk_live.as_ref().map(|live| (live, false)));
        for (live, participant) in sockets {
            let Ok(log) = live.log.lock() else { continue };
            for save in saves
                .iter()
                .filter(|s| s.hearing == hearing.index && s.created)
            {
                fanout.expected += 1;
                match log.transcripts.iter().find(|(v, _)| *v == save.version) {
                    Some((_, at)) if participant => {
                        fanout
                            .transcript_from_answer
                            .push(signed_ms(*at, save.done));
                        fanout
                            .transcript_from_request
                            .push(signed_ms(*at, save.sent));
                    }
                    Some(_) => {}
                    None => {
                        fanout.missed += 1;
                        recorder.error(
                            "missed_message",
                            format!(
                                "{}: no transcript message for version {}",
                                live.label, save.version
                            ),
                        );
                    }
                }
            }
            for upload in uploads.iter().filter(|u| u.hearing == hearing.index) {
                fanout.expected += 1;
                match log
                    .evidence
                    .iter()
                    .find(|(id, _)| *id == upload.evidence_id)
                {
                    Some((_, at)) if participant => {
                        fanout
                            .evidence_from_answer
                            .push(signed_ms(*at, upload.done));
                    }
                    Some(_) => {}
                    None => {
                        fanout.missed += 1;
                        recorder.error(
                            "missed_message",
                            format!(
                                "{}: no evidence message for {}",
                                live.label, upload.evidence_id
                            ),
                        );
                    }
                }
            }
            if log.pings > log.pongs + 1 {
                recorder.error(
                    "missed_message",
                    format!("{}: {} pings, {} pongs", live.label, log.pings, log.pongs),
                );
            }
        }
    }
    fanout
}

/// What the sockets saw, summed.
#[derive(Debug, Default, serde::Serialize)]
pub struct SocketTotals {
    pub connections: usize,
    pub messages: u64,
    pub pings: u64,
    pub pongs: u64,
    pub seq_gaps: u64,
}

fn socket_totals(hearings: &[HearingRun]) -> SocketTotals {
    let mut totals = SocketTotals::default();
    let sockets = hearings.iter().flat_map(|h| {
        h.parties
            .iter()
            .filter_map(|p| p.live.as_ref())
            .chain(h.clerk_live.as_ref())
    });
    for live in sockets {
        let Ok(log) = live.log.lock() else { continue };
        totals.connections += 1;
        totals.messages += log.messages;
        totals.pings += log.pings;
        totals.pongs += log.pongs;
        totals.seq_gaps += log.seq_gaps;
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_863_599), "2026-11-28T10:59:59Z");
    }

    #[test]
    fn evidence_is_text_of_the_asked_size() {
        let bytes = evidence_text(3, 1_000);
        assert!(bytes.len() <= 1_000 && bytes.len() > 990);
        assert!(std::str::from_utf8(&bytes).is_ok());
    }

    #[test]
    fn save_ids_are_uuids() {
        let id = save_id(123_456, 7, 42);
        assert_eq!(id, "0001e240-0007-4000-8000-00000000002a");
    }

    #[test]
    fn the_rng_stays_in_its_interval() {
        let mut rng = Rng::new(1);
        assert!(
            (0..1_000)
                .map(|_| rng.unit())
                .all(|x| (0.0..1.0).contains(&x))
        );
    }
}
