//! The one-writer, many-reader ring behind a future `Broadcast<T, N>`: `N` slots (a
//! power of two, at least 2), up to `R` readers (fixed at creation), each with its
//! own cursor on its own 128-byte line, and one of two policies chosen at creation:
//! *lossy* (the writer never waits; a reader it laps learns how many values it
//! missed) or *lossless* (the writer waits for the slowest live reader).
//!
//! # Byte layout
//!
//! | offset | field | written by | meaning |
//! |---:|---|---|---|
//! | 0..128 | [`Header`] | creator | `kind` = 3, `capacity` = `N`, `data_offset` = 384 |
//! | 128 | `tail` | writer | messages ever published (free-running `u64`, below 2^63) |
//! | 136 | `policy` | creator | [`Policy`]: 0 lossy, 1 lossless; anything else is corrupt |
//! | 144 | `barrier` | creator | 1: asymmetric wake check ([`Barrier::Asymmetric`]); anything else: symmetric |
//! | 152 | `readers` | creator | `R`, the reader lines that follow the control block, `1..=`[`MAX_READERS`] |
//! | 160 | `closed` | writer | 0 open, then 1 for good once the writer closed the stream; anything else is corrupt |
//! | 168 | `writer_pid` | writer | pid of the role's holder, 0 when released (for the typed layer) |
//! | 176..256 | padding | — | zero |
//! | 256 | `writer_waiting` | lossless writer sets (and clears when it stops waiting), a reader clears to wake it | non-zero: the writer is (about to be) parked |
//! | 264 + 8·w | `readers_waiting[w]` | reader `64·w + b` sets and clears bit `b`, the writer clears the word to wake them | `w` in `0..15`; bit set: that reader is (about to be) parked |
//! | 384 + 128·r | `cursor` of reader `r` | reader `r` | the next message it will read (free-running) |
//! | 384 + 128·r + 8 | `state` of reader `r` | joiner, leaver, dropper | [`FREE`] 0, [`JOINING`] 1, [`ACTIVE`] 2; anything else is corrupt |
//! | 384 + 128·r + 16 | `ticket` of reader `r` | joiner (+1), leaver or dropper (+1) | names one occupancy of the line, so that a drop never frees a later one |
//! | 384 + 128·r + 24 | `pid` of reader `r` | reader `r` | for the typed layer; not read here |
//! | 384 + 128·r + 32 | `wait` of reader `r` | reader `r` sets [`WAITING_WORD`] before announcing its bit, the writer that takes the bit clears it | [`WAITING_WORD`]: reader `r` waits asynchronously on this word (futex), not on its semaphore (layout version 6) |
//! | 384 + 128·r + 40..+128 | padding | — | zero |
//! | 384 + 128·R + i·S | `seq` of slot `i` | writer | `2m + 1` while message `m` is being written into it, `2m + 2` once it is complete; 0 never written |
//! | 384 + 128·R + i·S + 8 | payload of slot `i` | writer | `i` in `0..N`; `S` = 8 + `size_of::<T>()` rounded up to 8 |
//!
//! Message `m` lives in slot `m & (N - 1)`. The reader lines are `R` blocks of
//! [`LINE_WORDS`] words; a [`Broadcast`] takes them and the slots as two slices.
//!
//! # Protocol
//!
//! - **Write (both policies).** For message `m` the writer stores `2m + 1`
//!   (Release) into the slot's `seq`, runs a Release fence, lets the caller write
//!   the payload with Relaxed word stores ([`BcWriter::reserve`] /
//!   [`BcWriter::reserved`]), then stores `2m + 2` (Release) into `seq` and
//!   `tail = m + 1` (Release) ([`BcWriter::commit`]).
//! - **Read (both policies).** A reader at cursor `c` learns that message `c` is
//!   there from an Acquire load of `tail` (or, for a single message, of the slot's
//!   `seq` reading `2c + 2`), reads the payload with Relaxed loads
//!   ([`BcReader::peek`] / [`BcReader::peeked`]), then, seqlock style, runs an
//!   Acquire fence and re-loads every read slot's `seq` ([`BcReader::release`]):
//!   a value other than `2m + 2` means the writer has started to overwrite the
//!   slot, and the copy is thrown away. If any payload word read came from a
//!   newer write, the reader's fence synchronises with that write's Release fence,
//!   so the re-load sees its odd mark (or later): a torn slot is never accepted.
//!   The reader then stores its `cursor` (Release). A single read learns of
//!   message `c` from its slot's `seq`, which the writer stores before `tail`:
//!   a `tail` the reader loads afterwards can still be behind its cursor, by at
//!   most `N` (the writer stores `tail` after every batch of at most `N`). That
//!   is a store not yet seen, so nothing new; further behind is corrupt.
//! - **Lapped.** A reader finds it was lapped when `tail - c > N`, or when the
//!   `seq` of a slot it wants names a message `m' > c` (necessarily `m' >= c + N`,
//!   same slot). It loads `tail` (which is at least `m'`: the mark's Release store
//!   follows the writer's store of `tail = m'`, and the reader read it with an
//!   Acquire load, or, in the validation, a Relaxed one followed by an Acquire
//!   fence on that cold path) and continues from
//!   `max(tail - N, m' + 1 - N)`, the oldest message the writer can still be
//!   about to keep, reporting the exact number skipped ([`ReadError::Lagged`]).
//!   Every value a reader returns is the message at its cursor, and every gap
//!   moves the cursor by exactly the count reported: the stream it sees is the
//!   writer's, in order, with exactly the reported holes. A reader may be lapped
//!   again at once; each lap reports its own gap.
//! - **Lossless.** The writer publishes message `m` only once every [`ACTIVE`]
//!   reader's cursor is above `m - N`, which it learns by a *scan* of the reader
//!   lines (Acquire loads of `state` and `cursor`, pairing with the readers'
//!   Release stores, so their reads of a slot happen before its reuse). It caches
//!   the slowest cursor and rescans only when the cache says full. A [`JOINING`]
//!   line, or a cursor more than `N` behind, blocks it; a cursor ahead of `tail`
//!   is corrupt.
//! - **Join.** A reader claims a [`FREE`] line (compare-exchange to [`JOINING`]),
//!   takes a ticket, runs a SeqCst fence and loads `tail = t`, then stores its
//!   cursor (`t` for [`Start::Newest`], `t - N` or 0 for [`Start::Oldest`]) and
//!   `state = ACTIVE` (Release). The writer's scan is preceded by a SeqCst fence
//!   too (after its last `tail` store): either the scan sees the line non-free, or
//!   the joiner's `tail` load returns at least the `tail` the writer had when it
//!   scanned, and every message that scan let the writer publish overwrites a
//!   slot of a message below `t`. So a lossless reader that joins at the newest is
//!   never lapped; one that joins at the oldest can be lapped only by messages the
//!   writer published before it knew of the reader: every value it loses is below
//!   the `t` it loaded (the loom models in `tests/loom_broadcast.rs`). The gaps
//!   need not come before its first value: it may read the oldest before the
//!   writer overwrites it and be lapped on the next (`tests/broadcast.rs` met
//!   this with processes; the loom model's three messages do not reach it).
//! - **Leave and drop.** A reader leaves by moving its `ticket` on (compare-
//!   exchange from its own) and storing `state = FREE` (Release). A process that
//!   learnt by other means that a reader died (its `SEM_UNDO` registration undone)
//!   drops it the same way with the ticket it saw ([`Broadcast::drop_reader`]);
//!   the compare-exchange makes a drop of an occupancy that already ended a no-op.
//!   From then on the writer ignores the line: the dead reader's stale `cursor`
//!   stays in it, unread, until the next joiner overwrites it before its
//!   [`ACTIVE`] store. A dropped reader that is in fact alive learns it
//!   ([`ReadError::Dropped`]) when it next waits; until then its cursor stores can
//!   only make a lossless writer wait for it, or, if a new reader took the line,
//!   make that reader see laps — validated, never a torn value.
//! - **Park/wake.** As in [`ring`](crate::layout::ring) ("Park/wake"), with the
//!   same two barrier pairs. A reader about to park sets its bit in
//!   `readers_waiting` (`fetch_or`), runs the heavy barrier and re-loads `tail`;
//!   after every commit the writer runs the light barrier and loads the
//!   `⌈R / 64⌉` mask words: with nobody parked, that is the whole cost (one load of
//!   a line nobody writes), no system call. A non-zero word is swapped to 0 and
//!   each reader whose bit was set is woken once ([`Fanout::unpark_reader`], one
//!   semaphore per reader in the typed layer); a reader that stops waiting clears
//!   its bit (`fetch_and`), and if it finds the bit already clear the writer took
//!   it and owes a wake ([`Parking::absorb_wake`]). The lossless writer parks on
//!   `writer_waiting` exactly as the ring's producer does on `producer_waiting`;
//!   every reader checks it after each cursor store (lossless only), and so do a
//!   join, a leave and a drop, which can unblock the writer too.
//! - **Close.** The writer stores `closed = 1` (Release) after its last `tail`
//!   store and wakes every parked reader. A reader that finds no message loads
//!   `closed` (Acquire) and then `tail` again; it reports the end only once its
//!   cursor has reached that final `tail`.
//! - **Never trusting the segment.** Slot numbers are masked with the
//!   compile-time `N`; reader line numbers are checked against the `R` read once
//!   at [`Broadcast::new`]; a `seq`, `tail`, `cursor` or `state` that no run of
//!   the protocol can produce is [`Corrupt`] / [`ReadError::Corrupt`], never an
//!   index. Garbage in a waiting word costs a spurious wake.

use core::marker::PhantomData;

use crate::layout::bit_waiter;
use crate::layout::header::Header;
use crate::layout::ring::{
    AnyWords, Barrier, Corrupt, DEADLINE_SPINS, Parking, PayloadWords, WAITING_SEM, WAITING_WORD,
    announce, park_barrier, take_waiter, wake_peer, withdraw,
};
use crate::sync::{AtomicU64, Ordering, fence, light_barrier, spin_loop};

/// Offset of the first reader line: the control block's size.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::{BcCtl, DATA_OFFSET};
///
/// assert_eq!(size_of::<BcCtl>(), DATA_OFFSET);
/// ```
pub const DATA_OFFSET: usize = 384;

/// Bytes of a broadcast's layout: the control block, `readers` reader lines,
/// then `capacity` slots of a `seq` word and `slot_words` payload words; `None`
/// past `isize::MAX`. The one formula [`Broadcast`](crate::broadcast::Broadcast)
/// and [`info::needs`](crate::info::needs) use.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::layout_size;
///
/// assert_eq!(layout_size(8, 1, 2), Some(384 + 2 * 128 + 8 * 16));
/// ```
pub const fn layout_size(capacity: usize, slot_words: usize, readers: usize) -> Option<usize> {
    let w = crate::layout::WORD;
    let Some(stride) = slot_words.checked_add(1) else {
        return None;
    };
    let Some(slots) = capacity.checked_mul(stride) else {
        return None;
    };
    let Some(lines) = readers.checked_mul(LINE_WORDS) else {
        return None;
    };
    let Some(words) = slots.checked_add(lines) else {
        return None;
    };
    match words.checked_mul(w) {
        Some(n) if n <= isize::MAX as usize - DATA_OFFSET => Some(DATA_OFFSET + n),
        _ => None,
    }
}

/// Words of one reader line (128 bytes).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::{LINE, WORD, broadcast::LINE_WORDS};
///
/// assert_eq!(LINE_WORDS * WORD, LINE);
/// ```
pub const LINE_WORDS: usize = 16;

/// Most readers a layout can have: one bit each in the 15 `readers_waiting` words.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::{BcCtl, MAX_READERS};
///
/// assert_eq!(MAX_READERS, 64 * BcCtl::new().readers_waiting.len());
/// ```
pub const MAX_READERS: usize = 15 * 64;

/// Word of a reader line: the reader's cursor.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::{ACTIVE, CURSOR, PID, STATE, TICKET};
///
/// assert_eq!([CURSOR, STATE, TICKET, PID], [0, 1, 2, 3]); // word offsets in a line
/// ```
pub const CURSOR: usize = 0;
/// Word of a reader line: [`FREE`], [`JOINING`] or [`ACTIVE`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::STATE;
///
/// assert_eq!(STATE * 8, 8); // byte 8 of the line
/// ```
pub const STATE: usize = 1;
/// Word of a reader line: the occupancy's ticket.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::TICKET;
///
/// assert_eq!(TICKET * 8, 16);
/// ```
pub const TICKET: usize = 2;
/// Word of a reader line: the reader's pid (for the typed layer).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::PID;
///
/// assert_eq!(PID * 8, 24);
/// ```
pub const PID: usize = 3;

/// Word of a reader line: [`WAITING_WORD`] while the reader's asynchronous waiter
/// sleeps on it (a futex wait), set before the reader announces its bit in
/// `readers_waiting` (with Release, which the writer's Acquire swap of the bitmap
/// pairs with); the writer that takes the bit clears it and futex-wakes it
/// instead of posting the reader's semaphore.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::WAIT;
///
/// assert_eq!(WAIT * 8, 32);
/// ```
pub const WAIT: usize = 4;

/// `state`: the line is free (the creator's value).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::FREE;
///
/// assert_eq!(FREE, 0); // a zero-filled segment has every line free
/// ```
pub const FREE: u64 = 0;
/// `state`: a reader is choosing its start; a lossless writer waits meanwhile.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::JOINING;
///
/// assert_eq!(JOINING, 1);
/// ```
pub const JOINING: u64 = 1;
/// `state`: a reader reads from its cursor; a lossless writer waits for it.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::ACTIVE;
///
/// assert_eq!(ACTIVE, 2);
/// ```
pub const ACTIVE: u64 = 2;

