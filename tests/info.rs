//! `info`: limits, usage and enumeration on the real kernel through both real
//! backends (`LinuxRaw`, `Libc`), each test in a fresh IPC namespace; the tests that
//! need neither sysctl nor a second uid also run on the in-memory mock.
//!
//! A kernel before 4.17 (no `*_STAT_ANY`) is played by [`old_kernel`], a backend that
//! forwards every call but answers the `*_STAT_ANY` commands with `EINVAL`, as such a
//! kernel's `default:` branch does.

use std::collections::BTreeMap;

use sysv_ipc::abi;
use sysv_ipc::info::{self, MsgLimits, MsgUsage, SemLimits, SemUsage, ShmLimits, ShmUsage};
use sysv_ipc::msg::MsgQueue;
use sysv_ipc::{Backend, Errno, Intent, Key, Mode, Owner, Removable, Removal, Segment, SemSet};
use sysv_ipc_testkit::{
    Call, Fail, Failing, as_user, get_sysctl, in_ipc_namespace, needs_root, set_sysctl,
};

// ---- allocation counting ---------------------------------------------------------------

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

// ---- instantiation -----------------------------------------------------------------------

/// Tests that need the kernel (sysctl, other uids, resident pages), per real backend.
macro_rules! on_real_backends {
    ($($name:ident),* $(,)?) => {
        mod linux_raw {
            $(#[test] fn $name() { super::$name(sysv_ipc_linux_raw::LinuxRaw); })*
        }
        mod libc_backend {
            $(#[test] fn $name() { super::$name(sysv_ipc_libc::Libc); })*
        }
    };
}

/// Tests of one process, per real backend and on the mock.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod every_linux_raw {
            $(#[test] fn $name() { super::$name(sysv_ipc_linux_raw::LinuxRaw); })*
        }
        mod every_libc_backend {
            $(#[test] fn $name() { super::$name(sysv_ipc_libc::Libc); })*
        }
        mod mock {
            $(#[test] fn $name() {
                static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
                super::$name(&KERNEL);
            })*
        }
    };
}

on_every_backend!(
    limits_are_a_fresh_namespaces,
    usage_counts_objects,
    enumeration_finds_exactly_the_objects,
    fallback_without_stat_any,
    empty_namespace_enumerates_nothing,
    zero_allocations,
);

on_real_backends!(
    limits_follow_sysctl,
    shm_usage_counts_resident_pages,
    stat_any_lists_what_nobody_cannot_read,
);

// ---- helpers -----------------------------------------------------------------------------

const NOBODY: u32 = 65534;

/// A kernel before Linux 4.17: every call forwarded, but `MSG_STAT_ANY`,
/// `SEM_STAT_ANY` and `SHM_STAT_ANY` are unknown commands (`EINVAL`).
const OLD_KERNEL: &[Fail] = &[
    Fail::cmd(Call::Msgctl, abi::MSG_STAT_ANY, Errno::INVAL),
    Fail::cmd(Call::Semctl, abi::SEM_STAT_ANY, Errno::INVAL),
    Fail::cmd(Call::Shmctl, abi::SHM_STAT_ANY, Errno::INVAL),
];

/// `b` as a kernel before Linux 4.17 ([`OLD_KERNEL`]).
fn old_kernel<B: Backend>(b: B) -> Failing<B> {
    Failing::new(b, OLD_KERNEL)
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as u64 }
}

/// A few objects of each kind, with holes in the index tables and a removed but
/// still attached segment; each kind's ids with its own `stat()`.
struct Objects<B: Backend + Copy> {
    queues: BTreeMap<i32, sysv_ipc::msg::MsgQueueStat>,
    sets: BTreeMap<i32, sysv_ipc::sem::SemSetStat>,
    segments: BTreeMap<i32, sysv_ipc::SegmentStat>,
    _attached: sysv_ipc::Attachment<B>,
}

