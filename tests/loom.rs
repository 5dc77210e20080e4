//! loom models of the shared layouts: the header handshake, the SPSC ring (full and
//! empty boundaries, wrap-around, batches, loans, the park/wake protocol with both
//! barrier pairs) and the seqlock.
//!
//! Each "process" is a loom thread; the segment is ordinary memory holding loom
//! atomics. Run with
//!
//! ```sh
//! CARGO_TARGET_DIR=target-loom LOOM_MAX_PREEMPTIONS=3 \
//!     RUSTFLAGS="--cfg loom" cargo test --release --test loom
//! ```
//!
//! Models are tiny on purpose (capacity 1 or 2, 2-3 operations per side, 2-3
//! threads): loom explores every interleaving up to the preemption bound, and each
//! extra operation multiplies the run time.
//!
//! The ring models write and read each payload through [`Mem::write`] and
//! [`Mem::read`], which also access a plain shadow cell (`loom::cell::UnsafeCell`):
//! the payload words are atomics and loom has no load buffering, so a producer
//! rewriting a slot the consumer still reads was invisible; loom reports the
//! shadow's unordered accesses ("Causality violation"). The orderings that hand a
//! slot over, each made Relaxed in turn with the shadow in place (the ring, loan,
//! park/wake and close models; the handshake and seqlock models are not affected):
//!
//! | ordering (`src/layout/ring.rs`) | models that fail |
//! |---|---|
//! | `RingConsumer::consume`: Release store of `head` | `ring_spsc`, `ring_batches`, `ring_single_pops`, `loans_commit`, `park_wake` (4), `loan_park_wake` (2): causality (none before the shadow) |
//! | `RingProducer::free`: Acquire load of `head` | the same ten |
//! | the producer's `recheck`: Acquire load of `head` | `park_wake` (4), `loan_park_wake` (2) |
//! | `RingProducer::publish_at`: Release store of `tail` | eleven: `ring_batches`, `loans_commit`, `park_wake` (4), `loan_park_wake` (2), `close_wakes` (2), `close_never_hides` (batch) |
//! | `RingProducer::publish_at`: Release store of `seq` | eleven: `ring_spsc`, `ring_single_pops`, `park_wake` (4), `loan_park_wake` (2), `close_wakes` (2), `close_never_hides` (single) |
//! | `RingConsumer::load_tail`: Acquire load of `tail` | eleven, as the `tail` store |
//! | `Ring::published_from`: Acquire load of `seq` | eleven, as the `seq` store |
//! | `Ring::publish_seq` (`RingProducer::new` re-publishing a previous holder's messages) | none: no model takes the producer role over with messages pending |
#![cfg(loom)]

use loom::sync::atomic::{
    AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::SeqCst, fence,
};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use sysv_ipc::layout::header::{INITIALIZING, Kind, MAGIC, Shape};
use sysv_ipc::layout::ring::{
    Barrier, Parking, Ring, RingConsumer, RingCtl, RingError, RingProducer, WAITING_WORD,
};
use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
use sysv_ipc::layout::{Header, HeaderError};

#[path = "common/futex.rs"]
mod futex;
#[path = "common/shadow.rs"]
mod shadow;

use futex::Futex;
use shadow::Shadows;

fn shape() -> Shape {
    Shape::of::<u64>(Kind::Ring, 2, 384, 384 + 16)
}

fn yield_wait(_: u32) -> bool {
    thread::yield_now();
    true
}

/// What one process does to join: create if it wins the claim, attach otherwise.
/// The creator also sets the ring's indices to 3 (as a re-initialisation would), so
/// an attacher can check that what was initialised before READY is visible after.
fn join(ctl: &RingCtl, pid: u32) -> bool {
    if ctl.header.begin_init() {
        ctl.init(Barrier::Symmetric);
        ctl.tail.store(3, Relaxed);
        ctl.head.store(3, Relaxed);
        ctl.header.publish(&shape(), pid);
        true
    } else {
        assert_eq!(ctl.header.attach(&shape(), yield_wait), Ok(()));
        assert_eq!(
            ctl.tail.load(Relaxed),
            3,
            "initialised lines visible after READY"
        );
        assert_eq!(ctl.head.load(Relaxed), 3);
        let creator = ctl.header.creator_pid.load(Relaxed);
        assert!(creator == 1 || creator == 2, "creator_pid {creator}");
        false
    }
}

