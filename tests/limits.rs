//! System limits (issue 7): inside a fresh IPC namespace, each per-namespace limit
//! (`kernel.msgmni`, `msgmnb`, `msgmax`, `sem` = semmsl/semmns/semopm/semmni,
//! `shmmni`, `shmall`, `shmmax`) is lowered and exhausted, through both real
//! backends. Every time:
//!
//! - the crate returns the kernel's error as a typed error ([`ErrorKind`], the
//!   errno, the call) that names the limit ([`Error::limit`], and in `Display`);
//! - nothing leaks: the namespace's usage (`info::*_usage_in`) and enumeration are
//!   the same before and after, including when a `Queue`/`SeqLock` fails halfway
//!   (its segment or semaphore set is removed again);
//! - freeing one object lets the next create succeed.
//!
//! Rounds per test: `SYSV_IPC_LIMIT_ROUNDS`, else 3 (CI) or 50 with
//! `SYSV_IPC_STRESS=full`.

use sysv_ipc::msg::MsgQueue;
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::Segment;
use sysv_ipc::{
    Backend, Call, Errno, Error, ErrorKind, Intent, Key, Limit, LinuxRaw, Mode, Removable, SemOp,
    SemSet, Shm, info,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{in_ipc_namespace, set_sysctl};

use sysv_ipc_testkit::per_backend;

per_backend!(
    msgmni_exhausted_then_freed,
    msgmax_and_msgmnb,
    semmni_semmns_semmsl_semopm,
    shmmni_shmall_shmmax,
    layouts_leak_nothing_at_the_limits,
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
    scaled("SYSV_IPC_LIMIT_ROUNDS", 3, 50)
}

fn err<T>(r: sysv_ipc::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

/// The error names `limit`: kind, errno, call, `limit()` and the text.
fn assert_limit(e: &Error, kind: ErrorKind, errno: Errno, call: Call, limit: Limit) {
    assert_eq!(
        (e.kind(), e.errno(), e.call(), e.limit()),
        (kind, Some(errno), Some(call), Some(limit)),
        "{e}"
    );
    assert!(e.to_string().contains(limit.sysctl()), "{e}");
}

/// Objects of each kind in the namespace: usage counters and enumeration agree.
fn census<B: Backend + Copy>(b: B) -> (u32, u32, u32, u32, u64) {
    let m = info::msg_usage_in(b).unwrap();
    let s = info::sem_usage_in(b).unwrap();
    let h = info::shm_usage_in(b).unwrap();
    assert_eq!(info::message_queues_in(b).unwrap().count() as u32, m.queues);
    assert_eq!(info::semaphore_sets_in(b).unwrap().count() as u32, s.sets);
    assert_eq!(info::segments_in(b).unwrap().count() as u32, h.segments);
    (m.queues, s.sets, s.semaphores, h.segments, h.pages_total)
}

fn page() -> usize {
    // SAFETY: sysconf takes a constant and has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

fn msgmni_exhausted_then_freed<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        const MNI: usize = 4;
        set_sysctl("kernel/msgmni", MNI);
        let before = census(b);
        for _ in 0..rounds() {
            let mut qs: Vec<MsgQueue<B>> = (0..MNI)
                .map(|i| {
                    let key = if i % 2 == 0 {
                        Key::PRIVATE
                    } else {
                        Key::new(0x4c00 + i as i32)
                    };
                    MsgQueue::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW).unwrap()
                })
                .collect();
            for key in [Key::PRIVATE, Key::new(0x4cff)] {
                let e = err(MsgQueue::create_in(
                    b,
                    key,
                    Intent::OpenOrCreate,
                    Mode::OWNER_RW,
                ));
                assert_limit(
                    &e,
                    ErrorKind::LimitReached,
                    Errno::NOSPC,
                    Call::Msgget,
                    Limit::Msgmni,
                );
            }
            // The failure created nothing; an existing key still opens.
            assert_eq!(census(b).0, MNI as u32);
            MsgQueue::open_in(b, Key::new(0x4c01)).unwrap();
            // Freeing one lets the next create succeed.
            qs.pop().unwrap().remove().unwrap();
            qs.push(
                MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
            );
            for q in qs {
                q.remove().unwrap();
            }
            assert_eq!(census(b), before, "nothing leaked");
        }
    });
}

