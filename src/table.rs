//! [`Table<T, N>`](Table): `N` values of type `T` in shared memory, each behind
//! its own seqlock, one writer process for the whole table, any number of reader
//! processes. A reader gets a slot's value as one write left it, whole, or, after a
//! bounded number of attempts, [`ErrorKind::Busy`]; and it can ask which slots
//! changed since a version it saw, at a cost that grows with what changed, not
//! with `N`.
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
//!
//! // A board of 64 joints' positions.
//! let board = Removal::new(Table::<[f64; 3], 64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! assert_eq!(board.read(9)?, [0.0; 3]); // zero-filled until written
//! let seen = board.version()?;
//! let mut w = board.writer()?;
//! w.write(9, &[1.0, 2.0, 3.0])?;
//! w.write(40, &[4.0, 5.0, 6.0])?;
//! assert_eq!(board.read(9)?, [1.0, 2.0, 3.0]);
//! let mut changed = [false; 64];
//! let seen = board.changed_since(seen, |i| changed[i] = true)?;
//! assert!(changed[9] && changed[40] && changed.iter().filter(|&&c| c).count() == 2);
//! assert_eq!(board.changed_since(seen, |_| unreachable!())?, seen); // nothing since
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! The segment holds the crate's header, the table version, a change index and
//! the slots, each slot a sequence word and the value's words on lines of its
//! own (the byte layout and the protocol: `src/layout/table.rs`, and every byte in
//! the repository's `include/sysv_ipc_layout.h`); a set of one semaphore under the
//! same key is the writer role (claimed with `IPC_NOWAIT | SEM_UNDO`, as in
//! [`seqlock`](crate::seqlock)). A writer that dies mid-write leaves that slot's
//! sequence odd: its readers get [`ErrorKind::Busy`] (readers of the other slots
//! are not affected) until a new writer ([`Table::reclaim_writer`]) writes it
//! again; the new writer also repairs the change index, so that every write the
//! dead one completed is reported by [`Table::changed_since`].
//!
//! # Readers need only read permission
//!
//! As a [`SeqLock`](crate::seqlock::SeqLock)'s: [`Table::open_read_only`] (or
//! [`read_only`](Table::read_only)) attaches the segment `SHM_RDONLY`, and the
//! handle, `Table<T, N, B, ReadOnly>`, has no [`writer`](Table::writer). Reading
//! and [`changed_since`](Table::changed_since) never store to the segment, on
//! either kind of handle.
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
//!
//! let key = Key::new(0x5a00_0000 | (std::process::id() as i32 & 0xff_ffff));
//! // The writer's process: readable by everyone, writable by its owner.
//! let board = Removal::new(Table::<u64, 8>::create(key, Intent::CreateNew, Mode::new(0o644))?);
//! board.writer()?.write(3, &7)?;
//! // A reader's process (any user):
//! let reader = Table::<u64, 8>::open_read_only(key)?;
//! assert_eq!(reader.read(3)?, 7);
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # Waiting for a change
//!
//! A reader that follows the table with [`changed_since`](Table::changed_since)
//! can sleep until the next write instead of polling: [`arm_watch`](Table::arm_watch)
//! from the version it has seen gives the table's shared `watchers` word to wait
//! on in a futex wait, which every write checks (one fence and one load while
//! nobody watches) and wakes (layout version 7,
//! `src/layout/watch.rs`). `sysv_ipc_async::table::changed` is
//! that wait as a future. Arming stores into the segment, so a watcher needs a
//! read-write handle; on a read-only one it is [`ErrorKind::PermissionDenied`].

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;

use crate::error::{Object, during};
use crate::join::{self, LayoutSpec};
use crate::layout::SlotOf;
use crate::layout::header::{Kind, Shape};
use crate::layout::table::{Slots, TableCtl, TableError, TableWriter};
use crate::layout::{ShmType, TableReadView, value_view, view, words_for};
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

/// Attempts a read of one slot makes before [`ErrorKind::Busy`], spinning
/// between them, longer for larger values: the bound of
/// [`seqlock::DEFAULT_ATTEMPTS`](crate::seqlock::DEFAULT_ATTEMPTS), for the
/// same reasons (a slot is read as the seqlock's value is, one spin per 512 KiB
/// of it between attempts).
///
/// # Examples
///
/// ```
/// use sysv_ipc::table::{DEFAULT_ATTEMPTS, Table};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let board = Removal::new(Table::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// board.writer()?.write(1, &11)?;
/// assert_eq!(board.read_with_attempts(1, DEFAULT_ATTEMPTS)?, board.read(1)?);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub const DEFAULT_ATTEMPTS: u32 = crate::seqlock::DEFAULT_ATTEMPTS;

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

/// The error for a segment of `actual` bytes where the layout needs `expected`.
fn too_small(actual: usize, expected: usize) -> Error {
    error(ErrorKind::LayoutMismatch).with_field(&"size", actual as u64, expected as u64)
}

/// The error for slot `i` of a table of `n`.
#[cold]
fn out_of_range(i: usize, n: usize) -> Error {
    error(ErrorKind::OutOfRange).with_index(i, i.saturating_add(1), n)
}

