//! Awaiting a change of a [`Table`]: [`changed`] resolves
//! with the table's version once a write came after a version the caller saw;
//! [`Table::changed_since`] then tells which slots changed.
//!
//! The future looks at the version once; if nothing changed it arms the table's
//! shared `watchers` word (layout version 7) and sleeps on it in the reactor,
//! which the writer's next write clears and futex-wakes, whatever the writer is
//! (a blocking Rust writer in another process, a C writer). No spinning and no
//! timer: a watcher costs nothing while nothing is written, and the writer's
//! writes cost it one fence and one load while nobody watches. Any number of
//! futures, in any processes, may watch one table.
//!
//! # Cancellation
//!
//! Dropping a [`Changed`] loses nothing (it only ever read the version) and
//! leaves no waiter registered: the reactor forgets the word. The table's
//! `watchers` word stays set (other watchers may share it): the writer's next
//! write then makes one wake system call that wakes nobody, and clears it.
//!
//! # Examples
//!
//! A watcher that hears of every slot the writer changes:
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
//!
//! let board = Removal::new(Table::<u64, 64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let mut w = board.writer()?;
//! let writer = std::thread::spawn(move || (0..8).try_for_each(|i| w.write(i, &1).map(drop)));
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! let heard = rt.block_on(async {
//!     let (mut seen, mut heard) = (0, [false; 8]);
//!     while heard.contains(&false) {
//!         sysv_ipc_async::table::changed(&board, seen).await?;
//!         seen = board.changed_since(seen, |i| heard[i] = true)?;
//!     }
//!     Ok::<_, sysv_ipc::Error>(heard)
//! })?;
//! assert_eq!(heard, [true; 8]);
//! writer.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use sysv_ipc::queue::DEFAULT_PEER_CHECK;
use sysv_ipc::shm::Access;
use sysv_ipc::table::Table;
use sysv_ipc::wake::{PeerSeat, Watched};
use sysv_ipc::{Backend, Error, ErrorKind, Result, ShmType};

use crate::wait::{Side, Waiting};

/// Waits for a write to `table` after version `since` (a [`Table::version`] or
/// [`Table::changed_since`] result seen earlier, or the result of an earlier
/// `changed`) and resolves with the table's version then. Resolves at once if the
/// version already moved. Ask [`Table::changed_since`] from `since` which slots
/// changed; a new writer's claim also moves the version (it may report slots a
/// dead writer left).
///
/// # Errors
///
/// [`ErrorKind::PermissionDenied`] on a read-only handle (watching stores into
/// the segment: see [`Table::arm_watch`]); [`ErrorKind::PeerDied`] when the
/// writer died holding its role before writing again (noticed within
/// [`DEFAULT_PEER_CHECK`] by the reactor's look at its seat; a write it completed
/// first is reported instead); [`ErrorKind::Removed`] when the table's semaphore
/// set was removed (noticed as fast); [`ErrorKind::LimitReached`] if the system
/// refuses the reactor a thread.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, table::Table};
///
/// let board = Removal::new(Table::<u64, 16>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = board.writer()?; // e.g. in another process
/// let since = board.version()?;
/// let v = smol::block_on(async {
///     let watch = sysv_ipc_async::table::changed(&board, since);
///     w.write(3, &30)?;
///     watch.await
/// })?;
/// let mut slots = Vec::new();
/// assert_eq!(board.changed_since(since, |i| slots.push(i))?, v);
/// assert_eq!(slots, [3]);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn changed<T: ShmType, const N: usize, B: Backend, A: Access>(
    table: &Table<T, N, B, A>,
    since: u64,
) -> Changed<'_, T, N, B, A> {
    Changed {
        watch: Watch { table, since },
        waiting: Waiting::default(),
    }
}

/// The future of [`changed`].
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T: ShmType, const N: usize, B: Backend, A: Access> {
    watch: Watch<'a, T, N, B, A>,
    waiting: Waiting,
}

/// A watcher of one table from one version: the side the wait works on.
struct Watch<'a, T: ShmType, const N: usize, B: Backend, A: Access> {
    table: &'a Table<T, N, B, A>,
    since: u64,
}

impl<T: ShmType, const N: usize, B: Backend, A: Access> Watch<'_, T, N, B, A> {
    /// The version if it moved from `since`.
    fn look(&self) -> Result<Option<u64>> {
        // Refused before looking, so that a read-only handle fails whether or
        // not a write already came (it could never arm).
        if A::SHMFLG != 0 {
            return Err(Error::new(ErrorKind::PermissionDenied));
        }
        let v = self.table.version()?;
        Ok((v != self.since).then_some(v))
    }
}

impl<T: ShmType, const N: usize, B: Backend, A: Access> Side for Watch<'_, T, N, B, A> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(match self.table.arm_watch(self.since)? {
            Watched::Changed(_) => None,
            Watched::Armed(w) => Some((w.addr(), w.expected())),
        })
    }
    /// Nothing to withdraw: the word is shared (module docs, "Cancellation").
    fn disarm(&mut self) {}
    fn check_peer(&mut self) -> Result<()> {
        self.table.check_writer()
    }
    fn peer_check(&self) -> Option<Duration> {
        Some(DEFAULT_PEER_CHECK)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        Some(self.table.writer_seat())
    }
    /// A change is an event, not a stream: arm at once, no looks in between.
    fn spins(&self) -> u32 {
        0
    }
}

impl<T: ShmType, const N: usize, B: Backend, A: Access> Future for Changed<'_, T, N, B, A> {
    type Output = Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<u64>> {
        let this = self.get_mut();
        this.waiting.poll_take(&mut this.watch, cx, |w| w.look())
    }
}

impl<T: ShmType, const N: usize, B: Backend, A: Access> Drop for Changed<'_, T, N, B, A> {
    fn drop(&mut self) {
        self.waiting.withdraw(&mut self.watch);
    }
}
