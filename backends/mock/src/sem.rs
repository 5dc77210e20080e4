//! Semaphore sets (`ipc/sem.c`).
//!
//! The semaphores of every set live in one pool of `SEMS` entries, each set a
//! contiguous run in creation order; removing a set closes its gap. Undo records
//! (`struct sem_undo`) are kept per (process, set) with one entry per non-zero
//! adjustment.

use core::ffi::c_void;

use heapless::Vec;
use sysv_ipc_abi::{
    Errno, GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET,
    IPC_STAT, SEM_INFO, SEM_STAT, SEM_STAT_ANY, SEM_UNDO, SEMMAP, SEMMNU, SEMUME, SEMUSZ, SETALL,
    SETVAL, sembuf, semid64_ds, seminfo, semun_val_of, timespec,
};

use crate::ids::IdTable;
use crate::perm::{Perm, READ, WRITE};
use crate::wait::{Kind, MAX_WAIT_SOPS, SemWait, Status, Waiters};
use crate::{CtlIo, Ctx};

/// Processes × sets with undo records, at most.
pub const MAX_UNDO: usize = 64;
/// Non-zero undo adjustments (one per process, set and semaphore), at most.
pub const MAX_ADJ: usize = 256;

#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct SemSet {
    base: usize,
    nsems: usize,
    ctime: i64,
}

#[derive(Copy, Clone, Debug, Default)]
struct Sem {
    val: i32,
    pid: i32,
    otime: i64,
}

#[derive(Copy, Clone, Debug)]
struct UndoHdr {
    pid: i32,
    semid: i32,
}

#[derive(Copy, Clone, Debug)]
struct Adj {
    pid: i32,
    semid: i32,
    num: u16,
    adj: i32,
}

/// What `perform_atomic_semop` says.
enum Perform {
    Done,
    /// Would sleep on the operation at this index.
    Block(usize),
    Fail(Errno),
}

// No heap to box into: the record is moved once, into the fixed waiter table.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SemStep {
    Done,
    Block(SemWait),
}

/// A waiter's or caller's operation, as `perform_atomic_semop` needs it.
struct Op<'a> {
    semid: i32,
    sops: &'a [sembuf],
    pid: i32,
    undo: bool,
    dupsop: bool,
}

/// All semaphore sets of one mock.
pub(crate) struct SemState<const OBJS: usize, const SEMS: usize> {
    pub(crate) ids: IdTable<SemSet, OBJS>,
    sems: Vec<Sem, SEMS>,
    used: i64,
    undos: Vec<UndoHdr, MAX_UNDO>,
    adjs: Vec<Adj, MAX_ADJ>,
}

/// `timespec64_valid`.
pub(crate) fn valid_timeout(t: &timespec) -> bool {
    t.tv_sec >= 0 && (0..1_000_000_000).contains(&t.tv_nsec)
}

impl<const OBJS: usize, const SEMS: usize> SemState<OBJS, SEMS> {
    pub(crate) const fn new() -> Self {
        Self {
            ids: IdTable::new(),
            sems: Vec::new(),
            used: 0,
            undos: Vec::new(),
            adjs: Vec::new(),
        }
    }

    /// `ksys_semget`: the `nsems` range check, then `ipcget` with `newary` and
    /// `sem_more_checks`.
    pub(crate) fn semget(
        &mut self,
        ctx: &Ctx,
        key: i32,
        nsems: i32,
        semflg: i32,
    ) -> Result<i32, Errno> {
        if nsems < 0 || nsems > ctx.limits.semmsl {
            return Err(Errno::INVAL);
        }
        let n = nsems as usize;
        let sems = &mut self.sems;
        let used = &mut self.used;
        let more = |e: &crate::ids::Entry<SemSet>| {
            if n > e.obj.nsems {
                Err(Errno::INVAL)
            } else {
                Ok(())
            }
        };
        let create = |ids: &mut IdTable<SemSet, OBJS>| {
            if n == 0 {
                return Err(Errno::INVAL);
            }
            // The mock's pool is one more bound, reported as semmns is.
            if *used + n as i64 > i64::from(ctx.limits.semmns) || sems.len() + n > SEMS {
                return Err(Errno::NOSPC);
            }
            let set = SemSet {
                base: sems.len(),
                nsems: n,
                ctime: ctx.now,
            };
            let id = ids.add(
                i64::from(ctx.limits.semmni),
                Perm::new(key, semflg, &ctx.proc),
                set,
            )?;
            for _ in 0..n {
                sems.push(Sem::default()).map_err(|_| Errno::NOSPC)?;
            }
            *used += n as i64;
            Ok(id)
        };
        crate::ipcget(&mut self.ids, ctx, key, semflg, more, create)
    }

