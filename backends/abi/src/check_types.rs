//! Sizes and every field offset of the kernel structs, per arch, checked at compile
//! time. The figures were measured with `offsetof` on `<linux/{ipc,msg,sem,shm}.h>`
//! for x86_64 and aarch64 (see kernel-notes §2.3). `backends/libc/tests/layouts.rs`
//! compares every field with the kernel's and glibc's headers and the libc crate on
//! both arches (aarch64 under qemu) at run time.

use crate::types::*;
use core::mem::{align_of, offset_of, size_of};
use static_assertions::const_assert_eq;

const_assert_eq!(size_of::<ipc64_perm>(), 48);
const_assert_eq!(align_of::<ipc64_perm>(), 8);
const_assert_eq!(offset_of!(ipc64_perm, key), 0);
const_assert_eq!(offset_of!(ipc64_perm, uid), 4);
const_assert_eq!(offset_of!(ipc64_perm, gid), 8);
const_assert_eq!(offset_of!(ipc64_perm, cuid), 12);
const_assert_eq!(offset_of!(ipc64_perm, cgid), 16);
const_assert_eq!(offset_of!(ipc64_perm, mode), 20);
const_assert_eq!(offset_of!(ipc64_perm, seq), 24);
const_assert_eq!(offset_of!(ipc64_perm, _pad2), 26);
const_assert_eq!(offset_of!(ipc64_perm, _unused1), 32);
const_assert_eq!(offset_of!(ipc64_perm, _unused2), 40);

const_assert_eq!(size_of::<msqid64_ds>(), 120);
const_assert_eq!(offset_of!(msqid64_ds, msg_perm), 0);
const_assert_eq!(offset_of!(msqid64_ds, msg_stime), 48);
const_assert_eq!(offset_of!(msqid64_ds, msg_rtime), 56);
const_assert_eq!(offset_of!(msqid64_ds, msg_ctime), 64);
const_assert_eq!(offset_of!(msqid64_ds, msg_cbytes), 72);
const_assert_eq!(offset_of!(msqid64_ds, msg_qnum), 80);
const_assert_eq!(offset_of!(msqid64_ds, msg_qbytes), 88);
const_assert_eq!(offset_of!(msqid64_ds, msg_lspid), 96);
const_assert_eq!(offset_of!(msqid64_ds, msg_lrpid), 100);
const_assert_eq!(offset_of!(msqid64_ds, _unused4), 104);
const_assert_eq!(offset_of!(msqid64_ds, _unused5), 112);

#[cfg(target_arch = "x86_64")]
mod sem_x86_64 {
    use super::*;
    const_assert_eq!(size_of::<semid64_ds>(), 104);
    const_assert_eq!(offset_of!(semid64_ds, sem_perm), 0);
    const_assert_eq!(offset_of!(semid64_ds, sem_otime), 48);
    const_assert_eq!(offset_of!(semid64_ds, _unused1), 56);
    const_assert_eq!(offset_of!(semid64_ds, sem_ctime), 64);
    const_assert_eq!(offset_of!(semid64_ds, _unused2), 72);
    const_assert_eq!(offset_of!(semid64_ds, sem_nsems), 80);
    const_assert_eq!(offset_of!(semid64_ds, _unused3), 88);
    const_assert_eq!(offset_of!(semid64_ds, _unused4), 96);
}

#[cfg(not(target_arch = "x86_64"))]
mod sem_generic {
    use super::*;
    const_assert_eq!(size_of::<semid64_ds>(), 88);
    const_assert_eq!(offset_of!(semid64_ds, sem_perm), 0);
    const_assert_eq!(offset_of!(semid64_ds, sem_otime), 48);
    const_assert_eq!(offset_of!(semid64_ds, sem_ctime), 56);
    const_assert_eq!(offset_of!(semid64_ds, sem_nsems), 64);
    const_assert_eq!(offset_of!(semid64_ds, _unused3), 72);
    const_assert_eq!(offset_of!(semid64_ds, _unused4), 80);
}

