//! [`SeqLock<T>`](SeqLock): one `T` in shared memory, one writer process, any
//! number of reader processes; a reader gets a copy the writer wrote whole, or,
//! after a bounded number of attempts, [`ErrorKind::Busy`] — never a torn value.
//!
//! ```
//! use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock};
//!
//! let lock = Removal::new(SeqLock::<[u64; 4]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! assert_eq!(lock.read()?, [0; 4]); // zero-filled until the first write
//! let mut w = lock.writer()?;
//! w.write(&[1, 2, 3, 4])?;
//! assert_eq!(lock.read()?, [1, 2, 3, 4]);
//! assert_eq!(lock.writer().unwrap_err().kind(), ErrorKind::RoleTaken);
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! The segment holds the crate's header and the seqlock (every byte is in the
//! repository's `include/sysv_ipc_layout.h`); a set of one semaphore
//! under the same key is the writer role (claimed with `IPC_NOWAIT | SEM_UNDO`, as
//! in [`queue`](crate::queue)). A writer that dies mid-write leaves the sequence odd:
//! readers get [`ErrorKind::Busy`] until a new writer
//! ([`SeqLock::reclaim_writer`]) completes a write.
//!
//! # Readers need only read permission
//!
//! A reader only loads: [`SeqLock::open_read_only`] (or
//! [`read_only`](SeqLock::read_only) of a handle this process has) attaches the
//! segment `SHM_RDONLY`, so a reader process needs read permission alone (a
//! segment of mode `0o644` serves readers of other users), and a bug in a reader
//! cannot write the value: its mapping faults on any store, and its handle,
//! `SeqLock<T, B, ReadOnly>`, has no [`writer`](SeqLock::writer). Reading
//! never stores to the segment, on either kind of handle: the protocol's
//! acquires are fences after Relaxed loads (`src/layout/seqlock.rs`).
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
//!
//! let key = Key::new(0x5300_0000 | (std::process::id() as i32 & 0xff_ffff));
//! // The writer's process: readable by everyone, writable by its owner.
//! let lock = Removal::new(SeqLock::<u64>::create(key, Intent::CreateNew, Mode::new(0o644))?);
//! lock.writer()?.write(&7)?;
//! // A reader's process (any user):
//! let reader = SeqLock::<u64>::open_read_only(key)?;
//! assert_eq!(reader.read()?, 7);
//! assert_eq!(reader.attachment().segment().stat()?.nattch, 2);
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # Waiting for a change
//!
//! A reader that wants the next value without polling notes the
//! [`version`](SeqLock::version) it read and arms a wait for a later one
//! ([`arm_watch`](SeqLock::arm_watch)): it sleeps in a futex wait on the lock's
//! shared `watchers` word, which every write checks (one fence and one load while
//! nobody watches) and wakes (layout version 7,
//! `src/layout/watch.rs`). `sysv_ipc_async::seqlock::changed` is
//! that wait as a future. Arming stores into the segment, so a watcher needs a
//! read-write handle; on a read-only one it is [`ErrorKind::PermissionDenied`].
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock, wake::Watched};
//!
//! let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let mut w = lock.writer()?;
//! let seen = lock.version()?;
//! let Watched::Armed(word) = lock.arm_watch(seen)? else { panic!("nothing written") };
//! w.write(&3)?; // e.g. in another process: moves the word on and futex-wakes it
//! assert!(!word.is_armed()); // a futex wait expecting word.expected() returns at once
//! assert!(matches!(lock.arm_watch(seen)?, Watched::Changed(2)));
//! assert_eq!(lock.read()?, 3);
//! # Ok::<(), sysv_ipc::Error>(())
//! ```

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;

use crate::error::{Object, during};
use crate::join::{self, LayoutSpec};
use crate::layout::header::{Kind, Shape};
use crate::layout::seqlock::{self, SeqCtl, SeqWriter};
use crate::layout::{SeqReadView, ShmType, value_view, view, words_for};
use crate::role::{Handle, Role, Seat};
use crate::sem::{JOIN_TIMEOUT, SemSet, timed_wait};
use crate::shm::{Access, Attachment, ReadOnly, ReadWrite, Segment};
use crate::sync::AtomicU64;
use crate::view::{ShmView, ViewCell};
use crate::{Backend, DefaultBackend, Error, ErrorKind, Intent, Key, Mode, Removable, Result};

mod watch;

/// The writer role (1 = free).
pub(crate) const WRITER: u16 = 0;
/// Initial values of the set: the writer role is free.
pub(crate) const SEM_VALUES: [u16; 1] = [1];

/// Attempts [`SeqLock::read`] makes before [`ErrorKind::Busy`], spinning between
/// them: enough to outlast any write that is not stuck (preempted for long, or
/// dead).
///
/// A write costs a copy of the value's bytes at 8 bytes per instruction: tens of
/// nanoseconds for a few words, about 0.1 µs per 4 KiB and 0.1 ms per 4 MiB
/// (measured in one process on an AMD EPYC VM, `benches/ipc.rs` group `copy`; less
/// where another core's cache holds the value, more at DRAM bandwidth). So the wait
/// between attempts grows with the value: one `spin_loop` per 512 KiB of it, at
/// least one (`layout::seqlock::read`). With a spin of 40 ns (that VM), these
/// attempts last about 4 ms for values up to 512 KiB, 36 ms for 4 MiB; a reader of a
/// 4 MiB value under a writer at 1 kHz gets a whole copy on nearly every `read`
/// (`tests/seqlock.rs`, `large_values_read_whole_under_a_steady_writer`, prints the
/// share).
///
/// # Examples
///
/// ```
/// use sysv_ipc::seqlock::{DEFAULT_ATTEMPTS, SeqLock};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// lock.writer()?.write(&11)?;
/// // `read` is `read_with_attempts(DEFAULT_ATTEMPTS)`.
/// assert_eq!(lock.read_with_attempts(DEFAULT_ATTEMPTS)?, lock.read()?);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub const DEFAULT_ATTEMPTS: u32 = 100_000;

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

