//! Target (c): the mock kernel's raw `Backend` calls with arbitrary arguments, plus
//! its administrator knobs (limits, clock, processes, faults). The property: no
//! panic, no undefined behaviour (ASan), every call answers `Ok` or an errno.
//!
//! The only arguments not left to the fuzzer are the ones the `Backend` contract
//! makes the caller's responsibility: `*ctl` pointers are null or a live, aligned
//! buffer larger than any struct or `GETALL`/`SETALL` array the mock can write.
#![no_main]

use core::ffi::c_void;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sysv_ipc_abi::{Backend, Errno, SETVAL, sembuf, timespec};
use sysv_ipc_mock::{Call, Limits, Mock, OnBlock, Process};

/// A small kernel: 8 objects of each kind, 64 semaphores, 64 messages, 16 pages.
type Kernel = Mock<8, 64, 64, 16384, 16>;

/// Bytes of the `*ctl` buffer: more than `msqid64_ds`/`semid64_ds`/`shmid64_ds`/
/// `shminfo64` and than a `GETALL` of the most semaphores a set can hold here (64).
const CTL_BYTES: usize = 1024;

#[repr(C, align(16))]
struct CtlBuf([u8; CTL_BYTES]);

/// A value for an id or key: mostly small (hitting live objects), sometimes raw.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Small(u8),
    Raw(i32),
}

