//! Shared memory: [`Segment`] (the kernel object), [`Attachment`] (a mapping of it in
//! this process, detached on drop) and [`Shm<T>`] (one typed value in a segment).
//!
//! # Shared memory without data races
//!
//! Another process can write a segment at any moment, and Rust's memory model makes
//! a plain (or volatile) access that races with a write undefined behaviour. So this
//! module's safe API never hands out `&[u8]`, `&T` or `&mut T` over segment memory
//! (the `unsafe` accessors of [trusted mode](#trusted-mode) do, on the caller's
//! promise). The bytes are reachable only
//!
//! - by copy: [`Attachment::read`]/[`Attachment::write`], [`Shm::read_into`]/
//!   [`Shm::write`] (and [`Shm::read`] for a small `T`) and [`ShmSlice`]'s indexed
//!   and range copies move bytes between the segment and local memory with Relaxed
//!   atomic accesses (aligned 8-byte words), never through a temporary;
//! - as atomics: [`Attachment::atomic_u64`] (and the `load_*` methods), references
//!   that borrow the attachment;
//! - as a raw pointer ([`Attachment::as_ptr`]), for code that brings its own
//!   argument.
//!
//! A copy that races with a peer's write may be *torn* (some bytes old, some new),
//! but every byte pattern is a valid value of the types allowed here (zerocopy's
//! [`FromBytes`]), so a torn read is a wrong value, never undefined behaviour. For a
//! consistent value, serialise writers and readers with a semaphore
//! ([`crate::sem`]) or use a seqlock.
//!
//! A read-only attachment ([`Attachment<B, ReadOnly>`]) has no method that writes:
//! the type says so, and writing through a `SHM_RDONLY` mapping would fault.
//!
//! # Trusted mode
//!
//! Code that wants the bytes as plain Rust data (a decoder taking `&[u8]`, a parser
//! taking `&Frame`, `memcpy`-speed writes through `&mut [u8]`) can have them, if it
//! can promise what the compiler then assumes. The accessors are `unsafe` and named
//! `*_unchecked`: [`Shm::as_ref_unchecked`] (`&T`), [`Shm::as_mut_unchecked`]
//! (`&mut T`), [`ShmSlice::as_slice_unchecked`] (`&[T]`),
//! [`ShmSlice::as_mut_slice_unchecked`] (`&mut [T]`),
//! [`Attachment::as_bytes_unchecked`] (`&[u8]`) and
//! [`Attachment::as_mut_bytes_unchecked`] (`&mut [u8]`). The promise, as each one's
//! `# Safety` section states it:
//!
//! - a shared reference (`&T`, `&[T]`, `&[u8]`): **nobody writes** the bytes it
//!   covers while it lives, in any process (another program's attachment, a thread,
//!   another handle of this process over the same segment: a [`Shm::write`], a view,
//!   a queue or seqlock laid over it). Reads by anyone are fine;
//! - an exclusive reference (`&mut T`, `&mut [T]`, `&mut [u8]`): **nobody else reads
//!   or writes** them while it lives.
//!
//! Breaking it is undefined behaviour, not merely a wrong value. The compiler treats
//! memory behind `&T` (with no `UnsafeCell` in `T`: the `Immutable` bound) as
//! unchanging and memory behind `&mut T` as unobserved for the reference's lifetime:
//! it may load a field twice and act on two different values as one (a length checked
//! against a bound, then loaded again to index), keep a value in a register across
//! the peer's write, or write `&mut` memory late, twice or out of order. A data race
//! with another thread of this process is undefined behaviour outright.
//!
//! The safe API needs no such promise because it never makes a non-atomic access to
//! segment memory: a peer's racing write, even garbage, turns into a torn (wrong but
//! valid) value. Trusted mode trades that for plain references; keep the promise by
//! construction, for example: the writer finished and detached before the reference
//! is taken (check [`SegmentStat::nattch`]), the peers wait on a semaphore this
//! process holds for as long as the reference lives ([`crate::sem`]), or the other
//! programs have no write permission (the segment's [`Mode`] and owner) and this
//! process writes only through the reference.
//!
//! # Safety
//!
//! `unsafe` here is limited to calling the `unsafe` methods of [`Backend`] (`shmat`,
//! `shmdt`, `shmctl` with a pointer to a local struct) and to building atomic views
//! over the mapping that `shmat` returned. The reasoning rests on the `Backend`
//! contract: `shmat` returns a mapping aligned to at least
//! [`SHMLBA_MIN`](crate::abi::SHMLBA_MIN), readable for `shm_segsz` bytes (writable
//! unless `SHM_RDONLY`) and valid until `shmdt` of that address. An [`Attachment`]
//! learns `shm_segsz` by `IPC_STAT` right after attaching, never lets a view
//! outlive a borrow of itself, and calls `shmdt` only when it is dropped or consumed.
//! All accesses the safe API makes to the bytes are atomic (see `copy.rs`).
#![allow(unsafe_code)]

use core::ffi::c_void;
use core::fmt;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::abi::{self, shmid64_ds};
use crate::error::{Call, Error, ErrorKind, Object, Result, check, during};
#[cfg(not(loom))]
use crate::view::ShmView;
use crate::{Backend, DefaultBackend, Intent, Key, Mode, Owner, Perm, Removable};

#[cfg(not(loom))]
use crate::copy::{ReadRegion, Region};
#[cfg(not(loom))]
use crate::sync::{AtomicU8, AtomicU32, AtomicU64};

// ---- Segment --------------------------------------------------------------------------

/// A System V shared memory segment: its id and the backend that reaches it.
///
/// A handle, not an owner: the segment lives in the kernel until removed
/// ([`Removable::remove`], or a [`Removal`](crate::Removal) guard), and dropping the
/// handle changes nothing. Map it into this process with [`Segment::attach`].
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
/// let att = seg.attach()?;
/// att.write(100, b"hello")?;
/// let mut buf = [0u8; 5];
/// att.read(100, &mut buf)?;
/// assert_eq!(&buf, b"hello");
/// assert_eq!(seg.stat()?.nattch, 1);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// # References
///
/// shmget(2), shmop(2), shmctl(2).
#[derive(Copy, Clone, Debug)]
pub struct Segment<B: Backend = DefaultBackend> {
    id: i32,
    backend: B,
}

/// How large the huge pages of a `SHM_HUGETLB` segment are: the system's default,
/// or a size given as its base-2 logarithm (`SHM_HUGE_2MB` is 21 << 26).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{abi, shm::{HugePageSize, SegmentOptions}};
///
/// assert_eq!(HugePageSize::SIZE_2M.log2(), 21);
/// let opts = SegmentOptions::new().huge_pages(HugePageSize::SIZE_2M);
/// assert_eq!(opts.flags(), abi::SHM_HUGETLB | abi::SHM_HUGE_2MB);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct HugePageSize(u8);

impl HugePageSize {
    /// The system's default huge page size (no size bits).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::{HugePageSize, SegmentOptions}};
    ///
    /// assert_eq!(HugePageSize::DEFAULT.log2(), 0);
    /// // SHM_HUGETLB alone: the kernel picks its default huge page size.
    /// assert_eq!(SegmentOptions::new().huge_pages(HugePageSize::DEFAULT).flags(), abi::SHM_HUGETLB);
    /// ```
    pub const DEFAULT: HugePageSize = HugePageSize(0);
    /// 2 MiB pages (`SHM_HUGE_2MB`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::HugePageSize};
    ///
    /// assert_eq!(HugePageSize::SIZE_2M.log2(), 21); // 1 << 21 bytes
    /// assert_eq!((HugePageSize::SIZE_2M.log2() as i32) << abi::SHM_HUGE_SHIFT, abi::SHM_HUGE_2MB);
    /// ```
    pub const SIZE_2M: HugePageSize = HugePageSize(21);
    /// 1 GiB pages (`SHM_HUGE_1GB`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::HugePageSize};
    ///
    /// assert_eq!(1u64 << HugePageSize::SIZE_1G.log2(), 1 << 30);
    /// assert_eq!((HugePageSize::SIZE_1G.log2() as i32) << abi::SHM_HUGE_SHIFT, abi::SHM_HUGE_1GB);
    /// ```
    pub const SIZE_1G: HugePageSize = HugePageSize(30);

    /// Pages of `1 << log2` bytes; `None` unless `1 <= log2 <= 63` (what the six bits
    /// of `SHM_HUGE_MASK` can carry). Whether the system has such pages is the
    /// kernel's answer (`EINVAL` if not).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::HugePageSize;
    ///
    /// assert_eq!(HugePageSize::from_log2(21), Some(HugePageSize::SIZE_2M));
    /// assert_eq!(HugePageSize::from_log2(16).map(HugePageSize::log2), Some(16)); // 64 KiB pages
    /// assert_eq!(HugePageSize::from_log2(0), None);
    /// assert_eq!(HugePageSize::from_log2(64), None);
    /// ```
    pub const fn from_log2(log2: u8) -> Option<HugePageSize> {
        if log2 >= 1 && log2 as i32 <= abi::SHM_HUGE_MASK {
            Some(HugePageSize(log2))
        } else {
            None
        }
    }

    /// The base-2 logarithm of the size, 0 for the default.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::HugePageSize;
    ///
    /// assert_eq!(HugePageSize::SIZE_1G.log2(), 30);
    /// assert_eq!(HugePageSize::DEFAULT.log2(), 0);
    /// ```
    pub const fn log2(self) -> u8 {
        self.0
    }
}

/// How [`Segment::create_with`] creates a segment, beyond its key, size, intent
/// and mode: extra `shmget` flags (huge pages, no swap reservation). A builder,
/// `SegmentOptions::new()` being the defaults of [`Segment::create_in`], as every
/// type's options are (see [the crate docs](crate#constructors)).
///
/// ```
/// use sysv_ipc::{abi, shm::{HugePageSize, SegmentOptions}};
///
/// let opts = SegmentOptions::new().huge_pages(HugePageSize::SIZE_2M).no_reserve();
/// assert_eq!(opts.flags(), abi::SHM_HUGETLB | abi::SHM_HUGE_2MB | abi::SHM_NORESERVE);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SegmentOptions {
    flags: i32,
}

impl SegmentOptions {
    /// No extra flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::SegmentOptions;
    ///
    /// assert_eq!(SegmentOptions::new().flags(), 0);
    /// assert_eq!(SegmentOptions::new(), SegmentOptions::default());
    /// ```
    pub const fn new() -> SegmentOptions {
        SegmentOptions { flags: 0 }
    }

    /// `SHM_HUGETLB` (with the size bits of `size`): back the segment with huge pages.
    ///
    /// The pages come from the huge page pool (`vm.nr_hugepages`); creating fails
    /// with [`ErrorKind::LimitReached`] (`ENOMEM`) when it has too few, and the size
    /// should be a multiple of the huge page size. With [`no_reserve`](Self::no_reserve)
    /// a page that cannot be found later kills the process with `SIGBUS` on first touch.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::{HugePageSize, SegmentOptions}};
    ///
    /// let opts = SegmentOptions::new().huge_pages(HugePageSize::SIZE_1G);
    /// assert_eq!(opts.flags(), abi::SHM_HUGETLB | abi::SHM_HUGE_1GB);
    /// ```
    pub const fn huge_pages(self, size: HugePageSize) -> SegmentOptions {
        // A second call replaces the first one's size rather than OR-ing into it.
        let others = self.flags & !(abi::SHM_HUGE_MASK << abi::SHM_HUGE_SHIFT);
        SegmentOptions {
            flags: others | abi::SHM_HUGETLB | ((size.0 as i32) << abi::SHM_HUGE_SHIFT),
        }
    }

    /// The huge pages [`huge_pages`](Self::huge_pages) asked for, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::{HugePageSize, SegmentOptions};
    ///
    /// assert_eq!(SegmentOptions::new().get_huge_pages(), None);
    /// let opts = SegmentOptions::new().huge_pages(HugePageSize::SIZE_2M);
    /// assert_eq!(opts.get_huge_pages(), Some(HugePageSize::SIZE_2M));
    /// // The last call wins.
    /// let opts = opts.huge_pages(HugePageSize::SIZE_1G);
    /// assert_eq!(opts.get_huge_pages(), Some(HugePageSize::SIZE_1G));
    /// ```
    pub const fn get_huge_pages(self) -> Option<HugePageSize> {
        if self.flags & abi::SHM_HUGETLB == 0 {
            return None;
        }
        let log2 = (self.flags >> abi::SHM_HUGE_SHIFT) & abi::SHM_HUGE_MASK;
        // The mask keeps six bits: the cast loses nothing.
        Some(HugePageSize(log2 as u8))
    }

