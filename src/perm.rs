//! `Perm`: owner, creator and mode of an IPC object, as `IPC_STAT` reports them.

use crate::abi::ipc64_perm;
use crate::{Key, Mode};

/// Who owns an object, who created it, and its mode (`struct ipc_perm`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{Intent, Key, Mode, Removal};
///
/// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::new(0o640))?);
/// let perm = q.stat()?.perm;
/// assert_eq!(perm.key, Key::PRIVATE);
/// assert_eq!((perm.uid, perm.gid), (perm.cuid, perm.cgid)); // the creator owns it
/// assert_eq!(perm.mode, Mode::new(0o640));
/// assert_eq!(perm.raw_mode & 0o777, 0o640);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Perm {
    /// The key the object was created with; [`Key::PRIVATE`] for private objects and
    /// for segments removed while still attached.
    pub key: Key,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// The nine permission bits.
    pub mode: Mode,
    /// The whole `mode` word, with state bits such as `SHM_DEST` (0o1000) and
    /// `SHM_LOCKED` (0o2000) for segments.
    pub raw_mode: u32,
    /// The slot's sequence number (part of the id).
    pub seq: u16,
}

impl From<&ipc64_perm> for Perm {
    fn from(p: &ipc64_perm) -> Perm {
        Perm {
            key: Key::new(p.key),
            uid: p.uid,
            gid: p.gid,
            cuid: p.cuid,
            cgid: p.cgid,
            mode: Mode::new(p.mode),
            raw_mode: p.mode,
            seq: p.seq,
        }
    }
}

/// New owner and mode for `IPC_SET` (`set_owner` on every kind of object): only the
/// owner, the creator or a privileged process may change them.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Owner};
/// use sysv_ipc_mock::{Mock, Process};
///
/// static KERNEL: Mock = Mock::new(); // plays two users on one machine
/// KERNEL.set_process(Process::user(100, 1000, 1000));
/// let q = MsgQueue::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::default())?;
/// // The owner gives the queue to user 2000, readable by its group.
/// q.set_owner(Owner { uid: 2000, gid: 2000, mode: Mode::new(0o640) })?;
/// let perm = q.stat()?.perm; // the creator may still look
/// assert_eq!((perm.uid, perm.cuid, perm.mode), (2000, 1000, Mode::new(0o640)));
/// // Someone who is neither owner nor creator may not change it.
/// KERNEL.set_process(Process::user(101, 3000, 3000));
/// let e = q.set_owner(Owner { uid: 3000, gid: 3000, mode: Mode::ALL_RW }).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::PermissionDenied);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    /// New owner's user id.
    pub uid: u32,
    /// New owner's group id.
    pub gid: u32,
    /// New permission bits.
    pub mode: Mode,
}

impl Owner {
    /// Writes this owner into a kernel `ipc64_perm` for `IPC_SET`, keeping the
    /// bits above the permission bits as they were (`IPC_SET` takes only uid, gid and
    /// the nine permission bits, so the rest of the struct may be anything).
    pub(crate) fn apply(&self, p: &mut ipc64_perm) {
        p.uid = self.uid;
        p.gid = self.gid;
        p.mode = (p.mode & !0o777) | self.mode.bits();
    }
}
