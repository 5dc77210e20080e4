//! Creating or joining one of the crate's layouts in a segment: the part of
//! [`Queue`](crate::queue::Queue) and [`SeqLock`](crate::seqlock::SeqLock) that is
//! the same for both — the segment created or opened under a key, the header
//! handshake of [`layout::header`](crate::layout::header), the semaphore set under
//! the same key, and the checks that the set and the segment belong together.
//!
//! What differs between the layouts is a [`LayoutSpec`] (shape, size, semaphore
//! values, the call named in errors) and the control block type
//! ([`ControlBlock`]) with the creator's initialisation of it.

use core::time::Duration;

use crate::layout::broadcast::{self, BcCtl};
use crate::layout::header::{Header, HeaderError, INITIALIZING, MAGIC, READY, Shape, UNINIT};
use crate::layout::mpsc::{self, MpscCtl};
use crate::layout::ring::{self, RingCtl};
use crate::layout::seqlock::{self, SeqCtl};
use crate::layout::{AtomicsOnly, view};
use crate::sem::{SemSet, SemSetOptions, timed_wait};
use crate::shm::{Access, Attachment, Segment, SegmentStat};
use crate::sync::Ordering;
use crate::{Backend, Error, ErrorKind, Intent, Key, Mode, Removable, Result};

/// The struct at the start of a layout's segment: the header, then the layout's
/// control lines, up to the payload.
pub(crate) trait ControlBlock: AtomicsOnly {
    /// Offset of the payload; the control block is what lies before it.
    const DATA_OFFSET: usize;

    /// The header at offset 0.
    fn header(&self) -> &Header;
}

impl ControlBlock for RingCtl {
    const DATA_OFFSET: usize = ring::DATA_OFFSET;

    fn header(&self) -> &Header {
        &self.header
    }
}

impl ControlBlock for BcCtl {
    const DATA_OFFSET: usize = broadcast::DATA_OFFSET;

    fn header(&self) -> &Header {
        &self.header
    }
}

impl ControlBlock for MpscCtl {
    const DATA_OFFSET: usize = mpsc::TABLE_OFFSET;

    fn header(&self) -> &Header {
        &self.header
    }
}

impl ControlBlock for SeqCtl {
    const DATA_OFFSET: usize = seqlock::DATA_OFFSET;

    fn header(&self) -> &Header {
        &self.header
    }
}

impl ControlBlock for crate::layout::table::TableCtl {
    /// The control block's end: a table's slots start at a `data_offset` that
    /// depends on `N`, past the change index, which the header records.
    const DATA_OFFSET: usize = crate::layout::table::INDEX_OFFSET;

    fn header(&self) -> &Header {
        &self.header
    }
}

/// What one layout (for one `T`, one capacity) needs from the segment and the
/// semaphore set of its key.
pub(crate) struct LayoutSpec<'v> {
    /// What the header must say.
    pub(crate) shape: Shape,
    /// Bytes of the whole layout: the segment's size when this call creates it, and
    /// the least an existing one must have.
    pub(crate) size: usize,
    /// The semaphore set's initial values (its length is its size).
    pub(crate) sem_values: &'v [u16],
}

impl LayoutSpec<'_> {
    /// The error for a segment of `actual` bytes, which the layout cannot be
    /// (`LayoutMismatch` on the field `size`).
    fn wrong_size(&self, actual: usize) -> Error {
        Error::new(ErrorKind::LayoutMismatch).with_field(&"size", actual as u64, self.size as u64)
    }
}

/// Creates the layout of `key` or joins the one it has, as `intent` says: the
/// segment (see [`Segment::create_or_open_in`]), the header handshake, the
/// semaphore set. The creator initialises its control block with `init` between
/// [`Header::begin_init`] and [`Header::publish`]; a joiner waits for the header
/// for up to `join_timeout` (with [`timed_wait`]), and so does anyone for the
/// semaphore set's values ([`SemSet::new_initialized_with`]). A segment this call
/// created is removed again if joining fails.
///
/// With [`Intent::OpenOrCreate`], a joiner whose wait ran out on a segment that
/// [`remove_if_abandoned`] finds abandoned (this crate's, marked by its creator,
/// and only this joiner attached: the creator died before publishing) removes it
/// and creates the layout afresh; another program's segment is never removed
/// (`LayoutMismatch` or `Uninitialized`, see [`Abandoned`]); if someone
/// else removed the segment meanwhile, or its header turned out published after
/// all, it opens or creates once more instead. At
/// most one such second round per call, so two processes never loop; a second
/// round that meets a stuck segment again ends in `Uninitialized`.
pub(crate) fn create_or_join<B, C>(
    backend: B,
    key: Key,
    intent: Intent,
    mode: Mode,
    spec: &LayoutSpec<'_>,
    init: impl Fn(&C, &B),
    join_timeout: Duration,
) -> Result<(Attachment<B>, SemSet<B>)>
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let init = |_: &Attachment<B>, ctl: &C, backend: &B| init(ctl, backend);
    create_or_join_whole(backend, key, intent, mode, spec, init, join_timeout)
}

