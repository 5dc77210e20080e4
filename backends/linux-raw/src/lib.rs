//! System V IPC by raw system calls: the [`LinuxRaw`] backend of `sysv-ipc`, inline
//! assembly on x86_64 and aarch64 Linux, no libc anywhere.
//!
//! Layout (after rustix's `linux_raw` backend): `arch/<arch>.rs` holds only the
//! `syscallN` asm functions, `nr.rs` the per-arch call numbers, `syscalls.rs` the
//! [`Backend`] implementation with one `SAFETY` line per call.
//!
//! Facts this crate relies on (see the project's kernel notes):
//!
//! - errors come back as `-errno` in the result register, the values `-4095..=-1`
//!   ([`Errno::from_syscall_ret`]); no global `errno` is ever read;
//! - `*ctl` commands are passed exactly as given, **never** with `IPC_64` (0x100)
//!   ORed in: on these arches the 64-bit layouts are the native ones and the kernel
//!   answers `cmd | IPC_64` with `EINVAL` (one function encodes every command; a
//!   unit test checks it);
//! - `semctl`'s `union semun` travels by value as one machine word, handed to the
//!   asm as a pointer (SETVAL's `int` in its low 32 bits).
//!
//! # Safety
//!
//! This crate is all system calls. Each `unsafe` block in `syscalls.rs` names the
//! memory the kernel may touch, its length and its owner; the asm in `arch/` only
//! moves registers.
#![no_std]
#![deny(missing_docs)]

// The asm issues Linux's call numbers and decodes Linux's `-errno` results, so on any
// other kernel a safe call is some other call: FreeBSD's 66 (Linux's x86_64 semctl)
// is vfork, and it reports errors in the carry flag, not in the result. Android is
// Linux; `none` is the static binary (examples/nostd-static), which runs on Linux.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "none")))]
compile_error!(
    "sysv-ipc-linux-raw supports only Linux and Android (and target_os = \"none\" for static \
     binaries run on Linux), on x86_64 and aarch64: it issues Linux's system call numbers by \
     inline assembly, which on this OS name other calls; no backend of sysv-ipc supports this OS"
);

// Only these arches have call numbers (nr.rs), asm (arch/) and kernel structs pinned
// (sysv-ipc-abi); x32 (`x86_64` with 32-bit pointers) has other call numbers.
#[cfg(not(all(
    any(target_arch = "x86_64", target_arch = "aarch64"),
    target_pointer_width = "64"
)))]
compile_error!(
    "sysv-ipc-linux-raw supports only x86_64 and aarch64 (64-bit pointers, not x32): the \
     system call numbers, the asm and the kernel's IPC struct layouts are pinned and tested for \
     those arches alone, and the libc backend supports no others"
);

// semctl(SETVAL) takes the low 32 bits of the word on little-endian 64-bit only.
#[cfg(target_endian = "big")]
compile_error!("sysv-ipc-linux-raw assumes a little-endian target (semctl SETVAL)");

#[cfg_attr(target_arch = "x86_64", path = "arch/x86_64.rs")]
#[cfg_attr(target_arch = "aarch64", path = "arch/aarch64.rs")]
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod arch;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod nr;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod syscalls;

#[doc(no_inline)]
pub use sysv_ipc_abi::{Backend, Errno};

/// The raw-syscall backend: zero-sized, `Copy`, no state.
#[derive(Copy, Clone, Debug, Default)]
pub struct LinuxRaw;

/// The command word a `*ctl` call passes to the kernel for `cmd`: `cmd` itself.
///
/// This is the one place where a command is encoded, so that one unit test can prove
/// no `IPC_64` bit is ever added. Glibc's `__IPC_64` is 0 on x86_64 and aarch64, and
/// the kernel's `ksys_*ctl` switch on the raw value, so `IPC_STAT | IPC_64` is
/// `EINVAL`. A qemu-user run cannot catch a stray bit (qemu masks `cmd &= 0xff`), hence
/// the test.
#[inline]
pub(crate) const fn ctl_cmd(cmd: i32) -> usize {
    cmd as isize as usize
}

#[cfg(test)]
mod tests {
    use super::ctl_cmd;
    use sysv_ipc_abi::*;

    #[test]
    fn ctl_commands_never_carry_ipc_64() {
        let all = [
            IPC_RMID,
            IPC_SET,
            IPC_STAT,
            IPC_INFO,
            MSG_STAT,
            MSG_INFO,
            MSG_STAT_ANY,
            GETPID,
            GETVAL,
            GETALL,
            GETNCNT,
            GETZCNT,
            SETVAL,
            SETALL,
            SEM_STAT,
            SEM_INFO,
            SEM_STAT_ANY,
            SHM_LOCK,
            SHM_UNLOCK,
            SHM_STAT,
            SHM_INFO,
            SHM_STAT_ANY,
        ];
        for cmd in all {
            let word = ctl_cmd(cmd);
            assert_eq!(word & IPC_64 as usize, 0, "command {cmd} gained IPC_64");
            assert_eq!(word, cmd as usize, "command {cmd} was re-encoded");
        }
    }
}
