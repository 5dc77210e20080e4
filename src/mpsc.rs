//! [`Mpsc<T, N>`](Mpsc): a bounded many-producer single-consumer queue of `N` values
//! of `T` in a System V shared memory segment: up to `P` producer processes (a
//! bound fixed at creation, [`MpscOptions::producers`]) send into one consumer
//! process, lock-free on the fast path.
//!
//! ```
//! use sysv_ipc::mpsc::{Mpsc, MpscOptions};
//! use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
//!
//! let opts = MpscOptions::new().producers(2);
//! let m = Mpsc::<u64, 8>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, opts)?;
//! let m = Removal::new(m);
//! let mut a = m.producer()?;
//! let mut b = m.producer()?;
//! let mut rx = m.consumer()?;
//! a.send(1).unwrap();
//! b.send(2).unwrap();
//! assert_eq!((rx.recv()?, rx.recv()?, rx.recv()?), (Some(1), Some(2), None));
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # Roles
//!
//! A producer role is one of `P` *seats*: [`Mpsc::producer`] takes a free one
//! (a `SEM_UNDO` semaphore and an entry of the segment's producer table), so the
//! kernel frees the seat of a producer process that dies. The consumer role is
//! one seat, taken by [`Mpsc::consumer`] (or, after its holder died,
//! [`Mpsc::reclaim_consumer`]) as a [`Queue`](crate::queue::Queue)'s. A role
//! belongs to the process that claimed it: calls from a forked child fail with
//! [`ErrorKind::WrongProcess`].
//!
//! # A producer killed mid-send
//!
//! A producer claims a position (a compare-exchange on the shared tail), writes
//! the value, then publishes it. Killed between the claim and the publish, it
//! leaves a claim that will never be published. The consumer waits on a claim as
//! long as a live registration could hold it; once every such registration has
//! ended (its process is dead: its seat's `SEM_UNDO` semaphore was given back by
//! the kernel) the consumer skips the position. Nothing else is lost or
//! duplicated: every value whose [`Sender::send`] returned `Ok` is delivered once.
//! A skip is *counted*, not an error: [`Receiver::abandoned`] is the total this
//! consumer (and the consumers before it on this segment) skipped, and
//! [`Receiver::take_abandoned`] the skips since its last call, so a caller that
//! wants to react as they happen asks after each receive. An error would cost
//! every caller a match arm for what is, by design, not a failure of the call.
//!
//! A consumer parked on a pending claim is woken by its claimer's death: each
//! producer process arms a `SEM_UNDO` adjustment of the consumer's semaphore
//! that the kernel applies, as a post, when the process exits. A producer
//! that died before arming it (between its seat claim and that semop) is found
//! at the consumer's next peer check ([`Receiver::set_peer_check`], 100 ms by
//! default).
//!
//! # Values of any size
//!
//! [`Sender::send`] and [`Receiver::recv`] move a `T` through the stack. For a
//! large `T` (a frame of several MiB) nothing needs to: a producer fills its
//! claimed slot in place through a [`WriteLoan`] ([`Sender::loan`],
//! [`loan_blocking`](Sender::loan_blocking)) or sends from its own memory
//! ([`Sender::send_slice`]); the consumer waits without taking
//! ([`Receiver::wait_blocking`]), then copies into its own memory
//! ([`Receiver::recv_into`]) or reads published slots in place through a
//! [`ReadLoan`] ([`Receiver::loan`]). A `WriteLoan` dropped without a commit
//! cancels its claim: the consumer skips it, and does not count it as abandoned.
//!
//! # When the producers are gone
//!
//! [`Receiver::recv_blocking`] fails with [`ErrorKind::PeerDied`] when no seat
//! is held by a live process, at least one producer died holding its seat, and
//! the ring is drained (the call takes a last look first). Producers that left
//! cleanly (dropped their [`Sender`]) do not count as dead: a new one may join at
//! any time, so their absence is only a wait. A blocked [`Sender`] fails with
//! `PeerDied` when the consumer died holding its role, as a `Queue`'s does.

use core::fmt;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::time::Duration;

use crate::error::{Object, during};
use crate::join::{self, LayoutSpec};
use crate::layout::SlotOf;
use crate::layout::header::{Kind, Shape};
use crate::layout::mpsc::{
    self as ring, ConsumerParking, ENTRY_WORDS, MAX_PRODUCERS, MpscConsumer, MpscCtl, MpscProducer,
    MpscRing,
};
use crate::layout::ring::{Corrupt, Parking, PayloadWords};
use crate::layout::{ShmType, load_words, store_words, view, words_for};
use crate::park::{Lane, Peer, PeerWake};
pub use crate::queue::Barrier;
use crate::role::{Handle, Role, Seat};
use crate::sem::{JOIN_TIMEOUT, SemOp, SemSet};
use crate::shm::{Attachment, Segment};
use crate::sync::{AtomicU64, Ordering};
use crate::{Backend, DefaultBackend, Error, ErrorKind, Intent, Key, Mode, Removable, Result};

/// The producer seats' bound when [`MpscOptions::producers`] is not given.
///
/// # Examples
///
/// ```
/// assert_eq!(sysv_ipc::mpsc::DEFAULT_PRODUCERS, 8);
/// ```
pub const DEFAULT_PRODUCERS: usize = 8;

// Semaphores of a set for `P` producers: seat `j` at `j` (1: free), then these.
/// Serialises producers' joins and leaves with the consumer's death checks.
const fn lock(p: usize) -> u16 {
    p as u16
}
/// The consumer role (1: free). `p` is at most `MAX_PRODUCERS` here; `info`'s
/// inspector, which reads `p` from a segment, checks it before.
pub(crate) const fn consumer_seat(p: usize) -> u16 {
    p as u16 + 1
}
const fn consumer_wake(p: usize) -> u16 {
    p as u16 + 2
}
const fn producer_wake(p: usize, j: usize) -> u16 {
    (p + 3 + j) as u16
}
/// Semaphores of the set for `p` producers: the seats, the lock, the consumer's
/// role and wake, and a wake per producer (`None` past `usize`).
pub(crate) const fn set_size(p: usize) -> Option<usize> {
    match p.checked_mul(2) {
        Some(n) => n.checked_add(3),
        None => None,
    }
}

fn error(kind: ErrorKind) -> Error {
    Error::new(kind)
}

fn corrupt(_: Corrupt) -> Error {
    error(ErrorKind::Corrupt)
}

/// Creation and join options of an [`Mpsc`]: the producer seats' bound, the wake
/// check, and how long a joiner waits for a creator to finish.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use sysv_ipc::mpsc::{Barrier, MpscOptions};
///
/// let o = MpscOptions::new().producers(4).barrier(Barrier::Symmetric).join_timeout(Duration::from_secs(1));
/// assert_eq!((o.get_producers(), o.get_barrier()), (4, Some(Barrier::Symmetric)));
/// assert_eq!(o.get_join_timeout(), Duration::from_secs(1));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MpscOptions {
    producers: usize,
    barrier: Option<Barrier>,
    join_timeout: Duration,
}

impl Default for MpscOptions {
    fn default() -> Self {
        MpscOptions::new()
    }
}

