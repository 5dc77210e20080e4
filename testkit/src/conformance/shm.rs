//! Shared memory: shmget, shmat, shmdt, shmctl (shmget(2), shmop(2), shmctl(2)).
//!
//! The mapped bytes are touched only through raw volatile accesses on the pointer
//! `shmat` returned, inside the segment's size and before `shmdt`.

use std::panic::{AssertUnwindSafe, catch_unwind};

// Under Miri the kernel tests that use them are compiled out.
#[cfg_attr(miri, allow(unused_imports))]
use sysv_ipc_abi::*;

use super::*;
use crate::{
    as_user, fork_peer, get_sysctl, host_huge_pages, in_ipc_namespace, needs_root, set_sysctl,
};

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// Reads byte `i` of an attachment of at least `i + 1` bytes.
fn peek(p: *mut u8, i: usize) -> u8 {
    // SAFETY: callers pass an index inside the attached segment, which stays mapped
    // until they call shmdt; volatile because another process writes it.
    unsafe { p.wrapping_add(i).read_volatile() }
}

/// Writes byte `i` of a writable attachment of at least `i + 1` bytes.
fn poke(p: *mut u8, i: usize, v: u8) {
    // SAFETY: as in `peek`, and the attachment is read-write (or the test expects
    // the resulting SIGSEGV in a forked peer).
    unsafe { p.wrapping_add(i).write_volatile(v) }
}

/// A size below `shmmin` (0) or above `shmmax` is `EINVAL`, and so is asking an
/// existing segment for more than its size.
pub fn shm_get_einval_size<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        assert_eq!(b.shmget(IPC_PRIVATE, 0, 0o600), Err(Errno::INVAL));
        assert_eq!(b.shmget(KEY, 0, IPC_CREAT | 0o600), Err(Errno::INVAL));
        set_sysctl("kernel/shmmax", 8192);
        assert_eq!(b.shmget(IPC_PRIVATE, 8193, 0o600), Err(Errno::INVAL));
        b.shmget(IPC_PRIVATE, 8192, 0o600).unwrap();
        let id = b.shmget(KEY, 4096, IPC_CREAT | 0o600).unwrap();
        assert_eq!(b.shmget(KEY, 4097, 0), Err(Errno::INVAL));
        assert_eq!(b.shmget(KEY, 4097, IPC_CREAT | 0o600), Err(Errno::INVAL));
        assert_eq!(b.shmget(KEY, 100, 0), Ok(id));
        assert_eq!(b.shmget(KEY, 0, 0), Ok(id));
    });
}

/// `EEXIST` with `IPC_CREAT | IPC_EXCL` on a used key, `ENOENT` without `IPC_CREAT`.
pub fn shm_get_eexist_enoent<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        assert_eq!(b.shmget(KEY, 4096, 0o600), Err(Errno::NOENT));
        let id = b.shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0o600).unwrap();
        assert_eq!(
            b.shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0o600),
            Err(Errno::EXIST)
        );
        assert_eq!(b.shmget(KEY, 4096, 0o600), Ok(id));
    });
}

/// Asking for permissions the caller lacks is `EACCES`.
pub fn shm_get_eacces<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        if !needs_root("shm_get_eacces") {
            return;
        }
        let id = b.shmget(KEY, 4096, IPC_CREAT | 0o640).unwrap();
        as_user(NOBODY, NOBODY, || {
            assert_eq!(b.shmget(KEY, 0, 0o600), Err(Errno::ACCES));
            assert_eq!(b.shmget(KEY, 0, 0o004), Err(Errno::ACCES));
            assert_eq!(b.shmget(KEY, 0, 0), Ok(id));
        });
    });
}

