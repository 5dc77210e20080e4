//! The crate's own objects among the namespace's segments (re-exported by
//! [`info`](crate::info), whose module docs, "The crate's own objects", say what
//! is read and how).

use core::iter::FusedIterator;
use core::mem::offset_of;

use crate::layout::broadcast::{self, BcCtl, MAX_READERS, Policy};
use crate::layout::header::{
    HEADER_SIZE, Header, INITIALIZING, LAYOUT_VERSION, MAGIC, READY, UNINIT,
};
use crate::layout::mpsc::{self, ENTRY_WORDS, MAX_PRODUCERS, MpscCtl};
use crate::layout::ring::{Barrier, RingCtl};
use crate::layout::seqlock::SeqCtl;
use crate::layout::table::TableCtl;
use crate::layout::{LINE, WORD};
use crate::shm::{Attachment, ReadOnly, Segment, SegmentStat};
use crate::sync::{Ordering, fence};
use crate::{Backend, DefaultBackend, Errno, ErrorKind, Key, Result, SemSet};

use super::Segments;

// ---- what a segment is -------------------------------------------------------------

/// Which of the crate's types a segment holds: its header's `kind` word.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::LayoutKind;
///
/// assert_eq!(LayoutKind::from_word(1), Some(LayoutKind::Queue));
/// assert_eq!(LayoutKind::from_word(5), Some(LayoutKind::Table));
/// assert_eq!(LayoutKind::from_word(6), None);
/// assert_eq!(LayoutKind::Mpsc.name(), "Mpsc");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    /// [`Queue`](crate::queue::Queue): `kind` 1, the SPSC ring.
    Queue,
    /// [`SeqLock`](crate::seqlock::SeqLock): `kind` 2.
    SeqLock,
    /// [`Broadcast`](crate::broadcast::Broadcast): `kind` 3.
    Broadcast,
    /// [`Mpsc`](crate::mpsc::Mpsc): `kind` 4.
    Mpsc,
    /// [`Table`](crate::table::Table): `kind` 5.
    Table,
}

impl LayoutKind {
    /// The kind a header's `kind` word names; `None` for any other value.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::LayoutKind;
    ///
    /// assert_eq!(LayoutKind::from_word(2), Some(LayoutKind::SeqLock));
    /// assert_eq!(LayoutKind::from_word(0), None);
    /// ```
    pub const fn from_word(word: u64) -> Option<LayoutKind> {
        match word {
            1 => Some(LayoutKind::Queue),
            2 => Some(LayoutKind::SeqLock),
            3 => Some(LayoutKind::Broadcast),
            4 => Some(LayoutKind::Mpsc),
            5 => Some(LayoutKind::Table),
            _ => None,
        }
    }

    /// The type's name, as a tool prints it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::LayoutKind;
    ///
    /// assert_eq!(LayoutKind::Queue.name(), "Queue");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            LayoutKind::Queue => "Queue",
            LayoutKind::SeqLock => "SeqLock",
            LayoutKind::Broadcast => "Broadcast",
            LayoutKind::Mpsc => "Mpsc",
            LayoutKind::Table => "Table",
        }
    }
}

/// Why a segment is not (or not yet) one of the crate's ready layouts.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, NotLayout};
/// use sysv_ipc::{Intent, Key, Mode, Removal, Segment};
///
/// let plain = Removal::new(Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::OWNER_RW)?);
/// let found = info::inspect(plain.id())?;
/// assert_eq!(found.not_layout(), Some(NotLayout::NoMark)); // zero-filled: nobody's header
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NotLayout {
    /// Smaller than a header (128 bytes).
    TooSmall,
    /// No mark (`magic` is not `"SVIPCRS1"`): another program's segment, a
    /// zero-filled one, or a creator that has not marked it yet.
    NoMark,
    /// Marked, but its creator has not published the header: it is initialising
    /// (`state` 1, or 0 just before its claim), or it died doing so.
    NotReady {
        /// The `state` word: 0 or 1.
        state: u64,
    },
    /// Marked, with a `state` no handshake writes.
    BadState(u64),
    /// Ready and marked, with a `kind` this crate does not know (a newer one's).
    UnknownKind(u64),
}

/// The semaphore set a layout's roles live in, as found under the segment's key.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, Semaphores};
/// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
///
/// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let found = info::inspect(lock.segment().id())?;
/// assert_eq!(found.layout().unwrap().semaphores, Semaphores::PrivateKey);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Semaphores {
    /// The layout's set: this id.
    Found(i32),
    /// The segment has no key (created with [`Key::PRIVATE`], or removed and still
    /// attached): nothing names its set.
    PrivateKey,
    /// No set under the key.
    Missing,
    /// A set under the key that is not the layout's: another creator, or not the
    /// kind's number of semaphores (or that number unknown: a seat count in the
    /// segment that is corrupt).
    Unrelated,
    /// The set could not be looked at: its `semget` or `IPC_STAT` failed with this
    /// error (`EACCES` for a set the caller may not read).
    Unreadable(Errno),
}

/// What a segment's header says, checked against the segment.
///
/// Every field is the word as read; [`corrupt`](Self::corrupt) names the first
/// one that no creator of this crate writes for a segment of this size.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LayoutKind};
/// use sysv_ipc::{fingerprint, Intent, Key, Mode, Removal, SeqLock};
///
/// let lock = Removal::new(SeqLock::<[u32; 3]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let found = info::inspect(lock.segment().id())?;
/// let l = found.layout().unwrap();
/// assert_eq!((l.kind, l.type_size, l.type_align), (LayoutKind::SeqLock, 12, 4));
/// assert_eq!(l.type_id, fingerprint::<[u32; 3]>());
/// assert_eq!(l.creator_pid, u64::from(std::process::id()));
/// assert_eq!((l.corrupt, l.attached()), (None, 1)); // the handle's own attachment
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LayoutInfo {
    /// Which type.
    pub kind: LayoutKind,
    /// `layout_version`; only this crate's ([`LAYOUT_VERSION`](crate::info::LAYOUT_VERSION)) has its
    /// [`state`](Self::state) and roles decoded.
    pub version: u64,
    /// `size_of::<T>()`.
    pub type_size: u64,
    /// `align_of::<T>()`.
    pub type_align: u64,
    /// The type fingerprint ([`fingerprint`](crate::fingerprint)).
    pub type_id: u64,
    /// Slots (`N`); 1 for a seqlock.
    pub capacity: u64,
    /// Bytes the layout uses.
    pub total_size: u64,
    /// Offset of the payload.
    pub data_offset: u64,
    /// The process that initialised the header.
    pub creator_pid: u64,
    /// The first header field that cannot be right for this segment (a capacity
    /// whose slots do not fit or that is not a power of two for a ring, a size
    /// beyond the segment, an alignment that is not a power of two or is above a
    /// page); `None` when all are plausible.
    pub corrupt: Option<&'static str>,
    /// Where the roles' semaphores are.
    pub semaphores: Semaphores,
    /// The kind's control words; `None` for another layout version.
    pub state: Option<KindState>,
    /// The segment's `IPC_STAT`, taken before the inspector attached it.
    pub stat: SegmentStat,
}

