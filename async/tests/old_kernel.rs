//! A kernel without `futex_waitv` (before Linux 5.16), made here by a seccomp
//! filter that answers `ENOSYS` for it in the test's process and its children:
//! the reactor falls back to a thread per waiting future in `FUTEX_WAIT`, and
//! everything still works: a stream with both sides async, many futures at once
//! (as many threads), a dropped future whose thread goes on to serve the next
//! one, a peer's death, `SeqLock` watchers sharing one word.

use std::time::{Duration, Instant};

use sysv_ipc::queue::Queue;
use sysv_ipc::{ErrorKind, Intent, Key, Mode};
use sysv_ipc_async::queue::{dequeue, enqueue};
use sysv_ipc_async::reactor_stats;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace_timeout};

const LIMIT: Duration = Duration::from_secs(240);
const SYS_FUTEX_WAITV: u32 = 449;

/// Makes `futex_waitv` fail with `ENOSYS` in this process and every child it
/// forks from now on, as on a kernel that does not have it.
fn without_futex_waitv() {
    // struct seccomp_data: `nr` at offset 0. The number is the same on x86_64
    // and aarch64, the two architectures the crate runs on.
    let filter = [
        // A = seccomp_data.nr
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        // if A == futex_waitv: next, else skip one
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: SYS_FUTEX_WAITV,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integers only.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(r, 0);
    // SAFETY: PR_SET_SECCOMP reads the program (a live local) during the call only.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &raw const prog,
        )
    };
    assert_eq!(r, 0, "seccomp: {}", std::io::Error::last_os_error());
    // SAFETY: no words, no timeout: the kernel reads nothing.
    let r = unsafe { libc::syscall(libc::c_long::from(SYS_FUTEX_WAITV), 0, 0, 0, 0, 0) };
    assert_eq!(
        (r, std::io::Error::last_os_error().raw_os_error()),
        (-1, Some(libc::ENOSYS))
    );
}

type Q = Queue<u64, 64>;

fn key(i: u32) -> Key {
    Key::new(0x5a55_0000 + i as i32)
}

/// Both sides async, in two processes, 0 spins (every wait arms): in order,
/// once each, through the one-word threads.
#[test]
fn a_stream_with_both_sides_async() {
    const N: u64 = 50_000;
    in_ipc_namespace_timeout(LIMIT, || {
        without_futex_waitv();
        let q = Q::create(key(0), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let producer = fork_peer(|| {
            let q = Q::open(key(0)).unwrap();
            let mut tx = q.producer().unwrap();
            tx.set_spins(0);
            smol::block_on(async {
                for i in 0..N {
                    enqueue(&mut tx, i).await.unwrap();
                }
            });
        });
        let mut rx = q.consumer().unwrap();
        rx.set_spins(0);
        smol::block_on(async {
            for i in 0..N {
                assert_eq!(dequeue(&mut rx).await.unwrap(), i);
            }
        });
        producer.join();
        let s = reactor_stats();
        assert!(!s.futex_waitv, "{s:?}");
        assert!(s.waits > 0 && s.woken > 0, "never waited: {s:?}");
        assert_eq!(s.threads, 1, "one waiting future, one thread: {s:?}");
    });
}

/// 50 futures on 50 queues wait at once: 50 threads (the fallback's cost), each
/// woken by its own queue's value.
#[test]
fn many_futures_a_thread_each() {
    const QUEUES: u32 = 50;
    in_ipc_namespace_timeout(LIMIT, || {
        without_futex_waitv();
        let queues: Vec<Queue<u64, 4>> = (0..QUEUES)
            .map(|i| Queue::create(key(i), Intent::CreateNew, Mode::OWNER_RW).unwrap())
            .collect();
        let mut rxs: Vec<_> = queues.iter().map(|q| q.consumer().unwrap()).collect();
        let mut txs: Vec<_> = queues.iter().map(|q| q.producer().unwrap()).collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let waits: Vec<_> = rxs
                .iter_mut()
                .map(|rx| {
                    rx.set_spins(0);
                    dequeue(rx)
                })
                .collect();
            let all = futures_join_all(waits);
            let sender = async {
                // Every future armed before anything is sent.
                let start = Instant::now();
                while reactor_stats().threads < QUEUES as usize {
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "{:?}",
                        reactor_stats()
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                for (i, tx) in txs.iter_mut().enumerate() {
                    tx.enqueue(i as u64 * 3).unwrap();
                }
            };
            let (got, ()) = tokio::join!(all, sender);
            for (i, v) in got.into_iter().enumerate() {
                assert_eq!(v.unwrap(), i as u64 * 3, "queue {i}");
            }
        });
        let s = reactor_stats();
        assert_eq!(s.threads, QUEUES as usize, "{s:?}");
        assert!(s.woken >= u64::from(QUEUES), "{s:?}");
    });
}

