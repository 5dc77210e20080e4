//! The 128-byte header at the start of every layout segment, its race-free
//! create/attach handshake, and the type fingerprint.
//!
//! # Byte layout
//!
//! Offsets from the start of the segment; every field a native-endian `u64`
//! accessed atomically. A C program joining a layout waits for `state == 2`
//! (acquire), then compares every field below with what it expects.
//!
//! | offset | field | value |
//! |---:|---|---|
//! | 0 | `state` | 0 uninitialised (the kernel's zero fill), 1 initialising, 2 ready; anything else is corrupt |
//! | 8 | `magic` | [`MAGIC`], the bytes `"SVIPCRS1"` |
//! | 16 | `layout_version` | [`LAYOUT_VERSION`] |
//! | 24 | `kind` | [`Kind`]: 1 ring, 2 seqlock, 3 broadcast, 4 mpsc, 5 table |
//! | 32 | `total_size` | bytes the layout uses (the segment may be larger) |
//! | 40 | `data_offset` | offset of the first slot / value word (384 ring, 256 seqlock, `SLOTS` for a table: see [`table`](crate::layout::table)) |
//! | 48 | `type_size` | `size_of::<T>()` |
//! | 56 | `type_align` | `align_of::<T>()` |
//! | 64 | `type_id` | [`fingerprint`] of `T` |
//! | 72 | `capacity` | ring slots (`MAXSZ`); 1 for a seqlock; table slots (`N`) |
//! | 80 | `creator_pid` | the process that initialised the header |
//! | 88 | `generation` | 1 (counts initialisations; reserved for re-initialisation) |
//! | 96..128 | `reserved` | zero |
//!
//! # Handshake
//!
//! 1. The creator is the one process whose `shmget(IPC_CREAT | IPC_EXCL)` succeeded:
//!    the kernel zero-fills a new segment, so `state` is 0.
//! 2. It stores [`MAGIC`] into `magic` (the *mark*), then moves `state` 0 → 1
//!    with a compare-exchange ([`Header::begin_init`]); a loser of that race (only
//!    possible if someone else attached the fresh segment by id) behaves as an
//!    attacher. The mark comes first so that a segment whose creator died at any
//!    point after it carries proof that this handshake began in it (step 5).
//! 3. It initialises what follows the header (ring indices, ...), then
//!    [`Header::publish`] writes every field with Relaxed stores and finally
//!    `state = 2` with a Release store.
//! 4. An attacher waits (bounded, [`Header::wait_ready`]) for an Acquire load of
//!    `state` to see 2: that load synchronises with the Release store, so every
//!    field and the initial indices are visible. Then [`Header::check`] reads each
//!    field once and compares it with the expected [`Shape`]; the first difference
//!    is a [`HeaderError::Mismatch`], before any payload is touched.
//! 5. A creator that dies between steps 2 and 3 leaves `state` at 1 for good (at 0
//!    if it died before its claim, with or without its mark); attachers give up
//!    with [`HeaderError::NotReady`] when their wait runs out (the crate's waits
//!    are bounded in time: [`JOIN_TIMEOUT`](crate::sem::JOIN_TIMEOUT) by default), and
//!    removing the segment is the recovery.
//!    [`Queue`](crate::queue::Queue) and [`SeqLock`](crate::seqlock::SeqLock)
//!    callers whose intent allows creating ([`Intent::OpenOrCreate`](crate::Intent))
//!    do it themselves, then create the layout afresh, when the segment is
//!    *abandoned*:
//!    - **Only this handshake's segments:** the segment's size is exactly the
//!      layout's and its header carries the mark: `magic` is [`MAGIC`], and
//!      `state` is 1 (the creator died initialising) or 0 with every word but
//!      //!      `magic` 0 (it died between the mark and the claim). A segment under the
//!      key without the mark (zero-filled, random, another program's data, a
//!      header begun by a creator that did not mark it) or of another size is
//!      never removed, attached or not: the caller gets `Uninitialized` for an
//!      all-zero header (which a creator between its `shmget` and its mark also
//!      shows), `LayoutMismatch` (field `"magic"`) for other unmarked bytes in
//!      a segment nobody else has attached, and what a join says otherwise
//!      (`Corrupt` for a garbage `state`, `LayoutMismatch` for a wrong field).
//!      The price: a creator that dies between its `shmget` and its mark (one
//!      `shmat` and one store) leaves a segment that stays `Uninitialized` until
//!      removed by hand (`ipcrm`), since nothing tells it from another program's
//!      zero-filled segment.
//!    - **Liveness test:** the kernel's attachment count (`shm_nattch`, from
//!      `IPC_STAT`), read while the joiner holds its own attachment, is 1. This is
//!      sound because the creator attaches before it marks the header and stays
//!      attached until its handle is dropped, the kernel detaches every mapping of
//!      a process that exits however it dies, and only an attached process can
//!      write the header. A marked header with a count of 1 therefore means its
//!      creator is gone: nobody can publish it any more, and no other process
//!      waits on it. Nothing is claimed: a creator still between its `shmget` and
//!      its `shmat` has not marked the header, so its segment is not removed.
//!    - **The semaphore set** under the same key is removed too if and only if it
//!      is the dead creator's: created by the same user as the segment (the
//!      `"semaphores"` check of a join), of the layout's size, and operated on by
//!      no process but the segment's creator (`GETPID` of each semaphore is 0 or
//!      `shm_cpid`). No ready layout can use it, since its key's segment is the
//!      abandoned one. It goes first, while the segment still holds the key, so a
//!      new creator cannot adopt it in between. Another user's set, one of
//!      another size, or one another process has used stays; the fresh layout then
//!      refuses it or opens it as any creator would.
//!    - **Bounded:** a call makes at most one such removal and one more round of
//!      create-or-join; a segment someone else removed first (`SHM_DEST`,
//!      `EIDRM`/`EINVAL`), or a header published after all, also gets that one
//!      round. Two callers never loop.
//!    - **Limits:** two joiners waiting at once see each other's attachment, so
//!      both get `Uninitialized` (a later call, alone, recovers). A child the
//!      creator forked while attached inherited the attachment and keeps the
//!      segment "alive" until it exits or detaches. The kernel refusing the
//!      removal (`EPERM`: another user's segment) leaves it in place:
//!      `Uninitialized`. A creator stalled (stopped, descheduled) for longer than
//!      a joiner's whole wait is alive and attached once it marked, and has not
//!      marked before: its segment is never taken from it.
//!    - [`Intent::Open`](crate::Intent) never removes anything: `Uninitialized`,
//!      as before.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::ErrorKind;
use crate::sync::{AtomicU64, Ordering, fence};