#[test]
fn handshake_two_creators_race_on_a_zeroed_header() {
    loom::model(|| {
        let ctl = Arc::new(RingCtl::new());
        let other = ctl.clone();
        let t = thread::spawn(move || join(&other, 2));
        let me = join(&ctl, 1);
        let them = t.join().unwrap();
        assert!(me ^ them, "exactly one creator (me {me}, them {them})");
    });
}

#[test]
fn handshake_attacher_during_init_and_a_late_one() {
    loom::model(|| {
        let ctl = Arc::new(RingCtl::new());
        let early = ctl.clone();
        // Attaches while the creator may be anywhere in its initialisation.
        let t = thread::spawn(move || {
            assert_eq!(early.header.attach(&shape(), yield_wait), Ok(()));
            assert_eq!(early.tail.load(Relaxed), 3);
        });
        assert!(join(&ctl, 1));
        t.join().unwrap();
        // A late attacher expecting another capacity is refused.
        let mut other = shape();
        other.capacity = 4;
        assert_eq!(
            ctl.header.attach(&other, |_| false),
            Err(HeaderError::Mismatch {
                field: &"capacity",
                actual: 2,
                expected: 4
            })
        );
    });
}

#[test]
fn handshake_gives_up_while_the_creator_is_stuck() {
    loom::model(|| {
        let h = Arc::new(Header::new());
        let creator = h.clone();
        let t = thread::spawn(move || assert!(creator.begin_init()));
        t.join().unwrap();
        // The creator "died" after claiming: a bounded wait ends in NotReady.
        assert_eq!(
            h.attach(&shape(), |attempt| attempt < 2),
            Err(HeaderError::NotReady)
        );
    });
}

/// The mark comes with the claim: whoever sees a header claimed (`state` 1, as a
/// recovering joiner reads it) sees `magic` set too, so a claimed header without
/// the mark is never this handshake's.
#[test]
fn handshake_claim_carries_the_mark() {
    loom::model(|| {
        let h = Arc::new(Header::new());
        let creator = h.clone();
        let t = thread::spawn(move || assert!(creator.begin_init()));
        if h.state.load(Acquire) == INITIALIZING {
            assert_eq!(h.magic.load(Relaxed), MAGIC, "claimed without the mark");
        }
        t.join().unwrap();
        assert_eq!(h.magic.load(Relaxed), MAGIC);
    });
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

/// A ring of N slots of one payload word (and its `seq`) in ordinary memory, and
/// a plain shadow of each word (`tests/common/shadow.rs`; [`Mem::write`],
/// [`Mem::read`]).
struct Mem<const N: usize> {
    ctl: RingCtl,
    slots: Vec<AtomicU64>,
    shadow: Shadows,
}

impl<const N: usize> Mem<N> {
    /// The producer's write of `v` into `slot`: the shadow, then the word.
    fn write(&self, slot: &[AtomicU64], v: u64) {
        self.shadow.write(&self.slots, slot, v);
        slot[0].store(v, Relaxed);
    }

    /// The consumer's read of `slot`: the word, and the shadow, which agrees.
    fn read(&self, slot: &[AtomicU64]) -> u64 {
        let v = slot[0].load(Relaxed);
        self.shadow.check(&self.slots, slot, v);
        v
    }
}

fn mem<const N: usize>() -> Arc<Mem<N>> {
    mem_with::<N>(Barrier::Symmetric)
}

fn mem_with<const N: usize>(barrier: Barrier) -> Arc<Mem<N>> {
    let m = Mem {
        ctl: RingCtl::new(),
        slots: (0..Ring::<N>::words(1))
            .map(|_| AtomicU64::new(0))
            .collect(),
        shadow: Shadows::new(Ring::<N>::words(1)),
    };
    m.ctl.init(barrier);
    Arc::new(m)
}

fn ring<const N: usize>(m: &Mem<N>) -> Ring<'_, N> {
    Ring::new(&m.ctl, &m.slots, 1).unwrap()
}

/// Values 1..=3 through a ring of 2: the producer meets "full" whenever the
/// consumer lags, the consumer meets "empty", and slot 0 is reused (wrap-around).
#[test]
fn ring_spsc_in_order_through_full_and_empty_with_wraparound() {
    loom::model(|| {
        let m = mem::<2>();
        let pm = m.clone();
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            for v in 1..=3u64 {
                while p.push(1, |_, slot| pm.write(slot, v), &mut Spin).unwrap() == 0 {
                    thread::yield_now();
                }
            }
        });
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        take_1_to_3_singly(&m, &mut c);
        producer.join().unwrap();
        assert_eq!(c.occupied(), Ok(0));
        assert_eq!(m.ctl.tail.load(Relaxed), 3);
    });
}

