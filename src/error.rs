//! `Error`: what went wrong, in words a caller can act on, with the errno behind it.

use core::fmt;

use crate::Errno;

/// The System V IPC call (or the crate's own check before it) that failed.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Selector};
/// use sysv_ipc::{Call, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// let e = q.try_recv(&mut [0; 8], Selector::Any).unwrap_err();
/// assert_eq!(e.call(), Call::Msgrcv);
/// assert!(e.to_string().starts_with("msgrcv: "));
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
    /// The crate's SPSC queue in shared memory (`sysv_ipc::queue`): its own checks and
    /// lock-free operations, which make no system call.
    Queue,
    /// The crate's seqlock in shared memory (`sysv_ipc::seqlock`).
    SeqLock,
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
    /// assert_eq!(Call::Queue.name(), "queue"); // the crate's own layouts
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
            Call::Queue => "queue",
            Call::SeqLock => "seqlock",
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
    /// A message is larger than the limit (`msgmax`, or the buffer the crate was given).
    MessageTooLarge {
        /// Bytes of message text.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },
    /// The next message is larger than the receive buffer (`E2BIG`); it stays queued.
    BufferTooSmall {
        /// The buffer's capacity in bytes of text.
        capacity: usize,
    },
    /// A received message has another size than the type it is read as.
    SizeMismatch {
        /// The size the caller's type needs.
        expected: usize,
        /// The size that arrived (or that the segment has).
        actual: usize,
    },
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
    /// the caller asked for: `field` names the first difference (`"magic"`,
    /// `"layout_version"`, `"kind"`, `"type_id"`, `"type_size"`, `"type_align"`,
    /// `"capacity"`, `"size"`, ...). Nothing was read from or written to the payload.
    LayoutMismatch {
        /// The header field (or `"size"` for the segment) that differs.
        field: &'static str,
    },
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
/// It names the call, says what kind of failure it is ([`ErrorKind`]) and carries the
/// errno when the kernel produced it. `Display` works without `std`:
///
/// ```
/// # use sysv_ipc::{Error, ErrorKind, Call, Errno};
/// let e = Error::from_errno(Call::Msgrcv, Errno::IDRM);
/// assert_eq!(e.kind(), ErrorKind::Removed);
/// assert_eq!(e.to_string(), "msgrcv: the object was removed (EIDRM (Identifier removed))");
/// ```
// Debug by hand: it shows `limit()`, not the stored field.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Error {
    call: Call,
    kind: ErrorKind,
    errno: Option<Errno>,
    limit: Option<Limit>,
    mtype: Option<i64>,
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
                Call::Msgrcv => ErrorKind::BufferTooSmall { capacity: 0 },
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
            call,
            kind,
            errno: Some(errno),
            limit: None,
            mtype: None,
        }
    }

    /// An error the crate found itself, before or instead of a kernel call.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Call, Error, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// // mtype 0 is refused before any system call:
    /// let e = q.send(0, b"x").unwrap_err();
    /// assert_eq!(e, Error::new(Call::Msgsnd, ErrorKind::InvalidArgument));
    /// assert_eq!(e.errno(), None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn new(call: Call, kind: ErrorKind) -> Self {
        Error {
            call,
            kind,
            errno: None,
            limit: None,
            mtype: None,
        }
    }

    /// The same error with a more precise kind (keeps call and errno).
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

    /// The same error, naming the type of the message it is about.
    pub(crate) const fn with_mtype(self, mtype: i64) -> Self {
        Error {
            mtype: Some(mtype),
            ..self
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
    /// assert_eq!(e.kind(), ErrorKind::SizeMismatch { expected: 4, actual: 3 });
    /// assert_eq!(e.mtype(), Some(6));
    /// assert_eq!(e.to_string(), "msgrcv: size 3 where 4 bytes were expected (mtype 6)");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn mtype(&self) -> Option<i64> {
        self.mtype
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
            (None, Call::Msgget, Some(Errno::NOSPC)) => Some(Limit::Msgmni),
            (None, Call::Semop | Call::Semtimedop, Some(Errno::TOOBIG)) => Some(Limit::Semopm),
            _ => None,
        }
    }

    /// What kind of failure this is.
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

    /// The call that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Call, Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(set.get(5).unwrap_err().call(), Call::Semctl); // GETVAL of semaphore 5
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn call(&self) -> Call {
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
        match *self {
            ErrorKind::NotFound => f.write_str("no object has this key"),
            ErrorKind::AlreadyExists => f.write_str("an object with this key already exists"),
            ErrorKind::PermissionDenied => f.write_str("permission denied"),
            ErrorKind::WouldBlock => f.write_str("the call would block"),
            ErrorKind::NoMessage => f.write_str("no message of the selected type"),
            ErrorKind::Interrupted => f.write_str("interrupted by a signal"),
            ErrorKind::Removed => f.write_str("the object was removed"),
            ErrorKind::TimedOut => f.write_str("timed out"),
            ErrorKind::MessageTooLarge { size, limit } => {
                write!(f, "a message of {size} bytes exceeds the limit of {limit}")
            }
            ErrorKind::BufferTooSmall { capacity: 0 } => {
                f.write_str("the message is larger than the buffer; it stays queued")
            }
            ErrorKind::BufferTooSmall { capacity } => write!(
                f,
                "the message is larger than the buffer of {capacity} bytes; it stays queued"
            ),
            ErrorKind::SizeMismatch { expected, actual } => {
                write!(f, "size {actual} where {expected} bytes were expected")
            }
            ErrorKind::LimitReached => f.write_str("a system limit was reached"),
            ErrorKind::OutOfRange => f.write_str("value out of range"),
            ErrorKind::Unsupported => f.write_str("not supported by this kernel"),
            ErrorKind::InvalidArgument => {
                f.write_str("invalid argument (or an id whose object is gone)")
            }
            ErrorKind::Uninitialized => f.write_str(
                "the object's creator has not finished initializing it \
                 (it may have died between creating and initializing it; remove the object to recover)",
            ),
            ErrorKind::LayoutMismatch { field } => write!(
                f,
                "the shared layout does not match the one expected ({field} differs)"
            ),
            ErrorKind::Corrupt => f.write_str(
                "the shared layout holds impossible values (a peer crashed or wrote garbage)",
            ),
            ErrorKind::Busy => f.write_str(
                "the writer stayed busy for every retry (slow, stuck, or died mid-write)",
            ),
            ErrorKind::RoleTaken => f.write_str("another live process holds this role"),
            ErrorKind::RoleAbandoned => f.write_str(
                "the role's last holder died without releasing it; reclaim it explicitly",
            ),
            ErrorKind::PeerDied => f.write_str(
                "the peer died holding its role, and nothing it committed is left to wait for",
            ),
            ErrorKind::Closed => f.write_str(
                "the producer closed the queue, and every value it enqueued has been dequeued",
            ),
            ErrorKind::WrongProcess => f.write_str(
                "this role or lock belongs to the process that claimed it, not to this one (inherited through fork)",
            ),
            ErrorKind::Other => f.write_str("failed"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.call.name(), self.kind)?;
        if let Some(mtype) = self.mtype {
            write!(f, " (mtype {mtype})")?;
        }
        if let Some(limit) = self.limit() {
            write!(f, " ({})", limit.sysctl())?;
        }
        if let Some(errno) = self.errno {
            write!(f, " ({errno})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("call", &self.call)
            .field("kind", &self.kind)
            .field("errno", &self.errno)
            .field("mtype", &self.mtype)
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
                assert!(format!("{e}").contains(&format!("({})", l.sysctl())), "{e}");
            }
        }
        // A stored limit (what `explain_limit` sets) wins, and shows the same way.
        let e = Error::from_errno(Call::Semget, Errno::NOSPC).with_limit(Limit::Semmni);
        assert_eq!(e.limit(), Some(Limit::Semmni));
        assert_eq!(
            e.to_string(),
            "semget: a system limit was reached (kernel.sem semmni) (ENOSPC (No space left on device))"
        );
    }
}
