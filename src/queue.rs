//! [`Queue<T, MAXSZ>`](Queue): a single-producer single-consumer queue of `MAXSZ`
//! values of `T` in a System V shared memory segment, for two processes (or two
//! threads) — `heapless::spsc::Queue` with the storage in a segment.
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
//!
//! let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let (mut tx, mut rx) = q.split()?;
//! for i in 0..8 {
//!     tx.enqueue(i).unwrap();
//! }
//! let full = tx.enqueue(8).unwrap_err(); // all MAXSZ slots are usable, then full
//! assert!(full.is_full());
//! assert_eq!(full.into_inner(), 8);
//! assert_eq!(rx.dequeue()?, Some(0));
//! let mut batch = [0u64; 16];
//! assert_eq!(rx.dequeue_into(&mut batch)?, 7);
//! assert_eq!(rx.dequeue()?, None);
//! // A second producer is refused while the first one lives.
//! assert_eq!(q.producer().unwrap_err().kind(), sysv_ipc::ErrorKind::RoleTaken);
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # Batches
//!
//! [`Producer::enqueue_slice`] and [`Consumer::dequeue_into`] move up to a slice's
//! worth of values with one index store (and at most one wake) for all of them.
//! [`Producer::enqueue_with`] and [`Consumer::dequeue_with`] do the same with
//! closures that make each value in its slot and take each out of it, which skips
//! the copy through the caller's array: measured here with 64-byte values in
//! batches of 128, the slice forms ran at 0.80× the closure forms (the
//! repository's `benches/ipc.rs`).
//!
//! # What is in the kernel
//!
//! - a segment of `384 + MAXSZ * S` bytes (`S` = `size_of::<T>()` rounded up to 8)
//!   holding the ring behind the crate's header (magic, version, type
//!   fingerprint, capacity): the repository's `include/sysv_ipc_layout.h` gives
//!   every byte, for a C peer;
//! - a set of 4 semaphores under the same key: 0 wakes a parked consumer, 1 a
//!   parked producer, 2 and 3 are the producer's and consumer's roles (1 = free).
//!
//! [`Removable::remove`] removes both.
//!
//! # Roles
//!
//! [`Queue::producer`] and [`Queue::consumer`] claim a role by decrementing its
//! semaphore with `IPC_NOWAIT | SEM_UNDO`: a second claim, from any process, fails
//! with [`ErrorKind::RoleTaken`]; when the holder dies, the kernel's undo frees the
//! role. The holder's pid is also kept in the segment and cleared when the role is
//! released by drop, so a role freed by a death is told apart from one released
//! cleanly: the next claim fails with [`ErrorKind::RoleAbandoned`], and
//! [`Queue::reclaim_producer`] / [`Queue::reclaim_consumer`] take it over. Nothing
//! committed is lost: a message is committed by one atomic store of the ring's
//! `tail`, so a producer killed mid-enqueue leaves a half-written slot that no
//! consumer reads and the next producer overwrites; a consumer killed mid-dequeue
//! leaves the message for the next consumer.
//!
//! A role owns its handle on the queue: claiming one attaches the segment again (a
//! second `shmat` of the same id, one more in its `shm_nattch`) and copies the
//! semaphore set's handle. So a [`Producer`] or [`Consumer`] borrows nothing: it
//! moves into a thread (it is `Send` where the backend is) or into a struct with
//! no lifetime, and outlives the `Queue` it was claimed from, which stays usable
//! ([`len`](Queue::len), [`has_producer`](Queue::has_producer),
//! [`remove`](Removable::remove)). After [`Removable::remove`] a role's mapping
//! stays until the role is dropped, so non-blocking calls go on; the semaphore
//! set goes at once, so a call that parks then fails with [`ErrorKind::Removed`].
//!
//! ```
//! use std::thread;
//! use sysv_ipc::{Intent, Key, Mode, Removable, queue::Queue};
//!
//! let q = Queue::<u64, 64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
//! let (mut tx, mut rx) = q.split()?;
//! drop(q); // the roles hold their own attachments
//! let producer = thread::spawn(move || (1..=1000).for_each(|i| tx.enqueue_blocking(i).unwrap()));
//! let sum: u64 = (0..1000).map(|_| rx.dequeue_blocking().unwrap()).sum();
//! producer.join().unwrap();
//! assert_eq!(sum, 500_500);
//! rx.queue().remove()?;
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! A role is its claimer's process's. `SEM_UNDO` adjustments are per process and
//! not inherited, so a `Producer` or `Consumer` value that a `fork()` copies into
//! a child is not the child's role: every call of it in the child fails with
//! [`ErrorKind::WrongProcess`] (two processes pushing into one single-producer
//! ring would overwrite each other's slots), and its drop there does nothing. The
//! check costs two loads and a compare per call, not a `getpid` system call:
//! [`Backend::getpid_cached`] keeps the pid in a page the kernel zero-fills in a
//! child (`MADV_WIPEONFORK`); where that page cannot be made (Linux before 4.14)
//! each call makes the system call. (Under qemu-user 7.2 the child's page is not
//! wiped, and the check does not see the fork.)
//!
//! # Blocking
//!
//! [`enqueue`](Producer::enqueue) and [`dequeue`](Consumer::dequeue) never block
//! (the `IPC_NOWAIT` forms). The `_blocking` and `_timeout` forms spin a bounded
//! number of times ([`Producer::set_spins`]), then park on their semaphore; the
//! peer posts it only when the parked side has announced itself in the segment,
//! so the fast path makes no system call. Why no wake-up is lost: the ring's
//! source, `src/layout/ring.rs`.
//!
//! A `_timeout` form's timeout bounds the whole call, its spin included, however
//! often it parks or re-checks (a stale wake-up, a peer that made room for a
//! moment, a spin count set high): every round that finds nothing to do looks at
//! `CLOCK_MONOTONIC` ([`Backend::clock_gettime`]) and fails with
//! [`ErrorKind::TimedOut`] once the timeout has passed, and each park waits only
//! for what is left. The clock starts at the first round that finds nothing, so a
//! call that succeeds at once reads no clock. A timed call that spins reads it on
//! every 16th spin (`DEADLINE_SPINS`; a system call
//! on the raw backend, 260–280 ns measured here: every spin would make the spin
//! 7× longer), so it may overrun by that many spins, about a microsecond.
//!
//! A parked call notices a dead peer. Each park lasts at most
//! [`DEFAULT_PEER_CHECK`] ([`Producer::set_peer_check`]); when it runs out the
//! call looks at the peer's role, and if its holder died without releasing it
//! (the kernel's `SEM_UNDO` freed the role, the segment still names the holder)
//! and the ring has nothing for the call, the call fails with
//! [`ErrorKind::PeerDied`], after delivering anything the dead producer committed
//! (or taking room the dead consumer made). A peer that is merely slow, a role
//! never claimed yet, or one released cleanly (its holder dropped it: a new one may
//! come) keeps the call waiting. The check costs nothing while messages flow: it
//! runs only when a wait runs out.
//!
//! # End of stream
//!
//! A producer that is done calls [`Producer::close`]: the consumer dequeues
//! everything enqueued before, then every dequeue fails with
//! [`ErrorKind::Closed`] — the non-blocking and batch forms instead of returning
//! nothing, the blocking forms instead of waiting (a parked consumer is woken),
//! the timed forms instead of [`ErrorKind::TimedOut`]. So a stream needs no end
//! marker of its own, and a consumer tells the three endings apart: `Closed` (the
//! producer finished), [`ErrorKind::PeerDied`] (it died without closing), or a
//! wait that goes on (it dropped its role without closing: another producer may
//! take over). Closed is for good, recorded in the segment:
//! [`Queue::is_closed`] says so to anyone, and claiming the producer role of a
//! closed queue fails with `Closed`. A consumer never sees `Closed` while a value
//! committed before the close is unread (the close is ordered after every
//! publish, and the consumer re-reads the producer's index after seeing it; the
//! ring's source, `src/layout/ring.rs`, "Close").
//!
//! # Signals and stops
//!
//! A parked call survives a stop: Ctrl-Z (`SIGSTOP`/`SIGTSTP`, then `SIGCONT`), a
//! debugger or `strace` attaching. The kernel ends a `semop` or `semtimedop`
//! blocked in a process that stops with `EINTR`, with no handler installed and
//! nothing to tell it from a handler that ran (signal(7); measured here, Linux
//! 6.18: after `SIGSTOP`+`SIGCONT` and after `PTRACE_SEIZE`+`PTRACE_INTERRUPT`
//! both return `EINTR`, where `msgrcv`, `msgsnd` and `clock_nanosleep` are
//! restarted). So by default a park that ends in `EINTR` is a spurious return:
//! the ring re-checks, a timed call re-reads the clock and parks only for what is
//! left of its timeout, as after any wake-up. A program that cancels a wait from a
//! signal handler calls [`Producer::set_interruptible`] /
//! [`Consumer::set_interruptible`]; its blocking calls then fail with
//! [`ErrorKind::Interrupted`] on the first `EINTR`, which a stop causes too, with
//! nothing changed (an enqueue hands its value back).
//!
//! Where the kernel offers `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)` (Linux
//! 4.16+, unless a seccomp filter or an emulator hides it), the creator records an
//! asymmetric wake check in the segment: a push or pop then runs no fence at all,
//! and a side about to park pays one `membarrier` call instead
//! ([`Barrier::Asymmetric`]). Each process registers
//! (`MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED`) when it claims a role; on such a
//! queue a process that cannot register is refused a role with
//! [`ErrorKind::Unsupported`]. Without `membarrier` at creation the queue uses
//! SeqCst fences on both sides ([`Barrier::Symmetric`]), for every process.
//! [`Queue::barrier`] says which. A creator can require either
//! ([`QueueOptions::barrier`], which gives the trade-off in numbers): the
//! `membarrier` a park costs interrupts every CPU running a registered process,
//! isolated real-time cores included.
//!
//! # Hostile peers
//!
//! Every value read from the segment is validated once read: a peer that writes
//! garbage makes calls fail with [`ErrorKind::Corrupt`] (or a header check with
//! [`ErrorKind::LayoutMismatch`]), never read or write out of bounds, never panic.
//! Any bytes are a valid `T` ([`ShmType`] requires zerocopy's `FromBytes`), so a
//! dequeued value is at worst a wrong value, never an invalid one.

use core::fmt;
use core::marker::PhantomData;
use core::ptr;
use core::time::Duration;

use crate::error::{Object, during};
use crate::join::{self, LayoutSpec};
use crate::layout::header::{Kind, Shape};
pub use crate::layout::ring::Barrier;

mod arm;
mod loan;
use crate::layout::SlotOf;
use crate::layout::ring::{self, Corrupt, PayloadWords, Ring, RingConsumer, RingCtl, RingProducer};
use crate::layout::{ShmType, load_words, store_words, view, words_for};
use crate::park::Lane;
use crate::role::{self, Handle, Role, Seat, choose_barrier};
use crate::sem::{JOIN_TIMEOUT, SemSet};
use crate::shm::{Attachment, Segment};
use crate::sync::AtomicU64;
use crate::{Backend, DefaultBackend, Error, ErrorKind, Intent, Key, Mode, Removable, Result};
pub use loan::{ReadLoan, WriteLoan};