/// `state`: nobody has initialised the header (a new segment is zero-filled).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Header, UNINIT};
/// use core::sync::atomic::Ordering;
///
/// // A new segment is zero-filled: its header is uninitialised.
/// assert_eq!(Header::new().state.load(Ordering::Acquire), UNINIT);
/// ```
pub const UNINIT: u64 = 0;
/// `state`: the creator is initialising the header.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Header, INITIALIZING};
/// use core::sync::atomic::Ordering;
///
/// let h = Header::new();
/// assert!(h.begin_init());
/// assert_eq!(h.state.load(Ordering::Acquire), INITIALIZING);
/// ```
pub const INITIALIZING: u64 = 1;
/// `state`: every field is written; attachers may check them.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Header, Kind, READY, Shape};
/// use core::sync::atomic::Ordering;
///
/// let h = Header::new();
/// assert!(h.begin_init());
/// h.publish(&Shape::of::<u64>(Kind::SeqLock, 1, 256, 264), 1);
/// assert_eq!(h.state.load(Ordering::Acquire), READY);
/// ```
pub const READY: u64 = 2;

/// `magic`: the bytes `"SVIPCRS1"` as a little-endian `u64`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::MAGIC;
///
/// assert_eq!(MAGIC.to_le_bytes(), *b"SVIPCRS1");
/// ```
pub const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1");

