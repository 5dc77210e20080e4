//! The seqlock behind [`SeqLock`](crate::seqlock::SeqLock): one writer, any number
//! of readers, the value copied by atomic words.
//!
//! # Byte layout
//!
//! | offset | field | written by | meaning |
//! |---:|---|---|---|
//! | 0..128 | [`Header`] | creator | `kind` = 2, `capacity` = 1, `data_offset` = 256 |
//! | 128 | `seq` | writer | even: stable; odd: a write is in progress |
//! | 136 | `writer_pid` | writer | pid of the role's holder, 0 when released |
//! | 144 | `watchers` | watchers set bit 0, the writer moves it to the next epoch to wake them | low 32 bits: a wake epoch (bits 1..32) and [`WATCHED`] (bit 0): a watcher may sleep in a futex wait on the low half until the next write (layout version 7, [`watch`](crate::layout::watch)) |
//! | 152..256 | padding | — | zero |
//! | 256 | value | writer | `size_of::<T>()` rounded up to 8 bytes |
//!
//! # Protocol
//!
//! Boehm's seqlock ("Can Seqlocks Get Along with Programming Language Memory
//! Models?", 2012), with every access to the value an atomic word, so a reader
//! racing a writer is not a data race (`crossbeam`'s `AtomicCell` and the planned
//! `AtomicPerByte` rest on the same idea):
//!
//! - writer: `seq = s + 1` (Relaxed), Release fence, value words (Relaxed),
//!   `seq = s + 2` (Release);
//! - reader: `s1 = seq` (Relaxed), odd → retry; Acquire fence; value words
//!   (Relaxed), Acquire fence, `s2 = seq` (Relaxed); `s1 == s2` → the copy is one
//!   the writer wrote whole, else retry.
//!
//! If a reader's copy saw any word of a write, its Acquire fence synchronises with
//! that write's Release fence, so `s2` sees at least `s + 1` and the copy is
//! thrown away. Readers bound their retries: a writer that died mid-write leaves
//! `seq` odd, and readers then get [`Busy`] instead of spinning forever or
//! returning a torn value. A new writer starts from `seq` rounded up to even; its
//! first complete write makes the value readable again.
//!
//! The reader only loads, and only with Relaxed ordering (the acquires are
//! fences): it works over a mapping this process may not write, where an Acquire
//! load is not documented to be sound, and a read-modify-write or a store would
//! fault ([`SeqLock::open_read_only`](crate::seqlock::SeqLock::open_read_only)).
//!
//! # Watching for a change
//!
//! A watcher waits for "a complete write after version `since`" (a `seq` that is
//! even and not `since`) with the [`watch`](crate::layout::watch) handshake on
//! `watchers`: [`arm_watch`] after announcing, [`SeqWriter::wake_check`] after
//! the writer's Release store of `s + 2`. A `seq` that is odd (a write under way)
//! is not a change yet: that write's end wakes the watcher. Watching stores into
//! the segment, so a watcher needs a writable mapping.

use crate::layout::header::Header;
#[cfg(doc)]
use crate::layout::watch::WATCHED;
use crate::layout::watch::{self, Watch};
use crate::layout::{load_words, store_words};
use crate::sync::{AtomicU64, Ordering, fence, spin_loop};

/// Offset of the value's first word.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::seqlock::{DATA_OFFSET, SeqCtl};
///
/// assert_eq!(size_of::<SeqCtl>(), DATA_OFFSET); // the value follows the control block
/// ```
pub const DATA_OFFSET: usize = 256;

/// Bytes of a seqlock's layout: the control block, then the value's
/// `value_words` words; `None` past `isize::MAX`. The one formula
/// [`SeqLock`](crate::seqlock::SeqLock) and [`info::needs`](crate::info::needs) use.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::seqlock::layout_size;
///
/// assert_eq!(layout_size(1), Some(256 + 8));
/// ```
pub const fn layout_size(value_words: usize) -> Option<usize> {
    match value_words.checked_mul(crate::layout::WORD) {
        Some(n) if n <= isize::MAX as usize - DATA_OFFSET => Some(DATA_OFFSET + n),
        _ => None,
    }
}

