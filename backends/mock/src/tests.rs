//! Tests of the model alone. Expected values come from the kernel source and,
//! where noted, from probes on 6.18 in a fresh namespace.

extern crate std;

use std::boxed::Box;
use std::vec;
use std::vec::Vec;

use sysv_ipc_abi::*;

use crate::{Call, Caps, DISTINCT_ADDRESSES, Limits, Mock, OnBlock, Process};

type M = Mock;

fn mk() -> Box<M> {
    let m = Box::new(Mock::new());
    m.set_on_block(OnBlock::Fail);
    m
}

fn msgbuf(mtype: i64, text: &[u8]) -> Vec<u8> {
    let mut v = mtype.to_ne_bytes().to_vec();
    v.extend_from_slice(text);
    v
}

fn mtype_of(buf: &[u8]) -> i64 {
    let mut t = [0u8; 8];
    t.copy_from_slice(&buf[..8]);
    i64::from_ne_bytes(t)
}

fn msgctl_ds(m: &M, id: i32, cmd: i32, ds: &mut msqid64_ds) -> Result<i32, Errno> {
    // SAFETY: `ds` is a live msqid64_ds, what every command used here reads or writes.
    unsafe { m.msgctl(id, cmd, (ds as *mut msqid64_ds).cast()) }
}

fn msgstat(m: &M, id: i32) -> Result<msqid64_ds, Errno> {
    let mut ds = msqid64_ds::default();
    msgctl_ds(m, id, IPC_STAT, &mut ds).map(|_| ds)
}

fn msg_info(m: &M, cmd: i32) -> (i32, msginfo) {
    let mut i = msginfo::default();
    // SAFETY: `i` is a live msginfo, what IPC_INFO and MSG_INFO write.
    let r = unsafe { m.msgctl(0, cmd, (&mut i as *mut msginfo).cast()) }.unwrap();
    (r, i)
}

fn rmid_msg(m: &M, id: i32) -> Result<i32, Errno> {
    // SAFETY: IPC_RMID does not touch the pointer.
    unsafe { m.msgctl(id, IPC_RMID, core::ptr::null_mut()) }
}

fn semctl(m: &M, id: i32, num: i32, cmd: i32, arg: usize) -> Result<i32, Errno> {
    // SAFETY: only used with commands whose `arg` is a value or ignored, or with a
    // null pointer (0), which the mock refuses with EFAULT.
    unsafe { m.semctl(id, num, cmd, core::ptr::without_provenance_mut(arg)) }
}

fn semstat(m: &M, id: i32, cmd: i32) -> Result<(i32, semid64_ds), Errno> {
    let mut ds = semid64_ds::default();
    // SAFETY: `ds` is a live semid64_ds, what the *STAT commands write.
    let r = unsafe { m.semctl(id, 0, cmd, (&raw mut ds).cast()) }?;
    Ok((r, ds))
}

fn sem_info(m: &M, cmd: i32) -> (i32, seminfo) {
    let mut i = seminfo::default();
    // SAFETY: `i` is a live seminfo, what IPC_INFO and SEM_INFO write.
    let r = unsafe { m.semctl(0, 0, cmd, (&raw mut i).cast()) }.unwrap();
    (r, i)
}

fn getall(m: &M, id: i32, n: usize) -> Result<Vec<u16>, Errno> {
    let mut v = vec![0u16; n];
    // SAFETY: `v` holds `n` u16, the set's size in every call here.
    unsafe { m.semctl(id, 0, GETALL, v.as_mut_ptr().cast()) }?;
    Ok(v)
}

fn setall(m: &M, id: i32, vals: &[u16]) -> Result<i32, Errno> {
    // SAFETY: `vals` holds the set's size of u16 in every call here; SETALL only reads.
    unsafe { m.semctl(id, 0, SETALL, vals.as_ptr().cast_mut().cast()) }
}

fn sops(ops: &[(u16, i16, i16)]) -> Vec<sembuf> {
    ops.iter()
        .map(|&(n, o, f)| sembuf {
            sem_num: n,
            sem_op: o,
            sem_flg: f,
        })
        .collect()
}

fn shmstat(m: &M, id: i32, cmd: i32) -> Result<(i32, shmid64_ds), Errno> {
    let mut ds = shmid64_ds::default();
    // SAFETY: `ds` is a live shmid64_ds, what the *STAT commands write.
    let r = unsafe { m.shmctl(id, cmd, (&mut ds as *mut shmid64_ds).cast()) }?;
    Ok((r, ds))
}

fn shmctl0(m: &M, id: i32, cmd: i32) -> Result<i32, Errno> {
    // SAFETY: only used with IPC_RMID, SHM_LOCK, SHM_UNLOCK and unknown commands,
    // none of which touch the pointer.
    unsafe { m.shmctl(id, cmd, core::ptr::null_mut()) }
}

fn shmat(m: &M, id: i32, flg: i32) -> Result<*mut u8, Errno> {
    // SAFETY: a null address asks the model to choose; nothing of ours is replaced.
    unsafe { m.shmat(id, core::ptr::null(), flg) }.map(|p| p.cast())
}

fn shmdt(m: &M, p: *const u8) -> Result<(), Errno> {
    // SAFETY: no reference into the attachment outlives this call in these tests.
    unsafe { m.shmdt(p.cast()) }
}

// ---- ids, keys, permissions -------------------------------------------------------

#[test]
fn ipcget_order_and_errors() {
    let m = mk();
    assert_eq!(m.msgget(0x10, 0o600), Err(Errno::NOENT));
    let id = m.msgget(0x10, IPC_CREAT | 0o600).unwrap();
    assert_eq!(m.msgget(0x10, 0), Ok(id));
    assert_eq!(m.msgget(0x10, IPC_CREAT), Ok(id));
    assert_eq!(m.msgget(0x10, IPC_CREAT | IPC_EXCL), Err(Errno::EXIST));
    // IPC_PRIVATE always creates, even with IPC_EXCL.
    let p1 = m.msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0o600).unwrap();
    let p2 = m.msgget(IPC_PRIVATE, 0).unwrap();
    assert_ne!(p1, p2);
    // Permission is checked after EEXIST and after the size check.
    m.set_process(Process::user(2, 1000, 1000));
    assert_eq!(m.msgget(0x10, 0o400), Err(Errno::ACCES));
    assert_eq!(m.msgget(0x10, 0), Ok(id), "no bits requested, none needed");
    assert_eq!(
        m.msgget(0x10, IPC_CREAT | IPC_EXCL | 0o400),
        Err(Errno::EXIST)
    );
    m.set_process(Process::root(1));
    let s = m.semget(0x20, 2, IPC_CREAT | 0o600).unwrap();
    m.set_process(Process::user(2, 1000, 1000));
    assert_eq!(
        m.semget(0x20, 3, 0o600),
        Err(Errno::INVAL),
        "nsems check before EACCES"
    );
    assert_eq!(m.semget(0x20, 2, 0o600), Err(Errno::ACCES));
    m.set_process(Process::root(1));
    assert_eq!(m.semget(0x20, 0, 0), Ok(s));
    let sh = m.shmget(0x30, 100, IPC_CREAT | 0o600).unwrap();
    assert_eq!(m.shmget(0x30, 200, 0), Err(Errno::INVAL));
    assert_eq!(m.shmget(0x30, 50, IPC_CREAT), Ok(sh));
    assert_eq!(m.shmget(0x30, 0, 0), Ok(sh));
}

#[test]
fn ids_match_a_fresh_namespace() {
    // Measured on 6.18: 0, 1, 2; rm 1; -> 3; rm all; -> 4. Kinds count separately.
    let m = mk();
    let a = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    let b = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    let c = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    assert_eq!((a, b, c), (0, 1, 2));
    rmid_msg(&m, b).unwrap();
    let d = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(d, 3);
    for id in [a, c, d] {
        rmid_msg(&m, id).unwrap();
    }
    assert_eq!(m.msgget(IPC_PRIVATE, 0o600), Ok(4));
    assert_eq!(m.semget(IPC_PRIVATE, 1, 0o600), Ok(0));
    assert_eq!(m.shmget(IPC_PRIVATE, 1, 0o600), Ok(0));
    // Stale ids are EINVAL, whatever the command.
    assert_eq!(msgstat(&m, b).map(|_| ()), Err(Errno::INVAL));
    assert_eq!(m.msgsnd(b, &msgbuf(1, b"x"), 0), Err(Errno::INVAL));
    assert_eq!(msgstat(&m, 4 + (1 << 15)).map(|_| ()), Err(Errno::INVAL));
    // A new queue in a slot reused after wrapping gets seq 1.
    let m = mk();
    for i in 0..64 {
        let id = m.msgget(IPC_PRIVATE, 0o600).unwrap();
        assert_eq!(id, i);
        rmid_msg(&m, id).unwrap();
    }
    let id = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(id, 1 << 15);
    assert_eq!(msgstat(&m, id).unwrap().msg_perm.seq, 1);
    assert_eq!(msgstat(&m, 0).map(|_| ()), Err(Errno::INVAL));
}

