#![doc = include_str!("../README.md")]
//!
//! # Kernel objects: [`AsyncMsgQueue`] and [`AsyncSemSet`]
//!
//! `msgrcv`, `msgsnd` and `semop` wait in the kernel, and no file descriptor or
//! multiplexing call can watch them. So each future first tries its call with
//! `IPC_NOWAIT` inside `poll`; only when that would block does a thread of a small,
//! bounded [`Pool`] make the blocking call on its behalf and wake the future when it
//! returns. What each costs:
//!
//! | | cost |
//! |---|---|
//! | a future whose call does not block | one `IPC_NOWAIT` system call in `poll`: no thread, no allocation but the future |
//! | a pending future | one pool thread in the kernel (64 KiB stack); 0 CPU while it waits |
//! | wake-up | the kernel wakes the pool thread, which wakes the task; a receive then takes its message in `poll` (one more `msgrcv`) |
//! | async ping-pong round trip against a sync echo process (8-byte messages), as programs run it | median **1.01–1.13×** the blocking sync ping-pong measured in the same run (`MsgQueue` 8.0–8.7 µs vs 7.9–8.2 µs, `SemSet` P/V 6.7–7.6 µs vs 6.1–6.9 µs; tokio current-thread, tokio multi-thread, smol): most calls complete in `poll`, about 1 in 7 waited in a pool thread. One of three runs, under heavier load, gave 2.1–2.3× for `MsgQueue` (`examples/wake.rs`: percentiles of 30 000 round trips each, in interleaved batches, on a shared 2-core VM) |
//! | the same, every receive waiting in a pool thread (polled once before the send) | the wake-up path: median 23–27 µs vs 7.9–8.2 µs for `MsgQueue` (**2.9–3.3×**; 5.4× in the loaded run), 21–29 µs vs 5.9–6.9 µs for `SemSet` (**3.5–4.2×**): the job's hand-over to an idle pool thread, the kernel's wake-up of that thread, its wake of the task, and the `msgrcv` that takes the message |
//! | threads | at most [`PoolBuilder::max_threads`] (default [`DEFAULT_MAX_THREADS`]) plus one supervisor, started on first need; none in a process that never waits; idle ones exit after [`PoolBuilder::idle_timeout`]. A ping-pong used 3 of a 4-thread pool; 1 000 futures on 1 000 queues ran on 16 (`tests/pool.rs`) |
//! | more pending futures than threads | they queue FIFO for a thread, and the threads rotate among them every [`PoolBuilder::slice`] (each call is interrupted without effect and retried later): bounded latency, a few system calls per slice |
//! | idle process with pending futures | 40–75 µs of CPU time over 1 s with 64 futures pending on 64 objects (12 runs) (`getrusage`; `tests/waits.rs` asserts < 20 ms, `examples/wake.rs` prints it) |
//! | a dropped pending future | one `tgkill` with the crate's [`signal`], repeated by the supervisor until the thread has let go |
//!
//! Cancellation is safe: each future says exactly what dropping it means. In short, a
//! dropped receive never took a message (the pool thread waits with a 0-byte buffer,
//! which `msgrcv` refuses without taking a message; the future takes it itself in
//! `poll`), except that a zero-length message is taken by the wait and is sent back;
//! a dropped send either was sent or was not, and
//! [`MsgSend::cancel`] tells which; a dropped semaphore operation that completed
//! unobserved is undone (a lock is unlocked).
//!
//! # Examples
//!
//! ```
//! use sysv_ipc::msg::{MsgQueue, Selector};
//! use sysv_ipc::{Intent, Key, Mode, Removal};
//! use sysv_ipc_async::AsyncMsgQueue;
//!
//! let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
//! let aq = AsyncMsgQueue::new(*q);
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! rt.block_on(async {
//!     let peer = *q; // a copy of the handle: `q` still removes the queue at the end
//!     let sender = std::thread::spawn(move || peer.send(1, b"hello"));
//!     let mut text = [0u8; 16];
//!     let got = aq.recv(&mut text, Selector::Any).await?;
//!     assert_eq!(&text[..got.len], b"hello");
//!     sender.join().unwrap()
//! })?;
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! The README's example (its section "Async (kernel objects)"; `tests/readme.rs`
//! keeps the two equal):
//!
//! ```
//! use sysv_ipc::msg::{MsgQueue, Selector};
//! use sysv_ipc::{Intent, Key, Mode, Removal, SemOp, SemSet};
//! use sysv_ipc_async::{AsyncMsgQueue, AsyncSemSet};
//!
//! let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
//! let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
//! let (aq, aset) = (AsyncMsgQueue::new(*q), AsyncSemSet::new(*set));
//! smol::block_on(async {
//!     aq.send_value(1, &42u64).await?;
//!     assert_eq!(aq.recv_value::<u64>(Selector::Any).await?, (1, 42));
//!     let guard = aset.lock(0).await?; // given back when dropped
//!     aset.op(&[SemOp::wait_zero(0)]).await?; // the lock is taken: 0 now
//!     guard.unlock()
//! })?;
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
#![deny(missing_docs)]

pub mod broadcast;
mod futex;
pub mod mpsc;
pub mod msg;
mod per_process;
pub mod pool;
pub mod queue;
mod reactor;
pub mod sem;
pub mod seqlock;
pub mod table;
mod wait;

pub use msg::{AsyncMsgQueue, MsgRecv, MsgRecvBuf, MsgRecvValue, MsgSend, SendOutcome};
pub use pool::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_THREADS, DEFAULT_SLICE, Pool, PoolBuilder, PoolStats, signal,
};
pub use reactor::ReactorStats;
pub use sem::{AsyncSemSet, SemLock, SemLockGuard, SemOpFuture};

/// The process's reactor counters: its threads, and its waits so far.
///
/// # Examples
///
/// ```
/// let s = sysv_ipc_async::reactor_stats();
/// assert!(s.woken + s.timed_out <= s.waits);
/// ```
pub fn reactor_stats() -> ReactorStats {
    reactor::reactor().stats()
}
