//! An in-memory model of the Linux kernel's System V IPC — message queues,
//! semaphore sets, shared memory — behind the `Backend` trait of
//! `sysv-ipc-abi`, with fault injection. `#![no_std]`, no allocation: every
//! table is a fixed-capacity `heapless` collection inside the [`Mock`] value.
//!
//! `Mock` implements [`Backend`], so `&Mock` does too (through abi's blanket
//! `impl Backend for &B`): the typed API holds a `&Mock`, and many independent
//! "kernels" can live side by side in one test.
//!
//! ```
//! use sysv_ipc_abi::{Backend, IPC_CREAT, IPC_NOWAIT};
//! use sysv_ipc_mock::{Mock, Process};
//!
//! let kernel: Mock = Mock::new();
//! kernel.set_process(Process::user(100, 1000, 1000));
//! let q = kernel.msgget(0x1234, IPC_CREAT | 0o600).unwrap();
//! assert_eq!(q, 0); // the first id of a fresh namespace
//! let mut msg = [0u8; 8 + 5];
//! msg[..8].copy_from_slice(&7i64.to_ne_bytes());
//! msg[8..].copy_from_slice(b"hello");
//! kernel.msgsnd(q, &msg, 0).unwrap();
//! let mut buf = [0u8; 64];
//! assert_eq!(kernel.msgrcv(q, &mut buf, 0, IPC_NOWAIT), Ok(5));
//! assert_eq!(&buf[8..13], b"hello");
//! ```
//!
//! # What is modelled
//!
//! The kernel's code paths, checks in the kernel's order, as in Linux 6.12/6.18
//! `ipc/{util,msg,sem,shm}.c` (each function names its kernel counterpart):
//!
//! - **Ids** exactly as Linux builds them (see the `ids` module): for the same
//!   sequence of creates and removes the mock hands out the ids a fresh IPC
//!   namespace does. A stale id is `EINVAL`.
//! - **Keys**, `IPC_PRIVATE`, `IPC_CREAT`/`IPC_EXCL` (`ipcget_public`: `ENOENT`,
//!   `EEXIST`, then the size/nsems check, then permissions).
//! - **Credentials**: [`Process`] (pid, euid, egid, supplementary groups,
//!   [`Caps`], `RLIMIT_MEMLOCK`); mode bits, owner/creator rules for
//!   `IPC_SET`/`IPC_RMID`, capability bypasses where the kernel has them.
//! - **Limits** ([`Limits`], defaults = a fresh namespace's `IPC_INFO`), a settable
//!   clock (seconds; starts at [`DEFAULT_TIME`]) for every `*time` field.
//! - **A virtual monotonic clock** for `clock_gettime(CLOCK_MONOTONIC)` (starts at
//!   [`DEFAULT_MONOTONIC`]): time passes only when a timed `semtimedop` runs out
//!   (by its whole timeout, as if its caller were alone), by a `clock_nanosleep`'s
//!   whole request (no real sleep), and when a test says so
//!   ([`Mock::advance_monotonic`]), so a caller's deadline arithmetic is
//!   checked exactly, without wall-clock timing. `CLOCK_REALTIME` reads the
//!   seconds clock above.
//! - **msg**: type selection (0, >0, <0, `MSG_EXCEPT`), `MSG_NOERROR`, `E2BIG`
//!   leaving the message queued, `MSG_COPY` (this kernel has
//!   `CONFIG_CHECKPOINT_RESTORE`), `msg_fits_inqueue`, `msg_qbytes` rules, stat
//!   and info commands.
//! - **sem**: all-or-nothing `semop` including the kernel's two paths (an
//!   operation set that alters one semaphore twice applies one by one), check
//!   order, `SEM_UNDO` with `semaem` bounds applied by [`Mock::exit_process`],
//!   `GETNCNT`/`GETZCNT` from blocked callers, every `semctl` command.
//! - **shm**: real, zero-filled, page-aligned backing bytes (with `std` on
//!   Linux each attachment its own mapping of them, below); `SHM_DEST`
//!   semantics, `SHM_LOCK` with `RLIMIT_MEMLOCK`, every `shmctl` command.
//! - **Blocking** (below), **fault injection** ([`Call`], [`Mock::fail_nth`]),
//!   a fake file table for `ftok` ([`Mock::add_file`]).
//!
//! # Blocking
//!
//! A call that has to wait (a full queue, no message, a semaphore operation that
//! cannot proceed) does what [`OnBlock`] says:
//!
//! - [`OnBlock::Fail`] (the only mode without the `std` feature, where nothing
//!   can ever wake the caller): the call fails with `EDEADLK` — "it would block
//!   forever in a single-threaded model" — and [`Mock::would_block_count`] goes up.
//!   A `semtimedop` with a timeout fails with `EAGAIN` instead, which is what its
//!   timeout would end in.
//! - `OnBlock::Wait` (with `std`, and the default there): the calling thread
//!   really blocks on a `std::sync::Condvar`. It counts for `GETNCNT`/`GETZCNT`
//!   and [`Mock::msg_waiters`]; whoever makes progress possible completes it, as
//!   in the kernel (a waiting semaphore operation is performed by the caller that
//!   enabled it; a message goes straight to a waiting receiver); removal of the
//!   object makes it return `EIDRM`; a `semtimedop` timeout `EAGAIN`;
//!   [`Mock::interrupt_waiters`] / [`Mock::interrupt_pid`] make it return `EINTR`
//!   like a signal.
//!
//! Because Cargo unifies features, a test that relies on `EDEADLK` should say
//! `set_on_block(OnBlock::Fail)` rather than rely on the feature being off.
//!
//! # Shared memory: two models
//!
//! A segment's pages count against a fixed arena of `SHM_PAGES` pages of 4096
//! bytes (`ENOMEM` beyond); where they are and how an attachment reaches them
//! depends on the build:
//!
//! - **With `std` on Linux** (not under miri, which cannot map a file): each
//!   segment is a `memfd` of its size, made (zero-filled) with the segment and
//!   closed when it is destroyed, and every `shmat` is its own
//!   `mmap(MAP_SHARED)` of it, as the kernel's is: two attachments of one
//!   segment have distinct addresses, and a write through one is read through
//!   the other because they are the same physical pages.
//!   `SHM_RDONLY` maps `PROT_READ` (a write through it faults, as on the kernel),
//!   `SHM_EXEC` adds `PROT_EXEC`. A caller's address is honoured as `do_shmat`
//!   does: `EINVAL` unless aligned (or rounded down with `SHM_RND`), `EINVAL` if
//!   any of the range is mapped (`MAP_FIXED_NOREPLACE`), and with `SHM_REMAP` the
//!   caller's own mapping there is replaced (`MAP_FIXED`), an attachment of its
//!   own that the range covers whole detached as `munmap` would. `shmdt` unmaps, and
//!   dropping the `Mock` unmaps whatever is still attached. [`DISTINCT_ADDRESSES`]
//!   is `true`. A real `fork()` of the test process shares the segments' pages
//!   with the child, as it shares a real segment's.
//! - **Otherwise** (`no_std`, other systems, miri): the arena is in the `Mock`
//!   itself (4096-aligned), so a `Mock` must not move while anything is
//!   attached (every typed attachment borrows the backend as `&Mock`, which
//!   already forbids that; put a large mock in a `static` or a `Box`). Without
//!   an MMU, bytes written through one attachment can be read through another
//!   only if both have the same address, and that aliasing is what the
//!   `Backend` contract promises: so every attachment of one segment gets the
//!   segment's one address. `SHM_RDONLY` is recorded but cannot be enforced:
//!   writing through a read-only attachment is the caller's bug, not a fault. A
//!   caller's address is `EINVAL`, as for a range in use.
//!   [`DISTINCT_ADDRESSES`] is `false`.
//!
//! In both, the attaching pid is recorded with each attachment: `shmdt`
//! detaches the calling process's own attachment at the address (`EINVAL` if
//! it has none, as in the kernel), [`Mock::exit_process`] those of the exiting
//! pid, and [`Mock::fork_process`] copies the parent's into the child at the
//! same addresses (a forked child has its parent's), sharing their mapping.
//! Because every simulated process shares this one address space, an address
//! `shmat` returned stays valid until it is detached even after its process's
//! `exit_process` (which unmaps it only in the kernel's books: `shm_nattch`,
//! `SHM_DEST`): its mapping stays and its pages are not handed to another
//! segment before that `shmdt`, which any process may then call. So an
//! attachment that is never detached (`mem::forget`) keeps its pages out of the
//! arena for the mock's life. The mock writes a segment's bytes only in the
//! arena model, to zero the pages of a new segment, which no attachment can
//! reach.
//!
//! # Deliberately not modelled
//!
//! - Without the memfd model, `shmat` at a caller-chosen address (`EINVAL`, as
//!   for an occupied range). With it, a `SHM_REMAP` range that covers part of an
//!   attachment (the kernel splits it) or a mapping a [`Mock::fork_process`]
//!   child shares (the kernel replaces only the caller's copy; here the copies
//!   are one mapping) is `EINVAL`; and an address `SHM_RND` rounds down to 0 is
//!   taken as no address (the kernel maps at 0 for `CAP_SYS_RAWIO`, else
//!   `EPERM`; probed on 6.18).
//!   a pool of huge pages ([`HugePages`]: `SHM_HUGETLB` is `EINVAL`, `EPERM` or
//!   `ENOMEM` as on a kernel with none reserved, and succeeds only with
//!   `SHM_NORESERVE`, on ordinary pages);
//!   `SHM_INFO`'s resident/swapped page counts (0).
//! - `ipcmni_extend`, `*_next_id` sysctls, LSM hooks, audit, user namespaces.
//! - Fairness between several blocked senders on one queue (they all retry; the
//!   kernel retries them in FIFO order).
//! - Capacity limits of the model itself give errors the kernel gives for its
//!   own limits: too many objects `ENOSPC` (as `*mni`), too many semaphores
//!   `ENOSPC` (as `semmns`), no room for message text, segment pages, undo
//!   records, attachments or waiters `ENOMEM`.
//!
//! # Bad input
//!
//! Nothing here panics on any argument: short message buffers are `EINVAL`,
//! null `*ctl` pointers `EFAULT` where the kernel would copy, unknown commands
//! `EINVAL`, sizes and values are range-checked before use.
#![no_std]
#![deny(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

