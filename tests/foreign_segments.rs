//! Another program's segment under a layout's key is never removed (issue 13,
//! item 5): `Queue` and `SeqLock`, with `Intent::OpenOrCreate` and `Intent::Open`,
//! meet foreign segments of every shape (zero-filled, random bytes, the layout's
//! size with no mark, a marked header in a segment of another size), attached by
//! nobody, by a forked child, or by a separately started C program that created
//! it. Each call fails with a clear error, and the segment survives byte for byte,
//! still the key's, with no semaphore set left under the key.
//!
//! Only a segment that is provably this crate's (the layout's exact size and the
//! mark the creator writes first, `tests/init_recovery.rs`) is ever recovered.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sysv_ipc::queue::{Queue, QueueOptions};
use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
use sysv_ipc::shm::Segment;
use sysv_ipc::{Backend, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemSet};
use sysv_ipc_libc::Libc;
use sysv_ipc_mock::Mock;
use sysv_ipc_testkit::{CProgram, fork_peer, wait_until_blocked};

const KEY: Key = Key::new(0x5156_2001);

/// The header's `magic` word (offset 8): the mark this crate's creator writes
/// first.
const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1");

/// The size of the segment in the issue's report.
const BIG: usize = 64 << 10;

#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `Queue<u64, 8>`.
    Queue,
    /// `SeqLock<u64>`.
    SeqLock,
}

const LAYOUTS: [Layout; 2] = [Layout::Queue, Layout::SeqLock];

impl Layout {
    /// Bytes of the layout (what its creator asks `shmget` for).
    fn size(self) -> usize {
        match self {
            Layout::Queue => 384 + 8 * 16,
            Layout::SeqLock => 256 + 8,
        }
    }

    /// Creates or opens the layout of `KEY` as `intent` says, giving up on an
    /// unready header after the join's spins (a zero join timeout), or with the
    /// default wait.
    fn join<B: Backend + Clone>(
        self,
        b: B,
        intent: Intent,
        default_wait: bool,
        what: &str,
    ) -> Error {
        let r = match (self, default_wait) {
            (Layout::Queue, false) => {
                let quick = QueueOptions::new().join_timeout(Duration::ZERO);
                Queue::<u64, 8, _>::create_with(b, KEY, intent, Mode::OWNER_RW, quick).map(drop)
            }
            (Layout::Queue, true) => {
                Queue::<u64, 8, _>::create_in(b, KEY, intent, Mode::OWNER_RW).map(drop)
            }
            (Layout::SeqLock, false) => {
                let quick = SeqLockOptions::new().join_timeout(Duration::ZERO);
                SeqLock::<u64, _>::create_with(b, KEY, intent, Mode::OWNER_RW, quick).map(drop)
            }
            (Layout::SeqLock, true) => {
                SeqLock::<u64, _>::create_in(b, KEY, intent, Mode::OWNER_RW).map(drop)
            }
        };
        match r {
            Ok(()) => panic!("{what}: joined the foreign segment (and removed it?)"),
            Err(e) => e,
        }
    }
}

/// What a foreign segment holds.
#[derive(Clone, Copy, Debug)]
enum Fill {
    /// Nothing written: the kernel's zero fill.
    Zero,
    /// Random bytes everywhere.
    Random,
    /// A first word of 1 ("initialising" in this crate's header), the rest zero:
    /// no mark.
    StateOneNoMark,
    /// A zero header, random bytes after it.
    ZeroHeaderRandomAfter,
    /// This crate's mark and state 1, but in a segment of another size than any
    /// creator of the layout makes.
    MarkedOtherSize,
}

/// The foreign segments: a fill and a size (`None`: the layout's own size).
const FOREIGN: [(Fill, Option<usize>); 8] = [
    (Fill::Zero, Some(BIG)),
    (Fill::Zero, None),
    (Fill::Random, None),
    (Fill::Random, Some(BIG)),
    (Fill::StateOneNoMark, None),
    (Fill::StateOneNoMark, Some(BIG)),
    (Fill::ZeroHeaderRandomAfter, None),
    (Fill::MarkedOtherSize, Some(BIG)),
];

