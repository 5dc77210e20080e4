//! The kernel's `#[repr(C)]` structs for System V IPC on 64-bit Linux.
//!
//! These are the `*64` layouts of `include/uapi/asm-generic/{ipcbuf,msgbuf,sembuf,shmbuf}.h`
//! and `arch/x86/include/uapi/asm/sembuf.h`, which x86_64 and aarch64 use natively
//! (no `IPC_64` bit; see [`IPC_64`](crate::IPC_64)). Only `semid64_ds` differs
//! between the two: x86_64 keeps an unused word after each time field.
//!
//! Field names are the kernel's; every implicit padding is spelled out as a `_pad`
//! field so that the structs are [`IntoBytes`] (no uninitialised bytes ever reach
//! the kernel or a peer). Sizes and offsets are pinned in `check_types.rs`.
//!
//! They are a kernel's layouts on x86_64 and aarch64 only. This crate still builds on
//! other 64-bit targets, where the arch-free mock backend uses the same shapes, but
//! there they are not that kernel's (powerpc64's `shmid64_ds` puts `shm_segsz` after
//! the time fields): both real backends refuse any other arch at compile time.
#![allow(non_camel_case_types)]

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

macro_rules! kernel_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

kernel_struct! {
    /// `struct ipc64_perm`: owner, creator and mode of an IPC object (48 bytes).
    pub struct ipc64_perm {
        /// The key the object was created with (`IPC_PRIVATE` once removed).
        pub key: i32,
        /// Owner's user id.
        pub uid: u32,
        /// Owner's group id.
        pub gid: u32,
        /// Creator's user id.
        pub cuid: u32,
        /// Creator's group id.
        pub cgid: u32,
        /// Permission bits (low 9) and state bits such as `SHM_DEST`.
        pub mode: u32,
        /// Slot sequence number: part of the id, bumped when a slot is reused.
        pub seq: u16,
        /// Padding (`__pad2`).
        pub _pad2: u16,
        /// Implicit padding before the 8-byte fields.
        pub _pad3: u32,
        /// Reserved (`__unused1`).
        pub _unused1: u64,
        /// Reserved (`__unused2`).
        pub _unused2: u64,
    }
}

kernel_struct! {
    /// `struct msqid64_ds`: the state of a message queue (120 bytes).
    pub struct msqid64_ds {
        /// Ownership and permissions.
        pub msg_perm: ipc64_perm,
        /// Time of the last `msgsnd` (seconds since the epoch).
        pub msg_stime: i64,
        /// Time of the last `msgrcv`.
        pub msg_rtime: i64,
        /// Time of creation or the last `IPC_SET`.
        pub msg_ctime: i64,
        /// Bytes of message text on the queue.
        pub msg_cbytes: u64,
        /// Messages on the queue.
        pub msg_qnum: u64,
        /// Maximum bytes of message text the queue holds.
        pub msg_qbytes: u64,
        /// Pid of the last `msgsnd`.
        pub msg_lspid: i32,
        /// Pid of the last `msgrcv`.
        pub msg_lrpid: i32,
        /// Reserved.
        pub _unused4: u64,
        /// Reserved.
        pub _unused5: u64,
    }
}

#[cfg(not(target_arch = "x86_64"))]
kernel_struct! {
    /// `struct semid64_ds`: the state of a semaphore set (88 bytes on aarch64).
    pub struct semid64_ds {
        /// Ownership and permissions.
        pub sem_perm: ipc64_perm,
        /// Time of the last `semop` (0 until the first one).
        pub sem_otime: i64,
        /// Time of creation or the last change by `semctl`.
        pub sem_ctime: i64,
        /// Number of semaphores in the set.
        pub sem_nsems: u64,
        /// Reserved.
        pub _unused3: u64,
        /// Reserved.
        pub _unused4: u64,
    }
}

#[cfg(target_arch = "x86_64")]
kernel_struct! {
    /// `struct semid64_ds`: the state of a semaphore set (104 bytes on x86_64,
    /// which keeps an unused word after each time field).
    pub struct semid64_ds {
        /// Ownership and permissions.
        pub sem_perm: ipc64_perm,
        /// Time of the last `semop` (0 until the first one).
        pub sem_otime: i64,
        /// Reserved (`__unused1`).
        pub _unused1: u64,
        /// Time of creation or the last change by `semctl`.
        pub sem_ctime: i64,
        /// Reserved (`__unused2`).
        pub _unused2: u64,
        /// Number of semaphores in the set.
        pub sem_nsems: u64,
        /// Reserved.
        pub _unused3: u64,
        /// Reserved.
        pub _unused4: u64,
    }
}