impl MpscOptions {
    /// [`DEFAULT_PRODUCERS`] seats, the wake check chosen at creation (as
    /// [`QueueOptions`](crate::queue::QueueOptions)), the crate's join timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::{DEFAULT_PRODUCERS, MpscOptions};
    ///
    /// assert_eq!(MpscOptions::new().get_producers(), DEFAULT_PRODUCERS);
    /// ```
    pub const fn new() -> MpscOptions {
        MpscOptions {
            producers: DEFAULT_PRODUCERS,
            barrier: None,
            join_timeout: JOIN_TIMEOUT,
        }
    }

    /// The bound of producer seats, `1..=64`; part of the layout, so a joiner
    /// must give the creator's (another is [`ErrorKind::LayoutMismatch`]).
    /// Outside `1..=64` creation and joins fail with [`ErrorKind::InvalidArgument`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::MpscOptions;
    ///
    /// assert_eq!(MpscOptions::new().producers(3).get_producers(), 3);
    /// ```
    pub const fn producers(self, producers: usize) -> MpscOptions {
        MpscOptions { producers, ..self }
    }

    /// The producer seats' bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::MpscOptions;
    ///
    /// assert_eq!(MpscOptions::new().producers(2).get_producers(), 2);
    /// ```
    pub const fn get_producers(self) -> usize {
        self.producers
    }

    /// Requires this wake check (see [`QueueOptions::barrier`](crate::queue::QueueOptions::barrier)):
    /// creation fails with [`ErrorKind::Unsupported`] if the kernel cannot give
    /// it, a join with [`ErrorKind::LayoutMismatch`] if the creator chose the other.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::{Barrier, MpscOptions};
    ///
    /// assert_eq!(MpscOptions::new().barrier(Barrier::Symmetric).get_barrier(), Some(Barrier::Symmetric));
    /// ```
    pub const fn barrier(self, barrier: Barrier) -> MpscOptions {
        MpscOptions {
            barrier: Some(barrier),
            ..self
        }
    }

    /// The required wake check, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::MpscOptions;
    ///
    /// assert_eq!(MpscOptions::new().get_barrier(), None);
    /// ```
    pub const fn get_barrier(self) -> Option<Barrier> {
        self.barrier
    }

    /// How long a joiner waits for the creator to publish the header.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::MpscOptions;
    ///
    /// let o = MpscOptions::new().join_timeout(Duration::from_millis(5));
    /// assert_eq!(o.get_join_timeout(), Duration::from_millis(5));
    /// ```
    pub const fn join_timeout(self, timeout: Duration) -> MpscOptions {
        MpscOptions {
            join_timeout: timeout,
            ..self
        }
    }

    /// The join timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::MpscOptions;
    ///
    /// assert!(!MpscOptions::new().get_join_timeout().is_zero());
    /// ```
    pub const fn get_join_timeout(self) -> Duration {
        self.join_timeout
    }
}

/// A handle on a many-producer single-consumer queue: `N` slots (a power of two)
/// of `T`, up to `P` producer processes, one consumer. See the
/// [module docs](self).
///
/// # Examples
///
/// ```
/// use sysv_ipc::mpsc::Mpsc;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// assert_eq!((m.capacity(), m.producers()), (4, 8));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Mpsc<T, const N: usize, B: Backend = DefaultBackend> {
    att: Attachment<B>,
    sems: SemSet<B>,
    producers: usize,
    _type: PhantomData<fn() -> T>,
}

impl<T, const N: usize, B: Backend> fmt::Debug for Mpsc<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mpsc")
            .field("capacity", &N)
            .field("producers", &self.producers)
            .field("segment", &self.att.segment_id())
            .field("semaphores", &self.sems.id())
            .finish()
    }
}

impl<T: ShmType, const N: usize> Mpsc<T, N> {
    /// [`create_in`](Self::create_in) on the default backend.
    ///
    /// # Errors
    ///
    /// As `create_in`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(m.capacity(), 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        Self::create_in(DefaultBackend::default(), key, intent, mode)
    }

    /// [`open_in`](Self::open_in) on the default backend.
    ///
    /// # Errors
    ///
    /// As `open_in`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let key = Key::new(0x6d70_0001);
    /// # let _ = Mpsc::<u64, 4>::open(key).map(|m| sysv_ipc::Removable::remove(&m));
    /// let m = Removal::new(Mpsc::<u64, 4>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(Mpsc::<u64, 4>::open(key)?.capacity(), 4);
    /// // The wrong kind, type or capacity is refused.
    /// assert_eq!(Queue::<u64, 4>::open(key).unwrap_err().kind(), ErrorKind::LayoutMismatch);
    /// assert_eq!(Mpsc::<u32, 4>::open(key).unwrap_err().kind(), ErrorKind::LayoutMismatch);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open(key: Key) -> Result<Self> {
        Self::open_in(DefaultBackend::default(), key)
    }
}

impl<T: ShmType, const N: usize, B: Backend> Mpsc<T, N, B> {
    /// The number of slots, `N`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(sysv_ipc::mpsc::Mpsc::<u8, 16>::CAPACITY, 16);
    /// ```
    pub const CAPACITY: usize = N;

    const SLOT_WORDS: usize = {
        assert!(
            size_of::<T>() > 0,
            "an Mpsc of zero-sized values carries nothing"
        );
        assert!(N.is_power_of_two(), "N must be a power of two");
        words_for(size_of::<T>())
    };

    fn size(producers: usize) -> Option<usize> {
        ring::layout_size(N, producers, Self::SLOT_WORDS)
    }

    fn shape(producers: usize, size: usize) -> Shape {
        Shape::of::<T>(Kind::Mpsc, N, ring::slots_offset(producers), size)
    }

