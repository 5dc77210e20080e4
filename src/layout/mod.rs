//! Lock-free layouts over shared memory: the bytes a [`Queue`](crate::queue::Queue)
//! or a [`SeqLock`](crate::seqlock::SeqLock) places in a segment, and the algorithms
//! over them.
//!
//! This module knows nothing of system calls. Its algorithms take references to
//! `#[repr(C)]` structs made only of atomics ([`Header`], [`RingCtl`], [`SeqCtl`],
//! [`MpscCtl`](mpsc::MpscCtl)) and
//! to slices of `AtomicU64` words, so the same code runs over a segment, over
//! ordinary memory in a test, and under [loom](https://docs.rs/loom) (`--cfg loom`,
//! where the atomics are loom's and the "processes" are loom threads).
//!
//! # Byte layouts
//!
//! Every field is an aligned, native-endian 64-bit word, accessed only atomically
//! (C: `_Atomic uint64_t`, or `__atomic_*` builtins on `uint64_t`). One access size
//! for every byte of every layout means no mixed-size atomic accesses, which
//! Rust's memory model forbids, even between our own copy routines. The segment
//! starts with the 128-byte [`Header`]; the tables in [`header`], [`ring`], [`broadcast`],
//! [`mpsc`], [`table`] and [`seqlock`] give every offset, and `offset_of!` assertions pin them.
//!
//! | layout | 0..128 | then | payload |
//! |---|---|---|---|
//! | ring ([`Kind::Ring`]) | [`Header`] | producer line 128..256, consumer line 256..384 | `MAXSZ` slots from 384 |
//! | seqlock ([`Kind::SeqLock`]) | [`Header`] | sequence line 128..256 | value words from 256 |
//! | broadcast ([`Kind::Broadcast`]) | [`Header`] | writer line 128..256, waiting line 256..384, `R` reader lines of 128 from 384 | `N` slots after the reader lines |
//! | mpsc ([`Kind::Mpsc`]) | [`Header`] | producers' line 128..256, consumer line 256..384, `P` producer entries of 128 bytes from 384 | `N` slots from 384 + 128·`P` |
//! | table ([`Kind::Table`]) | [`Header`] | writer line 128..256, change index from 256 | `N` slots (`seq` + value, 64-byte strides) from `data_offset` |
//!
//! A slot or value of type `T` takes `size_of::<T>()` rounded up to 8 bytes: its
//! bytes, as `T`'s `#[repr(C)]` layout has them, then zeros.
//!
//! # Never trusting the segment
//!
//! A peer may write any byte at any time. Each shared value is read once into a
//! local, then checked: ring indices must satisfy `tail - head <= MAXSZ`, slot
//! numbers are masked with the compile-time capacity, header fields are compared
//! for equality and never used as sizes or offsets. A peer can make an operation
//! fail ([`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt)), never read or write out
//! of bounds; any bytes decode to a valid `T` (zerocopy's `FromBytes`).
//!
//! # Safety
//!
//! The algorithms contain no `unsafe`. The one function with `unsafe` blocks,
//! `view_any` (not compiled under loom), turns a mapping into a `&C` control struct
//! and a `&[AtomicU64]` payload; every caller passes an
//! [`Attachment`](crate::shm::Attachment)'s mapping, whose contract (page-aligned,
//! `len` bytes mapped while it is borrowed, only atomic accesses by the safe API)
//! is what the conversion needs. Read-write attachments get the references
//! (`view`); a read-only one only through `SeqReadView`, whose operations are
//! Relaxed loads, the one atomic access Rust documents as sound on read-only
//! memory.
//! `AtomicsOnly` marks the structs that are made only of `AtomicU64`, for which
//! any bytes are valid values.
#![allow(unsafe_code)]

mod bit_waiter;
pub mod broadcast;
pub mod header;
pub mod mpsc;
pub mod ring;
pub mod seqlock;
pub mod table;
pub mod watch;

