//! The mock against the real kernel: one script of calls runs through the
//! `Backend` trait on a fresh IPC namespace (a forked child that called
//! `unshare(CLONE_NEWIPC)`) and on a fresh `Mock`, and every result, errno, id and
//! stat field must agree. Times and pids are compared as "set"/"the caller's",
//! since the clocks and pids differ.
//!
//! One test per binary on purpose: the child allocates nothing after `fork`.

use core::ffi::{CStr, c_void};
use std::vec::Vec;

use sysv_ipc_abi::*;
use sysv_ipc_mock::{Caps, HugePages, Mock, OnBlock, Process};

/// The kernel through raw syscalls (the `*ctl` commands unchanged, as the
/// backend contract says; no glibc translation).
struct Kernel;

fn cvt(r: i64) -> Result<i64, Errno> {
    if r == -1 {
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        Err(Errno::from_raw(e as u16))
    } else {
        Ok(r)
    }
}

// SAFETY: every call passes the caller's slices with their exact lengths and the
// caller's pointers unchanged to the kernel, which keeps the contract itself.
unsafe impl Backend for Kernel {
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        // SAFETY: no pointers.
        cvt(unsafe { libc::syscall(libc::SYS_msgget, key, msgflg) }).map(|v| v as i32)
    }
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        let n = msg.len().checked_sub(8).ok_or(Errno::INVAL)?;
        // SAFETY: `msg` holds mtype and `n` text bytes; the kernel only reads it.
        cvt(unsafe { libc::syscall(libc::SYS_msgsnd, msqid, msg.as_ptr(), n, msgflg) }).map(|_| ())
    }
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        let n = msg.len().checked_sub(8).ok_or(Errno::INVAL)?;
        let p = msg.as_mut_ptr();
        // SAFETY: `msg` has room for mtype and `n` text bytes.
        cvt(unsafe { libc::syscall(libc::SYS_msgrcv, msqid, p, n, msgtyp, msgflg) })
            .map(|v| v as usize)
    }
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller made `buf` valid for `cmd`.
        cvt(unsafe { libc::syscall(libc::SYS_msgctl, msqid, cmd, buf) }).map(|v| v as i32)
    }
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        // SAFETY: no pointers.
        cvt(unsafe { libc::syscall(libc::SYS_semget, key, nsems, semflg) }).map(|v| v as i32)
    }
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        // SAFETY: `sops` is read for its length only.
        cvt(unsafe { libc::syscall(libc::SYS_semop, semid, sops.as_ptr(), sops.len()) }).map(|_| ())
    }
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        let t = timeout.map_or(core::ptr::null(), |t| t as *const timespec);
        let (p, n) = (sops.as_ptr(), sops.len());
        // SAFETY: `sops` and `t` (null or a live timespec) are only read.
        cvt(unsafe { libc::syscall(libc::SYS_semtimedop, semid, p, n, t) }).map(|_| ())
    }
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        // SAFETY: the caller made `arg` valid for `cmd`.
        cvt(unsafe { libc::syscall(libc::SYS_semctl, semid, semnum, cmd, arg) }).map(|v| v as i32)
    }
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        // SAFETY: no pointers.
        cvt(unsafe { libc::syscall(libc::SYS_shmget, key, size, shmflg) }).map(|v| v as i32)
    }
    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno> {
        // SAFETY: the caller owns `shmaddr`'s range if it is not null.
        cvt(unsafe { libc::syscall(libc::SYS_shmat, shmid, shmaddr, shmflg) })
            .map(|v| v as *mut c_void)
    }
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        // SAFETY: the caller no longer uses the mapping.
        cvt(unsafe { libc::syscall(libc::SYS_shmdt, shmaddr) }).map(|_| ())
    }
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: the caller made `buf` valid for `cmd`.
        cvt(unsafe { libc::syscall(libc::SYS_shmctl, shmid, cmd, buf) }).map(|v| v as i32)
    }
    fn file_id(&self, _path: &CStr) -> Result<FileId, Errno> {
        Err(Errno::NOENT)
    }
    fn getpid(&self) -> i32 {
        // SAFETY: getpid has no preconditions.
        unsafe { libc::getpid() }
    }
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno> {
        // SAFETY: no pointers.
        cvt(unsafe { libc::syscall(libc::SYS_membarrier, cmd, flags, cpu_id) }).map(|v| v as i32)
    }
    fn futex_wake(&self, uaddr: *const u32, n: i32) -> Result<i32, Errno> {
        // SAFETY: FUTEX_WAKE only hashes the address.
        cvt(unsafe { libc::syscall(libc::SYS_futex, uaddr, libc::FUTEX_WAKE, n) }).map(|v| v as i32)
    }
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        let mut tp = timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: the kernel writes one 16-byte timespec into `tp`, a live local.
        cvt(unsafe { libc::syscall(libc::SYS_clock_gettime, clockid, &raw mut tp) })?;
        Ok(tp)
    }
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        // SAFETY: the kernel reads one 16-byte timespec from `request`, a live
        // reference; the remainder pointer is null.
        let r = unsafe {
            libc::clock_nanosleep(
                clockid,
                0,
                request as *const timespec as *const libc::timespec,
                std::ptr::null_mut(),
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(Errno::from_raw(r as u16))
        }
    }
}

