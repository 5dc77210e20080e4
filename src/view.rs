//! In-place views of `#[repr(C)]` structs in shared memory: one atomic cell per field,
//! no copy of the whole.
//!
//! [`Shm::read`](crate::Shm::read) copies the whole value out; for one field of a
//! 4 MiB struct, or element `i` of a large array, that is a 4 MiB copy and a 4 MiB
//! stack temporary. A **view** reaches the fields where they are: a type
//! [`ShmView`] has a [`View`](ShmView::View), a struct laid out like it whose fields
//! are atomic cells at the same offsets, and [`Shm::view`](crate::Shm::view) hands
//! out a reference to the mapped one. Every access through it is an atomic load or
//! store of one field (or one array element), so a peer writing the same bytes at the
//! same time is never a data race, and because every bit pattern is a valid value of
//! every cell, a hostile peer writing garbage can give wrong values, never undefined
//! behaviour.
//!
//! The cells:
//!
//! | field type | cell | single-copy atomic |
//! |---|---|---|
//! | `u8` `u16` `u32` `u64`, `i8` .. `i64` | [`AtomicU8`] .. [`AtomicI64`] (core's) | yes |
//! | `f32`, `f64` | [`AtomicF32`], [`AtomicF64`] | yes |
//! | `[E; N]` | [`ArrayView<E, N>`] | each element as `E`; not the whole |
//! | a struct deriving [`ShmView`](derive@crate::ShmView) | its generated `XView` | each field; not the whole |
//!
//! A naturally aligned access of 1, 2, 4 or 8 bytes is *single-copy atomic* on the
//! targets this crate supports (x86_64, aarch64): a reader sees the whole old or the
//! whole new value of that field. A struct or array is read field by field
//! ([`ViewCell::load`]), so it may be torn across fields while a peer writes; for a
//! consistent whole, use a semaphore or a [`SeqLock`](crate::SeqLock).
//!
//! `usize` and `isize` have no cell, and the derive refuses them: their width is the
//! process's pointer width, so a 32-bit peer (or a C `size_t` on another ABI) would
//! see another layout. Spell the width (`u64`). `bool`, `char` and enums are refused
//! too: most bit patterns are not valid values of them, and a peer can write any.
//!
//! # Deriving a view
//!
//! ```
//! use core::sync::atomic::Ordering::Relaxed;
//! use sysv_ipc::{Intent, Key, Mode, Removal, ShmView, shm::Shm};
//! use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
//! #[repr(C)]
//! struct Pose { x: f64, y: f64 }
//!
//! #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
//! #[repr(C)]
//! struct Robot {
//!     temp_mc: i32,
//!     flags: u32,
//!     pose: Pose,
//!     samples: [[u16; 4]; 2],
//! }
//!
//! let mut shm = Shm::<Robot>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?;
//! let _cleanup = Removal::new(*shm.segment());
//! let view = shm.view();
//! view.temp_mc().store(21_500, Relaxed);
//! view.pose().x().store(1.5, Relaxed);
//! assert_eq!(view.samples().at(1).and_then(|row| row.set(3, 7).ok()), Some(()));
//! assert_eq!(view.pose().x().load(Relaxed), 1.5);
//! assert_eq!(view.samples().at(1).and_then(|row| row.get(3)), Some(7));
//! assert_eq!(shm.read().temp_mc, 21_500); // the same bytes, copied whole
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
//!
//! # A view written by hand
//!
//! Without the derive, implement [`ShmView`] (the `unsafe` part: the layout promise)
//! and [`ViewCell`] (whole-value loads and stores):
//!
//! ```
//! use core::sync::atomic::{AtomicU32, Ordering};
//! use sysv_ipc::view::{AtomicF32, ShmView, ViewCell};
//! use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Debug, PartialEq)]
//! #[repr(C)]
//! struct Reading { id: u32, celsius: f32 }
//!
//! /// `Reading`, one atomic cell per field.
//! #[repr(C)]
//! struct ReadingView { id: AtomicU32, celsius: AtomicF32 }
//!
//! // SAFETY: both are repr(C) with cells of the same size and alignment as the
//! // fields, in the same order (AtomicU32 for u32, AtomicF32 for f32), so every
//! // offset, the size (8) and the alignment (4) agree, and there is no padding; every
//! // byte of ReadingView is inside an atomic, and any bit pattern is valid for both.
//! unsafe impl ShmView for Reading {
//!     type View = ReadingView;
//! }
//!
//! impl ViewCell for ReadingView {
//!     type Value = Reading;
//!     fn load_into(&self, out: &mut Reading, order: Ordering) {
//!         self.id.load_into(&mut out.id, order);
//!         self.celsius.load_into(&mut out.celsius, order);
//!     }
//!     fn store_from(&self, value: &Reading, order: Ordering) {
//!         self.id.store_from(&value.id, order);
//!         self.celsius.store_from(&value.celsius, order);
//!     }
//! }
//!
//! let cells = ReadingView { id: AtomicU32::new(0), celsius: AtomicF32::new(0.0) };
//! ViewCell::store(&cells, Reading { id: 3, celsius: 21.5 }, Ordering::Release);
//! assert_eq!(ViewCell::load(&cells, Ordering::Acquire), Reading { id: 3, celsius: 21.5 });
//! assert_eq!(size_of::<ReadingView>(), size_of::<Reading>());
//! ```
//!
//! # Other languages
//!
//! The derive also implements [`Foreign`](crate::foreign::Foreign): the struct's C
//! declaration (`typedef struct X { .. } X;` with `_Static_assert`s on its size,
//! alignment and every field's offset) and its Python `ctypes.Structure`, with the
//! numbers Rust computed, so a C or Python peer maps the same bytes. See
//! [`foreign`](crate::foreign) and `examples/render_struct.rs`.
//!
//! # Mixed-size accesses
//!
//! Rust's memory model (`core::sync::atomic`, "Memory model for atomic accesses")
//! makes racing atomic accesses of *different sizes* to the same bytes undefined
//! behaviour unless all of them are reads. A view accesses each field with its own
//! width, while the copies ([`Shm::read`](crate::Shm::read),
//! [`read_into`](crate::Shm::read_into), [`write`](crate::Shm::write), the
//! [`Attachment`](crate::Attachment)'s) use 8-byte words. That is why
//! [`Shm::view`](crate::Shm::view) takes `&mut self`: while the view lives, this
//! `Shm` makes no copy. Peers in other processes are outside the model (the hardware
//! makes every such access byte-wise coherent).
//!
//! # Safety
//!
//! `unsafe` here is the [`ShmView`] contract and its implementations for the
//! primitives and arrays (each states why the cell matches the type), and building a
//! zeroed view in local memory for [`ArrayView::new`]. Views of segment memory are
//! made in `shm.rs` ([`Shm::view`](crate::Shm::view)), from this contract.
#![allow(unsafe_code)]

