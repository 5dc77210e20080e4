//! `Broadcast`, `Mpsc` and `Table` in the situations their users are in (issue 16),
//! through both real backends, each test in a fresh IPC namespace:
//!
//! - separately started programs (`examples/broadcast_ticker.rs`; the `Mpsc` and
//!   `Table` programs are in `tests/mpsc.rs` and `tests/table.rs`);
//! - values of several MiB: 4 MiB `Table` slots written from and read into boxed
//!   values; 4 MiB lossy `Broadcast` values through its loans and `recv_into`
//!   (lossless ones: `tests/broadcast.rs`); `Broadcast` (lossless, lossy) and
//!   `Mpsc` rings of 4 MiB of 4 KiB values, the largest the by-value forms take
//!   (`Mpsc` has no in-place or loan forms yet);
//! - another user (uid 65534): modes 0o600, 0o666 and 0o644;
//! - Ctrl-Z: a process stopped (`SIGSTOP`) while parked in a blocking call, and
//!   continued: the call completes, and its peer neither takes it for dead nor
//!   waits past its own deadline; storms of stops (and of a debugger's
//!   interrupts) over whole streams, and timed calls under them;
//! - a key another program already uses (a plain segment, a `Queue`, a
//!   `Broadcast`): the right error, and the other program's bytes untouched;
//! - a debugger attaching to a parked process and detaching.
//!
//! The permission tests need root for the second uid and print "skipped: needs
//! root" otherwise. Knob: `SYSV_IPC_STOP_ITEMS` (values per storm, default 40 000).
//! The setup the tests share (their objects, peers, Ctrl-Z, debugger visits and
//! storms) is `tests/common/fixture.rs`.

#[path = "common/checked.rs"]
mod checked;
#[path = "common/examples.rs"]
mod examples;
#[path = "common/fixture.rs"]
mod fixture;
#[path = "common/left.rs"]
mod left;

use std::time::{Duration, Instant};

use checked::Msg;
use fixture::*;
use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::queue::Queue;
use sysv_ipc::shm::Segment;
use sysv_ipc::table::{Table, TableOptions};
use sysv_ipc::{Backend, Error, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable};
use sysv_ipc::{ShmType, type_id};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{in_ipc_namespace, needs_root};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

sysv_ipc_testkit::on_both_backends!(
    table_values_of_4_mib_in_place,
    broadcast_lossless_of_4_mib,
    broadcast_lossy_of_4_mib,
    broadcast_lossy_values_of_4_mib,
    mpsc_of_4_mib,
    broadcast_as_another_user,
    mpsc_as_another_user,
    table_as_another_user,
    broadcast_reader_parked_and_stopped,
    broadcast_lossless_writer_parked_and_stopped,
    mpsc_consumer_parked_and_stopped,
    mpsc_producer_parked_and_stopped,
    removed_while_stopped,
    broadcast_under_a_stop_storm,
    broadcast_under_a_ptrace_storm,
    mpsc_under_a_stop_storm,
    mpsc_under_a_ptrace_storm,
    timed_calls_meet_their_deadline_under_stops,
    keys_other_programs_use,
    debugger_attaches_to_parked_broadcast_reader,
    debugger_attaches_to_parked_mpsc_consumer,
);

fn err<T>(r: sysv_ipc::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

// ---- two programs ------------------------------------------------------------------------

/// `examples/broadcast_ticker.rs` as three separately started programs: two
/// readers first, then the writer, which waits for both, sends 20 000 ticks
/// losslessly and removes the stream once they left. Each reader got every tick,
/// whole and in order; nothing is left in the namespace.
#[test]
fn broadcast_ticker_as_separate_programs() {
    in_ipc_namespace(|| {
        let bin = examples::example("broadcast_ticker");
        let readers = [
            start(&bin, &["read", "0x55530101"]),
            start(&bin, &["read", "0x55530101"]),
        ];
        let writer = finish(start(&bin, &["write", "0x55530101", "20000", "2"]));
        assert_eq!(writer, "writer: 20000 ticks to 2 readers");
        for r in readers {
            assert_eq!(
                finish(r),
                "reader: 20000 ticks in order, 0 missed before joining, none torn"
            );
        }
        left::assert_nothing_left();
    });
}

// ---- values of several MiB ---------------------------------------------------------------

const MIB4: usize = 4 << 20;

/// A 4 MiB value: too large for any stack a test thread has.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Frame {
    bytes: [u8; MIB4],
}

impl ShmType for Frame {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::users::Frame v1");
}

/// Byte `i` of pattern `p`: every byte differs from its neighbours and from the
/// same byte of the other patterns.
fn pattern(p: u8, i: usize) -> u8 {
    (i as u8) ^ ((i >> 8) as u8).wrapping_mul(31) ^ p.wrapping_mul(0x9d)
}

fn fill(frame: &mut Frame, p: u8) {
    for (i, b) in frame.bytes.iter_mut().enumerate() {
        *b = pattern(p, i);
    }
}

fn check(frame: &Frame, p: u8) {
    if let Some(i) = (0..MIB4).find(|&i| frame.bytes[i] != pattern(p, i)) {
        panic!("pattern {p}: byte {i} is {:#x}", frame.bytes[i]);
    }
}

/// Three slots of 4 MiB: written from boxed values (`write(&T)`), rewritten, read
/// back with `read_into` from a thread with a 64 KiB stack; every byte of each
/// slot is its last write's, and another process sees the same.
fn table_values_of_4_mib_in_place<B: Backend + Clone + Send + 'static>(b: B) {
    let fx = Fx::new(b);
    let t = fx.table::<Frame, 3>();
    let mut frame = Frame::new_box_zeroed().unwrap();
    let mut w = t.writer().unwrap();
    for slot in 0..3u8 {
        fill(&mut frame, slot);
        w.write(usize::from(slot), &frame).unwrap();
    }
    fill(&mut frame, 7);
    let v = w.write(1, &frame).unwrap();
    let reader = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(move || {
            let mut out = Frame::new_box_zeroed().unwrap();
            for (slot, p) in [(0, 0), (1, 7), (2, 2)] {
                let got = t.read_into(slot, &mut out).unwrap();
                check(&out, p);
                if slot == 1 {
                    assert_eq!(got, v, "slot 1's version is its last write's");
                }
            }
            t
        })
        .unwrap();
    let t = reader.join().unwrap();
    fx.peer(|fx| {
        let t = Table::<Frame, 3, B, sysv_ipc::ReadOnly>::open_read_only_in(fx.backend(), fx.key())
            .unwrap();
        let mut out = Frame::new_box_zeroed().unwrap();
        t.read_into(2, &mut out).unwrap();
        check(&out, 2);
    })
    .join();
    drop(w);
    t.remove().unwrap();
}