/// Results as numbers: a value, or minus the errno.
struct Log(Vec<i64>);

trait Num {
    fn num(self) -> i64;
}
impl Num for () {
    fn num(self) -> i64 {
        0
    }
}
impl Num for i32 {
    fn num(self) -> i64 {
        self.into()
    }
}
impl Num for i64 {
    fn num(self) -> i64 {
        self
    }
}
impl Num for usize {
    fn num(self) -> i64 {
        self as i64
    }
}

impl Log {
    fn r<T: Num>(&mut self, r: Result<T, Errno>) {
        self.0.push(match r {
            Ok(v) => v.num(),
            Err(e) => -i64::from(e.raw()),
        });
    }
    fn v(&mut self, v: impl Into<i64>) {
        self.0.push(v.into());
    }
}

fn mbuf(mtype: i64, text: &[u8]) -> [u8; 40] {
    let mut b = [0u8; 40];
    b[..8].copy_from_slice(&mtype.to_ne_bytes());
    b[8..8 + text.len()].copy_from_slice(text);
    b
}

fn so(n: u16, op: i16, flg: i16) -> sembuf {
    sembuf {
        sem_num: n,
        sem_op: op,
        sem_flg: flg,
    }
}

/// Everything observable of a queue, with times and pids made comparable.
fn log_msgstat<B: Backend>(b: &B, l: &mut Log, id: i32, cmd: i32) {
    let mut ds = msqid64_ds::default();
    // SAFETY: `ds` is a live msqid64_ds.
    l.r(unsafe { b.msgctl(id, cmd, (&mut ds as *mut msqid64_ds).cast()) });
    let p = ds.msg_perm;
    for v in [
        p.key as i64,
        p.uid.into(),
        p.cuid.into(),
        p.mode.into(),
        p.seq.into(),
    ] {
        l.v(v);
    }
    l.v(ds.msg_qnum as i64);
    l.v(ds.msg_cbytes as i64);
    l.v(ds.msg_qbytes as i64);
    l.v(ds.msg_stime != 0);
    l.v(ds.msg_rtime != 0);
    l.v(ds.msg_ctime != 0);
    l.v(ds.msg_lspid == b.getpid());
    l.v(ds.msg_lrpid == b.getpid());
}

fn log_semstat<B: Backend>(b: &B, l: &mut Log, id: i32, cmd: i32) {
    let mut ds = semid64_ds::default();
    // SAFETY: `ds` is a live semid64_ds.
    l.r(unsafe { b.semctl(id, 0, cmd, (&raw mut ds).cast()) });
    let p = ds.sem_perm;
    for v in [
        p.key as i64,
        p.uid.into(),
        p.mode.into(),
        p.seq.into(),
        ds.sem_nsems as i64,
    ] {
        l.v(v);
    }
    l.v(ds.sem_otime != 0);
    l.v(ds.sem_ctime != 0);
}

fn log_shmstat<B: Backend>(b: &B, l: &mut Log, id: i32, cmd: i32) {
    let mut ds = shmid64_ds::default();
    // SAFETY: `ds` is a live shmid64_ds.
    l.r(unsafe { b.shmctl(id, cmd, (&mut ds as *mut shmid64_ds).cast()) });
    let p = ds.shm_perm;
    for v in [p.key as i64, p.uid.into(), p.mode.into(), p.seq.into()] {
        l.v(v);
    }
    l.v(ds.shm_segsz as i64);
    l.v(ds.shm_nattch as i64);
    l.v(ds.shm_atime != 0);
    l.v(ds.shm_dtime != 0);
    l.v(ds.shm_cpid == b.getpid());
    l.v(ds.shm_lpid == b.getpid());
}