mod fault;
mod ids;
mod lock;
mod maps;
mod msg;
mod perm;
mod sem;
mod shm;
mod wait;

use core::ffi::{CStr, c_void};

use heapless::Vec;
use sysv_ipc_abi::{
    Backend, Errno, FileId, IPC_CREAT, IPC_EXCL, IPC_PRIVATE, MSGMAX, MSGMNB, MSGMNI, SEMAEM,
    SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMVMX, SHMALL, SHMMAX, SHMMIN, SHMMNI, msginfo, msqid64_ds,
    sembuf, semid64_ds, seminfo, shm_info, shmid64_ds, shminfo64, timespec,
};

pub use fault::{Call, MAX_FAULTS};
pub use perm::{Caps, DEFAULT_MEMLOCK, MAX_GROUPS, Process};
pub use sem::{MAX_ADJ, MAX_UNDO};
pub use shm::{HugePages, MAX_ATTACH, PAGE_SIZE};
pub use wait::{MAX_WAIT_SOPS, MAX_WAITERS};

use fault::Faults;
use ids::{Entry, IdTable};
use lock::{Guard, Lock};
use msg::{MsgState, RecvStep, SendStep};
use sem::{SemState, SemStep};
use shm::ShmState;
use wait::{Kind, Status, Waiters};

/// The clock's initial value, in seconds since the epoch (2001-09-09): not 0, so
/// that "never" (`sem_otime == 0`, `msg_stime == 0`) stands out.
pub const DEFAULT_TIME: i64 = 1_000_000_000;
/// The virtual monotonic clock's initial value (as a machine up for 1000 s): not 0,
/// so that a caller's "time since" arithmetic is exercised away from zero.
pub const DEFAULT_MONOTONIC: core::time::Duration = core::time::Duration::from_secs(1000);
/// Files the fake file table holds.
pub const MAX_FILES: usize = 16;
/// Longest path the fake file table holds, in bytes.
pub const MAX_PATH: usize = 128;
/// Threads with their own [`Process`] (`std` only).
pub const MAX_THREADS: usize = 16;