impl LayoutInfo {
    /// The segment's key.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
    ///
    /// # // A key of this process's own: parallel runs of the examples do not meet.
    /// # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 2);
    /// let lock = Removal::new(SeqLock::<u64>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let found = info::inspect(lock.segment().id())?;
    /// assert_eq!(found.layout().unwrap().key(), key);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn key(&self) -> Key {
        self.stat.perm.key
    }

    /// Attachments other than the inspector's (`shm_nattch` before it attached).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let reader = lock.read_only()?; // a second attachment
    /// assert_eq!(info::inspect(lock.segment().id())?.layout().unwrap().attached(), 2);
    /// # drop(reader);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn attached(&self) -> u64 {
        self.stat.nattch
    }

    /// Messages in a queue or an MPSC ring (`tail - head`, claimed positions
    /// included); `None` for other kinds, and when the indices are impossible
    /// (more than [`capacity`](Self::capacity) apart, or head past tail).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Queue, Removal};
    ///
    /// let q = Removal::new(Queue::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, _rx) = q.split()?;
    /// tx.enqueue(1)?;
    /// tx.enqueue(2)?;
    /// assert_eq!(info::inspect(q.segment().id())?.layout().unwrap().occupancy(), Some(2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn occupancy(&self) -> Option<u64> {
        match self.state? {
            KindState::Queue { occupancy, .. } | KindState::Mpsc { occupancy, .. } => occupancy,
            _ => None,
        }
    }

    /// Messages ever published, a count that only grows while the layout lives:
    /// a queue's `tail`, an MPSC ring's claimed positions (`tail`), a
    /// broadcast's `tail`, a seqlock's complete writes (`seq / 2`), a table's
    /// version (one a write, and one for each writer that took the role). Two
    /// readings a known time apart give a rate without joining any role. `None`
    /// for another layout version.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Queue, Removal, SeqLock};
    ///
    /// let q = Removal::new(Queue::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// for i in 0..3 {
    ///     tx.enqueue(i)?;
    ///     rx.dequeue()?;
    /// }
    /// assert_eq!(info::inspect(q.segment().id())?.layout().unwrap().messages(), Some(3));
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// w.write(&1)?;
    /// w.write(&2)?;
    /// assert_eq!(info::inspect(lock.segment().id())?.layout().unwrap().messages(), Some(2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn messages(&self) -> Option<u64> {
        Some(match self.state? {
            KindState::Queue { tail, .. }
            | KindState::Mpsc { tail, .. }
            | KindState::Broadcast { tail, .. } => tail,
            KindState::SeqLock { seq, .. } => seq / 2,
            KindState::Table { version } => version,
        })
    }

    /// The wake check the creator chose for a queue, a broadcast or an MPSC
    /// ring; `None` for a seqlock, a table (they park no one on a ring), and
    /// another layout version.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Queue, Removal};
    ///
    /// let q = Removal::new(Queue::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let found = info::inspect(q.segment().id())?;
    /// assert_eq!(found.layout().unwrap().barrier(), Some(q.barrier()?));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn barrier(&self) -> Option<Barrier> {
        match self.state? {
            KindState::Queue { barrier, .. }
            | KindState::Broadcast { barrier, .. }
            | KindState::Mpsc { barrier, .. } => Some(barrier),
            KindState::SeqLock { .. } | KindState::Table { .. } => None,
        }
    }

    /// Age of the segment at `now` (seconds since the epoch, as the kernel's
    /// clock says): `now - ctime`, where `ctime` is the segment's creation time
    /// or its last `IPC_SET`; 0 for a `ctime` in the future.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let found = info::inspect(lock.segment().id())?;
    /// let l = found.layout().unwrap();
    /// assert_eq!(l.age(l.stat.ctime + 5), 5);
    /// assert_eq!(l.age(0), 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn age(&self, now: i64) -> u64 {
        let secs = now.saturating_sub(self.stat.ctime);
        if secs < 0 { 0 } else { secs.unsigned_abs() }
    }
}

/// A layout's control words, by kind: indices, flags and settings, each read
/// once and checked.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, KindState};
/// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
///
/// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// lock.writer()?.write(&5)?;
/// let found = info::inspect(lock.segment().id())?;
/// // One complete write: the sequence went 0 -> 1 -> 2.
/// assert_eq!(found.layout().unwrap().state, Some(KindState::SeqLock { seq: 2, writing: false }));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum KindState {
    /// A [`Queue`](crate::queue::Queue)'s ring.
    Queue {
        /// Messages ever dequeued.
        head: u64,
        /// Messages ever enqueued.
        tail: u64,
        /// `tail - head`; `None` if beyond the capacity (corrupt).
        occupancy: Option<u64>,
        /// Whether the producer closed the stream; `None` for a value no
        /// producer writes.
        closed: Option<bool>,
        /// The wake check the creator chose.
        barrier: Barrier,
        /// The consumer's waiting flag: it is (about to be) parked.
        consumer_parked: bool,
        /// The producer's waiting flag.
        producer_parked: bool,
    },
    /// A [`SeqLock`](crate::seqlock::SeqLock).
    SeqLock {
        /// The sequence word: twice the writes, plus one during a write.
        seq: u64,
        /// Odd `seq`: a write in progress, or a writer that died in one.
        writing: bool,
    },
    /// A [`Broadcast`](crate::broadcast::Broadcast)'s ring.
    Broadcast {
        /// Messages ever published: the writer's position.
        tail: u64,
        /// The creator's policy; `None` for a value no creator writes.
        policy: Option<Policy>,
        /// Reader seats (`R`); `None` if not in `1..=960` or their lines do not
        /// fit in the segment (corrupt).
        readers: Option<usize>,
        /// Whether the writer closed the stream; `None` for a value no writer
        /// writes.
        closed: Option<bool>,
        /// The wake check the creator chose.
        barrier: Barrier,
        /// A lossless writer's waiting flag.
        writer_parked: bool,
    },
    /// An [`Mpsc`](crate::mpsc::Mpsc)'s ring.
    Mpsc {
        /// Positions ever consumed or skipped.
        head: u64,
        /// Positions ever claimed.
        tail: u64,
        /// `tail - head`, claimed positions not yet published included; `None`
        /// if beyond the capacity (corrupt).
        occupancy: Option<u64>,
        /// Producer seats (`P`); `None` if not in `1..=64` or their entries do not
        /// fit in the segment (corrupt).
        producers: Option<usize>,
        /// Claims the consumers skipped because their producer died.
        abandoned: u64,
        /// The wake check the creator chose.
        barrier: Barrier,
        /// The consumer's waiting flag.
        consumer_parked: bool,
    },
    /// A [`Table`](crate::table::Table).
    Table {
        /// The table version: writes whose bookkeeping is complete.
        version: u64,
    },
}

