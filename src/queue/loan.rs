//! Slots on loan: the producer fills free slots in place and publishes them in one
//! index store; the consumer reads published slots in place and hands them back in
//! one index store. No value passes through a stack temporary, so a
//! `Queue<Frame, 8>` of 1 MiB frames works in a thread with a 64 KiB stack.
//!
//! A slot on loan is this side's alone: the ring's protocol keeps the peer away
//! from it until the commit (the consumer cannot see it) or the release (the
//! producer cannot reuse it). So the loan's accesses race with nothing in this
//! process, and its whole-value copies ([`WriteLoan::write`],
//! [`ReadLoan::read_into`]: word by word, near `memcpy` speed) may touch the same
//! bytes as its views' narrower cells without being the mixed-size race that
//! [`Shm::view`](crate::Shm::view) has to rule out. A peer process that breaks the
//! protocol and writes a slot anyway gives wrong values, never undefined
//! behaviour: every access is atomic and every bit pattern is valid.

use core::fmt;
use core::time::Duration;

use super::{Consumer, ITEMS, Producer, SPACE, corrupt, not_finished, popped};
use crate::layout::{ShmType, load_words, store_words, value_view};
use crate::view::{ShmView, ViewCell};
use crate::{Backend, Result};
// The docs' error kinds; the code names none since `Role` maps them.
#[cfg(doc)]
use crate::ErrorKind;

/// Free slots lent by [`Producer::loan`]: write them in place through their views
/// ([`slot`](Self::slot)) or whole ([`write`](Self::write)), then
/// [`commit`](Self::commit) them. Dropped without a commit, it publishes nothing.
///
/// A free slot holds whatever was there (an older message, or zeros): store every
/// field the consumer will read.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::Ordering::Relaxed;
/// use sysv_ipc::{Intent, Key, Mode, Removal, ShmType, ShmView, queue::Queue, type_id};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
/// #[repr(C)]
/// struct Frame { seq: u64, pixels: [u8; 64 * 1024] }
/// impl ShmType for Frame { const TYPE_ID: u64 = type_id("doc::Frame v1"); }
///
/// let q = Removal::new(Queue::<Frame, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (mut tx, mut rx) = q.split()?;
/// let loan = tx.loan(2)?; // up to two free slots, in place
/// assert_eq!(loan.len(), 2);
/// for (i, frame) in loan.iter().enumerate() {
///     frame.seq().store(i as u64, Relaxed);
///     frame.pixels().set(0, 0xff).unwrap();
/// }
/// assert_eq!(loan.commit_all(), 2); // one index store publishes both
///
/// let loan = rx.loan(8)?;
/// assert_eq!(loan.len(), 2);
/// assert_eq!(loan.slot(1).map(|f| f.seq().load(Relaxed)), Some(1));
/// assert_eq!(loan.slot(0).and_then(|f| f.pixels().get(0)), Some(0xff));
/// assert_eq!(loan.release_all(), 2);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[must_use = "a loan publishes nothing until it is committed"]
pub struct WriteLoan<'p, T: ShmType, const MAXSZ: usize, B: Backend> {
    producer: &'p mut Producer<T, MAXSZ, B>,
    len: usize,
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> fmt::Debug for WriteLoan<'_, T, MAXSZ, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteLoan")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T: ShmType, const MAXSZ: usize, B: Backend> fmt::Debug for ReadLoan<'_, T, MAXSZ, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadLoan")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T: ShmType + ShmView, const MAXSZ: usize, B: Backend> WriteLoan<'_, T, MAXSZ, B> {
    /// How many slots are on loan (0 when the queue was full).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u32, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// assert_eq!(tx.loan(5)?.len(), 2); // as many as are free
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is on loan (the queue was full).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u32, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.enqueue(1).map_err(sysv_ipc::Error::from)?;
    /// assert!(tx.loan(1)?.is_empty()); // full
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
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// let loan = tx.loan(1)?;
    /// loan.slot(0).unwrap().store(42, Relaxed);
    /// assert!(loan.slot(1).is_none()); // only one on loan
    /// loan.commit_all();
    /// assert_eq!(rx.dequeue()?, Some(42));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn slot(&self, i: usize) -> Option<&T::View> {
        if i >= self.len {
            return None;
        }
        value_view::<T>(self.producer.ring.reserved(i))
    }

    /// The views of the slots on loan, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u16, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// let loan = tx.loan(3)?;
    /// loan.iter().zip(10..).for_each(|(slot, v)| slot.store(v, Relaxed));
    /// loan.commit_all();
    /// let mut got = [0; 3];
    /// assert_eq!(rx.dequeue_into(&mut got)?, 3);
    /// assert_eq!(got, [10, 11, 12]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &T::View> + '_ {
        (0..self.len).filter_map(|i| self.slot(i))
    }

    /// Writes all of `value` into slot `i` (word by word, no temporary): for a
    /// value already made elsewhere. `false` if `i` is not on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<[u64; 512], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// let loan = tx.loan(1)?;
    /// assert!(loan.write(0, &[7; 512]));
    /// assert!(!loan.write(1, &[8; 512])); // not on loan
    /// loan.commit_all();
    /// assert_eq!(rx.dequeue()?.map(|v| v[511]), Some(7));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn write(&self, i: usize, value: &T) -> bool {
        i < self.len && store_words(self.producer.ring.reserved(i), value.as_bytes())
    }

    /// Publishes the first `n` slots of the loan (at most [`len`](Self::len)) as
    /// messages, in order, in one index store, and wakes a parked consumer. The
    /// rest are not published (their slots stay free). Returns how many were.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// let loan = tx.loan(4)?;
    /// loan.iter().for_each(|slot| slot.store(5, Relaxed));
    /// assert_eq!(loan.commit(3), 3);
    /// assert_eq!(rx.len()?, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn commit(self, n: usize) -> usize {
        let Producer { ring, role } = self.producer;
        // The wake's post is the only call here: a set removed meanwhile is the
        // consumer's semop to report, and the messages are committed anyway.
        ring.commit(n.min(self.len), &mut role.wake(ITEMS))
    }

    /// [`commit`](Self::commit) of every slot on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// let loan = tx.loan(2)?;
    /// assert!(loan.write(0, &1) && loan.write(1, &2));
    /// assert_eq!(loan.commit_all(), 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn commit_all(self) -> usize {
        let n = self.len;
        self.commit(n)
    }
}

