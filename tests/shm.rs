//! `Segment`, `Attachment` and `Shm<T>` on the real kernel through both real backends
//! (`LinuxRaw`, `Libc`), each test in a fresh IPC namespace, with forked peers where
//! two processes are the point; the tests that need neither fork, sysctl nor a second
//! uid also run on the in-memory mock.
//!
//! Set `SHM_STATS=1` to have the tearing and throughput tests print what they measured
//! (straight to fd 2: the harness's capture does not survive a fork).

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::time::Instant;

use sysv_ipc::shm::{AtFlags, HugePageSize, OutOfBounds, SegmentOptions};
use sysv_ipc::{
    Attachment, Backend, Call, Errno, Error, ErrorKind, Intent, Key, Mode, Owner, ReadOnly,
    Removable, Removal, Segment, Shm,
};
use sysv_ipc_testkit::{as_user, fork_peer, in_ipc_namespace, is_root, needs_root, set_sysctl};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

// ---- allocation counting ---------------------------------------------------------------

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

// ---- instantiation -----------------------------------------------------------------------

/// The kernel-only tests (fork, sysctl, other uids, addresses), once per real backend.
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

/// The tests that only need one process, once per real backend and on the mock.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod every_linux_raw {
            $(#[test] fn $name() { super::$name(sysv_ipc_linux_raw::LinuxRaw); })*
        }
        mod every_libc_backend {
            $(#[test] fn $name() { super::$name(sysv_ipc_libc::Libc); })*
        }
        mod mock {
            $(#[test] fn $name() {
                static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
                super::$name(&KERNEL);
            })*
        }
    };
}

on_every_backend!(
    create_open_stat_remove,
    create_and_open_errors,
    attach_write_read_and_detach,
    attachments_alias_at_distinct_addresses,
    new_segment_is_zero_filled,
    read_only_attachment_reads,
    bounds_are_errors_never_panics,
    atomic_views_and_loads,
    attachment_outlives_removal,
    set_owner_changes_mode,
    lock_and_unlock,
    shm_value_roundtrip,
    shm_size_mismatch,
    shm_larger_segment_is_accepted,
    zero_allocations,
);

on_real_backends!(
    segment_bytes_cross_processes,
    shm_value_crosses_processes,
    atomics_are_shared_between_processes,
    removed_segment_stays_usable_by_a_peer,
    permissions_as_nobody,
    set_owner_needs_only_ownership,
    enospc_at_lowered_shmmni,
    create_with_options,
    attach_at_addresses,
    concurrent_copies_tear_only_between_words,
    copy_throughput,
    trusted_references_once_the_peer_is_gone,
);

/// The default-backend constructors (`Segment::open`, `create`,
/// `Shm::create`, `open`, `open_read_only`).
#[test]
fn default_backend_conveniences() {
    in_ipc_namespace(|| {
        let seg = Removal::new(
            Segment::create(KEY, size_of::<Record>(), Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        assert_eq!(Segment::open(KEY).unwrap().id(), seg.id());
        let shm = Shm::<Record>::create(KEY, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap();
        assert_eq!(shm.segment().id(), seg.id());
        Shm::<Record>::open(KEY).unwrap().write(&RECORD);
        let ro = Shm::<Record>::open_read_only(KEY).unwrap();
        assert_eq!(ro.read(), RECORD);
        let text = format!("{ro:?} {seg:?}");
        assert!(
            text.contains("Record") && text.contains("Segment"),
            "{text}"
        );
    });
}

/// On the mock, where every simulated process shares this address space: an
/// `Attachment` made as a process that then exits (the segment, marked removed,
/// is destroyed by the exit) keeps its bytes until it is dropped. Its page is not
/// handed to the next segment, whose zero fill and writes would land in it.
#[test]
fn mock_attachment_outlives_the_exit_of_its_process() {
    use sysv_ipc_mock::{Mock, Process};
    let k: &'static Mock = Box::leak(Box::new(Mock::new()));
    k.set_process(Process::root(2));
    let seg = private(k, 4096);
    let att = seg.attach().unwrap();
    att.write(0, b"kept").unwrap();
    seg.remove().unwrap();
    k.exit_process(2);
    k.set_process(Process::root(1));
    let fresh = private(k, 4096);
    let other = fresh.attach().unwrap();
    other.write(0, b"new!").unwrap();
    let mut buf = [0u8; 4];
    att.read(0, &mut buf).unwrap();
    assert_eq!(&buf, b"kept");
    drop(att);
    drop(other);
    fresh.remove().unwrap();
}

/// The mock maps every attachment on its own (its memfd model, which the typed
/// suites always build: `std` on Linux), so attaching at an address behaves
/// there as on the kernel.
#[test]
fn mock_attach_at_addresses() {
    static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
    const { assert!(sysv_ipc_mock::DISTINCT_ADDRESSES) };
    attach_at_addresses(&KERNEL);
}

// ---- helpers -----------------------------------------------------------------------------

const KEY: Key = Key::new(0x5348_4d01);
const NOBODY: u32 = 65534;

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

fn private<B: Backend + Copy>(b: B, size: usize) -> Segment<B> {
    Segment::create_in(b, Key::PRIVATE, size, Intent::CreateNew, Mode::OWNER_RW).unwrap()
}

/// The kind and errno of an expected error.
fn kind<T>(r: sysv_ipc::Result<T>) -> (ErrorKind, Option<Errno>) {
    match r {
        Ok(_) => panic!("expected an error, got Ok"),
        Err(e) => (e.kind(), e.errno()),
    }
}

/// The error of an expected failure.
fn err<T>(r: sysv_ipc::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error, got Ok"),
        Err(e) => e,
    }
}

fn stats_wanted() -> bool {
    std::env::var_os("SHM_STATS").is_some()
}

/// Prints past the harness's capture (which a forked child cannot use).
fn report(line: &str) {
    let line = format!("{line}\n");
    // SAFETY: `line` is a live String of `line.len()` bytes; write only reads them.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, Debug, PartialEq, Clone, Copy)]
#[repr(C)]
struct Record {
    seq: u64,
    temp_millis: i32,
    flags: u32,
    name: [u8; 12],
    crc: u32,
}

const RECORD: Record = Record {
    seq: 0x0102_0304_0506_0708,
    temp_millis: -21_500,
    flags: 0xdead_beef,
    name: *b"sensor-0042\0",
    crc: 77,
};

// ---- Segment ---------------------------------------------------------------------------

fn create_open_stat_remove<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Segment::create_in(b, KEY, 10_000, Intent::CreateNew, Mode::new(0o640)).unwrap();
        let st = seg.stat().unwrap();
        assert_eq!(st.perm.key, KEY);
        assert_eq!(st.perm.mode, Mode::new(0o640));
        assert_eq!(st.perm.raw_mode, 0o640);
        assert_eq!((st.perm.uid, st.perm.gid), (st.perm.cuid, st.perm.cgid));
        assert_eq!(
            (st.size, st.nattch),
            (10_000, 0),
            "the requested size, not pages"
        );
        assert_eq!((st.cpid, st.lpid), (b.getpid(), 0));
        assert_eq!((st.atime, st.dtime), (0, 0), "0 = never");
        assert!(st.ctime > 0);
        assert!(!st.is_removed() && !st.is_locked());

        assert_eq!(Segment::open_in(b, KEY).unwrap().id(), seg.id());
        let again = Segment::create_in(b, KEY, 100, Intent::OpenOrCreate, Mode::OWNER_RW);
        assert_eq!(again.unwrap().id(), seg.id());
        assert_eq!(
            Segment::create_in(b, KEY, 10_000, Intent::Open, Mode::OWNER_RW)
                .unwrap()
                .id(),
            seg.id()
        );
        assert_eq!(Segment::from_id(b, seg.id()).stat().unwrap(), st);
        assert_eq!(seg.backend().getpid(), b.getpid());

        seg.remove().unwrap();
        assert_eq!(
            kind(Segment::open_in(b, KEY)),
            (ErrorKind::NotFound, Some(Errno::NOENT))
        );
        assert_eq!(
            kind(seg.stat()),
            (ErrorKind::InvalidArgument, Some(Errno::INVAL))
        );
        assert_eq!(kind(seg.remove()).0, ErrorKind::InvalidArgument);
    });
}

