//! loom models of the broadcast layout (`sysv_ipc::layout::broadcast`), one per
//! protocol step: the lapped lossy reader, lossless fan-out to two readers, the
//! lossless writer parked on a reader that dies and is dropped, reader and writer
//! park/wake with both barrier pairs, and joins at the oldest and the newest while
//! the writer publishes.
//!
//! Each "process" is a loom thread; the segment is ordinary memory holding loom
//! atomics. Run with
//!
//! ```sh
//! CARGO_TARGET_DIR=target-loom LOOM_MAX_PREEMPTIONS=3 \
//!     RUSTFLAGS="--cfg loom" cargo test --release --test loom_broadcast
//! ```
//!
//! Models are tiny on purpose (capacity 2, 2-3 values, 2-3 threads), as in
//! `tests/loom.rs`: loom explores every interleaving up to the preemption bound.
//! A `BcReader` borrows the memory, and loom threads need `'static` closures, so a
//! reader lives in the thread that joined it: the main thread, or one that joins
//! by itself.
//!
//! Which ordering each model guards, shown by weakening it in
//! `src/layout/broadcast.rs` (one at a time) and watching the model fail, is in
//! the doc of each model ("Guards"), with the weakenings loom cannot see:
//! `light_barrier` is a SeqCst fence under loom, so the fence of the wake check
//! after every commit also stands in for orderings that only the asymmetric
//! barrier (a compiler fence on the hardware) leaves to others.
//!
//! loom has no load buffering (a load never reads a store that comes later in
//! the other thread), and the payload words are atomics, so the Acquire/Release
//! pairs that keep a lossless writer from reusing a slot a reader is still
//! reading were invisible to it. The lossless models (readers joined at the
//! newest) now also write and read a plain shadow cell per payload word
//! (`loom::cell::UnsafeCell`, [`Mem::write`], [`Mem::read`]), whose unordered
//! accesses loom reports ("Causality violation"). Made Relaxed in turn, with the
//! shadow in place:
//!
//! | ordering | models that fail |
//! |---|---|
//! | `BcReader::pop_one`: Release store of the cursor | `join_newest_lossless`, `lossless_two_readers`, `park_wake_lossless` (2): causality |
//! | `BcReader::release`: Release store of the cursor | `lossless_batch_reads_hand_slots_back` |
//! | `BcReader::pop_each`: Release store of the cursor | `lossless_pop_each_hands_slots_back` |
//! | `BcWriter::rescan`: Acquire load of a cursor | as `pop_one`'s store: four |
//! | `BcWriter::rescan`: Acquire load of a line's `state` | none (it pairs with the Release store of ACTIVE: a stale state makes the writer wait more, see `join_model`) |
//! | `BcWriter::push_one`: Release store of `done(m)` | `close_never_hides` (single), `join_newest_lossless`, `join_oldest` (2), `lossless_two_readers`, `lossy_lapped` |
//! | `BcWriter::push_one`: Release store of `tail` | nine: `close_never_hides` (2), `join_newest_lossless`, `join_oldest` (2), `lossless_two_readers`, `lossy_batch`, `lossy_lapped`, `lossy_pop_each` |
//! | `BcWriter::commit`: Release store of `tail` | `lossless_writer_parked_on_a_dead_reader`, `park_wake` (4) |
#![cfg(loom)]

use loom::sync::atomic::{AtomicU64, Ordering::Relaxed, Ordering::SeqCst, fence};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use sysv_ipc::layout::broadcast::{
    BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, ReadError, Start, WaitError,
};
use sysv_ipc::layout::ring::{Barrier, Parking, WAITING_WORD};

#[path = "common/futex.rs"]
mod futex;
#[path = "common/shadow.rs"]
mod shadow;

use futex::Futex;
use shadow::Shadows;

/// A broadcast of 2 slots of 2 payload words (`v`, `!v`: a torn slot shows) and
/// `readers` reader lines, in ordinary memory; and, where no read may overlap a
/// write (`shadowed`), a plain shadow of each word (`tests/common/shadow.rs`;
/// [`Mem::write`], [`Mem::read`]).
struct Mem {
    ctl: BcCtl,
    lines: Vec<AtomicU64>,
    slots: Vec<AtomicU64>,
    shadow: Shadows,
    shadowed: bool,
}

impl Mem {
    /// The writer's write of `v` into `slot`: the shadow, then `v` and `!v`.
    fn write(&self, slot: &[AtomicU64], v: u64) {
        if self.shadowed {
            self.shadow.write(&self.slots, slot, v);
        }
        slot[0].store(v, Relaxed);
        slot[1].store(!v, Relaxed);
    }