fn msgmax_and_msgmnb<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        set_sysctl("kernel/msgmax", 128);
        set_sysctl("kernel/msgmnb", 256);
        let q = MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        assert_eq!(
            q.stat().unwrap().max_bytes,
            256,
            "msgmnb is a new queue's size"
        );
        for _ in 0..rounds() {
            // msgmax: one byte over is refused before anything is queued.
            let e = err(q.try_send(1, &[7; 129]));
            assert_limit(
                &e,
                ErrorKind::MessageTooLarge,
                Errno::INVAL,
                Call::Msgsnd,
                Limit::Msgmax,
            );
            assert_eq!((e.actual(), e.expected()), (Some(129), Some(128)), "{e}");
            assert_eq!(q.stat().unwrap().messages, 0);
            // msgmnb: two messages of msgmax fill the queue; the third would block.
            q.try_send(1, &[1; 128]).unwrap();
            q.try_send(2, &[2; 128]).unwrap();
            let e = err(q.try_send(3, &[3; 1]));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::WouldBlock, Some(Errno::AGAIN))
            );
            let st = q.stat().unwrap();
            assert_eq!((st.messages, st.bytes), (2, 256));
            // Taking one makes room for the next.
            let mut buf = [0u8; 128];
            let got = q.try_recv(&mut buf, sysv_ipc::msg::Selector::Any).unwrap();
            assert_eq!((got.mtype, got.len, buf), (1, 128, [1; 128]));
            q.try_send(3, &[3; 128]).unwrap();
            for want in [2, 3] {
                let got = q.try_recv(&mut buf, sysv_ipc::msg::Selector::Any).unwrap();
                assert_eq!((got.mtype, buf), (want, [want as u8; 128]));
            }
            assert_eq!(q.stat().unwrap().bytes, 0);
        }
        // A message within msgmax but larger than the queue's msg_qbytes never fits:
        // the kernel says EAGAIN even on an empty queue (a blocking send would wait
        // for good, which the README leaves to the caller).
        q.set_max_bytes(100).unwrap();
        let e = err(q.try_send(1, &[0; 128]));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::WouldBlock, Some(Errno::AGAIN))
        );
        assert_eq!(q.stat().unwrap().messages, 0);
        q.remove().unwrap();
        assert_eq!(census(b).0, 0);
    });
}

fn semmni_semmns_semmsl_semopm<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        // semmsl semmns semopm semmni
        set_sysctl("kernel/sem", "4 10 3 3");
        let before = census(b);
        let private =
            |n: usize| SemSet::create_in(b, Key::PRIVATE, n, Intent::CreateNew, Mode::OWNER_RW);
        for _ in 0..rounds() {
            // semmni: three sets, then ENOSPC, through both constructors.
            let mut sets: Vec<SemSet<B>> = (0..3).map(|_| private(1).unwrap()).collect();
            assert_limit(
                &err(private(1)),
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Semget,
                Limit::Semmni,
            );
            let e = err(SemSet::new_initialized_in(
                b,
                Key::new(0x5300),
                &[1],
                Mode::OWNER_RW,
            ));
            assert_limit(
                &e,
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Semget,
                Limit::Semmni,
            );
            sets.pop().unwrap().remove().unwrap();
            sets.push(
                SemSet::new_initialized_in(b, Key::new(0x5300), &[1], Mode::OWNER_RW).unwrap(),
            );
            for s in sets.drain(..) {
                s.remove().unwrap();
            }
            // semmns: 4 + 4 semaphores, then a set of 4 would make 12 > 10.
            sets.push(private(4).unwrap());
            sets.push(private(4).unwrap());
            assert_limit(
                &err(private(4)),
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Semget,
                Limit::Semmns,
            );
            let two = private(2).unwrap(); // exactly 10
            assert_eq!(census(b).2, 10);
            two.remove().unwrap();
            // semmsl: a set of 5 is refused whatever the totals.
            let e = err(private(5));
            assert_limit(
                &e,
                ErrorKind::InvalidArgument,
                Errno::INVAL,
                Call::Semget,
                Limit::Semmsl,
            );
            // semopm: three operations per call, not four; nothing is applied.
            let s = &sets[0];
            s.op(&[SemOp::post(0); 3]).unwrap();
            let e = err(s.op(&[SemOp::post(1); 4]));
            assert_limit(
                &e,
                ErrorKind::LimitReached,
                Errno::TOOBIG,
                Call::Semop,
                Limit::Semopm,
            );
            let e = err(s.op_timeout(&[SemOp::post(1); 4], std::time::Duration::ZERO));
            assert_limit(
                &e,
                ErrorKind::LimitReached,
                Errno::TOOBIG,
                Call::Semtimedop,
                Limit::Semopm,
            );
            assert_eq!((s.get(0).unwrap(), s.get(1).unwrap()), (3, 0));
            for s in sets {
                s.remove().unwrap();
            }
            assert_eq!(census(b), before, "nothing leaked");
        }
    });
}