/// `layout_version`: bumped whenever any byte layout in this module changes.
///
/// 2: the ring's `barrier` word (offset 152), whose value 1 makes both sides skip
/// the fence of the wake check. A version-1 peer would ignore it and park with a
/// fence only, so it must be refused.
///
/// 3: a `seq` word before each ring slot's payload (slot stride grows by 8), which
/// a version-3 consumer polls instead of `tail`; a version-2 producer would not
/// write it (and a version-2 consumer would read `seq` as payload).
///
/// 4: a slot's `seq` holds the end of the publish that began in it (one store per
/// publish, where version 3 stored `k + 1` into every slot `k`); a version-3
/// consumer would not take a batch on its `seq` and would wait for its next
/// `tail` load, and a version-3 producer's marks would read as one-message batches.
///
/// 5: the ring's `closed` word (offset 160, taken from the padding) and the close
/// marker in a slot's `seq` (end of stream). A version-4 producer could not close
/// a stream, and a version-4 consumer would never report one closed (it would
/// wait, or time out), so each side refuses the other.
///
/// 6: a waiting flag may announce an asynchronous waiter
/// ([`WAITING_WORD`](crate::layout::ring::WAITING_WORD)), which sleeps in a futex
/// wait on the flag itself and is woken by a futex wake; a version-5 peer would
/// post a semaphore nobody waits on, and the waiter would sleep on.
///
/// 7: an mpsc producer may wait for room asynchronously, announced in its
/// table entry's `wait` word (offset 24 of the entry) as a broadcast reader
/// announces in its line; a version-6 consumer would post the producer's
/// semaphore instead of waking that word.
/// Also in 7: the seqlock's and the table's `watchers` word (offset 144, taken
/// from the padding, [`watch`](crate::layout::watch)): a version-6 writer would
/// never run the wake check, and a watcher would sleep through its writes.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Header, Kind, LAYOUT_VERSION, Shape};
/// use core::sync::atomic::Ordering;
///
/// let h = Header::new();
/// assert!(h.begin_init());
/// h.publish(&Shape::of::<u32>(Kind::Ring, 8, 384, 384 + 8 * 8), 1);
/// assert_eq!(h.layout_version.load(Ordering::Relaxed), LAYOUT_VERSION);
/// ```
pub const LAYOUT_VERSION: u64 = 7;

/// Size of the header in bytes.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{HEADER_SIZE, Header};
///
/// assert_eq!(size_of::<Header>(), HEADER_SIZE);
/// ```
pub const HEADER_SIZE: usize = 128;

/// Which layout follows the header (`kind`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::Kind;
///
/// // The `kind` word of the header.
/// assert_eq!(Kind::Ring as u64, 1);
/// assert_eq!(Kind::SeqLock as u64, 2);
/// assert_eq!(Kind::Broadcast as u64, 3);
/// assert_eq!(Kind::Mpsc as u64, 4);
/// assert_eq!(Kind::Table as u64, 5);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Kind {
    /// The SPSC ring behind [`Queue`](crate::queue::Queue).
    Ring = 1,
    /// The seqlock behind [`SeqLock`](crate::seqlock::SeqLock).
    SeqLock = 2,
    /// The one-writer, many-reader ring of [`broadcast`](crate::layout::broadcast).
    Broadcast = 3,
    /// The many-producer ring of [`layout::mpsc`](crate::layout::mpsc).
    Mpsc = 4,
    /// The table of versioned slots ([`table`](crate::layout::table)).
    Table = 5,
}

/// The segment header. See the [module docs](self) for the byte layout and the
/// handshake.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Header, HeaderError, Kind, Shape};
///
/// // A local header stands in for the first 128 bytes of a new segment.
/// let h = Header::new();
/// let shape = Shape::of::<u64>(Kind::SeqLock, 1, 256, 264);
/// assert!(h.begin_init()); // the creator
/// h.publish(&shape, 4242);
/// assert_eq!(h.attach(&shape, |_| false), Ok(())); // an attacher
/// let other = Shape::of::<u64>(Kind::Ring, 1, 256, 264);
/// assert_eq!(h.attach(&other, |_| false).map_err(|e| e.field()), Err(Some("kind")));
/// ```
#[repr(C, align(128))]
#[derive(Debug)]
pub struct Header {
    /// [`UNINIT`], [`INITIALIZING`] or [`READY`].
    pub state: AtomicU64,
    /// [`MAGIC`].
    pub magic: AtomicU64,
    /// [`LAYOUT_VERSION`].
    pub layout_version: AtomicU64,
    /// [`Kind`] as a number.
    pub kind: AtomicU64,
    /// Bytes of the whole layout.
    pub total_size: AtomicU64,
    /// Offset of the payload.
    pub data_offset: AtomicU64,
    /// `size_of::<T>()`.
    pub type_size: AtomicU64,
    /// `align_of::<T>()`.
    pub type_align: AtomicU64,
    /// [`fingerprint`] of `T`.
    pub type_id: AtomicU64,
    /// Ring or table slots, or 1.
    pub capacity: AtomicU64,
    /// Pid of the initialising process.
    pub creator_pid: AtomicU64,
    /// 1.
    pub generation: AtomicU64,
    /// Zero.
    pub reserved: [AtomicU64; 4],
}