    /// Creates (or, per `intent`, opens) the queue with [`DEFAULT_PRODUCERS`]
    /// seats under `key`: [`create_with`](Self::create_with) with default options.
    ///
    /// # Errors
    ///
    /// As `create_with`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u16, 8, _>::create_in(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(m.registered()?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Mpsc::create_in", Object::Key(key), || {
            Self::create_full(backend, key, intent, mode, MpscOptions::new())
        })
    }

    /// Opens an existing queue made with [`DEFAULT_PRODUCERS`] seats (for another
    /// bound, [`create_with`](Self::create_with) with [`Intent::Open`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`]; [`ErrorKind::LayoutMismatch`] for another kind
    /// (a `Queue`), `T`, `N` or producer bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Key};
    ///
    /// let e = Mpsc::<u64, 4, _>::open_in(DefaultBackend::default(), Key::new(0x6d70_0fff)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    pub fn open_in(backend: B, key: Key) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Mpsc::open_in", Object::Key(key), || {
            Self::create_full(
                backend,
                key,
                Intent::Open,
                Mode::default(),
                MpscOptions::new(),
            )
        })
    }

    /// Creates or opens the queue with `options`: the header handshake of every
    /// kind (the creator initialises and publishes; a joiner waits up to the join
    /// timeout and checks kind, type fingerprint, `N` and the producer bound).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for a producer bound outside `1..=64`;
    /// [`ErrorKind::LayoutMismatch`] for a segment of another layout;
    /// [`ErrorKind::Unsupported`] for a required asymmetric barrier the kernel
    /// cannot give; the segment's and semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::{Mpsc, MpscOptions};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x6d70_0002);
    /// # let _ = Mpsc::<u64, 4>::open(key).map(|m| sysv_ipc::Removable::remove(&m));
    /// let b = DefaultBackend::default();
    /// let m = Removal::new(Mpsc::<u64, 4, _>::create_with(b, key, Intent::CreateNew, Mode::OWNER_RW, MpscOptions::new().producers(3))?);
    /// assert_eq!(m.producers(), 3);
    /// let other = Mpsc::<u64, 4, _>::create_with(b, key, Intent::Open, Mode::OWNER_RW, MpscOptions::new().producers(4));
    /// assert_eq!(other.unwrap_err().kind(), ErrorKind::LayoutMismatch);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create_with(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: MpscOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Mpsc::create_with", Object::Key(key), || {
            Self::create_full(backend, key, intent, mode, options)
        })
    }

    fn create_full(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: MpscOptions,
    ) -> Result<Self>
    where
        B: Clone,
    {
        let p = options.producers;
        if p == 0 || p > MAX_PRODUCERS {
            return Err(error(ErrorKind::InvalidArgument));
        }
        let size = Self::size(p).ok_or_else(|| error(ErrorKind::InvalidArgument))?;
        let required = options.barrier;
        if required == Some(Barrier::Asymmetric)
            && crate::role::choose_barrier(&backend) != Barrier::Asymmetric
        {
            return Err(error(ErrorKind::Unsupported));
        }
        // Seats and the lock start free (1), the wake semaphores empty (0).
        let mut values = [0u16; 2 * MAX_PRODUCERS + 3];
        for v in values.iter_mut().take(p + 2) {
            *v = 1;
        }
        let spec = LayoutSpec {
            shape: Self::shape(p, size),
            size,
            sem_values: set_size(p).and_then(|n| values.get(..n)).unwrap_or(&[]),
        };
        // The creator's whole initialisation: control words, table, each slot
        // free for its first position (`MpscRing::init`).
        let init = |att: &Attachment<B>, _: &MpscCtl, backend: &B| {
            let barrier = required.unwrap_or_else(|| crate::role::choose_barrier(backend));
            if let Some(r) = Self::ring_in(att, p) {
                r.init(barrier);
            }
        };
        let timeout = options.join_timeout;
        let (att, sems) =
            join::create_or_join_whole(backend, key, intent, mode, &spec, init, timeout)?;
        let m = Mpsc {
            att,
            sems,
            producers: p,
            _type: PhantomData,
        };
        if let Some(wanted) = required
            && let recorded = m.barrier()?
            && recorded != wanted
        {
            let code = |b: Barrier| u64::from(b == Barrier::Asymmetric);
            return Err(error(ErrorKind::LayoutMismatch).with_field(
                &"barrier",
                code(recorded),
                code(wanted),
            ));
        }
        Ok(m)
    }

    fn ring_in(att: &Attachment<B>, p: usize) -> Option<MpscRing<'_, N>> {
        let (ctl, data) = view::<B, MpscCtl>(
            att,
            ring::TABLE_OFFSET,
            MpscRing::<N>::words(p, Self::SLOT_WORDS),
        )?;
        MpscRing::new(ctl, data, p, Self::SLOT_WORDS)
    }

    fn too_small(&self) -> Error {
        let want = Self::size(self.producers).unwrap_or(usize::MAX);
        error(ErrorKind::LayoutMismatch).with_field(&"size", self.att.len() as u64, want as u64)
    }

    fn ring(&self) -> Result<MpscRing<'_, N>> {
        Self::ring_in(&self.att, self.producers).ok_or_else(|| self.too_small())
    }

    // A role's ring and the attachment it views move together, which no borrow
    // can say (as `Queue::ring_unbounded`).
    #[allow(unsafe_code)]
    unsafe fn ring_unbounded<'m>(&self) -> Result<(MpscRing<'m, N, SlotOf<T>>, &'m [AtomicU64])> {
        let (ctl, data) = view::<B, MpscCtl>(
            &self.att,
            ring::TABLE_OFFSET,
            MpscRing::<N>::words(self.producers, Self::SLOT_WORDS),
        )
        .ok_or_else(|| self.too_small())?;
        // SAFETY: both point into the segment's mapping, not into `self`, and the
        // caller uses them only before its `shmdt` (this fn's contract, which is
        // `role::unbounded`'s).
        let (ctl, data): (&'m MpscCtl, &'m [AtomicU64]) =
            unsafe { crate::role::unbounded(ctl, data) };
        let r = MpscRing::with_words(ctl, data, self.producers, Self::SLOT_WORDS)
            .ok_or_else(|| self.too_small())?;
        Ok((r, data))
    }

    fn own_handle(&self) -> Result<Self>
    where
        B: Clone,
    {
        Ok(Mpsc {
            att: self.att.segment().attach()?,
            sems: SemSet::from_id(self.sems.backend().clone(), self.sems.id()),
            producers: self.producers,
            _type: PhantomData,
        })
    }

    fn object(&self) -> Object {
        Object::Segment(self.att.segment_id())
    }

    /// The number of slots, `N`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 32>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(m.capacity(), 32);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The bound of producer seats, `P`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 32>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(m.producers(), sysv_ipc::mpsc::DEFAULT_PRODUCERS);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn producers(&self) -> usize {
        self.producers
    }

    /// Producer table entries registered now, alive or not (a producer that died
    /// stays registered until a joining producer or the consumer finds it dead).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] for a segment too small (never after a join).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let tx = m.producer()?;
    /// assert_eq!((m.registered()?, m.alive()?), (1, 1));
    /// drop(tx);
    /// assert_eq!((m.registered()?, m.alive()?), (0, 0));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn registered(&self) -> Result<usize> {
        let r = self.ring()?;
        Ok((0..self.producers)
            .filter(|&j| r.registration(j).is_some())
            .count())
    }

    /// Producer seats held by a live process (the kernel's count: a dead
    /// holder's `SEM_UNDO` is undone).
    ///
    /// # Errors
    ///
    /// The semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (_a, _b) = (m.producer()?, m.producer()?);
    /// assert_eq!(m.alive()?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn alive(&self) -> Result<usize> {
        let mut n = 0;
        for j in 0..self.producers {
            if self.sems.get(j as u16)? == 0 {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Whether a live process holds the consumer role.
    ///
    /// # Errors
    ///
    /// The semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = m.consumer()?;
    /// assert!(m.has_consumer()?);
    /// drop(rx);
    /// assert!(!m.has_consumer()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn has_consumer(&self) -> Result<bool> {
        Ok(self.sems.get(consumer_seat(self.producers))? == 0)
    }

    /// Claims skipped as abandoned over the queue's life (every consumer's).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] for a segment too small (never after a join).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(m.abandoned()?, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn abandoned(&self) -> Result<u64> {
        Ok(self.ring()?.ctl().abandoned())
    }

    /// The wake check recorded at creation.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] for a segment too small (never after a join).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::{Barrier, Mpsc, MpscOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = MpscOptions::new().barrier(Barrier::Symmetric);
    /// let m = Removal::new(Mpsc::<u8, 4, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// assert_eq!(m.barrier()?, Barrier::Symmetric);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn barrier(&self) -> Result<Barrier> {
        Ok(self.ring()?.ctl().barrier())
    }

    /// The segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(m.segment().id() >= 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn segment(&self) -> Segment<B>
    where
        B: Clone,
    {
        self.att.segment()
    }

    /// The semaphore set: seat `j` of producers at `j`, then the join lock, the
    /// consumer's seat, its wake semaphore and each producer's.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::{Mpsc, MpscOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = MpscOptions::new().producers(2);
    /// let m = Removal::new(Mpsc::<u8, 4, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// assert_eq!(m.semaphores().stat()?.nsems, 2 * 2 + 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn semaphores(&self) -> &SemSet<B> {
        &self.sems
    }

    /// Claims a free producer seat and registers in the segment's producer table
    /// (first ending the registrations of producers found dead). The producer
    /// owns its own attachment and borrows nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`] when live processes hold all `P` seats;
    /// [`ErrorKind::Corrupt`]; the semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::{Mpsc, MpscOptions};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let o = MpscOptions::new().producers(1);
    /// let m = Removal::new(Mpsc::<u8, 4, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let tx = m.producer()?;
    /// assert_eq!(m.producer().unwrap_err().kind(), ErrorKind::RoleTaken);
    /// drop(tx);
    /// assert!(m.producer().is_ok());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[allow(unsafe_code)] // ring_unbounded
    pub fn producer(&self) -> Result<Sender<T, N, B>>
    where
        B: Clone,
    {
        during(&"Mpsc::producer", self.object(), || {
            let handle = self.own_handle()?;
            // SAFETY: the ring goes into the sender beside `handle` (inside its
            // role), which it is a view of, and is used only while it is held.
            let (r, data) = unsafe { handle.ring_unbounded()? };
            let p = handle.producers;
            let sems = &self.sems;
            let _lock = JoinLock::take(sems, p, true)?;
            for j in 0..p {
                if let Some(reg) = r.registration(j)
                    && sems.get(j as u16)? != 0
                {
                    // Registered, its seat free, and no join or leave under way
                    // (we hold the lock): its holder died.
                    r.reclaim(j, reg);
                }
            }
            let pid = u64::try_from(sems.backend().getpid_cached()).unwrap_or(0);
            let mut wake = PeerWake::new(sems, consumer_wake(p));
            let Some(rp) = MpscProducer::register(r, pid, &mut wake) else {
                return Err(error(ErrorKind::RoleTaken));
            };
            let j = rp.index();
            let pid_word = data
                .get(j * ENTRY_WORDS + 2)
                .ok_or_else(|| error(ErrorKind::Corrupt))?;
            let seat = Seat {
                sem: j as u16,
                pid: pid_word,
            };
            let role = match Role::claim(handle, seat, true) {
                Ok(role) => role,
                Err(e) => {
                    rp.leave(&mut wake);
                    return Err(e);
                }
            };
            if let Err(e) = role.register_for(r.ctl().barrier()) {
                rp.leave(&mut wake);
                drop(role);
                return Err(e);
            }
            let consumer = Seat {
                sem: consumer_seat(p),
                pid: &r.ctl().consumer_pid,
            };
            // Should this process die, its exit posts the consumer's semaphore,
            // waking a consumer parked on one of its claims at once (rather than
            // at its next peer check): a net-zero semop whose `SEM_UNDO`
            // adjustment is +1 there. Atomic, so a parked consumer sees no change
            // now. Without it (an error) the peer check still finds the death.
            let death_wake = sems
                .op(&[
                    SemOp::post(consumer_wake(p)).nowait(),
                    SemOp::wait(consumer_wake(p)).undo().nowait(),
                ])
                .is_ok();
            Ok(Sender {
                ring: ManuallyDrop::new(rp),
                death_wake,
                lane: Lane {
                    own: producer_wake(p, j),
                    wake: consumer_wake(p),
                    peer: consumer,
                },
                role: ManuallyDrop::new(role),
            })
        })
    }

    /// Claims the consumer role, refused if its last holder died without releasing
    /// it ([`reclaim_consumer`](Self::reclaim_consumer) takes it then).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RoleTaken`], [`ErrorKind::RoleAbandoned`],
    /// [`ErrorKind::Corrupt`]; the semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let rx = m.consumer()?;
    /// assert_eq!(m.consumer().unwrap_err().kind(), ErrorKind::RoleTaken);
    /// # drop(rx);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn consumer(&self) -> Result<Receiver<T, N, B>>
    where
        B: Clone,
    {
        during(&"Mpsc::consumer", self.object(), || {
            self.consumer_with(false)
        })
    }

    /// Claims the consumer role, also when its last holder died holding it: the new
    /// consumer continues where that one stopped.
    ///
    /// # Errors
    ///
    /// As [`consumer`](Self::consumer), without `RoleAbandoned`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u8, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(m.reclaim_consumer().is_ok());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn reclaim_consumer(&self) -> Result<Receiver<T, N, B>>
    where
        B: Clone,
    {
        during(&"Mpsc::reclaim_consumer", self.object(), || {
            self.consumer_with(true)
        })
    }

    #[allow(unsafe_code)] // ring_unbounded
    fn consumer_with(&self, reclaim: bool) -> Result<Receiver<T, N, B>>
    where
        B: Clone,
    {
        let handle = self.own_handle()?;
        // SAFETY: as in `producer`: the ring lives beside its handle in the role.
        let (r, data) = unsafe { handle.ring_unbounded()? };
        let p = handle.producers;
        let seat = Seat {
            sem: consumer_seat(p),
            pid: &r.ctl().consumer_pid,
        };
        let role = Role::claim(handle, seat, reclaim)?;
        let c = MpscConsumer::new(r).map_err(corrupt)?;
        role.register_for(r.ctl().barrier())?;
        let seen = c.abandoned();
        Ok(Receiver {
            ring: c,
            view: r,
            table: data,
            seen,
            role,
        })
    }
}