use core::fmt;
use core::ops::Range;
// Views are public types laid over segment bytes: they must be core's atomics (loom's
// are tracked runtime objects, not layout-compatible), so this module names them
// directly rather than through `crate::sync`, and is absent under loom.
use core::sync::atomic::Ordering;
pub use core::sync::atomic::{
    AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicU8, AtomicU16, AtomicU32, AtomicU64,
};

use zerocopy::{FromBytes, FromZeros, IntoBytes};

/// The largest value (in bytes) that [`ViewCell::load`] and [`ViewCell::store`] move
/// by value, checked when the program is built: larger ones would be a stack
/// temporary of their size. Use [`ViewCell::load_into`]/[`ViewCell::store_from`]
/// (no temporary), or the fields and elements one by one.
///
/// ```
/// assert_eq!(sysv_ipc::view::WHOLE_MAX, 4096);
/// ```
pub const WHOLE_MAX: usize = 4096;

/// A `#[repr(C)]` type that can be viewed in place in shared memory: its
/// [`View`](Self::View) is the same bytes seen as atomic cells.
///
/// Derive it (`#[derive(ShmView)]`, the `derive` feature, on by default), or
/// implement it by hand (see the [module docs](self)). The primitive integers
/// (`u8`..`u64`, `i8`..`i64`), `f32`, `f64` and arrays `[E; N]` of `ShmView` types
/// implement it here.
///
/// # Safety
///
/// A reference `&Self::View` is made from a pointer to `size_of::<Self>()` bytes of
/// shared memory that hold (or will hold) a `Self`, that another process may read and
/// write at any time with any bytes. An implementation guarantees, for every target
/// it compiles on:
///
/// - **Layout**: `size_of::<Self::View>() == size_of::<Self>()`,
///   `align_of::<Self::View>() == align_of::<Self>()`, and `Self::View` has a stable
///   layout (`#[repr(C)]` or `#[repr(transparent)]`, or an array of such) in which
///   each field of `Self` corresponds to a cell (a field of `Self::View`) at the
///   same offset, whose own type is the `ShmView::View` of that field's type (or is
///   layout-identical to it under these same rules).
/// - **Every byte is a cell**: `Self::View` has no padding, and every one of its
///   bytes lies inside an [`UnsafeCell`](core::cell::UnsafeCell) (an atomic, or a
///   type made of them), so that holding `&Self::View` while a peer writes the bytes
///   asserts nothing about them staying unchanged.
/// - **Any bits are valid**: every bit pattern of `size_of::<Self>()` initialised
///   bytes is a valid `Self::View` and a valid `Self` (`Self: FromBytes` says the
///   latter; `Self: IntoBytes` says `Self` has no padding either).
/// - **Only atomic accesses**: every method of `Self::View` (and of every type it
///   hands out a reference to) reads or writes those bytes only by atomic
///   operations, each on a naturally aligned cell of 1, 2, 4 or 8 bytes, always of
///   the same cell: never a plain, volatile or differently sized access to them.
///   (This is what makes a peer's concurrent write a race the memory model permits,
///   and keeps every byte accessed with one size.)
/// - **No drop glue, no other state**: `Self::View` does not implement `Drop`, owns
///   nothing, and is `Sync`.
///
/// Breaking any of these can make a safe program undefined behaviour, which is why
/// the trait is `unsafe` to implement. The derive checks the layout at compile time
/// (offsets, size, alignment, no padding) and builds the view only from cells that
/// meet the rest.
///
/// # Examples
///
/// ```
/// use sysv_ipc::view::{ArrayView, AtomicF64, AtomicU16, ShmView};
///
/// fn cell_size<T: ShmView>() -> usize {
///     size_of::<T::View>()
/// }
/// // Every view has its type's size: the same bytes, seen as cells.
/// assert_eq!(cell_size::<u16>(), 2);
/// assert_eq!(cell_size::<[[f64; 3]; 2]>(), 48);
/// let _: Option<&AtomicU16> = None::<&<u16 as ShmView>::View>;
/// let _: Option<&ArrayView<f64, 3>> = None::<&<[f64; 3] as ShmView>::View>;
/// let _: Option<&AtomicF64> = None::<&<f64 as ShmView>::View>;
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no in-place shared-memory view (it does not implement `ShmView`)",
    label = "no atomic view for this type",
    note = "derive `ShmView` for a #[repr(C)] struct of integers, floats and arrays; enums, `bool` and `char` have invalid bit patterns: store an integer instead"
)]
pub unsafe trait ShmView: FromBytes + IntoBytes {
    /// The view: the same bytes as atomic cells, with the same offsets.
    type View: ViewCell<Value = Self>;
}