/// The control block of a seqlock: header and sequence line (256 bytes).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
///
/// // Local memory standing in for a segment: control block and two value words.
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 2] = Default::default();
/// SeqWriter::new(&ctl, &words).write(&[1; 16]);
/// assert_eq!(ctl.seq.load(Ordering::Relaxed), 2);
/// let mut out = [0u8; 16];
/// assert_eq!(seqlock::read(&ctl, &words, &mut out, 1), Ok(2));
/// assert_eq!(out, [1; 16]);
/// ```
#[repr(C, align(128))]
#[derive(Debug)]
pub struct SeqCtl {
    /// The segment header.
    pub header: Header,
    /// Sequence number: odd while a write is in progress.
    pub seq: AtomicU64,
    /// Pid of the writer role's holder, 0 if released.
    pub writer_pid: AtomicU64,
    /// A wake epoch and [`WATCHED`] while a watcher may sleep on it; the
    /// writer's wake check moves it to the next epoch (module docs, "Watching for a change").
    pub watchers: AtomicU64,
    /// Keeps the value off the sequence's 128 bytes.
    pub pad: [AtomicU64; 13],
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<SeqCtl>() == DATA_OFFSET);
    assert!(offset_of!(SeqCtl, header) == 0);
    assert!(offset_of!(SeqCtl, seq) == 128);
    assert!(offset_of!(SeqCtl, writer_pid) == 136);
    assert!(offset_of!(SeqCtl, watchers) == 144);
    assert!(offset_of!(SeqCtl, pad) == 152);
};

impl SeqCtl {
    /// A zeroed control block (for models and tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::seqlock::SeqCtl;
    ///
    /// let ctl = SeqCtl::new();
    /// assert_eq!(ctl.seq.load(Ordering::Relaxed), 0);
    /// assert_eq!(ctl.writer_pid.load(Ordering::Relaxed), 0);
    /// ```
    pub fn new() -> SeqCtl {
        SeqCtl {
            header: Header::new(),
            seq: AtomicU64::new(0),
            writer_pid: AtomicU64::new(0),
            watchers: AtomicU64::new(0),
            pad: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// The creator's initialisation (published by [`Header::publish`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::layout::header::{Kind, Shape};
    /// use sysv_ipc::layout::seqlock::{DATA_OFFSET, SeqCtl};
    ///
    /// let ctl = SeqCtl::new();
    /// assert!(ctl.header.begin_init());
    /// ctl.init();
    /// ctl.header.publish(&Shape::of::<u64>(Kind::SeqLock, 1, DATA_OFFSET, DATA_OFFSET + 8), 1);
    /// assert_eq!(ctl.seq.load(Ordering::Acquire), 0);
    /// ```
    pub fn init(&self) {
        // Relaxed: published by the header's Release store of READY.
        self.seq.store(0, Ordering::Relaxed);
        self.writer_pid.store(0, Ordering::Relaxed);
        self.watchers.store(0, Ordering::Relaxed);
    }
}

/// The version of the value: `seq` (odd while a write is under way). Relaxed,
/// then an Acquire fence (loads only: a read-only mapping takes it): a value read
/// after it is this write's or a later one's.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
///
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 1] = Default::default();
/// assert_eq!(seqlock::version(&ctl), 0);
/// SeqWriter::new(&ctl, &words).write(&[1; 8]);
/// assert_eq!(seqlock::version(&ctl), 2);
/// ```
pub fn version(ctl: &SeqCtl) -> u64 {
    // Relaxed, then the fence: pairs with the Release store that ended the write.
    let s = ctl.seq.load(Ordering::Relaxed);
    fence(Ordering::Acquire);
    s
}

/// Whether `seq` is a complete write other than `since` (module docs, "Watching
/// for a change").
const fn is_change(seq: u64, since: u64) -> bool {
    seq.is_multiple_of(2) && seq != since
}

/// A watcher's arm for "a complete write after version `since`" (module docs,
/// "Watching for a change"): [`Watch::Changed`] with the new (even) version, or
/// [`Watch::Armed`]: sleep in a futex wait on `ctl.watchers`' low half expecting
/// the value it names, then arm again. Stores into `ctl`: not over a read-only mapping.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
/// use sysv_ipc::layout::watch::{WATCHED, Watch};
///
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 1] = Default::default();
/// let mut w = SeqWriter::new(&ctl, &words);
/// assert_eq!(seqlock::arm_watch(&ctl, 0), Watch::Armed { expected: 1 });
/// assert_eq!(ctl.watchers.load(Ordering::Relaxed), WATCHED);
/// w.write(&[1; 8]);
/// assert!(w.wake_check()); // a watcher: futex-wake the word
/// assert_eq!(ctl.watchers.load(Ordering::Relaxed), 2); // the next epoch
/// assert_eq!(seqlock::arm_watch(&ctl, 0), Watch::Changed(2));
/// ```
pub fn arm_watch(ctl: &SeqCtl, since: u64) -> Watch {
    watch::arm(
        &ctl.watchers,
        // Relaxed: ordered by the handshake's fence; only compared.
        || ctl.seq.load(Ordering::Relaxed),
        |s| is_change(s, since),
    )
}