#[test]
fn ctl_owner_rules_and_ipc_set() {
    let m = mk();
    m.set_process(Process::user(10, 1000, 100));
    let id = m.msgget(IPC_PRIVATE, 0o666).unwrap();
    m.set_process(Process::user(11, 2000, 100));
    assert_eq!(rmid_msg(&m, id), Err(Errno::PERM));
    let mut ds = msgstat(&m, id).unwrap();
    assert_eq!(
        (ds.msg_perm.uid, ds.msg_perm.cuid, ds.msg_perm.gid),
        (1000, 1000, 100)
    );
    ds.msg_perm.mode = 0o640;
    assert_eq!(msgctl_ds(&m, id, IPC_SET, &mut ds), Err(Errno::PERM));
    m.set_process(Process::user(10, 1000, 100));
    ds.msg_perm.uid = 2000;
    m.set_now(1234);
    assert_eq!(msgctl_ds(&m, id, IPC_SET, &mut ds), Ok(0));
    let now = msgstat(&m, id).unwrap();
    assert_eq!(
        (
            now.msg_perm.uid,
            now.msg_perm.cuid,
            now.msg_perm.mode,
            now.msg_ctime
        ),
        (2000, 1000, 0o640, 1234)
    );
    // New owner and old creator both may; others may not, unless CAP_SYS_ADMIN.
    m.set_process(Process::user(12, 3000, 5).with_caps(Caps::SYS_ADMIN));
    assert_eq!(msgctl_ds(&m, id, IPC_SET, &mut ds), Ok(0));
    m.set_process(Process::user(11, 2000, 100));
    ds.msg_perm.uid = u32::MAX;
    assert_eq!(msgctl_ds(&m, id, IPC_SET, &mut ds), Err(Errno::INVAL));
    assert_eq!(rmid_msg(&m, id), Ok(0));
}

// ---- message queues -----------------------------------------------------------------

#[test]
fn msg_type_selection() {
    let m = mk();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    for (t, s) in [(5, "a"), (3, "b"), (5, "c"), (1, "d"), (2, "e")] {
        m.msgsnd(q, &msgbuf(t, s.as_bytes()), 0).unwrap();
    }
    let mut buf = [0u8; 16];
    let mut rcv = |typ: i64, flg: i32| {
        m.msgrcv(q, &mut buf, typ, flg | IPC_NOWAIT)
            .map(|n| (mtype_of(&buf), buf[8..8 + n].to_vec()))
    };
    assert_eq!(rcv(5, MSG_EXCEPT), Ok((3, b"b".to_vec())));
    assert_eq!(rcv(-4, 0), Ok((1, b"d".to_vec())), "lowest type <= 4");
    assert_eq!(rcv(5, 0), Ok((5, b"a".to_vec())));
    assert_eq!(rcv(-9, 0), Ok((2, b"e".to_vec())));
    assert_eq!(rcv(7, 0), Err(Errno::NOMSG));
    assert_eq!(
        rcv(i64::MIN, 0),
        Ok((5, b"c".to_vec())),
        "LONG_MIN is LONG_MAX"
    );
    assert_eq!(rcv(0, 0), Err(Errno::NOMSG));
    let st = msgstat(&m, q).unwrap();
    assert_eq!((st.msg_qnum, st.msg_cbytes), (0, 0));
}

#[test]
fn msg_sizes_e2big_noerror_and_bad_input() {
    let m = mk();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(m.msgsnd(q, &[0u8; 7], 0), Err(Errno::INVAL));
    assert_eq!(m.msgsnd(q, &msgbuf(0, b"x"), 0), Err(Errno::INVAL));
    assert_eq!(m.msgsnd(q, &msgbuf(-3, b"x"), 0), Err(Errno::INVAL));
    assert_eq!(m.msgsnd(q, &msgbuf(1, &[0; 8193]), 0), Err(Errno::INVAL));
    assert_eq!(m.msgsnd(-1, &msgbuf(1, b"x"), 0), Err(Errno::INVAL));
    assert_eq!(m.msgsnd(q, &msgbuf(1, &[7; 8192]), 0), Ok(()));
    assert_eq!(m.msgsnd(q, &msgbuf(2, b"0123456789abcdef"), 0), Ok(()));
    let mut small = [0u8; 8 + 4];
    assert_eq!(m.msgrcv(q, &mut small, 2, 0), Err(Errno::TOOBIG));
    assert_eq!(
        msgstat(&m, q).unwrap().msg_qnum,
        2,
        "E2BIG leaves it queued"
    );
    assert_eq!(m.msgrcv(q, &mut small, 2, MSG_NOERROR), Ok(4));
    assert_eq!(&small[8..], b"0123");
    assert_eq!(m.msgrcv(q, &mut [0u8; 7], 0, 0), Err(Errno::INVAL));
    assert_eq!(m.msgrcv(-1, &mut small, 0, 0), Err(Errno::INVAL));
    let st = msgstat(&m, q).unwrap();
    assert_eq!((st.msg_qnum, st.msg_cbytes), (1, 8192));
    // Empty text is a message too.
    assert_eq!(m.msgsnd(q, &msgbuf(9, b""), 0), Ok(()));
    assert_eq!(m.msgrcv(q, &mut small, 9, IPC_NOWAIT), Ok(0));
    assert_eq!(mtype_of(&small), 9);
}

#[test]
fn msg_copy_like_this_kernel() {
    // Probed on 6.18: MSG_COPY needs IPC_NOWAIT and no MSG_EXCEPT (EINVAL), msgtyp
    // is a position, E2BIG for a small buffer, EINVAL with MSG_NOERROR then.
    let m = mk();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    m.msgsnd(q, &msgbuf(5, b"hello"), 0).unwrap();
    m.msgsnd(q, &msgbuf(6, b"world!"), 0).unwrap();
    let mut buf = [0u8; 8 + 64];
    assert_eq!(m.msgrcv(q, &mut buf, 1, MSG_COPY | IPC_NOWAIT), Ok(6));
    assert_eq!((mtype_of(&buf), &buf[8..14]), (6, &b"world!"[..]));
    assert_eq!(
        m.msgrcv(q, &mut buf, 2, MSG_COPY | IPC_NOWAIT),
        Err(Errno::NOMSG)
    );
    assert_eq!(
        m.msgrcv(q, &mut buf, -1, MSG_COPY | IPC_NOWAIT),
        Err(Errno::NOMSG)
    );
    assert_eq!(m.msgrcv(q, &mut buf, 0, MSG_COPY), Err(Errno::INVAL));
    assert_eq!(
        m.msgrcv(q, &mut buf, 0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT),
        Err(Errno::INVAL)
    );
    let mut small = [0u8; 8 + 3];
    assert_eq!(
        m.msgrcv(q, &mut small, 0, MSG_COPY | IPC_NOWAIT),
        Err(Errno::TOOBIG)
    );
    assert_eq!(
        m.msgrcv(q, &mut small, 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR),
        Err(Errno::INVAL)
    );
    let st = msgstat(&m, q).unwrap();
    assert_eq!(
        (st.msg_qnum, st.msg_rtime, st.msg_lrpid),
        (2, 0, 0),
        "copies change nothing"
    );
}

#[test]
fn msg_queue_full_accounting() {
    let m = mk();
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    let mut ds = msgstat(&m, q).unwrap();
    assert_eq!(ds.msg_qbytes, 16384);
    ds.msg_qbytes = 3;
    msgctl_ds(&m, q, IPC_SET, &mut ds).unwrap();
    // qbytes bounds the count too: three empty messages fill a 3-byte queue.
    for _ in 0..3 {
        m.msgsnd(q, &msgbuf(1, b""), IPC_NOWAIT).unwrap();
    }
    assert_eq!(m.msgsnd(q, &msgbuf(1, b""), IPC_NOWAIT), Err(Errno::AGAIN));
    assert_eq!(m.msgsnd(q, &msgbuf(1, b""), 0), Err(Errno::DEADLK));
    assert_eq!(m.would_block_count(), 1);
    ds.msg_qbytes = 10;
    msgctl_ds(&m, q, IPC_SET, &mut ds).unwrap();
    assert_eq!(m.msgsnd(q, &msgbuf(1, b"1234567"), IPC_NOWAIT), Ok(()));
    assert_eq!(
        m.msgsnd(q, &msgbuf(1, b"abcd"), IPC_NOWAIT),
        Err(Errno::AGAIN),
        "7 + 4 bytes > 10"
    );
    assert_eq!(
        m.msgsnd(q, &msgbuf(1, b"abc"), IPC_NOWAIT),
        Ok(()),
        "10 bytes, 5 msgs"
    );
    let mut buf = [0u8; 16];
    assert_eq!(m.msgrcv(q, &mut buf, 0, 0), Ok(0));
    assert_eq!(m.msgrcv(q, &mut [0u8; 8], 0, IPC_NOWAIT), Ok(0));
    assert_eq!(
        m.msgsnd(q, &msgbuf(1, b"x"), IPC_NOWAIT),
        Err(Errno::AGAIN),
        "11 bytes"
    );
    assert_eq!(
        m.msgsnd(q, &msgbuf(1, b""), IPC_NOWAIT),
        Ok(()),
        "10 bytes, 4 msgs"
    );
    let st = msgstat(&m, q).unwrap();
    assert_eq!((st.msg_qnum, st.msg_cbytes), (4, 10));
}