// ---- roles ---------------------------------------------------------------------------

/// Which role a [`RoleEntry`] is.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::Role;
///
/// assert_eq!(Role::Reader.name(), "reader");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A queue's producer, or one of an MPSC ring's producer seats.
    Producer,
    /// A queue's or an MPSC ring's consumer.
    Consumer,
    /// The writer of a seqlock, a broadcast or a table.
    Writer,
    /// One of a broadcast's reader seats.
    Reader,
}

impl Role {
    /// The role's name, lower case.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::Role;
    ///
    /// assert_eq!(Role::Producer.name(), "producer");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::Consumer => "consumer",
            Role::Writer => "writer",
            Role::Reader => "reader",
        }
    }
}

/// Whether a role's holder lives, from its semaphore (taken with `SEM_UNDO`) and
/// its pid word (see the [`info` module docs](crate::info#roles-and-their-liveness)).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::Liveness;
///
/// assert!(Liveness::Alive.is_held());
/// assert!(!Liveness::Dead.is_held());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Liveness {
    /// Nobody holds it, and nobody died holding it.
    Free,
    /// A live process holds the semaphore, and the pid word names it.
    Alive,
    /// The semaphore is taken but the pid word is 0: a claim in progress (or a
    /// holder that wrote garbage over its word).
    Claiming,
    /// Its holder died holding it: the kernel gave the semaphore back, and the pid
    /// word still names the holder.
    Dead,
    /// No semaphore set to tell (see [`Semaphores`]).
    Unknown,
}

impl Liveness {
    /// Whether a live process holds the semaphore: [`Alive`](Self::Alive) or
    /// [`Claiming`](Self::Claiming).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::Liveness;
    ///
    /// assert!(Liveness::Claiming.is_held());
    /// assert!(!Liveness::Unknown.is_held());
    /// ```
    pub const fn is_held(self) -> bool {
        matches!(self, Liveness::Alive | Liveness::Claiming)
    }
}

/// One role seat of a layout: who registered, whether they live, and what the
/// layout keeps for it.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, Liveness, Role};
/// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
///
/// # // A key of this process's own: parallel runs of the examples do not meet.
/// # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 3);
/// let lock = Removal::new(SeqLock::<u64>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
/// let w = lock.writer()?;
/// let found = info::inspect(lock.segment().id())?;
/// let writer = found.roles().next().unwrap()?;
/// assert_eq!((writer.role, writer.seat), (Role::Writer, 0));
/// assert_eq!(writer.pid, Some(std::process::id()));
/// assert_eq!(writer.liveness, Liveness::Alive);
/// # drop(w);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RoleEntry {
    /// Which role.
    pub role: Role,
    /// Which seat of that role (0 for a role with one seat).
    pub seat: usize,
    /// The pid word: the registered holder; `None` if 0 (never held, or released
    /// cleanly) or beyond any pid.
    pub pid: Option<u32>,
    /// Whether the holder lives.
    pub liveness: Liveness,
    /// `GETPID` of the role's semaphore: the last process that took or gave it
    /// back (the kernel, on a holder's death, leaves the dead one's pid).
    pub last_op_pid: Option<i32>,
    /// The layout's waiting flag for this seat, where it keeps one: the holder is
    /// (about to be) parked.
    pub parked: Option<bool>,
    /// A broadcast reader's distance behind the writer (`tail - cursor`; above
    /// the capacity it has been lapped, or, lossless, it holds the writer back).
    /// `None` for other roles, a free reader line, or a corrupt cursor.
    pub lag: Option<u64>,
    /// A value in the seat's words that no run of the protocol writes (a pid
    /// beyond any pid, a broadcast cursor more than the capacity ahead of the
    /// writer, a reader line state other than free, joining, active): the name of
    /// the word.
    pub corrupt: Option<&'static str>,
}

impl RoleEntry {
    /// Whether a process registered in the seat: a pid word other than 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let found = info::inspect(lock.segment().id())?;
    /// assert!(!found.roles().next().unwrap()?.is_registered()); // no writer yet
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn is_registered(&self) -> bool {
        self.pid.is_some()
    }
}

/// Role counts of one layout ([`Inspection::counts`]).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, RoleCounts};
/// use sysv_ipc::{Intent, Key, Mode, Queue, Removal};
///
/// # // A key of this process's own: parallel runs of the examples do not meet.
/// # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 4);
/// let q = Removal::new(Queue::<u8, 2>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
/// let tx = q.producer()?;
/// let counts = info::inspect(q.segment().id())?.counts()?;
/// assert_eq!(counts, RoleCounts { seats: 2, registered: 1, alive: 1, dead: 0 });
/// # drop(tx);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RoleCounts {
    /// Role seats of the layout.
    pub seats: usize,
    /// Seats whose pid word names a process.
    pub registered: usize,
    /// Seats a live process holds ([`Liveness::is_held`]).
    pub alive: usize,
    /// Seats whose holder died holding them ([`Liveness::Dead`]).
    pub dead: usize,
}

// ---- the inspection --------------------------------------------------------------------

/// What a segment was found to be.
// The layout's description is the common case and lives inline: no allocation
// in the core, and one of these per inspection.
#[allow(clippy::large_enum_variant)]
#[derive(Copy, Clone, Debug)]
enum Found {
    Layout(LayoutInfo),
    Not(NotLayout),
    Unattachable(Errno),
}

