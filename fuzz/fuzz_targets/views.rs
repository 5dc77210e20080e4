//! Target (d): in-place views (`Shm::view`, `#[derive(ShmView)]`) over segment bytes
//! that a hostile peer keeps overwriting with the input, through its own attachment,
//! between the view's operations; indices, ranges and buffer lengths come from the
//! input too (and from the garbage read back).
//!
//! The same for read views: a read-only `Shm`'s (a `SHM_RDONLY` mapping, where a
//! store would fault) and the read-write view's `as_read()`.
//!
//! Properties: no panic, no out-of-bounds access (ASan); every index and range
//! answer agrees with the array's length; what a view reads is what the peer wrote
//! at those bytes (checked against the peer's own copy for single-copy cells); the
//! read-only mapping's read view loads what the view does.
#![no_main]

use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

use libfuzzer_sys::fuzz_target;
use sysv_ipc::shm::ReadOnly;
use sysv_ipc::view::{ReadCell, ViewCell};
use sysv_ipc::{Intent, Key, Mode, Removable, Segment, Shm, ShmView};
use sysv_ipc_mock::Mock;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Pose {
    x: f64,
    y: f32,
    id: u16,
    flags: i16,
}

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Target {
    index: u64,
    len: u32,
    level: i8,
    small: [u8; 3],
    pose: Pose,
    grid: [[i32; 7]; 5],
    gap: i32,
    poses: [Pose; 2],
    tail: [u16; 12],
}

fuzz_target!(|data: &[u8]| {
    let k: Box<Mock> = Box::new(Mock::new());
    let mut shm =
        Shm::<Target, _>::create_in(&*k, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let seg: Segment<&Mock> = *shm.segment();
    // The hostile peer's own mapping (a distinct address: the mock maps each shmat
    // apart), written with 8-byte-word copies.
    let peer = seg.attach().unwrap();
    let ro = Shm::<Target, _, ReadOnly>::from_segment_read_only(seg).unwrap();
    let r = ro.view();
    let size = size_of::<Target>();
    let v = shm.view();
    let mut at = 0usize;
    for chunk in data.chunks(7) {
        let (op, rest) = chunk.split_first().unwrap();
        let arg = rest.iter().fold(0usize, |a, &b| a << 8 | usize::from(b));
        match op % 10 {
            0 => {
                // Overwrite a window with the input's bytes.
                let off = at % size;
                let n = rest.len().min(size - off);
                peer.write(off, &rest[..n]).unwrap();
                at = at.wrapping_add(arg | 1);
            }
            1 => {
                let i = arg ^ v.index().load(Relaxed) as usize;
                assert_eq!(v.grid().at(i % 8).is_some(), i % 8 < 5);
                let cell = v.grid().at(i % 8).and_then(|row| row.get(i >> 3));
                assert_eq!(cell.is_some(), i % 8 < 5 && (i >> 3) < 7);
                assert_eq!(v.tail().get(i).is_some(), i < 12);
                assert_eq!(v.tail().set(i, 7).is_ok(), i < 12);
            }
            2 => {
                let (start, end) = (arg % 13, (arg >> 4) % 13);
                let buf_len = if op & 0x80 != 0 {
                    (arg >> 8) % 13
                } else {
                    end.saturating_sub(start)
                };
                let mut out = [0u16; 13];
                let r = v.tail().read_range(start..end, &mut out[..buf_len]);
                let fits = start <= end && end <= 12 && buf_len == end - start;
                assert_eq!(r.is_ok(), fits);
                let w = v.tail().write_range(start..end, &out[..buf_len]);
                assert_eq!(w.is_ok(), fits);
            }
            3 => {
                let mut whole = Target::new_zeroed();
                v.load_into(&mut whole, Acquire);
                v.store_from(&whole, Release);
                let _ = ViewCell::load(v.poses(), Relaxed);
            }
            4 => {
                // A single-copy cell reads what the peer's bytes say.
                let off = core::mem::offset_of!(Target, index);
                peer.write(off, &(arg as u64).to_ne_bytes()).unwrap();
                assert_eq!(v.index().load(Acquire), arg as u64);
            }
            5 => {
                let p = v.poses().at(arg % 3);
                assert_eq!(p.is_some(), arg % 3 < 2);
                if let Some(p) = p {
                    let _ = (
                        p.x().load(Relaxed),
                        p.y().load(Relaxed),
                        p.flags().load(Relaxed),
                    );
                    p.id().store(arg as u16, Relaxed);
                    assert_eq!(p.id().load(Relaxed), arg as u16);
                }
            }
            6 => {
                let sum: i64 = v.grid().iter().flatten().map(i64::from).sum();
                let _ = (
                    sum,
                    v.small().iter().count(),
                    v.level().load(Relaxed),
                    v.len().load(Relaxed),
                );
            }
            8 => {
                // The read-only mapping's read view: indices and ranges from the
                // input and the garbage, any ordering, loads only.
                let order = [Relaxed, Release, Acquire, AcqRel, SeqCst][arg % 5];
                let i = arg ^ r.index().load(order) as usize;
                let row = r.grid().at(i % 8);
                assert_eq!(row.is_some(), i % 8 < 5);
                assert_eq!(
                    row.and_then(|row| row.get(i >> 3)).is_some(),
                    i % 8 < 5 && (i >> 3) < 7
                );
                assert_eq!(r.tail().at(i).map(|c| c.load(order)).is_some(), i < 12);
                let (start, end) = (arg % 13, (arg >> 4) % 13);
                let mut out = [0u16; 13];
                let got = r
                    .tail()
                    .read_range(start..end, &mut out[..end.saturating_sub(start)]);
                assert_eq!(got.is_ok(), start <= end && end <= 12);
                let p = r.poses().at(arg % 3);
                assert_eq!(p.is_some(), arg % 3 < 2);
                let _ = p.map(|p| {
                    (
                        p.x().load(order),
                        p.y().load(order),
                        ReadCell::load(p, order),
                    )
                });
            }
            9 => {
                // Both read views of the same bytes load what the peer wrote there,
                // and the whole loads through them agree while nobody writes.
                let off = core::mem::offset_of!(Target, len);
                peer.write(off, &(arg as u32).to_ne_bytes()).unwrap();
                assert_eq!(r.len().load(Acquire), arg as u32);
                assert_eq!(v.as_read().len().load(SeqCst), arg as u32);
                let (mut a, mut b) = (Target::new_zeroed(), Target::new_zeroed());
                r.load_into(&mut a, Acquire);
                v.as_read().load_into(&mut b, Relaxed);
                assert!(a.as_bytes() == b.as_bytes());
            }
            _ => {
                let mut bytes = vec![0u8; size];
                peer.read(0, &mut bytes).unwrap();
                let want = u16::from_ne_bytes([bytes[size - 2], bytes[size - 1]]);
                assert_eq!(v.tail().get(11), Some(want));
            }
        }
    }
    drop(peer);
    drop(ro);
    shm.into_segment().remove().unwrap();
});
