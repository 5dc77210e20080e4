//! Crashes at every point (issue 7): a peer is SIGKILLed after a random, seeded
//! delay while it streams through each mechanism, then the survivor and a new peer
//! carry on. Through both real backends, each test in a fresh IPC namespace.
//!
//! What holds (asserted), per mechanism:
//!
//! - `MsgQueue`, sender killed: every message whose `msgsnd` returned (the sender
//!   recorded it in a shared word afterwards) is received exactly once, whole and in
//!   order; at most one more (the one whose `msgsnd` returned just before the kill,
//!   unrecorded) is received, and it is always the next sequence number.
//! - `MsgQueue`, receiver killed: `msgrcv` is destructive, so the guarantee is
//!   exactly-once for every message except the one a killed receiver had taken and
//!   not yet recorded (it records its progress in a shared word *after* processing):
//!   the next receiver finds at most one message missing after the recorded progress
//!   per receiver killed since that record changed (a receiver may take one and die
//!   before its first record), never an older one again (no duplicate).
//! - `SemSet`: `SEM_UNDO` operations of a killed process are undone (a lock held at
//!   death is released, a semaphore it raised returns to its value before); without
//!   `SEM_UNDO` the value equals exactly the operations the dead process completed,
//!   give or take the one it was in (its direction recorded before the call).
//!   `last_pid` names the dead process.
//! - `Shm<T>` (plain, no seqlock): a reader may see a mix of two writes (the docs
//!   promise a valid `T`, not a whole one), but every 8-byte word is one that a
//!   writer wrote, from the last completed write or the one in flight.
//! - `SeqLock<T>`: a reader sees a whole value that a writer wrote, never going
//!   backwards, or `Busy` if the writer died mid-write, until a reclaiming writer's
//!   first write.
//! - `Queue`, producer killed (single and batch enqueues): as for the message queue,
//!   with up to one batch in flight; consumer killed (single and batch dequeues): the
//!   next consumer resumes at the recorded next message or at most one batch later
//!   per consumer killed since that record changed.
//!   After each kill the role reads as free (`has_producer`/`has_consumer`), claiming
//!   it says `RoleAbandoned`, and `reclaim_*` takes it over. In between, the
//!   survivor's blocking calls notice the death: the consumer gets every item the
//!   dead producer committed and then `PeerDied` with the ring empty; the producer
//!   fills the ring and then gets `PeerDied` with its item back.
//!
//! Kills per mechanism: `SYSV_IPC_KILLS`, else 50 (CI), or 1000 with
//! `SYSV_IPC_STRESS=full`. Seed: `SYSV_IPC_SEED` (printed). Each test prints what it
//! counted to stderr.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector, SendFlags};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::type_id;
use sysv_ipc::{
    Attachment, Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, Segment, SemOp, SemSet,
    Shm, ShmType,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{Peer, fork_peer, in_ipc_namespace_timeout};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        mod linux_raw {
            $(#[test] fn $name() {
                super::run(stringify!($name), || super::$name(super::LinuxRaw));
            })*
        }
        mod libc_backend {
            $(#[test] fn $name() {
                super::run(stringify!($name), || super::$name(super::Libc));
            })*
        }
    };
}

per_backend!(
    msg_sender_killed,
    msg_receiver_killed,
    sem_worker_killed,
    shm_writer_killed,
    seqlock_writer_killed,
    queue_producer_killed,
    queue_consumer_killed,
);

fn run<F: FnOnce()>(_name: &str, f: F) {
    in_ipc_namespace_timeout(Duration::from_secs(600), f);
}

// ---- knobs, randomness, reporting -----------------------------------------------------