    /// `SHM_NORESERVE`: reserve no swap space. Memory is then committed on first
    /// touch, which can fail (`SIGBUS`, or the OOM killer) instead of `shmget`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::{Segment, SegmentOptions}};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let opts = SegmentOptions::new().no_reserve();
    /// assert_eq!(opts.flags(), abi::SHM_NORESERVE);
    /// let seg = Removal::new(Segment::create_with(DefaultBackend::default(), Key::PRIVATE, 1 << 20, Intent::CreateNew, Mode::OWNER_RW, opts)?);
    /// assert_eq!(seg.stat()?.size, 1 << 20);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn no_reserve(self) -> SegmentOptions {
        SegmentOptions {
            flags: self.flags | abi::SHM_NORESERVE,
        }
    }

    /// Whether [`no_reserve`](Self::no_reserve) was asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::SegmentOptions;
    ///
    /// assert!(!SegmentOptions::new().get_no_reserve());
    /// assert!(SegmentOptions::new().no_reserve().get_no_reserve());
    /// ```
    pub const fn get_no_reserve(self) -> bool {
        self.flags & abi::SHM_NORESERVE != 0
    }

    /// The flag bits these options add to `shmget`'s `shmflg`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::SegmentOptions};
    ///
    /// assert_eq!(SegmentOptions::new().no_reserve().flags(), abi::SHM_NORESERVE);
    /// ```
    pub const fn flags(self) -> i32 {
        self.flags
    }
}

/// How [`Segment::attach_at`] treats its address: `SHM_RND`, `SHM_REMAP`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{abi, shm::AtFlags};
///
/// let flags = AtFlags::ROUND_DOWN.union(AtFlags::REMAP);
/// assert_eq!(flags.bits(), abi::SHM_RND | abi::SHM_REMAP);
/// assert_eq!(AtFlags::default(), AtFlags::EXACT);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AtFlags(i32);

impl AtFlags {
    /// The address must be a multiple of `SHMLBA` (the page size), else `EINVAL`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::AtFlags;
    ///
    /// assert_eq!(AtFlags::EXACT.bits(), 0);
    /// ```
    pub const EXACT: AtFlags = AtFlags(0);
    /// `SHM_RND`: round the address down to a multiple of `SHMLBA`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::AtFlags};
    ///
    /// assert_eq!(AtFlags::ROUND_DOWN.bits(), abi::SHM_RND);
    /// ```
    pub const ROUND_DOWN: AtFlags = AtFlags(abi::SHM_RND);
    /// `SHM_REMAP`: replace whatever is mapped in the range (Linux-specific).
    /// Without it, a range overlapping an existing mapping is `EINVAL`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::AtFlags};
    ///
    /// assert_eq!(AtFlags::REMAP.bits(), abi::SHM_REMAP);
    /// ```
    pub const REMAP: AtFlags = AtFlags(abi::SHM_REMAP);

    /// Both sets of flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::AtFlags};
    ///
    /// assert_eq!(AtFlags::REMAP.union(AtFlags::ROUND_DOWN).bits(), abi::SHM_REMAP | abi::SHM_RND);
    /// assert_eq!(AtFlags::EXACT.union(AtFlags::REMAP), AtFlags::REMAP);
    /// ```
    pub const fn union(self, other: AtFlags) -> AtFlags {
        AtFlags(self.0 | other.0)
    }

    /// The `shmat` flag bits.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{abi, shm::AtFlags};
    ///
    /// assert_eq!(AtFlags::ROUND_DOWN.bits(), abi::SHM_RND);
    /// ```
    pub const fn bits(self) -> i32 {
        self.0
    }
}

/// The state of a segment, as `shmctl(IPC_STAT)` reports it (`struct shmid64_ds`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 1000, Intent::CreateNew, Mode::OWNER_RW)?);
/// let _att = seg.attach()?;
/// let st = seg.stat()?;
/// assert_eq!((st.size, st.nattch), (1000, 1));
/// assert_eq!(st.perm.mode, Mode::OWNER_RW);
/// assert_eq!(st.cpid, std::process::id() as i32);
/// assert_eq!(st.lpid, std::process::id() as i32); // the shmat above
/// assert!(st.atime > 0 && st.dtime == 0);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SegmentStat {
    /// Owner, creator and mode; `perm.key` becomes [`Key::PRIVATE`] once the segment
    /// is removed while still attached.
    pub perm: Perm,
    /// Size in bytes, as requested at creation (the mapping is whole pages).
    pub size: usize,
    /// Number of current attachments, in all processes.
    pub nattch: u64,
    /// Pid of the creator.
    pub cpid: i32,
    /// Pid of the last `shmat` or `shmdt`.
    pub lpid: i32,
    /// Time of the last `shmat`, in seconds since the epoch; 0 if never.
    pub atime: i64,
    /// Time of the last `shmdt`; 0 if never.
    pub dtime: i64,
    /// Time of creation or of the last `IPC_SET`.
    pub ctime: i64,
}

impl SegmentStat {
    /// Whether the segment was removed (`SHM_DEST`): it dies at its last detach, and
    /// its key is already private.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Segment};
    ///
    /// let seg = Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let att = seg.attach()?;
    /// assert!(!seg.stat()?.is_removed());
    /// seg.remove()?; // still attached: the segment lives on until the detach
    /// assert!(seg.stat()?.is_removed());
    /// att.detach()?; // now it is gone
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn is_removed(&self) -> bool {
        self.perm.raw_mode & abi::SHM_DEST != 0
    }

    /// Whether the segment is locked in memory (`SHM_LOCKED`, see [`Segment::lock`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(!seg.stat()?.is_locked());
    /// match seg.lock() {
    ///     Ok(()) => assert!(seg.stat()?.is_locked()),
    ///     // No CAP_IPC_LOCK and an RLIMIT_MEMLOCK of 0.
    ///     Err(e) => assert_eq!(e.kind(), ErrorKind::PermissionDenied),
    /// }
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn is_locked(&self) -> bool {
        self.perm.raw_mode & abi::SHM_LOCKED != 0
    }
}

impl From<&shmid64_ds> for SegmentStat {
    fn from(ds: &shmid64_ds) -> SegmentStat {
        SegmentStat {
            perm: Perm::from(&ds.shm_perm),
            // Lossless on the 64-bit targets this crate builds for.
            size: usize::try_from(ds.shm_segsz).unwrap_or(usize::MAX),
            nattch: ds.shm_nattch,
            cpid: ds.shm_cpid,
            lpid: ds.shm_lpid,
            atime: ds.shm_atime,
            dtime: ds.shm_dtime,
            ctime: ds.shm_ctime,
        }
    }
}

impl Segment<DefaultBackend> {
    /// `shmget(key, 0, 0)` — opens the segment that `key` names, on the default
    /// backend. See [`Segment::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let key = Key::new(0x4b00_0000 | (std::process::id() as i32 & 0xff_ffff)); // agreed on by the peers
    /// let created = Removal::new(Segment::create(key, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // In the other process:
    /// let opened = Segment::open(key)?;
    /// assert_eq!(opened.id(), created.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open(key: Key) -> Result<Self> {
        during(&"Segment::open", Object::Key(key), || {
            Segment::open_in(DefaultBackend::default(), key)
        })
    }

    /// [`Segment::open_wait_in`] waiting up to `timeout` for a peer to create the object.
    ///
    /// # Errors
    ///
    /// As [`Segment::open_wait_in`].
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"Segment::open_wait", Object::Key(key), || {
            Segment::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// `shmget(key, size, flags | mode)` — creates (or opens) a segment of `size`
    /// bytes, on the default backend. See [`Segment::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let st = seg.stat()?;
    /// assert_eq!((st.size, st.nattch, st.perm.key), (4096, 0, Key::PRIVATE));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create(key: Key, size: usize, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"Segment::create", Object::Key(key), || {
            Segment::create_in(DefaultBackend::default(), key, size, intent, mode)
        })
    }
}

impl<B: Backend> Segment<B> {
    /// A backend result as this crate's, naming `call`, this segment, and in a
    /// permission error its owner and mode.
    fn check<T>(&self, call: Call, r: core::result::Result<T, abi::Errno>) -> Result<T> {
        check(call, r).map_err(|e| {
            crate::info::explain_permission(e.on(Object::Segment(self.id)), &self.backend)
        })
    }
}

impl<B: Backend> Segment<B> {
    /// The segment of `key` for a layout of `size` bytes, created or opened as
    /// `intent` says, and whether this call created it (its caller then runs the
    /// layout's initialisation, and removes the segment if that fails). Shared by
    /// `Queue` and `SeqLock`.
    #[cfg(not(loom))]
    pub(crate) fn create_or_open_in(
        backend: B,
        key: Key,
        size: usize,
        intent: Intent,
        mode: Mode,
    ) -> Result<(Self, bool)>
    where
        B: Clone,
    {
        let create = |b: B| Segment::create_in(b, key, size, Intent::CreateNew, mode);
        match intent {
            Intent::Open => Ok((Segment::open_in(backend, key)?, false)),
            Intent::CreateNew => Ok((create(backend)?, true)),
            Intent::OpenOrCreate => match create(backend.clone()) {
                Ok(s) => Ok((s, true)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    Ok((Segment::open_in(backend, key)?, false))
                }
                Err(e) => Err(e),
            },
        }
    }

