//! Watching a table for a change without polling (layout version 7): a watcher
//! arms the table's shared `watchers` word and sleeps on it in a futex wait; the
//! writer's next write clears it and wakes every watcher
//! ([`layout::watch`](crate::layout::watch) has the handshake).

use super::{Table, WRITER, Writer, error};
use crate::error::during;
use crate::layout::ShmType;
use crate::layout::watch::Watch;
use crate::role::Seat;
use crate::shm::Access;
use crate::wake::{PeerSeat, WakeWord, Watched};
use crate::{Backend, Error, ErrorKind, Result};

impl<T: ShmType, const N: usize, B: Backend, A: Access> Table<T, N, B, A> {
    /// Arms a wait for a write after version `since` (a [`version`](Self::version)
    /// or [`changed_since`](Self::changed_since) result seen earlier):
    /// [`Watched::Changed`] with the table's version if it moved, so ask
    /// [`changed_since`](Self::changed_since) which slots changed;
    /// [`Watched::Armed`] with the word to sleep on (see [`crate::wake`]), which
    /// the writer's next write clears and futex-wakes, then arm again. A new
    /// writer's claim moves the version too (it may report slots a dead writer
    /// left), and wakes the word.
    ///
    /// Any number of watchers, in any processes, share one word. A watcher that
    /// stops waiting leaves its flag there (another may be about to sleep on
    /// the word); the writer's next write then pays one wake system call for
    /// nobody. There is nothing to disarm.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] on a read-only handle
    /// ([`open_read_only`](Table::open_read_only)): arming stores into the
    /// segment, which its `SHM_RDONLY` mapping cannot (nothing is touched);
    /// [`ErrorKind::LayoutMismatch`] as [`version`](Self::version).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, table::Table, wake::Watched};
    ///
    /// let board = Removal::new(Table::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// let mut w = board.writer()?;
    /// let since = board.version()?;
    /// assert!(matches!(board.arm_watch(since)?, Watched::Armed(_)));
    /// w.write(5, &50)?;
    /// let Watched::Changed(v) = board.arm_watch(since)? else { panic!("written") };
    /// let mut slots = Vec::new();
    /// assert_eq!(board.changed_since(since, |i| slots.push(i))?, v);
    /// assert_eq!(slots, [5]);
    /// // A read-only handle cannot arm.
    /// let reader = board.read_only()?;
    /// assert_eq!(reader.arm_watch(v).unwrap_err().kind(), ErrorKind::PermissionDenied);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn arm_watch(&self, since: u64) -> Result<Watched<'_>> {
        during(&"Table::arm_watch", self.object(), || {
            if A::SHMFLG != 0 {
                return Err(error(ErrorKind::PermissionDenied));
            }
            // A read-write mapping (checked above): the swap in `arm_watch` may store.
            let slots = self.read_view()?.slots();
            Ok(match slots.arm_watch(since) {
                Watch::Changed(v) => Watched::Changed(v),
                Watch::Armed { expected } => {
                    Watched::Armed(WakeWord::expecting(&slots.ctl().watchers, expected))
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
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(board.writer_seat().num, 0);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn writer_seat(&self) -> PeerSeat {
        PeerSeat {
            semid: self.sems.id(),
            num: WRITER,
        }
    }

    /// A watcher's check of the writer: [`ErrorKind::PeerDied`] if it died holding
    /// its role (a table never written, or whose writer released it, is not a
    /// death). Ask [`changed_since`](Self::changed_since) once more before
    /// reporting it: the writer's complete writes are there.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerDied`]; the semaphore set's errors (a removed table:
    /// [`ErrorKind::Removed`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
    ///
    /// let board = Removal::new(Table::<u64, 2>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// board.check_writer()?; // no writer yet: not a death
    /// drop(board.writer()?);
    /// board.check_writer()?; // released: not a death
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn check_writer(&self) -> Result<()> {
        during(&"Table::check_writer", self.object(), || {
            let slots = self.read_view()?.slots();
            let seat = Seat {
                sem: WRITER,
                pid: &slots.ctl().writer_pid,
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

impl<T: ShmType, const N: usize, B: Backend> Writer<T, N, B> {
    /// After a write: wakes the watchers if any announced themselves (one fence
    /// and one load when none did).
    #[inline]
    pub(super) fn wake_watchers(&self) {
        if self.inner.wake_check() {
            wake(
                self.role.handle().sems.backend(),
                &self.inner.slots().ctl().watchers,
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
