//! loom models of the many-producer ring (`layout::mpsc`): delivery exactly once
//! and in each producer's order, a producer killed between its claim and its
//! publish (skipped, counted, nothing else lost), a slow producer (never
//! skipped), and the park/wake protocol on both sides with both barrier pairs.
//!
//! Each "process" is a loom thread; the segment is ordinary memory holding loom
//! atomics. Run with
//!
//! ```sh
//! CARGO_TARGET_DIR=target-loom LOOM_MAX_PREEMPTIONS=3 \
//!     RUSTFLAGS="--cfg loom" cargo test --release --test loom_mpsc
//! ```
//!
//! Models are tiny on purpose (capacity 1 or 2, two producers of one or two
//! values, one consumer): loom explores every interleaving up to the preemption
//! bound, and each extra operation multiplies the run time.
//!
//! Each model was shown to fail with one ordering of `src/layout/mpsc.rs`
//! weakened (edited, run, reverted); the doc of each model names it. Spinning
//! forms of the delivery and kill models ran for minutes (loom re-reads stale
//! values in a spin loop many times), so every side here blocks instead.
//!
//! The payload words are atomics and loom has no load buffering, so a producer
//! rewriting a slot the consumer is still reading showed nowhere: every write
//! and read of a payload also goes through a plain shadow cell
//! (`loom::cell::UnsafeCell`, [`Mem::write`] and [`Mem::read`]), whose
//! unordered accesses loom reports ("Causality violation: Concurrent read and
//! write accesses to `UnsafeCell`"). The orderings that hand a slot over, each
//! made Relaxed in turn with the shadow in place (`LOOM_MAX_PREEMPTIONS=3`):
//!
//! | ordering | models that fail |
//! |---|---|
//! | `MpscConsumer::pop_one`: Release store of `FREE(k + N)` | `single_pops` (causality; none before the shadow) |
//! | `MpscConsumer::release`: Release store of `FREE(k + N)` | `producer_park` (both barriers), `single_pops`, `two_producers_deliver`, `two_producers_park`, `two_producers_parked_at_once` (causality); `slow_producer`, `consumer_parked_on_a_dead_claim` (`reserve` finds `Corrupt`) |
//! | `MpscProducer::reserve`: Acquire load of `seq` | the same eight |
//! | `MpscProducer::finish`: Release store of PUBLISHED | see the models' docs |
#![cfg(loom)]

use loom::sync::atomic::{AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use loom::sync::atomic::{Ordering::SeqCst, fence};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
use sysv_ipc::layout::ring::{Barrier, Parking, WAITING_WORD};

#[path = "common/shadow.rs"]
mod shadow;
use shadow::Shadows;

#[path = "common/futex.rs"]
mod futex;
use futex::Futex;

/// `loom::model` with room for the consumer's and the producers' retry loops:
/// a spinning side may re-read a stale value many times before loom makes it
/// see the newer one, which exceeds loom's default 1000 branches.
///
/// Models of three threads (two producers and the consumer) run at a
/// preemption bound of 2 whatever `LOOM_MAX_PREEMPTIONS` says: at 3 each takes
/// from 2 to over 5 minutes on a 2-vCPU host.
fn model(f: impl Fn() + Sync + Send + 'static) {
    model_bounded(2, f);
}

/// `loom::model` with room for retry loops and at most `max_bound` preemptions.
fn model_bounded(max_bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.max_branches = 100_000;
    let bound = builder
        .preemption_bound
        .unwrap_or(usize::MAX)
        .min(max_bound);
    builder.preemption_bound = (bound != usize::MAX).then_some(bound);
    builder.check(f);
}

/// Producer entries in every model.
const P: usize = 2;

/// A ring of N slots of one payload word, two producer entries, the test's
/// view of which entry's process is dead (entry + 1; 0: none), and a plain
/// shadow of each word (`tests/common/shadow.rs`; [`Mem::write`], [`Mem::read`]).
struct Mem<const N: usize> {
    ctl: MpscCtl,
    data: Vec<AtomicU64>,
    dead: AtomicU64,
    shadow: Shadows,
}

impl<const N: usize> Mem<N> {
    /// A producer's write of `v` into `slot`: the shadow, then the word.
    fn write(&self, slot: &[AtomicU64], v: u64) {
        self.shadow.write(&self.data, slot, v);
        slot[0].store(v, Relaxed);
    }

    /// A consumer's read of `slot`: the word, and the shadow, which agrees.
    fn read(&self, slot: &[AtomicU64]) -> u64 {
        let v = slot[0].load(Relaxed);
        self.shadow.check(&self.data, slot, v);
        v
    }
}

fn mem<const N: usize>(barrier: Barrier) -> Arc<Mem<N>> {
    let m = Mem {
        ctl: MpscCtl::new(),
        data: (0..MpscRing::<N>::words(P, 1))
            .map(|_| AtomicU64::new(0))
            .collect(),
        dead: AtomicU64::new(0),
        shadow: Shadows::new(MpscRing::<N>::words(P, 1)),
    };
    ring(&m).init(barrier);
    Arc::new(m)
}

fn ring<const N: usize>(m: &Mem<N>) -> MpscRing<'_, N> {
    MpscRing::new(&m.ctl, &m.data, P, 1).unwrap()
}