/// One segment, inspected: its id and `IPC_STAT`, what it holds, and (for a
/// layout) its roles. Holds the read-only attachment (and the layout's semaphore
/// set handle) that [`roles`](Self::roles) reads through; dropping it detaches.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
/// use sysv_ipc::{Intent, Key, Mode, Removal, Segment};
///
/// let seg = Removal::new(Segment::create(Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW)?);
/// let found = info::inspect(seg.id())?;
/// assert_eq!((found.id(), found.stat().size), (seg.id(), 64));
/// assert!(found.layout().is_none());
/// assert_eq!(found.roles().count(), 0);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
pub struct Inspection<B: Backend = DefaultBackend> {
    id: i32,
    stat: SegmentStat,
    found: Found,
    att: Option<Attachment<B, ReadOnly>>,
    sems: Option<SemSet<B>>,
}

impl<B: Backend> Inspection<B> {
    /// The read-only attachment the inspection holds (`None`: unattachable).
    pub(super) const fn attachment(&self) -> Option<&Attachment<B, ReadOnly>> {
        self.att.as_ref()
    }

    /// The segment id.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 8, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(info::inspect(seg.id())?.id(), seg.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn id(&self) -> i32 {
        self.id
    }

    /// The segment's `IPC_STAT`, taken before the inspector attached it.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, Segment};
    ///
    /// # // A key of this process's own: parallel runs of the examples do not meet.
    /// # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 5);
    /// let seg = Removal::new(Segment::create(key, 8, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let found = info::inspect(seg.id())?;
    /// assert_eq!((found.stat().perm.key, found.stat().nattch), (key, 0));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn stat(&self) -> &SegmentStat {
        &self.stat
    }

    /// The layout, if the segment holds one of the crate's with a ready header.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{self, LayoutKind};
    /// use sysv_ipc::table::Table;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let t = Removal::new(Table::<u64, 16>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let found = info::inspect(t.segment().id())?;
    /// assert_eq!(found.layout().map(|l| (l.kind, l.capacity)), Some((LayoutKind::Table, 16)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn layout(&self) -> Option<&LayoutInfo> {
        match &self.found {
            Found::Layout(l) => Some(l),
            _ => None,
        }
    }

    /// Why the segment is not a ready layout, if it is not (and could be read).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{self, NotLayout};
    /// use sysv_ipc::{Intent, Key, Mode, Removal, Segment};
    ///
    /// let tiny = Removal::new(Segment::create(Key::PRIVATE, 100, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(info::inspect(tiny.id())?.not_layout(), Some(NotLayout::TooSmall));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn not_layout(&self) -> Option<NotLayout> {
        match self.found {
            Found::Not(n) => Some(n),
            _ => None,
        }
    }

    /// The error of the read-only `shmat`, if the segment could not be attached
    /// (`EACCES`: the caller may not read it).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, Segment};
    ///
    /// let seg = Removal::new(Segment::create(Key::PRIVATE, 8, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(info::inspect(seg.id())?.unattachable(), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn unattachable(&self) -> Option<Errno> {
        match self.found {
            Found::Unattachable(e) => Some(e),
            _ => None,
        }
    }

    /// The layout's role seats, each read when the iterator reaches it: a queue's
    /// producer then consumer; the writer of a seqlock or a table; a broadcast's
    /// writer then each reader seat; an MPSC ring's consumer then each producer
    /// seat. Nothing for a segment that is not a layout of this crate's version.
    /// Each item is an error only if a semaphore could not be read (the set
    /// removed meanwhile).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{self, Role};
    /// use sysv_ipc::mpsc::{Mpsc, MpscOptions};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = MpscOptions::new().producers(3);
    /// # // A key of this process's own: parallel runs of the examples do not meet.
    /// # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 6);
    /// let m = Removal::new(Mpsc::<u64, 8, _>::create_with(DefaultBackend::default(), key, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let found = info::inspect(m.segment().id())?;
    /// let roles: Vec<_> = found.roles().map(|r| r.map(|r| (r.role, r.seat))).collect::<Result<_, _>>()?;
    /// assert_eq!(roles, [(Role::Consumer, 0), (Role::Producer, 0), (Role::Producer, 1), (Role::Producer, 2)]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn roles(&self) -> Roles<'_, B> {
        let (seats, layout) = match (&self.found, &self.att) {
            (Found::Layout(l), Some(att)) => match seat_count(l) {
                Some(n) => (n, Some((l, att))),
                None => (0, None),
            },
            _ => (0, None),
        };
        Roles {
            layout,
            sems: self.sems.as_ref(),
            next: 0,
            seats,
        }
    }

    /// The role counts: seats, registered, alive, dead.
    ///
    /// # Errors
    ///
    /// A semaphore that could not be read (the set removed meanwhile).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Start};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(4);
    /// # // A key of this process's own: parallel runs of the examples do not meet.
    /// # let key = Key::new(0x5e00_0000 | (std::process::id() as i32 & 0xf_ffff) << 4 | 7);
    /// let bc = Removal::new(Broadcast::<u64, 8, _>::create_with(DefaultBackend::default(), key, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let (_w, _r) = (bc.writer()?, bc.reader(Start::Newest)?);
    /// let counts = info::inspect(bc.segment().id())?.counts()?;
    /// assert_eq!((counts.seats, counts.registered, counts.alive), (5, 2, 2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn counts(&self) -> Result<RoleCounts> {
        let mut c = RoleCounts::default();
        for entry in self.roles() {
            let entry = entry?;
            c.seats = c.seats.saturating_add(1);
            c.registered = c
                .registered
                .saturating_add(usize::from(entry.is_registered()));
            c.alive = c
                .alive
                .saturating_add(usize::from(entry.liveness.is_held()));
            c.dead = c
                .dead
                .saturating_add(usize::from(entry.liveness == Liveness::Dead));
        }
        Ok(c)
    }
}

/// The role seats of an [`Inspection`], read lazily (see [`Inspection::roles`]).
#[derive(Debug)]
pub struct Roles<'a, B: Backend = DefaultBackend> {
    layout: Option<(&'a LayoutInfo, &'a Attachment<B, ReadOnly>)>,
    sems: Option<&'a SemSet<B>>,
    next: usize,
    seats: usize,
}