const OPEN: u64 = 0;
const CLOSED: u64 = 1;
/// Half the index space: a wrapping distance above it is "behind", not "ahead".
const HALF: u64 = 1 << 63;

/// The `seq` of a slot while message `m` is written into it.
const fn writing(m: u64) -> u64 {
    m.wrapping_mul(2).wrapping_add(1)
}

/// The `seq` of a slot holding message `m` complete.
const fn done(m: u64) -> u64 {
    m.wrapping_mul(2).wrapping_add(2)
}

/// What the writer does when a reader lags: chosen at creation.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::Policy;
///
/// assert_eq!(Policy::Lossy as u64, 0); // the `policy` word
/// assert_eq!(Policy::Lossless as u64, 1);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Policy {
    /// The writer never waits; a lapped reader gets `Lagged` (`ReadError::Lagged`
    /// here, `ErrorKind::Lagged` in the typed `broadcast`).
    Lossy = 0,
    /// The writer waits for the slowest live (`ACTIVE`) reader.
    Lossless = 1,
}

/// Where a joining reader starts.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::Start;
///
/// assert_ne!(Start::Oldest, Start::Newest);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Start {
    /// At the oldest message still in the ring (at most `N` back).
    Oldest,
    /// At the next message the writer publishes.
    Newest,
}

/// Why a read returned no values.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::ReadError;
/// use sysv_ipc::layout::ring::Corrupt;
///
/// assert_eq!(ReadError::from(Corrupt), ReadError::Corrupt);
/// assert_ne!(ReadError::Lagged(3), ReadError::Lagged(4));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReadError {
    /// Shared words no run of the protocol can produce: a peer corrupted them.
    Corrupt,
    /// The writer overwrote this many messages before the reader read them; the
    /// reader now stands at the oldest one it can still get, and what a
    /// callback saw in this call is to be thrown away.
    Lagged(u64),
    /// The reader's line was dropped ([`Broadcast::drop_reader`]) or taken over;
    /// the reader must join again.
    Dropped,
}

impl From<Corrupt> for ReadError {
    fn from(_: Corrupt) -> Self {
        ReadError::Corrupt
    }
}

/// Why a blocking call returned without a value.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::{ReadError, WaitError};
///
/// let e: WaitError<()> = ReadError::Lagged(2).into();
/// assert_eq!(e, WaitError::Read(ReadError::Lagged(2)));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum WaitError<E> {
    /// See [`ReadError`].
    Read(ReadError),
    /// The writer closed the stream and the reader has read every message.
    Closed,
    /// [`Parking::park`], [`Parking::heavy_barrier`] or
    /// [`Parking::check_deadline`] failed.
    Park(E),
}

impl<E> From<ReadError> for WaitError<E> {
    fn from(e: ReadError) -> Self {
        WaitError::Read(e)
    }
}

impl<E> From<Corrupt> for WaitError<E> {
    fn from(_: Corrupt) -> Self {
        WaitError::Read(ReadError::Corrupt)
    }
}

/// Why [`BcReader::join`] failed.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::JoinError;
///
/// assert_ne!(JoinError::Taken, JoinError::OutOfRange);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum JoinError {
    /// No reader line of that number (it is not below `R`).
    OutOfRange,
    /// Another reader holds the line (or a dead one does, until it is dropped).
    Taken,
    /// The line's `state` is garbage.
    Corrupt,
}

/// The writer's parking: its own park (lossless, ring full) through
/// [`Parking`], and one wake per parked reader. The writer never calls
/// [`Parking::unpark_peer`]; a reader's parking wakes the writer through it.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::broadcast::Fanout;
/// use sysv_ipc::layout::ring::Parking;
///
/// /// Records which readers were woken.
/// #[derive(Default)]
/// struct Woken(Vec<usize>);
/// impl Parking for Woken {
///     type Error = ();
///     fn park(&mut self) -> Result<(), ()> { Err(()) }
///     fn unpark_peer(&mut self) {}
///     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// }
/// impl Fanout for Woken {
///     fn unpark_reader(&mut self, reader: usize) { self.0.push(reader); }
/// }
/// let mut w = Woken::default();
/// w.unpark_reader(3);
/// assert_eq!(w.0, [3]);
/// ```
pub trait Fanout: Parking {
    /// Wakes reader `reader`'s [`Parking::park`] (its own semaphore in the typed
    /// layer). Called at most once per park the reader announced.
    fn unpark_reader(&mut self, reader: usize);
}

/// The control block: header, writer line, waiting line (384 bytes).
///
/// # Examples
///
/// ```
/// use core::mem::offset_of;
/// use sysv_ipc::layout::broadcast::BcCtl;
///
/// assert_eq!(offset_of!(BcCtl, tail), 128);
/// assert_eq!(offset_of!(BcCtl, writer_waiting), 256);
/// assert_eq!(offset_of!(BcCtl, readers_waiting), 264);
/// ```
#[repr(C, align(128))]
#[derive(Debug)]
pub struct BcCtl {
    /// The segment header.
    pub header: Header,
    /// Messages published; written by the writer only.
    pub tail: AtomicU64,
    /// [`Policy`] as a number; written by the creator before the header is
    /// published.
    pub policy: AtomicU64,
    /// [`Barrier`] as a number (1: asymmetric, anything else: symmetric).
    pub barrier: AtomicU64,
    /// `R`: reader lines after the control block.
    pub readers: AtomicU64,
    /// 0 open, 1 once the writer closed the stream.
    pub closed: AtomicU64,
    /// Pid of the writer role's holder, 0 if released.
    pub writer_pid: AtomicU64,
    /// Keeps the waiting line off the writer's 128 bytes.
    pub writer_pad: [AtomicU64; 10],
    /// Set by a lossless writer about to park; cleared by whoever wakes or
    /// un-parks it.
    pub writer_waiting: AtomicU64,
    /// Bit `r % 64` of word `r / 64`: reader `r` is (about to be) parked.
    pub readers_waiting: [AtomicU64; 15],
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<BcCtl>() == DATA_OFFSET);
    assert!(offset_of!(BcCtl, header) == 0);
    assert!(offset_of!(BcCtl, tail) == 128);
    assert!(offset_of!(BcCtl, policy) == 136);
    assert!(offset_of!(BcCtl, barrier) == 144);
    assert!(offset_of!(BcCtl, readers) == 152);
    assert!(offset_of!(BcCtl, closed) == 160);
    assert!(offset_of!(BcCtl, writer_pid) == 168);
    assert!(offset_of!(BcCtl, writer_pad) == 176);
    assert!(offset_of!(BcCtl, writer_waiting) == 256);
    assert!(offset_of!(BcCtl, readers_waiting) == 264);
    assert!(MAX_READERS <= 64 * 15);
};

impl BcCtl {
    /// A zeroed control block (for models and tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::broadcast::BcCtl;
    ///
    /// assert_eq!(BcCtl::new().tail.load(Ordering::Relaxed), 0);
    /// ```
    pub fn new() -> BcCtl {
        let zero = || AtomicU64::new(0);
        BcCtl {
            header: Header::new(),
            tail: zero(),
            policy: zero(),
            barrier: zero(),
            readers: zero(),
            closed: zero(),
            writer_pid: zero(),
            writer_pad: core::array::from_fn(|_| zero()),
            writer_waiting: zero(),
            readers_waiting: core::array::from_fn(|_| zero()),
        }
    }

    /// The creator's initialisation (between [`Header::begin_init`] and
    /// [`Header::publish`], which publishes it). The reader lines must be zero
    /// (all [`FREE`]): a new segment's are.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::broadcast::{BcCtl, Policy};
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 8, Barrier::Symmetric);
    /// assert_eq!(ctl.policy(), Ok(Policy::Lossless));
    /// ```
    pub fn init(&self, policy: Policy, readers: usize, barrier: Barrier) {
        // Relaxed (all): published by the header's Release store of READY.
        self.policy.store(policy as u64, Ordering::Relaxed);
        self.barrier.store(barrier as u64, Ordering::Relaxed);
        self.readers.store(readers as u64, Ordering::Relaxed);
        for word in [
            &self.tail,
            &self.closed,
            &self.writer_pid,
            &self.writer_waiting,
        ]
        .into_iter()
        .chain(&self.readers_waiting)
        {
            word.store(0, Ordering::Relaxed);
        }
    }

    /// The policy recorded by the creator; [`Corrupt`] for any other value.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::broadcast::{BcCtl, Policy};
    /// use sysv_ipc::layout::ring::Corrupt;
    ///
    /// let ctl = BcCtl::new();
    /// assert_eq!(ctl.policy(), Ok(Policy::Lossy));
    /// ctl.policy.store(9, Ordering::Relaxed);
    /// assert_eq!(ctl.policy(), Err(Corrupt));
    /// ```
    pub fn policy(&self) -> Result<Policy, Corrupt> {
        // Relaxed: written before READY, read after `attach`'s Acquire of READY.
        match self.policy.load(Ordering::Relaxed) {
            0 => Ok(Policy::Lossy),
            1 => Ok(Policy::Lossless),
            _ => Err(Corrupt),
        }
    }

    /// The wake check recorded by the creator: 1 is [`Barrier::Asymmetric`], any
    /// other value [`Barrier::Symmetric`] (correct whatever the peers do).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::broadcast::BcCtl;
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = BcCtl::new();
    /// ctl.barrier.store(0xdead, Ordering::Relaxed);
    /// assert_eq!(ctl.barrier(), Barrier::Symmetric);
    /// ```
    pub fn barrier(&self) -> Barrier {
        // Relaxed: as `policy`.
        match self.barrier.load(Ordering::Relaxed) {
            1 => Barrier::Asymmetric,
            _ => Barrier::Symmetric,
        }
    }

    /// Whether the writer closed the stream; [`Corrupt`] for a `closed` word that
    /// is neither 0 nor 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::broadcast::BcCtl;
    ///
    /// let ctl = BcCtl::new();
    /// assert_eq!(ctl.is_closed(), Ok(false));
    /// ctl.closed.store(1, Ordering::Release);
    /// assert_eq!(ctl.is_closed(), Ok(true));
    /// ```
    pub fn is_closed(&self) -> Result<bool, Corrupt> {
        // Acquire: pairs with the Release store in `BcWriter::close`, so a `tail`
        // load after this one returns the writer's final `tail`.
        match self.closed.load(Ordering::Acquire) {
            OPEN => Ok(false),
            CLOSED => Ok(true),
            _ => Err(Corrupt),
        }
    }
}

impl Default for BcCtl {
    fn default() -> Self {
        BcCtl::new()
    }
}

/// One reader line.
#[derive(Copy, Clone, Debug)]
struct Line<'a> {
    cursor: &'a AtomicU64,
    state: &'a AtomicU64,
    ticket: &'a AtomicU64,
    wait: &'a AtomicU64,
}

/// The layout over a control block, `R` reader lines ([`LINE_WORDS`] words each)
/// and `N` slots of a `seq` word and `slot_words` payload words.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
/// use sysv_ipc::layout::ring::{Barrier, Parking};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
/// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
///
/// // Local memory standing in for a segment: 2 readers, 4 slots of 1 word.
/// let ctl = BcCtl::new();
/// ctl.init(Policy::Lossy, 2, Barrier::Symmetric);
/// let lines: [AtomicU64; Broadcast::<4>::line_words(2)] = Default::default();
/// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
/// let bc = Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap();
/// let mut w = BcWriter::new(bc).unwrap();
/// let mut a = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
/// let mut b = BcReader::join(bc, 1, Start::Newest, &mut NoPark).unwrap();
/// w.push(2, |i, s| s[0].store(10 + i as u64, Ordering::Relaxed), &mut NoPark).unwrap();
/// for r in [&mut a, &mut b] {
///     let mut got = Vec::new();
///     assert_eq!(r.pop(4, |_, s| got.push(s[0].load(Ordering::Relaxed)), &mut NoPark), Ok(2));
///     assert_eq!(got, [10, 11]); // every reader sees every value
/// }
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Broadcast<'a, const N: usize, W: PayloadWords = AnyWords> {
    ctl: &'a BcCtl,
    lines: &'a [AtomicU64],
    slots: &'a [AtomicU64],
    slot_words: usize,
    readers: usize,
    policy: Policy,
    barrier: Barrier,
    words: PhantomData<W>,
}

impl<'a, const N: usize> Broadcast<'a, N> {
    /// Words of `N` slots of `slot_words` payload words (each has a `seq` too);
    /// saturates instead of overflowing, which no slice can match.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::broadcast::Broadcast;
    ///
    /// assert_eq!(Broadcast::<4>::words(2), 12);
    /// ```
    pub const fn words(slot_words: usize) -> usize {
        N.saturating_mul(slot_words.saturating_add(1))
    }

    /// Words of `readers` reader lines.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::broadcast::Broadcast;
    ///
    /// assert_eq!(Broadcast::<4>::line_words(2), 32);
    /// ```
    pub const fn line_words(readers: usize) -> usize {
        readers.saturating_mul(LINE_WORDS)
    }

    /// The layout over `ctl`, its reader lines and its slots; `None` unless the
    /// control block's `readers` is in `1..=`[`MAX_READERS`] and matches `lines`,
    /// `slots` has [`words`](Self::words)`(slot_words)` words, `slot_words > 0`
    /// and `policy` is valid. Reads `readers`, `policy` and `barrier` once.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::broadcast::{BcCtl, Broadcast, Policy};
    /// use sysv_ipc::layout::ring::Barrier;
    ///
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// assert!(Broadcast::<2>::new(&ctl, &lines, &slots, 1).is_some());
    /// assert!(Broadcast::<2>::new(&ctl, &lines[..8], &slots, 1).is_none()); // not one line
    /// assert!(Broadcast::<2>::new(&ctl, &lines, &slots, 2).is_none()); // wrong slot size
    /// ```
    pub fn new(
        ctl: &'a BcCtl,
        lines: &'a [AtomicU64],
        slots: &'a [AtomicU64],
        slot_words: usize,
    ) -> Option<Self> {
        Self::with_words(ctl, lines, slots, slot_words)
    }
}

