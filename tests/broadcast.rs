//! `Broadcast` on the real kernel, through both real backends, across `fork()`ed
//! processes, each test in a fresh IPC namespace.
//!
//! Knobs: `SYSV_IPC_BROADCAST_KILLS` (reader kills in the crash tests, default 40;
//! the full run is 1000 or more), `SYSV_IPC_SEED` (the random tests' seed;
//! printed).

#[path = "common/checked.rs"]
mod checked;

use std::time::{Duration, Instant};

use checked::Msg;
use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Reader, Start};
use sysv_ipc::queue::Queue;
use sysv_ipc::{
    Backend, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemSet, ShmType, ShmView,
    type_id,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{TIMEOUT, fork_peer, in_ipc_namespace_timeout};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

const KEY: Key = Key::new(0x4243_0001);
/// A one-semaphore set the test's parent raises to tell the writer to stop.
const STOP: Key = Key::new(0x4243_0002);

type Bc<B, const N: usize> = Broadcast<Msg, N, B>;

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
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let seed = env_u64("SYSV_IPC_SEED", clock) | 1;
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

fn options(readers: usize, policy: Policy) -> BroadcastOptions {
    BroadcastOptions::new().readers(readers).policy(policy)
}

fn create<B: Backend + Clone, const N: usize>(b: B, o: BroadcastOptions) -> Bc<B, N> {
    Bc::<B, N>::create_with(b, KEY, Intent::CreateNew, Mode::OWNER_RW, o).unwrap()
}

fn open<B: Backend + Clone, const N: usize>(b: B, o: BroadcastOptions) -> Bc<B, N> {
    Bc::<B, N>::create_with(b, KEY, Intent::Open, Mode::OWNER_RW, o).unwrap()
}

/// What a reader has seen: the number of the next value it expects, checked
/// against every value it gets, and moved on by exactly each gap it is told of.
struct Stream {
    next: u64,
    /// No gap may end past this value. Lossless: a reader joined at the newest
    /// (its position `p`) has no gaps; one joined at the oldest loses only values
    /// the writer sent before it knew of the reader, all below the tail the
    /// reader read when joining, `p + N` (or below `N`, when `p` is 0); the gaps
    /// may come after values it did read. Lossy: no limit.
    limit: u64,
    values: u64,
    gaps: u64,
    missed: u64,
}

impl Stream {
    /// A reader's stream from position `next`, with no gaps ending past `limit`.
    fn new(next: u64, limit: u64) -> Stream {
        Stream {
            next,
            limit,
            values: 0,
            gaps: 0,
            missed: 0,
        }
    }

    /// The limit for a reader joined at `start` on a broadcast of `policy` and
    /// capacity `n`, at position `p`.
    fn limit(policy: Policy, start: Start, p: u64, n: usize) -> u64 {
        match (policy, start) {
            (Policy::Lossy, _) => u64::MAX,
            (Policy::Lossless, Start::Newest) => p,
            (Policy::Lossless, Start::Oldest) => p + n as u64,
        }
    }

    /// One read's outcome: `Ok(true)` a value, `Ok(false)` the end.
    fn take(&mut self, got: Result<Msg, Error>) -> bool {
        match got {
            Ok(m) => {
                m.check(self.next);
                self.next += 1;
                self.values += 1;
                true
            }
            Err(e) if e.kind() == ErrorKind::Lagged => {
                let n = e.missed().expect("a Lagged error says how many");
                assert!(n > 0, "an empty gap reported");
                assert!(
                    self.next + n <= self.limit,
                    "a lossless reader lost {n} values at {} (after {} in order), past {}",
                    self.next,
                    self.values,
                    self.limit
                );
                self.next += n;
                self.gaps += 1;
                self.missed += n;
                true
            }
            Err(e) if e.kind() == ErrorKind::Closed => false,
            Err(e) => panic!("reader: {e}"),
        }
    }
}

/// Lossy: a reader lapped by any amount is told exactly how many it missed and
/// goes on from the oldest value retained; a model of the ring gives each gap.
fn lossy_lapping_reports_exact_gaps<B: Backend + Clone>(b: B) {
    const N: usize = 8;
    let mut rng = Rng::new("lossy_lapping_reports_exact_gaps");
    let bc = create::<B, N>(b, options(2, Policy::Lossy));
    let mut tx = bc.writer().unwrap();
    let mut rx = bc.reader(Start::Newest).unwrap();
    let mut other = bc.reader(Start::Oldest).unwrap();
    let (mut tail, mut cursor) = (0u64, 0u64);
    let mut gaps = 0;
    for _ in 0..2000 {
        let sends = rng.below(3 * N as u64);
        for _ in 0..sends {
            tx.send(Msg::new(tail)).unwrap();
            tail += 1;
        }
        let reads = rng.below(2 * N as u64);
        for _ in 0..reads {
            let want_gap = (tail - cursor).saturating_sub(N as u64);
            match rx.recv() {
                Err(e) => {
                    assert_eq!((e.kind(), e.missed()), (ErrorKind::Lagged, Some(want_gap)));
                    cursor += want_gap;
                    gaps += 1;
                }
                Ok(Some(m)) => {
                    assert_eq!(want_gap, 0, "a lapped reader got a value");
                    m.check(cursor);
                    cursor += 1;
                }
                Ok(None) => assert_eq!(cursor, tail),
            }
        }
    }
    assert!(gaps > 100, "the test lapped the reader only {gaps} times");
    // The other reader, never read, is lapped once by everything but the last N.
    let e = other.recv().unwrap_err();
    assert_eq!(e.missed(), Some(tail - N as u64));
    let mut got = Vec::new();
    assert_eq!(other.recv_with(2 * N, |m| got.push(m)).unwrap(), N);
    for (i, m) in got.iter().enumerate() {
        m.check(tail - N as u64 + i as u64);
    }
    drop((rx, other, tx));
    bc.remove().unwrap();
}

/// A lossless writer and 3 reader processes: each reader sees every value, in
/// order, and the end; singles and batches on both sides.
fn lossless_fan_out_to_three_processes<B: Backend + Clone>(b: B) {
    const N: usize = 64;
    const MSGS: u64 = 100_000;
    let o = options(3, Policy::Lossless);
    let bc = create::<B, N>(b.clone(), o);
    let readers: Vec<_> = (0..3u64)
        .map(|i| {
            let b = b.clone();
            fork_peer(move || {
                let bc = open::<B, N>(b, o);
                let mut rx = bc.reader(Start::Newest).unwrap();
                let mut s = Stream::new(0, 0);
                loop {
                    // Reader i batches every i-th read.
                    if i > 0 && s.values.is_multiple_of(i + 1) {
                        let mut batch = Vec::new();
                        match rx.recv_with(16, |m| batch.push(m)) {
                            Ok(0) => {
                                if !s.take(rx.recv_blocking()) {
                                    break;
                                }
                            }
                            Ok(_) => batch.into_iter().for_each(|m| assert!(s.take(Ok(m)))),
                            Err(e) => {
                                if !s.take(Err(e)) {
                                    break;
                                }
                            }
                        }
                    } else if !s.take(rx.recv_blocking()) {
                        break;
                    }
                }
                assert_eq!((s.values, s.gaps), (MSGS, 0));
            })
        })
        .collect();
    // The writer starts once all three have joined, so each sees everything.
    let start = Instant::now();
    while bc.readers_registered().unwrap() < 3 {
        assert!(start.elapsed() < TIMEOUT, "readers did not join");
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut tx = bc.writer().unwrap();
    let mut sent = 0;
    while sent < MSGS {
        if sent % 3 == 0 {
            let n = (MSGS - sent).min(10) as usize;
            sent += tx.send_with(n, |i| Msg::new(sent + i as u64)).unwrap() as u64;
        } else {
            tx.send_blocking(Msg::new(sent)).unwrap();
            sent += 1;
        }
    }
    tx.close().unwrap();
    readers.into_iter().for_each(|r| r.join());
    bc.remove().unwrap();
}

/// A reader process for the kill tests: joins at a random end, reads with the
/// blocking call until the end, checking its stream; it may be killed anywhere.
fn kill_test_reader<B: Backend + Clone, const N: usize>(
    b: B,
    o: BroadcastOptions,
    start: Start,
    batch: bool,
) {
    let bc = open::<B, N>(b, o);
    let mut rx: Reader<Msg, N, B> = bc.reader(start).unwrap();
    let p = rx.position();
    let mut s = Stream::new(p, Stream::limit(o.get_policy(), start, p, N));
    loop {
        let more = if batch {
            let mut got = Vec::new();
            match rx.recv_with(N, |m| got.push(m)) {
                Ok(0) => {
                    // Nothing new: wait for one value.
                    s.take(rx.recv_blocking())
                }
                Ok(_) => got.into_iter().all(|m| s.take(Ok(m))),
                Err(e) => s.take(Err(e)),
            }
        } else {
            s.take(rx.recv_blocking())
        };
        if !more {
            break;
        }
    }
}

/// 8 reader processes, each SIGKILLed and restarted at random points
/// (`SYSV_IPC_BROADCAST_KILLS` kills in all), while a writer process streams:
/// every surviving reader's stream is in order with exactly the gaps it was told
/// of (none, lossless, after its first value), and a lossless writer is never
/// stalled by a dead reader: each send, with a 20 ms peer check, must complete
/// within a deadline far above any live reader's pace (10 s), and the longest
/// send is printed (about one peer check when a dead reader's seat stayed empty:
/// the writer dropped it itself). No timing is asserted beyond that deadline.
fn readers_killed_at_random_points<B: Backend + Clone>(b: B, policy: Policy) {
    const N: usize = 64;
    const R: usize = 8;
    let kills = env_u64("SYSV_IPC_BROADCAST_KILLS", 40);
    let mut rng = Rng::new("readers_killed_at_random_points");
    let o = options(R, policy);
    let bc = create::<B, N>(b.clone(), o);
    let stop = SemSet::create_in(b.clone(), STOP, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let writer = {
        let b = b.clone();
        fork_peer(move || {
            let bc = open::<B, N>(b.clone(), o);
            let stop = SemSet::open_in(b, STOP).unwrap();
            let mut tx = bc.writer().unwrap();
            tx.set_peer_check(Some(Duration::from_millis(20)));
            let deadline = Duration::from_secs(10);
            let mut longest = Duration::ZERO;
            let mut sent = 0u64;
            while !sent.is_multiple_of(1024) || stop.get(0).unwrap() == 0 {
                let t = Instant::now();
                tx.send_timeout(Msg::new(sent), deadline)
                    .unwrap_or_else(|e| panic!("send {sent} stalled: {e}"));
                longest = longest.max(t.elapsed());
                sent += 1;
            }
            eprintln!("{policy:?} writer: {sent} values, longest send {longest:?}");
            tx.close().unwrap();
        })
    };
    let spawn = |rng: &mut Rng| {
        let b = b.clone();
        let start = if rng.below(2) == 0 {
            Start::Newest
        } else {
            Start::Oldest
        };
        let batch = rng.below(2) == 0;
        fork_peer(move || kill_test_reader::<B, N>(b, o, start, batch))
    };
    let mut readers: Vec<_> = (0..R).map(|_| spawn(&mut rng)).collect();
    for _ in 0..kills {
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        let i = rng.below(R as u64) as usize;
        readers[i].kill(libc::SIGKILL);
        // Dropping an unjoined peer reaps it; its seat is free once it is gone,
        // before its successor starts.
        drop(readers.swap_remove(i));
        // Now and then the dead reader's seat stays empty for a while: a lossless
        // writer then drops the reader itself, at a peer check.
        if rng.below(4) == 0 {
            std::thread::sleep(Duration::from_millis(30));
        }
        readers.push(spawn(&mut rng));
    }
    stop.set(0, 1).unwrap();
    writer.join();
    readers.into_iter().for_each(|r| r.join());
    eprintln!("{policy:?}: {kills} reader kills");
    stop.remove().unwrap();
    bc.remove().unwrap();
}

fn lossy_readers_killed_at_random_points<B: Backend + Clone>(b: B) {
    readers_killed_at_random_points(b, Policy::Lossy);
}

fn lossless_readers_killed_at_random_points<B: Backend + Clone>(b: B) {
    readers_killed_at_random_points(b, Policy::Lossless);
}

/// Readers join at the newest and the oldest while a (lossless) writer process
/// streams: a reader at the newest gets exactly the values from its position on;
/// one at the oldest gets them too, after at most one gap reported before its
/// first value.
fn readers_join_while_the_writer_streams<B: Backend + Clone>(b: B) {
    const N: usize = 16;
    let o = options(2, Policy::Lossless);
    let bc = create::<B, N>(b.clone(), o);
    let stop = SemSet::create_in(b.clone(), STOP, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let writer = {
        let b = b.clone();
        fork_peer(move || {
            let bc = open::<B, N>(b.clone(), o);
            let stop = SemSet::open_in(b, STOP).unwrap();
            let mut tx = bc.writer().unwrap();
            let mut sent = 0u64;
            while !sent.is_multiple_of(256) || stop.get(0).unwrap() == 0 {
                tx.send_blocking(Msg::new(sent)).unwrap();
                sent += 1;
            }
            tx.close().unwrap();
        })
    };
    let mut joined = [0; 2];
    for round in 0..200 {
        let start = if round % 2 == 0 {
            Start::Newest
        } else {
            Start::Oldest
        };
        let mut rx = bc.reader(start).unwrap();
        let p = rx.position();
        let mut s = Stream::new(p, Stream::limit(Policy::Lossless, start, p, N));
        while s.values < 50 {
            assert!(s.take(rx.recv_blocking()));
        }
        if start == Start::Newest {
            assert_eq!(s.gaps, 0, "a reader joining at the newest was lapped");
        }
        joined[round % 2] += 1;
    }
    stop.set(0, 1).unwrap();
    writer.join();
    assert_eq!(joined, [100, 100]);
    stop.remove().unwrap();
    bc.remove().unwrap();
}

/// The end of the stream: `Closed` after every value once the writer closed it;
/// `PeerDied` once a writer that died is read to its last value.
fn closed_and_peer_died<B: Backend + Clone>(b: B) {
    const N: usize = 8;
    let o = options(2, Policy::Lossy);
    let bc = create::<B, N>(b.clone(), o);
    let mut rx = bc.reader(Start::Newest).unwrap();
    rx.set_peer_check(Some(Duration::from_millis(10)));
    // A writer process that dies (SIGKILL, here: `_exit` without releasing)
    // after sending 3 values.
    let writer = {
        let b = b.clone();
        fork_peer(move || {
            let bc = open::<B, N>(b, o);
            let mut tx = bc.writer().unwrap();
            for i in 0..3 {
                tx.send(Msg::new(i)).unwrap();
            }
            std::mem::forget(tx);
            // SAFETY: leaves at once, as a kill would, without releasing the role.
            unsafe { libc::_exit(0) };
        })
    };
    writer.join();
    for i in 0..3 {
        rx.recv_blocking().unwrap().check(i);
    }
    let e = rx.recv_blocking().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PeerDied);
    assert_eq!(
        bc.writer().unwrap_err().kind(),
        ErrorKind::RoleAbandoned,
        "the dead writer's role"
    );
    // The next writer takes over, sends two and closes.
    let mut tx = bc.reclaim_writer().unwrap();
    tx.send(Msg::new(3)).unwrap();
    tx.send(Msg::new(4)).unwrap();
    tx.close().unwrap();
    let mut late = bc.reader(Start::Oldest).unwrap();
    for r in [&mut rx, &mut late] {
        let first = if r.position() == 0 { 0 } else { 3 };
        for i in first..5 {
            r.recv_timeout(Duration::from_secs(5)).unwrap().check(i);
        }
        assert_eq!(r.recv().unwrap_err().kind(), ErrorKind::Closed);
        assert_eq!(r.recv_blocking().unwrap_err().kind(), ErrorKind::Closed);
    }
    assert_eq!(bc.writer().unwrap_err().kind(), ErrorKind::Closed);
    drop((rx, late));
    bc.remove().unwrap();
}

/// Roles inherited through `fork` refuse to work in the child, and dropping them
/// there leaves the parent's seat and line alone.
fn roles_refuse_a_forked_child<B: Backend + Clone>(b: B) {
    const N: usize = 8;
    let bc = create::<B, N>(b, options(2, Policy::Lossy));
    let mut tx = bc.writer().unwrap();
    let mut rx = bc.reader(Start::Newest).unwrap();
    fork_peer(|| {
        let e = tx.send(Msg::new(0)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongProcess);
        let e = rx.recv().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongProcess);
        assert_eq!(
            rx.recv_blocking().unwrap_err().kind(),
            ErrorKind::WrongProcess
        );
        // The child's own copies, dropped here: the parent's stay untouched in
        // its memory, which the child's writes do not reach.
        // SAFETY: the child never uses `tx` and `rx` again after these reads.
        drop(unsafe { std::ptr::read(&tx) });
        // SAFETY: as above.
        drop(unsafe { std::ptr::read(&rx) });
    })
    .join();
    assert_eq!(bc.readers_registered().unwrap(), 1);
    assert_eq!(bc.readers_alive().unwrap(), 1);
    assert!(bc.has_writer().unwrap());
    tx.send(Msg::new(0)).unwrap();
    rx.recv().unwrap().unwrap().check(0);
    drop((tx, rx));
    bc.remove().unwrap();
}

/// A broadcast is refused as a queue and the other way round, and with another
/// reader count, policy, type or capacity.
fn mismatches_are_refused<B: Backend + Clone>(b: B) {
    const N: usize = 8;
    let o = options(4, Policy::Lossless);
    let bc = create::<B, N>(b.clone(), o);
    let kind = |e: Error| (e.kind(), e.layout_field());
    let e = Queue::<Msg, N, B>::open_in(b.clone(), KEY).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LayoutMismatch, "{e}");
    let e = Bc::<B, N>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, o.readers(5));
    assert_eq!(e.unwrap_err().kind(), ErrorKind::LayoutMismatch);
    let lossy = o.policy(Policy::Lossy);
    let e = Bc::<B, N>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, lossy);
    assert_eq!(
        kind(e.unwrap_err()),
        (ErrorKind::LayoutMismatch, Some("policy"))
    );
    let e = Bc::<B, 16>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, o);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::LayoutMismatch);
    let e = Broadcast::<u64, N, B>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, o);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::LayoutMismatch);
    bc.remove().unwrap();
    let q =
        Queue::<Msg, N, B>::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let e = Bc::<B, N>::create_with(b.clone(), KEY, Intent::Open, Mode::OWNER_RW, o);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::LayoutMismatch);
    q.remove().unwrap();
    let e = Bc::<B, N>::create_with(b, KEY, Intent::CreateNew, Mode::OWNER_RW, o.readers(0));
    assert_eq!(e.unwrap_err().kind(), ErrorKind::OutOfRange);
}