/// A cell (or a view made of cells) that loads and stores its whole value.
///
/// Orderings follow the atomics', without their panics: a load given `Release` or
/// `AcqRel` uses `Relaxed` or `Acquire` (its load half), a store given `Acquire` or
/// `AcqRel` uses `Relaxed` or `Release`. A view of many fields applies the ordering
/// to each field in declaration order; the whole is *not* one atomic access.
///
/// ```
/// use core::sync::atomic::{AtomicU16, Ordering};
/// use sysv_ipc::view::ViewCell;
///
/// let cell = AtomicU16::new(5);
/// let mut out = 0u16;
/// cell.load_into(&mut out, Ordering::AcqRel); // no panic: an Acquire load
/// assert_eq!(out, 5);
/// ViewCell::store(&cell, 6, Ordering::Acquire); // a Relaxed store
/// assert_eq!(ViewCell::load(&cell, Ordering::SeqCst), 6);
/// ```
pub trait ViewCell: Sync {
    /// The plain type whose bytes this views.
    type Value;

    /// Loads every cell into `out`, field by field, without a temporary of the
    /// whole.
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Acquire;
    /// use sysv_ipc::view::{ArrayView, ViewCell};
    ///
    /// let a = ArrayView::<u32, 3>::new([1, 2, 3]);
    /// let mut out = [0u32; 3];
    /// a.load_into(&mut out, Acquire);
    /// assert_eq!(out, [1, 2, 3]);
    /// ```
    fn load_into(&self, out: &mut Self::Value, order: Ordering);

    /// Stores every field of `value` into its cell.
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Release;
    /// use sysv_ipc::view::{ArrayView, ViewCell};
    ///
    /// let a = ArrayView::<i16, 2>::new([0, 0]);
    /// a.store_from(&[-1, 1], Release);
    /// assert_eq!((a.get(0), a.get(1)), (Some(-1), Some(1)));
    /// ```
    fn store_from(&self, value: &Self::Value, order: Ordering);

    /// Loads the whole value, field by field. Values above [`WHOLE_MAX`] bytes are
    /// refused when the program is built (they would be a stack temporary of that
    /// size): use [`load_into`](Self::load_into).
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::view::{ArrayView, ShmView, ViewCell};
    ///
    /// let a: &ArrayView<u8, 3> = &ArrayView::new([1, 2, 3]);
    /// assert_eq!(a.load(Relaxed), [1, 2, 3]);
    /// ```
    fn load(&self, order: Ordering) -> Self::Value
    where
        Self::Value: FromZeros,
    {
        const { assert_whole::<Self::Value>() };
        let mut v = Self::Value::new_zeroed();
        self.load_into(&mut v, order);
        v
    }

    /// Stores the whole value, field by field; above [`WHOLE_MAX`] bytes refused as
    /// for [`load`](Self::load).
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::view::{ArrayView, ViewCell};
    ///
    /// let a = ArrayView::<i64, 2>::new([0, 0]);
    /// a.store([-1, 1], Relaxed);
    /// assert_eq!(a.get(0), Some(-1));
    /// ```
    fn store(&self, value: Self::Value, order: Ordering) {
        const { assert_whole::<Self::Value>() };
        self.store_from(&value, order);
    }
}

const fn assert_whole<T>() {
    assert!(
        size_of::<T>() <= WHOLE_MAX,
        "a view's whole load()/store() moves at most WHOLE_MAX (4096) bytes by value; use load_into/store_from or the fields"
    );
}

/// `order` as a load may take it: the load half of `Release`/`AcqRel`.
#[inline(always)]
const fn load_order(order: Ordering) -> Ordering {
    match order {
        Ordering::Release => Ordering::Relaxed,
        Ordering::AcqRel => Ordering::Acquire,
        o => o,
    }
}

