//! Test support for `sysv-ipc`: every kernel test runs through this crate.
//!
//! - [`in_ipc_namespace`] forks a child in a fresh IPC namespace (plus a user namespace
//!   when not root), so a test neither sees nor leaks the host's IPC objects and starts
//!   from the default limits. A panic in the child comes back to the parent as a panic
//!   with the child's message and location.
//! - [`fork_peer`] starts a second process for two-process tests; [`Peer::join`]
//!   propagates its panic the same way.
//! - [`as_user`] runs a closure as another uid/gid (permission tests); [`needs_root`]
//!   says "skipped: needs root" when that is impossible.
//! - [`set_sysctl`] lowers the per-namespace limits (`kernel.msgmni`, ...) to provoke
//!   `ENOSPC` and friends.
//! - [`conformance`] is the backend conformance suite: the same kernel tests for every
//!   [`Backend`](sysv_ipc_abi::Backend).
//! - [`Failing`] wraps a backend and refuses the calls (or `*ctl` commands) it lists,
//!   to play a kernel without them (no `membarrier`, no `*_STAT_ANY`).
//! - [`forward_backend!`] implements `Backend` for any such wrapper: every call
//!   forwarded to an inner backend but the methods the wrapper writes itself.
//!
//! Every wait has a timeout (default [`TIMEOUT`]), after which the child is killed and
//! the test fails: a hung test cannot hang CI.
//!
//! # Why fork
//!
//! `unshare(CLONE_NEWIPC)` changes the calling process for good, and the test harness
//! runs many tests as threads of one process; a forked child can enter its own
//! namespace and vanish with it. The harness's output capture does not survive the
//! fork, hence the pipe that carries the panic message home.

mod alloc;
mod c_program;
pub mod conformance;
pub mod debugger;
mod failing;
mod forward;
mod process;
mod sysctl;

pub use alloc::{CountingAllocator, allocations};
pub use c_program::CProgram;
pub use failing::{Call, Fail, Failing};
#[doc(hidden)]
pub use forward::__private;
pub use process::{
    Peer, TIMEOUT, as_user, fork_peer, in_ipc_namespace, in_ipc_namespace_timeout, is_root,
    needs_root, wait_until_blocked, wait_until_blocked_in,
};
pub use sysctl::{get_sysctl, host_huge_pages, set_sysctl};

/// Whether this process runs under qemu-user (the aarch64 suite), for the tests that
/// gate an assertion qemu cannot pass (note the divergence beside the test).
///
/// qemu fakes `/proc/self/exe` (it names the guest binary) but not
/// `/proc/thread-self/exe`, which names the emulator. (`comm` does not work: a forked
/// test child carries its test thread's name.)
pub fn under_qemu() -> bool {
    cfg!(not(target_arch = "x86_64"))
        && std::fs::read_link("/proc/thread-self/exe").is_ok_and(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("qemu-"))
        })
}
