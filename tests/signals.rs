//! Signal storms (issue 7): processes blocked in `msgsnd` (full queue), `msgrcv`,
//! `semop`, `semtimedop` and a parked `Queue` producer and consumer, each under a
//! `setitimer(ITIMER_REAL)` firing every 100 µs with a `SA_RESTART` handler, through
//! both real backends, each test in a fresh IPC namespace.
//!
//! What holds (asserted):
//! - an interruptible blocking call (the message queue's, `op`, `op_timeout`, the
//!   `Queue` roles with `set_interruptible(true)`) that a signal interrupts returns
//!   [`ErrorKind::Interrupted`] with `EINTR` and nothing else (the kernel never
//!   restarts these calls, even with `SA_RESTART`); the retrying forms
//!   (`op_retry_eintr`, `op_timeout_retry_eintr`) never return it (stops without a
//!   handler: `tests/stop.rs`);
//! - an interrupted call changed nothing: across the run no message is lost,
//!   duplicated or corrupted (sequence numbers and checksums, every one counted at
//!   the end), no semaphore operation is applied twice or half (final values);
//! - interrupts really happened (the sum over the run is above zero; each storming
//!   process ran its handler).
//!
//! Messages per test (half as many semaphore round trips): `SYSV_IPC_SIGNAL_MSGS`,
//! else 100 000 (CI, well under a second each) or 10 000 000 with
//! `SYSV_IPC_STRESS=full`. Each test prints what it counted to
//! stderr.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::queue::Queue;
use sysv_ipc::shm::Segment;
use sysv_ipc::{
    Backend, Errno, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemOp, SemSet, Shm,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace};

use sysv_ipc_testkit::per_backend;

per_backend!(
    msg_send_and_receive_under_a_storm,
    semop_and_semtimedop_under_a_storm,
    parked_queue_under_a_storm,
    parked_queue_parks_again_under_a_storm_by_default,
);

/// A count for a stress loop: `var`, else `full` under `SYSV_IPC_STRESS=full`, else `ci`.
fn scaled(var: &str, ci: u64, full: u64) -> u64 {
    if let Some(n) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    if std::env::var("SYSV_IPC_STRESS").as_deref() == Ok("full") {
        full
    } else {
        ci
    }
}

fn messages() -> u64 {
    scaled("SYSV_IPC_SIGNAL_MSGS", 100_000, 10_000_000)
}

