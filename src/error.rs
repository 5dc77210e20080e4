//! `Error`: what went wrong, in words a caller can act on, with the errno behind it.

use core::fmt;

use crate::{Errno, Key, Owner};

/// The system call that failed: [`Error::call`] of an error the kernel reported.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Selector};
/// use sysv_ipc::{Call, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// let e = q.try_recv(&mut [0; 8], Selector::Any).unwrap_err();
/// assert_eq!(e.call(), Some(Call::Msgrcv));
/// assert!(e.to_string().ends_with("(msgrcv: ENOMSG (No message of desired type))"), "{e}");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is the call of the same name
pub enum Call {
    Ftok,
    Msgget,
    Msgsnd,
    Msgrcv,
    Msgctl,
    Semget,
    Semop,
    Semtimedop,
    Semctl,
    Shmget,
    Shmat,
    Shmdt,
    Shmctl,
    ClockGettime,
    ClockNanosleep,
    Membarrier,
}

impl Call {
    /// The C name of the call (`"msgsnd"`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Call;
    /// assert_eq!(Call::Msgsnd.name(), "msgsnd");
    /// assert_eq!(Call::Semtimedop.name(), "semtimedop");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Call::Ftok => "ftok",
            Call::Msgget => "msgget",
            Call::Msgsnd => "msgsnd",
            Call::Msgrcv => "msgrcv",
            Call::Msgctl => "msgctl",
            Call::Semget => "semget",
            Call::Semop => "semop",
            Call::Semtimedop => "semtimedop",
            Call::Semctl => "semctl",
            Call::Shmget => "shmget",
            Call::Shmat => "shmat",
            Call::Shmdt => "shmdt",
            Call::Shmctl => "shmctl",
            Call::ClockGettime => "clock_gettime",
            Call::ClockNanosleep => "clock_nanosleep",
            Call::Membarrier => "membarrier",
        }
    }
}

/// What kind of failure an [`Error`] is: the answer to "what do I do now?".
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Selector};
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// let mut text = [0u8; 64];
/// // Poll: an empty queue is an answer, anything else an error.
/// let got = match q.try_recv(&mut text, Selector::Any) {
///     Ok(r) => Some(r.len),
///     Err(e) if e.kind() == ErrorKind::NoMessage => None,
///     Err(e) => return Err(e),
/// };
/// assert_eq!(got, None);
/// assert_eq!(ErrorKind::NoMessage.to_string(), "no message of the selected type");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No object has this key (`ENOENT`), or the file given to `ftok` does not exist.
    NotFound,
    /// The key already has an object and exclusive creation was asked (`EEXIST`).
    AlreadyExists,
    /// The caller lacks the permission (`EACCES`, `EPERM`).
    PermissionDenied,
    /// The call would have blocked and non-blocking was asked (`EAGAIN`): a full queue,
    /// a semaphore operation that cannot proceed now.
    WouldBlock,
    /// No message of the selected type is queued (`ENOMSG` with `IPC_NOWAIT`).
    NoMessage,
    /// A signal interrupted a blocking call (`EINTR`); nothing was sent, received or
    /// changed. Retry if that is what the program wants.
    Interrupted,
    /// The object was removed, possibly while the caller waited on it (`EIDRM`).
    Removed,
    /// A timed wait expired (`EAGAIN` from `semtimedop` with a timeout).
    TimedOut,
    /// A message is larger than the limit: `msgmax`, or the most the crate's buffer
    /// holds. [`Error::actual`] is the message's size, [`Error::expected`] the
    /// limit.
    MessageTooLarge,
    /// The next message is larger than the receive buffer (`E2BIG`); it stays queued.
    /// [`Error::expected`] is the buffer's capacity in bytes of text.
    BufferTooSmall,
    /// A received message (or a segment) has another size than the type it is read
    /// as. [`Error::actual`] is the size that arrived, [`Error::expected`] the
    /// type's.
    SizeMismatch,
    /// A system limit was reached: too many objects (`ENOSPC`), too many operations in
    /// one call (`E2BIG` from `semop`), not enough memory (`ENOMEM`).
    LimitReached,
    /// A value is outside what the kernel accepts (`ERANGE`, e.g. above `semvmx`).
    OutOfRange,
    /// The kernel does not support this (`ENOSYS`, e.g. `MSG_COPY` without
    /// `CONFIG_CHECKPOINT_RESTORE`).
    Unsupported,
    /// The kernel rejected an argument (`EINVAL`): a bad id (also an id whose object
    /// is gone), size or command; also `EFBIG` from `semop`/`semtimedop`, a semaphore
    /// number beyond the set.
    InvalidArgument,
    /// Another process created the object but has not finished initializing it within
    /// the wait the caller allowed. Its creator may have died halfway (between creating
    /// and initializing it), in which case the object never becomes ready: remove it
    /// and create it again. (A `Queue` or `SeqLock` joined with
    /// `Intent::OpenOrCreate` does that itself when nobody else is attached to the
    /// segment; see the handshake's recovery rule in `include/sysv_ipc_layout.h`.)
    Uninitialized,
    /// A shared layout (a queue, a seqlock) exists under this key but is not the one
    /// the caller asked for: [`Error::layout_field`] names the first difference
    /// (`"magic"`, `"layout_version"`, `"kind"`, `"type_id"`, `"type_size"`,
    /// `"type_align"`, `"capacity"`, `"size"`, ...), [`Error::actual`] and
    /// [`Error::expected`] its two values. Nothing was read from or written to the
    /// payload.
    LayoutMismatch,
    /// A shared layout holds values no correct peer writes (an index out of range, an
    /// unknown state): a peer crashed in a way the protocol cannot explain, or wrote
    /// garbage. The call touched nothing out of bounds and returned no value.
    Corrupt,
    /// The writer of a seqlock was in the middle of a write on every attempt the
    /// reader allowed itself: it is slow, stuck, or died mid-write (a new writer's
    /// first write ends this).
    Busy,
    /// Another live process holds this role (producer, consumer or writer) of a
    /// shared layout; each role has at most one holder.
    RoleTaken,
    /// This role's last holder died without releasing it. The layout keeps every
    /// committed value; claim the role explicitly with the `reclaim_*` call.
    RoleAbandoned,
    /// A blocking call's peer is dead: the other role of the layout (the producer a
    /// consumer waits for, the consumer a producer waits on) was left by a holder
    /// that died without releasing it (its role reads as abandoned), and the
    /// layout has nothing for the call: no message to dequeue, no room to enqueue.
    /// Every committed value stays; waiting again makes sense once a new peer has
    /// reclaimed the role (`reclaim_*`).
    PeerDied,
    /// The stream has ended: a queue's producer closed it (`Producer::close`) and
    /// every value it enqueued before has been dequeued. Nothing more can come:
    /// closed is for good, and claiming the producer role of a closed queue fails
    /// with this too. (A producer that died without closing is [`PeerDied`](Self::PeerDied).)
    Closed,
    /// The caller is not the process that claimed this role (a queue's producer or
    /// consumer, a seqlock's writer) or took this lock (a [`SemGuard`](crate::SemGuard)):
    /// a child that inherited the handle through `fork`. The role or lock stays its
    /// claimer's, untouched; a child that needs one claims its own (after the parent
    /// released it).
    WrongProcess,
    /// A lossy broadcast's reader was lapped: the writer overwrote values before
    /// the reader read them. [`Error::missed`] says how many; the reader now
    /// stands at the oldest value still retained, and its next read goes on from
    /// there (as `tokio::sync::broadcast`'s `Lagged`).
    Lagged,
    /// Any other errno.
    Other,
}

