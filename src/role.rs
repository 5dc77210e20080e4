//! Roles in a shared-memory kind: who may push, pop or write, claimed with a
//! `SEM_UNDO` semaphore and marked by a pid word in the segment, so that the kernel
//! frees the role of a process that dies and the pid word still says it was held.
//!
//! Every kind uses the same pieces: a [`Seat`] (which semaphore of the kind's set,
//! which pid word of its segment) for each role; a [`Role`] that claims a seat and
//! owns the handle it was claimed through (its own attachment), checks that a call
//! comes from the claiming process, carries the blocking settings
//! ([`RoleSettings`]) and releases the seat when dropped; and
//! [`Role::wait`], the blocking and timed forms of a call over a ring-level
//! blocking attempt. A kind with several seats of one role (readers of a
//! broadcast, producers of a many-to-one queue) gives each its own semaphore and
//! pid word and claims one [`Seat`] per role handle.

use core::ptr;
use core::time::Duration;

use crate::abi::{
    MEMBARRIER_CMD_GLOBAL_EXPEDITED, MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
};
use crate::error::{Object, during};
use crate::layout::ring::{Barrier, RingError};
use crate::park::{Lane, Peer, PeerWake, SemPark};
use crate::sem::{SemOp, SemSet};
use crate::shm::{Access, Attachment};
use crate::sync::{AtomicU64, Ordering};
use crate::{Backend, Error, ErrorKind, Result};

/// Spins before a blocking call parks, unless a role's `set_spins` says otherwise:
/// long enough to ride out a peer that is between two operations, short enough
/// not to burn a core for long. Re-exported as `queue::DEFAULT_SPINS`.
pub(crate) const DEFAULT_SPINS: u32 = 256;

/// How long a parked blocking call sleeps at most before it looks whether its
/// peer is still alive, unless a role's `set_peer_check` says otherwise.
/// Re-exported as `queue::DEFAULT_PEER_CHECK`.
pub(crate) const DEFAULT_PEER_CHECK: Duration = Duration::from_millis(100);

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

#[cold]
#[inline(never)]
fn wrong_process() -> Error {
    error(ErrorKind::WrongProcess)
}

/// What a [`Role`] owns and claims through: a kind's own handle (its attachment
/// of the segment and its semaphore set), and the object its errors name.
pub(crate) trait Handle {
    /// The kernel the handle talks to.
    type Backend: Backend;
    /// The kind's semaphore set, which holds the role semaphores.
    fn sems(&self) -> &SemSet<Self::Backend>;
    /// The object the kind's errors name.
    fn object(&self) -> Object;
}

/// Where one role lives: its semaphore in the kind's set (1 = free; its holder
/// took it with `SEM_UNDO`, so the kernel gives it back when the holder dies) and
/// the pid word in the segment its holder writes (0 = never held, or released
/// cleanly).
#[derive(Clone, Copy)]
pub(crate) struct Seat<'m> {
    pub(crate) sem: u16,
    pub(crate) pid: &'m AtomicU64,
}

impl Seat<'_> {
    /// Takes the seat for the calling process and records its pid: the cached
    /// form ([`Backend::getpid_cached`], primed here), which [`Role::holder`]
    /// compares with.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`] when a live process holds it;
    /// [`ErrorKind::RoleAbandoned`] when its last holder died holding it and
    /// `reclaim` is false (the seat is left free); the semaphore's errors.
    pub(crate) fn claim<B: Backend>(self, sems: &SemSet<B>, reclaim: bool) -> Result<i32> {
        match sems.op(&[SemOp::wait(self.sem).nowait().undo()]) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Err(error(ErrorKind::RoleTaken)),
            r => r?,
        }
        // Acquire: pairs with the Release store of 0 in `release`, so a cleanly
        // released role's last stores to the segment are visible to us.
        let previous = self.pid.load(Ordering::Acquire);
        if previous != 0 && !reclaim {
            let _ = sems.op(&[SemOp::post(self.sem).undo()]);
            return Err(error(ErrorKind::RoleAbandoned));
        }
        let pid = sems.backend().getpid_cached();
        // Relaxed: only a marker; the role semaphore is the lock.
        self.pid
            .store(u64::try_from(pid).unwrap_or(u64::MAX), Ordering::Relaxed);
        Ok(pid)
    }

    /// Gives back a seat claimed by process `pid` (nothing in another process, such
    /// as a child that inherited the role through `fork`).
    pub(crate) fn release<B: Backend>(self, sems: &SemSet<B>, pid: i32) {
        if sems.backend().getpid_cached() != pid {
            return;
        }
        // Release: our last stores to the segment happen before the next holder's
        // Acquire load in `claim`.
        self.pid.store(0, Ordering::Release);
        let _ = sems.op(&[SemOp::post(self.sem).undo()]);
    }

    /// Whether the seat is abandoned: free (its semaphore back at 1, as the
    /// kernel's `SEM_UNDO` leaves it when the holder dies) while the pid word still
    /// names a holder, the same one before and after the look at the semaphore (a
    /// clean release zeroes the word first; a claim takes the semaphore first).
    /// A seat never claimed, or released cleanly, is not a death.
    pub(crate) fn abandoned<B: Backend>(self, sems: &SemSet<B>) -> Result<bool> {
        // Relaxed (both): markers; the role semaphore is the truth.
        let pid = self.pid.load(Ordering::Relaxed);
        if pid == 0 {
            return Ok(false);
        }
        let free = sems.get(self.sem)? != 0;
        Ok(free && self.pid.load(Ordering::Relaxed) == pid)
    }
}

