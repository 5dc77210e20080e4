//! `info::abandoned` / `info::remove_abandoned`: the crate's objects nobody can use
//! any more, found and removed on the real kernel through both backends (each test
//! in a fresh IPC namespace).
//!
//! What holds (asserted):
//!
//! - one object of every kind whose holder (a forked process streaming through
//!   every role) is SIGKILLed at a random point of its work, with nothing left
//!   attached, is listed (`HoldersDied`), and so is a segment whose creator was
//!   killed mid-initialisation (`CreatorDied`, its semaphore set with it); never
//!   an object of every kind whose holder is alive, one whose dead holder's
//!   object is still attached by a live process, one whose holder exited cleanly,
//!   a private-key object, a zero-filled or foreign segment;
//! - holders SIGKILLed at any point of their life (creating, claiming,
//!   streaming), some objects kept attached by a live process: every object
//!   listed has no attachment and no role held, and every ready one with no
//!   attachment, no role held and a dead holder is listed; after the removal,
//!   what is left is exactly what was not listed;
//! - `remove_abandoned` removes exactly the listed segments and their sets, and
//!   leaves every other object as it was; a second removal finds it gone;
//! - a process that opens the object and claims a role between the cleanup's last
//!   check and its `IPC_RMID` (made to, by a backend that starts it there): the
//!   removal goes ahead and reports `attached_meanwhile`; the process keeps a
//!   valid mapping (it still enqueues), its role operations fail (`Removed`);
//! - on the mock: a dead creator's half-initialised segment is listed with its set
//!   only once the child it forked (holding its attachment) has exited;
//! - as uid 65534: objects of mode 0600 of another user are not listed (not
//!   readable); 0644 ones are listed but not `removable_by` it, and removing one
//!   is refused (`PermissionDenied`) with nothing removed; its own are removed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Start};
use sysv_ipc::info::{self, AbandonReason, AbandonedObject, Cleanup, LayoutKind, Liveness};
use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Segment, SemOp, SemSet};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{as_user, fork_peer, needs_root};

sysv_ipc_testkit::on_both_backends!(exactly_the_abandoned, kills_anywhere, another_users_objects);

const NOBODY: u32 = 65534;
const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1");

/// Keys of a set of five objects (one of every kind) from `base`.
fn keys(base: i32) -> [Key; 5] {
    [0, 1, 2, 3, 4].map(|k| Key::new(base + k))
}

/// One object of every kind under [`keys`]`(base)`, opened or created.
struct Objects<B: Backend + Clone> {
    queue: Queue<u64, 8, B>,
    seqlock: SeqLock<u64, B>,
    broadcast: Broadcast<u64, 8, B>,
    mpsc: Mpsc<u64, 8, B>,
    table: Table<u64, 16, B>,
}

impl<B: Backend + Clone> Objects<B> {
    fn open_or_create(b: B, base: i32, mode: Mode) -> Self {
        let [q, s, bc, m, t] = keys(base);
        let i = Intent::OpenOrCreate;
        Objects {
            queue: Queue::create_in(b.clone(), q, i, mode).unwrap(),
            seqlock: SeqLock::create_in(b.clone(), s, i, mode).unwrap(),
            broadcast: Broadcast::create_with(
                b.clone(),
                bc,
                i,
                mode,
                BroadcastOptions::new().readers(2),
            )
            .unwrap(),
            mpsc: Mpsc::create_with(b.clone(), m, i, mode, MpscOptions::new().producers(2))
                .unwrap(),
            table: Table::create_in(b, t, i, mode).unwrap(),
        }
    }

    fn ids(&self) -> [i32; 5] {
        [
            self.queue.segment().id(),
            self.seqlock.segment().id(),
            self.broadcast.segment().id(),
            self.mpsc.segment().id(),
            self.table.segment().id(),
        ]
    }