    /// `shmget(key, 0, 0)` — opens the existing segment that `key` names.
    ///
    /// No permission is asked for here: the kernel checks read (and write) permission
    /// when attaching.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] (`ENOENT`) if `key` has no segment. For
    /// [`Key::PRIVATE`], which names no segment (`shmget` would try to create one of
    /// size 0 and fail with `EINVAL`), `NotFound` without calling the kernel.
    ///
    /// # References
    ///
    /// shmget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let key = Key::new(0x4c00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let created = Removal::new(Segment::create_in(DefaultBackend::default(), key, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(Segment::open_in(DefaultBackend::default(), key)?.id(), created.id());
    /// // IPC_PRIVATE names no segment.
    /// let e = Segment::open_in(DefaultBackend::default(), Key::PRIVATE).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_in(backend: B, key: Key) -> Result<Self> {
        during(&"Segment::open_in", Object::Key(key), || {
            if key.is_private() {
                return Err(Error::new(ErrorKind::NotFound).because(
                    "Key::PRIVATE names no existing segment (shmget would create a new one)",
                ));
            }
            let id = check(Call::Shmget, backend.shmget(key.raw(), 0, 0))
                .map_err(|e| crate::info::explain_permission(e.on(Object::Key(key)), &backend))?;
            Ok(Segment { id, backend })
        })
    }

    /// [`Segment::open_in`] for a program that may start before the peer that
    /// creates the segment: while `key` has none, tries again with the sleeps of
    /// [`MsgQueue::open_wait_in`](crate::msg::MsgQueue::open_wait_in), for up to `timeout`. The segment is returned as soon as it exists:
    /// what its creator writes into it is the two programs' protocol.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no segment after `timeout`;
    /// [`ErrorKind::Interrupted`] if a signal handler ran during a sleep; otherwise
    /// as [`Segment::open_in`].
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Segment::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |_| Segment::open_in(backend.clone(), key))
        })
    }

    /// `shmget(key, size, flags | mode)` — creates a segment of `size` bytes (zero
    /// filled), or opens the one `key` has, as `intent` says.
    ///
    /// Opening an existing segment checks only that it is at least `size` bytes; use
    /// [`stat`](Self::stat) for its real size. `mode`'s bits apply only to a segment
    /// this call creates.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::AlreadyExists`] (`EEXIST`): [`Intent::CreateNew`] and `key` has
    ///   a segment.
    /// - [`ErrorKind::NotFound`] (`ENOENT`): [`Intent::Open`] and `key` has none.
    /// - [`ErrorKind::InvalidArgument`] (`EINVAL`): `size` is below `shmmin` (1) or
    ///   above `shmmax`, or the existing segment is smaller than `size`.
    /// - [`ErrorKind::LimitReached`]: `shmmni` segments exist (`ENOSPC`), `shmall`
    ///   pages would be exceeded (`ENOSPC`), or no memory (`ENOMEM`).
    /// - [`ErrorKind::PermissionDenied`] (`EACCES`): the existing segment's mode
    ///   denies the access `mode` asks for.
    ///
    /// # References
    ///
    /// shmget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let key = Key::new(0x4d00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let seg = Removal::new(Segment::create_in(b, key, 256, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // Another CreateNew on the key fails; OpenOrCreate joins it.
    /// let e = Segment::create_in(b, key, 256, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    /// assert_eq!(Segment::create_in(b, key, 256, Intent::OpenOrCreate, Mode::OWNER_RW)?.id(), seg.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create_in(
        backend: B,
        key: Key,
        size: usize,
        intent: Intent,
        mode: Mode,
    ) -> Result<Self> {
        during(&"Segment::create_in", Object::Key(key), || {
            Segment::create_with(backend, key, size, intent, mode, SegmentOptions::new())
        })
    }

    /// `shmget(key, size, flags | mode | options)` — [`Segment::create_in`] with
    /// extra flags: huge pages (`SHM_HUGETLB` and a page size), `SHM_NORESERVE`.
    ///
    /// # Errors
    ///
    /// As [`Segment::create_in`]; with huge pages also `EINVAL` for a page size the
    /// system lacks, `ENOMEM` ([`ErrorKind::LimitReached`]) when the pool is too
    /// small, `EPERM` when the caller may not use huge pages.
    ///
    /// # References
    ///
    /// shmget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::{Segment, SegmentOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let opts = SegmentOptions::new().no_reserve();
    /// let seg = Segment::create_with(DefaultBackend::default(), Key::PRIVATE, 8192, Intent::CreateNew, Mode::OWNER_RW, opts)?;
    /// let seg = Removal::new(seg);
    /// assert_eq!(seg.stat()?.size, 8192);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create_with(
        backend: B,
        key: Key,
        size: usize,
        intent: Intent,
        mode: Mode,
        options: SegmentOptions,
    ) -> Result<Self> {
        during(&"Segment::create_with", Object::Key(key), || {
            let flags = intent.flags() | mode.bits() as i32 | options.flags();
            let id = check(Call::Shmget, backend.shmget(key.raw(), size, flags)).map_err(|e| {
                let e = crate::info::explain_limit(e, &backend, size);
                crate::info::explain_permission(e.on(Object::Key(key)), &backend)
            })?;
            Ok(Segment { id, backend })
        })
    }

    /// The handle for segment `id`, without any call: a later call on a wrong or
    /// stale id fails with [`ErrorKind::InvalidArgument`] (`EINVAL`) or
    /// [`ErrorKind::Removed`] (`EIDRM`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // The id travels to another process (argv, a message, ipcs) ...
    /// let same = Segment::from_id(DefaultBackend::default(), seg.id());
    /// assert_eq!(same.stat()?.size, 64);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn from_id(backend: B, id: i32) -> Self {
        Segment { id, backend }
    }

    /// The segment's id (`shmid`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(seg.id() >= 0);
    /// assert_eq!(seg.attach()?.segment_id(), seg.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn id(&self) -> i32 {
        self.id
    }

    /// The backend this handle calls.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Backend, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(seg.backend().getpid(), std::process::id() as i32);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn backend(&self) -> &B {
        &self.backend
    }

    fn stat_raw(&self) -> Result<shmid64_ds> {
        let mut ds = shmid64_ds::default();
        // SAFETY: IPC_STAT writes one shmid64_ds through `buf` (Backend::shmctl's
        // contract); `ds` is a live local shmid64_ds.
        let r = unsafe {
            self.backend
                .shmctl(self.id, abi::IPC_STAT, (&raw mut ds).cast::<c_void>())
        };
        self.check(Call::Shmctl, r)?;
        Ok(ds)
    }

    /// `shmctl(shmid, IPC_STAT, buf)` — the segment's owner, mode, size, attachment
    /// count, pids and times.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] (`EACCES`) without read permission;
    /// [`ErrorKind::InvalidArgument`] (`EINVAL`) if the id names no segment (any
    /// more).
    ///
    /// # References
    ///
    /// shmctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 5000, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// let st = seg.stat()?;
    /// assert_eq!((st.size, st.nattch, st.perm.mode), (5000, 1, Mode::OWNER_RW));
    /// drop(att);
    /// assert_eq!(seg.stat()?.nattch, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmctl")]
    #[doc(alias = "IPC_STAT")]
    pub fn stat(&self) -> Result<SegmentStat> {
        during(&"Segment::stat", Object::Segment(self.id), || {
            self.stat_raw().map(|ds| SegmentStat::from(&ds))
        })
    }

    /// `shmctl(shmid, IPC_SET, buf)` — sets owner uid, gid and permission bits.
    ///
    /// Those three are all that `IPC_SET` takes from `buf` for a segment (the state
    /// bits such as `SHM_LOCKED` stay), so nothing is read first: the owner of a
    /// segment whose mode refuses it reading (`0o000`, `0o200`) may still change it,
    /// as the kernel allows.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] (`EPERM`) unless the caller is the owner, the
    /// creator or privileged; [`ErrorKind::InvalidArgument`] (`EINVAL`) if the id
    /// names no segment (any more) or a uid/gid has no mapping in the caller's user
    /// namespace.
    ///
    /// # References
    ///
    /// shmctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Owner, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let perm = seg.stat()?.perm;
    /// // Let the owner's group read it too; owner unchanged.
    /// seg.set_owner(Owner { uid: perm.uid, gid: perm.gid, mode: Mode::new(0o640) })?;
    /// assert_eq!(seg.stat()?.perm.mode, Mode::new(0o640));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmctl")]
    #[doc(alias = "IPC_SET")]
    pub fn set_owner(&self, owner: Owner) -> Result<()> {
        during(&"Segment::set_owner", Object::Segment(self.id), || {
            let mut ds = shmid64_ds::default();
            owner.apply(&mut ds.shm_perm);
            // SAFETY: IPC_SET reads one shmid64_ds through `buf` (Backend::shmctl's
            // contract); `ds` is a live local shmid64_ds.
            let r = unsafe {
                self.backend
                    .shmctl(self.id, abi::IPC_SET, (&raw mut ds).cast::<c_void>())
            };
            self.check(Call::Shmctl, r).map(drop)
        })
    }

    fn ctl_no_buf(&self, cmd: i32) -> Result<()> {
        // SAFETY: SHM_LOCK, SHM_UNLOCK and IPC_RMID (the only commands passed here)
        // use no buffer, so any pointer, null included, meets Backend::shmctl's contract.
        let r = unsafe { self.backend.shmctl(self.id, cmd, ptr::null_mut()) };
        self.check(Call::Shmctl, r).map(drop)
    }

    /// `shmctl(shmid, SHM_LOCK, NULL)` — keeps the segment's pages in memory (never
    /// swapped). It does not fault pages in; [`SegmentStat::is_locked`] shows it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] (`EPERM`) without `CAP_IPC_LOCK` unless the
    /// caller owns the segment and `RLIMIT_MEMLOCK` is not zero;
    /// [`ErrorKind::LimitReached`] (`ENOMEM`) when the lock limit is exceeded.
    ///
    /// # References
    ///
    /// shmctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// match seg.lock() {
    ///     Ok(()) => {
    ///         assert!(seg.stat()?.is_locked());
    ///         seg.unlock()?;
    ///     }
    ///     // Without CAP_IPC_LOCK, only with a non-zero RLIMIT_MEMLOCK.
    ///     Err(e) => assert_eq!(e.kind(), ErrorKind::PermissionDenied),
    /// }
    /// assert!(!seg.stat()?.is_locked());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmctl")]
    #[doc(alias = "SHM_LOCK")]
    pub fn lock(&self) -> Result<()> {
        during(&"Segment::lock", Object::Segment(self.id), || {
            self.ctl_no_buf(abi::SHM_LOCK)
        })
    }

    /// `shmctl(shmid, SHM_UNLOCK, NULL)` — lets the segment's pages be swapped again.
    ///
    /// # Errors
    ///
    /// As [`lock`](Self::lock) (`EPERM`).
    ///
    /// # References
    ///
    /// shmctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// if seg.lock().is_ok() {
    ///     seg.unlock()?;
    /// }
    /// assert!(!seg.stat()?.is_locked());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmctl")]
    #[doc(alias = "SHM_UNLOCK")]
    pub fn unlock(&self) -> Result<()> {
        during(&"Segment::unlock", Object::Segment(self.id), || {
            self.ctl_no_buf(abi::SHM_UNLOCK)
        })
    }

    /// `shmat(shmid, NULL, 0)` — maps the segment read-write at an address the kernel
    /// picks. The [`Attachment`] detaches (`shmdt`) when dropped; it does not borrow
    /// this handle.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] (`EACCES`) without read and write permission;
    /// [`ErrorKind::InvalidArgument`] (`EINVAL`) for a bad id or a removed segment
    /// that nobody has attached any more; [`ErrorKind::Removed`] (`EIDRM`) if it was
    /// removed meanwhile; [`ErrorKind::LimitReached`] (`ENOMEM`).
    ///
    /// # References
    ///
    /// shmop(2), shmctl(2) (the `IPC_STAT` that reads the size).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 100, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let a = seg.attach()?;
    /// let b = seg.attach()?; // a second mapping of the same bytes
    /// a.write(0, b"shared")?;
    /// let mut buf = [0u8; 6];
    /// b.read(0, &mut buf)?;
    /// assert_eq!(&buf, b"shared");
    /// assert_eq!((a.len(), seg.stat()?.nattch), (100, 2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    pub fn attach(&self) -> Result<Attachment<B, ReadWrite>>
    where
        B: Clone,
    {
        during(&"Segment::attach", Object::Segment(self.id), || {
            // SAFETY: a null address asks the kernel for a free range, which needs
            // nothing from the caller (Backend::shmat's contract).
            unsafe { self.attach_raw(ptr::null(), 0) }
        })
    }

    /// `shmat(shmid, NULL, SHM_RDONLY)` — maps the segment read-only. The returned
    /// type has no method that writes.
    ///
    /// # Errors
    ///
    /// As [`attach`](Self::attach), with only read permission needed.
    ///
    /// # References
    ///
    /// shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// seg.attach()?.write(8, &7u64.to_ne_bytes())?;
    /// let ro = seg.attach_read_only()?;
    /// assert_eq!(ro.load_u64(8), Some(7));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    #[doc(alias = "SHM_RDONLY")]
    pub fn attach_read_only(&self) -> Result<Attachment<B, ReadOnly>>
    where
        B: Clone,
    {
        during(
            &"Segment::attach_read_only",
            Object::Segment(self.id),
            || {
                // SAFETY: a null address needs nothing from the caller, as in `attach`.
                unsafe { self.attach_raw(ptr::null(), 0) }
            },
        )
    }

    /// `shmat(shmid, addr, flags)` — maps the segment read-write at `addr` (rounded
    /// down to `SHMLBA` with [`AtFlags::ROUND_DOWN`]).
    ///
    /// # Safety
    ///
    /// The caller must own the address range the mapping will take: from `addr`
    /// (rounded down, with `ROUND_DOWN`) for the segment's size rounded up to whole
    /// pages. With [`AtFlags::REMAP`] the kernel replaces whatever is mapped there,
    /// so nothing else (no reference, no other [`Attachment`]) may use that range
    /// afterwards; without it, an occupied range is `EINVAL`, but the range must still
    /// be the caller's to give away.
    ///
    /// # Errors
    ///
    /// As [`attach`](Self::attach); [`ErrorKind::InvalidArgument`] (`EINVAL`) if
    /// `addr` is not page-aligned without `ROUND_DOWN`, or the range is occupied
    /// without `REMAP`.
    ///
    /// # References
    ///
    /// shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ptr::{self, NonNull};
    /// use sysv_ipc::shm::{AtFlags, Segment};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // Reserve a page of address space that this code alone owns.
    /// // SAFETY: an anonymous PROT_NONE mapping at an address the kernel picks touches
    /// // no existing memory.
    /// let page = unsafe {
    ///     libc::mmap(ptr::null_mut(), 4096, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
    /// };
    /// assert_ne!(page, libc::MAP_FAILED);
    /// let addr = NonNull::new(page.cast::<u8>()).unwrap();
    /// // SAFETY: the page at `addr` is our reservation, used by nothing else; REMAP
    /// // replaces it with the segment (and detaching unmaps it).
    /// let att = unsafe { seg.attach_at(addr, AtFlags::REMAP)? };
    /// assert_eq!(att.as_ptr(), addr.as_ptr().cast_const());
    /// att.write(0, b"at a chosen address")?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    #[doc(alias = "SHM_RND")]
    #[doc(alias = "SHM_REMAP")]
    pub unsafe fn attach_at(&self, addr: NonNull<u8>, flags: AtFlags) -> Result<Attachment<B>>
    where
        B: Clone,
    {
        // SAFETY: the caller owns the range at `addr`, which is Backend::shmat's
        // requirement for a non-null address.
        unsafe { self.attach_raw(addr.as_ptr().cast_const().cast(), flags.bits()) }
    }

    /// `shmat(shmid, addr, SHM_RDONLY | flags)` — [`attach_at`](Self::attach_at),
    /// read-only.
    ///
    /// # Safety
    ///
    /// As [`attach_at`](Self::attach_at).
    ///
    /// # Errors
    ///
    /// As [`attach_at`](Self::attach_at).
    ///
    /// # References
    ///
    /// shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ptr::{self, NonNull};
    /// use sysv_ipc::shm::{AtFlags, Segment};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// seg.attach()?.write(0, b"read me")?;
    /// // SAFETY: an anonymous PROT_NONE mapping at an address the kernel picks touches
    /// // no existing memory.
    /// let page = unsafe {
    ///     libc::mmap(ptr::null_mut(), 4096, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
    /// };
    /// assert_ne!(page, libc::MAP_FAILED);
    /// let addr = NonNull::new(page.cast::<u8>()).unwrap();
    /// // SAFETY: the page at `addr` is our own reservation, used by nothing else.
    /// let ro = unsafe { seg.attach_read_only_at(addr, AtFlags::REMAP)? };
    /// let mut buf = [0u8; 7];
    /// ro.read(0, &mut buf)?;
    /// assert_eq!((ro.as_ptr(), &buf), (addr.as_ptr().cast_const(), b"read me"));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    pub unsafe fn attach_read_only_at(
        &self,
        addr: NonNull<u8>,
        flags: AtFlags,
    ) -> Result<Attachment<B, ReadOnly>>
    where
        B: Clone,
    {
        // SAFETY: the caller owns the range at `addr`, as in `attach_at`.
        unsafe { self.attach_raw(addr.as_ptr().cast_const().cast(), flags.bits()) }
    }

    /// Attaches (with `A`'s flag added to `flags`), then reads the size.
    ///
    /// # Safety
    ///
    /// A non-null `addr` must be a range the caller owns (Backend::shmat).
    unsafe fn attach_raw<A: Access>(
        &self,
        addr: *const c_void,
        flags: i32,
    ) -> Result<Attachment<B, A>>
    where
        B: Clone,
    {
        // SAFETY: passed on from our caller: `addr` is null or a range it owns.
        let p = unsafe { self.backend.shmat(self.id, addr, flags | A::SHMFLG) };
        let p = self.check(Call::Shmat, p)?;
        let Some(ptr) = NonNull::new(p.cast::<u8>()) else {
            // A backend breaking its contract; nothing was mapped that we could detach.
            return Err(Error::new(ErrorKind::Other).because("the backend's shmat returned null"));
        };
        // From here on, dropping `att` detaches, whatever fails next.
        let mut att = Attachment {
            ptr,
            len: 0,
            id: self.id,
            backend: self.backend.clone(),
            attached: true,
            _access: PhantomData,
        };
        // The copy views memory as u64 words; shmat's contract promises page alignment,
        // this check keeps a faulty backend from turning into misaligned atomics.
        if !ptr.as_ptr().addr().is_multiple_of(abi::SHMLBA_MIN) {
            return Err(Error::new(ErrorKind::Other)
                .because("the backend's shmat returned an address that is not page-aligned"));
        }
        let size = self.stat_raw()?.shm_segsz;
        // A slice may not exceed isize::MAX bytes; no real mapping does.
        att.len = usize::try_from(size)
            .ok()
            .filter(|&len| isize::try_from(len).is_ok())
            .ok_or(
                Error::new(ErrorKind::OutOfRange).because("the segment is larger than isize::MAX"),
            )?;
        Ok(att)
    }
}

