//! What `ipcs` shows, without `/proc` and without allocating: the IPC namespace's
//! limits (`IPC_INFO`), its usage (`MSG_INFO`, `SEM_INFO`, `SHM_INFO`), and every
//! message queue, semaphore set and segment in it (`*_STAT_ANY` by index).
//!
//! ```
//! use sysv_ipc::info;
//!
//! let limits = info::shm_limits()?;
//! assert!(limits.shmmni >= 1);
//! for entry in info::segments()? {
//!     let (id, stat) = entry?;
//!     println!("{id:>10} {} {:>10} bytes {} attached", stat.perm.key, stat.size, stat.nattch);
//! }
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # Enumeration
//!
//! The kernel keeps each kind of object in a table whose *index* is not the id (the id
//! also carries a sequence number). `*_INFO` returns the highest index in use, and
//! `*_STAT_ANY` (Linux 4.17) reads the object at an index and returns its id. The
//! iterators ([`message_queues`], [`semaphore_sets`], [`segments`]) walk
//! `0..=highest index` once, skip empty slots (`EINVAL`) and objects removed meanwhile
//! (`EIDRM`), and yield `(id, stat)`. Objects created during the walk at indices
//! already passed, or above the highest index read at the start, are not seen.
//!
//! `*_STAT_ANY` needs no read permission, so every object is listed. A kernel older
//! than 4.17 answers it with `EINVAL` as if every slot were empty; the walk notices
//! (an index where `*_STAT` finds an object that `*_STAT_ANY` does not) and uses
//! `*_STAT` from then on. `*_STAT` fails with `EACCES` for objects the caller may not
//! read: those are **skipped and counted** ([`Segments::unreadable`], ...), since no
//! id or record is available for them. A security module denying `*_STAT_ANY` counts
//! the same way.
//!
//! # The crate's own objects
//!
//! Which segments carry one of the crate's layout headers, what it says, who holds
//! each role and whether they are alive.
//!
//! [`layouts`] walks every segment ([`segments`]), attaches each
//! read-only and classifies it: a [`LayoutInfo`] for a segment whose header is the
//! crate's and ready, a [`NotLayout`] for any other (a plain segment, one whose
//! creator is still initialising or died doing it, garbage), or the reason it
//! could not be attached. [`inspect`] does the same for one segment id. Nothing
//! here is an error for the whole listing: a hostile segment may hold any bytes,
//! and each value read from it is checked before it is believed (a
//! [`LayoutInfo::corrupt`] header field, an `occupancy` of `None`).
//!
//! ```
//! use sysv_ipc::info::{self, LayoutKind, Liveness, Role};
//! use sysv_ipc::{Intent, Key, Mode, Queue, Removal};
//!
//! # // A key of this process's own: parallel runs of the examples do not meet.
//! # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 1);
//! let q = Removal::new(Queue::<u64, 8>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
//! let (mut tx, _rx) = q.split()?;
//! tx.enqueue(7)?;
//! let found = info::inspect(q.segment().id())?;
//! let layout = found.layout().expect("the crate's");
//! assert_eq!((layout.kind, layout.capacity), (LayoutKind::Queue, 8));
//! assert_eq!(layout.occupancy(), Some(1));
//! for role in found.roles() {
//!     let role = role?;
//!     assert!(matches!(role.role, Role::Producer | Role::Consumer));
//!     assert_eq!(role.liveness, Liveness::Alive); // held by this process
//! }
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! ## Only reading
//!
//! Each segment is attached with `SHM_RDONLY` and read only by Relaxed 8-byte
//! loads ([`Attachment::load_u64`](crate::Attachment::load_u64)), each followed where it matters by an Acquire
//! fence: nothing is stored into the segment, no role is claimed, and the
//! semaphore set under the segment's key is only looked at (`IPC_STAT`, `GETVAL`,
//! `GETPID`), never operated on. So a user who may only read the objects (mode
//! `0644`) can inspect them. The kernel still records the attachment: while an
//! [`Inspection`] is held the segment's `shm_nattch` counts it, and its `lpid`,
//! `atime` and `dtime` name the inspector. A joiner deciding whether a creator
//! died mid-initialisation (`shm_nattch == 1`, see the header's handshake) sees the
//! inspector's attachment as a live one and leaves the segment alone: that call
//! gets `Uninitialized`, the next one recovers.
//!
//! ## Roles and their liveness
//!
//! A role is a semaphore taken with `SEM_UNDO` (the kernel gives it back when its
//! holder dies) and a pid word in the segment (0 when released cleanly). Each
//! [`RoleEntry`] reads the pid word, then the semaphore's value, then the pid word
//! again, as the crate's own test for an abandoned role does: taken with a pid is
//! [`Liveness::Alive`], free with the same pid before and after is
//! [`Liveness::Dead`]. The set is the one under the segment's key, and is used only
//! if the same user created it and it has the kind's number of semaphores; a
//! segment made with [`Key::PRIVATE`](crate::Key::PRIVATE) has no key to find its set by, so its roles
//! show their pid words and [`Liveness::Unknown`].
//!
//! # Cleaning up after crashes
//!
//! System V objects outlive their processes on purpose, so a layout nobody has
//! attached is not abandoned by itself. [`abandoned`] lists the crate's objects
//! nobody can use any more ([`AbandonReason`]):
//!
//! - **Every role holder died:** a ready layout of this crate's version whose
//!   semaphore set is provably its own ([`Semaphores::Found`]), with no role held
//!   ([`Liveness::Alive`] or [`Liveness::Claiming`]), at least one holder dead
//!   ([`Liveness::Dead`]: the kernel undid its `SEM_UNDO` hold, its pid word is
//!   left), a header that is not [`corrupt`](LayoutInfo::corrupt), and
//!   `shm_nattch == 0`. A layout whose roles were all released cleanly is kept.
//! - **The creator died initialising it:** the header carries the creator's mark
//!   and was never published (the join's own test: `state` 1, or 0 with every
//!   other word 0), and `shm_nattch == 0`. The creator attaches before it marks
//!   and the kernel detaches a process however it dies, so nobody can publish it
//!   any more. Its semaphore set under the key is listed with it only if the
//!   same user created it and no process but the segment's creator operated on
//!   it (`GETPID`).
//!
//! Never listed: a segment a process has attached (whoever it is: a holder, a
//! waiting joiner, an inspector), one whose header is not the crate's (a plain
//! segment, another program's bytes, a creator between its `shmget` and its
//! mark), one with a [`Key::PRIVATE`](crate::Key::PRIVATE) key (nothing names its
//! set, so no liveness), and one the caller may not read (`EACCES`).
//! [`AbandonedObject::removable_by`] says whether the caller may also remove it.
//!
//! [`remove_abandoned`] removes one, after checking again right before the
//! `IPC_RMID`: the id still names the same segment (key, creator pid, `ctime`),
//! a fresh inspection still judges it abandoned with the same set, and, with that
//! inspection's read-only attachment held, `shm_nattch` is 1. The set goes first
//! (while the segment still holds the key, so no new creator adopts it), then
//! the segment. **The window:** a process can still `shmget` and `shmat` the
//! segment between that last `IPC_STAT` and the `IPC_RMID` (two system calls
//! apart); the kernel offers no conditional removal. It stays safe: its mapping
//! remains valid until it detaches (a removed segment lives while attached), its
//! semaphore operations fail (`EIDRM`/`EINVAL`), so its role claims fail with an
//! error, and the result says so ([`Cleanup::Removed`]'s `attached_meanwhile`,
//! from an `IPC_STAT` after the removal).
//!
//! [`needs`] is the other half of a tool's `doctor`: what a layout of a given
//! shape needs ([`Want`]) against the namespace's limits, with the `sysctl`
//! commands that raise those that are short.
//!
//! # Safety
//!
//! The only `unsafe` is calling the `*ctl` methods of [`Backend`], each with a pointer
//! to a live local struct of the type the command writes (`msginfo`, `seminfo`,
//! `shminfo64`, `shm_info`, `msqid64_ds`, `semid64_ds`, `shmid64_ds`), as the
//! `Backend` contract requires.
#![allow(unsafe_code)]

