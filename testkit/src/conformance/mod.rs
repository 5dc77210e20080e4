//! The backend conformance suite: kernel tests written once against
//! [`Backend`], run by each backend's `tests/kernel.rs` through
//! [`conformance_tests!`](crate::conformance_tests).
//!
//! Every function runs its test in a fresh IPC namespace
//! ([`in_ipc_namespace`](crate::in_ipc_namespace)), so tests are independent and
//! nothing leaks. The functions assert the *kernel's* behaviour (measured on Linux
//! 6.18 x86_64, and on aarch64 under qemu-user 7.2), so a backend passes only if it
//! hands every argument, result and errno through unchanged. Where qemu-user diverges
//! from a native kernel the test says so beside the assertion it affects.
//!
//! Tests that need a second real uid (permission checks) print
//! "skipped: needs root" when not run as root.

use std::ffi::c_void;
use std::time::{Duration, Instant};

use sysv_ipc_abi::*;

mod files;
mod msg;
mod sem;
mod shm;

pub use files::*;
pub use msg::*;
pub use sem::*;
pub use shm::*;

/// Expands to one `#[test]` per conformance function, each calling it with
/// `&$backend`. Used by each backend's `tests/kernel.rs`:
///
/// ```text
/// sysv_ipc_testkit::conformance_tests!(sysv_ipc_linux_raw::LinuxRaw);
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($backend:expr) => {
        $crate::conformance_tests!(@each $backend;
            msg_get_enoent, msg_get_create_and_eexist, msg_get_eacces, msg_get_enospc,
            msg_snd_rcv_roundtrip, msg_snd_einval_mtype, msg_snd_einval_oversize,
            msg_snd_eagain_full, msg_snd_einval_after_rmid, msg_snd_eidrm_while_blocked,
            msg_snd_eacces, msg_short_slice_einval, msg_rcv_e2big_keeps_message,
            msg_rcv_noerror_truncates, msg_rcv_enomsg_nowait, msg_rcv_type_selection,
            msg_rcv_copy, msg_rcv_eintr_despite_sa_restart, msg_rcv_eidrm_while_blocked,
            msg_rcv_wakes_on_send_from_peer, msg_rcv_eacces, msg_ctl_stat_fields,
            msg_ctl_set, msg_ctl_set_eperm, msg_ctl_set_needs_only_ownership, msg_ctl_info, msg_ctl_stat_by_index,
            msg_ctl_einval, msg_ctl_ipc64_is_einval,
            sem_get_einval_nsems, sem_get_eexist_enoent, sem_get_eacces, sem_get_enospc,
            sem_op_atomic, sem_op_eagain_nowait, sem_op_e2big, sem_op_einval_empty,
            sem_op_efbig, sem_op_erange, sem_op_undo_on_exit, sem_op_eintr,
            sem_op_eidrm_while_blocked, sem_op_eacces, sem_op_wakes_peer_and_counts,
            sem_timedop_eagain_on_timeout, sem_timedop_einval_timespec, sem_ctl_values,
            sem_ctl_erange, sem_ctl_stat_set, sem_ctl_set_needs_only_ownership, sem_ctl_info_and_stat_by_index,
            sem_ctl_einval, sem_ctl_ipc64_is_einval, sem_ctl_setall_reads_only,
            shm_get_einval_size, shm_get_eexist_enoent, shm_get_eacces, shm_get_enospc,
            shm_get_hugetlb,
            shm_at_shared_between_processes, shm_at_rdonly, shm_dt_einval, shm_at_eacces,
            shm_at_after_rmid, shm_ctl_stat_fields, shm_ctl_set, shm_ctl_set_needs_only_ownership, shm_ctl_rmid_attached,
            shm_ctl_lock, shm_ctl_info_and_stat_by_index, shm_ctl_einval,
            shm_ctl_ipc64_is_einval,
            file_id_and_ftok_match_libc, file_id_errors, getpid_matches_libc,
            getpid_cached_is_getpid_across_fork,
            membarrier_query_lists_the_expedited_commands, clock_gettime_matches_libc,
            clock_nanosleep_sleeps_the_request, futex_wake_wakes_a_process_waiting_on_a_shared_word,
        );
    };
    (@each $backend:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$name(&$backend);
            }
        )*
    };
}

