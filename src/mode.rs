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
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// assert_eq!(Mode::OWNER_READ.bits(), 0o400);
    /// assert!(Mode::default().contains(Mode::OWNER_READ));
    /// ```
    pub const OWNER_READ: Mode = Mode(0o400);
    /// Owner may write (alter).
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// assert_eq!(Mode::OWNER_WRITE.bits(), 0o200);
    /// assert_eq!(Mode::OWNER_READ.union(Mode::OWNER_WRITE), Mode::OWNER_RW);
    /// ```
    pub const OWNER_WRITE: Mode = Mode(0o200);
    /// Owner may read and write: the default.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// assert_eq!(Mode::OWNER_RW, Mode::default());
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// assert_eq!(q.stat()?.perm.mode.to_string(), "0600");
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const OWNER_RW: Mode = Mode(0o600);
    /// Group may read.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// let m = Mode::OWNER_RW.union(Mode::GROUP_READ);
    /// assert_eq!(m.bits(), 0o640);
    /// ```
    pub const GROUP_READ: Mode = Mode(0o040);
    /// Group may write.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// let m = Mode::OWNER_RW.union(Mode::GROUP_READ).union(Mode::GROUP_WRITE);
    /// assert_eq!(m, Mode::new(0o660));
    /// ```
    pub const GROUP_WRITE: Mode = Mode(0o020);
    /// Others may read.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// let m = Mode::OWNER_RW.union(Mode::GROUP_READ).union(Mode::OTHER_READ);
    /// assert_eq!(m.to_string(), "0644");
    /// ```
    pub const OTHER_READ: Mode = Mode(0o004);
    /// Others may write.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// assert_eq!(Mode::OTHER_WRITE.bits(), 0o002);
    /// assert!(!Mode::default().contains(Mode::OTHER_WRITE)); // never by default
    /// ```
    pub const OTHER_WRITE: Mode = Mode(0o002);
    /// Everyone may read and write (`0o666`): only when truly wanted.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::sem::SemSet;
    /// use sysv_ipc::{Intent, Key, Mode, Removal};
    ///
    /// assert!(Mode::ALL_RW.contains(Mode::OTHER_WRITE));
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::ALL_RW)?);
    /// assert_eq!(set.stat()?.perm.mode.bits(), 0o666);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub const ALL_RW: Mode = Mode(0o666);

    /// The permission bits of `bits` (`bits & 0o777`; other bits are dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// assert_eq!(Mode::new(0o640), Mode::OWNER_RW.union(Mode::GROUP_READ));
    /// assert_eq!(Mode::new(0o1777).bits(), 0o777); // only the nine permission bits
    /// ```
    pub const fn new(bits: u32) -> Mode {
        Mode((bits & 0o777) as u16)
    }

    /// The bits, `0..=0o777`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// assert_eq!(Mode::default().bits(), 0o600);
    /// assert_eq!(Mode::new(0o4755).bits(), 0o755);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// Both sets of bits.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// const SHARED_WITH_GROUP: Mode = Mode::OWNER_RW.union(Mode::GROUP_READ).union(Mode::GROUP_WRITE);
    /// assert_eq!(SHARED_WITH_GROUP.bits(), 0o660);
    /// ```
    pub const fn union(self, other: Mode) -> Mode {
        Mode(self.0 | other.0)
    }

    /// Whether every bit of `other` is set here.
    ///
    /// # Examples
    ///
    /// ```
    /// # use sysv_ipc::Mode;
    /// let m = Mode::new(0o640);
    /// assert!(m.contains(Mode::OWNER_RW));
    /// assert!(m.contains(Mode::GROUP_READ));
    /// assert!(!m.contains(Mode::GROUP_READ.union(Mode::GROUP_WRITE))); // every bit must be set
    /// ```
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
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable};
///
/// let key = Key::new(0x7500_0000 | (std::process::id() as i32 & 0xff_ffff));
/// let mode = Mode::default();
/// let e = MsgQueue::create(key, Intent::Open, mode).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::NotFound); // nothing under this key yet
/// let q = MsgQueue::create(key, Intent::OpenOrCreate, mode)?; // creates it
/// assert_eq!(MsgQueue::create(key, Intent::OpenOrCreate, mode)?.id(), q.id()); // opens it
/// let e = MsgQueue::create(key, Intent::CreateNew, mode).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
/// q.remove()?;
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::Intent;
    /// use sysv_ipc::abi::{IPC_CREAT, IPC_EXCL};
    ///
    /// assert_eq!(Intent::Open.flags(), 0);
    /// assert_eq!(Intent::OpenOrCreate.flags(), IPC_CREAT);
    /// assert_eq!(Intent::CreateNew.flags(), IPC_CREAT | IPC_EXCL);
    /// assert_eq!(Intent::default(), Intent::Open);
    /// ```
    pub const fn flags(self) -> i32 {
        use crate::abi::{IPC_CREAT, IPC_EXCL};
        match self {
            Intent::Open => 0,
            Intent::OpenOrCreate => IPC_CREAT,
            Intent::CreateNew => IPC_CREAT | IPC_EXCL,
        }
    }
}
