//! Awaited `SeqLock` changes (`sysv_ipc_async::seqlock::changed`, layout version
//! 7): a blocking writer in another process waking a future watcher under tokio
//! (multi- and current-thread) and smol; a future watcher in another process; many
//! watchers in several processes all woken by one write; an idle watcher that
//! costs no CPU; cancellation; a read-only handle refused; the writer's death and
//! the lock's removal reaching the future; a C writer waking a Rust watcher.
//!
//! Every test runs in a fresh IPC namespace (a forked child, see `testkit`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::task::Poll;
use std::time::Duration;

use common::{Rt, block_on, cpu_time, eventually, poll_once};
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemOp, SemSet, ShmType};
use sysv_ipc_async::reactor_stats;
use sysv_ipc_async::seqlock::changed;
use sysv_ipc_testkit::{CProgram, fork_peer, in_ipc_namespace_timeout};

const LIMIT: Duration = Duration::from_secs(120);

/// In a fresh namespace, so any key is free.
const KEY: Key = Key::new(0x5357_0001);

/// Offset of `watchers` in the control block (`layout::seqlock`).
const WATCHERS: usize = 144;

/// The flag a watcher sets there (`layout::watch::WATCHED`).
const WATCHED: u64 = 1;

/// Writes the watcher follows.
const ROUNDS: u64 = 200;

type Lock = SeqLock<u64>;

fn lock() -> Lock {
    Lock::create(KEY, Intent::CreateNew, Mode::OWNER_RW).expect("create")
}

/// Whether a watcher has announced itself on `lock` (its word is set).
fn watched(lock: &Lock) -> bool {
    lock.attachment()
        .load_u64(WATCHERS)
        .is_some_and(|w| w & WATCHED != 0)
}

/// A writer process that writes 1..=ROUNDS, each only once a watcher has armed
/// (the shared flag set): so every write finds a watcher asleep or about to be,
/// and the watcher sees every write on its own.
fn lockstep_writer() -> sysv_ipc_testkit::Peer {
    fork_peer(|| {
        let lock = Lock::open(KEY).unwrap();
        let mut w = lock.writer().unwrap();
        for k in 1..=ROUNDS {
            while !watched(&lock) {
                std::thread::sleep(Duration::from_micros(50));
            }
            w.write(&k).unwrap();
        }
    })
}

/// The watcher's side: follows the lock from version 0 until it reads ROUNDS;
/// every value it reads is newer than the last, and every version it is given
/// is even and newer.
async fn follow(lock: &Lock) -> u64 {
    let (mut seen, mut last, mut changes) = (0, 0, 0);
    while last != ROUNDS {
        let v = changed(lock, seen).await.expect("changed");
        assert!(v > seen && v % 2 == 0, "version {v} after {seen}");
        let value = lock.read().unwrap();
        assert!(value > last, "value {value} after {last}");
        (seen, last, changes) = (v, value, changes + 1);
    }
    changes
}

fn blocking_writer_wakes_a_future(rt: Rt) {
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let writer = lockstep_writer();
        let changes = block_on(rt, follow(&lock));
        writer.join();
        let s = reactor_stats();
        // The writer writes only once the watcher has armed, and its write
        // takes the flag: every write is a change of its own.
        assert_eq!(changes, ROUNDS, "one write per arm: every one seen");
        // Most changes come through a wake; a write that lands between an arm's
        // flag and its look is found by the look instead (no wait).
        assert!(s.waits > 0 && s.woken > 0, "the watcher never slept: {s:?}");
        lock.remove().unwrap();
    });
}

#[test]
fn blocking_writer_process_wakes_a_future_tokio_multi_thread() {
    blocking_writer_wakes_a_future(Rt::TokioMulti);
}

#[test]
fn blocking_writer_process_wakes_a_future_tokio_current_thread() {
    blocking_writer_wakes_a_future(Rt::TokioCurrent);
}

#[test]
fn blocking_writer_process_wakes_a_future_smol() {
    blocking_writer_wakes_a_future(Rt::Smol);
}

/// The future in another process, the writer here: the watcher's process has
/// its own reactor, which the writer's wake reaches through the shared word.
#[test]
fn a_future_in_another_process_is_woken_by_this_writer() {
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let watcher = fork_peer(|| {
            let lock = Lock::open(KEY).unwrap();
            // A fresh runtime: the parent ran none, but the child owns its own.
            let changes = smol::future::block_on(follow(&lock));
            assert_eq!(changes, ROUNDS);
        });
        let mut w = lock.writer().unwrap();
        for k in 1..=ROUNDS {
            eventually("the watcher arms", || watched(&lock));
            w.write(&k).unwrap();
        }
        watcher.join();
        lock.remove().unwrap();
    });
}