/// The largest value the by-value forms take (`shm::MAX_READ_BY_VALUE`), every
/// byte derived from its number. (`Mpsc` has no in-place or loan forms yet: a
/// larger `T` cannot be received at all.)
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Page {
    seq: u64,
    bytes: [u8; 4088],
}

impl ShmType for Page {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::users::Page v1");
}

const _: () = assert!(size_of::<Page>() == sysv_ipc::shm::MAX_READ_BY_VALUE);

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Page {}", self.seq)
    }
}

impl Page {
    fn new(seq: u64) -> Page {
        Page {
            seq,
            bytes: core::array::from_fn(|i| pattern(seq as u8, i) ^ (seq >> 8) as u8),
        }
    }

    /// Whole: every byte is what [`Page::new`] made for its number.
    fn check(&self) -> u64 {
        let want = Page::new(self.seq);
        if let Some(i) = (0..self.bytes.len()).find(|&i| self.bytes[i] != want.bytes[i]) {
            panic!("page {}: byte {i} torn", self.seq);
        }
        self.seq
    }
}

/// Pages of room in the rings: 4 MiB of slots.
const PAGES: usize = 1024;

/// A lossless broadcast of 4 MiB of 4 KiB pages: a writer process sends three
/// rings' worth, two readers (this process and another) get every page whole
/// and in order.
fn broadcast_lossless_of_4_mib<B: Backend + Clone + Send + 'static>(b: B) {
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(2).policy(Policy::Lossless);
    let bc = fx.broadcast::<Page, PAGES>(o);
    assert!(bc.segment().stat().unwrap().size >= PAGES * 4096);
    let total = 3 * PAGES as u64;
    let read_all = move |rx: &mut sysv_ipc::broadcast::Reader<Page, PAGES, B>| {
        for want in 0..total {
            let page = rx
                .recv_timeout(LONG)
                .unwrap_or_else(|e| panic!("page {want}: {e}"));
            assert_eq!(page.check(), want);
        }
        assert_eq!(rx.recv_blocking().unwrap_err().kind(), ErrorKind::Closed);
    };
    let mut rx = bc.reader(Start::Oldest).unwrap();
    let other = fx.peer(|fx| {
        let bc = fx.join_broadcast::<Page, PAGES>(o);
        read_all(&mut bc.reader(Start::Oldest).unwrap());
    });
    let writer = fx.peer(|fx| {
        let bc = fx.join_broadcast::<Page, PAGES>(o);
        until("the readers never joined", || {
            bc.readers_registered().unwrap() >= 2
        });
        let mut tx = bc.writer().unwrap();
        for seq in 0..total {
            tx.send_timeout(Page::new(seq), LONG)
                .unwrap_or_else(|e| panic!("page {seq}: {}", e.error()));
        }
        tx.close().unwrap();
    });
    read_all(&mut rx);
    writer.join();
    other.join();
    drop(rx);
    bc.remove().unwrap();
}

/// A lossy broadcast of 4 MiB of 4 KiB pages, a writer process sending eight
/// rings' worth as fast as it can and a reader that checks each page, and once
/// (after 100 pages) waits for the writer to finish, so that it is lapped for
/// sure: every page it gets is whole, the gaps it is told of add up exactly to
/// what it did not get, and it got the last ring whole.
fn broadcast_lossy_of_4_mib<B: Backend + Clone + Send + 'static>(b: B) {
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(1).policy(Policy::Lossy);
    let bc = fx.broadcast::<Page, PAGES>(o);
    let total = 8 * PAGES as u64;
    let mut rx = bc.reader(Start::Oldest).unwrap();
    let writer = fx.peer(|fx| {
        let mut tx = fx.join_broadcast::<Page, PAGES>(o).writer().unwrap();
        for seq in 0..total {
            tx.send(Page::new(seq))
                .unwrap_or_else(|e| panic!("page {seq}: {}", e.error()));
        }
        tx.close().unwrap();
    });
    let (mut next, mut got, mut missed) = (0u64, 0u64, 0u64);
    let mut writer = Some(writer);
    loop {
        if got == 100
            && let Some(w) = writer.take()
        {
            w.join();
        }
        match rx.recv_timeout(LONG) {
            Ok(p) => {
                assert_eq!(p.check(), next, "after {got} pages and {missed} missed");
                next += 1;
                got += 1;
            }
            Err(e) if e.kind() == ErrorKind::Lagged => {
                let n = e.missed().expect("a Lagged error says how many");
                next += n;
                missed += n;
            }
            Err(e) if e.kind() == ErrorKind::Closed => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(writer.is_none(), "the stream ended before 100 pages");
    assert_eq!(
        (next, got + missed),
        (total, total),
        "the last page, and every page accounted for"
    );
    assert!(
        got >= 100 + PAGES as u64 && missed > 0,
        "{got} got, {missed} missed"
    );
    drop(rx);
    bc.remove().unwrap();
}

/// An `Mpsc` of 4 MiB of 4 KiB pages, two producer processes sending two
/// rings' worth each: the consumer gets every page once, whole, in order per
/// producer.
fn mpsc_of_4_mib<B: Backend + Clone + Send + 'static>(b: B) {
    let fx = Fx::new(b);
    let m = fx.mpsc::<Page, PAGES>();
    let per = 2 * PAGES as u64;
    let producer = |me: u64| {
        fx.peer(move |fx| {
            let mut tx = fx.join_mpsc::<Page, PAGES>().producer().unwrap();
            for i in 0..per {
                tx.send_timeout(Page::new(2 * i + me), LONG)
                    .unwrap_or_else(|e| panic!("page {i}: {}", e.error()));
            }
        })
    };
    let mut rx = m.consumer().unwrap();
    let (p0, p1) = (producer(0), producer(1));
    let mut next = [0u64, 1];
    for _ in 0..2 * per {
        let seq = rx.recv_timeout(LONG).unwrap().check();
        let from = (seq % 2) as usize;
        assert_eq!(
            seq, next[from],
            "producer {from}: lost, twice or out of order"
        );
        next[from] += 2;
    }
    p0.join();
    p1.join();
    assert_eq!(
        (rx.recv().unwrap().map(|p| p.seq), rx.abandoned()),
        (None, 0)
    );
    drop(rx);
    m.remove().unwrap();
}