#[test]
fn msg_qbytes_needs_cap_sys_resource() {
    let m = mk();
    m.set_process(Process::user(5, 1000, 1000));
    let q = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    let mut ds = msgstat(&m, q).unwrap();
    ds.msg_qbytes = 16385;
    assert_eq!(msgctl_ds(&m, q, IPC_SET, &mut ds), Err(Errno::PERM));
    ds.msg_qbytes = 16384;
    assert_eq!(msgctl_ds(&m, q, IPC_SET, &mut ds), Ok(0));
    // msgctl_down takes qbytes as an int: 2^32 + 5 is 5; -1 compares as
    // 0xffffffff (EPERM without CAP_SYS_RESOURCE) and is stored as ULONG_MAX.
    ds.msg_qbytes = (1 << 32) + 5;
    assert_eq!(msgctl_ds(&m, q, IPC_SET, &mut ds), Ok(0));
    assert_eq!(msgstat(&m, q).unwrap().msg_qbytes, 5);
    ds.msg_qbytes = u32::MAX as u64;
    assert_eq!(msgctl_ds(&m, q, IPC_SET, &mut ds), Err(Errno::PERM));
    m.set_process(Process::user(5, 1000, 1000).with_caps(Caps::SYS_RESOURCE));
    assert_eq!(msgctl_ds(&m, q, IPC_SET, &mut ds), Ok(0));
    assert_eq!(
        msgstat(&m, q).unwrap().msg_qbytes,
        u64::MAX,
        "the int -1, sign-extended"
    );
    ds.msg_qbytes = 100_000;
    assert_eq!(msgctl_ds(&m, q, IPC_SET, &mut ds), Ok(0));
}

#[test]
fn msg_stat_fields_and_info() {
    let m = mk();
    m.set_now(500);
    m.set_process(Process::user(41, 1000, 1000));
    let q0 = m.msgget(IPC_PRIVATE, 0o600).unwrap();
    let q1 = m.msgget(0x99, IPC_CREAT | 0o640).unwrap();
    m.advance(10);
    m.msgsnd(q1, &msgbuf(1, b"abc"), 0).unwrap();
    m.set_process(Process::user(42, 1000, 1000));
    m.advance(10);
    m.msgsnd(q1, &msgbuf(1, b"de"), 0).unwrap();
    m.msgrcv(q1, &mut [0u8; 16], 0, 0).unwrap();
    let st = msgstat(&m, q1).unwrap();
    assert_eq!((st.msg_stime, st.msg_rtime, st.msg_ctime), (520, 520, 500));
    assert_eq!(
        (st.msg_lspid, st.msg_lrpid, st.msg_qnum, st.msg_cbytes),
        (42, 42, 1, 2)
    );
    assert_eq!((st.msg_perm.key, st.msg_perm.mode), (0x99, 0o640));
    let (r, i) = msg_info(&m, IPC_INFO);
    assert_eq!(r, 1, "highest index");
    assert_eq!(
        (i.msgmax, i.msgmnb, i.msgmni, i.msgpool, i.msgmap, i.msgtql),
        (8192, 16384, 32000, 512_000, 16384, 16384)
    );
    assert_eq!((i.msgssz, i.msgseg), (16, 0xffff));
    let (r, i) = msg_info(&m, MSG_INFO);
    assert_eq!((r, i.msgpool, i.msgmap, i.msgtql), (1, 2, 1, 2));
    // MSG_STAT takes an index, returns the id; MSG_STAT_ANY skips the read check.
    let mut ds = msqid64_ds::default();
    assert_eq!(msgctl_ds(&m, 1, MSG_STAT, &mut ds), Ok(q1));
    assert_eq!(
        msgctl_ds(&m, q1 | (3 << 15), MSG_STAT, &mut ds),
        Ok(q1),
        "only the index counts"
    );
    assert_eq!(msgctl_ds(&m, 5, MSG_STAT, &mut ds), Err(Errno::INVAL));
    rmid_msg(&m, q1).unwrap();
    assert_eq!(msg_info(&m, IPC_INFO).0, 0);
    m.set_process(Process::user(43, 3000, 3000));
    assert_eq!(msgctl_ds(&m, q0, MSG_STAT, &mut ds), Err(Errno::ACCES));
    assert_eq!(msgctl_ds(&m, q0, MSG_STAT_ANY, &mut ds), Ok(q0));
    // Null pointers fault only where the kernel copies; bad ids/cmds come first.
    // SAFETY: null is what is being tested; the mock checks before writing.
    let ctl = |id, cmd| unsafe { m.msgctl(id, cmd, core::ptr::null_mut()) };
    assert_eq!(ctl(0, IPC_INFO), Err(Errno::FAULT));
    assert_eq!(ctl(q0, IPC_SET), Err(Errno::FAULT));
    assert_eq!(ctl(q0, IPC_STAT), Err(Errno::ACCES));
    assert_eq!(ctl(99, IPC_STAT), Err(Errno::INVAL));
    assert_eq!(ctl(q0, 77), Err(Errno::INVAL));
    assert_eq!(ctl(-1, IPC_INFO), Err(Errno::INVAL));
    assert_eq!(ctl(q0, -1), Err(Errno::INVAL));
    assert_eq!(ctl(q0, IPC_STAT | IPC_64), Err(Errno::INVAL));
}

#[test]
fn msg_permissions() {
    let m = mk();
    m.set_process(Process::user(1, 1000, 1000));
    let q = m.msgget(IPC_PRIVATE, 0o620).unwrap();
    m.set_process(Process::user(2, 2000, 1000));
    assert_eq!(m.msgsnd(q, &msgbuf(1, b"x"), 0), Ok(()));
    assert_eq!(m.msgrcv(q, &mut [0u8; 9], 0, IPC_NOWAIT), Err(Errno::ACCES));
    m.set_process(Process::user(3, 3000, 3000));
    assert_eq!(m.msgsnd(q, &msgbuf(1, b"x"), 0), Err(Errno::ACCES));
    m.set_process(Process::root(4));
    assert_eq!(m.msgrcv(q, &mut [0u8; 9], 0, IPC_NOWAIT), Ok(1));
}

// ---- semaphores -------------------------------------------------------------------

#[test]
fn semop_check_order() {
    // Probed on 6.18: E2BIG before EINVAL (nsops 0 or bad id), EFBIG after lookup.
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 3, 0o600).unwrap();
    let big = sops(&[(0, 1, 0); 501]);
    assert_eq!(m.semop(-1, &big), Err(Errno::TOOBIG));
    assert_eq!(m.semop(-1, &[]), Err(Errno::INVAL));
    assert_eq!(m.semop(s, &[]), Err(Errno::INVAL));
    assert_eq!(m.semop(99, &sops(&[(0, 1, 0)])), Err(Errno::INVAL));
    assert_eq!(m.semop(s, &sops(&[(0, 1, 0), (5, 1, 0)])), Err(Errno::FBIG));
    assert_eq!(getall(&m, s, 3), Ok(vec![0, 0, 0]), "EFBIG changed nothing");
    let bad = timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    assert_eq!(
        m.semtimedop(s, &sops(&[(0, -1, 0)]), Some(&bad)),
        Err(Errno::INVAL)
    );
    let neg = timespec {
        tv_sec: -1,
        tv_nsec: 0,
    };
    assert_eq!(
        m.semtimedop(s, &sops(&[(0, -1, 0)]), Some(&neg)),
        Err(Errno::INVAL)
    );
    let negn = timespec {
        tv_sec: 0,
        tv_nsec: -1,
    };
    assert_eq!(
        m.semtimedop(99, &sops(&[(0, -1, 0)]), Some(&negn)),
        Err(Errno::INVAL)
    );
    let ok = timespec {
        tv_sec: 0,
        tv_nsec: 1000,
    };
    assert_eq!(
        m.semtimedop(s, &sops(&[(0, -1, 0)]), Some(&ok)),
        Err(Errno::AGAIN)
    );
    assert_eq!(m.semop(s, &sops(&[(0, 32767, 0)])), Ok(()));
    assert_eq!(m.semop(s, &sops(&[(0, 1, 0)])), Err(Errno::RANGE));
    assert_eq!(
        m.semop(s, &sops(&[(1, -1, IPC_NOWAIT as i16)])),
        Err(Errno::AGAIN)
    );
    assert_eq!(m.semop(s, &sops(&[(1, -1, 0)])), Err(Errno::DEADLK));
    assert_eq!(
        m.semop(s, &sops(&[(0, 0, 0)])),
        Err(Errno::DEADLK),
        "wait for zero"
    );
    assert_eq!(m.would_block_count(), 3, "the timed one counts too");
    m.set_limits(Limits {
        semopm: 2,
        ..Limits::LINUX
    });
    assert_eq!(m.semop(s, &sops(&[(0, 1, 0); 3])), Err(Errno::TOOBIG));
}

