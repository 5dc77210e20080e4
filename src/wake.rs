//! Waiting without blocking: the word an asynchronous waiter sleeps on.
//!
//! A blocking call parks on a System V semaphore, which no event loop can wait on
//! beside other events. An asynchronous waiter (the `sysv-ipc-async` crate's
//! futures, or any loop that can wait on a futex) instead *arms* its side of a
//! layout (`arm_wake`, e.g. [`Consumer::arm_wake`](crate::queue::Consumer::arm_wake)):
//! the side announces a waiter value (2) in its waiting flag, runs the barrier a
//! park runs and looks once more. If there is still nothing to do, it gets a
//! [`WakeWord`]: the flag's low 32 bits, to sleep on in a futex wait expecting
//! [`WakeWord::expected`]. The peer's next index store clears the flag and then
//! wakes the word (`futex(FUTEX_WAKE)`), a Rust peer or a C one (layout version
//! 6), blocking or not. A waiter that gives up disarms (`disarm_wake`).
//!
//! A futex wait returns at once if the word no longer holds the expected value,
//! so a wake that lands between the arm and the wait is never lost. Wakes do not
//! accumulate: after any return, look again (the operation itself), and arm again
//! if there is still nothing.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::layout::ring::{WAITING_WORD, word_low_half};

/// The word an armed side's asynchronous waiter sleeps on (see the [module
/// docs](self)): a futex wait on [`addr`](Self::addr) expecting
/// [`expected`](Self::expected), shared between processes (no
/// `FUTEX_PRIVATE_FLAG`: the peer wakes it from its own mapping of the segment).
///
/// The address is valid while the side it came from is (the role keeps the
/// segment attached). A waiter that outlives it, or passes it to a futex wait
/// after the segment was detached, gets `EFAULT` or a wait on unrelated memory
/// from the kernel, never an access from this crate.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (mut tx, mut rx) = q.split()?;
/// let word = rx.arm_wake()?.expect("empty: armed");
/// assert!(word.is_armed());
/// tx.enqueue(7)?; // clears the word, then wakes it
/// assert!(!word.is_armed());
/// assert_eq!(rx.dequeue()?, Some(7));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct WakeWord<'a> {
    flag: &'a AtomicU64,
    /// The low half's value while armed.
    expected: u32,
}

impl<'a> WakeWord<'a> {
    /// A ring side's waiting flag, armed with [`WAITING_WORD`].
    pub(crate) const fn new(flag: &'a AtomicU64) -> Self {
        WakeWord {
            flag,
            expected: WAITING_WORD as u32,
        }
    }

    /// A watcher's word ([`layout::watch`](crate::layout::watch)), armed at the
    /// value its announcement left.
    pub(crate) const fn expecting(flag: &'a AtomicU64, expected: u32) -> Self {
        WakeWord { flag, expected }
    }

    /// The 32-bit word to wait on (4-byte aligned, in the shared segment).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let word = rx.arm_wake()?.expect("empty: armed");
    /// assert!(word.addr().is_aligned());
    /// // SAFETY: the consumer, and so its attachment, is alive.
    /// assert_eq!(unsafe { word.addr().read_volatile() }, word.expected());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn addr(&self) -> *const u32 {
        word_low_half(self.flag)
    }

    /// The value the word holds while the wait is armed: a futex wait expecting it
    /// returns at once once the peer has cleared the word (a ring's flag) or
    /// moved it to its next epoch (a watcher's word).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// assert_eq!(rx.arm_wake()?.map(|w| w.expected()), Some(2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn expected(&self) -> u32 {
        self.expected
    }

    /// Whether the wait is still armed: no peer has cleared (or, for a watcher's
    /// word, moved) the word since.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let armed = rx.arm_wake()?.expect("empty").is_armed();
    /// rx.disarm_wake();
    /// assert!(armed);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_armed(&self) -> bool {
        // Relaxed: a hint; the operation's own look is what decides.
        self.flag.load(Ordering::Relaxed) == u64::from(self.expected)
    }
}

/// Where a peer's role is held: semaphore [`num`](Self::num) of the set
/// [`semid`](Self::semid) is 0 while a process holds the role (its `SEM_UNDO`
/// decrement) and non-zero once the role is free, released or its holder dead.
/// A loop that waits for many objects looks at it cheaply (`semctl(GETVAL)`,
/// nothing else) and calls the side's `check_peer` only when it is non-zero,
/// which tells a death from a release.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, SemSet, queue::Queue};
///
/// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let rx = q.consumer()?;
/// let seat = rx.peer_seat();
/// assert_ne!(seat.semid, 0);
/// let tx = q.producer()?;
/// # let _ = (seat.num, tx);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerSeat {
    /// The semaphore set's id.
    pub semid: i32,
    /// The seat's semaphore in it.
    pub num: u16,
}

/// What a watcher's arm found (`arm_watch` of
/// [`SeqLock`](crate::seqlock::SeqLock::arm_watch) and
/// [`Table`](crate::table::Table::arm_watch)): the object changed since the version
/// the watcher saw, or the word to sleep on until the writer's next write.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock, wake::Watched};
///
/// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = lock.writer()?;
/// let Watched::Armed(word) = lock.arm_watch(0)? else { panic!("nothing written yet") };
/// w.write(&5)?; // moves the word to its next epoch, then wakes it
/// assert!(!word.is_armed());
/// assert!(matches!(lock.arm_watch(0)?, Watched::Changed(2)));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Watched<'a> {
    /// A complete write with this version came after the one the watcher gave:
    /// read now.
    Changed(u64),
    /// No write since: sleep on the word (see [`WakeWord`]), which the writer's
    /// next write changes and wakes, then arm again. Any number of watchers share
    /// it.
    Armed(WakeWord<'a>),
}