/// A layout error in the crate's words: `NoSlot` is checked before it can happen
/// (the index is the caller's), so it and `TooLarge` (the value's words are
/// sized from `T`) only come of a segment too small for the layout.
fn table_error(e: TableError, i: usize, n: usize) -> Error {
    match e {
        TableError::Busy => error(ErrorKind::Busy),
        TableError::NoSlot => out_of_range(i, n),
        TableError::TooLarge => error(ErrorKind::LayoutMismatch),
    }
}

/// How [`Table::create_with`] creates or joins a table, beyond its key, intent and
/// mode: how long to wait for a creator that has not finished. A builder,
/// `TableOptions::new()` being the defaults of [`Table::create_in`], as every
/// type's options are (see [the crate docs](crate#constructors)).
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use sysv_ipc::sem::JOIN_TIMEOUT;
/// use sysv_ipc::table::TableOptions;
///
/// assert_eq!(TableOptions::new().get_join_timeout(), JOIN_TIMEOUT);
/// let patient = TableOptions::new().join_timeout(Duration::from_secs(5));
/// assert_eq!(patient.get_join_timeout(), Duration::from_secs(5));
/// assert_eq!(TableOptions::default(), TableOptions::new());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableOptions {
    join_timeout: Duration,
}

impl TableOptions {
    /// The defaults: what [`Table::create_in`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::sem::JOIN_TIMEOUT;
    /// use sysv_ipc::table::TableOptions;
    ///
    /// assert_eq!(TableOptions::new().get_join_timeout(), JOIN_TIMEOUT);
    /// ```
    pub const fn new() -> TableOptions {
        TableOptions {
            join_timeout: JOIN_TIMEOUT,
        }
    }

    /// How long a joiner waits in all for the table's creator to finish
    /// initialising it before giving up with [`ErrorKind::Uninitialized`] or, with
    /// [`Intent::OpenOrCreate`], recovering a segment whose creator died: as
    /// [`SeqLockOptions::join_timeout`](crate::seqlock::SeqLockOptions::join_timeout).
    /// [`JOIN_TIMEOUT`] (500 ms) by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::table::{Table, TableOptions};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Segment};
    /// use sysv_ipc_mock::Mock;
    ///
    /// let kernel: Mock = Mock::new();
    /// let key = Key::new(0x7ab);
    /// // A zero-filled segment of the table's size: a creator that has not begun.
    /// Segment::create_in(&kernel, key, 512 + 64, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let brief = TableOptions::new().join_timeout(Duration::from_millis(20));
    /// let t0 = kernel.monotonic();
    /// let e = Table::<u64, 1, _>::create_with(&kernel, key, Intent::Open, Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// assert_eq!(kernel.monotonic() - t0, Duration::from_millis(20));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn join_timeout(self, timeout: Duration) -> TableOptions {
        TableOptions {
            join_timeout: timeout,
        }
    }

    /// The timeout of [`join_timeout`](Self::join_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::table::TableOptions;
    ///
    /// assert_eq!(TableOptions::new().join_timeout(Duration::ZERO).get_join_timeout(), Duration::ZERO);
    /// ```
    pub const fn get_join_timeout(self) -> Duration {
        self.join_timeout
    }
}

impl Default for TableOptions {
    /// [`TableOptions::new`].
    fn default() -> TableOptions {
        TableOptions::new()
    }
}

/// `N` values of type `T` in shared memory, each behind its own seqlock. See the
/// [module docs](self).
///
/// `A` is [`ReadWrite`] (the default: [`create`](Table::create),
/// [`open`](Table::open), the handle a writer claims its role through) or
/// [`ReadOnly`] ([`open_read_only`](Table::open_read_only),
/// [`read_only`](Table::read_only): a reader's handle, attached `SHM_RDONLY`,
/// with no `writer`). Both read.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
///
/// let key = Key::new(0x5b00_0000 | (std::process::id() as i32 & 0xff_ffff));
/// // The writer's process:
/// let board = Removal::new(Table::<[u32; 2], 16>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = board.writer()?;
/// w.write(15, &[1, 2])?;
/// // A reader's process:
/// let reader = Table::<[u32; 2], 16>::open(key)?;
/// assert_eq!(reader.read(15)?, [1, 2]); // never a torn mix of two writes
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Table<T, const N: usize, B: Backend = DefaultBackend, A: Access = ReadWrite> {
    att: Attachment<B, A>,
    sems: SemSet<B>,
    _type: PhantomData<T>,
}

impl<T, const N: usize, B: Backend, A: Access> Table<T, N, B, A> {
    /// What this table's errors name: its segment.
    fn object(&self) -> Object {
        Object::Segment(self.att.segment_id())
    }
}

impl<T, const N: usize, B: Backend, A: Access> Handle for Table<T, N, B, A> {
    type Backend = B;

    #[inline]
    fn sems(&self) -> &SemSet<B> {
        &self.sems
    }

    #[inline]
    fn object(&self) -> Object {
        Table::object(self)
    }
}

impl<T, const N: usize, B: Backend, A: Access> fmt::Debug for Table<T, N, B, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("shmid", &self.att.segment_id())
            .field("semid", &self.sems.id())
            .field("slots", &N)
            .field("read_only", &(A::SHMFLG != 0))
            .finish()
    }
}

