//! [`AsyncMsgQueue`]: receive and send futures for a System V message queue.
//!
//! # How a receive waits without taking a message
//!
//! A receive future tries `msgrcv` with `IPC_NOWAIT` in `poll`. If nothing matches, a
//! pool thread calls `msgrcv(msqid, buf, 0, msgtyp, flags)`: a **0-byte** buffer,
//! without `MSG_NOERROR`. The kernel (`ipc/msg.c`, `do_msgrcv` and `pipelined_send`)
//! answers a too-small buffer with `E2BIG` and *leaves the message queued*, both when
//! one is already there and when a sender hands one to a receiver asleep in the call
//! (it is offered to the next receiver or queued). So the thread returns as soon as a
//! matching message exists, having taken nothing, and the future takes the message
//! itself with `IPC_NOWAIT` in its next `poll` (waiting again if another receiver was
//! faster). Dropping a receive future therefore never loses a message: the message
//! stays queued for whoever asks next.
//!
//! The one exception is a message of zero bytes: it fits the 0-byte buffer, so the
//! waiting thread takes it. The future then returns it as received (`len` 0). If the
//! future was dropped meanwhile, the message is sent back to the queue, with the same
//! type, with `IPC_NOWAIT`: it is not lost, but it now sits *behind* messages sent
//! after it; if the queue is full or gone at that moment it is lost, which
//! [`PoolStats::lost_empty`](crate::PoolStats::lost_empty) counts.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sysv_ipc::msg::{MsgBuf, MsgQueue, Received, RecvFlags, Selector};
use sysv_ipc::{Backend, DefaultBackend, Error, ErrorKind, Result};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::pool::{Pending, Pool, Stop};

/// A [`MsgQueue`] with futures: receive by [`Selector`] and send, each waiting in a
/// thread of a [`Pool`] only when its call would block (see the
/// [crate docs](crate) for the costs).
///
/// A handle like `MsgQueue`: cheap, and dropping it removes nothing.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Selector};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
/// use sysv_ipc_async::AsyncMsgQueue;
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// let aq = AsyncMsgQueue::new(*q);
/// smol::block_on(async {
///     aq.send(2, b"two").await?;
///     aq.send_value(1, &7u64).await?;
///     assert_eq!(aq.recv_value::<u64>(Selector::Type(1)).await?, (1, 7));
///     let mut text = [0u8; 8];
///     let got = aq.recv(&mut text, Selector::Any).await?;
///     assert_eq!((got.mtype, &text[..got.len]), (2, &b"two"[..]));
///     Ok::<(), sysv_ipc::Error>(())
/// })?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AsyncMsgQueue<B: Backend = DefaultBackend> {
    queue: MsgQueue<B>,
    pool: Pool,
}

