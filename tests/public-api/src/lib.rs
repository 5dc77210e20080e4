//! Public means supported: what a program depending on sysv-ipc (default features)
//! can name, and what it cannot.
//!
//! Supported, and so reachable: the object kinds at the crate root, the `ShmType`
//! trait with the `type_id` and `fingerprint` it is defined by, and the constructor
//! options (the queue's barrier choice among them).
//!
//! ```
//! use core::time::Duration;
//! use sysv_ipc::queue::{Barrier, QueueOptions};
//! use sysv_ipc::{sem::SemSetOptions, seqlock::SeqLockOptions, shm::SegmentOptions};
//! use sysv_ipc::{MsgQueue, Queue, SemSet, SeqLock, Segment, Shm, ShmSlice, ShmType, fingerprint, type_id};
//! use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
//! #[repr(C)]
//! struct Tick { seq: u64 }
//! impl ShmType for Tick { const TYPE_ID: u64 = type_id("public-api::Tick v1"); }
//!
//! let _ = fingerprint::<Tick>();
//! let _ = QueueOptions::new().barrier(Barrier::Symmetric).join_timeout(Duration::ZERO);
//! let _ = (SeqLockOptions::new(), SemSetOptions::new(), SegmentOptions::new().no_reserve());
//! let _: Option<(Queue<Tick, 4>, SeqLock<Tick>, MsgQueue, SemSet, Segment, Shm<Tick>, ShmSlice<Tick>)> = None;
//! ```
//!
//! Internals: the lock-free layouts (control structs and their fields, the
//! algorithms, the header's constants) are private.
//!
//! ```compile_fail,E0603
//! use sysv_ipc::layout::ring::RingCtl;
//! let ctl = RingCtl::new();
//! ctl.head.load(core::sync::atomic::Ordering::Relaxed);
//! ```
//!
//! ```compile_fail,E0603
//! let _ = sysv_ipc::layout::header::MAGIC;
//! ```
//!
//! ```compile_fail,E0603
//! use sysv_ipc::layout::seqlock::SeqWriter;
//! ```
//!
//! The join wait is an option, a time (`join_timeout`): its back-off is private.
//!
//! ```compile_fail,E0603
//! let _ = sysv_ipc::sem::timed_wait(sysv_ipc::DefaultBackend::default(), core::time::Duration::ZERO);
//! ```
//!
//! Test hooks: the C header's renderer (tests/c_header.rs) and a seqlock writer
//! that dies mid-write do not exist without `test-hooks`.
//!
//! ```compile_fail,E0433
//! let mut s = String::new();
//! sysv_ipc::c_header::render(&mut s).unwrap();
//! ```
//!
//! ```compile_fail,E0599
//! use sysv_ipc::{Intent, Key, Mode, SeqLock};
//! let lock = SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
//! lock.writer().unwrap().abandon_mid_write();
//! ```
#![no_std]