/// [`create_or_join`] for a layout whose creator initialises words past the
/// control block (an MPSC ring's table and slots): `init` is also handed the
/// creator's attachment, whose size the join has checked against `spec.size`.
pub(crate) fn create_or_join_whole<B, C>(
    backend: B,
    key: Key,
    intent: Intent,
    mode: Mode,
    spec: &LayoutSpec<'_>,
    init: impl Fn(&Attachment<B>, &C, &B),
    join_timeout: Duration,
) -> Result<(Attachment<B>, SemSet<B>)>
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let not_ready = || HeaderError::NotReady.to_error();
    let once = |backend| create_or_join_once(backend, key, intent, mode, spec, &init, join_timeout);
    let att = match once(backend.clone())? {
        Joined::Ready(att, sems) => return Ok((att, sems)),
        Joined::NotReady(att) => att,
    };
    // `Intent::Open` never creates, so it never removes either; `CreateNew` never
    // gets here (its segment is always its own).
    if intent != Intent::OpenOrCreate {
        return Err(not_ready());
    }
    match remove_if_abandoned::<B, C>(att, key, spec) {
        Abandoned::Removed | Abandoned::RemovedByOthers | Abandoned::ReadyAfterAll => {}
        Abandoned::Kept => return Err(not_ready()),
        Abandoned::Foreign(magic) => {
            let mismatch = HeaderError::Mismatch {
                field: &"magic",
                actual: magic,
                expected: MAGIC,
            };
            return Err(mismatch.to_error());
        }
    }
    // The one second round (waiting as long again): a segment stuck again now is
    // reported, not recovered.
    match once(backend)? {
        Joined::Ready(att, sems) => Ok((att, sems)),
        Joined::NotReady(..) => Err(not_ready()),
    }
}

/// What one round of [`create_or_join`] got.
enum Joined<B: Backend> {
    /// The layout, ready and checked.
    Ready(Attachment<B>, SemSet<B>),
    /// An existing segment (not created by this round) whose header was still not
    /// ready when the wait ran out: this round's attachment of it, still held.
    NotReady(Attachment<B>),
}

/// One round of [`create_or_join`], without recovery.
fn create_or_join_once<B, C>(
    backend: B,
    key: Key,
    intent: Intent,
    mode: Mode,
    spec: &LayoutSpec<'_>,
    init: impl Fn(&Attachment<B>, &C, &B),
    join_timeout: Duration,
) -> Result<Joined<B>>
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let (segment, created) = Segment::create_or_open_in(backend, key, spec.size, intent, mode)?;
    match join(&segment, created, key, mode, spec, init, join_timeout) {
        Ok(Joined::NotReady(_)) if created => {
            // Nobody can use a segment whose header never became ready.
            let _ = segment.remove();
            Err(HeaderError::NotReady.to_error())
        }
        Err(e) if created => {
            let _ = segment.remove();
            Err(e)
        }
        r => r,
    }
}

/// Attaches `segment`, runs the header handshake (as the creator if `created` and
/// the claim of [`Header::begin_init`] is ours, as an attacher otherwise), opens the
/// semaphore set, and checks both with [`check_joined`]. Each wait (for the header,
/// for the set's values) lasts up to `join_timeout`.
fn join<B, C>(
    segment: &Segment<B>,
    created: bool,
    key: Key,
    mode: Mode,
    spec: &LayoutSpec<'_>,
    init: impl Fn(&Attachment<B>, &C, &B),
    join_timeout: Duration,
) -> Result<Joined<B>>
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let backend = segment.backend().clone();
    let sem_options = SemSetOptions::new().join_timeout(join_timeout);
    let att = segment.attach()?;
    // The header and control lines only: the payload's size is checked after the
    // header said what this segment is.
    let (ctl, _) =
        view::<B, C>(&att, C::DATA_OFFSET, 0).ok_or_else(|| spec.wrong_size(att.len()))?;
    let header = ctl.header();
    let sems = if created && header.begin_init() {
        init(&att, ctl, &backend);
        let sems =
            SemSet::new_initialized_with(backend.clone(), key, spec.sem_values, mode, sem_options)?;
        let pid = u32::try_from(backend.getpid()).unwrap_or(0);
        header.publish(&spec.shape, pid);
        sems
    } else {
        let wait = timed_wait(backend.clone(), join_timeout);
        match header.attach_segment(&spec.shape, att.len(), wait) {
            Ok(()) => {}
            Err(HeaderError::NotReady) => return Ok(Joined::NotReady(att)),
            Err(e) => return Err(e.to_error()),
        }
        SemSet::new_initialized_with(backend.clone(), key, spec.sem_values, mode, sem_options)?
    };
    check_joined(segment, &sems, &att, spec)?;
    Ok(Joined::Ready(att, sems))
}