impl<B: Backend> Iterator for Roles<'_, B> {
    type Item = Result<RoleEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        let (layout, att) = self.layout?;
        if self.next >= self.seats {
            return None;
        }
        let k = self.next;
        self.next = self.next.saturating_add(1);
        let Some(seat) = seat_at(layout, att, k) else {
            self.next = self.seats; // fused
            return None;
        };
        Some(read_seat(att, self.sems, layout, &seat))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.seats.saturating_sub(self.next);
        (0, Some(left))
    }
}

impl<B: Backend> FusedIterator for Roles<'_, B> {}

// ---- reading the words ---------------------------------------------------------------

/// The word at byte `offset`, Relaxed (the one atomic access a read-only mapping
/// takes); `None` past the end of the segment.
fn word<B: Backend>(att: &Attachment<B, ReadOnly>, offset: usize) -> Option<u64> {
    att.load_u64(offset)
}

/// The word at byte `offset`, 0 past the end (a seat word beyond a short segment
/// reads as unused).
fn word_or_0<B: Backend>(att: &Attachment<B, ReadOnly>, offset: usize) -> u64 {
    word(att, offset).unwrap_or(0)
}

/// Classifies the attached segment by its header.
fn classify<B: Backend>(
    att: &Attachment<B, ReadOnly>,
    stat: &SegmentStat,
) -> core::result::Result<LayoutInfo, NotLayout> {
    if att.len() < HEADER_SIZE {
        return Err(NotLayout::TooSmall);
    }
    let h = |field| word_or_0(att, field);
    // Relaxed, then the Acquire fence once READY is seen: pairs with the
    // creator's Release store of READY (`Header::publish`), so the fields below
    // are the published ones.
    let state = h(offset_of!(Header, state));
    let magic = h(offset_of!(Header, magic));
    if magic != MAGIC {
        return Err(NotLayout::NoMark);
    }
    match state {
        READY => fence(Ordering::Acquire),
        UNINIT | INITIALIZING => return Err(NotLayout::NotReady { state }),
        other => return Err(NotLayout::BadState(other)),
    }
    let kind_word = h(offset_of!(Header, kind));
    let kind = LayoutKind::from_word(kind_word).ok_or(NotLayout::UnknownKind(kind_word))?;
    let mut info = LayoutInfo {
        kind,
        version: h(offset_of!(Header, layout_version)),
        type_size: h(offset_of!(Header, type_size)),
        type_align: h(offset_of!(Header, type_align)),
        type_id: h(offset_of!(Header, type_id)),
        capacity: h(offset_of!(Header, capacity)),
        total_size: h(offset_of!(Header, total_size)),
        data_offset: h(offset_of!(Header, data_offset)),
        creator_pid: h(offset_of!(Header, creator_pid)),
        corrupt: None,
        semaphores: Semaphores::Missing,
        state: None,
        stat: *stat,
    };
    info.corrupt = implausible(&info, att.len());
    if info.version == LAYOUT_VERSION {
        info.state = Some(kind_state(&info, att));
    }
    Ok(info)
}

/// The first header field that no creator writes for a segment of `len` bytes.
fn implausible(info: &LayoutInfo, len: usize) -> Option<&'static str> {
    let len = u64::try_from(len).unwrap_or(u64::MAX);
    let ring_like = matches!(
        info.kind,
        LayoutKind::Queue | LayoutKind::Broadcast | LayoutKind::Mpsc
    );
    if !info.type_align.is_power_of_two() || info.type_align > 4096 {
        return Some("type_align");
    }
    if info.total_size > len || info.total_size < HEADER_SIZE as u64 {
        return Some("total_size");
    }
    if info.data_offset > info.total_size || !info.data_offset.is_multiple_of(WORD as u64) {
        return Some("data_offset");
    }
    if info.capacity == 0
        || (ring_like && !info.capacity.is_power_of_two())
        || (info.kind == LayoutKind::SeqLock && info.capacity != 1)
    {
        return Some("capacity");
    }
    // Every kind's slot holds at least the value's words: the slots must fit
    // between the payload's offset and the layout's end.
    let value = info
        .type_size
        .div_ceil(WORD as u64)
        .saturating_mul(WORD as u64);
    let room = info.total_size.saturating_sub(info.data_offset);
    match info.capacity.checked_mul(value.max(1)) {
        Some(need) if need <= room => None,
        _ => Some(if value > room {
            "type_size"
        } else {
            "capacity"
        }),
    }
}

/// Attempts at a consistent `(head, tail)` pair before the last one read is taken
/// as it is: a consumer that moves `head` between every two loads for this long
/// is draining the ring as fast as it can.
const INDEX_ATTEMPTS: u32 = 64;

/// `head` and `tail` (at byte offsets `head` and `tail`) as they were at one
/// instant: `head` read before and after `tail` and unchanged. Both only grow,
/// so `head` had that value when `tail` was read, and a ring that is not corrupt
/// then had `tail - head <= capacity`. Two separate loads would not say that: a
/// `tail` read late against a `head` read early can be more than the capacity
/// apart in a healthy ring, and the other order can see `head` past `tail`.
fn indices<B: Backend>(att: &Attachment<B, ReadOnly>, head: usize, tail: usize) -> (u64, u64) {
    // Relaxed loads (all a read-only mapping takes), each followed by an Acquire
    // fence, which keeps the next load after it: head, tail, head, in that order.
    let load = |offset| {
        let v = word_or_0(att, offset);
        fence(Ordering::Acquire);
        v
    };
    let mut h = load(head);
    let mut t = load(tail);
    for _ in 0..INDEX_ATTEMPTS {
        let again = load(head);
        if again == h {
            break;
        }
        h = again;
        t = load(tail);
    }
    (h, t)
}

/// `tail - head` if it is a possible occupancy of `capacity` slots.
fn occupancy(head: u64, tail: u64, capacity: u64) -> Option<u64> {
    let n = tail.wrapping_sub(head);
    (n <= capacity).then_some(n)
}

