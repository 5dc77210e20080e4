//! `open_wait`: a program that starts before the peer that creates the object
//! waits for it instead of failing with `NotFound` (issue 14, item 9), for every
//! kind, on the kernel through both real backends (each test in a fresh IPC
//! namespace, the waiter and the creator in two processes) and on the mock, whose
//! clock moves only when a caller sleeps.
//!
//! [`separately_started_programs`] runs the waiter and the creator as two programs
//! that share nothing but the namespace: this test binary started again twice, each
//! copy playing one of them.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::{Segment, Shm};
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemOp, SemSet};
use sysv_ipc_libc::Libc;
use sysv_ipc_mock::Mock;
use sysv_ipc_testkit::{as_user, fork_peer, in_ipc_namespace, needs_root};

#[path = "common/left.rs"]
mod left;

/// Every kind that can be opened by key, with its read-only opens.
#[derive(Clone, Copy, Debug)]
enum Kind {
    MsgQueue,
    SemSet,
    Segment,
    Shm,
    ShmReadOnly,
    Queue,
    SeqLock,
    SeqLockReadOnly,
}

const ALL: [Kind; 8] = [
    Kind::MsgQueue,
    Kind::SemSet,
    Kind::Segment,
    Kind::Shm,
    Kind::ShmReadOnly,
    Kind::Queue,
    Kind::SeqLock,
    Kind::SeqLockReadOnly,
];

impl Kind {
    /// A key of its own for each kind, so that one namespace holds them all.
    fn key(self) -> Key {
        Key::new(0x0e9e_0000 + self as i32)
    }

    /// The plain open: what a program that starts first gets today.
    fn open<B: Backend + Clone>(self, b: B) -> sysv_ipc::Result<()> {
        let key = self.key();
        match self {
            Kind::MsgQueue => MsgQueue::open_in(b, key).map(drop),
            Kind::SemSet => SemSet::open_in(b, key).map(drop),
            Kind::Segment => Segment::open_in(b, key).map(drop),
            Kind::Shm => Shm::<u64, _>::open_in(b, key).map(drop),
            Kind::ShmReadOnly => Shm::<u64, _, _>::open_read_only_in(b, key).map(drop),
            Kind::Queue => Queue::<u64, 8, _>::open_in(b, key).map(drop),
            Kind::SeqLock => SeqLock::<u64, _>::open_in(b, key).map(drop),
            Kind::SeqLockReadOnly => SeqLock::<u64, _, _>::open_read_only_in(b, key).map(drop),
        }
    }

    fn open_wait<B: Backend + Clone>(self, b: B, timeout: Duration) -> sysv_ipc::Result<()> {
        let key = self.key();
        match self {
            Kind::MsgQueue => MsgQueue::open_wait_in(b, key, timeout).map(drop),
            Kind::SemSet => SemSet::open_wait_in(b, key, timeout).map(drop),
            Kind::Segment => Segment::open_wait_in(b, key, timeout).map(drop),
            Kind::Shm => Shm::<u64, _>::open_wait_in(b, key, timeout).map(drop),
            Kind::ShmReadOnly => {
                Shm::<u64, _, _>::open_read_only_wait_in(b, key, timeout).map(drop)
            }
            Kind::Queue => Queue::<u64, 8, _>::open_wait_in(b, key, timeout).map(drop),
            Kind::SeqLock => SeqLock::<u64, _>::open_wait_in(b, key, timeout).map(drop),
            Kind::SeqLockReadOnly => {
                SeqLock::<u64, _, _>::open_read_only_wait_in(b, key, timeout).map(drop)
            }
        }
    }

    /// What the peer that starts second does. The objects outlive the handles.
    fn create<B: Backend + Clone>(self, b: B) -> sysv_ipc::Result<()> {
        let (key, new, mode) = (self.key(), Intent::CreateNew, Mode::OWNER_RW);
        match self {
            Kind::MsgQueue => MsgQueue::create_in(b, key, new, mode).map(drop),
            Kind::SemSet => SemSet::create_in(b, key, 1, new, mode).map(drop),
            Kind::Segment => Segment::create_in(b, key, 64, new, mode).map(drop),
            Kind::Shm | Kind::ShmReadOnly => Shm::<u64, _>::create_in(b, key, new, mode).map(drop),
            Kind::Queue => Queue::<u64, 8, _>::create_in(b, key, new, mode).map(drop),
            Kind::SeqLock | Kind::SeqLockReadOnly => {
                SeqLock::<u64, _>::create_in(b, key, new, mode).map(drop)
            }
        }
    }
}

