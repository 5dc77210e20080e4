//! `Table` on the real kernel, through both real backends, across `fork()`ed
//! processes and separately started programs, each test in a fresh IPC namespace.
//!
//! Knob: `SYSV_IPC_TABLE_RACE_MS` (how long the reader and writer processes race,
//! default 1000 ms).

use std::collections::BTreeSet;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::{Access, Attachment, ReadOnly};
use sysv_ipc::table::{Table, Writer};
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable};
use sysv_ipc::{ShmType, ShmView, type_id};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{allocations, as_user, fork_peer, in_ipc_namespace, needs_root, under_qemu};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

#[path = "common/examples.rs"]
mod examples;
#[path = "common/left.rs"]
mod left;

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

const KEY: Key = Key::new(0x7ab1_0001);
/// Slots of the tables below: more than two change groups of 64.
const N: usize = 150;

/// 64 bytes (one slot line with its `seq`, less 8) that carry their own checksum:
/// a mix of two writes does not add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Cell {
    k: u64,
    slot: u64,
    data: [u64; 5],
    check: u64,
}

impl ShmType for Cell {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::table::Cell v1");
}

impl Cell {
    fn of(k: u64, slot: usize) -> Cell {
        let data = core::array::from_fn(|j| k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ j as u64);
        let mut c = Cell {
            k,
            slot: slot as u64,
            data,
            check: 0,
        };
        c.check = c.sum();
        c
    }

    fn sum(&self) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for w in [self.k, self.slot].iter().chain(&self.data) {
            h = (h ^ w).wrapping_mul(0x100_0000_01b3);
        }
        h
    }

    /// The value's `k`, after checking that it is one write's, of slot `slot`
    /// (or the zero fill of a slot never written).
    fn value(&self, slot: usize) -> u64 {
        if *self == Cell::new_zeroed() {
            return 0;
        }
        assert_eq!(self.check, self.sum(), "torn read of slot {slot}: {self:?}");
        assert_eq!(self.slot, slot as u64, "slot {slot} holds another's value");
        self.k
    }
}

const _: () = assert!(size_of::<Cell>() == 64);

type T<B> = Table<Cell, N, B>;
/// A reader's handle.
type R<B> = Table<Cell, N, B, ReadOnly>;

