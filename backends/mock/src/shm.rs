//! Shared memory segments (`ipc/shm.c`), bookkeeping only: the pages themselves
//! are the mock's arena (a memfd, or `Mock::arena`: see `maps`), and this module
//! says which pages a segment owns. Segments take contiguous runs of pages, first
//! fit; a segment that does not fit the arena is `ENOMEM`, as a failed shmem
//! setup is.

use heapless::Vec;
use sysv_ipc_abi::{
    Errno, IPC_INFO, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, SHM_DEST, SHM_EXEC, SHM_HUGE_MASK,
    SHM_HUGE_SHIFT, SHM_HUGETLB, SHM_INFO, SHM_LOCK, SHM_LOCKED, SHM_NORESERVE, SHM_RDONLY,
    SHM_REMAP, SHM_RND, SHM_STAT, SHM_STAT_ANY, SHM_UNLOCK, SHMLBA_MIN, shm_info, shmid64_ds,
    shminfo64,
};

use crate::ids::IdTable;
use crate::maps::Maps;
use crate::perm::{Caps, Perm, READ, WRITE};
use crate::{CtlIo, Ctx};

/// The mock's page size (and `SHMLBA`): x86_64's, and the smallest aarch64 one.
pub const PAGE_SIZE: usize = SHMLBA_MIN;
/// Attachments at most: those of live processes, and those of exited ones whose
/// address nobody has passed to `shmdt` yet (see the crate docs). Beyond it,
/// `shmat` and `fork_process` are `ENOMEM`.
pub const MAX_ATTACH: usize = 64;

/// The simulated system's huge pages, as `SHM_HUGETLB` meets them.
///
/// The model keeps no pool of huge pages: it is a system with `vm.nr_hugepages`
/// and `vm.nr_overcommit_hugepages` at 0 (the default), where a segment that must
/// reserve its huge pages is `ENOMEM` and one made with `SHM_NORESERVE` is
/// created (the kernel would then fail its first touch with `SIGBUS`; the mock
/// backs it with its ordinary 4096-byte pages, which never fail).
///
/// ```
/// use sysv_ipc_abi::{Backend, Errno, IPC_PRIVATE, SHM_HUGE_2MB, SHM_HUGETLB, SHM_NORESERVE};
/// use sysv_ipc_mock::{HugePages, Mock, Process};
///
/// let kernel: Mock = Mock::new();
/// let huge = SHM_HUGETLB | SHM_HUGE_2MB | 0o600;
/// assert_eq!(kernel.shmget(IPC_PRIVATE, 4096, huge), Err(Errno::NOMEM));
/// assert!(kernel.shmget(IPC_PRIVATE, 4096, huge | SHM_NORESERVE).is_ok());
/// // Only x86_64's sizes: 1 MiB pages do not exist.
/// let one_mib = SHM_HUGETLB | (20 << 26) | SHM_NORESERVE | 0o600;
/// assert_eq!(kernel.shmget(IPC_PRIVATE, 4096, one_mib), Err(Errno::INVAL));
/// // Neither CAP_IPC_LOCK nor group vm.hugetlb_shm_group (0).
/// kernel.set_process(Process::user(2, 65534, 65534));
/// assert_eq!(kernel.shmget(IPC_PRIVATE, 4096, huge | SHM_NORESERVE), Err(Errno::PERM));
/// kernel.set_huge_pages(HugePages { shm_group: 65534, ..HugePages::X86_64 });
/// assert!(kernel.shmget(IPC_PRIVATE, 4096, huge | SHM_NORESERVE).is_ok());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HugePages {
    /// The huge page sizes the system has (`/sys/kernel/mm/hugepages/`), as a set
    /// of base-2 logarithms: bit `n` set means pages of `2^n` bytes exist. No bit
    /// set is a kernel without hugetlbfs, where every `SHM_HUGETLB` is `EINVAL`.
    pub sizes: u64,
    /// `vm.hugetlb_shm_group`: members of this group may create `SHM_HUGETLB`
    /// segments without `CAP_IPC_LOCK`.
    pub shm_group: u32,
}