/// `order` as a store may take it: the store half of `Acquire`/`AcqRel`.
#[inline(always)]
const fn store_order(order: Ordering) -> Ordering {
    match order {
        Ordering::Acquire => Ordering::Relaxed,
        Ordering::AcqRel => Ordering::Release,
        o => o,
    }
}

macro_rules! int_cells {
    ($($t:ty => $cell:ty),* $(,)?) => {$(
        // Layout: the atomic has the integer's size and alignment on every target we
        // build for ("has the same size and bit validity as the underlying integer
        // type"; alignment equal to size, which is the integer's on x86_64/aarch64).
        const _: () = assert!(
            size_of::<$t>() == size_of::<$cell>() && align_of::<$t>() == align_of::<$cell>(),
            "an atomic cell differs in layout from its integer on this target"
        );

        // SAFETY: the atomic is repr(C)-compatible with the integer: same size and
        // alignment (asserted above), no padding, its one field is an UnsafeCell, any
        // bit pattern is a valid integer, and its methods access the bytes only
        // atomically with its own width. No Drop, and it is Sync.
        unsafe impl ShmView for $t {
            type View = $cell;
        }

        impl ViewCell for $cell {
            type Value = $t;
            #[inline(always)]
            fn load_into(&self, out: &mut $t, order: Ordering) {
                *out = <$cell>::load(self, load_order(order));
            }
            #[inline(always)]
            fn store_from(&self, value: &$t, order: Ordering) {
                <$cell>::store(self, *value, store_order(order));
            }
        }
    )*};
}

int_cells! {
    u8 => AtomicU8, u16 => AtomicU16, u32 => AtomicU32, u64 => AtomicU64,
    i8 => AtomicI8, i16 => AtomicI16, i32 => AtomicI32, i64 => AtomicI64,
}

macro_rules! float_cell {
    ($(#[$doc:meta])* $name:ident, $f:ty, $bits:ty, $size:literal) => {
        $(#[$doc])*
        #[doc = concat!("\n\n```\nuse core::sync::atomic::Ordering;\nuse sysv_ipc::view::", stringify!($name), ";\n\nassert_eq!(size_of::<", stringify!($name), ">(), size_of::<", stringify!($f), ">());\nlet c = ", stringify!($name), "::new(1.0);\nc.store(f", $size, "_or_nan(), Ordering::Relaxed);\nassert!(c.load(Ordering::Relaxed).is_nan()); // any bits are a value\n# fn f", $size, "_or_nan() -> ", stringify!($f), " { ", stringify!($f), "::NAN }\n```")]
        #[repr(transparent)]
        pub struct $name($bits);

        impl $name {
            /// A cell holding `value` (for cells in local memory; a view's cells
            /// are the segment's bytes).
            #[doc = concat!("\n\n```\nuse sysv_ipc::view::", stringify!($name), ";\n\nlet c = ", stringify!($name), "::new(2.5);\nassert_eq!(c.load(core::sync::atomic::Ordering::Relaxed), 2.5);\n```")]
            pub const fn new(value: $f) -> Self {
                $name(<$bits>::new(value.to_bits()))
            }

            /// Loads the value: one single-copy atomic
            #[doc = concat!($size, "-byte")]
            /// load. `Release`/`AcqRel` act as `Relaxed`/`Acquire` (no panic).
            #[doc = concat!("\n\n```\nuse core::sync::atomic::Ordering;\nuse sysv_ipc::view::", stringify!($name), ";\n\nlet c = ", stringify!($name), "::new(-0.5);\nassert_eq!(c.load(Ordering::Acquire), -0.5);\nassert_eq!(c.load(Ordering::Release), -0.5); // a Relaxed load\n```")]
            #[inline(always)]
            pub fn load(&self, order: Ordering) -> $f {
                <$f>::from_bits(self.0.load(load_order(order)))
            }

            /// Stores the value: one single-copy atomic
            #[doc = concat!($size, "-byte")]
            /// store. `Acquire`/`AcqRel` act as `Relaxed`/`Release` (no panic).
            #[doc = concat!("\n\n```\nuse core::sync::atomic::Ordering;\nuse sysv_ipc::view::", stringify!($name), ";\n\nlet c = ", stringify!($name), "::new(0.0);\nc.store(1e9, Ordering::Release);\nassert_eq!(c.load(Ordering::Relaxed), 1e9);\n```")]
            #[inline(always)]
            pub fn store(&self, value: $f, order: Ordering) {
                self.0.store(value.to_bits(), store_order(order));
            }

            /// The bits as an integer atomic, for `swap`, `compare_exchange` and the
            /// rest, on `to_bits()` values.
            #[doc = concat!("\n\n```\nuse core::sync::atomic::Ordering::Relaxed;\nuse sysv_ipc::view::", stringify!($name), ";\n\nlet c = ", stringify!($name), "::new(1.0);\nlet old = c.as_bits().swap(2.0", stringify!($f), ".to_bits() as _, Relaxed);\nassert_eq!((old, c.load(Relaxed)), (1.0", stringify!($f), ".to_bits() as _, 2.0));\n```")]
            pub const fn as_bits(&self) -> &$bits {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.load(Ordering::Relaxed), f)
            }
        }

        const _: () = assert!(
            size_of::<$f>() == size_of::<$name>() && align_of::<$f>() == align_of::<$name>()
        );

        // SAFETY: repr(transparent) over the integer atomic of the float's size and
        // alignment (asserted above): no padding, all bytes in its UnsafeCell, any bit
        // pattern is a valid float (NaNs included) and a valid integer; every method
        // is one atomic access of the whole cell. No Drop, Sync.
        unsafe impl ShmView for $f {
            type View = $name;
        }

        impl ViewCell for $name {
            type Value = $f;
            #[inline(always)]
            fn load_into(&self, out: &mut $f, order: Ordering) {
                *out = $name::load(self, order);
            }
            #[inline(always)]
            fn store_from(&self, value: &$f, order: Ordering) {
                $name::store(self, *value, order);
            }
        }
    };
}

float_cell! {
    /// The cell of an `f32` field: its bits in an [`AtomicU32`]. Single-copy atomic.
    AtomicF32, f32, AtomicU32, "4"
}
float_cell! {
    /// The cell of an `f64` field: its bits in an [`AtomicU64`]. Single-copy atomic.
    AtomicF64, f64, AtomicU64, "8"
}

/// A range of elements that an [`ArrayView`] does not have, or a buffer of another
/// length than the range: `start..end` asked of `len` elements, with a buffer of
/// `buf` (equal to `end - start` unless that was the problem).
///
/// ```
/// use sysv_ipc::view::{ArrayView, OutOfRange};
///
/// let a = ArrayView::<u32, 4>::new([0; 4]);
/// assert_eq!(a.set(4, 1), Err(OutOfRange { start: 4, end: 5, len: 4, buf: 1 }));
/// assert_eq!(a.write_range(1..3, &[1, 2, 3]), Err(OutOfRange { start: 1, end: 3, len: 4, buf: 3 }));
/// assert_eq!(a.set(4, 1).unwrap_err().to_string(), "elements 4..5 of 4 (buffer of 1)");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutOfRange {
    /// The first element asked for.
    pub start: usize,
    /// One past the last.
    pub end: usize,
    /// How many elements the array has.
    pub len: usize,
    /// The caller's buffer length.
    pub buf: usize,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "elements {}..{} of {} (buffer of {})",
            self.start, self.end, self.len, self.buf
        )
    }
}

