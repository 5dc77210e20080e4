//! Waiting without blocking, for event loops (see [`crate::wake`]): the
//! consumer arms `consumer_waiting` instead of parking on its semaphore, a
//! producer its entry's `wait` word and its bit of `producers_waiting`.
//!
//! The consumer's peer is every producer: the death check
//! ([`Receiver::check_peer`]) looks at all their seats under the join lock, so
//! an event loop calls it at each interval itself (there is no single seat to
//! watch). A producer's peer is the consumer's one seat ([`Sender::peer_seat`]).

use core::time::Duration;

use super::{Env, ProducersGone, Receiver, Sender, consumer_wake, corrupt, producer_wake};
use crate::layout::ShmType;
use crate::layout::ring::RingError;
use crate::park::{ArmWake, Peer, gone_is_removed};
use crate::role::Handle;
use crate::wake::{PeerSeat, WakeWord};
use crate::{Backend, Error, ErrorKind, Result};

impl<T: ShmType, const N: usize, B: Backend> Receiver<T, N, B> {
    /// Arms this consumer for an asynchronous wait on an empty queue: `Ok(None)`
    /// if a value arrived meanwhile, so receive now; `Ok(Some(word))` if it is
    /// still empty: sleep on `word` (see [`crate::wake`]), which a producer's
    /// next send clears and wakes, then receive again. Runs the park barrier, so
    /// arm only when about to sleep, after a [`recv`](Self::recv) found nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] outside the claiming process, the barrier's
    /// error, [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let mut tx = q.producer()?;
    /// let word = rx.arm_wake()?.expect("empty: armed");
    /// assert!(word.is_armed());
    /// tx.send(7)?; // clears the word, then wakes it
    /// assert!(!word.is_armed());
    /// assert_eq!(rx.recv()?, Some(7));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_wake(&mut self) -> Result<Option<WakeWord<'_>>> {
        let p = self.p();
        let (sems, view) = (self.role.handle().sems(), self.view);
        self.role
            .now(
                &mut self.ring,
                &"Receiver::arm_wake",
                consumer_wake(p),
                |c, wake| {
                    let mut env = Env {
                        inner: wake,
                        sems,
                        view,
                        p,
                    };
                    c.arm(&mut env).map_err(|e| match e {
                        RingError::Park(e) => e,
                        RingError::Closed => Error::new(ErrorKind::Closed),
                        RingError::Corrupt => corrupt(crate::layout::ring::Corrupt),
                    })
                },
            )
            .map(|armed| armed.map(WakeWord::new))
    }

    /// Withdraws an [`arm_wake`](Self::arm_wake) that will not be waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// assert!(rx.arm_wake()?.is_some());
    /// rx.disarm_wake();
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn disarm_wake(&mut self) {
        self.ring.disarm();
    }

    /// An asynchronous waiter's peer check, for a wait that ran out its
    /// [`peer_check`](Self::peer_check) interval: [`ErrorKind::PeerDied`] if every
    /// producer seat is free and a producer died holding one (as a blocking
    /// receive reports it). Receive once more before reporting it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`]; the semaphore set's errors (a removed queue:
    /// [`ErrorKind::Removed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = q.consumer()?;
    /// rx.check_peer()?; // no producer yet: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_peer(&self) -> Result<()> {
        let gone = ProducersGone {
            p: self.p(),
            table: self.table,
        };
        if gone
            .died(self.role.handle().sems())
            .map_err(gone_is_removed)?
        {
            return Err(Error::new(ErrorKind::PeerDied));
        }
        Ok(())
    }

    /// How long a wait should last before [`check_peer`](Self::check_peer)
    /// ([`set_peer_check`](Self::set_peer_check)); `None`: never.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// rx.set_peer_check(None);
    /// assert_eq!(rx.peer_check(), None);
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
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// rx.set_spins(3);
    /// assert_eq!(rx.spins(), 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn spins(&self) -> u32 {
        self.role.settings.spins
    }
}

