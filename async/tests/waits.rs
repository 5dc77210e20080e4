//! The kernel's answer to a 0-byte receive, removal and signals during a wait, and the CPU an idle process with pending
//! futures uses; each test in a fresh IPC namespace.
//!
//! What holds:
//! - the kernel fact the receive futures stand on: a receiver asleep in `msgrcv` with
//!   a 0-byte buffer (no `MSG_NOERROR`) is woken by a longer message with `E2BIG`
//!   and the message stays queued, or goes to a receiver asleep behind it whose
//!   buffer fits; a zero-length message is taken by the 0-byte receiver;
//! - a queue or set removed while futures wait resolves them with `Removed`;
//! - signals do not end a wait: the program's own (a handled `SIGUSR1` sent to the
//!   process a hundred times), a stop and continue from another process (which makes
//!   a blocked `semop` return `EINTR`), and the crate's own signal sent to a pool
//!   thread whose future is alive; each future then completes normally;
//! - a process with 64 futures pending (48 receives, 16 semaphore waits) under
//!   tokio multi-thread uses under 20 ms of CPU time over 1 s (measured: 0 ms).

mod common;

use std::time::Duration;

use common::{Rt, block_on, cpu_time, eventually, pool_threads, threads_in_ipc_waits};
use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemOp, SemSet};
use sysv_ipc_async::{AsyncMsgQueue, AsyncSemSet, Pool};
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace};

/// Waits until `n` threads of this process are asleep in `msgrcv`.
fn asleep_in_msgrcv(n: usize) {
    eventually("receivers asleep in msgrcv", || {
        common::threads()
            .into_iter()
            .filter(|(tid, _)| {
                std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall"))
                    .ok()
                    .and_then(|s| s.split_whitespace().next()?.parse::<i64>().ok())
                    == Some(common::WAITS[0])
            })
            .count()
            == n
    });
}