fn create_and_open_errors<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(seg);
        assert_eq!(
            kind(Segment::create_in(
                b,
                KEY,
                4096,
                Intent::CreateNew,
                Mode::OWNER_RW
            )),
            (ErrorKind::AlreadyExists, Some(Errno::EXIST))
        );
        assert_eq!(
            kind(Segment::create_in(
                b,
                KEY,
                4097,
                Intent::OpenOrCreate,
                Mode::OWNER_RW
            )),
            (ErrorKind::InvalidArgument, Some(Errno::INVAL)),
            "larger than the existing segment"
        );
        assert_eq!(
            kind(Segment::create_in(
                b,
                Key::new(7),
                1,
                Intent::Open,
                Mode::OWNER_RW
            )),
            (ErrorKind::NotFound, Some(Errno::NOENT))
        );
        assert_eq!(
            kind(Segment::create_in(
                b,
                Key::PRIVATE,
                0,
                Intent::CreateNew,
                Mode::OWNER_RW
            )),
            (ErrorKind::InvalidArgument, Some(Errno::INVAL)),
            "below shmmin"
        );
        assert_eq!(
            kind(Segment::open_in(b, Key::PRIVATE)),
            (ErrorKind::NotFound, None),
            "a private key names no segment"
        );
        let bogus = Segment::from_id(b, 0x7fff_0000);
        assert_eq!(kind(bogus.stat()).0, ErrorKind::InvalidArgument);
        assert_eq!(kind(bogus.attach()).0, ErrorKind::InvalidArgument);
        assert_eq!(
            kind(bogus.attach_read_only()).1,
            Some(Errno::INVAL),
            "the failed attach left nothing behind"
        );
        let e = err(bogus.stat());
        assert_eq!(e.call(), Some(Call::Shmctl));
    });
}

// ---- Attachment ------------------------------------------------------------------------

fn attach_write_read_and_detach<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 10_000));
        let att = seg.attach().unwrap();
        assert_eq!((att.len(), att.is_empty()), (10_000, false));
        assert_eq!(att.as_ptr().addr() % 4096, 0, "shmat maps whole pages");
        assert_eq!(att.as_ptr(), att.as_mut_ptr().cast_const());
        assert_eq!(att.segment_id(), seg.id());
        assert_eq!(att.segment().id(), seg.id());
        let st = seg.stat().unwrap();
        assert_eq!((st.nattch, st.lpid), (1, b.getpid()));
        assert!(st.atime > 0);

        // Every alignment of start and end around the words.
        let mut pattern = [0u8; 300];
        for (i, byte) in pattern.iter_mut().enumerate() {
            *byte = (i * 7 + 3) as u8;
        }
        att.write(9_700, &pattern).unwrap();
        for (off, len) in [
            (9_700, 300),
            (9_701, 17),
            (9_703, 5),
            (9_704, 296),
            (9_999, 1),
        ] {
            let mut out = [0u8; 300];
            att.read(off, &mut out[..len]).unwrap();
            assert_eq!(
                out[..len],
                pattern[off - 9_700..off - 9_700 + len],
                "{off}+{len}"
            );
        }
        att.write(9_702, b"XYZ").unwrap();
        let mut out = [0u8; 7];
        att.read(9_700, &mut out).unwrap();
        assert_eq!(
            &out,
            &[
                pattern[0], pattern[1], b'X', b'Y', b'Z', pattern[5], pattern[6]
            ]
        );

        // A second attachment maps the same bytes.
        let other = seg.attach().unwrap();
        let mut via_other = [0u8; 3];
        other.read(9_702, &mut via_other).unwrap();
        assert_eq!(&via_other, b"XYZ");
        assert_eq!(seg.stat().unwrap().nattch, 2);
        other.detach().unwrap();
        assert_eq!(seg.stat().unwrap().nattch, 1);
        drop(att);
        let st = seg.stat().unwrap();
        assert_eq!(st.nattch, 0, "drop detaches");
        assert!(st.dtime > 0);
    });
}

