//! Waiting without blocking, for event loops (see [`crate::wake`]): the
//! consumer arms `consumer_waiting` instead of parking on its semaphore.
//!
//! Its peer is every producer: the death check ([`Receiver::check_peer`]) looks
//! at all their seats under the join lock, so an event loop calls it at each
//! interval itself (there is no single seat to watch).

use core::time::Duration;

use super::{Env, ProducersGone, Receiver, consumer_wake, corrupt};
use crate::layout::ShmType;
use crate::layout::ring::RingError;
use crate::park::{Peer, gone_is_removed};
use crate::role::Handle;
use crate::wake::WakeWord;
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
