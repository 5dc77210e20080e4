//! Awaiting an [`Mpsc`](sysv_ipc::mpsc::Mpsc): the consumer's [`recv`], and a
//! producer's [`send`] into a full queue.
//!
//! The other sides may be anything: blocking senders and receivers in other
//! processes, C peers (a producer's asynchronous wait needs layout version 7).
//! Each future looks again through the executor `spins / 16` times before it
//! arms, as the queue's futures do.
//!
//! # Cancellation
//!
//! Dropping a [`Recv`] loses nothing: a value is taken only inside the `poll` that
//! returns it. Dropping a [`Send`] drops its value unsent: a value enters the
//! queue only in the `poll` that returns `Ready(Ok(()))`. Either way the wait is
//! withdrawn (the announcement cleared, the reactor's entry dropped).
//!
//! # Peer checks
//!
//! The consumer's peer is every producer, with no single seat to watch: a waiting
//! future wakes at each of its [`Receiver::peer_check`] intervals and runs
//! [`Receiver::check_peer`] (the blocking receive's check), so an idle `Recv`
//! costs a task wake per interval. A producer's peer is the consumer's one seat,
//! which the reactor watches ([`Sender::peer_seat`]): an idle `Send` wakes its
//! task only when that seat changes.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use sysv_ipc::mpsc::{Receiver, Sender};
use sysv_ipc::wake::PeerSeat;
use sysv_ipc::{Backend, Result, SendError, ShmType};

use crate::wait::{Side, Waiting};

/// Waits for the next value of `rx`'s queue and takes it: what
/// [`Receiver::recv_blocking`] returns, without blocking a thread.
///
/// # Errors
///
/// As [`Receiver::recv_blocking`]: [`ErrorKind::PeerDied`](sysv_ipc::ErrorKind)
/// when every producer seat is free and one died holding it (noticed within
/// [`Receiver::peer_check`]; what was committed comes first), `Removed`,
/// `Corrupt`, `WrongProcess`; `LimitReached` if the system refuses the reactor
/// a thread.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
///
/// let q = Removal::new(Mpsc::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = q.consumer()?;
/// let mut tx = q.producer()?; // e.g. in other processes
/// let got = smol::block_on(async {
///     let waiter = sysv_ipc_async::mpsc::recv(&mut rx);
///     tx.send(9)?;
///     waiter.await
/// })?;
/// assert_eq!(got, 9);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn recv<T: ShmType, const N: usize, B: Backend>(
    rx: &mut Receiver<T, N, B>,
) -> Recv<'_, T, N, B> {
    Recv {
        rx,
        waiting: Waiting::default(),
    }
}

/// The future of [`recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T: ShmType, const N: usize, B: Backend> {
    rx: &'a mut Receiver<T, N, B>,
    waiting: Waiting,
}

// Not self-referential: a borrow, a registration and a counter.
impl<T: ShmType, const N: usize, B: Backend> Unpin for Recv<'_, T, N, B> {}

impl<T: ShmType, const N: usize, B: Backend> Side for Receiver<T, N, B> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(self.arm_wake()?.map(|w| (w.addr(), w.expected())))
    }
    fn disarm(&mut self) {
        self.disarm_wake();
    }
    fn check_peer(&mut self) -> Result<()> {
        Receiver::check_peer(self)
    }
    fn peer_check(&self) -> Option<core::time::Duration> {
        Receiver::peer_check(self)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        None
    }
    fn spins(&self) -> u32 {
        Receiver::spins(self)
    }
}

impl<T: ShmType, const N: usize, B: Backend> Future for Recv<'_, T, N, B> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.get_mut();
        this.waiting.poll_take(this.rx, cx, |s| s.recv())
    }
}

impl<T: ShmType, const N: usize, B: Backend> Drop for Recv<'_, T, N, B> {
    fn drop(&mut self) {
        self.waiting.withdraw(self.rx);
    }
}

/// Waits for room in `tx`'s queue and sends `value`: what
/// [`Sender::send_blocking`] does, without blocking a thread.
///
/// # Errors
///
/// The value comes back in the error: as [`Sender::send_blocking`]
/// ([`ErrorKind::PeerDied`](sysv_ipc::ErrorKind) when the consumer died holding
/// its role, noticed within [`Sender::peer_check`]; `Removed`, `Corrupt`,
/// `WrongProcess`), and `LimitReached` as [`recv`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, mpsc::Mpsc};
///
/// let q = Removal::new(Mpsc::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = q.consumer()?;
/// let mut tx = q.producer()?; // e.g. in other processes
/// smol::block_on(async {
///     sysv_ipc_async::mpsc::send(&mut tx, 1).await?;
///     // Full now: this one waits until the other task's receive makes room.
///     let second = sysv_ipc_async::mpsc::send(&mut tx, 2);
///     let taker = async { rx.recv() };
///     let (sent, took) = smol::future::zip(second, taker).await;
///     sent?;
///     assert_eq!(took?, Some(1));
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// assert_eq!(rx.recv()?, Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn send<T: ShmType, const N: usize, B: Backend>(
    tx: &mut Sender<T, N, B>,
    value: T,
) -> Send<'_, T, N, B> {
    Send {
        tx,
        value: Some(value),
        waiting: Waiting::default(),
    }
}

/// The future of [`send`].
#[must_use = "futures do nothing unless polled"]
pub struct Send<'a, T: ShmType, const N: usize, B: Backend> {
    tx: &'a mut Sender<T, N, B>,
    /// `None` once sent (or handed back in an error).
    value: Option<T>,
    waiting: Waiting,
}

// Not self-referential: a borrow, an option and a registration.
impl<T: ShmType, const N: usize, B: Backend> Unpin for Send<'_, T, N, B> {}

impl<T: ShmType, const N: usize, B: Backend> Side for Sender<T, N, B> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(self.arm_wake()?.map(|w| (w.addr(), w.expected())))
    }
    fn disarm(&mut self) {
        self.disarm_wake();
    }
    fn check_peer(&mut self) -> Result<()> {
        Sender::check_peer(self)
    }
    fn peer_check(&self) -> Option<core::time::Duration> {
        Sender::peer_check(self)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        Some(Sender::peer_seat(self))
    }
    fn spins(&self) -> u32 {
        Sender::spins(self)
    }
}

impl<T: ShmType, const N: usize, B: Backend> Future for Send<'_, T, N, B> {
    type Output = core::result::Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.waiting
            .poll_put(this.tx, cx, &mut this.value, |s, v| s.send(v))
    }
}

impl<T: ShmType, const N: usize, B: Backend> Drop for Send<'_, T, N, B> {
    fn drop(&mut self) {
        self.waiting.withdraw(self.tx);
    }
}
