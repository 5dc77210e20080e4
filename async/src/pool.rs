//! The waiter pool: a bounded set of threads that sit in `msgrcv`, `msgsnd` and
//! `semop` on behalf of futures, because those waits cannot be multiplexed.
//!
//! # How a wait runs
//!
//! A future first tries its call with `IPC_NOWAIT` in `poll`; only if that would block
//! does it hand a *job* (the blocking call) to the pool and return `Pending`. A pool
//! thread runs the job, stores its result and wakes the future. Threads are started on
//! demand up to [`PoolBuilder::max_threads`] and leave after
//! [`PoolBuilder::idle_timeout`] without work, so a process that never waits has no
//! pool thread at all.
//!
//! # When every thread is busy
//!
//! Jobs queue (FIFO) for a thread: the thread count never exceeds the bound, and no
//! future fails for lack of a thread. Every blocking call the pool makes leaves no
//! trace when it is interrupted (`EINTR` from `msgrcv` with a 0-byte buffer, `msgsnd`
//! and `semop` means nothing happened), so while jobs queue the pool *rotates*: every
//! [`PoolBuilder::slice`] the supervisor interrupts the jobs that have held their
//! thread that long (oldest first, as many as there are jobs queued) and puts them at
//! the back of the queue, so that every waiting object is watched in turn and a
//! queued job cannot starve behind waits that never end. The price is latency (a
//! queued job watches its object one slice in every `jobs / threads`) and a few
//! system calls per job and slice; with no job queued, nothing rotates and nothing
//! wakes on a timer. (Measured: 1 000 receive futures on 16 threads, `tests/pool.rs`.)
//!
//! # Cancellation: the crate's signal
//!
//! A dropped future's job must not keep its thread in the kernel. The future marks
//! the job cancelled and, if a thread is in the call, sends that thread the crate's
//! signal with `tgkill`: a real-time signal whose handler does nothing, so the call
//! returns `EINTR` and the thread sees the mark. The signal can land just before the
//! thread enters the call (after its last look at the mark) and be lost; so the pool's
//! supervisor thread sends it again, backing off from 1 ms to 100 ms, until the
//! thread has left the job. The supervisor sleeps on a condition variable while no
//! job is being cancelled or rotated.
//!
//! The signal is the highest real-time signal (`SIGRTMAX` downwards) whose disposition
//! is the default when the first pool thread starts; [`signal`] tells which. Pool
//! threads block every other signal, so a program's own handlers never run on them
//! and never cut their waits short; a stray `EINTR` (a stop and continue, which
//! interrupts `semop`) is retried.
//!
//! # Fork
//!
//! A child forked while a pool has threads has none of them (only the forking thread
//! survives a `fork`). So a pool belongs to the process that built it: in a forked
//! child, a future that would need a thread of its parent's pool fails with
//! [`ErrorKind::WrongProcess`] rather than wait
//! forever, and [`Pool::global`] is a new pool of the child's own.
//!
//! # Safety
//!
//! This module calls `sigaction`, `pthread_sigmask`, `gettid` and `tgkill` through
//! `libc`; each call's SAFETY line names its pointers.
#![allow(unsafe_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use sysv_ipc::{Error, ErrorKind};