/// The error for a segment of `actual` bytes where the layout needs `expected`.
fn too_small(actual: usize, expected: usize) -> Error {
    error(ErrorKind::LayoutMismatch).with_field(&"size", actual as u64, expected as u64)
}

/// How [`SeqLock::create_with`] creates or joins a seqlock, beyond its key, intent
/// and mode: how long to wait for a creator that has not finished. A builder,
/// `SeqLockOptions::new()` being the defaults of [`SeqLock::create_in`], as every
/// type's options are (see [the crate docs](crate#constructors)).
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use sysv_ipc::seqlock::SeqLockOptions;
/// use sysv_ipc::sem::JOIN_TIMEOUT;
///
/// assert_eq!(SeqLockOptions::new().get_join_timeout(), JOIN_TIMEOUT);
/// let patient = SeqLockOptions::new().join_timeout(Duration::from_secs(5));
/// assert_eq!(patient.get_join_timeout(), Duration::from_secs(5));
/// assert_eq!(SeqLockOptions::default(), SeqLockOptions::new());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SeqLockOptions {
    join_timeout: Duration,
}

impl SeqLockOptions {
    /// The defaults: what [`SeqLock::create_in`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::seqlock::SeqLockOptions;
    /// use sysv_ipc::sem::JOIN_TIMEOUT;
    ///
    /// assert_eq!(SeqLockOptions::new().get_join_timeout(), JOIN_TIMEOUT);
    /// ```
    pub const fn new() -> SeqLockOptions {
        SeqLockOptions {
            join_timeout: JOIN_TIMEOUT,
        }
    }

    /// How long a joiner waits in all for the seqlock's creator to finish
    /// initialising it (the header handshake that `include/sysv_ipc_layout.h`
    /// describes) before giving up with [`ErrorKind::Uninitialized`] or, with
    /// [`Intent::OpenOrCreate`], recovering a segment whose creator died (see
    /// [`SeqLock::create_in`]); a recovery waits once more, as long.
    /// [`JOIN_TIMEOUT`] (500 ms) by default.
    ///
    /// The wait spins a few microseconds, then sleeps on `CLOCK_MONOTONIC` (10 µs
    /// doubling to 1 ms, never past the timeout), so even a `SCHED_FIFO` joiner
    /// leaves the CPU to a creator on it; it may last the spins and one sleep's
    /// timer slack longer than `timeout`. [`Duration::ZERO`] gives up after the
    /// spins. A creator waits as long only for a semaphore set under the key that
    /// another process made and has not initialised
    /// ([`SemSet::new_initialized_with`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Segment};
    /// use sysv_ipc_mock::Mock;
    ///
    /// let kernel: Mock = Mock::new();
    /// let key = Key::new(0x5e);
    /// // A zero-filled segment of the seqlock's size: a creator that has not begun.
    /// Segment::create_in(&kernel, key, 256 + 8, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let brief = SeqLockOptions::new().join_timeout(Duration::from_millis(20));
    /// let t0 = kernel.monotonic(); // the mock's clock, which its sleeps move
    /// let e = SeqLock::<u64, _>::create_with(&kernel, key, Intent::Open, Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// assert_eq!(kernel.monotonic() - t0, Duration::from_millis(20));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn join_timeout(self, timeout: Duration) -> SeqLockOptions {
        SeqLockOptions {
            join_timeout: timeout,
        }
    }

    /// The timeout of [`join_timeout`](Self::join_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::seqlock::SeqLockOptions;
    ///
    /// let o = SeqLockOptions::new().join_timeout(Duration::ZERO);
    /// assert_eq!(o.get_join_timeout(), Duration::ZERO);
    /// ```
    pub const fn get_join_timeout(self) -> Duration {
        self.join_timeout
    }
}

impl Default for SeqLockOptions {
    /// [`SeqLockOptions::new`].
    fn default() -> SeqLockOptions {
        SeqLockOptions::new()
    }
}

/// One `T` in shared memory behind a seqlock. See the [module docs](self).
///
/// `A` is [`ReadWrite`] (the default: [`create`](SeqLock::create),
/// [`open`](SeqLock::open), the handle a writer claims its role through) or
/// [`ReadOnly`] ([`open_read_only`](SeqLock::open_read_only),
/// [`read_only`](SeqLock::read_only): a reader's handle, attached `SHM_RDONLY`,
/// with no `writer`). Both [`read`](SeqLock::read).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
///
/// let key = Key::new(0x4100_0000 | (std::process::id() as i32 & 0xff_ffff));
/// // The writer's process:
/// let lock = Removal::new(SeqLock::<[f64; 3]>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = lock.writer()?;
/// w.write(&[1.0, 2.0, 3.0])?;
/// // A reader's process:
/// let reader = SeqLock::<[f64; 3]>::open(key)?;
/// assert_eq!(reader.read()?, [1.0, 2.0, 3.0]); // never a torn mix of two writes
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct SeqLock<T, B: Backend = DefaultBackend, A: Access = ReadWrite> {
    att: Attachment<B, A>,
    sems: SemSet<B>,
    _type: PhantomData<T>,
}

