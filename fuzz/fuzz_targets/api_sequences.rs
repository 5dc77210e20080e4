//! Target (a): arbitrary sequences of calls on the public, typed API —
//! `MsgQueue`, `SemSet`, `Segment`/`Attachment`, `Shm<T>`, `Queue`, `SeqLock`,
//! `info` — over one mock kernel, with process switches, forks, exits, lowered
//! limits, injected faults, and raw writes over the crate's own segments (a
//! hostile peer). Any two handles may share a key, so kinds and types get mixed up.
//!
//! Properties: no panic, no undefined behaviour (ASan), and every call returns a
//! value or an `Error`; a few results are checked where the answer is known
//! (received lengths within the buffer, a completed seqlock write reads back).
#![no_main]

use core::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sysv_ipc::ShmType;
use sysv_ipc::msg::{DEFAULT_MSGMAX, MsgBuf, MsgQueue, RecvFlags, Selector, SendFlags, Typed};
use sysv_ipc::queue::{Queue, QueueOptions};
use sysv_ipc::sem::SemSetOptions;
use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
use sysv_ipc::shm::{Attachment, ReadOnly, Segment};
use sysv_ipc::{Errno, Intent, Key, Mode, Owner, Removable, SemOp, SemSet, Shm, info};
use sysv_ipc_mock::{Call, Limits, Mock, OnBlock, Process};

type Kernel = Mock<8, 64, 64, 16384, 24>;
type K<'k> = &'k Kernel;

/// Four shared keys and `IPC_PRIVATE`.
fn key(k: u8) -> Key {
    match k % 5 {
        0 => Key::PRIVATE,
        n => Key::new(0x1000 + i32::from(n)),
    }
}

fn intent(i: u8) -> Intent {
    match i % 3 {
        0 => Intent::Open,
        1 => Intent::OpenOrCreate,
        _ => Intent::CreateNew,
    }
}

fn mode(m: u16) -> Mode {
    Mode::new(u32::from(m))
}

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Arbitrary,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[repr(C)]
struct Rec {
    a: u32,
    b: u16,
    c: u8,
    d: u8,
    e: u64,
}

impl ShmType for Rec {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc fuzz::Rec v1");
}

#[derive(Arbitrary, Debug)]
enum QOp {
    Enqueue(Rec),
    EnqueueBlocking(Rec),
    EnqueueTimeout(Rec),
    EnqueueSlice(Vec<Rec>),
    Dequeue,
    DequeueBlocking,
    DequeueTimeout,
    DequeueInto(u8),
    EnqueueWith(u8, Rec),
    DequeueWith(u8),
    Len,
    Spins(u8),
}

#[derive(Arbitrary, Debug)]
enum Op {
    MsgCreate(u8, u8, u16),
    MsgSend(u8, i64, u16, u8, bool),
    MsgRecv(u8, u8, i64, u16, u8),
    MsgSendValue(u8, i64, Rec, bool),
    MsgRecvValue(u8, u8, i64, bool),
    MsgBufRoundTrip(u8, i64, Vec<u8>),
    MsgPeek(u8, u16),
    MsgStat(u8),
    MsgMaxBytes(u8, u64),
    MsgOwner(u8, u32, u32, u16),
    MsgRemove(u8),

    SemCreate(u8, u16, u8, u16),
    SemNewInit(u8, Vec<u16>, u16),
    SemOps(u8, Vec<(u16, i16, u8)>, Option<u16>),
    SemRetry(u8, Vec<(u16, i16, u8)>),
    SemSetVal(u8, u16, u16),
    SemGet(u8, u16),
    SemGetAll(u8, u8),
    SemSetAll(u8, Vec<u16>),
    SemCounts(u8, u16),
    SemLock(u8, u16, u8),
    SemStat(u8),
    SemOwner(u8, u32, u32, u16),
    SemRemove(u8),

    SegCreate(u8, u16, u8, u16),
    SegAttach(u8, bool),
    SegDetach(u8),
    AttWrite(u8, u16, Vec<u8>),
    AttRead(u8, u16, u16, bool),
    AttAtomic(u8, u16, u64),
    AttLoad(u8, u16),
    SegStat(u8),
    SegLock(u8, bool),
    SegOwner(u8, u32, u32, u16),
    SegRemove(u8),

    ShmCreate(u8, u8, u16, bool),
    ShmWrite(u8, [u64; 2]),
    ShmRead(u8),

