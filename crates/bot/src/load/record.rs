//! What the load test measures, shared by every task: each REST call's latency by
//! endpoint and phase (setup, or the measured window), and every error with its kind
//! and the moment it happened. Percentile summaries of signed millisecond samples.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When a call was made: while hearings are being set up and joined, or inside the
/// measured window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Setup,
    Window,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Window => "window",
        }
    }
}

/// One error: an HTTP status ≥ 400, a failed request, a dropped socket, a gap in a
/// socket's sequence numbers, a message that never came.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorRecord {
    pub phase: Phase,
    pub kind: &'static str,
    pub what: String,
    /// Seconds since the run started.
    pub at_s: f64,
}

/// The latencies (µs) and failures of one endpoint in one phase.
#[derive(Debug, Default)]
pub struct Calls {
    pub micros: Vec<u64>,
    pub failed: u64,
}

pub struct Recorder {
    started: Instant,
    in_window: AtomicBool,
    calls: Mutex<BTreeMap<(Phase, String), Calls>>,
    errors: Mutex<Vec<ErrorRecord>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            in_window: AtomicBool::new(false),
            calls: Mutex::new(BTreeMap::new()),
            errors: Mutex::new(Vec::new()),
        }
    }

    /// From now on calls count as the measured window's.
    pub fn start_window(&self) {
        self.in_window.store(true, Ordering::SeqCst);
    }

    pub fn phase(&self) -> Phase {
        if self.in_window.load(Ordering::SeqCst) {
            Phase::Window
        } else {
            Phase::Setup
        }
    }

    pub fn call(&self, phase: Phase, endpoint: &str, elapsed: Duration, ok: bool) {
        let mut calls = lock(&self.calls);
        let entry = calls.entry((phase, endpoint.to_owned())).or_default();
        entry
            .micros
            .push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        if !ok {
            entry.failed += 1;
        }
    }

    pub fn error(&self, kind: &'static str, what: impl Into<String>) {
        let what = what.into();
        tracing::warn!(kind, what = %what, "error");
        lock(&self.errors).push(ErrorRecord {
            phase: self.phase(),
            kind,
            what,
            at_s: self.started.elapsed().as_secs_f64(),
        });
    }

    /// Times a step of the setup made through the bot's own API client; a failure is
    /// recorded (kind `setup`) with the step's message.
    pub async fn timed<T>(
        &self,
        endpoint: &str,
        step: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> Option<T> {
        let phase = self.phase();
        let sent = Instant::now();
        let outcome = step.await;
        self.call(phase, endpoint, sent.elapsed(), outcome.is_ok());
        match outcome {
            Ok(value) => Some(value),
            Err(err) => {
                self.error("setup", format!("{endpoint}: {err:#}"));
                None
            }
        }
    }

    pub fn take_calls(&self) -> BTreeMap<(Phase, String), Calls> {
        std::mem::take(&mut *lock(&self.calls))
    }

    pub fn errors(&self) -> Vec<ErrorRecord> {
        lock(&self.errors).clone()
    }

    pub fn error_count(&self) -> usize {
        lock(&self.errors).len()
    }
}

/// Percentiles of millisecond samples (signed: a fan-out message may beat the HTTP
/// answer it follows).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// Nearest-rank percentiles; `None` without samples.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    let mut sorted: Vec<f64> = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let max = *sorted.last()?;
    let at = |p: f64| {
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    };
    let round = |ms: f64| (ms * 1_000.0).round() / 1_000.0;
    Some(Summary {
        count: sorted.len(),
        p50_ms: round(at(50.0)),
        p95_ms: round(at(95.0)),
        p99_ms: round(at(99.0)),
        max_ms: round(max),
        mean_ms: round(sorted.iter().sum::<f64>() / sorted.len() as f64),
    })
}

/// `later − earlier` in milliseconds, negative when `later` came first.
pub fn signed_ms(later: Instant, earlier: Instant) -> f64 {
    match later.checked_duration_since(earlier) {
        Some(after) => after.as_secs_f64() * 1_000.0,
        None => -(earlier.duration_since(later).as_secs_f64() * 1_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let summary = summarize(&samples).expect("samples");
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50_ms, 50.0);
        assert_eq!(summary.p95_ms, 95.0);
        assert_eq!(summary.p99_ms, 99.0);
        assert_eq!(summary.max_ms, 100.0);
        assert_eq!(summary.mean_ms, 50.5);
        assert!(summarize(&[]).is_none());
        let one = summarize(&[-2.5]).expect("one");
        assert_eq!((one.p50_ms, one.p99_ms, one.max_ms), (-2.5, -2.5, -2.5));
    }

    #[test]
    fn signed_differences_keep_their_sign() {
        let a = Instant::now();
        let b = a + Duration::from_millis(5);
        assert!((signed_ms(b, a) - 5.0).abs() < 1e-9);
        assert!((signed_ms(a, b) + 5.0).abs() < 1e-9);
    }

    #[test]
    fn calls_are_kept_by_phase_and_endpoint() {
        let recorder = Recorder::new();
        recorder.call(Phase::Setup, "GET /x", Duration::from_millis(1), true);
        recorder.start_window();
        assert_eq!(recorder.phase(), Phase::Window);
        recorder.call(Phase::Window, "GET /x", Duration::from_millis(2), false);
        recorder.error("http", "GET /x: 500");
        let calls = recorder.take_calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[&(Phase::Window, "GET /x".to_owned())].failed, 1);
        assert_eq!(recorder.errors()[0].phase, Phase::Window);
    }
}