impl<T, const N: usize, B: Backend + Clone> Removable for Mpsc<T, N, B> {
    fn remove(&self) -> Result<()> {
        during(
            &"Mpsc::remove",
            Object::Segment(self.att.segment_id()),
            || {
                let shm = self.att.segment().remove();
                let sem = self.sems.remove();
                shm.and(sem)
            },
        )
    }
}

impl<T, const N: usize, B: Backend> Handle for Mpsc<T, N, B> {
    type Backend = B;

    #[inline]
    fn sems(&self) -> &SemSet<B> {
        &self.sems
    }

    #[inline]
    fn object(&self) -> Object {
        Object::Segment(self.att.segment_id())
    }
}

/// The join lock: producers' joins and leaves, and the consumer's decision that a
/// registration whose seat is free is dead, exclude each other. Released (and,
/// if its holder dies, undone by the kernel) with `SEM_UNDO`.
struct JoinLock<'s, B: Backend> {
    sems: &'s SemSet<B>,
    sem: u16,
}

impl<'s, B: Backend> JoinLock<'s, B> {
    /// Takes the lock, waiting for it (`wait`) or not (`None` if it is held).
    fn take(sems: &'s SemSet<B>, p: usize, wait: bool) -> Result<Self> {
        let op = SemOp::wait(lock(p)).undo();
        let op = if wait { op } else { op.nowait() };
        sems.op(&[op])?;
        Ok(JoinLock { sems, sem: lock(p) })
    }
}

