//! In-place views (`Shm::view`, `#[derive(ShmView)]`) on the real kernel, between
//! processes: a 4 MiB struct read field by field from a thread whose stack could not
//! hold it, a read-only `Shm` (and `ShmSlice`) following a writer through its read
//! view, and a hostile peer writing random bytes under live views and read views.
//! Each test in a fresh IPC namespace, on both real backends; the same 4 MiB struct
//! between two separately started programs (`examples/view_frame.rs`); and, on the
//! mock, a property: every cell of a derived read view loads the struct's bytes at
//! that field's offset.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use sysv_ipc::shm::{ReadOnly, ShmSlice};
use sysv_ipc::view::{OutOfRange, ReadCell, ViewCell};
use sysv_ipc::{Backend, Intent, Key, Mode, Removable, Removal, Segment, Shm, ShmView};
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

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

on_real_backends!(
    big_struct_read_in_place_from_a_small_stack,
    hostile_peer_under_live_views,
    read_only_shm_follows_a_writer,
    read_only_slice_sees_a_writers_records,
    hostile_peer_under_read_only_views,
);

#[path = "common/left.rs"]
mod left;

/// `examples/view_frame`: beside this test's binary (built by `cargo test`), or in
/// `SYSV_IPC_EXAMPLES_DIR` (`.ci/unprivileged`); built here if this run did not.
fn example(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("SYSV_IPC_EXAMPLES_DIR") {
        return PathBuf::from(dir).join(name);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = profile_dir.join("examples").join(name);
    if !bin.exists() {
        let release = profile_dir.file_name().is_some_and(|p| p == "release");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", name])
            .args(release.then_some("--release"))
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .env(
                "CARGO_TARGET_DIR",
                profile_dir.parent().expect("target dir"),
            )
            .status()
            .expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name}: {status}");
    }
    bin
}

/// The 4 MiB struct between two separately started programs (their own binary, not
/// forks of this test), the reader first and then the writer first: each must exit 0
/// (the reader having checked the three fields from its 64 KiB stack), and nothing
/// may be left in the namespace.
#[test]
fn big_struct_between_two_programs() {
    in_ipc_namespace(|| {
        for order in [["read", "write"], ["write", "read"]] {
            let run = |role: &str| {
                Command::new(example("view_frame"))
                    .args([role, "15150001"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("start view_frame {role}: {e}"))
            };
            let first = run(order[0]);
            std::thread::sleep(Duration::from_millis(50));
            let second = run(order[1]);
            for (role, child) in [(order[0], first), (order[1], second)] {
                let out = child.wait_with_output().expect("wait");
                let (stdout, stderr) = (
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr),
                );
                assert!(
                    out.status.success(),
                    "view_frame {role}: {}: {stderr}",
                    out.status
                );
                assert!(stdout.starts_with(&format!("{role}: ")), "{role}: {stdout}");
            }
        }
        left::assert_nothing_left();
    });
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
#[repr(C)]
struct Pose {
    x: f64,
    y: f64,
}

const ROWS: usize = 1023;
const COLS: usize = 4096;
const TAIL: usize = 508;

/// Exactly 4 MiB: 64 times the reader's stack.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Big {
    seq: u64,
    temp_mc: f64,
    pose: Pose,
    frame: [[u8; COLS]; ROWS],
    tail: [u64; TAIL],
}

const _: () = assert!(size_of::<Big>() == 4 << 20);

const READER_STACK: usize = 64 << 10;