/// Two attachments of one segment are two mappings at distinct addresses over the
/// same bytes, as `shmat` gives them: a write through either is read through the
/// other on every page, and dropping one leaves the other working.
fn attachments_alias_at_distinct_addresses<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 3 * 4096));
        let one = seg.attach().unwrap();
        let two = seg.attach().unwrap();
        assert_ne!(one.as_ptr(), two.as_ptr(), "one mapping per attachment");
        one.write(0, b"first").unwrap();
        two.write(4096, b"middle").unwrap();
        one.write(3 * 4096 - 4, b"last").unwrap();
        let mut buf = [0u8; 6];
        two.read(0, &mut buf[..5]).unwrap();
        assert_eq!(&buf[..5], b"first");
        one.read(4096, &mut buf).unwrap();
        assert_eq!(&buf, b"middle");
        two.read(3 * 4096 - 4, &mut buf[..4]).unwrap();
        assert_eq!(&buf[..4], b"last");
        assert_eq!(seg.stat().unwrap().nattch, 2);
        drop(one);
        assert_eq!(seg.stat().unwrap().nattch, 1);
        two.write(0, b"after").unwrap();
        two.read(0, &mut buf[..5]).unwrap();
        assert_eq!(&buf[..5], b"after");
        let three = seg.attach_read_only().unwrap();
        assert_ne!(three.as_ptr(), two.as_ptr());
        three.read(4096, &mut buf).unwrap();
        assert_eq!(&buf, b"middle");
        two.detach().unwrap();
        three.read(0, &mut buf[..5]).unwrap();
        assert_eq!(&buf[..5], b"after");
    });
}

fn new_segment_is_zero_filled<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 3 * 4096 + 5));
        let att = seg.attach_read_only().unwrap();
        let mut buf = [0xffu8; 3 * 4096 + 5];
        att.read(0, &mut buf).unwrap();
        assert!(buf.iter().all(|&x| x == 0));
    });
}

fn read_only_attachment_reads<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 4099));
        let rw = seg.attach().unwrap();
        rw.write(4090, b"readonly!").unwrap();
        rw.write(8, &0x1122_3344_5566_7788u64.to_ne_bytes())
            .unwrap();
        let ro: Attachment<B, ReadOnly> = seg.attach_read_only().unwrap();
        assert_eq!(ro.len(), 4099);
        let mut buf = [0u8; 9];
        ro.read(4090, &mut buf).unwrap();
        assert_eq!(&buf, b"readonly!");
        assert_eq!(ro.load_u64(8), Some(0x1122_3344_5566_7788));
        assert_eq!(ro.load_u32(8), rw.load_u32(8));
        assert_eq!(ro.load_u8(4098), Some(b'!'));
        assert_eq!(ro.load_u8(4099), None);
        assert!(format!("{ro:?}").contains("read_only: true"));
        assert_eq!(seg.stat().unwrap().nattch, 2);
        // A later write is seen through the read-only mapping: same memory.
        rw.write(4090, b"R").unwrap();
        ro.read(4090, &mut buf[..1]).unwrap();
        assert_eq!(buf[0], b'R');
    });
}

fn bounds_are_errors_never_panics<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 100));
        let att = seg.attach().unwrap();
        att.write(0, &[0xaa; 100]).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            att.read(97, &mut buf[..4]),
            Err(OutOfBounds {
                offset: 97,
                len: 4,
                size: 100
            })
        );
        assert_eq!(
            att.write(96, &[1, 2, 3, 4, 5]),
            Err(OutOfBounds {
                offset: 96,
                len: 5,
                size: 100
            })
        );
        let mut all = [0u8; 100];
        att.read(0, &mut all).unwrap();
        assert!(
            all.iter().all(|&x| x == 0xaa),
            "a refused write wrote nothing"
        );
        assert!(
            att.read(usize::MAX, &mut buf).is_err(),
            "offset + len overflows"
        );
        assert!(att.write(usize::MAX - 2, &buf).is_err());
        assert!(
            att.read(100, &mut buf[..0]).is_ok(),
            "empty copy at the end"
        );
        assert!(att.read(101, &mut buf[..0]).is_err());
        let mut big = [0u8; 101];
        assert!(att.read(0, &mut big).is_err());

        let e = att.read(99, &mut buf).unwrap_err();
        assert_eq!(
            e.to_string(),
            "8 bytes at offset 99 do not fit in 100 bytes of shared memory"
        );
        let as_error: Error = e.into();
        assert_eq!(as_error.kind(), ErrorKind::OutOfRange);
        assert_eq!(as_error.errno(), None);

        let ro = seg.attach_read_only().unwrap();
        assert!(ro.read(96, &mut buf[..5]).is_err());
        assert!(ro.read(92, &mut buf).is_ok());
    });
}

