//! loom models of the table layout (`layout::table`): slot reads racing the
//! writer, the change query racing it, and writers that die mid-write.
//!
//! Each "process" is a loom thread; the segment is ordinary memory holding loom
//! atomics. Run with
//!
//! ```sh
//! CARGO_TARGET_DIR=target-loom LOOM_MAX_PREEMPTIONS=3 \
//!     RUSTFLAGS="--cfg loom" cargo test --release --test loom_table
//! ```
//!
//! Models are tiny on purpose (1 or 2 slots, 65 where a second change group is
//! the point, 2-3 writes, 2 threads at a time): loom explores every
//! interleaving up to the preemption bound, and each extra operation multiplies
//! the run time (all of them: about 3 s at `LOOM_MAX_PREEMPTIONS=3`). Each
//! model fails with the orderings named in its docs weakened, one at a time:
//! that was run for each of them, on the code as committed. The one ordering no
//! model can catch is the Acquire load of `version` in `TableWriter::new`: a
//! writer follows the previous one through a `join` here, and through the
//! role's handover (a kernel call) in a program, which order them already.
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use loom::thread;

use sysv_ipc::layout::table::{INDEX_OFFSET, Slots, TableCtl, TableError, TableWriter};

/// A table's control block and the words after it.
struct Mem {
    ctl: TableCtl,
    words: Vec<AtomicU64>,
}

fn mem<const N: usize>(value_words: usize) -> Arc<Mem> {
    Arc::new(Mem {
        ctl: TableCtl::new(),
        words: (0..Slots::<N>::words(value_words))
            .map(|_| AtomicU64::new(0))
            .collect(),
    })
}

fn slots<const N: usize>(m: &Mem, value_words: usize) -> Slots<'_, N> {
    Slots::<N>::new(&m.ctl, &m.words, value_words).unwrap()
}

/// The bytes of a two-word value holding `x` in both words.
fn pair(x: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&x.to_ne_bytes());
    b[8..].copy_from_slice(&x.to_ne_bytes());
    b
}

/// A yield by the racing side right after it spawns the other thread, so that
/// loom also runs the spawned thread first. loom's DPOR remembers only the last
/// access to each atomic: a reader that only loads and runs to its end before
/// the spawned writer's first operation (loom's default order, which avoids
/// switches) can leave no trace of its race with a store the writer makes after
/// its own load of the same word, and the schedules where the writer goes
/// first are never tried (the change-query models then complete in one
/// iteration and pass with their orderings weakened). The yield also changes
/// which schedules fit in the preemption bound, and some models find their
/// weakened orderings only without it: each model has it or not as the runs
/// with its orderings weakened showed (its docs say so).
fn race() {
    thread::yield_now();
}

/// Reads a two-word slot: `(x, version)` if both words hold the same `x`; panics
/// on a torn value.
fn read_pair<const N: usize>(
    s: &Slots<'_, N>,
    slot: usize,
    attempts: u32,
) -> Result<(u64, u64), TableError> {
    let mut out = [0u8; 16];
    let v = s.read(slot, &mut out, attempts)?;
    let a = u64::from_ne_bytes(out[..8].try_into().unwrap());
    let b = u64::from_ne_bytes(out[8..].try_into().unwrap());
    assert_eq!(a, b, "torn read of slot {slot} at version {v}");
    Ok((a, v))
}

/// One writer writes (1, 1) then (2, 2) into slot 0 (versions 2 and 3: its
/// takeover stores version 1); a racing reader gets a pair written whole, with the
/// version of the write that wrote it, or Busy.
///
/// Fails, each weakened alone, with the Release fence in `table::begin` or the
/// second Acquire fence in `Slots::read_consistent` (before `s2`) removed: a torn
/// read, the copy seeing a word of write 3 and `s2` still 4; and with the
/// closing Release store of `seq = 2v` (`TableWriter::seq_write`) made Relaxed
/// or the first Acquire fence in `read_consistent` (after `s1`) removed: a copy
/// of write 2's value returned with write 3's `seq` ("value 1 at version 3").
/// With [`race`].
#[test]
fn table_reader_racing_the_writer_on_one_slot_never_reads_torn() {
    loom::model(|| {
        let m = mem::<1>(2);
        let wm = m.clone();
        let writer = thread::spawn(move || {
            let mut w = TableWriter::new(slots::<1>(&wm, 2));
            assert_eq!(w.write(0, &pair(1)), Ok(2));
            assert_eq!(w.write(0, &pair(2)), Ok(3));
        });
        let s = slots::<1>(&m, 2);
        race();
        if let Ok((x, v)) = read_pair(&s, 0, 2) {
            assert!(
                matches!((x, v), (0, 0) | (1, 2) | (2, 3)),
                "value {x} at version {v}"
            );
        }
        writer.join().unwrap();
        assert_eq!(read_pair(&s, 0, 1), Ok((2, 3)));
    });
}

