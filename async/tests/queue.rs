//! Awaited `Queue`s: both sides async, one side async against a blocking peer in
//! another process, under tokio (multi- and current-thread) and smol; many futures
//! on many queues with few threads; an idle wait that costs no CPU; cancellation
//! that loses nothing; a peer's death reaching the future.
//!
//! Every test runs in a fresh IPC namespace (a forked child, see `testkit`).

use std::future::Future;
use std::time::{Duration, Instant};

use sysv_ipc::queue::{Consumer, Producer, Queue};
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable};
use sysv_ipc_async::queue::{dequeue, enqueue};
use sysv_ipc_async::reactor_stats;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace_timeout};

mod common;

/// Messages per stream: bounded in CI; `SYSV_IPC_ASYNC_FULL=1` streams 1 M.
fn stream_len() -> u64 {
    common::stream_len(100_000)
}

const LIMIT: Duration = Duration::from_secs(240);

type Q = Queue<u64, 64>;

/// In a fresh namespace, so any key is free.
const KEY: Key = Key::new(0x5a51_0001);

fn queue() -> Q {
    Q::create(KEY, Intent::CreateNew, Mode::OWNER_RW).expect("create")
}

/// The sender's half of a stream of `n` values through an async producer.
async fn send_all(tx: &mut Producer<u64, 64>, n: u64) {
    for i in 0..n {
        enqueue(tx, i).await.expect("enqueue");
    }
}

/// The receiver's half: every value once, in order.
async fn receive_all(rx: &mut Consumer<u64, 64>, n: u64) {
    for i in 0..n {
        assert_eq!(dequeue(rx).await.expect("dequeue"), i, "in order");
    }
}

fn tokio_multi() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn tokio_current() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn both_sides_async_tokio_multi_thread() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let (mut tx, mut rx) = (q.producer().unwrap(), q.consumer().unwrap());
        let n = stream_len();
        tokio_multi().block_on(async move {
            let sender = tokio::spawn(async move { send_all(&mut tx, n).await });
            receive_all(&mut rx, n).await;
            sender.await.unwrap();
        });
        q.remove().unwrap();
    });
}

#[test]
fn both_sides_async_tokio_current_thread() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let (mut tx, mut rx) = (q.producer().unwrap(), q.consumer().unwrap());
        let n = stream_len();
        tokio_current().block_on(async {
            tokio::join!(send_all(&mut tx, n), receive_all(&mut rx, n));
        });
        q.remove().unwrap();
    });
}

#[test]
fn both_sides_async_smol() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let (mut tx, mut rx) = (q.producer().unwrap(), q.consumer().unwrap());
        let n = stream_len();
        let ex = smol::Executor::new();
        let sender = ex.spawn(async move { send_all(&mut tx, n).await });
        smol::block_on(ex.run(async {
            receive_all(&mut rx, n).await;
            sender.await;
        }));
        q.remove().unwrap();
    });
}

/// A blocking producer process (0 spins, so it parks whenever the ring is full)
/// feeding an async consumer, and the reverse: the wakes cross between a
/// semaphore park and a word wait in both directions.
#[test]
fn async_consumer_with_a_blocking_producer_process() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let n = stream_len();
        let peer = fork_peer(|| {
            let q = Q::open(KEY).unwrap();
            let mut tx = q.producer().unwrap();
            tx.set_spins(0);
            for i in 0..n {
                tx.enqueue_blocking(i).unwrap();
            }
        });
        let mut rx = q.consumer().unwrap();
        // Arms at once on an empty ring: every wait is a word wait that the
        // blocking producer's enqueue must wake.
        rx.set_spins(0);
        tokio_current().block_on(receive_all(&mut rx, n));
        peer.join();
        let s = reactor_stats();
        assert!(
            s.waits > 0 && s.woken > 0,
            "the consumer never waited: {s:?}"
        );
        q.remove().unwrap();
    });
}

#[test]
fn async_producer_with_a_blocking_consumer_process() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let n = stream_len();
        let peer = fork_peer(|| {
            let q = Q::open(KEY).unwrap();
            let mut rx = q.consumer().unwrap();
            rx.set_spins(0);
            for i in 0..n {
                assert_eq!(rx.dequeue_blocking().unwrap(), i);
            }
        });
        let mut tx = q.producer().unwrap();
        // Arms at once on a full ring (no looks first): every wait for room is
        // a word wait that the blocking consumer's dequeue must wake.
        tx.set_spins(0);
        smol::block_on(send_all(&mut tx, n));
        peer.join();
        let s = reactor_stats();
        assert!(
            s.waits > 0 && s.woken > 0,
            "the producer never waited: {s:?}"
        );
        q.remove().unwrap();
    });
}