/// The key most tests use; each test has its own namespace, so it never collides.
pub(crate) const KEY: i32 = 0x5157_0001;
/// uid and gid of `nobody`, for permission tests.
pub(crate) const NOBODY: u32 = 65534;

pub(crate) use crate::under_qemu;

/// The result of a `*_STAT_ANY` command (Linux 4.17), or `None` under qemu.
///
/// qemu divergence: qemu-user 7.2's `do_msgctl`/`do_semctl`/`do_shmctl` do not know
/// `MSG_STAT_ANY`, `SEM_STAT_ANY`, `SHM_STAT_ANY` and answer `EINVAL` (asserted here),
/// so under qemu the `*_STAT_ANY` assertions are blind.
pub(crate) fn stat_any<T: std::fmt::Debug>(r: Result<(i32, T), Errno>) -> Option<(i32, T)> {
    if under_qemu() {
        assert_eq!(
            r.err(),
            Some(Errno::INVAL),
            "qemu now supports *_STAT_ANY: ungate"
        );
        None
    } else {
        Some(r.expect("*_STAT_ANY"))
    }
}

/// `CAP_SYS_RESOURCE` from `<linux/capability.h>` (the libc crate lacks it).
pub(crate) const CAP_SYS_RESOURCE: u32 = 24;

/// Whether capability `cap` (a `CAP_*` number) is in the effective set, from
/// `/proc/self/status`.
pub(crate) fn has_capability(cap: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|set| set & (1 << cap) != 0)
}

/// Polls `cond` every millisecond until it holds (at most [`crate::TIMEOUT`]).
pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < crate::TIMEOUT,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---- messages ----------------------------------------------------------------------

/// A message buffer: `mtype` then `text`.
pub(crate) fn msgbuf(mtype: i64, text: &[u8]) -> Vec<u8> {
    let mut v = mtype.to_ne_bytes().to_vec();
    v.extend_from_slice(text);
    v
}

/// The `mtype` at the start of a message buffer.
pub(crate) fn mtype_of(buf: &[u8]) -> i64 {
    i64::from_ne_bytes(buf[..MTYPE_SIZE].try_into().unwrap())
}

/// `msgctl(id, cmd, &mut msqid64_ds)` for IPC_STAT, MSG_STAT, MSG_STAT_ANY.
pub(crate) fn msg_stat_cmd<B: Backend>(
    b: &B,
    id: i32,
    cmd: i32,
) -> Result<(i32, msqid64_ds), Errno> {
    let mut ds = msqid64_ds::default();
    // SAFETY: `ds` is a live local msqid64_ds, what these commands write.
    let r = unsafe { b.msgctl(id, cmd, (&raw mut ds).cast()) }?;
    Ok((r, ds))
}

/// `msgctl(id, IPC_STAT)`.
pub(crate) fn msg_stat<B: Backend>(b: &B, id: i32) -> Result<msqid64_ds, Errno> {
    msg_stat_cmd(b, id, IPC_STAT).map(|(_, ds)| ds)
}

/// `msgctl(id, IPC_SET, ds)`.
pub(crate) fn msg_set<B: Backend>(b: &B, id: i32, mut ds: msqid64_ds) -> Result<i32, Errno> {
    // SAFETY: `ds` is a live local msqid64_ds, what IPC_SET reads.
    unsafe { b.msgctl(id, IPC_SET, (&raw mut ds).cast()) }
}

