//! Message queues (`ipc/msg.c`, `ipc/msgutil.c`).
//!
//! Message text lives in one byte arena of `BYTES` bytes, in arrival order;
//! removing a message slides the later ones down (no fragmentation, no
//! allocation). A queue's messages are the arena's messages tagged with its id, so
//! queue order is arena order. Running out of arena bytes or message headers is
//! `ENOMEM`, where the kernel's `load_msg` would fail on memory.

use heapless::Vec;
use sysv_ipc_abi::{
    Errno, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, MSG_COPY, MSG_EXCEPT, MSG_INFO,
    MSG_NOERROR, MSG_STAT, MSG_STAT_ANY, MSGMAP, MSGPOOL, MSGSEG, MSGSSZ, MSGTQL, MTYPE_SIZE,
    msginfo, msqid64_ds,
};

use crate::Ctx;
use crate::ids::IdTable;
use crate::perm::{Caps, Perm, READ, WRITE};
use crate::wait::{Kind, RecvWait, SendWait, Status, Waiters};

/// `struct msg_queue` without the lists.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Queue {
    stime: i64,
    rtime: i64,
    ctime: i64,
    cbytes: u64,
    qnum: u64,
    qbytes: u64,
    lspid: i32,
    lrpid: i32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Owner {
    /// Queued on the queue with this id.
    Queue(i32),
    /// Handed to the blocked receiver with this token (`pipelined_send`).
    Waiter(u64),
}

#[derive(Copy, Clone, Debug)]
struct Msg {
    owner: Owner,
    mtype: i64,
    off: usize,
    len: usize,
}

/// How `msgtyp` selects (`convert_mode`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Any,
    Equal,
    NotEqual,
    LessEqual,
    Number,
}

fn convert_mode(msgtyp: &mut i64, msgflg: i32) -> Mode {
    if msgflg & MSG_COPY != 0 {
        return Mode::Number;
    }
    if *msgtyp == 0 {
        return Mode::Any;
    }
    if *msgtyp < 0 {
        // -LONG_MIN is undefined in C; the kernel special-cases it.
        *msgtyp = if *msgtyp == i64::MIN {
            i64::MAX
        } else {
            -*msgtyp
        };
        return Mode::LessEqual;
    }
    if msgflg & MSG_EXCEPT != 0 {
        Mode::NotEqual
    } else {
        Mode::Equal
    }
}

fn testmsg(mtype: i64, typ: i64, mode: Mode) -> bool {
    match mode {
        Mode::Any | Mode::Number => true,
        Mode::LessEqual => mtype <= typ,
        Mode::Equal => mtype == typ,
        Mode::NotEqual => mtype != typ,
    }
}

/// `msg_fits_inqueue`: both the bytes and the message count are bounded by qbytes.
fn fits(q: &Queue, msgsz: usize) -> bool {
    (msgsz as u64).saturating_add(q.cbytes) <= q.qbytes && q.qnum.saturating_add(1) <= q.qbytes
}

pub(crate) enum SendStep {
    Sent,
    Block(SendWait),
}

pub(crate) enum RecvStep {
    Got(usize),
    Block(RecvWait),
}

/// All message queues of one mock.
pub(crate) struct MsgState<const OBJS: usize, const MSGS: usize, const BYTES: usize> {
    pub(crate) ids: IdTable<Queue, OBJS>,
    msgs: Vec<Msg, MSGS>,
    arena: [u8; BYTES],
    used: usize,
}

impl<const OBJS: usize, const MSGS: usize, const BYTES: usize> MsgState<OBJS, MSGS, BYTES> {
    pub(crate) const fn new() -> Self {
        Self {
            ids: IdTable::new(),
            msgs: Vec::new(),
            arena: [0; BYTES],
            used: 0,
        }
    }