/// Published slots lent by [`Consumer::loan`]: read them in place through their
/// views ([`slot`](Self::slot)) or whole ([`read_into`](Self::read_into)), then
/// [`release`](Self::release) them. Dropped without a release, it consumes
/// nothing: the next loan or dequeue sees the same messages again.
///
/// # Examples
///
/// ```
/// use core::sync::atomic::Ordering::Relaxed;
/// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
///
/// let q = Removal::new(Queue::<[u32; 4], 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let (mut tx, mut rx) = q.split()?;
/// tx.enqueue_slice(&[[1, 2, 3, 4], [5, 6, 7, 8]])?;
/// let loan = rx.loan(8)?;
/// // One element of each message, read where it lies.
/// let thirds: Vec<u32> = loan.iter().filter_map(|m| m.get(2)).collect();
/// assert_eq!(thirds, [3, 7]);
/// assert_eq!(loan.release(1), 1); // the second stays in the queue
/// assert_eq!(rx.dequeue()?, Some([5, 6, 7, 8]));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[must_use = "a loan consumes nothing until it is released"]
pub struct ReadLoan<'c, T: ShmType, const MAXSZ: usize, B: Backend> {
    consumer: &'c mut Consumer<T, MAXSZ, B>,
    len: usize,
}

impl<T: ShmType + ShmView, const MAXSZ: usize, B: Backend> ReadLoan<'_, T, MAXSZ, B> {
    /// How many messages are on loan (0 when the queue was empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2, 3])?;
    /// assert_eq!(rx.loan(2)?.len(), 2); // at most what was asked for
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no message is on loan (the queue was empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u32, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// assert!(rx.loan(4)?.is_empty());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The load-only view of message `i` of the loan (`i < len()`), read in place. Loads
    /// through it may be `Relaxed`: the loan's acquire of the producer's index
    /// already ordered the message before them.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue(9).map_err(sysv_ipc::Error::from)?;
    /// let loan = rx.loan(4)?;
    /// assert_eq!(loan.slot(0).map(|v| v.load(Relaxed)), Some(9));
    /// assert!(loan.slot(1).is_none());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn slot(&self, i: usize) -> Option<&T::ReadView> {
        if i >= self.len {
            return None;
        }
        value_view::<T>(self.consumer.ring.peeked(i)).map(ViewCell::as_read)
    }

    /// The views of the messages on loan, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2, 3])?;
    /// let loan = rx.loan(4)?;
    /// assert_eq!(loan.iter().map(|v| v.load(Relaxed)).sum::<u64>(), 6);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &T::ReadView> + '_ {
        (0..self.len).filter_map(|i| self.slot(i))
    }

    /// Copies all of message `i` into `out` (word by word, no temporary): for a
    /// consumer that wants the whole value after all. `false` (and `out`
    /// untouched) if `i` is not on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<[u8; 100], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue([3; 100]).map_err(sysv_ipc::Error::from)?;
    /// let loan = rx.loan(1)?;
    /// let mut out = [0; 100];
    /// assert!(loan.read_into(0, &mut out));
    /// assert_eq!(out, [3; 100]);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn read_into(&self, i: usize, out: &mut T) -> bool {
        i < self.len && load_words(self.consumer.ring.peeked(i), out.as_mut_bytes())
    }

    /// Hands the first `n` messages of the loan (at most [`len`](Self::len)) back
    /// to the producer, in one index store, and wakes a parked producer. The rest
    /// stay in the queue, first in line. Returns how many were released.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2])?;
    /// assert_eq!(rx.loan(2)?.release(1), 1);
    /// assert_eq!(rx.dequeue()?, Some(2));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn release(self, n: usize) -> usize {
        let Consumer { ring, role } = self.consumer;
        ring.release(n.min(self.len), &mut role.wake(SPACE))
    }

    /// [`release`](Self::release) of every message on loan.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 4>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// tx.enqueue_slice(&[1, 2])?;
    /// assert_eq!(rx.loan(4)?.release_all(), 2);
    /// assert!(rx.is_empty()?);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn release_all(self) -> usize {
        let n = self.len;
        self.release(n)
    }
}