impl<B: Backend> Drop for JoinLock<'_, B> {
    fn drop(&mut self) {
        let _ = self.sems.op(&[SemOp::post(self.sem).undo()]);
    }
}

pub use crate::SendError;

mod arm;
mod loan;
pub use loan::{ReadLoan, WriteLoan};

type MpscRole<T, const N: usize, B> = Role<Mpsc<T, N, B>>;

/// A producer of an [`Mpsc`], on one of its `P` seats; dropping it leaves the
/// producer table and frees the seat. Everything it sent stays in the queue.
///
/// # Examples
///
/// ```
/// use sysv_ipc::mpsc::Mpsc;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut tx = m.producer()?;
/// tx.send(5).unwrap();
/// drop(tx);
/// assert_eq!(m.consumer()?.recv()?, Some(5));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Sender<T: ShmType, const N: usize, B: Backend = DefaultBackend> {
    /// A view of the role's handle's mapping (see [`Mpsc::ring_unbounded`]),
    /// taken out and left (under the join lock) before the role goes.
    ring: ManuallyDrop<MpscProducer<'static, N, SlotOf<T>>>,
    /// Whether this process's exit posts the consumer's semaphore (the
    /// `SEM_UNDO` adjustment [`Mpsc::producer`] made), to take back on leaving.
    death_wake: bool,
    lane: Lane<Seat<'static>>,
    role: ManuallyDrop<MpscRole<T, N, B>>,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for Sender<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("seat", &self.ring.index())
            .finish_non_exhaustive()
    }
}

impl<T: ShmType, const N: usize, B: Backend> Sender<T, N, B> {
    /// This producer's seat, `0..P`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (a, b) = (m.producer()?, m.producer()?);
    /// assert_eq!((a.seat(), b.seat()), (0, 1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn seat(&self) -> usize {
        self.ring.index()
    }

    /// Sends `value` without blocking.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when full; [`ErrorKind::WrongProcess`] in a
    /// forked child; [`ErrorKind::Corrupt`]. The value comes back in the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// assert!(tx.send(1).is_ok() && tx.send(2).is_ok());
    /// assert!(tx.send(3).unwrap_err().is_full());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    // `#[inline]`: the success path is the holder check and the one-message
    // push; a full ring and every error go out of line (`refused`).
    #[inline]
    pub fn send(&mut self, value: T) -> Result<(), SendError<T>> {
        if self.pushed(&value) {
            return Ok(());
        }
        self.refused(value)
    }

    /// The fast path of every send: the holder check and a one-message push.
    /// `false` when it sent nothing (full, corrupt, the wrong process): the
    /// caller's slower path says why, or waits.
    #[inline]
    fn pushed(&mut self, value: &T) -> bool {
        if self.role.holder().is_err() {
            return false;
        }
        let mut wake = self.role.wake(self.lane.wake);
        let pushed = self.ring.push(
            |slot| {
                store_words(slot, value.as_bytes());
            },
            &mut wake,
        );
        pushed == Ok(true)
    }

    /// Why [`send`](Self::send) did not take `value`, named: the whole call again
    /// (a full ring stays full for this producer until the consumer frees a slot,
    /// then the value is sent; a corrupt one stays corrupt), with the value back.
    #[cold]
    #[inline(never)]
    fn refused(&mut self, value: T) -> Result<(), SendError<T>> {
        let r = self.role.now(
            &mut *self.ring,
            &"Sender::send",
            self.lane.wake,
            |rp, wake| match rp.push(
                |slot| {
                    store_words(slot, value.as_bytes());
                },
                wake,
            ) {
                Ok(true) => Ok(()),
                Ok(false) => Err(error(ErrorKind::WouldBlock)),
                Err(c) => Err(corrupt(c)),
            },
        );
        r.map_err(|error| SendError::new(error, value))
    }

    /// Sends `value`, spinning and then parking while the queue is full; woken by
    /// the consumer.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`] when the consumer died holding its role;
    /// [`ErrorKind::WrongProcess`]; [`ErrorKind::Corrupt`]; the semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// tx.send_blocking(1).unwrap();
    /// assert_eq!(m.consumer()?.recv()?, Some(1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_blocking(&mut self, value: T) -> Result<(), SendError<T>> {
        self.send_wait(value, &"Sender::send_blocking", None)
    }

    /// [`send_blocking`](Self::send_blocking) for at most `timeout`.
    ///
    /// # Errors
    ///
    /// As `send_blocking`, and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// tx.send(1).unwrap();
    /// let e = tx.send_timeout(2, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!((e.kind(), e.into_inner()), (ErrorKind::TimedOut, 2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_timeout(&mut self, value: T, timeout: Duration) -> Result<(), SendError<T>> {
        self.send_wait(value, &"Sender::send_timeout", Some(timeout))
    }

    fn send_wait(
        &mut self,
        value: T,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<(), SendError<T>> {
        // First the non-blocking form's fast path: a value there (or room) is
        // taken without setting up a park, which costs on every call.
        if self.pushed(&value) {
            return Ok(());
        }
        let r = self.role.wait(
            &mut *self.ring,
            self.lane,
            name,
            timeout,
            |rp, spins, park| {
                rp.push_blocking(
                    spins,
                    |slot| {
                        store_words(slot, value.as_bytes());
                    },
                    park,
                )
            },
            |rp, wake, died| match rp.push(
                |slot| {
                    store_words(slot, value.as_bytes());
                },
                wake,
            ) {
                Ok(true) => Ok(()),
                Ok(false) => Err(died),
                Err(c) => Err(corrupt(c)),
            },
        );
        r.map_err(|error| SendError::new(error, value))
    }

    /// Sends as many of `items` as there is room for, in order, without
    /// blocking, each straight from the caller's memory into its slot (no `T`
    /// passes through the stack, whatever its size); returns how many (0 when
    /// full). Each value is its own claim and publish, so another producer's
    /// values may land between them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a forked child; [`ErrorKind::Corrupt`] when
    /// the first claim finds the ring impossible (a corrupt ring found after some
    /// values were sent ends the batch: the count of those is returned, and the
    /// next call reports it).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// assert_eq!(tx.send_slice(&[1, 2, 3])?, 3);
    /// assert_eq!(tx.send_slice(&[4, 5, 6])?, 1); // room for one more
    /// assert_eq!(tx.send_slice(&[7])?, 0); // full
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_slice(&mut self, items: &[T]) -> Result<usize> {
        self.role.now(
            &mut *self.ring,
            &"Sender::send_slice",
            self.lane.wake,
            |rp, wake| {
                let mut sent = 0;
                for item in items {
                    match rp.push(
                        |slot| {
                            store_words(slot, item.as_bytes());
                        },
                        wake,
                    ) {
                        Ok(true) => sent += 1,
                        Ok(false) => break,
                        Err(c) if sent == 0 => return Err(corrupt(c)),
                        // What was sent is reported; the next call meets the
                        // corruption again and fails.
                        Err(_) => break,
                    }
                }
                Ok(sent)
            },
        )
    }

    /// Claims the next position and never publishes it: what a producer killed
    /// between its claim and its publish leaves behind (false: full, nothing
    /// claimed). A test hook, behind the unsupported `test-hooks` feature.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`]; [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// assert!(tx.claim_and_stall()?);
    /// assert_eq!(rx.recv()?, None); // a live claimer is waited for
    /// drop(tx); // a clean leave cancels the claim
    /// assert_eq!((rx.recv()?, rx.abandoned()), (None, 0));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn claim_and_stall(&mut self) -> Result<bool> {
        self.role.holder()?;
        self.ring.reserve().map_err(corrupt)
    }

    /// Sets how many times a blocking send spins before it parks.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// tx.set_spins(0);
    /// tx.send_blocking(1).unwrap();
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_spins(&mut self, spins: u32) {
        self.role.settings.spins = spins;
    }

    /// Sets how often a parked send checks whether the consumer died (`None`:
    /// never; it then waits for a wake or its timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// tx.set_peer_check(Some(Duration::from_millis(10)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_peer_check(&mut self, every: Option<Duration>) {
        self.role.settings.peer_check = every;
    }
    /// Sets whether a park that a signal ends fails the blocking call with
    /// [`ErrorKind::Interrupted`] (`true`) or parks again (`false`, the default),
    /// as [`Producer::set_interruptible`](crate::queue::Producer::set_interruptible)
    /// does for a queue: a program that cancels a wait from a signal handler sets it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock interrupts a parked call as a signal (or a stop) does.
    /// static KERNEL: Mock = Mock::new();
    /// let m = Mpsc::<u64, 2, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _rx = m.consumer()?; // alive, and never receives
    /// let mut tx = m.producer()?;
    /// tx.set_spins(0);
    /// tx.set_peer_check(None);
    /// tx.set_interruptible(true);
    /// tx.send(1)?;
    /// tx.send(2)?; // full now
    /// std::thread::scope(|s| {
    ///     let parked = s.spawn(move || tx.send_blocking(3));
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     KERNEL.interrupt_waiters();
    ///     assert_eq!(parked.join().unwrap().unwrap_err().kind(), ErrorKind::Interrupted);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.role.settings.interruptible = interruptible;
    }
}