/// Writes a line to fd 2, past the harness's capture (which a forked child loses).
fn report(line: &str) {
    let line = format!("{line}\n");
    // SAFETY: `line` is a live String; write only reads its bytes.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

// ---- the storm ---------------------------------------------------------------------------

/// Handler runs in this process.
static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_alarm(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// Installs the SIGALRM handler with `SA_RESTART` and starts a timer firing every
/// 100 µs (in this process only: timers are not inherited across `fork`).
fn start_storm() {
    // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags).
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as usize;
    sa.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa` is a live sigaction whose handler only bumps an atomic
    // (async-signal-safe); the old action is not wanted.
    let r = unsafe { libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut()) };
    assert_eq!(r, 0, "sigaction");
    set_timer(100);
}

/// Stops the timer (and returns how often the handler ran).
fn stop_storm() -> u64 {
    set_timer(0);
    HANDLED.load(Ordering::Relaxed)
}

fn set_timer(micros: i64) {
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: micros,
    };
    let it = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    // SAFETY: `it` is a live itimerval; the old value is not wanted (null).
    let r = unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
    assert_eq!(r, 0, "setitimer");
}

/// An interrupted call: exactly `Interrupted` with `EINTR`.
fn assert_interrupted(e: &Error) {
    assert_eq!(
        (e.kind(), e.errno()),
        (ErrorKind::Interrupted, Some(Errno::INTR)),
        "only EINTR may interrupt: {e}"
    );
}

/// A segment for the counters the peers leave for the parent: [interrupts side A,
/// side B, handler runs A, handler runs B, items done, ...].
fn counters<B: Backend + Copy>(b: B) -> Segment<B> {
    Segment::create_in(b, Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW).unwrap()
}

/// Writes only the words `at..`: both peers store their counters as they finish,
/// and a read-modify-write of the whole array by one could undo the other's.
fn store<B: Backend + Copy>(seg: Segment<B>, at: usize, values: &[u64]) {
    let att = seg.attach().unwrap();
    for (i, v) in values.iter().enumerate() {
        att.write((at + i) * 8, &v.to_ne_bytes()).unwrap();
    }
}

fn load<B: Backend + Copy>(seg: Segment<B>) -> [u64; 8] {
    let c: Shm<[u64; 8], B> = Shm::from_segment(seg).unwrap();
    c.read()
}

// ---- messages with checksums -------------------------------------------------------------

#[path = "common/checked.rs"]
mod checked;
use checked::Msg;

// ---- tests -------------------------------------------------------------------------------

/// A sender blocked on a full queue (4 messages of room) and a receiver blocked on
/// an empty one, both storming: every interrupted call is retried by the caller
/// (the crate never loops on EINTR itself), and the receiver sees 0..n exactly once.
fn msg_send_and_receive_under_a_storm<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let n = messages();
        let q = MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        q.set_max_bytes(4 * size_of::<Msg>() as u64).unwrap();
        let seg = counters(b);
        let sender = fork_peer(move || {
            start_storm();
            let mut eintr = 0;
            for seq in 0..n {
                let m = Msg::new(seq);
                loop {
                    match q.send_value(1 + (seq % 3) as i64, &m) {
                        Ok(()) => break,
                        Err(e) => {
                            assert_interrupted(&e);
                            eintr += 1;
                        }
                    }
                }
            }
            let handled = stop_storm();
            assert!(handled > 0, "the timer fired");
            store(seg, 0, &[eintr]);
            store(seg, 2, &[handled]);
        });
        let receiver = fork_peer(move || {
            start_storm();
            let mut eintr = 0;
            for want in 0..n {
                let (mtype, m) = loop {
                    match q.recv_value::<Msg>(Selector::Any) {
                        Ok(got) => break got,
                        Err(e) => {
                            assert_interrupted(&e);
                            eintr += 1;
                        }
                    }
                };
                assert_eq!(mtype, 1 + (want % 3) as i64);
                m.check(want);
            }
            let handled = stop_storm();
            assert!(handled > 0, "the timer fired");
            store(seg, 1, &[eintr]);
            store(seg, 3, &[handled]);
            store(seg, 4, &[n]);
        });
        sender.join();
        receiver.join();
        let c = load(seg);
        let st = q.stat().unwrap();
        assert_eq!((st.messages, st.bytes), (0, 0), "nothing left over");
        assert_eq!(c[4], n, "every message received");
        assert!(
            c[0] + c[1] > 0,
            "no call was interrupted: the test proved nothing"
        );
        report(&format!(
            "msg storm: {n} messages in order and whole; EINTR: msgsnd {} msgrcv {}; signals {} + {}",
            c[0], c[1], c[2], c[3]
        ));
        q.remove().unwrap();
        seg.remove().unwrap();
    });
}

/// Ping-pong on two semaphores: A waits on 0 and posts 1, B waits on 1 and posts 0,
/// `n` rounds each, both storming. The waits cycle through `op` and `op_timeout`
/// (caller retries on Interrupted) and `op_retry_eintr` and
/// `op_timeout_retry_eintr` (never Interrupted). A wait that an interrupt had
/// applied, or a post applied twice, would leave the final values off or deadlock.
fn semop_and_semtimedop_under_a_storm<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let n = messages() / 2;
        let set = SemSet::create_in(b, Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let seg = counters(b);
        let side = move |own: u16, peer: u16, slot: usize| {
            move || {
                start_storm();
                let t0 = Instant::now();
                let mut eintr = 0;
                for round in 0..n {
                    let wait = [SemOp::wait(own)];
                    match round % 4 {
                        0 | 1 => loop {
                            let r = if round % 4 == 0 {
                                set.op(&wait)
                            } else {
                                set.op_timeout(&wait, Duration::from_secs(30))
                            };
                            match r {
                                Ok(()) => break,
                                Err(e) => {
                                    assert_interrupted(&e);
                                    eintr += 1;
                                }
                            }
                        },
                        2 => set.op_retry_eintr(&wait).unwrap(),
                        _ => set
                            .op_timeout_retry_eintr(&wait, Duration::from_secs(30), || t0.elapsed())
                            .unwrap(),
                    }
                    set.op(&[SemOp::post(peer)]).unwrap();
                }
                let handled = stop_storm();
                assert!(handled > 0, "the timer fired");
                store(seg, slot, &[eintr]);
                store(seg, slot + 2, &[handled]);
            }
        };
        let a = fork_peer(side(0, 1, 0));
        let b_side = fork_peer(side(1, 0, 1));
        set.op(&[SemOp::post(0)]).unwrap(); // A's first turn
        a.join();
        b_side.join();
        // A took n, posted n; B took n, posted n; plus our one post: 0 is 1 again.
        assert_eq!((set.get(0).unwrap(), set.get(1).unwrap()), (1, 0));
        assert_eq!(set.waiting_for_increase(0).unwrap(), 0);
        let c = load(seg);
        assert!(
            c[0] + c[1] > 0,
            "no wait was interrupted: the test proved nothing"
        );
        report(&format!(
            "sem storm: {n} round trips, values exact; EINTR seen by callers: A {} B {}; signals {} + {}",
            c[0], c[1], c[2], c[3]
        ));
        set.remove().unwrap();
        seg.remove().unwrap();
    });
}

/// The same `Queue` storm with the default policy: a park that a handler's `EINTR`
/// ends parks again, so no call fails; 0..n arrive exactly once, whole. The
/// interruptible run below counts thousands of parks that the same storm ends.
fn parked_queue_parks_again_under_a_storm_by_default<B: Backend + Copy>(b: B) {
    queue_storm(b, false);
}

/// A `Queue` of 4 slots with no spinning, so both sides park on their semaphores;
/// both storm, with [`set_interruptible`](sysv_ipc::queue::Producer::set_interruptible)
/// on (the default parks again). `enqueue_blocking` hands the value back on Interrupted (re-sent),
/// `dequeue_blocking` just fails; the consumer sees 0..n exactly once, whole.
fn parked_queue_under_a_storm<B: Backend + Copy>(b: B) {
    queue_storm(b, true);
}

/// Both `Queue` storms: producer and consumer park (4 slots, no spinning) under a
/// signal storm; `interruptible` says whether they asked for `Interrupted` (then
/// counted and retried, and some must have come) or kept the default (then any
/// error fails the test). 0..n arrive exactly once, whole, nothing beyond.
fn queue_storm<B: Backend + Copy>(b: B, interruptible: bool) {
    in_ipc_namespace(move || {
        let n = messages();
        let key = Key::new(if interruptible {
            0x5349_4701
        } else {
            0x5349_4702
        });
        let q = Queue::<Msg, 4, B>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let seg = counters(b);
        let producer = fork_peer(move || {
            let q = Queue::<Msg, 4, B>::open_in(b, key).unwrap();
            let mut p = q.producer().unwrap();
            p.set_spins(0);
            p.set_interruptible(interruptible);
            start_storm();
            let mut eintr = 0;
            for seq in 0..n {
                let mut m = Msg::new(seq);
                while let Err(e) = p.enqueue_blocking(m) {
                    if !interruptible {
                        panic!("enqueue {seq}: {}", e.error());
                    }
                    assert_interrupted(&e.error());
                    eintr += 1;
                    m = e.into_inner();
                }
            }
            let handled = stop_storm();
            assert!(handled > 0, "the timer fired");
            store(seg, 0, &[eintr]);
            store(seg, 2, &[handled]);
        });
        let consumer = fork_peer(move || {
            let q = Queue::<Msg, 4, B>::open_in(b, key).unwrap();
            let mut c = q.consumer().unwrap();
            c.set_spins(0);
            c.set_interruptible(interruptible);
            start_storm();
            let mut eintr = 0;
            for want in 0..n {
                let m = loop {
                    match c.dequeue_blocking() {
                        Ok(m) => break m,
                        Err(e) if interruptible => {
                            assert_interrupted(&e);
                            eintr += 1;
                        }
                        Err(e) => panic!("dequeue {want}: {e}"),
                    }
                };
                m.check(want);
            }
            let handled = stop_storm();
            assert!(handled > 0, "the timer fired");
            assert_eq!(c.dequeue().unwrap(), None, "nothing beyond n");
            store(seg, 1, &[eintr]);
            store(seg, 3, &[handled]);
            store(seg, 4, &[n]);
        });
        producer.join();
        consumer.join();
        let c = load(seg);
        assert_eq!(c[4], n);
        assert_eq!(q.len().unwrap(), 0);
        if interruptible {
            assert!(
                c[0] + c[1] > 0,
                "no park was interrupted: the test proved nothing"
            );
        }
        report(&format!(
            "queue storm ({}): {n} messages in order and whole; EINTR: producer {} consumer {}; signals {} + {}",
            if interruptible {
                "interruptible"
            } else {
                "default policy"
            },
            c[0],
            c[1],
            c[2],
            c[3]
        ));
        q.remove().unwrap();
        seg.remove().unwrap();
    });
}