pub use header::{Header, HeaderError, Kind, Shape, ShmType, fingerprint, fnv1a64, type_id};
pub use ring::{Corrupt, Parking, Ring, RingConsumer, RingCtl, RingError, RingProducer};
pub use seqlock::{Busy, SeqCtl, SeqWriter};

use crate::sync::AtomicU64;

/// Bytes per shared word.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::{WORD, words_for};
///
/// assert_eq!(WORD, size_of::<u64>());
/// // A 12-byte value takes two words: 16 bytes of a slot.
/// assert_eq!(words_for(12) * WORD, 16);
/// ```
pub const WORD: usize = 8;

/// Distance between two indices written by different processes: two 64-byte cache
/// lines, because x86's adjacent-line prefetcher pulls lines in pairs (crossbeam's
/// `CachePadded` uses 128 on x86_64 and aarch64 for the same reason).
///
/// # Examples
///
/// ```
/// use core::mem::offset_of;
/// use sysv_ipc::layout::{LINE, RingCtl, header::HEADER_SIZE, ring};
///
/// // The producer's `tail` and the consumer's `head` are a LINE apart.
/// assert_eq!(offset_of!(RingCtl, head) - offset_of!(RingCtl, tail), LINE);
/// assert_eq!(ring::DATA_OFFSET, HEADER_SIZE + 2 * LINE);
/// ```
pub const LINE: usize = 128;

/// How many 8-byte words hold a value of `size` bytes.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::words_for;
///
/// assert_eq!(words_for(0), 0);
/// assert_eq!(words_for(1), 1);
/// assert_eq!(words_for(8), 1);
/// assert_eq!(words_for(9), 2);
/// ```
pub const fn words_for(size: usize) -> usize {
    size.div_ceil(WORD)
}

/// The payload words of a typed object's slots (`Queue<T, _>`, `Broadcast<T, _>`),
/// in its roles' layout types: a constant there, so each slot's address is a
/// shift and its copy plain moves ([`PayloadWords`](ring::PayloadWords)).
// The typed objects that use it are not built for the loom models.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct SlotOf<T>(core::marker::PhantomData<fn() -> T>);

impl<T> Clone for SlotOf<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for SlotOf<T> {}

impl<T> core::fmt::Debug for SlotOf<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use ring::PayloadWords;
        write!(f, "SlotOf({})", Self::WORDS)
    }
}

impl<T> ring::PayloadWords for SlotOf<T> {
    const WORDS: usize = words_for(size_of::<T>());
}

/// Stores `src` into `words` by Relaxed whole-word stores, the last word padded with
/// zeros; false (and nothing stored) if `src` does not fit.
// `#[inline]`: called once per message from `Queue`'s generic methods, which are
// instantiated in the user's crate; without it this non-generic fn stays a call
// there, and its copy is never specialised to `T`'s size (benches/ipc.rs).
#[inline]
pub(crate) fn store_words(words: &[AtomicU64], src: &[u8]) -> bool {
    // Cut to the words `src` fills: the copy's length then follows from `src`'s
    // alone, which a typed caller knows at compile time (a slot's runtime word
    // count left the loop's trip count unknown: ~100 instructions of set-up for
    // 64 bytes).
    let Some(words) = words.get(..words_for(src.len())) else {
        return false;
    };
    // Relaxed, in `store_run` and below: the protocol around the copy (a ring index,
    // a sequence number) orders it; the words only have to be atomic to be race-free.
    let whole = src.len() / WORD * WORD;
    let Some((head, last)) = src.split_at_checked(whole) else {
        return false; // never: whole <= src.len()
    };
    crate::copy::store_run(words, head);
    if !last.is_empty()
        && let Some(word) = words.get(whole / WORD)
    {
        let mut bytes = [0u8; WORD];
        if let Some(dst) = bytes.get_mut(..last.len()) {
            crate::copy::copy_bytes(dst, last);
        }
        word.store(u64::from_ne_bytes(bytes), crate::sync::Ordering::Relaxed);
    }
    true
}

