//! Sign-in throttling: after too many failures for one account or from one address,
//! further attempts are refused for a while, with the time left to wait.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts recent failures per key (`user:…`, `ip:…`).
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when any key has used up its failures; an address gets
    /// `address_factor` times the allowance, since many people may share one.
    pub fn check(&self, keys: &[(&str, u32)], now: Instant) -> Result<(), u64> {
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut wait = Duration::ZERO;
        for (key, factor) in keys {
            let Some(times) = failures.get(*key) else {
                continue;
            };
            let recent: Vec<&Instant> = times
                .iter()
                .filter(|t| now.duration_since(**t) < self.window)
                .collect();
            if recent.len() as u32 >= self.max_failures * factor {
                // Locked until the oldest counted failure leaves the window.
                if let Some(oldest) = recent.iter().min() {
                    wait = wait.max(self.window.saturating_sub(now.duration_since(**oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1))
        }
    }

    pub fn record_failure(&self, keys: &[&str], now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() > 10_000 {
            failures.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < self.window));
        }
        for key in keys {
            let times = failures.entry((*key).to_owned()).or_default();
            times.retain(|t| now.duration_since(*t) < self.window);
            times.push(now);
        }
    }

    pub fn clear(&self, key: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_allowance_and_unlocks_after_the_window() {
        let throttle = Throttle::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..3 {
            assert!(
                throttle.check(&[("user:a", 1)], start).is_ok(),
                "attempt {i}"
            );
            throttle.record_failure(&["user:a"], start);
        }
        assert_eq!(
            throttle.check(&[("user:a", 1)], start + Duration::from_secs(10)),
            Err(50)
        );
        assert!(throttle.check(&[("user:b", 1)], start).is_ok());
        assert!(
            throttle
                .check(&[("user:a", 1)], start + Duration::from_secs(61))
                .is_ok()
        );
        throttle.clear("user:a");
        assert!(throttle.check(&[("user:a", 1)], start).is_ok());
    }

    #[test]
    fn an_address_gets_a_larger_allowance() {
        let throttle = Throttle::new(2, Duration::from_secs(60));
        let now = Instant::now();
        for _ in 0..3 {
            throttle.record_failure(&["ip:1"], now);
        }
        assert!(throttle.check(&[("ip:1", 2)], now).is_ok());
        throttle.record_failure(&["ip:1"], now);
        assert!(throttle.check(&[("ip:1", 2)], now).is_err());
    }
}