use core::ffi::c_void;
use core::iter::FusedIterator;

use crate::abi::{self, msginfo, msqid64_ds, semid64_ds, seminfo, shm_info, shmid64_ds, shminfo64};
use crate::error::{Call, Error, Result, check};
use crate::msg::MsgQueueStat;
use crate::sem::SemSetStat;
use crate::shm::SegmentStat;
use crate::{Backend, DefaultBackend, Errno};

#[cfg(not(loom))]
mod abandoned;
#[cfg(not(loom))]
mod layouts;
#[cfg(not(loom))]
mod needs;
#[cfg(not(loom))]
pub use abandoned::{
    AbandonReason, Abandoned, AbandonedObject, Cleanup, abandoned, abandoned_in, remove_abandoned,
    remove_abandoned_in,
};
#[cfg(not(loom))]
pub use layouts::{
    Inspection, KindState, LayoutInfo, LayoutKind, Layouts, Liveness, NotLayout, Role, RoleCounts,
    RoleEntry, Roles, Semaphores, inspect, inspect_in, layouts, layouts_in,
};
#[cfg(not(loom))]
pub use needs::{Needs, Shortfall, Want, needs, needs_in};
/// The layout version this crate writes and decodes (`layout_version` in every
/// layout header): [`LayoutInfo::version`] of a segment this build can read.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LAYOUT_VERSION};
/// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
///
/// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// assert_eq!(info::inspect(lock.segment().id())?.layout().unwrap().version, LAYOUT_VERSION);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[cfg(not(loom))]
pub const LAYOUT_VERSION: u64 = crate::layout::header::LAYOUT_VERSION;

/// The kernel's `int` counts are never negative; a negative one would be a kernel
/// bug, read as 0 rather than as a huge number.
fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn bytes(v: i32) -> usize {
    usize::try_from(v).unwrap_or(0)
}

// ---- limits -------------------------------------------------------------------------

/// Message queue limits of the IPC namespace (`msgctl(0, IPC_INFO)` into a `msginfo`).
///
/// The first three are the `kernel.msgmax`, `kernel.msgmnb`, `kernel.msgmni` sysctls;
/// the rest are compile-time constants the kernel reports for compatibility.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, Intent, Key, Mode, Removal};
///
/// let limits = info::msg_limits()?;
/// // A new queue holds up to `msgmnb` bytes.
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// assert_eq!(q.stat()?.max_bytes, limits.msgmnb as u64);
/// assert_eq!(limits.msgssz, 16);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MsgLimits {
    /// Largest message text `msgsnd` accepts, in bytes (`kernel.msgmax`).
    pub msgmax: usize,
    /// Default (and, unprivileged, maximum) bytes on one queue, the initial
    /// `msg_qbytes` (`kernel.msgmnb`).
    pub msgmnb: usize,
    /// Most queues in the namespace (`kernel.msgmni`).
    pub msgmni: u32,
    /// Message segment size (`MSGSSZ`, 16).
    pub msgssz: u32,
    /// Message segments (`MSGSEG`).
    pub msgseg: u32,
    /// Size of the message pool in KiB (`MSGPOOL`).
    pub msgpool: u32,
    /// Entries in the message map (`MSGMAP`).
    pub msgmap: u32,
    /// Most messages in the system (`MSGTQL`).
    pub msgtql: u32,
}

/// Semaphore limits of the IPC namespace (`semctl(0, 0, IPC_INFO)` into a `seminfo`).
///
/// `semmsl`, `semmns`, `semopm`, `semmni` are the four fields of the `kernel.sem`
/// sysctl; the rest are constants.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Limit, Mode, SemSet};
///
/// let limits = info::sem_limits()?;
/// assert_eq!(limits.semvmx, 32767);
/// // One semaphore more than a set may hold: refused, naming the sysctl.
/// let too_many = limits.semmsl as usize + 1;
/// let e = SemSet::create(Key::PRIVATE, too_many, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
/// assert_eq!(e.limit(), Some(Limit::Semmsl));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SemLimits {
    /// Most semaphores per set (`kernel.sem` field 1).
    pub semmsl: u32,
    /// Most semaphores in the namespace (`kernel.sem` field 2).
    pub semmns: u32,
    /// Most operations per `semop` (`kernel.sem` field 3).
    pub semopm: u32,
    /// Most sets in the namespace (`kernel.sem` field 4).
    pub semmni: u32,
    /// Largest semaphore value (`SEMVMX`, 32767).
    pub semvmx: u32,
    /// Largest adjust-on-exit value (`SEMAEM`).
    pub semaem: u32,
    /// Most undo entries per process (`SEMUME`).
    pub semume: u32,
    /// Undo structures (`SEMMNU`).
    pub semmnu: u32,
    /// Entries in the semaphore map (`SEMMAP`).
    pub semmap: u32,
    /// Size of an undo structure (`SEMUSZ`).
    pub semusz: u32,
}

