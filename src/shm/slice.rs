//! [`ShmSlice<T>`]: a segment holding `n` records, `n` known only at run time.
//!
//! A separate type rather than `Shm<[T]>`: `Shm<T>`'s constructors take no length
//! and its `read` returns a `T`, so an unsized `Shm<[T]>` would need `T: ?Sized` on
//! `Shm` and every impl, a second set of constructors under the same names with
//! another argument list, and whole-value methods that exist for one shape and not
//! the other. zerocopy's `KnownLayout` for slices would give the length from the
//! size, which is one division here. `ShmSlice` keeps `Shm<T>` as it is.
//!
//! Every copy goes through the attachment's word-wise copy (`copy.rs`), straight
//! between the mapping and the caller's memory, so the same reasoning as
//! `Shm<T>`'s holds: no reference into the segment, and any bytes are a valid `T`.
//! The in-place views (`ShmSlice::view`) are references to atomic cells only, made
//! as `Shm::view` makes its, under the `ShmView` contract.
//! The exceptions are trusted mode's `unsafe` `as_slice_unchecked` and
//! `as_mut_slice_unchecked`, on the caller's promise (`shm.rs`, "Trusted mode").

use core::fmt;
use core::marker::PhantomData;
use core::ops::Range;
use core::time::Duration;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{Access, Attachment, MAX_READ_BY_VALUE, ReadOnly, ReadWrite, Segment, SegmentOptions};
use crate::abi;
use crate::error::{Error, ErrorKind, Object, Result, during};
use crate::view::ShmView;
use crate::{Backend, DefaultBackend, Intent, Key, Mode};

/// The size of one element, refusing zero-sized types at compile time: `n` of
/// them fill no segment, and the length could not be told from the size.
const fn element_size<T>() -> usize {
    const {
        assert!(
            size_of::<T>() > 0,
            "ShmSlice<T> needs a type with a size; zero-sized elements cannot be counted from a segment's size"
        );
    }
    size_of::<T>()
}

/// `len` elements of `T` in bytes, or an error naming why not.
fn bytes_for<T>(len: usize) -> Result<usize> {
    if len == 0 {
        return Err(Error::new(ErrorKind::InvalidArgument)
            .because("a ShmSlice needs at least one element (a segment has at least 1 byte)"));
    }
    len.checked_mul(element_size::<T>())
        .filter(|&n| isize::try_from(n).is_ok())
        .ok_or(
            Error::new(ErrorKind::InvalidArgument)
                .because("len * size_of::<T>() exceeds isize::MAX bytes"),
        )
}

/// A run-time number of `T`s in one shared memory segment: "a segment holding `n`
/// records", reached by index and by range, each access bounds-checked.
///
/// `T` is plain data as for [`Shm<T>`](super::Shm) (zerocopy's [`FromBytes`],
/// [`IntoBytes`], [`Immutable`], [`KnownLayout`]). Element `i` lies at byte
/// `i * size_of::<T>()`, as in a C array `T records[n]` over the segment. The length
/// is the segment's size divided by `size_of::<T>()`: a segment whose size is not a
/// whole multiple is refused, and a zero-sized `T` does not compile.
///
/// Copies are Relaxed atomic word accesses straight between the mapping and the
/// caller's memory: no temporary, so records and ranges of any size can be
/// copied from a thread with a small stack. A peer writing concurrently can
/// **tear** a record (some words old, some new): still a valid `T`, never
/// undefined behaviour; see [`Shm`](super::Shm)'s docs for consistent values.
///
/// Out-of-range indices and ranges are errors ([`ErrorKind::OutOfRange`], naming
/// the index and the length), never panics. `A` is [`ReadWrite`] or [`ReadOnly`]
/// ([`ShmSlice::open_read_only`]); only `ReadWrite` has [`set`](Self::set) and
/// [`write_range`](Self::write_range).
///
/// ```
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::ShmSlice};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// struct Sample { t_ns: u64, value: f64 }
///
/// let n = 10_000; // from a config file, say
/// let log = ShmSlice::<Sample>::create(Key::PRIVATE, n, Intent::CreateNew, Mode::OWNER_RW)?;
/// let _cleanup = Removal::new(*log.segment());
/// assert_eq!((log.len(), log.segment().stat()?.size), (n, n * 16));
/// log.set(42, &Sample { t_ns: 1, value: 0.5 })?;
/// assert_eq!(log.get(42)?.value, 0.5);
/// let e = log.get(n).unwrap_err();
/// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::OutOfRange, Some(10_000), Some(10_000)));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// A zero-sized `T` is refused when the program is built:
///
/// ```compile_fail,E0080
/// use sysv_ipc::{Intent, Key, Mode, shm::ShmSlice};
///
/// let nothing = ShmSlice::<()>::create(Key::PRIVATE, 8, Intent::CreateNew, Mode::OWNER_RW)?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct ShmSlice<T, B: Backend = DefaultBackend, A: Access = ReadWrite> {
    segment: Segment<B>,
    attachment: Attachment<B, A>,
    len: usize,
    _value: PhantomData<T>,
}