/// The default bound on a pool's threads.
pub const DEFAULT_MAX_THREADS: usize = 64;
/// How long a pool thread stays without work before it exits, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often, by default, an exhausted pool rotates its threads among queued jobs.
pub const DEFAULT_SLICE: Duration = Duration::from_millis(50);
/// A pool thread's stack: its frames are a `msgrcv` with an 8-byte buffer or a
/// `semop` with a few `sembuf`s, plus the thread's own bookkeeping.
const STACK_SIZE: usize = 64 << 10;
/// First resend of a cancellation signal; doubles up to `KICK_MAX`.
const KICK_FIRST: Duration = Duration::from_millis(1);
const KICK_MAX: Duration = Duration::from_millis(100);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves consistent state (every
    // critical section is a few field updates), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---- the crate's signal ------------------------------------------------------------

static SIGNAL: AtomicI32 = AtomicI32::new(0);
static SIGNAL_INIT: OnceLock<Result<i32, i32>> = OnceLock::new();

extern "C" fn on_signal(_: libc::c_int) {
    // Nothing: the point is that the interrupted call returns EINTR.
}

/// The real-time signal the pools send to interrupt a thread waiting for a dropped
/// future, or `None` before the first pool thread started (or if every real-time
/// signal already had a handler, in which case no pool thread can start).
///
/// # Examples
///
/// ```
/// // A process that never waited has neither pool threads nor a signal handler.
/// assert_eq!(sysv_ipc_async::signal(), None);
/// ```
pub fn signal() -> Option<i32> {
    match SIGNAL.load(Ordering::Acquire) {
        0 => None,
        s => Some(s),
    }
}

/// Installs the do-nothing handler on the highest real-time signal that has the
/// default disposition: `Ok(signal)`, or `Err(errno)`.
fn install_signal() -> Result<i32, i32> {
    *SIGNAL_INIT.get_or_init(|| {
        for sig in (libc::SIGRTMIN()..=libc::SIGRTMAX()).rev() {
            // SAFETY: sigaction is a C struct of integers, a mask and a function
            // pointer field typed as an integer: all-zero bytes are a valid value.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: `old` is a live sigaction the call writes; a null new action is
            // the documented form that only reads the disposition.
            let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
            if r != 0 || old.sa_sigaction != libc::SIG_DFL {
                continue;
            }
            // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags).
            let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
            new.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SA_RESTART: should the signal reach a thread in another call, it resumes;
            // msgrcv, msgsnd and semop return EINTR regardless (signal(7)).
            new.sa_flags = libc::SA_RESTART;
            // SAFETY: `new` is a live, initialized sigaction and the handler is an
            // `extern "C" fn(c_int)` that touches nothing (async-signal-safe).
            if unsafe { libc::sigaction(sig, &new, std::ptr::null_mut()) } == 0 {
                SIGNAL.store(sig, Ordering::Release);
                return Ok(sig);
            }
        }
        Err(libc::EBUSY)
    })
}

/// Blocks every signal on the calling (pool) thread but `sig`.
fn mask_all_but(sig: i32) {
    // SAFETY: sigset_t is an array of integers: all-zero bytes are a valid (empty) set.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live sigset_t, which the call fills.
    unsafe { libc::sigfillset(&mut set) };
    // SAFETY: `set` is a live, initialized sigset_t; `sig` is a valid signal number.
    unsafe { libc::sigdelset(&mut set, sig) };
    // SAFETY: `set` is initialized; a null old set is allowed.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) };
}

fn gettid() -> libc::pid_t {
    // SAFETY: gettid takes no arguments and cannot fail.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) };
    tid as libc::pid_t
}

/// Sends the crate's signal to thread `tid` of this process.
fn kick(tid: libc::pid_t) {
    let sig = SIGNAL.load(Ordering::Acquire);
    if sig == 0 {
        return;
    }
    // SAFETY: tgkill takes three integers; every caller holds the job's lock with the
    // job `Running` on `tid`, so `tid` is a live pool thread of this process (it leaves
    // that phase under the same lock before it can exit), never a reused id.
    unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            std::process::id() as libc::pid_t,
            tid,
            sig as libc::c_long,
        )
    };
}

// ---- jobs ----------------------------------------------------------------------------

/// Whether a job's blocking call should stop at its next `EINTR`: cancelled (its
/// future is gone) or preempted (the pool rotates).
pub(crate) struct Stop<'a> {
    cancelled: &'a AtomicBool,
    preempted: &'a AtomicBool,
}

impl Stop<'_> {
    /// True when the job should give up its thread instead of calling again.
    pub(crate) fn requested(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst) || self.preempted.load(Ordering::SeqCst)
    }
}

/// What a pool thread runs: a type-erased [`Job`].
trait Task: Send + Sync {
    /// Runs the blocking call on thread `tid`: `true` if the job is to be queued again
    /// (preempted before it completed).
    fn run(&self, tid: libc::pid_t) -> bool;
    /// Interrupts the call if the job is still in it in turn `turn` (resending the
    /// signal): whether it still is.
    fn kick_if_running(&self, turn: Turn) -> bool;
    /// Asks a running job to give up its thread (rotation): its turn if it was running
    /// and not yet asked.
    fn preempt(&self) -> Option<Turn>;
}

