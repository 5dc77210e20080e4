//! Removal while in use (issue 7), through both real backends, each test in a fresh
//! IPC namespace. Builds on `tests/msg.rs`, `tests/sem.rs`, `tests/shm.rs` and
//! `tests/queue.rs` (one waiter of each kind there) with *several* waiters at once:
//!
//! - a message queue removed under 4 blocked receivers (every selector) and 3
//!   blocked senders: each wakes with `Removed` (`EIDRM`), the key is free again;
//! - a semaphore set removed under 8 waiters of every form (`op`, wait-for-zero,
//!   `op_timeout`, `lock`, and the retrying `op_retry_eintr` /
//!   `op_timeout_retry_eintr`, which must not loop): each wakes with `Removed`;
//! - a `Queue` removed while its consumer and (on a second queue) its producer are
//!   parked on the semaphores: both wake with `Removed`, the producer gets its
//!   value back, the mapping stays readable, the key makes a fresh queue;
//! - a segment removed while three processes have it attached: all keep reading
//!   and writing the same bytes until they detach; opening the key fails with
//!   `NotFound` (`Shm`, `Segment`), creating it makes a new, zero-filled segment;
//!   `info::segments` lists the old one as removed (`SHM_DEST`, private key) until
//!   the last detach, then no more.
//!
//! - a `Removal` over a `Queue` or a `SeqLock` (neither is `Clone`) removes it on
//!   drop, or gives it back whole with `into_inner` (both reached from the crate
//!   root, as the other object kinds are).
//!
//! Rounds: `SYSV_IPC_REMOVAL_ROUNDS`, else 2 (CI) or 50 with `SYSV_IPC_STRESS=full`.

