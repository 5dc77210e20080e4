//! Interop with C for the lock-free layouts: a C program (`tests/c/queue_peer.c`),
//! built by the system `cc` against the generated `include/sysv_ipc_layout.h` and
//! the hand-written `include/sysv_ipc_protocol.h`, joins a `Queue<Item, N>` and a
//! `SeqLock<Reading>` that Rust created.
//!
//! - a C producer and a Rust consumer, then a Rust producer and a C consumer, each
//!   streaming 100 000 items through 16 slots (6 250 trips around the ring), with
//!   the wake-check barrier the queue recorded (asymmetric `membarrier` where the
//!   kernel has it) and with the symmetric fences; every item is a function of its
//!   sequence number, so each side checks every byte and the order, and a hash of
//!   the whole stream is compared across. Each direction also forces both parks:
//!   one side waits until the other sleeps on its semaphore (`GETNCNT`), so the
//!   wake-up of a parked peer is exercised both ways, not left to scheduling luck;
//! - the C side refuses a queue of another capacity, type fingerprint, size,
//!   alignment or kind, a segment too small or never initialised, and a role that
//!   Rust holds;
//! - garbage indices, a garbage state word and a garbage `closed` word make the C
//!   calls fail, never read out of bounds, and leave the queue usable;
//! - the end of the stream both ways: a C producer closes after its last item, and
//!   the Rust consumer, parked on the drained ring, gets `Closed` (not a timeout),
//!   and the C side's own claim of the closed producer role is refused; a Rust
//!   producer closes, and the parked C consumer gets `SVIPC_E_CLOSED`;
//! - a C producer that exits holding its role leaves it abandoned for Rust;
//! - the C side reads a `SeqLock` that Rust writes (every copy whole, its sequence
//!   number matching its value) and writes one that Rust reads.
//!
//! Each test runs in its own IPC namespace, with the C program started inside it.

use std::io::{BufRead, BufReader, Read, Write};
use std::mem::offset_of;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use sysv_ipc::layout::header::fnv1a64_from;
use sysv_ipc::layout::ring::RingCtl;
use sysv_ipc::queue::{Barrier, Queue, QueueOptions};
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removable, Segment, SemSet};
use sysv_ipc::{ShmType, fingerprint, type_id};
use sysv_ipc_testkit::{CProgram, in_ipc_namespace};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Embedded, so the test binary needs nothing from the source tree at run time.
const LAYOUT_H: &str = include_str!("../include/sysv_ipc_layout.h");
const PROTOCOL_H: &str = include_str!("../include/sysv_ipc_protocol.h");
const PEER_C: &str = include_str!("c/queue_peer.c");

/// `struct item` in `queue_peer.c`.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Item {
    seq: u64,
    value: f64,
    temp: i32,
    checksum: u32,
    kind: u16,
    flags: u8,
    tag: [u8; 5],
    neg: i64,
}

impl ShmType for Item {
    const TYPE_ID: u64 = type_id("sysv-ipc interop::Item v1");
}

/// `struct reading` in `queue_peer.c`: 20 bytes, so its last word is padded.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Reading {
    seq: u32,
    temp: i32,
    pressure: f32,
    id: u16,
    code: i16,
    raw: [u8; 4],
}

impl ShmType for Reading {
    const TYPE_ID: u64 = type_id("sysv-ipc interop::Reading v1");
}

const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Item `k`, as `make_item` in `queue_peer.c` builds it.
fn make_item(k: u64) -> Item {
    let x = splitmix64(k);
    // Exact in both languages: a 53-bit integer times a power of two.
    let mut value = (x >> 11) as f64 / (1u64 << 53) as f64;
    if x & 1 == 1 {
        value = -value;
    }
    let mut item = Item {
        seq: k,
        value,
        temp: (x >> 32) as u32 as i32,
        checksum: 0,
        kind: (x >> 16) as u16,
        flags: x as u8,
        tag: std::array::from_fn(|i| (x >> (8 * (i + 3))) as u8),
        neg: -(k as i64),
    };
    item.checksum = fnv1a64_from(FNV_BASIS, item.as_bytes()) as u32;
    item
}

