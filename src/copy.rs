//! The copy primitive: bytes between shared memory and local memory, by Relaxed
//! atomic accesses only.
//!
//! A peer process may write a segment at any moment, so the crate never reads or
//! writes segment bytes with plain (or volatile) accesses: under Rust's memory model
//! a plain access that races with a peer's write is a data race, i.e. undefined
//! behaviour, and `read_volatile`'s docs say volatile "behaves exactly like
//! non-atomic accesses" in that respect. Every access here is an atomic one, so a
//! racing peer can make the *bytes* inconsistent (a torn copy) but never cause UB.
//!
//! # Granularity: fixed by the address, not by the operation
//!
//! Rust (like C++) also forbids *mixed-size* races: two unsynchronised atomic
//! accesses that partially overlap must not differ in size unless both are reads
//! (`core::sync::atomic`, "Memory model for atomic accesses"). So a [`Region`] of `len`
//! bytes (starting 8-aligned) is always accessed the same way, whatever the offset
//! and length of a copy:
//!
//! - bytes `0..len / 8 * 8` as aligned `u64` words: a word a copy covers entirely is
//!   loaded or stored whole; a word it covers partly is loaded whole (and the wanted
//!   bytes picked), or written by a compare-exchange on the whole word that replaces
//!   the wanted bytes at once and leaves the others untouched even if a peer writes
//!   them at the same time (a reader sees the word before or after, never a mix of
//!   old and new bits; only against a peer that rewrites that very word through 64
//!   exchanges in a row does it fall back to two read-modify-writes, see
//!   `store_masked`);
//! - the last `len % 8` bytes, where no whole word fits, as single bytes.
//!
//! Two copies, whatever their ranges, therefore only ever meet with same-size
//! accesses at the same address.
//!
//! # Speed
//!
//! Every copy between a segment and local memory (`Shm`, `Attachment`, a
//! `SeqLock`'s value, a `Queue`'s slots) runs its whole words through one loop,
//! [`load_run`] / [`store_run`]. On x86_64 and aarch64 a Relaxed aligned 8-byte load
//! or store is a plain `mov`/`ldr`/`str`, but the compiler never merges atomic
//! accesses into wider (vector) ones, so the copy moves 8 bytes per instruction
//! where `memcpy` moves 32 or 64. Measured in one process on an AMD EPYC (Zen 4,
//! AVX-512; `benches/ipc.rs`, group `copy`, README "Copies of whole values"): for
//! 4 MiB, where both run at cache bandwidth, the copy runs at `memcpy`'s speed
//! (0.96–1.02× its time); for 4 KiB, which stays in L1, it takes 1.33–1.53× the
//! time of the bench's `memcpy` call (and 2.3–3× that of a `memcpy` in a tight
//! loop), bound by two 8-byte stores per cycle.
//!
//! A read-only attachment is read through a [`ReadRegion`], which can only load.
//!
//! # Safety
//!
//! The algorithms work on `&[AtomicU64]` and `&[AtomicU8]` slices and contain no
//! `unsafe`. The one `unsafe` piece is building those slices over segment memory
//! ([`Region::from_raw`], [`ReadRegion::from_raw`], `#[cfg(not(loom))]`): the
//! caller vouches for the mapping (alignment, length, lifetime), and the SAFETY
//! lines quote what `core::slice::from_raw_parts` and the atomics' documentation
//! require.
#![allow(unsafe_code)]

use crate::shm::OutOfBounds;
use crate::sync::{AtomicU8, AtomicU64, Ordering::Relaxed};

/// Bytes per word: the copy's unit inside the word zone.
// Under loom only the pure copy functions have users (the segment views that build
// regions are `not(loom)`); the regions still compile there, on loom's atomics.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) const WORD: usize = 8;