fn kills() -> u64 {
    if let Some(n) = std::env::var("SYSV_IPC_KILLS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
    {
        return n;
    }
    if std::env::var("SYSV_IPC_STRESS").as_deref() == Ok("full") {
        1000
    } else {
        50
    }
}

/// Writes a line to fd 2, past the harness's capture (which a forked child loses).
fn report(line: &str) {
    let line = format!("{line}\n");
    // SAFETY: `line` is a live String; write only reads its bytes.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

/// xorshift64*, seeded from `SYSV_IPC_SEED` or the clock (printed).
struct Rng(u64);

impl Rng {
    fn new(test: &str) -> Rng {
        let seed = std::env::var("SYSV_IPC_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        report(&format!("{test}: SYSV_IPC_SEED={seed}"));
        Rng(seed | 1)
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

    /// A random moment: nothing, a short spin, or a sleep of up to 3 ms.
    fn pause(&mut self) {
        match self.below(4) {
            0 => {}
            1 => {
                for _ in 0..self.below(20_000) {
                    std::hint::spin_loop();
                }
            }
            _ => std::thread::sleep(Duration::from_micros(self.below(3000))),
        }
    }
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

/// A shared ledger of `u64` words in a private segment: what the peers leave for
/// the survivor (committed counts, progress), each one atomic word.
struct Ledger<B: Backend + Copy> {
    seg: Segment<B>,
    att: Attachment<B>,
}

impl<B: Backend + Copy> Ledger<B> {
    fn new(b: B, words: usize) -> Ledger<B> {
        let seg = Segment::create_in(
            b,
            Key::PRIVATE,
            words * 8,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let att = seg.attach().unwrap();
        Ledger { seg, att }
    }

    fn word(&self, i: usize) -> &AtomicU64 {
        self.att.atomic_u64(i * 8).expect("ledger word in bounds")
    }

    fn get(&self, i: usize) -> u64 {
        self.word(i).load(Ordering::SeqCst)
    }

    fn set(&self, i: usize, v: u64) {
        self.word(i).store(v, Ordering::SeqCst)
    }

    fn remove(self) {
        let Ledger { seg, att } = self;
        att.detach().unwrap();
        seg.remove().unwrap();
    }
}

/// Waits until `cond` holds (bounded by the namespace's timeout), or reports the
/// peer that was to make it hold if that stopped (see [`check_alive`]).
fn wait_for(mut peer: Peer, mut cond: impl FnMut() -> bool) -> Peer {
    while !cond() {
        peer = check_alive(peer);
        std::thread::sleep(Duration::from_micros(50));
    }
    peer
}

/// Whether peer `pid` has already exited (without reaping it): then it failed a
/// check, since every peer loops until it is killed.
fn exited(pid: i32) -> bool {
    // SAFETY: an all-zero siginfo_t is a valid value; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a live siginfo_t; WNOWAIT leaves the child unreaped (the Peer
    // reaps it), WNOHANG returns at once.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    assert_eq!(r, 0, "waitid({pid}): {}", std::io::Error::last_os_error());
    // SAFETY: waitid succeeded, so si_pid is the field it set (0: still running).
    unsafe { info.si_pid() != 0 }
}

/// Reports a peer that stopped on its own: `join` panics with its panic message.
fn check_alive(peer: Peer) -> Peer {
    if exited(peer.pid()) {
        peer.join();
        panic!("a peer returned from its endless loop");
    }
    peer
}

/// SIGKILL and reap (the kernel has undone the peer's `SEM_UNDO` adjustments when
/// this returns); a peer that had already stopped reports why instead.
fn kill(peer: Peer) -> i32 {
    let peer = check_alive(peer);
    let pid = peer.pid();
    drop(peer);
    pid
}

// ---- the stream item ----------------------------------------------------------------

/// A message of incarnation `inc` (which sender process made it), its sequence
/// number there, a payload derived from both and a checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Item {
    inc: u64,
    seq: u64,
    payload: [u64; 4],
    checksum: u64,
}

impl ShmType for Item {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::crashes::Item v1");
}

impl Item {
    fn new(inc: u64, seq: u64) -> Item {
        let payload = core::array::from_fn(|i| mix(inc << 40 ^ seq.wrapping_mul(5) ^ i as u64));
        Item {
            inc,
            seq,
            payload,
            checksum: payload.iter().fold(mix(inc ^ mix(seq)), |h, &w| mix(h ^ w)),
        }
    }

    fn assert_whole(&self) {
        assert_eq!(*self, Item::new(self.inc, self.seq), "torn or corrupt item");
    }
}

/// The receiving side of a stream whose senders are killed: per incarnation, items
/// arrive whole, in order, from 0, none twice; incarnations never go back.
struct Streams {
    /// Items received per incarnation.
    got: Vec<u64>,
    cur: usize,
}

impl Streams {
    fn new(incs: usize) -> Streams {
        Streams {
            got: vec![0; incs],
            cur: 0,
        }
    }

    fn take(&mut self, m: &Item) {
        m.assert_whole();
        let inc = m.inc as usize;
        assert!(inc >= self.cur, "incarnation went back: {m:?}");
        self.cur = inc;
        assert_eq!(
            m.seq, self.got[inc],
            "incarnation {inc}: lost, duplicated or reordered"
        );
        self.got[inc] += 1;
    }

    /// Each incarnation's committed items arrived, plus at most `slack` more (those
    /// whose call returned after the last record, before the kill).
    fn check(&self, committed: impl Fn(usize) -> u64, slack: u64) -> (u64, u64) {
        let (mut total, mut uncommitted) = (0, 0);
        for (inc, &got) in self.got.iter().enumerate() {
            let c = committed(inc);
            assert!(
                c <= got && got <= c + slack,
                "incarnation {inc}: {got} received, {c} committed (slack {slack})"
            );
            total += got;
            uncommitted += got - c;
        }
        (total, uncommitted)
    }
}

// ---- MsgQueue ------------------------------------------------------------------------

/// Senders killed at random points of a blocking stream (the queue fills up, so
/// some die parked in `msgsnd`); the parent receives throughout.
fn msg_sender_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("msg_sender_killed");
    let start = Instant::now();
    let q = MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let incs = kills as usize + 1;
    let ledger = Ledger::new(b, incs);
    let mut streams = Streams::new(incs);
    for inc in 0..incs {
        let sender = fork_peer(|| {
            for seq in 0.. {
                q.send_value(1 + (seq % 3) as i64, &Item::new(inc as u64, seq))
                    .unwrap();
                ledger.set(inc, seq + 1); // committed: msgsnd returned
            }
        });
        for _ in 0..rng.below(600) {
            let (_, m) = q.recv_value::<Item>(Selector::Any).unwrap();
            streams.take(&m);
        }
        rng.pause();
        let pid = kill(sender);
        // The survivor learns who sent last, and that it is gone.
        let st = q.stat().unwrap();
        if ledger.get(inc) > 0 {
            assert_eq!(st.last_send_pid, pid);
        }
        // SAFETY: kill with signal 0 only probes; `pid` was our reaped child.
        assert_eq!(unsafe { libc::kill(pid, 0) }, -1, "the sender is gone");
    }
    while let Ok((_, m)) = q.recv_value_with::<Item>(Selector::Any, RecvFlags::NOWAIT) {
        streams.take(&m);
    }
    let (total, extra) = streams.check(|i| ledger.get(i), 1);
    report(&format!(
        "msg_sender_killed: {kills} sender kills, {total} messages exactly once in order, \
         {extra} sent but unrecorded at the kill, in {:?}",
        start.elapsed()
    ));
    q.remove().unwrap();
    ledger.remove();
}

/// Receivers killed at random points (mid-stream or parked in `msgrcv` on an empty
/// queue); each records its progress after processing; the parent sends throughout.
fn msg_receiver_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("msg_receiver_killed");
    let start = Instant::now();
    let q = MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    // Word 0: the next sequence number the receivers expect (low 48 bits) and how
    // many messages died in a receiver's hands (high 16 bits): one word, so that the
    // record is whole whenever the receiver dies. (A SeqLock would not do as a
    // journal: a writer killed mid-write leaves it Busy, the previous value gone.)
    let ledger = Ledger::new(b, 1);
    const LOW: u64 = (1 << 48) - 1;
    let mut sent = 0u64;
    // Receivers killed since the record last changed: each may have died with one
    // message in its hands (one that recorded nothing took one and died before
    // recording it), so the next receiver may find that many missing, no more.
    let mut unrecorded = 0u64;
    let receive = |allowed: u64| {
        let rec = ledger.get(0);
        let (mut next, mut lost) = (rec & LOW, rec >> 48);
        let mut fresh = true;
        loop {
            let (_, m) = q.recv_value::<Item>(Selector::Any).unwrap();
            m.assert_whole();
            if fresh {
                let gap = m.seq.checked_sub(next).expect("received again");
                assert!(gap <= allowed, "{gap} lost, {allowed} receivers died");
                lost += gap;
            } else {
                assert_eq!(m.seq, next, "duplicated or lost");
            }
            fresh = false;
            next = m.seq + 1;
            ledger.set(0, lost << 48 | next);
        }
    };
    for _ in 0..kills {
        let before = ledger.get(0);
        let mut receiver = fork_peer(|| receive(unrecorded));
        let burst = rng.below(800);
        let deadline = Instant::now() + Duration::from_micros(rng.below(3000));
        let mut k = 0;
        while k < burst || Instant::now() < deadline {
            match q.send_value_with(1, &Item::new(0, sent), SendFlags::NOWAIT) {
                Ok(()) => {
                    sent += 1;
                    k += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    // Full: is the receiver still there?
                    receiver = check_alive(receiver);
                    std::thread::sleep(Duration::from_micros(20));
                }
                Err(e) => panic!("{e}"),
            }
        }
        rng.pause();
        let pid = kill(receiver);
        if ledger.get(0) != before {
            assert_eq!(q.stat().unwrap().last_recv_pid, pid);
            unrecorded = 1;
        } else {
            unrecorded += 1;
        }
    }
    // The parent drains what is left, by the same rule.
    let rec = ledger.get(0);
    let (mut next, mut lost) = (rec & LOW, rec >> 48);
    let mut fresh = true;
    while let Ok((_, m)) = q.recv_value_with::<Item>(Selector::Any, RecvFlags::NOWAIT) {
        m.assert_whole();
        if fresh {
            let gap = m.seq.checked_sub(next).expect("received again");
            assert!(gap <= unrecorded, "{gap} lost, {unrecorded} receivers died");
            lost += gap;
        } else {
            assert_eq!(m.seq, next, "duplicated or lost");
        }
        fresh = false;
        next = m.seq + 1;
    }
    if fresh {
        // The last receivers died holding the last messages.
        assert!(sent - next <= unrecorded, "{} lost", sent - next);
        lost += sent - next;
        next = sent;
    }
    assert_eq!(next, sent, "every message accounted for");
    assert!(lost <= kills, "at most one message per killed receiver");
    report(&format!(
        "msg_receiver_killed: {kills} receiver kills, {sent} messages sent, {} received \
         exactly once, {lost} died in a killed receiver's hands, in {:?}",
        sent - lost,
        start.elapsed()
    ));
    q.remove().unwrap();
    ledger.remove();
}

// ---- SemSet --------------------------------------------------------------------------

/// Workers killed at random points of a loop over: the lock (semaphore 0, `SEM_UNDO`)
/// around a counter in a segment; +1/-1 with `SEM_UNDO` on semaphore 1; +1/-1 without
/// on semaphore 2, each recorded in one word (value and the direction in flight); a
/// timed wait parked on semaphore 3, which nobody posts.
fn sem_worker_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("sem_worker_killed");
    let start = Instant::now();
    let set = SemSet::new_initialized_in(b, Key::PRIVATE, &[1, 0, 0, 0], Mode::OWNER_RW).unwrap();
    // Words: 0 the worker's pid once it holds the lock the first time; 1 the counter
    // under the lock; 2 semaphore 2's value as the worker knows it (<< 2) and the
    // direction of the operation in flight (1 up, 2 down); 3 SEM_UNDO ops done; 4 set
    // while parked on semaphore 3.
    let ledger = Ledger::new(b, 5);
    let (mut undo_ops, mut in_flight, mut parked) = (0, 0, 0);
    for round in 0..kills {
        ledger.set(0, 0);
        let seed = rng.next();
        let worker = fork_peer(|| {
            let mut r = Rng(seed | 1);
            let me = std::process::id() as u64;
            let mut raised = 0u64;
            let mut undo = 0u64;
            loop {
                match if r.below(2048) == 0 { 3 } else { r.below(3) } {
                    0 => {
                        let g = set.lock(0).unwrap();
                        ledger.set(0, me);
                        ledger.set(1, ledger.get(1) + 1);
                        g.unlock().unwrap();
                    }
                    3 => {
                        // Now and then parked in semop (nobody posts semaphore 3),
                        // where a good part of the kills land.
                        ledger.set(4, 1);
                        let e = set
                            .op_timeout(&[SemOp::wait(3).undo()], Duration::from_micros(300))
                            .unwrap_err();
                        ledger.set(4, 0);
                        assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
                    }
                    1 => {
                        let up = raised == 0 || r.below(2) == 0;
                        let d = if up { 1 } else { -1 };
                        set.op(&[SemOp::add(1, d).undo()]).unwrap();
                        raised = if up { raised + 1 } else { raised - 1 };
                        undo += 1;
                        ledger.set(3, undo);
                    }
                    _ => {
                        let v = ledger.get(2) >> 2;
                        let up = v == 0 || r.below(2) == 0;
                        ledger.set(2, v << 2 | if up { 1 } else { 2 });
                        set.op(&[SemOp::add(2, if up { 1 } else { -1 })]).unwrap();
                        ledger.set(2, if up { v + 1 } else { v - 1 } << 2);
                    }
                }
            }
        });
        let worker = wait_for(worker, || ledger.get(0) != 0);
        rng.pause();
        let pid = kill(worker);
        // SEM_UNDO: the lock is free whatever the worker was doing, semaphore 1 is back
        // at 0 however often the worker raised it, and the exit's undo (or the
        // worker's last op) names the worker.
        assert_eq!(
            set.get(0).unwrap(),
            1,
            "the dead worker's lock was released"
        );
        assert_eq!(
            set.get(1).unwrap(),
            0,
            "the dead worker's SEM_UNDO ops undone"
        );
        assert_eq!(set.last_pid(0).unwrap(), pid as i32);
        // Killed while parked in semop or not, nothing was applied and nobody waits.
        assert_eq!(set.get(3).unwrap(), 0);
        assert_eq!(set.waiting_for_increase(3).unwrap(), 0);
        parked += ledger.get(4);
        ledger.set(4, 0);
        // No SEM_UNDO: exactly the completed operations, give or take the one in flight.
        let rec = ledger.get(2);
        let (v, dir) = (rec >> 2, rec & 3);
        let now = u64::from(set.get(2).unwrap());
        let allowed = match dir {
            0 => [v, v],
            1 => [v, v + 1],
            _ => [v, v - 1],
        };
        assert!(
            allowed.contains(&now),
            "round {round}: semaphore 2 is {now}, recorded {v} with {dir} in flight"
        );
        in_flight += u64::from(now != v);
        ledger.set(2, now << 2); // the next worker continues from the real value
        undo_ops += ledger.get(3);
        ledger.set(3, 0);
        // The lock works for the survivor, and the counter it guards is consistent.
        let g = set.lock(0).unwrap();
        ledger.set(1, ledger.get(1) + 1);
        g.unlock().unwrap();
    }
    assert!(
        ledger.get(1) >= kills,
        "the survivor's increments all counted"
    );
    report(&format!(
        "sem_worker_killed: {kills} worker kills; {} locked increments, {undo_ops} SEM_UNDO \
         ops all undone, semaphore 2 (no undo) exact after every kill ({in_flight} kills \
         landed with its op applied but unrecorded), {parked} kills while parked; in {:?}",
        ledger.get(1),
        start.elapsed()
    ));
    set.remove().unwrap();
    ledger.remove();
}

// ---- Shm and SeqLock ----------------------------------------------------------------

/// 16 words, each `inc << 32 | n` for the write number `n` of incarnation `inc`.
type Words = [u64; 16];

/// Writer incarnation `inc`'s value number `n`.
fn value(inc: u64, n: u64) -> u64 {
    inc << 32 | n
}

/// What a word may hold after the writer recorded `committed` (its last completed
/// write) and is now incarnation `inc`: that value or the next one.
fn allowed(committed: u64, inc: u64) -> [u64; 2] {
    let next = if committed >> 32 == inc {
        committed + 1
    } else {
        value(inc, 1)
    };
    [committed, next]
}

/// Plain `Shm<[u64; 16]>` writer killed at random points: reads may mix words of two
/// writes (the docs' promise is only "a valid T"), but each word is a written one.
fn shm_writer_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("shm_writer_killed");
    let start = Instant::now();
    let shm =
        Shm::<Words, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let ledger = Ledger::new(b, 1);
    let (mut reads, mut mixed) = (0u64, 0u64);
    for inc in 1..=kills {
        let writer = fork_peer(|| {
            for n in 1.. {
                shm.write(&[value(inc, n); 16]);
                ledger.set(0, value(inc, n));
            }
        });
        let writer = wait_for(writer, || ledger.get(0) >> 32 == inc);
        let deadline = Instant::now() + Duration::from_micros(rng.below(2000));
        while Instant::now() < deadline {
            let v = shm.read();
            reads += 1;
            mixed += u64::from(v.iter().any(|&w| w != v[0]));
            for w in v {
                assert_eq!(w >> 32, inc, "a word no writer of this round wrote");
            }
        }
        rng.pause();
        kill(writer);
        let ok = allowed(ledger.get(0), inc);
        let v = shm.read();
        mixed += u64::from(v.iter().any(|&w| w != v[0]));
        for w in v {
            assert!(ok.contains(&w), "word {w:#x}, allowed {ok:x?}");
        }
    }
    report(&format!(
        "shm_writer_killed: {kills} writer kills; {reads} reads during writes, {mixed} of them \
         mixed two writes (allowed for plain Shm), every word a written one; in {:?}",
        start.elapsed()
    ));
    shm.segment().remove().unwrap();
    ledger.remove();
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Snap(Words);

impl ShmType for Snap {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::crashes::Snap v1");
}

impl Snap {
    fn whole(&self) -> u64 {
        assert!(
            self.0.iter().all(|&w| w == self.0[0]),
            "torn: {:x?}",
            self.0
        );
        self.0[0]
    }
}

/// `SeqLock` writer killed at random points while the parent reads: every read is
/// whole, a written value, never older than the last one read; after the kill it is
/// the last completed write, the one in flight, or `Busy` (died mid-write) until a
/// reclaiming writer's first write.
fn seqlock_writer_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("seqlock_writer_killed");
    let start = Instant::now();
    let lock =
        SeqLock::<Snap, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let ledger = Ledger::new(b, 1);
    let (mut reads, mut busy_after_kill, mut last) = (0u64, 0u64, 0u64);
    for inc in 1..=kills {
        let writer = fork_peer(|| {
            let mut w = if inc == 1 {
                lock.writer().unwrap()
            } else {
                let e = lock.writer().unwrap_err();
                assert_eq!(e.kind(), ErrorKind::RoleAbandoned, "{e}");
                lock.reclaim_writer().unwrap()
            };
            for n in 1.. {
                w.write(&Snap([value(inc, n); 16])).unwrap();
                ledger.set(0, value(inc, n));
            }
        });
        let writer = wait_for(writer, || ledger.get(0) >> 32 == inc);
        let deadline = Instant::now() + Duration::from_micros(rng.below(2000));
        while Instant::now() < deadline {
            if let Ok(s) = lock.read_with_attempts(1000) {
                let v = s.whole();
                assert!(v >= last, "went backwards: {v:#x} after {last:#x}");
                last = v;
                reads += 1;
            }
        }
        rng.pause();
        kill(writer);
        assert!(
            !lock.has_writer().unwrap(),
            "the dead writer's role is free"
        );
        let ok = allowed(ledger.get(0), inc);
        match lock.read_with_attempts(1000) {
            Ok(s) => {
                let v = s.whole();
                assert!(ok.contains(&v), "{v:#x}, allowed {ok:x?}");
                assert!(v >= last);
                last = v;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Busy, "{e}");
                busy_after_kill += 1;
            }
        }
    }
    let mut w = lock.reclaim_writer().unwrap();
    w.write(&Snap([u64::MAX; 16])).unwrap();
    assert_eq!(lock.read().unwrap().whole(), u64::MAX);
    drop(w);
    report(&format!(
        "seqlock_writer_killed: {kills} writer kills; {reads} whole reads during writes, never \
         backwards; {busy_after_kill} kills landed mid-write (Busy until reclaimed); in {:?}",
        start.elapsed()
    ));
    lock.remove().unwrap();
    ledger.remove();
}

