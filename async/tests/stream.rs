//! Streams of 100 000 checked messages (sequence number, payload, checksum) between
//! an async side and a sync side in another process, both ways, under tokio
//! multi-thread, tokio current-thread and smol, each in a fresh IPC namespace.
//!
//! What holds: every message arrives once, in order, whole; the async side never
//! uses more pool threads than its bound. A small queue (`msg_qbytes` 1 KiB, 16
//! messages) makes the sender block often, so both the `IPC_NOWAIT` fast path and
//! the pool's waits run.

#[path = "../../tests/common/checked.rs"]
mod checked;
mod common;

use checked::Msg;
use common::{Rt, block_on, pool_threads};
use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::{Intent, Key, Mode};
use sysv_ipc_async::{AsyncMsgQueue, Pool};
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace};

const N: u64 = 100_000;
const THREADS: usize = 2;

fn small_queue() -> MsgQueue {
    let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
    q.set_max_bytes(16 * size_of::<Msg>() as u64).unwrap();
    q
}

fn async_receiver_sync_sender(rt: Rt) {
    in_ipc_namespace(|| {
        let q = small_queue();
        let sender = fork_peer(move || {
            for i in 0..N {
                q.send_value(1, &Msg::new(i)).unwrap();
            }
        });
        let pool = Pool::builder().max_threads(THREADS).build();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        block_on(rt, async {
            for i in 0..N {
                let (mtype, m) = aq.recv_value::<Msg>(Selector::Any).await.unwrap();
                assert_eq!(mtype, 1);
                m.check(i);
            }
        });
        sender.join();
        let stats = pool.stats();
        assert!(stats.peak_threads <= THREADS, "{stats:?}");
        assert!(pool_threads().len() <= THREADS);
        assert_eq!(q.stat().unwrap().messages, 0);
        eprintln!("{rt:?} async receiver: {stats:?}");
    });
}

fn async_sender_sync_receiver(rt: Rt) {
    in_ipc_namespace(|| {
        let q = small_queue();
        let receiver = fork_peer(move || {
            for i in 0..N {
                let (mtype, m) = q.recv_value::<Msg>(Selector::Any).unwrap();
                assert_eq!(mtype, 1);
                m.check(i);
            }
            assert_eq!(q.stat().unwrap().messages, 0);
        });
        let pool = Pool::builder().max_threads(THREADS).build();
        let aq = AsyncMsgQueue::with_pool(q, pool.clone());
        block_on(rt, async {
            for i in 0..N {
                aq.send_value(1, &Msg::new(i)).await.unwrap();
            }
        });
        receiver.join();
        let stats = pool.stats();
        assert!(stats.peak_threads <= THREADS, "{stats:?}");
        eprintln!("{rt:?} async sender: {stats:?}");
    });
}

#[test]
fn tokio_multi_thread_async_receiver() {
    async_receiver_sync_sender(Rt::TokioMulti);
}

#[test]
fn tokio_current_thread_async_receiver() {
    async_receiver_sync_sender(Rt::TokioCurrent);
}

#[test]
fn smol_async_receiver() {
    async_receiver_sync_sender(Rt::Smol);
}

#[test]
fn tokio_multi_thread_async_sender() {
    async_sender_sync_receiver(Rt::TokioMulti);
}

#[test]
fn tokio_current_thread_async_sender() {
    async_sender_sync_receiver(Rt::TokioCurrent);
}

#[test]
fn smol_async_sender() {
    async_sender_sync_receiver(Rt::Smol);
}
