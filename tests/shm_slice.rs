//! Values larger than a thread's stack (`Shm::read_into`/`write` of 4 MiB) and
//! `ShmSlice<T>` (a run-time number of records): on both real backends and the mock,
//! each test in a fresh IPC namespace; 64 MiB of records between two separately
//! started programs (this binary, run again in a role).

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::thread;

use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::{MAX_READ_BY_VALUE, ShmSlice};
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, Removal, Segment, Shm};
use sysv_ipc_libc::Libc;
use sysv_ipc_testkit::{get_sysctl, in_ipc_namespace, set_sysctl};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

#[path = "common/left.rs"]
mod left;

/// The tests that need one process, once per real backend and on the mock.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod linux_raw {
            $(#[test] fn $name() { super::$name(sysv_ipc_linux_raw::LinuxRaw); })*
        }
        mod libc_backend {
            $(#[test] fn $name() { super::$name(sysv_ipc_libc::Libc); })*
        }
        mod mock {
            $(#[test] fn $name() {
                static KERNEL: super::BigMock = super::BigMock::new();
                super::$name(&KERNEL);
            })*
        }
    };
}

/// A mock with room for the 4 MiB value (1024 pages) and the small segments.
type BigMock = sysv_ipc_mock::Mock<32, 256, 256, 65536, 1040>;

on_every_backend!(
    four_mib_value_through_a_64_kib_stack,
    four_mib_seqlock_read_into_on_a_64_kib_stack,
    slice_index_and_range_access,
    slice_create_errors,
    slice_size_not_a_multiple_is_refused,
    slice_read_only,
    slice_trusted_references,
);

/// A stack far smaller than the values moved: a temporary `T` anywhere on the path
/// overflows it (and the thread dies with SIGSEGV, failing the test).
const SMALL_STACK: usize = 64 << 10;

/// 4 MiB: twice a Rust thread's default stack, 64 times [`SMALL_STACK`].
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Big {
    seq: u64,
    words: [u64; (4 << 20) / 8 - 2],
    crc: u64,
}

impl sysv_ipc::ShmType for Big {
    const TYPE_ID: u64 = sysv_ipc::type_id("shm_slice::Big v1");
}

fn pattern(i: usize) -> u64 {
    (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5151
}

/// The error of `r`, which must have failed (the `Ok` side need not be `Debug`).
fn err<T>(r: sysv_ipc::Result<T>) -> sysv_ipc::Error {
    match r {
        Ok(_) => panic!("succeeded where an error was expected"),
        Err(e) => e,
    }
}

/// Runs `f` on a thread with a [`SMALL_STACK`]-byte stack and returns its result.
fn on_small_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    thread::scope(|s| {
        thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn_scoped(s, f)
            .expect("spawn a thread with a 64 KiB stack")
            .join()
            .expect("the small-stack thread panicked")
    })
}

/// `Shm<Big>` written and read whole from a thread with a 64 KiB stack, through
/// `Box`es allocated zeroed on the heap: every word checked.
fn four_mib_value_through_a_64_kib_stack<B: Backend + Copy + Send + Sync>(b: B) {
    in_ipc_namespace(|| {
        const { assert!(size_of::<Big>() == 4 << 20 && size_of::<Big>() > MAX_READ_BY_VALUE) };
        let shm =
            Shm::<Big, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(*shm.segment());
        let mut out = Big::new_box_zeroed().expect("4 MiB of heap");
        on_small_stack(|| {
            let mut value = Big::new_box_zeroed().expect("4 MiB of heap");
            value.seq = 7;
            for (i, w) in value.words.iter_mut().enumerate() {
                *w = pattern(i);
            }
            value.crc = u64::MAX;
            shm.write(&value);
            shm.read_into(&mut out);
        });
        assert_eq!((out.seq, out.crc), (7, u64::MAX));
        let wrong = out
            .words
            .iter()
            .enumerate()
            .filter(|&(i, &w)| w != pattern(i));
        assert_eq!(
            wrong.count(),
            0,
            "words read back differ from those written"
        );
        // The bytes are in the segment, where another mapping sees them.
        let att = shm.segment().attach().unwrap();
        assert_eq!(att.load_u64(8 + 1000 * 8), Some(pattern(1000)));
        assert_eq!(att.load_u64((4 << 20) - 8), Some(u64::MAX));
    });
}