impl<'a, const N: usize, W: PayloadWords> Broadcast<'a, N, W> {
    /// [`Broadcast::new`] for a layout whose type fixes its payload words
    /// ([`PayloadWords`]): `None` also when `W::WORDS` is neither 0 nor
    /// `slot_words`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::broadcast::{BcCtl, Broadcast, Policy};
    /// use sysv_ipc::layout::ring::{AnyWords, Barrier};
    ///
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// assert!(Broadcast::<2, AnyWords>::with_words(&ctl, &lines, &slots, 1).is_some());
    /// ```
    pub fn with_words(
        ctl: &'a BcCtl,
        lines: &'a [AtomicU64],
        slots: &'a [AtomicU64],
        slot_words: usize,
    ) -> Option<Self> {
        const {
            assert!(
                N.is_power_of_two() && N >= 2,
                "the capacity must be a power of two, at least 2"
            );
        }
        // Relaxed: written before READY, read after `attach`'s Acquire of READY.
        let readers = ctl.readers.load(Ordering::Relaxed);
        let readers = usize::try_from(readers)
            .ok()
            .filter(|&r| (1..=MAX_READERS).contains(&r))?;
        let policy = ctl.policy().ok()?;
        (slot_words > 0
            && slot_words < usize::MAX
            && Broadcast::<'a, N>::words(slot_words) == slots.len()
            && Broadcast::<'a, N>::line_words(readers) == lines.len()
            && (W::WORDS == 0 || W::WORDS == slot_words))
            .then_some(Broadcast {
                ctl,
                lines,
                slots,
                slot_words,
                readers,
                policy,
                barrier: ctl.barrier(),
                words: PhantomData,
            })
    }

    /// The control block.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, Broadcast, Policy};
    /// # use sysv_ipc::layout::ring::Barrier;
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// assert!(core::ptr::eq(bc.ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a BcCtl {
        self.ctl
    }

    /// The policy, as read by [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, Broadcast, Policy};
    /// # use sysv_ipc::layout::ring::Barrier;
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// assert_eq!(bc.policy(), Policy::Lossless);
    /// ```
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// `R`, as read by [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, Broadcast, Policy};
    /// # use sysv_ipc::layout::ring::Barrier;
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 2, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(2)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// assert_eq!(Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap().readers(), 2);
    /// ```
    pub fn readers(&self) -> usize {
        self.readers
    }

    /// The ticket of reader line `reader` (what [`drop_reader`](Self::drop_reader)
    /// takes), and whether the line is held ([`JOINING`] or [`ACTIVE`]); `None`
    /// for a line out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// assert_eq!(bc.ticket(0), Some((0, false)));
    /// let r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!(bc.ticket(0), Some((r.ticket(), true)));
    /// assert_eq!(bc.ticket(1), None);
    /// ```
    pub fn ticket(&self, reader: usize) -> Option<(u64, bool)> {
        let line = self.line(reader)?;
        // Relaxed (both): advisory; `drop_reader`'s compare-exchange decides.
        let ticket = line.ticket.load(Ordering::Relaxed);
        let held = line.state.load(Ordering::Relaxed) != FREE;
        Some((ticket, held))
    }

    /// Frees reader line `reader` for the occupancy named by `ticket`: for a reader
    /// known to be dead (its `SEM_UNDO` registration undone), so that a lossless
    /// writer stops waiting for it. Wakes the writer if it is parked. `Ok(false)`
    /// if the ticket has moved on (the reader left, or was dropped already) or the
    /// line is out of range. Never drop a live reader: see the module docs
    /// ("Leave and drop") for what it then sees.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// let dead = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// let ticket = dead.ticket();
    /// core::mem::forget(dead); // its process died
    /// assert_eq!(w.push(3, |_, s| s[0].store(1, Ordering::Relaxed), &mut NoPark), Ok(2));
    /// assert_eq!(w.push(1, |_, _| {}, &mut NoPark), Ok(0)); // full: waits for the reader
    /// assert_eq!(bc.drop_reader(0, ticket, &mut NoPark), Ok(true));
    /// assert_eq!(bc.drop_reader(0, ticket, &mut NoPark), Ok(false)); // once
    /// assert_eq!(w.push(1, |_, s| s[0].store(2, Ordering::Relaxed), &mut NoPark), Ok(1));
    /// ```
    pub fn drop_reader<P: Parking>(
        &self,
        reader: usize,
        ticket: u64,
        parking: &mut P,
    ) -> Result<bool, Corrupt> {
        let Some(line) = self.line(reader) else {
            return Ok(false);
        };
        free_line(self, reader, line, ticket, parking)
    }

    /// Reader line `reader`, if below `R`.
    fn line(&self, reader: usize) -> Option<Line<'a>> {
        if reader >= self.readers {
            return None;
        }
        let words = self
            .lines
            .get(reader * LINE_WORDS..reader * LINE_WORDS + LINE_WORDS)?;
        Some(Line {
            cursor: words.get(CURSOR)?,
            state: words.get(STATE)?,
            ticket: words.get(TICKET)?,
            wait: words.get(WAIT)?,
        })
    }

    /// Reader `reader`'s waiting word and bit.
    fn wait_bit(&self, reader: usize) -> (&'a AtomicU64, u64) {
        let word = self
            .ctl
            .readers_waiting
            .get(reader / 64)
            // `reader < R <= MAX_READERS`: never taken.
            .unwrap_or(&self.ctl.writer_pad[0]);
        (word, 1 << (reader % 64))
    }

    /// The `seq` word and payload words of the slot of message `index`.
    // Unchecked and by pointer, as the ring's `slot`: on every send and receive,
    // where the checked slice over a runtime stride cost 15 of a one-message
    // call's instructions (callgrind).
    #[inline]
    fn slot(&self, index: u64) -> (&'a AtomicU64, &'a [AtomicU64]) {
        // Masked with our compile-time N: the slot is in range whatever `index` is.
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

    /// Runs the writer's wake check after a store that may let it go on (a
    /// cursor, a `state`): lossless only.
    fn wake_writer<P: Parking>(&self, parking: &mut P) {
        if self.policy == Policy::Lossless {
            let taken = take_waiter(&self.ctl.writer_waiting, self.barrier);
            if taken != 0 {
                wake_peer(parking, &self.ctl.writer_waiting, taken);
            }
        }
    }
}

/// Leave or drop: ends the occupancy `ticket` of line `reader`.
fn free_line<const N: usize, W: PayloadWords, P: Parking>(
    bc: &Broadcast<'_, N, W>,
    reader: usize,
    line: Line<'_>,
    ticket: u64,
    parking: &mut P,
) -> Result<bool, Corrupt> {
    // Relaxed: the compare-exchange's atomicity alone decides which of a leave
    // and any drops ends this occupancy; the state store below publishes it.
    if line
        .ticket
        .compare_exchange(
            ticket,
            ticket.wrapping_add(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        )
        .is_err()
    {
        return Ok(false);
    }
    // A dead reader's announced park would otherwise cost one stray wake.
    let (word, bit) = bc.wait_bit(reader);
    // Relaxed: only its atomicity matters.
    word.fetch_and(!bit, Ordering::Relaxed);
    // A dead word waiter's mark too: the line's next reader may park on its
    // semaphore, which a writer finding WAITING_WORD here would not post.
    // Relaxed: published by the Release store below, before any join.
    line.wait.store(0, Ordering::Relaxed);
    // Release: the reader's slot reads (if it lived) happen before the writer's
    // Acquire load of `state` that reads FREE and stops waiting for it.
    line.state.store(FREE, Ordering::Release);
    bc.wake_writer(parking);
    Ok(true)
}

/// What [`block_on`] needs of a side: the writer or a reader.
trait Waiter {
    /// Sets our waiting flag or bit.
    fn announce(&self);
    /// Un-announces a park not (any more) going to sleep; absorbs a taken wake.
    fn withdraw<P: Parking>(&self, parking: &mut P);
    /// Un-announces after a park returned.
    fn unannounce(&self);
    /// The heavy barrier of the pair (withdrawing on error).
    fn heavy<P: Parking>(&self, parking: &mut P) -> Result<(), WaitError<P::Error>>;
    /// After the barrier: whether we can go on.
    fn recheck(&mut self) -> Result<bool, ReadError>;
    /// Nothing will ever come.
    fn finished(&self) -> bool;
}

/// The blocking forms: attempt, spin `spins` times, then park, as the ring's
/// `block_on` (same deadline checks).
fn block_on<S: Waiter, P: Parking>(
    side: &mut S,
    max: usize,
    spins: u32,
    mut attempt: impl FnMut(&mut S, &mut P) -> Result<usize, ReadError>,
    parking: &mut P,
) -> Result<usize, WaitError<P::Error>> {
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
            return Err(WaitError::Closed);
        }
        if spun >= spins || spun.is_multiple_of(DEADLINE_SPINS) {
            parking.check_deadline().map_err(WaitError::Park)?;
        }
        if spun < spins {
            spun += 1;
            spin_loop();
            continue;
        }
        side.announce();
        side.heavy(parking)?;
        match side.recheck() {
            Ok(false) => {}
            Ok(true) => {
                side.withdraw(parking);
                continue;
            }
            Err(e) => {
                side.withdraw(parking);
                return Err(e.into());
            }
        }
        match parking.park() {
            // Woken, or a spurious return: nothing owed that we know of.
            Ok(()) => side.unannounce(),
            Err(e) => {
                side.withdraw(parking);
                return Err(WaitError::Park(e));
            }
        }
    }
}

/// The writer's side: its own `tail`, and (lossless) the slowest cursor it saw.
///
/// # Examples
///
/// ```
/// # use core::sync::atomic::{AtomicU64, Ordering};
/// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Fanout, Policy};
/// # use sysv_ipc::layout::ring::{Barrier, Parking};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
/// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
/// let ctl = BcCtl::new();
/// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
/// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
/// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
/// let mut w = BcWriter::new(Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap()).unwrap();
/// for v in 0..5 {
///     // Lossy: never full, whoever lags.
///     assert_eq!(w.push(1, |_, s| s[0].store(v, Ordering::Relaxed), &mut NoPark), Ok(1));
/// }
/// assert_eq!(w.tail(), 5);
/// ```
#[derive(Debug)]
pub struct BcWriter<'a, const N: usize, W: PayloadWords = AnyWords> {
    bc: Broadcast<'a, N, W>,
    /// Our authoritative tail; the shared one is only ever stored.
    tail: u64,
    /// Lossless: a cursor no active reader was below at the last scan;
    /// `tail - cached_min <= N` always holds.
    cached_min: u64,
    /// Slots marked by the last `reserve` and not yet committed.
    reserved: usize,
}

impl<'a, const N: usize, W: PayloadWords> BcWriter<'a, N, W> {
    /// Takes the writer's side, continuing from the shared `tail`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Policy};
    /// # use sysv_ipc::layout::ring::{Barrier, Corrupt};
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// ctl.tail.store(7, Ordering::Release); // a previous writer's
    /// assert_eq!(BcWriter::new(bc).unwrap().tail(), 7);
    /// ctl.tail.store(u64::MAX, Ordering::Release); // no run gets there
    /// assert_eq!(BcWriter::new(bc).unwrap_err(), Corrupt);
    /// ```
    pub fn new(bc: Broadcast<'a, N, W>) -> Result<Self, Corrupt> {
        // Acquire: pairs with the previous writer's Release stores of `tail`.
        let tail = bc.ctl.tail.load(Ordering::Acquire);
        if tail >= HALF {
            return Err(Corrupt);
        }
        Ok(BcWriter {
            bc,
            tail,
            // Every cursor is at least 0 and (lossless) at least `tail - N` once
            // the writer got there, so this is a lower bound; `reserve` rescans
            // when it says full.
            cached_min: tail.saturating_sub(N as u64),
            reserved: 0,
        })
    }

