//! `MsgQueue` on the real kernel, through both real backends, each test in a fresh
//! IPC namespace.

use std::time::{Duration, Instant};
use sysv_ipc::msg::{DEFAULT_MSGMAX, MsgBuf, MsgQueue, Poison, RecvFlags, Selector, Typed};
use sysv_ipc::{
    Backend, Errno, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Owner, Removable, Removal,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{
    as_user, fork_peer, needs_root, set_sysctl, under_qemu, wait_until_blocked,
};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

/// What a backend's `IPC_STAT` shows as `msg_lrpid` after a receive by `pid`.
///
/// qemu divergence: qemu-user 7.2 does not copy `msg_lrpid` into the guest's
/// `msqid_ds` (measured: always 0, through both real backends), so under qemu the
/// receiver's pid is not checked, as in the conformance suite's `seen_lrpid`. The
/// mock answers in-process, so qemu never blinds it.
trait SeenLrpid: Backend {
    fn seen_lrpid(&self, pid: i32) -> i32 {
        if under_qemu() { 0 } else { pid }
    }
}

impl SeenLrpid for LinuxRaw {}
impl SeenLrpid for Libc {}
impl SeenLrpid for &sysv_ipc_mock::Mock {
    fn seen_lrpid(&self, pid: i32) -> i32 {
        pid
    }
}

fn new_queue<B: Backend>(b: B) -> MsgQueue<B> {
    MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap()
}

fn recv_text<B: Backend>(q: &MsgQueue<B>, sel: Selector) -> (i64, Vec<u8>) {
    let mut buf = [0u8; 256];
    let got = q.try_recv(&mut buf, sel).unwrap();
    (got.mtype, buf[..got.len].to_vec())
}

#[derive(Debug, PartialEq, IntoBytes, FromBytes, KnownLayout, Immutable)]
#[repr(C)]
struct Sample {
    seq: u64,
    value: [f32; 3],
    flags: u32,
}

fn selectors_pick_as_the_kernel_says<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    for (t, text) in [(3, "c1"), (1, "a1"), (2, "b1"), (3, "c2"), (1, "a2")] {
        q.send(t, text.as_bytes()).unwrap();
    }
    assert_eq!(recv_text(&q, Selector::Type(3)), (3, b"c1".to_vec()));
    assert_eq!(recv_text(&q, Selector::Except(1)), (2, b"b1".to_vec()));
    assert_eq!(recv_text(&q, Selector::UpTo(5)), (1, b"a1".to_vec()));
    assert_eq!(recv_text(&q, Selector::Any), (3, b"c2".to_vec()));
    assert_eq!(recv_text(&q, Selector::Any), (1, b"a2".to_vec()));
    let e = q.try_recv(&mut [0u8; 8], Selector::Any).unwrap_err();
    assert_eq!(
        (e.kind(), e.errno()),
        (ErrorKind::NoMessage, Some(Errno::NOMSG))
    );
    for bad in [Selector::Type(0), Selector::UpTo(-1), Selector::Except(0)] {
        let e = q.try_recv(&mut [0u8; 8], bad).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::InvalidArgument, None),
            "{bad:?}"
        );
    }
    q.remove().unwrap();
}

fn too_small_buffer_keeps_the_message<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    q.send(1, b"sixteen bytes!!!").unwrap();
    let mut small = [0u8; 4];
    let e = q.try_recv(&mut small, Selector::Any).unwrap_err();
    assert_eq!(
        (e.kind(), e.expected()),
        (ErrorKind::BufferTooSmall, Some(4))
    );
    assert_eq!(e.errno(), Some(Errno::TOOBIG));
    assert_eq!(
        q.stat().unwrap().messages,
        1,
        "E2BIG must leave the message queued"
    );
    let got = q
        .recv_with(
            &mut small,
            Selector::Any,
            RecvFlags::NOWAIT | RecvFlags::TRUNCATE,
        )
        .unwrap();
    assert_eq!((got.len, &small), (4, b"sixt"));
    assert_eq!(
        q.stat().unwrap().messages,
        0,
        "MSG_NOERROR takes the message"
    );
    q.remove().unwrap();
}

fn bad_messages_are_refused_clearly<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    for mtype in [0, -5] {
        let e = q.try_send(mtype, b"x").unwrap_err();
        assert_eq!((e.kind(), e.errno()), (ErrorKind::InvalidArgument, None));
    }
    let big = vec![0u8; 8193];
    let e = q.try_send(1, &big).unwrap_err();
    assert_eq!(
        (e.kind(), e.actual(), e.expected()),
        (ErrorKind::MessageTooLarge, Some(8193), Some(8192))
    );
    // The live limit, lowered for this namespace.
    set_sysctl("kernel/msgmax", 100);
    let e = q.try_send(1, &big[..200]).unwrap_err();
    assert_eq!(
        (e.kind(), e.actual(), e.expected()),
        (ErrorKind::MessageTooLarge, Some(200), Some(100))
    );
    assert_eq!(e.errno(), Some(Errno::INVAL));
    assert!(
        e.to_string()
            .contains("a message of 200 bytes is larger than kernel.msgmax = 100"),
        "{e}"
    );
    assert_eq!(q.stat().unwrap().messages, 0);
    q.remove().unwrap();
}

fn full_queue_would_block<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    q.set_max_bytes(10).unwrap();
    q.try_send(1, b"0123456789").unwrap();
    let e = q.try_send(1, b"x").unwrap_err();
    assert_eq!(
        (e.kind(), e.errno()),
        (ErrorKind::WouldBlock, Some(Errno::AGAIN))
    );
    // The message count is capped by qbytes too (msg_fits_inqueue).
    q.set_max_bytes(2).unwrap();
    let mut got = [0u8; 16];
    q.try_recv(&mut got, Selector::Any).unwrap();
    q.try_send(1, b"").unwrap();
    q.try_send(1, b"").unwrap();
    assert_eq!(
        q.try_send(1, b"").unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    q.remove().unwrap();
}

