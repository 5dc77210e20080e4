//! The many-producer single-consumer ring behind `Mpsc<T, N>`: `N` slots (a
//! power of two), a table of `P` producer registrations, claims by compare-exchange
//! on a shared `tail`, a per-slot sequence word as the commit point, and the
//! detection of claims abandoned by producers that died between claiming a slot and
//! publishing it.
//!
//! # Byte layout
//!
//! | offset | field | written by | meaning |
//! |---:|---|---|---|
//! | 0..128 | [`Header`] | creator | `kind` = 4 ([`Kind::Mpsc`](crate::layout::Kind::Mpsc)), `capacity` = `N`, `data_offset` = [`slots_offset`]`(P)` |
//! | 128 | `tail` | producers (compare-exchange only) | positions ever claimed (free-running `u64`) |
//! | 136 | `consumer_waiting` | consumer sets (and clears when it stops waiting), a producer clears to wake it | non-zero: the consumer is (about to be) parked |
//! | 144 | `barrier` | creator | 1: asymmetric wake check ([`Barrier::Asymmetric`]); anything else: symmetric |
//! | 152 | `producers` | creator | `P`, the producer table's entries (1..=[`MAX_PRODUCERS`]) |
//! | 160..256 | padding | — | zero |
//! | 256 | `head` | consumer | positions ever consumed or skipped (free-running `u64`; may lag the slots' `seq`, see "Crashes") |
//! | 264 | `producers_waiting` | producer `j` sets bit `j`, the consumer swaps the word to 0 to wake them | bit `j`: producer `j` is (about to be) parked |
//! | 272 | `consumer_pid` | consumer | pid of the role's holder, 0 when released |
//! | 280 | `abandoned` | consumer | claims skipped because their claimer's registration had ended |
//! | 288..384 | padding | — | zero |
//! | 384 + 128·j | `reg` of entry `j` | producers, reclaimers | registration epoch: even = free, odd = registered; +1 at every registration and every end of one |
//! | 384 + 128·j + 8 | `claim` of entry `j` | entry `j`'s registrant | `k + 1` while claiming position `k` (announced before the claim, kept until the next one); 0: none |
//! | 384 + 128·j + 16 | `pid` of entry `j` | entry `j`'s registrant | its pid (informational) |
//! | 384 + 128·j + 24 | `wait` of entry `j` | entry `j`'s registrant sets [`WAITING_WORD`] before announcing its bit, the consumer that takes the bit clears it | [`WAITING_WORD`]: producer `j` waits asynchronously on this word (futex), not on its semaphore (layout version 7) |
//! | 384 + 128·j + 32..+128 | padding | — | zero |
//! | D + i·S | `seq` of slot `i` | producers, consumer | the slot's state for position `k` (below); `D` = [`slots_offset`]`(P)` = 384 + 128·P |
//! | D + i·S + 8 | payload of slot `i` | the claimer of its position | `i` in `0..N`; `S` = 8 + `size_of::<T>()` rounded up to 8 |
//!
//! Position `k` (counting from 0) lives in slot `k & (N - 1)`. A slot's `seq` is
//! `k << 2 | state` for the position it belongs to, with `state` one of
//! [`SEQ_FREE`] (free for `k`: not yet claimed, or claimed and not yet published),
//! [`SEQ_PUBLISHED`] (the message of position `k` is in the payload) and
//! [`SEQ_CANCELLED`] (the claimer gave position `k` up). The creator writes
//! `FREE(i)` into slot `i`. Positions are taken modulo 2^62 inside `seq`, which no
//! run reaches (2^62 messages at 10^9 a second is 146 years).
//!
//! # Protocol
//!
//! - **Registration.** A producer takes a free entry `j` by compare-exchange of its
//!   even `reg` to `reg + 1` (its *registration*, an odd number), resets the
//!   entry's `claim` to 0 and wakes the consumer if it is parked (a stale `claim`
//!   it replaced may have kept the consumer waiting, below). Leaving cancels an
//!   outstanding claim, then moves `reg` to the next even number. A registration
//!   whose process died is ended by whoever learns of the death
//!   ([`MpscRing::reclaim`], the typed layer after its `SEM_UNDO` check), which
//!   moves `reg` on in the same way. The epoch never repeats, so a claim recorded
//!   under one registration is never confused with a later registration of the
//!   same entry.
//! - **Claim.** The producer loads `tail = k` and the `seq` of slot `k`
//!   (Acquire). `FREE(k)`: it announces `claim = k + 1` in its entry (Release), then
//!   compare-exchanges `tail` from `k` to `k + 1` (Release); the winner owns
//!   position `k`, a loser retries with the `tail` it read. A `seq` of an older
//!   lap: the ring is full. A newer one: `tail` has moved; reload it. Because the
//!   announcement precedes the compare-exchange, a consumer whose Acquire load
//!   of `tail` returns more than `k` (the winner's compare-exchange or a later one
//!   in its release sequence) sees the winner's announcement, or a later value of
//!   its `claim`, stored after its publish.
//! - **Publish / cancel.** The winner writes the payload with Relaxed word stores
//!   and stores `PUBLISHED(k)` (or `CANCELLED(k)`) into the slot's `seq` with
//!   Release, then runs the wake check on `consumer_waiting`. One claim at a time:
//!   a batch claim would need its range recorded atomically with it, which one
//!   announcement word cannot hold next to a free-running position; the consumer
//!   still takes batches.
//! - **Consume.** The consumer at `head = k` loads `seq` (Acquire). `PUBLISHED(k)`:
//!   the payload is visible; after reading it (in place, a loan) it stores
//!   `FREE(k + N)` (Release) into `seq`, then `head` (Release), then runs the wake
//!   check on `producers_waiting`. `CANCELLED(k)`: the same, without a message.
//!   `FREE(k)`: it loads `tail` (Acquire); `tail == k` is empty. Otherwise `k` is
//!   claimed and not yet published, and the consumer looks for the claimer: every
//!   entry whose `reg` (Acquire) is odd and whose `claim` (Acquire) is `k + 1`.
//!   If [`ConsumerParking::is_alive`] says any of those registrations lives, it
//!   waits (the claim is *pending*: a slow producer is never skipped). If none
//!   does, the claim is *abandoned*: a compare-exchange of `seq` from `FREE(k)` to
//!   `FREE(k + N)` skips it, counted in `abandoned` and reported through
//!   [`ConsumerParking::abandoned`]. Several entries may claim `k` (losers of the
//!   compare-exchange that have not re-announced yet, or died before they could):
//!   the winner is one of them, hence "any alive". An entry whose `claim` moved
//!   on published `k` first (it announces only after publishing), so the
//!   compare-exchange fails and the consumer takes the message.
//! - **Why a skip loses nothing else.** The consumer skips only when every
//!   registration that could hold the claim has ended. A registration ends by
//!   death, after which its process stores nothing (the kernel undoes its
//!   `SEM_UNDO` adjustments after the last of its threads has stopped), or by
//!   leaving or being reclaimed, which the contract of
//!   [`ConsumerParking::is_alive`] and [`MpscProducer::leave`] orders after the
//!   producer's last store. So no publish can follow the skip; the
//!   compare-exchange covers one that preceded it. The payload half-written by
//!   the dead producer is overwritten by the next claimer of the slot.
//! - **Stale claims.** A new registrant of an entry resets `claim` after taking
//!   the entry; until then the consumer may attribute the dead predecessor's
//!   `claim` to the new, live registration and wait. The registrant's wake check
//!   after the reset ends that wait.
//! - **Park/wake.** As in the SPSC ring (`ring.rs`, "Park/wake" and "Why the
//!   asymmetric pair is enough"), with the same barrier pairs: a side that must
//!   wait announces, runs the heavy barrier, re-checks and parks only if nothing
//!   moved; the other side, after its store, runs the light barrier and takes the
//!   announcement. The consumer announces in `consumer_waiting`; every producer
//!   after a publish, cancel or registration swaps it to 0 if set and wakes the
//!   consumer ([`Parking::unpark_peer`]): one wake per park, whichever producer
//!   takes it. Producer `j` announces bit `j` of `producers_waiting`
//!   (fetch-or); the consumer after a release or skip swaps the word to 0 and
//!   wakes every producer whose bit it took
//!   ([`ConsumerParking::unpark_producer`], a semaphore per producer in the typed
//!   layer). All of them, not one: any of them may be the one whose next claim
//!   succeeds, and a producer woken for nothing re-checks and parks again. A
//!   producer that withdraws its announcement (fetch-and) and finds its bit
//!   already taken absorbs the wake it is owed ([`Parking::absorb_wake`]).
//!   An asynchronous producer ([`MpscProducer::arm`], layout version 7) first
//!   stores [`WAITING_WORD`] in its entry's `wait`, then sets its bit with
//!   Release; the consumer's swap of the bitmap is Acquire, and for each bit it
//!   took it swaps that entry's `wait`: [`WAITING_WORD`] is a futex wake of the
//!   word ([`Parking::wake_word`]), anything else the semaphore post.
//!   A consumer waiting on a pending claim is woken by its publish, or, if the
//!   claimer dies, by the typed layer (a post the kernel makes on the death; see
//!   [`ConsumerParking::is_alive`]).
//! - **Crashes.** A producer killed before its compare-exchange leaves at most a
//!   stale announcement, which matches no claimed position or is outlived by the
//!   winner's; one killed after it leaves a pending claim that the consumer skips
//!   once the registration is seen ended. A consumer releases slots (`seq`) before
//!   storing `head`, so a consumer killed in between leaves `head` behind slots
//!   already handed back: the next consumer ([`MpscConsumer::new`]) moves `head`
//!   over every slot whose `seq` already says `FREE(head + N)`.
//!
//! # Never trusting the segment
//!
//! Slot numbers are masked with the compile-time `N`, entry numbers bounded by
//! the table the ring was built over. A `seq` at the consumer's `head` that is
//! none of the three states of `head` is [`Corrupt`]; so is `tail - head > N`
//! for the consumer, and for a producer a full ring whose `tail` is more than
//! `2N` positions past `head`, a `head` past an unmoved `tail`, or a `seq` ahead
//! of an unmoved `tail`. `reg`,
//! `claim` and the waiting words only decide whom to wait for or wake: garbage
//! there can delay the consumer or make it skip a claim (a peer that writes the
//! segment can lose messages anyway), never read or write out of bounds.

use core::marker::PhantomData;

use crate::layout::bit_waiter;
use crate::layout::header::Header;
use crate::layout::ring::{AnyWords, PayloadWords};
use crate::layout::ring::{
    Barrier, Corrupt, Parking, RingError, WAITING_SEM, WAITING_WORD, announce, take_waiter,
    wake_peer, withdraw,
};
use crate::sync::{AtomicU64, Ordering, fence, light_barrier, spin_loop};

/// Offset of the producer table (entry 0), right after the control block.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::{MpscCtl, TABLE_OFFSET};
///
/// assert_eq!(size_of::<MpscCtl>(), TABLE_OFFSET);
/// ```
pub const TABLE_OFFSET: usize = 384;

/// Words per producer table entry: `reg`, `claim`, `pid`, then padding to 128
/// bytes, so that producers announcing claims do not share a line.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::{LINE, WORD, mpsc::ENTRY_WORDS};
///
/// assert_eq!(ENTRY_WORDS * WORD, LINE);
/// ```
pub const ENTRY_WORDS: usize = 16;

/// The most producer entries a ring can have: one bit each in
/// `producers_waiting`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::MAX_PRODUCERS;
///
/// assert_eq!(MAX_PRODUCERS, u64::BITS as usize);
/// ```
pub const MAX_PRODUCERS: usize = 64;

