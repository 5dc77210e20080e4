//! Queue slots on loan (`Producer::loan*`, `Consumer::loan*`): filled and read in
//! place, published and handed back in one index store.
//!
//! - against a model, on the mock kernel: random loans, partial commits and
//!   releases, dropped loans, mixed with the copy forms;
//! - on the real kernel (both backends, each test in a fresh IPC namespace): 1 MiB
//!   frames between two processes whose threads have 64 KiB stacks; blocking loans
//!   parked and woken, ended by a close, by a timeout, by a dead peer; loans
//!   refused in a forked child;
//! - between two separately started programs (`examples/frame_queue.rs`).
//!
//! Knobs: `SYSV_IPC_LOAN_OPS` (operations of the model test, default 20 000),
//! `SYSV_IPC_SEED` (printed).

use std::collections::VecDeque;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use sysv_ipc::queue::Queue;
use sysv_ipc::view::ViewCell;
use sysv_ipc::{Backend, ErrorKind, Intent, Key, Mode, Removable, ShmType, ShmView, type_id};
use sysv_ipc_mock::Mock;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace, under_qemu};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

#[path = "common/examples.rs"]
mod examples;
#[path = "common/left.rs"]
mod left;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// xorshift64*, seeded from `SYSV_IPC_SEED` or the clock (printed).
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

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A record whose fields all derive from `seq`: a stale or torn slot shows.
#[derive(Debug, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Rec {
    seq: u64,
    parts: [u32; 6],
    check: u64,
}

impl ShmType for Rec {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::loans::Rec v1");
}

impl Rec {
    fn new(seq: u64) -> Rec {
        Rec {
            seq,
            parts: core::array::from_fn(|i| (seq as u32).wrapping_mul(31).wrapping_add(i as u32)),
            check: !seq,
        }
    }
}

/// Fills a loaned slot field by field, in place.
fn fill(slot: &RecView, seq: u64) {
    let r = Rec::new(seq);
    slot.seq().store(r.seq, Relaxed);
    slot.parts().write_range(0..6, &r.parts).unwrap();
    slot.check().store(r.check, Relaxed);
}

/// Reads a loaned slot whole, in place.
fn read(slot: &RecView) -> Rec {
    let mut r = Rec::new_zeroed();
    slot.load_into(&mut r, Relaxed);
    r
}

/// Random loans on both sides of a `Queue<Rec, 8>` on the mock kernel, checked
/// against a model (a deque of the committed sequence numbers): loans of random
/// sizes, commits and releases of random parts of them, loans dropped untouched,
/// slots written and then not committed (a value that must never be read), mixed
/// with `enqueue` and `dequeue`. Every read is the model's next value, whole;
/// the queue's length is the model's after every step.
#[test]
fn loans_against_a_model() {
    let k: &'static Mock = Box::leak(Box::new(Mock::new()));
    let q = Queue::<Rec, 8, &Mock>::create_in(k, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
        .unwrap();
    let (mut p, mut c) = q.split().unwrap();
    let mut rng = Rng::new("loans_against_a_model");
    let mut model = VecDeque::new();
    let mut next = 0u64;
    let ops = env_u64("SYSV_IPC_LOAN_OPS", 20_000);
    let (mut committed, mut released, mut abandoned) = (0usize, 0usize, 0usize);
    for _ in 0..ops {
        match rng.below(6) {
            0 | 1 => {
                let want = rng.below(10) as usize;
                let loan = p.loan(want).unwrap();
                assert_eq!(loan.len(), want.min(8 - model.len()));
                for (i, slot) in loan.iter().enumerate() {
                    fill(slot, next + i as u64);
                }
                if rng.below(5) == 0 {
                    abandoned += loan.len();
                    drop(loan); // written in place, never published
                    continue;
                }
                let n = rng.below(10) as usize;
                let done = loan.commit(n);
                assert_eq!(done, n.min(want.min(8 - model.len())));
                model.extend(next..next + done as u64);
                // The uncommitted rest is overwritten by the next loan.
                next += done as u64;
                committed += done;
            }
            2 | 3 => {
                let want = rng.below(10) as usize;
                let loan = c.loan(want).unwrap();
                assert_eq!(loan.len(), want.min(model.len()));
                for (i, slot) in loan.iter().enumerate() {
                    assert_eq!(read(slot), Rec::new(model[i]), "message {i} of the loan");
                }
                if rng.below(5) == 0 {
                    drop(loan); // read, not released: it stays
                    continue;
                }
                let n = rng.below(10) as usize;
                let done = loan.release(n);
                assert_eq!(done, n.min(want.min(model.len())));
                model.drain(..done);
                released += done;
            }
            4 => {
                if p.enqueue(Rec::new(next)).is_ok() {
                    model.push_back(next);
                    next += 1;
                } else {
                    assert_eq!(model.len(), 8);
                }
            }
            _ => {
                let got = c.dequeue().unwrap();
                assert_eq!(got, model.pop_front().map(Rec::new));
            }
        }
        assert_eq!(q.len().unwrap(), model.len());
    }
    eprintln!("{committed} committed, {released} released, {abandoned} abandoned in place");
    assert!(committed > 0 && released > 0 && abandoned > 0);
}

const FRAME_WORDS: usize = (1 << 17) - 1;

/// Exactly 1 MiB: 16 times the stacks of the threads that move it.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Frame {
    seq: u64,
    words: [u64; FRAME_WORDS],
}