impl<B: Backend> Removable for Segment<B> {
    /// `shmctl(shmid, IPC_RMID, NULL)` — marks the segment for removal.
    ///
    /// The memory lives on until the last process detaches (every [`Attachment`]
    /// keeps working, and [`SegmentStat::is_removed`] turns true); the key becomes
    /// private at once, so a later `shmget` of the same key creates a *new* segment.
    /// A segment nobody has attached is destroyed immediately.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] (`EPERM`) unless the caller is the owner, the
    /// creator or privileged; [`ErrorKind::InvalidArgument`] (`EINVAL`) if the id
    /// names no segment.
    ///
    /// # References
    ///
    /// shmctl(2).
    #[doc(alias = "shmctl")]
    #[doc(alias = "IPC_RMID")]
    fn remove(&self) -> Result<()> {
        during(&"Segment::remove", Object::Segment(self.id), || {
            self.ctl_no_buf(abi::IPC_RMID)
        })
    }
}

// ---- Attachment -----------------------------------------------------------------------

mod sealed {
    pub trait Sealed {}
}

/// What an [`Attachment`] may do to the bytes: [`ReadWrite`] or [`ReadOnly`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{abi, shm::{Access, ReadOnly, ReadWrite}};
///
/// assert_eq!(<ReadWrite as Access>::SHMFLG, 0);
/// assert_eq!(<ReadOnly as Access>::SHMFLG, abi::SHM_RDONLY);
/// ```
pub trait Access: sealed::Sealed {
    /// The `shmat` flag that makes this kind of mapping.
    const SHMFLG: i32;
}

/// Marker: the attachment was made read-write (`shmat` without `SHM_RDONLY`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::shm::{Attachment, ReadWrite, Segment};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
/// let att: Attachment<_, ReadWrite> = seg.attach()?;
/// att.write(0, b"rw")?;
/// assert_eq!(att.load_u8(1), Some(b'w'));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
pub enum ReadWrite {}

/// Marker: the attachment was made with `SHM_RDONLY`; the type offers no write.
///
/// # Examples
///
/// ```
/// use sysv_ipc::shm::{Attachment, ReadOnly, Segment};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_READ)?);
/// // Read permission is enough for a read-only attachment.
/// let ro: Attachment<_, ReadOnly> = seg.attach_read_only()?;
/// assert_eq!(ro.load_u64(0), Some(0));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
pub enum ReadOnly {}

impl sealed::Sealed for ReadWrite {}
impl sealed::Sealed for ReadOnly {}

impl Access for ReadWrite {
    const SHMFLG: i32 = 0;
}

impl Access for ReadOnly {
    const SHMFLG: i32 = abi::SHM_RDONLY;
}

/// A segment mapped into this process; dropping it detaches (`shmdt`).
///
/// The bytes are reached by copy ([`read`](Self::read), [`write`](Self::write)),
/// through atomics ([`atomic_u64`](Self::atomic_u64), the `load_*` methods), or by
/// raw pointer ([`as_ptr`](Self::as_ptr)); as `&[u8]` only through the `unsafe`
/// [`as_bytes_unchecked`](Self::as_bytes_unchecked), because another process can
/// write them at any time (see the [module docs](self#trusted-mode)).
///
/// `A` is [`ReadWrite`] or [`ReadOnly`]; only `Attachment<B, ReadWrite>` has `write`
/// and the atomic views:
///
/// ```compile_fail
/// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
/// let ro = seg.attach_read_only()?;
/// ro.write(0, b"no")?; // error: no method `write` for Attachment<_, ReadOnly>
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// The attachment does not borrow its [`Segment`] handle: the kernel keeps the
/// memory alive until the last detach, even after [`Removable::remove`].
pub struct Attachment<B: Backend = DefaultBackend, A: Access = ReadWrite> {
    ptr: NonNull<u8>,
    len: usize,
    id: i32,
    backend: B,
    /// False once `detach` has run `shmdt`, so that drop does not do it again.
    attached: bool,
    _access: PhantomData<A>,
}

// SAFETY: the mapping belongs to the process, not to a thread, so it may be used and
// detached from any thread. Everything the type does with the memory is an atomic
// access (or raw pointers the user dereferences under their own `unsafe`); the only
// other state is the backend, hence the `B: Send` bound.
unsafe impl<B: Backend + Send, A: Access> Send for Attachment<B, A> {}

// SAFETY: through `&Attachment` threads only copy by atomic accesses, take atomic
// views, or read the length and pointer; concurrent atomic accesses are not data
// races. `backend()` hands out `&B`, hence the `B: Sync` bound.
unsafe impl<B: Backend + Sync, A: Access> Sync for Attachment<B, A> {}

impl<B: Backend, A: Access> fmt::Debug for Attachment<B, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("id", &self.id)
            .field("addr", &self.ptr)
            .field("len", &self.len)
            .field("read_only", &(A::SHMFLG != 0))
            .finish()
    }
}

/// A copy that does not fit in the attachment: `len` bytes at `offset` of a
/// `size`-byte mapping. Converts into [`Error`] (kind [`ErrorKind::OutOfRange`]).
///
/// # Examples
///
/// ```
/// use sysv_ipc::shm::{OutOfBounds, Segment};
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 16, Intent::CreateNew, Mode::OWNER_RW)?);
/// let att = seg.attach()?;
/// let e = att.write(10, b"too long").unwrap_err();
/// assert_eq!(e, OutOfBounds { offset: 10, len: 8, size: 16 });
/// let e = sysv_ipc::Error::from(e);
/// assert_eq!((e.kind(), e.call()), (ErrorKind::OutOfRange, None)); // no system call failed
/// assert_eq!(e.to_string(), "8 bytes at offset 10 do not fit in 16 bytes");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutOfBounds {
    /// Where the copy started.
    pub offset: usize,
    /// How many bytes it wanted.
    pub len: usize,
    /// The size of the shared memory (`shm_segsz`).
    pub size: usize,
}

impl fmt::Display for OutOfBounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes at offset {} do not fit in {} bytes of shared memory",
            self.len, self.offset, self.size
        )
    }
}

impl core::error::Error for OutOfBounds {}

impl From<OutOfBounds> for Error {
    fn from(e: OutOfBounds) -> Error {
        Error::new(ErrorKind::OutOfRange).with_bounds(e.offset, e.len, e.size)
    }
}

