//! What the two programs of `examples/sender.rs` and `examples/receiver.rs` share:
//! the record type, the queue type and how both find the queue.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

use sysv_ipc::queue::Queue;
use sysv_ipc::{Key, ShmType, type_id};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// One reading, as a C peer would declare it too.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Reading {
    /// 0, 1, 2, ... in the order sent.
    pub seq: u64,
    /// The value measured.
    pub value: i64,
}

// The fingerprint both sides check when they join: a program built with another
// `Reading` is refused with `LayoutMismatch` instead of misreading the slots.
impl ShmType for Reading {
    const TYPE_ID: u64 = type_id("sysv-ipc example two_programs::Reading v1");
}

/// The lock-free ring both programs share: 1024 slots of 16 bytes.
pub type Readings = Queue<Reading, 1024>;

/// The value the sender sends as record `seq` (the receiver checks it).
pub fn value_of(seq: u64) -> i64 {
    (seq as i64).wrapping_mul(7) - 3
}

/// The key both programs compute from the same file: `ftok(path, 'r')`.
pub fn key(path: &std::ffi::OsStr) -> Result<Key, String> {
    let c = CString::new(path.as_bytes()).map_err(|_| "the path has a NUL byte".to_string())?;
    Key::ftok(&c, b'r').map_err(|e| format!("ftok({}): {e}", path.to_string_lossy()))
}
