//! The [`Backend`] implementation: one function per C library call.
//!
//! Every call returns `-1` (shmat: `(void *)-1`) and sets `errno` on failure; `errno`
//! is read at once, before anything else can overwrite it.

use core::ffi::{CStr, c_int, c_void};
use core::mem::MaybeUninit;
use core::ptr;

use sysv_ipc_abi::{Backend, Errno, FileId, MTYPE_SIZE, sembuf, timespec};

use crate::Libc;

// The libc crate has no binding for semtimedop, which glibc exports.
unsafe extern "C" {
    fn semtimedop(
        semid: c_int,
        sops: *mut libc::sembuf,
        nsops: libc::size_t,
        timeout: *const libc::timespec,
    ) -> c_int;
}

/// The calling thread's `errno`.
#[inline]
fn errno() -> Errno {
    // SAFETY: __errno_location has no preconditions.
    let location = unsafe { libc::__errno_location() };
    // SAFETY: it points to this thread's errno, an aligned int that lives as long as
    // the thread.
    let raw = unsafe { *location };
    Errno::from_raw(raw as u16)
}

/// A C `int` result: `-1` means failure with `errno`.
#[inline]
fn ret_int(ret: c_int) -> Result<i32, Errno> {
    if ret == -1 { Err(errno()) } else { Ok(ret) }
}

/// A C `int` result that carries no value.
#[inline]
fn ret_unit(ret: c_int) -> Result<(), Errno> {
    ret_int(ret).map(|_| ())
}