/// Parking that never sleeps (the non-blocking models); liveness from `dead`.
struct Spin<'a> {
    dead: &'a AtomicU64,
}

impl Parking for Spin<'_> {
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

impl ConsumerParking for Spin<'_> {
    /// The typed layer's `SEM_UNDO` check: Acquire pairs with the Release store
    /// the "kernel" makes after the process's last store (below).
    fn is_alive(&mut self, producer: usize, _: u64) -> bool {
        self.dead.load(Acquire) != producer as u64 + 1
    }
    fn unpark_producer(&mut self, _: usize) {}
}

/// Value `v` of producer `id`, as stored in a slot.
fn value(id: u64, v: u64) -> u64 {
    id << 8 | v
}

/// Pushes `values` for producer `id`, retrying while full.
fn produce<const N: usize>(m: &Mem<N>, id: u64, values: &[u64]) {
    let park = &mut Spin { dead: &m.dead };
    let mut p = MpscProducer::register(ring(m), id, park).unwrap();
    for &v in values {
        while !p.push(|s| m.write(s, value(id, v)), park).unwrap() {
            thread::yield_now();
        }
    }
}

/// Pops until `total` values came, checking each producer's order; returns them.
fn consume_until<const N: usize>(
    c: &mut MpscConsumer<'_, N>,
    m: &Mem<N>,
    total: usize,
    max: usize,
    mut check: impl FnMut(&MpscConsumer<'_, N>),
) -> Vec<u64> {
    let park = &mut Spin { dead: &m.dead };
    let mut got = Vec::new();
    while got.len() < total {
        let n = c.pop(max, |_, s| got.push(m.read(s)), park).unwrap();
        check(c);
        if n == 0 {
            thread::yield_now();
        }
    }
    got
}

/// A slow but alive producer: it claims, yields (as if descheduled) before
/// writing and publishing; another producer publishes behind it. The consumer
/// polls meanwhile, and must never skip the slow claim: it gets both values,
/// the slow one first, and counts no skip.
///
/// Fails (a live claim skipped) with the consumer's load of `tail` in
/// `MpscConsumer::at_head` Relaxed instead of Acquire, and with the claim's
/// compare-exchange of `tail` in `MpscProducer::reserve`
/// Relaxed instead of Release: the consumer sees `tail` past the slow claim but
/// not the slow producer's announcement, finds no live claimer and skips it.
#[test]
fn mpsc_slow_producer_is_never_skipped() {
    model(|| {
        let m = mem::<2>(Barrier::Symmetric);
        let ms = m.clone();
        let slow = thread::spawn(move || {
            let park = &mut Spin { dead: &ms.dead };
            let mut p = MpscProducer::register(ring(&ms), 1, park).unwrap();
            assert!(p.reserve().unwrap());
            thread::yield_now();
            ms.write(p.reserved(), value(1, 1));
            assert!(p.commit(park));
        });
        let mf = m.clone();
        let fast = thread::spawn(move || produce(&mf, 2, &[1]));
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        let got = consume_until(&mut c, &m, 2, 2, |c| {
            assert_eq!(c.abandoned(), 0, "a live claim was skipped")
        });
        assert_eq!(got.len(), 2);
        assert!(
            got.contains(&value(1, 1)) && got.contains(&value(2, 1)),
            "{got:?}"
        );
        slow.join().unwrap();
        fast.join().unwrap();
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

    fn try_wait(&self) -> bool {
        let mut n = self.count.lock().unwrap();
        let had = *n > 0;
        if had {
            *n -= 1;
        }
        had
    }
}

/// The semaphores of a model: the consumer's, and one per producer entry.
#[derive(Clone, Default)]
struct Sems {
    consumer: Arc<Sem>,
    producers: [Arc<Sem>; P],
}

/// A side's parking: waits on `own`, wakes the consumer or producer `j`.
struct SemPark {
    own: Arc<Sem>,
    sems: Sems,
}

impl Parking for SemPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        self.own.wait();
        Ok(())
    }
    fn unpark_peer(&mut self) {
        self.sems.consumer.post();
    }
    /// The stand-in for membarrier, as in `tests/loom.rs`'s `SemPark`.
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        fence(SeqCst);
        Ok(())
    }
    fn absorb_wake(&mut self) {
        self.own.try_wait();
    }
}

