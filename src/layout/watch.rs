//! Change notification for the single-writer layouts ([`seqlock`](super::seqlock),
//! [`table`](super::table), layout version 7): one `watchers` word in the control
//! block that any number of watchers share, and the handshake that lets a watcher
//! sleep on it until the writer's next write without the writer paying a system
//! call when nobody watches.
//!
//! # Protocol
//!
//! - **Watcher** ([`arm`]): stores [`WATCHING`] into `watchers` (a swap), runs a
//!   SeqCst fence, then loads the version (the seqlock's `seq`, the table's
//!   `version`). If it changed since the version the watcher saw, it stops:
//!   [`Watch::Changed`]. Otherwise it sleeps in a futex wait on the word's low 32
//!   bits expecting [`WATCHING`], and looks again when that returns (woken,
//!   spuriously, or because the word no longer holds the value).
//! - **Writer** ([`take_watchers`]), after the store that publishes a write (the
//!   seqlock's even `seq`, the table's `version`): a SeqCst fence, a Relaxed load
//!   of `watchers`; 0 ends it (one load, no system call). Otherwise it swaps the
//!   word to 0 and, if the swap read non-zero, futex-wakes every waiter on it
//!   (`n` = `i32::MAX`).
//!
//! The two SeqCst fences are Dekker's handshake: either the watcher's load after
//! its fence sees the writer's publish, or the writer's load after its fence sees
//! the watcher's [`WATCHING`] (never the store-buffering outcome in which both
//! miss). A futex wait returns at once if the word no longer holds [`WATCHING`],
//! so a wake that lands between the watcher's look and its wait is not lost. The
//! loom model `tests/loom_watch.rs` checks the handshake, and fails with the
//! writer's fence weakened to Release.
//!
//! # Many watchers, and giving up
//!
//! The word is shared: it says "someone may sleep here", not who. So a watcher
//! that gives up (a dropped future) leaves it as it is: clearing it could strand
//! another watcher that announced itself on the same word and is about to sleep.
//! What that costs is one wake system call on the writer's next write, which
//! finds the word set with nobody asleep on it, then clears it; from then on its
//! writes are one load again until a watcher arms.
//!
//! Unlike the ring's waiting flags ([`WAITING_SEM`](super::ring::WAITING_SEM)), no
//! semaphore stands behind this word: a blocking wait for a change is a futex wait
//! on it too. Any non-zero value written by a peer (garbage) costs a spurious wake,
//! nothing else.

use crate::sync::{AtomicU64, Ordering, fence};

/// The value a watcher stores into `watchers` and sleeps expecting (the ring's
/// [`WAITING_WORD`](super::ring::WAITING_WORD), so one C helper wakes both).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::watch::WATCHING;
///
/// assert_eq!(WATCHING, sysv_ipc::layout::ring::WAITING_WORD);
/// ```
pub const WATCHING: u64 = super::ring::WAITING_WORD;

/// What [`arm`] found.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::watch::{self, Watch};
///
/// let (word, version) = (AtomicU64::new(0), 4);
/// assert_eq!(watch::arm(&word, || version, |v| v != 4), Watch::Armed);
/// assert_eq!(watch::arm(&word, || version, |v| v != 2), Watch::Changed(4));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Watch {
    /// The version changed: this is the one found (no sleep).
    Changed(u64),
    /// Nothing changed: sleep on the word expecting [`WATCHING`], then look again.
    Armed,
}

/// The watcher's step (module docs, "Protocol"): announces on `watchers`, runs the
/// fence, then loads the version with `load` and asks `changed` about it. The word
/// is left set either way (other watchers may share it).
///
/// `load` must only load (Relaxed is enough: the fence before it orders it).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// use sysv_ipc::layout::watch::{self, WATCHING, Watch};
///
/// let (word, seq) = (AtomicU64::new(0), AtomicU64::new(2));
/// assert_eq!(watch::arm(&word, || seq.load(Relaxed), |s| s != 2), Watch::Armed);
/// assert_eq!(word.load(Relaxed), WATCHING);
/// seq.store(4, Relaxed); // a write
/// assert!(watch::take_watchers(&word)); // its wake check: wake the word
/// assert_eq!(watch::arm(&word, || seq.load(Relaxed), |s| s != 2), Watch::Changed(4));
/// ```
pub fn arm(
    word: &AtomicU64,
    load: impl FnOnce() -> u64,
    changed: impl FnOnce(u64) -> bool,
) -> Watch {
    // A swap rather than a store, as the ring's `announce`: it reads the latest
    // value, which puts the announcement after a writer's earlier clear in loom's
    // order too. Relaxed: ordered by the fence below.
    word.swap(WATCHING, Ordering::Relaxed);
    // SeqCst: pairs with the writer's fence in `take_watchers` (module docs).
    fence(Ordering::SeqCst);
    let now = load();
    if changed(now) {
        Watch::Changed(now)
    } else {
        Watch::Armed
    }
}

/// The writer's wake check, after the store that published a write: true if a
/// watcher announced itself since the last check; the word is then cleared, and
/// the caller futex-wakes every waiter on its low half (`n` = `i32::MAX`). One
/// fence and one load when nobody watches.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// use sysv_ipc::layout::watch::{self, WATCHING};
///
/// let word = AtomicU64::new(0);
/// assert!(!watch::take_watchers(&word)); // nobody: no wake
/// word.store(WATCHING, Relaxed);
/// assert!(watch::take_watchers(&word));
/// assert_eq!(word.load(Relaxed), 0);
/// ```
#[inline]
pub fn take_watchers(word: &AtomicU64) -> bool {
    // SeqCst: pairs with the watcher's fence in `arm`: either its load of the
    // version sees the store the caller just made, or the load below sees its
    // announcement.
    fence(Ordering::SeqCst);
    // Relaxed: ordered by the fence; the swap wakes once per announcement round.
    if word.load(Ordering::Relaxed) == 0 {
        return false;
    }
    word.swap(0, Ordering::Relaxed) != 0
}