/// `SHM_HUGETLB` in `newseg`'s order: a page size the system lacks is `EINVAL`;
/// then a caller with neither `CAP_IPC_LOCK` nor the group `vm.hugetlb_shm_group`
/// gets `EPERM`; then the huge pages are reserved (`ENOMEM` with none free), which
/// `SHM_NORESERVE` skips.
pub fn shm_get_hugetlb<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let get = |flags| b.shmget(IPC_PRIVATE, 4096, SHM_HUGETLB | flags | 0o600);
        // No supported system has 1 MiB pages (x86_64: 2 MiB, 1 GiB; aarch64 by
        // base page: 64 KiB, 2 MiB, 32 MiB, 1 GiB / 2 MiB, 32 MiB, 1 GiB / 2 MiB,
        // 512 MiB, 16 GiB), and none has 2^63-byte ones.
        let (mib, nores) = (20 << SHM_HUGE_SHIFT, SHM_NORESERVE);
        assert_eq!(get(mib | nores), Err(Errno::INVAL));
        assert_eq!(get(63 << SHM_HUGE_SHIFT), Err(Errno::INVAL));
        let host = host_huge_pages();
        if host.sizes == 0 {
            println!("skipped: no hugetlbfs, every SHM_HUGETLB is EINVAL");
            return;
        }
        if !needs_root("shm_get_hugetlb") {
            return;
        }
        // Root: CAP_IPC_LOCK, and gid 0.
        let id = get(nores).unwrap();
        assert_eq!(shmctl_nobuf(b, id, IPC_RMID), Ok(0));
        let free = |name| get_sysctl(name) == "0";
        if free("vm/nr_hugepages") && free("vm/nr_overcommit_hugepages") {
            assert_eq!(get(0), Err(Errno::NOMEM), "no huge page to reserve");
        }
        if host.shm_group != NOBODY {
            as_user(NOBODY, NOBODY, || {
                assert_eq!(get(mib | nores), Err(Errno::INVAL), "the size first");
                assert_eq!(get(nores), Err(Errno::PERM));
                assert_eq!(get(0), Err(Errno::PERM), "before the reservation");
            });
        }
    });
}

/// Beyond `shmmni` segments or `shmall` pages in the namespace is `ENOSPC`.
pub fn shm_get_enospc<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let page = page_size();
        set_sysctl("kernel/shmmni", 2);
        set_sysctl("kernel/shmall", 3);
        b.shmget(IPC_PRIVATE, 2 * page, 0o600).unwrap();
        assert_eq!(
            b.shmget(IPC_PRIVATE, 2 * page, 0o600),
            Err(Errno::NOSPC),
            "shmall"
        );
        b.shmget(IPC_PRIVATE, page, 0o600).unwrap();
        assert_eq!(b.shmget(IPC_PRIVATE, 1, 0o600), Err(Errno::NOSPC), "shmmni");
    });
}

/// Bytes a forked peer writes through its own attachment are read by the parent
/// through another; a new segment is zero-filled; `nattch`, `cpid`, `lpid` follow.
pub fn shm_at_shared_between_processes<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let size = 10_000;
        let id = b.shmget(IPC_PRIVATE, size, 0o600).unwrap();
        let p = attach(b, id, 0).unwrap();
        assert_eq!(p.addr() % SHMLBA_MIN, 0);
        assert!((0..size).all(|i| peek(p, i) == 0), "not zero-filled");
        let peer = fork_peer(|| {
            let q = attach(b, id, 0).unwrap();
            // The inherited attachment and ours.
            assert_eq!(shm_stat(b, id).unwrap().shm_nattch, 3);
            for i in 0..size {
                poke(q, i, (i % 251) as u8);
            }
            detach(b, q).unwrap();
        });
        let pid = peer.pid();
        peer.join();
        assert!((0..size).all(|i| peek(p, i) == (i % 251) as u8));
        let ds = shm_stat(b, id).unwrap();
        assert_eq!(ds.shm_nattch, 1);
        assert_eq!((ds.shm_cpid, ds.shm_lpid), (b.getpid(), pid));
        detach(b, p).unwrap();
        assert_eq!(shm_stat(b, id).unwrap().shm_nattch, 0);
    });
}