impl<T, B: Backend, A: Access> SeqLock<T, B, A> {
    /// What this seqlock's errors name: its segment.
    fn object(&self) -> Object {
        Object::Segment(self.att.segment_id())
    }
}

impl<T, B: Backend, A: Access> Handle for SeqLock<T, B, A> {
    type Backend = B;

    #[inline]
    fn sems(&self) -> &SemSet<B> {
        &self.sems
    }

    #[inline]
    fn object(&self) -> Object {
        SeqLock::object(self)
    }
}

impl<T, B: Backend, A: Access> fmt::Debug for SeqLock<T, B, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeqLock")
            .field("shmid", &self.att.segment_id())
            .field("semid", &self.sems.id())
            .field("read_only", &(A::SHMFLG != 0))
            .finish()
    }
}

impl<T: ShmType> SeqLock<T> {
    /// Creates or opens the seqlock of `key`, on the default backend. See
    /// [`SeqLock::create_in`].
    ///
    /// # Errors
    ///
    /// As [`SeqLock::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, seqlock::SeqLock};
    ///
    /// let lock = SeqLock::<u32>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(lock.read()?, 0); // zero until the first write
    /// assert!(!lock.has_writer()?);
    /// lock.remove()?; // the segment and the semaphore set
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"SeqLock::create", Object::Key(key), || {
            SeqLock::create_in(DefaultBackend::default(), key, intent, mode)
        })
    }

    /// Opens the existing seqlock of `key`, on the default backend.
    ///
    /// # Errors
    ///
    /// As [`SeqLock::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let key = Key::new(0x4200_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// assert_eq!(SeqLock::<u64>::open(key).unwrap_err().kind(), ErrorKind::NotFound);
    /// let lock = Removal::new(SeqLock::<u64>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// lock.writer()?.write(&42)?;
    /// assert_eq!(SeqLock::<u64>::open(key)?.read()?, 42);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open(key: Key) -> Result<Self> {
        during(&"SeqLock::open", Object::Key(key), || {
            SeqLock::open_in(DefaultBackend::default(), key)
        })
    }

    /// [`SeqLock::open_wait_in`] waiting up to `timeout` for a peer to create the object.
    ///
    /// # Errors
    ///
    /// As [`SeqLock::open_wait_in`].
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"SeqLock::open_wait", Object::Key(key), || {
            SeqLock::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// Opens the existing seqlock of `key` for reading only, on the default
    /// backend. See [`SeqLock::open_read_only_in`].
    ///
    /// # Errors
    ///
    /// As [`SeqLock::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let key = Key::new(0x5400_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let lock = Removal::new(SeqLock::<[u32; 2]>::create(key, Intent::CreateNew, Mode::new(0o644))?);
    /// let reader = SeqLock::<[u32; 2]>::open_read_only(key)?;
    /// lock.writer()?.write(&[3, 4])?;
    /// assert_eq!(reader.read()?, [3, 4]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only(key: Key) -> Result<SeqLock<T, DefaultBackend, ReadOnly>> {
        during(&"SeqLock::open_read_only", Object::Key(key), || {
            SeqLock::open_read_only_in(DefaultBackend::default(), key)
        })
    }

    /// [`SeqLock::open_read_only_wait_in`] waiting up to `timeout` for a peer to create the object.
    ///
    /// # Errors
    ///
    /// As [`SeqLock::open_read_only_wait_in`].
    pub fn open_read_only_wait(
        key: Key,
        timeout: Duration,
    ) -> Result<SeqLock<T, DefaultBackend, ReadOnly>> {
        during(&"SeqLock::open_read_only_wait", Object::Key(key), || {
            SeqLock::open_read_only_wait_in(DefaultBackend::default(), key, timeout)
        })
    }
}

impl<T: ShmType, B: Backend, A: Access> SeqLock<T, B, A> {
    const WORDS: usize = {
        assert!(
            size_of::<T>() > 0,
            "a seqlock of a zero-sized value carries nothing"
        );
        words_for(size_of::<T>())
    };

    pub(crate) const SIZE: usize = match seqlock::layout_size(Self::WORDS) {
        Some(n) => n,
        None => panic!("T does not fit in memory"),
    };

    fn shape() -> Shape {
        Shape::of::<T>(Kind::SeqLock, 1, seqlock::DATA_OFFSET, Self::SIZE)
    }

