//! Awaiting a change of a [`SeqLock`]: [`changed`]
//! resolves with the version of the first complete write after a version the
//! caller saw.
//!
//! The future looks at the version once; if nothing changed it arms the lock's
//! shared `watchers` word (layout version 7) and sleeps on it in the reactor,
//! which the writer's next write clears and futex-wakes, whatever the writer is
//! (a blocking Rust writer in another process, a C writer). No spinning and no
//! timer: a watcher costs nothing while nothing is written, and the writer's
//! writes cost it one fence and one load while nobody watches. Any number of
//! futures, in any processes, may watch one lock.
//!
//! # Cancellation
//!
//! Dropping a [`Changed`] loses nothing (it only ever read the version) and
//! leaves no waiter registered: the reactor forgets the word. The lock's
//! `watchers` word stays set (other watchers may share it): the writer's next
//! write then makes one wake system call that wakes nobody, and clears it.
//!
//! # Examples
//!
//! A watcher that follows every value (it may skip values written faster than it
//! reads: a seqlock holds one):
//!
//! ```
//! use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
//!
//! let lock = Removal::new(SeqLock::<u64>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
//! let mut w = lock.writer()?;
//! let writer = std::thread::spawn(move || (1..=3).try_for_each(|v| w.write(&v)));
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! rt.block_on(async {
//!     let mut seen = 0;
//!     while lock.read()? != 3 {
//!         seen = sysv_ipc_async::seqlock::changed(&lock, seen).await?;
//!     }
//!     Ok::<(), sysv_ipc::Error>(())
//! })?;
//! writer.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use sysv_ipc::queue::DEFAULT_PEER_CHECK;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::Access;
use sysv_ipc::wake::{PeerSeat, Watched};
use sysv_ipc::{Backend, Error, ErrorKind, Result, ShmType};

use crate::wait::{Side, Waiting};

/// Waits for a complete write to `lock` after version `since` (a
/// [`SeqLock::version`] seen earlier, or the result of an earlier `changed`; 0
/// waits for the first write) and resolves with the new version. Resolves at once
/// if one already came. Read the value afterwards: a later write may have
/// replaced it meanwhile (its version is then higher, and the next `changed`
/// from the returned version resolves at once).
///
/// # Errors
///
/// [`ErrorKind::PermissionDenied`] on a read-only handle (watching stores into
/// the segment: see [`SeqLock::arm_watch`]); [`ErrorKind::PeerDied`] when the
/// writer died holding its role before writing again (noticed within
/// [`DEFAULT_PEER_CHECK`] by the reactor's look at its seat; a write it completed
/// first is reported instead); [`ErrorKind::Removed`] when the lock's semaphore
/// set was removed (noticed as fast); [`ErrorKind::LimitReached`] if the system
/// refuses the reactor a thread.
///
/// # Examples
///
/// ```
/// use sysv_ipc::{Intent, Key, Mode, Removal, seqlock::SeqLock};
///
/// let lock = Removal::new(SeqLock::<[u32; 2]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
/// let mut w = lock.writer()?; // e.g. in another process
/// let since = lock.version()?;
/// let v = smol::block_on(async {
///     let watch = sysv_ipc_async::seqlock::changed(&lock, since);
///     w.write(&[4, 2])?;
///     watch.await
/// })?;
/// assert_eq!((v, lock.read()?), (since + 2, [4, 2]));
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn changed<T: ShmType, B: Backend, A: Access>(
    lock: &SeqLock<T, B, A>,
    since: u64,
) -> Changed<'_, T, B, A> {
    Changed {
        watch: Watch { lock, since },
        waiting: Waiting::default(),
    }
}

/// The future of [`changed`].
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T: ShmType, B: Backend, A: Access> {
    watch: Watch<'a, T, B, A>,
    waiting: Waiting,
}

/// A watcher of one lock from one version: the side the wait works on.
struct Watch<'a, T: ShmType, B: Backend, A: Access> {
    lock: &'a SeqLock<T, B, A>,
    since: u64,
}

impl<T: ShmType, B: Backend, A: Access> Watch<'_, T, B, A> {
    /// The version if it is a complete write after `since`.
    fn look(&self) -> Result<Option<u64>> {
        // Refused before looking, so that a read-only handle fails whether or
        // not a write already came (it could never arm).
        if A::SHMFLG != 0 {
            return Err(Error::new(ErrorKind::PermissionDenied));
        }
        let v = self.lock.version()?;
        Ok((v.is_multiple_of(2) && v != self.since).then_some(v))
    }
}

impl<T: ShmType, B: Backend, A: Access> Side for Watch<'_, T, B, A> {
    fn arm(&mut self) -> Result<Option<(*const u32, u32)>> {
        Ok(match self.lock.arm_watch(self.since)? {
            Watched::Changed(_) => None,
            Watched::Armed(w) => Some((w.addr(), w.expected())),
        })
    }
    /// Nothing to withdraw: the word is shared (module docs, "Cancellation").
    fn disarm(&mut self) {}
    fn check_peer(&mut self) -> Result<()> {
        self.lock.check_writer()
    }
    fn peer_check(&self) -> Option<Duration> {
        Some(DEFAULT_PEER_CHECK)
    }
    fn peer_seat(&self) -> Option<PeerSeat> {
        Some(self.lock.writer_seat())
    }
    /// A change is an event, not a stream: arm at once, no looks in between.
    fn spins(&self) -> u32 {
        0
    }
}

impl<T: ShmType, B: Backend, A: Access> Future for Changed<'_, T, B, A> {
    type Output = Result<u64>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<u64>> {
        let this = self.get_mut();
        this.waiting.poll_take(&mut this.watch, cx, |w| w.look())
    }
}

impl<T: ShmType, B: Backend, A: Access> Drop for Changed<'_, T, B, A> {
    fn drop(&mut self) {
        self.waiting.withdraw(&mut self.watch);
    }
}