/// The system limit an error ran into: which sysctl of the IPC namespace to look at
/// (or raise). [`Error::limit`] names it where the kernel's errno plus, if needed, a
/// look at the namespace's limits and usage (only on that error path, and only with
/// the `explain-limits` feature, on by default) tell which.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{ErrorKind, Intent, Key, Limit, Mode};
/// use sysv_ipc_mock::{Limits, Mock};
///
/// static KERNEL: Mock = Mock::new(); // a namespace with room for one queue
/// KERNEL.set_limits(Limits { msgmni: 1, ..Limits::LINUX });
/// let _q = MsgQueue::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::default())?;
/// let e = MsgQueue::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap_err();
/// assert_eq!((e.kind(), e.limit()), (ErrorKind::LimitReached, Some(Limit::Msgmni)));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Most message queues (`kernel.msgmni`): `msgget` `ENOSPC`.
    Msgmni,
    /// Largest message (`kernel.msgmax`): `msgsnd` `EINVAL`.
    Msgmax,
    /// Most semaphore sets (`kernel.sem`, 4th field): `semget` `ENOSPC`.
    Semmni,
    /// Most semaphores in all sets (`kernel.sem`, 2nd field): `semget` `ENOSPC`.
    Semmns,
    /// Most semaphores per set (`kernel.sem`, 1st field): `semget` `EINVAL`.
    Semmsl,
    /// Most operations per `semop` (`kernel.sem`, 3rd field): `E2BIG`.
    Semopm,
    /// Most segments (`kernel.shmmni`): `shmget` `ENOSPC`.
    Shmmni,
    /// Most pages in all segments (`kernel.shmall`): `shmget` `ENOSPC`.
    Shmall,
    /// Largest segment (`kernel.shmmax`): `shmget` `EINVAL`.
    Shmmax,
}

impl Limit {
    /// What the limit counts, for messages (`"bytes"`, `"semaphores"`).
    const fn unit(self) -> &'static str {
        match self {
            Limit::Msgmni => "message queues",
            Limit::Msgmax | Limit::Shmmax => "bytes",
            Limit::Semmni => "semaphore sets",
            Limit::Semmns | Limit::Semmsl => "semaphores",
            Limit::Semopm => "operations",
            Limit::Shmmni => "segments",
            Limit::Shmall => "pages",
        }
    }

    /// The sysctl that sets it (`"kernel.msgmni"`, `"kernel.sem semmni"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Limit, Mode, SemOp, SemSet};
    /// use sysv_ipc_mock::{Limits, Mock};
    ///
    /// static KERNEL: Mock = Mock::new(); // a namespace allowing 2 operations per semop
    /// KERNEL.set_limits(Limits { semopm: 2, ..Limits::LINUX });
    /// let set = SemSet::create_in(&KERNEL, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// let e = set.op(&[SemOp::post(0); 3]).unwrap_err();
    /// let limit = e.limit().unwrap();
    /// assert_eq!(limit, Limit::Semopm);
    /// assert_eq!(limit.sysctl(), "kernel.sem semopm"); // what to raise
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn sysctl(self) -> &'static str {
        match self {
            Limit::Msgmni => "kernel.msgmni",
            Limit::Msgmax => "kernel.msgmax",
            Limit::Semmni => "kernel.sem semmni",
            Limit::Semmns => "kernel.sem semmns",
            Limit::Semmsl => "kernel.sem semmsl",
            Limit::Semopm => "kernel.sem semopm",
            Limit::Shmmni => "kernel.shmmni",
            Limit::Shmall => "kernel.shmall",
            Limit::Shmmax => "kernel.shmmax",
        }
    }
}

