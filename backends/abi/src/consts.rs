//! Every constant of `<sys/ipc.h>`, `<sys/msg.h>`, `<sys/sem.h>` and `<sys/shm.h>`
//! that Linux has, with the values of `include/uapi/linux/{ipc,msg,sem,shm}.h`
//! (identical on x86_64 and aarch64).
//!
//! Flags are `i32` because the calls take them as C `int`; the compile-time limits
//! are the kernel's *defaults*: the live values are per IPC namespace and come from
//! `IPC_INFO` (or `/proc/sys/kernel/{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni}`).

// ---- <sys/ipc.h> -----------------------------------------------------------------

/// The key that always creates a new object, reachable only through its id.
pub const IPC_PRIVATE: i32 = 0;
/// `*get` flag: create the object if the key has none.
pub const IPC_CREAT: i32 = 0o1000;
/// `*get` flag with `IPC_CREAT`: fail with `EEXIST` if the key already has an object.
pub const IPC_EXCL: i32 = 0o2000;
/// Operation flag: fail with `EAGAIN`/`ENOMSG` instead of blocking.
pub const IPC_NOWAIT: i32 = 0o4000;
/// `*ctl` command: remove the object.
pub const IPC_RMID: i32 = 0;
/// `*ctl` command: set owner, group, mode (and `msg_qbytes`).
pub const IPC_SET: i32 = 1;
/// `*ctl` command: read the object's `*id64_ds`.
pub const IPC_STAT: i32 = 2;
/// `*ctl` command: read the namespace's limits.
pub const IPC_INFO: i32 = 3;
/// The "new layout" bit that 32-bit ABIs OR into `*ctl` commands.
///
/// **Never pass it on x86_64 or aarch64**: there the 64-bit layouts are the native
/// ones and the kernel answers `cmd | IPC_64` with `EINVAL` (measured on 6.18; note
/// that qemu-user masks it away, so only a native x86_64 run catches the mistake).
pub const IPC_64: i32 = 0x0100;
/// The "old layout" version number, for completeness; unused on 64-bit Linux.
pub const IPC_OLD: i32 = 0;

// ---- <sys/msg.h> -----------------------------------------------------------------

/// `msgrcv` flag: truncate a message longer than the buffer instead of `E2BIG`.
pub const MSG_NOERROR: i32 = 0o10000;
/// `msgrcv` flag: with `msgtyp > 0`, take the first message whose type is *not* `msgtyp`.
pub const MSG_EXCEPT: i32 = 0o20000;
/// `msgrcv` flag: copy the message at queue position `msgtyp` without removing it
/// (needs `IPC_NOWAIT`; `ENOSYS` without `CONFIG_CHECKPOINT_RESTORE`).
pub const MSG_COPY: i32 = 0o40000;
/// `msgctl` command: `IPC_STAT` by index into the kernel's table; returns the id.
pub const MSG_STAT: i32 = 11;
/// `msgctl` command: usage summary into a `msginfo`; returns the highest used index.
pub const MSG_INFO: i32 = 12;
/// `msgctl` command: like `MSG_STAT` without the read-permission check (Linux 4.17).
pub const MSG_STAT_ANY: i32 = 13;

/// Default maximum number of message queues (`kernel.msgmni`).
pub const MSGMNI: i32 = 32000;
/// Default maximum size of one message's text (`kernel.msgmax`).
pub const MSGMAX: i32 = 8192;
/// Default maximum bytes on one queue, the initial `msg_qbytes` (`kernel.msgmnb`).
pub const MSGMNB: i32 = 16384;
/// Size of the message pool in KiB, as `IPC_INFO` reports it.
pub const MSGPOOL: i32 = MSGMNI * MSGMNB / 1024;
/// Maximum number of messages in the system, as `IPC_INFO` reports it.
pub const MSGTQL: i32 = MSGMNB;
/// Number of entries in the message map, as `IPC_INFO` reports it.
pub const MSGMAP: i32 = MSGMNB;
/// Message segment size, as `IPC_INFO` reports it.
pub const MSGSSZ: i32 = 16;
/// Maximum number of message segments, as `IPC_INFO` reports it (capped to 16 bits).
pub const MSGSEG: i32 = {
    let seg = (MSGPOOL * 1024) / MSGSSZ;
    if seg <= 0xffff { seg } else { 0xffff }
};

