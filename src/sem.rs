//! Semaphore sets: [`SemSet`], the operations [`SemOp`] applied atomically to it, every
//! `semctl` command typed, a race-free create-and-initialize
//! ([`SemSet::new_initialized`]) and a lock released by the kernel if its holder dies
//! ([`SemSet::lock`], [`SemGuard`]).
//!
//! Nothing here allocates: operations are borrowed slices of [`SemOp`], which has
//! the layout of the kernel's `struct sembuf`, and values travel through
//! caller-provided `u16` slices.
//!
//! # Blocking, signals and timeouts
//!
//! [`SemSet::op`] blocks until every operation can proceed; add
//! [`SemOp::nowait`] to fail with [`ErrorKind::WouldBlock`] instead, or use
//! [`SemSet::op_timeout`]. A signal ends a blocked `semop` with `EINTR` even when its
//! handler was installed with `SA_RESTART` (signal(7)), and so does a stop with no
//! handler at all: Ctrl-Z (`SIGSTOP`/`SIGTSTP` then `SIGCONT`), a debugger or
//! `strace` attaching (measured here, Linux 6.18: `semop` and `semtimedop` return
//! `EINTR` after `SIGSTOP`+`SIGCONT` and after `PTRACE_SEIZE`+`PTRACE_INTERRUPT`,
//! where `msgrcv`, `msgsnd` and `clock_nanosleep` are restarted). Nothing tells the
//! two apart after the fact, so the crate offers both policies:
//!
//! - [`SemSet::op`] and [`SemSet::op_timeout`] are the system calls as they are:
//!   `EINTR` is [`ErrorKind::Interrupted`], whatever caused it, for a caller who
//!   cancels waits from a signal handler ([`SemSet::lock_interruptible`] and
//!   [`SemSet::lock_timeout_interruptible`] are the locks of that kind);
//! - [`SemSet::lock`], [`SemSet::lock_timeout`], [`SemSet::op_retry_eintr`] and
//!   [`SemSet::op_timeout_retry_eintr`] wait again, a timed one only for what is
//!   left of its timeout, so a program survives being stopped and continued.
//!
//! # Safety
//!
//! The crate denies `unsafe_code`; this module allows it for two things:
//!
//! - `semctl` is an `unsafe` [`Backend`] method because, depending on the command, its
//!   fourth argument is a pointer. Every safe call here passes either a plain value (as
//!   a pointer without provenance, never dereferenced) or a pointer to a live local
//!   `semid64_ds`, whose size does not depend on the set. Only the `unsafe`
//!   [`SemSet::get_all_atomic`] and [`SemSet::set_all_atomic`] pass an array
//!   (`GETALL`/`SETALL`), whose length the kernel takes from whatever set the id
//!   names when it runs: a check made before cannot hold against another process
//!   that removes the set and has its id given to a larger one (`kernel.sem_next_id`
//!   does it at once), so their callers promise that it does not happen. The safe
//!   [`SemSet::get_all`] and [`SemSet::set_all`] go one semaphore at a time.
//! - `&[SemOp]` is reinterpreted as `&[sembuf]` (see [`SemOp::as_sembufs`]), which
//!   `#[repr(transparent)]` guarantees and a `const` assertion checks.
#![allow(unsafe_code)]

use core::fmt;
use core::ptr;
use core::time::Duration;

use crate::abi::{
    GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, SEM_UNDO,
    SETALL, SETVAL, sembuf, semid64_ds, semun_val, timespec,
};
use crate::clock;
use crate::error::{Object, check, during};
use crate::{
    Backend, Call, DefaultBackend, Errno, Error, ErrorKind, Intent, Key, Mode, Owner, Perm,
    Removable, Result,
};

/// Sets of up to this many semaphores pass `set_all_atomic`'s values through a stack
/// copy (see `set_all_atomic`).
const SETALL_COPY: usize = 64;

/// `IPC_NOWAIT` as the 16-bit `sem_flg` of a `sembuf` (0o4000 fits).
const NOWAIT_FLAG: i16 = IPC_NOWAIT as i16;
const _: () = assert!(IPC_NOWAIT == NOWAIT_FLAG as i32);

/// The kernel's largest semaphore value (`SEMVMX`, fixed, not a sysctl).
const SEMVMX: u16 = 32767;

/// Why a set of more than `i32::MAX` semaphores is refused before `semget`.
const TOO_MANY_SEMAPHORES: &str = "more semaphores than semget can count (i32::MAX)";

// ---- SemOp ---------------------------------------------------------------------------

/// One operation of a `semop` call: the kernel's `struct sembuf`, built by name.
///
/// - [`SemOp::wait`] (P): take one, blocking while the value is 0;
/// - [`SemOp::post`] (V): give one back;
/// - [`SemOp::wait_zero`]: block until the value is 0;
/// - [`SemOp::add`]: any amount, negative to take, positive to give;
///
/// then [`nowait`](SemOp::nowait) (fail instead of blocking) and
/// [`undo`](SemOp::undo) (the kernel reverts the operation when the process exits).
///
/// `#[repr(transparent)]` over [`sembuf`], so a `&[SemOp]` goes to the kernel as it
/// is, with no copy.
///
/// ```
/// use sysv_ipc::SemOp;
/// let op = SemOp::wait(2).undo().nowait();
/// assert_eq!((op.num(), op.delta()), (2, -1));
/// assert!(op.is_undo() && op.is_nowait());
/// ```
#[repr(transparent)]
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct SemOp(sembuf);

// What `SemOp::as_sembufs` relies on; repr(transparent) promises it, this proves it.
const _: () = assert!(size_of::<SemOp>() == size_of::<sembuf>());
const _: () = assert!(align_of::<SemOp>() == align_of::<sembuf>());
const _: () = assert!(size_of::<[SemOp; 3]>() == 3 * 6);

impl SemOp {
    /// Adds `delta` to semaphore `num`: negative waits until the value is at least
    /// `-delta` and subtracts it, positive adds (never blocks), 0 waits for zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.op(&[SemOp::add(0, 5)])?; // give 5
    /// set.op(&[SemOp::add(0, -3)])?; // take 3: there are 5, so no waiting
    /// assert_eq!(set.get(0)?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn add(num: u16, delta: i16) -> SemOp {
        SemOp(sembuf {
            sem_num: num,
            sem_op: delta,
            sem_flg: 0,
        })
    }

    /// P: takes one from semaphore `num`, waiting while it is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set(0, 1)?;
    /// set.op(&[SemOp::wait(0)])?; // 1 -> 0 at once
    /// assert_eq!(set.get(0)?, 0);
    /// let e = set.op(&[SemOp::wait(0).nowait()]).unwrap_err(); // would wait now
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn wait(num: u16) -> SemOp {
        SemOp::add(num, -1)
    }

    /// V: gives one to semaphore `num`, waking a waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.op(&[SemOp::post(1), SemOp::post(1)])?;
    /// assert_eq!((set.get(0)?, set.get(1)?), (0, 2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn post(num: u16) -> SemOp {
        SemOp::add(num, 1)
    }

    /// Waits until semaphore `num` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.op(&[SemOp::wait_zero(0)])?; // already 0: proceeds
    /// set.set(0, 1)?;
    /// let e = set.op(&[SemOp::wait_zero(0).nowait()]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn wait_zero(num: u16) -> SemOp {
        SemOp::add(num, 0)
    }

    /// With `IPC_NOWAIT`: if this operation would block, the whole call fails with
    /// [`ErrorKind::WouldBlock`] and nothing is applied.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // All or nothing: the post on 1 is not applied because the wait on 0 cannot proceed.
    /// let e = set.op(&[SemOp::post(1), SemOp::wait(0).nowait()]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// assert_eq!(set.get(1)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[must_use]
    pub const fn nowait(self) -> SemOp {
        let mut b = self.0;
        b.sem_flg |= NOWAIT_FLAG;
        SemOp(b)
    }

    /// With `SEM_UNDO`: the kernel reverts this operation's effect when the process
    /// exits, however it exits (even `SIGKILL`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, SemOp, SemSet};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// // The mock can play a process's exit; the kernel does the same for a real one.
    /// static KERNEL: Mock = Mock::new();
    /// KERNEL.set_process(Process::user(100, 1000, 1000));
    /// let set = SemSet::create_in(&KERNEL, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// set.op(&[SemOp::post(0).undo()])?;
    /// assert_eq!(set.get(0)?, 1);
    /// KERNEL.exit_process(100); // exits, even by SIGKILL: the post is reverted
    /// assert_eq!(set.get(0)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[must_use]
    pub const fn undo(self) -> SemOp {
        let mut b = self.0;
        b.sem_flg |= SEM_UNDO;
        SemOp(b)
    }

    /// The semaphore's index in the set (`sem_num`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::SemOp;
    ///
    /// let ops = [SemOp::wait(0), SemOp::post(3)];
    /// assert_eq!(ops.map(SemOp::num), [0, 3]);
    /// ```
    pub const fn num(self) -> u16 {
        self.0.sem_num
    }

    /// The amount added (`sem_op`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::SemOp;
    ///
    /// assert_eq!(SemOp::wait(0).delta(), -1);
    /// assert_eq!(SemOp::post(0).delta(), 1);
    /// assert_eq!(SemOp::wait_zero(0).delta(), 0);
    /// assert_eq!(SemOp::add(0, -7).nowait().delta(), -7);
    /// ```
    pub const fn delta(self) -> i16 {
        self.0.sem_op
    }

    /// The raw flags (`sem_flg`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::SemOp;
    /// use sysv_ipc::abi::{IPC_NOWAIT, SEM_UNDO};
    ///
    /// assert_eq!(SemOp::post(0).flags(), 0);
    /// assert_eq!(SemOp::post(0).undo().flags(), SEM_UNDO);
    /// assert_eq!(i32::from(SemOp::post(0).nowait().flags()), IPC_NOWAIT);
    /// ```
    pub const fn flags(self) -> i16 {
        self.0.sem_flg
    }

    /// Whether [`nowait`](SemOp::nowait) is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::SemOp;
    ///
    /// assert!(!SemOp::wait(0).is_nowait());
    /// assert!(SemOp::wait(0).nowait().is_nowait());
    /// ```
    pub const fn is_nowait(self) -> bool {
        self.0.sem_flg & NOWAIT_FLAG != 0
    }

    /// Whether [`undo`](SemOp::undo) is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::SemOp;
    ///
    /// assert!(!SemOp::wait(0).is_undo());
    /// assert!(SemOp::wait(0).undo().is_undo());
    /// ```
    pub const fn is_undo(self) -> bool {
        self.0.sem_flg & SEM_UNDO != 0
    }

    /// The kernel struct.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::SemOp;
    /// use sysv_ipc::abi::{SEM_UNDO, sembuf};
    ///
    /// let b: sembuf = SemOp::add(2, -3).undo().to_sembuf();
    /// assert_eq!((b.sem_num, b.sem_op, b.sem_flg), (2, -3, SEM_UNDO));
    /// assert_eq!(SemOp::from(b), SemOp::add(2, -3).undo());
    /// ```
    pub const fn to_sembuf(self) -> sembuf {
        self.0
    }

    /// The same operations as the kernel's `sembuf`s, without copying.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Backend, DefaultBackend, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let ops = [SemOp::post(0), SemOp::add(1, 4)];
    /// let raw = SemOp::as_sembufs(&ops);
    /// assert_eq!((raw.len(), raw[1].sem_op), (2, 4));
    /// // What `SemSet::op` does: hand them to the backend's semop as they are.
    /// DefaultBackend::default().semop(set.id(), raw).unwrap();
    /// assert_eq!((set.get(0)?, set.get(1)?), (1, 4));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn as_sembufs(ops: &[SemOp]) -> &[sembuf] {
        // SAFETY: `ops.as_ptr()` points to `ops.len()` initialised `SemOp`s borrowed
        // for the returned lifetime, and a `SemOp` is a `sembuf`: "Structs and enums
        // with this representation have the same layout and ABI as the only non-size 0
        // non-alignment 1 field" (Reference, "The transparent representation",
        // https://doc.rust-lang.org/1.88.0/reference/type-layout.html#the-transparent-representation);
        // size and alignment are asserted above.
        unsafe { core::slice::from_raw_parts(ops.as_ptr().cast::<sembuf>(), ops.len()) }
    }
}

