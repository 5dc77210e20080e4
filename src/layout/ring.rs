//! The single-producer single-consumer ring behind
//! [`Queue`](crate::queue::Queue): `N` slots (a power of two), free-running
//! indices, each side's index on its own 128-byte line, and a park/wake protocol
//! for blocking callers.
//!
//! # Byte layout
//!
//! | offset | field | written by | meaning |
//! |---:|---|---|---|
//! | 0..128 | [`Header`] | creator | `kind` = 1, `capacity` = `N`, `data_offset` = 384 |
//! | 128 | `tail` | producer | messages ever enqueued (free-running `u64`) |
//! | 136 | `consumer_waiting` | consumer sets (and clears when it stops waiting), producer clears to wake it | non-zero: the consumer is (about to be) parked |
//! | 144 | `producer_pid` | producer | pid of the role's holder, 0 when released |
//! | 152 | `barrier` | creator | 1: asymmetric wake check ([`Barrier::Asymmetric`]); anything else: symmetric |
//! | 160 | `closed` | producer | [`OPEN`] (0), then [`CLOSED`] (1) for good once the producer closed the stream; anything else is corrupt |
//! | 168..256 | padding | — | zero |
//! | 256 | `head` | consumer | messages ever dequeued (free-running `u64`) |
//! | 264 | `producer_waiting` | producer sets (and clears when it stops waiting), consumer clears to wake it | non-zero: the producer is (about to be) parked |
//! | 272 | `consumer_pid` | consumer | pid of the role's holder, 0 when released |
//! | 280..384 | padding | — | zero |
//! | 384 + i·S | `seq` of slot `i` | producer | `e` once the messages `k..e` are published by one index store whose first message `k` is in this slot (a single message: `k + 1`) |
//! | 384 + i·S + 8 | payload of slot `i` | producer | `i` in `0..N`; `S` = 8 + `size_of::<T>()` rounded up to 8 |
//!
//! Message `k` (counting from 0) lives in slot `k & (N - 1)`. The ring holds
//! `tail - head` messages, always `<= N`: all `N` slots are usable, since the
//! indices never wrap in practice (2^64 messages) and are compared by wrapping
//! subtraction anyway. A value `tail - head > N` (also "head ahead of tail") can
//! only come from a corrupted segment: [`Corrupt`].
//!
//! Each flag sits on the line its *reader* owns: the producer checks
//! `consumer_waiting` after every publish, on the line it writes anyway, and the
//! consumer's writes to it are rare (only when parking).
//!
//! # Protocol
//!
//! - **Publish.** The producer writes a slot with Relaxed word stores, then stores
//!   `tail + 1` with Release; the consumer's Acquire load of `tail` makes the slot
//!   visible. Symmetrically the consumer reads slots, then stores `head` with
//!   Release; the producer's Acquire load of `head` orders its reuse of the slots
//!   after those reads.
//! - **Slot sequence.** After storing `tail = e` for messages `k..e`, the producer
//!   stores `e` (Release) into the `seq` word of the slot of `k`, the first of
//!   them: one store per publish, `k + 1` for a single message. A consumer whose
//!   cached `tail` says empty and that wants one message first loads (Acquire) the
//!   `seq` of slot `head`: a value `e` with `e - head` in `1..=N` means messages
//!   `head..e` are published — their payloads and a `tail` covering them are
//!   visible — and the consumer caches `e` as `tail` without touching the
//!   producer's line. (Its `head` is then always where a publish began: it polls
//!   only with nothing cached, and every cached `tail` came from a `tail` load or a
//!   `seq`, both the end of a publish.) So a spinning consumer polls the line the
//!   message arrives on, and a message costs one cache-line transfer, not two
//!   (`tail`'s line, then the slot's): measured, the spin round trip went from
//!   2.5× to 1.3× a C ping-pong over two flags. One store per publish rather than
//!   one per message (layout version 4) took batches of 128 eight-byte messages
//!   from 216–248 to 343–375 M messages/s (3 interleaved runs): the per-message
//!   stores were a second pass over the lines just written. Any other `seq`
//!   value (an older lap, whose publishes ended at or before `head`; never
//!   written; garbage) means "not there yet", and the single pop
//!   returns empty without loading `tail`, except on every
//!   [`TAIL_POLL_EVERY`]-th such miss in a row, which loads `tail` as a batch
//!   pop always does. So `tail` stays the only commit point: a producer killed
//!   between its two stores leaves a message that the next `tail` load delivers
//!   (within [`TAIL_POLL_EVERY`] polls, or at once by a batch pop, an occupancy
//!   query or a blocking pop about to park; the next producer to claim the role
//!   marks it, see [`RingProducer::new`]), and `head` never passes `tail`. The
//!   period is long because every `tail` load pulls the producer's line away from
//!   it, and its next `tail` store then delays the `seq` store behind it: measured
//!   in the same run, a period of 32 gave a spin round trip of 1.22× the C flag
//!   ping-pong, 1024 gave 1.03×.
//!   Values differ from lap to lap (free-running indices), and a `seq` is
//!   compared, never used as an index.
//! - **Cached indices.** The producer keeps its own `tail` locally (it writes the
//!   shared one, never reads it back: a peer could have changed it) and a cached
//!   `head`, reloaded only when the cache says the ring is full; the consumer keeps
//!   `head` and a cached `tail`, reloaded when the cache says empty.
//! - **Park/wake (no lost wake-up).** A side that must wait stores its flag (1),
//!   runs the *heavy* barrier, and re-reads the peer's index; it parks only if that
//!   still shows no progress. The other side, after each index store, runs the
//!   *light* barrier and reads the flag; if set it clears it (swap) and wakes the
//!   peer. Whatever the barriers, what they must give is Dekker's guarantee: either
//!   the waiter's re-read sees the new index or the publisher sees the flag (never
//!   the store-buffering outcome where both read the old values). The swap gives
//!   at most one wake per park, so a semaphore standing behind [`Parking`] does not
//!   accumulate posts. The creator picks one of two barrier pairs, recorded in
//!   `barrier` before the header is published and never changed ([`Barrier`]):
//!   - **Symmetric** (the fallback): both barriers are SeqCst fences
//!     ([`core::sync::atomic::fence`]: two SeqCst fences are ordered one way or the
//!     other, which forbids the store-buffering outcome). The publisher pays a full
//!     fence (`lock or` on x86, `dmb ish` on aarch64) on every push and pop.
//!   - **Asymmetric**: the light barrier is a compiler fence only (no instruction),
//!     the heavy one is `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)`
//!     ([`Parking::heavy_barrier`]), and every process holding a role has
//!     registered with `MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED` before its first
//!     push or pop. The whole cost moves to the rare side that is about to sleep.
//!
//! # Why the asymmetric pair is enough
//!
//! membarrier(2) promises the caller that on return "all running threads have
//! passed through a state where all memory accesses to user-space addresses match
//! program order between entry to and return from the system call" (threads of
//! registered processes; "non-running threads are de facto in such a state"), and
//! its ordering table pairs `membarrier()` with a mere compiler `barrier()` on the
//! other side as "ordered". In the kernel (`kernel/sched/membarrier.c`,
//! `membarrier_global_expedited`): an `smp_mb()` on entry, then an IPI whose handler
//! runs `smp_mb()` on every other CPU whose current task belongs to a registered
//! `mm`, waiting for all of them, then an `smp_mb()` before returning; a thread
//! that is not running went through the scheduler's full barriers around the
//! `rq->curr` change. So in the publisher's instruction stream there is a point P,
//! inside the waiter's call, where a full barrier ran:
//!
//! - P before the publisher's flag load (before or after its index store): the
//!   waiter's flag store precedes the call's entry barrier, which precedes P, which
//!   precedes the load: the publisher sees the flag and wakes the waiter.
//! - P after the flag load: the index store precedes P (program order, kept by the
//!   compiler fence, and the IPI's `smp_mb()` drains it), the waiter's re-read
//!   follows the call's exit barrier: the waiter sees the new index and does not
//!   park.
//!
//! The compiler fence is what keeps the index store before the flag load in the
//! emitted code (the hardware then keeps program order with respect to the
//! interrupt). Registration is itself ordered the same way: it sets the runqueue's
//! state and runs `smp_mb()` before returning, and the waiter's call reads that
//! state after its entry barrier, so a publisher registered after the waiter's scan
//! began has its later flag load see the flag. Why GLOBAL_EXPEDITED: the peer is
//! another process, which `MEMBARRIER_CMD_PRIVATE_EXPEDITED` (same `mm` only) does
//! not reach; plain `MEMBARRIER_CMD_GLOBAL` needs no registration but waits for an
//! RCU grace period (milliseconds) on every park.
//!
//! Unless it is told which ([`QueueOptions::barrier`](crate::queue::QueueOptions::barrier)),
//! the creator picks `Asymmetric` when `MEMBARRIER_CMD_QUERY` lists both
//! GLOBAL_EXPEDITED and its registration and its own registration succeeds;
//! otherwise (an old kernel, a seccomp filter, an emulator without the call)
//! `Symmetric`. A process that later claims a role of an asymmetric ring must
//! register too, and is refused if it cannot (its parks could not give the
//! guarantee the fence-free peer relies on): see [`Queue`](crate::queue::Queue).
//! - **Close (end of stream).** A producer that is done stores `closed = 1`
//!   (Release) after its last `tail` store, then [`CLOSED_SEQ`] (Release) into the
//!   `seq` of slot `tail` (the slot the next message would have gone to), then
//!   runs the wake check as after a publish. A consumer that finds the ring empty
//!   by a `tail` load then loads `closed` (Acquire); when it reads 1, that load
//!   synchronises with the close, so a second `tail` load returns the producer's
//!   final `tail`, and the consumer stops only once its `head` has reached it: it
//!   never reports the end while a message committed before the close is unread
//!   (the loom models `close_never_hides_a_committed_message_*` in
//!   `tests/loom.rs`, which fail with that load Relaxed). The marker is only a hint
//!   for a polling single pop, which loads `tail` on a miss rarely: a `seq` that
//!   reads [`CLOSED_SEQ`] makes it load `tail` and `closed` at once. (No publish
//!   ends at `u64::MAX`, so the `seq` check reads the marker as "not there yet";
//!   garbage that reads as the marker costs a `tail` load, nothing else.) When the
//!   ring is full the marker lands in the slot of `head`, whose message is still
//!   unread: the consumer that polls it loads `tail` and takes the message. The
//!   flag sits on the producer's line, read only on an empty ring, where `tail`
//!   was just loaded from the same line. For the park/wake handshake a close is a
//!   publish: the consumer's re-check after its barrier reads `closed` too.
//! - **Crashes.** A message is committed by the single store of `tail`; a producer
//!   killed before it leaves a half-written slot that nobody reads and the next
//!   producer overwrites (its stale `seq` is from an older lap). A consumer killed before its `head` store leaves the
//!   message in the ring for the next consumer.

use core::marker::PhantomData;

use crate::layout::header::Header;
use crate::sync::{AtomicU64, Ordering, fence, light_barrier, spin_loop};

/// `closed`: the producer has not closed the stream (the creator's value).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::ring::{OPEN, RingCtl};
///
/// assert_eq!(RingCtl::new().is_closed(), Ok(false));
/// assert_eq!(OPEN, 0);
/// ```
pub const OPEN: u64 = 0;

/// `closed`: the producer closed the stream; it never changes back.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::Ordering;
/// use sysv_ipc::layout::ring::{CLOSED, RingCtl};
///
/// let ctl = RingCtl::new();
/// ctl.closed.store(CLOSED, Ordering::Release); // as `RingProducer::close` does
/// assert_eq!(ctl.is_closed(), Ok(true));
/// ```
pub const CLOSED: u64 = 1;

/// The value a close stores into the `seq` of the slot after the last message: no
/// publish ends there (module docs, "Close"), so older readers take it for "not
/// there yet", and a polling consumer that meets it looks at `closed` at once.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::ring::CLOSED_SEQ;
///
/// assert_eq!(CLOSED_SEQ, u64::MAX);
/// ```
pub const CLOSED_SEQ: u64 = u64::MAX;

/// Offset of slot 0.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::ring::{DATA_OFFSET, RingCtl};
///
/// assert_eq!(size_of::<RingCtl>(), DATA_OFFSET); // slot 0 follows the control block
/// ```
pub const DATA_OFFSET: usize = 384;

/// Bytes of a queue's layout: the control block, then `capacity` slots of a
/// `seq` word and `slot_words` payload words; `None` past `isize::MAX`. The one
/// formula [`Queue`](crate::queue::Queue) and [`info::needs`](crate::info::needs) use.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::ring::layout_size;
///
/// assert_eq!(layout_size(8, 1), Some(384 + 8 * 16));
/// assert_eq!(layout_size(usize::MAX, 1), None);
/// ```
pub const fn layout_size(capacity: usize, slot_words: usize) -> Option<usize> {
    let Some(stride) = slot_words.checked_add(1) else {
        return None;
    };
    let Some(stride) = stride.checked_mul(crate::layout::WORD) else {
        return None;
    };
    match capacity.checked_mul(stride) {
        Some(n) if n <= isize::MAX as usize - DATA_OFFSET => Some(DATA_OFFSET + n),
        _ => None,
    }
}