fn make_objects<B: Backend + Copy>(b: B, mode: Mode) -> Objects<B> {
    let q = |key: i32| MsgQueue::create_in(b, Key::new(key), Intent::CreateNew, mode).unwrap();
    let (q1, q2, q3) = (q(0x10), q(0x11), q(0x12));
    q2.remove().unwrap(); // a hole at index 1
    q3.send(1, b"counted").unwrap();
    let s = |key: i32, n: usize| SemSet::create_in(b, Key::new(key), n, Intent::CreateNew, mode);
    let (s1, s2, s3) = (
        s(0x20, 1).unwrap(),
        s(0x21, 2).unwrap(),
        s(0x22, 3).unwrap(),
    );
    s1.remove().unwrap(); // a hole at index 0
    let g = |key: i32, size: usize| {
        Segment::create_in(b, Key::new(key), size, Intent::CreateNew, mode).unwrap()
    };
    let (g1, g2, g3) = (g(0x30, 100), g(0, 5000), g(0x32, 1));
    let attached = g3.attach().unwrap();
    g3.remove().unwrap(); // listed until the last detach, with a private key
    let queues = [q1, q3]
        .iter()
        .map(|q| (q.id(), q.stat().unwrap()))
        .collect();
    let sets = [s2, s3]
        .iter()
        .map(|s| (s.id(), s.stat().unwrap()))
        .collect();
    let segments = [g1, g2, g3]
        .iter()
        .map(|g| (g.id(), g.stat().unwrap()))
        .collect();
    Objects {
        queues,
        sets,
        segments,
        _attached: attached,
    }
}

fn collect<S, I>(iter: I) -> BTreeMap<i32, S>
where
    I: Iterator<Item = sysv_ipc::Result<(i32, S)>>,
{
    iter.map(|r| r.unwrap()).collect()
}

// ---- limits ------------------------------------------------------------------------------

fn limits_are_a_fresh_namespaces<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        assert_eq!(
            info::msg_limits_in(b).unwrap(),
            MsgLimits {
                msgmax: abi::MSGMAX as usize,
                msgmnb: abi::MSGMNB as usize,
                msgmni: abi::MSGMNI as u32,
                msgssz: abi::MSGSSZ as u32,
                msgseg: abi::MSGSEG as u32,
                msgpool: abi::MSGPOOL as u32,
                msgmap: abi::MSGMAP as u32,
                msgtql: abi::MSGTQL as u32,
            }
        );
        assert_eq!(
            info::sem_limits_in(b).unwrap(),
            SemLimits {
                semmsl: abi::SEMMSL as u32,
                semmns: abi::SEMMNS as u32,
                semopm: abi::SEMOPM as u32,
                semmni: abi::SEMMNI as u32,
                semvmx: abi::SEMVMX as u32,
                semaem: abi::SEMAEM as u32,
                semume: abi::SEMUME as u32,
                semmnu: abi::SEMMNU as u32,
                semmap: abi::SEMMAP as u32,
                semusz: abi::SEMUSZ as u32,
            }
        );
        assert_eq!(
            info::shm_limits_in(b).unwrap(),
            ShmLimits {
                shmmax: abi::SHMMAX,
                shmmin: abi::SHMMIN,
                shmmni: abi::SHMMNI,
                shmseg: abi::SHMSEG,
                shmall: abi::SHMALL,
            }
        );
    });
}

fn limits_follow_sysctl<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        set_sysctl("kernel/msgmax", 4000);
        set_sysctl("kernel/msgmnb", 9000);
        set_sysctl("kernel/msgmni", 17);
        set_sysctl("kernel/sem", "250 32000 32 128");
        set_sysctl("kernel/shmmax", 1 << 20);
        set_sysctl("kernel/shmall", 512);
        set_sysctl("kernel/shmmni", 33);
        let m = info::msg_limits_in(b).unwrap();
        assert_eq!((m.msgmax, m.msgmnb, m.msgmni), (4000, 9000, 17));
        let s = info::sem_limits_in(b).unwrap();
        assert_eq!(
            (s.semmsl, s.semmns, s.semopm, s.semmni),
            (250, 32000, 32, 128)
        );
        let h = info::shm_limits_in(b).unwrap();
        assert_eq!((h.shmmax, h.shmall, h.shmmni), (1 << 20, 512, 33));
        assert_eq!(h.shmseg, 33, "Linux reports shmmni as shmseg");
        // And the sysctl files agree with what the calls say.
        assert_eq!(get_sysctl("kernel/msgmax"), m.msgmax.to_string());
        assert_eq!(get_sysctl("kernel/shmmni"), h.shmmni.to_string());
        assert_eq!(
            get_sysctl("kernel/sem")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["250", "32000", "32", "128"]
        );
    });
}