/// Fills `dst` from `words` by Relaxed whole-word loads; false (and `dst`
/// untouched) if `words` is too short.
// `#[inline]`: as for `store_words`.
#[inline]
pub(crate) fn load_words(words: &[AtomicU64], dst: &mut [u8]) -> bool {
    // Cut to the words `dst` takes, as in `store_words`.
    let Some(words) = words.get(..words_for(dst.len())) else {
        return false;
    };
    // Relaxed: ordered by the protocol around the copy, as in `store_words`.
    let whole = dst.len() / WORD * WORD;
    let Some((head, last)) = dst.split_at_mut_checked(whole) else {
        return false; // never: whole <= dst.len()
    };
    crate::copy::load_run(words, head);
    if !last.is_empty()
        && let Some(word) = words.get(whole / WORD)
    {
        let bytes = word.load(crate::sync::Ordering::Relaxed).to_ne_bytes();
        if let Some(src) = bytes.get(..last.len()) {
            crate::copy::copy_bytes(last, src);
        }
    }
    true
}

/// A `#[repr(C)]` struct made only of `AtomicU64` fields (and arrays of them), with
/// no padding: any bytes are a valid value, and it may be laid over shared memory.
///
/// # Safety
///
/// Implement only for such structs; `view` relies on it.
#[cfg(not(loom))]
pub(crate) unsafe trait AtomicsOnly {}

// SAFETY: Header, RingCtl and SeqCtl are #[repr(C)] structs of AtomicU64 fields and
// arrays of them; their sizes are pinned in their modules to the sum of the fields
// (no padding).
#[cfg(not(loom))]
unsafe impl AtomicsOnly for Header {}
// SAFETY: as above.
#[cfg(not(loom))]
unsafe impl AtomicsOnly for RingCtl {}
// SAFETY: as above.
#[cfg(not(loom))]
unsafe impl AtomicsOnly for SeqCtl {}
// SAFETY: BcCtl is a #[repr(C)] struct of a Header and AtomicU64 fields and arrays;
// its size is pinned in `broadcast` to 384, the sum of the fields (no padding).
#[cfg(not(loom))]
unsafe impl AtomicsOnly for broadcast::BcCtl {}
// SAFETY: TableCtl is a #[repr(C)] struct of a Header and AtomicU64 fields and an
// array of them; its size is pinned in `table` to the sum of the fields (no padding).
#[cfg(not(loom))]
unsafe impl AtomicsOnly for table::TableCtl {}
// SAFETY: MpscCtl is a #[repr(C)] struct of a Header and AtomicU64 fields and
// arrays of them; its size is pinned in layout::mpsc to the sum of the fields
// (384 bytes, no padding).
#[cfg(not(loom))]
unsafe impl AtomicsOnly for mpsc::MpscCtl {}

/// The control struct `C` at the start of an attachment's mapping, and the
/// `data_words` words at `data_offset`; `None` if they do not fit in the segment.
#[cfg(not(loom))]
pub(crate) fn view<B: crate::Backend, C: AtomicsOnly>(
    att: &crate::shm::Attachment<B>,
    data_offset: usize,
    data_words: usize,
) -> Option<(&C, &[AtomicU64])> {
    view_any(att, data_offset, data_words)
}