/// Takes 1, 2, 3 one at a time, checking each: in order, never a stale slot.
fn take_1_to_3_singly(m: &Mem<2>, c: &mut RingConsumer<'_, 2>) {
    for want in 1..=3u64 {
        let mut got = 0;
        while c.pop(1, |_, slot| got = m.read(slot), &mut Spin).unwrap() == 0 {
            thread::yield_now();
        }
        assert_eq!(got, want, "in order, never a stale slot");
    }
}

/// Sends 1, 2, 3 through a ring of 2, offering all that is left at each call.
fn produce_1_to_3_in_batches(m: &Mem<2>) {
    let mut p = RingProducer::new(ring(m)).unwrap();
    let mut sent = 0u64;
    while sent < 3 {
        let base = sent;
        let n = p
            .push(
                (3 - sent) as usize,
                |i, slot| m.write(slot, base + i as u64 + 1),
                &mut Spin,
            )
            .unwrap();
        assert!(n <= 2);
        sent += n as u64;
        if n == 0 {
            thread::yield_now();
        }
    }
}

/// Batches: the producer offers 3 at once into 2 slots, the consumer takes up to 2
/// at a time; together they move exactly 1, 2, 3 in order.
#[test]
fn ring_batches_respect_the_boundaries() {
    loom::model(|| {
        let m = mem::<2>();
        let pm = m.clone();
        let producer = thread::spawn(move || produce_1_to_3_in_batches(&pm));
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        let mut next = 1u64;
        while next <= 3 {
            let mut got = [0u64; 2];
            let n = c
                .pop(2, |i, slot| got[i] = m.read(slot), &mut Spin)
                .unwrap();
            for v in &got[..n] {
                assert_eq!(*v, next);
                next += 1;
            }
            if n == 0 {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
    });
}

/// Batch publishes read by single pops: the consumer finds each batch on the `seq`
/// of its first slot (the batch's end), caches it, and takes 1, 2, 3 in order,
/// never a slot of an older lap, through a ring of 2 that wraps around.
#[test]
fn ring_single_pops_take_batches_on_their_first_seq() {
    loom::model(|| {
        let m = mem::<2>();
        let pm = m.clone();
        let producer = thread::spawn(move || produce_1_to_3_in_batches(&pm));
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        take_1_to_3_singly(&m, &mut c);
        producer.join().unwrap();
        assert_eq!(c.occupied(), Ok(0));
    });
}

/// Loans: the producer reserves up to 2 slots of a ring of 2, writes them in place
/// and commits only the first (the second is written, then abandoned: never
/// published); the consumer peeks up to 2, reads them in place and releases only
/// the first, so the second is read again by the next peek. Together they move
/// exactly 1, 2, 3 in order: a commit publishes what was written before it and
/// nothing after, a release frees only what it names, and a slot still on loan
/// to the consumer is never overwritten.
#[test]
fn loans_commit_and_release_only_what_they_name() {
    loom::model(|| {
        let m = mem::<2>();
        let pm = m.clone();
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            let mut next = 1u64;
            while next <= 3 {
                let n = p.reserve(2).unwrap();
                if n == 0 {
                    thread::yield_now();
                    continue;
                }
                pm.write(p.reserved(0), next);
                if n == 2 {
                    // Written in place, then not committed: must never be read.
                    pm.write(p.reserved(1), 99);
                }
                assert_eq!(p.commit(1, &mut Spin), 1);
                next += 1;
            }
        });
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        let mut next = 1u64;
        while next <= 3 {
            let n = c.peek(2).unwrap();
            if n == 0 {
                thread::yield_now();
                continue;
            }
            let got: Vec<u64> = (0..n).map(|i| m.read(c.peeked(i))).collect();
            let want: Vec<u64> = (next..next + n as u64).collect();
            assert_eq!(got, want, "in order, committed values only");
            // Read again while still on loan: unchanged (the producer cannot
            // reuse a slot before it is released).
            assert_eq!(m.read(c.peeked(0)), next);
            assert_eq!(c.release(1, &mut Spin), 1);
            next += 1;
        }
        producer.join().unwrap();
        assert_eq!(c.occupied(), Ok(0));
    });
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
    fn try_wait(&self) -> bool {
        let mut n = self.count.lock().unwrap();
        let had = *n > 0;
        if had {
            *n -= 1;
        }
        had
    }

    fn count(&self) -> u32 {
        *self.count.lock().unwrap()
    }
}