impl HugePages {
    /// An x86_64 system with 1 GiB pages (CPU flag `pdpe1gb`): 2 MiB and 1 GiB,
    /// `vm.hugetlb_shm_group` 0. The default.
    pub const X86_64: HugePages = HugePages {
        sizes: 1 << 21 | 1 << 30,
        shm_group: 0,
    };

    /// `newseg`'s `SHM_HUGETLB` branch: `hstate_sizelog`, then
    /// `hugetlb_file_setup`'s `can_do_hugetlb_shm`, then `hugetlb_reserve_pages`
    /// (which `SHM_NORESERVE` skips), in the kernel's order.
    fn setup(&self, p: &crate::perm::Process, shmflg: i32) -> Result<(), Errno> {
        let log = (shmflg >> SHM_HUGE_SHIFT) & SHM_HUGE_MASK;
        // Size field 0 names the default size, which exists whenever any does.
        let exists = if log == 0 {
            self.sizes != 0
        } else {
            self.sizes & (1u64 << log) != 0
        };
        if !exists {
            return Err(Errno::INVAL);
        }
        if !p.has(Caps::IPC_LOCK) && !p.in_group(self.shm_group) {
            return Err(Errno::PERM);
        }
        if shmflg & SHM_NORESERVE == 0 {
            return Err(Errno::NOMEM);
        }
        Ok(())
    }
}

#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Seg {
    segsz: usize,
    first_page: usize,
    pages: usize,
    atime: i64,
    dtime: i64,
    ctime: i64,
    cpid: i32,
    lpid: i32,
    nattch: u64,
    /// The uid whose `RLIMIT_MEMLOCK` is charged while `SHM_LOCKED`.
    locked_by: Option<u32>,
    /// Made with `SHM_HUGETLB`: `SHM_LOCK` and `SHM_UNLOCK` do nothing to it.
    hugetlb: bool,
    /// The memfd model's file of the segment's memory (closed when the segment
    /// is destroyed); -1 in the arena model.
    fd: i32,
}

/// One mapping of a segment.
///
/// The kernel gives every attachment its own address, all aliasing the same
/// pages through the MMU. With the memfd model (`maps`) so does the mock: each
/// `shmat` is its own `mmap`, and the records that share an address are one
/// mapping and the copies `fork_process` made of it (a child has the parent's
/// addresses). In the arena model every attachment of a segment has the
/// segment's one address. Either way `shmdt(addr)` picks among the records at
/// an address by the attaching pid, as the kernel's caller-local address space
/// would, and the real mapping goes with the last record at its address.
#[derive(Copy, Clone, Debug)]
struct Attach {
    /// The attaching process (for an inherited mapping, the child).
    pid: i32,
    shmid: i32,
    addr: usize,
    rdonly: bool,
    /// The segment's pages: never handed to another segment while this mapping
    /// may still be used, even after the segment itself is destroyed.
    first_page: usize,
    pages: usize,
    /// Made by `shmat`, so a caller holds `addr` until it calls `shmdt` (a mapping
    /// inherited by `fork_process` handed out no address of its own).
    held: bool,
    /// Its process has exited: the kernel has unmapped it (it no longer counts in
    /// `shm_nattch`), but the caller that holds `addr` lives in this address space
    /// and may still use it, so the pages stay reserved until that `shmdt`.
    exited: bool,
}

/// All segments of one mock.
pub(crate) struct ShmState<const OBJS: usize> {
    pub(crate) ids: IdTable<Seg, OBJS>,
    /// `ns->shm_tot`: pages of all segments.
    tot: u64,
    attaches: Vec<Attach, MAX_ATTACH>,
    pub(crate) huge: HugePages,
    maps: Maps,
}