impl Num {
    fn get(self) -> i32 {
        match self {
            // Ids of a fresh namespace are 0, 1, ... then 32768 + ... after reuse.
            Num::Small(n) => i32::from(n % 8) + if n >= 128 { 32768 } else { 0 },
            Num::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Msgget(Num, i32),
    Msgsnd(Num, Vec<u8>, i32),
    Msgrcv(Num, u16, i64, i32),
    Msgctl(Num, i32, bool, Vec<u8>),
    Semget(Num, i32, i32),
    Semop(Num, Vec<(u16, i16, i16)>),
    Semtimedop(Num, Vec<(u16, i16, i16)>, Option<(i64, i64)>),
    Semctl(Num, i32, i32, bool, u64, Vec<u8>),
    Shmget(Num, u32, i32),
    Shmat(Num, bool, i32),
    Shmdt(u8),
    Shmctl(Num, i32, bool, Vec<u8>),
    FileId(Vec<u8>),
    AddFile(Vec<u8>, u64, u64),
    Process {
        pid: u8,
        uid: u8,
        root: bool,
    },
    Fork {
        parent: u8,
        child: u8,
    },
    Exit(u8),
    Fail {
        call: u8,
        nth: u8,
        errno: u8,
        always: bool,
    },
    ClearFaults,
    Limits([i32; 9], [u64; 4]),
    Advance(i64),
    Interrupt,
}

fn sops(v: &[(u16, i16, i16)]) -> Vec<sembuf> {
    v.iter()
        .take(80)
        .map(|&(n, o, f)| sembuf {
            sem_num: n % 80,
            sem_op: o,
            sem_flg: f,
        })
        .collect()
}

/// A `*ctl` buffer filled with the fuzzer's bytes (what `IPC_SET`/`SETALL` read).
fn ctl_buf(fill: &[u8]) -> Box<CtlBuf> {
    let mut b = Box::new(CtlBuf([0; CTL_BYTES]));
    for (d, s) in b.0.iter_mut().zip(fill) {
        *d = *s;
    }
    b
}

fn ptr(b: &mut CtlBuf, null: bool) -> *mut c_void {
    if null {
        core::ptr::null_mut()
    } else {
        (&raw mut b.0).cast()
    }
}

fn run(k: &Kernel, ops: &[Op]) {
    // Addresses shmat returned, for shmdt (arbitrary ones are tried as well).
    let mut addrs: Vec<usize> = Vec::new();
    for op in ops.iter().take(256) {
        match op {
            Op::Msgget(key, flg) => {
                let _ = k.msgget(key.get(), *flg);
            }
            Op::Msgsnd(id, msg, flg) => {
                let _ = k.msgsnd(id.get(), msg, *flg);
            }
            Op::Msgrcv(id, len, typ, flg) => {
                let mut buf = vec![0u8; usize::from(*len % 9000)];
                let r = k.msgrcv(id.get(), &mut buf, *typ, *flg);
                if let Ok(n) = r {
                    assert!(n + 8 <= buf.len(), "msgrcv returned more than the buffer");
                }
            }
            Op::Msgctl(id, cmd, null, fill) => {
                let mut b = ctl_buf(fill);
                let p = ptr(&mut b, *null);
                // SAFETY: `p` is null or points to CTL_BYTES live, 16-aligned bytes,
                // more than any struct msgctl writes or reads.
                let _ = unsafe { k.msgctl(id.get(), *cmd, p) };
            }
            Op::Semget(key, n, flg) => {
                let _ = k.semget(key.get(), *n, *flg);
            }
            Op::Semop(id, v) => {
                let _ = k.semop(id.get(), &sops(v));
            }
            Op::Semtimedop(id, v, t) => {
                let ts = t.map(|(s, n)| timespec {
                    // Bounded: the mock really waits only with `std` and OnBlock::Wait.
                    tv_sec: s,
                    tv_nsec: n,
                });
                let _ = k.semtimedop(id.get(), &sops(v), ts.as_ref());
            }
            Op::Semctl(id, num, cmd, null, val, fill) => {
                let mut b = ctl_buf(fill);
                let arg = if *cmd == SETVAL {
                    // SETVAL's argument is a value, never dereferenced.
                    core::ptr::without_provenance_mut(*val as usize)
                } else {
                    ptr(&mut b, *null)
                };
                // SAFETY: for every command but SETVAL `arg` is null or the address of
                // CTL_BYTES live, aligned bytes: more than a semid64_ds, a seminfo, or
                // GETALL/SETALL's nsems u16 (a set has at most 64 semaphores here).
                let _ = unsafe { k.semctl(id.get(), *num, *cmd, arg) };
            }
            Op::Shmget(key, size, flg) => {
                let _ = k.shmget(key.get(), *size as usize, *flg);
            }
            Op::Shmat(id, at_addr, flg) => {
                // Without `std` (as built here) the mock never maps at a caller's
                // address (EINVAL, documented), so a non-null address is only
                // checked, never used.
                let addr = if *at_addr { 0x7000_0000_usize } else { 0 };
                // SAFETY: a null address needs nothing; a non-null one is refused by
                // the mock before any mapping (see above).
                let r = unsafe { k.shmat(id.get(), addr as *const c_void, *flg) };
                if let Ok(p) = r {
                    assert_eq!(p.addr() % 4096, 0, "shmat: unaligned address");
                    addrs.push(p.addr());
                }
            }
            Op::Shmdt(i) => {
                let addr = addrs
                    .get(usize::from(*i))
                    .copied()
                    .unwrap_or(usize::from(*i) * 4096);
                // SAFETY: this target keeps no reference into any mapping.
                let _ = unsafe { k.shmdt(addr as *const c_void) };
            }
            Op::Shmctl(id, cmd, null, fill) => {
                let mut b = ctl_buf(fill);
                let p = ptr(&mut b, *null);
                // SAFETY: `p` is null or CTL_BYTES live, aligned bytes, more than a
                // shmid64_ds, shminfo64 or shm_info.
                let _ = unsafe { k.shmctl(id.get(), *cmd, p) };
            }
            Op::FileId(path) => {
                let mut p: Vec<u8> = path.iter().copied().filter(|&c| c != 0).collect();
                p.push(0);
                if let Ok(c) = core::ffi::CStr::from_bytes_with_nul(&p) {
                    let _ = k.file_id(c);
                }
            }
            Op::AddFile(path, dev, ino) => {
                let mut p: Vec<u8> = path.iter().copied().filter(|&c| c != 0).collect();
                p.push(0);
                if let Ok(c) = core::ffi::CStr::from_bytes_with_nul(&p) {
                    let _ = k.add_file(c, *dev, *ino);
                }
            }
            Op::Process { pid, uid, root } => {
                let pid = i32::from(*pid % 8) + 1;
                k.set_process(if *root {
                    Process::root(pid)
                } else {
                    Process::user(pid, u32::from(*uid % 4) + 1000, u32::from(*uid % 3) + 1000)
                });
            }
            Op::Fork { parent, child } => {
                let _ = k.fork_process(i32::from(*parent % 8) + 1, i32::from(*child % 8) + 1);
            }
            Op::Exit(pid) => k.exit_process(i32::from(*pid % 8) + 1),
            Op::Fail {
                call,
                nth,
                errno,
                always,
            } => {
                let c = Call::ALL[usize::from(*call) % Call::ALL.len()];
                let e = Errno::from_raw(u16::from(*errno));
                let _ = if *always {
                    k.fail_always(c, e)
                } else {
                    k.fail_nth(c, u64::from(*nth), e)
                };
            }
            Op::ClearFaults => k.clear_faults(),
            Op::Limits(i, u) => k.set_limits(Limits {
                msgmax: i[0],
                msgmnb: i[1],
                msgmni: i[2],
                semmsl: i[3],
                semmns: i[4],
                semopm: i[5],
                semmni: i[6],
                semvmx: i[7],
                semaem: i[8],
                shmmax: u[0],
                shmmin: u[1],
                shmmni: u[2],
                shmall: u[3],
            }),
            Op::Advance(s) => k.advance(*s),
            Op::Interrupt => {
                let _ = k.interrupt_waiters();
            }
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let k: Box<Kernel> = Box::new(Kernel::new());
    k.set_on_block(OnBlock::Fail);
    run(&k, &ops);
});
