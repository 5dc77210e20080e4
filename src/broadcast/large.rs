//! Values of any size, with no `T` on the stack: the writer sends from the
//! caller's memory ([`Writer::send_slice`]) or fills slots in place through a
//! [`WriteLoan`]; a reader copies straight into the caller's memory
//! ([`Reader::recv_into`]) or reads in place through a load-only view
//! ([`Reader::recv_view`]), and waits for a value without taking it
//! ([`Reader::wait_blocking`]). A `Broadcast<Frame, 8>` of 4 MiB frames works in a
//! thread with a 64 KiB stack.
//!
//! A reader's in-place read is validated after it, as every read of a
//! broadcast is: a lossy writer may overwrite a slot while a reader reads it, so
//! what [`recv_view`](Reader::recv_view)'s closure saw is thrown away (the call
//! reports [`ErrorKind::Lagged`]) unless the slot still held the same message
//! afterwards. The closure sees valid values either way (every access is
//! atomic, every bit pattern valid): compute in it, act on its result.

use core::fmt;
use core::time::Duration;

use super::{
    DeadReaders, Fan, Reader, WRITER_WAKE, Writer, closed, corrupt, read_error, wait_error,
};
use crate::error::during;
use crate::layout::broadcast::ReadError;
use crate::layout::{ShmType, load_words, store_words, value_view};
use crate::park::Lane;
use crate::role::Handle;
use crate::view::{ShmView, ViewCell};
use crate::{Backend, ErrorKind, Result};

/// Slots lent by [`Writer::loan`]: write them in place through their views
/// ([`slot`](Self::slot)) or whole ([`write`](Self::write)), then
/// [`commit`](Self::commit) them. Dropped without a commit, it publishes nothing
/// (readers take the slots for messages still being written until the next
/// send).
///
/// A slot holds whatever was there (an older message, or zeros): store every
/// field the readers will read.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::Ordering::Relaxed;
/// use sysv_ipc::broadcast::{Broadcast, Start};
/// use sysv_ipc::{Intent, Key, Mode, Removal, ShmType, ShmView, type_id};
/// use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
/// #[repr(C)]
/// struct Frame { seq: u64, pixels: [u8; 64 * 1024] }
/// impl ShmType for Frame { const TYPE_ID: u64 = type_id("doc::Frame v1"); }
///
/// let bc = Removal::new(Broadcast::<Frame, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = bc.reader(Start::Newest)?;
/// let mut tx = bc.writer()?;
/// let loan = tx.loan(1)?;
/// let frame = loan.slot(0).unwrap();
/// frame.seq().store(7, Relaxed);
/// frame.pixels().set(0, 0xff).unwrap();
/// assert_eq!(loan.commit_all(), 1);
///
/// let mut got = Frame::new_box_zeroed().expect("64 KiB of heap");
/// assert_eq!(rx.recv_into(core::slice::from_mut(&mut *got))?, 1);
/// assert_eq!((got.seq, got.pixels[0]), (7, 0xff));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[must_use = "a loan publishes nothing until it is committed"]
pub struct WriteLoan<'w, T: ShmType, const N: usize, B: Backend> {
    writer: &'w mut Writer<T, N, B>,
    len: usize,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for WriteLoan<'_, T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteLoan")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> WriteLoan<'_, T, N, B> {
    /// How many slots are on loan (0 when a lossless broadcast was full).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::Broadcast;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = bc.writer()?;
    /// assert_eq!(tx.loan(9)?.len(), 4); // at most N
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is on loan (a lossless broadcast was full).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u32, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let _rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// assert_eq!(tx.send_slice(&[1, 2])?, 2);
    /// assert!(tx.loan(1)?.is_empty()); // the reader has read neither
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The view of slot `i` of the loan (`i < len()`), to write in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// let loan = tx.loan(1)?;
    /// loan.slot(0).unwrap().store(42, Relaxed);
    /// assert!(loan.slot(1).is_none()); // only one on loan
    /// loan.commit_all();
    /// assert_eq!(rx.recv()?, Some(42));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn slot(&self, i: usize) -> Option<&T::View> {
        if i >= self.len {
            return None;
        }
        value_view::<T>(self.writer.ring.reserved(i))
    }

    /// Stores `value` whole into slot `i` of the loan, straight from the caller's
    /// memory; `false` (nothing stored) unless `i < len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<[u32; 3], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// let loan = tx.loan(2)?;
    /// assert!(loan.write(0, &[1, 2, 3]) && loan.write(1, &[4, 5, 6]));
    /// assert!(!loan.write(2, &[0; 3]));
    /// assert_eq!(loan.commit(1), 1); // the second is not sent
    /// assert_eq!((rx.recv()?, rx.recv()?), (Some([1, 2, 3]), None));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write(&self, i: usize, value: &T) -> bool {
        i < self.len && store_words(self.writer.ring.reserved(i), value.as_bytes())
    }

    /// Sends the first `n` slots of the loan (at most `len()`) to every reader,
    /// in one index store; returns how many. The rest are not sent.
    ///
    /// # Examples
    ///
    /// See [`write`](Self::write).
    pub fn commit(self, n: usize) -> usize {
        let Writer { ring, role, .. } = self.writer;
        // The wakes' posts are the only calls here: a set removed meanwhile is
        // each reader's semop to report, and the messages are sent anyway.
        ring.commit(
            n.min(self.len),
            &mut Fan {
                sems: role.handle().sems(),
            },
        )
    }

    /// Sends every slot of the loan: [`commit`](Self::commit)`(len())`.
    ///
    /// # Examples
    ///
    /// See [`WriteLoan`].
    pub fn commit_all(self) -> usize {
        let n = self.len;
        self.commit(n)
    }
}