/// The control block of a ring: header, producer line, consumer line (384 bytes).
///
/// # Examples
///
/// ```
/// use core::mem::offset_of;
/// use sysv_ipc::layout::ring::RingCtl;
///
/// // The C programmer's view: each side's words on its own 128-byte line.
/// assert_eq!(offset_of!(RingCtl, tail), 128);
/// assert_eq!(offset_of!(RingCtl, head), 256);
/// assert_eq!(offset_of!(RingCtl, consumer_pid), 272);
/// ```
#[repr(C, align(128))]
#[derive(Debug)]
pub struct RingCtl {
    /// The segment header.
    pub header: Header,
    /// Messages enqueued; written by the producer only.
    pub tail: AtomicU64,
    /// Set by a consumer about to park; cleared by whoever wakes or un-parks it.
    pub consumer_waiting: AtomicU64,
    /// Pid of the producer role's holder, 0 if released.
    pub producer_pid: AtomicU64,
    /// [`Barrier`] as a number (1: asymmetric, anything else: symmetric); written by
    /// the creator before the header is published, then only read. On the
    /// producer's line: each side reads it once, when it takes its role.
    pub barrier: AtomicU64,
    /// [`OPEN`], or [`CLOSED`] once the producer closed the stream (for good);
    /// written by the producer only, read by the consumer when the ring is empty.
    pub closed: AtomicU64,
    /// Keeps `head` off the producer's 128 bytes.
    pub producer_pad: [AtomicU64; 11],
    /// Messages dequeued; written by the consumer only.
    pub head: AtomicU64,
    /// Set by a producer about to park; cleared by whoever wakes or un-parks it.
    pub producer_waiting: AtomicU64,
    /// Pid of the consumer role's holder, 0 if released.
    pub consumer_pid: AtomicU64,
    /// Keeps the slots off the consumer's 128 bytes.
    pub consumer_pad: [AtomicU64; 13],
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<RingCtl>() == DATA_OFFSET);
    assert!(offset_of!(RingCtl, header) == 0);
    assert!(offset_of!(RingCtl, tail) == 128);
    assert!(offset_of!(RingCtl, consumer_waiting) == 136);
    assert!(offset_of!(RingCtl, producer_pid) == 144);
    assert!(offset_of!(RingCtl, barrier) == 152);
    assert!(offset_of!(RingCtl, closed) == 160);
    assert!(offset_of!(RingCtl, producer_pad) == 168);
    assert!(offset_of!(RingCtl, head) == 256);
    assert!(offset_of!(RingCtl, producer_waiting) == 264);
    assert!(offset_of!(RingCtl, consumer_pid) == 272);
    assert!(offset_of!(RingCtl, consumer_pad) == 280);
};

impl RingCtl {
    /// A zeroed control block (for models and tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::ring::RingCtl;
    ///
    /// let ctl = RingCtl::new();
    /// assert_eq!(ctl.tail.load(Ordering::Relaxed), 0);
    /// assert_eq!(ctl.occupied::<4>(), Ok(0));
    /// ```
    pub fn new() -> RingCtl {
        let zero = || AtomicU64::new(0);
        RingCtl {
            header: Header::new(),
            tail: zero(),
            consumer_waiting: zero(),
            producer_pid: zero(),
            barrier: zero(),
            closed: zero(),
            producer_pad: core::array::from_fn(|_| zero()),
            head: zero(),
            producer_waiting: zero(),
            consumer_pid: zero(),
            consumer_pad: core::array::from_fn(|_| zero()),
        }
    }

    /// The creator's initialisation of the lines (between
    /// [`Header::begin_init`] and [`Header::publish`], which publishes it), with
    /// the wake check every side of this ring will use.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::header::{Kind, Shape};
    /// use sysv_ipc::layout::ring::{Barrier, DATA_OFFSET, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// assert!(ctl.header.begin_init()); // the creator
    /// ctl.init(Barrier::Symmetric);
    /// ctl.header.publish(&Shape::of::<u64>(Kind::Ring, 4, DATA_OFFSET, DATA_OFFSET + 4 * 8), 1);
    /// assert_eq!(ctl.head.load(Ordering::Acquire), 0);
    /// assert_eq!(ctl.barrier(), Barrier::Symmetric);
    /// ```
    pub fn init(&self, barrier: Barrier) {
        // Relaxed: published by the header's Release store of READY.
        self.barrier.store(barrier as u64, Ordering::Relaxed);
        for word in [
            &self.tail,
            &self.consumer_waiting,
            &self.producer_pid,
            &self.closed,
            &self.head,
            &self.producer_waiting,
            &self.consumer_pid,
        ] {
            word.store(0, Ordering::Relaxed);
        }
    }

    /// The wake check recorded by the creator: 1 is [`Barrier::Asymmetric`], any
    /// other value (0, or a peer's garbage) [`Barrier::Symmetric`], which is
    /// correct whatever the peer does.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::ring::{Barrier, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// ctl.init(Barrier::Asymmetric);
    /// assert_eq!(ctl.barrier(), Barrier::Asymmetric);
    /// ctl.barrier.store(0xdead, Ordering::Relaxed); // garbage: the safe choice
    /// assert_eq!(ctl.barrier(), Barrier::Symmetric);
    /// ```
    pub fn barrier(&self) -> Barrier {
        // Relaxed: written before READY, read after `attach`'s Acquire of READY.
        match self.barrier.load(Ordering::Relaxed) {
            1 => Barrier::Asymmetric,
            _ => Barrier::Symmetric,
        }
    }

    /// Whether the producer closed the stream ([`RingProducer::close`]); values it
    /// published before may still be in the ring. [`Corrupt`] for a `closed` word
    /// that is neither [`OPEN`] nor [`CLOSED`].
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::ring::{CLOSED, Corrupt, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// assert_eq!(ctl.is_closed(), Ok(false));
    /// ctl.closed.store(CLOSED, Ordering::Release);
    /// assert_eq!(ctl.is_closed(), Ok(true));
    /// ctl.closed.store(7, Ordering::Release); // a peer scribbled
    /// assert_eq!(ctl.is_closed(), Err(Corrupt));
    /// ```
    pub fn is_closed(&self) -> Result<bool, Corrupt> {
        // Acquire: pairs with the Release store in `RingProducer::close`, so a
        // `tail` load after this one returns the closing producer's final `tail`.
        match self.closed.load(Ordering::Acquire) {
            OPEN => Ok(false),
            CLOSED => Ok(true),
            _ => Err(Corrupt),
        }
    }

    /// Messages in the ring as an observer sees them (neither side's cache):
    /// advisory, since both sides may move meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::ring::{Corrupt, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// ctl.tail.store(7, Ordering::Release);
    /// ctl.head.store(4, Ordering::Release);
    /// assert_eq!(ctl.occupied::<4>(), Ok(3));
    /// ctl.tail.store(9, Ordering::Release); // 5 messages in 4 slots: a peer scribbled
    /// assert_eq!(ctl.occupied::<4>(), Err(Corrupt));
    /// ```
    pub fn occupied<const N: usize>(&self) -> Result<usize, Corrupt> {
        for _ in 0..8 {
            // Acquire (all three): pair with the sides' Release stores; head is read
            // on both sides of tail so that the pair is a consistent snapshot when
            // it did not move (tail can then be at most head + N).
            let h1 = self.head.load(Ordering::Acquire);
            let t = self.tail.load(Ordering::Acquire);
            let h2 = self.head.load(Ordering::Acquire);
            if h1 == h2 {
                return used::<N>(t, h1);
            }
        }
        Ok(0)
    }
}

impl Default for RingCtl {
    fn default() -> Self {
        RingCtl::new()
    }
}

/// Which barrier pair orders a `Queue`'s park/wake handshake, chosen by
/// [`QueueOptions::barrier`](crate::queue::QueueOptions::barrier) and recorded in
/// the segment by its creator; both sides use the one recorded.
///
/// Why both are correct is in the ring's source (`src/layout/ring.rs`, "Why the
/// asymmetric pair is enough"); the cost of each is in
/// [`QueueOptions`](crate::queue::QueueOptions).
///
/// # Examples
///
/// ```
/// use sysv_ipc::queue::{Barrier, QueueOptions};
///
/// // Fences only: no inter-processor interrupts for this queue's peers.
/// let fences = QueueOptions::new().barrier(Barrier::Symmetric);
/// assert_eq!(fences.get_barrier(), Some(Barrier::Symmetric));
/// assert_eq!(Barrier::Asymmetric as u64, 1, "the value in the segment");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Barrier {
    /// SeqCst fences on both sides: the fallback, needs nothing from the kernel.
    Symmetric = 0,
    /// A compiler fence after each publish, a `membarrier` system call before each
    /// park; every role holder must have registered.
    Asymmetric = 1,
}

/// The ring's indices are impossible: `tail - head > N`. A peer corrupted them.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::ring::{Corrupt, Ring, RingConsumer, RingCtl};
///
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
/// ctl.head.store(5, Ordering::Relaxed); // head ahead of tail
/// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
/// assert_eq!(RingConsumer::new(ring).unwrap_err(), Corrupt);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Corrupt;

/// Why a blocking ring operation returned without a message.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingError};
///
/// struct TimedOut;
/// impl Parking for TimedOut {
///     type Error = &'static str;
///     fn park(&mut self) -> Result<(), &'static str> { Err("timed out") }
///     fn unpark_peer(&mut self) {}
///     fn heavy_barrier(&mut self) -> Result<(), &'static str> { Err("no membarrier") }
/// }
///
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
/// let mut c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
/// // Empty, so the consumer parks, and the park fails.
/// let r = c.pop_blocking(1, 0, |_, _| {}, &mut TimedOut);
/// assert_eq!(r, Err(RingError::Park("timed out")));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RingError<E> {
    /// See [`Corrupt`].
    Corrupt,
    /// The producer closed the ring and every message it published has been
    /// popped ([`RingConsumer::is_finished`]); a blocking pop returns this instead
    /// of parking.
    Closed,
    /// [`Parking::park`] failed (timed out, interrupted, semaphore removed, ...).
    Park(E),
}

impl<E> From<Corrupt> for RingError<E> {
    fn from(_: Corrupt) -> Self {
        RingError::Corrupt
    }
}

/// How a side sleeps and wakes its peer: a SysV semaphore per side in
/// [`Queue`](crate::queue::Queue), a mutex and condition variable in the loom model.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingProducer};
///
/// /// Counts wakes instead of posting a semaphore.
/// #[derive(Default)]
/// struct Counting { wakes: u32 }
///
/// impl Parking for Counting {
///     type Error = ();
///     fn park(&mut self) -> Result<(), ()> { Err(()) } // never sleeps here
///     fn unpark_peer(&mut self) { self.wakes += 1; }
///     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// }
///
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
/// let mut p = RingProducer::new(Ring::<4>::new(&ctl, &slots, 1).unwrap()).unwrap();
/// let mut parking = Counting::default();
/// ctl.consumer_waiting.store(1, Ordering::Relaxed); // as a parking consumer does
/// p.push(1, |_, slot| slot[0].store(5, Ordering::Relaxed), &mut parking).unwrap();
/// p.push(1, |_, slot| slot[0].store(6, Ordering::Relaxed), &mut parking).unwrap();
/// assert_eq!(parking.wakes, 1); // one wake per park, not per message
/// ```
pub trait Parking {
    /// Why `park` returned without being woken.
    type Error;
    /// Sleeps until the peer's [`unpark_peer`](Self::unpark_peer) (a wake that
    /// arrived before the call counts), or fails (timeout, signal, ...).
    /// Spurious returns are allowed: the caller re-checks.
    fn park(&mut self) -> Result<(), Self::Error>;
    /// Wakes the peer's `park`. Infallible from the ring's view: the message is
    /// already committed, and a peer whose semaphore is gone learns that itself.
    fn unpark_peer(&mut self);
    /// Wakes an asynchronous waiter sleeping on `word` (its low 32 bits; a futex
    /// wait expecting [`WAITING_WORD`]), after the caller cleared the word:
    /// `futex(FUTEX_WAKE)` in the crate's parkings. The default does nothing, for
    /// parkings (tests, models) whose rings never have such a waiter; a parking
    /// that leaves it out loses a word waiter's wake-ups.
    fn wake_word(&mut self, word: &AtomicU64) {
        let _ = word;
    }
    /// The heavy half of the [`Barrier::Asymmetric`] handshake, run between
    /// announcing a park and re-reading the peer's index: on return, the peer's
    /// index store made before its own flag load is visible to us, or its flag
    /// load will see our announcement. `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)`
    /// in [`Queue`](crate::queue::Queue). Never called on a symmetric ring. On
    /// error the side un-announces and returns the error without parking.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Barrier, Parking, Ring, RingConsumer, RingCtl, RingError};
    ///
    /// struct NoMembarrier;
    /// impl Parking for NoMembarrier {
    ///     type Error = &'static str;
    ///     fn park(&mut self) -> Result<(), &'static str> { unreachable!("never parks") }
    ///     fn unpark_peer(&mut self) {}
    ///     fn heavy_barrier(&mut self) -> Result<(), &'static str> { Err("ENOSYS") }
    /// }
    ///
    /// let ctl = RingCtl::new();
    /// ctl.init(Barrier::Asymmetric);
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// // Empty: the consumer announces, the barrier fails, it withdraws and reports.
    /// let r = c.pop_blocking(1, 0, |_, _| unreachable!(), &mut NoMembarrier);
    /// assert_eq!(r, Err(RingError::Park("ENOSYS")));
    /// assert_eq!(ctl.consumer_waiting.load(Ordering::Relaxed), 0);
    /// ```
    fn heavy_barrier(&mut self) -> Result<(), Self::Error>;