fn pages_for(size: usize) -> Option<usize> {
    Some(size.checked_add(PAGE_SIZE - 1)? / PAGE_SIZE)
}

/// First fit among the pages that no segment owns and no mapping still uses.
fn find_pages<const OBJS: usize>(
    ids: &IdTable<Seg, OBJS>,
    attaches: &[Attach],
    want: usize,
    arena_pages: usize,
) -> Option<usize> {
    if want == 0 {
        return Some(0);
    }
    let mut start = 0usize;
    loop {
        let end = start.checked_add(want)?;
        if end > arena_pages {
            return None;
        }
        let segs = ids.iter().map(|e| (e.obj.first_page, e.obj.pages));
        let maps = attaches.iter().map(|a| (a.first_page, a.pages));
        match segs
            .chain(maps)
            .find(|&(first, pages)| pages > 0 && first < end && start < first + pages)
        {
            None => return Some(start),
            Some((first, pages)) => start = first + pages,
        }
    }
}

impl<const OBJS: usize> ShmState<OBJS> {
    pub(crate) const fn new() -> Self {
        Self {
            ids: IdTable::new(),
            tot: 0,
            attaches: Vec::new(),
            huge: HugePages::X86_64,
            maps: Maps::new(),
        }
    }

    /// `ksys_shmget`: `ipcget` with `newseg` and `shm_more_checks`. On creation
    /// returns the arena pages to zero as well (the memfd model's are: a new
    /// file).
    pub(crate) fn shmget(
        &mut self,
        ctx: &Ctx,
        key: i32,
        size: usize,
        shmflg: i32,
        arena_pages: usize,
    ) -> Result<(i32, Option<(usize, usize)>), Errno> {
        let mut fresh = None;
        let more = |e: &crate::ids::Entry<Seg>| {
            if e.obj.segsz < size {
                Err(Errno::INVAL)
            } else {
                Ok(())
            }
        };
        let tot = self.tot;
        let huge = self.huge;
        let attaches = &self.attaches;
        let maps = &mut self.maps;
        let create = |ids: &mut IdTable<Seg, OBJS>| {
            let l = &ctx.limits;
            if (size as u64) < l.shmmin || size as u64 > l.shmmax {
                return Err(Errno::INVAL);
            }
            let pages = pages_for(size).ok_or(Errno::NOSPC)?;
            let all = tot.checked_add(pages as u64).ok_or(Errno::NOSPC)?;
            if all > l.shmall {
                return Err(Errno::NOSPC);
            }
            let hugetlb = shmflg & SHM_HUGETLB != 0;
            if hugetlb {
                huge.setup(&ctx.proc, shmflg)?;
            }
            // shmem_kernel_file_setup takes the size as a signed loff_t.
            if size > i64::MAX as usize {
                return Err(Errno::INVAL);
            }
            let first_page = find_pages(ids, attaches, pages, arena_pages).ok_or(Errno::NOMEM)?;
            let fd = maps.create(pages)?;
            let seg = Seg {
                segsz: size,
                first_page,
                pages,
                ctime: ctx.now,
                cpid: ctx.proc.pid,
                hugetlb,
                fd,
                ..Seg::default()
            };
            let id = match ids.add(l.shmmni as i64, Perm::new(key, shmflg, &ctx.proc), seg) {
                Ok(id) => id,
                Err(e) => {
                    maps.destroy(fd);
                    return Err(e);
                }
            };
            fresh = Some((first_page, pages));
            Ok(id)
        };
        let id = crate::ipcget(&mut self.ids, ctx, key, shmflg, more, create)?;
        if fresh.is_some() {
            self.tot += fresh.map_or(0, |(_, p)| p as u64);
        }
        Ok((id, fresh))
    }

