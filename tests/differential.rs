//! Differential test: random sequences of System V IPC calls run on the real kernel
//! (raw backend, in a fresh IPC namespace) and on the mock; every result, errno and
//! observed state must agree.
//!
//! `SYSV_IPC_DIFF_CASES` sets the number of sequences (default 256). A disagreement
//! is shrunk by proptest to a minimal sequence and printed op by op, with the
//! kernel's and the mock's result side by side.
//!
//! What is normalised: time fields compare only as "zero / non-zero" (the mock has
//! its own clock); `shm_rss`/`shm_swp` are not compared (residency is the MMU's
//! business). Ids, pids, sequence numbers, modes and counts compare exactly.

use std::ffi::c_void;
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sysv_ipc_abi::*;
use sysv_ipc_linux_raw::LinuxRaw;
use sysv_ipc_mock::{Caps, Limits, Process};

/// Big enough that no capacity of the model is reached before a Linux limit: up to
/// 32 objects of each kind, 4 MiB of segment pages.
type Mock = sysv_ipc_mock::Mock<32, 256, 256, 65536, 1024>;

/// One model per case: `compare` runs in a freshly forked child, which gets its own
/// untouched copy of this static (the parent never uses it), so nothing carries over
/// between cases and nothing 4 MiB large lives on a stack.
static MOCK: Mock = Mock::new();

// ---- the operations ---------------------------------------------------------------

/// Which object an op addresses: the n-th id of that kind seen so far (modulo how
/// many there are), or an id that was never handed out.
#[derive(Clone, Copy, Debug)]
enum Sel {
    Nth(usize),
    Bogus(i32),
}

#[derive(Clone, Copy, Debug)]
struct GetFlags {
    creat: bool,
    excl: bool,
    mode: u32,
}

impl GetFlags {
    fn bits(self) -> i32 {
        (if self.creat { IPC_CREAT } else { 0 })
            | (if self.excl { IPC_EXCL } else { 0 })
            | self.mode as i32
    }
}

#[derive(Clone, Copy, Debug)]
enum MsgCmd {
    Stat,
    Set { mode: u32, qbytes: u64 },
    Rmid,
    Info,
    MsgInfo,
    MsgStat(i32),
    MsgStatAny(i32),
    BadCmd,
}

#[derive(Clone, Debug)]
enum SemCmd {
    GetVal,
    SetVal(i32),
    GetAll,
    SetAll(Vec<u16>),
    GetPid,
    GetNcnt,
    GetZcnt,
    Stat,
    Set { mode: u32 },
    Rmid,
    Info,
    SemInfo,
    SemStat(i32),
    SemStatAny(i32),
    BadCmd,
}

#[derive(Clone, Copy, Debug)]
enum ShmCmd {
    Stat,
    Set { mode: u32 },
    Rmid,
    Info,
    ShmInfo,
    ShmStat(i32),
    ShmStatAny(i32),
    Lock,
    Unlock,
    BadCmd,
}

#[derive(Clone, Debug)]
enum Op {
    MsgGet {
        key: u8,
        flags: GetFlags,
    },
    MsgSnd {
        q: Sel,
        mtype: i64,
        len: usize,
    },
    MsgRcv {
        q: Sel,
        cap: usize,
        msgtyp: i64,
        noerror: bool,
        except: bool,
        copy: bool,
    },
    MsgCtl {
        q: Sel,
        cmd: MsgCmd,
    },
    SemGet {
        key: u8,
        nsems: i32,
        flags: GetFlags,
    },
    /// `semop` with `IPC_NOWAIT` on every op (a blocking call would hang the kernel
    /// side and is covered by the conformance suite instead); `timed` uses
    /// `semtimedop` with a zero timeout.
    Semop {
        s: Sel,
        ops: Vec<(u16, i16, bool)>,
        timed: bool,
    },
    /// The same ops, made by a short-lived child process that exits afterwards, so
    /// that `SEM_UNDO` adjustments are applied.
    SemopInChild {
        s: Sel,
        ops: Vec<(u16, i16, bool)>,
    },
    SemCtl {
        s: Sel,
        num: i32,
        cmd: SemCmd,
    },
    ShmGet {
        key: u8,
        size: usize,
        flags: GetFlags,
        /// `SHM_HUGETLB` with a page-size field, and `SHM_NORESERVE`, or 0.
        huge: i32,
    },
    ShmAt {
        m: Sel,
        rdonly: bool,
    },
    /// `shmat` (and a write of byte 0 unless read-only) by a short-lived child
    /// process that exits without `shmdt`, so the exit detaches it.
    ShmAtInChild {
        m: Sel,
        rdonly: bool,
    },
    ShmDt {
        a: usize,
        bogus: bool,
    },
    ShmWrite {
        a: usize,
        off: usize,
        val: u8,
    },
    ShmRead {
        a: usize,
        off: usize,
    },
    ShmCtl {
        m: Sel,
        cmd: ShmCmd,
    },
    /// Become uid/gid 65534 (`true`) or root again (`false`): effective ids only, so
    /// the way back stays open.
    Nobody(bool),
}

#[derive(Clone, Debug)]
struct Case {
    /// Lower msgmni/semmni/shmmni (and friends) so that `ENOSPC` is reachable.
    low_limits: bool,
    ops: Vec<Op>,
}

fn key_of(k: u8) -> i32 {
    if k == 0 {
        IPC_PRIVATE
    } else {
        0x5157_0000 + i32::from(k)
    }
}

