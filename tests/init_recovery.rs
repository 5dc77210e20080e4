//! A segment whose creator died mid-initialisation (the handshake's step 5 in
//! `layout::header`): `Queue` and `SeqLock` callers with `Intent::OpenOrCreate`
//! remove it (and its dead creator's semaphore set) and create the layout afresh
//! when their attachment is the segment's only one; a live second attacher,
//! `Intent::Open`, or another user's semaphore set leave everything in place.
//!
//! On the real kernel through both real backends, each test in a fresh IPC
//! namespace, and on the mock kernel (whose processes are simulated).

use std::mem;
use std::time::Duration;

use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::Segment;
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, Result, SemOp, SemSet};
use sysv_ipc_libc::Libc;
use sysv_ipc_mock::{Mock, Process};
use sysv_ipc_testkit::{as_user, fork_peer, needs_root, wait_until_blocked};

const KEY: Key = Key::new(0x5156_1001);

/// The header's `state` word: 1 is "initialising".
const INITIALIZING: u64 = 1;

/// The header's `magic` word (offset 8): the mark a creator writes first.
const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1");

/// The two layouts that share the handshake.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `Queue<u64, 8>`.
    Queue,
    /// `SeqLock<u64>`.
    SeqLock,
}

const LAYOUTS: [Layout; 2] = [Layout::Queue, Layout::SeqLock];

impl Layout {
    /// A new segment of the layout's size under `KEY`, with no header written.
    fn bare_segment<B: Backend + Clone>(self, b: B, mode: Mode) -> Segment<B> {
        Segment::create_in(b, KEY, self.size(), Intent::CreateNew, mode).unwrap()
    }

    /// Bytes of the layout: the control block, then the payload.
    fn size(self) -> usize {
        match self {
            // 8 slots of a `seq` word and one payload word.
            Layout::Queue => 384 + 8 * 16,
            Layout::SeqLock => 256 + 8,
        }
    }

    /// The semaphore set's initial values, as the layout creates it.
    fn sem_values(self) -> &'static [u16] {
        match self {
            Layout::Queue => &[0, 0, 1, 1],
            Layout::SeqLock => &[1],
        }
    }

    /// A role semaphore (the producer's, the writer's): free is 1.
    fn role(self) -> u16 {
        match self {
            Layout::Queue => 2,
            Layout::SeqLock => 0,
        }
    }

    /// Creates or opens the layout of `KEY` as `intent` says, and if that works
    /// proves it usable: claims its role (which a reused stale set, whose role the
    /// dead creator took, would refuse) and moves one value through it.
    fn create_and_use<B: Backend + Clone>(self, b: B, intent: Intent) -> Result<()> {
        match self {
            Layout::Queue => {
                let q = Queue::<u64, 8, _>::create_in(b, KEY, intent, Mode::OWNER_RW)?;
                let (mut tx, mut rx) = q.split()?;
                tx.enqueue(41)?;
                assert_eq!(rx.dequeue()?, Some(41));
            }
            Layout::SeqLock => {
                let lock = SeqLock::<u64, _>::create_in(b, KEY, intent, Mode::OWNER_RW)?;
                lock.writer()?.write(&42)?;
                assert_eq!(lock.read()?, 42);
            }
        }
        Ok(())
    }

    /// Removes the layout of `KEY` (segment and set).
    fn remove<B: Backend + Clone>(self, b: B) {
        match self {
            Layout::Queue => Queue::<u64, 8, _>::open_in(b, KEY)
                .unwrap()
                .remove()
                .unwrap(),
            Layout::SeqLock => SeqLock::<u64, _>::open_in(b, KEY)
                .unwrap()
                .remove()
                .unwrap(),
        }
    }
}