/// One run of a job on a thread: the thread and the job's run count, so that a resend
/// meant for one run never interrupts a later one.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
struct Turn {
    tid: libc::pid_t,
    count: u64,
}

enum Phase {
    Queued,
    Running(Turn),
    Finished,
}

struct Slot<R> {
    phase: Phase,
    turns: u64,
    result: Option<R>,
    waker: Option<Waker>,
}

/// A blocking call and the place its result goes. `work` returns `None` when it gave
/// up at a stop request before completing (nothing happened in the kernel).
pub(crate) struct Job<R> {
    cancelled: AtomicBool,
    /// The future is gone: a result that comes now is undone at once, by the thread.
    dropped: AtomicBool,
    preempted: AtomicBool,
    slot: Mutex<Slot<R>>,
    #[allow(clippy::type_complexity)]
    work: Box<dyn Fn(&Stop<'_>) -> Option<R> + Send + Sync>,
}

impl<R: Send> Task for Job<R> {
    fn run(&self, tid: libc::pid_t) -> bool {
        {
            let mut slot = lock(&self.slot);
            if self.cancelled.load(Ordering::SeqCst) {
                slot.phase = Phase::Finished;
                return false;
            }
            self.preempted.store(false, Ordering::SeqCst);
            slot.turns += 1;
            slot.phase = Phase::Running(Turn {
                tid,
                count: slot.turns,
            });
        }
        let stop = Stop {
            cancelled: &self.cancelled,
            preempted: &self.preempted,
        };
        let out = (self.work)(&stop);
        let mut slot = lock(&self.slot);
        let again = out.is_none() && !self.cancelled.load(Ordering::SeqCst);
        if again {
            slot.phase = Phase::Queued;
            return true;
        }
        if self.dropped.load(Ordering::SeqCst) {
            // Nobody will look: undo (the result's `Drop`) before the job counts as
            // done, outside the lock.
            drop(slot);
            drop(out);
            lock(&self.slot).phase = Phase::Finished;
            return false;
        }
        slot.phase = Phase::Finished;
        slot.result = out;
        let waker = slot.waker.take();
        drop(slot);
        if let Some(w) = waker {
            w.wake();
        }
        false
    }

    fn kick_if_running(&self, turn: Turn) -> bool {
        let slot = lock(&self.slot);
        match slot.phase {
            Phase::Running(t) if t == turn => {
                kick(turn.tid);
                true
            }
            _ => false,
        }
    }

    fn preempt(&self) -> Option<Turn> {
        let slot = lock(&self.slot);
        match slot.phase {
            Phase::Running(t) if !self.preempted.swap(true, Ordering::SeqCst) => {
                kick(t.tid);
                Some(t)
            }
            _ => None,
        }
    }
}

/// A future's handle on its job in a pool: polls for the result; dropping it cancels
/// the job (and interrupts the thread in it).
pub(crate) struct Pending<R: Send + 'static> {
    job: Arc<Job<R>>,
    pool: Pool,
}

impl<R: Send + 'static> Pending<R> {
    /// `Ready(Some(result))` once the job completed, `Ready(None)` once it ended
    /// without completing (cancelled: nothing happened in the kernel); otherwise
    /// registers `waker`.
    pub(crate) fn poll(&self, waker: &Waker) -> Poll<Option<R>> {
        let mut slot = lock(&self.job.slot);
        if let Some(r) = slot.result.take() {
            return Poll::Ready(Some(r));
        }
        if let Phase::Finished = slot.phase {
            return Poll::Ready(None);
        }
        match &mut slot.waker {
            Some(w) if w.will_wake(waker) => {}
            w => *w = Some(waker.clone()),
        }
        Poll::Pending
    }

    /// Cancels the job: off the queue if it has no thread yet, otherwise the thread in
    /// its call is interrupted (the supervisor repeats the signal until the thread has
    /// let go). A call that completed first keeps its result, which `poll` returns.
    pub(crate) fn cancel(&self) {
        self.job.cancelled.store(true, Ordering::SeqCst);
        let mut slot = lock(&self.job.slot);
        match slot.phase {
            Phase::Queued => {
                slot.phase = Phase::Finished;
                drop(slot);
                self.pool.dequeue(&self.job);
            }
            Phase::Running(turn) => {
                kick(turn.tid);
                drop(slot);
                self.pool.inner.supervise_kick(self.job.clone(), turn);
            }
            Phase::Finished => {}
        }
    }
}

