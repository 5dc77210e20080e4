//! System V IPC through the C library: the [`Libc`] backend of `sysv-ipc`, for targets
//! the raw backend does not cover or programs that prefer the C library's wrappers.
//!
//! It mirrors `sysv-ipc-linux-raw` file by file: `syscalls.rs` holds the [`Backend`]
//! implementation with one `SAFETY` line per call. `errno` is read right after each
//! failing call through `__errno_location()` (glibc and musl).
//!
//! The libc crate's structs (`msqid_ds`, `semid_ds`, `shmid_ds`, `sembuf`) have the
//! same layouts as the kernel's `*64` structs that [`sysv_ipc_abi`] defines (every
//! field checked by `tests/layouts.rs`), so our pointers are passed cast to theirs.
//!
//! # Safety
//!
//! This crate is all foreign calls. Each `unsafe` block in `syscalls.rs` names the
//! memory the C library (and the kernel behind it) may touch, its length and its owner.
#![no_std]
#![deny(missing_docs)]

mod syscalls;

#[doc(no_inline)]
pub use sysv_ipc_abi::{Backend, Errno};

/// The C library backend: zero-sized, `Copy`, no state.
#[derive(Copy, Clone, Debug, Default)]
pub struct Libc;