fn typed_values_round_trip_and_sizes_are_checked<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let s = Sample {
        seq: 42,
        value: [1.0, -2.5, 3.25],
        flags: 7,
    };
    q.send_value(9, &s).unwrap();
    assert_eq!(
        q.stat().unwrap().bytes,
        std::mem::size_of::<Sample>() as u64
    );
    assert_eq!(q.recv_value::<Sample>(Selector::Type(9)).unwrap(), (9, s));
    // Shorter than T: consumed, reported, no partial T.
    q.send(1, b"abc").unwrap();
    let e = q.recv_value::<u64>(Selector::Any).unwrap_err();
    assert_eq!(
        (e.kind(), e.actual(), e.expected()),
        (ErrorKind::SizeMismatch, Some(3), Some(8))
    );
    // Longer than T: refused and kept.
    q.send(1, &[7u8; 16]).unwrap();
    let e = q
        .recv_value_with::<u64>(Selector::Any, RecvFlags::TRUNCATE)
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.expected()),
        (ErrorKind::BufferTooSmall, Some(8))
    );
    assert_eq!(q.stat().unwrap().messages, 1);
    q.remove().unwrap();
}

fn msgbuf_send_and_receive_without_copies<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let mut out = MsgBuf::<32>::new();
    out.set(4, b"through a MsgBuf").unwrap();
    let e = out.set(4, &[0; 33]).unwrap_err();
    assert_eq!(
        (e.kind(), e.actual(), e.expected()),
        (ErrorKind::MessageTooLarge, Some(33), Some(32))
    );
    assert_eq!(
        out.text(),
        b"through a MsgBuf",
        "a refused set leaves the buffer as it was"
    );
    q.send_buf(&out).unwrap();
    let mut back = MsgBuf::<64>::new();
    q.recv_buf(&mut back, Selector::Type(4)).unwrap();
    assert_eq!((back.mtype(), back.text()), (4, &b"through a MsgBuf"[..]));
    q.remove().unwrap();
}

fn peek_copies_without_removing<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    q.send(1, b"first").unwrap();
    q.send(2, b"second").unwrap();
    let mut buf = MsgBuf::<16>::new();
    match q.peek(&mut buf, 1) {
        Ok(()) => {
            assert_eq!((buf.mtype(), buf.text()), (2, &b"second"[..]));
            assert_eq!(
                q.stat().unwrap().messages,
                2,
                "MSG_COPY leaves the queue as it was"
            );
            assert_eq!(
                q.peek(&mut buf, 2).unwrap_err().kind(),
                ErrorKind::NoMessage
            );
            let mut tiny = MsgBuf::<2>::new();
            let e = q.peek(&mut tiny, 0).unwrap_err();
            assert_eq!(
                (e.kind(), e.expected()),
                (ErrorKind::BufferTooSmall, Some(2))
            );
        }
        Err(e) => {
            // Kernels without CONFIG_CHECKPOINT_RESTORE.
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::Unsupported, Some(Errno::NOSYS))
            );
        }
    }
    q.remove().unwrap();
}

fn stat_reports_the_queue<B: SeenLrpid + Copy>(b: B) {
    let key = Key::new(0x51_0001);
    let q = MsgQueue::create_in(b, key, Intent::CreateNew, Mode::new(0o640)).unwrap();
    let st = q.stat().unwrap();
    assert_eq!(
        (
            st.perm.key,
            st.perm.mode,
            st.messages,
            st.bytes,
            st.max_bytes
        ),
        (key, Mode::new(0o640), 0, 0, 16384)
    );
    assert_eq!((st.send_time, st.recv_time, st.last_send_pid), (0, 0, 0));
    assert!(st.change_time > 0);
    q.send(1, b"12345").unwrap();
    let st = q.stat().unwrap();
    assert_eq!(
        (st.messages, st.bytes, st.last_send_pid),
        (1, 5, b.getpid())
    );
    assert!(st.send_time > 0);
    recv_text(&q, Selector::Any);
    let st = q.stat().unwrap();
    assert_eq!(st.last_recv_pid, b.seen_lrpid(b.getpid()));
    // Intent and keys.
    assert_eq!(MsgQueue::open_in(b, key).unwrap().id(), q.id());
    assert_eq!(
        MsgQueue::create_in(b, key, Intent::OpenOrCreate, Mode::default())
            .unwrap()
            .id(),
        q.id()
    );
    let e = MsgQueue::create_in(b, key, Intent::CreateNew, Mode::default()).unwrap_err();
    assert_eq!(
        (e.kind(), e.errno()),
        (ErrorKind::AlreadyExists, Some(Errno::EXIST))
    );
    // IPC_PRIVATE names no existing queue: refused before msgget could create one.
    let e = MsgQueue::open_in(b, Key::PRIVATE).unwrap_err();
    assert_eq!((e.kind(), e.errno()), (ErrorKind::NotFound, None));
    let e = MsgQueue::open_in(b, Key::new(0x51_0002)).unwrap_err();
    assert_eq!(
        (e.kind(), e.errno()),
        (ErrorKind::NotFound, Some(Errno::NOENT))
    );
    // set_owner keeps the state bits and changes the mode.
    let me = st.perm.uid;
    q.set_owner(Owner {
        uid: me,
        gid: st.perm.gid,
        mode: Mode::new(0o600),
    })
    .unwrap();
    assert_eq!(q.stat().unwrap().perm.mode, Mode::new(0o600));
    q.remove().unwrap();
    let e = q.stat().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        MsgQueue::open_in(b, key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

fn removal_guard_removes_on_drop<B: Backend + Copy>(b: B) {
    let key = Key::new(0x51_0003);
    {
        let q =
            Removal::new(MsgQueue::create_in(b, key, Intent::CreateNew, Mode::default()).unwrap());
        q.send(1, b"x").unwrap();
    }
    assert_eq!(
        MsgQueue::open_in(b, key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let kept =
        Removal::new(MsgQueue::create_in(b, key, Intent::CreateNew, Mode::default()).unwrap())
            .into_inner();
    assert_eq!(MsgQueue::open_in(b, key).unwrap().id(), kept.id());
    Removal::new(kept).remove_now().unwrap();
    assert_eq!(
        MsgQueue::open_in(b, key).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

fn a_message_crosses_processes<B: SeenLrpid + Copy>(b: B) {
    let q = new_queue(b);
    let receiver = fork_peer(move || {
        let mut total = 0u64;
        for i in 0..1000u64 {
            let (mtype, v) = q.recv_value::<u64>(Selector::Any).unwrap();
            assert_eq!((mtype, v), (1 + (i % 3) as i64, i * 7));
            total += v;
        }
        assert_eq!(total, 7 * 999 * 1000 / 2);
    });
    for i in 0..1000u64 {
        q.send_value(1 + (i % 3) as i64, &(i * 7)).unwrap();
    }
    let receiver_pid = receiver.pid();
    receiver.join();
    let st = q.stat().unwrap();
    assert_eq!(
        (st.messages, st.last_recv_pid),
        (0, b.seen_lrpid(receiver_pid))
    );
    q.remove().unwrap();
}

fn removal_wakes_a_blocked_receiver<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let waiter = fork_peer(move || {
        let e = q.recv(&mut [0u8; 8], Selector::Any).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::Removed, Some(Errno::IDRM))
        );
    });
    wait_until_blocked(waiter.pid());
    q.remove().unwrap();
    waiter.join();
}

fn removal_wakes_a_blocked_sender<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    q.set_max_bytes(4).unwrap();
    q.send(1, b"full").unwrap();
    let waiter = fork_peer(move || {
        let e = q.send(1, b"more").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed);
    });
    wait_until_blocked(waiter.pid());
    q.remove().unwrap();
    waiter.join();
}

extern "C" fn on_alarm(_: libc::c_int) {}

/// Installs a handler that does nothing for `sig`, with `flags`.
fn install_noop_handler(sig: libc::c_int, flags: libc::c_int) {
    // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags).
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_alarm as *const () as libc::sighandler_t;
    sa.sa_flags = flags;
    // SAFETY: `sa` is a live sigaction whose handler is an extern "C" fn that does
    // nothing, which is async-signal-safe.
    let r = unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) };
    assert_eq!(r, 0);
}

