//! Password work bounded in memory: an argon2 check holds about 19 MiB for a few tens of
//! milliseconds, so at most `workers` run at once, each in a buffer kept for the next one
//! (the memory taken neither grows with the load nor is left to the allocator to return).
//! Others wait in a bounded queue for a short while; beyond the queue, or after the wait, the
//! platform answers that it is busy. Workers plus queue are the ceiling of log-ins in flight.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use grassroots_store::auth::{hash_password_in, verify_password_in, HashMemory};
use tokio::sync::Semaphore;

use crate::{AppError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLimits {
    /// Checks that run at once, each with its own memory.
    pub workers: usize,
    /// Checks that may wait for a worker; more are refused at once.
    pub queue: usize,
    /// How long one waits before it is refused.
    pub wait: Duration,
}

impl PasswordLimits {
    /// One worker per core (checks are CPU-bound: more would only slow each other down), a
    /// queue of 32 and a wait of three seconds: a few hundred log-ins a minute at a busy shift
    /// change pass, a flood is told to come back.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self { workers: cores.clamp(1, 16), queue: 32, wait: Duration::from_secs(3) }
    }
}

/// Seconds a refused check is told to wait.
const RETRY_AFTER_SECS: u64 = 2;

pub struct PasswordWork {
    limits: PasswordLimits,
    permits: Semaphore,
    memory: Mutex<Vec<HashMemory>>,
    /// Checks running or waiting.
    in_flight: AtomicUsize,
}

/// Counts a check out however it ends, the client's disconnection included.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordWork {
    pub fn new(limits: PasswordLimits) -> Self {
        let workers = limits.workers.max(1);
        Self {
            limits: PasswordLimits { workers, ..limits },
            permits: Semaphore::new(workers),
            memory: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Whether `password` matches the stored hash.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool> {
        let (password, hash) = (password.to_string(), hash.to_string());
        self.run(move |memory| verify_password_in(memory, &password, &hash)).await
    }

    /// A new hash of `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        self.run(move |memory| hash_password_in(memory, &password)).await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut HashMemory) -> T + Send + 'static) -> Result<T> {
        let busy = || AppError::Busy { retry_after_secs: RETRY_AFTER_SECS };
        let _counted = InFlight(&self.in_flight);
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.limits.workers + self.limits.queue {
            return Err(busy());
        }
        let permit = match tokio::time::timeout(self.limits.wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(busy()),
        };
        let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
        let (result, memory) = tokio::task::spawn_blocking(move || {
            let result = work(&mut memory);
            (result, memory)
        })
        .await
        .map_err(|e| AppError::Internal(format!("a password check failed: {e}")))?;
        self.memory.lock().unwrap_or_else(|e| e.into_inner()).push(memory);
        drop(permit);
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_is_bounded_by_the_workers_and_the_queue() {
        let limits = PasswordLimits { workers: 1, queue: 2, wait: Duration::from_secs(30) };
        let work = Arc::new(PasswordWork::new(limits));
        let hash = work.hash("correct horse").await.unwrap();
        // The one worker is busy (held here); three checks may be in flight, the rest are
        // refused at once.
        let held = work.permits.acquire().await.unwrap();
        let tries: Vec<_> = (0..8)
            .map(|_| {
                let (work, hash) = (work.clone(), hash.clone());
                tokio::spawn(async move { work.verify("wrong", &hash).await })
            })
            .collect();
        while tries.iter().filter(|t| t.is_finished()).count() < 5 || work.in_flight.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        drop(held);
        let (mut checked, mut busy) = (0, 0);
        for t in tries {
            match t.await.unwrap() {
                Ok(matched) => {
                    assert!(!matched);
                    checked += 1;
                }
                Err(AppError::Busy { retry_after_secs }) => {
                    assert!(retry_after_secs > 0);
                    busy += 1;
                }
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!((checked, busy), (3, 5));
        assert_eq!(work.memory.lock().unwrap().len(), 1, "one worker, one buffer");
        assert!(work.verify("correct horse", &hash).await.unwrap(), "free again");
        assert_eq!(work.in_flight.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_wait_longer_than_allowed_is_refused() {
        let work = PasswordWork::new(PasswordLimits { workers: 1, queue: 4, wait: Duration::from_millis(1) });
        let held = work.permits.acquire().await.unwrap();
        assert!(matches!(work.hash("x").await, Err(AppError::Busy { .. })));
        drop(held);
        assert!(work.hash("x").await.is_ok());
        assert_eq!(work.in_flight.load(Ordering::SeqCst), 0, "nobody is counted as in flight");
    }
}