/// The namespace's limits, as `/proc/sys/kernel/{msg*,sem,shm*}` set them.
///
/// [`Limits::LINUX`] (the default) is what a fresh IPC namespace reports through
/// `IPC_INFO` (measured on 6.18). `semvmx`, `semaem` and `shmmin` are constants in
/// Linux; they are settable here only to exercise callers. `IPC_INFO`'s `shmseg` is
/// `shmmni`, as in Linux.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest message text (`kernel.msgmax`).
    pub msgmax: i32,
    /// Initial `msg_qbytes` and the bound for raising it (`kernel.msgmnb`).
    pub msgmnb: i32,
    /// Most message queues (`kernel.msgmni`).
    pub msgmni: i32,
    /// Most semaphores per set.
    pub semmsl: i32,
    /// Most semaphores in all sets.
    pub semmns: i32,
    /// Most operations per `semop`.
    pub semopm: i32,
    /// Most semaphore sets.
    pub semmni: i32,
    /// Largest semaphore value.
    pub semvmx: i32,
    /// Largest undo adjustment.
    pub semaem: i32,
    /// Largest segment, in bytes.
    pub shmmax: u64,
    /// Smallest segment, in bytes.
    pub shmmin: u64,
    /// Most segments.
    pub shmmni: u64,
    /// Most pages in all segments.
    pub shmall: u64,
}

impl Limits {
    /// Linux's defaults.
    pub const LINUX: Limits = Limits {
        msgmax: MSGMAX,
        msgmnb: MSGMNB,
        msgmni: MSGMNI,
        semmsl: SEMMSL,
        semmns: SEMMNS,
        semopm: SEMOPM,
        semmni: SEMMNI,
        semvmx: SEMVMX,
        semaem: SEMAEM,
        shmmax: SHMMAX,
        shmmin: SHMMIN,
        shmmni: SHMMNI,
        shmall: SHMALL,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::LINUX
    }
}

/// What a call that has to wait does (see the crate docs).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OnBlock {
    /// Fail with `EDEADLK` (a timed `semtimedop`: `EAGAIN`), counted by
    /// [`Mock::would_block_count`].
    Fail,
    /// Block the calling thread until another thread's call settles it.
    #[cfg(feature = "std")]
    Wait,
}

/// What every call needs to know about its caller and the namespace.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Ctx {
    pub proc: Process,
    pub now: i64,
    pub limits: Limits,
}

struct File {
    path: Vec<u8, MAX_PATH>,
    id: FileId,
}

struct State<const OBJS: usize, const SEMS: usize, const MSGS: usize, const MSG_BYTES: usize> {
    now: i64,
    /// The virtual `CLOCK_MONOTONIC`, in nanoseconds.
    monotonic_ns: u64,
    process: Process,
    #[cfg(feature = "std")]
    threads: Vec<(std::thread::ThreadId, Process), MAX_THREADS>,
    limits: Limits,
    faults: Faults,
    on_block: OnBlock,
    would_block: u64,
    waiters: Waiters,
    msg: MsgState<OBJS, MSGS, MSG_BYTES>,
    sem: SemState<OBJS, SEMS>,
    shm: ShmState<OBJS>,
    files: Vec<File, MAX_FILES>,
}

impl<const OBJS: usize, const SEMS: usize, const MSGS: usize, const MSG_BYTES: usize>
    State<OBJS, SEMS, MSGS, MSG_BYTES>
{
    fn current(&self) -> Process {
        #[cfg(feature = "std")]
        {
            let me = std::thread::current().id();
            if let Some((_, p)) = self.threads.iter().find(|(t, _)| *t == me) {
                return *p;
            }
        }
        self.process
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            proc: self.current(),
            now: self.now,
            limits: self.limits,
        }
    }
}

/// Whether this build gives every attachment its own address, as the kernel
/// does: `true` with the `std` feature on Linux outside miri (the memfd model),
/// `false` otherwise (the arena model). See the crate docs, "Shared memory".
pub const DISTINCT_ADDRESSES: bool = maps::DISTINCT;

/// One page of segment memory.
#[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
#[repr(C, align(4096))]
struct Page([u8; PAGE_SIZE]);

/// An in-memory SysV IPC "kernel". See the crate docs.
///
/// Capacities (each bounded independently of the namespace [`Limits`]):
/// - `OBJS`: objects of each kind (queues, semaphore sets, segments);
/// - `SEMS`: semaphores in all sets;
/// - `MSGS`: messages on all queues; `MSG_BYTES`: bytes of their text;
/// - `SHM_PAGES`: pages of 4096 bytes for all segments.
///
/// With the defaults a `Mock` is 368 KiB in the arena model, 256 KiB of it the
/// pages, and 112 KiB in the memfd model, whose pages are in the segments'
/// files (x86_64, measured); build it in a `static` (`new` is `const`) or a
/// `Box`.
pub struct Mock<
    const OBJS: usize = 32,
    const SEMS: usize = 256,
    const MSGS: usize = 256,
    const MSG_BYTES: usize = 65536,
    const SHM_PAGES: usize = 64,
> {
    state: Lock<State<OBJS, SEMS, MSGS, MSG_BYTES>>,
    #[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
    arena: core::cell::UnsafeCell<[Page; SHM_PAGES]>,
}

// SAFETY: all model state is behind `state`'s lock (the memfd model's file
// descriptors too). Segment memory (the `Mock`'s arena, or the memfds' pages) is
// reached in two ways only: by callers, through the pointers `shmat` returned (the
// `Backend` contract says another process may write them at any time, so callers
// already treat them as shared), and, in the arena model, by the mock, which
// zero-fills the pages of a segment it is creating, under the lock, when no
// address `shmat` returned for those pages is still undetached (`find_pages` skips
// pages any mapping holds, and a mapping holds its pages until its `shmdt`, past
// its process's `exit_process`). So sharing `&Mock` between threads creates no
// data race the mock takes part in.
unsafe impl<const O: usize, const S: usize, const M: usize, const B: usize, const P: usize> Sync
    for Mock<O, S, M, B, P>
{
}

