//! Futures in a process of another user (uid 65534) on objects root created: a
//! `Queue` streamed between the two users through futures on both sides; the
//! futures that the objects' permissions refuse (a watcher on a read-only
//! `SeqLock` or `Table`, a message send and a semaphore P on objects the user may
//! only read) fail at once with `PermissionDenied`, while the same user's
//! permitted futures on the same objects (a receive, a wait for zero) complete.
//!
//! Every test runs in a fresh IPC namespace (a forked child, see `testkit`); the
//! other user's side is a grandchild that drops root (`testkit::as_user`).

mod common;

use std::time::Duration;

use common::{Rt, block_on, until_waiting_in_reactor};
use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemOp, SemSet};
use sysv_ipc_async::{AsyncMsgQueue, AsyncSemSet};
use sysv_ipc_testkit::{as_user, fork_peer, in_ipc_namespace_timeout, needs_root};

const LIMIT: Duration = Duration::from_secs(120);

/// The other user: nobody.
const NOBODY: u32 = 65534;

/// In a fresh namespace, so any key is free.
const KEY: Key = Key::new(0x5553_0001);
const BACK: Key = Key::new(0x5553_0002);

/// Values streamed each way between the two users.
const VALUES: u64 = 20_000;

/// Offsets of the role holders' pid words in a queue's control block
/// (`layout::ring`): the producer's and the consumer's.
const PRODUCER_PID: usize = 144;
const CONSUMER_PID: usize = 272;

/// Offset of the producer's waiting flag (`layout::ring`).
const PRODUCER_WAITING: usize = 264;

