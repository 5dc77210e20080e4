//! What an error says (issue 14, item 6): each common failure's `Display`, pinned
//! word for word, names the operation the caller called, the object (key or id), the
//! numbers behind it and the system call with its errno; and the data behind the
//! words is on `Error`'s accessors. On the kernel through both backends, each test
//! in a fresh IPC namespace.

use std::time::Duration;

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::shm::Segment;
use sysv_ipc::{
    Backend, Call, Errno, ErrorKind, Intent, Key, Limit, LinuxRaw, Mode, Owner, Removable, SemOp,
    SemSet,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{as_user, needs_root, set_sysctl};

const KEY: Key = Key::new(0x0e77_0001);

fn message_queue_errors<B: Backend + Clone + Send + 'static>(b: B) {
    let e = MsgQueue::open_in(b.clone(), KEY).unwrap_err();
    assert_eq!(
        (e.kind(), e.key(), e.id()),
        (ErrorKind::NotFound, Some(KEY), None)
    );
    assert_eq!(
        e.to_string(),
        "MsgQueue::open_in of key 0x0e770001: no object has this key (msgget: ENOENT (No such file or directory))"
    );

    let q = MsgQueue::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let id = q.id();
    let e = MsgQueue::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    assert_eq!(
        e.to_string(),
        "MsgQueue::create_in of key 0x0e770001: an object with this key already exists (msgget: EEXIST (File exists))"
    );

    // The crate's own refusals say why, with no errno.
    let e = q.send(0, b"x").unwrap_err();
    assert_eq!(
        (e.kind(), e.call(), e.errno()),
        (ErrorKind::InvalidArgument, None, None)
    );
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::send on message queue {id}: mtype 0 is not a message type (it must be 1 or more)"
        )
    );
    let e = q.try_recv(&mut [0; 8], Selector::Type(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::try_recv on message queue {id}: a selector's type is 1 or more \
             (Type(0) would be Any, a negative one UpTo)"
        )
    );

    // A full queue is full, not "the call would block".
    q.set_max_bytes(4).unwrap();
    q.try_send(1, b"full").unwrap();
    let e = q.try_send(1, b"!").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::try_send on message queue {id}: the queue is full \
             (msgsnd: EAGAIN (Resource temporarily unavailable))"
        )
    );

    // The buffer's size, the message's and the type's.
    let e = q.try_recv(&mut [0; 2], Selector::Any).unwrap_err();
    assert_eq!(
        (e.kind(), e.expected()),
        (ErrorKind::BufferTooSmall, Some(2))
    );
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::try_recv on message queue {id}: the next message is larger than the buffer \
             of 2 bytes; it stays queued (msgrcv: E2BIG (Argument list too long))"
        )
    );
    let e = q.recv_value::<u64>(Selector::Any).unwrap_err();
    assert_eq!(
        (e.actual(), e.expected(), e.mtype()),
        (Some(4), Some(8), Some(1))
    );
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::recv_value on message queue {id}: a message of 4 bytes where the type has 8 (mtype 1)"
        )
    );

    // The live msgmax, with its sysctl and value.
    q.set_max_bytes(16384).unwrap();
    set_sysctl("kernel/msgmax", 100);
    let e = q.try_send(1, &[0; 200]).unwrap_err();
    assert_eq!(
        (e.kind(), e.actual(), e.expected(), e.limit()),
        (
            ErrorKind::MessageTooLarge,
            Some(200),
            Some(100),
            Some(Limit::Msgmax)
        )
    );
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::try_send on message queue {id}: a message of 200 bytes is larger than \
             kernel.msgmax = 100 (msgsnd: EINVAL (Invalid argument))"
        )
    );

    // A timed wait says how long it waited.
    let e = q
        .recv_timeout(&mut [0; 8], Selector::Type(9), Duration::from_millis(5))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.waited()),
        (ErrorKind::TimedOut, Some(Duration::from_millis(5)))
    );
    assert_eq!(
        e.to_string(),
        format!("MsgQueue::recv_timeout on message queue {id}: timed out after 0.005 s")
    );

    // Removed while a receiver waits in another thread.
    let waiter = {
        let q = MsgQueue::from_id(b.clone(), id);
        std::thread::spawn(move || q.recv(&mut [0; 8], Selector::Type(9)).unwrap_err())
    };
    std::thread::sleep(Duration::from_millis(50));
    q.remove().unwrap();
    let e = waiter.join().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::recv on message queue {id}: the object was removed (msgrcv: EIDRM (Identifier removed))"
        )
    );
}

fn semaphore_and_segment_limits<B: Backend + Clone + std::fmt::Debug>(b: B) {
    set_sysctl("kernel/sem", "250 32000 32 128");
    let e = SemSet::create_in(b.clone(), KEY, 300, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    assert_eq!(
        (e.kind(), e.limit(), e.actual(), e.expected()),
        (
            ErrorKind::InvalidArgument,
            Some(Limit::Semmsl),
            Some(300),
            Some(250)
        )
    );
    assert_eq!(
        e.to_string(),
        "SemSet::create_in of key 0x0e770001: 300 semaphores asked for, above kernel.sem semmsl = 250 \
         (semget: EINVAL (Invalid argument))"
    );
    let set = SemSet::create_in(b.clone(), KEY, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let e = set.op(&[SemOp::post(0); 33]).unwrap_err();
    assert_eq!(
        (e.kind(), e.limit(), e.actual(), e.expected()),
        (
            ErrorKind::LimitReached,
            Some(Limit::Semopm),
            Some(33),
            Some(32)
        )
    );
    assert_eq!(
        e.to_string(),
        format!(
            "SemSet::op on semaphore set {}: 33 operations asked for, above kernel.sem semopm = 32 \
             (semop: E2BIG (Argument list too long))",
            set.id()
        )
    );
    let e = set.op(&[SemOp::wait(0).nowait()]).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "SemSet::op on semaphore set {}: the semaphore operation would block \
             (semop: EAGAIN (Resource temporarily unavailable))",
            set.id()
        )
    );
    set.remove().unwrap();

    set_sysctl("kernel/shmmax", 1 << 20);
    let e =
        Segment::create_in(b.clone(), KEY, 2 << 20, Intent::CreateNew, Mode::OWNER_RW).unwrap_err();
    assert_eq!(
        (e.kind(), e.limit(), e.actual(), e.expected()),
        (
            ErrorKind::InvalidArgument,
            Some(Limit::Shmmax),
            Some(2 << 20),
            Some(1 << 20)
        )
    );
    assert_eq!(
        e.to_string(),
        "Segment::create_in of key 0x0e770001: 2097152 bytes asked for, above kernel.shmmax = 1048576 \
         (shmget: EINVAL (Invalid argument))"
    );
}