impl<T, B: Backend + fmt::Debug, A: Access> fmt::Debug for ShmSlice<T, B, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShmSlice")
            .field("type", &core::any::type_name::<T>())
            .field("len", &self.len)
            .field("segment", &self.segment)
            .field("attachment", &self.attachment)
            .finish()
    }
}

impl<T> ShmSlice<T>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
{
    /// `shmget(key, len * size_of::<T>(), flags | mode)` + `shmat` — creates (or
    /// opens) a segment of `len` `T`s and attaches it read-write, on the default
    /// backend. See [`ShmSlice::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u32>::create(Key::PRIVATE, 100, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(s.len(), 100);
    /// assert_eq!(s.get(99)?, 0); // zero-filled
    /// s.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create(key: Key, len: usize, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"ShmSlice::create", Object::Key(key), || {
            ShmSlice::create_in(DefaultBackend::default(), key, len, intent, mode)
        })
    }

    /// `shmget(key, 0, 0)` + `shmat` — opens `key`'s segment read-write as `T`s, on
    /// the default backend. See [`ShmSlice::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::ShmSlice};
    ///
    /// let key = Key::new(0x5300_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let writer = ShmSlice::<u64>::create(key, 64, Intent::CreateNew, Mode::OWNER_RW)?;
    /// writer.set(3, &33)?;
    /// // In another process: the length comes from the segment.
    /// let reader = ShmSlice::<u64>::open(key)?;
    /// assert_eq!((reader.len(), reader.get(3)?), (64, 33));
    /// writer.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open(key: Key) -> Result<Self> {
        during(&"ShmSlice::open", Object::Key(key), || {
            ShmSlice::open_in(DefaultBackend::default(), key)
        })
    }

    /// [`ShmSlice::open_wait_in`] on the default backend.
    ///
    /// # Errors
    ///
    /// As [`ShmSlice::open_wait_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::ShmSlice};
    ///
    /// let key = Key::new(0x5400_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let created = ShmSlice::<u16>::create(key, 3, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let opened = ShmSlice::<u16>::open_wait(key, Duration::from_secs(1))?;
    /// assert_eq!(opened.len(), 3);
    /// created.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"ShmSlice::open_wait", Object::Key(key), || {
            ShmSlice::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// `shmget(key, 0, 0)` + `shmat(.., SHM_RDONLY)` — opens `key`'s segment
    /// read-only as `T`s, on the default backend. See
    /// [`ShmSlice::open_read_only_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::ShmSlice};
    ///
    /// let key = Key::new(0x5500_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let writer = ShmSlice::<i32>::create(key, 4, Intent::CreateNew, Mode::new(0o644))?;
    /// writer.write_range(1, &[-1, -2])?;
    /// let reader = ShmSlice::<i32>::open_read_only(key)?; // has no `set`
    /// let mut out = [0; 4];
    /// reader.read_range(0..4, &mut out)?;
    /// assert_eq!(out, [0, -1, -2, 0]);
    /// writer.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_read_only(key: Key) -> Result<ShmSlice<T, DefaultBackend, ReadOnly>> {
        during(&"ShmSlice::open_read_only", Object::Key(key), || {
            ShmSlice::open_read_only_in(DefaultBackend::default(), key)
        })
    }
}

