//! Parking a blocking call on a semaphore, and waking the peer parked on another:
//! the [`Parking`] the ring-level blocking calls take, for every kind.
//!
//! A park waits at most the role's `peer_check` (if set) and at most what is left
//! of the call's timeout (if set). When a wait runs out it asks the [`Peer`]
//! whether it died: [`ErrorKind::PeerDied`] if so; otherwise the end of the
//! call's time is [`ErrorKind::TimedOut`], and the end of a check interval a
//! spurious return (the ring re-checks and parks again).

use core::sync::atomic::AtomicU64;
use core::time::Duration;

use crate::abi::MEMBARRIER_CMD_GLOBAL_EXPEDITED;
use crate::clock;
use crate::layout::ring::Parking;
use crate::role::{RoleSettings, Seat};
use crate::sem::{SemOp, SemSet};
use crate::{Backend, Call, Errno, Error, ErrorKind, Result};

/// Wakes every asynchronous waiter on `word` (one at most on a ring's flag, which
/// belongs to one role; any number on a seqlock's or table's `watchers` word),
/// which its waker just cleared or moved to its next epoch. Best effort, as a post is: the value is
/// committed whatever happens, and a waiter whose wake is lost here (`EFAULT`
/// cannot happen on a word we just wrote) would still see the cleared word at its
/// next look.
pub(crate) fn wake_word<B: Backend>(backend: &B, word: &AtomicU64) {
    let _ = backend.futex_wake(crate::layout::ring::word_low_half(word), i32::MAX);
}

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

/// A parked call's semaphore error, `EINVAL` as [`ErrorKind::Removed`]: the role
/// already used this set, so the id is gone. A set removed while the caller is
/// parked wakes it with `EIDRM`, but one removed while it is stopped (Ctrl-Z,
/// whose `EINTR` parks again) is gone by the next park, and `semop` on an id that
/// is gone says `EINVAL` (as `poll::until` found).
#[cold]
pub(crate) fn gone_is_removed(e: Error) -> Error {
    if e.errno() == Some(Errno::INVAL) && e.kind() == ErrorKind::InvalidArgument {
        e.with_kind(ErrorKind::Removed)
    } else {
        e
    }
}

/// Whom a parked call waits for, and how it learns that they died.
///
/// One peer's [`Seat`] today (the other side of a single-producer
/// single-consumer ring). A kind that waits for many peers (a lossless
/// broadcast's writer waiting for its slowest live reader) implements it over
/// its set of seats: "dead" then means "no live peer left to wait for".
pub(crate) trait Peer {
    /// Whether the peer died holding its role (a role never claimed, or
    /// released cleanly, is not a death: a new peer may come).
    fn died<B: Backend>(&self, sems: &SemSet<B>) -> Result<bool>;
}

impl Peer for Seat<'_> {
    #[inline]
    fn died<B: Backend>(&self, sems: &SemSet<B>) -> Result<bool> {
        self.abandoned(sems)
    }
}

/// Which semaphores a blocking call parks on and wakes, and whose death ends it.
#[derive(Clone, Copy)]
pub(crate) struct Lane<P: Peer> {
    /// The semaphore this side parks on.
    pub(crate) own: u16,
    /// The semaphore the peer parks on, which this side posts to wake it.
    pub(crate) wake: u16,
    /// Whose death ends the wait.
    pub(crate) peer: P,
}

/// What a non-blocking call needs of the semaphores: a post to wake a parked
/// peer (two words, where a [`SemPark`] is eight: its construction was
/// measurable on every one-message call).
pub(crate) struct PeerWake<'a, B: Backend> {
    sems: &'a SemSet<B>,
    peer: u16,
}

impl<'a, B: Backend> PeerWake<'a, B> {
    /// Posts to semaphore `peer` of `sems` to wake.
    #[inline]
    pub(crate) const fn new(sems: &'a SemSet<B>, peer: u16) -> Self {
        PeerWake { sems, peer }
    }
}