/// `SHM_RDONLY` maps the segment read-only: reads see the data, a write kills the
/// writer with `SIGSEGV`.
pub fn shm_at_rdonly<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
        let w = attach(b, id, 0).unwrap();
        poke(w, 7, 42);
        let r = attach(b, id, SHM_RDONLY).unwrap();
        assert_eq!(peek(r, 7), 42);
        poke(w, 8, 43);
        assert_eq!(peek(r, 8), 43);
        let peer = fork_peer(|| {
            let q = attach(b, id, SHM_RDONLY).unwrap();
            poke(q, 0, 1);
        });
        let outcome = catch_unwind(AssertUnwindSafe(|| peer.join()));
        let msg = outcome.expect_err("a write to a SHM_RDONLY attachment succeeded");
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("killed by signal 11"), "{msg}");
        assert_eq!(peek(r, 0), 0);
        detach(b, r).unwrap();
        detach(b, w).unwrap();
    });
}

/// `shmdt` of an address that is not the start of an attachment is `EINVAL`.
pub fn shm_dt_einval<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let page = page_size();
        let id = b.shmget(IPC_PRIVATE, page, 0o600).unwrap();
        let p = attach(b, id, 0).unwrap();
        assert_eq!(detach(b, p.wrapping_add(1)), Err(Errno::INVAL));
        assert_eq!(detach(b, p.wrapping_add(page)), Err(Errno::INVAL));
        assert_eq!(detach(b, std::ptr::null_mut()), Err(Errno::INVAL));
        let mut local = [0u8; 64];
        assert_eq!(detach(b, local.as_mut_ptr()), Err(Errno::INVAL));
        assert_eq!(shm_stat(b, id).unwrap().shm_nattch, 1);
        detach(b, p).unwrap();
        assert_eq!(detach(b, p), Err(Errno::INVAL));
    });
}

/// Attaching without read permission, or read-write without write permission, is
/// `EACCES`.
pub fn shm_at_eacces<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        if !needs_root("shm_at_eacces") {
            return;
        }
        let closed = b.shmget(KEY, 4096, IPC_CREAT | 0o640).unwrap();
        let readable = b.shmget(KEY + 1, 4096, IPC_CREAT | 0o644).unwrap();
        as_user(NOBODY, NOBODY, || {
            assert_eq!(attach(b, closed, SHM_RDONLY), Err(Errno::ACCES));
            assert_eq!(attach(b, closed, 0), Err(Errno::ACCES));
            assert_eq!(attach(b, readable, 0), Err(Errno::ACCES));
            let p = attach(b, readable, SHM_RDONLY).unwrap();
            assert_eq!(peek(p, 0), 0);
            detach(b, p).unwrap();
        });
    });
}

/// After `IPC_RMID` an attached segment lives on: its key becomes `IPC_PRIVATE`, its
/// mode gains `SHM_DEST`, it can still be attached by id (Linux), and it goes away at
/// the last detach.
pub fn shm_at_after_rmid<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(KEY, 4096, IPC_CREAT | 0o600).unwrap();
        let p = attach(b, id, 0).unwrap();
        poke(p, 0, 9);
        assert_eq!(shmctl_nobuf(b, id, IPC_RMID), Ok(0));
        let q = attach(b, id, 0).unwrap();
        assert_eq!(peek(q, 0), 9);
        let ds = shm_stat(b, id).unwrap();
        assert_eq!((ds.shm_nattch, ds.shm_perm.key), (2, IPC_PRIVATE));
        assert_eq!(ds.shm_perm.mode, SHM_DEST | 0o600);
        detach(b, p).unwrap();
        detach(b, q).unwrap();
        assert_eq!(shm_stat(b, id), Err(Errno::INVAL));
        assert_eq!(attach(b, id, 0), Err(Errno::INVAL));
    });
}

