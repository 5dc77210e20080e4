//! Change notification for the single-writer layouts ([`seqlock`](super::seqlock),
//! [`table`](super::table), layout version 7): one `watchers` word in the control
//! block that any number of watchers share, and the handshake that lets a watcher
//! sleep on it until the writer's next write without the writer paying a system
//! call when nobody watches.
//!
//! # The word
//!
//! Its low 32 bits (the futex word) are a wake epoch and a flag: bit 0
//! ([`WATCHED`]) set means "a watcher may be asleep here"; bits 1..32 count the
//! writer's wakes (wrapping). The high 32 bits are unused (the writer's wake
//! zeroes them).
//!
//! # Protocol
//!
//! - **Watcher** ([`arm`]): sets [`WATCHED`] (`fetch_or`), runs a SeqCst fence,
//!   then loads the version (the seqlock's `seq`, the table's `version`). If it
//!   changed since the version the watcher saw, it stops: [`Watch::Changed`].
//!   Otherwise it sleeps in a futex wait on the word's low half expecting the
//!   value its `fetch_or` left ([`Watch::Armed`]), and looks again when that
//!   returns (woken, spuriously, or because the word no longer holds the value).
//! - **Writer** ([`take_watchers`]), after the store that publishes a write (the
//!   seqlock's even `seq`, the table's `version`): a SeqCst fence, a Relaxed load
//!   of the word; [`WATCHED`] clear ends it (one load, no system call).
//!   Otherwise it moves the word to the next epoch with the flag clear (a CAS)
//!   and futex-wakes every waiter on it (`n` = `i32::MAX`).
//!
//! The two SeqCst fences are Dekker's handshake: either the watcher's load after
//! its fence sees the writer's publish, or the writer's load after its fence sees
//! the watcher's flag (never the store-buffering outcome in which both miss). A
//! futex wait returns at once if the word no longer holds the expected value, so
//! a wake that lands between the watcher's look and its wait is not lost.
//!
//! # Why an epoch, not a flag the writer clears
//!
//! Watchers share the word, so none may clear it (another may be about to sleep
//! on it), and one that saw a change stops with the flag still set. With a bare
//! flag (set: 2, woken: 0) that loses a wake: watcher B sets the flag and finds
//! no change; the writer writes, clears the flag and wakes nobody (B is not
//! asleep yet); watcher A arms, sets the flag again and finds the change; B's
//! futex wait then finds the word at the value it expects and sleeps through the
//! write. The loom model `seqlock_one_write_wakes_every_watcher`
//! (`tests/loom_watch.rs`) found this schedule. With the epoch, A's flag lands on
//! the new epoch, so B's wait (expecting the old one) returns at once. An epoch
//! repeats after 2^31 wakes, far more than can pass between a watcher's look and
//! its wait.
//!
//! # What the writer pays
//!
//! While nobody watches: a SeqCst fence (`lock or` on x86-64, `dmb ish` on
//! aarch64) and one load of a word on the line the writer writes anyway (the
//! seqlock's `seq`, the table's `version`). Measured on this project's shared
//! 2-vCPU VM, one `SeqLock<u64>` write: no difference within the noise with no
//! reader (5.1–6.5 ns before, 5.2–7.5 ns after, interleaved runs), 10–14 ns
//! before and 17–22 ns after with a reader polling it on the other CPU (the
//! fence waits for the store buffer to drain while the reader pulls the line
//! away). The ring's asymmetric pair (a compiler fence in the writer, a
//! `membarrier` in the watcher) would remove that cost; it needs every writer
//! process registered, which these layouts do not record yet.
//!
//! # Giving up
//!
//! A watcher that gives up (a dropped future) leaves the flag set. What that
//! costs is one CAS and one wake system call on the writer's next write, which
//! finds the flag with nobody asleep on it; from then on its writes are one load
//! again until a watcher arms.
//!
//! Unlike the ring's waiting flags, no semaphore stands behind this word: a
//! blocking wait for a change is a futex wait on it too. A value written by a
//! peer (garbage) costs a spurious wake, nothing else.
//!
//! The loom models in `tests/loom_watch.rs` check the handshake, and fail with
//! either fence weakened.

use crate::sync::{AtomicU64, Ordering, fence};