impl<B: Backend, A: Access> Attachment<B, A> {
    /// The segment's size in bytes (`shm_segsz`, read right after attaching). The
    /// mapping itself is whole pages, but only these bytes are reachable.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 100, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// assert_eq!(att.len(), 100); // not the 4096 bytes of the mapped page
    /// assert!(att.write(96, b"12345").is_err());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the segment has no bytes (never true for a segment the kernel made).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert!(!seg.attach()?.is_empty());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of the first byte, for code that knows what it does: another
    /// process may write any byte at any time, so every access through this pointer
    /// must be atomic (or synchronised by other means) to be free of data races.
    /// Valid until the attachment is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(16, &42u64.to_ne_bytes())?;
    /// let p = att.as_ptr();
    /// assert_eq!(p.addr() % 4096, 0); // page-aligned
    /// // SAFETY: bytes 16..24 are in bounds, 8-aligned, readable and writable (a
    /// // read-write attachment) while `att` lives, and every access to them is an
    /// // atomic 8-byte one, as AtomicU64::from_ptr requires.
    /// let word = unsafe { AtomicU64::from_ptr(p.wrapping_add(16).cast::<u64>().cast_mut()) };
    /// assert_eq!(word.load(Ordering::Relaxed), 42);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr().cast_const()
    }

    /// The segment's [`len`](Self::len) bytes as a plain `&[u8]`, for code that takes
    /// a byte slice (a decoder, a hash, `write_all`), on the caller's promise that
    /// nobody writes them meanwhile: [trusted mode](self#trusted-mode). Nothing is
    /// copied.
    ///
    /// # Safety
    ///
    /// For as long as the returned slice lives, no one writes any of these bytes: no
    /// other process (through its attachment of this segment), no other thread, and no
    /// other handle of this process over the same segment ([`Attachment::write`], an
    /// atomic from [`atomic_u64`](Attachment::atomic_u64), a [`Shm`], [`ShmSlice`],
    /// view, `Queue` or `SeqLock` there, a raw pointer). Reads by anyone, atomic or
    /// not, are allowed.
    ///
    /// A write while the slice lives is undefined behaviour, not just a wrong byte:
    /// the compiler may read a byte twice and act on two values as one, or keep one
    /// it read before the write (see the [module docs](self#trusted-mode)). The safe
    /// methods need no such promise: their accesses are atomic.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// fn checksum(frame: &[u8]) -> u32 {
    ///     frame.iter().map(|&b| u32::from(b)).sum()
    /// }
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(0, &[1, 2, 3])?;
    /// // SAFETY: a private segment attached once, by this thread, which writes
    /// // nothing while `frame` lives.
    /// let frame = unsafe { att.as_bytes_unchecked() };
    /// assert_eq!((frame.len(), checksum(frame)), (4096, 6));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const unsafe fn as_bytes_unchecked(&self) -> &[u8] {
        // SAFETY: `ptr` is non-null and `len` bytes from it are one readable mapping
        // (shmat's contract, `len` being shm_segsz) that stays mapped while `self` is
        // borrowed (shmdt needs `&mut self` or `self`); `len <= isize::MAX` (checked in
        // attach_raw); the bytes are initialised (the kernel zero-fills segments) and
        // any bytes are valid `u8`s; our caller promises no writes for the lifetime.
        unsafe { core::slice::from_raw_parts(self.as_ptr(), self.len) }
    }

    /// The id of the attached segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(seg.attach()?.segment_id(), seg.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn segment_id(&self) -> i32 {
        self.id
    }

    /// The backend that will detach.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Backend, Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// assert_eq!(att.backend().getpid(), std::process::id() as i32);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn backend(&self) -> &B {
        &self.backend
    }

    /// A handle for the attached segment (for `stat`, `remove`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Segment};
    ///
    /// let att = Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?.attach()?;
    /// let seg = att.segment();
    /// assert_eq!(seg.stat()?.nattch, 1);
    /// seg.remove()?; // the memory stays until `att` detaches
    /// att.write(0, b"still here")?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn segment(&self) -> Segment<B>
    where
        B: Clone,
    {
        Segment::from_id(self.backend.clone(), self.id)
    }

    fn shmdt(&mut self) -> Result<()> {
        self.attached = false;
        // SAFETY: Backend::shmdt requires that no reference into the mapping is used
        // afterwards. Every view this type hands out (atomic references, the copy's
        // regions) borrows `self`, and we hold `&mut self` from `detach` or `drop`,
        // which consume the attachment, so none is alive. `ptr` is the address shmat
        // returned through a clone of the same backend; `attached` makes this run once.
        let r = unsafe { self.backend.shmdt(self.ptr.as_ptr().cast_const().cast()) };
        check(Call::Shmdt, r)
    }

    /// `shmdt(shmaddr)` — detaches now and reports the result (dropping detaches too,
    /// ignoring errors).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] (`EINVAL`) if the mapping is no longer there
    /// (only possible if unsafe code detached it behind this attachment's back).
    ///
    /// # References
    ///
    /// shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// assert_eq!(seg.stat()?.nattch, 1);
    /// att.detach()?;
    /// assert_eq!(seg.stat()?.nattch, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmdt")]
    pub fn detach(mut self) -> Result<()> {
        during(&"Attachment::detach", Object::Segment(self.id), || {
            self.shmdt()
        })
    }
}

impl<B: Backend, A: Access> Drop for Attachment<B, A> {
    fn drop(&mut self) {
        if self.attached {
            let _ = self.shmdt();
        }
    }
}

#[cfg(not(loom))]
impl<B: Backend, A: Access> Attachment<B, A> {
    fn read_region(&self) -> ReadRegion<'_> {
        // SAFETY: ReadRegion::from_raw needs: an 8-aligned base and len <= isize::MAX
        // (both checked in attach_raw: SHMLBA_MIN alignment, isize range); len bytes
        // of one readable mapping that live for the borrow of `self` (shmat's contract
        // gives shm_segsz readable bytes until shmdt, `len` is shm_segsz, and shmdt
        // needs `&mut self`/`self`); only atomic accesses by this process (everything
        // the safe API does goes through copy.rs or atomics).
        unsafe { ReadRegion::from_raw(self.as_ptr(), self.len) }
    }

    /// Copies `buf.len()` bytes at `offset` out of the segment (Relaxed atomic loads;
    /// a concurrent writer can make the copy torn, never undefined behaviour).
    ///
    /// # Errors
    ///
    /// [`OutOfBounds`] if `offset + buf.len()` exceeds [`len`](Self::len); nothing is
    /// copied then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 32, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(3, b"abc")?;
    /// let mut buf = [0u8; 5];
    /// att.read(2, &mut buf)?;
    /// assert_eq!(&buf, b"\0abc\0"); // a new segment is zero-filled
    /// assert!(att.read(30, &mut buf).is_err());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), OutOfBounds> {
        self.read_region().read(offset, buf)
    }

    /// Relaxed atomic load of the `u64` at `offset`; `None` unless `offset` is a
    /// multiple of 8 and the 8 bytes fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 20, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(8, &u64::MAX.to_ne_bytes())?;
    /// assert_eq!(att.load_u64(8), Some(u64::MAX));
    /// assert_eq!(att.load_u64(4), None); // misaligned
    /// assert_eq!(att.load_u64(16), None); // 16..24 does not fit in 20 bytes
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn load_u64(&self, offset: usize) -> Option<u64> {
        self.read_region().load_u64(offset)
    }

    /// Relaxed atomic load of the `u32` at `offset`; `None` unless `offset` is a
    /// multiple of 4 and the aligned 8-byte word around it fits in the segment (so
    /// not in the last `len % 8` bytes).
    ///
    /// The load reads that whole word, the unit of every copy, so it never mixes
    /// access sizes with them. Follow it with
    /// [`fence(Acquire)`](core::sync::atomic::fence) to synchronise with a peer's
    /// Release store.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 20, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(4, &7u32.to_ne_bytes())?;
    /// assert_eq!(att.load_u32(4), Some(7));
    /// assert_eq!(att.load_u32(2), None); // misaligned
    /// assert_eq!(att.load_u32(16), None); // in the last 20 % 8 bytes
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn load_u32(&self, offset: usize) -> Option<u32> {
        self.read_region().load_u32(offset)
    }

    /// Relaxed atomic load of the byte at `offset`; `None` past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 20, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(19, b"!")?;
    /// assert_eq!(att.load_u8(19), Some(b'!'));
    /// assert_eq!(att.load_u8(20), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn load_u8(&self, offset: usize) -> Option<u8> {
        self.read_region().load_u8(offset)
    }
}

#[cfg(not(loom))]
impl<B: Backend> Attachment<B, ReadWrite> {
    fn region(&self) -> Region<'_> {
        // SAFETY: as in read_region, and the mapping is writable: it was made without
        // SHM_RDONLY (the ReadWrite marker), and shmat's contract makes shm_segsz bytes
        // writable then.
        unsafe { Region::from_raw(self.ptr.as_ptr(), self.len) }
    }

    /// The address of the first byte, writable; see [`as_ptr`](Self::as_ptr).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::{AtomicU64, Ordering};
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// // SAFETY: bytes 8..16 are in bounds, 8-aligned and writable (a ReadWrite
    /// // attachment); they are accessed only atomically and in 8-byte words.
    /// let word = unsafe { AtomicU64::from_ptr(att.as_mut_ptr().wrapping_add(8).cast::<u64>()) };
    /// word.store(0x0102_0304, Ordering::Release);
    /// assert_eq!(att.load_u64(8), Some(0x0102_0304));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The segment's [`len`](Attachment::len) bytes as a plain `&mut [u8]`, for
    /// code that fills a byte slice (an encoder, `read_exact`), on the caller's
    /// promise that nobody else touches them meanwhile:
    /// [trusted mode](self#trusted-mode). Nothing is copied.
    ///
    /// # Safety
    ///
    /// For as long as the returned slice lives, no one else reads or writes any of
    /// these bytes: no other process, no other thread, and no other handle of this
    /// process over the same segment (another [`Attachment`], a [`Shm`], [`ShmSlice`],
    /// view, `Queue` or `SeqLock` there, a raw pointer).
    ///
    /// Another access while the slice lives is undefined behaviour, not just a wrong
    /// byte: the compiler may write the bytes late, out of order or more than once,
    /// and a racing access from this process is a data race (see the
    /// [module docs](self#trusted-mode)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut att = seg.attach()?;
    /// // SAFETY: a private segment attached once; nothing else reaches its bytes
    /// // while `bytes` lives.
    /// let bytes = unsafe { att.as_mut_bytes_unchecked() };
    /// bytes[..5].copy_from_slice(b"hello");
    /// assert_eq!(att.load_u8(4), Some(b'o'));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const unsafe fn as_mut_bytes_unchecked(&mut self) -> &mut [u8] {
        // SAFETY: as in as_bytes_unchecked, and the mapping is writable (made without
        // SHM_RDONLY, the ReadWrite marker); `&mut self` keeps this attachment's own
        // methods off the bytes, our caller promises everyone else's.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Copies `data` into the segment at `offset` (Relaxed atomic stores; the bytes of
    /// a partly covered word are replaced by one compare-exchange on the word, so a
    /// reader sees them all old or all new, and the word's other bytes keep whatever
    /// a peer writes there meanwhile).
    ///
    /// # Errors
    ///
    /// [`OutOfBounds`] if `offset + data.len()` exceeds [`len`](Self::len); nothing is
    /// written then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 16, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// att.write(5, b"hello")?;
    /// let mut buf = [0u8; 5];
    /// att.read(5, &mut buf)?;
    /// assert_eq!(&buf, b"hello");
    /// assert!(att.write(12, b"hello").is_err()); // nothing written
    /// assert_eq!(att.load_u8(12), Some(0));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), OutOfBounds> {
        self.region().write(offset, data)
    }

    /// The `u64` at `offset` as an atomic shared with every process that attached the
    /// segment; `None` unless `offset` is a multiple of 8 and the 8 bytes fit.
    ///
    /// Copies access the segment in the same aligned 8-byte words, so the view and
    /// [`read`](Self::read)/[`write`](Self::write) may race freely (the values are
    /// then unspecified, the behaviour is defined).
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// let counter = att.atomic_u64(8).expect("aligned and in bounds");
    /// counter.fetch_add(5, Ordering::AcqRel);
    /// assert_eq!(att.load_u64(8), Some(5));
    /// assert!(att.atomic_u64(4).is_none()); // misaligned
    /// assert!(att.atomic_u64(64).is_none()); // out of bounds
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn atomic_u64(&self, offset: usize) -> Option<&AtomicU64> {
        self.region().word(offset)
    }

    /// The `u32` at `offset` as an atomic; `None` unless `offset` is a multiple of 4
    /// and the 4 bytes fit.
    ///
    /// # Safety
    ///
    /// Rust's memory model (like C++'s) makes two unsynchronised atomic accesses of
    /// *different sizes* to overlapping bytes undefined behaviour unless both are
    /// reads (`core::sync::atomic`, "Memory model for atomic accesses"). Copies and
    /// [`atomic_u64`](Self::atomic_u64) access the segment in aligned 8-byte words (the
    /// last `len % 8` bytes in single bytes), so while this reference lives, this
    /// process must not write the enclosing 8-byte word (or read it, if this view is
    /// used to write) through any of those concurrently, nor through views of other
    /// sizes. Hardware and LLVM define such races byte-wise; the language does not.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// // SAFETY: bytes 32..40 (the word around offset 36) are reached only through
    /// // this view while it lives: no copy or view of another size touches them.
    /// let flag = unsafe { att.atomic_u32(36) }.expect("aligned and in bounds");
    /// flag.store(1, Ordering::Release);
    /// assert_eq!(flag.load(Ordering::Acquire), 1);
    /// // SAFETY: returns None without creating a view.
    /// assert!(unsafe { att.atomic_u32(62) }.is_none()); // misaligned
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub unsafe fn atomic_u32(&self, offset: usize) -> Option<&AtomicU32> {
        if !offset.is_multiple_of(4) || offset.checked_add(4)? > self.len {
            return None;
        }
        let p = self.ptr.as_ptr().wrapping_add(offset).cast::<u32>();
        // SAFETY: AtomicU32::from_ptr (1.95) requires `ptr` aligned to
        // align_of::<AtomicU32>() (4: the base is page-aligned and offset % 4 == 0),
        // valid for reads and writes for 'a (offset + 4 <= len = shm_segsz writable
        // bytes of a ReadWrite mapping, alive until shmdt, which needs `self` while 'a
        // borrows it), and the memory model: no mixed atomic/non-atomic accesses (the
        // crate's are all atomic) and no mixed-size ones, which our caller promises.
        Some(unsafe { AtomicU32::from_ptr(p) })
    }

    /// The byte at `offset` as an atomic; `None` past the end.
    ///
    /// # Safety
    ///
    /// As [`atomic_u32`](Self::atomic_u32): no concurrent access of another size to
    /// the enclosing word from this process while the reference is used.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let att = seg.attach()?;
    /// // SAFETY: the word holding byte 40 (40..48) is reached only through this view
    /// // while it lives.
    /// let b = unsafe { att.atomic_u8(40) }.expect("in bounds");
    /// assert_eq!(b.fetch_add(3, Ordering::Relaxed), 0);
    /// assert_eq!(b.load(Ordering::Relaxed), 3);
    /// // SAFETY: returns None without creating a view.
    /// assert!(unsafe { att.atomic_u8(64) }.is_none());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub unsafe fn atomic_u8(&self, offset: usize) -> Option<&AtomicU8> {
        if offset >= self.len {
            return None;
        }
        let p = self.ptr.as_ptr().wrapping_add(offset);
        // SAFETY: AtomicU8::from_ptr requires alignment 1 (always), validity for reads
        // and writes for 'a (offset < len, a ReadWrite mapping alive while `self` is
        // borrowed) and the memory model, for which our caller vouches (see above).
        Some(unsafe { AtomicU8::from_ptr(p) })
    }
}