/// `IPC_STAT`: requested size (not rounded to pages), owner, mode, `nattch`, `cpid`,
/// `lpid`, and the attach/detach times.
pub fn shm_ctl_stat_fields<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(KEY, 10_000, IPC_CREAT | 0o640).unwrap();
        let ds = shm_stat(b, id).unwrap();
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        assert_eq!(
            (ds.shm_perm.key, ds.shm_perm.uid, ds.shm_perm.cuid),
            (KEY, uid, uid)
        );
        assert_eq!(
            (ds.shm_segsz, ds.shm_perm.mode, ds.shm_nattch),
            (10_000, 0o640, 0)
        );
        assert_eq!(
            (ds.shm_cpid, ds.shm_lpid, ds.shm_atime, ds.shm_dtime),
            (b.getpid(), 0, 0, 0)
        );
        assert!(ds.shm_ctime > 0);
        let p = attach(b, id, 0).unwrap();
        let q = attach(b, id, SHM_RDONLY).unwrap();
        let ds = shm_stat(b, id).unwrap();
        assert_eq!((ds.shm_nattch, ds.shm_lpid), (2, b.getpid()));
        assert!(ds.shm_atime > 0);
        assert_eq!(ds.shm_dtime, 0);
        detach(b, q).unwrap();
        let ds = shm_stat(b, id).unwrap();
        assert_eq!(ds.shm_nattch, 1);
        assert!(ds.shm_dtime > 0);
        detach(b, p).unwrap();
    });
}

/// `IPC_SET` changes the mode's permission bits and nothing else (not the size).
pub fn shm_ctl_set<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
        let mut ds = shm_stat(b, id).unwrap();
        ds.shm_perm.mode = 0o7644;
        ds.shm_segsz = 1;
        // SAFETY: `ds` is a live local shmid64_ds, what IPC_SET reads.
        let r = unsafe { b.shmctl(id, IPC_SET, (&raw mut ds).cast()) };
        assert_eq!(r, Ok(0));
        let after = shm_stat(b, id).unwrap();
        assert_eq!((after.shm_perm.mode, after.shm_segsz), (0o644, 4096));
    });
}

/// Removing an attached segment frees its key at once: the key opens nothing
/// (`ENOENT`), and creating with it makes a new segment while the old id still works.
pub fn shm_ctl_rmid_attached<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(KEY, 4096, IPC_CREAT | 0o600).unwrap();
        let p = attach(b, id, 0).unwrap();
        shmctl_nobuf(b, id, IPC_RMID).unwrap();
        assert_eq!(b.shmget(KEY, 0, 0), Err(Errno::NOENT));
        let fresh = b.shmget(KEY, 4096, IPC_CREAT | IPC_EXCL | 0o600).unwrap();
        assert_ne!(fresh, id);
        assert_eq!(shm_stat(b, id).unwrap().shm_perm.mode & SHM_DEST, SHM_DEST);
        assert_eq!(shm_stat(b, fresh).unwrap().shm_perm.mode & SHM_DEST, 0);
        // A second IPC_RMID on a dying segment is accepted.
        assert_eq!(shmctl_nobuf(b, id, IPC_RMID), Ok(0));
        detach(b, p).unwrap();
        assert_eq!(shm_stat(b, id), Err(Errno::INVAL));
    });
}

/// `SHM_LOCK` sets `SHM_LOCKED` in the mode and `SHM_UNLOCK` clears it; a non-owner
/// without `CAP_IPC_LOCK` gets `EPERM`.
pub fn shm_ctl_lock<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(IPC_PRIVATE, 4096, 0o666).unwrap();
        assert_eq!(shmctl_nobuf(b, id, SHM_LOCK), Ok(0));
        assert_eq!(shm_stat(b, id).unwrap().shm_perm.mode, SHM_LOCKED | 0o666);
        assert_eq!(shmctl_nobuf(b, id, SHM_UNLOCK), Ok(0));
        assert_eq!(shm_stat(b, id).unwrap().shm_perm.mode, 0o666);
        if !needs_root("shm_ctl_lock (as another user)") {
            return;
        }
        as_user(NOBODY, NOBODY, || {
            assert_eq!(shmctl_nobuf(b, id, SHM_LOCK), Err(Errno::PERM));
            assert_eq!(shmctl_nobuf(b, id, SHM_UNLOCK), Err(Errno::PERM));
        });
    });
}

