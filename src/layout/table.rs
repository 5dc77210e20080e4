//! The table of `N` independently versioned slots behind the (coming) `Table<T, N>`:
//! one writer for the whole table, any number of readers, each slot a seqlock over
//! its own value words, and a query that tells a reader which slots changed since
//! a version it saw, without looking at every slot.
//!
//! # Byte layout
//!
//! `G` = ⌈`N` / 64⌉ change groups, `S` = the slot stride: 8 + `size_of::<T>()`
//! rounded up to 64 bytes. `pad(x)` rounds `x` up to a multiple of 128 bytes.
//!
//! | offset | field | written by | meaning |
//! |---:|---|---|---|
//! | 0..128 | [`Header`] | creator | `kind` = 5, `capacity` = `N`, `data_offset` = `SLOTS` (below) |
//! | 128 | `version` | writer | the table version: the version of the last write whose bookkeeping is complete (0: none yet) |
//! | 136 | `writer_pid` | writer | pid of the role's holder, 0 when released |
//! | 144 | `watchers` | watchers set bit 0, the writer moves it to the next epoch to wake them | low 32 bits: a wake epoch (bits 1..32) and [`WATCHED`] (bit 0): a watcher may sleep in a futex wait on the low half until the next write (layout version 7, [`watch`](crate::layout::watch)) |
//! | 152..256 | padding | — | zero |
//! | 256 + 8·g | `group[g]` | writer | `g` in `0..G`: the version of the last write to any slot `64g..64g+64` |
//! | `VERSIONS` = 256 + pad(8·G) | | | |
//! | `VERSIONS` + 8·i | `slot_version[i]` | writer | `i` in `0..N`: the version of slot `i`'s last complete write (0: never written) |
//! | `SLOTS` = `VERSIONS` + pad(8·N) | | | |
//! | `SLOTS` + i·S | `seq` of slot `i` | writer | 2·v once write `v` of slot `i` is complete; 2·v − 1 while it is in progress |
//! | `SLOTS` + i·S + 8 | value of slot `i` | writer | `size_of::<T>()` rounded up to 8 bytes, then zeros to the stride |
//!
//! Every version is a number the writer takes from one table-wide counter: the
//! writes to the table, whatever their slot, get strictly increasing versions.
//! ([`TableWriter`] skips one after taking over from another writer: see
//! "Crashes".) Versions are compared, never used as sizes, offsets or indices.
//!
//! # Protocol
//!
//! - **Write `v` of slot `i`** ([`TableWriter::write_in_place`]):
//!   1. `seq[i] = 2v − 1` (Relaxed), Release fence, the value words (Relaxed),
//!      `seq[i] = 2v` (Release): Boehm's seqlock, as
//!      [`seqlock`](crate::layout::seqlock) does for a single value, every access
//!      an atomic word;
//!   2. `slot_version[i] = v`, `group[i / 64] = v` (Relaxed), then `version = v`
//!      (Release): the bookkeeping of the change query, published by the last
//!      store.
//! - **Read slot `i`** ([`Slots::read`], [`Slots::read_consistent`]): `s1 = seq[i]`
//!   (Relaxed), odd → retry; Acquire fence; the value words (Relaxed); Acquire
//!   fence; `s2 = seq[i]` (Relaxed); `s1 == s2` → one write's bytes, of version
//!   `s1 / 2`. As in the single seqlock: if any word load saw a later write's
//!   store, the second fence synchronises with that write's Release fence and `s2`
//!   sees its `2v − 1` or later, so the copy is thrown away; readers bound their
//!   attempts and answer [`TableError::Busy`]. Each slot's `seq` only ever
//!   increases (the versions do), so `s1 == s2` cannot hide a write (no ABA).
//! - **Which slots changed since `since`** ([`Slots::changed_since`]): `now =
//!   version` (Relaxed, then an Acquire fence), then each `group[g]` (Relaxed):
//!   for a group above `since`, each of its 64 `slot_version` words (Relaxed); a
//!   slot whose version is above `since` is reported. Returns `now`, the `since`
//!   of the next query. Guarantee: every write `v` with `since < v <= now` is
//!   reported. The fence makes the Release store of `version = now` (or of any
//!   later value) happen before the loads; every write `v <= now` stored its
//!   `group` and `slot_version` before that store (program order of the one
//!   writer, or a handover between writers, which goes through the kernel), so the
//!   loads see `v` or a later (greater) version there, both above `since`. A write
//!   after `now` may or may not be reported; the next query, from `now`, reports
//!   it. A `since` above `now` (a peer's garbage, a version from another table)
//!   reports every slot. The loom models in `tests/loom_table.rs` check these
//!   steps, and fail with the orderings named there weakened.
//!
//! - **Watching for a change** ([`Slots::arm_watch`], [`TableWriter::wake_check`]):
//!   a watcher waits for `version` to differ from the `since` it saw, with the
//!   [`watch`](crate::layout::watch) handshake on `watchers`; the writer runs the
//!   wake check after its Release store of `version` (each write's, and
//!   [`TableWriter::new`]'s). A woken watcher then asks [`Slots::changed_since`]
//!   which slots changed. Watching stores into the segment: a watcher needs a
//!   writable mapping.
//!
//! # Why this change index
//!
//! A reader that polls a board of `N` values for changes should pay for what
//! changed, not for `N`. The per-slot versions alone (or the `seq` words) would
//! make every query load `N` words on `N·S / 64` lines; a per-reader change bitmap
//! would need the writer to know its readers. The two-level index costs the
//! writer two stores per write on lines only it writes (`slot_version[i]`,
//! `group[i / 64]`) besides `version`, and a query `⌈N / 64⌉` dense loads (16
//! groups per 128-byte line: `N` = 4096 is 64 words on 4 lines) plus 64 dense
//! loads (4 lines) per group that changed, never a slot's line. When nothing
//! changed, it is the one load of `version`. A query is O(N/64 + 64·c) loads for
//! `c` changed groups; which slots and how many it reports never depends on the
//! segment's bytes beyond "above `since` or not", so a peer's garbage costs a
//! reader spurious reports, nothing else.
//!
//! # Cache lines
//!
//! Each slot's `seq` sits in front of its own value, and each slot starts on its
//! own 64-byte line: a reader of one slot touches only that slot's line(s), one
//! line for a value of up to 56 bytes, and the writer's stores to other slots
//! never invalidate it (false sharing between slots written at different rates
//! would make a reader of a quiet slot miss on every read, and the writer pay an
//! ownership transfer for every write next to a slot being read). A dense array
//! of `seq` words would put 16 slots on one 128-byte line and make every read
//! touch two lines (the `seq` and the value). The padding is 64 bytes, not the
//! 128 of [`LINE`](crate::layout::LINE) that keeps two *writers'* indices apart:
//! here one process writes every slot, and what remains at 128 is the adjacent-line
//! prefetch pulling a neighbour's line along on a miss, not a line two processes
//! write; 128 would double the footprint of a table of small values (a reader
//! scanning all of them touches twice the lines). The change index's words
//! (`version`, `group`, `slot_version`) are written on every write and read only
//! by queries, so they sit apart from the slots, each region on its own 128-byte
//! lines.
//!
//! # Crashes
//!
//! A writer killed mid-write (between the two `seq` stores) leaves that slot's
//! `seq` odd: its readers get [`TableError::Busy`], readers of every other slot
//! are unaffected, and the slot is readable again after the next writer's first
//! write to it. A writer killed after its first `seq` store but before its
//! `version` store leaves a slot whose `seq` says version `v = version + 1`
//! (odd: half-written; even: complete) while the change index may not have
//! heard of it. Every write uses the stored `version` + 1 (the writer stores
//! `version` after each write), so `version + 1` is the only version such a
//! writer can have left behind. The next writer, in [`TableWriter::new`]:
//!
//! 1. compares each slot's `seq` with twice its `slot_version`, and its
//!    group's `group` with its `slot_version` (one load of each, O(`N`) once
//!    per writer); a slot whose `seq` and `slot_version` differ, or whose
//!    `group` is below its `slot_version` (the dead writer's, or a peer's
//!    garbage), gets `slot_version` and `group` set to `version + 1`, so
//!    queries report it (its value is readable or [`TableError::Busy`]) and no
//!    completed write goes unreported. The second comparison catches a writer
//!    killed after `slot_version = v` but before `group = v` (two Relaxed
//!    stores, which the compiler and the CPU may also make in the other
//!    order): its `seq` and `slot_version` agree, and without the repair a
//!    query would skip the group, whose word is older than the write;
//! 2. stores `version + 1` as the table version (Release), so its own first
//!    write is `version + 2`: a slot's `seq` never goes back to a value a
//!    reader may have loaded. (A reader holding `s1 = 2v` from the dead writer's
//!    complete write would otherwise accept a copy torn by the new writer's
//!    write of the same `v` to the same slot: the loom model
//!    `dead_writer_after_its_seq_store_is_never_reused` fails without this
//!    step.)
//!
//! Readers only load, with Relaxed ordering (their acquires are fences), so they
//! work over a mapping this process may not write, as the seqlock's readers do.