/// Threads of this process (`/proc/self/task`).
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// CPU time (user + system) of the whole process so far.
fn cpu_time() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one struct rusage into `ru`, a live local.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    assert_eq!(r, 0);
    // SAFETY: initialised by the call above (and zeroed before it).
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// 1 000 futures awaiting 1 000 queues: a handful of threads (one reactor
/// thread per 127 waits), almost no CPU while they wait, and each resolves with
/// its own queue's value once a producer process sends it.
fn a_thousand_waits(peer_check: Option<Duration>, max_cpu: Duration) {
    const QUEUES: u32 = 1000;
    in_ipc_namespace_timeout(LIMIT, || {
        let key = |i: u32| Key::new(0x5a52_0000 + i as i32);
        let queues: Vec<Queue<u64, 4>> = (0..QUEUES)
            .map(|i| Queue::create(key(i), Intent::CreateNew, Mode::OWNER_RW).unwrap())
            .collect();
        let mut rxs: Vec<_> = queues
            .iter()
            .map(|q| {
                let mut rx = q.consumer().unwrap();
                rx.set_peer_check(peer_check);
                rx
            })
            .collect();
        let before = threads();
        let ex = smol::LocalExecutor::new();
        let tasks: Vec<_> = rxs
            .iter_mut()
            .enumerate()
            .map(|(i, rx)| ex.spawn(async move { (i, dequeue(rx).await) }))
            .collect();
        smol::block_on(ex.run(async {
            // Let every future arm and register.
            while reactor_stats().waits < u64::from(QUEUES) {
                smol::future::yield_now().await;
            }
            let during = threads();
            let reactor = reactor_stats().threads;
            assert_eq!(reactor, (QUEUES as usize).div_ceil(127), "reactor threads");
            // + 1: smol's own I/O driver thread ("async-io").
            assert!(
                during <= before + reactor + 1,
                "{during} threads with {QUEUES} waits ({before} before, {reactor} reactor)"
            );
            // Idle: a second of waiting costs (almost) no CPU. The only work is
            // the peer checks (every 100 ms each, the default), which the
            // reactor threads make with one `semctl` each and without waking a
            // task once a future has heard that its producer is not there yet
            // (its first check, within the first 100 ms).
            smol::Timer::after(Duration::from_millis(300)).await;
            let told = reactor_stats().timed_out;
            let cpu = cpu_time();
            smol::Timer::after(Duration::from_secs(1)).await;
            let used = cpu_time() - cpu;
            let s = reactor_stats();
            eprintln!(
                "idle second, {QUEUES} pending futures, peer checks {peer_check:?}: \
                 {used:?} of CPU, {s:?}"
            );
            assert_eq!(s.timed_out, told, "a task was woken while nothing changed");
            assert_eq!(s.woken, 0);
            assert!(used < max_cpu, "{used:?} of CPU while idle");
            let peer = fork_peer(move || {
                for i in 0..QUEUES {
                    let q = Queue::<u64, 4>::open(key(i)).unwrap();
                    q.producer().unwrap().enqueue(u64::from(i) * 7).unwrap();
                }
            });
            for t in tasks {
                let (i, got) = t.await;
                assert_eq!(got.unwrap(), i as u64 * 7, "queue {i}");
            }
            peer.join();
        }));
    });
}

/// 1 000 futures awaiting 1 000 queues, each checking its (absent) producer every
/// 100 ms (the default): the reactor makes those checks, one `semctl` each, and
/// wakes no task while nothing changes.
#[test]
fn a_thousand_waits_few_threads_little_cpu() {
    a_thousand_waits(Some(Duration::from_millis(100)), Duration::from_millis(60));
}

/// The same without peer checks: a second of waiting costs nothing measurable.
#[test]
fn a_thousand_waits_without_peer_checks_no_cpu() {
    a_thousand_waits(None, Duration::from_millis(5));
}

/// Dequeue futures dropped at random points (before a poll, while armed, after
/// a wake) lose nothing and take nothing twice: what the futures returned,
/// then what a plain dequeue drains, is every value sent, in order once.
#[test]
fn dropped_dequeues_lose_nothing() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q: Queue<u64, 4> = Queue::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sides = std::cell::RefCell::new((q.split().unwrap(), 0u64));
        // 0: the producer enqueues the next value, 1: poll (a future made if
        // none), 2: drop it.
        let steps = proptest::collection::vec(0u8..3, 1..60);
        common::runner()
            .run(&steps, |steps| {
                let mut sides = sides.borrow_mut();
                let ((tx, rx), next) = &mut *sides;
                // One look through the executor before arming: both states occur.
                rx.set_spins(16);
                let mut send = |v| tx.enqueue(v).is_ok();
                let (got, sent) = common::dropped_receives(&steps, &mut send, rx, next);
                proptest::prop_assert_eq!(got, sent);
                // Nothing stays armed: a dropped future withdrew its wait.
                proptest::prop_assert!(rx.armed_word().is_none());
                Ok(())
            })
            .unwrap();
    });
}