impl core::error::Error for OutOfRange {}

/// The view of an array `[E; N]`: `N` cells of `E`'s view, indexed without panics.
///
/// Each element is accessed as its own cell (single-copy atomic if `E` is a
/// primitive); the array as a whole is not one atomic access. The value-level
/// methods ([`get`](Self::get), [`set`](Self::set), [`iter`](Self::iter),
/// [`read_range`](Self::read_range), [`write_range`](Self::write_range)) use
/// `Relaxed` ordering; [`at`](Self::at) gives the element's cell for any other.
///
/// ```
/// use core::sync::atomic::Ordering;
/// use sysv_ipc::view::ArrayView;
///
/// let a = ArrayView::<u16, 5>::new([1, 2, 3, 4, 5]);
/// assert_eq!((a.len(), a.get(2), a.get(5)), (5, Some(3), None));
/// a.set(0, 10)?;
/// let mut buf = [0u16; 3];
/// a.read_range(0..3, &mut buf)?;
/// assert_eq!(buf, [10, 2, 3]);
/// a.write_range(3..5, &[40, 50])?;
/// assert_eq!(a.iter().sum::<u16>(), 10 + 2 + 3 + 40 + 50);
/// assert_eq!(a.at(4).map(|c| c.fetch_add(1, Ordering::AcqRel)), Some(50));
/// # Ok::<(), sysv_ipc::view::OutOfRange>(())
/// ```
#[repr(transparent)]
pub struct ArrayView<E: ShmView, const N: usize>([E::View; N]);

impl<E: ShmView, const N: usize> ArrayView<E, N> {
    /// An array view over local cells holding `values` (a segment's views come from
    /// [`Shm::view`](crate::Shm::view) instead).
    ///
    /// ```
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let a = ArrayView::<[f32; 2], 2>::new([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.at(1).and_then(|row| row.get(0)), Some(3.0));
    /// ```
    pub fn new(values: [E; N]) -> Self {
        // A view in local memory: zeroed cells (every bit pattern is valid), then
        // each element stored through its cell.
        let view: Self = ArrayView(core::array::from_fn(|_| zeroed_view::<E>()));
        for (cell, v) in view.0.iter().zip(values.iter()) {
            cell.store_from(v, Ordering::Relaxed);
        }
        view
    }

    /// `N`, the number of elements.
    ///
    /// ```
    /// assert_eq!(sysv_ipc::view::ArrayView::<u8, 7>::new([0; 7]).len(), 7);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub const fn len(&self) -> usize {
        N
    }

