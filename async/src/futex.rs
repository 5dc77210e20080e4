//! The kernel's futex calls the reactor sleeps in, and which of them this kernel
//! has.
//!
//! `futex_waitv(2)` (Linux 5.16) waits on up to 128 words at once, so one thread
//! serves 127 futures. A kernel without it (older, or a seccomp filter that
//! refuses it) has only `FUTEX_WAIT` on one word: the reactor then runs one
//! thread per waiting future ([`Mechanism::Wait`]). Every call here only passes
//! addresses to the kernel, which compares the words and answers `EFAULT` for
//! an unmapped one; nothing here reads a word itself.
#![allow(unsafe_code)]

use std::io;
use std::time::{Duration, Instant};

/// `futex_waitv` (Linux 5.16): the same number on x86_64 and aarch64.
const SYS_FUTEX_WAITV: libc::c_long = 449;
/// A 32-bit futex, shared between processes (no `FUTEX2_PRIVATE`).
const FUTEX2_SIZE_U32: u32 = 0x02;
/// `FUTEX_WAITV_MAX`: words per call.
pub(crate) const WAITV_MAX: usize = 128;

/// How the reactor's threads sleep on the words of waiting futures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mechanism {
    /// `futex_waitv`: a thread waits on up to 127 words and its control word.
    Waitv,
    /// `FUTEX_WAIT` on one word: a thread per waiting future (a kernel before
    /// 5.16).
    Wait,
}

impl Mechanism {
    /// Asks the kernel: a `futex_waitv` with no words is `EINVAL` where the call
    /// exists, `ENOSYS` where it does not.
    pub(crate) fn probe() -> Mechanism {
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
        if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
            Mechanism::Wait
        } else {
            Mechanism::Waitv
        }
    }

    /// Futures one thread waits for.
    pub(crate) const fn words(self) -> usize {
        match self {
            // One slot of the call is the thread's control word.
            Mechanism::Waitv => WAITV_MAX - 1,
            Mechanism::Wait => 1,
        }
    }
}

/// One word of a `futex_waitv` call (`struct futex_waitv`).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct FutexWaitv {
    val: u64,
    uaddr: u64,
    flags: u32,
    reserved: u32,
}

/// The word at `addr`, waited on while it holds `val`.
pub(crate) fn word(addr: usize, val: u32) -> FutexWaitv {
    FutexWaitv {
        val: u64::from(val),
        uaddr: addr as u64,
        flags: FUTEX2_SIZE_U32,
        reserved: 0,
    }
}

/// Sleeps until one of `words` is woken (its index), one no longer holds its
/// value when the wait begins (`EAGAIN`), `deadline` passes (`ETIMEDOUT`) or a
/// signal (`EINTR`); `EFAULT` for an unmapped word. [`Mechanism::Wait`] takes at
/// most two words: the control word, and the one it then sleeps on instead,
/// answering 1 for a wake (the caller tells a kick from a wake by its control
/// word).
pub(crate) fn wait_any(
    mechanism: Mechanism,
    words: &[FutexWaitv],
    deadline: Option<Instant>,
) -> Result<usize, i32> {
    match (mechanism, words) {
        (Mechanism::Waitv, _) => waitv(words, deadline),
        (Mechanism::Wait, [only]) => wait(only, deadline).map(|()| 0),
        (Mechanism::Wait, [_, w]) => wait(w, deadline).map(|()| 1),
        (Mechanism::Wait, _) => Err(libc::EINVAL),
    }
}

/// `futex_waitv` on `words` until `deadline` (`CLOCK_MONOTONIC`, which `Instant`
/// is on Linux).
fn waitv(words: &[FutexWaitv], deadline: Option<Instant>) -> Result<usize, i32> {
    let ts = deadline.map(|d| monotonic_in(d.saturating_duration_since(Instant::now())));
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `words` is `words.len()` (at most 128) initialised `struct
    // futex_waitv`s that the kernel only reads; `tsp` is null or a live timespec
    // it only reads. The words themselves are only compared by the kernel, which
    // reports an unmapped one as EFAULT.
    let r = unsafe {
        libc::syscall(
            SYS_FUTEX_WAITV,
            words.as_ptr(),
            words.len() as libc::c_uint,
            0 as libc::c_uint,
            tsp,
            libc::CLOCK_MONOTONIC,
        )
    };
    result(r)
}

/// `FUTEX_WAIT_BITSET` (any bit: a plain wait with an absolute
/// `CLOCK_MONOTONIC` deadline) on one shared word.
fn wait(w: &FutexWaitv, deadline: Option<Instant>) -> Result<(), i32> {
    let ts = deadline.map(|d| monotonic_in(d.saturating_duration_since(Instant::now())));
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: FUTEX_WAIT_BITSET compares the 32-bit word at `uaddr` (EFAULT if
    // unmapped) and reads the timespec (null or a live local); it writes nothing.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            w.uaddr as usize as *const u32,
            libc::FUTEX_WAIT_BITSET,
            w.val as u32,
            tsp,
            std::ptr::null::<u32>(),
            u32::MAX,
        )
    };
    result(r).map(|_| ())
}

fn result(r: libc::c_long) -> Result<usize, i32> {
    if r < 0 {
        Err(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL))
    } else {
        Ok(r as usize)
    }
}

/// Whether the word at `addr` still holds `expected`, asked of the kernel: a
/// one-word wait whose deadline has passed times out if it does, and is refused
/// (`EAGAIN`; `EFAULT` if unmapped) if it does not.
pub(crate) fn still(mechanism: Mechanism, addr: usize, expected: u32) -> bool {
    let w = [word(addr, expected)];
    // Now: passed by the time the kernel looks.
    let past = Some(Instant::now());
    let r = match mechanism {
        Mechanism::Waitv => waitv(&w, past).map(|_| ()),
        Mechanism::Wait => wait(&w[0], past),
    };
    r == Err(libc::ETIMEDOUT)
}

/// `futex(FUTEX_WAKE)` of every waiter on `addr` (a reactor thread: a shard's
/// control word, or the word a one-word thread sleeps on). An unmapped address
/// is `EFAULT`, which leaves nothing to do.
pub(crate) fn wake(addr: *const u32) {
    // SAFETY: FUTEX_WAKE only hashes the address; it reads and writes nothing.
    unsafe { libc::syscall(libc::SYS_futex, addr, libc::FUTEX_WAKE, i32::MAX) };
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
