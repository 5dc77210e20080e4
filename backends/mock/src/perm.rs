//! Credentials of the simulated caller and the kernel's permission checks
//! (`ipcperms`, `ipcctl_obtain_check`, `ipc_update_perm` in `ipc/util.c`).

use sysv_ipc_abi::{Errno, ipc64_perm};

/// Capabilities the IPC code consults. Root (`Process::root`) has them all; an
/// ordinary user (`Process::user`) has none, as after `setuid(65534)`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Caps(u8);

impl Caps {
    /// No capability.
    pub const NONE: Caps = Caps(0);
    /// `CAP_IPC_OWNER`: bypasses the mode bits in every access check (`ipcperms`).
    pub const IPC_OWNER: Caps = Caps(1);
    /// `CAP_SYS_ADMIN`: `IPC_SET`/`IPC_RMID` on objects the caller does not own.
    pub const SYS_ADMIN: Caps = Caps(2);
    /// `CAP_SYS_RESOURCE`: raising `msg_qbytes` above `msgmnb`.
    pub const SYS_RESOURCE: Caps = Caps(4);
    /// `CAP_IPC_LOCK`: `SHM_LOCK`/`SHM_UNLOCK` on any segment, without the
    /// `RLIMIT_MEMLOCK` accounting.
    pub const IPC_LOCK: Caps = Caps(8);
    /// Every capability above.
    pub const ALL: Caps = Caps(15);

    /// Whether every capability in `other` is in `self`.
    pub const fn contains(self, other: Caps) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both sets.
    pub const fn union(self, other: Caps) -> Caps {
        Caps(self.0 | other.0)
    }
}

/// Maximum supplementary groups a [`Process`] carries.
pub const MAX_GROUPS: usize = 8;

/// The simulated caller: process id, effective credentials and capabilities.
///
/// Set it with [`Mock::set_process`](crate::Mock::set_process) (or, with the
/// `std` feature, per thread with
/// `Mock::set_thread_process`); every call is
/// made as the process current at its start.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// Process id (`getpid()`, `lspid`, `cpid`, `sempid`, ...).
    pub pid: i32,
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    groups: [u32; MAX_GROUPS],
    ngroups: u8,
    /// Capabilities in the IPC namespace's user namespace.
    pub caps: Caps,
    /// `RLIMIT_MEMLOCK` in bytes (for `SHM_LOCK` without `CAP_IPC_LOCK`).
    pub memlock_limit: u64,
}

/// Linux's default `RLIMIT_MEMLOCK` (8 MiB since 5.16; `ulimit -l` says 8192 here).
pub const DEFAULT_MEMLOCK: u64 = 8 << 20;

impl Process {
    /// Root (uid 0, gid 0) with every capability.
    pub const fn root(pid: i32) -> Self {
        Self {
            pid,
            uid: 0,
            gid: 0,
            groups: [0; MAX_GROUPS],
            ngroups: 0,
            caps: Caps::ALL,
            memlock_limit: DEFAULT_MEMLOCK,
        }
    }

    /// An unprivileged process: no capabilities, no supplementary groups.
    pub const fn user(pid: i32, uid: u32, gid: u32) -> Self {
        Self {
            pid,
            uid,
            gid,
            groups: [0; MAX_GROUPS],
            ngroups: 0,
            caps: Caps::NONE,
            memlock_limit: DEFAULT_MEMLOCK,
        }
    }

    /// The same process with these supplementary groups (at most [`MAX_GROUPS`];
    /// more is `Err(E2BIG)`).
    pub fn with_groups(mut self, groups: &[u32]) -> Result<Self, Errno> {
        if groups.len() > MAX_GROUPS {
            return Err(Errno::TOOBIG);
        }
        self.groups = [0; MAX_GROUPS];
        for (slot, g) in self.groups.iter_mut().zip(groups) {
            *slot = *g;
        }
        self.ngroups = groups.len() as u8;
        Ok(self)
    }

    /// The same process with these capabilities.
    pub const fn with_caps(mut self, caps: Caps) -> Self {
        self.caps = caps;
        self
    }

    /// The supplementary groups.
    pub fn groups(&self) -> &[u32] {
        self.groups.get(..usize::from(self.ngroups)).unwrap_or(&[])
    }

    /// `in_group_p`: the effective gid or a supplementary group.
    pub(crate) fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups().contains(&gid)
    }

    pub(crate) fn has(&self, cap: Caps) -> bool {
        self.caps.contains(cap)
    }
}

/// `S_IRUGO`, `S_IWUGO` as `ipcperms` takes them.
pub(crate) const READ: i32 = 0o444;
pub(crate) const WRITE: i32 = 0o222;
/// `S_IRWXUGO`: the mode bits a `*get` or `IPC_SET` may set.
pub(crate) const MODE_MASK: u32 = 0o777;

/// `struct kern_ipc_perm`, the parts user space can see.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
}