/// Shared memory limits of the IPC namespace (`shmctl(0, IPC_INFO)` into a
/// `shminfo64`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Limit, Mode, Segment};
///
/// let limits = info::shm_limits()?;
/// assert_eq!(limits.shmmin, 1);
/// // One byte more than the largest segment: refused, naming the sysctl.
/// let too_big = usize::try_from(limits.shmmax).unwrap().saturating_add(1);
/// let e = Segment::create(Key::PRIVATE, too_big, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
/// assert_eq!(e.limit(), Some(Limit::Shmmax));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShmLimits {
    /// Largest segment, in bytes (`kernel.shmmax`).
    pub shmmax: u64,
    /// Smallest segment, in bytes (`SHMMIN`, 1).
    pub shmmin: u64,
    /// Most segments in the namespace (`kernel.shmmni`).
    pub shmmni: u64,
    /// Most segments one process may attach; Linux reports `shmmni` and enforces
    /// nothing.
    pub shmseg: u64,
    /// Most pages of all segments together (`kernel.shmall`).
    pub shmall: u64,
}

/// Message queue usage of the namespace (`msgctl(0, MSG_INFO)`).
///
/// The kernel reuses `msginfo`'s fields: `msgpool` carries the queues, `msgmap` the
/// messages and `msgtql` the bytes (`msgctl_info` in ipc/msg.c). Since Linux 6.1 the
/// two totals are clamped to `i32::MAX`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// q.send(1, b"hello")?;
/// // The whole namespace: other processes' queues count too.
/// let usage = info::msg_usage()?;
/// assert!(usage.queues >= 1 && usage.messages >= 1 && usage.bytes >= 5);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MsgUsage {
    /// Queues that exist.
    pub queues: u32,
    /// Messages on all queues.
    pub messages: u32,
    /// Bytes of message text on all queues.
    pub bytes: u32,
}

/// Semaphore usage of the namespace (`semctl(0, 0, SEM_INFO)`).
///
/// The kernel reuses `seminfo`'s fields: `semusz` carries the sets and `semaem` the
/// semaphores (`semctl_info` in ipc/sem.c).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removal, SemSet};
///
/// let set = Removal::new(SemSet::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?);
/// let usage = info::sem_usage()?; // namespace-wide
/// assert!(usage.sets >= 1 && usage.semaphores >= 3);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SemUsage {
    /// Sets that exist.
    pub sets: u32,
    /// Semaphores in all sets.
    pub semaphores: u32,
}

/// Shared memory usage of the namespace (`shmctl(0, SHM_INFO)` into a `shm_info`):
/// every field of the kernel's `struct shm_info`.
///
/// Page counts are in the system's page size (`shm_tot`, and `shm_get_stat` in
/// ipc/shm.c summing each segment's page cache and swap). `ipcs -u` prints them all,
/// the swap counters as "pages swapped" and "Swap performance: N attempts M
/// successes".
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removal, Segment};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 3 * 4096, Intent::CreateNew, Mode::OWNER_RW)?);
/// let usage = info::shm_usage()?; // namespace-wide
/// assert!(usage.segments >= 1 && usage.pages_total >= 3);
/// assert!(usage.pages_resident <= usage.pages_total);
/// // Linux counts no swap attempts or successes (shmctl_shm_info in ipc/shm.c).
/// assert_eq!((usage.swap_attempts, usage.swap_successes), (0, 0));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShmUsage {
    /// Segments that exist (`used_ids`).
    pub segments: u32,
    /// Pages of all segments, each segment's size rounded up to pages (`shm_tot`).
    pub pages_total: u64,
    /// Pages in memory (`shm_rss`): only pages touched so far are counted.
    pub pages_resident: u64,
    /// Pages in swap (`shm_swp`): those of every segment's pages the kernel has
    /// swapped out, now.
    pub pages_swapped: u64,
    /// `swap_attempts`: 0 on Linux, which has not counted them since 2.4 (ipc/shm.c
    /// `shmctl_shm_info` sets 0). Passed on as the kernel wrote it.
    pub swap_attempts: u64,
    /// `swap_successes`: 0 on Linux, as [`swap_attempts`](Self::swap_attempts).
    pub swap_successes: u64,
}

fn msg_info_raw<B: Backend>(backend: &B, cmd: i32) -> Result<(msginfo, i32)> {
    let mut info = msginfo::default();
    // SAFETY: IPC_INFO and MSG_INFO (the only commands passed here) write one
    // msginfo through `buf`; `info` is a live local msginfo.
    let r = unsafe { backend.msgctl(0, cmd, (&raw mut info).cast::<c_void>()) };
    Ok((info, check(Call::Msgctl, r)?))
}

fn sem_info_raw<B: Backend>(backend: &B, cmd: i32) -> Result<(seminfo, i32)> {
    let mut info = seminfo::default();
    // SAFETY: IPC_INFO and SEM_INFO (the only commands passed here) write one seminfo
    // through the pointer in `arg`; `info` is a live local seminfo.
    let r = unsafe { backend.semctl(0, 0, cmd, (&raw mut info).cast::<c_void>()) };
    Ok((info, check(Call::Semctl, r)?))
}

fn shm_info_raw<B: Backend>(backend: &B) -> Result<(shm_info, i32)> {
    let mut info = shm_info::default();
    // SAFETY: SHM_INFO writes one shm_info through `buf`; `info` is a live local one.
    let r = unsafe { backend.shmctl(0, abi::SHM_INFO, (&raw mut info).cast::<c_void>()) };
    Ok((info, check(Call::Shmctl, r)?))
}

/// `msgctl(0, IPC_INFO, buf)` — the message queue limits, on the default backend. See
/// [`msg_limits_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, ErrorKind, Intent, Key, Mode, Removal};
///
/// let max = info::msg_limits()?.msgmax;
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let e = q.try_send(1, &vec![0; max + 1]).unwrap_err();
/// assert!(matches!(e.kind(), ErrorKind::MessageTooLarge));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "IPC_INFO")]
pub fn msg_limits() -> Result<MsgLimits> {
    msg_limits_in(DefaultBackend::default())
}