// SAFETY: every method calls the C library function it is named after with the
// arguments unchanged (glibc passes `*ctl` commands through without IPC_64 on
// x86_64 and aarch64), so results and writes are the kernel's, which are what the
// trait's contract describes; `msgsnd`/`msgrcv` hand over exactly the slice they were
// given, minus the mtype word in the size.
unsafe impl Backend for Libc {
    #[inline]
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        // SAFETY: msgget takes no pointers.
        ret_int(unsafe { libc::msgget(key, msgflg) })
    }

    #[inline]
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        let Some(msgsz) = msg.len().checked_sub(MTYPE_SIZE) else {
            return Err(Errno::INVAL);
        };
        // SAFETY: msgsnd reads the mtype word and `msgsz` text bytes from `msg`,
        // `MTYPE_SIZE + msgsz == msg.len()` bytes borrowed from the caller for the call.
        ret_unit(unsafe { libc::msgsnd(msqid, msg.as_ptr().cast(), msgsz, msgflg) })
    }

    #[inline]
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        let Some(msgsz) = msg.len().checked_sub(MTYPE_SIZE) else {
            return Err(Errno::INVAL);
        };
        // SAFETY: msgrcv writes the mtype word and at most `msgsz` text bytes into
        // `msg`, `msg.len()` bytes mutably borrowed from the caller for the call.
        let n = unsafe { libc::msgrcv(msqid, msg.as_mut_ptr().cast(), msgsz, msgtyp, msgflg) };
        if n < 0 { Err(errno()) } else { Ok(n as usize) }
    }

    #[inline]
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller guarantees `buf` is valid for the `msqid64_ds` (same layout
        // as libc's `msqid_ds`) or `msginfo` that `cmd` reads or writes, or unused.
        ret_int(unsafe { libc::msgctl(msqid, cmd, buf.cast()) })
    }

    #[inline]
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        // SAFETY: semget takes no pointers.
        ret_int(unsafe { libc::semget(key, nsems, semflg) })
    }

    #[inline]
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        // An empty slice still goes to the kernel (EINVAL). The C prototype's pointer
        // is `*mut` but neither the library nor the kernel writes through it.
        // SAFETY: semop reads `sops.len()` sembufs (6 bytes each, libc's layout is
        // the same) from `sops`, borrowed from the caller for the call.
        ret_unit(unsafe { libc::semop(semid, sops.as_ptr().cast_mut().cast(), sops.len()) })
    }

    #[inline]
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        let timeout: *const libc::timespec =
            timeout.map_or(ptr::null(), |t| (t as *const timespec).cast());
        // SAFETY: semtimedop reads `sops.len()` sembufs from `sops` and, if non-null,
        // one 16-byte timespec (libc's layout on 64-bit) from `timeout`; both are
        // borrowed from the caller for the call and never written.
        ret_unit(unsafe { semtimedop(semid, sops.as_ptr().cast_mut().cast(), sops.len(), timeout) })
    }

    #[inline]
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        // `union semun` is one machine word; as a variadic argument a pointer is
        // passed exactly like it (an INTEGER-class eightbyte on both ABIs).
        // SAFETY: for the commands that treat `arg` as a pointer the caller guarantees
        // it is valid for the `semid64_ds`, `seminfo` or `nsems` u16 values `cmd` uses.
        ret_int(unsafe { libc::semctl(semid, semnum, cmd, arg) })
    }

    #[inline]
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        // SAFETY: shmget takes no pointers.
        ret_int(unsafe { libc::shmget(key, size, shmflg) })
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
        let p = unsafe { libc::shmat(shmid, shmaddr, shmflg) };
        // shmat(2): "On error (void *) -1 is returned".
        if p.addr() == usize::MAX {
            Err(errno())
        } else {
            Ok(p)
        }
    }

    #[inline]
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        // SAFETY: the kernel unmaps the attachment at `shmaddr`; the caller guarantees
        // no reference into it is used afterwards.
        ret_unit(unsafe { libc::shmdt(shmaddr) })
    }

    #[inline]
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller guarantees `buf` is valid for the `shmid64_ds` (same layout
        // as libc's `shmid_ds`), `shminfo64` or `shm_info` that `cmd` uses, or unused.
        ret_int(unsafe { libc::shmctl(shmid, cmd, buf.cast()) })
    }

    fn file_id(&self, path: &CStr) -> Result<FileId, Errno> {
        let mut st = MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: stat reads the NUL-terminated `path` (borrowed from the caller) and
        // writes one `struct stat` into `st`, a local of exactly that type.
        ret_unit(unsafe { libc::stat(path.as_ptr(), st.as_mut_ptr()) })?;
        // SAFETY: zeroed is a valid `struct stat` (plain integers), and stat succeeded.
        let st = unsafe { st.assume_init() };
        Ok(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }

    #[inline]
    fn getpid(&self) -> i32 {
        // SAFETY: getpid has no preconditions and cannot fail.
        unsafe { libc::getpid() }
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
    fn futex_wake(&self, uaddr: *const u32, n: i32) -> Result<i32, Errno> {
        // glibc has no wrapper (futex(2)): the generic `syscall`, -1 with errno on
        // failure; the count woken fits an int.
        // SAFETY: FUTEX_WAKE only hashes `uaddr` (the kernel neither reads nor
        // writes the word; an unmapped address is EFAULT); the arguments after
        // `n` are unused by this operation.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_futex,
                // As an address-sized integer: the kernel only hashes it.
                uaddr as usize,
                sysv_ipc_abi::FUTEX_WAKE as c_int,
                n as c_int,
            )
        };
        if ret == -1 {
            Err(errno())
        } else {
            Ok(ret as i32)
        }
    }

    #[inline]
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno> {
        // glibc has no wrapper (membarrier(2)): the generic `syscall`, which returns
        // a `long`, -1 with errno on failure; the results fit an int.
        // SAFETY: membarrier takes no pointers; the three arguments are passed as the
        // C types the kernel declares (int, unsigned int, int).
        let ret = unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd as c_int,
                flags as libc::c_uint,
                cpu_id as c_int,
            )
        };
        if ret == -1 {
            Err(errno())
        } else {
            Ok(ret as i32)
        }
    }

    #[inline]
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        let mut tp = MaybeUninit::<libc::timespec>::uninit();
        // SAFETY: clock_gettime writes one `struct timespec` into `tp`, a local that
        // outlives the call, and reads nothing through it.
        ret_unit(unsafe { libc::clock_gettime(clockid, tp.as_mut_ptr()) })?;
        // SAFETY: clock_gettime returned 0, so it initialised `tp`.
        let tp = unsafe { tp.assume_init() };
        Ok(timespec {
            tv_sec: tp.tv_sec,
            tv_nsec: tp.tv_nsec,
        })
    }

    #[inline]
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        let request = libc::timespec {
            tv_sec: request.tv_sec,
            tv_nsec: request.tv_nsec,
        };
        // SAFETY: clock_nanosleep reads one `struct timespec` from `request`, a local
        // that outlives the call; flags 0 make it relative, and the remainder pointer
        // is null, so nothing is written.
        let r = unsafe { libc::clock_nanosleep(clockid, 0, &request, ptr::null_mut()) };
        // It returns the error number itself, not -1 with `errno`.
        if r == 0 {
            Ok(())
        } else {
            Err(Errno::from_raw(r as u16))
        }
    }
}

/// The process's pid cache ([`Backend::getpid_cached`]).
static PID_CACHE: sysv_ipc_abi::PidCache = sysv_ipc_abi::PidCache::new();

/// A private anonymous page marked `MADV_WIPEONFORK`, or null (an old kernel's
/// `EINVAL`, no memory).
fn map_wipe_on_fork() -> *mut core::sync::atomic::AtomicI32 {
    // SAFETY: an anonymous mapping at an address of the kernel's choice (null: no
    // hint), replacing nothing; fd -1 and offset 0 as MAP_ANONYMOUS wants.
    let p = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            sysv_ipc_abi::PID_CACHE_BYTES,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return core::ptr::null_mut();
    }
    // SAFETY: advice on the page just mapped, which nothing else knows yet.
    let advised = unsafe {
        libc::madvise(
            p,
            sysv_ipc_abi::PID_CACHE_BYTES,
            sysv_ipc_abi::MADV_WIPEONFORK,
        )
    };
    if advised != 0 {
        unmap_page(p.cast());
        return core::ptr::null_mut();
    }
    p.cast()
}

/// Unmaps a page of [`map_wipe_on_fork`] that was never published.
fn unmap_page(p: *mut core::sync::atomic::AtomicI32) {
    // SAFETY: `p` is a page we mapped and nobody else has seen.
    let _ = unsafe { libc::munmap(p.cast(), sysv_ipc_abi::PID_CACHE_BYTES) };
}