fn ctl0_msg<B: Backend>(b: &B, id: i32, cmd: i32) -> Result<i32, Errno> {
    // SAFETY: used only with commands that ignore the pointer or fault on null.
    unsafe { b.msgctl(id, cmd, core::ptr::null_mut()) }
}
fn ctl_sem<B: Backend>(b: &B, id: i32, num: i32, cmd: i32, arg: usize) -> Result<i32, Errno> {
    // SAFETY: used only with commands whose `arg` is a value or ignored, or with 0
    // (a null pointer) for the commands that fault on it.
    unsafe { b.semctl(id, num, cmd, core::ptr::without_provenance_mut(arg)) }
}
fn ctl_sem_ptr<B: Backend, T>(
    b: &B,
    id: i32,
    num: i32,
    cmd: i32,
    arg: *mut T,
) -> Result<i32, Errno> {
    // SAFETY: the caller made `arg` valid for what `cmd` reads or writes.
    unsafe { b.semctl(id, num, cmd, arg.cast()) }
}
fn ctl0_shm<B: Backend>(b: &B, id: i32, cmd: i32) -> Result<i32, Errno> {
    // SAFETY: used only with commands that ignore the pointer or fault on null.
    unsafe { b.shmctl(id, cmd, core::ptr::null_mut()) }
}