fn create<B: Backend + Clone>(b: B, mode: Mode) -> T<B> {
    T::create_in(b, KEY, Intent::CreateNew, mode).unwrap()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The segment's bytes, through `att`.
fn bytes<B: Backend, A: Access>(att: &Attachment<B, A>) -> Vec<u8> {
    let mut b = vec![0u8; att.len()];
    att.read(0, &mut b).unwrap();
    b
}

/// The slots `changed_since(since)` reports, and the version it returns.
fn changed<B: Backend, A: Access>(t: &Table<Cell, N, B, A>, since: u64) -> (BTreeSet<usize>, u64) {
    let mut set = BTreeSet::new();
    let now = t
        .changed_since(since, |i| assert!(set.insert(i), "slot {i} twice"))
        .unwrap();
    (set, now)
}

/// Writes and reads every slot through read-write and read-only handles (by key
/// and from a handle): each slot holds its own last value, the versions grow,
/// reads store nothing into the segment, the reader's mapping is read-only, and
/// indices past the end are `OutOfRange` with the numbers.
fn round_trip_and_read_only<B: Backend + Clone>(b: B) {
    let t = create(b.clone(), Mode::new(0o644));
    let by_key = R::open_read_only_in(b.clone(), KEY).unwrap();
    let by_handle = t.read_only().unwrap();
    assert_eq!(t.read(N - 1).unwrap(), Cell::new_zeroed());
    assert_eq!(by_key.read_versioned(3).unwrap(), (Cell::new_zeroed(), 0));
    let mut w = t.writer().unwrap();
    let mut last = 0;
    for slot in (0..N).rev() {
        let v = w.write(slot, &Cell::of(slot as u64 + 1, slot)).unwrap();
        assert!(v > last, "versions grow: {v} after {last}");
        last = v;
    }
    assert_eq!(t.version().unwrap(), last);
    assert_eq!(by_key.version().unwrap(), last);
    let before = bytes(t.attachment());
    for slot in 0..N {
        let want = slot as u64 + 1;
        assert_eq!(t.read(slot).unwrap().value(slot), want);
        assert_eq!(by_key.read(slot).unwrap().value(slot), want);
        let (c, v) = by_handle.read_versioned(slot).unwrap();
        assert_eq!((c.value(slot), v), (want, last - slot as u64));
        let mut out = Cell::new_zeroed();
        assert_eq!(by_key.read_into(slot, &mut out).unwrap(), v);
        assert_eq!(out.value(slot), want);
    }
    let (all, now) = changed(&by_key, 0);
    assert_eq!((all.len(), now), (N, last));
    assert_eq!(
        bytes(t.attachment()),
        before,
        "reading stored into the segment"
    );
    for e in [
        t.read(N).unwrap_err(),
        by_key.read(N + 7).unwrap_err(),
        by_key
            .read_into(usize::MAX, &mut Cell::new_zeroed())
            .unwrap_err(),
        w.write(N, &Cell::of(1, N)).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::OutOfRange, "{e}");
        assert_eq!(e.expected(), Some(N as u64), "{e}");
    }
    let e = t.read(N).unwrap_err();
    assert_eq!(e.actual(), Some(N as u64));
    assert!(e.to_string().starts_with("Table::read on segment "), "{e}");
    // Table, writer's own, and the two readers'.
    assert_eq!(t.segment().stat().unwrap().nattch, 4);
    assert!(format!("{by_key:?}").contains("read_only: true"));
    drop((w, by_key, by_handle));
    assert_eq!(t.segment().stat().unwrap().nattch, 1);
    t.remove().unwrap();
}

/// `changed_since` over 20 000 writes to random slots in batches of random size,
/// each followed by a query from the last one's version: the report is exactly
/// the slots written in the batch, from a read-write and a read-only handle, and
/// neither queries nor reads allocate.
fn changed_since_is_exact_over_many_writes<B: Backend + Clone>(b: B) {
    let t = create(b.clone(), Mode::OWNER_RW);
    let reader = t.read_only().unwrap();
    let mut w = t.writer().unwrap();
    let (mut since, mut since_ro) = (t.version().unwrap(), reader.version().unwrap());
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut writes, mut k) = (0u64, 0u64);
    let mut marks = [false; N];
    while writes < 20_000 {
        let batch = rnd() % 40;
        let mut want = BTreeSet::new();
        // Sometimes confined to one group, so that the others are skipped.
        let span = if batch % 3 == 0 { 64 } else { N };
        for _ in 0..batch {
            let slot = (rnd() % span as u64) as usize;
            k += 1;
            w.write(slot, &Cell::of(k, slot)).unwrap();
            want.insert(slot);
            writes += 1;
        }
        let before = allocations();
        marks.fill(false);
        let now = t.changed_since(since, |i| marks[i] = true).unwrap();
        let now_ro = reader.changed_since(since_ro, |_| {}).unwrap();
        for &slot in &want {
            assert!(reader.read(slot).unwrap().value(slot) > 0);
        }
        assert_eq!(allocations(), before, "a query or a read allocated");
        let got: BTreeSet<usize> = (0..N).filter(|&i| marks[i]).collect();
        assert_eq!(got, want, "after {writes} writes");
        assert_eq!(now, now_ro);
        assert_eq!(now, t.version().unwrap());
        (since, since_ro) = (now, now_ro);
    }
    // A version this table never gave reports every slot.
    let (all, _) = changed(&t, u64::MAX);
    assert_eq!(all.len(), N);
    drop(w);
    t.remove().unwrap();
}

