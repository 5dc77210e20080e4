//! Creating or joining one of the crate's layouts in a segment: the part of
//! [`Queue`](crate::queue::Queue) and [`SeqLock`](crate::seqlock::SeqLock) that is
//! the same for both — the segment created or opened under a key, the header
//! handshake of [`layout::header`](crate::layout::header), the semaphore set under
//! the same key, and the checks that the set and the segment belong together.
//!
//! What differs between the layouts is a [`LayoutSpec`] (shape, size, semaphore
//! values, the call named in errors) and the control block type
//! ([`ControlBlock`]) with the creator's initialisation of it.

use crate::layout::header::{Header, Shape};
use crate::layout::ring::{self, RingCtl};
use crate::layout::seqlock::{self, SeqCtl};
use crate::layout::{AtomicsOnly, view};
use crate::sem::SemSet;
use crate::shm::{Access, Attachment, Segment};
use crate::{Backend, Call, Error, ErrorKind, Intent, Key, Mode, Removable, Result};

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

impl ControlBlock for SeqCtl {
    const DATA_OFFSET: usize = seqlock::DATA_OFFSET;

    fn header(&self) -> &Header {
        &self.header
    }
}

/// What one layout (for one `T`, one capacity) needs from the segment and the
/// semaphore set of its key.
pub(crate) struct LayoutSpec<'v> {
    /// The call named in the errors this module makes itself.
    pub(crate) call: Call,
    /// What the header must say.
    pub(crate) shape: Shape,
    /// Bytes of the whole layout: the segment's size when this call creates it, and
    /// the least an existing one must have.
    pub(crate) size: usize,
    /// The semaphore set's initial values (its length is its size).
    pub(crate) sem_values: &'v [u16],
}

impl LayoutSpec<'_> {
    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(self.call, kind)
    }

    fn too_small(&self) -> Error {
        self.error(ErrorKind::LayoutMismatch { field: "size" })
    }
}

/// Creates the layout of `key` or joins the one it has, as `intent` says: the
/// segment (see [`Segment::create_or_open_in`]), the header handshake, the
/// semaphore set. The creator initialises its control block with `init` between
/// [`Header::begin_init`] and [`Header::publish`]; a joiner waits for the header
/// with `wait`. A segment this call created is removed again if joining fails.
pub(crate) fn create_or_join<B, C>(
    backend: B,
    key: Key,
    intent: Intent,
    mode: Mode,
    spec: &LayoutSpec<'_>,
    init: impl FnOnce(&C, &B),
    wait: impl FnMut(u32) -> bool,
) -> Result<(Attachment<B>, SemSet<B>)>
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let (segment, created) = Segment::create_or_open_in(backend, key, spec.size, intent, mode)?;
    let joined = join(&segment, created, key, mode, spec, init, wait);
    if joined.is_err() && created {
        // Nobody can use a segment whose header never became ready.
        let _ = segment.remove();
    }
    joined
}

/// Attaches `segment`, runs the header handshake (as the creator if `created` and
/// the claim of [`Header::begin_init`] is ours, as an attacher otherwise), opens the
/// semaphore set, and checks both with [`check_joined`].
fn join<B, C>(
    segment: &Segment<B>,
    created: bool,
    key: Key,
    mode: Mode,
    spec: &LayoutSpec<'_>,
    init: impl FnOnce(&C, &B),
    wait: impl FnMut(u32) -> bool,
) -> Result<(Attachment<B>, SemSet<B>)>
where
    B: Backend + Clone,
    C: ControlBlock,
{
    let backend = segment.backend().clone();
    let att = segment.attach()?;
    // The header and control lines only: the payload's size is checked after the
    // header said what this segment is.
    let (ctl, _) = view::<B, C>(&att, C::DATA_OFFSET, 0).ok_or_else(|| spec.too_small())?;
    let header = ctl.header();
    let sems = if created && header.begin_init() {
        init(ctl, &backend);
        let sems = SemSet::new_initialized_in(backend.clone(), key, spec.sem_values, mode)?;
        let pid = u32::try_from(backend.getpid()).unwrap_or(0);
        header.publish(&spec.shape, pid);
        sems
    } else {
        header
            .attach(&spec.shape, wait)
            .map_err(|e| e.to_error(spec.call))?;
        SemSet::new_initialized_in(backend.clone(), key, spec.sem_values, mode)?
    };
    check_joined(segment, &sems, &att, spec)?;
    Ok((att, sems))
}

/// The checks after the header handshake, for every kind of attachment: `sems`
/// belongs with `segment` ([`same_creator`]), and `att` holds the whole layout.
pub(crate) fn check_joined<B: Backend, A: Access>(
    segment: &Segment<B>,
    sems: &SemSet<B>,
    att: &Attachment<B, A>,
    spec: &LayoutSpec<'_>,
) -> Result<()> {
    same_creator(segment, sems, spec.call)?;
    if att.len() < spec.size {
        return Err(spec.too_small());
    }
    Ok(())
}

/// Refuses a semaphore set that another user created under the layout's key: one
/// made first by someone else (world-writable, already initialised, of the right
/// size) would otherwise be taken as the layout's own, giving its creator the
/// roles and wake-ups. Both halves of a layout have one creator (`cuid`, which
/// `IPC_SET` does not change). The error, `LayoutMismatch { field: "semaphores" }`,
/// names `call`.
pub(crate) fn same_creator<B: Backend>(
    segment: &Segment<B>,
    sems: &SemSet<B>,
    call: Call,
) -> Result<()> {
    if segment.stat()?.perm.cuid == sems.stat()?.perm.cuid {
        Ok(())
    } else {
        Err(Error::new(
            call,
            ErrorKind::LayoutMismatch {
                field: "semaphores",
            },
        ))
    }
}