    /// Messages published so far.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Policy};
    /// # use sysv_ipc::layout::ring::Barrier;
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let w = BcWriter::new(Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(w.tail(), 0);
    /// ```
    pub fn tail(&self) -> u64 {
        self.tail
    }

    /// Free slots: `N` when lossy; lossless, rescanning the readers only if the
    /// cache shows fewer than `want`.
    fn free(&mut self, want: usize) -> Result<usize, Corrupt> {
        if self.bc.policy == Policy::Lossy {
            return Ok(N);
        }
        let used = self.tail.wrapping_sub(self.cached_min);
        let free = (N as u64).saturating_sub(used) as usize;
        if free >= want {
            return Ok(free);
        }
        self.rescan()
    }

    /// [`free`](Self::free)`(1)` when the cache shows no room: out of line.
    #[cold]
    #[inline(never)]
    fn refill(&mut self) -> Result<usize, Corrupt> {
        self.free(1)
    }

    /// Lossless: the slots every active reader has left, from a fresh scan.
    fn rescan(&mut self) -> Result<usize, Corrupt> {
        // SeqCst: pairs with the SeqCst fence of a joiner between its JOINING
        // store and its `tail` load (module docs, "Join"): either the loads below
        // see the line held, or its `tail` load sees our last `tail` store.
        fence(Ordering::SeqCst);
        let mut min = self.tail;
        for r in 0..self.bc.readers {
            let Some(line) = self.bc.line(r) else {
                return Err(Corrupt);
            };
            // Acquire (both): pair with the readers' Release stores of `state`
            // and `cursor`, so their reads of the slots we may now reuse are done.
            match line.state.load(Ordering::Acquire) {
                FREE => continue,
                JOINING => return Ok(0),
                ACTIVE => {}
                _ => return Err(Corrupt),
            }
            let cursor = line.cursor.load(Ordering::Acquire);
            let behind = self.tail.wrapping_sub(cursor);
            if behind > HALF {
                return Err(Corrupt); // ahead of everything published
            }
            if behind > N as u64 {
                // A joiner's first cursor, or a lapped one about to move: wait.
                return Ok(0);
            }
            if behind > self.tail.wrapping_sub(min) {
                min = cursor;
            }
        }
        self.cached_min = min;
        Ok(N - self.tail.wrapping_sub(min) as usize)
    }

    /// How many slots, up to `max`, the writer may fill now: all of them up to
    /// `N` when lossy; lossless, those every active reader has left. Marks each
    /// (`seq` = `2m + 1`) so that a reader never takes a half-written slot:
    /// [`reserved`](Self::reserved)`(i)` for `i` in `0..n` may then be written,
    /// and [`commit`](Self::commit) publishes them.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let bc = Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// let mut r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!(w.reserve(3), Ok(3));
    /// w.reserved(0)[0].store(7, Ordering::Relaxed);
    /// assert_eq!(r.peek(4), Ok(0)); // nothing before the commit
    /// assert_eq!(w.commit(1, &mut NoPark), 1);
    /// assert_eq!(r.peek(4), Ok(1));
    /// ```
    pub fn reserve(&mut self, max: usize) -> Result<usize, Corrupt> {
        let n = max.min(self.free(max.min(N))?);
        for i in 0..n {
            let m = self.tail.wrapping_add(i as u64);
            // Release: a reader whose Acquire load of `seq` reads this mark also
            // sees our `tail` store of `m` (the mark names a message at most
            // `tail`, which is how a lapped reader checks it).
            self.bc.slot(m).0.store(writing(m), Ordering::Release);
        }
        // Release: orders the marks before the payload stores that follow; pairs
        // with the Acquire fence of a reader's validation in `release`.
        fence(Ordering::Release);
        self.reserved = n;
        Ok(n)
    }

    /// The payload words of the `i`-th reserved slot. Only `i` below what
    /// [`reserve`](Self::reserve) returned is the writer's to write.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Policy};
    /// # use sysv_ipc::layout::ring::Barrier;
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(3)] = Default::default();
    /// let w = BcWriter::new(Broadcast::<2>::new(&ctl, &lines, &slots, 3).unwrap()).unwrap();
    /// assert!(core::ptr::eq(w.reserved(0), &slots[1..4])); // after slot 0's `seq`
    /// ```
    #[inline]
    pub fn reserved(&self, i: usize) -> &'a [AtomicU64] {
        self.bc.slot(self.tail.wrapping_add(i as u64)).1
    }

    /// Publishes the first `n` reserved slots (cut to what was reserved) and wakes
    /// the parked readers; returns how many. The rest stay reserved.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Fanout, Policy};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let mut w = BcWriter::new(Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(w.commit(1, &mut NoPark), 0); // nothing reserved
    /// assert_eq!(w.reserve(2), Ok(2));
    /// assert_eq!(w.commit(5, &mut NoPark), 2);
    /// assert_eq!(ctl.tail.load(Ordering::Acquire), 2);
    /// ```
    pub fn commit<P: Fanout>(&mut self, n: usize, parking: &mut P) -> usize {
        let n = n.min(self.reserved);
        if n == 0 {
            return 0;
        }
        for i in 0..n {
            let m = self.tail.wrapping_add(i as u64);
            // Release: the payload stores happen before a reader's Acquire load
            // of `seq` that reads this value.
            self.bc.slot(m).0.store(done(m), Ordering::Release);
        }
        self.publish(n, parking);
        n
    }

    /// After the first `n` reserved slots were completed: moves `tail` past
    /// them and wakes the parked readers.
    #[inline]
    fn publish<P: Fanout>(&mut self, n: usize, parking: &mut P) {
        self.tail = self.tail.wrapping_add(n as u64);
        self.reserved -= n;
        // Release: publishes the slots; pairs with the Acquire loads of `tail` by
        // the readers (`available`, `lapped`, the park re-check).
        self.bc.ctl.tail.store(self.tail, Ordering::Release);
        self.wake_readers(parking);
    }

    /// After a `tail` or `closed` store: wakes every reader that announced a park.
    #[inline]
    fn wake_readers<P: Fanout>(&self, parking: &mut P) {
        match self.bc.barrier {
            // SeqCst: pairs with the SeqCst fence a parking reader runs between
            // setting its bit and re-loading `tail`: either it sees our store, or
            // the loads below see its bit.
            Barrier::Symmetric => fence(Ordering::SeqCst),
            // Pairs with the reader's `membarrier` (ring module docs, "Why the
            // asymmetric pair is enough").
            Barrier::Asymmetric => light_barrier(),
        }
        // Word 0 (readers 0..64, every layout has it) here, the others only
        // with more than 64 readers: a loop over the words cost a one-message
        // send 6 more instructions (callgrind).
        self.wake_word(0, parking);
        if self.bc.readers > 64 {
            for w in 1..self.bc.readers.div_ceil(64) {
                self.wake_word(w, parking);
            }
        }
    }

    /// Wakes the readers whose bits are set in `readers_waiting[w]`.
    #[inline]
    fn wake_word<P: Fanout>(&self, w: usize, parking: &mut P) {
        let Some(word) = self.bc.ctl.readers_waiting.get(w) else {
            return;
        };
        // Relaxed: ordered by the barrier above; the swap hands each announced
        // park to exactly one of us and the reader's withdrawal.
        if word.load(Ordering::Relaxed) != 0 {
            // Acquire: pairs with the Release of a word waiter's announcement,
            // so its line's `wait` (stored before) is seen below.
            let bits = word.swap(0, Ordering::Acquire);
            self.wake_bits(w, bits, parking);
        }
    }

    /// For an asynchronous lossless writer: announces
    /// [`WAITING_WORD`] in `writer_waiting`, runs the heavy barrier and rescans
    /// the readers, as a park does. `Ok(Some(word))`: still no room; sleep in a
    /// futex wait on `word`'s low half expecting [`WAITING_WORD`] (a reader's next
    /// read, leave or drop clears and wakes it), then send again. `Ok(None)`:
    /// room appeared (nothing armed). A wait given up must
    /// [`disarm`](Self::disarm).
    ///
    /// # Errors
    ///
    /// [`WaitError::Park`] if the heavy barrier failed (withdrawn);
    /// [`WaitError::Read`] with [`ReadError::Corrupt`] for a corrupt line.
    pub fn arm<P: Parking>(
        &mut self,
        parking: &mut P,
    ) -> Result<Option<&'a AtomicU64>, WaitError<P::Error>> {
        let flag = &self.bc.ctl.writer_waiting;
        announce(flag, WAITING_WORD);
        self.heavy(parking)?;
        match self.rescan() {
            Ok(0) => Ok(Some(flag)),
            Ok(_) => {
                self.disarm();
                Ok(None)
            }
            Err(c) => {
                self.disarm();
                Err(WaitError::Read(ReadError::from(c)))
            }
        }
    }

    /// Withdraws an [`arm`](Self::arm)ed wait. A reader that already took the
    /// announcement owes a futex wake, which leaves nothing behind.
    pub fn disarm(&self) {
        // Relaxed: only un-announces.
        self.bc.ctl.writer_waiting.swap(0, Ordering::Relaxed);
    }

    /// Enqueues up to `max` messages without blocking: `write(i, slot)` fills the
    /// `i`-th. Returns how many (lossless: 0 when a reader holds every slot).
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Fanout, Policy};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let mut w = BcWriter::new(Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(w.push(9, |i, s| s[0].store(i as u64, Ordering::Relaxed), &mut NoPark), Ok(4));
    /// ```
    #[inline]
    pub fn push<P: Fanout>(
        &mut self,
        max: usize,
        mut write: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, Corrupt> {
        // One message through `push_one`, so that the loom models of `push`
        // cover it.
        if max == 1 {
            return Ok(usize::from(self.push_one(|slot| write(0, slot), parking)?));
        }
        // `reserve` marks the slots; then each is written and completed in one
        // pass, which `reserved` and `commit` would make two (callgrind: a
        // `Writer<u64, _>`'s `send_with` of 128 went from 20.8 to 18 instructions
        // per message).
        let n = self.reserve(max)?;
        for i in 0..n {
            let m = self.tail.wrapping_add(i as u64);
            let (seq, payload) = self.bc.slot(m);
            write(i, payload);
            // Release: as in `commit`.
            seq.store(done(m), Ordering::Release);
        }
        self.publish(n, parking);
        Ok(n)
    }

    /// [`push`](Self::push) of one message, the slot found once and no loops:
    /// the same stores in the same order (its mark, the Release fence, the
    /// payload, its complete `seq`, `tail`, the wake check). `Ok(false)` when a
    /// lossless ring has no room.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Fanout, Policy};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let mut w = BcWriter::new(Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap()).unwrap();
    /// assert_eq!(w.push_one(|s| s[0].store(7, Ordering::Relaxed), &mut NoPark), Ok(true));
    /// assert_eq!(w.tail(), 1);
    /// ```
    #[inline]
    pub fn push_one<P: Fanout>(
        &mut self,
        write: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, Corrupt> {
        // Room by the cached minimum (ours, `tail - cached_min <= N`) without
        // `free`'s arithmetic; a full cache goes out of line.
        if self.bc.policy != Policy::Lossy
            && self.tail.wrapping_sub(self.cached_min) >= N as u64
            && self.refill()? == 0
        {
            return Ok(false);
        }
        let m = self.tail;
        let (seq, payload) = self.bc.slot(m);
        // Release, and the fence: as in `reserve`.
        seq.store(writing(m), Ordering::Release);
        fence(Ordering::Release);
        // A loan's reservation, if any, is given up: its slots keep marks, which
        // readers take for messages being written, as `reserve` leaves them.
        self.reserved = 0;
        write(payload);
        // Release, both: as in `commit`.
        seq.store(done(m), Ordering::Release);
        self.tail = m.wrapping_add(1);
        self.bc.ctl.tail.store(self.tail, Ordering::Release);
        self.wake_readers(parking);
        Ok(true)
    }

    /// [`reserve`](Self::reserve) of between 1 and `max` slots, spinning `spins`
    /// times and then parking while a lossless ring is full. `max == 0` returns 0.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start, WaitError};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// let _r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!(w.reserve_blocking(4, 10, &mut NoPark), Ok(2));
    /// w.commit(2, &mut NoPark);
    /// // Full until the reader reads: this park fails instead of sleeping.
    /// assert_eq!(w.reserve_blocking(1, 10, &mut NoPark), Err(WaitError::Park(())));
    /// assert_eq!(ctl.writer_waiting.load(core::sync::atomic::Ordering::Relaxed), 0);
    /// ```
    pub fn reserve_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        parking: &mut P,
    ) -> Result<usize, WaitError<P::Error>> {
        block_on(
            self,
            max,
            spins,
            |w, _| w.reserve(max).map_err(ReadError::from),
            parking,
        )
    }

    /// [`push`](Self::push) of between 1 and `max` messages, waiting as
    /// [`reserve_blocking`](Self::reserve_blocking) does.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcWriter, Broadcast, Fanout, Policy};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let mut w = BcWriter::new(Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap()).unwrap();
    /// // No reader has joined: nobody to wait for.
    /// for v in 0..5 {
    ///     assert_eq!(w.push_blocking(1, 0, |_, s| s[0].store(v, Ordering::Relaxed), &mut NoPark), Ok(1));
    /// }
    /// ```
    pub fn push_blocking<P: Fanout>(
        &mut self,
        max: usize,
        spins: u32,
        mut write: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, WaitError<P::Error>> {
        let n = self.reserve_blocking(max, spins, parking)?;
        for i in 0..n {
            write(i, self.reserved(i));
        }
        Ok(self.commit(n, parking))
    }

    /// Ends the stream: readers read what was published, then learn that nothing
    /// more comes ([`BcReader::is_finished`], [`WaitError::Closed`]). Wakes every
    /// parked reader. The writer must not publish after it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start, WaitError};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let (mut w, mut r) = (BcWriter::new(bc).unwrap(), BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap());
    /// w.push(1, |_, s| s[0].store(4, Ordering::Relaxed), &mut NoPark).unwrap();
    /// w.close(&mut NoPark);
    /// assert_eq!(r.pop_blocking(2, 0, |_, _| {}, &mut NoPark), Ok(1));
    /// assert_eq!(r.pop_blocking(2, 0, |_, _| {}, &mut NoPark), Err(WaitError::Closed));
    /// ```
    pub fn close<P: Fanout>(&mut self, parking: &mut P) {
        // Release: every `tail` store we made happens before a reader's Acquire
        // load (`BcCtl::is_closed`) that reads it.
        self.bc.ctl.closed.store(CLOSED, Ordering::Release);
        // As after a commit: a reader parked on the empty ring sees `closed` in
        // its re-check or is woken here.
        self.wake_readers(parking);
    }
}

impl<const N: usize, W: PayloadWords> BcWriter<'_, N, W> {
    /// Wakes each reader of word `w`'s taken `bits`: a futex wake of its line's
    /// `wait` if it waits there ([`WAIT`]), else a post of its semaphore. Out of
    /// line: the rare path out of `commit`.
    #[cold]
    #[inline(never)]
    fn wake_bits<P: Fanout>(&self, w: usize, bits: u64, parking: &mut P) {
        for b in 0..64 {
            let reader = w * 64 + b;
            // Bits past `R` are a peer's garbage: nobody to wake.
            if bits & (1 << b) == 0 || reader >= self.bc.readers {
                continue;
            }
            match self.bc.line(reader).map(|l| l.wait) {
                Some(wait) if bit_waiter::take(wait) => parking.wake_word(wait),
                _ => parking.unpark_reader(reader),
            }
        }
    }
}

impl<const N: usize, W: PayloadWords> Waiter for BcWriter<'_, N, W> {
    fn announce(&self) {
        announce(&self.bc.ctl.writer_waiting, WAITING_SEM);
    }
    fn withdraw<P: Parking>(&self, parking: &mut P) {
        withdraw(&self.bc.ctl.writer_waiting, parking);
    }
    fn unannounce(&self) {
        // Relaxed: only un-announces.
        self.bc.ctl.writer_waiting.store(0, Ordering::Relaxed);
    }
    fn heavy<P: Parking>(&self, parking: &mut P) -> Result<(), WaitError<P::Error>> {
        park_barrier(&self.bc.ctl.writer_waiting, self.bc.barrier, parking).map_err(|e| match e {
            crate::layout::ring::RingError::Park(e) => WaitError::Park(e),
            _ => WaitError::Read(ReadError::Corrupt),
        })
    }
    /// Whether room appeared (a reader moved, left, or was dropped).
    fn recheck(&mut self) -> Result<bool, ReadError> {
        Ok(self.rescan()? > 0)
    }
    fn finished(&self) -> bool {
        false
    }
}