/// `msgctl(0, IPC_INFO | MSG_INFO, &mut msginfo)`.
pub(crate) fn msg_info<B: Backend>(b: &B, cmd: i32) -> Result<(i32, msginfo), Errno> {
    let mut info = msginfo::default();
    // SAFETY: `info` is a live local msginfo, what IPC_INFO and MSG_INFO write.
    let r = unsafe { b.msgctl(0, cmd, (&raw mut info).cast()) }?;
    Ok((r, info))
}

/// `msgctl(id, IPC_RMID)`.
pub(crate) fn msg_rmid<B: Backend>(b: &B, id: i32) -> Result<i32, Errno> {
    // SAFETY: IPC_RMID does not use the pointer.
    unsafe { b.msgctl(id, IPC_RMID, std::ptr::null_mut()) }
}

// ---- semaphores --------------------------------------------------------------------

/// One `sembuf`.
pub(crate) fn op(sem_num: u16, sem_op: i16, sem_flg: i32) -> sembuf {
    sembuf {
        sem_num,
        sem_op,
        sem_flg: sem_flg as i16,
    }
}

/// `IPC_NOWAIT` as a `sem_flg`.
pub(crate) const NOWAIT: i32 = IPC_NOWAIT;

/// `semctl` for the commands whose `arg` is unused or a value (GETVAL, GETPID,
/// GETNCNT, GETZCNT, SETVAL, IPC_RMID).
pub(crate) fn semctl_val<B: Backend>(
    b: &B,
    id: i32,
    num: i32,
    cmd: i32,
    val: i32,
) -> Result<i32, Errno> {
    // SAFETY: these commands read `arg` as a value (SETVAL) or ignore it.
    unsafe { b.semctl(id, num, cmd, semun_val(val)) }
}

/// `semctl(id, 0, IPC_STAT | SEM_STAT | SEM_STAT_ANY, &mut semid64_ds)`.
pub(crate) fn sem_stat_cmd<B: Backend>(
    b: &B,
    id: i32,
    cmd: i32,
) -> Result<(i32, semid64_ds), Errno> {
    let mut ds = semid64_ds::default();
    // SAFETY: `arg` points to a live local semid64_ds, what these commands write.
    let r = unsafe { b.semctl(id, 0, cmd, (&raw mut ds).cast()) }?;
    Ok((r, ds))
}

/// `semctl(id, 0, IPC_STAT)`.
pub(crate) fn sem_stat<B: Backend>(b: &B, id: i32) -> Result<semid64_ds, Errno> {
    sem_stat_cmd(b, id, IPC_STAT).map(|(_, ds)| ds)
}

/// `semctl(0, 0, IPC_INFO | SEM_INFO, &mut seminfo)`.
pub(crate) fn sem_info<B: Backend>(b: &B, cmd: i32) -> Result<(i32, seminfo), Errno> {
    let mut info = seminfo::default();
    // SAFETY: `arg` points to a live local seminfo, what IPC_INFO and SEM_INFO write.
    let r = unsafe { b.semctl(0, 0, cmd, (&raw mut info).cast()) }?;
    Ok((r, info))
}

/// `semctl(id, 0, GETALL)` for a set of `n` semaphores.
pub(crate) fn sem_getall<B: Backend>(b: &B, id: i32, n: usize) -> Result<Vec<u16>, Errno> {
    let mut v = vec![0u16; n];
    // SAFETY: `arg` points to `n` live u16s; the caller passes the set's real size.
    unsafe { b.semctl(id, 0, GETALL, v.as_mut_ptr().cast()) }?;
    Ok(v)
}

/// `semctl(id, 0, SETALL, values)`; `values` must have the set's size.
///
/// The values are copied to writable memory first: qemu-user writes the array back
/// after SETALL, and fails with `EFAULT` if it is read-only (a promoted `&[1, 2]`
/// constant is); see [`sem_ctl_setall_reads_only`].
pub(crate) fn sem_setall<B: Backend>(b: &B, id: i32, values: &[u16]) -> Result<i32, Errno> {
    let mut copy = values.to_vec();
    // SAFETY: `arg` points to `copy.len()` live u16s, which SETALL reads; the caller
    // passes the set's real size.
    unsafe { b.semctl(id, 0, SETALL, copy.as_mut_ptr().cast()) }
}

