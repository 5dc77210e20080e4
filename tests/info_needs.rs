//! `info::needs` and `Want`: the segment size and semaphores it computes for a
//! shape are those the type of that shape really creates (every kind, several
//! shapes, through both real backends in fresh namespaces and on the mock), and its
//! shortfalls are the limits the kernel then enforces: with exactly the values it
//! asks for, the objects are created; with one less, creating the last one fails
//! on that limit.

use sysv_ipc::broadcast::{Broadcast, BroadcastOptions};
use sysv_ipc::info::{self, LayoutKind, Want};
use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::{Backend, Intent, Key, Limit, LinuxRaw, Mode, Removable};
use sysv_ipc_libc::Libc;
use sysv_ipc_mock::Mock;
use sysv_ipc_testkit::set_sysctl;

sysv_ipc_testkit::on_both_backends!(sizes_are_the_types, the_kernel_agrees);

const KEY: Key = Key::new(0x4e44);

/// Creates the object of `want`'s shape under `KEY` with `T` = `[u8; S]`, and
/// returns its segment's size and its set's semaphores, then removes it.
macro_rules! made {
    ($b:expr, $want:expr, $s:literal, $n:literal) => {{
        let b = $b;
        let m = Mode::OWNER_RW;
        let i = Intent::CreateNew;
        let set = |b, id| {
            let (_, stat) = info::semaphore_sets_in(b)
                .unwrap()
                .map(Result::unwrap)
                .find(|(sid, _)| *sid == id)
                .unwrap();
            stat.nsems
        };
        match $want.kind {
            LayoutKind::Queue => {
                let o = Queue::<[u8; $s], $n, _>::create_in(b.clone(), KEY, i, m).unwrap();
                let r = (
                    o.segment().stat().unwrap().size,
                    set(b.clone(), o.semaphores().id()),
                );
                o.remove().unwrap();
                r
            }
            LayoutKind::SeqLock => {
                let o = SeqLock::<[u8; $s], _>::create_in(b.clone(), KEY, i, m).unwrap();
                let r = o.segment().stat().unwrap().size;
                let sems = sysv_ipc::SemSet::open_in(b.clone(), KEY).unwrap().id();
                let r = (r, set(b.clone(), sems));
                o.remove().unwrap();
                r
            }
            LayoutKind::Broadcast => {
                let opts = BroadcastOptions::new().readers($want.seats);
                let o =
                    Broadcast::<[u8; $s], $n, _>::create_with(b.clone(), KEY, i, m, opts).unwrap();
                let r = (
                    o.segment().stat().unwrap().size,
                    set(b.clone(), o.semaphores().id()),
                );
                o.remove().unwrap();
                r
            }
            LayoutKind::Mpsc => {
                let opts = MpscOptions::new().producers($want.seats);
                let o = Mpsc::<[u8; $s], $n, _>::create_with(b.clone(), KEY, i, m, opts).unwrap();
                let r = (
                    o.segment().stat().unwrap().size,
                    set(b.clone(), o.semaphores().id()),
                );
                o.remove().unwrap();
                r
            }
            LayoutKind::Table => {
                let o = Table::<[u8; $s], $n, _>::create_in(b.clone(), KEY, i, m).unwrap();
                let r = o.segment().stat().unwrap().size;
                let sems = sysv_ipc::SemSet::open_in(b.clone(), KEY).unwrap().id();
                let r = (r, set(b.clone(), sems));
                o.remove().unwrap();
                r
            }
        }
    }};
}

const KINDS: [LayoutKind; 5] = [
    LayoutKind::Queue,
    LayoutKind::SeqLock,
    LayoutKind::Broadcast,
    LayoutKind::Mpsc,
    LayoutKind::Table,
];

fn check(want: Want, made: (usize, usize)) {
    assert_eq!(
        (want.segment_size(), want.semaphores_per_set()),
        (Some(made.0), Some(made.1)),
        "{want:?}"
    );
}

fn sizes_are_the_types<B: Backend + Clone>(b: B) {
    for kind in KINDS {
        let w = Want::new(kind, 1, 2);
        check(w, made!(&b, w, 1, 2));
        let w = Want::new(kind, 64, 1024).seats(3);
        check(w, made!(&b, w, 64, 1024));
        let w = Want::new(kind, 100, 16).seats(1);
        check(w, made!(&b, w, 100, 16));
    }
    // A table's slot count need not be a power of two.
    let w = Want::new(LayoutKind::Table, 24, 100);
    let o =
        Table::<[u8; 24], 100, _>::create_in(&b, KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    assert_eq!(w.segment_size(), Some(o.segment().stat().unwrap().size));
    o.remove().unwrap();
}

/// With the limits set to exactly what `needs` asks for, 3 queues fit; one
/// semaphore set fewer, and the third fails on `semmni`; the segment one byte
/// short, and the first fails on `shmmax`.
fn the_kernel_agrees<B: Backend + Clone>(b: B) {
    let want = Want::new(LayoutKind::Queue, 64, 1024).count(3);
    set_sysctl("kernel/shmmax", 4096);
    set_sysctl("kernel/sem", "2 1000 500 1");
    let needs = info::needs_in(b.clone(), &want, 4096).unwrap().unwrap();
    let short: Vec<_> = needs.shortfalls().map(|s| (s.limit, s.required)).collect();
    assert_eq!(
        short,
        [
            (Limit::Shmmax, 74112),
            (Limit::Semmsl, 4),
            (Limit::Semmni, 3)
        ]
    );
    let create = |k: i32| {
        Queue::<[u8; 64], 1024, _>::create_in(
            b.clone(),
            Key::new(0x700 + k),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
    };
    // One byte short of the segment.
    set_sysctl("kernel/shmmax", 74111);
    set_sysctl("kernel/sem", "4 1000 500 3");
    assert_eq!(create(0).unwrap_err().limit(), Some(Limit::Shmmax));
    // Exactly the values asked for: all three fit, and nothing is short.
    set_sysctl("kernel/shmmax", 74112);
    let made: Vec<_> = (0..3).map(|k| create(k).unwrap()).collect();
    for q in made {
        q.remove().unwrap();
    }
    assert!(
        info::needs_in(b.clone(), &want, 4096)
            .unwrap()
            .unwrap()
            .fits()
    );
    // One set fewer: the third fails on semmni.
    set_sysctl("kernel/sem", "4 1000 500 2");
    let two: Vec<_> = (0..2).map(|k| create(k).unwrap()).collect();
    assert_eq!(create(2).unwrap_err().limit(), Some(Limit::Semmni));
    for q in two {
        q.remove().unwrap();
    }
}

#[test]
fn mock_sizes_are_the_types() {
    static KERNEL: Mock = Mock::new();
    sizes_are_the_types(&KERNEL);
}