impl ConsumerParking for SemPark {
    fn is_alive(&mut self, _: usize, _: u64) -> bool {
        true
    }
    fn unpark_producer(&mut self, producer: usize) {
        self.sems.producers[producer].post();
    }
}

/// Producer `i` pushes `counts[i]` values with `push_blocking`, the consumer
/// takes them all with `pop_blocking`, nobody spins: the consumer parks whenever
/// nothing is published, a producer whenever the ring is full. A lost wake-up
/// leaves a side blocked on its condvar, which loom reports as a deadlock.
fn park_wake_model<const N: usize>(barrier: Barrier, counts: &'static [u64]) {
    let producers = counts.len() as u64;
    park_wake_model_bounded::<N>(if producers > 1 { 2 } else { usize::MAX }, barrier, counts);
}

/// [`park_wake_model`] at a preemption bound of at most `max_bound`.
fn park_wake_model_bounded<const N: usize>(
    max_bound: usize,
    barrier: Barrier,
    counts: &'static [u64],
) {
    let producers = counts.len() as u64;
    model_bounded(max_bound, move || {
        let m = mem::<N>(barrier);
        let sems = Sems::default();
        let threads: Vec<_> = (1..=producers)
            .map(|id| {
                let (m, sems) = (m.clone(), sems.clone());
                thread::spawn(move || {
                    // Registration wakes the consumer if it parked: any park works.
                    let mut park = SemPark {
                        own: sems.consumer.clone(),
                        sems: sems.clone(),
                    };
                    let mut p = MpscProducer::register(ring(&m), id, &mut park).unwrap();
                    park.own = sems.producers[p.index()].clone();
                    for v in 1..=counts[id as usize - 1] {
                        p.push_blocking(0, |s| m.write(s, value(id, v)), &mut park)
                            .unwrap();
                    }
                })
            })
            .collect();
        let mut park = SemPark {
            own: sems.consumer.clone(),
            sems: sems.clone(),
        };
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        let mut got = Vec::new();
        while got.len() < counts.iter().sum::<u64>() as usize {
            c.pop_blocking(2, 0, |_, s| got.push(m.read(s)), &mut park)
                .unwrap();
        }
        for id in 1..=producers {
            let of: Vec<u64> = got.iter().copied().filter(|v| v >> 8 == id).collect();
            let want: Vec<u64> = (1..=counts[id as usize - 1])
                .map(|v| value(id, v))
                .collect();
            assert_eq!(of, want, "producer {id}: {got:?}");
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(c.abandoned(), 0);
        assert_eq!(m.ctl.producers_waiting.load(Relaxed), 0);
    });
}

/// One producer, two values, a ring of 2 (never full): the consumer parks on
/// the empty ring and is woken by a publish.
///
/// Fails (deadlock) with the SeqCst fence in `block` removed; fails (the
/// second value read as 0) with the publish in `MpscProducer::finish` Relaxed.
#[test]
fn mpsc_consumer_park_no_lost_wakeup() {
    park_wake_model::<2>(Barrier::Symmetric, &[2]);
}

#[test]
fn mpsc_consumer_park_asymmetric_no_lost_wakeup() {
    park_wake_model::<2>(Barrier::Asymmetric, &[2]);
}

/// Capacity 1: the producer parks on the full ring after its first value, the
/// consumer on the empty one.
///
/// Fails (deadlock) with the SeqCst fence in `MpscConsumer::advance` removed,
/// and with the one in `block`; fails (a value read as 0) with the publish in
/// `MpscProducer::finish` Relaxed.
#[test]
fn mpsc_producer_park_no_lost_wakeup() {
    park_wake_model::<1>(Barrier::Symmetric, &[2]);
}

#[test]
fn mpsc_producer_park_asymmetric_no_lost_wakeup() {
    park_wake_model::<1>(Barrier::Asymmetric, &[2]);
}

/// Two producers (two values and one) through a ring of 2, blocking on both sides:
/// every value exactly once, each producer's in its order, whatever the
/// interleaving of the claims (the compare-exchange losers retry), through
/// full, empty and wrap-around.
///
/// Fails (a value read twice) with the publish in `MpscProducer::finish`
/// Relaxed.
#[test]
fn mpsc_two_producers_deliver_each_value_once_in_order() {
    park_wake_model::<2>(Barrier::Symmetric, &[2, 1]);
}

/// Two producers of one value each into a ring of 1: the second claimer parks
/// on the full ring (its bit in `producers_waiting`), the consumer on the empty
/// one, and every wake reaches the right side.
///
/// Fails (deadlock) with the SeqCst fence in `MpscConsumer::advance` removed;
/// fails (a value delivered twice) with the consumer's Release store of
/// `FREE(k + N)` in `MpscConsumer::release` Relaxed.
#[test]
fn mpsc_two_producers_park_no_lost_wakeup() {
    park_wake_model::<1>(Barrier::Symmetric, &[1, 1]);
}

/// One producer, two values through a ring of 1, the consumer taking one per
/// call (`MpscConsumer::pop_one`'s own path, and its hand-back of the slot the
/// producer then reuses): both values, in order, each once.
///
/// Fails (a value read as 0) with `pop_one`'s Acquire load of the slot's `seq`
/// Relaxed; fails (causality violation on the slot's shadow: the producer's
/// second write races the consumer's read of the first value) with its Release
/// store of `FREE(k + N)` Relaxed, which without the shadow needed load
/// buffering to show (loom produces none) and was not caught.
#[test]
fn mpsc_single_pops_take_each_value_once() {
    loom::model(|| {
        let m = mem::<1>(Barrier::Symmetric);
        let mp = m.clone();
        let producer = thread::spawn(move || produce(&mp, 1, &[1, 2]));
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        let got = consume_until(&mut c, &m, 2, 1, |_| {});
        assert_eq!(got, [value(1, 1), value(1, 2)]);
        producer.join().unwrap();
    });
}

/// A producer claims, cancels, then publishes; the consumer blocks meanwhile.
/// The cancelled position is skipped without a message and without being
/// counted as abandoned, and the value comes exactly once.
///
/// Fails (the value read as 0) with the publish/cancel store in
/// `MpscProducer::finish` Relaxed.
#[test]
fn mpsc_cancelled_claim_is_skipped_not_counted() {
    loom::model(|| {
        let m = mem::<2>(Barrier::Symmetric);
        let sems = Sems::default();
        let (mp, sp) = (m.clone(), sems.clone());
        let producer = thread::spawn(move || {
            let mut park = SemPark {
                own: sp.consumer.clone(),
                sems: sp.clone(),
            };
            let mut p = MpscProducer::register(ring(&mp), 1, &mut park).unwrap();
            park.own = sp.producers[p.index()].clone();
            assert!(p.reserve().unwrap());
            mp.write(p.reserved(), 0xbad);
            assert!(p.cancel(&mut park));
            p.push_blocking(0, |s| mp.write(s, 7), &mut park).unwrap();
        });
        let mut park = SemPark {
            own: sems.consumer.clone(),
            sems: sems.clone(),
        };
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        let mut got = Vec::new();
        c.pop_blocking(2, 0, |_, s| got.push(m.read(s)), &mut park)
            .unwrap();
        assert_eq!(got, [7]);
        producer.join().unwrap();
        assert_eq!(c.pop(2, |_, _| unreachable!(), &mut park), Ok(0));
        assert_eq!(c.abandoned(), 0);
    });
}

/// A consumer parked on a claim whose producer is killed: the kill is seen by
/// the consumer through the post the kernel makes on the death (a `SEM_UNDO`
/// adjustment of the consumer's semaphore, taken at registration), after which
/// it skips the claim and takes the live producer's value. No spin anywhere:
/// a missing wake deadlocks.
///
/// Fails (deadlock: a live claim taken for the dead one's and skipped, then
/// waited for) with the consumer's load of `tail` in `MpscConsumer::at_head`
/// Relaxed, and with the claim's compare-exchange of `tail` Relaxed.
///
/// Not caught by any model: the announcement's store of `claim` in
/// `MpscProducer::reserve` Relaxed instead of Release (the compare-exchange's
/// Release that follows already orders it before the claim is seen).
#[test]
fn mpsc_consumer_parked_on_a_dead_claim_is_woken_and_skips_it() {
    struct DeadPark<'a> {
        inner: SemPark,
        dead: &'a AtomicU64,
    }
    impl Parking for DeadPark<'_> {
        type Error = ();
        fn park(&mut self) -> Result<(), ()> {
            self.inner.park()
        }
        fn unpark_peer(&mut self) {}
        fn heavy_barrier(&mut self) -> Result<(), ()> {
            self.inner.heavy_barrier()
        }
        fn absorb_wake(&mut self) {
            self.inner.absorb_wake()
        }
    }
    impl ConsumerParking for DeadPark<'_> {
        fn is_alive(&mut self, producer: usize, _: u64) -> bool {
            self.dead.load(Acquire) != producer as u64 + 1
        }
        fn unpark_producer(&mut self, producer: usize) {
            self.inner.unpark_producer(producer)
        }
    }
    model(|| {
        let m = mem::<2>(Barrier::Symmetric);
        let sems = Sems::default();
        let (mk, sk) = (m.clone(), sems.clone());
        let killed = thread::spawn(move || {
            let mut park = SemPark {
                own: sk.consumer.clone(),
                sems: sk.clone(),
            };
            let mut p = MpscProducer::register(ring(&mk), 9, &mut park).unwrap();
            assert!(p.reserve().unwrap());
            let index = p.index();
            let _killed = p; // killed
            // The kernel: undo (dead), then the undo's post of the consumer.
            mk.dead.store(index as u64 + 1, Release);
            sk.consumer.post();
            index
        });
        let (ml, sl) = (m.clone(), sems.clone());
        let live = thread::spawn(move || {
            let mut park = SemPark {
                own: sl.consumer.clone(),
                sems: sl.clone(),
            };
            let mut p = MpscProducer::register(ring(&ml), 1, &mut park).unwrap();
            park.own = sl.producers[p.index()].clone();
            p.push_blocking(0, |s| ml.write(s, 7), &mut park).unwrap();
        });
        let mut park = DeadPark {
            inner: SemPark {
                own: sems.consumer.clone(),
                sems: sems.clone(),
            },
            dead: &m.dead,
        };
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        let mut got = 0;
        assert_eq!(
            c.pop_blocking(1, 0, |_, s| got = m.read(s), &mut park),
            Ok(1)
        );
        assert_eq!(got, 7);
        let dead = killed.join().unwrap();
        live.join().unwrap();
        // The dead claim comes before or after 7; either way it is skipped once
        // the ring is looked at again, and reported once.
        assert_eq!(c.pop(1, |_, _| unreachable!(), &mut park), Ok(0));
        assert_eq!(c.abandoned(), 1);
        // The dead entry is reclaimed and taken by a new producer: its claims
        // are not confused with the dead one's, nothing is skipped again.
        let reg = ring(&m).registration(dead).unwrap();
        assert!(ring(&m).reclaim(dead, reg));
        m.dead.store(0, Release);
        let mut again = MpscProducer::register(ring(&m), 3, &mut park).unwrap();
        assert_eq!((again.index(), again.registration()), (dead, reg + 2));
        assert_eq!(again.push(|s| m.write(s, 8), &mut park), Ok(true));
        let mut next = 0;
        assert_eq!(c.pop(2, |_, s| next = m.read(s), &mut park), Ok(1));
        assert_eq!((next, c.abandoned()), (8, 1));
    });
}