impl<const O: usize, const S: usize, const M: usize, const B: usize, const P: usize> Default
    for Mock<O, S, M, B, P>
{
    fn default() -> Self {
        Self::new()
    }
}

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// `d` in nanoseconds, saturating.
fn nanos(d: core::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A valid timeout (`valid_timeout` checked it: both fields non-negative) in
/// nanoseconds, saturating.
fn timespec_nanos(t: &timespec) -> u64 {
    (t.tv_sec as u64)
        .saturating_mul(NANOS_PER_SEC)
        .saturating_add(t.tv_nsec as u64)
}

/// Checks and creation shared by the three `*get` calls (`ipcget`).
pub(crate) fn ipcget<T, const N: usize>(
    ids: &mut IdTable<T, N>,
    ctx: &Ctx,
    key: i32,
    flg: i32,
    more_checks: impl FnOnce(&Entry<T>) -> Result<(), Errno>,
    create: impl FnOnce(&mut IdTable<T, N>) -> Result<i32, Errno>,
) -> Result<i32, Errno> {
    if key == IPC_PRIVATE {
        return create(ids);
    }
    let Some(pos) = ids.find_key(key) else {
        return if flg & IPC_CREAT == 0 {
            Err(Errno::NOENT)
        } else {
            create(ids)
        };
    };
    if flg & IPC_CREAT != 0 && flg & IPC_EXCL != 0 {
        return Err(Errno::EXIST);
    }
    let e = ids.get(pos).ok_or(Errno::INVAL)?;
    more_checks(e)?;
    // ipcperms takes the flags as a C `short`.
    e.perm.check(&ctx.proc, i32::from(flg as i16))?;
    Ok(e.id)
}

/// Reads and writes of a `*ctl` argument. `Err(EFAULT)` stands for a pointer the
/// kernel could not copy through (null).
pub(crate) trait CtlIo {
    fn write_msginfo(&mut self, v: &msginfo) -> Result<(), Errno>;
    fn write_msqid(&mut self, v: &msqid64_ds) -> Result<(), Errno>;
    fn read_msqid(&mut self) -> Result<msqid64_ds, Errno>;
    fn write_seminfo(&mut self, v: &seminfo) -> Result<(), Errno>;
    fn write_semid(&mut self, v: &semid64_ds) -> Result<(), Errno>;
    fn read_semid(&mut self) -> Result<semid64_ds, Errno>;
    fn write_u16(&mut self, i: usize, v: u16) -> Result<(), Errno>;
    fn read_u16(&mut self, i: usize) -> Result<u16, Errno>;
    fn write_shminfo(&mut self, v: &shminfo64) -> Result<(), Errno>;
    fn write_shm_info(&mut self, v: &shm_info) -> Result<(), Errno>;
    fn write_shmid(&mut self, v: &shmid64_ds) -> Result<(), Errno>;
    fn read_shmid(&mut self) -> Result<shmid64_ds, Errno>;
}

/// A `*ctl` pointer from the caller of an `unsafe` `*ctl` method, who promised it
/// is valid (or null) for what the command reads or writes.
struct RawIo(*mut c_void);

impl RawIo {
    fn write<T: Copy>(&mut self, v: &T) -> Result<(), Errno> {
        if self.0.is_null() {
            return Err(Errno::FAULT);
        }
        // SAFETY: not null, and the caller of msgctl/semctl/shmctl guaranteed the
        // pointer valid for writing the `T` this command writes; unaligned writes
        // keep us from assuming more alignment than a C caller gives.
        unsafe { self.0.cast::<T>().write_unaligned(*v) };
        Ok(())
    }

    fn read<T: Copy>(&mut self) -> Result<T, Errno> {
        if self.0.is_null() {
            return Err(Errno::FAULT);
        }
        // SAFETY: not null, and the caller guaranteed the pointer valid for reading
        // the `T` this command reads (all our `T` are plain integers, valid for
        // any bytes).
        Ok(unsafe { self.0.cast::<T>().read_unaligned() })
    }
}

impl CtlIo for RawIo {
    fn write_msginfo(&mut self, v: &msginfo) -> Result<(), Errno> {
        self.write(v)
    }
    fn write_msqid(&mut self, v: &msqid64_ds) -> Result<(), Errno> {
        self.write(v)
    }
    fn read_msqid(&mut self) -> Result<msqid64_ds, Errno> {
        self.read()
    }
    fn write_seminfo(&mut self, v: &seminfo) -> Result<(), Errno> {
        self.write(v)
    }
    fn write_semid(&mut self, v: &semid64_ds) -> Result<(), Errno> {
        self.write(v)
    }
    fn read_semid(&mut self) -> Result<semid64_ds, Errno> {
        self.read()
    }
    fn write_u16(&mut self, i: usize, v: u16) -> Result<(), Errno> {
        if self.0.is_null() {
            return Err(Errno::FAULT);
        }
        let p = self.0.cast::<u16>().wrapping_add(i);
        // SAFETY: for GETALL the caller guaranteed the pointer valid for the set's
        // `nsems` u16 values, and `i < nsems` (semctl_main loops over the set).
        unsafe { p.write_unaligned(v) };
        Ok(())
    }
    fn read_u16(&mut self, i: usize) -> Result<u16, Errno> {
        if self.0.is_null() {
            return Err(Errno::FAULT);
        }
        let p = self.0.cast::<u16>().wrapping_add(i);
        // SAFETY: for SETALL the caller guaranteed the pointer valid for the set's
        // `nsems` u16 values, and `i < nsems`.
        Ok(unsafe { p.read_unaligned() })
    }
    fn write_shminfo(&mut self, v: &shminfo64) -> Result<(), Errno> {
        self.write(v)
    }
    fn write_shm_info(&mut self, v: &shm_info) -> Result<(), Errno> {
        self.write(v)
    }
    fn write_shmid(&mut self, v: &shmid64_ds) -> Result<(), Errno> {
        self.write(v)
    }
    fn read_shmid(&mut self) -> Result<shmid64_ds, Errno> {
        self.read()
    }
}

/// How a blocked call was woken.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
enum Woke {
    Retry,
    Done(
        Result<usize, Errno>,
        #[cfg_attr(not(feature = "std"), allow(dead_code))] u64,
    ),
}

type G<'a, const O: usize, const S: usize, const M: usize, const B: usize> =
    Guard<'a, State<O, S, M, B>>;

impl<
    const OBJS: usize,
    const SEMS: usize,
    const MSGS: usize,
    const MSG_BYTES: usize,
    const SHM_PAGES: usize,
> Mock<OBJS, SEMS, MSGS, MSG_BYTES, SHM_PAGES>
{
    /// A fresh "kernel": no objects, [`Limits::LINUX`], the clock at
    /// [`DEFAULT_TIME`], the caller `Process::root(1)`, blocking per the feature
    /// (`Wait` with `std`, `Fail` without).
    pub const fn new() -> Self {
        Self {
            state: Lock::new(State {
                now: DEFAULT_TIME,
                monotonic_ns: DEFAULT_MONOTONIC.as_secs() * NANOS_PER_SEC,
                process: Process::root(1),
                #[cfg(feature = "std")]
                threads: Vec::new(),
                limits: Limits::LINUX,
                faults: Faults::new(),
                #[cfg(feature = "std")]
                on_block: OnBlock::Wait,
                #[cfg(not(feature = "std"))]
                on_block: OnBlock::Fail,
                would_block: 0,
                waiters: Waiters::new(),
                msg: MsgState::new(),
                sem: SemState::new(),
                shm: ShmState::new(),
                files: Vec::new(),
            }),
            #[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
            arena: core::cell::UnsafeCell::new([const { Page([0; PAGE_SIZE]) }; SHM_PAGES]),
        }
    }

    // ---- the simulated process -------------------------------------------------

    /// Makes `p` the caller of every later call (threads with their own process
    /// excepted).
    pub fn set_process(&self, p: Process) {
        self.state.lock().process = p;
    }

    /// The process the calling thread acts as.
    pub fn process(&self) -> Process {
        self.state.lock().current()
    }

    /// Makes `p` the caller of every later call made from this thread (`std`
    /// only). `Err(ENOSPC)` beyond [`MAX_THREADS`] threads.
    #[cfg(feature = "std")]
    pub fn set_thread_process(&self, p: Process) -> Result<(), Errno> {
        let me = std::thread::current().id();
        let mut g = self.state.lock();
        if let Some(slot) = g.threads.iter_mut().find(|(t, _)| *t == me) {
            slot.1 = p;
            return Ok(());
        }
        g.threads.push((me, p)).map_err(|_| Errno::NOSPC)
    }

    /// Makes this thread act as the mock-wide process again (`std` only).
    #[cfg(feature = "std")]
    pub fn clear_thread_process(&self) {
        let me = std::thread::current().id();
        self.state.lock().threads.retain(|(t, _)| *t != me);
    }

    /// Models `fork()` by process `parent`: the child `child` inherits the parent's
    /// segment attachments (each counts in `shm_nattch`; `shm_atime` and `shm_lpid`
    /// are stamped with the parent, as `shm_open` does when `dup_mmap` runs in the
    /// parent). Semaphore undo lists are not inherited, as without `CLONE_SYSVSEM`.
    /// Make `child` the current process with [`Mock::set_process`] to act as it, and
    /// end it with [`Mock::exit_process`].
    ///
    /// # Errors
    ///
    /// `ENOMEM` if the model has no room for the inherited attachments (nothing
    /// changes then).
    pub fn fork_process(&self, parent: i32, child: i32) -> Result<(), Errno> {
        let mut g = self.state.lock();
        let ctx = g.ctx();
        g.shm.fork(&ctx, parent, child)
    }

    /// Simulates the exit of process `pid`: applies and drops its `SEM_UNDO`
    /// adjustments (`exit_sem`) and detaches its attachments (`exit_shm`).
    ///
    /// The addresses its `shmat` calls returned stay mapped as `shmat` made them
    /// until each is passed to `shmdt` (by any process: see "Shared memory: two models"),
    /// since whatever holds them lives on in this address space.
    pub fn exit_process(&self, pid: i32) {
        let mut g = self.state.lock();
        let mut ctx = g.ctx();
        ctx.proc.pid = pid;
        let st = &mut *g;
        st.sem.exit(&mut st.waiters, &ctx, pid);
        st.shm.exit(&ctx, pid);
        self.wake(g);
    }

    // ---- limits, clock, blocking ----------------------------------------------

    /// The namespace's limits.
    pub fn limits(&self) -> Limits {
        self.state.lock().limits
    }

    /// Sets the namespace's limits (as writing `/proc/sys/kernel/*` would; existing
    /// objects keep what they have).
    pub fn set_limits(&self, l: Limits) {
        self.state.lock().limits = l;
    }

    /// The system's huge pages (default [`HugePages::X86_64`]).
    pub fn huge_pages(&self) -> HugePages {
        self.state.lock().shm.huge
    }

    /// Sets the system's huge pages (as the kernel's configuration and
    /// `/proc/sys/vm/hugetlb_shm_group` would; existing segments keep what they have).
    pub fn set_huge_pages(&self, h: HugePages) {
        self.state.lock().shm.huge = h;
    }

    /// The clock, in seconds since the epoch.
    pub fn now(&self) -> i64 {
        self.state.lock().now
    }

    /// Sets the clock.
    pub fn set_now(&self, secs: i64) {
        self.state.lock().now = secs;
    }

    /// Moves the clock forward by `secs` (saturating).
    pub fn advance(&self, secs: i64) {
        let mut g = self.state.lock();
        g.now = g.now.saturating_add(secs);
    }

    /// The virtual monotonic clock (`clock_gettime(CLOCK_MONOTONIC)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc_abi::{Backend, CLOCK_MONOTONIC, IPC_PRIVATE, sembuf, timespec};
    /// use sysv_ipc_mock::{DEFAULT_MONOTONIC, Mock, OnBlock};
    ///
    /// let kernel: Mock = Mock::new();
    /// assert_eq!(kernel.monotonic(), DEFAULT_MONOTONIC);
    /// kernel.advance_monotonic(Duration::from_millis(1500));
    /// let t = kernel.clock_gettime(CLOCK_MONOTONIC).unwrap();
    /// assert_eq!((t.tv_sec, t.tv_nsec), (1001, 500_000_000));
    /// // A timed wait that runs out takes its whole timeout, and nothing else does.
    /// kernel.set_on_block(OnBlock::Fail);
    /// let set = kernel.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    /// let wait = [sembuf { sem_num: 0, sem_op: -1, sem_flg: 0 }];
    /// let t = timespec { tv_sec: 0, tv_nsec: 250_000_000 };
    /// assert!(kernel.semtimedop(set, &wait, Some(&t)).is_err()); // EAGAIN
    /// assert_eq!(kernel.monotonic(), Duration::from_millis(1_001_750));
    /// ```
    pub fn monotonic(&self) -> core::time::Duration {
        let ns = self.state.lock().monotonic_ns;
        core::time::Duration::new(ns / NANOS_PER_SEC, (ns % NANOS_PER_SEC) as u32)
    }

    /// Moves the virtual monotonic clock forward by `d` (saturating), as time passing
    /// outside any timed wait.
    pub fn advance_monotonic(&self, d: core::time::Duration) {
        let mut g = self.state.lock();
        g.monotonic_ns = g.monotonic_ns.saturating_add(nanos(d));
    }

    /// Chooses what a call that has to wait does.
    pub fn set_on_block(&self, b: OnBlock) {
        self.state.lock().on_block = b;
    }

    /// How many calls failed because they would have blocked ([`OnBlock::Fail`]).
    pub fn would_block_count(&self) -> u64 {
        self.state.lock().would_block
    }

    /// Callers blocked right now (`std`; always 0 without it).
    pub fn blocked(&self) -> usize {
        let g = self.state.lock();
        g.waiters
            .list
            .iter()
            .filter(|w| w.status == Status::Pending)
            .count()
    }

    /// Blocked senders and receivers of queue `msqid`.
    pub fn msg_waiters(&self, msqid: i32) -> (usize, usize) {
        MsgState::<OBJS, MSGS, MSG_BYTES>::waiting(&self.state.lock().waiters, msqid)
    }

    /// Makes every blocked call return `EINTR`, as a signal would; returns how many.
    pub fn interrupt_waiters(&self) -> usize {
        let mut g = self.state.lock();
        let n = g.waiters.interrupt(None);
        drop(g);
        self.state.notify_all();
        n
    }

    /// Makes the blocked calls of process `pid` return `EINTR`; returns how many.
    pub fn interrupt_pid(&self, pid: i32) -> usize {
        let mut g = self.state.lock();
        let n = g.waiters.interrupt(Some(pid));
        drop(g);
        self.state.notify_all();
        n
    }

    // ---- faults and counts ----------------------------------------------------

    /// How many times `call` was made (injected failures included).
    pub fn calls(&self, call: Call) -> u64 {
        self.state.lock().faults.count(call)
    }

    /// Makes the `nth` call of `call` (1-based, counting every call since the mock
    /// was made) fail with `errno` without doing anything. `Err(ENOSPC)` beyond
    /// [`MAX_FAULTS`] scripted faults.
    pub fn fail_nth(&self, call: Call, nth: u64, errno: Errno) -> Result<(), Errno> {
        if nth == 0 {
            return Err(Errno::INVAL);
        }
        self.state.lock().faults.fail_nth(call, nth, errno)
    }

    /// Makes the next not-yet-scripted call of `call` fail with `errno`.
    pub fn fail_next(&self, call: Call, errno: Errno) -> Result<(), Errno> {
        self.state.lock().faults.fail_next(call, errno)
    }

    /// Makes every call of `call` fail with `errno` until [`Mock::clear_faults`].
    pub fn fail_always(&self, call: Call, errno: Errno) -> Result<(), Errno> {
        self.state.lock().faults.fail_always(call, errno)
    }

    /// Drops every scripted failure.
    pub fn clear_faults(&self) {
        self.state.lock().faults.clear();
    }

    // ---- administrator actions -------------------------------------------------

    /// Removes queue `msqid` regardless of permissions (as root's `ipcrm` would).
    pub fn remove_msg(&self, msqid: i32) -> Result<(), Errno> {
        let mut g = self.state.lock();
        let st = &mut *g;
        let r = st.msg.remove(&mut st.waiters, msqid);
        self.wake(g);
        r
    }

    /// Removes semaphore set `semid` regardless of permissions.
    pub fn remove_sem(&self, semid: i32) -> Result<(), Errno> {
        let mut g = self.state.lock();
        let st = &mut *g;
        let r = st.sem.remove(&mut st.waiters, semid);
        self.wake(g);
        r
    }

    /// Removes segment `shmid` regardless of permissions (`SHM_DEST` while attached).
    pub fn remove_shm(&self, shmid: i32) -> Result<(), Errno> {
        self.state.lock().shm.remove(shmid)
    }

    /// The `SEM_UNDO` adjustment process `pid` holds on semaphore `num` of `semid`
    /// (0 if none); Linux has no call for it, tests do.
    pub fn semadj(&self, pid: i32, semid: i32, num: u16) -> i32 {
        self.state.lock().sem.semadj(pid, semid, num)
    }

    /// How many live attachments process `pid` has, and how many are `SHM_RDONLY`.
    pub fn attachments(&self, pid: i32) -> (usize, usize) {
        let g = self.state.lock();
        g.shm
            .attachments(pid)
            .fold((0, 0), |(n, ro), (_, _, r)| (n + 1, ro + usize::from(r)))
    }

    /// Adds `path` to the fake file table with the given `stat` device and inode
    /// (what `file_id`, and so `ftok`, will see). `ENAMETOOLONG` beyond
    /// [`MAX_PATH`] bytes, `ENOSPC` beyond [`MAX_FILES`] files.
    pub fn add_file(&self, path: &CStr, dev: u64, ino: u64) -> Result<(), Errno> {
        let mut p: Vec<u8, MAX_PATH> = Vec::new();
        p.extend_from_slice(path.to_bytes())
            .map_err(|_| Errno::NAMETOOLONG)?;
        let mut g = self.state.lock();
        let id = FileId { dev, ino };
        if let Some(f) = g.files.iter_mut().find(|f| f.path == p) {
            f.id = id;
            return Ok(());
        }
        g.files.push(File { path: p, id }).map_err(|_| Errno::NOSPC)
    }

    // ---- plumbing -----------------------------------------------------------

    /// Enters call `call`: counts it and applies the fault script.
    fn enter(&self, call: Call) -> Result<G<'_, OBJS, SEMS, MSGS, MSG_BYTES>, Errno> {
        let mut g = self.state.lock();
        g.faults.enter(call)?;
        Ok(g)
    }

    /// Unlocks, waking blocked callers if there are any (their records may have
    /// been settled by this call).
    fn wake(&self, g: G<'_, OBJS, SEMS, MSGS, MSG_BYTES>) {
        let any = !g.waiters.is_empty();
        drop(g);
        if any {
            self.state.notify_all();
        }
    }

    /// A call that has to wait: fails (`OnBlock::Fail`) or sleeps until its
    /// record is settled, the `timeout` passes (`EAGAIN`), or it is told to retry.
    fn sleep<'a>(
        &'a self,
        mut g: G<'a, OBJS, SEMS, MSGS, MSG_BYTES>,
        pid: i32,
        kind: Kind,
        timeout: Option<&timespec>,
    ) -> (G<'a, OBJS, SEMS, MSGS, MSG_BYTES>, Result<Woke, Errno>) {
        if g.on_block == OnBlock::Fail {
            g.would_block = g.would_block.saturating_add(1);
            let e = match timeout {
                // What the timeout would end in, after taking its whole time.
                Some(t) => {
                    g.monotonic_ns = g.monotonic_ns.saturating_add(timespec_nanos(t));
                    Errno::AGAIN
                }
                None => Errno::DEADLK,
            };
            return (g, Err(e));
        }
        #[cfg(not(feature = "std"))]
        {
            // Unreachable: without std, OnBlock has only `Fail`.
            let _ = (pid, kind);
            (g, Err(Errno::DEADLK))
        }
        #[cfg(feature = "std")]
        {
            use std::time::{Duration, Instant};
            let token = match g.waiters.add(pid, kind) {
                Ok(t) => t,
                Err(e) => return (g, Err(e)),
            };
            let deadline = timeout.and_then(|t| {
                let d = Duration::new(t.tv_sec as u64, t.tv_nsec as u32);
                Instant::now().checked_add(d)
            });
            loop {
                if g.waiters.status(token) != Some(Status::Pending) {
                    break;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                g = self.state.wait(g, deadline);
            }
            let r = match g.waiters.remove(token) {
                Some(Status::Pending) => {
                    // Ran out: its whole timeout passed on the virtual clock too.
                    let t = timeout.map_or(0, timespec_nanos);
                    g.monotonic_ns = g.monotonic_ns.saturating_add(t);
                    Err(Errno::AGAIN)
                }
                Some(Status::Retry) => Ok(Woke::Retry),
                Some(Status::Done(r)) => Ok(Woke::Done(r, token)),
                None => Err(Errno::INVAL),
            };
            (g, r)
        }
    }

    /// The start of the arena model's pages (null in the memfd model, which
    /// has none in the `Mock`).
    fn arena_base(&self) -> *mut u8 {
        #[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
        return self.arena.get().cast::<u8>();
        #[cfg(all(feature = "std", target_os = "linux", not(miri)))]
        core::ptr::null_mut()
    }
}