    QueueCreate(u8, u8, u16, bool),
    QueueSession(u8, bool, bool, Vec<QOp>),
    QueueLen(u8),
    QueueRemove(u8),
    /// Raw bytes over a queue's segment, as a hostile peer would write them.
    QueueScribble(u8, u16, Vec<u8>),

    SeqCreate(u8, u8, u16),
    SeqRead(u8, u8),
    SeqWrite(u8, bool, Vec<[u64; 3]>, bool),
    SeqRemove(u8),
    SeqScribble(u8, u16, Vec<u8>),

    Info(u8),
    Process(u8),
    Fork(u8),
    Exit(u8),
    Fail(u8, u8, u8),
    ClearFaults,
    Limits(u8, u32),
    Advance(i16),
}

/// Something a process holds; dropped as that process (drops call `shmdt`).
struct Owned<T> {
    pid: i32,
    item: T,
}

struct World<'k> {
    k: K<'k>,
    pid: i32,
    msgs: Vec<MsgQueue<K<'k>>>,
    sems: Vec<SemSet<K<'k>>>,
    segs: Vec<Segment<K<'k>>>,
    atts: Vec<Owned<Attachment<K<'k>>>>,
    ros: Vec<Owned<Attachment<K<'k>, ReadOnly>>>,
    shms: Vec<Owned<Shm<[u64; 2], K<'k>>>>,
    queues: Vec<Owned<Queue<Rec, 4, K<'k>>>>,
    bigq: Vec<Owned<Queue<u64, 8, K<'k>>>>,
    locks: Vec<Owned<SeqLock<[u64; 3], K<'k>>>>,
}

fn pick<T>(v: &[T], i: u8) -> Option<&T> {
    if v.is_empty() {
        None
    } else {
        v.get(usize::from(i) % v.len())
    }
}

fn push<T>(v: &mut Vec<T>, x: T) {
    if v.len() < 8 {
        v.push(x);
    }
}

fn sem_ops(v: &[(u16, i16, u8)]) -> Vec<SemOp> {
    v.iter()
        .take(12)
        .map(|&(n, d, f)| {
            let mut op = SemOp::add(n % 6, d);
            if f & 1 != 0 {
                op = op.nowait();
            }
            if f & 2 != 0 {
                op = op.undo();
            }
            op
        })
        .collect()
}

fn selector(s: u8, bound: i64) -> Selector {
    match s % 4 {
        0 => Selector::Any,
        1 => Selector::Type(bound),
        2 => Selector::UpTo(bound),
        _ => Selector::Except(bound),
    }
}

/// Bounded waits: a `new_initialized` or a layout handshake gives up on an
/// unready peer after its spins, without sleeping (a zero join timeout).
const SEM_NOW: SemSetOptions = SemSetOptions::new().join_timeout(Duration::ZERO);
const QUEUE_NOW: QueueOptions = QueueOptions::new().join_timeout(Duration::ZERO);
const SEQLOCK_NOW: SeqLockOptions = SeqLockOptions::new().join_timeout(Duration::ZERO);

impl<'k> World<'k> {
    fn as_pid<R>(&self, pid: i32, f: impl FnOnce() -> R) -> R {
        self.k.set_process(self.process(pid));
        let r = f();
        self.k.set_process(self.process(self.pid));
        r
    }

    fn process(&self, pid: i32) -> Process {
        // Pids 1..=3 are root, 4..=7 two ordinary users.
        if pid <= 3 {
            Process::root(pid)
        } else {
            let uid = 1000 + (pid as u32 % 2);
            Process::user(pid, uid, uid)
        }
    }

    /// Drops everything process `pid` holds, as that process.
    fn drop_held_by(&mut self, pid: i32) {
        fn take<T>(v: &mut Vec<Owned<T>>, pid: i32) -> Vec<Owned<T>> {
            let (gone, kept) = core::mem::take(v).into_iter().partition(|o| o.pid == pid);
            *v = kept;
            gone
        }
        let a = take(&mut self.atts, pid);
        let r = take(&mut self.ros, pid);
        let s = take(&mut self.shms, pid);
        let q = take(&mut self.queues, pid);
        let b = take(&mut self.bigq, pid);
        let l = take(&mut self.locks, pid);
        self.as_pid(pid, move || drop((a, r, s, q, b, l)));
    }