impl<T, B> ShmSlice<T, B, ReadWrite>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend + Clone,
{
    /// `shmget(key, len * size_of::<T>(), flags | mode)` + `shmat` — a segment of
    /// `len` `T`s, created zero-filled or opened as `intent` says, attached
    /// read-write.
    ///
    /// An existing segment is opened as with [`ShmSlice::open_in`] (its length is
    /// its own size over `size_of::<T>()`), and must hold at least `len` elements.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidArgument`]: `len` is 0, or `len * size_of::<T>()`
    ///   exceeds `isize::MAX` (no call is made).
    /// - [`ErrorKind::SizeMismatch`]: the existing segment holds fewer than `len`
    ///   elements, or is not a whole number of them.
    /// - Otherwise as [`Segment::create_in`] and [`Segment::attach`] (a `len` above
    ///   `shmmax` is `InvalidArgument` with [`Error::limit`]).
    ///
    /// # References
    ///
    /// shmget(2), shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let key = Key::new(0x5600_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let s = ShmSlice::<u64, _>::create_in(b, key, 8, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// // Joining it asking for fewer is fine; asking for more is not.
    /// assert_eq!(ShmSlice::<u64, _>::create_in(b, key, 4, Intent::OpenOrCreate, Mode::OWNER_RW)?.len(), 8);
    /// let e = ShmSlice::<u64, _>::create_in(b, key, 9, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(64), Some(72)));
    /// let e = ShmSlice::<u64, _>::create_in(b, key, 0, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create_in(backend: B, key: Key, len: usize, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"ShmSlice::create_in", Object::Key(key), || {
            Self::create_with(backend, key, len, intent, mode, SegmentOptions::new())
        })
    }

    /// [`ShmSlice::create_in`] with [`SegmentOptions`]: the records on huge pages,
    /// or without swap reserved (`SHM_NORESERVE`).
    ///
    /// # Errors
    ///
    /// As [`ShmSlice::create_in`] and [`Segment::create_with`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::shm::{SegmentOptions, ShmSlice};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removable};
    ///
    /// let opts = SegmentOptions::new().no_reserve();
    /// let s = ShmSlice::<u64, _>::create_with(DefaultBackend::default(), Key::PRIVATE, 1 << 16, Intent::CreateNew, Mode::OWNER_RW, opts)?;
    /// s.set(65_535, &1)?;
    /// assert_eq!(s.get(65_535)?, 1);
    /// s.into_segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn create_with(
        backend: B,
        key: Key,
        len: usize,
        intent: Intent,
        mode: Mode,
        options: SegmentOptions,
    ) -> Result<Self> {
        during(&"ShmSlice::create_with", Object::Key(key), || {
            let size = bytes_for::<T>(len)?;
            let segment =
                match Segment::create_with(backend.clone(), key, size, intent, mode, options) {
                    Ok(segment) => segment,
                    Err(e)
                        if e.kind() == ErrorKind::InvalidArgument
                            && intent != Intent::CreateNew =>
                    {
                        // As in Shm::create_with: EINVAL for an existing key most
                        // likely means "smaller than asked"; say so if we can see it.
                        return match Segment::open_in(backend, key).and_then(|s| s.stat()) {
                            Ok(st) if st.size < size => Err(Error::new(ErrorKind::SizeMismatch)
                                .with_segment_size(st.size as u64, size as u64)),
                            _ => Err(e),
                        };
                    }
                    Err(e) => return Err(e),
                };
            let attachment = segment.attach()?;
            ShmSlice::checked(segment, attachment, len)
        })
    }

    /// `shmget(key, 0, 0)` + `shmat` — opens `key`'s existing segment read-write as
    /// `T`s. Its length is the segment's size (`IPC_STAT`) over `size_of::<T>()`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SizeMismatch`] if the size is not a whole multiple of
    /// `size_of::<T>()` ([`Error::actual`] the segment's bytes, [`Error::expected`]
    /// the element's); otherwise as [`Segment::open_in`] and [`Segment::attach`].
    ///
    /// # References
    ///
    /// shmget(2), shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal, shm::Segment, shm::ShmSlice};
    ///
    /// let key = Key::new(0x5700_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let _seg = Removal::new(Segment::create_in(b, key, 100, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(ShmSlice::<u32, _>::open_in(b, key)?.len(), 25);
    /// // 100 bytes are not a whole number of u64s.
    /// let e = ShmSlice::<u64, _>::open_in(b, key).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(100), Some(8)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_in(backend: B, key: Key) -> Result<Self> {
        during(&"ShmSlice::open_in", Object::Key(key), || {
            ShmSlice::from_segment(Segment::open_in(backend, key)?)
        })
    }

    /// [`ShmSlice::open_in`] waiting up to `timeout` for a peer to create the
    /// segment: see [`Segment::open_wait_in`]. A segment of the wrong size is
    /// refused at once, not waited on.
    ///
    /// # Errors
    ///
    /// As [`Segment::open_wait_in`] and [`ShmSlice::open_in`].
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self> {
        during(&"ShmSlice::open_wait_in", Object::Key(key), || {
            ShmSlice::from_segment(Segment::open_wait_in(backend, key, timeout)?)
        })
    }

    /// Attaches `segment` read-write as `T`s; checks the size like
    /// [`ShmSlice::open_in`].
    ///
    /// # Errors
    ///
    /// As [`ShmSlice::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::Segment, shm::ShmSlice};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 24, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let s = ShmSlice::<u64>::from_segment(*seg)?;
    /// s.set(2, &9)?;
    /// assert_eq!(seg.attach()?.load_u64(16), Some(9));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    pub fn from_segment(segment: Segment<B>) -> Result<Self> {
        during(&"ShmSlice::from_segment", Object::None, || {
            let attachment = segment.attach()?;
            ShmSlice::checked(segment, attachment, 1)
        })
    }

    /// Copies `value` into element `index` (Relaxed atomic word stores, straight
    /// from `value`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfRange`] if `index >= len()` ([`Error::actual`] the index,
    /// [`Error::expected`] the length); nothing is written then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<[u8; 3]>::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.set(1, b"abc")?;
    /// assert_eq!(s.get(1)?, *b"abc");
    /// let e = s.set(2, b"xyz").unwrap_err();
    /// assert_eq!(e.to_string(), format!("ShmSlice::set on segment {}: index 2 is out of range for 2 elements", s.segment().id()));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set(&self, index: usize, value: &T) -> Result<()> {
        during(&"ShmSlice::set", self.object(), || {
            let offset = self.offset(index, 1)?;
            self.write_at(offset, value.as_bytes())
        })
    }

    /// Copies `values` into elements `start..start + values.len()`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfRange`] if the range does not fit in `len()`
    /// ([`Error::actual`] its end, [`Error::expected`] the length); nothing is
    /// written then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u16>::create(Key::PRIVATE, 5, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.write_range(2, &[7, 8, 9])?;
    /// let mut all = [0; 5];
    /// s.read_range(0..5, &mut all)?;
    /// assert_eq!(all, [0, 0, 7, 8, 9]);
    /// let e = s.write_range(3, &[1, 2, 3]).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::OutOfRange, Some(6), Some(5)));
    /// assert_eq!(s.get(4)?, 9); // untouched
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write_range(&self, start: usize, values: &[T]) -> Result<()> {
        during(&"ShmSlice::write_range", self.object(), || {
            let offset = self.offset(start, values.len())?;
            self.write_at(offset, values.as_bytes())
        })
    }

    fn write_at(&self, offset: usize, bytes: &[u8]) -> Result<()> {
        // `offset` checked the range against `len`, which `checked` checked against
        // the attachment: this cannot fail, but an error is no panic if it did.
        Ok(self.attachment.region().write(offset, bytes)?)
    }

    /// All [`len`](Self::len) elements as a plain `&mut [T]`, nothing copied, on
    /// the caller's promise that nobody else touches them meanwhile:
    /// [trusted mode](super#trusted-mode), to fill records in place with code that
    /// takes `&mut [T]` (`sort`, `copy_from_slice`). Without that promise, use
    /// [`set`](Self::set) and [`write_range`](Self::write_range).
    ///
    /// # Safety
    ///
    /// For as long as the returned slice lives, no one else reads or writes any byte
    /// of the segment's elements: no other process (through its attachment of this
    /// segment), no other thread, and no other handle of this process (another
    /// `ShmSlice`, [`Shm`](super::Shm), [`Attachment`], view, `Queue` or `SeqLock`
    /// over the same segment, a raw pointer). `&mut self` keeps this `ShmSlice`'s own
    /// methods away.
    ///
    /// Another access while the slice lives is undefined behaviour, not just a wrong
    /// value: the compiler may write elements late, out of order or more than once
    /// and assume they still hold what it wrote, and a racing access from this
    /// process is a data race (see the [module docs](super#trusted-mode)).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let mut s = ShmSlice::<u32>::create(Key::PRIVATE, 5, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.write_range(0, &[5, 3, 4, 1, 2])?;
    /// // SAFETY: a private segment, attached only here; nothing else reaches its
    /// // bytes while `records` lives.
    /// let records = unsafe { s.as_mut_slice_unchecked() };
    /// records.sort_unstable();
    /// assert_eq!(s.get(0)?, 1);
    /// assert_eq!(s.get(4)?, 5);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const unsafe fn as_mut_slice_unchecked(&mut self) -> &mut [T] {
        const {
            assert!(
                align_of::<T>() <= crate::abi::SHMLBA_MIN,
                "T's alignment is above abi::SHMLBA_MIN (4096), more than shmat promises"
            );
        }
        let p = self.attachment.ptr.as_ptr().cast::<T>();
        // SAFETY: as in as_slice_unchecked (aligned, `len` elements in bounds, mapped
        // while borrowed, initialised, any bytes valid Ts), and writable: a ReadWrite
        // mapping, made without SHM_RDONLY. `&mut self` keeps this ShmSlice's methods
        // off the bytes for the lifetime; our caller promises everyone else's.
        unsafe { core::slice::from_raw_parts_mut(p, self.len) }
    }
}

