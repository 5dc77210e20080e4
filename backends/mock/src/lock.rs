//! The one lock around the model's state: `std::sync::Mutex` (+ `Condvar` for
//! blocking calls) with the `std` feature, a spin lock without it.
//!
//! The kernel has finer locks (per object, plus an rwsem per id table); one lock
//! for the whole model is enough because every call is short and none sleeps while
//! holding it (a blocked call waits on the condvar, which releases the lock).

#[cfg(not(feature = "std"))]
pub(crate) use spin::{Guard, Lock};
#[cfg(feature = "std")]
pub(crate) use std_lock::{Guard, Lock};

#[cfg(feature = "std")]
mod std_lock {
    extern crate std;
    use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
    use std::time::Instant;

    /// The state behind a mutex, and the condvar every blocked call waits on.
    pub(crate) struct Lock<T> {
        mutex: Mutex<T>,
        cv: Condvar,
    }

    pub(crate) type Guard<'a, T> = MutexGuard<'a, T>;

    impl<T> Lock<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self {
                mutex: Mutex::new(value),
                cv: Condvar::new(),
            }
        }

        pub(crate) fn lock(&self) -> Guard<'_, T> {
            // The model never panics while holding the lock, but a test thread
            // that panics in a callback must not turn every later call into a
            // panic: the state is consistent at every unlock, so take it back.
            self.mutex.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Releases the lock until notified (or `deadline` passes), then retakes it.
        pub(crate) fn wait<'a>(
            &'a self,
            guard: Guard<'a, T>,
            deadline: Option<Instant>,
        ) -> Guard<'a, T> {
            match deadline {
                None => self.cv.wait(guard).unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    match self.cv.wait_timeout(guard, left) {
                        Ok((g, _)) => g,
                        Err(p) => p.into_inner().0,
                    }
                }
            }
        }

        pub(crate) fn notify_all(&self) {
            self.cv.notify_all();
        }
    }
}

#[cfg(not(feature = "std"))]
mod spin {
    use core::cell::UnsafeCell;
    use core::ops::{Deref, DerefMut};
    use core::sync::atomic::{AtomicBool, Ordering};

    /// A test-and-test-and-set spin lock: enough for a model whose critical
    /// sections are short and never block.
    pub(crate) struct Lock<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the value is only reached through a `Guard`, and at most one guard
    // exists at a time (the `locked` flag is taken with Acquire and released with
    // Release), so sharing the lock shares `T` only as a mutex shares it.
    unsafe impl<T: Send> Sync for Lock<T> {}

    pub(crate) struct Guard<'a, T> {
        lock: &'a Lock<T>,
    }

    impl<T> Lock<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }

        pub(crate) fn lock(&self) -> Guard<'_, T> {
            loop {
                // Acquire: pairs with the Release store in `Guard::drop`, so the
                // previous holder's writes to `value` are visible to us.
                if self
                    .locked
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return Guard { lock: self };
                }
                while self.locked.load(Ordering::Relaxed) {
                    core::hint::spin_loop();
                }
            }
        }

        pub(crate) fn notify_all(&self) {}
    }

    impl<T> Deref for Guard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: this guard holds the lock, so no other reference to the
            // value exists until it is dropped.
            unsafe { &*self.lock.value.get() }
        }
    }

    impl<T> DerefMut for Guard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: this guard holds the lock and is borrowed mutably, so this is
            // the only reference to the value.
            unsafe { &mut *self.lock.value.get() }
        }
    }

    impl<T> Drop for Guard<'_, T> {
        fn drop(&mut self) {
            // Release: publishes our writes to `value`; pairs with the Acquire in
            // `Lock::lock`.
            self.lock.locked.store(false, Ordering::Release);
        }
    }
}
