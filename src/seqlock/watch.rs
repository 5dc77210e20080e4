//! Watching a seqlock for a change without polling (layout version 7): a watcher
//! arms the lock's shared `watchers` word and sleeps on it in a futex wait; the
//! writer's next write clears it and wakes every watcher
//! ([`layout::watch`](crate::layout::watch) has the handshake).

use super::{SeqLock, WRITER, Writer, error};
use crate::error::during;
use crate::layout::ShmType;
use crate::layout::seqlock::{self as seq_layout};
use crate::layout::watch::Watch;
use crate::role::Seat;
use crate::shm::Access;
use crate::wake::{PeerSeat, WakeWord, Watched};
use crate::{Backend, Error, ErrorKind, Result};

impl<T: ShmType, B: Backend, A: Access> SeqLock<T, B, A> {
    /// The version of the value: 0 before the first write, then even after each
    /// complete write (2 per write), odd while one is under way. A watcher reads
    /// the value, notes the version it had, and waits for the next one with
    /// [`arm_watch`](Self::arm_watch) (or `sysv_ipc_async::seqlock::changed`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LayoutMismatch`] only if the segment is smaller than the
    /// layout (never for a handle this crate opened).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(lock.version()?, 0);
    /// lock.writer()?.write(&1)?;
    /// assert_eq!(lock.version()?, 2);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn version(&self) -> Result<u64> {
        during(&"SeqLock::version", self.object(), || {
            Ok(seq_layout::version(self.read_view()?.ctl()))
        })
    }

    /// Arms a wait for a complete write after version `since` (a
    /// [`version`](Self::version) seen earlier; 0 waits for the first write):
    /// [`Watched::Changed`] with the new version if one came, so read now;
    /// [`Watched::Armed`] with the word to sleep on (see [`crate::wake`]), which
    /// the writer's next write clears and futex-wakes, then arm again. A write
    /// under way (odd version) is not a change yet: its end wakes the word.
    ///
    /// Any number of watchers, in any processes, share one word. A watcher that
    /// stops waiting leaves its flag there (another may be about to sleep on
    /// the word); the writer's next write then pays one wake system call for
    /// nobody. There is nothing to disarm.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] on a read-only handle
    /// ([`open_read_only`](SeqLock::open_read_only)): arming stores into the
    /// segment, which its `SHM_RDONLY` mapping cannot (nothing is touched);
    /// [`ErrorKind::LayoutMismatch`] as [`version`](Self::version).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, seqlock::SeqLock, wake::Watched};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = lock.writer()?;
    /// let since = lock.version()?;
    /// assert!(matches!(lock.arm_watch(since)?, Watched::Armed(_)));
    /// w.write(&9)?;
    /// let Watched::Changed(v) = lock.arm_watch(since)? else { panic!("written") };
    /// assert_eq!((v, lock.read()?), (lock.version()?, 9));
    /// // A read-only handle cannot arm.
    /// let reader = lock.read_only()?;
    /// assert_eq!(reader.arm_watch(v).unwrap_err().kind(), ErrorKind::PermissionDenied);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_watch(&self, since: u64) -> Result<Watched<'_>> {
        during(&"SeqLock::arm_watch", self.object(), || {
            if A::SHMFLG != 0 {
                return Err(error(ErrorKind::PermissionDenied));
            }
            // A read-write mapping (checked above): the swap in `arm_watch` may store.
            let ctl = self.read_view()?.ctl();
            Ok(match seq_layout::arm_watch(ctl, since) {
                Watch::Changed(v) => Watched::Changed(v),
                Watch::Armed { expected } => {
                    Watched::Armed(WakeWord::expecting(&ctl.watchers, expected))
                }
            })
        })
    }

    /// The writer's seat, for a loop that looks at many peers cheaply (see
    /// [`PeerSeat`]): a watcher learns there that the writer died.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(lock.writer_seat().num, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn writer_seat(&self) -> PeerSeat {
        PeerSeat {
            semid: self.sems.id(),
            num: WRITER,
        }
    }

    /// A watcher's check of the writer: [`ErrorKind::PeerDied`] if it died holding
    /// its role (a lock never written, or whose writer released it, is not a
    /// death: a new writer may come). Read once more before reporting it: the
    /// writer's last complete write is there.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`]; the semaphore set's errors (a removed lock:
    /// [`ErrorKind::Removed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
    ///
    /// let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// lock.check_writer()?; // no writer yet: not a death
    /// drop(lock.writer()?);
    /// lock.check_writer()?; // released: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_writer(&self) -> Result<()> {
        during(&"SeqLock::check_writer", self.object(), || {
            let view = self.read_view()?;
            let seat = Seat {
                sem: WRITER,
                pid: &view.ctl().writer_pid,
            };
            // Asked even with no writer recorded (which `abandoned` answers
            // without the set): a removed object ends a watch, it does not hang it.
            self.sems
                .get(WRITER)
                .map_err(crate::park::gone_is_removed)?;
            // Loads only: a read-only handle may ask too.
            if seat
                .abandoned(&self.sems)
                .map_err(crate::park::gone_is_removed)?
            {
                return Err(Error::new(ErrorKind::PeerDied));
            }
            Ok(())
        })
    }
}

impl<T: ShmType, B: Backend> Writer<T, B> {
    /// After a write: wakes the watchers if any announced themselves (one fence
    /// and one load when none did).
    #[inline]
    pub(super) fn wake_watchers(&self) {
        if self.inner.wake_check() {
            wake(
                self.role.handle().sems.backend(),
                &self.inner.ctl().watchers,
            );
        }
    }
}

/// The rare path out of a write: a futex wake of every watcher, out of line.
#[cold]
#[inline(never)]
fn wake<B: Backend>(backend: &B, word: &crate::sync::AtomicU64) {
    crate::park::wake_word(backend, word);
}
