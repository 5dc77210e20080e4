//! Slots on loan: a producer fills its claimed slot in place and publishes it; the
//! consumer reads published slots in place and hands them back. No value passes
//! through a stack temporary, so an `Mpsc` of 4 MiB values works in a thread with
//! a 64 KiB stack.
//!
//! A producer claims one position at a time (the layout's "Publish / cancel"), so a
//! [`WriteLoan`] is one slot; dropped without [`commit`](WriteLoan::commit), its
//! claim is *cancelled*: the consumer skips it, nothing is delivered, and it is not
//! counted as abandoned (only a claim whose producer died is). A [`ReadLoan`] is any
//! number of published values, as a queue's.
//!
//! A slot on loan is this side's alone: the protocol keeps every other producer and
//! the consumer away from a claimed slot until its publish, and the producers away
//! from a published one until its release. So the loan's accesses race with
//! nothing in this process, and its whole-value copies ([`WriteLoan::write`],
//! [`ReadLoan::read_into`]: word by word) may touch the same bytes as its views'
//! narrower cells without being the mixed-size race that
//! [`Shm::view`](crate::Shm::view) has to rule out. A peer process that breaks the
//! protocol and writes a slot anyway gives wrong values, never undefined
//! behaviour: every access is atomic and every bit pattern is valid; that is why
//! the consumer's views are load-only.

use core::fmt;
use core::time::Duration;

use super::{Env, Receiver, Sender, consumer_wake, corrupt, error};
use crate::error::during;
use crate::layout::{ShmType, load_words, store_words, value_view};
use crate::role::Handle;
use crate::view::{ShmView, ViewCell};
use crate::{Backend, ErrorKind, Result};