impl Perm {
    /// A new object's permissions: `newque`/`newary`/`newseg` take the low nine
    /// bits of the flags, and `ipc_addid` the caller's euid/egid as owner and creator.
    pub(crate) fn new(key: i32, flg: i32, p: &Process) -> Self {
        Self {
            key,
            uid: p.uid,
            gid: p.gid,
            cuid: p.uid,
            cgid: p.gid,
            mode: (flg as u32) & MODE_MASK,
            seq: 0,
        }
    }

    /// `ipcperms`: `Err(EACCES)` unless the caller has every bit of `flag`
    /// (owner, then group, then other bits; `CAP_IPC_OWNER` bypasses).
    pub(crate) fn check(&self, p: &Process, flag: i32) -> Result<(), Errno> {
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let mut granted = self.mode as i32;
        if p.uid == self.cuid || p.uid == self.uid {
            granted >>= 6;
        } else if p.in_group(self.cgid) || p.in_group(self.gid) {
            granted >>= 3;
        }
        if requested & !granted & 0o7 != 0 && !p.has(Caps::IPC_OWNER) {
            return Err(Errno::ACCES);
        }
        Ok(())
    }

    /// The owner test of `ipcctl_obtain_check` (`IPC_SET`, `IPC_RMID`): creator,
    /// owner, or `CAP_SYS_ADMIN`; `EPERM` otherwise.
    pub(crate) fn check_owner(&self, p: &Process) -> Result<(), Errno> {
        if p.uid == self.cuid || p.uid == self.uid || p.has(Caps::SYS_ADMIN) {
            Ok(())
        } else {
            Err(Errno::PERM)
        }
    }

    /// `ipc_update_perm`: new owner uid/gid and the low nine mode bits. An id
    /// that does not map (`(uid_t)-1`) is `EINVAL`.
    pub(crate) fn update(&mut self, from: &ipc64_perm) -> Result<(), Errno> {
        if from.uid == u32::MAX || from.gid == u32::MAX {
            return Err(Errno::INVAL);
        }
        self.uid = from.uid;
        self.gid = from.gid;
        self.mode = (self.mode & !MODE_MASK) | (from.mode & MODE_MASK);
        Ok(())
    }

    /// `kernel_to_ipc64_perm`.
    pub(crate) fn to_ipc64(self) -> ipc64_perm {
        ipc64_perm {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            seq: self.seq,
            ..ipc64_perm::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(mode: u32) -> Perm {
        Perm {
            key: 1,
            uid: 1000,
            gid: 100,
            cuid: 2000,
            cgid: 200,
            mode,
            seq: 0,
        }
    }

    #[test]
    fn owner_group_other_bits_in_kernel_order() {
        let owner = Process::user(1, 1000, 5);
        let creator = Process::user(1, 2000, 5);
        let group = Process::user(1, 3000, 100);
        let cgroup = Process::user(1, 3000, 200);
        let other = Process::user(1, 3000, 300);
        let p = perm(0o640);
        assert_eq!(p.check(&owner, WRITE), Ok(()));
        assert_eq!(p.check(&creator, READ | WRITE), Ok(()));
        assert_eq!(p.check(&group, READ), Ok(()));
        assert_eq!(p.check(&group, WRITE), Err(Errno::ACCES));
        assert_eq!(p.check(&cgroup, READ), Ok(()));
        assert_eq!(p.check(&other, READ), Err(Errno::ACCES));
        // The owner class is chosen first even when it grants less than "other".
        assert_eq!(perm(0o004).check(&owner, READ), Err(Errno::ACCES));
        // Mode 0 still lets CAP_IPC_OWNER through.
        assert_eq!(perm(0).check(&Process::root(1), READ | WRITE), Ok(()));
        let g = Process::user(1, 3000, 300).with_groups(&[7, 100]).unwrap();
        assert_eq!(p.check(&g, READ), Ok(()));
        assert_eq!(
            Process::user(1, 1, 1).with_groups(&[0; 9]),
            Err(Errno::TOOBIG)
        );
    }

    #[test]
    fn owner_check_and_update() {
        let p = perm(0o600);
        assert_eq!(p.check_owner(&Process::user(1, 1000, 0)), Ok(()));
        assert_eq!(p.check_owner(&Process::user(1, 2000, 0)), Ok(()));
        assert_eq!(p.check_owner(&Process::user(1, 3000, 0)), Err(Errno::PERM));
        assert_eq!(
            p.check_owner(&Process::user(1, 3000, 0).with_caps(Caps::SYS_ADMIN)),
            Ok(())
        );
        let mut q = perm(0o1600);
        let new = ipc64_perm {
            uid: 5,
            gid: 6,
            mode: 0o7777,
            ..Default::default()
        };
        assert_eq!(q.update(&new), Ok(()));
        assert_eq!((q.uid, q.gid, q.mode), (5, 6, 0o1777));
        let bad = ipc64_perm {
            uid: u32::MAX,
            ..Default::default()
        };
        assert_eq!(q.update(&bad), Err(Errno::INVAL));
    }
}