/// Another user is refused with the object's mode and owner, found without read
/// permission (`*_STAT_ANY`): by key (`msgget`, `semget`, `shmget`) and by id.
fn permission_denied_names_mode_and_owner<B: Backend + Clone + Send + std::fmt::Debug + 'static>(
    b: B,
) {
    if !needs_root("permission_denied_names_mode_and_owner") {
        return;
    }
    let q = MsgQueue::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let set = SemSet::create_in(b.clone(), KEY, 1, Intent::CreateNew, Mode::new(0o640)).unwrap();
    let seg =
        Segment::create_in(b.clone(), KEY, 4096, Intent::CreateNew, Mode::new(0o600)).unwrap();
    let (qid, setid) = (q.id(), set.id());
    let bb = b.clone();
    as_user(65534, 65534, move || {
        let owner = |mode| {
            Some(Owner {
                uid: 0,
                gid: 0,
                mode: Mode::new(mode),
            })
        };
        let e =
            MsgQueue::create_in(bb.clone(), KEY, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap_err();
        assert_eq!(
            (e.kind(), e.owner()),
            (ErrorKind::PermissionDenied, owner(0o600))
        );
        assert_eq!(
            e.to_string(),
            "MsgQueue::create_in of key 0x0e770001: permission denied: the object's mode is 0600, \
             its owner uid 0 gid 0 (msgget: EACCES (Permission denied))"
        );
        let e = MsgQueue::from_id(bb.clone(), qid)
            .send(1, b"x")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "MsgQueue::send on message queue {qid}: permission denied: the object's mode is 0600, \
                 its owner uid 0 gid 0 (msgsnd: EACCES (Permission denied))"
            )
        );
        let e = SemSet::from_id(bb.clone(), setid).get(0).unwrap_err();
        assert_eq!((e.call(), e.owner()), (Some(Call::Semctl), owner(0o640)));
        let e = Segment::create_in(bb.clone(), KEY, 4096, Intent::OpenOrCreate, Mode::OWNER_RW)
            .unwrap_err();
        assert_eq!((e.errno(), e.owner()), (Some(Errno::ACCES), owner(0o600)));
        // Not the owner: removing is "not permitted", not a mode problem.
        let e = MsgQueue::from_id(bb, qid).remove().unwrap_err();
        assert_eq!(e.errno(), Some(Errno::PERM));
        assert_eq!(
            e.to_string(),
            format!(
                "MsgQueue::remove on message queue {qid}: not permitted: only the object's owner \
                 or creator (or a privileged process) may change or remove it; its owner is uid 0 gid 0 \
                 (msgctl: EPERM (Operation not permitted))"
            )
        );
    });
    q.remove().unwrap();
    set.remove().unwrap();
    seg.remove().unwrap();
}

/// `ftok` of a missing file says so, not "no object has this key".
#[test]
fn ftok_of_a_missing_file() {
    let e = Key::ftok(c"/nonexistent/sysv-ipc-errors", b'x').unwrap_err();
    assert_eq!(
        (e.kind(), e.call()),
        (ErrorKind::NotFound, Some(Call::Ftok))
    );
    assert_eq!(
        e.to_string(),
        "Key::ftok: the file does not exist (ftok: ENOENT (No such file or directory))"
    );
}

/// A copy out of bounds is no `shmat` failure.
#[test]
fn out_of_bounds_claims_no_call() {
    sysv_ipc_testkit::in_ipc_namespace(|| {
        let seg = Segment::create_in(
            LinuxRaw,
            Key::PRIVATE,
            16,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let att = seg.attach().unwrap();
        let e = sysv_ipc::Error::from(att.write(10, b"too long").unwrap_err());
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (ErrorKind::OutOfRange, None, None)
        );
        assert_eq!(e.to_string(), "8 bytes at offset 10 do not fit in 16 bytes");
        drop(att);
        seg.remove().unwrap();
    });
}

/// Kinds are plain values: comparable, hashable, usable in `match` without
/// fields, whatever numbers the errors carry.
#[test]
fn kinds_compare_as_plain_values() {
    use std::collections::HashSet;
    let kinds: HashSet<ErrorKind> = [
        ErrorKind::SizeMismatch,
        ErrorKind::SizeMismatch,
        ErrorKind::LayoutMismatch,
        ErrorKind::MessageTooLarge,
        ErrorKind::BufferTooSmall,
    ]
    .into_iter()
    .collect();
    assert_eq!(kinds.len(), 4);
}

sysv_ipc_testkit::on_both_backends!(
    message_queue_errors,
    semaphore_and_segment_limits,
    permission_denied_names_mode_and_owner
);