/// What a creator leaves behind when it dies between `begin_init` and `publish`,
/// made by the calling process: the segment of `KEY`, attached (returned), its
/// header marked (`magic`) and its state at "initialising", and, with `sems`, the
/// semaphore set it made for it with one role taken (no undo: it stays taken
/// after the death).
fn begin_and_abandon<B: Backend + Clone>(
    b: B,
    layout: Layout,
    sems: bool,
) -> sysv_ipc::Attachment<B> {
    let seg = layout.bare_segment(b.clone(), Mode::OWNER_RW);
    let att = seg.attach().unwrap();
    att.write(8, &MAGIC.to_ne_bytes()).unwrap();
    let state = att.atomic_u64(0).unwrap();
    state
        .compare_exchange(
            0,
            INITIALIZING,
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Relaxed,
        )
        .unwrap();
    if sems {
        let set = SemSet::new_initialized_in(b, KEY, layout.sem_values(), Mode::OWNER_RW).unwrap();
        set.op(&[SemOp::wait(layout.role()).nowait()]).unwrap();
    }
    att
}

/// A forked creator that runs [`begin_and_abandon`] and is SIGKILLed before it
/// publishes; returns once it is dead and reaped.
fn creator_killed_mid_init<B: Backend + Clone>(b: B, layout: Layout, sems: bool) {
    let creator = fork_peer(move || {
        let _att = begin_and_abandon(b, layout, sems);
        std::thread::sleep(Duration::from_secs(3600));
    });
    wait_until_blocked(creator.pid());
    drop(creator); // SIGKILL, then reaped: the kernel has detached its attachment
}

/// The ids of the segment and the semaphore set of `KEY` (`None`: no set).
fn ids<B: Backend + Clone>(b: B) -> (i32, Option<i32>) {
    let shm = Segment::open_in(b.clone(), KEY).unwrap().id();
    (shm, SemSet::open_in(b, KEY).ok().map(|s| s.id()))
}

/// Whether the segment `id` still exists and is not marked for removal.
fn segment_alive<B: Backend + Clone>(b: B, id: i32) -> bool {
    Segment::from_id(b, id)
        .stat()
        .is_ok_and(|st| !st.is_removed())
}

/// Whether the semaphore set `id` still exists.
fn set_alive<B: Backend + Clone>(b: B, id: i32) -> bool {
    SemSet::from_id(b, id).stat().is_ok()
}

/// The stuck segment `shm` and its set `sem` are both still there, and still the
/// key's.
fn assert_all_kept<B: Backend + Clone>(b: B, layout: Layout, shm: i32, sem: Option<i32>) {
    assert!(segment_alive(b.clone(), shm), "{layout:?}: kept");
    assert!(set_alive(b.clone(), sem.unwrap()), "{layout:?}: set kept");
    assert_eq!(ids(b), (shm, sem));
}

/// An `OpenOrCreate` caller now recovers: a working layout, the stuck segment
/// `old_shm` gone; then the layout is removed.
fn recovers<B: Backend + Clone>(b: B, layout: Layout, old_shm: i32) {
    layout
        .create_and_use(b.clone(), Intent::OpenOrCreate)
        .unwrap();
    assert!(
        !segment_alive(b.clone(), old_shm),
        "{layout:?}: old segment gone"
    );
    layout.remove(b);
}

/// (a), (d): a creator killed mid-initialisation, with its semaphore set made and
/// a role taken: an `OpenOrCreate` caller removes both and creates a working
/// layout (the role is free again: not the stale set).
fn creator_killed_mid_init_is_replaced<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        creator_killed_mid_init(b.clone(), layout, true);
        let (old_shm, old_sem) = ids(b.clone());
        let old_sem = old_sem.expect("the dead creator's set");
        layout
            .create_and_use(b.clone(), Intent::OpenOrCreate)
            .unwrap_or_else(|e| panic!("{layout:?}: {e}"));
        let (shm, sem) = ids(b.clone());
        assert_ne!(shm, old_shm, "{layout:?}: a fresh segment");
        assert_ne!(sem, Some(old_sem), "{layout:?}: a fresh set");
        assert!(
            !segment_alive(b.clone(), old_shm),
            "{layout:?}: the stuck segment is gone"
        );
        assert!(
            !set_alive(b.clone(), old_sem),
            "{layout:?}: the dead creator's set is gone"
        );
        // Others join the fresh layout as usual.
        layout.create_and_use(b.clone(), Intent::Open).unwrap();
        layout.remove(b.clone());
    }
}

