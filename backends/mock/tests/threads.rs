//! Blocking with real threads (`std` feature): waiters are counted, settled by
//! whoever makes progress possible, and leave with EIDRM, EINTR or EAGAIN.
#![cfg(feature = "std")]

use std::thread;
use std::time::{Duration, Instant};

use sysv_ipc_abi::*;
use sysv_ipc_mock::{Mock, OnBlock, Process};

fn so(n: u16, op: i16, flg: i16) -> sembuf {
    sembuf {
        sem_num: n,
        sem_op: op,
        sem_flg: flg,
    }
}

fn semctl(m: &Mock, id: i32, num: i32, cmd: i32) -> Result<i32, Errno> {
    // SAFETY: GETVAL, GETPID, GETNCNT, GETZCNT, IPC_RMID ignore `arg`.
    unsafe { m.semctl(id, num, cmd, core::ptr::null_mut()) }
}

/// Waits until `n` callers are blocked in `m` (bounded, so a bug fails the test
/// instead of hanging it).
fn until_blocked(m: &Mock, n: usize) {
    let start = Instant::now();
    while m.blocked() != n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never saw {n} blocked callers"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

fn mk() -> Box<Mock> {
    let m = Box::new(Mock::new());
    assert_eq!(m.process().pid, 1);
    m.set_on_block(OnBlock::Wait);
    m
}

#[test]
fn blocked_semop_is_completed_by_the_poster() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 2, 0o600).unwrap();
    thread::scope(|sc| {
        let waiter = sc.spawn(|| {
            m.set_thread_process(Process::root(100)).unwrap();
            m.semop(s, &[so(0, -1, SEM_UNDO), so(1, 1, 0)])
        });
        until_blocked(&m, 1);
        assert_eq!(semctl(&m, s, 0, GETNCNT), Ok(1));
        assert_eq!(semctl(&m, s, 0, GETZCNT), Ok(0));
        assert_eq!(semctl(&m, s, 1, GETNCNT), Ok(0));
        m.semop(s, &[so(0, 1, 0)]).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(()));
    });
    // The poster performed the waiter's operations on its behalf, as update_queue does.
    assert_eq!(semctl(&m, s, 0, GETVAL), Ok(0));
    assert_eq!(semctl(&m, s, 1, GETVAL), Ok(1));
    assert_eq!(semctl(&m, s, 0, GETPID), Ok(100));
    assert_eq!(m.semadj(100, s, 0), 1);
    assert_eq!(semctl(&m, s, 0, GETNCNT), Ok(0));
    m.exit_process(100);
    assert_eq!(semctl(&m, s, 0, GETVAL), Ok(1));
}

#[test]
fn wait_for_zero_is_counted_and_woken() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    m.semop(s, &[so(0, 2, 0)]).unwrap();
    thread::scope(|sc| {
        let a = sc.spawn(|| m.semop(s, &[so(0, 0, 0)]));
        let b = sc.spawn(|| m.semop(s, &[so(0, 0, 0)]));
        until_blocked(&m, 2);
        assert_eq!(semctl(&m, s, 0, GETZCNT), Ok(2));
        m.semop(s, &[so(0, -1, 0)]).unwrap();
        thread::sleep(Duration::from_millis(20));
        assert_eq!(m.blocked(), 2, "still 1, not zero");
        m.semop(s, &[so(0, -1, 0)]).unwrap();
        assert_eq!(a.join().unwrap(), Ok(()));
        assert_eq!(b.join().unwrap(), Ok(()));
    });
}

#[test]
fn removal_wakes_waiters_with_eidrm() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    thread::scope(|sc| {
        let sem = sc.spawn(|| m.semop(s, &[so(0, -1, 0)]));
        let rcv = sc.spawn(|| m.msgrcv(q, &mut [0u8; 16], 0, 0));
        until_blocked(&m, 2);
        assert_eq!(m.msg_waiters(q), (0, 1));
        assert_eq!(semctl(&m, s, 0, IPC_RMID), Ok(0));
        // SAFETY: IPC_RMID ignores the pointer.
        let r = unsafe { m.msgctl(q, IPC_RMID, core::ptr::null_mut()) };
        assert_eq!(r, Ok(0));
        assert_eq!(sem.join().unwrap(), Err(Errno::IDRM));
        assert_eq!(rcv.join().unwrap(), Err(Errno::IDRM));
    });
    assert_eq!(m.blocked(), 0);
}

#[test]
fn interrupt_returns_eintr() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    thread::scope(|sc| {
        let a = sc.spawn(|| {
            m.set_thread_process(Process::root(7)).unwrap();
            m.semop(s, &[so(0, -1, 0)])
        });
        let b = sc.spawn(|| {
            m.set_thread_process(Process::root(8)).unwrap();
            m.msgrcv(q, &mut [0u8; 16], 0, 0)
        });
        until_blocked(&m, 2);
        assert_eq!(m.interrupt_pid(7), 1);
        assert_eq!(a.join().unwrap(), Err(Errno::INTR));
        until_blocked(&m, 1);
        assert_eq!(m.interrupt_waiters(), 1);
        assert_eq!(b.join().unwrap(), Err(Errno::INTR));
    });
    // An interrupted semop changed nothing.
    assert_eq!(semctl(&m, s, 0, GETVAL), Ok(0));
}