impl<T: ShmType, const N: usize> Table<T, N> {
    /// Creates or opens the table of `key`, on the default backend. See
    /// [`Table::create_in`].
    ///
    /// # Errors
    ///
    /// As [`Table::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, table::Table};
    ///
    /// let board = Table::<u32, 10>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(board.read(9)?, 0);
    /// assert!(!board.has_writer()?);
    /// board.remove()?; // the segment and the semaphore set
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"Table::create", Object::Key(key), || {
            Table::create_in(DefaultBackend::default(), key, intent, mode)
        })
    }

    /// Opens the existing table of `key`, on the default backend.
    ///
    /// # Errors
    ///
    /// As [`Table::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let key = Key::new(0x5c00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// assert_eq!(Table::<u64, 4>::open(key).unwrap_err().kind(), ErrorKind::NotFound);
    /// let board = Removal::new(Table::<u64, 4>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// board.writer()?.write(0, &42)?;
    /// assert_eq!(Table::<u64, 4>::open(key)?.read(0)?, 42);
    /// // Another number of slots is another layout.
    /// assert_eq!(Table::<u64, 5>::open(key).unwrap_err().kind(), ErrorKind::LayoutMismatch);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open(key: Key) -> Result<Self> {
        during(&"Table::open", Object::Key(key), || {
            Table::open_in(DefaultBackend::default(), key)
        })
    }

    /// [`Table::open_wait_in`] on the default backend.
    ///
    /// # Errors
    ///
    /// As [`Table::open_wait_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Key, table::Table};
    ///
    /// let key = Key::new(0x5d00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let e = Table::<u64, 4>::open_wait(key, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut); // nobody created it
    /// ```
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"Table::open_wait", Object::Key(key), || {
            Table::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// Opens the existing table of `key` for reading only, on the default backend.
    /// See [`Table::open_read_only_in`].
    ///
    /// # Errors
    ///
    /// As [`Table::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let board = Removal::new(Table::<[u32; 2], 3>::create(key, Intent::CreateNew, Mode::new(0o644))?);
    /// let reader = Table::<[u32; 2], 3>::open_read_only(key)?;
    /// board.writer()?.write(2, &[3, 4])?;
    /// assert_eq!(reader.read(2)?, [3, 4]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only(key: Key) -> Result<Table<T, N, DefaultBackend, ReadOnly>> {
        during(&"Table::open_read_only", Object::Key(key), || {
            Table::open_read_only_in(DefaultBackend::default(), key)
        })
    }

    /// [`Table::open_read_only_wait_in`] on the default backend.
    ///
    /// # Errors
    ///
    /// As [`Table::open_read_only_wait_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let key = Key::new(0x5f00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let board = Removal::new(Table::<u8, 2>::create(key, Intent::CreateNew, Mode::new(0o644))?);
    /// let reader = Table::<u8, 2>::open_read_only_wait(key, Duration::from_secs(1))?;
    /// assert_eq!(reader.read(1)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only_wait(
        key: Key,
        timeout: Duration,
    ) -> Result<Table<T, N, DefaultBackend, ReadOnly>> {
        during(&"Table::open_read_only_wait", Object::Key(key), || {
            Table::open_read_only_wait_in(DefaultBackend::default(), key, timeout)
        })
    }
}

impl<T: ShmType, const N: usize, B: Backend, A: Access> Table<T, N, B, A> {
    /// Words of one slot's value.
    const VALUE_WORDS: usize = {
        assert!(
            size_of::<T>() > 0,
            "a table of a zero-sized value carries nothing"
        );
        assert!(N > 0, "a table has at least one slot");
        words_for(size_of::<T>())
    };

    /// Bytes of the whole layout.
    pub(crate) const SIZE: usize = Slots::<N>::total_size(Self::VALUE_WORDS);

    fn shape() -> Shape {
        Shape::of::<T>(Kind::Table, N, Slots::<N>::slots_offset(), Self::SIZE)
    }