/// `SeqLock<Big>`: written from a `Box`, read with `read_into` from a thread with a
/// 64 KiB stack.
fn four_mib_seqlock_read_into_on_a_64_kib_stack<B: Backend + Copy + Send + Sync>(b: B) {
    in_ipc_namespace(|| {
        let lock = SeqLock::<Big, B>::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let _rm = Removal::new(lock.segment());
        let mut value = Big::new_box_zeroed().expect("4 MiB of heap");
        for (i, w) in value.words.iter_mut().enumerate() {
            *w = pattern(i);
        }
        (value.seq, value.crc) = (3, 4);
        lock.writer().unwrap().write(&value).unwrap();
        let mut out = Big::new_box_zeroed().expect("4 MiB of heap");
        on_small_stack(|| lock.read_into(&mut out)).unwrap();
        assert_eq!((out.seq, out.crc), (3, 4));
        let wrong = out
            .words
            .iter()
            .enumerate()
            .filter(|&(i, &w)| w != pattern(i));
        assert_eq!(
            wrong.count(),
            0,
            "words read back differ from those written"
        );
    });
}

fn slice_index_and_range_access<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        // 12-byte records: elements start and end mid-word.
        type Rec = [u32; 3];
        let s =
            ShmSlice::<Rec, B>::create_in(b, Key::PRIVATE, 1000, Intent::CreateNew, Mode::OWNER_RW)
                .unwrap();
        let _rm = Removal::new(*s.segment());
        assert_eq!((s.len(), s.segment().stat().unwrap().size), (1000, 12_000));
        assert_eq!(s.get(999).unwrap(), [0; 3]);
        let all: Vec<Rec> = (0..1000u32).map(|i| [i, !i, i * 3]).collect();
        s.write_range(0, &all).unwrap();
        for i in [0, 1, 499, 998, 999] {
            assert_eq!(s.get(i).unwrap(), all[i]);
            let mut one = [0; 3];
            s.read_into(i, &mut one).unwrap();
            assert_eq!(one, all[i]);
        }
        s.set(500, &[1, 2, 3]).unwrap();
        let mut mid = vec![[0; 3]; 3];
        s.read_range(499..502, &mut mid).unwrap();
        assert_eq!(mid, [all[499], [1, 2, 3], all[501]]);
        let mut back = vec![[0; 3]; 1000];
        s.read_range(0..1000, &mut back).unwrap();
        assert_eq!(back[..500], all[..500]);
        assert_eq!(back[501..], all[501..]);
        s.read_range(1000..1000, &mut []).unwrap(); // empty, at the end: fine

        // Out of range: an error naming the index (a range's end) and the length;
        // nothing copied either way.
        let id = s.segment().id();
        let e = s.get(1000).unwrap_err();
        assert_eq!(
            (e.kind(), e.actual(), e.expected(), e.operation()),
            (
                ErrorKind::OutOfRange,
                Some(1000),
                Some(1000),
                Some("ShmSlice::get")
            )
        );
        assert_eq!(
            e.to_string(),
            format!("ShmSlice::get on segment {id}: index 1000 is out of range for 1000 elements")
        );
        let e = s.set(usize::MAX, &[9; 3]).unwrap_err();
        assert_eq!(
            (e.kind(), e.actual()),
            (ErrorKind::OutOfRange, Some(u64::MAX))
        );
        let e = s.write_range(998, &[[9; 3]; 3]).unwrap_err();
        assert_eq!(
            (e.kind(), e.actual(), e.expected(), e.operation()),
            (
                ErrorKind::OutOfRange,
                Some(1001),
                Some(1000),
                Some("ShmSlice::write_range")
            )
        );
        assert_eq!(
            s.get(998).unwrap(),
            all[998],
            "a refused write wrote nothing"
        );
        let mut two = [[7; 3]; 2];
        let e = s.read_range(999..1001, &mut two).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "ShmSlice::read_range on segment {id}: range 999..1001 is out of range for 1000 elements"
            )
        );
        #[allow(clippy::reversed_empty_ranges)]
        let e = s.read_range(5..3, &mut []).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfRange);
        let e = s.read_range(0..3, &mut two).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(two, [[7; 3]; 2], "a refused read copied nothing");
        let mut one = [5; 3];
        assert_eq!(
            s.read_into(1000, &mut one).unwrap_err().kind(),
            ErrorKind::OutOfRange
        );
        assert_eq!(one, [5; 3]);

        // A second handle on the same key sees the same records.
        let again = ShmSlice::<Rec, B>::from_segment(*s.segment()).unwrap();
        assert_eq!((again.len(), again.get(500).unwrap()), (1000, [1, 2, 3]));
    });
}