impl<R: Send + 'static> Drop for Pending<R> {
    fn drop(&mut self) {
        // A result nobody will observe is dropped at once, and its `Drop` undoes what
        // can be undone: here if the call completed before this drop, in the pool
        // thread (before the job counts as done) if after.
        self.job.dropped.store(true, Ordering::SeqCst);
        self.cancel();
        let unobserved = lock(&self.job.slot).result.take();
        drop(unobserved);
    }
}

// ---- the pool ----------------------------------------------------------------------

/// A bounded pool of waiter threads. Cheap to clone (a shared handle); the futures of
/// [`AsyncMsgQueue`](crate::AsyncMsgQueue) and [`AsyncSemSet`](crate::AsyncSemSet)
/// use [`Pool::global`] unless given one.
///
/// # Examples
///
/// ```
/// use sysv_ipc_async::Pool;
///
/// let pool = Pool::builder().max_threads(4).build();
/// assert_eq!(pool.max_threads(), 4);
/// assert_eq!(pool.stats().threads, 0); // none until something waits
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("max_threads", &self.inner.max_threads)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Settings for a [`Pool`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use sysv_ipc_async::Pool;
///
/// let pool = Pool::builder()
///     .max_threads(8)
///     .idle_timeout(Duration::from_secs(1))
///     .slice(Duration::from_millis(20))
///     .build();
/// assert_eq!(pool.max_threads(), 8);
/// ```
#[derive(Clone, Debug)]
pub struct PoolBuilder {
    max_threads: usize,
    idle_timeout: Duration,
    slice: Duration,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        PoolBuilder {
            max_threads: DEFAULT_MAX_THREADS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            slice: DEFAULT_SLICE,
        }
    }
}

impl PoolBuilder {
    /// The most threads the pool runs at once ([`DEFAULT_MAX_THREADS`]); at least 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_async::Pool;
    ///
    /// assert_eq!(Pool::builder().max_threads(0).build().max_threads(), 1);
    /// ```
    pub fn max_threads(mut self, n: usize) -> Self {
        self.max_threads = n.max(1);
        self
    }

    /// How long a thread without work stays before exiting ([`DEFAULT_IDLE_TIMEOUT`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc_async::Pool;
    ///
    /// let pool = Pool::builder().idle_timeout(Duration::from_millis(100)).build();
    /// # let _ = pool;
    /// ```
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// How long a job holds a thread while other jobs queue for one ([`DEFAULT_SLICE`]):
    /// see [When every thread is busy](self#when-every-thread-is-busy). At least 1 ms.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc_async::Pool;
    ///
    /// let pool = Pool::builder().slice(Duration::from_millis(10)).build();
    /// # let _ = pool;
    /// ```
    pub fn slice(mut self, d: Duration) -> Self {
        self.slice = d.max(Duration::from_millis(1));
        self
    }

    /// The pool: no thread yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_async::Pool;
    ///
    /// let pool = Pool::builder().build();
    /// assert_eq!(pool.max_threads(), sysv_ipc_async::DEFAULT_MAX_THREADS);
    /// ```
    pub fn build(self) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                max_threads: self.max_threads,
                idle_timeout: self.idle_timeout,
                slice: self.slice,
                sup: Mutex::new(Supervisor::default()),
                sup_cv: Condvar::new(),
                counters: Counters::default(),
                pid: crate::per_process::pid(),
            }),
        }
    }
}