/// (a): a creator killed after its mark but before it claimed the header (state
/// 0, `magic` set, before making a set): this crate's, replaced.
fn creator_killed_between_mark_and_claim_is_replaced<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        let creator = fork_peer({
            let b = b.clone();
            move || {
                let seg = layout.bare_segment(b, Mode::OWNER_RW);
                let att = seg.attach().unwrap();
                att.write(8, &MAGIC.to_ne_bytes()).unwrap();
                std::thread::sleep(Duration::from_secs(3600));
            }
        });
        wait_until_blocked(creator.pid());
        drop(creator);
        let (old_shm, old_sem) = ids(b.clone());
        assert_eq!(old_sem, None);
        layout
            .create_and_use(b.clone(), Intent::OpenOrCreate)
            .unwrap_or_else(|e| panic!("{layout:?}: {e}"));
        assert_ne!(ids(b.clone()).0, old_shm);
        assert!(!segment_alive(b.clone(), old_shm));
        layout.remove(b.clone());
    }
}

/// A creator killed after its `shmget` but before its mark leaves a zero-filled
/// segment of the layout's size, which nothing tells from another program's: it
/// is kept (`Uninitialized`), and `OpenOrCreate` keeps saying so.
fn creator_killed_before_its_mark_is_kept<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        let creator = fork_peer({
            let b = b.clone();
            move || {
                let seg = layout.bare_segment(b, Mode::OWNER_RW);
                let _att = seg.attach().unwrap();
                std::thread::sleep(Duration::from_secs(3600));
            }
        });
        wait_until_blocked(creator.pid());
        drop(creator);
        let (old_shm, _) = ids(b.clone());
        for _ in 0..2 {
            let e = layout
                .create_and_use(b.clone(), Intent::OpenOrCreate)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
            assert!(segment_alive(b.clone(), old_shm), "{layout:?}: kept");
        }
        Segment::from_id(b.clone(), old_shm).remove().unwrap();
    }
}

/// A segment of the layout's size whose first word is 0 or 1 but whose header
/// holds other bytes (another program's data) is not a header of the handshake:
/// kept, `LayoutMismatch` of the field `"magic"`.
fn foreign_segment_is_kept<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        for state in [0, INITIALIZING] {
            let seg = layout.bare_segment(b.clone(), Mode::OWNER_RW);
            let att = seg.attach().unwrap();
            att.write(0, &state.to_ne_bytes()).unwrap();
            att.write(8, b"not a sysv-ipc header").unwrap();
            drop(att);
            let e = layout
                .create_and_use(b.clone(), Intent::OpenOrCreate)
                .unwrap_err();
            assert_eq!(
                (e.kind(), e.layout_field()),
                (ErrorKind::LayoutMismatch, Some("magic")),
                "{layout:?}, state {state}: {e}"
            );
            assert!(
                segment_alive(b.clone(), seg.id()),
                "{layout:?}, state {state}"
            );
            seg.remove().unwrap();
        }
    }
}

/// (b): the stuck segment is still attached by a live process (a child of the
/// creator that inherited its attachment through `fork`): nothing is removed, the
/// caller gets `Uninitialized`; once that process is gone, the segment is
/// recovered.
fn live_attacher_blocks_recovery<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        let att = begin_and_abandon(b.clone(), layout, true);
        // Inherits the attachment at the fork; sleeps until killed.
        let child = fork_peer(|| std::thread::sleep(Duration::from_secs(3600)));
        drop(att); // the creator's own attachment goes; the child's stays
        let (shm, sem) = ids(b.clone());
        let e = layout
            .create_and_use(b.clone(), Intent::OpenOrCreate)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
        assert_all_kept(b.clone(), layout, shm, sem);
        assert_eq!(Segment::from_id(b.clone(), shm).stat().unwrap().nattch, 1);
        drop(child);
        recovers(b.clone(), layout, shm);
    }
}

/// (c): `Intent::Open` never removes: `Uninitialized`, everything kept (and
/// `OpenOrCreate` then recovers the same segment).
fn open_never_recovers<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        creator_killed_mid_init(b.clone(), layout, true);
        let (shm, sem) = ids(b.clone());
        let e = layout.create_and_use(b.clone(), Intent::Open).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
        assert_all_kept(b.clone(), layout, shm, sem);
        recovers(b.clone(), layout, shm);
    }
}

