//! Awaiting a [`Queue`](sysv_ipc::queue::Queue): [`dequeue`] on its consumer and
//! [`enqueue`] on its producer.
//!
//! Both take the role by `&mut`, so a side has one operation in flight, as its
//! blocking calls do. A future that finds nothing to do first looks again in place
//! up to 16 times (a spin hint between looks, about 0.6 µs in all here), then
//! through the executor (returning `Pending` with its task woken: other tasks run
//! meanwhile) `spins / 16` times (the side's [`Consumer::spins`], 256 by default:
//! about as long as a blocking call spins), then arms and waits on the reactor;
//! `set_spins(0)` arms at once. The other side may be anything: a blocking caller, another
//! future, a C peer (layout version 6).
//!
//! # Cancellation
//!
//! Dropping a [`Dequeue`] loses nothing: a value is taken from the ring only
//! inside the `poll` that returns it. Dropping an [`Enqueue`] drops its value
//! unsent: a value is put in the ring only inside the `poll` that returns
//! `Ready(Ok(()))`. Either way the wait is withdrawn: the side's flag is cleared
//! and the reactor forgets the word, so no waiter stays registered.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(doc)]
use sysv_ipc::ErrorKind;
use sysv_ipc::queue::{Consumer, EnqueueError, Producer};
use sysv_ipc::wake::PeerSeat;
use sysv_ipc::{Backend, Result, ShmType};

use crate::wait::{Side, Waiting};

/// Waits for the next value of `rx`'s queue and takes it: what
/// [`Consumer::dequeue_blocking`] returns, without blocking a thread.
///
/// # Errors
///
/// As [`Consumer::dequeue_blocking`]: [`ErrorKind::Closed`] once the producer
/// closed the queue and everything was taken, [`ErrorKind::PeerDied`] when the
/// producer died holding its role (noticed within
/// [`Consumer::peer_check`]; what it committed comes first),
/// [`ErrorKind::Removed`], [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`];
/// [`ErrorKind::LimitReached`] if the system refuses the reactor a thread.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (mut tx, mut rx) = q.split()?;
/// let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// let got = rt.block_on(async {
///     let waiter = sysv_ipc_async::queue::dequeue(&mut rx);
///     tx.enqueue(42)?; // e.g. from another process
///     waiter.await
/// })?;
/// assert_eq!(got, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dequeue<T: ShmType, const MAXSZ: usize, B: Backend>(
    rx: &mut Consumer<T, MAXSZ, B>,
) -> Dequeue<'_, T, MAXSZ, B> {
    Dequeue {
        rx,
        waiting: Waiting::default(),
    }
}

/// Waits for room in `tx`'s queue and enqueues `value`: what
/// [`Producer::enqueue_blocking`] does, without blocking a thread.
///
/// # Errors
///
/// The value comes back in the error: as [`Producer::enqueue_blocking`]
/// ([`ErrorKind::PeerDied`] when the consumer died holding its role,
/// [`ErrorKind::Removed`], [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`]),
/// and [`ErrorKind::LimitReached`] as [`dequeue`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (mut tx, mut rx) = q.split()?;
/// smol::block_on(async {
///     sysv_ipc_async::queue::enqueue(&mut tx, 1).await?;
///     // Full now: this one waits until the other task's dequeue makes room.
///     let second = sysv_ipc_async::queue::enqueue(&mut tx, 2);
///     let taker = async { rx.dequeue() };
///     let (sent, took) = smol::future::zip(second, taker).await;
///     sent?;
///     assert_eq!(took?, Some(1));
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// assert_eq!(rx.dequeue()?, Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn enqueue<T: ShmType, const MAXSZ: usize, B: Backend>(
    tx: &mut Producer<T, MAXSZ, B>,
    value: T,
) -> Enqueue<'_, T, MAXSZ, B> {
    Enqueue {
        tx,
        value: Some(value),
        waiting: Waiting::default(),
    }
}

/// The future of [`dequeue`].
#[must_use = "futures do nothing unless polled"]
pub struct Dequeue<'a, T: ShmType, const MAXSZ: usize, B: Backend> {
    rx: &'a mut Consumer<T, MAXSZ, B>,
    waiting: Waiting,
}

/// The future of [`enqueue`].
#[must_use = "futures do nothing unless polled"]
pub struct Enqueue<'a, T: ShmType, const MAXSZ: usize, B: Backend> {
    tx: &'a mut Producer<T, MAXSZ, B>,
    /// `None` once enqueued (or handed back in an error).
    value: Option<T>,
    waiting: Waiting,
}

// Neither future is self-referential: moving one moves a borrow, an option and a
// registration (an `Arc` and an id).
impl<T: ShmType, const MAXSZ: usize, B: Backend> Unpin for Dequeue<'_, T, MAXSZ, B> {}
impl<T: ShmType, const MAXSZ: usize, B: Backend> Unpin for Enqueue<'_, T, MAXSZ, B> {}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Side for Consumer<T, MAXSZ, B> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(self.arm_wake()?.map(|w| (w.addr(), w.expected())))
    }
    fn disarm(&mut self) {
        self.disarm_wake();
    }
    fn check_peer(&mut self) -> Result<()> {
        Consumer::check_peer(self)
    }
    fn peer_check(&self) -> Option<core::time::Duration> {
        Consumer::peer_check(self)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        Some(Consumer::peer_seat(self))
    }
    fn spins(&self) -> u32 {
        Consumer::spins(self)
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Side for Producer<T, MAXSZ, B> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(self.arm_wake()?.map(|w| (w.addr(), w.expected())))
    }
    fn disarm(&mut self) {
        self.disarm_wake();
    }
    fn check_peer(&mut self) -> Result<()> {
        Producer::check_peer(self)
    }
    fn peer_check(&self) -> Option<core::time::Duration> {
        Producer::peer_check(self)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        Some(Producer::peer_seat(self))
    }
    fn spins(&self) -> u32 {
        Producer::spins(self)
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Future for Dequeue<'_, T, MAXSZ, B> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.get_mut();
        this.waiting.poll_take(this.rx, cx, |s| s.dequeue())
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Future for Enqueue<'_, T, MAXSZ, B> {
    type Output = core::result::Result<(), EnqueueError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.waiting
            .poll_put(this.tx, cx, &mut this.value, |s, v| s.enqueue(v))
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Drop for Dequeue<'_, T, MAXSZ, B> {
    fn drop(&mut self) {
        self.waiting.withdraw(self.rx);
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Drop for Enqueue<'_, T, MAXSZ, B> {
    fn drop(&mut self) {
        self.waiting.withdraw(self.tx);
    }
}
