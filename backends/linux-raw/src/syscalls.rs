//! The [`Backend`] implementation: one function per system call.
//!
//! Integers are widened to registers with sign extension (`int` arguments; the kernel
//! reads the low 32 bits), pointers are passed as their addresses.

use core::ffi::{CStr, c_void};
use core::ptr;

use core::sync::atomic::AtomicI32;

use sysv_ipc_abi::{
    Backend, Errno, FileId, MADV_WIPEONFORK, MTYPE_SIZE, PID_CACHE_BYTES, PidCache, sembuf,
    timespec,
};

use crate::arch::{
    syscall0, syscall1, syscall2, syscall3, syscall3_ptr, syscall4, syscall4_ptr_arg, syscall5,
    syscall6_ptr,
};
use crate::{LinuxRaw, ctl_cmd, nr};

/// An `int` argument in a register.
#[inline]
fn int(v: i32) -> usize {
    v as isize as usize
}

/// A result that must be a C `int` (ids, indices, counts, values).
#[inline]
fn ret_int(ret: isize) -> Result<i32, Errno> {
    Errno::from_syscall_ret(ret).map(|v| v as i32)
}

/// A result that carries no value (0 on success).
#[inline]
fn ret_unit(ret: isize) -> Result<(), Errno> {
    Errno::from_syscall_ret(ret).map(|_| ())
}

/// `struct stat` is 144 bytes on x86_64 and 128 on aarch64; both start with
/// `st_dev: u64` and `st_ino: u64`. 18 `u64`s cover either, 8-aligned.
const STAT_WORDS: usize = 18;

// SAFETY: every method issues the system call it is named after with the arguments
// unchanged (commands included: no IPC_64), so results and writes are the kernel's,
// which are what the trait's contract describes; `msgsnd`/`msgrcv` hand the kernel
// exactly the slice they were given, minus the mtype word in the size.
unsafe impl Backend for LinuxRaw {
    #[inline]
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        // SAFETY: msgget takes no pointers.
        ret_int(unsafe { syscall2(nr::MSGGET, int(key), int(msgflg)) })
    }

    #[inline]
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        let Some(msgsz) = msg.len().checked_sub(MTYPE_SIZE) else {
            return Err(Errno::INVAL);
        };
        // SAFETY: the kernel reads the mtype word and `msgsz` text bytes from `msg`,
        // `MTYPE_SIZE + msgsz == msg.len()` bytes borrowed from the caller for the call.
        ret_unit(unsafe {
            syscall4(
                nr::MSGSND,
                int(msqid),
                msg.as_ptr() as usize,
                msgsz,
                int(msgflg),
            )
        })
    }

    #[inline]
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        let Some(msgsz) = msg.len().checked_sub(MTYPE_SIZE) else {
            return Err(Errno::INVAL);
        };
        // SAFETY: the kernel writes the mtype word and at most `msgsz` text bytes into
        // `msg`, `msg.len()` bytes mutably borrowed from the caller for the call.
        Errno::from_syscall_ret(unsafe {
            syscall5(
                nr::MSGRCV,
                int(msqid),
                msg.as_mut_ptr() as usize,
                msgsz,
                msgtyp as usize,
                int(msgflg),
            )
        })
    }

    #[inline]
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller guarantees `buf` is valid for the `msqid64_ds` or
        // `msginfo` that `cmd` reads or writes (or unused, for IPC_RMID).
        ret_int(unsafe { syscall3(nr::MSGCTL, int(msqid), ctl_cmd(cmd), buf as usize) })
    }

    #[inline]
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        // SAFETY: semget takes no pointers.
        ret_int(unsafe { syscall3(nr::SEMGET, int(key), int(nsems), int(semflg)) })
    }

    #[inline]
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        // An empty slice still goes to the kernel, which answers EINVAL before it reads
        // the (dangling but non-null) pointer.
        // SAFETY: the kernel reads `sops.len()` sembufs (6 bytes each) from `sops`,
        // borrowed from the caller for the call.
        ret_unit(unsafe { syscall3(nr::SEMOP, int(semid), sops.as_ptr() as usize, sops.len()) })
    }

    #[inline]
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        let timeout = timeout.map_or(ptr::null(), |t| t as *const timespec);
        // SAFETY: the kernel reads `sops.len()` sembufs from `sops` and, if non-null,
        // one 16-byte timespec from `timeout`; both borrowed from the caller for the call.
        ret_unit(unsafe {
            syscall4(
                nr::SEMTIMEDOP,
                int(semid),
                sops.as_ptr() as usize,
                sops.len(),
                timeout as usize,
            )
        })
    }

    #[inline]
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        // SAFETY: `arg` is the union semun by value, in a register as a pointer; for
        // the commands that treat it as a pointer the caller guarantees it is valid
        // for the `semid64_ds`, `seminfo` or `nsems` u16 values that `cmd` reads or
        // writes, and SETVAL's value sits in its low 32 bits.
        ret_int(unsafe { syscall4_ptr_arg(nr::SEMCTL, int(semid), int(semnum), ctl_cmd(cmd), arg) })
    }

    #[inline]
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        // SAFETY: shmget takes no pointers.
        ret_int(unsafe { syscall3(nr::SHMGET, int(key), size, int(shmflg)) })
    }

    #[inline]
    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno> {
        // SAFETY: the kernel maps the segment at a free address, or at `shmaddr`, whose
        // range the caller guarantees it owns (SHM_REMAP may replace a mapping there).
        let p = unsafe { syscall3_ptr(nr::SHMAT, int(shmid), shmaddr as usize, int(shmflg)) };
        // Only the address is inspected; the pointer keeps its provenance.
        Errno::from_syscall_ret(p.addr() as isize).map(|_| p)
    }

    #[inline]
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        // SAFETY: the kernel unmaps the attachment at `shmaddr`; the caller guarantees
        // no reference into it is used afterwards.
        ret_unit(unsafe { syscall1(nr::SHMDT, shmaddr as usize) })
    }

    #[inline]
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller guarantees `buf` is valid for the `shmid64_ds`,
        // `shminfo64` or `shm_info` that `cmd` reads or writes (or unused).
        ret_int(unsafe { syscall3(nr::SHMCTL, int(shmid), ctl_cmd(cmd), buf as usize) })
    }

    fn file_id(&self, path: &CStr) -> Result<FileId, Errno> {
        let mut st = [0u64; STAT_WORDS];
        // SAFETY: the kernel reads the NUL-terminated `path` (borrowed from the caller)
        // and writes one `struct stat` (144 bytes on x86_64, 128 on aarch64) into `st`,
        // a local 144-byte buffer; flags 0 follow symlinks like stat(2).
        ret_unit(unsafe {
            syscall4(
                nr::NEWFSTATAT,
                int(sysv_ipc_abi::AT_FDCWD),
                path.as_ptr() as usize,
                st.as_mut_ptr() as usize,
                0,
            )
        })?;
        Ok(FileId {
            dev: st[0],
            ino: st[1],
        })
    }

    #[inline]
    fn getpid(&self) -> i32 {
        // SAFETY: getpid takes no arguments and cannot fail.
        unsafe { syscall0(nr::GETPID) as i32 }
    }

    #[inline]
    fn getpid_cached(&self) -> i32 {
        // SAFETY: `map_wipe_on_fork` returns null or the start of a private anonymous
        // read-write page marked MADV_WIPEONFORK that only `PID_CACHE` uses and that
        // nothing unmaps but `unmap_page`, which gets only a page the cache did not
        // publish.
        unsafe { PID_CACHE.get(|| self.getpid(), map_wipe_on_fork, unmap_page) }
    }

    #[inline]
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno> {
        // Not `readonly`-style: a barrier is a synchronisation point, and the asm
        // functions are plain (the compiler assumes memory is read and written), so
        // no access moves across the call.
        // SAFETY: membarrier takes no pointers; `flags` is an `unsigned int`.
        ret_int(unsafe { syscall3(nr::MEMBARRIER, int(cmd), flags as usize, int(cpu_id)) })
    }

    #[inline]
    fn futex_wake(&self, uaddr: *const u32, n: i32) -> Result<i32, Errno> {
        // SAFETY: FUTEX_WAKE only hashes `uaddr` (the kernel neither reads nor
        // writes the word; an unmapped address is EFAULT); the timeout, second
        // address and third value arguments are unused by this operation.
        ret_int(unsafe {
            syscall3(
                nr::FUTEX,
                uaddr as usize,
                sysv_ipc_abi::FUTEX_WAKE as usize,
                int(n),
            )
        })
    }

    #[inline]
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        // The system call, not the vDSO (which this backend would have to find and
        // trust): the clock is read only by a call that is about to sleep anyway.
        let mut tp = timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: the kernel writes one `struct __kernel_timespec` (two `i64`, 16
        // bytes on both arches) into `tp`, a local that outlives the call, and reads
        // nothing through it.
        ret_unit(unsafe { syscall2(nr::CLOCK_GETTIME, int(clockid), (&raw mut tp) as usize) })?;
        Ok(tp)
    }

    #[inline]
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        let request: *const timespec = request;
        // SAFETY: the kernel reads one `struct __kernel_timespec` (two `i64`, 16
        // bytes on both arches) from `request`, borrowed for the call; flags 0 make
        // it relative, and the remainder pointer is null, so nothing is written.
        ret_unit(unsafe { syscall4(nr::CLOCK_NANOSLEEP, int(clockid), 0, request as usize, 0) })
    }
}