impl Default for SeqCtl {
    fn default() -> Self {
        SeqCtl::new()
    }
}

/// Every attempt found a write in progress (or saw the value change under it).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering};
/// use sysv_ipc::layout::seqlock::{self, Busy, SeqCtl};
///
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 1] = Default::default();
/// ctl.seq.store(3, Ordering::Relaxed); // odd: a write in progress (or a dead writer)
/// assert_eq!(seqlock::read(&ctl, &words, &mut [0u8; 8], 100), Err(Busy));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Busy;

/// Value words per spin between two attempts: a reader waits one `spin_loop` per
/// this many words of the value (at least one), so that the same number of attempts
/// outlasts a write of any size: a write's time grows with the value, and so does
/// the wait between attempts.
///
/// 65 536 words are 512 KiB: up to that the wait is one spin per attempt, as it
/// always was; a 4 MiB value waits 9 spins per attempt, a 64 MiB one 129. A spin
/// costs 10–140 cycles (40 ns on the AMD EPYC VM of benches/ipc.rs), a write of
/// 4 MiB about 0.1 ms there, so `SeqLock::read`'s 100 000 attempts wait about 4 ms
/// for a value up to 512 KiB, 36 ms for 4 MiB (hundreds of writes, or a writer
/// preempted mid-write for a few time slices) and 0.5 s for 64 MiB before they
/// answer [`Busy`] to a writer that died mid-write.
const SPIN_WORDS: usize = 1 << 16;

/// Copies the value out into `dst`, trying at most `attempts` times, spinning
/// between attempts: once per 512 KiB of the value's words, at least once (so that
/// a larger value, whose writes take longer, gets a longer wait for the same
/// `attempts`).
/// On success returns the (even) sequence number of the copy; `dst` then holds
/// bytes one write stored whole.
///
/// `dst` longer than the value's words is [`Busy`] too (never happens with the
/// typed API, which sizes both from `T`).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::seqlock::{self, Busy, SeqCtl, SeqWriter};
///
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 2] = Default::default();
/// let mut w = SeqWriter::new(&ctl, &words);
/// assert!(w.write(b"twelve bytes"));
/// let mut out = [0u8; 12];
/// assert_eq!(seqlock::read(&ctl, &words, &mut out, 1), Ok(2)); // sequence of the copy
/// assert_eq!(&out, b"twelve bytes");
/// // A destination longer than the value's words is refused.
/// assert_eq!(seqlock::read(&ctl, &words, &mut [0u8; 17], 1), Err(Busy));
/// ```
pub fn read(ctl: &SeqCtl, words: &[AtomicU64], dst: &mut [u8], attempts: u32) -> Result<u64, Busy> {
    if crate::layout::words_for(dst.len()) > words.len() {
        return Err(Busy);
    }
    read_consistent(ctl, words.len(), attempts, || {
        load_words(words, dst);
    })
    .map(|((), seq)| seq)
}