/// A writer process fills three far-apart fields of a 4 MiB `Shm<Big>` and publishes
/// them with a Release store of `seq`; the reader, in a thread with a 64 KiB stack,
/// waits for `seq` and reads the three fields through the view. A copy of the whole
/// (or any stack temporary of it) would overflow that stack and kill the test.
fn big_struct_read_in_place_from_a_small_stack<B: Backend + Copy + Send + 'static>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(
            Shm::<Big, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
                .unwrap()
                .into_segment(),
        );
        let id = seg.id();
        let writer = fork_peer(move || {
            let mut shm = Shm::<Big, B>::from_segment(Segment::from_id(b, id)).unwrap();
            let v = shm.view();
            v.frame().at(1000).unwrap().set(4000, 0xab).unwrap();
            v.pose().y().store(-2.5, Relaxed);
            v.tail().set(TAIL - 1, 0x1122_3344_5566_7788).unwrap();
            // Release: publishes the three stores above; pairs with the reader's
            // Acquire load of `seq`.
            v.seq().store(1, Release);
        });
        let reader = std::thread::Builder::new()
            .stack_size(READER_STACK)
            .spawn(move || {
                let mut shm = Shm::<Big, B>::from_segment(Segment::from_id(b, id)).unwrap();
                let v = shm.view();
                let deadline = Instant::now() + Duration::from_secs(20);
                while v.seq().load(Acquire) != 1 {
                    assert!(Instant::now() < deadline, "the writer never published");
                    std::thread::yield_now();
                }
                (
                    v.frame().at(1000).and_then(|row| row.get(4000)),
                    v.pose().y().load(Relaxed),
                    v.tail().get(TAIL - 1),
                    // Past the end: a value, not a panic.
                    v.frame().at(ROWS).is_none() && v.tail().get(TAIL).is_none(),
                )
            })
            .unwrap();
        let got = reader.join().expect("the reader thread panicked");
        writer.join();
        assert_eq!(got, (Some(0xab), -2.5, Some(0x1122_3344_5566_7788), true));
    });
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Target {
    index: u64,
    len: u32,
    level: i16,
    small: [u8; 2],
    pose: Pose,
    ratio: f32,
    grid: [[i32; 7]; 5],
    tail: [u16; 8],
}

/// A peer process writes random bytes over the whole segment as fast as it can while
/// this process reads through the view: every field, indices and ranges taken from
/// the garbage itself, whole nested loads. Nothing may panic, every index answer must
/// agree with the bounds, and the peer must really have been writing meanwhile.
fn hostile_peer_under_live_views<B: Backend + Copy + Send + 'static>(b: B) {
    in_ipc_namespace(|| {
        let mut shm =
            Shm::<Target, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
                .unwrap();
        let _cleanup = Removal::new(*shm.segment());
        let id = shm.segment().id();
        let size = size_of::<Target>();
        let hostile = fork_peer(move || {
            let att = Segment::from_id(b, id).attach().unwrap();
            let mut x = 0x9e37_79b9_7f4a_7c15_u64;
            let mut buf = vec![0u8; size];
            loop {
                for chunk in buf.chunks_mut(8) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    chunk.copy_from_slice(&x.to_ne_bytes()[..chunk.len()]);
                }
                // A random window, so that some bytes change while others do not.
                let at = (x as usize) % size;
                att.write(at, &buf[at..]).unwrap();
            }
        });
        let v = shm.view();
        let mut distinct = std::collections::HashSet::new();
        let mut some = 0u64;
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut rounds = 0u64;
        while Instant::now() < deadline || rounds < 1000 {
            rounds += 1;
            let index = v.index().load(Relaxed);
            distinct.insert(index);
            let i = index as usize;
            let row = v.grid().at(i % 8);
            assert_eq!(row.is_some(), i % 8 < 5);
            let cell = row.and_then(|r| r.get(i % 9));
            assert_eq!(cell.is_some(), i % 8 < 5 && i % 9 < 7);
            some += u64::from(cell.is_some());
            assert_eq!(v.tail().get(i).is_some(), i < 8);
            assert_eq!(v.tail().set(i, 0).is_ok(), i < 8);
            // A range from the garbage: an error value whenever it does not fit.
            let (start, end) = (
                v.len().load(Relaxed) as usize % 11,
                v.level().load(Relaxed) as u16 as usize % 11,
            );
            let mut out = [0u16; 11];
            let want_ok = start <= end && end <= 8;
            let r = v
                .tail()
                .read_range(start..end, &mut out[..end.saturating_sub(start)]);
            assert_eq!(r.is_ok(), want_ok, "{start}..{end}: {r:?}");
            if let Err(e) = r {
                assert_eq!((e.start, e.end, e.len), (start, end, 8));
            }
            // Any bits are a float (NaNs included), and whole nested loads never tear
            // into anything invalid.
            let _ = (v.pose().x().load(Acquire), v.ratio().load(Relaxed));
            let mut pose = Pose::new_zeroed();
            v.pose().load_into(&mut pose, Acquire);
            let grid = v.grid().load(Relaxed);
            assert_eq!(grid.len(), 5);
            assert_eq!(v.small().iter().count(), 2);
        }
        drop(hostile);
        assert!(
            distinct.len() > 10,
            "the peer's writes were seen only {} times: the test did not test",
            distinct.len()
        );
        assert!(some > 0, "no garbage index ever landed in range");
        let e = v.tail().write_range(7..9, &[1, 2]).unwrap_err();
        assert_eq!(
            e,
            OutOfRange {
                start: 7,
                end: 9,
                len: 8,
                buf: 2
            }
        );
    });
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
#[repr(C)]
struct Counters {
    seq: u64,
    slots: [u64; 16],
    pose: Pose,
    level: i32,
    ratio: f32,
}

