//! [`Broadcast<T, N>`](Broadcast): one writer process and up to `R` reader
//! processes (fixed at creation) over a ring of `N` values of `T` in a System V
//! shared memory segment. Every reader has its own cursor and sees every value
//! the writer sends after it joined, in order — `tokio::sync::broadcast` with
//! the storage in a segment.
//!
//! ```
//! use sysv_ipc::broadcast::{Broadcast, Start};
//! use sysv_ipc::{Intent, Key, Mode, Removal};
//!
//! let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let mut a = bc.reader(Start::Newest)?;
//! let mut b = bc.reader(Start::Newest)?;
//! let mut tx = bc.writer()?;
//! tx.send(1)?;
//! tx.send(2)?;
//! for rx in [&mut a, &mut b] {
//!     assert_eq!((rx.recv()?, rx.recv()?, rx.recv()?), (Some(1), Some(2), None));
//! }
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # Policies
//!
//! Chosen at creation ([`BroadcastOptions::policy`]):
//!
//! - [`Policy::Lossy`] (the default): the writer never waits. A reader the writer
//!   lapped gets [`ErrorKind::Lagged`] with the exact number of values it missed
//!   ([`Error::missed`]) and goes on from the oldest value still in the ring. A
//!   torn value is never returned: every read is validated after the copy.
//! - [`Policy::Lossless`]: the writer waits (spins, then parks) for the slowest
//!   *live* reader. A reader process that dies is dropped by the waiting writer
//!   at its next peer check ([`Writer::set_peer_check`]): its role semaphore was
//!   taken with `SEM_UNDO`, so the kernel gives it back when the reader dies, and
//!   a dead reader never stalls the writer for longer than one check interval.
//!
//! # What is in the kernel
//!
//! - a segment of `384 + 128·R + N·S` bytes (`S` = 8 + `size_of::<T>()` rounded
//!   up to 8): the crate's header, the writer's and the waiting lines, one line
//!   per reader (its cursor), then the slots (`src/layout/broadcast.rs` has every
//!   byte);
//! - a set of `2 + 2·R` semaphores under the same key: 0 wakes a parked writer,
//!   1 is the writer's role (1 = free); `2 + 2k` wakes reader `k`, `3 + 2k` is
//!   reader seat `k` (1 = free).
//!
//! [`Removable::remove`] removes both.
//!
//! # Roles
//!
//! [`Broadcast::writer`] claims the one writer role as [`Queue`](crate::queue::Queue)'s
//! producer is claimed ([`ErrorKind::RoleTaken`], [`ErrorKind::RoleAbandoned`],
//! [`Broadcast::reclaim_writer`]). [`Broadcast::reader`] claims the first free
//! reader seat of `R` (a dead reader's seat is free again: the kernel undid its
//! claim, and the joiner takes it over), or fails with [`ErrorKind::RoleTaken`]
//! when all `R` are held by live processes. Each role owns its own attachment of
//! the segment and can move into a thread; it works only in the process that
//! claimed it ([`ErrorKind::WrongProcess`] in a child created by `fork`).

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;

use crate::error::{Object, during};
use crate::join::{self, LayoutSpec};
use crate::layout::SlotOf;
use crate::layout::broadcast::{
    self as bc, BcCtl, BcReader, BcWriter, Fanout, JoinError, LINE_WORDS, MAX_READERS, PID,
    ReadError, WaitError,
};
pub use crate::layout::broadcast::{Policy, Start};
use crate::layout::header::{Kind, Shape};
pub use crate::layout::ring::Barrier;
use crate::layout::ring::PayloadWords;
use crate::layout::ring::{Corrupt, Parking, RingError};
use crate::layout::{ShmType, load_words, store_words, view, words_for};
use crate::park::{Lane, Peer, PeerWake};
use crate::role::{self, Handle, Role, Seat, choose_barrier};
use crate::sem::{JOIN_TIMEOUT, SemOp, SemSet};
use crate::shm::{Attachment, Segment};
use crate::sync::AtomicU64;
use crate::{Backend, DefaultBackend, Error, ErrorKind, Intent, Key, Mode, Removable, Result};

/// Semaphore a parked (lossless) writer waits on.
pub(crate) const WRITER_WAKE: u16 = 0;
/// The writer role (1 = free).
pub(crate) const WRITER_ROLE: u16 = 1;

/// Semaphore reader `k` parks on.
fn reader_wake(k: usize) -> u16 {
    // `k < R <= MAX_READERS`, so `2 + 2k` fits (checked in `SEM_VALUES`'s length).
    u16::try_from(2 + 2 * k).unwrap_or(u16::MAX)
}

/// Reader seat `k`'s role semaphore (1 = free).
fn reader_role(k: usize) -> u16 {
    reader_role_at(k).unwrap_or(u16::MAX)
}

/// [`reader_role`], `None` for a `k` no set can number (`info`'s inspector
/// reads `k`'s bound from a segment).
pub(crate) fn reader_role_at(k: usize) -> Option<u16> {
    u16::try_from(k.checked_mul(2)?.checked_add(3)?).ok()
}

/// Initial values of the set of the most readers: wake semaphores 0, roles 1,
/// alternating; a broadcast of `R` readers takes the first `2 + 2R`.
static SEM_VALUES: [u16; 2 + 2 * MAX_READERS] = {
    assert!(2 + 2 * MAX_READERS <= u16::MAX as usize);
    let mut v = [0; 2 + 2 * MAX_READERS];
    let mut i = 1;
    while i < v.len() {
        v[i] = 1;
        i += 2;
    }
    v
};

/// Semaphores of the set for `readers` readers (the first `2 + 2R` of
/// `SEM_VALUES`; `None` past `usize`).
pub(crate) const fn set_size(readers: usize) -> Option<usize> {
    match readers.checked_mul(2) {
        Some(n) => n.checked_add(2),
        None => None,
    }
}

/// Readers of [`BroadcastOptions::new`].
pub(crate) const DEFAULT_READERS: usize = 8;

type Layout<'a, T, const N: usize> = bc::Broadcast<'a, N, SlotOf<T>>;

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

fn corrupt(_: Corrupt) -> Error {
    error(ErrorKind::Corrupt)
}

/// The end of the stream; out of line, as an error path.
#[cold]
#[inline(never)]
fn closed() -> Error {
    error(ErrorKind::Closed)
}

/// A read's failure as the crate's error.
#[cold]
#[inline(never)]
fn read_error(e: ReadError) -> Error {
    match e {
        ReadError::Corrupt => error(ErrorKind::Corrupt),
        ReadError::Lagged(n) => Error::lagged(n),
        ReadError::Dropped => error(ErrorKind::RoleTaken)
            .because("this reader was dropped as dead by another process; join again"),
    }
}

/// A blocking read's or write's failure in the terms of [`Role::wait`].
#[cold]
#[inline(never)]
fn wait_error(e: WaitError<Error>) -> RingError<Error> {
    match e {
        WaitError::Read(ReadError::Corrupt) => RingError::Corrupt,
        WaitError::Read(e) => RingError::Park(read_error(e)),
        WaitError::Closed => RingError::Closed,
        WaitError::Park(e) => RingError::Park(e),
    }
}