const_assert_eq!(size_of::<shmid64_ds>(), 112);
const_assert_eq!(offset_of!(shmid64_ds, shm_perm), 0);
const_assert_eq!(offset_of!(shmid64_ds, shm_segsz), 48);
const_assert_eq!(offset_of!(shmid64_ds, shm_atime), 56);
const_assert_eq!(offset_of!(shmid64_ds, shm_dtime), 64);
const_assert_eq!(offset_of!(shmid64_ds, shm_ctime), 72);
const_assert_eq!(offset_of!(shmid64_ds, shm_cpid), 80);
const_assert_eq!(offset_of!(shmid64_ds, shm_lpid), 84);
const_assert_eq!(offset_of!(shmid64_ds, shm_nattch), 88);
const_assert_eq!(offset_of!(shmid64_ds, _unused4), 96);
const_assert_eq!(offset_of!(shmid64_ds, _unused5), 104);

const_assert_eq!(size_of::<msginfo>(), 32);
const_assert_eq!(align_of::<msginfo>(), 4);
const_assert_eq!(offset_of!(msginfo, msgpool), 0);
const_assert_eq!(offset_of!(msginfo, msgmap), 4);
const_assert_eq!(offset_of!(msginfo, msgmax), 8);
const_assert_eq!(offset_of!(msginfo, msgmnb), 12);
const_assert_eq!(offset_of!(msginfo, msgmni), 16);
const_assert_eq!(offset_of!(msginfo, msgssz), 20);
const_assert_eq!(offset_of!(msginfo, msgtql), 24);
const_assert_eq!(offset_of!(msginfo, msgseg), 28);

const_assert_eq!(size_of::<seminfo>(), 40);
const_assert_eq!(align_of::<seminfo>(), 4);
const_assert_eq!(offset_of!(seminfo, semmap), 0);
const_assert_eq!(offset_of!(seminfo, semmni), 4);
const_assert_eq!(offset_of!(seminfo, semmns), 8);
const_assert_eq!(offset_of!(seminfo, semmnu), 12);
const_assert_eq!(offset_of!(seminfo, semmsl), 16);
const_assert_eq!(offset_of!(seminfo, semopm), 20);
const_assert_eq!(offset_of!(seminfo, semume), 24);
const_assert_eq!(offset_of!(seminfo, semusz), 28);
const_assert_eq!(offset_of!(seminfo, semvmx), 32);
const_assert_eq!(offset_of!(seminfo, semaem), 36);

const_assert_eq!(size_of::<shminfo64>(), 72);
const_assert_eq!(offset_of!(shminfo64, shmmax), 0);
const_assert_eq!(offset_of!(shminfo64, shmmin), 8);
const_assert_eq!(offset_of!(shminfo64, shmmni), 16);
const_assert_eq!(offset_of!(shminfo64, shmseg), 24);
const_assert_eq!(offset_of!(shminfo64, shmall), 32);
const_assert_eq!(offset_of!(shminfo64, _unused1), 40);
const_assert_eq!(offset_of!(shminfo64, _unused4), 64);

const_assert_eq!(size_of::<shm_info>(), 48);
const_assert_eq!(offset_of!(shm_info, used_ids), 0);
const_assert_eq!(offset_of!(shm_info, shm_tot), 8);
const_assert_eq!(offset_of!(shm_info, shm_rss), 16);
const_assert_eq!(offset_of!(shm_info, shm_swp), 24);
const_assert_eq!(offset_of!(shm_info, swap_attempts), 32);
const_assert_eq!(offset_of!(shm_info, swap_successes), 40);

const_assert_eq!(size_of::<sembuf>(), 6);
const_assert_eq!(align_of::<sembuf>(), 2);
const_assert_eq!(offset_of!(sembuf, sem_num), 0);
const_assert_eq!(offset_of!(sembuf, sem_op), 2);
const_assert_eq!(offset_of!(sembuf, sem_flg), 4);

const_assert_eq!(size_of::<timespec>(), 16);
const_assert_eq!(offset_of!(timespec, tv_sec), 0);
const_assert_eq!(offset_of!(timespec, tv_nsec), 8);

// semctl's `union semun` travels by value in one register, and SETVAL's `int`
// sits in its low half only on little-endian targets.
#[cfg(target_endian = "big")]
compile_error!("sysv-ipc-abi: big-endian targets pass semun differently; not supported");