/// [`view`] over an attachment that may be read-only. Private: over a `SHM_RDONLY`
/// mapping the references may serve only Relaxed loads, which is all
/// [`SeqReadView`] does with them.
#[cfg(not(loom))]
fn view_any<B: crate::Backend, A: crate::shm::Access, C: AtomicsOnly>(
    att: &crate::shm::Attachment<B, A>,
    data_offset: usize,
    data_words: usize,
) -> Option<(&C, &[AtomicU64])> {
    let base = att.as_ptr().cast_mut();
    let end = data_words
        .checked_mul(WORD)
        .and_then(|n| n.checked_add(data_offset))?;
    if size_of::<C>() > data_offset
        || !data_offset.is_multiple_of(WORD)
        || end > att.len()
        || !base.addr().is_multiple_of(align_of::<C>())
    {
        return None;
    }
    // SAFETY: `&*p` needs p aligned, dereferenceable for size_of::<C>() bytes, pointing
    // to a valid C, and no mutation outside UnsafeCell for the reference's life
    // (std::ptr module, "Safety"; Reference 1.95, "Behavior considered undefined").
    // Aligned: checked above (shmat gives page alignment; C's is at most 128).
    // Dereferenceable: size_of::<C>() <= data_offset <= end <= att.len(), and the
    // Attachment keeps att.len() bytes mapped, readable (and writable unless it is
    // ReadOnly), while it is borrowed, which the returned lifetime does. Valid:
    // AtomicsOnly (any bytes are atomics' values). Mutation by peers goes through
    // the atomics' UnsafeCells; this process touches segment bytes only atomically
    // (copy.rs, these layouts), so no access mixes atomic and non-atomic
    // (AtomicU64::from_ptr's rule). Over a read-only mapping, `view` is not
    // reachable (it takes ReadWrite attachments) and SeqReadView only loads: see
    // there.
    let ctl = unsafe { &*base.cast::<C>() };
    let data = base.wrapping_add(data_offset).cast::<AtomicU64>();
    // SAFETY: from_raw_parts needs data non-null, aligned, valid for
    // data_words * 8 bytes in one allocation, initialised, no non-atomic mutation,
    // total <= isize::MAX (core::slice::from_raw_parts, 1.95). The words lie in
    // data_offset..end <= att.len() of the one mapping (isize-bounded, checked when
    // attaching), 8-aligned (page-aligned base, data_offset % 8 == 0); any bits are
    // a valid AtomicU64; all accesses are atomic, as above.
    let words = unsafe { core::slice::from_raw_parts(data, data_words) };
    Some((ctl, words))
}

/// A seqlock's control block and value words over any attachment, read-only ones
/// included, with only what a reader does: the header handshake's check and the
/// seqlock read. Both only load, with Relaxed ordering (their acquires are fences:
/// `Header::wait_ready`, `seqlock::read`), 8 bytes at a time, and never store or
/// read-modify-write, which over a `SHM_RDONLY` mapping would fault. That is what
/// core::sync::atomic ("Atomic accesses to read-only memory", 1.95) allows:
/// "'sufficiently small' atomic loads with Ordering::Relaxed are implemented in a
/// way that works on read-only memory, and are hence not undefined behavior", 8
/// bytes on the 64-bit targets the crate builds for (`copy.rs` refuses others).
/// The fields are private, so no other code reaches the references.
#[cfg(not(loom))]
pub(crate) struct SeqReadView<'a> {
    ctl: &'a SeqCtl,
    words: &'a [AtomicU64],
}

#[cfg(not(loom))]
impl<'a> SeqReadView<'a> {
    /// The seqlock in `att` with `data_words` value words; `None` if it does not fit.
    pub(crate) fn new<B: crate::Backend, A: crate::shm::Access>(
        att: &'a crate::shm::Attachment<B, A>,
        data_words: usize,
    ) -> Option<Self> {
        let (ctl, words) = view_any::<B, A, SeqCtl>(att, seqlock::DATA_OFFSET, data_words)?;
        Some(SeqReadView { ctl, words })
    }

    /// [`Header::attach_segment`]: waits for the header of a segment of
    /// `segment_size` bytes and checks it against `shape`.
    pub(crate) fn attach(
        &self,
        shape: &Shape,
        segment_size: usize,
        wait: impl FnMut(u32) -> bool,
    ) -> Result<(), HeaderError> {
        self.ctl.header.attach_segment(shape, segment_size, wait)
    }

    /// The control block, for loads only (a read-only mapping takes nothing
    /// else).
    pub(crate) fn ctl(&self) -> &'a SeqCtl {
        self.ctl
    }

    /// [`seqlock::read`].
    pub(crate) fn read(&self, dst: &mut [u8], attempts: u32) -> Result<u64, Busy> {
        seqlock::read(self.ctl, self.words, dst, attempts)
    }

    /// [`seqlock::read_consistent`] with the value's words, which `load` must
    /// only load (Relaxed: a read-only mapping takes nothing else).
    #[inline]
    pub(crate) fn read_consistent<R>(
        &self,
        attempts: u32,
        mut load: impl FnMut(&'a [AtomicU64]) -> R,
    ) -> Result<R, Busy> {
        let words = self.words;
        seqlock::read_consistent(self.ctl, words.len(), attempts, || load(words)).map(|(r, _)| r)
    }
}

