//! [`PidCache`]: `getpid()` without a system call, in a word that `fork` does not
//! carry into the child.

use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

/// The word a [`PidCache`] reads before its page is made: always 0, so the fast
/// path needs no null check and falls to the slow one.
static NOT_YET: AtomicI32 = AtomicI32::new(0);

/// The word a [`PidCache`] reads once its page could not be made: always 0 too
/// (every call asks `getpid`), told apart from [`NOT_YET`] by its address.
static UNAVAILABLE: AtomicI32 = AtomicI32::new(0);

/// Bytes asked of the backend's mapping: one page on any Linux page size (the
/// kernel rounds a length up to whole pages).
pub const PID_CACHE_BYTES: usize = 4096;

/// `MADV_WIPEONFORK` (Linux 4.14+): a child gets the range zero-filled, not
/// copied. Valid on private anonymous mappings only.
pub const MADV_WIPEONFORK: i32 = 18;

/// A process-wide cache of the caller's pid for
/// [`Backend::getpid_cached`](crate::Backend::getpid_cached): the pid lives in the
/// first word of a private anonymous page marked [`MADV_WIPEONFORK`], so a child
/// created by `fork` finds 0 there and asks the kernel again, and every other call
/// costs two loads. A backend keeps one in a `static`.
///
/// glibc kept such a cache in thread-local storage and reset it in its own `fork`
/// wrapper (until 2.25); a `no_std` crate has no `fork` wrapper to reset it from,
/// and no `pthread_atfork`: the kernel resets this one.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::AtomicI32;
/// use sysv_ipc_abi::PidCache;
///
/// static CACHE: PidCache = PidCache::new();
/// static WORD: AtomicI32 = AtomicI32::new(0); // stands in for the page
/// let mut asked = 0;
/// let map = || (&raw const WORD).cast_mut();
/// // SAFETY: `map` returns a word that lives for ever and that nothing else uses
/// // (only a real wipe-on-fork page resets in a child; this test does not fork).
/// let pid = unsafe { CACHE.get(|| { asked += 1; 42 }, map, |_| {}) };
/// assert_eq!(pid, 42);
/// // SAFETY: as above.
/// let again = unsafe { CACHE.get(|| unreachable!("cached"), map, |_| {}) };
/// assert_eq!((again, asked), (42, 1));
/// ```
#[derive(Debug)]
pub struct PidCache {
    /// [`NOT_YET`] until the first call, then the page's word, or [`UNAVAILABLE`]:
    /// always a live word.
    page: AtomicPtr<AtomicI32>,
}

impl PidCache {
    /// An empty cache (the page is made on the first call).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_abi::PidCache;
    ///
    /// static CACHE: PidCache = PidCache::new();
    /// ```
    pub const fn new() -> PidCache {
        PidCache {
            page: AtomicPtr::new((&raw const NOT_YET).cast_mut()),
        }
    }

    /// The caller's pid: the cached one, or `getpid()` (which it then caches).
    ///
    /// `map` is called at most once per cache that has no page yet (and again by a
    /// thread that raced another one to make it, whose page `unmap` then gets back):
    /// it returns the first word of a new private anonymous mapping of
    /// [`PID_CACHE_BYTES`] marked [`MADV_WIPEONFORK`], or null if it could not make
    /// one, in which case every later call asks `getpid`.
    ///
    /// # Safety
    ///
    /// A non-null pointer from `map` is valid for reads and writes of an
    /// `AtomicI32` for the rest of the process's life, except that `unmap` may
    /// unmap a page this cache hands it (one it did not publish); in a child
    /// created by `fork` the word reads 0 until written. Nothing else writes it.
    #[inline]
    pub unsafe fn get(
        &self,
        getpid: impl FnOnce() -> i32,
        map: impl FnOnce() -> *mut AtomicI32,
        unmap: impl FnOnce(*mut AtomicI32),
    ) -> i32 {
        // Acquire: pairs with the Release publication below (the page is mapped and
        // marked before its address is seen).
        let page = self.page.load(Ordering::Acquire);
        // SAFETY: `page` is one of the two statics or a published page, which is
        // live for the process's life (the caller's promise) and aligned (the start
        // of a mapping).
        let pid = unsafe { &*page }.load(Ordering::Relaxed);
        if pid != 0 {
            return pid;
        }
        // SAFETY: the caller's promise, passed on.
        unsafe { self.fill(getpid, map, unmap) }
    }

    /// The slow path of [`get`](Self::get): the first call in a process, or in a
    /// child after `fork`.
    ///
    /// # Safety
    ///
    /// As [`get`](Self::get).
    #[cold]
    #[inline(never)]
    unsafe fn fill(
        &self,
        getpid: impl FnOnce() -> i32,
        map: impl FnOnce() -> *mut AtomicI32,
        unmap: impl FnOnce(*mut AtomicI32),
    ) -> i32 {
        let pid = getpid();
        let not_yet = (&raw const NOT_YET).cast_mut();
        let unavailable = (&raw const UNAVAILABLE).cast_mut();
        let mut page = self.page.load(Ordering::Acquire);
        if page == not_yet {
            let made = map();
            let made = if made.is_null() { unavailable } else { made };
            // AcqRel: publishes our page (Release), or reads the winner's (Acquire).
            page =
                match self
                    .page
                    .compare_exchange(not_yet, made, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => made,
                    Err(winner) => {
                        if made != unavailable {
                            unmap(made);
                        }
                        winner
                    }
                };
        }
        if page != unavailable {
            // Relaxed: every thread of a process stores the same value; a child's
            // copy starts from zero whatever was stored here.
            // SAFETY: as in `get`.
            unsafe { &*page }.store(pid, Ordering::Relaxed);
        }
        pid
    }
}

impl Default for PidCache {
    fn default() -> Self {
        PidCache::new()
    }
}