/// The script. `drop_privileges` turns the caller into uid/gid 65534.
fn script<B: Backend>(b: &B, l: &mut Log, drop_privileges: &dyn Fn()) {
    // Limits of a fresh namespace.
    let mut mi = msginfo::default();
    // SAFETY: live msginfo.
    l.r(unsafe { b.msgctl(0, IPC_INFO, (&mut mi as *mut msginfo).cast()) });
    for v in [
        mi.msgpool,
        mi.msgmap,
        mi.msgmax,
        mi.msgmnb,
        mi.msgmni,
        mi.msgssz,
        mi.msgtql,
        mi.msgseg.into(),
    ] {
        l.v(v);
    }
    let mut si = seminfo::default();
    l.r(ctl_sem_ptr(b, 0, 0, IPC_INFO, &raw mut si));
    for v in [
        si.semmap, si.semmni, si.semmns, si.semmnu, si.semmsl, si.semopm, si.semume, si.semusz,
        si.semvmx, si.semaem,
    ] {
        l.v(v);
    }
    let mut hi = shminfo64::default();
    // SAFETY: live shminfo64.
    l.r(unsafe { b.shmctl(0, IPC_INFO, (&mut hi as *mut shminfo64).cast()) });
    for v in [hi.shmmax, hi.shmmin, hi.shmmni, hi.shmseg, hi.shmall] {
        l.v(v as i64);
    }

    // Ids: cyclic allocation, sequence numbers, stale ids.
    let q0 = b.msgget(IPC_PRIVATE, 0o600);
    let q1 = b.msgget(IPC_PRIVATE, 0o600);
    let q2 = b.msgget(IPC_PRIVATE, 0o600);
    l.r(q0);
    l.r(q1);
    l.r(q2);
    let (q0, q1, q2) = (q0.unwrap_or(-1), q1.unwrap_or(-1), q2.unwrap_or(-1));
    l.r(ctl0_msg(b, q1, IPC_RMID));
    let q3 = b.msgget(IPC_PRIVATE, 0o600).unwrap_or(-1);
    l.v(q3);
    for q in [q0, q2, q3] {
        l.r(ctl0_msg(b, q, IPC_RMID));
    }
    l.r(ctl0_msg(b, q1, IPC_RMID));
    for _ in 0..70 {
        let s = b.semget(IPC_PRIVATE, 1, 0o600);
        l.r(s);
        l.r(ctl_sem(b, s.unwrap_or(-1), 0, IPC_RMID, 0));
    }
    let keep: Vec<i32> = (0..5)
        .map(|_| b.semget(IPC_PRIVATE, 2, 0o600).unwrap_or(-1))
        .collect();
    l.r(ctl_sem(b, keep[1], 0, IPC_RMID, 0));
    l.r(ctl_sem(b, keep[3], 0, IPC_RMID, 0));
    for _ in 0..3 {
        l.r(b.semget(IPC_PRIVATE, 1, 0o600));
    }
    log_semstat(b, l, 0, SEM_STAT);
    l.r(ctl_sem_ptr(b, 0, 0, SEM_INFO, &raw mut si));
    l.v(si.semusz);
    l.v(si.semaem);

    // Keys.
    l.r(b.msgget(0x1234, 0o600));
    let k = b.msgget(0x1234, IPC_CREAT | 0o640);
    l.r(k);
    let k = k.unwrap_or(-1);
    l.r(b.msgget(0x1234, IPC_CREAT | IPC_EXCL | 0o600));
    l.r(b.msgget(0x1234, 0));
    l.r(b.msgget(0x1234, 0o777));
    log_msgstat(b, l, k, IPC_STAT);

    // Messages.
    for (t, s) in [
        (5i64, &b"a"[..]),
        (3, b"bb"),
        (5, b"ccc"),
        (1, b"d"),
        (2, b"eeeee"),
    ] {
        l.r(b.msgsnd(k, &mbuf(t, s)[..8 + s.len()], 0));
    }
    let mut buf = [0u8; 8 + 16];
    for (typ, flg) in [(5, MSG_EXCEPT), (-4, 0), (5, 0), (-9, 0), (7, 0)] {
        l.r(b
            .msgrcv(k, &mut buf, typ, flg | IPC_NOWAIT)
            .map(|n| n as i64));
        l.v(i64::from_ne_bytes(buf[..8].try_into().unwrap_or([0; 8])));
    }
    l.r(b
        .msgrcv(k, &mut buf, 1, MSG_COPY | IPC_NOWAIT)
        .map(|n| n as i64));
    l.r(b
        .msgrcv(k, &mut buf[..10], 0, MSG_COPY | IPC_NOWAIT)
        .map(|n| n as i64));
    l.r(b
        .msgrcv(k, &mut buf[..10], 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR)
        .map(|n| n as i64));
    l.r(b.msgrcv(k, &mut buf[..10], 0, IPC_NOWAIT).map(|n| n as i64));
    l.r(b
        .msgrcv(k, &mut buf[..10], 0, IPC_NOWAIT | MSG_NOERROR)
        .map(|n| n as i64));
    l.r(b.msgsnd(k, &mbuf(0, b"")[..8], 0));
    l.r(b.msgsnd(k, &mbuf(1, b"")[..7], 0));
    l.r(b.msgsnd(-1, &mbuf(1, b"")[..8], 0));
    log_msgstat(b, l, k, IPC_STAT);
    let mut ds = msqid64_ds::default();
    // SAFETY: live msqid64_ds.
    unsafe { b.msgctl(k, IPC_STAT, (&mut ds as *mut msqid64_ds).cast()) }.ok();
    for qb in [3u64, (1 << 32) + 5, u32::MAX as u64, 16385, 16384] {
        ds.msg_qbytes = qb;
        // SAFETY: live msqid64_ds.
        l.r(unsafe { b.msgctl(k, IPC_SET, (&mut ds as *mut msqid64_ds).cast()) });
        log_msgstat(b, l, k, IPC_STAT);
    }
    ds.msg_qbytes = 3;
    // SAFETY: live msqid64_ds.
    l.r(unsafe { b.msgctl(k, IPC_SET, (&mut ds as *mut msqid64_ds).cast()) });
    for _ in 0..3 {
        l.r(b.msgsnd(k, &mbuf(1, b"")[..8], IPC_NOWAIT));
    }
    let mut mi2 = msginfo::default();
    // SAFETY: live msginfo.
    l.r(unsafe { b.msgctl(0, MSG_INFO, (&mut mi2 as *mut msginfo).cast()) });
    for v in [mi2.msgpool, mi2.msgmap, mi2.msgtql] {
        l.v(v);
    }
    log_msgstat(b, l, k & 0x7fff, MSG_STAT);
    for cmd in [IPC_INFO, IPC_STAT, IPC_SET, 77, IPC_STAT | IPC_64, -1] {
        l.r(ctl0_msg(b, k, cmd));
    }

    // Semaphores.
    let s = b.semget(0x77, 3, IPC_CREAT | 0o600);
    l.r(s);
    let s = s.unwrap_or(-1);
    l.r(b.semget(0x77, 4, 0));
    l.r(b.semget(0x77, 0, 0));
    l.r(b.semget(0x77, -1, 0));
    l.r(b.semget(0x78, 32001, IPC_CREAT | 0o600));
    log_semstat(b, l, s, IPC_STAT);
    let nw = IPC_NOWAIT as i16;
    l.r(b.semop(s, &[]));
    l.r(b.semop(-1, &[so(0, 1, 0); 501]));
    l.r(b.semop(s, &[so(0, 1, 0), so(5, 1, 0)]));
    l.r(b.semop(s, &[so(0, -1, nw)]));
    l.r(b.semop(s, &[so(0, 32767, 0)]));
    l.r(b.semop(s, &[so(0, 1, 0)]));
    l.r(b.semop(s, &[so(1, 2, 0), so(1, -3, nw)]));
    l.r(b.semop(s, &[so(2, 32767, 0), so(1, -1, nw)]));
    l.r(b.semop(s, &[so(1, 3, 0), so(1, -1, 0), so(2, 0, 0)]));
    for t in [(0, 1_000_000_000), (-1, 0), (0, -1), (0, 1000)] {
        let ts = timespec {
            tv_sec: t.0,
            tv_nsec: t.1,
        };
        l.r(b.semtimedop(s, &[so(2, -1, 0)], Some(&ts)));
    }
    let mut vals = [0u16; 3];
    l.r(ctl_sem_ptr(b, s, 0, GETALL, vals.as_mut_ptr()));
    for v in vals {
        l.v(v);
    }
    for (num, cmd, arg) in [
        (0, GETVAL, 0),
        (1, GETPID, 0),
        (2, GETPID, 0),
        (3, GETVAL, 0),
        (-1, GETNCNT, 0),
        (0, GETZCNT, 0),
    ] {
        l.r(ctl_sem(b, s, num, cmd, arg).map(|v| {
            if cmd == GETPID {
                i32::from(v == b.getpid())
            } else {
                v
            }
        }));
    }
    for (num, arg) in [(0, 32768usize), (0, u32::MAX as usize), (9, 5), (2, 7)] {
        l.r(ctl_sem(b, s, num, SETVAL, arg));
    }
    let bad = [1u16, 40000, 2];
    l.r(ctl_sem_ptr(b, s, 0, SETALL, bad.as_ptr().cast_mut()));
    for cmd in [IPC_STAT, GETALL, IPC_SET, 99] {
        l.r(ctl_sem(b, s, 0, cmd, 0));
    }
    log_semstat(b, l, s, IPC_STAT);

    // Shared memory.
    l.r(b.shmget(IPC_PRIVATE, 0, 0o600));
    l.r(b.shmget(IPC_PRIVATE, 4096, SHM_HUGETLB | 0o600));
    let h = b.shmget(0x55, 10000, IPC_CREAT | 0o600);
    l.r(h);
    let h = h.unwrap_or(-1);
    l.r(b.shmget(0x55, 10001, 0));
    l.r(b.shmget(0x55, 0, 0));
    // SAFETY: null: the backend picks the address.
    let at = |flg| unsafe { b.shmat(h, core::ptr::null(), flg) };
    let p = at(0);
    l.r(p.map(|_| 0i64));
    let p2 = at(SHM_RDONLY);
    l.r(p2.map(|_| 0i64));
    // Distinct addresses aliasing one segment's bytes, and shmat at an address
    // the caller gives (the arena model can do neither: see the mock's docs).
    if let (true, Ok(w), Ok(r)) = (sysv_ipc_mock::DISTINCT_ADDRESSES, p, p2) {
        l.v(i64::from(w != r));
        // SAFETY: both attached, 10000 bytes; byte 9999 is inside the segment.
        unsafe { w.cast::<u8>().wrapping_add(9999).write(0x5a) };
        // SAFETY: as above.
        l.v(i64::from(unsafe {
            r.cast::<u8>().wrapping_add(9999).read()
        }));
        // SAFETY: `w`'s range is in use: EINVAL before anything is mapped.
        l.r(unsafe { b.shmat(h, w, 0) }.map(|_| 0i64));
        // SAFETY: rounded down to `w`, in use: as above.
        l.r(unsafe { b.shmat(h, w.cast::<u8>().wrapping_add(5).cast(), SHM_RND) }.map(|_| 0i64));
        // SAFETY: unaligned without SHM_RND: EINVAL before anything is mapped.
        l.r(unsafe { b.shmat(h, w.cast::<u8>().wrapping_add(5).cast(), 0) }.map(|_| 0i64));
        // SHM_REMAP over our own attachment at `w`: replaced, still one of them.
        // SAFETY: `w`'s range is ours; the segment replaces itself there.
        let again = unsafe { b.shmat(h, w, SHM_REMAP) };
        l.v(i64::from(again == Ok(w)));
        log_shmstat(b, l, h, IPC_STAT);
        // SAFETY: nothing references `r`'s mapping.
        l.r(unsafe { b.shmdt(r) });
        // `r`'s range is free again: mapped there (and detached below as `p2`
        // was), the same bytes.
        // SAFETY: a free range; the backend maps there or fails.
        let again = unsafe { b.shmat(h, r, SHM_RDONLY) };
        l.v(i64::from(again == Ok(r)));
        if again.is_ok() {
            // SAFETY: attached at `r`, 10000 bytes.
            l.v(i64::from(unsafe {
                r.cast::<u8>().wrapping_add(9999).read()
            }));
        }
        // SAFETY: `w` is still attached (this is a fresh attachment of its own).
        let p3 = unsafe { b.shmat(h, core::ptr::null(), 0) };
        l.r(p3.map(|_| 0i64));
        if let Ok(q) = p3 {
            log_shmstat(b, l, h, IPC_STAT);
            // SAFETY: nothing references the mapping.
            l.r(unsafe { b.shmdt(q) });
        }
        // SAFETY: `w` survives the other detaches.
        l.v(i64::from(unsafe {
            w.cast::<u8>().wrapping_add(9999).read()
        }));
    }
    log_shmstat(b, l, h, IPC_STAT);
    l.r(ctl0_shm(b, h, IPC_RMID));
    l.r(b.shmget(0x55, 0, 0));
    log_shmstat(b, l, h & 0x7fff, SHM_STAT);
    for q in [p, p2].into_iter().flatten() {
        // SAFETY: nothing references the mapping.
        l.r(unsafe { b.shmdt(q) });
    }
    if let Ok(q) = p {
        // SAFETY: already detached: the kernel (and mock) say EINVAL.
        l.r(unsafe { b.shmdt(q) });
    }
    log_shmstat(b, l, h, IPC_STAT);
    let h2 = b.shmget(IPC_PRIVATE, 5000, 0o640);
    l.r(h2);
    let h2 = h2.unwrap_or(-1);
    l.r(ctl0_shm(b, h2, SHM_LOCK));
    log_shmstat(b, l, h2, IPC_STAT);
    l.r(ctl0_shm(b, h2, SHM_UNLOCK));
    let mut inf = shm_info::default();
    // SAFETY: live shm_info.
    l.r(unsafe { b.shmctl(0, SHM_INFO, (&mut inf as *mut shm_info).cast()) });
    l.v(inf.used_ids);
    l.v(inf.shm_tot as i64);
    for cmd in [IPC_STAT, IPC_SET, 99, IPC_INFO] {
        l.r(ctl0_shm(b, h2, cmd));
    }
    // SAFETY: the address checks fail before anything is mapped.
    l.r(unsafe { b.shmat(h2, 0x1001 as *const c_void, 0) }.map(|_| 0i64));
    // SAFETY: as above.
    l.r(unsafe { b.shmat(h2, core::ptr::null(), SHM_REMAP) }.map(|_| 0i64));
    // SAFETY: nothing is mapped there; the kernel says EINVAL.
    l.r(unsafe { b.shmdt(0x1000 as *const c_void) });

    // Huge pages: a size the system lacks, a reservation nobody made, none needed.
    for flags in HUGE_FLAGS {
        let r = b.shmget(IPC_PRIVATE, 4096, flags | 0o600);
        l.r(r);
        if let Ok(id) = r {
            // Lock and unlock do nothing to a hugetlb segment (no SHM_LOCKED).
            l.r(ctl0_shm(b, id, SHM_LOCK));
            log_shmstat(b, l, id, IPC_STAT);
            l.r(ctl0_shm(b, id, IPC_RMID));
        }
    }

    // Permissions as an ordinary user.
    let open = b.msgget(0x4242, IPC_CREAT | 0o606).unwrap_or(-1);
    drop_privileges();
    l.r(b.msgget(0x4242, 0o600));
    l.r(b.msgget(0x4242, 0o006));
    l.r(b.msgsnd(open, &mbuf(1, b"x")[..9], 0));
    l.r(b.msgrcv(open, &mut buf, 0, IPC_NOWAIT).map(|n| n as i64));
    l.r(b.msgrcv(k, &mut buf, 0, IPC_NOWAIT).map(|n| n as i64));
    log_msgstat(b, l, k, IPC_STAT);
    log_msgstat(b, l, k & 0x7fff, MSG_STAT_ANY);
    l.r(ctl0_msg(b, open, IPC_RMID));
    l.r(ctl_sem(b, s, 0, GETVAL, 0));
    l.r(ctl_sem(b, s, 7, GETVAL, 0));
    l.r(ctl_sem(b, s, 0, SETVAL, 1));
    l.r(b.semop(s, &[so(0, 0, nw)]));
    l.r(ctl0_shm(b, h2, SHM_LOCK));
    // SAFETY: as above.
    l.r(unsafe { b.shmat(h2, core::ptr::null(), 0) }.map(|_| 0i64));
    l.r(b.shmget(IPC_PRIVATE, 1, 0o600));

    // IPC_SET needs ownership, not read permission: on its own objects of modes the
    // owner may not read, from buffers never read; uid (uid_t)-1 is EINVAL for the
    // owner and EPERM on root's objects.
    for mode in [0o000, 0o200] {
        let q = b.msgget(IPC_PRIVATE, mode).unwrap_or(-1);
        let sem = b.semget(IPC_PRIVATE, 1, mode).unwrap_or(-1);
        let shm = b.shmget(IPC_PRIVATE, 1, mode).unwrap_or(-1);
        for uid in [u32::MAX, 65534] {
            let mut mds = msqid64_ds::default();
            mds.msg_perm.uid = uid;
            mds.msg_perm.gid = uid;
            mds.msg_perm.mode = 0o640;
            mds.msg_qbytes = 1000;
            let mut sds = semid64_ds {
                sem_perm: mds.msg_perm,
                ..semid64_ds::default()
            };
            let mut hds = shmid64_ds {
                shm_perm: mds.msg_perm,
                ..shmid64_ds::default()
            };
            for (id, ds) in [(q, mds), (k, mds)] {
                let mut ds = ds;
                // SAFETY: live msqid64_ds.
                l.r(unsafe { b.msgctl(id, IPC_SET, (&raw mut ds).cast()) });
            }
            for id in [sem, s] {
                l.r(ctl_sem_ptr(b, id, 0, IPC_SET, &raw mut sds));
            }
            for id in [shm, h2] {
                // SAFETY: live shmid64_ds.
                l.r(unsafe { b.shmctl(id, IPC_SET, (&raw mut hds).cast()) });
            }
        }
        log_msgstat(b, l, q, IPC_STAT);
        log_semstat(b, l, sem, IPC_STAT);
        log_shmstat(b, l, shm, IPC_STAT);
    }
    // Neither CAP_IPC_LOCK nor vm.hugetlb_shm_group: EPERM, after the size check.
    for flags in HUGE_FLAGS {
        l.r(b.shmget(IPC_PRIVATE, 4096, flags | 0o600));
    }
}

