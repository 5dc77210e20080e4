//! `Key`: the name under which processes find the same IPC object.

use core::ffi::CStr;
use core::fmt;

use crate::error::{Call, Result, check};
use crate::{Backend, abi};

/// A System V IPC key (`key_t`): processes that use the same key reach the same
/// queue, semaphore set or segment. [`Key::PRIVATE`] always makes a new object that
/// is reachable only through its id.
///
/// ```
/// # use sysv_ipc::Key;
/// assert_eq!(Key::new(0x1234).raw(), 0x1234);
/// assert!(Key::PRIVATE.is_private());
/// assert_eq!(Key::new(-1).to_string(), "0xffffffff");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Key(i32);

impl Key {
    /// `IPC_PRIVATE`: a new object each time, found only by id.
    pub const PRIVATE: Key = Key(abi::IPC_PRIVATE);

    /// A key from its raw value.
    pub const fn new(raw: i32) -> Key {
        Key(raw)
    }

    /// The raw `key_t` value.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// Whether this is `IPC_PRIVATE`.
    pub const fn is_private(self) -> bool {
        self.0 == abi::IPC_PRIVATE
    }

    /// `ftok(path, proj)` on the default backend: see [`Key::ftok_with`].
    #[cfg(any(feature = "linux-raw", feature = "libc"))]
    pub fn ftok(path: &CStr, proj: u8) -> Result<Key> {
        Key::ftok_with(&crate::DefaultBackend::default(), path, proj)
    }

    /// `ftok(path, proj_id)`: the key glibc's `ftok(3)` computes, bit for bit:
    /// `(st_ino & 0xffff) | ((st_dev & 0xff) << 16) | (proj << 24)` of the file
    /// `path` names, after following symlinks.
    ///
    /// Unlike C's `ftok`, a key of `0xffffffff` cannot be mistaken for the `-1` error.
    /// Two files can give the same key (only 16 bits of the inode are used); POSIX
    /// asks for a non-zero `proj`, Linux accepts 0.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) if `path` does not exist;
    /// `PermissionDenied` if a directory on the way is not searchable.
    ///
    /// # References
    ///
    /// ftok(3), stat(2).
    #[doc(alias = "ftok")]
    pub fn ftok_with<B: Backend>(backend: &B, path: &CStr, proj: u8) -> Result<Key> {
        let id = check(Call::Ftok, backend.file_id(path))?;
        Ok(Key(abi::ftok_from_file_id(id, proj)))
    }
}

impl fmt::Display for Key {
    /// Like `ipcs`: `0x` and eight hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0 as u32)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({self})")
    }
}

impl From<i32> for Key {
    fn from(raw: i32) -> Key {
        Key(raw)
    }
}