/// A writer process SIGKILLed in the middle of two writes: one left open (slot 5,
/// half a new value stored), one complete but not yet in the change index
/// (slot 77). Readers of slot 5 get `Busy`, never the half-written value; the
/// other slots read whole; the role is abandoned; the reclaiming writer's repair
/// makes `changed_since` report slot 77 (and 5), and its first write to slot 5
/// makes it readable again.
fn a_writer_killed_mid_write_is_repaired_by_the_next<B: Backend + Clone>(b: B) {
    let t = create(b.clone(), Mode::OWNER_RW);
    let bb = b.clone();
    let writer = fork_peer(move || {
        let t = T::open_in(bb, KEY).unwrap();
        let mut w = t.writer().unwrap();
        for slot in 0..N {
            w.write(slot, &Cell::of(1, slot)).unwrap();
        }
        w.write_and_abandon(77, &Cell::of(2, 77));
        w.abandon_mid_write(5);
        // Half of a new value in slot 5, as a write cut by SIGKILL leaves it.
        let offset = slot_value_offset::<Cell, N>(5);
        t.attachment()
            .write(offset, &u64::MAX.to_ne_bytes())
            .unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    while t.read_with_attempts(5, 1000).is_ok() {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(writer); // SIGKILL
    let e = t.read_with_attempts(5, 10_000).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    assert_eq!(
        e.to_string(),
        format!(
            "Table::read_with_attempts on segment {}: the writer stayed busy for every retry \
             (slow, stuck, or died mid-write)",
            t.segment().id()
        )
    );
    // Every other slot reads whole; slot 77 has the dead writer's complete value.
    for slot in (0..N).filter(|&i| i != 5) {
        let want = if slot == 77 { 2 } else { 1 };
        assert_eq!(t.read(slot).unwrap().value(slot), want);
    }
    // Before the repair, the change index says nothing of slot 77's last write.
    let version = t.version().unwrap();
    let (after, _) = changed(&t, version);
    assert!(after.is_empty(), "{after:?}");
    assert!(!t.has_writer().unwrap());
    assert_eq!(t.writer().unwrap_err().kind(), ErrorKind::RoleAbandoned);
    let mut w = t.reclaim_writer().unwrap();
    let (repaired, now) = changed(&t, version);
    assert_eq!(repaired, BTreeSet::from([5, 77]), "the repair reports both");
    assert!(now > version);
    assert_eq!(changed(&t, 0).0.len(), N);
    assert_eq!(
        t.read_with_attempts(5, 100).unwrap_err().kind(),
        ErrorKind::Busy
    );
    let v = w.write(5, &Cell::of(3, 5)).unwrap();
    assert!(
        v > now,
        "the new writer's versions are above the dead one's"
    );
    assert_eq!(t.read_versioned(5).unwrap(), (Cell::of(3, 5), v));
    assert_eq!(changed(&t, now).0, BTreeSet::from([5]));
    drop(w);
    t.remove().unwrap();
}

/// Offset of slot `i`'s value in a `Table<T, N>` (the layout of
/// `src/layout/table.rs`: the slots after 256 bytes of control block, the change
/// groups and the slot versions, each region whole 128-byte lines; a slot's
/// stride its `seq` and value rounded up to 64 bytes).
fn slot_value_offset<V, const M: usize>(i: usize) -> usize {
    let groups = M.div_ceil(64).next_multiple_of(16) * 8;
    let versions = M.next_multiple_of(16) * 8;
    let stride = (8 + size_of::<V>().next_multiple_of(8)).next_multiple_of(64);
    256 + groups + versions + i * stride + 8
}

/// One writer across processes (`RoleTaken`); a clean release is not abandoned;
/// a writer inherited through `fork` is refused in the child (`WrongProcess`,
/// nothing written) and the parent writes on.
fn one_writer_and_roles<B: Backend + Clone>(b: B) {
    let t = create(b.clone(), Mode::OWNER_RW);
    let mut w = t.writer().unwrap();
    w.write(0, &Cell::of(1, 0)).unwrap();
    let bb = b.clone();
    fork_peer(move || {
        let t = T::open_in(bb, KEY).unwrap();
        assert_eq!(t.writer().unwrap_err().kind(), ErrorKind::RoleTaken);
        assert_eq!(t.reclaim_writer().unwrap_err().kind(), ErrorKind::RoleTaken);
        assert!(t.has_writer().unwrap());
    })
    .join();
    if !under_qemu() {
        let child = fork_peer(|| {
            let e = w.write(0, &Cell::of(2, 0)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WrongProcess, "{e}");
            assert_eq!(t.read(0).unwrap().value(0), 1, "nothing written");
            // SAFETY: the child's own copy, dropped once, not used afterwards.
            drop(unsafe { std::ptr::read(&w) });
        });
        child.join();
        assert!(t.has_writer().unwrap(), "the child's drop released nothing");
    }
    w.write(0, &Cell::of(3, 0)).unwrap();
    drop(w);
    assert!(!t.has_writer().unwrap());
    // Released cleanly: claimed again without a reclaim.
    let w = t.writer().unwrap();
    assert_eq!(t.read(0).unwrap().value(0), 3);
    drop(w);
    t.remove().unwrap();
}

// The writer role is owned: no lifetime ties it to the `Table` it came from.
const _: () = {
    fn send_static<X: Send + 'static>() {}
    let _ = send_static::<Writer<Cell, N>>;
    let _ = send_static::<Writer<u64, 3, Libc>>;
};

/// The header's kind, `N` and `T` tell the layouts apart, both ways: a table
/// opened as a queue or a seqlock, a queue or a seqlock opened as a table, a
/// table of another `N` or `T`: `LayoutMismatch`, naming the field.
fn layouts_are_told_apart<B: Backend + Clone>(b: B) {
    let field = |e: sysv_ipc::Error| match e.kind() {
        ErrorKind::LayoutMismatch => e.layout_field().expect("a LayoutMismatch names its field"),
        other => panic!("expected LayoutMismatch, got {other:?}: {e}"),
    };
    let t = create(b.clone(), Mode::OWNER_RW);
    assert_eq!(
        field(Queue::<Cell, 4, B>::open_in(b.clone(), KEY).unwrap_err()),
        "kind"
    );
    assert_eq!(
        field(SeqLock::<Cell, B>::open_in(b.clone(), KEY).unwrap_err()),
        "kind"
    );
    assert_eq!(
        field(SeqLock::<Cell, B, _>::open_read_only_in(b.clone(), KEY).unwrap_err()),
        "kind"
    );
    assert_eq!(
        field(Table::<Cell, { N + 1 }, B>::open_in(b.clone(), KEY).unwrap_err()),
        "capacity"
    );
    assert_eq!(
        field(Table::<[u64; 8], N, B>::open_in(b.clone(), KEY).unwrap_err()),
        "type_id"
    );
    assert_eq!(
        field(Table::<u64, N, B>::open_in(b.clone(), KEY).unwrap_err()),
        "type_size"
    );
    t.remove().unwrap();

    let q =
        Queue::<Cell, 4, B>::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    assert_eq!(
        field(Table::<Cell, 4, B>::open_in(b.clone(), KEY).unwrap_err()),
        "kind"
    );
    assert_eq!(
        field(Table::<Cell, 4, B, _>::open_read_only_in(b.clone(), KEY).unwrap_err()),
        "kind"
    );
    q.remove().unwrap();
    let s =
        SeqLock::<Cell, B>::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let e = Table::<Cell, 1, B>::open_in(b.clone(), KEY).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LayoutMismatch, "{e}");
    let e = Table::<Cell, 1, B, _>::open_read_only_in(b.clone(), KEY).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LayoutMismatch, "{e}");
    s.remove().unwrap();
}

/// A writer process writes checksummed values to random slots for
/// `SYSV_IPC_TABLE_RACE_MS` (1 s); a reader process through a read-write handle
/// and one through a read-only handle read random slots and follow
/// `changed_since` meanwhile: every value read is whole and of its slot, and no
/// slot's value goes backwards. Counts are printed, not asserted beyond "some".
fn readers_race_a_writer_and_never_see_a_torn_value<B: Backend + Clone>(b: B) {
    let ms = env_u64("SYSV_IPC_TABLE_RACE_MS", 1000);
    let t = create(b.clone(), Mode::OWNER_RW);
    let bb = b.clone();
    let writer = fork_peer(move || {
        let t = T::open_in(bb, KEY).unwrap();
        let mut w = t.writer().unwrap();
        let end = Instant::now() + Duration::from_millis(ms);
        let (mut k, mut seed) = (0u64, 0x9e37_79b9u64);
        let before = allocations();
        while Instant::now() < end {
            for _ in 0..256 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                // A hot slot (0) half of the time: readers of it race the writer.
                let slot = if seed >> 63 == 0 {
                    0
                } else {
                    (seed >> 32) as usize % N
                };
                k += 1;
                w.write(slot, &Cell::of(k, slot)).unwrap();
            }
        }
        assert_eq!(allocations(), before, "write allocated");
    });
    while !t.has_writer().unwrap() {
        std::thread::yield_now();
    }
    let race = |read_only: bool| {
        let bb = b.clone();
        fork_peer(move || {
            let (reads, busy, reports) = if read_only {
                follow(&R::open_read_only_in(bb, KEY).unwrap())
            } else {
                follow(&T::open_in(bb, KEY).unwrap())
            };
            eprintln!(
                "table race (read-only: {read_only}): {reads} whole reads, {busy} busy, {reports} changes reported"
            );
            assert!(reads > 0);
        })
    };
    let readers = [race(false), race(true)];
    writer.join();
    for r in readers {
        r.join();
    }
    t.remove().unwrap();
}

