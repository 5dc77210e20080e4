//! `Mpsc<T, N>` between processes, on both backends, each test in a fresh IPC
//! namespace: many producers in order, producers SIGKILLed at random points
//! (every value a producer's `send` returned `Ok` for delivered once, nothing
//! duplicated, abandoned claims counted), roles after fork, the layout check.
//!
//! Knob: `SYSV_IPC_MPSC_KILLS` (producer kills in the crash test, default 40; the
//! full run uses ≥ 1000). `SYSV_IPC_SEED` replays a run.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::queue::Queue;
use sysv_ipc::shm::Segment;
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemOp, SemSet};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{TIMEOUT, fork_peer, in_ipc_namespace_timeout};

#[path = "common/examples.rs"]
mod examples;

const KEY: Key = Key::new(0x4d50_0001);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: the tests' randomness, seeded from `SYSV_IPC_SEED` or the clock.
struct Rng(u64);

impl Rng {
    fn new(test: &str) -> Rng {
        let seed = env_u64(
            "SYSV_IPC_SEED",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64,
        ) | 1;
        eprintln!("{test}: SYSV_IPC_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A value: the sending stream in the high half, its sequence number below.
fn value(stream: u64, seq: u64) -> u64 {
    stream << 32 | seq
}

type M<B> = Mpsc<u64, 64, B>;

fn create<B: Backend + Clone>(b: B, producers: usize) -> M<B> {
    let o = MpscOptions::new().producers(producers);
    M::create_with(b, KEY, Intent::CreateNew, Mode::OWNER_RW, o).unwrap()
}

fn open<B: Backend + Clone>(b: B, producers: usize) -> M<B> {
    let o = MpscOptions::new().producers(producers);
    M::create_with(b, KEY, Intent::Open, Mode::OWNER_RW, o).unwrap()
}

/// Four producer processes send 10 000 values each (blocking, into a ring of 64,
/// so they fill it and park); the consumer gets every value once, each
/// producer's in order.
fn four_producers_each_value_once_in_order<B: Backend + Clone + 'static>(b: B) {
    const PER: u64 = 10_000;
    let m = create(b.clone(), 4);
    let mut rx = m.consumer().unwrap();
    let peers: Vec<_> = (0..4u64)
        .map(|s| {
            let bb = b.clone();
            fork_peer(move || {
                let m = open(bb, 4);
                let mut tx = m.producer().unwrap();
                for seq in 0..PER {
                    tx.send_blocking(value(s, seq)).unwrap();
                }
            })
        })
        .collect();
    let mut next = [0u64; 4];
    let mut batch = 0;
    for i in 0..4 * PER {
        // Singles and batches.
        if i % 5 == 0 {
            batch += rx
                .recv_with(16, |v| {
                    let (s, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
                    assert_eq!(seq, next[s], "stream {s}: lost, duplicated or out of order");
                    next[s] += 1;
                })
                .unwrap();
        }
        if next.iter().sum::<u64>() == 4 * PER {
            break;
        }
        let v = rx.recv_timeout(TIMEOUT).unwrap();
        let (s, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
        assert_eq!(seq, next[s], "stream {s}: lost, duplicated or out of order");
        next[s] += 1;
        if next.iter().sum::<u64>() == 4 * PER {
            break;
        }
    }
    assert_eq!(next, [PER; 4]);
    assert!(batch > 0, "the batch form took some");
    for p in peers {
        p.join();
    }
    assert_eq!(rx.recv().unwrap(), None);
    assert_eq!(
        (rx.abandoned(), m.registered().unwrap(), m.alive().unwrap()),
        (0, 0, 0)
    );
    m.remove().unwrap();
}

/// Eight producer processes stream while the test SIGKILLs one at random points
/// (`SYSV_IPC_MPSC_KILLS` in all) and starts a new one in its place, each
/// incarnation a new stream. Every producer logs in a separate segment how many
/// of its sends returned `Ok`. The consumer, never wedged (every receive has a
/// deadline), gets each stream in order without duplicates; at the end, each
/// stream delivered every value its producer acknowledged and at most the one
/// more it was killed sending; the abandoned claims are at most one per kill.
fn eight_producers_killed_at_random<B: Backend + Clone + 'static>(b: B) {
    const P: usize = 8;
    let kills = env_u64("SYSV_IPC_MPSC_KILLS", 40);
    let mut rng = Rng::new("eight_producers_killed_at_random");
    let streams = kills as usize + P;
    let m = create(b.clone(), P);
    let acks_seg = Segment::create_in(
        b.clone(),
        Key::PRIVATE,
        16 * streams,
        Intent::CreateNew,
        Mode::OWNER_RW,
    )
    .unwrap();
    // Mapped before the forks, so every producer shares it.
    let acks = acks_seg.attach().unwrap();
    let mut rx = m.consumer().unwrap();
    rx.set_peer_check(Some(Duration::from_millis(5)));
    // An incarnation given `stall = Some(k)` sends `k` values, then claims a
    // position and never publishes it (flagging that in the second half of the
    // log), as a producer killed between claim and publish: those kills are
    // known to leave an abandoned claim each.
    let spawn = |s: u64, stall: Option<u64>| {
        let bb = b.clone();
        let acks = &acks;
        fork_peer(move || {
            let m = open(bb, P);
            let mut tx = m.producer().unwrap();
            let ack = acks.atomic_u64(8 * s as usize).unwrap();
            for seq in 0.. {
                if stall == Some(seq) {
                    while !tx.claim_and_stall().unwrap() {
                        std::hint::spin_loop();
                    }
                    let flag = acks.atomic_u64(8 * (streams + s as usize)).unwrap();
                    flag.store(1, Ordering::Release);
                    loop {
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
                if seq % 7 == 3 {
                    // Now and then the non-blocking form, to die in it too.
                    while let Err(e) = tx.send(value(s, seq)) {
                        assert!(e.is_full(), "{e}");
                        std::hint::spin_loop();
                    }
                } else {
                    tx.send_blocking(value(s, seq)).unwrap();
                }
                ack.store(seq + 1, Ordering::Release);
            }
        })
    };
    let stall = |rng: &mut Rng| (rng.below(4) == 0).then(|| rng.below(50));
    let mut live: Vec<(u64, sysv_ipc_testkit::Peer)> = (0..P as u64)
        .map(|s| (s, spawn(s, stall(&mut rng))))
        .collect();
    let stalled = |s: u64| acks.load_u64(8 * (streams + s as usize)) == Some(1);
    let mut next_stream = P as u64;
    let mut delivered: HashMap<u64, u64> = HashMap::new();
    let take = |v: u64, delivered: &mut HashMap<u64, u64>| {
        let (s, seq) = (v >> 32, v & 0xffff_ffff);
        let d = delivered.entry(s).or_insert(0);
        assert_eq!(seq, *d, "stream {s}: lost, duplicated or out of order");
        *d += 1;
    };
    let mut killed = 0;
    // Kills of producers known to hold an unpublished claim.
    let mut known = 0;
    let start = Instant::now();
    while killed < kills {
        // Receive a random number of values (a burst, or none: the producers
        // then fill the ring and park), then kill one producer at a random
        // moment. A stalled claim at the head holds the consumer (its claimer
        // lives): the burst ends at a short timeout, and a stalled producer is
        // the next victim.
        let n = rng.below(300);
        for _ in 0..n {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(v) => take(v, &mut delivered),
                Err(e) if e.kind() == ErrorKind::TimedOut => break,
                Err(e) => panic!("{e}"),
            }
        }
        std::thread::sleep(Duration::from_micros(rng.below(500)));
        let victim = live
            .iter()
            .position(|&(s, _)| stalled(s))
            .unwrap_or_else(|| rng.below(P as u64) as usize);
        let (s, peer) = live.swap_remove(victim);
        let was_stalled = stalled(s);
        drop(peer); // SIGKILL and reap: the kernel frees its seat
        known += u64::from(was_stalled);
        killed += 1;
        live.push((next_stream, spawn(next_stream, stall(&mut rng))));
        next_stream += 1;
    }
    for (s, peer) in live.drain(..) {
        let was_stalled = stalled(s);
        drop(peer);
        known += u64::from(was_stalled);
    }
    assert_eq!(m.alive().unwrap(), 0);
    // Drain: claims left by the last kills are skipped, then the ring is empty.
    let deadline = Instant::now() + TIMEOUT;
    while let Some(v) = rx.recv().unwrap() {
        take(v, &mut delivered);
        assert!(Instant::now() < deadline, "drained in time");
    }
    let mut total = 0;
    for s in 0..next_stream {
        let acked = acks.load_u64(8 * s as usize).unwrap();
        let got = delivered.get(&s).copied().unwrap_or(0);
        assert!(
            got == acked || got == acked + 1,
            "stream {s}: {acked} sends returned Ok, {got} delivered"
        );
        total += got;
    }
    let abandoned = rx.abandoned();
    assert!(
        (known..=kills + P as u64).contains(&abandoned),
        "{abandoned} abandoned claims for {kills} kills, {known} of them known to hold a claim"
    );
    assert_eq!(m.abandoned().unwrap(), abandoned);
    eprintln!(
        "producer kills: {kills} ({known} holding a claim), values delivered: {total}, abandoned claims skipped: {abandoned}, {:?}",
        start.elapsed()
    );
    m.remove().unwrap();
    acks_seg.remove().unwrap();
}

/// A forked child's inherited sender and receiver belong to the parent:
/// `WrongProcess`, the value back; the parent's roles still work.
fn roles_after_fork_are_the_parents<B: Backend + Clone + 'static>(b: B) {
    let m = create(b.clone(), 2);
    let mut tx = m.producer().unwrap();
    let mut rx = m.consumer().unwrap();
    fork_peer(|| {
        let e = tx.send(4).unwrap_err();
        assert_eq!((e.kind(), e.into_inner()), (ErrorKind::WrongProcess, 4));
        assert_eq!(rx.recv().unwrap_err().kind(), ErrorKind::WrongProcess);
        // Dropping the child's copies releases nothing of the parent's (the
        // parent's own values stay with it: the copies are bitwise, as fork's).
        // SAFETY: the child's copy is dropped once, here; the parent's original
        // is in the parent's memory, which the child's drop does not touch.
        drop(unsafe { std::ptr::read(&tx) });
        // SAFETY: as above.
        drop(unsafe { std::ptr::read(&rx) });
    })
    .join();
    assert_eq!((m.registered().unwrap(), m.alive().unwrap()), (1, 1));
    tx.send(5).unwrap();
    assert_eq!(rx.recv().unwrap(), Some(5));
    drop(tx);
    drop(rx);
    m.remove().unwrap();
}

/// The header handshake refuses another kind, `T`, `N` or producer bound.
fn layout_mismatch<B: Backend + Clone + 'static>(b: B) {
    let m = create(b.clone(), 3);
    let kind = |r: sysv_ipc::Result<()>| r.unwrap_err().kind();
    assert_eq!(
        kind(Queue::<u64, 64, B>::open_in(b.clone(), KEY).map(drop)),
        ErrorKind::LayoutMismatch
    );
    assert_eq!(
        kind(M::open_in(b.clone(), KEY).map(drop)),
        ErrorKind::LayoutMismatch
    ); // P 8
    let o = MpscOptions::new().producers(3);
    let other_t = Mpsc::<u32, 64, B>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, o);
    assert_eq!(kind(other_t.map(drop)), ErrorKind::LayoutMismatch);
    let other_n = Mpsc::<u64, 32, B>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, o);
    assert_eq!(kind(other_n.map(drop)), ErrorKind::LayoutMismatch);
    assert_eq!(open(b.clone(), 3).producers(), 3);
    m.remove().unwrap();
    // And a queue is not an Mpsc.
    let q =
        Queue::<u64, 64, B>::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let e = M::create_with(b, KEY, Intent::Open, Mode::OWNER_RW, MpscOptions::new());
    assert_eq!(kind(e.map(drop)), ErrorKind::LayoutMismatch);
    q.remove().unwrap();
}

