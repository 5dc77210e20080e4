//! What every future shares between its attempts: the yields, the arm and the
//! registration, and what a fired registration means.

use core::task::{Context, Poll};

use sysv_ipc::wake::PeerSeat;
use sysv_ipc::{Error, ErrorKind, Result, SendError};

use crate::reactor::{Fired, Registration, reactor};

/// What a side does between its attempts: the operations both futures share.
pub(crate) trait Side {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>>;
    fn disarm(&mut self);
    fn check_peer(&mut self) -> Result<()>;
    fn peer_check(&self) -> Option<core::time::Duration>;
    /// The one seat whose holder's death ends the wait, if there is one (the
    /// reactor watches it); `None`: the task checks at every interval.
    fn peer_seat(&self) -> Option<PeerSeat>;
    fn spins(&self) -> u32;
}

/// What the last wait says before the next attempt.
enum Resume {
    /// Nothing ended yet: stay registered (`Pending`).
    Waiting(Registration),
    /// Attempt the operation (woken, or first poll).
    Attempt,
    /// The peer died: one last attempt, then this error.
    Died(Error),
}

/// Looks at the wait of `side` left by the last poll. A wait that timed out runs
/// the peer check; if the peer lives and the word was not woken meanwhile, it
/// waits again without attempting (nothing changed).
fn resume<S: Side>(side: &mut S, wait: Option<Registration>, cx: &Context<'_>) -> Result<Resume> {
    let Some(reg) = wait else {
        return Ok(Resume::Attempt);
    };
    match reg.fired() {
        Fired::Pending if reg.set_waker(cx.waker()) => Ok(Resume::Waiting(reg)),
        Fired::Pending | Fired::Woken => Ok(Resume::Attempt),
        Fired::TimedOut => match side.check_peer() {
            Err(e) if e.kind() == ErrorKind::PeerDied => Ok(Resume::Died(e)),
            Err(e) => Err(e),
            // Alive, and the word not woken since: the same wait again.
            Ok(()) if reg.rearm(side.peer_check(), cx.waker()) => Ok(Resume::Waiting(reg)),
            Ok(()) => Ok(Resume::Attempt),
        },
    }
}

fn register<S: Side>(
    side: &S,
    addr: *const u32,
    expected: u32,
    cx: &Context<'_>,
) -> Result<Registration> {
    reactor()
        .register(
            addr,
            expected,
            side.peer_check(),
            side.peer_seat(),
            cx.waker(),
        )
        // A thread the system would not start (EAGAIN: its thread limit).
        .map_err(|_| Error::new(ErrorKind::LimitReached))
}

/// Spin hints a blocking call's spins count per yield of a future: a yield (a
/// trip through the executor and back to `poll`, about 0.6 µs here) lasts about
/// as long as 16 spin hints (37 ns each here), so the default 256 spins give 16
/// yields, about as long a look as a blocking call's spin before it parks.
const SPINS_PER_YIELD: u32 = 16;

/// Looks a future makes in place, with a spin hint between them, before its
/// looks through the executor: 16 spin hints (about 0.6 µs here) hold the
/// executor no longer than a trip through it, and catch a peer that answers
/// within that (a stream's other side) without any round through the executor.
const INLINE_SPINS: u32 = 16;

/// After an attempt found nothing to do: first looks again a few times through
/// the executor (`Ok(None)` with the task woken at once: a peer that answers
/// within a blocking call's spin is caught without a system call, as the spin
/// catches it), then arms and registers (`Ok(Some)`: wait), or `Ok(None)` if the
/// peer moved meanwhile (attempt again).
fn arm<S: Side>(side: &mut S, yields: &mut u32, cx: &Context<'_>) -> Result<Next> {
    // First a few looks in place (a spin hint between them: as short as a
    // trip through the executor), then looks through the executor.
    let inline = side.spins().min(INLINE_SPINS);
    if *yields < inline {
        *yields += 1;
        core::hint::spin_loop();
        return Ok(Next::Attempt);
    }
    if *yields < inline + side.spins() / SPINS_PER_YIELD {
        *yields += 1;
        cx.waker().wake_by_ref();
        return Ok(Next::Yield);
    }
    match side.arm()? {
        None => Ok(Next::Attempt),
        Some((addr, expected)) => match register(side, addr, expected, cx) {
            Ok(reg) => Ok(Next::Wait(reg)),
            Err(e) => {
                side.disarm();
                Err(e)
            }
        },
    }
}