    /// A reader's read of `slot`: its two words, and the shadow, which agrees.
    /// Unshadowed where the protocol lets a read overlap a write: a lossy
    /// reader, or a lossless one joined at the oldest (whose first slot may be
    /// rewritten under it: the validation reports the lag).
    fn read(&self, slot: &[AtomicU64]) -> (u64, u64) {
        let got = (slot[0].load(Relaxed), slot[1].load(Relaxed));
        if self.shadowed {
            self.shadow.check(&self.slots, slot, got.0);
        }
        got
    }
}

/// A broadcast of `policy`, shadowed if lossless.
fn mem(policy: Policy, readers: usize, barrier: Barrier) -> Arc<Mem> {
    mem_shadowed(policy, readers, barrier, policy == Policy::Lossless)
}

fn mem_shadowed(policy: Policy, readers: usize, barrier: Barrier, shadowed: bool) -> Arc<Mem> {
    let words = Broadcast::<2>::words(2);
    let m = Mem {
        ctl: BcCtl::new(),
        lines: (0..Broadcast::<2>::line_words(readers))
            .map(|_| AtomicU64::new(0))
            .collect(),
        slots: (0..words).map(|_| AtomicU64::new(0)).collect(),
        shadow: Shadows::new(words),
        shadowed,
    };
    m.ctl.init(policy, readers, barrier);
    Arc::new(m)
}

fn bc(m: &Mem) -> Broadcast<'_, 2> {
    Broadcast::new(&m.ctl, &m.lines, &m.slots, 2).unwrap()
}

/// Parking that never sleeps: the non-blocking models.
struct Spin;

impl Parking for Spin {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        Ok(())
    }
    fn unpark_peer(&mut self) {}
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        fence(SeqCst);
        Ok(())
    }
}

impl Fanout for Spin {
    fn unpark_reader(&mut self, _: usize) {}
}

/// The semaphore stand-in: a counter under a mutex, waited on with a condvar.
#[derive(Default)]
struct Sem {
    count: Mutex<u32>,
    cv: Condvar,
}

impl Sem {
    fn wait(&self) {
        let mut n = self.count.lock().unwrap();
        while *n == 0 {
            n = self.cv.wait(n).unwrap();
        }
        *n -= 1;
    }

    fn post(&self) {
        *self.count.lock().unwrap() += 1;
        self.cv.notify_one();
    }

    /// `semop(-1, IPC_NOWAIT)`.
    fn try_wait(&self) {
        let mut n = self.count.lock().unwrap();
        *n = n.saturating_sub(1);
    }

    fn count(&self) -> u32 {
        *self.count.lock().unwrap()
    }
}

/// One process's parking: waits on its own semaphore; `unpark_peer` posts the
/// writer's, `unpark_reader(r)` reader `r`'s (as the typed layer's one semaphore
/// per reader). The heavy barrier stands for `membarrier` as in `tests/loom.rs`
/// (`SemPark::heavy_barrier`: a SeqCst fence, paired with the SeqCst fence that
/// `light_barrier` is under loom).
struct SemPark {
    own: Arc<Sem>,
    writer: Arc<Sem>,
    readers: Vec<Arc<Sem>>,
    parks: u32,
    barriers: u32,
}

impl SemPark {
    fn new(own: &Arc<Sem>, writer: &Arc<Sem>, readers: &[Arc<Sem>]) -> SemPark {
        SemPark {
            own: own.clone(),
            writer: writer.clone(),
            readers: readers.to_vec(),
            parks: 0,
            barriers: 0,
        }
    }
}

impl Parking for SemPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        self.parks += 1;
        self.own.wait();
        Ok(())
    }
    fn unpark_peer(&mut self) {
        self.writer.post();
    }
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        self.barriers += 1;
        fence(SeqCst);
        Ok(())
    }
    fn absorb_wake(&mut self) {
        self.own.try_wait();
    }
}

impl Fanout for SemPark {
    fn unpark_reader(&mut self, reader: usize) {
        self.readers[reader].post();
    }
}

fn write(m: &Mem, v: u64) -> impl FnMut(usize, &[AtomicU64]) + '_ {
    move |_, s| m.write(s, v)
}