#[cfg(not(loom))]
const _: () = {
    use core::mem::offset_of;
    assert!(size_of::<Header>() == HEADER_SIZE);
    assert!(align_of::<Header>() == 128);
    assert!(offset_of!(Header, state) == 0);
    assert!(offset_of!(Header, magic) == 8);
    assert!(offset_of!(Header, layout_version) == 16);
    assert!(offset_of!(Header, kind) == 24);
    assert!(offset_of!(Header, total_size) == 32);
    assert!(offset_of!(Header, data_offset) == 40);
    assert!(offset_of!(Header, type_size) == 48);
    assert!(offset_of!(Header, type_align) == 56);
    assert!(offset_of!(Header, type_id) == 64);
    assert!(offset_of!(Header, capacity) == 72);
    assert!(offset_of!(Header, creator_pid) == 80);
    assert!(offset_of!(Header, generation) == 88);
    assert!(offset_of!(Header, reserved) == 96);
};

/// What a layout's header must say: the creator writes it, attachers compare it.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Kind, Shape, fingerprint};
///
/// let shape = Shape::of::<[u32; 3]>(Kind::Ring, 16, 384, 384 + 16 * 16);
/// assert_eq!((shape.type_size, shape.type_align), (12, 4));
/// assert_eq!(shape.type_id, fingerprint::<[u32; 3]>());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Which layout.
    pub kind: Kind,
    /// Bytes of the whole layout.
    pub total_size: u64,
    /// Offset of the payload.
    pub data_offset: u64,
    /// `size_of::<T>()`.
    pub type_size: u64,
    /// `align_of::<T>()`.
    pub type_align: u64,
    /// [`fingerprint`] of `T`.
    pub type_id: u64,
    /// Ring or table slots, or 1.
    pub capacity: u64,
}

impl Shape {
    /// The shape of a layout of `kind` holding `T`s.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Kind, Shape};
    ///
    /// // A ring of 8 u64 slots: 384 bytes of control block, then 8 slots of 8 bytes.
    /// let shape = Shape::of::<u64>(Kind::Ring, 8, 384, 384 + 8 * 8);
    /// assert_eq!((shape.capacity, shape.data_offset, shape.total_size), (8, 384, 448));
    /// assert_eq!(shape.type_size, 8);
    /// ```
    pub const fn of<T: ShmType>(
        kind: Kind,
        capacity: usize,
        data_offset: usize,
        total_size: usize,
    ) -> Shape {
        Shape {
            kind,
            total_size: total_size as u64,
            data_offset: data_offset as u64,
            type_size: size_of::<T>() as u64,
            type_align: align_of::<T>() as u64,
            type_id: fingerprint::<T>(),
            capacity: capacity as u64,
        }
    }
}

/// Why a header was refused.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{Header, HeaderError, Kind, Shape};
/// use core::sync::atomic::Ordering;
///
/// let h = Header::new();
/// assert_eq!(h.wait_ready(|_| false), Err(HeaderError::NotReady));
/// h.state.store(9, Ordering::Relaxed); // garbage from a peer
/// assert_eq!(h.wait_ready(|_| true), Err(HeaderError::Corrupt));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum HeaderError {
    /// Still uninitialised or initialising when the wait ran out.
    NotReady,
    /// `state` holds a value no process writes.
    Corrupt,
    /// Ready, but this field differs from the expected shape.
    Mismatch {
        /// The field's name (`"capacity"`), behind a thin pointer (it is carried into
        /// the crate's `Error`, which keeps it so).
        field: &'static &'static str,
        /// Its value in the header.
        actual: u64,
        /// The value the shape expects.
        expected: u64,
    },
}

impl HeaderError {
    /// The crate's error for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::HeaderError;
    /// use sysv_ipc::ErrorKind;
    ///
    /// let e = HeaderError::Mismatch { field: &"capacity", actual: 8, expected: 64 }.to_error();
    /// assert_eq!((e.kind(), e.layout_field()), (ErrorKind::LayoutMismatch, Some("capacity")));
    /// assert_eq!((e.actual(), e.expected()), (Some(8), Some(64)));
    /// assert_eq!(HeaderError::NotReady.to_error().kind(), ErrorKind::Uninitialized);
    /// ```
    pub fn to_error(self) -> crate::Error {
        match self {
            HeaderError::NotReady => crate::Error::new(ErrorKind::Uninitialized),
            HeaderError::Corrupt => crate::Error::new(ErrorKind::Corrupt),
            HeaderError::Mismatch {
                field,
                actual,
                expected,
            } => crate::Error::new(ErrorKind::LayoutMismatch).with_field(field, actual, expected),
        }
    }