fn atomic_views_and_loads<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 30));
        let att = seg.attach().unwrap();
        let a = att.atomic_u64(16).unwrap();
        assert_eq!(a.fetch_add(41, Ordering::AcqRel), 0);
        a.fetch_add(1, Ordering::AcqRel);
        let mut bytes = [0u8; 8];
        att.read(16, &mut bytes).unwrap();
        assert_eq!(
            u64::from_ne_bytes(bytes),
            42,
            "the view is the segment's bytes"
        );
        assert_eq!(att.load_u64(16), Some(42));
        assert!(att.atomic_u64(12).is_none(), "misaligned");
        assert!(
            att.atomic_u64(24).is_none(),
            "bytes 24..32 pass the end (30)"
        );
        assert!(att.atomic_u64(usize::MAX - 7).is_none());
        assert!(att.load_u64(24).is_none());

        att.write(0, &0xa1b2_c3d4u32.to_ne_bytes()).unwrap();
        assert_eq!(att.load_u32(0), Some(0xa1b2_c3d4));
        assert_eq!(att.load_u32(2), None, "misaligned");
        assert_eq!(att.load_u32(24), None, "no whole word around it");
        assert_eq!(att.load_u8(1), Some(0xa1b2_c3d4u32.to_ne_bytes()[1]));
        // The mixed-size rule is about *racing* accesses: one thread using views of
        // different sizes one after the other is fine, and that is all this test does.
        // SAFETY: this thread is the only user of the segment.
        let w = unsafe { att.atomic_u32(4) }.unwrap();
        w.store(7, Ordering::Release);
        assert_eq!(att.load_u32(4), Some(7));
        // These four return None and access nothing.
        let refused = [
            // SAFETY: see above.
            unsafe { att.atomic_u32(28) }.is_none(), // 28 + 4 > 30
            // SAFETY: see above.
            unsafe { att.atomic_u32(26) }.is_none(), // misaligned
            // SAFETY: see above.
            unsafe { att.atomic_u32(usize::MAX - 3) }.is_none(),
            // SAFETY: see above.
            unsafe { att.atomic_u8(30) }.is_none(),
        ];
        assert_eq!(refused, [true; 4]);
        // SAFETY: as above.
        let t = unsafe { att.atomic_u32(24) }.unwrap();
        t.store(0x0102_0304, Ordering::Relaxed);
        // SAFETY: as above.
        let byte = unsafe { att.atomic_u8(29) }.unwrap();
        byte.store(0xee, Ordering::Relaxed);
        assert_eq!(att.load_u8(29), Some(0xee));
        let mut tail = [0u8; 4];
        att.read(24, &mut tail).unwrap();
        assert_eq!(tail, 0x0102_0304u32.to_ne_bytes());
    });
}

fn attachment_outlives_removal<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let att = seg.attach().unwrap();
        att.write(0, b"before").unwrap();
        seg.remove().unwrap();
        att.write(6, b"+after").unwrap();
        let mut buf = [0u8; 12];
        att.read(0, &mut buf).unwrap();
        assert_eq!(&buf, b"before+after");
        let st = seg.stat().unwrap();
        assert!(st.is_removed());
        assert_eq!(st.perm.key, Key::PRIVATE, "the key is private at once");
        assert_eq!(st.nattch, 1);
        assert_eq!(kind(Segment::open_in(b, KEY)).0, ErrorKind::NotFound);
        let fresh = Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        assert_ne!(fresh.id(), seg.id(), "the key now names a new segment");
        fresh.remove().unwrap();
        att.detach().unwrap();
        assert_eq!(
            kind(seg.stat()).0,
            ErrorKind::InvalidArgument,
            "destroyed at the last detach"
        );
    });
}

fn set_owner_changes_mode<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 64));
        let before = seg.stat().unwrap();
        seg.set_owner(Owner {
            uid: before.perm.uid,
            gid: before.perm.gid,
            mode: Mode::new(0o604),
        })
        .unwrap();
        let after = seg.stat().unwrap();
        assert_eq!(after.perm.mode, Mode::new(0o604));
        assert_eq!((after.perm.cuid, after.size), (before.perm.cuid, 64));
        assert!(after.ctime >= before.ctime);
        // The state bits survive an IPC_SET.
        let att = seg.attach().unwrap();
        seg.remove().unwrap();
        seg.set_owner(Owner {
            uid: after.perm.uid,
            gid: after.perm.gid,
            mode: Mode::new(0o600),
        })
        .unwrap();
        let st = seg.stat().unwrap();
        assert!(st.is_removed());
        assert_eq!(st.perm.raw_mode & 0o777, 0o600);
        drop(att);
    });
}

fn lock_and_unlock<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 8192));
        seg.lock().unwrap();
        assert!(seg.stat().unwrap().is_locked());
        seg.unlock().unwrap();
        assert!(!seg.stat().unwrap().is_locked());
        assert_eq!(
            kind(Segment::from_id(b, 0x7fff_0000).lock()).0,
            ErrorKind::InvalidArgument
        );
    });
}

// ---- Shm<T> ------------------------------------------------------------------------------

fn shm_value_roundtrip<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let shm = Shm::<Record, B>::create_in(b, KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let st = shm.segment().stat().unwrap();
        assert_eq!(st.size, size_of::<Record>());
        assert_eq!(shm.attachment().len(), size_of::<Record>());
        assert_eq!(
            shm.read(),
            Record::new_zeroed(),
            "a new segment reads as zeros"
        );
        shm.write(&RECORD);
        assert_eq!(shm.read(), RECORD);

        let again = Shm::<Record, B>::open_in(b, KEY).unwrap();
        assert_eq!(again.read(), RECORD);
        let ro = Shm::<Record, B, ReadOnly>::open_read_only_in(b, KEY).unwrap();
        assert_eq!(ro.read(), RECORD);
        assert_eq!(shm.segment().stat().unwrap().nattch, 3);
        again.write(&Record { crc: 78, ..RECORD });
        assert_eq!(ro.read().crc, 78);

        // The bytes are the #[repr(C)] layout a C program would see.
        let mut seq = [0u8; 8];
        shm.attachment().read(0, &mut seq).unwrap();
        assert_eq!(u64::from_ne_bytes(seq), RECORD.seq);

        let created = Shm::<Record, B>::create_in(b, KEY, Intent::OpenOrCreate, Mode::OWNER_RW);
        assert_eq!(created.unwrap().segment().id(), shm.segment().id());
        let seg = ro.into_segment();
        drop(again);
        assert_eq!(seg.stat().unwrap().nattch, 1);
        let seg2 = shm.into_segment();
        assert_eq!(seg2.stat().unwrap().nattch, 0);
        seg2.remove().unwrap();
    });
}

