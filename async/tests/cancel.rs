//! Cancellation: dropping futures at random points loses nothing and duplicates
//! nothing, and leaves no pool thread in a kernel wait. Each test in a fresh IPC
//! namespace.
//!
//! What holds:
//! - (proptest) receive futures, send futures and sync sends interleaved with polls
//!   and drops at random points on one queue (including zero-length messages, which
//!   the pool's 0-byte wait takes itself): every message sent by a sync send or by a
//!   send future that completed is received exactly once (by a future or by the
//!   final drain); a message of a dropped send future is received at most once;
//!   nothing else is received; no zero-length message is lost; afterwards no pool
//!   thread waits in the kernel;
//! - a zero-length message taken by the wait of a future dropped before it saw it is
//!   back on the queue;
//! - `MsgSend::cancel` of a send blocked on a full queue says `NotSent` and the
//!   message never arrives; of a send the kernel already took, `Sent`;
//! - 1 000 drops of futures whose thread is in `msgrcv` each free the thread.

mod common;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use common::{eventually, poll_once, threads_in_ipc_waits};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::{Intent, Key, Mode, Removable};
use sysv_ipc_async::{AsyncMsgQueue, Pool, SendOutcome};
use sysv_ipc_testkit::in_ipc_namespace;

#[derive(Clone, Debug)]
enum Op {
    /// A new receive future.
    Recv,
    /// Poll future `i % live` once.
    Poll(usize),
    /// Drop future `i % live`.
    Drop(usize),
    /// A sync send: with text (8 bytes) or zero-length.
    SyncSend { empty: bool },
    /// A new send future (8 bytes).
    AsyncSend,
    /// Let the pool threads run a little.
    Pause,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Recv),
        6 => any::<usize>().prop_map(Op::Poll),
        3 => any::<usize>().prop_map(Op::Drop),
        2 => any::<bool>().prop_map(|empty| Op::SyncSend { empty }),
        2 => Just(Op::AsyncSend),
        1 => Just(Op::Pause),
    ]
}

type Boxed = Pin<Box<dyn Future<Output = Outcome>>>;

enum Outcome {
    /// A receive got the message with this sequence number.
    Got(u64),
    /// A send future of this sequence number completed.
    Sent(u64),
}