/// Semaphore a parked consumer waits on.
pub(crate) const ITEMS: u16 = 0;
/// Semaphore a parked producer waits on.
pub(crate) const SPACE: u16 = 1;
/// The producer role (1 = free).
pub(crate) const PRODUCER: u16 = 2;
/// The consumer role (1 = free).
pub(crate) const CONSUMER: u16 = 3;
/// Initial values of the set.
pub(crate) const SEM_VALUES: [u16; 4] = [0, 0, 1, 1];

/// Spins before a blocking call parks, unless [`Producer::set_spins`] /
/// [`Consumer::set_spins`] say otherwise: long enough to ride out a peer that is
/// between two operations, short enough not to burn a core for long.
///
/// # Examples
///
/// ```
/// use sysv_ipc::queue::{DEFAULT_SPINS, Queue};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (mut tx, mut rx) = q.split()?;
/// tx.set_spins(DEFAULT_SPINS * 4); // a peer known to be slow between operations
/// tx.enqueue_blocking(1)?; // room: returns at once
/// assert_eq!(rx.dequeue()?, Some(1));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub const DEFAULT_SPINS: u32 = role::DEFAULT_SPINS;

/// How long a parked blocking call sleeps at most before it looks whether its peer
/// is still alive, unless [`Producer::set_peer_check`] / [`Consumer::set_peer_check`]
/// say otherwise: a dead peer is noticed within about this long
/// ([`ErrorKind::PeerDied`]), and an idle waiter wakes this often (a
/// `semtimedop` that runs out, a `GETVAL`, and the ring's usual re-check before it
/// parks again).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use sysv_ipc::queue::{DEFAULT_PEER_CHECK, Queue};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// assert_eq!(DEFAULT_PEER_CHECK, Duration::from_millis(100));
/// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = q.consumer()?;
/// rx.set_peer_check(Some(DEFAULT_PEER_CHECK * 10)); // fewer wake-ups, slower to notice
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub const DEFAULT_PEER_CHECK: Duration = role::DEFAULT_PEER_CHECK;

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

fn corrupt(_: Corrupt) -> Error {
    error(ErrorKind::Corrupt)
}

/// [`ErrorKind::Closed`] once the producer closed the queue and everything it
/// enqueued has been dequeued (what the last pop that found nothing learned).
#[inline]
fn not_finished<const MAXSZ: usize, W: PayloadWords>(
    ring: &RingConsumer<'_, MAXSZ, W>,
) -> Result<()> {
    if ring.is_finished() {
        return Err(closed());
    }
    Ok(())
}

/// A batch pop's count, or [`ErrorKind::Closed`] if it found nothing (not asked
/// for nothing) because the stream has ended.
#[inline]
fn popped<const MAXSZ: usize, W: PayloadWords>(
    ring: &RingConsumer<'_, MAXSZ, W>,
    n: usize,
    max: usize,
) -> Result<usize> {
    if n == 0 && max > 0 {
        not_finished(ring)?;
    }
    Ok(n)
}

/// The end of the stream; out of line, as an error path.
#[cold]
#[inline(never)]
fn closed() -> Error {
    error(ErrorKind::Closed)
}

/// How [`Queue::create_with`] creates or joins a queue, beyond its key, intent
/// and mode: the barrier, and how long to wait for a creator that has not
/// finished. A builder, `QueueOptions::new()` being the defaults of
/// [`Queue::create_in`], as every type's options are (see [the crate
/// docs](crate#constructors)).
///
/// # The barrier: IPIs or fences
///
/// A queue orders its park/wake handshake with one of two barrier pairs
/// ([`Barrier`]; `src/layout/ring.rs` says why each is correct), chosen by
/// its creator and recorded in the segment for every process. By default the
/// creator takes [`Barrier::Asymmetric`] where the kernel offers it and
/// [`Barrier::Symmetric`] otherwise; [`barrier`](Self::barrier) makes the choice
/// explicit. The trade-off, measured on this project's 2-vCPU KVM guest (Linux
/// 6.18; the stream row by the repository's `benches/ipc.rs`, the others by
/// loops of the calls on a host loaded by other builds, hence the ranges):
///
/// | | [`Barrier::Asymmetric`] (`membarrier`) | [`Barrier::Symmetric`] (fences) |
/// |---|---|---|
/// | each push and pop | no fence (a compiler fence) | a SeqCst fence (`lock or` on x86, `dmb ish` on aarch64) |
/// | an `enqueue` + `dequeue` of a `u64` on one thread (no peer: the fences alone; 5 interleaved runs) | 7.9–15.8 ns | 27.6–37.3 ns |
/// | one-at-a-time 8-byte stream between two spinning processes | 63.0 M messages/s (README, "Performance") | 7.5 M/s for the ring before it had `membarrier`; a C ring with the same fence ran at 11.5 M/s where the queue ran at 63.0 |
/// | each park (a side about to sleep) | one `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)`: 0.4–0.6 µs with no other registered thread running, 0.9–1.2 µs with one spinning on the other CPU, which it interrupts | a SeqCst fence |
/// | a ping-pong between two processes in which every wait parks (0 spins; `park_wake_stress` in `tests/queue.rs`, 20 000 rounds, 3 runs) | 6.8–7.8 µs a round | 5.4–6.0 µs a round |
/// | who is interrupted | every CPU then running a thread of *any* process registered for expedited global barriers (every process holding a role of any asymmetric queue, and others that registered): an inter-processor interrupt and a full barrier there, isolated real-time cores included, each time any such process parks | nobody |
/// | what each role holder needs | `MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED` (Linux 4.16+; refused under some seccomp filters and emulators: such a process is refused a role) | nothing |
///
/// So: `Asymmetric` for throughput where every core may be interrupted; `Symmetric`
/// on systems with isolated real-time cores (a process that parks on an
/// asymmetric queue interrupts them whenever they run a registered process,
/// whatever queue that process uses), where registration is unavailable, or
/// when peers park often: a park's `membarrier` costs about what 50 pushes' and pops'
/// fences do.
///
/// # Examples
///
/// ```
/// use sysv_ipc::queue::{Barrier, QueueOptions};
///
/// assert_eq!(QueueOptions::new().get_barrier(), None); // the creator decides
/// let rt = QueueOptions::new().barrier(Barrier::Symmetric);
/// assert_eq!(rt.get_barrier(), Some(Barrier::Symmetric));
/// assert_eq!(QueueOptions::default(), QueueOptions::new());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueueOptions {
    barrier: Option<Barrier>,
    join_timeout: Duration,
}

impl Default for QueueOptions {
    /// [`QueueOptions::new`].
    fn default() -> QueueOptions {
        QueueOptions::new()
    }
}

impl QueueOptions {
    /// The defaults: what [`Queue::create_in`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::queue::QueueOptions;
    /// use sysv_ipc::sem::JOIN_TIMEOUT;
    ///
    /// assert_eq!(QueueOptions::new().get_barrier(), None);
    /// assert_eq!(QueueOptions::new().get_join_timeout(), JOIN_TIMEOUT);
    /// ```
    pub const fn new() -> QueueOptions {
        QueueOptions {
            barrier: None,
            join_timeout: JOIN_TIMEOUT,
        }
    }

    /// Requires `barrier` (see [the trade-off](Self#the-barrier-ipis-or-fences)):
    /// a creator records it instead of choosing, a joiner is refused a queue that
    /// records the other one. [`Barrier::Asymmetric`] is refused up front where
    /// this process cannot use `membarrier`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::queue::{Barrier, Queue, QueueOptions};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock has no membarrier, as a kernel before 4.16 or a seccomp filter.
    /// let kernel: Mock = Mock::new();
    /// let ipis = QueueOptions::new().barrier(Barrier::Asymmetric);
    /// let e = Queue::<u64, 8, _>::create_with(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, ipis).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Unsupported);
    /// let fences = QueueOptions::new().barrier(Barrier::Symmetric);
    /// let q = Queue::<u64, 8, _>::create_with(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, fences)?;
    /// assert_eq!(q.barrier()?, Barrier::Symmetric);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn barrier(self, barrier: Barrier) -> QueueOptions {
        QueueOptions {
            barrier: Some(barrier),
            ..self
        }
    }

    /// The barrier [`barrier`](Self::barrier) required, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::queue::{Barrier, QueueOptions};
    ///
    /// let o = QueueOptions::new().barrier(Barrier::Asymmetric);
    /// assert_eq!(o.get_barrier(), Some(Barrier::Asymmetric));
    /// ```
    pub const fn get_barrier(self) -> Option<Barrier> {
        self.barrier
    }

    /// How long a joiner waits in all for the queue's creator to finish
    /// initialising it (the header handshake that `include/sysv_ipc_layout.h`
    /// describes) before giving up with [`ErrorKind::Uninitialized`] or, with
    /// [`Intent::OpenOrCreate`], recovering a segment whose creator died (see
    /// [`Queue::create_in`]); a recovery waits once more, as long. [`JOIN_TIMEOUT`]
    /// (500 ms) by default.
    ///
    /// The wait spins a few microseconds, then sleeps on `CLOCK_MONOTONIC` (10 µs
    /// doubling to 1 ms, never past the timeout), so even a `SCHED_FIFO` joiner
    /// leaves the CPU to a creator on it; it may last the spins and one sleep's
    /// timer slack longer than `timeout`. [`Duration::ZERO`] gives up after the
    /// spins. A creator waits as long only for a semaphore set under the key that
    /// another process made and has not initialised
    /// ([`SemSet::new_initialized_with`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::queue::{Queue, QueueOptions};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Segment};
    /// use sysv_ipc_mock::Mock;
    ///
    /// let kernel: Mock = Mock::new();
    /// let key = Key::new(0x51);
    /// // A zero-filled segment of the queue's size: a creator that has not begun.
    /// let size = 384 + 8 * (8 + 8); // the control block, then 8 slots of seq + u64
    /// Segment::create_in(&kernel, key, size, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let brief = QueueOptions::new().join_timeout(Duration::from_millis(20));
    /// let t0 = kernel.monotonic(); // the mock's clock, which its sleeps move
    /// let e = Queue::<u64, 8, _>::create_with(&kernel, key, Intent::Open, Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// assert_eq!(kernel.monotonic() - t0, Duration::from_millis(20));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn join_timeout(self, timeout: Duration) -> QueueOptions {
        QueueOptions {
            join_timeout: timeout,
            ..self
        }
    }

    /// The timeout of [`join_timeout`](Self::join_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::time::Duration;
    /// use sysv_ipc::queue::{Barrier, QueueOptions};
    ///
    /// let o = QueueOptions::new().barrier(Barrier::Symmetric).join_timeout(Duration::from_secs(2));
    /// assert_eq!((o.get_barrier(), o.get_join_timeout()), (Some(Barrier::Symmetric), Duration::from_secs(2)));
    /// ```
    pub const fn get_join_timeout(self) -> Duration {
        self.join_timeout
    }
}