/// The writer writes (1, 1) into slot 0, then (2, 2) into slot 1; the reader
/// reads slot 1, then slot 0. Each is a whole pair with its version, and a reader
/// that saw the write of slot 1 sees the earlier write of slot 0 (a slot's read
/// synchronises with everything the writer did before that slot's write).
///
/// Fails with the closing Release store of `seq = 2v` (`TableWriter::seq_write`)
/// made Relaxed or the first Acquire fence in `Slots::read_consistent` removed
/// (a copy of the words of before a write returned with its `seq`), and with
/// the Release fence in `table::begin` or the second Acquire fence in
/// `read_consistent` removed (a torn copy). Without [`race`]: with it loom
/// tries 132 schedules instead of 919 and finds none of these.
#[test]
fn table_reader_racing_writes_to_two_slots_reads_each_whole() {
    loom::model(|| {
        let m = mem::<2>(2);
        let wm = m.clone();
        let writer = thread::spawn(move || {
            let mut w = TableWriter::new(slots::<2>(&wm, 2));
            assert_eq!(w.write(0, &pair(1)), Ok(2));
            assert_eq!(w.write(1, &pair(2)), Ok(3));
        });
        let s = slots::<2>(&m, 2);
        let one = read_pair(&s, 1, 2);
        if let Ok((x, v)) = one {
            assert!(matches!((x, v), (0, 0) | (2, 3)), "slot 1: {x} at {v}");
        }
        let zero = read_pair(&s, 0, 2);
        if let Ok((x, v)) = zero {
            assert!(matches!((x, v), (0, 0) | (1, 2)), "slot 0: {x} at {v}");
        }
        if one == Ok((2, 3)) {
            assert_eq!(zero, Ok((1, 2)), "slot 0's write came first");
        }
        writer.join().unwrap();
        assert_eq!(read_pair(&s, 0, 1), Ok((1, 2)));
        assert_eq!(read_pair(&s, 1, 1), Ok((2, 3)));
    });
}

/// A writer writes slot 0, starts a write of slot 1 (its `seq` odd), stores
/// garbage into slot 1's value and dies. A racing reader never returns the
/// garbage, and reads slot 0 whole; once the writer is dead, slot 1 is Busy and
/// slot 0 readable. A new writer's write of slot 1 makes it readable again while
/// slot 0 stays readable throughout: Busy for the dead writer's slot only.
///
/// Fails with the Release fence in `table::begin` (which `begin_and_abandon`
/// and every write share) or the second Acquire fence in
/// `Slots::read_consistent` removed: the garbage returned at version 0; and
/// with the closing Release store of `seq` made Relaxed or the first Acquire
/// fence in `read_consistent` removed: the new writer's `seq` returned with the
/// garbage. [`race`] only before the second part: before the first, loom finds
/// neither fence's removal.
#[test]
fn table_dead_writer_mid_write_is_busy_for_that_slot_only() {
    loom::model(|| {
        let m = mem::<2>(1);
        let wm = m.clone();
        let dead = thread::spawn(move || {
            let s = slots::<2>(&wm, 1);
            let mut w = TableWriter::new(s);
            assert_eq!(w.write(0, &1u64.to_ne_bytes()), Ok(2));
            assert!(w.begin_and_abandon(1));
            // The half-written value: slot 1's first value word.
            let slot1 =
                (Slots::<2>::slots_offset() - INDEX_OFFSET) / 8 + Slots::<2>::stride_words(1) + 1;
            wm.words[slot1].store(0xbad, Relaxed);
        });
        let s = slots::<2>(&m, 1);
        let mut out = [0u8; 8];
        if let Ok(v) = s.read(1, &mut out, 2) {
            assert_eq!((u64::from_ne_bytes(out), v), (0, 0), "never the garbage");
        }
        if let Ok(v) = s.read(0, &mut out, 2) {
            let x = u64::from_ne_bytes(out);
            assert!(matches!((x, v), (0, 0) | (1, 2)), "slot 0: {x} at {v}");
        }
        dead.join().unwrap();
        assert_eq!(s.read(1, &mut out, 3), Err(TableError::Busy));
        assert_eq!(s.read(0, &mut out, 1), Ok(2));

        let wm = m.clone();
        let next = thread::spawn(move || {
            let mut w = TableWriter::new(slots::<2>(&wm, 1));
            assert_eq!(w.write(1, &7u64.to_ne_bytes()), Ok(4));
        });
        race();
        match s.read(1, &mut out, 2) {
            Ok(v) => assert_eq!((u64::from_ne_bytes(out), v), (7, 4)),
            Err(e) => assert_eq!(e, TableError::Busy),
        }
        assert_eq!(s.read(0, &mut out, 1), Ok(2), "slot 0 is never Busy");
        assert_eq!(u64::from_ne_bytes(out), 1);
        next.join().unwrap();
        assert_eq!(s.read(1, &mut out, 1), Ok(4));
        assert_eq!(u64::from_ne_bytes(out), 7);
    });
}