// ---- usage -------------------------------------------------------------------------------

fn usage_counts_objects<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let zero = (
            info::msg_usage_in(b).unwrap(),
            info::sem_usage_in(b).unwrap(),
            info::shm_usage_in(b).unwrap(),
        );
        assert_eq!(
            zero,
            (
                MsgUsage {
                    queues: 0,
                    messages: 0,
                    bytes: 0
                },
                SemUsage {
                    sets: 0,
                    semaphores: 0
                },
                ShmUsage {
                    segments: 0,
                    pages_total: 0,
                    pages_resident: 0,
                    pages_swapped: 0,
                    swap_attempts: 0,
                    swap_successes: 0
                }
            )
        );
        let mode = Mode::OWNER_RW;
        let q1 =
            Removal::new(MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, mode).unwrap());
        let q2 =
            Removal::new(MsgQueue::create_in(b, Key::PRIVATE, Intent::CreateNew, mode).unwrap());
        q1.send(1, &[1; 5]).unwrap();
        q1.send(2, &[2; 10]).unwrap();
        q2.send(3, &[3; 20]).unwrap();
        assert_eq!(
            info::msg_usage_in(b).unwrap(),
            MsgUsage {
                queues: 2,
                messages: 3,
                bytes: 35
            }
        );
        let _s1 =
            Removal::new(SemSet::create_in(b, Key::PRIVATE, 3, Intent::CreateNew, mode).unwrap());
        let _s2 =
            Removal::new(SemSet::create_in(b, Key::PRIVATE, 5, Intent::CreateNew, mode).unwrap());
        assert_eq!(
            info::sem_usage_in(b).unwrap(),
            SemUsage {
                sets: 2,
                semaphores: 8
            }
        );
        let page = page_size() as usize;
        let g1 =
            Removal::new(Segment::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, mode).unwrap());
        let _g2 = Removal::new(
            Segment::create_in(b, Key::PRIVATE, 3 * page + 1, Intent::CreateNew, mode).unwrap(),
        );
        let shm = info::shm_usage_in(b).unwrap();
        assert_eq!(
            (shm.segments, shm.pages_total, shm.pages_swapped),
            (2, 5, 0),
            "pages_total rounds each segment up to pages"
        );
        g1.remove_now().unwrap();
        q1.remove_now().unwrap();
        assert_eq!(info::shm_usage_in(b).unwrap().segments, 1);
        assert_eq!(
            info::msg_usage_in(b).unwrap(),
            MsgUsage {
                queues: 1,
                messages: 1,
                bytes: 20
            }
        );
    });
}

fn shm_usage_counts_resident_pages<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let page = page_size() as usize;
        let seg = Segment::create_in(b, Key::PRIVATE, 4 * page, Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let att = seg.attach().unwrap();
        assert_eq!(
            info::shm_usage_in(b).unwrap().pages_resident,
            0,
            "nothing touched"
        );
        att.write(0, b"a").unwrap();
        att.write(2 * page + 5, b"b").unwrap();
        let u = info::shm_usage_in(b).unwrap();
        assert_eq!((u.segments, u.pages_total, u.pages_resident), (1, 4, 2));
        seg.remove().unwrap();
        assert_eq!(info::shm_usage_in(b).unwrap().segments, 1, "still attached");
        drop(att);
        let u = info::shm_usage_in(b).unwrap();
        assert_eq!((u.segments, u.pages_total, u.pages_resident), (0, 0, 0));
    });
}

// ---- enumeration -------------------------------------------------------------------------