/// Publishes `1..=n` (message `m` carries `m + 1`) without parking, yielding
/// while a lossless ring is full.
fn publish(m: &Mem, w: &mut BcWriter<'_, 2>, n: u64) {
    for v in 1..=n {
        while w.push(1, write(m, v), &mut Spin).unwrap() == 0 {
            thread::yield_now();
        }
    }
}

/// The value of one message read by `read`'s callback, checked whole.
fn whole(got: Option<(u64, u64)>) -> u64 {
    let (v, not_v) = got.expect("a value was read");
    assert_eq!(not_v, !v, "torn slot returned");
    v
}

/// One `pop` of one message: its value, checked whole.
fn pop1(m: &Mem, r: &mut BcReader<'_, 2>) -> Result<Option<u64>, ReadError> {
    let mut got = None;
    let n = r.pop(1, |_, s| got = Some(m.read(s)), &mut Spin)?;
    Ok((n == 1).then(|| whole(got)))
}

/// What a reader saw: the values, in order, and each gap with the number of
/// values returned before it.
#[derive(Debug, Default)]
struct Seen {
    values: Vec<u64>,
    gaps: Vec<(usize, u64)>,
}

impl Seen {
    /// One step of a reader at cursor `at`: records a value (asserting it is the
    /// message at the cursor: never a stale lap, never a newer one) or a gap
    /// (asserting the cursor moved by exactly the count reported).
    fn record(&mut self, r: &BcReader<'_, 2>, at: u64, step: Result<Option<u64>, ReadError>) {
        match step {
            Ok(Some(v)) => {
                assert_eq!(v, at + 1, "message {at} returned {v}");
                self.values.push(v);
            }
            Ok(None) => thread::yield_now(),
            Err(ReadError::Lagged(k)) => {
                assert!(k > 0, "an empty gap");
                assert_eq!(r.cursor(), at + k, "the gap is where the cursor went");
                self.gaps.push((self.values.len(), k));
            }
            Err(e) => panic!("message {at}: {e:?} {r:?}"),
        }
    }

    fn skipped(&self) -> u64 {
        self.gaps.iter().map(|g| g.1).sum()
    }
}

/// Reads (one at a time, without parking) until the reader's cursor reaches `end`.
/// Asserts that the values and the gaps account for every message from the
/// reader's start to `end`.
fn drain(m: &Mem, r: &mut BcReader<'_, 2>, end: u64) -> Seen {
    let start = r.cursor();
    let mut seen = Seen::default();
    while r.cursor() < end {
        let at = r.cursor();
        let step = pop1(m, r);
        seen.record(r, at, step);
    }
    assert_eq!(
        seen.values.len() as u64 + seen.skipped(),
        end - start,
        "{seen:?}"
    );
    seen
}

/// (a) Lossy: the writer laps a slow reader (3 values through 2 slots).
/// Whatever the interleaving, the reader never returns a torn slot or one from
/// another lap, and the values it returns plus the gaps it is told of are exactly
/// the three, in order.
///
/// Guards (weakened, it fails): the writer's Release fence after its marks
/// (`reserve`: torn slot), the reader's Acquire fence before re-loading `seq`
/// (`release`: torn slot), the Release store of a complete `seq` (`commit`) and
/// the Acquire load of it (`available`: a stale lap returned), the Release store
/// of `tail` (`commit`) and the Acquire fence on the validation's lap path
/// (`release`: a lap called `Corrupt`). Not seen: the mark's Release store
/// (`reserve`), which the wake check's SeqCst fence after the previous commit
/// stands in for under loom.
#[test]
fn lossy_lapped_reader_gets_whole_values_and_exact_gaps() {
    loom::model(|| {
        let m = mem(Policy::Lossy, 1, Barrier::Symmetric);
        let mut r = BcReader::join(bc(&m), 0, Start::Oldest, &mut Spin).unwrap();
        let wm = m.clone();
        let writer = thread::spawn(move || publish(&wm, &mut BcWriter::new(bc(&wm)).unwrap(), 3));
        let seen = drain(&m, &mut r, 3);
        assert!(seen.values.windows(2).all(|w| w[0] < w[1]));
        writer.join().unwrap();
    });
}