#[test]
fn semop_is_all_or_nothing() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 3, 0o600).unwrap();
    setall(&m, s, &[1, 0, 5]).unwrap();
    let nw = IPC_NOWAIT as i16;
    assert_eq!(
        m.semop(s, &sops(&[(0, -1, 0), (2, 3, 0), (1, -1, nw)])),
        Err(Errno::AGAIN)
    );
    assert_eq!(getall(&m, s, 3), Ok(vec![1, 0, 5]));
    // The blocking operation's own IPC_NOWAIT decides, not any other's.
    assert_eq!(
        m.semop(s, &sops(&[(0, -1, nw), (1, -1, 0)])),
        Err(Errno::DEADLK)
    );
    assert_eq!(
        m.semop(s, &sops(&[(2, 32767, 0), (1, -1, nw)])),
        Err(Errno::RANGE),
        "ERANGE comes first"
    );
    // Same semaphore twice: applied in order (the kernel's slow path).
    assert_eq!(
        m.semop(s, &sops(&[(2, -5, 0), (2, 4, 0), (2, -4, 0)])),
        Ok(())
    );
    assert_eq!(getall(&m, s, 3), Ok(vec![1, 0, 0]));
    assert_eq!(
        m.semop(s, &sops(&[(0, 2, 0), (0, -4, nw)])),
        Err(Errno::AGAIN)
    );
    assert_eq!(getall(&m, s, 3), Ok(vec![1, 0, 0]), "slow path rolled back");
    assert_eq!(
        m.semop(s, &sops(&[(0, -1, 0), (0, 0, 0), (1, 0, 0)])),
        Ok(())
    );
    assert_eq!(getall(&m, s, 3), Ok(vec![0, 0, 0]));
}

#[test]
fn sem_times_pids_and_ctl() {
    let m = mk();
    m.set_now(100);
    m.set_process(Process::user(7, 1000, 1000));
    let s = m.semget(0x5e, 2, IPC_CREAT | 0o600).unwrap();
    let (_, ds) = semstat(&m, s, IPC_STAT).unwrap();
    assert_eq!((ds.sem_otime, ds.sem_ctime, ds.sem_nsems), (0, 100, 2));
    m.set_now(200);
    semctl(&m, s, 1, SETVAL, 3).unwrap();
    let (_, ds) = semstat(&m, s, IPC_STAT).unwrap();
    assert_eq!(
        (ds.sem_otime, ds.sem_ctime),
        (0, 200),
        "SETVAL is not an operation"
    );
    assert_eq!(semctl(&m, s, 1, GETPID, 0), Ok(7));
    assert_eq!(semctl(&m, s, 0, GETPID, 0), Ok(0));
    m.set_process(Process::user(8, 1000, 1000));
    m.set_now(300);
    m.semop(s, &sops(&[(1, -1, 0)])).unwrap();
    assert_eq!(semstat(&m, s, IPC_STAT).unwrap().1.sem_otime, 300);
    assert_eq!(
        (semctl(&m, s, 1, GETVAL, 0), semctl(&m, s, 1, GETPID, 0)),
        (Ok(2), Ok(8))
    );
    m.set_now(400);
    m.semop(s, &sops(&[(0, 0, 0)])).unwrap();
    assert_eq!(
        semstat(&m, s, IPC_STAT).unwrap().1.sem_otime,
        400,
        "wait-for-zero counts"
    );
    // perform_atomic_semop sets sempid for every operation, waits included.
    assert_eq!(semctl(&m, s, 0, GETPID, 0), Ok(8));
    assert_eq!(semctl(&m, s, 2, GETVAL, 0), Err(Errno::INVAL));
    assert_eq!(semctl(&m, s, -1, GETVAL, 0), Err(Errno::INVAL));
    assert_eq!(semctl(&m, s, 0, SETVAL, 32768), Err(Errno::RANGE));
    assert_eq!(
        semctl(&m, s, 0, SETVAL, u32::MAX as usize),
        Err(Errno::RANGE)
    );
    assert_eq!(
        semctl(&m, 99, 0, SETVAL, 32768),
        Err(Errno::RANGE),
        "range before lookup"
    );
    assert_eq!(semctl(&m, s, 9, SETVAL, 5), Err(Errno::INVAL));
    assert_eq!(semctl(&m, s, 0, 99, 0), Err(Errno::INVAL));
    assert_eq!(semctl(&m, -1, 0, IPC_INFO, 0), Err(Errno::INVAL));
    assert_eq!(semctl(&m, s, 0, IPC_STAT, 0), Err(Errno::FAULT));
    assert_eq!(semctl(&m, s, 0, GETALL, 0), Err(Errno::FAULT));
    assert_eq!(semctl(&m, s, 0, IPC_SET, 0), Err(Errno::FAULT));
    assert_eq!(setall(&m, s, &[1, 32768]), Err(Errno::RANGE));
    assert_eq!(getall(&m, s, 2), Ok(vec![0, 2]));
    m.set_process(Process::user(9, 2000, 2000));
    assert_eq!(semctl(&m, s, 0, GETVAL, 0), Err(Errno::ACCES));
    assert_eq!(semctl(&m, s, 0, SETVAL, 1), Err(Errno::ACCES));
    assert_eq!(
        semctl(&m, s, 5, GETVAL, 0),
        Err(Errno::ACCES),
        "EACCES before the semnum check"
    );
    assert_eq!(semctl(&m, s, 0, IPC_RMID, 0), Err(Errno::PERM));
    let (r, _) = semstat(&m, 0, SEM_STAT_ANY).unwrap();
    assert_eq!(r, s);
    assert_eq!(semstat(&m, 0, SEM_STAT).map(|_| ()), Err(Errno::ACCES));
    let (r, i) = sem_info(&m, SEM_INFO);
    assert_eq!((r, i.semusz, i.semaem), (0, 1, 2));
    let (_, i) = sem_info(&m, IPC_INFO);
    assert_eq!(
        (i.semmsl, i.semmns, i.semopm, i.semmni, i.semvmx, i.semaem),
        (32000, 1_024_000_000, 500, 32000, 32767, 32767)
    );
    assert_eq!(
        (i.semmap, i.semmnu, i.semume, i.semusz),
        (1_024_000_000, 1_024_000_000, 500, 20)
    );
}

#[test]
fn sem_undo_at_exit() {
    let m = mk();
    let s = m.semget(IPC_PRIVATE, 2, 0o666).unwrap();
    semctl(&m, s, 0, SETVAL, 5).unwrap();
    m.set_process(Process::user(20, 1000, 1000));
    let u = SEM_UNDO;
    m.semop(s, &sops(&[(0, -2, u), (1, 3, u)])).unwrap();
    m.semop(s, &sops(&[(0, -1, u)])).unwrap();
    assert_eq!((m.semadj(20, s, 0), m.semadj(20, s, 1)), (3, -3));
    m.set_process(Process::root(1));
    semctl(&m, s, 1, SETVAL, 1).unwrap();
    assert_eq!(
        m.semadj(20, s, 1),
        0,
        "SETVAL clears that semaphore's adjustments"
    );
    m.set_now(777);
    m.exit_process(20);
    assert_eq!(getall(&m, s, 2), Ok(vec![5, 1]));
    assert_eq!(semctl(&m, s, 0, GETPID, 0), Ok(20));
    assert_eq!(
        semstat(&m, s, IPC_STAT).unwrap().1.sem_otime,
        777,
        "exit_sem sets otime"
    );
    // Clamping: the value moved behind the undo's back.
    m.set_process(Process::user(21, 1000, 1000));
    m.semop(s, &sops(&[(1, -1, u)])).unwrap();
    assert_eq!(m.semadj(21, s, 1), 1);
    semctl(&m, s, 0, SETVAL, 3).unwrap();
    assert_eq!(
        m.semadj(21, s, 1),
        1,
        "SETVAL of another semaphore keeps it"
    );
    m.semop(s, &sops(&[(0, -3, u)])).unwrap();
    semctl(&m, s, 0, SETVAL, 1).unwrap();
    assert_eq!(m.semadj(21, s, 0), 0);
    semctl(&m, s, 1, SETVAL, 32767).unwrap();
    m.exit_process(21);
    assert_eq!(getall(&m, s, 2), Ok(vec![1, 32767]), "clamped to semvmx");
    // The adjustment stays within [-semaem - 1, semaem].
    m.set_limits(Limits {
        semaem: 2,
        ..Limits::LINUX
    });
    semctl(&m, s, 1, SETVAL, 0).unwrap();
    m.set_process(Process::user(22, 1000, 1000));
    assert_eq!(m.semop(s, &sops(&[(1, 3, u)])), Ok(()), "adj -3");
    assert_eq!(m.semop(s, &sops(&[(1, 1, u)])), Err(Errno::RANGE), "adj -4");
    assert_eq!(m.semop(s, &sops(&[(1, -3, u)])), Ok(()));
    semctl(&m, s, 1, SETVAL, 10).unwrap();
    assert_eq!(m.semop(s, &sops(&[(1, -2, u)])), Ok(()), "adj 2");
    assert_eq!(m.semop(s, &sops(&[(1, -1, u)])), Err(Errno::RANGE), "adj 3");
    assert_eq!(m.semadj(22, s, 1), 2);
    // Removing the set drops every undo record.
    m.set_process(Process::root(1));
    semctl(&m, s, 0, IPC_RMID, 0).unwrap();
    assert_eq!(m.semadj(22, s, 1), 0);
    m.exit_process(22);
}