    /// Takes back, without blocking, the wake the peer owes for a park this side
    /// announced and then did not make (its re-check found progress, or the heavy
    /// barrier or the park itself failed) after the peer had already taken the
    /// announcement: the peer's [`unpark_peer`](Self::unpark_peer) runs (or ran)
    /// once for it. Over a counting semaphore that post would otherwise stay, and
    /// a later park would return at once for it: on a busy ping-pong whose parks
    /// are mostly cut short, such posts pile up without bound (9463 after 20 000
    /// round trips, measured), and the side that finally has to sleep first burns
    /// through them (20.9 ms of CPU, measured). Taking one back here when it has
    /// arrived (`semop(-1, IPC_NOWAIT)` in [`Queue`](crate::queue::Queue)) keeps
    /// the count from building up: a take-back fails only when nothing is there,
    /// and the late post then balances the next one. The default does nothing,
    /// for parkings whose wakes do not accumulate.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingError};
    ///
    /// /// A park that times out just after the producer took the announcement
    /// /// (the producer's `take_waiter` written out by hand).
    /// struct Late<'a> { flag: &'a AtomicU64, posts: u32, taken_back: u32 }
    /// impl Parking for Late<'_> {
    ///     type Error = &'static str;
    ///     fn park(&mut self) -> Result<(), &'static str> {
    ///         if self.flag.swap(0, Ordering::Relaxed) != 0 {
    ///             self.posts += 1; // the producer's unpark_peer
    ///         }
    ///         Err("timed out")
    ///     }
    ///     fn unpark_peer(&mut self) {}
    ///     fn heavy_barrier(&mut self) -> Result<(), &'static str> { Ok(()) }
    ///     fn absorb_wake(&mut self) { self.taken_back += 1; }
    /// }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// let mut late = Late { flag: &ctl.consumer_waiting, posts: 0, taken_back: 0 };
    /// let r = c.pop_blocking(1, 0, |_, _| {}, &mut late);
    /// assert_eq!(r, Err(RingError::Park("timed out")));
    /// assert_eq!((late.posts, late.taken_back), (1, 1)); // the owed post, taken back
    /// ```
    fn absorb_wake(&mut self) {}

    /// Called by a blocking call that found nothing to do (no room, no message)
    /// on every round that parks or re-checks, and on the first and every
    /// [`DEADLINE_SPINS`]-th spin: a call with a deadline fails here once the
    /// deadline has passed, so that no number of rounds (a long spin, a peer that
    /// keeps the call re-checking instead of sleeping) carries it past its
    /// deadline; [`park`](Self::park) only ever waits for what is left. The
    /// default never fails, for calls without a deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingError};
    ///
    /// /// A deadline of three rounds; parks return at once (spuriously).
    /// struct Rounds(u32);
    /// impl Parking for Rounds {
    ///     type Error = &'static str;
    ///     fn park(&mut self) -> Result<(), &'static str> { Ok(()) }
    ///     fn unpark_peer(&mut self) {}
    ///     fn heavy_barrier(&mut self) -> Result<(), &'static str> { Ok(()) }
    ///     fn check_deadline(&mut self) -> Result<(), &'static str> {
    ///         self.0 += 1;
    ///         if self.0 > 3 { Err("timed out") } else { Ok(()) }
    ///     }
    /// }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// // A million spins, but the deadline is looked at every 16 of them.
    /// let mut rounds = Rounds(0);
    /// let r = c.pop_blocking(1, 1_000_000, |_, _| {}, &mut rounds);
    /// assert_eq!((r, rounds.0), (Err(RingError::Park("timed out")), 4));
    /// ```
    fn check_deadline(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Un-announces a park that is not going to sleep (any more). If the peer already
/// took the announcement, its wake is owed to us: [`Parking::absorb_wake`].
pub(crate) fn withdraw<P: Parking>(flag: &AtomicU64, parking: &mut P) {
    // Relaxed: the swaps' atomicity alone decides who took the announcement;
    // exactly one of this swap and the peer's (in `take_waiter`) reads the
    // announcement.
    if flag.swap(0, Ordering::Relaxed) == 0 {
        parking.absorb_wake();
    }
}

/// What [`block_on`] needs of a ring side: one producer or one consumer.
trait Side<'a> {
    /// Our waiting flag, which the peer's `take_waiter` clears.
    fn waiting(&self) -> &'a AtomicU64;
    /// The barrier pair the ring's creator chose.
    fn barrier_pair(&self) -> Barrier;
    /// After the heavy barrier: re-reads the peer's index; true if we can go on.
    fn recheck(&mut self) -> Result<bool, Corrupt>;
    /// Nothing will ever come: the consumer of a closed, drained ring.
    fn finished(&self) -> bool;
}

impl<'a, const N: usize, W: PayloadWords> Side<'a> for RingProducer<'a, N, W> {
    fn waiting(&self) -> &'a AtomicU64 {
        &self.ring.ctl.producer_waiting
    }
    fn barrier_pair(&self) -> Barrier {
        self.barrier
    }
    /// Whether room appeared.
    fn recheck(&mut self) -> Result<bool, Corrupt> {
        // Acquire: as in `free`.
        let head = self.ring.ctl.head.load(Ordering::Acquire);
        let used = used::<N>(self.tail, head)?;
        self.cached_head = head;
        Ok(used < N)
    }
    fn finished(&self) -> bool {
        false
    }
}

impl<'a, const N: usize, W: PayloadWords> Side<'a> for RingConsumer<'a, N, W> {
    fn waiting(&self) -> &'a AtomicU64 {
        &self.ring.ctl.consumer_waiting
    }
    fn barrier_pair(&self) -> Barrier {
        self.barrier
    }
    /// Whether a message appeared, or the producer closed the ring (which ends
    /// the wait too: the next attempt takes what is left or reports the end).
    fn recheck(&mut self) -> Result<bool, Corrupt> {
        Ok(self.load_tail()? > 0 || self.closed)
    }
    fn finished(&self) -> bool {
        self.is_finished()
    }
}

/// Step 1 of parking: announce, heavy barrier, re-check. True: still no progress
/// possible, park now; false: the peer moved, retry.
fn prepare_park<'a, S: Side<'a>, P: Parking>(
    side: &mut S,
    how: u64,
    parking: &mut P,
) -> Result<bool, RingError<P::Error>> {
    let flag = side.waiting();
    // Relaxed, then the heavy barrier: pairs with the light one in the peer's
    // `take_waiter` (see the module docs).
    announce(flag, how);
    park_barrier(flag, side.barrier_pair(), parking)?;
    match side.recheck() {
        Ok(false) => Ok(true),
        Ok(true) => {
            withdraw(flag, parking);
            Ok(false)
        }
        Err(c) => {
            withdraw(flag, parking);
            Err(c.into())
        }
    }
}

/// `push_blocking` and `pop_blocking`: attempt, spin `spins` times, then park
/// until the peer wakes us, and again; rounds that found nothing ask
/// [`Parking::check_deadline`] (every [`DEADLINE_SPINS`]-th spin, every park).
/// `max == 0` returns 0 at once.
fn block_on<'a, S: Side<'a>, P: Parking>(
    side: &mut S,
    max: usize,
    spins: u32,
    mut attempt: impl FnMut(&mut S, &mut P) -> Result<usize, Corrupt>,
    parking: &mut P,
) -> Result<usize, RingError<P::Error>> {
    if max == 0 {
        return Ok(0);
    }
    let mut spun = 0;
    loop {
        let n = attempt(side, parking)?;
        if n > 0 {
            return Ok(n);
        }
        if side.finished() {
            return Err(RingError::Closed);
        }
        // Not only when parking: with a long spin, or a peer whose moves keep the
        // re-check before the park succeeding, a call might not park for longer
        // than its deadline. Every round once the spin is over (each one runs a
        // barrier and a re-check anyway), every DEADLINE_SPINS-th during it.
        if spun >= spins || spun.is_multiple_of(DEADLINE_SPINS) {
            parking.check_deadline().map_err(RingError::Park)?;
        }
        if spun < spins {
            spun += 1;
            spin_loop();
            continue;
        }
        if prepare_park(side, WAITING_SEM, parking)? {
            match parking.park() {
                // Woken (or spuriously returned): the waker cleared the flag, or
                // will find it cleared; nothing is owed that we know of.
                // Relaxed: only un-announces.
                Ok(()) => side.waiting().store(0, Ordering::Relaxed),
                Err(e) => {
                    withdraw(side.waiting(), parking);
                    return Err(RingError::Park(e));
                }
            }
        }
    }
}

/// A blocking call that spins asks [`Parking::check_deadline`] on its first spin
/// and on every this-many-th after it. A `CLOCK_MONOTONIC` read (what a timed
/// [`Queue`](crate::queue::Queue) call's check costs) took 260–280 ns here as a
/// system call, a spin hint 37 ns: checking on every spin would make a timed
/// call's spin about 7× longer in time than an untimed one's with the same count,
/// and react to the peer up to a clock read later. Every 16th costs about 17 ns a
/// spin on average and lets a call overrun its deadline by at most 16 spins.
pub const DEADLINE_SPINS: u32 = 16;

/// `tail - head` if it is a possible fill level.
fn used<const N: usize>(tail: u64, head: u64) -> Result<usize, Corrupt> {
    let used = tail.wrapping_sub(head);
    if used > N as u64 {
        return Err(Corrupt);
    }
    // used <= N, which is a usize.
    Ok(used as usize)
}

/// Wakes the parked peer: the rare path out of `push` and `pop`, kept out of line
/// so that the semop it inlines does not make those too big to inline (measured:
/// with it inline they were outlined, five copies each, and the spin round trip
/// was 3–4 % slower).
#[cold]
#[inline(never)]
pub(crate) fn wake_peer<P: Parking>(parking: &mut P, flag: &AtomicU64, taken: u64) {
    // A word waiter sleeps on the flag itself, which `take_waiter` just cleared:
    // the futex wake comes after the change it waits for, as futex(2) needs.
    if taken & WAITING_WORD != 0 {
        parking.wake_word(flag);
    }
    // Anything else non-zero (1, or a value a corrupt peer wrote) is a semaphore
    // park: one post, as before word waiters existed.
    if taken & !WAITING_WORD != 0 {
        parking.unpark_peer();
    }
}

/// After an index store: the peer's announcement if it parked (its flag set),
/// cleared; 0 if it did not. [`wake_peer`] wakes it the way the value says.
// `#[inline]`: runs after every push and pop, which are instantiated in the user's
// crate; an out-of-line call there costs more than the flag check itself.
#[inline]
pub(crate) fn take_waiter(flag: &AtomicU64, barrier: Barrier) -> u64 {
    match barrier {
        // SeqCst: pairs with the SeqCst fence in the other side's `prepare_park`:
        // either its re-read of our index sees the store we just made, or this load
        // sees its flag.
        Barrier::Symmetric => fence(Ordering::SeqCst),
        // Pairs with the other side's `membarrier` in `prepare_park`: the compiler
        // fence keeps our index store before the flag load in program order, which
        // is all the IPI-driven barrier needs (module docs, "Why the asymmetric
        // pair is enough").
        Barrier::Asymmetric => light_barrier(),
    }
    // Relaxed: ordered by the barriers above; the swap lets one publisher wake a
    // parked peer once, not once per message.
    if flag.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    flag.swap(0, Ordering::Relaxed)
}

/// Between announcing a park and re-reading the peer's index: the heavy barrier of
/// `barrier`'s pair. On error the announcement is withdrawn.
/// A single pop whose slot `seq` misses loads `tail` only on every this-many-th
/// miss in a row (module docs, "Slot sequence"): a few tens of microseconds of
/// polling with a spin hint in between.
pub const TAIL_POLL_EVERY: u32 = 1024;