/// What a [`Pool`] is doing: [`Pool::stats`].
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Threads alive (busy or idle), not counting the supervisor.
    pub threads: usize,
    /// Threads in a job.
    pub busy: usize,
    /// Jobs waiting for a thread.
    pub queued: usize,
    /// The most threads alive at once so far.
    pub peak_threads: usize,
    /// Whether the supervisor thread (cancellation resends, rotation) was started.
    pub supervisor: bool,
    /// Jobs run (a rotated job counts once per turn).
    pub runs: u64,
    /// Times a job was interrupted to let a queued one run.
    pub rotations: u64,
    /// Cancellation signals sent again because the first one could have been lost.
    pub resent_signals: u64,
    /// Zero-length messages taken by the wait of a receive future dropped meanwhile
    /// and sent back to the queue.
    pub requeued_empty: u64,
    /// Such messages that could not be sent back (the queue was full or gone): lost.
    pub lost_empty: u64,
    /// Semaphore operations that completed for a dropped future and were undone.
    pub undone_ops: u64,
    /// Such operations that could not be undone (see [`AsyncSemSet::op`](crate::AsyncSemSet::op)).
    pub not_undone_ops: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    runs: AtomicU64,
    rotations: AtomicU64,
    resent: AtomicU64,
    pub(crate) requeued_empty: AtomicU64,
    pub(crate) lost_empty: AtomicU64,
    pub(crate) undone_ops: AtomicU64,
    pub(crate) not_undone_ops: AtomicU64,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Arc<dyn Task>>,
    /// Jobs in a thread: the job, the thread, since when (rotation picks the oldest).
    running: Vec<(Arc<dyn Task>, libc::pid_t, Instant)>,
    threads: usize,
    idle: usize,
    peak: usize,
}

#[derive(Default)]
struct Supervisor {
    started: bool,
    /// Interrupted jobs whose thread may still be in the call: job, its turn, next
    /// resend, backoff.
    kicks: Vec<(Arc<dyn Task>, Turn, Instant, Duration)>,
}

/// Lock order: `sup` before `state` before a job's slot; `state` and a slot are never
/// held together.
struct Inner {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
    idle_timeout: Duration,
    slice: Duration,
    sup: Mutex<Supervisor>,
    sup_cv: Condvar,
    counters: Counters,
    /// The process that built the pool: a forked child has none of its threads.
    pid: u32,
}

fn same(a: &Arc<dyn Task>, b: *const ()) -> bool {
    std::ptr::eq(Arc::as_ptr(a) as *const (), b)
}

/// The global pool and the process it belongs to (see [`crate::per_process`]).
static GLOBAL: AtomicPtr<crate::per_process::Tagged<Pool>> = AtomicPtr::new(std::ptr::null_mut());