#[test]
fn sem_pool_limits_and_reuse() {
    let m = mk();
    m.set_limits(Limits {
        semmns: 5,
        semmsl: 4,
        ..Limits::LINUX
    });
    assert_eq!(m.semget(IPC_PRIVATE, 5, 0o600), Err(Errno::INVAL), "semmsl");
    assert_eq!(m.semget(IPC_PRIVATE, -1, 0o600), Err(Errno::INVAL));
    assert_eq!(m.semget(IPC_PRIVATE, 0, 0o600), Err(Errno::INVAL));
    let a = m.semget(IPC_PRIVATE, 3, 0o600).unwrap();
    assert_eq!(m.semget(IPC_PRIVATE, 3, 0o600), Err(Errno::NOSPC), "semmns");
    let b = m.semget(IPC_PRIVATE, 2, 0o600).unwrap();
    setall(&m, a, &[1, 2, 3]).unwrap();
    setall(&m, b, &[4, 5]).unwrap();
    semctl(&m, a, 0, IPC_RMID, 0).unwrap();
    assert_eq!(getall(&m, b, 2), Ok(vec![4, 5]), "the pool closed the gap");
    let c = m.semget(IPC_PRIVATE, 3, 0o600).unwrap();
    assert_eq!(getall(&m, c, 3), Ok(vec![0, 0, 0]), "new sets are zeroed");
    m.set_limits(Limits {
        semmni: 2,
        ..Limits::LINUX
    });
    assert_eq!(m.semget(IPC_PRIVATE, 1, 0o600), Err(Errno::NOSPC), "semmni");
}

// ---- shared memory --------------------------------------------------------------------

#[test]
fn shm_memory_is_real_zeroed_and_aligned() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 10000, 0o600).unwrap();
    let p = shmat(&m, id, 0).unwrap();
    assert_eq!(p as usize % 4096, 0);
    // SAFETY: the segment has 10000 bytes (3 pages) mapped at `p` until shmdt.
    let bytes = unsafe { core::slice::from_raw_parts_mut(p, 3 * 4096) };
    assert!(bytes.iter().all(|&b| b == 0));
    bytes[9999] = 0xab;
    let q = shmat(&m, id, SHM_RDONLY).unwrap();
    // The memfd model maps each attachment anew; the arena has one address.
    assert_eq!(p != q, DISTINCT_ADDRESSES, "{p:?} {q:?}");
    // SAFETY: still attached; reading one byte inside the segment.
    assert_eq!(unsafe { q.wrapping_add(9999).read() }, 0xab);
    assert_eq!(m.attachments(1), (2, 1));
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(
        (ds.shm_segsz, ds.shm_nattch, ds.shm_cpid, ds.shm_lpid),
        (10000, 2, 1, 1)
    );
    shmdt(&m, p).unwrap();
    shmdt(&m, q).unwrap();
    assert_eq!(shmdt(&m, q), Err(Errno::INVAL));
    shmctl0(&m, id, IPC_RMID).unwrap();
    // The pages are reused, zeroed again.
    let id2 = m.shmget(IPC_PRIVATE, 4096 * 3, 0o600).unwrap();
    let p2 = shmat(&m, id2, 0).unwrap();
    if !DISTINCT_ADDRESSES {
        assert_eq!(p2, p, "the same pages of the arena");
    }
    // SAFETY: attached, 3 pages.
    let bytes = unsafe { core::slice::from_raw_parts(p2, 3 * 4096) };
    assert!(bytes.iter().all(|&b| b == 0));
}

/// `exit_process` unmaps in the kernel's books only: the address `shmat` gave
/// process 2 is still held by whoever called it (in this address space), so its
/// pages are neither handed to a new segment nor zeroed until that `shmdt`.
#[test]
fn shm_pages_outlive_the_exit_of_their_process_until_detached() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    m.set_process(Process::root(2));
    let p = shmat(&m, id, 0).unwrap();
    shmctl0(&m, id, IPC_RMID).unwrap();
    // SAFETY: attached, one page.
    unsafe { p.write(7) };
    m.exit_process(2);
    assert_eq!(m.attachments(2), (0, 0));
    assert_eq!(
        shmstat(&m, id, IPC_STAT).map(|_| ()),
        Err(Errno::INVAL),
        "SHM_DEST: destroyed when process 2 exited"
    );
    m.set_process(Process::root(1));
    let id2 = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let q = shmat(&m, id2, 0).unwrap();
    assert_ne!(q, p, "pages still reachable at p are not handed out");
    // SAFETY: p's page is still reserved for it (the assertion above).
    assert_eq!(unsafe { p.read() }, 7, "nor zeroed");
    // The holder lets go (as process 1, which has no attachment there).
    shmdt(&m, p).unwrap();
    assert_eq!(shmdt(&m, p), Err(Errno::INVAL), "released once");
    let id3 = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let r = shmat(&m, id3, 0).unwrap();
    if !DISTINCT_ADDRESSES {
        assert_eq!(r, p, "first fit: the page is free again");
    }
    // SAFETY: attached, one page.
    assert_eq!(unsafe { r.read() }, 0, "zeroed for its new segment");
    shmdt(&m, q).unwrap();
    shmdt(&m, r).unwrap();
}

/// The zero-fill of a new segment never races with a thread still using the
/// mapping of an exited process (under miri, reusing that page was reported as a
/// data race between the fill and the thread's atomic adds).
#[test]
fn shm_zero_fill_never_races_a_mapping_of_an_exited_process() {
    use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    m.set_process(Process::root(2));
    let p = shmat(&m, id, 0).unwrap();
    shmctl0(&m, id, IPC_RMID).unwrap();
    m.exit_process(2);
    m.set_process(Process::root(1));
    // SAFETY: `p` is 4096-aligned, its page stays mapped until the shmdt below,
    // and every access to it here is atomic.
    let word = unsafe { &*p.cast::<AtomicU64>() };
    let q = std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                word.fetch_add(1, Relaxed);
            }
        });
        let id2 = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
        shmat(&m, id2, 0).unwrap()
    });
    assert_ne!(q, p);
    assert_eq!(word.load(Relaxed), 3, "no add lost to a zero-fill");
    shmdt(&m, p).unwrap();
    shmdt(&m, q).unwrap();
}

/// In the arena model every attachment of a segment shares its address (the
/// only way two of them can show the same bytes without an MMU), so an
/// attachment made as process 1 and
/// detached while process 2 is current detaches process 2's: its pid is the one
/// recorded, and the other attachment's pages stay until its own `shmdt`, whatever
/// exits meanwhile.
#[test]
fn shm_detach_as_another_process_never_frees_pages_still_held() {
    if DISTINCT_ADDRESSES {
        // Each attachment has its own address there: see
        // `shm_detach_is_the_callers_own_attachment`.
        return;
    }
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let a = shmat(&m, id, 0).unwrap();
    m.set_process(Process::root(2));
    let b = shmat(&m, id, 0).unwrap();
    assert_eq!(a, b, "one address per segment");
    shmctl0(&m, id, IPC_RMID).unwrap();
    // `a`'s holder lets go while process 2 is current: the kernel's books lose
    // process 2's attachment, as a shmdt by process 2 would.
    shmdt(&m, a).unwrap();
    assert_eq!((m.attachments(1), m.attachments(2)), ((1, 0), (0, 0)));
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!((ds.shm_nattch, ds.shm_lpid), (1, 2));
    // SAFETY: `b` is not detached yet.
    unsafe { b.write(9) };
    m.exit_process(1);
    assert_eq!(shmstat(&m, id, IPC_STAT).map(|_| ()), Err(Errno::INVAL));
    let id2 = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let q = shmat(&m, id2, 0).unwrap();
    assert_ne!(q, b, "b's page is still held");
    // SAFETY: as above.
    assert_eq!(unsafe { b.read() }, 9);
    shmdt(&m, b).unwrap();
    shmdt(&m, q).unwrap();
}

/// The memfd model's mappings of one segment, as `/proc/self/maps` shows them:
/// the permissions (`rw-s`, `r--s`) of the mapping that starts at `p`.
#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
fn perms_at(p: *const u8) -> std::string::String {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let start = std::format!("{:x}-", p.addr());
    let line = maps.lines().find(|l| l.starts_with(&start)).unwrap();
    assert!(line.contains("memfd:sysv-ipc-mock"), "{line}");
    line.split(' ').nth(1).unwrap().into()
}

/// As the kernel does, every `shmat` of a segment is a mapping of its own, at its
/// own address, and all of them alias the same bytes: a write through one is read
/// through every other, on every page; `SHM_RDONLY` maps `PROT_READ`; detaching
/// one leaves the others working.
#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
#[test]
fn shm_attachments_have_distinct_addresses_that_alias() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 3 * 4096, 0o600).unwrap();
    let a = shmat(&m, id, 0).unwrap();
    let b = shmat(&m, id, 0).unwrap();
    let r = shmat(&m, id, SHM_RDONLY).unwrap();
    assert!(a != b && b != r && a != r, "{a:?} {b:?} {r:?}");
    for p in [a, b, r] {
        assert_eq!(p.addr() % 4096, 0);
    }
    assert_eq!(
        (perms_at(a), perms_at(b), perms_at(r)),
        ("rw-s".into(), "rw-s".into(), "r--s".into())
    );
    // SAFETY: used only with a, b or r while attached (3 pages each, until its
    // shmdt below) and `i` inside them; the bytes are reached only through raw
    // pointers.
    let write = |p: *mut u8, i: usize, v: u8| unsafe { p.wrapping_add(i).write(v) };
    // SAFETY: as above.
    let read = |p: *mut u8, i: usize| unsafe { p.wrapping_add(i).read() };
    write(a, 0, 1);
    write(b, 4096, 2);
    write(a, 3 * 4096 - 1, 3);
    for p in [a, b, r] {
        assert_eq!(
            (read(p, 0), read(p, 4096), read(p, 3 * 4096 - 1)),
            (1, 2, 3)
        );
    }
    shmdt(&m, a).unwrap();
    assert_eq!(shmdt(&m, a), Err(Errno::INVAL), "a is gone");
    write(b, 5, 4);
    assert_eq!((read(b, 5), read(r, 5), read(b, 4096)), (4, 4, 2));
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_nattch, 2);
    shmdt(&m, b).unwrap();
    assert_eq!(read(r, 5), 4, "the read-only one outlives both");
    shmdt(&m, r).unwrap();
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_nattch, 0);
}