// ---- <sys/sem.h> -----------------------------------------------------------------

/// `sem_flg` bit: undo this operation when the process exits.
pub const SEM_UNDO: i16 = 0x1000;
/// `semctl` command: pid of the last process that operated on the semaphore.
pub const GETPID: i32 = 11;
/// `semctl` command: the semaphore's value.
pub const GETVAL: i32 = 12;
/// `semctl` command: every value of the set, into a `u16` array.
pub const GETALL: i32 = 13;
/// `semctl` command: how many processes wait for the value to increase.
pub const GETNCNT: i32 = 14;
/// `semctl` command: how many processes wait for the value to become zero.
pub const GETZCNT: i32 = 15;
/// `semctl` command: set one value.
pub const SETVAL: i32 = 16;
/// `semctl` command: set every value from a `u16` array.
pub const SETALL: i32 = 17;
/// `semctl` command: `IPC_STAT` by index into the kernel's table; returns the id.
pub const SEM_STAT: i32 = 18;
/// `semctl` command: usage summary into a `seminfo`; returns the highest used index.
pub const SEM_INFO: i32 = 19;
/// `semctl` command: like `SEM_STAT` without the read-permission check (Linux 4.17).
pub const SEM_STAT_ANY: i32 = 20;

/// Default maximum number of semaphore sets (`kernel.sem`, 4th field).
pub const SEMMNI: i32 = 32000;
/// Default maximum semaphores per set (`kernel.sem`, 1st field).
pub const SEMMSL: i32 = 32000;
/// Default maximum semaphores in the system (`kernel.sem`, 2nd field).
pub const SEMMNS: i32 = SEMMNI * SEMMSL;
/// Default maximum operations per `semop` call (`kernel.sem`, 3rd field).
pub const SEMOPM: i32 = 500;
/// Largest value a semaphore can hold; beyond it is `ERANGE`.
pub const SEMVMX: i32 = 32767;
/// Largest adjust-on-exit value.
pub const SEMAEM: i32 = SEMVMX;
/// Maximum undo entries per process, as `IPC_INFO` reports it.
pub const SEMUME: i32 = SEMOPM;
/// Number of undo structures, as `IPC_INFO` reports it.
pub const SEMMNU: i32 = SEMMNS;
/// Number of entries in the semaphore map, as `IPC_INFO` reports it.
pub const SEMMAP: i32 = SEMMNS;
/// Size of an undo structure, as `IPC_INFO` reports it.
pub const SEMUSZ: i32 = 20;

// ---- <sys/shm.h> -----------------------------------------------------------------

/// `shmat` flag: attach read-only.
pub const SHM_RDONLY: i32 = 0o10000;
/// `shmat` flag: round the address down to a multiple of `SHMLBA`.
pub const SHM_RND: i32 = 0o20000;
/// `shmat` flag: replace any mapping at the address (Linux-specific).
pub const SHM_REMAP: i32 = 0o40000;
/// `shmat` flag: allow executing the segment's contents (Linux-specific).
pub const SHM_EXEC: i32 = 0o100000;
/// `shmctl` command: lock the segment in memory.
pub const SHM_LOCK: i32 = 11;
/// `shmctl` command: unlock the segment.
pub const SHM_UNLOCK: i32 = 12;
/// `shmctl` command: `IPC_STAT` by index into the kernel's table; returns the id.
pub const SHM_STAT: i32 = 13;
/// `shmctl` command: usage summary into a `shm_info`; returns the highest used index.
pub const SHM_INFO: i32 = 14;
/// `shmctl` command: like `SHM_STAT` without the read-permission check (Linux 4.17).
pub const SHM_STAT_ANY: i32 = 15;
/// `shmget` flag: back the segment with huge pages.
pub const SHM_HUGETLB: i32 = 0o4000;
/// `shmget` flag: do not reserve swap space.
pub const SHM_NORESERVE: i32 = 0o10000;
/// Shift of the huge page size (log2) inside `shmget` flags.
pub const SHM_HUGE_SHIFT: i32 = 26;
/// Mask of the huge page size (log2) after shifting.
pub const SHM_HUGE_MASK: i32 = 0x3f;
/// `shmget` flag: 2 MiB huge pages.
pub const SHM_HUGE_2MB: i32 = 21 << SHM_HUGE_SHIFT;
/// `shmget` flag: 1 GiB huge pages.
pub const SHM_HUGE_1GB: i32 = 30 << SHM_HUGE_SHIFT;
/// `shm_perm.mode` bit: the segment was removed and dies at its last detach.
pub const SHM_DEST: u32 = 0o1000;
/// `shm_perm.mode` bit: the segment is locked in memory.
pub const SHM_LOCKED: u32 = 0o2000;

