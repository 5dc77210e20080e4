//! `MsgQueue`: a System V message queue — bytes or typed values, each with a type.
//!
//! Messages carry an `mtype` (≥ 1) and up to `msgmax` bytes of text (8192 by
//! default, `kernel.msgmax` per IPC namespace). A receiver picks messages by type
//! with a [`Selector`]. The kernel wants `mtype` and text contiguous, so this module
//! sends and receives through [`MsgBuf`], a `#[repr(C)]` stack buffer: no allocation.
//!
//! # Stack use
//!
//! The buffer is on the stack of the call unless it is yours ([`MsgBuf`] with
//! [`MsgQueue::send_buf`], [`MsgQueue::recv_buf`], [`MsgQueue::recv_value_or_bytes`]:
//! a `static`, a `Box`, wherever you put it). What each call puts there:
//!
//! - [`send`](MsgQueue::send)/[`recv`](MsgQueue::recv) and their `try_`, `_with`
//!   and `_timeout` forms: a buffer sized from the text's length, 64 B, 1 KiB or
//!   [`LARGE_TEXT`] (3840 B, so that the frame stays within one 4 KiB page), and
//!   above that [`DEFAULT_MSGMAX`] (8 KiB);
//! - the typed forms ([`send_value`](MsgQueue::send_value),
//!   [`recv_value`](MsgQueue::recv_value), ...): `size_of::<T>() + 8` bytes, and
//!   `recv_value` returns the `T` by value besides;
//! - [`recv_value_or_discard`](MsgQueue::recv_value_or_discard) and
//!   [`recv_value_truncating`](MsgQueue::recv_value_truncating): 8 KiB + 1 byte
//!   whatever `T` is, to learn a poison message's whole size.
//!
//! On a thread with a stack of a few KiB, keep texts and `T`s at or below
//! [`LARGE_TEXT`] or bring your own [`MsgBuf`]. (Rust probes every page of a frame
//! over 4 KiB on the x86_64 and aarch64 targets this crate supports, so an 8 KiB
//! frame meets a guard page rather than stepping over it; a stack without a guard
//! page is corrupted silently by any overflow.)
//!
//! # Signals and stops
//!
//! A blocked `msgsnd`/`msgrcv` and the timed forms' `clock_nanosleep` fail with
//! `EINTR` ([`ErrorKind::Interrupted`]) only when a signal handler ran: a stop
//! (Ctrl-Z, `SIGSTOP` then `SIGCONT`, a debugger or `strace` attaching) makes the
//! kernel restart them, and the call keeps waiting (its `-ERESTARTNOHAND` and
//! `restart_block`; measured here on Linux 6.18, and `tests/stop.rs` holds it).
//! So these calls need no retry for a stop, and a handler can still cancel them.
//! (A parked `semop` is not restarted: see the [`sem`](crate::sem) module.)
//!
//! # Safety
//!
//! The only unsafe code is the `msgctl` calls (an unsafe [`Backend`] method because
//! the buffer's type depends on the command); each passes a pointer to a live local
//! of the struct its command reads or writes.
#![allow(unsafe_code)]

use core::fmt;
use core::mem::size_of;
use core::time::Duration;

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout, Unalign, Unaligned};

use crate::abi::{self, MTYPE_SIZE, msginfo, msqid64_ds};
use crate::copy::copy_bytes;
use crate::error::{Call, Error, ErrorKind, Object, Result, check, during};
use crate::poll;
use crate::{Backend, DefaultBackend, Intent, Key, Mode, Owner, Perm, Removable};

/// The largest message text the convenience methods ([`MsgQueue::send`],
/// [`MsgQueue::recv`], typed values) handle: Linux's default `msgmax`. Larger
/// messages (where `kernel.msgmax` was raised) go through a [`MsgBuf`] of your size.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{DEFAULT_MSGMAX, MsgQueue, Selector};
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(1, &[7; DEFAULT_MSGMAX])?; // the longest text `send` takes
/// let mut text = [0u8; DEFAULT_MSGMAX];
/// assert_eq!(q.try_recv(&mut text, Selector::Any)?.len, 8192);
/// let e = q.send(1, &[7; DEFAULT_MSGMAX + 1]).unwrap_err();
/// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::MessageTooLarge, Some(8193), Some(8192)));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub const DEFAULT_MSGMAX: usize = abi::MSGMAX as usize;

/// Stack buffer sizes below `DEFAULT_MSGMAX` that `send`/`recv` pick for short texts.
const SMALL: usize = 64;
const MEDIUM: usize = 1024;

/// The longest text [`MsgQueue::send`] and [`MsgQueue::recv`] (and their other
/// forms) pass through a buffer of at most one page (4 KiB) of stack: 3840 bytes,
/// leaving the frame 256 bytes for `mtype`, the length and the call's other locals.
/// Longer texts, up to [`DEFAULT_MSGMAX`], take an 8 KiB buffer: see the
/// [module docs](self#stack-use).
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{LARGE_TEXT, MsgQueue, Selector};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// // One page of stack at most, from a thread with 16 KiB of it.
/// std::thread::Builder::new().stack_size(16 << 10).spawn(move || {
///     q.send(1, &[7; LARGE_TEXT])?;
///     let mut text = [0u8; LARGE_TEXT];
///     assert_eq!(q.recv(&mut text, Selector::Any)?.len, 3840);
///     Ok::<(), sysv_ipc::Error>(())
/// }).expect("a thread").join().expect("no overflow")?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub const LARGE_TEXT: usize = 3840;

/// A message as the kernel reads and writes it: `mtype` then `N` bytes of text.
/// All fields are byte arrays, so the layout has no padding for any `N`.
#[derive(Clone, IntoBytes, FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct Wire<const N: usize> {
    mtype: [u8; MTYPE_SIZE],
    text: [u8; N],
}

/// A message buffer with room for `N` bytes of text: C's `struct msgbuf` on the
/// stack, for sending and receiving without allocation or extra copies.
///
/// ```
/// # use sysv_ipc::msg::MsgBuf;
/// let mut buf = MsgBuf::<16>::new();
/// buf.set(7, b"hello")?;
/// assert_eq!((buf.mtype(), buf.text()), (7, &b"hello"[..]));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Clone)]
pub struct MsgBuf<const N: usize> {
    wire: Wire<N>,
    len: usize,
}

impl<const N: usize> MsgBuf<N> {
    /// An empty buffer (`mtype` 0, no text).
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::msg::MsgBuf;
    /// let buf = MsgBuf::<32>::new();
    /// assert_eq!((buf.mtype(), buf.text(), buf.capacity()), (0, &b""[..], 32));
    /// ```
    pub fn new() -> Self {
        MsgBuf {
            wire: Wire {
                mtype: [0; MTYPE_SIZE],
                text: [0; N],
            },
            len: 0,
        }
    }

    /// Sets the message: type and text.
    ///
    /// # Errors
    ///
    /// `MessageTooLarge` if `text` is longer than `N`; the buffer is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::msg::MsgBuf;
    /// use sysv_ipc::ErrorKind;
    ///
    /// let mut buf = MsgBuf::<4>::new();
    /// buf.set(3, b"abcd")?;
    /// let e = buf.set(9, b"too long").unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::MessageTooLarge, Some(8), Some(4)));
    /// assert_eq!(e.to_string(), "MsgBuf::set: a message of 8 bytes is larger than 4 bytes");
    /// assert_eq!((buf.mtype(), buf.text()), (3, &b"abcd"[..])); // unchanged
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn set(&mut self, mtype: i64, text: &[u8]) -> Result<()> {
        let Some(dst) = self.wire.text.get_mut(..text.len()) else {
            return Err(Error::new(ErrorKind::MessageTooLarge)
                .with_sizes(Some(text.len() as u64), N as u64)
                .during(&"MsgBuf::set"));
        };
        copy_bytes(dst, text);
        self.wire.mtype = mtype.to_ne_bytes();
        self.len = text.len();
        Ok(())
    }

    /// The message type.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(4, b"job")?;
    /// let mut buf = MsgBuf::<64>::new();
    /// q.recv_buf(&mut buf, Selector::UpTo(10))?;
    /// assert_eq!(buf.mtype(), 4);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn mtype(&self) -> i64 {
        i64::from_ne_bytes(self.wire.mtype)
    }

    /// The message text.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"hello")?;
    /// let mut buf = MsgBuf::<64>::new();
    /// q.recv_buf(&mut buf, Selector::Any)?;
    /// assert_eq!(buf.text(), b"hello"); // only the bytes received, not all 64
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn text(&self) -> &[u8] {
        self.wire.text.get(..self.len).unwrap_or(&[])
    }

    /// Room for text, in bytes (`N`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::msg::MsgBuf;
    /// let buf = MsgBuf::<128>::new();
    /// assert_eq!(buf.capacity(), 128);
    /// assert_eq!(buf.text().len(), 0);
    /// ```
    pub const fn capacity(&self) -> usize {
        N
    }

    /// `mtype` and text as the kernel reads them.
    fn message(&self) -> &[u8] {
        self.wire
            .as_bytes()
            .get(..MTYPE_SIZE + self.len)
            .unwrap_or(&[])
    }
}

impl<const N: usize> Default for MsgBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for MsgBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsgBuf")
            .field("mtype", &self.mtype())
            .field("text", &self.text())
            .finish()
    }
}

/// A typed message on the wire: `mtype` then the bytes of one `T`, unaligned so the
/// struct has no padding whatever `T`'s alignment.
#[derive(IntoBytes, FromBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
struct TypedWire<T> {
    mtype: [u8; MTYPE_SIZE],
    value: Unalign<T>,
}

impl<T: FromBytes> TypedWire<T> {
    /// A zeroed message of one `T`; a `T` above Linux's default `msgmax` does not
    /// compile (the typed sends and receives all build their message here).
    fn zeroed() -> Self {
        const {
            assert!(
                size_of::<T>() <= DEFAULT_MSGMAX,
                "T is larger than Linux's default msgmax (8192 bytes)"
            )
        };
        Self::new_zeroed()
    }
}

