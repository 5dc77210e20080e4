//! A `#![no_std]`, `#![no_main]`, statically linked Linux program that uses a message
//! queue, a semaphore set and a shared memory segment through `sysv-ipc`'s typed API
//! on the raw-syscall backend, removes them, and exits with a status that says how
//! far it got: 0 when every step worked, otherwise the number of the first step that
//! failed (see [`Step`]).
//!
//! There is no libc and no runtime: [`_start`] is the ELF entry point, written here in
//! a few instructions of assembly, and the process ends with the `exit_group` system
//! call. Build and check it with `.ci/static-binary`.
//!
//! # Safety
//!
//! The unsafe code is the entry point (assembly that aligns the stack and calls
//! [`main`]), [`exit`] (one system call that does not return) and, on aarch64 only,
//! a `memset` in assembly that the C library would otherwise provide. The IPC itself
//! goes through the library's safe API.
#![no_std]
#![no_main]

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::shm::Shm;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removal, SemOp, SemSet};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// A record sent through the queue and kept in the segment: `#[repr(C)]` with no
/// padding, as a C peer would declare it.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct Sample {
    seq: u64,
    value: i32,
    flags: u32,
}

const SAMPLE: Sample = Sample {
    seq: 0x0102_0304_0506_0708,
    value: -42,
    flags: 0xdead_beef,
};

/// The exit status of each check, so a failing run says which one failed.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Step {
    MsgCreate = 10,
    MsgSend,
    MsgRecv,
    MsgRemove,
    SemCreate = 20,
    SemPost,
    SemValue,
    SemWait,
    SemWouldBlock,
    SemRemove,
    ShmCreate = 30,
    ShmZeroed,
    ShmWrite,
    ShmRemove,
}

/// `Ok` if `ok`, else the step's exit status.
fn ensure(ok: bool, step: Step) -> Result<(), Step> {
    if ok { Ok(()) } else { Err(step) }
}

/// A `Sample` through a private queue as a typed value: `send_value`, then
/// `recv_value` of its `mtype`.
fn message_queue() -> Result<(), Step> {
    let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
        .map_err(|_| Step::MsgCreate)?;
    // Removes the queue on an early return; `remove_now` below reports errors.
    let q = Removal::new(q);
    q.send_value(7, &SAMPLE).map_err(|_| Step::MsgSend)?;
    let got = q.recv_value::<Sample>(Selector::Type(7));
    ensure(matches!(got, Ok((7, s)) if s == SAMPLE), Step::MsgRecv)?;
    q.remove_now().map_err(|_| Step::MsgRemove)
}

/// A private set of one semaphore: add two, read the value back, take both, then a
/// `nowait` take of the now-zero semaphore, which must refuse instead of blocking.
fn semaphore_set() -> Result<(), Step> {
    let set = SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)
        .map_err(|_| Step::SemCreate)?;
    let set = Removal::new(set);
    set.op(&[SemOp::add(0, 2)]).map_err(|_| Step::SemPost)?;
    ensure(matches!(set.get(0), Ok(2)), Step::SemValue)?;
    set.op(&[SemOp::add(0, -2).nowait()])
        .map_err(|_| Step::SemWait)?;
    let again = set.op(&[SemOp::wait(0).nowait()]);
    // `matches!` on the kind: `==` would link the derived `PartialEq` of every kind.
    ensure(
        matches!(again, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock)),
        Step::SemWouldBlock,
    )?;
    set.remove_now().map_err(|_| Step::SemRemove)
}

/// A `Shm<Sample>` in a private segment: zero-filled when created, then written and
/// read back whole.
fn shared_memory() -> Result<(), Step> {
    let shm = Shm::<Sample>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
        .map_err(|_| Step::ShmCreate)?;
    let segment = Removal::new(*shm.segment());
    ensure(shm.read() == Sample::new_zeroed(), Step::ShmZeroed)?;
    shm.write(&SAMPLE);
    ensure(shm.read() == SAMPLE, Step::ShmWrite)?;
    drop(shm); // detaches
    segment.remove_now().map_err(|_| Step::ShmRemove)
}

