//! System V IPC for `no_std` Rust: message queues, semaphore sets and shared memory,
//! typed and allocation-free, over a pluggable syscall [`Backend`].
//!
//! - [`MsgQueue`]: a SysV message queue; bytes or typed values with an `mtype`.
//! - [`SemSet`]: a set of semaphores operated on atomically.
//! - [`Segment`], [`Attachment`], [`Shm`]: shared memory segments and
//!   one typed value in a segment.
//! - [`Queue`]: a lock-free single-producer single-consumer queue of typed values in
//!   a segment, between processes; [`SeqLock`]: one writer's value that any number
//!   of readers copy out whole, never torn; [`Table`](table::Table): `N` such values
//!   under one writer, with a query of which changed since a version a reader saw;
//!   [`Broadcast`]: one writer's stream that up to `R` reader processes each read in
//!   full (lossy with exact gap reports, or lossless with the writer waiting for the
//!   slowest live reader);
//!   [`Mpsc`]: a bounded queue from up to `P` producer processes into one consumer,
//!   a producer killed mid-send costing only that value (skipped and counted).
//! - [`foreign`]: the C and Python (`ctypes`) declarations of a `#[repr(C)]` struct,
//!   with Rust's offsets asserted on the other side.
//! - [`info`]: the namespace's limits and usage, and enumeration of every object —
//!   what `ipcs` shows, without `/proc`.
//!
//! Handles are an id plus a backend: IPC objects live in the kernel until removed, so
//! dropping a handle removes nothing ([`Removal`] opts in to removal on drop).
//! Attachments are owned by the process: dropping one detaches it.
//!
//! # Constructors
//!
//! Every kind is made or found the same three ways, the backend and then the
//! options being the only additions from one to the next:
//!
//! - `X::create(key, .., intent, mode)` (and `X::open(key)`): on the
//!   [`DefaultBackend`];
//! - `X::create_in(backend, key, .., intent, mode)` (and `X::open_in`): on the
//!   given [`Backend`], with the default options;
//! - `X::create_with(backend, key, .., intent, mode, options)`: with an `XOptions`,
//!   for the kinds that have options: [`shm::SegmentOptions`] (huge pages, no swap
//!   reservation), [`queue::QueueOptions`] (barrier, join timeout),
//!   [`broadcast::BroadcastOptions`] (reader seats, policy, barrier, join timeout),
//!   [`mpsc::MpscOptions`] (producer seats, barrier, join timeout),
//!   [`seqlock::SeqLockOptions`] and [`table::TableOptions`] (join timeout), and
//!   [`sem::SemSetOptions`] (join timeout) for [`SemSet::new_initialized_with`].
//!
//! Each options type is a `Copy` builder: `XOptions::new()` (a `const fn`, equal to
//! `Default`) is what `create_in` uses, each option has a builder method named for
//! it (`.join_timeout(d)`) and a getter (`.get_join_timeout()`). The join timeout
//! is how long a joiner waits for a creator that has not finished initialising
//! ([`sem::JOIN_TIMEOUT`] by default). Calls that are not constructors but
//! take a backend are spelled `*_in` too ([`Key::ftok_in`], [`info::msg_limits_in`]).
//!
//! ```
//! use core::time::Duration;
//! use sysv_ipc::queue::{Barrier, Queue, QueueOptions};
//! use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
//!
//! let b = DefaultBackend::default();
//! let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let same = Removal::new(Queue::<u64, 8, _>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let options = QueueOptions::new().barrier(Barrier::Symmetric).join_timeout(Duration::from_secs(2));
//! let tuned = Removal::new(Queue::<u64, 8, _>::create_with(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, options)?);
//! assert_eq!(tuned.barrier()?, Barrier::Symmetric);
//! # drop((q, same));
//! # Ok::<(), sysv_ipc::Error>(())
//! ```
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]

#[cfg(not(any(feature = "linux-raw", feature = "libc")))]
compile_error!("sysv-ipc needs a real backend: enable the `linux-raw` or `libc` feature");

// The derive's generated code names `::sysv_ipc`; this makes that path resolve inside
// the crate too (its own unit tests derive views).
extern crate self as sysv_ipc;

pub use sysv_ipc_abi as abi;
pub use sysv_ipc_abi::{Backend, Errno};

mod clock;
mod copy;
mod error;
mod key;
mod mode;
mod perm;
mod poll;
mod removal;
mod sync;

// Public means supported: the crate's test hooks and internals are reachable only
// with the `test-hooks` feature (unsupported, hidden from the docs), which the
// crate's own tests, benches, loom models and fuzz targets turn on. Without it they
// are private, and the layouts' items and re-exports that only those use are dead
// code there (allowed below rather than cfg'd item by item).