// SAFETY: every method keeps the trait's promises: message buffers are read or
// written only within the slices given; `msgrcv` writes `mtype` and exactly the
// returned number of text bytes; `shmat` returns the start of the segment's pages,
// `shm_segsz` bytes or more (whole pages), 4096-aligned: a new `mmap` of them in
// the memfd model (the kernel aligns it to a page; `PROT_WRITE` unless
// `SHM_RDONLY`), else in `arena` (`Page` is `align(4096)`); zero-filled at
// creation, and neither unmapped nor reused for another segment while any
// address `shmat` returned for them is not yet detached (`find_pages` skips the
// pages of every live segment and of every mapping `shmat` made until its
// `shmdt`, `exit_process` included, and `shm::ShmState::forget` unmaps an address
// only with its last record: see `shm::Attach`); `*ctl` calls write at most the
// struct or array their command documents (`RawIo`); results and errors follow
// the kernel's code.
unsafe impl<
    const OBJS: usize,
    const SEMS: usize,
    const MSGS: usize,
    const MSG_BYTES: usize,
    const SHM_PAGES: usize,
> Backend for Mock<OBJS, SEMS, MSGS, MSG_BYTES, SHM_PAGES>
{
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        let mut g = self.enter(Call::Msgget)?;
        let ctx = g.ctx();
        g.msg.msgget(&ctx, key, msgflg)
    }

    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        let mut g = self.enter(Call::Msgsnd)?;
        let mut ctx = g.ctx();
        loop {
            let st = &mut *g;
            match st
                .msg
                .send_step(&mut st.waiters, &ctx, msqid, msg, msgflg)?
            {
                SendStep::Sent => {
                    self.wake(g);
                    return Ok(());
                }
                SendStep::Block(w) => {
                    let (ng, r) = self.sleep(g, ctx.proc.pid, Kind::Send(w), None);
                    g = ng;
                    ctx.now = g.now;
                    match r? {
                        Woke::Retry => continue,
                        Woke::Done(r, _) => return r.map(|_| ()),
                    }
                }
            }
        }
    }

    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        let mut g = self.enter(Call::Msgrcv)?;
        let mut ctx = g.ctx();
        loop {
            let st = &mut *g;
            match st
                .msg
                .recv_step(&mut st.waiters, &ctx, msqid, msg, msgtyp, msgflg)?
            {
                RecvStep::Got(n) => {
                    self.wake(g);
                    return Ok(n);
                }
                RecvStep::Block(w) => {
                    let (ng, r) = self.sleep(g, ctx.proc.pid, Kind::Recv(w), None);
                    g = ng;
                    ctx.now = g.now;
                    match r? {
                        Woke::Retry => continue,
                        Woke::Done(Err(e), _) => return Err(e),
                        #[cfg(feature = "std")]
                        Woke::Done(Ok(_), token) => return g.msg.take_delivered(token, msg),
                        #[cfg(not(feature = "std"))]
                        Woke::Done(Ok(_), _) => return Err(Errno::DEADLK),
                    }
                }
            }
        }
    }

    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        let mut g = self.enter(Call::Msgctl)?;
        let ctx = g.ctx();
        let st = &mut *g;
        let r = st
            .msg
            .msgctl(&mut st.waiters, &ctx, msqid, cmd, &mut RawIo(buf));
        self.wake(g);
        r
    }

    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        let mut g = self.enter(Call::Semget)?;
        let ctx = g.ctx();
        g.sem.semget(&ctx, key, nsems, semflg)
    }

    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        let g = self.enter(Call::Semop)?;
        self.do_semop(g, semid, sops, None)
    }

    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        let g = self.enter(Call::Semtimedop)?;
        self.do_semop(g, semid, sops, timeout)
    }

    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        let mut g = self.enter(Call::Semctl)?;
        let ctx = g.ctx();
        let st = &mut *g;
        let mut io = RawIo(arg);
        let r = st
            .sem
            .semctl(&mut st.waiters, &ctx, semid, semnum, cmd, arg, &mut io);
        self.wake(g);
        r
    }

    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        let mut g = self.enter(Call::Shmget)?;
        let ctx = g.ctx();
        let (id, fresh) = g.shm.shmget(&ctx, key, size, shmflg, SHM_PAGES)?;
        // The memfd model's segment is a new file, all zero.
        #[cfg(all(feature = "std", target_os = "linux", not(miri)))]
        let _ = fresh;
        #[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
        if let Some((first, pages)) = fresh {
            let p = self.arena_base().wrapping_add(first * PAGE_SIZE);
            // SAFETY: pages `first..first + pages` lie inside the arena
            // (`find_pages` keeps `first + pages <= SHM_PAGES`), belong to the
            // segment just created, and no address into them is out: `find_pages`
            // skipped every page a mapping not yet detached holds. We hold the
            // lock, so no other call hands them out meanwhile.
            unsafe { core::ptr::write_bytes(p, 0, pages * PAGE_SIZE) };
        }
        Ok(id)
    }

    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno> {
        let mut g = self.enter(Call::Shmat)?;
        let ctx = g.ctx();
        let p = g
            .shm
            .shmat(&ctx, shmid, shmaddr.addr(), shmflg, self.arena_base())?;
        Ok(p.cast())
    }

    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        let mut g = self.enter(Call::Shmdt)?;
        let ctx = g.ctx();
        g.shm.shmdt(&ctx, shmaddr as usize)
    }

    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        let mut g = self.enter(Call::Shmctl)?;
        let ctx = g.ctx();
        g.shm.shmctl(&ctx, shmid, cmd, &mut RawIo(buf))
    }

    fn file_id(&self, path: &CStr) -> Result<FileId, Errno> {
        let g = self.enter(Call::FileId)?;
        let p = path.to_bytes();
        if p.len() > 4095 {
            return Err(Errno::NAMETOOLONG);
        }
        g.files
            .iter()
            .find(|f| f.path.as_slice() == p)
            .map(|f| f.id)
            .ok_or(Errno::NOENT)
    }

    fn getpid(&self) -> i32 {
        self.state.lock().current().pid
    }

    /// `CLOCK_MONOTONIC` from the virtual clock ([`Mock::monotonic`]),
    /// `CLOCK_REALTIME` from the seconds clock ([`Mock::now`]); any other clock is
    /// `EINVAL`, as for a clock the kernel does not have.
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        let g = self.enter(Call::ClockGettime)?;
        match clockid {
            sysv_ipc_abi::CLOCK_MONOTONIC => Ok(timespec {
                tv_sec: (g.monotonic_ns / NANOS_PER_SEC) as i64,
                tv_nsec: (g.monotonic_ns % NANOS_PER_SEC) as i64,
            }),
            sysv_ipc_abi::CLOCK_REALTIME => Ok(timespec {
                tv_sec: g.now,
                tv_nsec: 0,
            }),
            _ => Err(Errno::INVAL),
        }
    }

    /// Time passes instead of a sleep: the virtual monotonic clock moves by
    /// `request` (as if the caller were alone), and with `std` the calling thread
    /// yields once, so that threads it waits for get to run. `EINVAL` for a clock
    /// other than `CLOCK_MONOTONIC` and `CLOCK_REALTIME`, or an invalid `request`,
    /// as the kernel checks them.
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        let mut g = self.enter(Call::ClockNanosleep)?;
        let known = matches!(
            clockid,
            sysv_ipc_abi::CLOCK_MONOTONIC | sysv_ipc_abi::CLOCK_REALTIME
        );
        if !known || !sem::valid_timeout(request) {
            return Err(Errno::INVAL);
        }
        g.monotonic_ns = g.monotonic_ns.saturating_add(timespec_nanos(request));
        drop(g);
        #[cfg(feature = "std")]
        std::thread::yield_now();
        Ok(())
    }

    /// A kernel without the expedited barriers: `MEMBARRIER_CMD_QUERY` answers an
    /// empty mask and every other command is `EINVAL`, as the kernel answers a
    /// command it does not support.
    ///
    /// The mock's "processes" are threads of one address space, and nothing in user
    /// space can make another thread execute a barrier: a `SeqCst` fence on the
    /// caller alone would not order a peer's fence-free accesses (the
    /// store-buffering outcome stays possible), so reporting the command would be a
    /// lie that loses wake-ups. Layouts over the mock therefore keep their symmetric
    /// fences, which is what a kernel without `membarrier` gets too.
    fn membarrier(&self, cmd: i32, flags: u32, _cpu_id: i32) -> Result<i32, Errno> {
        drop(self.enter(Call::Membarrier)?);
        match (cmd, flags) {
            (sysv_ipc_abi::MEMBARRIER_CMD_QUERY, 0) => Ok(0),
            _ => Err(Errno::INVAL),
        }
    }

    /// Counted (and open to scripted faults) like every call, and 0 woken: the
    /// mock's processes wait on semaphores only, never on a futex (an asynchronous
    /// waiter sleeps in the real kernel, which a mock-backed layout cannot reach).
    /// An unaligned word is `EINVAL`, as the kernel says.
    fn futex_wake(&self, uaddr: *const u32, _n: i32) -> Result<i32, Errno> {
        drop(self.enter(Call::FutexWake)?);
        if !(uaddr as usize).is_multiple_of(4) {
            return Err(Errno::INVAL);
        }
        Ok(0)
    }
}

impl<
    const OBJS: usize,
    const SEMS: usize,
    const MSGS: usize,
    const MSG_BYTES: usize,
    const SHM_PAGES: usize,
> Mock<OBJS, SEMS, MSGS, MSG_BYTES, SHM_PAGES>
{
    fn do_semop(
        &self,
        mut g: G<'_, OBJS, SEMS, MSGS, MSG_BYTES>,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        let ctx = g.ctx();
        let st = &mut *g;
        match st
            .sem
            .semop_step(&mut st.waiters, &ctx, semid, sops, timeout)?
        {
            SemStep::Done => {
                self.wake(g);
                Ok(())
            }
            SemStep::Block(w) => {
                let (g, r) = self.sleep(g, ctx.proc.pid, Kind::Sem(w), timeout);
                drop(g);
                match r? {
                    // Semaphore waiters are only ever settled, never retried.
                    Woke::Retry => Err(Errno::INTR),
                    Woke::Done(r, _) => r.map(|_| ()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