/// Copies `src` to the start of `dst`, as many bytes as the shorter has: what
/// `copy_from_slice` does for the equal lengths every caller passes, without its
/// length-mismatch panic: at `opt-level = "z"` `copy_from_slice`'s body stays out of
/// line, so the compiler cannot see that the lengths agree and keeps the check and
/// its formatting panic (`len_mismatch_fail` → `panic_fmt`) in every `no_std` binary
/// that copies a value (measured with `examples/nostd-static`). The loop compiles to
/// `memcpy` or a few moves.
#[inline]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Words a run copies per round: [`load_run`] loads this many before it stores any
/// (benches/ipc.rs, group `copy`; 8 beat 1, 4 and 16 in a one-process comparison on an
/// AMD EPYC, 0.36× against 0.31× of `memcpy`'s bandwidth at 4 KiB, 0.88× against
/// 0.76× at 4 MiB).
const RUN_BLOCK: usize = 8;

/// Loads `words[i]` into `dst[8 * i..8 * i + 8]` for every whole word both have
/// (`min(words.len(), dst.len() / 8)` of them): Relaxed 8-byte loads, the one access
/// the word zone ever gets from a reader, so the granularity rules above hold.
///
/// The speed of every whole-word copy (Shm, Attachment, the seqlock's value, queue
/// slots) is this loop's: by blocks of [`RUN_BLOCK`] words, loaded all into registers
/// and then stored to `dst` (which may have any alignment: `[u8; 8]` stores are
/// unaligned moves), so the loads of a block are in flight together. Atomic
/// accesses are never merged or widened by the compiler, so this is as fast as
/// 8-byte moves go; a vectorised `memcpy` is faster still where both sides sit in L1
/// (module docs).
#[inline]
pub(crate) fn load_run(words: &[AtomicU64], dst: &mut [u8]) {
    let (dst, _) = dst.as_chunks_mut::<WORD>();
    let (word_blocks, _) = words.as_chunks::<RUN_BLOCK>();
    let (dst_blocks, _) = dst.as_chunks_mut::<RUN_BLOCK>();
    let done = word_blocks.len().min(dst_blocks.len()) * RUN_BLOCK;
    for (block, out) in word_blocks.iter().zip(dst_blocks) {
        let mut values = [0u64; RUN_BLOCK];
        for (v, word) in values.iter_mut().zip(block) {
            *v = word.load(Relaxed);
        }
        for (o, v) in out.iter_mut().zip(values) {
            *o = v.to_ne_bytes();
        }
    }
    // Fewer than RUN_BLOCK words are left in one of the two: word by word.
    let words = words.get(done..).unwrap_or_default();
    let dst = dst.get_mut(done..).unwrap_or_default();
    for (word, out) in words.iter().zip(dst) {
        *out = word.load(Relaxed).to_ne_bytes();
    }
}

/// Stores `src[8 * i..8 * i + 8]` into `words[i]` for every whole word both have:
/// Relaxed 8-byte stores, by blocks as [`load_run`] (`src` may have any alignment:
/// `u64::from_ne_bytes` of an `[u8; 8]` is an unaligned load).
#[inline]
pub(crate) fn store_run(words: &[AtomicU64], src: &[u8]) {
    let (src, _) = src.as_chunks::<WORD>();
    let (word_blocks, _) = words.as_chunks::<RUN_BLOCK>();
    let (src_blocks, _) = src.as_chunks::<RUN_BLOCK>();
    let done = word_blocks.len().min(src_blocks.len()) * RUN_BLOCK;
    for (block, input) in word_blocks.iter().zip(src_blocks) {
        for (word, bytes) in block.iter().zip(input) {
            word.store(u64::from_ne_bytes(*bytes), Relaxed);
        }
    }
    let words = words.get(done..).unwrap_or_default();
    let src = src.get(done..).unwrap_or_default();
    for (word, bytes) in words.iter().zip(src) {
        word.store(u64::from_ne_bytes(*bytes), Relaxed);
    }
}

