//! Load (issue 7): several producer and consumer processes at once on one
//! `MsgQueue`, on one `SemSet`, and on several `Queue`s in parallel, through both
//! real backends, each test in a fresh IPC namespace.
//!
//! What holds (asserted):
//! - `MsgQueue`, 4 producers and 4 consumers: every message (producer id, sequence
//!   number, checksum) is received whole and exactly once (a shared bitmap, one bit
//!   per message, set with `fetch_or`: a bit already set is a duplicate, a bit left
//!   clear a loss).
//! - `SemSet`, 8 processes: a counter in a plain `Shm<u64>` incremented under
//!   `lock()` ends at exactly the sum of the increments; 4 post and 4 wait on a
//!   second semaphore, which ends at 0.
//! - `Queue`, 4 SPSC pairs in parallel: each consumer sees its producer's items
//!   whole and in order, single and batch operations mixed.
//! - Nothing leaks: the namespace's queues, sets and segments (`info` enumeration
//!   and usage) are the same before and after; the parent's resident set is the same
//!   within 1 MiB; and no worker allocated anything in its loop (`CountingAllocator`).
//!
//! Sizes: `SYSV_IPC_LOAD_OPS` (messages, lock increments, queue items, each in
//! total), else 100 000 for CI or 2 000 000 with `SYSV_IPC_STRESS=full`.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::queue::Queue;
use sysv_ipc::type_id;
use sysv_ipc::{
    Backend, Intent, Key, LinuxRaw, Mode, Removable, Segment, SemOp, SemSet, Shm, ShmType, info,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{allocations, fork_peer, in_ipc_namespace_timeout};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod linux_raw {
            $(#[test] fn $name() { super::run(|| super::$name(super::LinuxRaw)); })*
        }
        mod libc_backend {
            $(#[test] fn $name() { super::run(|| super::$name(super::Libc)); })*
        }
    };
}

per_backend!(msg_queue_4x4, sem_set_8_lockers, queues_4_pairs);

/// In a fresh namespace, with the leak checks around `f`.
fn run<F: FnOnce()>(f: F) {
    in_ipc_namespace_timeout(Duration::from_secs(600), || {
        let objects = census();
        let rss = resident_pages();
        f();
        assert_eq!(census(), objects, "IPC objects left behind");
        let after = resident_pages();
        assert!(
            after <= rss + 256,
            "resident set grew from {rss} to {after} pages"
        );
    });
}

/// How many message queues, semaphore sets and segments the namespace has, by
/// enumeration and by the usage counters.
fn census() -> [u64; 6] {
    let b = LinuxRaw;
    [
        info::message_queues_in(b).unwrap().count() as u64,
        info::semaphore_sets_in(b).unwrap().count() as u64,
        info::segments_in(b).unwrap().count() as u64,
        u64::from(info::msg_usage_in(b).unwrap().queues),
        u64::from(info::sem_usage_in(b).unwrap().sets),
        u64::from(info::shm_usage_in(b).unwrap().segments),
    ]
}

fn resident_pages() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn ops() -> u64 {
    if let Some(n) = std::env::var("SYSV_IPC_LOAD_OPS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
    {
        return n;
    }
    if std::env::var("SYSV_IPC_STRESS").as_deref() == Ok("full") {
        2_000_000
    } else {
        100_000
    }
}

/// Writes a line to fd 2, past the harness's capture.
fn report(line: &str) {
    let line = format!("{line}\n");
    // SAFETY: `line` is a live String; write only reads its bytes.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

/// Item `seq` of producer `id`, with a payload derived from both and a checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Item {
    id: u64,
    seq: u64,
    payload: [u64; 4],
    checksum: u64,
}

impl ShmType for Item {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::load::Item v1");
}

impl Item {
    fn new(id: u64, seq: u64) -> Item {
        let payload = core::array::from_fn(|i| mix(id << 40 ^ seq.wrapping_mul(3) ^ i as u64));
        Item {
            id,
            seq,
            payload,
            checksum: payload.iter().fold(mix(id ^ mix(seq)), |h, &w| mix(h ^ w)),
        }
    }

    fn assert_whole(&self) {
        assert_eq!(*self, Item::new(self.id, self.seq), "torn or corrupt item");
    }
}

const STOP: u64 = u64::MAX;

/// 4 producers and 4 consumers on one message queue; every message accounted for
/// in a shared bitmap.
fn msg_queue_4x4<B: Backend + Copy>(b: B) {
    const P: u64 = 4;
    // Per producer, a whole number of bitmap words.
    let per = ops().div_ceil(P * 64) * 64;
    let q = MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let words = (P * per / 64) as usize;
    let seg = Segment::create_in(
        b,
        Key::PRIVATE,
        words * 8,
        Intent::CreateNew,
        Mode::OWNER_RW,
    )
    .unwrap();
    let bitmap = seg.attach().unwrap();
    let start = Instant::now();
    let producers: Vec<_> = (0..P)
        .map(|id| {
            fork_peer(move || {
                let before = allocations();
                for seq in 0..per {
                    q.send_value(1 + id as i64, &Item::new(id, seq)).unwrap();
                }
                assert_eq!(allocations(), before, "a producer's loop allocated");
            })
        })
        .collect();
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let bitmap = &bitmap;
            fork_peer(move || {
                let before = allocations();
                let mut got = 0u64;
                loop {
                    let (mtype, m) = q.recv_value::<Item>(Selector::Any).unwrap();
                    if m.id == STOP {
                        break;
                    }
                    m.assert_whole();
                    assert!(m.id < P && m.seq < per, "{m:?}");
                    assert_eq!(mtype, 1 + m.id as i64);
                    let bit = m.id * per + m.seq;
                    let word = bitmap.atomic_u64((bit / 64) as usize * 8).unwrap();
                    let prev = word.fetch_or(1 << (bit % 64), Ordering::Relaxed);
                    assert_eq!(prev & 1 << (bit % 64), 0, "received twice: {m:?}");
                    got += 1;
                }
                assert_eq!(allocations(), before, "a consumer's loop allocated");
                assert!(got > 0 || per < 1000, "a consumer starved");
            })
        })
        .collect();
    for p in producers {
        p.join_timeout(Duration::from_secs(600));
    }
    // FIFO: the stops come after every message, one per consumer.
    for _ in 0..4 {
        q.send_value(999, &Item::new(STOP, 0)).unwrap();
    }
    for c in consumers {
        c.join_timeout(Duration::from_secs(600));
    }
    let elapsed = start.elapsed();
    for w in 0..words {
        let v = bitmap.atomic_u64(w * 8).unwrap().load(Ordering::Relaxed);
        assert_eq!(
            v,
            u64::MAX,
            "messages {}..{} not all received",
            w * 64,
            w * 64 + 64
        );
    }
    let st = q.stat().unwrap();
    assert_eq!((st.messages, st.bytes), (0, 0));
    report(&format!(
        "msg_queue_4x4: {} messages from 4 producers to 4 consumers, each exactly once, in \
         {elapsed:?}",
        P * per
    ));
    bitmap.detach().unwrap();
    seg.remove().unwrap();
    q.remove().unwrap();
}