/// With distinct addresses, `shmdt(addr)` detaches the caller's own attachment at
/// `addr` and no other (`EINVAL` if the caller has none there, as in the kernel);
/// an attachment of an exited process keeps its mapping until its address is
/// detached, by any process, and its pages go to no new segment before that.
#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
#[test]
fn shm_detach_is_the_callers_own_attachment() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let a = shmat(&m, id, 0).unwrap();
    m.set_process(Process::root(2));
    let b = shmat(&m, id, 0).unwrap();
    assert_ne!(a, b);
    assert_eq!(
        shmdt(&m, a),
        Err(Errno::INVAL),
        "process 2 has nothing at a"
    );
    assert_eq!((m.attachments(1), m.attachments(2)), ((1, 0), (1, 0)));
    m.set_process(Process::root(1));
    shmdt(&m, a).unwrap();
    shmctl0(&m, id, IPC_RMID).unwrap();
    // SAFETY: `b` is attached until the shmdt below.
    unsafe { b.write(9) };
    m.exit_process(2);
    assert_eq!(shmstat(&m, id, IPC_STAT).map(|_| ()), Err(Errno::INVAL));
    let id2 = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let q = shmat(&m, id2, 0).unwrap();
    // SAFETY: `q` is attached, one page.
    unsafe { q.write(1) };
    // SAFETY: as above: b's page was neither reused nor zeroed.
    assert_eq!(unsafe { b.read() }, 9);
    assert_eq!(perms_at(b), "rw-s");
    shmdt(&m, b).unwrap();
    assert_eq!(shmdt(&m, b), Err(Errno::INVAL), "released once");
    shmdt(&m, q).unwrap();
}

/// `shmat` at an address the caller gives, as `do_shmat` treats it (probed on
/// 6.18): unaligned without `SHM_RND` is `EINVAL`; a range in use is `EINVAL`
/// without `SHM_REMAP`; with it, a range the caller owns is replaced by the
/// segment (`SHM_RND` rounding down first), and `shmdt` unmaps it; an
/// attachment of the caller's that it covers whole is detached (`shm_nattch`
/// stays 1 for a segment replaced by itself). Covering one in part, or a
/// mapping a `fork_process` child shares, is `EINVAL` (not modelled, see the
/// docs).
#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
#[test]
fn shm_at_a_callers_address() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 8192, 0o600).unwrap();
    let p = shmat(&m, id, 0).unwrap();
    // SAFETY: `p` maps the segment's two pages.
    unsafe { p.wrapping_add(8191).write(0x77) };
    // SAFETY: every call below either fails before mapping anything or maps
    // over the anonymous range this test made for it.
    let at = |addr: *mut u8, flg| unsafe { m.shmat(id, addr.cast(), flg) }.map(|q| q.cast::<u8>());
    assert_eq!(at(p, 0), Err(Errno::INVAL), "in use");
    assert_eq!(at(p.wrapping_add(5), SHM_RND), Err(Errno::INVAL), "in use");
    assert_eq!(at(p.wrapping_add(5), 0), Err(Errno::INVAL), "unaligned");
    assert_eq!(
        at(p.wrapping_add(4096), SHM_REMAP),
        Err(Errno::INVAL),
        "covers part of an attachment"
    );
    // SAFETY: a fresh private anonymous mapping; no address hint.
    let anon = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            8192,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(anon, libc::MAP_FAILED);
    let anon = anon.cast::<u8>();
    assert_eq!(at(anon, 0), Err(Errno::INVAL), "the test's own mapping");
    let q = at(anon.wrapping_add(7), SHM_REMAP | SHM_RND).unwrap();
    assert_eq!(q, anon);
    assert_eq!(perms_at(q), "rw-s");
    // SAFETY: `q` maps the segment's two pages.
    assert_eq!(unsafe { q.wrapping_add(8191).read() }, 0x77);
    // SAFETY: as above.
    unsafe { q.write(0x11) };
    // SAFETY: `p` maps the segment's two pages.
    assert_eq!(unsafe { p.read() }, 0x11);
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_nattch, 2);
    // SHM_REMAP over the caller's own attachment at `p`: it is replaced.
    m.set_now(2_000_000_000);
    assert_eq!(at(p, SHM_REMAP | SHM_RDONLY), Ok(p));
    assert_eq!(perms_at(p), "r--s");
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!((ds.shm_nattch, ds.shm_dtime), (2, 2_000_000_000));
    assert_eq!(m.attachments(1), (2, 1));
    // SAFETY: `p` maps the segment's two pages again.
    assert_eq!(unsafe { p.wrapping_add(8191).read() }, 0x77);
    // A fork shares the mapping at `q`: replacing it is not modelled.
    m.fork_process(1, 2).unwrap();
    assert_eq!(at(q, SHM_REMAP), Err(Errno::INVAL), "shared with process 2");
    m.exit_process(2);
    shmdt(&m, q).unwrap();
    shmdt(&m, p).unwrap();
    assert_eq!(
        shmdt(&m, p),
        Err(Errno::INVAL),
        "replaced, then detached once"
    );
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_nattch, 0);
}

/// A `fork_process` copy of an attachment is the parent's mapping, at the same
/// address (as a forked child has its parent's addresses): it stays mapped
/// after the parent detaches, until the child detaches too.
#[test]
fn shm_fork_copies_keep_the_mapping_until_they_go() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    let a = shmat(&m, id, 0).unwrap();
    // SAFETY: `a` maps one page until the child's shmdt below.
    unsafe { a.write(5) };
    m.fork_process(1, 2).unwrap();
    assert_eq!((m.attachments(1), m.attachments(2)), ((1, 0), (1, 0)));
    shmdt(&m, a).unwrap();
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_nattch, 1);
    // SAFETY: process 2's copy still maps the page at `a`.
    assert_eq!(unsafe { a.read() }, 5);
    m.set_process(Process::root(2));
    shmdt(&m, a).unwrap();
    assert_eq!(shmdt(&m, a), Err(Errno::INVAL));
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_nattch, 0);
}

#[test]
fn shm_rmid_while_attached() {
    // Probed on 6.18: mode gets SHM_DEST, key becomes 0, the key is free again,
    // attaching by id still works, the id dies at the last detach.
    let m = mk();
    m.set_now(10);
    let id = m.shmget(0x1234, 10000, IPC_CREAT | 0o600).unwrap();
    let p = shmat(&m, id, 0).unwrap();
    shmctl0(&m, id, IPC_RMID).unwrap();
    assert_eq!(m.shmget(0x1234, 0, 0), Err(Errno::NOENT));
    m.set_now(20);
    m.set_process(Process::root(33));
    let p2 = shmat(&m, id, 0).unwrap();
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(
        (ds.shm_perm.mode, ds.shm_perm.key, ds.shm_nattch),
        (0o1600, 0, 2)
    );
    assert_eq!((ds.shm_atime, ds.shm_lpid), (20, 33));
    let other = m.shmget(0x1234, 100, IPC_CREAT | 0o600).unwrap();
    assert_ne!(other, id);
    m.set_now(30);
    shmdt(&m, p2).unwrap();
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!((ds.shm_dtime, ds.shm_lpid, ds.shm_nattch), (30, 33, 1));
    assert_eq!(
        shmdt(&m, p),
        Err(Errno::INVAL),
        "that attachment is process 1's"
    );
    m.set_process(Process::root(1));
    shmdt(&m, p).unwrap();
    assert_eq!(shmstat(&m, id, IPC_STAT).map(|_| ()), Err(Errno::INVAL));
}

/// `newseg`'s huge page branch in the kernel's order, as probed on 6.18 (x86_64,
/// 2 MiB and 1 GiB pages, none reserved): a size the system lacks is `EINVAL`
/// for everyone; then a caller with neither `CAP_IPC_LOCK` nor the group
/// `vm.hugetlb_shm_group` is `EPERM`; then a reservation is `ENOMEM`, and with
/// `SHM_NORESERVE` the segment is made.
#[test]
fn shm_hugetlb_checks_in_the_kernels_order() {
    let m = mk();
    let get = |flags: i32| m.shmget(IPC_PRIVATE, 4096, SHM_HUGETLB | flags | 0o600);
    let (nores, mib) = (SHM_NORESERVE, 20 << SHM_HUGE_SHIFT);
    m.set_process(Process::user(2, 65534, 65534));
    assert_eq!(get(mib | nores), Err(Errno::INVAL));
    assert_eq!(get(63 << SHM_HUGE_SHIFT), Err(Errno::INVAL));
    assert_eq!(get(0), Err(Errno::PERM), "checked before the reservation");
    assert_eq!(get(SHM_HUGE_1GB | nores), Err(Errno::PERM));
    // A member of the group (here by a supplementary group), or CAP_IPC_LOCK alone.
    for p in [
        Process::user(3, 65534, 65534).with_groups(&[0]).unwrap(),
        Process::user(4, 65534, 0),
        Process::user(5, 65534, 65534).with_caps(Caps::IPC_LOCK),
    ] {
        m.set_process(p);
        assert_eq!(get(SHM_HUGE_2MB), Err(Errno::NOMEM), "{p:?}");
        let id = get(SHM_HUGE_2MB | nores).unwrap();
        assert_eq!(shmctl0(&m, id, IPC_RMID), Ok(0));
    }
    m.set_process(Process::user(6, 65534, 65534));
    m.set_huge_pages(crate::HugePages {
        shm_group: 65534,
        ..crate::HugePages::X86_64
    });
    let id = get(nores).unwrap();
    // Lock and unlock succeed and change nothing: hugetlbfs pages never swap.
    assert_eq!(shmctl0(&m, id, SHM_LOCK), Ok(0));
    let (_, ds) = shmstat(&m, id, IPC_STAT).unwrap();
    assert_eq!(ds.shm_perm.mode, 0o600, "no SHM_LOCKED");
    // Without hugetlbfs every size is unknown, the default one included.
    m.set_huge_pages(crate::HugePages {
        sizes: 0,
        shm_group: 0,
    });
    m.set_process(Process::root(1));
    assert_eq!(get(nores), Err(Errno::INVAL));
}