// The read-only path loads 8-byte words from memory mapped without write permission.
// std ("Atomic accesses to read-only memory", core::sync::atomic) allows Relaxed
// atomic loads on read-only memory up to a per-target size; 8 bytes on these.
// This is the language's list, not the crate's: the crate also needs a real backend,
// and those admit x86_64 and aarch64 alone (the kernel structs are pinned for no
// others), saying so in their own compile errors before this crate is compiled.
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "loongarch64",
    target_arch = "powerpc64",
    target_arch = "riscv64",
    target_arch = "s390x",
    target_arch = "sparc64",
    target_arch = "mips64",
)))]
compile_error!(
    "sysv-ipc: Relaxed 8-byte atomic loads from read-only memory are only documented \
     to be sound on 64-bit targets (see core::sync::atomic)"
);

/// `len` bytes of shared memory as the copy sees them: `words` cover the first
/// `len / 8 * 8` bytes, `tail` the remaining `len % 8` (fewer than 8).
#[derive(Copy, Clone, Debug)]
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct Region<'a> {
    words: &'a [AtomicU64],
    tail: &'a [AtomicU8],
}

/// A [`Region`] that can only be read: built over read-only mappings.
#[derive(Copy, Clone, Debug)]
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct ReadRegion<'a>(Region<'a>);

#[cfg_attr(loom, allow(dead_code))]
impl<'a> Region<'a> {
    /// The region made of `words` followed by `tail`; `None` if `tail` has 8 bytes
    /// or more (then it would hold a whole word, which must be accessed as one).
    #[cfg_attr(not(any(test, loom)), allow(dead_code))]
    pub(crate) fn new(words: &'a [AtomicU64], tail: &'a [AtomicU8]) -> Option<Self> {
        (tail.len() < WORD).then_some(Region { words, tail })
    }

    /// The region over the `len` bytes at `base`.
    ///
    /// # Safety
    ///
    /// - `base` is aligned to 8 and `len <= isize::MAX`;
    /// - the `len` bytes at `base` are one mapping, readable and writable, and stay
    ///   so for `'a`;
    /// - for `'a`, this process accesses them only atomically (other processes may
    ///   do anything).
    #[cfg(not(loom))]
    pub(crate) unsafe fn from_raw(base: *mut u8, len: usize) -> Self {
        let nwords = len / WORD;
        // In bounds of the mapping: nwords * 8 <= len.
        let tail_base = base.wrapping_add(nwords * WORD);
        // SAFETY: from_raw_parts needs (core::slice::from_raw_parts, 1.95): `data`
        // non-null, aligned and valid for reads of `len * size_of::<T>()` bytes in one
        // allocated object, pointing to initialised values of T, not mutated for 'a
        // except inside an UnsafeCell, total size <= isize::MAX. The caller gives an
        // 8-aligned mapping of at least nwords * 8 <= len <= isize::MAX bytes that lives
        // for 'a; AtomicU64 has size and alignment 8 (asserted in sync.rs); every bit
        // pattern is an initialised u64 (segment memory is zero-filled by the kernel
        // and only ever written, by us or a peer, with whole bytes); mutation by peers
        // happens inside AtomicU64's UnsafeCell. AtomicU64::from_ptr's rules (valid for
        // reads and writes for 'a, no mixed atomic/non-atomic access) are the caller's
        // last two promises.
        let words = unsafe { core::slice::from_raw_parts(base.cast::<AtomicU64>(), nwords) };
        // SAFETY: as above for the `len % 8` bytes after the words, which lie inside
        // the same mapping; AtomicU8 has size and alignment 1.
        let tail = unsafe { core::slice::from_raw_parts(tail_base.cast::<AtomicU8>(), len % WORD) };
        Region { words, tail }
    }

    /// Size in bytes.
    pub(crate) fn len(&self) -> usize {
        // Cannot overflow: the words are in memory.
        self.words.len() * WORD + self.tail.len()
    }

    /// Bytes covered by whole words: the word zone is `0..words_end()`.
    fn words_end(&self) -> usize {
        self.words.len() * WORD
    }