    fn set(&self, pos: usize) -> Result<(i32, SemSet), Errno> {
        self.ids.get(pos).map(|e| (e.id, e.obj)).ok_or(Errno::INVAL)
    }

    fn sem(&self, set: &SemSet, num: usize) -> Option<&Sem> {
        if num < set.nsems {
            self.sems.get(set.base + num)
        } else {
            None
        }
    }

    fn sem_mut(&mut self, set: &SemSet, num: usize) -> Option<&mut Sem> {
        if num < set.nsems {
            self.sems.get_mut(set.base + num)
        } else {
            None
        }
    }

    fn adj(&self, pid: i32, semid: i32, num: u16) -> i32 {
        let hit = self
            .adjs
            .iter()
            .find(|a| a.pid == pid && a.semid == semid && a.num == num);
        hit.map_or(0, |a| a.adj)
    }

    fn set_adj(&mut self, pid: i32, semid: i32, num: u16, adj: i32) {
        let pos = self
            .adjs
            .iter()
            .position(|a| a.pid == pid && a.semid == semid && a.num == num);
        match (pos, adj) {
            (Some(i), 0) => {
                self.adjs.swap_remove(i);
            }
            (Some(i), v) => {
                if let Some(a) = self.adjs.get_mut(i) {
                    a.adj = v;
                }
            }
            // Room was checked before the operation started (`adj_room`).
            (None, 0) => {}
            (None, v) => {
                let _ = self.adjs.push(Adj {
                    pid,
                    semid,
                    num,
                    adj: v,
                });
            }
        }
    }

    /// Whether every adjustment `sops` could create fits in the table.
    fn adj_room(&self, pid: i32, semid: i32, sops: &[sembuf]) -> bool {
        let mut need = 0;
        for (i, s) in sops.iter().enumerate() {
            let undo = s.sem_flg & SEM_UNDO != 0;
            let seen = sops
                .iter()
                .take(i)
                .any(|p| p.sem_num == s.sem_num && p.sem_flg & SEM_UNDO != 0);
            let exists = self
                .adjs
                .iter()
                .any(|a| a.pid == pid && a.semid == semid && a.num == s.sem_num);
            if undo && !seen && !exists {
                need += 1;
            }
        }
        self.adjs.len() + need <= MAX_ADJ
    }