/// State bits of a slot's `seq`: free for its position (not claimed, or claimed
/// and not yet published).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::{SEQ_CANCELLED, SEQ_FREE, SEQ_PUBLISHED};
///
/// // Position 5, in each state.
/// assert_eq!([5 << 2 | SEQ_FREE, 5 << 2 | SEQ_PUBLISHED, 5 << 2 | SEQ_CANCELLED], [20, 21, 22]);
/// ```
pub const SEQ_FREE: u64 = 0;

/// State bits of a slot's `seq`: the message of its position is published.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::SEQ_PUBLISHED;
///
/// assert_eq!(SEQ_PUBLISHED, 1);
/// ```
pub const SEQ_PUBLISHED: u64 = 1;

/// State bits of a slot's `seq`: its claimer gave the position up.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::SEQ_CANCELLED;
///
/// assert_eq!(SEQ_CANCELLED, 2);
/// ```
pub const SEQ_CANCELLED: u64 = 2;

const fn seq_of(position: u64, state: u64) -> u64 {
    position.wrapping_shl(2) | state
}

/// Offset of slot 0 in a ring with `producers` table entries: the header's
/// `data_offset`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::slots_offset;
///
/// assert_eq!(slots_offset(8), 384 + 8 * 128);
/// ```
pub const fn slots_offset(producers: usize) -> usize {
    TABLE_OFFSET + producers * ENTRY_WORDS * crate::layout::WORD
}

/// Bytes of an MPSC ring's layout: the control block, `producers` table
/// entries, then `capacity` slots of a `seq` word and `slot_words` payload
/// words; `None` past `isize::MAX`. The one formula [`Mpsc`](crate::mpsc::Mpsc)
/// and [`info::needs`](crate::info::needs) use.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::{layout_size, slots_offset};
///
/// assert_eq!(layout_size(8, 2, 1), Some(slots_offset(2) + 8 * 16));
/// ```
pub const fn layout_size(capacity: usize, producers: usize, slot_words: usize) -> Option<usize> {
    let Some(stride) = slot_words.checked_add(1) else {
        return None;
    };
    let Some(slots) = capacity.checked_mul(stride) else {
        return None;
    };
    let Some(table) = producers.checked_mul(ENTRY_WORDS) else {
        return None;
    };
    let Some(words) = slots.checked_add(table) else {
        return None;
    };
    match words.checked_mul(crate::layout::WORD) {
        Some(n) if n <= isize::MAX as usize - TABLE_OFFSET => Some(TABLE_OFFSET + n),
        _ => None,
    }
}

/// The control block of an MPSC ring: header, producers' line, consumer's line
/// (384 bytes). The producer table and the slots follow.
///
/// # Examples
///
/// ```
/// use core::mem::offset_of;
/// use sysv_ipc::layout::mpsc::MpscCtl;
///
/// assert_eq!(offset_of!(MpscCtl, tail), 128);
/// assert_eq!(offset_of!(MpscCtl, head), 256);
/// assert_eq!(offset_of!(MpscCtl, abandoned), 280);
/// ```
#[repr(C, align(128))]
#[derive(Debug)]
pub struct MpscCtl {
    /// The segment header.
    pub header: Header,
    /// Positions claimed; moved by producers' compare-exchange only.
    pub tail: AtomicU64,
    /// Set by a consumer about to park; cleared by whoever wakes or un-parks it.
    pub consumer_waiting: AtomicU64,
    /// [`Barrier`] as a number (1: asymmetric, anything else: symmetric); written
    /// by the creator before the header is published, then only read.
    pub barrier: AtomicU64,
    /// `P`, the producer table's entries; written by the creator.
    pub producers: AtomicU64,
    /// Keeps `head` off the producers' 128 bytes.
    pub producer_pad: [AtomicU64; 12],
    /// Positions consumed or skipped; written by the consumer only.
    pub head: AtomicU64,
    /// Bit `j`: producer `j` is (about to be) parked.
    pub producers_waiting: AtomicU64,
    /// Pid of the consumer role's holder, 0 if released.
    pub consumer_pid: AtomicU64,
    /// Claims skipped as abandoned; written by the consumer only.
    pub abandoned: AtomicU64,
    /// Keeps the table off the consumer's 128 bytes.
    pub consumer_pad: [AtomicU64; 12],
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<MpscCtl>() == TABLE_OFFSET);
    assert!(offset_of!(MpscCtl, header) == 0);
    assert!(offset_of!(MpscCtl, tail) == 128);
    assert!(offset_of!(MpscCtl, consumer_waiting) == 136);
    assert!(offset_of!(MpscCtl, barrier) == 144);
    assert!(offset_of!(MpscCtl, producers) == 152);
    assert!(offset_of!(MpscCtl, producer_pad) == 160);
    assert!(offset_of!(MpscCtl, head) == 256);
    assert!(offset_of!(MpscCtl, producers_waiting) == 264);
    assert!(offset_of!(MpscCtl, consumer_pid) == 272);
    assert!(offset_of!(MpscCtl, abandoned) == 280);
    assert!(offset_of!(MpscCtl, consumer_pad) == 288);
};

impl MpscCtl {
    /// A zeroed control block (for models and tests; [`MpscRing::init`] sets it
    /// up).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::mpsc::MpscCtl;
    ///
    /// assert_eq!(MpscCtl::new().tail.load(Ordering::Relaxed), 0);
    /// ```
    pub fn new() -> MpscCtl {
        let zero = || AtomicU64::new(0);
        MpscCtl {
            header: Header::new(),
            tail: zero(),
            consumer_waiting: zero(),
            barrier: zero(),
            producers: zero(),
            producer_pad: core::array::from_fn(|_| zero()),
            head: zero(),
            producers_waiting: zero(),
            consumer_pid: zero(),
            abandoned: zero(),
            consumer_pad: core::array::from_fn(|_| zero()),
        }
    }

    /// The wake check recorded by the creator: 1 is [`Barrier::Asymmetric`], any
    /// other value [`Barrier::Symmetric`], which is correct whatever the peers do.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::{mpsc::MpscCtl, ring::Barrier};
    ///
    /// let ctl = MpscCtl::new();
    /// assert_eq!(ctl.barrier(), Barrier::Symmetric);
    /// ctl.barrier.store(1, Ordering::Relaxed);
    /// assert_eq!(ctl.barrier(), Barrier::Asymmetric);
    /// ```
    pub fn barrier(&self) -> Barrier {
        // Relaxed: written before READY, read after `attach`'s Acquire of READY.
        match self.barrier.load(Ordering::Relaxed) {
            1 => Barrier::Asymmetric,
            _ => Barrier::Symmetric,
        }
    }

    /// Claims skipped as abandoned so far (the consumer's count, advisory for an
    /// observer).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::mpsc::MpscCtl;
    ///
    /// assert_eq!(MpscCtl::new().abandoned(), 0);
    /// ```
    pub fn abandoned(&self) -> u64 {
        // Relaxed: a statistic; the consumer's own count is authoritative.
        self.abandoned.load(Ordering::Relaxed)
    }
}

impl Default for MpscCtl {
    fn default() -> Self {
        MpscCtl::new()
    }
}

/// What the consumer needs besides parking: who is alive, how to wake one
/// producer, and where to report a skipped claim. The consumer's
/// [`Parking::unpark_peer`] is never called (producers are woken one by one).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::mpsc::ConsumerParking;
/// use sysv_ipc::layout::ring::Parking;
///
/// /// Producer 1 is dead; wakes are counted.
/// struct Env { woken: u32 }
/// impl Parking for Env {
///     type Error = ();
///     fn park(&mut self) -> Result<(), ()> { Err(()) }
///     fn unpark_peer(&mut self) {}
///     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// }
/// impl ConsumerParking for Env {
///     fn is_alive(&mut self, producer: usize, _registration: u64) -> bool { producer != 1 }
///     fn unpark_producer(&mut self, _producer: usize) { self.woken += 1; }
/// }
/// let mut env = Env { woken: 0 };
/// assert!(env.is_alive(0, 1) && !env.is_alive(1, 1));
/// ```
pub trait ConsumerParking: Parking {
    /// Whether `registration` (an odd `reg` value just read from entry
    /// `producer`) is still in force. Return false only once that registration
    /// has ended and its holder will store nothing more into the ring: its
    /// process died (`SEM_UNDO` undone: the typed layer's check), or `reg` has
    /// moved on. Returning true for a dead one only keeps the consumer waiting;
    /// the typed layer must then wake it when the death happens (a post the
    /// kernel makes through a `SEM_UNDO` adjustment of the consumer's semaphore
    /// taken at registration), or the consumer waits until its deadline.
    fn is_alive(&mut self, producer: usize, registration: u64) -> bool;

    /// Wakes producer `producer`'s park (it announced bit `producer` of
    /// `producers_waiting`).
    fn unpark_producer(&mut self, producer: usize);

    /// The claim of `position` was skipped: every registration that could hold it
    /// had ended. `producer` is one of those entries (`None`: none was found,
    /// its announcement already reset by a new registrant). The default does
    /// nothing; the consumer counts skips itself ([`MpscConsumer::abandoned`]).
    fn abandoned(&mut self, position: u64, producer: Option<usize>) {
        let _ = (position, producer);
    }
}

/// The ring over a control block and its data words: `P` producer entries of
/// [`ENTRY_WORDS`] words, then `N` slots, each a `seq` word and `slot_words`
/// payload words ([`MpscRing::words`]).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
/// use sysv_ipc::layout::ring::{Barrier, Parking};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
/// # impl ConsumerParking for NoPark {
/// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
/// #     fn unpark_producer(&mut self, _: usize) {}
/// # }
///
/// // Local memory standing in for a segment: 2 producers, 4 slots of 1 word.
/// let ctl = MpscCtl::new();
/// let data: [AtomicU64; MpscRing::<4>::words(2, 1)] = core::array::from_fn(|_| AtomicU64::new(0));
/// let ring = MpscRing::<4>::new(&ctl, &data, 2, 1).unwrap();
/// ring.init(Barrier::Symmetric);
/// let mut a = MpscProducer::register(ring, 100, &mut NoPark).unwrap();
/// let mut b = MpscProducer::register(ring, 200, &mut NoPark).unwrap();
/// let mut c = MpscConsumer::new(ring).unwrap();
/// assert_eq!(a.push(|s| s[0].store(1, Ordering::Relaxed), &mut NoPark), Ok(true));
/// assert_eq!(b.push(|s| s[0].store(2, Ordering::Relaxed), &mut NoPark), Ok(true));
/// let mut got = Vec::new();
/// assert_eq!(c.pop(8, |_, s| got.push(s[0].load(Ordering::Relaxed)), &mut NoPark), Ok(2));
/// assert_eq!(got, [1, 2]);
/// ```
#[derive(Copy, Clone, Debug)]
pub struct MpscRing<'a, const N: usize, W: PayloadWords = AnyWords> {
    ctl: &'a MpscCtl,
    table: &'a [AtomicU64],
    slots: &'a [AtomicU64],
    producers: usize,
    slot_words: usize,
    words: PhantomData<W>,
}

impl<'a, const N: usize> MpscRing<'a, N> {
    /// Data words of a ring with `producers` entries and `N` slots of
    /// `slot_words` payload words (saturating, which no slice can match).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::mpsc::MpscRing;
    ///
    /// assert_eq!(MpscRing::<4>::words(2, 1), 2 * 16 + 4 * 2);
    /// ```
    pub const fn words(producers: usize, slot_words: usize) -> usize {
        producers
            .saturating_mul(ENTRY_WORDS)
            .saturating_add(N.saturating_mul(slot_words.saturating_add(1)))
    }