/// A 4 MiB value with its number, every byte derived from the number modulo 4
/// (so that a writer can keep four ready): a read mixing two values that share
/// a slot (two apart) shows.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, sysv_ipc::ShmView)]
#[repr(C)]
struct Numbered {
    seq: u64,
    bytes: [u8; MIB4],
}

impl ShmType for Numbered {
    const TYPE_ID: u64 = type_id("sysv-ipc tests::users::Numbered v1");
}

impl Numbered {
    fn fill(&mut self, seq: u64) {
        self.seq = seq;
        for (i, b) in self.bytes.iter_mut().enumerate() {
            *b = pattern((seq % 4) as u8, i);
        }
    }

    /// Its number, after checking every byte.
    fn check(&self) -> u64 {
        let p = (self.seq % 4) as u8;
        if let Some(i) = (0..MIB4).find(|&i| self.bytes[i] != pattern(p, i)) {
            panic!("value {}: byte {i} torn", self.seq);
        }
        self.seq
    }
}

/// A lossy broadcast of 4 MiB values, two slots: a writer process copies each
/// into its slot (`loan` + `write`) from one of four ready in the heap, as fast
/// as it can, lapping a reader that copies each straight into the heap
/// (`recv_into`, validated after the 4 MiB copy) and checks every byte (slower
/// than the writer): every value the reader gets is whole and newer than the
/// last, and received + reported missed = sent.
fn broadcast_lossy_values_of_4_mib<B: Backend + Clone + Send + 'static>(b: B) {
    const VALUES: u64 = 400;
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(1).policy(Policy::Lossy);
    let bc = fx.broadcast::<Numbered, 2>(o);
    let mut rx = bc.reader(Start::Oldest).unwrap();
    let writer = fx.peer(|fx| {
        let mut tx = fx.join_broadcast::<Numbered, 2>(o).writer().unwrap();
        let mut ready: Vec<_> = (0..4)
            .map(|k| {
                let mut v = Numbered::new_box_zeroed().unwrap();
                v.fill(k);
                v
            })
            .collect();
        for seq in 0..VALUES {
            let value = &mut ready[(seq % 4) as usize];
            value.seq = seq;
            let loan = tx.loan(1).unwrap();
            assert_eq!(loan.len(), 1, "lossy: never full");
            assert!(loan.write(0, value));
            assert_eq!(loan.commit_all(), 1);
        }
        tx.close().unwrap();
    });
    let mut got = Numbered::new_box_zeroed().unwrap();
    let (mut next, mut received, mut missed) = (0u64, 0u64, 0u64);
    loop {
        match rx.wait_timeout(LONG) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Closed => break,
            Err(e) if e.kind() == ErrorKind::Lagged => {
                let n = e.missed().unwrap();
                (next, missed) = (next + n, missed + n);
                continue;
            }
            Err(e) => panic!("{e}"),
        }
        match rx.recv_into(core::slice::from_mut(&mut *got)) {
            Ok(0) => {}
            Ok(n) => {
                assert_eq!(n, 1);
                assert_eq!(
                    got.check(),
                    next,
                    "after {received} received, {missed} missed"
                );
                (next, received) = (next + 1, received + 1);
            }
            Err(e) if e.kind() == ErrorKind::Lagged => {
                let n = e.missed().unwrap();
                (next, missed) = (next + n, missed + n);
            }
            Err(e) if e.kind() == ErrorKind::Closed => break,
            Err(e) => panic!("{e}"),
        }
    }
    writer.join();
    assert_eq!((next, received + missed), (VALUES, VALUES));
    assert!(received > 0);
    eprintln!("lossy 4 MiB: {received} received whole, {missed} reported missed of {VALUES}");
    drop(rx);
    bc.remove().unwrap();
}

// ---- another user ------------------------------------------------------------------------

/// `e` is `PermissionDenied`, and its text says so.
fn denied(e: &Error, what: &str) {
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{what}: {e}");
    let text = e.to_string().to_lowercase();
    assert!(text.contains("permission"), "{what}: an unclear error: {e}");
}

/// A lossless broadcast with room for two readers.
fn lossless_pair() -> BroadcastOptions {
    BroadcastOptions::new().readers(2).policy(Policy::Lossless)
}

/// Uid 65534 and a broadcast root created: 0o600 refuses it, with a clear error;
/// 0o666 lets it be writer and reader (a root reader gets what it sent); 0o644
/// refuses every role — a reader writes its cursor and takes a seat semaphore, so
/// there is no read-only reader.
fn broadcast_as_another_user<B: Backend + Clone + Send + 'static>(b: B) {
    if !needs_root("broadcast_as_another_user") {
        return;
    }
    let fx = Fx::new(b);
    for (mode, bits) in [(Mode::OWNER_RW, 0o600), (Mode::new(0o644), 0o644)] {
        let bc = fx.mode(mode).broadcast::<u64, 8>(lossless_pair());
        fx.as_other(|fx| {
            let e = err(fx.try_join_broadcast::<u64, 8>(lossless_pair()));
            denied(&e, &format!("a broadcast of mode {bits:o}"));
        });
        // Nothing of the refused joins stayed behind.
        assert_eq!(bc.readers_registered().unwrap(), 0);
        assert!(!bc.has_writer().unwrap());
        bc.remove().unwrap();
    }
    let bc = fx.mode(Mode::ALL_RW).broadcast::<u64, 8>(lossless_pair());
    let mut rx = bc.reader(Start::Newest).unwrap();
    fx.as_other(|fx| {
        let bc = fx.join_broadcast::<u64, 8>(lossless_pair());
        let mut own = bc.reader(Start::Newest).unwrap();
        let mut tx = bc.writer().unwrap();
        for v in 1..=3 {
            tx.send_blocking(v).unwrap();
        }
        assert_eq!(
            [own.recv(), own.recv(), own.recv()].map(|r| r.unwrap()),
            [Some(1), Some(2), Some(3)]
        );
    });
    for want in 1..=3 {
        assert_eq!(rx.recv().unwrap(), Some(want));
    }
    drop(rx);
    bc.remove().unwrap();
}