/// `len` bytes from a xorshift generator seeded with `seed`.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Creates the foreign segment of `KEY` and writes `fill` into it.
fn make_foreign<B: Backend + Clone>(b: B, fill: Fill, size: usize, seed: u64) -> Segment<B> {
    let seg = Segment::create_in(b, KEY, size, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let att = seg.attach().unwrap();
    match fill {
        Fill::Zero => {}
        Fill::Random => att.write(0, &random_bytes(seed, size)).unwrap(),
        Fill::StateOneNoMark => att.write(0, &1u64.to_ne_bytes()).unwrap(),
        Fill::ZeroHeaderRandomAfter => att.write(128, &random_bytes(seed, size - 128)).unwrap(),
        Fill::MarkedOtherSize => {
            att.write(8, &MAGIC.to_ne_bytes()).unwrap();
            att.write(0, &1u64.to_ne_bytes()).unwrap();
        }
    }
    drop(att);
    seg
}

/// Every byte of the segment `id`.
fn contents<B: Backend + Clone>(b: B, id: i32) -> Vec<u8> {
    let seg = Segment::from_id(b, id);
    let att = seg.attach_read_only().unwrap();
    let mut bytes = vec![0; seg.stat().unwrap().size];
    att.read(0, &mut bytes).unwrap();
    bytes
}

/// The foreign segment `id` is still there, still `KEY`'s, holds `before` byte
/// for byte, and no semaphore set was left under the key.
fn assert_survived<B: Backend + Clone>(b: B, id: i32, before: &[u8], what: &str) {
    let stat = Segment::from_id(b.clone(), id)
        .stat()
        .unwrap_or_else(|e| panic!("{what}: the foreign segment is gone ({e})"));
    assert!(!stat.is_removed(), "{what}: marked for removal");
    assert_eq!(Segment::open_in(b.clone(), KEY).unwrap().id(), id, "{what}");
    assert!(contents(b.clone(), id) == before, "{what}: bytes changed");
    let sems = SemSet::open_in(b, KEY).map(|s| s.id());
    assert_eq!(
        sems.map_err(|e| e.kind()),
        Err(ErrorKind::NotFound),
        "{what}: a semaphore set was made"
    );
}

/// The error a join of a foreign segment may give: never removing it, it says
/// what it found.
fn assert_refused(e: &Error, what: &str) {
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Uninitialized | ErrorKind::LayoutMismatch | ErrorKind::Corrupt
        ),
        "{what}: {e}"
    );
}

/// Every foreign shape, attached by nobody and by a forked child, for both
/// layouts and both intents.
fn foreign_segments_survive<B: Backend + Clone>(b: B) {
    every_shape_survives(b, &[false, true]);
}

/// Every foreign shape, attached by nobody and (where `holders` has `true`) by
/// a forked child, for both layouts and both intents.
fn every_shape_survives<B: Backend + Clone>(b: B, holders: &[bool]) {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for layout in LAYOUTS {
        for (fill, size) in FOREIGN {
            for intent in [Intent::OpenOrCreate, Intent::Open] {
                for &held in holders {
                    seed += 1;
                    let size = size.unwrap_or(layout.size());
                    let what = format!("{layout:?}, {intent:?}, {fill:?} of {size} B, held {held}");
                    let seg = make_foreign(b.clone(), fill, size, seed);
                    let before = contents(b.clone(), seg.id());
                    let holder = held.then(|| {
                        let seg = Segment::from_id(b.clone(), seg.id());
                        let peer = fork_peer(move || {
                            let _att = seg.attach().unwrap();
                            std::thread::sleep(Duration::from_secs(3600));
                        });
                        wait_until_blocked(peer.pid());
                        peer
                    });
                    let e = layout.join(b.clone(), intent, false, &what);
                    assert_refused(&e, &what);
                    assert_survived(b.clone(), seg.id(), &before, &what);
                    // A second call finds the same and leaves it too.
                    let again = layout.join(b.clone(), intent, false, &what);
                    assert_eq!(again.kind(), e.kind(), "{what}");
                    assert_survived(b.clone(), seg.id(), &before, &what);
                    drop(holder);
                    seg.remove().unwrap();
                }
            }
        }
    }
}

/// The issue's case through the default wait: a 64 KiB zero-filled segment that
/// nobody attached, `create_in(key, OpenOrCreate)`. It used to come back `Ok`
/// with the foreign segment gone, then `Uninitialized` (which told the user to
/// remove it) after the whole wait. Not the layout's size, so not a creator of
/// the layout at work: `LayoutMismatch` on `size`, without waiting.
fn zero_filled_64k_survives_the_default_wait<B: Backend + Clone>(b: B) {
    for layout in LAYOUTS {
        let what = format!("{layout:?}, default wait");
        let seg = make_foreign(b.clone(), Fill::Zero, BIG, 0);
        let before = contents(b.clone(), seg.id());
        let e = layout.join(b.clone(), Intent::OpenOrCreate, true, &what);
        assert_eq!(
            (e.kind(), e.layout_field()),
            (ErrorKind::LayoutMismatch, Some("size")),
            "{what}: {e}"
        );
        assert_survived(b.clone(), seg.id(), &before, &what);
        seg.remove().unwrap();
    }
}