/// Reading `k`, as `make_reading` in `queue_peer.c` builds it.
fn make_reading(k: u32) -> Reading {
    Reading {
        seq: k,
        temp: 0u32.wrapping_sub(3u32.wrapping_mul(k)) as i32,
        pressure: k as f32 * 0.5,
        id: (k ^ 0xa5a5) as u16,
        code: k.wrapping_mul(7) as u16 as i16,
        raw: k.wrapping_mul(2_654_435_761).to_le_bytes(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Semaphores of a queue's set (src/queue.rs; `SVIPC_QUEUE_SEM_*` in the header).
const ITEMS: u16 = 0;
const SPACE: u16 = 1;

/// The key every test uses: each runs in a fresh IPC namespace.
const KEY: i32 = 0x5143_0001;
const CAP: usize = 16;
const COUNT: u64 = 100_000;
/// Where the streaming side stops until its peer sleeps.
const PARK_AT: u64 = COUNT / 2;
/// A bound for waits on the peer, so that a broken peer fails the test instead of
/// hanging it (never a measurement).
const GUARD: Duration = Duration::from_secs(20);

/// The compiled C peer (its directory goes with it).
struct CPeer(CProgram);

impl CPeer {
    /// Compiles `queue_peer.c` against both headers, warnings as errors.
    fn build() -> CPeer {
        let files = [
            ("sysv_ipc_layout.h", LAYOUT_H),
            ("sysv_ipc_protocol.h", PROTOCOL_H),
            ("queue_peer.c", PEER_C),
        ];
        CProgram::compile(
            "interop-c-queue",
            &files,
            "queue_peer.c",
            &["-O2", "-Wpedantic"],
        )
        .map(CPeer)
        .unwrap_or_else(|e| panic!("the C compiler failed on tests/c/queue_peer.c:\n{e}"))
    }

    /// Runs the peer to the end; its stdout lines. Panics with its stderr if it fails.
    fn run(&self, args: &[&str]) -> Vec<String> {
        self.spawn(args).finish()
    }

    /// Starts the peer; stdin, stdout and stderr are pipes.
    fn spawn(&self, args: &[&str]) -> Running {
        let mut child = Command::new(self.0.exe())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Running {
            child,
            out,
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }
}

/// The C peer, compiled once for the tests that run at the same time (the last
/// one to finish removes it).
fn peer() -> Arc<CPeer> {
    static SHARED: Mutex<Weak<CPeer>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(peer) = shared.upgrade() {
        return peer;
    }
    let peer = Arc::new(CPeer::build());
    *shared = Arc::downgrade(&peer);
    peer
}

/// A running C peer.
struct Running {
    child: Child,
    out: BufReader<ChildStdout>,
    args: Vec<String>,
}

impl Running {
    /// Panics with the peer's stderr if it has exited (it only exits early on
    /// failure while we wait for it).
    fn check_alive(&mut self, what: &str) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let mut err = String::new();
            let _ = self.child.stderr.take().unwrap().read_to_string(&mut err);
            panic!(
                "peer {:?} exited ({status}) while we waited for {what}:\n{err}",
                self.args
            );
        }
    }

    /// Polls `cond` until it holds, failing if the peer exits first.
    fn wait_for(&mut self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            self.check_alive(what);
            assert!(start.elapsed() < GUARD, "gave up waiting for {what}");
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// The next line of its stdout.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        if line.is_empty() {
            self.check_alive("a line");
        }
        line.trim_end().to_owned()
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for it to exit; the rest of its stdout. Panics with its stderr if it
    /// failed.
    fn finish(mut self) -> Vec<String> {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "peer {:?} failed ({status}):\n{err}",
            self.args
        );
        rest.lines().map(str::to_owned).collect()
    }
}

fn key() -> Key {
    Key::new(KEY)
}

fn key_arg() -> String {
    KEY.to_string()
}

/// Creates the queue; with `symmetric`, with the symmetric fences required (the
/// creation option), as a creator without `membarrier` would have recorded them.
fn queue(symmetric: bool) -> (Queue<Item, CAP>, Barrier) {
    let options = if symmetric {
        QueueOptions::new().barrier(Barrier::Symmetric)
    } else {
        QueueOptions::new()
    };
    let q = Queue::<Item, CAP>::create_with(
        DefaultBackend::default(),
        key(),
        Intent::CreateNew,
        Mode::OWNER_RW,
        options,
    )
    .unwrap();
    let barrier = q.barrier().unwrap();
    if symmetric {
        assert_eq!(barrier, Barrier::Symmetric);
    } else if barrier == Barrier::Symmetric {
        eprintln!("note: no membarrier here: the queue uses the symmetric fences");
    }
    (q, barrier)
}

#[test]
fn c_and_rust_agree_on_layouts_items_and_fingerprints() {
    let peer = peer();
    let out = peer.run(&["layout"]);
    assert_eq!(
        out,
        [
            format!(
                "item {} {} seq {} value {} temp {} checksum {} kind {} flags {} tag {} neg {}",
                size_of::<Item>(),
                align_of::<Item>(),
                offset_of!(Item, seq),
                offset_of!(Item, value),
                offset_of!(Item, temp),
                offset_of!(Item, checksum),
                offset_of!(Item, kind),
                offset_of!(Item, flags),
                offset_of!(Item, tag),
                offset_of!(Item, neg),
            ),
            format!(
                "reading {} {} seq {} temp {} pressure {} id {} code {} raw {}",
                size_of::<Reading>(),
                align_of::<Reading>(),
                offset_of!(Reading, seq),
                offset_of!(Reading, temp),
                offset_of!(Reading, pressure),
                offset_of!(Reading, id),
                offset_of!(Reading, code),
                offset_of!(Reading, raw),
            ),
            "type_id u64 1 f32 1".to_owned(),
            format!(
                "item type_id {:016x} fingerprint {:016x}",
                Item::TYPE_ID,
                fingerprint::<Item>()
            ),
            format!(
                "reading type_id {:016x} fingerprint {:016x}",
                Reading::TYPE_ID,
                fingerprint::<Reading>()
            ),
            format!("item 3 {}", hex(make_item(3).as_bytes())),
            format!("reading 77777 {}", hex(make_reading(77_777).as_bytes())),
        ]
    );
}

/// C enqueues items 0..COUNT, Rust dequeues and checks them.
fn c_produces(symmetric: bool) {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, barrier) = queue(symmetric);
        let mut rx = q.consumer().unwrap();
        let mut c = peer.spawn(&[
            "produce",
            &key_arg(),
            &COUNT.to_string(),
            &CAP.to_string(),
            &PARK_AT.to_string(),
        ]);
        // The C producer fills the ring and sleeps; our first dequeue must wake it.
        c.wait_for("the C producer to park", || {
            q.semaphores().waiting_for_increase(SPACE).unwrap() == 1
        });
        assert_eq!(rx.len().unwrap(), CAP);
        let mut hash = FNV_BASIS;
        for k in 0..COUNT {
            let item = rx
                .dequeue_timeout(GUARD)
                .unwrap_or_else(|e| panic!("item {k}: {e}"));
            let want = make_item(k);
            assert_eq!(item.as_bytes(), want.as_bytes(), "item {k}");
            hash = fnv1a64_from(hash, item.as_bytes());
        }
        assert_eq!(rx.dequeue().unwrap().map(|i| i.seq), None, "nothing more");
        let out = c.finish();
        assert_eq!(
            out,
            [
                format!("barrier {}", barrier as u64),
                format!("peer parked at {PARK_AT}"),
                format!("sent {COUNT} hash {hash:016x}"),
            ]
        );
        // The C side released its role cleanly: not abandoned.
        assert!(!q.has_producer().unwrap());
        drop(q.producer().unwrap());
        drop(rx);
        q.remove().unwrap();
    });
}