/// A producer killed holding its seat: the seat is freed by the kernel and taken
/// by the next producer (`RoleTaken` never lingers); once every producer is gone
/// after one died, a parked receive ends in `PeerDied`.
fn dead_producers_seats_reused_and_peer_died<B: Backend + Clone + 'static>(b: B) {
    let m = create(b.clone(), 1);
    let mut rx = m.consumer().unwrap();
    rx.set_peer_check(Some(Duration::from_millis(5)));
    let bb = b.clone();
    let peer = fork_peer(move || {
        let m = open(bb, 1);
        let mut tx = m.producer().unwrap();
        tx.send(1).unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    assert_eq!(rx.recv_timeout(TIMEOUT).unwrap(), 1);
    assert_eq!(m.producer().unwrap_err().kind(), ErrorKind::RoleTaken);
    drop(peer);
    assert_eq!((m.registered().unwrap(), m.alive().unwrap()), (1, 0));
    let e = rx.recv_timeout(TIMEOUT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
    // The dead producer's seat goes to the next one.
    let mut tx = m.producer().unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.recv_timeout(TIMEOUT).unwrap(), 2);
    drop(tx);
    drop(rx);
    m.remove().unwrap();
}

/// Every semaphore value of the set under `KEY`, and how many processes wait on
/// any of them.
fn sem_state<B: Backend + Clone>(b: &B) -> (Vec<u16>, usize) {
    let set = SemSet::open_in(b.clone(), KEY).unwrap();
    let n = set.stat().unwrap().nsems;
    let mut values = vec![0; n];
    set.get_all(&mut values).unwrap();
    let waiting = (0..n as u16)
        .map(|i| set.waiting_for_increase(i).unwrap())
        .sum();
    (values, waiting)
}

/// A consumer parked on a claim whose producer process is SIGKILLed, with no
/// peer check at all: the death itself wakes it (the `SEM_UNDO` post each
/// producer process arms), it skips the claim, counts it, and takes the value
/// behind it. A producer process that leaves cleanly posts nothing at its exit;
/// one that exits holding its seat posts once.
fn producer_death_wakes_the_parked_consumer<B: Backend + Clone + Send + 'static>(b: B) {
    let m = create(b.clone(), 2);
    let mut rx = m.consumer().unwrap();
    rx.set_spins(0);
    rx.set_peer_check(None);
    let claimed = SemSet::create_in(
        b.clone(),
        Key::PRIVATE,
        1,
        Intent::CreateNew,
        Mode::OWNER_RW,
    )
    .unwrap();
    let (bb, signal) = (b.clone(), &claimed);
    let claimer = fork_peer(move || {
        let m = open(bb, 2);
        let mut tx = m.producer().unwrap();
        assert!(tx.claim_and_stall().unwrap()); // position 0, never published
        signal.op(&[SemOp::post(0)]).unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    claimed.op(&[SemOp::wait(0)]).unwrap();
    let mut tx = m.producer().unwrap();
    tx.send(7).unwrap(); // position 1, behind the stalled claim
    std::thread::scope(|s| {
        let parked = s.spawn(|| rx.recv_timeout(TIMEOUT));
        let start = Instant::now();
        while sem_state(&b).1 == 0 {
            assert!(start.elapsed() < TIMEOUT, "the consumer never parked");
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(claimer); // SIGKILL
        assert_eq!(parked.join().unwrap().unwrap(), 7, "woken by the death");
    });
    assert_eq!(rx.abandoned(), 1);
    drop(tx);
    // Nobody parked now: a clean leave posts nothing at exit, a producer that
    // exits holding its seat posts the consumer's semaphore once.
    let before = sem_state(&b).0;
    let bb = b.clone();
    fork_peer(move || drop(open(bb, 2).producer().unwrap())).join();
    assert_eq!(sem_state(&b).0, before, "a clean leave posts nothing");
    let bb = b.clone();
    fork_peer(move || std::mem::forget(open(bb, 2).producer().unwrap())).join();
    let after = sem_state(&b).0;
    let sum = |v: &[u16]| v.iter().map(|&x| u64::from(x)).sum::<u64>();
    assert_eq!(sum(&after), sum(&before) + 1, "{before:?} -> {after:?}");
    drop(rx);
    m.remove().unwrap();
}

/// The example `mpsc_producer` (`tests/common/examples.rs`: beside this test's
/// binary, or copied where `.ci/unprivileged` runs the suite as another user).
fn producer_program() -> std::path::PathBuf {
    examples::example("mpsc_producer")
}

/// Three separately started producer programs (their own binary, not forks)
/// join the consumer's queue by key; every value arrives once, in order per
/// program, and each program exits 0.
fn separately_started_programs() {
    const PER: u64 = 5_000;
    let bin = producer_program();
    in_ipc_namespace_timeout(Duration::from_secs(600), || {
        let key = Key::new(0x4d50_0002);
        let o = MpscOptions::new().producers(4);
        let b = sysv_ipc::DefaultBackend::default();
        let m =
            Mpsc::<u64, 64>::create_with(b, key, Intent::OpenOrCreate, Mode::OWNER_RW, o).unwrap();
        let mut rx = m.consumer().unwrap();
        let children: Vec<_> = (0..3u64)
            .map(|s| {
                std::process::Command::new(&bin)
                    .args(["4d500002", &s.to_string(), &PER.to_string()])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start mpsc_producer")
            })
            .collect();
        let mut next = [0u64; 3];
        for _ in 0..3 * PER {
            let v = rx.recv_timeout(TIMEOUT).expect("a value from the programs");
            let (s, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
            assert_eq!(
                seq, next[s],
                "program {s}: lost, duplicated or out of order"
            );
            next[s] += 1;
        }
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "mpsc_producer: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(rx.recv().unwrap(), None);
        drop(rx);
        m.remove().unwrap();
    });
}

#[test]
fn separately_started_producer_programs() {
    separately_started_programs();
}

fn in_namespace<B: Backend + Clone + 'static>(b: B, test: fn(B)) {
    in_ipc_namespace_timeout(Duration::from_secs(600), || test(b));
}

macro_rules! both {
    ($($test:ident),* $(,)?) => {
        mod linux_raw {
            $( #[test] fn $test() { super::in_namespace(super::LinuxRaw, super::$test); } )*
        }
        mod libc {
            $( #[test] fn $test() { super::in_namespace(super::Libc, super::$test); } )*
        }
    };
}

both!(
    four_producers_each_value_once_in_order,
    eight_producers_killed_at_random,
    roles_after_fork_are_the_parents,
    layout_mismatch,
    dead_producers_seats_reused_and_peer_died,
    producer_death_wakes_the_parked_consumer,
);
