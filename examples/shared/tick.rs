//! The stream of `broadcast_ticker` (and of the async crate's `async_ticker_reader`,
//! which reads the same stream): its value, its layout options, and the check a
//! reader makes of every tick it gets.

// Each program that includes this file uses a part of it.
#![allow(dead_code)]

use sysv_ipc::broadcast::{BroadcastOptions, Policy};
use sysv_ipc::{Error, ErrorKind, ShmType, type_id};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Ticks of room in the ring.
pub const ROOM: usize = 256;

/// One tick: 64 bytes, the last word a checksum of the others.
#[derive(Clone, Copy, Debug, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Tick {
    pub seq: u64,
    pub data: [u64; 6],
    pub check: u64,
}

impl ShmType for Tick {
    const TYPE_ID: u64 = type_id("sysv-ipc examples::broadcast_ticker::Tick v1");
}

impl Tick {
    pub fn new(seq: u64) -> Tick {
        let data = core::array::from_fn(|k| seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ k as u64);
        let mut t = Tick {
            seq,
            data,
            check: 0,
        };
        t.check = t.sum();
        t
    }

    fn sum(&self) -> u64 {
        core::iter::once(self.seq)
            .chain(self.data)
            .fold(0xcbf2_9ce4_8422_2325, |h, w| {
                (h ^ w).wrapping_mul(0x100_0000_01b3)
            })
    }
}

/// The stream's layout: 4 reader seats, lossless.
pub fn options() -> BroadcastOptions {
    BroadcastOptions::new().readers(4).policy(Policy::Lossless)
}

/// What a reader checks of the stream, one receive at a time.
#[derive(Default)]
pub struct Follower {
    next: Option<u64>,
    got: u64,
    missed: u64,
}

impl Follower {
    /// Takes what one receive returned: `Ok(true)` to go on, `Ok(false)` at the
    /// end of the stream, `Err` for a torn or out-of-order tick or another error.
    pub fn take(&mut self, received: Result<Tick, Error>) -> Result<bool, String> {
        match received {
            Ok(t) => {
                if t.check != t.sum() {
                    return Err(format!("a torn tick {t:?}"));
                }
                if self.next.is_some_and(|n| t.seq != n) {
                    return Err(format!("tick {} where {:?} was due", t.seq, self.next));
                }
                // The first tick a late reader gets is the oldest in the ring:
                // its number counts the ticks sent before.
                self.missed += if self.next.is_none() { t.seq } else { 0 };
                self.next = Some(t.seq + 1);
                self.got += 1;
                Ok(true)
            }
            Err(err) if err.kind() == ErrorKind::Lagged => {
                // Only a reader that joined after the first tick: it missed the
                // ticks sent before the writer knew of it.
                if let Some(s) = self.next {
                    let n = err.missed().unwrap_or(0);
                    self.missed += n;
                    self.next = Some(s + n);
                }
                Ok(true)
            }
            Err(err) if err.kind() == ErrorKind::Closed => Ok(false),
            Err(err) => Err(err.to_string()),
        }
    }

    /// The reader's summary line.
    pub fn summary(&self) -> String {
        format!(
            "reader: {} ticks in order, {} missed before joining, none torn",
            self.got, self.missed
        )
    }
}