/// How much later than its deadline a timed-out call may return: a sanity bound
/// that only a wait that never gives up (or restarts its deadline) breaks, not a
/// timing (a loaded host was seen 354 ms late with a 200 ms bound).
const BOUND: Duration = Duration::from_secs(2);

/// A waiter started first, in its own process, gets each kind that a creator
/// makes 100 ms later.
fn a_waiter_started_first_gets_each_kind<B: Backend + Copy>(b: B) {
    for kind in ALL {
        let (mut started_r, mut started_w) = std::io::pipe().unwrap();
        let waiter = fork_peer(move || {
            let e = kind.open(b).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotFound, "{kind:?}");
            started_w.write_all(&[1]).unwrap();
            kind.open_wait(b, Duration::from_secs(10))
                .unwrap_or_else(|e| panic!("{kind:?}: the waiter failed: {e}"));
        });
        started_r.read_exact(&mut [0]).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        kind.create(b).unwrap();
        waiter.join();
    }
}

/// With nobody creating, each kind times out: not before the deadline, and
/// within [`BOUND`] after it.
fn nobody_creating_times_out<B: Backend + Copy>(b: B) {
    let timeout = Duration::from_millis(200);
    for kind in ALL {
        let t = Instant::now();
        let e = kind.open_wait(b, timeout).unwrap_err();
        let took = t.elapsed();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{kind:?}: {e}");
        assert!(took >= timeout, "{kind:?}: gave up after {took:?}");
        assert!(took <= timeout + BOUND, "{kind:?}: took {took:?}");
        assert_eq!(kind.open(b).unwrap_err().kind(), ErrorKind::NotFound);
    }
    // A zero timeout is one try.
    let e = Kind::Queue.open_wait(b, Duration::ZERO).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
}

/// The header's `state` word of `kind`'s segment, if there is one.
fn header_state<B: Backend + Clone>(b: B, kind: Kind) -> Option<u64> {
    let seg = Segment::open_in(b, kind.key()).ok()?;
    seg.attach_read_only().ok()?.load_u64(0)
}