impl<T, B> ShmSlice<T, B, ReadOnly>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend + Clone,
{
    /// `shmget(key, 0, 0)` + `shmat(.., SHM_RDONLY)` — opens `key`'s segment
    /// read-only as `T`s: the result has [`get`](ShmSlice::get),
    /// [`read_into`](ShmSlice::read_into) and [`read_range`](ShmSlice::read_range),
    /// no writes.
    ///
    /// # Errors
    ///
    /// As [`ShmSlice::open_in`], with only read permission needed.
    ///
    /// # References
    ///
    /// shmget(2), shmop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let key = Key::new(0x5800_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let b = DefaultBackend::default();
    /// let w = ShmSlice::<u64, _>::create_in(b, key, 2, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*w.segment());
    /// w.set(1, &11)?;
    /// assert_eq!(ShmSlice::<u64, _, _>::open_read_only_in(b, key)?.get(1)?, 11);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmget")]
    pub fn open_read_only_in(backend: B, key: Key) -> Result<Self> {
        during(&"ShmSlice::open_read_only_in", Object::Key(key), || {
            ShmSlice::from_segment_read_only(Segment::open_in(backend, key)?)
        })
    }

    /// [`ShmSlice::open_read_only_in`] waiting up to `timeout` for a peer to create
    /// the segment: see [`Segment::open_wait_in`].
    ///
    /// # Errors
    ///
    /// As [`Segment::open_wait_in`] and [`ShmSlice::open_read_only_in`].
    pub fn open_read_only_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self> {
        during(
            &"ShmSlice::open_read_only_wait_in",
            Object::Key(key),
            || ShmSlice::from_segment_read_only(Segment::open_wait_in(backend, key, timeout)?),
        )
    }