/// (d): a semaphore set under the key that the dead creator did not make for the
/// layout is not removed: one someone else has operated on (here: this process,
/// after the creator's death) stays and the fresh layout opens it, as any
/// creator would; one of another size stays and the caller gets `SizeMismatch`.
fn sets_the_dead_creator_did_not_make_are_kept<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        // Same user, operated on by a live process since.
        creator_killed_mid_init(b.clone(), layout, true);
        let (old_shm, sem) = ids(b.clone());
        let set = SemSet::from_id(b.clone(), sem.unwrap());
        set.op(&[SemOp::post(layout.role())]).unwrap(); // frees the role again
        layout
            .create_and_use(b.clone(), Intent::OpenOrCreate)
            .unwrap();
        assert!(!segment_alive(b.clone(), old_shm));
        assert_eq!(
            ids(b.clone()).1,
            sem,
            "{layout:?}: the set is kept and used"
        );
        layout.remove(b.clone());

        // Another size: not the layout's set.
        creator_killed_mid_init(b.clone(), layout, false);
        let other = SemSet::new_initialized_in(b.clone(), KEY, &[1; 7], Mode::OWNER_RW).unwrap();
        let e = layout
            .create_and_use(b.clone(), Intent::OpenOrCreate)
            .unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::SizeMismatch),
            "{layout:?}: {e}"
        );
        assert!(set_alive(b.clone(), other.id()));
        other.remove().unwrap();
        // The stuck segment was removed; the fresh one, whose join failed, too.
        assert!(Segment::open_in(b.clone(), KEY).is_err());
    }
}

/// (d): another user's semaphore set under the key (a squatter) is never removed:
/// the stuck segment is, and the fresh layout refuses the set as usual.
fn another_users_set_is_kept<B: Backend + Clone + 'static>(b: B) {
    if !needs_root("another_users_set_is_kept") {
        return;
    }
    // The squatter's set initialised (operated on by the squatter), or made and
    // never operated on (no process has used it: only its creator user tells it
    // from the dead creator's).
    for (layout, initialised) in LAYOUTS.into_iter().flat_map(|l| [(l, true), (l, false)]) {
        let squatter = b.clone();
        as_user(65534, 65534, move || {
            let (values, mode) = (layout.sem_values(), Mode::new(0o666));
            if initialised {
                SemSet::new_initialized_in(squatter, KEY, values, mode).unwrap();
            } else {
                SemSet::create_in(squatter, KEY, values.len(), Intent::CreateNew, mode).unwrap();
            }
        });
        creator_killed_mid_init(b.clone(), layout, false);
        let (old_shm, sem) = ids(b.clone());
        let e = layout
            .create_and_use(b.clone(), Intent::OpenOrCreate)
            .unwrap_err();
        // The fresh layout refuses the squatter's set, or waits in vain for it.
        let expected = if initialised {
            (
                ErrorKind::LayoutMismatch,
                Some("semaphore set's creator uid"),
            )
        } else {
            (ErrorKind::Uninitialized, None)
        };
        assert_eq!(
            (e.kind(), e.layout_field()),
            expected,
            "{layout:?}, {initialised}: {e}"
        );
        assert!(
            set_alive(b.clone(), sem.unwrap()),
            "{layout:?}: the squatter's set stays"
        );
        assert!(!segment_alive(b.clone(), old_shm));
        assert!(Segment::open_in(b.clone(), KEY).is_err());
        SemSet::from_id(b.clone(), sem.unwrap()).remove().unwrap();
    }
}

/// A stuck segment of another user (mode 0o666, so the caller may attach it but
/// not remove it: `EPERM`): `Uninitialized`, nothing removed, the header as it was.
fn another_users_stuck_segment_is_kept<B: Backend + Clone>(b: B) {
    if !needs_root("another_users_stuck_segment_is_kept") {
        return;
    }
    for layout in LAYOUTS {
        let seg = layout.bare_segment(b.clone(), Mode::new(0o666));
        seg.attach()
            .unwrap()
            .write(8, &MAGIC.to_ne_bytes())
            .unwrap();
        let caller = b.clone();
        as_user(65534, 65534, move || {
            let e = layout
                .create_and_use(caller, Intent::OpenOrCreate)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
        });
        assert!(segment_alive(b.clone(), seg.id()), "{layout:?}");
        let att = seg.attach().unwrap();
        assert_eq!(att.load_u64(0), Some(0), "{layout:?}: state untouched");
        assert_eq!(att.load_u64(8), Some(MAGIC), "{layout:?}: mark untouched");
        drop(att);
        seg.remove().unwrap();
    }
}

