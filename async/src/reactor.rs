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
//! This module never reads a registered word itself: a future may be forgotten
//! (`mem::forget`) with its registration, and the segment behind the word
//! detached. Whether a word still holds its value is asked of the kernel (a
//! one-word `futex_waitv` with a deadline in the past), which answers `EFAULT`
//! for an unmapped address instead of faulting.

use std::io;
use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::per_process::{self, Tagged};
use sysv_ipc::wake::PeerSeat;

/// `futex_waitv` (Linux 5.16): the same number on x86_64 and aarch64.
const SYS_FUTEX_WAITV: libc::c_long = 449;
/// A 32-bit futex, shared between processes (no `FUTEX2_PRIVATE`).
const FUTEX2_SIZE_U32: u32 = 0x02;
/// `FUTEX_WAITV_MAX`: words per call.
const WAITV_MAX: usize = 128;
/// Words a shard waits on for futures: one of the call's slots is its control word.
pub(crate) const PER_SHARD: usize = WAITV_MAX - 1;

/// One word of a `futex_waitv` call (`struct futex_waitv`).
#[repr(C)]
#[derive(Clone, Copy)]
struct FutexWaitv {
    val: u64,
    uaddr: u64,
    flags: u32,
    reserved: u32,
}

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
    /// Threads running (one per 127 words waited on at once, kept once made).
    pub threads: usize,
    /// Waits registered.
    pub waits: u64,
    /// Waits that ended with their word woken (or changed before the wait).
    pub woken: u64,
    /// Waits that ended at their peer-check deadline.
    pub timed_out: u64,
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
}

/// One reactor thread's words.
struct Shard {
    state: Mutex<State>,
    /// Bumped (and woken) whenever `entries` gains a word the thread must wait on.
    control: AtomicU32,
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
        futex_wake(self.control.as_ptr().cast_const());
    }
}

/// The process's reactor: its shards, made as futures need them.
pub(crate) struct Reactor {
    shards: Mutex<Vec<Arc<Shard>>>,
    next_id: AtomicU64,
}

/// The reactor and the process it belongs to (see [`crate::per_process`]): a
/// forked child has none of its parent's reactor threads, so it starts its own.
static REACTOR: AtomicPtr<Tagged<Reactor>> = AtomicPtr::new(std::ptr::null_mut());

/// The process's reactor (no thread until the first registration).
pub(crate) fn reactor() -> &'static Reactor {
    per_process::get(&REACTOR, || Reactor {
        shards: Mutex::new(Vec::new()),
        next_id: AtomicU64::new(1),
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
            pid: std::process::id(),
        })
    }

    /// A shard with room for one more word, starting one if all are full.
    fn shard_with_room(&self) -> io::Result<Arc<Shard>> {
        let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = shards.iter().find(|s| s.lock().entries.len() < PER_SHARD) {
            return Ok(s.clone());
        }
        let shard = Arc::new(Shard {
            state: Mutex::new(State {
                entries: Vec::with_capacity(PER_SHARD),
                waiting_until: None,
            }),
            control: AtomicU32::new(0),
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
        }
    }
}

impl Registration {
    /// Whether this wait was registered by the parent of this (forked) process.
    fn inherited(&self) -> bool {
        self.pid != std::process::id()
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
        let mut state = self.shard.lock();
        if let Some(i) = state.entries.iter().position(|e| e.id == self.id) {
            state.entries.swap_remove(i);
        }
    }
}