// ---- Shm<T> ---------------------------------------------------------------------------

#[cfg(not(loom))]
mod slice;
#[cfg(not(loom))]
pub use slice::ShmSlice;

/// The largest `T` (in bytes) that [`Shm::read`] and [`ShmSlice::get`] return by
/// value: 4096, one page. A larger one is refused at compile time; read it with
/// [`Shm::read_into`] or [`ShmSlice::read_into`] instead.
///
/// A value returned by value is built in the caller's stack frame. Rust threads
/// get 2 MiB of stack by default, and a `no_std` thread often a few KiB, with a
/// guard page of one page (4 KiB) below it, or none. A frame that grows by at
/// most one page cannot step over a guard page without touching it, so even
/// without stack probes an overflow faults rather than writing into whatever lies
/// below; a larger one can land beyond the guard page and corrupt memory silently.
///
/// # Examples
///
/// ```
/// use sysv_ipc::shm::MAX_READ_BY_VALUE;
///
/// assert_eq!(MAX_READ_BY_VALUE, 4096);
/// ```
pub const MAX_READ_BY_VALUE: usize = 4096;

/// The size of `T`, refusing zero-sized types at compile time: a segment cannot be
/// empty (`shmmin` is 1), and a ZST in shared memory says nothing.
const fn value_size<T>() -> usize {
    const {
        assert!(
            size_of::<T>() > 0,
            "Shm<T> needs a type with a size; a zero-sized T cannot live in a segment"
        );
    }
    size_of::<T>()
}

/// One `T` in a shared memory segment, copied in and out whole.
///
/// `T` must be plain data in zerocopy's sense: [`FromBytes`] (any bytes a peer
/// leaves are a valid `T`), [`IntoBytes`] (no padding, so no uninitialised bytes
/// reach the segment), [`Immutable`] and [`KnownLayout`]. Use `#[repr(C)]` and
/// `#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]` so that a C program can
/// map the same layout.
///
/// [`read`](Self::read) (for a `T` of at most [`MAX_READ_BY_VALUE`] bytes),
/// [`read_into`](Self::read_into) and [`write`](Self::write) (for any size) copy the
/// value with Relaxed atomic word accesses. For a segment of `n` records whose
/// number is known only at run time, see [`ShmSlice`]. A peer writing while we read (or two writers) can produce a
/// **torn** value, some words old and some new. It is still a valid `T`, never
/// undefined behaviour, but not necessarily one anyone wrote: for consistent values
/// serialise access with a semaphore ([`crate::sem`]) or use a seqlock.
///
/// `Shm` owns its attachment (dropping it detaches) and hands out its [`Segment`]
/// for `stat` and `remove`. `A` is [`ReadWrite`] or [`ReadOnly`]
/// ([`Shm::open_read_only`]); only `ReadWrite` has `write`.
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Shm};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Debug, PartialEq)]
/// #[repr(C)]
/// struct Telemetry {
///     seq: u64,
///     temp_millis: i32,
///     flags: u32,
/// }
///
/// let shm = Shm::<Telemetry>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
/// let _cleanup = Removal::new(*shm.segment());
/// shm.write(&Telemetry { seq: 1, temp_millis: 21_500, flags: 0 });
/// assert_eq!(shm.read().temp_millis, 21_500);
/// assert_eq!(shm.segment().stat()?.size, 16);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// A zero-sized `T` is refused when the program is built:
///
/// ```compile_fail
/// use sysv_ipc::{Intent, Key, Mode, shm::Shm};
///
/// let empty = Shm::<()>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct Shm<T, B: Backend = DefaultBackend, A: Access = ReadWrite> {
    segment: Segment<B>,
    attachment: Attachment<B, A>,
    _value: PhantomData<T>,
}

impl<T, B: Backend + fmt::Debug, A: Access> fmt::Debug for Shm<T, B, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shm")
            .field("type", &core::any::type_name::<T>())
            .field("segment", &self.segment)
            .field("attachment", &self.attachment)
            .finish()
    }
}

impl<T> Shm<T>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
{
    /// `shmget(key, size_of::<T>(), flags | mode)` + `shmat` — creates (or opens) a
    /// segment for one `T` and attaches it read-write, on the default backend. See
    /// [`Shm::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Shm};
    ///
    /// let shm = Shm::<[u32; 4]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(shm.read(), [0; 4]); // zero-filled
    /// shm.write(&[1, 2, 3, 4]);
    /// assert_eq!(shm.read(), [1, 2, 3, 4]);
    /// shm.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"Shm::create", Object::Key(key), || {
            Shm::create_in(DefaultBackend::default(), key, intent, mode)
        })
    }

    /// `shmget(key, 0, 0)` + `shmat` — opens `key`'s segment read-write as a `T`, on
    /// the default backend. See [`Shm::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Shm};
    ///
    /// let key = Key::new(0x4e00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let writer = Shm::<u64>::create(key, Intent::CreateNew, Mode::OWNER_RW)?;
    /// writer.write(&99);
    /// // In another process:
    /// let reader = Shm::<u64>::open(key)?;
    /// assert_eq!(reader.read(), 99);
    /// writer.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open(key: Key) -> Result<Self> {
        during(&"Shm::open", Object::Key(key), || {
            Shm::open_in(DefaultBackend::default(), key)
        })
    }

    /// [`Shm::open_wait_in`] waiting up to `timeout` for a peer to create the object.
    ///
    /// # Errors
    ///
    /// As [`Shm::open_wait_in`].
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"Shm::open_wait", Object::Key(key), || {
            Shm::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// `shmget(key, 0, 0)` + `shmat(.., SHM_RDONLY)` — opens `key`'s segment
    /// read-only as a `T`, on the default backend. See [`Shm::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Shm};
    ///
    /// let key = Key::new(0x4f00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let writer = Shm::<[u8; 8]>::create(key, Intent::CreateNew, Mode::new(0o644))?;
    /// writer.write(b"readings");
    /// let reader = Shm::<[u8; 8]>::open_read_only(key)?; // has no `write`
    /// assert_eq!(&reader.read(), b"readings");
    /// writer.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_read_only(key: Key) -> Result<Shm<T, DefaultBackend, ReadOnly>> {
        during(&"Shm::open_read_only", Object::Key(key), || {
            Shm::open_read_only_in(DefaultBackend::default(), key)
        })
    }

    /// [`Shm::open_read_only_wait_in`] waiting up to `timeout` for a peer to create the object.
    ///
    /// # Errors
    ///
    /// As [`Shm::open_read_only_wait_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{thread, time::Duration};
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Shm};
    ///
    /// let key = Key::new(0x6c00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let writer = thread::spawn(move || -> sysv_ipc::Result<()> {
    ///     thread::sleep(Duration::from_millis(20)); // the writer's program starts later
    ///     Shm::<u64>::create(key, Intent::CreateNew, Mode::new(0o644))?.write(&5);
    ///     Ok(())
    /// });
    /// let reader = Shm::<u64>::open_read_only_wait(key, Duration::from_secs(5))?;
    /// writer.join().unwrap()?;
    /// assert_eq!(reader.read(), 5);
    /// reader.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_read_only_wait(
        key: Key,
        timeout: Duration,
    ) -> Result<Shm<T, DefaultBackend, ReadOnly>> {
        during(&"Shm::open_read_only_wait", Object::Key(key), || {
            Shm::open_read_only_wait_in(DefaultBackend::default(), key, timeout)
        })
    }
}