/// 8 processes increment a counter under `lock()`; 4 of them post and 4 wait on a
/// second semaphore.
fn sem_set_8_lockers<B: Backend + Copy>(b: B) {
    let per = ops().div_ceil(8);
    let set = SemSet::new_initialized_in(b, Key::PRIVATE, &[1, 0], Mode::OWNER_RW).unwrap();
    let counter =
        Shm::<u64, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let start = Instant::now();
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let counter = &counter;
            fork_peer(move || {
                let before = allocations();
                for _ in 0..per {
                    let g = set.lock(0).unwrap();
                    counter.write(&(counter.read() + 1));
                    g.unlock().unwrap();
                    if i % 2 == 0 {
                        set.op(&[SemOp::post(1)]).unwrap();
                    } else {
                        set.op(&[SemOp::wait(1)]).unwrap();
                    }
                }
                assert_eq!(allocations(), before, "a worker's loop allocated");
            })
        })
        .collect();
    for w in workers {
        w.join_timeout(Duration::from_secs(600));
    }
    let elapsed = start.elapsed();
    assert_eq!(
        counter.read(),
        8 * per,
        "an increment under the lock was lost"
    );
    assert_eq!((set.get(0).unwrap(), set.get(1).unwrap()), (1, 0));
    report(&format!(
        "sem_set_8_lockers: {} increments under lock() by 8 processes, exact; {} posts and \
         waits balanced; in {elapsed:?}",
        8 * per,
        4 * per
    ));
    set.remove().unwrap();
    counter.segment().remove().unwrap();
}

type Q<B> = Queue<Item, 256, B>;

/// 4 producer/consumer pairs, each on its own `Queue`, in parallel.
fn queues_4_pairs<B: Backend + Copy>(b: B) {
    let per = ops().div_ceil(4);
    let queues: Vec<Q<B>> = (0..4)
        .map(|_| Q::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap())
        .collect();
    let start = Instant::now();
    let mut peers = Vec::new();
    for (id, q) in queues.iter().enumerate() {
        let id = id as u64;
        peers.push(fork_peer(move || {
            let mut p = q.producer().unwrap();
            let mut batch = [Item::new(0, 0); 16];
            let before = allocations();
            let mut seq = 0;
            while seq < per {
                if seq % 100 < 50 {
                    p.enqueue_blocking(Item::new(id, seq)).unwrap();
                    seq += 1;
                } else {
                    let k = (per - seq).min(16) as usize;
                    for (i, m) in batch[..k].iter_mut().enumerate() {
                        *m = Item::new(id, seq + i as u64);
                    }
                    let n = p.enqueue_slice(&batch[..k]).unwrap();
                    if n == 0 {
                        // Full: wait for room the blocking way, one item.
                        p.enqueue_blocking(batch[0]).unwrap();
                        seq += 1;
                    } else {
                        seq += n as u64;
                    }
                }
            }
            assert_eq!(allocations(), before, "a producer's loop allocated");
        }));
        peers.push(fork_peer(move || {
            let mut c = q.consumer().unwrap();
            let mut out = [Item::new(0, 0); 32];
            let before = allocations();
            let mut next = 0;
            while next < per {
                let n = if next % 100 < 50 {
                    out[0] = c.dequeue_blocking().unwrap();
                    1
                } else {
                    let n = c.dequeue_into(&mut out).unwrap();
                    if n == 0 {
                        out[0] = c.dequeue_blocking().unwrap();
                        1
                    } else {
                        n
                    }
                };
                for m in &out[..n] {
                    m.assert_whole();
                    assert_eq!((m.id, m.seq), (id, next), "lost, duplicated or reordered");
                    next += 1;
                }
            }
            assert_eq!(allocations(), before, "a consumer's loop allocated");
            assert_eq!(c.dequeue().unwrap(), None, "nothing beyond the stream");
        }));
    }
    for p in peers {
        p.join_timeout(Duration::from_secs(600));
    }
    let elapsed = start.elapsed();
    for q in queues {
        assert_eq!(q.len().unwrap(), 0);
        q.remove().unwrap();
    }
    report(&format!(
        "queues_4_pairs: {} items over 4 Queues in parallel, each pair in order and whole, in \
         {elapsed:?}",
        4 * per
    ));
}