/// Reads random slots and the changed ones while the table has a writer.
fn follow<B: Backend, A: Access>(t: &Table<Cell, N, B, A>) -> (u64, u64, u64) {
    let (mut reads, mut busy, mut reports, mut since) = (0u64, 0u64, 0u64, 0u64);
    let mut last = [0u64; N];
    let mut seed = std::process::id() as u64 | 1;
    let mut check =
        |slot: usize, reads: &mut u64, busy: &mut u64| match t.read_with_attempts(slot, 1000) {
            Ok(c) => {
                let k = c.value(slot);
                assert!(
                    k >= last[slot],
                    "slot {slot} went backwards: {k} after {}",
                    last[slot]
                );
                last[slot] = k;
                *reads += 1;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
                *busy += 1;
            }
        };
    while t.has_writer().unwrap() {
        for _ in 0..64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let slot = if seed & 1 == 0 {
                0
            } else {
                (seed >> 8) as usize % N
            };
            check(slot, &mut reads, &mut busy);
        }
        let mut marks = [false; N];
        since = t.changed_since(since, |i| marks[i] = true).unwrap();
        for slot in (0..N).filter(|&i| marks[i]) {
            reports += 1;
            check(slot, &mut reads, &mut busy);
        }
    }
    (reads, busy, reports)
}