    fn step(&mut self, op: &Op) {
        let k = self.k;
        let pid = self.pid;
        match op {
            Op::MsgCreate(kk, i, m) => {
                if let Ok(q) = MsgQueue::create_in(k, key(*kk), intent(*i), mode(*m)) {
                    push(&mut self.msgs, q);
                }
            }
            Op::MsgSend(q, mtype, len, fill, nowait) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let text = vec![*fill; usize::from(*len % 9000)];
                    let f = if *nowait {
                        SendFlags::NOWAIT
                    } else {
                        SendFlags::BLOCK
                    };
                    let _ = q.send_with(*mtype, &text, f);
                }
            }
            Op::MsgRecv(q, s, bound, cap, flags) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let mut buf = vec![0u8; usize::from(*cap % 9000)];
                    let mut f = RecvFlags::BLOCK;
                    if flags & 1 != 0 {
                        f = f | RecvFlags::NOWAIT;
                    }
                    if flags & 2 != 0 {
                        f = f | RecvFlags::TRUNCATE;
                    }
                    if let Ok(got) = q.recv_with(&mut buf, selector(*s, *bound), f) {
                        assert!(got.len <= buf.len(), "received beyond the buffer");
                        assert!(got.mtype >= 1, "mtype {} was accepted", got.mtype);
                    }
                }
            }
            Op::MsgSendValue(q, mtype, v, nowait) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let f = if *nowait {
                        SendFlags::NOWAIT
                    } else {
                        SendFlags::BLOCK
                    };
                    let _ = q.send_value_with(*mtype, v, f);
                }
            }
            Op::MsgRecvValue(q, s, bound, nowait) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let f = if *nowait {
                        RecvFlags::NOWAIT
                    } else {
                        RecvFlags::BLOCK
                    };
                    let sel = selector(*s, *bound);
                    let size = core::mem::size_of::<Rec>();
                    // The ways out of a poison message, picked by the selector
                    // byte's next two bits; what they report must fit the message.
                    let got = match (*s / 4) % 4 {
                        0 => {
                            let _ = q.recv_value_with::<Rec>(sel, f);
                            None
                        }
                        1 => {
                            let mut buf = MsgBuf::<64>::new();
                            let got = q.recv_value_or_bytes::<Rec, 64>(&mut buf, sel, f);
                            if let Ok(Typed::Other(p)) = &got {
                                assert_eq!((p.mtype, p.size), (buf.mtype(), buf.text().len()));
                            }
                            Some(got)
                        }
                        2 => Some(q.recv_value_or_discard::<Rec>(sel, f)),
                        _ => Some(q.recv_value_truncating::<Rec>(sel, f)),
                    };
                    match got {
                        Some(Ok(Typed::Value { mtype, .. })) => assert!(mtype >= 1),
                        Some(Ok(Typed::Truncated { poison, .. })) => {
                            assert!(poison.size > size && poison.size <= DEFAULT_MSGMAX);
                        }
                        Some(Ok(Typed::Other(p))) => {
                            assert!(p.mtype >= 1 && p.size <= DEFAULT_MSGMAX);
                            assert!(p.more || p.size != size, "a whole Rec reported as poison");
                        }
                        _ => {}
                    }
                }
            }
            Op::MsgBufRoundTrip(q, mtype, text) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let mut buf = MsgBuf::<64>::new();
                    if buf.set(*mtype, text).is_ok() {
                        let _ = q.send_buf_with(&buf, SendFlags::NOWAIT);
                    }
                    let mut back = MsgBuf::<16>::new();
                    if q.recv_buf_with(&mut back, Selector::Any, RecvFlags::NOWAIT)
                        .is_ok()
                    {
                        assert!(back.text().len() <= 16);
                    }
                }
            }
            Op::MsgPeek(q, index) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let mut buf = MsgBuf::<32>::new();
                    let _ = q.peek(&mut buf, usize::from(*index));
                }
            }
            Op::MsgStat(q) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let _ = q.stat();
                }
            }
            Op::MsgMaxBytes(q, n) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let _ = q.set_max_bytes(*n);
                }
            }
            Op::MsgOwner(q, uid, gid, m) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let _ = q.set_owner(Owner {
                        uid: *uid,
                        gid: *gid,
                        mode: mode(*m),
                    });
                }
            }
            Op::MsgRemove(q) => {
                if let Some(q) = pick(&self.msgs, *q) {
                    let _ = q.remove();
                }
            }

            Op::SemCreate(kk, n, i, m) => {
                if let Ok(s) =
                    SemSet::create_in(k, key(*kk), usize::from(*n % 8), intent(*i), mode(*m))
                {
                    push(&mut self.sems, s);
                }
            }
            Op::SemNewInit(kk, values, m) => {
                let values: Vec<u16> = values.iter().take(6).copied().collect();
                if let Ok(s) = SemSet::new_initialized_with(k, key(*kk), &values, mode(*m), SEM_NOW)
                {
                    push(&mut self.sems, s);
                }
            }
            Op::SemOps(s, ops, timeout) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let ops = sem_ops(ops);
                    let _ = match timeout {
                        None => s.op(&ops),
                        Some(ms) => s.op_timeout(&ops, Duration::from_millis(u64::from(*ms))),
                    };
                }
            }
            Op::SemRetry(s, ops) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let ops = sem_ops(ops);
                    let _ = s.op_retry_eintr(&ops);
                    let _ =
                        s.op_timeout_retry_eintr(&ops, Duration::from_millis(1), || Duration::ZERO);
                }
            }
            Op::SemSetVal(s, n, v) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let _ = s.set(*n % 8, *v);
                }
            }
            Op::SemGet(s, n) => {
                if let Some(s) = pick(&self.sems, *s) {
                    if let Ok(v) = s.get(*n % 8) {
                        assert!(v <= 32767, "GETVAL {v}");
                    }
                    let _ = s.last_pid(*n % 8);
                }
            }
            Op::SemGetAll(s, n) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let mut v = vec![0u16; usize::from(*n % 10)];
                    let _ = s.get_all(&mut v);
                }
            }
            Op::SemSetAll(s, values) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let v: Vec<u16> = values.iter().take(10).copied().collect();
                    let _ = s.set_all(&v);
                }
            }
            Op::SemCounts(s, n) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let _ = s.waiting_for_increase(*n % 8);
                    let _ = s.waiting_for_zero(*n % 8);
                }
            }
            Op::SemLock(s, n, how) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let g = match how % 3 {
                        0 => s.lock(*n % 8),
                        1 => s.try_lock(*n % 8),
                        _ => s.lock_timeout(*n % 8, Duration::from_millis(1)),
                    };
                    if let Ok(g) = g
                        && how & 4 != 0
                    {
                        let _ = g.unlock();
                    }
                }
            }
            Op::SemStat(s) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let _ = s.stat();
                }
            }
            Op::SemOwner(s, uid, gid, m) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let _ = s.set_owner(Owner {
                        uid: *uid,
                        gid: *gid,
                        mode: mode(*m),
                    });
                }
            }
            Op::SemRemove(s) => {
                if let Some(s) = pick(&self.sems, *s) {
                    let _ = s.remove();
                }
            }

            Op::SegCreate(kk, size, i, m) => {
                if let Ok(s) =
                    Segment::create_in(k, key(*kk), usize::from(*size), intent(*i), mode(*m))
                {
                    push(&mut self.segs, s);
                }
            }
            Op::SegAttach(s, ro) => {
                if let Some(s) = pick(&self.segs, *s) {
                    if *ro {
                        if let Ok(a) = s.attach_read_only() {
                            push(&mut self.ros, Owned { pid, item: a });
                        }
                    } else if let Ok(a) = s.attach() {
                        push(&mut self.atts, Owned { pid, item: a });
                    }
                }
            }
            Op::SegDetach(a) => {
                if !self.atts.is_empty() {
                    let i = usize::from(*a) % self.atts.len();
                    let o = self.atts.swap_remove(i);
                    let _ = self.as_pid(o.pid, || o.item.detach());
                }
            }
            Op::AttWrite(a, off, data) => {
                if let Some(a) = pick(&self.atts, *a) {
                    let _ = a.item.write(usize::from(*off), data);
                }
            }
            Op::AttRead(a, off, len, ro) => {
                let mut buf = vec![0u8; usize::from(*len % 9000)];
                if *ro {
                    if let Some(a) = pick(&self.ros, *a) {
                        let _ = a.item.read(usize::from(*off), &mut buf);
                    }
                } else if let Some(a) = pick(&self.atts, *a) {
                    let _ = a.item.read(usize::from(*off), &mut buf);
                }
            }
            Op::AttAtomic(a, off, v) => {
                if let Some(a) = pick(&self.atts, *a)
                    && let Some(w) = a.item.atomic_u64(usize::from(*off))
                {
                    w.store(*v, core::sync::atomic::Ordering::Relaxed);
                }
            }
            Op::AttLoad(a, off) => {
                if let Some(a) = pick(&self.ros, *a) {
                    let off = usize::from(*off);
                    let _ = (
                        a.item.load_u64(off),
                        a.item.load_u32(off),
                        a.item.load_u8(off),
                    );
                }
            }
            Op::SegStat(s) => {
                if let Some(s) = pick(&self.segs, *s) {
                    let _ = s.stat();
                }
            }
            Op::SegLock(s, lock) => {
                if let Some(s) = pick(&self.segs, *s) {
                    let _ = if *lock { s.lock() } else { s.unlock() };
                }
            }
            Op::SegOwner(s, uid, gid, m) => {
                if let Some(s) = pick(&self.segs, *s) {
                    let _ = s.set_owner(Owner {
                        uid: *uid,
                        gid: *gid,
                        mode: mode(*m),
                    });
                }
            }
            Op::SegRemove(s) => {
                if let Some(s) = pick(&self.segs, *s) {
                    let _ = s.remove();
                }
            }

            Op::ShmCreate(kk, i, m, open) => {
                let r = if *open {
                    Shm::<[u64; 2], _>::open_in(k, key(*kk))
                } else {
                    Shm::<[u64; 2], _>::create_in(k, key(*kk), intent(*i), mode(*m))
                };
                if let Ok(s) = r {
                    push(&mut self.shms, Owned { pid, item: s });
                }
                let _ =
                    Shm::<[u64; 2], _, ReadOnly>::open_read_only_in(k, key(*kk)).map(|s| s.read());
            }
            Op::ShmWrite(s, v) => {
                if let Some(s) = pick(&self.shms, *s) {
                    s.item.write(v);
                }
            }
            Op::ShmRead(s) => {
                if let Some(s) = pick(&self.shms, *s) {
                    let _ = s.item.read();
                }
            }

            Op::QueueCreate(kk, i, m, big) => {
                if *big {
                    if let Ok(q) = Queue::<u64, 8, _>::create_with(
                        k,
                        key(*kk),
                        intent(*i),
                        mode(*m),
                        QUEUE_NOW,
                    ) {
                        push(&mut self.bigq, Owned { pid, item: q });
                    }
                } else if let Ok(q) =
                    Queue::<Rec, 4, _>::create_with(k, key(*kk), intent(*i), mode(*m), QUEUE_NOW)
                {
                    push(&mut self.queues, Owned { pid, item: q });
                }
            }
            Op::QueueSession(q, reclaim, both, ops) => {
                if let Some(q) = pick(&self.queues, *q) {
                    let q = &q.item;
                    let mut p = if *reclaim {
                        q.reclaim_producer()
                    } else {
                        q.producer()
                    }
                    .ok();
                    let mut c = if *both {
                        if *reclaim {
                            q.reclaim_consumer()
                        } else {
                            q.consumer()
                        }
                        .ok()
                    } else {
                        None
                    };
                    // An untimed blocking call with nobody to wake it: without the
                    // periodic peer check it ends in the mock's EDEADLK; with it,
                    // every check interval "runs out" at once in the mock's virtual
                    // time and the call (rightly: its peer is alive) keeps waiting,
                    // forever. The timed forms still run the check to their deadline.
                    if let Some(p) = p.as_mut() {
                        p.set_peer_check(None);
                    }
                    if let Some(c) = c.as_mut() {
                        c.set_peer_check(None);
                    }
                    for op in ops.iter().take(32) {
                        queue_op(op, p.as_mut(), c.as_mut());
                    }
                    let _ = (q.has_producer(), q.has_consumer());
                }
            }
            Op::QueueLen(q) => {
                if let Some(q) = pick(&self.queues, *q)
                    && let Ok(n) = q.item.len()
                {
                    assert!(n <= 4, "len {n} of a queue of 4");
                }
                if let Some(q) = pick(&self.bigq, *q) {
                    let _ = q.item.len();
                    if let Ok((mut tx, mut rx)) = q.item.split() {
                        let _ = tx.enqueue(7);
                        let _ = rx.dequeue();
                    }
                }
            }
            Op::QueueRemove(q) => {
                if let Some(q) = pick(&self.queues, *q) {
                    let _ = q.item.remove();
                }
            }
            Op::QueueScribble(q, off, data) => {
                if let Some(q) = pick(&self.queues, *q) {
                    let _ = q.item.attachment().write(usize::from(*off) % 520, data);
                }
            }

            Op::SeqCreate(kk, i, m) => {
                if let Ok(l) = SeqLock::<[u64; 3], _>::create_with(
                    k,
                    key(*kk),
                    intent(*i),
                    mode(*m),
                    SEQLOCK_NOW,
                ) {
                    push(&mut self.locks, Owned { pid, item: l });
                }
            }
            Op::SeqRead(l, attempts) => {
                if let Some(l) = pick(&self.locks, *l) {
                    let _ = l.item.read_with_attempts(u32::from(*attempts % 8));
                    let _ = l.item.has_writer();
                }
            }
            Op::SeqWrite(l, reclaim, values, abandon) => {
                if let Some(l) = pick(&self.locks, *l) {
                    let w = if *reclaim {
                        l.item.reclaim_writer()
                    } else {
                        l.item.writer()
                    };
                    if let Ok(mut w) = w {
                        for v in values.iter().take(4) {
                            w.write(v).expect("the role is this process's");
                            assert_eq!(
                                l.item.read_with_attempts(2),
                                Ok(*v),
                                "a completed write reads back"
                            );
                        }
                        if *abandon {
                            w.abandon_mid_write();
                        }
                    }
                }
            }
            Op::SeqRemove(l) => {
                if let Some(l) = pick(&self.locks, *l) {
                    let _ = l.item.remove();
                }
            }
            Op::SeqScribble(l, off, data) => {
                if let Some(l) = pick(&self.locks, *l) {
                    let _ = l.item.attachment().write(usize::from(*off) % 300, data);
                }
            }

            Op::Info(what) => match what % 6 {
                0 => {
                    let _ = (
                        info::msg_limits_in(k),
                        info::sem_limits_in(k),
                        info::shm_limits_in(k),
                    );
                }
                1 => {
                    let _ = (
                        info::msg_usage_in(k),
                        info::sem_usage_in(k),
                        info::shm_usage_in(k),
                    );
                }
                2 => {
                    if let Ok(it) = info::message_queues_in(k) {
                        for e in it.take(64) {
                            let _ = e;
                        }
                    }
                }
                3 => {
                    if let Ok(it) = info::semaphore_sets_in(k) {
                        for e in it.take(64) {
                            let _ = e;
                        }
                    }
                }
                _ => {
                    if let Ok(it) = info::segments_in(k) {
                        for e in it.take(64) {
                            let _ = e;
                        }
                    }
                }
            },
            Op::Process(p) => {
                self.pid = i32::from(*p % 7) + 1;
                k.set_process(self.process(self.pid));
            }
            Op::Fork(child) => {
                // Pids 8.. are short-lived children: forked, then exited at once (the
                // model's attachments are inherited and must be given back).
                let child = 8 + i32::from(*child % 4);
                if k.fork_process(self.pid, child).is_ok() {
                    k.exit_process(child);
                }
            }
            Op::Exit(p) => {
                let p = i32::from(*p % 7) + 1;
                self.drop_held_by(p);
                k.exit_process(p);
            }
            Op::Fail(call, nth, errno) => {
                const ERRNOS: [Errno; 10] = [
                    Errno::INTR,
                    Errno::IDRM,
                    Errno::INVAL,
                    Errno::NOSPC,
                    Errno::NOMEM,
                    Errno::ACCES,
                    Errno::PERM,
                    Errno::AGAIN,
                    Errno::TOOBIG,
                    Errno::RANGE,
                ];
                let c = Call::ALL[usize::from(*call) % Call::ALL.len()];
                let e = ERRNOS[usize::from(*errno) % ERRNOS.len()];
                let n = k.calls(c) + 1 + u64::from(*nth % 4);
                let _ = k.fail_nth(c, n, e);
            }
            Op::ClearFaults => k.clear_faults(),
            Op::Limits(which, v) => {
                let mut l = Limits::LINUX;
                let v = *v % 70_000;
                match which % 10 {
                    0 => l.msgmax = v as i32,
                    1 => l.msgmnb = v as i32,
                    2 => l.msgmni = (v % 10) as i32,
                    3 => l.semmsl = (v % 10) as i32,
                    4 => l.semmns = (v % 70) as i32,
                    5 => l.semopm = (v % 10) as i32,
                    6 => l.semmni = (v % 10) as i32,
                    7 => l.shmmax = u64::from(v),
                    8 => l.shmmni = u64::from(v % 10),
                    _ => l.shmall = u64::from(v % 30),
                }
                k.set_limits(l);
            }
            Op::Advance(s) => k.advance(i64::from(*s)),
        }
    }
}