    /// What [`join`] needs to create or join this layout.
    fn spec() -> LayoutSpec<'static> {
        LayoutSpec {
            shape: Self::shape(),
            size: Self::SIZE,
            sem_values: &SEM_VALUES,
        }
    }

    /// A consistent copy of the value, with up to [`DEFAULT_ATTEMPTS`] attempts.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Busy`]: a write was in progress on every attempt (the writer is
    /// stuck, or died mid-write).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<[u32; 2]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// w.write(&[7, 8])?;
    /// assert_eq!(lock.read()?, [7, 8]); // both words from the same write
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// `T` is returned by value, so it passes through the stack: a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) (4 KiB) is refused
    /// when the program is built, here and in [`read_with`](Self::read_with). Read a
    /// larger one with [`read_into`](Self::read_into) into memory of your own:
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, seqlock::SeqLock};
    ///
    /// let lock = SeqLock::<[u64; 1024]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = lock.read()?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read(&self) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "SeqLock::read returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use SeqLock::read_into(&mut T) instead"
            )
        };
        during(&"SeqLock::read", self.object(), || {
            self.read_with_attempts(DEFAULT_ATTEMPTS)
        })
    }

    /// A consistent copy of the value, with up to `attempts` attempts (spinning
    /// between them).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// lock.writer()?.write(&5)?;
    /// // With no write in progress, one attempt is enough.
    /// assert_eq!(lock.read_with_attempts(1)?, 5);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// By value like [`read`](Self::read): a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) does not compile.
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, seqlock::SeqLock};
    ///
    /// let lock = SeqLock::<[u8; 4097]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = lock.read_with_attempts(1)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_with_attempts(&self, attempts: u32) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "SeqLock::read_with_attempts returns T by value, through the stack, and T is larger \
                 than shm::MAX_READ_BY_VALUE (4096 bytes): use SeqLock::read_into(&mut T) instead"
            )
        };
        during(&"SeqLock::read_with_attempts", self.object(), || {
            let mut out = T::new_zeroed();
            self.read_view()?
                .read(out.as_mut_bytes(), attempts)
                .map_err(|_| error(ErrorKind::Busy))?;
            Ok(out)
        })
    }

    /// Runs `read` over the value in place, through its load-only view, until a
    /// run saw no write (up to [`DEFAULT_ATTEMPTS`] attempts), and returns what
    /// that run returned: what it loaded is one write's, whole. Nothing is copied
    /// but what `read` loads, so a reader takes three fields out of a 1 MiB value
    /// in three loads, from a thread with a small stack.
    ///
    /// `read` may run more than once, and a run that raced a write sees a mix of
    /// two writes (still valid values: any bits are) and is thrown away: compute
    /// in it, act on its result afterwards. Loads in it may be `Relaxed`; the
    /// seqlock's fences order them.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read): [`ErrorKind::Busy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, ShmType, ShmView, seqlock::SeqLock, type_id};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
    /// #[repr(C)]
    /// struct Map { version: u64, origin: [f64; 2], cells: [u8; 1 << 20] }
    /// impl ShmType for Map { const TYPE_ID: u64 = type_id("doc::Map v1"); }
    ///
    /// let lock = Removal::new(SeqLock::<Map>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// w.write_with(|map| {
    ///     map.version().store(3, Relaxed);
    ///     map.origin().set(1, -4.5).unwrap();
    ///     map.cells().set(1 << 19, 9).unwrap();
    /// })?;
    /// // Three fields of a 1 MiB value, from the same write, with no copy of the rest.
    /// let got = lock.read_with(|map| {
    ///     (map.version().load(Relaxed), map.origin().get(1), map.cells().get(1 << 19))
    /// })?;
    /// assert_eq!(got, (3, Some(-4.5), Some(9)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_with<R>(&self, read: impl FnMut(&T::ReadView) -> R) -> Result<R>
    where
        T: ShmView,
    {
        during(&"SeqLock::read_with", self.object(), || {
            self.read_in_place(DEFAULT_ATTEMPTS, read)
        })
    }

    /// [`read_with`](Self::read_with), with up to `attempts` attempts.
    fn read_in_place<R>(&self, attempts: u32, mut read: impl FnMut(&T::ReadView) -> R) -> Result<R>
    where
        T: ShmView,
    {
        let view = self.read_view()?;
        view.read_consistent(attempts, |words| {
            // `None` never: the value's words hold a whole T (`Self::WORDS`).
            value_view::<T>(words).map(|v| read(v.as_read()))
        })
        .map_err(|_| error(ErrorKind::Busy))?
        .ok_or_else(|| too_small(self.att.len(), Self::SIZE))
    }

    /// A consistent copy of the value into `out`, with up to [`DEFAULT_ATTEMPTS`]
    /// attempts: [`read`](Self::read) without the `T` on the stack, copied
    /// straight from the segment into the caller's memory, so a `T` of any size
    /// can be read from a thread with a small stack.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read); `out` then holds the last torn attempt (any bytes
    /// are a valid `T`, but not a value the writer wrote).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    /// use zerocopy::FromZeros;
    ///
    /// type Frame = [u64; 1 << 16]; // 512 KiB
    /// let lock = Removal::new(SeqLock::<Frame>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut frame = Frame::new_box_zeroed().expect("512 KiB of heap");
    /// frame[9] = 9;
    /// lock.writer()?.write(&frame)?;
    /// frame[9] = 0;
    /// lock.read_into(&mut frame)?;
    /// assert_eq!(frame[9], 9);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_into(&self, out: &mut T) -> Result<()> {
        during(&"SeqLock::read_into", self.object(), || {
            self.read_view()?
                .read(out.as_mut_bytes(), DEFAULT_ATTEMPTS)
                .map_err(|_| error(ErrorKind::Busy))?;
            Ok(())
        })
    }

    /// Whether a live process holds the writer role.
    ///
    /// # Errors
    ///
    /// As [`SemSet::get`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(!lock.has_writer()?);
    /// let w = lock.writer()?;
    /// assert!(lock.has_writer()?);
    /// drop(w);
    /// assert!(!lock.has_writer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn has_writer(&self) -> Result<bool> {
        during(&"SeqLock::has_writer", self.object(), || {
            Ok(self.sems.get(WRITER)? == 0)
        })
    }

    /// The segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // 256 bytes of header and sequence line, then the value's word.
    /// assert_eq!(lock.segment().stat()?.size, 256 + 8);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn segment(&self) -> Segment<B>
    where
        B: Clone,
    {
        self.att.segment()
    }

    /// The attachment, for tests and tools that inspect the bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// lock.writer()?.write(&77)?;
    /// let att = lock.attachment();
    /// assert_eq!(att.load_u64(128), Some(2)); // `seq`: one complete write
    /// assert_eq!(att.load_u64(256), Some(77)); // the value
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn attachment(&self) -> &Attachment<B, A> {
        &self.att
    }

    /// The value's words, over either kind of attachment (loads only).
    fn read_view(&self) -> Result<SeqReadView<'_>> {
        SeqReadView::new(&self.att, Self::WORDS)
            .ok_or_else(|| too_small(self.att.len(), Self::SIZE))
    }
}

