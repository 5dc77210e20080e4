//! The `Backend` trait: one method per System V IPC entry point.

use core::ffi::{CStr, c_void};
use core::ptr;

use crate::{Errno, FileId, sembuf, timespec};

/// Size of the `mtype` field that starts every message buffer (`long` on 64-bit Linux).
pub const MTYPE_SIZE: usize = 8;

/// `union semun` holding `int val`, `semctl(SETVAL)`'s argument, as the word
/// [`Backend::semctl`] takes: `val` in the low 32 bits (where the kernel reads it on
/// little-endian 64-bit targets), as a pointer without provenance, never dereferenced.
/// [`semun_val_of`] reads it back.
#[inline]
pub const fn semun_val(val: i32) -> *mut c_void {
    ptr::without_provenance_mut(val as u32 as usize)
}

/// The `int val` of a `union semun` word made by [`semun_val`] (or by a C caller):
/// its low 32 bits, as the kernel's `semctl(SETVAL)` reads them.
#[inline]
pub fn semun_val_of(arg: *mut c_void) -> i32 {
    arg.addr() as u32 as i32
}

/// The System V IPC calls, kernel-shaped: the same arguments, flags and commands as
/// the syscalls, results as `Result<_, Errno>`.
///
/// Three implementations exist: `sysv-ipc-linux-raw` (inline-asm syscalls),
/// `sysv-ipc-libc` (the C library) and `sysv-ipc-mock` (an in-memory model of the
/// kernel, where `&Mock` is the backend). The safe API is generic over this trait
/// and never issues a syscall itself.
///
/// Message buffers are byte slices laid out as C's `struct msgbuf`: the native-endian
/// `i64` `mtype` in the first [`MTYPE_SIZE`] bytes, then the text. The text size the
/// kernel sees (`msgsz`) is `buf.len() - MTYPE_SIZE`; a slice shorter than the
/// `mtype` field is `EINVAL`, as a negative `msgsz` is for the kernel.
///
/// # Safety
///
/// The safe layer builds references and atomics over what a backend returns, so an
/// implementation must guarantee, for every call:
///
/// - Slices passed in are read (or, for `msgrcv`, written) only within their bounds,
///   and not after the call returns.
/// - `msgrcv` returns `Ok(n)` only after writing `mtype` and exactly `n` text bytes
///   into the buffer, with `n <= buf.len() - MTYPE_SIZE`.
/// - `shmat` returns `Ok(p)` only if `p` is aligned to at least
///   [`SHMLBA_MIN`](crate::SHMLBA_MIN) and is the start of a mapping of the
///   segment's memory that is readable for at least `shm_segsz` bytes (and writable,
///   unless `SHM_RDONLY` was given: then it may be mapped read-only, and a write
///   faults), whose bytes were zero when the segment was created, and that stays
///   valid until `shmdt(p)` through the same backend value (or the process exits).
///   Every mapping of one segment shows the same bytes: a write through one is read
///   through every other. Two attachments may have distinct addresses (the kernel's
///   always do, each its own mapping) or, in a model without an MMU, the same one;
///   callers assume neither. The memory may be written by other processes at any time.
/// - `*ctl` calls write through their pointer argument at most the struct that the
///   command documents (`msqid64_ds`/`msginfo`, `semid64_ds`/`seminfo`/`u16` array,
///   `shmid64_ds`/`shminfo64`/`shm_info`) and nothing else.
/// - Results and errors are those the kernel documents for the call; in particular
///   no `*ctl` command has `IPC_64` ORed in by the backend.
pub unsafe trait Backend {
    /// `msgget(key, msgflg)`: the id of the message queue for `key`, creating it with
    /// `IPC_CREAT`. See msgget(2).
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno>;

    /// `msgsnd(msqid, msgp, msgsz, msgflg)`: queue the message in `msg` (`mtype`
    /// then text; see the trait docs). See msgop(2).
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno>;

    /// `msgrcv(msqid, msgp, msgsz, msgtyp, msgflg)`: take a message selected by
    /// `msgtyp` into `msg` (`mtype` then up to `msg.len() - 8` text bytes); returns
    /// the number of text bytes. See msgop(2).
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno>;

    /// `msgctl(msqid, cmd, buf)`: control operations; returns the kernel's
    /// non-negative result (0, or an id or index for `*_STAT`/`*_INFO`). See msgctl(2).
    ///
    /// # Safety
    ///
    /// `buf` must be valid for what `cmd` reads or writes: a `msqid64_ds` for
    /// `IPC_STAT`, `IPC_SET`, `MSG_STAT`, `MSG_STAT_ANY`; a `msginfo` for `IPC_INFO`
    /// and `MSG_INFO`; anything (null included) for `IPC_RMID`.
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno>;