impl<T: ShmType, const N: usize, B: Backend> Drop for Sender<T, N, B> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: taken once, here; the ring is not used again.
        let rp = unsafe { ManuallyDrop::take(&mut self.ring) };
        // SAFETY: as above; the role goes after the ring it is a view of.
        let mut role = unsafe { ManuallyDrop::take(&mut self.role) };
        if role.holder().is_ok() {
            // Leave, then free the seat, both under the join lock: no joiner or
            // consumer sees this registration with its seat free and takes it
            // for dead meanwhile.
            let p = role.handle().producers;
            let death_wake = self.death_wake;
            role.release_under(lock(p), |h| {
                rp.leave(&mut PeerWake::new(&h.sems, consumer_wake(p)));
                if death_wake {
                    // Takes the adjustment back, again net zero: a clean
                    // leave wakes nobody, at exit or now.
                    let _ = h.sems.op(&[
                        SemOp::post(consumer_wake(p)).undo().nowait(),
                        SemOp::wait(consumer_wake(p)).nowait(),
                    ]);
                }
            });
        }
        // A forked child leaves the parent's registration and seat alone.
        drop(role);
    }
}

/// The consumer of an [`Mpsc`]; dropping it releases the role.
///
/// # Examples
///
/// ```
/// use sysv_ipc::mpsc::Mpsc;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut tx = m.producer()?;
/// let mut rx = m.consumer()?;
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// let mut got = Vec::new();
/// assert_eq!(rx.recv_with(8, |v| got.push(v))?, 2);
/// assert_eq!(got, [1, 2]);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Receiver<T: ShmType, const N: usize, B: Backend = DefaultBackend> {
    /// Views of the role's handle's mapping (see [`Mpsc::ring_unbounded`]),
    /// declared before the role so that they go first.
    ring: MpscConsumer<'static, N, SlotOf<T>>,
    view: MpscRing<'static, N, SlotOf<T>>,
    table: &'static [AtomicU64],
    /// Skips already handed to the caller by `take_abandoned`.
    seen: u64,
    role: MpscRole<T, N, B>,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for Receiver<T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("abandoned", &self.ring.abandoned())
            .finish_non_exhaustive()
    }
}

/// The consumer's parking: the machinery's (`SemPark` or `PeerWake`), plus the
/// producers.
struct Env<'e, Q, B: Backend, const N: usize, W: PayloadWords> {
    inner: &'e mut Q,
    sems: &'e SemSet<B>,
    view: MpscRing<'static, N, W>,
    p: usize,
}

impl<Q: Parking, B: Backend, const N: usize, W: PayloadWords> Parking for Env<'_, Q, B, N, W> {
    type Error = Q::Error;
    fn park(&mut self) -> Result<(), Q::Error> {
        self.inner.park()
    }
    fn unpark_peer(&mut self) {
        self.inner.unpark_peer();
    }
    fn wake_word(&mut self, word: &core::sync::atomic::AtomicU64) {
        self.inner.wake_word(word);
    }
    fn heavy_barrier(&mut self) -> Result<(), Q::Error> {
        self.inner.heavy_barrier()
    }
    fn absorb_wake(&mut self) {
        self.inner.absorb_wake();
    }
    fn check_deadline(&mut self) -> Result<(), Q::Error> {
        self.inner.check_deadline()
    }
}

impl<Q: Parking, B: Backend, const N: usize, W: PayloadWords> ConsumerParking
    for Env<'_, Q, B, N, W>
{
    fn is_alive(&mut self, producer: usize, registration: u64) -> bool {
        let (view, sems) = (self.view, self.sems);
        if view.registration(producer) != Some(registration) {
            return false;
        }
        let seat = producer as u16;
        match sems.get(seat) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
        // The seat is free: its holder died, or a join or leave is under way.
        // Decide under the lock; if it is held, ask again at the next look.
        let Ok(_lock) = JoinLock::take(sems, self.p, false) else {
            return true;
        };
        if view.registration(producer) != Some(registration) {
            return false;
        }
        if !matches!(sems.get(seat), Ok(v) if v != 0) {
            return true;
        }
        view.reclaim(producer, registration);
        false
    }
    fn unpark_producer(&mut self, producer: usize) {
        let _ = self
            .sems
            .op(&[SemOp::post(producer_wake(self.p, producer))]);
    }
}

/// The consumer's peer: the producers, dead when no seat is held by a live
/// process and at least one producer died holding its seat (its pid word is
/// still set: a clean leave clears it).
#[derive(Clone, Copy)]
struct ProducersGone {
    p: usize,
    table: &'static [AtomicU64],
}