#[test]
fn semtimedop_times_out_with_eagain() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    let t = timespec {
        tv_sec: 0,
        tv_nsec: 50_000_000,
    };
    let start = Instant::now();
    assert_eq!(
        m.semtimedop(s, &[so(0, -1, 0)], Some(&t)),
        Err(Errno::AGAIN)
    );
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(m.blocked(), 0);
    assert_eq!(semctl(&m, s, 0, GETNCNT), Ok(0));
    // A post before the deadline wins.
    thread::scope(|sc| {
        let w = sc.spawn(|| {
            let t = timespec {
                tv_sec: 10,
                tv_nsec: 0,
            };
            m.semtimedop(s, &[so(0, -1, 0)], Some(&t))
        });
        until_blocked(&m, 1);
        m.semop(s, &[so(0, 1, 0)]).unwrap();
        assert_eq!(w.join().unwrap(), Ok(()));
    });
}

#[test]
fn messages_go_straight_to_waiting_receivers() {
    let m = mk();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    thread::scope(|sc| {
        let small = sc.spawn(|| {
            m.set_thread_process(Process::root(30)).unwrap();
            m.msgrcv(q, &mut [0u8; 8 + 2], 0, 0)
        });
        until_blocked(&m, 1);
        let big = sc.spawn(|| {
            m.set_thread_process(Process::root(31)).unwrap();
            let mut buf = [0u8; 8 + 16];
            m.msgrcv(q, &mut buf, 0, 0).map(|n| (n, buf))
        });
        until_blocked(&m, 2);
        let mut msg = 4i64.to_ne_bytes().to_vec();
        msg.extend_from_slice(b"hello");
        m.msgsnd(q, &msg, 0).unwrap();
        // pipelined_send: the first receiver's buffer is too small (E2BIG), the
        // second takes the message; nothing is left queued.
        assert_eq!(small.join().unwrap(), Err(Errno::TOOBIG));
        let (n, buf) = big.join().unwrap().unwrap();
        assert_eq!((n, &buf[8..13]), (5, &b"hello"[..]));
        assert_eq!(i64::from_ne_bytes(buf[..8].try_into().unwrap()), 4);
    });
    let mut ds = msqid64_ds::default();
    // SAFETY: `ds` is a live msqid64_ds.
    unsafe { m.msgctl(q, IPC_STAT, (&mut ds as *mut msqid64_ds).cast()) }.unwrap();
    assert_eq!((ds.msg_qnum, ds.msg_lrpid, ds.msg_lspid), (0, 31, 1));
}

#[test]
fn full_queue_sender_waits_for_space() {
    let m = mk();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    let mut ds = msqid64_ds::default();
    // SAFETY: `ds` is a live msqid64_ds.
    unsafe { m.msgctl(q, IPC_STAT, (&mut ds as *mut msqid64_ds).cast()) }.unwrap();
    ds.msg_qbytes = 8;
    // SAFETY: as above.
    unsafe { m.msgctl(q, IPC_SET, (&mut ds as *mut msqid64_ds).cast()) }.unwrap();
    let msg = |t: i64| {
        let mut v = t.to_ne_bytes().to_vec();
        v.extend_from_slice(&[t as u8; 6]);
        v
    };
    m.msgsnd(q, &msg(1), 0).unwrap();
    thread::scope(|sc| {
        let sender = sc.spawn(|| m.msgsnd(q, &msg(2), 0));
        until_blocked(&m, 1);
        assert_eq!(m.msg_waiters(q), (1, 0));
        let mut buf = [0u8; 16];
        assert_eq!(m.msgrcv(q, &mut buf, 0, 0), Ok(6));
        assert_eq!(sender.join().unwrap(), Ok(()));
        assert_eq!(m.msgrcv(q, &mut buf, 0, IPC_NOWAIT), Ok(6));
        assert_eq!(buf[8], 2);
    });
}

#[test]
fn fail_mode_still_available_with_std() {
    let m = mk();
    m.set_on_block(OnBlock::Fail);
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    assert_eq!(m.semop(s, &[so(0, -1, 0)]), Err(Errno::DEADLK));
    assert_eq!(m.would_block_count(), 1);
}

/// With real blocking, the virtual monotonic clock still moves only by what runs
/// out: a timed wait woken early adds nothing, one that expires adds its timeout.
#[test]
fn timed_waits_move_the_virtual_clock_only_when_they_run_out() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    let t0 = m.monotonic();
    let long = timespec {
        tv_sec: 60,
        tv_nsec: 0,
    };
    thread::scope(|sc| {
        let waiter = sc.spawn(|| m.semtimedop(s, &[so(0, -1, 0)], Some(&long)));
        until_blocked(&m, 1);
        m.semop(s, &[so(0, 1, 0)]).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(()));
    });
    assert_eq!(m.monotonic(), t0, "woken early: no virtual time");
    let short = timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    assert_eq!(
        m.semtimedop(s, &[so(0, -1, 0)], Some(&short)),
        Err(Errno::AGAIN)
    );
    assert_eq!(m.monotonic() - t0, Duration::from_millis(20));
}
