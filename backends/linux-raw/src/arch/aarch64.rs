//! aarch64 `svc #0` (kernel `arch/arm64/kernel/syscall.c`): number in `x8`, arguments
//! in `x0..x5`, result in `x0`; the kernel preserves every other register.
//!
//! No `readonly`, `pure` or `nomem`: every System V IPC call either writes user memory,
//! synchronises with another process (semop, msgrcv) or changes the address space
//! (shmat, shmdt), so the compiler must assume the call reads and writes any memory.
//!
//! # Safety
//!
//! Each function is as unsafe as the system call it makes: the caller must pass a
//! valid number and arguments that are valid for that call.

use core::arch::asm;
use core::ffi::c_void;

/// A system call with no arguments.
#[inline]
pub(crate) unsafe fn syscall0(nr: usize) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` is a valid call without arguments.
    unsafe {
        asm!("svc 0", in("x8") nr, lateout("x0") ret, options(nostack, preserves_flags));
    }
    ret
}

/// A system call with one argument.
#[inline]
pub(crate) unsafe fn syscall1(nr: usize, a0: usize) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` and `a0` make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 as isize => ret,
             options(nostack, preserves_flags));
    }
    ret
}

/// A system call with two arguments.
#[inline]
pub(crate) unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             options(nostack, preserves_flags));
    }
    ret
}

/// A system call with three arguments.
#[inline]
pub(crate) unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, options(nostack, preserves_flags));
    }
    ret
}

/// A system call with three arguments whose result is an address (`shmat`): it
/// leaves the asm as a pointer, never as an integer cast back into one.
#[inline]
pub(crate) unsafe fn syscall3_ptr(nr: usize, a0: usize, a1: usize, a2: usize) -> *mut c_void {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => ret, in("x1") a1, in("x2") a2,
             options(nostack, preserves_flags));
    }
    ret
}

/// A system call with four arguments.
#[inline]
pub(crate) unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, options(nostack, preserves_flags));
    }
    ret
}

/// A system call with four arguments whose fourth is a pointer (`semctl`'s
/// `union semun`): it reaches the register as a pointer, never cast to an integer
/// first, so its provenance goes as far as the asm boundary.
#[inline]
pub(crate) unsafe fn syscall4_ptr_arg(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: *mut c_void,
) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, options(nostack, preserves_flags));
    }
    ret
}

/// A system call with five arguments.
#[inline]
pub(crate) unsafe fn syscall5(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
) -> isize {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 as isize => ret, in("x1") a1,
             in("x2") a2, in("x3") a3, in("x4") a4, options(nostack, preserves_flags));
    }
    ret
}

/// A system call with six arguments whose result is an address (`mmap`): it leaves
/// the asm as a pointer, never as an integer cast back into one.
#[inline]
pub(crate) unsafe fn syscall6_ptr(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> *mut c_void {
    let ret;
    // SAFETY: the caller guarantees that `nr` and the arguments make a valid call.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => ret, in("x1") a1, in("x2") a2,
             in("x3") a3, in("x4") a4, in("x5") a5, options(nostack, preserves_flags));
    }
    ret
}