/// How [`Broadcast::create_with`] creates or joins a broadcast: the number of
/// reader seats `R`, the [`Policy`], the [`Barrier`] and the join timeout. A
/// builder; `BroadcastOptions::new()` holds the defaults (8 readers, lossy, the
/// creator picks the barrier, [`JOIN_TIMEOUT`]). A joiner must give the `R` and
/// policy the creator gave ([`ErrorKind::LayoutMismatch`] otherwise).
///
/// # Examples
///
/// ```
/// use sysv_ipc::broadcast::{BroadcastOptions, Policy};
///
/// let o = BroadcastOptions::new().readers(3).policy(Policy::Lossless);
/// assert_eq!((o.get_readers(), o.get_policy()), (3, Policy::Lossless));
/// assert_eq!(BroadcastOptions::default(), BroadcastOptions::new());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct BroadcastOptions {
    readers: usize,
    policy: Policy,
    barrier: Option<Barrier>,
    join_timeout: Duration,
}

impl Default for BroadcastOptions {
    fn default() -> BroadcastOptions {
        BroadcastOptions::new()
    }
}

impl BroadcastOptions {
    /// The defaults: 8 reader seats, [`Policy::Lossy`], the barrier the creator
    /// picks, [`JOIN_TIMEOUT`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{BroadcastOptions, Policy};
    ///
    /// let o = BroadcastOptions::new();
    /// assert_eq!((o.get_readers(), o.get_policy(), o.get_barrier()), (8, Policy::Lossy, None));
    /// ```
    pub const fn new() -> BroadcastOptions {
        BroadcastOptions {
            readers: DEFAULT_READERS,
            policy: Policy::Lossy,
            barrier: None,
            join_timeout: JOIN_TIMEOUT,
        }
    }

    /// Reader seats `R`, `1..=960`; another number is refused by
    /// [`Broadcast::create_with`] ([`ErrorKind::OutOfRange`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::BroadcastOptions;
    ///
    /// assert_eq!(BroadcastOptions::new().readers(2).get_readers(), 2);
    /// ```
    pub const fn readers(self, readers: usize) -> BroadcastOptions {
        BroadcastOptions { readers, ..self }
    }

    /// The reader seats asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::BroadcastOptions;
    ///
    /// assert_eq!(BroadcastOptions::new().get_readers(), 8);
    /// ```
    pub const fn get_readers(self) -> usize {
        self.readers
    }

    /// What the writer does when a reader lags (see the [module docs](self#policies)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{BroadcastOptions, Policy};
    ///
    /// assert_eq!(BroadcastOptions::new().policy(Policy::Lossless).get_policy(), Policy::Lossless);
    /// ```
    pub const fn policy(self, policy: Policy) -> BroadcastOptions {
        BroadcastOptions { policy, ..self }
    }

    /// The policy asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{BroadcastOptions, Policy};
    ///
    /// assert_eq!(BroadcastOptions::new().get_policy(), Policy::Lossy);
    /// ```
    pub const fn get_policy(self) -> Policy {
        self.policy
    }

    /// Requires `barrier` (as [`QueueOptions::barrier`](crate::queue::QueueOptions::barrier)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Barrier, BroadcastOptions};
    ///
    /// let o = BroadcastOptions::new().barrier(Barrier::Symmetric);
    /// assert_eq!(o.get_barrier(), Some(Barrier::Symmetric));
    /// ```
    pub const fn barrier(self, barrier: Barrier) -> BroadcastOptions {
        BroadcastOptions {
            barrier: Some(barrier),
            ..self
        }
    }

    /// The barrier required, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::BroadcastOptions;
    ///
    /// assert_eq!(BroadcastOptions::new().get_barrier(), None);
    /// ```
    pub const fn get_barrier(self) -> Option<Barrier> {
        self.barrier
    }

    /// How long a joiner waits for a creator that has not finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::BroadcastOptions;
    ///
    /// let o = BroadcastOptions::new().join_timeout(Duration::from_millis(5));
    /// assert_eq!(o.get_join_timeout(), Duration::from_millis(5));
    /// ```
    pub const fn join_timeout(self, timeout: Duration) -> BroadcastOptions {
        BroadcastOptions {
            join_timeout: timeout,
            ..self
        }
    }

    /// The join timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::BroadcastOptions;
    /// use sysv_ipc::sem::JOIN_TIMEOUT;
    ///
    /// assert_eq!(BroadcastOptions::new().get_join_timeout(), JOIN_TIMEOUT);
    /// ```
    pub const fn get_join_timeout(self) -> Duration {
        self.join_timeout
    }
}

/// A one-writer, many-reader broadcast of `N` values of `T` (see the [module
/// docs](self)). `N` is a power of two, at least 2.
///
/// # Examples
///
/// ```
/// use sysv_ipc::broadcast::{Broadcast, Start};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let key = Key::new(0x4c00_0000 | (std::process::id() as i32 & 0xff_ffff));
/// // The writer's process:
/// let bc = Removal::new(Broadcast::<u32, 16>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut tx = bc.writer()?;
/// // A reader's process:
/// let theirs = Broadcast::<u32, 16>::open(key)?;
/// let mut rx = theirs.reader(Start::Newest)?;
/// tx.send(5)?;
/// assert_eq!(rx.recv()?, Some(5));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Broadcast<T, const N: usize, B: Backend = DefaultBackend> {
    att: Attachment<B>,
    sems: SemSet<B>,
    readers: usize,
    _type: PhantomData<T>,
}

impl<T, const N: usize, B: Backend> fmt::Debug for Broadcast<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broadcast")
            .field("capacity", &N)
            .field("readers", &self.readers)
            .field("shmid", &self.att.segment_id())
            .field("semid", &self.sems.id())
            .finish()
    }
}

impl<T, const N: usize, B: Backend> Handle for Broadcast<T, N, B> {
    type Backend = B;

    #[inline]
    fn sems(&self) -> &SemSet<B> {
        &self.sems
    }

    #[inline]
    fn object(&self) -> Object {
        Object::Segment(self.att.segment_id())
    }
}

impl<T, const N: usize, B: Backend + Clone> Removable for Broadcast<T, N, B> {
    /// Removes the segment and the semaphore set (`IPC_RMID` on both); parked
    /// callers wake with [`ErrorKind::Removed`].
    fn remove(&self) -> Result<()> {
        during(&"Broadcast::remove", self.object(), || {
            let shm = self.att.segment().remove();
            let sem = self.sems.remove();
            shm.and(sem)
        })
    }
}

impl<T: ShmType, const N: usize> Broadcast<T, N> {
    /// Creates the broadcast of `key` or opens it, on the default backend, with
    /// [`BroadcastOptions::new`]. See [`Broadcast::create_with`].
    ///
    /// # Errors
    ///
    /// As [`Broadcast::create_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removable};
    ///
    /// let bc = Broadcast::<u64, 64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!((bc.capacity(), bc.readers()), (64, 8));
    /// bc.remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"Broadcast::create", Object::Key(key), || {
            let options = BroadcastOptions::new();
            Broadcast::create_with(DefaultBackend::default(), key, intent, mode, options)
        })
    }

    /// Opens the existing broadcast of `key` made with the default options, on
    /// the default backend. See [`Broadcast::open_in`].
    ///
    /// # Errors
    ///
    /// As [`Broadcast::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::queue::Queue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x4d00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(Broadcast::<u64, 8>::open(key).is_ok());
    /// // Opened as a queue, it is refused.
    /// let e = Queue::<u64, 8>::open(key).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::LayoutMismatch);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open(key: Key) -> Result<Self> {
        during(&"Broadcast::open", Object::Key(key), || {
            Broadcast::open_in(DefaultBackend::default(), key)
        })
    }
}