/// Polls every future until all are done, in one task.
async fn futures_join_all<F: std::future::Future + Unpin>(mut fs: Vec<F>) -> Vec<F::Output> {
    let mut out: Vec<Option<F::Output>> = fs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in fs.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match std::pin::Pin::new(&mut *f).poll(cx) {
                    std::task::Poll::Ready(v) => *o = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}

/// A future dropped while it waits: its thread leaves the word (the drop kicks
/// it) and serves the next future, on another queue, without a new thread.
#[test]
fn a_dropped_wait_frees_its_thread_for_the_next() {
    in_ipc_namespace_timeout(LIMIT, || {
        without_futex_waitv();
        let a: Queue<u64, 4> = Queue::create(key(0), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let b: Queue<u64, 4> = Queue::create(key(1), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let (mut arx, mut brx) = (a.consumer().unwrap(), b.consumer().unwrap());
        let mut btx = b.producer().unwrap();
        arx.set_spins(0);
        brx.set_spins(0);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut first = Box::pin(dequeue(&mut arx));
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert_eq!(reactor_stats().threads, 1);
        drop(first);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                btx.enqueue(7).unwrap();
            });
            assert_eq!(smol::future::block_on(dequeue(&mut brx)).unwrap(), 7);
        });
        let s = reactor_stats();
        assert_eq!(s.threads, 1, "{s:?}");
        assert!(s.woken >= 1, "{s:?}");
    });
}

/// The producer killed while the consumer awaits: `PeerDied` within the peer
/// check, through the one-word thread's deadline and its look at the seat.
#[test]
fn a_peers_death_reaches_the_future() {
    in_ipc_namespace_timeout(LIMIT, || {
        without_futex_waitv();
        let q = Q::create(key(0), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut rx = q.consumer().unwrap();
        rx.set_peer_check(Some(Duration::from_millis(100)));
        let producer = fork_peer(|| {
            let q = Q::open(key(0)).unwrap();
            let _tx = q.producer().unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        let start = Instant::now();
        while !q.has_producer().unwrap() {
            assert!(start.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(1));
        }
        let e = smol::future::block_on(async {
            let waiting = dequeue(&mut rx);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                producer.kill(libc::SIGKILL);
            });
            let e = waiting.await.unwrap_err();
            killer.join().unwrap();
            e
        });
        assert_eq!(e.kind(), ErrorKind::PeerDied, "{e}");
        assert!(!reactor_stats().futex_waitv);
    });
}

/// `SeqLock` watchers under the fallback: 8 futures on one lock, so 8 threads
/// in `FUTEX_WAIT` on the one shared word; a blocking writer process's single
/// write wakes them all (its wake is a wake of all, as `futex_waitv` needs too).
#[test]
fn seqlock_watchers_share_a_word_through_the_fallback() {
    use sysv_ipc::Removable;
    use sysv_ipc::seqlock::SeqLock;
    use sysv_ipc_async::seqlock::changed;
    const WATCHERS: usize = 8;
    in_ipc_namespace_timeout(LIMIT, || {
        without_futex_waitv();
        let lock = SeqLock::<u64>::create(key(900), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let lock = std::sync::Arc::new(lock);
        let tasks: Vec<_> = (0..WATCHERS)
            .map(|_| {
                let lock = lock.clone();
                rt.spawn(async move { changed(&*lock, 0).await })
            })
            .collect();
        let start = Instant::now();
        while reactor_stats().waits < WATCHERS as u64 {
            assert!(start.elapsed() < LIMIT, "the watchers never registered");
            std::thread::sleep(Duration::from_millis(1));
        }
        let writer = fork_peer(|| {
            let lock = SeqLock::<u64>::open(key(900)).unwrap();
            lock.writer().unwrap().write(&5).unwrap();
        });
        writer.join();
        for t in tasks {
            assert_eq!(rt.block_on(t).unwrap().unwrap(), 2);
        }
        assert_eq!(lock.read().unwrap(), 5);
        assert!(!reactor_stats().futex_waitv);
        drop(rt);
        std::sync::Arc::into_inner(lock).unwrap().remove().unwrap();
    });
}