const PUBLISHED: u64 = 20_000;

/// A writer process publishes `PUBLISHED` rounds (slot `i % 16` and `pose.x` set to
/// `i`, then a Release store of `seq = i`); this process follows through a read-only
/// `Shm`'s read view (`SHM_RDONLY`: a store through it would fault). Whatever `seq`
/// it sees, the Acquire load (a Relaxed load and an Acquire fence) must make the
/// writes before it visible: that slot and `pose.x` hold at least that round.
fn read_only_shm_follows_a_writer<B: Backend + Copy + Send + 'static>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(
            Shm::<Counters, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
                .unwrap()
                .into_segment(),
        );
        let id = seg.id();
        let ro = Shm::<Counters, B, ReadOnly>::from_segment_read_only(*seg).unwrap();
        let r = ro.view();
        let writer = fork_peer(move || {
            let mut shm = Shm::<Counters, B>::from_segment(Segment::from_id(b, id)).unwrap();
            let v = shm.view();
            v.level().store(-7, Relaxed);
            for i in 1..=PUBLISHED {
                v.slots().set(i as usize % 16, i).unwrap();
                v.pose().x().store(i as f64, Relaxed);
                // Release: publishes the two stores above; pairs with the reader's
                // Acquire load of `seq`.
                v.seq().store(i, Release);
            }
        });
        let (mut last, mut checked) = (0, 0u64);
        let deadline = Instant::now() + Duration::from_secs(20);
        while last < PUBLISHED {
            let s = r.seq().load(Acquire);
            assert!(s >= last, "seq went back from {last} to {s}");
            if s > 0 {
                let slot = r.slots().get(s as usize % 16).unwrap();
                assert!(slot >= s, "round {s} published, its slot holds {slot}");
                let x = r.pose().x().load(Relaxed);
                assert!(x >= s as f64, "round {s} published, pose.x is {x}");
                assert_eq!(r.level().load(Relaxed), -7);
                checked += 1;
            }
            last = s;
            assert!(Instant::now() < deadline, "the writer stopped at {last}");
        }
        writer.join();
        assert!(checked > 0);
        // The whole through the read view is what the (word-wise) copy reads: the
        // copy runs while the read view is alive, both only loading.
        let mut through_view = Counters::new_zeroed();
        r.load_into(&mut through_view, Acquire);
        let copy = ro.read();
        assert_eq!(through_view, copy);
        assert_eq!(
            (copy.seq, copy.slots[PUBLISHED as usize % 16]),
            (PUBLISHED, PUBLISHED)
        );
    });
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
#[repr(C)]
struct Record {
    id: u32,
    kind: u16,
    flags: u16,
    value: f64,
    tag: [u8; 8],
}

/// A writer process fills 10 000 records of a `ShmSlice`; a read-only `ShmSlice`
/// of the same segment, opened before it wrote, sees each record through its
/// element's read view, equal to the copy of it.
fn read_only_slice_sees_a_writers_records<B: Backend + Copy + Send + 'static>(b: B) {
    const N: usize = 10_000;
    in_ipc_namespace(|| {
        let seg = Removal::new(
            ShmSlice::<Record, B>::create_in(b, Key::PRIVATE, N, Intent::CreateNew, Mode::OWNER_RW)
                .unwrap()
                .into_segment(),
        );
        let id = seg.id();
        let ro = ShmSlice::<Record, B, ReadOnly>::from_segment_read_only(*seg).unwrap();
        let records = ro.view();
        assert_eq!(records.len(), N);
        fork_peer(move || {
            let mut w = ShmSlice::<Record, B>::from_segment(Segment::from_id(b, id)).unwrap();
            for (i, r) in w.view().iter().enumerate() {
                r.id().store(i as u32 + 1, Relaxed);
                r.value().store(i as f64 / 4.0, Relaxed);
                r.tag()
                    .write_range(0..8, &(i as u64).to_le_bytes())
                    .unwrap();
            }
        })
        .join();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.id().load(Acquire), i as u32 + 1, "record {i}");
            assert_eq!(r.value().load(Relaxed), i as f64 / 4.0);
            let mut tag = [0u8; 8];
            r.tag().read_range(0..8, &mut tag).unwrap();
            assert_eq!(u64::from_le_bytes(tag), i as u64);
        }
        for i in [0, 1, N / 2, N - 1] {
            assert_eq!(ReadCell::load(&records[i], Relaxed), ro.get(i).unwrap());
        }
        assert!(records.get(N).is_none());
    });
}