    /// The ring over `ctl` and `data`; `None` unless `producers` is in
    /// `1..=`[`MAX_PRODUCERS`], `slot_words > 0`, and `data` has exactly
    /// [`words`](Self::words)`(producers, slot_words)` words. Reads nothing from
    /// shared memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscRing};
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// assert!(MpscRing::<2>::new(&ctl, &data, 1, 1).is_some());
    /// assert!(MpscRing::<2>::new(&ctl, &data, 0, 1).is_none()); // no producer entry
    /// assert!(MpscRing::<2>::new(&ctl, &data, 1, 2).is_none()); // wrong size
    /// ```
    pub fn new(
        ctl: &'a MpscCtl,
        data: &'a [AtomicU64],
        producers: usize,
        slot_words: usize,
    ) -> Option<Self> {
        Self::with_words(ctl, data, producers, slot_words)
    }
}

impl<'a, const N: usize, W: PayloadWords> MpscRing<'a, N, W> {
    /// [`MpscRing::new`] for a ring whose type fixes its payload words
    /// ([`PayloadWords`]): `None` also when `W::WORDS` is neither 0 nor
    /// `slot_words`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscRing};
    /// use sysv_ipc::layout::ring::AnyWords;
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// assert!(MpscRing::<2, AnyWords>::with_words(&ctl, &data, 1, 1).is_some());
    /// ```
    pub fn with_words(
        ctl: &'a MpscCtl,
        data: &'a [AtomicU64],
        producers: usize,
        slot_words: usize,
    ) -> Option<Self> {
        const {
            assert!(
                N.is_power_of_two(),
                "the ring's capacity must be a power of two"
            );
        }
        if producers == 0
            || producers > MAX_PRODUCERS
            || slot_words == 0
            || slot_words == usize::MAX
            || data.len() != MpscRing::<'a, N>::words(producers, slot_words)
            || (W::WORDS != 0 && W::WORDS != slot_words)
        {
            return None;
        }
        let (table, slots) = data.split_at_checked(producers * ENTRY_WORDS)?;
        Some(MpscRing {
            ctl,
            table,
            slots,
            producers,
            slot_words,
            words: PhantomData,
        })
    }

    /// The creator's initialisation (between [`Header::begin_init`] and
    /// [`Header::publish`], which publishes it): the wake check every side will
    /// use, `P`, empty indices and table, and `FREE(i)` in each slot `i`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscRing};
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Asymmetric);
    /// assert_eq!(ctl.producers.load(Ordering::Relaxed), 1);
    /// assert_eq!(data[16 + 2].load(Ordering::Relaxed), 1 << 2); // slot 1: free for position 1
    /// ```
    pub fn init(&self, barrier: Barrier) {
        // Relaxed throughout: published by the header's Release store of READY.
        let c = self.ctl;
        c.barrier.store(barrier as u64, Ordering::Relaxed);
        c.producers.store(self.producers as u64, Ordering::Relaxed);
        for word in [
            &c.tail,
            &c.consumer_waiting,
            &c.head,
            &c.producers_waiting,
            &c.consumer_pid,
            &c.abandoned,
        ] {
            word.store(0, Ordering::Relaxed);
        }
        for word in self.table {
            word.store(0, Ordering::Relaxed);
        }
        for i in 0..N {
            if let Some((seq, _)) = self.slot(i as u64) {
                seq.store(seq_of(i as u64, SEQ_FREE), Ordering::Relaxed);
            }
        }
    }

    /// The control block.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscRing};
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// assert!(core::ptr::eq(ring.ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a MpscCtl {
        self.ctl
    }

    /// `P`, the producer table's entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscRing};
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(3, 1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// assert_eq!(MpscRing::<2>::new(&ctl, &data, 3, 1).unwrap().producers(), 3);
    /// ```
    pub fn producers(&self) -> usize {
        self.producers
    }

    /// The registration in force in entry `producer` (its odd `reg`), or `None`
    /// if the entry is free or out of range. Advisory: it may end or begin at
    /// any time.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(2, 1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let ring = MpscRing::<2>::new(&ctl, &data, 2, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let p = MpscProducer::register(ring, 42, &mut NoPark).unwrap();
    /// assert_eq!(ring.registration(0), Some(1));
    /// assert_eq!(ring.registration(1), None);
    /// p.leave(&mut NoPark);
    /// assert_eq!(ring.registration(0), None);
    /// ```
    pub fn registration(&self, producer: usize) -> Option<u64> {
        // Acquire: pairs with the registrant's compare-exchange, for a caller
        // that goes on to read the entry's other words.
        let reg = self.entry(producer)?.reg.load(Ordering::Acquire);
        (reg & 1 == 1).then_some(reg)
    }

    /// Ends `registration` of entry `producer`, whose process is known to be dead
    /// (the typed layer's `SEM_UNDO` check): `reg` moves to the next even value,
    /// freeing the entry, and the consumer from then on skips the claims it left.
    /// False if `registration` is not the one in force (ended already, or never
    /// was). Calling it on a live registration breaks the exactly-once delivery of
    /// that producer's pending claim.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let dead = MpscProducer::register(ring, 42, &mut NoPark).unwrap();
    /// let reg = dead.registration();
    /// core::mem::forget(dead); // its process "died"
    /// assert!(MpscProducer::register(ring, 43, &mut NoPark).is_none()); // table full
    /// assert!(ring.reclaim(0, reg));
    /// assert!(!ring.reclaim(0, reg)); // once
    /// let next = MpscProducer::register(ring, 43, &mut NoPark).unwrap();
    /// assert_eq!(next.registration(), reg + 2); // a new epoch
    /// ```
    pub fn reclaim(&self, producer: usize, registration: u64) -> bool {
        if registration & 1 == 0 {
            return false;
        }
        let Some(Entry { reg, .. }) = self.entry(producer) else {
            return false;
        };
        // AcqRel: as a leave (Release), after the reclaimer's own check; Acquire
        // orders a later reuse of the entry after the dead holder's stores.
        reg.compare_exchange(
            registration,
            registration.wrapping_add(1),
            Ordering::AcqRel,
            Ordering::Relaxed,
        )
        .is_ok()
    }

    /// The words of entry `j`.
    fn entry(&self, j: usize) -> Option<Entry<'a>> {
        let e = self
            .table
            .get(j.checked_mul(ENTRY_WORDS)?..)?
            .get(..ENTRY_WORDS)?;
        match e {
            [reg, claim, pid, wait, ..] => Some(Entry {
                reg,
                claim,
                pid,
                wait,
            }),
            _ => None,
        }
    }

    /// The `seq` word and payload words of the slot of `position`.
    // Unchecked and by pointer, as the ring's `slot` (never `None` any more; the
    // callers' `Corrupt` for it stays as a fallback): on every send and receive,
    // where the checked slice over a runtime stride cost 25 of a send and
    // receive pair's instructions (callgrind).
    #[inline]
    fn slot(&self, position: u64) -> Option<(&'a AtomicU64, &'a [AtomicU64])> {
        // Masked with our compile-time N: whatever `position` is, in range.
        let i = (position as usize) & (N - 1);
        // A constant when the type fixes it (then equal to `slot_words`, which
        // `with_words` checked).
        let words = if W::WORDS != 0 {
            W::WORDS
        } else {
            self.slot_words
        };
        // SAFETY: `new` checked that `slots` holds `N` whole slots of
        // `slot_words >= 1` payload words, and the fields never change; `i < N`.
        Some(unsafe { crate::layout::slot_at(self.slots, i, words) })
    }
}

/// A producer's side of an [`MpscRing`]: its registration (entry and epoch) and
/// at most one outstanding claim.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
/// use sysv_ipc::layout::ring::{Barrier, Parking};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
///
/// let ctl = MpscCtl::new();
/// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
/// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
/// ring.init(Barrier::Symmetric);
/// let mut p = MpscProducer::register(ring, 7, &mut NoPark).unwrap();
/// assert_eq!(p.push(|s| s[0].store(1, Ordering::Relaxed), &mut NoPark), Ok(true));
/// assert_eq!(p.push(|s| s[0].store(2, Ordering::Relaxed), &mut NoPark), Ok(true));
/// assert_eq!(p.push(|_| unreachable!(), &mut NoPark), Ok(false)); // full
/// ```
#[derive(Debug)]
pub struct MpscProducer<'a, const N: usize, W: PayloadWords = AnyWords> {
    ring: MpscRing<'a, N, W>,
    index: usize,
    registration: u64,
    /// The position claimed and not yet committed or cancelled.
    claim: Option<u64>,
    barrier: Barrier,
}

impl<'a, const N: usize, W: PayloadWords> MpscProducer<'a, N, W> {
    /// Registers in the first free entry of the producer table, recording `pid`;
    /// `None` if every entry is taken. Wakes a parked consumer (the entry's old
    /// `claim`, now reset, may have kept it waiting).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(2, 1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let ring = MpscRing::<2>::new(&ctl, &data, 2, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let a = MpscProducer::register(ring, 10, &mut NoPark).unwrap();
    /// let b = MpscProducer::register(ring, 11, &mut NoPark).unwrap();
    /// assert_eq!((a.index(), b.index()), (0, 1));
    /// assert!(MpscProducer::register(ring, 12, &mut NoPark).is_none());
    /// assert_eq!(data[16 + 2].load(Ordering::Relaxed), 11); // entry 1's pid
    /// ```
    pub fn register<P: Parking>(
        ring: MpscRing<'a, N, W>,
        pid: u64,
        parking: &mut P,
    ) -> Option<Self> {
        let barrier = ring.ctl.barrier();
        for index in 0..ring.producers {
            let Entry {
                reg,
                claim,
                pid: pid_word,
                wait,
            } = ring.entry(index)?;
            // Relaxed: a hint; the compare-exchange decides.
            let seen = reg.load(Ordering::Relaxed);
            if seen & 1 == 1 {
                continue;
            }
            let registration = seen.wrapping_add(1);
            // Acquire: pairs with the Release of the entry's last leave or
            // reclaim, so our reset below comes after every store of the
            // previous holder in `claim`'s order.
            if reg
                .compare_exchange(seen, registration, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                continue;
            }
            // Release: a consumer whose Acquire load reads the reset sees the
            // entry taken (no claim is attributed to us before our first one).
            claim.store(0, Ordering::Release);
            // Relaxed: informational.
            pid_word.store(pid, Ordering::Relaxed);
            // Relaxed: a dead predecessor's asynchronous announcement must not
            // make the consumer futex-wake us instead of posting our semaphore;
            // our own stores to it come after (program order).
            wait.store(0, Ordering::Relaxed);
            // A consumer waiting on the stale claim we just reset: its re-check
            // after its barrier sees the reset, or this sees its flag.
            let taken = take_waiter(&ring.ctl.consumer_waiting, barrier);
            if taken != 0 {
                wake_peer(parking, &ring.ctl.consumer_waiting, taken);
            }
            return Some(MpscProducer {
                ring,
                index,
                registration,
                claim: None,
                barrier,
            });
        }
        None
    }

    /// The table entry this producer holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// assert_eq!(MpscProducer::register(ring, 1, &mut NoPark).unwrap().index(), 0);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// This registration's epoch: the odd `reg` value it set.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// assert_eq!(p.registration(), 1);
    /// p.leave(&mut NoPark);
    /// assert_eq!(MpscProducer::register(ring, 1, &mut NoPark).unwrap().registration(), 3);
    /// ```
    pub fn registration(&self) -> u64 {
        self.registration
    }