/// A reader's side: its line, its own cursor and a cached `tail`.
///
/// # Examples
///
/// ```
/// # use core::sync::atomic::{AtomicU64, Ordering};
/// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, ReadError, Start};
/// # use sysv_ipc::layout::ring::{Barrier, Parking};
/// # struct NoPark;
/// # impl Parking for NoPark {
/// #     type Error = ();
/// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
/// #     fn unpark_peer(&mut self) {}
/// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
/// # }
/// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
/// let ctl = BcCtl::new();
/// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
/// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
/// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
/// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
/// let (mut w, mut r) = (BcWriter::new(bc).unwrap(), BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap());
/// for v in 0..5 {
///     w.push(1, |_, s| s[0].store(v, Ordering::Relaxed), &mut NoPark).unwrap();
/// }
/// // Lapped: 5 published, 2 slots; the oldest still there is message 3.
/// assert_eq!(r.pop(1, |_, _| {}, &mut NoPark), Err(ReadError::Lagged(3)));
/// let mut got = 0;
/// assert_eq!(r.pop(1, |_, s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
/// assert_eq!(got, 3);
/// ```
#[derive(Debug)]
pub struct BcReader<'a, const N: usize, W: PayloadWords = AnyWords> {
    bc: Broadcast<'a, N, W>,
    index: usize,
    line: Line<'a>,
    /// Our authoritative cursor; the shared one is only ever stored.
    cursor: u64,
    /// Last tail loaded; `cached_tail - cursor <= N` always holds.
    cached_tail: u64,
    ticket: u64,
    /// The writer closed the stream and `cached_tail` is its final `tail`.
    closed: bool,
}

impl<'a, const N: usize, W: PayloadWords> BcReader<'a, N, W> {
    /// Takes reader line `index` and starts at the oldest retained message or at
    /// the newest (module docs, "Join"); wakes a parked lossless writer.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, JoinError, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 2, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(2)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// w.push(2, |i, s| s[0].store(i as u64, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let old = BcReader::join(bc, 0, Start::Oldest, &mut NoPark).unwrap();
    /// let new = BcReader::join(bc, 1, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!((old.cursor(), new.cursor()), (0, 2));
    /// assert_eq!(BcReader::join(bc, 1, Start::Newest, &mut NoPark).unwrap_err(), JoinError::Taken);
    /// assert_eq!(BcReader::join(bc, 2, Start::Newest, &mut NoPark).unwrap_err(), JoinError::OutOfRange);
    /// ```
    pub fn join<P: Parking>(
        bc: Broadcast<'a, N, W>,
        index: usize,
        start: Start,
        parking: &mut P,
    ) -> Result<Self, JoinError> {
        let line = bc.line(index).ok_or(JoinError::OutOfRange)?;
        // Acquire on success: pairs with the Release store of FREE by the line's
        // last leave or drop (its ticket move is then before ours).
        match line
            .state
            .compare_exchange(FREE, JOINING, Ordering::Acquire, Ordering::Relaxed)
        {
            Ok(_) => {}
            Err(JOINING | ACTIVE) => return Err(JoinError::Taken),
            Err(_) => return Err(JoinError::Corrupt),
        }
        // Relaxed: the RMW reads the latest ticket; only its atomicity matters.
        let ticket = line.ticket.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        // SeqCst: pairs with the SeqCst fence before the writer's scan (module
        // docs, "Join"): either it sees JOINING, or the load below sees the
        // `tail` it had stored, and it published nothing over message `tail`.
        fence(Ordering::SeqCst);
        // Acquire: pairs with the writer's Release stores of `tail`.
        let tail = bc.ctl.tail.load(Ordering::Acquire);
        if tail >= HALF {
            // Leave the line as we found it.
            let _ = free_line(&bc, index, line, ticket, parking);
            return Err(JoinError::Corrupt);
        }
        let cursor = match start {
            Start::Newest => tail,
            Start::Oldest => tail.saturating_sub(N as u64),
        };
        // Relaxed: published by the Release store of ACTIVE below.
        line.cursor.store(cursor, Ordering::Relaxed);
        // Release: pairs with the writer's Acquire load of `state` in its scan,
        // which then reads our cursor.
        line.state.store(ACTIVE, Ordering::Release);
        // JOINING blocked a lossless writer; it may be parked on it.
        bc.wake_writer(parking);
        Ok(BcReader {
            bc,
            index,
            line,
            cursor,
            cached_tail: tail,
            ticket,
            closed: false,
        })
    }

    /// The reader line this reader holds.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 2, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(2)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// assert_eq!(BcReader::join(bc, 1, Start::Newest, &mut NoPark).unwrap().index(), 1);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// This occupancy's ticket ([`Broadcast::drop_reader`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!(r.ticket(), 1); // the line's first occupancy
    /// r.leave(&mut NoPark).unwrap();
    /// assert_eq!(BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap().ticket(), 3);
    /// ```
    pub fn ticket(&self) -> u64 {
        self.ticket
    }