impl<T: ShmType, const N: usize, B: Backend> Broadcast<T, N, B> {
    /// Slots: `N`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    ///
    /// assert_eq!(Broadcast::<u64, 256>::CAPACITY, 256);
    /// ```
    pub const CAPACITY: usize = N;

    /// Payload words per slot.
    const SLOT_WORDS: usize = {
        assert!(
            size_of::<T>() > 0,
            "a broadcast of zero-sized values carries nothing"
        );
        assert!(
            N.is_power_of_two() && N >= 2,
            "N must be a power of two, at least 2"
        );
        words_for(size_of::<T>())
    };

    /// Bytes of the layout with `readers` reader lines (for the C header's
    /// assertions; `usize::MAX` if they do not fit).
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    pub(crate) const fn size_of(readers: usize) -> usize {
        match Self::size(readers) {
            Some(n) => n,
            None => usize::MAX,
        }
    }

    /// Bytes of the layout with `readers` reader lines.
    const fn size(readers: usize) -> Option<usize> {
        bc::layout_size(N, Self::SLOT_WORDS, readers)
    }

    /// Creates the broadcast of `key` or opens it, as `intent` says, with
    /// [`BroadcastOptions::new`]. See [`Broadcast::create_with`].
    ///
    /// # Errors
    ///
    /// As [`Broadcast::create_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let b = DefaultBackend::default();
    /// let bc = Removal::new(Broadcast::<u64, 8, _>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(bc.readers_registered()?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Broadcast::create_in", Object::Key(key), || {
            Broadcast::create_with(backend, key, intent, mode, BroadcastOptions::new())
        })
    }

    /// Opens the existing broadcast of `key` made with the default options;
    /// [`Broadcast::create_with`] with [`Intent::Open`] takes other ones.
    ///
    /// # Errors
    ///
    /// As [`Broadcast::create_with`]; [`ErrorKind::NotFound`] if `key` has no segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x4e00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// assert_eq!(Broadcast::<u64, 8, _>::open_in(b, key).unwrap_err().kind(), ErrorKind::NotFound);
    /// let bc = Removal::new(Broadcast::<u64, 8, _>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let e = Broadcast::<f64, 8, _>::open_in(b, key).unwrap_err(); // another T
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("type_id")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Broadcast::open_in", Object::Key(key), || {
            let options = BroadcastOptions::new();
            Broadcast::create_with(backend, key, Intent::Open, Mode::default(), options)
        })
    }

    /// [`Broadcast::open_in`] for a program that may start before the creator:
    /// retries until `key` has a segment or `timeout` ran out (as
    /// [`Queue::open_wait_in`](crate::queue::Queue::open_wait_in)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no broadcast after `timeout`;
    /// otherwise as [`Broadcast::create_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Key};
    ///
    /// let key = Key::new(0x4f00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let o = BroadcastOptions::new();
    /// let e = Broadcast::<u64, 8, _>::open_wait_in(b, key, o, Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// ```
    pub fn open_wait_in(
        backend: B,
        key: Key,
        options: BroadcastOptions,
        timeout: Duration,
    ) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Broadcast::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |left| {
                let options = options.join_timeout(left.max(options.join_timeout));
                Broadcast::create_with(backend.clone(), key, Intent::Open, Mode::default(), options)
            })
        })
    }

    /// Creates the broadcast of `key`, or joins the one it has, as `intent` says,
    /// with `options` (reader seats, policy, barrier, join timeout). The segment
    /// and its header handshake are [`Queue::create_in`](crate::queue::Queue::create_in)'s.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::OutOfRange`]: `options`' readers are not in `1..=960`;
    /// - [`ErrorKind::LayoutMismatch`]: the segment of `key` holds another layout
    ///   (a queue, a seqlock), another `T`, another `N` (`field` says which), other
    ///   reader seats (`"total_size"` or `"readers"`), another policy
    ///   (`"policy"`) or barrier (`"barrier"`);
    /// - [`ErrorKind::Unsupported`]: [`Barrier::Asymmetric`] was required and this
    ///   kernel does not offer it;
    /// - as [`Queue::create_in`](crate::queue::Queue::create_in) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x5000_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let o = BroadcastOptions::new().readers(2).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 8, _>::create_with(b, key, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// assert_eq!((bc.readers(), bc.policy()?), (2, Policy::Lossless));
    /// // A joiner that asks for the other policy is refused.
    /// let lossy = o.policy(Policy::Lossy);
    /// let e = Broadcast::<u64, 8, _>::create_with(b, key, Intent::Open, Mode::OWNER_RW, lossy).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("policy")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_with(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: BroadcastOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Broadcast::create_with", Object::Key(key), || {
            Broadcast::create_full(backend, key, intent, mode, options)
        })
    }

    fn create_full(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: BroadcastOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        let readers = options.readers;
        if !(1..=MAX_READERS).contains(&readers) {
            return Err(error(ErrorKind::OutOfRange));
        }
        let size = Self::size(readers).ok_or_else(|| error(ErrorKind::OutOfRange))?;
        let required = options.barrier;
        if required == Some(Barrier::Asymmetric) && choose_barrier(&backend) != Barrier::Asymmetric
        {
            return Err(error(ErrorKind::Unsupported));
        }
        let spec = LayoutSpec {
            shape: Shape::of::<T>(Kind::Broadcast, N, bc::DATA_OFFSET, size),
            size,
            sem_values: set_size(readers)
                .and_then(|n| SEM_VALUES.get(..n))
                .unwrap_or(&[]),
        };
        let policy = options.policy;
        let init = |ctl: &BcCtl, backend: &B| {
            let barrier = required.unwrap_or_else(|| choose_barrier(backend));
            ctl.init(policy, readers, barrier);
        };
        let (att, sems) = join::create_or_join(
            backend,
            key,
            intent,
            mode,
            &spec,
            init,
            options.join_timeout,
        )?;
        let me = Broadcast {
            att,
            sems,
            readers,
            _type: PhantomData,
        };
        let ctl = me.ctl()?;
        let mismatch = |field: &'static &'static str, actual: u64, expected: u64| {
            Err(error(ErrorKind::LayoutMismatch).with_field(field, actual, expected))
        };
        // Relaxed: written before READY, which the join's Acquire load saw.
        let recorded = ctl.readers.load(crate::sync::Ordering::Relaxed);
        if recorded != readers as u64 {
            return mismatch(&"readers", recorded, readers as u64);
        }
        let recorded = ctl.policy().map_err(corrupt)?;
        if recorded != policy {
            return mismatch(&"policy", recorded as u64, policy as u64);
        }
        if let Some(wanted) = required
            && let recorded = ctl.barrier()
            && recorded != wanted
        {
            let code = |b: Barrier| u64::from(b == Barrier::Asymmetric);
            return mismatch(&"barrier", code(recorded), code(wanted));
        }
        Ok(me)
    }

    /// A mapping too small for the layout (never, for a broadcast that opened).
    fn too_small(&self) -> Error {
        let expected = Self::size(self.readers).unwrap_or(usize::MAX);
        error(ErrorKind::LayoutMismatch).with_field(&"size", self.att.len() as u64, expected as u64)
    }

    /// The control block, reader lines and slots of this handle's mapping.
    fn words(&self) -> Result<(&BcCtl, &[AtomicU64])> {
        let lines = bc::Broadcast::<N>::line_words(self.readers);
        let slots = bc::Broadcast::<N>::words(Self::SLOT_WORDS);
        view::<B, BcCtl>(&self.att, bc::DATA_OFFSET, lines + slots).ok_or_else(|| self.too_small())
    }

    fn ctl(&self) -> Result<&BcCtl> {
        Ok(self.words()?.0)
    }

    /// The layout over `ctl` and the words after it (reader lines, then slots),
    /// and the reader lines.
    fn split<'m>(
        &self,
        ctl: &'m BcCtl,
        words: &'m [AtomicU64],
    ) -> Result<(Layout<'m, T, N>, &'m [AtomicU64])> {
        let (lines, slots) = words
            .split_at_checked(bc::Broadcast::<N>::line_words(self.readers))
            .ok_or_else(|| self.too_small())?;
        let l = Layout::with_words(ctl, lines, slots, Self::SLOT_WORDS)
            .ok_or_else(|| self.too_small())?;
        Ok((l, lines))
    }

    fn layout(&self) -> Result<(Layout<'_, T, N>, &[AtomicU64])> {
        let (ctl, words) = self.words()?;
        self.split(ctl, words)
    }

    /// [`layout`](Self::layout), not tied to a borrow of `self`: for a role,
    /// which keeps this handle beside the view.
    ///
    /// # Safety
    ///
    /// As [`role::unbounded`]: the view must not be used once this handle's
    /// attachment is detached, which happens only when the handle is dropped.
    #[allow(unsafe_code)]
    unsafe fn layout_unbounded<'m>(&self) -> Result<(Layout<'m, T, N>, &'m [AtomicU64])> {
        let (ctl, words) = self.words()?;
        // SAFETY: both point into the segment's mapping, not into `self`; the
        // caller keeps to this fn's contract, which is `unbounded`'s.
        let (ctl, words) = unsafe { role::unbounded(ctl, words) };
        self.split(ctl, words)
    }

    /// A second handle on this broadcast, for a role to own.
    fn own_handle(&self) -> Result<Self>
    where
        B: Clone,
    {
        let (att, sems) = role::own_parts(&self.att, &self.sems)?;
        Ok(Broadcast {
            att,
            sems,
            readers: self.readers,
            _type: PhantomData,
        })
    }

    #[allow(unsafe_code)] // layout_unbounded
    fn writer_with(&self, reclaim: bool) -> Result<Writer<T, N, B>>
    where
        B: Clone,
    {
        let handle = self.own_handle()?;
        // SAFETY: the view goes into the role beside `handle`, whose mapping it
        // is; the writer uses it only while its role holds `handle` (see
        // `Writer`'s fields), and on the error paths it is dropped unused.
        let (layout, lines) = unsafe { handle.layout_unbounded()? };
        let seat = Seat {
            sem: WRITER_ROLE,
            pid: &layout.ctl().writer_pid,
        };
        let role = Role::claim(handle, seat, reclaim)?;
        // Read while holding the role: a closing writer stored `closed` before it
        // released the role, and closed is for good.
        if layout.ctl().is_closed().map_err(corrupt)? {
            return Err(closed());
        }
        role.register_for(layout.ctl().barrier())?;
        let ring = BcWriter::new(layout).map_err(corrupt)?;
        Ok(Writer {
            ring,
            layout,
            lines,
            role,
        })
    }

    /// Claims the writer role for this process (its own attachment of the
    /// segment; it can move into a thread and outlive `self`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`] while a live process holds it;
    /// [`ErrorKind::RoleAbandoned`] when its last holder died holding it (see
    /// [`reclaim_writer`](Self::reclaim_writer)); [`ErrorKind::Closed`] once a
    /// writer closed the stream; [`ErrorKind::Unsupported`] on an asymmetric
    /// broadcast where this process cannot register for `membarrier`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = bc.writer()?;
    /// assert_eq!(bc.writer().unwrap_err().kind(), ErrorKind::RoleTaken);
    /// drop(tx);
    /// assert!(bc.has_writer().is_ok_and(|held| !held));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn writer(&self) -> Result<Writer<T, N, B>>
    where
        B: Clone,
    {
        during(&"Broadcast::writer", self.object(), || {
            self.writer_with(false)
        })
    }

    /// [`writer`](Self::writer), taking over a role whose last holder died.
    ///
    /// # Errors
    ///
    /// As [`writer`](Self::writer), never [`ErrorKind::RoleAbandoned`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = bc.reclaim_writer()?; // free: an ordinary claim
    /// tx.send(1)?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn reclaim_writer(&self) -> Result<Writer<T, N, B>>
    where
        B: Clone,
    {
        during(&"Broadcast::reclaim_writer", self.object(), || {
            self.writer_with(true)
        })
    }

    /// Joins as a reader on the first free seat of `R`, starting at the oldest
    /// value still in the ring or at the next one the writer sends. A seat whose
    /// reader died is free: the joiner drops the dead reader's cursor and takes it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`] when live readers hold all `R` seats;
    /// [`ErrorKind::Corrupt`]; [`ErrorKind::Unsupported`] on an asymmetric
    /// broadcast where this process cannot register for `membarrier`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Start};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1);
    /// let b = DefaultBackend::default();
    /// let bc = Removal::new(Broadcast::<u64, 4, _>::create_with(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let mut tx = bc.writer()?;
    /// tx.send(1)?;
    /// let mut rx = bc.reader(Start::Oldest)?; // sees what is still in the ring
    /// assert_eq!(rx.recv()?, Some(1));
    /// assert_eq!(bc.reader(Start::Newest).unwrap_err().kind(), ErrorKind::RoleTaken); // one seat
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[allow(unsafe_code)] // layout_unbounded
    pub fn reader(&self, start: Start) -> Result<Reader<T, N, B>>
    where
        B: Clone,
    {
        during(&"Broadcast::reader", self.object(), || {
            let handle = self.own_handle()?;
            // SAFETY: the view goes into the role beside `handle`, whose mapping it
            // is; the reader uses it only while its role holds `handle` (see
            // `Reader`'s fields), and on the error paths it is dropped unused.
            let (layout, lines) = unsafe { handle.layout_unbounded()? };
            let seats = (0..layout.readers()).filter_map(|k| reader_seat(lines, k));
            let (role, k) = Role::claim_any(handle, seats, true)?;
            role.register_for(layout.ctl().barrier())?;
            let mut wake = role.wake(WRITER_WAKE);
            // We hold seat `k`, which every reader of line `k` holds while it is
            // joined: an occupant left in the line is a dead reader's.
            if let Some((ticket, true)) = layout.ticket(k) {
                layout.drop_reader(k, ticket, &mut wake).map_err(corrupt)?;
            }
            let ring = BcReader::join(layout, k, start, &mut wake).map_err(|e| match e {
                JoinError::Taken => error(ErrorKind::RoleTaken),
                JoinError::OutOfRange | JoinError::Corrupt => error(ErrorKind::Corrupt),
            })?;
            // A lossless writer parked on this reader's cursor is woken by this
            // process's death at once (and drops it as dead), rather than at its
            // next peer check: a net-zero semop whose `SEM_UNDO` adjustment posts
            // the writer's semaphore at exit. Without it (an error) the peer
            // check still finds the death.
            let death_wake = layout.policy() == Policy::Lossless
                && role
                    .handle()
                    .sems()
                    .op(&[
                        SemOp::post(WRITER_WAKE).nowait(),
                        SemOp::wait(WRITER_WAKE).undo().nowait(),
                    ])
                    .is_ok();
            Ok(Reader {
                ring,
                layout,
                lag: 0,
                death_wake,
                role,
            })
        })
    }

    /// Slots: `N`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u8, 32>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(bc.capacity(), 32);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Reader seats `R`, fixed at creation.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(3);
    /// let bc = Removal::new(Broadcast::<u8, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// assert_eq!(bc.readers(), 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn readers(&self) -> usize {
        self.readers
    }

    /// The policy recorded by the creator.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`] if the word holds garbage.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Policy};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u8, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(bc.policy()?, Policy::Lossy);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn policy(&self) -> Result<Policy> {
        self.ctl()?.policy().map_err(corrupt)
    }

    /// The barrier recorded by the creator.
    ///
    /// # Errors
    ///
    /// None in practice (a mapping too small: never, once opened).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Barrier, Broadcast, BroadcastOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().barrier(Barrier::Symmetric);
    /// let bc = Removal::new(Broadcast::<u8, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// assert_eq!(bc.barrier()?, Barrier::Symmetric);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn barrier(&self) -> Result<Barrier> {
        Ok(self.ctl()?.barrier())
    }

    /// Whether the writer closed the stream.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`] if the word holds garbage.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u8, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.writer()?.close()?;
    /// assert!(bc.is_closed()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_closed(&self) -> Result<bool> {
        self.ctl()?.is_closed().map_err(corrupt)
    }

    /// Whether a live process holds the writer role (its semaphore is taken).
    ///
    /// # Errors
    ///
    /// The semaphore's (`GETVAL`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u8, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = bc.writer()?;
    /// assert!(bc.has_writer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn has_writer(&self) -> Result<bool> {
        Ok(self.sems.get(WRITER_ROLE)? == 0)
    }

    /// Reader lines joined: live readers and dead ones not yet dropped (by a
    /// lossless writer's wait or the next joiner of their seat).
    ///
    /// # Errors
    ///
    /// None in practice (a mapping too small: never, once opened).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u8, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = bc.reader(Start::Newest)?;
    /// assert_eq!(bc.readers_registered()?, 1);
    /// drop(rx);
    /// assert_eq!(bc.readers_registered()?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn readers_registered(&self) -> Result<usize> {
        let (layout, _) = self.layout()?;
        Ok((0..layout.readers())
            .filter(|&k| matches!(layout.ticket(k), Some((_, true))))
            .count())
    }

    /// Reader seats held by live processes (their semaphores are taken; the
    /// kernel gives back a dead reader's).
    ///
    /// # Errors
    ///
    /// The semaphores' (`GETVAL`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u8, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (a, b) = (bc.reader(Start::Newest)?, bc.reader(Start::Oldest)?);
    /// assert_eq!(bc.readers_alive()?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn readers_alive(&self) -> Result<usize> {
        let mut alive = 0;
        for k in 0..self.readers {
            if self.sems.get(reader_role(k))? == 0 {
                alive += 1;
            }
        }
        Ok(alive)
    }

    /// The segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(bc.segment().stat()?.size >= 384 + 8 * 128 + 2 * 16);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn segment(&self) -> Segment<B>
    where
        B: Clone,
    {
        self.att.segment()
    }

    /// The semaphore set (`2 + 2·R` semaphores: park/wake and roles).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(bc.semaphores().stat()?.nsems, 2 + 2 * 8);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn semaphores(&self) -> &SemSet<B> {
        &self.sems
    }

    /// This handle's attachment of the segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(bc.attachment().segment_id(), bc.segment().id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn attachment(&self) -> &Attachment<B> {
        &self.att
    }
}