#[test]
fn shm_size_limits_and_arguments() {
    let m = mk();
    assert_eq!(m.shmget(IPC_PRIVATE, 0, 0o600), Err(Errno::INVAL));
    assert_eq!(
        m.shmget(IPC_PRIVATE, usize::MAX, 0o600),
        Err(Errno::INVAL),
        "> shmmax"
    );
    assert_eq!(
        m.shmget(IPC_PRIVATE, 1 << 40, 0o600),
        Err(Errno::NOMEM),
        "larger than the arena"
    );
    assert_eq!(
        m.shmget(IPC_PRIVATE, 4096, SHM_HUGETLB | 0o600),
        Err(Errno::NOMEM)
    );
    m.set_limits(Limits {
        shmall: 2,
        ..Limits::LINUX
    });
    assert_eq!(m.shmget(IPC_PRIVATE, 8193, 0o600), Err(Errno::NOSPC));
    let a = m.shmget(IPC_PRIVATE, 8192, 0o600).unwrap();
    assert_eq!(m.shmget(IPC_PRIVATE, 1, 0o600), Err(Errno::NOSPC));
    shmctl0(&m, a, IPC_RMID).unwrap();
    m.set_limits(Limits {
        shmmni: 1,
        shmmax: 4096,
        ..Limits::LINUX
    });
    assert_eq!(m.shmget(IPC_PRIVATE, 4097, 0o600), Err(Errno::INVAL));
    let b = m.shmget(IPC_PRIVATE, 4096, 0o600).unwrap();
    assert_eq!(m.shmget(IPC_PRIVATE, 1, 0o600), Err(Errno::NOSPC), "shmmni");
    // SAFETY: the address checks fail before anything is mapped.
    let at = |addr: usize, flg| unsafe { m.shmat(b, core::ptr::without_provenance(addr), flg) };
    assert_eq!(at(0x1001, 0), Err(Errno::INVAL));
    assert_eq!(at(0, SHM_REMAP), Err(Errno::INVAL));
    if !DISTINCT_ADDRESSES {
        assert_eq!(
            at(0x10_0000, 0),
            Err(Errno::INVAL),
            "the arena model cannot map at an address"
        );
    }
    assert_eq!(shmat(&m, -5, 0).map(|_| ()), Err(Errno::INVAL));
    assert_eq!(
        shmdt(&m, core::ptr::without_provenance(0x1001)),
        Err(Errno::INVAL)
    );
    assert_eq!(
        shmdt(&m, core::ptr::without_provenance(0x1000)),
        Err(Errno::INVAL)
    );
    assert_eq!(shmctl0(&m, b, 99), Err(Errno::INVAL));
    assert_eq!(shmctl0(&m, -1, IPC_INFO), Err(Errno::INVAL));
    assert_eq!(shmctl0(&m, b, IPC_STAT), Err(Errno::FAULT));
    assert_eq!(shmctl0(&m, b, IPC_SET), Err(Errno::FAULT));
    assert_eq!(shmctl0(&m, 0, SHM_INFO), Err(Errno::FAULT));
    m.set_process(Process::user(3, 1000, 1000));
    assert_eq!(shmat(&m, b, SHM_RDONLY).map(|_| ()), Err(Errno::ACCES));
}

#[test]
fn shm_info_stat_and_lock() {
    let m = mk();
    m.set_process(Process::user(3, 1000, 1000));
    let a = m.shmget(IPC_PRIVATE, 5000, 0o600).unwrap();
    let mut i = shm_info::default();
    // SAFETY: `i` is a live shm_info, what SHM_INFO writes.
    let r = unsafe { m.shmctl(0, SHM_INFO, (&mut i as *mut shm_info).cast()) };
    assert_eq!((r, i.used_ids, i.shm_tot), (Ok(0), 1, 2));
    let mut l = shminfo64::default();
    // SAFETY: `l` is a live shminfo64, what IPC_INFO writes.
    let r = unsafe { m.shmctl(0, IPC_INFO, (&mut l as *mut shminfo64).cast()) };
    assert_eq!(
        (r, l.shmmax, l.shmmin, l.shmmni, l.shmseg, l.shmall),
        (Ok(0), SHMMAX, 1, 4096, 4096, SHMALL)
    );
    assert_eq!(shmstat(&m, 0, SHM_STAT).map(|x| x.0), Ok(a));
    // SHM_LOCK: owner without CAP_IPC_LOCK may, within RLIMIT_MEMLOCK.
    assert_eq!(shmctl0(&m, a, SHM_LOCK), Ok(0));
    assert_eq!(
        shmstat(&m, a, IPC_STAT).unwrap().1.shm_perm.mode,
        0o600 | SHM_LOCKED
    );
    assert_eq!(shmctl0(&m, a, SHM_LOCK), Ok(0), "locking twice is fine");
    let mut p = Process::user(3, 1000, 1000);
    p.memlock_limit = 4096 * 3;
    m.set_process(p);
    let b = m.shmget(IPC_PRIVATE, 4096 * 2, 0o600).unwrap();
    assert_eq!(
        shmctl0(&m, b, SHM_LOCK),
        Err(Errno::NOMEM),
        "2 + 2 pages > 3"
    );
    assert_eq!(shmctl0(&m, a, SHM_UNLOCK), Ok(0));
    assert_eq!(shmctl0(&m, b, SHM_LOCK), Ok(0));
    p.memlock_limit = 0;
    m.set_process(p);
    assert_eq!(shmctl0(&m, a, SHM_LOCK), Err(Errno::PERM));
    assert_eq!(shmctl0(&m, b, SHM_UNLOCK), Ok(0));
    m.set_process(Process::user(4, 2000, 1000));
    assert_eq!(shmctl0(&m, a, SHM_LOCK), Err(Errno::PERM));
    m.set_process(Process::user(4, 2000, 1000).with_caps(Caps::IPC_LOCK));
    assert_eq!(shmctl0(&m, a, SHM_LOCK), Ok(0));
}

#[test]
fn exit_detaches() {
    let m = mk();
    let id = m.shmget(IPC_PRIVATE, 1, 0o600).unwrap();
    m.set_process(Process::root(50));
    shmat(&m, id, 0).unwrap();
    shmat(&m, id, 0).unwrap();
    shmctl0(&m, id, IPC_RMID).unwrap();
    m.set_now(99);
    m.exit_process(50);
    assert_eq!(m.attachments(50), (0, 0));
    assert_eq!(
        shmstat(&m, id, IPC_STAT).map(|_| ()),
        Err(Errno::INVAL),
        "destroyed at the last detach"
    );
}

// ---- faults, files, misc --------------------------------------------------------------

#[test]
fn faults_and_counts() {
    let m = mk();
    m.fail_nth(Call::Msgget, 2, Errno::NOMEM).unwrap();
    assert_eq!(m.msgget(IPC_PRIVATE, 0o600), Ok(0));
    assert_eq!(m.msgget(IPC_PRIVATE, 0o600), Err(Errno::NOMEM));
    assert_eq!(
        m.msgget(IPC_PRIVATE, 0o600),
        Ok(1),
        "the injected failure allocated nothing"
    );
    assert_eq!(m.calls(Call::Msgget), 3);
    m.fail_next(Call::Msgsnd, Errno::INTR).unwrap();
    assert_eq!(m.msgsnd(0, &msgbuf(1, b"x"), 0), Err(Errno::INTR));
    assert_eq!(msgstat(&m, 0).unwrap().msg_qnum, 0);
    m.fail_always(Call::Semop, Errno::IDRM).unwrap();
    assert_eq!(m.semop(0, &sops(&[(0, 1, 0)])), Err(Errno::IDRM));
    assert_eq!(m.semop(0, &sops(&[(0, 1, 0)])), Err(Errno::IDRM));
    m.clear_faults();
    assert_eq!(m.semop(0, &sops(&[(0, 1, 0)])), Err(Errno::INVAL));
    assert_eq!(m.fail_nth(Call::Shmat, 0, Errno::NOSPC), Err(Errno::INVAL));
    // Removing behind a caller's back.
    m.remove_msg(0).unwrap();
    assert_eq!(m.msgsnd(0, &msgbuf(1, b"x"), 0), Err(Errno::INVAL));
    assert_eq!(m.remove_msg(0), Err(Errno::INVAL));
}