/// Trusted mode over records: the plain slices cover exactly the `len` elements at
/// the mapping's address, and what `&mut [T]` does is what the safe copies see.
fn slice_trusted_references<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let mut s = ShmSlice::<[u16; 3], B>::create_in(
            b,
            Key::PRIVATE,
            1000,
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let _rm = Removal::new(*s.segment());
        let rec = |i: usize| [(i * 7 % 1000) as u16, i as u16, 0xabcd];
        for i in 0..1000 {
            s.set(i, &rec(i)).unwrap();
        }
        {
            // SAFETY: a private segment attached once, here; nothing writes it while
            // `all` lives.
            let all = unsafe { s.as_slice_unchecked() };
            assert_eq!(
                (all.len(), all.as_ptr().cast::<u8>()),
                (1000, s.attachment().as_ptr())
            );
            assert!(all.iter().enumerate().all(|(i, r)| *r == rec(i)));
        }
        // SAFETY: as above, and no other reference into the segment is alive.
        unsafe { s.as_mut_slice_unchecked() }.sort_unstable();
        let mut sorted = vec![[0u16; 3]; 1000];
        s.read_range(0..1000, &mut sorted).unwrap();
        assert!(sorted.is_sorted());
        assert_eq!(
            (sorted[0], sorted[999]),
            ([0, 0, 0xabcd], [999, 857, 0xabcd])
        );
    });
}

fn slice_create_errors<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let key = Key::new(0x51ce);
        let (new, rw) = (Intent::CreateNew, Mode::OWNER_RW);
        let e = err(ShmSlice::<u64, B>::create_in(b, key, 0, new, rw));
        assert_eq!((e.kind(), e.call()), (ErrorKind::InvalidArgument, None));
        let e = err(ShmSlice::<u64, B>::create_in(
            b,
            key,
            usize::MAX / 4,
            new,
            rw,
        ));
        assert_eq!((e.kind(), e.call()), (ErrorKind::InvalidArgument, None));
        assert_eq!(e.operation(), Some("ShmSlice::create_in"));
        let s = ShmSlice::<u64, B>::create_in(b, key, 16, new, rw).unwrap();
        let _rm = Removal::new(*s.segment());
        let e = err(ShmSlice::<u64, B>::create_in(b, key, 16, new, rw));
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        // Joining asks for at most what is there; the length is the segment's.
        let join = |len| ShmSlice::<u64, B>::create_in(b, key, len, Intent::OpenOrCreate, rw);
        assert_eq!(join(3).unwrap().len(), 16);
        let e = err(join(17));
        assert_eq!(
            (e.kind(), e.actual(), e.expected()),
            (ErrorKind::SizeMismatch, Some(128), Some(136))
        );
        assert_eq!(ShmSlice::<[u8; 32], B>::open_in(b, key).unwrap().len(), 4);
        let e = err(ShmSlice::<u64, B>::open_in(b, Key::new(0x51cf)));
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}