/// (a') Lossy, read in batches of 2 through `peek` and `release`: the batch path
/// learns what is there from `tail`, not from a slot's `seq`, and validates every
/// slot of the batch before releasing it.
///
/// Guards: the Release store of `tail` (`commit`: a lap called `Corrupt`) with
/// the Acquire load of it (`load_tail`: a stale value returned), the Acquire load
/// of `tail` in `lapped` (a stale value), and the validation's fences as above.
#[test]
fn lossy_batch_reads_are_validated_whole() {
    loom::model(|| {
        let m = mem(Policy::Lossy, 1, Barrier::Symmetric);
        let mut r = BcReader::join(bc(&m), 0, Start::Oldest, &mut Spin).unwrap();
        let wm = m.clone();
        let writer = thread::spawn(move || publish(&wm, &mut BcWriter::new(bc(&wm)).unwrap(), 3));
        let mut seen = Seen::default();
        while r.cursor() < 3 {
            let at = r.cursor();
            let n = match r.peek(2) {
                Ok(n) => n,
                Err(e) => {
                    seen.record(&r, at, Err(e));
                    continue;
                }
            };
            let got: Vec<_> = (0..n)
                .map(|i| (r.peeked(i)[0].load(Relaxed), r.peeked(i)[1].load(Relaxed)))
                .collect();
            match r.release(n, &mut Spin) {
                Ok(k) => {
                    assert_eq!(k, n);
                    for (i, g) in got.into_iter().enumerate() {
                        let v = whole(Some(g));
                        assert_eq!(
                            v,
                            at + i as u64 + 1,
                            "message {} returned {v}",
                            at + i as u64
                        );
                        seen.values.push(v);
                    }
                    if n == 0 {
                        thread::yield_now();
                    }
                }
                Err(e) => seen.record(&r, at, Err(e)),
            }
        }
        assert_eq!(seen.values.len() as u64 + seen.skipped(), 3, "{seen:?}");
        writer.join().unwrap();
    });
}

/// (a'') Lossy, read in batches of 2 through `pop_each`: a message is handed
/// over only once its slot is known to have held it whole, in order, and a batch
/// that meets a lap stops there with the gap counted from the last message it
/// handed over.
///
/// Fails (a torn value handed over) with `pop_each`'s Acquire fence removed.
#[test]
fn lossy_pop_each_hands_over_only_whole_values() {
    loom::model(|| {
        let m = mem(Policy::Lossy, 1, Barrier::Symmetric);
        let mut r = BcReader::join(bc(&m), 0, Start::Oldest, &mut Spin).unwrap();
        let wm = m.clone();
        let writer = thread::spawn(move || publish(&wm, &mut BcWriter::new(bc(&wm)).unwrap(), 3));
        let mut seen = Seen::default();
        while r.cursor() < 3 {
            let at = r.cursor();
            let mut got = Vec::new();
            let (n, stop) = r.pop_each(2, |_, s| m.read(s), |i, g| got.push((i, g)), &mut Spin);
            assert_eq!(got.len(), n);
            for (i, g) in got {
                let v = whole(Some(g));
                assert_eq!(
                    v,
                    at + i as u64 + 1,
                    "message {} returned {v}",
                    at + i as u64
                );
                seen.values.push(v);
            }
            match stop {
                Ok(()) if n == 0 => thread::yield_now(),
                Ok(()) => {}
                Err(e) => seen.record(&r, at + n as u64, Err(e)),
            }
        }
        assert_eq!(seen.values.len() as u64 + seen.skipped(), 3, "{seen:?}");
        writer.join().unwrap();
    });
}

/// (b) Lossless fan-out: two readers joined before the writer starts, read by
/// one thread in turns (each at its own pace), each see 1, 2, 3 in order with no
/// gap, while the writer waits for the slower one.
///
/// Guards: the readers' Release cursor stores (`pop_one`) and the writer's
/// Acquire loads of them in its scan (`rescan`), through the slots' shadows
/// (module docs); and the scan's logic: no slot reused before both readers
/// passed it.
#[test]
fn lossless_two_readers_each_see_every_value_in_order() {
    loom::model(|| {
        let m = mem(Policy::Lossless, 2, Barrier::Symmetric);
        let mut rs = [
            BcReader::join(bc(&m), 0, Start::Newest, &mut Spin).unwrap(),
            BcReader::join(bc(&m), 1, Start::Newest, &mut Spin).unwrap(),
        ];
        let wm = m.clone();
        let writer = thread::spawn(move || publish(&wm, &mut BcWriter::new(bc(&wm)).unwrap(), 3));
        let mut seen = [Seen::default(), Seen::default()];
        while rs.iter().any(|r| r.cursor() < 3) {
            for (r, seen) in rs.iter_mut().zip(&mut seen) {
                if r.cursor() < 3 {
                    let at = r.cursor();
                    let step = pop1(&m, r);
                    seen.record(r, at, step);
                }
            }
        }
        for s in &seen {
            assert_eq!(s.values, [1, 2, 3]);
            assert!(s.gaps.is_empty(), "lossless: {s:?}");
        }
        writer.join().unwrap();
    });
}