/// Reader seat `k`: its role semaphore and the pid word of its line.
fn reader_seat(lines: &[AtomicU64], k: usize) -> Option<Seat<'_>> {
    Some(Seat {
        sem: reader_role(k),
        pid: lines.get(k.checked_mul(LINE_WORDS)?.checked_add(PID)?)?,
    })
}

/// The writer's wakes: one post per parked reader. It never parks through this
/// (a blocking send parks through [`Role::wait`]'s park).
struct Fan<'a, B: Backend> {
    sems: &'a SemSet<B>,
}

impl<B: Backend> Parking for Fan<'_, B> {
    type Error = Error;

    fn park(&mut self) -> Result<()> {
        Err(error(ErrorKind::WouldBlock))
    }

    // The writer has no single peer to wake.
    fn unpark_peer(&mut self) {}

    fn wake_word(&mut self, word: &core::sync::atomic::AtomicU64) {
        crate::park::wake_word(self.sems.backend(), word);
    }

    fn heavy_barrier(&mut self) -> Result<()> {
        Err(error(ErrorKind::WouldBlock))
    }
}

impl<B: Backend> Fanout for Fan<'_, B> {
    fn unpark_reader(&mut self, reader: usize) {
        // The value is published whatever happens here; a removed set is reported
        // to the reader by its own semop.
        let _ = self.sems.op(&[SemOp::post(reader_wake(reader))]);
    }
}