impl Pool {
    /// Settings for a new pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = sysv_ipc_async::Pool::builder().max_threads(2).build();
    /// assert_eq!(pool.max_threads(), 2);
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }

    /// The process's default pool ([`DEFAULT_MAX_THREADS`] threads at most), made on
    /// first use; it starts no thread until something waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_async::Pool;
    ///
    /// assert_eq!(Pool::global().max_threads(), sysv_ipc_async::DEFAULT_MAX_THREADS);
    /// ```
    pub fn global() -> &'static Pool {
        crate::per_process::get(&GLOBAL, || Pool::builder().build())
    }

    /// The bound on this pool's threads.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(sysv_ipc_async::Pool::builder().max_threads(3).build().max_threads(), 3);
    /// ```
    pub fn max_threads(&self) -> usize {
        self.inner.max_threads
    }

    /// Threads, jobs and counters now.
    ///
    /// # Examples
    ///
    /// ```
    /// let stats = sysv_ipc_async::Pool::builder().build().stats();
    /// assert_eq!((stats.threads, stats.busy, stats.queued, stats.runs), (0, 0, 0, 0));
    /// ```
    pub fn stats(&self) -> PoolStats {
        // The supervisor takes `sup` then `state`: never the other way round.
        let supervisor = lock(&self.inner.sup).started;
        let st = lock(&self.inner.state);
        let c = &self.inner.counters;
        PoolStats {
            threads: st.threads,
            busy: st.running.len(),
            queued: st.queue.len(),
            peak_threads: st.peak,
            supervisor,
            runs: c.runs.load(Ordering::Relaxed),
            rotations: c.rotations.load(Ordering::Relaxed),
            resent_signals: c.resent.load(Ordering::Relaxed),
            requeued_empty: c.requeued_empty.load(Ordering::Relaxed),
            lost_empty: c.lost_empty.load(Ordering::Relaxed),
            undone_ops: c.undone_ops.load(Ordering::Relaxed),
            not_undone_ops: c.not_undone_ops.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Queues `work` for a thread and returns the future's handle on it.
    ///
    /// # Errors
    ///
    /// `LimitReached` if the pool has no thread and cannot start one (the crate's
    /// signal is unavailable or `pthread_create` failed).
    pub(crate) fn submit<R: Send + 'static>(
        &self,
        work: impl Fn(&Stop<'_>) -> Option<R> + Send + Sync + 'static,
        waker: &Waker,
    ) -> sysv_ipc::Result<Pending<R>> {
        if self.inner.pid != crate::per_process::pid() {
            // A forked child's copy: its threads stayed in the parent.
            return Err(Error::new(ErrorKind::WrongProcess));
        }
        let job = Arc::new(Job {
            cancelled: AtomicBool::new(false),
            dropped: AtomicBool::new(false),
            preempted: AtomicBool::new(false),
            slot: Mutex::new(Slot {
                phase: Phase::Queued,
                turns: 0,
                result: None,
                waker: Some(waker.clone()),
            }),
            work: Box::new(work),
        });
        let task: Arc<dyn Task> = job.clone();
        let mut st = lock(&self.inner.state);
        st.queue.push_back(task);
        if st.queue.len() > st.idle && st.threads < self.inner.max_threads {
            st.threads += 1;
            st.peak = st.peak.max(st.threads);
            drop(st);
            if let Err(e) = self.spawn() {
                let mut st = lock(&self.inner.state);
                st.threads -= 1;
                if st.threads == 0 {
                    let p = Arc::as_ptr(&job) as *const ();
                    st.queue.retain(|t| !same(t, p));
                    return Err(e);
                }
            }
        } else {
            let exhausted = st.idle == 0 && st.threads >= self.inner.max_threads;
            drop(st);
            self.inner.work.notify_one();
            if exhausted {
                self.inner.wake_supervisor();
            }
        }
        Ok(Pending {
            job,
            pool: self.clone(),
        })
    }

    fn spawn(&self) -> sysv_ipc::Result<()> {
        let sig = install_signal().map_err(|_| {
            Error::new(ErrorKind::LimitReached) // no free real-time signal
        })?;
        let pool = self.clone();
        thread::Builder::new()
            .name("sysv-ipc-pool".into())
            .stack_size(STACK_SIZE)
            .spawn(move || {
                mask_all_but(sig);
                pool.worker(gettid());
            })
            .map(drop)
            .map_err(|_| Error::new(ErrorKind::LimitReached))
    }

    fn worker(&self, tid: libc::pid_t) {
        let inner = &*self.inner;
        let mut st = lock(&inner.state);
        loop {
            let Some(task) = st.queue.pop_front() else {
                st.idle += 1;
                let (next, timeout) = inner
                    .work
                    .wait_timeout(st, inner.idle_timeout)
                    .unwrap_or_else(PoisonError::into_inner);
                st = next;
                st.idle -= 1;
                if timeout.timed_out() && st.queue.is_empty() {
                    st.threads -= 1;
                    return;
                }
                continue;
            };
            st.running.push((task.clone(), tid, Instant::now()));
            drop(st);
            inner.counters.runs.fetch_add(1, Ordering::Relaxed);
            let again = task.run(tid);
            st = lock(&inner.state);
            let p = Arc::as_ptr(&task) as *const ();
            st.running.retain(|(t, _, _)| !same(t, p));
            if again {
                st.queue.push_back(task);
            } else {
                // The job's last handle may be this one: its result's `Drop` (the undo
                // of an unobserved completion) runs outside the pool's lock.
                drop(st);
                drop(task);
                st = lock(&inner.state);
            }
        }
    }

    /// Takes a cancelled job off the queue, if it is still there.
    fn dequeue<R: Send + 'static>(&self, job: &Arc<Job<R>>) {
        let p = Arc::as_ptr(job) as *const ();
        let mut st = lock(&self.inner.state);
        st.queue.retain(|t| !same(t, p));
    }
}

impl Inner {
    /// Resends the signal to `tid` until it has left `job` (the first send may have
    /// landed before the thread entered the call).
    fn supervise_kick(self: &Arc<Self>, job: Arc<dyn Task>, turn: Turn) {
        let mut sup = lock(&self.sup);
        sup.kicks
            .push((job, turn, Instant::now() + KICK_FIRST, KICK_FIRST));
        self.start_supervisor(&mut sup);
        drop(sup);
        self.sup_cv.notify_one();
    }