// The C header describing the layouts (include/sysv_ipc_layout.h), rendered from
// them; its test (tests/c_header.rs) keeps the checked-in file equal to it.
#[cfg(not(loom))]
pub mod broadcast;
#[cfg(all(not(loom), feature = "test-hooks"))]
#[doc(hidden)]
pub mod c_header;
pub mod foreign;
pub mod info;
#[cfg(not(loom))]
mod join;
#[cfg(not(loom))]
mod park;
#[cfg(not(loom))]
mod role;
// The lock-free layouts: their control structs, algorithms and constants. What a
// user needs of them is re-exported: `ShmType`, `type_id` and `fingerprint` here,
// `queue::Barrier`; the byte layouts a C peer follows are
// include/sysv_ipc_layout.h, generated from this module.
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub mod layout;
#[cfg(not(feature = "test-hooks"))]
#[allow(dead_code, unused_imports)]
mod layout;
#[cfg(not(loom))]
pub mod mpsc;
pub mod msg;
#[cfg(not(loom))]
pub mod queue;
pub mod sem;
#[cfg(not(loom))]
mod send_error;
#[cfg(not(loom))]
pub mod seqlock;
pub mod shm;
#[cfg(not(loom))]
pub mod table;
#[cfg(not(loom))]
pub mod view;
#[cfg(not(loom))]
pub mod wake;

#[cfg(not(loom))]
pub use broadcast::Broadcast;
pub use error::{Call, Error, ErrorKind, Limit, Result};
pub use key::Key;
pub use layout::{ShmType, fingerprint, type_id};
pub use mode::{Intent, Mode};
#[cfg(not(loom))]
pub use mpsc::Mpsc;
pub use msg::MsgQueue;
pub use perm::{Owner, Perm};
#[cfg(not(loom))]
pub use queue::Queue;
pub use removal::{Removable, Removal};
pub use sem::{SemGuard, SemOp, SemSet, SemSetStat};
#[cfg(not(loom))]
pub use send_error::SendError;
#[cfg(not(loom))]
pub use seqlock::SeqLock;
#[cfg(not(loom))]
pub use shm::ShmSlice;
pub use shm::{Attachment, ReadOnly, ReadWrite, Segment, SegmentStat, Shm};
/// Derives [the `ShmView` trait](view::ShmView) for a `#[repr(C)]` struct, and its view
/// types (`XView`, and `XReadView` that only loads): see [`view`]. It also
/// implements [`foreign::Foreign`]: the struct's C and Python declarations.
///
/// ```
/// use core::sync::atomic::Ordering::Relaxed;
/// use sysv_ipc::ShmView;
/// use sysv_ipc::view::ShmView as _;
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
/// #[repr(C)]
/// struct Sample { at_ns: u64, volts: [f32; 2] }
///
/// // The generated `SampleView`: one accessor per field, the same layout.
/// assert_eq!(size_of::<SampleView>(), size_of::<Sample>());
/// fn volts(v: &SampleView) -> Option<f32> { v.volts().get(1) }
/// fn stamp(v: &SampleView) -> u64 { v.at_ns().load(Relaxed) }
/// // And `SampleReadView`: the same cells, load-only.
/// assert_eq!(size_of::<SampleReadView>(), size_of::<Sample>());
/// fn read_stamp(v: &SampleReadView) -> u64 { v.at_ns().load(Relaxed) }
/// # let _ = (volts, stamp, read_stamp);
/// ```
#[cfg(all(feature = "derive", not(loom)))]
pub use sysv_ipc_derive::ShmView;
#[cfg(not(loom))]
pub use view::ShmView;

#[cfg(feature = "libc")]
pub use sysv_ipc_libc::Libc;
#[cfg(feature = "linux-raw")]
pub use sysv_ipc_linux_raw::LinuxRaw;
#[cfg(feature = "mock")]
pub use sysv_ipc_mock as mock;

/// The backend the typed API uses unless told otherwise: the raw backend (`LinuxRaw`)
/// when the `linux-raw` feature is on (the default), else the C library's (`Libc`).
///
/// The choice follows the features alone, never the target: the libc backend supports
/// a subset of the raw backend's targets (x86_64 and aarch64 Linux with glibc, against
/// the raw backend's x86_64 and aarch64 Linux, Android and `none`), so no target lacks
/// the raw backend yet has the C library's, and a fallback by arch could never be taken.
/// On every other target both backends refuse to compile, saying why.
#[cfg(feature = "linux-raw")]
pub type DefaultBackend = sysv_ipc_linux_raw::LinuxRaw;

/// The backend the typed API uses unless told otherwise: the raw backend (`LinuxRaw`)
/// when the `linux-raw` feature is on (the default), else the C library's (`Libc`).
///
/// The choice follows the features alone, never the target: the libc backend supports
/// a subset of the raw backend's targets (x86_64 and aarch64 Linux with glibc, against
/// the raw backend's x86_64 and aarch64 Linux, Android and `none`), so no target lacks
/// the raw backend yet has the C library's, and a fallback by arch could never be taken.
/// On every other target both backends refuse to compile, saying why.
#[cfg(all(feature = "libc", not(feature = "linux-raw")))]
pub type DefaultBackend = sysv_ipc_libc::Libc;

/// The README's examples, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;