kernel_struct! {
    /// `struct shmid64_ds`: the state of a shared memory segment (112 bytes).
    pub struct shmid64_ds {
        /// Ownership and permissions (`mode` also carries `SHM_DEST`, `SHM_LOCKED`).
        pub shm_perm: ipc64_perm,
        /// Size in bytes as requested at creation (the mapping is page-granular).
        pub shm_segsz: u64,
        /// Time of the last `shmat`.
        pub shm_atime: i64,
        /// Time of the last `shmdt`.
        pub shm_dtime: i64,
        /// Time of creation or the last `IPC_SET`.
        pub shm_ctime: i64,
        /// Pid of the creator.
        pub shm_cpid: i32,
        /// Pid of the last `shmat`/`shmdt`.
        pub shm_lpid: i32,
        /// Number of current attachments.
        pub shm_nattch: u64,
        /// Reserved.
        pub _unused4: u64,
        /// Reserved.
        pub _unused5: u64,
    }
}

kernel_struct! {
    /// `struct msginfo`: message queue limits (`IPC_INFO`) or usage (`MSG_INFO`), 32 bytes.
    ///
    /// With `MSG_INFO`, `msgpool` holds the number of queues in use, `msgmap` the
    /// number of messages and `msgtql` the bytes of message text.
    pub struct msginfo {
        /// Pool size in KiB (`MSG_INFO`: queues in use).
        pub msgpool: i32,
        /// Map entries (`MSG_INFO`: messages queued).
        pub msgmap: i32,
        /// Maximum message text size.
        pub msgmax: i32,
        /// Default maximum bytes per queue.
        pub msgmnb: i32,
        /// Maximum number of queues.
        pub msgmni: i32,
        /// Message segment size.
        pub msgssz: i32,
        /// Maximum messages (`MSG_INFO`: bytes queued).
        pub msgtql: i32,
        /// Maximum segments.
        pub msgseg: u16,
        /// Trailing padding.
        pub _pad: u16,
    }
}

kernel_struct! {
    /// `struct seminfo`: semaphore limits (`IPC_INFO`) or usage (`SEM_INFO`), 40 bytes.
    ///
    /// With `SEM_INFO`, `semusz` holds the number of sets in use and `semaem` the
    /// number of semaphores in use.
    pub struct seminfo {
        /// Map entries.
        pub semmap: i32,
        /// Maximum number of sets.
        pub semmni: i32,
        /// Maximum semaphores in the system.
        pub semmns: i32,
        /// Undo structures.
        pub semmnu: i32,
        /// Maximum semaphores per set.
        pub semmsl: i32,
        /// Maximum operations per `semop`.
        pub semopm: i32,
        /// Maximum undo entries per process.
        pub semume: i32,
        /// Undo structure size (`SEM_INFO`: sets in use).
        pub semusz: i32,
        /// Maximum semaphore value.
        pub semvmx: i32,
        /// Maximum adjust-on-exit value (`SEM_INFO`: semaphores in use).
        pub semaem: i32,
    }
}

kernel_struct! {
    /// `struct shminfo64`: shared memory limits, written by `shmctl(IPC_INFO)` (72 bytes).
    pub struct shminfo64 {
        /// Maximum segment size.
        pub shmmax: u64,
        /// Minimum segment size.
        pub shmmin: u64,
        /// Maximum number of segments.
        pub shmmni: u64,
        /// Maximum segments per process.
        pub shmseg: u64,
        /// Maximum total pages.
        pub shmall: u64,
        /// Reserved.
        pub _unused1: u64,
        /// Reserved.
        pub _unused2: u64,
        /// Reserved.
        pub _unused3: u64,
        /// Reserved.
        pub _unused4: u64,
    }
}

kernel_struct! {
    /// `struct shm_info`: shared memory usage, written by `shmctl(SHM_INFO)` (48 bytes).
    pub struct shm_info {
        /// Segments in use.
        pub used_ids: i32,
        /// Implicit padding.
        pub _pad: u32,
        /// Total pages allocated.
        pub shm_tot: u64,
        /// Resident pages.
        pub shm_rss: u64,
        /// Swapped pages.
        pub shm_swp: u64,
        /// Unused since Linux 2.4.
        pub swap_attempts: u64,
        /// Unused since Linux 2.4.
        pub swap_successes: u64,
    }
}

kernel_struct! {
    /// `struct sembuf`: one operation of a `semop` call (6 bytes).
    pub struct sembuf {
        /// Index of the semaphore in the set.
        pub sem_num: u16,
        /// Amount to add (> 0), to wait for and subtract (< 0), or 0 to wait for zero.
        pub sem_op: i16,
        /// `IPC_NOWAIT` and/or `SEM_UNDO`.
        pub sem_flg: i16,
    }
}

kernel_struct! {
    /// `struct __kernel_timespec`: a relative timeout for `semtimedop` (16 bytes).
    pub struct timespec {
        /// Seconds.
        pub tv_sec: i64,
        /// Nanoseconds, `0..1_000_000_000` (else `EINVAL`).
        pub tv_nsec: i64,
    }
}

/// The two `stat` fields that `ftok` uses: device and inode of a file, after
/// following symlinks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileId {
    /// `st_dev`, as the kernel encodes it (`new_encode_dev`).
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}
