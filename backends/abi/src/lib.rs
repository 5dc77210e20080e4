//! The kernel ABI of System V IPC on 64-bit Linux (x86_64, aarch64), shared by every
//! backend of `sysv-ipc`: the [`Backend`] trait, [`Errno`], the constants of
//! `<sys/{ipc,msg,sem,shm}.h>` and the kernel's `#[repr(C)]` structs.
//!
//! Nothing here issues a syscall; see `sysv-ipc-linux-raw`, `sysv-ipc-libc` and
//! `sysv-ipc-mock` for the implementations.
#![no_std]
#![deny(missing_docs)]

mod backend;
mod check_types;
mod consts;
mod errno;
mod pid_cache;
mod types;

pub use backend::{Backend, MTYPE_SIZE, semun_val, semun_val_of};
pub use consts::*;
pub use errno::Errno;
pub use pid_cache::{MADV_WIPEONFORK, PID_CACHE_BYTES, PidCache};
pub use types::*;

/// `ftok(3)` on the backend's `stat`: `(st_ino & 0xffff) | ((st_dev & 0xff) << 16) |
/// (proj_id << 24)`, glibc's formula bit for bit. The result may be negative (a
/// `proj_id` of `0x80` or more), and unlike C's `-1` it can never be mistaken for an
/// error.
pub fn ftok_from_file_id(id: FileId, proj_id: u8) -> i32 {
    ((id.ino & 0xffff) as u32 | (((id.dev & 0xff) as u32) << 16) | (u32::from(proj_id) << 24))
        as i32
}
