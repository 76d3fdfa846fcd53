//! Log-in rate limiting: repeated failures for one account, or from one address, are refused for
//! a while (429 with `Retry-After`), so passwords cannot be guessed at speed.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account within [`WINDOW`].
pub const PER_ACCOUNT: usize = 5;
/// Failures allowed per address within [`WINDOW`] (several people may share one address).
pub const PER_ADDRESS: usize = 20;
/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most (old ones are dropped first), so a flood cannot exhaust memory.
const MAX_KEYS: usize = 100_000;

/// Counts recent log-in failures per account and per address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// The keys an attempt counts against. The account is cut to the longest valid name (so a huge
/// made-up name cannot fill memory); an IPv6 address counts by its /64 network, which one
/// household or attacker usually holds whole.
fn keys(account: &str, address: &str) -> [(String, usize); 2] {
    let account: String = account.trim().to_lowercase().chars().take(40).collect();
    let address = match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.chars().take(64).collect(),
    };
    [(format!("account:{account}"), PER_ACCOUNT), (format!("address:{address}"), PER_ADDRESS)]
}

impl LoginLimiter {
    /// `Err(wait)` when the account or address has failed too often lately.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        self.check_at(account, address, Instant::now())
    }

    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut failures) = self.failures.lock() else { return Ok(()) };
        let mut wait = Duration::ZERO;
        for (key, limit) in keys(account, address) {
            if let Some(times) = failures.get_mut(&key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= limit
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(WINDOW - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.max(Duration::from_secs(1))) }
    }

    /// Records a failed attempt.
    pub fn failed(&self, account: &str, address: &str) {
        self.failed_at(account, address, Instant::now());
    }

    fn failed_at(&self, account: &str, address: &str, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            if failures.len() >= MAX_KEYS {
                // Still full of recent entries (a flood): start again rather than grow.
                failures.clear();
            }
        }
        for (key, limit) in keys(account, address) {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// After a log-in succeeds: forgets the account's failures, and takes back the attempt
    /// counted against the address (attempts are counted before the password is checked).
    pub fn succeeded(&self, account: &str, address: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            let [(account_key, _), (address_key, _)] = keys(account, address);
            failures.remove(&account_key);
            if let Some(times) = failures.get_mut(&address_key) {
                times.pop_back();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_an_account_for_the_window() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for attempt in 0..PER_ACCOUNT {
            assert!(limiter.check_at("Rita", "10.0.0.1", start).is_ok(), "attempt {attempt}");
            limiter.failed_at("rita", "10.0.0.1", start);
        }
        let wait = limiter.check_at("rita", "10.0.0.2", start + Duration::from_secs(60)).unwrap_err();
        assert_eq!(wait, WINDOW - Duration::from_secs(60));
        assert!(limiter.check_at("carl", "10.0.0.1", start).is_ok(), "another account from the same address");
        assert!(limiter.check_at("rita", "10.0.0.1", start + WINDOW).is_ok(), "after the window");
    }

    #[test]
    fn one_address_trying_many_accounts_is_stopped() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for n in 0..PER_ADDRESS {
            limiter.failed_at(&format!("user{n}"), "10.0.0.9", now);
        }
        assert!(limiter.check_at("someone-else", "10.0.0.9", now).is_err());
        assert!(limiter.check_at("someone-else", "10.0.0.8", now).is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let limiter = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            limiter.failed("rita", "10.0.0.1");
        }
        limiter.succeeded("rita", "10.0.0.1");
        assert!(limiter.check("rita", "10.0.0.3").is_ok());
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for n in 0..PER_ADDRESS {
            limiter.failed_at(&format!("user{n}"), &format!("2001:db8:1:2::{n:x}"), now);
        }
        assert!(limiter.check_at("someone", "2001:db8:1:2:ffff::1", now).is_err());
        assert!(limiter.check_at("someone", "2001:db8:1:3::1", now).is_ok());
    }
}