    /// What [`join`] needs to create or join this layout.
    fn spec() -> LayoutSpec<'static> {
        LayoutSpec {
            shape: Self::shape(),
            size: Self::SIZE,
            sem_values: &SEM_VALUES,
        }
    }

    /// The slots, over either kind of attachment (loads only).
    #[inline]
    fn read_view(&self) -> Result<TableReadView<'_, N>> {
        TableReadView::new(&self.att, Self::VALUE_WORDS)
            .ok_or_else(|| too_small(self.att.len(), Self::SIZE))
    }

    /// `i`, or [`ErrorKind::OutOfRange`] unless it names a slot.
    #[inline]
    fn slot(i: usize) -> Result<usize> {
        if i < N {
            Ok(i)
        } else {
            Err(out_of_range(i, N))
        }
    }

    /// A consistent copy of slot `i`'s value, with up to [`DEFAULT_ATTEMPTS`]
    /// attempts. A slot never written reads as zeros.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfRange`] for `i >= N` (its [`actual`](Error::actual) is
    /// `i`, its [`expected`](Error::expected) `N`); [`ErrorKind::Busy`]: a write
    /// of the slot was in progress on every attempt (the writer is stuck on it,
    /// or died mid-write).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<[u32; 2], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// board.writer()?.write(3, &[7, 8])?;
    /// assert_eq!(board.read(3)?, [7, 8]); // both words from the same write
    /// let e = board.read(4).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::OutOfRange, Some(4), Some(4)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// `T` is returned by value, through the stack: a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) is refused when
    /// the program is built. Read it with [`read_into`](Self::read_into) or
    /// [`read_with`](Self::read_with):
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, table::Table};
    ///
    /// let board = Table::<[u64; 1024], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = board.read(0)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[inline]
    pub fn read(&self, i: usize) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Table::read returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use Table::read_into(i, &mut T) instead"
            )
        };
        during(&"Table::read", self.object(), || {
            self.read_copy(i, DEFAULT_ATTEMPTS).map(|(v, _)| v)
        })
    }

    /// [`read`](Self::read), with the slot's version: the version of the write
    /// that stored the value (0: never written), which
    /// [`changed_since`](Self::changed_since) compares.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(board.read_versioned(0)?, (0, 0));
    /// let v = board.writer()?.write(0, &5)?;
    /// assert_eq!(board.read_versioned(0)?, (5, v));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// By value, as [`read`](Self::read):
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, table::Table};
    ///
    /// let board = Table::<[u8; 4097], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let (frame, v) = board.read_versioned(0)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_versioned(&self, i: usize) -> Result<(T, u64)> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Table::read_versioned returns T by value, through the stack, and T is larger \
                 than shm::MAX_READ_BY_VALUE (4096 bytes): use Table::read_into(i, &mut T) instead"
            )
        };
        during(&"Table::read_versioned", self.object(), || {
            self.read_copy(i, DEFAULT_ATTEMPTS)
        })
    }

    /// [`read`](Self::read), with up to `attempts` attempts (spinning between
    /// them).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// board.writer()?.write(1, &5)?;
    /// assert_eq!(board.read_with_attempts(1, 1)?, 5); // no write in progress: one is enough
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// By value, as [`read`](Self::read):
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, table::Table};
    ///
    /// let board = Table::<[u8; 4097], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = board.read_with_attempts(0, 1)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_with_attempts(&self, i: usize, attempts: u32) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Table::read_with_attempts returns T by value, through the stack, and T is larger \
                 than shm::MAX_READ_BY_VALUE (4096 bytes): use Table::read_into(i, &mut T) instead"
            )
        };
        during(&"Table::read_with_attempts", self.object(), || {
            self.read_copy(i, attempts).map(|(v, _)| v)
        })
    }

    /// A copy of slot `i` and its version, with up to `attempts` attempts.
    #[inline]
    fn read_copy(&self, i: usize, attempts: u32) -> Result<(T, u64)> {
        let mut out = T::new_zeroed();
        let version = self.read_bytes(i, &mut out, attempts)?;
        Ok((out, version))
    }

    /// Copies slot `i` into `out`; its version.
    #[inline]
    fn read_bytes(&self, i: usize, out: &mut T, attempts: u32) -> Result<u64> {
        let i = Self::slot(i)?;
        self.read_view()?
            .read(i, out.as_mut_bytes(), attempts)
            .map_err(|e| table_error(e, i, N))
    }

    /// A consistent copy of slot `i`'s value into `out`, straight from the
    /// segment into the caller's memory (no `T` on the stack, so a `T` of any size
    /// can be read from a thread with a small stack), with up to
    /// [`DEFAULT_ATTEMPTS`] attempts; returns the slot's version.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read); after [`ErrorKind::Busy`], `out` holds the last
    /// torn attempt (any bytes are a valid `T`, but not a value the writer wrote).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    /// use zerocopy::FromZeros;
    ///
    /// type Frame = [u64; 1 << 13]; // 64 KiB
    /// let board = Removal::new(Table::<Frame, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut frame = Frame::new_box_zeroed().expect("64 KiB of heap");
    /// frame[9] = 9;
    /// let v = board.writer()?.write(1, &frame)?;
    /// frame[9] = 0;
    /// assert_eq!(board.read_into(1, &mut frame)?, v);
    /// assert_eq!(frame[9], 9);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[inline]
    pub fn read_into(&self, i: usize, out: &mut T) -> Result<u64> {
        during(&"Table::read_into", self.object(), || {
            self.read_bytes(i, out, DEFAULT_ATTEMPTS)
        })
    }

    /// Runs `read` over slot `i`'s value in place, through its load-only view,
    /// until a run saw no write of the slot (up to [`DEFAULT_ATTEMPTS`]
    /// attempts), and returns what that run returned with the slot's version: what
    /// it loaded is one write's, whole. Nothing is copied but what `read` loads.
    ///
    /// `read` may run more than once, and a run that raced a write sees a mix of
    /// two writes (still valid values: any bits are) and is thrown away: compute
    /// in it, act on its result afterwards. Loads in it may be `Relaxed`; the
    /// slot's fences order them.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, ShmType, ShmView, table::Table, type_id};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
    /// #[repr(C)]
    /// struct Joint { seq: u64, angle: f64, torque: f64 }
    /// impl ShmType for Joint { const TYPE_ID: u64 = type_id("doc::Joint v1"); }
    ///
    /// let arm = Removal::new(Table::<Joint, 6>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = arm.writer()?;
    /// let v = w.write_with(2, |j| {
    ///     j.seq().store(1, Relaxed);
    ///     j.angle().store(0.5, Relaxed);
    /// })?;
    /// let (got, version) = arm.read_with(2, |j| (j.seq().load(Relaxed), j.angle().load(Relaxed)))?;
    /// assert_eq!((got, version), ((1, 0.5), v.1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_with<R>(
        &self,
        i: usize,
        mut read: impl FnMut(&T::ReadView) -> R,
    ) -> Result<(R, u64)>
    where
        T: ShmView,
    {
        during(&"Table::read_with", self.object(), || {
            let i = Self::slot(i)?;
            let (r, version) = self
                .read_view()?
                .read_consistent(i, DEFAULT_ATTEMPTS, |words| {
                    // `None` never: a slot's value words hold a whole T.
                    value_view::<T>(words).map(|v| read(v.as_read()))
                })
                .map_err(|e| table_error(e, i, N))?;
            let r = r.ok_or_else(|| too_small(self.att.len(), Self::SIZE))?;
            Ok((r, version))
        })
    }

    /// The table version: the version of the last write whose bookkeeping is
    /// complete (0: none yet). Every write gets a greater version than the one
    /// before it, whatever its slot; pass this to
    /// [`changed_since`](Self::changed_since) to hear of the writes after now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] only if the segment is smaller than the
    /// layout (never for a handle this crate opened).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(board.version()?, 0);
    /// let mut w = board.writer()?; // a new writer skips one version (see layout::table)
    /// let v = w.write(1, &1)?;
    /// assert_eq!(board.version()?, v);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn version(&self) -> Result<u64> {
        during(&"Table::version", self.object(), || {
            Ok(self.read_view()?.version())
        })
    }

    /// Calls `changed` with every slot written since version `since` (each at
    /// most once, in increasing order), and returns the version the report
    /// covers, the `since` of the next call: every write with a version above
    /// `since` and at most the returned one is reported (a later one may be too).
    /// Pass 0 to hear of every slot ever written. A `since` above the table's
    /// version (one this table never gave) reports every slot. Allocates nothing;
    /// costs one load when nothing changed, ⌈`N` / 64⌉ loads and 64 per group of
    /// 64 slots with a change otherwise.
    ///
    /// The callback only learns which slots changed: read them afterwards (a
    /// slot may change again in between; the next call reports that).
    ///
    /// # Errors
    ///
    /// As [`version`](Self::version).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 1000>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = board.writer()?;
    /// let mut seen = board.changed_since(0, |_| unreachable!())?;
    /// w.write(7, &70)?;
    /// w.write(900, &9000)?;
    /// w.write(7, &71)?;
    /// let mut sum = 0;
    /// seen = board.changed_since(seen, |i| sum += board.read(i).unwrap())?;
    /// assert_eq!(sum, 71 + 9000);
    /// assert_eq!(board.changed_since(seen, |_| unreachable!())?, seen);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn changed_since(&self, since: u64, changed: impl FnMut(usize)) -> Result<u64> {
        during(&"Table::changed_since", self.object(), || {
            Ok(self.read_view()?.changed_since(since, changed))
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
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(!board.has_writer()?);
    /// let w = board.writer()?;
    /// assert!(board.has_writer()?);
    /// drop(w);
    /// assert!(!board.has_writer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn has_writer(&self) -> Result<bool> {
        during(&"Table::has_writer", self.object(), || {
            Ok(self.sems.get(WRITER)? == 0)
        })
    }

    /// The segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // 256 bytes of header and writer line, a line of change groups, a line
    /// // of slot versions, then 4 slots of one 64-byte line each.
    /// assert_eq!(board.segment().stat()?.size, 256 + 128 + 128 + 4 * 64);
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
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let v = board.writer()?.write(1, &77)?;
    /// let att = board.attachment();
    /// assert_eq!(att.load_u64(512 + 64), Some(2 * v)); // slot 1's `seq`: write v complete
    /// assert_eq!(att.load_u64(512 + 64 + 8), Some(77)); // its value
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn attachment(&self) -> &Attachment<B, A> {
        &self.att
    }

    /// A read-only handle on the same table: a second attachment of its segment,
    /// `SHM_RDONLY`, for code that reads and must not be able to write.
    ///
    /// # Errors
    ///
    /// As [`Table::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let reader = board.read_only()?; // no `writer()` on this one
    /// board.writer()?.write(0, &5)?;
    /// assert_eq!(reader.read(0)?, 5);
    /// assert_eq!(board.segment().stat()?.nattch, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_only(&self) -> Result<Table<T, N, B, ReadOnly>>
    where
        B: Clone,
    {
        during(&"Table::read_only", self.object(), || {
            let sems = SemSet::from_id(self.sems.backend().clone(), self.sems.id());
            let wait = timed_wait(self.sems.backend().clone(), JOIN_TIMEOUT);
            Table::join_read_only(&self.att.segment(), || Ok(sems), wait)
        })
    }
}