impl<B: Backend + Clone + Send + Sync + 'static> AsyncMsgQueue<B> {
    /// `queue` with futures whose waits run in [`Pool::global`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// assert_eq!(aq.queue().id(), q.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn new(queue: MsgQueue<B>) -> Self {
        Self::with_pool(queue, Pool::global().clone())
    }

    /// `queue` with futures whose waits run in `pool`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::{AsyncMsgQueue, Pool};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let pool = Pool::builder().max_threads(2).build();
    /// let aq = AsyncMsgQueue::with_pool(*q, pool);
    /// assert_eq!(aq.pool().max_threads(), 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn with_pool(queue: MsgQueue<B>, pool: Pool) -> Self {
        AsyncMsgQueue { queue, pool }
    }

    /// The queue, for its synchronous calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// aq.queue().send(1, b"sync")?;
    /// assert_eq!(q.stat()?.messages, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn queue(&self) -> &MsgQueue<B> {
        &self.queue
    }

    /// The pool its futures wait in.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::{AsyncMsgQueue, Pool};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// assert_eq!(aq.pool().max_threads(), Pool::global().max_threads());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `msgrcv` into `text` of the message `sel` picks, waiting until there is one:
    /// the future of [`MsgQueue::recv`].
    ///
    /// # Cancellation
    ///
    /// Dropping the future before it is ready takes no message (see the
    /// [module docs](self#how-a-receive-waits-without-taking-a-message)), with the
    /// exception of a zero-length message, which is sent back to the queue, and frees
    /// its pool thread.
    ///
    /// # Errors
    ///
    /// As [`MsgQueue::recv`], but never `Interrupted` (the pool retries); `Removed`
    /// when the queue is removed while the future waits; `LimitReached` if no waiter
    /// thread can be started; `WrongProcess` in a forked child whose pool is its
    /// parent's.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// let peer = *q;
    /// let sender = std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(20)); // the future waits
    ///     peer.send(3, b"late")
    /// });
    /// let mut text = [0u8; 16];
    /// let got = smol::block_on(aq.recv(&mut text, Selector::Type(3)))?;
    /// assert_eq!(&text[..got.len], b"late");
    /// sender.join().unwrap()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv<'a>(&'a self, text: &'a mut [u8], sel: Selector) -> MsgRecv<'a, B> {
        MsgRecv {
            core: Core::new(self, sel),
            text,
        }
    }

    /// `msgrcv` into a [`MsgBuf`], waiting until there is a message: the future of
    /// [`MsgQueue::recv_buf`]. Cancellation and errors as [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// q.send(5, b"into the buffer")?;
    /// let mut buf = MsgBuf::<64>::new();
    /// smol::block_on(aq.recv_buf(&mut buf, Selector::Any))?;
    /// assert_eq!((buf.mtype(), buf.text()), (5, &b"into the buffer"[..]));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_buf<'a, const N: usize>(
        &'a self,
        buf: &'a mut MsgBuf<N>,
        sel: Selector,
    ) -> MsgRecvBuf<'a, N, B> {
        MsgRecvBuf {
            core: Core::new(self, sel),
            buf,
        }
    }

    /// `msgrcv` of one `T`, waiting until there is a message: the future of
    /// [`MsgQueue::recv_value`]. Cancellation as [`recv`](Self::recv).
    ///
    /// # Errors
    ///
    /// As [`MsgQueue::recv_value`] (`BufferTooSmall` for a longer message, which stays
    /// queued; `SizeMismatch` for a shorter one, which is taken); a zero-length
    /// message for a `T` of non-zero size is taken and reported as `SizeMismatch`
    /// without the sizes.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// q.send_value(4, &[1u32, 2])?;
    /// assert_eq!(smol::block_on(aq.recv_value::<[u32; 2]>(Selector::UpTo(9)))?, (4, [1, 2]));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_value<T: FromBytes + IntoBytes + Immutable + KnownLayout>(
        &self,
        sel: Selector,
    ) -> MsgRecvValue<'_, T, B> {
        MsgRecvValue {
            core: Core::new(self, sel),
            _t: std::marker::PhantomData,
        }
    }

    /// `msgsnd` of `text` with type `mtype`, waiting while the queue is full: the
    /// future of [`MsgQueue::send`].
    ///
    /// # Cancellation
    ///
    /// `msgsnd` cannot wait for room without holding the message, so while the queue
    /// is full a pool thread sits in a blocking `msgsnd` with a copy of it. Dropping
    /// the future interrupts that thread: if the kernel had not taken the message by
    /// then, it is **not sent**; if it had (room appeared just before), it **was
    /// sent**. Nothing else can happen: the message is sent once or not at all, never
    /// half, never twice. A dropped future does not say which; [`MsgSend::cancel`]
    /// does, and is the way to cancel a send whose fate matters.
    ///
    /// # Errors
    ///
    /// As [`MsgQueue::send`], but never `Interrupted`; `LimitReached` if no waiter
    /// thread can be started; `WrongProcess` in a forked child whose pool is its
    /// parent's.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(4)?;
    /// let aq = AsyncMsgQueue::new(*q);
    /// smol::block_on(async {
    ///     aq.send(1, b"full").await?; // fits: no thread
    ///     let peer = *q;
    ///     let drain = std::thread::spawn(move || {
    ///         std::thread::sleep(std::time::Duration::from_millis(20));
    ///         peer.recv(&mut [0; 4], Selector::Any)
    ///     });
    ///     aq.send(1, b"next").await?; // waits in a pool thread until the drain
    ///     drain.join().unwrap()?;
    ///     Ok::<(), sysv_ipc::Error>(())
    /// })?;
    /// assert_eq!(q.stat()?.messages, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgsnd")]
    pub fn send<'a>(&'a self, mtype: i64, text: &'a [u8]) -> MsgSend<'a, B> {
        MsgSend {
            queue: self,
            mtype,
            text,
            wait: None,
            done: false,
        }
    }

    /// `msgsnd` of one `T`: [`send`](Self::send) of its bytes, the future of
    /// [`MsgQueue::send_value`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::AsyncMsgQueue;
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let aq = AsyncMsgQueue::new(*q);
    /// smol::block_on(aq.send_value(2, &0xfeed_u32))?;
    /// assert_eq!(q.recv_value::<u32>(Selector::Any)?, (2, 0xfeed));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgsnd")]
    pub fn send_value<'a, T: IntoBytes + Immutable>(
        &'a self,
        mtype: i64,
        value: &'a T,
    ) -> MsgSend<'a, B> {
        self.send(mtype, value.as_bytes())
    }
}