/// `IPC_INFO` (limits, into a `shminfo64`), `SHM_INFO` (usage, into a `shm_info`),
/// and `SHM_STAT`/`SHM_STAT_ANY` by index.
pub fn shm_ctl_info_and_stat_by_index<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let mut limits = shminfo64::default();
        // SAFETY: `limits` is a live local shminfo64, what IPC_INFO writes.
        let r = unsafe { b.shmctl(0, IPC_INFO, (&raw mut limits).cast()) };
        assert_eq!(r, Ok(0));
        assert_eq!(
            (limits.shmmax, limits.shmmin, limits.shmmni),
            (SHMMAX, SHMMIN, SHMMNI)
        );
        assert_eq!((limits.shmseg, limits.shmall), (SHMSEG, SHMALL));

        let page = page_size();
        let a = b.shmget(IPC_PRIVATE, 3 * page, 0o600).unwrap();
        let c = b.shmget(KEY, page + 1, IPC_CREAT | 0o600).unwrap();
        let p = attach(b, a, 0).unwrap();
        poke(p, 0, 1);
        let mut usage = shm_info::default();
        // SAFETY: `usage` is a live local shm_info, what SHM_INFO writes.
        let r = unsafe { b.shmctl(0, SHM_INFO, (&raw mut usage).cast()) };
        assert_eq!(r, Ok(1), "highest index in use");
        assert_eq!((usage.used_ids, usage.shm_tot), (2, 5));
        assert!(
            (1..=3).contains(&usage.shm_rss),
            "shm_rss {}",
            usage.shm_rss
        );
        detach(b, p).unwrap();

        let (r, ds) = shm_stat_cmd(b, 0, SHM_STAT).unwrap();
        assert_eq!((r, ds.shm_segsz), (a, 3 * page as u64));
        if let Some((r, ds)) = stat_any(shm_stat_cmd(b, 1, SHM_STAT_ANY)) {
            assert_eq!((r, ds.shm_perm.key), (c, KEY));
        }
        assert_eq!(shm_stat_cmd(b, 2, SHM_STAT), Err(Errno::INVAL));
        if !needs_root("shm_ctl_info_and_stat_by_index (as another user)") {
            return;
        }
        as_user(NOBODY, NOBODY, || {
            assert_eq!(shm_stat_cmd(b, 1, SHM_STAT), Err(Errno::ACCES));
            if let Some((r, _)) = stat_any(shm_stat_cmd(b, 1, SHM_STAT_ANY)) {
                assert_eq!(r, c);
            }
        });
    });
}

/// A bad id or an unknown command is `EINVAL`.
pub fn shm_ctl_einval<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
        assert_eq!(shm_stat(b, id + 1), Err(Errno::INVAL));
        assert_eq!(shm_stat(b, -1), Err(Errno::INVAL));
        assert_eq!(attach(b, id + 1, 0), Err(Errno::INVAL));
        assert_eq!(shmctl_nobuf(b, id + 1, IPC_RMID), Err(Errno::INVAL));
        let mut ds = shmid64_ds::default();
        // SAFETY: `ds` is a live local shmid64_ds, more than an unknown command may use.
        let r = unsafe { b.shmctl(id, 99, (&raw mut ds).cast()) };
        assert_eq!(r, Err(Errno::INVAL));
    });
}

