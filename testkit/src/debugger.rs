//! Ctrl-Z and a debugger, as users do them to a process: `SIGSTOP`/`SIGCONT`,
//! `PTRACE_SEIZE` + `PTRACE_INTERRUPT` (what `strace -p` does) and
//! `PTRACE_ATTACH` (what `gdb -p` does), and the `/proc` looks that tell when
//! each took effect. Shared by the core's stop and user tests and the async
//! crate's.

use std::time::{Duration, Instant};

use crate::{Peer, wait_until_blocked};

/// The state letter of `/proc/<pid>/stat` (after the parenthesised name).
pub fn state(pid: libc::pid_t) -> Option<u8> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&c| c == b')')?;
    stat.get(close + 2).copied()
}

/// Waits until `pid` is in state `want` (`T` stopped, `t` traced); panics after
/// 10 s.
pub fn wait_state(pid: libc::pid_t, want: u8) {
    let t0 = Instant::now();
    while state(pid) != Some(want) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "process {pid} not in state {} but {:?}",
            want as char,
            state(pid).map(char::from)
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What Ctrl-Z does to a parked process: waits until it is parked, stops it and
/// waits until it is stopped.
pub fn ctrl_z(pid: libc::pid_t) {
    wait_until_blocked(pid);
    // SAFETY: kill takes plain values; `pid` is our own unreaped peer.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    wait_state(pid, b'T');
}

/// Ctrl-Z on `peer` once it parks, `meanwhile` while it is stopped, then `fg`.
pub fn while_stopped(peer: &Peer, meanwhile: impl FnOnce()) {
    ctrl_z(peer.pid());
    meanwhile();
    fg(peer.pid());
}

/// `fg`: continues a stopped process.
pub fn fg(pid: libc::pid_t) {
    // SAFETY: as in `ctrl_z`.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
}

/// What `gdb -p` or `strace -p` does to a parked process, `rounds` times,
/// alternating two ways: `PTRACE_SEIZE` and `PTRACE_INTERRUPT` (a ptrace stop,
/// no signal; seen in `/proc`), or `PTRACE_ATTACH` (a `SIGSTOP`, whose stop
/// `waitpid` collects, as gdb does: the peer is parked, it cannot exit
/// meanwhile); then `PTRACE_DETACH` without a signal.
pub fn debugger_visits(pid: libc::pid_t, rounds: u32) {
    wait_until_blocked(pid);
    let null = std::ptr::null_mut::<libc::c_void>();
    let ok = |r: libc::c_long, what: &str| {
        assert_eq!(r, 0, "{what}: {}", std::io::Error::last_os_error());
    };
    for round in 0..rounds {
        if round % 2 == 0 {
            // SAFETY: PTRACE_SEIZE takes no pointers (addr and data null); `pid`
            // is our own unreaped peer.
            ok(
                unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, null, null) },
                "PTRACE_SEIZE",
            );
            // SAFETY: as above, on the tracee we just seized.
            ok(
                unsafe { libc::ptrace(libc::PTRACE_INTERRUPT, pid, null, null) },
                "PTRACE_INTERRUPT",
            );
            wait_state(pid, b't');
        } else {
            // SAFETY: as above, for PTRACE_ATTACH.
            ok(
                unsafe { libc::ptrace(libc::PTRACE_ATTACH, pid, null, null) },
                "PTRACE_ATTACH",
            );
            let mut status = 0;
            // SAFETY: `status` is a live local; our own traced child.
            let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
            assert_eq!(r, pid, "waitpid: {}", std::io::Error::last_os_error());
            assert!(
                libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == libc::SIGSTOP,
                "the attach's stop, not {status:#x}"
            );
        }
        // SAFETY: as above; data 0: no signal delivered on detach.
        ok(
            unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, null, null) },
            "PTRACE_DETACH",
        );
        wait_until_blocked(pid);
    }
}

/// Stops `pid` (`SIGSTOP`), waits (at most 100 ms) until `/proc` says it is
/// stopped, continues it; whether it stopped (a peer that exited does not).
pub fn stop_and_continue(pid: libc::pid_t) -> bool {
    // SAFETY: kill takes plain values; `pid` is our own unreaped peer.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let stopped = wait_for(pid, b'T');
    fg(pid);
    stopped
}

/// A debugger's visit: `PTRACE_SEIZE`, `PTRACE_INTERRUPT`, a wait until `/proc`
/// shows the ptrace stop, `PTRACE_DETACH`; whether it stopped. The wait has no
/// 100 ms bound as a `SIGSTOP`'s has: `PTRACE_DETACH` fails on a tracee not yet
/// stopped, and one interrupted after that stays in its ptrace stop for good (a
/// loaded machine did that here, within 100 ms, and hung the peers).
pub fn ptrace_interrupt(pid: libc::pid_t) -> bool {
    let null = std::ptr::null_mut::<libc::c_void>();
    // SAFETY: PTRACE_SEIZE takes no pointers (addr and data null); `pid` is our
    // own unreaped peer.
    if unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, null, null) } != 0 {
        return false;
    }
    // SAFETY: as above, on the tracee we just seized.
    unsafe { libc::ptrace(libc::PTRACE_INTERRUPT, pid, null, null) };
    let t0 = Instant::now();
    let stopped = loop {
        match state(pid) {
            Some(b't') => break true,
            Some(b'Z' | b'X') | None => break false,
            _ if t0.elapsed() > Duration::from_secs(10) => panic!("{pid}: no ptrace stop"),
            _ => std::thread::yield_now(),
        }
    };
    // SAFETY: as above; detaching a tracee that exited meanwhile fails harmlessly.
    unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, null, null) };
    stopped
}

/// Waits at most 100 ms for `pid` to be in state `want`; whether it got there.
fn wait_for(pid: libc::pid_t, want: u8) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_millis(100) {
        match state(pid) {
            Some(s) if s == want => return true,
            Some(b'Z' | b'X') | None => return false,
            _ => std::thread::yield_now(),
        }
    }
    false
}

/// The threads of process `pid` (its `/proc/<pid>/task` entries).
pub fn threads_of(pid: libc::pid_t) -> Vec<libc::pid_t> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// [`ptrace_interrupt`] of every thread of process `pid` in turn, as a debugger
/// that attaches to a whole process does; whether any stopped. A thread (not
/// the leader) that exits while seized becomes this tracer's zombie, which it
/// reaps: unreaped, it would keep its process from ever being reaped (the
/// leader's `waitpid` waits for every thread).
pub fn ptrace_interrupt_threads(pid: libc::pid_t) -> bool {
    let mut any = false;
    for tid in threads_of(pid) {
        any |= ptrace_interrupt(tid);
        if tid != pid && matches!(state(tid), Some(b'Z' | b'X')) {
            // SAFETY: no status wanted (null); `tid` is a thread we traced,
            // which only its tracer may reap.
            unsafe { libc::waitpid(tid, std::ptr::null_mut(), libc::__WALL | libc::WNOHANG) };
        }
    }
    any
}