/// The slot claimed by [`Sender::loan`]: write it in place through its view
/// ([`slot`](Self::slot)) or whole ([`write`](Self::write)), then
/// [`commit`](Self::commit) it. Dropped without a commit, the claim is cancelled:
/// the consumer skips the position, nothing is delivered, and it is not counted as
/// abandoned.
///
/// A claimed slot holds whatever was there (an older value, a cancelled one's
/// bytes, or zeros): store every field the consumer will read.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::Ordering::Relaxed;
/// use sysv_ipc::mpsc::Mpsc;
/// use sysv_ipc::{Intent, Key, Mode, Removal, ShmType, ShmView, type_id};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
/// #[repr(C)]
/// struct Frame { seq: u64, pixels: [u8; 64 * 1024] }
/// impl ShmType for Frame { const TYPE_ID: u64 = type_id("doc::mpsc::Frame v1"); }
///
/// let m = Removal::new(Mpsc::<Frame, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = m.consumer()?;
/// let mut tx = m.producer()?;
/// let loan = tx.loan()?; // one slot, claimed, in place
/// loan.slot().seq().store(7, Relaxed);
/// loan.slot().pixels().set(100, 0xff).unwrap();
/// loan.commit();
///
/// let loan = rx.loan(1)?;
/// assert_eq!(loan.slot(0).map(|f| f.seq().load(Relaxed)), Some(7));
/// assert_eq!(loan.slot(0).and_then(|f| f.pixels().get(100)), Some(0xff));
/// assert_eq!(loan.release_all(), 1);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[must_use = "a loan publishes nothing until it is committed; dropped, its claim is cancelled"]
pub struct WriteLoan<'s, T: ShmType + ShmView, const N: usize, B: Backend> {
    sender: &'s mut Sender<T, N, B>,
    /// The claimed slot's view, made once at the claim (so `slot` has no failure
    /// left to report).
    view: &'s T::View,
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> fmt::Debug for WriteLoan<'_, T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteLoan")
            .field("seat", &self.sender.ring.index())
            .finish_non_exhaustive()
    }
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> WriteLoan<'_, T, N, B> {
    /// The view of the claimed slot, to write in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// let loan = tx.loan()?;
    /// loan.slot().store(42, Relaxed);
    /// loan.commit();
    /// assert_eq!(rx.recv()?, Some(42));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn slot(&self) -> &T::View {
        self.view
    }

    /// Writes all of `value` into the claimed slot (word by word, no temporary):
    /// for a value already made elsewhere (a `Box`, a buffer).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<[u64; 512], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// let value = Box::new([9u64; 512]);
    /// let loan = tx.loan()?;
    /// loan.write(&value);
    /// loan.commit();
    /// let mut out = [[0; 512]];
    /// assert_eq!(rx.recv_into(&mut out)?, 1);
    /// assert_eq!(out[0], *value);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write(&self, value: &T) {
        // The claimed slot holds a whole `T` (the ring was built over slots of
        // `words_for(size_of::<T>())` words), so the copy always fits.
        store_words(self.sender.ring.reserved(), value.as_bytes());
    }

    /// Publishes the claimed slot and wakes a parked consumer. From a forked
    /// child's copy of a loan (the claim is its parent's), it publishes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// let loan = tx.loan()?;
    /// loan.write(&5);
    /// assert_eq!(rx.recv()?, None); // claimed, not yet published
    /// loan.commit();
    /// assert_eq!(rx.recv()?, Some(5));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn commit(self) {
        let s = &mut *self.sender;
        if s.role.holder().is_ok() {
            // The wake's post is the only call: a set removed meanwhile is the
            // consumer's semop to report, and the value is published anyway.
            s.ring.commit(&mut s.role.wake(s.lane.wake));
        }
        // The drop that follows finds no claim and stores nothing.
    }
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> Drop for WriteLoan<'_, T, N, B> {
    fn drop(&mut self) {
        let s = &mut *self.sender;
        // A forked child's copy leaves its parent's claim alone.
        if s.role.holder().is_ok() {
            s.ring.cancel(&mut s.role.wake(s.lane.wake));
        }
    }
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> Sender<T, N, B> {
    /// Claims the next position without blocking and lends its slot, to be
    /// written in place and published by [`WriteLoan::commit`]: nothing passes
    /// through a stack temporary, whatever the size of `T`. One slot: a producer
    /// claims one position at a time.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when full (as [`send`](Self::send));
    /// [`ErrorKind::WrongProcess`] in a forked child; [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// drop(tx.loan()?); // cancelled: the consumer skips it
    /// assert_eq!((rx.recv()?, rx.abandoned()), (None, 0));
    /// tx.loan()?.commit();
    /// assert_eq!(tx.loan().unwrap_err().kind(), ErrorKind::WouldBlock); // full
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan(&mut self) -> Result<WriteLoan<'_, T, N, B>> {
        self.role.now(
            &mut *self.ring,
            &"Sender::loan",
            self.lane.wake,
            |rp, _| match rp.reserve().map_err(corrupt)? {
                true => Ok(()),
                false => Err(error(ErrorKind::WouldBlock)),
            },
        )?;
        self.lent(&"Sender::loan")
    }

    /// [`loan`](Self::loan), spinning and then parking while the queue is full
    /// as [`send_blocking`](Self::send_blocking) does.
    ///
    /// # Errors
    ///
    /// As `send_blocking`: [`ErrorKind::PeerDied`] when the consumer died holding
    /// its role; [`ErrorKind::Interrupted`] (only after
    /// [`set_interruptible(true)`](Self::set_interruptible));
    /// [`ErrorKind::WrongProcess`]; [`ErrorKind::Corrupt`]; the semaphores' errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// let mut tx = m.producer()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || {
    ///         for v in 0..10 {
    ///             let loan = tx.loan_blocking().unwrap(); // waits for room
    ///             loan.write(&v);
    ///             loan.commit();
    ///         }
    ///     });
    ///     for want in 0..10 {
    ///         assert_eq!(rx.recv_blocking().unwrap(), want);
    ///     }
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_blocking(&mut self) -> Result<WriteLoan<'_, T, N, B>> {
        self.reserve_wait(&"Sender::loan_blocking", None)
    }

    /// [`loan_blocking`](Self::loan_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] when the queue stayed full for `timeout`, as
    /// [`send_timeout`](Self::send_timeout).
    ///
    /// # Errors
    ///
    /// As `loan_blocking`, and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = m.producer()?;
    /// tx.loan_timeout(Duration::from_millis(10))?.commit(); // room
    /// let e = tx.loan_timeout(Duration::from_millis(10)).unwrap_err(); // full
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_timeout(&mut self, timeout: Duration) -> Result<WriteLoan<'_, T, N, B>> {
        self.reserve_wait(&"Sender::loan_timeout", Some(timeout))
    }

    fn reserve_wait(
        &mut self,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<WriteLoan<'_, T, N, B>> {
        self.role.wait(
            &mut *self.ring,
            self.lane,
            name,
            timeout,
            |rp, spins, park| rp.reserve_blocking(spins, park),
            // Room the dead consumer made before it died, as in `send_wait`.
            |rp, _, died| match rp.reserve() {
                Ok(true) => Ok(()),
                Ok(false) => Err(died),
                Err(c) => Err(corrupt(c)),
            },
        )?;
        self.lent(name)
    }

    /// The loan of the slot just claimed.
    fn lent(&mut self, name: &'static &'static str) -> Result<WriteLoan<'_, T, N, B>> {
        // `reserved` is a view of the role's own mapping (see
        // `Mpsc::ring_unbounded`), which the loan's borrow of `self` keeps.
        let words = self.ring.reserved();
        match value_view::<T>(words) {
            Some(view) => Ok(WriteLoan { sender: self, view }),
            None => {
                // Never: a claimed slot holds a whole `T`. Give the claim back
                // rather than leave the consumer waiting on it.
                self.ring.cancel(&mut self.role.wake(self.lane.wake));
                during(name, self.role.handle().object(), || {
                    Err(error(ErrorKind::Corrupt))
                })
            }
        }
    }
}