fn closed(word: u64) -> Option<bool> {
    match word {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn barrier(word: u64) -> Barrier {
    if word == Barrier::Asymmetric as u64 {
        Barrier::Asymmetric
    } else {
        Barrier::Symmetric
    }
}

/// Reader seats `R` of a broadcast if plausible: in range, and their lines inside
/// the segment.
fn bc_readers<B: Backend>(att: &Attachment<B, ReadOnly>) -> Option<usize> {
    let r = usize::try_from(word(att, offset_of!(BcCtl, readers))?).ok()?;
    let end = r.checked_mul(LINE)?.checked_add(broadcast::DATA_OFFSET)?;
    ((1..=MAX_READERS).contains(&r) && end <= att.len()).then_some(r)
}

/// Producer seats `P` of an MPSC ring if plausible.
fn mpsc_producers<B: Backend>(att: &Attachment<B, ReadOnly>) -> Option<usize> {
    let p = usize::try_from(word(att, offset_of!(MpscCtl, producers))?).ok()?;
    ((1..=MAX_PRODUCERS).contains(&p) && mpsc::slots_offset(p) <= att.len()).then_some(p)
}

fn kind_state<B: Backend>(info: &LayoutInfo, att: &Attachment<B, ReadOnly>) -> KindState {
    let w = |offset| word_or_0(att, offset);
    let state = match info.kind {
        LayoutKind::Queue => {
            let (head, tail) = indices(att, offset_of!(RingCtl, head), offset_of!(RingCtl, tail));
            KindState::Queue {
                head,
                tail,
                occupancy: occupancy(head, tail, info.capacity),
                closed: closed(w(offset_of!(RingCtl, closed))),
                barrier: barrier(w(offset_of!(RingCtl, barrier))),
                consumer_parked: w(offset_of!(RingCtl, consumer_waiting)) != 0,
                producer_parked: w(offset_of!(RingCtl, producer_waiting)) != 0,
            }
        }
        LayoutKind::SeqLock => {
            let seq = w(offset_of!(SeqCtl, seq));
            KindState::SeqLock {
                seq,
                writing: seq % 2 == 1,
            }
        }
        LayoutKind::Broadcast => KindState::Broadcast {
            tail: w(offset_of!(BcCtl, tail)),
            policy: match w(offset_of!(BcCtl, policy)) {
                0 => Some(Policy::Lossy),
                1 => Some(Policy::Lossless),
                _ => None,
            },
            readers: bc_readers(att),
            closed: closed(w(offset_of!(BcCtl, closed))),
            barrier: barrier(w(offset_of!(BcCtl, barrier))),
            writer_parked: w(offset_of!(BcCtl, writer_waiting)) != 0,
        },
        LayoutKind::Mpsc => {
            let (head, tail) = indices(att, offset_of!(MpscCtl, head), offset_of!(MpscCtl, tail));
            KindState::Mpsc {
                head,
                tail,
                occupancy: occupancy(head, tail, info.capacity),
                producers: mpsc_producers(att),
                abandoned: w(offset_of!(MpscCtl, abandoned)),
                barrier: barrier(w(offset_of!(MpscCtl, barrier))),
                consumer_parked: w(offset_of!(MpscCtl, consumer_waiting)) != 0,
            }
        }
        LayoutKind::Table => KindState::Table {
            version: w(offset_of!(TableCtl, version)),
        },
    };
    // Acquire: the indices and flags above were read Relaxed; what a reader of
    // them does next (read a role's words) comes after.
    fence(Ordering::Acquire);
    state
}

// ---- semaphores ----------------------------------------------------------------------
//
// Where each kind keeps its role semaphores. The queue's, seqlock's, table's and
// broadcast writer's are the kinds' own constants; the broadcast reader and MPSC
// consumer formulas are private to `broadcast.rs` and `mpsc.rs` and written out
// again here (tests/info_layouts.rs checks them against live roles).

/// Semaphores in the set of a layout: what its creator made.
fn expected_nsems(info: &LayoutInfo) -> Option<usize> {
    Some(match info.state? {
        KindState::Queue { .. } => crate::queue::SEM_VALUES.len(),
        KindState::SeqLock { .. } => crate::seqlock::SEM_VALUES.len(),
        KindState::Table { .. } => crate::table::SEM_VALUES.len(),
        KindState::Broadcast { readers, .. } => crate::broadcast::set_size(readers?)?,
        KindState::Mpsc { producers, .. } => crate::mpsc::set_size(producers?)?,
    })
}

/// The layout's semaphore set under its key, if it is the layout's: the same
/// creator as the segment (`cuid`) and the kind's number of semaphores.
fn find_sems<B: Backend + Clone>(
    backend: &B,
    info: &LayoutInfo,
) -> (Semaphores, Option<SemSet<B>>) {
    let key = info.key();
    if key.is_private() {
        return (Semaphores::PrivateKey, None);
    }
    let sems = match SemSet::open_in(backend.clone(), key) {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::NotFound => return (Semaphores::Missing, None),
        Err(e) => {
            return (
                Semaphores::Unreadable(e.errno().unwrap_or(Errno::INVAL)),
                None,
            );
        }
    };
    let stat = match sems.stat() {
        Ok(s) => s,
        Err(e) => {
            return (
                Semaphores::Unreadable(e.errno().unwrap_or(Errno::INVAL)),
                None,
            );
        }
    };
    // Another layout version's set size is not known here: its creator decides.
    let size_ok = info.state.is_none() || expected_nsems(info) == Some(stat.nsems);
    if stat.perm.cuid != info.stat.perm.cuid || !size_ok {
        return (Semaphores::Unrelated, None);
    }
    (Semaphores::Found(sems.id()), Some(sems))
}

// ---- seats ---------------------------------------------------------------------------

/// Where one seat's words and semaphore are.
struct SeatAt {
    role: Role,
    seat: usize,
    /// Byte offset of the pid word.
    pid: usize,
    /// The role semaphore.
    sem: u16,
    parked: Option<bool>,
    /// Extra words to decode: a broadcast reader's line.
    line: Line,
}

#[derive(Copy, Clone)]
enum Line {
    None,
    /// A broadcast reader's line at this byte offset.
    Reader(usize),
}

fn seat_count(info: &LayoutInfo) -> Option<usize> {
    Some(match info.state? {
        KindState::Queue { .. } => 2,
        KindState::SeqLock { .. } | KindState::Table { .. } => 1,
        // A corrupt seat count: the kind's single role is still reported.
        KindState::Broadcast { readers, .. } => readers.unwrap_or(0).checked_add(1)?,
        KindState::Mpsc { producers, .. } => producers.unwrap_or(0).checked_add(1)?,
    })
}

fn sem(n: usize) -> Option<u16> {
    u16::try_from(n).ok()
}

fn bit(word: u64, k: usize) -> Option<bool> {
    let b = u32::try_from(k % 64).ok()?;
    Some(word.checked_shr(b)? & 1 == 1)
}

fn seat_at<B: Backend>(
    info: &LayoutInfo,
    att: &Attachment<B, ReadOnly>,
    k: usize,
) -> Option<SeatAt> {
    let w = |offset| word_or_0(att, offset);
    let one = |role, pid, sem, parked| SeatAt {
        role,
        seat: 0,
        pid,
        sem,
        parked,
        line: Line::None,
    };
    Some(match (info.state?, k) {
        (
            KindState::Queue {
                producer_parked, ..
            },
            0,
        ) => one(
            Role::Producer,
            offset_of!(RingCtl, producer_pid),
            crate::queue::PRODUCER,
            Some(producer_parked),
        ),
        (
            KindState::Queue {
                consumer_parked, ..
            },
            1,
        ) => one(
            Role::Consumer,
            offset_of!(RingCtl, consumer_pid),
            crate::queue::CONSUMER,
            Some(consumer_parked),
        ),
        (KindState::SeqLock { .. }, 0) => one(
            Role::Writer,
            offset_of!(SeqCtl, writer_pid),
            crate::seqlock::WRITER,
            None,
        ),
        (KindState::Table { .. }, 0) => one(
            Role::Writer,
            offset_of!(TableCtl, writer_pid),
            crate::table::WRITER,
            None,
        ),
        (KindState::Broadcast { writer_parked, .. }, 0) => one(
            Role::Writer,
            offset_of!(BcCtl, writer_pid),
            crate::broadcast::WRITER_ROLE,
            Some(writer_parked),
        ),
        (KindState::Broadcast { .. }, k) => {
            let r = k - 1;
            let line = r.checked_mul(LINE)?.checked_add(broadcast::DATA_OFFSET)?;
            let mask = w(offset_of!(BcCtl, readers_waiting).checked_add(r / 64 * WORD)?);
            SeatAt {
                role: Role::Reader,
                seat: r,
                pid: line.checked_add(broadcast::PID * WORD)?,
                sem: crate::broadcast::reader_role_at(r)?,
                parked: bit(mask, r),
                line: Line::Reader(line),
            }
        }
        (
            KindState::Mpsc {
                producers,
                consumer_parked,
                ..
            },
            0,
        ) => one(
            Role::Consumer,
            offset_of!(MpscCtl, consumer_pid),
            // With `P` corrupt there is no set to look in
            // (`Semaphores::Unrelated`), so any number does; a valid `P` is at
            // most `MAX_PRODUCERS`, which `consumer_seat` numbers.
            crate::mpsc::consumer_seat(
                producers.filter(|&p| p <= mpsc::MAX_PRODUCERS).unwrap_or(0),
            ),
            Some(consumer_parked),
        ),
        (KindState::Mpsc { .. }, k) => {
            let j = k - 1;
            let entry = j
                .checked_mul(ENTRY_WORDS * WORD)?
                .checked_add(mpsc::TABLE_OFFSET)?;
            SeatAt {
                role: Role::Producer,
                seat: j,
                // `reg`, `claim`, `pid`: the pid is the entry's third word.
                pid: entry.checked_add(2 * WORD)?,
                sem: sem(j)?,
                parked: bit(w(offset_of!(MpscCtl, producers_waiting)), j),
                line: Line::None,
            }
        }
        _ => return None,
    })
}

fn read_seat<B: Backend>(
    att: &Attachment<B, ReadOnly>,
    sems: Option<&SemSet<B>>,
    info: &LayoutInfo,
    seat: &SeatAt,
) -> Result<RoleEntry> {
    // Pid word, semaphore, pid word: `role::Seat::abandoned`'s test. A clean
    // release zeroes the word before giving the semaphore back, a claim takes
    // the semaphore before writing the word.
    let pid_word = word_or_0(att, seat.pid);
    let (liveness, last_op_pid) = match sems {
        None => (Liveness::Unknown, None),
        Some(sems) => {
            let value = sems.get(seat.sem)?;
            let last = sems.last_pid(seat.sem)?;
            let again = word_or_0(att, seat.pid);
            let l = match (value, pid_word) {
                (0, 0) => Liveness::Claiming,
                (0, _) => Liveness::Alive,
                (_, 0) => Liveness::Free,
                _ if again == pid_word => Liveness::Dead,
                // The word changed under us: a new holder is claiming it.
                _ => Liveness::Claiming,
            };
            (l, Some(last))
        }
    };
    let pid = u32::try_from(pid_word).ok().filter(|&p| p != 0);
    let mut entry = RoleEntry {
        role: seat.role,
        seat: seat.seat,
        pid,
        liveness,
        last_op_pid,
        parked: seat.parked,
        lag: None,
        corrupt: None,
    };
    if pid_word != 0 && pid.is_none() {
        entry.corrupt = Some("pid");
    }
    if let (Line::Reader(line), Some(KindState::Broadcast { .. })) = (seat.line, info.state) {
        let state = word_or_0(att, line.saturating_add(broadcast::STATE * WORD));
        let cursor = word_or_0(att, line.saturating_add(broadcast::CURSOR * WORD));
        // Keeps the `tail` load below after the cursor's.
        fence(Ordering::Acquire);
        // `tail` again, after the cursor: only grows, so it is at least what it
        // was when the cursor was read (the `tail` of `KindState`, read earlier,
        // could be passed by a live reader's cursor by any amount).
        let tail = word_or_0(att, offset_of!(BcCtl, tail));
        match state {
            // A joining reader has not stored its cursor yet: the line holds the
            // last occupant's.
            broadcast::FREE | broadcast::JOINING => {}
            broadcast::ACTIVE => {
                // A reader may be ahead of a `tail` store not yet seen, by at most
                // the capacity (`layout::broadcast`, "Read"); further is corrupt.
                let ahead = cursor.wrapping_sub(tail);
                if cursor <= tail {
                    entry.lag = Some(tail - cursor);
                } else if ahead <= info.capacity {
                    entry.lag = Some(0);
                } else {
                    entry.corrupt = Some("cursor");
                }
            }
            _ => entry.corrupt = Some("state"),
        }
    }
    Ok(entry)
}

// ---- entry points --------------------------------------------------------------------

fn inspect_with<B: Backend + Clone>(backend: &B, id: i32, stat: SegmentStat) -> Inspection<B> {
    let segment = Segment::from_id(backend.clone(), id);
    let att = match segment.attach_read_only() {
        Ok(att) => att,
        Err(e) => {
            return Inspection {
                id,
                stat,
                found: Found::Unattachable(e.errno().unwrap_or(Errno::INVAL)),
                att: None,
                sems: None,
            };
        }
    };
    let (found, sems) = match classify(&att, &stat) {
        Ok(mut info) => {
            let (s, sems) = find_sems(backend, &info);
            info.semaphores = s;
            (Found::Layout(info), sems)
        }
        Err(n) => (Found::Not(n), None),
    };
    Inspection {
        id,
        stat,
        found,
        att: Some(att),
        sems,
    }
}

/// Every segment of the namespace, inspected: made by [`layouts`] /
/// [`layouts_in`]. Each item attaches one segment read-only and keeps it attached
/// while the [`Inspection`] lives.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
///
/// let mut walk = info::layouts()?;
/// let listed = walk.by_ref().filter_map(Result::ok).filter(|s| s.layout().is_some()).count();
/// assert_eq!(walk.unreadable(), 0); // Linux 4.17 or later: every segment listed
/// println!("{listed} layouts");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
pub struct Layouts<B: Backend + Clone = DefaultBackend> {
    walk: Segments<B>,
}

impl<B: Backend + Clone> Layouts<B> {
    /// Segments the walk skipped because the caller may not read them (see
    /// [`Segments::unreadable`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info;
    ///
    /// let mut walk = info::layouts()?;
    /// walk.by_ref().for_each(drop);
    /// assert_eq!(walk.unreadable(), 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn unreadable(&self) -> u32 {
        self.walk.unreadable()
    }
}

impl<B: Backend + Clone> Iterator for Layouts<B> {
    type Item = Result<Inspection<B>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (id, stat) = match self.walk.next()? {
                Ok(found) => found,
                Err(e) => return Some(Err(e)),
            };
            let found = inspect_with(&self.walk.backend, id, stat);
            // Removed and detached between the stat and the attach: gone, as the
            // walk skips an object removed meanwhile.
            if matches!(found.found, Found::Unattachable(Errno::IDRM | Errno::INVAL)) {
                continue;
            }
            return Some(Ok(found));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.walk.size_hint()
    }
}