/// Which message `msgrcv` takes (its `msgtyp` argument, and `MSG_EXCEPT`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Selector};
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(3, b"c")?;
/// q.send(1, b"a")?;
/// q.send(2, b"b")?;
/// let mut text = [0u8; 8];
/// assert_eq!(q.try_recv(&mut text, Selector::UpTo(2))?.mtype, 1); // lowest type <= 2
/// assert_eq!(q.try_recv(&mut text, Selector::Except(3))?.mtype, 2); // first type != 3
/// assert_eq!(q.try_recv(&mut text, Selector::Type(3))?.mtype, 3);
/// assert_eq!(q.try_recv(&mut text, Selector::Any).unwrap_err().kind(), ErrorKind::NoMessage);
/// // Bounds below 1 have no msgtyp to encode:
/// let e = q.try_recv(&mut text, Selector::Type(0)).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::InvalidArgument);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Selector {
    /// The first message on the queue, whatever its type (`msgtyp == 0`).
    Any,
    /// The first message of exactly this type (`msgtyp > 0`); must be ≥ 1.
    Type(i64),
    /// The first message of the lowest type ≤ this bound (`msgtyp < 0`): a priority
    /// queue where low types come first. Must be ≥ 1.
    UpTo(i64),
    /// The first message whose type is *not* this one (`MSG_EXCEPT`); must be ≥ 1.
    Except(i64),
}

impl Selector {
    /// `(msgtyp, extra flags)`, or `None` for a bound the kernel can't express.
    const fn encode(self) -> Option<(i64, i32)> {
        match self {
            Selector::Any => Some((0, 0)),
            Selector::Type(t) if t >= 1 => Some((t, 0)),
            Selector::UpTo(t) if t >= 1 => Some((-t, 0)),
            Selector::Except(t) if t >= 1 => Some((t, abi::MSG_EXCEPT)),
            _ => None,
        }
    }
}

/// How `msgsnd` behaves when the queue is full.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, SendFlags};
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
///
/// assert_eq!(SendFlags::default(), SendFlags::BLOCK);
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.set_max_bytes(8)?; // room for 8 bytes of text
/// q.send_with(1, b"12345678", SendFlags::NOWAIT)?;
/// let e = q.send_with(1, b"9", SendFlags::NOWAIT).unwrap_err(); // full
/// assert_eq!(e.kind(), ErrorKind::WouldBlock);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SendFlags(i32);

impl SendFlags {
    /// Block until there is room (the default).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector, SendFlags};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_with(1, b"waits only if the queue is full", SendFlags::BLOCK)?;
    /// let mut text = [0u8; 64];
    /// assert_eq!(q.try_recv(&mut text, Selector::Any)?.len, 31);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const BLOCK: SendFlags = SendFlags(0);
    /// Fail with [`ErrorKind::WouldBlock`] instead of blocking (`IPC_NOWAIT`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, SendFlags};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(4)?;
    /// q.send_with(1, b"full", SendFlags::NOWAIT)?;
    /// let e = q.send_with(1, b"!", SendFlags::NOWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// assert_eq!(q.stat()?.messages, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const NOWAIT: SendFlags = SendFlags(abi::IPC_NOWAIT);
}

/// How `msgrcv` behaves: blocking, and what to do with a message longer than the
/// buffer. Combine with `|`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// assert_eq!(RecvFlags::default(), RecvFlags::BLOCK);
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(1, b"a long message")?;
/// let mut text = [0u8; 6];
/// let got = q.recv_with(&mut text, Selector::Any, RecvFlags::NOWAIT | RecvFlags::TRUNCATE)?;
/// assert_eq!(&text[..got.len], b"a long");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct RecvFlags(i32);

impl RecvFlags {
    /// Block until a message is there; refuse (and leave queued) a message longer
    /// than the buffer. The default.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"here")?; // so that the blocking receive returns at once
    /// let mut text = [0u8; 8];
    /// let got = q.recv_with(&mut text, Selector::Any, RecvFlags::BLOCK)?;
    /// assert_eq!(&text[..got.len], b"here");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const BLOCK: RecvFlags = RecvFlags(0);
    /// Fail with [`ErrorKind::NoMessage`] instead of blocking (`IPC_NOWAIT`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let mut text = [0u8; 8];
    /// let e = q.recv_with(&mut text, Selector::Any, RecvFlags::NOWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NoMessage);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const NOWAIT: RecvFlags = RecvFlags(abi::IPC_NOWAIT);
    /// Take a message longer than the buffer anyway, cutting it to the buffer's size;
    /// the rest is lost (`MSG_NOERROR`). An explicit choice, never a default.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"0123456789")?;
    /// let mut text = [0u8; 4];
    /// // Without TRUNCATE the message is refused and stays queued...
    /// let e = q.recv_with(&mut text, Selector::Any, RecvFlags::NOWAIT).unwrap_err();
    /// assert_eq!((e.kind(), e.expected()), (ErrorKind::BufferTooSmall, Some(4)));
    /// // ...with it, the first 4 bytes arrive and the rest is lost.
    /// let got = q.recv_with(&mut text, Selector::Any, RecvFlags::NOWAIT | RecvFlags::TRUNCATE)?;
    /// assert_eq!((got.len, &text), (4, b"0123"));
    /// assert_eq!(q.stat()?.messages, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const TRUNCATE: RecvFlags = RecvFlags(abi::MSG_NOERROR);
}

impl core::ops::BitOr for RecvFlags {
    type Output = RecvFlags;
    fn bitor(self, rhs: RecvFlags) -> RecvFlags {
        RecvFlags(self.0 | rhs.0)
    }
}

/// What [`MsgQueue::recv`] received: the message's type and how many text bytes.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Received, Selector};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(6, b"six")?;
/// let mut text = [0u8; 16];
/// let got = q.try_recv(&mut text, Selector::Any)?;
/// assert_eq!(got, Received { mtype: 6, len: 3 });
/// assert_eq!(&text[..got.len], b"six");
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Received {
    /// The message type.
    pub mtype: i64,
    /// Bytes of text written to the buffer.
    pub len: usize,
}

/// A message that is not one `T`: what a typed receive reports about it.
///
/// A typed server meets these when a peer sends another type, a newer or older
/// version of the struct, or garbage. [`MsgQueue::recv_value`] refuses a longer one
/// and leaves it queued, so the same message stops the server on every call (and
/// after every restart: queues outlive processes). The calls that report a `Poison`
/// ([`MsgQueue::recv_value_or_bytes`], [`MsgQueue::recv_value_or_discard`],
/// [`MsgQueue::recv_value_truncating`]) take it off the queue in the same `msgrcv`
/// that decides it is not a `T`, so the message reported is the message taken, even
/// with other receivers on the queue.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Poison, RecvFlags, Selector, Typed};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(3, b"not a u64")?;
/// let got = q.recv_value_or_discard::<u64>(Selector::Any, RecvFlags::NOWAIT)?;
/// assert_eq!(got, Typed::Other(Poison { mtype: 3, size: 9, more: false }));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Poison {
    /// The message's type.
    pub mtype: i64,
    /// Its size in bytes of text: exact unless `more` is set.
    pub size: usize,
    /// The message had more than `size` bytes, which were lost. Only a message longer
    /// than [`DEFAULT_MSGMAX`] (possible where `kernel.msgmax` was raised) is reported
    /// so, by [`MsgQueue::recv_value_or_discard`] and
    /// [`MsgQueue::recv_value_truncating`]: their buffer has room for `DEFAULT_MSGMAX`
    /// bytes and one more, and `msgrcv` tells only how many bytes it copied.
    pub more: bool,
}

/// What a typed receive that survives poison messages got: a `T`, or a report of a
/// message that was not one.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector, Typed};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send_value(2, &7u32)?;
/// match q.recv_value_or_discard::<u32>(Selector::Any, RecvFlags::NOWAIT)? {
///     Typed::Value { mtype, value } => assert_eq!((mtype, value), (2, 7)),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Typed<T> {
    /// A message of exactly `size_of::<T>()` bytes.
    Value {
        /// The message type.
        mtype: i64,
        /// The value it holds.
        value: T,
    },
    /// A message longer than `T` whose first `size_of::<T>()` bytes were taken as a
    /// `T` and the rest dropped: only from [`MsgQueue::recv_value_truncating`].
    Truncated {
        /// The first `size_of::<T>()` bytes of the message.
        value: T,
        /// The message it was cut from.
        poison: Poison,
    },
    /// A message of another size, taken off the queue and not read as a `T`: dropped
    /// ([`MsgQueue::recv_value_or_discard`], and the ones shorter than `T` in
    /// [`MsgQueue::recv_value_truncating`]) or left in the caller's buffer
    /// ([`MsgQueue::recv_value_or_bytes`]).
    Other(Poison),
}

/// The state of a queue, from `msgctl(IPC_STAT)`.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(1, b"hello")?;
/// let st = q.stat()?;
/// assert_eq!((st.messages, st.bytes), (1, 5));
/// assert_eq!(st.last_send_pid, std::process::id() as i32);
/// assert_eq!((st.last_recv_pid, st.recv_time), (0, 0)); // nobody received yet
/// assert_eq!(st.perm.mode, Mode::default());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MsgQueueStat {
    /// Owner, creator, mode, key.
    pub perm: Perm,
    /// Messages on the queue.
    pub messages: u64,
    /// Bytes of text on the queue.
    pub bytes: u64,
    /// The most bytes of text the queue holds (`msg_qbytes`).
    pub max_bytes: u64,
    /// Pid of the last sender (0 if none).
    pub last_send_pid: i32,
    /// Pid of the last receiver (0 if none).
    pub last_recv_pid: i32,
    /// Time of the last send, seconds since the epoch; 0 if never.
    pub send_time: i64,
    /// Time of the last receive; 0 if never.
    pub recv_time: i64,
    /// Time of creation or the last change by `msgctl(IPC_SET)`.
    pub change_time: i64,
}

impl From<&msqid64_ds> for MsgQueueStat {
    fn from(d: &msqid64_ds) -> Self {
        MsgQueueStat {
            perm: Perm::from(&d.msg_perm),
            messages: d.msg_qnum,
            bytes: d.msg_cbytes,
            max_bytes: d.msg_qbytes,
            last_send_pid: d.msg_lspid,
            last_recv_pid: d.msg_lrpid,
            send_time: d.msg_stime,
            recv_time: d.msg_rtime,
            change_time: d.msg_ctime,
        }
    }
}