/// One side's parking: waits on its own semaphore, posts the peer's.
struct SemPark {
    own: Arc<Sem>,
    peer: Arc<Sem>,
    parks: u32,
    barriers: u32,
}

impl Parking for SemPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        self.parks += 1;
        self.own.wait();
        Ok(())
    }
    fn unpark_peer(&mut self) {
        self.peer.post();
    }
    /// The stand-in for `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)`: a SeqCst
    /// fence here, paired with the SeqCst fence that `light_barrier` is under loom
    /// (see `sysv_ipc`'s `sync.rs`: it stands for the IPI's `smp_mb()` landing
    /// between the publisher's index store and flag load). loom cannot run a
    /// barrier inside another thread, and a fence on this side alone would allow
    /// the store-buffering outcome in the C++ model (loom finds the lost wake-up
    /// then), although the kernel forbids it. So this model checks everything
    /// around the barrier pair (who announces, when the re-check happens, the
    /// swap, un-announcing, the order of the calls), not membarrier's promise
    /// itself; that one is argued in `layout::ring` and exercised on the kernel by
    /// `tests/queue.rs`'s park/wake stress.
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        self.barriers += 1;
        fence(SeqCst);
        Ok(())
    }
    fn absorb_wake(&mut self) {
        self.own.try_wait();
    }
}

/// The park/wake protocol with no spinning: both sides park as soon as the ring is
/// full (producer) or empty (consumer). A lost wake-up leaves both blocked on their
/// condvars, which loom reports as a deadlock.
fn park_wake_model<const N: usize>(items: u64, barrier: Barrier) {
    loom::model(move || {
        let m = mem_with::<N>(barrier);
        let (items_sem, space_sem) = (Arc::new(Sem::default()), Arc::new(Sem::default()));
        let pm = m.clone();
        let mut ppark = SemPark {
            own: space_sem.clone(),
            peer: items_sem.clone(),
            parks: 0,
            barriers: 0,
        };
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            for v in 1..=items {
                let n = p
                    .push_blocking(1, 0, |_, slot| pm.write(slot, v), &mut ppark)
                    .unwrap();
                assert_eq!(n, 1);
            }
            ppark
        });
        let mut cpark = SemPark {
            own: items_sem,
            peer: space_sem,
            parks: 0,
            barriers: 0,
        };
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        for want in 1..=items {
            let mut got = 0;
            let n = c
                .pop_blocking(1, 0, |_, slot| got = m.read(slot), &mut cpark)
                .unwrap();
            assert_eq!((n, got), (1, want));
        }
        let ppark = producer.join().unwrap();
        // Flags are cleared once nobody waits.
        assert_eq!(m.ctl.consumer_waiting.load(Relaxed), 0);
        assert_eq!(m.ctl.producer_waiting.load(Relaxed), 0);
        // Wakes for withdrawn parks are taken back: no post piles up (a take-back
        // misses only a post still on its way, when the count is 0).
        for (sem, who) in [(&cpark.own, "consumer"), (&ppark.own, "producer")] {
            assert!(
                sem.count() <= 1,
                "{who}'s semaphore kept {} posts",
                sem.count()
            );
        }
        // The heavy barrier runs before every park on an asymmetric ring (and only
        // there): at least one per park, none on a symmetric ring.
        for park in [&cpark, &ppark] {
            match barrier {
                Barrier::Asymmetric => assert!(park.barriers >= park.parks),
                Barrier::Symmetric => assert_eq!(park.barriers, 0),
            }
        }
    });
}

#[test]
fn park_wake_no_lost_wakeup_capacity_1() {
    park_wake_model::<1>(2, Barrier::Symmetric);
}

#[test]
fn park_wake_no_lost_wakeup_capacity_2() {
    park_wake_model::<2>(3, Barrier::Symmetric);
}

/// The asymmetric protocol: fence-free publishes (the loom stand-in of the
/// compiler fence, see `SemPark::heavy_barrier`), the heavy barrier before parking.
#[test]
fn park_wake_asymmetric_no_lost_wakeup_capacity_1() {
    park_wake_model::<1>(2, Barrier::Asymmetric);
}

#[test]
fn park_wake_asymmetric_no_lost_wakeup_capacity_2() {
    park_wake_model::<2>(3, Barrier::Asymmetric);
}