// ---- Queue ---------------------------------------------------------------------------

type Q<B> = Queue<Item, 64, B>;
const MAX_BATCH: u64 = 24;

/// Producers killed at random points of single (blocking) and batch enqueues of
/// random sizes, or parked on a full ring; the parent consumes throughout with
/// single and batch dequeues.
fn queue_producer_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("queue_producer_killed");
    let start = Instant::now();
    let q = Q::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let incs = kills as usize + 1;
    let ledger = Ledger::new(b, incs);
    let mut streams = Streams::new(incs);
    let mut c = q.consumer().unwrap();
    c.set_peer_check(Some(Duration::from_millis(2)));
    let mut out = [Item::new(0, 0); MAX_BATCH as usize];
    let mut after_death = 0u64;
    for inc in 0..incs {
        let seed = rng.next();
        let producer = fork_peer(|| {
            let mut r = Rng(seed | 1);
            let mut p = if inc == 0 {
                q.producer().unwrap()
            } else {
                assert!(!q.has_producer().unwrap());
                let e = q.producer().unwrap_err();
                assert_eq!(e.kind(), ErrorKind::RoleAbandoned, "{e}");
                q.reclaim_producer().unwrap()
            };
            let mut seq = 0u64;
            let mut batch = [Item::new(0, 0); MAX_BATCH as usize];
            loop {
                if r.below(2) == 0 {
                    p.enqueue_blocking(Item::new(inc as u64, seq)).unwrap();
                    seq += 1;
                } else {
                    let k = 1 + r.below(MAX_BATCH) as usize;
                    for (i, m) in batch[..k].iter_mut().enumerate() {
                        *m = Item::new(inc as u64, seq + i as u64);
                    }
                    seq += p.enqueue_slice(&batch[..k]).unwrap() as u64;
                }
                ledger.set(inc, seq); // committed: the enqueue returned
            }
        });
        // Kill only a producer that holds the role: one killed before claiming it
        // would leave nothing abandoned for the next to find.
        let producer = wait_for(producer, || q.has_producer().unwrap());
        let mut take = rng.below(500);
        while take > 0 {
            if rng.below(2) == 0 {
                streams.take(&c.dequeue_blocking().unwrap());
                take -= 1;
            } else {
                let n = c
                    .dequeue_into(&mut out[..take.min(MAX_BATCH) as usize])
                    .unwrap();
                for m in &out[..n] {
                    streams.take(m);
                }
                take -= n as u64;
            }
        }
        rng.pause();
        kill(producer);
        assert!(
            !q.has_producer().unwrap(),
            "the role of a dead producer is free"
        );
        // Blocking on the dead producer's ring: what it committed, then PeerDied.
        loop {
            match c.dequeue_blocking() {
                Ok(m) => {
                    streams.take(&m);
                    after_death += 1;
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
                    break;
                }
            }
        }
        assert_eq!(q.len().unwrap(), 0, "PeerDied with items left");
    }
    while let Some(m) = c.dequeue().unwrap() {
        streams.take(&m);
    }
    let (total, extra) = streams.check(|i| ledger.get(i), MAX_BATCH);
    report(&format!(
        "queue_producer_killed: {kills} producer kills, {total} items exactly once in order \
         ({extra} enqueued but unrecorded at a kill; {after_death} taken by blocking \
         dequeues after the kill, each followed by PeerDied on an empty ring), in {:?}",
        start.elapsed()
    ));
    drop(c);
    q.remove().unwrap();
    ledger.remove();
}