impl<T: ShmType, B: Backend> SeqLock<T, B, ReadWrite> {
    /// Creates the seqlock of `key` or opens the one it has, as `intent` says (see
    /// [`Queue::create_in`](crate::queue::Queue::create_in) for the handshake).
    /// Joining waits for the creator for at most [`JOIN_TIMEOUT`] in time (brief
    /// spins, then sleeps of 10 µs doubling to 1 ms, which leave the CPU to a
    /// creator of any priority); twice that if it recovers an abandoned segment
    /// (below). [`SeqLock::create_with`] takes another timeout
    /// ([`SeqLockOptions::join_timeout`]).
    ///
    /// With [`Intent::OpenOrCreate`], a seqlock whose creator died before
    /// finishing (the segment is of the seqlock's exact size, its header carries
    /// the mark its creator writes first, and its only attachment is this
    /// caller's: see the handshake's recovery rule in `include/sysv_ipc_layout.h`) is
    /// removed, with its dead creator's semaphore set, and created afresh by this
    /// call, once. Any other segment under `key` is never removed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] (another layout, type or size; `"semaphore set's creator uid"`:
    /// the semaphore set of `key` was created by another user than the segment),
    /// [`ErrorKind::LayoutMismatch`] with `field: "magic"` (a header that never
    /// became ready holds bytes this crate's handshake never leaves: another
    /// program's segment, kept), [`ErrorKind::Uninitialized`] (the creator did not
    /// finish in time and the segment was not recovered: attached elsewhere, all
    /// zero, not the seqlock's size, removal refused, [`Intent::Open`], or stuck
    /// again after the one recovery),
    /// [`ErrorKind::Corrupt`], and the errors of [`Segment::create_in`],
    /// [`Segment::attach`], [`SemSet::new_initialized_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let key = Key::new(0x4300_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// // Whoever comes first creates it; the others join.
    /// let first = Removal::new(SeqLock::<u64, _>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?);
    /// let second = SeqLock::<u64, _>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?;
    /// assert_eq!(second.segment().id(), first.segment().id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::create_in", Object::Key(key), || {
            SeqLock::create_with(backend, key, intent, mode, SeqLockOptions::new())
        })
    }

    /// Opens the existing seqlock of `key`.
    ///
    /// # Errors
    ///
    /// As [`SeqLock::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let key = Key::new(0x4400_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let lock = Removal::new(SeqLock::<u64, _>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(SeqLock::<u64, _>::open_in(b, key)?.read()?, 0);
    /// // Same size, another type: the header's type fingerprint differs.
    /// let e = SeqLock::<i64, _>::open_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("type_id")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::open_in", Object::Key(key), || {
            let options = SeqLockOptions::new();
            SeqLock::create_with(backend, key, Intent::Open, Mode::default(), options)
        })
    }

    /// [`SeqLock::open_in`] for a program that may start before the peer that
    /// creates the seqlock.
    ///
    /// Until the segment exists, tries again with the sleeps of
    /// [`MsgQueue::open_wait_in`](crate::msg::MsgQueue::open_wait_in). Once it
    /// exists, the creator may still be initialising it: the join then waits as
    /// [`SeqLock::open_in`]'s does, for what is left of `timeout` but at least
    /// [`JOIN_TIMEOUT`], so this never gives up on a creator sooner than
    /// `SeqLock::open_in` would. So the call returns within `timeout` if nobody
    /// creates the object, and within `timeout` + [`JOIN_TIMEOUT`] in every case
    /// (plus the scheduler's delays).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no seqlock after `timeout`;
    /// [`ErrorKind::Interrupted`] if a signal handler ran during a sleep; otherwise
    /// as [`SeqLock::open_in`] (`Uninitialized` for a creator that did not finish).
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |left| {
                let options = SeqLockOptions::new().join_timeout(left.max(JOIN_TIMEOUT));
                SeqLock::create_with(backend.clone(), key, Intent::Open, Mode::default(), options)
            })
        })
    }

    /// [`SeqLock::create_in`] with [`SeqLockOptions`]: how long to wait for a
    /// creator that has not finished ([`SeqLockOptions::join_timeout`]).
    ///
    /// # Errors
    ///
    /// As [`SeqLock::create_in`] (`Uninitialized` after the options' join timeout
    /// rather than [`JOIN_TIMEOUT`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, Segment};
    ///
    /// // The header's magic word, at 8 (SVIPC_MAGIC in include/sysv_ipc_layout.h).
    /// const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1");
    /// let key = Key::new(0x4500_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// // A segment whose creator marked the header as this crate's, then died.
    /// let stuck = Removal::new(Segment::create(key, 264, Intent::CreateNew, Mode::OWNER_RW)?);
    /// stuck.attach()?.write(8, &MAGIC.to_ne_bytes()).unwrap();
    /// let brief = SeqLockOptions::new().join_timeout(Duration::from_millis(5));
    /// let e = SeqLock::<u64, _>::create_with(b, key, Intent::Open, Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// // Nobody else is attached: abandoned, so a caller that may create replaces it.
    /// let lock = Removal::new(SeqLock::<u64, _>::create_with(b, key, Intent::OpenOrCreate, Mode::OWNER_RW, brief)?);
    /// assert_ne!(lock.segment().id(), stuck.id());
    /// assert!(stuck.stat().is_err()); // gone
    /// # std::mem::forget(stuck); // nothing left to remove
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_with(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: SeqLockOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::create_with", Object::Key(key), || {
            let init = |ctl: &SeqCtl, _: &B| ctl.init();
            let timeout = options.get_join_timeout();
            let (att, sems) =
                join::create_or_join(backend, key, intent, mode, &Self::spec(), init, timeout)?;
            Ok(SeqLock {
                att,
                sems,
                _type: PhantomData,
            })
        })
    }

    fn parts(&self) -> Result<(&SeqCtl, &[AtomicU64])> {
        view::<B, SeqCtl>(&self.att, seqlock::DATA_OFFSET, Self::WORDS)
            .ok_or_else(|| too_small(self.att.len(), Self::SIZE))
    }

    /// [`parts`](Self::parts), not tied to a borrow of `self`: for a [`Writer`],
    /// which keeps this handle in a field beside the view (so that it moves into
    /// a thread or a struct with no lifetime).
    ///
    /// # Safety
    ///
    /// The references must not be used once this handle's attachment is
    /// detached, which happens only when the handle is dropped
    /// (`Attachment::detach` takes it by value, and a `SeqLock` hands out its
    /// attachment only by reference).
    // As `Queue::ring_unbounded`: a role's view and the attachment it views move
    // together, which no borrow can say.
    #[allow(unsafe_code)]
    unsafe fn parts_unbounded<'m>(&self) -> Result<(&'m SeqCtl, &'m [AtomicU64])> {
        let (ctl, words) = self.parts()?;
        // SAFETY: both point into the segment's mapping, not into `self`, and the
        // caller uses them only before its `shmdt` (this fn's contract, which is
        // `role::unbounded`'s).
        Ok(unsafe { crate::role::unbounded(ctl, words) })
    }

    #[allow(unsafe_code)] // parts_unbounded
    fn writer_with(&self, reclaim: bool) -> Result<Writer<T, B>>
    where
        B: Clone,
    {
        // The writer's own handle (`role::own_parts`).
        let (att, sems) = crate::role::own_parts(&self.att, &self.sems)?;
        let lock = SeqLock {
            att,
            sems,
            _type: PhantomData,
        };
        // SAFETY: the view goes into the `Writer` beside `lock`, whose mapping it
        // is; the writer uses it only while its role holds `lock` (see
        // `Writer`'s fields), and on the error path below it is dropped unused.
        let (ctl, words) = unsafe { lock.parts_unbounded()? };
        let seat = Seat {
            sem: WRITER,
            pid: &ctl.writer_pid,
        };
        let role = Role::claim(lock, seat, reclaim)?;
        // Only now, holding the role: the writer starts from `seq` as the last
        // writer left it (its Acquire load pairs with that writer's Release).
        Ok(Writer {
            inner: SeqWriter::new(ctl, words),
            role,
        })
    }

    /// Claims the writer role for this process.
    ///
    /// The role owns its handle on the seqlock: its own attachment of the segment
    /// (`shmat` again: one more in `shm_nattch` while it lives) and a copy of the
    /// semaphore set's handle, so it borrows nothing from `self` and may outlive it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`] (a live writer exists), [`ErrorKind::RoleAbandoned`]
    /// (the last writer died holding it: see [`reclaim_writer`](Self::reclaim_writer)),
    /// the semaphore's errors, and [`Segment::attach`]'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let w = lock.writer()?;
    /// assert_eq!(lock.writer().unwrap_err().kind(), ErrorKind::RoleTaken); // one writer
    /// drop(w); // releases the role
    /// let mut w = lock.writer()?;
    /// // Owned: it moves into a thread, no scope needed.
    /// std::thread::spawn(move || w.write(&7)).join().unwrap()?;
    /// assert_eq!(lock.read()?, 7);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn writer(&self) -> Result<Writer<T, B>>
    where
        B: Clone,
    {
        during(&"SeqLock::writer", self.object(), || {
            self.writer_with(false)
        })
    }

    /// Claims the writer role even if the last writer died holding it. Readers get
    /// [`ErrorKind::Busy`] until the new writer's first write if it died mid-write.
    ///
    /// # Errors
    ///
    /// As [`writer`](Self::writer), without [`ErrorKind::RoleAbandoned`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, seqlock::SeqLock};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// // On the in-memory kernel, whose processes are simulated.
    /// let kernel: Mock = Mock::new(); // process 1 is the caller
    /// let lock = SeqLock::<u64, _>::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// kernel.fork_process(1, 2).unwrap();
    /// kernel.set_process(Process::root(2));
    /// let w = lock.writer()?;
    /// std::mem::forget(w); // process 2 dies holding the role ...
    /// kernel.exit_process(2); // ... and SEM_UNDO frees it
    /// kernel.set_process(Process::root(1));
    /// assert_eq!(lock.writer().unwrap_err().kind(), ErrorKind::RoleAbandoned);
    /// let mut w = lock.reclaim_writer()?;
    /// w.write(&9)?;
    /// assert_eq!(lock.read()?, 9);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn reclaim_writer(&self) -> Result<Writer<T, B>>
    where
        B: Clone,
    {
        during(&"SeqLock::reclaim_writer", self.object(), || {
            self.writer_with(true)
        })
    }

    /// A read-only handle on the same seqlock: a second attachment of its segment,
    /// `SHM_RDONLY`, for code that reads and must not be able to write (a reader
    /// `fork`ed from the creator, say, of a lock made with [`Key::PRIVATE`]). See
    /// the [module docs](self#readers-need-only-read-permission).
    ///
    /// # Errors
    ///
    /// As [`SeqLock::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let reader = lock.read_only()?; // no `writer()` on this one
    /// lock.writer()?.write(&5)?;
    /// assert_eq!(reader.read()?, 5);
    /// assert_eq!(lock.segment().stat()?.nattch, 2);
    /// drop(reader); // detaches its mapping; the lock stays
    /// assert_eq!(lock.segment().stat()?.nattch, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_only(&self) -> Result<SeqLock<T, B, ReadOnly>>
    where
        B: Clone,
    {
        during(&"SeqLock::read_only", self.object(), || {
            let sems = SemSet::from_id(self.sems.backend().clone(), self.sems.id());
            let wait = timed_wait(self.sems.backend().clone(), JOIN_TIMEOUT);
            SeqLock::join_read_only(&self.att.segment(), || Ok(sems), wait)
        })
    }
}