/// A writer completes slot 0's `seq` for write 3 and dies before the change
/// index's stores (`version` still 2). The next writer, racing a reader of slot
/// 0, never reuses version 3 (whose `seq` = 6 the reader may hold as `s1`), so
/// the reader gets write 3's pair or write 4's, whole; and the query reports the
/// dead writer's write.
///
/// Fails with the seqlock's orderings weakened as the one-slot model does (the
/// Release fence in `table::begin`, the closing Release store of `seq`, either
/// Acquire fence in `Slots::read_consistent`), and with `TableWriter::new`
/// starting from the stored `version` instead of `version + 1` (no ordering:
/// the step that keeps each `seq` increasing). With that step gone the new
/// writer's first write reuses version 3, and loom finds a torn read (checked
/// with this model's version assertions loosened to the ones that change, as
/// they otherwise fail first). With [`race`].
#[test]
fn table_dead_writer_after_its_seq_store_is_never_reused() {
    loom::model(|| {
        let m = mem::<1>(2);
        let wm = m.clone();
        thread::spawn(move || {
            let mut w = TableWriter::new(slots::<1>(&wm, 2));
            assert_eq!(w.write(0, &pair(1)), Ok(2));
            assert_eq!(w.write_and_abandon(0, &pair(2)), Ok(3));
        })
        .join()
        .unwrap();
        let s = slots::<1>(&m, 2);
        let wm = m.clone();
        let next = thread::spawn(move || {
            let mut w = TableWriter::new(slots::<1>(&wm, 2));
            assert_eq!(w.write(0, &pair(3)), Ok(4));
        });
        race();
        if let Ok((x, v)) = read_pair(&s, 0, 2) {
            assert!(
                matches!((x, v), (2, 3) | (3, 4)),
                "value {x} at version {v}"
            );
        }
        next.join().unwrap();
        let mut reported = false;
        assert_eq!(s.changed_since(2, |_| reported = true), 4);
        assert!(reported);
        assert_eq!(read_pair(&s, 0, 1), Ok((3, 4)));
    });
}

/// The change query racing the writer (with [`race`]: without it loom tries one
/// schedule). The writer makes `writes`, given as
/// (version, slot): its takeover stores version 1, so they are versions 2, 3
/// and 4. A racing reader asks what changed since 0, then since the version that
/// answer returned. The versions are the writer's own count, so each write's
/// slot is known: every write with a version in a query's range `(since, now]`
/// was complete, index included, before the query's load of `version`, and its
/// slot must be reported by that query (later writes' slots may be); no slot
/// that was never written ever is. Once the writer is done, a last query
/// reports exactly the writes after the second.
fn changed_since_racing_the_writer<const N: usize>(writes: [(u64, usize); 3]) {
    loom::model(move || {
        let m = mem::<N>(1);
        let wm = m.clone();
        let writer = thread::spawn(move || {
            let mut w = TableWriter::new(slots::<N>(&wm, 1));
            for (v, slot) in writes {
                assert_eq!(w.write(slot, &v.to_ne_bytes()), Ok(v));
            }
        });
        let s = slots::<N>(&m, 1);
        race();
        let check = |since: u64| {
            let mut reported = [false; N];
            let now = s.changed_since(since, |i| reported[i] = true);
            assert!(now <= 4, "version {now}");
            for (v, slot) in writes {
                if v > since && v <= now {
                    assert!(
                        reported[slot],
                        "write {v} of slot {slot} missed in ({since}, {now}]"
                    );
                }
            }
            for (i, was) in reported.iter().enumerate() {
                assert!(
                    !was || writes.iter().any(|&(_, slot)| slot == i),
                    "slot {i} was never written"
                );
            }
            now
        };
        let first = check(0);
        let second = check(first);
        assert!(
            second >= first,
            "versions went back: {first}, then {second}"
        );
        writer.join().unwrap();
        assert_eq!(check(second), 4);
    });
}