/// Drops every reader whose process died (its seat freed by the kernel's
/// `SEM_UNDO` while its pid word still names it). Returns how many.
fn drop_dead<B: Backend, const N: usize, W: PayloadWords>(
    layout: bc::Broadcast<'_, N, W>,
    lines: &[AtomicU64],
    sems: &SemSet<B>,
) -> Result<usize> {
    let mut dropped = 0;
    for k in 0..layout.readers() {
        // The ticket before the look at the seat: a reader that joins the line
        // after this moves the ticket on, and the drop below is then a no-op.
        let Some((ticket, true)) = layout.ticket(k) else {
            continue;
        };
        let Some(seat) = reader_seat(lines, k) else {
            return Err(error(ErrorKind::Corrupt));
        };
        if seat.abandoned(sems)?
            && layout
                .drop_reader(k, ticket, &mut PeerWake::new(sems, WRITER_WAKE))
                .map_err(corrupt)?
        {
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// What a lossless writer's park checks at each peer check: it drops dead
/// readers (which wakes it to look again) and never ends the wait itself.
struct DeadReaders<'a, const N: usize, W: PayloadWords> {
    layout: bc::Broadcast<'a, N, W>,
    lines: &'a [AtomicU64],
}

impl<const N: usize, W: PayloadWords> Peer for DeadReaders<'_, N, W> {
    fn died<B: Backend>(&self, sems: &SemSet<B>) -> Result<bool> {
        drop_dead(self.layout, self.lines, sems)?;
        Ok(false)
    }
}

pub use crate::SendError;

mod arm;
mod large;
pub use large::WriteLoan;

/// The writer role of a [`Broadcast`] (see [`Broadcast::writer`]).
///
/// # Examples
///
/// ```
/// use sysv_ipc::broadcast::{Broadcast, Start};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = bc.reader(Start::Newest)?;
/// let mut tx = bc.writer()?;
/// assert_eq!(tx.send_with(3, |i| i as u64 * 10)?, 3);
/// let mut got = Vec::new();
/// assert_eq!(rx.recv_with(8, |v| got.push(v))?, 3);
/// assert_eq!(got, [0, 10, 20]);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Writer<T: ShmType, const N: usize, B: Backend = DefaultBackend> {
    /// Views of the role's own handle's mapping (see
    /// [`Broadcast::layout_unbounded`]): used only while `role` is held, and
    /// declared before it.
    ring: BcWriter<'static, N, SlotOf<T>>,
    layout: Layout<'static, T, N>,
    lines: &'static [AtomicU64],
    role: Role<Broadcast<T, N, B>>,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for Writer<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("broadcast", self.role.handle())
            .field("sent", &self.ring.tail())
            .finish()
    }
}