/// Rust enqueues items 0..COUNT, C dequeues and checks them.
fn c_consumes(symmetric: bool) {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, barrier) = queue(symmetric);
        let mut tx = q.producer().unwrap();
        let mut c = peer.spawn(&[
            "consume",
            &key_arg(),
            &COUNT.to_string(),
            &CAP.to_string(),
            &PARK_AT.to_string(),
        ]);
        // The C consumer finds the ring empty and sleeps; our first enqueue must
        // wake it.
        c.wait_for("the C consumer to park", || {
            q.semaphores().waiting_for_increase(ITEMS).unwrap() == 1
        });
        let mut hash = FNV_BASIS;
        for k in 0..COUNT {
            let item = make_item(k);
            tx.enqueue_timeout(item, GUARD)
                .unwrap_or_else(|e| panic!("item {k}: {e}"));
            hash = fnv1a64_from(hash, item.as_bytes());
        }
        let out = c.finish();
        assert_eq!(
            out,
            [
                format!("barrier {}", barrier as u64),
                format!("peer parked at {PARK_AT}"),
                format!("received {COUNT} hash {hash:016x} then would block"),
            ]
        );
        assert_eq!(q.len().unwrap(), 0);
        assert!(!q.has_consumer().unwrap());
        drop(q.consumer().unwrap());
        drop(tx);
        q.remove().unwrap();
    });
}