    /// `offset + len`, if that range lies inside the region.
    fn end(&self, offset: usize, len: usize) -> Result<usize, OutOfBounds> {
        let size = self.len();
        offset
            .checked_add(len)
            .filter(|&end| end <= size)
            .ok_or(OutOfBounds { offset, len, size })
    }

    /// Copies the `dst.len()` bytes at `offset` into `dst`: Relaxed loads only.
    pub(crate) fn read(&self, offset: usize, dst: &mut [u8]) -> Result<(), OutOfBounds> {
        let end = self.end(offset, dst.len())?;
        let oob = OutOfBounds {
            offset,
            len: dst.len(),
            size: self.len(),
        };
        let words_end = self.words_end();
        let mut pos = offset;
        let mut rest = dst;
        while pos < end {
            if pos >= words_end {
                // The bytes after the last whole word: one byte at a time.
                let src = self.tail.get(pos - words_end..end - words_end).ok_or(oob)?;
                for (s, d) in src.iter().zip(rest.iter_mut()) {
                    *d = s.load(Relaxed);
                }
                break;
            }
            let (w, at) = (pos / WORD, pos % WORD);
            if at == 0 && end - pos >= WORD {
                // A run of whole words (at least one, since pos < words_end).
                let n = (end.min(words_end) - pos) / WORD;
                let words = self.words.get(w..w + n).ok_or(oob)?;
                let (head, tail) = rest.split_at_mut_checked(n * WORD).ok_or(oob)?;
                load_run(words, head);
                pos += n * WORD;
                rest = tail;
            } else {
                // Part of one word: load it whole, keep the wanted bytes.
                let n = (WORD - at).min(end - pos);
                let bytes = self.words.get(w).ok_or(oob)?.load(Relaxed).to_ne_bytes();
                let (head, tail) = rest.split_at_mut_checked(n).ok_or(oob)?;
                copy_bytes(head, bytes.get(at..at + n).ok_or(oob)?);
                pos += n;
                rest = tail;
            }
        }
        Ok(())
    }

    /// Copies `src` to the bytes at `offset`: Relaxed stores, and a Relaxed
    /// compare-exchange on each word that `src` covers only partly ([`store_masked`]).
    pub(crate) fn write(&self, offset: usize, src: &[u8]) -> Result<(), OutOfBounds> {
        let end = self.end(offset, src.len())?;
        let oob = OutOfBounds {
            offset,
            len: src.len(),
            size: self.len(),
        };
        let words_end = self.words_end();
        let mut pos = offset;
        let mut rest = src;
        while pos < end {
            if pos >= words_end {
                let dst = self.tail.get(pos - words_end..end - words_end).ok_or(oob)?;
                for (d, &s) in dst.iter().zip(rest) {
                    d.store(s, Relaxed);
                }
                break;
            }
            let (w, at) = (pos / WORD, pos % WORD);
            if at == 0 && end - pos >= WORD {
                let n = (end.min(words_end) - pos) / WORD;
                let words = self.words.get(w..w + n).ok_or(oob)?;
                let (head, tail) = rest.split_at_checked(n * WORD).ok_or(oob)?;
                store_run(words, head);
                pos += n * WORD;
                rest = tail;
            } else {
                let n = (WORD - at).min(end - pos);
                let (head, tail) = rest.split_at_checked(n).ok_or(oob)?;
                let mut value = [0u8; WORD];
                let mut mask = [0u8; WORD];
                copy_bytes(value.get_mut(at..at + n).ok_or(oob)?, head);
                mask.get_mut(at..at + n).ok_or(oob)?.fill(0xff);
                let (value, mask) = (u64::from_ne_bytes(value), u64::from_ne_bytes(mask));
                store_masked(self.words.get(w).ok_or(oob)?, value, mask);
                pos += n;
                rest = tail;
            }
        }
        Ok(())
    }