impl Peer for ProducersGone {
    fn died<B: Backend>(&self, sems: &SemSet<B>) -> Result<bool> {
        let held = |sems: &SemSet<B>| -> Result<bool> {
            for j in 0..self.p {
                if sems.get(j as u16)? == 0 {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        if held(sems)? {
            return Ok(false);
        }
        // Every seat free. A producer joining right now has its pid in the table
        // and its seat not yet claimed, both under the join lock: decide under
        // it too (if it is held, a join or leave is under way: not now).
        let Ok(_lock) = JoinLock::take(sems, self.p, false) else {
            return Ok(false);
        };
        if held(sems)? {
            return Ok(false);
        }
        // Relaxed: markers; the seats are the truth.
        Ok((0..self.p).any(|j| {
            self.table
                .get(j * ENTRY_WORDS + 2)
                .is_some_and(|pid| pid.load(Ordering::Relaxed) != 0)
        }))
    }
}

impl<T: ShmType, const N: usize, B: Backend> Receiver<T, N, B> {
    fn p(&self) -> usize {
        self.role.handle().producers
    }

    /// Receives the next value without blocking; `None` when there is none (empty,
    /// or the next position is claimed by a producer still writing it). Skips
    /// abandoned claims on the way ([`abandoned`](Self::abandoned)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a forked child; [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// assert_eq!(rx.recv()?, None);
    /// m.producer()?.send(3).unwrap();
    /// assert_eq!(rx.recv()?, Some(3));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// `T` is returned by value, so it passes through the stack: a `T` larger than
    /// [`shm::MAX_READ_BY_VALUE`](crate::shm::MAX_READ_BY_VALUE) (4 KiB) is refused
    /// when the program is built, here and in [`recv_with`](Self::recv_with),
    /// [`recv_blocking`](Self::recv_blocking) and
    /// [`recv_timeout`](Self::recv_timeout). Receive a larger one with
    /// [`recv_into`](Self::recv_into) or a [`loan`](Self::loan):
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, mpsc::Mpsc};
    ///
    /// let m = Mpsc::<[u64; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = m.consumer()?.recv()?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    // `#[inline]`: the success path is the holder check and the one-message pop;
    // an error goes out of line.
    #[inline]
    pub fn recv(&mut self) -> Result<Option<T>> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Receiver::recv returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use wait_blocking, then recv_into or a loan"
            )
        };
        let mut out = T::new_zeroed();
        match self.popped(&mut out) {
            None => self.recv_slow(),
            Some(Ok(true)) => Ok(Some(out)),
            Some(Ok(false)) => Ok(None),
            // Not again: `pop_one` may have skipped an abandoned claim.
            Some(Err(c)) => during(&"Receiver::recv", self.role.handle().object(), || {
                Err(corrupt(c))
            }),
        }
    }

    /// The fast path of every receive: the holder check (`None` if this process
    /// does not hold the role), then a one-message pop into `out`.
    #[inline]
    fn popped(&mut self, out: &mut T) -> Option<Result<bool, Corrupt>> {
        if self.role.holder().is_err() {
            return None;
        }
        let p = self.p();
        let mut wake = self.role.wake(consumer_wake(p));
        let mut env = Env {
            inner: &mut wake,
            sems: self.role.handle().sems(),
            view: self.view,
            p,
        };
        Some(self.ring.pop_one(
            |slot| {
                load_words(slot, out.as_mut_bytes());
            },
            &mut env,
        ))
    }

    /// [`recv`](Self::recv) from a process that does not hold the role: the
    /// whole call, its error named.
    #[cold]
    #[inline(never)]
    fn recv_slow(&mut self) -> Result<Option<T>> {
        let p = self.p();
        let (sems, view) = (self.role.handle().sems(), self.view);
        self.role.now(
            &mut self.ring,
            &"Receiver::recv",
            consumer_wake(p),
            |c, wake| {
                let mut env = Env {
                    inner: wake,
                    sems,
                    view,
                    p,
                };
                let mut out = T::new_zeroed();
                let n = c
                    .pop(
                        1,
                        |_, slot| {
                            load_words(slot, out.as_mut_bytes());
                        },
                        &mut env,
                    )
                    .map_err(corrupt)?;
                Ok((n == 1).then_some(out))
            },
        )
    }

    /// Receives up to `max` values without blocking, handing each to `take` in
    /// order; returns how many.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// for v in 0..3 {
    ///     tx.send(v).unwrap();
    /// }
    /// let mut sum = 0;
    /// assert_eq!(rx.recv_with(2, |v| sum += v)?, 2);
    /// assert_eq!(rx.recv_with(8, |v| sum += v)?, 1);
    /// assert_eq!(sum, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_with(&mut self, max: usize, mut take: impl FnMut(T)) -> Result<usize> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Receiver::recv_with returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use wait_blocking, then recv_into or a loan"
            )
        };
        let p = self.p();
        let (sems, view) = (self.role.handle().sems(), self.view);
        self.role.now(
            &mut self.ring,
            &"Receiver::recv_with",
            consumer_wake(p),
            |c, wake| {
                let mut env = Env {
                    inner: wake,
                    sems,
                    view,
                    p,
                };
                c.pop(
                    max,
                    |_, slot| {
                        let mut out = T::new_zeroed();
                        load_words(slot, out.as_mut_bytes());
                        take(out);
                    },
                    &mut env,
                )
                .map_err(corrupt)
            },
        )
    }

    /// Receives up to `out.len()` values into `out`, oldest first, without
    /// blocking, each straight from its slot into the caller's memory (no `T`
    /// passes through the stack, whatever its size); returns how many (0: empty,
    /// or the next position is claimed by a producer still writing it). Skips
    /// abandoned claims on the way, as [`recv`](Self::recv).
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv); nothing was received then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send_slice(&[1, 2, 3, 4, 5])?;
    /// let mut out = [0u64; 3];
    /// assert_eq!(rx.recv_into(&mut out)?, 3);
    /// assert_eq!(out, [1, 2, 3]);
    /// assert_eq!(rx.recv_into(&mut out)?, 2); // fewer available
    /// assert_eq!(out[..2], [4, 5]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_into(&mut self, out: &mut [T]) -> Result<usize> {
        let p = self.p();
        let (sems, view) = (self.role.handle().sems(), self.view);
        self.role.now(
            &mut self.ring,
            &"Receiver::recv_into",
            consumer_wake(p),
            |c, wake| {
                let mut env = Env {
                    inner: wake,
                    sems,
                    view,
                    p,
                };
                c.pop(
                    out.len(),
                    |i, slot| {
                        if let Some(o) = out.get_mut(i) {
                            load_words(slot, o.as_mut_bytes());
                        }
                    },
                    &mut env,
                )
                .map_err(corrupt)
            },
        )
    }

    /// Waits until a value is there to receive, spinning and then parking as
    /// [`recv_blocking`](Self::recv_blocking) does, and consumes nothing: the
    /// blocking step of a consumer of large values, which then takes them with
    /// [`recv_into`](Self::recv_into) or [`loan`](Self::loan) (never through its
    /// stack). Skips abandoned claims on the way.
    ///
    /// # Errors
    ///
    /// As [`recv_blocking`](Self::recv_blocking): [`ErrorKind::PeerDied`] when no
    /// seat is held by a live producer, one died holding its seat, and the queue
    /// is drained; [`ErrorKind::Interrupted`] (only after
    /// [`set_interruptible(true)`](Self::set_interruptible));
    /// [`ErrorKind::WrongProcess`]; [`ErrorKind::Corrupt`]; the semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<[u64; 512], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || tx.send_slice(&[[7; 512]]).unwrap());
    ///     rx.wait_blocking().unwrap(); // a value is there
    ///     let mut out = [[0; 512]];
    ///     assert_eq!(rx.recv_into(&mut out).unwrap(), 1);
    ///     assert_eq!(out[0][511], 7);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn wait_blocking(&mut self) -> Result<()> {
        self.peek_wait(&"Receiver::wait_blocking", None)
    }

    /// [`wait_blocking`](Self::wait_blocking) for at most `timeout`.
    ///
    /// # Errors
    ///
    /// As `wait_blocking`, and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let e = rx.wait_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// m.producer()?.send(1).unwrap();
    /// rx.wait_timeout(Duration::from_millis(10))?;
    /// rx.wait_timeout(Duration::from_millis(10))?; // consumed nothing: still there
    /// assert_eq!(rx.recv()?, Some(1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.peek_wait(&"Receiver::wait_timeout", Some(timeout))
    }

    fn peek_wait(&mut self, name: &'static &'static str, timeout: Option<Duration>) -> Result<()> {
        let p = self.p();
        let (sems, view) = (self.role.handle().sems(), self.view);
        let lane = Lane {
            own: consumer_wake(p),
            wake: consumer_wake(p),
            peer: ProducersGone {
                p,
                table: self.table,
            },
        };
        self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |c, spins, park| {
                let mut env = Env {
                    inner: park,
                    sems,
                    view,
                    p,
                };
                c.peek_blocking(1, spins, &mut env).map(drop)
            },
            // What a dead producer published before it died is there first, as
            // in `recv_wait`.
            |c, wake, died| {
                let mut env = Env {
                    inner: wake,
                    sems,
                    view,
                    p,
                };
                match c.peek(1, &mut env) {
                    Ok(0) => Err(died),
                    Ok(_) => Ok(()),
                    Err(x) => Err(corrupt(x)),
                }
            },
        )
    }

    /// Receives the next value, spinning and then parking while there is none;
    /// woken by the producers' sends.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`] when no seat is held by a live producer, one died
    /// holding its seat, and the queue is drained (see the
    /// [module docs](self#when-the-producers-are-gone));
    /// [`ErrorKind::WrongProcess`]; [`ErrorKind::Corrupt`]; the semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send(9).unwrap();
    /// assert_eq!(rx.recv_blocking()?, 9);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_blocking(&mut self) -> Result<T> {
        self.recv_wait(&"Receiver::recv_blocking", None)
    }

    /// [`recv_blocking`](Self::recv_blocking) for at most `timeout`.
    ///
    /// # Errors
    ///
    /// As `recv_blocking`, and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let e = rx.recv_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T> {
        self.recv_wait(&"Receiver::recv_timeout", Some(timeout))
    }

    fn recv_wait(&mut self, name: &'static &'static str, timeout: Option<Duration>) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= crate::shm::MAX_READ_BY_VALUE,
                "Receiver::recv_blocking (and recv_timeout) returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use wait_blocking, then recv_into or a loan"
            )
        };
        let p = self.p();
        // First the non-blocking form's fast path: a value there (or room) is
        // taken without setting up a park, which costs on every call.
        let mut out = T::new_zeroed();
        if self.popped(&mut out) == Some(Ok(true)) {
            return Ok(out);
        }
        let (sems, view) = (self.role.handle().sems(), self.view);
        let lane = Lane {
            own: consumer_wake(p),
            wake: consumer_wake(p),
            peer: ProducersGone {
                p,
                table: self.table,
            },
        };
        self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |c, spins, park| {
                let mut env = Env {
                    inner: park,
                    sems,
                    view,
                    p,
                };
                let mut out = T::new_zeroed();
                c.pop_blocking(
                    1,
                    spins,
                    |_, slot| {
                        load_words(slot, out.as_mut_bytes());
                    },
                    &mut env,
                )?;
                Ok(out)
            },
            |c, wake, died| {
                let mut env = Env {
                    inner: wake,
                    sems,
                    view,
                    p,
                };
                let mut out = T::new_zeroed();
                match c.pop(
                    1,
                    |_, slot| {
                        load_words(slot, out.as_mut_bytes());
                    },
                    &mut env,
                ) {
                    Ok(1) => Ok(out),
                    Ok(_) => Err(died),
                    Err(x) => Err(corrupt(x)),
                }
            },
        )
    }

    /// Claims skipped as abandoned (their producer died between claiming a slot
    /// and publishing it), by this consumer and the consumers before it on this
    /// queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(m.consumer()?.abandoned(), 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn abandoned(&self) -> u64 {
        self.ring.abandoned()
    }

    /// Claims skipped as abandoned since the last call (or since this consumer
    /// took the role): ask after a receive to learn of skips as they happen.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// assert_eq!(rx.recv()?, None);
    /// assert_eq!(rx.take_abandoned(), 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn take_abandoned(&mut self) -> u64 {
        let total = self.ring.abandoned();
        let new = total.wrapping_sub(self.seen);
        self.seen = total;
        new
    }

    /// Sets how many times a blocking receive spins before it parks.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// rx.set_spins(0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_spins(&mut self, spins: u32) {
        self.role.settings.spins = spins;
    }

    /// Sets how often a parked receive checks its producers: whether a claim it
    /// waits on was abandoned, and whether every producer is gone (`None`: never;
    /// a claim abandoned while it is parked is then skipped only when something
    /// else wakes it).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// rx.set_peer_check(Some(Duration::from_millis(20)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_peer_check(&mut self, every: Option<Duration>) {
        self.role.settings.peer_check = every;
    }
    /// Sets whether a park that a signal ends fails the blocking call with
    /// [`ErrorKind::Interrupted`] (`true`) or parks again (`false`, the default),
    /// as [`Producer::set_interruptible`](crate::queue::Producer::set_interruptible)
    /// does for a queue: a program that cancels a wait from a signal handler sets it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// // The mock interrupts a parked call as a signal (or a stop) does.
    /// static KERNEL: Mock = Mock::new();
    /// let m = Mpsc::<u64, 2, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _tx = m.producer()?; // alive, and never sends
    /// let mut rx = m.consumer()?;
    /// rx.set_spins(0);
    /// rx.set_peer_check(None);
    /// rx.set_interruptible(true);
    /// std::thread::scope(|s| {
    ///     let parked = s.spawn(move || rx.recv_blocking());
    ///     while KERNEL.blocked() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     KERNEL.interrupt_waiters();
    ///     assert_eq!(parked.join().unwrap().unwrap_err().kind(), ErrorKind::Interrupted);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set_interruptible(&mut self, interruptible: bool) {
        self.role.settings.interruptible = interruptible;
    }
}