impl<T, B> Shm<T, B, ReadWrite>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend + Clone,
{
    /// `shmget(key, size_of::<T>(), flags | mode)` + `shmat` — a segment for one `T`,
    /// created zero-filled (so the value starts as all-zero bytes) or opened as
    /// `intent` says, attached read-write.
    ///
    /// A zero-sized `T` is refused at compile time.
    ///
    /// # Errors
    ///
    /// As [`Segment::create_in`] and [`Segment::attach`]; opening an existing segment
    /// smaller than `T` is [`ErrorKind::SizeMismatch`] (the kernel's `EINVAL`, made
    /// precise by an `IPC_STAT`). A larger one is accepted, as in [`Shm::open_in`].
    ///
    /// # References
    ///
    /// shmget(2), shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, shm::Segment, shm::Shm};
    ///
    /// let key = Key::new(0x5000_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let small = Removal::new(Segment::create_in(b, key, 4, Intent::CreateNew, Mode::OWNER_RW)?);
    /// // The key's segment is too small for a u64.
    /// let e = Shm::<u64>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(4), Some(8)));
    /// let shm = Shm::<u32>::create_in(b, key, Intent::OpenOrCreate, Mode::OWNER_RW)?;
    /// assert_eq!(shm.segment().id(), small.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"Shm::create_in", Object::Key(key), || {
            Self::create_with(backend, key, intent, mode, SegmentOptions::new())
        })
    }

    /// [`Shm::create_in`] with [`SegmentOptions`]: a `T` on huge pages
    /// (`SHM_HUGETLB`, whose segment the kernel rounds up to whole huge pages; the
    /// `T` is its first bytes), or without swap reserved (`SHM_NORESERVE`).
    ///
    /// # Errors
    ///
    /// As [`Shm::create_in`] and [`Segment::create_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::{SegmentOptions, Shm};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removable};
    ///
    /// let b = DefaultBackend::default();
    /// let opts = SegmentOptions::new().no_reserve();
    /// let shm = Shm::<[u64; 512], _>::create_with(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, opts)?;
    /// shm.write(&[7; 512]);
    /// assert_eq!(shm.read()[511], 7);
    /// shm.into_segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create_with(
        backend: B,
        key: Key,
        intent: Intent,
        mode: Mode,
        options: SegmentOptions,
    ) -> Result<Self> {
        during(&"Shm::create_with", Object::Key(key), || {
            let size = value_size::<T>();
            match Segment::create_with(backend.clone(), key, size, intent, mode, options) {
                Ok(segment) => Shm::from_segment(segment),
                Err(e) if e.kind() == ErrorKind::InvalidArgument && intent != Intent::CreateNew => {
                    // EINVAL for an existing key most likely means "smaller than asked":
                    // say so with the real size if we can see it, else keep the EINVAL.
                    match Segment::open_in(backend, key).and_then(|s| s.stat()) {
                        Ok(st) if st.size < size => Err(Error::new(ErrorKind::SizeMismatch)
                            .with_segment_size(st.size as u64, size as u64)),
                        _ => Err(e),
                    }
                }
                Err(e) => Err(e),
            }
        })
    }

    /// `shmget(key, 0, 0)` + `shmat` — opens `key`'s existing segment as a `T`,
    /// read-write. The segment's real size (`IPC_STAT`) must be at least
    /// `size_of::<T>()`; a larger segment is accepted and `T` is its first bytes.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SizeMismatch`] for a smaller segment ([`Error::actual`] its size,
    /// [`Error::expected`] `size_of::<T>()`); otherwise as [`Segment::open_in`] and
    /// [`Segment::attach`].
    ///
    /// # References
    ///
    /// shmget(2), shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, shm::Segment, shm::Shm};
    ///
    /// let key = Key::new(0x5100_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// // A larger segment: the u64 is its first 8 bytes.
    /// let seg = Removal::new(Segment::create_in(b, key, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// seg.attach()?.write(0, &5u64.to_ne_bytes())?;
    /// let shm = Shm::<u64>::open_in(b, key)?;
    /// assert_eq!(shm.read(), 5);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_in(backend: B, key: Key) -> Result<Self> {
        during(&"Shm::open_in", Object::Key(key), || {
            Shm::from_segment(Segment::open_in(backend, key)?)
        })
    }

    /// [`Shm::open_in`] waiting up to `timeout` for a peer to create the segment:
    /// see [`Segment::open_wait_in`]. A segment of the wrong size is refused at
    /// once, not waited on.
    ///
    /// # Errors
    ///
    /// As [`Segment::open_wait_in`] and [`Shm::open_in`].
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Shm::open_wait_in", Object::Key(key), || {
            Shm::from_segment(Segment::open_wait_in(backend, key, timeout)?)
        })
    }

    /// Attaches `segment` read-write as a `T` (for segments made with
    /// [`Segment::create_with`], or known by id). Checks the size like
    /// [`Shm::open_in`].
    ///
    /// # Errors
    ///
    /// As [`Shm::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::{Segment, SegmentOptions, Shm};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let opts = SegmentOptions::new().no_reserve();
    /// let seg = Removal::new(Segment::create_with(DefaultBackend::default(), Key::PRIVATE, 16, Intent::CreateNew, Mode::OWNER_RW, opts)?);
    /// let shm = Shm::<[u64; 2]>::from_segment(*seg)?;
    /// shm.write(&[3, 4]);
    /// assert_eq!(seg.attach()?.load_u64(8), Some(4));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    pub fn from_segment(segment: Segment<B>) -> Result<Self> {
        during(&"Shm::from_segment", Object::None, || {
            let attachment = segment.attach()?;
            Shm::checked(segment, attachment)
        })
    }

    /// Copies `value` into the segment (Relaxed atomic word stores), straight from
    /// the caller's memory: no temporary, so a `T` of any size can be written from a
    /// `Box` (see [`read_into`](Self::read_into)). A concurrent reader may see part
    /// of it; see the type's docs.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Shm};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Debug, PartialEq)]
    /// #[repr(C)]
    /// struct Limits { min: i32, max: i32 }
    ///
    /// let shm = Shm::<Limits>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*shm.segment());
    /// shm.write(&Limits { min: -5, max: 5 });
    /// assert_eq!(shm.read(), Limits { min: -5, max: 5 });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(not(loom))]
    pub fn write(&self, value: &T) {
        let r = self.attachment.region().write(0, value.as_bytes());
        // Cannot fail: `checked` made sure the attachment holds a whole T.
        debug_assert!(r.is_ok(), "Shm<T>: the attachment is smaller than T");
    }

    /// The mapped value as a plain `&mut T`, nothing copied, on the caller's promise
    /// that nobody else touches it meanwhile: [trusted mode](self#trusted-mode), to
    /// build a value in place with code that takes `&mut T`. Without that promise,
    /// use [`view`](Self::view) or [`write`](Self::write).
    ///
    /// # Safety
    ///
    /// For as long as the returned reference lives, no one else reads or writes any
    /// byte of the value: no other process (through its attachment of this segment),
    /// no other thread, and no other handle of this process (another `Shm`,
    /// [`Attachment`], [`ShmSlice`], view, `Queue` or `SeqLock` over the same segment,
    /// a raw pointer). `&mut self` keeps this `Shm`'s own methods away.
    ///
    /// Another access while the reference lives is undefined behaviour, not just a
    /// wrong value: the compiler may write fields late, out of order or more than
    /// once and assume they still hold what it wrote, and a racing access from this
    /// process is a data race (see the [module docs](self#trusted-mode)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Shm};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
    /// #[repr(C)]
    /// struct Histogram { total: u64, bins: [u64; 256] }
    ///
    /// fn count(h: &mut Histogram, bytes: &[u8]) {
    ///     for &b in bytes {
    ///         h.bins[usize::from(b)] += 1;
    ///         h.total += 1;
    ///     }
    /// }
    ///
    /// let mut shm = Shm::<Histogram>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*shm.segment());
    /// // SAFETY: a private segment, attached only here; nothing else reaches its
    /// // bytes while `h` lives.
    /// let h = unsafe { shm.as_mut_unchecked() };
    /// count(h, b"hello");
    /// assert_eq!(shm.attachment().load_u64(0), Some(5)); // `total`, seen by the safe API
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const unsafe fn as_mut_unchecked(&mut self) -> &mut T {
        const {
            assert!(
                align_of::<T>() <= abi::SHMLBA_MIN,
                "T's alignment is above abi::SHMLBA_MIN (4096), more than shmat promises"
            );
        }
        let p = self.attachment.ptr.as_ptr().cast::<T>();
        // SAFETY: as in as_ref_unchecked (aligned, in bounds, mapped while borrowed,
        // initialised, any bytes a valid T), and writable: a ReadWrite mapping, made
        // without SHM_RDONLY. `&mut self` keeps this Shm's methods off the bytes for
        // the lifetime; our caller promises that nothing else accesses them.
        unsafe { &mut *p }
    }
}

#[cfg(not(loom))]
impl<T, B> Shm<T, B, ReadWrite>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout + ShmView,
    B: Backend,
{
    /// The mapped value as its in-place view: one atomic cell per field, at the
    /// segment's bytes, nothing copied ([`crate::view`]). Reading three fields of a
    /// 4 MiB struct reads those three fields.
    ///
    /// Every access through the view is an atomic load or store of one field (or
    /// array element), so a peer writing at the same time, even garbage, gives wrong
    /// values at worst, never undefined behaviour.
    ///
    /// It takes `&mut self` because the copies ([`read`](Self::read),
    /// [`read_into`](Self::read_into), [`write`](Self::write), the
    /// [`attachment`](Self::attachment)'s) access the
    /// bytes in 8-byte words while the view accesses each field with its own width,
    /// and Rust's memory model makes such mixed-size accesses undefined behaviour
    /// when they race in one process (see [`crate::view`], "Mixed-size accesses").
    /// The view itself is `Sync`: share the one reference between threads.
    ///
    /// A read-only `Shm`'s `view` gives the load-only [`ShmView::ReadView`]
    /// instead (a store into a `SHM_RDONLY` mapping would fault). To hand this
    /// view to code that must only read, [`as_read`](crate::view::ViewCell::as_read)
    /// lends its read view, in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::{Acquire, Release};
    /// use sysv_ipc::{Intent, Key, Mode, Removal, ShmView, shm::Shm};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
    /// #[repr(C)]
    /// struct Frame { seq: u64, pixels: [[u8; 640]; 480] }
    ///
    /// let mut shm = Shm::<Frame>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*shm.segment());
    /// let frame = shm.view();
    /// frame.pixels().at(479).map(|row| row.set(639, 0xff));
    /// frame.seq().store(1, Release);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         assert_eq!(frame.seq().load(Acquire), 1);
    ///         assert_eq!(frame.pixels().at(479).and_then(|row| row.get(639)), Some(0xff));
    ///     });
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// A read-only `Shm`'s view cannot store:
    ///
    /// ```compile_fail,E0599
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Key, shm::Shm};
    ///
    /// let ro = Shm::<u64>::open_read_only(Key::new(1))?;
    /// ro.view().store(1, Relaxed); // error: no method `store` on LoadOnly<AtomicU64>
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn view(&mut self) -> &T::View {
        const {
            assert!(size_of::<T::View>() == size_of::<T>());
            assert!(align_of::<T::View>() <= abi::SHMLBA_MIN);
        }
        let p = self.attachment.ptr.as_ptr().cast::<T::View>();
        // Cannot fail: `checked` made sure the attachment holds a whole T, and shmat
        // returns an SHMLBA_MIN-aligned address.
        debug_assert!(self.attachment.len >= size_of::<T::View>() && p.is_aligned());
        // SAFETY: `p` is aligned for T::View (the mapping is SHMLBA_MIN-aligned, the
        // Backend contract; align_of::<T::View>() <= SHMLBA_MIN, asserted above) and
        // points to size_of::<T::View>() == size_of::<T>() <= len bytes that are
        // readable and writable (a ReadWrite mapping) and initialised (the kernel
        // zero-fills segments), alive until shmdt, which needs the attachment that
        // `&mut self` borrows for the reference's lifetime. ShmView's contract makes
        // those bytes a valid T::View whatever a peer writes (every byte inside an
        // atomic cell, any bits valid) and every access through it atomic, so a
        // shared reference over memory others write is no data race; the `&mut self`
        // borrow keeps this Shm's 8-byte-word copies from racing it in this process.
        unsafe { &*p }
    }
}

#[cfg(not(loom))]
impl<T, B> Shm<T, B, ReadOnly>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout + ShmView,
    B: Backend,
{
    /// The mapped value as its read-only in-place view ([`ShmView::ReadView`]): the
    /// cells of a read-write [`Shm`]'s view, able only to load, at the segment's
    /// bytes, nothing copied. A store through it does not compile; the mapping is
    /// `SHM_RDONLY`, where one would fault.
    ///
    /// Every access through it is a Relaxed atomic load of one field (or array
    /// element), with a fence after it for a stronger ordering: the one kind of
    /// access the standard library promises works on read-only memory (see
    /// [`crate::view`], "Read-only views"). A peer writing at the same time, even
    /// garbage, gives wrong values at worst, never undefined behaviour.
    ///
    /// It takes `&self`, where the read-write `view` takes `&mut self`: everything a
    /// read-only `Shm` does to the bytes is a load, and atomic loads of different
    /// sizes may overlap ("every pair of non-synchronized atomic accesses must be
    /// either disjoint, access the exact same memory (including using the same
    /// access size), or both be reads", `core::sync::atomic`). So
    /// [`read_into`](Self::read_into) may run while the view is in use.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::{Acquire, Release};
    /// use sysv_ipc::{Intent, Key, Mode, Removal, ShmView, shm::Shm};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
    /// #[repr(C)]
    /// struct Frame { seq: u64, pixels: [[u8; 640]; 480] }
    ///
    /// let key = Key::new(0x5400_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let mut writer = Shm::<Frame>::create(key, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*writer.segment());
    /// let w = writer.view();
    /// w.pixels().at(479).map(|row| row.set(639, 0xff));
    /// w.seq().store(1, Release);
    ///
    /// let reader = Shm::<Frame>::open_read_only(key)?;
    /// let frame = reader.view(); // a &FrameReadView
    /// assert_eq!(frame.seq().load(Acquire), 1);
    /// assert_eq!(frame.pixels().at(479).and_then(|row| row.get(639)), Some(0xff));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn view(&self) -> &T::ReadView {
        const {
            assert!(size_of::<T::ReadView>() == size_of::<T>());
            assert!(align_of::<T::ReadView>() <= abi::SHMLBA_MIN);
        }
        let p = self.attachment.ptr.as_ptr().cast::<T::ReadView>();
        // Cannot fail: `checked` made sure the attachment holds a whole T, and shmat
        // returns an SHMLBA_MIN-aligned address.
        debug_assert!(self.attachment.len >= size_of::<T::ReadView>() && p.is_aligned());
        // SAFETY: `p` is aligned for T::ReadView (the mapping is SHMLBA_MIN-aligned,
        // the Backend contract; align_of::<T::ReadView>() <= SHMLBA_MIN, asserted
        // above) and points to size_of::<T::ReadView>() == size_of::<T>() <= len
        // bytes that are readable (a SHM_RDONLY mapping) and initialised (the kernel
        // zero-fills segments), alive until shmdt, which needs the attachment that
        // `&self` borrows for the reference's lifetime. ShmView's contract makes
        // those bytes a valid T::ReadView whatever a peer writes (every byte inside
        // an atomic cell, any bits valid) and every access through it a Relaxed
        // atomic load of at most 8 bytes, which std allows on read-only memory; this
        // Shm's own copies are Relaxed loads too, and loads of any sizes may overlap.
        unsafe { &*p }
    }
}