/// `msgctl(0, IPC_INFO, buf)` — the message queue limits of the caller's IPC
/// namespace.
///
/// # Errors
///
/// None on Linux; a security module could deny it (`EACCES`/`EPERM`).
///
/// # References
///
/// msgctl(2), proc(5) (`/proc/sys/kernel/msgmax`, ...).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
/// use sysv_ipc_mock::{Limits, Mock};
///
/// // The in-memory kernel, with a lowered `kernel.msgmax`.
/// let kernel: Mock = Mock::new();
/// kernel.set_limits(Limits { msgmax: 512, ..Limits::LINUX });
/// let limits = info::msg_limits_in(&kernel)?;
/// assert_eq!((limits.msgmax, limits.msgmnb), (512, 16384));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "msgctl")]
#[doc(alias = "IPC_INFO")]
pub fn msg_limits_in<B: Backend>(backend: B) -> Result<MsgLimits> {
    let (i, _) = msg_info_raw(&backend, abi::IPC_INFO)?;
    Ok(MsgLimits {
        msgmax: bytes(i.msgmax),
        msgmnb: bytes(i.msgmnb),
        msgmni: count(i.msgmni),
        msgssz: count(i.msgssz),
        msgseg: u32::from(i.msgseg),
        msgpool: count(i.msgpool),
        msgmap: count(i.msgmap),
        msgtql: count(i.msgtql),
    })
}

/// `semctl(0, 0, IPC_INFO, buf)` — the semaphore limits, on the default backend. See
/// [`sem_limits_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removal, SemOp, SemSet};
///
/// let limits = info::sem_limits()?;
/// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
/// // SEMVMX is the largest value a semaphore can take.
/// set.op(&[SemOp::add(0, limits.semvmx as i16)])?;
/// assert_eq!(u32::from(set.get(0)?), limits.semvmx);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "IPC_INFO")]
pub fn sem_limits() -> Result<SemLimits> {
    sem_limits_in(DefaultBackend::default())
}

/// `semctl(0, 0, IPC_INFO, buf)` — the semaphore limits of the caller's IPC namespace.
///
/// # Errors
///
/// None on Linux; a security module could deny it.
///
/// # References
///
/// semctl(2), proc(5) (`/proc/sys/kernel/sem`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
/// use sysv_ipc_mock::{Limits, Mock};
///
/// let kernel: Mock = Mock::new();
/// kernel.set_limits(Limits { semmsl: 8, ..Limits::LINUX });
/// let limits = info::sem_limits_in(&kernel)?;
/// assert_eq!((limits.semmsl, limits.semvmx), (8, 32767));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "semctl")]
#[doc(alias = "IPC_INFO")]
pub fn sem_limits_in<B: Backend>(backend: B) -> Result<SemLimits> {
    let (i, _) = sem_info_raw(&backend, abi::IPC_INFO)?;
    Ok(SemLimits {
        semmsl: count(i.semmsl),
        semmns: count(i.semmns),
        semopm: count(i.semopm),
        semmni: count(i.semmni),
        semvmx: count(i.semvmx),
        semaem: count(i.semaem),
        semume: count(i.semume),
        semmnu: count(i.semmnu),
        semmap: count(i.semmap),
        semusz: count(i.semusz),
    })
}

/// `shmctl(0, IPC_INFO, buf)` — the shared memory limits, on the default backend. See
/// [`shm_limits_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
///
/// let limits = info::shm_limits()?;
/// assert_eq!(limits.shmmin, 1);
/// assert_eq!(limits.shmseg, limits.shmmni); // what Linux reports
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "IPC_INFO")]
pub fn shm_limits() -> Result<ShmLimits> {
    shm_limits_in(DefaultBackend::default())
}

/// `shmctl(0, IPC_INFO, buf)` — the shared memory limits of the caller's IPC
/// namespace.
///
/// # Errors
///
/// None on Linux; a security module could deny it.
///
/// # References
///
/// shmctl(2), proc(5) (`/proc/sys/kernel/shmmax`, ...).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
/// use sysv_ipc_mock::{Limits, Mock};
///
/// let kernel: Mock = Mock::new();
/// kernel.set_limits(Limits { shmmax: 1 << 20, ..Limits::LINUX });
/// let limits = info::shm_limits_in(&kernel)?;
/// assert_eq!((limits.shmmax, limits.shmmin), (1 << 20, 1));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "shmctl")]
#[doc(alias = "IPC_INFO")]
pub fn shm_limits_in<B: Backend>(backend: B) -> Result<ShmLimits> {
    let mut i = shminfo64::default();
    // SAFETY: IPC_INFO on shmctl writes one shminfo64 through `buf`; `i` is a live
    // local shminfo64.
    let r = unsafe { backend.shmctl(0, abi::IPC_INFO, (&raw mut i).cast::<c_void>()) };
    check(Call::Shmctl, r)?;
    Ok(ShmLimits {
        shmmax: i.shmmax,
        shmmin: i.shmmin,
        shmmni: i.shmmni,
        shmseg: i.shmseg,
        shmall: i.shmall,
    })
}

/// `msgctl(0, MSG_INFO, buf)` — message queue usage, on the default backend. See
/// [`msg_usage_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// q.send(1, b"0123456789")?;
/// let usage = info::msg_usage()?; // every queue of the namespace
/// assert!(usage.queues >= 1 && usage.bytes >= 10);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "MSG_INFO")]
pub fn msg_usage() -> Result<MsgUsage> {
    msg_usage_in(DefaultBackend::default())
}

/// `msgctl(0, MSG_INFO, buf)` — how many queues, messages and bytes the caller's IPC
/// namespace holds.
///
/// # Errors
///
/// None on Linux; a security module could deny it.
///
/// # References
///
/// msgctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, Intent, Key, Mode};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new(); // a namespace of its own: exact counts
/// let q = MsgQueue::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
/// q.send(1, b"abc")?;
/// q.send(2, b"defg")?;
/// let usage = info::msg_usage_in(&kernel)?;
/// assert_eq!((usage.queues, usage.messages, usage.bytes), (1, 2, 7));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "msgctl")]
#[doc(alias = "MSG_INFO")]
pub fn msg_usage_in<B: Backend>(backend: B) -> Result<MsgUsage> {
    let (i, _) = msg_info_raw(&backend, abi::MSG_INFO)?;
    Ok(MsgUsage {
        queues: count(i.msgpool),
        messages: count(i.msgmap),
        bytes: count(i.msgtql),
    })
}

/// `semctl(0, 0, SEM_INFO, buf)` — semaphore usage, on the default backend. See
/// [`sem_usage_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removal, SemSet};
///
/// let set = Removal::new(SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?);
/// let usage = info::sem_usage()?; // namespace-wide: other processes' sets count too
/// assert!(usage.sets >= 1 && usage.semaphores >= 2);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "SEM_INFO")]
pub fn sem_usage() -> Result<SemUsage> {
    sem_usage_in(DefaultBackend::default())
}

