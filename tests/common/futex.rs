//! A futex on loom for the models of asynchronous waiters (`tests/loom.rs`,
//! `tests/loom_broadcast.rs`). Included with `#[path]`: not a test target of its
//! own.

use loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use loom::sync::{Condvar, Mutex};

/// `wait` sleeps while the word holds `expected`, its look at the word and its
/// sleep one step under the lock, as the kernel's hash-bucket lock makes them;
/// `wake` takes the lock. So a waker that changed the word before `wake` either
/// is seen by the look or wakes the sleep: what futex(2) promises, and nothing
/// more (no spurious returns here, which only help).
#[derive(Default)]
pub struct Futex {
    lock: Mutex<()>,
    cv: Condvar,
}

impl Futex {
    pub fn wait(&self, word: &AtomicU64, expected: u64) {
        let g = self.lock.lock().unwrap();
        // Relaxed: the lock orders it against the waker's change and wake.
        if word.load(Relaxed) == expected {
            drop(self.cv.wait(g).unwrap());
        }
    }

    pub fn wake(&self) {
        let _g = self.lock.lock().unwrap();
        self.cv.notify_all();
    }
}