/// The parts of a second handle on a kind's segment, for a role to own: its own
/// attachment of the segment (a second `shmat` of the same id, which the kernel
/// allows after `IPC_RMID` too, as long as the segment is attached, as `att`
/// keeps it) and a copy of the semaphore set's handle. A role that owns them
/// borrows nothing from the handle it was claimed through, so it may outlive it.
///
/// # Errors
///
/// [`Segment::attach`](crate::shm::Segment::attach)'s.
pub(crate) fn own_parts<B: Backend + Clone, A: Access>(
    att: &Attachment<B, A>,
    sems: &SemSet<B>,
) -> Result<(Attachment<B>, SemSet<B>)> {
    let own = att.segment().attach()?;
    Ok((own, SemSet::from_id(sems.backend().clone(), sems.id())))
}

/// A role's view of its own handle's mapping, not tied to a borrow of the handle:
/// the role keeps the handle in a field beside the view, so that it moves into a
/// thread or a struct with no lifetime, which no borrow can say.
///
/// # Safety
///
/// `ctl` and `words` must point into a segment's mapping (not into the handle
/// that holds it, so moving the handle moves no byte they point to), and must not
/// be used once that mapping's attachment is detached, which happens only when
/// its handle is dropped (`Attachment::detach` takes it by value, and the kinds
/// hand out their attachments only by reference).
#[allow(unsafe_code)]
pub(crate) unsafe fn unbounded<'m, C>(ctl: &C, words: &[AtomicU64]) -> (&'m C, &'m [AtomicU64]) {
    // SAFETY: `ctl` points into the mapping, which stays at its address, mapped,
    // until the attachment's `shmdt`, and the caller uses the reference only
    // before that (this fn's contract).
    let ctl: &'m C = unsafe { &*ptr::from_ref(ctl) };
    // SAFETY: as for `ctl`: the words are in the same mapping.
    let words: &'m [AtomicU64] = unsafe { &*ptr::from_ref(words) };
    (ctl, words)
}

/// This process asks to receive `MEMBARRIER_CMD_GLOBAL_EXPEDITED` barriers
/// (idempotent; it lasts until `exec`). Any failure is [`ErrorKind::Unsupported`].
pub(crate) fn register_membarrier<B: Backend>(backend: &B) -> Result<()> {
    backend
        .membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0)
        .map(drop)
        .map_err(|_| error(ErrorKind::Unsupported))
}

/// The creator's choice of wake check: asymmetric if `MEMBARRIER_CMD_QUERY` lists
/// the expedited global barrier and its registration, and registering works here;
/// otherwise symmetric fences (old kernel, seccomp, an emulator without the call,
/// the mock).
pub(crate) fn choose_barrier<B: Backend>(backend: &B) -> Barrier {
    let needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
    match backend.membarrier(MEMBARRIER_CMD_QUERY, 0, 0) {
        Ok(mask) if mask & needed == needed && register_membarrier(backend).is_ok() => {
            Barrier::Asymmetric
        }
        _ => Barrier::Symmetric,
    }
}

/// How a role's blocking calls wait: written once for every role of every kind,
/// and set through each role's `set_spins`, `set_peer_check` and
/// `set_interruptible`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RoleSettings {
    /// Re-checks (with a spin hint) before a blocking call parks.
    pub(crate) spins: u32,
    /// Longest single park before the peer is looked at; `None`: no limit.
    pub(crate) peer_check: Option<Duration>,
    /// Whether a park that a signal ends (`EINTR`) fails the call with
    /// [`ErrorKind::Interrupted`] rather than parking again.
    pub(crate) interruptible: bool,
}