fn shm_size_mismatch<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(
            Segment::create_in(b, KEY, 20, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        let want = ErrorKind::SizeMismatch;
        assert_eq!(kind(Shm::<Record, B>::open_in(b, KEY)), (want, None));
        assert_eq!(
            kind(Shm::<Record, B, ReadOnly>::open_read_only_in(b, KEY)),
            (want, None)
        );
        assert_eq!(
            kind(Shm::<Record, B>::create_in(
                b,
                KEY,
                Intent::OpenOrCreate,
                Mode::OWNER_RW
            )),
            (want, None),
            "shmget's EINVAL, explained by IPC_STAT"
        );
        assert_eq!(
            kind(Shm::<Record, B>::from_segment(Segment::from_id(
                b,
                seg.id()
            )))
            .0,
            want
        );
        assert_eq!(
            seg.stat().unwrap().nattch,
            0,
            "refused attachments were detached"
        );
        assert_eq!(
            kind(Shm::<Record, B>::create_in(
                b,
                KEY,
                Intent::CreateNew,
                Mode::OWNER_RW
            )),
            (ErrorKind::AlreadyExists, Some(Errno::EXIST))
        );
        assert_eq!(
            kind(Shm::<Record, B>::open_in(b, Key::new(0x99))),
            (ErrorKind::NotFound, Some(Errno::NOENT))
        );
        let e = err(Shm::<Record, B>::open_in(b, KEY));
        assert_eq!(
            e.to_string(),
            format!(
                "Shm::open_in of key {KEY}: a segment of 20 bytes where the type needs {}",
                size_of::<Record>()
            )
        );
    });
}

fn shm_larger_segment_is_accepted<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(
            Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        let att = seg.attach().unwrap();
        att.write(0, RECORD.as_bytes()).unwrap();
        att.write(size_of::<Record>(), b"beyond T").unwrap();
        let shm = Shm::<Record, B>::from_segment(*seg).unwrap();
        assert_eq!(shm.read(), RECORD);
        assert_eq!(shm.attachment().len(), 4096);
        shm.write(&Record { seq: 1, ..RECORD });
        let mut beyond = [0u8; 8];
        att.read(size_of::<Record>(), &mut beyond).unwrap();
        assert_eq!(&beyond, b"beyond T", "write touches only T's bytes");
        let ro = Shm::<Record, B, ReadOnly>::from_segment_read_only(*seg).unwrap();
        assert_eq!(ro.read().seq, 1);
    });
}

// ---- allocation ------------------------------------------------------------------------

fn zero_allocations<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        // Warm up whatever the first call of anything might allocate lazily.
        let warm = private(b, 64);
        drop(warm.attach().unwrap());
        warm.remove().unwrap();

        let before = sysv_ipc_testkit::allocations();
        let seg = Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let att = seg.attach().unwrap();
        att.write(3, b"no heap").unwrap();
        let mut buf = [0u8; 7];
        att.read(3, &mut buf).unwrap();
        let counter = att.atomic_u64(64).unwrap();
        counter.fetch_add(1, Ordering::Relaxed);
        let ro = seg.attach_read_only().unwrap();
        let loaded = ro.load_u64(64);
        let st = seg.stat().unwrap();
        seg.lock().unwrap();
        seg.unlock().unwrap();
        let _ = att.read(4096, &mut buf);
        drop(ro);
        att.detach().unwrap();
        let shm = Shm::<Record, B>::from_segment(seg).unwrap();
        shm.write(&RECORD);
        let value = shm.read();
        let seg = shm.into_segment();
        let missing = Segment::open_in(b, Key::new(0x42)).is_err();
        seg.remove().unwrap();
        let after = sysv_ipc_testkit::allocations();

        assert_eq!(after - before, 0, "allocations in the shm API");
        assert_eq!(&buf, b"no heap");
        assert_eq!(
            (loaded, st.nattch, value, missing),
            (Some(1), 2, RECORD, true)
        );
    });
}

// ---- two processes -----------------------------------------------------------------------

fn segment_bytes_cross_processes<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Removal::new(
            Segment::create_in(b, KEY, 20_000, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        let att = seg.attach().unwrap();
        att.write(0, b"from the parent").unwrap();
        let peer = fork_peer(move || {
            // Its own attachment, found by key.
            let seg = Segment::open_in(b, KEY).unwrap();
            let att = seg.attach().unwrap();
            let mut buf = [0u8; 15];
            att.read(0, &mut buf).unwrap();
            assert_eq!(&buf, b"from the parent");
            let mut big = [0u8; 20_000];
            for (i, x) in big.iter_mut().enumerate() {
                *x = (i % 251) as u8;
            }
            att.write(0, &big).unwrap();
        });
        let pid = peer.pid();
        peer.join();
        let mut big = [0u8; 20_000];
        att.read(0, &mut big).unwrap();
        assert!(big.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
        let st = seg.stat().unwrap();
        assert_eq!((st.nattch, st.cpid, st.lpid), (1, b.getpid(), pid));
    });
}

fn shm_value_crosses_processes<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let shm = Shm::<Record, B>::create_in(b, KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(*shm.segment());
        let writer = fork_peer(move || {
            let shm = Shm::<Record, B>::open_in(b, KEY).unwrap();
            shm.write(&RECORD);
        });
        writer.join();
        assert_eq!(shm.read(), RECORD);
        shm.write(&Record { crc: 1, ..RECORD });
        let reader = fork_peer(move || {
            let ro = Shm::<Record, B, ReadOnly>::open_read_only_in(b, KEY).unwrap();
            assert_eq!(ro.read(), Record { crc: 1, ..RECORD });
        });
        reader.join();
    });
}

/// Trusted mode as meant: a peer writes, leaves (`nattch` says so), and then this
/// process reads and fills the segment through plain references, which a second
/// peer sees through the safe API.
fn trusted_references_once_the_peer_is_gone<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let mut shm =
            Shm::<Record, B>::create_in(b, KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(*shm.segment());
        fork_peer(move || {
            Shm::<Record, B>::open_in(b, KEY).unwrap().write(&RECORD);
        })
        .join();
        assert_eq!(
            shm.segment().stat().unwrap().nattch,
            1,
            "the writer is gone"
        );
        // SAFETY: the only other process that attached has exited (nattch is 1), and
        // this thread writes nothing while `r` and `bytes` live.
        let r = unsafe { shm.as_ref_unchecked() };
        // SAFETY: as above.
        let bytes = unsafe { shm.attachment().as_bytes_unchecked() };
        assert_eq!(*r, RECORD);
        assert_eq!(bytes, RECORD.as_bytes());
        assert_eq!(
            core::ptr::from_ref(r).cast::<u8>(),
            shm.attachment().as_ptr()
        );
        // SAFETY: as above, and no other reference into the segment is alive.
        let w = unsafe { shm.as_mut_unchecked() };
        w.crc = 1;
        w.name[..6].copy_from_slice(b"sensor");
        let reader = fork_peer(move || {
            let ro = Shm::<Record, B, ReadOnly>::open_read_only_in(b, KEY).unwrap();
            assert_eq!(ro.read(), Record { crc: 1, ..RECORD });
        });
        reader.join();
    });
}