impl<T: ShmType + ShmView, const MAXSZ: usize, B: Backend> Producer<T, MAXSZ, B> {
    /// Lends up to `max` free slots, without blocking, to be written in place
    /// and published by [`WriteLoan::commit`]: nothing passes through a stack
    /// temporary, whatever the size of `T`. An empty loan when the queue is full.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Corrupt`] if the consumer's index is impossible.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<[f32; 3], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// let loan = tx.loan(1)?;
    /// let slot = loan.slot(0).unwrap();
    /// slot.write_range(0..3, &[1.0, 2.0, 3.0]).unwrap();
    /// loan.commit_all();
    /// assert_eq!(rx.dequeue()?, Some([1.0, 2.0, 3.0]));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan(&mut self, max: usize) -> Result<WriteLoan<'_, T, MAXSZ, B>> {
        let len = self
            .role
            .now(&mut self.ring, &"Producer::loan", ITEMS, |ring, _| {
                ring.reserve(max).map_err(corrupt)
            })?;
        Ok(WriteLoan {
            producer: self,
            len,
        })
    }

    /// [`loan`](Self::loan) of between 1 and `max` slots, waiting while the queue
    /// is full as [`enqueue_blocking`](Self::enqueue_blocking) does. `max == 0`
    /// lends nothing at once.
    ///
    /// # Errors
    ///
    /// As [`enqueue_blocking`](Self::enqueue_blocking): [`ErrorKind::Interrupted`]
    /// (only after [`set_interruptible(true)`](Self::set_interruptible)),
    /// [`ErrorKind::Removed`],
    /// [`ErrorKind::PeerDied`] (the consumer died holding its role while the queue
    /// was full), [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::thread;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || {
    ///         for v in 0..10 {
    ///             let loan = tx.loan_blocking(1).unwrap(); // waits for room
    ///             assert!(loan.write(0, &v));
    ///             loan.commit_all();
    ///         }
    ///     });
    ///     for want in 0..10 {
    ///         assert_eq!(rx.dequeue_blocking().unwrap(), want);
    ///     }
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_blocking(&mut self, max: usize) -> Result<WriteLoan<'_, T, MAXSZ, B>> {
        let len = self.reserve_wait(max, &"Producer::loan_blocking", None)?;
        Ok(WriteLoan {
            producer: self,
            len,
        })
    }

    /// [`loan_blocking`](Self::loan_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] when the queue stayed full for `timeout`, as
    /// [`enqueue_timeout`](Self::enqueue_timeout).
    ///
    /// # Errors
    ///
    /// As [`loan_blocking`](Self::loan_blocking), and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut tx = q.producer()?;
    /// tx.loan_timeout(1, Duration::from_millis(10))?.commit_all(); // room
    /// let e = tx.loan_timeout(1, Duration::from_millis(10)).err().unwrap(); // full
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_timeout(
        &mut self,
        max: usize,
        timeout: Duration,
    ) -> Result<WriteLoan<'_, T, MAXSZ, B>> {
        let len = self.reserve_wait(max, &"Producer::loan_timeout", Some(timeout))?;
        Ok(WriteLoan {
            producer: self,
            len,
        })
    }

    #[inline]
    fn reserve_wait(
        &mut self,
        max: usize,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let lane = self.lane();
        self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |ring, spins, park| ring.reserve_blocking(max, spins, park),
            // Room the dead consumer made before it died (see `enqueue_wait`).
            |ring, _, died| match ring.reserve(max).map_err(corrupt)? {
                0 => Err(died),
                n => Ok(n),
            },
        )
    }
}

