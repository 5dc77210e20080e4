//! What every future shares between its attempts: the yields, the arm and the
//! registration, and what a fired registration means.

use core::task::Context;

use sysv_ipc::wake::PeerSeat;
use sysv_ipc::{Error, ErrorKind, Result};

use crate::reactor::{Fired, Registration, reactor, supported};

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
pub(crate) enum Resume {
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
pub(crate) fn resume<S: Side>(
    side: &mut S,
    wait: Option<Registration>,
    cx: &Context<'_>,
) -> Result<Resume> {
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
    if !supported() {
        return Err(Error::new(ErrorKind::Unsupported));
    }
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
pub(crate) fn arm<S: Side>(side: &mut S, yields: &mut u32, cx: &Context<'_>) -> Result<Next> {
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
pub(crate) enum Next {
    /// Return `Pending`, the task already woken: look again on the next poll.
    Yield,
    /// Return `Pending` until the registration fires.
    Wait(Registration),
    /// Attempt again now.
    Attempt,
}