impl<T, B> Shm<T, B, ReadOnly>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend + Clone,
{
    /// `shmget(key, 0, 0)` + `shmat(.., SHM_RDONLY)` — opens `key`'s segment as a
    /// `T`, read-only: the result has [`read`](Shm::read) and no `write`.
    ///
    /// # Errors
    ///
    /// As [`Shm::open_in`], with only read permission needed.
    ///
    /// # References
    ///
    /// shmget(2), shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, shm::Shm};
    ///
    /// let key = Key::new(0x5200_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let writer = Shm::<i64>::create_in(b, key, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*writer.segment());
    /// writer.write(&-1);
    /// assert_eq!(Shm::<i64, _, _>::open_read_only_in(b, key)?.read(), -1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_read_only_in(backend: B, key: Key) -> Result<Self> {
        during(&"Shm::open_read_only_in", Object::Key(key), || {
            Shm::from_segment_read_only(Segment::open_in(backend, key)?)
        })
    }

    /// [`Shm::open_read_only_in`] waiting up to `timeout` for a peer to create
    /// the segment: see [`Segment::open_wait_in`].
    ///
    /// # Errors
    ///
    /// As [`Segment::open_wait_in`] and [`Shm::open_read_only_in`].
    pub fn open_read_only_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"Shm::open_read_only_wait_in", Object::Key(key), || {
            Shm::from_segment_read_only(Segment::open_wait_in(backend, key, timeout)?)
        })
    }

    /// Attaches `segment` read-only as a `T`; checks the size like [`Shm::open_in`].
    ///
    /// # Errors
    ///
    /// As [`Shm::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::Segment, shm::Shm};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW)?);
    /// seg.attach()?.write(0, &[1, 0, 0, 0])?;
    /// let ro = Shm::<u32, _, _>::from_segment_read_only(*seg)?;
    /// assert_eq!(ro.read(), u32::from_ne_bytes([1, 0, 0, 0]));
    /// // Too small for a u64: refused before any read.
    /// let e = Shm::<u64, _, _>::from_segment_read_only(*seg).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(4), Some(8)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    pub fn from_segment_read_only(segment: Segment<B>) -> Result<Self> {
        during(&"Shm::from_segment_read_only", Object::None, || {
            let attachment = segment.attach_read_only()?;
            Shm::checked(segment, attachment)
        })
    }
}

impl<T, B, A> Shm<T, B, A>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend,
    A: Access,
{
    fn checked(segment: Segment<B>, attachment: Attachment<B, A>) -> Result<Self> {
        let expected = value_size::<T>();
        let actual = attachment.len();
        if actual < expected {
            // Dropping `attachment` detaches.
            return Err(Error::new(ErrorKind::SizeMismatch)
                .with_segment_size(actual as u64, expected as u64)
                .on(Object::Segment(segment.id)));
        }
        Ok(Shm {
            segment,
            attachment,
            _value: PhantomData,
        })
    }

    /// Copies the value out of the segment (Relaxed atomic word loads). If a peer
    /// writes meanwhile, the copy may be torn: a valid `T`, but possibly a mix of
    /// old and new words; see the type's docs.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Shm};
    ///
    /// let shm = Shm::<[u16; 3]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*shm.segment());
    /// assert_eq!(shm.read(), [0; 3]);
    /// shm.write(&[7, 8, 9]);
    /// assert_eq!(shm.read(), [7, 8, 9]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// `T` is returned by value, so it passes through the stack: a `T` larger than
    /// [`MAX_READ_BY_VALUE`] (4 KiB) is refused when the program is built. Read a
    /// larger one with [`read_into`](Self::read_into) into memory of your own:
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, shm::Shm};
    ///
    /// let shm = Shm::<[u64; 1024]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let frame = shm.read(); // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(not(loom))]
    pub fn read(&self) -> T {
        const {
            assert!(
                size_of::<T>() <= MAX_READ_BY_VALUE,
                "Shm::read returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use Shm::read_into(&mut T) instead"
            )
        };
        let mut value = T::new_zeroed();
        self.read_into(&mut value);
        value
    }

    /// Copies the value out of the segment into `out` (Relaxed atomic word loads),
    /// straight from the mapping into the caller's memory: no temporary, so a `T` of
    /// any size can be read, into a `Box` or a `static`, from a thread with a small
    /// stack. Torn like [`read`](Self::read) if a peer writes meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Shm};
    /// use zerocopy::FromZeros;
    ///
    /// type Frame = [u64; 1 << 17]; // 1 MiB: too large for `read`
    /// let shm = Shm::<Frame>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*shm.segment());
    /// // Allocated zeroed on the heap, never built on the stack.
    /// let mut frame = Frame::new_box_zeroed().expect("1 MiB of heap");
    /// frame[7] = 70;
    /// shm.write(&frame);
    /// frame[7] = 0;
    /// shm.read_into(&mut frame);
    /// assert_eq!(frame[7], 70);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(not(loom))]
    pub fn read_into(&self, out: &mut T) {
        let r = self.attachment.read_region().read(0, out.as_mut_bytes());
        // Cannot fail: `checked` made sure the attachment holds a whole T.
        debug_assert!(r.is_ok(), "Shm<T>: the attachment is smaller than T");
    }

    /// The mapped value as a plain `&T`, nothing copied, on the caller's promise
    /// that nobody writes it meanwhile: [trusted mode](self#trusted-mode), for
    /// programs whose peers are trusted (to pass a frame to code that takes `&T`).
    /// Without that promise, use [`view`](Self::view) (in place, atomic per field)
    /// or [`read_into`](Self::read_into).
    ///
    /// # Safety
    ///
    /// For as long as the returned reference lives, no one writes any byte of the
    /// value: no other process (through its attachment of this segment), no other
    /// thread, and no other handle of this process (this `Shm`'s
    /// [`write`](Self::write), another `Shm`, [`Attachment`], [`ShmSlice`], view,
    /// `Queue` or `SeqLock` over the same segment, a raw pointer). Reads by anyone,
    /// atomic or not, are allowed.
    ///
    /// A write while the reference lives is undefined behaviour, not just a wrong
    /// value: the compiler may read a field twice and act on two values as one (a
    /// length checked against a bound, then loaded again to index), or keep one it
    /// read before the write (see the [module docs](self#trusted-mode)). The safe
    /// methods need no such promise: their accesses are atomic, so a racing write
    /// gives a torn value. That the bytes are a valid `T` is not part of the promise:
    /// `T: FromBytes` makes any bytes one.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Shm};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
    /// #[repr(C)]
    /// struct Frame { len: u32, data: [u8; 1020] }
    ///
    /// fn decode(frame: &Frame) -> &[u8] {
    ///     frame.data.get(..frame.len as usize).unwrap_or(&[])
    /// }
    ///
    /// let shm = Shm::<Frame>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*shm.segment());
    /// shm.attachment().write(4, b"abc")?;
    /// shm.attachment().write(0, &3u32.to_ne_bytes())?;
    /// // SAFETY: a private segment, attached only here, and this thread writes
    /// // nothing while `frame` lives.
    /// let frame = unsafe { shm.as_ref_unchecked() };
    /// assert_eq!(decode(frame), b"abc");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const unsafe fn as_ref_unchecked(&self) -> &T {
        const {
            assert!(
                align_of::<T>() <= abi::SHMLBA_MIN,
                "T's alignment is above abi::SHMLBA_MIN (4096), more than shmat promises"
            );
        }
        let p = self.attachment.ptr.as_ptr().cast::<T>();
        // SAFETY: `p` is aligned for T (shmat returns an SHMLBA_MIN-aligned address,
        // checked in attach_raw; align_of::<T>() <= SHMLBA_MIN, asserted above) and
        // points to size_of::<T>() <= len readable bytes (`checked`) of one mapping
        // that stays while `self` is borrowed (shmdt needs the attachment by `&mut`
        // or by value); the bytes are initialised (the kernel zero-fills segments)
        // and a valid T whatever they are (T: FromBytes); T: Immutable has no
        // UnsafeCell, so `&T` permits no write through it, and our caller promises
        // that nothing else writes for the reference's lifetime.
        unsafe { &*p }
    }

    /// The segment, for [`stat`](Segment::stat), [`remove`](Removable::remove), ...
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Shm};
    ///
    /// let shm = Shm::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let st = shm.segment().stat()?;
    /// assert_eq!((st.size, st.nattch), (8, 1));
    /// shm.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn segment(&self) -> &Segment<B> {
        &self.segment
    }

    /// The attachment, for byte-level access beyond `T` in a larger segment.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment, shm::Shm};
    ///
    /// // A u32 followed by a byte log, in one segment.
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let shm = Shm::<u32>::from_segment(*seg)?;
    /// shm.write(&3);
    /// shm.attachment().write(8, b"log")?;
    /// assert_eq!((shm.attachment().len(), shm.attachment().load_u8(8)), (64, Some(b'l')));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn attachment(&self) -> &Attachment<B, A> {
        &self.attachment
    }

    /// Detaches and gives back the segment handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::Shm};
    ///
    /// let shm = Shm::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let seg = shm.into_segment(); // detached
    /// assert_eq!(seg.stat()?.nattch, 0);
    /// seg.remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn into_segment(self) -> Segment<B> {
        let Shm {
            segment,
            attachment,
            ..
        } = self;
        drop(attachment);
        segment
    }
}

/// The attachment paths over the mock's memory: what Miri checks (alignment, bounds
/// and provenance of the views built from `shmat`'s pointer); the kernel tests are in
/// `tests/shm.rs`.
#[cfg(all(test, not(loom)))]
mod tests {
    use core::sync::atomic::Ordering;

    use sysv_ipc_mock::Mock;
    use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

    use super::*;

    static KERNEL: Mock = Mock::new();

    #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Debug, PartialEq)]
    #[repr(C)]
    struct Pair {
        a: u64,
        b: [u8; 12],
        c: u32,
    }

    #[test]
    fn attachments_over_mock_memory() {
        let seg = Segment::create_in(
            &KERNEL,
            Key::PRIVATE,
            4100,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let att = seg.attach().unwrap();
        assert_eq!(att.len(), 4100);
        att.write(4093, b"tail!!!").unwrap();
        att.write(5, b"head").unwrap();
        let mut buf = [0u8; 7];
        att.read(4093, &mut buf).unwrap();
        assert_eq!(&buf, b"tail!!!");
        assert!(att.read(4094, &mut buf).is_err());
        let counter = att.atomic_u64(4080).unwrap();
        counter.fetch_add(3, Ordering::Relaxed);
        // Views of other sizes only where nothing else ever accesses the bytes: Miri
        // (like the memory model) rejects mixing sizes, even without a race (its
        // weak-memory emulation stops with "partially overlapping store buffer").
        // SAFETY: this test is the only user of the segment, and bytes 2048..2052 are
        // accessed through `w` alone.
        let w = unsafe { att.atomic_u32(2048) }.unwrap();
        w.store(0x0a0b_0c0d, Ordering::Relaxed);
        assert_eq!(w.load(Ordering::Relaxed), 0x0a0b_0c0d);
        // SAFETY: as above, for byte 3000.
        let b = unsafe { att.atomic_u8(3000) }.unwrap();
        b.store(9, Ordering::Relaxed);
        assert_eq!(b.load(Ordering::Relaxed), 9);
        assert_eq!(
            att.load_u32(4),
            Some(u32::from_ne_bytes([0, b'h', b'e', b'a']))
        );

        let ro = seg.attach_read_only().unwrap();
        assert_eq!(ro.load_u64(4080), Some(3));
        let mut head = [0u8; 4];
        ro.read(5, &mut head).unwrap();
        assert_eq!(&head, b"head");
        drop(ro);
        att.detach().unwrap();

        let shm = Shm::<Pair, _>::from_segment(seg).unwrap();
        let value = Pair {
            a: u64::MAX - 1,
            b: *b"twelve bytes",
            c: 7,
        };
        shm.write(&value);
        assert_eq!(shm.read(), value);
        shm.into_segment().remove().unwrap();
    }

    /// Trusted mode's references over the mock's memory: Miri checks their
    /// alignment, bounds and provenance, and that the safe copies before and after
    /// them are no race.
    #[test]
    fn trusted_references_over_mock_memory() {
        let mut shm =
            Shm::<Pair, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
                .unwrap();
        let value = Pair {
            a: 1,
            b: *b"twelve bytes",
            c: 3,
        };
        shm.write(&value);
        // SAFETY: this test is the only user of the segment and writes nothing while
        // the references live.
        let r = unsafe { shm.as_ref_unchecked() };
        // SAFETY: as above.
        let bytes = unsafe { shm.attachment().as_bytes_unchecked() };
        assert_eq!((r, bytes), (&value, value.as_bytes()));
        // SAFETY: as above, and no other reference into the segment is alive.
        let m = unsafe { shm.as_mut_unchecked() };
        m.c = 4;
        m.b[0] = b'T';
        assert_eq!(shm.read().c, 4);
        assert_eq!(shm.attachment().load_u8(8), Some(b'T'));
        shm.into_segment().remove().unwrap();
    }
}