impl<T: ShmType + ShmView, const MAXSZ: usize, B: Backend> Consumer<T, MAXSZ, B> {
    /// Lends up to `max` published messages, without blocking, to be read in
    /// place and handed back by [`ReadLoan::release`]: nothing passes through a
    /// stack temporary, whatever the size of `T`. An empty loan when the queue is
    /// empty.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Closed`] when the queue is empty and its producer closed it.
    /// [`ErrorKind::Corrupt`] if the producer's index is impossible.
    /// [`ErrorKind::WrongProcess`] in a process that did not claim the role.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<[u64; 1024], 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// assert!(rx.loan(1)?.is_empty());
    /// tx.loan(1)?.slot(0).unwrap().set(1000, 5).unwrap(); // dropped: not published
    /// assert!(rx.loan(1)?.is_empty());
    /// let loan = tx.loan(1)?;
    /// loan.slot(0).unwrap().set(1000, 6).unwrap();
    /// loan.commit_all();
    /// tx.close()?;
    /// let loan = rx.loan(1)?;
    /// assert_eq!(loan.slot(0).and_then(|m| m.get(1000)), Some(6)); // one word of 1024
    /// loan.release_all();
    /// assert_eq!(rx.loan(1).err().map(|e| e.kind()), Some(ErrorKind::Closed));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan(&mut self, max: usize) -> Result<ReadLoan<'_, T, MAXSZ, B>> {
        let len = self
            .role
            .now(&mut self.ring, &"Consumer::loan", SPACE, |ring, _| {
                let n = ring.peek(max).map_err(corrupt)?;
                popped(ring, n, max)
            })?;
        Ok(ReadLoan {
            consumer: self,
            len,
        })
    }

    /// [`loan`](Self::loan) of between 1 and `max` messages, waiting while the
    /// queue is empty as [`dequeue_blocking`](Self::dequeue_blocking) does.
    /// `max == 0` lends nothing at once.
    ///
    /// # Errors
    ///
    /// As [`dequeue_blocking`](Self::dequeue_blocking): [`ErrorKind::Closed`],
    /// [`ErrorKind::Interrupted`] (only after
    /// [`set_interruptible(true)`](Self::set_interruptible)),
    /// [`ErrorKind::Removed`],
    /// [`ErrorKind::PeerDied`] (the producer died holding its role and left
    /// nothing), [`ErrorKind::Corrupt`], [`ErrorKind::WrongProcess`].
    ///
    /// # Examples
    ///
    /// ```
    /// use core::sync::atomic::Ordering::Relaxed;
    /// use std::thread;
    /// use sysv_ipc::{Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let (mut tx, mut rx) = q.split()?;
    /// thread::scope(|s| {
    ///     s.spawn(move || (0..10).for_each(|v| tx.enqueue_blocking(v).unwrap()));
    ///     let mut want = 0;
    ///     while want < 10 {
    ///         let loan = rx.loan_blocking(2).unwrap(); // waits for a message
    ///         for v in loan.iter() {
    ///             assert_eq!(v.load(Relaxed), want);
    ///             want += 1;
    ///         }
    ///         loan.release_all();
    ///     }
    /// });
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_blocking(&mut self, max: usize) -> Result<ReadLoan<'_, T, MAXSZ, B>> {
        let len = self.peek_wait(max, &"Consumer::loan_blocking", None)?;
        Ok(ReadLoan {
            consumer: self,
            len,
        })
    }

    /// [`loan_blocking`](Self::loan_blocking) that gives up with
    /// [`ErrorKind::TimedOut`] when the queue stayed empty for `timeout`, as
    /// [`dequeue_timeout`](Self::dequeue_timeout).
    ///
    /// # Errors
    ///
    /// As [`loan_blocking`](Self::loan_blocking), and [`ErrorKind::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, queue::Queue};
    ///
    /// let q = Removal::new(Queue::<u64, 1>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut rx = q.consumer()?;
    /// let e = rx.loan_timeout(1, Duration::from_millis(10)).err().unwrap();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn loan_timeout(
        &mut self,
        max: usize,
        timeout: Duration,
    ) -> Result<ReadLoan<'_, T, MAXSZ, B>> {
        let len = self.peek_wait(max, &"Consumer::loan_timeout", Some(timeout))?;
        Ok(ReadLoan {
            consumer: self,
            len,
        })
    }

    #[inline]
    fn peek_wait(
        &mut self,
        max: usize,
        name: &'static &'static str,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let lane = self.lane();
        self.role.wait(
            &mut self.ring,
            lane,
            name,
            timeout,
            |ring, spins, park| ring.peek_blocking(max, spins, park),
            // At `tail` itself: what the dead producer committed is lent before its
            // death is reported (see `dequeue_wait`).
            |ring, _, died| {
                if ring.occupied().map_err(corrupt)? > 0 {
                    let n = ring.peek(max).map_err(corrupt)?;
                    if n > 0 {
                        return Ok(n);
                    }
                }
                not_finished(ring)?;
                Err(died)
            },
        )
    }
}