/// A shard's thread: wait on every word, fire what ended, again.
fn serve(shard: &Shard) {
    let mut waitv: Vec<FutexWaitv> = Vec::with_capacity(WAITV_MAX);
    let mut ids: Vec<u64> = Vec::with_capacity(PER_SHARD);
    loop {
        // Acquire: pairs with the Release bump in `kick`, after the push.
        let control = shard.control.load(Ordering::Acquire);
        let deadline = {
            let mut state = shard.lock();
            waitv.clear();
            ids.clear();
            waitv.push(word(shard.control.as_ptr() as usize, control));
            for e in state.entries.iter() {
                waitv.push(word(e.addr, e.expected));
                ids.push(e.id);
            }
            let deadline = state.entries.iter().filter_map(|e| e.deadline).min();
            state.waiting_until = deadline;
            deadline
        };
        let r = futex_waitv(&waitv, deadline);
        let mut state = shard.lock();
        state.waiting_until = None;
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
                    if still(entries[i].addr, entries[i].expected) {
                        i += 1;
                    } else {
                        entries.swap_remove(i).fire();
                    }
                }
            }
            Err(e) if e == libc::ETIMEDOUT || e == libc::EINTR => {}
            // No futex_waitv (a kernel before 5.16, a seccomp filter): every
            // waiter looks again, and its future reports the error it then gets
            // from registering (`Unsupported`): see `supported`.
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

fn word(addr: usize, val: u32) -> FutexWaitv {
    FutexWaitv {
        val: u64::from(val),
        uaddr: addr as u64,
        flags: FUTEX2_SIZE_U32,
        reserved: 0,
    }
}

/// `futex_waitv` on `waitv` until `deadline` (`CLOCK_MONOTONIC`, which `Instant`
/// is on Linux): the index of a woken word, or the errno.
fn futex_waitv(waitv: &[FutexWaitv], deadline: Option<Instant>) -> Result<usize, i32> {
    let ts = deadline.map(|d| monotonic_in(d.saturating_duration_since(Instant::now())));
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `waitv` is `waitv.len()` (at most 128) initialised `struct
    // futex_waitv`s that the kernel only reads; `tsp` is null or a live timespec
    // it only reads. The words themselves are only compared by the kernel, which
    // reports an unmapped one as EFAULT.
    let r = unsafe {
        libc::syscall(
            SYS_FUTEX_WAITV,
            waitv.as_ptr(),
            waitv.len() as libc::c_uint,
            0 as libc::c_uint,
            tsp,
            libc::CLOCK_MONOTONIC,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL))
    } else {
        Ok(r as usize)
    }
}

/// The absolute `CLOCK_MONOTONIC` time `after` from now.
fn monotonic_in(after: Duration) -> libc::timespec {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the kernel writes one timespec into `now`, a live local.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    let nanos = now.tv_nsec as u64 + u64::from(after.subsec_nanos());
    libc::timespec {
        tv_sec: now
            .tv_sec
            .saturating_add(after.as_secs().min(i64::MAX as u64 / 2) as libc::time_t)
            .saturating_add((nanos / 1_000_000_000) as libc::time_t),
        tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
    }
}

/// Whether the word at `addr` still holds `expected`, asked of the kernel: a
/// one-word wait whose deadline has passed times out if it does, and is refused
/// (`EAGAIN`; `EFAULT` if unmapped) if it does not.
fn still(addr: usize, expected: u32) -> bool {
    let past = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let w = [word(addr, expected)];
    // SAFETY: as in `futex_waitv`: one initialised entry and a live timespec,
    // both only read.
    let r = unsafe {
        libc::syscall(
            SYS_FUTEX_WAITV,
            w.as_ptr(),
            1 as libc::c_uint,
            0 as libc::c_uint,
            &raw const past,
            libc::CLOCK_MONOTONIC,
        )
    };
    r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT)
}

/// `futex(FUTEX_WAKE)` of one waiter on `addr` (a shard's own control word).
fn futex_wake(addr: *const u32) {
    // SAFETY: FUTEX_WAKE only hashes the address, a live atomic of ours.
    unsafe { libc::syscall(libc::SYS_futex, addr, libc::FUTEX_WAKE, 1) };
}

/// Whether this kernel has `futex_waitv` (asked once: a call with no words is
/// `EINVAL` where it exists, `ENOSYS` where it does not).
pub(crate) fn supported() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        // SAFETY: no words, no timeout: the kernel reads nothing.
        let r = unsafe {
            libc::syscall(
                SYS_FUTEX_WAITV,
                std::ptr::null::<FutexWaitv>(),
                0 as libc::c_uint,
                0 as libc::c_uint,
                std::ptr::null::<libc::timespec>(),
                libc::CLOCK_MONOTONIC,
            )
        };
        !(r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS))
    })
}