    /// Attaches `segment` read-only as `T`s; checks the size like
    /// [`ShmSlice::open_in`].
    ///
    /// # Errors
    ///
    /// As [`ShmSlice::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::Segment, shm::ShmSlice};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 12, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(ShmSlice::<u32, _, _>::from_segment_read_only(*seg)?.len(), 3);
    /// let e = ShmSlice::<u64, _, _>::from_segment_read_only(*seg).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::SizeMismatch);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "shmat")]
    pub fn from_segment_read_only(segment: Segment<B>) -> Result<Self> {
        during(&"ShmSlice::from_segment_read_only", Object::None, || {
            let attachment = segment.attach_read_only()?;
            ShmSlice::checked(segment, attachment, 1)
        })
    }
}

impl<T, B, A> ShmSlice<T, B, A>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout,
    B: Backend,
    A: Access,
{
    /// The slice over `attachment`, if its size is a whole number of at least
    /// `min_len` elements.
    fn checked(segment: Segment<B>, attachment: Attachment<B, A>, min_len: usize) -> Result<Self> {
        let size = element_size::<T>();
        let bytes = attachment.len();
        let on = Object::Segment(segment.id());
        // Dropping `attachment` on an error detaches.
        if !bytes.is_multiple_of(size) {
            return Err(Error::new(ErrorKind::SizeMismatch)
                .with_elements(bytes as u64, size as u64)
                .on(on));
        }
        let len = bytes / size;
        if len < min_len {
            return Err(Error::new(ErrorKind::SizeMismatch)
                .with_segment_size(bytes as u64, min_len.saturating_mul(size) as u64)
                .on(on));
        }
        Ok(ShmSlice {
            segment,
            attachment,
            len,
            _value: PhantomData,
        })
    }

    fn object(&self) -> Object {
        Object::Segment(self.segment.id())
    }

    /// The byte offset of elements `start..start + count`, or the error naming them.
    fn offset(&self, start: usize, count: usize) -> Result<usize> {
        match start.checked_add(count) {
            Some(end) if end <= self.len => Ok(start * element_size::<T>()),
            end => Err(Error::new(ErrorKind::OutOfRange).with_index(
                start,
                end.unwrap_or(usize::MAX),
                self.len,
            )),
        }
    }

    fn read_at(&self, offset: usize, bytes: &mut [u8]) -> Result<()> {
        // As in write_at: checked twice over, an error rather than a panic anyway.
        Ok(self.attachment.read_region().read(offset, bytes)?)
    }

    /// The number of elements: the segment's size over `size_of::<T>()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<[u32; 3]>::create(Key::PRIVATE, 7, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// assert_eq!((s.len(), s.attachment().len()), (7, 84));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements: never, a `ShmSlice` holds at least one.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u8>::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// assert!(!s.is_empty());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A copy of element `index`, returned by value: a `T` of at most
    /// [`MAX_READ_BY_VALUE`] bytes (a larger one is refused at compile time; use
    /// [`read_into`](Self::read_into)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfRange`] if `index >= len()` ([`Error::actual`] the index,
    /// [`Error::expected`] the length).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<i64>::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.set(0, &-7)?;
    /// assert_eq!(s.get(0)?, -7);
    /// let e = s.get(usize::MAX).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::OutOfRange, Some(u64::MAX), Some(3)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// ```compile_fail,E0080
    /// use sysv_ipc::{Intent, Key, Mode, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<[u8; 8192]>::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let page = s.get(0)?; // error: T is larger than shm::MAX_READ_BY_VALUE
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn get(&self, index: usize) -> Result<T> {
        const {
            assert!(
                size_of::<T>() <= MAX_READ_BY_VALUE,
                "ShmSlice::get returns T by value, through the stack, and T is larger than \
                 shm::MAX_READ_BY_VALUE (4096 bytes): use ShmSlice::read_into(index, &mut T) instead"
            )
        };
        during(&"ShmSlice::get", self.object(), || {
            let offset = self.offset(index, 1)?;
            let mut value = T::new_zeroed();
            self.read_at(offset, value.as_mut_bytes())?;
            Ok(value)
        })
    }

    /// Copies element `index` into `out`, straight from the mapping: any size.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); `out` is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::ShmSlice};
    /// use zerocopy::FromZeros;
    ///
    /// type Frame = [u8; 1 << 20];
    /// let frames = ShmSlice::<Frame>::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*frames.segment());
    /// let mut frame = Frame::new_box_zeroed().expect("1 MiB of heap");
    /// frame[100] = 1;
    /// frames.set(2, &frame)?;
    /// frame[100] = 0;
    /// frames.read_into(2, &mut frame)?;
    /// assert_eq!(frame[100], 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_into(&self, index: usize, out: &mut T) -> Result<()> {
        during(&"ShmSlice::read_into", self.object(), || {
            let offset = self.offset(index, 1)?;
            self.read_at(offset, out.as_mut_bytes())
        })
    }

    /// Copies elements `range` into `out`, whose length must be the range's.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::OutOfRange`] if `range` does not fit in `len()` (or is
    /// decreasing: its end is then below its start); [`ErrorKind::InvalidArgument`]
    /// if `out.len()` differs from the range's length. `out` is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u32>::create(Key::PRIVATE, 6, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.write_range(0, &[1, 2, 3, 4, 5, 6])?;
    /// let mut mid = [0; 3];
    /// s.read_range(2..5, &mut mid)?;
    /// assert_eq!(mid, [3, 4, 5]);
    /// let e = s.read_range(4..7, &mut mid).unwrap_err();
    /// assert_eq!(e.to_string(), format!("ShmSlice::read_range on segment {}: range 4..7 is out of range for 6 elements", s.segment().id()));
    /// assert_eq!(s.read_range(0..2, &mut mid).unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_range(&self, range: Range<usize>, out: &mut [T]) -> Result<()> {
        during(&"ShmSlice::read_range", self.object(), || {
            let Range { start, end } = range;
            if end < start || end > self.len {
                return Err(Error::new(ErrorKind::OutOfRange).with_index(start, end, self.len));
            }
            if out.len() != end - start {
                return Err(Error::new(ErrorKind::InvalidArgument)
                    .because("read_range: out.len() differs from the range's length"));
            }
            let offset = self.offset(start, out.len())?;
            self.read_at(offset, out.as_mut_bytes())
        })
    }

    /// All [`len`](Self::len) elements as a plain `&[T]`, nothing copied, on the
    /// caller's promise that nobody writes them meanwhile:
    /// [trusted mode](super#trusted-mode), for programs whose peers are trusted (to
    /// hand the records to code that takes `&[T]`). Without that promise, use
    /// [`read_range`](Self::read_range) or [`read_into`](Self::read_into).
    ///
    /// # Safety
    ///
    /// For as long as the returned slice lives, no one writes any byte of the
    /// segment's elements: no other process (through its attachment of this
    /// segment), no other thread, and no other handle of this process (this
    /// `ShmSlice`'s [`set`](Self::set) or [`write_range`](Self::write_range),
    /// another `ShmSlice`, [`Shm`](super::Shm), [`Attachment`], view, `Queue` or
    /// `SeqLock` over the same segment, a raw pointer). Reads by anyone, atomic or
    /// not, are allowed.
    ///
    /// A write while the slice lives is undefined behaviour, not just a wrong value:
    /// the compiler may read an element twice and act on two values as one, or keep
    /// one it read before the write (see the [module docs](super#trusted-mode)). The
    /// safe methods need no such promise: their accesses are atomic. That the bytes
    /// are valid `T`s is not part of the promise: `T: FromBytes` makes any bytes one.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u64>::create(Key::PRIVATE, 1000, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.set(999, &7)?;
    /// // SAFETY: a private segment, attached only here, and this thread writes
    /// // nothing while `samples` lives.
    /// let samples = unsafe { s.as_slice_unchecked() };
    /// assert_eq!((samples.len(), samples.iter().sum::<u64>()), (1000, 7));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const unsafe fn as_slice_unchecked(&self) -> &[T] {
        const {
            assert!(
                align_of::<T>() <= crate::abi::SHMLBA_MIN,
                "T's alignment is above abi::SHMLBA_MIN (4096), more than shmat promises"
            );
        }
        let p = self.attachment.ptr.as_ptr().cast::<T>();
        // SAFETY: `p` is non-null and aligned for T (shmat returns an
        // SHMLBA_MIN-aligned address, checked in attach_raw; align_of::<T>() <=
        // SHMLBA_MIN, asserted above); `len` elements are len * size_of::<T>() <=
        // the attachment's length (`checked`) <= isize::MAX readable bytes of one
        // mapping that stays while `self` is borrowed (shmdt needs the attachment by
        // `&mut` or by value); they are initialised (the kernel zero-fills segments)
        // and valid Ts whatever they are (T: FromBytes); T: Immutable has no
        // UnsafeCell, so `&[T]` permits no write, and our caller promises that nothing
        // else writes for the slice's lifetime.
        unsafe { core::slice::from_raw_parts(p, self.len) }
    }

    /// The segment, for [`stat`](Segment::stat), [`remove`](crate::Removable::remove), ...
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u64>::create(Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW)?;
    /// assert_eq!(s.segment().stat()?.size, 32);
    /// s.segment().remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn segment(&self) -> &Segment<B> {
        &self.segment
    }

    /// The attachment, for byte-level access and atomic views.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u64>::create(Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*s.segment());
    /// s.set(3, &5)?;
    /// assert_eq!(s.attachment().load_u64(24), Some(5));
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
    /// use sysv_ipc::{Intent, Key, Mode, Removable, shm::ShmSlice};
    ///
    /// let s = ShmSlice::<u64>::create(Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let seg = s.into_segment();
    /// assert_eq!(seg.stat()?.nattch, 0);
    /// seg.remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn into_segment(self) -> Segment<B> {
        let ShmSlice {
            segment,
            attachment,
            ..
        } = self;
        drop(attachment);
        segment
    }
}