const _: () = assert!(size_of::<Frame>() == 1 << 20);

impl ShmType for Frame {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::loans::Frame v1");
}

type Frames<B> = Queue<Frame, 8, B>;

const SMALL_STACK: usize = 64 << 10;
const FRAMES: u64 = 48;

fn frame_word(seq: u64, i: usize) -> u64 {
    seq.wrapping_mul(0x1_0000_0001) ^ i as u64
}

/// Runs `f` in a thread with a 64 KiB stack: a 1 MiB temporary would kill it.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the small-stack thread panicked")
}

/// 1 MiB frames through a `Queue<Frame, 8>` by loan, between a forked producer
/// and this process, both working in threads with 64 KiB stacks: every word of
/// every frame written in place and checked in place, in order, then the close.
fn frames_by_loan_from_small_stacks<B: Backend + Clone + Send + 'static>(b: B) {
    if under_qemu() {
        eprintln!("skipped under qemu-user: it aborts on threads in a forked child");
        return;
    }
    let q = Frames::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let bb = b.clone();
    let producer = fork_peer(move || {
        on_small_stack(move || {
            let q = Frames::open_in(bb, KEY).unwrap();
            let mut tx = q.producer().unwrap();
            let mut seq = 0;
            while seq < FRAMES {
                let loan = tx.loan_blocking((FRAMES - seq).min(3) as usize).unwrap();
                for frame in loan.iter() {
                    for i in 0..FRAME_WORDS {
                        frame.words().set(i, frame_word(seq, i)).unwrap();
                    }
                    frame.seq().store(seq, Relaxed);
                    seq += 1;
                }
                loan.commit_all();
            }
            tx.close().unwrap();
        });
    });
    let checked = on_small_stack(move || {
        let mut rx = q.consumer().unwrap();
        let mut seq = 0;
        loop {
            let loan = match rx.loan_blocking(8) {
                Ok(loan) => loan,
                Err(e) if e.kind() == ErrorKind::Closed => break,
                Err(e) => panic!("{e}"),
            };
            for frame in loan.iter() {
                assert_eq!(frame.seq().load(Relaxed), seq);
                for (i, w) in frame.words().iter().enumerate() {
                    assert_eq!(w, frame_word(seq, i), "frame {seq} word {i}");
                }
                seq += 1;
            }
            loan.release_all();
        }
        drop(rx);
        q.remove().unwrap();
        seq
    });
    producer.join();
    assert_eq!(checked, FRAMES);
}

