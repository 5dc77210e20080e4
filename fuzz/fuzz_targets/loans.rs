//! Target (e): Queue slots on loan and a SeqLock's value in place, under a hostile
//! peer that keeps overwriting the ring's control lines and slots (and the seqlock's
//! sequence and value) with the input, through its own attachment, between the
//! loans' operations; loan sizes, commits, releases and indices come from the input.
//!
//! Properties: no panic, no out-of-bounds access (ASan); a loan never lends more
//! than asked or than the ring holds, `slot(i)` answers exactly for `i < len()`, a
//! commit or release never reports more than was lent; the only errors are the
//! ones garbage can cause (`Corrupt`, `Closed`, `Busy`).
#![no_main]

use core::sync::atomic::Ordering::Relaxed;

use libfuzzer_sys::fuzz_target;
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::view::ReadCell;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, ShmType, ShmView, type_id};
use sysv_ipc_mock::Mock;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Rec {
    seq: u64,
    level: i16,
    small: [u8; 6],
    grid: [[u32; 3]; 2],
    tail: [u16; 4],
}

impl ShmType for Rec {
    const TYPE_ID: u64 = type_id("sysv-ipc fuzz::loans::Rec v1");
}

const N: usize = 4;

fn allowed(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Corrupt | ErrorKind::Closed | ErrorKind::Busy
    )
}

fuzz_target!(|data: &[u8]| {
    let k: Box<Mock> = Box::new(Mock::new());
    let q = Queue::<Rec, N, _>::create_in(&*k, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
        .unwrap();
    let lock =
        SeqLock::<Rec, _>::create_in(&*k, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    // The hostile peer's own mappings (distinct addresses: the mock maps each shmat
    // apart), written with 8-byte-word copies. The first 128 bytes (the header) are
    // left alone: garbage there is the join's business, fuzzed elsewhere.
    let qpeer = q.segment().attach().unwrap();
    let lpeer = lock.segment().attach().unwrap();
    let (mut tx, mut rx) = q.split().unwrap();
    let mut w = lock.writer().unwrap();
    let mut at = 0usize;
    for chunk in data.chunks(6) {
        let (op, rest) = chunk.split_first().unwrap();
        let arg = rest.iter().fold(0usize, |a, &b| a << 8 | usize::from(b));
        match op % 8 {
            0 | 1 => {
                let (peer, len) = if op % 8 == 0 {
                    (&qpeer, qpeer.len())
                } else {
                    (&lpeer, lpeer.len())
                };
                let off = 128 + at % (len - 128);
                let n = rest.len().min(len - off);
                peer.write(off, &rest[..n]).unwrap();
                at = at.wrapping_add(arg | 1);
            }
            2 => match tx.loan(arg % 7) {
                Ok(loan) => {
                    assert!(loan.len() <= (arg % 7).min(N));
                    for i in 0..=N {
                        assert_eq!(loan.slot(i).is_some(), i < loan.len());
                    }
                    for slot in loan.iter() {
                        slot.seq().store(arg as u64, Relaxed);
                        let _ = slot.grid().at(arg % 3).map(|row| row.set(arg % 4, 1));
                        slot.tail().write_range(0..4, &[1, 2, 3, 4]).unwrap();
                    }
                    let (want, len) = ((arg >> 4) % 7, loan.len());
                    assert_eq!(loan.commit(want), want.min(len));
                }
                Err(e) => assert!(allowed(e.kind()), "{e}"),
            },
            3 => match rx.loan(arg % 7) {
                Ok(loan) => {
                    assert!(loan.len() <= (arg % 7).min(N));
                    for i in 0..=N {
                        assert_eq!(loan.slot(i).is_some(), i < loan.len());
                    }
                    let mut whole = Rec::new_zeroed();
                    for slot in loan.iter() {
                        slot.load_into(&mut whole, Relaxed);
                        let i = whole.seq as usize;
                        assert_eq!(slot.grid().at(i).is_some(), i < 2);
                        assert_eq!(slot.tail().get(i).is_some(), i < 4);
                    }
                    let mut out = Rec::new_zeroed();
                    assert_eq!(loan.read_into(arg % 6, &mut out), arg % 6 < loan.len());
                    let (want, len) = ((arg >> 4) % 7, loan.len());
                    assert_eq!(loan.release(want), want.min(len));
                }
                Err(e) => assert!(allowed(e.kind()), "{e}"),
            },
            4 => {
                let _ = tx.len().map(|n| assert!(n <= N));
                let _ = rx.len().map(|n| assert!(n <= N));
            }
            5 => {
                let r = w.write_with(|v| {
                    v.seq().store(arg as u64, Relaxed);
                    let _ = v.small().set(arg % 8, 9);
                });
                assert!(r.is_ok());
            }
            6 => match lock.read_with(|v| (v.seq().load(Relaxed), v.small().get(arg % 8))) {
                Ok((_, small)) => assert_eq!(small.is_some(), arg % 8 < 6),
                Err(e) => assert!(allowed(e.kind()), "{e}"),
            },
            _ => {
                // A fresh pair of roles, continuing from whatever the indices say.
                drop((tx, rx));
                match q.split() {
                    Ok(pair) => (tx, rx) = pair,
                    Err(_) => return,
                }
            }
        }
    }
    drop((tx, rx, w, qpeer, lpeer));
    q.remove().unwrap();
    lock.remove().unwrap();
});