impl<T: ShmType, const N: usize, B: Backend> Table<T, N, B, ReadWrite> {
    /// Creates the table of `key` or opens the one it has, as `intent` says, with
    /// the header handshake and the recovery of a creator that died of
    /// [`SeqLock::create_in`](crate::seqlock::SeqLock::create_in). The header
    /// records the kind (5, a table), `N`, `T`'s size, alignment and
    /// [`ShmType::TYPE_ID`]: any other layout, `N` or `T` is refused.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] (another kind, `N`, type or size: its
    /// [`layout_field`](Error::layout_field) names the header field),
    /// [`ErrorKind::Uninitialized`], [`ErrorKind::Corrupt`], and the errors of
    /// [`Segment::create_in`], [`Segment::attach`],
    /// [`SemSet::new_initialized_in`], as
    /// [`SeqLock::create_in`](crate::seqlock::SeqLock::create_in).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock, table::Table};
    ///
    /// let key = Key::new(0x6000_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let first = Removal::new(Table::<u64, 8, _>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?);
    /// let second = Table::<u64, 8, _>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?;
    /// assert_eq!(second.segment().id(), first.segment().id());
    /// // A table is not a seqlock, and another T is another layout.
    /// let e = SeqLock::<u64, _>::open_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("kind")));
    /// let e = Table::<i64, 8, _>::open_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("type_id")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::create_in", Object::Key(key), || {
            Table::create_with(backend, key, intent, mode, TableOptions::new())
        })
    }

    /// Opens the existing table of `key`.
    ///
    /// # Errors
    ///
    /// As [`Table::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let key = Key::new(0x6100_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let board = Removal::new(Table::<u64, 2, _>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(Table::<u64, 2, _>::open_in(b, key)?.read(1)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::open_in", Object::Key(key), || {
            let options = TableOptions::new();
            Table::create_with(backend, key, Intent::Open, Mode::default(), options)
        })
    }

    /// [`Table::open_in`] for a program that may start before the peer that
    /// creates the table: as
    /// [`SeqLock::open_wait_in`](crate::seqlock::SeqLock::open_wait_in), it
    /// returns within `timeout` if nobody creates the object, and within `timeout`
    /// + [`JOIN_TIMEOUT`] in every case.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no table after `timeout`;
    /// [`ErrorKind::Interrupted`] if a signal handler ran during a sleep; otherwise
    /// as [`Table::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let key = Key::new(0x6200_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let board = Removal::new(Table::<u64, 2, _>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let joined = Table::<u64, 2, _>::open_wait_in(b, key, Duration::from_secs(1))?;
    /// assert_eq!(joined.segment().id(), board.segment().id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |left| {
                let options = TableOptions::new().join_timeout(left.max(JOIN_TIMEOUT));
                Table::create_with(backend.clone(), key, Intent::Open, Mode::default(), options)
            })
        })
    }

    /// [`Table::create_in`] with [`TableOptions`].
    ///
    /// # Errors
    ///
    /// As [`Table::create_in`] (`Uninitialized` after the options' join timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::table::{Table, TableOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let options = TableOptions::new().join_timeout(Duration::from_secs(2));
    /// let b = DefaultBackend::default();
    /// let board = Removal::new(Table::<u64, 2, _>::create_with(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, options)?);
    /// assert_eq!(board.read(0)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_with(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: TableOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::create_with", Object::Key(key), || {
            let init = |ctl: &TableCtl, _: &B| ctl.init();
            let timeout = options.get_join_timeout();
            let (att, sems) =
                join::create_or_join(backend, key, intent, mode, &Self::spec(), init, timeout)?;
            Ok(Table {
                att,
                sems,
                _type: PhantomData,
            })
        })
    }

    /// The control block and the words after it, read-write.
    fn parts(&self) -> Result<(&TableCtl, &[AtomicU64])> {
        let words = Slots::<N>::words(Self::VALUE_WORDS);
        view::<B, TableCtl>(&self.att, crate::layout::table::INDEX_OFFSET, words)
            .ok_or_else(|| too_small(self.att.len(), Self::SIZE))
    }

    #[allow(unsafe_code)] // role::unbounded
    fn writer_with(&self, reclaim: bool) -> Result<Writer<T, N, B>>
    where
        B: Clone,
    {
        let (att, sems) = crate::role::own_parts(&self.att, &self.sems)?;
        let table = Table {
            att,
            sems,
            _type: PhantomData,
        };
        let (ctl, words) = table.parts()?;
        // SAFETY: `ctl` and `words` point into `table`'s own mapping, which goes
        // into the `Writer` beside them; the writer uses them only while its role
        // holds `table` (see `Writer`'s fields), and on the error paths below they
        // are dropped unused.
        let (ctl, words) = unsafe { crate::role::unbounded(ctl, words) };
        let slots = Slots::with_words(ctl, words, Self::VALUE_WORDS)
            .ok_or_else(|| too_small(table.att.len(), Self::SIZE))?;
        let seat = Seat {
            sem: WRITER,
            pid: &ctl.writer_pid,
        };
        let role = Role::claim(table, seat, reclaim)?;
        // Only now, holding the role: the repair of what a dead writer left, and
        // the version to start from (`TableWriter::new`).
        let writer = Writer {
            inner: TableWriter::new(slots),
            role,
        };
        // `new` stored a version (and may have repaired slots a dead writer left
        // unreported): a change for watchers.
        writer.wake_watchers();
        Ok(writer)
    }

    /// Claims the writer role for this process. The role owns its handle on the
    /// table (its own attachment of the segment), so it borrows nothing from
    /// `self` and may outlive it. A new writer takes over from the last one's
    /// state: one pass over the `N` slots repairs the change index a writer that
    /// died left, so no write it completed goes unreported.
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
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let w = board.writer()?;
    /// assert_eq!(board.writer().unwrap_err().kind(), ErrorKind::RoleTaken); // one writer
    /// drop(w);
    /// let mut w = board.writer()?;
    /// // Owned: it moves into a thread.
    /// std::thread::spawn(move || w.write(2, &7)).join().unwrap()?;
    /// assert_eq!(board.read(2)?, 7);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn writer(&self) -> Result<Writer<T, N, B>>
    where
        B: Clone,
    {
        during(&"Table::writer", self.object(), || self.writer_with(false))
    }

    /// Claims the writer role even if the last writer died holding it. Readers of
    /// a slot it died writing get [`ErrorKind::Busy`] until the new writer writes
    /// that slot.
    ///
    /// # Errors
    ///
    /// As [`writer`](Self::writer), without [`ErrorKind::RoleAbandoned`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, table::Table};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// let kernel: Mock = Mock::new(); // process 1 is the caller
    /// let board = Table::<u64, 4, _>::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// kernel.fork_process(1, 2).unwrap();
    /// kernel.set_process(Process::root(2));
    /// std::mem::forget(board.writer()?); // process 2 dies holding the role ...
    /// kernel.exit_process(2); // ... and SEM_UNDO frees it
    /// kernel.set_process(Process::root(1));
    /// assert_eq!(board.writer().unwrap_err().kind(), ErrorKind::RoleAbandoned);
    /// let mut w = board.reclaim_writer()?;
    /// w.write(3, &9)?;
    /// assert_eq!(board.read(3)?, 9);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn reclaim_writer(&self) -> Result<Writer<T, N, B>>
    where
        B: Clone,
    {
        during(&"Table::reclaim_writer", self.object(), || {
            self.writer_with(true)
        })
    }
}

