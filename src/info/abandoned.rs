//! The crate's objects nobody can use any more, and their removal (re-exported by
//! [`info`](crate::info); its module docs, "Cleaning up after crashes", say what is
//! checked).

use core::iter::FusedIterator;
use core::mem::offset_of;

use crate::layout::header::{HEADER_SIZE, Header, INITIALIZING, MAGIC, UNINIT};
use crate::shm::{Attachment, ReadOnly, Segment, SegmentStat};
use crate::{Backend, DefaultBackend, Error, ErrorKind, Key, Removable, Result, SemSet};

use super::layouts::{Inspection, LayoutKind, Layouts, Liveness, NotLayout, Semaphores};

/// Why an [`AbandonedObject`] is abandoned.
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::AbandonReason;
///
/// let why = AbandonReason::HoldersDied { dead: 2 };
/// assert_eq!(why.describe(), "every role holder died, nothing attached");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AbandonReason {
    /// A ready layout: at least one role's holder died holding it (its
    /// `SEM_UNDO` semaphore given back, its pid word left), no role is held, and
    /// no process has the segment attached.
    HoldersDied {
        /// Roles whose holder died ([`Liveness::Dead`]).
        dead: usize,
    },
    /// The header carries the creator's mark but was never published (`state`
    /// 1, or 0 with every other word 0), and no process has the segment
    /// attached: its creator died initialising it (the handshake in
    /// `layout::header`, step 5).
    CreatorDied {
        /// The header's `state` word: 0 or 1.
        state: u64,
    },
}

impl AbandonReason {
    /// The reason in words, for a tool's output.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::AbandonReason;
    ///
    /// assert_eq!(AbandonReason::CreatorDied { state: 1 }.describe(), "creator died initialising it, nothing attached");
    /// ```
    pub const fn describe(&self) -> &'static str {
        match self {
            AbandonReason::HoldersDied { .. } => "every role holder died, nothing attached",
            AbandonReason::CreatorDied { .. } => "creator died initialising it, nothing attached",
        }
    }
}

/// One of the crate's objects that nobody can use any more: found by
/// [`abandoned`] / [`abandoned_in`], removed by [`remove_abandoned_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, AbandonReason, LayoutKind};
/// use sysv_ipc::{Intent, Key, Mode, Queue};
/// use sysv_ipc_mock::{Mock, Process};
///
/// let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
/// // Process 2 creates a queue, takes its producer role, and dies.
/// kernel.fork_process(1, 2).unwrap();
/// kernel.set_process(Process::root(2));
/// let q = Queue::<u64, 4, _>::create_in(kernel, Key::new(7), Intent::CreateNew, Mode::OWNER_RW)?;
/// std::mem::forget(q.producer()?);
/// std::mem::forget(q);
/// kernel.exit_process(2);
/// kernel.set_process(Process::root(1));
///
/// let found: Vec<_> = info::abandoned_in(kernel)?.collect::<Result<_, _>>()?;
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].kind, Some(LayoutKind::Queue));
/// assert_eq!(found[0].reason, AbandonReason::HoldersDied { dead: 1 });
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AbandonedObject {
    /// The segment id.
    pub id: i32,
    /// Its key (the semaphore set's too).
    pub key: Key,
    /// The layout; `None` for a header never published.
    pub kind: Option<LayoutKind>,
    /// Why it is abandoned.
    pub reason: AbandonReason,
    /// The layout's semaphore set, removed with it; `None` if there is none to
    /// remove (none under the key, or one that is not provably the object's).
    pub semaphores: Option<i32>,
    /// The segment's `IPC_STAT` when it was found.
    pub stat: SegmentStat,
}

impl AbandonedObject {
    /// Whether a process of effective uid `euid` may remove it: the kernel lets
    /// the segment's owner (`uid`), its creator (`cuid`) and a privileged process
    /// remove it (`CAP_SYS_ADMIN`, taken here as `euid` 0). The semaphore set,
    /// made by the same user ([`Semaphores::Found`] checks it), follows.
    ///
    /// # Examples
    ///
    /// See [`abandoned`].
    pub const fn removable_by(&self, euid: u32) -> bool {
        euid == 0 || euid == self.stat.perm.uid || euid == self.stat.perm.cuid
    }
}

/// What [`remove_abandoned_in`] did.
///
/// # Examples
///
/// See [`remove_abandoned_in`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cleanup {
    /// Removed: the segment (destroyed once the last attachment goes), and the
    /// semaphore set of this id if there was one.
    Removed {
        /// The semaphore set removed with it.
        semaphores: Option<i32>,
        /// A process attached the segment between the last check and the
        /// removal (the window described in the [`info` module
        /// docs](crate::info#cleaning-up-after-crashes)): it keeps a valid mapping,
        /// and its semaphore operations fail.
        attached_meanwhile: bool,
    },
    /// Not removed: the object is no longer abandoned (a process attached it or
    /// holds a role now, or its header was published), or the id names another
    /// segment now.
    NoLongerAbandoned,
    /// Not removed: someone else removed it first.
    AlreadyGone,
}