/// [`broadcast_as_another_user`] for an `Mpsc`: 0o600 and 0o644 refuse uid 65534
/// (a producer claims a seat and a slot), 0o666 lets it be producer and consumer.
fn mpsc_as_another_user<B: Backend + Clone + Send + 'static>(b: B) {
    if !needs_root("mpsc_as_another_user") {
        return;
    }
    let fx = Fx::new(b);
    for (mode, bits) in [(Mode::OWNER_RW, 0o600), (Mode::new(0o644), 0o644)] {
        let m = fx.mode(mode).mpsc::<u64, 8>();
        fx.as_other(|fx| {
            let e = err(fx.try_join_mpsc::<u64, 8>());
            denied(&e, &format!("an mpsc of mode {bits:o}"));
        });
        assert_eq!(m.registered().unwrap(), 0);
        assert!(!m.has_consumer().unwrap());
        m.remove().unwrap();
    }
    let m = fx.mode(Mode::ALL_RW).mpsc::<u64, 8>();
    let mut tx = m.producer().unwrap();
    tx.send(1).unwrap();
    fx.as_other(|fx| {
        let m = fx.join_mpsc::<u64, 8>();
        let mut own = m.producer().unwrap();
        own.send(2).unwrap();
        let mut rx = m.consumer().unwrap();
        assert_eq!((rx.recv().unwrap(), rx.recv().unwrap()), (Some(1), Some(2)));
        own.send(3).unwrap();
        // Leaves 3 for root's consumer.
    });
    let mut rx = m.consumer().unwrap();
    assert_eq!((rx.recv().unwrap(), rx.recv().unwrap()), (Some(3), None));
    drop((tx, rx));
    m.remove().unwrap();
}

/// A `Table` root created with 0o666: uid 65534 takes the writer role and reads,
/// and root reads what it wrote; 0o600 refuses it with a clear error (0o600 and
/// 0o644 by kind: `tests/table.rs`).
fn table_as_another_user<B: Backend + Clone + Send + 'static>(b: B) {
    if !needs_root("table_as_another_user") {
        return;
    }
    let fx = Fx::new(b);
    let t = fx.table::<u64, 4>();
    fx.as_other(|fx| {
        denied(
            &err(Table::<u64, 4, B>::open_in(fx.backend(), fx.key())),
            "a table of mode 600",
        );
        denied(
            &err(Table::<u64, 4, B, sysv_ipc::ReadOnly>::open_read_only_in(
                fx.backend(),
                fx.key(),
            )),
            "a table of mode 600, read-only",
        );
    });
    t.remove().unwrap();
    let t = fx.mode(Mode::ALL_RW).table::<u64, 4>();
    fx.as_other(|fx| {
        let t = Table::<u64, 4, B>::open_in(fx.backend(), fx.key()).unwrap();
        t.writer().unwrap().write(3, &42).unwrap();
        assert_eq!(t.read(3).unwrap(), 42);
    });
    assert_eq!(t.read(3).unwrap(), 42);
    assert!(!t.has_writer().unwrap(), "the other user's writer left");
    t.writer().unwrap().write(0, &1).unwrap();
    t.remove().unwrap();
}

// ---- Ctrl-Z ------------------------------------------------------------------------------

/// A short deadline for the timed calls that must end while the peer is stopped.
const SHORT: Duration = Duration::from_millis(200);
/// The peer check of the side that waits on a stopped process: forty checks
/// within [`SHORT`].
const CHECK: Duration = Duration::from_millis(5);

/// A lossless reader parked in `recv_blocking` is stopped: the writer fills the
/// ring and its next `send_timeout` ends with `TimedOut` — the stopped reader is
/// alive, never dropped as dead (it is still registered) — and never waits for
/// ever. Continued, the reader gets every value in order, and the writer's
/// blocking sends complete.
fn broadcast_reader_parked_and_stopped<B: Backend + Clone + Send + 'static>(b: B) {
    const N: usize = 4;
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    let bc = fx.broadcast::<u64, N>(o);
    let mut tx = bc.writer().unwrap();
    // Forty peer checks while the reader is stopped: none may drop it.
    tx.set_peer_check(Some(CHECK));
    let reader = fx.peer(|fx| {
        let mut rx = fx
            .join_broadcast::<u64, N>(o)
            .reader(Start::Newest)
            .unwrap();
        rx.set_spins(0);
        recv_each_in_turn(&mut rx, 0..3 * N as u64);
    });
    until("the reader never joined", || {
        bc.readers_registered().unwrap() > 0
    });
    while_stopped(&reader, || {
        for v in 0..N as u64 {
            tx.send(v).unwrap();
        }
        let t0 = Instant::now();
        let e = tx.send_timeout(N as u64, SHORT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{}", e.error());
        assert!(t0.elapsed() >= SHORT);
        assert!(
            e.error().to_string().to_lowercase().contains("time"),
            "an unclear error: {}",
            e.error()
        );
        assert_eq!(
            (
                bc.readers_registered().unwrap(),
                bc.readers_alive().unwrap()
            ),
            (1, 1),
            "the stopped reader was taken for dead"
        );
        assert_eq!(tx.drop_dead_readers().unwrap(), 0);
    });
    for v in N as u64..3 * N as u64 {
        tx.send_blocking(v).unwrap();
    }
    reader.join();
    drop(tx);
    bc.remove().unwrap();
}

/// A lossless writer parked on a full ring is stopped: the reader drains the
/// ring and its next `recv_timeout` ends with `TimedOut` (the writer is alive:
/// no `PeerDied`, no `Closed`). Continued, the writer's parked send completes and
/// every value arrives once, in order.
fn broadcast_lossless_writer_parked_and_stopped<B: Backend + Clone + Send + 'static>(b: B) {
    const N: usize = 4;
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
    let bc = fx.broadcast::<u64, N>(o);
    let mut rx = bc.reader(Start::Newest).unwrap();
    rx.set_peer_check(Some(CHECK));
    let writer = fx.peer(|fx| {
        let mut tx = fx.join_broadcast::<u64, N>(o).writer().unwrap();
        tx.set_spins(0);
        send_each_in_turn(&mut tx, 0..3 * N as u64);
        tx.close().unwrap();
    });
    // The writer parks once the ring holds N.
    while_stopped(&writer, || {
        for want in 0..N as u64 {
            assert_eq!(rx.recv().unwrap(), Some(want));
        }
        let e = rx.recv_timeout(SHORT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        assert!(
            bc.has_writer().unwrap(),
            "the stopped writer was taken for dead"
        );
    });
    for want in N as u64..3 * N as u64 {
        assert_eq!(rx.recv_timeout(LONG).unwrap(), want);
    }
    assert_eq!(rx.recv_blocking().unwrap_err().kind(), ErrorKind::Closed);
    writer.join();
    drop(rx);
    bc.remove().unwrap();
}