/// A segment whose size is not a whole number of `T`s is refused on every open.
fn slice_size_not_a_multiple_is_refused<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let key = Key::new(0x51d0);
        let seg = Segment::create_in(b, key, 100, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(seg);
        // 100 bytes: 25 u32s, 100 u8s, but not u64s nor 12-byte records.
        assert_eq!(ShmSlice::<u32, B>::open_in(b, key).unwrap().len(), 25);
        assert_eq!(ShmSlice::<u8, B>::from_segment(seg).unwrap().len(), 100);
        for e in [
            ShmSlice::<u64, B>::open_in(b, key).map(drop).unwrap_err(),
            ShmSlice::<u64, B>::create_in(b, key, 1, Intent::OpenOrCreate, Mode::OWNER_RW)
                .map(drop)
                .unwrap_err(),
            ShmSlice::<u64, B>::from_segment(seg).map(drop).unwrap_err(),
            ShmSlice::<u64, B, _>::open_read_only_in(b, key)
                .map(drop)
                .unwrap_err(),
        ] {
            assert_eq!(
                (e.kind(), e.actual(), e.expected()),
                (ErrorKind::SizeMismatch, Some(100), Some(8)),
                "{e}"
            );
            assert!(
                e.to_string()
                    .ends_with(": a segment of 100 bytes is not a whole number of 8-byte elements"),
                "{e}"
            );
        }
        let e = ShmSlice::<[u32; 3], B>::open_in(b, key)
            .map(drop)
            .unwrap_err();
        assert_eq!((e.actual(), e.expected()), (Some(100), Some(12)));
        // The refused opens detached again.
        assert_eq!(seg.stat().unwrap().nattch, 0);
    });
}

fn slice_read_only<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let key = Key::new(0x51d1);
        let w =
            ShmSlice::<u64, B>::create_in(b, key, 10, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(*w.segment());
        w.write_range(0, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).unwrap();
        let ro = ShmSlice::<u64, B, _>::open_read_only_in(b, key).unwrap();
        let mut out = [0; 4];
        ro.read_range(6..10, &mut out).unwrap();
        assert_eq!((ro.len(), out, ro.get(0).unwrap()), (10, [7, 8, 9, 10], 1));
        assert_eq!(ro.get(10).unwrap_err().kind(), ErrorKind::OutOfRange);
        w.set(0, &100).unwrap();
        assert_eq!(ro.get(0).unwrap(), 100);
        let ro2 = ShmSlice::<u64, B, _>::from_segment_read_only(*w.segment()).unwrap();
        assert_eq!(ro2.get(9).unwrap(), 10);
    });
}

// ---- 64 MiB between two separately started programs ----------------------------------

/// Records in the 64 MiB slice.
const RECORDS: usize = (64 << 20) / 8;

/// Records per range copy: 512 KiB through a heap buffer.
const CHUNK: usize = 1 << 16;

/// The key both programs use, in the test's namespace.
const SLICE_KEY: Key = Key::new(0x0051_ce64);

/// Set in a copy of this binary: `writer <backend>` or `reader <backend>`.
const ROLE: &str = "SYSV_IPC_SHM_SLICE_ROLE";

/// The test a copy runs (`--exact`), the one that reads [`ROLE`].
const PROGRAMS_TEST: &str = "sixty_four_mib_between_two_programs";

/// What a program prints before its summary line.
const SAID: &str = "shm_slice program:";

fn record(i: usize) -> u64 {
    pattern(i) | 1
}

/// The writer: creates the 64 MiB slice, fills it by ranges and a few single
/// records, and leaves it for the reader.
fn writer<B: Backend + Copy>(b: B) {
    let s = ShmSlice::<u64, B>::create_in(b, SLICE_KEY, RECORDS, Intent::CreateNew, Mode::OWNER_RW)
        .unwrap();
    let mut buf = vec![0u64; CHUNK];
    for start in (0..RECORDS).step_by(CHUNK) {
        for (k, v) in buf.iter_mut().enumerate() {
            *v = record(start + k);
        }
        s.write_range(start, &buf).unwrap();
    }
    s.set(RECORDS - 1, &u64::MAX).unwrap();
    s.set(12_345, &42).unwrap();
    assert_eq!(
        s.write_range(RECORDS - 1, &[1, 2]).unwrap_err().kind(),
        ErrorKind::OutOfRange
    );
    println!(
        "{SAID} wrote {} records in segment {}",
        s.len(),
        s.segment().id()
    );
}