    fn wake_supervisor(self: &Arc<Self>) {
        let mut sup = lock(&self.sup);
        self.start_supervisor(&mut sup);
        drop(sup);
        self.sup_cv.notify_one();
    }

    fn start_supervisor(self: &Arc<Self>, sup: &mut Supervisor) {
        if sup.started {
            return;
        }
        let Some(sig) = signal() else { return };
        // The supervisor holds only a weak handle: a dropped pool lets it go.
        let weak = Arc::downgrade(self);
        let spawned = thread::Builder::new()
            .name("sysv-ipc-poolsv".into())
            .stack_size(STACK_SIZE)
            .spawn(move || {
                mask_all_but(sig);
                supervise(weak);
            });
        sup.started = spawned.is_ok();
    }
}

/// The supervisor: resends cancellation signals until acknowledged, and rotates
/// threads among queued jobs while the pool is exhausted. Sleeps on its condition
/// variable while there is neither, and exits after the pool's idle timeout of that.
fn supervise(weak: std::sync::Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let now = Instant::now();
        let mut next = inner.rotate(now);
        let mut kicks = std::mem::take(&mut lock(&inner.sup).kicks);
        kicks.retain_mut(|(task, turn, at, backoff)| {
            if *at > now {
                return true;
            }
            if task.kick_if_running(*turn) {
                inner.counters.resent.fetch_add(1, Ordering::Relaxed);
                *backoff = (*backoff * 2).min(KICK_MAX);
                *at = now + *backoff;
                true
            } else {
                false
            }
        });
        for (_, _, at, _) in &kicks {
            next = Some(next.map_or(*at, |n: Instant| n.min(*at)));
        }
        let mut sup = lock(&inner.sup);
        sup.kicks.append(&mut kicks);
        if !sup.kicks.is_empty() {
            // Kicks queued by others while we looked: look again soon.
            next = Some(next.map_or(now + KICK_FIRST, |n| n.min(now + KICK_FIRST)));
        }
        let wait = next.map_or(inner.idle_timeout, |at| {
            at.saturating_duration_since(Instant::now())
        });
        let (mut sup, timeout) = inner
            .sup_cv
            .wait_timeout(sup, wait)
            .unwrap_or_else(PoisonError::into_inner);
        if next.is_none() && timeout.timed_out() && sup.kicks.is_empty() && !inner.exhausted() {
            sup.started = false;
            return;
        }
    }
}

impl Inner {
    fn exhausted(&self) -> bool {
        let st = lock(&self.state);
        !st.queue.is_empty() && st.idle == 0 && st.threads >= self.max_threads
    }

    /// While jobs queue for a thread, interrupts each job that has held its thread a
    /// slice or longer (as many as there are jobs queued; each goes to the back of the
    /// queue): when to look again, or `None` if the pool is not exhausted.
    fn rotate(&self, now: Instant) -> Option<Instant> {
        let st = lock(&self.state);
        if st.queue.is_empty() || st.idle > 0 || st.threads < self.max_threads {
            return None;
        }
        let mut running: Vec<(Arc<dyn Task>, Instant)> = st
            .running
            .iter()
            .map(|(t, _, since)| (t.clone(), *since))
            .collect();
        let queued = st.queue.len();
        drop(st);
        running.sort_by_key(|(_, since)| *since);
        let mut next: Option<Instant> = None;
        for (task, since) in running.into_iter().take(queued) {
            // A slice too long for an `Instant` never ends: no rotation.
            let Some(due) = since.checked_add(self.slice) else {
                break;
            };
            if due > now {
                next = Some(next.map_or(due, |n| n.min(due)));
                break;
            }
            if let Some(turn) = task.preempt() {
                self.counters.rotations.fetch_add(1, Ordering::Relaxed);
                lock(&self.sup)
                    .kicks
                    .push((task, turn, now + KICK_FIRST, KICK_FIRST));
            }
            // Until an interrupted thread has let go, its job stays the oldest: look
            // again soon.
            next = Some(now + KICK_FIRST);
        }
        next.or_else(|| now.checked_add(self.slice))
    }
}