    /// The whole word at `offset` (8-aligned, inside the word zone).
    pub(crate) fn word(&self, offset: usize) -> Option<&'a AtomicU64> {
        if !offset.is_multiple_of(WORD) {
            return None;
        }
        self.words.get(offset / WORD)
    }

    /// Relaxed load of the `u64` at `offset` (8-aligned, inside the word zone).
    pub(crate) fn load_u64(&self, offset: usize) -> Option<u64> {
        self.word(offset).map(|w| w.load(Relaxed))
    }

    /// Relaxed load of the `u32` at `offset` (4-aligned, inside the word zone): the
    /// containing word is loaded, so the access has the region's usual size.
    pub(crate) fn load_u32(&self, offset: usize) -> Option<u32> {
        if !offset.is_multiple_of(4) {
            return None;
        }
        let (w, at) = (offset / WORD, offset % WORD);
        let bytes = self.words.get(w)?.load(Relaxed).to_ne_bytes();
        let mut out = [0u8; 4];
        copy_bytes(&mut out, bytes.get(at..at + 4)?);
        Some(u32::from_ne_bytes(out))
    }

    /// Relaxed load of the byte at `offset`: from its word, or a tail byte.
    pub(crate) fn load_u8(&self, offset: usize) -> Option<u8> {
        let words_end = self.words_end();
        if offset < words_end {
            let bytes = self.words.get(offset / WORD)?.load(Relaxed).to_ne_bytes();
            bytes.get(offset % WORD).copied()
        } else {
            self.tail.get(offset - words_end).map(|b| b.load(Relaxed))
        }
    }
}

/// Compare-exchange rounds [`store_masked`] tries before it falls back to two
/// read-modify-writes. A round fails only when the word changed since its load,
/// i.e. another process wrote this same word in that window; 64 failures in a row
/// mean a writer that never pauses, and the bound keeps a call's work finite (the
/// real-time promise) even then.
const MASKED_CAS_ROUNDS: u32 = 64;

/// Replaces the bytes of `word` that `mask` selects by those of `value` (which is 0
/// outside `mask`), leaving the other bytes as they are even if a peer writes them
/// meanwhile.
///
/// One compare-exchange replaces the selected bytes at once, so a reader sees the
/// word either before or after this write, never a mixture of old and new bits in
/// the bytes written. Only when a peer changes the same word between our load and
/// every one of [`MASKED_CAS_ROUNDS`] exchanges does the write fall back to
/// `fetch_and` (clear to `old & value`) then `fetch_or` (set to `value`): still only
/// the selected bytes change and the result is `value`, but in between a reader could
/// see `old & value` there, bytes nobody wrote. That takes a peer storing to the
/// word without pause for the whole call, which no single-writer protocol here
/// does; the module docs say so.
fn store_masked(word: &AtomicU64, value: u64, mask: u64) {
    let mut old = word.load(Relaxed);
    for _ in 0..MASKED_CAS_ROUNDS {
        match word.compare_exchange_weak(old, (old & !mask) | value, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(now) => old = now,
        }
    }
    // Inside `mask`: the AND leaves old & value, the OR makes it value. Outside: AND
    // with ones and OR with zeros change nothing, so a peer's write there survives.
    word.fetch_and(value | !mask, Relaxed);
    word.fetch_or(value, Relaxed);
}

#[cfg_attr(loom, allow(dead_code))]
impl<'a> ReadRegion<'a> {
    /// A read-only view of `region`.
    #[cfg_attr(not(any(test, loom)), allow(dead_code))]
    pub(crate) fn new(region: Region<'a>) -> Self {
        ReadRegion(region)
    }

