//! Watching a `SeqLock` and a `Table` without the async crate (layout version 7):
//! watchers in other processes that arm and sleep in a plain `futex(FUTEX_WAIT)`
//! on the word `arm_watch` gives, woken by this process's writes; and a peer's
//! garbage in the word, which costs a spurious wake and nothing else.
//!
//! Each test runs in its own IPC namespace.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::wake::{WakeWord, Watched};
use sysv_ipc::{Intent, Key, Mode, Removable, SemOp, SemSet};
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace};

const KEY: Key = Key::new(0x5757_0001);
const READY: Key = Key::new(0x5757_0002);

/// Writes the watchers follow.
const ROUNDS: u64 = 100;

/// Watcher processes.
const WATCHERS: i16 = 3;

/// A bound on any one wait, so that a lost wake fails the test instead of hanging
/// it (a wait that returns for it is reported, never retried).
const GUARD: Duration = Duration::from_secs(10);

/// Waits on `word` as the reactor does, for at most `GUARD`: false if the wait
/// timed out (nobody woke the word).
fn futex_wait(word: WakeWord<'_>) -> bool {
    let ts = libc::timespec {
        tv_sec: GUARD.as_secs() as libc::time_t,
        tv_nsec: 0,
    };
    // SAFETY: FUTEX_WAIT reads the 32-bit word at `addr` (in our live attachment)
    // and the timespec (a live local); it writes nothing.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.addr(),
            libc::FUTEX_WAIT,
            word.expected(),
            &raw const ts,
        )
    };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ETIMEDOUT)
}

/// Blocking watchers of a seqlock in three processes: each sees every value from
/// 1 to ROUNDS, or a later one, and the last; none sleeps through a write.
#[test]
fn blocking_watchers_follow_a_seqlock() {
    in_ipc_namespace(|| {
        let lock = SeqLock::<u64>::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let ready = SemSet::new_initialized(READY, &[0], Mode::OWNER_RW).unwrap();
        let watchers: Vec<_> = (0..WATCHERS)
            .map(|_| {
                fork_peer(|| {
                    let lock = SeqLock::<u64>::open(KEY).unwrap();
                    SemSet::open(READY).unwrap().op(&[SemOp::post(0)]).unwrap();
                    let (mut seen, mut last) = (0, 0);
                    while last != ROUNDS {
                        match lock.arm_watch(seen).unwrap() {
                            Watched::Changed(v) => {
                                assert!(v > seen && v % 2 == 0, "{v} after {seen}");
                                let value = lock.read().unwrap();
                                assert!(value > last, "{value} after {last}");
                                // The value read may be a later write's than `v`'s:
                                // write k is version 2k, so wait from the version of
                                // what was read (from `v`, a change already read
                                // would come back as new).
                                (seen, last) = (2 * value, value);
                            }
                            Watched::Armed(word) => {
                                assert!(futex_wait(word), "slept through a write after {last}")
                            }
                        }
                    }
                })
            })
            .collect();
        ready.op(&[SemOp::add(0, -WATCHERS)]).unwrap();
        let mut w = lock.writer().unwrap();
        for k in 1..=ROUNDS {
            w.write(&k).unwrap();
            if k % 10 == 0 {
                // Let the watchers fall asleep now and then.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        for p in watchers {
            p.join();
        }
        drop(w);
        ready.remove().unwrap();
        lock.remove().unwrap();
    });
}

/// Blocking watchers of a table in three processes hear of every slot written.
#[test]
fn blocking_watchers_follow_a_table() {
    const N: usize = 70; // two change groups
    in_ipc_namespace(|| {
        let board = Table::<u64, N>::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut w = board.writer().unwrap();
        let start = board.version().unwrap();
        let ready = SemSet::new_initialized(READY, &[0], Mode::OWNER_RW).unwrap();
        let watchers: Vec<_> = (0..WATCHERS)
            .map(|_| {
                fork_peer(move || {
                    let board = Table::<u64, N>::open(KEY).unwrap();
                    SemSet::open(READY).unwrap().op(&[SemOp::post(0)]).unwrap();
                    let (mut seen, mut heard) = (start, [false; N]);
                    while heard.contains(&false) {
                        match board.arm_watch(seen).unwrap() {
                            Watched::Changed(v) => {
                                let now = board.changed_since(seen, |i| heard[i] = true).unwrap();
                                assert!(now >= v, "{now} < {v}");
                                seen = now;
                            }
                            Watched::Armed(word) => {
                                assert!(futex_wait(word), "slept through a write")
                            }
                        }
                    }
                })
            })
            .collect();
        ready.op(&[SemOp::add(0, -WATCHERS)]).unwrap();
        for i in 0..N {
            w.write(i, &(i as u64)).unwrap();
            if i % 10 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        for p in watchers {
            p.join();
        }
        drop(w);
        ready.remove().unwrap();
        board.remove().unwrap();
    });
}

/// A peer's garbage in the word (any bits, the flag among them or not): the
/// writer's check clears the flag and the high half, and a watcher that armed
/// over it is still woken by the next write.
#[test]
fn garbage_in_the_word_costs_a_spurious_wake_at_most() {
    in_ipc_namespace(|| {
        let lock = SeqLock::<u64>::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut w = lock.writer().unwrap();
        let word_at = 144;
        for garbage in [u64::MAX, 0xdead_beef_0000_0000, 0x1234_5677, 0xffff_fffe] {
            let att = lock.attachment();
            let raw = att.atomic_u64(word_at).unwrap();
            raw.store(garbage, Relaxed);
            w.write(&1).unwrap();
            let left = raw.load(Relaxed);
            if garbage & 1 == 1 {
                assert_eq!(left & 1, 0, "{garbage:#x}: the flag taken");
                assert_eq!(left >> 32, 0, "{garbage:#x}: the high half cleared");
            } else {
                assert_eq!(left, garbage, "{garbage:#x}: no flag, no change");
            }
            let seen = lock.version().unwrap();
            let Watched::Armed(word) = lock.arm_watch(seen).unwrap() else {
                panic!("{garbage:#x}: nothing written since")
            };
            assert!(word.is_armed() || garbage >> 32 != 0);
            w.write(&2).unwrap();
            assert!(!word.is_armed(), "{garbage:#x}: the write moved the word");
            assert!(futex_wait(word), "{garbage:#x}: returns at once");
            assert!(matches!(lock.arm_watch(seen).unwrap(), Watched::Changed(v) if v == seen + 2));
        }
        drop(w);
        lock.remove().unwrap();
    });
}