    /// `newque` via `ipcget`.
    pub(crate) fn msgget(&mut self, ctx: &Ctx, key: i32, msgflg: i32) -> Result<i32, Errno> {
        let create = |ids: &mut IdTable<Queue, OBJS>| {
            let q = Queue {
                ctime: ctx.now,
                qbytes: ctx.limits.msgmnb as u64,
                ..Queue::default()
            };
            ids.add(
                i64::from(ctx.limits.msgmni),
                Perm::new(key, msgflg, &ctx.proc),
                q,
            )
        };
        crate::ipcget(&mut self.ids, ctx, key, msgflg, |_| Ok(()), create)
    }

    fn space_for(&self, msgsz: usize) -> bool {
        !self.msgs.is_full() && BYTES.saturating_sub(self.used) >= msgsz
    }

    fn store(&mut self, owner: Owner, mtype: i64, text: &[u8]) -> Result<(), Errno> {
        let off = self.used;
        let end = off.checked_add(text.len()).ok_or(Errno::NOMEM)?;
        let dst = self.arena.get_mut(off..end).ok_or(Errno::NOMEM)?;
        self.msgs
            .push(Msg {
                owner,
                mtype,
                off,
                len: text.len(),
            })
            .map_err(|_| Errno::NOMEM)?;
        dst.copy_from_slice(text);
        self.used = end;
        Ok(())
    }

    /// Frees message `i`, sliding the later text down.
    fn free(&mut self, i: usize) {
        let Some(m) = self.msgs.get(i).copied() else {
            return;
        };
        let end = m.off + m.len;
        self.arena.copy_within(end..self.used, m.off);
        self.used -= m.len;
        self.msgs.remove(i);
        for later in self.msgs.iter_mut().skip(i) {
            later.off -= m.len;
        }
    }

    fn text(&self, m: &Msg) -> &[u8] {
        self.arena.get(m.off..m.off + m.len).unwrap_or(&[])
    }