/// Enqueue futures dropped at random points send their value if and only if
/// they returned `Ready(Ok)`: the consumer sees exactly those, in order.
#[test]
fn dropped_enqueues_send_exactly_what_completed() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q: Queue<u64, 2> = Queue::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sides = std::cell::RefCell::new((q.split().unwrap(), 0u64));
        // 0: the consumer dequeues one value, 1: poll (a future of the next
        // value made if none), 2: drop it.
        let steps = proptest::collection::vec(0u8..3, 1..60);
        common::runner()
            .run(&steps, |steps| {
                let mut sides = sides.borrow_mut();
                let ((tx, rx), next) = &mut *sides;
                tx.set_spins(16);
                let (got, sent) =
                    common::dropped_sends(&steps, &mut || rx.dequeue().unwrap(), tx, next);
                proptest::prop_assert_eq!(got, sent);
                proptest::prop_assert!(tx.armed_word().is_none());
                Ok(())
            })
            .unwrap();
    });
}

impl common::Receiving for Consumer<u64, 4> {
    type Recv<'a> = sysv_ipc_async::queue::Dequeue<'a, u64, 4, sysv_ipc::DefaultBackend>;
    fn recv_future(&mut self) -> Self::Recv<'_> {
        dequeue(self)
    }
    fn try_recv(&mut self) -> Option<u64> {
        self.dequeue().unwrap()
    }
}

impl common::Sending for Producer<u64, 2> {
    type Send<'a> = sysv_ipc_async::queue::Enqueue<'a, u64, 2, sysv_ipc::DefaultBackend>;
    fn send_future(&mut self, value: u64) -> Self::Send<'_> {
        enqueue(self, value)
    }
}

/// A producer process killed while the consumer awaits: the future returns what
/// it committed, then `PeerDied`, within the peer-check interval (and the
/// reactor's slack).
#[test]
fn producer_death_reaches_the_future() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let mut rx = q.consumer().unwrap();
        rx.set_peer_check(Some(Duration::from_millis(100)));
        let peer = fork_peer(|| {
            let q = Q::open(KEY).unwrap();
            let mut tx = q.producer().unwrap();
            tx.enqueue(5).unwrap();
            std::thread::sleep(Duration::from_secs(60));
        });
        smol::block_on(async {
            assert_eq!(dequeue(&mut rx).await.unwrap(), 5);
            let waiting = dequeue(&mut rx);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                peer.kill(libc::SIGKILL);
                let at = Instant::now();
                // Reaped here (the peer's drop then finds nothing to do).
                // SAFETY: a blocking wait for our own child; no status wanted.
                unsafe { libc::waitpid(peer.pid(), std::ptr::null_mut(), 0) };
                at
            });
            let e = waiting.await.unwrap_err();
            let killed = killer.join().unwrap();
            assert_eq!(e.kind(), ErrorKind::PeerDied);
            let late = killed.elapsed();
            assert!(
                late < Duration::from_secs(2),
                "PeerDied {late:?} after the kill"
            );
        });
    });
}

/// The queue removed while a future awaits it: the future ends with `Removed`
/// (its peer check finds the semaphore set gone), not a hang.
#[test]
fn removal_reaches_the_future() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let mut rx = q.consumer().unwrap();
        rx.set_peer_check(Some(Duration::from_millis(100)));
        let _tx = q.producer().unwrap();
        smol::block_on(async {
            let waiting = dequeue(&mut rx);
            let remover = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                Q::open(KEY).unwrap().remove().unwrap();
            });
            let e = waiting.await.unwrap_err();
            remover.join().unwrap();
            assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        });
    });
}