fn atomics_are_shared_between_processes<B: Backend + Copy>(b: B) {
    const ROUNDS: u64 = 20_000;
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, 4096));
        let id = seg.id();
        let att = seg.attach().unwrap();
        let peer = fork_peer(move || {
            let att = Segment::from_id(b, id).attach().unwrap();
            let n = att.atomic_u64(128).unwrap();
            for _ in 0..ROUNDS {
                n.fetch_add(1, Ordering::Relaxed);
            }
        });
        let n = att.atomic_u64(128).unwrap();
        for _ in 0..ROUNDS {
            n.fetch_add(1, Ordering::Relaxed);
        }
        peer.join();
        assert_eq!(n.load(Ordering::Relaxed), 2 * ROUNDS, "no increment lost");
    });
}

fn removed_segment_stays_usable_by_a_peer<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let seg = Segment::create_in(b, KEY, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let att = seg.attach().unwrap();
        let (to_peer, from_parent) = pipe();
        let peer = fork_peer(move || {
            let mine = Segment::open_in(b, KEY).unwrap().attach().unwrap();
            wait_byte(from_parent); // the parent has removed the segment
            mine.write(0, b"written after IPC_RMID").unwrap();
            let st = mine.segment().stat().unwrap();
            assert!(st.is_removed());
            assert_eq!(st.perm.key, Key::PRIVATE);
        });
        // Wait until the peer has attached: nattch counts the parent's too, and the
        // peer's inherited copy of the parent's attachment.
        while seg.stat().unwrap().nattch < 3 {
            std::thread::yield_now();
        }
        seg.remove().unwrap();
        send_byte(to_peer);
        peer.join();
        let mut buf = [0u8; 22];
        att.read(0, &mut buf).unwrap();
        assert_eq!(&buf, b"written after IPC_RMID");
        let st = seg.stat().unwrap();
        assert_eq!((st.nattch, st.is_removed()), (1, true));
        drop(att);
        assert_eq!(kind(seg.stat()).0, ErrorKind::InvalidArgument);
    });
}

fn pipe() -> (i32, i32) {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a live array of two ints, which pipe fills.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    (fds[1], fds[0])
}

fn send_byte(fd: i32) {
    // SAFETY: writes one byte from a live local.
    assert_eq!(unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) }, 1);
}

fn wait_byte(fd: i32) {
    let mut b = [0u8];
    // SAFETY: reads one byte into a live local.
    assert_eq!(unsafe { libc::read(fd, b.as_mut_ptr().cast(), 1) }, 1);
}

// ---- permissions, limits, options, addresses -------------------------------------------

fn permissions_as_nobody<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        if !needs_root("permissions_as_nobody") {
            return;
        }
        let private_seg = Removal::new(
            Segment::create_in(b, KEY, 64, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        let readable = Removal::new(
            Segment::create_in(
                b,
                Key::new(0x5348_4d02),
                64,
                Intent::CreateNew,
                Mode::new(0o644),
            )
            .unwrap(),
        );
        readable.attach().unwrap().write(0, b"public").unwrap();
        let (a, r) = (private_seg.id(), readable.id());
        as_user(NOBODY, NOBODY, move || {
            let denied = (ErrorKind::PermissionDenied, Some(Errno::ACCES));
            let seg = Segment::from_id(b, a);
            assert_eq!(kind(seg.attach()), denied);
            assert_eq!(kind(seg.attach_read_only()), denied);
            assert_eq!(kind(seg.stat()), denied);
            assert_eq!(kind(Shm::<u64, B>::open_in(b, KEY)), denied);
            assert_eq!(
                kind(seg.remove()),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
            assert_eq!(kind(seg.lock()).1, Some(Errno::PERM));
            assert_eq!(
                kind(seg.set_owner(Owner {
                    uid: NOBODY,
                    gid: NOBODY,
                    mode: Mode::ALL_RW
                })),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
            let seg = Segment::from_id(b, r);
            assert_eq!(
                kind(seg.attach()),
                denied,
                "read-write needs write permission"
            );
            let ro = seg.attach_read_only().unwrap();
            let mut buf = [0u8; 6];
            ro.read(0, &mut buf).unwrap();
            assert_eq!(&buf, b"public");
            let value = Shm::<u32, B, ReadOnly>::from_segment_read_only(seg).unwrap();
            assert_eq!(value.read().to_ne_bytes(), *b"publ");
            assert_eq!(
                kind(seg.set_owner(Owner {
                    uid: NOBODY,
                    gid: NOBODY,
                    mode: Mode::ALL_RW
                })),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
        });
        // Root gives the segment away; the new owner may then do what the old could.
        private_seg
            .set_owner(Owner {
                uid: NOBODY,
                gid: NOBODY,
                mode: Mode::OWNER_RW,
            })
            .unwrap();
        let st = private_seg.stat().unwrap();
        assert_eq!(
            (st.perm.uid, st.perm.gid, st.perm.cuid),
            (NOBODY, NOBODY, 0)
        );
        as_user(NOBODY, NOBODY, move || {
            let seg = Segment::from_id(b, a);
            seg.attach().unwrap().write(0, b"mine now").unwrap();
            seg.remove().unwrap();
        });
        let _ = private_seg.into_inner();
    });
}

/// `set_owner` as `nobody`: its own segments of modes it may not read (`0o000`,
/// `0o200`) are its to change, as the kernel's `IPC_SET` allows; on root's segment it
/// gets the kernel's `EPERM`, not the `EACCES` of a read it should not need.
fn set_owner_needs_only_ownership<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        if !needs_root("set_owner_needs_only_ownership") {
            return;
        }
        let roots =
            Segment::create_in(b, Key::PRIVATE, 64, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        as_user(NOBODY, NOBODY, move || {
            let nobody = Owner {
                uid: NOBODY,
                gid: NOBODY,
                mode: Mode::OWNER_RW,
            };
            for mode in [0o000, 0o200] {
                let seg =
                    Segment::create_in(b, Key::PRIVATE, 64, Intent::CreateNew, Mode::new(mode))
                        .unwrap();
                assert_eq!(kind(seg.stat()).0, ErrorKind::PermissionDenied);
                seg.set_owner(nobody).unwrap();
                let st = seg.stat().unwrap();
                assert_eq!((st.perm.mode, st.size), (Mode::OWNER_RW, 64), "{mode:o}");
                seg.remove().unwrap();
            }
            assert_eq!(
                kind(roots.set_owner(nobody)),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
        });
        assert_eq!(roots.stat().unwrap().perm.uid, 0, "unchanged");
        roots.remove().unwrap();
    });
}

fn enospc_at_lowered_shmmni<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        set_sysctl("kernel/shmmni", 2);
        let _a = Removal::new(private(b, 1));
        let _b = Removal::new(private(b, 1));
        let e = err(Segment::create_in(
            b,
            Key::PRIVATE,
            1,
            Intent::CreateNew,
            Mode::OWNER_RW,
        ));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::LimitReached, Some(Errno::NOSPC))
        );
        assert_eq!(e.call(), Some(Call::Shmget));
        // shmall counts pages of all segments.
        set_sysctl("kernel/shmmni", 10);
        set_sysctl("kernel/shmall", 3);
        let _c = Removal::new(private(b, page_size()));
        assert_eq!(
            kind(Segment::create_in(
                b,
                Key::PRIVATE,
                2 * page_size(),
                Intent::CreateNew,
                Mode::OWNER_RW
            )),
            (ErrorKind::LimitReached, Some(Errno::NOSPC))
        );
        assert_eq!(
            kind(Shm::<[u8; 8192], B>::create_in(
                b,
                Key::PRIVATE,
                Intent::CreateNew,
                Mode::OWNER_RW
            ))
            .0,
            ErrorKind::LimitReached
        );
    });
}

