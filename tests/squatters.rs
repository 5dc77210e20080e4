//! Squatters and mix-ups (issue 7), through both real backends, each test in a fresh
//! IPC namespace. Another user (uid 65534, via `as_user`) takes a key first — with
//! other permissions, another size, another kind of object, another `T`, or garbage
//! contents — and a victim (uid 1000, unprivileged, so that no root bypass hides
//! anything) opens or creates a `MsgQueue`, `SemSet`, `Segment`, `Shm`, `Queue` or
//! `SeqLock` there: it gets a clear error (permission, size, layout field) and
//! never silently uses the squatter's object. Every create's default mode is
//! `0o600` (checked with `IPC_STAT`), and nobody else can use such objects.
//!
//! Needs root for the two uids; prints "skipped: needs root" otherwise.

use sysv_ipc::msg::MsgQueue;
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::Segment;
use sysv_ipc::{
    Backend, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemOp, SemSet, Shm,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{as_user, in_ipc_namespace, needs_root};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use sysv_ipc_testkit::per_backend;

per_backend!(
    squatter_with_private_permissions,
    squatter_with_another_size_or_garbage,
    squatter_semaphores_under_a_layout_key,
    another_type_on_the_same_key,
    default_modes_are_owner_only,
);

const SQUATTER: u32 = 65534;
const VICTIM: u32 = 1000;
const KEY: Key = Key::new(0x5351_0001);

fn err<T>(r: sysv_ipc::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn kind<T>(r: sysv_ipc::Result<T>) -> ErrorKind {
    err(r).kind()
}

#[derive(Clone, Copy, Debug, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct A([u64; 2]);

impl sysv_ipc::ShmType for A {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc tests::squatters::A");
}

/// Same size and alignment as `A`, another name: only the fingerprint differs.
#[derive(Clone, Copy, Debug, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct B2([u64; 2]);

impl sysv_ipc::ShmType for B2 {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc tests::squatters::B2");
}

fn layout_field(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::LayoutMismatch => e.layout_field().expect("a LayoutMismatch names its field"),
        k => panic!("expected LayoutMismatch, got {k:?}: {e}"),
    }
}

/// The squatter's objects are `0o600`: the victim's creates are refused, never
/// joined; the plain opens (which ask for no access) fail at the first use.
fn squatter_with_private_permissions<B: Backend + Copy>(b: B) {
    if !needs_root("squatter_with_private_permissions") {
        return;
    }
    in_ipc_namespace(move || {
        as_user(SQUATTER, SQUATTER, move || {
            MsgQueue::create_in(b, KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            SemSet::create_in(b, KEY, 4, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        });
        as_user(VICTIM, VICTIM, move || {
            let m = Mode::OWNER_RW;
            for intent in [Intent::OpenOrCreate, Intent::Open] {
                assert_eq!(
                    kind(MsgQueue::create_in(b, KEY, intent, m)),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(SemSet::create_in(b, KEY, 4, intent, m)),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(Segment::create_in(b, KEY, 64, intent, m)),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(Shm::<A, B>::create_in(b, KEY, intent, m)),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(Queue::<A, 4, B>::create_in(b, KEY, intent, m)),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(SeqLock::<A, B>::create_in(b, KEY, intent, m)),
                    ErrorKind::PermissionDenied
                );
            }
            assert_eq!(
                kind(SemSet::new_initialized_in(b, KEY, &[1; 4], m)),
                ErrorKind::PermissionDenied
            );
            assert_eq!(
                kind(MsgQueue::create_in(b, KEY, Intent::CreateNew, m)),
                ErrorKind::AlreadyExists
            );
            assert_eq!(
                kind(Queue::<A, 4, B>::create_in(b, KEY, Intent::CreateNew, m)),
                ErrorKind::AlreadyExists
            );
            // Opening by key asks for no access; the first real use is refused.
            let q = MsgQueue::open_in(b, KEY).unwrap();
            assert_eq!(kind(q.try_send(1, b"x")), ErrorKind::PermissionDenied);
            assert_eq!(kind(q.stat()), ErrorKind::PermissionDenied);
            let s = SemSet::open_in(b, KEY).unwrap();
            assert_eq!(kind(s.op(&[SemOp::post(0)])), ErrorKind::PermissionDenied);
            let g = Segment::open_in(b, KEY).unwrap();
            assert_eq!(kind(g.attach()), ErrorKind::PermissionDenied);
            assert_eq!(kind(g.attach_read_only()), ErrorKind::PermissionDenied);
            // Nor can the victim remove them.
            assert_eq!(kind(q.remove()), ErrorKind::PermissionDenied);
        });
    });
}

/// The squatter's world-accessible segment has another size, or garbage (or a
/// plausible but foreign header): the typed opens refuse it before reading any
/// payload, naming what differs.
fn squatter_with_another_size_or_garbage<B: Backend + Copy>(b: B) {
    if !needs_root("squatter_with_another_size_or_garbage") {
        return;
    }
    in_ipc_namespace(move || {
        let all = Mode::ALL_RW;
        // A small segment: Shm<A> says how small, the layouts that it is too small.
        as_user(SQUATTER, SQUATTER, move || {
            Segment::create_in(b, KEY, 8, Intent::CreateNew, all).unwrap();
        });
        as_user(VICTIM, VICTIM, move || {
            let e = err(Shm::<A, B>::create_in(
                b,
                KEY,
                Intent::OpenOrCreate,
                Mode::OWNER_RW,
            ));
            assert_eq!(
                (e.kind(), e.actual(), e.expected()),
                (ErrorKind::SizeMismatch, Some(8), Some(16)),
                "{e}"
            );
            let e = err(Shm::<A, B>::open_in(b, KEY));
            assert_eq!(
                (e.kind(), e.actual(), e.expected()),
                (ErrorKind::SizeMismatch, Some(8), Some(16))
            );
            let e = err(Queue::<A, 4, B>::create_in(
                b,
                KEY,
                Intent::OpenOrCreate,
                Mode::OWNER_RW,
            ));
            assert_eq!(layout_field(&e), "size");
            let e = err(SeqLock::<A, B>::open_in(b, KEY));
            assert_eq!(layout_field(&e), "size");
            // The squatter's segment is still there, untouched.
            assert_eq!(Segment::open_in(b, KEY).unwrap().stat().unwrap().size, 8);
        });
        // Garbage in a segment of the right size: every header word 0xA5.
        for fill in [0xa5u8, 0x02] {
            as_user(SQUATTER, SQUATTER, move || {
                if let Ok(s) = Segment::open_in(b, KEY) {
                    s.remove().unwrap();
                }
                let s = Segment::create_in(b, KEY, 8192, Intent::CreateNew, all).unwrap();
                let att = s.attach().unwrap();
                let mut bytes = vec![fill; 8192];
                if fill == 0x02 {
                    // A plausible header: state READY, then garbage.
                    bytes[..8].copy_from_slice(&2u64.to_ne_bytes());
                }
                att.write(0, &bytes).unwrap();
            });
            as_user(VICTIM, VICTIM, move || {
                let q = Queue::<A, 4, B>::create_in(b, KEY, Intent::OpenOrCreate, Mode::OWNER_RW);
                let l = SeqLock::<A, B>::open_in(b, KEY);
                // A join looks at the size first when the header is not
                // published: no creator of `Queue<A, 4>` or `SeqLock<A>` makes
                // 8192 bytes. A published (garbage) header is read.
                if fill == 0xa5 {
                    assert_eq!(layout_field(&err(q)), "size", "an impossible state word");
                    assert_eq!(layout_field(&err(l)), "size");
                } else {
                    assert_eq!(layout_field(&err(q)), "magic");
                    assert_eq!(layout_field(&err(l)), "magic");
                }
                // Shm<T> has no header: any segment of the size is a T (documented).
                let w = u64::from_ne_bytes([fill; 8]);
                let first = if fill == 0x02 { 2 } else { w };
                assert_eq!(Shm::<A, B>::open_in(b, KEY).unwrap().read(), A([first, w]));
            });
        }
    });
}

/// The squatter creates an initialised, world-writable semaphore set of the right
/// size under the key of a `Queue`/`SeqLock` the victim then creates: the victim
/// must not use the squatter's semaphores (roles, wake-ups) as its own.
fn squatter_semaphores_under_a_layout_key<B: Backend + Copy>(b: B) {
    if !needs_root("squatter_semaphores_under_a_layout_key") {
        return;
    }
    in_ipc_namespace(move || {
        let all = Mode::ALL_RW;
        as_user(SQUATTER, SQUATTER, move || {
            SemSet::new_initialized_in(b, KEY, &[0, 0, 1, 1], all).unwrap();
            SemSet::new_initialized_in(b, Key::new(KEY.raw() + 1), &[1], all).unwrap();
        });
        as_user(VICTIM, VICTIM, move || {
            let e = err(Queue::<A, 4, B>::create_in(
                b,
                KEY,
                Intent::CreateNew,
                Mode::OWNER_RW,
            ));
            assert_eq!(layout_field(&e), "semaphore set's creator uid", "{e}");
            let e = err(SeqLock::<A, B>::create_in(
                b,
                Key::new(KEY.raw() + 1),
                Intent::CreateNew,
                Mode::OWNER_RW,
            ));
            assert_eq!(layout_field(&e), "semaphore set's creator uid", "{e}");
            // Nothing of the victim's is left behind.
            assert_eq!(kind(Segment::open_in(b, KEY)), ErrorKind::NotFound);
        });
    });
}

/// Two `T` (or a queue and a seqlock) on one key, also across users: refused with
/// the field that differs, in both directions.
fn another_type_on_the_same_key<B: Backend + Copy>(b: B) {
    if !needs_root("another_type_on_the_same_key") {
        return;
    }
    in_ipc_namespace(move || {
        let (qk, lk) = (KEY, Key::new(KEY.raw() + 7));
        as_user(SQUATTER, SQUATTER, move || {
            let q = Queue::<B2, 4, B>::create_in(b, qk, Intent::CreateNew, Mode::ALL_RW).unwrap();
            q.split().unwrap().0.enqueue(B2([1, 2])).unwrap();
            SeqLock::<B2, B>::create_in(b, lk, Intent::CreateNew, Mode::ALL_RW).unwrap();
        });
        as_user(VICTIM, VICTIM, move || {
            let o = Intent::OpenOrCreate;
            let m = Mode::OWNER_RW;
            assert_eq!(
                layout_field(&err(Queue::<A, 4, B>::create_in(b, qk, o, m))),
                "type_id"
            );
            assert_eq!(
                layout_field(&err(Queue::<B2, 8, B>::create_in(b, qk, o, m))),
                "capacity"
            );
            assert_eq!(
                layout_field(&err(Queue::<u64, 4, B>::create_in(b, qk, o, m))),
                "type_size"
            );
            assert_eq!(
                layout_field(&err(SeqLock::<B2, B>::create_in(b, qk, o, m))),
                "kind"
            );
            assert_eq!(
                layout_field(&err(SeqLock::<A, B>::create_in(b, lk, o, m))),
                "type_id"
            );
            assert_eq!(
                layout_field(&err(Queue::<B2, 4, B>::create_in(b, lk, o, m))),
                "size"
            );
            // The right type joins (the squatter made them world-accessible).
            let q = Queue::<B2, 4, B>::open_in(b, qk).unwrap();
            assert_eq!(q.len().unwrap(), 1);
        });
    });
}

/// Every create with `Mode::default()` makes `0o600` objects (both halves of the
/// layouts), which another user can neither use nor attach.
fn default_modes_are_owner_only<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let d = Mode::default();
        let ci = Intent::CreateNew;
        let keys: Vec<Key> = (0..6).map(|i| Key::new(0x5351_0100 + i)).collect();
        let msg = MsgQueue::create_in(b, keys[0], ci, d).unwrap();
        let sem = SemSet::create_in(b, keys[1], 2, ci, d).unwrap();
        let seg = Segment::create_in(b, keys[2], 64, ci, d).unwrap();
        let shm = Shm::<A, B>::create_in(b, keys[3], ci, d).unwrap();
        let q = Queue::<A, 4, B>::create_in(b, keys[4], ci, d).unwrap();
        let l = SeqLock::<A, B>::create_in(b, keys[5], ci, d).unwrap();
        let inited = SemSet::new_initialized_in(b, Key::PRIVATE, &[1], d).unwrap();
        let modes = [
            msg.stat().unwrap().perm.mode,
            sem.stat().unwrap().perm.mode,
            seg.stat().unwrap().perm.mode,
            shm.segment().stat().unwrap().perm.mode,
            q.segment().stat().unwrap().perm.mode,
            q.semaphores().stat().unwrap().perm.mode,
            l.segment().stat().unwrap().perm.mode,
            inited.stat().unwrap().perm.mode,
        ];
        for m in modes {
            assert_eq!(m.bits(), 0o600, "{m:?}");
        }
        if needs_root("default_modes_are_owner_only (as another user)") {
            let keys2 = keys.clone();
            as_user(SQUATTER, SQUATTER, move || {
                let k = &keys2;
                assert_eq!(
                    kind(MsgQueue::open_in(b, k[0]).unwrap().try_send(1, b"x")),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(SemSet::open_in(b, k[1]).unwrap().get(0)),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(Segment::open_in(b, k[2]).unwrap().attach_read_only()),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(Shm::<A, B>::open_in(b, k[3])),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(Queue::<A, 4, B>::open_in(b, k[4])),
                    ErrorKind::PermissionDenied
                );
                assert_eq!(
                    kind(SeqLock::<A, B>::open_in(b, k[5])),
                    ErrorKind::PermissionDenied
                );
            });
        }
        drop((shm, q, l));
        for k in &keys[2..] {
            if let Ok(s) = Segment::open_in(b, *k) {
                s.remove().unwrap();
            }
        }
        msg.remove().unwrap();
        sem.remove().unwrap();
        inited.remove().unwrap();
    });
}