impl From<sembuf> for SemOp {
    fn from(b: sembuf) -> SemOp {
        SemOp(b)
    }
}

impl From<SemOp> for sembuf {
    fn from(op: SemOp) -> sembuf {
        op.0
    }
}

impl fmt::Debug for SemOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SemOp({} {:+}", self.num(), self.delta())?;
        if self.is_nowait() {
            f.write_str(" nowait")?;
        }
        if self.is_undo() {
            f.write_str(" undo")?;
        }
        let other = self.flags() & !(NOWAIT_FLAG | SEM_UNDO);
        if other != 0 {
            write!(f, " flags {other:#x}")?;
        }
        f.write_str(")")
    }
}

// ---- SemSetStat ----------------------------------------------------------------------

/// What `semctl(IPC_STAT)` reports about a set.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
///
/// let set = Removal::new(SemSet::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?);
/// let st = set.stat()?;
/// assert_eq!((st.nsems, st.otime, st.perm.mode), (3, 0, Mode::OWNER_RW)); // no semop yet
/// assert_ne!(st.ctime, 0);
/// set.op(&[SemOp::post(0)])?;
/// assert_ne!(set.stat()?.otime, 0);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SemSetStat {
    /// Owner, creator and mode.
    pub perm: Perm,
    /// Number of semaphores in the set (fixed at creation).
    pub nsems: usize,
    /// Time of the last successful `semop`, in seconds since the epoch; 0 if none yet.
    pub otime: i64,
    /// Time of creation or of the last change by `semctl` (`IPC_SET`, `SETVAL`,
    /// `SETALL`), in seconds since the epoch.
    pub ctime: i64,
}

impl From<&semid64_ds> for SemSetStat {
    fn from(ds: &semid64_ds) -> SemSetStat {
        SemSetStat {
            perm: Perm::from(&ds.sem_perm),
            nsems: usize::try_from(ds.sem_nsems).unwrap_or(usize::MAX),
            otime: ds.sem_otime,
            ctime: ds.sem_ctime,
        }
    }
}

// ---- SemSet --------------------------------------------------------------------------

/// A System V semaphore set: an id and the backend that reaches it.
///
/// A handle, not an owner: dropping it removes nothing (the set lives in the kernel
/// until [`Removable::remove`]; wrap it in [`Removal`](crate::Removal) to remove on
/// drop). Semaphores are numbered `0..nsems` with `u16`, as `struct sembuf` does;
/// numbers are checked by the kernel (`EINVAL`/`EFBIG`, both
/// [`ErrorKind::InvalidArgument`]).
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
///
/// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
/// set.set_all(&[1, 0])?;
/// // Move one unit from semaphore 0 to semaphore 1, atomically.
/// set.op(&[SemOp::wait(0), SemOp::post(1)])?;
/// let mut values = [0; 2];
/// set.get_all(&mut values)?;
/// assert_eq!(values, [0, 1]);
/// set.remove_now()?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct SemSet<B: Backend = DefaultBackend> {
    id: i32,
    backend: B,
}

// By hand: a derive would require `B: Debug`, which the mock is not.
impl<B: Backend> core::fmt::Debug for SemSet<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SemSet").field("id", &self.id).finish()
    }
}

impl SemSet {
    /// `semget(key, 0, 0)`—Opens the existing set of `key`, on the default backend.
    /// See [`SemSet::open_in`].
    ///
    /// # Errors
    ///
    /// As [`SemSet::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let key = Key::new(0x7300_0000 | (std::process::id() as i32 & 0xff_ffff)); // agreed on by the peers
    /// let set = Removal::new(SemSet::create(key, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let peer = SemSet::open(key)?; // typically in another process
    /// assert_eq!(peer.id(), set.id());
    /// set.remove_now()?;
    /// assert_eq!(SemSet::open(key).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn open(key: Key) -> Result<SemSet> {
        during(&"SemSet::open", Object::Key(key), || {
            SemSet::open_in(DefaultBackend::default(), key)
        })
    }

    /// Opens the set that `key` names, waiting up to `timeout` for a peer to
    /// create it: see [`SemSet::open_wait_in`].
    ///
    /// # Errors
    ///
    /// As [`SemSet::open_wait_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use sysv_ipc::{ErrorKind, Key, SemSet};
    ///
    /// let key = Key::new(0x6b00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let t = Instant::now();
    /// let e = SemSet::open_wait(key, Duration::from_millis(20)).unwrap_err(); // nobody creates it
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// assert!(t.elapsed() >= Duration::from_millis(20));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_wait(key: Key, timeout: Duration) -> Result<SemSet> {
        during(&"SemSet::open_wait", Object::Key(key), || {
            SemSet::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// `semget(key, nsems, flags | mode)`—Creates or opens a set of `nsems`
    /// semaphores, on the default backend. See [`SemSet::create_in`].
    ///
    /// # Errors
    ///
    /// As [`SemSet::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut values = [9; 3];
    /// set.get_all(&mut values)?;
    /// assert_eq!(values, [0, 0, 0]); // Linux starts them at 0
    /// let e = SemSet::create(Key::PRIVATE, 0, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidArgument); // a new set needs semaphores
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn create(key: Key, nsems: usize, intent: Intent, mode: Mode) -> Result<SemSet> {
        during(&"SemSet::create", Object::Key(key), || {
            SemSet::create_in(DefaultBackend::default(), key, nsems, intent, mode)
        })
    }

    /// Creates the set of `key` with `values`, or opens it and waits until its
    /// creator has initialized it, on the default backend. See
    /// [`SemSet::new_initialized_with`] for the protocol.
    ///
    /// # Errors
    ///
    /// As [`SemSet::new_initialized_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemSet};
    ///
    /// let key = Key::new(0x7400_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let first = Removal::new(SemSet::new_initialized(key, &[1, 0], Mode::OWNER_RW)?);
    /// // Any number of processes may make the same call: one creates, the others open the
    /// // set once it is initialized.
    /// let second = SemSet::new_initialized(key, &[1, 0], Mode::OWNER_RW)?;
    /// assert_eq!(second.id(), first.id());
    /// assert_eq!((second.get(0)?, second.get(1)?), (1, 0));
    /// let e = SemSet::new_initialized(key, &[1, 0, 0], Mode::OWNER_RW).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(2), Some(3)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn new_initialized(key: Key, values: &[u16], mode: Mode) -> Result<SemSet> {
        during(&"SemSet::new_initialized", Object::Key(key), || {
            SemSet::new_initialized_in(DefaultBackend::default(), key, values, mode)
        })
    }
}