fn create_with_options<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let nr_hugepages = std::fs::read_to_string("/proc/sys/vm/nr_hugepages").unwrap();
        let seg = Segment::create_with(
            b,
            Key::PRIVATE,
            8192,
            Intent::CreateNew,
            Mode::OWNER_RW,
            SegmentOptions::new().no_reserve(),
        )
        .unwrap();
        let _rm = Removal::new(seg);
        let att = seg.attach().unwrap();
        att.write(8191, b"x").unwrap();
        assert_eq!(att.load_u8(8191), Some(b'x'));

        let huge = |size: HugePageSize| {
            Segment::create_with(
                b,
                Key::PRIVATE,
                2 << 20,
                Intent::CreateNew,
                Mode::OWNER_RW,
                SegmentOptions::new().huge_pages(size),
            )
        };
        if !is_root() {
            // Outside the initial user namespace, CAP_IPC_LOCK there (or
            // vm.hugetlb_shm_group) is missing: hugetlb_file_setup refuses.
            assert_eq!(
                kind(huge(HugePageSize::SIZE_2M)),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
        } else if nr_hugepages.trim() == "0" {
            // No pool: the reservation fails.
            assert_eq!(
                kind(huge(HugePageSize::SIZE_2M)),
                (ErrorKind::LimitReached, Some(Errno::NOMEM))
            );
        } else {
            let seg = huge(HugePageSize::SIZE_2M).unwrap();
            seg.remove().unwrap();
        }
        // 4 MiB pages exist on neither x86_64 nor arm64 (4K granule): no such hstate,
        // which newseg checks before any permission.
        assert_eq!(
            kind(huge(HugePageSize::from_log2(22).unwrap())),
            (ErrorKind::InvalidArgument, Some(Errno::INVAL))
        );
        // A typed `Shm` takes the same options: without swap reserved it is a
        // plain `T`; on huge pages it fares as the segment did.
        type Page = [u64; 1024];
        let shm = Shm::<Page, B>::create_with(
            b,
            Key::PRIVATE,
            Intent::CreateNew,
            Mode::OWNER_RW,
            SegmentOptions::new().no_reserve(),
        )
        .unwrap();
        shm.write(&[9; 1024]);
        // 8 KiB: above MAX_READ_BY_VALUE, so read into memory of our own.
        let mut page = [0; 1024];
        shm.read_into(&mut page);
        assert_eq!(page[1023], 9);
        shm.into_segment().remove().unwrap();
        let huge_shm = |size: HugePageSize| {
            Shm::<Page, B>::create_with(
                b,
                Key::PRIVATE,
                Intent::CreateNew,
                Mode::OWNER_RW,
                SegmentOptions::new().huge_pages(size),
            )
        };
        if !is_root() {
            assert_eq!(
                kind(huge_shm(HugePageSize::SIZE_2M)),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
        } else if nr_hugepages.trim() == "0" {
            assert_eq!(
                kind(huge_shm(HugePageSize::SIZE_2M)),
                (ErrorKind::LimitReached, Some(Errno::NOMEM))
            );
        } else {
            let shm = huge_shm(HugePageSize::SIZE_2M).unwrap();
            shm.write(&[3; 1024]);
            shm.read_into(&mut page);
            assert_eq!(page[0], 3);
            shm.into_segment().remove().unwrap();
        }
        assert_eq!(
            kind(huge_shm(HugePageSize::from_log2(22).unwrap())),
            (ErrorKind::InvalidArgument, Some(Errno::INVAL))
        );
        assert_eq!(HugePageSize::from_log2(0), None);
        assert_eq!(HugePageSize::from_log2(64), None);
        assert_eq!(
            HugePageSize::from_log2(63).map(HugePageSize::log2),
            Some(63)
        );
        assert_eq!(HugePageSize::DEFAULT.log2(), 0);
    });
}