fn a_signal_interrupts_a_blocked_receive<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let waiter = fork_peer(move || {
        install_noop_handler(libc::SIGALRM, libc::SA_RESTART);
        let e = q.recv(&mut [0u8; 8], Selector::Any).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::Interrupted, Some(Errno::INTR))
        );
        // Nothing was lost: the queue still works.
        assert_eq!(q.stat().unwrap().messages, 0);
    });
    wait_until_blocked(waiter.pid());
    waiter.kill(libc::SIGALRM);
    waiter.join();
    q.remove().unwrap();
}

fn permissions_are_enforced<B: Backend + Copy>(b: B) {
    if !needs_root("permissions_are_enforced") {
        return;
    }
    let key = Key::new(0x51_0004);
    let q = MsgQueue::create_in(b, key, Intent::CreateNew, Mode::new(0o600)).unwrap();
    q.send(1, b"secret").unwrap();
    let readable =
        MsgQueue::create_in(b, Key::new(0x51_0005), Intent::CreateNew, Mode::new(0o644)).unwrap();
    // Owned by nobody, so that nobody may change it, but not raise it past msgmnb.
    let owned = new_queue(b);
    owned
        .set_owner(Owner {
            uid: 65534,
            gid: 65534,
            mode: Mode::new(0o600),
        })
        .unwrap();
    as_user(65534, 65534, move || {
        // msgget with no permission bits requested checks nothing (ipcperms with
        // flag 0); asking for read and write is refused.
        assert_eq!(MsgQueue::open_in(b, key).unwrap().id(), q.id());
        let e = MsgQueue::create_in(b, key, Intent::Open, Mode::new(0o600)).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::PermissionDenied, Some(Errno::ACCES))
        );
        let by_id = MsgQueue::from_id(b, q.id());
        assert_eq!(
            by_id
                .try_recv(&mut [0u8; 8], Selector::Any)
                .unwrap_err()
                .kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            by_id.try_send(1, b"x").unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            by_id.stat().unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        let e = by_id.remove().unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::PermissionDenied, Some(Errno::PERM))
        );
        // 0644: others may read, not write.
        assert_eq!(readable.stat().unwrap().perm.mode, Mode::new(0o644));
        assert_eq!(
            readable.try_send(1, b"x").unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        // The owner may lower qbytes but not raise it above msgmnb.
        owned.set_max_bytes(100).unwrap();
        let e = owned.set_max_bytes(16385).unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::PermissionDenied, Some(Errno::PERM))
        );
        owned.remove().unwrap();
    });
    assert_eq!(
        q.stat().unwrap().messages,
        1,
        "the denied calls changed nothing"
    );
    // Raising qbytes beyond msgmnb needs CAP_SYS_RESOURCE, which root may lack (this
    // project's CI sandbox drops it): the result must follow the capability.
    let r = q.set_max_bytes(1 << 20);
    if has_capability(24 /* CAP_SYS_RESOURCE */) {
        r.unwrap();
        assert_eq!(q.stat().unwrap().max_bytes, 1 << 20);
    } else {
        let e = r.unwrap_err();
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::PermissionDenied, Some(Errno::PERM))
        );
        assert_eq!(q.stat().unwrap().max_bytes, 16384);
    }
}

/// Whether capability `bit` is in this process's effective set (/proc/self/status).
fn has_capability(bit: u32) -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    u64::from_str_radix(hex, 16).unwrap() & (1 << bit) != 0
}