fn shmmni_shmall_shmmax<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let page = page();
        set_sysctl("kernel/shmmni", 3);
        set_sysctl("kernel/shmall", 4); // pages
        set_sysctl("kernel/shmmax", 4 * page);
        let before = census(b);
        let create = |size: usize| {
            Segment::create_in(b, Key::PRIVATE, size, Intent::CreateNew, Mode::OWNER_RW)
        };
        for _ in 0..rounds() {
            // shmmni: three segments (of one page), then ENOSPC.
            let mut segs: Vec<Segment<B>> = (0..3).map(|_| create(1).unwrap()).collect();
            assert_limit(
                &err(create(1)),
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Shmget,
                Limit::Shmmni,
            );
            // An attached, removed segment still counts until its last detach.
            let att = segs[0].attach().unwrap();
            segs.remove(0).remove().unwrap();
            assert_limit(
                &err(create(1)),
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Shmget,
                Limit::Shmmni,
            );
            att.detach().unwrap();
            segs.push(create(page).unwrap());
            for s in segs.drain(..) {
                s.remove().unwrap();
            }
            // shmall: 3 + 1 pages fit, one more page does not.
            segs.push(create(3 * page).unwrap());
            segs.push(create(1).unwrap());
            assert_limit(
                &err(create(1)),
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Shmget,
                Limit::Shmall,
            );
            let e = err(Shm::<[u8; 64], B>::create_in(
                b,
                Key::PRIVATE,
                Intent::CreateNew,
                Mode::OWNER_RW,
            ));
            assert_eq!(
                (e.kind(), e.limit()),
                (ErrorKind::LimitReached, Some(Limit::Shmall)),
                "{e}"
            );
            segs.pop().unwrap().remove().unwrap();
            segs.push(create(page).unwrap());
            for s in segs.drain(..) {
                s.remove().unwrap();
            }
            // shmmax: one byte over is EINVAL, named.
            let e = err(create(4 * page + 1));
            assert_limit(
                &e,
                ErrorKind::InvalidArgument,
                Errno::INVAL,
                Call::Shmget,
                Limit::Shmmax,
            );
            create(4 * page).unwrap().remove().unwrap();
            // Below shmmin is EINVAL too, but names no limit.
            assert_eq!(err(create(0)).limit(), None);
            assert_eq!(census(b), before, "nothing leaked");
        }
    });
}

#[derive(
    Clone,
    Copy,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[repr(C)]
struct Word(u64);

impl sysv_ipc::ShmType for Word {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc tests::limits::Word");
}

/// `Queue` and `SeqLock` are a segment plus a semaphore set: when the second one
/// cannot be made, the first is removed again, and the error names the limit.
fn layouts_leak_nothing_at_the_limits<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let key = Key::new(0x4c51);
        let before = census(b);
        for _ in 0..rounds() {
            // No room for the semaphore set: the new segment goes away again.
            set_sysctl("kernel/sem", "32000 1024000000 500 1");
            let filler =
                SemSet::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let e = err(Queue::<Word, 4, B>::create_in(
                b,
                key,
                Intent::CreateNew,
                Mode::OWNER_RW,
            ));
            assert_limit(
                &e,
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Semget,
                Limit::Semmni,
            );
            let e = err(SeqLock::<Word, B>::create_in(
                b,
                key,
                Intent::OpenOrCreate,
                Mode::OWNER_RW,
            ));
            assert_eq!(e.limit(), Some(Limit::Semmni), "{e}");
            assert_eq!(census(b).3, before.3, "the half-made segments were removed");
            // Freeing the set lets the queue be made.
            filler.remove().unwrap();
            let q =
                Queue::<Word, 4, B>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let (mut tx, mut rx) = q.split().unwrap();
            tx.enqueue(Word(7)).unwrap();
            assert_eq!(rx.dequeue().unwrap().map(|w| w.0), Some(7));
            drop((tx, rx));
            q.remove().unwrap();
            // Removed, but attached until dropped: it still counts against shmmni.
            drop(q);
            set_sysctl("kernel/sem", "32000 1024000000 500 32000");

            // No room for the segment: nothing is created at all.
            set_sysctl("kernel/shmmni", 1);
            let filler =
                Segment::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let e = err(SeqLock::<Word, B>::create_in(
                b,
                key,
                Intent::CreateNew,
                Mode::OWNER_RW,
            ));
            assert_limit(
                &e,
                ErrorKind::LimitReached,
                Errno::NOSPC,
                Call::Shmget,
                Limit::Shmmni,
            );
            filler.remove().unwrap();
            let l =
                SeqLock::<Word, B>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            l.writer().unwrap().write(&Word(9)).unwrap();
            assert_eq!(l.read().unwrap().0, 9);
            l.remove().unwrap();
            drop(l);
            set_sysctl("kernel/shmmni", 4096);
            assert_eq!(census(b), before, "nothing leaked");
        }
    });
}