/// How long a joiner waits in all, by default, for a creator to finish
/// initialising: the header of a [`Queue`](crate::queue::Queue) or
/// [`SeqLock`](crate::seqlock::SeqLock) (their `create*` and `open*`), the values
/// of a set made by [`SemSet::new_initialized`]. The options of each
/// ([`QueueOptions`](crate::queue::QueueOptions),
/// [`SeqLockOptions`](crate::seqlock::SeqLockOptions), [`SemSetOptions`]) change
/// it with `join_timeout`.
///
/// A creator publishes within microseconds of its `shmget` unless it is
/// descheduled; half a second rides out a loaded host and still reports a dead
/// creator promptly. Measured here (`tests/join_wait.rs`, a host shared with
/// other builds): a joiner under `SCHED_FIFO`, pinned to its creator's CPU, had
/// its layout 0.08–4.7 ms after the creator could finish (the spinning wait
/// before: 912 ms, when real-time throttling let the creator run, or
/// `Uninitialized`); a header nobody publishes is given up after 500.15–500.17
/// ms, 10–12 ms of it on the CPU (before: 2.4 s, 0.58 s on the CPU).
///
/// # Examples
///
/// ```
/// use sysv_ipc::sem::JOIN_TIMEOUT;
///
/// assert_eq!(JOIN_TIMEOUT.as_millis(), 500);
/// ```
pub const JOIN_TIMEOUT: Duration = Duration::from_millis(500);

/// How [`SemSet::new_initialized_with`] creates or joins a set, beyond its key,
/// values and mode: a builder, `SemSetOptions::new()` being the defaults of
/// [`SemSet::new_initialized_in`], as every type's options are (see [the crate
/// docs](crate#constructors)).
///
/// # Examples
///
/// ```
/// use core::time::Duration;
/// use sysv_ipc::sem::{JOIN_TIMEOUT, SemSetOptions};
///
/// assert_eq!(SemSetOptions::new().get_join_timeout(), JOIN_TIMEOUT);
/// let patient = SemSetOptions::new().join_timeout(Duration::from_secs(5));
/// assert_eq!(patient.get_join_timeout(), Duration::from_secs(5));
/// assert_eq!(SemSetOptions::default(), SemSetOptions::new());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SemSetOptions {
    join_timeout: Duration,
}

impl SemSetOptions {
    /// The defaults: what [`SemSet::new_initialized_in`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::sem::{JOIN_TIMEOUT, SemSetOptions};
    ///
    /// assert_eq!(SemSetOptions::new().get_join_timeout(), JOIN_TIMEOUT);
    /// ```
    pub const fn new() -> SemSetOptions {
        SemSetOptions {
            join_timeout: JOIN_TIMEOUT,
        }
    }

    /// How long a caller that finds the set created by another waits in all for
    /// its creator to initialise it, before giving up with
    /// [`ErrorKind::Uninitialized`]; [`JOIN_TIMEOUT`] by default.
    ///
    /// The wait spins a few microseconds, then sleeps on `CLOCK_MONOTONIC` (10 µs
    /// doubling to 1 ms, never past the timeout), so even a `SCHED_FIFO` caller
    /// lets a creator on its CPU finish; it may last the spins and one sleep's
    /// timer slack longer than `timeout`. [`Duration::ZERO`] gives up after the
    /// spins: for a caller that must not wait for anyone.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::sem::SemSetOptions;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// let kernel: Mock = Mock::new();
    /// let key = Key::new(0x5e13);
    /// // A creator that made the set and never initialised it (it died, say).
    /// SemSet::create_in(&kernel, key, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let brief = SemSetOptions::new().join_timeout(Duration::from_millis(20));
    /// let t0 = kernel.monotonic(); // the mock's clock, which its sleeps move
    /// let e = SemSet::new_initialized_with(&kernel, key, &[1], Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// assert_eq!(kernel.monotonic() - t0, Duration::from_millis(20));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn join_timeout(self, timeout: Duration) -> SemSetOptions {
        SemSetOptions {
            join_timeout: timeout,
        }
    }

    /// The timeout of [`join_timeout`](Self::join_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::sem::SemSetOptions;
    ///
    /// let o = SemSetOptions::new().join_timeout(Duration::ZERO);
    /// assert_eq!(o.get_join_timeout(), Duration::ZERO);
    /// ```
    pub const fn get_join_timeout(self) -> Duration {
        self.join_timeout
    }
}

impl Default for SemSetOptions {
    /// [`SemSetOptions::new`].
    fn default() -> SemSetOptions {
        SemSetOptions::new()
    }
}

/// Attempts of [`timed_wait`] that only spin, before it sleeps.
const WAIT_SPINS: u32 = 8;
/// The first sleep of [`timed_wait`], in nanoseconds; each next one doubles, up to
/// [`WAIT_MAX_SLEEP_NS`].
const WAIT_FIRST_SLEEP_NS: u64 = 10_000;
/// The longest sleep of [`timed_wait`]: how late, at most, a joiner notices that
/// the header became ready.
const WAIT_MAX_SLEEP_NS: u64 = 1_000_000;

/// The wait of every join ([`JOIN_TIMEOUT`] or an options' `join_timeout`):
/// spins briefly, then sleeps with `clock_nanosleep` on `backend`, and gives up
/// (returns false) once `timeout` has passed on `CLOCK_MONOTONIC` since the
/// first sleep.
///
/// The back-off: attempts 0 to 7 spin 2<sup>attempt</sup> rounds of
/// `core::hint::spin_loop` (255 in all, a few microseconds, no system call: a
/// creator running on another CPU is usually done by then); from attempt 8 each
/// attempt reads the clock and sleeps 10 µs, doubling up to 1 ms, never past the
/// deadline. Sleeping, not spinning or `sched_yield`, is what lets a creator of
/// lower priority run on the waiter's CPU: a `SCHED_FIFO` waiter that spins or
/// yields keeps the CPU from every `SCHED_OTHER` task. The whole wait lasts at
/// most `timeout` plus the spins and one sleep's overshoot (at most 1 ms plus
/// the kernel's timer slack). Attempt 0 starts a new wait (the clock's start is
/// taken again), so one callback serves several waits in turn.
///
/// It gives up early, as if `timeout` had passed, if the clock or the sleep
/// fails (never on Linux; a signal's `EINTR` just ends that one sleep).
pub(crate) fn timed_wait<B: Backend>(backend: B, timeout: Duration) -> impl FnMut(u32) -> bool {
    let mut start = None;
    move |attempt| {
        if attempt == 0 {
            start = None;
        }
        if attempt < WAIT_SPINS {
            for _ in 0..1u32 << attempt {
                core::hint::spin_loop();
            }
            return true;
        }
        let Ok(t) = clock::now(&backend) else {
            return false;
        };
        let elapsed = t.saturating_sub(*start.get_or_insert(t));
        if elapsed >= timeout {
            return false;
        }
        let doublings = (attempt - WAIT_SPINS).min(7);
        let pause = Duration::from_nanos(WAIT_FIRST_SLEEP_NS << doublings)
            .min(Duration::from_nanos(WAIT_MAX_SLEEP_NS))
            .min(timeout - elapsed);
        match clock::sleep(&backend, pause) {
            Ok(()) | Err(Errno::INTR) => true,
            Err(_) => false,
        }
    }
}

impl<B: Backend> SemSet<B> {
    /// A backend result as this crate's, naming `call`, this set, and in a
    /// permission error its owner and mode.
    fn check<T>(&self, call: Call, r: core::result::Result<T, Errno>) -> Result<T> {
        check(call, r).map_err(|e| {
            crate::info::explain_permission(e.on(Object::SemSet(self.id)), &self.backend)
        })
    }
}