impl<T: ShmType, B: Backend> SeqLock<T, B, ReadOnly> {
    /// Opens the existing seqlock of `key` for reading only: attaches its segment
    /// `SHM_RDONLY` and opens its semaphore set without asking for any permission
    /// (`semget(key, 0, 0)`), so read permission on both is all a reader needs.
    /// The handle [`read`](SeqLock::read)s and has no `writer`; the header
    /// handshake and the reads only load (see the [module
    /// docs](self#readers-need-only-read-permission)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] (no segment or semaphore set under `key`, or
    /// [`Key::PRIVATE`]), [`ErrorKind::PermissionDenied`] (no read permission on the
    /// segment or the set), and as [`SeqLock::create_in`]: [`ErrorKind::LayoutMismatch`],
    /// [`ErrorKind::Uninitialized`], [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let key = Key::new(0x5500_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let lock = Removal::new(SeqLock::<u64, _>::create_in(b, key, Intent::CreateNew, Mode::new(0o644))?);
    /// lock.writer()?.write(&8)?;
    /// let reader = SeqLock::<u64, _, _>::open_read_only_in(b, key)?;
    /// assert_eq!(reader.read()?, 8);
    /// assert!(reader.has_writer().is_ok()); // GETVAL needs read permission only
    /// // The header is checked as for any join: another type is refused.
    /// let e = SeqLock::<i64, _, _>::open_read_only_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("type_id")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::open_read_only_in", Object::Key(key), || {
            Self::open_read_only_with(backend, key, SeqLockOptions::new())
        })
    }

    /// [`open_read_only_in`](Self::open_read_only_in) with [`SeqLockOptions`]: how
    /// long to wait for a creator still initialising the seqlock
    /// ([`SeqLockOptions::join_timeout`]; `Uninitialized` after it).
    ///
    /// # Errors
    ///
    /// As [`open_read_only_in`](Self::open_read_only_in).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new(); // its clock moves only when a caller sleeps
    /// let key = Key::new(0x5e9);
    /// let lock = SeqLock::<u64, _>::create_in(&KERNEL, key, Intent::CreateNew, Mode::new(0o644))?;
    /// lock.writer()?.write(&8)?;
    /// let at_once = SeqLockOptions::new().join_timeout(Duration::ZERO);
    /// let reader = SeqLock::<u64, _, _>::open_read_only_with(&KERNEL, key, at_once)?;
    /// assert_eq!(reader.read()?, 8);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only_with(backend: B, key: Key, options: SeqLockOptions) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::open_read_only_with", Object::Key(key), || {
            let segment = Segment::open_in(backend.clone(), key)?;
            let wait = timed_wait(backend.clone(), options.get_join_timeout());
            SeqLock::join_read_only(&segment, || SemSet::open_in(backend, key), wait)
        })
    }

    /// [`SeqLock::open_read_only_in`] for a program that may start before the
    /// peer that creates the seqlock.
    ///
    /// Until the segment exists, tries again with the sleeps of
    /// [`MsgQueue::open_wait_in`](crate::msg::MsgQueue::open_wait_in). Once it
    /// exists, the creator may still be initialising it: the join then waits as
    /// [`SeqLock::open_read_only_in`]'s does, for what is left of `timeout` but at least
    /// [`JOIN_TIMEOUT`], so this never gives up on a creator sooner than
    /// `SeqLock::open_read_only_in` would. So the call returns within `timeout` if nobody
    /// creates the object, and within `timeout` + [`JOIN_TIMEOUT`] in every case
    /// (plus the scheduler's delays).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no seqlock after `timeout`;
    /// [`ErrorKind::Interrupted`] if a signal handler ran during a sleep; otherwise
    /// as [`SeqLock::open_read_only_in`] (`Uninitialized` for a creator that did not finish).
    pub fn open_read_only_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"SeqLock::open_read_only_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |left| {
                let segment = Segment::open_in(backend.clone(), key)?;
                let wait = timed_wait(backend.clone(), left.max(JOIN_TIMEOUT));
                SeqLock::join_read_only(&segment, || SemSet::open_in(backend.clone(), key), wait)
            })
        })
    }

    /// Attaches `segment` read-only, runs the attacher's half of the header
    /// handshake (loads only), and checks that `sems` has the segment's creator.
    fn join_read_only(
        segment: &Segment<B>,
        sems: impl FnOnce() -> Result<SemSet<B>>,
        wait: impl FnMut(u32) -> bool,
    ) -> Result<Self>
    where
        B: Clone,
    {
        let att = segment.attach_read_only()?;
        SeqReadView::new(&att, 0)
            .ok_or_else(|| too_small(att.len(), Self::SIZE))?
            .attach(&Self::shape(), att.len(), wait)
            .map_err(|e| e.to_error())?;
        // After the header: its creator makes the semaphore set between claiming
        // the header and publishing it, so a set looked for earlier may not exist
        // yet (a reader racing the creator got `NotFound` before).
        let sems = sems()?;
        join::check_joined(segment, &sems, &att, &Self::spec())?;
        Ok(SeqLock {
            att,
            sems,
            _type: PhantomData,
        })
    }
}