/// A waiter started first gets a `Queue` whose creator takes 200 ms to
/// initialise it after its segment appeared: the waiter, past `NotFound`, joins.
/// The creator is held as in `tests/join_wait.rs`: the semaphore set under the
/// key exists uninitialised, so its `create_in` claims the header and waits in
/// `SemSet::new_initialized_in` until this process sets the values.
fn a_waiter_gets_a_queue_whose_creator_is_slow<B: Backend + Copy>(b: B) {
    let kind = Kind::Queue;
    let set = SemSet::create_in(b, kind.key(), 4, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let (mut started_r, mut started_w) = std::io::pipe().unwrap();
    let waiter = fork_peer(move || {
        assert_eq!(kind.open(b).unwrap_err().kind(), ErrorKind::NotFound);
        started_w.write_all(&[1]).unwrap();
        let q = Queue::<u64, 8, _>::open_wait_in(b, kind.key(), Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("the waiter failed: {e}"));
        assert_eq!(
            q.consumer()
                .unwrap()
                .dequeue_timeout(Duration::from_secs(10))
                .unwrap(),
            7
        );
    });
    started_r.read_exact(&mut [0]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let creator = fork_peer(move || {
        let q = Queue::<u64, 8, _>::create_in(b, kind.key(), Intent::CreateNew, Mode::OWNER_RW)
            .unwrap_or_else(|e| panic!("the creator failed: {e}"));
        q.producer().unwrap().enqueue(7).unwrap();
    });
    let t = Instant::now();
    while header_state(b, kind) != Some(1) {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the creator never claimed the header"
        );
        std::thread::sleep(Duration::from_micros(100));
    }
    // The waiter sees the segment now, its header claimed but not published. A
    // second waiter, whose 50 ms run out while the creator is held, still gets
    // the queue: past `NotFound`, the join waits at least `JOIN_TIMEOUT`, as
    // `open_in`'s does.
    let impatient = fork_peer(move || {
        Queue::<u64, 8, _>::open_wait_in(b, kind.key(), Duration::from_millis(50))
            .unwrap_or_else(|e| panic!("the impatient waiter failed: {e}"));
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(header_state(b, kind), Some(1));
    // What the creator's `new_initialized_in` waits for: values, then `sem_otime`.
    set.set_all(&[0, 0, 1, 1]).unwrap();
    set.op(&[SemOp::add(0, 1), SemOp::add(0, -1)]).unwrap();
    creator.join();
    waiter.join();
    impatient.join();
}

/// The state letter of `/proc/<pid>/stat` (after the parenthesised name).
fn state(pid: ::libc::pid_t) -> Option<u8> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&c| c == b')')?;
    stat.get(close + 2).copied()
}

/// Stops `pid`, waits (at most 100 ms) until it is stopped, continues it; whether
/// it stopped (as in `tests/stop.rs`).
fn stop_and_continue(pid: ::libc::pid_t) -> bool {
    // SAFETY: kill takes plain values; `pid` is our own forked peer, not yet reaped.
    unsafe { ::libc::kill(pid, ::libc::SIGSTOP) };
    let t0 = Instant::now();
    let stopped = loop {
        match state(pid) {
            Some(b'T' | b't') => break true,
            Some(b'Z' | b'X') | None => break false,
            _ if t0.elapsed() > Duration::from_millis(100) => break false,
            _ => std::thread::yield_now(),
        }
    };
    // SAFETY: as above.
    unsafe { ::libc::kill(pid, ::libc::SIGCONT) };
    stopped
}

/// Ctrl-Z does not end a wait: a `Queue` waiter stopped and continued 30 times
/// while nothing exists, and 10 more while it joins, still gets the queue.
fn a_waiter_survives_stops<B: Backend + Copy>(b: B) {
    let kind = Kind::Queue;
    let (mut started_r, mut started_w) = std::io::pipe().unwrap();
    let waiter = fork_peer(move || {
        started_w.write_all(&[1]).unwrap();
        kind.open_wait(b, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("the waiter failed: {e}"));
    });
    started_r.read_exact(&mut [0]).unwrap();
    let mut stops = 0;
    for _ in 0..30 {
        stops += u32::from(stop_and_continue(waiter.pid()));
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(stops > 0, "the waiter never stopped");
    kind.create(b).unwrap();
    for _ in 0..10 {
        stop_and_continue(waiter.pid());
    }
    waiter.join();
}

extern "C" fn on_alarm(_: ::libc::c_int) {}

/// A signal whose handler runs while the waiter sleeps ends the wait with
/// `Interrupted`, as it ends a blocking call (`SA_RESTART` does not restart
/// `clock_nanosleep`). A signal that lands during a try goes unseen, so the
/// signal is sent every 20 ms until the waiter is gone.
fn a_handled_signal_interrupts_a_waiter<B: Backend + Copy>(b: B) {
    let (mut started_r, mut started_w) = std::io::pipe().unwrap();
    let waiter = fork_peer(move || {
        // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags).
        let mut sa: ::libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_alarm as *const () as ::libc::sighandler_t;
        sa.sa_flags = ::libc::SA_RESTART;
        // SAFETY: `sa` is a live sigaction whose handler does nothing, which is
        // async-signal-safe.
        let r = unsafe { ::libc::sigaction(::libc::SIGALRM, &sa, std::ptr::null_mut()) };
        assert_eq!(r, 0);
        started_w.write_all(&[1]).unwrap();
        let e = Kind::MsgQueue
            .open_wait(b, Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
    });
    started_r.read_exact(&mut [0]).unwrap();
    let t = Instant::now();
    while !matches!(state(waiter.pid()), Some(b'Z' | b'X') | None) {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the waiter was never interrupted"
        );
        waiter.kill(::libc::SIGALRM);
        std::thread::sleep(Duration::from_millis(20));
    }
    waiter.join();
}

/// Another user's object that the caller may not use is refused at once with
/// `PermissionDenied` (the open's own answer), not waited on until the timeout.
fn another_users_object_is_refused_at_once<B: Backend + Copy>(b: B) {
    if !needs_root("another_users_object_is_refused_at_once") {
        return;
    }
    for kind in [Kind::Shm, Kind::Queue, Kind::SeqLock] {
        kind.create(b).unwrap(); // root's, mode 0600
    }
    as_user(65534, 65534, move || {
        for kind in [Kind::Shm, Kind::Queue, Kind::SeqLock] {
            let t = Instant::now();
            let e = kind.open_wait(b, Duration::from_secs(10)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{kind:?}: {e}");
            assert!(t.elapsed() < Duration::from_secs(1), "{kind:?} waited");
        }
    });
}

sysv_ipc_testkit::on_both_backends!(
    another_users_object_is_refused_at_once,
    a_waiter_started_first_gets_each_kind,
    nobody_creating_times_out,
    a_waiter_gets_a_queue_whose_creator_is_slow,
    a_waiter_survives_stops,
    a_handled_signal_interrupts_a_waiter,
);

fn fresh_mock() -> &'static Mock {
    Box::leak(Box::new(Mock::new()))
}

/// On the mock, a timed-out wait sleeps through exactly its timeout on the
/// virtual clock: every sleep is cut at the deadline.
#[test]
fn mock_times_out_on_the_virtual_clock() {
    let m = fresh_mock();
    let timeout = Duration::from_millis(250);
    for kind in ALL {
        let before = m.monotonic();
        let e = kind.open_wait(m, timeout).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{kind:?}: {e}");
        assert_eq!(m.monotonic() - before, timeout, "{kind:?}");
    }
}

/// On the mock, a waiter thread gets each kind that another thread creates
/// 100 ms (of real time) after the waiter found nothing.
#[test]
fn mock_waiter_gets_what_another_thread_creates() {
    let m = fresh_mock();
    for kind in ALL {
        let (started_w, started_r) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            assert_eq!(kind.open(m).unwrap_err().kind(), ErrorKind::NotFound);
            started_w.send(()).unwrap();
            // Virtual time: each sleep advances the clock at once, so a long
            // timeout (an hour of 1 ms sleeps) outlasts 100 ms of real time.
            kind.open_wait(m, Duration::from_secs(3600))
        });
        started_r.recv().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        kind.create(m).unwrap();
        waiter
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("{kind:?}: the waiter failed: {e}"));
    }
}