fn enumeration_finds_exactly_the_objects<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let objects = make_objects(b, Mode::OWNER_RW);
        let mut queues = info::message_queues_in(b).unwrap();
        assert!(queues.size_hint().1.unwrap() >= 2);
        assert_eq!(collect(&mut queues), objects.queues);
        assert_eq!((queues.unreadable(), queues.fell_back()), (0, false));
        assert!(queues.next().is_none(), "fused");

        let mut sets = info::semaphore_sets_in(b).unwrap();
        assert_eq!(collect(&mut sets), objects.sets);
        assert_eq!((sets.unreadable(), sets.fell_back()), (0, false));

        let mut segments = info::segments_in(b).unwrap();
        let found = collect(&mut segments);
        assert_eq!(found, objects.segments);
        assert_eq!((segments.unreadable(), segments.fell_back()), (0, false));
        let removed: Vec<_> = found.values().filter(|s| s.is_removed()).collect();
        assert_eq!(removed.len(), 1);
        assert_eq!((removed[0].perm.key, removed[0].nattch), (Key::PRIVATE, 1));
        let q3 = objects
            .queues
            .values()
            .find(|q| q.perm.key == Key::new(0x12));
        assert_eq!(q3.unwrap().messages, 1, "the record is the queue's stat");
    });
}

fn fallback_without_stat_any<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let objects = make_objects(b, Mode::OWNER_RW);
        let old = old_kernel(b);
        let mut queues = info::message_queues_in(old).unwrap();
        assert_eq!(collect(&mut queues), objects.queues);
        assert_eq!((queues.unreadable(), queues.fell_back()), (0, true));
        let mut sets = info::semaphore_sets_in(old).unwrap();
        assert_eq!(collect(&mut sets), objects.sets);
        assert!(sets.fell_back());
        let mut segments = info::segments_in(old).unwrap();
        assert_eq!(collect(&mut segments), objects.segments);
        assert!(segments.fell_back());
    });
}

fn empty_namespace_enumerates_nothing<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let mut segments = info::segments_in(b).unwrap();
        assert!(segments.next().is_none());
        assert!(!segments.fell_back(), "nothing found: nothing learned");
        assert_eq!(info::message_queues_in(b).unwrap().count(), 0);
        assert_eq!(info::semaphore_sets_in(old_kernel(b)).unwrap().count(), 0);
        // A created-then-removed object leaves an empty slot below the highest index.
        let a = Segment::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let c = Segment::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        a.remove().unwrap();
        let ids: Vec<i32> = info::segments_in(b)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(ids, [c.id()]);
    });
}

fn stat_any_lists_what_nobody_cannot_read<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        if !needs_root("stat_any_lists_what_nobody_cannot_read") {
            return;
        }
        let hidden = make_objects(b, Mode::OWNER_RW);
        let mode = Mode::new(0o644);
        let q = MsgQueue::create_in(b, Key::new(0x40), Intent::CreateNew, mode).unwrap();
        let s = SemSet::create_in(b, Key::new(0x41), 1, Intent::CreateNew, mode).unwrap();
        let g = Segment::create_in(b, Key::new(0x42), 8, Intent::CreateNew, mode).unwrap();
        let (nq, ns, ng) = (
            hidden.queues.len() + 1,
            hidden.sets.len() + 1,
            hidden.segments.len() + 1,
        );
        let (qid, sid, gid) = (q.id(), s.id(), g.id());
        as_user(NOBODY, NOBODY, move || {
            // SHM_STAT_ANY & co. need no read permission: everything is listed.
            assert_eq!(info::message_queues_in(b).unwrap().count(), nq);
            assert_eq!(info::semaphore_sets_in(b).unwrap().count(), ns);
            let mut segments = info::segments_in(b).unwrap();
            let found = collect(&mut segments);
            assert_eq!((found.len(), segments.unreadable()), (ng, 0));
            assert_eq!(found[&gid].perm.uid, 0, "root's segment, seen by nobody");
            // The permission-checked fallback lists only the readable ones.
            let old = old_kernel(b);
            let mut queues = info::message_queues_in(old).unwrap();
            assert_eq!(collect(&mut queues).into_keys().collect::<Vec<_>>(), [qid]);
            assert_eq!(
                (queues.unreadable(), queues.fell_back()),
                (nq as u32 - 1, true)
            );
            let mut sets = info::semaphore_sets_in(old).unwrap();
            assert_eq!(collect(&mut sets).into_keys().collect::<Vec<_>>(), [sid]);
            assert_eq!(sets.unreadable(), ns as u32 - 1);
            let mut segments = info::segments_in(old).unwrap();
            assert_eq!(
                collect(&mut segments).into_keys().collect::<Vec<_>>(),
                [gid]
            );
            assert_eq!(segments.unreadable(), ng as u32 - 1);
        });
        // When nothing is readable, the fallback is never detected: every slot looks
        // empty to both commands... except that *_STAT says EACCES, which the walk
        // takes as proof of an object that *_STAT_ANY missed.
        g.set_owner(Owner {
            uid: 0,
            gid: 0,
            mode: Mode::OWNER_RW,
        })
        .unwrap();
        as_user(NOBODY, NOBODY, move || {
            let mut segments = info::segments_in(old_kernel(b)).unwrap();
            assert_eq!(segments.by_ref().count(), 0);
            assert_eq!(
                (segments.unreadable(), segments.fell_back()),
                (ng as u32, true)
            );
        });
    });
}

