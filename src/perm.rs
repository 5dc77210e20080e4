//! `Perm`: owner, creator and mode of an IPC object, as `IPC_STAT` reports them.

use crate::abi::ipc64_perm;
use crate::{Key, Mode};

/// Who owns an object, who created it, and its mode (`struct ipc_perm`).
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
    /// state bits above the permission bits as they were.
    pub(crate) fn apply(&self, p: &mut ipc64_perm) {
        p.uid = self.uid;
        p.gid = self.gid;
        p.mode = (p.mode & !0o777) | self.mode.bits();
    }
}