    /// `do_shmat`: returns the new mapping's address (`arena` is the start of
    /// the arena model's pages; the memfd model ignores it).
    pub(crate) fn shmat(
        &mut self,
        ctx: &Ctx,
        shmid: i32,
        shmaddr: usize,
        shmflg: i32,
        arena: *mut u8,
    ) -> Result<*mut u8, Errno> {
        if shmid < 0 {
            return Err(Errno::INVAL);
        }
        let mut addr = shmaddr;
        if addr != 0 {
            if addr & (PAGE_SIZE - 1) != 0 {
                if shmflg & SHM_RND == 0 {
                    return Err(Errno::INVAL);
                }
                addr &= !(PAGE_SIZE - 1);
                if addr == 0 && shmflg & SHM_REMAP != 0 {
                    return Err(Errno::INVAL);
                }
            }
        } else if shmflg & SHM_REMAP != 0 {
            return Err(Errno::INVAL);
        }
        let mut acc = if shmflg & SHM_RDONLY != 0 {
            READ
        } else {
            READ | WRITE
        };
        if shmflg & SHM_EXEC != 0 {
            acc |= 0o111;
        }
        let pos = self.ids.check(shmid)?;
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        e.perm.check(&ctx.proc, acc)?;
        if e.obj.pages == 0 {
            return Err(Errno::INVAL);
        }
        let (first_page, pages, fd) = (e.obj.first_page, e.obj.pages, e.obj.fd);
        // SHM_REMAP replaces what the caller has at `addr`: attachments of its
        // own that the range covers whole go as `munmap` would take them
        // (`shm_close`, below). The kernel also splits one it covers in part,
        // and replaces only the caller's copy of a mapping a fork shares: the
        // model refuses both (its processes share one address space).
        let len = pages * PAGE_SIZE;
        let end = addr.saturating_add(len);
        let pid = ctx.proc.pid;
        let covered = |a: &Attach| {
            let a_end = a.addr.saturating_add(a.pages * PAGE_SIZE);
            a.addr < end && addr < a_end
        };
        let replaced = |a: &Attach| {
            let a_end = a.addr.saturating_add(a.pages * PAGE_SIZE);
            a.pid == pid && !a.exited && addr <= a.addr && a_end <= end
        };
        let remap = addr != 0 && shmflg & SHM_REMAP != 0;
        if remap && self.attaches.iter().any(|a| covered(a) && !replaced(a)) {
            return Err(Errno::INVAL);
        }
        if self.attaches.is_full() {
            return Err(Errno::NOMEM);
        }
        let p = self
            .maps
            .map(fd, (first_page, pages), addr, shmflg, arena)?;
        let a = Attach {
            pid: ctx.proc.pid,
            shmid,
            addr: p.addr(),
            rdonly: shmflg & SHM_RDONLY != 0,
            first_page,
            pages,
            held: true,
            exited: false,
        };
        if self.attaches.push(a).is_err() {
            self.maps.unmap(p.addr(), pages);
            return Err(Errno::NOMEM);
        }
        if let Some(e) = self.ids.get_mut(pos) {
            e.obj.nattch += 1;
            e.obj.atime = ctx.now;
            e.obj.lpid = ctx.proc.pid;
        }
        // The replaced attachments' mappings are gone (the new one is where
        // they were: nothing to unmap); counted after the new one, so a
        // segment replaced by itself never reaches nattch 0, as the kernel's
        // `do_shmat` holds it by a count across its `do_mmap`.
        let mut i = 0;
        while let Some(&old) = self.attaches.get(i) {
            if remap && i + 1 < self.attaches.len() && replaced(&old) {
                self.attaches.remove(i);
                self.unmapped(ctx, old.shmid, pid);
            } else {
                i += 1;
            }
        }
        Ok(p)
    }

    /// Drops attachment record `i`; the last record at its address takes the
    /// real mapping with it (in the memfd model: no address `shmat` handed out
    /// there is still undetached, see `shmdt`).
    fn forget(&mut self, i: usize) -> Attach {
        let a = self.attaches.remove(i);
        if !self.attaches.iter().any(|b| b.addr == a.addr) {
            self.maps.unmap(a.addr, a.pages);
        }
        a
    }