/// Two producers parked on the full ring at once: a ring of 1, producer 0 sends
/// two values and producer 1 one, so after the first publish both may find the
/// ring full and set their bits in `producers_waiting` before the consumer
/// frees the slot; the consumer's swap of the word must wake both (or leave the
/// one it does not clear to a later wake), and every value comes once, in each
/// producer's order.
///
/// Fails (deadlock) with the SeqCst fence in `MpscConsumer::advance` removed,
/// already at 1 preemption.
///
/// At 2 preemptions this model took 30 minutes on the 2-vCPU host under load
/// (about 5 of CPU), so it runs at 1 unless `SYSV_IPC_LOOM_FULL=1` (passed at
/// 2 there).
#[test]
fn mpsc_two_producers_parked_at_once_are_both_woken() {
    let full = std::env::var("SYSV_IPC_LOOM_FULL").is_ok_and(|v| v == "1");
    park_wake_model_bounded::<1>(if full { 2 } else { 1 }, Barrier::Symmetric, &[2, 1]);
}

/// Two processes take over the same dead producer's entry at once, each having
/// found it dead: exactly one reclaim wins, and the registrations the two make
/// afterwards land in different entries; the reclaimed entry's new registration
/// is the dead one's plus 2 (a claim of the dead registration can never be
/// taken for the new one's).
///
/// Fails (two reclaims win) with `MpscRing::reclaim`'s compare-exchange split
/// into a load and a store.
#[test]
fn mpsc_concurrent_takeover_of_a_dead_entry() {
    loom::model(|| {
        let m = mem::<2>(Barrier::Symmetric);
        let sems = Sems::default();
        let mut park = SemPark {
            own: sems.consumer.clone(),
            sems: sems.clone(),
        };
        let dead = MpscProducer::register(ring(&m), 9, &mut park).unwrap();
        let (index, reg) = (dead.index(), dead.registration());
        let _killed = dead; // killed: its entry stays registered
        let takers: Vec<_> = (0..2u64)
            .map(|t| {
                let (m, s) = (m.clone(), sems.clone());
                thread::spawn(move || {
                    let won = ring(&m).reclaim(index, reg);
                    let mut park = SemPark {
                        own: s.consumer.clone(),
                        sems: s.clone(),
                    };
                    let p = MpscProducer::register(ring(&m), 10 + t, &mut park).unwrap();
                    (won, p.index(), p.registration())
                })
            })
            .collect();
        let r: Vec<_> = takers.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(r.iter().filter(|x| x.0).count(), 1, "one reclaim wins");
        assert_ne!(r[0].1, r[1].1, "two registrations, two entries");
        let renewed = r
            .iter()
            .find(|x| x.1 == index)
            .expect("the dead entry reused");
        assert_eq!(renewed.2, reg + 2);
    });
}