fn queue_op(
    op: &QOp,
    p: Option<&mut sysv_ipc::queue::Producer<Rec, 4, K<'_>>>,
    c: Option<&mut sysv_ipc::queue::Consumer<Rec, 4, K<'_>>>,
) {
    let t = Duration::from_millis(1);
    match op {
        QOp::Enqueue(v) => {
            if let Some(p) = p
                && let Err(e) = p.enqueue(*v)
            {
                assert_eq!(e.into_inner(), *v, "the value comes back");
            }
        }
        QOp::EnqueueBlocking(v) => {
            if let Some(p) = p {
                let _ = p.enqueue_blocking(*v);
            }
        }
        QOp::EnqueueTimeout(v) => {
            if let Some(p) = p {
                let _ = p.enqueue_timeout(*v, t);
            }
        }
        QOp::EnqueueSlice(v) => {
            if let Some(p) = p
                && let Ok(n) = p.enqueue_slice(v)
            {
                assert!(n <= v.len().min(4));
            }
        }
        QOp::Dequeue => {
            if let Some(c) = c {
                let _ = c.dequeue();
            }
        }
        QOp::DequeueBlocking => {
            if let Some(c) = c {
                let _ = c.dequeue_blocking();
            }
        }
        QOp::DequeueTimeout => {
            if let Some(c) = c {
                let _ = c.dequeue_timeout(t);
            }
        }
        QOp::DequeueInto(n) => {
            if let Some(c) = c {
                let mut out = vec![Rec::default(); usize::from(*n % 9)];
                if let Ok(got) = c.dequeue_into(&mut out) {
                    assert!(got <= out.len());
                }
            }
        }
        QOp::EnqueueWith(n, v) => {
            if let Some(p) = p {
                let max = usize::from(*n % 9);
                let mut made = 0;
                if let Ok(k) = p.enqueue_with(max, |i| {
                    assert_eq!(i, made, "made in order");
                    made += 1;
                    *v
                }) {
                    assert_eq!(k, made, "made exactly what was enqueued");
                    assert!(k <= max);
                } else {
                    assert_eq!(made, 0, "nothing made on an error");
                }
            }
        }
        QOp::DequeueWith(n) => {
            if let Some(c) = c {
                let max = usize::from(*n % 9);
                let mut taken = 0;
                if let Ok(k) = c.dequeue_with(max, |_| taken += 1) {
                    assert_eq!(k, taken, "handed out exactly what was dequeued");
                    assert!(k <= max);
                } else {
                    assert_eq!(taken, 0, "nothing handed out on an error");
                }
            }
        }
        QOp::Len => {
            if let Some(p) = p {
                let _ = (p.len(), p.is_full(), p.is_empty());
            }
            if let Some(c) = c
                && let Ok(n) = c.len()
            {
                assert!(n <= 4);
            }
        }
        QOp::Spins(s) => {
            if let Some(p) = p {
                p.set_spins(u32::from(*s % 4));
            }
            if let Some(c) = c {
                c.set_spins(u32::from(*s % 4));
            }
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let k: Box<Kernel> = Box::new(Kernel::new());
    k.set_on_block(OnBlock::Fail);
    let mut w = World {
        k: &k,
        pid: 1,
        msgs: Vec::new(),
        sems: Vec::new(),
        segs: Vec::new(),
        atts: Vec::new(),
        ros: Vec::new(),
        shms: Vec::new(),
        queues: Vec::new(),
        bigq: Vec::new(),
        locks: Vec::new(),
    };
    for op in ops.iter().take(128) {
        w.step(op);
    }
    // Everything is dropped by its own process before the kernel goes.
    for pid in 1..=7 {
        w.drop_held_by(pid);
    }
});