    /// `shm_close` for a mapping of `shmid` going away in process `pid`.
    fn unmapped(&mut self, ctx: &Ctx, shmid: i32, pid: i32) {
        let Some(pos) = self.ids.find_id(shmid) else {
            return;
        };
        let Some(e) = self.ids.get_mut(pos) else {
            return;
        };
        e.obj.lpid = pid;
        e.obj.dtime = ctx.now;
        e.obj.nattch = e.obj.nattch.saturating_sub(1);
        if e.obj.nattch == 0 && e.perm.mode & SHM_DEST != 0 {
            self.destroy(pos);
        }
    }

    /// `ksys_shmdt`, for the kernel's books: the calling process's attachment at
    /// `addr` goes (one `shmat` made before one `fork_process` gave it).
    ///
    /// For the memory: whoever calls `shmdt(addr)` is done with one address that
    /// `shmat` handed out, so one hold on the pages at `addr` is released: the
    /// caller's own, else that of a mapping whose process has exited (no kernel
    /// field changes: the exit already unmapped it), else another process's
    /// (which stays mapped in the books). The mock cannot tell whose address a
    /// caller holds where several records share it (a mapping and its
    /// `fork_process` copies; in the arena model every attachment of a segment);
    /// this keeps the holds at an address at least as many as the addresses not
    /// yet detached, so pages are reused (and, in the memfd model, an address is
    /// unmapped) only once nobody can still reach them.
    pub(crate) fn shmdt(&mut self, ctx: &Ctx, addr: usize) -> Result<(), Errno> {
        if addr & (PAGE_SIZE - 1) != 0 {
            return Err(Errno::INVAL);
        }
        let pid = ctx.proc.pid;
        let mine = |a: &Attach| !a.exited && a.pid == pid && a.addr == addr;
        let own = self.attaches.iter().position(|a| mine(a) && a.held);
        let own = own.or_else(|| self.attaches.iter().position(mine));
        let held = match own {
            Some(i) => {
                let a = self.forget(i);
                self.unmapped(ctx, a.shmid, pid);
                a.held
            }
            None if self.attaches.iter().any(|a| a.exited && a.addr == addr) => false,
            None => return Err(Errno::INVAL),
        };
        if !held {
            self.release_hold(addr);
        }
        Ok(())
    }

    /// Releases one hold at `addr` that is not the caller's own mapping.
    fn release_hold(&mut self, addr: usize) {
        let at = |a: &Attach| a.held && a.addr == addr;
        if let Some(i) = self.attaches.iter().position(|a| at(a) && a.exited) {
            self.forget(i);
        } else if let Some(a) = self.attaches.iter_mut().find(|a| at(a)) {
            a.held = false;
        }
    }

    /// `fork`: the child inherits every attachment of the parent. `dup_mmap` runs in
    /// the parent, so `shm_open` stamps the parent's pid and the time on each.
    pub(crate) fn fork(&mut self, ctx: &Ctx, parent: i32, child: i32) -> Result<(), Errno> {
        let of_parent = |a: &Attach| a.pid == parent && !a.exited;
        let inherited = self.attaches.iter().filter(|a| of_parent(a)).count();
        if self.attaches.len() + inherited > self.attaches.capacity() {
            return Err(Errno::NOMEM);
        }
        for i in 0..self.attaches.len() {
            let Some(&a) = self.attaches.get(i) else {
                break;
            };
            if !of_parent(&a) {
                continue;
            }
            let copy = Attach {
                pid: child,
                held: false,
                ..a
            };
            self.attaches.push(copy).map_err(|_| Errno::NOMEM)?;
            if let Some(e) = self
                .ids
                .find_id(a.shmid)
                .and_then(|pos| self.ids.get_mut(pos))
            {
                e.obj.nattch += 1;
                e.obj.atime = ctx.now;
                e.obj.lpid = parent;
            }
        }
        Ok(())
    }

