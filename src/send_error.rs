//! [`SendError`]: a value a sending call gave back, and why.

use core::fmt;

use crate::error::Object;
use crate::{Error, ErrorKind};

/// A value that [`Producer::enqueue`](crate::queue::Producer::enqueue),
/// [`broadcast::Writer::send`](crate::broadcast::Writer::send) or
/// [`mpsc::Sender::send`](crate::mpsc::Sender::send) (or one of their blocking
/// and timed forms) did not send, and why: full ([`ErrorKind::WouldBlock`]),
/// timed out, interrupted, the peer died, corrupt, removed. The value is never
/// lost: [`into_inner`](Self::into_inner) gives it back.
///
/// `queue::EnqueueError`, `broadcast::SendError` and `mpsc::SendError` name this
/// one type.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut tx = q.producer()?;
/// tx.enqueue_slice(&[1, 2])?;
/// let e = tx.enqueue(3).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::WouldBlock);
/// assert_eq!(e.into_inner(), 3); // the value is not lost
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub struct SendError<T> {
    error: Error,
    value: T,
}

impl<T> SendError<T> {
    /// `value`, not sent because of `error`: for code that sends through the
    /// crate's lower-level calls (the `sysv-ipc-async` futures) and reports as
    /// its sends do.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Error, ErrorKind, SendError};
    ///
    /// let e = SendError::new(Error::new(ErrorKind::PeerDied), 7u64);
    /// assert_eq!(e.kind(), ErrorKind::PeerDied);
    /// assert_eq!(e.into_inner(), 7);
    /// ```
    pub const fn new(error: Error, value: T) -> Self {
        SendError { error, value }
    }

    /// The same error, naming the operation and the object (see
    /// [`during`](crate::error::during)): only with the `error-context` feature,
    /// as every other call's errors.
    pub(crate) fn during(self, operation: &'static &'static str, object: Object) -> Self {
        #[cfg(feature = "error-context")]
        {
            SendError {
                error: self.error.during(operation).on(object),
                value: self.value,
            }
        }
        #[cfg(not(feature = "error-context"))]
        {
            let _ = (operation, object);
            self
        }
    }

    /// Why.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Call, ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue_slice(&[1, 2])?;
    /// let e = tx.enqueue(3).unwrap_err().error(); // drops the value
    /// assert_eq!((e.call(), e.kind()), (None, ErrorKind::WouldBlock)); // no system call failed
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn error(&self) -> Error {
        self.error
    }

    /// What kind of failure: `self.error().kind()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, mpsc::Mpsc};
    ///
    /// let m = Removal::new(Mpsc::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// tx.send(1)?;
    /// let e = tx.send_timeout(2, Duration::from_millis(1)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const fn kind(&self) -> ErrorKind {
        self.error.kind()
    }

    /// Whether there was no room (and the call did not wait):
    /// [`ErrorKind::WouldBlock`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let _rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// tx.send(1)?;
    /// tx.send(2)?;
    /// assert!(tx.send(3).unwrap_err().is_full()); // the reader has read neither
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_full(&self) -> bool {
        self.error.kind() == ErrorKind::WouldBlock
    }

    /// The value, back to the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<[u8; 4], 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue(*b"one ")?;
    /// // Full: keep the value for later instead of losing it.
    /// let pending = tx.enqueue(*b"two ").unwrap_err().into_inner();
    /// assert_eq!(&pending, b"two ");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<T> core::error::Error for SendError<T> {}

impl<T> From<SendError<T>> for Error {
    fn from(e: SendError<T>) -> Error {
        e.error
    }
}