/// An `Mpsc` consumer parked in `recv_blocking` is stopped: a producer fills the
/// ring and its next `send_timeout` ends with `TimedOut`, not `PeerDied`.
/// Continued, the consumer gets every value once, in order.
fn mpsc_consumer_parked_and_stopped<B: Backend + Clone + Send + 'static>(b: B) {
    const N: usize = 4;
    let fx = Fx::new(b);
    let m = fx.mpsc::<u64, N>();
    let mut tx = m.producer().unwrap();
    tx.set_peer_check(Some(CHECK));
    let consumer = fx.peer(|fx| {
        let mut rx = fx.join_mpsc::<u64, N>().consumer().unwrap();
        rx.set_spins(0);
        recv_each_in_turn(&mut rx, 0..3 * N as u64);
        assert_eq!(rx.abandoned(), 0);
    });
    until("no consumer", || m.has_consumer().unwrap());
    while_stopped(&consumer, || {
        for v in 0..N as u64 {
            tx.send(v).unwrap();
        }
        let t0 = Instant::now();
        let e = tx.send_timeout(N as u64, SHORT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{}", e.error());
        assert!(t0.elapsed() >= SHORT);
        assert!(
            m.has_consumer().unwrap(),
            "the stopped consumer was taken for dead"
        );
    });
    for v in N as u64..3 * N as u64 {
        tx.send_blocking(v).unwrap();
    }
    consumer.join();
    drop(tx);
    m.remove().unwrap();
}

/// An `Mpsc` producer parked on a full ring is stopped: the consumer drains it,
/// and its next `recv_timeout` ends with `TimedOut`; the producer is still
/// registered and alive, nothing is counted abandoned. Continued, its parked
/// send completes and every value arrives once, in order.
fn mpsc_producer_parked_and_stopped<B: Backend + Clone + Send + 'static>(b: B) {
    const N: usize = 4;
    let fx = Fx::new(b);
    let m = fx.mpsc::<u64, N>();
    let mut rx = m.consumer().unwrap();
    rx.set_peer_check(Some(CHECK));
    let producer = fx.peer(|fx| {
        let mut tx = fx.join_mpsc::<u64, N>().producer().unwrap();
        tx.set_spins(0);
        send_each_in_turn(&mut tx, 0..3 * N as u64);
    });
    while_stopped(&producer, || {
        for want in 0..N as u64 {
            assert_eq!(rx.recv().unwrap(), Some(want));
        }
        let e = rx.recv_timeout(SHORT).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        assert_eq!((m.registered().unwrap(), m.alive().unwrap()), (1, 1));
    });
    for want in N as u64..3 * N as u64 {
        assert_eq!(rx.recv_timeout(LONG).unwrap(), want);
    }
    producer.join();
    assert_eq!((rx.recv().unwrap(), rx.abandoned()), (None, 0));
    drop(rx);
    m.remove().unwrap();
}

/// A call run in a process of its own, given the fixture.
type InProcess<B> = fn(Fx<B>);

fn removed(what: &str, e: Error) {
    assert_eq!(e.kind(), ErrorKind::Removed, "{what}: {e}");
}

/// Each parked call — a broadcast reader's `recv_blocking`, a lossless writer's
/// `send_blocking` on a full ring, an `Mpsc` consumer's `recv_blocking` and a
/// producer's `send_blocking` on a full ring, a `Queue` consumer's
/// `dequeue_blocking` — stopped (Ctrl-Z), its object
/// removed meanwhile (`ipcrm`, or the other program's cleanup), continued: the
/// call ends with `Removed`, as a parked call whose object goes does without the
/// stop, not with the `EINVAL` of a semaphore id that is gone (which it did).
fn removed_while_stopped<B: Backend + Clone + Send + 'static>(b: B) {
    const N: usize = 2;
    let calls: [(InProcess<B>, &str); 5] = [
        (
            |fx| {
                let bc = fx.join_broadcast::<u64, N>(lossless_pair());
                let mut rx = bc.reader(Start::Newest).unwrap();
                rx.set_spins(0);
                removed("Reader::recv_blocking", rx.recv_blocking().unwrap_err());
            },
            "broadcast",
        ),
        (
            |fx| {
                let bc = fx.join_broadcast::<u64, N>(lossless_pair());
                let _idle = bc.reader(Start::Newest).unwrap();
                let mut tx = bc.writer().unwrap();
                tx.set_spins(0);
                tx.send_with(N, |i| i as u64).unwrap();
                let e = tx.send_blocking(9).unwrap_err();
                removed("Writer::send_blocking", e.error());
            },
            "broadcast",
        ),
        (
            |fx| {
                let mut rx = fx.join_mpsc::<u64, N>().consumer().unwrap();
                rx.set_spins(0);
                removed("Receiver::recv_blocking", rx.recv_blocking().unwrap_err());
            },
            "mpsc",
        ),
        (
            |fx| {
                let mut tx = fx.join_mpsc::<u64, N>().producer().unwrap();
                tx.set_spins(0);
                for v in 0..N as u64 {
                    tx.send(v).unwrap();
                }
                removed(
                    "Sender::send_blocking",
                    tx.send_blocking(9).unwrap_err().error(),
                );
            },
            "mpsc",
        ),
        (
            |fx| {
                let q = Queue::<u64, N, B>::open_in(fx.backend(), fx.key()).unwrap();
                let mut rx = q.consumer().unwrap();
                rx.set_spins(0);
                removed(
                    "Consumer::dequeue_blocking",
                    rx.dequeue_blocking().unwrap_err(),
                );
            },
            "queue",
        ),
    ];
    let fx = Fx::new(b);
    for (call, kind) in calls {
        let object: Box<dyn Removable> = if kind == "queue" {
            let (i, m) = (Intent::CreateNew, Mode::OWNER_RW);
            Box::new(Queue::<u64, N, B>::create_in(fx.backend(), fx.key(), i, m).unwrap())
        } else if kind == "broadcast" {
            Box::new(fx.broadcast::<u64, N>(lossless_pair()))
        } else {
            Box::new(fx.mpsc::<u64, N>())
        };
        let peer = fx.peer(call);
        while_stopped(&peer, || {
            object.remove().unwrap();
            drop(object);
        });
        peer.join();
    }
}