impl<B: Backend> Parking for PeerWake<'_, B> {
    type Error = Error;

    // Non-blocking calls never park (only `block_on` does).
    fn park(&mut self) -> Result<()> {
        Err(error(ErrorKind::WouldBlock))
    }

    fn unpark_peer(&mut self) {
        // The message is committed whatever happens here; a set removed meanwhile
        // is reported to the peer by its own semop, and ERANGE (a peer posted to
        // SEMVMX) means it is awake anyway.
        let _ = self.sems.op(&[SemOp::post(self.peer)]);
    }

    fn wake_word(&mut self, word: &AtomicU64) {
        wake_word(self.sems.backend(), word);
    }

    // Run by an asynchronous waiter's `arm`, which announces without parking, and
    // by `SemPark`'s parks.
    fn heavy_barrier(&mut self) -> Result<()> {
        // The peer process registered when it claimed its role
        // (`Role::register_for`), so its running threads get the IPI; see
        // `layout::ring`.
        self.sems
            .backend()
            .membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0)
            .map(drop)
            .map_err(|e| Error::from_errno(Call::Membarrier, e))
    }
}

/// What an asynchronous waiter's arm and disarm need: the peer's wake (and the
/// heavy barrier) of [`PeerWake`], and the take-back of a post the peer sent for
/// a withdrawn announcement (on semaphore `own`, as [`SemPark`] takes it back).
pub(crate) struct ArmWake<'a, B: Backend> {
    wake: PeerWake<'a, B>,
    own: u16,
}

impl<'a, B: Backend> ArmWake<'a, B> {
    /// Wakes the peer on `peer`, takes posts back from `own`.
    pub(crate) const fn new(sems: &'a SemSet<B>, peer: u16, own: u16) -> Self {
        ArmWake {
            wake: PeerWake::new(sems, peer),
            own,
        }
    }
}

impl<B: Backend> Parking for ArmWake<'_, B> {
    type Error = Error;

    fn park(&mut self) -> Result<()> {
        Err(error(ErrorKind::WouldBlock))
    }

    fn unpark_peer(&mut self) {
        self.wake.unpark_peer();
    }

    fn wake_word(&mut self, word: &AtomicU64) {
        self.wake.wake_word(word);
    }

    fn heavy_barrier(&mut self) -> Result<()> {
        self.wake.heavy_barrier()
    }

    fn absorb_wake(&mut self) {
        // As `SemPark::absorb_wake`: EAGAIN leaves a post still on its way for
        // the next park, which it wakes once.
        let _ = self.wake.sems.op(&[SemOp::wait(self.own).nowait()]);
    }
}

/// Parks on our semaphore, wakes the peer's, with a deadline and peer checks (see
/// the [module docs](self)).
pub(crate) struct SemPark<'a, B: Backend, P: Peer = Seat<'a>> {
    /// The set, and the post that wakes the peer.
    wake: PeerWake<'a, B>,
    own: u16,
    peer: P,
    /// Longest single wait before the peer is looked at; `None`: no limit.
    peer_check: Option<Duration>,
    /// `EINTR` fails the call (`true`) or is a spurious return that parks again.
    interruptible: bool,
    /// The whole call's timeout.
    timeout: Option<Duration>,
    /// Whether the last park was ended by a post: parking again means the post
    /// brought nothing (see `park`).
    woken: bool,
    /// `CLOCK_MONOTONIC` at the call's first round that found nothing to do: read
    /// then, not on entry, so a call that succeeds at once reads no clock.
    start: Option<Duration>,
    /// What was left of `timeout` at this round's [`Parking::check_deadline`],
    /// which the round's park (if any) then waits for: one clock read per round.
    left: Option<Duration>,
}

impl<'a, B: Backend, P: Peer> SemPark<'a, B, P> {
    /// A blocking call's parking on `lane` of `sems`, with `settings`' peer
    /// check and EINTR policy, for at most `timeout` (`None`: until woken).
    #[inline]
    pub(crate) fn new(
        sems: &'a SemSet<B>,
        lane: Lane<P>,
        settings: RoleSettings,
        timeout: Option<Duration>,
    ) -> Self {
        SemPark {
            wake: PeerWake::new(sems, lane.wake),
            own: lane.own,
            peer: lane.peer,
            peer_check: settings.peer_check,
            interruptible: settings.interruptible,
            timeout,
            woken: false,
            start: None,
            left: None,
        }
    }