    /// The read-only region over the `len` bytes at `base`.
    ///
    /// # Safety
    ///
    /// - `base` is aligned to 8 and `len <= isize::MAX`;
    /// - the `len` bytes at `base` are one mapping, readable (writable or not), and
    ///   stay so for `'a`;
    /// - for `'a`, this process accesses them only atomically.
    #[cfg(not(loom))]
    pub(crate) unsafe fn from_raw(base: *const u8, len: usize) -> Self {
        let nwords = len / WORD;
        let tail_base = base.wrapping_add(nwords * WORD);
        // SAFETY: as in Region::from_raw, except that the memory may be mapped
        // read-only. A ReadRegion only ever performs Relaxed loads of 1 or 8 bytes,
        // and core::sync::atomic ("Atomic accesses to read-only memory", 1.95) says
        // "'sufficiently small' atomic loads with Ordering::Relaxed are implemented in
        // a way that works on read-only memory, and are hence not undefined
        // behavior", with a limit of 8 bytes on the 64-bit targets this module
        // compiles for (see the compile_error above).
        let words = unsafe { core::slice::from_raw_parts(base.cast::<AtomicU64>(), nwords) };
        // SAFETY: as above, for the `len % 8` tail bytes (1-byte Relaxed loads).
        let tail = unsafe { core::slice::from_raw_parts(tail_base.cast::<AtomicU8>(), len % WORD) };
        ReadRegion(Region { words, tail })
    }

    /// See [`Region::read`].
    pub(crate) fn read(&self, offset: usize, dst: &mut [u8]) -> Result<(), OutOfBounds> {
        self.0.read(offset, dst)
    }

    /// See [`Region::load_u64`].
    pub(crate) fn load_u64(&self, offset: usize) -> Option<u64> {
        self.0.load_u64(offset)
    }

    /// See [`Region::load_u32`].
    pub(crate) fn load_u32(&self, offset: usize) -> Option<u32> {
        self.0.load_u32(offset)
    }

    /// See [`Region::load_u8`].
    pub(crate) fn load_u8(&self, offset: usize) -> Option<u8> {
        self.0.load_u8(offset)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    // Every combination up to 9 words (a run's block of 8 and one more) and a 1-byte
    // tail; Miri, about 100x slower, still covers two words and every tail length
    // (`runs_copy_whole_words_at_any_local_alignment` gives it the blocks).
    const MAX_LEN: usize = if cfg!(miri) { 23 } else { 73 };

    /// Backing store for regions of up to MAX_LEN bytes: 9 words and up to 7 tail bytes.
    struct Store {
        words: [AtomicU64; MAX_LEN / WORD],
        tail: [AtomicU8; WORD - 1],
    }

    impl Store {
        fn new() -> Store {
            Store {
                words: core::array::from_fn(|_| AtomicU64::new(0)),
                tail: core::array::from_fn(|_| AtomicU8::new(0)),
            }
        }

        fn region(&self, len: usize) -> Region<'_> {
            Region::new(&self.words[..len / WORD], &self.tail[..len % WORD]).unwrap()
        }
    }