/// Published values lent by [`Receiver::loan`]: read them in place through their
/// load-only views ([`slot`](Self::slot)) or whole
/// ([`read_into`](Self::read_into)), then [`release`](Self::release) them. Dropped
/// without a release, it consumes nothing: the next receive or loan sees the same
/// values again.
///
/// # Examples
///
/// ```
/// use sysv_ipc::mpsc::Mpsc;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let m = Removal::new(Mpsc::<[u32; 4], 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut rx = m.consumer()?;
/// m.producer()?.send_slice(&[[1, 2, 3, 4], [5, 6, 7, 8]])?;
/// let loan = rx.loan(8)?;
/// // One element of each value, read where it lies.
/// let thirds: Vec<u32> = loan.iter().filter_map(|v| v.get(2)).collect();
/// assert_eq!(thirds, [3, 7]);
/// assert_eq!(loan.release(1), 1); // the second stays in the queue
/// assert_eq!(rx.recv()?, Some([5, 6, 7, 8]));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[must_use = "a loan consumes nothing until it is released"]
pub struct ReadLoan<'r, T: ShmType, const N: usize, B: Backend> {
    receiver: &'r mut Receiver<T, N, B>,
    len: usize,
}

impl<T: ShmType, const N: usize, B: Backend> fmt::Debug for ReadLoan<'_, T, N, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadLoan")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T: ShmType, const N: usize, B: Backend> ReadLoan<'_, T, N, B> {
    /// How many values are on loan (0 when none was there).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send_slice(&[1, 2, 3])?;
    /// assert_eq!(rx.loan(2)?.len(), 2); // at most what was asked for
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no value is on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// assert!(rx.loan(4)?.is_empty());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies all of value `i` into `out` (word by word, no temporary): for a
    /// consumer that wants the whole value in its own memory. `false` (and `out`
    /// untouched) if `i` is not on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<[u8; 100], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send([3; 100]).unwrap();
    /// let loan = rx.loan(1)?;
    /// let mut out = Box::new([0; 100]);
    /// assert!(loan.read_into(0, &mut out));
    /// assert!(!loan.read_into(1, &mut out)); // not on loan
    /// assert_eq!(*out, [3; 100]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_into(&self, i: usize, out: &mut T) -> bool {
        i < self.len && load_words(self.receiver.ring.peeked(i), out.as_mut_bytes())
    }

    /// Hands the first `n` values of the loan (at most [`len`](Self::len)) back to
    /// the producers and wakes parked ones. The rest stay in the queue, first in
    /// line. Returns how many were released.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send_slice(&[1, 2, 3])?;
    /// assert_eq!(rx.loan(3)?.release(1), 1);
    /// assert_eq!((rx.recv()?, rx.recv()?, rx.recv()?), (Some(2), Some(3), None));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn release(self, n: usize) -> usize {
        let r = self.receiver;
        let p = r.p();
        let mut wake = r.role.wake(consumer_wake(p));
        let mut env = Env {
            inner: &mut wake,
            sems: r.role.handle().sems(),
            view: r.view,
            p,
        };
        r.ring.release(n.min(self.len), &mut env)
    }

    /// [`release`](Self::release) of every value on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send_slice(&[1, 2])?;
    /// assert_eq!(rx.loan(4)?.release_all(), 2);
    /// assert_eq!(rx.recv()?, None);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn release_all(self) -> usize {
        let n = self.len;
        self.release(n)
    }
}

