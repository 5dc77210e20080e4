//! System call numbers: `arch/x86/entry/syscalls/syscall_64.tbl` for x86_64 and the
//! generic `include/uapi/asm-generic/unistd.h` for aarch64. Two traps: x86_64's
//! semtimedop (220) sits far from the other IPC calls, and aarch64 orders the message
//! calls get, ctl, rcv, snd. membarrier (324 / 283) is not IPC but backs the shared
//! layouts' asymmetric barrier; a test checks the numbers against the kernel by
//! asking it for its supported commands. clock_gettime (228 / 113) is not IPC either:
//! the layouts' timed waits keep their deadline with it; a test compares it with the
//! C library's clock. clock_nanosleep (230 / 115), neither: a joiner sleeps with it
//! while a layout's creator finishes. futex (202 / 98), neither: a layout's side
//! wakes an asynchronous waiter sleeping on its flag word.

#[cfg(target_arch = "x86_64")]
mod numbers {
    pub(crate) const SHMGET: usize = 29;
    pub(crate) const SHMAT: usize = 30;
    pub(crate) const SHMCTL: usize = 31;
    pub(crate) const GETPID: usize = 39;
    pub(crate) const SEMGET: usize = 64;
    pub(crate) const SEMOP: usize = 65;
    pub(crate) const SEMCTL: usize = 66;
    pub(crate) const SHMDT: usize = 67;
    pub(crate) const MSGGET: usize = 68;
    pub(crate) const MSGSND: usize = 69;
    pub(crate) const MSGRCV: usize = 70;
    pub(crate) const MSGCTL: usize = 71;
    pub(crate) const SEMTIMEDOP: usize = 220;
    pub(crate) const CLOCK_GETTIME: usize = 228;
    pub(crate) const CLOCK_NANOSLEEP: usize = 230;
    pub(crate) const NEWFSTATAT: usize = 262;
    pub(crate) const MEMBARRIER: usize = 324;
    pub(crate) const FUTEX: usize = 202;
    pub(crate) const MMAP: usize = 9;
    pub(crate) const MUNMAP: usize = 11;
    pub(crate) const MADVISE: usize = 28;
}

#[cfg(target_arch = "aarch64")]
mod numbers {
    pub(crate) const NEWFSTATAT: usize = 79;
    pub(crate) const CLOCK_GETTIME: usize = 113;
    pub(crate) const CLOCK_NANOSLEEP: usize = 115;
    pub(crate) const GETPID: usize = 172;
    pub(crate) const MSGGET: usize = 186;
    pub(crate) const MSGCTL: usize = 187;
    pub(crate) const MSGRCV: usize = 188;
    pub(crate) const MSGSND: usize = 189;
    pub(crate) const SEMGET: usize = 190;
    pub(crate) const SEMCTL: usize = 191;
    pub(crate) const SEMTIMEDOP: usize = 192;
    pub(crate) const SEMOP: usize = 193;
    pub(crate) const SHMGET: usize = 194;
    pub(crate) const SHMCTL: usize = 195;
    pub(crate) const SHMAT: usize = 196;
    pub(crate) const SHMDT: usize = 197;
    pub(crate) const MEMBARRIER: usize = 283;
    pub(crate) const FUTEX: usize = 98;
    pub(crate) const MMAP: usize = 222;
    pub(crate) const MUNMAP: usize = 215;
    pub(crate) const MADVISE: usize = 233;
}

pub(crate) use numbers::*;