/// Default minimum segment size.
pub const SHMMIN: u64 = 1;
/// Default maximum number of segments (`kernel.shmmni`).
pub const SHMMNI: u64 = 4096;
/// Default maximum segment size (`kernel.shmmax`): `ULONG_MAX - 2^24`.
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
/// Default maximum total pages of all segments (`kernel.shmall`): `ULONG_MAX - 2^24`.
pub const SHMALL: u64 = u64::MAX - (1 << 24);
/// Maximum segments one process can attach (not enforced by Linux).
pub const SHMSEG: u64 = SHMMNI;
/// The smallest alignment every `SHMLBA` on these targets satisfies: Linux's
/// `SHMLBA` is the page size, which is 4 KiB, 16 KiB or 64 KiB on aarch64.
pub const SHMLBA_MIN: usize = 4096;

// ---- helpers for ftok's stat -------------------------------------------------------

/// `AT_FDCWD`: resolve a relative path from the current directory.
pub const AT_FDCWD: i32 = -100;

// ---- <linux/membarrier.h> ---------------------------------------------------------
//
// Not System V IPC, but what the crate's lock-free layouts use to make one side of
// their wake-up handshake fence-free (see `sysv_ipc::layout::ring`). Values of
// `include/uapi/linux/membarrier.h`, the same on every arch; each command is one bit
// so that `MEMBARRIER_CMD_QUERY` can answer with a mask.

/// `membarrier` command: the mask of the supported commands (itself 0, never in it).
pub const MEMBARRIER_CMD_QUERY: i32 = 0;
/// `membarrier` command: a barrier on every thread of the system, through the
/// scheduler (slow: milliseconds; no registration). Alias `MEMBARRIER_CMD_SHARED`.
pub const MEMBARRIER_CMD_GLOBAL: i32 = 1 << 0;
/// `membarrier` command: a barrier (an IPI running `smp_mb()`) on every CPU that runs
/// a thread of a process registered with [`MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED`];
/// other processes' threads are not ordered by it (Linux 4.16).
pub const MEMBARRIER_CMD_GLOBAL_EXPEDITED: i32 = 1 << 1;
/// `membarrier` command: this process wants to receive
/// [`MEMBARRIER_CMD_GLOBAL_EXPEDITED`] barriers issued by any process (Linux 4.16).
pub const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: i32 = 1 << 2;
/// `membarrier` command: a barrier on the running threads of the caller's own
/// process only (same `mm`): useless between processes (Linux 4.14).
pub const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i32 = 1 << 3;

/// `futex` operation: wake waiters on a word, shared between processes (no
/// `FUTEX_PRIVATE_FLAG`: a layout's word lives in a segment that several
/// processes map). See futex(2).
pub const FUTEX_WAKE: i32 = 1;
/// `futex` operation: sleep while the word holds a value (shared, as
/// [`FUTEX_WAKE`]).
pub const FUTEX_WAIT: i32 = 0;
/// `membarrier` command: registers for [`MEMBARRIER_CMD_PRIVATE_EXPEDITED`].
pub const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: i32 = 1 << 4;