/// What [`remove_if_abandoned`] found, and did.
enum Abandoned {
    /// Abandoned, and removed by this call (with its dead creator's semaphore set,
    /// if there was one).
    Removed,
    /// Someone else removed it first (another joiner's recovery, an `ipcrm`).
    RemovedByOthers,
    /// Its header became ready after all: the creator published after this
    /// joiner's last look, then went away.
    ReadyAfterAll,
    /// Left alone: another process is attached (the creator, alive and slow; a
    /// second joiner; a child that inherited an attachment), the header is all
    /// zero (another program's zero-filled segment, or a creator not yet attached:
    /// nothing tells them apart), it is marked but of another size than the
    /// layout's, or the kernel refused to say or to remove it (`EPERM`: another
    /// user's segment).
    Kept,
    /// Left alone: nobody else is attached and the header holds bytes this
    /// crate's handshake never leaves (no mark): another program's segment, whose
    /// first word after `state` (the header's `magic`) this is.
    Foreign(u64),
}

/// Removes the segment that `att` maps (whose header was not ready when a
/// joiner's wait ran out) if it is abandoned: this crate's, of the layout's exact
/// size, and this attachment is the only one.
///
/// A creator is attached from before it marks the header ([`Header::begin_init`]
/// stores [`MAGIC`] before it claims `state`) until its layout handle is dropped,
/// and the kernel detaches whatever a process had attached when it exits, however
/// it dies. So a marked header with `shm_nattch == 1`, counted while we hold
/// `att`, means its creator is gone: nobody can publish it any more, and nobody
/// else is using the segment. The header is read after the count, so what it says
/// is final (only an attached process writes it). An unmarked header is never
/// ours to remove: it may be another program's segment.
///
/// The semaphore set of `key` goes first if it is the dead creator's
/// ([`dead_creators_sems`]), while the segment still holds the key so that no
/// new creator can adopt that set in between; then the segment.
fn remove_if_abandoned<B, C>(att: Attachment<B>, key: Key, spec: &LayoutSpec<'_>) -> Abandoned
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let segment = att.segment();
    let stat = match sole_attachment(&segment) {
        Ok(stat) => stat,
        Err(kept) => return kept,
    };
    let Some((ctl, _)) = view::<B, C>(&att, C::DATA_OFFSET, 0) else {
        return Abandoned::Kept;
    };
    let verdict = match unfinished(ctl.header()) {
        Unfinished::Published => Abandoned::ReadyAfterAll,
        Unfinished::Untouched => Abandoned::Kept,
        Unfinished::NotOurs => Abandoned::Foreign(ctl.header().magic.load(Ordering::Relaxed)),
        // Marked, but no creator of this layout made it this size: not provably
        // the layout's (another `T` or capacity joins nothing here either).
        Unfinished::Begun if stat.size != spec.size => Abandoned::Kept,
        Unfinished::Begun => {
            let nsems = spec.sem_values.len();
            if let Some(sems) =
                dead_creators_sems(segment.backend().clone(), key, &stat, Some(nsems))
            {
                // A failure leaves the set to the next round, which refuses or
                // reuses it as for any existing set.
                let _ = sems.remove();
            }
            match segment.remove() {
                Ok(()) => Abandoned::Removed,
                Err(e) if gone(&e) => Abandoned::RemovedByOthers,
                Err(_) => Abandoned::Kept,
            }
        }
    };
    // The last attachment: once it is dropped, a removed segment is destroyed.
    drop(att);
    verdict
}

/// The segment's status if the caller's attachment is its only one; otherwise
/// what [`remove_if_abandoned`] answers.
fn sole_attachment<B: Backend>(
    segment: &Segment<B>,
) -> core::result::Result<SegmentStat, Abandoned> {
    match segment.stat() {
        Ok(stat) if stat.is_removed() => Err(Abandoned::RemovedByOthers),
        Ok(stat) if stat.nattch == 1 => Ok(stat),
        Ok(_) => Err(Abandoned::Kept),
        Err(e) if gone(&e) => Err(Abandoned::RemovedByOthers),
        Err(_) => Err(Abandoned::Kept),
    }
}

/// Whether `e` says the segment is gone (`EIDRM`, or `EINVAL` once its id is).
fn gone(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Removed | ErrorKind::InvalidArgument)
}

