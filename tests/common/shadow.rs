//! Plain shadows of payload words for the loom models (`tests/loom.rs`,
//! `tests/loom_mpsc.rs`, `tests/loom_broadcast.rs`). Included with `#[path]`: not
//! a test target of its own.
//!
//! The payload words are atomics, so a consumer still reading a slot that a
//! producer already rewrites is no race loom sees, and loom has no load
//! buffering to show the torn value. A model that writes and reads each payload
//! word through its shadow too makes the hand-back visible: the shadow is a
//! `loom::cell::UnsafeCell`, whose accesses loom checks for causality, so a write
//! not ordered after the read of the slot's previous value (by the Release store
//! that hands the slot back and the Acquire load that takes it) fails the model
//! with "Causality violation: Concurrent read and write accesses to
//! `UnsafeCell`".

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicU64;

/// One shadow per word of a model's payload memory.
pub struct Shadows(Vec<Shadow>);

struct Shadow(UnsafeCell<u64>);

// SAFETY: every access goes through loom's `with`/`with_mut`, which fails the
// model on two accesses not ordered by happens-before (one of them a write),
// before the pointer is used.
unsafe impl Sync for Shadow {}

impl Shadows {
    /// Shadows for `words` words.
    pub fn new(words: usize) -> Shadows {
        Shadows((0..words).map(|_| Shadow(UnsafeCell::new(0))).collect())
    }

    /// The shadow of `slot`'s first word, `slot` being within `memory`.
    fn of(&self, memory: &[AtomicU64], slot: &[AtomicU64]) -> &UnsafeCell<u64> {
        let word = (slot.as_ptr() as usize - memory.as_ptr() as usize) / size_of::<AtomicU64>();
        &self.0[word].0
    }

    /// A producer's write of `v` to `slot`, before it stores the word.
    pub fn write(&self, memory: &[AtomicU64], slot: &[AtomicU64], v: u64) {
        // SAFETY: `with_mut` checked that no access of the shadow races this one.
        self.of(memory, slot).with_mut(|p| unsafe { *p = v });
    }

    /// A consumer's read of `slot`, whose word it loaded as `v`: the shadow
    /// agrees.
    pub fn check(&self, memory: &[AtomicU64], slot: &[AtomicU64], v: u64) {
        // SAFETY: `with` checked that no write of the shadow races this read.
        let shadow = self.of(memory, slot).with(|p| unsafe { *p });
        assert_eq!(shadow, v, "the shadow of a slot disagrees with its word");
    }
}