fn attach_at_addresses<B: Backend + Copy>(b: B) {
    in_ipc_namespace(|| {
        let page = page_size();
        let seg = Removal::new(private(b, page));
        let first = seg.attach().unwrap();
        let addr = NonNull::new(first.as_mut_ptr()).unwrap();
        first.write(0, b"same bytes").unwrap();
        // The range is occupied by `first`: without REMAP the kernel refuses.
        // SAFETY: the range is ours (our own attachment), and without REMAP the
        // kernel does not touch an occupied range.
        let busy = unsafe { seg.attach_at(addr, AtFlags::EXACT) };
        assert_eq!(kind(busy).1, Some(Errno::INVAL));
        first.detach().unwrap();

        // SAFETY: `addr` was our attachment's range and is free again; nothing else in
        // this single-threaded child maps memory meanwhile.
        let exact = unsafe { seg.attach_at(addr, AtFlags::EXACT) }.unwrap();
        assert_eq!(exact.as_ptr(), addr.as_ptr().cast_const());
        let mut buf = [0u8; 10];
        exact.read(0, &mut buf).unwrap();
        assert_eq!(&buf, b"same bytes");
        drop(exact);

        let inside = NonNull::new(addr.as_ptr().wrapping_add(100)).unwrap();
        // SAFETY: as above; the rounded-down range is the same free range.
        let rounded = unsafe { seg.attach_read_only_at(inside, AtFlags::ROUND_DOWN) }.unwrap();
        assert_eq!(rounded.as_ptr(), addr.as_ptr().cast_const());
        drop(rounded);
        // SAFETY: as above; a misaligned address without ROUND_DOWN is refused.
        let misaligned = unsafe { seg.attach_at(inside, AtFlags::EXACT) };
        assert_eq!(kind(misaligned).1, Some(Errno::INVAL));

        // REMAP over an anonymous mapping this test owns.
        // SAFETY: a fresh private anonymous mapping; no address hint.
        let anon = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(anon, libc::MAP_FAILED);
        let anon = NonNull::new(anon.cast::<u8>()).unwrap();
        // SAFETY: the anonymous range is ours, and without REMAP nothing is replaced.
        let occupied = unsafe { seg.attach_at(anon, AtFlags::EXACT) };
        assert_eq!(kind(occupied).1, Some(Errno::INVAL));
        // SAFETY: the anonymous range is ours and nothing refers into it; REMAP
        // replaces it with the segment (shmdt later unmaps it).
        let remapped =
            unsafe { seg.attach_at(anon, AtFlags::REMAP.union(AtFlags::EXACT)) }.unwrap();
        assert_eq!(remapped.as_ptr(), anon.as_ptr().cast_const());
        remapped.read(0, &mut buf).unwrap();
        assert_eq!(&buf, b"same bytes");
        assert_eq!(AtFlags::REMAP.union(AtFlags::ROUND_DOWN).bits(), 0o60000);
    });
}

/// A peer keeps rewriting a 4 KiB `Shm<[u64; 512]>` with every byte equal to a counter;
/// the parent reads concurrently. A read may mix words of different writes (torn) but
/// each word is whole: all 8 bytes come from one write.
fn concurrent_copies_tear_only_between_words<B: Backend + Copy>(b: B) {
    const WRITES: u64 = 200_000;
    in_ipc_namespace(|| {
        let shm =
            Shm::<[u64; 512], B>::create_in(b, KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let _rm = Removal::new(*shm.segment());
        let peer = fork_peer(move || {
            let shm = Shm::<[u64; 512], B>::open_in(b, KEY).unwrap();
            for v in 1..=WRITES {
                shm.write(&[(v % 255 + 1) * 0x0101_0101_0101_0101; 512]);
            }
        });
        let (mut reads, mut torn) = (0u64, 0u64);
        let start = Instant::now();
        loop {
            let value = shm.read();
            reads += 1;
            for w in value {
                let lo = w & 0xff;
                assert_eq!(
                    w,
                    lo * 0x0101_0101_0101_0101,
                    "a word mixes two writes: {w:#x}"
                );
            }
            if value.iter().any(|&w| w != value[0]) {
                torn += 1;
            }
            if value[511] == (WRITES % 255 + 1) * 0x0101_0101_0101_0101 && reads > 10 {
                break;
            }
            assert!(start.elapsed().as_secs() < 50, "the writer never finished");
        }
        peer.join();
        if stats_wanted() {
            report(&format!(
                "shm tearing: {torn} torn of {reads} reads of a 4 KiB value"
            ));
        }
    });
}

/// Correctness over a large segment, plus a rough copy rate next to a plain memcpy of
/// local memory (printed with SHM_STATS=1; no assertion on speed).
fn copy_throughput<B: Backend + Copy>(b: B) {
    const SIZE: usize = 1 << 20;
    in_ipc_namespace(|| {
        let seg = Removal::new(private(b, SIZE));
        let att = seg.attach().unwrap();
        let mut src = vec![0u8; SIZE];
        for (i, x) in src.iter_mut().enumerate() {
            *x = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
        }
        let mut dst = vec![0u8; SIZE];
        let rounds = if stats_wanted() { 200 } else { 3 };
        let t = Instant::now();
        for _ in 0..rounds {
            att.write(0, &src).unwrap();
        }
        let write = t.elapsed();
        let t = Instant::now();
        for _ in 0..rounds {
            att.read(0, &mut dst).unwrap();
        }
        let read = t.elapsed();
        assert_eq!(dst, src);
        // Unaligned both ends.
        att.read(3, &mut dst[..SIZE - 8]).unwrap();
        assert_eq!(dst[..SIZE - 8], src[3..SIZE - 5]);
        let mut local = vec![0u8; SIZE];
        let t = Instant::now();
        for _ in 0..rounds {
            local.copy_from_slice(std::hint::black_box(&src));
            std::hint::black_box(&mut local);
        }
        let memcpy = t.elapsed();
        if stats_wanted() {
            let gbs = |d: std::time::Duration| (SIZE * rounds) as f64 / d.as_secs_f64() / 1e9;
            report(&format!(
                "shm copy of 1 MiB x {rounds}: write {:.2} GB/s, read {:.2} GB/s, local memcpy {:.2} GB/s",
                gbs(write),
                gbs(read),
                gbs(memcpy)
            ));
        }
    });
}
