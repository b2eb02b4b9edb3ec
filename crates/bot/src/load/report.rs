//! The load test's report: a table of REST latency by endpoint (window, then setup),
//! the fan-out latency, the sockets and the errors, for people; and the same as JSON
//! (`format_version` 1) for `bench/load.py`.

use super::record::{Calls, ErrorRecord, Phase, Summary, summarize};
use super::{Fanout, LoadArgs, SocketTotals};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Everything the run measured.
pub struct Results<'a> {
    pub args: &'a LoadArgs,
    pub started_unix: f64,
    pub setup_seconds: f64,
    pub window_start_unix: f64,
    pub window_seconds: f64,
    pub hearings: usize,
    pub participants_joined: usize,
    pub clerk_sockets: usize,
    pub saves: usize,
    pub versions_created: usize,
    pub uploads: usize,
    pub fanout: Fanout,
    pub sockets: SocketTotals,
    pub calls: BTreeMap<(Phase, String), Calls>,
    pub errors: Vec<ErrorRecord>,
}

/// The most errors listed one by one (all are counted).
const LISTED_ERRORS: usize = 100;

fn ms(calls: &Calls) -> Vec<f64> {
    calls.micros.iter().map(|m| *m as f64 / 1_000.0).collect()
}

fn summary_json(summary: Option<Summary>) -> Value {
    summary.map_or(Value::Null, |s| json!(s))
}

fn row(out: &mut String, phase: &str, name: &str, count: usize, errors: u64, s: Option<Summary>) {
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    let _ = writeln!(
        out,
        "{phase:<7} {name:<66} {count:>7} {errors:>6} {:>8} {:>8} {:>8} {:>8}",
        cell(s.map(|s| s.p50_ms)),
        cell(s.map(|s| s.p95_ms)),
        cell(s.map(|s| s.p99_ms)),
        cell(s.map(|s| s.max_ms)),
    );
}

/// The text table and the JSON summary.
pub fn render(r: &Results<'_>) -> (String, Value) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cloudcourt load: {} hearings × {} participants ({} joined, {} clerk sockets), window {:.1} s, setup {:.1} s",
        r.hearings,
        r.args.participants,
        r.participants_joined,
        r.clerk_sockets,
        r.window_seconds,
        r.setup_seconds
    );
    let _ = writeln!(
        out,
        "\n{:<7} {:<66} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8}",
        "phase", "REST endpoint (latency in ms)", "count", "errors", "p50", "p95", "p99", "max"
    );
    let mut rest = Map::new();
    let mut window_requests = 0;
    for phase in [Phase::Window, Phase::Setup] {
        let mut endpoints = Map::new();
        for ((_, endpoint), calls) in r.calls.iter().filter(|((p, _), _)| *p == phase) {
            let summary = summarize(&ms(calls));
            row(
                &mut out,
                phase.as_str(),
                endpoint,
                calls.micros.len(),
                calls.failed,
                summary,
            );
            if phase == Phase::Window {
                window_requests += calls.micros.len();
            }
            let mut entry = match summary_json(summary) {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            entry.insert("errors".into(), json!(calls.failed));
            entry.insert("count".into(), json!(calls.micros.len()));
            endpoints.insert(endpoint.clone(), Value::Object(entry));
        }
        rest.insert(phase.as_str().into(), Value::Object(endpoints));
    }
    let per_second = if r.window_seconds > 0.0 {
        window_requests as f64 / r.window_seconds
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "window: {window_requests} REST calls, {per_second:.1} per second"
    );

    let fan = &r.fanout;
    let transcript_answer = summarize(&fan.transcript_from_answer);
    let transcript_request = summarize(&fan.transcript_from_request);
    let evidence_answer = summarize(&fan.evidence_from_answer);
    let _ = writeln!(
        out,
        "\n{:<7} {:<66} {:>7} {:>6} {:>8} {:>8} {:>8} {:>8}",
        "",
        "fan-out to the participants' sockets (ms)",
        "count",
        "missed",
        "p50",
        "p95",
        "p99",
        "max"
    );
    let missed = u64::try_from(fan.missed).unwrap_or(u64::MAX);
    row(
        &mut out,
        "window",
        "transcript message after the save's answer",
        fan.transcript_from_answer.len(),
        missed,
        transcript_answer,
    );
    row(
        &mut out,
        "window",
        "transcript message after the save's request was sent",
        fan.transcript_from_request.len(),
        missed,
        transcript_request,
    );
    row(
        &mut out,
        "window",
        "evidence message after the upload's last answer",
        fan.evidence_from_answer.len(),
        missed,
        evidence_answer,
    );
    let _ = writeln!(
        out,
        "\ntranscript: {} saves, {} versions created; evidence: {} uploads finished",
        r.saves, r.versions_created, r.uploads
    );
    let s = &r.sockets;
    let _ = writeln!(
        out,
        "sockets: {} held, {} messages received, {} pings / {} pongs, {} sequence gaps; deliveries checked: {} expected, {} missed",
        s.connections, s.messages, s.pings, s.pongs, s.seq_gaps, fan.expected, fan.missed
    );
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for error in &r.errors {
        *by_kind.entry(error.kind).or_default() += 1;
    }
    if r.errors.is_empty() {
        let _ = writeln!(out, "errors: none");
    } else {
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(out, "errors: {} ({})", r.errors.len(), kinds.join(", "));
        for error in r.errors.iter().take(20) {
            let _ = writeln!(
                out,
                "  {:>7.1} s {:<6} {:<15} {}",
                error.at_s,
                error.phase.as_str(),
                error.kind,
                error.what
            );
        }
        if r.errors.len() > 20 {
            let _ = writeln!(out, "  … and {} more (see the JSON)", r.errors.len() - 20);
        }
    }

    let a = r.args;
    let json = json!({
        "format_version": 1,
        "server": a.server,
        "config": {
            "hearings": a.hearings,
            "participants": a.participants,
            "duration_seconds": a.duration.as_secs_f64(),
            "save_every_seconds": a.save_every.as_secs_f64(),
            "poll_every_seconds": a.poll_every.as_secs_f64(),
            "follow_live": !a.no_follow_live,
            "uploaders_per_hearing": a.uploaders,
            "upload_bytes": a.upload_bytes,
            "chunk_bytes": a.chunk_bytes,
            "started": !a.no_start,
        },
        "started_unix": r.started_unix,
        "setup_seconds": r.setup_seconds,
        "window": {"start_unix": r.window_start_unix, "seconds": r.window_seconds},
        "hearings": r.hearings,
        "participants_joined": r.participants_joined,
        "clerk_sockets": r.clerk_sockets,
        "rest": Value::Object(rest),
        "window_requests": window_requests,
        "window_requests_per_second": (per_second * 10.0).round() / 10.0,
        "fanout_ms": {
            "transcript_from_save_answer": summary_json(transcript_answer),
            "transcript_from_save_request": summary_json(transcript_request),
            "evidence_from_upload_answer": summary_json(evidence_answer),
        },
        "deliveries": {"expected": fan.expected, "missed": fan.missed},
        "transcript": {"saves": r.saves, "versions_created": r.versions_created},
        "evidence_uploads": r.uploads,
        "websockets": s,
        "errors": {
            "total": r.errors.len(),
            "by_kind": by_kind,
            "list": r.errors.iter().take(LISTED_ERRORS).collect::<Vec<_>>(),
        },
    });
    (out, json)
}
