//! Waiting without blocking, for event loops (see [`crate::wake`]): a reader
//! arms its line's `wait` word instead of parking on its semaphore.

use core::time::Duration;

use super::{Reader, WRITER_ROLE, WRITER_WAKE, Writer, read_error, reader_wake};
use crate::layout::ShmType;
use crate::layout::broadcast::WaitError;
use crate::park::{ArmWake, Peer, gone_is_removed};
use crate::role::{Handle, Seat};
use crate::wake::{PeerSeat, WakeWord};
use crate::{Backend, Error, ErrorKind, Result};

impl<T: ShmType, const N: usize, B: Backend> Reader<T, N, B> {
    /// Arms this reader for an asynchronous wait: `Ok(None)` if something
    /// arrived meanwhile (a value, a lap, the end of the stream), so receive now;
    /// `Ok(Some(word))` if there is still nothing: sleep on `word` (see
    /// [`crate::wake`]), which the writer's next publish or close clears and
    /// wakes, then receive again. Runs the park barrier, so arm only when about to
    /// sleep, after a [`recv`](Self::recv) found nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] outside the claiming process, the barrier's
    /// error, the reader's own errors (dropped as dead, a corrupt line).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, broadcast::{Broadcast, Start}};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = bc.writer()?;
    /// let mut r = bc.reader(Start::Newest)?;
    /// let word = r.arm_wake()?.expect("nothing yet: armed");
    /// assert!(word.is_armed());
    /// w.send(7)?; // clears the word, then wakes it
    /// assert!(!word.is_armed());
    /// assert_eq!(r.recv()?, Some(7));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_wake(&mut self) -> Result<Option<WakeWord<'_>>> {
        self.role.holder()?;
        let own = reader_wake(self.ring.index());
        let mut park = ArmWake::new(self.role.handle().sems(), WRITER_WAKE, own);
        match self.ring.arm(&mut park) {
            Ok(armed) => Ok(armed.map(WakeWord::new)),
            Err(WaitError::Park(e)) => Err(e),
            Err(WaitError::Read(e)) => Err(read_error(e)),
            // Not from `arm` (a closed stream is progress: `Ok(None)`).
            Err(WaitError::Closed) => Ok(None),
        }
    }

    /// Withdraws an [`arm_wake`](Self::arm_wake) that will not be waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, broadcast::{Broadcast, Start}};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut r = bc.reader(Start::Newest)?;
    /// assert!(r.arm_wake()?.is_some());
    /// r.disarm_wake();
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn disarm_wake(&mut self) {
        let own = reader_wake(self.ring.index());
        let mut park = ArmWake::new(self.role.handle().sems(), WRITER_WAKE, own);
        self.ring.disarm(&mut park);
    }

    /// An asynchronous waiter's peer check: [`ErrorKind::PeerDied`] if the writer
    /// died holding its role. Receive once more before reporting it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`]; the semaphore set's errors (a removed broadcast:
    /// [`ErrorKind::Removed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, broadcast::{Broadcast, Start}};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let r = bc.reader(Start::Newest)?;
    /// r.check_peer()?; // no writer yet: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_peer(&self) -> Result<()> {
        let seat = Seat {
            sem: WRITER_ROLE,
            pid: &self.layout.ctl().writer_pid,
        };
        if seat
            .died(self.role.handle().sems())
            .map_err(gone_is_removed)?
        {
            return Err(Error::new(ErrorKind::PeerDied));
        }
        Ok(())
    }

    /// The writer's seat, for a loop that looks at many peers cheaply (see
    /// [`PeerSeat`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, broadcast::{Broadcast, Start}};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let r = bc.reader(Start::Newest)?;
    /// assert_ne!(r.peer_seat().semid, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn peer_seat(&self) -> PeerSeat {
        PeerSeat {
            semid: self.role.handle().sems().id(),
            num: WRITER_ROLE,
        }
    }

    /// How long a wait should last before [`check_peer`](Self::check_peer)
    /// ([`set_peer_check`](Self::set_peer_check)); `None`: never.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, broadcast::{Broadcast, Start}};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut r = bc.reader(Start::Newest)?;
    /// r.set_peer_check(None);
    /// assert_eq!(r.peer_check(), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn peer_check(&self) -> Option<Duration> {
        self.role.settings.peer_check
    }

    /// How many times a blocking receive re-checks before it parks
    /// ([`set_spins`](Self::set_spins)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, broadcast::{Broadcast, Start}};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut r = bc.reader(Start::Newest)?;
    /// r.set_spins(5);
    /// assert_eq!(r.spins(), 5);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn spins(&self) -> u32 {
        self.role.settings.spins
    }
}

impl<T: ShmType, const N: usize, B: Backend> Writer<T, N, B> {
    /// Arms a lossless writer for an asynchronous wait on a full ring: `Ok(None)`
    /// if room appeared meanwhile, so send now; `Ok(Some(word))` if there is still
    /// none: sleep on `word` (see [`crate::wake`]), which a reader's next read,
    /// leave or drop clears and wakes, then send again. A lossy writer never
    /// waits: its ring always has room (`Ok(None)`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] outside the claiming process, the barrier's
    /// error, [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let opts = BroadcastOptions::new().policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 2>::create_with(
    ///     DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, opts)?);
    /// let mut r = bc.reader(Start::Newest)?;
    /// let mut w = bc.writer()?;
    /// w.send(0)?;
    /// w.send(1)?;
    /// let word = w.arm_wake()?.expect("full: armed");
    /// assert_eq!(r.recv()?, Some(0)); // frees a slot: clears the word, wakes it
    /// assert!(!word.is_armed());
    /// assert!(w.arm_wake()?.is_none());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_wake(&mut self) -> Result<Option<WakeWord<'_>>> {
        self.role.holder()?;
        if self.layout.policy() != crate::layout::broadcast::Policy::Lossless {
            return Ok(None);
        }
        let mut park = ArmWake::new(self.role.handle().sems(), WRITER_WAKE, WRITER_WAKE);
        match self.ring.arm(&mut park) {
            Ok(armed) => Ok(armed.map(WakeWord::new)),
            Err(WaitError::Park(e)) => Err(e),
            Err(WaitError::Read(e)) => Err(read_error(e)),
            Err(WaitError::Closed) => Ok(None),
        }
    }

    /// Withdraws an [`arm_wake`](Self::arm_wake) that will not be waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = bc.writer()?;
    /// w.disarm_wake(); // nothing armed: harmless
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn disarm_wake(&mut self) {
        self.ring.disarm();
    }

    /// How long a wait should last before the dead readers are looked for
    /// ([`drop_dead_readers`](Self::drop_dead_readers), which a blocking send runs
    /// at each peer check: a dead reader is dropped, never a death);
    /// `None`: never.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = bc.writer()?;
    /// w.set_peer_check(None);
    /// assert_eq!(w.peer_check(), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn peer_check(&self) -> Option<Duration> {
        self.role.settings.peer_check
    }

    /// How many times a blocking send re-checks before it parks
    /// ([`set_spins`](Self::set_spins)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = bc.writer()?;
    /// w.set_spins(2);
    /// assert_eq!(w.spins(), 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn spins(&self) -> u32 {
        self.role.settings.spins
    }
}
