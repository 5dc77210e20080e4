//! [`AsyncSemSet`]: semaphore operations and a lock as futures.
//!
//! A future first tries its operations with `IPC_NOWAIT` on each; only when they would
//! block does a pool thread call the blocking `semop` with the operations as given
//! (`semtimedop` for the timed forms, so the kernel keeps their time).
//!
//! # Cancellation
//!
//! Dropping a pending future interrupts its thread. `semop` is all or nothing, so the
//! operations either had not been applied (nothing happened) or had all been applied
//! just before the interruption reached the call. In the second case nobody observed
//! them, and the future's operations are **undone**: for each semaphore the net change
//! is reversed by one `semop` with `IPC_NOWAIT` (with `SEM_UNDO` where the operation
//! had it, so the process's adjustment is reversed too), increments first. So a
//! dropped [`lock`](AsyncSemSet::lock) that had in fact taken the semaphore gives it
//! back. Undoing is impossible when a decrement's reversal would block (someone took
//! the units an increment added), exceed `SEMVMX`, or the set was removed; then the
//! operations stay applied, and
//! [`PoolStats::not_undone_ops`](crate::PoolStats::not_undone_ops) counts it. A
//! wait-for-zero operation changes nothing and needs no undoing.
//!
//! # Signals and removal
//!
//! Pool threads block the program's signals, and retry a `semop` that returned `EINTR`
//! (a stop and continue interrupts `semop` even without a handler), so a signal
//! never ends a wait. A set removed while a future waits resolves it with
//! [`ErrorKind::Removed`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use sysv_ipc::{Backend, DefaultBackend, Error, ErrorKind, Result, SemOp, SemSet};

use crate::pool::{Pending, Pool, Stop};

/// A [`SemSet`] with futures: any `semop` (P, V, wait-for-zero, several at once) and
/// a lock, each waiting in a thread of a [`Pool`] only when it would block.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Key, Mode, Removal, SemOp, SemSet};
/// use sysv_ipc_async::AsyncSemSet;
///
/// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[0, 1], Mode::OWNER_RW)?);
/// let aset = AsyncSemSet::new(*set);
/// let peer = *set;
/// let poster = std::thread::spawn(move || peer.op(&[SemOp::post(0)]));
/// smol::block_on(async {
///     aset.op(&[SemOp::wait(0)]).await?; // P: waits for the poster
///     let guard = aset.lock(1).await?;
///     assert_eq!(aset.set().get(1)?, 0);
///     drop(guard);
///     Ok::<(), sysv_ipc::Error>(())
/// })?;
/// poster.join().unwrap()?;
/// assert_eq!((set.get(0)?, set.get(1)?), (0, 1));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AsyncSemSet<B: Backend = DefaultBackend> {
    set: SemSet<B>,
    pool: Pool,
}