    /// Copies `mtype` and up to `buf.len() - 8` text bytes out (`do_msg_fill`).
    fn fill(&self, m: &Msg, buf: &mut [u8]) -> usize {
        let (head, body) = buf.split_at_mut(MTYPE_SIZE.min(buf.len()));
        head.copy_from_slice(&m.mtype.to_ne_bytes()[..head.len()]);
        let n = body.len().min(m.len);
        if let (Some(dst), Some(src)) = (body.get_mut(..n), self.text(m).get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    }

    /// The checks `do_msgsnd` makes before looking the queue up.
    pub(crate) fn send_precheck(ctx: &Ctx, msqid: i32, msg: &[u8]) -> Result<(i64, usize), Errno> {
        let msgsz = msg.len().checked_sub(MTYPE_SIZE).ok_or(Errno::INVAL)?;
        if msgsz as u64 > ctx.limits.msgmax as u64 || msgsz > isize::MAX as usize || msqid < 0 {
            return Err(Errno::INVAL);
        }
        let mut mt = [0u8; 8];
        mt.copy_from_slice(msg.get(..MTYPE_SIZE).ok_or(Errno::INVAL)?);
        let mtype = i64::from_ne_bytes(mt);
        if mtype < 1 {
            return Err(Errno::INVAL);
        }
        Ok((mtype, msgsz))
    }

    /// One pass of `do_msgsnd`'s loop: sent, or must block.
    pub(crate) fn send_step(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        msqid: i32,
        msg: &[u8],
        msgflg: i32,
    ) -> Result<SendStep, Errno> {
        let (mtype, msgsz) = Self::send_precheck(ctx, msqid, msg)?;
        // load_msg allocates before the queue is looked up.
        if !self.space_for(msgsz) {
            return Err(Errno::NOMEM);
        }
        let text = msg.get(MTYPE_SIZE..).unwrap_or(&[]);
        let pos = self.ids.check(msqid)?;
        let e = self.ids.get_mut(pos).ok_or(Errno::INVAL)?;
        e.perm.check(&ctx.proc, WRITE)?;
        if !fits(&e.obj, msgsz) {
            if msgflg & IPC_NOWAIT != 0 {
                return Err(Errno::AGAIN);
            }
            return Ok(SendStep::Block(SendWait { id: msqid, msgsz }));
        }
        e.obj.lspid = ctx.proc.pid;
        e.obj.stime = ctx.now;
        // pipelined_send: the first waiting receiver that accepts the type takes
        // it; one whose buffer is too small is failed with E2BIG on the way.
        let mut taker = None;
        for wt in w.list.iter_mut() {
            let Kind::Recv(r) = &wt.kind else { continue };
            if r.id != msqid || wt.status != Status::Pending || !testmsg(mtype, r.msgtyp, r.mode) {
                continue;
            }
            if r.maxsize < msgsz as i64 {
                wt.status = Status::Done(Err(Errno::TOOBIG));
            } else {
                wt.status = Status::Done(Ok(msgsz));
                taker = Some((wt.token, wt.pid));
                break;
            }
        }
        match taker {
            Some((token, pid)) => {
                e.obj.lrpid = pid;
                e.obj.rtime = ctx.now;
                self.store(Owner::Waiter(token), mtype, text)?;
            }
            None => {
                e.obj.cbytes += msgsz as u64;
                e.obj.qnum += 1;
                self.store(Owner::Queue(msqid), mtype, text)?;
            }
        }
        Ok(SendStep::Sent)
    }

    /// `find_msg`.
    fn find(&self, msqid: i32, msgtyp: &mut i64, mode: Mode) -> Option<usize> {
        let mut found = None;
        let mut count = 0i64;
        for (i, m) in self.msgs.iter().enumerate() {
            if m.owner != Owner::Queue(msqid) || !testmsg(m.mtype, *msgtyp, mode) {
                continue;
            }
            if mode == Mode::LessEqual && m.mtype != 1 {
                *msgtyp = m.mtype - 1;
                found = Some(i);
            } else if mode == Mode::Number {
                if *msgtyp == count {
                    return Some(i);
                }
            } else {
                return Some(i);
            }
            count += 1;
        }
        found
    }

    /// One pass of `do_msgrcv`'s loop: a message copied out, or must block.
    pub(crate) fn recv_step(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        msqid: i32,
        buf: &mut [u8],
        msgtyp: i64,
        msgflg: i32,
    ) -> Result<RecvStep, Errno> {
        let bufsz = buf.len().checked_sub(MTYPE_SIZE).ok_or(Errno::INVAL)?;
        if msqid < 0 || bufsz > isize::MAX as usize {
            return Err(Errno::INVAL);
        }
        let mut copy_cap = 0;
        if msgflg & MSG_COPY != 0 {
            if msgflg & MSG_EXCEPT != 0 || msgflg & IPC_NOWAIT == 0 {
                return Err(Errno::INVAL);
            }
            // prepare_copy allocates min(bufsz, msgmax) bytes up front.
            copy_cap = bufsz.min(ctx.limits.msgmax.max(0) as usize);
        }
        let mut typ = msgtyp;
        let mode = convert_mode(&mut typ, msgflg);
        let pos = self.ids.check(msqid)?;
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        e.perm.check(&ctx.proc, READ)?;
        let Some(i) = self.find(msqid, &mut typ, mode) else {
            if msgflg & IPC_NOWAIT != 0 {
                return Err(Errno::NOMSG);
            }
            let maxsize = if msgflg & MSG_NOERROR != 0 {
                i64::from(i32::MAX)
            } else {
                bufsz as i64
            };
            return Ok(RecvStep::Block(RecvWait {
                id: msqid,
                msgtyp: typ,
                mode,
                maxsize,
            }));
        };
        let m = self.msgs.get(i).copied().ok_or(Errno::INVAL)?;
        if bufsz < m.len && msgflg & MSG_NOERROR == 0 {
            return Err(Errno::TOOBIG);
        }
        if msgflg & MSG_COPY != 0 {
            // copy_msg refuses a message longer than the copy buffer, which
            // MSG_NOERROR does not help with.
            if m.len > copy_cap {
                return Err(Errno::INVAL);
            }
            return Ok(RecvStep::Got(self.fill(&m, buf)));
        }
        let n = self.fill(&m, buf);
        let q = &mut self.ids.get_mut(pos).ok_or(Errno::INVAL)?.obj;
        q.qnum -= 1;
        q.rtime = ctx.now;
        q.lrpid = ctx.proc.pid;
        q.cbytes -= m.len as u64;
        let q = *q;
        self.free(i);
        wake_senders(w, msqid, &q);
        Ok(RecvStep::Got(n))
    }

    /// Copies out the message a sender handed to the blocked receiver `token`.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn take_delivered(&mut self, token: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let i = self
            .msgs
            .iter()
            .position(|m| m.owner == Owner::Waiter(token))
            .ok_or(Errno::INVAL)?;
        let m = self.msgs.get(i).copied().ok_or(Errno::INVAL)?;
        let n = self.fill(&m, buf);
        self.free(i);
        Ok(n)
    }

