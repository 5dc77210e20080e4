//! A counting global allocator, so tests can prove that a call path allocates
//! nothing: install [`CountingAllocator`] as the test binary's `#[global_allocator]`
//! and compare [`allocations`] before and after the calls.
//!
//! The count is per thread: what the calling thread allocated, whatever the test
//! harness's other threads (other tests of the same binary, run in parallel) or the
//! test's own helper threads do meanwhile. A forked child starts from its parent's
//! count for the forking thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

std::thread_local! {
    // Const-initialised and without a destructor: reading it never allocates, so
    // the allocator may use it (no recursion into itself).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Counts one allocation of the calling thread.
fn count() {
    // A thread being torn down has no slot any more; its allocations then go
    // uncounted, which no measurement (made by a live thread) can see.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get().wrapping_add(1)));
}

/// The system allocator, counting every allocation (`alloc`, `alloc_zeroed`,
/// `realloc`; not `dealloc`).
///
/// ```
/// #[global_allocator]
/// static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;
///
/// let before = sysv_ipc_testkit::allocations();
/// let boxed = std::hint::black_box(Box::new(7u64));
/// assert!(sysv_ipc_testkit::allocations() > before);
/// # drop(boxed);
/// ```
pub struct CountingAllocator;

/// How many allocations the calling thread has made so far through [`CountingAllocator`].
pub fn allocations() -> usize {
    ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

// SAFETY: every call is forwarded to the system allocator with its arguments
// unchanged; counting touches no memory of any allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above: `ptr` came from this allocator, i.e. from System.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}
