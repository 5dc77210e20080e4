//! `AsyncSemSet`: ping-pong against a sync peer process, what a dropped completed
//! operation leaves behind, each test in a fresh IPC namespace.
//!
//! What holds:
//! - 10 000 P/V round trips between an async side (tokio multi-thread, tokio
//!   current-thread, smol) and a sync peer process end with both semaphores at 0;
//! - a lock that completed in the pool thread but whose future was dropped before
//!   seeing it is unlocked (the value is back, `undone_ops` 1), and a generic
//!   operation in the same state is reversed semaphore by semaphore;
//! - when the reversal would block (a peer took what the operation added), the
//!   operation stays applied and `not_undone_ops` counts it;
//! - a dropped lock guard unlocks; a completed lock future's guard holds the lock.

mod common;

use common::{Rt, block_on, eventually, poll_once, threads_in_ipc_waits};
use sysv_ipc::{Key, Mode, SemOp, SemSet};
use sysv_ipc_async::{AsyncSemSet, Pool};
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace};

const ROUNDS: u32 = 10_000;

fn ping_pong(rt: Rt) {
    in_ipc_namespace(|| {
        let set = SemSet::new_initialized(Key::PRIVATE, &[0, 0], Mode::OWNER_RW).unwrap();
        let peer = fork_peer(move || {
            for _ in 0..ROUNDS {
                set.op(&[SemOp::wait(0)]).unwrap();
                set.op(&[SemOp::post(1)]).unwrap();
            }
        });
        let pool = Pool::builder().max_threads(2).build();
        let aset = AsyncSemSet::with_pool(set, pool.clone());
        block_on(rt, async {
            for _ in 0..ROUNDS {
                aset.op(&[SemOp::post(0)]).await.unwrap();
                aset.op(&[SemOp::wait(1)]).await.unwrap();
            }
        });
        peer.join();
        assert_eq!((set.get(0).unwrap(), set.get(1).unwrap()), (0, 0));
        assert!(pool.stats().peak_threads <= 2);
        eprintln!("{rt:?}: {:?}", pool.stats());
    });
}

#[test]
fn ping_pong_tokio_multi_thread() {
    ping_pong(Rt::TokioMulti);
}

#[test]
fn ping_pong_tokio_current_thread() {
    ping_pong(Rt::TokioCurrent);
}

#[test]
fn ping_pong_smol() {
    ping_pong(Rt::Smol);
}

#[test]
fn a_dropped_completed_lock_is_released() {
    in_ipc_namespace(|| {
        let set = SemSet::new_initialized(Key::PRIVATE, &[0], Mode::OWNER_RW).unwrap();
        let pool = Pool::builder().max_threads(1).build();
        let aset = AsyncSemSet::with_pool(set, pool.clone());
        let mut lock = aset.lock(0);
        assert!(poll_once(&mut lock).is_pending());
        eventually("the pool thread waits in semop", || {
            threads_in_ipc_waits() == 1
        });
        set.op(&[SemOp::post(0)]).unwrap();
        // The thread takes the lock for the future...
        eventually("the lock was taken", || pool.stats().busy == 0);
        assert_eq!(set.get(0).unwrap(), 0);
        // ...which is dropped without looking: the lock is given back.
        drop(lock);
        assert_eq!(set.get(0).unwrap(), 1);
        let s = pool.stats();
        assert_eq!((s.undone_ops, s.not_undone_ops), (1, 0));
        // The same dropped while the thread still waits: nothing taken, nothing undone.
        set.set(0, 0).unwrap();
        let mut lock = aset.lock(0);
        assert!(poll_once(&mut lock).is_pending());
        eventually("the pool thread waits in semop", || {
            threads_in_ipc_waits() == 1
        });
        drop(lock);
        eventually("the thread let go", || {
            threads_in_ipc_waits() == 0 && pool.stats().busy == 0
        });
        set.op(&[SemOp::post(0)]).unwrap();
        assert_eq!(set.get(0).unwrap(), 1);
        assert_eq!(pool.stats().undone_ops, 1);
    });
}

