//! Forked children: the namespace sandbox, peers, running as another user.
//!
//! # Safety
//!
//! This module calls `fork`, `unshare`, `setuid` and friends through `libc`. After a
//! `fork` from the (multi-threaded) test harness only the forking thread exists in the
//! child; the child runs the test closure and leaves with `_exit`, never returning
//! into the harness. glibc keeps `malloc` usable after `fork`, and the child takes no
//! other lock that a vanished thread could hold except the panic hook's read lock
//! (written only once, before any fork, see `install_hook`).

use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_int;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a forked child may run before it is killed and the test fails.
///
/// Generous because the aarch64 suite runs under qemu on a shared 2-core machine.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The panic message is cut to this many bytes so that it always fits in the pipe
/// (64 KiB) and the child never blocks writing it.
const MAX_MESSAGE: usize = 16 * 1024;

/// Set in every child that [`run_child`] runs: panics there are recorded for the pipe
/// rather than printed into a capture buffer that nobody will read.
static IN_CHILD: AtomicBool = AtomicBool::new(false);
/// Set in a namespace child that had to create a user namespace: there `geteuid() ==
/// 0` is the mapped id, not real root.
static IN_USERNS: AtomicBool = AtomicBool::new(false);
/// Set in a namespace child: `set_sysctl` refuses to touch the host's limits.
pub(crate) static IN_NAMESPACE: AtomicBool = AtomicBool::new(false);

static HOOK: Once = Once::new();

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process, before the first fork) a panic hook that, in a forked
/// child, keeps "panicked at file:line:col:\nmessage" for the pipe.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_CHILD.load(Ordering::Relaxed) {
                LAST_PANIC.with(|slot| *slot.borrow_mut() = Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked with a non-string payload".to_owned()
    }
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A pipe whose write end a child uses to send its panic message home.
struct Pipe {
    read: c_int,
    write: c_int,
}

impl Pipe {
    fn new() -> Pipe {
        let mut fds = [0 as c_int; 2];
        // SAFETY: `fds` is a live array of two c_ints, which pipe2 fills.
        let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
        assert_eq!(r, 0, "pipe2: {}", io::Error::last_os_error());
        Pipe {
            read: fds[0],
            write: fds[1],
        }
    }
}

fn close(fd: c_int) {
    // SAFETY: `fd` is a descriptor this module opened and closes exactly once.
    unsafe { libc::close(fd) };
}

/// Runs `f` in the current (freshly forked) process and `_exit`s: 0 if it returned,
/// 1 if it panicked, after writing the panic message to `report`.
fn run_child<F: FnOnce()>(report: c_int, f: F) -> ! {
    IN_CHILD.store(true, Ordering::Relaxed);
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    let code = match outcome {
        Ok(()) => 0,
        Err(payload) => {
            let mut msg = LAST_PANIC
                .with(|slot| slot.borrow_mut().take())
                .unwrap_or_else(|| payload_text(&*payload));
            if msg.len() > MAX_MESSAGE {
                let mut cut = MAX_MESSAGE;
                while !msg.is_char_boundary(cut) {
                    cut -= 1;
                }
                msg.truncate(cut);
            }
            let mut bytes = msg.as_bytes();
            while !bytes.is_empty() {
                // SAFETY: `bytes` points to `bytes.len()` initialised bytes of `msg`,
                // owned by this frame; write only reads them.
                let n = unsafe { libc::write(report, bytes.as_ptr().cast(), bytes.len()) };
                if n <= 0 {
                    break;
                }
                bytes = &bytes[n as usize..];
            }
            1
        }
    };
    // SAFETY: _exit ends the process without running the harness's atexit handlers or
    // destructors, which belong to the parent.
    unsafe { libc::_exit(code) }
}

/// Forks; the child runs `setup` and then `f` through [`run_child`]. Returns the
/// child's pid and the read end of its report pipe.
fn spawn<S: FnOnce(), F: FnOnce()>(setup: S, f: F) -> (libc::pid_t, c_int) {
    install_hook();
    let pipe = Pipe::new();
    // SAFETY: the child only runs `setup`/`f` and `_exit`s (see the module docs).
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => panic!("fork: {}", io::Error::last_os_error()),
        0 => {
            close(pipe.read);
            run_child(pipe.write, || {
                setup();
                f();
            })
        }
        _ => {
            close(pipe.write);
            (pid, pipe.read)
        }
    }
}