/// The park/wake protocol through blocking loans: `reserve_blocking` then
/// `commit`, `peek_blocking` then `release`, parking as soon as the ring is full or
/// empty. A lost wake-up deadlocks, which loom reports.
fn loan_park_wake_model<const N: usize>(items: u64, barrier: Barrier) {
    loom::model(move || {
        let m = mem_with::<N>(barrier);
        let (items_sem, space_sem) = (Arc::new(Sem::default()), Arc::new(Sem::default()));
        let pm = m.clone();
        let mut ppark = SemPark {
            own: space_sem.clone(),
            peer: items_sem.clone(),
            parks: 0,
            barriers: 0,
        };
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            for v in 1..=items {
                assert_eq!(p.reserve_blocking(1, 0, &mut ppark), Ok(1));
                pm.write(p.reserved(0), v);
                assert_eq!(p.commit(1, &mut ppark), 1);
            }
        });
        let mut cpark = SemPark {
            own: items_sem,
            peer: space_sem,
            parks: 0,
            barriers: 0,
        };
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        for want in 1..=items {
            assert_eq!(c.peek_blocking(1, 0, &mut cpark), Ok(1));
            assert_eq!(m.read(c.peeked(0)), want);
            assert_eq!(c.release(1, &mut cpark), 1);
        }
        producer.join().unwrap();
        assert_eq!(m.ctl.consumer_waiting.load(Relaxed), 0);
        assert_eq!(m.ctl.producer_waiting.load(Relaxed), 0);
    });
}

#[test]
fn loan_park_wake_no_lost_wakeup_capacity_1() {
    loan_park_wake_model::<1>(2, Barrier::Symmetric);
}

#[test]
fn loan_park_wake_asymmetric_no_lost_wakeup_capacity_1() {
    loan_park_wake_model::<1>(2, Barrier::Asymmetric);
}

/// A park that fails (a timeout) un-announces the waiter and reports the error;
/// the ring is unchanged.
/// An asynchronous side's parking: it never parks on a semaphore (it arms and
/// waits on its word instead), posts the blocking peer's semaphore, and
/// futex-wakes a word waiter through `futex`.
struct WordPark {
    /// The blocking peer's semaphore, posted when it announced a semaphore park.
    peer: Arc<Sem>,
    /// Where the peer's word waiter (if the peer is asynchronous too) sleeps.
    futex: Arc<Futex>,
    wakes: u32,
}

impl Parking for WordPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        unreachable!("an asynchronous side arms instead of parking")
    }
    fn unpark_peer(&mut self) {
        self.peer.post();
    }
    fn wake_word(&mut self, _word: &AtomicU64) {
        self.wakes += 1;
        self.futex.wake();
    }
    /// As `SemPark::heavy_barrier`.
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        fence(SeqCst);
        Ok(())
    }
}

/// A blocking side whose peer may be a word waiter: `SemPark`, plus the futex
/// wake.
struct MixedPark {
    sem: SemPark,
    futex: Arc<Futex>,
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
        self.futex.wake();
    }
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        self.sem.heavy_barrier()
    }
    fn absorb_wake(&mut self) {
        self.sem.absorb_wake();
    }
}

