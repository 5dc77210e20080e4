//! A tour of System V IPC through the raw-syscall backend: a message queue, a
//! semaphore set and a shared memory segment are created (as private objects, so
//! nothing on the machine is touched), used, inspected and removed.
//!
//! Run with `cargo run --example tour`. Exits non-zero if any step fails.

use std::ffi::c_void;
use std::process::ExitCode;

use sysv_ipc::abi::*;
use sysv_ipc::{Backend, LinuxRaw};

fn main() -> ExitCode {
    match tour(&LinuxRaw) {
        Ok(()) => {
            println!("\nall steps worked; every object was removed");
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!("tour failed: {what}");
            ExitCode::FAILURE
        }
    }
}

fn step<T>(what: &str, r: Result<T, Errno>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

fn tour<B: Backend>(b: &B) -> Result<(), String> {
    println!(
        "pid {} — System V IPC through the raw backend\n",
        b.getpid()
    );

    // ---- message queue ----
    println!("message queue");
    let q = step("msgget", b.msgget(IPC_PRIVATE, IPC_CREAT | 0o600))?;
    println!("  created queue id {q} (mode 0600)");
    let result: Result<(), String> = (|| {
        for (mtype, text) in [
            (2i64, &b"second kind"[..]),
            (1, b"hello"),
            (2, b"more of kind two"),
        ] {
            let mut msg = mtype.to_ne_bytes().to_vec();
            msg.extend_from_slice(text);
            step("msgsnd", b.msgsnd(q, &msg, IPC_NOWAIT))?;
            println!("  sent type {mtype}: {:?}", String::from_utf8_lossy(text));
        }
        let mut ds = msqid64_ds::default();
        // SAFETY: `ds` is a live msqid64_ds, what IPC_STAT writes.
        step("msgctl(IPC_STAT)", unsafe {
            b.msgctl(q, IPC_STAT, (&raw mut ds).cast())
        })?;
        println!(
            "  queue holds {} messages, {} bytes (limit {})",
            ds.msg_qnum, ds.msg_cbytes, ds.msg_qbytes
        );
        let mut buf = [0u8; MTYPE_SIZE + 64];
        let n = step("msgrcv(type 1)", b.msgrcv(q, &mut buf, 1, IPC_NOWAIT))?;
        println!(
            "  received the first message of type 1: {:?}",
            String::from_utf8_lossy(&buf[8..8 + n])
        );
        let mut small = [0u8; MTYPE_SIZE + 4];
        let e = b
            .msgrcv(q, &mut small, 0, IPC_NOWAIT)
            .expect_err("a 4-byte buffer is too small");
        println!("  a 4-byte buffer for an 11-byte message: {e}; the message stays queued");
        while let Ok(n) = b.msgrcv(q, &mut buf, 0, IPC_NOWAIT) {
            let mtype = i64::from_ne_bytes(buf[..8].try_into().expect("8 bytes"));
            println!(
                "  drained type {mtype}: {:?}",
                String::from_utf8_lossy(&buf[8..8 + n])
            );
        }
        Ok(())
    })();
    // SAFETY: IPC_RMID reads no buffer.
    step("msgctl(IPC_RMID)", unsafe {
        b.msgctl(q, IPC_RMID, core::ptr::null_mut())
    })?;
    println!("  removed queue {q}");
    result?;

    // ---- semaphore set ----
    println!("\nsemaphore set");
    let s = step("semget", b.semget(IPC_PRIVATE, 2, IPC_CREAT | 0o600))?;
    println!("  created set id {s} with 2 semaphores");
    let result: Result<(), String> = (|| {
        // SAFETY: SETVAL takes the value itself as the argument word.
        step("semctl(SETVAL)", unsafe { b.semctl(s, 0, SETVAL, 1) })?;
        println!("  semaphore 0 set to 1 (a free lock)");
        let take = [
            sembuf {
                sem_num: 0,
                sem_op: -1,
                sem_flg: SEM_UNDO,
            },
            sembuf {
                sem_num: 1,
                sem_op: 1,
                sem_flg: 0,
            },
        ];
        step("semop", b.semop(s, &take))?;
        println!("  took the lock and counted once on semaphore 1, in one atomic semop");
        let again = [sembuf {
            sem_num: 0,
            sem_op: -1,
            sem_flg: IPC_NOWAIT as i16,
        }];
        let e = b.semop(s, &again).expect_err("the lock is taken");
        println!("  taking it again without waiting: {e}");
        let timeout = timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        };
        let e = b
            .semtimedop(
                s,
                &[sembuf {
                    sem_num: 0,
                    sem_op: -1,
                    sem_flg: 0,
                }],
                Some(&timeout),
            )
            .expect_err("still taken");
        println!("  waiting 20 ms for it: {e}");
        step(
            "semop",
            b.semop(
                s,
                &[sembuf {
                    sem_num: 0,
                    sem_op: 1,
                    sem_flg: SEM_UNDO,
                }],
            ),
        )?;
        let mut vals = [0u16; 2];
        // SAFETY: GETALL writes nsems (2) u16 values into `vals`.
        step("semctl(GETALL)", unsafe {
            b.semctl(s, 0, GETALL, vals.as_mut_ptr() as usize)
        })?;
        // SAFETY: GETPID reads no buffer.
        let pid = step("semctl(GETPID)", unsafe { b.semctl(s, 0, GETPID, 0) })?;
        println!("  released it; values now {vals:?}, last operated on by pid {pid}");
        Ok(())
    })();
    // SAFETY: IPC_RMID reads no buffer.
    step("semctl(IPC_RMID)", unsafe { b.semctl(s, 0, IPC_RMID, 0) })?;
    println!("  removed set {s}");
    result?;

    // ---- shared memory ----
    println!("\nshared memory");
    let m = step("shmget", b.shmget(IPC_PRIVATE, 10_000, IPC_CREAT | 0o600))?;
    println!("  created segment id {m} of 10000 bytes");
    let result: Result<(), String> = (|| {
        // SAFETY: a null address lets the kernel choose where to map.
        let p = step("shmat", unsafe { b.shmat(m, core::ptr::null(), 0) })?.cast::<u8>();
        let text = b"written through the mapping";
        for (i, &byte) in text.iter().enumerate() {
            // SAFETY: `p` maps at least 10000 writable bytes until shmdt below.
            unsafe { p.wrapping_add(i).write_volatile(byte) };
        }
        // SAFETY: a second, read-only attachment of the same segment.
        let r = step("shmat(SHM_RDONLY)", unsafe {
            b.shmat(m, core::ptr::null(), SHM_RDONLY)
        })?
        .cast::<u8>();
        // SAFETY: `r` maps at least 10000 readable bytes until shmdt below.
        let seen: Vec<u8> = (0..text.len())
            .map(|i| unsafe { r.wrapping_add(i).read_volatile() })
            .collect();
        println!(
            "  wrote at {p:p}, read back at {r:p}: {:?}",
            String::from_utf8_lossy(&seen)
        );
        let mut ds = shmid64_ds::default();
        // SAFETY: `ds` is a live shmid64_ds, what IPC_STAT writes.
        step("shmctl(IPC_STAT)", unsafe {
            b.shmctl(m, IPC_STAT, (&raw mut ds).cast())
        })?;
        println!(
            "  segment size {}, attachments {}, creator pid {}",
            ds.shm_segsz, ds.shm_nattch, ds.shm_cpid
        );
        // SAFETY: nothing refers into either mapping any more.
        step("shmdt", unsafe { b.shmdt(p.cast::<c_void>()) })?;
        // SAFETY: as above.
        step("shmdt", unsafe { b.shmdt(r.cast::<c_void>()) })?;
        if seen != text {
            return Err("the read-only attachment saw other bytes".into());
        }
        Ok(())
    })();
    // SAFETY: IPC_RMID reads no buffer.
    step("shmctl(IPC_RMID)", unsafe {
        b.shmctl(m, IPC_RMID, core::ptr::null_mut())
    })?;
    println!("  removed segment {m}");
    result?;

    // ---- limits ----
    let mut mi = msginfo::default();
    let mut si = seminfo::default();
    let mut hi = shminfo64::default();
    // SAFETY: each IPC_INFO writes the struct its call documents into a live local.
    step("msgctl(IPC_INFO)", unsafe {
        b.msgctl(0, IPC_INFO, (&raw mut mi).cast())
    })?;
    // SAFETY: as above (seminfo).
    step("semctl(IPC_INFO)", unsafe {
        b.semctl(0, 0, IPC_INFO, (&raw mut si) as usize)
    })?;
    // SAFETY: as above (shminfo64).
    step("shmctl(IPC_INFO)", unsafe {
        b.shmctl(0, IPC_INFO, (&raw mut hi).cast())
    })?;
    println!("\nlimits of this IPC namespace");
    println!(
        "  messages: max size {}, max bytes per queue {}, max queues {}",
        mi.msgmax, mi.msgmnb, mi.msgmni
    );
    println!(
        "  semaphores: {} per set, {} sets, {} ops per call, max value {}",
        si.semmsl, si.semmni, si.semopm, si.semvmx
    );
    println!(
        "  shared memory: max segment {} bytes, {} segments",
        hi.shmmax, hi.shmmni
    );
    Ok(())
}