fn nothing_allocates<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let mut buf = [0u8; 64];
    let mut mb = MsgBuf::<64>::new();
    let before = sysv_ipc_testkit::allocations();
    for i in 0..100 {
        q.send(1, b"bytes").unwrap();
        q.recv(&mut buf, Selector::Any).unwrap();
        q.send_value(2, &(i as u64)).unwrap();
        q.recv_value::<u64>(Selector::Type(2)).unwrap();
        mb.set(3, b"buf").unwrap();
        q.send_buf(&mb).unwrap();
        q.recv_buf(&mut mb, Selector::Any).unwrap();
        let _ = q.try_recv(&mut buf, Selector::Any);
        // The ways out of a poison message, each meeting one.
        q.send(4, b"poison").unwrap();
        let got = q.recv_value_or_bytes::<u64, 64>(&mut mb, Selector::Any, RecvFlags::BLOCK);
        assert!(matches!(got, Ok(Typed::Other(Poison { size: 6, .. }))));
        q.send(4, b"poison").unwrap();
        let got = q.recv_value_or_discard::<u64>(Selector::Any, RecvFlags::BLOCK);
        assert!(matches!(got, Ok(Typed::Other(Poison { size: 6, .. }))));
        q.send(4, b"poison longer than a u64").unwrap();
        let got = q.recv_value_truncating::<u64>(Selector::Any, RecvFlags::BLOCK);
        assert!(matches!(got, Ok(Typed::Truncated { .. })));
        q.stat().unwrap();
    }
    assert_eq!(sysv_ipc_testkit::allocations() - before, 0);
    q.remove().unwrap();
}

/// `IPC_SET` as uid 65534. On its own queues of modes it may not read (`0o000`,
/// `0o200`): `set_owner_and_max_bytes` works, as the kernel's `IPC_SET` does, while
/// the read-modify-write forms report the read's `EACCES`. On root's queue, readable or
/// not, every form reports the kernel's `EPERM`.
fn ipc_set_needs_only_ownership<B: Backend + Copy>(b: B) {
    if !needs_root("ipc_set_needs_only_ownership") {
        return;
    }
    let readable =
        MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::new(0o644)).unwrap();
    let unreadable =
        MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::new(0o600)).unwrap();
    as_user(65534, 65534, move || {
        let nobody = |mode| Owner {
            uid: 65534,
            gid: 65534,
            mode: Mode::new(mode),
        };
        let status = |e: Error| (e.kind(), e.errno());
        let acces = (ErrorKind::PermissionDenied, Some(Errno::ACCES));
        let perm = (ErrorKind::PermissionDenied, Some(Errno::PERM));
        for mode in [0o000, 0o200] {
            let q =
                MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::new(mode)).unwrap();
            assert_eq!(status(q.set_owner(nobody(0o600)).unwrap_err()), acces);
            assert_eq!(status(q.set_max_bytes(100).unwrap_err()), acces);
            q.set_owner_and_max_bytes(nobody(0o600), 100).unwrap();
            let st = q.stat().unwrap();
            assert_eq!(
                (st.perm.mode, st.max_bytes),
                (Mode::OWNER_RW, 100),
                "{mode:o}"
            );
            q.remove().unwrap();
        }
        for q in [readable, unreadable] {
            assert_eq!(status(q.set_owner(nobody(0o666)).unwrap_err()), perm);
            assert_eq!(status(q.set_max_bytes(100).unwrap_err()), perm);
            assert_eq!(
                status(q.set_owner_and_max_bytes(nobody(0o666), 100).unwrap_err()),
                perm
            );
        }
    });
    for (q, mode) in [(readable, 0o644), (unreadable, 0o600)] {
        let st = q.stat().unwrap();
        assert_eq!(
            (st.perm.uid, st.perm.mode),
            (0, Mode::new(mode)),
            "unchanged"
        );
        assert_ne!(st.max_bytes, 100);
        q.remove().unwrap();
    }
}

/// How far past its deadline a timed call may return: one poll interval (1 ms) plus
/// scheduling on a loaded 2-core host (and qemu). Generous on purpose; the point is
/// that the call ends, not how precisely: 400 ms was once exceeded (655 ms) with four
/// test suites sharing the two cores. A timeout ignored or scaled wrongly (seconds
/// for milliseconds) still fails.
const LATE: Duration = Duration::from_secs(2);

/// Each timed form on a queue that stays empty (or full) returns `TimedOut` no
/// earlier than its timeout and not much later, and loses nothing.
fn timed_forms_time_out_within_their_deadline<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let timeout = Duration::from_millis(60);
    let timed = |what: &str, f: &dyn Fn() -> sysv_ipc::Error| {
        let t0 = Instant::now();
        let e = f();
        let took = t0.elapsed();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{what}: {e}");
        assert!(
            took >= timeout && took < timeout + LATE,
            "{what}: returned after {took:?} (timeout {timeout:?})"
        );
    };
    let mut text = [0u8; 16];
    let text = std::cell::RefCell::new(&mut text);
    timed("recv_timeout", &|| {
        q.recv_timeout(*text.borrow_mut(), Selector::Any, timeout)
            .unwrap_err()
    });
    timed("recv_buf_timeout", &|| {
        q.recv_buf_timeout(&mut MsgBuf::<16>::new(), Selector::Any, timeout)
            .unwrap_err()
    });
    timed("recv_value_timeout", &|| {
        q.recv_value_timeout::<u64>(Selector::Any, timeout)
            .unwrap_err()
    });
    timed("recv_value_or_bytes_timeout", &|| {
        q.recv_value_or_bytes_timeout::<u64, 16>(&mut MsgBuf::new(), Selector::Any, timeout)
            .unwrap_err()
    });
    timed("recv_value_or_discard_timeout", &|| {
        q.recv_value_or_discard_timeout::<u64>(Selector::Any, timeout)
            .unwrap_err()
    });
    timed("recv_value_truncating_timeout", &|| {
        q.recv_value_truncating_timeout::<u64>(Selector::Any, timeout)
            .unwrap_err()
    });
    // A message of another type is not what the selector waits for.
    q.send(2, b"other").unwrap();
    timed("recv_timeout of type 1", &|| {
        q.recv_timeout(*text.borrow_mut(), Selector::Type(1), timeout)
            .unwrap_err()
    });
    q.set_max_bytes(8).unwrap();
    q.send(2, b"ful").unwrap();
    timed("send_timeout", &|| {
        q.send_timeout(1, b"more", timeout).unwrap_err()
    });
    let mut buf = MsgBuf::<8>::new();
    buf.set(1, b"more").unwrap();
    timed("send_buf_timeout", &|| {
        q.send_buf_timeout(&buf, timeout).unwrap_err()
    });
    timed("send_value_timeout", &|| {
        q.send_value_timeout(1, &7u64, timeout).unwrap_err()
    });
    // Nothing sent, nothing taken.
    assert_eq!(q.stat().unwrap().messages, 2);
    // A zero timeout is one non-blocking try.
    let e = q
        .recv_timeout(*text.borrow_mut(), Selector::Type(1), Duration::ZERO)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    let got = q
        .recv_timeout(*text.borrow_mut(), Selector::Any, Duration::ZERO)
        .unwrap();
    assert_eq!((got.mtype, &text.borrow()[..got.len]), (2, &b"other"[..]));
    q.remove().unwrap();
}