/// Every message carries its sequence number as `mtype - 1`, and as its text unless
/// zero-length.
fn run_case(ops: &[Op]) -> Result<(), TestCaseError> {
    let pool = Pool::builder().max_threads(4).build();
    let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
    // Room for 24 messages of 8 bytes: async sends sometimes wait in the pool.
    q.set_max_bytes(24 * 8).unwrap();
    let aq: &'static AsyncMsgQueue = Box::leak(Box::new(AsyncMsgQueue::with_pool(q, pool.clone())));
    let mut live: Vec<Boxed> = Vec::new();
    let mut seq = 0u64;
    let mut must: Vec<u64> = Vec::new(); // sent for sure
    let mut may: Vec<u64> = Vec::new(); // of dropped send futures
    let mut async_sends: BTreeMap<u64, ()> = BTreeMap::new();
    let mut got: Vec<u64> = Vec::new();
    let finish = |o: Outcome,
                  got: &mut Vec<u64>,
                  must: &mut Vec<u64>,
                  asyncs: &mut BTreeMap<u64, ()>| match o {
        Outcome::Got(s) => got.push(s),
        Outcome::Sent(s) => {
            asyncs.remove(&s);
            must.push(s);
        }
    };
    for op in ops {
        match op {
            Op::Recv => live.push(Box::pin(async move {
                let mut text = [0u8; 8];
                let r = aq.recv(&mut text, Selector::Any).await.unwrap();
                let s = (r.mtype - 1) as u64;
                if r.len > 0 {
                    assert_eq!((r.len, u64::from_ne_bytes(text)), (8, s), "torn message");
                }
                Outcome::Got(s)
            })),
            Op::AsyncSend => {
                let s = seq;
                seq += 1;
                async_sends.insert(s, ());
                live.push(Box::pin(async move {
                    aq.send(s as i64 + 1, &s.to_ne_bytes()).await.unwrap();
                    Outcome::Sent(s)
                }));
            }
            Op::SyncSend { empty } => {
                let s = seq;
                seq += 1;
                let bytes = s.to_ne_bytes();
                let text: &[u8] = if *empty { &[] } else { &bytes };
                // The queue may be full of async sends' messages: skip then.
                if q.try_send(s as i64 + 1, text).is_ok() {
                    must.push(s);
                }
            }
            Op::Poll(i) if !live.is_empty() => {
                let i = i % live.len();
                if let Poll::Ready(o) = poll_once(&mut live[i]) {
                    drop(live.swap_remove(i));
                    finish(o, &mut got, &mut must, &mut async_sends);
                }
            }
            Op::Drop(i) if !live.is_empty() => {
                let i = i % live.len();
                drop(live.swap_remove(i));
            }
            Op::Pause => std::thread::sleep(std::time::Duration::from_micros(300)),
            Op::Poll(_) | Op::Drop(_) => {}
        }
    }
    drop(live);
    may.extend(async_sends.keys());
    // No waiter left behind: every pool thread leaves its kernel wait.
    eventually("no pool thread waits in the kernel", || {
        threads_in_ipc_waits() == 0
    });
    eventually("no pool job left", || {
        pool.stats().busy == 0 && pool.stats().queued == 0
    });
    // Drain what is queued.
    let mut text = [0u8; 8];
    while let Ok(r) = q.try_recv(&mut text, Selector::Any) {
        got.push((r.mtype - 1) as u64);
    }
    got.sort_unstable();
    for w in got.windows(2) {
        prop_assert_ne!(w[0], w[1], "duplicated message");
    }
    must.sort_unstable();
    for s in &must {
        prop_assert!(got.binary_search(s).is_ok(), "lost message {}", s);
    }
    for s in &got {
        prop_assert!(
            must.binary_search(s).is_ok() || may.contains(s),
            "unknown message {}",
            s
        );
    }
    prop_assert_eq!(pool.stats().lost_empty, 0);
    q.remove().unwrap();
    Ok(())
}

#[test]
fn random_cancellation_loses_and_duplicates_nothing() {
    in_ipc_namespace(|| {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&proptest::collection::vec(op(), 1..120), |ops| {
                run_case(&ops)
            })
            .unwrap();
    });
}

#[test]
fn a_zero_length_message_taken_for_a_dropped_future_is_sent_back() {
    in_ipc_namespace(|| {
        let pool = Pool::builder().max_threads(1).build();
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        q.send(5, b"first").unwrap();
        let mut text = [0u8; 8];
        let mut fut = aq.recv(&mut text, Selector::Type(7));
        assert!(poll_once(&mut fut).is_pending());
        eventually("the pool thread waits", || threads_in_ipc_waits() == 1);
        q.send(7, b"").unwrap(); // taken by the 0-byte wait
        eventually("the wait returned", || {
            threads_in_ipc_waits() == 0 && pool.stats().busy == 0
        });
        assert_eq!(q.stat().unwrap().messages, 1); // only "first": the wait holds the other
        drop(fut); // never saw it
        let st = q.stat().unwrap();
        assert_eq!((st.messages, st.bytes), (2, 5));
        assert_eq!(pool.stats().requeued_empty, 1);
        // Back at the tail, behind "first".
        assert_eq!(q.try_recv(&mut text, Selector::Any).unwrap().mtype, 5);
        let r = q.try_recv(&mut text, Selector::Any).unwrap();
        assert_eq!((r.mtype, r.len), (7, 0));
    });
}

