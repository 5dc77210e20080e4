//! `info::layouts` / `info::inspect`: the crate's objects recognised among the
//! namespace's segments, their roles and whether the holders live, through both
//! real backends (each test in a fresh IPC namespace) and the in-memory mock.
//!
//! What holds (asserted):
//!
//! - one live object of every kind is listed with its header (kind, capacity, type,
//!   creator) and state (occupancy after k sends, a broadcast reader's lag, the
//!   table version), its roles held by this process `Alive` with our pid, free
//!   seats `Free`; plain, garbage, half-initialised and unknown-kind segments are
//!   listed as not the crate's, each with its reason;
//! - a process holding one role of every kind, SIGKILLed (on the mock: its exit
//!   simulated), is reported `Dead` in each, with its pid, and the survivor's roles
//!   `Alive`;
//! - the inspector only reads: every segment's bytes are the same before and after
//!   a full listing (roles included), its attachments are `SHM_RDONLY` (the mock
//!   counts them), and uid 65534 lists objects of mode 0644 it may only read, with
//!   their roles' liveness;
//! - impossible values (a capacity of 2^60, indices further apart than the
//!   capacity, a broadcast cursor far ahead of the writer, a reader count of a
//!   million) are reported as corrupt, never trusted; random bytes in every word a
//!   header or a role seat has never panic (proptest, on the mock).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Start};
use sysv_ipc::info::{
    self, Inspection, KindState, LayoutKind, Liveness, NotLayout, Role, RoleCounts, RoleEntry,
    Semaphores,
};
use sysv_ipc::layout::header::MAGIC;
use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::{
    Backend, Errno, Intent, Key, LinuxRaw, Mode, Removable, Segment, SemSet, fingerprint,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_mock::{Mock, Process};
use sysv_ipc_testkit::{as_user, fork_peer, needs_root};

sysv_ipc_testkit::on_both_backends!(
    every_kind_live,
    a_killed_holder_is_dead,
    impossible_values_are_corrupt,
    nobody_reads_what_it_may,
    a_live_stream_is_never_corrupt,
    zero_allocations,
);

mod mock {
    use super::*;

    #[test]
    fn every_kind_live() {
        static KERNEL: Mock = Mock::new();
        super::every_kind_live(&KERNEL);
        // Every attachment the inspector made is gone, and each was read-only:
        // what is left is the handles' own (read-write) ones.
        let (_, read_only) = KERNEL.attachments(KERNEL.process().pid);
        assert_eq!(read_only, 0);
    }

    #[test]
    fn the_inspectors_attachments_are_read_only() {
        static KERNEL: Mock = Mock::new();
        let b = &KERNEL;
        let q = Queue::<u64, 8, _>::create_in(b, Key::new(1), Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let me = KERNEL.process().pid;
        let before = KERNEL.attachments(me);
        let found: Vec<_> = info::layouts_in(b).unwrap().map(Result::unwrap).collect();
        assert_eq!(found.len(), 1);
        assert_eq!(KERNEL.attachments(me), (before.0 + 1, before.1 + 1));
        drop(found);
        assert_eq!(KERNEL.attachments(me), before);
        drop(q);
    }

    #[test]
    fn a_killed_holder_is_dead() {
        static KERNEL: Mock = Mock::new();
        let b = &KERNEL;
        let me = KERNEL.process();
        let objects = Objects::create(b, Mode::OWNER_RW);
        let survivor = objects.survivor_roles();
        // Another process of the same user takes a role of every kind, then exits.
        let peer = Process::user(4242, me.uid, me.gid);
        KERNEL.set_process(peer);
        let held = objects.peer_roles(b);
        KERNEL.set_process(me);
        assert_peer_roles(b, &objects, 4242, Liveness::Alive);
        KERNEL.exit_process(4242);
        assert_peer_roles(b, &objects, 4242, Liveness::Dead);
        drop((held, survivor));
    }

    #[test]
    fn impossible_values_are_corrupt() {
        static KERNEL: Mock = Mock::new();
        super::impossible_values_are_corrupt(&KERNEL);
    }
}

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

// ---- helpers -------------------------------------------------------------------------

const NOBODY: u32 = 65534;

const QUEUE: Key = Key::new(0x10);
const SEQLOCK: Key = Key::new(0x11);
const BROADCAST: Key = Key::new(0x12);
const MPSC: Key = Key::new(0x13);
const TABLE: Key = Key::new(0x14);

/// Reader seats of the test's broadcast, producer seats of its MPSC ring.
const READERS: usize = 3;
const PRODUCERS: usize = 2;

/// One object of every kind, under the keys above.
struct Objects<B: Backend + Clone> {
    queue: Queue<u64, 8, B>,
    seqlock: SeqLock<u64, B>,
    broadcast: Broadcast<u64, 8, B>,
    mpsc: Mpsc<u64, 8, B>,
    table: Table<u64, 16, B>,
}

/// What the survivor (this process) holds: the queue's and the ring's consumer,
/// the broadcast's writer and reader seat 0.
type Survivor<B> = (
    sysv_ipc::queue::Consumer<u64, 8, B>,
    sysv_ipc::broadcast::Writer<u64, 8, B>,
    sysv_ipc::broadcast::Reader<u64, 8, B>,
    sysv_ipc::mpsc::Receiver<u64, 8, B>,
);

/// What the peer holds: the queue's producer, the seqlock's and the table's
/// writer, a broadcast reader seat and an MPSC producer seat.
type PeerRoles<B> = (
    sysv_ipc::queue::Producer<u64, 8, B>,
    sysv_ipc::seqlock::Writer<u64, B>,
    sysv_ipc::broadcast::Reader<u64, 8, B>,
    sysv_ipc::mpsc::Sender<u64, 8, B>,
    sysv_ipc::table::Writer<u64, 16, B>,
);

impl<B: Backend + Clone> Objects<B> {
    fn create(b: B, mode: Mode) -> Self {
        let new = Intent::CreateNew;
        Objects {
            queue: Queue::create_in(b.clone(), QUEUE, new, mode).unwrap(),
            seqlock: SeqLock::create_in(b.clone(), SEQLOCK, new, mode).unwrap(),
            broadcast: Broadcast::create_with(
                b.clone(),
                BROADCAST,
                new,
                mode,
                BroadcastOptions::new().readers(READERS),
            )
            .unwrap(),
            mpsc: Mpsc::create_with(
                b.clone(),
                MPSC,
                new,
                mode,
                MpscOptions::new().producers(PRODUCERS),
            )
            .unwrap(),
            table: Table::create_in(b, TABLE, new, mode).unwrap(),
        }
    }

    fn open(b: B) -> Self {
        let o = MpscOptions::new().producers(PRODUCERS);
        Objects {
            queue: Queue::open_in(b.clone(), QUEUE).unwrap(),
            seqlock: SeqLock::open_in(b.clone(), SEQLOCK).unwrap(),
            broadcast: Broadcast::create_with(
                b.clone(),
                BROADCAST,
                Intent::Open,
                Mode::OWNER_RW,
                BroadcastOptions::new().readers(READERS),
            )
            .unwrap(),
            mpsc: Mpsc::create_with(b.clone(), MPSC, Intent::Open, Mode::OWNER_RW, o).unwrap(),
            table: Table::open_in(b, TABLE).unwrap(),
        }
    }

    fn survivor_roles(&self) -> Survivor<B> {
        (
            self.queue.consumer().unwrap(),
            self.broadcast.writer().unwrap(),
            self.broadcast.reader(Start::Newest).unwrap(),
            self.mpsc.consumer().unwrap(),
        )
    }

    /// Takes the peer's roles and leaves a known state: 2 values in the queue, a
    /// seqlock write, a table write.
    fn peer_roles(&self, _b: B) -> PeerRoles<B> {
        let (mut p, mut w, r, tx, mut t) = (
            self.queue.producer().unwrap(),
            self.seqlock.writer().unwrap(),
            self.broadcast.reader(Start::Newest).unwrap(),
            self.mpsc.producer().unwrap(),
            self.table.writer().unwrap(),
        );
        p.enqueue(1).unwrap();
        p.enqueue(2).unwrap();
        w.write(&9).unwrap();
        t.write(3, &33).unwrap();
        (p, w, r, tx, t)
    }

    fn segment_ids(&self) -> [i32; 5] {
        [
            self.queue.segment().id(),
            self.seqlock.segment().id(),
            self.broadcast.segment().id(),
            self.mpsc.segment().id(),
            self.table.segment().id(),
        ]
    }

    fn remove(self) {
        self.queue.remove().unwrap();
        self.seqlock.remove().unwrap();
        self.broadcast.remove().unwrap();
        self.mpsc.remove().unwrap();
        self.table.remove().unwrap();
    }
}

fn roles<B: Backend>(found: &Inspection<B>) -> Vec<RoleEntry> {
    found.roles().map(Result::unwrap).collect()
}

/// Every segment's bytes, by id.
fn snapshot<B: Backend + Clone>(b: B) -> BTreeMap<i32, Vec<u8>> {
    info::segments_in(b.clone())
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|(id, stat)| {
            let att = Segment::from_id(b.clone(), id).attach_read_only().ok()?;
            let mut bytes = vec![0u8; stat.size];
            att.read(0, &mut bytes).unwrap();
            Some((id, bytes))
        })
        .collect()
}

/// Lists every segment and reads every role of each: all the inspector does.
fn inspect_all<B: Backend + Clone>(b: B) -> BTreeMap<i32, (Inspection<B>, Vec<RoleEntry>)> {
    info::layouts_in(b)
        .unwrap()
        .map(Result::unwrap)
        .map(|found| {
            let roles = roles(&found);
            if found.layout().is_some() {
                found.counts().unwrap();
            }
            (found.id(), (found, roles))
        })
        .collect()
}

/// The calling process's pid, as backend `b` sees it (the mock's own process).
fn pid<B: Backend>(b: &B) -> u32 {
    u32::try_from(b.getpid()).unwrap()
}

/// Writes `words` at byte `offset` of segment `id` (as a hostile peer would).
fn poke<B: Backend + Clone>(b: B, id: i32, offset: usize, words: &[u64]) {
    let att = Segment::from_id(b, id).attach().unwrap();
    for (k, w) in words.iter().enumerate() {
        att.write(offset + 8 * k, &w.to_ne_bytes()).unwrap();
    }
}

/// A segment of `size` bytes under `key` whose first words are `words`.
fn segment_with<B: Backend + Clone>(b: B, key: Key, size: usize, words: &[u64]) -> i32 {
    let seg = Segment::create_in(b.clone(), key, size, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    if !words.is_empty() {
        poke(b, seg.id(), 0, words);
    }
    seg.id()
}

// ---- tests -----------------------------------------------------------------------------

fn every_kind_live<B: Backend + Clone>(b: B) {
    let objects = Objects::create(b.clone(), Mode::OWNER_RW);
    let (_c, mut bw, mut r0, mut rx) = objects.survivor_roles();
    let (mut p, mut w, mut r1, mut tx, mut t) = objects.peer_roles(b.clone());
    p.enqueue(3).unwrap(); // 3 in the queue
    for v in 0..5 {
        bw.send(v).unwrap();
    }
    assert_eq!(r0.recv().unwrap(), Some(0));
    assert_eq!(r0.recv().unwrap(), Some(1)); // reader 0 lags 3, reader 1 lags 5
    for v in 0..4 {
        tx.send(v).unwrap();
    }
    assert_eq!(rx.recv().unwrap(), Some(0)); // 3 left in the ring
    w.write(&10).unwrap(); // the seqlock's second write
    t.write(5, &55).unwrap(); // the table's second write
    let _ = &mut r1;

    // Not the crate's: plain, garbage, too small, half-initialised, unknown kinds.
    let plain = segment_with(b.clone(), Key::new(0x20), 4096, &[]);
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let garbage: Vec<u64> = (0..512)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect();
    let garbage = segment_with(b.clone(), Key::new(0x21), 4096, &garbage);
    let tiny = segment_with(b.clone(), Key::new(0x22), 100, &[]);
    let initialising = segment_with(b.clone(), Key::new(0x23), 4096, &[1, MAGIC]);
    let marked = segment_with(b.clone(), Key::new(0x24), 4096, &[0, MAGIC]);
    let bad_state = segment_with(b.clone(), Key::new(0x25), 4096, &[7, MAGIC]);
    let unknown = segment_with(b.clone(), Key::new(0x26), 4096, &[2, MAGIC, 5, 99]);

    let before = snapshot(b.clone());
    let all = inspect_all(b.clone());
    let after = snapshot(b.clone());
    assert_eq!(before, after, "the inspection wrote no byte of any segment");
    assert_eq!(all.len(), 12);

    let not = |id: i32| all[&id].0.not_layout();
    assert_eq!(not(plain), Some(NotLayout::NoMark));
    assert_eq!(not(garbage), Some(NotLayout::NoMark));
    assert_eq!(not(tiny), Some(NotLayout::TooSmall));
    assert_eq!(not(initialising), Some(NotLayout::NotReady { state: 1 }));
    assert_eq!(not(marked), Some(NotLayout::NotReady { state: 0 }));
    assert_eq!(not(bad_state), Some(NotLayout::BadState(7)));
    assert_eq!(not(unknown), Some(NotLayout::UnknownKind(99)));
    for id in [
        plain,
        garbage,
        tiny,
        initialising,
        marked,
        bad_state,
        unknown,
    ] {
        assert!(all[&id].1.is_empty(), "no roles for segment {id}");
    }

    let me = Some(pid(&b));
    let [qid, sid, bid, mid, tid] = objects.segment_ids();
    let layout = |id: i32| *all[&id].0.layout().expect("a layout");
    let alive = |r: &RoleEntry| r.liveness == Liveness::Alive && r.pid == me;
    let free = |r: &RoleEntry| r.liveness == Liveness::Free && r.pid.is_none();

    // Queue: 3 messages, both roles ours.
    let q = layout(qid);
    assert_eq!(
        (q.kind, q.capacity, q.type_size, q.type_align),
        (LayoutKind::Queue, 8, 8, 8)
    );
    assert_eq!(q.type_id, fingerprint::<u64>());
    assert_eq!(
        (q.creator_pid, q.key(), q.corrupt),
        (u64::from(pid(&b)), QUEUE, None)
    );
    assert!(matches!(q.semaphores, Semaphores::Found(_)));
    assert_eq!(q.occupancy(), Some(3));
    assert!(matches!(
        q.state,
        Some(KindState::Queue {
            head: 0,
            tail: 3,
            closed: Some(false),
            ..
        })
    ));
    let qr = &all[&qid].1;
    assert_eq!(
        qr.iter().map(|r| r.role).collect::<Vec<_>>(),
        [Role::Producer, Role::Consumer]
    );
    assert!(qr.iter().all(alive), "{qr:?}");
    assert_eq!(qr[0].parked, Some(false));
    assert_eq!(qr[0].last_op_pid, Some(pid(&b) as i32));

    // SeqLock: two complete writes.
    let s = layout(sid);
    assert_eq!((s.kind, s.capacity), (LayoutKind::SeqLock, 1));
    assert_eq!(
        s.state,
        Some(KindState::SeqLock {
            seq: 4,
            writing: false
        })
    );
    assert!(all[&sid].1.iter().all(alive));

    // Broadcast: 5 published, readers at 2 and 0, seat 2 free.
    let bc = layout(bid);
    assert_eq!((bc.kind, bc.capacity), (LayoutKind::Broadcast, 8));
    assert!(matches!(
        bc.state,
        Some(KindState::Broadcast {
            tail: 5,
            readers: Some(READERS),
            closed: Some(false),
            ..
        })
    ));
    let br = &all[&bid].1;
    assert_eq!(br.len(), 1 + READERS);
    assert_eq!((br[0].role, br[0].seat), (Role::Writer, 0));
    assert!(
        alive(&br[0]) && alive(&br[1]) && alive(&br[2]) && free(&br[3]),
        "{br:?}"
    );
    assert_eq!(
        br[1..]
            .iter()
            .map(|r| (r.role, r.seat, r.lag))
            .collect::<Vec<_>>(),
        [
            (Role::Reader, 0, Some(3)),
            (Role::Reader, 1, Some(5)),
            (Role::Reader, 2, None)
        ]
    );
    assert_eq!(
        all[&bid].0.counts().unwrap(),
        RoleCounts {
            seats: 4,
            registered: 3,
            alive: 3,
            dead: 0
        }
    );

    // Mpsc: 4 sent, 1 received; consumer and producer seat 0 ours, seat 1 free.
    let m = layout(mid);
    assert_eq!(
        (m.kind, m.capacity, m.occupancy()),
        (LayoutKind::Mpsc, 8, Some(3))
    );
    assert!(matches!(
        m.state,
        Some(KindState::Mpsc {
            head: 1,
            tail: 4,
            producers: Some(PRODUCERS),
            abandoned: 0,
            ..
        })
    ));
    let mr = &all[&mid].1;
    assert_eq!(
        mr.iter().map(|r| (r.role, r.seat)).collect::<Vec<_>>(),
        [
            (Role::Consumer, 0),
            (Role::Producer, 0),
            (Role::Producer, 1)
        ]
    );
    assert!(alive(&mr[0]) && alive(&mr[1]) && free(&mr[2]), "{mr:?}");

    // Table: two writes.
    let tb = layout(tid);
    assert_eq!((tb.kind, tb.capacity), (LayoutKind::Table, 16));
    // (A writer skips one version when it takes the role: `layout::table`.)
    let version = objects.table.version().unwrap();
    assert!(version >= 2);
    assert_eq!(tb.state, Some(KindState::Table { version }));
    assert!(all[&tid].1.iter().all(alive));

    drop(all);
    drop((p, w, r1, tx, t, _c, bw, r0, rx));
    objects.remove();
}

/// The peer's roles as `want` (Alive or Dead, with `peer`'s pid), the survivor's
/// (this process's) Alive.
fn assert_peer_roles<B: Backend + Clone>(b: B, objects: &Objects<B>, peer: u32, want: Liveness) {
    let [qid, sid, bid, mid, tid] = objects.segment_ids();
    let inspect = |id| roles(&info::inspect_in(b.clone(), id).unwrap());
    let peer_is = |r: &RoleEntry| r.liveness == want && r.pid == Some(peer);
    let ours = |r: &RoleEntry| r.liveness.is_held();
    let q = inspect(qid);
    assert!(peer_is(&q[0]) && ours(&q[1]), "queue: {q:?}");
    let s = inspect(sid);
    assert!(peer_is(&s[0]), "seqlock: {s:?}");
    let bc = inspect(bid);
    assert!(
        ours(&bc[0]) && ours(&bc[1]) && peer_is(&bc[2]),
        "broadcast: {bc:?}"
    );
    assert_eq!(bc[3].liveness, Liveness::Free);
    let m = inspect(mid);
    assert!(ours(&m[0]) && peer_is(&m[1]), "mpsc: {m:?}");
    let t = inspect(tid);
    assert!(peer_is(&t[0]), "table: {t:?}");
    let dead = [qid, sid, bid, mid, tid].map(|id| {
        info::inspect_in(b.clone(), id)
            .unwrap()
            .counts()
            .unwrap()
            .dead
    });
    let expect = usize::from(want == Liveness::Dead);
    assert_eq!(dead, [expect; 5]);
    // The queue's 2 values outlive their producer.
    let q = info::inspect_in(b.clone(), qid).unwrap();
    assert_eq!(q.layout().unwrap().occupancy(), Some(2));
}

fn a_killed_holder_is_dead<B: Backend + Clone + Send + 'static>(b: B) {
    let objects = Objects::create(b.clone(), Mode::OWNER_RW);
    let survivor = objects.survivor_roles();
    let b2 = b.clone();
    let peer = fork_peer(move || {
        let objects = Objects::open(b2.clone());
        let _held = objects.peer_roles(b2);
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let peer_pid = u32::try_from(peer.pid()).unwrap();
    // Wait (not timed: a deadline only against a hang) until the peer holds all.
    let deadline = Instant::now() + Duration::from_secs(20);
    let tid = objects.table.segment().id();
    loop {
        let t = roles(&info::inspect_in(b.clone(), tid).unwrap());
        let q = info::inspect_in(b.clone(), objects.queue.segment().id()).unwrap();
        if t[0].liveness == Liveness::Alive && q.layout().unwrap().occupancy() == Some(2) {
            break;
        }
        assert!(Instant::now() < deadline, "the peer never took its roles");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_peer_roles(b.clone(), &objects, peer_pid, Liveness::Alive);
    peer.kill(::libc::SIGKILL);
    drop(peer); // reaped: its SEM_UNDO adjustments are undone
    assert_peer_roles(b.clone(), &objects, peer_pid, Liveness::Dead);
    // The kernel names the dead process as the last to operate on its semaphore.
    let q = info::inspect_in(b.clone(), objects.queue.segment().id()).unwrap();
    assert_eq!(roles(&q)[0].last_op_pid, Some(peer_pid as i32));
    drop(q);
    drop(survivor);
    objects.remove();
}

fn impossible_values_are_corrupt<B: Backend + Clone>(b: B) {
    let objects = Objects::create(b.clone(), Mode::OWNER_RW);
    let [qid, _, bid, mid, _] = objects.segment_ids();
    let (_c, mut bw, _r0, _rx) = objects.survivor_roles();
    bw.send(1).unwrap();
    let layout = |id| *info::inspect_in(b.clone(), id).unwrap().layout().unwrap();

    // A capacity of 2^60: its slots cannot fit.
    poke(b.clone(), qid, 72, &[1 << 60]);
    assert_eq!(layout(qid).corrupt, Some("capacity"));
    assert_eq!(layout(qid).capacity, 1 << 60);
    // Not a power of two: no ring has it.
    poke(b.clone(), qid, 72, &[6]);
    assert_eq!(layout(qid).corrupt, Some("capacity"));
    poke(b.clone(), qid, 72, &[8]);
    assert_eq!(layout(qid).corrupt, None);
    // Indices 9 apart in a ring of 8, and head past tail.
    poke(b.clone(), qid, 128, &[109]);
    poke(b.clone(), qid, 256, &[100]);
    assert_eq!(layout(qid).occupancy(), None);
    poke(b.clone(), qid, 256, &[110]);
    assert_eq!(layout(qid).occupancy(), None);
    poke(b.clone(), qid, 256, &[101]);
    assert_eq!(layout(qid).occupancy(), Some(8));
    // A total size beyond the segment, an alignment that is no power of two.
    poke(b.clone(), qid, 32, &[1 << 40]);
    assert_eq!(layout(qid).corrupt, Some("total_size"));
    poke(b.clone(), qid, 32, &[384 + 8 * 16]);
    poke(b.clone(), qid, 56, &[3]);
    assert_eq!(layout(qid).corrupt, Some("type_align"));

    // A broadcast reader far ahead of the writer, a line state nobody writes.
    let reader0 = 384;
    poke(b.clone(), bid, reader0, &[1 << 50]);
    let found = info::inspect_in(b.clone(), bid).unwrap();
    let r = roles(&found);
    assert_eq!((r[1].corrupt, r[1].lag), (Some("cursor"), None));
    poke(b.clone(), bid, reader0 + 8, &[17]);
    assert_eq!(
        roles(&info::inspect_in(b.clone(), bid).unwrap())[1].corrupt,
        Some("state")
    );
    // A million reader seats: not believed; the writer is still reported.
    poke(b.clone(), bid, 152, &[1_000_000]);
    let found = info::inspect_in(b.clone(), bid).unwrap();
    let l = found.layout().unwrap();
    assert!(matches!(
        l.state,
        Some(KindState::Broadcast { readers: None, .. })
    ));
    assert_eq!(l.semaphores, Semaphores::Unrelated);
    let r = roles(&found);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].role, r[0].liveness),
        (Role::Writer, Liveness::Unknown)
    );

    // An MPSC ring's producer count of 0, indices apart by more than N.
    poke(b.clone(), mid, 152, &[0]);
    poke(b.clone(), mid, 128, &[1000]);
    let found = info::inspect_in(b.clone(), mid).unwrap();
    let l = found.layout().unwrap();
    assert!(matches!(
        l.state,
        Some(KindState::Mpsc {
            producers: None,
            occupancy: None,
            ..
        })
    ));
    assert_eq!(roles(&found).len(), 1);

    // Another layout version: the header is shown, nothing after it decoded.
    let sid = objects.seqlock.segment().id();
    poke(b.clone(), sid, 16, &[4]);
    let found = info::inspect_in(b.clone(), sid).unwrap();
    let l = found.layout().unwrap();
    assert_eq!((l.kind, l.version, l.state), (LayoutKind::SeqLock, 4, None));
    assert!(matches!(l.semaphores, Semaphores::Found(_)));
    assert_eq!(found.roles().count(), 0);

    // A pid word beyond any pid.
    poke(b.clone(), qid, 144, &[u64::MAX]);
    let r = roles(&info::inspect_in(b.clone(), qid).unwrap());
    assert_eq!((r[0].pid, r[0].corrupt), (None, Some("pid")));

    drop((_c, bw, _r0, _rx));
    objects.remove();
}

fn nobody_reads_what_it_may<B: Backend + Clone + Send + 'static>(b: B) {
    if !needs_root("nobody_reads_what_it_may") {
        return;
    }
    let objects = Objects::create(b.clone(), Mode::new(0o644));
    let survivor = objects.survivor_roles();
    let private = segment_with(b.clone(), Key::new(0x30), 4096, &[]);
    let ids = objects.segment_ids();
    let b2 = b.clone();
    as_user(NOBODY, NOBODY, move || {
        let before = snapshot(b2.clone());
        let all = inspect_all(b2.clone());
        assert_eq!(snapshot(b2.clone()), before);
        assert_eq!(all.len(), 6);
        assert_eq!(all[&private].0.unattachable(), Some(Errno::ACCES));
        for id in ids {
            let (found, roles) = &all[&id];
            let l = found.layout().expect("a layout");
            assert!(matches!(l.semaphores, Semaphores::Found(_)), "{l:?}");
            assert!(roles.iter().all(|r| r.liveness != Liveness::Unknown));
        }
        // The survivor (root, in the parent) holds the queue's consumer.
        let q = &all[&ids[0]].1;
        assert_eq!(
            (q[1].liveness, q[1].pid),
            (Liveness::Alive, Some(pid_of_parent()))
        );
        assert_eq!(q[0].liveness, Liveness::Free);
    });
    let _ = SemSet::open_in(b, QUEUE).unwrap(); // the set survives the inspection
    drop(survivor);
    objects.remove();
}