/// A timed receive in one process takes what another process sends while it waits,
/// and a timed send in one process gets through once another drains the queue.
fn timed_forms_complete_when_a_peer_acts<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let receiver = fork_peer(move || {
        let t0 = Instant::now();
        let (mtype, v) = q
            .recv_value_timeout::<u64>(Selector::Type(3), Duration::from_secs(20))
            .unwrap();
        assert_eq!((mtype, v), (3, 0xfeed));
        assert!(t0.elapsed() < Duration::from_secs(20));
        // Now fill the queue and wait with a timed send for the parent to drain it.
        q.set_max_bytes(8).unwrap();
        q.send_value(1, &1u64).unwrap();
        q.send_value_timeout(1, &2u64, Duration::from_secs(20))
            .unwrap();
    });
    std::thread::sleep(Duration::from_millis(100));
    q.send_value(3, &0xfeed_u64).unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        got.push(
            q.recv_value_timeout::<u64>(Selector::Type(1), Duration::from_secs(20))
                .unwrap()
                .1,
        );
    }
    assert_eq!(got, [1, 2]);
    receiver.join();
    q.remove().unwrap();
}

/// The timed ways out of a poison message take, while they wait, what another
/// process sends: each a poison message (reported exactly) and then a value.
fn timed_ways_out_take_what_a_peer_sends<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let sender = fork_peer(move || {
        for round in 0..3u64 {
            std::thread::sleep(Duration::from_millis(50));
            q.send(5 + round as i64, &[1u8; 9]).unwrap();
            q.send_value(1, &round).unwrap();
        }
    });
    let wait = Duration::from_secs(20);
    let poison = |mtype| Poison {
        mtype,
        size: 9,
        more: false,
    };
    let value = |value| Typed::Value { mtype: 1, value };
    let mut buf = MsgBuf::<16>::new();
    let mut bytes = || {
        q.recv_value_or_bytes_timeout::<u64, 16>(&mut buf, Selector::Any, wait)
            .unwrap()
    };
    assert_eq!(bytes(), Typed::Other(poison(5)));
    assert_eq!(bytes(), value(0));
    let discard = || {
        q.recv_value_or_discard_timeout::<u64>(Selector::Any, wait)
            .unwrap()
    };
    assert_eq!(discard(), Typed::Other(poison(6)));
    assert_eq!(discard(), value(1));
    let truncate = || {
        q.recv_value_truncating_timeout::<u64>(Selector::Any, wait)
            .unwrap()
    };
    assert_eq!(
        truncate(),
        Typed::Truncated {
            value: u64::from_ne_bytes([1; 8]),
            poison: poison(7)
        }
    );
    assert_eq!(truncate(), value(2));
    sender.join();
    assert_eq!(q.stat().unwrap().messages, 0);
    q.remove().unwrap();
}

/// A queue removed while a timed call waits on it is `Removed`, as for the
/// blocking calls, not `InvalidArgument` (what a try on a gone id returns) or a
/// timeout.
fn removal_ends_a_timed_wait<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let receiver = fork_peer(move || {
        let t0 = Instant::now();
        let e = q
            .recv_timeout(&mut [0u8; 8], Selector::Any, Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Removed, "{e}");
        assert!(t0.elapsed() < Duration::from_secs(20));
    });
    std::thread::sleep(Duration::from_millis(100));
    q.remove().unwrap();
    receiver.join();
}

/// A signal handler that runs while a timed call sleeps ends the call with
/// `Interrupted`, as it ends a blocking one (even with `SA_RESTART`: nanosleep is
/// never restarted, signal(7)). Signals are sent until the peer returns, since one
/// that lands between two sleeps is not seen (documented).
fn a_signal_interrupts_a_timed_receive<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    let waiter = fork_peer(move || {
        install_noop_handler(libc::SIGALRM, libc::SA_RESTART);
        let e = q
            .recv_timeout(&mut [0u8; 8], Selector::Any, Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Interrupted, "{e}");
        assert_eq!(q.stat().unwrap().messages, 0);
    });
    let pid = waiter.pid();
    std::thread::sleep(Duration::from_millis(50));
    // Until the child has exited (ESRCH after it is reaped, or a zombie): each kill
    // of a live waiter lands in a sleep with probability near 1.
    for _ in 0..400 {
        // SAFETY: kill takes no pointers; `pid` is our own unreaped child.
        if unsafe { libc::kill(pid, libc::SIGALRM) } != 0 || exited(pid) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    waiter.join();
    q.remove().unwrap();
}

/// What `recv_value` says when it meets a poison message: its size against the
/// type's, and its mtype where the crate knows it (the short message it was handed;
/// a long one only under `Selector::Type`, since `E2BIG` says neither).
fn a_poison_message_error_names_size_and_mtype<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    q.send(3, b"abc").unwrap();
    let e = q.recv_value::<u64>(Selector::Any).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::recv_value on message queue {}: a message of 3 bytes where the type has 8 (mtype 3)",
            q.id()
        )
    );
    q.send(4, &[7u8; 16]).unwrap();
    let e = q
        .recv_value_with::<u64>(Selector::Type(4), RecvFlags::NOWAIT)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::recv_value_with on message queue {}: the next message is larger than the \
             buffer of 8 bytes; it stays queued (mtype 4) (msgrcv: E2BIG (Argument list too long))",
            q.id()
        )
    );
    let e = q
        .recv_value_with::<u64>(Selector::UpTo(9), RecvFlags::NOWAIT)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "MsgQueue::recv_value_with on message queue {}: the next message is larger than the \
             buffer of 8 bytes; it stays queued (msgrcv: E2BIG (Argument list too long))",
            q.id()
        )
    );
    assert_eq!(q.stat().unwrap().messages, 1);
    q.remove().unwrap();
}