impl Default for RoleSettings {
    fn default() -> Self {
        RoleSettings {
            spins: DEFAULT_SPINS,
            peer_check: Some(DEFAULT_PEER_CHECK),
            interruptible: false,
        }
    }
}

/// A claimed role: the handle it owns, the seat it holds, the claiming process and
/// its blocking settings. Dropping it releases the seat (in the claiming process
/// only), before the handle (and its attachment, which the seat's pid word is in)
/// goes.
pub(crate) struct Role<H: Handle> {
    handle: H,
    /// A word of `handle`'s own mapping, not a borrow of it: the kind's view into
    /// that mapping (which outlives no `Role`) gave it. Used only while `handle`
    /// is held: `Drop` runs before the fields go.
    seat: Seat<'static>,
    /// The claiming process, as [`Backend::getpid_cached`] gave it.
    pid: i32,
    pub(crate) settings: RoleSettings,
}

impl<H: Handle> Role<H> {
    /// Claims `seat` (a word of `handle`'s own mapping) for this process; the role
    /// owns `handle` from now on. A failure after this (the kind's own checks of
    /// its segment) drops the role, which releases the seat.
    ///
    /// # Errors
    ///
    /// As [`Seat::claim`].
    pub(crate) fn claim(handle: H, seat: Seat<'static>, reclaim: bool) -> Result<Self> {
        let pid = seat.claim(handle.sems(), reclaim)?;
        Ok(Role {
            handle,
            seat,
            pid,
            settings: RoleSettings::default(),
        })
    }

    /// Claims the first free seat of `seats` (a kind with several seats of one
    /// role: a broadcast's readers); the role owns `handle` from now on. Returns
    /// the role and the seat's position in `seats`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`] when a live process holds every seat (or, without
    /// `reclaim`, every free one is abandoned); the semaphores' errors.
    pub(crate) fn claim_any(
        handle: H,
        seats: impl IntoIterator<Item = Seat<'static>>,
        reclaim: bool,
    ) -> Result<(Self, usize)> {
        for (k, seat) in seats.into_iter().enumerate() {
            match seat.claim(handle.sems(), reclaim) {
                Ok(pid) => {
                    let role = Role {
                        handle,
                        seat,
                        pid,
                        settings: RoleSettings::default(),
                    };
                    return Ok((role, k));
                }
                Err(e) if matches!(e.kind(), ErrorKind::RoleTaken | ErrorKind::RoleAbandoned) => {}
                Err(e) => return Err(e),
            }
        }
        Err(error(ErrorKind::RoleTaken))
    }

    /// The role's own handle.
    #[inline]
    pub(crate) const fn handle(&self) -> &H {
        &self.handle
    }

    /// [`ErrorKind::WrongProcess`] unless the caller is the claiming process: two
    /// loads and a compare where the backend caches the pid
    /// ([`Backend::getpid_cached`]), which a child created by `fork` finds empty.
    #[inline]
    pub(crate) fn holder(&self) -> Result<()> {
        if self.handle.sems().backend().getpid_cached() == self.pid {
            Ok(())
        } else {
            Err(wrong_process())
        }
    }

    /// On an asymmetric layout, registers this process for the peer's barriers
    /// before the role's first operation; refuses the role if it cannot.
    pub(crate) fn register_for(&self, barrier: Barrier) -> Result<()> {
        match barrier {
            Barrier::Asymmetric => register_membarrier(self.handle.sems().backend()),
            Barrier::Symmetric => Ok(()),
        }
    }