/// One write wakes every watcher: 64 futures here and 16 in each of three other
/// processes, all pending on the one shared word (so the writer's wake must be a
/// wake of all, not of one: each process's reactor sleeps on it).
#[test]
fn one_write_wakes_every_watcher_in_every_process() {
    const HERE: usize = 64;
    const PER_CHILD: usize = 16;
    const CHILDREN: usize = 3;
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let ready = SemSet::new_initialized(Key::new(0x5357_0002), &[0], Mode::OWNER_RW).unwrap();
        let children: Vec<_> = (0..CHILDREN)
            .map(|_| {
                fork_peer(|| {
                    let lock = Lock::open(KEY).unwrap();
                    let ready = SemSet::open(Key::new(0x5357_0002)).unwrap();
                    let mut futs: Vec<_> = (0..PER_CHILD).map(|_| changed(&lock, 0)).collect();
                    for f in &mut futs {
                        assert!(poll_once(f).is_pending(), "nothing written yet");
                    }
                    ready.op(&[SemOp::post(0)]).unwrap();
                    let got = smol::future::block_on(async {
                        let mut got = Vec::new();
                        for f in futs {
                            got.push(f.await.unwrap());
                        }
                        got
                    });
                    assert_eq!(got, [2; PER_CHILD]);
                })
            })
            .collect();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let lock = std::sync::Arc::new(lock);
        let tasks: Vec<_> = (0..HERE)
            .map(|_| {
                let lock = lock.clone();
                rt.spawn(async move { changed(&*lock, 0).await })
            })
            .collect();
        eventually("every task registers", || {
            reactor_stats().waits >= HERE as u64
        });
        ready.op(&[SemOp::add(0, -(CHILDREN as i16))]).unwrap();
        lock.writer().unwrap().write(&7).unwrap();
        let got: Vec<u64> = rt.block_on(async {
            let mut got = Vec::new();
            for t in tasks {
                got.push(t.await.unwrap().unwrap());
            }
            got
        });
        assert_eq!(got, [2; HERE]);
        for c in children {
            c.join();
        }
        ready.remove().unwrap();
        lock.remove().unwrap();
    });
}

/// 100 futures pending on one lock for a second cost (almost) no CPU: no timer,
/// no spin; the reactor's only work is a look at the writer's seat every
/// `DEFAULT_PEER_CHECK` (100 ms).
#[test]
fn idle_watchers_cost_no_cpu() {
    const WATCHERS_N: usize = 100;
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let lock = std::sync::Arc::new(lock);
        let tasks: Vec<_> = (0..WATCHERS_N)
            .map(|_| {
                let lock = lock.clone();
                rt.spawn(async move { changed(&*lock, 0).await })
            })
            .collect();
        eventually("every task registers", || {
            reactor_stats().waits >= WATCHERS_N as u64
        });
        let before = cpu_time();
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu_time() - before;
        eprintln!("idle second, {WATCHERS_N} pending watchers: {used:?} of CPU");
        assert!(
            used < Duration::from_millis(20),
            "{used:?} of CPU while idle"
        );
        lock.writer().unwrap().write(&1).unwrap();
        for t in tasks {
            assert_eq!(rt.block_on(t).unwrap().unwrap(), 2);
        }
        lock.remove().unwrap();
    });
}

/// A dropped future loses nothing and leaves nothing registered: the change it
/// was waiting for is there for the next one; the shared word stays set until
/// the writer's next write clears it (one wake for nobody).
#[test]
fn a_dropped_watcher_loses_nothing() {
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let mut w = lock.writer().unwrap();
        for rt in [Rt::TokioMulti, Rt::TokioCurrent, Rt::Smol] {
            let since = lock.version().unwrap();
            let mut f = changed(&lock, since);
            assert!(poll_once(&mut f).is_pending());
            drop(f);
            assert!(watched(&lock), "the shared word is left as it is");
            // Dropped by a timeout in a runtime, too.
            let timed = block_on(rt, async {
                match rt {
                    Rt::Smol => {
                        smol::future::or(async { Some(changed(&lock, since).await) }, async {
                            smol::Timer::after(Duration::from_millis(20)).await;
                            None
                        })
                        .await
                    }
                    _ => tokio::time::timeout(Duration::from_millis(20), changed(&lock, since))
                        .await
                        .ok(),
                }
            });
            assert!(timed.is_none(), "nothing written: {timed:?}");
            w.write(&since).unwrap();
            assert!(!watched(&lock), "the write cleared the word");
            let v = block_on(rt, changed(&lock, since)).unwrap();
            assert_eq!(v, since + 2, "the change is there for the next watcher");
        }
        drop(w);
        lock.remove().unwrap();
    });
}