/// A System V message queue: an id and the backend that reaches it.
///
/// The queue lives in the kernel until [removed](Removable::remove): dropping the
/// handle removes nothing (wrap it in [`Removal`](crate::Removal) for that).
///
/// ```
/// use sysv_ipc::msg::{MsgQueue, Selector};
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
/// q.send(2, b"second")?;
/// q.send(1, b"first")?;
/// let mut text = [0u8; 64];
/// let got = q.recv(&mut text, Selector::UpTo(5))?; // lowest type first
/// assert_eq!((got.mtype, &text[..got.len]), (1, &b"first"[..]));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct MsgQueue<B: Backend = DefaultBackend> {
    id: i32,
    backend: B,
}

impl<B: Backend> fmt::Debug for MsgQueue<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsgQueue").field("id", &self.id).finish()
    }
}

impl MsgQueue<DefaultBackend> {
    /// Opens the queue that `key` names: see [`MsgQueue::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x7100_0000 | (std::process::id() as i32 & 0xff_ffff)); // agreed on by the peers
    /// let q = Removal::new(MsgQueue::create(key, Intent::CreateNew, Mode::default())?);
    /// let peer = MsgQueue::open(key)?; // typically in another process
    /// assert_eq!(peer.id(), q.id());
    /// q.remove_now()?;
    /// assert_eq!(MsgQueue::open(key).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn open(key: Key) -> Result<Self> {
        during(&"MsgQueue::open", Object::Key(key), || {
            Self::open_in(DefaultBackend::default(), key)
        })
    }

    /// Opens the queue that `key` names, waiting up to `timeout` for a peer to
    /// create it: see [`MsgQueue::open_wait_in`].
    ///
    /// # Errors
    ///
    /// As [`MsgQueue::open_wait_in`].
    pub fn open_wait(key: Key, timeout: Duration) -> Result<Self> {
        during(&"MsgQueue::open_wait", Object::Key(key), || {
            Self::open_wait_in(DefaultBackend::default(), key, timeout)
        })
    }

    /// Creates or opens the queue for `key`: see [`MsgQueue::create_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let key = Key::new(0x7200_0000 | (std::process::id() as i32 & 0xff_ffff));
    /// let q = Removal::new(MsgQueue::create(key, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let e = MsgQueue::create(key, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    /// let same = MsgQueue::create(key, Intent::OpenOrCreate, Mode::OWNER_RW)?;
    /// assert_eq!(same.id(), q.id());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn create(key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"MsgQueue::create", Object::Key(key), || {
            Self::create_in(DefaultBackend::default(), key, intent, mode)
        })
    }
}

impl<B: Backend> MsgQueue<B> {
    /// `msgget(key, 0)` — opens the existing queue for `key`.
    ///
    /// [`Key::PRIVATE`] names no existing queue (`msgget` would *create* one for it,
    /// of mode `0o000`, that nothing would ever remove), so it is `NotFound` without
    /// a call. Use [`MsgQueue::create_in`] for a private queue.
    ///
    /// # Errors
    ///
    /// `NotFound` if the key has no queue (or is [`Key::PRIVATE`]); opening checks no
    /// permission: each later call checks its own.
    ///
    /// # References
    ///
    /// msgget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new(); // an in-memory kernel: nothing touches the host
    /// let key = Key::new(0x1234);
    /// assert_eq!(MsgQueue::open_in(&KERNEL, key).unwrap_err().kind(), ErrorKind::NotFound);
    /// let q = MsgQueue::create_in(&KERNEL, key, Intent::CreateNew, Mode::default())?;
    /// assert_eq!(MsgQueue::open_in(&KERNEL, key)?.id(), q.id());
    /// let e = MsgQueue::open_in(&KERNEL, Key::PRIVATE).unwrap_err();
    /// assert_eq!((e.kind(), e.errno()), (ErrorKind::NotFound, None));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgget")]
    pub fn open_in(backend: B, key: Key) -> Result<Self> {
        during(&"MsgQueue::open_in", Object::Key(key), || {
            if key.is_private() {
                return Err(Error::new(ErrorKind::NotFound).because(
                    "Key::PRIVATE names no existing queue (msgget would create a new one)",
                ));
            }
            Self::create_in(backend, key, Intent::Open, Mode::new(0))
        })
    }

    /// [`MsgQueue::open_in`] for a program that may start before the peer that
    /// creates the queue: while `key` has no queue, tries again, sleeping between
    /// tries (20 µs at first, doubling up to 1 ms, as the message queue's timed calls
    /// poll), for up to `timeout` on `CLOCK_MONOTONIC`. A zero timeout is
    /// [`MsgQueue::open_in`], with `TimedOut` for `NotFound`.
    ///
    /// Polling, because nothing in the kernel wakes a process when a key gets an
    /// object. Its price is the 1 ms cap on the sleeps: measured (x86_64, Linux,
    /// 30 rounds, a waiter in another process), the waiter had the queue a median
    /// 0.62 ms after its creator's `msgget` began, at most 0.95 ms (a `Queue`: 0.56
    /// ms, at most 1.2 ms); a wait that times out returns about 0.1 ms after its
    /// deadline (20 rounds of 100 ms: median 88 µs late, at most 132 µs). A
    /// waiter asleep at the cap wakes 1000 times a second.
    ///
    /// Every kind has this method (`open_wait`, `open_wait_in`, and for the kinds
    /// with read-only opens `open_read_only_wait*`) rather than a waiting
    /// [`Intent`]: an intent is a flag of one `*get` call, while this is a loop with a
    /// deadline that the layouts' joins share, and a `timeout` argument cannot be
    /// forgotten the way a default wait in an intent could.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] if `key` still has no queue after `timeout`
    /// ([`Key::PRIVATE`] never has one); [`ErrorKind::Interrupted`] if a signal
    /// handler ran during a sleep; otherwise as [`MsgQueue::open_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Key};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new(); // its clock advances only by the sleeps
    /// let e = MsgQueue::open_wait_in(&KERNEL, Key::new(0x1234), Duration::from_secs(1)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// ```
    pub fn open_wait_in(backend: B, key: Key, timeout: Duration) -> Result<Self>
    where
        B: Clone,
    {
        during(&"MsgQueue::open_wait_in", Object::Key(key), || {
            let b = backend.clone();
            crate::poll::open_wait(&b, timeout, |_| Self::open_in(backend.clone(), key))
        })
    }

    /// `msgget(key, flags | mode)` — creates the queue for `key` or opens it, as
    /// `intent` says; `mode` applies to a new queue only.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` (with [`Intent::CreateNew`]), `NotFound` (with
    /// [`Intent::Open`]), `PermissionDenied`, `LimitReached` (`msgmni` queues exist).
    ///
    /// # References
    ///
    /// msgget(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let q = MsgQueue::create_in(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::new(0o640))?;
    /// let q = Removal::new(q);
    /// assert_eq!(q.stat()?.perm.mode, Mode::new(0o640));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgget")]
    pub fn create_in(backend: B, key: Key, intent: Intent, mode: Mode) -> Result<Self> {
        during(&"MsgQueue::create_in", Object::Key(key), || {
            let id = check(
                Call::Msgget,
                backend.msgget(key.raw(), intent.flags() | mode.bits() as i32),
            )
            .map_err(|e| crate::info::explain_permission(e.on(Object::Key(key)), &backend))?;
            Ok(MsgQueue { id, backend })
        })
    }