    fn pattern(seed: u8, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            *b = seed.wrapping_mul(31).wrapping_add(i as u8).wrapping_mul(7) | 1;
        }
    }

    /// Every region length, offset and copy length up to MAX_LEN bytes, against a
    /// plain byte array with copy_from_slice as the reference.
    #[test]
    fn read_and_write_match_memcpy_for_every_alignment_and_length() {
        let mut cases = 0usize;
        for len in 0..=MAX_LEN {
            for offset in 0..=len {
                for n in 0..=len - offset {
                    let store = Store::new();
                    let region = store.region(len);
                    assert_eq!(region.len(), len);
                    let mut reference = [0u8; MAX_LEN];
                    pattern(len as u8, &mut reference[..len]);
                    region.write(0, &reference[..len]).unwrap();

                    let mut got = [0u8; MAX_LEN];
                    region.read(offset, &mut got[..n]).unwrap();
                    assert_eq!(
                        got[..n],
                        reference[offset..offset + n],
                        "read {len}/{offset}/{n}"
                    );

                    let mut src = [0u8; MAX_LEN];
                    pattern(n as u8 ^ 0x5a, &mut src[..n]);
                    region.write(offset, &src[..n]).unwrap();
                    reference[offset..offset + n].copy_from_slice(&src[..n]);
                    let mut all = [0u8; MAX_LEN];
                    region.read(0, &mut all[..len]).unwrap();
                    assert_eq!(all[..len], reference[..len], "write {len}/{offset}/{n}");
                    cases += 1;
                }
            }
        }
        // sum over len of (len + 1)(len + 2) / 2 = C(MAX_LEN + 3, 3)
        assert_eq!(cases, (MAX_LEN + 3) * (MAX_LEN + 2) * (MAX_LEN + 1) / 6);
    }

    /// The runs' blocks and remainders: every word count up to three blocks and a
    /// half, the local side at every misalignment, against the plain bytes; a
    /// shorter side on either end ends the copy there and leaves the rest alone.
    #[test]
    fn runs_copy_whole_words_at_any_local_alignment() {
        extern crate std;
        use std::vec;
        use std::vec::Vec;

        const N: usize = if cfg!(miri) {
            2 * RUN_BLOCK + 3
        } else {
            3 * RUN_BLOCK + 5
        };
        for n in 0..=N {
            for skew in 0..WORD {
                let words: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
                let mut buf = vec![0u8; skew + n * WORD];
                pattern(n as u8 ^ skew as u8, &mut buf);
                let src = &buf[skew..];
                store_run(&words, src);
                for (i, w) in words.iter().enumerate() {
                    let want = &src[i * WORD..][..WORD];
                    assert_eq!(w.load(Relaxed).to_ne_bytes(), want, "store {n}/{skew}/{i}");
                }

                let mut out = vec![0u8; skew + n * WORD];
                load_run(&words, &mut out[skew..]);
                assert_eq!(out[skew..], *src, "load {n}/{skew}");
                assert!(out[..skew].iter().all(|&b| b == 0), "before the run");

                // A local side 1..=7 bytes short of the last word: that word is
                // neither loaded into it nor stored from it.
                if n > 0 {
                    let cut = (n - 1) * WORD + skew % 7 + 1;
                    let mut short = vec![0xee; cut];
                    load_run(&words, &mut short);
                    assert_eq!(short[..(n - 1) * WORD], src[..(n - 1) * WORD]);
                    assert!(short[(n - 1) * WORD..].iter().all(|&b| b == 0xee));

                    let before = words[n - 1].load(Relaxed);
                    store_run(&words, &[0x11; N * WORD][..cut]);
                    assert_eq!(words[n - 1].load(Relaxed), before, "partial word stored");
                    assert!(
                        words[..n - 1]
                            .iter()
                            .all(|w| w.load(Relaxed) == 0x1111_1111_1111_1111)
                    );
                }
                // Fewer words than bytes: the words are filled, the rest ignored.
                if n > 0 {
                    let mut long = vec![0u8; (n + 3) * WORD];
                    load_run(&words[..n - 1], &mut long);
                    assert!(long[(n - 1) * WORD..].iter().all(|&b| b == 0));
                }
            }
        }
    }

    #[test]
    fn out_of_bounds_is_an_error_never_a_panic() {
        let store = Store::new();
        let region = store.region(20);
        let mut buf = [0u8; 8];
        assert_eq!(
            region.read(13, &mut buf),
            Err(OutOfBounds {
                offset: 13,
                len: 8,
                size: 20
            })
        );
        assert!(region.write(20, &buf[..1]).is_err());
        assert!(region.write(20, &buf[..0]).is_ok());
        assert!(region.read(usize::MAX, &mut buf).is_err());
        assert!(region.write(usize::MAX - 3, &buf).is_err());
        assert!(region.read(21, &mut buf[..0]).is_err());
    }

    #[test]
    fn loads_pick_bytes_of_the_containing_word() {
        let store = Store::new();
        let region = store.region(21);
        let mut bytes = [0u8; 21];
        pattern(9, &mut bytes);
        region.write(0, &bytes).unwrap();
        for (off, &byte) in bytes.iter().enumerate() {
            assert_eq!(region.load_u8(off), Some(byte));
        }
        assert_eq!(region.load_u8(21), None);
        let u32_at = |o: usize| u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
        assert_eq!(region.load_u32(4), Some(u32_at(4)));
        assert_eq!(region.load_u32(12), Some(u32_at(12)));
        assert_eq!(region.load_u32(2), None, "misaligned");
        assert_eq!(region.load_u32(16), None, "tail zone: no whole word");
        let u64_at = |o: usize| u64::from_ne_bytes(bytes[o..o + 8].try_into().unwrap());
        assert_eq!(region.load_u64(8), Some(u64_at(8)));
        assert_eq!(region.load_u64(4), None);
        assert_eq!(region.load_u64(16), None);
        let ro = ReadRegion::new(region);
        assert_eq!(ro.load_u64(0), Some(u64_at(0)));
        assert_eq!(ro.load_u32(8), Some(u32_at(8)));
        assert_eq!(ro.load_u8(20), Some(bytes[20]));
    }

    #[test]
    fn partial_word_write_keeps_the_other_bytes() {
        let store = Store::new();
        let region = store.region(16);
        region.write(0, &[0xff; 16]).unwrap();
        region.write(3, &[0x00, 0x12]).unwrap();
        let mut out = [0u8; 16];
        region.read(0, &mut out).unwrap();
        let mut want = [0xff; 16];
        want[3] = 0;
        want[4] = 0x12;
        assert_eq!(out, want);
    }

    /// The raw constructors over ordinary memory (also what Miri checks: alignment,
    /// provenance, bounds of the slices they build).
    #[test]
    fn from_raw_matches_the_slice_view() {
        let mut backing = [0u64; 4];
        let base = backing.as_mut_ptr().cast::<u8>();
        // SAFETY: `backing` is a live, 8-aligned local of 32 bytes; 29 of them are used
        // only through the region until it is dropped at the end of this scope.
        let region = unsafe { Region::from_raw(base, 29) };
        assert_eq!(region.len(), 29);
        let mut bytes = [0u8; 29];
        pattern(3, &mut bytes);
        region.write(0, &bytes).unwrap();
        let mut back = [0u8; 29];
        // SAFETY: as above; the read-only view only loads.
        let ro = unsafe { ReadRegion::from_raw(base, 29) };
        ro.read(0, &mut back).unwrap();
        assert_eq!(back, bytes);
    }
}