use core::marker::PhantomData;

use crate::layout::header::Header;
use crate::layout::ring::{AnyWords, PayloadWords};
#[cfg(doc)]
use crate::layout::watch::WATCHED;
use crate::layout::watch::{self, Watch};
use crate::layout::{load_words, store_words, words_for};
use crate::sync::{AtomicU64, Ordering, fence, spin_loop};

/// Offset of the change index (`group[0]`): the control block's size.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::table::{INDEX_OFFSET, TableCtl};
///
/// assert_eq!(size_of::<TableCtl>(), INDEX_OFFSET); // the words follow the control block
/// ```
pub const INDEX_OFFSET: usize = 256;

/// Slots per change group: one `group` word summarises this many `slot_version`
/// words.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::table::{GROUP, Slots};
///
/// assert_eq!(GROUP, 64);
/// assert_eq!(Slots::<100>::groups(), 2); // slots 0..64 and 64..100
/// ```
pub const GROUP: usize = 64;

/// Bytes a slot's stride is rounded up to: each slot starts on its own 64-byte
/// line (module docs, "Cache lines").
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::table::{SLOT_ALIGN, Slots};
///
/// // seq + one value word: 16 bytes, padded to a line.
/// assert_eq!(Slots::<4>::stride_words(1) * 8, SLOT_ALIGN);
/// ```
pub const SLOT_ALIGN: usize = 64;

/// Words of a region rounded up to whole 128-byte lines.
const REGION_WORDS: usize = crate::layout::LINE / crate::layout::WORD;

/// Value words per spin between two read attempts, as in the single seqlock: a
/// larger value, whose writes take longer, waits longer per attempt.
const SPIN_WORDS: usize = 1 << 16;

/// The control block of a table: header and the writer's line (256 bytes).
///
/// # Examples
///
/// ```
/// use core::mem::offset_of;
/// use sysv_ipc::layout::table::TableCtl;
///
/// assert_eq!(offset_of!(TableCtl, version), 128);
/// assert_eq!(offset_of!(TableCtl, writer_pid), 136);
/// ```
#[repr(C, align(128))]
#[derive(Debug)]
pub struct TableCtl {
    /// The segment header.
    pub header: Header,
    /// The table version: the last write whose bookkeeping is complete.
    pub version: AtomicU64,
    /// Pid of the writer role's holder, 0 if released.
    pub writer_pid: AtomicU64,
    /// A wake epoch and [`WATCHED`] while a watcher may sleep on it; the
    /// writer's wake check moves it to the next epoch (module docs, "Protocol").
    pub watchers: AtomicU64,
    /// Keeps the change index off the writer's 128 bytes.
    pub pad: [AtomicU64; 13],
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<TableCtl>() == INDEX_OFFSET);
    assert!(offset_of!(TableCtl, header) == 0);
    assert!(offset_of!(TableCtl, version) == 128);
    assert!(offset_of!(TableCtl, writer_pid) == 136);
    assert!(offset_of!(TableCtl, watchers) == 144);
    assert!(offset_of!(TableCtl, pad) == 152);
};

impl TableCtl {
    /// A zeroed control block (for models and tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::table::TableCtl;
    ///
    /// let ctl = TableCtl::new();
    /// assert_eq!(ctl.version.load(Ordering::Relaxed), 0);
    /// ```
    pub fn new() -> TableCtl {
        TableCtl {
            header: Header::new(),
            version: AtomicU64::new(0),
            writer_pid: AtomicU64::new(0),
            watchers: AtomicU64::new(0),
            pad: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// The creator's initialisation of the writer's line (published by
    /// [`Header::publish`]). The index and the slots need none: a new segment is
    /// zero-filled, which reads as "never written" (version 0, value all zeros).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::header::{Kind, Shape};
    /// use sysv_ipc::layout::table::{Slots, TableCtl};
    ///
    /// let ctl = TableCtl::new();
    /// assert!(ctl.header.begin_init());
    /// ctl.init();
    /// let shape = Shape::of::<u64>(Kind::Table, 4, Slots::<4>::slots_offset(), Slots::<4>::total_size(1));
    /// ctl.header.publish(&shape, 1);
    /// assert_eq!(ctl.version.load(Ordering::Acquire), 0);
    /// ```
    pub fn init(&self) {
        // Relaxed: published by the header's Release store of READY.
        self.version.store(0, Ordering::Relaxed);
        self.writer_pid.store(0, Ordering::Relaxed);
        self.watchers.store(0, Ordering::Relaxed);
    }
}

impl Default for TableCtl {
    fn default() -> Self {
        TableCtl::new()
    }
}

/// Why a table operation did nothing.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::table::{Slots, TableCtl, TableError};
///
/// let ctl = TableCtl::new();
/// let words: [AtomicU64; Slots::<2>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
/// let slots = Slots::<2>::new(&ctl, &words, 1).unwrap();
/// assert_eq!(slots.read(2, &mut [0u8; 8], 1), Err(TableError::NoSlot));
/// assert_eq!(slots.read(0, &mut [0u8; 9], 1), Err(TableError::TooLarge));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TableError {
    /// The slot index is not below `N`.
    NoSlot,
    /// The value does not fit in (or the destination is longer than) a slot's
    /// value words.
    TooLarge,
    /// Every read attempt found a write in progress on the slot (or saw it change
    /// under the copy): a live writer busy there, or one that died mid-write.
    Busy,
}

/// The `N` slots of a table: its control block, change index and slots, each slot
/// holding `value_words` words of value.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
///
/// // Local memory standing in for a segment: 3 slots of one u64 each.
/// let ctl = TableCtl::new();
/// let words: [AtomicU64; Slots::<3>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
/// let slots = Slots::<3>::new(&ctl, &words, 1).unwrap();
/// let mut w = TableWriter::new(slots);
/// let v = w.write(1, &7u64.to_ne_bytes()).unwrap();
/// let mut out = [0u8; 8];
/// assert_eq!(slots.read(1, &mut out, 1), Ok(v));
/// assert_eq!(u64::from_ne_bytes(out), 7);
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Slots<'a, const N: usize, W: PayloadWords = AnyWords> {
    ctl: &'a TableCtl,
    /// `G` group words.
    groups: &'a [AtomicU64],
    /// `N` slot versions.
    versions: &'a [AtomicU64],
    /// `N` slots of `stride` words.
    slots: &'a [AtomicU64],
    value_words: usize,
    stride: usize,
    words: PhantomData<W>,
}