#[test]
fn a_zero_byte_receiver_is_refused_and_the_message_stays() {
    in_ipc_namespace(|| {
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        // Alone: woken with E2BIG, the message stays.
        let waiter = std::thread::spawn(move || q.recv(&mut [], Selector::Any));
        asleep_in_msgrcv(1);
        q.send(1, b"hello").unwrap();
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
        assert_eq!(q.stat().unwrap().messages, 1);
        let mut text = [0u8; 8];
        q.recv(&mut text, Selector::Any).unwrap();
        // First in line, before a receiver whose buffer fits: that one gets it.
        let waiter = std::thread::spawn(move || q.recv(&mut [], Selector::Any));
        asleep_in_msgrcv(1);
        let taker = std::thread::spawn(move || {
            let mut text = [0u8; 8];
            q.recv(&mut text, Selector::Any).map(|r| r.len)
        });
        asleep_in_msgrcv(2);
        q.send(1, b"hello").unwrap();
        assert_eq!(
            waiter.join().unwrap().unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(taker.join().unwrap().unwrap(), 5);
        assert_eq!(q.stat().unwrap().messages, 0);
        // A zero-length message fits the 0-byte buffer: taken.
        let waiter = std::thread::spawn(move || q.recv(&mut [], Selector::Any));
        asleep_in_msgrcv(1);
        q.send(4, b"").unwrap();
        assert_eq!(waiter.join().unwrap().unwrap().mtype, 4);
        assert_eq!(q.stat().unwrap().messages, 0);
    });
}

#[test]
fn removal_mid_wait_resolves_with_removed() {
    for rt in [Rt::TokioMulti, Rt::TokioCurrent, Rt::Smol] {
        in_ipc_namespace(|| {
            let pool = Pool::builder().max_threads(4).build();
            let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
            let set = SemSet::new_initialized(Key::PRIVATE, &[0], Mode::OWNER_RW).unwrap();
            let aq = AsyncMsgQueue::with_pool(q, pool.clone());
            let aset = AsyncSemSet::with_pool(set, pool.clone());
            let remover = std::thread::spawn(move || {
                eventually("three waits in the kernel", || threads_in_ipc_waits() == 3);
                q.remove().unwrap();
                set.remove().unwrap();
            });
            block_on(rt, async {
                let mut text = [0u8; 8];
                let recv = aq.recv(&mut text, Selector::Any);
                let value = aq.recv_value::<u64>(Selector::Type(2));
                let op = aset.op(&[SemOp::wait(0)]);
                let (a, b, c) = join3(recv, value, op).await;
                assert_eq!(a.unwrap_err().kind(), ErrorKind::Removed);
                assert_eq!(b.unwrap_err().kind(), ErrorKind::Removed);
                assert_eq!(c.unwrap_err().kind(), ErrorKind::Removed);
            });
            remover.join().unwrap();
        });
    }
}

async fn join3<A: std::future::Future, B: std::future::Future, C: std::future::Future>(
    a: A,
    b: B,
    c: C,
) -> (A::Output, B::Output, C::Output) {
    let (mut a, mut b, mut c) = (Box::pin(a), Box::pin(b), Box::pin(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let std::task::Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let std::task::Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if rc.is_none()
            && let std::task::Poll::Ready(v) = c.as_mut().poll(cx)
        {
            rc = Some(v);
        }
        if ra.is_some() && rb.is_some() && rc.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap(), rc.unwrap())
}

extern "C" fn on_usr1(_: libc::c_int) {}

#[test]
fn signals_do_not_end_a_wait() {
    in_ipc_namespace(|| {
        // SAFETY: a zeroed sigaction is valid; the handler does nothing.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_usr1 as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: `sa` is a live, initialized sigaction.
        let r = unsafe { libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()) };
        assert_eq!(r, 0);
        let pool = Pool::builder().max_threads(2).build();
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        let set = SemSet::new_initialized(Key::PRIVATE, &[0], Mode::OWNER_RW).unwrap();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        let aset = AsyncSemSet::with_pool(set, pool.clone());
        let me = std::process::id() as libc::pid_t;
        let poker = std::thread::spawn(move || {
            eventually("two waits in the kernel", || threads_in_ipc_waits() == 2);
            for _ in 0..100 {
                // SAFETY: a signal to our own process, which handles it.
                unsafe { libc::kill(me, libc::SIGUSR1) };
            }
            // A stop and continue from another process.
            let stopper = fork_peer(move || {
                // SAFETY: signals to the parent test process.
                unsafe { libc::kill(me, libc::SIGSTOP) };
                std::thread::sleep(Duration::from_millis(50));
                // SAFETY: as above.
                unsafe { libc::kill(me, libc::SIGCONT) };
            });
            stopper.join();
            // The crate's own signal, to threads whose futures are alive.
            let sig = sysv_ipc_async::signal().unwrap();
            for tid in pool_threads() {
                // SAFETY: tgkill to a thread of this process, whose handler does nothing.
                unsafe { libc::syscall(libc::SYS_tgkill, me, tid, sig as libc::c_long) };
            }
            std::thread::sleep(Duration::from_millis(50));
            eventually("both waits are back in the kernel", || {
                threads_in_ipc_waits() == 2
            });
            q.send(1, b"done").unwrap();
            set.op(&[SemOp::post(0)]).unwrap();
        });
        block_on(Rt::TokioCurrent, async {
            let mut text = [0u8; 8];
            let (r, o) = (
                aq.recv(&mut text, Selector::Any),
                aset.op(&[SemOp::wait(0)]),
            );
            let (r, o, ()) = join3(r, o, async {}).await;
            assert_eq!(r.unwrap().len, 4);
            o.unwrap();
        });
        poker.join().unwrap();
    });
}

#[test]
fn an_idle_process_with_pending_futures_uses_no_cpu() {
    in_ipc_namespace(|| {
        let pool = Pool::builder().max_threads(64).build();
        let queues: Vec<MsgQueue> = (0..48)
            .map(|_| MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap())
            .collect();
        let set = SemSet::new_initialized(Key::PRIVATE, &[0; 16], Mode::OWNER_RW).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for q in &queues {
            let aq = AsyncMsgQueue::with_pool(*q, pool.clone());
            tasks.push(rt.spawn(async move {
                let mut text = [0u8; 8];
                aq.recv(&mut text, Selector::Any).await.unwrap();
            }));
        }
        for n in 0..16 {
            let aset = AsyncSemSet::with_pool(set, pool.clone());
            tasks.push(rt.spawn(async move { aset.op(&[SemOp::wait(n)]).await.unwrap() }));
        }
        eventually("64 waits in the kernel", || threads_in_ipc_waits() == 64);
        let before = cpu_time();
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu_time() - before;
        eprintln!("CPU time over 1 s with 64 futures pending: {used:?}");
        assert!(used < Duration::from_millis(20), "{used:?}");
        for q in &queues {
            q.send(1, b"go").unwrap();
        }
        for n in 0..16 {
            set.op(&[SemOp::post(n)]).unwrap();
        }
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
    });
}