fn sel() -> impl Strategy<Value = Sel> {
    prop_oneof![
        8 => (0usize..8).prop_map(Sel::Nth),
        1 => prop_oneof![Just(-1), Just(0), Just(1), Just(32768), Just(0x7fff_ffff)].prop_map(Sel::Bogus),
    ]
}

fn get_flags() -> impl Strategy<Value = GetFlags> {
    (
        any::<bool>(),
        prop::bool::weighted(0.2),
        prop_oneof![
            Just(0o600),
            Just(0o644),
            Just(0o666),
            Just(0o400),
            Just(0o200),
            Just(0o000),
            Just(0o640)
        ],
    )
        .prop_map(|(creat, excl, mode)| GetFlags {
            creat: creat || excl,
            excl,
            mode,
        })
}

fn index() -> impl Strategy<Value = i32> {
    prop_oneof![Just(-1), 0i32..4, Just(32768)]
}

fn mode() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0o600),
        Just(0o666),
        Just(0o000),
        Just(0o444),
        Just(0o1777)
    ]
}

/// Mostly no huge pages; else `SHM_HUGETLB` with the default size, 2 MiB, 1 GiB,
/// or a size no system here has (1 MiB, 2^63), with or without `SHM_NORESERVE`.
fn huge_flags() -> impl Strategy<Value = i32> {
    let size = prop_oneof![
        Just(0),
        Just(SHM_HUGE_2MB),
        Just(SHM_HUGE_1GB),
        Just(20 << SHM_HUGE_SHIFT),
        Just(63 << SHM_HUGE_SHIFT),
    ];
    prop_oneof![
        4 => Just(0),
        1 => (size, any::<bool>())
            .prop_map(|(size, nores)| SHM_HUGETLB | size | if nores { SHM_NORESERVE } else { 0 }),
    ]
}

fn sem_ops() -> impl Strategy<Value = Vec<(u16, i16, bool)>> {
    prop::collection::vec(
        (
            prop_oneof![8 => 0u16..4, 1 => Just(40u16)],
            prop_oneof![-3i16..=3, Just(32767), Just(-32768)],
            prop::bool::weighted(0.3),
        ),
        0..4,
    )
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..4;
    prop_oneof![
        3 => (key.clone(), get_flags()).prop_map(|(key, flags)| Op::MsgGet { key, flags }),
        4 => (sel(), prop_oneof![Just(-1i64), 0i64..4], prop_oneof![Just(0usize), Just(1), Just(5), Just(16), Just(100), Just(8192), Just(8193)])
            .prop_map(|(q, mtype, len)| Op::MsgSnd { q, mtype, len }),
        4 => (sel(), prop_oneof![Just(0usize), Just(4), Just(16), Just(100), Just(8192)], prop_oneof![-3i64..=3, Just(i64::MIN)], prop::bool::weighted(0.3), prop::bool::weighted(0.2), prop::bool::weighted(0.15))
            .prop_map(|(q, cap, msgtyp, noerror, except, copy)| Op::MsgRcv { q, cap, msgtyp, noerror, except, copy }),
        2 => (sel(), prop_oneof![
                Just(MsgCmd::Stat),
                (mode(), prop_oneof![Just(0u64), Just(100), Just(16384), Just(20000)]).prop_map(|(mode, qbytes)| MsgCmd::Set { mode, qbytes }),
                Just(MsgCmd::Rmid), Just(MsgCmd::Info), Just(MsgCmd::MsgInfo),
                index().prop_map(MsgCmd::MsgStat), index().prop_map(MsgCmd::MsgStatAny), Just(MsgCmd::BadCmd),
            ]).prop_map(|(q, cmd)| Op::MsgCtl { q, cmd }),
        3 => (key.clone(), prop_oneof![Just(0i32), 1i32..5, Just(-1), Just(32001)], get_flags())
            .prop_map(|(key, nsems, flags)| Op::SemGet { key, nsems, flags }),
        4 => (sel(), sem_ops(), prop::bool::weighted(0.2)).prop_map(|(s, ops, timed)| Op::Semop { s, ops, timed }),
        1 => (sel(), sem_ops()).prop_map(|(s, ops)| Op::SemopInChild { s, ops }),
        3 => (sel(), prop_oneof![5 => 0i32..4, 1 => Just(-1), 1 => Just(9)], prop_oneof![
                Just(SemCmd::GetVal), prop_oneof![0i32..4, Just(32767), Just(32768), Just(-1)].prop_map(SemCmd::SetVal),
                Just(SemCmd::GetAll), prop::collection::vec(prop_oneof![0u16..3, Just(32767), Just(32768)], 4).prop_map(SemCmd::SetAll),
                Just(SemCmd::GetPid), Just(SemCmd::GetNcnt), Just(SemCmd::GetZcnt), Just(SemCmd::Stat),
                mode().prop_map(|mode| SemCmd::Set { mode }), Just(SemCmd::Rmid), Just(SemCmd::Info), Just(SemCmd::SemInfo),
                index().prop_map(SemCmd::SemStat), index().prop_map(SemCmd::SemStatAny), Just(SemCmd::BadCmd),
            ]).prop_map(|(s, num, cmd)| Op::SemCtl { s, num, cmd }),
        3 => (key, prop_oneof![Just(0usize), Just(1), Just(100), Just(4096), Just(5000), Just(65536), Just(usize::MAX)], get_flags(), huge_flags())
            .prop_map(|(key, size, flags, huge)| Op::ShmGet { key, size, flags, huge }),
        2 => (sel(), prop::bool::weighted(0.3)).prop_map(|(m, rdonly)| Op::ShmAt { m, rdonly }),
        1 => (sel(), prop::bool::weighted(0.3)).prop_map(|(m, rdonly)| Op::ShmAtInChild { m, rdonly }),
        1 => (0usize..4, prop::bool::weighted(0.2)).prop_map(|(a, bogus)| Op::ShmDt { a, bogus }),
        2 => (0usize..4, prop_oneof![Just(0usize), Just(99), Just(4095), Just(4096), Just(4999)], any::<u8>())
            .prop_map(|(a, off, val)| Op::ShmWrite { a, off, val }),
        2 => (0usize..4, prop_oneof![Just(0usize), Just(99), Just(4095), Just(4096), Just(4999)])
            .prop_map(|(a, off)| Op::ShmRead { a, off }),
        2 => (sel(), prop_oneof![
                Just(ShmCmd::Stat), mode().prop_map(|mode| ShmCmd::Set { mode }), Just(ShmCmd::Rmid),
                Just(ShmCmd::Info), Just(ShmCmd::ShmInfo), index().prop_map(ShmCmd::ShmStat),
                index().prop_map(ShmCmd::ShmStatAny), Just(ShmCmd::Lock), Just(ShmCmd::Unlock), Just(ShmCmd::BadCmd),
            ]).prop_map(|(m, cmd)| Op::ShmCtl { m, cmd }),
        1 => any::<bool>().prop_map(Op::Nobody),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::bool::weighted(0.25),
        prop::collection::vec(op(), 1..40),
    )
        .prop_map(|(low_limits, ops)| Case { low_limits, ops })
}