    /// A handle for an existing queue id (from another process, `ipcs`, or
    /// [`info`](crate::info)); nothing is checked until the first call.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let id = q.id(); // e.g. passed to another process, or listed by `ipcs -q`
    /// let handle = MsgQueue::from_id(DefaultBackend::default(), id);
    /// handle.send(1, b"by id")?;
    /// let mut text = [0u8; 8];
    /// assert_eq!(q.try_recv(&mut text, Selector::Any)?.len, 5);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn from_id(backend: B, id: i32) -> Self {
        MsgQueue { id, backend }
    }

    /// The queue's id (`msqid`).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let a = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let b = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// assert!(a.id() >= 0);
    /// assert_ne!(a.id(), b.id()); // each private queue is a new one
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
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode};
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new();
    /// let q = MsgQueue::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::default())?;
    /// assert!(core::ptr::eq(*q.backend(), &KERNEL));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn backend(&self) -> &B {
        &self.backend
    }

    // ---- sending ----------------------------------------------------------------

    /// `msgsnd(msqid, msgp, msgsz, 0)` — sends `text` with type `mtype`, blocking
    /// while the queue is full.
    ///
    /// `text` is copied once into a stack [`MsgBuf`] just large enough: at most one
    /// page of stack up to [`LARGE_TEXT`] bytes, 8 KiB above (see
    /// [Stack use](self#stack-use)); use [`send_buf`](Self::send_buf) for zero-copy
    /// sends, larger messages, or a buffer off the stack.
    ///
    /// # Errors
    ///
    /// `InvalidArgument` if `mtype < 1`; `MessageTooLarge` beyond `DEFAULT_MSGMAX` or
    /// the live `msgmax`; `Interrupted` by a signal (nothing was sent); `Removed` if
    /// the queue was removed while waiting; `PermissionDenied` without write
    /// permission.
    ///
    /// # References
    ///
    /// msgop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"ping")?;
    /// let mut text = [0u8; 16];
    /// let got = q.try_recv(&mut text, Selector::Type(1))?;
    /// assert_eq!(&text[..got.len], b"ping");
    /// assert_eq!(q.send(0, b"no").unwrap_err().kind(), ErrorKind::InvalidArgument); // mtype >= 1
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgsnd")]
    pub fn send(&self, mtype: i64, text: &[u8]) -> Result<()> {
        during(&"MsgQueue::send", Object::MsgQueue(self.id), || {
            self.send_with(mtype, text, SendFlags::BLOCK)
        })
    }

    /// `msgsnd` with `IPC_NOWAIT`: like [`send`](Self::send) but a full queue is
    /// [`ErrorKind::WouldBlock`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(16)?;
    /// q.try_send(1, &[0; 16])?;
    /// assert_eq!(q.try_send(1, b"more").unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn try_send(&self, mtype: i64, text: &[u8]) -> Result<()> {
        during(&"MsgQueue::try_send", Object::MsgQueue(self.id), || {
            self.send_with(mtype, text, SendFlags::NOWAIT)
        })
    }

    /// [`send`](Self::send) with explicit flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, SendFlags};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_with(2, b"never blocks", SendFlags::NOWAIT)?;
    /// assert_eq!(q.stat()?.bytes, 12);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_with(&self, mtype: i64, text: &[u8], flags: SendFlags) -> Result<()> {
        during(&"MsgQueue::send_with", Object::MsgQueue(self.id), || {
            // The stack buffer is zeroed before use, so its size is picked from the text's:
            // an 8 KiB buffer for an 8-byte message made send+recv 1.28x direct libc.
            let len = text.len();
            if len <= SMALL {
                self.send_via::<SMALL>(mtype, text, flags)
            } else if len <= MEDIUM {
                self.send_via::<MEDIUM>(mtype, text, flags)
            } else if len <= LARGE_TEXT {
                self.send_via::<LARGE_TEXT>(mtype, text, flags)
            } else {
                self.send_via::<DEFAULT_MSGMAX>(mtype, text, flags)
            }
        })
    }

    // Never inlined: inlined, the four buffers shared one frame of 8 KiB and more,
    // which a 2-byte send reserved too (8320 bytes, measured in a release build).
    #[inline(never)]
    fn send_via<const N: usize>(&self, mtype: i64, text: &[u8], flags: SendFlags) -> Result<()> {
        let mut buf = MsgBuf::<N>::new();
        buf.set(mtype, text)?;
        self.send_buf_with(&buf, flags)
    }

    /// `msgsnd` of a prepared [`MsgBuf`], without copying, blocking while full.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let mut buf = MsgBuf::<32>::new();
    /// buf.set(3, b"prepared once")?;
    /// q.send_buf(&buf)?;
    /// q.send_buf(&buf)?; // and sent twice
    /// assert_eq!(q.stat()?.messages, 2);
    /// let mut text = [0u8; 32];
    /// assert_eq!(q.try_recv(&mut text, Selector::Type(3))?.len, 13);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgsnd")]
    pub fn send_buf<const N: usize>(&self, buf: &MsgBuf<N>) -> Result<()> {
        during(&"MsgQueue::send_buf", Object::MsgQueue(self.id), || {
            self.send_buf_with(buf, SendFlags::BLOCK)
        })
    }

    /// [`send_buf`](Self::send_buf) with explicit flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, SendFlags};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(8)?;
    /// let mut buf = MsgBuf::<8>::new();
    /// buf.set(1, b"8 bytes!")?;
    /// q.send_buf_with(&buf, SendFlags::NOWAIT)?;
    /// let e = q.send_buf_with(&buf, SendFlags::NOWAIT).unwrap_err(); // the queue is full
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_buf_with<const N: usize>(&self, buf: &MsgBuf<N>, flags: SendFlags) -> Result<()> {
        during(
            &"MsgQueue::send_buf_with",
            Object::MsgQueue(self.id),
            || self.send_message(buf.mtype(), buf.message(), flags.0),
        )
    }

    /// `msgsnd` of one `T` as the message text (`size_of::<T>()` bytes, no padding:
    /// `T: IntoBytes`), blocking while the queue is full.
    ///
    /// A `T` larger than Linux's default `msgmax` (8192) does not compile; a live
    /// limit below `size_of::<T>()` is `MessageTooLarge`. The message is built in a
    /// stack buffer of `size_of::<T>() + 8` bytes ([Stack use](self#stack-use)).
    ///
    /// ```
    /// # use sysv_ipc::{msg::{MsgQueue, Selector}, Intent, Key, Mode, Removal};
    /// #[derive(zerocopy::IntoBytes, zerocopy::FromBytes, zerocopy::KnownLayout, zerocopy::Immutable)]
    /// #[repr(C)]
    /// struct Sample { seq: u32, value: f32 }
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_value(1, &Sample { seq: 7, value: 0.5 })?;
    /// let (mtype, s) = q.recv_value::<Sample>(Selector::Any)?;
    /// assert_eq!((mtype, s.seq, s.value), (1, 7, 0.5));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgsnd")]
    pub fn send_value<T: FromBytes + IntoBytes + Immutable>(
        &self,
        mtype: i64,
        value: &T,
    ) -> Result<()> {
        during(&"MsgQueue::send_value", Object::MsgQueue(self.id), || {
            self.send_value_with(mtype, value, SendFlags::BLOCK)
        })
    }

    /// [`send_value`](Self::send_value) with explicit flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector, SendFlags};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_value_with(9, &0x0123_4567_89ab_cdef_u64, SendFlags::NOWAIT)?;
    /// let (mtype, v) = q.recv_value_with::<u64>(Selector::Type(9), RecvFlags::NOWAIT)?;
    /// assert_eq!((mtype, v), (9, 0x0123_4567_89ab_cdef));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_value_with<T: FromBytes + IntoBytes + Immutable>(
        &self,
        mtype: i64,
        value: &T,
        flags: SendFlags,
    ) -> Result<()> {
        during(
            &"MsgQueue::send_value_with",
            Object::MsgQueue(self.id),
            || {
                // mtype and the value's bytes in one stack buffer of exactly the message's
                // size: one copy of the value, no padding anywhere (`T: IntoBytes`).
                let mut wire = TypedWire::<T>::zeroed();
                wire.mtype = mtype.to_ne_bytes();
                copy_bytes(wire.value.as_mut_bytes(), value.as_bytes());
                self.send_message(mtype, wire.as_bytes(), flags.0)
            },
        )
    }

    /// [`send`](Self::send), waiting at most `timeout` while the queue is full.
    ///
    /// The kernel has no timed `msgsnd`: the call tries with `IPC_NOWAIT` and sleeps
    /// between tries, 20 µs at first, doubling up to 1 ms, so room that frees up while
    /// it sleeps is taken up to 1 ms later (the bench's `msg timed wake` row measures
    /// the added latency against a blocking call). Why it polls instead of blocking
    /// is in the crate's design notes on timed waits.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); [`ErrorKind::TimedOut`] if the queue stayed full for
    /// `timeout` (nothing was sent); `Interrupted` if a signal handler ran during a
    /// sleep.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(4)?;
    /// q.send_timeout(1, b"full", Duration::from_millis(10))?;
    /// let e = q.send_timeout(1, b"more", Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgsnd")]
    pub fn send_timeout(&self, mtype: i64, text: &[u8], timeout: Duration) -> Result<()> {
        during(&"MsgQueue::send_timeout", Object::MsgQueue(self.id), || {
            self.send_until(timeout, || self.try_send(mtype, text))
        })
    }

    /// [`send_buf`](Self::send_buf), waiting at most `timeout` while the queue is
    /// full, as [`send_timeout`](Self::send_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    #[doc(alias = "msgsnd")]
    pub fn send_buf_timeout<const N: usize>(
        &self,
        buf: &MsgBuf<N>,
        timeout: Duration,
    ) -> Result<()> {
        during(
            &"MsgQueue::send_buf_timeout",
            Object::MsgQueue(self.id),
            || self.send_until(timeout, || self.send_buf_with(buf, SendFlags::NOWAIT)),
        )
    }

    /// [`send_value`](Self::send_value), waiting at most `timeout` while the queue
    /// is full, as [`send_timeout`](Self::send_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    #[doc(alias = "msgsnd")]
    pub fn send_value_timeout<T: FromBytes + IntoBytes + Immutable>(
        &self,
        mtype: i64,
        value: &T,
        timeout: Duration,
    ) -> Result<()> {
        during(
            &"MsgQueue::send_value_timeout",
            Object::MsgQueue(self.id),
            || {
                self.send_until(timeout, || {
                    self.send_value_with(mtype, value, SendFlags::NOWAIT)
                })
            },
        )
    }

    fn send_until(&self, timeout: Duration, attempt: impl FnMut() -> Result<()>) -> Result<()> {
        poll::until(&self.backend, timeout, ErrorKind::WouldBlock, attempt)
    }

    /// A backend result as this crate's, naming `call`, this queue, and in a
    /// permission error its owner and mode.
    fn check<T>(&self, call: Call, r: core::result::Result<T, abi::Errno>) -> Result<T> {
        check(call, r).map_err(|e| {
            crate::info::explain_permission(e.on(Object::MsgQueue(self.id)), &self.backend)
        })
    }

    fn send_message(&self, mtype: i64, message: &[u8], flags: i32) -> Result<()> {
        if mtype < 1 {
            return Err(Error::new(ErrorKind::InvalidArgument).because(MTYPE_BELOW_1));
        }
        self.check(Call::Msgsnd, self.backend.msgsnd(self.id, message, flags))
            .map_err(|e| self.explain_send_error(e, message.len() - MTYPE_SIZE))
    }

    /// An `EINVAL` from `msgsnd` is either a gone queue or a message over `msgmax`:
    /// ask the kernel for the live limit to tell which (only on this error path).
    fn explain_send_error(&self, e: Error, size: usize) -> Error {
        if e.errno() != Some(abi::Errno::INVAL) {
            return e;
        }
        match crate::msg::live_msgmax(&self.backend) {
            Some(limit) if size > limit => e
                .with_kind(ErrorKind::MessageTooLarge)
                .with_sizes(Some(size as u64), limit as u64)
                .with_limit(crate::Limit::Msgmax),
            _ => e,
        }
    }

    // ---- receiving --------------------------------------------------------------

    /// `msgrcv(msqid, msgp, msgsz, msgtyp, 0)` — receives the message `sel` picks
    /// into `text`, blocking until there is one.
    ///
    /// The message passes through a stack [`MsgBuf`] as large as `text` (at most one
    /// page of stack up to [`LARGE_TEXT`] bytes, 8 KiB above; see
    /// [Stack use](self#stack-use)) and is copied once into `text`;
    /// [`recv_buf`](Self::recv_buf) avoids the copy and the stack buffer.
    ///
    /// # Errors
    ///
    /// `BufferTooSmall` if the message is longer than `text` (it stays queued; see
    /// [`RecvFlags::TRUNCATE`]); `Interrupted` by a signal; `Removed` if the queue was
    /// removed while waiting; `InvalidArgument` for a selector bound below 1.
    ///
    /// # References
    ///
    /// msgop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"sent first, so recv does not block")?;
    /// let mut text = [0u8; 64];
    /// let got = q.recv(&mut text, Selector::Any)?;
    /// assert_eq!(&text[..got.len], b"sent first, so recv does not block");
    /// // A message longer than the buffer is refused and stays queued:
    /// q.send(1, b"0123456789")?;
    /// let mut small = [0u8; 4];
    /// let e = q.recv(&mut small, Selector::Any).unwrap_err();
    /// assert_eq!((e.kind(), e.expected()), (ErrorKind::BufferTooSmall, Some(4)));
    /// assert_eq!(q.stat()?.messages, 1);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv(&self, text: &mut [u8], sel: Selector) -> Result<Received> {
        during(&"MsgQueue::recv", Object::MsgQueue(self.id), || {
            self.recv_with(text, sel, RecvFlags::BLOCK)
        })
    }

    /// `msgrcv` with `IPC_NOWAIT`: like [`recv`](Self::recv) but an empty queue (or no
    /// message of the selected type) is [`ErrorKind::NoMessage`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(2, b"two")?;
    /// let mut text = [0u8; 8];
    /// let e = q.try_recv(&mut text, Selector::Type(1)).unwrap_err(); // none of type 1
    /// assert_eq!(e.kind(), ErrorKind::NoMessage);
    /// assert_eq!(q.try_recv(&mut text, Selector::Any)?.mtype, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn try_recv(&self, text: &mut [u8], sel: Selector) -> Result<Received> {
        during(&"MsgQueue::try_recv", Object::MsgQueue(self.id), || {
            self.recv_with(text, sel, RecvFlags::NOWAIT)
        })
    }

    /// [`recv`](Self::recv) with explicit flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"only the head matters")?;
    /// let mut head = [0u8; 4];
    /// let got = q.recv_with(&mut head, Selector::Any, RecvFlags::NOWAIT | RecvFlags::TRUNCATE)?;
    /// assert_eq!((got.len, &head), (4, b"only"));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_with(&self, text: &mut [u8], sel: Selector, flags: RecvFlags) -> Result<Received> {
        during(&"MsgQueue::recv_with", Object::MsgQueue(self.id), || {
            // As in `send_with`: the smallest stack buffer that holds `text.len()` bytes.
            let len = text.len();
            if len <= SMALL {
                self.recv_via::<SMALL>(text, sel, flags)
            } else if len <= MEDIUM {
                self.recv_via::<MEDIUM>(text, sel, flags)
            } else if len <= LARGE_TEXT {
                self.recv_via::<LARGE_TEXT>(text, sel, flags)
            } else {
                self.recv_via::<DEFAULT_MSGMAX>(text, sel, flags)
            }
        })
    }

    // Never inlined, as send_via.
    #[inline(never)]
    fn recv_via<const N: usize>(
        &self,
        text: &mut [u8],
        sel: Selector,
        flags: RecvFlags,
    ) -> Result<Received> {
        let mut buf = MsgBuf::<N>::new();
        let cap = text.len().min(N);
        let got = self.recv_into(&mut buf.wire, cap, sel, flags.0)?;
        let src = buf.wire.text.get(..got.len).unwrap_or(&[]);
        if let Some(dst) = text.get_mut(..src.len()) {
            copy_bytes(dst, src);
        }
        Ok(got)
    }

    /// `msgrcv` into a [`MsgBuf`] (its whole capacity), without extra copies.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, Selector};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(5, b"straight into the buffer")?;
    /// let mut buf = MsgBuf::<64>::new();
    /// q.recv_buf(&mut buf, Selector::Any)?; // a message is there: no blocking
    /// assert_eq!((buf.mtype(), buf.text()), (5, &b"straight into the buffer"[..]));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_buf<const N: usize>(&self, buf: &mut MsgBuf<N>, sel: Selector) -> Result<()> {
        during(&"MsgQueue::recv_buf", Object::MsgQueue(self.id), || {
            self.recv_buf_with(buf, sel, RecvFlags::BLOCK)
        })
    }

    /// [`recv_buf`](Self::recv_buf) with explicit flags.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue, RecvFlags, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let mut buf = MsgBuf::<64>::new();
    /// let e = q.recv_buf_with(&mut buf, Selector::Any, RecvFlags::NOWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NoMessage);
    /// q.send(1, b"now")?;
    /// q.recv_buf_with(&mut buf, Selector::Any, RecvFlags::NOWAIT)?;
    /// assert_eq!(buf.text(), b"now");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_buf_with<const N: usize>(
        &self,
        buf: &mut MsgBuf<N>,
        sel: Selector,
        flags: RecvFlags,
    ) -> Result<()> {
        during(
            &"MsgQueue::recv_buf_with",
            Object::MsgQueue(self.id),
            || {
                let got = self.recv_into(&mut buf.wire, N, sel, flags.0)?;
                buf.len = got.len;
                Ok(())
            },
        )
    }

    /// `msgrcv` of one `T`, blocking until a message is there.
    ///
    /// It takes `size_of::<T>() + 8` bytes of stack for the message and returns the
    /// `T` by value ([Stack use](self#stack-use)); for a `T` of several KiB on a small
    /// stack, [`recv_value_or_bytes`](Self::recv_value_or_bytes) into a [`MsgBuf`] of
    /// your own.
    ///
    /// The message must be exactly `size_of::<T>()` bytes: a longer one is refused
    /// with `BufferTooSmall` and stays queued; a shorter one is consumed by the
    /// kernel and reported as `SizeMismatch` — never a partly filled `T`.
    ///
    /// A longer message stays at the head of what `sel` picks, so a server calling
    /// this in a loop fails on it on every call, and after every restart. A server
    /// that may meet one (another program's message, another version of `T`) calls
    /// one of the ways out instead, which each take the message in the same
    /// `msgrcv` that finds it is not a `T`:
    /// [`recv_value_or_bytes`](Self::recv_value_or_bytes) keeps it in the caller's
    /// buffer, [`recv_value_or_discard`](Self::recv_value_or_discard) drops it and
    /// reports its mtype and size, [`recv_value_truncating`](Self::recv_value_truncating)
    /// reads its head as a `T`.
    ///
    /// # Errors
    ///
    /// `BufferTooSmall` (its [`Error::expected`] `size_of::<T>()`) for a longer
    /// message (it stays queued; `msgrcv`'s `E2BIG` does not tell its size, nor its
    /// type, which [`Error::mtype`] gives only for a `Selector::Type`);
    /// `SizeMismatch` ([`Error::actual`] the size that arrived, [`Error::expected`]
    /// `size_of::<T>()`) for a shorter one (it was taken; [`Error::mtype`] is its
    /// type); otherwise as [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_value(1, &42u32)?;
    /// assert_eq!(q.recv_value::<u32>(Selector::Any)?, (1, 42));
    /// // Three bytes are not a u32: the message is consumed and reported.
    /// q.send(1, b"abc")?;
    /// let e = q.recv_value::<u32>(Selector::Any).unwrap_err();
    /// assert_eq!((e.kind(), e.actual(), e.expected()), (ErrorKind::SizeMismatch, Some(3), Some(4)));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_value<T: FromBytes + IntoBytes + Immutable + KnownLayout>(
        &self,
        sel: Selector,
    ) -> Result<(i64, T)> {
        during(&"MsgQueue::recv_value", Object::MsgQueue(self.id), || {
            self.recv_value_with(sel, RecvFlags::BLOCK)
        })
    }

    /// [`recv_value`](Self::recv_value) with explicit flags (`TRUNCATE` is ignored:
    /// a `T` cut from a longer message is a choice the caller makes by calling
    /// [`recv_value_truncating`](Self::recv_value_truncating), which says so).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, RecvFlags, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let e = q.recv_value_with::<u64>(Selector::Any, RecvFlags::NOWAIT).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NoMessage);
    /// q.send_value(3, &7u64)?;
    /// assert_eq!(q.recv_value_with::<u64>(Selector::Any, RecvFlags::NOWAIT)?, (3, 7));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_value_with<T: FromBytes + IntoBytes + Immutable + KnownLayout>(
        &self,
        sel: Selector,
        flags: RecvFlags,
    ) -> Result<(i64, T)> {
        during(
            &"MsgQueue::recv_value_with",
            Object::MsgQueue(self.id),
            || {
                let mut wire = TypedWire::<T>::zeroed();
                let (msgtyp, sel_flags) = encode(sel)?;
                let flags = (flags.0 & !abi::MSG_NOERROR) | sel_flags;
                let n = self
                    .check(
                        Call::Msgrcv,
                        self.backend
                            .msgrcv(self.id, wire.as_mut_bytes(), msgtyp, flags),
                    )
                    .map_err(|e| match (buffer_too_small(e, size_of::<T>()), sel) {
                        // The one selector that says which type the refused message has.
                        (e, Selector::Type(t)) if e.errno() == Some(abi::Errno::TOOBIG) => {
                            e.with_mtype(t)
                        }
                        (e, _) => e,
                    })?;
                if n != size_of::<T>() {
                    return Err(Error::new(ErrorKind::SizeMismatch)
                        .with_sizes(Some(n as u64), size_of::<T>() as u64)
                        .with_mtype(i64::from_ne_bytes(wire.mtype)));
                }
                Ok((i64::from_ne_bytes(wire.mtype), wire.value.into_inner()))
            },
        )
    }

    // ---- poison messages: the ways out of a message that is not a `T` -----------

    /// `msgrcv` of one `T`, or of any other message `sel` picks as bytes into `buf`:
    /// the way out of a poison message that keeps it for inspection (logging it,
    /// forwarding it to a dead-letter queue).
    ///
    /// One `msgrcv` into `buf` (without `MSG_NOERROR`) takes the message; one of
    /// exactly `size_of::<T>()` bytes is [`Typed::Value`] (its bytes are in `buf`
    /// too), any other is [`Typed::Other`] with its exact size, and `buf` holds its
    /// type and text. No allocation: `buf` is the caller's, on its stack or not.
    ///
    /// `RecvFlags::TRUNCATE` is ignored: a message longer than `N` is refused and stays
    /// queued, as [`recv_buf`](Self::recv_buf) does; with `N` = [`DEFAULT_MSGMAX`] that
    /// happens only where `kernel.msgmax` was raised.
    ///
    /// # Errors
    ///
    /// As [`recv_buf_with`](Self::recv_buf_with): `BufferTooSmall` for a message
    /// longer than `N` (it stays queued); `NoMessage` with `NOWAIT`; `Interrupted`,
    /// `Removed`; `InvalidArgument` for a selector bound below 1.
    ///
    /// # References
    ///
    /// msgop(2).
    ///
    /// # Examples
    ///
    /// A typed server that keeps serving past messages of other sizes, keeping each
    /// for a look:
    ///
    /// ```
    /// use sysv_ipc::msg::{DEFAULT_MSGMAX, MsgBuf, MsgQueue, RecvFlags, Selector, Typed};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_value(1, &10u64)?;
    /// q.send(2, b"a sixteen byte!!")?; // a peer speaking another protocol
    /// q.send(3, b"abc")?;
    /// q.send_value(1, &20u64)?;
    /// let mut buf = MsgBuf::<DEFAULT_MSGMAX>::new(); // any message fits
    /// let (mut sum, mut kept) = (0, Vec::new());
    /// loop {
    ///     match q.recv_value_or_bytes::<u64, DEFAULT_MSGMAX>(&mut buf, Selector::Any, RecvFlags::NOWAIT) {
    ///         Ok(Typed::Value { value, .. }) => sum += value,
    ///         Ok(_) => kept.push((buf.mtype(), buf.text().to_vec())),
    ///         Err(e) if e.kind() == ErrorKind::NoMessage => break,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert_eq!(sum, 30);
    /// assert_eq!(kept, [(2, b"a sixteen byte!!".to_vec()), (3, b"abc".to_vec())]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_value_or_bytes<T: FromBytes, const N: usize>(
        &self,
        buf: &mut MsgBuf<N>,
        sel: Selector,
        flags: RecvFlags,
    ) -> Result<Typed<T>> {
        during(
            &"MsgQueue::recv_value_or_bytes",
            Object::MsgQueue(self.id),
            || {
                const { assert!(size_of::<T>() <= N, "T is larger than the buffer") };
                let got = self.recv_into(&mut buf.wire, N, sel, flags.0 & !abi::MSG_NOERROR)?;
                buf.len = got.len;
                Ok(typed(got.mtype, buf.text(), false))
            },
        )
    }

    /// `msgrcv` of one `T`, taking and dropping a message of any other size instead
    /// and reporting its type and size: the way out of a poison message for a server
    /// that only wants its `T`s, and a count of what it dropped.
    ///
    /// One `msgrcv` with `MSG_NOERROR` into a stack buffer of [`DEFAULT_MSGMAX`] + 1
    /// bytes takes whatever message `sel` picks. One of exactly `size_of::<T>()` bytes
    /// is [`Typed::Value`]; any other was dropped and is [`Typed::Other`], each
    /// dropped message reported once, with its exact size (see [`Poison::more`] for
    /// the one exception). Deciding and taking are the same system call, so another
    /// receiver can never make this drop a message it did not report, nor a `T`.
    ///
    /// Why not learn the size first and drop only then: `msgrcv` without
    /// `MSG_NOERROR` refuses a long message with `E2BIG` but does not say its size,
    /// `MSG_COPY` (which does) needs `CONFIG_CHECKPOINT_RESTORE` and counts by queue
    /// position rather than by [`Selector`], and between any look and a second call
    /// another receiver may take the message, making the second call drop the next
    /// one. Two calls (an `E2BIG`, then a `MSG_NOERROR` receive of what is now first)
    /// did exactly that in `tests/msg.rs`'s two-server test: 2, 6 and 103 of 2000
    /// requests dropped as poison in three runs out of three.
    ///
    /// The price of the one call is a zeroed 8 KiB stack buffer (on a small stack use
    /// [`recv_value_or_bytes`](Self::recv_value_or_bytes) with a [`MsgBuf`] of your own)
    /// and copying up to
    /// 8 KiB of a message that is then dropped. Measured (x86_64, raw backend, a
    /// `send_value` plus a receive of a `u64`, 200 000 rounds, 6 runs on a shared
    /// 2-core machine): 1.8–2.5 µs with [`recv_value`](Self::recv_value), 1.9–3.2 µs
    /// with this call; a 100-byte poison message 1.6–3.0 µs, an 8192-byte one
    /// 9.3–14 µs (the kernel copies it in and out).
    ///
    /// `flags` chooses blocking (`RecvFlags::BLOCK`) or not (`RecvFlags::NOWAIT`);
    /// `TRUNCATE` changes nothing.
    ///
    /// # Errors
    ///
    /// `NoMessage` with `NOWAIT` and nothing `sel` picks; `Interrupted` by a signal
    /// while blocked; `Removed` if the queue was removed meanwhile; `InvalidArgument`
    /// for a selector bound below 1 or a queue that is gone; `PermissionDenied`
    /// without read permission. Nothing is taken when it fails.
    ///
    /// # References
    ///
    /// msgop(2).
    ///
    /// # Examples
    ///
    /// A typed server that meets poison messages, longer and shorter than its
    /// requests, keeps serving and counts what it dropped:
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Poison, RecvFlags, Selector, Typed};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
    /// #[repr(C)]
    /// struct Request { id: u32, qty: u32 }
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_value(1, &Request { id: 1, qty: 3 })?;
    /// q.send(7, &[0; 12])?; // a newer client's longer request
    /// q.send(9, b"hi")?;
    /// q.send_value(1, &Request { id: 2, qty: 4 })?;
    /// let (mut served, mut dropped) = (Vec::new(), Vec::new());
    /// loop {
    ///     match q.recv_value_or_discard::<Request>(Selector::Any, RecvFlags::NOWAIT) {
    ///         Ok(Typed::Value { value, .. }) => served.push(value.id),
    ///         Ok(Typed::Other(p)) => dropped.push(p),
    ///         Ok(Typed::Truncated { .. }) => unreachable!("only recv_value_truncating cuts"),
    ///         Err(e) if e.kind() == ErrorKind::NoMessage => break,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// assert_eq!(served, [1, 2]);
    /// assert_eq!(dropped, [
    ///     Poison { mtype: 7, size: 12, more: false },
    ///     Poison { mtype: 9, size: 2, more: false },
    /// ]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    #[doc(alias = "MSG_NOERROR")]
    pub fn recv_value_or_discard<T: FromBytes>(
        &self,
        sel: Selector,
        flags: RecvFlags,
    ) -> Result<Typed<T>> {
        during(
            &"MsgQueue::recv_value_or_discard",
            Object::MsgQueue(self.id),
            || {
                let (buf, more) = self.recv_whole::<T>(sel, flags)?;
                Ok(typed(buf.mtype(), buf.text(), more))
            },
        )
    }

    /// `msgrcv` of one `T`, cutting a longer message to its first `size_of::<T>()`
    /// bytes (`MSG_NOERROR`): the way out of a poison message for a protocol whose
    /// newer versions only append fields, so an old server can still serve a new
    /// client's request.
    ///
    /// One `msgrcv` with `MSG_NOERROR` into a stack buffer of [`DEFAULT_MSGMAX`] + 1
    /// bytes ([Stack use](self#stack-use)), as
    /// [`recv_value_or_discard`](Self::recv_value_or_discard) does, so the
    /// message's full size is reported too:
    /// - exactly `size_of::<T>()` bytes: [`Typed::Value`];
    /// - longer: [`Typed::Truncated`], its first bytes as a `T`; the rest is lost;
    /// - shorter: [`Typed::Other`]; it was taken and dropped, as a short message
    ///   always is by [`recv_value`](Self::recv_value), since a `T` with bytes made
    ///   up would be a lie.
    ///
    /// `flags` chooses blocking or not; `TRUNCATE` is implied.
    ///
    /// # Errors
    ///
    /// As [`recv_value_or_discard`](Self::recv_value_or_discard).
    ///
    /// # References
    ///
    /// msgop(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgQueue, Poison, RecvFlags, Selector, Typed};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
    ///
    /// #[derive(Debug, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
    /// #[repr(C)]
    /// struct RequestV1 { id: u32, qty: u32 }
    /// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
    /// #[repr(C)]
    /// struct RequestV2 { id: u32, qty: u32, deadline_ms: u32 } // v1 plus a field
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send_value(1, &RequestV2 { id: 5, qty: 2, deadline_ms: 100 })?; // a newer client
    /// q.send(1, b"??")?;
    /// let got = q.recv_value_truncating::<RequestV1>(Selector::Any, RecvFlags::NOWAIT)?;
    /// assert_eq!(got, Typed::Truncated {
    ///     value: RequestV1 { id: 5, qty: 2 },
    ///     poison: Poison { mtype: 1, size: 12, more: false },
    /// });
    /// let got = q.recv_value_truncating::<RequestV1>(Selector::Any, RecvFlags::NOWAIT)?;
    /// assert_eq!(got, Typed::Other(Poison { mtype: 1, size: 2, more: false }));
    /// assert_eq!(q.stat()?.messages, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    #[doc(alias = "MSG_NOERROR")]
    pub fn recv_value_truncating<T: FromBytes>(
        &self,
        sel: Selector,
        flags: RecvFlags,
    ) -> Result<Typed<T>> {
        during(
            &"MsgQueue::recv_value_truncating",
            Object::MsgQueue(self.id),
            || {
                let (buf, more) = self.recv_whole::<T>(sel, flags)?;
                let text = buf.text();
                match (typed(buf.mtype(), text, more), text.get(..size_of::<T>())) {
                    (Typed::Other(poison), Some(head)) => match T::read_from_bytes(head) {
                        Ok(value) => Ok(Typed::Truncated { value, poison }),
                        Err(_) => Ok(Typed::Other(poison)),
                    },
                    (result, _) => Ok(result),
                }
            },
        )
    }

    /// Takes whatever message `sel` picks, whole up to [`DEFAULT_MSGMAX`] bytes, in
    /// one `msgrcv` with `MSG_NOERROR`: the buffer's extra byte tells a message of
    /// exactly `DEFAULT_MSGMAX` bytes from a longer one, which is cut to
    /// `DEFAULT_MSGMAX` bytes and flagged (`true`).
    fn recv_whole<T>(&self, sel: Selector, flags: RecvFlags) -> Result<(MsgBuf<WHOLE>, bool)> {
        const {
            assert!(
                size_of::<T>() <= DEFAULT_MSGMAX,
                "T is larger than Linux's default msgmax (8192 bytes)"
            )
        };
        let mut buf = MsgBuf::<WHOLE>::new();
        let got = self.recv_into(&mut buf.wire, WHOLE, sel, flags.0 | abi::MSG_NOERROR)?;
        buf.len = got.len.min(DEFAULT_MSGMAX);
        Ok((buf, got.len > DEFAULT_MSGMAX))
    }

    /// [`recv`](Self::recv), waiting at most `timeout` for a message `sel` picks.
    ///
    /// The kernel has no timed `msgrcv`: the call tries with `IPC_NOWAIT` and sleeps
    /// between tries, 20 µs at first, doubling up to 1 ms, so a message that arrives
    /// while it sleeps is taken up to 1 ms later (a caller asleep at the cap wakes
    /// 1000 times a second). Measured by the bench's `msg timed wake` row: a ping-pong
    /// whose sides wait with timed receives takes 2.1× the round trip of blocking
    /// ones (120 against 57 µs here), about 32 µs more per wake-up, the first sleep
    /// plus the kernel's timer slack. A blocking `msgrcv` could only be cut short by
    /// a signal, which would need a timer and a process-wide signal handler, state a
    /// library must not take; and pairing the queue with a semaphore would leave out
    /// C and Python peers that send with plain `msgsnd`.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv); [`ErrorKind::TimedOut`] if no such message came in
    /// `timeout`; `Interrupted` if a signal handler ran during a sleep.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::msg::{MsgQueue, Selector};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let mut text = [0u8; 16];
    /// let e = q.recv_timeout(&mut text, Selector::Any, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// q.send(1, b"here")?;
    /// let got = q.recv_timeout(&mut text, Selector::Any, Duration::from_millis(10))?;
    /// assert_eq!(&text[..got.len], b"here");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_timeout(
        &self,
        text: &mut [u8],
        sel: Selector,
        timeout: Duration,
    ) -> Result<Received> {
        during(&"MsgQueue::recv_timeout", Object::MsgQueue(self.id), || {
            self.recv_until(timeout, || self.try_recv(text, sel))
        })
    }

    /// [`recv_buf`](Self::recv_buf), waiting at most `timeout` for a message, as
    /// [`recv_timeout`](Self::recv_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    #[doc(alias = "msgrcv")]
    pub fn recv_buf_timeout<const N: usize>(
        &self,
        buf: &mut MsgBuf<N>,
        sel: Selector,
        timeout: Duration,
    ) -> Result<()> {
        during(
            &"MsgQueue::recv_buf_timeout",
            Object::MsgQueue(self.id),
            || self.recv_until(timeout, || self.recv_buf_with(buf, sel, RecvFlags::NOWAIT)),
        )
    }

    /// [`recv_value`](Self::recv_value), waiting at most `timeout` for a message, as
    /// [`recv_timeout`](Self::recv_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`recv_value`](Self::recv_value) and [`recv_timeout`](Self::recv_timeout).
    #[doc(alias = "msgrcv")]
    pub fn recv_value_timeout<T: FromBytes + IntoBytes + Immutable + KnownLayout>(
        &self,
        sel: Selector,
        timeout: Duration,
    ) -> Result<(i64, T)> {
        during(
            &"MsgQueue::recv_value_timeout",
            Object::MsgQueue(self.id),
            || self.recv_until(timeout, || self.recv_value_with(sel, RecvFlags::NOWAIT)),
        )
    }

    /// [`recv_value_or_bytes`](Self::recv_value_or_bytes), waiting at most `timeout`
    /// for a message, as [`recv_timeout`](Self::recv_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`recv_value_or_bytes`](Self::recv_value_or_bytes) and
    /// [`recv_timeout`](Self::recv_timeout).
    #[doc(alias = "msgrcv")]
    pub fn recv_value_or_bytes_timeout<T: FromBytes, const N: usize>(
        &self,
        buf: &mut MsgBuf<N>,
        sel: Selector,
        timeout: Duration,
    ) -> Result<Typed<T>> {
        during(
            &"MsgQueue::recv_value_or_bytes_timeout",
            Object::MsgQueue(self.id),
            || {
                self.recv_until(timeout, || {
                    self.recv_value_or_bytes(buf, sel, RecvFlags::NOWAIT)
                })
            },
        )
    }

    /// [`recv_value_or_discard`](Self::recv_value_or_discard), waiting at most
    /// `timeout` for a message, as [`recv_timeout`](Self::recv_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`recv_value_or_discard`](Self::recv_value_or_discard) and
    /// [`recv_timeout`](Self::recv_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::msg::{MsgQueue, Poison, Selector, Typed};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(4, b"not a u16 at all")?;
    /// let t = Duration::from_millis(10);
    /// let got = q.recv_value_or_discard_timeout::<u16>(Selector::Any, t)?;
    /// assert_eq!(got, Typed::Other(Poison { mtype: 4, size: 16, more: false }));
    /// let e = q.recv_value_or_discard_timeout::<u16>(Selector::Any, t).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_value_or_discard_timeout<T: FromBytes>(
        &self,
        sel: Selector,
        timeout: Duration,
    ) -> Result<Typed<T>> {
        during(
            &"MsgQueue::recv_value_or_discard_timeout",
            Object::MsgQueue(self.id),
            || {
                self.recv_until(timeout, || {
                    self.recv_value_or_discard(sel, RecvFlags::NOWAIT)
                })
            },
        )
    }

    /// [`recv_value_truncating`](Self::recv_value_truncating), waiting at most
    /// `timeout` for a message, as [`recv_timeout`](Self::recv_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`recv_value_truncating`](Self::recv_value_truncating) and
    /// [`recv_timeout`](Self::recv_timeout).
    #[doc(alias = "msgrcv")]
    pub fn recv_value_truncating_timeout<T: FromBytes>(
        &self,
        sel: Selector,
        timeout: Duration,
    ) -> Result<Typed<T>> {
        during(
            &"MsgQueue::recv_value_truncating_timeout",
            Object::MsgQueue(self.id),
            || {
                self.recv_until(timeout, || {
                    self.recv_value_truncating(sel, RecvFlags::NOWAIT)
                })
            },
        )
    }

    fn recv_until<R>(&self, timeout: Duration, attempt: impl FnMut() -> Result<R>) -> Result<R> {
        poll::until(&self.backend, timeout, ErrorKind::NoMessage, attempt)
    }

    /// `msgrcv(..., MSG_COPY | IPC_NOWAIT)` — copies the message at queue position
    /// `index` (0 = oldest) into `buf` without removing it.
    ///
    /// # Errors
    ///
    /// `Unsupported` where the kernel lacks `CONFIG_CHECKPOINT_RESTORE` (`ENOSYS`);
    /// `NoMessage` past the last message; `BufferTooSmall` if the message is longer
    /// than `buf` (it is not truncated).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::{MsgBuf, MsgQueue};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"first")?;
    /// q.send(2, b"second")?;
    /// let mut buf = MsgBuf::<16>::new();
    /// match q.peek(&mut buf, 1) {
    ///     Ok(()) => {
    ///         assert_eq!((buf.mtype(), buf.text()), (2, &b"second"[..]));
    ///         assert_eq!(q.stat()?.messages, 2); // nothing was taken
    ///         assert_eq!(q.peek(&mut buf, 2).unwrap_err().kind(), ErrorKind::NoMessage);
    ///     }
    ///     // A kernel without CONFIG_CHECKPOINT_RESTORE has no MSG_COPY.
    ///     Err(e) => assert_eq!(e.kind(), ErrorKind::Unsupported),
    /// }
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "MSG_COPY")]
    pub fn peek<const N: usize>(&self, buf: &mut MsgBuf<N>, index: usize) -> Result<()> {
        during(&"MsgQueue::peek", Object::MsgQueue(self.id), || {
            let index = i64::try_from(index).map_err(|_| {
                Error::new(ErrorKind::InvalidArgument).because("the index is above i64::MAX")
            })?;
            let n = self
                .check(
                    Call::Msgrcv,
                    self.backend.msgrcv(
                        self.id,
                        buf.wire.as_mut_bytes(),
                        index,
                        abi::MSG_COPY | abi::IPC_NOWAIT,
                    ),
                )
                .map_err(|e| buffer_too_small(e, N))?;
            buf.len = n;
            Ok(())
        })
    }

    fn recv_into<const N: usize>(
        &self,
        wire: &mut Wire<N>,
        cap: usize,
        sel: Selector,
        flags: i32,
    ) -> Result<Received> {
        let (msgtyp, sel_flags) = encode(sel)?;
        let msg = wire.as_mut_bytes().get_mut(..MTYPE_SIZE + cap).ok_or(
            Error::new(ErrorKind::InvalidArgument).because("the capacity is above the buffer's"),
        )?;
        let len = self
            .check(
                Call::Msgrcv,
                self.backend.msgrcv(self.id, msg, msgtyp, flags | sel_flags),
            )
            .map_err(|e| buffer_too_small(e, cap))?;
        Ok(Received {
            mtype: i64::from_ne_bytes(wire.mtype),
            len,
        })
    }

    // ---- control ----------------------------------------------------------------

    /// `msgctl(msqid, IPC_STAT, buf)` — the queue's state.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` without read permission; `InvalidArgument` if the queue is
    /// gone.
    ///
    /// # References
    ///
    /// msgctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.send(1, b"abc")?;
    /// q.send(2, b"defg")?;
    /// let st = q.stat()?;
    /// assert_eq!((st.messages, st.bytes), (2, 7));
    /// assert!(st.perm.key.is_private());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgctl")]
    #[doc(alias = "IPC_STAT")]
    pub fn stat(&self) -> Result<MsgQueueStat> {
        during(&"MsgQueue::stat", Object::MsgQueue(self.id), || {
            self.raw_stat().map(|d| MsgQueueStat::from(&d))
        })
    }

    fn raw_stat(&self) -> Result<msqid64_ds> {
        let mut ds = msqid64_ds::default();
        // SAFETY: IPC_STAT writes one msqid64_ds, and `ds` is a live, owned one.
        let r = unsafe { self.backend.msgctl(self.id, abi::IPC_STAT, ptr(&mut ds)) };
        self.check(Call::Msgctl, r)?;
        Ok(ds)
    }

    /// `IPC_SET` of `ds` as it is.
    fn ipc_set(&self, ds: &mut msqid64_ds) -> Result<()> {
        // SAFETY: IPC_SET reads one msqid64_ds, and `ds` is a live, exclusively
        // borrowed one.
        let r = unsafe { self.backend.msgctl(self.id, abi::IPC_SET, ptr(ds)) };
        self.check(Call::Msgctl, r).map(drop)
    }

    /// Read-modify-write: `IPC_SET` of what `IPC_STAT` reports, changed by `change`.
    fn set(&self, change: impl FnOnce(&mut msqid64_ds)) -> Result<()> {
        let mut ds = match self.raw_stat() {
            Ok(ds) => ds,
            Err(e) if e.errno() == Some(abi::Errno::ACCES) => return Err(self.unreadable(e)),
            Err(e) => return Err(e),
        };
        change(&mut ds);
        self.ipc_set(&mut ds)
    }

    /// The error of a read-modify-write whose `IPC_STAT` was refused (`stat_error`,
    /// `EACCES`): `EPERM` if the kernel would refuse the caller's `IPC_SET` anyway (it
    /// neither owns nor created the queue, nor is privileged), as it does for a
    /// caller that may read; otherwise `stat_error`.
    ///
    /// It asks the kernel with an `IPC_SET` that changes nothing whoever calls it:
    /// `msgctl_down` checks ownership (`EPERM`), then `msg_qbytes` against `msgmnb`
    /// (0 passes), then `ipc_update_perm` refuses uid and gid `(uid_t)-1`, which no
    /// user namespace maps (`EINVAL`), before anything is stored.
    fn unreadable(&self, stat_error: Error) -> Error {
        let mut probe = msqid64_ds::default();
        probe.msg_perm.uid = u32::MAX;
        probe.msg_perm.gid = u32::MAX;
        match self.ipc_set(&mut probe) {
            Err(e) if e.errno() == Some(abi::Errno::PERM) => e,
            _ => stat_error,
        }
    }

    /// `msgctl(msqid, IPC_SET, buf)` — changes owner and mode, keeping `msg_qbytes`.
    ///
    /// `IPC_SET` on a queue also sets `msg_qbytes`, so this reads it first
    /// (`IPC_STAT`), which needs read permission. The owner of a queue whose mode
    /// refuses it reading (`0o000`, `0o200`) uses
    /// [`MsgQueue::set_owner_and_max_bytes`], which reads nothing.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the caller is neither the owner, nor the
    ///   creator, nor privileged (`EPERM`, also when it may not read the queue); or
    ///   it may change the queue but not read it (`EACCES`, from the `IPC_STAT`);
    /// - [`ErrorKind::InvalidArgument`]: the queue is gone, or a uid/gid has no
    ///   mapping in the caller's user namespace (`EINVAL`).
    ///
    /// # References
    ///
    /// msgctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Owner, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let perm = q.stat()?.perm;
    /// // Keep the owner, let the group read too.
    /// q.set_owner(Owner { uid: perm.uid, gid: perm.gid, mode: Mode::new(0o640) })?;
    /// assert_eq!(q.stat()?.perm.mode, Mode::new(0o640));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgctl")]
    #[doc(alias = "IPC_SET")]
    pub fn set_owner(&self, owner: Owner) -> Result<()> {
        during(&"MsgQueue::set_owner", Object::MsgQueue(self.id), || {
            self.set(|ds| owner.apply(&mut ds.msg_perm))
        })
    }

    /// `msgctl(msqid, IPC_SET, buf)` with a new `msg_qbytes`: the most bytes of text
    /// the queue holds (also the most messages, as the kernel counts both against it).
    /// Owner and mode stay.
    ///
    /// `IPC_SET` also sets owner and mode, so this reads them first (`IPC_STAT`),
    /// which needs read permission; see [`MsgQueue::set_owner_and_max_bytes`] for a
    /// caller without it.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: raising above `msgmnb` without
    ///   `CAP_SYS_RESOURCE` (`EPERM`); otherwise as [`MsgQueue::set_owner`].
    ///
    /// # References
    ///
    /// msgctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// q.set_max_bytes(10)?; // lowering needs no privilege
    /// assert_eq!(q.stat()?.max_bytes, 10);
    /// q.try_send(1, b"0123456789")?;
    /// assert_eq!(q.try_send(1, b"x").unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgctl")]
    #[doc(alias = "IPC_SET")]
    pub fn set_max_bytes(&self, max_bytes: u64) -> Result<()> {
        during(
            &"MsgQueue::set_max_bytes",
            Object::MsgQueue(self.id),
            || self.set(|ds| ds.msg_qbytes = max_bytes),
        )
    }

    /// `msgctl(msqid, IPC_SET, buf)` with `buf` made of `owner` and `max_bytes` alone:
    /// everything `IPC_SET` takes for a queue, so nothing is read first.
    ///
    /// The one form that works for an owner whose mode refuses it reading the queue
    /// (`0o000`, `0o200`), as the kernel allows, and the one that cannot undo a
    /// concurrent change of the other half (the read-modify-write forms
    /// [`MsgQueue::set_owner`] and [`MsgQueue::set_max_bytes`] can).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::PermissionDenied`]: the caller is neither the owner, nor the
    ///   creator, nor privileged, or raises `max_bytes` above `msgmnb` without
    ///   `CAP_SYS_RESOURCE` (`EPERM`);
    /// - [`ErrorKind::InvalidArgument`]: the queue is gone, or a uid/gid has no
    ///   mapping in the caller's user namespace (`EINVAL`).
    ///
    /// # References
    ///
    /// msgctl(2).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Owner, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let perm = q.stat()?.perm;
    /// // Write-only for the owner (no read), and at most 100 bytes queued.
    /// q.set_owner_and_max_bytes(Owner { uid: perm.uid, gid: perm.gid, mode: Mode::new(0o200) }, 100)?;
    /// // Still the owner's to change, unreadable or not.
    /// q.set_owner_and_max_bytes(Owner { uid: perm.uid, gid: perm.gid, mode: Mode::OWNER_RW }, 200)?;
    /// let st = q.stat()?;
    /// assert_eq!((st.perm.mode, st.max_bytes), (Mode::OWNER_RW, 200));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "msgctl")]
    #[doc(alias = "IPC_SET")]
    pub fn set_owner_and_max_bytes(&self, owner: Owner, max_bytes: u64) -> Result<()> {
        during(
            &"MsgQueue::set_owner_and_max_bytes",
            Object::MsgQueue(self.id),
            || {
                let mut ds = msqid64_ds {
                    msg_qbytes: max_bytes,
                    ..msqid64_ds::default()
                };
                owner.apply(&mut ds.msg_perm);
                self.ipc_set(&mut ds)
            },
        )
    }
}