// ---- stop storms ------------------------------------------------------------------------

/// A lossless broadcast of 2 values' room, a writer and two reader processes,
/// none spinning (each parks at nearly every value), alternating blocking and
/// timed forms with a 5 ms peer check, all stopped and continued over and over:
/// no call fails, no reader is dropped, each gets every value whole and in
/// order, then `Closed`.
fn broadcast_under_a_stop_storm<B: Backend + Clone + Send + 'static>(b: B) {
    broadcast_storm(b, "SIGSTOP/SIGCONT", stop_and_continue);
}

/// [`broadcast_under_a_stop_storm`] with a debugger's seize, interrupt, detach.
fn broadcast_under_a_ptrace_storm<B: Backend + Clone + Send + 'static>(b: B) {
    broadcast_storm(b, "ptrace interrupt", ptrace_interrupt);
}

fn broadcast_storm<B: Backend + Clone + Send + 'static>(
    b: B,
    what: &str,
    stop: fn(::libc::pid_t) -> bool,
) {
    let n = storm_items();
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(2).policy(Policy::Lossless);
    let bc = fx.broadcast::<Msg, 2>(o);
    let done = Done::new(fx.backend());
    let reader = |me: usize| {
        let done = done.flag(me);
        fx.peer(move |fx| {
            let bc = fx.join_broadcast::<Msg, 2>(o);
            let mut rx = bc.reader(Start::Oldest).unwrap();
            rx.set_spins(0);
            rx.set_peer_check(Some(CHECK));
            for want in 0..n {
                rx.recv_in_turn(want)
                    .unwrap_or_else(|e| panic!("reader {me}, recv {want}: {e}"))
                    .check(want);
            }
            let e = rx.recv_blocking().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
            done.set();
        })
    };
    let (r0, r1) = (reader(0), reader(1));
    let writer_done = done.flag(2);
    let writer = fx.peer(|fx| {
        let bc = fx.join_broadcast::<Msg, 2>(o);
        until("the readers never joined", || {
            bc.readers_registered().unwrap() >= 2
        });
        let mut tx = bc.writer().unwrap();
        tx.set_spins(0);
        tx.set_peer_check(Some(CHECK));
        for seq in 0..n {
            tx.send_in_turn(seq, Msg::new(seq))
                .unwrap_or_else(|e| panic!("send {seq}: {}", e.error()));
        }
        tx.close().unwrap();
        writer_done.set();
    });
    let stops = storm(done, vec![r0, r1, writer], stop);
    eprintln!(
        "broadcast, {what} storm: {n} values to 2 readers, whole and in order; {stops} stops"
    );
    bc.remove().unwrap();
}

/// Two producer processes into an `Mpsc` of 2 values' room and a consumer
/// process, none spinning, alternating blocking and timed forms with a 5 ms peer
/// check, all stopped and continued over and over: no call fails, every value
/// arrives once and in order per producer, nothing is counted abandoned.
fn mpsc_under_a_stop_storm<B: Backend + Clone + Send + 'static>(b: B) {
    mpsc_storm(b, "SIGSTOP/SIGCONT", stop_and_continue);
}

/// [`mpsc_under_a_stop_storm`] with a debugger's seize, interrupt, detach.
fn mpsc_under_a_ptrace_storm<B: Backend + Clone + Send + 'static>(b: B) {
    mpsc_storm(b, "ptrace interrupt", ptrace_interrupt);
}

fn mpsc_storm<B: Backend + Clone + Send + 'static>(
    b: B,
    what: &str,
    stop: fn(::libc::pid_t) -> bool,
) {
    let n = storm_items();
    let fx = Fx::new(b);
    let m = fx.mpsc::<Msg, 2>();
    let done = Done::new(fx.backend());
    let producer = |me: usize| {
        let done = done.flag(me);
        fx.peer(move |fx| {
            let mut tx = fx.join_mpsc::<Msg, 2>().producer().unwrap();
            tx.set_spins(0);
            tx.set_peer_check(Some(CHECK));
            // Producer `me` sends every other number: 0, 2, 4... or 1, 3, 5...
            for seq in (me as u64..n).step_by(2) {
                tx.send_in_turn(seq / 2, Msg::new(seq))
                    .unwrap_or_else(|e| panic!("producer {me}, send {seq}: {}", e.error()));
            }
            done.set();
        })
    };
    let consumer_done = done.flag(2);
    let consumer = fx.peer(|fx| {
        let mut rx = fx.join_mpsc::<Msg, 2>().consumer().unwrap();
        rx.set_spins(0);
        rx.set_peer_check(Some(CHECK));
        let mut next = [0u64, 1];
        for i in 0..n {
            let msg = rx
                .recv_in_turn(i)
                .unwrap_or_else(|e| panic!("recv {i}: {e}"));
            let from = (0..2)
                .find(|&p| msg == Msg::new(next[p]))
                .unwrap_or_else(|| {
                    panic!("value {i}: {msg:?} is neither producer's next ({next:?})")
                });
            next[from] += 2;
        }
        assert_eq!(rx.abandoned(), 0);
        consumer_done.set();
    });
    let (p0, p1) = (producer(0), producer(1));
    let stops = storm(done, vec![p0, p1, consumer], stop);
    eprintln!(
        "mpsc, {what} storm: {n} values from 2 producers, each once and in order; {stops} stops"
    );
    m.remove().unwrap();
}