    /// Claims the next position without blocking: true if this producer now holds
    /// a claim (it may already have held one), false if the ring is full. Write
    /// the payload through [`reserved`](Self::reserved), then
    /// [`commit`](Self::commit) or [`cancel`](Self::cancel).
    ///
    /// # Errors
    ///
    /// [`Corrupt`] if `tail` is impossible: a slot ahead of an unmoved `tail`, a
    /// full ring more than `2N` positions ahead of `head`, or behind it.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// assert_eq!(p.reserve(), Ok(true));
    /// p.reserved()[0].store(9, Ordering::Relaxed);
    /// assert_eq!(c.peek(1, &mut NoPark), Ok(0)); // claimed, not published: pending
    /// assert!(p.commit(&mut NoPark));
    /// assert_eq!(c.peek(1, &mut NoPark), Ok(1));
    /// ```
    #[inline]
    pub fn reserve(&mut self) -> Result<bool, Corrupt> {
        if self.claim.is_some() {
            return Ok(true);
        }
        let ctl = self.ring.ctl;
        let claim = self.ring.entry(self.index).ok_or(Corrupt)?.claim;
        // Relaxed: only a guess of the next position; the `seq` load below and the
        // compare-exchange decide.
        let mut pos = ctl.tail.load(Ordering::Relaxed);
        loop {
            let (seq, _) = self.ring.slot(pos).ok_or(Corrupt)?;
            // Acquire: pairs with the consumer's Release store of FREE(pos) after
            // its reads of the slot's previous message (or its skip), so our
            // payload stores come after them.
            let s = seq.load(Ordering::Acquire);
            if s == seq_of(pos, SEQ_FREE) {
                // Release: with the compare-exchange's Release below, a consumer
                // that sees the claim sees this; and a consumer whose Acquire load
                // reads a later announcement sees our earlier publishes.
                claim.store(pos.wrapping_add(1), Ordering::Release);
                // Release: publishes the announcement to a consumer whose Acquire
                // load of `tail` reads this or a later value of the release
                // sequence (every later change of `tail` is a read-modify-write).
                // Relaxed on failure: we only retry with the value read.
                match ctl.tail.compare_exchange(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        self.claim = Some(pos);
                        return Ok(true);
                    }
                    Err(now) => {
                        pos = now;
                        continue;
                    }
                }
            }
            // Signed distance, within the 62 bits a `seq` keeps, from the
            // position we want to the one the slot is at.
            let ahead = ((s >> 2).wrapping_sub(pos) << 2) as i64;
            if ahead < 0 {
                // An older lap: full, unless `tail` is garbage.
                // Acquire: pairs with the consumer's Release store of `head`.
                let head = ctl.head.load(Ordering::Acquire);
                let behind = pos.wrapping_sub(head);
                if behind as i64 >= 0 {
                    if behind > 2 * N as u64 {
                        return Err(Corrupt);
                    }
                    return Ok(false);
                }
                // `head` past `pos`: between our loads of `seq` and `head`, the
                // consumer freed the slot and other producers claimed `pos` and
                // more, which the consumer took. Their claims happened before
                // the `head` we read, so `tail` has moved past it; one that has
                // not is garbage (and this retry loop stays bounded).
                // Relaxed: ordered after the claims by the Acquire above.
                let now = ctl.tail.load(Ordering::Relaxed);
                if now == pos {
                    return Err(Corrupt);
                }
                pos = now;
                continue;
            }
            // The slot is ahead: another producer claimed `pos` (and the ring may
            // have moved on). Its claim happened before the `seq` we read, so a
            // `tail` still at `pos` is impossible.
            // Relaxed: as above.
            let now = ctl.tail.load(Ordering::Relaxed);
            if now == pos {
                return Err(Corrupt);
            }
            pos = now;
        }
    }

    /// [`reserve`](Self::reserve), spinning `spins` times and then parking while
    /// the ring is full (module docs, "Park/wake").
    ///
    /// # Errors
    ///
    /// [`RingError::Corrupt`] as `reserve`; [`RingError::Park`] if parking, the
    /// heavy barrier or the deadline check failed. Never [`RingError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking, RingError};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<1>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<1>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// assert_eq!(p.reserve_blocking(10, &mut NoPark), Ok(()));
    /// assert!(p.commit(&mut NoPark));
    /// // Full: spins, then parks; this park fails instead of sleeping.
    /// assert_eq!(p.reserve_blocking(10, &mut NoPark), Err(RingError::Park(())));
    /// ```
    pub fn reserve_blocking<P: Parking>(
        &mut self,
        spins: u32,
        parking: &mut P,
    ) -> Result<(), RingError<P::Error>> {
        block(self, spins, parking)
    }

    /// The payload words of the claimed slot; empty without a claim.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 3)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 3).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// assert!(p.reserved().is_empty());
    /// assert_eq!(p.reserve(), Ok(true));
    /// assert!(core::ptr::eq(p.reserved(), &data[17..20])); // slot 0's payload
    /// ```
    pub fn reserved(&self) -> &'a [AtomicU64] {
        match self.claim.and_then(|pos| self.ring.slot(pos)) {
            Some((_, payload)) => payload,
            None => &[],
        }
    }

    /// Publishes the claimed slot and wakes a parked consumer; false without a
    /// claim.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// assert!(!p.commit(&mut NoPark));
    /// p.reserve().unwrap();
    /// assert!(p.commit(&mut NoPark));
    /// assert_eq!(data[16].load(Ordering::Relaxed), 0 << 2 | 1); // slot 0: position 0 published
    /// ```
    #[inline]
    pub fn commit<P: Parking>(&mut self, parking: &mut P) -> bool {
        self.finish(SEQ_PUBLISHED, parking)
    }

    /// Gives the claimed position up: the consumer skips it (not counted as
    /// abandoned). Wakes a parked consumer; false without a claim.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// p.reserve().unwrap();
    /// assert!(p.cancel(&mut NoPark));
    /// assert!(p.push(|s| s[0].store(5, Ordering::Relaxed), &mut NoPark).unwrap());
    /// let mut got = 0;
    /// assert_eq!(c.pop(2, |_, s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
    /// assert_eq!((got, c.abandoned()), (5, 0));
    /// ```
    pub fn cancel<P: Parking>(&mut self, parking: &mut P) -> bool {
        self.finish(SEQ_CANCELLED, parking)
    }

    #[inline]
    fn finish<P: Parking>(&mut self, state: u64, parking: &mut P) -> bool {
        let Some(pos) = self.claim.take() else {
            return false;
        };
        if let Some((seq, _)) = self.ring.slot(pos) {
            // Release: the payload written before happens before the consumer's
            // Acquire load of `seq` that reads this.
            seq.store(seq_of(pos, state), Ordering::Release);
        }
        let taken = take_waiter(&self.ring.ctl.consumer_waiting, self.barrier);
        if taken != 0 {
            wake_peer(parking, &self.ring.ctl.consumer_waiting, taken);
        }
        true
    }

    /// Claims, writes (`write` gets the payload words) and commits one message
    /// without blocking: false (nothing written) if the ring is full. A claim
    /// already held is the one written.
    ///
    /// # Errors
    ///
    /// [`Corrupt`] as [`reserve`](Self::reserve).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<1>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<1>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// assert_eq!(p.push(|s| s[0].store(3, Ordering::Relaxed), &mut NoPark), Ok(true));
    /// assert_eq!(p.push(|_| unreachable!(), &mut NoPark), Ok(false));
    /// ```
    #[inline]
    pub fn push<P: Parking>(
        &mut self,
        write: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, Corrupt> {
        if !self.reserve()? {
            return Ok(false);
        }
        write(self.reserved());
        Ok(self.commit(parking))
    }

    /// [`push`](Self::push), spinning `spins` times and then parking while the
    /// ring is full.
    ///
    /// # Errors
    ///
    /// As [`reserve_blocking`](Self::reserve_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking, RingError};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<1>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<1>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let write = |s: &[AtomicU64]| s[0].store(1, Ordering::Relaxed);
    /// assert_eq!(p.push_blocking(0, write, &mut NoPark), Ok(()));
    /// assert_eq!(p.push_blocking(0, write, &mut NoPark), Err(RingError::Park(())));
    /// ```
    pub fn push_blocking<P: Parking>(
        &mut self,
        spins: u32,
        write: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<(), RingError<P::Error>> {
        self.reserve_blocking(spins, parking)?;
        write(self.reserved());
        self.commit(parking);
        Ok(())
    }

    /// For an asynchronous waiter on a full ring: stores [`WAITING_WORD`] in this
    /// entry's `wait`, announces the producer's bit (Release), runs the heavy
    /// barrier and tries to claim again, as a park does. `Ok(Some(word))`: still
    /// full; sleep in a futex wait on `word`'s low half expecting
    /// [`WAITING_WORD`] (the consumer's next release clears and wakes it), then
    /// send again. `Ok(None)`: a slot was claimed meanwhile (nothing armed; the
    /// next [`push`](Self::push) fills it). A wait given up must
    /// [`disarm`](Self::disarm).
    ///
    /// # Errors
    ///
    /// [`RingError::Park`] if the heavy barrier failed (withdrawn);
    /// [`RingError::Corrupt`] for an impossible ring.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking, WAITING_WORD};
    /// # #[derive(Default)]
    /// # struct Env { woken_words: u32 }
    /// # impl Parking for Env {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn wake_word(&mut self, _: &AtomicU64) { self.woken_words += 1 }
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// # impl ConsumerParking for Env {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) { unreachable!("a word waiter") }
    /// # }
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<1>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<1>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut env = Env::default();
    /// let mut p = MpscProducer::register(ring, 1, &mut env).unwrap();
    /// assert_eq!(p.push(|s| s[0].store(1, Ordering::Relaxed), &mut env), Ok(true));
    /// let word = p.arm(&mut env).unwrap().expect("full: armed");
    /// assert_eq!(word.load(Ordering::Relaxed), WAITING_WORD);
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// let mut got = 0;
    /// assert_eq!(c.pop_one(|s| got = s[0].load(Ordering::Relaxed), &mut env), Ok(true));
    /// assert_eq!(got, 1);
    /// assert_eq!(word.load(Ordering::Relaxed), 0); // taken by the release ...
    /// assert_eq!(env.woken_words, 1); // ... and woken
    /// assert!(matches!(p.arm(&mut env), Ok(None))); // room now: claimed
    /// ```
    pub fn arm<P: Parking>(
        &mut self,
        parking: &mut P,
    ) -> Result<Option<&'a AtomicU64>, RingError<P::Error>> {
        let (bitmap, bit) = (&self.ring.ctl.producers_waiting, 1u64 << self.index);
        let wait = self.ring.entry(self.index).ok_or(Corrupt)?.wait;
        bit_waiter::arm(bitmap, bit, wait);
        match self.barrier {
            // Pairs with the SeqCst fence after the consumer's release, as in `block`.
            Barrier::Symmetric => fence(Ordering::SeqCst),
            Barrier::Asymmetric => {
                if let Err(e) = parking.heavy_barrier() {
                    bit_waiter::disarm(bitmap, bit, wait, parking);
                    return Err(RingError::Park(e));
                }
            }
        }
        match self.reserve() {
            Ok(false) => Ok(Some(wait)),
            Ok(true) => {
                bit_waiter::disarm(bitmap, bit, wait, parking);
                Ok(None)
            }
            Err(c) => {
                bit_waiter::disarm(bitmap, bit, wait, parking);
                Err(c.into())
            }
        }
    }

    /// Withdraws an [`arm`](Self::arm)ed wait that will not be waited for: the
    /// bit and the `wait` word (a semaphore post sent for it is taken back with
    /// [`Parking::absorb_wake`]).
    pub fn disarm<P: Parking>(&self, parking: &mut P) {
        if let Some(Entry { wait, .. }) = self.ring.entry(self.index) {
            bit_waiter::disarm(
                &self.ring.ctl.producers_waiting,
                1 << self.index,
                wait,
                parking,
            );
        }
    }

    /// Leaves the producer table: cancels an outstanding claim, then ends the
    /// registration (`reg` to the next even value; the entry is free again).
    /// Everything this producer published stays in the ring. If the registration
    /// was reclaimed meanwhile (it was taken for dead), nothing more is stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// p.reserve().unwrap();
    /// p.leave(&mut NoPark);
    /// assert_eq!(data[16].load(Ordering::Relaxed), 0 << 2 | 2); // the claim, cancelled
    /// assert_eq!(ring.registration(0), None);
    /// ```
    pub fn leave<P: Parking>(mut self, parking: &mut P) {
        let Some(Entry { reg, pid, .. }) = self.ring.entry(self.index) else {
            return;
        };
        // Reclaimed (taken for dead): the entry may be someone else's now.
        // Relaxed: only our own registration can match.
        if reg.load(Ordering::Relaxed) != self.registration {
            return;
        }
        self.cancel(parking);
        // Relaxed: informational.
        pid.store(0, Ordering::Relaxed);
        // Release: every store we made into the ring (a cancel, publishes)
        // happens before a consumer's Acquire load of `reg` that reads the end.
        let _ = reg.compare_exchange(
            self.registration,
            self.registration.wrapping_add(1),
            Ordering::Release,
            Ordering::Relaxed,
        );
    }
}