/// What an unready header says about its creator's progress.
enum Unfinished {
    /// Marked by a creator that never finished: `magic` is [`MAGIC`] and `state`
    /// is [`INITIALIZING`] (it may have died inside [`Header::publish`]), or
    /// [`UNINIT`] with every other word zero (it died between the mark and the
    /// claim).
    Begun,
    /// Every word zero: what the kernel hands out, so either a creator that has
    /// not attached (or died before its mark) or another program's segment.
    Untouched,
    /// `state` is [`READY`] now.
    Published,
    /// Anything else: not a header of this crate's handshake (another program's
    /// segment whose first word happens to be 0 or 1), so not ours to remove.
    NotOurs,
}

/// Reads `header` for [`remove_if_abandoned`].
fn unfinished(header: &Header) -> Unfinished {
    // Relaxed: only a decision, made after the count said every writer is gone;
    // the next round's `wait_ready` does the Acquire.
    let r = Ordering::Relaxed;
    let magic = header.magic.load(r);
    let rest = [
        &header.layout_version,
        &header.kind,
        &header.total_size,
        &header.data_offset,
        &header.type_size,
        &header.type_align,
        &header.type_id,
        &header.capacity,
        &header.creator_pid,
        &header.generation,
    ];
    let rest_zero = || {
        rest.into_iter()
            .chain(&header.reserved)
            .all(|w| w.load(r) == 0)
    };
    match header.state.load(r) {
        READY => Unfinished::Published,
        INITIALIZING if magic == MAGIC => Unfinished::Begun,
        UNINIT if magic == MAGIC && rest_zero() => Unfinished::Begun,
        UNINIT if magic == 0 && rest_zero() => Unfinished::Untouched,
        _ => Unfinished::NotOurs,
    }
}

/// The semaphore set of `key`, if it is the one the dead creator of the segment
/// `stat` describes made for it, and nobody else has used:
///
/// - created by the segment's creator user (`cuid`, as [`same_creator`]
///   decides), with the layout's number of semaphores; and
/// - on every semaphore, the last process to operate on it (`GETPID`) is the
///   segment's creator (`shm_cpid`; the creator's initialising `semop` in
///   [`SemSet::new_initialized_in`] sets it on semaphore 0) or nobody (0).
///
/// No ready layout can be using such a set: a layout's set shares its key with
/// its segment, and the key's segment is the abandoned one. A set another user
/// made, one of another size, or one some other process has operated on is left
/// alone; the next round then refuses it ([`same_creator`], `SizeMismatch`) or
/// opens it, as any creator would. (A reused pid could make another process's
/// set look like the dead creator's only if that process was the set's only user
/// and had the dead creator's pid.)
///
/// `nsems` `None` (the inspector's cleanup, which cannot know the kind of a
/// header never published) accepts any size: the `GETPID` test alone then says
/// the set is the dead creator's.
pub(crate) fn dead_creators_sems<B: Backend>(
    backend: B,
    key: Key,
    stat: &SegmentStat,
    nsems: Option<usize>,
) -> Option<SemSet<B>> {
    let sems = SemSet::open_in(backend, key).ok()?;
    let set = sems.stat().ok()?;
    if set.perm.cuid != stat.perm.cuid || nsems.is_some_and(|n| set.nsems != n) {
        return None;
    }
    for num in 0..u16::try_from(set.nsems).ok()? {
        let pid = sems.last_pid(num).ok()?;
        if pid != 0 && pid != stat.cpid {
            return None;
        }
    }
    Some(sems)
}

/// The checks after the header handshake, for every kind of attachment: `sems`
/// belongs with `segment` ([`same_creator`]), and `att` holds the whole layout.
pub(crate) fn check_joined<B: Backend, A: Access>(
    segment: &Segment<B>,
    sems: &SemSet<B>,
    att: &Attachment<B, A>,
    spec: &LayoutSpec<'_>,
) -> Result<()> {
    same_creator(segment, sems)?;
    if att.len() < spec.size {
        return Err(spec.wrong_size(att.len()));
    }
    Ok(())
}

/// Refuses a semaphore set that another user created under the layout's key: one
/// made first by someone else (world-writable, already initialised, of the right
/// size) would otherwise be taken as the layout's own, giving its creator the
/// roles and wake-ups. Both halves of a layout have one creator (`cuid`, which
/// `IPC_SET` does not change). The error is a `LayoutMismatch` whose field,
/// `"semaphore set's creator uid"`, has the set's creator against the segment's.
pub(crate) fn same_creator<B: Backend>(segment: &Segment<B>, sems: &SemSet<B>) -> Result<()> {
    let (expected, actual) = (segment.stat()?.perm.cuid, sems.stat()?.perm.cuid);
    if expected == actual {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::LayoutMismatch).with_field(
            &SEMAPHORES_CREATOR,
            u64::from(actual),
            u64::from(expected),
        ))
    }
}

/// The [`Error::layout_field`] of a semaphore set that another user created under
/// a layout's key.
pub(crate) const SEMAPHORES_CREATOR: &str = "semaphore set's creator uid";