/// Timed calls that nothing satisfies, their process stopped and continued
/// again and again: a reader's `recv_timeout` on an empty broadcast, a lossless
/// writer's `send_timeout` on a full one (its reader alive, not reading), an
/// `Mpsc` consumer's `recv_timeout` on an empty ring and a producer's
/// `send_timeout` on a full one. Each ends with `TimedOut`, never before its
/// timeout, and within timeout + 2 s (the bound of `tests/stop.rs`: a loaded
/// machine stays far below it, a call that restarted its timeout at each stop,
/// one every few milliseconds, would never meet it).
fn timed_calls_meet_their_deadline_under_stops<B: Backend + Clone + Send + 'static>(b: B) {
    const T: Duration = Duration::from_millis(300);
    let fx = Fx::new(b);
    let o = BroadcastOptions::new().readers(2).policy(Policy::Lossless);
    let bc = fx.broadcast::<u64, 2>(o);
    // Alive and registered, never reading: the writer's ring stays full.
    let _slow = bc.reader(Start::Newest).unwrap();
    let m = fx.at(1).mpsc::<u64, 2>();
    let done = Done::new(fx.backend());
    let waiter_done = done.flag(0);
    let waiter = fx.peer(|fx| {
        let bc = fx.join_broadcast::<u64, 2>(o);
        let m = fx.at(1).join_mpsc::<u64, 2>();
        let mut rx = bc.reader(Start::Newest).unwrap();
        let mut tx = bc.writer().unwrap();
        let mut mtx = m.producer().unwrap();
        let mut mrx = m.consumer().unwrap();
        rx.set_spins(0);
        mrx.set_spins(0);
        tx.set_spins(0);
        mtx.set_spins(0);
        let timed = |what: &str, call: &mut dyn FnMut() -> Option<ErrorKind>| {
            let t0 = Instant::now();
            let kind = call();
            let took = t0.elapsed();
            assert_eq!(kind, Some(ErrorKind::TimedOut), "{what}");
            assert!(
                took >= T && took <= T + Duration::from_secs(2),
                "{what}: {took:?} for a timeout of {T:?}"
            );
        };
        timed("Reader::recv_timeout", &mut || {
            rx.recv_timeout(T).err().map(|e| e.kind())
        });
        timed("Receiver::recv_timeout", &mut || {
            mrx.recv_timeout(T).err().map(|e| e.kind())
        });
        // Fill both rings (the broadcast's other reader never reads).
        tx.send_with(2, |i| i as u64).unwrap();
        mtx.send(1).unwrap();
        mtx.send(2).unwrap();
        timed("Writer::send_timeout", &mut || {
            tx.send_timeout(9, T).err().map(|e| e.kind())
        });
        timed("Sender::send_timeout", &mut || {
            mtx.send_timeout(9, T).err().map(|e| e.kind())
        });
        waiter_done.set();
    });
    let stops = storm(done, vec![waiter], stop_and_continue);
    eprintln!("timed calls under stops: 4 timeouts of {T:?} met; {stops} stops");
    drop(_slow);
    bc.remove().unwrap();
    m.remove().unwrap();
}

// ---- a key another program already uses --------------------------------------------------

/// Everything `key` holds: its segment's bytes and its semaphores' values.
fn snapshot<B: Backend + Clone>(b: B, key: Key) -> (Vec<u8>, Vec<u16>) {
    let seg = Segment::open_in(b.clone(), key).unwrap();
    let att = seg.attach_read_only().unwrap();
    let mut bytes = vec![0; seg.stat().unwrap().size];
    att.read(0, &mut bytes).unwrap();
    let sems = match sysv_ipc::SemSet::open_in(b, key) {
        Ok(s) => (0..s.stat().unwrap().nsems)
            .map(|i| s.get(i as u16).unwrap())
            .collect(),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::NotFound);
            Vec::new()
        }
    };
    (bytes, sems)
}

/// How long a joiner waits for a header nobody finishes (a zero-filled segment).
const JOIN: Duration = Duration::from_millis(100);

/// Every kind's create and open on `key` but `mine` (the key's own kind):
/// `CreateNew` is `AlreadyExists`; `OpenOrCreate` and `Open` fail as `expect`
/// says, given the kind tried and its error.
fn try_every_kind<B: Backend + Clone>(b: B, key: Key, mine: &str, expect: &dyn Fn(&str, &Error)) {
    let (m, b) = (Mode::OWNER_RW, || b.clone());
    let mo = MpscOptions::new().join_timeout(JOIN);
    let bo = BroadcastOptions::new().join_timeout(JOIN);
    let to = TableOptions::new().join_timeout(JOIN);
    for intent in [Intent::CreateNew, Intent::OpenOrCreate, Intent::Open] {
        let tries = [
            (
                "mpsc",
                Mpsc::<u64, 8, B>::create_with(b(), key, intent, m, mo).map(drop),
            ),
            (
                "broadcast",
                Broadcast::<u64, 8, B>::create_with(b(), key, intent, m, bo).map(drop),
            ),
            (
                "table",
                Table::<u64, 8, B>::create_with(b(), key, intent, m, to).map(drop),
            ),
        ];
        for (kind, r) in tries {
            if kind == mine {
                continue;
            }
            let e = err(r);
            if intent == Intent::CreateNew {
                assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{kind} {intent:?}: {e}");
            } else {
                expect(kind, &e);
            }
        }
    }
    // A table's reader, which maps the segment read-only.
    let reader = Table::<u64, 8, B, sysv_ipc::ReadOnly>::open_read_only_with(b(), key, to);
    expect("read-only table", &err(reader));
}

fn layout_field(e: &Error) -> &'static str {
    assert_eq!(e.kind(), ErrorKind::LayoutMismatch, "{e}");
    e.layout_field().expect("a LayoutMismatch names its field")
}

