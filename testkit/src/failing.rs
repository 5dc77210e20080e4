//! [`Failing`]: a backend that refuses chosen calls, to play a kernel that lacks them.

use std::ffi::{CStr, c_void};

use sysv_ipc_abi::{Backend, Errno, FileId, sembuf, timespec};

/// The [`Backend`] entry points, as a [`Fail`] names them: the mock's own list,
/// so that one enum names them for fault scripts on either side.
pub use sysv_ipc_mock::Call;

/// One refusal of a [`Failing`] backend: `call` (with `cmd` only, if given) fails
/// with `errno`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fail {
    /// The refused method.
    pub call: Call,
    /// The `cmd` argument it is refused for (`msgctl`, `semctl`, `shmctl`,
    /// `membarrier`; the clock for `clock_gettime` and `clock_nanosleep`), or `None` for every call of the
    /// method.
    pub cmd: Option<i32>,
    /// What the refused call returns.
    pub errno: Errno,
}

impl Fail {
    /// Every call of `call` fails with `errno`.
    pub const fn call(call: Call, errno: Errno) -> Self {
        Fail {
            call,
            cmd: None,
            errno,
        }
    }

    /// `call` fails with `errno` when its `cmd` argument is `cmd` (for the methods
    /// that have one: `msgctl`, `semctl`, `shmctl`, `membarrier`; `clock_gettime`'s
    /// clock id).
    pub const fn cmd(call: Call, cmd: i32, errno: Errno) -> Self {
        Fail {
            call,
            cmd: Some(cmd),
            errno,
        }
    }
}

/// A backend that forwards every call to `inner`, except those its [`Fail`] list
/// names: they return their errno at once, without reaching `inner` or touching any
/// argument. The first matching entry wins.
///
/// # Examples
///
/// ```
/// use sysv_ipc_abi::{Backend, Errno, SEM_STAT_ANY};
/// use sysv_ipc_testkit::{Call, Fail, Failing};
///
/// /// A kernel before 4.17 (no SEM_STAT_ANY) without membarrier.
/// const OLD: &[Fail] = &[
///     Fail::cmd(Call::Semctl, SEM_STAT_ANY, Errno::INVAL),
///     Fail::call(Call::Membarrier, Errno::NOSYS),
/// ];
/// static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
/// let old = Failing::new(&KERNEL, OLD);
/// assert_eq!(old.membarrier(0, 0, 0), Err(Errno::NOSYS));
/// // SAFETY: SEM_STAT_ANY is refused before anything reads the (null) argument.
/// let r = unsafe { old.semctl(0, 0, SEM_STAT_ANY, std::ptr::null_mut()) };
/// assert_eq!(r, Err(Errno::INVAL));
/// assert!(old.semget(0, 1, 0o600).is_ok(), "the rest is forwarded");
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Failing<B> {
    inner: B,
    fails: &'static [Fail],
}

impl<B> Failing<B> {
    /// `inner`, with the calls in `fails` refused.
    pub const fn new(inner: B, fails: &'static [Fail]) -> Self {
        Failing { inner, fails }
    }

    /// `Err` with the errno of the first entry that refuses `call` with `cmd`.
    fn check(&self, call: Call, cmd: Option<i32>) -> Result<(), Errno> {
        let hit = self
            .fails
            .iter()
            .find(|f| f.call == call && (f.cmd.is_none() || f.cmd == cmd));
        hit.map_or(Ok(()), |f| Err(f.errno))
    }
}

// SAFETY: every call is either forwarded unchanged to `inner`, which keeps the
// contract, or refused with an errno before `inner` is called and before any pointer
// or slice argument is touched; a refused shmat returns no address, a refused shmdt
// leaves the mapping in place.
unsafe impl<B: Backend> Backend for Failing<B> {
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        self.check(Call::Msgget, None)?;
        self.inner.msgget(key, msgflg)
    }
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        self.check(Call::Msgsnd, None)?;
        self.inner.msgsnd(msqid, msg, msgflg)
    }
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        self.check(Call::Msgrcv, None)?;
        self.inner.msgrcv(msqid, msg, msgtyp, msgflg)
    }
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        self.check(Call::Msgctl, Some(cmd))?;
        // SAFETY: our caller's promise about `buf`, passed on.
        unsafe { self.inner.msgctl(msqid, cmd, buf) }
    }
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        self.check(Call::Semget, None)?;
        self.inner.semget(key, nsems, semflg)
    }
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        self.check(Call::Semop, None)?;
        self.inner.semop(semid, sops)
    }
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        self.check(Call::Semtimedop, None)?;
        self.inner.semtimedop(semid, sops, timeout)
    }
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        self.check(Call::Semctl, Some(cmd))?;
        // SAFETY: our caller's promise about `arg`, passed on.
        unsafe { self.inner.semctl(semid, semnum, cmd, arg) }
    }
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        self.check(Call::Shmget, None)?;
        self.inner.shmget(key, size, shmflg)
    }
    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno> {
        self.check(Call::Shmat, None)?;
        // SAFETY: our caller's promise about `shmaddr`, passed on.
        unsafe { self.inner.shmat(shmid, shmaddr, shmflg) }
    }
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        self.check(Call::Shmdt, None)?;
        // SAFETY: our caller's promise, passed on.
        unsafe { self.inner.shmdt(shmaddr) }
    }
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        self.check(Call::Shmctl, Some(cmd))?;
        // SAFETY: our caller's promise about `buf`, passed on.
        unsafe { self.inner.shmctl(shmid, cmd, buf) }
    }
    fn file_id(&self, path: &CStr) -> Result<FileId, Errno> {
        self.check(Call::FileId, None)?;
        self.inner.file_id(path)
    }
    fn getpid(&self) -> i32 {
        self.inner.getpid()
    }
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno> {
        self.check(Call::Membarrier, Some(cmd))?;
        self.inner.membarrier(cmd, flags, cpu_id)
    }
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        self.check(Call::ClockGettime, Some(clockid))?;
        self.inner.clock_gettime(clockid)
    }
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        self.check(Call::ClockNanosleep, Some(clockid))?;
        self.inner.clock_nanosleep(clockid, request)
    }
}