#[test]
fn file_table_and_getpid() {
    let m = mk();
    assert_eq!(m.file_id(c"/tmp"), Err(Errno::NOENT));
    m.add_file(c"/tmp", 0x803, 0xc4a7).unwrap();
    let id = m.file_id(c"/tmp").unwrap();
    assert_eq!(ftok_from_file_id(id, 0x41), 0x4103c4a7);
    m.add_file(c"/tmp", 1, 2).unwrap();
    assert_eq!(m.file_id(c"/tmp"), Ok(FileId { dev: 1, ino: 2 }));
    let long = std::ffi::CString::new(vec![b'a'; 200]).unwrap();
    assert_eq!(m.add_file(&long, 1, 1), Err(Errno::NAMETOOLONG));
    m.set_process(Process::user(4242, 1, 1));
    assert_eq!(m.getpid(), 4242);
    let r: &M = &m;
    assert_eq!(Backend::getpid(&r), 4242, "&Mock is a Backend too");
}

#[test]
fn independent_kernels() {
    let a = mk();
    let b = mk();
    a.msgget(IPC_PRIVATE, 0o600).unwrap();
    assert_eq!(b.msgget(IPC_PRIVATE, 0o600), Ok(0));
    assert_eq!(a.msgget(IPC_PRIVATE, 0o600), Ok(1));
}

#[test]
fn model_capacities_give_kernel_errors() {
    let m: Box<Mock<2, 4, 2, 16, 2>> = Box::default();
    m.set_on_block(OnBlock::Fail);
    let q = m.msgget(IPC_PRIVATE, 0).unwrap();
    m.msgget(IPC_PRIVATE, 0).unwrap();
    assert_eq!(m.msgget(IPC_PRIVATE, 0), Err(Errno::NOSPC));
    assert_eq!(m.msgsnd(q, &msgbuf(1, &[1; 17]), 0), Err(Errno::NOMEM));
    m.msgsnd(q, &msgbuf(1, &[1; 10]), 0).unwrap();
    m.msgsnd(q, &msgbuf(1, &[2; 6]), 0).unwrap();
    assert_eq!(m.msgsnd(q, &msgbuf(1, &[]), 0), Err(Errno::NOMEM));
    let mut buf = [0u8; 32];
    assert_eq!(m.msgrcv(q, &mut buf, 0, 0), Ok(10));
    assert_eq!(m.msgrcv(q, &mut buf, 0, 0), Ok(6));
    assert_eq!(&buf[8..14], &[2; 6], "later text slid down intact");
    assert_eq!(m.semget(IPC_PRIVATE, 5, 0), Err(Errno::NOSPC));
    assert_eq!(m.shmget(IPC_PRIVATE, 3 * 4096, 0), Err(Errno::NOMEM));
    let a = m.shmget(IPC_PRIVATE, 4096, 0).unwrap();
    let b = m.shmget(IPC_PRIVATE, 4096, 0).unwrap();
    // The arena is full: shmem setup (ENOMEM) comes before ipc_addid (ENOSPC).
    assert_eq!(m.shmget(IPC_PRIVATE, 1, 0), Err(Errno::NOMEM));
    // SAFETY: null address: the model picks; IPC_RMID ignores the pointer.
    unsafe {
        m.shmctl(a, IPC_RMID, core::ptr::null_mut()).unwrap();
    }
    let c = m.shmget(IPC_PRIVATE, 4096, 0).unwrap();
    assert_ne!(b, c);
}

/// `membarrier`: the mock supports no command (its threads cannot be made to run a
/// barrier), so layouts over it keep their symmetric fences; the query still works.
#[test]
fn membarrier_reports_no_command() {
    let m = mk();
    assert_eq!(m.membarrier(MEMBARRIER_CMD_QUERY, 0, 0), Ok(0));
    assert_eq!(m.membarrier(MEMBARRIER_CMD_QUERY, 1, 0), Err(Errno::INVAL));
    for cmd in [
        MEMBARRIER_CMD_GLOBAL,
        MEMBARRIER_CMD_GLOBAL_EXPEDITED,
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
        MEMBARRIER_CMD_PRIVATE_EXPEDITED,
    ] {
        assert_eq!(m.membarrier(cmd, 0, 0), Err(Errno::INVAL), "cmd {cmd}");
    }
}

/// `futex_wake`: nobody can wait on a futex through the mock, so 0 woken; counted,
/// and an unaligned word is `EINVAL` as the kernel says.
#[test]
fn futex_wake_wakes_nobody_and_is_counted() {
    let m = mk();
    let word = 0u32;
    assert_eq!(m.futex_wake(&raw const word, i32::MAX), Ok(0));
    let unaligned = (&raw const word).cast::<u8>().wrapping_add(1).cast::<u32>();
    assert_eq!(m.futex_wake(unaligned, 1), Err(Errno::INVAL));
    assert_eq!(m.calls(Call::FutexWake), 2);
}

/// The virtual clocks: `CLOCK_MONOTONIC` starts at `DEFAULT_MONOTONIC` and moves
/// only by `advance_monotonic` and by timed waits that run out (their whole
/// timeout); `CLOCK_REALTIME` is the seconds clock; other clocks are `EINVAL`;
/// calls are counted and can be failed like any other.
#[test]
fn clocks_are_virtual() {
    let m = mk();
    let t = m.clock_gettime(CLOCK_MONOTONIC).unwrap();
    assert_eq!((t.tv_sec, t.tv_nsec), (1000, 0));
    m.advance_monotonic(core::time::Duration::from_nanos(1_500_000_001));
    let t = m.clock_gettime(CLOCK_MONOTONIC).unwrap();
    assert_eq!((t.tv_sec, t.tv_nsec), (1001, 500_000_001));
    let s = m.semget(IPC_PRIVATE, 1, 0o600).unwrap();
    // A wait that succeeds at once takes no time, with or without a timeout.
    m.semop(s, &sops(&[(0, 1, 0)])).unwrap();
    let long = timespec {
        tv_sec: 7,
        tv_nsec: 0,
    };
    m.semtimedop(s, &sops(&[(0, -1, 0)]), Some(&long)).unwrap();
    assert_eq!(m.monotonic().as_nanos(), 1_001_500_000_001);
    // A timed wait that cannot proceed runs out: its whole timeout passes.
    assert_eq!(
        m.semtimedop(s, &sops(&[(0, -1, 0)]), Some(&long)),
        Err(Errno::AGAIN)
    );
    assert_eq!(m.monotonic().as_nanos(), 1_008_500_000_001);
    // An invalid timeout is refused before it waits: no time passes.
    let bad = timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    assert_eq!(
        m.semtimedop(s, &sops(&[(0, -1, 0)]), Some(&bad)),
        Err(Errno::INVAL)
    );
    assert_eq!(m.monotonic().as_nanos(), 1_008_500_000_001);
    // Nor does an untimed one (EDEADLK in this mode).
    assert_eq!(m.semop(s, &sops(&[(0, -1, 0)])), Err(Errno::DEADLK));
    assert_eq!(m.monotonic().as_nanos(), 1_008_500_000_001);
    m.set_now(1234);
    let t = m.clock_gettime(CLOCK_REALTIME).unwrap();
    assert_eq!((t.tv_sec, t.tv_nsec), (1234, 0));
    assert_eq!(m.clock_gettime(1000).map(|_| ()), Err(Errno::INVAL));
    assert_eq!(m.calls(Call::ClockGettime), 4);
    m.fail_next(Call::ClockGettime, Errno::NOSYS).unwrap();
    assert_eq!(
        m.clock_gettime(CLOCK_MONOTONIC).map(|_| ()),
        Err(Errno::NOSYS)
    );
    assert!(m.clock_gettime(CLOCK_MONOTONIC).is_ok());
}

/// `clock_nanosleep` moves the virtual monotonic clock by its whole request and
/// sleeps for real not at all; an unknown clock or an invalid request is `EINVAL`
/// and no time passes; calls are counted and can be failed like any other.
#[test]
fn sleeps_move_the_virtual_clock() {
    let m = mk();
    let req = |tv_sec, tv_nsec| timespec { tv_sec, tv_nsec };
    m.clock_nanosleep(CLOCK_MONOTONIC, &req(2, 999_999_999))
        .unwrap();
    assert_eq!(m.monotonic().as_nanos(), 1_002_999_999_999);
    m.clock_nanosleep(CLOCK_REALTIME, &req(0, 1)).unwrap();
    assert_eq!(m.monotonic().as_nanos(), 1_003_000_000_000);
    for (clock, bad) in [
        (1000, req(0, 1)),
        (CLOCK_MONOTONIC, req(0, 1_000_000_000)),
        (CLOCK_MONOTONIC, req(0, -1)),
        (CLOCK_MONOTONIC, req(-1, 0)),
    ] {
        assert_eq!(m.clock_nanosleep(clock, &bad), Err(Errno::INVAL));
    }
    assert_eq!(m.monotonic().as_nanos(), 1_003_000_000_000);
    assert_eq!(m.calls(Call::ClockNanosleep), 6);
    m.fail_next(Call::ClockNanosleep, Errno::INTR).unwrap();
    assert_eq!(
        m.clock_nanosleep(CLOCK_MONOTONIC, &req(1, 0)),
        Err(Errno::INTR)
    );
    assert_eq!(m.monotonic().as_nanos(), 1_003_000_000_000);
}