/// A single-producer single-consumer queue of `MAXSZ` values of `T` in shared
/// memory. See the [module docs](self).
///
/// `MAXSZ` is a power of two (checked at compile time) and counts usable slots.
/// `T` is plain data with a stable name ([`ShmType`]); the header records its
/// fingerprint, size and alignment and `MAXSZ`, and opening a queue made for
/// another type or capacity fails with [`ErrorKind::LayoutMismatch`].
///
/// ```compile_fail
/// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
/// // 6 is not a power of two: refused when the queue is instantiated.
/// let q = Queue::<u64, 6>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW);
/// ```
///
/// # Examples
///
/// ```
/// use sysv_ipc::{ShmType, type_id};
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Debug, PartialEq)]
/// #[repr(C)]
/// struct Order { id: u64, qty: u32, price_cents: u32 }
///
/// impl ShmType for Order {
///     const TYPE_ID: u64 = type_id("shop::Order v1");
/// }
///
/// let key = Key::new(0x4600_0000 | (std::process::id() as i32 & 0xff_ffff));
/// // The producer's process:
/// let q = Removal::new(Queue::<Order, 256>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut tx = q.producer()?;
/// tx.enqueue(Order { id: 1, qty: 2, price_cents: 999 })?;
/// // The consumer's process:
/// let theirs = Queue::<Order, 256>::open(key)?;
/// let mut rx = theirs.consumer()?;
/// assert_eq!(rx.dequeue()?, Some(Order { id: 1, qty: 2, price_cents: 999 }));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Queue<T, const MAXSZ: usize, B: Backend = DefaultBackend> {
    att: Attachment<B>,
    sems: SemSet<B>,
    _type: PhantomData<T>,
}

impl<T, const MAXSZ: usize, B: Backend> Queue<T, MAXSZ, B> {
    /// What this queue's errors name: its segment.
    fn object(&self) -> Object {
        Object::Segment(self.att.segment_id())
    }
}

impl<T, const MAXSZ: usize, B: Backend> fmt::Debug for Queue<T, MAXSZ, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("capacity", &MAXSZ)
            .field("shmid", &self.att.segment_id())
            .field("semid", &self.sems.id())
            .finish()
    }
}