    /// `freeque`: waiters fail with `EIDRM`, messages go.
    fn freeque(&mut self, w: &mut Waiters, pos: usize) {
        let Some(e) = self.ids.remove(pos) else {
            return;
        };
        let id = e.id;
        w.settle_all(
            |k| {
                matches!(k, Kind::Recv(r) if r.id == id) || matches!(k, Kind::Send(s) if s.id == id)
            },
            Errno::IDRM,
        );
        while let Some(i) = self.msgs.iter().position(|m| m.owner == Owner::Queue(id)) {
            self.free(i);
        }
    }

    /// Removes a queue as an administrator would (no permission check).
    pub(crate) fn remove(&mut self, w: &mut Waiters, msqid: i32) -> Result<(), Errno> {
        let pos = self.ids.check(msqid)?;
        self.freeque(w, pos);
        Ok(())
    }

    fn info(&self, ctx: &Ctx, cmd: i32) -> msginfo {
        let l = &ctx.limits;
        let mut i = msginfo {
            msgmni: l.msgmni,
            msgmax: l.msgmax,
            msgmnb: l.msgmnb,
            msgssz: MSGSSZ,
            msgseg: MSGSEG as u16,
            msgmap: MSGMAP,
            msgpool: MSGPOOL,
            msgtql: MSGTQL,
            ..msginfo::default()
        };
        if cmd == MSG_INFO {
            // The kernel's counters cover queued messages only, not those handed
            // straight to a receiver.
            let queued = self
                .msgs
                .iter()
                .filter(|m| matches!(m.owner, Owner::Queue(_)));
            let (n, bytes) = queued.fold((0u64, 0u64), |(n, b), m| (n + 1, b + m.len as u64));
            i.msgpool = self.ids.in_use() as i32;
            i.msgmap = n.min(i32::MAX as u64) as i32;
            i.msgtql = bytes.min(i32::MAX as u64) as i32;
        }
        i
    }

    fn stat(&self, ctx: &Ctx, msqid: i32, cmd: i32) -> Result<(msqid64_ds, i32), Errno> {
        let pos = if cmd == IPC_STAT {
            self.ids.check(msqid)?
        } else {
            self.ids.by_idx(msqid)?
        };
        let e = self.ids.get(pos).ok_or(Errno::INVAL)?;
        if cmd != MSG_STAT_ANY {
            e.perm.check(&ctx.proc, READ)?;
        }
        let q = &e.obj;
        let ds = msqid64_ds {
            msg_perm: e.perm.to_ipc64(),
            msg_stime: q.stime,
            msg_rtime: q.rtime,
            msg_ctime: q.ctime,
            msg_cbytes: q.cbytes,
            msg_qnum: q.qnum,
            msg_qbytes: q.qbytes,
            msg_lspid: q.lspid,
            msg_lrpid: q.lrpid,
            ..msqid64_ds::default()
        };
        Ok((ds, if cmd == IPC_STAT { 0 } else { e.id }))
    }

