//! System V IPC for `no_std` Rust: message queues, semaphore sets and shared memory,
//! typed and allocation-free, over a pluggable syscall [`Backend`].
#![no_std]
#![deny(missing_docs)]

pub use sysv_ipc_abi as abi;
pub use sysv_ipc_abi::{Backend, Errno};

#[cfg(feature = "libc")]
pub use sysv_ipc_libc::Libc;
#[cfg(feature = "linux-raw")]
pub use sysv_ipc_linux_raw::LinuxRaw;
#[cfg(feature = "mock")]
pub use sysv_ipc_mock as mock;

/// The backend the typed API uses unless told otherwise: raw syscalls where the
/// `linux-raw` feature is on and the target supports them, the C library otherwise.
#[cfg(all(
    feature = "linux-raw",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub type DefaultBackend = sysv_ipc_linux_raw::LinuxRaw;

/// The backend the typed API uses unless told otherwise: raw syscalls where the
/// `linux-raw` feature is on and the target supports them, the C library otherwise.
#[cfg(all(
    feature = "libc",
    not(all(
        feature = "linux-raw",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))
))]
pub type DefaultBackend = sysv_ipc_libc::Libc;