/// The process's pid cache ([`Backend::getpid_cached`]).
static PID_CACHE: PidCache = PidCache::new();

/// `PROT_READ | PROT_WRITE`.
const PROT_RW: usize = 0x1 | 0x2;
/// `MAP_PRIVATE | MAP_ANONYMOUS` (the same on x86_64 and aarch64).
const MAP_PRIVATE_ANONYMOUS: usize = 0x02 | 0x20;

/// A private anonymous page marked `MADV_WIPEONFORK`, or null (an old kernel's
/// `EINVAL`, no memory).
fn map_wipe_on_fork() -> *mut AtomicI32 {
    // SAFETY: an anonymous mapping at an address of the kernel's choice (0: no
    // hint), replacing nothing; fd -1 and offset 0 as MAP_ANONYMOUS wants.
    let p = unsafe {
        syscall6_ptr(
            nr::MMAP,
            0,
            PID_CACHE_BYTES,
            PROT_RW,
            MAP_PRIVATE_ANONYMOUS,
            int(-1),
            0,
        )
    };
    // Only the address is inspected; the pointer keeps its provenance.
    if Errno::from_syscall_ret(p.addr() as isize).is_err() {
        return ptr::null_mut();
    }
    // SAFETY: advice on the page just mapped, which nothing else knows yet.
    let advised = unsafe { syscall3(nr::MADVISE, p.addr(), PID_CACHE_BYTES, int(MADV_WIPEONFORK)) };
    if ret_unit(advised).is_err() {
        unmap_page(p.cast());
        return ptr::null_mut();
    }
    p.cast()
}

/// Unmaps a page of [`map_wipe_on_fork`] that was never published.
fn unmap_page(p: *mut AtomicI32) {
    // SAFETY: `p` is a page we mapped and nobody else has seen.
    let _ = unsafe { syscall2(nr::MUNMAP, p.addr(), PID_CACHE_BYTES) };
}