    /// `semget(key, nsems, semflg)`: the id of the semaphore set for `key`. See semget(2).
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno>;

    /// `semop(semid, sops, nsops)`: perform all of `sops` atomically. An empty slice
    /// is `EINVAL`, more than `semopm` operations `E2BIG`. See semop(2).
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno>;

    /// `semtimedop(semid, sops, nsops, timeout)`: `semop` that gives up with `EAGAIN`
    /// after the *relative* `timeout` (`None` waits forever). See semop(2).
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno>;

    /// `semctl(semid, semnum, cmd, arg)`: control operations, with `union semun`
    /// passed by value as one pointer-sized word in `arg`. Returns the kernel's
    /// non-negative result (a value for `GET*`, an id or index for `SEM_STAT*`/`*INFO`).
    /// See semctl(2).
    ///
    /// `arg` is a pointer so that the buffers' provenance reaches the backend intact
    /// (the mock dereferences it); `SETVAL`'s `int` travels as a pointer without
    /// provenance, made by [`semun_val`], and is never dereferenced.
    ///
    /// # Safety
    ///
    /// For `IPC_STAT`, `IPC_SET`, `SEM_STAT`, `SEM_STAT_ANY`, `arg` must be a pointer
    /// valid for a `semid64_ds`; for `IPC_INFO`, `SEM_INFO` a pointer valid for a
    /// `seminfo`; for `GETALL`, `SETALL` a pointer valid for `nsems` `u16` values (the
    /// set's real size). For `SETVAL` it is the value ([`semun_val`]); for the rest it
    /// is ignored.
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno>;

    /// `shmget(key, size, shmflg)`: the id of the segment for `key`. See shmget(2).
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno>;

    /// `shmat(shmid, shmaddr, shmflg)`: map the segment; returns its address. See shmop(2).
    ///
    /// # Safety
    ///
    /// If `shmaddr` is not null, the caller must own the address range (with
    /// `SHM_REMAP` the kernel replaces whatever is mapped there); with a null
    /// `shmaddr` there is no requirement.
    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno>;

    /// `shmdt(shmaddr)`: unmap the attachment that starts at `shmaddr`. See shmop(2).
    ///
    /// # Safety
    ///
    /// No reference into the mapping may be used after this call.
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno>;

    /// `shmctl(shmid, cmd, buf)`: control operations; returns the kernel's
    /// non-negative result. See shmctl(2).
    ///
    /// # Safety
    ///
    /// `buf` must be valid for what `cmd` reads or writes: a `shmid64_ds` for
    /// `IPC_STAT`, `IPC_SET`, `SHM_STAT`, `SHM_STAT_ANY`; a `shminfo64` for
    /// `IPC_INFO`; a `shm_info` for `SHM_INFO`; anything for `IPC_RMID`,
    /// `SHM_LOCK`, `SHM_UNLOCK`.
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno>;

    /// `stat(path)` (following symlinks), reduced to the device and inode numbers
    /// that `ftok(3)` combines into a key.
    fn file_id(&self, path: &CStr) -> Result<FileId, Errno>;

    /// `getpid()`: the calling process's id (for the mock, the simulated one).
    fn getpid(&self) -> i32;

    /// [`getpid`](Self::getpid), for checks made on every message (is this role
    /// still held by the process that claimed it, or by a child that inherited it
    /// through `fork`?): the same value, without a system call where the backend
    /// can keep a cache that `fork` does not carry into the child. The raw and libc
    /// backends keep it in a page marked `MADV_WIPEONFORK` (Linux 4.14+), which a
    /// child sees zero-filled; where that page cannot be made they call `getpid`
    /// every time. A process created with `clone(CLONE_VM)` without
    /// `CLONE_THREAD` shares the page, and reads its parent's id until it calls
    /// `fork`; so does a child under qemu-user 7.2, which answers the advice with
    /// success and still copies the page. The default calls
    /// [`getpid`](Self::getpid).
    fn getpid_cached(&self) -> i32 {
        self.getpid()
    }

    /// `membarrier(cmd, flags, cpu_id)`: issue memory barriers on a set of threads
    /// (the heavy half of an asymmetric barrier); for
    /// [`MEMBARRIER_CMD_QUERY`](crate::MEMBARRIER_CMD_QUERY) the mask of the
    /// supported commands, otherwise 0. `ENOSYS` where the call does not exist (or a
    /// seccomp filter or emulator hides it), `EINVAL` for an unsupported command.
    /// See membarrier(2).
    ///
    /// Not a System V IPC call: the crate's shared layouts use it so that the side
    /// of a wake-up handshake that runs on every message needs no fence (see
    /// `sysv_ipc::layout::ring`). A backend that cannot give the kernel's guarantee
    /// must not report the command in the query's mask.
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno>;