/// The reader: opens the slice by key (its length from the segment's size), checks
/// every record by ranges and some by index from a thread with a 64 KiB stack,
/// then removes the segment.
fn reader<B: Backend + Copy + Send + Sync>(b: B) {
    let s = ShmSlice::<u64, B, _>::open_read_only_in(b, SLICE_KEY).unwrap();
    let (len, wrong) = on_small_stack(|| {
        let mut buf = vec![0u64; CHUNK];
        let mut wrong = 0usize;
        for start in (0..s.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(s.len());
            s.read_range(start..end, &mut buf[..end - start]).unwrap();
            wrong += buf[..end - start]
                .iter()
                .enumerate()
                .filter(|&(k, &v)| {
                    let i = start + k;
                    let want = match i {
                        12_345 => 42,
                        i if i == RECORDS - 1 => u64::MAX,
                        i => record(i),
                    };
                    v != want
                })
                .count();
        }
        assert_eq!(s.get(0).unwrap(), record(0));
        assert_eq!(s.get(12_345).unwrap(), 42);
        assert_eq!(s.get(RECORDS - 1).unwrap(), u64::MAX);
        let e = s.get(RECORDS).unwrap_err();
        assert_eq!(
            (e.kind(), e.actual(), e.expected()),
            (
                ErrorKind::OutOfRange,
                Some(RECORDS as u64),
                Some(RECORDS as u64)
            )
        );
        let e = s
            .read_range(RECORDS - 1..RECORDS + 1, &mut buf[..2])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfRange);
        (s.len(), wrong)
    });
    let id = s.segment().id();
    s.into_segment().remove().unwrap();
    println!("{SAID} read {len} records from segment {id}, {wrong} wrong");
}

/// This test binary again, playing `role` on `backend`; its [`SAID`] line.
fn run_program(role: &str, backend: &str) -> String {
    let exe = std::env::current_exe().expect("current_exe");
    let out: Output = Command::new(&exe)
        .args(["--exact", PROGRAMS_TEST, "--nocapture", "--test-threads=1"])
        .env(ROLE, format!("{role} {backend}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("start {} as the {role}: {e}", exe.display()));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the {role} exited with {}\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(SAID).map(|(_, said)| said.trim().to_owned()));
    line.unwrap_or_else(|| panic!("the {role} said nothing: {stdout}"))
}

/// A writer and a reader of a 64 MiB `ShmSlice<u64>` that are two separately
/// started programs (this binary, run again with [`ROLE`] set) sharing nothing but
/// the namespace and the key; on both backends. In a copy started so, plays the
/// role instead.
#[test]
fn sixty_four_mib_between_two_programs() {
    if let Ok(role) = std::env::var(ROLE) {
        match role.split_once(' ') {
            Some(("writer", "linux-raw")) => writer(LinuxRaw),
            Some(("writer", "libc")) => writer(Libc),
            Some(("reader", "linux-raw")) => reader(LinuxRaw),
            Some(("reader", "libc")) => reader(Libc),
            _ => panic!("{ROLE}={role}: no such role"),
        }
        std::io::stdout().flush().unwrap();
        return;
    }
    for backend in ["linux-raw", "libc"] {
        in_ipc_namespace(|| {
            // A fresh namespace's defaults are far larger (Linux 3.16 and later);
            // an older kernel's 32 MiB shmmax is raised for the namespace alone.
            if get_sysctl("kernel/shmmax").parse::<u64>().unwrap_or(0) < 64 << 20 {
                set_sysctl("kernel/shmmax", 64u64 << 20);
            }
            if get_sysctl("kernel/shmall").parse::<u64>().unwrap_or(0) < (64 << 20) / 4096 {
                set_sysctl("kernel/shmall", (64u64 << 20) / 4096);
            }
            let wrote = run_program("writer", backend);
            let read = run_program("reader", backend);
            let id = wrote.rsplit(' ').next().unwrap();
            assert_eq!(wrote, format!("wrote {RECORDS} records in segment {id}"));
            assert_eq!(
                read,
                format!("read {RECORDS} records from segment {id}, 0 wrong")
            );
            left::assert_nothing_left();
        });
    }
}