/// Runs every step; the process's exit status.
fn main() -> u8 {
    match message_queue()
        .and_then(|()| semaphore_set())
        .and_then(|()| shared_memory())
    {
        Ok(()) => 0,
        Err(step) => step as u8,
    }
}

/// Called by [`_start`] with the initial stack pointer (which points at `argc`; unused).
extern "C" fn start_rust(_stack: *const usize) -> ! {
    exit(main())
}

/// The ELF entry point. The kernel enters it with `rsp` pointing at `argc` and
/// 16-byte aligned; a Rust function expects `rsp + 8` aligned (a return address
/// pushed by `call`), so `_start` aligns the stack and calls [`start_rust`].
#[cfg(target_arch = "x86_64")]
#[unsafe(no_mangle)]
#[unsafe(naked)]
extern "C" fn _start() -> ! {
    // The frame pointer is zeroed to mark the outermost frame (System V psABI
    // §3.4.1); `call` pushes the return address that makes `rsp + 8` aligned;
    // `start_rust` never returns, and `ud2` traps if it somehow did.
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {start}",
        "ud2",
        start = sym start_rust,
    )
}

/// The ELF entry point (aarch64): `sp` is 16-byte aligned at entry, as AAPCS64
/// requires at every call, so `_start` passes it on and branches with link.
#[cfg(target_arch = "aarch64")]
#[unsafe(no_mangle)]
#[unsafe(naked)]
extern "C" fn _start() -> ! {
    // x29 (frame pointer) and x30 (link register) are zeroed to end backtraces here.
    core::arch::naked_asm!(
        "mov x29, xzr",
        "mov x30, xzr",
        "mov x0, sp",
        "bl {start}",
        "brk #0x1",
        start = sym start_rust,
    )
}

/// `memset`, which the compiler calls to zero large buffers. On x86_64-unknown-none
/// `compiler_builtins` provides it; the aarch64 Linux target expects it from the C
/// library, which this program does not link. A byte loop: the buffers it fills here
/// are a few kilobytes at most, once each.
///
/// # Safety
///
/// `dst` must be valid for writes of `n` bytes (the compiler's contract for
/// `memset`).
#[cfg(target_arch = "aarch64")]
#[unsafe(no_mangle)]
#[unsafe(naked)]
unsafe extern "C" fn memset(dst: *mut u8, byte: i32, n: usize) -> *mut u8 {
    // x0 (the destination) is returned unchanged; x3 walks the buffer. Written in
    // assembly because a Rust loop would be turned back into a call to `memset`.
    core::arch::naked_asm!(
        "mov x3, x0",
        "2:",
        "cbz x2, 3f",
        "strb w1, [x3], #1",
        "sub x2, x2, #1",
        "b 2b",
        "3:",
        "ret",
    )
}

/// `getauxval`, named by `compiler_builtins`' aarch64 atomics helpers (the
/// `__aarch64_*` functions behind Rust's atomics on this target), whose constructor
/// asks it whether the CPU has LSE atomics. No C runtime runs constructors here, so
/// it is never called and the helpers keep their portable LL/SC path; it exists for
/// the linker, and answers "no features" if anything ever asks.
#[cfg(target_arch = "aarch64")]
#[unsafe(no_mangle)]
extern "C" fn getauxval(_kind: u64) -> u64 {
    0
}

/// `exit_group(status)`: ends every thread of the process.
fn exit(status: u8) -> ! {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: exit_group (231 on x86_64) takes an int and never returns, so no memory
    // or register state after it matters; `noreturn` tells the compiler so.
    unsafe {
        core::arch::asm!("syscall", in("rax") 231usize, in("rdi") usize::from(status),
                         options(noreturn, nostack));
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: exit_group (94 on aarch64) takes an int and never returns, as above.
    unsafe {
        core::arch::asm!("svc 0", in("x8") 94usize, in("x0") usize::from(status),
                         options(noreturn, nostack));
    }
}

/// A panic ends the process with status 101 (Rust's usual panic status). The
/// message is not printed: formatting it would pull `core::fmt` into the binary,
/// and nothing in this program or the library's paths it uses should panic at all
/// (`.ci/static-binary` checks that no formatting code is linked).
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(101)
}