impl<B: Backend> SemSet<B> {
    /// A handle for the set `id` reached through `backend` (no system call).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let id = set.id(); // e.g. passed to another process, or listed by `ipcs -s`
    /// let handle = SemSet::from_id(DefaultBackend::default(), id);
    /// handle.set(0, 7)?;
    /// assert_eq!(set.get(0)?, 7);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn from_id(backend: B, id: i32) -> SemSet<B> {
        SemSet { id, backend }
    }

    /// The set's id (`semid`), which any process may use with [`SemSet::from_id`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemSet};
    ///
    /// let a = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let b = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(a.id() >= 0);
    /// assert_ne!(a.id(), b.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn id(&self) -> i32 {
        self.id
    }

    /// The backend this handle calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new();
    /// let set = SemSet::create_in(&KERNEL, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert!(core::ptr::eq(*set.backend(), &KERNEL));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn backend(&self) -> &B {
        &self.backend
    }

    /// `semget(key, 0, 0)`—Opens the existing set of `key`.
    ///
    /// Opening checks no permission; each later call checks its own.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::NotFound`]: `key` has no set (`ENOENT`), or is [`Key::PRIVATE`],
    ///   which names no existing set (refused without a call, like every `open`).
    ///
    /// # References
    ///
    /// semget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new(); // an in-memory kernel: nothing touches the host
    /// let key = Key::new(0x1234);
    /// let e = SemSet::open_in(&KERNEL, key).err().map(|e| e.kind());
    /// assert_eq!(e, Some(ErrorKind::NotFound));
    /// let set = SemSet::create_in(&KERNEL, key, 2, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(SemSet::open_in(&KERNEL, key)?.id(), set.id());
    /// let e = SemSet::open_in(&KERNEL, Key::PRIVATE).err().map(|e| e.kind());
    /// assert_eq!(e, Some(ErrorKind::NotFound));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn open_in(backend: B, key: Key) -> Result<SemSet<B>> {
        during(&"SemSet::open_in", Object::Key(key), || {
            if key.is_private() {
                return Err(Error::new(ErrorKind::NotFound).because(
                    "Key::PRIVATE names no existing set (semget would create a new one)",
                ));
            }
            let id = check(Call::Semget, backend.semget(key.raw(), 0, 0))
                .map_err(|e| crate::info::explain_permission(e.on(Object::Key(key)), &backend))?;
            Ok(SemSet { id, backend })
        })
    }

    /// [`SemSet::open_in`] for a program that may start before the peer that
    /// creates the set: while `key` has no set, tries again with the sleeps of
    /// [`MsgQueue::open_wait_in`](crate::msg::MsgQueue::open_wait_in), for up to
    /// `timeout`.
    ///
    /// It returns as soon as the set exists, which may be before its creator has
    /// given the semaphores their values (`semget` and `semctl(SETALL)` are two
    /// calls): nothing in a set made by [`SemSet::create_in`] tells the two apart.
    /// Peers that need the values set should both call
    /// [`SemSet::new_initialized_in`], which never needs to wait for the other
    /// to start (whoever comes first creates) and waits for the values.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no set after `timeout`;
    /// [`ErrorKind::Interrupted`] if a signal handler ran during a sleep; otherwise
    /// as [`SemSet::open_in`].
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<SemSet<B>>
    where
        B: Clone,
    {
        during(&"SemSet::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |_| SemSet::open_in(backend.clone(), key))
        })
    }

    /// `semget(key, nsems, flags | mode)`—Creates a set of `nsems` semaphores (all 0
    /// on Linux; POSIX leaves them unspecified) or opens the one `key` has, as
    /// `intent` says. [`Key::PRIVATE`] always creates a new set.
    ///
    /// `mode` applies only to a set this call creates. Opening an existing set checks
    /// `nsems <= sem_nsems` (0 accepts any size).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::AlreadyExists`]: [`Intent::CreateNew`] and `key` has a set
    ///   (`EEXIST`);
    /// - [`ErrorKind::NotFound`]: [`Intent::Open`] and `key` has no set (`ENOENT`);
    /// - [`ErrorKind::InvalidArgument`]: `nsems` is 0 for a new set, more than
    ///   `semmsl` (`kernel.sem`, first field), or more than the existing set has
    ///   (`EINVAL`); also, without a system call, more than `i32::MAX`;
    /// - [`ErrorKind::PermissionDenied`]: the existing set's mode refuses `mode`'s
    ///   access (`EACCES`);
    /// - [`ErrorKind::LimitReached`]: `semmni` sets or `semmns` semaphores exist
    ///   already (`ENOSPC`).
    ///
    /// # References
    ///
    /// semget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new();
    /// let key = Key::new(0x5e11);
    /// let set = SemSet::create_in(&KERNEL, key, 2, Intent::OpenOrCreate, Mode::OWNER_RW)?;
    /// // Opening: nsems 0 takes any size, more than the set has is refused.
    /// assert_eq!(SemSet::create_in(&KERNEL, key, 0, Intent::OpenOrCreate, Mode::OWNER_RW)?.id(), set.id());
    /// let e = SemSet::create_in(&KERNEL, key, 3, Intent::OpenOrCreate, Mode::OWNER_RW).err();
    /// assert_eq!(e.map(|e| e.kind()), Some(ErrorKind::InvalidArgument));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn create_in(
        backend: B,
        key: Key,
        nsems: usize,
        intent: Intent,
        mode: Mode,
    ) -> Result<SemSet<B>> {
        during(&"SemSet::create_in", Object::Key(key), || {
            let Ok(n) = i32::try_from(nsems) else {
                return Err(Error::new(ErrorKind::InvalidArgument).because(TOO_MANY_SEMAPHORES));
            };
            let flags = intent.flags() | mode.bits() as i32;
            let id = check(Call::Semget, backend.semget(key.raw(), n, flags)).map_err(|e| {
                let e = crate::info::explain_limit(e, &backend, nsems);
                crate::info::explain_permission(e.on(Object::Key(key)), &backend)
            })?;
            Ok(SemSet { id, backend })
        })
    }

    /// [`SemSet::new_initialized_with`] with the default [`SemSetOptions`]: a
    /// caller that finds the set created by another waits for its values for at
    /// most [`JOIN_TIMEOUT`] (500 ms), asleep between checks, so even a
    /// `SCHED_FIFO` caller lets a creator on its CPU finish.
    ///
    /// # Errors
    ///
    /// As [`SemSet::new_initialized_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new();
    /// let set = SemSet::new_initialized_in(&KERNEL, Key::new(0x5e12), &[3], Mode::OWNER_RW)?;
    /// assert_eq!(set.get(0)?, 3);
    /// assert_ne!(set.stat()?.otime, 0); // what tells other processes it is ready
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn new_initialized_in(
        backend: B,
        key: Key,
        values: &[u16],
        mode: Mode,
    ) -> Result<SemSet<B>> {
        during(&"SemSet::new_initialized_in", Object::Key(key), || {
            SemSet::new_initialized_with(backend, key, values, mode, SemSetOptions::new())
        })
    }

    /// Creates the set of `key` with `values.len()` semaphores set to `values`, or
    /// opens it if another process created it, and in both cases returns only once
    /// the set is initialized: the classic semaphore-initialization race, solved.
    ///
    /// # The protocol
    ///
    /// `semget` creating a set and `semctl(SETALL)` initializing it are two system
    /// calls; a process that opens the set between them would see (on Linux) zeros,
    /// or (under POSIX) anything. The set's `sem_otime` (the time of the last
    /// `semop`) closes the gap, because it is 0 until the first `semop`:
    ///
    /// 1. `semget(key, n, IPC_CREAT | IPC_EXCL | mode)`. Exactly one process succeeds:
    ///    the **creator**. It sets the values with `SETALL`, then performs one
    ///    `semop` that leaves them unchanged (+1 then −1 on semaphore 0, or −1 then +1
    ///    at `SEMVMX`, in one atomic call), which makes `sem_otime` non-zero. If either
    ///    step fails it removes the set (so nobody waits for it) and returns the error.
    /// 2. Everybody else gets `EEXIST`, opens the set with `semget(key, 0, 0)`, and
    ///    checks `IPC_STAT` until `sem_otime != 0`, waiting between two checks
    ///    (spins, then sleeps: see [`SemSetOptions::join_timeout`]). After
    ///    `options`' join timeout it gives up with [`ErrorKind::Uninitialized`]. A
    ///    set that vanishes meanwhile (its creator failed and removed it) sends the
    ///    process back to step 1.
    ///
    /// Every participant must use this protocol (or at least never `semop` a set
    /// before initializing it): a `semop` by anyone makes `sem_otime` non-zero. The
    /// set's values are only guaranteed to be `values` at that moment; processes may
    /// operate on it right after.
    ///
    /// **Caveat:** a creator that dies between its `semget` and its `semop` (killed,
    /// crashed) leaves a set that never becomes initialized: every later caller
    /// waits out its join timeout and fails with [`ErrorKind::Uninitialized`], whose
    /// message says so. Nothing but removing the set recovers, which this function
    /// does not do on its own, since it cannot tell a dead creator from a slow one.
    /// Likewise, a set made by a program that does not follow the protocol may stay
    /// "uninitialized" until that program's first `semop`.
    ///
    /// A [`Key::PRIVATE`] set has no race: it is always created.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::Uninitialized`] (call `semget`): the set exists but was not
    ///   initialized within the join timeout;
    /// - [`ErrorKind::SizeMismatch`] (call `semget`): the existing set has another
    ///   number of semaphores than `values.len()`; both sizes are in bytes (2 per
    ///   semaphore), as in every `SizeMismatch`;
    /// - [`ErrorKind::OutOfRange`]: a value is above `SEMVMX` (32767) (`ERANGE`);
    /// - [`ErrorKind::InvalidArgument`]: `values` is empty, or longer than `semmsl`;
    /// - [`ErrorKind::PermissionDenied`]: the existing set's mode refuses reading
    ///   its status (`EACCES`); the creator, too, needs `mode` to let the owner read
    ///   and alter (as [`Mode::OWNER_RW`] does);
    /// - as [`SemSet::create_in`] otherwise.
    ///
    /// # References
    ///
    /// semget(2), semctl(2), semop(2); W. R. Stevens, *UNIX Network Programming*,
    /// vol. 2, §11.2 ("the `sem_otime` trick").
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::sem::SemSetOptions;
    /// use sysv_ipc::{DefaultBackend, Key, Mode, Removal, SemSet};
    ///
    /// let key = Key::new(0x7600_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// // Waits up to 5 s for a creator descheduled between its semget and its semop.
    /// let patient = SemSetOptions::new().join_timeout(Duration::from_secs(5));
    /// let b = DefaultBackend::default();
    /// let set = Removal::new(SemSet::new_initialized_with(b, key, &[1, 5], Mode::OWNER_RW, patient)?);
    /// assert_eq!((set.get(0)?, set.get(1)?), (1, 5));
    /// assert_ne!(set.stat()?.otime, 0);
    /// // A caller that must not wait: it still joins a set that is ready.
    /// let now = SemSetOptions::new().join_timeout(Duration::ZERO);
    /// assert_eq!(SemSet::new_initialized_with(b, key, &[1, 5], Mode::OWNER_RW, now)?.id(), set.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semget")]
    pub fn new_initialized_with(
        backend: B,
        key: Key,
        values: &[u16],
        mode: Mode,
        options: SemSetOptions,
    ) -> Result<SemSet<B>> {
        during(&"SemSet::new_initialized_with", Object::Key(key), || {
            let wait = timed_wait(&backend, options.get_join_timeout());
            let id = SemSet::init_or_join(&backend, key, values, mode, wait)?;
            Ok(SemSet { id, backend })
        })
    }

    /// [`SemSet::new_initialized_with`]'s protocol, on a borrowed backend (so that
    /// the wait can borrow it too): the id of the initialized set; `wait(attempt)`
    /// between two checks, false to give up.
    fn init_or_join(
        backend: &B,
        key: Key,
        values: &[u16],
        mode: Mode,
        mut wait: impl FnMut(u32) -> bool,
    ) -> Result<i32> {
        let Ok(n) = i32::try_from(values.len()) else {
            return Err(Error::new(ErrorKind::InvalidArgument).because(TOO_MANY_SEMAPHORES));
        };
        let excl = Intent::CreateNew.flags() | mode.bits() as i32;
        let mut attempt: u32 = 0;
        // Called each time the set is not ready yet; false once `wait` gives up.
        let mut again = |attempt: &mut u32| {
            let go_on = wait(*attempt);
            *attempt = attempt.saturating_add(1);
            go_on
        };
        loop {
            match backend.semget(key.raw(), n, excl) {
                Ok(id) => {
                    SemSet::from_id(backend, id).initialize(values)?;
                    return Ok(id);
                }
                Err(Errno::EXIST) => {}
                Err(errno) => {
                    let e = Error::from_errno(Call::Semget, errno);
                    return Err(crate::info::explain_limit(e, backend, values.len()));
                }
            }
            let id = match backend.semget(key.raw(), 0, 0) {
                Ok(id) => id,
                // The creator failed and removed the set after our EEXIST: start over.
                Err(Errno::NOENT) => {
                    if !again(&mut attempt) {
                        return Err(Error::new(ErrorKind::Uninitialized));
                    }
                    continue;
                }
                Err(errno) => return Err(Error::from_errno(Call::Semget, errno)),
            };
            let set = SemSet::from_id(backend, id);
            loop {
                let stat = match set.stat() {
                    Ok(stat) => stat,
                    // Removed under us (EIDRM, or EINVAL once the id is gone): start over.
                    Err(e)
                        if matches!(e.kind(), ErrorKind::Removed | ErrorKind::InvalidArgument) =>
                    {
                        break;
                    }
                    Err(e) => return Err(e),
                };
                if stat.nsems != values.len() {
                    return Err(Error::new(ErrorKind::SizeMismatch)
                        .with_semaphores(stat.nsems as u64, values.len() as u64));
                }
                if stat.otime != 0 {
                    return Ok(id);
                }
                if !again(&mut attempt) {
                    return Err(Error::new(ErrorKind::Uninitialized));
                }
            }
            if !again(&mut attempt) {
                return Err(Error::new(ErrorKind::Uninitialized));
            }
        }
    }

    /// The creator's half of [`SemSet::new_initialized_with`]: `SETALL`, then a
    /// value-preserving `semop` that publishes "initialized" through `sem_otime`.
    fn initialize(&self, values: &[u16]) -> Result<()> {
        let first = values.first().copied().unwrap_or(0);
        // Net zero on semaphore 0, in an order that stays within 0..=SEMVMX.
        let touch = if first < SEMVMX {
            [SemOp::add(0, 1).nowait(), SemOp::add(0, -1).nowait()]
        } else {
            [SemOp::add(0, -1).nowait(), SemOp::add(0, 1).nowait()]
        };
        let r = self.set_all(values).and_then(|()| self.op(&touch));
        if r.is_err() {
            // Nobody may wait for a set that will never be initialized.
            let _ = self.remove();
        }
        r
    }

    /// `semop(semid, sops, nsops)`—Performs all of `ops` atomically: either every
    /// operation proceeds, or (while one cannot) none does and the call blocks,
    /// unless that operation has [`SemOp::nowait`].
    ///
    /// Operations apply in order, so one call may name a semaphore twice.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::WouldBlock`]: an operation with `nowait` cannot proceed
    ///   (`EAGAIN`); nothing was applied;
    /// - [`ErrorKind::Interrupted`]: a signal arrived while blocked (`EINTR`), even
    ///   with `SA_RESTART`; nothing was applied. See [`SemSet::op_retry_eintr`];
    /// - [`ErrorKind::Removed`]: the set was removed while the call waited (`EIDRM`);
    /// - [`ErrorKind::LimitReached`]: more operations than `semopm` (`kernel.sem`,
    ///   third field; `E2BIG`), or no memory for the undo structure (`ENOMEM`);
    /// - [`ErrorKind::OutOfRange`]: a value would exceed `SEMVMX`, or an undo total
    ///   `SEMAEM` (`ERANGE`);
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses altering (or, for
    ///   `wait_zero` only, reading) the set (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: `ops` is empty or the set is gone
    ///   (`EINVAL`), or a semaphore number is beyond the set (`EFBIG`).
    ///
    /// # References
    ///
    /// semop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set_all(&[2, 0])?;
    /// // Move one unit from semaphore 0 to semaphore 1: both or neither.
    /// set.op(&[SemOp::wait(0), SemOp::post(1)])?;
    /// assert_eq!((set.get(0)?, set.get(1)?), (1, 1));
    /// // Operations apply in order: take 1 twice from a value of 1 cannot proceed.
    /// let e = set.op(&[SemOp::wait(0), SemOp::wait(0).nowait()]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// assert_eq!(set.get(0)?, 1); // nothing was applied
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn op(&self, ops: &[SemOp]) -> Result<()> {
        during(&"SemSet::op", Object::SemSet(self.id), || {
            self.check(
                Call::Semop,
                self.backend.semop(self.id, SemOp::as_sembufs(ops)),
            )
            .map_err(|e| crate::info::explain_limit(e, &self.backend, ops.len()))
        })
    }

    /// `semtimedop(semid, sops, nsops, timeout)`—[`SemSet::op`] that gives up after
    /// `timeout` (relative; `Duration::ZERO` fails at once if the call would block).
    ///
    /// Any `Duration` is accepted: seconds beyond `i64::MAX` are cut to `i64::MAX`,
    /// which the kernel treats as "never".
    ///
    /// # Errors
    ///
    /// As [`SemSet::op`], and [`ErrorKind::TimedOut`] when the time ran out
    /// (`EAGAIN`). The kernel uses `EAGAIN` for a `nowait` operation that cannot
    /// proceed as well, so if any of `ops` has [`SemOp::nowait`], `EAGAIN` is
    /// reported as [`ErrorKind::WouldBlock`]. An interrupted call does not tell how
    /// much time is left: see [`SemSet::op_timeout_retry_eintr`].
    ///
    /// # References
    ///
    /// semop(2) (semtimedop).
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let e = set.op_timeout(&[SemOp::wait(0)], Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// set.remove_now()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semtimedop")]
    pub fn op_timeout(&self, ops: &[SemOp], timeout: Duration) -> Result<()> {
        during(&"SemSet::op_timeout", Object::SemSet(self.id), || {
            let ts = timespec {
                tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(timeout.subsec_nanos()),
            };
            let r = self
                .backend
                .semtimedop(self.id, SemOp::as_sembufs(ops), Some(&ts));
            match r {
                Err(Errno::AGAIN) if ops.iter().any(|op| op.is_nowait()) => {
                    Err(Error::from_errno(Call::Semtimedop, Errno::AGAIN)
                        .with_kind(ErrorKind::WouldBlock))
                }
                r => self.check(Call::Semtimedop, r).map_err(|e| match e.kind() {
                    ErrorKind::TimedOut => e.after(timeout),
                    _ => crate::info::explain_limit(e, &self.backend, ops.len()),
                }),
            }
        })
    }

    /// [`SemSet::op`], called again each time a signal interrupts it (`EINTR`).
    ///
    /// Each retry is caused by a signal, so this loops only as long as signals keep
    /// arriving while the call is blocked.
    ///
    /// # Errors
    ///
    /// As [`SemSet::op`], never [`ErrorKind::Interrupted`].
    ///
    /// # References
    ///
    /// semop(2), signal(7) ("Interruption of system calls and library functions by
    /// signal handlers": semop is never restarted, whatever `SA_RESTART` says).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, SemOp, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock can interrupt a blocked call as a signal does.
    /// static KERNEL: Mock = Mock::new();
    /// let set = SemSet::create_in(&KERNEL, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| set.op_retry_eintr(&[SemOp::wait(0)]));
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     assert_eq!(KERNEL.interrupt_waiters(), 1); // EINTR: retried, not returned
    ///     set.op(&[SemOp::post(0)])?;
    ///     waiter.join().unwrap()
    /// })?;
    /// assert_eq!(set.get(0)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn op_retry_eintr(&self, ops: &[SemOp]) -> Result<()> {
        during(&"SemSet::op_retry_eintr", Object::SemSet(self.id), || {
            loop {
                match self.op(ops) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    r => return r,
                }
            }
        })
    }

    /// [`SemSet::op_timeout`] that, when a signal interrupts it, calls it again with
    /// the time that remains of `timeout`, measured by `now`.
    ///
    /// `semtimedop`'s timeout is relative and the kernel does not report what is left
    /// of it, so keeping a deadline across retries needs a monotonic clock. The
    /// [`Backend`] trait has none and this crate issues no system call of its own, so
    /// the caller supplies it: `now` returns the time since any fixed origin (with
    /// `std`, `let t0 = Instant::now();` and `|| t0.elapsed()`; without it,
    /// `clock_gettime(CLOCK_MONOTONIC)`). A clock that goes backwards never makes the
    /// wait longer than `timeout`. Once the time is up the operations get one last,
    /// non-blocking chance (a zero timeout).
    ///
    /// # Errors
    ///
    /// As [`SemSet::op_timeout`], never [`ErrorKind::Interrupted`].
    ///
    /// # References
    ///
    /// semop(2), signal(7), clock_gettime(2).
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let t0 = Instant::now();
    /// let e = set
    ///     .op_timeout_retry_eintr(&[SemOp::wait(0)], Duration::from_millis(10), || t0.elapsed())
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// set.remove_now()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semtimedop")]
    pub fn op_timeout_retry_eintr(
        &self,
        ops: &[SemOp],
        timeout: Duration,
        mut now: impl FnMut() -> Duration,
    ) -> Result<()> {
        during(
            &"SemSet::op_timeout_retry_eintr",
            Object::SemSet(self.id),
            || {
                // Elapsed time rather than a deadline: `start + timeout` could overflow.
                let start = now();
                let mut remaining = timeout;
                loop {
                    match self.op_timeout(ops, remaining) {
                        Err(e) if e.kind() == ErrorKind::Interrupted => {
                            let elapsed = now().saturating_sub(start);
                            remaining = timeout.saturating_sub(elapsed);
                        }
                        r => return r,
                    }
                }
            },
        )
    }

    /// `semctl(semid, 0, IPC_STAT, &ds)`—The set's owner, mode, size and times.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses reading (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: the set is gone (`EINVAL`).
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let st = set.stat()?;
    /// assert_eq!((st.nsems, st.otime), (2, 0));
    /// assert!(st.perm.key.is_private());
    /// set.op(&[SemOp::post(1)])?;
    /// assert_ne!(set.stat()?.otime, 0); // the time of the last semop
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "IPC_STAT")]
    pub fn stat(&self) -> Result<SemSetStat> {
        during(&"SemSet::stat", Object::SemSet(self.id), || {
            let ds = self.stat_raw()?;
            Ok(SemSetStat::from(&ds))
        })
    }

    fn stat_raw(&self) -> Result<semid64_ds> {
        let mut ds = semid64_ds::default();
        // SAFETY: IPC_STAT writes one `semid64_ds` through `arg`, which points to `ds`,
        // a live local of that type owned by this frame.
        let r = unsafe {
            self.backend
                .semctl(self.id, 0, IPC_STAT, (&raw mut ds).cast())
        };
        self.check(Call::Semctl, r)?;
        Ok(ds)
    }

    /// `semctl(semid, 0, IPC_SET, &ds)`—Gives the set to `owner.uid`/`owner.gid` with
    /// `owner.mode`.
    ///
    /// Those three are all that `IPC_SET` takes from `ds` for a semaphore set, so
    /// nothing is read first: the owner of a set whose mode refuses it reading
    /// (`0o000`, `0o200`) may still change it, as the kernel allows.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the caller is neither the owner, nor the
    ///   creator, nor privileged (`EPERM`);
    /// - [`ErrorKind::InvalidArgument`]: the set is gone, or a uid/gid has no mapping
    ///   in the caller's user namespace (`EINVAL`).
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Owner, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let perm = set.stat()?.perm;
    /// // Keep the owner, let the group read too.
    /// set.set_owner(Owner { uid: perm.uid, gid: perm.gid, mode: Mode::new(0o640) })?;
    /// assert_eq!(set.stat()?.perm.mode, Mode::new(0o640));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "IPC_SET")]
    pub fn set_owner(&self, owner: Owner) -> Result<()> {
        during(&"SemSet::set_owner", Object::SemSet(self.id), || {
            let mut ds = semid64_ds::default();
            owner.apply(&mut ds.sem_perm);
            // SAFETY: IPC_SET reads one `semid64_ds` through `arg`, which points to `ds`,
            // a live, initialised local of that type owned by this frame.
            let r = unsafe {
                self.backend
                    .semctl(self.id, 0, IPC_SET, (&raw mut ds).cast())
            };
            self.check(Call::Semctl, r).map(drop)
        })
    }

    /// A `semctl` command on semaphore `num` whose argument is a plain value.
    fn ctl_value(&self, num: u16, cmd: i32, val: i32) -> Result<i32> {
        self.ctl_at(i32::from(num), cmd, val)
    }

    /// [`SemSet::ctl_value`] with the kernel's `int` semaphore number.
    fn ctl_at(&self, num: i32, cmd: i32, val: i32) -> Result<i32> {
        // SAFETY: `cmd` is one of GETVAL, SETVAL, GETPID, GETNCNT, GETZCNT (the callers
        // here), for which `arg` is a value (SETVAL) or ignored; it is made by
        // `semun_val`, a pointer without provenance that is never dereferenced.
        let r = unsafe { self.backend.semctl(self.id, num, cmd, semun_val(val)) };
        self.check(Call::Semctl, r)
    }

    /// `semctl(semid, num, GETVAL)`—The value of semaphore `num`.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses reading (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: `num` is beyond the set, or the set is gone
    ///   (`EINVAL`).
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set_all(&[4, 2])?;
    /// assert_eq!((set.get(0)?, set.get(1)?), (4, 2));
    /// assert_eq!(set.get(2).unwrap_err().kind(), ErrorKind::InvalidArgument); // no semaphore 2
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "GETVAL")]
    pub fn get(&self, num: u16) -> Result<u16> {
        during(&"SemSet::get", Object::SemSet(self.id), || {
            let v = self.ctl_value(num, GETVAL, 0)?;
            to_u16(v)
        })
    }

    /// `semctl(semid, num, SETVAL, value)`—Sets semaphore `num` to `value`, clears
    /// its undo entries in every process, and wakes the waiters this satisfies.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::OutOfRange`]: `value` is above `SEMVMX` (32767) (`ERANGE`);
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses altering (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: `num` is beyond the set, or the set is gone
    ///   (`EINVAL`).
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set(0, 5)?;
    /// assert_eq!(set.get(0)?, 5);
    /// assert_eq!(set.set(0, 32768).unwrap_err().kind(), ErrorKind::OutOfRange); // above SEMVMX
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "SETVAL")]
    pub fn set(&self, num: u16, value: u16) -> Result<()> {
        during(&"SemSet::set", Object::SemSet(self.id), || {
            self.ctl_value(num, SETVAL, i32::from(value)).map(drop)
        })
    }

    /// Every value of the set into `values`, which must have exactly one entry per
    /// semaphore: `semctl(semid, num, GETVAL)` for each `num`, after an `IPC_STAT`
    /// that checks the length.
    ///
    /// **Not atomic**: each value is read by its own system call, so a `semop` by
    /// another process between two of them shows in the later values only. For one
    /// snapshot of every value, see [`SemSet::get_all_atomic`].
    ///
    /// # Why not `GETALL`
    ///
    /// `GETALL` writes as many values as the set the id names *when it runs* has,
    /// whatever the buffer's length. The length can only be checked by an earlier call
    /// (`IPC_STAT`), and between the two another process may remove the set and the
    /// kernel give its id to a larger one (at once through `kernel.sem_next_id`, or
    /// once the id's sequence number wraps): the kernel would then write past the end
    /// of `values`. `GETVAL` returns its value as the call's result and writes no
    /// memory, and this function stores it within `values`, so nothing another process
    /// does can make this call write out of bounds; after such a reuse it reads the
    /// new set's values, as [`SemSet::get`] would. The price is
    /// one system call per semaphore; measured on x86_64 (Linux 6.x, a loaded 2-core
    /// host), per call: 3 semaphores 4–6 µs against `GETALL`'s 2 µs, 64 semaphores
    /// 49–58 µs against 1–7 µs, 256 semaphores 86–227 µs against 1 µs.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::SizeMismatch`] (no errno): `values.len()` is not the set's
    ///   size; `expected` and `actual` are in bytes (2 per semaphore);
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses reading (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: the set is gone, or was replaced by a smaller
    ///   one part-way (`EINVAL`); `values` then holds what was read before.
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.op(&[SemOp::add(0, 3), SemOp::add(1, 8)])?;
    /// let mut values = [0; 2];
    /// set.get_all(&mut values)?;
    /// assert_eq!(values, [3, 8]);
    /// let e = set.get_all(&mut [0; 3]).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(3), Some(2)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "GETVAL")]
    #[doc(alias = "GETALL")]
    pub fn get_all(&self, values: &mut [u16]) -> Result<()> {
        during(&"SemSet::get_all", Object::SemSet(self.id), || {
            self.check_len(values.len())?;
            // 0..=i32::MAX: the kernel's semaphore numbers are ints, and `len` is a set's
            // size, which an int holds.
            for (v, num) in values.iter_mut().zip(0..=i32::MAX) {
                *v = to_u16(self.ctl_at(num, GETVAL, 0)?)?;
            }
            Ok(())
        })
    }

    /// `semctl(semid, 0, GETALL, values)`—Every value of the set, read atomically
    /// (one snapshot), into `values`, which must have exactly one entry per semaphore.
    ///
    /// The length is checked against the set's `sem_nsems` from an `IPC_STAT` made
    /// just before, so this costs two system calls whatever the set's size.
    ///
    /// # Safety
    ///
    /// The kernel writes as many values as the set the id names when `GETALL` runs
    /// has. So from the start of this call to its end, the id must not name a set of
    /// more than `values.len()` semaphores: the set must not be removed while the call
    /// runs (or, if it is, its id must not be given to a larger set before the call
    /// returns). That holds when the caller controls every process allowed to remove
    /// it (those running as its owner's or creator's uid, and privileged ones) and
    /// none does so meanwhile. [`SemSet::get_all`] needs no such promise.
    ///
    /// # Errors
    ///
    /// As [`SemSet::get_all`].
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.op(&[SemOp::add(0, 3), SemOp::add(1, 8)])?;
    /// let mut values = [0; 2];
    /// // SAFETY: the set is private to this process, which does not remove it during
    /// // the call.
    /// unsafe { set.get_all_atomic(&mut values)? };
    /// assert_eq!(values, [3, 8]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "GETALL")]
    pub unsafe fn get_all_atomic(&self, values: &mut [u16]) -> Result<()> {
        self.check_len(values.len())?;
        // SAFETY: GETALL writes `sem_nsems` u16 values through `arg`, which points to
        // `values`, the caller's exclusively borrowed slice; `check_len` just saw
        // `values.len() == sem_nsems`, and our caller promises that the id names no
        // larger set until we return.
        let r = unsafe {
            self.backend
                .semctl(self.id, 0, GETALL, values.as_mut_ptr().cast())
        };
        self.check(Call::Semctl, r).map(drop)
    }

    /// Sets every value of the set from `values`, which must have exactly one entry
    /// per semaphore: `semctl(semid, num, SETVAL, values[num])` for each `num`, after
    /// an `IPC_STAT` that checks the length.
    ///
    /// **Not atomic**: each value is set by its own system call, which clears that
    /// semaphore's undo entries in every process and wakes the waiters it satisfies;
    /// other processes may see some values set and not yet the others. Values above
    /// `SEMVMX` are refused before any is set. For all values at one instant, see
    /// [`SemSet::set_all_atomic`].
    ///
    /// `SETALL` is not used for the reason `GETALL` is not (see [`SemSet::get_all`]):
    /// the kernel reads as many values as the set the id names when it runs has, so
    /// after an id reuse it would read past `values` (and qemu-user writes them back
    /// there). `SETVAL` passes each value in a register. Each `SETVAL` looks at every
    /// semaphore of the set for waiters to wake (`do_smart_update` in `ipc/sem.c`),
    /// so the loop grows with the square of the set's size; measured as for
    /// [`SemSet::get_all`], per call: 3 semaphores 4–5 µs against `SETALL`'s 2–3 µs,
    /// 64 semaphores 330–390 µs against 4–9 µs, 256 semaphores 5.0–5.9 ms against
    /// 6–7 µs. A caller who owns the set's lifetime and sets large sets often wants
    /// [`SemSet::set_all_atomic`].
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::SizeMismatch`] (no errno): `values.len()` is not the set's
    ///   size; `expected` and `actual` are in bytes (2 per semaphore);
    /// - [`ErrorKind::OutOfRange`]: a value is above `SEMVMX` (32767) (`ERANGE`,
    ///   found before any system call that changes something); nothing was changed;
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses reading (the `IPC_STAT`)
    ///   or altering (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: the set is gone, or was replaced by a smaller
    ///   one part-way (`EINVAL`); the values before that point were set.
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set_all(&[1, 2, 3])?;
    /// assert_eq!(set.get(2)?, 3);
    /// let e = set.set_all(&[1, 2]).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(2), Some(3)));
    /// assert_eq!(set.set_all(&[4, 5, 40000]).unwrap_err().kind(), ErrorKind::OutOfRange);
    /// assert_eq!(set.get(0)?, 1); // nothing was changed
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "SETVAL")]
    #[doc(alias = "SETALL")]
    pub fn set_all(&self, values: &[u16]) -> Result<()> {
        during(&"SemSet::set_all", Object::SemSet(self.id), || {
            self.check_len(values.len())?;
            if values.iter().any(|&v| v > SEMVMX) {
                return Err(Error::from_errno(Call::Semctl, Errno::RANGE));
            }
            for (&v, num) in values.iter().zip(0..=i32::MAX) {
                self.ctl_at(num, SETVAL, i32::from(v))?;
            }
            Ok(())
        })
    }

    /// `semctl(semid, 0, SETALL, values)`—Sets every value of the set atomically from
    /// `values`, which must have exactly one entry per semaphore; clears the set's
    /// undo entries in every process and wakes the waiters this satisfies.
    ///
    /// The length is checked as for [`SemSet::get_all_atomic`], which needs read
    /// permission besides the alter permission `SETALL` needs.
    ///
    /// # Safety
    ///
    /// As [`SemSet::get_all_atomic`]: from the start of this call to its end, the id
    /// must not name a set of more than `values.len()` semaphores, or the kernel reads
    /// past the end of `values` (and qemu-user writes past it). [`SemSet::set_all`]
    /// needs no such promise.
    ///
    /// # Errors
    ///
    /// As [`SemSet::set_all`], except that `ERANGE` comes from the kernel.
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // SAFETY: the set is private to this process, which does not remove it during
    /// // the call.
    /// unsafe { set.set_all_atomic(&[1, 2, 3])? };
    /// assert_eq!(set.get(2)?, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "SETALL")]
    pub unsafe fn set_all_atomic(&self, values: &[u16]) -> Result<()> {
        self.check_len(values.len())?;
        // qemu-user's SETALL writes the array back after the call, which faults on a
        // slice in read-only memory (a `&[1, 2]` constant): small sets go through a
        // writable copy on the stack, so the same code runs under qemu and natively.
        let mut copy = [0u16; SETALL_COPY];
        let array = match copy.get_mut(..values.len()) {
            Some(dst) => {
                // Not copy_from_slice: its length-mismatch panic would link core::fmt
                // into no_std binaries (the lengths are equal by construction).
                for (d, v) in dst.iter_mut().zip(values) {
                    *d = *v;
                }
                dst.as_mut_ptr()
            }
            None => values.as_ptr().cast_mut(),
        };
        // SAFETY: SETALL only reads `sem_nsems` u16 values through `arg`, which points
        // to `values` or to `copy`'s first `values.len()` entries, both alive for the
        // call; `check_len` just saw `values.len() == sem_nsems`, and our caller
        // promises that the id names no larger set until we return.
        let r = unsafe { self.backend.semctl(self.id, 0, SETALL, array.cast()) };
        self.check(Call::Semctl, r).map(drop)
    }

    /// Refuses a `GETALL`/`SETALL` buffer whose length is not the set's size.
    fn check_len(&self, len: usize) -> Result<()> {
        let nsems = self.stat()?.nsems;
        if len == nsems {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::SizeMismatch).with_semaphores(len as u64, nsems as u64))
        }
    }

    /// `semctl(semid, num, GETPID)`—The process id of the last process that
    /// operated on semaphore `num` (`semop`, or `SETVAL`/`SETALL`), 0 if none.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the mode refuses reading (`EACCES`);
    /// - [`ErrorKind::InvalidArgument`]: `num` is beyond the set, or the set is gone
    ///   (`EINVAL`).
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(set.last_pid(0)?, 0); // nobody yet
    /// set.op(&[SemOp::post(0)])?;
    /// assert_eq!(set.last_pid(0)?, std::process::id() as i32);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "GETPID")]
    pub fn last_pid(&self, num: u16) -> Result<i32> {
        during(&"SemSet::last_pid", Object::SemSet(self.id), || {
            self.ctl_value(num, GETPID, 0)
        })
    }

    /// `semctl(semid, num, GETNCNT)`—How many processes are blocked waiting for
    /// semaphore `num` to increase.
    ///
    /// # Errors
    ///
    /// As [`SemSet::last_pid`].
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(set.waiting_for_increase(0)?, 0);
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| set.op(&[SemOp::wait(0)])); // blocks: the value is 0
    ///     while set.waiting_for_increase(0)? == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     set.op(&[SemOp::post(0)])?; // lets it through
    ///     waiter.join().unwrap()
    /// })?;
    /// assert_eq!(set.waiting_for_increase(0)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "GETNCNT")]
    pub fn waiting_for_increase(&self, num: u16) -> Result<usize> {
        during(
            &"SemSet::waiting_for_increase",
            Object::SemSet(self.id),
            || {
                let n = self.ctl_value(num, GETNCNT, 0)?;
                Ok(usize::try_from(n).unwrap_or(0))
            },
        )
    }

    /// `semctl(semid, num, GETZCNT)`—How many processes are blocked waiting for
    /// semaphore `num` to become zero.
    ///
    /// # Errors
    ///
    /// As [`SemSet::last_pid`].
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set(0, 1)?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| set.op(&[SemOp::wait_zero(0)])); // blocks: the value is 1
    ///     while set.waiting_for_zero(0)? == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     set.op(&[SemOp::wait(0)])?; // 1 -> 0 wakes it
    ///     waiter.join().unwrap()
    /// })?;
    /// assert_eq!(set.waiting_for_zero(0)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "GETZCNT")]
    pub fn waiting_for_zero(&self, num: u16) -> Result<usize> {
        during(&"SemSet::waiting_for_zero", Object::SemSet(self.id), || {
            let n = self.ctl_value(num, GETZCNT, 0)?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    /// `semop(semid, {num, -1, SEM_UNDO}, 1)`—Takes semaphore `num` as a lock,
    /// blocking while it is 0; the returned guard gives it back on drop.
    ///
    /// The semaphore counts free slots: 1 makes a mutex (create it with
    /// `new_initialized(key, &[1], mode)`). Both halves use `SEM_UNDO`, so if the
    /// holder dies, even by `SIGKILL`, the kernel gives the lock back.
    ///
    /// A wait that a signal or a stop ends (`EINTR`) waits again: see the
    /// [module docs](self#blocking-signals-and-timeouts);
    /// [`SemSet::lock_interruptible`] is the form a signal handler can cancel.
    ///
    /// # Errors
    ///
    /// As [`SemSet::op`], never [`ErrorKind::Interrupted`].
    ///
    /// # References
    ///
    /// semop(2).
    ///
    /// # Example
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// {
    ///     let _guard = set.lock(0)?;
    ///     assert_eq!(set.try_lock(0).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// } // unlocked here
    /// assert_eq!(set.get(0)?, 1);
    /// set.remove_now()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn lock(&self, num: u16) -> Result<SemGuard<'_, B>> {
        during(&"SemSet::lock", Object::SemSet(self.id), || {
            self.op_retry_eintr(&[SemOp::wait(num).undo()])?;
            Ok(SemGuard::new(self, num))
        })
    }

    /// [`SemSet::lock`] that fails with [`ErrorKind::Interrupted`] when a signal
    /// ends the wait, for a program that cancels a wait from a signal handler. A
    /// stop (Ctrl-Z, a debugger attaching) ends it the same way: the kernel does
    /// not tell the two apart.
    ///
    /// # Errors
    ///
    /// As [`SemSet::op`]; in particular [`ErrorKind::Interrupted`] on a signal.
    ///
    /// # References
    ///
    /// semop(2), signal(7).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Key, Mode, SemSet};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock interrupts a blocked call as a signal does.
    /// static KERNEL: Mock = Mock::new();
    /// let set = SemSet::new_initialized_in(&KERNEL, Key::PRIVATE, &[0], Mode::OWNER_RW)?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| set.lock_interruptible(0).map(drop));
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     KERNEL.interrupt_waiters();
    ///     assert_eq!(waiter.join().unwrap().unwrap_err().kind(), ErrorKind::Interrupted);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn lock_interruptible(&self, num: u16) -> Result<SemGuard<'_, B>> {
        during(
            &"SemSet::lock_interruptible",
            Object::SemSet(self.id),
            || {
                self.op(&[SemOp::wait(num).undo()])?;
                Ok(SemGuard::new(self, num))
            },
        )
    }

    /// [`SemSet::lock`] that fails with [`ErrorKind::WouldBlock`] instead of waiting.
    ///
    /// # Errors
    ///
    /// As [`SemSet::op`].
    ///
    /// # References
    ///
    /// semop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let guard = set.try_lock(0)?;
    /// assert_eq!(set.try_lock(0).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// drop(guard);
    /// assert!(set.try_lock(0).is_ok());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn try_lock(&self, num: u16) -> Result<SemGuard<'_, B>> {
        during(&"SemSet::try_lock", Object::SemSet(self.id), || {
            self.op(&[SemOp::wait(num).undo().nowait()])?;
            Ok(SemGuard::new(self, num))
        })
    }

    /// [`SemSet::lock`] that fails with [`ErrorKind::TimedOut`] after `timeout`.
    ///
    /// A wait that a signal or a stop ends (`EINTR`) waits again for what is left
    /// of `timeout`, read from `CLOCK_MONOTONIC`, as
    /// [`SemSet::op_timeout_retry_eintr`] does;
    /// [`SemSet::lock_timeout_interruptible`] is the form a signal handler can
    /// cancel.
    ///
    /// # Errors
    ///
    /// As [`SemSet::op_timeout`], never [`ErrorKind::Interrupted`]; the clock's
    /// error if `clock_gettime` fails (never on Linux).
    ///
    /// # References
    ///
    /// semop(2) (semtimedop).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let _held = set.lock_timeout(0, Duration::from_millis(10))?; // free: taken at once
    /// let e = set.lock_timeout(0, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semtimedop")]
    pub fn lock_timeout(&self, num: u16, timeout: Duration) -> Result<SemGuard<'_, B>> {
        during(&"SemSet::lock_timeout", Object::SemSet(self.id), || {
            let ops = [SemOp::wait(num).undo()];
            let now =
                || clock::now(&self.backend).map_err(|e| Error::from_errno(Call::ClockGettime, e));
            // Read on entry: the time before an interrupt counts against the timeout.
            // Elapsed time rather than a deadline: `start + timeout` could overflow.
            let start = now()?;
            let mut remaining = timeout;
            loop {
                match self.op_timeout(&ops, remaining) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => {
                        remaining = timeout.saturating_sub(now()?.saturating_sub(start));
                    }
                    r => return r.map(|()| SemGuard::new(self, num)),
                }
            }
        })
    }

    /// [`SemSet::lock_timeout`] that fails with [`ErrorKind::Interrupted`] when a
    /// signal ends the wait, as [`SemSet::lock_interruptible`] does (a stop too).
    ///
    /// # Errors
    ///
    /// As [`SemSet::op_timeout`]; in particular [`ErrorKind::Interrupted`] on a
    /// signal and [`ErrorKind::TimedOut`].
    ///
    /// # References
    ///
    /// semop(2) (semtimedop), signal(7).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let _held = set.lock_timeout_interruptible(0, Duration::from_millis(10))?;
    /// let e = set.lock_timeout_interruptible(0, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semtimedop")]
    pub fn lock_timeout_interruptible(
        &self,
        num: u16,
        timeout: Duration,
    ) -> Result<SemGuard<'_, B>> {
        during(
            &"SemSet::lock_timeout_interruptible",
            Object::SemSet(self.id),
            || {
                self.op_timeout(&[SemOp::wait(num).undo()], timeout)?;
                Ok(SemGuard::new(self, num))
            },
        )
    }
}

impl<B: Backend> Removable for SemSet<B> {
    /// `semctl(semid, 0, IPC_RMID)`—Removes the set; every blocked `semop` on it
    /// fails with [`ErrorKind::Removed`].
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the caller is neither the owner, nor the
    ///   creator, nor privileged (`EPERM`);
    /// - [`ErrorKind::InvalidArgument`]: the set is already gone (`EINVAL`).
    ///
    /// # References
    ///
    /// semctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemSet};
    ///
    /// let set = SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// set.remove()?;
    /// assert_eq!(set.get(0).unwrap_err().kind(), ErrorKind::InvalidArgument); // the id is gone
    /// assert_eq!(set.remove().unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semctl")]
    #[doc(alias = "IPC_RMID")]
    fn remove(&self) -> Result<()> {
        during(&"SemSet::remove", Object::SemSet(self.id), || {
            // SAFETY: IPC_RMID reads no argument.
            let r = unsafe { self.backend.semctl(self.id, 0, IPC_RMID, ptr::null_mut()) };
            self.check(Call::Semctl, r).map(drop)
        })
    }
}

/// A semaphore taken by [`SemSet::lock`]; dropping it gives the semaphore back
/// (`semop` +1 with `SEM_UNDO`, ignoring errors: see [`SemGuard::unlock`]).
///
/// If the process dies while holding it, the kernel gives the semaphore back (the
/// undo of the `SEM_UNDO` take).
///
/// The guard belongs to the process that took the semaphore: a copy a child inherits
/// through `fork` gives nothing back when dropped (the lock stays the parent's until
/// the parent's guard goes), and its [`unlock`](SemGuard::unlock) reports
/// [`ErrorKind::WrongProcess`]. Telling them apart costs a `getpid` at each lock and
/// each unlock, beside their `semop`s: the plain call rather than
/// [`Backend::getpid_cached`], which a `clone(CLONE_VM)` child or qemu-user (which
/// ignores `MADV_WIPEONFORK`) would read as its parent's pid.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Key, Mode, Removal, SemSet};
///
/// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
/// {
///     let _guard = set.lock(0)?;
///     assert_eq!(set.get(0)?, 0); // taken
/// }
/// assert_eq!(set.get(0)?, 1); // given back by the drop
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard unlocks at once"]
pub struct SemGuard<'a, B: Backend = DefaultBackend> {
    set: &'a SemSet<B>,
    num: u16,
    /// The process that took the semaphore. A child forked while the guard lives has
    /// a copy of it, but neither the lock (still the parent's) nor the undo entry of
    /// the take (`fork` does not inherit `SEM_UNDO` adjustments): had its copy given
    /// the semaphore back, the parent's lock would be free while the parent still
    /// used it.
    pid: i32,
}

impl<'a, B: Backend> SemGuard<'a, B> {
    fn new(set: &'a SemSet<B>, num: u16) -> Self {
        let pid = set.backend.getpid();
        SemGuard { set, num, pid }
    }

    /// The semaphore this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1, 1], Mode::OWNER_RW)?);
    /// let guard = set.lock(1)?;
    /// assert_eq!(guard.num(), 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn num(&self) -> u16 {
        self.num
    }

    /// The set the semaphore belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let guard = set.lock(0)?;
    /// assert_eq!(guard.set().id(), set.id());
    /// assert_eq!(guard.set().get(guard.num())?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set(&self) -> &SemSet<B> {
        self.set
    }

    /// `semop(semid, {num, +1, SEM_UNDO}, 1)`—Gives the semaphore back now and
    /// reports the result, which dropping the guard ignores.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::WrongProcess`] (no errno, no system call but `getpid`): the guard was taken
    ///   by another process, whose copy this is (a child inherits one through `fork`);
    ///   the semaphore stays taken;
    /// - as [`SemSet::op`]: [`ErrorKind::InvalidArgument`] if the set was removed
    ///   meanwhile, [`ErrorKind::OutOfRange`] if someone else raised the value to
    ///   `SEMVMX`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let guard = set.lock(0)?;
    /// guard.unlock()?; // unlike a drop, reports a failure
    /// assert_eq!(set.get(0)?, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn unlock(self) -> Result<()> {
        during(&"SemGuard::unlock", Object::SemSet(self.set.id), || {
            let r = self.release();
            core::mem::forget(self);
            r
        })
    }

    fn release(&self) -> Result<()> {
        if self.set.backend.getpid() != self.pid {
            return Err(Error::new(ErrorKind::WrongProcess));
        }
        self.set.op(&[SemOp::post(self.num).undo()])
    }
}

impl<B: Backend> Drop for SemGuard<'_, B> {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

/// A value `GETVAL` returned: the kernel keeps them within `0..=SEMVMX`.
fn to_u16(v: i32) -> Result<u16> {
    u16::try_from(v).map_err(|_| {
        Error::new(ErrorKind::OutOfRange).because("the kernel returned a value above SEMVMX")
    })
}