    /// The next message this reader will read.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// ctl.tail.store(9, core::sync::atomic::Ordering::Release);
    /// assert_eq!(BcReader::join(bc, 0, Start::Oldest, &mut NoPark).unwrap().cursor(), 7);
    /// ```
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// For an asynchronous waiter: sets the line's [`WAIT`] word, announces the
    /// reader's bit (Release), runs the heavy barrier and looks again, as a park
    /// does. `Ok(Some(word))`: still nothing; sleep in a futex wait on `word`'s
    /// low half expecting [`WAITING_WORD`] (the writer's next publish or close
    /// clears and wakes it), then look again. `Ok(None)`: something arrived (a
    /// message, a lap, the close: nothing armed). A wait given up must
    /// [`disarm`](Self::disarm).
    ///
    /// # Errors
    ///
    /// [`WaitError::Read`] with [`ReadError::Dropped`] if the line is no longer
    /// ours; [`WaitError::Park`] if the heavy barrier failed (withdrawn).
    pub fn arm<P: Parking>(
        &mut self,
        parking: &mut P,
    ) -> Result<Option<&'a AtomicU64>, WaitError<P::Error>> {
        let (word, bit) = self.bc.wait_bit(self.index);
        bit_waiter::arm(word, bit, self.line.wait);
        // `heavy` withdraws the bit on failure; the word goes too.
        if let Err(e) = self.heavy(parking) {
            self.disarm(parking);
            return Err(e);
        }
        match self.recheck() {
            Ok(false) => Ok(Some(self.line.wait)),
            Ok(true) => {
                self.disarm(parking);
                Ok(None)
            }
            Err(e) => {
                self.disarm(parking);
                Err(WaitError::Read(e))
            }
        }
    }

    /// Withdraws an [`arm`](Self::arm)ed wait: the bit and the [`WAIT`] word. A
    /// writer that took the bit and the word owes a futex wake, which leaves
    /// nothing behind; one that took the bit after which we cleared the word
    /// posts our semaphore instead ([`Parking::absorb_wake`] takes it back, as a
    /// withdrawn park does).
    pub fn disarm<P: Parking>(&self, parking: &mut P) {
        let (word, bit) = self.bc.wait_bit(self.index);
        bit_waiter::disarm(word, bit, self.line.wait, parking);
    }

    /// Whether the stream has ended: the writer closed it and this reader has
    /// read every message. Known once a read found nothing and loaded `closed`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// BcWriter::new(bc).unwrap().close(&mut NoPark);
    /// assert!(!r.is_finished()); // not looked yet
    /// assert_eq!(r.peek(1), Ok(0));
    /// assert!(r.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.closed && self.cached_tail == self.cursor
    }

    /// The slot of the cursor names message `m' > cursor` (`Some`), or `tail` is
    /// more than `N` ahead (`None`): moves the cursor to the oldest message the
    /// writer can still be keeping and reports the gap (module docs, "Lapped").
    #[cold]
    #[inline(never)]
    fn lapped(&mut self, newer: Option<u64>) -> ReadError {
        // Acquire: pairs with the writer's Release stores of `tail`.
        let tail = self.bc.ctl.tail.load(Ordering::Acquire);
        let behind = tail.wrapping_sub(self.cursor);
        if behind > HALF || tail >= HALF {
            return ReadError::Corrupt;
        }
        let mut next = tail.saturating_sub(N as u64);
        if let Some(m) = newer {
            // The mark's Release store came after the writer's store of
            // `tail = m`, and our Acquire load of the mark read it: `tail >= m`.
            if m > tail {
                return ReadError::Corrupt;
            }
            next = next.max((m + 1).saturating_sub(N as u64));
        }
        if next <= self.cursor {
            return ReadError::Corrupt;
        }
        let gap = next - self.cursor;
        self.cursor = next;
        self.cached_tail = tail;
        ReadError::Lagged(gap)
    }

    /// What the `seq` `s` of the slot of message `c` says.
    fn classify(s: u64, c: u64) -> Result<Slot, Corrupt> {
        if s == done(c) {
            return Ok(Slot::Ready);
        }
        if s == 0 {
            return Ok(Slot::NotYet);
        }
        // `2m + 1` and `2m + 2` both give `m`.
        let m = (s - 1) / 2;
        let ahead = m.wrapping_sub(c);
        if ahead == 0 || ahead > HALF {
            // Being written, or an older lap: not there yet.
            return Ok(Slot::NotYet);
        }
        if !ahead.is_multiple_of(N as u64) {
            return Err(Corrupt); // not a message of this slot
        }
        Ok(Slot::Lapped(m))
    }

    /// Messages available, loading `tail` only if the cache shows fewer than
    /// `want`.
    #[inline]
    fn available(&mut self, want: usize) -> Result<usize, ReadError> {
        let n = self.cached_tail.wrapping_sub(self.cursor) as usize;
        if n >= want {
            return Ok(n);
        }
        if n == 0 && want == 1 && !self.closed {
            // Acquire: pairs with the writer's Release stores of the slot's
            // `seq` (the payload stores before a complete one; `tail = m'`
            // before a mark of `m'`).
            let s = self.bc.slot(self.cursor).0.load(Ordering::Acquire);
            match Self::classify(s, self.cursor)? {
                Slot::Ready => {
                    self.cached_tail = self.cursor.wrapping_add(1);
                    return Ok(1);
                }
                Slot::Lapped(m) => return Err(self.lapped(Some(m))),
                Slot::NotYet => {}
            }
        }
        if self.closed {
            return Ok(n);
        }
        self.load_tail()
    }

    /// Loads `tail` (and caches it); when it shows nothing, looks at `closed`.
    fn load_tail(&mut self) -> Result<usize, ReadError> {
        // Acquire: pairs with the Release store of `tail` in `BcWriter::commit`,
        // making the slots it published visible.
        let tail = self.bc.ctl.tail.load(Ordering::Acquire);
        let tail = self.at_least_cached(tail)?;
        let n = tail.wrapping_sub(self.cursor);
        if n > N as u64 {
            if n > HALF {
                return Err(ReadError::Corrupt); // behind our cursor
            }
            return Err(self.lapped(None));
        }
        self.cached_tail = tail;
        if n > 0 {
            return Ok(n as usize);
        }
        if !self.bc.ctl.is_closed()? {
            return Ok(0);
        }
        // Acquire, after the Acquire load of `closed` that read the writer's
        // Release store: this is its final `tail`, which follows every `seq`
        // store, so it is never behind what we know.
        let tail = self.bc.ctl.tail.load(Ordering::Acquire);
        let n = tail.wrapping_sub(self.cursor);
        if n > HALF || tail.wrapping_sub(self.cached_tail) > HALF {
            return Err(ReadError::Corrupt);
        }
        if n > N as u64 {
            return Err(self.lapped(None));
        }
        self.cached_tail = tail;
        self.closed = true;
        Ok(n as usize)
    }

    /// A loaded `tail`, or the cached one if that is further: a single read
    /// learns of message `c` from the `seq` of its slot (`available`), before
    /// the writer's `tail` store that follows that `seq` store is visible, so a
    /// `tail` loaded later may still be behind our cached `tail`, and even behind
    /// our cursor. By at most `N`: the writer stores `tail` after every batch of
    /// at most `N`, before it marks the next, so a reader that saw message `m`
    /// complete sees a `tail` of at least `m + 1 - N`. Further behind is
    /// [`ReadError::Corrupt`].
    fn at_least_cached(&self, tail: u64) -> Result<u64, ReadError> {
        let lag = self.cached_tail.wrapping_sub(tail);
        if lag == 0 || lag > HALF {
            return Ok(tail);
        }
        if lag > N as u64 {
            return Err(ReadError::Corrupt);
        }
        Ok(self.cached_tail)
    }

    /// How many published messages, up to `max`, can be read now:
    /// [`peeked`](Self::peeked)`(i)` for `i` in `0..n` are their slots. Their
    /// contents are only known intact once [`release`](Self::release) returned
    /// `Ok`; a lossy writer (or a lossless one, while this reader was joining)
    /// may be overwriting them.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let bc = Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let (mut w, mut r) = (BcWriter::new(bc).unwrap(), BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap());
    /// w.push(3, |i, s| s[0].store(i as u64, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(r.peek(2), Ok(2));
    /// assert_eq!(r.peeked(1)[0].load(Ordering::Relaxed), 1);
    /// ```
    #[inline]
    pub fn peek(&mut self, max: usize) -> Result<usize, ReadError> {
        if max == 0 {
            return Ok(0);
        }
        Ok(self.available(max)?.min(max))
    }

    /// The payload words of the slot of the `i`-th unreleased message.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(2)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 2).unwrap();
    /// let r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert!(core::ptr::eq(r.peeked(1), &slots[4..6])); // slot 1, after its `seq`
    /// ```
    #[inline]
    pub fn peeked(&self, i: usize) -> &'a [AtomicU64] {
        self.bc.slot(self.cursor.wrapping_add(i as u64)).1
    }

    /// Validates and releases the next `n` messages (cut to those the reader
    /// knows are published, at least the ones [`peek`](Self::peek) returned):
    /// `Ok(n)` if none was overwritten while it was read, then the cursor moves on
    /// in one store and (lossless) a parked writer is woken. Otherwise
    /// [`ReadError::Lagged`]: what was read from them is to be thrown away, and
    /// the cursor stands at the oldest message still there.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, ReadError, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let (mut w, mut r) = (BcWriter::new(bc).unwrap(), BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap());
    /// w.push(1, |_, s| s[0].store(1, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(r.peek(1), Ok(1));
    /// assert_eq!(r.release(1, &mut NoPark), Ok(1)); // intact
    /// w.push(1, |_, s| s[0].store(2, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(r.peek(1), Ok(1));
    /// w.push(2, |_, s| s[0].store(3, Ordering::Relaxed), &mut NoPark).unwrap(); // over it
    /// assert_eq!(r.release(1, &mut NoPark), Err(ReadError::Lagged(1)));
    /// assert_eq!(r.cursor(), 2);
    /// ```
    pub fn release<P: Parking>(&mut self, n: usize, parking: &mut P) -> Result<usize, ReadError> {
        let n = n.min(self.cached_tail.wrapping_sub(self.cursor) as usize);
        if n == 0 {
            return Ok(0);
        }
        // Acquire: pairs with the writer's Release fence after its marks in
        // `reserve`: if a payload word we read came from a newer write, its mark
        // is visible to the loads below (module docs, "Read").
        fence(Ordering::Acquire);
        for i in 0..n {
            let m = self.cursor.wrapping_add(i as u64);
            // Relaxed: ordered by the fence above.
            let s = self.bc.slot(m).0.load(Ordering::Relaxed);
            if s != done(m) {
                // The loop's loads stay Relaxed: `overwritten` has the fence.
                return Err(self.overwritten(s, m));
            }
        }
        self.cursor = self.cursor.wrapping_add(n as u64);
        // Release: our reads of the slots happen before a lossless writer's
        // Acquire load of the cursor (in its scan) lets it overwrite them.
        self.line.cursor.store(self.cursor, Ordering::Release);
        self.bc.wake_writer(parking);
        Ok(n)
    }

    /// Reads up to `max` messages without blocking: `read(i, slot)` copies the
    /// `i`-th out. `Ok(n)`: all `n` were intact. [`ReadError::Lagged`]: whatever
    /// `read` saw is to be thrown away.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let bc = Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// w.push(3, |i, s| s[0].store(i as u64 + 1, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut sum = 0;
    /// assert_eq!(r.pop(8, |_, s| sum += s[0].load(Ordering::Relaxed), &mut NoPark), Ok(3));
    /// assert_eq!(sum, 6);
    /// ```
    #[inline]
    pub fn pop<P: Parking>(
        &mut self,
        max: usize,
        mut read: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, ReadError> {
        // One message through `pop_one`, so that the loom models of `pop` cover
        // it.
        if max == 1 {
            return Ok(usize::from(self.pop_one(|slot| read(0, slot), parking)?));
        }
        let n = self.peek(max)?;
        for i in 0..n {
            read(i, self.peeked(i));
        }
        self.release(n, parking)
    }

    /// [`pop`](Self::pop) of one message, the slot found once and no loops: the
    /// same loads in the same order (what is available, the payload, the Acquire
    /// fence, the `seq` that validates it), then the cursor and the wake check.
    /// `Ok(false)` when nothing new is there.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossless, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let bc = Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// let mut got = 0;
    /// assert_eq!(r.pop_one(|s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(false));
    /// w.push_one(|s| s[0].store(7, Ordering::Relaxed), &mut NoPark).unwrap();
    /// assert_eq!(r.pop_one(|s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(true));
    /// assert_eq!(got, 7);
    /// ```
    // The fast path looks at the one slot it reads: cached, or its `seq` says
    // complete; anything else (nothing there, a lap, a closed stream, garbage)
    // is the general path (`pop_one_missed`), out of line. Measured with 8-byte
    // values (callgrind, inlined into the caller's loop): a `Reader<u64, _>`'s
    // recv went from 73 to 61 instructions.
    #[inline]
    pub fn pop_one<P: Parking>(
        &mut self,
        read: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, ReadError> {
        let m = self.cursor;
        let (seq, payload) = self.bc.slot(m);
        if self.cached_tail == m {
            if self.closed {
                return Ok(false); // the final `tail`, reached
            }
            // Acquire: as in `available`.
            let s = seq.load(Ordering::Acquire);
            if s != done(m) {
                return self.pop_one_missed(s, read, parking);
            }
            self.cached_tail = m.wrapping_add(1);
        }
        self.take_one(m, seq, payload, read, parking)
    }

    /// [`pop_one`](Self::pop_one) when the `seq` `s` of its slot showed no
    /// complete message: what `available(1)` does with that load (a lap, or
    /// `tail`), without loading it again.
    #[cold]
    #[inline(never)]
    fn pop_one_missed<P: Parking>(
        &mut self,
        s: u64,
        read: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, ReadError> {
        match Self::classify(s, self.cursor)? {
            Slot::Lapped(m) => return Err(self.lapped(Some(m))),
            Slot::Ready | Slot::NotYet => {}
        }
        if self.load_tail()? == 0 {
            return Ok(false);
        }
        let m = self.cursor;
        let (seq, payload) = self.bc.slot(m);
        self.take_one(m, seq, payload, read, parking)
    }

    /// Reads message `m` (available) out of its slot, validates it and moves on.
    #[inline]
    fn take_one<P: Parking>(
        &mut self,
        m: u64,
        seq: &AtomicU64,
        payload: &[AtomicU64],
        read: impl FnOnce(&[AtomicU64]),
        parking: &mut P,
    ) -> Result<bool, ReadError> {
        read(payload);
        // Acquire, then Relaxed: as in `release`.
        fence(Ordering::Acquire);
        let s = seq.load(Ordering::Relaxed);
        if s != done(m) {
            return Err(self.overwritten(s, m));
        }
        self.cursor = m.wrapping_add(1);
        // Release: as in `release`.
        self.line.cursor.store(self.cursor, Ordering::Release);
        self.bc.wake_writer(parking);
        Ok(true)
    }

    /// Reads up to `max` messages one by one, each validated right after `read`
    /// copied it out: `deliver` gets a copy only if its slot still held the
    /// message afterwards, then the next one is read. The cursor moves once, past
    /// the delivered ones (one store and one wake check for the batch). Returns
    /// how many were delivered and what stopped the batch early, if anything: a
    /// gap ([`ReadError::Lagged`]: the reader then stands at the oldest message
    /// still kept, after the delivered ones) or corrupt words.
    ///
    /// [`pop`](Self::pop) validates the whole batch after reading it and throws
    /// it away on a lap; this hands over each message as soon as it is known whole.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<4>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<4>::words(1)] = Default::default();
    /// let bc = Broadcast::<4>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// let mut w = BcWriter::new(bc).unwrap();
    /// w.push(3, |i, s| s[0].store(i as u64 + 1, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut got = Vec::new();
    /// let (n, stop) = r.pop_each(8, |_, s| s[0].load(Ordering::Relaxed), |_, v| got.push(v), &mut NoPark);
    /// assert_eq!((n, stop, got), (3, Ok(()), vec![1, 2, 3]));
    /// ```
    pub fn pop_each<P: Parking, R>(
        &mut self,
        max: usize,
        mut read: impl FnMut(usize, &[AtomicU64]) -> R,
        mut deliver: impl FnMut(usize, R),
        parking: &mut P,
    ) -> (usize, Result<(), ReadError>) {
        let n = match self.peek(max) {
            Ok(n) => n,
            Err(e) => return (0, Err(e)),
        };
        let first = self.cursor;
        let mut stop = Ok(());
        let mut delivered = 0;
        while delivered < n {
            let m = first.wrapping_add(delivered as u64);
            let (seq, payload) = self.bc.slot(m);
            let value = read(delivered, payload);
            // Acquire, then Relaxed: as in `release`, for this one slot.
            fence(Ordering::Acquire);
            let s = seq.load(Ordering::Relaxed);
            if s != done(m) {
                // Past what was delivered; `lapped` counts the gap from here.
                self.cursor = m;
                stop = Err(self.overwritten(s, m));
                break;
            }
            deliver(delivered, value);
            delivered += 1;
        }
        if stop.is_ok() {
            self.cursor = first.wrapping_add(delivered as u64);
        }
        if self.cursor != first {
            // Release: as in `release`.
            self.line.cursor.store(self.cursor, Ordering::Release);
            self.bc.wake_writer(parking);
        }
        (delivered, stop)
    }

    /// What a validation that found `s` in the `seq` of message `m`, after the
    /// payload was read, means: the writer lapped us (a newer mark), or the ring
    /// is corrupt.
    #[cold]
    #[inline(never)]
    fn overwritten(&mut self, s: u64, m: u64) -> ReadError {
        // Acquire: with the Relaxed load that read `s`, synchronises with the
        // Release store of the newer mark it read (`reserve`), so that `lapped`
        // sees a `tail` of at least that message's.
        fence(Ordering::Acquire);
        match Self::classify(s, m) {
            Ok(Slot::Lapped(newer)) => self.lapped(Some(newer)),
            // `tail` or the `seq` said it was complete, and a slot's `seq` only
            // moves forward.
            Ok(Slot::Ready | Slot::NotYet) | Err(Corrupt) => ReadError::Corrupt,
        }
    }

    /// [`peek`](Self::peek) of between 1 and `max` messages, spinning `spins`
    /// times and then parking while there is none ([`WaitError::Closed`] once the
    /// writer closed the stream and every message was released).
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Policy, Start, WaitError};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let mut r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!(r.peek_blocking(1, 10, &mut NoPark), Err(WaitError::Park(())));
    /// assert_eq!(ctl.readers_waiting[0].load(core::sync::atomic::Ordering::Relaxed), 0);
    /// ```
    pub fn peek_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        parking: &mut P,
    ) -> Result<usize, WaitError<P::Error>> {
        block_on(self, max, spins, |r, _| r.peek(max), parking)
    }

    /// [`pop`](Self::pop) of between 1 and `max` messages, waiting as
    /// [`peek_blocking`](Self::peek_blocking) does. A lap is returned, not waited
    /// out.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::{AtomicU64, Ordering};
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// # impl Fanout for NoPark { fn unpark_reader(&mut self, _: usize) {} }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let (mut w, mut r) = (BcWriter::new(bc).unwrap(), BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap());
    /// w.push(1, |_, s| s[0].store(8, Ordering::Relaxed), &mut NoPark).unwrap();
    /// let mut got = 0;
    /// assert_eq!(r.pop_blocking(1, 0, |_, s| got = s[0].load(Ordering::Relaxed), &mut NoPark), Ok(1));
    /// assert_eq!(got, 8);
    /// ```
    pub fn pop_blocking<P: Parking>(
        &mut self,
        max: usize,
        spins: u32,
        mut read: impl FnMut(usize, &[AtomicU64]),
        parking: &mut P,
    ) -> Result<usize, WaitError<P::Error>> {
        block_on(
            self,
            max,
            spins,
            |r, park| r.pop(max, &mut read, park),
            parking,
        )
    }

    /// Gives the line back (a lossless writer stops waiting for this reader, and
    /// is woken if parked). [`ReadError::Dropped`] if it was dropped meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// # use core::sync::atomic::AtomicU64;
    /// # use sysv_ipc::layout::broadcast::{BcCtl, BcReader, Broadcast, Policy, Start};
    /// # use sysv_ipc::layout::ring::{Barrier, Parking};
    /// # struct NoPark;
    /// # impl Parking for NoPark {
    /// #     type Error = ();
    /// #     fn park(&mut self) -> Result<(), ()> { Err(()) }
    /// #     fn unpark_peer(&mut self) {}
    /// #     fn heavy_barrier(&mut self) -> Result<(), ()> { Err(()) }
    /// # }
    /// let ctl = BcCtl::new();
    /// ctl.init(Policy::Lossy, 1, Barrier::Symmetric);
    /// let lines: [AtomicU64; Broadcast::<2>::line_words(1)] = Default::default();
    /// let slots: [AtomicU64; Broadcast::<2>::words(1)] = Default::default();
    /// let bc = Broadcast::<2>::new(&ctl, &lines, &slots, 1).unwrap();
    /// let r = BcReader::join(bc, 0, Start::Newest, &mut NoPark).unwrap();
    /// assert_eq!(r.leave(&mut NoPark), Ok(()));
    /// assert_eq!(bc.ticket(0), Some((2, false)));
    /// ```
    pub fn leave<P: Parking>(self, parking: &mut P) -> Result<(), ReadError> {
        match free_line(&self.bc, self.index, self.line, self.ticket, parking) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ReadError::Dropped),
            Err(c) => Err(c.into()),
        }
    }

    /// Whether the line is still ours: same ticket, [`ACTIVE`].
    fn still_held(&self) -> bool {
        // Relaxed (both): a drop is learnt eventually; nothing is read through it.
        self.line.ticket.load(Ordering::Relaxed) == self.ticket
            && self.line.state.load(Ordering::Relaxed) == ACTIVE
    }
}

