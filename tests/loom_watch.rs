//! loom models of change notification (`layout::watch`, layout version 7): watchers
//! that arm the shared `watchers` word, re-check the version after the fence and
//! sleep on the word as a futex, against a writer that writes and runs the wake
//! check. A lost wake-up leaves a watcher asleep, which loom reports as a
//! deadlock.
//!
//! Run with
//!
//! ```sh
//! CARGO_TARGET_DIR=target-loom LOOM_MAX_PREEMPTIONS=3 \
//!     RUSTFLAGS="--cfg loom" cargo test --release --test loom_watch
//! ```
//!
//! Each model was run with one change at a time, on the code as committed
//! (`LOOM_MAX_PREEMPTIONS=3`, each model on its own):
//!
//! | change (`src/layout/watch.rs`) | models that fail (deadlock) |
//! |---|---|
//! | `take_watchers`: the writer's fence SeqCst → Release | all four |
//! | `arm`: the watcher's fence SeqCst → Acquire | all four |
//! | `next_epoch` stores 0 (a bare flag the writer clears, no epoch) | `seqlock_one_write_wakes_every_watcher`, `seqlock_a_watcher_that_gives_up_strands_nobody` |
//!
//! The last is the lost wake that made the word an epoch (`layout::watch`, "Why
//! an epoch"): the first of those models found it.
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use loom::thread;

use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
use sysv_ipc::layout::table::{Slots, TableCtl, TableWriter};
use sysv_ipc::layout::watch::Watch;

#[path = "common/futex.rs"]
mod futex;

use futex::Futex;

/// A seqlock of one value word, and the futex of its `watchers` word.
struct Lock {
    ctl: SeqCtl,
    words: [AtomicU64; 1],
    futex: Futex,
}

fn lock() -> Arc<Lock> {
    Arc::new(Lock {
        ctl: SeqCtl::new(),
        words: [AtomicU64::new(0)],
        futex: Futex::default(),
    })
}

/// A watcher: waits until the lock's version is at least `until`, arming and
/// sleeping whenever it has not changed since the last version it saw; returns
/// the versions it was given. Each must be a complete write (even), and newer.
fn watch_seqlock(l: &Lock, until: u64) -> u64 {
    let mut since = 0;
    while since < until {
        match seqlock::arm_watch(&l.ctl, since) {
            Watch::Changed(v) => {
                assert!(v > since && v % 2 == 0, "{v} after {since}");
                since = v;
            }
            Watch::Armed { expected } => l.futex.wait(&l.ctl.watchers, u64::from(expected)),
        }
    }
    since
}

/// The writer: `writes` writes, each followed by the wake check and, if it took
/// watchers, a wake of the word.
fn write_seqlock(l: &Lock, writes: u64) {
    let mut w = SeqWriter::new(&l.ctl, &l.words);
    for v in 1..=writes {
        assert!(w.write(&v.to_ne_bytes()));
        if w.wake_check() {
            l.futex.wake();
        }
    }
}

/// One watcher, two writes: it sees the last one (a wake after each write it
/// slept through), never an odd version.
#[test]
fn seqlock_watcher_wakes_for_each_write() {
    loom::model(|| {
        let l = lock();
        let wl = l.clone();
        let writer = thread::spawn(move || write_seqlock(&wl, 2));
        assert_eq!(watch_seqlock(&l, 4), 4);
        writer.join().unwrap();
    });
}

/// Two watchers share the word; one write wakes both (a wake of all).
#[test]
fn seqlock_one_write_wakes_every_watcher() {
    loom::model(|| {
        let l = lock();
        let (a, b) = (l.clone(), l.clone());
        let first = thread::spawn(move || watch_seqlock(&a, 2));
        let second = thread::spawn(move || watch_seqlock(&b, 2));
        write_seqlock(&l, 1);
        assert_eq!(first.join().unwrap(), 2);
        assert_eq!(second.join().unwrap(), 2);
    });
}

/// A watcher that arms and gives up (a dropped future) leaves the word set: the
/// watcher that stays is still woken, and the writer's check takes the word.
#[test]
fn seqlock_a_watcher_that_gives_up_strands_nobody() {
    loom::model(|| {
        let l = lock();
        let (a, b) = (l.clone(), l.clone());
        let quitter = thread::spawn(move || {
            let _ = seqlock::arm_watch(&a.ctl, 0);
        });
        let stayer = thread::spawn(move || watch_seqlock(&b, 2));
        write_seqlock(&l, 1);
        quitter.join().unwrap();
        assert_eq!(stayer.join().unwrap(), 2);
    });
}

/// A table of `N` one-word slots, and the futex of its `watchers` word.
struct Board {
    ctl: TableCtl,
    words: Vec<AtomicU64>,
    futex: Futex,
}

const N: usize = 2;

fn board() -> Arc<Board> {
    Arc::new(Board {
        ctl: TableCtl::new(),
        words: (0..Slots::<N>::words(1))
            .map(|_| AtomicU64::new(0))
            .collect(),
        futex: Futex::default(),
    })
}

fn slots(b: &Board) -> Slots<'_, N> {
    Slots::<N>::new(&b.ctl, &b.words, 1).unwrap()
}

/// A table watcher from version `since` until `until`; checks that every slot
/// written up to the version it was given is reported by `changed_since`.
fn watch_table(b: &Board, mut since: u64, until: u64) {
    let s = slots(b);
    while since < until {
        match s.arm_watch(since) {
            Watch::Changed(v) => {
                let mut seen = 0;
                let now = s.changed_since(since, |_| seen += 1);
                assert!(now >= v && seen > 0, "{v} after {since}: {seen} slots");
                since = now;
            }
            Watch::Armed { expected } => b.futex.wait(&b.ctl.watchers, u64::from(expected)),
        }
    }
}

/// One table watcher, two writes to two slots: woken for each it slept through.
#[test]
fn table_watcher_wakes_for_each_write() {
    loom::model(|| {
        let b = board();
        // The writer's claim before the watcher starts: version 1.
        let mut w = TableWriter::new(slots(&b));
        assert_eq!(b.ctl.version.load(Relaxed), 1);
        let wb = b.clone();
        let watcher = thread::spawn(move || watch_table(&wb, 1, 3));
        for i in 0..N {
            w.write(i, &[1]).unwrap();
            if w.wake_check() {
                b.futex.wake();
            }
        }
        watcher.join().unwrap();
    });
}