/// Reads whatever the child left in its (non-blocking) report pipe.
fn read_report(fd: c_int) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is a live local array of `buf.len()` bytes that read fills.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Waits for `pid` (killing it after `timeout`) and turns a failure into an error
/// message naming `what`.
fn wait_child(
    pid: libc::pid_t,
    report: c_int,
    timeout: Duration,
    what: &str,
) -> Result<(), String> {
    let start = Instant::now();
    let mut status: c_int = 0;
    let mut pause = Duration::from_micros(200);
    loop {
        // SAFETY: `status` is a live local c_int that waitpid writes.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if r == -1 && errno() != libc::EINTR {
            close(report);
            return Err(format!(
                "{what}: waitpid({pid}): {}",
                io::Error::last_os_error()
            ));
        }
        if start.elapsed() > timeout {
            // SAFETY: `pid` is our child, not yet reaped, so the pid cannot be reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: as above; `status` is a live local.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            let msg = read_report(report);
            close(report);
            return Err(format!(
                "{what} (pid {pid}) timed out after {timeout:?} and was killed{}{msg}",
                if msg.is_empty() { "" } else { ": " }
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
    let msg = read_report(report);
    close(report);
    if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else if !msg.is_empty() {
        Err(format!("{what} (pid {pid}) {msg}"))
    } else if libc::WIFSIGNALED(status) {
        Err(format!(
            "{what} (pid {pid}) was killed by signal {}",
            libc::WTERMSIG(status)
        ))
    } else {
        Err(format!(
            "{what} (pid {pid}) exited with status {}",
            libc::WEXITSTATUS(status)
        ))
    }
}

/// Expands to modules `linux_raw` and `libc`, each with one `#[test]` per listed
/// function, calling it in a fresh IPC namespace ([`in_ipc_namespace`]) with the
/// backend `LinuxRaw` or `Libc`, which the test crate must have in scope:
///
/// ```text
/// sysv_ipc_testkit::on_both_backends!(stream_in_order, roles_are_single);
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod linux_raw {
            $( #[test] fn $test() { $crate::in_ipc_namespace(|| super::$test(super::LinuxRaw)); } )*
        }
        mod libc {
            $( #[test] fn $test() { $crate::in_ipc_namespace(|| super::$test(super::Libc)); } )*
        }
    };
}

/// Expands to modules `linux_raw` and `libc_backend`, each with one `#[test]` per
/// listed function, calling it with the backend `LinuxRaw` or `Libc` (which the
/// test crate must have in scope) and nothing around it: for tests that make their
/// own namespaces (see [`on_both_backends`] for those that want one each).
///
/// ```text
/// sysv_ipc_testkit::per_backend!(stopped_and_continued, removed_under_waiters);
/// ```
#[macro_export]
macro_rules! per_backend {
    ($($test:ident),* $(,)?) => {
        mod linux_raw {
            $( #[test] fn $test() { super::$test(super::LinuxRaw); } )*
        }
        mod libc_backend {
            $( #[test] fn $test() { super::$test(super::Libc); } )*
        }
    };
}

/// Runs `f` in a forked child inside a fresh IPC namespace and waits for it, with the
/// default [`TIMEOUT`].
///
/// As root the child calls `unshare(CLONE_NEWIPC)`. Otherwise it calls
/// `unshare(CLONE_NEWUSER | CLONE_NEWIPC)` and maps its own uid and gid to 0 in the new
/// user namespace, so that it may write the namespace's `/proc/sys/kernel` limits;
/// [`is_root`] stays false there, and tests needing a second real uid skip.
///
/// # Panics
///
/// If `f` panics, with `f`'s message and location; if the child dies or times out.
pub fn in_ipc_namespace<F: FnOnce()>(f: F) {
    in_ipc_namespace_timeout(TIMEOUT, f)
}

/// [`in_ipc_namespace`] with an explicit timeout.
pub fn in_ipc_namespace_timeout<F: FnOnce()>(timeout: Duration, f: F) {
    let (pid, report) = spawn(enter_namespace, f);
    if let Err(msg) = wait_child(pid, report, timeout, "test child") {
        panic!("{msg}");
    }
}

fn enter_namespace() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    // SAFETY: getegid has no preconditions.
    let egid = unsafe { libc::getegid() };
    if euid == 0 && !IN_USERNS.load(Ordering::Relaxed) {
        // SAFETY: unshare takes flags only.
        let r = unsafe { libc::unshare(libc::CLONE_NEWIPC) };
        assert_eq!(
            r,
            0,
            "unshare(CLONE_NEWIPC): {}",
            io::Error::last_os_error()
        );
    } else {
        // SAFETY: unshare takes flags only. The child is single-threaded (fork), as
        // CLONE_NEWUSER requires.
        let r = unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWIPC) };
        if r != 0 {
            let err = io::Error::last_os_error();
            // qemu-user keeps a helper (RCU) thread in every process, and CLONE_NEWUSER
            // refuses a multi-threaded caller with EINVAL.
            let hint = if err.raw_os_error() == Some(libc::EINVAL) {
                " (the process is multi-threaded: under qemu-user, run the suite as root)"
            } else {
                ""
            };
            panic!("unshare(CLONE_NEWUSER | CLONE_NEWIPC) as uid {euid}: {err}{hint}");
        }
        // An unprivileged process must deny setgroups before it may write gid_map.
        std::fs::write("/proc/self/setgroups", "deny").expect("write /proc/self/setgroups");
        std::fs::write("/proc/self/uid_map", format!("0 {euid} 1")).expect("write uid_map");
        std::fs::write("/proc/self/gid_map", format!("0 {egid} 1")).expect("write gid_map");
        IN_USERNS.store(true, Ordering::Relaxed);
    }
    IN_NAMESPACE.store(true, Ordering::Relaxed);
}

/// A forked peer process (see [`fork_peer`]). Dropping it without [`join`](Peer::join)
/// kills and reaps it.
#[derive(Debug)]
pub struct Peer {
    pid: libc::pid_t,
    report: c_int,
    joined: bool,
}

/// Forks a peer that runs `f`, for two-process tests (typically inside
/// [`in_ipc_namespace`], whose namespace it shares).
///
/// The peer dies with its parent (`PR_SET_PDEATHSIG`), so a killed test leaves no
/// orphan behind.
pub fn fork_peer<F: FnOnce()>(f: F) -> Peer {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    let (pid, report) = spawn(
        || {
            // SAFETY: PR_SET_PDEATHSIG takes a signal number; the other arguments are unused.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
            // The parent may have died before prctl: then nobody would kill us.
            // SAFETY: getppid has no preconditions.
            if unsafe { libc::getppid() } != parent {
                // SAFETY: as in run_child: leave without touching the parent's state.
                unsafe { libc::_exit(2) };
            }
        },
        f,
    );
    Peer {
        pid,
        report,
        joined: false,
    }
}

impl Peer {
    /// The peer's process id.
    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Sends signal `sig` to the peer.
    ///
    /// # Panics
    ///
    /// If `kill` fails (the peer is always ours and unreaped, so it should not).
    pub fn kill(&self, sig: c_int) {
        // SAFETY: `pid` is our unreaped child, so it names the peer.
        let r = unsafe { libc::kill(self.pid, sig) };
        assert_eq!(
            r,
            0,
            "kill({}, {sig}): {}",
            self.pid,
            io::Error::last_os_error()
        );
    }

    /// Waits for the peer to finish (at most [`TIMEOUT`]).
    ///
    /// # Panics
    ///
    /// With the peer's panic message if it panicked, or if it died or timed out.
    pub fn join(self) {
        self.join_timeout(TIMEOUT)
    }

    /// [`join`](Peer::join) with an explicit timeout.
    pub fn join_timeout(mut self, timeout: Duration) {
        self.joined = true;
        if let Err(msg) = wait_child(self.pid, self.report, timeout, "peer") {
            panic!("{msg}");
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if !self.joined {
            self.kill_quietly();
        }
    }
}

impl Peer {
    fn kill_quietly(&mut self) {
        let mut status = 0;
        // SAFETY: `status` is a live local; a non-blocking look at our own child.
        if unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) } == self.pid {
            // Gone before the kill meant for it: say how, since a test that then
            // fails (a peer that should have been alive) has nothing else to go on.
            let msg = read_report(self.report);
            eprintln!(
                "peer (pid {}) had already ended before its kill: status {status:#x}{}{msg}",
                self.pid,
                if msg.is_empty() { "" } else { ": " }
            );
            close(self.report);
            return;
        }
        // SAFETY: `pid` is our unreaped child.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        // SAFETY: `status` is a live local; reaping our own child.
        unsafe { libc::waitpid(self.pid, &mut status, 0) };
        close(self.report);
    }
}

/// Runs `f` in a forked child as `uid`/`gid` with no supplementary groups, and waits
/// for it (panicking with its message like [`Peer::join`]).
///
/// Needs real root (see [`needs_root`]).
pub fn as_user<F: FnOnce()>(uid: u32, gid: u32, f: F) {
    let (pid, report) = spawn(
        || {
            // Order matters: groups and gid while we still have the privilege.
            // SAFETY: a zero-length list with a null pointer is the documented way to
            // clear the supplementary groups.
            let r = unsafe { libc::setgroups(0, std::ptr::null()) };
            assert_eq!(r, 0, "setgroups(0): {}", io::Error::last_os_error());
            // SAFETY: setgid takes a number only.
            let r = unsafe { libc::setgid(gid) };
            assert_eq!(r, 0, "setgid({gid}): {}", io::Error::last_os_error());
            // SAFETY: setuid takes a number only.
            let r = unsafe { libc::setuid(uid) };
            assert_eq!(r, 0, "setuid({uid}): {}", io::Error::last_os_error());
        },
        f,
    );
    if let Err(msg) = wait_child(
        pid,
        report,
        TIMEOUT,
        &format!("as_user({uid}, {gid}) child"),
    ) {
        panic!("{msg}");
    }
}

/// Whether the process is real root (euid 0 in the initial user namespace), i.e.
/// whether [`as_user`] can switch to another uid.
///
/// False inside the user namespace that [`in_ipc_namespace`] creates for an ordinary
/// user, even though `geteuid()` says 0 there.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    !IN_USERNS.load(Ordering::Relaxed) && unsafe { libc::geteuid() } == 0
}

