//! Striped per-user locks: requests of one user that run a read-modify-write transaction on
//! the same documents (quota counter, user document) queue inside the instance instead of
//! colliding in the store. Correctness never depends on this lock (the store transaction is
//! what makes counters exact across instances); it removes contention retries when one user
//! fires many requests at one instance (Cloud Run concurrency, the all-in-one server).

use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard};

/// Number of stripes; two users share a stripe with probability 1/64.
pub const STRIPES: usize = 64;

/// A fixed set of async mutexes chosen by hashing the uid.
#[derive(Debug)]
pub struct UserLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for UserLocks {
    fn default() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl UserLocks {
    /// Waits for and takes the stripe of `uid`.
    pub async fn lock(&self, uid: &str) -> MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        uid.hash(&mut h);
        self.stripes[(h.finish() as usize) % STRIPES].lock().await
    }
}