#[test]
fn a_dropped_completed_operation_is_reversed() {
    in_ipc_namespace(|| {
        let set = SemSet::new_initialized(Key::PRIVATE, &[0, 0, 2], Mode::OWNER_RW).unwrap();
        let pool = Pool::builder().max_threads(1).build();
        let aset = AsyncSemSet::with_pool(set, pool.clone());
        // Move a unit from 0 to 1, take two from 2, and wait for... nothing on 2 after.
        let ops = [
            SemOp::wait(0),
            SemOp::post(1),
            SemOp::add(2, -2),
            SemOp::wait_zero(2),
        ];
        let mut op = aset.op(&ops);
        assert!(poll_once(&mut op).is_pending());
        eventually("the pool thread waits in semop", || {
            threads_in_ipc_waits() == 1
        });
        set.op(&[SemOp::post(0)]).unwrap();
        eventually("the operation was applied", || pool.stats().busy == 0);
        let mut v = [0u16; 3];
        set.get_all(&mut v).unwrap();
        assert_eq!(v, [0, 1, 0]);
        drop(op);
        set.get_all(&mut v).unwrap();
        assert_eq!(v, [1, 0, 2]);
        assert_eq!(pool.stats().undone_ops, 1);
    });
}

#[test]
fn an_operation_whose_reversal_would_block_stays_applied() {
    in_ipc_namespace(|| {
        let set = SemSet::new_initialized(Key::PRIVATE, &[0, 0], Mode::OWNER_RW).unwrap();
        let pool = Pool::builder().max_threads(1).build();
        let aset = AsyncSemSet::with_pool(set, pool.clone());
        let mut op = aset.op(&[SemOp::wait(0), SemOp::post(1)]);
        assert!(poll_once(&mut op).is_pending());
        eventually("the pool thread waits in semop", || {
            threads_in_ipc_waits() == 1
        });
        set.op(&[SemOp::post(0)]).unwrap();
        eventually("the operation was applied", || pool.stats().busy == 0);
        set.op(&[SemOp::wait(1)]).unwrap(); // a peer takes the unit the op posted
        drop(op);
        assert_eq!((set.get(0).unwrap(), set.get(1).unwrap()), (0, 0));
        let s = pool.stats();
        assert_eq!((s.undone_ops, s.not_undone_ops), (0, 1));
    });
}

#[test]
fn the_guard_holds_and_releases_the_lock() {
    in_ipc_namespace(|| {
        let set = SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW).unwrap();
        let aset = AsyncSemSet::with_pool(set, Pool::builder().max_threads(1).build());
        block_on(Rt::TokioCurrent, async {
            let guard = aset.lock(0).await.unwrap();
            assert_eq!(set.get(0).unwrap(), 0);
            let mut second = aset.lock(0);
            assert!(poll_once(&mut second).is_pending());
            drop(guard);
            let guard = second.await.unwrap();
            assert_eq!(set.get(0).unwrap(), 0);
            guard.unlock().unwrap();
        });
        assert_eq!(set.get(0).unwrap(), 1);
    });
}

#[test]
fn a_timed_operation_times_out_or_completes_in_time() {
    in_ipc_namespace(|| {
        let set = SemSet::new_initialized(Key::PRIVATE, &[0], Mode::OWNER_RW).unwrap();
        let pool = Pool::builder().max_threads(1).build();
        let aset = AsyncSemSet::with_pool(set, pool.clone());
        for rt in [Rt::TokioMulti, Rt::TokioCurrent, Rt::Smol] {
            let e = block_on(
                rt,
                aset.op_timeout(&[SemOp::wait(0)], std::time::Duration::from_millis(10)),
            )
            .unwrap_err();
            assert_eq!(e.kind(), sysv_ipc::ErrorKind::TimedOut);
            assert_eq!(set.get(0).unwrap(), 0);
            let poster = std::thread::spawn(move || {
                eventually("the pool thread waits in semtimedop", || {
                    threads_in_ipc_waits() == 1
                });
                set.op(&[SemOp::post(0)]).unwrap();
            });
            let guard = block_on(
                rt,
                aset.lock_timeout(0, std::time::Duration::from_secs(3600)),
            )
            .unwrap();
            assert_eq!(set.get(0).unwrap(), 0);
            drop(guard);
            poster.join().unwrap();
            set.set(0, 0).unwrap();
        }
        // A timeout beyond what an `Instant` holds waits like `op`.
        let mut op = aset.op_timeout(&[SemOp::wait(0)], std::time::Duration::MAX);
        assert!(poll_once(&mut op).is_pending());
        eventually("the pool thread waits", || threads_in_ipc_waits() == 1);
        set.op(&[SemOp::post(0)]).unwrap();
        eventually("done", || poll_once(&mut op).is_ready());
    });
}
