//! The reactor: threads asleep in `futex_waitv(2)` on the words that armed futures
//! wait on, waking each future's task when its word is woken or its peer-check
//! deadline passes.
//!
//! Each thread (a shard) waits on at most [`PER_SHARD`] words plus its control
//! word, which a registration bumps and wakes so that the thread rebuilds its
//! list. A registration dropped before it fired is removed under the shard's lock
//! without waking the thread: the thread's next return drops the word from its
//! wait, and a wait on a word nobody wakes any more costs nothing meanwhile.
//!
//! On a kernel without `futex_waitv` (before 5.16) a shard holds one word and
//! sleeps in `FUTEX_WAIT` on it, or on its control word while it has none
//! ([`Mechanism::Wait`]): a thread per waiting future. A kick then wakes the word
//! the thread sleeps on as well as the control word, and a dropped registration
//! kicks; each such wait also ends after [`SLICE`] at the latest, so a kick lost
//! to the moment between the thread's look at its list and its sleep delays it
//! by that much at most.
//!
//! This module never reads a registered word itself: a future may be forgotten
//! (`mem::forget`) with its registration, and the segment behind the word
//! detached. Whether a word still holds its value is asked of the kernel (a
//! one-word wait with a deadline in the past), which answers `EFAULT` for an
//! unmapped address instead of faulting.

use std::io;
use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::futex::{self, Mechanism};
use crate::per_process::{self, Tagged};
use sysv_ipc::wake::PeerSeat;

/// What became of a registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fired {
    /// Still waiting.
    Pending,
    /// The word was woken or no longer held its value: look again.
    Woken,
    /// The deadline passed first: check the peer, then wait again.
    TimedOut,
}

const PENDING: u8 = 0;
const WOKEN: u8 = 1;
const TIMED_OUT: u8 = 2;

struct Entry {
    id: u64,
    addr: usize,
    expected: u32,
    deadline: Option<Instant>,
    /// How long each wait lasts before the peer is looked at.
    interval: Option<Duration>,
    /// Where the peer's role is held: looked at here, at each deadline.
    seat: Option<PeerSeat>,
    /// What the last look at the seat found.
    last: Last,
    waker: Waker,
    status: Arc<AtomicU8>,
}

/// Counters of the process's reactor, since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReactorStats {
    /// Threads running (one per 127 words waited on at once, kept once made; one
    /// per word on a kernel without `futex_waitv`).
    pub threads: usize,
    /// Waits registered.
    pub waits: u64,
    /// Waits that ended with their word woken (or changed before the wait).
    pub woken: u64,
    /// Waits that ended at their peer-check deadline.
    pub timed_out: u64,
    /// How the threads wait: `true`, `futex_waitv` (Linux 5.16), up to 127
    /// futures a thread; `false`, `FUTEX_WAIT`, a thread per waiting future (an
    /// older kernel, or one whose seccomp filter refuses `futex_waitv`).
    pub futex_waitv: bool,
}

static WAITS: AtomicU64 = AtomicU64::new(0);
static WOKEN_COUNT: AtomicU64 = AtomicU64::new(0);
static TIMEOUTS: AtomicU64 = AtomicU64::new(0);

impl Entry {
    /// Tells the task its deadline passed; the entry stays.
    fn time_out(&self) {
        // Relaxed: statistics.
        TIMEOUTS.fetch_add(1, Ordering::Relaxed);
        // Release: pairs with the Acquire load in `Registration::fired`.
        self.status.store(TIMED_OUT, Ordering::Release);
        self.waker.wake_by_ref();
    }

    /// Marks the entry woken and wakes its task. Release: pairs with the Acquire
    /// load in [`Registration::fired`].
    fn fire(self) {
        // Relaxed: statistics.
        WOKEN_COUNT.fetch_add(1, Ordering::Relaxed);
        self.status.store(WOKEN, Ordering::Release);
        self.waker.wake();
    }
}

