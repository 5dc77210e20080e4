//! [`Failing`]: a backend that refuses chosen calls, to play a kernel that lacks them.

use sysv_ipc_abi::{Backend, Errno};

use crate::forward_backend;

/// The [`Backend`] entry points, as a [`Fail`] names them: the mock's own list,
/// so that one enum names them for fault scripts on either side.
pub use sysv_ipc_mock::Call;

/// One refusal of a [`Failing`] backend: `call` (with `cmd` only, if given) fails
/// with `errno`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fail {
    /// The refused method.
    pub call: Call,
    /// The `cmd` argument it is refused for (`msgctl`, `semctl`, `shmctl`,
    /// `membarrier`; the clock for `clock_gettime` and `clock_nanosleep`), or `None` for every call of the
    /// method.
    pub cmd: Option<i32>,
    /// What the refused call returns.
    pub errno: Errno,
}

impl Fail {
    /// Every call of `call` fails with `errno`.
    pub const fn call(call: Call, errno: Errno) -> Self {
        Fail {
            call,
            cmd: None,
            errno,
        }
    }

    /// `call` fails with `errno` when its `cmd` argument is `cmd` (for the methods
    /// that have one: `msgctl`, `semctl`, `shmctl`, `membarrier`; `clock_gettime`'s
    /// clock id).
    pub const fn cmd(call: Call, cmd: i32, errno: Errno) -> Self {
        Fail {
            call,
            cmd: Some(cmd),
            errno,
        }
    }
}

/// A backend that forwards every call to `inner`, except those its [`Fail`] list
/// names: they return their errno at once, without reaching `inner` or touching any
/// argument. The first matching entry wins.
///
/// # Examples
///
/// ```
/// use sysv_ipc_abi::{Backend, Errno, SEM_STAT_ANY};
/// use sysv_ipc_testkit::{Call, Fail, Failing};
///
/// /// A kernel before 4.17 (no SEM_STAT_ANY) without membarrier.
/// const OLD: &[Fail] = &[
///     Fail::cmd(Call::Semctl, SEM_STAT_ANY, Errno::INVAL),
///     Fail::call(Call::Membarrier, Errno::NOSYS),
/// ];
/// static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
/// let old = Failing::new(&KERNEL, OLD);
/// assert_eq!(old.membarrier(0, 0, 0), Err(Errno::NOSYS));
/// // SAFETY: SEM_STAT_ANY is refused before anything reads the (null) argument.
/// let r = unsafe { old.semctl(0, 0, SEM_STAT_ANY, std::ptr::null_mut()) };
/// assert_eq!(r, Err(Errno::INVAL));
/// assert!(old.semget(0, 1, 0o600).is_ok(), "the rest is forwarded");
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Failing<B> {
    inner: B,
    fails: &'static [Fail],
}

impl<B> Failing<B> {
    /// `inner`, with the calls in `fails` refused.
    pub const fn new(inner: B, fails: &'static [Fail]) -> Self {
        Failing { inner, fails }
    }
}

forward_backend! {
    // SAFETY: the one override, `before_call`, returns an errno from the list, which
    // its writer chose as one the kernel may return for that call (a kernel without
    // the call or command answers so); everything else is forwarded.
    unsafe impl<B: Backend> Backend for Failing<B> {
        inner = |f| &f.inner;

        /// `Err` with the errno of the first entry that refuses `call` with `cmd`.
        fn before_call(&self, call: Call, cmd: Option<i32>) -> Result<(), Errno> {
            let hit = self
                .fails
                .iter()
                .find(|f| f.call == call && (f.cmd.is_none() || f.cmd == cmd));
            hit.map_or(Ok(()), |f| Err(f.errno))
        }
    }
}