/// A side's parking that can also futex-wake an asynchronous producer.
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

impl ConsumerParking for MixedPark {
    fn is_alive(&mut self, producer: usize, registration: u64) -> bool {
        self.sem.is_alive(producer, registration)
    }
    fn unpark_producer(&mut self, producer: usize) {
        self.sem.unpark_producer(producer);
    }
}

/// The asynchronous producer wait (layout version 7): producer 1 pushes `items`
/// values into a ring of 1 and, finding it full, arms (its entry's `wait` word,
/// then its bit) and sleeps on the word as a futex; with `blocking_producer`,
/// producer 2 parks on its semaphore beside it (one value). The consumer parks
/// on the empty ring (0 spins) and, after each release, must futex-wake the
/// first and post the second: a wake sent the wrong way leaves a producer
/// asleep, which loom reports as a deadlock.
///
/// Fails (deadlock, symmetric model) with the SeqCst fence in
/// `MpscProducer::arm` removed. Not caught, and not needed against a lost
/// wake: the consumer's Acquire swap of `producers_waiting` made Relaxed. For a
/// producer that goes to sleep, the fence pair already orders its `wait` store
/// before the consumer's look; the Acquire matters to one that withdraws (its
/// re-check found room): without it the consumer may read `wait` as 0 and post
/// a semaphore the withdrawal must then take back.
fn word_wait_model(barrier: Barrier, items: u64, blocking_producer: bool) {
    let bound = if blocking_producer { 2 } else { usize::MAX };
    model_bounded(bound, move || {
        let m = mem::<1>(barrier);
        let sems = Sems::default();
        let futex = Arc::new(Futex::default());
        let park_of = |own: &Arc<Sem>, sems: &Sems, futex: &Arc<Futex>| MixedPark {
            sem: SemPark {
                own: own.clone(),
                sems: sems.clone(),
            },
            futex: futex.clone(),
        };
        let (am, asems, afutex) = (m.clone(), sems.clone(), futex.clone());
        let async_producer = thread::spawn(move || {
            // Registration wakes the consumer if it parked: any park works.
            let mut apark = park_of(&asems.consumer, &asems, &afutex);
            let mut asyncp = MpscProducer::register(ring(&am), 1, &mut apark).unwrap();
            apark.sem.own = asems.producers[asyncp.index()].clone();
            for v in 1..=items {
                loop {
                    match asyncp.push(|s| am.write(s, value(1, v)), &mut apark) {
                        Ok(true) => break,
                        Ok(false) => match asyncp.arm(&mut apark) {
                            Ok(Some(word)) => afutex.wait(word, WAITING_WORD),
                            Ok(None) => {}
                            Err(e) => panic!("arm: {e:?}"),
                        },
                        Err(e) => panic!("push: {e:?}"),
                    }
                }
            }
        });
        let blocking = blocking_producer.then(|| {
            let (bm, bsems, bfutex) = (m.clone(), sems.clone(), futex.clone());
            thread::spawn(move || {
                let mut bpark = park_of(&bsems.consumer, &bsems, &bfutex);
                let mut p = MpscProducer::register(ring(&bm), 2, &mut bpark).unwrap();
                bpark.sem.own = bsems.producers[p.index()].clone();
                p.push_blocking(0, |s| bm.write(s, value(2, 1)), &mut bpark)
                    .unwrap();
            })
        });
        let mut cpark = park_of(&sems.consumer, &sems, &futex);
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        let total = items + u64::from(blocking_producer);
        let mut got = Vec::new();
        while (got.len() as u64) < total {
            c.pop_blocking(1, 0, |_, s| got.push(m.read(s)), &mut cpark)
                .unwrap();
        }
        async_producer.join().unwrap();
        if let Some(b) = blocking {
            b.join().unwrap();
        }
        let mine: Vec<u64> = got.iter().copied().filter(|v| v >> 8 == 1).collect();
        assert_eq!(mine, (1..=items).map(|v| value(1, v)).collect::<Vec<_>>());
        // Every announcement was taken or withdrawn, every word cleared.
        assert_eq!(m.ctl.producers_waiting.load(Relaxed), 0);
    });
}

#[test]
fn mpsc_word_wait_producer_no_lost_wakeup() {
    word_wait_model(Barrier::Symmetric, 2, false);
}

#[test]
fn mpsc_word_wait_producer_asymmetric_no_lost_wakeup() {
    word_wait_model(Barrier::Asymmetric, 2, false);
}

#[test]
fn mpsc_word_wait_producer_beside_a_parked_producer() {
    word_wait_model(Barrier::Symmetric, 1, true);
}