/// Runs `load` between two loads of the sequence number, at most `attempts`
/// times, until a run saw no write begin or end (the two numbers are the same,
/// and even): then returns what that run returned and the sequence number, as
/// [`read`] does. `value_words` (the value's size in words) sets the spin between
/// attempts, as in [`read`].
///
/// `load` may read the value's words any way it likes, as long as it only loads
/// (Relaxed is enough: the fences around it order them) and acts on nothing it
/// read: a run that raced a write is thrown away, so `load` sees torn values and
/// may run several times. What the returned run loaded is one write's bytes.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
/// use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
///
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 4] = Default::default();
/// let mut w = SeqWriter::new(&ctl, &words);
/// w.write_in_place(|words| {
///     words[0].store(7, Relaxed);
///     words[3].store(9, Relaxed); // words 1 and 2 keep their values
/// });
/// // Two words of four, read in place: the same write's.
/// let got = seqlock::read_consistent(&ctl, words.len(), 1, || {
///     (words[0].load(Relaxed), words[3].load(Relaxed))
/// });
/// assert_eq!(got, Ok(((7, 9), 2)));
/// ```
pub fn read_consistent<R>(
    ctl: &SeqCtl,
    value_words: usize,
    attempts: u32,
    mut load: impl FnMut() -> R,
) -> Result<(R, u64), Busy> {
    let spins = 1 + value_words / SPIN_WORDS;
    for _ in 0..attempts {
        // Relaxed, then the Acquire fence: pairs with the Release store that ended a
        // write (`s + 2`), so the words it wrote are visible to the loads below. A
        // fence rather than an Acquire load, which a read-only mapping may not take
        // (module docs).
        let s1 = ctl.seq.load(Ordering::Relaxed);
        if s1.is_multiple_of(2) {
            fence(Ordering::Acquire);
            let got = load();
            // Acquire fence: pairs with the writer's Release fence after `s + 1`: if
            // any load above saw a word of a later write, the load of `seq` below sees
            // that write's odd number (or later).
            fence(Ordering::Acquire);
            // Relaxed: ordered by the fence above.
            let s2 = ctl.seq.load(Ordering::Relaxed);
            if s1 == s2 {
                return Ok((got, s1));
            }
        }
        for _ in 0..spins {
            spin_loop();
        }
    }
    Err(Busy)
}

/// The writer's side: its own sequence number (never re-read from the segment).
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicU64;
/// use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
///
/// let ctl = SeqCtl::new();
/// let words: [AtomicU64; 1] = Default::default();
/// let mut w = SeqWriter::new(&ctl, &words);
/// for v in 1..=3u64 {
///     assert!(w.write(&v.to_ne_bytes()));
/// }
/// let mut out = [0u8; 8];
/// assert_eq!(seqlock::read(&ctl, &words, &mut out, 1), Ok(6));
/// assert_eq!(u64::from_ne_bytes(out), 3);
/// ```
#[derive(Debug)]
pub struct SeqWriter<'a> {
    ctl: &'a SeqCtl,
    words: &'a [AtomicU64],
    /// Even; the shared `seq` when no write is in progress.
    seq: u64,
}