impl<T: ShmType, const N: usize, B: Backend> Sender<T, N, B> {
    /// Arms this producer for an asynchronous wait on a full queue: `Ok(None)` if
    /// room appeared meanwhile (a slot is claimed for this producer: send now);
    /// `Ok(Some(word))` if it is still full: sleep on `word` (see
    /// [`crate::wake`]), which the consumer's next receive clears and wakes, then
    /// send again. Runs the park barrier, so arm only when about to sleep, after
    /// a [`send`](Self::send) found the queue full.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] outside the registering process, the
    /// barrier's error, [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let mut tx = q.producer()?;
    /// tx.send(1).unwrap();
    /// let word = tx.arm_wake()?.expect("full: armed");
    /// assert!(word.is_armed());
    /// assert_eq!(rx.recv()?, Some(1)); // clears the word, then wakes it
    /// assert!(!word.is_armed());
    /// tx.send(2).unwrap();
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_wake(&mut self) -> Result<Option<WakeWord<'_>>> {
        self.role.holder()?;
        let (sems, p, j) = (
            self.role.handle().sems(),
            self.role.handle().producers,
            self.ring.index(),
        );
        let mut park = ArmWake::new(sems, consumer_wake(p), producer_wake(p, j));
        match self.ring.arm(&mut park) {
            Ok(armed) => Ok(armed.map(WakeWord::new)),
            Err(RingError::Park(e)) => Err(e),
            Err(RingError::Closed) => Err(Error::new(ErrorKind::Closed)),
            Err(RingError::Corrupt) => Err(corrupt(crate::layout::ring::Corrupt)),
        }
    }

    /// Withdraws an [`arm_wake`](Self::arm_wake) that will not be waited for (a
    /// wake the consumer already sent is taken back).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.send(1).unwrap();
    /// assert!(tx.arm_wake()?.is_some());
    /// tx.disarm_wake();
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn disarm_wake(&mut self) {
        let (sems, p, j) = (
            self.role.handle().sems(),
            self.role.handle().producers,
            self.ring.index(),
        );
        // Takes back a post the consumer sent this producer's own semaphore.
        let mut park = ArmWake::new(sems, consumer_wake(p), producer_wake(p, j));
        self.ring.disarm(&mut park);
    }

    /// An asynchronous waiter's peer check, for a wait that ran out its
    /// [`peer_check`](Self::peer_check) interval: [`ErrorKind::PeerDied`] if the
    /// consumer died holding its role (as a blocking send reports it).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`]; the semaphore set's errors (a removed queue:
    /// [`ErrorKind::Removed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = q.producer()?;
    /// tx.check_peer()?; // no consumer yet: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_peer(&self) -> Result<()> {
        if self
            .lane
            .peer
            .died(self.role.handle().sems())
            .map_err(gone_is_removed)?
        {
            return Err(Error::new(ErrorKind::PeerDied));
        }
        Ok(())
    }

    /// The consumer's seat, whose holder's death ends a wait (an event loop
    /// watches it; see [`crate::wake::PeerSeat`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = q.producer()?;
    /// assert_eq!(tx.peer_seat().semid, q.semaphores().id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn peer_seat(&self) -> PeerSeat {
        PeerSeat {
            semid: self.role.handle().sems().id(),
            num: self.lane.peer.sem,
        }
    }

    /// How long a wait should last before [`check_peer`](Self::check_peer)
    /// ([`set_peer_check`](Self::set_peer_check)); `None`: never.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.set_peer_check(None);
    /// assert_eq!(tx.peer_check(), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn peer_check(&self) -> Option<Duration> {
        self.role.settings.peer_check
    }

    /// How many times a blocking send re-checks before it parks
    /// ([`set_spins`](Self::set_spins)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let q = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.set_spins(3);
    /// assert_eq!(tx.spins(), 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn spins(&self) -> u32 {
        self.role.settings.spins
    }
}