/// `semctl(0, 0, SEM_INFO, buf)` — how many sets and semaphores the caller's IPC
/// namespace holds.
///
/// # Errors
///
/// None on Linux; a security module could deny it.
///
/// # References
///
/// semctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, SemSet};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// SemSet::create_in(&kernel, Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?;
/// SemSet::create_in(&kernel, Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?;
/// let usage = info::sem_usage_in(&kernel)?;
/// assert_eq!((usage.sets, usage.semaphores), (2, 5));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "semctl")]
#[doc(alias = "SEM_INFO")]
pub fn sem_usage_in<B: Backend>(backend: B) -> Result<SemUsage> {
    let (i, _) = sem_info_raw(&backend, abi::SEM_INFO)?;
    Ok(SemUsage {
        sets: count(i.semusz),
        semaphores: count(i.semaem),
    })
}

/// `shmctl(0, SHM_INFO, buf)` — shared memory usage, on the default backend. See
/// [`shm_usage_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removal, Segment};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 8192, Intent::CreateNew, Mode::OWNER_RW)?);
/// let usage = info::shm_usage()?; // namespace-wide
/// assert!(usage.segments >= 1 && usage.pages_total >= 2);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "SHM_INFO")]
pub fn shm_usage() -> Result<ShmUsage> {
    shm_usage_in(DefaultBackend::default())
}

/// `shmctl(0, SHM_INFO, buf)` — how many segments and pages the caller's IPC
/// namespace holds.
///
/// # Errors
///
/// None on Linux; a security module could deny it.
///
/// # References
///
/// shmctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Segment};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// Segment::create_in(&kernel, Key::PRIVATE, 4096 + 1, Intent::CreateNew, Mode::OWNER_RW)?;
/// let usage = info::shm_usage_in(&kernel)?;
/// assert_eq!((usage.segments, usage.pages_total), (1, 2)); // sizes round up to pages
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "shmctl")]
#[doc(alias = "SHM_INFO")]
pub fn shm_usage_in<B: Backend>(backend: B) -> Result<ShmUsage> {
    let (i, _) = shm_info_raw(&backend)?;
    Ok(ShmUsage {
        segments: count(i.used_ids),
        pages_total: i.shm_tot,
        pages_resident: i.shm_rss,
        pages_swapped: i.shm_swp,
        swap_attempts: i.swap_attempts,
        swap_successes: i.swap_successes,
    })
}

/// Names the limit behind a `semget`, `shmget` or `semop` failure (see [`Error::limit`]),
/// with its value (and `size` where the limit is on the request), asking the
/// namespace's limits and usage; called on those error paths only.
///
/// `ENOSPC` is the object count when it is at its limit, else the semaphore or page
/// total; `EINVAL` is `semmsl`/`shmmax` when `size` (semaphores, bytes) is above it;
/// `E2BIG` from `semop` is `semopm`, `size` being the number of operations.
/// Anything else, or a failed query, leaves the error as it was. Without the
/// `explain-limits` feature it asks nothing and returns `e` as it is.
#[inline(always)]
pub(crate) fn explain_limit<B: Backend>(e: Error, backend: &B, size: usize) -> Error {
    #[cfg(feature = "explain-limits")]
    if let Some(call) = e.call()
        && let Some((limit, value, on_request)) = limit_behind(backend, call, e.errno(), size)
    {
        let asked = on_request.then(|| u64::try_from(size).unwrap_or(u64::MAX));
        return e.with_limit(limit).with_sizes(asked, value);
    }
    #[cfg(not(feature = "explain-limits"))]
    let _ = (backend, size);
    e
}

/// The query behind [`explain_limit`]: out of line (every call site passes four
/// scalars), and written for size, since it is linked into every program that
/// creates a set or a segment: no query unless the errno can name a limit, one
/// `SEM_INFO` for `semget` (it returns the limits beside the usage: semctl(2)),
/// `IPC_INFO` then, for `ENOSPC` only, `SHM_INFO` for `shmget`, and only the fields
/// compared are read (the public `*_limits_in`/`*_usage_in` convert every field and
/// build an `Error` on failure; through them this came to 1.3 KB of x86_64 code).
/// Returns the limit, its value, and whether it bounds the request itself (`size`)
/// rather than the namespace's total.
#[cfg(feature = "explain-limits")]
#[inline(never)]
fn limit_behind<B: Backend>(
    backend: &B,
    call: Call,
    errno: Option<Errno>,
    size: usize,
) -> Option<(crate::Limit, u64, bool)> {
    use crate::Limit;

    let errno = errno?;
    if !matches!(errno, Errno::NOSPC | Errno::INVAL | Errno::TOOBIG) {
        return None;
    }
    let size = u64::try_from(size).unwrap_or(u64::MAX);
    match call {
        Call::Semop | Call::Semtimedop if errno == Errno::TOOBIG => {
            let mut i = seminfo::default();
            // SAFETY: SEM_INFO writes one seminfo through the pointer in `arg`; `i` is
            // a live local seminfo.
            unsafe { backend.semctl(0, 0, abi::SEM_INFO, (&raw mut i).cast::<c_void>()) }.ok()?;
            Some((Limit::Semopm, u64::from(count(i.semopm)), true))
        }
        Call::Semget => {
            let mut i = seminfo::default();
            // SAFETY: SEM_INFO writes one seminfo through the pointer in `arg`; `i` is
            // a live local seminfo.
            unsafe { backend.semctl(0, 0, abi::SEM_INFO, (&raw mut i).cast::<c_void>()) }.ok()?;
            let value = |v: i32| u64::from(count(v));
            match errno {
                // With SEM_INFO, `semusz` is the number of sets in use.
                Errno::NOSPC if i.semusz >= i.semmni => {
                    Some((Limit::Semmni, value(i.semmni), false))
                }
                Errno::NOSPC => Some((Limit::Semmns, value(i.semmns), false)),
                _ => (size > value(i.semmsl)).then_some((Limit::Semmsl, value(i.semmsl), true)),
            }
        }
        Call::Shmget => {
            let mut l = shminfo64::default();
            // SAFETY: IPC_INFO on shmctl writes one shminfo64 through `buf`; `l` is a
            // live local shminfo64.
            unsafe { backend.shmctl(0, abi::IPC_INFO, (&raw mut l).cast::<c_void>()) }.ok()?;
            if errno == Errno::INVAL {
                return (size > l.shmmax).then_some((Limit::Shmmax, l.shmmax, true));
            }
            let mut u = shm_info::default();
            // SAFETY: SHM_INFO writes one shm_info through `buf`; `u` is a live local
            // shm_info.
            unsafe { backend.shmctl(0, abi::SHM_INFO, (&raw mut u).cast::<c_void>()) }.ok()?;
            Some(if u64::from(count(u.used_ids)) >= l.shmmni {
                (Limit::Shmmni, l.shmmni, false)
            } else {
                (Limit::Shmall, l.shmall, false)
            })
        }
        _ => None,
    }
}

