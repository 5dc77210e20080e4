//! Awaiting a [`Broadcast`](sysv_ipc::broadcast::Broadcast): a reader's [`recv`],
//! and a lossless writer's [`send`] waiting for room.
//!
//! The writer may be anything: a blocking writer in another process, a C writer
//! (layout version 6). The future looks again through the executor `spins / 16`
//! times before it arms, as the queue's futures do; armed, it sleeps on its reader
//! line's `wait` word, which the writer's next publish or close clears and
//! futex-wakes.
//!
//! # Cancellation
//!
//! Dropping a [`Recv`] loses nothing: a value is taken only inside the `poll` that
//! returns it. The wait is withdrawn (the line's bit and word cleared, a post the
//! writer sent meanwhile taken back, the reactor's entry dropped).
//!
//! # Lagging
//!
//! As [`Reader::recv`]: a lapped lossy reader gets [`ErrorKind::Lagged`] once, then
//! the oldest retained values.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(doc)]
use sysv_ipc::ErrorKind;
use sysv_ipc::SendError;
use sysv_ipc::broadcast::{Reader, Writer};
use sysv_ipc::wake::PeerSeat;
use sysv_ipc::{Backend, Result, ShmType};

use crate::wait::{Side, Waiting};

/// Waits for the next value of `rx`'s broadcast and takes it: what
/// [`Reader::recv_blocking`] returns, without blocking a thread.
///
/// # Errors
///
/// As [`Reader::recv_blocking`]: [`ErrorKind::Lagged`], [`ErrorKind::Closed`],
/// [`ErrorKind::PeerDied`] when the writer died holding its role (noticed within
/// [`Reader::peer_check`] by the reactor's look at its seat; what it published
/// comes first), `Removed`, `Corrupt`, `WrongProcess`; `LimitReached` if the system
/// refuses the reactor a thread.
///
/// # Examples
///
/// ```
/// use sysv_ipc::broadcast::{Broadcast, Start};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let bc = Removal::new(Broadcast::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = bc.reader(Start::Newest)?;
/// let mut tx = bc.writer()?; // e.g. in another process
/// let got = smol::block_on(async {
///     let waiter = sysv_ipc_async::broadcast::recv(&mut rx);
///     tx.send(9)?;
///     waiter.await
/// })?;
/// assert_eq!(got, 9);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn recv<T: ShmType, const N: usize, B: Backend>(rx: &mut Reader<T, N, B>) -> Recv<'_, T, N, B> {
    Recv {
        rx,
        waiting: Waiting::default(),
    }
}

/// The future of [`recv`].
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T: ShmType, const N: usize, B: Backend> {
    rx: &'a mut Reader<T, N, B>,
    waiting: Waiting,
}

// Not self-referential: a borrow, a registration and a counter.
impl<T: ShmType, const N: usize, B: Backend> Unpin for Recv<'_, T, N, B> {}

impl<T: ShmType, const N: usize, B: Backend> Side for Reader<T, N, B> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(self.arm_wake()?.map(|w| (w.addr(), w.expected())))
    }
    fn disarm(&mut self) {
        self.disarm_wake();
    }
    fn check_peer(&mut self) -> Result<()> {
        Reader::check_peer(self)
    }
    fn peer_check(&self) -> Option<core::time::Duration> {
        Reader::peer_check(self)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        Some(Reader::peer_seat(self))
    }
    fn spins(&self) -> u32 {
        Reader::spins(self)
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

/// Waits for room (a lossless broadcast whose slowest live reader holds every
/// slot) and sends `value`: what [`Writer::send_blocking`] does, without blocking
/// a thread. A lossy writer never waits.
///
/// Dropping the future drops `value` unsent: a value is sent only inside the
/// `poll` that returns `Ready(Ok(()))`. While it waits, the future drops dead
/// readers at each of [`Writer::peer_check`]'s intervals (as a blocking send
/// does: a dead reader is dropped, never a death).
///
/// # Errors
///
/// The value comes back in the error: as [`Writer::send_blocking`]
/// ([`ErrorKind::Closed`], `Removed`, `Corrupt`, `WrongProcess`), and
/// `LimitReached` as [`recv`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
/// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
///
/// let opts = BroadcastOptions::new().policy(Policy::Lossless);
/// let bc = Removal::new(Broadcast::<u64, 2>::create_with(
///     DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, opts)?);
/// let mut rx = bc.reader(Start::Newest)?;
/// let mut tx = bc.writer()?;
/// smol::block_on(async {
///     for v in 0..2 {
///         sysv_ipc_async::broadcast::send(&mut tx, v).await?;
///     }
///     // Full: this send waits until the reader takes a value.
///     let third = sysv_ipc_async::broadcast::send(&mut tx, 2);
///     let (sent, took) = smol::future::zip(third, async { rx.recv() }).await;
///     sent?;
///     assert_eq!(took?, Some(0));
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn send<T: ShmType, const N: usize, B: Backend>(
    tx: &mut Writer<T, N, B>,
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
    tx: &'a mut Writer<T, N, B>,
    /// `None` once sent (or handed back in an error).
    value: Option<T>,
    waiting: Waiting,
}

// Not self-referential: a borrow, an option, a registration and a counter.
impl<T: ShmType, const N: usize, B: Backend> Unpin for Send<'_, T, N, B> {}

impl<T: ShmType, const N: usize, B: Backend> Side for Writer<T, N, B> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(self.arm_wake()?.map(|w| (w.addr(), w.expected())))
    }
    fn disarm(&mut self) {
        self.disarm_wake();
    }
    /// Drops dead readers (which may make room); never a death.
    fn check_peer(&mut self) -> Result<()> {
        self.drop_dead_readers().map(drop)
    }
    fn peer_check(&self) -> Option<core::time::Duration> {
        Writer::peer_check(self)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        None
    }
    fn spins(&self) -> u32 {
        Writer::spins(self)
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