/// The asynchronous wait (layout version 6): one side arms and sleeps on its
/// flag word as a futex whenever it finds nothing to do, the other is a blocking
/// side that parks on its semaphore (0 spins). A lost wake-up leaves the word
/// waiter asleep (or both), which loom reports as a deadlock. `async_consumer`
/// picks which side waits on its word.
fn word_wait_model<const N: usize>(items: u64, barrier: Barrier, async_consumer: bool) {
    loom::model(move || {
        let m = mem_with::<N>(barrier);
        let futex = Arc::new(Futex::default());
        let (items_sem, space_sem) = (Arc::new(Sem::default()), Arc::new(Sem::default()));
        let pm = m.clone();
        let pfutex = futex.clone();
        let (pitems, pspace) = (items_sem.clone(), space_sem.clone());
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            if async_consumer {
                let mut park = MixedPark {
                    sem: SemPark {
                        own: pspace,
                        peer: pitems,
                        parks: 0,
                        barriers: 0,
                    },
                    futex: pfutex,
                };
                for v in 1..=items {
                    let n = p.push_blocking(1, 0, |_, s| s[0].store(v, Relaxed), &mut park);
                    assert_eq!(n, Ok(1));
                }
                return;
            }
            let mut park = WordPark {
                peer: pitems,
                futex: pfutex.clone(),
                wakes: 0,
            };
            for v in 1..=items {
                loop {
                    if p.push_one(|s| s[0].store(v, Relaxed), &mut park) == Ok(true) {
                        break;
                    }
                    match p.arm(&mut park) {
                        Ok(Some(word)) => pfutex.wait(word, WAITING_WORD),
                        Ok(None) => {}
                        Err(e) => panic!("arm: {e:?}"),
                    }
                }
            }
        });
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        if async_consumer {
            let mut park = WordPark {
                peer: space_sem,
                futex: futex.clone(),
                wakes: 0,
            };
            for want in 1..=items {
                loop {
                    let mut got = 0;
                    if c.pop_one(|s| got = s[0].load(Relaxed), &mut park) == Ok(true) {
                        assert_eq!(got, want);
                        break;
                    }
                    match c.arm(&mut park) {
                        Ok(Some(word)) => futex.wait(word, WAITING_WORD),
                        Ok(None) => {}
                        Err(e) => panic!("arm: {e:?}"),
                    }
                }
            }
        } else {
            let mut park = MixedPark {
                sem: SemPark {
                    own: items_sem,
                    peer: space_sem,
                    parks: 0,
                    barriers: 0,
                },
                futex,
            };
            for want in 1..=items {
                let mut got = 0;
                let n = c.pop_blocking(1, 0, |_, s| got = s[0].load(Relaxed), &mut park);
                assert_eq!((n, got), (Ok(1), want));
            }
        }
        producer.join().unwrap();
        // Every announcement was taken or withdrawn.
        assert_eq!(m.ctl.consumer_waiting.load(Relaxed), 0);
        assert_eq!(m.ctl.producer_waiting.load(Relaxed), 0);
    });
}

#[test]
fn word_wait_async_consumer_no_lost_wakeup() {
    word_wait_model::<1>(2, Barrier::Symmetric, true);
    word_wait_model::<2>(3, Barrier::Symmetric, true);
}

#[test]
fn word_wait_async_consumer_no_lost_wakeup_asymmetric() {
    word_wait_model::<1>(2, Barrier::Asymmetric, true);
}

#[test]
fn word_wait_async_producer_no_lost_wakeup() {
    word_wait_model::<1>(2, Barrier::Symmetric, false);
    word_wait_model::<1>(2, Barrier::Asymmetric, false);
}

#[test]
fn park_failure_is_reported_and_leaves_no_flag() {
    struct Timeout;
    impl Parking for Timeout {
        type Error = &'static str;
        fn park(&mut self) -> Result<(), &'static str> {
            Err("timed out")
        }
        fn unpark_peer(&mut self) {}
        fn heavy_barrier(&mut self) -> Result<(), &'static str> {
            fence(SeqCst);
            Ok(())
        }
    }
    loom::model(|| {
        for barrier in [Barrier::Symmetric, Barrier::Asymmetric] {
            let m = mem_with::<1>(barrier);
            let mut c = RingConsumer::new(ring(&m)).unwrap();
            let r = c.pop_blocking(1, 1, |_, _| unreachable!(), &mut Timeout);
            assert_eq!(r, Err(RingError::Park("timed out")));
            assert_eq!(m.ctl.consumer_waiting.load(Relaxed), 0);
        }
    });
}

/// A heavy barrier that fails (membarrier gone, ENOMEM) un-announces, never parks,
/// and reports the error; a symmetric ring never calls it.
#[test]
fn heavy_barrier_failure_is_reported_before_parking() {
    struct NoBarrier {
        parks: u32,
    }
    impl Parking for NoBarrier {
        type Error = &'static str;
        fn park(&mut self) -> Result<(), &'static str> {
            self.parks += 1;
            Err("parked")
        }
        fn unpark_peer(&mut self) {}
        fn heavy_barrier(&mut self) -> Result<(), &'static str> {
            Err("no membarrier")
        }
    }
    loom::model(|| {
        let m = mem_with::<1>(Barrier::Asymmetric);
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        assert_eq!(c.barrier(), Barrier::Asymmetric);
        let mut park = NoBarrier { parks: 0 };
        let r = c.pop_blocking(1, 0, |_, _| unreachable!(), &mut park);
        assert_eq!(r, Err(RingError::Park("no membarrier")));
        assert_eq!(park.parks, 0);
        assert_eq!(m.ctl.consumer_waiting.load(Relaxed), 0);
        let m = mem_with::<1>(Barrier::Symmetric);
        let mut p = RingProducer::new(ring(&m)).unwrap();
        p.push(1, |_, s| s[0].store(1, Relaxed), &mut park).unwrap();
        let r = p.push_blocking(1, 0, |_, _| unreachable!(), &mut park);
        assert_eq!(
            r,
            Err(RingError::Park("parked")),
            "symmetric: fence, then park"
        );
        assert_eq!(park.parks, 1);
    });
}