/// A reader process that dies holding its seat: a lossless writer waiting on it
/// drops it at its next peer check; the next joiner takes a dead reader's seat;
/// seats are refused only while live readers hold all of them.
fn dead_readers_are_dropped_and_their_seats_reused<B: Backend + Clone>(b: B) {
    const N: usize = 4;
    let o = options(2, Policy::Lossless);
    let bc = create::<B, N>(b.clone(), o);
    let die_reading = || {
        let b = b.clone();
        fork_peer(move || {
            let bc = open::<B, N>(b, o);
            std::mem::forget(bc.reader(Start::Newest).unwrap());
            // SAFETY: leaves at once without leaving the seat, as a kill would.
            unsafe { libc::_exit(0) };
        })
        .join();
    };
    die_reading();
    assert_eq!(bc.readers_registered().unwrap(), 1);
    assert_eq!(bc.readers_alive().unwrap(), 0);
    let mut tx = bc.writer().unwrap();
    tx.set_peer_check(Some(Duration::from_millis(10)));
    // The dead reader holds the writer back until the writer's park drops it.
    for i in 0..(2 * N as u64) {
        tx.send_timeout(Msg::new(i), Duration::from_secs(10))
            .unwrap();
    }
    assert_eq!(bc.readers_registered().unwrap(), 0);
    // Another dead reader, on seat 0: the next joiner takes the seat and drops it.
    die_reading();
    assert_eq!(bc.readers_registered().unwrap(), 1);
    let a = bc.reader(Start::Newest).unwrap();
    assert_eq!((a.seat(), bc.readers_registered().unwrap()), (0, 1));
    let c = bc.reader(Start::Newest).unwrap();
    assert_eq!(c.seat(), 1);
    assert_eq!(bc.readers_alive().unwrap(), 2);
    assert_eq!(
        bc.reader(Start::Newest).unwrap_err().kind(),
        ErrorKind::RoleTaken
    );
    assert_eq!(tx.drop_dead_readers().unwrap(), 0);
    drop((a, c, tx));
    bc.remove().unwrap();
}