impl<B: Backend> Removable for MsgQueue<B> {
    /// `msgctl(msqid, IPC_RMID, NULL)` — removes the queue and every message on it;
    /// blocked senders and receivers wake with `Removed`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable};
    ///
    /// let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?;
    /// q.send(1, b"lost with the queue")?;
    /// q.remove()?;
    /// assert_eq!(q.stat().unwrap_err().kind(), ErrorKind::InvalidArgument); // the id is gone
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    fn remove(&self) -> Result<()> {
        during(&"MsgQueue::remove", Object::MsgQueue(self.id), || {
            // SAFETY: IPC_RMID reads and writes no buffer.
            let r = unsafe {
                self.backend
                    .msgctl(self.id, abi::IPC_RMID, core::ptr::null_mut())
            };
            self.check(Call::Msgctl, r).map(drop)
        })
    }
}

fn ptr<T>(t: &mut T) -> *mut core::ffi::c_void {
    (t as *mut T).cast()
}

fn encode(sel: Selector) -> Result<(i64, i32)> {
    sel.encode().ok_or(
        Error::new(ErrorKind::InvalidArgument)
            .because("a selector's type is 1 or more (Type(0) would be Any, a negative one UpTo)"),
    )
}

/// Why a send with `mtype < 1` is refused.
const MTYPE_BELOW_1: &str = "mtype 0 is not a message type (it must be 1 or more)";

