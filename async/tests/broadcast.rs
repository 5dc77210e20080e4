//! An awaited `Broadcast` reader: beside a blocking reader process, fed by a
//! blocking writer process; the writer's death reaching it; cancellation that
//! loses nothing. Each test runs in a fresh IPC namespace.

use std::time::{Duration, Instant};

use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode};
use sysv_ipc_async::broadcast::{recv, send};
use sysv_ipc_async::reactor_stats;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace_timeout};

mod common;

const KEY: Key = Key::new(0x5a55_0001);
const LIMIT: Duration = Duration::from_secs(240);
type B = Broadcast<u64, 16>;

fn with(intent: Intent, policy: Policy) -> B {
    B::create_with(
        DefaultBackend::default(),
        KEY,
        intent,
        Mode::OWNER_RW,
        BroadcastOptions::new().readers(4).policy(policy),
    )
    .unwrap()
}

fn create(policy: Policy) -> B {
    with(Intent::CreateNew, policy)
}

/// A joiner gives the creator's reader count and policy.
fn open(policy: Policy) -> B {
    with(Intent::Open, policy)
}

/// A lossless stream from a blocking writer process (0 spins: it parks on the
/// slowest reader) to an async reader here and a blocking reader in another
/// process: both see every value in order, and the async one waited on its word.
#[test]
fn async_and_blocking_readers_of_a_blocking_writer() {
    let n = common::stream_len(50_000);
    in_ipc_namespace_timeout(LIMIT, || {
        let bc = create(Policy::Lossless);
        let mut rx = bc.reader(Start::Oldest).unwrap();
        let blocking = fork_peer(|| {
            let bc = open(Policy::Lossless);
            let mut r = bc.reader(Start::Oldest).unwrap();
            r.set_spins(0);
            for i in 0..n {
                assert_eq!(r.recv_blocking().unwrap(), i, "blocking reader");
            }
        });
        // Both readers are in before the writer starts (lossless from 0).
        while bc.readers_registered().unwrap() < 2 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let writer = fork_peer(|| {
            let bc = open(Policy::Lossless);
            let mut w = bc.writer().unwrap();
            w.set_spins(0);
            for i in 0..n {
                w.send_blocking(i).unwrap();
                if i % 5000 == 0 {
                    // Now and then nothing for a while: the readers wait.
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            for i in 0..n {
                assert_eq!(recv(&mut rx).await.unwrap(), i, "async reader");
            }
        });
        writer.join();
        blocking.join();
        let s = reactor_stats();
        assert!(
            s.waits > 0 && s.woken > 0,
            "the async reader never waited: {s:?}"
        );
    });
}

/// The writer killed while the reader awaits: what it published comes first,
/// then `PeerDied`, within the peer-check interval (the reactor's look at the
/// writer's seat).
#[test]
fn the_writers_death_reaches_the_future() {
    in_ipc_namespace_timeout(LIMIT, || {
        let bc = create(Policy::Lossy);
        let mut rx = bc.reader(Start::Oldest).unwrap();
        rx.set_peer_check(Some(Duration::from_millis(100)));
        let writer = fork_peer(|| {
            let bc = open(Policy::Lossy);
            let mut w = bc.writer().unwrap();
            w.send(5).unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        smol::block_on(async {
            assert_eq!(recv(&mut rx).await.unwrap(), 5);
            let waiting = recv(&mut rx);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                writer.kill(libc::SIGKILL);
                let at = Instant::now();
                // SAFETY: a blocking wait for our own child; no status wanted.
                unsafe { libc::waitpid(writer.pid(), std::ptr::null_mut(), 0) };
                at
            });
            let e = waiting.await.unwrap_err();
            let killed = killer.join().unwrap();
            assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
            let late = killed.elapsed();
            assert!(
                late < Duration::from_secs(2),
                "PeerDied {late:?} after the kill"
            );
        });
    });
}

/// Receive futures dropped at random points lose nothing (lossless): what they
/// returned, then what a plain receive drains, is every value sent, in order.
#[test]
fn dropped_receives_lose_nothing() {
    use proptest::prelude::*;
    in_ipc_namespace_timeout(LIMIT, || {
        let bc = create(Policy::Lossless);
        let sides = std::cell::RefCell::new((
            bc.writer().unwrap(),
            bc.reader(Start::Oldest).unwrap(),
            0u64,
        ));
        // 0: send, 1: poll (a future made if none), 2: drop it.
        let steps = proptest::collection::vec(0u8..3, 1..60);
        common::runner()
            .run(&steps, |steps| {
                let mut sides = sides.borrow_mut();
                let (tx, rx, next) = &mut *sides;
                rx.set_spins(16); // one look through the executor, then arm
                let (got, sent) =
                    common::dropped_receives(&steps, &mut |v| tx.send(v).is_ok(), rx, next);
                prop_assert_eq!(got, sent);
                Ok(())
            })
            .unwrap();
    });
}

/// An async lossless writer feeding a blocking reader process (0 spins): every
/// value arrives in order, and the writer waited on its word for room.
#[test]
fn an_async_lossless_writer_waits_for_a_blocking_reader() {
    let n = common::stream_len(50_000);
    in_ipc_namespace_timeout(LIMIT, || {
        let bc = create(Policy::Lossless);
        let reader = fork_peer(|| {
            let bc = open(Policy::Lossless);
            let mut r = bc.reader(Start::Oldest).unwrap();
            r.set_spins(0);
            for i in 0..n {
                assert_eq!(r.recv_blocking().unwrap(), i);
                if i % 5000 == 0 {
                    // A slow reader now and then: the writer waits for room.
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        while bc.readers_registered().unwrap() < 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut w = bc.writer().unwrap();
        smol::block_on(async {
            for i in 0..n {
                send(&mut w, i).await.unwrap();
            }
        });
        reader.join();
        let s = reactor_stats();
        assert!(s.waits > 0 && s.woken > 0, "the writer never waited: {s:?}");
    });
}

/// An async lossless writer waiting on a reader that is SIGKILLed: the dead
/// reader is dropped at the writer's next peer check and the send completes.
#[test]
fn an_async_writer_is_freed_by_a_dead_readers_drop() {
    in_ipc_namespace_timeout(LIMIT, || {
        let bc = create(Policy::Lossless);
        let reader = fork_peer(|| {
            let bc = open(Policy::Lossless);
            let _r = bc.reader(Start::Oldest).unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        while bc.readers_registered().unwrap() < 1 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut w = bc.writer().unwrap();
        w.set_peer_check(Some(Duration::from_millis(100)));
        smol::block_on(async {
            for i in 0..16 {
                send(&mut w, i).await.unwrap(); // fills the ring of 16
            }
            let waiting = send(&mut w, 16);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                reader.kill(libc::SIGKILL);
                let at = Instant::now();
                // SAFETY: a blocking wait for our own child; no status wanted.
                unsafe { libc::waitpid(reader.pid(), std::ptr::null_mut(), 0) };
                at
            });
            waiting.await.unwrap();
            let killed = killer.join().unwrap();
            let late = killed.elapsed();
            assert!(
                late < Duration::from_secs(2),
                "sent {late:?} after the kill"
            );
        });
        assert_eq!(
            bc.readers_registered().unwrap(),
            0,
            "the dead reader was dropped"
        );
    });
}

impl common::Receiving for sysv_ipc::broadcast::Reader<u64, 16> {
    type Recv<'a> = sysv_ipc_async::broadcast::Recv<'a, u64, 16, sysv_ipc::DefaultBackend>;
    fn recv_future(&mut self) -> Self::Recv<'_> {
        recv(self)
    }
    fn try_recv(&mut self) -> Option<u64> {
        self.recv().unwrap()
    }
}

/// Both sides async, in two processes: an async lossless writer (smol) into an
/// async reader here (tokio multi-thread), 0 spins on both, so each waits on its
/// word whenever it would otherwise spin: every value once, in order.
#[test]
fn both_sides_async_lossless() {
    let n = common::stream_len(100_000);
    in_ipc_namespace_timeout(LIMIT, || {
        let bc = create(Policy::Lossless);
        let mut rx = bc.reader(Start::Oldest).unwrap();
        rx.set_spins(0);
        let writer = fork_peer(|| {
            let bc = open(Policy::Lossless);
            let mut w = bc.writer().unwrap();
            w.set_spins(0);
            // The reader waits on the empty ring before the first value.
            // SAFETY: getppid has no preconditions.
            common::until_waiting_in_reactor(unsafe { libc::getppid() });
            smol::block_on(async {
                for i in 0..n {
                    send(&mut w, i).await.unwrap();
                }
            });
            let s = reactor_stats();
            assert!(s.waits > 0 && s.woken > 0, "the writer never waited: {s:?}");
        });
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap()
            .block_on(async {
                for i in 0..n {
                    if i == 100 {
                        // Not reading for a while: the writer fills the ring and
                        // waits on its word.
                        common::until_waiting_in_reactor(writer.pid());
                    }
                    assert_eq!(recv(&mut rx).await.unwrap(), i, "in order, once");
                }
            });
        writer.join();
        let s = reactor_stats();
        assert!(s.waits > 0 && s.woken > 0, "the reader never waited: {s:?}");
    });
}