    /// `perform_atomic_semop` (and its `_slow` twin for sets that touch one
    /// semaphore twice): all of `sops`, or none.
    fn perform(&mut self, ctx: &Ctx, set: &SemSet, op: &Op<'_>) -> Perform {
        // i64 throughout: the limits are settable, so int sums could overflow.
        let semaem = i64::from(ctx.limits.semaem);
        let semvmx = i64::from(ctx.limits.semvmx);
        if op.undo && !self.adj_room(op.pid, op.semid, op.sops) {
            return Perform::Fail(Errno::NOMEM);
        }
        if op.dupsop {
            // Apply one by one, rolling back on failure.
            let mut failed = None;
            let mut applied = 0;
            for (i, s) in op.sops.iter().enumerate() {
                let num = usize::from(s.sem_num);
                let Some(cur) = self.sem(set, num).map(|c| i64::from(c.val)) else {
                    failed = Some(Perform::Fail(Errno::FBIG));
                    break;
                };
                let sem_op = i64::from(s.sem_op);
                if sem_op == 0 && cur != 0 || cur + sem_op < 0 {
                    failed = Some(if s.sem_flg as i32 & IPC_NOWAIT != 0 {
                        Perform::Fail(Errno::AGAIN)
                    } else {
                        Perform::Block(i)
                    });
                    break;
                }
                if cur + sem_op > semvmx {
                    failed = Some(Perform::Fail(Errno::RANGE));
                    break;
                }
                if s.sem_flg & SEM_UNDO != 0 {
                    let undo = i64::from(self.adj(op.pid, op.semid, s.sem_num)) - sem_op;
                    if undo < -semaem - 1 || undo > semaem {
                        failed = Some(Perform::Fail(Errno::RANGE));
                        break;
                    }
                    self.set_adj(op.pid, op.semid, s.sem_num, undo as i32);
                }
                if let Some(c) = self.sem_mut(set, num) {
                    c.val = (cur + sem_op) as i32;
                }
                applied = i + 1;
            }
            if let Some(f) = failed {
                for s in op.sops.iter().take(applied).rev() {
                    let sem_op = i64::from(s.sem_op);
                    if let Some(c) = self.sem_mut(set, usize::from(s.sem_num)) {
                        c.val = (i64::from(c.val) - sem_op) as i32;
                    }
                    if s.sem_flg & SEM_UNDO != 0 {
                        let a = i64::from(self.adj(op.pid, op.semid, s.sem_num));
                        self.set_adj(op.pid, op.semid, s.sem_num, (a + sem_op) as i32);
                    }
                }
                return f;
            }
            for s in op.sops.iter().rev() {
                if let Some(c) = self.sem_mut(set, usize::from(s.sem_num)) {
                    c.pid = op.pid;
                }
            }
            return Perform::Done;
        }
        // Fast path: no semaphore is altered twice, so check all against the
        // current values, then apply all.
        for (i, s) in op.sops.iter().enumerate() {
            let Some(cur) = self
                .sem(set, usize::from(s.sem_num))
                .map(|c| i64::from(c.val))
            else {
                return Perform::Fail(Errno::FBIG);
            };
            let sem_op = i64::from(s.sem_op);
            if sem_op == 0 && cur != 0 || cur + sem_op < 0 {
                return if s.sem_flg as i32 & IPC_NOWAIT != 0 {
                    Perform::Fail(Errno::AGAIN)
                } else {
                    Perform::Block(i)
                };
            }
            if cur + sem_op > semvmx {
                return Perform::Fail(Errno::RANGE);
            }
            if s.sem_flg & SEM_UNDO != 0 {
                let undo = i64::from(self.adj(op.pid, op.semid, s.sem_num)) - sem_op;
                if undo < -semaem - 1 || undo > semaem {
                    return Perform::Fail(Errno::RANGE);
                }
            }
        }
        for s in op.sops {
            let sem_op = i64::from(s.sem_op);
            if s.sem_flg & SEM_UNDO != 0 {
                let undo = i64::from(self.adj(op.pid, op.semid, s.sem_num)) - sem_op;
                self.set_adj(op.pid, op.semid, s.sem_num, undo as i32);
            }
            if let Some(c) = self.sem_mut(set, usize::from(s.sem_num)) {
                c.val = (i64::from(c.val) + sem_op) as i32;
                c.pid = op.pid;
            }
        }
        Perform::Done
    }

    /// `set_semotime`: the first operation's semaphore (semaphore 0 for a
    /// `semctl` or an exit), read back as the maximum over the set.
    fn set_otime(&mut self, set: &SemSet, first: Option<u16>, now: i64) {
        let num = first.map_or(0, usize::from);
        if let Some(c) = self.sem_mut(set, num) {
            c.otime = now;
        }
    }

    /// `do_smart_update`: completes what blocked callers can now do, in arrival
    /// order, each completion possibly enabling more; then `sem_otime`.
    fn smart_update(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        semid: i32,
        first: Option<u16>,
        otime: bool,
    ) {
        let mut completed = otime;
        let Some(pos) = self.ids.find_id(semid) else {
            return;
        };
        let Ok((_, set)) = self.set(pos) else { return };
        loop {
            let mut restart = false;
            // Wait-for-zero callers first (`do_smart_wakeup_zero`), then the
            // ones that alter (`update_queue`); a completed alter may enable
            // others, so start over after one.
            for alter_pass in [false, true] {
                for wt in w.list.iter_mut() {
                    let Kind::Sem(sw) = &mut wt.kind else {
                        continue;
                    };
                    if sw.id != semid || wt.status != Status::Pending || sw.alter != alter_pass {
                        continue;
                    }
                    let op = Op {
                        semid,
                        sops: &sw.sops,
                        pid: wt.pid,
                        undo: sw.undo,
                        dupsop: sw.dupsop,
                    };
                    match self.perform(ctx, &set, &op) {
                        Perform::Block(i) => sw.blocking = i,
                        Perform::Fail(e) => wt.status = Status::Done(Err(e)),
                        Perform::Done => {
                            wt.status = Status::Done(Ok(0));
                            completed = true;
                            if alter_pass {
                                restart = true;
                                break;
                            }
                        }
                    }
                }
                if restart {
                    break;
                }
            }
            if !restart {
                break;
            }
        }
        if completed {
            self.set_otime(&set, first, ctx.now);
        }
    }