/// Blocking loans on the real kernel: a consumer parked in `loan_blocking` is
/// woken by a commit from another process, then by the close (`Closed`); a
/// producer parked on a full queue is woken by a release; timed loans time out;
/// a producer that dies holding its role leaves what it committed, lent first,
/// then `PeerDied`.
fn blocking_loans_wake_close_time_out_and_see_death<B: Backend + Clone>(b: B) {
    type Q<B> = Queue<u64, 2, B>;
    let q = Q::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let id = q.segment().id();
    let mut rx = q.consumer().unwrap();
    rx.set_spins(0);
    rx.set_peer_check(Some(Duration::from_millis(20)));
    let e = rx.loan_timeout(1, Duration::from_millis(20)).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "Consumer::loan_timeout on segment {id}: timed out after 0.020 s"
        )),
        "{text}"
    );

    let bb = b.clone();
    let producer = fork_peer(move || {
        let q = Q::open_in(bb, KEY).unwrap();
        let mut tx = q.producer().unwrap();
        // Wait until the consumer is parked, then commit, twice.
        for v in [10, 20] {
            while q.semaphores().waiting_for_increase(0).unwrap() == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let loan = tx.loan(1).unwrap();
            assert!(loan.write(0, &v));
            assert_eq!(loan.commit_all(), 1);
        }
        // Once the consumer released both: fill the queue, then park on it until
        // the consumer releases one.
        while q.len().unwrap() > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let loan = tx.loan(2).unwrap();
        assert_eq!(loan.len(), 2);
        assert!(loan.write(0, &30) && loan.write(1, &40));
        loan.commit_all();
        tx.set_spins(0);
        let loan = tx.loan_blocking(1).unwrap();
        assert!(loan.write(0, &50));
        loan.commit_all();
        tx.close().unwrap();
    });
    for want in [10, 20] {
        let loan = rx.loan_blocking(4).unwrap();
        assert_eq!(loan.slot(0).map(|v| v.load(Relaxed)), Some(want));
        loan.release_all();
    }
    // The producer parks on the full queue: release one to wake it.
    while q.semaphores().waiting_for_increase(1).unwrap() == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let loan = rx.loan(4).unwrap();
    assert_eq!(loan.len(), 2);
    assert_eq!(loan.release(1), 1);
    let mut rest = Vec::new();
    loop {
        match rx.loan_blocking(4) {
            Ok(loan) => {
                rest.extend(loan.iter().map(|v| v.load(Relaxed)));
                loan.release_all();
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
                break;
            }
        }
    }
    assert_eq!(rest, [40, 50]);
    producer.join();
    drop(rx);
    q.remove().unwrap();

    // A producer that commits one value and dies holding its role.
    let q = Q::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let id = q.segment().id();
    let mut rx = q.consumer().unwrap();
    rx.set_spins(0);
    rx.set_peer_check(Some(Duration::from_millis(20)));
    let bb = b.clone();
    let producer = fork_peer(move || {
        let q = Q::open_in(bb, KEY).unwrap();
        let mut tx = q.producer().unwrap();
        let loan = tx.loan(1).unwrap();
        assert!(loan.write(0, &7));
        loan.commit_all();
        // Written in place, never committed: dies on loan.
        let _held = tx.loan(1).unwrap();
        assert!(_held.write(0, &8));
        loop {
            std::thread::sleep(Duration::from_secs(1)); // until killed, holding its role
        }
    });
    while q.len().unwrap() == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(producer); // SIGKILLed holding its role, and reaped
    let loan = rx.loan_blocking(4).unwrap();
    assert_eq!(
        loan.iter().map(|v| v.load(Relaxed)).collect::<Vec<_>>(),
        [7]
    );
    loan.release_all();
    let e = rx.loan_blocking(4).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
    let e = rx.loan_timeout(4, Duration::from_secs(600)).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::PeerDied, "not a timeout: {e}");

    // A consumer that dies while the producer waits for room.
    drop(rx);
    assert_eq!(
        q.producer().err().map(|e| e.kind()),
        Some(ErrorKind::RoleAbandoned)
    );
    let mut tx = q.reclaim_producer().unwrap();
    tx.set_spins(0);
    tx.set_peer_check(Some(Duration::from_millis(20)));
    let bb = b.clone();
    let consumer = fork_peer(move || {
        let q = Q::open_in(bb, KEY).unwrap();
        let _rx = q.consumer().unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(1)); // until killed, holding its role
        }
    });
    while !q.has_consumer().unwrap() {
        std::thread::sleep(Duration::from_millis(1));
    }
    drop(consumer); // SIGKILLed holding its role, and reaped
    assert_eq!(tx.loan(2).unwrap().commit_all(), 2);
    let e = tx.loan_blocking(1).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "Producer::loan_blocking on segment {id}: the peer died holding its role, \
             and nothing it committed is left to wait for"
        )
    );
    drop(tx);
    q.remove().unwrap();
}