/// As [`hostile_peer_under_live_views`], through a read-only `Shm`'s read view: a
/// peer writes random bytes over the whole segment while this process loads every
/// field, indices and ranges from the garbage, whole nested loads with each
/// ordering. Nothing may panic or fault, every index answer must agree with the
/// bounds, and the peer must really have been writing meanwhile.
fn hostile_peer_under_read_only_views<B: Backend + Copy + Send + 'static>(b: B) {
    in_ipc_namespace(|| {
        let shm = Shm::<Target, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let _cleanup = Removal::new(*shm.segment());
        let id = shm.segment().id();
        let ro = Shm::<Target, B, ReadOnly>::from_segment_read_only(*shm.segment()).unwrap();
        let size = size_of::<Target>();
        let hostile = fork_peer(move || {
            let att = Segment::from_id(b, id).attach().unwrap();
            let mut x = 0x2545_f491_4f6c_dd1d_u64;
            let mut buf = vec![0u8; size];
            loop {
                for chunk in buf.chunks_mut(8) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    chunk.copy_from_slice(&x.to_ne_bytes()[..chunk.len()]);
                }
                let at = (x as usize) % size;
                att.write(at, &buf[at..]).unwrap();
            }
        });
        let v = ro.view();
        let mut distinct = std::collections::HashSet::new();
        let mut some = 0u64;
        let orders = [Relaxed, Release, Acquire, AcqRel, SeqCst];
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut rounds = 0u64;
        while Instant::now() < deadline || rounds < 1000 {
            rounds += 1;
            let order = orders[rounds as usize % orders.len()];
            let index = v.index().load(order);
            distinct.insert(index);
            let i = index as usize;
            let row = v.grid().at(i % 8);
            assert_eq!(row.is_some(), i % 8 < 5);
            let cell = row.and_then(|r| r.get(i % 9));
            assert_eq!(cell.is_some(), i % 8 < 5 && i % 9 < 7);
            some += u64::from(cell.is_some());
            assert_eq!(v.tail().get(i).is_some(), i < 8);
            assert_eq!(v.tail().at(i).map(|c| c.load(order)).is_some(), i < 8);
            let (start, end) = (
                v.len().load(Relaxed) as usize % 11,
                v.level().load(order) as u16 as usize % 11,
            );
            let mut out = [0u16; 11];
            let r = v
                .tail()
                .read_range(start..end, &mut out[..end.saturating_sub(start)]);
            assert_eq!(r.is_ok(), start <= end && end <= 8, "{start}..{end}: {r:?}");
            let _ = (v.pose().x().load(order), v.ratio().load(order));
            let mut pose = Pose::new_zeroed();
            v.pose().load_into(&mut pose, order);
            let mut whole = Target::new_zeroed();
            v.load_into(&mut whole, order);
            assert_eq!(v.grid().load(order).len(), 5);
            assert_eq!(v.small().iter().count(), 2);
        }
        drop(hostile);
        assert!(
            distinct.len() > 10,
            "the peer's writes were seen only {} times: the test did not test",
            distinct.len()
        );
        assert!(some > 0, "no garbage index ever landed in range");
    });
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
#[repr(C)]
struct Inner {
    a: u16,
    b: i16,
    c: f32,
    d: [u8; 8],
}

/// Nested structs, arrays of them, 2-D arrays: 120 bytes, no padding.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView, Debug, PartialEq)]
#[repr(C)]
struct Nest {
    seq: u64,
    inner: Inner,
    inners: [Inner; 3],
    grid: [[i32; 3]; 2],
    tail: [f64; 2],
    small: [i8; 4],
    level: u32,
}