// ---- <linux/time.h> -----------------------------------------------------------------
//
// Not System V IPC either: the clock a timed wait of the crate's layouts measures its
// deadline with (`semtimedop`'s timeout is relative, and a call may wait several
// times). Values of `include/uapi/linux/time.h`, the same on every arch.

/// `clock_gettime` clock: wall-clock time since the epoch (settable, may jump).
pub const CLOCK_REALTIME: i32 = 0;
/// `clock_gettime` clock: time since an unspecified point (boot), never set, never
/// going backwards; what a deadline is measured with.
pub const CLOCK_MONOTONIC: i32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_commands_match_libc() {
        let pairs: &[(i32, i32)] = &[
            (IPC_PRIVATE, libc::IPC_PRIVATE),
            (IPC_CREAT, libc::IPC_CREAT),
            (IPC_EXCL, libc::IPC_EXCL),
            (IPC_NOWAIT, libc::IPC_NOWAIT),
            (IPC_RMID, libc::IPC_RMID),
            (IPC_SET, libc::IPC_SET),
            (IPC_STAT, libc::IPC_STAT),
            (IPC_INFO, libc::IPC_INFO),
            (MSG_NOERROR, libc::MSG_NOERROR),
            (MSG_EXCEPT, libc::MSG_EXCEPT),
            (MSG_COPY, libc::MSG_COPY),
            (MSG_STAT, libc::MSG_STAT),
            (MSG_INFO, libc::MSG_INFO),
            (i32::from(SEM_UNDO), libc::SEM_UNDO),
            (GETPID, libc::GETPID),
            (GETVAL, libc::GETVAL),
            (GETALL, libc::GETALL),
            (GETNCNT, libc::GETNCNT),
            (GETZCNT, libc::GETZCNT),
            (SETVAL, libc::SETVAL),
            (SETALL, libc::SETALL),
            (SEM_STAT, libc::SEM_STAT),
            (SEM_INFO, libc::SEM_INFO),
            (SHM_RDONLY, libc::SHM_RDONLY),
            (SHM_RND, libc::SHM_RND),
            (SHM_REMAP, libc::SHM_REMAP),
            (SHM_EXEC, libc::SHM_EXEC),
            (SHM_LOCK, libc::SHM_LOCK),
            (SHM_UNLOCK, libc::SHM_UNLOCK),
            (SHM_HUGETLB, libc::SHM_HUGETLB),
            (SHM_NORESERVE, libc::SHM_NORESERVE),
            (AT_FDCWD, libc::AT_FDCWD),
            (MEMBARRIER_CMD_QUERY, libc::MEMBARRIER_CMD_QUERY),
            (MEMBARRIER_CMD_GLOBAL, libc::MEMBARRIER_CMD_GLOBAL),
            (
                MEMBARRIER_CMD_GLOBAL_EXPEDITED,
                libc::MEMBARRIER_CMD_GLOBAL_EXPEDITED,
            ),
            (
                MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
                libc::MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
            ),
            (
                MEMBARRIER_CMD_PRIVATE_EXPEDITED,
                libc::MEMBARRIER_CMD_PRIVATE_EXPEDITED,
            ),
            (
                MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                libc::MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
            ),
            (CLOCK_REALTIME, libc::CLOCK_REALTIME),
            (CLOCK_MONOTONIC, libc::CLOCK_MONOTONIC),
        ];
        for (i, (ours, theirs)) in pairs.iter().enumerate() {
            assert_eq!(ours, theirs, "constant #{i}");
        }
    }

    #[test]
    fn derived_limits_are_the_kernels() {
        // include/uapi/linux/msg.h: MSGPOOL = 32000 * 16384 / 1024, MSGSEG capped.
        assert_eq!(MSGPOOL, 512_000);
        assert_eq!(MSGSEG, 0xffff);
        assert_eq!(SEMMNS, 1_024_000_000);
        assert_eq!(SHMMAX, 0xffff_ffff_feff_ffff);
    }
}