impl<T: ShmType, const MAXSZ: usize> Queue<T, MAXSZ> {
    /// Creates the queue of `key` or opens it, as `intent` says, on the default
    /// backend. See [`Queue::create_in`].
    ///
    /// # Errors
    ///
    /// As [`Queue::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, queue::Queue};
    ///
    /// let q = Queue::<[u32; 2], 64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!((q.len()?, q.capacity()), (0, 64));
    /// q.remove()?; // the segment and the semaphore set
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"Queue::create", Object::Key(key), || {
            Queue::create_in(DefaultBackend::default(), key, intent, mode)
        })
    }

    /// Opens the existing queue of `key`, on the default backend. See
    /// [`Queue::open_in`].
    ///
    /// # Errors
    ///
    /// As [`Queue::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let key = Key::new(0x4700_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let q = Removal::new(Queue::<u64, 16>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// q.producer()?.enqueue(7)?;
    /// // The consumer's process opens it with the same T and MAXSZ:
    /// let theirs = Queue::<u64, 16>::open(key)?;
    /// assert_eq!(theirs.consumer()?.dequeue()?, Some(7));
    /// // Another capacity is refused.
    /// let e = Queue::<u64, 32>::open(key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("capacity")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open(key: Key) -> Result<Self> {
        during(&"Queue::open", Object::Key(key), || {
            Queue::open_in(DefaultBackend::default(), key)
        })
    }

    /// [`Queue::open_wait_in`] waiting up to `timeout` for a peer to create the object.
    ///
    /// # Errors
    ///
    /// As [`Queue::open_wait_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{thread, time::Duration};
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let key = Key::new(0x6a00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// // The producer's program starts later (a thread here, for the example).
    /// let producer = thread::spawn(move || -> sysv_ipc::Result<()> {
    ///     thread::sleep(Duration::from_millis(50));
    ///     let q = Queue::<u64, 8>::create(key, Intent::CreateNew, Mode::OWNER_RW)?;
    ///     q.producer()?.enqueue(7)?;
    ///     Ok(())
    /// });
    /// // The consumer's starts first, and waits for the queue rather than failing.
    /// let q = Removal::new(Queue::<u64, 8>::open_wait(key, Duration::from_secs(5))?);
    /// assert_eq!(q.consumer()?.dequeue_timeout(Duration::from_secs(5))?, 7);
    /// producer.join().unwrap()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"Queue::open_wait", Object::Key(key), || {
            Queue::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Queue<T, MAXSZ, B> {
    /// Usable slots: `MAXSZ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::queue::Queue;
    ///
    /// assert_eq!(Queue::<u64, 1024>::CAPACITY, 1024);
    /// ```
    pub const CAPACITY: usize = MAXSZ;

    /// Payload words per slot (the ring adds one, the slot's `seq`).
    const SLOT_WORDS: usize = {
        assert!(
            size_of::<T>() > 0,
            "a queue of zero-sized values carries nothing"
        );
        words_for(size_of::<T>())
    };

    /// Bytes of the whole layout.
    pub(crate) const SIZE: usize = {
        assert!(MAXSZ.is_power_of_two(), "MAXSZ must be a power of two");
        match ring::layout_size(MAXSZ, Self::SLOT_WORDS) {
            Some(n) => n,
            None => panic!("MAXSZ slots of T do not fit in memory"),
        }
    };

    fn shape() -> Shape {
        Shape::of::<T>(Kind::Ring, MAXSZ, ring::DATA_OFFSET, Self::SIZE)
    }

    /// Creates the queue of `key`, or opens the one it has, as `intent` says:
    /// [`Intent::CreateNew`] fails if it exists, [`Intent::OpenOrCreate`] joins it,
    /// [`Intent::Open`] never creates. `mode` applies to a segment and semaphore set
    /// this call creates. [`Key::PRIVATE`] always creates (share it by `fork`).
    ///
    /// Joining waits for the creator to finish initialising (the handshake that
    /// `include/sysv_ipc_layout.h` describes) for at most [`JOIN_TIMEOUT`] (500 ms)
    /// in time: a few microseconds of spinning, then sleeps of 10 µs doubling to
    /// 1 ms, so a joiner of any priority, even `SCHED_FIFO` on the creator's CPU,
    /// leaves the CPU to the creator. A recovery (below) may wait a second time,
    /// so a call waits at most twice that. [`Queue::create_with`] takes another
    /// timeout ([`QueueOptions::join_timeout`]).
    ///
    /// With [`Intent::OpenOrCreate`], a queue whose creator died before finishing
    /// (the segment is of the queue's exact size, its header carries the mark its
    /// creator writes first, and its only attachment is this caller's: see the
    /// handshake's recovery rule in `include/sysv_ipc_layout.h`) is removed, with its dead
    /// creator's semaphore set, and created afresh by this call, once. Any other
    /// segment under `key` (another program's, zero-filled or not, attached or
    /// not) is never removed.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::LayoutMismatch`]: the segment of `key` holds another layout,
    ///   another `T` (fingerprint, size, alignment), another `MAXSZ`, or is too
    ///   small; `field` says which. A segment whose header is not published and
    ///   whose size is not the queue's is `size` at once, without waiting: no
    ///   creator of this queue made it (another program's, or another layout's);
    /// - [`ErrorKind::LayoutMismatch`] with the field `"semaphore set's creator uid"`: the semaphore set
    ///   of `key` was created by another user than the segment (a squatter);
    /// - [`ErrorKind::LayoutMismatch`] with `field: "magic"`: the header never
    ///   became ready and holds bytes this crate's handshake never leaves (another
    ///   program's segment, kept);
    /// - [`ErrorKind::Uninitialized`]: its creator did not finish in time, and
    ///   the segment was not recovered: it is still attached elsewhere (a live
    ///   creator, another waiting joiner, a child that inherited the creator's
    ///   attachment), it is all zero and of the queue's size (a creator not yet
    ///   begun, or another program's zero-filled segment), its removal was
    ///   refused, `intent` is [`Intent::Open`], or the one recovery per call
    ///   met a stuck segment again;
    /// - [`ErrorKind::Corrupt`]: the header's state word holds garbage;
    /// - as [`Segment::create_in`], [`Segment::attach`] and
    ///   [`SemSet::new_initialized_in`] otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let key = Key::new(0x4800_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// // Whoever comes first creates it; the other joins.
    /// let a = Removal::new(Queue::<u64, 8, _>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?);
    /// let other = Queue::<u64, 8, _>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?;
    /// assert_eq!(other.segment().id(), a.segment().id());
    /// let e = Queue::<u64, 8, _>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Queue::create_in", Object::Key(key), || {
            Queue::create_with(backend, key, intent, mode, QueueOptions::new())
        })
    }

    /// Opens the existing queue of `key`; [`Queue::create_in`] with [`Intent::Open`].
    ///
    /// # Errors
    ///
    /// As [`Queue::create_in`]; [`ErrorKind::NotFound`] if `key` has no segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let key = Key::new(0x4900_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// assert_eq!(Queue::<u64, 8, _>::open_in(b, key).unwrap_err().kind(), ErrorKind::NotFound);
    /// let q = Removal::new(Queue::<u64, 8, _>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // Same size and capacity, another type: the fingerprint tells them apart.
    /// let e = Queue::<f64, 8, _>::open_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("type_id")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Queue::open_in", Object::Key(key), || {
            let options = QueueOptions::new();
            Queue::create_with(backend, key, Intent::Open, Mode::default(), options)
        })
    }

    /// [`Queue::open_in`] for a program that may start before the peer that
    /// creates the queue.
    ///
    /// Until the segment exists, tries again with the sleeps of
    /// [`MsgQueue::open_wait_in`](crate::msg::MsgQueue::open_wait_in). Once it
    /// exists, the creator may still be initialising it: the join then waits as
    /// [`Queue::open_in`]'s does, for what is left of `timeout` but at least
    /// [`JOIN_TIMEOUT`], so this never gives up on a creator sooner than
    /// `Queue::open_in` would. So the call returns within `timeout` if nobody
    /// creates the object, and within `timeout` + [`JOIN_TIMEOUT`] in every case
    /// (plus the scheduler's delays).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no queue after `timeout`;
    /// [`ErrorKind::Interrupted`] if a signal handler ran during a sleep; otherwise
    /// as [`Queue::open_in`] (`Uninitialized` for a creator that did not finish).
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Queue::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |left| {
                let options = QueueOptions::new().join_timeout(left.max(JOIN_TIMEOUT));
                Queue::create_with(backend.clone(), key, Intent::Open, Mode::default(), options)
            })
        })
    }

    /// [`Queue::create_in`] with [`QueueOptions`]: a required [`Barrier`] (the
    /// creator records it; a joiner checks it), and how long to wait for a
    /// creator that has not finished ([`QueueOptions::join_timeout`]).
    ///
    /// # Errors
    ///
    /// As [`Queue::create_in`] (`Uninitialized` after the options' join timeout
    /// rather than [`JOIN_TIMEOUT`]), and:
    /// - [`ErrorKind::Unsupported`]: [`Barrier::Asymmetric`] was required and this
    ///   kernel (or a seccomp filter, an emulator, the mock) does not offer the
    ///   expedited global `membarrier` or refuses this process's registration;
    ///   nothing was created or opened;
    /// - [`ErrorKind::LayoutMismatch`] with `field: "barrier"`: the existing queue
    ///   of `key` records the other barrier (its creator chose it); nothing was
    ///   changed.
    ///
    /// # Examples
    ///
    /// The barrier:
    ///
    /// ```
    /// use sysv_ipc::queue::{Barrier, Queue, QueueOptions};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x4b00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// // A queue whose peers never send or receive inter-processor interrupts for it.
    /// let fences = QueueOptions::new().barrier(Barrier::Symmetric);
    /// let q = Removal::new(Queue::<u64, 8, _>::create_with(b, key, Intent::CreateNew, Mode::OWNER_RW, fences)?);
    /// assert_eq!(q.barrier()?, Barrier::Symmetric);
    /// // A joiner that requires the other barrier is refused.
    /// let ipis = QueueOptions::new().barrier(Barrier::Asymmetric);
    /// let e = Queue::<u64, 8, _>::create_with(b, key, Intent::Open, Mode::OWNER_RW, ipis).unwrap_err();
    /// assert!(matches!(
    ///     (e.kind(), e.layout_field()),
    ///     (ErrorKind::LayoutMismatch, Some("barrier")) | (ErrorKind::Unsupported, None) // no membarrier here
    /// ));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// A short join timeout, and what a caller that may create does with a segment
    /// whose creator died:
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::queue::{Queue, QueueOptions};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, Segment};
    ///
    /// // Header words, as include/sysv_ipc_layout.h has them: state at 0, magic at 8.
    /// const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1"); // SVIPC_MAGIC
    /// const INITIALIZING: u64 = 1; // SVIPC_STATE_INITIALIZING
    /// let key = Key::new(0x4a00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// // A zero-filled segment of the queue's size under the key: another program's,
    /// // or a creator's that has not begun; nothing tells them apart.
    /// let size = 384 + 8 * (8 + 8); // the control block, then 8 slots of seq + u64
    /// let stuck = Removal::new(Segment::create(key, size, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let brief = QueueOptions::new().join_timeout(Duration::from_millis(5));
    /// let b = DefaultBackend::default();
    /// let e = Queue::<u64, 8, _>::create_with(b, key, Intent::OpenOrCreate, Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// assert!(stuck.stat().is_ok()); // never removed
    /// // What a creator leaves that died after its mark and its claim (step 2).
    /// let att = stuck.attach()?;
    /// att.write(8, &MAGIC.to_ne_bytes()).unwrap();
    /// att.write(0, &INITIALIZING.to_ne_bytes()).unwrap();
    /// drop(att);
    /// let e = Queue::<u64, 8, _>::create_with(b, key, Intent::Open, Mode::OWNER_RW, brief).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Uninitialized);
    /// // This crate's, attached by nobody else: abandoned. A caller that may create
    /// // replaces it.
    /// let q = Removal::new(Queue::<u64, 8, _>::create_with(b, key, Intent::OpenOrCreate, Mode::OWNER_RW, brief)?);
    /// assert_ne!(q.segment().id(), stuck.id());
    /// assert!(stuck.stat().is_err()); // gone
    /// # std::mem::forget(stuck); // nothing left to remove
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_with(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: QueueOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Queue::create_with", Object::Key(key), || {
            Queue::create_full(backend, key, intent, mode, options)
        })
    }

    fn create_full(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: QueueOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        let required = options.get_barrier();
        // Before anything is created: a creator must be able to record it, and a
        // joiner would be refused a role without it.
        if required == Some(Barrier::Asymmetric) && choose_barrier(&backend) != Barrier::Asymmetric
        {
            return Err(error(ErrorKind::Unsupported));
        }
        let spec = LayoutSpec {
            shape: Self::shape(),
            size: Self::SIZE,
            sem_values: &SEM_VALUES,
        };
        let init = |ctl: &RingCtl, backend: &B| {
            ctl.init(required.unwrap_or_else(|| choose_barrier(backend)));
        };
        let timeout = options.get_join_timeout();
        let (att, sems) = join::create_or_join(backend, key, intent, mode, &spec, init, timeout)?;
        let q = Queue {
            att,
            sems,
            _type: PhantomData,
        };
        if let Some(wanted) = required
            && let recorded = q.barrier()?
            && recorded != wanted
        {
            // The header's codes: 0 symmetric (fences), 1 asymmetric (membarrier).
            let code = |b: Barrier| u64::from(b == Barrier::Asymmetric);
            return Err(error(ErrorKind::LayoutMismatch).with_field(
                &"barrier",
                code(recorded),
                code(wanted),
            ));
        }
        Ok(q)
    }

    /// A mapping too small for the ring (never, for a queue that opened).
    fn too_small(&self) -> Error {
        error(ErrorKind::LayoutMismatch).with_field(
            &"size",
            self.att.len() as u64,
            Self::SIZE as u64,
        )
    }

    /// The ring's control lines and slots in this handle's mapping.
    fn ring_parts(&self) -> Result<(&RingCtl, &[AtomicU64])> {
        view::<B, RingCtl>(
            &self.att,
            ring::DATA_OFFSET,
            Ring::<MAXSZ>::words(Self::SLOT_WORDS),
        )
        .ok_or_else(|| self.too_small())
    }

    fn ring(&self) -> Result<Ring<'_, MAXSZ>> {
        let (ctl, slots) = self.ring_parts()?;
        Ring::new(ctl, slots, Self::SLOT_WORDS).ok_or_else(|| self.too_small())
    }

    /// [`ring`](Self::ring), not tied to a borrow of `self`: for a role, which keeps
    /// this handle in a field beside the ring (a `Producer` or `Consumer` moves
    /// into a thread or a struct with no lifetime).
    ///
    /// # Safety
    ///
    /// The ring must not be used once this handle's attachment is detached, which
    /// happens only when the handle is dropped (`Attachment::detach` takes it by
    /// value, and a `Queue` hands out its attachment only by reference).
    // One of the crate's two lifetime extensions outside `layout` and `shm` (the
    // other is `SeqLock::parts_unbounded`): a role's ring and the attachment it
    // views move together, which no borrow can say.
    #[allow(unsafe_code)]
    unsafe fn ring_unbounded<'m>(&self) -> Result<Ring<'m, MAXSZ, SlotOf<T>>> {
        let (ctl, slots) = self.ring_parts()?;
        // SAFETY: `ctl` points into the segment's mapping, not into `self`, so
        // moving the handle moves no byte it points to; the mapping stays at its
        // address, mapped, until the attachment's `shmdt`, and the caller uses the
        // reference only before that (this fn's contract).
        let ctl: &'m RingCtl = unsafe { &*ptr::from_ref(ctl) };
        // SAFETY: as for `ctl`: the slots are in the same mapping.
        let slots: &'m [AtomicU64] = unsafe { &*ptr::from_ref(slots) };
        Ring::with_words(ctl, slots, Self::SLOT_WORDS).ok_or_else(|| self.too_small())
    }

    /// A second handle on this queue, for a role to own: its own attachment of
    /// the segment (a second `shmat` of the same id, which the kernel allows
    /// after `IPC_RMID` too, as long as the segment is attached, as `self`'s
    /// attachment keeps it) and a copy of the semaphore set's handle.
    fn own_handle(&self) -> Result<Self>
    where
        B: Clone,
    {
        Ok(Queue {
            att: self.att.segment().attach()?,
            sems: SemSet::from_id(self.sems.backend().clone(), self.sems.id()),
            _type: PhantomData,
        })
    }

    /// The producer's seat: its role semaphore and pid word in `ctl`.
    const fn producer_seat(ctl: &RingCtl) -> Seat<'_> {
        Seat {
            sem: PRODUCER,
            pid: &ctl.producer_pid,
        }
    }

    /// The consumer's seat.
    const fn consumer_seat(ctl: &RingCtl) -> Seat<'_> {
        Seat {
            sem: CONSUMER,
            pid: &ctl.consumer_pid,
        }
    }

    #[allow(unsafe_code)] // ring_unbounded
    fn producer_with(&self, reclaim: bool) -> Result<Producer<T, MAXSZ, B>>
    where
        B: Clone,
    {
        let queue = self.own_handle()?;
        // SAFETY: the ring goes into the role beside `queue`, which it is a view
        // of; the role uses it only while it holds `queue` (see `Producer`'s fields),
        // and on the error paths below it is dropped unused with the role.
        let ring = unsafe { queue.ring_unbounded()? };
        // Dropped on an error below, the role releases the seat.
        let role = Role::claim(queue, Self::producer_seat(ring.ctl()), reclaim)?;
        // Read while holding the role: a closing producer stored `closed` before it
        // released the role, and closed is for good.
        match ring.ctl().is_closed() {
            Ok(false) => {}
            Ok(true) => return Err(closed()),
            Err(c) => return Err(corrupt(c)),
        }
        let ring = RingProducer::new(ring).map_err(corrupt)?;
        role.register_for(ring.barrier())?;
        Ok(Producer { ring, role })
    }

    #[allow(unsafe_code)] // ring_unbounded
    fn consumer_with(&self, reclaim: bool) -> Result<Consumer<T, MAXSZ, B>>
    where
        B: Clone,
    {
        let queue = self.own_handle()?;
        // SAFETY: the ring goes into the role beside `queue`, which it is a view
        // of; the role uses it only while it holds `queue` (see `Consumer`'s fields),
        // and on the error paths below it is dropped unused with the role.
        let ring = unsafe { queue.ring_unbounded()? };
        let role = Role::claim(queue, Self::consumer_seat(ring.ctl()), reclaim)?;
        let ring = RingConsumer::new(ring).map_err(corrupt)?;
        role.register_for(ring.barrier())?;
        Ok(Consumer { ring, role })
    }

    /// Claims the producer role for this process.
    ///
    /// The role owns its handle on the queue: its own attachment of the segment
    /// (`shmat` again, so the segment counts one more in `shm_nattch` while the
    /// role lives) and a copy of the semaphore set's handle. It borrows nothing
    /// from `self`, so it can move into a thread or a struct and outlive `self`.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::RoleTaken`]: a live producer exists (in any process);
    /// - [`ErrorKind::RoleAbandoned`]: the last producer died without releasing the
    ///   role; call [`reclaim_producer`](Self::reclaim_producer) to take over;
    /// - [`ErrorKind::Closed`]: a producer closed the queue ([`Producer::close`]),
    ///   for good;
    /// - [`ErrorKind::Corrupt`]: the ring's indices (or its `closed` word) are
    ///   impossible;
    /// - the semaphore's errors ([`ErrorKind::Removed`], ...);
    /// - [`Segment::attach`]'s (the segment's mode changed since `self` attached it,
    ///   a limit on attachments).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// assert_eq!(q.producer().unwrap_err().kind(), ErrorKind::RoleTaken); // one at a time
    /// tx.enqueue(1)?;
    /// drop(tx); // releases the role
    /// assert!(q.producer().is_ok());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn producer(&self) -> Result<Producer<T, MAXSZ, B>>
    where
        B: Clone,
    {
        during(&"Queue::producer", self.object(), || {
            self.producer_with(false)
        })
    }

    /// Claims the producer role even if its last holder died without releasing
    /// it. The new producer continues after the last committed message.
    ///
    /// # Errors
    ///
    /// As [`producer`](Self::producer), without [`ErrorKind::RoleAbandoned`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, queue::Queue};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// // On the in-memory kernel, whose processes are simulated.
    /// let kernel: Mock = Mock::new(); // process 1 is the caller
    /// let q = Queue::<u64, 8, _>::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// kernel.fork_process(1, 2).unwrap();
    /// kernel.set_process(Process::root(2));
    /// let mut tx = q.producer()?;
    /// tx.enqueue(10)?;
    /// std::mem::forget(tx); // process 2 dies holding the role ...
    /// kernel.exit_process(2); // ... and SEM_UNDO frees it
    /// kernel.set_process(Process::root(1));
    /// assert_eq!(q.producer().unwrap_err().kind(), ErrorKind::RoleAbandoned);
    /// let mut tx = q.reclaim_producer()?; // continues after the last committed message
    /// tx.enqueue(11)?;
    /// let mut rx = q.consumer()?;
    /// assert_eq!((rx.dequeue()?, rx.dequeue()?), (Some(10), Some(11)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn reclaim_producer(&self) -> Result<Producer<T, MAXSZ, B>>
    where
        B: Clone,
    {
        during(&"Queue::reclaim_producer", self.object(), || {
            self.producer_with(true)
        })
    }

    /// Claims the consumer role for this process.
    ///
    /// # Errors
    ///
    /// As [`producer`](Self::producer), for the consumer.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// assert_eq!(q.consumer().unwrap_err().kind(), ErrorKind::RoleTaken);
    /// assert_eq!(rx.dequeue()?, None); // empty
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn consumer(&self) -> Result<Consumer<T, MAXSZ, B>>
    where
        B: Clone,
    {
        during(&"Queue::consumer", self.object(), || {
            self.consumer_with(false)
        })
    }

    /// Claims the consumer role even if its last holder died without releasing
    /// it. The new consumer continues with the first message not dequeued.
    ///
    /// # Errors
    ///
    /// As [`consumer`](Self::consumer), without [`ErrorKind::RoleAbandoned`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, queue::Queue};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// let kernel: Mock = Mock::new(); // simulated processes; 1 is the caller
    /// let q = Queue::<u64, 8, _>::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(q.producer()?.enqueue_slice(&[1, 2, 3])?, 3);
    /// kernel.fork_process(1, 2).unwrap();
    /// kernel.set_process(Process::root(2));
    /// let mut rx = q.consumer()?;
    /// assert_eq!(rx.dequeue()?, Some(1));
    /// std::mem::forget(rx); // process 2 dies holding the role
    /// kernel.exit_process(2);
    /// kernel.set_process(Process::root(1));
    /// assert_eq!(q.consumer().unwrap_err().kind(), ErrorKind::RoleAbandoned);
    /// let mut rx = q.reclaim_consumer()?; // continues with the first message not dequeued
    /// assert_eq!(rx.dequeue()?, Some(2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn reclaim_consumer(&self) -> Result<Consumer<T, MAXSZ, B>>
    where
        B: Clone,
    {
        during(&"Queue::reclaim_consumer", self.object(), || {
            self.consumer_with(true)
        })
    }

    /// Claims both roles for this process (two threads, or one thread doing both).
    /// Each role owns its attachment (see [`producer`](Self::producer)), so each
    /// moves into a thread of its own.
    ///
    /// # Errors
    ///
    /// As [`producer`](Self::producer) and [`consumer`](Self::consumer); neither role
    /// is kept if either claim fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// let producer = thread::spawn(move || (1..=100).for_each(|i| tx.enqueue_blocking(i).unwrap()));
    /// let consumer = thread::spawn(move || (0..100).map(|_| rx.dequeue_blocking().unwrap()).sum::<u64>());
    /// producer.join().unwrap();
    /// assert_eq!(consumer.join().unwrap(), 5050);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn split(&self) -> Result<(Producer<T, MAXSZ, B>, Consumer<T, MAXSZ, B>)>
    where
        B: Clone,
    {
        during(&"Queue::split", self.object(), || {
            let producer = self.producer()?;
            let consumer = self.consumer()?;
            Ok((producer, consumer))
        })
    }

    /// Whether a live process holds the producer role (`GETVAL` of its semaphore).
    ///
    /// # Errors
    ///
    /// As [`SemSet::get`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(!q.has_producer()?);
    /// let tx = q.producer()?;
    /// assert!(q.has_producer()?);
    /// drop(tx);
    /// assert!(!q.has_producer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn has_producer(&self) -> Result<bool> {
        during(&"Queue::has_producer", self.object(), || {
            Ok(self.sems.get(PRODUCER)? == 0)
        })
    }

    /// Whether a live process holds the consumer role.
    ///
    /// # Errors
    ///
    /// As [`SemSet::get`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = q.consumer()?;
    /// assert_eq!((q.has_producer()?, q.has_consumer()?), (false, true));
    /// # drop(rx);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn has_consumer(&self) -> Result<bool> {
        during(&"Queue::has_consumer", self.object(), || {
            Ok(self.sems.get(CONSUMER)? == 0)
        })
    }

    /// Messages in the queue, as an observer sees them (both sides may be moving).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`] if the indices are impossible.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// q.producer()?.enqueue_slice(&[1, 2, 3])?;
    /// assert_eq!(q.len()?, 3); // no role needed to look
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&self) -> Result<usize> {
        during(&"Queue::len", self.object(), || {
            self.ring()?.ctl().occupied::<MAXSZ>().map_err(corrupt)
        })
    }

    /// Whether the producer closed the queue ([`Producer::close`]): the stream has
    /// ended, although values enqueued before may still wait to be dequeued
    /// ([`len`](Self::len)). Closed is for good.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`] if the segment's `closed` word holds a value no
    /// producer writes.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue(1)?;
    /// assert!(!q.is_closed()?);
    /// tx.close()?;
    /// assert!(q.is_closed()?);
    /// assert_eq!(q.len()?, 1); // still there for the consumer
    /// assert_eq!(q.producer().unwrap_err().kind(), ErrorKind::Closed);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_closed(&self) -> Result<bool> {
        during(&"Queue::is_closed", self.object(), || {
            self.ring()?.ctl().is_closed().map_err(corrupt)
        })
    }

    /// The wake check its creator recorded: [`Barrier::Asymmetric`] (fence-free
    /// push and pop, `membarrier` before parking) or [`Barrier::Symmetric`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] if the attachment is too small (never, for a
    /// queue that opened).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::queue::{Barrier, Queue};
    /// use sysv_ipc::{Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock reports no membarrier command: its queues keep symmetric fences,
    /// // as they would on a kernel without the call.
    /// let kernel: Mock = Mock::new();
    /// let q = Queue::<u64, 8, _>::create_in(&kernel, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(q.barrier()?, Barrier::Symmetric);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn barrier(&self) -> Result<Barrier> {
        during(&"Queue::barrier", self.object(), || {
            Ok(self.ring()?.ctl().barrier())
        })
    }

    /// Whether [`len`](Self::len) is 0.
    ///
    /// # Errors
    ///
    /// As [`len`](Self::len).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(q.is_empty()?);
    /// q.producer()?.enqueue(1)?;
    /// assert!(!q.is_empty()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_empty(&self) -> Result<bool> {
        during(&"Queue::is_empty", self.object(), || {
            self.len().map(|n| n == 0)
        })
    }

    /// Usable slots: `MAXSZ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u16, 32>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(q.capacity(), 32);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn capacity(&self) -> usize {
        MAXSZ
    }

    /// The segment holding the ring.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<[u8; 12], 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // 384 bytes of header and index lines, then 8 slots: an 8-byte `seq` and
    /// // 12 bytes rounded up to 16.
    /// assert_eq!(q.segment().stat()?.size, 384 + 8 * (8 + 16));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn segment(&self) -> Segment<B>
    where
        B: Clone,
    {
        self.att.segment()
    }

    /// The semaphore set (park/wake and roles).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let sems = q.semaphores();
    /// assert_eq!(sems.stat()?.nsems, 4); // two for parking, two for the roles
    /// let _rx = q.consumer()?;
    /// assert_eq!(sems.get(3)?, 0); // the consumer role is taken
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn semaphores(&self) -> &SemSet<B> {
        &self.sems
    }

    /// The attachment of the segment, for tests and tools that inspect the bytes
    /// (the layout is documented in `include/sysv_ipc_layout.h`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[5, 6, 7])?;
    /// rx.dequeue()?;
    /// let att = q.attachment();
    /// assert_eq!(att.load_u64(128), Some(3)); // `tail`: messages ever enqueued
    /// assert_eq!(att.load_u64(256), Some(1)); // `head`: messages ever dequeued
    /// assert_eq!(att.load_u64(384), Some(3)); // slot 0's `seq`: its publish ended at 3
    /// assert_eq!(att.load_u64(384 + 16 + 8), Some(6)); // slot 1's payload
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn attachment(&self) -> &Attachment<B> {
        &self.att
    }
}