/// (b) Lossless hand-back through the batch forms: one reader joined before the
/// writer starts reads with `pop` of 2 (`peek`, `release`) or `pop_each` of 2
/// while the writer publishes 1, 2, 3 through 2 slots (slot 0 reused): 1, 2, 3
/// in order, and the shadow ([`Mem`]) sees every rewrite of a slot ordered
/// after the read of its previous value.
///
/// Guards: the reader's Release store of its cursor in `release` (batch) and in
/// `pop_each` (each), which the single-read models do not reach.
fn lossless_batch_hand_back_model(each: bool) {
    loom::model(move || {
        let m = mem(Policy::Lossless, 1, Barrier::Symmetric);
        let mut r = BcReader::join(bc(&m), 0, Start::Newest, &mut Spin).unwrap();
        let wm = m.clone();
        let writer = thread::spawn(move || publish(&wm, &mut BcWriter::new(bc(&wm)).unwrap(), 3));
        let mut got = Vec::new();
        while r.cursor() < 3 {
            let n = if each {
                let (n, stop) = r.pop_each(
                    2,
                    |_, s| m.read(s),
                    |_, g| got.push(whole(Some(g))),
                    &mut Spin,
                );
                stop.unwrap();
                n
            } else {
                r.pop(2, |_, s| got.push(whole(Some(m.read(s)))), &mut Spin)
                    .unwrap()
            };
            if n == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(got, [1, 2, 3]);
        writer.join().unwrap();
    });
}

#[test]
fn lossless_batch_reads_hand_slots_back() {
    lossless_batch_hand_back_model(false);
}

#[test]
fn lossless_pop_each_hands_slots_back() {
    lossless_batch_hand_back_model(true);
}

/// (b) Lossless, a dead reader under a parked writer: reader 1 joins and dies
/// (holding message 0's slot); the writer fills the ring and parks on it; another
/// process learns of the death (its `SEM_UNDO` registration undone) and drops the
/// line with the ticket it saw, wherever the writer is. The writer is woken and
/// publishes the rest, and the live reader (which parks as soon as nothing is
/// there) gets every value, in order, with no gap. A lost wake deadlocks, which
/// loom reports. The drop runs in the live reader's thread, after its second
/// value (a third thread for the dropper takes loom over 80 s).
///
/// Guards: the drop's wake check (`free_line` → `wake_writer`; without it,
/// deadlock). Not seen: the Release store of FREE (load buffering again), and the
/// writer's park barrier (`BcWriter::heavy`), whose place the SeqCst fence at the
/// start of its re-check (`rescan`) takes on a symmetric layout.
#[test]
fn lossless_writer_parked_on_a_dead_reader_is_freed_by_the_drop() {
    loom::model(|| {
        let m = mem(Policy::Lossless, 2, Barrier::Symmetric);
        let (wsem, r0sem) = (Arc::new(Sem::default()), Arc::new(Sem::default()));
        let rsems = [r0sem.clone(), Arc::new(Sem::default())];
        let mut live = BcReader::join(bc(&m), 0, Start::Newest, &mut Spin).unwrap();
        let dead = BcReader::join(bc(&m), 1, Start::Newest, &mut Spin).unwrap();
        // Its process died: nothing of it runs again but the ticket others see.
        let ticket = dead.ticket();
        assert_eq!(bc(&m).ticket(1), Some((ticket, true)));

        let wm = m.clone();
        let mut wpark = SemPark::new(&wsem, &wsem, &rsems);
        let writer = thread::spawn(move || {
            let mut w = BcWriter::new(bc(&wm)).unwrap();
            for v in 1..=3 {
                assert_eq!(w.push_blocking(1, 0, write(&wm, v), &mut wpark), Ok(1));
            }
            wpark
        });
        let mut rpark = SemPark::new(&r0sem, &wsem, &rsems);
        let mut pop = |want| {
            let mut got = None;
            let n = live.pop_blocking(1, 0, |_, s| got = Some(m.read(s)), &mut rpark);
            assert_eq!(n, Ok(1));
            assert_eq!(whole(got), want, "in order, nothing lost");
        };
        pop(1);
        pop(2);
        // Now only the dead reader holds the writer back (message 2 goes over
        // message 0's slot). The process that learns of the death (here the live
        // reader's, wherever the writer is: publishing, about to park, parked)
        // drops the line with the ticket it saw; only its wake can free the
        // writer, and only the writer can free this reader's next pop.
        let mut dpark = SemPark::new(&Arc::new(Sem::default()), &wsem, &rsems);
        assert_eq!(bc(&m).drop_reader(1, ticket, &mut dpark), Ok(true));
        pop(3);
        writer.join().unwrap();
        assert_eq!(m.ctl.writer_waiting.load(Relaxed), 0);
        assert_eq!(m.ctl.readers_waiting[0].load(Relaxed), 0);
        assert_eq!(bc(&m).ticket(1), Some((ticket + 1, false)));
        assert!(wsem.count() <= 1, "no posts pile up");
    });
}

/// (c) Park/wake: one reader and one writer, neither spinning. Lossless: the
/// writer parks when the ring is full, the reader when it is empty, and each is
/// woken by the other (a lost wake deadlocks, which loom reports). Lossy: only
/// the reader parks, and a lap is reported, not waited out.
///
/// Guards (weakened, it deadlocks): the writer's SeqCst fence before loading the
/// waiting words (`wake_readers`) and the reader's SeqCst fence after setting its
/// bit (`BcReader::heavy`), symmetric; the reader's heavy barrier call,
/// asymmetric; the reader's wake check after its cursor store (`release` →
/// `wake_writer`). The writer's park barrier is caught by the asymmetric model's
/// barrier count only (its re-check's own fence stands in). Not seen: the
/// Acquire of the re-check's `tail` load, which only decides to retry (the
/// attempt loads `tail` again, Acquire).
fn park_wake_model(policy: Policy, barrier: Barrier, items: u64) {
    loom::model(move || {
        let m = mem(policy, 1, barrier);
        let (wsem, rsem) = (Arc::new(Sem::default()), Arc::new(Sem::default()));
        let rsems = [rsem.clone()];
        let mut r = BcReader::join(bc(&m), 0, Start::Newest, &mut Spin).unwrap();
        let wm = m.clone();
        let mut wpark = SemPark::new(&wsem, &wsem, &rsems);
        let writer = thread::spawn(move || {
            let mut w = BcWriter::new(bc(&wm)).unwrap();
            for v in 1..=items {
                assert_eq!(w.push_blocking(1, 0, write(&wm, v), &mut wpark), Ok(1));
            }
            wpark
        });
        let mut rpark = SemPark::new(&rsem, &wsem, &rsems);
        let mut seen = Seen::default();
        while r.cursor() < items {
            let at = r.cursor();
            let mut got = None;
            let step = r
                .pop_blocking(1, 0, |_, s| got = Some(m.read(s)), &mut rpark)
                .map(|n| {
                    assert_eq!(n, 1);
                    Some(whole(got))
                })
                .map_err(|e| match e {
                    WaitError::Read(e) => e,
                    e => panic!("{e:?}"),
                });
            seen.record(&r, at, step);
        }
        let wpark = writer.join().unwrap();
        if policy == Policy::Lossless {
            assert_eq!(seen.values, (1..=items).collect::<Vec<_>>());
        } else {
            assert_eq!(seen.values.len() as u64 + seen.skipped(), items);
            assert_eq!(wpark.parks, 0, "a lossy writer never parks");
        }
        assert_eq!(m.ctl.writer_waiting.load(Relaxed), 0);
        assert_eq!(m.ctl.readers_waiting[0].load(Relaxed), 0);
        for (sem, who) in [(&rsem, "reader"), (&wsem, "writer")] {
            assert!(sem.count() <= 1, "{who}'s semaphore kept {}", sem.count());
        }
        for park in [&rpark, &wpark] {
            match barrier {
                Barrier::Asymmetric => assert!(park.barriers >= park.parks),
                Barrier::Symmetric => assert_eq!(park.barriers, 0),
            }
        }
    });
}

#[test]
fn park_wake_lossless_no_lost_wakeup() {
    park_wake_model(Policy::Lossless, Barrier::Symmetric, 3);
}

#[test]
fn park_wake_lossless_asymmetric_no_lost_wakeup() {
    park_wake_model(Policy::Lossless, Barrier::Asymmetric, 3);
}

#[test]
fn park_wake_lossy_no_lost_wakeup() {
    park_wake_model(Policy::Lossy, Barrier::Symmetric, 2);
}

#[test]
fn park_wake_lossy_asymmetric_no_lost_wakeup() {
    park_wake_model(Policy::Lossy, Barrier::Asymmetric, 2);
}

/// `SemPark`, plus the futex wake of a reader that waits on its line's word.
struct MixedPark {
    sem: SemPark,
    futex: Arc<Futex>,
    word_wakes: u32,
}

impl Parking for MixedPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        self.sem.park()
    }
    fn unpark_peer(&mut self) {
        self.sem.unpark_peer();
    }
    fn wake_word(&mut self, _word: &AtomicU64) {
        self.word_wakes += 1;
        self.futex.wake();
    }
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        self.sem.heavy_barrier()
    }
    fn absorb_wake(&mut self) {
        self.sem.absorb_wake();
    }
}