impl<B: Backend + Clone> FusedIterator for Layouts<B> {}

/// Every segment of the namespace, each attached read-only and classified, on the
/// default backend. See [`layouts_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LayoutKind};
/// use sysv_ipc::{Intent, Key, Mode, Queue, Removal};
///
/// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mine = info::layouts()?
///     .filter_map(Result::ok)
///     .find(|s| s.id() == q.segment().id())
///     .expect("listed");
/// assert_eq!(mine.layout().map(|l| l.kind), Some(LayoutKind::Queue));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "ipcs")]
pub fn layouts() -> Result<Layouts> {
    layouts_in(DefaultBackend::default())
}

/// `shmctl(0, SHM_INFO)`, then for each segment `SHM_STAT_ANY`, a read-only
/// `shmat` and the reads of the [`info` module docs](crate::info#the-crates-own-objects): an iterator over every
/// segment of the caller's IPC namespace, the crate's layouts described, the
/// others classified.
///
/// # Errors
///
/// The `SHM_INFO` call. Each item is a `Result` as in [`segments_in`](super::segments_in);
/// a segment that cannot be attached (`EACCES`) is an item whose
/// [`Inspection::unattachable`] says so, not an error.
///
/// # References
///
/// shmctl(2), shmat(2) (`SHM_RDONLY`), semctl(2) (`GETVAL`, `GETPID`, `IPC_STAT`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LayoutKind, NotLayout};
/// use sysv_ipc::{Intent, Key, Mode, Queue, Segment};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// let q = Queue::<u64, 4, _>::create_in(&kernel, Key::new(1), Intent::CreateNew, Mode::OWNER_RW)?;
/// Segment::create_in(&kernel, Key::new(2), 4096, Intent::CreateNew, Mode::OWNER_RW)?;
/// let mut kinds = info::layouts_in(&kernel)?.map(|s| s.map(|s| (s.layout().map(|l| l.kind), s.not_layout())));
/// assert_eq!(kinds.next().transpose()?, Some((Some(LayoutKind::Queue), None)));
/// assert_eq!(kinds.next().transpose()?, Some((None, Some(NotLayout::NoMark))));
/// assert!(kinds.next().is_none());
/// # drop(q);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[doc(alias = "ipcs")]
pub fn layouts_in<B: Backend + Clone>(backend: B) -> Result<Layouts<B>> {
    Ok(Layouts {
        walk: super::segments_in(backend)?,
    })
}