/// A plain segment of `size` bytes under `key`, filled with `bytes(i)`.
fn plain<B: Backend + Clone>(
    b: B,
    key: Key,
    size: usize,
    bytes: impl Fn(usize) -> u8,
) -> Segment<B> {
    let seg = Segment::create_in(b, key, size, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let bytes: Vec<u8> = (0..size).map(bytes).collect();
    seg.attach().unwrap().write(0, &bytes).unwrap();
    seg
}

/// Under one key each, what another program made: plain segments (64 KiB of
/// pattern bytes; 64 KiB of zeros, as `shmget` hands them out; 64 bytes; 64 KiB
/// whose first word says "ready" and the rest garbage), a `Queue` with two values
/// in it, a lossless `Broadcast` with a reader and a value; then every other
/// kind's create and open there (and the broadcast's own kind with another
/// shape). Each fails with the error that says what is in the way; afterwards
/// every segment's bytes and semaphore values are what they were, and the
/// other program's queue and broadcast still work.
fn keys_other_programs_use<B: Backend + Clone>(b: B) {
    let key = |i: i32| Key::new(KEY.raw() + i);
    let (kq, kbc) = (key(10), key(11));
    let segs = [
        plain(b.clone(), key(0), 64 << 10, |i| pattern(5, i)),
        plain(b.clone(), key(1), 64 << 10, |_| 0),
        plain(b.clone(), key(2), 64, |i| pattern(6, i)),
        plain(b.clone(), key(3), 64 << 10, |i| {
            if i == 0 {
                2
            } else if i < 8 {
                0
            } else {
                pattern(7, i)
            }
        }),
    ];
    let q =
        Queue::<u64, 4, B>::create_in(b.clone(), kq, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let (mut qp, mut qc) = q.split().unwrap();
    qp.enqueue(11).unwrap();
    qp.enqueue(12).unwrap();
    let o = BroadcastOptions::new().readers(2).policy(Policy::Lossless);
    let bc =
        Broadcast::<u64, 8, B>::create_with(b.clone(), kbc, Intent::CreateNew, Mode::OWNER_RW, o)
            .unwrap();
    let mut rx = bc.reader(Start::Newest).unwrap();
    let mut tx = bc.writer().unwrap();
    tx.send(21).unwrap();
    let keys = [key(0), key(1), key(2), key(3), kq, kbc];
    let before = keys.map(|k| snapshot(b.clone(), k));

    // An impossible state word, or all zeros as `shmget` hands them out, in a
    // segment that is not the layout's size: no creator of the layout made it,
    // so the joiner says so at once (it used to say `Corrupt`, and to wait its
    // join timeout on the zeros and then call them `Uninitialized`) and leaves
    // it alone. Of the layout's exact size, zeros still wait and say
    // `Uninitialized` (`tests/foreign_segments.rs`).
    try_every_kind(b.clone(), key(0), "", &|kind, e| {
        assert_eq!(layout_field(e), "size", "{kind} on a pattern: {e}");
    });
    try_every_kind(b.clone(), key(1), "", &|kind, e| {
        assert_eq!(layout_field(e), "size", "{kind} on zeros: {e}");
    });
    try_every_kind(b.clone(), key(2), "", &|kind, e| {
        assert_eq!(layout_field(e), "size", "{kind} on 64 bytes: {e}");
    });
    try_every_kind(b.clone(), key(3), "", &|kind, e| {
        assert_eq!(
            layout_field(e),
            "magic",
            "{kind} on a ready garbage header: {e}"
        );
    });
    try_every_kind(b.clone(), kq, "", &|kind, e| {
        assert_eq!(layout_field(e), "kind", "{kind} on a queue: {e}");
    });
    try_every_kind(b.clone(), kbc, "broadcast", &|kind, e| {
        assert_eq!(layout_field(e), "kind", "{kind} on a broadcast: {e}");
    });
    // The broadcast's own kind with another shape or `T`.
    for (other, field) in [
        (o.readers(3), "total_size"),
        (o.policy(Policy::Lossy), "policy"),
    ] {
        let e = err(Broadcast::<u64, 8, B>::create_with(
            b.clone(),
            kbc,
            Intent::Open,
            Mode::OWNER_RW,
            other,
        ));
        assert_eq!(layout_field(&e), field, "{e}");
    }
    let e = err(Broadcast::<u32, 8, B>::create_with(
        b.clone(),
        kbc,
        Intent::Open,
        Mode::OWNER_RW,
        o,
    ));
    assert_eq!(layout_field(&e), "type_size", "{e}");
    let e = err(Broadcast::<u64, 16, B>::create_with(
        b.clone(),
        kbc,
        Intent::Open,
        Mode::OWNER_RW,
        o,
    ));
    assert_eq!(layout_field(&e), "capacity", "{e}");

    let after = keys.map(|k| snapshot(b.clone(), k));
    for (k, (x, y)) in keys.iter().zip(before.iter().zip(&after)) {
        assert!(x.0 == y.0, "{k:?}: its segment's bytes changed");
        assert_eq!(x.1, y.1, "{k:?}: its semaphores changed");
    }
    assert_eq!(
        before[0].0,
        (0..64 << 10).map(|i| pattern(5, i)).collect::<Vec<_>>()
    );
    assert!(before[1].0.iter().all(|&x| x == 0));
    // The other programs' queue and broadcast still work.
    assert_eq!(
        (qc.dequeue().unwrap(), qc.dequeue().unwrap()),
        (Some(11), Some(12))
    );
    tx.send(22).unwrap();
    assert_eq!(
        (rx.recv().unwrap(), rx.recv().unwrap()),
        (Some(21), Some(22))
    );
    drop((qp, qc, rx, tx));
    q.remove().unwrap();
    bc.remove().unwrap();
    for s in segs {
        s.remove().unwrap();
    }
    drop((q, bc)); // their attachments: a removed segment lasts until its last detach
    left::assert_nothing_left();
}

// ---- a debugger --------------------------------------------------------------------------

/// A reader parked in `recv_blocking` (and then `recv_timeout`) visited by a
/// debugger ten times each: both calls go on waiting and return the values sent
/// afterwards, no error.
fn debugger_attaches_to_parked_broadcast_reader<B: Backend + Clone + Send + 'static>(b: B) {
    let fx = Fx::new(b);
    let bc = fx.broadcast::<u64, 8>(lossless_pair());
    let mut tx = bc.writer().unwrap();
    let reader = fx.peer(|fx| {
        let bc = fx.join_broadcast::<u64, 8>(lossless_pair());
        let mut rx = bc.reader(Start::Newest).unwrap();
        rx.set_spins(0);
        assert_eq!(rx.recv_blocking().unwrap(), 1);
        assert_eq!(rx.recv_timeout(LONG).unwrap(), 2);
    });
    until("the reader never joined", || {
        bc.readers_registered().unwrap() > 0
    });
    debugger_visits(reader.pid(), 10);
    tx.send(1).unwrap();
    debugger_visits(reader.pid(), 10);
    tx.send(2).unwrap();
    reader.join();
    drop(tx);
    bc.remove().unwrap();
}

/// [`debugger_attaches_to_parked_broadcast_reader`] for an `Mpsc` consumer.
fn debugger_attaches_to_parked_mpsc_consumer<B: Backend + Clone + Send + 'static>(b: B) {
    let fx = Fx::new(b);
    let m = fx.mpsc::<u64, 8>();
    let mut tx = m.producer().unwrap();
    let consumer = fx.peer(|fx| {
        let mut rx = fx.join_mpsc::<u64, 8>().consumer().unwrap();
        rx.set_spins(0);
        assert_eq!(rx.recv_blocking().unwrap(), 1);
        assert_eq!(rx.recv_timeout(LONG).unwrap(), 2);
    });
    until("no consumer", || m.has_consumer().unwrap());
    debugger_visits(consumer.pid(), 10);
    tx.send(1).unwrap();
    debugger_visits(consumer.pid(), 10);
    tx.send(2).unwrap();
    consumer.join();
    drop(tx);
    m.remove().unwrap();
}