impl Fanout for MixedPark {
    fn unpark_reader(&mut self, reader: usize) {
        self.sem.unpark_reader(reader);
    }
}

/// Reader 0 waits asynchronously (arms, then sleeps on its line's word as a
/// futex); with `blocking_reader`, reader 1 parks on its semaphore beside it; the
/// writer parks on a full lossless ring (0 spins). The writer must futex-wake the
/// first and post the second: a wake sent the wrong way leaves a reader asleep,
/// which loom reports as a deadlock.
fn word_wait_model(policy: Policy, barrier: Barrier, items: u64, blocking_reader: bool) {
    loom::model(move || {
        let readers = 1 + usize::from(blocking_reader);
        let m = mem(policy, readers, barrier);
        let futex = Arc::new(Futex::default());
        let wsem = Arc::new(Sem::default());
        let rsems: Vec<Arc<Sem>> = (0..readers).map(|_| Arc::new(Sem::default())).collect();
        let mut r0 = BcReader::join(bc(&m), 0, Start::Newest, &mut Spin).unwrap();
        let wm = m.clone();
        let mut wpark = MixedPark {
            sem: SemPark::new(&wsem, &wsem, &rsems),
            futex: futex.clone(),
            word_wakes: 0,
        };
        let writer = thread::spawn(move || {
            let mut w = BcWriter::new(bc(&wm)).unwrap();
            for v in 1..=items {
                assert_eq!(w.push_blocking(1, 0, write(&wm, v), &mut wpark), Ok(1));
            }
            wpark
        });
        let blocking = blocking_reader.then(|| {
            let (bm, mut park) = (m.clone(), SemPark::new(&rsems[1], &wsem, &rsems));
            thread::spawn(move || {
                let mut r1 = BcReader::join(bc(&bm), 1, Start::Oldest, &mut Spin).unwrap();
                let mut got = 0;
                while r1.cursor() < items {
                    let mut v = None;
                    match r1.pop_blocking(1, 0, |_, s| v = Some(bm.read(s)), &mut park) {
                        Ok(_) => got += 1,
                        Err(WaitError::Read(ReadError::Lagged(_))) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                }
                got
            })
        });
        let mut rpark = MixedPark {
            sem: SemPark::new(&rsems[0], &wsem, &rsems),
            futex: futex.clone(),
            word_wakes: 0,
        };
        let mut seen = Seen::default();
        while r0.cursor() < items {
            let at = r0.cursor();
            // Through `rpark`: a pop that frees a slot wakes a parked writer.
            let mut got = None;
            let step = r0
                .pop(1, |_, s| got = Some(m.read(s)), &mut rpark)
                .map(|n| (n == 1).then(|| whole(got)));
            match step {
                Ok(Some(v)) => seen.record(&r0, at, Ok(Some(v))),
                Ok(None) => match r0.arm(&mut rpark) {
                    Ok(Some(word)) => futex.wait(word, WAITING_WORD),
                    Ok(None) => {}
                    Err(e) => panic!("arm: {e:?}"),
                },
                Err(e) => seen.record(&r0, at, Err(e)),
            }
        }
        let wpark = writer.join().unwrap();
        if let Some(b) = blocking {
            b.join().unwrap();
        }
        if policy == Policy::Lossless {
            assert_eq!(seen.values, (1..=items).collect::<Vec<_>>());
        }
        // Every announcement was taken or withdrawn, and the word cleared.
        assert_eq!(m.ctl.readers_waiting[0].load(Relaxed), 0);
        // A post the writer sent the async reader (it took the bit after the
        // reader cleared its word, withdrawing) is taken back: none pile up (a
        // take-back misses only a post still on its way).
        assert!(rsems[0].count() <= 1, "kept {} posts", rsems[0].count());
        let _ = wpark.word_wakes;
    });
}

#[test]
fn word_wait_reader_lossless_no_lost_wakeup() {
    word_wait_model(Policy::Lossless, Barrier::Symmetric, 3, false);
}

#[test]
fn word_wait_reader_lossless_asymmetric_no_lost_wakeup() {
    word_wait_model(Policy::Lossless, Barrier::Asymmetric, 2, false);
}

#[test]
fn word_wait_reader_beside_a_parked_reader_lossy() {
    word_wait_model(Policy::Lossy, Barrier::Symmetric, 2, true);
}

/// (d) A reader joins while the writer publishes 1, 2, 3. It starts at a value
/// the writer still retains, and reads in order from there, each value the
/// message at its cursor. Lossless: joined at the newest it never sees a gap;
/// joined at the oldest, a gap only before its first value (messages the writer
/// published before it knew of the reader), never after.
///
/// Guards: the SeqCst fence between the joiner's JOINING store and its `tail`
/// load (`join`; without it, a reader joined at the newest is lapped). Not seen:
/// its partner before the writer's scan (`rescan`), which the wake check's fence
/// after the writer's last `tail` store stands in for under loom, and the Release
/// store of ACTIVE (a stale cursor is an older one: the writer only waits more).
fn join_model(policy: Policy, start: Start) {
    loom::model(move || {
        // Joined at the oldest, a lossless reader's first slot may be rewritten
        // under it (see `join_oldest_lossless_three_values_lag_only_before_the_first`).
        let shadowed = policy == Policy::Lossless && start == Start::Newest;
        let m = mem_shadowed(policy, 1, Barrier::Symmetric, shadowed);
        let wm = m.clone();
        let writer = thread::spawn(move || publish(&wm, &mut BcWriter::new(bc(&wm)).unwrap(), 3));
        let mut r = BcReader::join(bc(&m), 0, start, &mut Spin).unwrap();
        let first = r.cursor();
        assert!(first <= m.ctl.tail.load(Relaxed), "joined past the tail");
        let seen = drain(&m, &mut r, 3);
        if policy == Policy::Lossless {
            match start {
                Start::Newest => assert!(seen.gaps.is_empty(), "{seen:?}"),
                Start::Oldest => assert!(seen.gaps.iter().all(|g| g.0 == 0), "{seen:?}"),
            }
        }
        writer.join().unwrap();
    });
}

#[test]
fn join_newest_lossless_never_lags() {
    join_model(Policy::Lossless, Start::Newest);
}

/// Within three values, a lossless reader joined at the oldest lags only before
/// its first value. Not the general property: over longer runs a value retained
/// when it joined (below its join-time tail) can still be overwritten after its
/// first read; what holds in general, and `tests/broadcast.rs` asserts, is that
/// nothing published after the join is lost.
#[test]
fn join_oldest_lossless_three_values_lag_only_before_the_first() {
    join_model(Policy::Lossless, Start::Oldest);
}

#[test]
fn join_oldest_lossy_reads_in_order() {
    join_model(Policy::Lossy, Start::Oldest);
}

/// Close: the writer publishes 1 and 2 and closes; the reader polls (single
/// reads, or batches of 2) until it learns the end. It must have read 1 and 2,
/// in order, before: never the end while a published value is unread.
///
/// Guards: the Acquire load of `closed` (`BcCtl::is_closed`), after which the
/// reader's re-load of `tail` sees the final one. Not seen: the Release store of
/// `closed`, which the wake check's fence after the last commit stands in for.
fn close_model(batch: bool) {
    loom::model(move || {
        let m = mem(Policy::Lossless, 1, Barrier::Symmetric);
        let mut r = BcReader::join(bc(&m), 0, Start::Newest, &mut Spin).unwrap();
        let wm = m.clone();
        let writer = thread::spawn(move || {
            let mut w = BcWriter::new(bc(&wm)).unwrap();
            publish(&wm, &mut w, 2);
            w.close(&mut Spin);
        });
        let mut got = Vec::new();
        let max = if batch { 2 } else { 1 };
        while !r.is_finished() {
            let n = r
                .pop(max, |_, s| got.push(whole(Some(m.read(s)))), &mut Spin)
                .unwrap();
            if n == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(got, [1, 2], "the end only after every value published");
        assert_eq!(r.pop(2, |_, _| unreachable!(), &mut Spin), Ok(0));
        writer.join().unwrap();
    });
}

#[test]
fn close_never_hides_a_published_value_single_reads() {
    close_model(false);
}

#[test]
fn close_never_hides_a_published_value_batch_reads() {
    close_model(true);
}