/// Whether `inspection`, made with `stat` taken before its attachment, is an
/// abandoned object of the crate's.
fn judge<B: Backend + Clone>(inspection: &Inspection<B>) -> Result<Option<AbandonedObject>> {
    let stat = *inspection.stat();
    if stat.is_removed() || stat.nattch != 0 {
        return Ok(None);
    }
    let object = |kind, reason, semaphores| AbandonedObject {
        id: inspection.id(),
        key: stat.perm.key,
        kind,
        reason,
        semaphores,
        stat,
    };
    if let Some(layout) = inspection.layout() {
        // A corrupt header or a set that is not provably the layout's: its roles
        // say nothing reliable, so it is not judged.
        let Semaphores::Found(semid) = layout.semaphores else {
            return Ok(None);
        };
        if layout.corrupt.is_some() || layout.state.is_none() {
            return Ok(None);
        }
        let mut dead = 0usize;
        for role in inspection.roles() {
            match role?.liveness {
                Liveness::Dead => dead = dead.saturating_add(1),
                Liveness::Free => {}
                Liveness::Alive | Liveness::Claiming | Liveness::Unknown => return Ok(None),
            }
        }
        if dead == 0 {
            // Nobody died: a persistent object, left for later on purpose.
            return Ok(None);
        }
        return Ok(Some(object(
            Some(layout.kind),
            AbandonReason::HoldersDied { dead },
            Some(semid),
        )));
    }
    if let (Some(NotLayout::NotReady { state }), Some(att)) =
        (inspection.not_layout(), inspection.attachment())
    {
        if !begun(att) {
            return Ok(None);
        }
        let sems = if stat.perm.key.is_private() {
            None
        } else {
            crate::join::dead_creators_sems(att.backend().clone(), stat.perm.key, &stat, None)
                .map(|s| s.id())
        };
        return Ok(Some(object(
            None,
            AbandonReason::CreatorDied { state },
            sems,
        )));
    }
    Ok(None)
}

/// The join's test for a header its creator marked and never published
/// (`join::unfinished`'s `Begun`), read through a read-only mapping: `magic` is
/// [`MAGIC`] and `state` is 1, or 0 with every other word 0.
fn begun<B: Backend>(att: &Attachment<B, ReadOnly>) -> bool {
    let w = |offset| att.load_u64(offset);
    if w(offset_of!(Header, magic)) != Some(MAGIC) {
        return false;
    }
    match w(offset_of!(Header, state)) {
        Some(INITIALIZING) => true,
        Some(UNINIT) => (offset_of!(Header, magic) + 8..HEADER_SIZE)
            .step_by(8)
            .all(|offset| w(offset) == Some(0)),
        _ => false,
    }
}

/// The crate's abandoned objects of the namespace, found by [`abandoned_in`].
///
/// # Examples
///
/// See [`abandoned`].
#[derive(Debug)]
pub struct Abandoned<B: Backend + Clone = DefaultBackend> {
    walk: Layouts<B>,
}