/// Sets a waiting flag before the heavy barrier.
///
/// A swap, where a store would do in the C++ memory model: the waker clears the
/// flag with a swap, and read-modify-write atomicity already places that clear
/// before a later announcement. loom, though, orders two threads' stores only
/// through what each has read, so with a plain store it let a waker's clear (made
/// on an older announcement) land after this one and reported the lost wake-up
/// (capacity 2, three messages; found when the slot `seq` path changed the
/// schedules). A read-modify-write reads the latest value, which puts the
/// announcement after the clear in loom's order too. Costs one locked instruction,
/// on the side that is about to sleep anyway.
pub(crate) fn announce(flag: &AtomicU64, how: u64) {
    // Relaxed: the barrier that follows orders it.
    flag.swap(how, Ordering::Relaxed);
}

/// The address of `word`'s low 32 bits, which a futex wait on a flag waits on
/// (futexes are 32-bit; the announcements fit in the low half).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::ring::word_low_half;
///
/// let w = AtomicU64::new(0x1_0000_0002);
/// // SAFETY: the pointer is to a live, aligned word's low half.
/// assert_eq!(unsafe { word_low_half(&w).read() }, 2);
/// ```
// loom's atomics have no address to give.
#[cfg(not(loom))]
pub fn word_low_half(word: &AtomicU64) -> *const u32 {
    let p = word.as_ptr().cast::<u32>().cast_const();
    if cfg!(target_endian = "big") {
        p.wrapping_add(1)
    } else {
        p
    }
}

/// The announcement of a side that parks on its semaphore (a blocking call, in
/// Rust or in C): the waker posts the semaphore.
pub const WAITING_SEM: u64 = 1;

/// The announcement of an asynchronous waiter (layout version 6): it sleeps in a
/// futex wait on the flag word itself (its low 32 bits, expecting this value),
/// which no semaphore can give an event loop; the waker clears the flag and then
/// wakes the word ([`Parking::wake_word`]). A process never has both kinds of
/// waiter on one flag (a flag belongs to one role, held by one process).
pub const WAITING_WORD: u64 = 2;

pub(crate) fn park_barrier<P: Parking>(
    flag: &AtomicU64,
    barrier: Barrier,
    parking: &mut P,
) -> Result<(), RingError<P::Error>> {
    match barrier {
        // Pairs with the SeqCst fence in the other side's `take_waiter`.
        Barrier::Symmetric => fence(Ordering::SeqCst),
        // Pairs with the compiler fence in the other side's `take_waiter`; the flag
        // store above is before the call (the syscall is opaque to the compiler and
        // the kernel runs `smp_mb()` on entry).
        Barrier::Asymmetric => {
            if let Err(e) = parking.heavy_barrier() {
                withdraw(flag, parking);
                return Err(RingError::Park(e));
            }
        }
    }
    Ok(())
}

/// The ring over a control block and its slots: `N` slots, each a `seq` word and
/// `slot_words` payload words (so `N * (slot_words + 1)` words,
/// [`Ring::words`]). The callbacks of `push` and `pop` see the payload words only.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
///
/// // Local memory standing in for a segment: 4 slots of 1 payload word.
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
/// let ring = Ring::<4>::new(&ctl, &slots, 1).expect("4 slots of 1 word");
/// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
/// let n = p.push(3, |i, slot| slot[0].store(10 + i as u64, Ordering::Relaxed), &mut NoPark);
/// assert_eq!(n, Ok(3));
/// let mut got = [0; 4];
/// let n = c.pop(4, |i, slot| got[i] = slot[0].load(Ordering::Relaxed), &mut NoPark);
/// assert_eq!((n, got), (Ok(3), [10, 11, 12, 0]));
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Ring<'a, const N: usize, W: PayloadWords = AnyWords> {
    ctl: &'a RingCtl,
    slots: &'a [AtomicU64],
    slot_words: usize,
    words: PhantomData<W>,
}

/// How a [`Ring`] knows the payload words of its slots: from its type (a
/// constant `WORDS > 0`, which lets the compiler turn every slot's address into
/// a shift and its copy into plain moves) or at run time ([`AnyWords`], `WORDS
/// == 0`). Measured with 8-byte values (callgrind, instructions per message,
/// inlined into the caller's loop): the constant took a `Queue<u64, _>`'s
/// one-message push from 38 to 33 and its pop from 44 to 38.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::ring::{PayloadWords, Ring, RingCtl};
///
/// #[derive(Copy, Clone, Debug)]
/// struct Two;
/// impl PayloadWords for Two {
///     const WORDS: usize = 2;
/// }
///
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<4>::words(2)] = Default::default();
/// assert!(Ring::<4, Two>::with_words(&ctl, &slots, 2).is_some());
/// assert!(Ring::<4, Two>::with_words(&ctl, &slots[..8], 1).is_none()); // not its size
/// ```
pub trait PayloadWords: Copy + core::fmt::Debug {
    /// The payload words of every slot, or 0: given at run time.
    const WORDS: usize;
}

/// Payload words given at run time ([`Ring::new`]).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::ring::{AnyWords, PayloadWords};
///
/// assert_eq!(AnyWords::WORDS, 0);
/// ```
#[derive(Copy, Clone, Debug)]
pub struct AnyWords;

impl PayloadWords for AnyWords {
    const WORDS: usize = 0;
}

impl<'a, const N: usize> Ring<'a, N> {
    /// Words of `N` slots of `slot_words` payload words: each slot has one more,
    /// its `seq` (saturates instead of overflowing, which no slice can match).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::ring::Ring;
    ///
    /// assert_eq!(Ring::<4>::words(2), 12); // 4 × (seq + 2 words)
    /// assert_eq!(Ring::<1024>::words(1), 2048);
    /// ```
    pub const fn words(slot_words: usize) -> usize {
        N.saturating_mul(slot_words.saturating_add(1))
    }

    /// The ring of `N` slots of `slot_words` payload words each over `slots`;
    /// `None` unless `slots` has exactly [`Ring::words`]`(slot_words)` words and
    /// `slot_words > 0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Ring, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(2)] = Default::default();
    /// assert!(Ring::<4>::new(&ctl, &slots, 2).is_some()); // 4 slots of seq + 2 words
    /// assert!(Ring::<4>::new(&ctl, &slots, 1).is_none()); // 12 words are not 4 × 2
    /// assert!(Ring::<4>::new(&ctl, &slots[..4], 0).is_none()); // no payload
    /// ```
    pub fn new(ctl: &'a RingCtl, slots: &'a [AtomicU64], slot_words: usize) -> Option<Self> {
        Self::with_words(ctl, slots, slot_words)
    }
}

impl<'a, const N: usize, W: PayloadWords> Ring<'a, N, W> {
    /// [`Ring::new`] for a ring whose type fixes its payload words: `None`
    /// also when `W::WORDS` is neither 0 nor `slot_words`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{AnyWords, Ring, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(3)] = Default::default();
    /// assert!(Ring::<2, AnyWords>::with_words(&ctl, &slots, 3).is_some());
    /// ```
    pub fn with_words(ctl: &'a RingCtl, slots: &'a [AtomicU64], slot_words: usize) -> Option<Self> {
        const {
            assert!(
                N.is_power_of_two(),
                "the ring's capacity must be a power of two"
            );
        }
        let fits = slot_words > 0
            && slot_words < usize::MAX
            && Ring::<'a, N>::words(slot_words) == slots.len()
            && (W::WORDS == 0 || W::WORDS == slot_words);
        fits.then_some(Ring {
            ctl,
            slots,
            slot_words,
            words: PhantomData,
        })
    }

    /// The control block.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Ring, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let ring = Ring::<2>::new(&ctl, &slots, 1).unwrap();
    /// assert!(core::ptr::eq(ring.ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a RingCtl {
        self.ctl
    }

    /// The `seq` word and the payload words of the slot of message `index`.
    // Unchecked and by pointer: this is on every push and pop, where the checked
    // slice (three compares and selects over a runtime stride) was a fifth of a
    // one-message call, and the slice pattern that split `seq` from the payload
    // another eight instructions.
    #[inline]
    fn slot(&self, index: u64) -> (&'a AtomicU64, &'a [AtomicU64]) {
        // Masked with our compile-time N: whatever `index` is, the slot is in range.
        let i = (index as usize) & (N - 1);
        // A constant when the type fixes it (then equal to `slot_words`, which
        // `with_words` checked).
        let words = if W::WORDS != 0 {
            W::WORDS
        } else {
            self.slot_words
        };
        // SAFETY: `new` checked that `slots` holds `N` whole slots of
        // `slot_words >= 1` payload words, and the fields never change; `i < N`.
        unsafe { crate::layout::slot_at(self.slots, i, words) }
    }

    /// Publishes messages `first..first + n`, after `tail` covers them: the `seq`
    /// of `first`'s slot gets their end (module docs, "Slot sequence").
    fn publish_seq(&self, first: u64, n: usize) {
        if n > 0 {
            // Release: the payloads written before (and the `tail` store) happen
            // before a consumer's Acquire load that reads this value.
            self.slot(first)
                .0
                .store(first.wrapping_add(n as u64), Ordering::Release);
        }
    }

    /// How many messages from `index` on are published according to the `seq` of
    /// its slot: `1..=N`, or 0 (not yet, an older lap, garbage); and the `seq`.
    fn published_from(&self, index: u64) -> (usize, u64) {
        // Acquire: pairs with the Release stores in `publish_seq`, `RingProducer::publish_at` and
        // `RingProducer::close`.
        let seq = self.slot(index).0.load(Ordering::Acquire);
        let n = seq.wrapping_sub(index);
        // `n - 1 < N` is `1 <= n <= N` without a second compare (0 wraps).
        if n.wrapping_sub(1) < N as u64 {
            (n as usize, seq)
        } else {
            (0, seq)
        }
    }
}

/// The producer's side of a [`Ring`]: its own `tail` and a cached `head`.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingProducer};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
///
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
/// let mut p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
/// assert_eq!(p.push(5, |_, slot| slot[0].store(1, Ordering::Relaxed), &mut NoPark), Ok(2));
/// assert_eq!(p.push(1, |_, _| unreachable!(), &mut NoPark), Ok(0)); // full
/// assert_eq!(ctl.tail.load(Ordering::Acquire), 2);
/// ```
#[derive(Debug)]
pub struct RingProducer<'a, const N: usize, W: PayloadWords = AnyWords> {
    ring: Ring<'a, N, W>,
    /// Our authoritative tail; the shared one is only ever stored.
    tail: u64,
    /// Last head loaded; `tail - cached_head <= N` always holds.
    cached_head: u64,
    /// The ring's wake check, read once (the creator never changes it).
    barrier: Barrier,
}

impl<'a, const N: usize, W: PayloadWords> RingProducer<'a, N, W> {
    /// Takes the producer's side, continuing from the shared `tail` (a new producer
    /// after a dead one continues where the last committed message ends), and
    /// marks the committed, unconsumed messages `head..tail` as one publish (the
    /// `seq` of `head`'s slot gets `tail`): a producer killed between its `tail`
    /// and `seq` stores left them unmarked, which a polling single pop would
    /// otherwise find only on a `tail` load.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Ring, RingCtl, RingProducer};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// // A previous producer committed 6 messages, the consumer took 5.
    /// ctl.tail.store(6, Ordering::Release);
    /// ctl.head.store(5, Ordering::Release);
    /// let mut p = RingProducer::new(Ring::<4>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(p.occupied(), Ok(1)); // it continues from there
    /// ```
    pub fn new(ring: Ring<'a, N, W>) -> Result<Self, Corrupt> {
        // Acquire (both): pair with the Release stores of the previous holders of the
        // two roles.
        let tail = ring.ctl.tail.load(Ordering::Acquire);
        let head = ring.ctl.head.load(Ordering::Acquire);
        let used = used::<N>(tail, head)?;
        // Messages head..tail are committed (the Acquire of `tail` made their
        // payloads visible to us, and our Release store passes that on). A consumer
        // that polls meanwhile is at `head` (it polls only where a publish began),
        // or past it with `tail` cached; a slot it has left is next used `N`
        // messages later, with another value.
        ring.publish_seq(head, used);
        Ok(RingProducer {
            ring,
            tail,
            cached_head: head,
            barrier: ring.ctl.barrier(),
        })
    }

    /// Free slots, reloading `head` only if the cache shows fewer than `want`.
    fn free(&mut self, want: usize) -> Result<usize, Corrupt> {
        let free = N - used::<N>(self.tail, self.cached_head)?;
        if free >= want {
            return Ok(free);
        }
        // Acquire: pairs with the Release store of `head` in `RingConsumer::pop`, so
        // the consumer's reads of the slots we may now overwrite are done.
        let head = self.ring.ctl.head.load(Ordering::Acquire);
        let used = used::<N>(self.tail, head)?;
        self.cached_head = head;
        Ok(N - used)
    }