/// An error from a System V IPC call or from the crate's checks around it.
///
/// It says what kind of failure it is ([`ErrorKind`], comparable), which of the
/// crate's operations failed ([`operation`](Self::operation)), on which object
/// ([`key`](Self::key), [`id`](Self::id)), the system call and errno behind it
/// when the kernel refused ([`call`](Self::call), [`errno`](Self::errno)), and the
/// numbers involved ([`actual`](Self::actual), [`expected`](Self::expected),
/// [`limit`](Self::limit), [`owner`](Self::owner), [`mtype`](Self::mtype),
/// [`layout_field`](Self::layout_field)). `Display` puts them in one line, without
/// allocating and without `std`:
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// let e = q.send(0, b"hello").unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
/// assert_eq!(e.id(), Some(q.id()));
/// assert_eq!(
///     e.to_string(),
///     format!("MsgQueue::send on message queue {}: mtype 0 is not a message type (it must be 1 or more)", q.id())
/// );
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
///
/// # Every kind, with a sample message
///
/// | [`ErrorKind`] | sample `Display` |
/// |---|---|
/// | `NotFound` | `MsgQueue::open of key 0x00001234: no object has this key (msgget: ENOENT (No such file or directory))` |
/// | `NotFound` (ftok) | `Key::ftok: the file does not exist (ftok: ENOENT (No such file or directory))` |
/// | `AlreadyExists` | `Segment::create of key 0x00001234: an object with this key already exists (shmget: EEXIST (File exists))` |
/// | `PermissionDenied` | `MsgQueue::create of key 0x00001234: permission denied: the object's mode is 0600, its owner uid 0 gid 0 (msgget: EACCES (Permission denied))` |
/// | `WouldBlock` | `MsgQueue::try_send on message queue 3: the queue is full (msgsnd: EAGAIN (Resource temporarily unavailable))` |
/// | `WouldBlock` (`Queue`) | `Producer::enqueue on segment 7: the queue is full` |
/// | `NoMessage` | `MsgQueue::try_recv on message queue 3: no message of the selected type (msgrcv: ENOMSG (No message of desired type))` |
/// | `Interrupted` | `SemSet::op_interruptible on semaphore set 4: interrupted by a signal (semop: EINTR (Interrupted system call))` |
/// | `Removed` | `Consumer::dequeue_blocking on segment 7: the object was removed (semtimedop: EIDRM (Identifier removed))` |
/// | `TimedOut` | `MsgQueue::recv_timeout on message queue 3: timed out after 0.250 s` |
/// | `MessageTooLarge` | `MsgQueue::send on message queue 3: a message of 9000 bytes is larger than kernel.msgmax = 8192 (msgsnd: EINVAL (Invalid argument))` |
/// | `BufferTooSmall` | `MsgQueue::recv on message queue 3: the next message is larger than the buffer of 8 bytes; it stays queued (msgrcv: E2BIG (Argument list too long))` |
/// | `SizeMismatch` | `MsgQueue::recv_value on message queue 3: a message of 3 bytes where the type has 4 (mtype 6)` |
/// | `LimitReached` | `MsgQueue::create of key 0x00001234: the limit kernel.msgmni = 32000 is reached (msgget: ENOSPC (No space left on device))` |
/// | `OutOfRange` | `SemSet::set on semaphore set 4: value out of range (semctl: ERANGE (Numerical result out of range))` |
/// | `OutOfRange` (a copy) | `Attachment::write on segment 7: 8 bytes at offset 10 do not fit in 16 bytes` |
/// | `Unsupported` | `MsgQueue::peek on message queue 3: not supported by this kernel (msgrcv: ENOSYS (Function not implemented))` |
/// | `InvalidArgument` | `Segment::create of key 0x00001234: 4294967296 bytes asked for, above kernel.shmmax = 1048576 (shmget: EINVAL (Invalid argument))` |
/// | `Uninitialized` | `Queue::open of key 0x00001234: the object's creator has not finished initializing it (...)` |
/// | `LayoutMismatch` | `Queue::open of key 0x00001234: the shared layout differs: its capacity is 8, 64 expected` |
/// | `Corrupt` | `Consumer::dequeue on segment 7: the shared layout holds impossible values (a peer crashed or wrote garbage)` |
/// | `Busy` | `SeqLock::read on segment 9: the writer stayed busy for every retry (slow, stuck, or died mid-write)` |
/// | `RoleTaken` | `Queue::producer on segment 7: another live process holds this role` |
/// | `RoleAbandoned` | `Queue::consumer on segment 7: the role's last holder died without releasing it; reclaim it explicitly` |
/// | `PeerDied` | `Consumer::dequeue_blocking on segment 7: the peer died holding its role, and nothing it committed is left to wait for` |
/// | `Closed` | `Consumer::dequeue on segment 7: the producer closed the queue, and every value it enqueued has been dequeued` |
/// | `WrongProcess` | `Producer::enqueue on segment 7: this role or lock belongs to the process that claimed it, not to this one (inherited through fork)` |
/// | `Other` | `SemSet::op on semaphore set 4: failed (semop: ENOTSUP (Operation not supported))` |
///
/// The kind's own words (without operation, object or numbers) are its `Display`:
/// [`ErrorKind::NotFound`] shows `no object has this key`.
// Debug by hand: it shows `limit()`, not the stored field.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    call: Option<Call>,
    limit: Option<Limit>,
    errno: Option<Errno>,
    /// The crate's public operation that failed (`"MsgQueue::send"`), if named: a
    /// thin pointer (to a promoted `&'static str`), so that the whole error fits in
    /// 64 bytes.
    operation: Option<&'static &'static str>,
    object: Object,
    detail: Detail,
}

/// The object an error is about, as far as the failing operation knew it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Object {
    None,
    Key(Key),
    MsgQueue(i32),
    SemSet(i32),
    Segment(i32),
}

/// [`Detail::Sizes`]'s `actual` when the size is not known.
const UNKNOWN: u64 = u64::MAX;
/// [`Detail::Sizes`]'s `mtype` when the message's type is not known (no message
/// has type 0).
const NO_MTYPE: i64 = 0;

/// `Some(n)` unless `n` is [`UNKNOWN`].
const fn known(n: u64) -> Option<u64> {
    if n == UNKNOWN { None } else { Some(n) }
}

/// The numbers or words behind an error, by kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum Detail {
    None,
    /// A size (`actual`, [`UNKNOWN`] if not known) against what was accepted, and
    /// the type of the message it is about ([`NO_MTYPE`] if not known).
    Sizes {
        actual: u64,
        expected: u64,
        mtype: i64,
    },
    /// The type of the message an error is about, with no sizes.
    Mtype(i64),
    /// A segment's size against the one a type needs.
    Segment {
        actual: u64,
        expected: u64,
    },
    /// A number of semaphores against the one expected.
    Semaphores {
        actual: u64,
        expected: u64,
    },
    /// A shared layout's field and its two values.
    Field {
        name: &'static &'static str,
        actual: u64,
        expected: u64,
    },
    /// The owner and mode of the object a permission check refused.
    #[cfg_attr(not(feature = "explain-permissions"), allow(dead_code))]
    Owner(Owner),
    /// Why the crate itself refused an argument.
    Reason(&'static str),
    /// A wait's length, in nanoseconds.
    Waited(u64),
    /// Values a lapped reader missed.
    // Made by `Broadcast`, which loom builds leave out.
    #[cfg_attr(loom, allow(dead_code))]
    Missed(u64),
    /// A copy that does not fit in a mapping.
    Bounds {
        offset: usize,
        len: usize,
        size: usize,
    },
    /// Elements `start..end` asked of an array of `len` (one index `i`: `i..i + 1`).
    // Made by `ShmSlice`, which loom builds leave out.
    #[cfg_attr(loom, allow(dead_code))]
    Index {
        start: usize,
        end: usize,
        len: usize,
    },
    /// A segment of `bytes` that is not a whole number of `element`-byte elements.
    #[cfg_attr(loom, allow(dead_code))]
    Elements {
        bytes: u64,
        element: u64,
    },
}