// ---- allocation ------------------------------------------------------------------------

fn zero_allocations<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let objects = make_objects(b, Mode::OWNER_RW);
        // Warm up anything a first call might set up lazily.
        let _ = info::shm_limits_in(b);

        let before = sysv_ipc_testkit::allocations();
        let limits = (
            info::msg_limits_in(b).unwrap().msgmax,
            info::sem_limits_in(b).unwrap().semmsl,
            info::shm_limits_in(b).unwrap().shmmni,
        );
        let usage = (
            info::msg_usage_in(b).unwrap().queues,
            info::sem_usage_in(b).unwrap().sets,
            info::shm_usage_in(b).unwrap().segments,
        );
        let mut found = [0usize; 3];
        for (id, stat) in info::message_queues_in(b).unwrap().map(Result::unwrap) {
            found[0] += usize::from(id >= 0 && stat.perm.mode == Mode::OWNER_RW);
        }
        for (id, stat) in info::semaphore_sets_in(b).unwrap().map(Result::unwrap) {
            found[1] += usize::from(id >= 0 && stat.nsems > 0);
        }
        for (id, stat) in info::segments_in(old_kernel(b))
            .unwrap()
            .map(Result::unwrap)
        {
            found[2] += usize::from(id >= 0 && stat.size > 0);
        }
        let after = sysv_ipc_testkit::allocations();

        assert_eq!(after - before, 0, "allocations in info");
        assert_eq!(limits, (8192, 32000, 4096));
        assert_eq!(usage, (2, 2, 3));
        assert_eq!(
            found,
            [
                objects.queues.len(),
                objects.sets.len(),
                objects.segments.len()
            ]
        );
    });
}

/// The default-backend forms.
#[test]
fn default_backend_conveniences() {
    in_ipc_namespace(|| {
        let _g = Removal::new(
            Segment::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        let _q = Removal::new(
            MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        let _s = Removal::new(
            SemSet::create(Key::PRIVATE, 4, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        assert_eq!(info::msg_limits().unwrap().msgmax, abi::MSGMAX as usize);
        assert_eq!(info::sem_limits().unwrap().semopm, abi::SEMOPM as u32);
        assert_eq!(info::shm_limits().unwrap().shmmin, 1);
        assert_eq!(info::msg_usage().unwrap().queues, 1);
        assert_eq!(info::sem_usage().unwrap().semaphores, 4);
        assert_eq!(info::shm_usage().unwrap().pages_total, 1);
        assert_eq!(info::message_queues().unwrap().count(), 1);
        assert_eq!(info::semaphore_sets().unwrap().count(), 1);
        let (id, stat) = info::segments().unwrap().next().unwrap().unwrap();
        assert_eq!((id, stat.size), (_g.id(), 1));
        let text = format!("{:?}", info::segments().unwrap());
        assert!(text.contains("Segments"), "{text}");
    });
}