impl<T, B: Backend + Clone, A: Access> Removable for SeqLock<T, B, A> {
    /// Removes the segment and the semaphore set.
    fn remove(&self) -> Result<()> {
        during(&"SeqLock::remove", self.object(), || {
            let shm = self.att.segment().remove();
            let sem = self.sems.remove();
            shm.and(sem)
        })
    }
}

/// The writer role of a [`SeqLock`]; dropping it releases the role (and detaches
/// its own mapping). It owns its handle on the seqlock (see
/// [`SeqLock::writer`]), so it moves into a thread or a struct with no lifetime
/// and outlives the `SeqLock` it was claimed from.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
///
/// let lock = Removal::new(SeqLock::<[u32; 2]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = lock.writer()?;
/// for i in 1..=3 {
///     w.write(&[i, i * 10])?;
/// }
/// assert_eq!(lock.read()?, [3, 30]);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Writer<T: ShmType, B: Backend = DefaultBackend> {
    /// A view of the role's own handle's mapping, not a borrow of it (see
    /// [`SeqLock::parts_unbounded`]): used only while `role` is held, and
    /// declared before it so that it goes first; the handle is never handed out
    /// but by reference, so its attachment is detached only with the writer.
    inner: SeqWriter<'static>,
    /// The writer's own handle on the seqlock and its seat, which the role's
    /// `Drop` releases (through the pid word in that handle's mapping) before the
    /// handle goes.
    role: Role<SeqLock<T, B>>,
}