/// `msg_lrpid` as the test sees it for a receive by `pid`.
///
/// qemu divergence: qemu-user 7.2 does not copy `msg_lrpid` into the guest's
/// `msqid_ds` (measured: always 0, also with glibc), so under qemu the receiver's pid
/// is not checked.
pub(crate) fn seen_lrpid(pid: i32) -> i32 {
    if under_qemu() { 0 } else { pid }
}

// ---- shared memory -----------------------------------------------------------------

/// `shmctl(id, cmd, &mut shmid64_ds)` for IPC_STAT, SHM_STAT, SHM_STAT_ANY.
pub(crate) fn shm_stat_cmd<B: Backend>(
    b: &B,
    id: i32,
    cmd: i32,
) -> Result<(i32, shmid64_ds), Errno> {
    let mut ds = shmid64_ds::default();
    // SAFETY: `ds` is a live local shmid64_ds, what these commands write.
    let r = unsafe { b.shmctl(id, cmd, (&raw mut ds).cast()) }?;
    Ok((r, ds))
}

/// `shmctl(id, IPC_STAT)`.
pub(crate) fn shm_stat<B: Backend>(b: &B, id: i32) -> Result<shmid64_ds, Errno> {
    shm_stat_cmd(b, id, IPC_STAT).map(|(_, ds)| ds)
}

/// `shmctl` for the commands that ignore the pointer (IPC_RMID, SHM_LOCK, SHM_UNLOCK).
pub(crate) fn shmctl_nobuf<B: Backend>(b: &B, id: i32, cmd: i32) -> Result<i32, Errno> {
    // SAFETY: these commands do not use the pointer.
    unsafe { b.shmctl(id, cmd, std::ptr::null_mut()) }
}

/// `shmat(id, NULL, flags)`.
pub(crate) fn attach<B: Backend>(b: &B, id: i32, flags: i32) -> Result<*mut u8, Errno> {
    // SAFETY: a null address lets the kernel choose a free range.
    unsafe { b.shmat(id, std::ptr::null(), flags) }.map(|p| p.cast())
}

/// `shmdt(p)`; the tests touch `p` only through raw volatile accesses, never after.
pub(crate) fn detach<B: Backend>(b: &B, p: *mut u8) -> Result<(), Errno> {
    // SAFETY: no reference into the mapping exists; the raw pointer is not used again.
    unsafe { b.shmdt(p.cast::<c_void>()) }
}

// ---- signals -----------------------------------------------------------------------

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Installs a do-nothing SIGALRM handler **with `SA_RESTART`** and a repeating 20 ms
/// interval timer, so that a call that blocks is interrupted however late it starts
/// blocking; dropping the guard stops the timer. For EINTR tests in a forked child.
pub(crate) struct InterruptTimer;

impl InterruptTimer {
    pub(crate) fn start() -> InterruptTimer {
        // SAFETY: an all-zero sigaction is a valid starting value (empty mask, no flags).
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESTART;
        // SAFETY: `sa` is a live local sigaction; the old action is not wanted (null).
        let r = unsafe { libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut()) };
        assert_eq!(r, 0, "sigaction");
        set_timer(Duration::from_millis(20));
        InterruptTimer
    }
}

impl Drop for InterruptTimer {
    fn drop(&mut self) {
        set_timer(Duration::ZERO);
    }
}

fn set_timer(every: Duration) {
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: every.as_micros() as libc::suseconds_t,
    };
    let it = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    // SAFETY: `it` is a live local itimerval; the old value is not wanted (null).
    let r = unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
    assert_eq!(r, 0, "setitimer");
}