impl<T: ShmType, const N: usize, B: Backend> Writer<T, N, B> {
    /// Sends `values` in order without blocking, straight from the caller's
    /// memory (no `T` on the stack, whatever its size); returns how many: all of
    /// them up to `N` when lossy, as many as the slowest live reader has room for
    /// when lossless.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// assert_eq!(tx.send_slice(&[1, 2, 3])?, 3);
    /// let mut out = [0; 8];
    /// assert_eq!(rx.recv_into(&mut out)?, 3);
    /// assert_eq!(out[..3], [1, 2, 3]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn send_slice(&mut self, values: &[T]) -> Result<usize> {
        let sems = self.role.handle().sems();
        self.role.now(
            &mut self.ring,
            &"Writer::send_slice",
            WRITER_WAKE,
            |ring, _| {
                ring.push(
                    values.len(),
                    |i, slot| {
                        if let Some(v) = values.get(i) {
                            store_words(slot, v.as_bytes());
                        }
                    },
                    &mut Fan { sems },
                )
                .map_err(corrupt)
            },
        )
    }
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> Writer<T, N, B> {
    /// Lends up to `max` slots (at most `N`), without blocking, to be written in
    /// place and sent by [`WriteLoan::commit`]: nothing passes through a stack
    /// temporary, whatever the size of `T`. An empty loan when a lossless
    /// broadcast is full.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// See [`WriteLoan`].
    pub fn loan(&mut self, max: usize) -> Result<WriteLoan<'_, T, N, B>> {
        let len = self
            .role
            .now(&mut self.ring, &"Writer::loan", WRITER_WAKE, |ring, _| {
                ring.reserve(max).map_err(corrupt)
            })?;
        Ok(WriteLoan { writer: self, len })
    }

    /// [`loan`](Self::loan) of between 1 and `max` slots, waiting (lossless) while
    /// the slowest live reader is `N` behind, as
    /// [`send_blocking`](Self::send_blocking) does. `max == 0` lends nothing at
    /// once.
    ///
    /// # Errors
    ///
    /// As [`send_blocking`](Self::send_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || {
    ///         for v in 0..10 {
    ///             let loan = tx.loan_blocking(1).unwrap(); // waits for the reader
    ///             assert!(loan.write(0, &v));
    ///             loan.commit_all();
    ///         }
    ///     });
    ///     for want in 0..10 {
    ///         assert_eq!(rx.recv_blocking().unwrap(), want);
    ///     }
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_blocking(&mut self, max: usize) -> Result<WriteLoan<'_, T, N, B>> {
        self.loan_wait(max, &"Writer::loan_blocking", None)
    }

    /// [`loan_blocking`](Self::loan_blocking) for at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`loan_blocking`](Self::loan_blocking), and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
    /// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    /// let bc = Removal::new(Broadcast::<u64, 2, _>::create_with(DefaultBackend::default(), Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW, o)?);
    /// let _rx = bc.reader(Start::Newest)?; // reads nothing
    /// let mut tx = bc.writer()?;
    /// tx.send_slice(&[1, 2])?;
    /// let e = tx.loan_timeout(1, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_timeout(
        &mut self,
        max: usize,
        timeout: Duration,
    ) -> Result<WriteLoan<'_, T, N, B>> {
        self.loan_wait(max, &"Writer::loan_timeout", Some(timeout))
    }

    fn loan_wait(
        &mut self,
        max: usize,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<WriteLoan<'_, T, N, B>> {
        let lane = Lane {
            own: WRITER_WAKE,
            wake: WRITER_WAKE,
            peer: DeadReaders {
                layout: self.layout,
                lines: self.lines,
            },
        };
        let len = self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |ring, spins, park| ring.reserve_blocking(max, spins, park).map_err(wait_error),
            // `DeadReaders` never reports a death.
            |_, _, died| Err(died),
        )?;
        Ok(WriteLoan { writer: self, len })
    }
}