/// Change groups of `slots` slots (the const-generic [`Slots::groups`]).
const fn groups_of(slots: usize) -> usize {
    slots.div_ceil(GROUP)
}

/// Words of the group region of `slots` slots (whole 128-byte lines).
const fn group_region_of(slots: usize) -> usize {
    groups_of(slots).next_multiple_of(REGION_WORDS)
}

/// Words of the slot-version region of `slots` slots (whole lines; saturates).
const fn version_region_of(slots: usize) -> usize {
    match slots.checked_next_multiple_of(REGION_WORDS) {
        Some(w) => w,
        None => usize::MAX,
    }
}

/// [`Slots::words`] for `slots` slots known at run time.
const fn words_of(slots: usize, value_words: usize) -> usize {
    group_region_of(slots)
        .saturating_add(version_region_of(slots))
        .saturating_add(slots.saturating_mul(Slots::<1>::stride_words(value_words)))
}

/// Bytes of a table's layout of `slots` slots of `value_words`-word values (the
/// header's `total_size`; saturates): [`Slots::total_size`] for a slot count
/// known at run time, the one formula [`Table`](crate::table::Table) and
/// [`info::needs`](crate::info::needs) use.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::table::{Slots, total_size_of};
///
/// assert_eq!(total_size_of(4, 1), Slots::<4>::total_size(1));
/// assert_eq!(total_size_of(100, 3), Slots::<100>::total_size(3));
/// ```
pub const fn total_size_of(slots: usize, value_words: usize) -> usize {
    INDEX_OFFSET.saturating_add(words_of(slots, value_words).saturating_mul(crate::layout::WORD))
}

impl<'a, const N: usize> Slots<'a, N> {
    /// Change groups: ⌈`N` / [`GROUP`]⌉.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::table::Slots;
    ///
    /// assert_eq!(Slots::<1>::groups(), 1);
    /// assert_eq!(Slots::<64>::groups(), 1);
    /// assert_eq!(Slots::<65>::groups(), 2);
    /// ```
    pub const fn groups() -> usize {
        groups_of(N)
    }

    /// Words from one slot's `seq` to the next one's: `seq` and `value_words`,
    /// rounded up to [`SLOT_ALIGN`] bytes (saturates instead of overflowing).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::table::Slots;
    ///
    /// assert_eq!(Slots::<4>::stride_words(1), 8); // 16 bytes → one 64-byte line
    /// assert_eq!(Slots::<4>::stride_words(7), 8); // 64 bytes exactly
    /// assert_eq!(Slots::<4>::stride_words(8), 16); // 72 bytes → two lines
    /// ```
    pub const fn stride_words(value_words: usize) -> usize {
        let per_line = SLOT_ALIGN / crate::layout::WORD;
        match value_words
            .saturating_add(1)
            .checked_next_multiple_of(per_line)
        {
            Some(s) => s,
            None => usize::MAX,
        }
    }

    /// Words of the change index's group region (whole 128-byte lines).
    const fn group_region() -> usize {
        group_region_of(N)
    }

    /// Words of the slot-version region (whole 128-byte lines; saturates).
    const fn version_region() -> usize {
        version_region_of(N)
    }

    /// Offset of `slot_version[0]` from the start of the segment (`VERSIONS` in
    /// the module docs).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::table::Slots;
    ///
    /// assert_eq!(Slots::<64>::versions_offset(), 256 + 128); // one group word, padded
    /// assert_eq!(Slots::<2048>::versions_offset(), 256 + 256); // 32 group words
    /// ```
    pub const fn versions_offset() -> usize {
        INDEX_OFFSET + Self::group_region() * crate::layout::WORD
    }

    /// Offset of slot 0 from the start of the segment (`SLOTS` in the module docs;
    /// the header's `data_offset`; saturates).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::table::Slots;
    ///
    /// assert_eq!(Slots::<4>::slots_offset(), 256 + 128 + 128);
    /// assert_eq!(Slots::<64>::slots_offset(), 256 + 128 + 512);
    /// ```
    pub const fn slots_offset() -> usize {
        Self::versions_offset()
            .saturating_add(Self::version_region().saturating_mul(crate::layout::WORD))
    }

    /// Words after the control block, from `group[0]` to the end of the last
    /// slot, for values of `value_words` words (saturates instead of
    /// overflowing, which no slice can match).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::table::Slots;
    ///
    /// // 16 group words, 16 slot versions, 4 slots of 8 words.
    /// assert_eq!(Slots::<4>::words(1), 16 + 16 + 4 * 8);
    /// ```
    pub const fn words(value_words: usize) -> usize {
        words_of(N, value_words)
    }

    /// Bytes of the whole layout (the header's `total_size`; saturates).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::table::Slots;
    ///
    /// assert_eq!(Slots::<4>::total_size(1), 512 + 4 * 64);
    /// ```
    pub const fn total_size(value_words: usize) -> usize {
        total_size_of(N, value_words)
    }

    /// The table over `ctl` and `words` (the words after the control block);
    /// `None` unless `words` has exactly [`Slots::words`]`(value_words)` words,
    /// `value_words > 0` and `N > 0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<4>::words(2)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// assert!(Slots::<4>::new(&ctl, &words, 2).is_some());
    /// assert!(Slots::<4>::new(&ctl, &words, 9).is_none()); // another stride
    /// assert!(Slots::<4>::new(&ctl, &words[1..], 2).is_none());
    /// assert!(Slots::<4>::new(&ctl, &words, 0).is_none()); // no value
    /// ```
    #[inline]
    pub fn new(ctl: &'a TableCtl, words: &'a [AtomicU64], value_words: usize) -> Option<Self> {
        Self::with_words(ctl, words, value_words)
    }
}