/// End of stream: the producer publishes 1 and 2 (one at a time) into a ring of 2
/// and closes; the consumer polls until it learns the end. It must have taken 1
/// and 2, in order, before it does: never the end while a value published before
/// the close is unread. `batch` polls with batch pops, which learn the close from
/// `tail` and `closed`; otherwise single pops, which meet the close's marker in the
/// next slot's `seq` (an Acquire load of its own).
///
/// The ordering it checks, shown by weakening it: with the consumer's load of
/// `closed` (`RingCtl::is_closed`) Relaxed, loom finds the batch consumer reading
/// `closed` = 1 and then a stale `tail`, and ending with `[1]` (value 2 unread),
/// and `close_wakes_model`'s consumer getting `Closed` before the value 7, on both
/// barriers. (Weakening the producer's store instead is not caught here: the
/// SeqCst fence of the wake check after its last push, which `light_barrier` also
/// is under loom, is a release fence before the store; on the hardware the
/// asymmetric wake check has only a compiler fence there, so the store stays
/// Release.)
fn close_vs_drain_model(batch: bool) {
    loom::model(move || {
        let m = mem::<2>();
        let pm = m.clone();
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            for v in 1..=2u64 {
                assert_eq!(p.push(1, |_, s| pm.write(s, v), &mut Spin), Ok(1));
            }
            p.close(&mut Spin);
        });
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        let mut got = Vec::new();
        let max = if batch { 2 } else { 1 };
        while !c.is_finished() {
            let n = c.pop(max, |_, s| got.push(m.read(s)), &mut Spin).unwrap();
            if n == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(
            got,
            [1, 2],
            "the end only after every value published before it"
        );
        assert_eq!(c.pop(2, |_, _| unreachable!(), &mut Spin), Ok(0));
        assert!(c.is_finished(), "for good");
        producer.join().unwrap();
    });
}

#[test]
fn close_never_hides_a_committed_message_batch_pops() {
    close_vs_drain_model(true);
}

#[test]
fn close_never_hides_a_committed_message_single_pops() {
    close_vs_drain_model(false);
}

/// The close wakes a consumer parked on the drained ring (no spin: it parks as soon
/// as the ring is empty): a lost wake leaves it blocked on its condvar, which loom
/// reports as a deadlock. It gets the value, then `Closed`, never a park too many.
fn close_wakes_model(barrier: Barrier) {
    loom::model(move || {
        let m = mem_with::<1>(barrier);
        let (items_sem, space_sem) = (Arc::new(Sem::default()), Arc::new(Sem::default()));
        let pm = m.clone();
        let mut ppark = SemPark {
            own: space_sem.clone(),
            peer: items_sem.clone(),
            parks: 0,
            barriers: 0,
        };
        let producer = thread::spawn(move || {
            let mut p = RingProducer::new(ring(&pm)).unwrap();
            p.push_blocking(1, 0, |_, s| pm.write(s, 7), &mut ppark)
                .unwrap();
            p.close(&mut ppark);
        });
        let mut cpark = SemPark {
            own: items_sem,
            peer: space_sem,
            parks: 0,
            barriers: 0,
        };
        let mut c = RingConsumer::new(ring(&m)).unwrap();
        let mut got = 0;
        let r = c.pop_blocking(1, 0, |_, s| got = m.read(s), &mut cpark);
        assert_eq!((r, got), (Ok(1), 7));
        let r = c.pop_blocking(1, 0, |_, _| unreachable!(), &mut cpark);
        assert_eq!(r, Err(RingError::Closed));
        producer.join().unwrap();
        assert_eq!(m.ctl.consumer_waiting.load(Relaxed), 0);
        assert!(cpark.own.count() <= 1, "no posts pile up");
    });
}

#[test]
fn close_wakes_a_parked_consumer() {
    close_wakes_model(Barrier::Symmetric);
}

#[test]
fn close_wakes_a_parked_consumer_asymmetric() {
    close_wakes_model(Barrier::Asymmetric);
}