// ---- the worlds the ops run in ------------------------------------------------------

/// What differs between the kernel and the mock beyond the `Backend` calls: who the
/// caller is, and short-lived child processes.
trait World {
    type B: Backend;
    fn backend(&self) -> &Self::B;
    /// Switches the effective credential; false if this run cannot (not root).
    fn become_nobody(&mut self, nobody: bool) -> bool;
    /// Whether this run is real root (not root of its own user namespace).
    fn has_real_root(&self) -> bool;
    /// Runs `f` as a child process that exits right after (undo applied).
    fn in_child(&mut self, f: &dyn Fn(&Self::B) -> String) -> String;
}

struct Kernel {
    can_switch: bool,
    child_pids: Vec<i32>,
}

impl World for Kernel {
    type B = LinuxRaw;
    fn backend(&self) -> &LinuxRaw {
        &LinuxRaw
    }
    fn become_nobody(&mut self, nobody: bool) -> bool {
        if !self.can_switch {
            return false;
        }
        // The saved uid stays 0, so the way back to root stays open.
        if nobody {
            assert_eq!(set_egid(65534), 0);
            assert_eq!(set_euid(65534), 0);
        } else {
            assert_eq!(set_euid(0), 0);
            assert_eq!(set_egid(0), 0);
        }
        true
    }
    fn has_real_root(&self) -> bool {
        self.can_switch
    }
    fn in_child(&mut self, f: &dyn Fn(&LinuxRaw) -> String) -> String {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` is a live array of two ints that pipe fills.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: the child only runs `f`, writes its result and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let out = f(&LinuxRaw);
            // SAFETY: `out` is a live String; write reads `out.len()` bytes of it.
            unsafe { libc::write(fds[1], out.as_ptr().cast(), out.len()) };
            // SAFETY: leaves the child at once, without running the parent's destructors.
            unsafe { libc::_exit(0) };
        }
        // SAFETY: we close our copy of the write end, a descriptor we own.
        unsafe { libc::close(fds[1]) };
        let mut buf = vec![0u8; 4096];
        // SAFETY: `buf` is a live Vec of `buf.len()` bytes.
        let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a live local.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        // SAFETY: closing the read end we own.
        unsafe { libc::close(fds[0]) };
        self.child_pids.push(pid);
        String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned()
    }
}

fn set_euid(id: u32) -> i32 {
    // SAFETY: seteuid takes a number only.
    unsafe { libc::seteuid(id) }
}

fn set_egid(id: u32) -> i32 {
    // SAFETY: setegid takes a number only.
    unsafe { libc::setegid(id) }
}

struct Sim<'m> {
    mock: &'m Mock,
    pid: i32,
    nobody: bool,
    can_switch: bool,
    child_pids: std::vec::IntoIter<i32>,
}

impl<'m> World for Sim<'m> {
    type B = &'m Mock;
    fn backend(&self) -> &&'m Mock {
        &self.mock
    }
    fn become_nobody(&mut self, nobody: bool) -> bool {
        if !self.can_switch {
            return false;
        }
        self.nobody = nobody;
        let id = if nobody { 65534 } else { 0 };
        self.mock.set_process(mock_process(self.pid, id));
        true
    }
    fn has_real_root(&self) -> bool {
        self.can_switch
    }
    fn in_child(&mut self, f: &dyn Fn(&&'m Mock) -> String) -> String {
        let child = self
            .child_pids
            .next()
            .expect("the kernel run forked as often");
        let id = if self.nobody { 65534 } else { 0 };
        self.mock.fork_process(self.pid, child).unwrap();
        self.mock.set_process(mock_process(child, id));
        let out = f(&self.mock);
        self.mock.exit_process(child);
        self.mock.set_process(mock_process(self.pid, id));
        out
    }
}

/// The mock's view of the caller: root with the capabilities this process really
/// has (a sandbox may lack some, e.g. `CAP_SYS_RESOURCE`), or uid/gid 65534 with none
/// (as after `seteuid`, which clears the effective set).
fn mock_process(pid: i32, id: u32) -> Process {
    if id == 0 {
        let mut p = Process::root(pid);
        p.caps = real_caps();
        p
    } else {
        // seteuid keeps the supplementary groups (vm.hugetlb_shm_group's test).
        Process::user(pid, id, id)
            .with_groups(&real_groups())
            .unwrap()
    }
}

fn real_groups() -> Vec<u32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find_map(|l| l.strip_prefix("Groups:"));
    line.unwrap_or_default()
        .split_whitespace()
        .map(|g| g.parse().unwrap())
        .collect()
}

fn real_caps() -> Caps {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    let eff = u64::from_str_radix(hex, 16).unwrap();
    // Inside the user namespace of a non-root run, CapEff lists every capability,
    // but msgctl checks CAP_SYS_RESOURCE with capable(), against the initial user
    // namespace, where this process has none. The other three are ns_capable() checks
    // against the IPC namespace's owner, which the user namespace is.
    let in_userns = !sysv_ipc_testkit::is_root();
    let mut caps = Caps::NONE;
    for (bit, cap, global) in [
        (15, Caps::IPC_OWNER, false),
        (21, Caps::SYS_ADMIN, false),
        (24, Caps::SYS_RESOURCE, true),
        (14, Caps::IPC_LOCK, false),
    ] {
        if eff & (1 << bit) != 0 && !(global && in_userns) {
            caps = caps.union(cap);
        }
    }
    caps
}

// ---- running a sequence -------------------------------------------------------------

#[derive(Default)]
struct Objects {
    msg: Vec<i32>,
    sem: Vec<i32>,
    shm: Vec<i32>,
    /// Segments a `SHM_HUGETLB` shmget returned: with no huge page reserved on the
    /// host, touching one would be `SIGBUS`, so their attachments are never read
    /// or written.
    huge: Vec<i32>,
    /// (address, size usable, read-only)
    att: Vec<(*mut c_void, usize, bool)>,
}

fn pick(ids: &[i32], s: Sel) -> i32 {
    match s {
        Sel::Nth(n) if !ids.is_empty() => ids[n % ids.len()],
        Sel::Nth(_) => 12345,
        Sel::Bogus(id) => id,
    }
}

fn remember(ids: &mut Vec<i32>, id: i32) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

fn res<T: std::fmt::Debug>(r: Result<T, Errno>) -> String {
    match r {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e:?})"),
    }
}

fn t(x: i64) -> &'static str {
    if x == 0 { "0" } else { "t" }
}

fn perm(p: &ipc64_perm) -> String {
    format!(
        "key={:#x} uid={} gid={} cuid={} cgid={} mode={:o} seq={} pad=({},{},{},{})",
        p.key,
        p.uid,
        p.gid,
        p.cuid,
        p.cgid,
        p.mode,
        p.seq,
        p._pad2,
        p._pad3,
        p._unused1,
        p._unused2
    )
}

fn msq(d: &msqid64_ds) -> String {
    format!(
        "[{} stime={} rtime={} ctime={} cbytes={} qnum={} qbytes={} lspid={} lrpid={}]",
        perm(&d.msg_perm),
        t(d.msg_stime),
        t(d.msg_rtime),
        t(d.msg_ctime),
        d.msg_cbytes,
        d.msg_qnum,
        d.msg_qbytes,
        d.msg_lspid,
        d.msg_lrpid
    )
}

fn semds(d: &semid64_ds) -> String {
    format!(
        "[{} otime={} ctime={} nsems={}]",
        perm(&d.sem_perm),
        t(d.sem_otime),
        t(d.sem_ctime),
        d.sem_nsems
    )
}

fn shmds(d: &shmid64_ds) -> String {
    format!(
        "[{} segsz={} atime={} dtime={} ctime={} cpid={} lpid={} nattch={}]",
        perm(&d.shm_perm),
        d.shm_segsz,
        t(d.shm_atime),
        t(d.shm_dtime),
        t(d.shm_ctime),
        d.shm_cpid,
        d.shm_lpid,
        d.shm_nattch
    )
}

fn text_for(step: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ step) as u8)
        .collect()
}

fn sembufs(ops: &[(u16, i16, bool)], nowait: bool) -> Vec<sembuf> {
    ops.iter()
        .map(|&(num, op, undo)| sembuf {
            sem_num: num,
            sem_op: op,
            sem_flg: (if nowait { IPC_NOWAIT as i16 } else { 0 }) | if undo { SEM_UNDO } else { 0 },
        })
        .collect()
}

// Typed *ctl wrappers: each takes the struct its commands read or write, and checks
// that the command is one of those, so the unsafe calls stay in one place each.

fn msgctl_ds<B: Backend>(b: &B, id: i32, cmd: i32, ds: &mut msqid64_ds) -> Result<i32, Errno> {
    assert!([IPC_STAT, IPC_SET, MSG_STAT, MSG_STAT_ANY, BAD_CMD].contains(&cmd));
    // SAFETY: these commands read or write one msqid64_ds (a bad command nothing),
    // and `ds` is a live one.
    unsafe { b.msgctl(id, cmd, (ds as *mut msqid64_ds).cast()) }
}

fn msgctl_info<B: Backend>(b: &B, cmd: i32, info: &mut msginfo) -> Result<i32, Errno> {
    assert!([IPC_INFO, MSG_INFO].contains(&cmd));
    // SAFETY: these commands write one msginfo, and `info` is a live one.
    unsafe { b.msgctl(0, cmd, (info as *mut msginfo).cast()) }
}

fn msgctl_rmid<B: Backend>(b: &B, id: i32) -> Result<i32, Errno> {
    // SAFETY: IPC_RMID reads and writes no buffer.
    unsafe { b.msgctl(id, IPC_RMID, core::ptr::null_mut()) }
}

fn semctl_ds<B: Backend>(
    b: &B,
    id: i32,
    num: i32,
    cmd: i32,
    ds: &mut semid64_ds,
) -> Result<i32, Errno> {
    assert!([IPC_STAT, IPC_SET, SEM_STAT, SEM_STAT_ANY].contains(&cmd));
    // SAFETY: these commands read or write one semid64_ds, and `ds` is a live one.
    unsafe { b.semctl(id, num, cmd, (ds as *mut semid64_ds).cast()) }
}

fn semctl_info<B: Backend>(b: &B, cmd: i32, info: &mut seminfo) -> Result<i32, Errno> {
    assert!([IPC_INFO, SEM_INFO].contains(&cmd));
    // SAFETY: these commands write one seminfo, and `info` is a live one.
    unsafe { b.semctl(0, 0, cmd, (info as *mut seminfo).cast()) }
}

/// Every set this test makes has fewer semaphores than this.
const MAX_NSEMS: usize = 64;

fn semctl_all<B: Backend>(
    b: &B,
    id: i32,
    num: i32,
    cmd: i32,
    arr: &mut [u16; MAX_NSEMS],
) -> Result<i32, Errno> {
    assert!([GETALL, SETALL].contains(&cmd));
    // SAFETY: GETALL/SETALL access nsems u16 values, and every set of this test has
    // fewer than MAX_NSEMS (semget's nsems comes from `op()`: at most 4).
    unsafe { b.semctl(id, num, cmd, arr.as_mut_ptr().cast()) }
}

fn semctl_val<B: Backend>(b: &B, id: i32, num: i32, cmd: i32, val: usize) -> Result<i32, Errno> {
    assert!([GETVAL, SETVAL, GETPID, GETNCNT, GETZCNT, IPC_RMID, BAD_CMD].contains(&cmd));
    // SAFETY: these commands take a value or nothing, never a pointer.
    unsafe { b.semctl(id, num, cmd, core::ptr::without_provenance_mut(val)) }
}

fn shmctl_ds<B: Backend>(b: &B, id: i32, cmd: i32, ds: &mut shmid64_ds) -> Result<i32, Errno> {
    assert!([IPC_STAT, IPC_SET, SHM_STAT, SHM_STAT_ANY, BAD_CMD].contains(&cmd));
    // SAFETY: these commands read or write one shmid64_ds (a bad command nothing),
    // and `ds` is a live one.
    unsafe { b.shmctl(id, cmd, (ds as *mut shmid64_ds).cast()) }
}

fn shmctl_limits<B: Backend>(b: &B, info: &mut shminfo64) -> Result<i32, Errno> {
    // SAFETY: IPC_INFO writes one shminfo64, and `info` is a live one.
    unsafe { b.shmctl(0, IPC_INFO, (info as *mut shminfo64).cast()) }
}

fn shmctl_usage<B: Backend>(b: &B, usage: &mut shm_info) -> Result<i32, Errno> {
    // SAFETY: SHM_INFO writes one shm_info, and `usage` is a live one.
    unsafe { b.shmctl(0, SHM_INFO, (usage as *mut shm_info).cast()) }
}

fn shmctl_none<B: Backend>(b: &B, id: i32, cmd: i32) -> Result<i32, Errno> {
    assert!([IPC_RMID, SHM_LOCK, SHM_UNLOCK].contains(&cmd));
    // SAFETY: these commands read and write no buffer.
    unsafe { b.shmctl(id, cmd, core::ptr::null_mut()) }
}

const BAD_CMD: i32 = 99;

fn msgctl_out<B: Backend>(b: &B, id: i32, cmd: MsgCmd, objs: &mut Objects) -> String {
    let mut ds = msqid64_ds::default();
    let mut info = msginfo::default();
    match cmd {
        MsgCmd::Stat => {
            let r = msgctl_ds(b, id, IPC_STAT, &mut ds);
            format!("{} {}", res(r), msq(&ds))
        }
        MsgCmd::Set { mode, qbytes } => {
            let _ = msgctl_ds(b, id, IPC_STAT, &mut ds);
            ds.msg_perm.mode = mode;
            ds.msg_qbytes = qbytes;
            res(msgctl_ds(b, id, IPC_SET, &mut ds))
        }
        MsgCmd::Rmid => res(msgctl_rmid(b, id)),
        MsgCmd::Info => {
            let r = msgctl_info(b, IPC_INFO, &mut info);
            format!("{} {info:?}", res(r))
        }
        MsgCmd::MsgInfo => {
            let r = msgctl_info(b, MSG_INFO, &mut info);
            format!("{} {info:?}", res(r))
        }
        MsgCmd::MsgStat(i) | MsgCmd::MsgStatAny(i) => {
            let c = if matches!(cmd, MsgCmd::MsgStat(_)) {
                MSG_STAT
            } else {
                MSG_STAT_ANY
            };
            let r = msgctl_ds(b, i, c, &mut ds);
            if let Ok(id) = r {
                remember(&mut objs.msg, id)
            }
            format!(
                "{} {}",
                res(r),
                if r.is_ok() { msq(&ds) } else { String::new() }
            )
        }
        MsgCmd::BadCmd => res(msgctl_ds(b, id, BAD_CMD, &mut ds)),
    }
}

fn semctl_out<B: Backend>(b: &B, id: i32, num: i32, cmd: &SemCmd, objs: &mut Objects) -> String {
    let mut ds = semid64_ds::default();
    let mut info = seminfo::default();
    let mut arr = [0u16; MAX_NSEMS];
    match cmd {
        SemCmd::GetVal => res(semctl_val(b, id, num, GETVAL, 0)),
        SemCmd::SetVal(v) => res(semctl_val(b, id, num, SETVAL, *v as u32 as usize)),
        SemCmd::GetAll => {
            let r = semctl_all(b, id, num, GETALL, &mut arr);
            format!("{} {:?}", res(r), &arr[..8])
        }
        SemCmd::SetAll(v) => {
            arr[..v.len()].copy_from_slice(v);
            res(semctl_all(b, id, num, SETALL, &mut arr))
        }
        SemCmd::GetPid => res(semctl_val(b, id, num, GETPID, 0)),
        SemCmd::GetNcnt => res(semctl_val(b, id, num, GETNCNT, 0)),
        SemCmd::GetZcnt => res(semctl_val(b, id, num, GETZCNT, 0)),
        SemCmd::Stat => {
            let r = semctl_ds(b, id, num, IPC_STAT, &mut ds);
            format!("{} {}", res(r), semds(&ds))
        }
        SemCmd::Set { mode } => {
            let _ = semctl_ds(b, id, num, IPC_STAT, &mut ds);
            ds.sem_perm.mode = *mode;
            res(semctl_ds(b, id, num, IPC_SET, &mut ds))
        }
        SemCmd::Rmid => res(semctl_val(b, id, num, IPC_RMID, 0)),
        SemCmd::Info => {
            let r = semctl_info(b, IPC_INFO, &mut info);
            format!("{} {info:?}", res(r))
        }
        SemCmd::SemInfo => {
            let r = semctl_info(b, SEM_INFO, &mut info);
            format!("{} {info:?}", res(r))
        }
        SemCmd::SemStat(i) | SemCmd::SemStatAny(i) => {
            let c = if matches!(cmd, SemCmd::SemStat(_)) {
                SEM_STAT
            } else {
                SEM_STAT_ANY
            };
            let r = semctl_ds(b, *i, 0, c, &mut ds);
            if let Ok(id) = r {
                remember(&mut objs.sem, id)
            }
            format!(
                "{} {}",
                res(r),
                if r.is_ok() { semds(&ds) } else { String::new() }
            )
        }
        SemCmd::BadCmd => res(semctl_val(b, id, num, BAD_CMD, 0)),
    }
}

fn shmctl_out<B: Backend>(b: &B, id: i32, cmd: ShmCmd, objs: &mut Objects) -> String {
    let mut ds = shmid64_ds::default();
    match cmd {
        ShmCmd::Stat => {
            let r = shmctl_ds(b, id, IPC_STAT, &mut ds);
            format!("{} {}", res(r), shmds(&ds))
        }
        ShmCmd::Set { mode } => {
            let _ = shmctl_ds(b, id, IPC_STAT, &mut ds);
            ds.shm_perm.mode = mode;
            res(shmctl_ds(b, id, IPC_SET, &mut ds))
        }
        ShmCmd::Rmid => res(shmctl_none(b, id, IPC_RMID)),
        ShmCmd::Info => {
            let mut info = shminfo64::default();
            let r = shmctl_limits(b, &mut info);
            format!("{} {info:?}", res(r))
        }
        ShmCmd::ShmInfo => {
            let mut usage = shm_info::default();
            let r = shmctl_usage(b, &mut usage);
            format!(
                "{} used_ids={} shm_tot={}",
                res(r),
                usage.used_ids,
                usage.shm_tot
            )
        }
        ShmCmd::ShmStat(i) | ShmCmd::ShmStatAny(i) => {
            let c = if matches!(cmd, ShmCmd::ShmStat(_)) {
                SHM_STAT
            } else {
                SHM_STAT_ANY
            };
            let r = shmctl_ds(b, i, c, &mut ds);
            if let Ok(id) = r {
                remember(&mut objs.shm, id)
            }
            format!(
                "{} {}",
                res(r),
                if r.is_ok() { shmds(&ds) } else { String::new() }
            )
        }
        ShmCmd::Lock => res(shmctl_none(b, id, SHM_LOCK)),
        ShmCmd::Unlock => res(shmctl_none(b, id, SHM_UNLOCK)),
        ShmCmd::BadCmd => res(shmctl_ds(b, id, BAD_CMD, &mut ds)),
    }
}

/// Runs `case` in `w`, returning one line per op and a final dump of every object.
fn run<W: World>(w: &mut W, case: &Case) -> Vec<String> {
    let mut objs = Objects::default();
    let mut out = Vec::with_capacity(case.ops.len() + 8);
    let mut nobody = false;
    let mut buf = vec![0u8; MTYPE_SIZE + 8192];
    for (step, op) in case.ops.iter().enumerate() {
        let b = w.backend();
        let line = match op {
            Op::MsgGet { key, flags } => {
                let r = b.msgget(key_of(*key), flags.bits());
                if let Ok(id) = r {
                    remember(&mut objs.msg, id)
                }
                res(r)
            }
            Op::MsgSnd { q, mtype, len } => {
                let mut msg = mtype.to_ne_bytes().to_vec();
                msg.extend(text_for(step, *len));
                res(b.msgsnd(pick(&objs.msg, *q), &msg, IPC_NOWAIT))
            }
            Op::MsgRcv {
                q,
                cap,
                msgtyp,
                noerror,
                except,
                copy,
            } => {
                let flags = IPC_NOWAIT
                    | if *noerror { MSG_NOERROR } else { 0 }
                    | if *except { MSG_EXCEPT } else { 0 }
                    | if *copy { MSG_COPY } else { 0 };
                let msg = &mut buf[..MTYPE_SIZE + cap];
                msg.fill(0xee);
                let r = b.msgrcv(pick(&objs.msg, *q), msg, *msgtyp, flags);
                match r {
                    Ok(n) => {
                        let mtype = i64::from_ne_bytes(msg[..8].try_into().unwrap());
                        let sum = msg[8..8 + n]
                            .iter()
                            .fold(0u32, |a, &x| a.wrapping_mul(131).wrapping_add(u32::from(x)));
                        format!("Ok({n}) mtype={mtype} text#{sum:08x}")
                    }
                    Err(e) => format!("Err({e:?})"),
                }
            }
            Op::MsgCtl { q, cmd } => msgctl_out(b, pick(&objs.msg, *q), *cmd, &mut objs),
            Op::SemGet { key, nsems, flags } => {
                let r = b.semget(key_of(*key), *nsems, flags.bits());
                if let Ok(id) = r {
                    remember(&mut objs.sem, id)
                }
                res(r)
            }
            Op::Semop { s, ops, timed } => {
                let id = pick(&objs.sem, *s);
                if *timed {
                    let zero = timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    };
                    res(b.semtimedop(id, &sembufs(ops, false), Some(&zero)))
                } else {
                    res(b.semop(id, &sembufs(ops, true)))
                }
            }
            Op::SemopInChild { s, ops } => {
                let id = pick(&objs.sem, *s);
                let sops = sembufs(ops, true);
                let line = w.in_child(&|b| res(b.semop(id, &sops)));
                format!("child: {line}")
            }
            Op::SemCtl { s, num, cmd } => semctl_out(b, pick(&objs.sem, *s), *num, cmd, &mut objs),
            // `can_do_hugetlb_shm` asks for CAP_IPC_LOCK in the initial user
            // namespace, which a plain user's run (in its own user namespace) lacks
            // while the mock's caller has it, for SHM_LOCK's sake.
            Op::ShmGet { huge, .. } if *huge != 0 && !w.has_real_root() => "skipped".into(),
            Op::ShmGet {
                key,
                size,
                flags,
                huge,
            } => {
                let r = b.shmget(key_of(*key), *size, flags.bits() | huge);
                if let Ok(id) = r {
                    remember(&mut objs.shm, id);
                    if *huge != 0 {
                        remember(&mut objs.huge, id);
                    }
                }
                res(r)
            }
            Op::ShmAt { m, rdonly } => {
                let id = pick(&objs.shm, *m);
                let flags = if *rdonly { SHM_RDONLY } else { 0 };
                // SAFETY: a null address asks the kernel (or mock) to choose one.
                let r = unsafe { b.shmat(id, core::ptr::null(), flags) };
                if let Ok(p) = r {
                    let mut ds = shmid64_ds::default();
                    // SAFETY: `ds` is a live shmid64_ds.
                    let size = match unsafe { b.shmctl(id, IPC_STAT, (&raw mut ds).cast()) } {
                        _ if objs.huge.contains(&id) => 0,
                        Ok(_) => ds.shm_segsz as usize,
                        Err(_) => 1,
                    };
                    objs.att.push((p, size, *rdonly));
                }
                res(r.map(|_| ()))
            }
            Op::ShmAtInChild { m, rdonly } => {
                let id = pick(&objs.shm, *m);
                let flags = if *rdonly { SHM_RDONLY } else { 0 };
                let write = !*rdonly && !objs.huge.contains(&id);
                let line = w.in_child(&|b| {
                    // SAFETY: a null address asks the kernel (or mock) to choose one.
                    let r = unsafe { b.shmat(id, core::ptr::null(), flags) };
                    if let (Ok(p), true) = (r, write) {
                        // SAFETY: byte 0 of a live read-write attachment (every
                        // segment has at least one byte), not of a hugetlb one.
                        unsafe { p.cast::<u8>().write_volatile(0x5a) };
                    }
                    res(r.map(|_| ()))
                });
                format!("child: {line}")
            }
            Op::ShmDt { a, bogus } => {
                if *bogus || objs.att.is_empty() {
                    let local = 0u64;
                    // SAFETY: `local` is not an attachment: shmdt fails with EINVAL and
                    // unmaps nothing.
                    res(unsafe { b.shmdt((&raw const local).cast()) })
                } else {
                    let (p, _, _) = objs.att.remove(a % objs.att.len());
                    // SAFETY: `p` came from shmat and is detached once; nothing refers into it.
                    res(unsafe { b.shmdt(p) })
                }
            }
            Op::ShmWrite { a, off, val } => match objs.att.get(a % objs.att.len().max(1)) {
                Some(&(p, size, false)) if *off < size => {
                    let byte = p.cast::<u8>().wrapping_add(*off);
                    // SAFETY: `byte` is inside a live read-write attachment of at
                    // least `size > off` bytes.
                    unsafe { byte.write_volatile(*val) };
                    "written".into()
                }
                _ => "skipped".into(),
            },
            Op::ShmRead { a, off } => match objs.att.get(a % objs.att.len().max(1)) {
                Some(&(p, size, _)) if *off < size => {
                    let byte = p.cast::<u8>().wrapping_add(*off);
                    // SAFETY: `byte` is inside a live attachment of at least
                    // `size > off` bytes.
                    let v = unsafe { byte.read_volatile() };
                    format!("read {v}")
                }
                _ => "skipped".into(),
            },
            Op::ShmCtl { m, cmd } => shmctl_out(b, pick(&objs.shm, *m), *cmd, &mut objs),
            Op::Nobody(n) => {
                if w.become_nobody(*n) {
                    nobody = *n;
                    "switched".into()
                } else {
                    "skipped".into()
                }
            }
        };
        out.push(line);
    }
    // Final state, as root, of everything seen.
    if nobody {
        w.become_nobody(false);
    }
    let b = w.backend();
    for id in objs.msg.clone() {
        out.push(format!(
            "final msg {id}: {}",
            msgctl_out(b, id, MsgCmd::Stat, &mut objs)
        ));
    }
    for id in objs.sem.clone() {
        out.push(format!(
            "final sem {id}: {} {}",
            semctl_out(b, id, 0, &SemCmd::Stat, &mut objs),
            semctl_out(b, id, 0, &SemCmd::GetAll, &mut objs)
        ));
    }
    for id in objs.shm.clone() {
        out.push(format!(
            "final shm {id}: {}",
            shmctl_out(b, id, ShmCmd::Stat, &mut objs)
        ));
    }
    out.push(format!(
        "final info: {} | {} | {}",
        msgctl_out(b, 0, MsgCmd::MsgInfo, &mut objs),
        semctl_out(b, 0, 0, &SemCmd::SemInfo, &mut objs),
        shmctl_out(b, 0, ShmCmd::ShmInfo, &mut objs)
    ));
    for (p, _, _) in objs.att.drain(..) {
        // SAFETY: each attachment is detached once; nothing refers into it.
        let _ = unsafe { b.shmdt(p) };
    }
    out
}

const LOW_LIMITS: &[(&str, &str)] = &[
    ("kernel/msgmni", "3"),
    ("kernel/msgmnb", "200"),
    ("kernel/msgmax", "100"),
    ("kernel/sem", "3 5 4 3"),
    ("kernel/shmmni", "3"),
    ("kernel/shmall", "4"),
    ("kernel/shmmax", "8192"),
];

fn apply_low_limits(mock: &Mock) {
    mock.set_limits(Limits {
        msgmni: 3,
        msgmnb: 200,
        msgmax: 100,
        semmsl: 3,
        semmns: 5,
        semopm: 4,
        semmni: 3,
        shmmni: 3,
        shmall: 4,
        shmmax: 8192,
        ..Limits::default()
    });
}

fn compare(case: &Case) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    let can_switch = sysv_ipc_testkit::is_root();
    for &(name, value) in LOW_LIMITS.iter().filter(|_| case.low_limits) {
        sysv_ipc_testkit::set_sysctl(name, value);
    }
    let mut kernel = Kernel {
        can_switch,
        child_pids: Vec::new(),
    };
    let k = run(&mut kernel, case);

    let mock = &MOCK;
    mock.set_huge_pages(sysv_ipc_testkit::host_huge_pages());
    if case.low_limits {
        apply_low_limits(mock);
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    mock.set_process(mock_process(pid, 0));
    let mut sim = Sim {
        mock,
        pid,
        nobody: false,
        can_switch,
        child_pids: kernel.child_pids.into_iter(),
    };
    let m = run(&mut sim, case);

    if k == m {
        return Ok(());
    }
    let mut report = String::from("kernel and mock disagree:\n");
    let steps = case.ops.len();
    for (i, (kl, ml)) in k.iter().zip(&m).enumerate() {
        let what = case
            .ops
            .get(i)
            .map(|op| format!("{op:?}"))
            .unwrap_or_default();
        let mark = if kl == ml { "  " } else { "!!" };
        let _ = writeln!(report, "{mark} #{i:<2} {what}\n       kernel: {kl}");
        if kl != ml {
            let _ = writeln!(report, "       mock:   {ml}");
        }
        if i + 1 == steps {
            let _ = writeln!(report, "   ---- final state");
        }
    }
    if k.len() != m.len() {
        let _ = writeln!(report, "(kernel gave {} lines, mock {})", k.len(), m.len());
    }
    Err(report)
}

fn cases() -> u32 {
    std::env::var("SYSV_IPC_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

#[test]
fn kernel_and_mock_agree() {
    // Shrinking reruns failing cases many times; only the minimal one is worth
    // printing, so the panic hook stays quiet until the runner is done.
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sysv_ipc_testkit::in_ipc_namespace(|| {
                if let Err(report) = compare(&case) {
                    panic!("{report}");
                }
            })
        }));
        match outcome {
            Ok(()) => Ok(()),
            Err(payload) => Err(TestCaseError::fail(
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| "child failed".into()),
            )),
        }
    });
    // Back to the default hook (dropping the quiet one and the harness's wrapper).
    drop(std::panic::take_hook());
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("differential: {} sequences agreed", cases());
}