use std::time::Duration;

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::queue::Queue;
use sysv_ipc::shm::Segment;
use sysv_ipc::{
    Backend, Errno, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemOp, SemSet, Shm,
    info,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{Peer, fork_peer, in_ipc_namespace, wait_until_blocked};

use sysv_ipc_testkit::per_backend;

per_backend!(
    msg_queue_removed_under_many_waiters,
    sem_set_removed_under_waiters_of_every_form,
    queue_removed_while_both_sides_park,
    segment_removed_while_attached_by_three,
    removal_guards_queue_and_seqlock,
);

/// A count for a stress loop: `var`, else `full` under `SYSV_IPC_STRESS=full`, else `ci`.
fn scaled(var: &str, ci: u64, full: u64) -> u64 {
    if let Some(n) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    if std::env::var("SYSV_IPC_STRESS").as_deref() == Ok("full") {
        full
    } else {
        ci
    }
}

fn rounds() -> u64 {
    scaled("SYSV_IPC_REMOVAL_ROUNDS", 2, 50)
}

fn removed(e: &Error) {
    assert_eq!(
        (e.kind(), e.errno()),
        (ErrorKind::Removed, Some(Errno::IDRM)),
        "{e}"
    );
}

fn err<T>(r: sysv_ipc::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn join_all(peers: Vec<Peer>) {
    for p in peers {
        p.join();
    }
}

fn msg_queue_removed_under_many_waiters<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let (empty_key, full_key) = (Key::new(0x5245_0001), Key::new(0x5245_0002));
        for _ in 0..rounds() {
            let empty =
                MsgQueue::create_in(b, empty_key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let full = MsgQueue::create_in(b, full_key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            full.set_max_bytes(8).unwrap();
            full.send(1, b"12345678").unwrap();
            let mut peers = Vec::new();
            for sel in [
                Selector::Any,
                Selector::Type(5),
                Selector::UpTo(3),
                Selector::Except(1),
            ] {
                peers.push(fork_peer(move || {
                    let mut buf = [0u8; 64];
                    removed(&err(empty.recv(&mut buf, sel)));
                }));
            }
            for i in 0..3u64 {
                peers.push(fork_peer(move || {
                    let e = if i == 0 {
                        err(full.send(2, b"x"))
                    } else {
                        err(full.send_value(2, &i))
                    };
                    removed(&e);
                }));
            }
            for p in &peers {
                wait_until_blocked(p.pid());
            }
            empty.remove().unwrap();
            full.remove().unwrap();
            join_all(peers);
            // The ids are gone, the keys free again (new queues, new ids).
            assert_eq!(err(empty.stat()).kind(), ErrorKind::InvalidArgument);
            assert_eq!(
                err(MsgQueue::open_in(b, full_key)).kind(),
                ErrorKind::NotFound
            );
            let again =
                MsgQueue::create_in(b, full_key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            assert_ne!(again.id(), full.id());
            assert_eq!(
                again.stat().unwrap().messages,
                0,
                "nothing of the old queue"
            );
            again.remove().unwrap();
        }
        assert_eq!(info::msg_usage_in(b).unwrap().queues, 0);
    });
}

fn sem_set_removed_under_waiters_of_every_form<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        for _ in 0..rounds() {
            let set =
                SemSet::create_in(b, Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            set.set(1, 1).unwrap(); // semaphore 1 is not 0: wait-for-zero blocks
            let long = Duration::from_secs(50);
            let forms: Vec<Box<dyn Fn() -> sysv_ipc::Result<()>>> = vec![
                Box::new(move || set.op(&[SemOp::wait(0)])),
                Box::new(move || set.op(&[SemOp::add(0, -3).undo()])),
                Box::new(move || set.op(&[SemOp::wait_zero(1)])),
                Box::new(move || set.op_timeout(&[SemOp::wait(0)], long)),
                Box::new(move || set.lock(0).map(drop)),
                Box::new(move || set.lock_timeout(0, long).map(drop)),
                Box::new(move || set.op_retry_eintr(&[SemOp::wait(0)])),
                Box::new(move || {
                    set.op_timeout_retry_eintr(&[SemOp::wait(0)], long, || Duration::ZERO)
                }),
            ];
            let waiters = forms.len();
            let peers: Vec<Peer> = forms
                .into_iter()
                .map(|f| fork_peer(move || removed(&err(f()))))
                .collect();
            for p in &peers {
                wait_until_blocked(p.pid());
            }
            let blocked = set.waiting_for_increase(0).unwrap() + set.waiting_for_zero(1).unwrap();
            assert_eq!(blocked, waiters, "every waiter is blocked on the set");
            set.remove().unwrap();
            join_all(peers);
            assert_eq!(err(set.get(0)).kind(), ErrorKind::InvalidArgument);
        }
        assert_eq!(info::sem_usage_in(b).unwrap().sets, 0);
    });
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[repr(C)]
struct Item(u64);

impl sysv_ipc::ShmType for Item {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc tests::removal::Item");
}

type Q<B> = Queue<Item, 2, B>;

fn queue_removed_while_both_sides_park<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let (ckey, pkey) = (Key::new(0x5245_0010), Key::new(0x5245_0011));
        for _ in 0..rounds() {
            let cq = Q::create_in(b, ckey, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let pq = Q::create_in(b, pkey, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            {
                let mut p = pq.producer().unwrap();
                p.enqueue(Item(1)).unwrap();
                p.enqueue(Item(2)).unwrap();
            }
            let consumer = fork_peer(move || {
                let q = Q::open_in(b, ckey).unwrap();
                let mut c = q.consumer().unwrap();
                c.set_spins(0);
                removed(&err(c.dequeue_blocking()));
                // The mapping outlives the removal until the queue is dropped.
                assert_eq!(q.len().unwrap(), 0);
                assert_eq!(c.dequeue().unwrap(), None);
            });
            let producer = fork_peer(move || {
                let q = Q::open_in(b, pkey).unwrap();
                let mut p = q.producer().unwrap();
                p.set_spins(0);
                let e = p.enqueue_blocking(Item(3)).unwrap_err();
                removed(&e.error());
                assert_eq!(e.into_inner(), Item(3), "the value comes back");
                assert_eq!(
                    q.len().unwrap(),
                    2,
                    "the committed messages are still mapped"
                );
            });
            wait_until_blocked(consumer.pid());
            wait_until_blocked(producer.pid());
            assert_eq!(
                cq.semaphores().waiting_for_increase(0).unwrap(),
                1,
                "consumer parked"
            );
            assert_eq!(
                pq.semaphores().waiting_for_increase(1).unwrap(),
                1,
                "producer parked"
            );
            cq.remove().unwrap();
            pq.remove().unwrap();
            consumer.join();
            producer.join();
            // The keys make fresh, empty queues.
            drop((cq, pq));
            let fresh = Q::create_in(b, pkey, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            assert_eq!(fresh.len().unwrap(), 0);
            drop(fresh.split().unwrap());
            fresh.remove().unwrap();
        }
        assert_eq!(info::shm_usage_in(b).unwrap().segments, 0);
        assert_eq!(info::sem_usage_in(b).unwrap().sets, 0);
    });
}

/// Whether `info::segments` lists `id`, and if so whether as removed with a private key.
fn listed<B: Backend + Copy>(b: B, id: i32) -> Option<bool> {
    info::segments_in(b)
        .unwrap()
        .map(|e| e.unwrap())
        .find(|(i, _)| *i == id)
        .map(|(_, st)| st.is_removed() && st.perm.key == Key::PRIVATE)
}

fn segment_removed_while_attached_by_three<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let key = Key::new(0x5245_0020);
        for _ in 0..rounds() {
            let seg = Segment::create_in(b, key, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let att = seg.attach().unwrap();
            att.write(0, b"before").unwrap();
            // Two peers attach, signal readiness through a semaphore, wait for the
            // removal, then write and read across it.
            let sync =
                SemSet::create_in(b, Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let peer = |me: u8| {
                fork_peer(move || {
                    let att = seg.attach().unwrap();
                    sync.op(&[SemOp::post(0)]).unwrap(); // attached
                    sync.op(&[SemOp::wait(1)]).unwrap(); // removed now
                    let st = seg.stat().unwrap();
                    assert!(st.is_removed() && st.perm.key == Key::PRIVATE, "{st:?}");
                    // Ours, the parent's, the other peer's, and the parent's mapping
                    // that each fork inherited.
                    assert_eq!(st.nattch, 5);
                    let mut buf = [0u8; 6];
                    att.read(0, &mut buf).unwrap();
                    assert_eq!(&buf, b"before");
                    att.write(100 + usize::from(me), &[me]).unwrap();
                    sync.op(&[SemOp::post(2)]).unwrap(); // written
                    sync.op(&[SemOp::wait(3)]).unwrap(); // both wrote
                    let mut both = [0u8; 2];
                    att.read(101, &mut both).unwrap();
                    assert_eq!(both, [1, 2], "the peers share the removed segment");
                    att.detach().unwrap();
                })
            };
            let peers = vec![peer(1), peer(2)];
            let ten = Duration::from_secs(10);
            sync.op_timeout(&[SemOp::add(0, -2)], ten).unwrap();
            seg.remove().unwrap();
            assert_eq!(
                listed(b, seg.id()),
                Some(true),
                "listed as removed (SHM_DEST)"
            );
            // A new open of the key fails clearly; a create makes a new segment.
            assert_eq!(err(Segment::open_in(b, key)).kind(), ErrorKind::NotFound);
            assert_eq!(
                err(Shm::<[u8; 6], B>::open_in(b, key)).kind(),
                ErrorKind::NotFound
            );
            let fresh =
                Segment::create_in(b, key, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            assert_ne!(fresh.id(), seg.id());
            let mut buf = [9u8; 6];
            fresh.attach().unwrap().read(0, &mut buf).unwrap();
            assert_eq!(buf, [0; 6], "the new segment is a new, zero-filled one");
            fresh.remove().unwrap();
            sync.op(&[SemOp::add(1, 2)]).unwrap();
            sync.op_timeout(&[SemOp::add(2, -2)], ten).unwrap();
            sync.op(&[SemOp::add(3, 2)]).unwrap();
            join_all(peers);
            // Still ours, still listed, until our own detach.
            let mut both = [0u8; 2];
            att.read(101, &mut both).unwrap();
            assert_eq!(both, [1, 2]);
            assert_eq!(seg.stat().unwrap().nattch, 1);
            assert_eq!(listed(b, seg.id()), Some(true));
            att.detach().unwrap();
            assert_eq!(listed(b, seg.id()), None, "gone at the last detach");
            assert_eq!(err(seg.stat()).kind(), ErrorKind::InvalidArgument);
            sync.remove().unwrap();
        }
        assert_eq!(info::shm_usage_in(b).unwrap().segments, 0);
    });
}

/// `Removal` over the two layouts that own an attachment (not `Clone`, so the old
/// `keep()` could not take them): dropped, it removes the object; `into_inner` gives
/// the handle back with the object, its attachment and its contents intact.
fn removal_guards_queue_and_seqlock<B: Backend + Copy>(b: B) {
    use sysv_ipc::{Queue, Removal, SeqLock};

    in_ipc_namespace(move || {
        let (qkey, lkey) = (Key::new(0x5245_0020), Key::new(0x5245_0021));
        {
            let q = Removal::new(Q::create_in(b, qkey, Intent::CreateNew, Mode::OWNER_RW).unwrap());
            q.producer().unwrap().enqueue(Item(5)).unwrap();
        }
        assert_eq!(
            Q::open_in(b, qkey).unwrap_err().kind(),
            ErrorKind::NotFound,
            "dropped: removed"
        );

        let q = Removal::new(Q::create_in(b, qkey, Intent::CreateNew, Mode::OWNER_RW).unwrap());
        q.producer().unwrap().enqueue(Item(6)).unwrap();
        let q: Queue<Item, 2, B> = q.into_inner();
        let other = Q::open_in(b, qkey).unwrap();
        assert_eq!(other.consumer().unwrap().dequeue().unwrap(), Some(Item(6)));
        q.remove().unwrap();
        drop((q, other));

        {
            let lock = Removal::new(
                SeqLock::<u64, B>::create_in(b, lkey, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
            );
            lock.writer().unwrap().write(&7).unwrap();
        }
        assert_eq!(
            SeqLock::<u64, B>::open_in(b, lkey).unwrap_err().kind(),
            ErrorKind::NotFound,
            "dropped: removed"
        );
        let lock = Removal::new(
            SeqLock::<u64, B>::create_in(b, lkey, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        lock.writer().unwrap().write(&8).unwrap();
        let lock: SeqLock<u64, B> = lock.into_inner();
        assert_eq!(
            SeqLock::<u64, B>::open_in(b, lkey).unwrap().read().unwrap(),
            8
        );
        assert_eq!(lock.read().unwrap(), 8);
        lock.remove().unwrap();
        drop(lock); // the last attachment: the removed segment goes
        assert_eq!(info::shm_usage_in(b).unwrap().segments, 0);
        assert_eq!(info::sem_usage_in(b).unwrap().sets, 0);
    });
}
