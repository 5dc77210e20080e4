//! The one place that names the atomics: `core::sync::atomic` normally, `loom`'s
//! under `--cfg loom`, so that the lock-free code (the copy primitive now, the
//! seqlock and ring layouts later) runs unchanged inside a loom model.
//!
//! loom's atomics are tracked runtime objects, not layout-compatible with real ones:
//! they cannot be laid over segment memory. Code that builds atomics from a pointer
//! into a segment is therefore `#[cfg(not(loom))]`; the algorithms take references to
//! these types and never know where the memory came from.

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicU64, Ordering};

// Cross-process atomics must be lock-free: a lock-based fallback would be a lock
// private to each process. Rust only provides `AtomicU64` where the target has
// native 64-bit atomics, and those are lock-free; the assert makes the requirement
// visible instead of a missing-type error somewhere else.
#[cfg(not(target_has_atomic = "64"))]
compile_error!("sysv-ipc needs native 64-bit atomics (target_has_atomic = \"64\")");

// The copy primitive views segment memory as `[AtomicU64]`: that needs the atomic
// to have exactly the size and alignment of the word it overlays.
#[cfg(not(loom))]
const _: () = {
    assert!(core::mem::size_of::<AtomicU64>() == 8);
    assert!(core::mem::align_of::<AtomicU64>() == 8);
    assert!(core::mem::size_of::<AtomicU32>() == 4);
    assert!(core::mem::align_of::<AtomicU32>() == 4);
    assert!(core::mem::size_of::<AtomicU8>() == 1);
};

// Fences order the layouts' protocols (the seqlock's write side, the ring's park/wake
// handshake); loom must see them as its own to model them.
#[cfg(not(loom))]
pub(crate) use core::sync::atomic::fence;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::fence;

/// The light half of an asymmetric barrier (the ring's fence-free wake check): a
/// compiler fence, no instruction. It only keeps the compiler from moving memory
/// accesses across it; the ordering against the other side comes from that side's
/// `membarrier`, which runs a full barrier in our instruction stream wherever we
/// are (see `layout::ring`, "Why the asymmetric pair is enough").
///
/// Under loom a SeqCst fence: loom cannot interrupt a thread to run a barrier in
/// it, and in the C++ model a SeqCst fence on one side alone does not forbid the
/// store-buffering outcome, so a compiler fence would make every model fail for a
/// reason the real system does not have. The SeqCst fence stands for the IPI's
/// `smp_mb()` landing between our index store and flag load, the one placement
/// that gives no ordering for free; placed anywhere else, program order already
/// gives one of the two outcomes. loom thus checks the protocol around the
/// barrier pair (announce, re-check, swap, un-announce, errors), not the kernel's
/// promise itself.
#[inline(always)]
pub(crate) fn light_barrier() {
    #[cfg(loom)]
    loom::sync::atomic::fence(Ordering::SeqCst);
    #[cfg(not(loom))]
    core::sync::atomic::compiler_fence(Ordering::SeqCst);
}

/// One round of a bounded busy-wait: a CPU hint normally; under loom a yield, because
/// loom's scheduler never switches away from a thread that spins without one.
#[inline]
pub(crate) fn spin_loop() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}