impl<B: Backend + Clone + Send + Sync + 'static> AsyncSemSet<B> {
    /// `set` with futures whose waits run in [`Pool::global`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// assert_eq!(AsyncSemSet::new(*set).set().id(), set.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn new(set: SemSet<B>) -> Self {
        Self::with_pool(set, Pool::global().clone())
    }

    /// `set` with futures whose waits run in `pool`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::{AsyncSemSet, Pool};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::with_pool(*set, Pool::builder().max_threads(1).build());
    /// assert_eq!(aset.pool().max_threads(), 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn with_pool(set: SemSet<B>, pool: Pool) -> Self {
        AsyncSemSet { set, pool }
    }

    /// The set, for its synchronous calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[3], Mode::OWNER_RW)?);
    /// assert_eq!(AsyncSemSet::new(*set).set().get(0)?, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set(&self) -> &SemSet<B> {
        &self.set
    }

    /// The pool its futures wait in.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::{AsyncSemSet, Pool};
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// assert_eq!(aset.pool().max_threads(), Pool::global().max_threads());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `semop(semid, sops, nsops)`—applies `ops` all at once, waiting until they can
    /// be: the future of [`SemSet::op`]. `ops` is copied; an op with
    /// [`SemOp::nowait`] fails the whole call with `WouldBlock` as in `SemSet::op`.
    ///
    /// # Cancellation
    ///
    /// Dropping the future before it is ready leaves the set as it was: either the
    /// operations had not been applied, or they had and are undone (see
    /// [Cancellation](self#cancellation) for the cases where undoing is impossible).
    ///
    /// # Errors
    ///
    /// As [`SemSet::op`], but never `Interrupted`; `Removed` when the set is removed
    /// while the future waits; `LimitReached` if no waiter thread can be started;
    /// `WrongProcess` in a forked child whose pool is its parent's.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemOp, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// let peer = *set;
    /// let taker = std::thread::spawn(move || {
    ///     std::thread::sleep(std::time::Duration::from_millis(20));
    ///     peer.op(&[SemOp::wait(0)])
    /// });
    /// smol::block_on(aset.op(&[SemOp::wait_zero(0)]))?; // until the taker took the 1
    /// taker.join().unwrap()?;
    /// assert_eq!(set.get(0)?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn op(&self, ops: &[SemOp]) -> SemOpFuture<'_, B> {
        SemOpFuture {
            set: self,
            ops: ops.into(),
            timeout: None,
            deadline: None,
            wait: None,
            done: false,
        }
    }

    /// `semtimedop(semid, sops, nsops, timeout)`—[`op`](Self::op) that gives up after
    /// `timeout`, counted from the future's first poll: the future of
    /// [`SemSet::op_timeout`]. The kernel keeps the time (the pool thread waits in
    /// `semtimedop`), so no runtime timer is needed; a wait interrupted by a signal or
    /// by the pool's rotation resumes with what is left of the timeout.
    ///
    /// # Cancellation
    ///
    /// As [`op`](Self::op).
    ///
    /// # Errors
    ///
    /// As [`op`](Self::op), and [`ErrorKind::TimedOut`] when the time ran out.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemOp, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[0], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// let e = smol::block_on(aset.op_timeout(&[SemOp::wait(0)], Duration::from_millis(20)))
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semtimedop")]
    pub fn op_timeout(&self, ops: &[SemOp], timeout: Duration) -> SemOpFuture<'_, B> {
        SemOpFuture {
            timeout: Some(timeout),
            ..self.op(ops)
        }
    }

    /// `semop(semid, {num, -1, SEM_UNDO}, 1)`—takes semaphore `num` as a lock, waiting
    /// until it is free: the future of [`SemSet::lock`]. The guard gives it back when
    /// dropped (with `SEM_UNDO`, the kernel gives it back if the process dies).
    ///
    /// # Cancellation
    ///
    /// A dropped future holds nothing: a lock taken just before the drop reached its
    /// thread is unlocked.
    ///
    /// # Errors
    ///
    /// As [`op`](Self::op).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// smol::block_on(async {
    ///     let guard = aset.lock(0).await?;
    ///     assert_eq!(guard.num(), 0);
    ///     assert_eq!(set.get(0)?, 0);
    ///     guard.unlock()
    /// })?;
    /// assert_eq!(set.get(0)?, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn lock(&self, num: u16) -> SemLock<'_, B> {
        SemLock {
            op: self.op(&[SemOp::wait(num).undo()]),
            num,
        }
    }

    /// [`lock`](Self::lock) that gives up after `timeout` (`semtimedop`, counted from
    /// the first poll): the future of [`SemSet::lock_timeout`].
    ///
    /// # Errors
    ///
    /// As [`op_timeout`](Self::op_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// smol::block_on(async {
    ///     let _held = aset.lock(0).await?;
    ///     let e = aset.lock_timeout(0, Duration::from_millis(20)).await.unwrap_err();
    ///     assert_eq!(e.kind(), ErrorKind::TimedOut);
    ///     Ok::<(), sysv_ipc::Error>(())
    /// })?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semtimedop")]
    pub fn lock_timeout(&self, num: u16, timeout: Duration) -> SemLock<'_, B> {
        SemLock {
            op: self.op_timeout(&[SemOp::wait(num).undo()], timeout),
            num,
        }
    }
}