    /// For an asynchronous waiter, which cannot park on a semaphore: announces
    /// [`WAITING_WORD`] on this side's flag, runs the heavy half of the barrier
    /// pair and re-checks, as a park does. `Ok(Some(word))`: still full; sleep
    /// in a futex wait on `word`'s low 32 bits expecting [`WAITING_WORD`] (the consumer's
    /// next move clears the word, then wakes it: [`Parking::wake_word`]), then try
    /// again. `Ok(None)`: the the consumer moved meanwhile (nothing armed); try again
    /// now. A heavy barrier that fails withdraws and reports it.
    ///
    /// A wait that is given up (a dropped future) must [`disarm`](Self::disarm).
    /// After a wake, or a wait that ended otherwise (a timeout), the next `arm`
    /// announces again; the word is this side's own, so no other waiter shares it.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer, WAITING_WORD};
    /// # #[derive(Default)]
    /// # struct Words(u32);
    /// # impl Parking for Words {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) { unreachable!("no semaphore park here") }
    /// #     fn wake_word(&mut self, _: &AtomicU64) { self.0 += 1 }
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<1>::words(1)] = Default::default();
    /// let ring = Ring::<1>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// let (mut cw, mut pw) = (Words::default(), Words::default());
    /// assert_eq!(p.push_one(|s| s[0].store(5, Ordering::Relaxed), &mut pw), Ok(true));
    /// // Full: armed.
    /// let word = p.arm(&mut pw).unwrap().expect("no room");
    /// // Withdrawn (a dropped future): the word is clear, nobody owes a wake.
    /// p.disarm();
    /// assert_eq!(word.load(Ordering::Relaxed), 0);
    /// let word = p.arm(&mut pw).unwrap().expect("no room");
    /// assert_eq!(c.pop_one(|_| {}, &mut cw), Ok(true));
    /// assert_eq!((word.load(Ordering::Relaxed), cw.0), (0, 1)); // cleared and woken
    /// assert!(matches!(p.arm(&mut pw), Ok(None))); // room now
    /// ```
    pub fn arm<P: Parking>(
        &mut self,
        parking: &mut P,
    ) -> Result<Option<&'a AtomicU64>, RingError<P::Error>> {
        if prepare_park(self, WAITING_WORD, parking)? {
            Ok(Some(self.waiting()))
        } else {
            Ok(None)
        }
    }

    /// Withdraws an [`arm`](Self::arm)ed wait that will not be waited for. If the
    /// the consumer already took the announcement, its wake is a futex wake, which
    /// leaves nothing behind to take back.
    pub fn disarm(&self) {
        // Relaxed: only un-announces; whoever's swap reads the announcement owns it.
        self.waiting().swap(0, Ordering::Relaxed);
    }

    /// The control block this side works on.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Ring, RingCtl, RingProducer};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let side = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert!(core::ptr::eq(side.ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a RingCtl {
        self.ring.ctl
    }

    /// The ring's wake check, as read when the side was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::ring::{Barrier, Ring, RingCtl, RingProducer};
    /// use core::sync::atomic::AtomicU64;
    ///
    /// let ctl = RingCtl::new(); // zeroed: symmetric
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(p.barrier(), Barrier::Symmetric);
    /// ```
    pub fn barrier(&self) -> Barrier {
        self.barrier
    }

    /// Messages in the ring (reloads `head`).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let mut p = RingProducer::new(Ring::<4>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// p.push(3, |_, slot| slot[0].store(0, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(p.occupied(), Ok(3));
    /// ctl.head.store(2, Ordering::Release); // the consumer took two
    /// assert_eq!(p.occupied(), Ok(1));
    /// ```
    pub fn occupied(&mut self) -> Result<usize, Corrupt> {
        self.free(N + 1).map(|free| N - free)
    }

    /// Enqueues up to `max` messages without blocking: `write(i, slot)` fills
    /// message `i`'s slot. Returns how many (0: full), then wakes a parked consumer.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(2)] = Default::default(); // 4 slots of 2 words
    /// let mut p = RingProducer::new(Ring::<4>::new(&ctl, &slots, 2).unwrap()).unwrap();
    /// let values = [[1u64, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
    /// let n = p.push(values.len(), |i, slot| {
    ///     slot[0].store(values[i][0], Ordering::Relaxed);
    ///     slot[1].store(values[i][1], Ordering::Relaxed);
    /// }, &mut NoPark);
    /// assert_eq!(n, Ok(4)); // as many as there is room for
    /// ```
    // `#[inline]`: the one-message call of `Producer::enqueue` is a few loads and
    // stores around the caller's copy; a call frame is a measurable part of it.
    #[inline]
    pub fn push<P: Parking>(
        &mut self,
        max: usize,
        mut write: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, Corrupt> {
        if max == 1 {
            return self
                .push_one(|slot| write(0, slot), parking)
                .map(usize::from);
        }
        let n = self.reserve(max)?;
        if n == 0 {
            return Ok(0);
        }
        for i in 0..n {
            write(i, self.reserved(i));
        }
        self.publish(n, parking);
        Ok(n)
    }

    /// [`push`](Self::push) of one message: `write` fills the payload words of its
    /// slot; `false` (and `write` not called) while the ring is full. The slot's
    /// address is computed once, for the payload and the `seq` word both.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<1>::words(1)] = Default::default();
    /// let mut p = RingProducer::new(Ring::<1>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(p.push_one(|s| s[0].store(7, Ordering::Relaxed), &mut NoPark), Ok(true));
    /// assert_eq!(p.push_one(|_| unreachable!(), &mut NoPark), Ok(false)); // full
    /// assert_eq!(slots[1].load(Ordering::Relaxed), 7);
    /// ```
    #[inline]
    pub fn push_one<P: Parking>(
        &mut self,
        write: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, Corrupt> {
        // Room by the cached `head` (ours, checked when it was loaded: `tail -
        // cached_head <= N` holds) without `free`'s re-check; a full cache goes
        // out of line.
        if self.tail.wrapping_sub(self.cached_head) >= N as u64 && self.refill()? == 0 {
            return Ok(false);
        }
        let (seq, payload) = self.ring.slot(self.tail);
        write(payload);
        self.publish_at(seq, 1, parking);
        Ok(true)
    }

    /// [`free`](Self::free)`(1)` when the cache shows the ring full: out of line
    /// (a `Queue<u64, _>`'s enqueue, inlined into the caller's loop, went from 40
    /// to 38 instructions; callgrind).
    #[cold]
    #[inline(never)]
    fn refill(&mut self) -> Result<usize, Corrupt> {
        self.free(1)
    }

    /// How many slots, up to `max`, are free for the next messages, without
    /// blocking: [`reserved`](Self::reserved)`(i)` for `i` in `0..n` may be
    /// written, then [`commit`](Self::commit) publishes them. [`push`](Self::push)
    /// is the three in one; apart, they let a caller fill slots in place over
    /// several calls (a loan) and publish them in one index store.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// assert_eq!(p.reserve(3), Ok(3));
    /// p.reserved(0)[0].store(7, Ordering::Relaxed);
    /// p.reserved(1)[0].store(8, Ordering::Relaxed);
    /// assert_eq!(c.peek(4), Ok(0)); // nothing is published before the commit
    /// assert_eq!(p.commit(2, &mut NoPark), 2); // the third slot is not published
    /// assert_eq!(c.peek(4), Ok(2));
    /// ```
    #[inline]
    pub fn reserve(&mut self, max: usize) -> Result<usize, Corrupt> {
        if max == 0 {
            return Ok(0);
        }
        Ok(self.free(max)?.min(max))
    }

    /// [`reserve`](Self::reserve) of between 1 and `max` slots, spinning `spins`
    /// times and then parking while the ring is full, as
    /// [`push_blocking`](Self::push_blocking) does. `max == 0` returns 0 at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingError, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(p.reserve_blocking(8, 10, &mut NoPark), Ok(2));
    /// assert_eq!(p.commit(2, &mut NoPark), 2);
    /// // Full: spins, then parks; this park fails instead of sleeping.
    /// assert_eq!(p.reserve_blocking(1, 10, &mut NoPark), Err(RingError::Park(())));
    /// ```
    pub fn reserve_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        parking: &mut P,
    ) -> Result<usize, RingError<P::Error>> {
        block_on(self, max, spins, |p, _| p.reserve(max), parking)
    }

    /// The payload words of the slot that the `i`-th message of the next
    /// [`commit`](Self::commit) goes to. Only `i` below what
    /// [`reserve`](Self::reserve) returned is free: a slot past it holds a message
    /// the consumer has not read yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Ring, RingCtl, RingProducer};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(3)] = Default::default();
    /// let p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 3).unwrap()).unwrap();
    /// assert_eq!(p.reserved(0).len(), 3); // a slot's payload words, its `seq` left out
    /// assert!(core::ptr::eq(p.reserved(1), &slots[5..8]));
    /// assert!(core::ptr::eq(p.reserved(2), p.reserved(0))); // slot 2 is slot 0 a lap on
    /// ```
    #[inline]
    pub fn reserved(&self, i: usize) -> &'a [AtomicU64] {
        self.ring.slot(self.tail.wrapping_add(i as u64)).1
    }

    /// Publishes the next `n` slots (written through [`reserved`](Self::reserved))
    /// as messages, in one `tail` store, and wakes a parked consumer. `n` is cut
    /// to the free slots (a commit never publishes over an unread message);
    /// returns how many were published.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(p.commit(5, &mut NoPark), 2); // two slots, two messages
    /// assert_eq!(ctl.tail.load(Ordering::Acquire), 2);
    /// ```
    pub fn commit<P: Parking>(&mut self, n: usize, parking: &mut P) -> usize {
        // `tail - cached_head <= N` is ours to keep (`free` checks every head it
        // loads), so this cannot fail; a corrupt value would publish nothing.
        let free = used::<N>(self.tail, self.cached_head).map_or(0, |used| N - used);
        let n = n.min(free);
        if n > 0 {
            self.publish(n, parking);
        }
        n
    }

    /// Publishes the `n` free slots after `tail`, then wakes a parked consumer.
    #[inline]
    fn publish<P: Parking>(&mut self, n: usize, parking: &mut P) {
        let seq = self.ring.slot(self.tail).0;
        self.publish_at(seq, n, parking);
    }

    /// [`publish`](Self::publish), given the `seq` word of `tail`'s slot (which a
    /// one-message push has at hand).
    #[inline]
    fn publish_at<P: Parking>(&mut self, seq: &AtomicU64, n: usize, parking: &mut P) {
        if n == 0 {
            return;
        }
        self.tail = self.tail.wrapping_add(n as u64);
        // Release: publishes the slots just written; pairs with the Acquire loads of
        // `tail` in `RingConsumer::available` and the consumer's `Side::recheck`.
        self.ring.ctl.tail.store(self.tail, Ordering::Release);
        // After `tail`: a consumer that takes a message on its `seq` never gets ahead
        // of `tail` (module docs, "Slot sequence"). Release: the payloads written
        // before (and the `tail` store) happen before a consumer's Acquire load that
        // reads this value (`Ring::published_from`).
        seq.store(self.tail, Ordering::Release);
        let taken = take_waiter(&self.ring.ctl.consumer_waiting, self.barrier);
        if taken != 0 {
            wake_peer(parking, &self.ring.ctl.consumer_waiting, taken);
        }
    }

    /// Enqueues between 1 and `max` messages, spinning `spins` times and then
    /// parking while the ring is full. `max == 0` returns 0 at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingCtl, RingError, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// let write = |_: usize, slot: &[AtomicU64]| slot[0].store(1, Ordering::Relaxed);
    /// // Room: returns at once.
    /// assert_eq!(p.push_blocking(8, 100, write, &mut NoPark), Ok(2));
    /// // Full: spins 100 times, then parks; this park fails instead of sleeping.
    /// assert_eq!(p.push_blocking(1, 100, write, &mut NoPark), Err(RingError::Park(())));
    /// ```
    pub fn push_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        mut write: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, RingError<P::Error>> {
        block_on(
            self,
            max,
            spins,
            |p, park| p.push(max, &mut write, park),
            parking,
        )
    }

    /// Ends the stream: the consumer pops what was published before, then learns
    /// that nothing more comes ([`RingConsumer::is_finished`],
    /// [`RingError::Closed`]). Stores `closed`, marks the slot after the last
    /// message ([`CLOSED_SEQ`]), and wakes a parked consumer (module docs,
    /// "Close"). Closing is for good; the producer must not push after it (the
    /// consumer would not take what it pushed).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// p.push(1, |_, slot| slot[0].store(7, Ordering::Relaxed), &mut NoPark).unwrap();
    /// p.close(&mut NoPark);
    /// assert_eq!(ctl.is_closed(), Ok(true));
    /// let mut got = 0;
    /// // What was published before the close comes first...
    /// assert_eq!(c.pop(1, |_, slot| got = slot[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
    /// assert_eq!(got, 7);
    /// assert_eq!(c.pop(1, |_, _| unreachable!(), &mut NoPark), Ok(0));
    /// assert!(c.is_finished()); // then the end
    /// ```
    pub fn close<P: Parking>(&mut self, parking: &mut P) {
        // Release: every `tail` store we made (and the slots it published) happens
        // before a consumer's Acquire load (`RingCtl::is_closed`) that reads it.
        self.ring.ctl.closed.store(CLOSED, Ordering::Release);
        // Release, after `closed`: a consumer whose Acquire load of this `seq`
        // reads the marker sees `closed` too. No publish follows, so nothing
        // overwrites it; if the ring is full this is the slot of `head`, whose
        // message stays readable (module docs, "Close").
        self.ring
            .slot(self.tail)
            .0
            .store(CLOSED_SEQ, Ordering::Release);
        // As after a publish: a consumer parked (or about to) on the empty ring
        // either sees `closed` in its re-check or is woken here.
        let taken = take_waiter(&self.ring.ctl.consumer_waiting, self.barrier);
        if taken != 0 {
            wake_peer(parking, &self.ring.ctl.consumer_waiting, taken);
        }
    }
}

