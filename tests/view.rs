//! In-place views (`Shm::view`, `#[derive(ShmView)]`) on the real kernel, between
//! processes: a 4 MiB struct read field by field from a thread whose stack could not
//! hold it, and a hostile peer writing random bytes under live views. Each test in a
//! fresh IPC namespace, on both real backends; and the same 4 MiB struct between two
//! separately started programs (`examples/view_frame.rs`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

use sysv_ipc::view::{OutOfRange, ViewCell};
use sysv_ipc::{Backend, Intent, Key, Mode, Removal, Segment, Shm, ShmView};
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
    hostile_peer_under_live_views
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
