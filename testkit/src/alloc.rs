//! A counting global allocator, so tests can prove that a call path allocates
//! nothing: install [`CountingAllocator`] as the test binary's `#[global_allocator]`
//! and compare [`allocations`] before and after the calls.
//!
//! The count is per process (a forked child counts its own) and covers every thread
//! of it, so measure in a child or where no other test thread allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

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

/// How many allocations this process has made so far through [`CountingAllocator`].
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

// SAFETY: every call is forwarded to the system allocator with its arguments
// unchanged; counting touches no memory of any allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above: `ptr` came from this allocator, i.e. from System.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}