impl<T: ShmType + ShmView, const N: usize, B: Backend> ReadLoan<'_, T, N, B> {
    /// The load-only view of value `i` of the loan (`i < len()`), read in place.
    /// Load-only because a producer that breaks the protocol may still write the
    /// slot; loads through it may be `Relaxed` (the loan's acquire of the slot's
    /// publish already ordered the value before them).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send(9).unwrap();
    /// let loan = rx.loan(4)?;
    /// assert_eq!(loan.slot(0).map(|v| v.load(Relaxed)), Some(9));
    /// assert!(loan.slot(1).is_none());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn slot(&self, i: usize) -> Option<&T::ReadView> {
        if i >= self.len {
            return None;
        }
        value_view::<T>(self.receiver.ring.peeked(i)).map(ViewCell::as_read)
    }

    /// The views of the values on loan, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// m.producer()?.send_slice(&[1, 2, 3])?;
    /// let loan = rx.loan(4)?;
    /// assert_eq!(loan.iter().map(|v| v.load(Relaxed)).sum::<u64>(), 6);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &T::ReadView> + '_ {
        (0..self.len).filter_map(|i| self.slot(i))
    }
}

impl<T: ShmType, const N: usize, B: Backend> Receiver<T, N, B> {
    /// Lends up to `max` published values, without blocking, to be read in place
    /// and handed back by [`ReadLoan::release`]: nothing passes through a stack
    /// temporary, whatever the size of `T`. An empty loan when none is there (or
    /// the next position is claimed by a producer still writing it); to wait for
    /// one first, [`wait_blocking`](Self::wait_blocking). Skips abandoned claims
    /// on the way, as [`recv`](Self::recv).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongProcess`] in a forked child; [`ErrorKind::Corrupt`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::mpsc::Mpsc;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let m = Removal::new(Mpsc::<[u64; 1024], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = m.consumer()?;
    /// assert!(rx.loan(1)?.is_empty());
    /// let mut tx = m.producer()?;
    /// tx.loan()?.slot().set(1000, 6).unwrap();
    /// // Dropped without a commit: cancelled, skipped, nothing lent.
    /// assert!(rx.loan(1)?.is_empty());
    /// let loan = tx.loan()?;
    /// loan.slot().set(1000, 7).unwrap();
    /// loan.commit();
    /// let loan = rx.loan(1)?;
    /// assert_eq!(loan.slot(0).and_then(|v| v.get(1000)), Some(7)); // one word of 1024
    /// loan.release_all();
    /// assert_eq!(rx.abandoned(), 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan(&mut self, max: usize) -> Result<ReadLoan<'_, T, N, B>> {
        let p = self.p();
        let (sems, view) = (self.role.handle().sems(), self.view);
        let len = self.role.now(
            &mut self.ring,
            &"Receiver::loan",
            consumer_wake(p),
            |c, wake| {
                let mut env = Env {
                    inner: wake,
                    sems,
                    view,
                    p,
                };
                c.peek(max, &mut env).map_err(corrupt)
            },
        )?;
        Ok(ReadLoan {
            receiver: self,
            len,
        })
    }
}

/// Loans over the mock's memory: what Miri checks (alignment, bounds and
/// provenance of the views made from a slot's words); the kernel tests are in
/// `tests/mpsc.rs`.
#[cfg(all(test, not(loom)))]
mod tests {
    use core::sync::atomic::Ordering::Relaxed;

    use sysv_ipc_mock::Mock;

    use crate::mpsc::Mpsc;
    use crate::view::ReadCell;
    use crate::{Intent, Key, Mode};

    static KERNEL: Mock = Mock::new();

    #[test]
    fn loans_over_mock_memory() {
        let m = Mpsc::<[u64; 3], 4, &Mock>::create_in(
            &KERNEL,
            Key::PRIVATE,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let mut rx = m.consumer().unwrap();
        let mut tx = m.producer().unwrap();
        for round in 0..3u64 {
            for i in 0..4u64 {
                let loan = tx.loan().unwrap();
                loan.slot().write_range(0..3, &[round, i, !round]).unwrap();
                if i == 0 {
                    drop(loan); // cancelled: skipped
                } else {
                    loan.commit();
                }
            }
            let loan = rx.loan(8).unwrap();
            assert_eq!(loan.len(), 3);
            let mut out = [0u64; 3];
            for (i, slot) in loan.iter().enumerate() {
                slot.load_into(&mut out, Relaxed);
                assert_eq!(out, [round, i as u64 + 1, !round]);
            }
            assert_eq!(loan.release_all(), 3);
        }
        assert_eq!(rx.abandoned(), 0);
        drop((tx, rx));
        crate::Removable::remove(&m).unwrap();
    }
}