/// The consumer's side of an [`MpscRing`]: its own `head`, the published
/// messages found from it (on loan until released), and the claims skipped.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
/// use sysv_ipc::layout::ring::{Barrier, Parking};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
/// /// Every registration is dead.
/// struct AllDead;
/// # impl Parking for AllDead {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
/// impl ConsumerParking for AllDead {
///     fn is_alive(&mut self, _: usize, _: u64) -> bool { false }
///     fn unpark_producer(&mut self, _: usize) {}
/// }
///
/// let ctl = MpscCtl::new();
/// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
/// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
/// ring.init(Barrier::Symmetric);
/// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
/// let mut c = MpscConsumer::new(ring).unwrap();
/// assert_eq!(p.reserve(), Ok(true));
/// core::mem::forget(p); // killed between its claim and its publish
/// assert_eq!(c.pop(1, |_, _| unreachable!(), &mut AllDead), Ok(0));
/// assert_eq!((c.abandoned(), ctl.abandoned()), (1, 1)); // skipped, counted
/// ```
#[derive(Debug)]
pub struct MpscConsumer<'a, const N: usize, W: PayloadWords = AnyWords> {
    ring: MpscRing<'a, N, W>,
    /// Our authoritative head; the shared one is only ever stored.
    head: u64,
    /// Published messages found from `head` (on loan); at most `N`.
    found: usize,
    /// Claims skipped as abandoned by this consumer and its predecessors.
    abandoned: u64,
    barrier: Barrier,
}

/// What the consumer found at `head`.
enum Head {
    /// Published: a message to take.
    Message,
    /// Skipped (cancelled or abandoned): `head` moved on.
    Skipped,
    /// Nothing claimed, or a claim whose claimer lives.
    Wait,
}

impl<'a, const N: usize, W: PayloadWords> MpscConsumer<'a, N, W> {
    /// Takes the consumer's side, continuing from the shared `head`, moved over
    /// any slots a killed predecessor handed back without storing `head`.
    ///
    /// # Errors
    ///
    /// [`Corrupt`] if `tail` is more than `N` positions past that `head`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{MpscConsumer, MpscCtl, MpscRing};
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// // The previous consumer released position 0 (slot 0 free for 2), then died.
    /// ctl.tail.store(1, Ordering::Relaxed);
    /// data[16].store(2 << 2, Ordering::Relaxed);
    /// let c = MpscConsumer::new(ring).unwrap();
    /// assert_eq!(ctl.head.load(Ordering::Relaxed), 1);
    /// ctl.tail.store(9, Ordering::Relaxed);
    /// assert!(MpscConsumer::new(ring).is_err());
    /// ```
    pub fn new(ring: MpscRing<'a, N, W>) -> Result<Self, Corrupt> {
        let ctl = ring.ctl;
        // Acquire: pairs with the previous consumer's Release store.
        let mut head = ctl.head.load(Ordering::Acquire);
        for _ in 0..N {
            let (seq, _) = ring.slot(head).ok_or(Corrupt)?;
            // Acquire: pairs with the predecessor's Release store of the slot.
            if seq.load(Ordering::Acquire) != seq_of(head.wrapping_add(N as u64), SEQ_FREE) {
                break;
            }
            head = head.wrapping_add(1);
        }
        // Acquire: pairs with the producers' Release compare-exchanges.
        let tail = ctl.tail.load(Ordering::Acquire);
        if tail.wrapping_sub(head) > N as u64 {
            return Err(Corrupt);
        }
        // Release: for observers and producers' checks, as in `release`.
        ctl.head.store(head, Ordering::Release);
        Ok(MpscConsumer {
            ring,
            head,
            found: 0,
            // Relaxed: our predecessor's statistic, carried on.
            abandoned: ctl.abandoned.load(Ordering::Relaxed),
            barrier: ctl.barrier(),
        })
    }

    /// Claims skipped as abandoned (by this consumer and the ones before it).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscConsumer, MpscCtl, MpscRing};
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// assert_eq!(MpscConsumer::new(ring).unwrap().abandoned(), 0);
    /// ```
    pub fn abandoned(&self) -> u64 {
        self.abandoned
    }

    /// Published messages, up to `max`, that can be read without blocking:
    /// [`peeked`](Self::peeked)`(i)` for `i` in `0..n` are their slots, on loan
    /// until [`release`](Self::release). Cancelled and abandoned claims at `head`
    /// are skipped first (the latter counted and reported through
    /// [`ConsumerParking::abandoned`]); a claim whose claimer lives is waited for,
    /// never passed.
    ///
    /// # Errors
    ///
    /// [`Corrupt`] for a `seq` at `head` that is none of its states, or a `tail`
    /// more than `N` past `head`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<4>::words(1, 1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let ring = MpscRing::<4>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// for v in 0..3 {
    ///     p.push(|s| s[0].store(v, Ordering::Relaxed), &mut NoPark).unwrap();
    /// }
    /// assert_eq!(c.peek(2, &mut NoPark), Ok(2));
    /// assert_eq!(c.peeked(1)[0].load(Ordering::Relaxed), 1);
    /// assert_eq!(c.release(1, &mut NoPark), 1);
    /// assert_eq!(c.peek(8, &mut NoPark), Ok(2)); // the second and the third
    /// ```
    pub fn peek<P: ConsumerParking>(
        &mut self,
        max: usize,
        parking: &mut P,
    ) -> Result<usize, Corrupt> {
        if max == 0 {
            return Ok(0);
        }
        if self.found == 0 {
            loop {
                match self.at_head(parking)? {
                    Head::Message => break,
                    Head::Skipped => continue,
                    Head::Wait => return Ok(0),
                }
            }
            self.found = 1;
        }
        while self.found < max.min(N) {
            let pos = self.head.wrapping_add(self.found as u64);
            let (seq, _) = self.ring.slot(pos).ok_or(Corrupt)?;
            // Acquire: pairs with the producer's Release store in `finish`.
            if seq.load(Ordering::Acquire) != seq_of(pos, SEQ_PUBLISHED) {
                break;
            }
            self.found += 1;
        }
        Ok(self.found.min(max))
    }