    /// The field of a [`HeaderError::Mismatch`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::HeaderError;
    ///
    /// assert_eq!(HeaderError::Mismatch { field: &"kind", actual: 1, expected: 2 }.field(), Some("kind"));
    /// assert_eq!(HeaderError::Corrupt.field(), None);
    /// ```
    pub fn field(&self) -> Option<&'static str> {
        match self {
            HeaderError::Mismatch { field, .. } => Some(*field),
            _ => None,
        }
    }
}

impl Header {
    /// A zeroed header, as the kernel hands it out in a new segment (for models and
    /// tests; a real header lives in a segment).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Header, UNINIT};
    /// use core::sync::atomic::Ordering;
    ///
    /// let h = Header::new();
    /// assert_eq!(h.state.load(Ordering::Relaxed), UNINIT);
    /// assert_eq!(h.magic.load(Ordering::Relaxed), 0);
    /// ```
    pub fn new() -> Header {
        Header {
            state: AtomicU64::new(0),
            magic: AtomicU64::new(0),
            layout_version: AtomicU64::new(0),
            kind: AtomicU64::new(0),
            total_size: AtomicU64::new(0),
            data_offset: AtomicU64::new(0),
            type_size: AtomicU64::new(0),
            type_align: AtomicU64::new(0),
            type_id: AtomicU64::new(0),
            capacity: AtomicU64::new(0),
            creator_pid: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            reserved: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Step 2 of the handshake: marks the header as this crate's (`magic`), then
    /// claims initialisation (`state` 0 → 1). True for exactly one caller on a
    /// zeroed header. Only the creator of a fresh segment calls it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::Header;
    ///
    /// let h = Header::new();
    /// assert!(h.begin_init()); // this process initialises
    /// assert!(!h.begin_init()); // any other one attaches instead
    /// ```
    pub fn begin_init(&self) -> bool {
        // The mark first: a segment whose creator died after this store carries a
        // trace that it was this handshake's, which a zero-filled segment of
        // another program never has (step 5 removes only marked segments).
        // Relaxed: ordered before the claim by the claim's Release.
        self.magic.store(MAGIC, Ordering::Relaxed);
        // AcqRel on success: Release keeps the mark before the claim (a reader that
        // sees `state` 1 sees `magic` too), Acquire keeps our initialising stores
        // after it; Relaxed on failure: the loser synchronises later, through
        // `wait_ready`.
        self.state
            .compare_exchange(UNINIT, INITIALIZING, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    /// Step 3: writes every field for `shape`, then marks the header ready. Call
    /// after [`begin_init`](Self::begin_init) returned true and after initialising
    /// what follows the header.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Header, Kind, MAGIC, Shape};
    /// use core::sync::atomic::Ordering;
    ///
    /// let h = Header::new();
    /// assert!(h.begin_init());
    /// // ... initialise what follows the header, then:
    /// h.publish(&Shape::of::<u64>(Kind::SeqLock, 1, 256, 264), 77);
    /// assert_eq!(h.magic.load(Ordering::Relaxed), MAGIC);
    /// assert_eq!(h.creator_pid.load(Ordering::Relaxed), 77);
    /// ```
    pub fn publish(&self, shape: &Shape, creator_pid: u32) {
        // Relaxed: all published by the Release store of `state` below.
        let relaxed = Ordering::Relaxed;
        self.magic.store(MAGIC, relaxed);
        self.layout_version.store(LAYOUT_VERSION, relaxed);
        self.kind.store(shape.kind as u64, relaxed);
        self.total_size.store(shape.total_size, relaxed);
        self.data_offset.store(shape.data_offset, relaxed);
        self.type_size.store(shape.type_size, relaxed);
        self.type_align.store(shape.type_align, relaxed);
        self.type_id.store(shape.type_id, relaxed);
        self.capacity.store(shape.capacity, relaxed);
        self.creator_pid.store(u64::from(creator_pid), relaxed);
        self.generation.store(1, relaxed);
        // Release: publishes every field above and the caller's initialisation of the
        // control lines; pairs with the Acquire load of `state` in `wait_ready`.
        self.state.store(READY, Ordering::Release);
    }

    /// Step 4a: waits until the header is ready, calling `wait(attempt)` (attempt
    /// counting from 0) each time it is not; gives up with
    /// [`HeaderError::NotReady`] when `wait` returns false.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Header, HeaderError, Kind, Shape};
    ///
    /// let h = Header::new();
    /// assert!(h.begin_init()); // a creator that never publishes
    /// let mut looks = 0;
    /// let r = h.wait_ready(|attempt| {
    ///     looks += 1;
    ///     attempt < 2 // a real caller sleeps here
    /// });
    /// assert_eq!((r, looks), (Err(HeaderError::NotReady), 3));
    /// h.publish(&Shape::of::<u64>(Kind::SeqLock, 1, 256, 264), 1);
    /// assert_eq!(h.wait_ready(|_| false), Ok(()));
    /// ```
    pub fn wait_ready(&self, mut wait: impl FnMut(u32) -> bool) -> Result<(), HeaderError> {
        let mut attempt = 0u32;
        loop {
            // Relaxed load, then an Acquire fence once READY is seen: pairs with the
            // Release store of READY in `publish`, making every field and the initial
            // control lines visible. Not an Acquire load: a read-only attachment may
            // only do Relaxed loads (`SeqLock`'s readers; see `layout::SeqReadView`).
            match self.state.load(Ordering::Relaxed) {
                READY => {
                    fence(Ordering::Acquire);
                    return Ok(());
                }
                UNINIT | INITIALIZING => {
                    if !wait(attempt) {
                        return Err(HeaderError::NotReady);
                    }
                    attempt = attempt.saturating_add(1);
                }
                _ => return Err(HeaderError::Corrupt),
            }
        }
    }

    /// Step 4b: compares every field (each read once) with `shape`; the first
    /// difference is the error. Call after [`wait_ready`](Self::wait_ready).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Header, HeaderError, Kind, Shape};
    ///
    /// let h = Header::new();
    /// assert!(h.begin_init());
    /// h.publish(&Shape::of::<u64>(Kind::Ring, 4, 384, 384 + 32), 1);
    /// assert_eq!(h.check(&Shape::of::<u64>(Kind::Ring, 4, 384, 384 + 32)), Ok(()));
    /// let bigger = Shape::of::<u64>(Kind::Ring, 8, 384, 384 + 64);
    /// assert_eq!(h.check(&bigger).map_err(|e| e.field()), Err(Some("capacity")));
    /// let other_type = Shape::of::<i64>(Kind::Ring, 4, 384, 384 + 32);
    /// assert_eq!(h.check(&other_type).map_err(|e| e.field()), Err(Some("type_id")));
    /// ```
    pub fn check(&self, shape: &Shape) -> Result<(), HeaderError> {
        // Relaxed: ordered after the Acquire load of READY in `wait_ready`. A field a
        // peer rewrites later is merely compared, never used as a size or an offset.
        let r = Ordering::Relaxed;
        let fields: [(&'static &'static str, &AtomicU64, u64); 9] = [
            (&"magic", &self.magic, MAGIC),
            (&"layout_version", &self.layout_version, LAYOUT_VERSION),
            (&"kind", &self.kind, shape.kind as u64),
            (&"data_offset", &self.data_offset, shape.data_offset),
            (&"type_size", &self.type_size, shape.type_size),
            (&"type_align", &self.type_align, shape.type_align),
            (&"type_id", &self.type_id, shape.type_id),
            (&"capacity", &self.capacity, shape.capacity),
            (&"total_size", &self.total_size, shape.total_size),
        ];
        for (name, field, want) in fields {
            if field.load(r) != want {
                return Err(HeaderError::Mismatch {
                    field: name,
                    actual: field.load(r),
                    expected: want,
                });
            }
        }
        Ok(())
    }

    /// Steps 4a and 4b.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Header, HeaderError, Kind, Shape};
    ///
    /// let shape = Shape::of::<f64>(Kind::SeqLock, 1, 256, 264);
    /// let h = Header::new();
    /// assert_eq!(h.attach(&shape, |_| false), Err(HeaderError::NotReady));
    /// assert!(h.begin_init());
    /// h.publish(&shape, 1);
    /// assert_eq!(h.attach(&shape, |_| false), Ok(()));
    /// ```
    pub fn attach(&self, shape: &Shape, wait: impl FnMut(u32) -> bool) -> Result<(), HeaderError> {
        self.wait_ready(wait)?;
        self.check(shape)
    }

    /// [`attach`](Self::attach) in a segment of `segment_size` bytes. While the
    /// header is not published, a segment of another size than
    /// `shape.total_size` is no creator of this layout at work (one makes the
    /// segment exactly that size): it is refused on its size at once, where a
    /// wait would end in [`HeaderError::NotReady`], which reads as a creator that
    /// died and would have the owner of another program's segment remove it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::layout::header::{Header, HeaderError, Kind, Shape};
    ///
    /// let shape = Shape::of::<f64>(Kind::SeqLock, 1, 256, 264);
    /// let h = Header::new(); // all zero: another program's, or a creator to come
    /// let e = h.attach_segment(&shape, 4096, |_| unreachable!("no wait"));
    /// assert_eq!(e.map_err(|e| e.field()), Err(Some("size")));
    /// assert_eq!(h.attach_segment(&shape, 264, |_| false), Err(HeaderError::NotReady));
    /// ```
    pub fn attach_segment(
        &self,
        shape: &Shape,
        segment_size: usize,
        wait: impl FnMut(u32) -> bool,
    ) -> Result<(), HeaderError> {
        // Relaxed: a decision on the size alone; `attach` does the Acquire.
        if segment_size as u64 != shape.total_size && self.state.load(Ordering::Relaxed) != READY {
            return Err(HeaderError::Mismatch {
                field: &"size",
                actual: segment_size as u64,
                expected: shape.total_size,
            });
        }
        self.attach(shape, wait)
    }
}

impl Default for Header {
    fn default() -> Self {
        Header::new()
    }
}

/// A type that may live in a layout: plain data (any bytes are a valid value, no
/// padding) with a stable name for the header's type check.
///
/// `TYPE_ID` identifies the type across programs and languages: derive it from a
/// name and version you choose with [`type_id`], and change it whenever the
/// meaning of the bytes changes. Size and alignment are checked as well (see
/// [`fingerprint`]).
///
/// ```
/// use sysv_ipc::{ShmType, type_id};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
/// #[repr(C)]
/// struct Tick {
///     seq: u64,
///     price: f64,
/// }
///
/// impl ShmType for Tick {
///     const TYPE_ID: u64 = type_id("myapp::Tick v1");
/// }
/// assert_ne!(Tick::TYPE_ID, <[u64; 2]>::TYPE_ID);
/// ```
pub trait ShmType: FromBytes + IntoBytes + Immutable + KnownLayout + Sized {
    /// The type's id; [`type_id`] of a name and version.
    const TYPE_ID: u64;
}

/// 64-bit FNV-1a of `bytes`, starting from `hash` (the offset basis
/// `0xcbf29ce484222325` for a fresh hash).
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::{fnv1a64, fnv1a64_from};
///
/// // Hashing in pieces gives the hash of the whole.
/// assert_eq!(fnv1a64_from(fnv1a64(b"foo"), b"bar"), fnv1a64(b"foobar"));
/// assert_eq!(fnv1a64_from(0xcbf2_9ce4_8422_2325, b"a"), fnv1a64(b"a"));
/// ```
pub const fn fnv1a64_from(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// 64-bit FNV-1a of `bytes`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::layout::header::fnv1a64;
///
/// // Reference vectors of the FNV test suite.
/// assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
/// ```
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// A [`ShmType::TYPE_ID`] from a name: the 64-bit FNV-1a hash of its UTF-8 bytes
/// (what a C or Python peer computes to name the same type).
///
/// # Examples
///
/// ```
/// use sysv_ipc::{ShmType, type_id};
///
/// // FNV-1a's offset basis is the hash of no bytes; "foobar" is a reference vector.
/// assert_eq!(type_id(""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(type_id("foobar"), 0x8594_4171_f739_67e8);
/// assert_eq!(<u64 as ShmType>::TYPE_ID, type_id("u64"));
/// assert_ne!(type_id("myapp::Tick v1"), type_id("myapp::Tick v2"));
/// ```
pub const fn type_id(name: &str) -> u64 {
    fnv1a64(name.as_bytes())
}

/// The header's `type_id` for `T`: FNV-1a continued from `T::TYPE_ID`'s hash over
/// the little-endian bytes of `T::TYPE_ID`, `size_of::<T>()`, `align_of::<T>()` and
/// the layout version (`SVIPC_LAYOUT_VERSION` in `include/sysv_ipc_layout.h`), each
/// as a `u64` — so another type, the same name with another
/// size, or another layout version all differ.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{ShmType, fingerprint, type_id};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
/// #[repr(C)]
/// struct Wide { a: u64 }
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
/// #[repr(C)]
/// struct Narrow { a: u32 }
/// // The same name with another size is another fingerprint.
/// impl ShmType for Wide { const TYPE_ID: u64 = type_id("Sample"); }
/// impl ShmType for Narrow { const TYPE_ID: u64 = type_id("Sample"); }
/// assert_eq!(Wide::TYPE_ID, Narrow::TYPE_ID);
/// assert_ne!(fingerprint::<Wide>(), fingerprint::<Narrow>());
/// ```
pub const fn fingerprint<T: ShmType>() -> u64 {
    let mut h = fnv1a64(&T::TYPE_ID.to_le_bytes());
    h = fnv1a64_from(h, &(size_of::<T>() as u64).to_le_bytes());
    h = fnv1a64_from(h, &(align_of::<T>() as u64).to_le_bytes());
    fnv1a64_from(h, &LAYOUT_VERSION.to_le_bytes())
}

macro_rules! primitive_shm_types {
    ($($t:ty),*) => {$(
        impl ShmType for $t {
            const TYPE_ID: u64 = type_id(stringify!($t));
        }
    )*};
}
primitive_shm_types!(u8, u16, u32, u64, i8, i16, i32, i64, f32, f64);

impl<T: ShmType, const N: usize> ShmType for [T; N] {
    const TYPE_ID: u64 = fnv1a64_from(
        fnv1a64_from(type_id("[T; N]"), &T::TYPE_ID.to_le_bytes()),
        &(N as u64).to_le_bytes(),
    );
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape::of::<u64>(Kind::Ring, 4, 384, 384 + 32)
    }

    #[test]
    fn fnv_matches_the_reference_vectors() {
        // From the FNV reference (Fowler/Noll/Vo test suite).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn fingerprints_tell_types_sizes_and_arrays_apart() {
        let ids = [
            fingerprint::<u64>(),
            fingerprint::<i64>(),
            fingerprint::<f64>(),
            fingerprint::<u32>(),
            fingerprint::<[u64; 2]>(),
            fingerprint::<[u64; 3]>(),
            fingerprint::<[u32; 4]>(),
        ];
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn handshake_on_one_thread() {
        let h = Header::new();
        assert_eq!(h.wait_ready(|_| false), Err(HeaderError::NotReady));
        assert!(h.begin_init());
        assert!(!h.begin_init(), "only one creator");
        let mut waits = 0;
        assert_eq!(
            h.wait_ready(|a| {
                waits += 1;
                a < 3
            }),
            Err(HeaderError::NotReady)
        );
        assert_eq!(waits, 4);
        h.publish(&shape(), 42);
        assert_eq!(h.attach(&shape(), |_| false), Ok(()));
        assert_eq!(h.creator_pid.load(Ordering::Relaxed), 42);
    }

    #[test]
    fn every_field_is_checked() {
        let h = Header::new();
        assert!(h.begin_init());
        h.publish(&shape(), 1);
        let mut other = shape();
        other.capacity = 8;
        assert_eq!(
            h.check(&other).map_err(|e| e.field()),
            Err(Some("capacity"))
        );
        other = shape();
        other.type_id = fingerprint::<i64>();
        assert_eq!(h.check(&other).map_err(|e| e.field()), Err(Some("type_id")));
        other = shape();
        other.kind = Kind::SeqLock;
        assert_eq!(h.check(&other).map_err(|e| e.field()), Err(Some("kind")));
        other = shape();
        other.total_size += 8;
        assert_eq!(
            h.check(&other).map_err(|e| e.field()),
            Err(Some("total_size"))
        );
        h.layout_version
            .store(LAYOUT_VERSION + 1, Ordering::Relaxed);
        assert_eq!(
            h.check(&shape()).map_err(|e| e.field()),
            Err(Some("layout_version"))
        );
        h.magic.store(0, Ordering::Relaxed);
        assert_eq!(h.check(&shape()).map_err(|e| e.field()), Err(Some("magic")));
        h.state.store(7, Ordering::Relaxed);
        assert_eq!(h.wait_ready(|_| true), Err(HeaderError::Corrupt));
        let e = HeaderError::Mismatch {
            field: &"capacity",
            actual: 8,
            expected: 4,
        }
        .to_error();
        assert_eq!(e.kind(), ErrorKind::LayoutMismatch);
        assert_eq!(e.layout_field(), Some("capacity"));
    }
}