/// Words of [`Big`] after its `seq`: 4 MiB in all.
const BIG_WORDS: usize = (4 << 20) / 8 - 1;

/// A 4 MiB value: far above what may pass through the stack.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Big {
    seq: u64,
    words: [u64; BIG_WORDS],
}

impl ShmType for Big {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::Big v1");
}

/// Word `k` of value `v`: every word of every value differs.
fn big_word(v: u64, k: usize) -> u64 {
    (v << 32 ^ k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn big(v: u64) -> Box<Big> {
    let mut b = Big::new_box_zeroed().unwrap();
    b.seq = v;
    for (k, w) in b.words.iter_mut().enumerate() {
        *w = big_word(v, k);
    }
    b
}

fn check_big(b: &Big, v: u64) {
    assert_eq!(b.seq, v);
    if let Some(k) = (0..BIG_WORDS).find(|&k| b.words[k] != big_word(v, k)) {
        panic!("value {v}: word {k} is {:#x}", b.words[k]);
    }
}

/// 4 MiB values, lossless, to two reader processes: the writer fills slots in
/// place (`loan_blocking`, through the view and whole), the readers wait
/// (`wait_blocking`) and copy straight into the heap (`recv_into`) or read in
/// place (`recv_view`); every word of every value is checked, none is lost.
fn lossless_values_of_4_mib_across_processes<B: Backend + Clone>(b: B) {
    const N: usize = 4;
    const VALUES: u64 = 12;
    let o = options(2, Policy::Lossless);
    let bc =
        Broadcast::<Big, N, B>::create_with(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW, o)
            .unwrap();
    let readers: Vec<_> = (0..2u64)
        .map(|r| {
            let b = b.clone();
            fork_peer(move || {
                let bc =
                    Broadcast::<Big, N, B>::create_with(b, KEY, Intent::Open, Mode::OWNER_RW, o)
                        .unwrap();
                let mut rx = bc.reader(Start::Newest).unwrap();
                let mut got = Big::new_box_zeroed().unwrap();
                let mut v = 0;
                loop {
                    match rx.wait_blocking() {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::Closed => break,
                        Err(e) => panic!("reader {r}: {e}"),
                    }
                    if (v + r) % 2 == 0 {
                        let n = rx.recv_into(core::slice::from_mut(&mut *got)).unwrap();
                        assert_eq!(n, 1);
                        check_big(&got, v);
                    } else {
                        let (seq, mismatch) = rx
                            .recv_view(|view| {
                                let mismatch = (0..BIG_WORDS)
                                    .step_by(4099)
                                    .find(|&k| view.words().get(k) != Some(big_word(v, k)));
                                (
                                    view.seq().load(std::sync::atomic::Ordering::Relaxed),
                                    mismatch,
                                )
                            })
                            .unwrap()
                            .expect("wait_blocking said a value is there");
                        assert_eq!((seq, mismatch), (v, None));
                    }
                    v += 1;
                }
                assert_eq!(v, VALUES);
            })
        })
        .collect();
    let start = Instant::now();
    while bc.readers_registered().unwrap() < 2 {
        assert!(start.elapsed() < TIMEOUT, "readers did not join");
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut tx = bc.writer().unwrap();
    for v in 0..VALUES {
        let value = big(v);
        let loan = tx.loan_blocking(1).unwrap();
        assert_eq!(loan.len(), 1);
        if v % 2 == 0 {
            assert!(loan.write(0, &value));
        } else {
            let view = loan.slot(0).unwrap();
            view.seq().store(v, std::sync::atomic::Ordering::Relaxed);
            view.words()
                .write_range(0..BIG_WORDS, &value.words)
                .unwrap();
        }
        assert_eq!(loan.commit_all(), 1);
    }
    tx.close().unwrap();
    readers.into_iter().for_each(|r| r.join());
    bc.remove().unwrap();
}

/// A value whose words are all its number: a read that mixes two shows.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Same {
    words: [u64; 64],
}

impl ShmType for Same {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::Same v1");
}

/// A lossy writer process laps a reader that reads in place (`recv_view`) and
/// copies (`recv_into`): whatever the reader gets is one value whole, in
/// increasing order, and the gaps it is told of account for every value it
/// did not get.
fn lossy_in_place_reads_are_never_torn<B: Backend + Clone>(b: B) {
    const N: usize = 4;
    const VALUES: u64 = 200_000;
    let o = options(1, Policy::Lossy);
    let bc =
        Broadcast::<Same, N, B>::create_with(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW, o)
            .unwrap();
    let mut rx = bc.reader(Start::Newest).unwrap();
    let writer = {
        let b = b.clone();
        fork_peer(move || {
            let bc = Broadcast::<Same, N, B>::create_with(b, KEY, Intent::Open, Mode::OWNER_RW, o)
                .unwrap();
            let mut tx = bc.writer().unwrap();
            for v in 1..=VALUES {
                tx.send_slice(&[Same { words: [v; 64] }]).unwrap();
                // About as long as a read: writes land during reads.
                for _ in 0..(v % 64) {
                    std::hint::spin_loop();
                }
            }
            tx.close().unwrap();
        })
    };
    let (mut next, mut got, mut missed) = (1u64, 0u64, 0u64);
    let mut copy = Same { words: [0; 64] };
    loop {
        let r = if got % 2 == 0 {
            rx.recv_view(|view| {
                let first = view.words().get(0).unwrap();
                (1..64)
                    .all(|k| view.words().get(k) == Some(first))
                    .then_some(first)
            })
        } else {
            rx.recv_into(core::slice::from_mut(&mut copy)).map(|n| {
                (n == 1).then(|| {
                    assert!(copy.words.iter().all(|&w| w == copy.words[0]), "torn copy");
                    Some(copy.words[0])
                })
            })
        };
        match r {
            Ok(Some(Some(v))) => {
                assert_eq!(v, next, "a value out of order");
                next += 1;
                got += 1;
            }
            Ok(Some(None)) => panic!("a torn value was returned"),
            Ok(None) => std::hint::spin_loop(),
            Err(e) if e.kind() == ErrorKind::Lagged => {
                let m = e.missed().unwrap();
                missed += m;
                next += m;
            }
            Err(e) if e.kind() == ErrorKind::Closed => break,
            Err(e) => panic!("{e}"),
        }
    }
    writer.join();
    assert_eq!(
        got + missed,
        VALUES,
        "every value either received or reported missed"
    );
    assert!(got > 0);
    eprintln!("lossy in-place reads: {got} received whole, {missed} reported missed");
    drop(rx);
    bc.remove().unwrap();
}

macro_rules! kernel_tests {
    ($($test:ident),* $(,)?) => {
        mod linux_raw {
            $( #[test] fn $test() { super::run(|| super::$test(super::LinuxRaw)); } )*
        }
        mod libc_backend {
            $( #[test] fn $test() { super::run(|| super::$test(super::Libc)); } )*
        }
    };
}

/// In a fresh namespace, with room for the full kill runs.
fn run(f: impl FnOnce()) {
    let kills = env_u64("SYSV_IPC_BROADCAST_KILLS", 40);
    let t = TIMEOUT.max(Duration::from_millis(50).saturating_mul(kills as u32));
    in_ipc_namespace_timeout(t, f);
}

kernel_tests!(
    lossy_lapping_reports_exact_gaps,
    lossless_fan_out_to_three_processes,
    lossy_readers_killed_at_random_points,
    lossless_readers_killed_at_random_points,
    readers_join_while_the_writer_streams,
    closed_and_peer_died,
    roles_refuse_a_forked_child,
    mismatches_are_refused,
    dead_readers_are_dropped_and_their_seats_reused,
    lossless_values_of_4_mib_across_processes,
    lossy_in_place_reads_are_never_torn,
);