impl<B: Backend + Clone> Iterator for Abandoned<B> {
    type Item = Result<AbandonedObject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let inspection = match self.walk.next()? {
                Ok(i) => i,
                Err(e) => return Some(Err(e)),
            };
            match judge(&inspection) {
                Ok(Some(found)) => return Some(Ok(found)),
                Ok(None) => {}
                // A set removed meanwhile: the object is going away anyway.
                Err(e) if gone(&e) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<B: Backend + Clone> FusedIterator for Abandoned<B> {}

/// The crate's objects nobody can use any more, on the default backend. See
/// [`abandoned_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::info;
///
/// // A program that cleans up what crashed runs before it starts (a process
/// // may only remove its own user's objects).
/// let euid = unsafe { libc::geteuid() };
/// for object in info::abandoned()? {
///     let object = object?;
///     if object.removable_by(euid) {
///         println!("{} {:?}: {}", object.id, object.kind, object.reason.describe());
///         info::remove_abandoned(&object)?;
///     }
/// }
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn abandoned() -> Result<Abandoned> {
    abandoned_in(DefaultBackend::default())
}

/// Walks every segment as [`layouts_in`](super::layouts_in) does and yields the
/// crate's objects nobody can use any more (see the [`info` module
/// docs](crate::info#cleaning-up-after-crashes)): a ready layout with no
/// attachment, no role held and at least one holder dead, or a header its
/// creator marked and never published, with no attachment. Never a segment a
/// process has attached, one whose header is not the crate's, or one it cannot
/// read (another user's `0600` segment).
///
/// # Errors
///
/// The `SHM_INFO` call; each item is a `Result` as in
/// [`layouts_in`](super::layouts_in).
///
/// # References
///
/// shmctl(2), shmat(2), semctl(2).
///
/// # Examples
///
/// See [`AbandonedObject`].
pub fn abandoned_in<B: Backend + Clone>(backend: B) -> Result<Abandoned<B>> {
    Ok(Abandoned {
        walk: super::layouts_in(backend)?,
    })
}

/// Removes `object` if it is still abandoned, on the default backend. See
/// [`remove_abandoned_in`].
///
/// # Errors
///
/// As [`remove_abandoned_in`].
///
/// # Examples
///
/// See [`abandoned`].
pub fn remove_abandoned(object: &AbandonedObject) -> Result<Cleanup> {
    remove_abandoned_in(DefaultBackend::default(), object)
}

/// Removes one object that [`abandoned_in`] found, after checking again that it
/// still is: the id names the same segment (key, creator pid and `ctime`
/// unchanged), a fresh read-only inspection judges it abandoned for the same
/// kind of reason, and, with that inspection's attachment held, `shm_nattch` is
/// 1 (only the inspection's). Then the semaphore set goes first, if it still is
/// the set of the key (so no new creator adopts it), and the segment with
/// `IPC_RMID`.
///
/// # Errors
///
/// The `IPC_RMID` calls: [`ErrorKind::PermissionDenied`] for an object of another
/// user ([`AbandonedObject::removable_by`]; nothing was removed). The checks'
/// own calls failing is not an error: the object is not removed
/// ([`Cleanup::NoLongerAbandoned`], [`Cleanup::AlreadyGone`]).
///
/// # References
///
/// shmctl(2) (`IPC_STAT`, `IPC_RMID`), semctl(2) (`IPC_RMID`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, Cleanup};
/// use sysv_ipc::{Intent, Key, Mode, SeqLock};
/// use sysv_ipc_mock::{Mock, Process};
///
/// let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
/// kernel.fork_process(1, 2).unwrap();
/// kernel.set_process(Process::root(2));
/// let lock = SeqLock::<u64, _>::create_in(kernel, Key::new(9), Intent::CreateNew, Mode::OWNER_RW)?;
/// std::mem::forget(lock.writer()?);
/// std::mem::forget(lock);
/// kernel.exit_process(2); // died holding the writer role
/// kernel.set_process(Process::root(1));
///
/// let object = info::abandoned_in(kernel)?.next().expect("found")?;
/// let done = info::remove_abandoned_in(kernel, &object)?;
/// assert_eq!(done, Cleanup::Removed { semaphores: object.semaphores, attached_meanwhile: false });
/// assert!(info::segments_in(kernel)?.next().is_none());
/// assert!(info::semaphore_sets_in(kernel)?.next().is_none());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn remove_abandoned_in<B: Backend + Clone>(
    backend: B,
    object: &AbandonedObject,
) -> Result<Cleanup> {
    let inspection = match super::inspect_in(backend.clone(), object.id) {
        Ok(i) => i,
        Err(e) if gone(&e) => return Ok(Cleanup::AlreadyGone),
        Err(_) => return Ok(Cleanup::NoLongerAbandoned),
    };
    let then = object.stat;
    let now = *inspection.stat();
    if now.perm.key != then.perm.key || now.cpid != then.cpid || now.ctime != then.ctime {
        return Ok(Cleanup::NoLongerAbandoned);
    }
    let fresh = match judge(&inspection) {
        Ok(Some(fresh)) => fresh,
        Ok(None) => return Ok(Cleanup::NoLongerAbandoned),
        Err(e) if gone(&e) => return Ok(Cleanup::AlreadyGone),
        Err(_) => return Ok(Cleanup::NoLongerAbandoned),
    };
    if core::mem::discriminant(&fresh.reason) != core::mem::discriminant(&object.reason)
        || fresh.semaphores != object.semaphores
    {
        return Ok(Cleanup::NoLongerAbandoned);
    }
    let segment = Segment::from_id(backend.clone(), object.id);
    // The last look, with the inspection's attachment held: only it.
    match segment.stat() {
        Ok(s) if s.is_removed() => return Ok(Cleanup::AlreadyGone),
        Ok(s) if s.nattch == 1 => {}
        Ok(_) => return Ok(Cleanup::NoLongerAbandoned),
        Err(e) if gone(&e) => return Ok(Cleanup::AlreadyGone),
        Err(_) => return Ok(Cleanup::NoLongerAbandoned),
    }
    let mut removed_set = None;
    if let Some(semid) = fresh.semaphores {
        // Still the key's set: removing it before the segment, which holds the
        // key, leaves no moment where a new creator could adopt it.
        let current = SemSet::open_in(backend.clone(), object.key).map(|s| s.id());
        if current.ok() == Some(semid) {
            match SemSet::from_id(backend.clone(), semid).remove() {
                Ok(()) => removed_set = Some(semid),
                Err(e) if gone(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
    match segment.remove() {
        Ok(()) => {}
        Err(e) if gone(&e) => return Ok(Cleanup::AlreadyGone),
        Err(e) => return Err(e),
    }
    // Still attached by the inspection, so the removed segment can be asked.
    let attached_meanwhile = segment.stat().is_ok_and(|s| s.nattch > 1);
    drop(inspection); // the last attachment: the kernel destroys the segment
    Ok(Cleanup::Removed {
        semaphores: removed_set,
        attached_meanwhile,
    })
}

/// Whether `e` says the object is gone (`EIDRM`, or `EINVAL` once its id is).
fn gone(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Removed | ErrorKind::InvalidArgument | ErrorKind::NotFound
    )
}