impl<T, B> ShmSlice<T, B, ReadWrite>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout + ShmView,
    B: Backend,
{
    /// The elements as their in-place views ([`crate::view`]): a slice of `len()`
    /// views, element `i`'s at byte `i * size_of::<T>()`, nothing copied. Index it
    /// with [`get`](slice::get) (`None` past the end), iterate it, split it: each
    /// access through a view is an atomic load or store of one field.
    ///
    /// It takes `&mut self` for the reason [`Shm::view`](super::Shm::view) does:
    /// this slice's copies ([`get`](Self::get), [`set`](Self::set), the ranges)
    /// access the bytes in 8-byte words, the views each field with its own width,
    /// and the two must not race in one process.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, ShmView, shm::ShmSlice};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
    /// #[repr(C)]
    /// struct Sample { t_ns: u64, value: f64 }
    ///
    /// let mut log = ShmSlice::<Sample>::create(Key::PRIVATE, 1000, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*log.segment());
    /// let records = log.view();
    /// records.get(999).map(|r| r.value().store(0.5, Relaxed));
    /// assert!(records.get(1000).is_none());
    /// assert_eq!(records.iter().filter(|r| r.value().load(Relaxed) > 0.0).count(), 1);
    /// assert_eq!(log.get(999)?.value, 0.5); // the same bytes, copied
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn view(&mut self) -> &[T::View] {
        const {
            assert!(size_of::<T::View>() == size_of::<T>());
            assert!(align_of::<T::View>() <= abi::SHMLBA_MIN);
        }
        let p = self.attachment.ptr.as_ptr().cast::<T::View>();
        // Cannot fail: `checked` made sure the attachment holds `len` whole Ts, and
        // shmat returns an SHMLBA_MIN-aligned address.
        debug_assert!(self.attachment.len >= self.len * size_of::<T::View>() && p.is_aligned());
        // SAFETY: `p` is non-null and aligned for T::View (an SHMLBA_MIN-aligned
        // mapping, the Backend contract; align_of::<T::View>() <= SHMLBA_MIN,
        // asserted above) and points to len * size_of::<T::View>() == len *
        // size_of::<T>() <= the attachment's len <= isize::MAX bytes (`checked`,
        // `attach_raw`) that are readable and writable (a ReadWrite mapping) and
        // initialised (the kernel zero-fills segments), alive until shmdt, which
        // needs the attachment that `&mut self` borrows for the slice's lifetime.
        // Element i of a [T::View] lies at i * size_of::<T::View>(), where element
        // i of the segment's T array lies. ShmView's contract makes each element a
        // valid T::View whatever a peer writes (every byte inside an atomic cell,
        // any bits valid) and every access through it atomic, so a shared slice over
        // memory others write is no data race; the `&mut self` borrow keeps this
        // slice's 8-byte-word copies from racing it in this process.
        unsafe { core::slice::from_raw_parts(p, self.len) }
    }
}