/// The view of the `T` at the start of `words`, if they hold one: a queue's slot
/// or a seqlock's value, whose words are 8-byte aligned.
/// A table's header and slots over either kind of attachment, with only the
/// readers' operations: each one only loads (Relaxed, its acquires are fences:
/// `table`'s module docs), so a read-only mapping serves them as it serves
/// [`SeqReadView`]. The writer's side (`table::TableWriter`) is built from a
/// read-write attachment's [`view`] only.
#[cfg(not(loom))]
pub(crate) struct TableReadView<'a, const N: usize> {
    slots: table::Slots<'a, N>,
}

#[cfg(not(loom))]
impl<'a, const N: usize> TableReadView<'a, N> {
    /// The table of `value_words`-word values in `att`; `None` unless the
    /// attachment holds the whole layout.
    #[inline]
    pub(crate) fn new<B: crate::Backend, A: crate::shm::Access>(
        att: &'a crate::shm::Attachment<B, A>,
        value_words: usize,
    ) -> Option<Self> {
        let words = table::Slots::<N>::words(value_words);
        let (ctl, words) = view_any::<B, A, table::TableCtl>(att, table::INDEX_OFFSET, words)?;
        Some(TableReadView {
            slots: table::Slots::new(ctl, words, value_words)?,
        })
    }

    /// The attacher's half of the header handshake (loads only), before the rest
    /// of the layout is known to fit; `None` if not even the control block does.
    pub(crate) fn attach<B: crate::Backend, A: crate::shm::Access>(
        att: &crate::shm::Attachment<B, A>,
        shape: &Shape,
        wait: impl FnMut(u32) -> bool,
    ) -> Option<Result<(), HeaderError>> {
        let (ctl, _) = view_any::<B, A, table::TableCtl>(att, table::INDEX_OFFSET, 0)?;
        Some(ctl.header.attach_segment(shape, att.len(), wait))
    }

    /// [`table::Slots::read`].
    #[inline]
    pub(crate) fn read(
        &self,
        slot: usize,
        dst: &mut [u8],
        attempts: u32,
    ) -> Result<u64, table::TableError> {
        self.slots.read(slot, dst, attempts)
    }

    /// [`table::Slots::read_consistent`].
    pub(crate) fn read_consistent<R>(
        &self,
        slot: usize,
        attempts: u32,
        load: impl FnMut(&'a [AtomicU64]) -> R,
    ) -> Result<(R, u64), table::TableError> {
        self.slots.read_consistent(slot, attempts, load)
    }

    /// The slots, for loads only (a read-only mapping takes nothing else).
    pub(crate) fn slots(&self) -> table::Slots<'a, N> {
        self.slots
    }

    /// [`table::Slots::changed_since`].
    pub(crate) fn changed_since(&self, since: u64, changed: impl FnMut(usize)) -> u64 {
        self.slots.changed_since(since, changed)
    }

    /// The table version: the last write whose bookkeeping is complete.
    pub(crate) fn version(&self) -> u64 {
        // Relaxed, then the Acquire fence: pairs with the writer's Release store of
        // `version`, as in `changed_since`; a fence, which a read-only mapping
        // allows.
        let v = self
            .slots
            .ctl()
            .version
            .load(crate::sync::Ordering::Relaxed);
        crate::sync::fence(crate::sync::Ordering::Acquire);
        v
    }
}