impl Error {
    /// An error the kernel reported for `call`, classified by errno and call.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Call, Errno, Error, ErrorKind};
    ///
    /// // The same errno can mean different things: EAGAIN from semtimedop is a timeout.
    /// assert_eq!(Error::from_errno(Call::Semop, Errno::AGAIN).kind(), ErrorKind::WouldBlock);
    /// assert_eq!(Error::from_errno(Call::Semtimedop, Errno::AGAIN).kind(), ErrorKind::TimedOut);
    /// let e = Error::from_errno(Call::Msgget, Errno::NOENT);
    /// assert_eq!((e.kind(), e.errno()), (ErrorKind::NotFound, Some(Errno::NOENT)));
    /// assert_eq!(e.to_string(), "msgget: no object has this key (ENOENT (No such file or directory))");
    /// ```
    // Out of line: it is on every error path, and a `no_std` binary built for size
    // otherwise carries two copies of it and its jump tables (one inlined per crate).
    #[inline(never)]
    pub const fn from_errno(call: Call, errno: Errno) -> Self {
        let kind = match errno {
            Errno::NOENT => ErrorKind::NotFound,
            Errno::EXIST => ErrorKind::AlreadyExists,
            Errno::ACCES | Errno::PERM => ErrorKind::PermissionDenied,
            Errno::AGAIN => match call {
                Call::Semtimedop => ErrorKind::TimedOut,
                _ => ErrorKind::WouldBlock,
            },
            Errno::NOMSG => ErrorKind::NoMessage,
            Errno::INTR => ErrorKind::Interrupted,
            Errno::IDRM => ErrorKind::Removed,
            Errno::TOOBIG => match call {
                Call::Msgrcv => ErrorKind::BufferTooSmall,
                _ => ErrorKind::LimitReached,
            },
            Errno::NOSPC | Errno::NOMEM => ErrorKind::LimitReached,
            Errno::RANGE => ErrorKind::OutOfRange,
            Errno::NOSYS => ErrorKind::Unsupported,
            Errno::INVAL => ErrorKind::InvalidArgument,
            // semop(2): "EFBIG: For some operation the value of sem_num is less than 0
            // or greater than or equal to the number of semaphores in the set."
            Errno::FBIG => match call {
                Call::Semop | Call::Semtimedop => ErrorKind::InvalidArgument,
                _ => ErrorKind::Other,
            },
            _ => ErrorKind::Other,
        };
        // No limit here: `limit()` works out the ones that (call, errno) alone name.
        Error {
            kind,
            call: Some(call),
            errno: Some(errno),
            ..Error::new(kind)
        }
    }