/// Room for a message of [`DEFAULT_MSGMAX`] bytes and one more byte, which only a
/// longer message (where `kernel.msgmax` was raised) fills.
const WHOLE: usize = DEFAULT_MSGMAX + 1;

/// A message received whole as `text` (or, with `more`, its first `text.len()`
/// bytes): a `T` if it is exactly one, otherwise the report of a poison message.
fn typed<T: FromBytes>(mtype: i64, text: &[u8], more: bool) -> Typed<T> {
    let poison = Poison {
        mtype,
        size: text.len(),
        more,
    };
    if more || text.len() != size_of::<T>() {
        return Typed::Other(poison);
    }
    match T::read_from_bytes(text) {
        Ok(value) => Typed::Value { mtype, value },
        // `text` holds the `len` bytes received, so this does not happen.
        Err(_) => Typed::Other(poison),
    }
}

fn buffer_too_small(e: Error, capacity: usize) -> Error {
    match e.kind() {
        ErrorKind::BufferTooSmall => e.with_sizes(None, capacity as u64),
        _ => e,
    }
}

/// The namespace's live `msgmax`, from `msgctl(0, IPC_INFO)`.
pub(crate) fn live_msgmax<B: Backend>(backend: &B) -> Option<usize> {
    let mut info = msginfo::default();
    // SAFETY: IPC_INFO writes one msginfo, and `info` is a live, owned one.
    let r = unsafe { backend.msgctl(0, abi::IPC_INFO, ptr(&mut info)) };
    r.ok()?;
    usize::try_from(info.msgmax).ok()
}