    /// The checks of `do_semtimedop`/`__do_semtimedop` up to the first attempt, and
    /// the attempt. `Block` carries what a waiter needs.
    pub(crate) fn semop_step(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<SemStep, Errno> {
        let semopm = ctx.limits.semopm.max(0) as usize;
        if sops.len() > semopm {
            return Err(Errno::TOOBIG);
        }
        if sops.is_empty() || semid < 0 {
            return Err(Errno::INVAL);
        }
        if timeout.is_some_and(|t| !valid_timeout(t)) {
            return Err(Errno::INVAL);
        }
        let mut max = 0u16;
        let (mut undos, mut alter, mut dupsop) = (false, false, false);
        let mut dup = 0u64;
        for s in sops {
            let mask = 1u64 << (s.sem_num % 64);
            max = max.max(s.sem_num);
            undos |= s.sem_flg & SEM_UNDO != 0;
            if dup & mask != 0 {
                dupsop = true;
            }
            if s.sem_op != 0 {
                alter = true;
                dup |= mask;
            }
        }
        let pid = ctx.proc.pid;
        if undos && !self.undos.iter().any(|u| u.pid == pid && u.semid == semid) {
            // find_alloc_undo looks the set up first, then allocates.
            self.ids.check(semid)?;
            self.undos
                .push(UndoHdr { pid, semid })
                .map_err(|_| Errno::NOMEM)?;
        }
        let pos = self.ids.check(semid)?;
        let (_, set) = self.set(pos)?;
        if usize::from(max) >= set.nsems {
            return Err(Errno::FBIG);
        }
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        e.perm.check(&ctx.proc, if alter { WRITE } else { READ })?;
        let op = Op {
            semid,
            sops,
            pid,
            undo: undos,
            dupsop,
        };
        match self.perform(ctx, &set, &op) {
            Perform::Done => {
                let first = sops.first().map(|s| s.sem_num);
                if alter {
                    self.smart_update(w, ctx, semid, first, true);
                } else {
                    self.set_otime(&set, first, ctx.now);
                }
                Ok(SemStep::Done)
            }
            Perform::Fail(e) => Err(e),
            Perform::Block(blocking) => {
                let mut v: Vec<sembuf, MAX_WAIT_SOPS> = Vec::new();
                v.extend_from_slice(sops).map_err(|_| Errno::NOMEM)?;
                Ok(SemStep::Block(SemWait {
                    id: semid,
                    sops: v,
                    undo: undos,
                    alter,
                    dupsop,
                    blocking,
                }))
            }
        }
    }

    fn count_waiters(w: &Waiters, semid: i32, num: usize, zero: bool) -> i32 {
        let hits = w.list.iter().filter(|wt| {
            let Kind::Sem(sw) = &wt.kind else {
                return false;
            };
            let Some(b) = sw.sops.get(sw.blocking) else {
                return false;
            };
            let op_matches = if zero { b.sem_op == 0 } else { b.sem_op < 0 };
            sw.id == semid
                && wt.status == Status::Pending
                && usize::from(b.sem_num) == num
                && op_matches
        });
        hits.count() as i32
    }

    /// `freeary`: undo records go, waiters fail with `EIDRM`.
    fn freeary(&mut self, w: &mut Waiters, pos: usize) {
        let Some(e) = self.ids.remove(pos) else {
            return;
        };
        let (id, set) = (e.id, e.obj);
        self.undos.retain(|u| u.semid != id);
        self.adjs.retain(|a| a.semid != id);
        w.settle_all(|k| matches!(k, Kind::Sem(s) if s.id == id), Errno::IDRM);
        for _ in 0..set.nsems {
            if set.base < self.sems.len() {
                self.sems.remove(set.base);
            }
        }
        for other in self.ids.iter_mut() {
            if other.obj.base > set.base {
                other.obj.base -= set.nsems;
            }
        }
        self.used -= set.nsems as i64;
    }

    /// Removes a set as an administrator would (no permission check).
    pub(crate) fn remove(&mut self, w: &mut Waiters, semid: i32) -> Result<(), Errno> {
        let pos = self.ids.check(semid)?;
        self.freeary(w, pos);
        Ok(())
    }

    /// `exit_sem`: applies and drops the undo records of `pid`.
    pub(crate) fn exit(&mut self, w: &mut Waiters, ctx: &Ctx, pid: i32) {
        while let Some(i) = self.undos.iter().position(|u| u.pid == pid) {
            let semid = self.undos.swap_remove(i).semid;
            let Some(pos) = self.ids.find_id(semid) else {
                continue;
            };
            let Ok((_, set)) = self.set(pos) else {
                continue;
            };
            for num in 0..set.nsems {
                let Ok(n16) = u16::try_from(num) else { break };
                let adj = self.adj(pid, semid, n16);
                if adj == 0 {
                    continue;
                }
                let semvmx = ctx.limits.semvmx;
                if let Some(c) = self.sem_mut(&set, num) {
                    c.val = (i64::from(c.val) + i64::from(adj)).clamp(0, i64::from(semvmx.max(0)))
                        as i32;
                    c.pid = pid;
                }
            }
            self.adjs.retain(|a| !(a.pid == pid && a.semid == semid));
            self.smart_update(w, ctx, semid, None, true);
        }
    }

    fn info(&self, ctx: &Ctx, cmd: i32) -> seminfo {
        let l = &ctx.limits;
        let mut i = seminfo {
            semmni: l.semmni,
            semmns: l.semmns,
            semmsl: l.semmsl,
            semopm: l.semopm,
            semvmx: l.semvmx,
            semmnu: SEMMNU,
            semmap: SEMMAP,
            semume: SEMUME,
            semusz: SEMUSZ,
            semaem: l.semaem,
        };
        if cmd == SEM_INFO {
            i.semusz = self.ids.in_use() as i32;
            i.semaem = self.used.min(i64::from(i32::MAX)) as i32;
        }
        i
    }

    fn stat(&self, ctx: &Ctx, semid: i32, cmd: i32) -> Result<(semid64_ds, i32), Errno> {
        let pos = if cmd == IPC_STAT {
            self.ids.check(semid)?
        } else {
            self.ids.by_idx(semid)?
        };
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        if cmd != SEM_STAT_ANY {
            e.perm.check(&ctx.proc, READ)?;
        }
        let otime = (0..e.obj.nsems)
            .filter_map(|n| self.sem(&e.obj, n))
            .map(|s| s.otime)
            .max()
            .unwrap_or(0);
        let ds = semid64_ds {
            sem_perm: e.perm.to_ipc64(),
            sem_otime: otime,
            sem_ctime: e.obj.ctime,
            sem_nsems: e.obj.nsems as u64,
            ..semid64_ds::default()
        };
        Ok((ds, if cmd == IPC_STAT { 0 } else { e.id }))
    }

    /// `ksys_semctl`; `arg` is `union semun` as one word: SETVAL's value, or the
    /// pointer `io` reads and writes through.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn semctl(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
        io: &mut dyn CtlIo,
    ) -> Result<i32, Errno> {
        if semid < 0 {
            return Err(Errno::INVAL);
        }
        match cmd {
            IPC_INFO | SEM_INFO => {
                let ret = self.ids.info_ret();
                io.write_seminfo(&self.info(ctx, cmd))?;
                Ok(ret)
            }
            IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
                let (ds, ret) = self.stat(ctx, semid, cmd)?;
                io.write_semid(&ds)?;
                Ok(ret)
            }
            GETALL | GETVAL | GETPID | GETNCNT | GETZCNT | SETALL => {
                self.semctl_main(w, ctx, semid, semnum, cmd, io)
            }
            // Little-endian 64-bit: the value is the low 32 bits of the word.
            SETVAL => self.setval(w, ctx, semid, semnum, semun_val_of(arg)),
            IPC_SET => {
                let ds = io.read_semid()?;
                let pos = self.ids.check(semid)?;
                let e = self.ids.get_mut(pos).ok_or(Errno::INVAL)?;
                e.perm.check_owner(&ctx.proc)?;
                e.perm.update(&ds.sem_perm)?;
                e.obj.ctime = ctx.now;
                Ok(0)
            }
            IPC_RMID => {
                let pos = self.ids.check(semid)?;
                self.ids
                    .get(pos)
                    .ok_or(Errno::INVAL)?
                    .perm
                    .check_owner(&ctx.proc)?;
                self.freeary(w, pos);
                Ok(0)
            }
            _ => Err(Errno::INVAL),
        }
    }

    fn setval(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        semid: i32,
        semnum: i32,
        val: i32,
    ) -> Result<i32, Errno> {
        if val > ctx.limits.semvmx || val < 0 {
            return Err(Errno::RANGE);
        }
        let pos = self.ids.check(semid)?;
        let (_, set) = self.set(pos)?;
        let num = usize::try_from(semnum)
            .ok()
            .filter(|&n| n < set.nsems)
            .ok_or(Errno::INVAL)?;
        self.ids
            .get(pos)
            .ok_or(Errno::INVAL)?
            .perm
            .check(&ctx.proc, WRITE)?;
        if let Ok(n16) = u16::try_from(num) {
            self.adjs.retain(|a| !(a.semid == semid && a.num == n16));
        }
        if let Some(c) = self.sem_mut(&set, num) {
            c.val = val;
            c.pid = ctx.proc.pid;
        }
        if let Some(e) = self.ids.get_mut(pos) {
            e.obj.ctime = ctx.now;
        }
        self.smart_update(w, ctx, semid, None, false);
        Ok(0)
    }

    fn semctl_main(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        semid: i32,
        semnum: i32,
        cmd: i32,
        io: &mut dyn CtlIo,
    ) -> Result<i32, Errno> {
        let pos = self.ids.check(semid)?;
        let (_, set) = self.set(pos)?;
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        e.perm
            .check(&ctx.proc, if cmd == SETALL { WRITE } else { READ })?;
        match cmd {
            GETALL => {
                for n in 0..set.nsems {
                    let v = self.sem(&set, n).map_or(0, |s| s.val);
                    io.write_u16(n, v as u16)?;
                }
                return Ok(0);
            }
            SETALL => {
                // copy_from_user of the whole array, then the range check, then
                // the update: a fault or ERANGE changes nothing.
                for n in 0..set.nsems {
                    if i32::from(io.read_u16(n)?) > ctx.limits.semvmx {
                        return Err(Errno::RANGE);
                    }
                }
                for n in 0..set.nsems {
                    let v = i32::from(io.read_u16(n)?);
                    if let Some(c) = self.sem_mut(&set, n) {
                        c.val = v;
                        c.pid = ctx.proc.pid;
                    }
                }
                self.adjs.retain(|a| a.semid != semid);
                if let Some(e) = self.ids.get_mut(pos) {
                    e.obj.ctime = ctx.now;
                }
                self.smart_update(w, ctx, semid, None, false);
                return Ok(0);
            }
            _ => {}
        }
        let num = usize::try_from(semnum)
            .ok()
            .filter(|&n| n < set.nsems)
            .ok_or(Errno::INVAL)?;
        let s = self.sem(&set, num).ok_or(Errno::INVAL)?;
        Ok(match cmd {
            GETVAL => s.val,
            GETPID => s.pid,
            GETNCNT => Self::count_waiters(w, semid, num, false),
            _ => Self::count_waiters(w, semid, num, true),
        })
    }

    /// The `SEM_UNDO` adjustment `pid` holds for semaphore `num` of `semid`
    /// (test helper; the kernel has no call for it).
    pub(crate) fn semadj(&self, pid: i32, semid: i32, num: u16) -> i32 {
        self.adj(pid, semid, num)
    }
}
