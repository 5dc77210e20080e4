//! Interop with C for `Mpsc`: a C program (`tests/c/mpsc_peer.c`), built by the
//! system `cc` against the generated `include/sysv_ipc_layout.h` and the
//! hand-written `include/sysv_ipc_protocol.h`, joins an `Mpsc<Msg, N>` that Rust
//! created, as a producer and as the consumer:
//!
//! - three C producers and one Rust producer into a Rust consumer, 100 000
//!   messages in all: every message once, each producer's in order; the consumer
//!   parks on the empty ring first and a C producer's publish wakes it (the C
//!   producers start sending only once it sleeps on its semaphore, `GETNCNT`, and
//!   the Rust producer only once a message arrived);
//! - two Rust producers into a C consumer that parked first (the Rust producers
//!   start once it sleeps); two C producers that fill a ring of 4 and park
//!   (`GETNCNT` on each one's wake semaphore) before a C consumer starts and wakes
//!   them, every message delivered;
//! - a C producer stopped between its claim and its publish, then SIGKILLed: the
//!   Rust consumer waits on the claim while the producer lives and skips it,
//!   counted as abandoned, once it is dead; the same with a C consumer reporting
//!   the skip; a C producer joining takes over the entry a killed one left
//!   registered;
//! - the C side refuses another capacity, producer count, type size or type id, and
//!   the Mpsc opened as a Queue or a Broadcast.
//!
//! The two streams run with the wake-check barrier the crate chooses (asymmetric
//! `membarrier` where the kernel has it) and with the symmetric fences. Each test
//! runs in its own IPC namespace, with the C programs started inside it.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sysv_ipc::mpsc::{Barrier, Mpsc, MpscOptions};
use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removable, ShmType, type_id};
use sysv_ipc_testkit::{CProgram, TIMEOUT, fork_peer, in_ipc_namespace, wait_until_blocked};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const LAYOUT_H: &str = include_str!("../include/sysv_ipc_layout.h");
const PROTOCOL_H: &str = include_str!("../include/sysv_ipc_protocol.h");
const PEER_C: &str = include_str!("c/mpsc_peer.c");

/// `struct msg` in `mpsc_peer.c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Msg {
    producer: u64,
    seq: u64,
    check: u64,
}

impl ShmType for Msg {
    const TYPE_ID: u64 = type_id("sysv-ipc interop::Msg v1");
}

fn msg(producer: u64, seq: u64) -> Msg {
    Msg {
        producer,
        seq,
        check: seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ producer,
    }
}

const KEY: i32 = 0x4d50_0101;
const CAP: usize = 16;

type M<const N: usize> = Mpsc<Msg, N>;

fn create<const N: usize>(producers: usize) -> M<N> {
    create_with::<N>(producers, None)
}

/// `barrier`: the wake check to record; `None` lets the crate choose (asymmetric
/// where the kernel has `membarrier`).
fn create_with<const N: usize>(producers: usize, barrier: Option<Barrier>) -> M<N> {
    let o = MpscOptions::new().producers(producers);
    let o = barrier.map_or(o, |b| o.barrier(b));
    let b = DefaultBackend::default();
    M::<N>::create_with(b, Key::new(KEY), Intent::CreateNew, Mode::OWNER_RW, o).unwrap()
}

fn open<const N: usize>(producers: usize) -> M<N> {
    let o = MpscOptions::new().producers(producers);
    let b = DefaultBackend::default();
    M::<N>::create_with(b, Key::new(KEY), Intent::Open, Mode::OWNER_RW, o).unwrap()
}

/// The semaphores `src/mpsc.rs` gives a set for `p` producers, as section 7 of the
/// C header numbers them.
fn consumer_wake(p: usize) -> u16 {
    (p + 2) as u16
}

fn producer_wake(p: usize, j: usize) -> u16 {
    (p + 3 + j) as u16
}

