//! The checked message of the signal and stop tests (`tests/signals.rs`,
//! `tests/stop.rs`): a sequence number, a payload derived from it and a checksum
//! over both, so a receiver tells a lost, duplicated, reordered or torn message from
//! the next one. Included with `#[path]`: not a test target of its own.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A message: a sequence number, a payload derived from it, a checksum over both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Msg {
    seq: u64,
    payload: [u64; 6],
    checksum: u64,
}

impl sysv_ipc::ShmType for Msg {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc tests::common::checked::Msg v1");
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

impl Msg {
    pub fn new(seq: u64) -> Msg {
        let payload = core::array::from_fn(|i| mix(seq.wrapping_mul(7).wrapping_add(i as u64)));
        Msg {
            seq,
            payload,
            checksum: payload.iter().fold(mix(seq), |h, &w| mix(h ^ w)),
        }
    }

    /// The message the sender made for `want`, whole.
    pub fn check(&self, want: u64) {
        assert_eq!(self.seq, want, "lost, duplicated or reordered message");
        assert_eq!(*self, Msg::new(want), "corrupted message");
    }
}