// ---- receiving ------------------------------------------------------------------

/// What the pool thread's 0-byte wait saw.
enum Waited<B: Backend + Clone + Send + Sync + 'static> {
    /// A matching message is queued (`E2BIG`): the future takes it.
    Present,
    /// A zero-length message, taken by the wait.
    Empty(TakenEmpty<B>),
    /// The wait failed (the queue was removed, permission...).
    Failed(Error),
}

/// A zero-length message the wait took: sent back to the queue unless its future
/// observes it.
struct TakenEmpty<B: Backend + Clone + Send + Sync + 'static> {
    queue: MsgQueue<B>,
    pool: Pool,
    mtype: i64,
    armed: bool,
}

impl<B: Backend + Clone + Send + Sync + 'static> TakenEmpty<B> {
    fn observe(mut self) -> i64 {
        self.armed = false;
        self.mtype
    }
}

impl<B: Backend + Clone + Send + Sync + 'static> Drop for TakenEmpty<B> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let c = self.pool.counters();
        match self.queue.try_send(self.mtype, &[]) {
            Ok(()) => c
                .requeued_empty
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            Err(_) => c
                .lost_empty
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
    }
}

/// The pool thread's wait: `msgrcv` with a 0-byte buffer until a matching message
/// exists, retried after a signal unless the job is to stop.
fn wait_for<B: Backend + Clone + Send + Sync + 'static>(
    queue: MsgQueue<B>,
    pool: Pool,
    sel: Selector,
) -> impl Fn(&Stop<'_>) -> Option<Waited<B>> + Send + Sync + 'static {
    move |stop| loop {
        if stop.requested() {
            return None;
        }
        match queue.recv_with(&mut [], sel, RecvFlags::BLOCK) {
            Ok(got) => {
                return Some(Waited::Empty(TakenEmpty {
                    queue: queue.clone(),
                    pool: pool.clone(),
                    mtype: got.mtype,
                    armed: true,
                }));
            }
            Err(e) => match e.kind() {
                ErrorKind::BufferTooSmall => return Some(Waited::Present),
                ErrorKind::Interrupted => continue,
                _ => return Some(Waited::Failed(e)),
            },
        }
    }
}

/// What a receive's `poll` got: a message it took itself, or the zero-length one the
/// wait took (its mtype).
enum Got<X> {
    Taken(X),
    Empty(i64),
}

/// The receive loop all receive futures share.
struct Core<'a, B: Backend + Clone + Send + Sync + 'static> {
    queue: &'a AsyncMsgQueue<B>,
    sel: Selector,
    wait: Option<Pending<Waited<B>>>,
    /// Ready was returned: polled again, the future stays pending and receives
    /// nothing more.
    done: bool,
}

impl<'a, B: Backend + Clone + Send + Sync + 'static> Core<'a, B> {
    fn new(queue: &'a AsyncMsgQueue<B>, sel: Selector) -> Self {
        Core {
            queue,
            sel,
            wait: None,
            done: false,
        }
    }

    fn poll<X>(
        &mut self,
        cx: &mut Context<'_>,
        take: impl FnMut(&MsgQueue<B>, Selector) -> Result<X>,
    ) -> Poll<Result<Got<X>>> {
        if self.done {
            return Poll::Pending;
        }
        let r = self.poll_once(cx, take);
        self.done = r.is_ready();
        r
    }

    fn poll_once<X>(
        &mut self,
        cx: &mut Context<'_>,
        mut take: impl FnMut(&MsgQueue<B>, Selector) -> Result<X>,
    ) -> Poll<Result<Got<X>>> {
        if let Some(wait) = &self.wait {
            let waited = match wait.poll(cx.waker()) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(w) => w,
            };
            self.wait = None;
            match waited {
                // A message is there (or was: another receiver may win it).
                Some(Waited::Present) | None => {}
                Some(Waited::Empty(taken)) => {
                    return Poll::Ready(Ok(Got::Empty(taken.observe())));
                }
                Some(Waited::Failed(e)) => return Poll::Ready(Err(e)),
            }
        }
        match take(&self.queue.queue, self.sel) {
            Err(e) if e.kind() == ErrorKind::NoMessage => {}
            r => return Poll::Ready(r.map(Got::Taken)),
        }
        let work = wait_for(self.queue.queue.clone(), self.queue.pool.clone(), self.sel);
        match self.queue.pool.submit(work, cx.waker()) {
            Ok(p) => self.wait = Some(p),
            Err(e) => return Poll::Ready(Err(e)),
        }
        // The thread may already have found a message and woken us; otherwise the
        // wake comes when one arrives.
        Poll::Pending
    }
}