/// Adds the owner and mode of the object `e` is about to a permission error (see
/// [`Error::owner`]): found by walking the namespace's objects of `e`'s kind with
/// `*_STAT_ANY`, which needs no read permission, for the one with `e`'s key or id.
/// Only on that error path, only with the `explain-permissions` feature; anything
/// not found leaves `e` as it was.
pub(crate) fn explain_permission<B: Backend>(e: Error, backend: &B) -> Error {
    #[cfg(feature = "explain-permissions")]
    if e.kind() == crate::ErrorKind::PermissionDenied
        && let Some(perm) = owner_of(backend, e)
    {
        return e.with_owner(crate::Owner {
            uid: perm.uid,
            gid: perm.gid,
            mode: perm.mode,
        });
    }
    #[cfg(not(feature = "explain-permissions"))]
    let _ = backend;
    e
}

/// The permissions of the object `e` names, by key or id, among the objects of the
/// kind its call works on.
#[cfg(feature = "explain-permissions")]
#[inline(never)]
fn owner_of<B: Backend>(backend: &B, e: Error) -> Option<crate::Perm> {
    let (key, id) = (e.key(), e.id());
    let wanted = |found_id: i32, perm: &crate::Perm| {
        id == Some(found_id)
            || (id.is_none() && key.is_some_and(|k| k == perm.key && k != crate::Key::PRIVATE))
    };
    match e.call()? {
        Call::Msgget | Call::Msgsnd | Call::Msgrcv | Call::Msgctl => message_queues_in(backend)
            .ok()?
            .filter_map(Result::ok)
            .find(|(i, s)| wanted(*i, &s.perm))
            .map(|(_, s)| s.perm),
        Call::Semget | Call::Semop | Call::Semtimedop | Call::Semctl => semaphore_sets_in(backend)
            .ok()?
            .filter_map(Result::ok)
            .find(|(i, s)| wanted(*i, &s.perm))
            .map(|(_, s)| s.perm),
        Call::Shmget | Call::Shmat | Call::Shmdt | Call::Shmctl => segments_in(backend)
            .ok()?
            .filter_map(Result::ok)
            .find(|(i, s)| wanted(*i, &s.perm))
            .map(|(_, s)| s.perm),
        _ => None,
    }
}

// ---- enumeration ----------------------------------------------------------------------

/// Which stat-by-index command the walk uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// No object found yet: `*_STAT_ANY` first, `*_STAT` where it says `EINVAL`.
    Probing,
    /// The kernel knows `*_STAT_ANY` (it found an object).
    Any,
    /// The kernel answered `*_STAT_ANY` with `EINVAL` where `*_STAT` found an object:
    /// before Linux 4.17.
    Stat,
}

/// The index walk shared by the three iterators; `stat(any, index)` issues
/// `*_STAT_ANY` (`any`) or `*_STAT` into the iterator's record and returns the id.
#[derive(Copy, Clone, Debug)]
struct Walk {
    next: i32,
    last: i32,
    mode: Mode,
    unreadable: u32,
    done: bool,
}

impl Walk {
    fn new(last: i32) -> Walk {
        Walk {
            next: 0,
            last: last.max(0),
            mode: Mode::Probing,
            unreadable: 0,
            done: false,
        }
    }

    /// The object at `index`, choosing (and while probing, learning) the command.
    fn probe(
        &mut self,
        index: i32,
        stat: &mut impl FnMut(bool, i32) -> core::result::Result<i32, Errno>,
    ) -> core::result::Result<i32, Errno> {
        match self.mode {
            Mode::Any => stat(true, index),
            Mode::Stat => stat(false, index),
            Mode::Probing => match stat(true, index) {
                Err(Errno::INVAL) => match stat(false, index) {
                    // An object `*_STAT_ANY` did not see: either this kernel lacks the
                    // command or the slot was filled between the two calls. Asking
                    // again tells which.
                    Ok(_) | Err(Errno::ACCES) => match stat(true, index) {
                        Ok(id) => {
                            self.mode = Mode::Any;
                            Ok(id)
                        }
                        Err(Errno::INVAL) => {
                            self.mode = Mode::Stat;
                            stat(false, index)
                        }
                        Err(e) => Err(e),
                    },
                    // Both say empty: an empty slot (or both commands unknown).
                    other => other,
                },
                Ok(id) => {
                    self.mode = Mode::Any;
                    Ok(id)
                }
                Err(e) => Err(e),
            },
        }
    }

    fn next(
        &mut self,
        call: Call,
        mut stat: impl FnMut(bool, i32) -> core::result::Result<i32, Errno>,
    ) -> Option<Result<i32>> {
        while !self.done && self.next <= self.last {
            let index = self.next;
            match self.next.checked_add(1) {
                Some(n) => self.next = n,
                None => self.done = true,
            }
            match self.probe(index, &mut stat) {
                Ok(id) => return Some(Ok(id)),
                // An empty slot, or an object removed since the walk began.
                Err(Errno::INVAL | Errno::IDRM) => {}
                Err(Errno::ACCES) => self.unreadable = self.unreadable.saturating_add(1),
                Err(e) => return Some(Err(Error::from_errno(call, e))),
            }
        }
        self.done = true;
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done || self.next > self.last {
            return (0, Some(0));
        }
        let left = usize::try_from(i64::from(self.last) - i64::from(self.next) + 1).ok();
        (0, left)
    }
}