fn peer() -> &'static CProgram {
    static PEER: OnceLock<CProgram> = OnceLock::new();
    PEER.get_or_init(|| {
        let files = [
            ("sysv_ipc_layout.h", LAYOUT_H),
            ("sysv_ipc_protocol.h", PROTOCOL_H),
            ("mpsc_peer.c", PEER_C),
        ];
        CProgram::compile("mpsc-peer", &files, "mpsc_peer.c", &["-O2"])
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn spawn(args: &[String]) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(peer().exe())
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn line(out: &mut BufReader<ChildStdout>) -> String {
    let mut s = String::new();
    out.read_line(&mut s).unwrap();
    s.trim_end().to_owned()
}

fn finish(mut child: Child) {
    let status = child.wait().unwrap();
    assert!(status.success(), "mpsc_peer: {status}");
}

/// `mode key cap p rest...` as arguments.
fn args(mode: &str, cap: usize, p: usize, rest: &[u64]) -> Vec<String> {
    [
        mode.to_owned(),
        KEY.to_string(),
        cap.to_string(),
        p.to_string(),
    ]
    .into_iter()
    .chain(rest.iter().map(u64::to_string))
    .collect()
}

/// The numbers of a report such as "got 5 abandoned 0 parks 1 sum 10", by name.
fn field(report: &str, name: &str) -> u64 {
    let mut words = report.split(' ');
    while let Some(w) = words.next() {
        if w == name {
            return words.next().and_then(|v| v.parse().ok()).unwrap();
        }
    }
    panic!("no {name} in {report:?}");
}

/// Waits until `n` processes sleep on semaphore `num` of `m`'s set.
fn wait_parked<const N: usize>(m: &M<N>, num: u16, n: usize) {
    let start = Instant::now();
    while m.semaphores().waiting_for_increase(num).unwrap() < n {
        assert!(start.elapsed() < TIMEOUT, "semaphore {num}: nobody parked");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn c_and_rust_producers_into_a_parked_rust_consumer() {
    in_ipc_namespace(|| c_and_rust_producers_into_rust(None));
}

#[test]
fn c_and_rust_producers_into_a_parked_rust_consumer_symmetric() {
    in_ipc_namespace(|| c_and_rust_producers_into_rust(Some(Barrier::Symmetric)));
}

fn c_and_rust_producers_into_rust(barrier: Option<Barrier>) {
    const P: usize = 4;
    const PER: u64 = 25_000;
    let m = create_with::<CAP>(P, barrier);
    eprintln!("barrier: {:?}", m.barrier().unwrap());
    let mut rx = m.consumer().unwrap();
    // No peer check: a park only a producer's post ends, so a lost wake hangs.
    rx.set_peer_check(None);
    let producers: Vec<_> = (0..3u64)
        .map(|id| {
            let (child, mut out) = spawn(&args("send", CAP, P, &[id, PER, 1]));
            assert!(line(&mut out).starts_with("joined "));
            (child, out)
        })
        .collect();
    assert_eq!(m.alive().unwrap(), 3, "the C producers' seats");
    // The C producers send once we sleep: the first message wakes us.
    let first = rx.recv_blocking().unwrap();
    assert!(first.producer < 3, "woken by {first:?}");
    let rust = fork_peer(|| {
        let m = open::<CAP>(P);
        let mut tx = m.producer().unwrap();
        for seq in 0..PER {
            tx.send_blocking(msg(3, seq)).unwrap();
        }
    });
    let mut next = [0u64; P];
    let mut take = |v: Msg| {
        let s = v.producer as usize;
        assert!(s < P, "{v:?}");
        assert_eq!(
            v,
            msg(v.producer, next[s]),
            "lost, duplicated or out of order"
        );
        next[s] += 1;
    };
    take(first);
    for _ in 1..P as u64 * PER {
        take(rx.recv_timeout(TIMEOUT).unwrap());
    }
    assert_eq!(next, [PER; P]);
    assert_eq!(rx.recv().unwrap(), None);
    let mut saw_park = 0;
    for (child, mut out) in producers {
        let report = line(&mut out);
        assert_eq!(field(&report, "sent"), PER, "{report}");
        saw_park += field(&report, "saw_park");
        eprintln!("C producer: {report}");
        finish(child);
    }
    assert!(saw_park >= 1, "no C producer saw the consumer parked");
    rust.join();
    assert_eq!((rx.abandoned(), m.abandoned().unwrap()), (0, 0));
    drop(rx);
    m.remove().unwrap();
}

/// Sleeps in a futex wait on `word` for at most 20 s; fails unless `who` woke it
/// (or cleared it before the wait began).
fn wait_for_wake(word: &sysv_ipc::wake::WakeWord<'_>, who: &str) {
    let ts = libc::timespec {
        tv_sec: 20,
        tv_nsec: 0,
    };
    // SAFETY: FUTEX_WAIT reads the 32-bit word at `addr` (in our live
    // attachment) and the timespec (a live local); it writes nothing.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.addr(),
            libc::FUTEX_WAIT,
            word.expected(),
            &raw const ts,
        )
    };
    let errno = std::io::Error::last_os_error().raw_os_error();
    assert!(
        r == 0 || errno == Some(libc::EAGAIN),
        "{who} never woke the word: {errno:?}"
    );
}

/// A C producer wakes a Rust consumer that waits on its word (the asynchronous
/// wait, layout version 6): the C side's wake check futex-wakes it. Without that
/// wake the futex wait times out.
#[test]
fn a_c_producer_wakes_a_word_waiting_rust_consumer() {
    in_ipc_namespace(|| {
        const P: usize = 2;
        let m = create::<CAP>(P);
        let mut rx = m.consumer().unwrap();
        let (child, mut out) = spawn(&args("send", CAP, P, &[0, 100, 2]));
        assert!(line(&mut out).starts_with("joined "));
        assert_eq!(rx.recv().unwrap(), None);
        let word = rx.arm_wake().unwrap().expect("empty: armed");
        wait_for_wake(&word, "the C producer");
        for seq in 0..100 {
            assert_eq!(rx.recv_timeout(TIMEOUT).unwrap(), msg(0, seq));
        }
        let report = line(&mut out);
        assert_eq!(field(&report, "saw_park"), 1, "{report}");
        finish(child);
        drop(rx);
        m.remove().unwrap();
    });
}

/// A C consumer wakes a Rust producer that waits for room on its entry's word
/// (the asynchronous wait, layout version 7): the C release takes the producer's
/// bit, then its `wait` word, and futex-wakes it. Posting the producer's
/// semaphore instead (a version-6 consumer) leaves the futex wait to time out.
#[test]
fn a_c_consumer_wakes_a_word_waiting_rust_producer() {
    in_ipc_namespace(|| {
        const P: usize = 2;
        let m = create::<CAP>(P);
        let mut tx = m.producer().unwrap();
        for seq in 0..CAP as u64 {
            tx.send(msg(0, seq)).unwrap();
        }
        let word = tx.arm_wake().unwrap().expect("full: armed");
        let (child, mut out) = spawn(&args("recv", CAP, P, &[CAP as u64 + 1]));
        assert_eq!(line(&mut out), "joined");
        wait_for_wake(&word, "the C consumer");
        assert!(!word.is_armed());
        tx.send_timeout(msg(0, CAP as u64), TIMEOUT).unwrap();
        let report = line(&mut out);
        assert_eq!(field(&report, "got"), CAP as u64 + 1, "{report}");
        finish(child);
        // The wake was the futex's alone: no post left on the producer's
        // semaphore for a later park to find.
        assert_eq!(m.semaphores().get(producer_wake(P, tx.seat())).unwrap(), 0);
        drop(tx);
        m.remove().unwrap();
    });
}

#[test]
fn rust_producers_into_a_parked_c_consumer() {
    in_ipc_namespace(|| rust_producers_into_c(None));
}

#[test]
fn rust_producers_into_a_parked_c_consumer_symmetric() {
    in_ipc_namespace(|| rust_producers_into_c(Some(Barrier::Symmetric)));
}

fn rust_producers_into_c(barrier: Option<Barrier>) {
    const P: usize = 2;
    const PER: u64 = 20_000;
    let m = create_with::<CAP>(P, barrier);
    eprintln!("barrier: {:?}", m.barrier().unwrap());
    let (child, mut out) = spawn(&args("recv", CAP, P, &[P as u64 * PER]));
    assert_eq!(line(&mut out), "joined");
    assert!(m.has_consumer().unwrap());
    // The Rust producers start once the C consumer sleeps.
    wait_parked(&m, consumer_wake(P), 1);
    let peers: Vec<_> = (0..P as u64)
        .map(|id| {
            fork_peer(move || {
                let m = open::<CAP>(P);
                let mut tx = m.producer().unwrap();
                for seq in 0..PER {
                    tx.send_blocking(msg(id, seq)).unwrap();
                }
            })
        })
        .collect();
    let report = line(&mut out);
    finish(child);
    peers.into_iter().for_each(|p| p.join());
    eprintln!("C consumer: {report}");
    assert_eq!(field(&report, "got"), P as u64 * PER, "{report}");
    assert_eq!(field(&report, "abandoned"), 0, "{report}");
    assert!(field(&report, "wakes") >= 1, "{report}");
    assert_eq!(field(&report, "sum"), P as u64 * PER * (PER - 1) / 2);
    m.remove().unwrap();
}

#[test]
fn c_producers_park_on_a_full_ring_and_a_c_consumer_wakes_them() {
    const P: usize = 2;
    const PER: u64 = 1_000;
    in_ipc_namespace(|| {
        let m = create::<4>(P);
        let producers: Vec<_> = (0..P as u64)
            .map(|id| {
                let (child, mut out) = spawn(&args("send", 4, P, &[id, PER, 0]));
                let joined = line(&mut out);
                let entry: usize = joined.strip_prefix("joined ").unwrap().parse().unwrap();
                (child, out, entry)
            })
            .collect();
        // Both fill the ring and park, each on its own semaphore.
        for (_, _, entry) in &producers {
            wait_parked(&m, producer_wake(P, *entry), 1);
        }
        assert_eq!((m.alive().unwrap(), m.registered().unwrap()), (P, P));
        let (consumer, mut out) = spawn(&args("recv", 4, P, &[P as u64 * PER]));
        assert_eq!(line(&mut out), "joined");
        let report = line(&mut out);
        finish(consumer);
        eprintln!("C consumer: {report}");
        assert_eq!(field(&report, "got"), P as u64 * PER, "{report}");
        assert!(field(&report, "wakes") >= 1, "{report}");
        assert_eq!(field(&report, "sum"), P as u64 * PER * (PER - 1) / 2);
        for (child, mut out, _) in producers {
            let report = line(&mut out);
            eprintln!("C producer: {report}");
            assert_eq!(field(&report, "sent"), PER, "{report}");
            assert!(field(&report, "wakes") >= 1, "{report}");
            finish(child);
        }
        assert_eq!(m.registered().unwrap(), 0, "the C producers left");
        m.remove().unwrap();
    });
}

/// A C producer that claimed position 1 and stopped there, between a Rust
/// producer's messages 0 (position 0) and 1 (position 2).
fn stalled_claim(m: &M<CAP>, tx: &mut sysv_ipc::mpsc::Sender<Msg, CAP>) -> Child {
    tx.send(msg(9, 0)).unwrap();
    let (child, mut out) = spawn(&args("stall", CAP, 2, &[]));
    assert_eq!(line(&mut out), "claimed 1");
    wait_stopped(child.id());
    tx.send(msg(9, 1)).unwrap();
    assert_eq!(m.registered().unwrap(), 2);
    child
}

/// Waits until process `pid` is stopped (state `T` in `/proc/<pid>/stat`).
fn wait_stopped(pid: u32) {
    let start = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        if state == Some("T") {
            return;
        }
        assert!(start.elapsed() < TIMEOUT, "{pid} did not stop: {stat}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
}

#[test]
fn a_c_producer_killed_between_claim_and_publish_is_skipped_by_rust() {
    in_ipc_namespace(|| {
        let m = create::<CAP>(2);
        let mut rx = m.consumer().unwrap();
        let mut tx = m.producer().unwrap();
        let stalled = stalled_claim(&m, &mut tx);
        assert_eq!(rx.recv().unwrap(), Some(msg(9, 0)));
        // Claimed by a live (stopped) producer: waited for, never passed.
        assert_eq!(rx.recv().unwrap(), None);
        assert_eq!(rx.recv().unwrap(), None);
        assert_eq!(rx.abandoned(), 0);
        // Parked with no peer check: only the C producer's death can wake it (the
        // SEM_UNDO post its svipc_mpsc_producer armed).
        rx.set_spins(0);
        rx.set_peer_check(None);
        std::thread::scope(|s| {
            let parked = s.spawn(|| rx.recv_timeout(TIMEOUT));
            wait_parked(&m, consumer_wake(2), 1);
            kill(stalled);
            assert_eq!(parked.join().unwrap().unwrap(), msg(9, 1));
        });
        assert_eq!((rx.abandoned(), rx.take_abandoned()), (1, 1));
        assert_eq!(m.abandoned().unwrap(), 1);
        assert_eq!(
            m.registered().unwrap(),
            1,
            "the dead producer's entry is free"
        );
        assert_eq!(rx.recv().unwrap(), None);
        drop((rx, tx));
        m.remove().unwrap();
    });
}

#[test]
fn a_c_producer_killed_between_claim_and_publish_is_skipped_by_c() {
    in_ipc_namespace(|| {
        let m = create::<CAP>(2);
        let (consumer, mut out) = spawn(&args("recv", CAP, 2, &[2]));
        assert_eq!(line(&mut out), "joined");
        let mut tx = m.producer().unwrap();
        let stalled = stalled_claim(&m, &mut tx);
        // The C consumer took message 0 and waits on the stalled claim.
        wait_until_blocked(consumer.id() as i32);
        assert_eq!(m.abandoned().unwrap(), 0);
        kill(stalled);
        let report = line(&mut out);
        finish(consumer);
        eprintln!("C consumer: {report}");
        assert_eq!(field(&report, "got"), 2, "{report}");
        assert_eq!(field(&report, "abandoned"), 1, "{report}");
        assert_eq!(field(&report, "sum"), 1, "{report}");
        assert_eq!(m.abandoned().unwrap(), 1);
        drop(tx);
        m.remove().unwrap();
    });
}

#[test]
fn c_refuses_other_shapes_and_kinds() {
    in_ipc_namespace(|| {
        let m = create::<CAP>(3);
        let (child, mut out) = spawn(&args("refuse", CAP, 3, &[]));
        assert_eq!(line(&mut out), "refused");
        finish(child);
        m.remove().unwrap();
    });
}

/// A C producer joining the only seat, which a killed C producer left registered
/// with a claim pending: the joiner ends the dead registration under the join lock
/// and takes the entry; the Rust consumer skips the dead claim and gets its
/// messages.
#[test]
fn a_c_producer_takes_over_a_dead_producers_entry() {
    in_ipc_namespace(|| {
        let m = create::<CAP>(1);
        let (stalled, mut out) = spawn(&args("stall", CAP, 1, &[]));
        assert_eq!(line(&mut out), "claimed 0");
        wait_stopped(stalled.id());
        kill(stalled);
        assert_eq!((m.registered().unwrap(), m.alive().unwrap()), (1, 0));
        let (child, mut out) = spawn(&args("send", CAP, 1, &[5, 3, 0]));
        assert_eq!(line(&mut out), "joined 0");
        assert!(line(&mut out).starts_with("sent 3 "));
        finish(child);
        assert_eq!(m.registered().unwrap(), 0, "the joiner left cleanly");
        let mut rx = m.consumer().unwrap();
        for seq in 0..3 {
            assert_eq!(rx.recv().unwrap(), Some(msg(5, seq)));
        }
        assert_eq!((rx.recv().unwrap(), rx.abandoned()), (None, 1));
        drop(rx);
        m.remove().unwrap();
    });
}