impl<T: ShmType, const N: usize, B: Backend> Table<T, N, B, ReadOnly> {
    /// Opens the existing table of `key` for reading only: attaches its segment
    /// `SHM_RDONLY` and opens its semaphore set without asking for any permission
    /// (`semget(key, 0, 0)`), so read permission on both is all a reader needs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] (no segment or semaphore set under `key`, or
    /// [`Key::PRIVATE`]), [`ErrorKind::PermissionDenied`] (no read permission on
    /// the segment or the set), and as [`Table::create_in`]:
    /// [`ErrorKind::LayoutMismatch`], [`ErrorKind::Uninitialized`],
    /// [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let key = Key::new(0x6300_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let board = Removal::new(Table::<u64, 4, _>::create_in(b, key, Intent::CreateNew, Mode::new(0o644))?);
    /// board.writer()?.write(0, &8)?;
    /// let reader = Table::<u64, 4, _, _>::open_read_only_in(b, key)?;
    /// assert_eq!(reader.read(0)?, 8);
    /// let e = Table::<i64, 4, _, _>::open_read_only_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("type_id")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::open_read_only_in", Object::Key(key), || {
            Self::open_read_only_with(backend, key, TableOptions::new())
        })
    }

    /// [`open_read_only_in`](Self::open_read_only_in) with [`TableOptions`].
    ///
    /// # Errors
    ///
    /// As [`open_read_only_in`](Self::open_read_only_in).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::table::{Table, TableOptions};
    /// use sysv_ipc::{Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new();
    /// let key = Key::new(0x7ac);
    /// let board = Table::<u64, 2, _>::create_in(&KERNEL, key, Intent::CreateNew, Mode::new(0o644))?;
    /// board.writer()?.write(1, &8)?;
    /// let at_once = TableOptions::new().join_timeout(Duration::ZERO);
    /// let reader = Table::<u64, 2, _, _>::open_read_only_with(&KERNEL, key, at_once)?;
    /// assert_eq!(reader.read(1)?, 8);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only_with(backend: B, key: Key, options: TableOptions) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::open_read_only_with", Object::Key(key), || {
            let segment = Segment::open_in(backend.clone(), key)?;
            let wait = timed_wait(backend.clone(), options.get_join_timeout());
            Table::join_read_only(&segment, || SemSet::open_in(backend, key), wait)
        })
    }

    /// [`Table::open_read_only_in`] for a program that may start before the peer
    /// that creates the table, waiting as [`Table::open_wait_in`] does.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no table after `timeout`;
    /// otherwise as [`Table::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Key, table::Table};
    ///
    /// let key = Key::new(0x6400_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let e = Table::<u64, 2, _, _>::open_read_only_wait_in(b, key, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// ```
    pub fn open_read_only_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Table::open_read_only_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |left| {
                let segment = Segment::open_in(backend.clone(), key)?;
                let wait = timed_wait(backend.clone(), left.max(JOIN_TIMEOUT));
                Table::join_read_only(&segment, || SemSet::open_in(backend.clone(), key), wait)
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
        TableReadView::<N>::attach(&att, &Self::shape(), wait)
            .ok_or_else(|| too_small(att.len(), Self::SIZE))?
            .map_err(|e| e.to_error())?;
        // After the header: its creator makes the semaphore set between claiming
        // the header and publishing it.
        let sems = sems()?;
        join::check_joined(segment, &sems, &att, &Self::spec())?;
        Ok(Table {
            att,
            sems,
            _type: PhantomData,
        })
    }
}