impl<T, B> ShmSlice<T, B, ReadOnly>
where
    T: FromBytes + IntoBytes + Immutable + KnownLayout + ShmView,
    B: Backend,
{
    /// The elements as their read-only in-place views ([`ShmView::ReadView`]): a
    /// slice of `len()` of them, element `i`'s at byte `i * size_of::<T>()`, able
    /// only to load (Relaxed atomic loads, which work on this `SHM_RDONLY`
    /// mapping). A store through them does not compile.
    ///
    /// It takes `&self`, as a read-only [`Shm::view`](super::Shm::view) does: all
    /// this slice does to the bytes is load, and loads of different sizes may
    /// overlap.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, ShmView, shm::ShmSlice};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
    /// #[repr(C)]
    /// struct Sample { t_ns: u64, value: f64 }
    ///
    /// let key = Key::new(0x5500_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let log = ShmSlice::<Sample>::create(key, 100, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let _cleanup = Removal::new(*log.segment());
    /// log.set(7, &Sample { t_ns: 70, value: 0.7 })?;
    ///
    /// let ro = ShmSlice::<Sample>::open_read_only(key)?;
    /// let records = ro.view(); // &[SampleReadView]
    /// assert_eq!(records.len(), 100);
    /// assert_eq!(records.get(7).map(|r| r.t_ns().load(Relaxed)), Some(70));
    /// assert!(records.get(100).is_none());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn view(&self) -> &[T::ReadView] {
        const {
            assert!(size_of::<T::ReadView>() == size_of::<T>());
            assert!(align_of::<T::ReadView>() <= abi::SHMLBA_MIN);
        }
        let p = self.attachment.ptr.as_ptr().cast::<T::ReadView>();
        // Cannot fail, as in the read-write `view`.
        debug_assert!(self.attachment.len >= self.len * size_of::<T::ReadView>() && p.is_aligned());
        // SAFETY: as in the read-write `view`, for T::ReadView (of T::View's size and
        // alignment, ShmView's contract) over bytes that are readable (a SHM_RDONLY
        // mapping), alive for the `&self` borrow the slice keeps. Every access
        // through a T::ReadView is a Relaxed atomic load of at most 8 bytes (the
        // contract), which std allows on read-only memory; this slice's own copies
        // are Relaxed loads too, and loads of any sizes may overlap.
        unsafe { core::slice::from_raw_parts(p, self.len) }
    }
}