    /// Looks at `head` (nothing on loan): a message, a skip (done here), or wait.
    fn at_head<P: ConsumerParking>(&mut self, parking: &mut P) -> Result<Head, Corrupt> {
        let k = self.head;
        let ctl = self.ring.ctl;
        let (seq, _) = self.ring.slot(k).ok_or(Corrupt)?;
        // Acquire: pairs with the producer's Release store in `finish`, making the
        // payload visible.
        let s = seq.load(Ordering::Acquire);
        if s == seq_of(k, SEQ_PUBLISHED) {
            return Ok(Head::Message);
        }
        if s == seq_of(k, SEQ_CANCELLED) {
            // Nobody else writes this `seq` until we hand it back.
            // Release: pairs with a producer's Acquire load in `reserve`.
            seq.store(
                seq_of(k.wrapping_add(N as u64), SEQ_FREE),
                Ordering::Release,
            );
            self.advance(1, parking);
            return Ok(Head::Skipped);
        }
        if s != seq_of(k, SEQ_FREE) {
            return Err(Corrupt);
        }
        // Acquire: pairs with the Release compare-exchanges of `tail` (the release
        // sequence of the claim of `k`): the claimer's announcement is visible.
        let tail = ctl.tail.load(Ordering::Acquire);
        let claimed = tail.wrapping_sub(k);
        if claimed == 0 {
            return Ok(Head::Wait);
        }
        if claimed > N as u64 {
            return Err(Corrupt);
        }
        // Claimed, not published: who holds it?
        let mut claimant = None;
        for j in 0..self.ring.producers {
            let Some(Entry { reg, claim, .. }) = self.ring.entry(j) else {
                break;
            };
            // Acquire (both): pair with the registrant's compare-exchange and its
            // Release announcement (or reset), so a `claim` read after a `reg` is
            // that registration's or a later one's.
            let r = reg.load(Ordering::Acquire);
            if r & 1 == 0 || claim.load(Ordering::Acquire) != k.wrapping_add(1) {
                continue;
            }
            if parking.is_alive(j, r) {
                // Pending: a slow producer is waited for, never skipped.
                return Ok(Head::Wait);
            }
            claimant.get_or_insert(j);
        }
        // Every registration that could hold it has ended: skip it, unless it
        // was published meanwhile. AcqRel: Release pairs with a producer's
        // Acquire load in `reserve` (the slot is free for `k + N`); Acquire on
        // failure makes the payload of a publish we lost to visible.
        match seq.compare_exchange(
            seq_of(k, SEQ_FREE),
            seq_of(k.wrapping_add(N as u64), SEQ_FREE),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                self.abandoned = self.abandoned.wrapping_add(1);
                // Relaxed: a statistic.
                ctl.abandoned.store(self.abandoned, Ordering::Relaxed);
                parking.abandoned(k, claimant);
                self.advance(1, parking);
                Ok(Head::Skipped)
            }
            // Published or cancelled after all: look again.
            Err(_) => Ok(Head::Skipped),
        }
    }

    /// Moves `head` by `n` (their slots already handed back) and wakes parked
    /// producers.
    #[inline]
    fn advance<P: ConsumerParking>(&mut self, n: usize, parking: &mut P) {
        let ctl = self.ring.ctl;
        self.head = self.head.wrapping_add(n as u64);
        // Release: pairs with the Acquire load of `head` in `reserve` (a check) and
        // observers'; after the slots, see "Crashes".
        ctl.head.store(self.head, Ordering::Release);
        match self.barrier {
            // SeqCst: pairs with the SeqCst fence of a parking producer: either
            // its re-check sees the slot we freed, or this load sees its bit.
            Barrier::Symmetric => fence(Ordering::SeqCst),
            // Pairs with the producer's membarrier (ring.rs, "Why the asymmetric
            // pair is enough").
            Barrier::Asymmetric => light_barrier(),
        }
        // Relaxed: ordered by the barriers above.
        let waiting = &ctl.producers_waiting;
        if waiting.load(Ordering::Relaxed) != 0 {
            // Acquire: pairs with the Release of an asynchronous producer's
            // announcement, so its entry's `wait` (stored before) is seen below
            // even for a producer that is withdrawing (the barrier pair covers
            // one that sleeps), which then gets no semaphore post to take back.
            let bits = waiting.swap(0, Ordering::Acquire);
            self.wake_producers(bits, parking);
        }
    }

    /// Wakes each producer whose bit is in `bits`: a futex wake of its entry's
    /// `wait` if it waits there, else a post of its semaphore. Out of line: the
    /// rare path out of every release.
    #[cold]
    #[inline(never)]
    fn wake_producers<P: ConsumerParking>(&self, mut bits: u64, parking: &mut P) {
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            // Bits past the table are garbage: cleared, nobody to wake.
            if j >= self.ring.producers {
                continue;
            }
            match self.ring.entry(j) {
                Some(Entry { wait, .. }) if bit_waiter::take(wait) => parking.wake_word(wait),
                _ => parking.unpark_producer(j),
            }
        }
    }

    /// The payload words of the `i`-th message on loan; empty past what
    /// [`peek`](Self::peek) found.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{MpscConsumer, MpscCtl, MpscRing};
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// assert!(MpscConsumer::new(ring).unwrap().peeked(0).is_empty()); // nothing on loan
    /// ```
    pub fn peeked(&self, i: usize) -> &'a [AtomicU64] {
        if i >= self.found {
            return &[];
        }
        match self.ring.slot(self.head.wrapping_add(i as u64)) {
            Some((_, payload)) => payload,
            None => &[],
        }
    }

    /// Hands the slots of the next `n` messages on loan back to the producers
    /// (cut to what [`peek`](Self::peek) found) and wakes parked producers;
    /// returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<1>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<1>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// p.push(|s| s[0].store(1, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(p.push(|_| {}, &mut NoPark), Ok(false)); // full
    /// assert_eq!(c.release(1, &mut NoPark), 0); // nothing peeked yet
    /// assert_eq!(c.peek(1, &mut NoPark), Ok(1));
    /// assert_eq!(c.release(1, &mut NoPark), 1);
    /// assert_eq!(p.push(|_| {}, &mut NoPark), Ok(true)); // room again
    /// ```
    pub fn release<P: ConsumerParking>(&mut self, n: usize, parking: &mut P) -> usize {
        let n = n.min(self.found);
        if n == 0 {
            return 0;
        }
        for i in 0..n as u64 {
            let pos = self.head.wrapping_add(i);
            if let Some((seq, _)) = self.ring.slot(pos) {
                // Release: our reads of the payload happen before a producer's
                // Acquire load in `reserve` lets it overwrite them.
                seq.store(
                    seq_of(pos.wrapping_add(N as u64), SEQ_FREE),
                    Ordering::Release,
                );
            }
        }
        self.found -= n;
        self.advance(n, parking);
        n
    }

    /// Dequeues up to `max` messages without blocking: `read(i, payload)` copies
    /// message `i` out. Returns how many (0: empty, or waiting on a live claim).
    ///
    /// # Errors
    ///
    /// As [`peek`](Self::peek).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// p.push(|s| s[0].store(4, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut got = 0;
    /// assert_eq!(c.pop(2, |_, s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
    /// assert_eq!(got, 4);
    /// ```
    pub fn pop<P: ConsumerParking>(
        &mut self,
        max: usize,
        mut read: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, Corrupt> {
        // One message through `pop_one`, so that the loom models of `pop` cover
        // it.
        if max == 1 {
            return Ok(usize::from(self.pop_one(|slot| read(0, slot), parking)?));
        }
        let n = self.peek(max, parking)?;
        for i in 0..n {
            read(i, self.peeked(i));
        }
        Ok(self.release(n, parking))
    }

    /// [`pop`](Self::pop) of one message: when the message at `head` is
    /// published, its slot found once and no loops (the same loads and stores
    /// as `peek`, `peeked` and `release` make for it); anything else (a claim
    /// not yet published, a cancelled or abandoned one, corrupt words) through
    /// `peek`. `Ok(false)` when nothing is there yet.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<4>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<4>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 100, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// let mut got = 0;
    /// assert_eq!(c.pop_one(|s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(false));
    /// p.push(|s| s[0].store(7, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(c.pop_one(|s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(true));
    /// assert_eq!(got, 7);
    /// ```
    #[inline]
    pub fn pop_one<P: ConsumerParking>(
        &mut self,
        read: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, Corrupt> {
        if self.found == 0 {
            let k = self.head;
            if let Some((seq, payload)) = self.ring.slot(k) {
                // Acquire: as in `at_head`.
                if seq.load(Ordering::Acquire) == seq_of(k, SEQ_PUBLISHED) {
                    read(payload);
                    // Release: as in `release`.
                    seq.store(
                        seq_of(k.wrapping_add(N as u64), SEQ_FREE),
                        Ordering::Release,
                    );
                    self.advance(1, parking);
                    return Ok(true);
                }
            }
        }
        if self.peek(1, parking)? == 0 {
            return Ok(false);
        }
        read(self.peeked(0));
        Ok(self.release(1, parking) == 1)
    }

    /// [`peek`](Self::peek) of between 1 and `max` messages, spinning `spins`
    /// times and then parking while there is none (empty, or a claim pending on a
    /// live producer). `max == 0` returns 0 at once.
    ///
    /// # Errors
    ///
    /// [`RingError::Corrupt`] as `peek`; [`RingError::Park`] if parking, the
    /// heavy barrier or the deadline check failed. Never [`RingError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking, RingError};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// assert_eq!(c.peek_blocking(4, 10, &mut NoPark), Err(RingError::Park(()))); // empty
    /// p.push(|_| {}, &mut NoPark).unwrap();
    /// assert_eq!(c.peek_blocking(4, 10, &mut NoPark), Ok(1));
    /// assert_eq!(ctl.consumer_waiting.load(core::sync::atomic::Ordering::Relaxed), 0);
    /// ```
    pub fn peek_blocking<P: ConsumerParking>(
        &mut self,
        max: usize,
        spins: u32,
        parking: &mut P,
    ) -> Result<usize, RingError<P::Error>> {
        if max == 0 {
            return Ok(0);
        }
        block(self, spins, parking)?;
        Ok(self.found.min(max))
    }

    /// [`pop`](Self::pop) of between 1 and `max` messages, spinning `spins` times
    /// and then parking while there is none.
    ///
    /// # Errors
    ///
    /// As [`peek_blocking`](Self::peek_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// p.push(|s| s[0].store(8, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut got = 0;
    /// assert_eq!(c.pop_blocking(1, 0, |_, s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
    /// assert_eq!(got, 8);
    /// ```
    pub fn pop_blocking<P: ConsumerParking>(
        &mut self,
        max: usize,
        spins: u32,
        mut read: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, RingError<P::Error>> {
        let n = self.peek_blocking(max, spins, parking)?;
        for i in 0..n {
            read(i, self.peeked(i));
        }
        Ok(self.release(n, parking))
    }

    /// For an asynchronous waiter: announces
    /// [`WAITING_WORD`](crate::layout::ring::WAITING_WORD) in `consumer_waiting`,
    /// runs the heavy barrier and looks again (a peek, which skips an abandoned
    /// claim as a pop does), as a park does. `Ok(Some(word))`: still nothing;
    /// sleep in a futex wait on `word`'s low half expecting `WAITING_WORD` (a
    /// producer's next publish, cancel or registration clears and wakes it),
    /// then look again. `Ok(None)`: something arrived meanwhile (nothing armed).
    /// A wait given up must [`disarm`](Self::disarm).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
    /// use sysv_ipc::layout::ring::{Barrier, Parking, WAITING_WORD};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// # impl ConsumerParking for NoPark {
    /// #     fn is_alive(&mut self, _: usize, _: u64) -> bool { true }
    /// #     fn unpark_producer(&mut self, _: usize) {}
    /// # }
    ///
    /// let ctl = MpscCtl::new();
    /// let data: [AtomicU64; MpscRing::<2>::words(1, 1)] = Default::default();
    /// let ring = MpscRing::<2>::new(&ctl, &data, 1, 1).unwrap();
    /// ring.init(Barrier::Symmetric);
    /// let mut c = MpscConsumer::new(ring).unwrap();
    /// let word = c.arm(&mut NoPark).unwrap().expect("empty: armed");
    /// assert_eq!(word.load(Ordering::Relaxed), WAITING_WORD);
    /// let mut p = MpscProducer::register(ring, 1, &mut NoPark).unwrap();
    /// p.push(|s| s[0].store(8, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(word.load(Ordering::Relaxed), 0); // cleared by the publish
    /// assert!(matches!(c.arm(&mut NoPark), Ok(None)));
    /// ```
    pub fn arm<P: ConsumerParking>(
        &mut self,
        parking: &mut P,
    ) -> Result<Option<&'a AtomicU64>, RingError<P::Error>> {
        let flag = &self.ring.ctl.consumer_waiting;
        announce(flag, WAITING_WORD);
        match self.barrier {
            // Pairs with the SeqCst fence after a producer's store, as in `block`.
            Barrier::Symmetric => fence(Ordering::SeqCst),
            Barrier::Asymmetric => {
                if let Err(e) = parking.heavy_barrier() {
                    withdraw(flag, parking);
                    return Err(RingError::Park(e));
                }
            }
        }
        match self.peek(N, parking) {
            Ok(0) => Ok(Some(flag)),
            Ok(_) => {
                withdraw(flag, parking);
                Ok(None)
            }
            Err(c) => {
                withdraw(flag, parking);
                Err(c.into())
            }
        }
    }

    /// Withdraws an [`arm`](Self::arm)ed wait that will not be waited for.
    pub fn disarm(&self) {
        // Relaxed: only un-announces; a taken announcement owes a futex wake,
        // which leaves nothing behind.
        self.ring.ctl.consumer_waiting.swap(0, Ordering::Relaxed);
    }
}

/// What [`block`] needs of a side.
trait Waiter<P: Parking> {
    /// Tries to make progress (a claim, a message); true if it did.
    fn attempt(&mut self, parking: &mut P) -> Result<bool, Corrupt>;
    /// Announces a park (before the heavy barrier).
    fn announce(&self);
    /// Takes the announcement back without sleeping; absorbs a wake already owed.
    fn withdraw(&self, parking: &mut P);
    /// After a park returned: clears the announcement (nothing owed that we know).
    fn clear(&self);
    fn barrier(&self) -> Barrier;
}

impl<'a, const N: usize, W: PayloadWords, P: Parking> Waiter<P> for MpscProducer<'a, N, W> {
    fn attempt(&mut self, _: &mut P) -> Result<bool, Corrupt> {
        self.reserve()
    }
    fn announce(&self) {
        // Relaxed: the barrier that follows orders it; a read-modify-write, as
        // `ring::announce` explains, and one that leaves other producers' bits.
        self.ring
            .ctl
            .producers_waiting
            .fetch_or(1 << self.index, Ordering::Relaxed);
    }
    fn withdraw(&self, parking: &mut P) {
        // Relaxed: atomicity alone decides who took the bit (this or the
        // consumer's swap in `advance`).
        let before = self
            .ring
            .ctl
            .producers_waiting
            .fetch_and(!(1 << self.index), Ordering::Relaxed);
        if before & (1 << self.index) == 0 {
            parking.absorb_wake();
        }
    }
    fn clear(&self) {
        // Relaxed: only un-announces.
        self.ring
            .ctl
            .producers_waiting
            .fetch_and(!(1 << self.index), Ordering::Relaxed);
    }
    fn barrier(&self) -> Barrier {
        self.barrier
    }
}

impl<'a, const N: usize, W: PayloadWords, P: ConsumerParking> Waiter<P> for MpscConsumer<'a, N, W> {
    fn attempt(&mut self, parking: &mut P) -> Result<bool, Corrupt> {
        Ok(self.peek(N, parking)? > 0)
    }
    fn announce(&self) {
        announce(&self.ring.ctl.consumer_waiting, WAITING_SEM);
    }
    fn withdraw(&self, parking: &mut P) {
        withdraw(&self.ring.ctl.consumer_waiting, parking);
    }
    fn clear(&self) {
        // Relaxed: only un-announces. A swap, not a store: with a plain store
        // here, loom 0.7 let a producer's flag load after its SeqCst fence read
        // this 0 although our next announcement and SeqCst fence came before
        // that fence (a lost wake-up the C++ model forbids: the consumer, woken
        // by a death post rather than by a producer, clears, announces again
        // and parks for ever). With the read-modify-write loom agrees; it costs
        // nothing here, after a park.
        self.ring.ctl.consumer_waiting.swap(0, Ordering::Relaxed);
    }
    fn barrier(&self) -> Barrier {
        self.barrier
    }
}

/// Attempt, spin `spins` times, then announce, barrier, re-check and park until
/// woken, and again (`ring.rs`'s `block_on`, for sides whose announcement is not
/// one flag); the deadline is asked as there.
fn block<P: Parking, W: Waiter<P>>(
    side: &mut W,
    spins: u32,
    parking: &mut P,
) -> Result<(), RingError<P::Error>> {
    let mut spun = 0u32;
    loop {
        if side.attempt(parking)? {
            return Ok(());
        }
        if spun >= spins || spun.is_multiple_of(crate::layout::ring::DEADLINE_SPINS) {
            parking.check_deadline().map_err(RingError::Park)?;
        }
        if spun < spins {
            spun += 1;
            spin_loop();
            continue;
        }
        side.announce();
        match side.barrier() {
            // Pairs with the SeqCst fence after the other side's store (`finish`,
            // `register`, `advance`).
            Barrier::Symmetric => fence(Ordering::SeqCst),
            // Pairs with the other side's light barrier.
            Barrier::Asymmetric => {
                if let Err(e) = parking.heavy_barrier() {
                    side.withdraw(parking);
                    return Err(RingError::Park(e));
                }
            }
        }
        match side.attempt(parking) {
            Ok(false) => {}
            Ok(true) => {
                side.withdraw(parking);
                return Ok(());
            }
            Err(c) => {
                side.withdraw(parking);
                return Err(c.into());
            }
        }
        match parking.park() {
            Ok(()) => side.clear(),
            Err(e) => {
                side.withdraw(parking);
                return Err(RingError::Park(e));
            }
        }
    }
}

/// The words of one producer table entry (module docs, "Byte layout").
struct Entry<'a> {
    reg: &'a AtomicU64,
    claim: &'a AtomicU64,
    pid: &'a AtomicU64,
    wait: &'a AtomicU64,
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// Never parks; counts wakes; producers in `dead` are dead.
    #[derive(Default)]
    struct Env {
        wakes: u32,
        woken: Vec<usize>,
        dead: Vec<usize>,
        reported: Vec<(u64, Option<usize>)>,
    }

    impl Parking for Env {
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

    impl ConsumerParking for Env {
        fn is_alive(&mut self, producer: usize, _: u64) -> bool {
            !self.dead.contains(&producer)
        }
        fn unpark_producer(&mut self, producer: usize) {
            self.woken.push(producer);
        }
        fn abandoned(&mut self, position: u64, producer: Option<usize>) {
            self.reported.push((position, producer));
        }
    }

    /// 3 producer entries, 4 slots of 1 word.
    struct Mem {
        ctl: MpscCtl,
        data: Vec<AtomicU64>,
    }

    fn mem() -> Mem {
        let m = Mem {
            ctl: MpscCtl::new(),
            data: (0..MpscRing::<4>::words(3, 1))
                .map(|_| AtomicU64::new(0xdead))
                .collect(),
        };
        ring(&m).init(Barrier::Symmetric);
        m
    }

    fn ring(m: &Mem) -> MpscRing<'_, 4> {
        MpscRing::new(&m.ctl, &m.data, 3, 1).unwrap()
    }

    fn seq(m: &Mem, k: u64) -> &AtomicU64 {
        &m.data[3 * ENTRY_WORDS + (k as usize & 3) * 2]
    }

    fn push(p: &mut MpscProducer<'_, 4>, v: u64, env: &mut Env) -> Result<bool, Corrupt> {
        p.push(|s| s[0].store(v, Ordering::Relaxed), env)
    }

    fn pop_all(c: &mut MpscConsumer<'_, 4>, env: &mut Env) -> Result<Vec<u64>, Corrupt> {
        let mut got = Vec::new();
        c.pop(8, |_, s| got.push(s[0].load(Ordering::Relaxed)), env)?;
        Ok(got)
    }

    #[test]
    fn init_frees_every_slot_for_its_first_position_and_clears_the_table() {
        let m = mem();
        for k in 0..4 {
            assert_eq!(seq(&m, k).load(Ordering::Relaxed), k << 2);
        }
        for w in &m.data[..3 * ENTRY_WORDS] {
            assert_eq!(w.load(Ordering::Relaxed), 0);
        }
        assert_eq!(m.ctl.producers.load(Ordering::Relaxed), 3);
        assert_eq!(slots_offset(3), TABLE_OFFSET + 3 * 128);
    }

    #[test]
    fn producers_interleave_fill_wrap_and_each_keeps_its_order() {
        let m = mem();
        let env = &mut Env::default();
        let mut a = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut b = MpscProducer::register(ring(&m), 2, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        for round in 0..5u64 {
            assert_eq!(push(&mut a, round * 10 + 1, env), Ok(true));
            assert_eq!(push(&mut b, round * 10 + 2, env), Ok(true));
            assert_eq!(push(&mut a, round * 10 + 3, env), Ok(true));
            assert_eq!(push(&mut b, round * 10 + 4, env), Ok(true));
            assert_eq!(push(&mut a, 99, env), Ok(false), "full after N");
            assert_eq!(push(&mut b, 99, env), Ok(false));
            let got = pop_all(&mut c, env).unwrap();
            assert_eq!(got, [1, 2, 3, 4].map(|x| round * 10 + x));
            assert_eq!(pop_all(&mut c, env), Ok(Vec::new()));
        }
        assert_eq!(m.ctl.tail.load(Ordering::Relaxed), 20);
        assert_eq!(m.ctl.head.load(Ordering::Relaxed), 20);
        assert_eq!(env.wakes, 0, "nobody parked");
    }

    #[test]
    fn a_pending_claim_of_a_live_producer_blocks_what_follows_it() {
        let m = mem();
        let env = &mut Env::default();
        let mut slow = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut fast = MpscProducer::register(ring(&m), 2, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        assert_eq!(slow.reserve(), Ok(true));
        assert_eq!(push(&mut fast, 2, env), Ok(true));
        for _ in 0..3 {
            assert_eq!(pop_all(&mut c, env), Ok(Vec::new()), "waits, never skips");
        }
        slow.reserved()[0].store(1, Ordering::Relaxed);
        assert!(slow.commit(env));
        assert_eq!(pop_all(&mut c, env), Ok(std::vec![1, 2]));
        assert_eq!(c.abandoned(), 0);
    }

    #[test]
    fn a_dead_claimer_is_skipped_counted_and_reported_once() {
        let m = mem();
        let env = &mut Env::default();
        let mut dead = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut live = MpscProducer::register(ring(&m), 2, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        assert_eq!(push(&mut live, 1, env), Ok(true));
        assert_eq!(dead.reserve(), Ok(true));
        dead.reserved()[0].store(0xbad, Ordering::Relaxed); // half-written
        let reg = dead.registration();
        let _killed = dead; // no publish, no leave (and no Drop that would)
        assert_eq!(push(&mut live, 3, env), Ok(true));
        assert_eq!(pop_all(&mut c, env), Ok(std::vec![1]), "stops at the claim");
        env.dead.push(0);
        assert_eq!(pop_all(&mut c, env), Ok(std::vec![3]));
        assert_eq!(c.abandoned(), 1);
        assert_eq!(m.ctl.abandoned(), 1);
        assert_eq!(env.reported, [(1, Some(0))]);
        // The entry is reclaimed and reused: the new registration (alive) is not
        // confused with the dead one, and the skipped slot is reused.
        assert!(ring(&m).reclaim(0, reg));
        env.dead.clear();
        let mut again = MpscProducer::register(ring(&m), 3, env).unwrap();
        assert_eq!(again.index(), 0);
        assert_eq!(again.registration(), reg + 2);
        for v in 10..14 {
            assert_eq!(push(&mut again, v, env), Ok(true));
        }
        assert_eq!(pop_all(&mut c, env), Ok((10..14).collect::<Vec<_>>()));
        assert_eq!(c.abandoned(), 1);
    }

    #[test]
    fn a_reclaimed_registration_ends_its_claims_without_asking() {
        let m = mem();
        let env = &mut Env::default();
        let mut dead = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        assert_eq!(dead.reserve(), Ok(true));
        let reg = dead.registration();
        let _killed = dead; // no publish, no leave (and no Drop that would)
        assert_eq!(pop_all(&mut c, env), Ok(Vec::new()));
        // Reclaimed: `reg` even, so nobody holds the claim, whatever is_alive says.
        assert!(ring(&m).reclaim(0, reg));
        assert_eq!(pop_all(&mut c, env), Ok(Vec::new()));
        assert_eq!(c.abandoned(), 1);
        // A new registrant's reset claim: nothing stale left.
        let mut p = MpscProducer::register(ring(&m), 2, env).unwrap();
        assert_eq!(push(&mut p, 5, env), Ok(true));
        assert_eq!(pop_all(&mut c, env), Ok(std::vec![5]));
    }

    #[test]
    fn a_stale_claim_is_waited_for_until_the_new_registrant_resets_it() {
        let m = mem();
        let env = &mut Env::default();
        let mut dead = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        assert_eq!(dead.reserve(), Ok(true));
        let reg = dead.registration();
        let _killed = dead; // no publish, no leave (and no Drop that would)
        assert!(ring(&m).reclaim(0, reg));
        // Registered again, before its reset (written by hand): the stale claim
        // reads as the live registration's.
        m.data[0].store(reg + 2, Ordering::Relaxed);
        assert_eq!(pop_all(&mut c, env), Ok(Vec::new()));
        assert_eq!(c.abandoned(), 0);
        m.data[1].store(0, Ordering::Relaxed); // the reset
        assert_eq!(pop_all(&mut c, env), Ok(Vec::new()));
        assert_eq!(c.abandoned(), 1);
    }

    #[test]
    fn cancels_and_leaves_are_skipped_and_not_counted() {
        let m = mem();
        let env = &mut Env::default();
        let mut a = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut b = MpscProducer::register(ring(&m), 2, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        assert_eq!(a.reserve(), Ok(true));
        assert_eq!(a.reserve(), Ok(true), "one claim at a time");
        assert!(a.cancel(env));
        assert!(!a.cancel(env));
        assert_eq!(b.reserve(), Ok(true));
        b.leave(env);
        assert_eq!(push(&mut a, 7, env), Ok(true));
        assert_eq!(pop_all(&mut c, env), Ok(std::vec![7]));
        assert_eq!(c.abandoned(), 0);
        assert_eq!(ring(&m).registration(1), None);
        assert_eq!(ring(&m).registration(0), Some(1));
        assert_eq!(ring(&m).registration(9), None);
        assert!(!ring(&m).reclaim(9, 1));
        assert!(!ring(&m).reclaim(0, 2), "even: not a registration");
    }

    #[test]
    fn loans_are_released_in_part_and_survive_until_released() {
        let m = mem();
        let env = &mut Env::default();
        let mut p = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        for v in 0..4 {
            assert_eq!(push(&mut p, v, env), Ok(true));
        }
        assert_eq!(c.peek(3, env), Ok(3));
        assert_eq!(c.peeked(2)[0].load(Ordering::Relaxed), 2);
        assert!(c.peeked(3).is_empty());
        assert_eq!(c.release(1, env), 1);
        assert_eq!(push(&mut p, 4, env), Ok(true));
        assert_eq!(push(&mut p, 5, env), Ok(false), "loans keep their slots");
        assert_eq!(c.peek(8, env), Ok(4));
        assert_eq!(c.release(9, env), 4);
        assert_eq!(c.peek(0, env), Ok(0));
    }

    #[test]
    fn parked_producers_are_each_woken_once_by_a_release() {
        let m = mem();
        let env = &mut Env::default();
        let mut p = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        for v in 0..4 {
            assert_eq!(push(&mut p, v, env), Ok(true));
        }
        // Producers 0 and 2 announced, plus a garbage bit past the table.
        m.ctl
            .producers_waiting
            .store(1 | 1 << 2 | 1 << 40, Ordering::Relaxed);
        assert_eq!(pop_all(&mut c, env).unwrap().len(), 4);
        assert_eq!(env.woken, [0, 2]);
        assert_eq!(m.ctl.producers_waiting.load(Ordering::Relaxed), 0);
        // A full producer's failed park withdraws its bit.
        for v in 0..4 {
            assert_eq!(push(&mut p, v, env), Ok(true));
        }
        assert_eq!(p.reserve_blocking(0, env), Err(RingError::Park(())));
        assert_eq!(m.ctl.producers_waiting.load(Ordering::Relaxed), 0);
        // A publish wakes a parked consumer once.
        assert_eq!(c.peek(4, env), Ok(4));
        assert_eq!(c.release(4, env), 4);
        m.ctl.consumer_waiting.store(1, Ordering::Relaxed);
        assert_eq!(push(&mut p, 1, env), Ok(true));
        assert_eq!(push(&mut p, 2, env), Ok(true));
        assert_eq!(env.wakes, 1);
    }

    #[test]
    fn garbage_is_corrupt_or_harmless_never_out_of_bounds() {
        let m = mem();
        let env = &mut Env::default();
        let mut p = MpscProducer::register(ring(&m), 1, env).unwrap();
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        // A `seq` at head that is none of head's states.
        for garbage in [3, 1 << 2 | 1, u64::MAX, 8 << 2] {
            seq(&m, 0).store(garbage, Ordering::Relaxed);
            assert_eq!(c.peek(1, env), Err(Corrupt), "seq {garbage}");
        }
        seq(&m, 0).store(0, Ordering::Relaxed);
        // A tail beyond head + N.
        m.ctl.tail.store(5, Ordering::Relaxed);
        assert_eq!(c.peek(1, env), Err(Corrupt));
        assert!(MpscConsumer::new(ring(&m)).is_err());
        // A slot ahead of an unmoved tail.
        m.ctl.tail.store(0, Ordering::Relaxed);
        seq(&m, 0).store(1 << 2 | 1, Ordering::Relaxed);
        assert_eq!(p.reserve(), Err(Corrupt));
        // A tail far ahead: every slot reads as an older lap, `head` says corrupt.
        seq(&m, 0).store(0, Ordering::Relaxed);
        m.ctl.tail.store(1 << 40, Ordering::Relaxed);
        assert_eq!(p.reserve(), Err(Corrupt));
        // A full slot (an older lap) with `head` past an unmoved `tail`: a real
        // race moves `tail` (the retry), garbage does not.
        m.ctl.tail.store(4, Ordering::Relaxed);
        m.ctl.head.store(6, Ordering::Relaxed);
        seq(&m, 0).store(1, Ordering::Relaxed);
        assert_eq!(p.reserve(), Err(Corrupt));
        m.ctl.head.store(0, Ordering::Relaxed);
        seq(&m, 0).store(0, Ordering::Relaxed);
        m.ctl.tail.store(0, Ordering::Relaxed);
        // Garbage in the table only decides whom to wait for: an odd `reg` with a
        // matching claim for a producer that is "alive" keeps a claim pending.
        assert_eq!(p.reserve(), Ok(true));
        m.data[ENTRY_WORDS].store(7, Ordering::Relaxed);
        m.data[ENTRY_WORDS + 1].store(1, Ordering::Relaxed);
        env.dead.push(0);
        assert_eq!(c.peek(1, env), Ok(0));
        assert_eq!(c.abandoned(), 0);
        env.dead.push(1);
        assert_eq!(c.peek(1, env), Ok(0));
        assert_eq!(c.abandoned(), 1);
        // The late publish of a claim wrongly taken for dead lands on a slot of
        // another lap: never taken as a message.
        assert!(p.commit(env));
        assert_eq!(c.peek(1, env), Ok(0));
        // Wrong geometry is refused.
        assert!(MpscRing::<4>::new(&m.ctl, &m.data, 2, 1).is_none());
        assert!(MpscRing::<4>::new(&m.ctl, &m.data[..10], 0, 1).is_none());
        assert!(MpscRing::<4>::new(&m.ctl, &m.data, 65, 1).is_none());
        assert_eq!(MpscRing::<4>::words(usize::MAX, 1), usize::MAX);
    }

    #[test]
    fn a_new_consumer_moves_over_slots_its_killed_predecessor_handed_back() {
        let m = mem();
        let env = &mut Env::default();
        let mut p = MpscProducer::register(ring(&m), 1, env).unwrap();
        for v in 0..3 {
            assert_eq!(push(&mut p, v, env), Ok(true));
        }
        // The predecessor released 0 and 1 (their `seq`), died before `head`.
        seq(&m, 0).store(4 << 2, Ordering::Relaxed);
        seq(&m, 1).store(5 << 2, Ordering::Relaxed);
        let mut c = MpscConsumer::new(ring(&m)).unwrap();
        assert_eq!(m.ctl.head.load(Ordering::Relaxed), 2);
        assert_eq!(pop_all(&mut c, env), Ok(std::vec![2]));
    }

    /// Drives a ring of 3 producer entries and 4 slots of 2 words through the
    /// operations the input picks, while the input also overwrites any word of the
    /// control block, table or slots between operations (a hostile peer) and picks
    /// which producers the consumer is told are dead. Every call must return (a
    /// value or [`Corrupt`]); what it hands out must stay within what was asked and
    /// within the slots.
    fn hostile_run(input: &[u8]) {
        const P: usize = 3;
        const W: usize = 2;
        let mut input = input.iter().copied();
        let mut byte = move || input.next();
        let ctl = MpscCtl::new();
        let data: Vec<AtomicU64> = (0..MpscRing::<4>::words(P, W))
            .map(|_| AtomicU64::new(0))
            .collect();
        let ring = MpscRing::<4>::new(&ctl, &data, P, W).unwrap();
        ring.init(Barrier::Symmetric);
        // Every word a peer can write: the control block's and the data's.
        let ctl_words = [
            &ctl.tail,
            &ctl.consumer_waiting,
            &ctl.barrier,
            &ctl.producers,
            &ctl.head,
            &ctl.producers_waiting,
            &ctl.consumer_pid,
            &ctl.abandoned,
        ];
        let env = &mut Env::default();
        let mut producers: Vec<MpscProducer<'_, 4>> = Vec::new();
        let mut consumer = MpscConsumer::new(ring).ok();
        while let Some(op) = byte() {
            // Garbage (11) one operation in 16; the rest exercise the protocol.
            let op = match op % 16 {
                12 => 4,
                13 => 9,
                14 => 8,
                15 => 1,
                op => op,
            };
            let arg = byte().unwrap_or(0);
            let pick = usize::from(arg);
            match op {
                0 => {
                    if let Some(p) = MpscProducer::register(ring, u64::from(arg), env) {
                        assert!(p.index() < P && p.registration() & 1 == 1);
                        producers.push(p);
                    }
                }
                1..=4 if !producers.is_empty() => {
                    let i = pick % producers.len();
                    let p = &mut producers[i];
                    match op {
                        1 => {
                            if let Ok(true) = p.reserve() {
                                assert_eq!(p.reserved().len(), W);
                            }
                        }
                        2 => {
                            let had = !p.reserved().is_empty();
                            assert_eq!(p.commit(env), had);
                        }
                        3 => {
                            let _ = p.cancel(env);
                        }
                        _ => {
                            let _ = p.push(|s| s[0].store(u64::from(arg), Ordering::Relaxed), env);
                            let _ = p.reserve_blocking(u32::from(arg % 3), env);
                        }
                    }
                    assert!(p.reserved().is_empty() || p.reserved().len() == W);
                }
                5 if !producers.is_empty() => {
                    let p = producers.swap_remove(pick % producers.len());
                    if arg & 1 == 0 {
                        p.leave(env);
                    } else {
                        // Killed: its registration is reclaimed (or not) later.
                        let _killed = p; // no publish, no leave (and no Drop that would)
                    }
                }
                6 => {
                    let _ = ring.reclaim(pick % (P + 1), u64::from(byte().unwrap_or(1)));
                    let _ = ring.registration(pick);
                }
                7 => consumer = MpscConsumer::new(ring).ok(),
                8 => {
                    if let Some(c) = consumer.as_mut() {
                        let max = pick % 6;
                        if let Ok(n) = c.peek(max, env) {
                            assert!(n <= max && n <= 4);
                            for i in 0..n {
                                assert_eq!(c.peeked(i).len(), W);
                            }
                            assert!(c.release(usize::from(byte().unwrap_or(0)), env) <= 4);
                        }
                    }
                }
                9 => {
                    if let Some(c) = consumer.as_mut() {
                        let max = pick % 6;
                        let mut seen = 0;
                        let r = c.pop(
                            max,
                            |_, s| {
                                assert_eq!(s.len(), W);
                                seen += 1;
                            },
                            env,
                        );
                        if let Ok(n) = r {
                            assert!(n == seen && n <= max);
                        }
                        let _ = c.pop_blocking(
                            max,
                            u32::from(arg % 3),
                            |_, s| assert_eq!(s.len(), W),
                            env,
                        );
                    }
                }
                10 => {
                    // The consumer's view of who is dead.
                    env.dead.clear();
                    env.dead.extend((0..P).filter(|j| arg >> j & 1 == 1));
                }
                _ => {
                    // The hostile peer: a word anywhere, small or near its neighbours.
                    let value = match byte().unwrap_or(0) % 3 {
                        0 => u64::from(byte().unwrap_or(0)),
                        1 => u64::MAX - u64::from(byte().unwrap_or(0)),
                        _ => u64::from_le_bytes(core::array::from_fn(|_| byte().unwrap_or(0))),
                    };
                    let at = pick % (ctl_words.len() + data.len());
                    match ctl_words.get(at) {
                        Some(w) => w.store(value, Ordering::Relaxed),
                        None => data[at - ctl_words.len()].store(value, Ordering::Relaxed),
                    }
                }
            }
        }
    }

    /// A hostile peer rewriting any word between operations: every operation
    /// returns, nothing handed out leaves the slots.
    #[test]
    fn hostile_peer_sequences_never_panic_or_escape_the_slots() {
        use proptest::prelude::*;
        let cases = if cfg!(miri) { 8 } else { 2000 };
        // No failure file: Miri's isolation has no current directory.
        let config = ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest!(config, |(input in proptest::collection::vec(any::<u8>(), 0..600))| {
            hostile_run(&input);
        });
    }

    /// The same from a fixed pseudo-random stream, long runs (reproducible).
    #[test]
    fn hostile_peer_long_runs_never_panic_or_escape_the_slots() {
        let runs = if cfg!(miri) { 2 } else { 200 };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..runs {
            let input: Vec<u8> = (0..4000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect();
            hostile_run(&input);
        }
    }

    /// Two threads push, one pops (std threads: Miri checks the accesses).
    #[test]
    fn threads_deliver_every_value_once_in_each_producers_order() {
        const EACH: u64 = if cfg!(miri) { 40 } else { 20_000 };
        let m = mem();
        std::thread::scope(|s| {
            for id in 0..2u64 {
                let m = &m;
                s.spawn(move || {
                    let env = &mut Env::default();
                    let mut p = MpscProducer::register(ring(m), id, env).unwrap();
                    for v in 0..EACH {
                        while !push(&mut p, id << 32 | v, env).unwrap() {
                            std::thread::yield_now();
                        }
                    }
                    p.leave(env);
                });
            }
            let env = &mut Env::default();
            let mut c = MpscConsumer::new(ring(&m)).unwrap();
            let mut next = [0u64; 2];
            while next != [EACH; 2] {
                let got = pop_all(&mut c, env).unwrap();
                if got.is_empty() {
                    std::thread::yield_now();
                }
                for v in got {
                    let id = (v >> 32) as usize;
                    assert_eq!(v & 0xffff_ffff, next[id], "producer {id} in order");
                    next[id] += 1;
                }
            }
            assert_eq!(c.abandoned(), 0);
        });
    }
}