impl<T: ShmType, const N: usize, B: Backend> Writer<T, N, B> {
    /// Sends `value` to every reader, without blocking: lossy, always; lossless,
    /// when the slowest live reader is less than `N` behind.
    ///
    /// # Errors
    ///
    /// The value comes back in the error: [`ErrorKind::WouldBlock`] (lossless, a
    /// reader `N` behind), [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = bc.writer()?;
    /// for i in 0..100 {
    ///     tx.send(i)?; // lossy: never full
    /// }
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    // `#[inline]`: the success path is the holder check and the one-message
    // push; a full ring and every error go out of line (`refused`).
    #[inline]
    pub fn send(&mut self, value: T) -> Result<(), SendError<T>> {
        if self.pushed(&value) {
            return Ok(());
        }
        self.refused(value)
    }

    /// The fast path of every send: the holder check and a one-message push.
    /// `false` when it sent nothing (a full lossless ring, corrupt words, the
    /// wrong process): the caller's slower path says why, or waits.
    #[inline]
    fn pushed(&mut self, value: &T) -> bool {
        if self.role.holder().is_err() {
            return false;
        }
        let mut fan = Fan {
            sems: self.role.handle().sems(),
        };
        let pushed = self.ring.push_one(
            |slot| {
                store_words(slot, value.as_bytes());
            },
            &mut fan,
        );
        pushed == Ok(true)
    }

    /// Why [`send`](Self::send) did not take `value`, named: the whole call again
    /// (a full lossless ring stays full for its writer, a corrupt one corrupt, a
    /// lossy one has room: the value is sent), with the value back.
    #[cold]
    #[inline(never)]
    fn refused(&mut self, value: T) -> Result<(), SendError<T>> {
        let sems = self.role.handle().sems();
        let r = self
            .role
            .now(&mut self.ring, &"Writer::send", WRITER_WAKE, |ring, _| {
                let n = ring
                    .push(
                        1,
                        |_, slot| {
                            store_words(slot, value.as_bytes());
                        },
                        &mut Fan { sems },
                    )
                    .map_err(corrupt)?;
                if n == 0 {
                    return Err(error(ErrorKind::WouldBlock));
                }
                Ok(())
            });
        r.map_err(|error| SendError::new(error, value))
    }

    fn send_wait(
        &mut self,
        value: T,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<(), SendError<T>> {
        // First the non-blocking form's fast path: a value there (or room) is
        // taken without setting up a park, which costs on every call.
        if self.pushed(&value) {
            return Ok(());
        }
        let lane = Lane {
            own: WRITER_WAKE,
            wake: WRITER_WAKE,
            peer: DeadReaders {
                layout: self.layout,
                lines: self.lines,
            },
        };
        let sems = self.role.handle().sems();
        let r = self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |ring, spins, park| {
                let n = ring.reserve_blocking(1, spins, park).map_err(wait_error)?;
                if let Some(slot) = (n > 0).then(|| ring.reserved(0)) {
                    store_words(slot, value.as_bytes());
                }
                ring.commit(n, &mut Fan { sems });
                Ok(())
            },
            // `DeadReaders` never reports a death.
            |_, _, died| Err(died),
        );
        r.map_err(|error| SendError::new(error, value))
    }

    /// Sends `value`, waiting (lossless) while the slowest live reader is `N`
    /// behind: spins, then parks until a reader makes room. At every peer check
    /// ([`set_peer_check`](Self::set_peer_check)) the parked writer drops readers
    /// whose processes died, so a dead reader stalls it for at most one interval.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send) but never [`ErrorKind::WouldBlock`];
    /// [`ErrorKind::Interrupted`] (after [`set_interruptible`](Self::set_interruptible)),
    /// [`ErrorKind::Removed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || (0..10).for_each(|i| tx.send_blocking(i).unwrap()));
    ///     for want in 0..10 {
    ///         assert_eq!(rx.recv_blocking().unwrap(), want); // none lost
    ///     }
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_blocking(&mut self, value: T) -> Result<(), SendError<T>> {
        self.send_wait(value, &"Writer::send_blocking", None)
    }