    /// An error the crate found itself, before or instead of a system call: no
    /// call, no errno.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Error, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// // mtype 0 is refused before any system call:
    /// let e = q.send(0, b"x").unwrap_err();
    /// assert_eq!((e.kind(), e.call(), e.errno()), (ErrorKind::InvalidArgument, None, None));
    /// // A caller's own error, for a function that returns this crate's `Result`:
    /// let mine = Error::new(ErrorKind::TimedOut);
    /// assert_eq!(mine.to_string(), "timed out");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            call: None,
            limit: None,
            errno: None,
            operation: None,
            object: Object::None,
            detail: Detail::None,
        }
    }

    /// The same error with a more precise kind (keeps everything else).
    pub(crate) const fn with_kind(self, kind: ErrorKind) -> Self {
        Error { kind, ..self }
    }

    /// The same error, naming the limit it ran into.
    pub(crate) const fn with_limit(self, limit: Limit) -> Self {
        Error {
            limit: Some(limit),
            ..self
        }
    }

    /// The same error, naming the type of the message it is about (kept beside
    /// sizes given before or after).
    pub(crate) const fn with_mtype(self, mtype: i64) -> Self {
        let detail = match self.detail {
            Detail::Sizes {
                actual, expected, ..
            } => Detail::Sizes {
                actual,
                expected,
                mtype,
            },
            _ => Detail::Mtype(mtype),
        };
        Error { detail, ..self }
    }

    /// The same error, with the size (or count) at issue, when known, and the one
    /// accepted.
    pub(crate) const fn with_sizes(self, actual: Option<u64>, expected: u64) -> Self {
        let mtype = match self.detail {
            Detail::Mtype(mtype) | Detail::Sizes { mtype, .. } => mtype,
            _ => NO_MTYPE,
        };
        let actual = match actual {
            Some(a) => a,
            None => UNKNOWN,
        };
        Error {
            detail: Detail::Sizes {
                actual,
                expected,
                mtype,
            },
            ..self
        }
    }

    /// The same error, with a segment's size and the one its type needs.
    pub(crate) const fn with_segment_size(self, actual: u64, expected: u64) -> Self {
        Error {
            detail: Detail::Segment { actual, expected },
            ..self
        }
    }

    /// The same error, with a number of semaphores and the one expected.
    pub(crate) const fn with_semaphores(self, actual: u64, expected: u64) -> Self {
        Error {
            detail: Detail::Semaphores { actual, expected },
            ..self
        }
    }

    /// The same error, naming a shared layout's field and its two values.
    pub(crate) const fn with_field(
        self,
        name: &'static &'static str,
        actual: u64,
        expected: u64,
    ) -> Self {
        Error {
            detail: Detail::Field {
                name,
                actual,
                expected,
            },
            ..self
        }
    }

    /// The same error, with the owner and mode of the object that refused.
    #[cfg_attr(not(feature = "explain-permissions"), allow(dead_code))]
    pub(crate) const fn with_owner(self, owner: Owner) -> Self {
        Error {
            detail: Detail::Owner(owner),
            ..self
        }
    }

    /// The same error, saying why the crate refused (`"mtype 0 is not a message
    /// type (it must be 1 or more)"`): replaces the kind's own words.
    pub(crate) const fn because(self, reason: &'static str) -> Self {
        Error {
            detail: Detail::Reason(reason),
            ..self
        }
    }

    /// The same error, describing a copy that does not fit in a mapping.
    pub(crate) const fn with_bounds(self, offset: usize, len: usize, size: usize) -> Self {
        Error {
            detail: Detail::Bounds { offset, len, size },
            ..self
        }
    }

    /// The same error, naming elements `start..end` asked of an array of `len`
    /// (`start..start + 1` for one index).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) const fn with_index(self, start: usize, end: usize, len: usize) -> Self {
        Error {
            detail: Detail::Index { start, end, len },
            ..self
        }
    }

    /// The same error, with a segment's size that is not a whole number of
    /// `element`-byte elements.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) const fn with_elements(self, bytes: u64, element: u64) -> Self {
        Error {
            detail: Detail::Elements { bytes, element },
            ..self
        }
    }

    /// The same error, with how long the failed wait lasted.
    pub(crate) const fn after(self, waited: core::time::Duration) -> Self {
        let nanos = waited.as_nanos();
        Error {
            detail: Detail::Waited(if nanos > u64::MAX as u128 {
                u64::MAX
            } else {
                nanos as u64
            }),
            ..self
        }
    }

    /// [`ErrorKind::Lagged`]: the reader missed `missed` values.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) const fn lagged(missed: u64) -> Self {
        Error {
            detail: Detail::Missed(missed),
            ..Error::new(ErrorKind::Lagged)
        }
    }

    /// The same error, naming the operation that failed (the outermost public
    /// call wins: each one renames what the calls inside it returned).
    pub(crate) const fn during(self, operation: &'static &'static str) -> Self {
        Error {
            operation: Some(operation),
            ..self
        }
    }

    /// The same error, naming the object (kept when `object` says nothing).
    pub(crate) const fn on(self, object: Object) -> Self {
        match object {
            Object::None => self,
            object => Error { object, ..self },
        }
    }

    /// The type (`mtype`) of the message a failed receive met, where the crate knows
    /// it: a message shorter than the type [`recv_value`](crate::msg::MsgQueue::recv_value)
    /// reads (the kernel handed it over, then the crate refused it), and a longer one
    /// picked by `Selector::Type` (only that type can be picked). The kernel's `E2BIG`
    /// for a longer message says neither its type nor its size otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(6, b"abc")?;
    /// let e = q.recv_value::<u32>(Selector::Any).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::SizeMismatch);
    /// assert_eq!((e.mtype(), e.actual(), e.expected()), (Some(6), Some(3), Some(4)));
    /// assert_eq!(
    ///     e.to_string(),
    ///     format!("MsgQueue::recv_value on message queue {}: a message of 3 bytes where the type has 4 (mtype 6)", q.id())
    /// );
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn mtype(&self) -> Option<i64> {
        match self.detail {
            Detail::Mtype(mtype) => Some(mtype),
            Detail::Sizes { mtype, .. } if mtype != NO_MTYPE => Some(mtype),
            _ => None,
        }
    }

    /// The size or count at issue, or a layout field's value, where the error has
    /// one:
    ///
    /// | kind | `actual()` | [`expected()`](Self::expected) |
    /// |---|---|---|
    /// | `MessageTooLarge` | the message's bytes of text | the limit (`msgmax`, or the crate's buffer) |
    /// | `BufferTooSmall` | — (the kernel does not say) | the buffer's bytes of text |
    /// | `SizeMismatch` | the bytes that arrived (or the segment's size) | the type's size |
    /// | `SizeMismatch` of a [`ShmSlice`](crate::shm::ShmSlice) whose segment is not a whole number of elements | the segment's bytes | the element's size |
    /// | `OutOfRange` of a [`ShmSlice`](crate::shm::ShmSlice) index or range | the index (a range's end) | the number of elements |
    /// | `SizeMismatch` of a semaphore set | the semaphores the set (or the buffer of values) has | the semaphores expected |
    /// | `LayoutMismatch` | the [`layout_field`](Self::layout_field)'s value found | the value expected |
    /// | `InvalidArgument`, `LimitReached` with a [`limit`](Self::limit) | what was asked: segment bytes (`shmmax`), semaphores (`semmsl`), operations (`semopm`), where the limit concerns the request | the limit's value |
    /// | `TimedOut` | — | — ([`waited`](Self::waited)) |
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Limit, Mode};
    /// use sysv_ipc_mock::{Limits, Mock};
    ///
    /// static KERNEL: Mock = Mock::new();
    /// KERNEL.set_limits(Limits { msgmax: 64, ..Limits::LINUX });
    /// let q = MsgQueue::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::default())?;
    /// let e = q.send(1, &[0; 100]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::MessageTooLarge);
    /// assert_eq!((e.actual(), e.expected(), e.limit()), (Some(100), Some(64), Some(Limit::Msgmax)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn actual(&self) -> Option<u64> {
        match self.detail {
            Detail::Sizes { actual, .. } => known(actual),
            Detail::Field { actual, .. }
            | Detail::Segment { actual, .. }
            | Detail::Semaphores { actual, .. } => Some(actual),
            Detail::Elements { bytes, .. } => Some(bytes),
            Detail::Index { start, end, .. } if end == start.wrapping_add(1) => Some(start as u64),
            Detail::Index { end, .. } => Some(end as u64),
            _ => None,
        }
    }

    /// What was accepted or expected, where the error has it: see
    /// [`actual`](Self::actual)'s table.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"longer than eight")?;
    /// let e = q.recv(&mut [0; 8], Selector::Any).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::BufferTooSmall, None, Some(8)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn expected(&self) -> Option<u64> {
        match self.detail {
            Detail::Sizes { expected, .. }
            | Detail::Field { expected, .. }
            | Detail::Segment { expected, .. }
            | Detail::Semaphores { expected, .. } => Some(expected),
            Detail::Elements { element, .. } => Some(element),
            Detail::Index { len, .. } => Some(len as u64),
            _ => None,
        }
    }

    /// The header field of a [`ErrorKind::LayoutMismatch`]: `"capacity"`,
    /// `"type_id"`, `"size"` (the segment's), ...
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let key = Key::new(0x4e00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let q = Removal::new(Queue::<u64, 8>::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let e = Queue::<u64, 64>::open(key).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::LayoutMismatch);
    /// assert_eq!((e.layout_field(), e.actual(), e.expected()), (Some("capacity"), Some(8), Some(64)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn layout_field(&self) -> Option<&'static str> {
        match self.detail {
            Detail::Field { name, .. } => Some(*name),
            _ => None,
        }
    }

    /// The owner and mode of the object a [`ErrorKind::PermissionDenied`] is
    /// about, found on that error path by `*_STAT_ANY` (which needs no read
    /// permission; Linux 4.17 and later) with the `explain-permissions` feature (on
    /// by default). `None` without the feature, on older kernels, or when the object
    /// could not be found.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Owner};
    /// use sysv_ipc_mock::{Mock, Process};
    ///
    /// static KERNEL: Mock = Mock::new();
    /// KERNEL.set_process(Process::user(100, 1000, 1000));
    /// let key = Key::new(0x1234);
    /// MsgQueue::create_in(&KERNEL, key, Intent::CreateNew, Mode::OWNER_RW)?;
    /// KERNEL.set_process(Process::user(101, 2000, 2000));
    /// // Asking for read and write permission on someone else's 0600 queue:
    /// let e = MsgQueue::create_in(&KERNEL, key, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    /// assert_eq!(e.owner(), Some(Owner { uid: 1000, gid: 1000, mode: Mode::OWNER_RW }));
    /// assert_eq!(
    ///     e.to_string(),
    ///     "MsgQueue::create_in of key 0x00001234: permission denied: the object's mode is 0600, \
    ///      its owner uid 1000 gid 1000 (msgget: EACCES (Permission denied))"
    /// );
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn owner(&self) -> Option<Owner> {
        match self.detail {
            Detail::Owner(owner) => Some(owner),
            _ => None,
        }
    }

    /// How long a wait that ended in [`ErrorKind::TimedOut`] lasted (the timeout
    /// the caller gave), where the crate kept the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let e = q.recv_timeout(&mut [0; 8], Selector::Any, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!((e.kind(), e.waited()), (ErrorKind::TimedOut, Some(Duration::from_millis(5))));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn waited(&self) -> Option<core::time::Duration> {
        match self.detail {
            Detail::Waited(nanos) => Some(core::time::Duration::from_nanos(nanos)),
            _ => None,
        }
    }

    /// How many values a lapped broadcast reader missed ([`ErrorKind::Lagged`]);
    /// `None` for any other error.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Start};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let b = DefaultBackend::default();
    /// let opts = BroadcastOptions::new().readers(1);
    /// let bc = Removal::new(Broadcast::<u64, 4, _>::create_with(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, opts)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// for i in 0..10 {
    ///     tx.send(i)?; // lossy: never waits for the reader
    /// }
    /// let e = rx.recv().unwrap_err();
    /// assert_eq!((e.kind(), e.missed()), (ErrorKind::Lagged, Some(6)));
    /// assert!(e.to_string().ends_with("lagged: 6 values were overwritten before this reader read them"));
    /// assert_eq!(rx.recv()?, Some(6)); // the oldest retained
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn missed(&self) -> Option<u64> {
        match self.detail {
            Detail::Missed(n) => Some(n),
            _ => None,
        }
    }

    /// The crate's operation that failed, as `Type::method` (`"MsgQueue::send"`,
    /// `"Consumer::dequeue_blocking"`); `None` for an error built with
    /// [`Error::new`] or [`Error::from_errno`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let _first = q.producer()?;
    /// let e = q.producer().unwrap_err();
    /// assert_eq!(e.operation(), Some("Queue::producer"));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn operation(&self) -> Option<&'static str> {
        match self.operation {
            Some(operation) => Some(*operation),
            None => None,
        }
    }

    /// The key the failed operation looked up, when it was a lookup by key
    /// (`create`, `open`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Key};
    ///
    /// let key = Key::new(0x6d00_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let e = MsgQueue::open(key).unwrap_err();
    /// assert_eq!((e.kind(), e.key(), e.id()), (ErrorKind::NotFound, Some(key), None));
    /// assert!(e.to_string().starts_with(&format!("MsgQueue::open of key {key}: no object has this key")));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn key(&self) -> Option<Key> {
        match self.object {
            Object::Key(key) => Some(key),
            _ => None,
        }
    }

    /// The id of the object the failed operation worked on: a message queue's,
    /// a semaphore set's, or a segment's (for a `Queue` or `SeqLock`, its
    /// segment's).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let e = set.get(5).unwrap_err();
    /// assert_eq!(e.id(), Some(set.id()));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn id(&self) -> Option<i32> {
        match self.object {
            Object::MsgQueue(id) | Object::SemSet(id) | Object::Segment(id) => Some(id),
            _ => None,
        }
    }

    /// The system limit this error ran into, where the crate could tell which:
    /// `LimitReached` from `msgget`, `semget`, `semop`, `shmget`, and the
    /// `InvalidArgument`/`MessageTooLarge` of a size above `semmsl`, `shmmax`,
    /// `msgmax`.
    ///
    /// The `semget` and `shmget` ones are told apart by asking the namespace's limits
    /// and usage when the call fails, which the `explain-limits` feature (default)
    /// does; without it they are `None` (the binary is some 400 bytes smaller).
    ///
    /// ```
    /// # use sysv_ipc::{Error, Call, Errno, ErrorKind, Limit};
    /// let e = Error::from_errno(Call::Msgget, Errno::NOSPC);
    /// assert_eq!((e.kind(), e.limit()), (ErrorKind::LimitReached, Some(Limit::Msgmni)));
    /// assert!(e.to_string().contains("kernel.msgmni"), "{e}");
    /// ```
    pub const fn limit(&self) -> Option<Limit> {
        // The limits that (call, errno) alone name are worked out here, when asked,
        // rather than on every error path. The others took more than the errno (the
        // namespace's limits and usage at the time, the message's size) and were
        // stored by `with_limit`.
        match (self.limit, self.call, self.errno) {
            (Some(limit), _, _) => Some(limit),
            (None, Some(Call::Msgget), Some(Errno::NOSPC)) => Some(Limit::Msgmni),
            (None, Some(Call::Semop | Call::Semtimedop), Some(Errno::TOOBIG)) => {
                Some(Limit::Semopm)
            }
            _ => None,
        }
    }

    /// What kind of failure this is: a plain enum, to compare or match.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(4)?;
    /// q.try_send(1, b"full")?;
    /// assert_eq!(q.try_send(1, b"!").unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The system call that failed, or `None` if the crate refused by itself
    /// (before any call, or after one that succeeded: a message of the wrong
    /// size, a full `Queue`, a corrupt layout).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Call, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(set.get(5).unwrap_err().call(), Some(Call::Semctl)); // GETVAL of semaphore 5
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn call(&self) -> Option<Call> {
        self.call
    }

    /// The errno the kernel returned, or `None` if the crate refused by itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{Errno, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let e = q.try_recv(&mut [0; 8], Selector::Any).unwrap_err();
    /// assert_eq!(e.errno(), Some(Errno::NOMSG)); // from the kernel
    /// let e = q.try_recv(&mut [0; 8], Selector::Type(-1)).unwrap_err();
    /// assert_eq!(e.errno(), None); // refused by the crate
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn errno(&self) -> Option<Errno> {
        self.errno
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match *self {
            ErrorKind::NotFound => "no object has this key",
            ErrorKind::AlreadyExists => "an object with this key already exists",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::WouldBlock => "the call would block",
            ErrorKind::NoMessage => "no message of the selected type",
            ErrorKind::Interrupted => "interrupted by a signal",
            ErrorKind::Removed => "the object was removed",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::MessageTooLarge => "the message is larger than the limit",
            ErrorKind::BufferTooSmall => {
                "the next message is larger than the buffer; it stays queued"
            }
            ErrorKind::SizeMismatch => "the size differs from the type's",
            ErrorKind::LimitReached => "a system limit was reached",
            ErrorKind::OutOfRange => "value out of range",
            ErrorKind::Unsupported => "not supported by this kernel",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Uninitialized => {
                "the object's creator has not finished initializing it \
                 (it may have died between creating and initializing it; remove the object to recover)"
            }
            ErrorKind::LayoutMismatch => "the shared layout differs from the one expected",
            ErrorKind::Corrupt => {
                "the shared layout holds impossible values (a peer crashed or wrote garbage)"
            }
            ErrorKind::Busy => {
                "the writer stayed busy for every retry (slow, stuck, or died mid-write)"
            }
            ErrorKind::RoleTaken => "another live process holds this role",
            ErrorKind::RoleAbandoned => {
                "the role's last holder died without releasing it; reclaim it explicitly"
            }
            ErrorKind::PeerDied => {
                "the peer died holding its role, and nothing it committed is left to wait for"
            }
            ErrorKind::Closed => {
                "the producer closed the queue, and every value it enqueued has been dequeued"
            }
            ErrorKind::WrongProcess => {
                "this role or lock belongs to the process that claimed it, not to this one (inherited through fork)"
            }
            ErrorKind::Lagged => "the reader was lapped: values were overwritten before it read them",
            ErrorKind::Other => "failed",
        })
    }
}

