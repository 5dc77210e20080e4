#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod mpsc;
pub mod queue;
mod reactor;
mod wait;

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