impl<T: ShmType, B: Backend> fmt::Debug for Writer<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("lock", self.role.handle())
            .finish()
    }
}

impl<T: ShmType, B: Backend> Writer<T, B> {
    /// [`ErrorKind::WrongProcess`] unless the caller is the process that claimed the
    /// writer role: a child that inherited it through `fork` finds the cached pid
    /// ([`Backend::getpid_cached`]) empty and its own.
    #[inline]
    fn holder(&self) -> Result<()> {
        self.role.holder()
    }

    /// Stores `value`: readers see either the previous value or this one, whole.
    ///
    /// Only in the process that claimed the role: a `Writer` that a child
    /// inherited through `fork` is refused there, since two writers interleaving
    /// their sequence updates could let a reader take a mix of two values as
    /// whole. The check is two loads and a compare ([`Backend::getpid_cached`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`); nothing was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// w.write(&1)?;
    /// w.write(&2)?;
    /// assert_eq!(lock.read()?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write(&mut self, value: &T) -> Result<()> {
        during(&"Writer::write", self.role.handle().object(), || {
            self.holder()?;
            let stored = self.inner.write(value.as_bytes());
            debug_assert!(stored, "the value's words are sized from T");
            self.wake_watchers();
            Ok(())
        })
    }

    /// Writes the value in place, through its view: `write` stores the fields it
    /// changes (the others keep their values), and readers see the value before
    /// or after the whole call, never a mix. Nothing passes through a stack
    /// temporary, so a writer updates two fields of a 1 MiB value in two stores.
    ///
    /// If `write` panics, the write is left open, as a writer killed mid-write
    /// leaves it: readers get [`ErrorKind::Busy`] until the next complete write,
    /// never the half-written value.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role;
    /// `write` was not called.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<[u32; 4096]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// let n = w.write_with(|cells| {
    ///     cells.set(7, 70).unwrap();
    ///     cells.set(4095, 1).unwrap();
    ///     2
    /// })?;
    /// assert_eq!(n, 2);
    /// assert_eq!(lock.read_with(|cells| (cells.get(7), cells.get(4095)))?, (Some(70), Some(1)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write_with<R>(&mut self, write: impl FnOnce(&T::View) -> R) -> Result<R>
    where
        T: ShmView,
    {
        during(&"Writer::write_with", self.role.handle().object(), || {
            self.holder()?;
            // The writer's own mapping (`SeqLock::writer` attached it), which no
            // reader of this process loads from: its narrower stores meet no load
            // of another size in this process.
            let r = self
                .inner
                .write_in_place(|words| value_view::<T>(words).map(write));
            self.wake_watchers();
            r.ok_or_else(|| too_small(self.role.handle().att.len(), SeqLock::<T, B>::SIZE))
        })
    }

    /// Starts a write and never finishes it: what a writer killed mid-write leaves
    /// behind. A test hook, behind the unsupported `test-hooks` feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// w.abandon_mid_write();
    /// assert_eq!(lock.read_with_attempts(10).unwrap_err().kind(), ErrorKind::Busy);
    /// w.write(&3)?; // a complete write ends it
    /// assert_eq!(lock.read()?, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn abandon_mid_write(&mut self) {
        self.inner.begin_and_abandon();
    }
}
