//! An awaited `Mpsc`: blocking producer processes feeding an async consumer,
//! async producer processes (beside a blocking one) feeding a blocking
//! consumer, a peer's death reaching either future, cancellation that loses
//! nothing. Each test runs in a fresh IPC namespace.

use std::time::{Duration, Instant};

use sysv_ipc::mpsc::Mpsc;
use sysv_ipc::{ErrorKind, Intent, Key, Mode};
use sysv_ipc_async::mpsc::{recv, send};
use sysv_ipc_async::reactor_stats;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace_timeout};

mod common;

const KEY: Key = Key::new(0x5a54_0001);
const LIMIT: Duration = Duration::from_secs(240);
type M = Mpsc<u64, 16>;

/// Three blocking producer processes (0 spins: they park on a full ring) into one
/// async consumer under tokio: every value once, in order per producer, and the
/// consumer waited on its word.
#[test]
fn blocking_producer_processes_into_an_async_consumer() {
    let per = common::stream_len(60_000) / 3;
    in_ipc_namespace_timeout(LIMIT, || {
        let m = M::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut rx = m.consumer().unwrap();
        let peers: Vec<_> = (0..3u64)
            .map(|s| {
                fork_peer(move || {
                    let m = M::open(KEY).unwrap();
                    let mut tx = m.producer().unwrap();
                    tx.set_spins(0);
                    for i in 0..per {
                        tx.send_blocking(s << 32 | i).unwrap();
                        if i % 1000 == 0 {
                            // Now and then nothing for a while: the consumer waits.
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                })
            })
            .collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut next = [0u64; 3];
        rt.block_on(async {
            for _ in 0..3 * per {
                let v = recv(&mut rx).await.unwrap();
                let (s, i) = ((v >> 32) as usize, v & 0xffff_ffff);
                assert_eq!(i, next[s], "producer {s}: lost, duplicated or out of order");
                next[s] += 1;
            }
        });
        for p in peers {
            p.join();
        }
        let s = reactor_stats();
        assert!(
            s.waits > 0 && s.woken > 0,
            "the consumer never waited: {s:?}"
        );
    });
}

/// The only producer killed while the consumer awaits: what it sent comes first,
/// then `PeerDied`, within the peer-check interval.
#[test]
fn the_last_producers_death_reaches_the_future() {
    in_ipc_namespace_timeout(LIMIT, || {
        let m = M::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut rx = m.consumer().unwrap();
        rx.set_peer_check(Some(Duration::from_millis(100)));
        let peer = fork_peer(|| {
            let m = M::open(KEY).unwrap();
            let mut tx = m.producer().unwrap();
            tx.send(5).unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        smol::block_on(async {
            assert_eq!(recv(&mut rx).await.unwrap(), 5);
            let waiting = recv(&mut rx);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                peer.kill(libc::SIGKILL);
                let at = Instant::now();
                // SAFETY: a blocking wait for our own child; no status wanted.
                unsafe { libc::waitpid(peer.pid(), std::ptr::null_mut(), 0) };
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

/// Receive futures dropped at random points lose nothing: what they returned,
/// then what a plain receive drains, is every value sent, in order, once.
#[test]
fn dropped_receives_lose_nothing() {
    use proptest::prelude::*;
    in_ipc_namespace_timeout(LIMIT, || {
        let m: Mpsc<u64, 4> = Mpsc::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sides = std::cell::RefCell::new((m.producer().unwrap(), m.consumer().unwrap(), 0u64));
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

/// Three producer processes into one blocking consumer that pauses now and then:
/// two await `send` (tokio multi-thread, smol; 0 spins, so they arm at once
/// on a full ring), one blocks in `send_blocking`. The consumer's releases wake
/// each its own way (a futex wake of the async producers' entry words, a post
/// of the blocking one's semaphore): every value once, in order per producer,
/// and each async producer waited and was woken.
#[test]
fn async_and_blocking_producer_processes_into_a_blocking_consumer() {
    let per = common::stream_len(60_000) / 3;
    in_ipc_namespace_timeout(LIMIT, || {
        let m = M::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut rx = m.consumer().unwrap();
        let peers: Vec<_> = (0..3u64)
            .map(|s| {
                fork_peer(move || {
                    let m = M::open(KEY).unwrap();
                    let mut tx = m.producer().unwrap();
                    tx.set_spins(0);
                    let value = |i: u64| s << 32 | i;
                    match s {
                        0 => tokio::runtime::Builder::new_multi_thread()
                            .worker_threads(2)
                            .build()
                            .unwrap()
                            .block_on(async {
                                for i in 0..per {
                                    send(&mut tx, value(i)).await.unwrap();
                                }
                            }),
                        1 => smol::block_on(async {
                            for i in 0..per {
                                send(&mut tx, value(i)).await.unwrap();
                            }
                        }),
                        _ => {
                            for i in 0..per {
                                tx.send_blocking(value(i)).unwrap();
                            }
                            return;
                        }
                    }
                    let st = reactor_stats();
                    assert!(
                        st.waits > 0 && st.woken > 0,
                        "producer {s} never waited: {st:?}"
                    );
                })
            })
            .collect();
        // Nothing taken until the ring is full and both async producers wait
        // on their words (the blocking one on its semaphore, or not yet there).
        for p in &peers[..2] {
            common::until_waiting_in_reactor(p.pid());
        }
        let mut next = [0u64; 3];
        for _ in 0..3 * per {
            let v = rx.recv_timeout(Duration::from_secs(30)).unwrap();
            let (s, i) = ((v >> 32) as usize, v & 0xffff_ffff);
            assert_eq!(i, next[s], "producer {s}: lost, duplicated or out of order");
            next[s] += 1;
        }
        for p in peers {
            p.join();
        }
        assert_eq!(rx.recv().unwrap(), None);
    });
}

/// The consumer killed while a producer awaits room: the `send` resolves with
/// `PeerDied` within the peer-check interval (the reactor watches the
/// consumer's seat), and the value comes back.
#[test]
fn the_consumers_death_reaches_a_waiting_send() {
    in_ipc_namespace_timeout(LIMIT, || {
        let m: Mpsc<u64, 2> = Mpsc::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let consumer = fork_peer(|| {
            let m: Mpsc<u64, 2> = Mpsc::open(KEY).unwrap();
            let _rx = m.consumer().unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        let start = Instant::now();
        while !m.has_consumer().unwrap() {
            assert!(start.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut tx = m.producer().unwrap();
        tx.set_peer_check(Some(Duration::from_millis(100)));
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        smol::block_on(async {
            let waiting = send(&mut tx, 3);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                consumer.kill(libc::SIGKILL);
                let at = Instant::now();
                // SAFETY: a blocking wait for our own child; no status wanted.
                unsafe { libc::waitpid(consumer.pid(), std::ptr::null_mut(), 0) };
                at
            });
            let e = waiting.await.unwrap_err();
            let killed = killer.join().unwrap();
            assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
            assert_eq!(e.into_inner(), 3, "the value comes back");
            let late = killed.elapsed();
            assert!(
                late < Duration::from_secs(2),
                "PeerDied {late:?} after the kill"
            );
        });
    });
}

/// Send futures dropped at random points, between receives: what the consumer
/// gets is exactly the values whose futures returned `Ready(Ok)`, in order, once;
/// and no dropped wait leaves a post on the producer's semaphore (which would
/// end a later blocking park early).
#[test]
fn dropped_sends_lose_nothing_and_leave_no_wake() {
    use proptest::prelude::*;
    use sysv_ipc::mpsc::DEFAULT_PRODUCERS;
    in_ipc_namespace_timeout(LIMIT, || {
        let m: Mpsc<u64, 2> = Mpsc::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sides = std::cell::RefCell::new((m.producer().unwrap(), m.consumer().unwrap(), 0u64));
        let own = (DEFAULT_PRODUCERS + 3 + sides.borrow().0.seat()) as u16;
        let mut runner = common::runner();
        // 0: receive, 1: poll (a future of the next value made if none), 2: drop it.
        let steps = proptest::collection::vec(0u8..3, 1..60);
        runner
            .run(&steps, |steps| {
                let mut sides = sides.borrow_mut();
                let (tx, rx, next) = &mut *sides;
                tx.set_spins(16); // one look through the executor, then arm
                let first = *next;
                let (got, sent) =
                    common::dropped_sends(&steps, &mut || rx.recv().unwrap(), tx, next);
                prop_assert_eq!(&got, &sent);
                prop_assert!(sent.iter().all(|v| (first..*next).contains(v)));
                prop_assert_eq!(m.semaphores().get(own).unwrap(), 0);
                Ok(())
            })
            .unwrap();
    });
}

impl common::Receiving for sysv_ipc::mpsc::Receiver<u64, 4> {
    type Recv<'a> = sysv_ipc_async::mpsc::Recv<'a, u64, 4, sysv_ipc::DefaultBackend>;
    fn recv_future(&mut self) -> Self::Recv<'_> {
        recv(self)
    }
    fn try_recv(&mut self) -> Option<u64> {
        self.recv().unwrap()
    }
}

/// Both sides async: two producer processes awaiting `send` (smol) into an
/// async consumer here (tokio current-thread), 0 spins everywhere: every value
/// once, in order per producer.
#[test]
fn both_sides_async() {
    let per = common::stream_len(60_000) / 2;
    in_ipc_namespace_timeout(LIMIT, || {
        let m = M::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut rx = m.consumer().unwrap();
        rx.set_spins(0);
        let peers: Vec<_> = (0..2u64)
            .map(|s| {
                fork_peer(move || {
                    let m = M::open(KEY).unwrap();
                    let mut tx = m.producer().unwrap();
                    tx.set_spins(0);
                    // The consumer waits on the empty ring before the first value.
                    // SAFETY: getppid has no preconditions.
                    common::until_waiting_in_reactor(unsafe { libc::getppid() });
                    smol::block_on(async {
                        for i in 0..per {
                            send(&mut tx, s << 32 | i).await.unwrap();
                        }
                    });
                })
            })
            .collect();
        let mut next = [0u64; 2];
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                for _ in 0..2 * per {
                    let v = recv(&mut rx).await.unwrap();
                    let (s, i) = ((v >> 32) as usize, v & 0xffff_ffff);
                    assert_eq!(i, next[s], "producer {s}: lost, duplicated or out of order");
                    next[s] += 1;
                }
            });
        for p in peers {
            p.join();
        }
        let s = reactor_stats();
        assert!(s.waits > 0, "the consumer never waited: {s:?}");
    });
}

impl common::Sending for sysv_ipc::mpsc::Sender<u64, 2> {
    type Send<'a> = sysv_ipc_async::mpsc::Send<'a, u64, 2, sysv_ipc::DefaultBackend>;
    fn send_future(&mut self, value: u64) -> Self::Send<'_> {
        send(self, value)
    }
}