/// Returns true if the test can run as root; otherwise prints
/// "`test_name`: skipped: needs root" straight to file descriptor 2 (unbuffered and
/// past the harness's capture, which a forked child cannot use) and returns false.
pub fn needs_root(test_name: &str) -> bool {
    if is_root() {
        return true;
    }
    let line = format!("{test_name}: skipped: needs root\n");
    // SAFETY: `line` is a live String of `line.len()` bytes; write only reads them.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
    false
}

/// Waits until process `pid` sleeps interruptibly inside a system call (state `S`
/// with a syscall in `/proc/<pid>/syscall`), seen twice 5 ms apart: how a test knows
/// that a peer is blocked before it removes the object or signals the peer.
///
/// # Panics
///
/// If that does not happen within [`TIMEOUT`].
pub fn wait_until_blocked(pid: libc::pid_t) {
    wait_until_blocked_in(pid, "")
}

/// [`wait_until_blocked`], and also, where `/proc/<pid>/wchan` shows a kernel
/// function (it shows `0` when hidden), that its name contains `wchan_hint` (e.g.
/// `"msg"` for `do_msgrcv`/`do_msgsnd`). This rules out a peer that merely sleeps
/// somewhere else first, such as qemu's start-up in a forked child.
///
/// # Panics
///
/// If that does not happen within [`TIMEOUT`].
pub fn wait_until_blocked_in(pid: libc::pid_t, wchan_hint: &str) {
    let start = Instant::now();
    let mut seen = 0;
    while start.elapsed() < TIMEOUT {
        if is_blocked(pid) && wchan_matches(pid, wchan_hint) {
            seen += 1;
            if seen == 2 {
                return;
            }
        } else {
            seen = 0;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("process {pid} did not block (wchan hint {wchan_hint:?}) within {TIMEOUT:?}");
}

fn wchan_matches(pid: libc::pid_t, hint: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/wchan")) {
        Ok(w) if !w.is_empty() && w != "0" => w.contains(hint),
        _ => true,
    }
}

fn is_blocked(pid: libc::pid_t) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the last ')' (the command name may contain parentheses).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if state != Some('S') {
        return false;
    }
    let Ok(sys) = std::fs::read_to_string(format!("/proc/{pid}/syscall")) else {
        return false;
    };
    let first = sys.split_whitespace().next().unwrap_or("running");
    first != "running" && first != "-1"
}