    /// [`send_blocking`](Self::send_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] after `timeout` without room.
    ///
    /// # Errors
    ///
    /// As [`send_blocking`](Self::send_blocking), and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let _rx = bc.reader(Start::Newest)?; // never reads
    /// let mut tx = bc.writer()?;
    /// tx.send_with(2, |i| i as u64)?;
    /// let e = tx.send_timeout(9, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!((e.kind(), e.into_inner()), (ErrorKind::TimedOut, 9));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_timeout(&mut self, value: T, timeout: Duration) -> Result<(), SendError<T>> {
        self.send_wait(value, &"Writer::send_timeout", Some(timeout))
    }

    /// Sends up to `max` values made in place (`make(i)` for `i` in `0..n`, `n`
    /// returned: as many as there is room for, decided before the first call),
    /// with one `tail` store and at most one wake per parked reader. Never blocks;
    /// lossy sends `min(max, N)`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = bc.writer()?;
    /// assert_eq!(tx.send_with(10, |i| i as u64)?, 4); // at most N per call
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_with(&mut self, max: usize, mut make: impl FnMut(usize) -> T) -> Result<usize> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Writer::send_with makes each T on the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes)"
            )
        };
        let sems = self.role.handle().sems();
        self.role.now(
            &mut self.ring,
            &"Writer::send_with",
            WRITER_WAKE,
            |ring, _| {
                ring.push(
                    max,
                    |i, slot| {
                        store_words(slot, make(i).as_bytes());
                    },
                    &mut Fan { sems },
                )
                .map_err(corrupt)
            },
        )
    }

    /// Drops the readers whose processes died (a blocking send does this at each
    /// peer check); returns how many. Costs a `GETVAL` per joined reader.
    ///
    /// # Errors
    ///
    /// The semaphores', [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let _rx = bc.reader(Start::Newest)?; // alive
    /// assert_eq!(bc.writer()?.drop_dead_readers()?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn drop_dead_readers(&mut self) -> Result<usize> {
        let (layout, lines) = (self.layout, self.lines);
        self.role.now(
            &mut (),
            &"Writer::drop_dead_readers",
            WRITER_WAKE,
            |_, _| drop_dead(layout, lines, self.role.handle().sems()),
        )
    }

    /// Values sent since the broadcast was created.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = bc.writer()?;
    /// tx.send(1)?;
    /// assert_eq!(tx.sent(), 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn sent(&self) -> u64 {
        self.ring.tail()
    }

    /// Spins before a blocking send parks ([`queue::DEFAULT_SPINS`](crate::queue::DEFAULT_SPINS) by default).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.writer()?.set_spins(0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_spins(&mut self, spins: u32) {
        self.role.settings.spins = spins;
    }

    /// Longest single park before a blocking send drops dead readers and looks
    /// again ([`queue::DEFAULT_PEER_CHECK`](crate::queue::DEFAULT_PEER_CHECK) by
    /// default); `None`: only when woken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.writer()?.set_peer_check(Some(Duration::from_millis(10)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_peer_check(&mut self, every: Option<Duration>) {
        self.role.settings.peer_check = every;
    }

    /// Whether a signal that ends a park fails the call with
    /// [`ErrorKind::Interrupted`] (`false` by default: it parks again).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.writer()?.set_interruptible(true);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.role.settings.interruptible = interruptible;
    }

    /// Closes the stream for good: readers get [`ErrorKind::Closed`] once they
    /// have read everything sent before; the role is released, and no writer can
    /// claim it again.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] (nothing is closed then).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// tx.send(1)?;
    /// tx.close()?;
    /// assert_eq!(rx.recv()?, Some(1));
    /// assert_eq!(rx.recv().unwrap_err().kind(), ErrorKind::Closed);
    /// assert_eq!(bc.writer().unwrap_err().kind(), ErrorKind::Closed);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn close(mut self) -> Result<()> {
        let sems = self.role.handle().sems();
        self.role
            .now(&mut self.ring, &"Writer::close", WRITER_WAKE, |ring, _| {
                ring.close(&mut Fan { sems });
                Ok(())
            })
    }

    /// The broadcast this role writes to (its own handle).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = bc.writer()?;
    /// assert_eq!(tx.broadcast().segment().id(), bc.segment().id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn broadcast(&self) -> &Broadcast<T, N, B> {
        self.role.handle()
    }
}

/// A reader of a [`Broadcast`] (see [`Broadcast::reader`]): its own cursor on its
/// own seat. Dropping it leaves the seat free.
///
/// # Examples
///
/// ```
/// use sysv_ipc::broadcast::{Broadcast, Start};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let rx = bc.reader(Start::Newest)?;
/// assert_eq!(rx.seat(), 0);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Reader<T: ShmType, const N: usize, B: Backend = DefaultBackend> {
    /// Views of the role's own handle's mapping, used only while `role` is
    /// held, and declared before it.
    ring: BcReader<'static, N, SlotOf<T>>,
    layout: Layout<'static, T, N>,
    /// A gap a batch read met after it had handed out values: reported by the
    /// next read (0: none).
    lag: u64,
    /// Whether this process's exit posts the writer's semaphore (see
    /// [`Broadcast::reader`]), to take back on leaving.
    death_wake: bool,
    role: Role<Broadcast<T, N, B>>,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for Reader<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("broadcast", self.role.handle())
            .field("seat", &self.ring.index())
            .field("cursor", &self.ring.cursor())
            .finish()
    }
}

/// A reader's side of [`Role::now`] and [`Role::wait`]: its ring and a value.
type Side<'r, T, const N: usize> = (&'r mut BcReader<'static, N, SlotOf<T>>, T);

/// One read into `side.1`: 1 if a value came, 0 if none.
#[inline]
fn pop_one<T: ShmType, const N: usize, P: Parking>(
    side: &mut Side<'_, T, N>,
    park: &mut P,
) -> Result<usize> {
    let (ring, out) = side;
    ring.pop(
        1,
        |_, slot| {
            load_words(slot, out.as_mut_bytes());
        },
        park,
    )
    .map_err(read_error)
}

impl<T: ShmType, const N: usize, B: Backend> Reader<T, N, B> {
    /// A gap a batch met after it handed out values, reported once.
    #[cold]
    #[inline(never)]
    fn take_lag(&mut self) -> Error {
        // Only the claiming process's: a child that inherited the reader through
        // `fork` is refused, and the gap stays for the holder.
        if let Err(e) = self.role.holder() {
            return e;
        }
        let n = core::mem::take(&mut self.lag);
        Error::lagged(n)
    }