impl<'a, const N: usize, W: PayloadWords> Slots<'a, N, W> {
    /// [`Slots::new`] for a table whose type fixes its value words
    /// ([`PayloadWords`]): `None` also when `W::WORDS` is neither 0 nor
    /// `value_words`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::ring::AnyWords;
    /// use sysv_ipc::layout::table::{Slots, TableCtl};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<4>::words(2)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// assert!(Slots::<4, AnyWords>::with_words(&ctl, &words, 2).is_some());
    /// ```
    pub fn with_words(
        ctl: &'a TableCtl,
        words: &'a [AtomicU64],
        value_words: usize,
    ) -> Option<Self> {
        if N == 0
            || value_words == 0
            || Slots::<'a, N>::words(value_words) != words.len()
            || words.len() == usize::MAX
            || (W::WORDS != 0 && W::WORDS != value_words)
        {
            return None;
        }
        let (groups, rest) = words.split_at_checked(Slots::<'a, N>::group_region())?;
        let groups = groups.get(..Slots::<'a, N>::groups())?;
        let (versions, slots) = rest.split_at_checked(Slots::<'a, N>::version_region())?;
        let versions = versions.get(..N)?;
        Some(Slots {
            ctl,
            groups,
            versions,
            slots,
            value_words,
            stride: Slots::<'a, N>::stride_words(value_words),
            words: PhantomData,
        })
    }

    /// The control block.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<1>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<1>::new(&ctl, &words, 1).unwrap();
    /// assert!(core::ptr::eq(slots.ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a TableCtl {
        self.ctl
    }

    /// Value words per slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<1>::words(3)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// assert_eq!(Slots::<1>::new(&ctl, &words, 3).unwrap().value_words(), 3);
    /// ```
    pub fn value_words(&self) -> usize {
        self.value_words
    }

    /// Slot `slot`'s `seq` word and value words; `None` past the last slot.
    #[inline]
    // Unchecked and by pointer, as the ring's: the checked slice was a fifth of
    // a one-slot write (callgrind); with the value words in the type, the stride
    // is a constant too.
    fn slot(&self, slot: usize) -> Option<(&'a AtomicU64, &'a [AtomicU64])> {
        if slot >= N {
            return None;
        }
        let (value_words, stride) = if W::WORDS != 0 {
            (W::WORDS, Slots::<'a, N>::stride_words(W::WORDS))
        } else {
            (self.value_words, self.stride)
        };
        // SAFETY: `new` checked that `slots` holds `N` slots of `stride` words,
        // `stride` being `stride_words(value_words)` > `value_words` >= 1 (a
        // constant `W::WORDS` equals `value_words`: `with_words`), and the
        // fields never change; `slot < N`.
        Some(unsafe { crate::layout::strided_slot_at(self.slots, slot, stride, value_words) })
    }

    /// Copies slot `slot`'s value into `dst`, trying at most `attempts` times
    /// (spinning between attempts, longer for larger values, as
    /// [`seqlock::read`](crate::layout::seqlock::read) does). On success returns the
    /// slot's version (0: never written; modulo 2^63, since `seq` holds twice it,
    /// which only a peer's garbage can reach); `dst` then holds bytes one write
    /// stored whole.
    ///
    /// # Errors
    ///
    /// [`TableError::NoSlot`] for `slot >= N`, [`TableError::TooLarge`] if `dst`
    /// is longer than the value's words, [`TableError::Busy`] if every attempt met
    /// a write.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableError, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(2)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<2>::new(&ctl, &words, 2).unwrap();
    /// let mut out = [0u8; 12];
    /// assert_eq!(slots.read(0, &mut out, 1), Ok(0)); // never written: zeros
    /// let v = TableWriter::new(slots).write(0, b"twelve bytes").unwrap();
    /// assert_eq!(slots.read(0, &mut out, 1), Ok(v));
    /// assert_eq!(&out, b"twelve bytes");
    /// assert_eq!(slots.read(1, &mut out, 1), Ok(0)); // the other slot is untouched
    /// ```
    #[inline]
    pub fn read(&self, slot: usize, dst: &mut [u8], attempts: u32) -> Result<u64, TableError> {
        if words_for(dst.len()) > self.value_words {
            return Err(TableError::TooLarge);
        }
        self.read_consistent(slot, attempts, |words| {
            load_words(words, dst);
        })
        .map(|((), version)| version)
    }

    /// Runs `load` over slot `slot`'s value words between two loads of its `seq`,
    /// at most `attempts` times, until a run saw no write of the slot begin or
    /// end; returns what that run returned and the slot's version.
    ///
    /// `load` may read the words any way it likes, as long as it only loads
    /// (Relaxed is enough: the fences around it order them) and acts on nothing it
    /// read: a run that raced a write is thrown away, so `load` sees torn values
    /// and may run several times. What the returned run loaded is one write's
    /// bytes.
    ///
    /// # Errors
    ///
    /// [`TableError::NoSlot`] for `slot >= N`, [`TableError::Busy`] if every
    /// attempt met a write.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(4)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<2>::new(&ctl, &words, 4).unwrap();
    /// let mut w = TableWriter::new(slots);
    /// let ((), v) = w
    ///     .write_in_place(1, |words| {
    ///         words[0].store(7, Relaxed);
    ///         words[3].store(9, Relaxed);
    ///     })
    ///     .unwrap();
    /// // Two words of four, read in place: the same write's.
    /// let got = slots.read_consistent(1, 1, |words| (words[0].load(Relaxed), words[3].load(Relaxed)));
    /// assert_eq!(got, Ok(((7, 9), v)));
    /// ```
    #[inline]
    pub fn read_consistent<R>(
        &self,
        slot: usize,
        attempts: u32,
        mut load: impl FnMut(&'a [AtomicU64]) -> R,
    ) -> Result<(R, u64), TableError> {
        let (seq, value) = self.slot(slot).ok_or(TableError::NoSlot)?;
        let spins = 1 + self.value_words / SPIN_WORDS;
        for _ in 0..attempts {
            // Relaxed, then the Acquire fence: pairs with the Release store of
            // `seq = 2v` that ended write v, so the words it wrote are visible to the
            // loads below. A fence rather than an Acquire load, which a read-only
            // mapping may not take (module docs).
            let s1 = seq.load(Ordering::Relaxed);
            if s1.is_multiple_of(2) {
                fence(Ordering::Acquire);
                let got = load(value);
                // Acquire fence: pairs with the writer's Release fence after
                // `seq = 2v - 1`: if any load above saw a word of a later write, the
                // load of `seq` below sees that write's odd number (or later).
                fence(Ordering::Acquire);
                // Relaxed: ordered by the fence above.
                let s2 = seq.load(Ordering::Relaxed);
                if s1 == s2 {
                    return Ok((got, s1 / 2));
                }
            }
            for _ in 0..spins {
                spin_loop();
            }
        }
        Err(TableError::Busy)
    }

    /// A watcher's arm for "a write after version `since`" (module docs,
    /// "Protocol"): [`Watch::Changed`] with the table's version, or
    /// [`Watch::Armed`]: sleep in a futex wait on `watchers`' low half expecting
    /// the value it names, then arm again. Stores into the control block: not over a
    /// read-only mapping.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    /// use sysv_ipc::layout::watch::Watch;
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<2>::new(&ctl, &words, 1).unwrap();
    /// let mut w = TableWriter::new(slots); // version 1
    /// assert_eq!(slots.arm_watch(1), Watch::Armed { expected: 1 });
    /// let v = w.write(0, &[5]).unwrap();
    /// assert!(w.wake_check()); // a watcher announced: wake it
    /// assert_eq!(slots.arm_watch(1), Watch::Changed(v));
    /// ```
    pub fn arm_watch(&self, since: u64) -> Watch {
        watch::arm(
            &self.ctl.watchers,
            // Relaxed: ordered by the handshake's fence; only compared.
            || self.ctl.version.load(Ordering::Relaxed),
            |v| v != since,
        )
    }

    /// Reports (calls `changed` with) every slot written since version `since`,
    /// and returns the table version the report covers, to pass as `since` next
    /// time: every write with a version above `since` and at most the returned one
    /// is reported (a later one may be too). Start from 0 to get every slot ever
    /// written. A `since` above the table's version (not one this table gave)
    /// reports every slot. Each slot is reported at most once, in increasing
    /// order. Costs one load when nothing changed, ⌈`N` / 64⌉ more and 64 per
    /// group with a change otherwise (module docs).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<200>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<200>::new(&ctl, &words, 1).unwrap();
    /// let mut w = TableWriter::new(slots);
    /// let seen = slots.changed_since(0, |_| unreachable!()); // nothing written yet
    /// w.write(3, &[1]).unwrap();
    /// w.write(150, &[2]).unwrap();
    /// let mut changed = [0usize; 4];
    /// let mut n = 0;
    /// let seen = slots.changed_since(seen, |i| {
    ///     changed[n] = i;
    ///     n += 1;
    /// });
    /// assert_eq!(changed[..n], [3, 150]);
    /// w.write(150, &[3]).unwrap();
    /// n = 0;
    /// slots.changed_since(seen, |i| {
    ///     changed[n] = i;
    ///     n += 1;
    /// });
    /// assert_eq!(changed[..n], [150]); // slot 3 did not change again
    /// ```
    pub fn changed_since(&self, since: u64, mut changed: impl FnMut(usize)) -> u64 {
        // Relaxed, then the Acquire fence: pairs with the Release store of
        // `version` that ended write `now` (or a later one), so every write up to
        // `now` has its `group` and `slot_version` stores visible below (module
        // docs, "Protocol"). A fence: readers may hold a read-only mapping.
        let now = self.ctl.version.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if now == since {
            return now;
        }
        let all = since > now;
        for (g, group) in self.groups.iter().enumerate() {
            // Relaxed: ordered by the fence above; only compared.
            if !all && group.load(Ordering::Relaxed) <= since {
                continue;
            }
            let first = g.saturating_mul(GROUP);
            let end = first.saturating_add(GROUP).min(self.versions.len());
            let versions = self.versions.get(first..end).unwrap_or(&[]);
            for (j, version) in versions.iter().enumerate() {
                // Relaxed: as the group's load.
                if all || version.load(Ordering::Relaxed) > since {
                    changed(first + j);
                }
            }
        }
        now
    }
}

/// The writer's side of a table: the table and the last version it used (never
/// re-read from the segment).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
///
/// let ctl = TableCtl::new();
/// let words: [AtomicU64; Slots::<2>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
/// let slots = Slots::<2>::new(&ctl, &words, 1).unwrap();
/// let mut w = TableWriter::new(slots);
/// let a = w.write(0, &[1]).unwrap();
/// let b = w.write(1, &[2]).unwrap();
/// let c = w.write(0, &[3]).unwrap();
/// assert!(a < b && b < c); // one counter for the whole table
/// ```
#[derive(Debug)]
pub struct TableWriter<'a, const N: usize, W: PayloadWords = AnyWords> {
    slots: Slots<'a, N, W>,
    /// The last version this writer used (or skipped).
    version: u64,
}

impl<'a, const N: usize, W: PayloadWords> TableWriter<'a, N, W> {
    /// Takes the writer's side: repairs what a writer that died mid-write may have
    /// left (module docs, "Crashes": one pass over the `N` slots) and stores the
    /// table version + 1, so that its first write gets the table's version + 2.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<1>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<1>::new(&ctl, &words, 1).unwrap();
    /// ctl.version.store(41, Ordering::Relaxed); // left by an earlier writer
    /// let mut w = TableWriter::new(slots);
    /// assert_eq!(ctl.version.load(Ordering::Relaxed), 42);
    /// assert_eq!(w.write(0, &[1]), Ok(43));
    /// ```
    pub fn new(slots: Slots<'a, N, W>) -> Self {
        // Acquire: pairs with the previous writer's last Release store of
        // `version`. (A writer that died is ordered before us by the role's
        // handover, which goes through the kernel.)
        let version = slots.ctl.version.load(Ordering::Acquire).wrapping_add(1);
        for (i, slot_version) in slots.versions.iter().enumerate() {
            let (Some((seq, _)), Some(group)) = (slots.slot(i), slots.groups.get(i / GROUP)) else {
                break; // never: i < N
            };
            // Relaxed: this writer's own earlier stores or a dead one's, ordered by
            // the handover; only compared. A group below one of its slots' versions
            // is a writer killed between its two index stores (module docs,
            // "Crashes"), which the `seq` comparison alone does not see.
            let known = slot_version.load(Ordering::Relaxed);
            if seq.load(Ordering::Relaxed) != known.wrapping_mul(2)
                || group.load(Ordering::Relaxed) < known
            {
                // Relaxed: published by the Release store of `version` below.
                slot_version.store(version, Ordering::Relaxed);
                group.store(version, Ordering::Relaxed);
            }
        }
        // Release: publishes the repairs; pairs with the Acquire fence in
        // `changed_since`. From here every version a write can have used is at most
        // the stored one, and ours are above it.
        slots.ctl.version.store(version, Ordering::Release);
        TableWriter { slots, version }
    }

    /// The wake check after a write's (or [`new`](Self::new)'s) Release store
    /// of `version` (module docs, "Protocol"): true if watchers announced
    /// themselves; `watchers` is then at its next epoch and the caller futex-wakes every
    /// waiter on its low half. The typed writer runs it after every write; a
    /// writer that leaves it out lets watchers sleep through its writes.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<1>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let mut w = TableWriter::new(Slots::<1>::new(&ctl, &words, 1).unwrap());
    /// w.write(0, &[1]).unwrap();
    /// assert!(!w.wake_check()); // nobody watches: one fence and one load
    /// ```
    #[inline]
    pub fn wake_check(&self) -> bool {
        watch::take_watchers(&self.slots.ctl.watchers)
    }

    /// The table.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<1>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let w = TableWriter::new(Slots::<1>::new(&ctl, &words, 1).unwrap());
    /// assert_eq!(w.slots().value_words(), 1);
    /// ```
    pub fn slots(&self) -> Slots<'a, N, W> {
        self.slots
    }

    /// Writes `src` as slot `slot`'s value (the last word padded with zeros, the
    /// words past it left as they are); returns the write's version.
    ///
    /// # Errors
    ///
    /// [`TableError::NoSlot`] for `slot >= N`, [`TableError::TooLarge`] if `src`
    /// does not fit in the value's words; nothing is written then.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableError, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(2)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let mut w = TableWriter::new(Slots::<2>::new(&ctl, &words, 2).unwrap());
    /// assert_eq!(w.write(1, &[7; 16]), Ok(2));
    /// assert_eq!(w.write(1, &[7; 17]), Err(TableError::TooLarge));
    /// assert_eq!(w.write(2, &[7; 16]), Err(TableError::NoSlot));
    /// ```
    #[inline]
    pub fn write(&mut self, slot: usize, src: &[u8]) -> Result<u64, TableError> {
        if words_for(src.len()) > self.slots.value_words {
            return Err(TableError::TooLarge);
        }
        self.write_in_place(slot, |words| {
            let stored = store_words(words, src);
            debug_assert!(stored, "size checked above");
        })
        .map(|((), version)| version)
    }

    /// Writes slot `slot`'s value in place: `store` stores into its value words
    /// (any it likes, only by atomic stores; the words it leaves keep their
    /// values), and readers see the value before or after the whole call, never a
    /// mix. Returns what `store` returned and the write's version. If `store`
    /// unwinds, the write is left open (the slot's `seq` odd), as a writer killed
    /// mid-write leaves it: readers of that slot get [`TableError::Busy`] until
    /// its next complete write, never the half-written value.
    ///
    /// # Errors
    ///
    /// [`TableError::NoSlot`] for `slot >= N` (`store` is not called).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(2)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<2>::new(&ctl, &words, 2).unwrap();
    /// let mut w = TableWriter::new(slots);
    /// assert_eq!(w.write_in_place(0, |words| words[1].store(5, Relaxed)), Ok(((), 2)));
    /// let mut out = [0u8; 16];
    /// assert_eq!(slots.read(0, &mut out, 1), Ok(2));
    /// assert_eq!(out[8], 5);
    /// ```
    #[inline]
    pub fn write_in_place<R>(
        &mut self,
        slot: usize,
        store: impl FnOnce(&'a [AtomicU64]) -> R,
    ) -> Result<(R, u64), TableError> {
        let (seq, value) = self.slots.slot(slot).ok_or(TableError::NoSlot)?;
        let (Some(slot_version), Some(group)) = (
            self.slots.versions.get(slot),
            self.slots.groups.get(slot / GROUP),
        ) else {
            return Err(TableError::NoSlot); // never: `slot` checked above
        };
        let (r, v) = self.seq_write(seq, value, store);
        // Relaxed: published by the Release store of `version` below.
        slot_version.store(v, Ordering::Relaxed);
        group.store(v, Ordering::Relaxed);
        // Release: publishes the two stores above (and this write's, and every
        // earlier write's); pairs with the Acquire fence in `changed_since`.
        self.slots.ctl.version.store(v, Ordering::Release);
        Ok((r, v))
    }

    /// The seqlock write of one slot (module docs, "Protocol", step 1) with the
    /// next version, which it returns with what `store` returned.
    #[inline]
    fn seq_write<R>(
        &mut self,
        seq: &AtomicU64,
        value: &'a [AtomicU64],
        store: impl FnOnce(&'a [AtomicU64]) -> R,
    ) -> (R, u64) {
        let v = self.version.wrapping_add(1);
        // Taken before `store` runs: an unwinding `store` leaves it used, so the
        // slot's odd `seq` is never reused (module docs, "Crashes").
        self.version = v;
        begin(seq, v);
        let r = store(value);
        // Release: publishes the words; pairs with the Acquire fence after the load
        // of `s1` in `read_consistent`.
        seq.store(v.wrapping_mul(2), Ordering::Release);
        (r, v)
    }

    /// Writes `src` into slot `slot` as [`write`](Self::write) does, up to and
    /// including the slot's second `seq` store, and stops there, as a writer killed
    /// before the change index's stores would (for tests of [`TableWriter::new`]'s
    /// repair); returns the version it used.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<2>::new(&ctl, &words, 1).unwrap();
    /// let v = TableWriter::new(slots).write_and_abandon(1, &[5]).unwrap();
    /// let mut out = [0u8; 8];
    /// assert_eq!(slots.read(1, &mut out, 1), Ok(v)); // the value is there...
    /// assert_eq!(slots.changed_since(0, |_| unreachable!()), 1); // ...unannounced
    /// let next = TableWriter::new(slots); // until the next writer repairs it
    /// let mut changed = None;
    /// assert_eq!(slots.changed_since(1, |i| changed = Some(i)), 2);
    /// assert_eq!(changed, Some(1));
    /// # drop(next);
    /// ```
    #[doc(hidden)]
    pub fn write_and_abandon(&mut self, slot: usize, src: &[u8]) -> Result<u64, TableError> {
        if words_for(src.len()) > self.slots.value_words {
            return Err(TableError::TooLarge);
        }
        let (seq, value) = self.slots.slot(slot).ok_or(TableError::NoSlot)?;
        let ((), v) = self.seq_write(seq, value, |words| {
            store_words(words, src);
        });
        Ok(v)
    }

    /// Starts a write of slot `slot` and never finishes it, as a writer killed
    /// mid-write would (for tests of the readers' bound); false for `slot >= N`.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::table::{Slots, TableCtl, TableError, TableWriter};
    ///
    /// let ctl = TableCtl::new();
    /// let words: [AtomicU64; Slots::<2>::words(1)] = core::array::from_fn(|_| AtomicU64::new(0));
    /// let slots = Slots::<2>::new(&ctl, &words, 1).unwrap();
    /// assert!(TableWriter::new(slots).begin_and_abandon(0));
    /// assert_eq!(slots.read(0, &mut [0u8; 8], 10), Err(TableError::Busy));
    /// assert_eq!(slots.read(1, &mut [0u8; 8], 1), Ok(0)); // that slot only
    /// ```
    #[doc(hidden)]
    pub fn begin_and_abandon(&mut self, slot: usize) -> bool {
        let Some((seq, _)) = self.slots.slot(slot) else {
            return false;
        };
        self.version = self.version.wrapping_add(1);
        begin(seq, self.version);
        true
    }
}

/// Opens write `v` of the slot whose sequence word is `seq`: `seq = 2v - 1`.
#[inline]
fn begin(seq: &AtomicU64, v: u64) {
    // Relaxed store, then the Release fence: every word store after this call is
    // ordered after `seq = 2v - 1`; pairs with the second Acquire fence in
    // `read_consistent`, so a reader whose copy saw any of those words sees the odd
    // number (or later) in its second load of `seq`.
    seq.store(v.wrapping_mul(2).wrapping_sub(1), Ordering::Relaxed);
    fence(Ordering::Release);
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;
    use crate::layout::header::Shape;
    use crate::sync::Ordering::Relaxed;
    use std::thread;
    use std::vec;
    use std::vec::Vec;

    const ROUNDS: u64 = if cfg!(miri) { 50 } else { 20_000 };

    fn mem<const N: usize>(value_words: usize) -> (TableCtl, Vec<AtomicU64>) {
        let words = (0..Slots::<N>::words(value_words))
            .map(|_| AtomicU64::new(0))
            .collect();
        (TableCtl::new(), words)
    }

    fn changed<const N: usize>(slots: &Slots<'_, N>, since: u64) -> (Vec<usize>, u64) {
        let mut v = Vec::new();
        let now = slots.changed_since(since, |i| v.push(i));
        (v, now)
    }

    #[test]
    fn offsets_match_the_documented_layout() {
        // N = 100: 2 groups (one 128-byte line), 100 versions (7 lines), slots of
        // 3 value words in 64-byte strides.
        assert_eq!(Slots::<100>::groups(), 2);
        assert_eq!(Slots::<100>::versions_offset(), 256 + 128);
        assert_eq!(Slots::<100>::slots_offset(), 256 + 128 + 7 * 128);
        assert_eq!(Slots::<100>::stride_words(3), 8);
        assert_eq!(
            Slots::<100>::total_size(3),
            Slots::<100>::slots_offset() + 100 * 64
        );
        assert_eq!(
            Slots::<100>::total_size(3),
            INDEX_OFFSET + Slots::<100>::words(3) * 8
        );
        assert!(Slots::<100>::slots_offset().is_multiple_of(128));
        // Huge parameters saturate rather than overflow; no slice matches them.
        assert_eq!(Slots::<4>::stride_words(usize::MAX), usize::MAX);
        assert_eq!(Slots::<4>::words(usize::MAX), usize::MAX);
        assert_eq!(Slots::<{ usize::MAX }>::words(1), usize::MAX);
    }

    #[test]
    fn slots_do_not_overlap_and_writes_touch_only_their_slot() {
        let (ctl, words) = mem::<70>(2);
        let slots = Slots::<70>::new(&ctl, &words, 2).unwrap();
        let mut w = TableWriter::new(slots);
        for i in 0..70 {
            let x = i as u64 + 1;
            w.write(i, &[x.to_ne_bytes(), (!x).to_ne_bytes()].concat())
                .unwrap();
        }
        for i in 0..70 {
            let mut out = [0u8; 16];
            let v = slots.read(i, &mut out, 1).unwrap();
            assert_eq!(v, i as u64 + 2, "versions count from the skipped one");
            let x = i as u64 + 1;
            assert_eq!(out, *[x.to_ne_bytes(), (!x).to_ne_bytes()].concat());
        }
        // The padding words of every slot were never written.
        let base = (Slots::<70>::slots_offset() - INDEX_OFFSET) / 8;
        for i in 0..70 {
            for pad in 3..8 {
                assert_eq!(words[base + i * 8 + pad].load(Relaxed), 0, "{i}/{pad}");
            }
        }
        assert_eq!(ctl.version.load(Relaxed), 71);
    }

    #[test]
    fn changed_since_reports_exactly_the_slots_written_after_the_version() {
        let (ctl, words) = mem::<200>(1);
        let slots = Slots::<200>::new(&ctl, &words, 1).unwrap();
        let mut w = TableWriter::new(slots);
        assert_eq!(
            changed(&slots, 0),
            (vec_of(&[]), 1),
            "the new writer's bump"
        );
        for i in [5, 64, 65, 199] {
            w.write(i, &[1]).unwrap();
        }
        let (got, v1) = changed(&slots, 0);
        assert_eq!(got, vec_of(&[5, 64, 65, 199]));
        assert_eq!(changed(&slots, v1), (vec_of(&[]), v1));
        w.write(65, &[2]).unwrap();
        w.write(5, &[2]).unwrap();
        let (got, v2) = changed(&slots, v1);
        assert_eq!(got, vec_of(&[5, 65]), "once each, in order");
        // An older version reports everything since then.
        assert_eq!(changed(&slots, v1 - 1).0, vec_of(&[5, 65, 199]));
        // A version from the future (not this table's) reports every slot.
        let (all, now) = changed(&slots, v2 + 10);
        assert_eq!((all.len(), now), (200, v2));
    }

    fn vec_of(xs: &[usize]) -> Vec<usize> {
        xs.to_vec()
    }

    #[test]
    fn a_dead_writer_leaves_only_its_slot_busy_and_the_next_one_skips_its_version() {
        let (ctl, words) = mem::<3>(1);
        let slots = Slots::<3>::new(&ctl, &words, 1).unwrap();
        let mut w = TableWriter::new(slots);
        w.write(0, &[1]).unwrap();
        w.write(1, &[1]).unwrap();
        assert!(w.begin_and_abandon(1));
        let mut out = [0u8; 8];
        assert_eq!(slots.read(1, &mut out, 100), Err(TableError::Busy));
        assert_eq!(slots.read(0, &mut out, 1).map(|_| out[0]), Ok(1));
        assert_eq!(slots.read(2, &mut out, 1), Ok(0));
        // The next writer skips the version the dead one was writing.
        let before = ctl.version.load(Relaxed);
        let mut w2 = TableWriter::new(slots);
        assert_eq!(slots.read(1, &mut out, 10), Err(TableError::Busy));
        let v = w2.write(1, &[9]).unwrap();
        assert_eq!(v, before + 2, "the dead writer's version is skipped");
        assert_eq!(slots.read(1, &mut out, 1), Ok(v));
        assert_eq!(out[0], 9);
        assert_eq!(changed(&slots, before).0, vec_of(&[1]));

        // Killed after a complete slot write, before the change index: the value
        // is readable but unannounced until the next writer repairs the index,
        // whose own writes never reuse the dead writer's version.
        let (_, seen) = changed(&slots, 0);
        let dead = w2.write_and_abandon(0, &[4]).unwrap();
        assert_eq!(
            slots.read(0, &mut out, 1).map(|v| (v, out[0])),
            Ok((dead, 4))
        );
        assert_eq!(changed(&slots, seen), (vec_of(&[]), seen));
        let mut w3 = TableWriter::new(slots);
        let (got, now) = changed(&slots, seen);
        assert_eq!(
            (got, now),
            (vec_of(&[0]), dead),
            "repaired at the dead version"
        );
        assert_eq!(w3.write(0, &[5]), Ok(dead + 1));
        assert_eq!(
            slots.read(0, &mut out, 1).map(|v| (v, out[0])),
            Ok((dead + 1, 5))
        );
    }

    /// A writer killed at each point of a write's bookkeeping (after the slot's
    /// closing `seq` store, after `slot_version`, after `group`, each alone, as
    /// the compiler and the CPU may order the two Relaxed stores either way):
    /// the next writer's repair makes the query from any earlier version report
    /// the slot, and the value is readable at the dead writer's version.
    #[test]
    fn a_writer_killed_anywhere_in_its_bookkeeping_is_reported_after_the_repair() {
        // (slot_version stored, group stored) when the writer died.
        for (stored_version, stored_group) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            for slot in [0, 63, 64, 69] {
                let (ctl, words) = mem::<70>(1);
                let slots = Slots::<70>::new(&ctl, &words, 1).unwrap();
                let mut w = TableWriter::new(slots);
                w.write(slot, &[1]).unwrap();
                w.write(slot ^ 1, &[1]).unwrap();
                let (_, seen) = changed(&slots, 0);
                let dead = w.write_and_abandon(slot, &[2]).unwrap();
                if stored_version {
                    slots.versions[slot].store(dead, Relaxed);
                }
                if stored_group {
                    slots.groups[slot / GROUP].store(dead, Relaxed);
                }
                let _next = TableWriter::new(slots);
                let (got, now) = changed(&slots, seen);
                let case = (stored_version, stored_group, slot);
                assert_eq!(now, dead, "{case:?}");
                assert_eq!(
                    got,
                    vec_of(&[slot]),
                    "{case:?}: the dead writer's write reported"
                );
                let mut out = [0u8; 8];
                assert_eq!(slots.read(slot, &mut out, 1), Ok(dead), "{case:?}");
                assert_eq!(out[0], 2);
            }
        }
    }

    #[test]
    fn garbage_in_the_segment_never_panics_or_reads_out_of_bounds() {
        let (ctl, words) = mem::<65>(1);
        let slots = Slots::<65>::new(&ctl, &words, 1).unwrap();
        for (k, word) in words.iter().enumerate() {
            word.store((k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15), Relaxed);
        }
        for garbage in [0, 1, u64::MAX, u64::MAX - 1, 1 << 63] {
            ctl.version.store(garbage, Relaxed);
            for since in [0, 1, garbage, u64::MAX] {
                let (got, now) = changed(&slots, since);
                assert_eq!(now, garbage);
                assert!(got.iter().all(|&i| i < 65));
                assert!(got.windows(2).all(|p| p[0] < p[1]));
            }
            let mut w = TableWriter::new(slots);
            for i in 0..65 {
                let v = w.write(i, &[7]).unwrap();
                let mut out = [0u8; 8];
                // `seq` holds 2·v: versions read back modulo 2^63.
                assert_eq!(slots.read(i, &mut out, 1), Ok(v & (u64::MAX >> 1)));
                assert_eq!(out[0], 7);
            }
        }
        let mut out = [0u8; 8];
        for bad in [65, usize::MAX] {
            assert_eq!(slots.read(bad, &mut out, 1), Err(TableError::NoSlot));
            let mut w = TableWriter::new(slots);
            assert_eq!(w.write(bad, &[1]), Err(TableError::NoSlot));
            assert!(!w.begin_and_abandon(bad));
        }
    }

    /// One operation of [`hostile_peer_bytes_between_operations_never_panic`].
    #[derive(Clone, Debug)]
    enum Op {
        /// The peer stores `value` into word `index` (modulo the words: control
        /// block, index and slots).
        Clobber(usize, u64),
        /// The peer overwrites every word (values from `seed`).
        ClobberAll(u64),
        Read(usize, usize, u32),
        ReadConsistent(usize, u32),
        Changed(u64),
        NewWriter,
        Write(usize, usize),
        WriteInPlace(usize),
        BeginAndAbandon(usize),
        WriteAndAbandon(usize, usize),
        Attach,
    }

    /// Slot numbers: mostly real ones, sometimes past the end.
    fn slot_number() -> impl proptest::strategy::Strategy<Value = usize> {
        use proptest::prelude::*;
        prop_oneof![
            4 => 0..HOSTILE_N,
            1 => Just(HOSTILE_N),
            1 => any::<usize>(),
        ]
    }

    /// Words the peer writes: small numbers, numbers near the top, any.
    fn word() -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::prelude::*;
        prop_oneof![0..8u64, (0..8u64).prop_map(|x| u64::MAX - x), any::<u64>()]
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            3 => (any::<usize>(), word()).prop_map(|(i, v)| Op::Clobber(i, v)),
            1 => any::<u64>().prop_map(Op::ClobberAll),
            2 => (slot_number(), 0..40usize, 0..3u32).prop_map(|(s, l, a)| Op::Read(s, l, a)),
            1 => (slot_number(), 0..3u32).prop_map(|(s, a)| Op::ReadConsistent(s, a)),
            2 => word().prop_map(Op::Changed),
            1 => Just(Op::NewWriter),
            2 => (slot_number(), 0..40usize).prop_map(|(s, l)| Op::Write(s, l)),
            1 => slot_number().prop_map(Op::WriteInPlace),
            1 => slot_number().prop_map(Op::BeginAndAbandon),
            1 => (slot_number(), 0..40usize).prop_map(|(s, l)| Op::WriteAndAbandon(s, l)),
            1 => Just(Op::Attach),
        ]
    }

    /// Two change groups, the second one partial.
    const HOSTILE_N: usize = 70;

    fn ctl_words(ctl: &TableCtl) -> Vec<&AtomicU64> {
        let h = &ctl.header;
        let mut v = vec_of_refs(&[
            &h.state,
            &h.magic,
            &h.layout_version,
            &h.kind,
            &h.total_size,
            &h.data_offset,
            &h.type_size,
            &h.type_align,
            &h.type_id,
            &h.capacity,
            &h.creator_pid,
            &h.generation,
            &ctl.version,
            &ctl.writer_pid,
        ]);
        v.extend(h.reserved.iter().chain(ctl.pad.iter()));
        v
    }

    fn vec_of_refs<'a>(xs: &[&'a AtomicU64]) -> Vec<&'a AtomicU64> {
        xs.to_vec()
    }

    /// Runs `ops` over a table whose every shared word a peer may overwrite
    /// between two operations, as a hostile or crashed peer could: each operation
    /// returns a value or the error its arguments call for (never a panic, never
    /// an index past the table: slices are reached only through checked indices),
    /// every slot a query reports is below `N` and reported once, in order, and
    /// what this process writes is read back and reported right after, whatever
    /// the peer left before.
    fn hostile(value_words: usize, ops: &[Op]) {
        const N: usize = HOSTILE_N;
        let (ctl, words) = mem::<N>(value_words);
        let slots = Slots::<N>::new(&ctl, &words, value_words).unwrap();
        let shared: Vec<&AtomicU64> = ctl_words(&ctl).into_iter().chain(words.iter()).collect();
        let bytes = value_words * WORD_BYTES;
        let mut writer: Option<TableWriter<'_, N>> = None;
        for op in ops {
            match *op {
                Op::Clobber(i, v) => shared[i % shared.len()].store(v, Relaxed),
                Op::ClobberAll(seed) => {
                    let mut x = seed;
                    for w in &shared {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        w.store(x ^ (x >> 29), Relaxed);
                    }
                }
                Op::Read(slot, len, attempts) => {
                    let mut out = [0u8; 40];
                    let r = slots.read(slot, &mut out[..len], attempts);
                    if len > bytes {
                        assert_eq!(r, Err(TableError::TooLarge), "{op:?}");
                    } else if slot >= N {
                        assert_eq!(r, Err(TableError::NoSlot), "{op:?}");
                    } else if attempts == 0 {
                        assert_eq!(r, Err(TableError::Busy), "{op:?}");
                    } else {
                        assert!(matches!(r, Ok(_) | Err(TableError::Busy)), "{op:?}: {r:?}");
                    }
                }
                Op::ReadConsistent(slot, attempts) => {
                    let r = slots.read_consistent(slot, attempts, |w| {
                        assert_eq!(w.len(), value_words, "a whole value");
                        w.iter().map(|w| w.load(Relaxed)).fold(0, u64::wrapping_add)
                    });
                    if slot >= N {
                        assert_eq!(r, Err(TableError::NoSlot), "{op:?}");
                    } else if attempts == 0 {
                        assert_eq!(r, Err(TableError::Busy), "{op:?}");
                    }
                }
                Op::Changed(since) => {
                    let before = ctl.version.load(Relaxed);
                    let (got, now) = changed(&slots, since);
                    assert_eq!(now, before, "{op:?}");
                    assert!(got.iter().all(|&i| i < N), "{op:?}: {got:?}");
                    assert!(got.windows(2).all(|p| p[0] < p[1]), "{op:?}: {got:?}");
                    if since == now {
                        assert!(got.is_empty(), "{op:?}");
                    } else if since > now {
                        assert_eq!(got.len(), N, "{op:?}: every slot");
                    }
                }
                Op::NewWriter => writer = Some(TableWriter::new(slots)),
                Op::Write(slot, len) => {
                    let Some(w) = writer.as_mut() else { continue };
                    let src: Vec<u8> = (0..len).map(|b| b as u8 ^ 0x5a).collect();
                    let r = w.write(slot, &src);
                    if len > bytes {
                        assert_eq!(r, Err(TableError::TooLarge), "{op:?}");
                    } else if slot >= N {
                        assert_eq!(r, Err(TableError::NoSlot), "{op:?}");
                    } else {
                        // Nothing overwrote it since: it reads back, and a query
                        // from just before it reports it.
                        let v = r.unwrap();
                        let mut out = [0u8; 40];
                        assert_eq!(
                            slots.read(slot, &mut out[..len], 1),
                            Ok(v & (u64::MAX >> 1))
                        );
                        assert_eq!(out[..len], src[..], "{op:?}");
                        let (got, now) = changed(&slots, v.wrapping_sub(1));
                        assert_eq!(now, v, "{op:?}");
                        assert!(got.contains(&slot), "{op:?}: {got:?}");
                    }
                }
                Op::WriteInPlace(slot) => {
                    let Some(w) = writer.as_mut() else { continue };
                    let r = w.write_in_place(slot, |words| {
                        assert_eq!(words.len(), value_words, "a whole value");
                        for (k, word) in words.iter().enumerate() {
                            word.store(k as u64, Relaxed);
                        }
                    });
                    assert_eq!(r.is_err(), slot >= N, "{op:?}");
                }
                Op::BeginAndAbandon(slot) => {
                    let Some(w) = writer.as_mut() else { continue };
                    assert_eq!(w.begin_and_abandon(slot), slot < N, "{op:?}");
                }
                Op::WriteAndAbandon(slot, len) => {
                    let Some(w) = writer.as_mut() else { continue };
                    let r = w.write_and_abandon(slot, &[7u8; 40][..len]);
                    assert_eq!(r.is_ok(), slot < N && len <= bytes, "{op:?}");
                }
                Op::Attach => {
                    let shape = Shape::of::<u64>(
                        crate::layout::Kind::Table,
                        N,
                        Slots::<N>::slots_offset(),
                        Slots::<N>::total_size(value_words),
                    );
                    let _ = ctl.header.check(&shape);
                    let _ = ctl.header.attach(&shape, |attempt| attempt < 2);
                }
            }
        }
    }

    const WORD_BYTES: usize = crate::layout::WORD;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 512 },
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn hostile_peer_bytes_between_operations_never_panic(
            value_words in 1..=3usize,
            ops in proptest::collection::vec(op(), 0..64),
        ) {
            hostile(value_words, &ops);
        }
    }

    /// A writer cycling over 3 slots of 4 words each holding its round number;
    /// a reader never reads a torn slot, each slot's versions only grow, and the
    /// change query never misses a write: after every query, each slot's version
    /// (read afterwards, so at least as new) is at most the query's version or
    /// above the previous one only if it was reported.
    #[test]
    fn threads_never_read_a_torn_slot_and_changed_since_misses_nothing() {
        let (ctl, words) = mem::<3>(4);
        let slots = Slots::<3>::new(&ctl, &words, 4).unwrap();
        thread::scope(|s| {
            s.spawn(|| {
                let mut w = TableWriter::new(slots);
                for k in 1..=ROUNDS {
                    let mut bytes = [0u8; 32];
                    for chunk in bytes.chunks_mut(8) {
                        chunk.copy_from_slice(&k.to_ne_bytes());
                    }
                    w.write((k % 3) as usize, &bytes).unwrap();
                }
            });
            let mut since = 0;
            let mut last = [0u64; 3];
            let mut done = false;
            while !done {
                let mut reported = [false; 3];
                let now = slots.changed_since(since, |i| reported[i] = true);
                for (i, seen) in last.iter_mut().enumerate() {
                    let mut out = [0u8; 32];
                    let Ok(v) = slots.read(i, &mut out, 4) else {
                        continue;
                    };
                    let k = u64::from_ne_bytes(out[..8].try_into().unwrap());
                    for chunk in out.chunks(8) {
                        assert_eq!(chunk, k.to_ne_bytes(), "torn read of slot {i}");
                    }
                    assert!(v >= *seen, "slot {i}'s version went back");
                    if v > since && v <= now {
                        assert!(reported[i], "write {v} of slot {i} missed");
                    }
                    *seen = v;
                    done |= k == ROUNDS;
                }
                since = now;
                thread::yield_now();
            }
        });
    }
}