    /// The post that wakes a peer parked on semaphore `peer`.
    #[inline]
    pub(crate) fn wake(&self, peer: u16) -> PeerWake<'_, H::Backend> {
        PeerWake::new(self.handle.sems(), peer)
    }

    /// The non-blocking form of a call: the holder check, then `attempt` with the
    /// post that wakes the peer parked on `peer`, its errors named `name`.
    #[inline]
    pub(crate) fn now<S, R>(
        &self,
        side: &mut S,
        name: &'static &'static str,
        peer: u16,
        attempt: impl FnOnce(&mut S, &mut PeerWake<'_, H::Backend>) -> Result<R>,
    ) -> Result<R> {
        during(name, self.handle.object(), || {
            self.holder()?;
            attempt(side, &mut self.wake(peer))
        })
    }

    /// The blocking and timed forms of a call, for every kind: the holder check,
    /// then `attempt` (a ring-level blocking call, given the role's spins and a
    /// park on `lane` with the call's deadline and the role's settings). A closed
    /// stream is [`ErrorKind::Closed`], a corrupt one [`ErrorKind::Corrupt`]; when
    /// the park reports [`ErrorKind::PeerDied`], `last_look` gets one last
    /// non-blocking look (what the dead peer committed before it died is visible:
    /// its last stores precede its death, which the kernel's undo of its role,
    /// under the set's lock, precedes our `GETVAL` of it) with the death to return
    /// if it finds nothing. Errors are named `name`. The call waits at most
    /// `timeout` (the `_timeout` form), or until woken (`None`: the `_blocking`
    /// form); two arguments rather than an enum of the two forms, which cost
    /// instructions on every call to build and take apart.
    #[inline]
    pub(crate) fn wait<P: Peer, S, R>(
        &self,
        side: &mut S,
        lane: Lane<P>,
        name: &'static &'static str,
        timeout: Option<Duration>,
        attempt: impl FnOnce(
            &mut S,
            u32,
            &mut SemPark<'_, H::Backend, P>,
        ) -> Result<R, RingError<Error>>,
        last_look: impl FnOnce(&mut S, &mut PeerWake<'_, H::Backend>, Error) -> Result<R>,
    ) -> Result<R> {
        // Only the paths that end in an error go through `during`: a success
        // returned from inside it is matched and copied once more, which costs
        // instructions on every blocking call.
        if let Err(e) = self.holder() {
            return during(name, self.handle.object(), || Err(e));
        }
        let peer = lane.wake;
        let mut park = SemPark::new(self.handle.sems(), lane, self.settings, timeout);
        let failed = match attempt(side, self.settings.spins, &mut park) {
            Ok(r) => return Ok(r),
            Err(failed) => failed,
        };
        during(name, self.handle.object(), || match failed {
            RingError::Corrupt => Err(error(ErrorKind::Corrupt)),
            RingError::Closed => Err(error(ErrorKind::Closed)),
            RingError::Park(died) if died.kind() == ErrorKind::PeerDied => {
                last_look(side, &mut self.wake(peer), died)
            }
            RingError::Park(e) => Err(e),
        })
    }
}

impl<H: Handle> Role<H> {
    /// Releases the seat now, between taking and giving back semaphore `lock`
    /// (`SEM_UNDO`), after `first` ran under the lock: for a kind whose seats
    /// correspond to entries that others judge by the seat (an MPSC producer's
    /// leave). Nothing is done from a process that is not the holder; the later
    /// drop releases nothing more.
    pub(crate) fn release_under(&mut self, lock: u16, first: impl FnOnce(&H)) {
        if self.holder().is_err() {
            return;
        }
        let sems = self.handle.sems();
        // Without the lock (an error taking it) the release still happens.
        let locked = sems.op(&[SemOp::wait(lock).undo()]).is_ok();
        first(&self.handle);
        self.seat.release(sems, self.pid);
        if locked {
            let _ = sems.op(&[SemOp::post(lock).undo()]);
        }
        // No pid is 0: `Seat::release` in the drop sees another process.
        self.pid = 0;
    }
}

impl<H: Handle> Drop for Role<H> {
    fn drop(&mut self) {
        self.seat.release(self.handle.sems(), self.pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Intent, Key, Mode};
    use sysv_ipc_mock::{Mock, Process};

    /// Readers of a kind with several seats of one role (as a broadcast's readers
    /// or a many-to-one queue's producers will be): seat `k` of `R` is semaphore
    /// `k` and pid word `k`.
    const R: usize = 4;

    struct Readers {
        sems: SemSet<&'static Mock>,
    }

    impl Handle for Readers {
        type Backend = &'static Mock;

        fn sems(&self) -> &SemSet<&'static Mock> {
            &self.sems
        }

        fn object(&self) -> Object {
            Object::SemSet(self.sems.id())
        }
    }

    /// A fresh set of `R` free seats; its id.
    fn set(kernel: &'static Mock) -> i32 {
        let sems =
            SemSet::create_in(kernel, Key::PRIVATE, R, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        sems.set_all(&[1; R]).unwrap();
        sems.id()
    }

    /// A handle of its own on set `id`, as each role of a kind has.
    fn readers(kernel: &'static Mock, id: i32) -> Readers {
        Readers {
            sems: SemSet::from_id(kernel, id),
        }
    }

    fn seat(pids: &'static [AtomicU64; R], k: usize) -> Seat<'static> {
        Seat {
            sem: u16::try_from(k).unwrap(),
            pid: &pids[k],
        }
    }

    fn values(h: &Readers) -> [u16; R] {
        core::array::from_fn(|k| h.sems.get(u16::try_from(k).unwrap()).unwrap())
    }

    #[test]
    fn seat_k_of_r_is_claimed_released_and_found_abandoned_on_its_own() {
        static KERNEL: Mock = Mock::new();
        static PIDS: [AtomicU64; R] = [const { AtomicU64::new(0) }; R];
        KERNEL.set_process(Process::user(100, 1000, 1000));
        let id = set(&KERNEL);
        let a = Role::claim(readers(&KERNEL, id), seat(&PIDS, 2), false).unwrap();
        assert_eq!(values(a.handle()), [1, 1, 0, 1]);
        assert_eq!(PIDS[2].load(Ordering::Relaxed), 100);
        assert!(a.holder().is_ok());
        // The same seat is taken; another seat of the same role is not.
        let taken = Role::claim(readers(&KERNEL, id), seat(&PIDS, 2), true);
        assert_eq!(taken.err().map(|e| e.kind()), Some(ErrorKind::RoleTaken));
        KERNEL.set_process(Process::user(101, 1000, 1000));
        let b = Role::claim(readers(&KERNEL, id), seat(&PIDS, 3), false).unwrap();
        assert_eq!(values(b.handle()), [1, 1, 0, 0]);
        assert_eq!(
            a.holder().map_err(|e| e.kind()),
            Err(ErrorKind::WrongProcess)
        );

        // Process 100 dies holding seat 2: the kernel frees that seat alone, and
        // only it reads as abandoned.
        KERNEL.exit_process(100);
        let sems = b.handle().sems();
        let abandoned: [bool; R] =
            core::array::from_fn(|k| seat(&PIDS, k).abandoned(sems).unwrap());
        assert_eq!(abandoned, [false, false, true, false]);
        assert_eq!(values(b.handle()), [1, 1, 1, 0]);
        // A dead process's role does nothing when dropped (here, in process 101).
        drop(a);
        assert_eq!(PIDS[2].load(Ordering::Relaxed), 100);

        // Its seat is refused without `reclaim` (and left free), taken with it.
        let refused = Role::claim(readers(&KERNEL, id), seat(&PIDS, 2), false);
        assert_eq!(
            refused.err().map(|e| e.kind()),
            Some(ErrorKind::RoleAbandoned)
        );
        assert_eq!(values(b.handle()), [1, 1, 1, 0]);
        let c = Role::claim(readers(&KERNEL, id), seat(&PIDS, 2), true).unwrap();
        assert_eq!(PIDS[2].load(Ordering::Relaxed), 101);

        // Dropped by its holder, a seat is free and not abandoned.
        drop(b);
        assert_eq!(PIDS[3].load(Ordering::Relaxed), 0);
        assert!(!seat(&PIDS, 3).abandoned(c.handle().sems()).unwrap());
        assert_eq!(values(c.handle()), [1, 1, 0, 1]);
    }

    /// A peer made of many seats (a lossless broadcast's writer waiting for its
    /// readers): dead once no reader that claimed a seat is alive.
    struct AnyLive<'a>(&'a [Seat<'a>]);

    impl Peer for AnyLive<'_> {
        fn died<B: Backend>(&self, sems: &SemSet<B>) -> Result<bool> {
            let mut claimed = false;
            for seat in self.0 {
                if seat.abandoned(sems)? {
                    claimed = true;
                } else if seat.pid.load(Ordering::Relaxed) != 0 {
                    return Ok(false);
                }
            }
            Ok(claimed)
        }
    }

    #[test]
    fn a_wait_on_many_seats_ends_when_the_last_live_one_dies() {
        static KERNEL: Mock = Mock::new();
        static PIDS: [AtomicU64; R] = [const { AtomicU64::new(0) }; R];
        let seats: [Seat<'static>; R] = core::array::from_fn(|k| seat(&PIDS, k));
        KERNEL.set_process(Process::user(200, 1000, 1000));
        let id = set(&KERNEL);
        let r0 = Role::claim(readers(&KERNEL, id), seats[0], false).unwrap();
        KERNEL.set_process(Process::user(201, 1000, 1000));
        let r1 = Role::claim(readers(&KERNEL, id), seats[1], false).unwrap();
        KERNEL.set_process(Process::user(202, 1000, 1000));
        let h = readers(&KERNEL, id);
        let peer = AnyLive(&seats);
        assert!(!peer.died(&h.sems).unwrap());
        KERNEL.exit_process(200);
        assert!(!peer.died(&h.sems).unwrap(), "reader 1 is still alive");
        KERNEL.exit_process(201);
        assert!(peer.died(&h.sems).unwrap());
        drop((r0, r1));
    }
}