impl<T: ShmType, const N: usize, B: Backend> Reader<T, N, B> {
    /// Receives up to `out.len()` values without blocking, each copied straight
    /// from its slot into `out` (no `T` on the stack, whatever its size) and
    /// validated; returns how many, 0 if the writer has sent nothing new.
    ///
    /// A gap met after some values were received ends the call with them, and
    /// the next call reports it ([`ErrorKind::Lagged`]); `out` past the count may
    /// hold bytes of a read that was thrown away.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// tx.send_slice(&[1, 2, 3, 4])?;
    /// tx.send_slice(&[5, 6])?; // lossy: 1 and 2 are overwritten
    /// let mut out = [0; 8];
    /// let e = rx.recv_into(&mut out).unwrap_err();
    /// assert_eq!((e.kind(), e.missed()), (ErrorKind::Lagged, Some(2)));
    /// assert_eq!(rx.recv_into(&mut out)?, 4);
    /// assert_eq!(out[..4], [3, 4, 5, 6]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_into(&mut self, out: &mut [T]) -> Result<usize> {
        if self.lag != 0 {
            return during(&"Reader::recv_into", self.role.handle().object(), || {
                Err(self.take_lag())
            });
        }
        let mut lag = 0;
        let r = self.role.now(
            &mut self.ring,
            &"Reader::recv_into",
            WRITER_WAKE,
            |ring, park| {
                // Each value is validated right after its copy, before it counts;
                // one cursor store for the batch.
                let max = out.len();
                let (n, stop) = ring.pop_each(
                    max,
                    |i, slot| {
                        if let Some(value) = out.get_mut(i) {
                            load_words(slot, value.as_mut_bytes());
                        }
                    },
                    |_, ()| {},
                    park,
                );
                match stop {
                    Ok(()) => {}
                    Err(ReadError::Lagged(missed)) if n > 0 => lag = missed,
                    Err(e) => return Err(read_error(e)),
                }
                if n == 0 && !out.is_empty() && ring.is_finished() {
                    return Err(closed());
                }
                Ok(n)
            },
        );
        self.lag = lag;
        r
    }

    /// Runs `read` over the next value in place, through its load-only view, and
    /// returns what it returned; `None` if the writer has sent nothing new.
    /// Nothing is copied but what `read` loads.
    ///
    /// The slot is validated after `read` ran: if the writer overwrote it
    /// meanwhile (lossy), what `read` returned is thrown away and the call
    /// reports the gap ([`ErrorKind::Lagged`]), the reader moved on to the
    /// oldest value still there. So `read` may see a mix of two values (still
    /// valid values: any bits are): compute in it, act on its result.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<[u64; 1024], 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// let loan = tx.loan(1)?;
    /// loan.slot(0).unwrap().set(1000, 7).unwrap();
    /// loan.commit_all();
    /// // One word of the 8 KiB value read, in place.
    /// assert_eq!(rx.recv_view(|v| v.get(1000))?, Some(Some(7)));
    /// assert_eq!(rx.recv_view(|v| v.get(1000))?, None); // nothing new
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn recv_view<R>(&mut self, read: impl FnOnce(&T::ReadView) -> R) -> Result<Option<R>>
    where
        T: ShmView,
    {
        if self.lag != 0 {
            return during(&"Reader::recv_view", self.role.handle().object(), || {
                Err(self.take_lag())
            });
        }
        self.role.now(
            &mut self.ring,
            &"Reader::recv_view",
            WRITER_WAKE,
            |ring, park| {
                if ring.peek(1).map_err(read_error)? == 0 {
                    if ring.is_finished() {
                        return Err(closed());
                    }
                    return Ok(None);
                }
                let Some(view) = value_view::<T>(ring.peeked(0)) else {
                    return Err(error_corrupt()); // never: a slot holds a whole T
                };
                let r = read(view.as_read());
                // Validates what `read` loaded: the slot still holds the message.
                match ring.release(1, park).map_err(read_error)? {
                    1 => Ok(Some(r)),
                    _ => Err(error_corrupt()),
                }
            },
        )
    }

    /// Waits until a value is there to receive, consuming nothing: spins, then
    /// parks as [`recv_blocking`](Self::recv_blocking) does. Then
    /// [`recv_into`](Self::recv_into) or [`recv_view`](Self::recv_view) takes it,
    /// whatever the size of `T`.
    ///
    /// # Errors
    ///
    /// As [`recv_blocking`](Self::recv_blocking): [`ErrorKind::Closed`] once the
    /// writer closed the stream and everything is read, [`ErrorKind::PeerDied`],
    /// [`ErrorKind::Lagged`], [`ErrorKind::Interrupted`] (after
    /// [`set_interruptible`](Self::set_interruptible)), [`ErrorKind::Removed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    /// use zerocopy::FromZeros;
    ///
    /// type Frame = [u64; 1 << 16]; // 512 KiB
    /// let bc = Removal::new(Broadcast::<Frame, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let mut tx = bc.writer()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || {
    ///         let frame = Frame::new_box_zeroed().unwrap();
    ///         tx.send_slice(core::slice::from_ref(&*frame)).unwrap();
    ///     });
    ///     rx.wait_blocking().unwrap();
    ///     let mut got = Frame::new_box_zeroed().unwrap();
    ///     assert_eq!(rx.recv_into(core::slice::from_mut(&mut *got)).unwrap(), 1);
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn wait_blocking(&mut self) -> Result<()> {
        self.wait_for(&"Reader::wait_blocking", None)
    }

    /// [`wait_blocking`](Self::wait_blocking) for at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`wait_blocking`](Self::wait_blocking), and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::broadcast::{Broadcast, Start};
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let bc = Removal::new(Broadcast::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = bc.reader(Start::Newest)?;
    /// let e = rx.wait_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// bc.writer()?.send(1)?;
    /// rx.wait_timeout(Duration::from_millis(5))?; // there now
    /// assert_eq!(rx.recv()?, Some(1));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.wait_for(&"Reader::wait_timeout", Some(timeout))
    }

    fn wait_for(&mut self, name: &'static &'static str, timeout: Option<Duration>) -> Result<()> {
        if self.lag != 0 {
            return during(name, self.role.handle().object(), || Err(self.take_lag()));
        }
        let lane = self.lane();
        self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |ring, spins, park| {
                ring.peek_blocking(1, spins, park)
                    .map_err(wait_error)
                    .map(drop)
            },
            // What the dead writer sent before it died.
            |ring, _, died| match ring.peek(1).map_err(read_error)? {
                0 => Err(died),
                _ => Ok(()),
            },
        )
    }
}

/// A release of one value that `peek` found gave back none: impossible.
#[cold]
fn error_corrupt() -> crate::Error {
    super::error(ErrorKind::Corrupt)
}
