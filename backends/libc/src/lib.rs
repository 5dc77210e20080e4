//! System V IPC through the C library: the [`Libc`] backend of `sysv-ipc`, for programs
//! that link glibc anyway and prefer its wrappers to raw system calls.
//!
//! It mirrors `sysv-ipc-linux-raw` file by file: `syscalls.rs` holds the [`Backend`]
//! implementation with one `SAFETY` line per call. `errno` is read right after each
//! failing call through glibc's `__errno_location()`.
//!
//! The kernel's `*64` structs that [`sysv_ipc_abi`] defines are passed to the C library
//! cast to its own (`msqid_ds`, `semid_ds`, `shmid_ds`, `sembuf`, `timespec`, the info
//! structs), so the two must agree byte for byte: `tests/layouts.rs` compares every
//! field's offset and size with the libc crate's structs and with a C program built
//! from glibc's `<sys/{ipc,msg,sem,shm}.h>` and the kernel's `<asm/*buf.h>`.
//!
//! # Targets
//!
//! x86_64 and aarch64 Linux with glibc (`x86_64-unknown-linux-gnu`,
//! `aarch64-unknown-linux-gnu`), the targets where those comparisons run (aarch64
//! under qemu). Anything else is a compile error that says why: other systems'
//! IPC structs and errno differ (FreeBSD, macOS), other arches' kernel layouts differ
//! (powerpc64 puts `shm_segsz` after the time fields), and musl and Android are not
//! tested here. The raw backend serves both targets and more (musl, Android, no C
//! library at all), so this backend is never the only choice.
//!
//! # Safety
//!
//! This crate is all foreign calls. Each `unsafe` block in `syscalls.rs` names the
//! memory the C library (and the kernel behind it) may touch, its length and its owner.
#![no_std]
#![deny(missing_docs)]

// The calls pass the kernel's `*64_ds` layouts (sysv-ipc-abi) to the C library as its
// own structs, and read errno through `__errno_location`, so every target admitted
// here must have both checked: tests/layouts.rs compares every field offset and size
// with the libc crate's structs and with the C headers (glibc's and the kernel's),
// natively on x86_64 and under qemu on aarch64. FreeBSD's and macOS's IPC structs
// and errno differ; nothing here could run a test of a translation to them.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
compile_error!(
    "sysv-ipc-libc supports only Linux with glibc on x86_64 and aarch64 (the *-linux-gnu \
     targets): it hands the C library the Linux kernel's IPC structs and reads errno the glibc \
     way, and this OS's IPC structs and errno differ; no backend of sysv-ipc supports this OS"
);

// Android is Linux, but the libc crate binds no SysV IPC call for its C library.
#[cfg(target_os = "android")]
compile_error!(
    "sysv-ipc-libc supports only Linux with glibc on x86_64 and aarch64: the libc crate binds \
     no System V IPC calls for Android's C library; on Android use the `linux-raw` backend \
     (sysv-ipc's default)"
);

// Linux's IPC structs differ by arch (powerpc64 puts shm_segsz after the three time
// fields; x86_64's semid64_ds has a word after each time field, aarch64's not).
#[cfg(all(
    target_os = "linux",
    not(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        target_pointer_width = "64",
        target_endian = "little"
    ))
))]
compile_error!(
    "sysv-ipc-libc supports only x86_64 and aarch64 Linux with glibc: the kernel's IPC struct \
     layouts differ by arch (on powerpc64 shm_segsz follows the time fields) and only x86_64's \
     and aarch64's are pinned and tested against glibc's headers (tests/layouts.rs)"
);

// musl's structs are untested here: the libc crate has no semid_ds for musl, and no
// musl C compiler is at hand to print its headers' offsets.
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    target_pointer_width = "64",
    target_endian = "little",
    not(target_env = "gnu")
))]
compile_error!(
    "sysv-ipc-libc supports only glibc (the x86_64 and aarch64 *-linux-gnu targets): its struct \
     casts are tested against glibc's headers alone; without glibc use the `linux-raw` backend \
     (sysv-ipc's default), which needs no C library"
);

#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64"),
    target_pointer_width = "64",
    target_endian = "little"
))]
mod syscalls;

#[doc(no_inline)]
pub use sysv_ipc_abi::{Backend, Errno};

/// The C library backend: zero-sized, `Copy`, no state.
#[derive(Copy, Clone, Debug, Default)]
pub struct Libc;