impl<'a> SeqWriter<'a> {
    /// Takes the writer's side. A dead writer may have left `seq` odd: start from
    /// the next even number, so that readers keep seeing "busy" until our first
    /// complete write.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::layout::seqlock::{self, Busy, SeqCtl, SeqWriter};
    ///
    /// let ctl = SeqCtl::new();
    /// let words: [AtomicU64; 1] = Default::default();
    /// ctl.seq.store(5, Ordering::Relaxed); // a writer died mid-write
    /// let mut w = SeqWriter::new(&ctl, &words); // continues from 6
    /// let mut out = [0u8; 8];
    /// assert_eq!(seqlock::read(&ctl, &words, &mut out, 10), Err(Busy));
    /// assert!(w.write(&1u64.to_ne_bytes()));
    /// assert_eq!(seqlock::read(&ctl, &words, &mut out, 1), Ok(8));
    /// ```
    pub fn new(ctl: &'a SeqCtl, words: &'a [AtomicU64]) -> SeqWriter<'a> {
        // Acquire: pairs with the previous writer's last Release store.
        let s = ctl.seq.load(Ordering::Acquire);
        SeqWriter {
            ctl,
            words,
            seq: s.wrapping_add(s % 2),
        }
    }

    /// Writes `src` as the new value; false (nothing written) if it does not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::seqlock::{SeqCtl, SeqWriter};
    ///
    /// let ctl = SeqCtl::new();
    /// let words: [AtomicU64; 2] = Default::default();
    /// let mut w = SeqWriter::new(&ctl, &words);
    /// assert!(w.write(&[7; 16]));
    /// assert!(!w.write(&[7; 17])); // does not fit: nothing written
    /// ```
    pub fn write(&mut self, src: &[u8]) -> bool {
        if src.len().div_ceil(crate::layout::WORD) > self.words.len() {
            return false;
        }
        self.write_in_place(|words| {
            let stored = store_words(words, src);
            debug_assert!(stored, "size checked above");
        });
        true
    }

    /// Writes the value in place: `store` stores into the value's words (any it
    /// likes, only by atomic stores; the words it leaves keep their values), and
    /// readers see the value before or after the whole call, never a mix. If
    /// `store` unwinds, the write is left open (`seq` odd), as a writer killed
    /// mid-write leaves it: readers get [`Busy`] until the next complete write,
    /// never the half-written value.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
    /// use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
    ///
    /// let ctl = SeqCtl::new();
    /// let words: [AtomicU64; 2] = Default::default();
    /// let mut w = SeqWriter::new(&ctl, &words);
    /// w.write_in_place(|words| words[1].store(5, Relaxed));
    /// let mut out = [0u8; 16];
    /// assert_eq!(seqlock::read(&ctl, &words, &mut out, 1), Ok(2));
    /// assert_eq!(out[8], 5);
    /// ```
    pub fn write_in_place<R>(&mut self, store: impl FnOnce(&'a [AtomicU64]) -> R) -> R {
        let s = self.seq;
        // Relaxed store, then the Release fence: every word store below is ordered
        // after `s + 1`; pairs with the Acquire fence in `read_consistent`.
        self.ctl.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let r = store(self.words);
        // Release: publishes the words; pairs with the Acquire fence after the load
        // of `s1` in `read_consistent`.
        self.ctl.seq.store(s.wrapping_add(2), Ordering::Release);
        self.seq = s.wrapping_add(2);
        r
    }

    /// The wake check after a write (module docs, "Watching for a change"): true
    /// if watchers announced themselves; `ctl.watchers` is then at its next
    /// epoch and the caller futex-wakes every waiter on its low half. The typed writer runs it
    /// after every write; a writer that leaves it out lets watchers sleep through
    /// its writes.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::seqlock::{SeqCtl, SeqWriter};
    ///
    /// let ctl = SeqCtl::new();
    /// let words: [AtomicU64; 1] = Default::default();
    /// let mut w = SeqWriter::new(&ctl, &words);
    /// w.write(&[3; 8]);
    /// assert!(!w.wake_check()); // nobody watches: one fence and one load
    /// ```
    #[inline]
    pub fn wake_check(&self) -> bool {
        watch::take_watchers(&self.ctl.watchers)
    }

    /// The control block this writer writes.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::seqlock::{SeqCtl, SeqWriter};
    ///
    /// let ctl = SeqCtl::new();
    /// let words: [AtomicU64; 1] = Default::default();
    /// assert!(core::ptr::eq(SeqWriter::new(&ctl, &words).ctl(), &ctl));
    /// ```
    pub fn ctl(&self) -> &'a SeqCtl {
        self.ctl
    }

    /// Starts a write and never finishes it, as a writer killed mid-write would
    /// (for tests of the readers' bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::AtomicU64;
    /// use sysv_ipc::layout::seqlock::{self, Busy, SeqCtl, SeqWriter};
    ///
    /// let ctl = SeqCtl::new();
    /// let words: [AtomicU64; 1] = Default::default();
    /// SeqWriter::new(&ctl, &words).begin_and_abandon();
    /// assert_eq!(seqlock::read(&ctl, &words, &mut [0u8; 8], 10), Err(Busy));
    /// ```
    #[doc(hidden)]
    pub fn begin_and_abandon(&mut self) {
        // Relaxed: the state a crash leaves; nothing to order.
        self.ctl
            .seq
            .store(self.seq.wrapping_add(1), Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn reads_what_was_written_and_refuses_a_dead_writers_half_write() {
        let ctl = SeqCtl::new();
        let words: [AtomicU64; 3] = core::array::from_fn(|_| AtomicU64::new(0));
        let mut w = SeqWriter::new(&ctl, &words);
        let mut out = [0u8; 20];
        assert_eq!(read(&ctl, &words, &mut out, 1), Ok(0));
        assert_eq!(out, [0; 20]);
        assert!(w.write(&[7; 20]));
        assert_eq!(read(&ctl, &words, &mut out, 1), Ok(2));
        assert_eq!(out, [7; 20]);
        assert!(!w.write(&[1; 25]), "does not fit");
        assert!(read(&ctl, &words, &mut [0u8; 25], 3).is_err());

        w.begin_and_abandon();
        assert_eq!(read(&ctl, &words, &mut out, 100), Err(Busy));
        // A new writer after the dead one: busy until its first write completes.
        let mut w2 = SeqWriter::new(&ctl, &words);
        assert_eq!(read(&ctl, &words, &mut out, 10), Err(Busy));
        assert!(w2.write(&[9; 20]));
        assert_eq!(read(&ctl, &words, &mut out, 1), Ok(6));
        assert_eq!(out, [9; 20]);
    }
}
