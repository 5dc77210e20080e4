//! Blocked callers: the model's version of the kernel's `sem_queue`,
//! `msg_receiver` and `msg_sender` records.
//!
//! A caller that must wait registers a [`Waiter`] and sleeps; whoever changes the
//! object settles it, as the kernel does: a semaphore waiter's operations are
//! performed by the caller that made them possible (`update_queue`), a message is
//! handed straight to a waiting receiver (`pipelined_send`), a sender is told to
//! retry, and a removal settles every waiter with `EIDRM`. Without the `std`
//! feature nothing ever waits, so the list stays empty.

use heapless::Vec;
use sysv_ipc_abi::{Errno, sembuf};

/// Callers that can be blocked at once in one mock.
pub const MAX_WAITERS: usize = 32;
/// Operations a blocked `semop` may carry (the kernel allows `semopm`); a call
/// with more that would block fails with `ENOMEM`.
pub const MAX_WAIT_SOPS: usize = 64;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Still waiting.
    Pending,
    /// Woken without a result: check again (a sender after space was freed, a
    /// receiver after `IPC_SET`).
    Retry,
    /// Settled: the call returns this.
    Done(Result<usize, Errno>),
}

pub(crate) struct SemWait {
    pub id: i32,
    pub sops: Vec<sembuf, MAX_WAIT_SOPS>,
    pub undo: bool,
    pub alter: bool,
    pub dupsop: bool,
    /// Index of the operation that blocked (`q->blocking`, for GETNCNT/GETZCNT).
    pub blocking: usize,
}

#[derive(Copy, Clone)]
pub(crate) struct RecvWait {
    pub id: i32,
    pub msgtyp: i64,
    pub mode: crate::msg::Mode,
    pub maxsize: i64,
}

#[derive(Copy, Clone)]
pub(crate) struct SendWait {
    pub id: i32,
    pub msgsz: usize,
}

// Records live in a fixed table (no heap), so the largest variant sets the slot size.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Kind {
    Sem(SemWait),
    Recv(RecvWait),
    Send(SendWait),
}

pub(crate) struct Waiter {
    pub token: u64,
    pub pid: i32,
    pub status: Status,
    pub kind: Kind,
}

/// Blocked callers in arrival order (the kernel's queues are FIFO).
pub(crate) struct Waiters {
    pub list: Vec<Waiter, MAX_WAITERS>,
    next: u64,
}

impl Waiters {
    pub(crate) const fn new() -> Self {
        Self {
            list: Vec::new(),
            next: 1,
        }
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn add(&mut self, pid: i32, kind: Kind) -> Result<u64, Errno> {
        let token = self.next;
        self.next = self.next.wrapping_add(1);
        self.list
            .push(Waiter {
                token,
                pid,
                status: Status::Pending,
                kind,
            })
            .map_err(|_| Errno::NOMEM)?;
        Ok(token)
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn status(&self, token: u64) -> Option<Status> {
        self.list
            .iter()
            .find(|w| w.token == token)
            .map(|w| w.status)
    }

    /// Takes the waiter out of the list; its last status.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn remove(&mut self, token: u64) -> Option<Status> {
        let pos = self.list.iter().position(|w| w.token == token)?;
        Some(self.list.remove(pos).status)
    }

    /// Settles every waiter still waiting on the object `id` of this kind with
    /// `err` (`EIDRM` at removal).
    pub(crate) fn settle_all(&mut self, mut pred: impl FnMut(&Kind) -> bool, err: Errno) {
        for w in self.list.iter_mut() {
            if w.status != Status::Pending && w.status != Status::Retry {
                continue;
            }
            if pred(&w.kind) {
                w.status = Status::Done(Err(err));
            }
        }
    }

    /// Makes waiters (all, or those of `pid`) return `EINTR`, as a signal does.
    pub(crate) fn interrupt(&mut self, pid: Option<i32>) -> usize {
        let mut n = 0;
        for w in self.list.iter_mut() {
            let waiting = matches!(w.status, Status::Pending | Status::Retry);
            if waiting && pid.is_none_or(|p| p == w.pid) {
                w.status = Status::Done(Err(Errno::INTR));
                n += 1;
            }
        }
        n
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