/// One reactor thread's words, and the deadline its current wait ends at.
struct State {
    entries: Vec<Entry>,
    /// The deadline of the wait under way (`None`: none, or not waiting).
    waiting_until: Option<Instant>,
    /// [`Mechanism::Wait`]: the word the thread sleeps on, which a kick wakes.
    sleeping_on: Option<usize>,
}

/// One reactor thread's words.
struct Shard {
    state: Mutex<State>,
    /// Bumped (and woken) whenever `entries` gains a word the thread must wait on.
    control: AtomicU32,
    mechanism: Mechanism,
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock (a waker's) leaves the list consistent: every
        // change to it is a single push, removal or field store.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the thread rebuild its wait.
    fn kick(&self) {
        self.control.fetch_add(1, Ordering::Release);
        futex::wake(self.control.as_ptr().cast_const());
        if self.mechanism == Mechanism::Wait
            && let Some(addr) = self.lock().sleeping_on
        {
            futex::wake(addr as *const u32);
        }
    }
}

/// The process's reactor: its shards, made as futures need them.
pub(crate) struct Reactor {
    shards: Mutex<Vec<Arc<Shard>>>,
    next_id: AtomicU64,
    mechanism: Mechanism,
}

/// The reactor and the process it belongs to (see [`crate::per_process`]): a
/// forked child has none of its parent's reactor threads, so it starts its own.
static REACTOR: AtomicPtr<Tagged<Reactor>> = AtomicPtr::new(std::ptr::null_mut());

/// The process's reactor (no thread until the first registration).
pub(crate) fn reactor() -> &'static Reactor {
    per_process::get(&REACTOR, || Reactor {
        shards: Mutex::new(Vec::new()),
        next_id: AtomicU64::new(1),
        mechanism: Mechanism::probe(),
    })
}

/// A future's wait on one word; dropping it withdraws the wait.
pub(crate) struct Registration {
    shard: Arc<Shard>,
    id: u64,
    status: Arc<AtomicU8>,
    /// The process whose reactor serves this wait. In a child forked while the
    /// wait was pending, that reactor has no thread and its locks may be held
    /// forever: the registration then reads as woken (its future looks again and
    /// registers with the child's reactor) and is dropped without a lock.
    pid: u32,
}

impl Reactor {
    /// Waits on the 32-bit word at `addr` while it holds `expected` (a futex wait,
    /// shared between processes), for at most `timeout`; `waker` is woken when
    /// the wait ends either way ([`Registration::fired`] says which).
    ///
    /// # Errors
    ///
    /// The error of starting a reactor thread.
    pub(crate) fn register(
        &self,
        addr: *const u32,
        expected: u32,
        timeout: Option<Duration>,
        seat: Option<PeerSeat>,
        waker: &Waker,
    ) -> io::Result<Registration> {
        let status = Arc::new(AtomicU8::new(PENDING));
        // Relaxed: an id only needs to be unique.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            id,
            addr: addr as usize,
            expected,
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
            interval: timeout,
            seat,
            last: Last::Unknown,
            waker: waker.clone(),
            status: status.clone(),
        };
        let shard = self.shard_with_room()?;
        shard.lock().entries.push(entry);
        shard.kick();
        // Relaxed: statistics.
        WAITS.fetch_add(1, Ordering::Relaxed);
        Ok(Registration {
            shard,
            id,
            status,
            pid: per_process::pid(),
        })
    }

    /// A shard with room for one more word, starting one if all are full.
    fn shard_with_room(&self) -> io::Result<Arc<Shard>> {
        let per_shard = self.mechanism.words();
        let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = shards.iter().find(|s| s.lock().entries.len() < per_shard) {
            return Ok(s.clone());
        }
        let shard = Arc::new(Shard {
            state: Mutex::new(State {
                entries: Vec::with_capacity(per_shard),
                waiting_until: None,
                sleeping_on: None,
            }),
            control: AtomicU32::new(0),
            mechanism: self.mechanism,
        });
        let run = shard.clone();
        std::thread::Builder::new()
            .name(format!("sysv-ipc-wait-{}", shards.len()))
            .spawn(move || serve(&run))?;
        shards.push(shard.clone());
        Ok(shard)
    }

    /// The counters (see [`ReactorStats`]).
    pub(crate) fn stats(&self) -> ReactorStats {
        // Relaxed: statistics.
        ReactorStats {
            threads: self
                .shards
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
            waits: WAITS.load(Ordering::Relaxed),
            woken: WOKEN_COUNT.load(Ordering::Relaxed),
            timed_out: TIMEOUTS.load(Ordering::Relaxed),
            futex_waitv: self.mechanism == Mechanism::Waitv,
        }
    }
}