/// Operations a pool thread applied: undone when dropped unobserved.
struct Applied<B: Backend + Clone + Send + Sync + 'static> {
    set: SemSet<B>,
    pool: Pool,
    ops: Arc<[SemOp]>,
    armed: bool,
}

impl<B: Backend + Clone + Send + Sync + 'static> Applied<B> {
    fn observe(mut self) {
        self.armed = false;
    }
}

impl<B: Backend + Clone + Send + Sync + 'static> Drop for Applied<B> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let c = self.pool.counters();
        let Some(inverse) = inverse(&self.ops) else {
            c.not_undone_ops.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if inverse.is_empty() {
            return;
        }
        match self.set.op(&inverse) {
            Ok(()) => c.undone_ops.fetch_add(1, Ordering::Relaxed),
            Err(_) => c.not_undone_ops.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// The operations that reverse `ops`' net effect, all `IPC_NOWAIT`, increments first;
/// `None` if a reversal does not fit one `sem_op`.
fn inverse(ops: &[SemOp]) -> Option<Vec<SemOp>> {
    // (num, undo) -> net change
    let mut net: Vec<(u16, bool, i32)> = Vec::new();
    for op in ops {
        let key = (op.num(), op.is_undo());
        match net.iter_mut().find(|(n, u, _)| (*n, *u) == key) {
            Some((_, _, d)) => *d += i32::from(op.delta()),
            None => net.push((key.0, key.1, i32::from(op.delta()))),
        }
    }
    let mut inv = Vec::with_capacity(net.len());
    for (num, undo, d) in net {
        if d == 0 {
            continue;
        }
        let delta = i16::try_from(-d).ok()?;
        let op = SemOp::add(num, delta).nowait();
        inv.push(if undo { op.undo() } else { op });
    }
    inv.sort_by_key(|op| std::cmp::Reverse(op.delta() > 0));
    Some(inv)
}

/// The future of [`AsyncSemSet::op`].
#[must_use = "futures do nothing unless polled"]
pub struct SemOpFuture<'a, B: Backend + Clone + Send + Sync + 'static = DefaultBackend> {
    set: &'a AsyncSemSet<B>,
    ops: Arc<[SemOp]>,
    timeout: Option<Duration>,
    /// `timeout` from the first poll.
    deadline: Option<Instant>,
    wait: Option<Pending<Result<Applied<B>>>>,
    /// Ready was returned: polled again, the future stays pending and applies
    /// nothing more.
    done: bool,
}

impl<B: Backend + Clone + Send + Sync + 'static> Future for SemOpFuture<'_, B> {
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

impl<B: Backend + Clone + Send + Sync + 'static> SemOpFuture<'_, B> {
    fn poll_once(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self;
        if let Some(wait) = &this.wait {
            let r = match wait.poll(cx.waker()) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(r) => r,
            };
            this.wait = None;
            return Poll::Ready(match r {
                Some(Ok(applied)) => {
                    applied.observe();
                    Ok(())
                }
                Some(Err(e)) => Err(e),
                // Only the drop cancels, and then nobody polls.
                None => Err(Error::new(ErrorKind::Interrupted)),
            });
        }
        if let (Some(t), None) = (this.timeout, this.deadline) {
            // A timeout too long for an `Instant` never ends: no deadline, as with a
            // plain `op`.
            this.deadline = Instant::now().checked_add(t);
        }
        let nowait: Vec<SemOp> = this.ops.iter().map(|op| op.nowait()).collect();
        match this.set.set.op(&nowait) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            r => return Poll::Ready(r),
        }
        let (set, pool, ops, deadline) = (
            this.set.set.clone(),
            this.set.pool.clone(),
            this.ops.clone(),
            this.deadline,
        );
        let work = move |stop: &Stop<'_>| loop {
            if stop.requested() {
                return None;
            }
            let r = match deadline {
                None => set.op(&ops),
                Some(d) => set.op_timeout(&ops, d.saturating_duration_since(Instant::now())),
            };
            match r {
                Ok(()) => {
                    return Some(Ok(Applied {
                        set: set.clone(),
                        pool: pool.clone(),
                        ops: ops.clone(),
                        armed: true,
                    }));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            }
        };
        match this.set.pool.submit(work, cx.waker()) {
            Ok(p) => {
                this.wait = Some(p);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// The future of [`AsyncSemSet::lock`].
#[must_use = "futures do nothing unless polled"]
pub struct SemLock<'a, B: Backend + Clone + Send + Sync + 'static = DefaultBackend> {
    op: SemOpFuture<'a, B>,
    num: u16,
}

impl<'a, B: Backend + Clone + Send + Sync + 'static> Future for SemLock<'a, B> {
    type Output = Result<SemLockGuard<'a, B>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        Pin::new(&mut this.op).poll(cx).map_ok(|()| SemLockGuard {
            set: this.op.set,
            num: this.num,
            pid: crate::per_process::pid(),
        })
    }
}

/// A semaphore taken by [`AsyncSemSet::lock`]; dropping it gives it back
/// (`semop(semid, {num, +1, SEM_UNDO}, 1)`), as [`SemGuard`](sysv_ipc::SemGuard)
/// does.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Key, Mode, Removal, SemSet};
/// use sysv_ipc_async::AsyncSemSet;
///
/// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
/// let aset = AsyncSemSet::new(*set);
/// let guard = smol::block_on(aset.lock(0))?;
/// assert_eq!(set.get(0)?, 0);
/// drop(guard);
/// assert_eq!(set.get(0)?, 1);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "dropping the guard unlocks at once"]
pub struct SemLockGuard<'a, B: Backend + Clone + Send + Sync + 'static = DefaultBackend> {
    set: &'a AsyncSemSet<B>,
    num: u16,
    /// The process that took it: a forked child's copy of the guard gives nothing
    /// back (the lock and its undo entry are the parent's), as with `SemGuard`.
    pid: u32,
}

impl<B: Backend + Clone + Send + Sync + 'static> SemLockGuard<'_, B> {
    /// The semaphore this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1, 1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// assert_eq!(smol::block_on(aset.lock(1))?.num(), 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn num(&self) -> u16 {
        self.num
    }

    /// Gives the semaphore back now and reports the result, which dropping the guard
    /// ignores.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a forked child's copy (the semaphore stays
    /// taken); otherwise as [`SemSet::op`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Key, Mode, Removal, SemSet};
    /// use sysv_ipc_async::AsyncSemSet;
    ///
    /// let set = Removal::new(SemSet::new_initialized(Key::PRIVATE, &[1], Mode::OWNER_RW)?);
    /// let aset = AsyncSemSet::new(*set);
    /// smol::block_on(aset.lock(0))?.unlock()?;
    /// assert_eq!(set.get(0)?, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "semop")]
    pub fn unlock(self) -> Result<()> {
        let r = self.release();
        std::mem::forget(self);
        r
    }

    fn release(&self) -> Result<()> {
        if crate::per_process::pid() != self.pid {
            return Err(Error::new(ErrorKind::WrongProcess));
        }
        self.set.set.op(&[SemOp::post(self.num).undo()])
    }
}

impl<B: Backend + Clone + Send + Sync + 'static> Drop for SemLockGuard<'_, B> {
    fn drop(&mut self) {
        let _ = self.release();
    }
}