    /// `exit_shm` + unmapping at exit: every attachment of `pid` goes from the
    /// kernel's books. The pages of one that `shmat` handed out stay reserved
    /// until its address is detached: the caller holding it shares this address
    /// space and may still read it.
    pub(crate) fn exit(&mut self, ctx: &Ctx, pid: i32) {
        let mut i = 0;
        while let Some(&a) = self.attaches.get(i) {
            if a.pid != pid || a.exited {
                i += 1;
                continue;
            }
            if a.held {
                if let Some(slot) = self.attaches.get_mut(i) {
                    slot.exited = true;
                }
                i += 1;
            } else {
                self.forget(i);
            }
            self.unmapped(ctx, a.shmid, pid);
        }
    }

    /// `shm_destroy`.
    fn destroy(&mut self, pos: usize) {
        if let Some(e) = self.ids.remove(pos) {
            self.tot = self.tot.saturating_sub(e.obj.pages as u64);
            self.maps.destroy(e.obj.fd);
        }
    }

    /// `do_shm_rmid`: destroy now, or mark `SHM_DEST` and hide the key until the
    /// last detach.
    fn rmid(&mut self, pos: usize) {
        let Some(e) = self.ids.get_mut(pos) else {
            return;
        };
        if e.obj.nattch > 0 {
            e.perm.mode |= SHM_DEST;
            e.perm.key = IPC_PRIVATE;
        } else {
            self.destroy(pos);
        }
    }

    /// Removes a segment as an administrator would (no permission check).
    pub(crate) fn remove(&mut self, shmid: i32) -> Result<(), Errno> {
        let pos = self.ids.check(shmid)?;
        self.rmid(pos);
        Ok(())
    }

    fn stat(&self, ctx: &Ctx, shmid: i32, cmd: i32) -> Result<(shmid64_ds, i32), Errno> {
        let pos = if cmd == IPC_STAT {
            self.ids.check(shmid)?
        } else {
            self.ids.by_idx(shmid)?
        };
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        if cmd != SHM_STAT_ANY {
            e.perm.check(&ctx.proc, READ)?;
        }
        let s = &e.obj;
        let ds = shmid64_ds {
            shm_perm: e.perm.to_ipc64(),
            shm_segsz: s.segsz as u64,
            shm_atime: s.atime,
            shm_dtime: s.dtime,
            shm_ctime: s.ctime,
            shm_cpid: s.cpid,
            shm_lpid: s.lpid,
            shm_nattch: s.nattch,
            ..shmid64_ds::default()
        };
        Ok((ds, if cmd == IPC_STAT { 0 } else { e.id }))
    }

    /// `shmctl_do_lock`.
    fn lock(&mut self, ctx: &Ctx, shmid: i32, cmd: i32) -> Result<i32, Errno> {
        let pos = self.ids.check(shmid)?;
        let p = &ctx.proc;
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        if !p.has(Caps::IPC_LOCK) {
            if p.uid != e.perm.uid && p.uid != e.perm.cuid {
                return Err(Errno::PERM);
            }
            if cmd == SHM_LOCK && p.memlock_limit == 0 {
                return Err(Errno::PERM);
            }
        }
        // Hugetlbfs pages are never swapped: the kernel returns 0 and records
        // nothing (measured: `SHM_LOCKED` stays clear).
        if e.obj.hugetlb {
            return Ok(0);
        }
        if cmd == SHM_LOCK {
            if e.perm.mode & SHM_LOCKED != 0 {
                return Ok(0);
            }
            // user_shm_lock: the user's locked pages against RLIMIT_MEMLOCK.
            let pages = pages_for(e.obj.segsz).unwrap_or(usize::MAX) as u64;
            let mine: u64 = self
                .ids
                .iter()
                .filter(|o| o.obj.locked_by == Some(p.uid))
                .map(|o| pages_for(o.obj.segsz).unwrap_or(0) as u64)
                .sum();
            let limit = p.memlock_limit / PAGE_SIZE as u64;
            if mine.saturating_add(pages) > limit && !p.has(Caps::IPC_LOCK) {
                return Err(Errno::NOMEM);
            }
            let e = self.ids.get_mut(pos).ok_or(Errno::INVAL)?;
            e.perm.mode |= SHM_LOCKED;
            e.obj.locked_by = Some(p.uid);
        } else {
            let e = self.ids.get_mut(pos).ok_or(Errno::INVAL)?;
            e.perm.mode &= !SHM_LOCKED;
            e.obj.locked_by = None;
        }
        Ok(0)
    }