impl<T, const N: usize, B: Backend + Clone, A: Access> Removable for Table<T, N, B, A> {
    /// Removes the segment and the semaphore set.
    fn remove(&self) -> Result<()> {
        during(&"Table::remove", self.object(), || {
            let shm = self.att.segment().remove();
            let sem = self.sems.remove();
            shm.and(sem)
        })
    }
}

/// The writer role of a [`Table`]; dropping it releases the role (and detaches
/// its own mapping). It owns its handle on the table (see [`Table::writer`]), so
/// it moves into a thread or a struct with no lifetime and outlives the `Table`
/// it was claimed from.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
///
/// let board = Removal::new(Table::<u32, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = board.writer()?;
/// for i in 0..8 {
///     w.write(i, &(i as u32 * 10))?;
/// }
/// assert_eq!(board.read(7)?, 70);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Writer<T: ShmType, const N: usize, B: Backend = DefaultBackend> {
    /// A view of the role's own handle's mapping, not a borrow of it (see
    /// [`Table::writer_with`]): used only while `role` is held, and declared
    /// before it so that it goes first.
    inner: TableWriter<'static, N, SlotOf<T>>,
    /// The writer's own handle on the table and its seat, which the role's `Drop`
    /// releases before the handle goes.
    role: Role<Table<T, N, B>>,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for Writer<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("table", self.role.handle())
            .finish()
    }
}