    /// Takes every role and streams through all of them until killed, or for
    /// `rounds` rounds and then returns (releasing every role cleanly).
    fn stream(&self, rounds: Option<u64>) {
        let (mut tx, mut rx) = self.queue.split().unwrap();
        let mut w = self.seqlock.writer().unwrap();
        let mut bw = self.broadcast.writer().unwrap();
        let mut br = self.broadcast.reader(Start::Newest).unwrap();
        let mut mrx = self.mpsc.consumer().unwrap();
        let mut mtx = self.mpsc.producer().unwrap();
        let mut tw = self.table.writer().unwrap();
        let mut i = 0u64;
        while rounds.is_none_or(|r| i < r) {
            tx.enqueue(i).unwrap();
            assert_eq!(rx.dequeue().unwrap(), Some(i));
            w.write(&i).unwrap();
            bw.send(i).unwrap();
            br.recv().unwrap();
            mtx.send(i).unwrap();
            mrx.recv().unwrap();
            tw.write((i % 16) as usize, &i).unwrap();
            i += 1;
        }
    }
}

/// Segment ids whose every role is held by a live process: waits (bounded only
/// against a hang) until the holder has them all.
fn wait_all_held<B: Backend + Clone>(b: B, ids: [i32; 5]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    for id in ids {
        loop {
            let found = info::inspect_in(b.clone(), id).unwrap();
            let Some(layout) = found.layout() else {
                // Its creator has not published the header yet.
                std::thread::sleep(Duration::from_millis(2));
                continue;
            };
            let counts = found.counts().unwrap();
            // Every seat of the queue, seqlock, table; the broadcast's writer and
            // one reader, the ring's consumer and one producer.
            let want = match layout.kind {
                LayoutKind::Queue => 2,
                LayoutKind::Broadcast | LayoutKind::Mpsc => 2,
                _ => 1,
            };
            if counts.alive == want {
                break;
            }
            assert!(Instant::now() < deadline, "the holder never took its roles");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// A random delay of 0..`max_ms` milliseconds (a point in the holder's work).
fn random_ms(max_ms: u64) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let mut x = u64::from(nanos) ^ u64::from(std::process::id()) << 32 | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    Duration::from_millis(x % max_ms)
}

/// A holder of every role of the set at `base`, streaming, SIGKILLed at a random
/// point; returns the set's segment ids once it is dead and reaped.
fn killed_holder<B: Backend + Clone + Send + 'static>(b: B, base: i32, mode: Mode) -> [i32; 5] {
    let b2 = b.clone();
    let holder = fork_peer(move || {
        Objects::open_or_create(b2, base, mode).stream(None);
    });
    let ids = loop {
        // The holder creates them: wait for all five.
        let ids: Option<Vec<i32>> = keys(base)
            .iter()
            .map(|&k| Segment::open_in(b.clone(), k).ok().map(|s| s.id()))
            .collect();
        if let Some(ids) = ids {
            break <[i32; 5]>::try_from(ids).unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    wait_all_held(b.clone(), ids);
    std::thread::sleep(random_ms(30));
    holder.kill(::libc::SIGKILL);
    drop(holder); // reaped: its attachments are gone, its SEM_UNDO holds undone
    ids
}

/// A creator that marks and claims the header of a segment under `key`, makes
/// the semaphore set and takes a role in it (`SEM_UNDO`), and is SIGKILLed before
/// it publishes (as `tests/init_recovery.rs` provokes it).
fn creator_killed_mid_init<B: Backend + Clone + Send + 'static>(b: B, key: Key) -> (i32, i32) {
    let b2 = b.clone();
    let creator = fork_peer(move || {
        let seg = Segment::create_in(
            b2.clone(),
            key,
            384 + 8 * 16,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let att = seg.attach().unwrap();
        att.write(8, &MAGIC.to_ne_bytes()).unwrap();
        att.atomic_u64(0)
            .unwrap()
            .compare_exchange(
                0,
                1,
                std::sync::atomic::Ordering::AcqRel,
                std::sync::atomic::Ordering::Relaxed,
            )
            .unwrap();
        let set = SemSet::new_initialized_in(b2, key, &[0, 0, 1, 1], Mode::OWNER_RW).unwrap();
        set.op(&[SemOp::wait(2).nowait()]).unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let set = loop {
        if let Ok(set) = SemSet::open_in(b.clone(), key)
            && set.get(2).is_ok_and(|v| v == 0)
        {
            break set.id();
        }
        assert!(Instant::now() < deadline, "the creator never took its role");
        std::thread::sleep(Duration::from_millis(2));
    };
    creator.kill(::libc::SIGKILL);
    drop(creator);
    (Segment::open_in(b, key).unwrap().id(), set)
}

fn listed<B: Backend + Clone>(b: B) -> Vec<AbandonedObject> {
    info::abandoned_in(b).unwrap().map(Result::unwrap).collect()
}

fn segment_ids<B: Backend + Clone>(b: B) -> BTreeSet<i32> {
    info::segments_in(b)
        .unwrap()
        .map(|e| e.unwrap().0)
        .collect()
}

fn set_ids<B: Backend + Clone>(b: B) -> BTreeSet<i32> {
    info::semaphore_sets_in(b)
        .unwrap()
        .map(|e| e.unwrap().0)
        .collect()
}

fn exactly_the_abandoned<B: Backend + Clone + Send + 'static>(b: B) {
    // Abandoned: holders killed at random points, nothing attached.
    let dead = killed_holder(b.clone(), 0x100, Mode::OWNER_RW);
    // Not: a holder killed, but this process keeps the objects attached.
    let attached_ids = killed_holder(b.clone(), 0x200, Mode::OWNER_RW);
    let attached = Objects::open_or_create(b.clone(), 0x200, Mode::OWNER_RW);
    assert_eq!(attached.ids(), attached_ids);
    // Not: a live holder.
    let b2 = b.clone();
    let live_holder = fork_peer(move || {
        Objects::open_or_create(b2, 0x300, Mode::OWNER_RW).stream(None);
    });
    // Not: a holder that finished and released its roles (persistent objects).
    let b2 = b.clone();
    fork_peer(move || {
        Objects::open_or_create(b2, 0x400, Mode::OWNER_RW).stream(Some(100));
    })
    .join();
    // Abandoned: a creator killed mid-initialisation.
    let (mid_init, mid_init_set) = creator_killed_mid_init(b.clone(), Key::new(0x500));
    // Not: a private-key queue whose holder died (nothing names its set).
    let b2 = b.clone();
    let private = fork_peer(move || {
        let q = Queue::<u64, 8, _>::create_in(b2, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let _roles = q.split().unwrap();
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    // Not: a zero-filled segment and another program's bytes.
    let zero = Segment::create_in(
        b.clone(),
        Key::new(0x600),
        4096,
        Intent::CreateNew,
        Mode::OWNER_RW,
    )
    .unwrap();
    let foreign = Segment::create_in(
        b.clone(),
        Key::new(0x601),
        4096,
        Intent::CreateNew,
        Mode::OWNER_RW,
    )
    .unwrap();
    foreign
        .attach()
        .unwrap()
        .write(0, b"\x01\0\0\0\0\0\0\0not ours")
        .unwrap();
    let keys_300 = keys(0x300);
    let live_ids: [i32; 5] = loop {
        let ids: Option<Vec<i32>> = keys_300
            .iter()
            .map(|&k| Segment::open_in(b.clone(), k).ok().map(|s| s.id()))
            .collect();
        if let Some(ids) = ids {
            break ids.try_into().unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    wait_all_held(b.clone(), live_ids);
    // The private queue's holder has both roles (no set to tell liveness by: its
    // pid words say so) before it is killed; killed earlier, it would be a
    // creator dead mid-initialisation, which is listed.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !info::layouts_in(b.clone())
        .unwrap()
        .map(Result::unwrap)
        .any(|i| {
            i.stat().perm.key.is_private()
                && i.layout().is_some()
                && i.roles()
                    .filter(|r| r.as_ref().unwrap().pid.is_some())
                    .count()
                    == 2
        })
    {
        assert!(
            Instant::now() < deadline,
            "the private queue's holder never got ready"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(private); // SIGKILLed

    let found = listed(b.clone());
    let mut got: Vec<(i32, Option<LayoutKind>, AbandonReason)> =
        found.iter().map(|o| (o.id, o.kind, o.reason)).collect();
    got.sort_by_key(|g| g.0);
    let kinds = [
        LayoutKind::Queue,
        LayoutKind::SeqLock,
        LayoutKind::Broadcast,
        LayoutKind::Mpsc,
        LayoutKind::Table,
    ];
    // The queue's, seqlock's, table's holder is its one role; the broadcast's and
    // the ring's held two (writer and reader, consumer and producer).
    let dead_roles = [2, 1, 2, 2, 1];
    let mut want: Vec<(i32, Option<LayoutKind>, AbandonReason)> = dead
        .iter()
        .zip(kinds)
        .zip(dead_roles)
        .map(|((&id, kind), d)| (id, Some(kind), AbandonReason::HoldersDied { dead: d }))
        .collect();
    want.push((mid_init, None, AbandonReason::CreatorDied { state: 1 }));
    want.sort_by_key(|w| w.0);
    assert_eq!(got, want);
    // Each with its own set: the layouts' under their keys, the dead creator's.
    for o in &found {
        let set = SemSet::open_in(b.clone(), o.key).unwrap().id();
        assert_eq!(o.semaphores, Some(set), "{o:?}");
        assert!(o.removable_by(0));
    }
    assert_eq!(
        found.iter().find(|o| o.id == mid_init).unwrap().semaphores,
        Some(mid_init_set)
    );

    // Removing them removes exactly those segments and sets.
    let (shm_before, sem_before) = (segment_ids(b.clone()), set_ids(b.clone()));
    for o in &found {
        let done = info::remove_abandoned_in(b.clone(), o).unwrap();
        assert_eq!(
            done,
            Cleanup::Removed {
                semaphores: o.semaphores,
                attached_meanwhile: false
            }
        );
        assert_eq!(
            info::remove_abandoned_in(b.clone(), o).unwrap(),
            Cleanup::AlreadyGone
        );
    }
    let removed_shm: BTreeSet<i32> = found.iter().map(|o| o.id).collect();
    let removed_sem: BTreeSet<i32> = found.iter().filter_map(|o| o.semaphores).collect();
    assert_eq!(
        segment_ids(b.clone()),
        &shm_before - &removed_shm,
        "exactly the abandoned segments are gone"
    );
    assert_eq!(set_ids(b.clone()), &sem_before - &removed_sem);
    assert!(listed(b.clone()).is_empty());

    // The live holder's objects still work, and once it is killed (nothing else
    // attached) they are abandoned in turn.
    for id in live_ids {
        let roles = info::inspect_in(b.clone(), id).unwrap();
        assert!(roles.roles().all(|r| r.unwrap().liveness != Liveness::Dead));
    }
    drop(live_holder);
    let mut now: Vec<i32> = listed(b.clone()).iter().map(|o| o.id).collect();
    now.sort();
    assert_eq!(now, live_ids.to_vec());
    drop((attached, zero, foreign));
}

fn another_users_objects<B: Backend + Clone + Send + 'static>(b: B) {
    if !needs_root("another_users_objects") {
        return;
    }
    // Root's: one set readable by all (0644), one not (0600); holders killed.
    let readable = killed_holder(b.clone(), 0x100, Mode::new(0o644));
    let private = killed_holder(b.clone(), 0x200, Mode::OWNER_RW);
    let b2 = b.clone();
    as_user(NOBODY, NOBODY, move || {
        // Its own, holder killed.
        let own = killed_holder(b2.clone(), 0x300, Mode::OWNER_RW);
        let found = listed(b2.clone());
        let mut ids: Vec<i32> = found.iter().map(|o| o.id).collect();
        ids.sort();
        // The 0600 ones are not readable: not listed. The 0644 ones are, not
        // removable by nobody.
        let mut want: Vec<i32> = readable.iter().chain(&own).copied().collect();
        want.sort();
        assert_eq!(ids, want);
        for o in &found {
            let mine = own.contains(&o.id);
            assert_eq!(o.removable_by(NOBODY), mine, "{o:?}");
            match info::remove_abandoned_in(b2.clone(), o) {
                Ok(Cleanup::Removed { .. }) => assert!(mine),
                Err(e) => {
                    assert!(!mine);
                    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
                }
                other => panic!("{other:?}"),
            }
        }
        let left: Vec<i32> = listed(b2).iter().map(|o| o.id).collect();
        let mut left = left;
        left.sort();
        assert_eq!(left, readable.to_vec());
    });
    // Root sees its own still there, both sets, and nothing of nobody's.
    let mut ids: Vec<i32> = listed(b.clone()).iter().map(|o| o.id).collect();
    ids.sort();
    let mut want: Vec<i32> = readable.iter().chain(&private).copied().collect();
    want.sort();
    assert_eq!(ids, want);
    for o in listed(b.clone()) {
        assert!(matches!(
            info::remove_abandoned_in(b.clone(), &o).unwrap(),
            Cleanup::Removed { .. }
        ));
    }
    assert!(listed(b).is_empty());
}

/// On the mock (simulated processes and exits): a creator that dies between its
/// claim and its publication is `CreatorDied` with its set, unless a child it
/// forked still holds its attachment; a zero-filled segment never is; removal
/// takes the segment and the set.
#[test]
fn mock_creator_died() {
    use sysv_ipc_mock::{Mock, Process};
    let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
    let begin = |key: Key| {
        let seg = Segment::create_in(kernel, key, 384 + 8 * 16, Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let att = seg.attach().unwrap();
        att.write(8, &MAGIC.to_ne_bytes()).unwrap();
        att.write(0, &1u64.to_ne_bytes()).unwrap();
        let set = SemSet::new_initialized_in(kernel, key, &[0, 0, 1, 1], Mode::OWNER_RW).unwrap();
        set.op(&[SemOp::wait(2).nowait()]).unwrap();
        std::mem::forget(att);
        (seg.id(), set.id())
    };
    // A dead creator.
    kernel.fork_process(1, 2).unwrap();
    kernel.set_process(Process::root(2));
    let (dead, dead_set) = begin(Key::new(1));
    kernel.exit_process(2);
    // A dead creator whose forked child still holds the attachment.
    kernel.fork_process(1, 3).unwrap();
    kernel.set_process(Process::root(3));
    let (held, _) = begin(Key::new(2));
    kernel.fork_process(3, 4).unwrap();
    kernel.exit_process(3);
    kernel.set_process(Process::root(1));
    // A zero-filled segment nobody attached.
    Segment::create_in(kernel, Key::new(3), 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();

    let found = listed(kernel);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (
            found[0].id,
            found[0].kind,
            found[0].reason,
            found[0].semaphores
        ),
        (
            dead,
            None,
            AbandonReason::CreatorDied { state: 1 },
            Some(dead_set)
        )
    );
    assert_eq!(
        info::remove_abandoned_in(kernel, &found[0]).unwrap(),
        Cleanup::Removed {
            semaphores: Some(dead_set),
            attached_meanwhile: false
        }
    );
    assert!(!segment_ids(kernel).contains(&dead));
    assert!(!set_ids(kernel).contains(&dead_set));
    // The child exits: the other one is abandoned now.
    kernel.exit_process(4);
    let found = listed(kernel);
    assert_eq!(found.iter().map(|o| o.id).collect::<Vec<_>>(), [held]);
}

/// Holders killed at a random point of their whole life, from creating the
/// objects to streaming (8 rounds, each its own keys); this process keeps every
/// other round's queue attached.
fn kills_anywhere<B: Backend + Clone + Send + 'static>(b: B) {
    let mut kept = Vec::new();
    for round in 0..8 {
        let base = 0x1000 + round * 0x10;
        let b2 = b.clone();
        let holder = fork_peer(move || {
            Objects::open_or_create(b2, base, Mode::OWNER_RW).stream(None);
        });
        std::thread::sleep(random_ms(15));
        if round % 2 == 1
            && let Ok(seg) = Segment::open_in(b.clone(), Key::new(base))
            && let Ok(att) = seg.attach_read_only()
        {
            kept.push(att);
        }
        drop(holder); // SIGKILL, reaped
    }
    let found = listed(b.clone());
    let ids: BTreeSet<i32> = found.iter().map(|o| o.id).collect();
    for (id, stat) in info::segments_in(b.clone()).unwrap().map(Result::unwrap) {
        let inspection = info::inspect_in(b.clone(), id).unwrap();
        let roles: Vec<_> = inspection.roles().map(Result::unwrap).collect();
        let held = roles.iter().any(|r| r.liveness.is_held());
        let dead = roles
            .iter()
            .filter(|r| r.liveness == Liveness::Dead)
            .count();
        if ids.contains(&id) {
            // Never one a process has attached or holds a role in.
            assert_eq!(stat.nattch, 0, "listed while attached: {id}");
            assert!(!held, "listed while held: {id}");
            let o = found.iter().find(|o| o.id == id).unwrap();
            match o.reason {
                AbandonReason::HoldersDied { dead: d } => assert_eq!(d, dead),
                AbandonReason::CreatorDied { .. } => assert!(inspection.layout().is_none()),
            }
        } else if inspection.layout().is_some() && stat.nattch == 0 && !held {
            // A ready layout nobody attached and nobody holds: kept only if no
            // holder died in it (a persistent object).
            assert_eq!(dead, 0, "not listed: {id} {roles:?}");
        }
    }
    let before = segment_ids(b.clone());
    for o in &found {
        assert!(matches!(
            info::remove_abandoned_in(b.clone(), o).unwrap(),
            Cleanup::Removed { .. }
        ));
    }
    assert_eq!(segment_ids(b.clone()), &before - &ids);
    assert!(listed(b.clone()).is_empty());
    drop(kept);
}

/// A backend that, at the first `semctl(IPC_RMID)` (the cleanup's first removal,
/// right after its last check), starts a process that opens the queue of `key`
/// and claims its producer, and waits until that process is attached: the race
/// the cleanup's docs describe.
struct Racer {
    key: Key,
    racer: std::sync::Mutex<Option<sysv_ipc_testkit::Peer>>,
}

sysv_ipc_testkit::forward_backend! {
    // SAFETY: `before_call` touches no argument; every call is forwarded unchanged.
    unsafe impl Backend for Racer {
        inner = |_r| &LinuxRaw;

        fn before_call(&self, call: sysv_ipc_testkit::Call, cmd: Option<i32>) -> Result<(), sysv_ipc::Errno> {
            let mut racer = self.racer.lock().unwrap();
            if call == sysv_ipc_testkit::Call::Semctl && cmd == Some(0) && racer.is_none() {
                let key = self.key;
                *racer = Some(fork_peer(move || {
                    let q = Queue::<u64, 8, _>::open_in(LinuxRaw, key).unwrap();
                    // The dead holder's seat: taken over, as a restarted producer would.
                    let mut tx = q.reclaim_producer().unwrap();
                    // Removed under it: its mapping stays valid, its semaphore
                    // operations fail.
                    let seg = q.segment();
                    while !seg.stat().unwrap().is_removed() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    let e = q.consumer().unwrap_err();
                    assert!(matches!(e.kind(), ErrorKind::Removed | ErrorKind::InvalidArgument), "{e}");
                    // Its producer keeps working on the mapping: the slot memory
                    // is still there, only the wake-ups and roles are gone.
                    tx.enqueue(5).unwrap();
                }));
                let seg = Segment::open_in(LinuxRaw, key).unwrap();
                let deadline = Instant::now() + Duration::from_secs(20);
                while Queue::<u64, 8, _>::open_in(LinuxRaw, key).is_ok_and(|q| !q.has_producer().unwrap()) {
                    assert!(Instant::now() < deadline, "the racer never claimed its role");
                    std::thread::sleep(Duration::from_millis(1));
                }
                assert!(seg.stat().unwrap().nattch >= 2);
            }
            Ok(())
        }
    }
}

/// A process that attaches and claims a role between the cleanup's last check
/// and its removal: the removal goes ahead (no conditional `IPC_RMID` exists),
/// says so (`attached_meanwhile`), and the racer keeps a valid mapping while its
/// semaphore operations fail.
#[test]
fn a_process_attaching_meanwhile() {
    sysv_ipc_testkit::in_ipc_namespace(|| {
        let key = Key::new(0x900);
        let b2 = LinuxRaw;
        let holder = fork_peer(move || {
            let q =
                Queue::<u64, 8, _>::create_in(b2, key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let _roles = q.split().unwrap();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let id = loop {
            if let Ok(seg) = Segment::open_in(LinuxRaw, key)
                && info::inspect_in(LinuxRaw, seg.id())
                    .ok()
                    .and_then(|i| i.layout().is_some().then(|| i.counts().unwrap().alive))
                    == Some(2)
            {
                break seg.id();
            }
            assert!(Instant::now() < deadline, "the holder never took its roles");
            std::thread::sleep(Duration::from_millis(2));
        };
        drop(holder);
        let racer = Racer {
            key,
            racer: std::sync::Mutex::new(None),
        };
        let object = listed(LinuxRaw).into_iter().find(|o| o.id == id).unwrap();
        let done = info::remove_abandoned_in(&racer, &object).unwrap();
        assert_eq!(
            done,
            Cleanup::Removed {
                semaphores: object.semaphores,
                attached_meanwhile: true
            }
        );
        racer.racer.lock().unwrap().take().unwrap().join();
        assert!(
            !segment_ids(LinuxRaw).contains(&id),
            "destroyed once the racer left"
        );
    });
}