    /// `ksys_msgctl`. `buf` is read or written only through the two callbacks, so
    /// this function has no unsafe code; `None` from `read`/`Err` from `write`
    /// stands for a null (faulting) pointer.
    pub(crate) fn msgctl(
        &mut self,
        w: &mut Waiters,
        ctx: &Ctx,
        msqid: i32,
        cmd: i32,
        io: &mut dyn crate::CtlIo,
    ) -> Result<i32, Errno> {
        if msqid < 0 || cmd < 0 {
            return Err(Errno::INVAL);
        }
        match cmd {
            IPC_INFO | MSG_INFO => {
                let ret = self.ids.info_ret();
                io.write_msginfo(&self.info(ctx, cmd))?;
                Ok(ret)
            }
            IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
                let (ds, ret) = self.stat(ctx, msqid, cmd)?;
                io.write_msqid(&ds)?;
                Ok(ret)
            }
            IPC_SET => {
                let ds = io.read_msqid()?;
                let pos = self.ids.check(msqid)?;
                let e = self.ids.get_mut(pos).ok_or(Errno::INVAL)?;
                e.perm.check_owner(&ctx.proc)?;
                // msgctl_down takes msg_qbytes as a C int and compares it with
                // the namespace's unsigned msgmnb, so -1 counts as 0xffffffff
                // (measured on 6.18: EPERM), while 2^32 + 5 is 5.
                let qbytes = ds.msg_qbytes as i32;
                if qbytes as u32 > ctx.limits.msgmnb as u32 && !ctx.proc.has(Caps::SYS_RESOURCE) {
                    return Err(Errno::PERM);
                }
                e.perm.update(&ds.msg_perm)?;
                e.obj.qbytes = i64::from(qbytes) as u64;
                e.obj.ctime = ctx.now;
                // expunge_all(-EAGAIN): receivers look again (permissions may have
                // changed); ss_wakeup: senders that now fit retry.
                let q = e.obj;
                for wt in w.list.iter_mut() {
                    if wt.status != Status::Pending {
                        continue;
                    }
                    match &wt.kind {
                        Kind::Recv(r) if r.id == msqid => wt.status = Status::Retry,
                        Kind::Send(s) if s.id == msqid && fits(&q, s.msgsz) => {
                            wt.status = Status::Retry
                        }
                        _ => {}
                    }
                }
                Ok(0)
            }
            IPC_RMID => {
                let pos = self.ids.check(msqid)?;
                self.ids
                    .get(pos)
                    .ok_or(Errno::INVAL)?
                    .perm
                    .check_owner(&ctx.proc)?;
                self.freeque(w, pos);
                Ok(0)
            }
            _ => Err(Errno::INVAL),
        }
    }

    /// Blocked senders and receivers on `msqid` (test helper).
    pub(crate) fn waiting(w: &Waiters, msqid: i32) -> (usize, usize) {
        let pending = w.list.iter().filter(|x| x.status == Status::Pending);
        pending.fold((0, 0), |(s, r), x| match &x.kind {
            Kind::Send(k) if k.id == msqid => (s + 1, r),
            Kind::Recv(k) if k.id == msqid => (s, r + 1),
            _ => (s, r),
        })
    }
}

/// `ss_wakeup` after a receive: senders whose message now fits retry.
fn wake_senders(w: &mut Waiters, msqid: i32, q: &Queue) {
    for wt in w.list.iter_mut() {
        if let Kind::Send(s) = &wt.kind
            && s.id == msqid
            && wt.status == Status::Pending
            && fits(q, s.msgsz)
        {
            wt.status = Status::Retry;
        }
    }
}