impl<T: ShmType, const N: usize, B: Backend> Writer<T, N, B> {
    /// Stores `value` as slot `i`'s: readers of the slot see either its previous
    /// value or this one, whole. Returns the write's version, greater than every
    /// earlier write's to any slot (what [`Table::read_versioned`] then returns for
    /// the slot, and [`Table::changed_since`] compares).
    ///
    /// Only in the process that claimed the role (two loads and a compare):
    /// two writers interleaving their sequence updates could let a reader take a
    /// mix of two values as whole.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfRange`] for `i >= N`; [`ErrorKind::WrongProcess`] in a
    /// process that did not claim the role (a child that inherited it through
    /// `fork`). Nothing was written then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = board.writer()?;
    /// let a = w.write(0, &1)?;
    /// let b = w.write(1, &2)?;
    /// assert!(b > a);
    /// assert_eq!(board.read_versioned(1)?, (2, b));
    /// assert_eq!(w.write(2, &3).unwrap_err().kind(), ErrorKind::OutOfRange);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[inline]
    pub fn write(&mut self, i: usize, value: &T) -> Result<u64> {
        during(&"Writer::write", self.role.handle().object(), || {
            self.role.holder()?;
            let i = Table::<T, N, B>::slot(i)?;
            let v = self
                .inner
                .write(i, value.as_bytes())
                .map_err(|e| table_error(e, i, N))?;
            self.wake_watchers();
            Ok(v)
        })
    }

    /// Writes slot `i`'s value in place, through its view: `write` stores the
    /// fields it changes (the others keep their values), and readers see the
    /// slot's value before or after the whole call, never a mix. Returns what
    /// `write` returned and the write's version.
    ///
    /// If `write` panics, the write is left open, as a writer killed mid-write
    /// leaves it: readers of the slot get [`ErrorKind::Busy`] until its next
    /// complete write, never the half-written value.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write); `write` was not called then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<[u32; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = board.writer()?;
    /// let (n, v) = w.write_with(3, |cells| {
    ///     cells.set(7, 70).unwrap();
    ///     cells.set(1023, 1).unwrap();
    ///     2
    /// })?;
    /// assert_eq!(n, 2);
    /// let got = board.read_with(3, |cells| (cells.get(7), cells.get(1023)))?;
    /// assert_eq!(got, ((Some(70), Some(1)), v));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write_with<R>(&mut self, i: usize, write: impl FnOnce(&T::View) -> R) -> Result<(R, u64)>
    where
        T: ShmView,
    {
        during(&"Writer::write_with", self.role.handle().object(), || {
            self.role.holder()?;
            let i = Table::<T, N, B>::slot(i)?;
            // The writer's own mapping (`Table::writer` attached it), which no
            // reader of this process loads from: its narrower stores meet no load
            // of another size in this process.
            let (r, version) = self
                .inner
                .write_in_place(i, |words| value_view::<T>(words).map(write))
                .map_err(|e| table_error(e, i, N))?;
            self.wake_watchers();
            let r =
                r.ok_or_else(|| too_small(self.role.handle().att.len(), Table::<T, N, B>::SIZE))?;
            Ok((r, version))
        })
    }

    /// Starts a write of slot `i` and never finishes it: what a writer killed
    /// mid-write leaves behind. A test hook, behind the unsupported `test-hooks`
    /// feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = board.writer()?;
    /// w.abandon_mid_write(0);
    /// assert_eq!(board.read_with_attempts(0, 10).unwrap_err().kind(), ErrorKind::Busy);
    /// assert_eq!(board.read(1)?, 0); // the other slot is readable
    /// w.write(0, &3)?; // a complete write ends it
    /// assert_eq!(board.read(0)?, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn abandon_mid_write(&mut self, i: usize) {
        self.inner.begin_and_abandon(i);
    }

    /// Writes slot `i` up to and including its second sequence store, and stops
    /// before the change index's stores, as a writer killed there would. A test
    /// hook, behind the unsupported `test-hooks` feature.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = board.writer()?;
    /// let seen = board.version()?;
    /// w.write_and_abandon(1, &5);
    /// assert_eq!(board.read(1)?, 5); // written...
    /// assert_eq!(board.changed_since(seen, |_| unreachable!())?, seen); // ...unannounced
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn write_and_abandon(&mut self, i: usize, value: &T) {
        let _ = self.inner.write_and_abandon(i, value.as_bytes());
    }
}