    /// What is left of the call's timeout (`None`: it has none), starting the
    /// clock at the call's first round that found nothing to do.
    fn remaining(&mut self) -> Result<Option<Duration>> {
        let Some(timeout) = self.timeout else {
            return Ok(None);
        };
        let now = clock::now(self.wake.sems.backend())
            .map_err(|e| Error::from_errno(Call::ClockGettime, e))?;
        let start = *self.start.get_or_insert(now);
        // Elapsed time rather than a deadline: `start + timeout` could overflow.
        Ok(Some(timeout.saturating_sub(now.saturating_sub(start))))
    }

    /// After a wait ran out: [`ErrorKind::PeerDied`] if the peer is dead.
    fn check_peer(&self) -> Result<()> {
        if self.peer.died(self.wake.sems).map_err(gone_is_removed)? {
            return Err(error(ErrorKind::PeerDied));
        }
        Ok(())
    }
}

impl<B: Backend, P: Peer> Parking for SemPark<'_, B, P> {
    type Error = Error;

    fn check_deadline(&mut self) -> Result<()> {
        self.left = self.remaining()?;
        if self.left.is_some_and(|r| r.is_zero()) {
            self.check_peer()?;
            return Err(error(ErrorKind::TimedOut).after(self.timeout.unwrap_or_default()));
        }
        Ok(())
    }

    fn park(&mut self) -> Result<()> {
        // Woken, and parking again: the post brought nothing to do. It may be a
        // peer process's death (the `SEM_UNDO` post a broadcast reader or an mpsc
        // producer arms, applied by the kernel at its exit), which only the peer
        // check tells: look now, once, then let the ring re-check.
        if core::mem::take(&mut self.woken) {
            self.check_peer()?;
            return Ok(());
        }
        // `block_on` ran `check_deadline` in this round, just before (the clock
        // was read there, and what was left is not zero); read it here otherwise.
        let remaining = match self.left.take() {
            Some(left) => Some(left),
            None => {
                self.check_deadline()?;
                self.left.take()
            }
        };
        let wait = match (remaining, self.peer_check) {
            (Some(r), Some(c)) => Some(r.min(c)),
            (r, c) => r.or(c),
        };
        let op = [SemOp::wait(self.own)];
        let r = match wait {
            None => self.wake.sems.op(&op),
            Some(w) => self.wake.sems.op_timeout(&op, w),
        };
        match r {
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                self.check_peer()?;
                if wait == remaining {
                    // The whole remainder ran out: the call's time is up.
                    Err(e.after(self.timeout.unwrap_or_default()))
                } else {
                    // A check interval ran out: the ring re-checks and parks again.
                    Ok(())
                }
            }
            // A stop (SIGSTOP, Ctrl-Z, a ptrace attach) ends a parked semop with
            // EINTR as a handler does, and nothing tells the two apart: unless the
            // caller asked to be interrupted, it is a spurious return. The ring
            // re-checks, and `check_deadline` keeps a timed call to its deadline.
            Err(e) if e.kind() == ErrorKind::Interrupted && !self.interruptible => Ok(()),
            Ok(()) => {
                self.woken = true;
                Ok(())
            }
            r => r.map_err(gone_is_removed),
        }
    }

    fn unpark_peer(&mut self) {
        self.wake.unpark_peer();
    }

    fn wake_word(&mut self, word: &AtomicU64) {
        self.wake.wake_word(word);
    }

    fn heavy_barrier(&mut self) -> Result<()> {
        self.wake.heavy_barrier()
    }

    fn absorb_wake(&mut self) {
        // The peer's post for a park we did not make: take it back if it has
        // arrived. EAGAIN (still on its way) leaves it for the next park, which it
        // wakes once; any other error is the next semop's to report.
        let _ = self.wake.sems.op(&[SemOp::wait(self.own).nowait()]);
    }
}
