//! Brute-force throttling of log-ins, per address and per account, with delays that double
//! with each failure beyond a few. An address is throttled hard (only the guesser is behind
//! it); an account only briefly, and not at all from an address it logged in from lately, so
//! that guessing at someone's password cannot lock them out. Bursts of failures are reported
//! once, for administrators to see.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When failures start to cost time, how fast the delay grows, and its ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    free: u32,
    max_delay: Duration,
    /// Failures at which a burst is reported (then every `alert_at` more).
    alert_at: u32,
}

/// Five free tries from an address, then 1, 2, 4 … seconds, up to five minutes.
const ADDRESS: Rule = Rule { free: 5, max_delay: Duration::from_secs(300), alert_at: 20 };
/// Ten free tries at an account from addresses it has not logged in from, then 1, 2, 4 …
/// seconds, never more than a minute: about 1,400 guesses a day at the most, while its owner
/// waits a minute at worst (and not at all from where they usually log in).
const ACCOUNT: Rule = Rule { free: 10, max_delay: Duration::from_secs(60), alert_at: 10 };
/// Failures older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(15 * 60);
/// Keys kept at most; beyond, the forgotten ones are dropped.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// When the next attempt may be made.
    fn next_try(&self, rule: Rule) -> Instant {
        if self.count < rule.free {
            return self.last;
        }
        let doublings = (self.count - rule.free).min(16);
        self.last + Duration::from_secs(1u64 << doublings).min(rule.max_delay)
    }

    fn current(&self, now: Instant) -> bool {
        now.duration_since(self.last) < MEMORY
    }
}

/// A burst of failed log-ins worth an administrator's attention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Burst {
    /// Many failures at one account, from wherever.
    Account { username: String, failures: u32 },
    /// Many failures from one address, at whichever accounts.
    Address { address: IpAddr, failures: u32 },
}

#[derive(Default)]
struct State {
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
    /// Addresses each account logged in from (kept while it keeps logging in from them).
    known: HashMap<String, HashSet<IpAddr>>,
}

#[derive(Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

impl LoginThrottle {
    /// Seconds until this address may try this account again, if it must wait.
    pub fn wait(&self, username: &str, address: IpAddr, now: Instant) -> Option<u64> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let address_ready = state.addresses.get(&address).filter(|f| f.current(now)).map(|f| f.next_try(ADDRESS));
        let known = state.known.get(username).is_some_and(|k| k.contains(&address));
        let account_ready = if known {
            None
        } else {
            state.accounts.get(username).filter(|f| f.current(now)).map(|f| f.next_try(ACCOUNT))
        };
        let ready = address_ready.into_iter().chain(account_ready).max()?;
        let wait = ready.saturating_duration_since(now);
        (!wait.is_zero()).then(|| wait.as_secs_f64().ceil() as u64)
    }

    /// Counts a failure; a burst is returned the moment it reaches a reporting threshold.
    pub fn failed(&self, username: &str, address: IpAddr, now: Instant) -> Vec<Burst> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.accounts.len() > MAX_TRACKED || state.addresses.len() > MAX_TRACKED {
            state.accounts.retain(|_, f| f.current(now));
            state.addresses.retain(|_, f| f.current(now));
        }
        let mut bursts = Vec::new();
        let account =
            count(state.accounts.entry(username.to_string()).or_insert(Failures { count: 0, last: now }), now);
        if reached(account, ACCOUNT) {
            bursts.push(Burst::Account { username: username.to_string(), failures: account });
        }
        let from = count(state.addresses.entry(address).or_insert(Failures { count: 0, last: now }), now);
        if reached(from, ADDRESS) {
            bursts.push(Burst::Address { address, failures: from });
        }
        bursts
    }

    /// A successful log-in: the address's failures are forgiven and it becomes one the account
    /// is known to log in from. The account's own failures stand (others may still be guessing).
    pub fn succeeded(&self, username: &str, address: IpAddr) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.addresses.remove(&address);
        if state.known.len() > MAX_TRACKED {
            state.known.clear();
        }
        state.known.entry(username.to_string()).or_default().insert(address);
    }
}

fn count(failures: &mut Failures, now: Instant) -> u32 {
    if !failures.current(now) {
        failures.count = 0;
    }
    failures.count += 1;
    failures.last = now;
    failures.count
}

fn reached(count: u32, rule: Rule) -> bool {
    count >= rule.alert_at && (count - rule.alert_at).is_multiple_of(rule.alert_at * 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
    const OWNER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 1, 2, 3));

    #[test]
    fn an_address_waits_longer_with_every_failure_beyond_five() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(throttle.wait("wang", ATTACKER, t0), None, "try {i} is free");
            throttle.failed(&format!("user{i}"), ATTACKER, t0);
        }
        assert_eq!(throttle.wait("anyone", ATTACKER, t0), Some(1), "after five: a second");
        throttle.failed("user5", ATTACKER, t0);
        assert_eq!(throttle.wait("anyone", ATTACKER, t0), Some(2));
        for i in 6..20 {
            throttle.failed(&format!("user{i}"), ATTACKER, t0);
        }
        assert_eq!(throttle.wait("anyone", ATTACKER, t0), Some(300), "capped at five minutes");
        assert_eq!(throttle.wait("anyone", OWNER, t0), None, "other addresses are not affected");
        let later = t0 + MEMORY + Duration::from_secs(1);
        assert_eq!(throttle.wait("anyone", ATTACKER, later), None, "forgotten after a quarter of an hour");
    }

    #[test]
    fn guessing_at_an_account_from_many_addresses_slows_but_does_not_lock_out_its_owner() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        throttle.succeeded("wang", OWNER);
        // Twenty addresses, one guess each: no address is throttled, the account is.
        for i in 0..20u8 {
            throttle.failed("wang", IpAddr::from([198, 51, 100, i]), t0);
        }
        let fresh = IpAddr::from([198, 51, 100, 200]);
        let wait = throttle.wait("wang", fresh, t0).expect("the account is throttled");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(throttle.wait("wang", OWNER, t0), None, "its owner logs in from where they usually do");
        for _ in 0..1000 {
            throttle.failed("wang", fresh, t0);
        }
        assert!(throttle.wait("wang", IpAddr::from([192, 0, 2, 1]), t0) <= Some(60), "never more than a minute");
    }

    #[test]
    fn bursts_are_reported_once_when_they_reach_the_threshold() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        let mut bursts = Vec::new();
        for i in 0..30u8 {
            bursts.extend(throttle.failed("wang", IpAddr::from([198, 51, 100, i % 3]), t0));
        }
        assert_eq!(bursts, vec![Burst::Account { username: "wang".into(), failures: 10 }]);
        let mut from_one = Vec::new();
        for i in 0..20 {
            from_one.extend(throttle.failed(&format!("u{i}"), ATTACKER, t0));
        }
        assert_eq!(from_one, vec![Burst::Address { address: ATTACKER, failures: 20 }]);
    }
}