/// `SHM_HUGETLB` with the default size, 2 MiB, 1 GiB, 1 MiB (no such pages on
/// x86_64 or on 4K-page aarch64) and a size field of 63, each with and without
/// `SHM_NORESERVE`.
const HUGE_FLAGS: [i32; 10] = {
    let mut f = [0; 10];
    let sizes = [
        0,
        SHM_HUGE_2MB,
        SHM_HUGE_1GB,
        20 << SHM_HUGE_SHIFT,
        63 << SHM_HUGE_SHIFT,
    ];
    let mut i = 0;
    while i < 10 {
        f[i] = SHM_HUGETLB | sizes[i / 2] | if i % 2 == 1 { SHM_NORESERVE } else { 0 };
        i += 1;
    }
    f
};

/// The host's huge page sizes (`/sys/kernel/mm/hugepages/hugepages-<kB>kB`) and
/// `vm.hugetlb_shm_group`, for the mock to have the same ones (testkit's
/// `host_huge_pages`, which this crate cannot depend on without a second mock).
fn host_huge_pages() -> HugePages {
    let mut sizes = 0u64;
    for e in std::fs::read_dir("/sys/kernel/mm/hugepages")
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = e.file_name().into_string().unwrap_or_default();
        let kb = name
            .strip_prefix("hugepages-")
            .and_then(|n| n.strip_suffix("kB"));
        if let Some(kb) = kb.and_then(|kb| kb.parse::<u64>().ok()) {
            // Bit n for pages of 2^n bytes.
            sizes |= 1u64 << (kb * 1024).trailing_zeros();
        }
    }
    let shm_group = std::fs::read_to_string("/proc/sys/vm/hugetlb_shm_group")
        .ok()
        .and_then(|g| g.trim().parse().ok())
        .unwrap_or(0);
    HugePages { sizes, shm_group }
}