    /// Element `i`'s cell (or view, for arrays of arrays or structs); `None` past
    /// the end.
    ///
    /// ```
    /// use core::sync::atomic::Ordering;
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let grid = ArrayView::<[i32; 3], 2>::new([[0; 3]; 2]);
    /// grid.at(1).and_then(|row| row.at(2)).map(|c| c.store(-4, Ordering::Release));
    /// assert_eq!(grid.at(1).and_then(|row| row.get(2)), Some(-4));
    /// assert!(grid.at(2).is_none());
    /// ```
    #[inline]
    pub fn at(&self, i: usize) -> Option<&E::View> {
        self.0.get(i)
    }

    /// Element `i`'s value (a `Relaxed` load of its cell); `None` past the end.
    ///
    /// ```
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let a = ArrayView::<f64, 2>::new([0.5, 1.5]);
    /// assert_eq!((a.get(1), a.get(2)), (Some(1.5), None));
    /// ```
    #[inline]
    pub fn get(&self, i: usize) -> Option<E>
    where
        E: FromZeros,
    {
        self.0.get(i).map(|c| c.load(Ordering::Relaxed))
    }

    /// Stores `value` into element `i` (`Relaxed`); [`OutOfRange`] past the end.
    ///
    /// ```
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let a = ArrayView::<u64, 2>::new([0; 2]);
    /// assert!(a.set(1, 9).is_ok());
    /// assert!(a.set(2, 9).is_err());
    /// assert_eq!(a.get(1), Some(9));
    /// ```
    #[inline]
    pub fn set(&self, i: usize, value: E) -> Result<(), OutOfRange> {
        match self.0.get(i) {
            Some(c) => {
                c.store_from(&value, Ordering::Relaxed);
                Ok(())
            }
            None => Err(OutOfRange {
                start: i,
                end: i.saturating_add(1),
                len: N,
                buf: 1,
            }),
        }
    }

    /// The elements' values in order, each a `Relaxed` load when the iterator
    /// reaches it.
    ///
    /// ```
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let a = ArrayView::<i8, 4>::new([1, -2, 3, -4]);
    /// assert_eq!(a.iter().filter(|v| *v < 0).count(), 2);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = E> + '_
    where
        E: FromZeros,
    {
        self.0.iter().map(|c| c.load(Ordering::Relaxed))
    }