/// Sleeps in a futex wait on an armed side's word (what an event loop's
/// reactor does), for at most `GUARD`: true if woken (or the word changed before
/// the wait), false if the wait timed out.
fn futex_wait(word: sysv_ipc::wake::WakeWord<'_>) -> bool {
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
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN)
}

/// What the two word-wait tests share: the C peer in `mode` beside this
/// process's `side` of the queue. `step(side, k, waits)` moves item `k`, waiting
/// on its word (a futex wait, counted in `waits`) whenever it must, and returns
/// the item; the C peer's report must end with `last(hash)` of the items.
fn word_waits_against_c<S>(
    mode: &str,
    side: impl FnOnce(&Queue<Item, CAP>) -> S,
    mut step: impl FnMut(&mut S, u64, &mut u32) -> Item,
    last: impl FnOnce(u64) -> String,
) {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, barrier) = queue(false);
        let mut side = side(&q);
        let c = peer.spawn(&[
            mode,
            &key_arg(),
            &COUNT.to_string(),
            &CAP.to_string(),
            &PARK_AT.to_string(),
        ]);
        let (mut hash, mut waits) = (FNV_BASIS, 0);
        for k in 0..COUNT {
            let item = step(&mut side, k, &mut waits);
            assert_eq!(item.as_bytes(), make_item(k).as_bytes(), "item {k}");
            hash = fnv1a64_from(hash, item.as_bytes());
        }
        assert!(waits >= 1, "never waited on the word");
        let out = c.finish();
        assert_eq!(
            out,
            [
                format!("barrier {}", barrier as u64),
                format!("peer parked at {PARK_AT}"),
                last(hash),
            ]
        );
        drop(side);
        q.remove().unwrap();
    });
}

/// A C producer wakes a Rust consumer that waits on its word (the asynchronous
/// wait, layout version 6) instead of its semaphore: the C side's wake check
/// futex-wakes the word. Without it the wait would time out.
#[test]
fn c_producer_wakes_a_word_waiting_rust_consumer() {
    word_waits_against_c(
        "produce-word",
        |q| q.consumer().unwrap(),
        |rx, k, waits| loop {
            if let Some(item) = rx.dequeue().unwrap() {
                break item;
            }
            if let Some(word) = rx.arm_wake().unwrap() {
                assert!(
                    futex_wait(word),
                    "item {k}: the C producer never woke the word"
                );
                *waits += 1;
            }
        },
        |hash| format!("sent {COUNT} hash {hash:016x}"),
    );
}