macro_rules! stat_iterator {
    (
        $(#[$meta:meta])*
        $name:ident, $stat:ty, $raw:ty, $call:expr, |$backend:ident, $index:ident, $cmd:ident, $ds:ident| $do_stat:expr,
        example: $ctor:ident, $make:literal
    ) => {
        $(#[$meta])*
        ///
        /// # Examples
        ///
        /// ```
        /// use sysv_ipc::{info, Intent, Key, Mode, Removal};
        ///
        #[doc = $make]
        #[doc = concat!("let (_, stat) = info::", stringify!($ctor), "()?")]
        ///     .filter_map(Result::ok)
        ///     .find(|(id, _)| *id == mine.id())
        ///     .expect("listed");
        /// assert_eq!((stat.perm.key, stat.perm.mode), (Key::PRIVATE, Mode::OWNER_RW));
        /// # Ok::<(), sysv_ipc::Error>(())
        /// ```
        #[derive(Debug)]
        pub struct $name<B: Backend = DefaultBackend> {
            backend: B,
            walk: Walk,
        }

        impl<B: Backend> $name<B> {
            /// Objects skipped because the caller may not read them (`EACCES`): only
            /// when the walk had to fall back to the permission-checked command
            /// (kernels before 4.17), or a security module denied one.
            ///
            /// # Examples
            ///
            /// ```
            /// use sysv_ipc::info;
            ///
            #[doc = concat!("let mut walk = info::", stringify!($ctor), "()?;")]
            /// let listed = walk.by_ref().filter(Result::is_ok).count();
            /// // Linux 4.17 and later list every object, readable or not: none skipped.
            /// assert_eq!(walk.unreadable(), 0);
            /// println!("{listed} listed");
            /// # Ok::<(), sysv_ipc::Error>(())
            /// ```
            pub fn unreadable(&self) -> u32 {
                self.walk.unreadable
            }

            /// Whether the walk had to use the permission-checked command because the
            /// kernel lacks the `*_STAT_ANY` one (known once an object was found).
            ///
            /// # Examples
            ///
            /// ```
            /// use sysv_ipc::{info, Intent, Key, Mode, Removal};
            ///
            #[doc = $make]
            #[doc = concat!("let mut walk = info::", stringify!($ctor), "()?;")]
            /// assert!(walk.by_ref().any(|e| e.is_ok_and(|(id, _)| id == mine.id())));
            /// assert!(!walk.fell_back()); // Linux 4.17 or later: `*_STAT_ANY`
            /// # Ok::<(), sysv_ipc::Error>(())
            /// ```
            pub fn fell_back(&self) -> bool {
                self.walk.mode == Mode::Stat
            }
        }

        impl<B: Backend> Iterator for $name<B> {
            type Item = Result<(i32, $stat)>;

            fn next(&mut self) -> Option<Self::Item> {
                let mut $ds = <$raw>::default();
                let $backend = &self.backend;
                let r = self.walk.next($call, |any, $index| {
                    let $cmd = any;
                    $do_stat
                })?;
                Some(r.map(|id| (id, <$stat>::from(&$ds))))
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.walk.size_hint()
            }
        }

        impl<B: Backend> FusedIterator for $name<B> {}
    };
}

stat_iterator! {
    /// Every message queue of the namespace: `(id, stat)` by `MSG_STAT_ANY` (see the
    /// [module docs](self)). Made by [`message_queues`].
    MsgQueues, MsgQueueStat, msqid64_ds, Call::Msgctl, |backend, index, any, ds| {
        let cmd = if any { abi::MSG_STAT_ANY } else { abi::MSG_STAT };
        // SAFETY: MSG_STAT and MSG_STAT_ANY write one msqid64_ds through `buf`; `ds`
        // is a live local msqid64_ds that outlives the call.
        unsafe { backend.msgctl(index, cmd, (&raw mut ds).cast::<c_void>()) }
    },
    example: message_queues,
    "let mine = Removal::new(sysv_ipc::msg::MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);"
}

stat_iterator! {
    /// Every semaphore set of the namespace: `(id, stat)` by `SEM_STAT_ANY` (see the
    /// [module docs](self)). Made by [`semaphore_sets`].
    SemSets, SemSetStat, semid64_ds, Call::Semctl, |backend, index, any, ds| {
        let cmd = if any { abi::SEM_STAT_ANY } else { abi::SEM_STAT };
        // SAFETY: SEM_STAT and SEM_STAT_ANY write one semid64_ds through the pointer
        // in `arg`; `ds` is a live local semid64_ds that outlives the call.
        unsafe { backend.semctl(index, 0, cmd, (&raw mut ds).cast::<c_void>()) }
    },
    example: semaphore_sets,
    "let mine = Removal::new(sysv_ipc::SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);"
}

stat_iterator! {
    /// Every shared memory segment of the namespace, removed-but-attached ones
    /// included: `(id, stat)` by `SHM_STAT_ANY` (see the [module docs](self)). Made by
    /// [`segments`].
    Segments, SegmentStat, shmid64_ds, Call::Shmctl, |backend, index, any, ds| {
        let cmd = if any { abi::SHM_STAT_ANY } else { abi::SHM_STAT };
        // SAFETY: SHM_STAT and SHM_STAT_ANY write one shmid64_ds through `buf`; `ds`
        // is a live local shmid64_ds that outlives the call.
        unsafe { backend.shmctl(index, cmd, (&raw mut ds).cast::<c_void>()) }
    },
    example: segments,
    "let mine = Removal::new(sysv_ipc::Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);"
}

/// `msgctl(0, MSG_INFO)` then `msgctl(index, MSG_STAT_ANY)` for each index — every
/// message queue, on the default backend. See [`message_queues_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// q.send(3, b"queued")?;
/// let (_, stat) = info::message_queues()?
///     .filter_map(Result::ok)
///     .find(|(id, _)| *id == q.id())
///     .expect("listed");
/// assert_eq!((stat.messages, stat.bytes), (1, 6));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "MSG_STAT_ANY")]
pub fn message_queues() -> Result<MsgQueues> {
    message_queues_in(DefaultBackend::default())
}

/// `msgctl(0, MSG_INFO)` then `msgctl(index, MSG_STAT_ANY)` for each index — an
/// iterator over every message queue of the caller's IPC namespace.
///
/// # Errors
///
/// The `MSG_INFO` call (none on Linux). Each item is a `Result` too: an error other
/// than an empty slot, a removed queue or `EACCES` (counted by
/// [`MsgQueues::unreadable`]) is yielded, and the walk goes on.
///
/// # References
///
/// msgctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, msg::MsgQueue, Intent, Key, Mode};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// let a = MsgQueue::create_in(&kernel, Key::new(7), Intent::CreateNew, Mode::OWNER_RW)?;
/// let b = MsgQueue::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
/// let mut ids = [0; 2];
/// for (slot, entry) in ids.iter_mut().zip(info::message_queues_in(&kernel)?) {
///     *slot = entry?.0;
/// }
/// assert_eq!(ids, [a.id(), b.id()]); // in index order
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "msgctl")]
#[doc(alias = "MSG_STAT_ANY")]
pub fn message_queues_in<B: Backend>(backend: B) -> Result<MsgQueues<B>> {
    let (_, last) = msg_info_raw(&backend, abi::MSG_INFO)?;
    Ok(MsgQueues {
        backend,
        walk: Walk::new(last),
    })
}

/// `semctl(0, 0, SEM_INFO)` then `semctl(index, 0, SEM_STAT_ANY)` for each index —
/// every semaphore set, on the default backend. See [`semaphore_sets_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removal, SemSet};
///
/// let set = Removal::new(SemSet::create(Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (_, stat) = info::semaphore_sets()?
///     .filter_map(Result::ok)
///     .find(|(id, _)| *id == set.id())
///     .expect("listed");
/// assert_eq!(stat.nsems, 4);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "SEM_STAT_ANY")]
pub fn semaphore_sets() -> Result<SemSets> {
    semaphore_sets_in(DefaultBackend::default())
}