/// Messages each live stream of [`a_live_stream_is_never_corrupt`] carries.
const STREAM: u64 = 200_000;

/// Inspected while a producer and a consumer (a writer and a reader) stream
/// through them on two threads, a queue's occupancy is always a possible one and
/// a broadcast reader's cursor is never taken for corrupt: each pair of indices is
/// read as one instant's (`head` unchanged around `tail`; the writer's `tail`
/// read after the reader's cursor).
fn a_live_stream_is_never_corrupt<B: Backend + Clone + Send + Sync + 'static>(b: B) {
    let objects = Objects::create(b.clone(), Mode::OWNER_RW);
    let (mut tx, mut rx) = objects.queue.split().unwrap();
    let mut writer = objects.broadcast.writer().unwrap();
    let mut reader = objects.broadcast.reader(Start::Oldest).unwrap();
    let [qid, _, bid, _, _] = objects.segment_ids();
    let (mut looks, mut nonempty) = (0u64, 0u64);
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            for v in 0..STREAM {
                tx.enqueue_blocking(v).unwrap();
                let _ = writer.send(v);
            }
        });
        let consumer = s.spawn(move || {
            for v in 0..STREAM {
                assert_eq!(rx.dequeue_blocking().unwrap(), v);
                // Lossy: lapped readers learn how many they missed, and go on.
                while let Err(e) = reader.recv() {
                    assert_eq!(e.kind(), sysv_ipc::ErrorKind::Lagged);
                }
            }
        });
        while !(producer.is_finished() && consumer.is_finished()) {
            let q = info::inspect_in(b.clone(), qid).unwrap();
            let n = q.layout().unwrap().occupancy();
            assert!(matches!(n, Some(0..=8)), "occupancy {n:?}");
            nonempty += u64::from(n != Some(0));
            let bc = info::inspect_in(b.clone(), bid).unwrap();
            let r = roles(&bc);
            assert_eq!(r[1].corrupt, None, "{:?}", r[1]);
            looks += 1;
        }
    });
    eprintln!("{looks} inspections of a live stream, {nonempty} saw messages queued");
    objects.remove();
}

