//! `Key`: the name under which processes find the same IPC object.

use core::ffi::CStr;
use core::fmt;

use crate::error::{Call, Object, Result, check, during};
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
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// let a = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let b = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// assert_ne!(a.id(), b.id()); // a new queue each time; share it by its id
    /// assert_eq!(a.stat()?.perm.key, Key::PRIVATE);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const PRIVATE: Key = Key(abi::IPC_PRIVATE);

    /// A key from its raw value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Key;
    /// let key = Key::new(0x5359_5600);
    /// assert_eq!(key, Key::from(0x5359_5600));
    /// assert_eq!(key.to_string(), "0x53595600"); // as `ipcs` shows it
    /// ```
    pub const fn new(raw: i32) -> Key {
        Key(raw)
    }

    /// The raw `key_t` value.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Key;
    /// assert_eq!(Key::new(0x1234).raw(), 0x1234);
    /// assert_eq!(Key::PRIVATE.raw(), 0);
    /// assert_eq!(Key::new(-1).raw(), -1); // key_t is signed: 0xffffffff
    /// ```
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// Whether this is `IPC_PRIVATE`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Key;
    /// assert!(Key::PRIVATE.is_private());
    /// assert!(Key::new(0).is_private());
    /// assert!(!Key::new(0x1234).is_private());
    /// ```
    pub const fn is_private(self) -> bool {
        self.0 == abi::IPC_PRIVATE
    }

    /// `ftok(path, proj)` on the default backend: see [`Key::ftok_in`].
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Key};
    ///
    /// let key = Key::ftok(c"/", b'q')?;
    /// assert_eq!(key, Key::ftok(c"/", b'q')?); // the same file and proj: the same key
    /// assert_eq!(key.raw() as u32 >> 24, u32::from(b'q'));
    /// assert_ne!(key, Key::ftok(c"/", b'r')?);
    /// // SAFETY: the path is a NUL-terminated string.
    /// assert_eq!(key.raw(), unsafe { libc::ftok(c"/".as_ptr(), i32::from(b'q')) }); // as C computes it
    /// let e = Key::ftok(c"/no/such/file", b'q').unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[cfg(any(feature = "linux-raw", feature = "libc"))]
    pub fn ftok(path: &CStr, proj: u8) -> Result<Key> {
        during(&"Key::ftok", Object::None, || {
            Key::ftok_in(crate::DefaultBackend::default(), path, proj)
        })
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
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::Key;
    /// use sysv_ipc_mock::Mock;
    ///
    /// static KERNEL: Mock = Mock::new(); // with a fake file table
    /// KERNEL.add_file(c"/etc/app.conf", 0x0803, 0x0012_3456).unwrap(); // st_dev, st_ino
    /// let key = Key::ftok_in(&KERNEL, c"/etc/app.conf", b'A')?;
    /// // proj, then the low byte of st_dev, then the low 16 bits of st_ino:
    /// assert_eq!(key, Key::new(0x4103_3456));
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[doc(alias = "ftok")]
    pub fn ftok_in<B: Backend>(backend: B, path: &CStr, proj: u8) -> Result<Key> {
        during(&"Key::ftok_in", Object::None, || {
            let id = check(Call::Ftok, backend.file_id(path))?;
            Ok(Key(abi::ftok_from_file_id(id, proj)))
        })
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