    /// `futex(uaddr, FUTEX_WAKE, n)` (shared: any process mapping the same memory):
    /// wakes up to `n` threads sleeping in a futex wait on the 32-bit word at
    /// `uaddr` and returns how many it woke. `EFAULT` if `uaddr` is not mapped,
    /// `EINVAL` if it is not 4-byte aligned. See futex(2).
    ///
    /// Not a System V IPC call: an asynchronous waiter on one of the crate's
    /// shared layouts (the `sysv-ipc-async` crate) cannot sleep on a semaphore,
    /// which no event loop can wait on beside other events; it sleeps on the
    /// layout's waiting flag itself, and the side that clears the flag wakes it
    /// with this. The kernel only hashes the address (it neither reads nor writes
    /// the word), so any address is safe to pass. A backend with no futexes (the
    /// mock) answers 0: nobody can be waiting there through it.
    fn futex_wake(&self, uaddr: *const u32, n: i32) -> Result<i32, Errno>;

    /// `clock_gettime(clockid, &tp)`: the time of clock `clockid`
    /// ([`CLOCK_MONOTONIC`](crate::CLOCK_MONOTONIC), ...); `EINVAL` for a clock the
    /// backend does not have. See clock_gettime(2).
    ///
    /// Not a System V IPC call: `semtimedop`'s timeout is relative and the kernel
    /// does not report what is left of it, so a call of the crate's layouts that may
    /// wait several times (a queue's timed enqueue or dequeue) measures its deadline
    /// with `CLOCK_MONOTONIC`. The mock answers from a virtual clock.
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno>;

    /// `clock_nanosleep(clockid, 0, request, NULL)`: sleeps for the relative time
    /// `request` measured on clock `clockid`; `EINTR` if a signal handler ran
    /// first (what was left is not reported), `EINVAL` for a clock the backend does
    /// not have or a `tv_nsec` outside `0..1_000_000_000`. See clock_nanosleep(2).
    ///
    /// Not a System V IPC call: a process waiting for a layout's creator sleeps
    /// between its looks at the header, so that it never starves a creator of
    /// lower priority on its CPU (a spin loop would, under `SCHED_FIFO`). The mock
    /// moves its virtual clock by `request` instead of sleeping.
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno>;
}

// SAFETY: a shared reference forwards every call to the referenced backend, which
// upholds the contract itself.
unsafe impl<B: Backend + ?Sized> Backend for &B {
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        (**self).msgget(key, msgflg)
    }
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        (**self).msgsnd(msqid, msg, msgflg)
    }
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        (**self).msgrcv(msqid, msg, msgtyp, msgflg)
    }
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller upholds msgctl's contract, which we pass on unchanged.
        unsafe { (**self).msgctl(msqid, cmd, buf) }
    }
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        (**self).semget(key, nsems, semflg)
    }
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        (**self).semop(semid, sops)
    }
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        (**self).semtimedop(semid, sops, timeout)
    }
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        // SAFETY: the caller upholds semctl's contract, which we pass on unchanged.
        unsafe { (**self).semctl(semid, semnum, cmd, arg) }
    }
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        (**self).shmget(key, size, shmflg)
    }
    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno> {
        // SAFETY: the caller upholds shmat's contract, which we pass on unchanged.
        unsafe { (**self).shmat(shmid, shmaddr, shmflg) }
    }
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        // SAFETY: the caller upholds shmdt's contract, which we pass on unchanged.
        unsafe { (**self).shmdt(shmaddr) }
    }
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller upholds shmctl's contract, which we pass on unchanged.
        unsafe { (**self).shmctl(shmid, cmd, buf) }
    }
    fn file_id(&self, path: &CStr) -> Result<FileId, Errno> {
        (**self).file_id(path)
    }
    fn getpid(&self) -> i32 {
        (**self).getpid()
    }
    fn getpid_cached(&self) -> i32 {
        (**self).getpid_cached()
    }
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno> {
        (**self).membarrier(cmd, flags, cpu_id)
    }
    fn futex_wake(&self, uaddr: *const u32, n: i32) -> Result<i32, Errno> {
        (**self).futex_wake(uaddr, n)
    }
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        (**self).clock_gettime(clockid)
    }
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        (**self).clock_nanosleep(clockid, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semun_val_is_the_low_32_bits_of_the_word() {
        for v in [0, 1, 32767, 32768, -1, i32::MIN, i32::MAX] {
            let word = semun_val(v);
            assert_eq!(word.addr(), v as u32 as usize, "{v}");
            assert_eq!(semun_val_of(word), v);
        }
        // Bits above the `int` (a C caller's union may leave them set) are not read.
        assert_eq!(
            semun_val_of(ptr::without_provenance_mut(0xdead_0000_0005)),
            5
        );
    }
}