/// An object that exists but is refused (a segment too small for the `Shm`'s
/// type, a queue of another layout) is answered at once with the plain open's
/// error: only `NotFound` is waited on.
#[test]
fn mock_refusals_are_not_waited_on() {
    let m = fresh_mock();
    let (new, mode) = (Intent::CreateNew, Mode::OWNER_RW);
    Segment::create_in(m, Kind::Shm.key(), 4, new, mode).unwrap();
    Queue::<u32, 8, _>::create_in(m, Kind::Queue.key(), new, mode).unwrap();
    for kind in [Kind::Shm, Kind::Queue] {
        let plain = kind.open(m).unwrap_err().kind();
        let before = m.monotonic();
        let e = kind.open_wait(m, Duration::from_secs(3600)).unwrap_err();
        assert_eq!(e.kind(), plain, "{kind:?}: {e}");
        assert_ne!(e.kind(), ErrorKind::TimedOut);
        assert_eq!(m.monotonic(), before, "{kind:?} waited");
    }
}

/// Set in a copy of this binary that [`separately_started_programs`] starts: `waiter
/// <backend>` or `creator <backend>`, the program it plays.
const ROLE: &str = "SYSV_IPC_OPEN_WAIT_ROLE";

/// The test that a copy runs (`--exact`), the one that reads [`ROLE`].
const PROGRAMS_TEST: &str = "separately_started_programs";

/// What a program prints before each line the test reads, to tell its lines from the
/// harness's.
const SAID: &str = "open_wait program:";

/// The kinds the two programs share, one object each in one namespace.
const SHARED: [Kind; 5] = [
    Kind::MsgQueue,
    Kind::SemSet,
    Kind::Shm,
    Kind::Queue,
    Kind::SeqLock,
];

/// The value the creator sends through the `Queue`.
const SENT: u64 = 0x5e9a_7a7e;

/// The waiter's timeout: several seconds, for a creator that starts 100 ms later.
const PATIENCE: Duration = Duration::from_secs(10);