/// Bit 0 of the word: a watcher may be asleep on it (module docs, "The word").
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// use sysv_ipc::layout::watch::{self, WATCHED};
///
/// let word = AtomicU64::new(0);
/// let _ = watch::arm(&word, || 0, |_| false);
/// assert_eq!(word.load(Relaxed) & WATCHED, WATCHED);
/// ```
pub const WATCHED: u64 = 1;

/// What [`arm`] found.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::watch::{self, Watch};
///
/// let (word, version) = (AtomicU64::new(0), 4);
/// assert_eq!(watch::arm(&word, || version, |v| v != 4), Watch::Armed { expected: 1 });
/// assert_eq!(watch::arm(&word, || version, |v| v != 2), Watch::Changed(4));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Watch {
    /// The version changed: this is the one found (no sleep).
    Changed(u64),
    /// Nothing changed: sleep in a futex wait on the word's low half expecting
    /// `expected`, then look again.
    Armed {
        /// The word's low 32 bits as the announcement left them.
        expected: u32,
    },
}

/// The watcher's step (module docs, "Protocol"): sets [`WATCHED`], runs the
/// fence, then loads the version with `load` and asks `changed` about it. The
/// flag is left set either way (other watchers may share it).
///
/// `load` must only load (Relaxed is enough: the fence before it orders it).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// use sysv_ipc::layout::watch::{self, Watch};
///
/// let (word, seq) = (AtomicU64::new(0), AtomicU64::new(2));
/// assert_eq!(watch::arm(&word, || seq.load(Relaxed), |s| s != 2), Watch::Armed { expected: 1 });
/// seq.store(4, Relaxed); // a write
/// assert!(watch::take_watchers(&word)); // its wake check: wake the word
/// assert_eq!(word.load(Relaxed), 2); // the next epoch, the flag clear
/// assert_eq!(watch::arm(&word, || seq.load(Relaxed), |s| s != 2), Watch::Changed(4));
/// ```
pub fn arm(
    word: &AtomicU64,
    load: impl FnOnce() -> u64,
    changed: impl FnOnce(u64) -> bool,
) -> Watch {
    // A read-modify-write: it reads the latest epoch (the one a wait must expect),
    // and loom orders it after the writer's CAS. Relaxed: ordered by the fence.
    let announced = word.fetch_or(WATCHED, Ordering::Relaxed) | WATCHED;
    // SeqCst: pairs with the writer's fence in `take_watchers` (module docs).
    fence(Ordering::SeqCst);
    let now = load();
    if changed(now) {
        return Watch::Changed(now);
    }
    Watch::Armed {
        // The futex word: the low half (truncation intended).
        expected: announced as u32,
    }
}

/// The writer's wake check, after the store that published a write: true if a
/// watcher announced itself since the last check; the word is then at the next
/// epoch with [`WATCHED`] clear, and the caller futex-wakes every waiter on its
/// low half (`n` = `i32::MAX`). One fence and one load when nobody watches.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// use sysv_ipc::layout::watch::{self, WATCHED};
///
/// let word = AtomicU64::new(0);
/// assert!(!watch::take_watchers(&word)); // nobody: no wake
/// word.store(6 | WATCHED, Relaxed);
/// assert!(watch::take_watchers(&word));
/// assert_eq!(word.load(Relaxed), 8);
/// ```
#[inline]
pub fn take_watchers(word: &AtomicU64) -> bool {
    // SeqCst: pairs with the watcher's fence in `arm`: either its load of the
    // version sees the store the caller just made, or the load below sees its
    // flag.
    fence(Ordering::SeqCst);
    // Relaxed: ordered by the fence; only the flag decides.
    let w = word.load(Ordering::Relaxed);
    if w & WATCHED == 0 {
        return false;
    }
    next_epoch(word, w);
    true
}

/// Moves `word` (last seen as `w`, flag set) to the next epoch, flag clear: the
/// rare path of [`take_watchers`], out of line.
#[cold]
#[inline(never)]
fn next_epoch(word: &AtomicU64, mut w: u64) {
    loop {
        // The low half only: the futex word, wrapping within it.
        let next = u64::from((w as u32 & !(WATCHED as u32)).wrapping_add(2));
        // Relaxed: ordered by the fence before the load; a watcher's `fetch_or`
        // in between fails the exchange, and the retry moves from its value.
        match word.compare_exchange_weak(w, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => w = now,
        }
    }
}