/// [`changed_since_racing_the_writer`] with slots 1, 0, 1 of a two-slot table
/// (one change group).
///
/// Fails with the Release store of `version` (in `TableWriter::write_in_place`)
/// made Relaxed, or with the Acquire fence after the load of `version` in
/// `Slots::changed_since` removed: a query can then see `version` = `v` and the
/// `slot_version` of write `v`'s slot from before write `v`, and miss it (loom
/// finds write 3 of slot 0 missed in (2, 3]).
#[test]
fn table_changed_since_never_misses_a_completed_write() {
    changed_since_racing_the_writer::<2>([(2, 1), (3, 0), (4, 1)]);
}

/// [`changed_since_racing_the_writer`] with slots 64, 0, 64 of a 65-slot table:
/// the writes go to both change groups, and a query skips a group whose `group`
/// word is not above its `since`.
///
/// Fails as the one-group model does, with the same two orderings weakened
/// (loom finds write 4 of slot 64, in group 1, missed in (2, 4]).
#[test]
fn table_changed_since_across_groups_misses_nothing() {
    changed_since_racing_the_writer::<65>([(2, 64), (3, 0), (4, 64)]);
}

/// A writer completes write 2 of slot 0, starts write 3 of slot 1 (`seq` odd)
/// with garbage in its value, and dies. The next writer repairs the index (slot
/// 1 at version 3, the table at 3) and writes slot 1 whole (version 4), racing a
/// reader that asks what changed since 2 and then reads slot 1: the reader never
/// accepts the half-written value (Busy or the new writer's), and a query whose
/// version covers the repair (3 or later) reports slot 1, though no complete
/// write of it may have happened by then.
///
/// Fails with the Release store of `version` at the end of `TableWriter::new`
/// made Relaxed, or the Acquire fence in `Slots::changed_since` removed: the
/// query can then see `version` = 3 and the `slot_version[1]` of before the
/// repair (0), and not report slot 1. Also with the closing Release store of
/// `seq` made Relaxed or the first Acquire fence in `Slots::read_consistent`
/// removed (the half-written value returned). With [`race`].
#[test]
fn table_repair_after_a_dead_writer_is_reported_and_never_read_half_written() {
    loom::model(|| {
        let m = mem::<2>(2);
        let wm = m.clone();
        thread::spawn(move || {
            let mut w = TableWriter::new(slots::<2>(&wm, 2));
            assert_eq!(w.write(0, &pair(1)), Ok(2));
            assert!(w.begin_and_abandon(1));
            let slot1 =
                (Slots::<2>::slots_offset() - INDEX_OFFSET) / 8 + Slots::<2>::stride_words(2) + 1;
            wm.words[slot1].store(0xbad, Relaxed);
        })
        .join()
        .unwrap();
        let wm = m.clone();
        let next = thread::spawn(move || {
            let mut w = TableWriter::new(slots::<2>(&wm, 2));
            assert_eq!(w.write(1, &pair(7)), Ok(4));
        });
        let s = slots::<2>(&m, 2);
        race();
        let mut reported = [false; 2];
        let now = s.changed_since(2, |i| reported[i] = true);
        assert!((2..=4).contains(&now), "version {now}");
        assert_eq!(reported, [false, now > 2], "since 2, at {now}");
        match read_pair(&s, 1, 2) {
            Ok((x, v)) => assert_eq!((x, v), (7, 4), "never the half-written value"),
            Err(e) => assert_eq!(e, TableError::Busy),
        }
        next.join().unwrap();
        assert_eq!(read_pair(&s, 1, 1), Ok((7, 4)));
        let mut again = [false; 2];
        assert_eq!(s.changed_since(now, |i| again[i] = true), 4);
        assert_eq!(again, [false, now < 4]);
    });
}