/// The partial-word write under loom: every interleaving of a writer and a reader
/// (and a peer writing the word's other bytes) shows the written bytes all old or
/// all new, and loses neither writer's bytes.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    const OLD: u8 = 0x0f;
    const NEW: u8 = 0xf0;

    fn word_bytes(word: &AtomicU64) -> [u8; WORD] {
        word.load(Relaxed).to_ne_bytes()
    }

    #[test]
    fn a_partial_word_write_is_seen_whole_or_not_at_all() {
        loom::model(|| {
            let words = Arc::new([AtomicU64::new(u64::from_ne_bytes([OLD; WORD]))]);
            let writer = {
                let words = Arc::clone(&words);
                thread::spawn(move || {
                    let region = Region::new(&words[..], &[]).unwrap();
                    region.write(2, &[NEW, NEW]).unwrap();
                })
            };
            let peer = {
                let words = Arc::clone(&words);
                thread::spawn(move || {
                    let region = Region::new(&words[..], &[]).unwrap();
                    region.write(6, &[NEW]).unwrap();
                })
            };
            let reader = {
                let words = Arc::clone(&words);
                thread::spawn(move || word_bytes(&words[0]))
            };
            let seen = reader.join().unwrap();
            assert!(
                seen[2..4] == [OLD, OLD] || seen[2..4] == [NEW, NEW],
                "bytes nobody wrote: {seen:02x?}"
            );
            writer.join().unwrap();
            peer.join().unwrap();
            let end = word_bytes(&words[0]);
            assert_eq!(end, [OLD, OLD, NEW, NEW, OLD, OLD, NEW, OLD]);
        });
    }
}