#[cfg(not(loom))]
#[allow(unsafe_code)]
pub(crate) fn value_view<T: crate::view::ShmView>(words: &[AtomicU64]) -> Option<&T::View> {
    const {
        assert!(
            size_of::<T::View>() == size_of::<T>(),
            "ShmView contract: the view has its type's size"
        );
        assert!(
            align_of::<T::View>() <= WORD,
            "slots and seqlock values are 8-byte aligned: a type aligned to more has no view there"
        );
    }
    if size_of_val(words) < size_of::<T::View>() {
        return None; // never: a slot or value holds a whole T (`words_for`)
    }
    let p = words.as_ptr().cast::<T::View>();
    // SAFETY: `p` is aligned (AtomicU64's alignment, 8, is at least T::View's,
    // asserted above) and points to `size_of::<T::View>()` bytes inside `words`
    // (checked above), bytes of one mapping that are initialised and valid for
    // the borrow of `words` (they are AtomicU64s: readable, and writable unless
    // the mapping is read-only, where the caller hands out only the view's
    // load-only twin, `ShmView::ReadView`). ShmView's contract makes any bytes a
    // valid T::View whose every byte is inside an atomic cell and whose every
    // access is atomic, so a shared reference over memory a peer may write is no
    // data race. Mixed sizes: the callers use this mapping's value bytes only
    // through views and 8-byte loads that all read, or only from one side of a
    // queue that owns the slot (queue/loan.rs); writers of a seqlock write
    // through their own mapping (`SeqLock::writer` attaches it).
    Some(unsafe { &*p })
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;

    use super::*;
    use crate::sync::Ordering::Relaxed;
    use crate::{Intent, Key, Mode, Removable};
    use std::thread;

    /// Miri runs these slowly: fewer rounds there.
    const ROUNDS: u64 = if cfg!(miri) { 60 } else { 20_000 };

    struct NoPark;

    impl Parking for NoPark {
        type Error = ();
        fn park(&mut self) -> Result<(), ()> {
            Ok(())
        }
        fn unpark_peer(&mut self) {}
        fn heavy_barrier(&mut self) -> Result<(), ()> {
            Err(())
        }
    }

    #[test]
    fn word_copies_pad_with_zeros_and_refuse_short_buffers() {
        let words: [AtomicU64; 2] = core::array::from_fn(|_| AtomicU64::new(u64::MAX));
        assert!(store_words(&words, &[1, 2, 3]));
        assert_eq!(
            words[0].load(Relaxed),
            u64::from_ne_bytes([1, 2, 3, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            words[1].load(Relaxed),
            u64::MAX,
            "untouched beyond the value"
        );
        assert!(!store_words(&words, &[0; 17]));
        let mut out = [9u8; 3];
        assert!(load_words(&words, &mut out));
        assert_eq!(out, [1, 2, 3]);
        assert!(!load_words(&words, &mut [0u8; 17]));
    }

    /// Values of every length up to three blocks of the copy loop and more, at every
    /// misalignment of the local bytes: stored word by word with the last one padded
    /// with zeros, loaded back whole, the word after the value never touched.
    #[test]
    fn word_copies_of_every_length_and_alignment() {
        const MAX: usize = if cfg!(miri) { 140 } else { 3 * 64 + 17 };
        let mut buf = [0u8; MAX + WORD];
        for len in 0..=MAX {
            for skew in [0, 1, 3, 7] {
                let words: [AtomicU64; MAX / WORD + 2] =
                    core::array::from_fn(|_| AtomicU64::new(u64::MAX));
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = (i as u8).wrapping_mul(13).wrapping_add(len as u8) | 1;
                }
                let src = &buf[skew..skew + len];
                assert!(store_words(&words, src));
                let n = words_for(len);
                let mut padded = [0u8; MAX + WORD];
                padded[..len].copy_from_slice(src);
                for (i, w) in words[..n].iter().enumerate() {
                    assert_eq!(
                        w.load(Relaxed).to_ne_bytes(),
                        padded[i * WORD..][..WORD],
                        "{len}/{skew}: word {i}"
                    );
                }
                assert_eq!(words[n].load(Relaxed), u64::MAX, "{len}: past the value");
                let mut out = [0u8; MAX + WORD];
                assert!(load_words(&words, &mut out[skew..skew + len]));
                assert_eq!(out[skew..skew + len], *src, "{len}/{skew}: load");
                assert!(out[..skew].iter().all(|&b| b == 0));
                assert!(out[skew + len..].iter().all(|&b| b == 0));
            }
        }
    }

    /// Two threads through a ring of 4 (std threads: Miri checks the accesses for
    /// data races and explores some weak-memory outcomes).
    #[test]
    fn threads_move_values_through_the_ring_in_order() {
        let ctl = RingCtl::new();
        let slots: [AtomicU64; Ring::<4>::words(2)] = core::array::from_fn(|_| AtomicU64::new(0));
        let ring = Ring::<4>::new(&ctl, &slots, 2).unwrap();
        thread::scope(|s| {
            s.spawn(|| {
                let mut p = RingProducer::new(ring).unwrap();
                let mut v = 1;
                while v <= ROUNDS {
                    let n = p
                        .push(
                            2,
                            |i, slot| {
                                let x = v + i as u64;
                                store_words(slot, &[x.to_ne_bytes(), (!x).to_ne_bytes()].concat());
                            },
                            &mut NoPark,
                        )
                        .unwrap();
                    v += n as u64;
                    if n == 0 {
                        thread::yield_now();
                    }
                }
            });
            let mut c = RingConsumer::new(ring).unwrap();
            let mut want = 1;
            while want <= ROUNDS {
                let mut got = [0u64; 3];
                // Single pops take the slot-sequence path, batches the `tail` one.
                let n = c
                    .pop(
                        if want % 3 == 0 { 1 } else { 3 },
                        |i, slot| {
                            let mut b = [0u8; 16];
                            load_words(slot, &mut b);
                            let x = u64::from_ne_bytes(b[..8].try_into().unwrap());
                            assert_eq!(
                                u64::from_ne_bytes(b[8..].try_into().unwrap()),
                                !x,
                                "torn slot"
                            );
                            got[i] = x;
                        },
                        &mut NoPark,
                    )
                    .unwrap();
                for x in &got[..n] {
                    assert_eq!(*x, want);
                    want += 1;
                }
                if n == 0 {
                    thread::yield_now();
                }
            }
        });
    }

    #[test]
    fn threads_never_read_a_torn_seqlock_value() {
        let ctl = SeqCtl::new();
        let words: [AtomicU64; 4] = core::array::from_fn(|_| AtomicU64::new(0));
        thread::scope(|s| {
            s.spawn(|| {
                let mut w = SeqWriter::new(&ctl, &words);
                for k in 1..=ROUNDS {
                    let mut bytes = [0u8; 32];
                    for chunk in bytes.chunks_mut(8) {
                        chunk.copy_from_slice(&k.to_ne_bytes());
                    }
                    assert!(w.write(&bytes));
                }
            });
            let mut last = 0;
            while last < ROUNDS {
                let mut out = [0u8; 32];
                if seqlock::read(&ctl, &words, &mut out, 4).is_ok() {
                    let k = u64::from_ne_bytes(out[..8].try_into().unwrap());
                    for chunk in out.chunks(8) {
                        assert_eq!(chunk, k.to_ne_bytes(), "torn read");
                    }
                    assert!(k >= last);
                    last = k;
                }
                thread::yield_now();
            }
        });
    }

    /// The typed queue and seqlock over the mock kernel, whose segments are real
    /// page-aligned memory: under Miri this checks `view` (alignment, bounds,
    /// provenance) and the typed paths end to end.
    #[test]
    fn queue_and_seqlock_over_a_mock_segment() {
        static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
        let k = &KERNEL;
        let q = crate::queue::Queue::<[u32; 3], 4, _>::create_in(
            k,
            Key::new(7),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let (mut p, mut c) = q.split().unwrap();
        for round in 0..3u32 {
            for i in 0..4 {
                p.enqueue([round, i, !i]).unwrap();
            }
            let full = p.enqueue([9; 3]).unwrap_err();
            assert!(full.is_full());
            assert_eq!(q.len(), Ok(4));
            for i in 0..4 {
                assert_eq!(c.dequeue(), Ok(Some([round, i, !i])));
            }
            assert_eq!(c.dequeue(), Ok(None));
        }
        assert_eq!(
            q.producer().unwrap_err().kind(),
            crate::ErrorKind::RoleTaken
        );
        let e = crate::queue::Queue::<[u32; 3], 8, _>::open_in(k, Key::new(7)).unwrap_err();
        assert_eq!(
            (e.kind(), e.layout_field()),
            (crate::ErrorKind::LayoutMismatch, Some("capacity"))
        );
        drop((p, c));
        q.remove().unwrap();

        let lock = crate::seqlock::SeqLock::<[u64; 3], _>::create_in(
            k,
            Key::new(8),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let mut w = lock.writer().unwrap();
        w.write(&[1, 2, 3]).unwrap();
        assert_eq!(lock.read(), Ok([1, 2, 3]));
        // Readers' handles: SHM_RDONLY attachments (the mock records the flag),
        // reached through SeqReadView only.
        let (n, ro) = k.attachments(1);
        let reader = lock.read_only().unwrap();
        let by_key =
            crate::seqlock::SeqLock::<[u64; 3], _, crate::shm::ReadOnly>::open_read_only_in(
                k,
                Key::new(8),
            )
            .unwrap();
        assert_eq!(k.attachments(1), (n + 2, ro + 2));
        w.write(&[4, 5, 6]).unwrap();
        assert_eq!(reader.read(), Ok([4, 5, 6]));
        assert_eq!(by_key.read(), Ok([4, 5, 6]));
        drop((w, reader, by_key));
        lock.remove().unwrap();
    }
}

/// Slot `i` of `slots`, whose slots are a `seq` word then `slot_words` payload
/// words each: the `seq` word and the payload. Unchecked and by pointer: on
/// every send and receive of the ring kinds, where a checked slice over the
/// runtime stride cost a fifth of a one-message call.
///
/// # Safety
///
/// `slot_words >= 1` and `(i + 1) * (slot_words + 1) <= slots.len()` (each
/// layout's `new` checks the slice holds `N` whole slots, and `i < N`).
#[inline]
pub(crate) unsafe fn slot_at(
    slots: &[AtomicU64],
    i: usize,
    slot_words: usize,
) -> (&AtomicU64, &[AtomicU64]) {
    // SAFETY: the caller's bound is `strided_slot_at`'s with a stride of
    // `slot_words + 1`.
    unsafe { strided_slot_at(slots, i, slot_words + 1, slot_words) }
}

/// Slot `i` of `slots`, whose slots are `stride` words apart, each a `seq` word
/// then `value_words` words of value: the `seq` word and the value words.
///
/// # Safety
///
/// `value_words >= 1`, `value_words < stride` and `(i + 1) * stride <=
/// slots.len()` (the layout's `new` checks the slice holds `N` whole slots, and
/// `i < N`).
#[inline]
pub(crate) unsafe fn strided_slot_at(
    slots: &[AtomicU64],
    i: usize,
    stride: usize,
    value_words: usize,
) -> (&AtomicU64, &[AtomicU64]) {
    let base = slots.as_ptr();
    // SAFETY: slot `i` starts at word `i * stride`, inside `slots` and without
    // overflow (the caller's bound: it is below `slots.len()`).
    let seq = unsafe { base.add(i * stride) };
    // SAFETY: `seq` points into `slots`, borrowed for the result's lifetime.
    let seq_ref = unsafe { &*seq };
    // SAFETY: `seq + 1` is slot `i`'s first value word, inside `slots`
    // (`1 <= value_words < stride` and the caller's bound).
    let first = unsafe { seq.add(1) };
    // SAFETY: the `value_words` words from `first` are in slot `i` (`value_words
    // < stride`), inside `slots` (the caller's bound), initialised atomics
    // borrowed as above.
    let payload = unsafe { core::slice::from_raw_parts(first, value_words) };
    (seq_ref, payload)
}