/// Loans over the mock's memory: what Miri checks (alignment, bounds and provenance
/// of the views made from a slot's words); the kernel tests are in `tests/loans.rs`.
/// Every slot byte is accessed with one size here (8-byte cells on both sides), as
/// Miri's weak-memory emulation rejects mixed sizes even without a race.
#[cfg(all(test, not(loom)))]
mod tests {
    use core::sync::atomic::Ordering::Relaxed;

    use sysv_ipc_mock::Mock;

    use crate::queue::Queue;
    use crate::seqlock::SeqLock;
    use crate::view::ReadCell;
    use crate::{Intent, Key, Mode};

    static KERNEL: Mock = Mock::new();

    #[test]
    fn loans_over_mock_memory() {
        let q = Queue::<[u64; 3], 4, &Mock>::create_in(
            &KERNEL,
            Key::PRIVATE,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let (mut tx, mut rx) = q.split().unwrap();
        for round in 0..3u64 {
            let loan = tx.loan(8).unwrap();
            assert_eq!(loan.len(), 4);
            for (i, slot) in loan.iter().enumerate() {
                slot.write_range(0..3, &[round, i as u64, !round]).unwrap();
            }
            assert!(loan.slot(4).is_none());
            assert_eq!(loan.commit(3), 3);
            let loan = rx.loan(8).unwrap();
            assert_eq!(loan.len(), 3);
            let mut out = [0u64; 3];
            for (i, slot) in loan.iter().enumerate() {
                slot.load_into(&mut out, Relaxed);
                assert_eq!(out, [round, i as u64, !round]);
            }
            assert_eq!(loan.release_all(), 3);
        }
        drop((tx, rx));
        crate::Removable::remove(&q).unwrap();
    }

    #[test]
    fn seqlock_in_place_over_mock_memory() {
        let lock = SeqLock::<[u64; 5], &Mock>::create_in(
            &KERNEL,
            Key::PRIVATE,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let mut w = lock.writer().unwrap();
        w.write_with(|v| {
            v.set(0, 10).unwrap();
            v.set(4, 14).unwrap();
        })
        .unwrap();
        assert_eq!(
            lock.read_with(|v| (v.get(0), v.get(4), v.get(5))).unwrap(),
            (Some(10), Some(14), None)
        );
        drop(w);
        crate::Removable::remove(&lock).unwrap();
    }
}