const CELLS: usize = 1 << 20;

/// A 1 MiB value whose fields all derive from `seq`.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Big {
    seq: u64,
    cells: [u8; CELLS],
    tail: u64,
}

impl ShmType for Big {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::table::Big v1");
}

/// Slots of 1 MiB, written in place and read in place from a thread with a
/// 64 KiB stack (16 times smaller than a slot): `read_with` takes three fields of
/// one write and copies nothing else; `read_into` fills a boxed value.
fn large_slots_in_place_from_a_small_stack<B: Backend + Clone + Send + 'static>(b: B) {
    let t =
        Table::<Big, 3, B>::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let mut w = t.writer().unwrap();
    for slot in 0..3u64 {
        let (_, v) = w
            .write_with(slot as usize, |big| {
                big.seq().store(slot + 10, Relaxed);
                big.cells().set(CELLS / 2, slot as u8 + 1).unwrap();
                big.tail().store(!(slot + 10), Relaxed);
            })
            .unwrap();
        assert!(v > 0);
    }
    let reader = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(move || {
            for slot in 0..3u64 {
                let ((seq, cell, tail), _v) = t
                    .read_with(slot as usize, |big| {
                        (
                            big.seq().load(Relaxed),
                            big.cells().get(CELLS / 2),
                            big.tail().load(Relaxed),
                        )
                    })
                    .unwrap();
                assert_eq!(
                    (seq, cell, tail),
                    (slot + 10, Some(slot as u8 + 1), !(slot + 10))
                );
            }
            let e = t.read_with(3, |big| big.seq().load(Relaxed)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::OutOfRange);
            t
        })
        .unwrap();
    let t = reader.join().unwrap();
    let mut big = Big::new_box_zeroed().unwrap();
    t.read_into(2, &mut big).unwrap();
    assert_eq!((big.seq, big.cells[CELLS / 2], big.tail), (12, 3, !12));
    drop(w);
    t.remove().unwrap();
}