/// The indexed paths over the mock's memory, for Miri; the kernel tests are in
/// `tests/shm_slice.rs`.
#[cfg(test)]
mod tests {
    use sysv_ipc_mock::Mock;

    use super::*;
    use crate::Removable;

    static KERNEL: Mock = Mock::new();

    /// `ShmSlice::view` of both accesses over the mock's memory: for Miri, the
    /// slices of views cast from `shmat`'s pointer (bounds, alignment, provenance).
    #[test]
    fn views_over_mock_memory() {
        use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

        use crate::view::{ReadCell, ViewCell};

        let mut s = ShmSlice::<[u16; 3], _>::create_in(
            &KERNEL,
            Key::PRIVATE,
            5,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let views = s.view();
        assert_eq!(views.len(), 5);
        views[4].set(2, 0xbeef).unwrap();
        views[1].store([1, 2, 3], Release);
        let ro = ShmSlice::<[u16; 3], _, ReadOnly>::from_segment_read_only(*s.segment()).unwrap();
        let read = ro.view();
        assert_eq!(read.len(), 5);
        assert_eq!(read[4].get(2), Some(0xbeef));
        assert_eq!(read[1].load(Acquire), [1, 2, 3]);
        assert_eq!(
            read.last().and_then(|e| e.at(2)).map(|c| c.load(Relaxed)),
            Some(0xbeef)
        );
        assert_eq!(ro.get(1).unwrap(), [1, 2, 3]); // a copy while `read` lives: loads only
        drop(ro);
        assert_eq!(s.get(4).unwrap(), [0, 0, 0xbeef]);
        s.into_segment().remove().unwrap();
    }

    #[test]
    fn indexed_and_range_copies_over_mock_memory() {
        // 13 bytes per element: the copies start and end mid-word.
        let s = ShmSlice::<[u8; 13], _>::create_in(
            &KERNEL,
            Key::PRIVATE,
            5,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        assert_eq!((s.len(), s.attachment().len()), (5, 65));
        s.set(4, &[4; 13]).unwrap();
        s.write_range(1, &[[1; 13], [2; 13]]).unwrap();
        let mut all = [[9u8; 13]; 5];
        s.read_range(0..5, &mut all).unwrap();
        assert_eq!(all, [[0; 13], [1; 13], [2; 13], [0; 13], [4; 13]]);
        let mut one = [0u8; 13];
        s.read_into(2, &mut one).unwrap();
        assert_eq!(one, [2; 13]);
        assert_eq!(s.get(4).unwrap(), [4; 13]);
        for e in [
            s.get(5).unwrap_err(),
            s.set(5, &one).unwrap_err(),
            s.write_range(4, &[one, one]).unwrap_err(),
            s.write_range(usize::MAX, &[one]).unwrap_err(),
            s.read_range(Range { start: 3, end: 2 }, &mut [])
                .unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::OutOfRange, "{e}");
        }
        let seg = s.into_segment();
        let Err(e) = ShmSlice::<u64, _>::from_segment(seg) else {
            panic!("65 bytes opened as u64s");
        };
        assert_eq!(
            (e.kind(), e.actual(), e.expected()),
            (ErrorKind::SizeMismatch, Some(65), Some(8))
        );
        seg.remove().unwrap();
    }
}