impl<T, const MAXSZ: usize, B: Backend + Clone> Removable for Queue<T, MAXSZ, B> {
    /// Removes the segment and the semaphore set (`IPC_RMID` on both); parked
    /// callers wake with [`ErrorKind::Removed`]. This process's mapping stays
    /// usable until the queue is dropped.
    fn remove(&self) -> Result<()> {
        during(&"Queue::remove", self.object(), || {
            let shm = self.att.segment().remove();
            let sem = self.sems.remove();
            shm.and(sem)
        })
    }
}

impl<T, const MAXSZ: usize, B: Backend> Handle for Queue<T, MAXSZ, B> {
    type Backend = B;

    #[inline]
    fn sems(&self) -> &SemSet<B> {
        &self.sems
    }

    #[inline]
    fn object(&self) -> Object {
        Queue::object(self)
    }
}

/// A producer's or consumer's role: its own handle on the queue, its seat, its
/// settings.
type QueueRole<T, const MAXSZ: usize, B> = Role<Queue<T, MAXSZ, B>>;

/// A value [`Producer::enqueue`] could not enqueue, and why: the crate's one
/// [`SendError`](crate::SendError) under its old name.
pub type EnqueueError<T> = crate::SendError<T>;

/// The producer role of a [`Queue`]; dropping it releases the role (and detaches
/// its own mapping). It borrows no `Queue`: see [the module docs](self#roles).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut tx = q.producer()?;
/// let mut pending = [1, 2, 3, 4, 5, 6].as_slice();
/// while !pending.is_empty() {
///     let n = tx.enqueue_slice(pending)?;
///     pending = &pending[n..];
///     if n == 0 {
///         break; // full: a real producer would wait (enqueue_blocking)
///     }
/// }
/// assert_eq!((tx.len()?, pending), (4, &[5, 6][..]));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Producer<T: ShmType, const MAXSZ: usize, B: Backend = DefaultBackend> {
    /// A view of the role's own handle's mapping, not a borrow of it (see
    /// [`Queue::ring_unbounded`]): used only while `role` is held, and declared
    /// before it so that it goes first; the handle is never handed out but by
    /// reference, so its attachment is detached only with the role, whose `Drop`
    /// releases the seat (through the pid word in that mapping) before the
    /// handle goes.
    ring: RingProducer<'static, MAXSZ, SlotOf<T>>,
    role: QueueRole<T, MAXSZ, B>,
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> fmt::Debug for Producer<T, MAXSZ, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("queue", self.role.handle())
            .field("ring", &self.ring)
            .finish()
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Producer<T, MAXSZ, B> {
    /// [`ErrorKind::WrongProcess`] unless the caller is the process that claimed the
    /// role (see the [module docs](self#roles)).
    #[inline]
    fn holder(&self) -> Result<()> {
        self.role.holder()
    }

    /// Enqueues `value` if there is room, without blocking.
    ///
    /// # Errors
    ///
    /// The value comes back in the error: [`ErrorKind::WouldBlock`] when full
    /// ([`EnqueueError::is_full`]), [`ErrorKind::Corrupt`] if the consumer's index is
    /// impossible.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue(1)?;
    /// tx.enqueue(2)?;
    /// assert!(tx.enqueue(3).unwrap_err().is_full()); // never blocks
    /// assert_eq!(rx.dequeue()?, Some(1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    // `#[inline]`: the success path is the holder check and the ring's one-message
    // push; every error is made out of line (`refused`).
    #[inline]
    pub fn enqueue(&mut self, value: T) -> Result<(), EnqueueError<T>> {
        match self.pushed(&value) {
            Some(Ok(true)) => Ok(()),
            // Full: said at once, without a second look at `head`, whose line
            // the consumer writes (a producer polling a full ring would pull it
            // away twice per poll).
            Some(Ok(false)) => self.full(value),
            Some(Err(_)) | None => self.refused(value),
        }
    }

    /// The fast path of every enqueue: the holder check (`None` if this process
    /// does not hold the role), then a one-message push.
    #[inline]
    fn pushed(&mut self, value: &T) -> Option<Result<bool, Corrupt>> {
        self.holder().ok()?;
        let mut park = self.role.wake(ITEMS);
        Some(self.ring.push_one(
            |slot| {
                store_words(slot, value.as_bytes());
            },
            &mut park,
        ))
    }

    /// [`enqueue`](Self::enqueue)'s answer for a full queue, named, with the
    /// value back.
    #[cold]
    #[inline(never)]
    fn full(&mut self, value: T) -> Result<(), EnqueueError<T>> {
        let object = self.role.handle().object();
        Err(EnqueueError::new(error(ErrorKind::WouldBlock), value)
            .during(&"Producer::enqueue", object))
    }

    /// Why [`enqueue`](Self::enqueue) did not take `value`, named: the holder check
    /// or the ring again (a full ring stays full for its producer, a corrupt one
    /// corrupt), with the value back.
    #[cold]
    #[inline(never)]
    fn refused(&mut self, value: T) -> Result<(), EnqueueError<T>> {
        let object = self.role.handle().object();
        self.push_one(value)
            .map_err(|e| e.during(&"Producer::enqueue", object))
    }

    /// [`enqueue`](Self::enqueue), its errors not yet named.
    fn push_one(&mut self, value: T) -> Result<(), EnqueueError<T>> {
        if let Err(error) = self.holder() {
            return Err(EnqueueError::new(error, value));
        }
        let mut park = self.role.wake(ITEMS);
        let r = self.ring.push(
            1,
            |_, slot| {
                store_words(slot, value.as_bytes());
            },
            &mut park,
        );
        match r {
            Ok(1) => Ok(()),
            Ok(_) => Err(EnqueueError::new(error(ErrorKind::WouldBlock), value)),
            Err(c) => Err(EnqueueError::new(corrupt(c), value)),
        }
    }

    /// The consumer's death ends a wait for room; we park on `SPACE` and wake `ITEMS`.
    fn lane(&self) -> Lane<Seat<'static>> {
        Lane {
            own: SPACE,
            wake: ITEMS,
            peer: Queue::<T, MAXSZ, B>::consumer_seat(self.ring.ctl()),
        }
    }

    #[inline]
    fn enqueue_wait(
        &mut self,
        value: T,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<(), EnqueueError<T>> {
        // First the non-blocking form's fast path: a value there (or room) is
        // taken without setting up a park, which costs on every call.
        if self.pushed(&value) == Some(Ok(true)) {
            return Ok(());
        }
        let lane = self.lane();
        let r = self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |ring, spins, park| {
                ring.push_blocking(
                    1,
                    spins,
                    |_, slot| {
                        store_words(slot, value.as_bytes());
                    },
                    park,
                )
            },
            // Room the dead consumer made before it died.
            |ring, wake, died| {
                let stored = ring.push(
                    1,
                    |_, slot| {
                        store_words(slot, value.as_bytes());
                    },
                    wake,
                );
                match stored.map_err(corrupt)? {
                    0 => Err(died),
                    n => Ok(n),
                }
            },
        );
        // Named here as well: `EnqueueError::during` names the call whatever the
        // `error-context` feature says, as `enqueue` does.
        r.map(drop).map_err(|error| {
            EnqueueError::new(error, value).during(name, self.role.handle().object())
        })
    }

    /// Enqueues `value`, waiting while the queue is full: spins, then parks on the
    /// semaphore until the consumer makes room.
    ///
    /// # Errors
    ///
    /// The value comes back in the error: [`ErrorKind::Interrupted`] (a signal, only
    /// after [`set_interruptible(true)`](Self::set_interruptible); the queue is
    /// unchanged), [`ErrorKind::Removed`]
    /// (the queue was removed), [`ErrorKind::PeerDied`] (the consumer died holding
    /// its role while the queue was full; see [`set_peer_check`](Self::set_peer_check)),
    /// [`ErrorKind::Corrupt`].
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// thread::scope(|s| {
    ///     // Ten values through two slots: the producer waits for the consumer.
    ///     s.spawn(move || (0..10).for_each(|i| tx.enqueue_blocking(i).unwrap()));
    ///     for want in 0..10 {
    ///         assert_eq!(rx.dequeue_blocking().unwrap(), want);
    ///     }
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn enqueue_blocking(&mut self, value: T) -> Result<(), EnqueueError<T>> {
        self.enqueue_wait(value, &"Producer::enqueue_blocking", None)
    }

    /// [`enqueue_blocking`](Self::enqueue_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] when the queue stayed full for `timeout`, counted
    /// from the call's first look at a full queue, its spin included. The call
    /// looks at the clock on every re-check and park (and every few spins), and
    /// each wait is for what is left of `timeout` on `CLOCK_MONOTONIC`, so the call
    /// returns about `timeout` after it started waiting, however many times it
    /// spins or parks (see the [module docs](self#blocking)).
    ///
    /// # Errors
    ///
    /// As [`enqueue_blocking`](Self::enqueue_blocking), and [`ErrorKind::TimedOut`];
    /// the clock's error if `clock_gettime` fails (never on Linux).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue_timeout(1, Duration::from_millis(10))?; // room
    /// tx.set_spins(0);
    /// let e = tx.enqueue_timeout(2, Duration::from_millis(10)).unwrap_err(); // full, nobody consumes
    /// assert_eq!((e.kind(), e.into_inner()), (ErrorKind::TimedOut, 2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn enqueue_timeout(&mut self, value: T, timeout: Duration) -> Result<(), EnqueueError<T>> {
        self.enqueue_wait(value, &"Producer::enqueue_timeout", Some(timeout))
    }

    /// Enqueues up to `max` values made in place: `make(i)` is called for
    /// `i` in `0..n`, in order, where `n` (returned) is how many there is room for,
    /// decided before the first call, so no value is made and then dropped. Each
    /// value goes straight into its slot (no caller-side slice to fill and copy
    /// from); one index store and at most one wake for the batch. Returns 0 when full.
    ///
    /// If `make` panics, nothing of this call is enqueued.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`]; `make` was not called then.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert_eq!(tx.enqueue_with(3, |i| 10 * i as u64)?, 3);
    /// assert_eq!(tx.enqueue_with(8, |_| 99)?, 1); // room for one more
    /// let mut got = Vec::new();
    /// assert_eq!(rx.dequeue_with(8, |v| got.push(v))?, 4);
    /// assert_eq!(got, [0, 10, 20, 99]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// Each value is made on the stack before it goes into its slot, so a `T`
    /// larger than [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE)
    /// (4 KiB) does not compile: fill a large one in place with
    /// [`loan`](Self::loan).
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
    ///
    /// let q = Queue::<[u64; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// q.producer()?.enqueue_with(1, |_| [0; 1024])?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn enqueue_with(&mut self, max: usize, mut make: impl FnMut(usize) -> T) -> Result<usize> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Producer::enqueue_with makes each T on the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): fill it in place with Producer::loan instead"
            )
        };
        self.role.now(
            &mut self.ring,
            &"Producer::enqueue_with",
            ITEMS,
            |ring, park| {
                ring.push(
                    max,
                    |i, slot| {
                        store_words(slot, make(i).as_bytes());
                    },
                    park,
                )
                .map_err(corrupt)
            },
        )
    }

    /// Enqueues as many of `items` as there is room for, in order, without
    /// blocking (one index store and at most one wake for the batch). Returns how
    /// many (0 when full).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`]; nothing was enqueued then.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// assert_eq!(tx.enqueue_slice(&[1, 2, 3])?, 3);
    /// assert_eq!(tx.enqueue_slice(&[4, 5, 6])?, 1); // room for one more
    /// assert_eq!(tx.enqueue_slice(&[7])?, 0); // full
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn enqueue_slice(&mut self, items: &[T]) -> Result<usize> {
        self.role.now(
            &mut self.ring,
            &"Producer::enqueue_slice",
            ITEMS,
            |ring, park| {
                ring.push(
                    items.len(),
                    |i, slot| {
                        if let Some(item) = items.get(i) {
                            store_words(slot, item.as_bytes());
                        }
                    },
                    park,
                )
                .map_err(corrupt)
            },
        )
    }

    /// Messages in the queue (re-reads the consumer's index).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`].
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2, 3])?;
    /// rx.dequeue()?;
    /// assert_eq!(tx.len()?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&mut self) -> Result<usize> {
        during(&"Producer::len", self.role.handle().object(), || {
            self.holder()?;
            self.ring.occupied().map_err(corrupt)
        })
    }

    /// Whether the queue is empty (re-reads the consumer's index).
    ///
    /// # Errors
    ///
    /// As [`len`](Self::len): [`ErrorKind::Corrupt`], or [`ErrorKind::WrongProcess`]
    /// in a process that did not claim the role.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue(1)?;
    /// assert!(!tx.is_empty()?);
    /// rx.dequeue()?;
    /// assert!(tx.is_empty()?); // everything was consumed
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_empty(&mut self) -> Result<bool> {
        during(&"Producer::is_empty", self.role.handle().object(), || {
            self.len().map(|n| n == 0)
        })
    }

    /// Whether the queue is full (re-reads the consumer's index).
    ///
    /// # Errors
    ///
    /// As [`len`](Self::len): [`ErrorKind::Corrupt`], or [`ErrorKind::WrongProcess`]
    /// in a process that did not claim the role.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue_slice(&[1, 2])?;
    /// assert!(tx.is_full()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_full(&mut self) -> Result<bool> {
        during(&"Producer::is_full", self.role.handle().object(), || {
            self.len().map(|n| n == MAXSZ)
        })
    }

    /// Usable slots: `MAXSZ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 16>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = q.producer()?;
    /// assert_eq!(tx.capacity(), 16);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn capacity(&self) -> usize {
        MAXSZ
    }

    /// Sets how many times a blocking call re-checks (with a spin hint) before it
    /// parks; 0 parks at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.set_spins(0); // park at once when full: no busy-waiting
    /// tx.enqueue(1)?;
    /// let e = tx.enqueue_timeout(2, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_spins(&mut self, spins: u32) {
        self.role.settings.spins = spins;
    }

    /// Sets how long one park of a blocking call lasts at most before the call
    /// looks whether the consumer died holding its role ([`ErrorKind::PeerDied`];
    /// see the [module docs](self#blocking)); [`DEFAULT_PEER_CHECK`] unless set.
    /// `None` parks until woken, as a call that trusts its peer to live (a dead
    /// consumer then leaves [`enqueue_blocking`](Self::enqueue_blocking) asleep
    /// until the queue is removed or a new consumer makes room). On the in-memory
    /// mock, whose timed waits run out at once in virtual time, an untimed
    /// blocking call with nobody to wake it ends in the mock's `EDEADLK` only with
    /// `None`; with a check interval it keeps checking a live peer, forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, queue::Queue};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// // On the in-memory kernel, whose processes are simulated.
    /// static KERNEL: Mock = Mock::new(); // process 1 is the caller
    /// let q = Queue::<u64, 1, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// KERNEL.fork_process(1, 2).unwrap();
    /// KERNEL.set_process(Process::root(2));
    /// std::mem::forget(q.consumer()?); // process 2 dies holding the consumer role ...
    /// KERNEL.exit_process(2); // ... and SEM_UNDO frees it
    /// KERNEL.set_process(Process::root(1));
    /// let mut tx = q.producer()?;
    /// tx.set_peer_check(Some(Duration::from_millis(10)));
    /// tx.enqueue(1)?; // full now, and nobody will consume
    /// let e = tx.enqueue_blocking(2).unwrap_err(); // after one check interval
    /// assert_eq!((e.kind(), e.into_inner()), (ErrorKind::PeerDied, 2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_peer_check(&mut self, every: Option<Duration>) {
        self.role.settings.peer_check = every;
    }

    /// Sets whether a park that a signal ends fails the blocking call with
    /// [`ErrorKind::Interrupted`] (`true`) or parks again (`false`, the default);
    /// see the [module docs](self#signals-and-stops). A program that cancels a
    /// wait from a signal handler sets it; the value comes back in the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, queue::Queue};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock interrupts a parked call as a signal (or a stop) does.
    /// static KERNEL: Mock = Mock::new();
    /// let q = Queue::<u64, 1, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.set_spins(0);
    /// tx.set_peer_check(None);
    /// tx.set_interruptible(true);
    /// tx.enqueue(1)?; // full now
    /// std::thread::scope(|s| {
    ///     let parked = s.spawn(move || tx.enqueue_blocking(2));
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     KERNEL.interrupt_waiters();
    ///     let e = parked.join().unwrap().unwrap_err();
    ///     assert_eq!((e.kind(), e.into_inner()), (ErrorKind::Interrupted, 2));
    /// });
    /// assert_eq!(rx.dequeue()?, Some(1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.role.settings.interruptible = interruptible;
    }

    /// Ends the stream and releases the role: the consumer dequeues every value
    /// enqueued before, then gets [`ErrorKind::Closed`] from every dequeue
    /// (instead of `Ok(None)`, or a wait), and a consumer parked on the empty queue
    /// is woken for it. Closed is for good: claiming the producer role of a
    /// closed queue fails with [`ErrorKind::Closed`]. Without `close`, dropping
    /// the producer releases the role for another producer, and a consumer keeps
    /// waiting; a producer that dies is reported as [`ErrorKind::PeerDied`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`): nothing is closed or released.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || {
    ///         (1..=10).for_each(|i| tx.enqueue_blocking(i).unwrap());
    ///         tx.close().unwrap(); // no end marker of our own
    ///     });
    ///     let mut sum = 0;
    ///     loop {
    ///         match rx.dequeue_blocking() {
    ///             Ok(v) => sum += v,
    ///             Err(e) if e.kind() == ErrorKind::Closed => break, // all 10, then the end
    ///             Err(e) => panic!("{e}"),
    ///         }
    ///     }
    ///     assert_eq!(sum, 55);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn close(mut self) -> Result<()> {
        self.role
            .now(&mut self.ring, &"Producer::close", ITEMS, |ring, wake| {
                ring.close(wake);
                Ok(())
            })
        // Dropping `self` releases the role (after the close: a producer that
        // claims it next reads `closed` and is refused).
    }

    /// The role's own handle on the queue (its attachment and semaphore set):
    /// what the role was claimed from, which it may outlive.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue(1)?;
    /// assert_eq!(tx.queue().len()?, 1);
    /// assert!(tx.queue().has_producer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn queue(&self) -> &Queue<T, MAXSZ, B> {
        self.role.handle()
    }
}