/// One writer writes (1, 1) then (2, 2); a reader either gets a pair written whole
/// (0, 1 or 2 in both words) or Busy — never a torn pair.
#[test]
fn seqlock_never_returns_a_torn_value() {
    loom::model(|| {
        let ctl = Arc::new(SeqCtl::new());
        let words: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let (wc, ww) = (ctl.clone(), words.clone());
        let writer = thread::spawn(move || {
            let mut w = SeqWriter::new(&wc, &ww[..]);
            for v in 1..=2u64 {
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&v.to_ne_bytes());
                bytes[8..].copy_from_slice(&v.to_ne_bytes());
                assert!(w.write(&bytes));
            }
        });
        let mut out = [0u8; 16];
        if let Ok(seq) = seqlock::read(&ctl, &words[..], &mut out, 2) {
            let a = u64::from_ne_bytes(out[..8].try_into().unwrap());
            let b = u64::from_ne_bytes(out[8..].try_into().unwrap());
            assert_eq!(a, b, "torn read at seq {seq}");
            assert_eq!(seq, 2 * a, "the value belongs to its sequence number");
        }
        writer.join().unwrap();
        // After the writer is done, a read succeeds and sees the last value.
        assert_eq!(seqlock::read(&ctl, &words[..], &mut out, 1), Ok(4));
        assert_eq!(out, [2u64.to_ne_bytes(), 2u64.to_ne_bytes()].concat()[..]);
    });
}

/// In place on both sides (`SeqLock::read_with` / `Writer::write_with`): the writer
/// stores two of three words per write, in place; the reader loads those two in
/// its closure, in the other order. A run the reader keeps is one write's pair,
/// never a mix, and the untouched word keeps its value.
#[test]
fn seqlock_in_place_reads_see_one_write() {
    loom::model(|| {
        let ctl = Arc::new(SeqCtl::new());
        let words: Arc<[AtomicU64; 3]> =
            Arc::new([AtomicU64::new(0), AtomicU64::new(7), AtomicU64::new(0)]);
        let (wc, ww) = (ctl.clone(), words.clone());
        let writer = thread::spawn(move || {
            let mut w = SeqWriter::new(&wc, &ww[..]);
            for v in 1..=2u64 {
                w.write_in_place(|words| {
                    words[0].store(v, Relaxed);
                    words[2].store(v, Relaxed);
                });
            }
        });
        let got = seqlock::read_consistent(&ctl, 3, 2, || {
            (words[2].load(Relaxed), words[0].load(Relaxed))
        });
        if let Ok(((c, a), seq)) = got {
            assert_eq!(a, c, "torn in-place read at seq {seq}");
            assert_eq!(seq, 2 * a, "the pair belongs to its sequence number");
        }
        writer.join().unwrap();
        assert_eq!(words[1].load(Relaxed), 7, "a word the writes left alone");
    });
}

/// A writer that dies mid-write: readers get Busy, never the half-written value;
/// a new writer's first write makes the value readable again.
#[test]
fn seqlock_dead_writer_means_busy_until_a_new_writer_writes() {
    loom::model(|| {
        let ctl = Arc::new(SeqCtl::new());
        let words: Arc<[AtomicU64; 1]> = Arc::new([AtomicU64::new(0)]);
        let (wc, ww) = (ctl.clone(), words.clone());
        thread::spawn(move || {
            let mut w = SeqWriter::new(&wc, &ww[..]);
            w.begin_and_abandon();
            ww[0].store(0xbad, Relaxed); // the half-written value
        })
        .join()
        .unwrap();
        let mut out = [0u8; 8];
        assert_eq!(
            seqlock::read(&ctl, &words[..], &mut out, 3),
            Err(seqlock::Busy)
        );
        let (wc, ww) = (ctl.clone(), words.clone());
        let reclaimer = thread::spawn(move || {
            let mut w = SeqWriter::new(&wc, &ww[..]);
            assert!(w.write(&7u64.to_ne_bytes()));
        });
        match seqlock::read(&ctl, &words[..], &mut out, 2) {
            Ok(_) => assert_eq!(u64::from_ne_bytes(out), 7, "only the new writer's value"),
            Err(seqlock::Busy) => {}
        }
        reclaimer.join().unwrap();
        assert_eq!(seqlock::read(&ctl, &words[..], &mut out, 1), Ok(4));
        assert_eq!(u64::from_ne_bytes(out), 7);
    });
}
