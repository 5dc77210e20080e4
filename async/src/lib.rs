//! Futures for `sysv-ipc`'s objects, for any async runtime (tokio, smol, ...):
//! built on [`core::task::Waker`] alone.
//!
//! # How a wait costs nothing
//!
//! A blocking call parks on a System V semaphore, which no event loop can wait
//! on. A future here instead arms its side of the layout (`arm_wake`, see
//! [`sysv_ipc::wake`]) and hands the flag word to a **reactor**: a few threads, one
//! per 127 waiting futures, each asleep in one `futex_waitv(2)` (Linux 5.16) on
//! all of its words at once. The peer, blocking or not, Rust or C, clears the word
//! after its next move and futex-wakes it; the reactor thread wakes the task's
//! [`Waker`](core::task::Waker). Nothing polls: an idle process with pending
//! futures sleeps in the kernel. A side whose peer makes moves while nobody
//! waits pays nothing for this (the flag check it always ran).
//!
//! | what | cost |
//! |---|---|
//! | a pending future | one entry in a reactor thread's wait (no thread of its own) |
//! | threads | one per 127 futures waiting at once, made when first needed, kept |
//! | arming (about to sleep) | the queue's park barrier: `membarrier` on an asymmetric queue, as a blocking call's park |
//! | a wake | the peer's `futex(FUTEX_WAKE)` (only when a future waits), the reactor's return from `futex_waitv`, one `Waker::wake` |
//! | peer checks | a future whose wait lasts its side's `peer_check` (default 100 ms) wakes, looks at the peer's role (`semctl`), and waits again without re-arming |
//!
//! A future whose peer dies resolves with [`ErrorKind::PeerDied`](sysv_ipc::ErrorKind)
//! within the peer-check interval (after taking what the peer committed).
#![deny(missing_docs)]

pub mod queue;
mod reactor;

pub use reactor::ReactorStats;

/// The process's reactor counters: its threads, and its waits so far.
///
/// # Examples
///
/// ```
/// let s = sysv_ipc_async::reactor_stats();
/// assert!(s.woken + s.timed_out <= s.waits);
/// ```
pub fn reactor_stats() -> ReactorStats {
    reactor::reactor().stats()
}
