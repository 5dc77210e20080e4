//! Timed waits for calls the kernel has no timed form of (`msgsnd`, `msgrcv`, and
//! the `*get` of a key that has no object yet, for `open_wait`): the non-blocking
//! call retried, with sleeps between tries that back off, until a deadline on
//! `CLOCK_MONOTONIC`.
//!
//! # Why polling
//!
//! Linux has `semtimedop` but no `msgtimedsnd`/`msgtimedrcv`. A blocking `msgrcv` can
//! only be cut short by a signal, and making one arrive on time takes a timer and a
//! signal handler installed process-wide: state a library must not take over, and
//! none a `no_std` crate can own. Nor can the queue be paired with a semaphore to
//! sleep on, since C and Python peers send with plain `msgsnd`. So a timed call tries
//! with `IPC_NOWAIT`, then sleeps (`clock_nanosleep`), first [`FIRST_PAUSE`], each
//! sleep twice the last up to [`MAX_PAUSE`], never past the deadline, and tries once
//! more when the time is up.
//!
//! The cost is latency, not CPU: a message that arrives while the caller sleeps waits
//! for the end of that sleep, so at most [`MAX_PAUSE`] once the wait has gone on for
//! a while (about 2 ms), and less early on. The bench's `msg timed wake` row measures
//! it against a blocking `msgrcv`: a ping-pong waiting with timed receives took 2.1×
//! the round trip of blocking ones (120–123 against 57–58 µs on a 2-core VM), about
//! 32 µs per wake-up, the first 20 µs sleep plus the kernel's timer slack (50 µs by
//! default, which only the program may change, `prctl(PR_SET_TIMERSLACK)`). A caller
//! asleep at the cap wakes 1000 times a second.

use core::time::Duration;

use sysv_ipc_abi::{Backend, Errno};

use crate::{Call, Error, ErrorKind, Result, clock};

/// The first sleep after a try found nothing to do.
pub(crate) const FIRST_PAUSE: Duration = Duration::from_micros(20);

/// The longest sleep between two tries: the worst wake-up latency a timed call adds.
pub(crate) const MAX_PAUSE: Duration = Duration::from_millis(1);

/// Runs `attempt` (a non-blocking call) until it returns anything but an error of
/// kind `idle`, sleeping between tries, for at most `timeout` on `CLOCK_MONOTONIC`;
/// then [`ErrorKind::TimedOut`], saying how long it waited.
///
/// `attempt` always runs at least once, and once more after the deadline passed, so
/// a zero timeout is a non-blocking call. A signal whose handler runs during a
/// sleep is [`ErrorKind::Interrupted`], as it is for the blocking call; a stop
/// (Ctrl-Z, a debugger) is not: the kernel restarts `clock_nanosleep` (its restart
/// block keeps the first call's expiry), as it restarts a blocking `msgrcv`
/// (`tests/stop.rs`). One whose handler runs
/// while a try is under way (microseconds of each interval) goes unseen, as it would
/// just before a blocking call. An `EINVAL` after the first try is
/// [`ErrorKind::Removed`].
pub(crate) fn until<B: Backend, R>(
    backend: &B,
    timeout: Duration,
    idle: ErrorKind,
    mut attempt: impl FnMut() -> Result<R>,
) -> Result<R> {
    let mut tried = false;
    retry(backend, timeout, idle, |_| {
        let r = attempt();
        let first = !core::mem::replace(&mut tried, true);
        match r {
            // The first try took these arguments, so an `EINVAL` now is the id gone:
            // the object was removed while we slept, which a blocking call reports
            // as `EIDRM`.
            Err(e)
                if !first
                    && e.errno() == Some(Errno::INVAL)
                    && e.kind() == ErrorKind::InvalidArgument =>
            {
                Err(e.with_kind(ErrorKind::Removed))
            }
            r => r,
        }
    })
}

/// The one retry loop of [`until`] and [`open_wait`]: `attempt(left)` (given the
/// part of `timeout` not yet used) until it returns anything but an error of kind
/// `idle`, sleeping [`FIRST_PAUSE`] doubling to [`MAX_PAUSE`] between tries, never
/// past the deadline; then [`ErrorKind::TimedOut`], saying how long it waited.
fn retry<B: Backend, R>(
    backend: &B,
    timeout: Duration,
    idle: ErrorKind,
    mut attempt: impl FnMut(Duration) -> Result<R>,
) -> Result<R> {
    let mut start = None;
    let mut left = timeout;
    let mut pause = FIRST_PAUSE;
    loop {
        match attempt(left) {
            Err(e) if e.kind() == idle => {}
            done => return done,
        }
        // The clock is read only once a try failed: a call that succeeds at once
        // costs no more than its non-blocking form.
        let now = clock::now(backend).map_err(|e| Error::from_errno(Call::ClockGettime, e))?;
        let start = *start.get_or_insert(now);
        // Elapsed time rather than a deadline: `start + timeout` could overflow.
        left = timeout.saturating_sub(now.saturating_sub(start));
        if left.is_zero() {
            return Err(Error::new(ErrorKind::TimedOut).after(timeout));
        }
        clock::sleep(backend, pause.min(left))
            .map_err(|e| Error::from_errno(Call::ClockNanosleep, e))?;
        pause = pause.saturating_mul(2).min(MAX_PAUSE);
    }
}

/// Runs `open` until the key it opens has an object: an error of kind
/// [`ErrorKind::NotFound`] is retried with [`until`]'s sleeps, any other result is
/// the answer; after `timeout` on `CLOCK_MONOTONIC` with nothing found,
/// [`ErrorKind::TimedOut`], saying how long it waited.
///
/// `open` gets the part of `timeout` not yet used, for a layout's join to wait
/// with. Unlike [`until`], an `EINVAL` is never read as a removal: here it is the
/// object found but refused (a segment too small for the type).
pub(crate) fn open_wait<B: Backend, R>(
    backend: &B,
    timeout: Duration,
    open: impl FnMut(Duration) -> Result<R>,
) -> Result<R> {
    retry(backend, timeout, ErrorKind::NotFound, open)
}
