//! Waiting without blocking, for event loops (see [`crate::wake`]): each side
//! arms its waiting flag instead of parking on its semaphore, and learns of its
//! peer's death by asking, since a futex wait cannot hear a `SEM_UNDO`.

use core::time::Duration;

use super::{Consumer, ITEMS, Producer, Queue, SPACE};
use crate::layout::ShmType;
use crate::layout::ring::RingError;
use crate::park::Peer;
use crate::role::Handle;
use crate::wake::{PeerSeat, WakeWord};
use crate::{Backend, Error, ErrorKind, Result};

/// A ring-level arm's error as the crate's: a failed barrier is its own error,
/// a corrupt ring [`ErrorKind::Corrupt`].
fn arm_error(e: RingError<Error>) -> Error {
    match e {
        RingError::Park(e) => e,
        RingError::Closed => Error::new(ErrorKind::Closed),
        RingError::Corrupt => super::corrupt(crate::layout::ring::Corrupt),
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Consumer<T, MAXSZ, B> {
    /// Arms this consumer for an asynchronous wait on an empty queue: `Ok(None)`
    /// if a value arrived (or the stream ended) meanwhile, so dequeue now;
    /// `Ok(Some(word))` if it is still empty: sleep on `word` (see
    /// [`crate::wake`]), which the producer's next enqueue, close or release
    /// clears and wakes, then dequeue again. Runs the queue's park barrier
    /// (`membarrier` on an asymmetric queue), like a park, so arm only when about
    /// to sleep, after a [`dequeue`](Self::dequeue) found nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] outside the claiming process, the barrier's
    /// error, [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert!(rx.arm_wake()?.is_some()); // empty: armed
    /// tx.enqueue(1)?;
    /// assert!(rx.arm_wake()?.is_none()); // a value: dequeue it
    /// assert_eq!(rx.dequeue()?, Some(1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_wake(&mut self) -> Result<Option<WakeWord<'_>>> {
        self.role
            .now(
                &mut self.ring,
                &"Consumer::arm_wake",
                SPACE,
                |ring, wake| ring.arm(wake).map_err(arm_error),
            )
            .map(|armed| armed.map(WakeWord::new))
    }

    /// The word of a wait armed earlier that no producer move has cleared yet
    /// (`None` once one has, or if none was armed): an event loop whose wait on it
    /// ended without a wake (a timeout for [`check_peer`](Self::check_peer)) waits
    /// on it again, without the barrier another [`arm_wake`](Self::arm_wake)
    /// would run.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert!(rx.armed_word().is_none());
    /// assert!(rx.arm_wake()?.is_some());
    /// assert!(rx.armed_word().is_some()); // still armed
    /// tx.enqueue(3)?;
    /// assert!(rx.armed_word().is_none()); // cleared by the enqueue
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn armed_word(&self) -> Option<WakeWord<'_>> {
        let word = WakeWord::new(&self.ring.ctl().consumer_waiting);
        word.is_armed().then_some(word)
    }

    /// The producer's seat, for a loop that looks at many peers cheaply (see
    /// [`PeerSeat`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (tx, rx) = q.split()?;
    /// assert_eq!(tx.peer_seat().semid, rx.peer_seat().semid);
    /// assert_ne!(tx.peer_seat().num, rx.peer_seat().num);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn peer_seat(&self) -> PeerSeat {
        PeerSeat {
            semid: self.role.handle().sems().id(),
            num: Queue::<T, MAXSZ, B>::producer_seat(self.ring.ctl()).sem,
        }
    }

    /// Withdraws an [`arm_wake`](Self::arm_wake) that will not be waited for (a
    /// dropped future). Harmless when nothing is armed.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let _ = rx.arm_wake()?;
    /// rx.disarm_wake();
    /// assert_eq!(rx.dequeue()?, None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn disarm_wake(&mut self) {
        self.ring.disarm();
    }

    /// An asynchronous waiter's peer check, for a wait that ran out its
    /// [`peer_check`](Self::peer_check) interval unwoken: [`ErrorKind::PeerDied`]
    /// if the producer died holding its role. Dequeue once more before
    /// reporting it: what the producer committed before it died is there.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`]; the semaphore set's errors (a removed queue:
    /// [`ErrorKind::Removed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = q.consumer()?;
    /// rx.check_peer()?; // no producer yet: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_peer(&self) -> Result<()> {
        let seat = Queue::<T, MAXSZ, B>::producer_seat(self.ring.ctl());
        check(seat, self.role.handle().sems())
    }

    /// How long a wait should last before [`check_peer`](Self::check_peer)
    /// (the blocking calls' interval, [`set_peer_check`](Self::set_peer_check));
    /// `None`: never.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// rx.set_peer_check(Some(Duration::from_secs(1)));
    /// assert_eq!(rx.peer_check(), Some(Duration::from_secs(1)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn peer_check(&self) -> Option<Duration> {
        self.role.settings.peer_check
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Producer<T, MAXSZ, B> {
    /// Arms this producer for an asynchronous wait on a full queue: `Ok(None)` if
    /// room appeared meanwhile, so enqueue now; `Ok(Some(word))` if it is still
    /// full: sleep on `word` (see [`crate::wake`]), which the consumer's next
    /// dequeue clears and wakes, then enqueue again. Arm only when about to sleep,
    /// after an [`enqueue`](Self::enqueue) found the queue full (see
    /// [`Consumer::arm_wake`]).
    ///
    /// # Errors
    ///
    /// As [`Consumer::arm_wake`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert!(tx.arm_wake()?.is_none()); // room
    /// tx.enqueue(1)?;
    /// let word = tx.arm_wake()?.expect("full: armed");
    /// assert!(word.is_armed());
    /// assert_eq!(rx.dequeue()?, Some(1)); // clears the word, then wakes it
    /// assert!(tx.arm_wake()?.is_none());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_wake(&mut self) -> Result<Option<WakeWord<'_>>> {
        self.role
            .now(
                &mut self.ring,
                &"Producer::arm_wake",
                ITEMS,
                |ring, wake| ring.arm(wake).map_err(arm_error),
            )
            .map(|armed| armed.map(WakeWord::new))
    }

    /// The word of a wait armed earlier that no consumer move has cleared yet
    /// (`None` once one has, or if none was armed): an event loop whose wait on it
    /// ended without a wake (a timeout for [`check_peer`](Self::check_peer)) waits
    /// on it again, without the barrier another [`arm_wake`](Self::arm_wake)
    /// would run.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert!(rx.armed_word().is_none());
    /// assert!(rx.arm_wake()?.is_some());
    /// assert!(rx.armed_word().is_some()); // still armed
    /// tx.enqueue(3)?;
    /// assert!(rx.armed_word().is_none()); // cleared by the enqueue
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn armed_word(&self) -> Option<WakeWord<'_>> {
        let word = WakeWord::new(&self.ring.ctl().producer_waiting);
        word.is_armed().then_some(word)
    }

    /// The consumer's seat, for a loop that looks at many peers cheaply (see
    /// [`PeerSeat`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (tx, rx) = q.split()?;
    /// assert_eq!(tx.peer_seat().semid, rx.peer_seat().semid);
    /// assert_ne!(tx.peer_seat().num, rx.peer_seat().num);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn peer_seat(&self) -> PeerSeat {
        PeerSeat {
            semid: self.role.handle().sems().id(),
            num: Queue::<T, MAXSZ, B>::consumer_seat(self.ring.ctl()).sem,
        }
    }

    /// Withdraws an [`arm_wake`](Self::arm_wake) that will not be waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue(1)?;
    /// let _ = tx.arm_wake()?;
    /// tx.disarm_wake();
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn disarm_wake(&mut self) {
        self.ring.disarm();
    }

    /// As [`Consumer::check_peer`], for the consumer: [`ErrorKind::PeerDied`] if
    /// it died holding its role.
    ///
    /// # Errors
    ///
    /// As [`Consumer::check_peer`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = q.producer()?;
    /// let rx = q.consumer()?;
    /// tx.check_peer()?; // alive
    /// drop(rx);
    /// tx.check_peer()?; // left cleanly: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_peer(&self) -> Result<()> {
        let seat = Queue::<T, MAXSZ, B>::consumer_seat(self.ring.ctl());
        check(seat, self.role.handle().sems())
    }

    /// As [`Consumer::peer_check`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.set_peer_check(None);
    /// assert_eq!(tx.peer_check(), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn peer_check(&self) -> Option<Duration> {
        self.role.settings.peer_check
    }
}

/// [`ErrorKind::PeerDied`] if `seat`'s holder died holding it.
fn check<B: Backend>(seat: crate::role::Seat<'_>, sems: &crate::sem::SemSet<B>) -> Result<()> {
    if seat.died(sems).map_err(crate::park::gone_is_removed)? {
        return Err(Error::new(ErrorKind::PeerDied));
    }
    Ok(())
}