/// A whole listing, every role of every layout read and counted, allocates
/// nothing (the calling thread's count, `sysv_ipc_testkit::allocations`).
fn zero_allocations<B: Backend + Clone>(b: B) {
    let objects = Objects::create(b.clone(), Mode::OWNER_RW);
    let survivor = objects.survivor_roles();
    let _ = info::inspect_in(b.clone(), objects.queue.segment().id()).unwrap(); // warm up
    let before = sysv_ipc_testkit::allocations();
    let (mut layouts, mut seats, mut alive) = (0, 0, 0);
    for found in info::layouts_in(b.clone()).unwrap() {
        let found = found.unwrap();
        layouts += usize::from(found.layout().is_some());
        for role in found.roles() {
            seats += 1;
            alive += usize::from(role.unwrap().liveness.is_held());
        }
        let c = found.counts().unwrap();
        assert_eq!(c.alive, c.registered);
    }
    let after = sysv_ipc_testkit::allocations();
    assert_eq!(after - before, 0, "allocations");
    // Queue 2, seqlock 1, broadcast 1 + 3, mpsc 1 + 2, table 1 seats; the
    // survivor holds 4 of them.
    assert_eq!((layouts, seats, alive), (5, 11, 4));
    drop(survivor);
    objects.remove();
}