/// A C consumer wakes a Rust producer that waits on its word for room.
#[test]
fn c_consumer_wakes_a_word_waiting_rust_producer() {
    word_waits_against_c(
        "consume-word",
        |q| q.producer().unwrap(),
        |tx, k, waits| {
            let mut item = make_item(k);
            while let Err(e) = tx.enqueue(item) {
                assert!(e.is_full(), "{e}");
                item = e.into_inner();
                if let Some(word) = tx.arm_wake().unwrap() {
                    assert!(
                        futex_wait(word),
                        "item {k}: the C consumer never woke the word"
                    );
                    *waits += 1;
                }
            }
            item
        },
        |hash| format!("received {COUNT} hash {hash:016x} then would block"),
    );
}

/// Items through the close tests: enough to go around the ring many times.
const CLOSE_COUNT: u64 = 1000;

/// C enqueues items 0..CLOSE_COUNT and closes once our consumer is parked on the
/// drained ring: we get every item, then `Closed` from the parked call.
#[test]
fn c_producer_closes_and_the_parked_rust_consumer_gets_closed() {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, _) = queue(false);
        let mut rx = q.consumer().unwrap();
        let c = peer.spawn(&[
            "produce-close",
            &key_arg(),
            &CLOSE_COUNT.to_string(),
            &CAP.to_string(),
        ]);
        let mut hash = FNV_BASIS;
        for k in 0..CLOSE_COUNT {
            let item = rx
                .dequeue_timeout(GUARD)
                .unwrap_or_else(|e| panic!("item {k}: {e}"));
            assert_eq!(item.as_bytes(), make_item(k).as_bytes(), "item {k}");
            hash = fnv1a64_from(hash, item.as_bytes());
        }
        assert!(!q.is_closed().unwrap(), "not before the C side closes");
        // Parks (the C side waits for that before it closes): the close wakes it.
        let e = rx.dequeue_timeout(GUARD).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
        assert_eq!(rx.dequeue().unwrap_err().kind(), ErrorKind::Closed);
        let mut batch = [Item::new_zeroed(); 4];
        assert_eq!(
            rx.dequeue_into(&mut batch).unwrap_err().kind(),
            ErrorKind::Closed
        );
        let out = c.finish();
        assert_eq!(
            out,
            [
                format!("sent {CLOSE_COUNT} hash {hash:016x}"),
                "peer parked".to_owned(),
                "claim after close: closed".to_owned(),
            ]
        );
        assert!(q.is_closed().unwrap());
        assert!(!q.has_producer().unwrap(), "released cleanly");
        assert_eq!(q.producer().unwrap_err().kind(), ErrorKind::Closed);
        drop(rx);
        q.remove().unwrap();
    });
}

/// Rust enqueues items 0..CLOSE_COUNT and closes once the C consumer is parked on
/// the drained ring: it gets every item, then `SVIPC_E_CLOSED`.
#[test]
fn rust_producer_closes_and_the_parked_c_consumer_gets_closed() {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, _) = queue(false);
        let mut tx = q.producer().unwrap();
        let mut c = peer.spawn(&[
            "consume-close",
            &key_arg(),
            &CLOSE_COUNT.to_string(),
            &CAP.to_string(),
        ]);
        let mut hash = FNV_BASIS;
        for k in 0..CLOSE_COUNT {
            let item = make_item(k);
            tx.enqueue_timeout(item, GUARD)
                .unwrap_or_else(|e| panic!("item {k}: {e}"));
            hash = fnv1a64_from(hash, item.as_bytes());
        }
        c.wait_for("the C consumer to park on the drained ring", || {
            q.len().unwrap() == 0 && q.semaphores().waiting_for_increase(ITEMS).unwrap() == 1
        });
        tx.close().unwrap();
        let out = c.finish();
        assert_eq!(
            out,
            [format!(
                "received {CLOSE_COUNT} hash {hash:016x} then closed, closed"
            )]
        );
        assert_eq!(q.producer().unwrap_err().kind(), ErrorKind::Closed);
        q.remove().unwrap();
    });
}

#[test]
fn c_producer_rust_consumer_with_the_recorded_barrier() {
    c_produces(false);
}