/// Roles a child inherited through `fork` lend nothing: `WrongProcess`, and the
/// queue is unchanged.
fn loans_in_a_forked_child_are_refused<B: Backend + Clone>(b: B) {
    if under_qemu() {
        eprintln!("skipped under qemu-user: its MADV_WIPEONFORK does not wipe the child's page");
        return;
    }
    let q =
        Queue::<u64, 4, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let (mut p, mut c) = q.split().unwrap();
    p.enqueue_slice(&[1, 2]).unwrap();
    let child = fork_peer(|| {
        let wrong = |e: sysv_ipc::Error| assert_eq!(e.kind(), ErrorKind::WrongProcess, "{e}");
        wrong(p.loan(1).err().unwrap());
        wrong(p.loan_blocking(1).err().unwrap());
        wrong(p.loan_timeout(1, Duration::from_millis(1)).err().unwrap());
        wrong(c.loan(1).err().unwrap());
        wrong(c.loan_blocking(1).err().unwrap());
        wrong(c.loan_timeout(1, Duration::from_millis(1)).err().unwrap());
        assert_eq!(q.len().unwrap(), 2, "nothing moved");
        // SAFETY: the child's own copies (its memory is a copy of the parent's),
        // dropped once; the child uses neither afterwards.
        drop(unsafe { std::ptr::read(&p) });
        // SAFETY: as above.
        drop(unsafe { std::ptr::read(&c) });
    });
    child.join();
    assert_eq!(c.loan(4).unwrap().release_all(), 2);
    drop((p, c));
    q.remove().unwrap();
}

use sysv_ipc::LinuxRaw;
use sysv_ipc_libc::Libc;

/// The key of the real-kernel tests' queues, each in its own namespace.
const KEY: Key = Key::new(0x5156_1001);

sysv_ipc_testkit::on_both_backends!(
    frames_by_loan_from_small_stacks,
    blocking_loans_wake_close_time_out_and_see_death,
    loans_in_a_forked_child_are_refused,
);

/// `examples/frame_queue`: 1 MiB frames by loan between two separately started
/// programs (their own binaries), consumer first and then producer first; both
/// work in 64 KiB stacks, the consumer checks every word, and nothing is left.
#[test]
fn frames_by_loan_between_two_programs() {
    in_ipc_namespace(|| {
        for order in [["consume", "produce"], ["produce", "consume"]] {
            let run = |role: &str| {
                Command::new(examples::example("frame_queue"))
                    .args([role, "15150002", "40"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("start frame_queue {role}: {e}"))
            };
            let first = run(order[0]);
            std::thread::sleep(Duration::from_millis(50));
            let second = run(order[1]);
            for (role, child) in [(order[0], first), (order[1], second)] {
                let out = child.wait_with_output().expect("wait");
                let (stdout, stderr) = (
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr),
                );
                assert!(
                    out.status.success(),
                    "frame_queue {role}: {}: {stderr}",
                    out.status
                );
                assert!(
                    stdout.starts_with(&format!("{role}: 40 frames")),
                    "{role}: {stdout}"
                );
            }
        }
        left::assert_nothing_left();
    });
}