/// The consumer role of a [`Queue`]; dropping it releases the role (and detaches
/// its own mapping). It borrows no `Queue`: see [the module docs](self#roles).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<u32, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// q.producer()?.enqueue_slice(&[3, 1, 4, 1, 5])?;
/// let mut rx = q.consumer()?;
/// let mut batch = [0u32; 4];
/// let mut total = 0;
/// loop {
///     let n = rx.dequeue_into(&mut batch)?;
///     if n == 0 {
///         break;
///     }
///     total += batch[..n].iter().sum::<u32>();
/// }
/// assert_eq!(total, 14);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Consumer<T: ShmType, const MAXSZ: usize, B: Backend = DefaultBackend> {
    /// As [`Producer`]'s `ring`: a view of the role's own handle's mapping,
    /// declared first so that it goes before the attachment does.
    ring: RingConsumer<'static, MAXSZ, SlotOf<T>>,
    role: QueueRole<T, MAXSZ, B>,
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> fmt::Debug for Consumer<T, MAXSZ, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", self.role.handle())
            .field("ring", &self.ring)
            .finish()
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> Consumer<T, MAXSZ, B> {
    /// As [`Producer::holder`].
    #[inline]
    fn holder(&self) -> Result<()> {
        self.role.holder()
    }

    /// Dequeues the oldest value, if any, without blocking.
    ///
    /// Built for polling: when nothing is cached it looks at the next slot's
    /// `seq` word, on the cache line the value arrives on, and loads the
    /// producer's `tail` only on every 1024th miss in a row (`TAIL_POLL_EVERY`;
    /// see `src/layout/ring.rs`, "Slot sequence"). One consequence: a
    /// value committed by a producer killed between its two stores can take up
    /// to that many calls to appear here, while [`len`](Self::len),
    /// [`is_empty`](Self::is_empty), [`dequeue_into`](Self::dequeue_into) and
    /// the blocking forms (which load `tail` before they park) see it at once,
    /// and a producer claiming the role marks it. To drain a queue whose
    /// producer died, use [`dequeue_into`](Self::dequeue_into).
    ///
    /// Polling costs the producer: each empty poll reads the line the producer is
    /// about to write, which it must then take back. For latency, poll with one
    /// [`spin_loop`](core::hint::spin_loop) in between; for throughput with
    /// messages of a cache line or more, pause longer after an empty poll (or use
    /// [`dequeue_into`](Self::dequeue_into)) so that the ring fills and each side
    /// works on its own lines. Measured here with 64-byte messages: 64 pauses
    /// after an empty poll took a pair that caught up message by message from
    /// 14 to 26 M messages/s (the repository's `benches/ipc.rs`, "consumer backs
    /// off").
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`] when the queue is empty and its producer closed it
    /// ([`Producer::close`]): the stream has ended.
    /// [`ErrorKind::Corrupt`] if the producer's index is impossible.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<i32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert_eq!(rx.dequeue()?, None); // empty: never blocks
    /// tx.enqueue_slice(&[-1, -2])?;
    /// assert_eq!(rx.dequeue()?, Some(-1)); // oldest first
    /// tx.close()?;
    /// assert_eq!(rx.dequeue()?, Some(-2)); // what came before the close
    /// assert_eq!(rx.dequeue().unwrap_err().kind(), ErrorKind::Closed); // then the end
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// `T` is returned by value, so it passes through the stack: a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) (4 KiB) is refused
    /// when the program is built, here and in [`dequeue_blocking`](Self::dequeue_blocking)
    /// and [`dequeue_timeout`](Self::dequeue_timeout). Dequeue a larger one with
    /// [`dequeue_into`](Self::dequeue_into) into memory of your own:
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
    ///
    /// let q = Queue::<[u64; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = q.consumer()?.dequeue()?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    // `#[inline]`: as `Producer::enqueue`.
    #[inline]
    pub fn dequeue(&mut self) -> Result<Option<T>> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Consumer::dequeue returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use Consumer::dequeue_into(&mut [T]) instead"
            )
        };
        // The success path is the holder check and the ring's one-message pop; an
        // empty ring and every error go out of line (`dequeue_slow`).
        let mut out = T::new_zeroed();
        match self.popped(&mut out) {
            Some(Ok(true)) => Ok(Some(out)),
            // Empty, and not for good: said at once, without a second look at
            // the slot the producer writes next (a consumer polling an empty
            // ring would read its line twice per poll).
            Some(Ok(false)) if !self.ring.is_finished() => Ok(None),
            _ => self.dequeue_slow(),
        }
    }

    /// The fast path of every dequeue: the holder check (`None` if this process
    /// does not hold the role), then a one-message pop into `out`.
    #[inline]
    fn popped(&mut self, out: &mut T) -> Option<Result<bool, Corrupt>> {
        self.holder().ok()?;
        let mut park = self.role.wake(SPACE);
        Some(self.ring.pop_one(
            |slot| {
                load_words(slot, out.as_mut_bytes());
            },
            &mut park,
        ))
    }

    /// [`dequeue`](Self::dequeue) when its first look found nothing or failed:
    /// the whole call again, its errors named (a closed stream, a dead
    /// producer's end, a corrupt ring, the wrong process).
    #[cold]
    #[inline(never)]
    fn dequeue_slow(&mut self) -> Result<Option<T>> {
        self.role
            .now(&mut self.ring, &"Consumer::dequeue", SPACE, |ring, park| {
                let mut out = T::new_zeroed();
                let n = ring
                    .pop(
                        1,
                        |_, slot| {
                            load_words(slot, out.as_mut_bytes());
                        },
                        park,
                    )
                    .map_err(corrupt)?;
                if n == 1 {
                    return Ok(Some(out));
                }
                not_finished(ring)?;
                Ok(None)
            })
    }

    /// The producer's death ends a wait for a value; we park on `ITEMS` and wake
    /// `SPACE`.
    fn lane(&self) -> Lane<Seat<'static>> {
        Lane {
            own: ITEMS,
            wake: SPACE,
            peer: Queue::<T, MAXSZ, B>::producer_seat(self.ring.ctl()),
        }
    }

    #[inline]
    fn dequeue_wait(
        &mut self,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<T> {
        let mut out = T::new_zeroed();
        // First the non-blocking form's fast path: a value there (or room) is
        // taken without setting up a park, which costs on every call.
        if self.popped(&mut out) == Some(Ok(true)) {
            return Ok(out);
        }
        let lane = self.lane();
        self.role.wait(
            &mut (&mut self.ring, &mut out),
            lane,
            name,
            timeout,
            |(ring, out), spins, park| {
                ring.pop_blocking(
                    1,
                    spins,
                    |_, slot| {
                        load_words(slot, out.as_mut_bytes());
                    },
                    park,
                )
            },
            // At `tail` itself (a producer killed between its `tail` and `seq`
            // stores left a message only `tail` shows): what the dead producer
            // committed is delivered before its death is reported.
            |(ring, out), wake, died| {
                if ring.occupied().map_err(corrupt)? > 0 {
                    let popped = ring.pop(
                        1,
                        |_, slot| {
                            load_words(slot, out.as_mut_bytes());
                        },
                        wake,
                    );
                    if popped.map_err(corrupt)? == 1 {
                        return Ok(0);
                    }
                }
                // A producer that closed and then died before releasing its role
                // ended its stream: that is the answer, not its death.
                not_finished(ring)?;
                Err(died)
            },
        )?;
        Ok(out)
    }

    /// Dequeues the oldest value, waiting while the queue is empty: spins, then
    /// parks on the semaphore until the producer enqueues.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Interrupted`] (a signal, only after
    /// [`set_interruptible(true)`](Self::set_interruptible)), [`ErrorKind::Removed`]
    /// (the queue was removed),
    /// [`ErrorKind::PeerDied`] (the producer died holding its role and left nothing
    /// to dequeue; see [`set_peer_check`](Self::set_peer_check)),
    /// [`ErrorKind::Closed`] (the producer closed the queue and nothing is left:
    /// returned at once, and a parked call is woken for it),
    /// [`ErrorKind::Corrupt`].
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue(9)?;
    /// assert_eq!(rx.dequeue_blocking()?, 9); // a value is there: returns at once
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// By value like [`dequeue`](Self::dequeue): a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) does not compile.
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
    ///
    /// let q = Queue::<[u8; 4097], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = q.consumer()?.dequeue_blocking()?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn dequeue_blocking(&mut self) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Consumer::dequeue_blocking returns T by value, through the stack, and T is \
                 larger than shm::MAX_READ_BY_VALUE (4096 bytes): use \
                 Consumer::dequeue_into(&mut [T]) instead"
            )
        };
        self.dequeue_wait(&"Consumer::dequeue_blocking", None)
    }

    /// [`dequeue_blocking`](Self::dequeue_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] when the queue stayed empty for `timeout`, counted
    /// from the call's first look at an empty queue, its spin included (see
    /// [`Producer::enqueue_timeout`]).
    ///
    /// # Errors
    ///
    /// As [`dequeue_blocking`](Self::dequeue_blocking), and [`ErrorKind::TimedOut`];
    /// the clock's error if `clock_gettime` fails (never on Linux). A queue whose
    /// producer closed it fails with [`ErrorKind::Closed`] once drained, not with
    /// `TimedOut`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let e = rx.dequeue_timeout(Duration::from_millis(10)).unwrap_err(); // nothing comes
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// By value like [`dequeue`](Self::dequeue): a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) does not compile.
    ///
    /// ```compile_fail,E0080
    /// use std::time::Duration;
    /// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
    ///
    /// let q = Queue::<[u8; 4097], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = q.consumer()?.dequeue_timeout(Duration::ZERO)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn dequeue_timeout(&mut self, timeout: Duration) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Consumer::dequeue_timeout returns T by value, through the stack, and T is \
                 larger than shm::MAX_READ_BY_VALUE (4096 bytes): use \
                 Consumer::dequeue_into(&mut [T]) instead"
            )
        };
        self.dequeue_wait(&"Consumer::dequeue_timeout", Some(timeout))
    }

    /// Dequeues up to `max` values, oldest first, handing each to `take` by value
    /// as it is copied out of its slot (no caller-side slice to copy into); one
    /// index store and at most one wake for the batch. Returns how many (0 when
    /// empty).
    ///
    /// The values are released to the producer only after the last `take`: if
    /// `take` panics, every value of this call stays in the queue, and the next
    /// dequeue delivers again those `take` already saw.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`] when `max > 0`, the queue is empty and its producer
    /// closed it (the stream has ended).
    /// [`ErrorKind::Corrupt`] if the producer's index is impossible; `take` was not
    /// called then.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u32, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2, 3])?;
    /// let mut sum = 0;
    /// assert_eq!(rx.dequeue_with(2, |v| sum += v)?, 2);
    /// assert_eq!(sum, 3);
    /// assert_eq!(rx.dequeue()?, Some(3));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// Each value is handed to `take` by value, through the stack, so a `T` larger
    /// than [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) (4 KiB) does
    /// not compile: read a large one in place with [`loan`](Self::loan), or copy
    /// it out with [`dequeue_into`](Self::dequeue_into).
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
    ///
    /// let q = Queue::<[u64; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// q.consumer()?.dequeue_with(1, drop)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn dequeue_with(&mut self, max: usize, mut take: impl FnMut(T)) -> Result<usize> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Consumer::dequeue_with hands each T over by value, through the stack, and T is \
                 larger than shm::MAX_READ_BY_VALUE (4096 bytes): read it in place with \
                 Consumer::loan, or use Consumer::dequeue_into(&mut [T])"
            )
        };
        self.role.now(
            &mut self.ring,
            &"Consumer::dequeue_with",
            SPACE,
            |ring, park| {
                let n = ring
                    .pop(
                        max,
                        |_, slot| {
                            let mut v = T::new_zeroed();
                            load_words(slot, v.as_mut_bytes());
                            take(v);
                        },
                        park,
                    )
                    .map_err(corrupt)?;
                popped(ring, n, max)
            },
        )
    }

    /// Dequeues up to `out.len()` values into `out`, oldest first, without
    /// blocking (one index store and at most one wake for the batch). Returns how
    /// many (0 when empty).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`] when `out` is not empty, the queue is empty and its
    /// producer closed it (the stream has ended).
    /// [`ErrorKind::Corrupt`]; nothing was dequeued then.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2, 3, 4, 5])?;
    /// let mut out = [0u64; 3];
    /// assert_eq!(rx.dequeue_into(&mut out)?, 3);
    /// assert_eq!(out, [1, 2, 3]);
    /// assert_eq!(rx.dequeue_into(&mut out)?, 2);
    /// assert_eq!(out[..2], [4, 5]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn dequeue_into(&mut self, out: &mut [T]) -> Result<usize> {
        self.role.now(
            &mut self.ring,
            &"Consumer::dequeue_into",
            SPACE,
            |ring, park| {
                let max = out.len();
                let n = ring
                    .pop(
                        max,
                        |i, slot| {
                            if let Some(o) = out.get_mut(i) {
                                load_words(slot, o.as_mut_bytes());
                            }
                        },
                        park,
                    )
                    .map_err(corrupt)?;
                popped(ring, n, max)
            },
        )
    }

    /// Messages in the queue (re-reads the producer's index).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`].
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role (a
    /// child that inherited it through `fork`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert_eq!(rx.len()?, 0);
    /// tx.enqueue_slice(&[1, 2])?;
    /// assert_eq!(rx.len()?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&mut self) -> Result<usize> {
        during(&"Consumer::len", self.role.handle().object(), || {
            self.holder()?;
            self.ring.occupied().map_err(corrupt)
        })
    }

    /// Whether the queue is empty (re-reads the producer's index).
    ///
    /// # Errors
    ///
    /// As [`len`](Self::len): [`ErrorKind::Corrupt`], or [`ErrorKind::WrongProcess`]
    /// in a process that did not claim the role.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert!(rx.is_empty()?);
    /// tx.enqueue(1)?;
    /// assert!(!rx.is_empty()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_empty(&mut self) -> Result<bool> {
        during(&"Consumer::is_empty", self.role.handle().object(), || {
            self.len().map(|n| n == 0)
        })
    }

    /// Whether the queue is full (re-reads the producer's index).
    ///
    /// # Errors
    ///
    /// As [`len`](Self::len): [`ErrorKind::Corrupt`], or [`ErrorKind::WrongProcess`]
    /// in a process that did not claim the role.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2])?;
    /// assert!(rx.is_full()?);
    /// rx.dequeue()?;
    /// assert!(!rx.is_full()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_full(&mut self) -> Result<bool> {
        during(&"Consumer::is_full", self.role.handle().object(), || {
            self.len().map(|n| n == MAXSZ)
        })
    }

    /// Usable slots: `MAXSZ`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = q.consumer()?;
    /// assert_eq!(rx.capacity(), 4);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn capacity(&self) -> usize {
        MAXSZ
    }

    /// See [`Producer::set_spins`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// rx.set_spins(0); // a consumer that mostly waits: park at once
    /// let e = rx.dequeue_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_spins(&mut self, spins: u32) {
        self.role.settings.spins = spins;
    }

    /// See [`Producer::set_peer_check`]: how long one park lasts at most before the
    /// call looks whether the producer died holding its role.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, queue::Queue};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// static KERNEL: Mock = Mock::new(); // simulated processes; 1 is the caller
    /// let q = Queue::<u64, 4, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// KERNEL.fork_process(1, 2).unwrap();
    /// KERNEL.set_process(Process::root(2));
    /// let mut tx = q.producer()?;
    /// tx.enqueue(7)?;
    /// std::mem::forget(tx); // process 2 dies holding the producer role
    /// KERNEL.exit_process(2);
    /// KERNEL.set_process(Process::root(1));
    /// let mut rx = q.consumer()?;
    /// rx.set_peer_check(Some(Duration::from_millis(10)));
    /// assert_eq!(rx.dequeue_blocking()?, 7); // what it committed comes first
    /// assert_eq!(rx.dequeue_blocking().unwrap_err().kind(), ErrorKind::PeerDied);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_peer_check(&mut self, every: Option<Duration>) {
        self.role.settings.peer_check = every;
    }

    /// See [`Producer::set_interruptible`]: whether a park that a signal ends fails
    /// the blocking call with [`ErrorKind::Interrupted`] (`true`) or parks again
    /// (`false`, the default).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, queue::Queue};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock interrupts a parked call as a stop (or a signal) does.
    /// static KERNEL: Mock = Mock::new();
    /// let q = Queue::<u64, 1, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let (mut tx, mut rx) = q.split()?;
    /// rx.set_spins(0);
    /// rx.set_peer_check(None);
    /// std::thread::scope(|s| {
    ///     let parked = s.spawn(move || rx.dequeue_blocking());
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     KERNEL.interrupt_waiters(); // not interruptible: it parks again
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     tx.enqueue(9).unwrap();
    ///     assert_eq!(parked.join().unwrap().unwrap(), 9);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.role.settings.interruptible = interruptible;
    }

    /// The role's own handle on the queue (its attachment and semaphore set):
    /// what the role was claimed from, which it may outlive.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = q.consumer()?;
    /// assert_eq!(rx.queue().segment().id(), q.segment().id());
    /// assert!(rx.queue().has_consumer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn queue(&self) -> &Queue<T, MAXSZ, B> {
        self.role.handle()
    }
}