/// Consumers killed at random points of single (blocking) and batch dequeues, or
/// parked on an empty ring; each records its progress after processing and the next
/// reclaims the role; the parent produces throughout.
fn queue_consumer_killed<B: Backend + Copy>(b: B) {
    let kills = kills();
    let mut rng = Rng::new("queue_consumer_killed");
    let start = Instant::now();
    let q = Q::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    // One word, as for the message queue: the next expected sequence number (low 48
    // bits) and the items that died in a killed consumer's hands (dequeued, not yet
    // recorded), as the next consumer saw them (high 16 bits).
    let ledger = Ledger::new(b, 1);
    const LOW: u64 = (1 << 48) - 1;
    let mut p = q.producer().unwrap();
    p.set_peer_check(Some(Duration::from_millis(2)));
    let mut sent = 0u64;
    let mut after_death = 0u64;
    // Consumers killed since the record last changed, each with at most one batch in
    // its hands (as for the message queue).
    let mut unrecorded = 0u64;
    for round in 0..kills {
        let seed = rng.next();
        let before = ledger.get(0);
        let allowed = unrecorded * MAX_BATCH;
        let mut consumer = fork_peer(|| {
            let mut r = Rng(seed | 1);
            let mut c = if round == 0 {
                q.consumer().unwrap()
            } else {
                assert!(!q.has_consumer().unwrap());
                let e = q.consumer().unwrap_err();
                assert_eq!(e.kind(), ErrorKind::RoleAbandoned, "{e}");
                q.reclaim_consumer().unwrap()
            };
            let rec = ledger.get(0);
            let (mut next, mut lost) = (rec & LOW, rec >> 48);
            let mut fresh = true;
            let mut out = [Item::new(0, 0); MAX_BATCH as usize];
            loop {
                let n = if r.below(2) == 0 {
                    out[0] = c.dequeue_blocking().unwrap();
                    1
                } else {
                    let k = 1 + r.below(MAX_BATCH) as usize;
                    c.dequeue_into(&mut out[..k]).unwrap()
                };
                for m in &out[..n] {
                    m.assert_whole();
                    if fresh {
                        // At most one batch died with each predecessor.
                        let gap = m.seq.checked_sub(next).expect("dequeued again");
                        assert!(gap <= allowed, "{gap} lost, allowed {allowed}");
                        lost += gap;
                        fresh = false;
                    } else {
                        assert_eq!(m.seq, next, "duplicated or lost");
                    }
                    next = m.seq + 1;
                }
                // Processing takes a while, as it does in a real consumer: the
                // window in which a kill takes the batch with it.
                for _ in 0..r.below(4000) {
                    std::hint::spin_loop();
                }
                if n > 0 {
                    ledger.set(0, lost << 48 | next); // recorded after processing
                }
            }
        });
        consumer = wait_for(consumer, || q.has_consumer().unwrap()); // as for the producer
        let burst = rng.below(600);
        let mut k = 0;
        while k < burst {
            let r = if rng.below(2) == 0 {
                p.enqueue(Item::new(0, sent))
                    .map(|()| 1)
                    .map_err(|e| e.error())
            } else {
                let n = 1 + rng.below(MAX_BATCH);
                let batch: [Item; MAX_BATCH as usize] =
                    core::array::from_fn(|i| Item::new(0, sent + i as u64));
                p.enqueue_slice(&batch[..n as usize])
            };
            match r {
                Ok(n) => {
                    sent += n as u64;
                    k += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    consumer = check_alive(consumer);
                }
                Err(e) => panic!("{e}"),
            }
            if q.len().unwrap() == 64 {
                std::thread::sleep(Duration::from_micros(20));
            }
        }
        rng.pause();
        kill(consumer);
        assert!(
            !q.has_consumer().unwrap(),
            "the role of a dead consumer is free"
        );
        // Blocking on the dead consumer's ring: fills it, then PeerDied.
        loop {
            match p.enqueue_blocking(Item::new(0, sent)) {
                Ok(()) => {
                    sent += 1;
                    after_death += 1;
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
                    assert_eq!(e.into_inner().seq, sent, "the item comes back");
                    break;
                }
            }
        }
        assert_eq!(q.len().unwrap(), 64, "PeerDied with room left");
        unrecorded = if ledger.get(0) != before {
            1
        } else {
            unrecorded + 1
        };
    }
    let mut c = q.reclaim_consumer().unwrap();
    let rec = ledger.get(0);
    let (mut next, mut lost) = (rec & LOW, rec >> 48);
    let mut fresh = true;
    while let Some(m) = c.dequeue().unwrap() {
        m.assert_whole();
        if fresh {
            let gap = m.seq.checked_sub(next).expect("dequeued again");
            assert!(gap <= unrecorded * MAX_BATCH);
            lost += gap;
            fresh = false;
        } else {
            assert_eq!(m.seq, next);
        }
        next = m.seq + 1;
    }
    if fresh {
        assert!(
            sent - next <= unrecorded * MAX_BATCH,
            "at most one batch in each last consumer's hands"
        );
        lost += sent - next;
        next = sent;
    }
    assert_eq!(next, sent, "every item accounted for");
    assert!(lost <= kills * MAX_BATCH);
    report(&format!(
        "queue_consumer_killed: {kills} consumer kills, {sent} items, {} consumed exactly once, \
         {lost} died in a killed consumer's hands (at most a batch per kill); {after_death} \
         enqueued by blocking calls after the kills, each run ending in PeerDied on a full \
         ring; in {:?}",
        sent - lost,
        start.elapsed()
    ));
    drop((p, c));
    q.remove().unwrap();
    ledger.remove();
}