/// What a poll does after an attempt found nothing to do.
enum Next {
    /// Return `Pending`, the task already woken: look again on the next poll.
    Yield,
    /// Return `Pending` until the registration fires.
    Wait(Registration),
    /// Attempt again now.
    Attempt,
}

/// A future's wait between polls: its registration (if armed) and the looks it
/// has made. Every future of the crate is a borrowed side, this, and (for a
/// send) the value; the polls below are the whole of their logic.
#[derive(Default)]
pub(crate) struct Waiting {
    wait: Option<Registration>,
    yields: u32,
}

impl Waiting {
    /// One poll of a future that takes a value with `take` (`Ok(None)`: nothing
    /// there yet): after a wait that found the peer dead, one last `take`, then
    /// the death.
    pub(crate) fn poll_take<S: Side, T>(
        &mut self,
        side: &mut S,
        cx: &Context<'_>,
        mut take: impl FnMut(&mut S) -> Result<Option<T>>,
    ) -> Poll<Result<T>> {
        let died = match resume(side, self.wait.take(), cx) {
            Ok(Resume::Waiting(reg)) => {
                self.wait = Some(reg);
                return Poll::Pending;
            }
            Ok(Resume::Attempt) => None,
            Ok(Resume::Died(e)) => Some(e),
            Err(e) => return Poll::Ready(Err(e)),
        };
        loop {
            match take(side) {
                Ok(Some(v)) => return Poll::Ready(Ok(v)),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // What the dead peer committed came first (the attempt above).
            if let Some(e) = died {
                side.disarm();
                return Poll::Ready(Err(e));
            }
            match self.next(side, cx) {
                Ok(true) => return Poll::Pending,
                Ok(false) => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// One poll of a future that puts `value` with `put` (a full ring gives it
    /// back with `is_full`); `value` is `None` once put or handed back.
    pub(crate) fn poll_put<S: Side, T>(
        &mut self,
        side: &mut S,
        cx: &Context<'_>,
        value: &mut Option<T>,
        mut put: impl FnMut(&mut S, T) -> core::result::Result<(), SendError<T>>,
    ) -> Poll<core::result::Result<(), SendError<T>>> {
        let Some(mut v) = value.take() else {
            // Polled after completion: nothing left to send.
            return Poll::Ready(Ok(()));
        };
        let died = match resume(side, self.wait.take(), cx) {
            Ok(Resume::Waiting(reg)) => {
                self.wait = Some(reg);
                *value = Some(v);
                return Poll::Pending;
            }
            Ok(Resume::Attempt) => None,
            Ok(Resume::Died(e)) => Some(e),
            Err(e) => return Poll::Ready(Err(SendError::new(e, v))),
        };
        loop {
            match put(side, v) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(e) if e.is_full() => v = e.into_inner(),
                Err(e) => return Poll::Ready(Err(e)),
            }
            if let Some(e) = died {
                side.disarm();
                return Poll::Ready(Err(SendError::new(e, v)));
            }
            match self.next(side, cx) {
                Ok(true) => {
                    *value = Some(v);
                    return Poll::Pending;
                }
                Ok(false) => {}
                Err(e) => return Poll::Ready(Err(SendError::new(e, v))),
            }
        }
    }

    /// After an attempt found nothing to do: true to return `Pending` (a yield,
    /// or a registered wait), false to attempt again now.
    fn next<S: Side>(&mut self, side: &mut S, cx: &Context<'_>) -> Result<bool> {
        Ok(match arm(side, &mut self.yields, cx)? {
            Next::Wait(reg) => {
                self.wait = Some(reg);
                true
            }
            Next::Yield => true,
            Next::Attempt => false,
        })
    }

    /// A dropped future's withdrawal: the reactor's entry, then the side's flag.
    pub(crate) fn withdraw<S: Side>(&mut self, side: &mut S) {
        if self.wait.take().is_some() {
            side.disarm();
        }
    }
}