/// A read-only handle cannot arm (its mapping takes no store): a clear error,
/// whether or not a write already came.
#[test]
fn a_read_only_handle_is_refused() {
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let reader = Lock::open_read_only(KEY).unwrap();
        for rt in [Rt::TokioMulti, Rt::TokioCurrent, Rt::Smol] {
            let e = block_on(rt, changed(&reader, lock.version().unwrap())).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            let e = block_on(rt, changed(&reader, u64::MAX - 1)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        }
        assert!(!watched(&lock), "nothing stored");
        lock.writer().unwrap().write(&1).unwrap();
        assert_eq!(reader.read().unwrap(), 1);
        drop(reader);
        lock.remove().unwrap();
    });
}

/// A writer that dies holding its role ends the wait with `PeerDied` (the
/// reactor's look at its seat, every 100 ms); one that released it does not.
#[test]
fn the_writers_death_reaches_the_watcher() {
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let ready = SemSet::new_initialized(Key::new(0x5357_0003), &[0], Mode::OWNER_RW).unwrap();
        let writer = fork_peer(|| {
            let lock = Lock::open(KEY).unwrap();
            let ready = SemSet::open(Key::new(0x5357_0003)).unwrap();
            let mut w = lock.writer().unwrap();
            w.write(&1).unwrap();
            ready.op(&[SemOp::post(0)]).unwrap();
            // Wait for the watcher to arm, then die holding the role.
            while !watched(&lock) {
                std::thread::sleep(Duration::from_millis(1));
            }
            // SAFETY: _exit ends the process at once (no destructor: the role is
            // left held, as a crash leaves it; SEM_UNDO frees the semaphore).
            unsafe { libc::_exit(0) };
        });
        ready.op(&[SemOp::wait(0)]).unwrap();
        for rt in [Rt::TokioCurrent, Rt::Smol, Rt::TokioMulti] {
            let e = block_on(rt, changed(&lock, 2)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
        }
        writer.join();
        // A write the dead writer completed comes first.
        assert_eq!(block_on(Rt::Smol, changed(&lock, 0)).unwrap(), 2);
        ready.remove().unwrap();
        lock.remove().unwrap();
    });
}

/// A lock removed while a watcher waits (no writer ever came) ends the wait with
/// `Removed` rather than a hang.
#[test]
fn a_removed_lock_ends_the_watch() {
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let mut other = Some(Lock::open(KEY).unwrap());
        for rt in [Rt::TokioMulti, Rt::TokioCurrent, Rt::Smol] {
            let e = block_on(rt, async {
                let mut f = changed(&lock, 0);
                assert!(poll_once(&mut f).is_pending());
                // Removed while the first future waits; the later ones wait on a
                // lock already gone (still attached here).
                if let Some(other) = other.take() {
                    other.remove().unwrap();
                }
                f.await
            })
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Removed, "{rt:?}: {e}");
        }
    });
}

/// The C peer (`async/tests/c/watch_writer.c`), built against the two headers.
fn c_writer() -> CProgram {
    let files = [
        (
            "sysv_ipc_layout.h",
            include_str!("../../include/sysv_ipc_layout.h"),
        ),
        (
            "sysv_ipc_protocol.h",
            include_str!("../../include/sysv_ipc_protocol.h"),
        ),
        ("watch_writer.c", include_str!("c/watch_writer.c")),
    ];
    CProgram::compile(
        "watch-writer",
        &files,
        "watch_writer.c",
        &["-O2", "-Wpedantic"],
    )
    .unwrap_or_else(|e| panic!("the C compiler failed on async/tests/c/watch_writer.c:\n{e}"))
}

/// A C writer wakes a Rust future: each future is pending (armed) before the C
/// side writes, so only the C writer's wake check can end it (with that check
/// taken out of `svipc_seqlock_write`, the first wait times out here).
#[test]
fn a_c_writer_wakes_a_future_watcher() {
    let peer = c_writer();
    in_ipc_namespace_timeout(LIMIT, || {
        let lock = lock();
        let mut c = Command::new(peer.exe())
            .args([
                "seqlock",
                &format!("{:#x}", KEY.raw()),
                &format!("{:#x}", <u64 as ShmType>::TYPE_ID),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(c.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "writer\n");
        let mut stdin = c.stdin.take().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let mut seen = 0;
        for k in 1..=20u64 {
            let mut f = changed(&lock, seen);
            assert!(matches!(poll_once(&mut f), Poll::Pending));
            assert!(watched(&lock));
            stdin.write_all(b"go\n").unwrap();
            stdin.flush().unwrap();
            seen = rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(10), f).await })
                .unwrap_or_else(|_| panic!("write {k}: the C writer never woke the watcher"))
                .unwrap();
            assert_eq!((seen, lock.read().unwrap()), (2 * k, k));
            line.clear();
            out.read_line(&mut line).unwrap();
            assert_eq!(line, format!("wrote {k}\n"));
        }
        drop(stdin);
        assert!(c.wait().unwrap().success());
        lock.remove().unwrap();
    });
}