/// The capabilities this test runs with (root in a container may lack some:
/// here CAP_SYS_RESOURCE is missing), read from /proc/self/status.
fn host_caps() -> Caps {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    let mut caps = Caps::NONE;
    for (bit, cap) in [
        (14, Caps::IPC_LOCK),
        (15, Caps::IPC_OWNER),
        (21, Caps::SYS_ADMIN),
        (24, Caps::SYS_RESOURCE),
    ] {
        if eff & (1 << bit) != 0 {
            caps = caps.union(cap);
        }
    }
    caps
}

#[test]
fn mock_agrees_with_a_fresh_kernel_namespace() {
    // Kernel side, in a child with its own IPC namespace.
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let mut log = Log(Vec::with_capacity(4096));
    // SAFETY: the child only makes syscalls and writes to the preallocated log,
    // then leaves with _exit, so no lock held by another thread at fork matters.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: plain syscalls in the child.
        let ok = unsafe { libc::unshare(libc::CLONE_NEWIPC) } == 0;
        if ok {
            let drop_privileges = || {
                // SAFETY: an empty group list (null with count 0 is allowed).
                unsafe { libc::setgroups(0, core::ptr::null()) };
                // SAFETY: plain credential syscall in the single-threaded child.
                unsafe { libc::setgid(65534) };
                // SAFETY: as above.
                unsafe { libc::setuid(65534) };
            };
            script(&Kernel, &mut log, &drop_privileges);
            let bytes = log.0.len() * 8;
            // SAFETY: the log's buffer holds `bytes` bytes.
            unsafe { libc::write(fds[1], log.0.as_ptr().cast(), bytes) };
        }
        // SAFETY: leave without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 77 }) };
    }
    // SAFETY: closing our copy of the write end.
    unsafe { libc::close(fds[1]) };
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // SAFETY: `chunk` has room for 4096 bytes.
        let n = unsafe { libc::read(fds[0], chunk.as_mut_ptr().cast(), chunk.len()) };
        if n <= 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n as usize]);
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let code = libc::WEXITSTATUS(status);
    if code == 77 {
        std::println!("skipped: needs root (unshare(CLONE_NEWIPC) failed)");
        return;
    }
    assert_eq!(code, 0);
    let kernel: Vec<i64> = raw
        .chunks_exact(8)
        .map(|c| i64::from_ne_bytes(c.try_into().unwrap()))
        .collect();

    // Mock side.
    let m: Box<Mock> = Box::new(Mock::new());
    m.set_on_block(OnBlock::Fail);
    m.set_process(Process::root(pid).with_caps(host_caps()));
    m.set_huge_pages(host_huge_pages());
    let mut mock = Log(Vec::new());
    let drop_privileges = || m.set_process(Process::user(pid, 65534, 65534));
    script(&*m, &mut mock, &drop_privileges);

    let first_diff = kernel.iter().zip(&mock.0).position(|(k, m)| k != m);
    if let Some(i) = first_diff {
        let lo = i.saturating_sub(12);
        std::println!(
            "kernel[{lo}..]: {:?}",
            &kernel[lo..(i + 4).min(kernel.len())]
        );
        std::println!(
            "mock  [{lo}..]: {:?}",
            &mock.0[lo..(i + 4).min(mock.0.len())]
        );
    }
    assert_eq!(kernel.len(), mock.0.len(), "same number of results");
    assert!(
        kernel.len() > 400,
        "the whole script ran: {} results",
        kernel.len()
    );
    for (i, (k, m)) in kernel.iter().zip(&mock.0).enumerate() {
        assert_eq!(k, m, "result #{i} differs (kernel {k}, mock {m})");
    }
}