    /// The next value, without blocking; `None` if the writer has sent nothing
    /// new.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Lagged`] (lossy: the writer lapped this reader;
    /// [`Error::missed`] says by how many; the next read goes on from the oldest
    /// value retained), [`ErrorKind::Closed`] (the writer closed the stream and
    /// this reader read everything), [`ErrorKind::Corrupt`],
    /// [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// assert_eq!(rx.recv()?, None);
    /// bc.writer()?.send(3)?;
    /// assert_eq!(rx.recv()?, Some(3));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[inline]
    pub fn recv(&mut self) -> Result<Option<T>> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Reader::recv returns T by value, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes)"
            )
        };
        // The success path is the holder check and the one-message pop; nothing
        // new, a gap and every error go out of line.
        if self.lag == 0 {
            let mut out = T::new_zeroed();
            match self.popped(&mut out) {
                Some(Ok(true)) => return Ok(Some(out)),
                // Not again: `pop_one` has moved a lapped reader on.
                Some(Err(e)) => return self.recv_failed(e),
                Some(Ok(false)) | None => {}
            }
        }
        self.recv_slow()
    }

    /// The fast path of every receive: the holder check (`None` if this process
    /// does not hold the role), then a one-message pop into `out`. A gap a
    /// batch left (`lag`) is the caller's to report first.
    #[inline]
    fn popped(&mut self, out: &mut T) -> Option<Result<bool, ReadError>> {
        if self.role.holder().is_err() {
            return None;
        }
        let mut park = self.role.wake(WRITER_WAKE);
        Some(self.ring.pop_one(
            |slot| {
                load_words(slot, out.as_mut_bytes());
            },
            &mut park,
        ))
    }

    /// [`recv`](Self::recv)'s failure, named.
    #[cold]
    #[inline(never)]
    fn recv_failed(&mut self, e: ReadError) -> Result<Option<T>> {
        during(&"Reader::recv", self.role.handle().object(), || {
            Err(read_error(e))
        })
    }

    /// [`recv`](Self::recv) when its first look found nothing or could not look:
    /// the whole call again, its errors named (a gap a batch left, a closed
    /// stream, the wrong process).
    #[cold]
    #[inline(never)]
    fn recv_slow(&mut self) -> Result<Option<T>> {
        if self.lag != 0 {
            return during(&"Reader::recv", self.role.handle().object(), || {
                Err(self.take_lag())
            });
        }
        let mut side = (&mut self.ring, T::new_zeroed());
        self.role
            .now(&mut side, &"Reader::recv", WRITER_WAKE, |side, park| {
                if pop_one(side, park)? == 1 {
                    return Ok(true);
                }
                if side.0.is_finished() {
                    return Err(closed());
                }
                Ok(false)
            })
            .map(|got| got.then_some(side.1))
    }

    /// The writer's death ends a wait; we park on our own semaphore and wake the
    /// writer's.
    fn lane(&self) -> Lane<Seat<'static>> {
        Lane {
            own: reader_wake(self.ring.index()),
            wake: WRITER_WAKE,
            peer: Seat {
                sem: WRITER_ROLE,
                pid: &self.layout.ctl().writer_pid,
            },
        }
    }

    fn recv_wait(&mut self, name: &'static &'static str, timeout: Option<Duration>) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Reader::recv_blocking (and recv_timeout) returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use wait_blocking, then recv_into or a loan"
            )
        };
        if self.lag != 0 {
            return during(name, self.role.handle().object(), || Err(self.take_lag()));
        }
        // First the non-blocking form's fast path: a value there (or room) is
        // taken without setting up a park, which costs on every call.
        let mut out = T::new_zeroed();
        match self.popped(&mut out) {
            Some(Ok(true)) => return Ok(out),
            // Not again: `pop_one` has moved a lapped reader on.
            Some(Err(e)) => {
                return during(name, self.role.handle().object(), || Err(read_error(e)));
            }
            Some(Ok(false)) | None => {}
        }
        let lane = self.lane();
        let mut side = (&mut self.ring, T::new_zeroed());
        self.role.wait(
            &mut side,
            lane,
            name,
            timeout,
            |(ring, out), spins, park| {
                ring.pop_blocking(
                    1,
                    spins,
                    |_, slot| {
                        load_words(slot, out.as_mut_bytes());
                    },
                    park,
                )
                .map_err(wait_error)
                .map(drop)
            },
            // What the dead writer sent before it died.
            |side, wake, died| match pop_one(side, wake)? {
                0 => Err(died),
                _ => Ok(()),
            },
        )?;
        Ok(side.1)
    }

    /// The next value, waiting for the writer: spins, then parks on this
    /// reader's semaphore until the writer sends.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv); [`ErrorKind::PeerDied`] (the writer died holding
    /// its role and this reader read everything it sent),
    /// [`ErrorKind::Interrupted`] (after [`set_interruptible`](Self::set_interruptible)),
    /// [`ErrorKind::Removed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || tx.send(42).unwrap());
    ///     assert_eq!(rx.recv_blocking().unwrap(), 42);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// `T` is returned by value, through the stack: a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) (4 KiB) is refused
    /// when the program is built, as in [`recv`](Self::recv). Wait for a larger one
    /// with [`wait_blocking`](Self::wait_blocking), then take it with
    /// [`recv_into`](Self::recv_into) or [`recv_view`](Self::recv_view):
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode};
    ///
    /// let bc = Broadcast::<[u64; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = bc.reader(Start::Newest)?.recv_blocking()?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_blocking(&mut self) -> Result<T> {
        self.recv_wait(&"Reader::recv_blocking", None)
    }

    /// [`recv_blocking`](Self::recv_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] after `timeout` with nothing new.
    ///
    /// # Errors
    ///
    /// As [`recv_blocking`](Self::recv_blocking), and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let e = rx.recv_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T> {
        self.recv_wait(&"Reader::recv_timeout", Some(timeout))
    }

    /// Reads up to `max` values without blocking, handing each to `take` once it
    /// is validated (a value the writer overwrote during the copy is never
    /// handed out). Returns how many (0: nothing new).
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv). A lap met after some values were handed out
    /// ends the batch; the next read reports it ([`ErrorKind::Lagged`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// bc.writer()?.send_with(5, |i| i as u64)?;
    /// let mut sum = 0;
    /// assert_eq!(rx.recv_with(3, |v| sum += v)?, 3);
    /// assert_eq!(rx.recv_with(8, |v| sum += v)?, 2);
    /// assert_eq!(sum, 10);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_with(&mut self, max: usize, mut take: impl FnMut(T)) -> Result<usize> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Reader::recv_with copies each T through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes)"
            )
        };
        if self.lag != 0 {
            return during(&"Reader::recv_with", self.role.handle().object(), || {
                Err(self.take_lag())
            });
        }
        let mut lag = 0;
        let r = self.role.now(
            &mut self.ring,
            &"Reader::recv_with",
            WRITER_WAKE,
            |ring, park| {
                // Each value is validated before `take` sees it; one cursor store
                // for the batch.
                let (n, stop) = ring.pop_each(
                    max,
                    |_, slot| {
                        let mut value = T::new_zeroed();
                        load_words(slot, value.as_mut_bytes());
                        value
                    },
                    |_, value| take(value),
                    park,
                );
                match stop {
                    Ok(()) => {}
                    Err(ReadError::Lagged(missed)) if n > 0 => lag = missed,
                    Err(e) => return Err(read_error(e)),
                }
                if n == 0 && max > 0 && ring.is_finished() {
                    return Err(closed());
                }
                Ok(n)
            },
        );
        self.lag = lag;
        r
    }

    /// This reader's seat, in `0..R`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (a, b) = (bc.reader(Start::Newest)?, bc.reader(Start::Newest)?);
    /// assert_eq!((a.seat(), b.seat()), (0, 1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn seat(&self) -> usize {
        self.ring.index()
    }

    /// The number of the next value this reader will read (values are numbered
    /// from 0 since the broadcast was created).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.writer()?.send_with(3, |i| i as u64)?;
    /// assert_eq!(bc.reader(Start::Newest)?.position(), 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn position(&self) -> u64 {
        self.ring.cursor()
    }

    /// Spins before a blocking read parks.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.reader(Start::Newest)?.set_spins(0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_spins(&mut self, spins: u32) {
        self.role.settings.spins = spins;
    }

    /// Longest single park before a blocking read looks whether the writer died.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.reader(Start::Newest)?.set_peer_check(Some(Duration::from_millis(10)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_peer_check(&mut self, every: Option<Duration>) {
        self.role.settings.peer_check = every;
    }

    /// Whether a signal that ends a park fails the call with
    /// [`ErrorKind::Interrupted`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// bc.reader(Start::Newest)?.set_interruptible(true);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.role.settings.interruptible = interruptible;
    }

    /// The broadcast this reader reads (its own handle).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = bc.reader(Start::Newest)?;
    /// assert_eq!(rx.broadcast().readers_registered()?, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn broadcast(&self) -> &Broadcast<T, N, B> {
        self.role.handle()
    }
}

impl<T: ShmType, const N: usize, B: Backend> Drop for Reader<T, N, B> {
    fn drop(&mut self) {
        // Only the claiming process leaves (a child that inherited the reader
        // through `fork` does not hold its seat); the role's own drop then
        // releases the seat.
        if self.role.holder().is_ok() {
            let mut wake = self.role.wake(WRITER_WAKE);
            let _ = self
                .layout
                .drop_reader(self.ring.index(), self.ring.ticket(), &mut wake);
            if self.death_wake {
                // Takes the adjustment back, again net zero: a clean leave wakes
                // nobody at exit.
                let _ = self.role.handle().sems().op(&[
                    SemOp::post(WRITER_WAKE).undo().nowait(),
                    SemOp::wait(WRITER_WAKE).nowait(),
                ]);
            }
        }
    }
}
