//! [`forward_backend!`](crate::forward_backend): a `Backend` for a wrapper type that
//! forwards every call to an inner backend but the few it overrides.

/// The paths [`forward_backend!`](crate::forward_backend)'s expansion names, so that
/// it works in a crate that does not depend on `sysv-ipc-abi` itself.
#[doc(hidden)]
pub mod __private {
    pub use core::ffi::{CStr, c_void};
    pub use core::option::Option;
    pub use core::result::Result;
    pub use sysv_ipc_abi::{Backend, Errno, FileId, sembuf, timespec};
}

/// Implements [`Backend`](sysv_ipc_abi::Backend) for a wrapper type by forwarding
/// every method, unchanged, to an inner backend, except the methods the invocation
/// writes out itself.
///
/// ```text
/// forward_backend! {
///     // SAFETY: why the overrides below keep the Backend contract.
///     unsafe impl<B: Backend> Backend for Wrapper<B> {
///         inner = |w| &w.inner;        // the inner backend, from `w: &Wrapper<B>`
///         fn before_call(...) ...       // optional: see below
///         unsafe fn semctl(...) ...     // any Backend method, as in a Backend impl
///     }
/// }
/// ```
///
/// - `inner = |w| expr;` names the backend the calls go to: `expr` is a reference
///   to it, computed from `w`, a reference to the wrapper.
/// - The fn items that follow are ordinary method definitions with the trait's
///   signatures (the types in scope where the macro is called must be the trait's:
///   `Errno`, `c_void`, ...). Each replaces the forwarding of its method; the
///   others forward, `getpid_cached` included.
/// - One extra method may be overridden: `fn before_call(&self, call: Call, cmd:
///   Option<i32>) -> Result<(), Errno>`, run by every forwarded method except
///   `getpid` and `getpid_cached` before it reaches the inner backend, with
///   [`Call`](crate::Call) naming the method and `cmd` its command (the `cmd` of
///   `msgctl`, `semctl`, `shmctl` and `membarrier`, the clock of `clock_gettime`
///   and `clock_nanosleep`, `None` for the others). An `Err` is returned as the
///   call's result without reaching the inner backend or touching any argument.
///   The default returns `Ok(())`. [`Failing`](crate::Failing) is this hook.
///
/// Type parameters are written `<B: Bound, ...>`, one path as each one's bound.
///
/// # Safety
///
/// `Backend` is an `unsafe trait`, and the invocation says `unsafe impl`: the
/// forwarded methods keep the contract because the inner backend keeps it and gets
/// the arguments unchanged; a refusal by `before_call` keeps it because it touches
/// no argument, maps nothing and unmaps nothing. Everything the invocation writes
/// must keep it too, which is the invocation's promise (write a `// SAFETY:` line
/// above it): an override reads and writes its slices and pointers only as the
/// trait's `# Safety` allows, returns only what the kernel documents for its call
/// (`before_call`'s errnos included), and for `shmat`/`shmdt` hands out only live
/// mappings of the segment.
///
/// # Examples
///
/// A backend that counts the `semop` calls that reach the kernel:
///
/// ```
/// use std::cell::Cell;
///
/// use sysv_ipc_abi::{Backend, Errno, sembuf};
/// use sysv_ipc_mock::Mock;
/// use sysv_ipc_testkit::forward_backend;
///
/// struct Counting<B> {
///     inner: B,
///     semops: Cell<u32>,
/// }
///
/// forward_backend! {
///     // SAFETY: the one override passes its arguments on unchanged.
///     unsafe impl<B: Backend> Backend for Counting<B> {
///         inner = |c| &c.inner;
///
///         fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
///             self.semops.set(self.semops.get() + 1);
///             self.inner.semop(semid, sops)
///         }
///     }
/// }
///
/// static KERNEL: Mock = Mock::new();
/// let b = Counting { inner: &KERNEL, semops: Cell::new(0) };
/// let id = b.semget(0, 1, 0o600).unwrap();
/// let up = sembuf { sem_num: 0, sem_op: 1, sem_flg: 0 };
/// b.semop(id, &[up]).unwrap();
/// assert_eq!(b.semops.get(), 1);
/// assert_eq!(b.getpid(), KERNEL.getpid(), "the rest is forwarded");
/// ```
#[macro_export]
macro_rules! forward_backend {
    (
        unsafe impl $(<$($g:ident: $bound:path),* $(,)?>)? Backend for $ty:ty {
            inner = |$w:ident| $inner:expr;
            $($over:tt)*
        }
    ) => {
        $crate::forward_backend! {
            @expand [$(<$($g: $bound),*>)?] [$ty] [$w] [$inner] [$($over)*]
            // The trait's methods: name(args) -> result; then, for those that run
            // `before_call`, the `Call` and the `cmd` it is given.
            checked {
                msgget(key: i32, msgflg: i32) -> __p::Result<i32, __p::Errno> = Msgget, None;
                msgsnd(msqid: i32, msg: &[u8], msgflg: i32) -> __p::Result<(), __p::Errno> = Msgsnd, None;
                msgrcv(msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32)
                    -> __p::Result<usize, __p::Errno> = Msgrcv, None;
                semget(key: i32, nsems: i32, semflg: i32) -> __p::Result<i32, __p::Errno> = Semget, None;
                semop(semid: i32, sops: &[__p::sembuf]) -> __p::Result<(), __p::Errno> = Semop, None;
                semtimedop(semid: i32, sops: &[__p::sembuf], timeout: __p::Option<&__p::timespec>)
                    -> __p::Result<(), __p::Errno> = Semtimedop, None;
                shmget(key: i32, size: usize, shmflg: i32) -> __p::Result<i32, __p::Errno> = Shmget, None;
                file_id(path: &__p::CStr) -> __p::Result<__p::FileId, __p::Errno> = FileId, None;
                membarrier(cmd: i32, flags: u32, cpu_id: i32)
                    -> __p::Result<i32, __p::Errno> = Membarrier, Some(cmd);
                futex_wake(uaddr: *const u32, n: i32) -> __p::Result<i32, __p::Errno> = FutexWake, None;
                clock_gettime(clockid: i32) -> __p::Result<__p::timespec, __p::Errno> = ClockGettime, Some(clockid);
                clock_nanosleep(clockid: i32, request: &__p::timespec)
                    -> __p::Result<(), __p::Errno> = ClockNanosleep, Some(clockid);
            }
            unsafe_checked {
                msgctl(msqid: i32, cmd: i32, buf: *mut __p::c_void) -> __p::Result<i32, __p::Errno> = Msgctl, Some(cmd);
                semctl(semid: i32, semnum: i32, cmd: i32, arg: *mut __p::c_void)
                    -> __p::Result<i32, __p::Errno> = Semctl, Some(cmd);
                shmat(shmid: i32, shmaddr: *const __p::c_void, shmflg: i32)
                    -> __p::Result<*mut __p::c_void, __p::Errno> = Shmat, None;
                shmdt(shmaddr: *const __p::c_void) -> __p::Result<(), __p::Errno> = Shmdt, None;
                shmctl(shmid: i32, cmd: i32, buf: *mut __p::c_void) -> __p::Result<i32, __p::Errno> = Shmctl, Some(cmd);
            }
            unchecked {
                getpid() -> i32;
                getpid_cached() -> i32;
            }
        }
    };

    (
        @expand [$($gen:tt)*] [$ty:ty] [$w:ident] [$inner:expr] [$($over:tt)*]
        checked {$(
            $name:ident($($arg:ident: $t:ty),*) -> $ret:ty = $call:ident, $cmd:expr;
        )*}
        unsafe_checked {$(
            $uname:ident($($uarg:ident: $ut:ty),*) -> $uret:ty = $ucall:ident, $ucmd:expr;
        )*}
        unchecked {$(
            $pname:ident() -> $pret:ty;
        )*}
    ) => {
        const _: () = {
            // The table's types, spelled `__p::` so that the caller's names, which
            // its overrides use, stay its own.
            use $crate::__private as __p;

            mod __forward {
                use $crate::__private as __p;
                use __p::Backend;

                /// The wrapper's methods: by default the inner backend's, one for one.
                /// The wrapper's `Backend` impl calls these, so an override written in
                /// the macro call replaces the default.
                pub trait Forward {
                    /// The backend the calls go to.
                    fn inner(&self) -> &impl Backend;

                    /// Runs before every forwarded call but `getpid*`: an `Err` is
                    /// the call's result.
                    fn before_call(
                        &self,
                        _call: $crate::Call,
                        _cmd: __p::Option<i32>,
                    ) -> __p::Result<(), __p::Errno> {
                        __p::Result::Ok(())
                    }

                    $(
                        fn $name(&self, $($arg: $t),*) -> $ret {
                            self.before_call($crate::Call::$call, $cmd)?;
                            Backend::$name(self.inner(), $($arg),*)
                        }
                    )*

                    $(
                        /// # Safety
                        ///
                        /// That of the `Backend` method of the same name.
                        unsafe fn $uname(&self, $($uarg: $ut),*) -> $uret {
                            self.before_call($crate::Call::$ucall, $ucmd)?;
                            // SAFETY: the caller keeps this method's `# Safety`, the
                            // inner backend's, for the arguments passed on unchanged.
                            unsafe { Backend::$uname(self.inner(), $($uarg),*) }
                        }
                    )*

                    $(
                        fn $pname(&self) -> $pret {
                            Backend::$pname(self.inner())
                        }
                    )*
                }
            }

            impl $($gen)* __forward::Forward for $ty {
                fn inner(&self) -> &impl $crate::__private::Backend {
                    let $w = self;
                    $inner
                }

                $($over)*
            }

            // SAFETY: every method below calls the `Forward` method of the same name,
            // which is one of: the default, which either returns `before_call`'s errno
            // with no argument touched and nothing mapped or unmapped, or passes the
            // arguments unchanged to the inner backend, which keeps the contract; or an
            // override from the macro call, which the call's `unsafe impl` promises
            // keeps it (see the macro's `# Safety`).
            unsafe impl $($gen)* $crate::__private::Backend for $ty {
                $(
                    fn $name(&self, $($arg: $t),*) -> $ret {
                        <Self as __forward::Forward>::$name(self, $($arg),*)
                    }
                )*
                $(
                    unsafe fn $uname(&self, $($uarg: $ut),*) -> $uret {
                        // SAFETY: our caller's promise, the same `# Safety`.
                        unsafe { <Self as __forward::Forward>::$uname(self, $($uarg),*) }
                    }
                )*
                $(
                    fn $pname(&self) -> $pret {
                        <Self as __forward::Forward>::$pname(self)
                    }
                )*
            }
        };
    };
}