/// The consumer's side of a [`Ring`]: its own `head` and a cached `tail`.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
///
/// let ctl = RingCtl::new();
/// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
/// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
/// let mut p = RingProducer::new(ring).unwrap();
/// let mut c = RingConsumer::new(ring).unwrap();
/// p.push(1, |_, slot| slot[0].store(42, Ordering::Relaxed), &mut NoPark).unwrap();
/// let mut got = 0;
/// assert_eq!(c.pop(1, |_, slot| got = slot[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
/// assert_eq!((got, ctl.head.load(Ordering::Acquire)), (42, 1));
/// ```
#[derive(Debug)]
pub struct RingConsumer<'a, const N: usize, W: PayloadWords = AnyWords> {
    ring: Ring<'a, N, W>,
    /// Our authoritative head; the shared one is only ever stored.
    head: u64,
    /// Last tail loaded; `cached_tail - head <= N` always holds.
    cached_tail: u64,
    /// The ring's wake check, read once.
    barrier: Barrier,
    /// Single pops in a row that found no `seq` and did not load `tail`.
    seq_misses: u32,
    /// The producer closed the ring, and `cached_tail` is its final `tail`.
    closed: bool,
}

impl<'a, const N: usize, W: PayloadWords> RingConsumer<'a, N, W> {
    /// Takes the consumer's side, continuing from the shared `head`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Ring, RingConsumer, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// // A previous consumer died after taking 1 of 3 messages.
    /// ctl.tail.store(3, Ordering::Release);
    /// ctl.head.store(1, Ordering::Release);
    /// let mut c = RingConsumer::new(Ring::<4>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(c.occupied(), Ok(2)); // the other two are still there
    /// ```
    pub fn new(ring: Ring<'a, N, W>) -> Result<Self, Corrupt> {
        // Acquire (both): pair with the Release stores of the roles' previous holders.
        let head = ring.ctl.head.load(Ordering::Acquire);
        let tail = ring.ctl.tail.load(Ordering::Acquire);
        used::<N>(tail, head)?;
        Ok(RingConsumer {
            ring,
            head,
            cached_tail: tail,
            barrier: ring.ctl.barrier(),
            seq_misses: 0,
            closed: false,
        })
    }