/// `IPC_STAT | IPC_64` is `EINVAL` on a native kernel: the backend never ORs it in.
///
/// qemu divergence: qemu-user 7.2 masks the command of shmctl as it does msgctl's
/// (measured: the call succeeds), so under qemu this cannot catch a stray `IPC_64`.
pub fn shm_ctl_ipc64_is_einval<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let id = b.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
        let r = shm_stat_cmd(b, id, IPC_STAT | IPC_64).map(|(r, _)| r);
        if under_qemu() {
            assert_eq!(
                r,
                Ok(0),
                "qemu no longer masks IPC_64 in shmctl: tighten this test"
            );
        } else {
            assert_eq!(r, Err(Errno::INVAL));
        }
    });
}

/// `shmctl(id, IPC_SET, ds)`.
fn shm_set<B: Backend>(b: &B, id: i32, mut ds: shmid64_ds) -> Result<i32, Errno> {
    // SAFETY: `ds` is a live local shmid64_ds, what IPC_SET reads.
    unsafe { b.shmctl(id, IPC_SET, (&raw mut ds).cast()) }
}

/// `shmctl(id, IPC_RMID)`.
fn shm_rmid<B: Backend>(b: &B, id: i32) -> Result<i32, Errno> {
    shmctl_nobuf(b, id, IPC_RMID)
}

/// `IPC_SET` checks ownership, not read permission: the owner of a segment whose mode
/// refuses it reading (`0o000`, `0o200`: `IPC_STAT` is `EACCES`) changes it with a
/// buffer it never read; anyone else gets `EPERM`, whether or not it may read. A uid
/// and gid of `(uid_t)-1` are `EINVAL` for the owner, with nothing changed, and `EPERM`
/// for anyone else.
pub fn shm_ctl_set_needs_only_ownership<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        if !needs_root("shm_ctl_set_needs_only_ownership") {
            return;
        }
        let readable = b.shmget(KEY, 4096, IPC_CREAT | 0o644).unwrap();
        let unreadable = b.shmget(KEY + 1, 4096, IPC_CREAT | 0o600).unwrap();
        as_user(NOBODY, NOBODY, || {
            for mode in [0o000, 0o200, 0o600] {
                let id = b.shmget(IPC_PRIVATE, 4096, mode).unwrap();
                let before = shm_stat(b, id);
                assert_eq!(before.is_err(), mode != 0o600, "mode {mode:o}: {before:?}");
                let mut ds = shmid64_ds::default();
                ds.shm_perm.uid = u32::MAX;
                ds.shm_perm.gid = u32::MAX;
                assert_eq!(shm_set(b, id, ds), Err(Errno::INVAL), "mode {mode:o}");
                assert_eq!(
                    shm_stat(b, id).ok(),
                    before.ok(),
                    "the refused IPC_SET changed nothing"
                );
                ds.shm_perm.uid = NOBODY;
                ds.shm_perm.gid = NOBODY;
                ds.shm_perm.mode = 0o640;
                assert_eq!(shm_set(b, id, ds), Ok(0), "mode {mode:o}");
                let after = shm_stat(b, id).unwrap();
                assert_eq!(
                    (
                        after.shm_perm.uid,
                        after.shm_perm.mode & 0o777,
                        after.shm_segsz
                    ),
                    (NOBODY, 0o640, 4096)
                );
                shm_rmid(b, id).unwrap();
            }
            for id in [readable, unreadable] {
                let mut ds = shmid64_ds::default();
                ds.shm_perm.uid = NOBODY;
                ds.shm_perm.gid = NOBODY;
                ds.shm_perm.mode = 0o666;
                assert_eq!(shm_set(b, id, ds), Err(Errno::PERM));
                ds.shm_perm.uid = u32::MAX;
                ds.shm_perm.gid = u32::MAX;
                assert_eq!(shm_set(b, id, ds), Err(Errno::PERM));
            }
        });
        for (id, mode) in [(readable, 0o644), (unreadable, 0o600)] {
            let ds = shm_stat(b, id).unwrap();
            assert_eq!(
                (ds.shm_perm.uid, ds.shm_perm.mode & 0o777),
                (0, mode),
                "unchanged"
            );
        }
    });
}