/// A separately started program that creates the segment of `KEY` (`size`
/// bytes, filled as `fill` says: `zero`, `random` or `one`), stays attached
/// until its stdin closes, then detaches and exits without removing anything.
const HOLDER_C: &str = r#"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    key_t key = (key_t)strtol(argv[1], NULL, 0);
    size_t size = (size_t)strtoul(argv[2], NULL, 0);
    int id = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0) { perror("shmget"); return 1; }
    unsigned char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) { perror("shmat"); return 1; }
    if (strcmp(argv[3], "random") == 0) {
        uint64_t x = 0x2545f4914f6cdd1dULL;
        for (size_t i = 0; i < size; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            p[i] = (unsigned char)x;
        }
    } else if (strcmp(argv[3], "one") == 0) {
        uint64_t one = 1;
        memcpy(p, &one, sizeof one);
    }
    printf("ready %d\n", id);
    fflush(stdout);
    while (getchar() != EOF) {}
    shmdt(p);
    return 0;
}
"#;

/// The C holder, started and ready: its child process and the segment's id.
fn start_holder(program: &CProgram, size: usize, fill: &str) -> (Child, i32) {
    let mut child = Command::new(program.exe())
        .args([&format!("{:#x}", KEY.raw()), &size.to_string(), fill])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let id = line
        .strip_prefix("ready ")
        .and_then(|id| id.trim().parse().ok())
        .unwrap_or_else(|| panic!("holder said {line:?}"));
    (child, id)
}

/// A separately started C program created the segment and holds it attached;
/// then the same segment once that program has exited (attached by nobody).
fn separate_holders_segment_survives<B: Backend + Clone>(b: B) {
    let program = CProgram::compile("foreign-holder", &[("holder.c", HOLDER_C)], "holder.c", &[])
        .unwrap_or_else(|e| panic!("the C compiler failed on the holder:\n{e}"));
    for layout in LAYOUTS {
        for (fill, size) in [
            ("zero", BIG),
            ("zero", layout.size()),
            ("random", layout.size()),
            ("one", layout.size()),
        ] {
            for intent in [Intent::OpenOrCreate, Intent::Open] {
                let what = format!("{layout:?}, {intent:?}, C holder's {fill} {size} B");
                let (mut holder, id) = start_holder(&program, size, fill);
                let before = contents(b.clone(), id);
                assert_eq!(
                    Segment::from_id(b.clone(), id).stat().unwrap().cpid as u32,
                    holder.id()
                );
                let e = layout.join(b.clone(), intent, false, &what);
                assert_refused(&e, &what);
                assert_survived(b.clone(), id, &before, &what);
                // The holder detaches and exits: the segment is attached by nobody.
                drop(holder.stdin.take());
                let deadline = Instant::now() + Duration::from_secs(10);
                while holder.try_wait().unwrap().is_none() {
                    assert!(Instant::now() < deadline, "{what}: the holder did not exit");
                    std::thread::sleep(Duration::from_millis(1));
                }
                assert_eq!(Segment::from_id(b.clone(), id).stat().unwrap().nattch, 0);
                let e = layout.join(b.clone(), intent, false, &what);
                assert_refused(&e, &what);
                assert_survived(b.clone(), id, &before, &what);
                Segment::from_id(b.clone(), id).remove().unwrap();
            }
        }
    }
}

/// A queue of several MiB (`Queue<[u64; 64], 8192>`, its slots alone 4 MiB): a
/// foreign segment of exactly its size, zero-filled or random, attached by nobody,
/// survives `OpenOrCreate` byte for byte, as the small layouts' do.
fn several_mib_foreign_segment_survives<B: Backend + Clone>(b: B) {
    type Big<B> = Queue<[u64; 64], 8192, B>;
    // The layout's exact size, as its creator asks shmget for it.
    let size = {
        let q = Big::<B>::create_in(b.clone(), KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let size = q.segment().stat().unwrap().size;
        q.remove().unwrap();
        size
    };
    assert!(size > 4 << 20, "{size} B");
    for (fill, seed) in [(Fill::Zero, 1), (Fill::Random, 2)] {
        let what = format!("Queue of {size} B, OpenOrCreate, {fill:?}");
        let seg = make_foreign(b.clone(), fill, size, seed);
        let before = contents(b.clone(), seg.id());
        let quick = QueueOptions::new().join_timeout(Duration::ZERO);
        match Big::<B>::create_with(b.clone(), KEY, Intent::OpenOrCreate, Mode::OWNER_RW, quick) {
            Ok(_) => panic!("{what}: joined the foreign segment (and removed it?)"),
            Err(e) => assert_refused(&e, &what),
        }
        assert_survived(b.clone(), seg.id(), &before, &what);
        seg.remove().unwrap();
    }
}

sysv_ipc_testkit::on_both_backends!(
    several_mib_foreign_segment_survives,
    foreign_segments_survive,
    zero_filled_64k_survives_the_default_wait,
    separate_holders_segment_survives,
);

/// The same shapes on the mock kernel, attached by nobody (its processes are
/// simulated: no forked holder).
#[test]
fn mock_foreign_segments_survive() {
    let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
    every_shape_survives(kernel, &[false]);
}