fn pid_of_parent() -> u32 {
    // SAFETY: getppid has no preconditions.
    u32::try_from(unsafe { ::libc::getppid() }).unwrap()
}

// ---- random bytes --------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random words in every header field and the control block (a ready, marked
    /// header of a random kind half the time), random seat counts, a semaphore set
    /// of a random size under the key: classifying, listing roles and counting
    /// them never panics, and never reads outside the segment (the mock's segments
    /// are exactly their size, rounded to pages).
    #[test]
    fn random_words_never_panic(
        size in prop_oneof![0usize..512, 512usize..6000],
        words in proptest::collection::vec(any::<u64>(), 64),
        ready in any::<bool>(),
        kind in 1u64..=5,
        version in prop_oneof![Just(sysv_ipc::layout::header::LAYOUT_VERSION), any::<u64>()],
        seats in prop_oneof![0u64..70, any::<u64>()],
        nsems in 1usize..=20,
    ) {
        static KERNEL: Mock = Mock::new();
        let b = &KERNEL;
        let key = Key::new(0x77);
        let seg = Segment::create_in(b, key, size.max(1), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sems = SemSet::create_in(b, key, nsems, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        {
            let att = seg.attach().unwrap();
            let mut words = words.clone();
            if ready {
                words[0] = 2;
                words[1] = MAGIC;
                words[2] = version;
                words[3] = kind;
            }
            words[19] = seats; // broadcast readers / mpsc producers (offset 152)
            for (k, w) in words.iter().enumerate() {
                let _ = att.write(8 * k, &w.to_ne_bytes());
            }
        }
        let found = info::inspect_in(b, seg.id()).unwrap();
        let n = found.roles().count();
        prop_assert!(n <= 1 + 960);
        if found.layout().is_some() {
            let c = found.counts().unwrap();
            prop_assert_eq!(c.seats, n);
            prop_assert!(c.alive + c.dead <= c.seats);
        } else {
            prop_assert_eq!(n, 0);
        }
        drop(found);
        sems.remove().unwrap();
        seg.remove().unwrap();
    }
}