/// Raises the namespace's `msgmax`, for messages longer than `DEFAULT_MSGMAX`, and
/// `msgmnb` to ten of them, up to which `set_max_bytes` then needs no privilege.
trait RaiseMsgmax: Backend {
    fn raise_msgmax(&self, msgmax: i32) {
        set_sysctl("kernel/msgmax", msgmax);
        set_sysctl("kernel/msgmnb", 10 * msgmax);
    }
}

impl RaiseMsgmax for LinuxRaw {}
impl RaiseMsgmax for Libc {}
impl RaiseMsgmax for &sysv_ipc_mock::Mock {
    fn raise_msgmax(&self, msgmax: i32) {
        self.set_limits(sysv_ipc_mock::Limits {
            msgmax,
            msgmnb: 10 * msgmax,
            ..sysv_ipc_mock::Limits::LINUX
        });
    }
}

/// The poison messages of [`each_way_out_reports_exact_sizes`]: every size around
/// `Sample`'s 24 bytes and at the ends, each with its own mtype (1..).
const POISON_SIZES: [usize; 7] = [0, 1, 23, 25, 100, DEFAULT_MSGMAX - 1, DEFAULT_MSGMAX];

fn sample(seq: u64) -> Sample {
    Sample {
        seq,
        value: [seq as f32, 0.5, -1.0],
        flags: 3,
    }
}

/// Queues `sample(0)`, then for each poison size a poison message and a `Sample`,
/// then one message longer than `DEFAULT_MSGMAX` (msgmax raised) and a last `Sample`.
fn queue_poison_and_samples<B: RaiseMsgmax + Copy>(q: &MsgQueue<B>) -> Vec<Poison> {
    q.backend().raise_msgmax(9000);
    q.set_max_bytes(90_000).unwrap();
    let mut sent = Vec::new();
    q.send_value(100, &sample(0)).unwrap();
    for (i, &size) in POISON_SIZES.iter().enumerate() {
        let mtype = 1 + i as i64;
        q.send(mtype, &vec![0xa5; size]).unwrap();
        sent.push(Poison {
            mtype,
            size,
            more: false,
        });
        q.send_value(100, &sample(1 + i as u64)).unwrap();
    }
    let mut long = MsgBuf::<9000>::new();
    long.set(50, &[0x5a; 9000]).unwrap();
    q.send_buf(&long).unwrap();
    sent.push(Poison {
        mtype: 50,
        size: DEFAULT_MSGMAX,
        more: true,
    });
    q.send_value(100, &sample(99)).unwrap();
    sent
}