/// Ctrl-Z on a process whose future is parked: the consumer process is stopped
/// (SIGSTOP) while its reactor thread sleeps in `futex_waitv`, a value arrives
/// meanwhile, and after SIGCONT the future gets it (the stop's EINTR is a return
/// the reactor waits again after, never an error or a lost wake).
#[test]
fn a_stopped_and_continued_process_keeps_its_wait() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let waiter = fork_peer(|| {
            let q = Q::open(KEY).unwrap();
            let mut rx = q.consumer().unwrap();
            rx.set_spins(0);
            let got = smol::block_on(dequeue(&mut rx)).unwrap();
            assert_eq!(got, 77);
            assert!(reactor_stats().waits > 0, "the value came before the wait");
        });
        let mut tx = q.producer().unwrap();
        // Until the consumer holds its role; then time for it to arm and for
        // its reactor thread to fall asleep.
        let start = Instant::now();
        while !q.has_consumer().unwrap() {
            assert!(start.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(100));
        for _ in 0..3 {
            waiter.kill(libc::SIGSTOP);
            std::thread::sleep(Duration::from_millis(50));
            waiter.kill(libc::SIGCONT);
            std::thread::sleep(Duration::from_millis(50));
        }
        waiter.kill(libc::SIGSTOP);
        tx.enqueue(77).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        waiter.kill(libc::SIGCONT);
        waiter.join();
    });
}

/// A process forked after its parent waited: the child has none of the parent's
/// reactor threads, so it must not wait through them. A future the parent left
/// pending resolves in the child (`WrongProcess`: the role is the parent's)
/// instead of hanging on a registration nobody serves, and a new wait in the
/// child is served by a reactor of the child's own.
#[test]
fn a_forked_child_waits_through_a_reactor_of_its_own() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let mut rx = q.consumer().unwrap();
        rx.set_spins(0);
        let mut tx = q.producer().unwrap();
        // The parent waits once, so its reactor has a thread ...
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                tx.enqueue(1).unwrap();
            });
            assert_eq!(smol::future::block_on(dequeue(&mut rx)).unwrap(), 1);
        });
        assert!(reactor_stats().threads >= 1);
        // ... and leaves a future registered with it.
        let mut pending = Box::pin(dequeue(&mut rx));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(pending.as_mut().poll(&mut cx).is_pending());
        let other_key = Key::new(0x5a51_0002);
        let other: Queue<u64, 4> =
            Queue::create(other_key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let child = fork_peer(move || {
            // A fork-safe executor: smol's own `block_on` would share the
            // parent's I/O reactor (its epoll and its thread's lock).
            let e = smol::future::block_on(pending).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::WrongProcess, "{e}");
            let other = Queue::<u64, 4>::open(other_key).unwrap();
            let mut rx = other.consumer().unwrap();
            rx.set_spins(0);
            assert_eq!(smol::future::block_on(dequeue(&mut rx)).unwrap(), 9);
            assert_eq!(reactor_stats().threads, 1, "the child's own reactor");
        });
        let start = Instant::now();
        while !other.has_consumer().unwrap() {
            assert!(start.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(1));
        }
        // Time for the child to arm and sleep.
        std::thread::sleep(Duration::from_millis(100));
        other.producer().unwrap().enqueue(9).unwrap();
        child.join();
    });
}

/// What a debugger and Ctrl-Z do to a process whose future waits, over and over
/// while a stream runs through it: every thread of the consumer process (its
/// reactor thread asleep in `futex_waitv` among them) is seized and interrupted
/// in turn (`strace -p`), and the process is stopped and continued (Ctrl-Z,
/// `fg`). Every value arrives once, in order, and no wait fails.
#[test]
fn a_stream_survives_a_debugger_and_ctrl_z_storm() {
    use sysv_ipc_testkit::debugger::{ptrace_interrupt_threads, state, stop_and_continue};
    let n = common::stream_len(20_000);
    in_ipc_namespace_timeout(LIMIT, || {
        let q = queue();
        let consumer = fork_peer(|| {
            let q = Q::open(KEY).unwrap();
            let mut rx = q.consumer().unwrap();
            rx.set_spins(0);
            smol::block_on(receive_all(&mut rx, n));
            assert!(reactor_stats().waits > 0, "the consumer never waited");
        });
        let mut tx = q.producer().unwrap();
        let producer = std::thread::spawn(move || {
            for i in 0..n {
                tx.enqueue_blocking(i).unwrap();
                if i % 500 == 0 {
                    // Now and then nothing: the consumer's future waits.
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        let (mut stops, mut round) = (0u64, 0u64);
        while !matches!(state(consumer.pid()), Some(b'Z' | b'X') | None) {
            round += 1;
            let stopped = if round % 2 == 0 {
                stop_and_continue(consumer.pid())
            } else {
                ptrace_interrupt_threads(consumer.pid())
            };
            stops += u64::from(stopped);
            std::thread::sleep(Duration::from_micros(200));
        }
        producer.join().unwrap();
        consumer.join();
        assert!(stops > 0, "nothing was stopped: the test proved nothing");
        eprintln!("{stops} stops and debugger visits over {n} values");
    });
}