impl Registration {
    /// Whether this wait was registered by the parent of this (forked) process.
    fn inherited(&self) -> bool {
        self.pid != per_process::pid()
    }

    /// Whether the wait ended, and how.
    pub(crate) fn fired(&self) -> Fired {
        if self.inherited() {
            return Fired::Woken;
        }
        // Acquire: pairs with the Release store in `Entry::fire`.
        match self.status.load(Ordering::Acquire) {
            PENDING => Fired::Pending,
            TIMED_OUT => Fired::TimedOut,
            _ => Fired::Woken,
        }
    }

    /// Wakes `waker` instead of the registered one (a future polled from another
    /// task). False if the wait already ended: the caller looks again instead.
    pub(crate) fn set_waker(&self, waker: &Waker) -> bool {
        if self.inherited() {
            return false;
        }
        let mut state = self.shard.lock();
        match state.entries.iter_mut().find(|e| e.id == self.id) {
            Some(e) => {
                if !e.waker.will_wake(waker) {
                    e.waker = waker.clone();
                }
                true
            }
            None => false,
        }
    }
}

impl Registration {
    /// After a [`Fired::TimedOut`] whose peer check found the peer alive: waits
    /// on the same word again, for at most `timeout`, without the thread
    /// rebuilding its wait (the word never left it) unless the new deadline is
    /// earlier than the one the thread sleeps to. False if the word was woken
    /// meanwhile: look again instead.
    pub(crate) fn rearm(&self, timeout: Option<Duration>, waker: &Waker) -> bool {
        if self.inherited() {
            return false;
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let kick = {
            let mut state = self.shard.lock();
            let until = state.waiting_until;
            let Some(e) = state.entries.iter_mut().find(|e| e.id == self.id) else {
                return false;
            };
            // Relaxed: under the lock that the firing thread holds too.
            if self.status.load(Ordering::Relaxed) != TIMED_OUT {
                return false;
            }
            self.status.store(PENDING, Ordering::Relaxed);
            e.deadline = deadline;
            e.interval = timeout;
            if !e.waker.will_wake(waker) {
                e.waker = waker.clone();
            }
            deadline.is_some_and(|d| until.is_none_or(|u| d < u))
        };
        if kick {
            self.shard.kick();
        }
        true
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.inherited() {
            return;
        }
        let removed = {
            let mut state = self.shard.lock();
            let i = state.entries.iter().position(|e| e.id == self.id);
            i.map(|i| state.entries.swap_remove(i)).is_some()
        };
        // A one-word thread sleeps on this word, which nobody may wake again:
        // off it, so that the shard serves its next registration.
        if removed && self.shard.mechanism == Mechanism::Wait {
            self.shard.kick();
        }
    }
}

/// A shard's thread: wait on every word, fire what ended, again.
fn serve(shard: &Shard) {
    let mechanism = shard.mechanism;
    let mut waitv = Vec::with_capacity(mechanism.words() + 1);
    let mut ids: Vec<u64> = Vec::with_capacity(mechanism.words());
    loop {
        // Acquire: pairs with the Release bump in `kick`, after the push.
        let control = shard.control.load(Ordering::Acquire);
        let deadline = {
            let mut state = shard.lock();
            waitv.clear();
            ids.clear();
            waitv.push(futex::word(shard.control.as_ptr() as usize, control));
            for e in state.entries.iter() {
                waitv.push(futex::word(e.addr, e.expected));
                ids.push(e.id);
            }
            let mut deadline = state.entries.iter().filter_map(|e| e.deadline).min();
            if mechanism == Mechanism::Wait {
                state.sleeping_on = Some(
                    state
                        .entries
                        .first()
                        .map_or(shard.control.as_ptr() as usize, |e| e.addr),
                );
                let slice = Instant::now() + SLICE;
                deadline = Some(deadline.map_or(slice, |d| d.min(slice)));
            }
            state.waiting_until = deadline;
            deadline
        };
        let mut r = futex::wait_any(mechanism, &waitv, deadline);
        // Acquire: as above. A one-word thread's return from its entry's word
        // is a kick if the control word moved (the list changed), else a wake.
        if r == Ok(1)
            && mechanism == Mechanism::Wait
            && shard.control.load(Ordering::Acquire) != control
        {
            r = Ok(0);
        }
        let mut state = shard.lock();
        state.waiting_until = None;
        state.sleeping_on = None;
        let entries = &mut state.entries;
        match r {
            // The control word: the list changed.
            Ok(0) => {}
            Ok(i) => {
                let id = ids.get(i - 1).copied();
                if let Some(at) = entries.iter().position(|e| Some(e.id) == id) {
                    entries.swap_remove(at).fire();
                }
            }
            // Some word no longer held its value when the wait began (its peer
            // moved between the future's arm and this rebuild), or is unmapped:
            // ask the kernel which.
            Err(e) if e == libc::EAGAIN || e == libc::EFAULT => {
                let mut i = 0;
                while i < entries.len() {
                    if futex::still(mechanism, entries[i].addr, entries[i].expected) {
                        i += 1;
                    } else {
                        entries.swap_remove(i).fire();
                    }
                }
            }
            Err(e) if e == libc::ETIMEDOUT || e == libc::EINTR => {}
            // Anything else (no futex call at all, which `Mechanism::probe`
            // would not have chosen): every waiter looks again rather than
            // sleep on a wait that cannot work.
            Err(_) => {
                for e in entries.drain(..) {
                    e.fire();
                }
            }
        }
        // Deadlines due (or due within SLACK, so that one return serves many):
        // a peer whose seat is still held is alive, and the wait goes on here
        // without waking its task; any other answer (the seat free, the set
        // gone) is the task's to look into. Told, the entry stays (without a
        // deadline) for `rearm`, so that a peer check that finds the peer alive
        // costs the thread no rebuild.
        let now = Instant::now();
        let due = now + SLACK;
        for e in entries.iter_mut() {
            if e.deadline.is_none_or(|d| d > due) {
                continue;
            }
            if e.seat.is_none_or(|seat| look(seat, &mut e.last)) {
                e.deadline = None;
                e.time_out();
                continue;
            }
            e.deadline = e.interval.and_then(|t| now.checked_add(t));
        }
    }
}

/// How early a deadline may be served, with one due before it.
const SLACK: Duration = Duration::from_millis(20);

/// [`Mechanism::Wait`]: the longest a one-word thread sleeps before it looks at
/// its list again (see the module docs).
const SLICE: Duration = Duration::from_secs(1);

/// What a look at a peer's seat found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Not looked at yet.
    Unknown,
    /// Held by a process (the semaphore is 0).
    Held,
    /// Free, with the pid of the last operation on it.
    Free(i32),
}

/// Looks at `seat` through `semctl` alone (the kernel checks the id); true if
/// the task should look into it: the seat went free (a release or a death: the
/// kernel's undo at a holder's exit leaves the holder's own pid, so only the
/// value tells), changed while free (a claim and a release or death between two
/// looks), is free at the first look, or the set is gone. A held seat costs one
/// call (`GETVAL`), a free one two.
fn look(seat: PeerSeat, last: &mut Last) -> bool {
    let num = libc::c_int::from(seat.num);
    // SAFETY: GETVAL and GETPID take no argument.
    let v = unsafe { libc::semctl(seat.semid, num, libc::GETVAL) };
    if v == 0 {
        *last = Last::Held;
        return false;
    }
    // SAFETY: as above.
    let pid = unsafe { libc::semctl(seat.semid, num, libc::GETPID) };
    if v < 0 || pid < 0 {
        return true;
    }
    let now = Last::Free(pid);
    let news = *last != now;
    *last = now;
    news
}