/// `semctl(0, 0, SEM_INFO)` then `semctl(index, 0, SEM_STAT_ANY)` for each index — an
/// iterator over every semaphore set of the caller's IPC namespace.
///
/// # Errors
///
/// As [`message_queues_in`].
///
/// # References
///
/// semctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, SemSet};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// SemSet::create_in(&kernel, Key::new(1), 2, Intent::CreateNew, Mode::OWNER_RW)?;
/// SemSet::create_in(&kernel, Key::new(2), 5, Intent::CreateNew, Mode::OWNER_RW)?;
/// let mut total = 0;
/// for entry in info::semaphore_sets_in(&kernel)? {
///     total += entry?.1.nsems;
/// }
/// assert_eq!(total, 7);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "semctl")]
#[doc(alias = "SEM_STAT_ANY")]
pub fn semaphore_sets_in<B: Backend>(backend: B) -> Result<SemSets<B>> {
    let (_, last) = sem_info_raw(&backend, abi::SEM_INFO)?;
    Ok(SemSets {
        backend,
        walk: Walk::new(last),
    })
}

/// `shmctl(0, SHM_INFO)` then `shmctl(index, SHM_STAT_ANY)` for each index — every
/// segment, on the default backend. See [`segments_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Removable, Segment};
///
/// let seg = Segment::create(Key::PRIVATE, 100, Intent::CreateNew, Mode::OWNER_RW)?;
/// let att = seg.attach()?;
/// seg.remove()?; // removed, but attached: still listed
/// let (_, stat) = info::segments()?
///     .filter_map(Result::ok)
///     .find(|(id, _)| *id == seg.id())
///     .expect("listed");
/// assert!(stat.is_removed());
/// assert_eq!((stat.size, stat.nattch), (100, 1));
/// drop(att); // the last detach destroys it
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "SHM_STAT_ANY")]
pub fn segments() -> Result<Segments> {
    segments_in(DefaultBackend::default())
}

/// `shmctl(0, SHM_INFO)` then `shmctl(index, SHM_STAT_ANY)` for each index — an
/// iterator over every shared memory segment of the caller's IPC namespace.
///
/// # Errors
///
/// As [`message_queues_in`].
///
/// # References
///
/// shmctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{info, Intent, Key, Mode, Segment};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// let seg = Segment::create_in(&kernel, Key::new(9), 64, Intent::CreateNew, Mode::OWNER_RW)?;
/// let mut walk = info::segments_in(&kernel)?;
/// let (id, stat) = walk.next().expect("one segment")?;
/// assert_eq!((id, stat.size, stat.perm.key), (seg.id(), 64, Key::new(9)));
/// assert!(walk.next().is_none());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "shmctl")]
#[doc(alias = "SHM_STAT_ANY")]
pub fn segments_in<B: Backend>(backend: B) -> Result<Segments<B>> {
    let (_, last) = shm_info_raw(&backend)?;
    Ok(Segments {
        backend,
        walk: Walk::new(last),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of slots: `None` empty, `Some(true)` readable, `Some(false)` not;
    /// `any_known` says whether the "kernel" has `*_STAT_ANY`. Ids are `100 + index`.
    fn fake(
        slots: &[Option<bool>],
        any_known: bool,
    ) -> impl FnMut(bool, i32) -> core::result::Result<i32, Errno> + '_ {
        move |any, index| {
            if any && !any_known {
                return Err(Errno::INVAL);
            }
            match slots.get(index as usize).copied().flatten() {
                None => Err(Errno::INVAL),
                Some(false) if !any => Err(Errno::ACCES),
                Some(_) => Ok(100 + index),
            }
        }
    }

    fn walk_all(slots: &[Option<bool>], any_known: bool) -> ([i32; 8], usize, u32, Mode) {
        let mut walk = Walk::new(slots.len() as i32 - 1);
        let mut ids = [0; 8];
        let mut n = 0;
        let mut stat = fake(slots, any_known);
        while let Some(r) = walk.next(Call::Shmctl, &mut stat) {
            ids[n] = r.unwrap();
            n += 1;
        }
        (ids, n, walk.unreadable, walk.mode)
    }

    const SLOTS: [Option<bool>; 6] = [None, Some(false), None, Some(true), Some(false), Some(true)];

    #[test]
    fn stat_any_lists_everything() {
        let (ids, n, unreadable, mode) = walk_all(&SLOTS, true);
        assert_eq!(&ids[..n], &[101, 103, 104, 105]);
        assert_eq!((unreadable, mode), (0, Mode::Any));
    }

    #[test]
    fn old_kernels_fall_back_and_count_the_unreadable() {
        let (ids, n, unreadable, mode) = walk_all(&SLOTS, false);
        assert_eq!(&ids[..n], &[103, 105]);
        assert_eq!((unreadable, mode), (2, Mode::Stat));
    }

    #[test]
    fn an_empty_table_is_one_empty_slot() {
        let (_, n, unreadable, mode) = walk_all(&[None], true);
        assert_eq!((n, unreadable, mode), (0, 0, Mode::Probing));
    }

    #[test]
    fn other_errors_are_yielded_and_the_walk_goes_on() {
        let mut walk = Walk::new(2);
        let mut stat = |_: bool, index: i32| match index {
            0 => Err(Errno::IDRM),
            1 => Err(Errno::PERM),
            _ => Ok(7),
        };
        assert_eq!(
            walk.next(Call::Msgctl, &mut stat)
                .unwrap()
                .unwrap_err()
                .errno(),
            Some(Errno::PERM)
        );
        assert_eq!(walk.size_hint(), (0, Some(1)));
        assert_eq!(walk.next(Call::Msgctl, &mut stat).unwrap().unwrap(), 7);
        assert!(walk.next(Call::Msgctl, &mut stat).is_none());
        assert!(walk.next(Call::Msgctl, &mut stat).is_none(), "fused");
    }

    #[test]
    fn the_last_index_ends_the_walk_without_overflow() {
        let mut walk = Walk::new(i32::MAX);
        walk.next = i32::MAX;
        let mut calls = 0;
        let mut stat = |_: bool, _: i32| {
            calls += 1;
            Err(Errno::INVAL)
        };
        assert!(walk.next(Call::Semctl, &mut stat).is_none());
        assert!(walk.next(Call::Semctl, &mut stat).is_none());
        assert_eq!(calls, 2, "STAT_ANY then STAT, once");
    }
}