    /// `ksys_shmctl`.
    pub(crate) fn shmctl(
        &mut self,
        ctx: &Ctx,
        shmid: i32,
        cmd: i32,
        io: &mut dyn CtlIo,
    ) -> Result<i32, Errno> {
        if cmd < 0 || shmid < 0 {
            return Err(Errno::INVAL);
        }
        let l = &ctx.limits;
        match cmd {
            IPC_INFO => {
                let info = shminfo64 {
                    shmmax: l.shmmax,
                    shmmin: l.shmmin,
                    shmmni: l.shmmni,
                    shmseg: l.shmmni,
                    shmall: l.shmall,
                    ..shminfo64::default()
                };
                let ret = self.ids.info_ret();
                io.write_shminfo(&info)?;
                Ok(ret)
            }
            SHM_INFO => {
                // Resident and swapped pages are the kernel's page-cache view of
                // what was touched; the model does not track touches and says 0.
                let info = shm_info {
                    used_ids: self.ids.in_use() as i32,
                    shm_tot: self.tot,
                    ..shm_info::default()
                };
                let ret = self.ids.info_ret();
                io.write_shm_info(&info)?;
                Ok(ret)
            }
            IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
                let (ds, ret) = self.stat(ctx, shmid, cmd)?;
                io.write_shmid(&ds)?;
                Ok(ret)
            }
            IPC_SET => {
                let ds = io.read_shmid()?;
                let pos = self.ids.check(shmid)?;
                let e = self.ids.get_mut(pos).ok_or(Errno::INVAL)?;
                e.perm.check_owner(&ctx.proc)?;
                e.perm.update(&ds.shm_perm)?;
                e.obj.ctime = ctx.now;
                Ok(0)
            }
            IPC_RMID => {
                let pos = self.ids.check(shmid)?;
                self.ids
                    .get(pos)
                    .ok_or(Errno::INVAL)?
                    .perm
                    .check_owner(&ctx.proc)?;
                self.rmid(pos);
                Ok(0)
            }
            SHM_LOCK | SHM_UNLOCK => self.lock(ctx, shmid, cmd),
            _ => Err(Errno::INVAL),
        }
    }

    /// Live attachments of `pid` and whether each is read-only (test helper).
    pub(crate) fn attachments(&self, pid: i32) -> impl Iterator<Item = (i32, usize, bool)> + '_ {
        self.attaches
            .iter()
            .filter(move |a| a.pid == pid && !a.exited)
            .map(|a| (a.shmid, a.addr, a.rdonly))
    }
}

/// A mock that goes takes its segments' files and its mappings with it, as
/// the arena model's arena goes.
impl<const OBJS: usize> Drop for ShmState<OBJS> {
    fn drop(&mut self) {
        for e in self.ids.iter() {
            self.maps.destroy(e.obj.fd);
        }
        for (i, a) in self.attaches.iter().enumerate() {
            let first = self.attaches.iter().position(|b| b.addr == a.addr);
            if first == Some(i) {
                self.maps.unmap(a.addr, a.pages);
            }
        }
    }
}