    /// Whether the stream has ended: the producer closed the ring
    /// ([`RingProducer::close`]) and every message it published has been popped.
    /// Known once a pop (or [`occupied`](Self::occupied)) found the ring empty
    /// and loaded `closed`; from then on it never changes.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingError, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let ring = Ring::<2>::new(&ctl, &slots, 1).unwrap();
    /// let mut c = RingConsumer::new(ring).unwrap();
    /// assert_eq!(c.pop(4, |_, _| {}, &mut NoPark), Ok(0)); // empty, still open
    /// assert!(!c.is_finished());
    /// RingProducer::new(ring).unwrap().close(&mut NoPark);
    /// // A blocking pop returns the end instead of parking.
    /// assert_eq!(c.pop_blocking(1, 0, |_, _| {}, &mut NoPark), Err(RingError::Closed));
    /// assert!(c.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.closed && self.cached_tail == self.head
    }

    /// For an asynchronous waiter, which cannot park on a semaphore: announces
    /// [`WAITING_WORD`] on this side's flag, runs the heavy half of the barrier
    /// pair and re-checks, as a park does. `Ok(Some(word))`: still empty; sleep
    /// in a futex wait on `word`'s low 32 bits expecting [`WAITING_WORD`] (the producer's
    /// next move clears the word, then wakes it: [`Parking::wake_word`]), then try
    /// again. `Ok(None)`: the the producer moved meanwhile (nothing armed); try again
    /// now. A heavy barrier that fails withdraws and reports it.
    ///
    /// A wait that is given up (a dropped future) must [`disarm`](Self::disarm).
    /// After a wake, or a wait that ended otherwise (a timeout), the next `arm`
    /// announces again; the word is this side's own, so no other waiter shares it.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer, WAITING_WORD};
    /// # #[derive(Default)]
    /// # struct Words(u32);
    /// # impl Parking for Words {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) { unreachable!("no semaphore park here") }
    /// #     fn wake_word(&mut self, _: &AtomicU64) { self.0 += 1 }
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let ring = Ring::<2>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// let (mut cw, mut pw) = (Words::default(), Words::default());
    /// // Empty: armed; an event loop now waits on the word while it holds WAITING_WORD.
    /// let word = c.arm(&mut cw).unwrap().expect("nothing to take");
    /// assert_eq!(word.load(Ordering::Relaxed), WAITING_WORD);
    /// // The producer's publish clears the word and wakes it.
    /// p.push_one(|s| s[0].store(5, Ordering::Relaxed), &mut pw).unwrap();
    /// assert_eq!((word.load(Ordering::Relaxed), pw.0), (0, 1));
    /// // Not empty: not armed, take it.
    /// assert!(matches!(c.arm(&mut cw), Ok(None)));
    /// assert_eq!(c.pop_one(|s| assert_eq!(s[0].load(Ordering::Relaxed), 5), &mut cw), Ok(true));
    /// ```
    pub fn arm<P: Parking>(
        &mut self,
        parking: &mut P,
    ) -> Result<Option<&'a AtomicU64>, RingError<P::Error>> {
        if prepare_park(self, WAITING_WORD, parking)? {
            Ok(Some(self.waiting()))
        } else {
            Ok(None)
        }
    }

    /// Withdraws an [`arm`](Self::arm)ed wait that will not be waited for. If the
    /// the producer already took the announcement, its wake is a futex wake, which
    /// leaves nothing behind to take back.
    pub fn disarm(&self) {
        // Relaxed: only un-announces; whoever's swap reads the announcement owns it.
        self.waiting().swap(0, Ordering::Relaxed);
    }

    /// Loads `tail` (and caches it): the messages available. When it shows none,
    /// looks whether the producer closed the ring ([`Self::learn_close`]).
    // `#[inline]`: part of `available`, which a one-message pop inlines whole
    // (outlined, it made an enqueue + dequeue pair 30 % slower, measured).
    #[inline]
    fn load_tail(&mut self) -> Result<usize, Corrupt> {
        // Acquire: pairs with the Release store of `tail` in `RingProducer::push`,
        // making the slots it published visible.
        let tail = self.ring.ctl.tail.load(Ordering::Acquire);
        let n = used::<N>(tail, self.head)?;
        self.cached_tail = tail;
        if n > 0 {
            return Ok(n);
        }
        self.learn_close()
    }

    /// `tail` showed nothing: whether the producer closed the ring; if so, loads
    /// `tail` again, now the final one, and records the close. Out of line: only
    /// an empty ring gets here.
    #[cold]
    #[inline(never)]
    fn learn_close(&mut self) -> Result<usize, Corrupt> {
        if !self.ring.ctl.is_closed()? {
            return Ok(0);
        }
        // Acquire, after the Acquire load of `closed` that read the producer's
        // Release store: every `tail` store of the producer happens before this
        // load, which therefore returns the last one (module docs, "Close").
        let tail = self.ring.ctl.tail.load(Ordering::Acquire);
        let n = used::<N>(tail, self.head)?;
        self.cached_tail = tail;
        self.closed = true;
        Ok(n)
    }

    /// Messages available, reloading `tail` only if the cache shows fewer than
    /// `want`.
    #[inline]
    fn available(&mut self, want: usize) -> Result<usize, Corrupt> {
        let n = used::<N>(self.cached_tail, self.head)?;
        if n >= want {
            return Ok(n);
        }
        // One message wanted and none cached: its slot's `seq` says whether it is
        // there, on the line it arrives on (module docs, "Slot sequence"), and up to
        // where its publish went; `tail` is at least that, which the cache records
        // (`n` is 0 here).
        if want == 1 {
            let (n, seq) = self.ring.published_from(self.head);
            if n > 0 {
                self.seq_misses = 0;
                self.cached_tail = self.head.wrapping_add(n as u64);
                return Ok(n);
            }
            // Not there: most likely empty. Loading `tail` too would pull the
            // producer's line into every poll of a spinning consumer, so only
            // every TAIL_POLL_EVERY-th miss in a row does, or a miss on the
            // close's marker (module docs, "Close").
            self.seq_misses = self.seq_misses.wrapping_add(1);
            if self.closed || seq != CLOSED_SEQ && !self.seq_misses.is_multiple_of(TAIL_POLL_EVERY)
            {
                return Ok(0);
            }
        }
        // Closed (checked here, off the path of a single pop that finds its
        // message): the cached `tail` is the final one, nothing more comes.
        if self.closed {
            return Ok(n);
        }
        self.load_tail()
    }

    /// The control block this side works on.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Ring, RingCtl, RingConsumer};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let side = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert!(core::ptr::eq(side.ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a RingCtl {
        self.ring.ctl
    }

    /// The ring's wake check, as read when the side was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::ring::{Barrier, Ring, RingConsumer, RingCtl};
    /// use core::sync::atomic::AtomicU64;
    ///
    /// let ctl = RingCtl::new();
    /// ctl.init(Barrier::Asymmetric);
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(c.barrier(), Barrier::Asymmetric);
    /// ```
    pub fn barrier(&self) -> Barrier {
        self.barrier
    }

    /// Messages in the ring (reloads `tail`).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Corrupt, Ring, RingConsumer, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let mut c = RingConsumer::new(Ring::<4>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(c.occupied(), Ok(0));
    /// ctl.tail.store(2, Ordering::Release); // the producer published two
    /// assert_eq!(c.occupied(), Ok(2));
    /// ctl.tail.store(100, Ordering::Release); // a peer scribbled
    /// assert_eq!(c.occupied(), Err(Corrupt));
    /// ```
    pub fn occupied(&mut self) -> Result<usize, Corrupt> {
        self.available(N + 1)
    }

    /// Dequeues up to `max` messages without blocking: `read(i, slot)` copies
    /// message `i` out. Returns how many (0: empty), then wakes a parked producer.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// p.push(2, |i, slot| slot[0].store(i as u64 + 1, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut sum = 0;
    /// assert_eq!(c.pop(8, |_, slot| sum += slot[0].load(Ordering::Relaxed), &mut NoPark), Ok(2));
    /// assert_eq!(sum, 3);
    /// assert_eq!(c.pop(8, |_, _| unreachable!(), &mut NoPark), Ok(0)); // empty
    /// ```
    // `#[inline]`: as `RingProducer::push`.
    #[inline]
    pub fn pop<P: Parking>(
        &mut self,
        max: usize,
        mut read: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, Corrupt> {
        if max == 1 {
            return self.pop_one(|slot| read(0, slot), parking).map(usize::from);
        }
        let n = self.peek(max)?;
        if n == 0 {
            return Ok(0);
        }
        for i in 0..n {
            read(i, self.peeked(i));
        }
        self.consume(n, parking);
        Ok(n)
    }

    /// [`pop`](Self::pop) of one message: `read` gets the payload words of its
    /// slot; `false` (and `read` not called) while the ring is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let mut p = RingProducer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// let mut c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(c.pop_one(|_| unreachable!(), &mut NoPark), Ok(false)); // empty
    /// p.push_one(|s| s[0].store(9, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut got = 0;
    /// assert_eq!(c.pop_one(|s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(true));
    /// assert_eq!(got, 9);
    /// ```
    // The fast path is `available(1)` written out for the one slot it looks at:
    // the slot is located once, the cached `tail` (ours, checked when it was
    // loaded) is compared, not re-checked, and a miss goes out of line
    // (`missed`): a `Queue<u64, _>`'s dequeue called out of line went from 74
    // to 67 instructions (callgrind).
    #[inline]
    pub fn pop_one<P: Parking>(
        &mut self,
        read: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, Corrupt> {
        let head = self.head;
        let (seq, payload) = self.ring.slot(head);
        if self.cached_tail == head {
            // Nothing cached: the slot's `seq` says whether message `head` is
            // published, and up to where its publish went (`published_from`).
            // Acquire: pairs with the Release stores in `publish_seq`,
            // `RingProducer::publish_at` and `RingProducer::close`.
            let end = seq.load(Ordering::Acquire);
            if end.wrapping_sub(head).wrapping_sub(1) < N as u64 {
                self.seq_misses = 0;
                self.cached_tail = end;
            } else if self.missed(end)? == 0 {
                return Ok(false);
            }
        }
        read(payload);
        self.consume(1, parking);
        Ok(true)
    }

    /// A single pop whose slot's `seq` (`end`) showed nothing: `available(1)`'s
    /// miss, out of line.
    #[cold]
    #[inline(never)]
    fn missed(&mut self, end: u64) -> Result<usize, Corrupt> {
        self.seq_misses = self.seq_misses.wrapping_add(1);
        if self.closed || end != CLOSED_SEQ && !self.seq_misses.is_multiple_of(TAIL_POLL_EVERY) {
            return Ok(0);
        }
        self.load_tail()
    }

    /// How many published messages, up to `max`, can be read without blocking:
    /// [`peeked`](Self::peeked)`(i)` for `i` in `0..n` are their slots, which stay
    /// the consumer's until [`release`](Self::release) hands them back.
    /// [`pop`](Self::pop) is the three in one; apart, they let a caller read
    /// messages in place (a loan) and release them in one index store.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// p.push(3, |i, slot| slot[0].store(i as u64, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(c.peek(2), Ok(2));
    /// assert_eq!(c.peeked(1)[0].load(Ordering::Relaxed), 1);
    /// assert_eq!(c.release(1, &mut NoPark), 1);
    /// assert_eq!(c.peek(8), Ok(2)); // the second and the third
    /// assert_eq!(p.reserve(8), Ok(2)); // one slot came back
    /// ```
    #[inline]
    pub fn peek(&mut self, max: usize) -> Result<usize, Corrupt> {
        if max == 0 {
            return Ok(0);
        }
        Ok(self.available(max)?.min(max))
    }

    /// [`peek`](Self::peek) of between 1 and `max` messages, spinning `spins`
    /// times and then parking while the ring is empty, as
    /// [`pop_blocking`](Self::pop_blocking) does ([`RingError::Closed`] once the
    /// producer closed the stream and every message was released). `max == 0`
    /// returns 0 at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingError, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(1)] = Default::default();
    /// let ring = Ring::<2>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// assert_eq!(c.peek_blocking(1, 10, &mut NoPark), Err(RingError::Park(()))); // empty
    /// p.commit(1, &mut NoPark);
    /// p.close(&mut NoPark);
    /// assert_eq!(c.peek_blocking(4, 10, &mut NoPark), Ok(1));
    /// assert_eq!(c.release(1, &mut NoPark), 1);
    /// assert_eq!(c.peek_blocking(4, 10, &mut NoPark), Err(RingError::Closed));
    /// ```
    pub fn peek_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        parking: &mut P,
    ) -> Result<usize, RingError<P::Error>> {
        block_on(self, max, spins, |c, _| c.peek(max), parking)
    }

    /// The payload words of the slot of the `i`-th unreleased message. Only `i`
    /// below what [`peek`](Self::peek) returned is a published message: a slot
    /// past it is free, and the producer may be writing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::{Ring, RingConsumer, RingCtl};
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<2>::words(3)] = Default::default();
    /// let c = RingConsumer::new(Ring::<2>::new(&ctl, &slots, 3).unwrap()).unwrap();
    /// assert!(core::ptr::eq(c.peeked(0), &slots[1..4])); // after slot 0's `seq`
    /// ```
    #[inline]
    pub fn peeked(&self, i: usize) -> &'a [AtomicU64] {
        self.ring.slot(self.head.wrapping_add(i as u64)).1
    }

    /// Hands the slots of the next `n` messages back to the producer, in one
    /// `head` store, and wakes a parked producer. `n` is cut to the messages
    /// published (a release never passes `tail`); returns how many were released.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// p.commit(2, &mut NoPark);
    /// assert_eq!(c.release(5, &mut NoPark), 0); // none peeked yet: the cached tail says empty
    /// assert_eq!(c.peek(5), Ok(2));
    /// assert_eq!(c.release(5, &mut NoPark), 2);
    /// assert_eq!(ctl.head.load(Ordering::Acquire), 2);
    /// ```
    pub fn release<P: Parking>(&mut self, n: usize, parking: &mut P) -> usize {
        // `cached_tail - head <= N` is ours to keep (`used` checks every tail we
        // load), so this cannot fail; a corrupt value would release nothing.
        let n = n.min(used::<N>(self.cached_tail, self.head).unwrap_or(0));
        if n > 0 {
            self.consume(n, parking);
        }
        n
    }

    /// Hands back the slots of the `n` published messages from `head`, then wakes
    /// a parked producer.
    #[inline]
    fn consume<P: Parking>(&mut self, n: usize, parking: &mut P) {
        self.head = self.head.wrapping_add(n as u64);
        // Release: our reads of the slots happen before the producer's Acquire load
        // of `head` (in `RingProducer::free`) lets it overwrite them.
        self.ring.ctl.head.store(self.head, Ordering::Release);
        let taken = take_waiter(&self.ring.ctl.producer_waiting, self.barrier);
        if taken != 0 {
            wake_peer(parking, &self.ring.ctl.producer_waiting, taken);
        }
    }

    /// Dequeues between 1 and `max` messages, spinning `spins` times and then
    /// parking while the ring is empty. `max == 0` returns 0 at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingError, RingProducer};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = RingCtl::new();
    /// let slots: [AtomicU64; Ring::<4>::words(1)] = Default::default();
    /// let ring = Ring::<4>::new(&ctl, &slots, 1).unwrap();
    /// let (mut p, mut c) = (RingProducer::new(ring).unwrap(), RingConsumer::new(ring).unwrap());
    /// p.push(1, |_, slot| slot[0].store(7, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut got = 0;
    /// // A message is there: returns at once.
    /// assert_eq!(c.pop_blocking(4, 0, |_, slot| got = slot[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
    /// assert_eq!(got, 7);
    /// // Empty: parks at once (0 spins); this park fails instead of sleeping.
    /// assert_eq!(c.pop_blocking(4, 0, |_, _| {}, &mut NoPark), Err(RingError::Park(())));
    /// assert_eq!(ctl.consumer_waiting.load(Ordering::Relaxed), 0); // un-announced
    /// ```
    pub fn pop_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        mut read: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, RingError<P::Error>> {
        block_on(
            self,
            max,
            spins,
            |c, park| c.pop(max, &mut read, park),
            parking,
        )
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::layout::{load_words, store_words};

    /// Parking that must never be needed on one thread; counts wakes.
    #[derive(Default)]
    struct NoPark {
        wakes: u32,
    }

    impl Parking for NoPark {
        type Error = ();
        fn park(&mut self) -> Result<(), ()> {
            Err(())
        }
        fn unpark_peer(&mut self) {
            self.wakes += 1;
        }
        fn heavy_barrier(&mut self) -> Result<(), ()> {
            Err(())
        }
    }

    /// 4 slots of 2 payload words.
    struct Mem {
        ctl: RingCtl,
        slots: [AtomicU64; 12],
    }

    fn mem() -> Mem {
        Mem {
            ctl: RingCtl::new(),
            slots: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// The ring over `m`, and both of its sides.
    fn sides(m: &Mem) -> (RingProducer<'_, 4>, RingConsumer<'_, 4>) {
        let ring = Ring::<4>::new(&m.ctl, &m.slots, 2).unwrap();
        (
            RingProducer::new(ring).unwrap(),
            RingConsumer::new(ring).unwrap(),
        )
    }

    /// Writes message `v` as `pop1` checks it: `v`, then `!v`.
    fn store_value(slot: &[AtomicU64], v: u64) {
        assert!(store_words(
            slot,
            &[v.to_ne_bytes(), (!v).to_ne_bytes()].concat()
        ));
    }

    fn push1(p: &mut RingProducer<'_, 4>, v: u64, park: &mut NoPark) -> Result<usize, Corrupt> {
        p.push(1, |_, slot| store_value(slot, v), park)
    }

    fn pop1(c: &mut RingConsumer<'_, 4>, park: &mut NoPark) -> Result<Option<u64>, Corrupt> {
        let mut out = None;
        let n = c.pop(
            1,
            |_, slot| {
                let mut b = [0u8; 16];
                assert!(load_words(slot, &mut b));
                let v = u64::from_ne_bytes(b[..8].try_into().unwrap());
                assert_eq!(u64::from_ne_bytes(b[8..].try_into().unwrap()), !v);
                out = Some(v);
            },
            park,
        )?;
        assert_eq!(n, usize::from(out.is_some()));
        Ok(out)
    }

    #[test]
    fn fills_every_slot_and_wraps_around() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        let mut next_out = 0;
        for round in 0..5u64 {
            for k in 0..4 {
                assert_eq!(push1(&mut p, round * 4 + k, park), Ok(1));
            }
            assert_eq!(
                push1(&mut p, 99, park),
                Ok(0),
                "all N slots used, then full"
            );
            assert_eq!(p.occupied(), Ok(4));
            assert_eq!(m.ctl.occupied::<4>(), Ok(4));
            for _ in 0..4 {
                assert_eq!(pop1(&mut c, park), Ok(Some(next_out)));
                next_out += 1;
            }
            assert_eq!(pop1(&mut c, park), Ok(None));
            assert_eq!(c.occupied(), Ok(0));
        }
        assert_eq!(m.ctl.tail.load(Ordering::Relaxed), 20);
        assert_eq!(park.wakes, 0, "nobody parked, nobody woken");
    }

    #[test]
    fn batches_stop_at_the_boundaries() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        assert_eq!(
            p.push(3, |i, s| assert!(store_words(s, &[i as u8; 16])), park),
            Ok(3)
        );
        assert_eq!(
            p.push(3, |i, s| assert!(store_words(s, &[10 + i as u8; 16])), park),
            Ok(1)
        );
        let mut got = [0u8; 6];
        assert_eq!(
            c.pop(
                6,
                |i, s| {
                    let mut b = [0u8; 16];
                    load_words(s, &mut b);
                    got[i] = b[15];
                },
                park
            ),
            Ok(4)
        );
        assert_eq!(got[..4], [0, 1, 2, 10]);
        assert_eq!(p.push(0, |_, _| unreachable!(), park), Ok(0));
        assert_eq!(c.pop(0, |_, _| unreachable!(), park), Ok(0));
    }

    #[test]
    fn impossible_indices_are_corrupt_never_out_of_bounds() {
        let m = mem();
        let ring = Ring::<4>::new(&m.ctl, &m.slots, 2).unwrap();
        let park = &mut NoPark::default();
        m.ctl.tail.store(5, Ordering::Relaxed);
        assert!(RingProducer::new(ring).is_err());
        assert!(RingConsumer::new(ring).is_err());
        m.ctl.tail.store(0, Ordering::Relaxed);
        let (mut p, mut c) = sides(&m);
        // The consumer reads only the peer's index (its own head stays local): a tail
        // beyond head + N, or behind head, is rejected.
        for tail in [5, 100, u64::MAX] {
            m.ctl.tail.store(tail, Ordering::Relaxed);
            assert_eq!(c.pop(2, |_, _| {}, park), Err(Corrupt), "tail {tail}");
            assert_eq!(c.occupied(), Err(Corrupt));
        }
        // An observer reads both.
        for (tail, head) in [(0, 1), (100, 0), (u64::MAX, 3), (7, u64::MAX)] {
            m.ctl.tail.store(tail, Ordering::Relaxed);
            m.ctl.head.store(head, Ordering::Relaxed);
            assert_eq!(m.ctl.occupied::<4>(), Err(Corrupt), "{tail} {head}");
        }
        m.ctl.tail.store(0, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(None), "valid again: empty");
        // The producer only reloads head when its cache says full; fill it first.
        m.ctl.head.store(0, Ordering::Relaxed);
        for k in 0..4 {
            assert_eq!(push1(&mut p, k, park), Ok(1));
        }
        m.ctl.head.store(9, Ordering::Relaxed);
        assert_eq!(push1(&mut p, 4, park), Err(Corrupt));
        // Garbage in a waiting flag costs a spurious wake, nothing else.
        m.ctl.head.store(1, Ordering::Relaxed);
        m.ctl.consumer_waiting.store(0xdead, Ordering::Relaxed);
        assert_eq!(push1(&mut p, 4, park), Ok(1));
        assert_eq!(park.wakes, 1);
        assert_eq!(m.ctl.consumer_waiting.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn wrong_slot_geometry_is_refused() {
        let m = mem();
        assert!(Ring::<4>::new(&m.ctl, &m.slots, 0).is_none());
        assert!(Ring::<4>::new(&m.ctl, &m.slots, 3).is_none());
        assert!(Ring::<4>::new(&m.ctl, &m.slots[..11], 2).is_none());
        assert!(Ring::<2>::new(&m.ctl, &m.slots, 5).is_some());
        assert!(Ring::<4>::new(&m.ctl, &m.slots, 2).is_some());
        assert!(Ring::<2>::new(&m.ctl, &m.slots[..6], 2).is_some());
        assert!(Ring::<4>::new(&m.ctl, &m.slots, usize::MAX).is_none());
        assert_eq!(Ring::<4>::words(usize::MAX), usize::MAX);
    }

    /// The `seq` word of the slot of message `k` (slot stride 3 in `Mem`).
    fn seq(m: &Mem, k: u64) -> &AtomicU64 {
        &m.slots[(k as usize & 3) * 3]
    }

    #[test]
    fn each_publish_marks_its_first_slot_with_its_end() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        assert_eq!(
            p.push(3, |i, s| assert!(store_words(s, &[i as u8; 16])), park),
            Ok(3)
        );
        assert_eq!(seq(&m, 0).load(Ordering::Relaxed), 3, "the batch's end");
        for k in 1..4 {
            assert_eq!(seq(&m, k).load(Ordering::Relaxed), 0, "slot {k} not marked");
        }
        assert_eq!(c.pop(3, |_, _| {}, park), Ok(3));
        for v in 3..9 {
            assert_eq!(push1(&mut p, v, park), Ok(1));
            assert_eq!(pop1(&mut c, park), Ok(Some(v)));
            assert_eq!(seq(&m, v).load(Ordering::Relaxed), v + 1, "lap {}", v / 4);
        }
    }

    #[test]
    fn a_single_pop_caches_the_whole_publish_it_finds() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        assert_eq!(push1(&mut p, 1, park), Ok(1));
        assert_eq!(pop1(&mut c, park), Ok(Some(1)));
        let v = [2u64, 3, 4];
        assert_eq!(p.push(3, |i, s| store_value(s, v[i]), park), Ok(3));
        // Hide `tail`: only the first slot's `seq` tells the consumer, and it
        // covers all three.
        m.ctl.tail.store(0, Ordering::Relaxed);
        for want in [2, 3, 4] {
            assert_eq!(pop1(&mut c, park), Ok(Some(want)));
        }
        assert_eq!(m.ctl.head.load(Ordering::Relaxed), 4);
        // A `seq` claiming more than N messages is garbage, not a publish.
        seq(&m, 4).store(4 + 5, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(None));
        seq(&m, 4).store(4 + 4, Ordering::Relaxed);
        assert_eq!(c.occupied(), Err(Corrupt), "tail (0) is behind head");
    }

    #[test]
    fn a_single_pop_takes_a_message_on_its_sequence_alone() {
        let m = mem();
        let ring = Ring::<4>::new(&m.ctl, &m.slots, 2).unwrap();
        let mut c = RingConsumer::new(ring).unwrap();
        let park = &mut NoPark::default();
        // What a consumer sees between the producer's two stores, in the other order:
        // only the sequence says the message is there. (Not the producer's order —
        // it stores `tail` first — but the consumer must not need `tail` here.)
        store_value(&m.slots[1..3], 5);
        seq(&m, 0).store(1, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(Some(5)));
        assert_eq!(m.ctl.head.load(Ordering::Relaxed), 1);
        // A batch pop asks `tail`, which never moved: head ahead of tail is corrupt.
        assert_eq!(c.pop(2, |_, _| {}, park), Err(Corrupt));
    }

    #[test]
    fn a_missing_or_stale_sequence_falls_back_on_tail() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        // A producer killed after its `tail` store, before the `seq` store: the
        // message is committed, and the poll that loads `tail` delivers it.
        assert_eq!(push1(&mut p, 7, park), Ok(1));
        seq(&m, 0).store(0, Ordering::Relaxed);
        for poll in 1..TAIL_POLL_EVERY {
            assert_eq!(pop1(&mut c, park), Ok(None), "poll {poll} reads no tail");
        }
        assert_eq!(pop1(&mut c, park), Ok(Some(7)));
        // So does a batch pop, or an occupancy query, at once.
        assert_eq!(push1(&mut p, 70, park), Ok(1));
        seq(&m, 1).store(0, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(None));
        assert_eq!(c.occupied(), Ok(1));
        assert_eq!(pop1(&mut c, park), Ok(Some(70)), "cached by the query");
        assert_eq!(push1(&mut p, 71, park), Ok(1));
        seq(&m, 2).store(0, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(None));
        let mut got = 0;
        assert_eq!(
            c.pop(4, |_, s| got = s[0].load(Ordering::Relaxed), park),
            Ok(1)
        );
        assert_eq!(got, 71);
        // The rest of this test wants slot 0 at message 4.
        assert_eq!(push1(&mut p, 72, park), Ok(1));
        assert_eq!(pop1(&mut c, park), Ok(Some(72)));
        seq(&m, 4).store(0, Ordering::Relaxed);
        // A slot holding the previous lap's sequence (message 0's, as if its store
        // had happened) is not taken before `tail` says so.
        assert_eq!(m.ctl.head.load(Ordering::Relaxed), 4);
        assert_eq!(
            seq(&m, 5).load(Ordering::Relaxed),
            0,
            "zeroed above, as a never-written slot"
        );
        seq(&m, 4).store(1, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(None));
        // Garbage in a sequence: never an index, just "not published".
        seq(&m, 4).store(u64::MAX, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(None));
        assert_eq!(push1(&mut p, 11, park), Ok(1));
        assert_eq!(pop1(&mut c, park), Ok(Some(11)));
    }

    #[test]
    fn a_new_producer_marks_committed_messages_its_predecessor_left_unmarked() {
        let m = mem();
        let ring = Ring::<4>::new(&m.ctl, &m.slots, 2).unwrap();
        let mut c = RingConsumer::new(ring).unwrap();
        let park = &mut NoPark::default();
        {
            let mut dead = RingProducer::new(ring).unwrap();
            for v in [1, 2, 3] {
                assert_eq!(push1(&mut dead, v, park), Ok(1));
            }
        }
        assert_eq!(pop1(&mut c, park), Ok(Some(1)));
        // Killed between `tail` and `seq` for messages 1 and 2.
        seq(&m, 1).store(0, Ordering::Relaxed);
        seq(&m, 2).store(0, Ordering::Relaxed);
        assert_eq!(
            pop1(&mut c, park),
            Ok(None),
            "a polling pop does not see it yet"
        );
        let mut next = RingProducer::new(ring).unwrap();
        assert_eq!(
            seq(&m, 1).load(Ordering::Relaxed),
            3,
            "head's slot: up to tail"
        );
        assert_eq!(seq(&m, 2).load(Ordering::Relaxed), 0);
        assert_eq!(seq(&m, 3).load(Ordering::Relaxed), 0, "nothing beyond tail");
        assert_eq!(pop1(&mut c, park), Ok(Some(2)));
        assert_eq!(pop1(&mut c, park), Ok(Some(3)));
        assert_eq!(push1(&mut next, 4, park), Ok(1));
        assert_eq!(pop1(&mut c, park), Ok(Some(4)));
    }

    #[test]
    fn a_close_ends_the_stream_after_the_last_message_only() {
        for fill in 0..=4u64 {
            let m = mem();
            let (mut p, mut c) = sides(&m);
            let park = &mut NoPark::default();
            // Around the ring once, so every slot's `seq` holds an older lap.
            for v in 0..4 {
                assert_eq!(push1(&mut p, v, park), Ok(1));
                assert_eq!(pop1(&mut c, park), Ok(Some(v)));
            }
            for v in 0..fill {
                assert_eq!(push1(&mut p, 10 + v, park), Ok(1));
            }
            m.ctl.consumer_waiting.store(1, Ordering::Relaxed); // a parked consumer
            p.close(park);
            assert_eq!(park.wakes, 1, "fill {fill}: the close wakes it");
            assert_eq!(m.ctl.is_closed(), Ok(true));
            // The marker sits in the slot after the last message: with a full ring,
            // the slot of the oldest unread one, which stays readable.
            assert_eq!(seq(&m, 4 + fill).load(Ordering::Relaxed), CLOSED_SEQ);
            for v in 0..fill {
                assert!(!c.is_finished());
                assert_eq!(pop1(&mut c, park), Ok(Some(10 + v)), "fill {fill}");
            }
            // Learnt on the first poll (the marker), not after TAIL_POLL_EVERY.
            assert_eq!(pop1(&mut c, park), Ok(None));
            assert!(c.is_finished(), "fill {fill}");
            assert_eq!(c.occupied(), Ok(0));
            // For good: what a peer pushes after the close is not taken.
            m.ctl.tail.store(4 + fill + 1, Ordering::Release);
            assert_eq!(pop1(&mut c, park), Ok(None));
            assert!(c.is_finished());
        }
    }

    #[test]
    fn a_close_without_its_marker_is_still_learnt() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        assert_eq!(push1(&mut p, 5, park), Ok(1));
        p.close(park);
        seq(&m, 1).store(0, Ordering::Relaxed); // as if the marker never came
        assert_eq!(pop1(&mut c, park), Ok(Some(5)));
        // A polling single pop: within one tail-poll period.
        for poll in 1..TAIL_POLL_EVERY {
            assert_eq!(pop1(&mut c, park), Ok(None), "poll {poll}");
        }
        assert_eq!(pop1(&mut c, park), Ok(None));
        assert!(c.is_finished());
        // A batch pop or an occupancy query: at once.
        let m = mem();
        let (mut p, mut c) = sides(&m);
        p.close(park);
        seq(&m, 0).store(0, Ordering::Relaxed);
        assert_eq!(c.pop(2, |_, _| unreachable!(), park), Ok(0));
        assert!(c.is_finished());
    }

    #[test]
    fn a_garbage_closed_word_is_corrupt_where_it_is_read() {
        let m = mem();
        let (mut p, mut c) = sides(&m);
        let park = &mut NoPark::default();
        assert_eq!(push1(&mut p, 1, park), Ok(1));
        for garbage in [2, 0xdead, u64::MAX] {
            m.ctl.closed.store(garbage, Ordering::Relaxed);
            assert_eq!(m.ctl.is_closed(), Err(Corrupt));
            // Read only once the ring is found empty: what is there comes first.
            assert_eq!(c.occupied(), Ok(1));
        }
        assert_eq!(pop1(&mut c, park), Ok(Some(1)));
        assert_eq!(c.pop(2, |_, _| unreachable!(), park), Err(Corrupt));
        assert_eq!(c.occupied(), Err(Corrupt));
        assert!(!c.is_finished());
        m.ctl.closed.store(OPEN, Ordering::Relaxed);
        assert_eq!(c.pop(2, |_, _| unreachable!(), park), Ok(0));
        assert!(!c.is_finished());
    }

    #[test]
    fn a_polling_single_pop_loads_tail_once_per_period() {
        let m = mem();
        let ring = Ring::<4>::new(&m.ctl, &m.slots, 2).unwrap();
        let mut c = RingConsumer::new(ring).unwrap();
        let park = &mut NoPark::default();
        // A tail that would be refused shows exactly when it is loaded.
        m.ctl.tail.store(99, Ordering::Relaxed);
        for round in 0..3 {
            for poll in 1..TAIL_POLL_EVERY {
                assert_eq!(pop1(&mut c, park), Ok(None), "round {round} poll {poll}");
            }
            assert_eq!(pop1(&mut c, park), Err(Corrupt), "round {round}");
        }
        // A hit restarts the count.
        m.ctl.tail.store(0, Ordering::Relaxed);
        for _ in 1..TAIL_POLL_EVERY {
            assert_eq!(pop1(&mut c, park), Ok(None));
        }
        assert!(store_words(
            &m.slots[1..3],
            &[3u64.to_ne_bytes(), (!3u64).to_ne_bytes()].concat()
        ));
        seq(&m, 0).store(1, Ordering::Relaxed);
        m.ctl.tail.store(1, Ordering::Relaxed);
        assert_eq!(pop1(&mut c, park), Ok(Some(3)));
        m.ctl.tail.store(99, Ordering::Relaxed);
        for _ in 1..TAIL_POLL_EVERY {
            assert_eq!(pop1(&mut c, park), Ok(None));
        }
        assert_eq!(pop1(&mut c, park), Err(Corrupt));
    }
}