/// Segment `shmid` attached read-only and classified, on the default backend. See
/// [`inspect_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LayoutKind};
/// use sysv_ipc::table::Table;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let t = Removal::new(Table::<u32, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// assert_eq!(info::inspect(t.segment().id())?.layout().map(|l| l.kind), Some(LayoutKind::Table));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn inspect(shmid: i32) -> Result<Inspection> {
    inspect_in(DefaultBackend::default(), shmid)
}

/// `shmctl(shmid, IPC_STAT)`, a read-only `shmat` and the reads of the
/// [`info` module docs](crate::info#the-crates-own-objects): segment `shmid`, the crate's layout described or the
/// segment classified as another.
///
/// # Errors
///
/// The `IPC_STAT`: [`ErrorKind::NotFound`] for no such segment,
/// [`ErrorKind::PermissionDenied`] for one the caller may not read. A failed
/// `shmat` after it is not an error ([`Inspection::unattachable`]).
///
/// # References
///
/// shmctl(2), shmat(2), semctl(2).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, NotLayout};
/// use sysv_ipc::{Intent, Key, Mode, Segment};
/// use sysv_ipc_mock::Mock;
///
/// let kernel: Mock = Mock::new();
/// let seg = Segment::create_in(&kernel, Key::new(3), 4096, Intent::CreateNew, Mode::OWNER_RW)?;
/// // Something that is not a header: another program's bytes.
/// seg.attach()?.write(0, b"not a layout")?;
/// assert_eq!(info::inspect_in(&kernel, seg.id())?.not_layout(), Some(NotLayout::NoMark));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn inspect_in<B: Backend + Clone>(backend: B, shmid: i32) -> Result<Inspection<B>> {
    let stat = Segment::from_id(backend.clone(), shmid).stat()?;
    Ok(inspect_with(&backend, shmid, stat))
}