/// Each way out of a poison message, on one queue holding poison of every size
/// between `Sample`s: every `Sample` is served in order, every poison message is
/// reported once with its exact mtype and size, and the queue ends empty.
fn each_way_out_reports_exact_sizes<B: RaiseMsgmax + Copy>(b: B) {
    let seqs: Vec<u64> = (0..=POISON_SIZES.len() as u64).chain([99]).collect();
    // Discard: the poison is taken and reported.
    let q = new_queue(b);
    let sent = queue_poison_and_samples(&q);
    let (mut served, mut dropped) = (Vec::new(), Vec::new());
    loop {
        match q.recv_value_or_discard::<Sample>(Selector::Any, RecvFlags::NOWAIT) {
            Ok(Typed::Value { mtype, value }) => {
                assert_eq!((mtype, &value), (100, &sample(value.seq)));
                served.push(value.seq);
            }
            Ok(Typed::Other(p)) => dropped.push(p),
            Ok(t @ Typed::Truncated { .. }) => panic!("{t:?}"),
            Err(e) if e.kind() == ErrorKind::NoMessage => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(served, seqs);
    assert_eq!(dropped, sent);
    assert_eq!(q.stat().unwrap().messages, 0);

    // Truncate: the longer poison gives its head as a Sample, the shorter is dropped.
    let sent = queue_poison_and_samples(&q);
    let (mut served, mut cut, mut dropped) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        match q.recv_value_truncating::<Sample>(Selector::Any, RecvFlags::NOWAIT) {
            Ok(Typed::Value { value, .. }) => served.push(value.seq),
            Ok(Typed::Truncated { value, poison }) => {
                let fill = if poison.mtype == 50 { 0x5a } else { 0xa5 };
                assert_eq!(value.seq, u64::from_ne_bytes([fill; 8]));
                cut.push(poison);
            }
            Ok(Typed::Other(p)) => dropped.push(p),
            Err(e) if e.kind() == ErrorKind::NoMessage => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(served, seqs);
    let size = std::mem::size_of::<Sample>();
    let (longer, shorter): (Vec<Poison>, Vec<Poison>) = sent.iter().partition(|p| p.size > size);
    assert_eq!((cut, dropped), (longer, shorter));
    assert_eq!(q.stat().unwrap().messages, 0);

    // As bytes: each poison message arrives whole in the caller's buffer; one longer
    // than the buffer is refused and stays, and a bigger buffer takes it.
    let sent = queue_poison_and_samples(&q);
    let mut buf = MsgBuf::<DEFAULT_MSGMAX>::new();
    let (mut served, mut kept) = (Vec::new(), Vec::new());
    loop {
        match q.recv_value_or_bytes::<Sample, DEFAULT_MSGMAX>(
            &mut buf,
            Selector::Any,
            RecvFlags::NOWAIT | RecvFlags::TRUNCATE, // ignored: never cuts
        ) {
            Ok(Typed::Value { value, .. }) => {
                assert_eq!(buf.text(), sample(value.seq).as_bytes());
                served.push(value.seq);
            }
            Ok(Typed::Other(p)) => {
                assert_eq!((buf.mtype(), buf.text().len()), (p.mtype, p.size));
                assert!(buf.text().iter().all(|&x| x == 0xa5));
                kept.push(p);
            }
            Ok(t @ Typed::Truncated { .. }) => panic!("{t:?}"),
            Err(e)
                if e.kind() == ErrorKind::BufferTooSmall
                    && e.expected() == Some(DEFAULT_MSGMAX as u64) =>
            {
                let mut big = MsgBuf::<9000>::new();
                match q
                    .recv_value_or_bytes::<Sample, 9000>(&mut big, Selector::Any, RecvFlags::NOWAIT)
                    .unwrap()
                {
                    Typed::Other(p) => {
                        assert_eq!(big.text(), &[0x5a; 9000][..]);
                        kept.push(Poison {
                            more: true,
                            size: DEFAULT_MSGMAX,
                            ..p
                        });
                        assert_eq!(p.size, 9000);
                    }
                    t => panic!("{t:?}"),
                }
            }
            Err(e) if e.kind() == ErrorKind::NoMessage => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(served, seqs);
    assert_eq!(kept, sent);
    assert_eq!(q.stat().unwrap().messages, 0);
    q.remove().unwrap();
}

/// The ways out honour the selector: a poison message of another type is left alone,
/// one of the selected type is taken and reported.
fn ways_out_take_only_what_the_selector_picks<B: Backend + Copy>(b: B) {
    let q = new_queue(b);
    q.send(2, b"poison of type 2").unwrap();
    q.send(1, b"poison of type 1").unwrap();
    q.send_value(1, &sample(7)).unwrap();
    let got = q
        .recv_value_or_discard::<Sample>(Selector::Type(1), RecvFlags::NOWAIT)
        .unwrap();
    assert_eq!(
        got,
        Typed::Other(Poison {
            mtype: 1,
            size: 16,
            more: false
        })
    );
    let got = q
        .recv_value_truncating::<Sample>(Selector::Except(2), RecvFlags::NOWAIT)
        .unwrap();
    assert_eq!(
        got,
        Typed::Value {
            mtype: 1,
            value: sample(7)
        }
    );
    let e = q
        .recv_value_or_discard::<Sample>(Selector::UpTo(1), RecvFlags::NOWAIT)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoMessage);
    let e = q
        .recv_value_or_discard::<Sample>(Selector::Type(0), RecvFlags::NOWAIT)
        .unwrap_err();
    assert_eq!((e.kind(), e.errno()), (ErrorKind::InvalidArgument, None));
    assert_eq!(q.stat().unwrap().messages, 1, "type 2 stays");
    q.remove().unwrap();
}

/// A typed server in a process of its own, against a client process that mixes
/// poison messages (longer and shorter than a request) into its requests: the
/// server drops and counts the poison and keeps serving, blocking in `msgrcv`, with
/// two server processes taking from the same queue at once. Each server reports its
/// tally on a second queue; together they served every request once and reported
/// every poison message once, with its mtype and size.
fn a_typed_server_survives_poison_from_another_process<B: Backend + Copy>(b: B) {
    const REQUESTS: u64 = 2000;
    const SERVERS: usize = 2;
    let q = new_queue(b);
    let tally = new_queue(b);
    let servers: Vec<_> = (0..SERVERS)
        .map(|_| {
            fork_peer(move || {
                // (seq sum, served, poison count, poison bytes, poison mtype sum)
                let mut t = [0u64; 5];
                loop {
                    match q.recv_value_or_discard::<Sample>(Selector::Any, RecvFlags::BLOCK) {
                        Ok(Typed::Value { value, .. }) if value.seq == u64::MAX => break,
                        Ok(Typed::Value { value, .. }) => {
                            assert_eq!(value, sample(value.seq));
                            t[0] += value.seq;
                            t[1] += 1;
                        }
                        Ok(Typed::Other(p)) => {
                            assert!(!p.more);
                            t[2] += 1;
                            t[3] += p.size as u64;
                            t[4] += p.mtype as u64;
                        }
                        Ok(t) => panic!("{t:?}"),
                        Err(e) => panic!("{e}"),
                    }
                }
                tally.send_value(1, &t).unwrap();
            })
        })
        .collect();
    let client = fork_peer(move || {
        for seq in 0..REQUESTS {
            q.send_value(1, &sample(seq)).unwrap();
            match seq % 4 {
                0 => q.send(2, &vec![1u8; 25 + (seq % 100) as usize]).unwrap(),
                1 => q.send(3, &vec![1u8; (seq % 24) as usize]).unwrap(),
                _ => {}
            }
        }
        for _ in 0..SERVERS {
            q.send_value(1, &sample(u64::MAX)).unwrap();
        }
    });
    client.join();
    for s in servers {
        s.join();
    }
    let mut total = [0u64; 5];
    for _ in 0..SERVERS {
        let (_, t) = q_tally(&tally);
        for (sum, x) in total.iter_mut().zip(t) {
            *sum += x;
        }
    }
    let (mut count, mut bytes, mut mtypes) = (0, 0, 0);
    for seq in 0..REQUESTS {
        match seq % 4 {
            0 => (count, bytes, mtypes) = (count + 1, bytes + 25 + seq % 100, mtypes + 2),
            1 => (count, bytes, mtypes) = (count + 1, bytes + seq % 24, mtypes + 3),
            _ => {}
        }
    }
    assert_eq!(
        total,
        [
            REQUESTS * (REQUESTS - 1) / 2,
            REQUESTS,
            count,
            bytes,
            mtypes
        ]
    );
    assert_eq!(q.stat().unwrap().messages, 0);
    q.remove().unwrap();
    tally.remove().unwrap();
}

fn q_tally<B: Backend>(tally: &MsgQueue<B>) -> (i64, [u64; 5]) {
    tally
        .recv_value_with::<[u64; 5]>(Selector::Any, RecvFlags::NOWAIT)
        .unwrap()
}

/// Whether `pid` (our child) is a zombie: it returned, its status not yet reaped.
fn exited(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

macro_rules! for_backends {
    ($($test:ident),* $(,)?) => {
        mod linux_raw {
            $( #[test] fn $test() { sysv_ipc_testkit::in_ipc_namespace(|| super::$test(super::LinuxRaw)); } )*
        }
        mod libc_backend {
            $( #[test] fn $test() { sysv_ipc_testkit::in_ipc_namespace(|| super::$test(super::Libc)); } )*
        }
    };
}

for_backends!(
    selectors_pick_as_the_kernel_says,
    too_small_buffer_keeps_the_message,
    bad_messages_are_refused_clearly,
    full_queue_would_block,
    typed_values_round_trip_and_sizes_are_checked,
    msgbuf_send_and_receive_without_copies,
    peek_copies_without_removing,
    stat_reports_the_queue,
    removal_guard_removes_on_drop,
    a_message_crosses_processes,
    removal_wakes_a_blocked_receiver,
    removal_wakes_a_blocked_sender,
    a_signal_interrupts_a_blocked_receive,
    permissions_are_enforced,
    ipc_set_needs_only_ownership,
    nothing_allocates,
    timed_forms_time_out_within_their_deadline,
    timed_forms_complete_when_a_peer_acts,
    removal_ends_a_timed_wait,
    a_signal_interrupts_a_timed_receive,
    each_way_out_reports_exact_sizes,
    ways_out_take_only_what_the_selector_picks,
    a_typed_server_survives_poison_from_another_process,
    timed_ways_out_take_what_a_peer_sends,
    a_poison_message_error_names_size_and_mtype,
);

/// The single-process tests again on the in-memory model of the kernel (a fresh
/// `Mock` each, leaked: it is about 330 KiB and must not move while in use).
///
/// The tests after `in_a_child:` count allocations, which are counted per process:
/// they run in a forked child, because the other mock tests are threads of this
/// process and allocate meanwhile (under qemu-aarch64 that made every run fail).
macro_rules! on_the_mock {
    ($($test:ident),* $(,)?; in_a_child: $($alone:ident),* $(,)?) => {
        mod mock {
            $( #[test] fn $test() {
                super::$test(super::fresh_mock());
            } )*
            $( #[test] fn $alone() {
                sysv_ipc_testkit::fork_peer(|| super::$alone(super::fresh_mock())).join();
            } )*
        }
    };
}

on_the_mock!(
    selectors_pick_as_the_kernel_says,
    too_small_buffer_keeps_the_message,
    full_queue_would_block,
    typed_values_round_trip_and_sizes_are_checked,
    msgbuf_send_and_receive_without_copies,
    peek_copies_without_removing,
    stat_reports_the_queue,
    removal_guard_removes_on_drop,
    timed_forms_time_out_on_the_virtual_clock,
    each_way_out_reports_exact_sizes,
    ways_out_take_only_what_the_selector_picks,
    a_poison_message_error_names_size_and_mtype;
    in_a_child: nothing_allocates,
);

/// [`ipc_set_needs_only_ownership`] for every kind of object on the in-memory
/// kernel, whose users are set rather than forked.
#[test]
fn ipc_set_needs_only_ownership_on_the_mock() {
    use sysv_ipc::SemSet;
    use sysv_ipc::shm::Segment;
    use sysv_ipc_mock::Process;

    let m = fresh_mock();
    m.set_process(Process::root(1));
    let roots_q = MsgQueue::create_in(m, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let roots_s = SemSet::create_in(m, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let roots_m =
        Segment::create_in(m, Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    m.set_process(Process::user(2, 65534, 65534));
    let nobody = Owner {
        uid: 65534,
        gid: 65534,
        mode: Mode::OWNER_RW,
    };
    let status = |e: Error| (e.kind(), e.errno());
    let perm = (ErrorKind::PermissionDenied, Some(Errno::PERM));
    for mode in [Mode::new(0o000), Mode::new(0o200)] {
        let q = MsgQueue::create_in(m, Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        q.set_owner_and_max_bytes(nobody, 100).unwrap();
        assert_eq!(q.stat().unwrap().max_bytes, 100);
        let s = SemSet::create_in(m, Key::PRIVATE, 1, Intent::CreateNew, mode).unwrap();
        s.set_owner(nobody).unwrap();
        assert_eq!(s.stat().unwrap().perm.mode, Mode::OWNER_RW);
        let g = Segment::create_in(m, Key::PRIVATE, 64, Intent::CreateNew, mode).unwrap();
        g.set_owner(nobody).unwrap();
        assert_eq!(g.stat().unwrap().perm.mode, Mode::OWNER_RW);
    }
    assert_eq!(status(roots_q.set_owner(nobody).unwrap_err()), perm);
    assert_eq!(status(roots_q.set_max_bytes(100).unwrap_err()), perm);
    assert_eq!(
        status(roots_q.set_owner_and_max_bytes(nobody, 100).unwrap_err()),
        perm
    );
    assert_eq!(status(roots_s.set_owner(nobody).unwrap_err()), perm);
    assert_eq!(status(roots_m.set_owner(nobody).unwrap_err()), perm);
}

fn fresh_mock() -> &'static sysv_ipc_mock::Mock {
    Box::leak(Box::new(sysv_ipc_mock::Mock::new()))
}

/// On the mock, whose clock only moves when a caller sleeps: a timed receive on an
/// empty queue sleeps its way through exactly its timeout, in backed-off steps.
fn timed_forms_time_out_on_the_virtual_clock(m: &sysv_ipc_mock::Mock) {
    let q = new_queue(m);
    let now = || {
        let t = m.clock_gettime(sysv_ipc::abi::CLOCK_MONOTONIC).unwrap();
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    };
    let t0 = now();
    let e = q
        .recv_timeout(&mut [0u8; 8], Selector::Any, Duration::from_secs(3))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert_eq!(now() - t0, Duration::from_secs(3));
    q.send(1, b"x").unwrap();
    let got = q
        .recv_timeout(&mut [0u8; 8], Selector::Any, Duration::from_secs(3))
        .unwrap();
    assert_eq!(got.len, 1);
    assert_eq!(
        now() - t0,
        Duration::from_secs(3),
        "no sleep when a message is there"
    );
}
