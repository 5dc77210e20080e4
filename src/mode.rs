//! Permission bits and the open/create intent of `*get` calls.

use core::fmt;

/// The nine permission bits of an IPC object (`rwxrwxrwx`; `x` is meaningless for IPC
/// and ignored by the kernel, but kept as given).
///
/// The default is `0o600`: owner read and write, nobody else. Never `0o666` unless
/// asked, so an object is not world-writable by accident.
///
/// ```
/// # use sysv_ipc::Mode;
/// assert_eq!(Mode::default().bits(), 0o600);
/// assert_eq!(Mode::new(0o1644).bits(), 0o644); // only the permission bits are kept
/// assert_eq!(Mode::OWNER_RW.union(Mode::GROUP_READ).to_string(), "0640");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct Mode(u16);

impl Mode {
    /// Owner may read.
    pub const OWNER_READ: Mode = Mode(0o400);
    /// Owner may write (alter).
    pub const OWNER_WRITE: Mode = Mode(0o200);
    /// Owner may read and write: the default.
    pub const OWNER_RW: Mode = Mode(0o600);
    /// Group may read.
    pub const GROUP_READ: Mode = Mode(0o040);
    /// Group may write.
    pub const GROUP_WRITE: Mode = Mode(0o020);
    /// Others may read.
    pub const OTHER_READ: Mode = Mode(0o004);
    /// Others may write.
    pub const OTHER_WRITE: Mode = Mode(0o002);
    /// Everyone may read and write (`0o666`): only when truly wanted.
    pub const ALL_RW: Mode = Mode(0o666);

    /// The permission bits of `bits` (`bits & 0o777`; other bits are dropped).
    pub const fn new(bits: u32) -> Mode {
        Mode((bits & 0o777) as u16)
    }

    /// The bits, `0..=0o777`.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// Both sets of bits.
    pub const fn union(self, other: Mode) -> Mode {
        Mode(self.0 | other.0)
    }

    /// Whether every bit of `other` is set here.
    pub const fn contains(self, other: Mode) -> bool {
        self.0 & other.0 == other.0
    }
}

impl Default for Mode {
    fn default() -> Self {
        Mode::OWNER_RW
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mode({:#o})", self.0)
    }
}

/// What a `create`/`open` should do about an existing object: the `IPC_CREAT` and
/// `IPC_EXCL` flags as a choice.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Intent {
    /// Open the object the key has; fail with `NotFound` if none (no flags).
    #[default]
    Open,
    /// Open it, or create it if the key has none (`IPC_CREAT`).
    OpenOrCreate,
    /// Create a new object; fail with `AlreadyExists` if the key has one
    /// (`IPC_CREAT | IPC_EXCL`).
    CreateNew,
}

impl Intent {
    /// The `*get` flag bits.
    pub const fn flags(self) -> i32 {
        use crate::abi::{IPC_CREAT, IPC_EXCL};
        match self {
            Intent::Open => 0,
            Intent::OpenOrCreate => IPC_CREAT,
            Intent::CreateNew => IPC_CREAT | IPC_EXCL,
        }
    }
}