/// The future of [`AsyncMsgQueue::recv`]: the message's type and length, its text in
/// the caller's buffer.
#[must_use = "futures do nothing unless polled"]
pub struct MsgRecv<'a, B: Backend + Clone + Send + Sync + 'static = DefaultBackend> {
    core: Core<'a, B>,
    text: &'a mut [u8],
}

impl<B: Backend + Clone + Send + Sync + 'static> Future for MsgRecv<'_, B> {
    type Output = Result<Received>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let text = &mut *this.text;
        this.core
            .poll(cx, |q, sel| q.try_recv(text, sel))
            .map_ok(|got| match got {
                Got::Taken(r) => r,
                Got::Empty(mtype) => Received { mtype, len: 0 },
            })
    }
}

/// The future of [`AsyncMsgQueue::recv_buf`]: the message is in the caller's
/// [`MsgBuf`].
#[must_use = "futures do nothing unless polled"]
pub struct MsgRecvBuf<
    'a,
    const N: usize,
    B: Backend + Clone + Send + Sync + 'static = DefaultBackend,
> {
    core: Core<'a, B>,
    buf: &'a mut MsgBuf<N>,
}

impl<const N: usize, B: Backend + Clone + Send + Sync + 'static> Future for MsgRecvBuf<'_, N, B> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let buf = &mut *this.buf;
        match this
            .core
            .poll(cx, |q, sel| q.recv_buf_with(buf, sel, RecvFlags::NOWAIT))
        {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(Got::Taken(()))) => Poll::Ready(Ok(())),
            Poll::Ready(Ok(Got::Empty(mtype))) => Poll::Ready(this.buf.set(mtype, &[])),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}