/// What a slot's `seq` says to a reader at a given message.
enum Slot {
    /// The message is complete in it.
    Ready,
    /// Not written yet (an older lap, being written, never written).
    NotYet,
    /// A newer message, `m'`, is (being) written over it.
    Lapped(u64),
}

impl<const N: usize, W: PayloadWords> Waiter for BcReader<'_, N, W> {
    fn announce(&self) {
        let (word, bit) = self.bc.wait_bit(self.index);
        // Relaxed: the barrier that follows orders it. A read-modify-write (as
        // the ring's `announce`), so that it lands after a waker's swap.
        word.fetch_or(bit, Ordering::Relaxed);
    }
    fn withdraw<P: Parking>(&self, parking: &mut P) {
        let (word, bit) = self.bc.wait_bit(self.index);
        // Relaxed: exactly one of this and the writer's swap finds the bit.
        if word.fetch_and(!bit, Ordering::Relaxed) & bit == 0 {
            parking.absorb_wake();
        }
    }
    fn unannounce(&self) {
        let (word, bit) = self.bc.wait_bit(self.index);
        // Relaxed: only un-announces (the others' bits stay).
        word.fetch_and(!bit, Ordering::Relaxed);
    }
    fn heavy<P: Parking>(&self, parking: &mut P) -> Result<(), WaitError<P::Error>> {
        match self.bc.barrier {
            // Pairs with the SeqCst fence in the writer's `wake_readers`.
            Barrier::Symmetric => fence(Ordering::SeqCst),
            // Pairs with the compiler fence there (ring module docs).
            Barrier::Asymmetric => {
                if let Err(e) = parking.heavy_barrier() {
                    self.withdraw(parking);
                    return Err(WaitError::Park(e));
                }
            }
        }
        Ok(())
    }
    /// Whether a message (or a lap, or the close) appeared; `Dropped` if the line
    /// is no longer ours.
    fn recheck(&mut self) -> Result<bool, ReadError> {
        if !self.still_held() {
            return Err(ReadError::Dropped);
        }
        // Acquire: as in `load_tail`.
        let tail = self.bc.ctl.tail.load(Ordering::Acquire);
        // A `tail` at most `N` behind our cursor is one whose store we have not
        // seen yet (`at_least_cached`): nothing new. Further ahead or behind,
        // the attempt reports it.
        let new = tail.wrapping_sub(self.cursor).wrapping_add(N as u64) > N as u64;
        Ok(new || self.bc.ctl.is_closed()?)
    }
    fn finished(&self) -> bool {
        self.is_finished()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Parking that never sleeps; counts wakes.
    #[derive(Default)]
    struct NoPark {
        writer_wakes: u32,
        /// Bit `r`: reader `r` was woken; and how many wakes in all.
        woken: u64,
        reader_wakes: u32,
    }

    impl Parking for NoPark {
        type Error = ();
        fn park(&mut self) -> Result<(), ()> {
            Err(())
        }
        fn unpark_peer(&mut self) {
            self.writer_wakes += 1;
        }
        fn heavy_barrier(&mut self) -> Result<(), ()> {
            Err(())
        }
    }

    impl Fanout for NoPark {
        fn unpark_reader(&mut self, reader: usize) {
            self.woken |= 1 << reader;
            self.reader_wakes += 1;
        }
    }

    /// 4 slots of 2 payload words, 3 readers.
    struct Mem {
        ctl: BcCtl,
        lines: [AtomicU64; 48],
        slots: [AtomicU64; 12],
    }

    fn mem(policy: Policy) -> Mem {
        let m = Mem {
            ctl: BcCtl::new(),
            lines: core::array::from_fn(|_| AtomicU64::new(0)),
            slots: core::array::from_fn(|_| AtomicU64::new(0)),
        };
        m.ctl.init(policy, 3, Barrier::Symmetric);
        m
    }

    fn bc(m: &Mem) -> Broadcast<'_, 4> {
        Broadcast::new(&m.ctl, &m.lines, &m.slots, 2).unwrap()
    }

    fn push1(w: &mut BcWriter<'_, 4>, v: u64, park: &mut NoPark) -> Result<usize, Corrupt> {
        w.push(
            1,
            |_, s| {
                s[0].store(v, Ordering::Relaxed);
                s[1].store(!v, Ordering::Relaxed);
            },
            park,
        )
    }

    fn pop1(r: &mut BcReader<'_, 4>, park: &mut NoPark) -> Result<Option<u64>, ReadError> {
        let mut out = None;
        let n = r.pop(
            1,
            |_, s| {
                let v = s[0].load(Ordering::Relaxed);
                out = Some((v, s[1].load(Ordering::Relaxed)));
            },
            park,
        )?;
        assert_eq!(n, usize::from(out.is_some()));
        Ok(out.map(|(v, not_v)| {
            assert_eq!(not_v, !v, "torn");
            v
        }))
    }

    #[test]
    fn lossless_readers_each_see_every_value_and_hold_the_writer() {
        let m = mem(Policy::Lossless);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        let mut r0 = BcReader::join(b, 0, Start::Newest, park).unwrap();
        let mut r1 = BcReader::join(b, 2, Start::Newest, park).unwrap();
        let mut next = [0u64; 2];
        let mut v = 0;
        for round in 0..6 {
            while push1(&mut w, v, park) == Ok(1) {
                v += 1;
            }
            assert_eq!(v, round * 4 + 4, "full at the slowest reader");
            // r0 reads all; the writer still waits for r1.
            while let Some(got) = pop1(&mut r0, park).unwrap() {
                assert_eq!(got, next[0]);
                next[0] += 1;
            }
            assert_eq!(push1(&mut w, v, park), Ok(0));
            for _ in 0..4 {
                assert_eq!(pop1(&mut r1, park), Ok(Some(next[1])));
                next[1] += 1;
            }
        }
        assert_eq!(park.reader_wakes, 0, "nobody parked");
    }

    #[test]
    fn lossy_lap_reports_the_exact_gap_and_resumes_at_the_oldest() {
        let m = mem(Policy::Lossy);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        let mut r = BcReader::join(b, 1, Start::Oldest, park).unwrap();
        for v in 0..11 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        // 11 published, 4 slots: 7 lost.
        assert_eq!(pop1(&mut r, park), Err(ReadError::Lagged(7)));
        for v in 7..11 {
            assert_eq!(pop1(&mut r, park), Ok(Some(v)));
        }
        assert_eq!(pop1(&mut r, park), Ok(None));
        // Lapped between peek and release: the slot's `seq` tells.
        assert_eq!(push1(&mut w, 11, park), Ok(1));
        assert_eq!(r.peek(1), Ok(1));
        for v in 12..16 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        assert_eq!(r.release(1, park), Err(ReadError::Lagged(1)));
        assert_eq!(r.cursor(), 12);
        assert_eq!(pop1(&mut r, park), Ok(Some(12)));
    }

    #[test]
    fn a_slot_being_overwritten_is_a_lap_not_a_value() {
        let m = mem(Policy::Lossy);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        let mut r = BcReader::join(b, 0, Start::Newest, park).unwrap();
        for v in 0..4 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        // The writer is in the middle of message 4, over message 0's slot.
        assert_eq!(w.reserve(1), Ok(1));
        w.reserved(0)[0].store(99, Ordering::Relaxed);
        assert_eq!(pop1(&mut r, park), Err(ReadError::Lagged(1)));
        for v in 1..4 {
            assert_eq!(pop1(&mut r, park), Ok(Some(v)));
        }
        assert_eq!(pop1(&mut r, park), Ok(None), "4 is not committed");
        w.reserved(0)[1].store(!99, Ordering::Relaxed);
        assert_eq!(w.commit(1, park), 1);
        assert_eq!(pop1(&mut r, park), Ok(Some(99)));
    }

    #[test]
    fn joins_start_where_asked_and_lines_are_exclusive() {
        let m = mem(Policy::Lossy);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        for v in 0..6 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        let mut old = BcReader::join(b, 0, Start::Oldest, park).unwrap();
        let mut new = BcReader::join(b, 1, Start::Newest, park).unwrap();
        assert_eq!(pop1(&mut old, park), Ok(Some(2)));
        assert_eq!(pop1(&mut new, park), Ok(None));
        assert_eq!(
            BcReader::join(b, 0, Start::Newest, park).unwrap_err(),
            JoinError::Taken
        );
        assert_eq!(
            BcReader::join(b, 3, Start::Newest, park).unwrap_err(),
            JoinError::OutOfRange
        );
        m.lines[2 * LINE_WORDS + STATE].store(7, Ordering::Relaxed);
        assert_eq!(
            BcReader::join(b, 2, Start::Newest, park).unwrap_err(),
            JoinError::Corrupt
        );
    }

    #[test]
    fn a_dropped_reader_stops_holding_the_writer_and_learns_it() {
        let m = mem(Policy::Lossless);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        let mut r = BcReader::join(b, 0, Start::Newest, park).unwrap();
        for v in 0..4 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        assert_eq!(push1(&mut w, 4, park), Ok(0));
        // The writer announced a park (as `reserve_blocking` does before parking).
        m.ctl.writer_waiting.store(1, Ordering::Relaxed);
        assert_eq!(
            b.drop_reader(0, r.ticket() + 1, park),
            Ok(false),
            "wrong ticket"
        );
        assert_eq!(b.drop_reader(0, r.ticket(), park), Ok(true));
        assert_eq!(park.writer_wakes, 1, "the drop woke the writer");
        assert_eq!(push1(&mut w, 4, park), Ok(1));
        // The stale cursor (0) stays in the line and holds nothing.
        assert_eq!(m.lines[CURSOR].load(Ordering::Relaxed), 0);
        assert_eq!(push1(&mut w, 5, park), Ok(1));
        // A dropped reader that lives on still reads (validated) until it waits.
        assert_eq!(pop1(&mut r, park), Err(ReadError::Lagged(2)));
        for v in 2..6 {
            assert_eq!(pop1(&mut r, park), Ok(Some(v)));
        }
        assert_eq!(
            r.peek_blocking(1, 0, park),
            Err(WaitError::Read(ReadError::Dropped))
        );
        assert_eq!(r.leave(park), Err(ReadError::Dropped));
        // The line is free for a new reader, whose cursor replaces the stale one.
        let n = BcReader::join(b, 0, Start::Newest, park).unwrap();
        assert_eq!(m.lines[CURSOR].load(Ordering::Relaxed), 6);
        assert_eq!(n.ticket(), 3);
    }

    #[test]
    fn parked_readers_are_woken_once_each_and_only_when_parked() {
        let m = mem(Policy::Lossy);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        assert_eq!(push1(&mut w, 0, park), Ok(1));
        assert_eq!(park.reader_wakes, 0);
        m.ctl.readers_waiting[0].store(0b101, Ordering::Relaxed);
        assert_eq!(push1(&mut w, 1, park), Ok(1));
        assert_eq!((park.woken, park.reader_wakes), (0b101, 2));
        assert_eq!(push1(&mut w, 2, park), Ok(1));
        assert_eq!(park.reader_wakes, 2, "one wake per park");
        // Garbage bits past R: cleared, nobody woken.
        m.ctl.readers_waiting[0].store(1 << 40, Ordering::Relaxed);
        w.close(park);
        assert_eq!(park.reader_wakes, 2);
        assert_eq!(m.ctl.readers_waiting[0].load(Ordering::Relaxed), 0);
    }

    #[test]
    fn garbage_is_an_error_never_an_index() {
        let m = mem(Policy::Lossless);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        let mut r = BcReader::join(b, 0, Start::Newest, park).unwrap();
        for v in 0..4 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        // A cursor ahead of everything published.
        m.lines[CURSOR].store(1000, Ordering::Relaxed);
        assert_eq!(push1(&mut w, 4, park), Err(Corrupt));
        // A garbage state.
        m.lines[CURSOR].store(0, Ordering::Relaxed);
        m.lines[STATE].store(9, Ordering::Relaxed);
        assert_eq!(push1(&mut w, 4, park), Err(Corrupt));
        m.lines[STATE].store(ACTIVE, Ordering::Relaxed);
        // A `seq` naming a message of another slot.
        m.slots[0].store(done(1), Ordering::Relaxed);
        assert_eq!(pop1(&mut r, park), Err(ReadError::Corrupt));
        m.slots[0].store(done(0), Ordering::Relaxed);
        // A `seq` claiming a message beyond `tail`.
        m.slots[0].store(done(8), Ordering::Relaxed);
        assert_eq!(pop1(&mut r, park), Err(ReadError::Corrupt));
        m.slots[0].store(done(0), Ordering::Relaxed);
        // A `tail` behind the reader: by up to N it may be a store not yet seen
        // (`at_least_cached`), further it is garbage.
        let mut late = BcReader::join(b, 1, Start::Newest, park).unwrap();
        m.ctl.tail.store(1, Ordering::Relaxed);
        assert_eq!(late.peek(2), Ok(0));
        m.ctl.tail.store(u64::MAX - 10, Ordering::Relaxed);
        assert_eq!(late.peek(2), Err(ReadError::Corrupt));
        m.ctl.tail.store(4, Ordering::Relaxed);
        assert_eq!(pop1(&mut r, park), Ok(Some(0)));
        // Garbage geometry or policy: no layout.
        m.ctl.readers.store(0, Ordering::Relaxed);
        assert!(Broadcast::<4>::new(&m.ctl, &m.lines, &m.slots, 2).is_none());
        m.ctl.readers.store(u64::MAX, Ordering::Relaxed);
        assert!(Broadcast::<4>::new(&m.ctl, &m.lines, &m.slots, 2).is_none());
        m.ctl.readers.store(3, Ordering::Relaxed);
        m.ctl.policy.store(5, Ordering::Relaxed);
        assert!(Broadcast::<4>::new(&m.ctl, &m.lines, &m.slots, 2).is_none());
        // A garbage `closed` where it is read.
        let m = mem(Policy::Lossy);
        let b = bc(&m);
        let mut r = BcReader::join(b, 0, Start::Newest, park).unwrap();
        m.ctl.closed.store(3, Ordering::Relaxed);
        assert_eq!(r.peek(2), Err(ReadError::Corrupt));
    }

    /// A single read learns of a message from its slot's `seq`, before the
    /// writer's `tail` store that follows is visible: a `tail` load then lags
    /// behind the reader's cursor. That is "nothing yet", not corruption (loom,
    /// `lossy_lapped_reader_gets_whole_values_and_exact_gaps`, found the reader
    /// calling it `Corrupt`), and a parked reader's re-check does not count it
    /// as news either.
    #[test]
    fn a_tail_behind_a_seq_read_is_not_yet_seen_not_corrupt() {
        let m = mem(Policy::Lossy);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        let mut r = BcReader::join(b, 0, Start::Newest, park).unwrap();
        for v in 0..3 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
            // The reader sees the slot's `seq`, not yet the `tail` store.
            m.ctl.tail.store(v, Ordering::Relaxed);
            assert_eq!(pop1(&mut r, park), Ok(Some(v)));
            assert_eq!(r.peek(1), Ok(0), "tail {v}, cursor {}", v + 1);
            assert_eq!(r.peek(3), Ok(0));
            assert_eq!(r.recheck(), Ok(false), "nothing to wake for");
            m.ctl.tail.store(v + 1, Ordering::Relaxed);
        }
        // A batch read that knows more than `tail` says keeps what it knows.
        assert_eq!(push1(&mut w, 3, park), Ok(1));
        assert_eq!(pop1(&mut r, park), Ok(Some(3)));
        assert_eq!(push1(&mut w, 4, park), Ok(1));
        assert_eq!(r.peek(1), Ok(1));
        m.ctl.tail.store(3, Ordering::Relaxed);
        assert_eq!(r.peek(2), Ok(1));
        assert_eq!(r.release(1, park), Ok(1));
        // More than N behind: garbage.
        m.ctl.tail.store(0, Ordering::Relaxed);
        assert_eq!(r.peek(1), Err(ReadError::Corrupt));
        assert_eq!(r.recheck(), Ok(true), "the attempt reports it");
    }

    #[test]
    fn a_lossless_joiner_blocks_the_writer_until_it_has_a_cursor() {
        let m = mem(Policy::Lossless);
        let b = bc(&m);
        let park = &mut NoPark::default();
        let mut w = BcWriter::new(b).unwrap();
        for v in 0..4 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        m.lines[STATE].store(JOINING, Ordering::Relaxed);
        assert_eq!(push1(&mut w, 4, park), Ok(0));
        m.lines[STATE].store(FREE, Ordering::Relaxed);
        assert_eq!(push1(&mut w, 4, park), Ok(1));
        // The writer's last scan (no reader) let it publish up to message 7.
        let mut r = BcReader::join(b, 0, Start::Oldest, park).unwrap();
        assert_eq!(r.cursor(), 1);
        for v in 5..8 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        assert_eq!(
            push1(&mut w, 8, park),
            Ok(0),
            "its next scan sees the reader"
        );
        // So a lossless join at the oldest can be lapped, before its first value.
        assert_eq!(pop1(&mut r, park), Err(ReadError::Lagged(3)));
        for v in 4..8 {
            assert_eq!(pop1(&mut r, park), Ok(Some(v)));
        }
        // From then on the writer waits for it; a join at the newest never lags.
        let mut n = BcReader::join(b, 1, Start::Newest, park).unwrap();
        for v in 8..12 {
            assert_eq!(push1(&mut w, v, park), Ok(1));
        }
        assert_eq!(push1(&mut w, 12, park), Ok(0));
        for v in 8..12 {
            assert_eq!(pop1(&mut r, park), Ok(Some(v)));
            assert_eq!(pop1(&mut n, park), Ok(Some(v)));
        }
    }

    // The crate is `no_std`; proptest's macros need `vec!`.
    extern crate std;
    use std::vec;

    /// One step of the hostile-peer test: an operation of one of the sides, or a
    /// peer overwriting a shared word.
    #[derive(Clone, Debug)]
    enum Op {
        Push(usize),
        /// Reserve `max`, write the reserved slots, commit `k`.
        Loan(usize, usize),
        PushBlocking(usize, u32),
        /// Reader handle, max.
        Pop(usize, usize),
        /// Reader handle, max, how many of the peeked to release.
        Peek(usize, usize, usize),
        PopBlocking(usize, usize),
        /// Reader handle, line (3 is out of range), start at the oldest.
        Join(usize, usize, bool),
        Leave(usize),
        /// Line, ticket (0: the one the line shows).
        Drop(usize, u64),
        Close,
        /// Word `i` of all the shared words (control block, lines, slots).
        Strike(usize, u64),
        /// The layout and writer taken again over whatever is there now.
        Reopen,
    }

    fn word() -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::prelude::*;
        prop_oneof![
            0..8u64,
            // `seq`-like values of messages near the others: 2m + 1, 2m + 2.
            0..80u64,
            Just(HALF),
            (0..8u64).prop_map(|k| u64::MAX - k),
            (0..8u64).prop_map(|k| HALF - 1 - k),
            any::<u64>(),
        ]
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let n = || 0..7usize;
        prop_oneof![
            n().prop_map(Op::Push),
            (n(), n()).prop_map(|(a, b)| Op::Loan(a, b)),
            (n(), 0..3u32).prop_map(|(a, b)| Op::PushBlocking(a, b)),
            (0..3usize, n()).prop_map(|(a, b)| Op::Pop(a, b)),
            (0..3usize, n(), n()).prop_map(|(a, b, c)| Op::Peek(a, b, c)),
            (0..3usize, n()).prop_map(|(a, b)| Op::PopBlocking(a, b)),
            (0..3usize, 0..4usize, any::<bool>()).prop_map(|(a, b, c)| Op::Join(a, b, c)),
            (0..3usize).prop_map(Op::Leave),
            (0..4usize, 0..3u64).prop_map(|(a, b)| Op::Drop(a, b)),
            Just(Op::Close),
            (0..96usize, word()).prop_map(|(a, b)| Op::Strike(a, b)),
            (0..96usize, word()).prop_map(|(a, b)| Op::Strike(a, b)),
            Just(Op::Reopen),
        ]
    }

    /// Every shared word a peer can write: the control block's (the header
    /// aside), the reader lines, the slots.
    fn shared(m: &Mem) -> impl Iterator<Item = &AtomicU64> {
        let c = &m.ctl;
        [
            &c.tail,
            &c.policy,
            &c.barrier,
            &c.readers,
            &c.closed,
            &c.writer_pid,
            &c.writer_waiting,
        ]
        .into_iter()
        .chain(&c.readers_waiting)
        .chain(&m.lines)
        .chain(&m.slots)
    }

    /// Parking that fails (a deadline) and checks every reader it is asked to
    /// wake is a line of the layout.
    struct Strict;

    impl Parking for Strict {
        type Error = ();
        fn park(&mut self) -> Result<(), ()> {
            Err(())
        }
        fn unpark_peer(&mut self) {}
        fn heavy_barrier(&mut self) -> Result<(), ()> {
            Ok(())
        }
    }

    impl Fanout for Strict {
        fn unpark_reader(&mut self, reader: usize) {
            assert!(reader < 3, "woke reader {reader} of 3");
        }
    }

    /// What every reader keeps whatever the segment says.
    fn reader_ok(r: &BcReader<'_, 4>) {
        assert!(r.cached_tail.wrapping_sub(r.cursor) <= 4, "{r:?}");
        assert!(r.index < 3);
    }

    /// A read's outcome: at most `max`, and every callback saw a whole slot; a
    /// gap moved the cursor by exactly its count.
    fn read_ok(
        before: u64,
        r: &BcReader<'_, 4>,
        max: usize,
        seen: usize,
        got: Result<usize, ReadError>,
    ) {
        match got {
            Ok(n) => assert!(n <= max && n <= 4 && n == seen, "{n} of {max}, saw {seen}"),
            Err(ReadError::Lagged(k)) => {
                assert!(k > 0);
                assert_eq!(r.cursor, before.wrapping_add(k));
            }
            Err(_) => {}
        }
        reader_ok(r);
    }

    fn hostile_run(policy: Policy, fill: &[u64], ops: &[Op]) {
        let m = mem(policy);
        for (w, v) in m.lines.iter().chain(&m.slots).zip(fill) {
            w.store(*v, Ordering::Relaxed);
        }
        let park = &mut Strict;
        let mut b = bc(&m);
        let mut w = BcWriter::new(b).ok();
        let mut rs: [Option<BcReader<'_, 4>>; 3] = [None, None, None];
        for op in ops {
            match *op {
                Op::Push(max) => {
                    if let Some(w) = w.as_mut() {
                        let mut calls = 0;
                        let r = w.push(
                            max,
                            |i, s| {
                                assert!(i < max && s.len() == 2);
                                s[0].store(i as u64, Ordering::Relaxed);
                                calls += 1;
                            },
                            park,
                        );
                        if let Ok(n) = r {
                            assert!(n <= max.min(4) && n == calls);
                        }
                    }
                }
                Op::Loan(max, k) => {
                    if let Some(w) = w.as_mut()
                        && let Ok(n) = w.reserve(max)
                    {
                        assert!(n <= max.min(4));
                        for i in 0..n {
                            assert_eq!(w.reserved(i).len(), 2);
                        }
                        assert!(w.commit(k, park) <= n.min(k));
                    }
                }
                Op::PushBlocking(max, spins) => {
                    if let Some(w) = w.as_mut() {
                        let r = w.push_blocking(max, spins, |_, s| assert_eq!(s.len(), 2), park);
                        if let Ok(n) = r {
                            assert!(n <= max.min(4));
                        }
                    }
                }
                Op::Pop(h, max) => {
                    if let Some(r) = rs[h].as_mut() {
                        let (before, mut seen) = (r.cursor, 0);
                        let got = r.pop(
                            max,
                            |i, s| {
                                assert!(i < max && s.len() == 2);
                                seen += 1;
                            },
                            park,
                        );
                        read_ok(before, r, max, seen, got);
                    }
                }
                Op::Peek(h, max, k) => {
                    if let Some(r) = rs[h].as_mut() {
                        if let Ok(n) = r.peek(max) {
                            assert!(n <= max.min(4));
                            for i in 0..n {
                                assert_eq!(r.peeked(i).len(), 2);
                            }
                            let before = r.cursor;
                            // Up to what the reader knows is published, which
                            // may be more than `max` let `peek` return.
                            let got = r.release(k, park);
                            read_ok(before, r, k, got.unwrap_or(0), got);
                        }
                        reader_ok(r);
                    }
                }
                Op::PopBlocking(h, max) => {
                    if let Some(r) = rs[h].as_mut() {
                        let _ = r.pop_blocking(max, 2, |_, s| assert_eq!(s.len(), 2), park);
                        reader_ok(r);
                    }
                }
                Op::Join(h, line, oldest) => {
                    let start = if oldest { Start::Oldest } else { Start::Newest };
                    if let Ok(r) = BcReader::join(b, line, start, park) {
                        reader_ok(&r);
                        rs[h] = Some(r);
                    }
                }
                Op::Leave(h) => {
                    if let Some(r) = rs[h].take() {
                        let _ = r.leave(park);
                    }
                }
                Op::Drop(line, t) => {
                    let ticket = b
                        .ticket(line)
                        .map_or(t, |(ticket, _)| ticket.wrapping_add(t));
                    let _ = b.drop_reader(line, ticket, park);
                }
                Op::Close => {
                    if let Some(w) = w.as_mut() {
                        w.close(park);
                    }
                }
                Op::Strike(i, v) => {
                    if let Some(word) = shared(&m).nth(i) {
                        word.store(v, Ordering::Relaxed);
                    }
                }
                Op::Reopen => {
                    if let Some(again) = Broadcast::new(&m.ctl, &m.lines, &m.slots, 2) {
                        b = again;
                        w = BcWriter::new(b).ok();
                    }
                }
            }
            if let Some(w) = w.as_ref() {
                assert!(w.reserved <= 4);
                if w.bc.policy == Policy::Lossless {
                    assert!(w.tail.wrapping_sub(w.cached_min) <= 4);
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            // Miri runs the lib tests (.ci/run): a few cases there, and no
            // failure file (Miri's isolation has no current directory).
            cases: if cfg!(miri) { 4 } else { 2048 },
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// A hostile or crashed peer: the reader lines and slots start as
        /// arbitrary words, and between operations any shared word (control
        /// block, lines, slots) may be overwritten. Every operation of the writer,
        /// the readers, joins, leaves and drops returns a value or an error:
        /// never a panic (debug build: no overflow, no out-of-bounds index),
        /// counts never above what was asked, every slot handed out whole, every
        /// wake for a reader line that exists, and each side's cached indices
        /// within `N` of its own.
        #[test]
        fn a_hostile_peer_gets_errors_never_a_panic(
            lossless in proptest::prelude::any::<bool>(),
            fill in proptest::collection::vec(word(), 60),
            ops in proptest::collection::vec(op(), 1..64),
        ) {
            let policy = if lossless { Policy::Lossless } else { Policy::Lossy };
            hostile_run(policy, &fill, &ops);
        }
    }
}