sysv_ipc_testkit::on_both_backends!(
    creator_killed_mid_init_is_replaced,
    creator_killed_between_mark_and_claim_is_replaced,
    creator_killed_before_its_mark_is_kept,
    foreign_segment_is_kept,
    live_attacher_blocks_recovery,
    open_never_recovers,
    sets_the_dead_creator_did_not_make_are_kept,
    another_users_set_is_kept,
    another_users_stuck_segment_is_kept,
);

/// On the mock: process 2 creates, claims the header and makes the set, then
/// exits; process 1 recovers. Then a creator with a forked child (which keeps an
/// attachment) blocks recovery until the child exits; and another user's set is
/// kept.
#[test]
fn mock_recovery() {
    let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
    for layout in LAYOUTS {
        // A dead creator.
        kernel.fork_process(1, 2).unwrap();
        kernel.set_process(Process::root(2));
        mem::forget(begin_and_abandon(kernel, layout, true));
        kernel.exit_process(2);
        kernel.set_process(Process::root(1));
        let (old_shm, old_sem) = ids(kernel);
        let e = layout.create_and_use(kernel, Intent::Open).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized);
        assert_eq!(ids(kernel), (old_shm, old_sem));
        layout.create_and_use(kernel, Intent::OpenOrCreate).unwrap();
        assert!(!segment_alive(kernel, old_shm));
        assert!(!set_alive(kernel, old_sem.unwrap()));
        layout.remove(kernel);

        // A live child of the dead creator holds the attachment.
        kernel.fork_process(1, 3).unwrap();
        kernel.set_process(Process::root(3));
        mem::forget(begin_and_abandon(kernel, layout, true));
        kernel.fork_process(3, 4).unwrap();
        kernel.exit_process(3);
        kernel.set_process(Process::root(1));
        let (shm, sem) = ids(kernel);
        let e = layout
            .create_and_use(kernel, Intent::OpenOrCreate)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized);
        assert_eq!(ids(kernel), (shm, sem));
        assert!(set_alive(kernel, sem.unwrap()));
        kernel.exit_process(4);
        layout.create_and_use(kernel, Intent::OpenOrCreate).unwrap();
        assert!(!segment_alive(kernel, shm));
        layout.remove(kernel);

        // Another user's set, never operated on (see `another_users_set_is_kept`).
        kernel.set_process(Process::user(5, 65534, 65534));
        let n = layout.sem_values().len();
        let squatter =
            SemSet::create_in(kernel, KEY, n, Intent::CreateNew, Mode::new(0o666)).unwrap();
        kernel.set_process(Process::root(1));
        kernel.fork_process(1, 6).unwrap();
        kernel.set_process(Process::root(6));
        mem::forget(begin_and_abandon(kernel, layout, false));
        kernel.exit_process(6);
        kernel.set_process(Process::root(1));
        let (shm, _) = ids(kernel);
        let e = layout
            .create_and_use(kernel, Intent::OpenOrCreate)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized);
        assert!(set_alive(kernel, squatter.id()));
        assert!(!segment_alive(kernel, shm));
        squatter.remove().unwrap();

        // Another user's stuck segment: EPERM on removal, the header untouched.
        kernel.set_process(Process::user(7, 1000, 1000));
        let seg = layout.bare_segment(kernel, Mode::new(0o666));
        seg.attach()
            .unwrap()
            .write(8, &MAGIC.to_ne_bytes())
            .unwrap();
        kernel.set_process(Process::user(8, 1001, 1001));
        let e = layout
            .create_and_use(kernel, Intent::OpenOrCreate)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized);
        kernel.set_process(Process::root(1));
        assert!(segment_alive(kernel, seg.id()));
        assert_eq!(
            seg.attach().unwrap().load_u64(0),
            Some(0),
            "state untouched"
        );
        seg.remove().unwrap();
    }
}