/// The waiter: finds none of [`SHARED`], says `waiting`, waits for each in a thread
/// of its own; then says what it got and removes it all. Each line names the kind,
/// the ids, and what the creator left in the object for a reader to find: the pid it
/// sent through the `MsgQueue`, the `SemSet`'s value, each segment's creator pid
/// (`shm_cpid`), the value sent through the `Queue`.
fn waiter<B: Backend + Copy + Send + 'static>(b: B) {
    let (found_w, found_r) = std::sync::mpsc::channel();
    let threads = SHARED.map(|kind| {
        let found_w = found_w.clone();
        std::thread::spawn(move || {
            let e = kind.open(b).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotFound, "{kind:?} exists already");
            found_w.send(()).unwrap();
            let key = kind.key();
            let line = match kind {
                Kind::MsgQueue => {
                    let q = waited(kind, MsgQueue::open_wait_in(b, key, PATIENCE));
                    let (_, pid) = q
                        .recv_value_timeout::<u64>(Selector::Any, PATIENCE)
                        .unwrap();
                    q.remove().unwrap();
                    format!("id {} from {pid}", q.id())
                }
                Kind::SemSet => {
                    let set = waited(kind, SemSet::open_wait_in(b, key, PATIENCE));
                    // Until the creator's add: a value of 1 or more, left as it is.
                    let ops = [SemOp::add(0, -1), SemOp::add(0, 1)];
                    set.op_timeout(&ops, PATIENCE).unwrap();
                    let value = set.get(0).unwrap();
                    set.remove().unwrap();
                    format!("id {} value {value}", set.id())
                }
                Kind::Shm => {
                    let shm = waited(kind, Shm::<u64, _>::open_wait_in(b, key, PATIENCE));
                    let line = made_by(shm.segment());
                    shm.segment().remove().unwrap();
                    line
                }
                Kind::Queue => {
                    let q = waited(kind, Queue::<u64, 8, _>::open_wait_in(b, key, PATIENCE));
                    let v = q.consumer().unwrap().dequeue_timeout(PATIENCE).unwrap();
                    let sems = q.semaphores().id();
                    let line = format!("{} sems {sems} value {v:#x}", made_by(&q.segment()));
                    q.remove().unwrap();
                    line
                }
                Kind::SeqLock => {
                    let l = waited(kind, SeqLock::<u64, _>::open_wait_in(b, key, PATIENCE));
                    let line = made_by(&l.segment());
                    l.remove().unwrap();
                    line
                }
                _ => unreachable!("not shared: {kind:?}"),
            };
            format!("{kind:?} {line}")
        })
    });
    for _ in SHARED {
        found_r
            .recv()
            .expect("a waiter thread ended before its first look");
    }
    println!("{SAID} waiting");
    for t in threads {
        match t.join() {
            Ok(line) => println!("{SAID} {line}"),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// A segment's id and its creator's pid (`shm_cpid`), as `id <id> from <pid>`.
fn made_by<B: Backend>(seg: &Segment<B>) -> String {
    format!("id {} from {}", seg.id(), seg.stat().unwrap().cpid)
}

/// What the waiter got, or a panic that names `kind`.
fn waited<T>(kind: Kind, r: sysv_ipc::Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{kind:?}: the waiter failed: {e}"))
}

/// The creator: makes each of [`SHARED`] and leaves in it what [`waiter`] looks for
/// (its pid as a message, a semaphore value from its pid, [`SENT`] in the `Queue`);
/// says what it made, as the waiter will, and leaves the objects behind.
fn creator<B: Backend + Copy>(b: B) {
    let (new, mode) = (Intent::CreateNew, Mode::OWNER_RW);
    let pid = std::process::id();
    for kind in SHARED {
        let key = kind.key();
        let line = match kind {
            Kind::MsgQueue => MsgQueue::create_in(b, key, new, mode).and_then(|q| {
                q.send_value(1, &u64::from(pid))?;
                Ok(format!("id {} from {pid}", q.id()))
            }),
            Kind::SemSet => SemSet::create_in(b, key, 1, new, mode).and_then(|set| {
                let value = (pid % 32_000) as i16 + 1;
                set.op(&[SemOp::add(0, value)])?;
                Ok(format!("id {} value {value}", set.id()))
            }),
            Kind::Shm => Shm::<u64, _>::create_in(b, key, new, mode)
                .map(|s| format!("id {} from {pid}", s.segment().id())),
            Kind::Queue => Queue::<u64, 8, _>::create_in(b, key, new, mode).map(|q| {
                q.producer().unwrap().enqueue(SENT).unwrap();
                let (seg, sems) = (q.segment().id(), q.semaphores().id());
                format!("id {seg} from {pid} sems {sems} value {SENT:#x}")
            }),
            Kind::SeqLock => SeqLock::<u64, _>::create_in(b, key, new, mode)
                .map(|l| format!("id {} from {pid}", l.segment().id())),
            _ => unreachable!("not shared: {kind:?}"),
        };
        let line = line.unwrap_or_else(|e| panic!("{kind:?}: the creator failed: {e}"));
        println!("{SAID} {kind:?} {line}");
    }
}

/// This test binary, started again to play `role` on `backend`: only
/// [`PROGRAMS_TEST`] runs, its output uncaptured.
fn start_program(role: &str, backend: &str) -> Child {
    // In `.ci/unprivileged` this is the copy that uid 65534 runs, not the target
    // directory's binary.
    let exe = std::env::current_exe().expect("current_exe");
    Command::new(&exe)
        .args(["--exact", PROGRAMS_TEST, "--nocapture", "--test-threads=1"])
        .env(ROLE, format!("{role} {backend}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {} as the {role}: {e}", exe.display()))
}

/// The program's [`SAID`] lines, once it exited 0 having run its one test.
fn finish(role: &str, output: Output) -> Vec<String> {
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the {role} exited with {}\nstdout: {out}\nstderr: {err}",
        output.status
    );
    assert!(
        out.contains("test result: ok. 1 passed"),
        "the {role} did not run {PROGRAMS_TEST}: {out}"
    );
    out.lines()
        // The harness's "test <name> ... " may start the program's first line.
        .filter_map(|l| l.split_once(SAID).map(|(_, said)| said))
        .map(|l| l.trim().to_owned())
        .collect()
}

/// The waiter started first, the creator once the waiter found nothing and 100 ms
/// more; both on `backend`, in this (fresh) namespace, which both inherit.
fn two_programs(backend: &str) {
    let mut waiter = start_program("waiter", backend);
    let mut out = BufReader::new(waiter.stdout.take().unwrap());
    let mut head = String::new();
    while !head.contains(&format!("{SAID} waiting")) {
        if out.read_line(&mut head).unwrap() == 0 {
            let mut err = String::new();
            waiter
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("the waiter ended before it waited: {head}\nstderr: {err}");
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    let creator = start_program("creator", backend);
    let creator_pid = creator.id();
    let made = finish("creator", creator.wait_with_output().unwrap());
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).unwrap();
    let mut waited = waiter.wait_with_output().unwrap();
    waited.stdout = [head.into_bytes(), rest].concat();
    let got = finish("waiter", waited);

    let expected: Vec<String> = SHARED.iter().map(|k| format!("{k:?}")).collect();
    let kinds: Vec<&str> = made.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(kinds, expected, "the creator made each kind once: {made:?}");
    for line in made.iter().filter(|l| !l.starts_with("SemSet")) {
        assert!(
            line.contains(&format!(" from {creator_pid}")),
            "the creator ({creator_pid}) said {line}"
        );
    }
    assert_eq!(got[0], "waiting");
    assert_eq!(
        got[1..],
        made[..],
        "the waiter got the objects the creator made, with what it left in them"
    );
    left::assert_nothing_left();
}

/// A waiter and a creator that are two separately started programs (this binary,
/// run again with [`ROLE`] set): the waiter, started first, gets each shared kind
/// that the creator makes 100 ms after the waiter found none, on both backends.
/// In a copy started so, plays the role instead.
#[test]
fn separately_started_programs() {
    if let Ok(role) = std::env::var(ROLE) {
        match role.split_once(' ') {
            Some(("waiter", "linux-raw")) => waiter(LinuxRaw),
            Some(("waiter", "libc")) => waiter(Libc),
            Some(("creator", "linux-raw")) => creator(LinuxRaw),
            Some(("creator", "libc")) => creator(Libc),
            _ => panic!("{ROLE}={role}: no such role"),
        }
        return;
    }
    in_ipc_namespace(|| two_programs("linux-raw"));
    in_ipc_namespace(|| two_programs("libc"));
}