/// The pid in word `at` of `q` once a process holds that role.
fn holder(q: &Queue<u64, 64>, at: usize) -> libc::pid_t {
    loop {
        if let Some(pid) = q.attachment().load_u64(at).filter(|&p| p != 0) {
            return pid as libc::pid_t;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A queue each way between root and nobody, open to everyone (0666): root's
/// blocking producer into nobody's awaited dequeues, then nobody's awaited
/// enqueues into root's awaited dequeues. Each root side starts only once
/// nobody's future sleeps in its reactor, so both of nobody's futures are shown
/// to wait and to be woken across the two users; every value arrives once, in
/// order.
#[test]
fn a_queue_streams_between_two_users_through_futures() {
    if !needs_root("a_queue_streams_between_two_users_through_futures") {
        return;
    }
    in_ipc_namespace_timeout(LIMIT, || {
        let to_nobody = Queue::<u64, 64>::create(KEY, Intent::CreateNew, Mode::ALL_RW).unwrap();
        let from_nobody = Queue::<u64, 64>::create(BACK, Intent::CreateNew, Mode::ALL_RW).unwrap();
        let producer = fork_peer(|| {
            let q = Queue::<u64, 64>::open(KEY).unwrap();
            let mut tx = q.producer().unwrap();
            until_waiting_in_reactor(holder(&q, CONSUMER_PID));
            for k in 0..VALUES {
                tx.enqueue_blocking(k).unwrap();
            }
        });
        let consumer = fork_peer(|| {
            let q = Queue::<u64, 64>::open(BACK).unwrap();
            let mut rx = q.consumer().unwrap();
            // Nobody's reactor already runs (its dequeues used it), so a thread
            // of it in `futex_waitv` says nothing here: wait instead for the
            // full ring and nobody's producer announced on its waiting flag,
            // which only an armed wait sets (and the take below clears, waking it).
            holder(&q, PRODUCER_PID);
            while !(rx.is_full().unwrap() && q.attachment().load_u64(PRODUCER_WAITING) != Some(0)) {
                std::thread::sleep(Duration::from_millis(1));
            }
            block_on(Rt::TokioCurrent, async {
                for k in 0..VALUES {
                    assert_eq!(sysv_ipc_async::queue::dequeue(&mut rx).await.unwrap(), k);
                }
            });
        });
        as_user(NOBODY, NOBODY, || {
            let q = Queue::<u64, 64>::open(KEY).unwrap();
            let mut rx = q.consumer().unwrap();
            block_on(Rt::TokioCurrent, async {
                for k in 0..VALUES {
                    assert_eq!(sysv_ipc_async::queue::dequeue(&mut rx).await.unwrap(), k);
                }
            });
            let woken = sysv_ipc_async::reactor_stats().woken;
            assert!(woken > 0, "nobody's dequeue was never woken");
            let back = Queue::<u64, 64>::open(BACK).unwrap();
            let mut tx = back.producer().unwrap();
            block_on(Rt::Smol, async {
                for k in 0..VALUES {
                    sysv_ipc_async::queue::enqueue(&mut tx, k).await.unwrap();
                }
            });
            assert!(
                sysv_ipc_async::reactor_stats().woken > woken,
                "nobody's enqueue was never woken"
            );
        });
        producer.join();
        consumer.join();
        to_nobody.remove().unwrap();
        from_nobody.remove().unwrap();
    });
}

/// Root's `SeqLock` and `Table`, readable by everyone and writable by root only
/// (0644): nobody cannot open them read-write, opens them read-only and reads the
/// values, and its watchers are refused at once with `PermissionDenied` (a
/// watcher stores into the segment), under every executor, whether or not a
/// write came since the version they give.
#[test]
fn a_watcher_on_another_users_read_only_lock_or_table_is_refused() {
    if !needs_root("a_watcher_on_another_users_read_only_lock_or_table_is_refused") {
        return;
    }
    in_ipc_namespace_timeout(LIMIT, || {
        let mode = Mode::new(0o644);
        let lock = SeqLock::<u64>::create(KEY, Intent::CreateNew, mode).unwrap();
        let table = Table::<u64, 4>::create(BACK, Intent::CreateNew, mode).unwrap();
        lock.writer().unwrap().write(&7).unwrap();
        table.writer().unwrap().write(2, &9).unwrap();
        as_user(NOBODY, NOBODY, || {
            let e = SeqLock::<u64>::open(KEY).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            let e = Table::<u64, 4>::open(BACK).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            let lock = SeqLock::<u64>::open_read_only(KEY).unwrap();
            let table = Table::<u64, 4>::open_read_only(BACK).unwrap();
            assert_eq!((lock.read().unwrap(), table.read(2).unwrap()), (7, 9));
            for rt in [Rt::TokioCurrent, Rt::TokioMulti, Rt::Smol] {
                for since in [0, lock.version().unwrap()] {
                    let e =
                        block_on(rt, sysv_ipc_async::seqlock::changed(&lock, since)).unwrap_err();
                    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
                }
                for since in [0, table.version().unwrap()] {
                    let e =
                        block_on(rt, sysv_ipc_async::table::changed(&table, since)).unwrap_err();
                    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
                }
            }
            assert_eq!(sysv_ipc_async::reactor_stats().waits, 0, "nothing waited");
        });
        lock.remove().unwrap();
        table.remove().unwrap();
    });
}

/// Root's message queue and semaphore set, readable by everyone (0644): nobody's
/// send and P (which need write and alter permission) end at once with
/// `PermissionDenied`, and nothing is sent or taken; its receive and its wait for
/// zero (which need read permission) work, the wait woken by root's change.
#[test]
fn msg_and_sem_futures_of_another_user_get_what_its_permissions_allow() {
    if !needs_root("msg_and_sem_futures_of_another_user_get_what_its_permissions_allow") {
        return;
    }
    in_ipc_namespace_timeout(LIMIT, || {
        let mode = Mode::new(0o644);
        let q = MsgQueue::create(KEY, Intent::CreateNew, mode).unwrap();
        q.send(1, b"for nobody").unwrap();
        let set = SemSet::create(BACK, 1, Intent::CreateNew, mode).unwrap();
        set.set(0, 1).unwrap();
        // Root lets the semaphore reach zero once nobody waits for it.
        let zero = fork_peer(|| {
            let set = SemSet::open(BACK).unwrap();
            while set.waiting_for_zero(0).unwrap() == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            set.op(&[SemOp::wait(0)]).unwrap();
        });
        as_user(NOBODY, NOBODY, || {
            let q = AsyncMsgQueue::new(MsgQueue::open(KEY).unwrap());
            let set = AsyncSemSet::new(SemSet::open(BACK).unwrap());
            block_on(Rt::TokioCurrent, async {
                let e = q.send(2, b"from nobody").await.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
                let e = set.op(&[SemOp::wait(0)]).await.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
                let mut text = [0u8; 32];
                let got = q.recv(&mut text, Selector::Any).await.unwrap();
                assert_eq!((got.mtype, &text[..got.len]), (1, &b"for nobody"[..]));
                set.op(&[SemOp::wait_zero(0)]).await.unwrap();
            });
        });
        zero.join();
        assert_eq!(set.get(0).unwrap(), 0);
        assert_eq!(q.stat().unwrap().messages, 0, "nobody's send left nothing");
        q.remove().unwrap();
        set.remove().unwrap();
    });
}