impl Error {
    /// What happened, in the words of the kind, the call and the numbers: the part
    /// of `Display` after the operation and object.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit = self.limit();
        match (self.kind, self.detail) {
            (_, Detail::Reason(reason)) => f.write_str(reason),
            (ErrorKind::Lagged, Detail::Missed(n)) => write!(
                f,
                "lagged: {n} value{} overwritten before this reader read them",
                if n == 1 { " was" } else { "s were" }
            ),
            (_, Detail::Bounds { offset, len, size }) => write!(
                f,
                "{len} bytes at offset {offset} do not fit in {size} bytes"
            ),
            (_, Detail::Index { start, end, len }) if end == start.wrapping_add(1) => {
                write!(f, "index {start} is out of range for {len} elements")
            }
            (_, Detail::Index { start, end, len }) => {
                write!(f, "range {start}..{end} is out of range for {len} elements")
            }
            (_, Detail::Elements { bytes, element }) => write!(
                f,
                "a segment of {bytes} bytes is not a whole number of {element}-byte elements"
            ),
            (ErrorKind::NotFound, _) if matches!(self.call, Some(Call::Ftok)) => {
                f.write_str("the file does not exist")
            }
            (ErrorKind::PermissionDenied, detail)
                if self.errno.is_some_and(|e| e == Errno::PERM) =>
            {
                f.write_str(
                    "not permitted: only the object's owner or creator (or a privileged process) may change or remove it",
                )?;
                match detail {
                    Detail::Owner(o) => write!(f, "; its owner is uid {} gid {}", o.uid, o.gid),
                    _ => Ok(()),
                }
            }
            (ErrorKind::PermissionDenied, Detail::Owner(o)) => write!(
                f,
                "permission denied: the object's mode is {}, its owner uid {} gid {}",
                o.mode, o.uid, o.gid
            ),
            (ErrorKind::WouldBlock, _) if matches!(self.call, Some(Call::Msgsnd) | None) => {
                f.write_str("the queue is full")
            }
            (ErrorKind::WouldBlock, _)
                if matches!(self.call, Some(Call::Semop | Call::Semtimedop)) =>
            {
                f.write_str("the semaphore operation would block")
            }
            (ErrorKind::TimedOut, Detail::Waited(nanos)) => {
                let d = core::time::Duration::from_nanos(nanos);
                write!(
                    f,
                    "timed out after {}.{:03} s",
                    d.as_secs(),
                    d.subsec_millis()
                )
            }
            (
                ErrorKind::MessageTooLarge,
                Detail::Sizes {
                    actual, expected, ..
                },
            ) => {
                let actual = known(actual);
                f.write_str("a message of ")?;
                if let Some(actual) = actual {
                    write!(f, "{actual} bytes")?;
                }
                f.write_str(" is larger than ")?;
                match limit {
                    Some(l) => write!(f, "{} = {expected}", l.sysctl()),
                    None => write!(f, "{expected} bytes"),
                }
            }
            (ErrorKind::BufferTooSmall, Detail::Sizes { expected, .. }) => write!(
                f,
                "the next message is larger than the buffer of {expected} bytes; it stays queued"
            ),
            (_, Detail::Semaphores { actual, expected }) => {
                write!(f, "{actual} semaphores where {expected} were expected")
            }
            (_, Detail::Segment { actual, expected }) => {
                write!(
                    f,
                    "a segment of {actual} bytes where the type needs {expected}"
                )
            }
            (
                ErrorKind::SizeMismatch,
                Detail::Sizes {
                    actual, expected, ..
                },
            ) => match known(actual) {
                Some(a) => write!(f, "a message of {a} bytes where the type has {expected}"),
                None => write!(f, "a message whose size is not the type's {expected} bytes"),
            },
            (
                ErrorKind::LayoutMismatch,
                Detail::Field {
                    name,
                    actual,
                    expected,
                },
            ) => {
                if matches!(*name, "magic" | "type_id") {
                    write!(
                        f,
                        "the shared layout differs: its {name} is {actual:#x}, {expected:#x} expected"
                    )
                } else {
                    write!(
                        f,
                        "the shared layout differs: its {name} is {actual}, {expected} expected"
                    )
                }
            }
            (
                ErrorKind::InvalidArgument | ErrorKind::LimitReached,
                Detail::Sizes {
                    actual, expected, ..
                },
            ) if limit.is_some() => {
                let sysctl = limit.map_or("", Limit::sysctl);
                match known(actual) {
                    Some(a) => {
                        let unit = limit.map_or("", Limit::unit);
                        write!(f, "{a} {unit} asked for, above {sysctl} = {expected}")
                    }
                    None => write!(f, "the limit {sysctl} = {expected} is reached"),
                }
            }
            (ErrorKind::LimitReached, _) if limit.is_some() => {
                write!(
                    f,
                    "the limit {} is reached",
                    limit.map_or("", Limit::sysctl)
                )
            }
            (ErrorKind::InvalidArgument, _) if self.errno.is_some() => f.write_str(
                "invalid argument (a bad size, command or id — also an id whose object is gone)",
            ),
            (kind, _) => write!(f, "{kind}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.operation(), self.call) {
            (Some(op), _) => f.write_str(op)?,
            (None, Some(call)) => f.write_str(call.name())?,
            (None, None) => {}
        }
        match self.object {
            Object::None => {}
            Object::Key(key) => write!(f, " of key {key}")?,
            Object::MsgQueue(id) => write!(f, " on message queue {id}")?,
            Object::SemSet(id) => write!(f, " on semaphore set {id}")?,
            Object::Segment(id) => write!(f, " on segment {id}")?,
        }
        if self.operation().is_some() || self.call.is_some() {
            f.write_str(": ")?;
        }
        self.describe(f)?;
        if let Some(mtype) = self.mtype() {
            write!(f, " (mtype {mtype})")?;
        }
        match (self.operation(), self.call, self.errno) {
            (Some(_), Some(call), Some(errno)) => write!(f, " ({}: {errno})", call.name()),
            (_, _, Some(errno)) => write!(f, " ({errno})"),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("operation", &self.operation())
            .field("object", &self.object)
            .field("call", &self.call)
            .field("errno", &self.errno)
            .field("detail", &self.detail)
            .field("limit", &self.limit())
            .finish()
    }
}

impl core::error::Error for Error {}

/// `Result` with this crate's [`Error`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, SemSet};
///
/// fn counter() -> sysv_ipc::Result<u16> {
///     let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
///     set.set(0, 3)?;
///     set.get(0)
/// }
/// assert_eq!(counter()?, 3);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Runs `f`, naming `operation` and `object` in its error: what every public
/// operation of the crate wraps its body in, so that an error says which of them
/// failed. The outermost wins (an operation made of others renames their errors).
#[inline(always)]
pub(crate) fn during<T>(
    operation: &'static &'static str,
    object: Object,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    #[cfg(feature = "error-context")]
    match f() {
        Ok(value) => Ok(value),
        Err(e) => Err(named(e, operation, object)),
    }
    #[cfg(not(feature = "error-context"))]
    {
        let _ = (operation, object);
        f()
    }
}

/// [`during`]'s error path, out of line so that the success path of every
/// operation stays as short as before it named itself.
#[cfg(feature = "error-context")]
#[cold]
#[inline(never)]
fn named(e: Error, operation: &'static &'static str, object: Object) -> Error {
    e.during(operation).on(object)
}

/// Turns a backend result into this crate's, naming the call.
pub(crate) fn check<T>(call: Call, r: core::result::Result<T, Errno>) -> Result<T> {
    r.map_err(|errno| Error::from_errno(call, errno))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::ToString;

    use super::*;

    /// The limits named by (call, errno) alone are worked out by `limit()`, and
    /// `Debug` and `Display` show them as before; errnos that need the namespace's
    /// state (or name nothing) give no limit from the errno alone.
    #[test]
    fn limits_from_the_errno_alone() {
        for (call, errno, limit) in [
            (Call::Msgget, Errno::NOSPC, Some(Limit::Msgmni)),
            (Call::Semop, Errno::TOOBIG, Some(Limit::Semopm)),
            (Call::Semtimedop, Errno::TOOBIG, Some(Limit::Semopm)),
            (Call::Semget, Errno::NOSPC, None),
            (Call::Shmget, Errno::INVAL, None),
            (Call::Msgrcv, Errno::TOOBIG, None),
            (Call::Msgsnd, Errno::NOSPC, None),
        ] {
            let e = Error::from_errno(call, errno);
            assert_eq!(e.limit(), limit, "{call:?} {errno:?}");
            let debug = format!("{e:?}");
            assert!(debug.ends_with(&format!("limit: {limit:?} }}")), "{debug}");
            if let Some(l) = limit {
                assert!(
                    format!("{e}").contains(&format!("the limit {} is reached", l.sysctl())),
                    "{e}"
                );
            }
        }
        // A stored limit (what `explain_limit` sets) wins, and shows the same way.
        let e = Error::from_errno(Call::Semget, Errno::NOSPC).with_limit(Limit::Semmni);
        assert_eq!(e.limit(), Some(Limit::Semmni));
        assert_eq!(
            e.to_string(),
            "semget: the limit kernel.sem semmni is reached (ENOSPC (No space left on device))"
        );
        // With an operation and an object, the call moves beside its errno.
        let e = e
            .during(&"SemSet::create")
            .on(Object::Key(Key::new(0x1234)));
        assert_eq!(
            e.to_string(),
            "SemSet::create of key 0x00001234: the limit kernel.sem semmni is reached \
             (semget: ENOSPC (No space left on device))"
        );
    }

    /// An `Error` stays small enough to return by value on hot paths (a `Queue`'s
    /// `Result<Option<T>>`): all its words and numbers in 64 bytes.
    #[test]
    fn error_is_at_most_64_bytes() {
        assert!(size_of::<Error>() <= 64, "{}", size_of::<Error>());
    }

    /// Each kind's words in `Display` come from the kind, the call and the detail
    /// together; pinned here for the ones the kind alone would get wrong.
    #[test]
    fn words_follow_the_call_and_the_detail() {
        let full = Error::from_errno(Call::Msgsnd, Errno::AGAIN);
        assert_eq!(
            full.to_string(),
            "msgsnd: the queue is full (EAGAIN (Resource temporarily unavailable))"
        );
        let sem = Error::from_errno(Call::Semop, Errno::AGAIN);
        assert!(
            sem.to_string()
                .starts_with("semop: the semaphore operation would block"),
            "{sem}"
        );
        let ftok = Error::from_errno(Call::Ftok, Errno::NOENT).during(&"Key::ftok");
        assert_eq!(
            ftok.to_string(),
            "Key::ftok: the file does not exist (ftok: ENOENT (No such file or directory))"
        );
        let shmmax = Error::from_errno(Call::Shmget, Errno::INVAL)
            .with_limit(Limit::Shmmax)
            .with_sizes(Some(1 << 32), 1 << 20)
            .during(&"Segment::create")
            .on(Object::Key(Key::new(0x1234)));
        assert_eq!(
            shmmax.to_string(),
            "Segment::create of key 0x00001234: 4294967296 bytes asked for, above kernel.shmmax = 1048576 \
             (shmget: EINVAL (Invalid argument))"
        );
        let field = Error::new(ErrorKind::LayoutMismatch).with_field(&"type_id", 0xab, 0xcd);
        assert_eq!(
            field.to_string(),
            "the shared layout differs: its type_id is 0xab, 0xcd expected"
        );
        let timed = Error::new(ErrorKind::TimedOut).after(core::time::Duration::from_millis(1250));
        assert_eq!(timed.to_string(), "timed out after 1.250 s");
        // Kinds compare as plain values, whatever the numbers.
        assert_eq!(
            Error::new(ErrorKind::SizeMismatch)
                .with_sizes(Some(3), 4)
                .kind(),
            Error::new(ErrorKind::SizeMismatch)
                .with_sizes(Some(9), 8)
                .kind()
        );
    }
}