    /// Copies elements `range` into `out` (`Relaxed`, element by element);
    /// [`OutOfRange`] if the range does not fit in `N` or `out` is not as long as it.
    ///
    /// ```
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let a = ArrayView::<u8, 4>::new(*b"abcd");
    /// let mut two = [0u8; 2];
    /// a.read_range(2..4, &mut two)?;
    /// assert_eq!(&two, b"cd");
    /// assert!(a.read_range(3..5, &mut two).is_err());
    /// # Ok::<(), sysv_ipc::view::OutOfRange>(())
    /// ```
    pub fn read_range(&self, range: Range<usize>, out: &mut [E]) -> Result<(), OutOfRange> {
        let cells = self.cells(&range, out.len())?;
        for (c, o) in cells.iter().zip(out.iter_mut()) {
            c.load_into(o, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Copies `values` into elements `range` (`Relaxed`, element by element);
    /// [`OutOfRange`] as for [`read_range`](Self::read_range), nothing written then.
    ///
    /// ```
    /// use sysv_ipc::view::ArrayView;
    ///
    /// let a = ArrayView::<u32, 3>::new([0; 3]);
    /// a.write_range(1..3, &[5, 6])?;
    /// assert_eq!(a.iter().collect::<Vec<_>>(), [0, 5, 6]);
    /// assert!(a.write_range(0..1, &[1, 2]).is_err());
    /// # Ok::<(), sysv_ipc::view::OutOfRange>(())
    /// ```
    pub fn write_range(&self, range: Range<usize>, values: &[E]) -> Result<(), OutOfRange> {
        let cells = self.cells(&range, values.len())?;
        for (c, v) in cells.iter().zip(values.iter()) {
            c.store_from(v, Ordering::Relaxed);
        }
        Ok(())
    }

    fn cells(&self, range: &Range<usize>, buf: usize) -> Result<&[E::View], OutOfRange> {
        let err = OutOfRange {
            start: range.start,
            end: range.end,
            len: N,
            buf,
        };
        match self.0.get(range.clone()) {
            Some(cells) if cells.len() == buf => Ok(cells),
            _ => Err(err),
        }
    }
}

impl<E: ShmView, const N: usize> ViewCell for ArrayView<E, N> {
    type Value = [E; N];

    fn load_into(&self, out: &mut [E; N], order: Ordering) {
        for (c, o) in self.0.iter().zip(out.iter_mut()) {
            c.load_into(o, order);
        }
    }

    fn store_from(&self, value: &[E; N], order: Ordering) {
        for (c, v) in self.0.iter().zip(value.iter()) {
            c.store_from(v, order);
        }
    }
}

impl<E: ShmView + FromZeros + fmt::Debug, const N: usize> fmt::Debug for ArrayView<E, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

// SAFETY: [E::View; N] is laid out as N elements at a stride of size_of::<E::View>(),
// which equals size_of::<E>() with the same alignment (E's ShmView contract), so it
// has the size, alignment and element offsets of [E; N]; arrays have no padding
// between elements beyond their elements' own, of which there is none; each element
// is all cells, any bits valid, accessed only atomically through its own methods
// (ArrayView adds only indexing). repr(transparent) keeps the array's layout. No Drop.
unsafe impl<E: ShmView, const N: usize> ShmView for [E; N] {
    type View = ArrayView<E, N>;
}

/// A view of all-zero bytes, in local memory (for `ArrayView::new`).
fn zeroed_view<E: ShmView>() -> E::View {
    // Every view is made of atomics over any bit pattern (ShmView's contract), so
    // zeroed bytes are a valid one; built through a zeroed E and a store instead of
    // transmuting, to need no unsafe here.
    let mut v = core::mem::MaybeUninit::<E::View>::uninit();
    // SAFETY: MaybeUninit<E::View> has E::View's size; writing zero bytes over all
    // of it initialises every byte, and ShmView's contract makes any initialised bit
    // pattern a valid E::View (all bytes inside atomics, no invalid values, no
    // padding to leave uninitialised).
    unsafe { v.as_mut_ptr().write_bytes(0, 1) };
    // SAFETY: initialised just above, as a valid E::View.
    unsafe { v.assume_init() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

    #[test]
    fn float_cells_round_trip_every_bit_pattern_class() {
        let c = AtomicF64::new(0.0);
        for v in [
            0.0,
            -0.0,
            1.5,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            -1e-300,
        ] {
            c.store(v, Release);
            assert_eq!(c.load(Acquire).to_bits(), v.to_bits());
        }
        // A NaN payload a peer might write survives untouched.
        c.as_bits().store(0x7ff8_dead_beef_0001, Relaxed);
        assert_eq!(c.load(Relaxed).to_bits(), 0x7ff8_dead_beef_0001);
        let f = AtomicF32::new(3.25);
        assert_eq!(f.load(SeqCst), 3.25);
        f.store(-7.0, AcqRel);
        assert_eq!(f.load(Release), -7.0);
    }

    #[test]
    fn orderings_never_panic() {
        let c = AtomicU32::new(1);
        for o in [Relaxed, Release, Acquire, AcqRel, SeqCst] {
            c.store_from(&7, o);
            let mut out = 0;
            c.load_into(&mut out, o);
            assert_eq!(out, 7);
        }
    }

    #[test]
    fn array_bounds_are_errors() {
        let a = ArrayView::<u32, 3>::new([1, 2, 3]);
        assert_eq!(a.get(3), None);
        assert_eq!(a.get(usize::MAX), None);
        assert_eq!(
            a.set(usize::MAX, 0),
            Err(OutOfRange {
                start: usize::MAX,
                end: usize::MAX,
                len: 3,
                buf: 1
            })
        );
        let mut buf = [0; 3];
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 2..1;
        assert!(a.read_range(backwards, &mut buf[..0]).is_err());
        assert!(a.read_range(0..4, &mut [0; 4]).is_err());
        assert!(a.read_range(0..2, &mut buf).is_err());
        assert!(a.write_range(3..3, &[]).is_ok());
        a.read_range(0..3, &mut buf).unwrap();
        assert_eq!(buf, [1, 2, 3]);
        // A failed write leaves everything as it was.
        assert!(a.write_range(1..4, &[9, 9, 9]).is_err());
        assert_eq!(a.load(Relaxed), [1, 2, 3]);
    }

    #[test]
    fn nested_arrays_have_the_plain_layout() {
        type Grid = [[u16; 3]; 2];
        assert_eq!(size_of::<ArrayView<[u16; 3], 2>>(), size_of::<Grid>());
        assert_eq!(align_of::<ArrayView<[u16; 3], 2>>(), align_of::<Grid>());
        let g = ArrayView::<[u16; 3], 2>::new([[1, 2, 3], [4, 5, 6]]);
        let base = (&raw const g).addr();
        let cell = g.at(1).and_then(|r| r.at(2)).unwrap();
        assert_eq!((&raw const *cell).addr() - base, 5 * 2);
        assert_eq!(g.load(Relaxed), [[1, 2, 3], [4, 5, 6]]);
        g.store([[0; 3], [7; 3]], Relaxed);
        let mut rows = g.iter();
        assert_eq!(
            (rows.next(), rows.next(), rows.next()),
            (Some([0; 3]), Some([7; 3]), None)
        );
    }

    /// A derived struct with a nested struct and 2-D arrays: every field of the view
    /// at the original's offset, the accessors reaching the right bytes.
    #[cfg(feature = "derive")]
    mod derived {
        use super::*;
        use crate::ShmView;
        use core::mem::offset_of;
        use zerocopy::{Immutable, KnownLayout};

        #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
        #[repr(C)]
        pub(crate) struct Pose {
            pub(crate) x: f64,
            pub(crate) y: f32,
            pub(crate) flags: u16,
            pub(crate) id: i16,
        }

        #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
        #[repr(C)]
        pub(crate) struct Big {
            pub(crate) seq: u64,
            pub(crate) temp_mc: i32,
            pub(crate) level: u8,
            pub(crate) tag: [u8; 3],
            pub(crate) pose: Pose,
            pub(crate) grid: [[u16; 5]; 4],
            pub(crate) poses: [Pose; 2],
            pub(crate) heat: [[f64; 3]; 2],
        }

        fn at<V>(base: &BigView, cell: &V) -> usize {
            (&raw const *cell).addr() - (&raw const *base).addr()
        }

        #[test]
        fn view_offsets_equal_the_structs() {
            assert_eq!(size_of::<BigView>(), size_of::<Big>());
            assert_eq!(align_of::<BigView>(), align_of::<Big>());
            assert_eq!(size_of::<PoseView>(), size_of::<Pose>());
            assert_eq!(offset_of!(BigView, seq), offset_of!(Big, seq));
            assert_eq!(offset_of!(BigView, temp_mc), offset_of!(Big, temp_mc));
            assert_eq!(offset_of!(BigView, level), offset_of!(Big, level));
            assert_eq!(offset_of!(BigView, tag), offset_of!(Big, tag));
            assert_eq!(offset_of!(BigView, pose), offset_of!(Big, pose));
            assert_eq!(offset_of!(BigView, grid), offset_of!(Big, grid));
            assert_eq!(offset_of!(BigView, poses), offset_of!(Big, poses));
            assert_eq!(offset_of!(BigView, heat), offset_of!(Big, heat));
            assert_eq!(offset_of!(PoseView, x), offset_of!(Pose, x));
            assert_eq!(offset_of!(PoseView, y), offset_of!(Pose, y));
            assert_eq!(offset_of!(PoseView, flags), offset_of!(Pose, flags));
            assert_eq!(offset_of!(PoseView, id), offset_of!(Pose, id));

            // The accessors' cells sit at the plain struct's offsets, nested ones too.
            let v = ViewCell::load(&zeroed_view::<Big>(), Relaxed);
            assert_eq!(v, Big::new_zeroed());
            let view = zeroed_view::<Big>();
            let pose = offset_of!(Big, pose);
            assert_eq!(at(&view, view.pose().y()), pose + offset_of!(Pose, y));
            assert_eq!(at(&view, view.pose().id()), pose + offset_of!(Pose, id));
            let grid = offset_of!(Big, grid);
            let g32 = view.grid().at(3).and_then(|r| r.at(2)).unwrap();
            assert_eq!(at(&view, g32), grid + (3 * 5 + 2) * 2);
            let poses = offset_of!(Big, poses);
            let p1 = view.poses().at(1).unwrap();
            assert_eq!(
                at(&view, p1.flags()),
                poses + size_of::<Pose>() + offset_of!(Pose, flags)
            );
            let heat = offset_of!(Big, heat);
            let h12 = view.heat().at(1).and_then(|r| r.at(2)).unwrap();
            assert_eq!(at(&view, h12), heat + (3 + 2) * 8);
        }

        #[test]
        fn view_and_copy_see_the_same_bytes() {
            let view = zeroed_view::<Big>();
            view.seq().store(u64::MAX, Relaxed);
            view.temp_mc().store(-21_500, Relaxed);
            view.tag().write_range(0..3, b"abc").unwrap();
            view.pose().x().store(1.25, Relaxed);
            view.poses().at(1).unwrap().id().store(-3, Relaxed);
            view.grid().at(2).unwrap().set(4, 0xbeef).unwrap();
            view.heat().at(0).unwrap().set(1, -0.5).unwrap();
            let mut whole = Big::new_zeroed();
            view.load_into(&mut whole, Acquire);
            assert_eq!(
                (whole.seq, whole.temp_mc, &whole.tag),
                (u64::MAX, -21_500, b"abc")
            );
            assert_eq!((whole.pose.x, whole.poses[1].id), (1.25, -3));
            assert_eq!((whole.grid[2][4], whole.heat[0][1]), (0xbeef, -0.5));
            // The view's bytes are the plain struct's, in the plain struct's places.
            let bytes = whole.as_bytes();
            let off = offset_of!(Big, grid) + (2 * 5 + 4) * 2;
            assert_eq!(bytes[off..off + 2], 0xbeef_u16.to_ne_bytes());
            whole.level = 9;
            whole.pose.id = 77;
            view.store_from(&whole, Release);
            assert_eq!(
                (view.level().load(Relaxed), view.pose().id().load(Relaxed)),
                (9, 77)
            );
        }

        /// `Shm::view` over the mock's memory: what Miri checks (alignment, bounds and
        /// provenance of the view cast from `shmat`'s pointer).
        #[test]
        fn shm_view_over_mock_memory() {
            use crate::shm::Shm;
            use crate::{Intent, Key, Mode, Removable};
            static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();

            let mut shm =
                Shm::<Big, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
                    .unwrap();
            let view = shm.view();
            view.seq().store(7, Release);
            view.heat().at(1).unwrap().set(2, 3.5).unwrap();
            view.poses().at(0).unwrap().y().store(-1.0, Relaxed);
            assert_eq!(view.seq().load(Acquire), 7);
            let copy = shm.read();
            assert_eq!((copy.seq, copy.heat[1][2], copy.poses[0].y), (7, 3.5, -1.0));
            shm.into_segment().remove().unwrap();
        }
    }
}