#[test]
fn an_observed_zero_length_message_is_received_once() {
    in_ipc_namespace(|| {
        let pool = Pool::builder().max_threads(1).build();
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        let mut text = [0u8; 8];
        let mut fut = aq.recv(&mut text, Selector::Any);
        assert!(poll_once(&mut fut).is_pending());
        eventually("the pool thread waits", || threads_in_ipc_waits() == 1);
        q.send(3, b"").unwrap();
        let mut got = None;
        eventually("the future is ready", || {
            if let Poll::Ready(r) = poll_once(&mut fut) {
                got = Some(r.unwrap());
            }
            got.is_some()
        });
        let r = got.unwrap();
        assert_eq!((r.mtype, r.len), (3, 0));
        drop(fut);
        assert_eq!(q.stat().unwrap().messages, 0);
        assert_eq!(pool.stats().requeued_empty, 0);
    });
}

#[test]
fn cancel_tells_whether_a_send_happened() {
    in_ipc_namespace(|| {
        let pool = Pool::builder().max_threads(1).build();
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        q.set_max_bytes(4).unwrap();
        q.send(1, b"full").unwrap();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        // Blocked on the full queue, then cancelled: not sent, ever.
        let mut send = aq.send(2, b"more");
        assert!(poll_once(&mut send).is_pending());
        eventually("the pool thread waits in msgsnd", || {
            threads_in_ipc_waits() == 1
        });
        assert_eq!(smol::block_on(send.cancel()).unwrap(), SendOutcome::NotSent);
        assert_eq!(threads_in_ipc_waits(), 0);
        let mut text = [0u8; 4];
        assert_eq!(q.try_recv(&mut text, Selector::Any).unwrap().mtype, 1);
        assert!(q.try_recv(&mut text, Selector::Any).is_err());
        // Blocked, then room: the kernel takes it before the cancellation.
        q.send(1, b"full").unwrap();
        let mut send = aq.send(2, b"more");
        assert!(poll_once(&mut send).is_pending());
        eventually("the pool thread waits in msgsnd", || {
            threads_in_ipc_waits() == 1
        });
        q.try_recv(&mut text, Selector::Any).unwrap();
        eventually("the send went through", || pool.stats().busy == 0);
        assert_eq!(smol::block_on(send.cancel()).unwrap(), SendOutcome::Sent);
        assert_eq!(q.try_recv(&mut text, Selector::Any).unwrap().mtype, 2);
    });
}

#[test]
fn each_drop_frees_its_thread() {
    in_ipc_namespace(|| {
        let pool = Pool::builder().max_threads(2).build();
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        for i in 0..1000 {
            let mut text = [0u8; 8];
            let mut fut = aq.recv(&mut text, Selector::Any);
            assert!(poll_once(&mut fut).is_pending());
            if i % 2 == 0 {
                // Sometimes dropped before the thread entered msgrcv, sometimes after.
                eventually("the pool thread waits", || threads_in_ipc_waits() == 1);
            }
            drop(fut);
            eventually("the thread let go", || {
                let s = pool.stats();
                s.busy == 0 && s.queued == 0 && threads_in_ipc_waits() == 0
            });
        }
        // Nobody waits: a message stays queued.
        q.send(1, b"kept").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(q.stat().unwrap().messages, 1);
        eprintln!("{:?}", pool.stats());
    });
}

#[test]
fn a_future_polled_after_completion_does_nothing_more() {
    in_ipc_namespace(|| {
        let pool = Pool::builder().max_threads(1).build();
        let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        let mut send = aq.send(1, b"once");
        assert!(matches!(poll_once(&mut send), Poll::Ready(Ok(()))));
        assert!(poll_once(&mut send).is_pending());
        drop(send);
        q.send(1, b"twice").unwrap();
        let mut text = [0u8; 8];
        let mut recv = aq.recv(&mut text, Selector::Any);
        assert!(matches!(poll_once(&mut recv), Poll::Ready(Ok(_))));
        assert!(poll_once(&mut recv).is_pending());
        drop(recv);
        // One message sent by the future, one left of the two queued.
        assert_eq!(q.stat().unwrap().messages, 1);
        assert_eq!(pool.stats().runs, 0);
    });
}