/// The future of [`AsyncMsgQueue::recv_value`]: the message's type and value.
#[must_use = "futures do nothing unless polled"]
pub struct MsgRecvValue<'a, T, B: Backend + Clone + Send + Sync + 'static = DefaultBackend> {
    core: Core<'a, B>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T, B> Future for MsgRecvValue<'_, T, B>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend + Clone + Send + Sync + 'static,
{
    type Output = Result<(i64, T)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this
            .core
            .poll(cx, |q, sel| q.recv_value_with::<T>(sel, RecvFlags::NOWAIT))
        {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(Got::Taken(v))) => Poll::Ready(Ok(v)),
            Poll::Ready(Ok(Got::Empty(mtype))) if size_of::<T>() == 0 => {
                Poll::Ready(Ok((mtype, T::new_zeroed())))
            }
            Poll::Ready(Ok(Got::Empty(_))) => Poll::Ready(Err(Error::new(ErrorKind::SizeMismatch))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}

// ---- sending --------------------------------------------------------------------

/// What became of a cancelled send: [`MsgSend::cancel`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SendOutcome {
    /// The kernel took the message before the cancellation reached the waiting call.
    Sent,
    /// It did not: the message was not sent and never will be.
    NotSent,
}

/// The future of [`AsyncMsgQueue::send`] and [`AsyncMsgQueue::send_value`].
#[must_use = "futures do nothing unless polled"]
pub struct MsgSend<'a, B: Backend + Clone + Send + Sync + 'static = DefaultBackend> {
    queue: &'a AsyncMsgQueue<B>,
    mtype: i64,
    text: &'a [u8],
    wait: Option<Pending<Result<()>>>,
    /// Ready was returned: polled again, the future stays pending and sends nothing.
    done: bool,
}

impl<B: Backend + Clone + Send + Sync + 'static> MsgSend<'_, B> {
    /// Cancels the send and tells whether the message was sent: the way to drop a
    /// pending send whose fate matters. The returned future resolves once the waiting
    /// thread (if any) has left its `msgsnd`.
    ///
    /// # Errors
    ///
    /// What the send failed with, if it failed before the cancellation (not sent).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use sysv_ipc_async::{AsyncMsgQueue, SendOutcome};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(4)?;
    /// q.send(1, b"full")?;
    /// let aq = AsyncMsgQueue::new(*q);
    /// let mut send = aq.send(1, b"more");
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(std::pin::Pin::new(&mut send).poll(&mut cx).is_pending()); // a thread waits
    /// assert_eq!(smol::block_on(send.cancel())?, SendOutcome::NotSent);
    /// assert_eq!(q.stat()?.messages, 1);
    /// # use std::future::Future;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn cancel(self) -> impl Future<Output = Result<SendOutcome>> + Send {
        let wait = self.wait;
        if let Some(w) = &wait {
            w.cancel();
        }
        std::future::poll_fn(move |cx| match &wait {
            None => Poll::Ready(Ok(SendOutcome::NotSent)),
            Some(w) => w.poll(cx.waker()).map(|r| match r {
                None => Ok(SendOutcome::NotSent),
                Some(Ok(())) => Ok(SendOutcome::Sent),
                Some(Err(e)) => Err(e),
            }),
        })
    }
}

impl<B: Backend + Clone + Send + Sync + 'static> Future for MsgSend<'_, B> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.done {
            return Poll::Pending;
        }
        let r = this.poll_once(cx);
        this.done = r.is_ready();
        r
    }
}

impl<B: Backend + Clone + Send + Sync + 'static> MsgSend<'_, B> {
    fn poll_once(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self;
        if let Some(wait) = &this.wait {
            return match wait.poll(cx.waker()) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Some(r)) => {
                    this.wait = None;
                    Poll::Ready(r)
                }
                // Only a cancelled job ends without a result, and only `cancel` (which
                // consumes the future) or the drop cancels.
                Poll::Ready(None) => {
                    this.wait = None;
                    Poll::Ready(Err(Error::new(ErrorKind::Interrupted)))
                }
            };
        }
        match this.queue.queue.try_send(this.mtype, this.text) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            r => return Poll::Ready(r),
        }
        let queue = this.queue.queue.clone();
        let (mtype, text): (i64, Arc<[u8]>) = (this.mtype, this.text.into());
        let work = move |stop: &Stop<'_>| loop {
            if stop.requested() {
                return None;
            }
            match queue.send(mtype, &text) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                r => return Some(r),
            }
        };
        match this.queue.pool.submit(work, cx.waker()) {
            Ok(p) => {
                this.wait = Some(p);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}