#[test]
fn c_producer_rust_consumer_with_symmetric_fences() {
    c_produces(true);
}

#[test]
fn rust_producer_c_consumer_with_the_recorded_barrier() {
    c_consumes(false);
}

#[test]
fn rust_producer_c_consumer_with_symmetric_fences() {
    c_consumes(true);
}

#[test]
fn c_refuses_other_shapes_and_a_role_rust_holds() {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, _) = queue(false);
        let tx = q.producer().unwrap();
        let out = peer.run(&["refuse", &key_arg(), &CAP.to_string()]);
        assert_eq!(
            out,
            [
                "capacity layout mismatch capacity",
                "other-name layout mismatch type_id",
                "size layout mismatch type_size",
                "align layout mismatch type_align",
                "not-a-power-of-two invalid argument -",
                "as-seqlock layout mismatch kind",
                "right ok -",
                "producer role taken",
                "consumer ok",
            ]
        );
        // Rust's producer is untouched, and the C consumer released its role.
        assert!(q.has_producer().unwrap());
        assert!(!q.has_consumer().unwrap());
        drop(tx);
        q.remove().unwrap();
    });
}

#[test]
fn c_refuses_segments_no_queue_initialised() {
    let peer = peer();
    in_ipc_namespace(|| {
        let (small, zero) = (Key::new(KEY), Key::new(KEY + 1));
        let size = sysv_ipc::layout::ring::DATA_OFFSET + CAP * size_of::<Item>();
        let mut made = Vec::new();
        for (key, size) in [(small, 100), (zero, size)] {
            let seg = Segment::create(key, size, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            let sems = SemSet::create(key, 4, Intent::CreateNew, Mode::OWNER_RW).unwrap();
            made.push((seg, sems));
        }
        let out = peer.run(&[
            "refuse-raw",
            &KEY.to_string(),
            &(KEY + 1).to_string(),
            &CAP.to_string(),
        ]);
        assert_eq!(
            out,
            [
                "small layout mismatch size",
                "zero not ready -",
                "none system call failed ENOENT",
            ]
        );
        for (seg, sems) in made {
            // The C side left nothing attached.
            assert_eq!(seg.stat().unwrap().nattch, 0);
            seg.remove().unwrap();
            sems.remove().unwrap();
        }
    });
}

#[test]
fn garbage_in_the_segment_fails_c_calls_and_leaves_the_queue_usable() {
    let peer = peer();
    in_ipc_namespace(|| {
        let q = Queue::<Item, 8>::create(key(), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let items: Vec<Item> = (0..3).map(make_item).collect();
        assert_eq!(q.producer().unwrap().enqueue_slice(&items).unwrap(), 3);
        let out = peer.run(&["hostile", &key_arg(), "8"]);
        assert_eq!(
            out,
            [
                "state 7: corrupt",
                "claim with tail 9: corrupt role 1 pid 0",
                "dequeue with tail 18446744073709551615 head 3: corrupt",
                "dequeue with tail 0 head 3: corrupt",
                "dequeue with tail 2 head 3: corrupt",
                "dequeue with tail 12 head 3: corrupt",
                "dequeue with tail 3 head 3: would block",
                "dequeue with closed 2: corrupt",
                "producer with closed 2: corrupt role 1",
                "second role: invalid argument",
                "enqueue with tail 11 head 12: corrupt",
                "enqueue with tail 11 head 2: corrupt",
                "enqueue with tail 11 head 18446744073709551615: corrupt",
                "enqueue with tail 11 head 3: would block",
            ]
        );
        // The queue is intact: the C producer's 8 items, in order, then empty;
        // both roles were released cleanly.
        let mut rx = q.consumer().unwrap();
        for k in 3..11 {
            let item = rx.dequeue().unwrap().unwrap();
            assert_eq!(item.as_bytes(), make_item(k).as_bytes(), "item {k}");
        }
        assert!(rx.dequeue().unwrap().is_none());
        drop(q.producer().unwrap());
        drop(rx);
        q.remove().unwrap();
    });
}

#[test]
fn a_c_producer_that_dies_holding_its_role_leaves_it_abandoned() {
    let peer = peer();
    in_ipc_namespace(|| {
        let (q, _) = queue(false);
        let out = peer.run(&["abandon", &key_arg(), &CAP.to_string()]);
        let pid: u64 = out[0].strip_prefix("pid ").unwrap().parse().unwrap();
        assert_eq!(out.len(), 1, "{out:?}");
        // SEM_UNDO gave the semaphore back; the pid word says nobody released it.
        assert!(!q.has_producer().unwrap());
        assert_eq!(
            q.attachment().load_u64(offset_of!(RingCtl, producer_pid)),
            Some(pid)
        );
        assert_eq!(q.producer().unwrap_err().kind(), ErrorKind::RoleAbandoned);
        let mut tx = q.reclaim_producer().unwrap();
        tx.enqueue(make_item(1)).unwrap();
        let mut rx = q.consumer().unwrap();
        for k in 0..2 {
            let item = rx.dequeue().unwrap().unwrap();
            assert_eq!(item.as_bytes(), make_item(k).as_bytes(), "item {k}");
        }
        drop((tx, rx));
        q.remove().unwrap();
    });
}

#[test]
fn c_reads_a_seqlock_rust_writes() {
    const LAST: u32 = 200_000;
    let peer = peer();
    in_ipc_namespace(|| {
        let lock = SeqLock::<Reading>::create(key(), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut w = lock.writer().unwrap();
        w.write(&make_reading(0)).unwrap(); // reading k has sequence number 2k + 2
        let mut c = peer.spawn(&["seqlock-read", &key_arg(), &LAST.to_string()]);
        assert_eq!(c.line(), "writer role taken");
        assert_eq!(c.line(), "ready");
        for k in 1..=LAST {
            w.write(&make_reading(k)).unwrap();
        }
        assert_eq!(
            c.finish(),
            [format!(
                "last {LAST} sequence {} distinct>0 1",
                2 * u64::from(LAST) + 2
            )]
        );
        drop(w);
        lock.remove().unwrap();
    });
}

#[test]
fn rust_reads_a_seqlock_c_writes() {
    const N: u32 = 200_000;
    let peer = peer();
    in_ipc_namespace(|| {
        let lock = SeqLock::<Reading>::create(key(), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut w = lock.writer().unwrap();
        w.write(&make_reading(0)).unwrap();
        let mut c = peer.spawn(&["seqlock-write", &key_arg(), &N.to_string()]);
        assert_eq!(c.line(), "writer role taken");
        assert_eq!(c.line(), "waiting");
        drop(w);
        c.send("go\n");
        // Every copy is one reading the C side wrote whole, and they only move on.
        // (Busy, every attempt meeting a write, is no error: a writer in a tight
        // loop can starve a reader for a while.)
        let mut last = 0;
        for round in 0u64.. {
            match lock.read() {
                Ok(r) => {
                    assert_eq!(
                        r.as_bytes(),
                        make_reading(r.seq).as_bytes(),
                        "torn or foreign value"
                    );
                    assert!(r.seq >= last, "went back from {last} to {}", r.seq);
                    last = r.seq;
                }
                Err(e) => assert_eq!(e.kind(), ErrorKind::Busy, "{e}"),
            }
            if last == N - 1 {
                break;
            }
            if round % 1024 == 0 && c.child.try_wait().unwrap().is_some() {
                // It exited: its last write, if it got that far, is visible now.
                let r = lock.read().unwrap();
                assert_eq!(r.seq, N - 1, "the C writer stopped early: {:?}", c.finish());
                break;
            }
        }
        assert_eq!(
            c.finish(),
            [format!(
                "wrote {N} from sequence 2 to {}",
                2 + 2 * u64::from(N)
            )]
        );
        // Released cleanly: the role is free, not abandoned.
        assert!(!lock.has_writer().unwrap());
        drop(lock.writer().unwrap());
        lock.remove().unwrap();
    });
}