/// A read view cell's offset from the read view's start.
fn offset<V>(base: &NestReadView, cell: &V) -> usize {
    (&raw const *cell).addr() - (&raw const *base).addr()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes written as a `Nest` (through the read-write `Shm`'s copy), read
    /// back through a read-only `Shm`'s read view on the mock: each accessor path,
    /// with indices picked at random (in range or not), reaches the cell at the
    /// offset of that field in `Nest` and loads the bytes there; the read view has
    /// `Nest`'s size and every offset; the whole loads back equal.
    #[test]
    fn read_view_cells_sit_at_the_structs_offsets(
        bytes in proptest::collection::vec(any::<u8>(), size_of::<Nest>()),
        i in 0usize..5,
        j in 0usize..4,
        k in 0usize..10,
    ) {
        static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
        use core::mem::offset_of;

        prop_assert_eq!(size_of::<NestReadView>(), size_of::<Nest>());
        prop_assert_eq!(align_of::<NestReadView>(), align_of::<Nest>());
        prop_assert_eq!(offset_of!(NestReadView, inners), offset_of!(Nest, inners));
        prop_assert_eq!(offset_of!(NestReadView, level), offset_of!(Nest, level));
        prop_assert_eq!(offset_of!(InnerReadView, d), offset_of!(Inner, d));

        let value = Nest::read_from_bytes(&bytes).unwrap();
        let shm = Shm::<Nest, _>::create_in(&KERNEL, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        shm.write(&value);
        let ro = Shm::<Nest, _, ReadOnly>::from_segment_read_only(*shm.segment()).unwrap();
        let r = ro.view();
        // The bytes at `at` of the struct, as the cell's type.
        let at = |off: usize, n: usize| &bytes[off..off + n];

        prop_assert_eq!(offset(r, r.seq()), offset_of!(Nest, seq));
        prop_assert_eq!(&r.seq().load(Acquire).to_ne_bytes()[..], at(offset_of!(Nest, seq), 8));
        let inner = offset_of!(Nest, inner);
        prop_assert_eq!(offset(r, r.inner().c()), inner + offset_of!(Inner, c));
        prop_assert_eq!(r.inner().c().load(Relaxed).to_bits(), value.inner.c.to_bits());
        prop_assert_eq!(r.inner().b().load(Relaxed), value.inner.b);

        // An element of an array of structs, then a byte inside its array.
        let nth = r.inners().at(i);
        prop_assert_eq!(nth.is_some(), i < 3);
        if let Some(e) = nth {
            let base = offset_of!(Nest, inners) + i * size_of::<Inner>();
            prop_assert_eq!(offset(r, e.a()), base + offset_of!(Inner, a));
            prop_assert_eq!(e.a().load(SeqCst), value.inners[i].a);
            let byte = e.d().at(k);
            prop_assert_eq!(byte.is_some(), k < 8);
            if let Some(c) = byte {
                prop_assert_eq!(offset(r, c), base + offset_of!(Inner, d) + k);
                prop_assert_eq!(c.load(Relaxed), bytes[base + offset_of!(Inner, d) + k]);
            }
        }
        // A 2-D array: row i, column j.
        let g = r.grid().at(i).and_then(|row| row.at(j));
        prop_assert_eq!(g.is_some(), i < 2 && j < 3);
        if let Some(c) = g {
            let off = offset_of!(Nest, grid) + (i * 3 + j) * 4;
            prop_assert_eq!(offset(r, c), off);
            prop_assert_eq!(&c.load(Acquire).to_ne_bytes()[..], at(off, 4));
        }
        prop_assert_eq!(
            r.tail().get(j).map(f64::to_bits),
            value.tail.get(j).map(|t| t.to_bits())
        );
        prop_assert_eq!(offset(r, r.level()), offset_of!(Nest, level));
        prop_assert_eq!(r.level().load(Relaxed), value.level);
        let mut small = [0i8; 4];
        r.small().read_range(0..4, &mut small).unwrap();
        prop_assert_eq!(small, value.small);
        // The whole, field by field, is the same bytes.
        let mut whole = Nest::new_zeroed();
        r.load_into(&mut whole, Acquire);
        prop_assert_eq!(whole.as_bytes(), &bytes[..]);

        drop(ro);
        shm.into_segment().remove().unwrap();
    }
}