/// A reader of another user (uid 65534): refused without read permission (mode
/// 0o600), and with it (0o644) reads through a read-only handle only.
fn a_reader_without_permission_is_refused<B: Backend + Clone>(b: B) {
    if !needs_root("a_reader_without_permission_is_refused") {
        return;
    }
    let private = create(b.clone(), Mode::OWNER_RW);
    private.writer().unwrap().write(1, &Cell::of(4, 1)).unwrap();
    let bb = b.clone();
    as_user(65534, 65534, move || {
        let e = R::open_read_only_in(bb.clone(), KEY).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        let e = T::open_in(bb, KEY).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    });
    private.remove().unwrap();
    let shared = create(b.clone(), Mode::new(0o644));
    shared.writer().unwrap().write(1, &Cell::of(5, 1)).unwrap();
    as_user(65534, 65534, move || {
        assert_eq!(
            T::open_in(b.clone(), KEY).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let reader = R::open_read_only_in(b, KEY).unwrap();
        assert_eq!(reader.read(1).unwrap().value(1), 5);
        assert!(!reader.has_writer().unwrap());
        assert_eq!(
            reader.changed_since(0, |_| {}).unwrap(),
            reader.version().unwrap()
        );
    });
    shared.remove().unwrap();
}

sysv_ipc_testkit::on_both_backends!(
    round_trip_and_read_only,
    changed_since_is_exact_over_many_writes,
    a_writer_killed_mid_write_is_repaired_by_the_next,
    one_writer_and_roles,
    layouts_are_told_apart,
    readers_race_a_writer_and_never_see_a_torn_value,
    large_slots_in_place_from_a_small_stack,
    a_reader_without_permission_is_refused,
);

/// `examples/table_board.rs` as two separately started programs (their own
/// binaries), the reader first and then the writer, and the writer alone before
/// a reader: the reader follows the board through `changed_since`, finds every
/// value whole and the writer's last round complete, and removes the board.
#[test]
fn two_programs_share_a_board() {
    in_ipc_namespace(|| {
        let bin = examples::example("table_board");
        let run = |args: &[&str]| {
            std::process::Command::new(&bin)
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let finish = |child: std::process::Child| {
            let out = child.wait_with_output().unwrap();
            let (o, e) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert!(out.status.success(), "{}: {o}{e}", out.status);
            o.into_owned()
        };
        let reader = run(&["read", "0x7ab1e001"]);
        std::thread::sleep(Duration::from_millis(50));
        let writer = finish(run(&["write", "0x7ab1e001", "500"]));
        let read = finish(reader);
        assert_eq!(writer.trim(), "writer: 500 rounds of 256 slots");
        assert!(read.starts_with("reader: 500 rounds, "), "{read}");
        assert!(read.trim_end().ends_with("none torn"), "{read}");
        // The writer first, done before the reader starts: one report per slot.
        finish(run(&["write", "0x7ab1e002", "3"]));
        let read = finish(run(&["read", "0x7ab1e002"]));
        assert_eq!(
            read.trim(),
            "reader: 3 rounds, 256 changes reported, 256 reads, none torn"
        );
        // The reader removed each board.
        left::assert_nothing_left();
    });
}
