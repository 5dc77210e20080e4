//! `SemSet` on the real kernel, through both real backends (`LinuxRaw`, `Libc`), each
//! test in a fresh IPC namespace; forked peers where two processes are the point.
//!
//! Set `SEM_STATS=1` to have the race and the init-wait tests print what they measured
//! (straight to fd 2: the harness's capture does not survive a fork).

use std::cell::Cell;
use std::ffi::{CStr, c_void};
use std::io::Write;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sysv_ipc::abi::{FileId, IPC_RMID, IPC_STAT, SETALL, sembuf, timespec};
use sysv_ipc::sem::{JOIN_TIMEOUT, SemSetOptions};
use sysv_ipc::{
    Backend, Call, DefaultBackend, Errno, Error, ErrorKind, Intent, Key, Mode, Owner, Removable,
    Removal, SemOp, SemSet,
};
use sysv_ipc_testkit::{
    as_user, fork_peer, get_sysctl, in_ipc_namespace, needs_root, set_sysctl, wait_until_blocked,
};

// ---- allocation counting ---------------------------------------------------------------

#[global_allocator]
static GLOBAL: sysv_ipc_testkit::CountingAllocator = sysv_ipc_testkit::CountingAllocator;

// ---- helpers -----------------------------------------------------------------------------

/// Every generic test below, once per real backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod linux_raw {
            $(#[test] fn $name() { super::$name(sysv_ipc_linux_raw::LinuxRaw); })*
        }
        mod libc_backend {
            $(#[test] fn $name() { super::$name(sysv_ipc_libc::Libc); })*
        }
    };
}

on_every_backend!(
    create_open_stat_remove,
    set_owner_changes_mode_and_ctime,
    op_applies_all_or_nothing,
    undo_is_reverted_at_exit,
    op_timeout_expires_and_saturates,
    get_set_and_range,
    get_all_set_all_check_the_length_first,
    get_all_set_all_stay_in_bounds_when_the_id_is_reused,
    counts_and_pid_of_blocked_peers,
    post_wakes_a_peer,
    removal_wakes_waiters_with_removed,
    eintr_even_with_sa_restart,
    retry_helpers_retry_eintr,
    lock_and_lock_timeout_wait_again_after_a_signal,
    timed_retry_keeps_the_deadline,
    lock_released_when_holder_is_killed,
    guard_copied_into_a_forked_child_keeps_the_lock,
    permissions_as_another_user,
    set_owner_needs_only_ownership,
    too_many_ops_is_limit_reached,
    new_initialized_protocol,
    new_initialized_loser_waits_for_the_creator,
    racing_initializers_never_see_uninitialized_values,
    no_allocation_on_any_path,
);

/// The tests that need neither a second process nor the kernel's sysctls, also on
/// the in-memory model (each on a fresh `Mock`; the namespace child works on its own
/// copy-on-write copy of it, which is all these single-process tests need).
macro_rules! on_the_mock {
    ($($name:ident),* $(,)?) => {
        mod mock {
            $(#[test] fn $name() { super::$name(super::fresh_mock()); })*
        }
    };
}

on_the_mock!(
    op_applies_all_or_nothing,
    get_set_and_range,
    get_all_set_all_check_the_length_first,
    new_initialized_protocol,
    no_allocation_on_any_path,
);

/// A new model kernel that lives for the rest of the test process (a `Mock` is
/// about 330 KiB and its shm pages must not move, hence the leak).
fn fresh_mock() -> &'static sysv_ipc_mock::Mock {
    Box::leak(Box::new(sysv_ipc_mock::Mock::new()))
}

fn private<B: Backend + Copy>(b: B, nsems: usize) -> Removal<SemSet<B>> {
    Removal::new(
        SemSet::create_in(b, Key::PRIVATE, nsems, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
    )
}

#[track_caller]
fn err<T>(r: Result<T, Error>) -> Error {
    match r {
        Ok(_) => panic!("the call should have failed"),
        Err(e) => e,
    }
}

#[track_caller]
fn kind<T>(r: Result<T, Error>) -> ErrorKind {
    err(r).kind()
}

fn stats_wanted() -> bool {
    std::env::var_os("SEM_STATS").is_some()
}

/// Writes a line to fd 2 past the harness's capture (which a forked child cannot use).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

// ---- signals -----------------------------------------------------------------------------

/// How many times this process ran `on_signal`.
static HANDLED: AtomicUsize = AtomicUsize::new(0);
/// A set whose semaphore 1 `on_signal` posts, so that another process learns that the
/// handler ran (hence that a blocked `semop` was interrupted); -1 for none.
static NOTIFY_SET: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    let id = NOTIFY_SET.load(Ordering::SeqCst);
    if id >= 0 {
        let mut op = libc::sembuf {
            sem_num: 1,
            sem_op: 1,
            sem_flg: 0,
        };
        // SAFETY: `op` is a live local sembuf, one of them; semop is a system call
        // and async-signal-safe.
        unsafe { libc::semop(id, &mut op, 1) };
    }
}

/// Installs `on_signal` for SIGUSR1 **with `SA_RESTART`**, and checks that it stuck:
/// semop must fail with EINTR regardless.
fn install_handler_with_sa_restart(notify: Option<i32>) {
    NOTIFY_SET.store(notify.unwrap_or(-1), Ordering::SeqCst);
    // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags).
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
    sa.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa` is a live local sigaction; the old action is not wanted (null).
    let r = unsafe { libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()) };
    assert_eq!(r, 0, "sigaction");
    // SAFETY: as above; reading the action back into a live local.
    let mut now: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `now` is a live local sigaction that sigaction fills.
    let r = unsafe { libc::sigaction(libc::SIGUSR1, std::ptr::null(), &mut now) };
    assert_eq!(r, 0, "sigaction (query)");
    assert_ne!(now.sa_flags & libc::SA_RESTART, 0, "SA_RESTART is set");
}

// ---- pure ----------------------------------------------------------------------------

#[test]
fn semop_builders_and_layout() {
    let op = SemOp::wait(3);
    assert_eq!((op.num(), op.delta(), op.flags()), (3, -1, 0));
    assert!(!op.is_nowait() && !op.is_undo());
    let op = op.nowait().undo();
    assert_eq!(op.flags(), 0o4000 | 0x1000);
    assert!(op.is_nowait() && op.is_undo());
    assert_eq!(SemOp::post(1).delta(), 1);
    assert_eq!(SemOp::wait_zero(2).delta(), 0);
    assert_eq!(SemOp::add(7, -5).delta(), -5);
    assert_eq!(format!("{op:?}"), "SemOp(3 -1 nowait undo)");
    assert_eq!(format!("{:?}", SemOp::add(0, 4)), "SemOp(0 +4)");
    let raw = op.to_sembuf();
    assert_eq!(
        (raw.sem_num, raw.sem_op, raw.sem_flg),
        (3, -1, 0o4000 | 0x1000)
    );
    assert_eq!(SemOp::from(raw), op);
    assert_eq!(sysv_ipc::abi::sembuf::from(op), raw);
    // No copy: the kernel sees the caller's memory.
    let ops = [SemOp::wait(0), SemOp::post(1), SemOp::wait_zero(2).nowait()];
    let raw = SemOp::as_sembufs(&ops);
    assert_eq!(raw.as_ptr().cast::<u8>(), ops.as_ptr().cast::<u8>());
    assert_eq!(raw.len(), 3);
    assert_eq!(raw[2].sem_flg, 0o4000);
    assert_eq!(std::mem::size_of_val(raw), 18);
}

#[test]
fn default_backend_constructors() {
    in_ipc_namespace(|| {
        let key = Key::new(0x5e00);
        assert_eq!(kind(SemSet::open(key)), ErrorKind::NotFound);
        let set: SemSet<DefaultBackend> =
            SemSet::create(key, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        assert_eq!(SemSet::open(key).unwrap().id(), set.id());
        let same = SemSet::new_initialized(key, &[0, 0], Mode::OWNER_RW);
        // Created without the protocol and never operated on: stays uninitialized.
        let e = err(same);
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (ErrorKind::Uninitialized, None, None)
        );
        set.op(&[SemOp::post(1)]).unwrap();
        let same = SemSet::new_initialized(key, &[0, 0], Mode::OWNER_RW).unwrap();
        assert_eq!(same.id(), set.id());
        assert_eq!(same.get(1).unwrap(), 1, "the loser does not re-initialize");
        let fresh =
            Removal::new(SemSet::new_initialized(Key::new(0x5e01), &[4], Mode::OWNER_RW).unwrap());
        assert_eq!(fresh.get(0).unwrap(), 4);
        set.remove().unwrap();
    });
}

// ---- kernel tests ------------------------------------------------------------------------

fn create_open_stat_remove<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let key = Key::new(0x5e11);
        assert_eq!(kind(SemSet::open_in(b, key)), ErrorKind::NotFound);
        let set = SemSet::create_in(b, key, 3, Intent::CreateNew, Mode::new(0o640)).unwrap();
        assert_eq!(
            kind(SemSet::create_in(
                b,
                key,
                3,
                Intent::CreateNew,
                Mode::OWNER_RW
            )),
            ErrorKind::AlreadyExists
        );
        let again = SemSet::create_in(b, key, 2, Intent::OpenOrCreate, Mode::OWNER_RW).unwrap();
        assert_eq!(again.id(), set.id());
        assert_eq!(
            SemSet::create_in(b, key, 0, Intent::Open, Mode::OWNER_RW)
                .unwrap()
                .id(),
            set.id()
        );
        assert_eq!(
            kind(SemSet::create_in(b, key, 4, Intent::Open, Mode::OWNER_RW)),
            ErrorKind::InvalidArgument,
            "more semaphores than the set has"
        );
        assert_eq!(SemSet::open_in(b, key).unwrap().id(), set.id());

        let st = set.stat().unwrap();
        assert_eq!(st.nsems, 3);
        assert_eq!(st.perm.key, key);
        assert_eq!(st.perm.mode, Mode::new(0o640));
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        // SAFETY: getegid has no preconditions.
        let gid = unsafe { libc::getegid() };
        assert_eq!(
            (st.perm.uid, st.perm.gid, st.perm.cuid, st.perm.cgid),
            (uid, gid, uid, gid)
        );
        assert_eq!(st.otime, 0, "no semop yet");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(
            (st.ctime - now).abs() <= 5,
            "ctime {} vs now {now}",
            st.ctime
        );

        let by_id = SemSet::from_id(b, set.id());
        assert_eq!(by_id.stat().unwrap(), st);
        let _: &B = by_id.backend();

        let p1 = private(b, 1);
        let p2 = private(b, 1);
        assert_ne!(p1.id(), p2.id());
        assert!(p1.stat().unwrap().perm.key.is_private());

        assert_eq!(
            kind(SemSet::create_in(
                b,
                Key::new(0x5e12),
                0,
                Intent::CreateNew,
                Mode::OWNER_RW
            )),
            ErrorKind::InvalidArgument
        );
        let e = err(SemSet::create_in(
            b,
            Key::new(0x5e12),
            usize::MAX,
            Intent::CreateNew,
            Mode::OWNER_RW,
        ));
        assert_eq!((e.kind(), e.errno()), (ErrorKind::InvalidArgument, None));
        let semmsl: usize = get_sysctl("kernel/sem")
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let e = err(SemSet::create_in(
            b,
            Key::new(0x5e12),
            semmsl + 1,
            Intent::CreateNew,
            Mode::OWNER_RW,
        ));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::InvalidArgument, Some(Errno::INVAL))
        );
        // IPC_PRIVATE names no existing set: refused before any call.
        let e = err(SemSet::open_in(b, Key::PRIVATE));
        assert_eq!((e.kind(), e.errno()), (ErrorKind::NotFound, None));

        // semmni: 3 sets exist (set, p1, p2).
        set_sysctl("kernel/sem", format!("{semmsl} 1024000000 500 3"));
        let e = err(SemSet::create_in(
            b,
            Key::PRIVATE,
            1,
            Intent::CreateNew,
            Mode::OWNER_RW,
        ));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::LimitReached, Some(Errno::NOSPC))
        );

        set.remove().unwrap();
        let e = err(set.stat());
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (
                ErrorKind::InvalidArgument,
                Some(Call::Semctl),
                Some(Errno::INVAL)
            )
        );
        assert_eq!(kind(set.remove()), ErrorKind::InvalidArgument);
        assert_eq!(kind(SemSet::open_in(b, key)), ErrorKind::NotFound);
    });
}

fn set_owner_changes_mode_and_ctime<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 1);
        let before = set.stat().unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        set.set_owner(Owner {
            uid: before.perm.uid,
            gid: before.perm.gid,
            mode: Mode::new(0o604),
        })
        .unwrap();
        let after = set.stat().unwrap();
        assert_eq!(after.perm.mode, Mode::new(0o604));
        assert_eq!(after.perm.raw_mode & 0o777, 0o604);
        assert_eq!(
            (after.perm.uid, after.perm.cuid),
            (before.perm.uid, before.perm.cuid)
        );
        assert_eq!(after.nsems, 1);
        assert!(after.ctime > before.ctime, "IPC_SET updates ctime");
        let gone = *set;
        set.remove_now().unwrap();
        assert_eq!(
            kind(gone.set_owner(Owner {
                uid: 0,
                gid: 0,
                mode: Mode::OWNER_RW
            })),
            ErrorKind::InvalidArgument
        );
    });
}

fn op_applies_all_or_nothing<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 3);
        set.op(&[SemOp::post(0)]).unwrap();
        assert_eq!(set.get(0).unwrap(), 1);
        set.op(&[SemOp::add(1, 5)]).unwrap();
        set.op(&[SemOp::wait(1)]).unwrap();
        assert_eq!(set.get(1).unwrap(), 4);
        assert_eq!(set.last_pid(1).unwrap(), b.getpid());
        assert_ne!(set.stat().unwrap().otime, 0, "a semop sets otime");

        // One call, two semaphores, the same semaphore twice, in order.
        set.op(&[
            SemOp::wait(0),
            SemOp::add(1, -4),
            SemOp::post(2),
            SemOp::wait(2),
        ])
        .unwrap();
        assert_eq!(
            [
                set.get(0).unwrap(),
                set.get(1).unwrap(),
                set.get(2).unwrap()
            ],
            [0, 0, 0]
        );
        set.op(&[SemOp::wait_zero(1)]).unwrap();

        let e = err(set.op(&[SemOp::wait(0).nowait()]));
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (ErrorKind::WouldBlock, Some(Call::Semop), Some(Errno::AGAIN))
        );
        set.set(1, 4).unwrap();
        assert_eq!(
            kind(set.op(&[SemOp::wait_zero(1).nowait()])),
            ErrorKind::WouldBlock
        );

        // All or nothing: the post of 2 is not applied when the wait of 0 cannot be.
        assert_eq!(
            kind(set.op(&[SemOp::post(2), SemOp::wait(0).nowait()])),
            ErrorKind::WouldBlock
        );
        assert_eq!(set.get(2).unwrap(), 0);

        assert_eq!(kind(set.op(&[])), ErrorKind::InvalidArgument);
        let e = err(set.op(&[SemOp::post(3)]));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::InvalidArgument, Some(Errno::FBIG))
        );
        set.set(2, 32767).unwrap();
        let e = err(set.op(&[SemOp::post(2)]));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::OutOfRange, Some(Errno::RANGE))
        );
        assert_eq!(set.get(2).unwrap(), 32767);

        let gone = *set;
        set.remove_now().unwrap();
        assert_eq!(kind(gone.op(&[SemOp::post(0)])), ErrorKind::InvalidArgument);
    });
}

fn undo_is_reverted_at_exit<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 2);
        let s = *set;
        fork_peer(move || {
            s.op(&[SemOp::add(0, 3).undo(), SemOp::add(1, 3)]).unwrap();
            assert_eq!(s.get(0).unwrap(), 3);
        })
        .join();
        assert_eq!(set.get(0).unwrap(), 0, "SEM_UNDO reverted at exit");
        assert_eq!(set.get(1).unwrap(), 3, "without SEM_UNDO the value stays");
    });
}

fn op_timeout_expires_and_saturates<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 2);
        let t0 = Instant::now();
        let e = err(set.op_timeout(&[SemOp::wait(0)], Duration::from_millis(50)));
        assert!(
            t0.elapsed() >= Duration::from_millis(50),
            "{:?}",
            t0.elapsed()
        );
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (
                ErrorKind::TimedOut,
                Some(Call::Semtimedop),
                Some(Errno::AGAIN)
            )
        );
        assert_eq!(
            kind(set.op_timeout(&[SemOp::wait(0)], Duration::ZERO)),
            ErrorKind::TimedOut
        );
        let e = err(set.op_timeout(&[SemOp::wait(0).nowait()], Duration::from_secs(5)));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::WouldBlock, Some(Errno::AGAIN))
        );
        assert!(t0.elapsed() < Duration::from_secs(5), "nowait did not wait");

        // Seconds beyond i64::MAX saturate instead of wrapping into a negative (EINVAL).
        set.op_timeout(&[SemOp::post(0)], Duration::MAX).unwrap();
        set.op_timeout(&[SemOp::wait(0)], Duration::new(u64::MAX, 999_999_999))
            .unwrap();
        set.op_timeout(&[SemOp::post(0)], Duration::new(i64::MAX as u64 + 1, 0))
            .unwrap();
        assert_eq!(
            kind(set.op_timeout(&[SemOp::wait(1).nowait()], Duration::MAX)),
            ErrorKind::WouldBlock
        );
        assert_eq!(set.get(0).unwrap(), 1);

        // A post from another process ends the wait early.
        let s = *set;
        let peer = fork_peer(move || s.op(&[SemOp::post(1)]).unwrap());
        set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(30))
            .unwrap();
        peer.join();
        assert_eq!(
            kind(set.op_timeout(&[], Duration::ZERO)),
            ErrorKind::InvalidArgument
        );
    });
}

fn get_set_and_range<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 3);
        assert_eq!(set.last_pid(0).unwrap(), 0, "never operated on");
        set.set(0, 32767).unwrap();
        assert_eq!(set.get(0).unwrap(), 32767);
        assert_eq!(
            set.last_pid(0).unwrap(),
            b.getpid(),
            "SETVAL counts as an operation"
        );
        let e = err(set.set(0, 32768));
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (
                ErrorKind::OutOfRange,
                Some(Call::Semctl),
                Some(Errno::RANGE)
            )
        );
        assert_eq!(kind(set.set(1, u16::MAX)), ErrorKind::OutOfRange);
        assert_eq!(set.get(0).unwrap(), 32767);
        set.set(2, 0).unwrap();
        assert_eq!(set.get(2).unwrap(), 0);
        // Bounds are the kernel's to check.
        for e in [
            err(set.get(3)),
            err(set.set(3, 1)),
            err(set.last_pid(3)),
            err(set.waiting_for_increase(3)),
            err(set.waiting_for_zero(3)),
            err(set.get(u16::MAX)),
        ] {
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::InvalidArgument, Some(Errno::INVAL))
            );
        }
    });
}

fn get_all_set_all_check_the_length_first<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 3);
        set.set_all(&[1, 2, 3]).unwrap();
        let mut got = [0u16; 3];
        set.get_all(&mut got).unwrap();
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(set.get(1).unwrap(), 2);

        const SENTINEL: u16 = 0xAAAA;
        let mut buf = [SENTINEL; 4];
        for len in [0, 2, 4] {
            let e = err(set.get_all(&mut buf[..len]));
            assert_eq!(
                (e.kind(), e.actual(), e.expected()),
                (ErrorKind::SizeMismatch, Some(len as u64), Some(3))
            );
            assert_eq!(
                (e.call(), e.errno()),
                (None, None),
                "refused before the kernel"
            );
            // Had the kernel been asked, it would have written 3 values.
            assert_eq!(buf, [SENTINEL; 4]);
        }
        for values in [&[][..], &[9, 9], &[9, 9, 9, 9]] {
            let e = err(set.set_all(values));
            assert_eq!(
                (e.kind(), e.actual(), e.expected()),
                (ErrorKind::SizeMismatch, Some(values.len() as u64), Some(3))
            );
            assert_eq!(e.errno(), None);
        }
        let e = err(set.set_all(&[5, 40000, 5]));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::OutOfRange, Some(Errno::RANGE))
        );
        set.get_all(&mut got).unwrap();
        assert_eq!(got, [1, 2, 3], "nothing changed by refused or failed calls");
        assert_eq!(
            set.last_pid(2).unwrap(),
            b.getpid(),
            "SETALL counts as an operation"
        );

        set.remove_now().unwrap();
        assert_eq!(
            kind(SemSet::from_id(b, 0x7fff_0000).get_all(&mut got)),
            ErrorKind::InvalidArgument
        );
    });
}

/// A backend that, right after the first `IPC_STAT` of an armed set id, removes that
/// set and has the kernel give its id to a new set of another size (through
/// `kernel.sem_next_id`), every value [`IdReuse::FILL`]: what another process may do
/// between the `IPC_STAT` that checks a buffer's length and the call that uses it.
struct IdReuse<B> {
    inner: B,
    /// The id to reuse and the new set's size; taken when it fires.
    armed: Cell<Option<(i32, usize)>>,
    fired: Cell<bool>,
}

impl<B: Backend> IdReuse<B> {
    const FILL: u16 = 7;

    fn new(inner: B) -> Self {
        IdReuse {
            inner,
            armed: Cell::new(None),
            fired: Cell::new(false),
        }
    }

    fn arm(&self, id: i32, nsems: usize) {
        self.armed.set(Some((id, nsems)));
        self.fired.set(false);
    }

    fn reuse(&self, id: i32, nsems: usize) {
        // SAFETY: IPC_RMID reads no argument.
        unsafe { self.inner.semctl(id, 0, IPC_RMID, std::ptr::null_mut()) }.unwrap();
        set_sysctl("kernel/sem_next_id", id);
        let new = self.inner.semget(0, nsems as i32, 0o600).unwrap();
        assert_eq!(new, id, "sem_next_id hands the id to the new set");
        let mut fill = vec![Self::FILL; nsems];
        // SAFETY: `fill` holds `nsems` u16 values, the size of the set just made,
        // which only this process knows of.
        unsafe { self.inner.semctl(new, 0, SETALL, fill.as_mut_ptr().cast()) }.unwrap();
        self.fired.set(true);
    }
}

// SAFETY: every call is forwarded unchanged to `inner`, which keeps the contract; the
// extra calls after an IPC_STAT pass their own live buffers.
unsafe impl<B: Backend> Backend for IdReuse<B> {
    fn msgget(&self, key: i32, msgflg: i32) -> Result<i32, Errno> {
        self.inner.msgget(key, msgflg)
    }
    fn msgsnd(&self, msqid: i32, msg: &[u8], msgflg: i32) -> Result<(), Errno> {
        self.inner.msgsnd(msqid, msg, msgflg)
    }
    fn msgrcv(&self, msqid: i32, msg: &mut [u8], msgtyp: i64, msgflg: i32) -> Result<usize, Errno> {
        self.inner.msgrcv(msqid, msg, msgtyp, msgflg)
    }
    unsafe fn msgctl(&self, msqid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: our caller's promise about `buf`, passed on.
        unsafe { self.inner.msgctl(msqid, cmd, buf) }
    }
    fn semget(&self, key: i32, nsems: i32, semflg: i32) -> Result<i32, Errno> {
        self.inner.semget(key, nsems, semflg)
    }
    fn semop(&self, semid: i32, sops: &[sembuf]) -> Result<(), Errno> {
        self.inner.semop(semid, sops)
    }
    fn semtimedop(
        &self,
        semid: i32,
        sops: &[sembuf],
        timeout: Option<&timespec>,
    ) -> Result<(), Errno> {
        self.inner.semtimedop(semid, sops, timeout)
    }
    unsafe fn semctl(
        &self,
        semid: i32,
        semnum: i32,
        cmd: i32,
        arg: *mut c_void,
    ) -> Result<i32, Errno> {
        // SAFETY: our caller's promise about `arg`, passed on.
        let r = unsafe { self.inner.semctl(semid, semnum, cmd, arg) };
        if let Some((id, nsems)) = self.armed.get().filter(|&(id, _)| id == semid)
            && cmd == IPC_STAT
        {
            self.armed.set(None);
            self.reuse(id, nsems);
        }
        r
    }
    fn shmget(&self, key: i32, size: usize, shmflg: i32) -> Result<i32, Errno> {
        self.inner.shmget(key, size, shmflg)
    }
    unsafe fn shmat(
        &self,
        shmid: i32,
        shmaddr: *const c_void,
        shmflg: i32,
    ) -> Result<*mut c_void, Errno> {
        // SAFETY: our caller's promise about `shmaddr`, passed on.
        unsafe { self.inner.shmat(shmid, shmaddr, shmflg) }
    }
    unsafe fn shmdt(&self, shmaddr: *const c_void) -> Result<(), Errno> {
        // SAFETY: our caller's promise, passed on.
        unsafe { self.inner.shmdt(shmaddr) }
    }
    unsafe fn shmctl(&self, shmid: i32, cmd: i32, buf: *mut c_void) -> Result<i32, Errno> {
        // SAFETY: our caller's promise about `buf`, passed on.
        unsafe { self.inner.shmctl(shmid, cmd, buf) }
    }
    fn file_id(&self, path: &CStr) -> Result<FileId, Errno> {
        self.inner.file_id(path)
    }
    fn getpid(&self) -> i32 {
        self.inner.getpid()
    }
    fn membarrier(&self, cmd: i32, flags: u32, cpu_id: i32) -> Result<i32, Errno> {
        self.inner.membarrier(cmd, flags, cpu_id)
    }
    fn clock_gettime(&self, clockid: i32) -> Result<timespec, Errno> {
        self.inner.clock_gettime(clockid)
    }
    fn clock_nanosleep(&self, clockid: i32, request: &timespec) -> Result<(), Errno> {
        self.inner.clock_nanosleep(clockid, request)
    }
}

/// The safe `get_all`/`set_all` touch no value beyond their slice even when the set
/// they checked the slice against is replaced by a larger one before they use it.
fn get_all_set_all_stay_in_bounds_when_the_id_is_reused<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let reuse = IdReuse::new(b);
        let create = |nsems| {
            SemSet::create_in(
                &reuse,
                Key::PRIVATE,
                nsems,
                Intent::CreateNew,
                Mode::OWNER_RW,
            )
            .unwrap()
        };

        // get_all into 1 value of a 256-value buffer; the set becomes one of 256.
        const GUARD: u16 = 0xAAAA;
        let old = create(1);
        let mut whole = [GUARD; 256];
        reuse.arm(old.id(), whole.len());
        let r = old.get_all(&mut whole[..1]);
        std::hint::black_box(&mut whole);
        assert!(
            reuse.fired.get(),
            "the id was reused after the length check"
        );
        let past = whole[1..].iter().filter(|&&v| v != GUARD).count();
        assert_eq!(
            past, 0,
            "get_all wrote {past} values past its 1-value slice ({r:?})"
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            whole[0],
            IdReuse::<B>::FILL,
            "read from the set the id names now"
        );
        SemSet::from_id(b, old.id()).remove().unwrap();

        // set_all of `len` values; the set becomes one of `nsems`. A slice of up to 64
        // values used to go through a 64-value copy on the stack, a longer one straight
        // from the caller's memory: both are covered.
        for (len, nsems) in [(1, 64), (65, 200)] {
            let old = create(len);
            let values = [300u16; 200];
            reuse.arm(old.id(), nsems);
            let r = old.set_all(&values[..len]);
            assert!(
                reuse.fired.get(),
                "the id was reused after the length check"
            );
            let new = SemSet::from_id(b, old.id());
            let mut now = vec![0u16; nsems];
            for (i, v) in now.iter_mut().enumerate() {
                *v = new.get(i as u16).unwrap();
            }
            let changed = now[len..]
                .iter()
                .filter(|&&v| v != IdReuse::<B>::FILL)
                .count();
            assert_eq!(
                changed, 0,
                "set_all of {len} values changed {changed} semaphores past them ({r:?}): {now:?}"
            );
            assert_eq!(r, Ok(()));
            assert!(now[..len].iter().all(|&v| v == 300), "{now:?}");
            new.remove().unwrap();
        }
    });
}

fn counts_and_pid_of_blocked_peers<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 2);
        set.set_all(&[0, 1]).unwrap();
        let s = *set;
        let up = fork_peer(move || s.op(&[SemOp::wait(0)]).unwrap());
        let zero = fork_peer(move || s.op(&[SemOp::wait_zero(1)]).unwrap());
        let up2 = fork_peer(move || s.op(&[SemOp::add(0, -2)]).unwrap());
        wait_until_blocked(up.pid());
        wait_until_blocked(zero.pid());
        wait_until_blocked(up2.pid());
        assert_eq!(set.waiting_for_increase(0).unwrap(), 2);
        assert_eq!(set.waiting_for_zero(1).unwrap(), 1);
        assert_eq!(set.waiting_for_increase(1).unwrap(), 0);
        assert_eq!(set.waiting_for_zero(0).unwrap(), 0);

        set.op(&[SemOp::post(0)]).unwrap();
        let up_pid = up.pid();
        up.join();
        assert_eq!(set.last_pid(0).unwrap(), up_pid);
        assert_eq!(set.waiting_for_increase(0).unwrap(), 1);
        set.op(&[SemOp::add(0, 2)]).unwrap();
        up2.join();
        let zero_pid = zero.pid();
        set.set(1, 0).unwrap();
        zero.join();
        assert_eq!(set.last_pid(1).unwrap(), zero_pid);
        assert_eq!(set.waiting_for_increase(0).unwrap(), 0);
        assert_eq!(set.waiting_for_zero(1).unwrap(), 0);
        assert_eq!(set.get(0).unwrap(), 0);
    });
}

fn post_wakes_a_peer<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 2);
        let s = *set;
        const ROUNDS: usize = 200;
        let peer = fork_peer(move || {
            for _ in 0..ROUNDS {
                s.op(&[SemOp::wait(0)]).unwrap();
                s.op(&[SemOp::post(1)]).unwrap();
            }
        });
        wait_until_blocked(peer.pid());
        for _ in 0..ROUNDS {
            set.op(&[SemOp::post(0)]).unwrap();
            set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(30))
                .unwrap();
        }
        peer.join();
        assert_eq!([set.get(0).unwrap(), set.get(1).unwrap()], [0, 0]);
    });
}

fn removal_wakes_waiters_with_removed<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = SemSet::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let plain = fork_peer(move || {
            let e = err(set.op(&[SemOp::wait(0)]));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::Removed, Some(Errno::IDRM))
            );
        });
        let timed = fork_peer(move || {
            let e = err(set.op_timeout(&[SemOp::wait(0)], Duration::from_secs(50)));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::Removed, Some(Errno::IDRM))
            );
        });
        let locker = fork_peer(move || assert_eq!(kind(set.lock(0)), ErrorKind::Removed));
        wait_until_blocked(plain.pid());
        wait_until_blocked(timed.pid());
        wait_until_blocked(locker.pid());
        set.remove().unwrap();
        plain.join();
        timed.join();
        locker.join();
    });
}

fn eintr_even_with_sa_restart<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 1);
        let s = *set;
        let peer = fork_peer(move || {
            install_handler_with_sa_restart(None);
            let e = err(s.op(&[SemOp::wait(0)]));
            assert_eq!(
                (e.kind(), e.call(), e.errno()),
                (ErrorKind::Interrupted, Some(Call::Semop), Some(Errno::INTR))
            );
            let e = err(s.op_timeout(&[SemOp::wait(0)], Duration::from_secs(50)));
            assert_eq!(
                (e.kind(), e.call(), e.errno()),
                (
                    ErrorKind::Interrupted,
                    Some(Call::Semtimedop),
                    Some(Errno::INTR)
                )
            );
            assert_eq!(kind(s.lock_interruptible(0)), ErrorKind::Interrupted);
            assert_eq!(
                kind(s.lock_timeout_interruptible(0, Duration::from_secs(50))),
                ErrorKind::Interrupted
            );
            assert_eq!(HANDLED.load(Ordering::SeqCst), 4);
            assert_eq!(s.get(0).unwrap(), 0, "nothing applied");
        });
        for _ in 0..4 {
            // kill() wakes the target before returning, so the next wait_until_blocked
            // sees the following call, not this one.
            wait_until_blocked(peer.pid());
            peer.kill(libc::SIGUSR1);
        }
        peer.join();
    });
}

fn retry_helpers_retry_eintr<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        // Semaphore 0 is waited for; semaphore 1 is posted by the peer's handler.
        let set = private(b, 2);
        let s = *set;
        let peer = fork_peer(move || {
            install_handler_with_sa_restart(Some(s.id()));
            s.op_retry_eintr(&[SemOp::wait(0)]).unwrap();
            assert!(HANDLED.load(Ordering::SeqCst) >= 1);
            // A clock that never moves: every retry gets the whole timeout again.
            s.op_timeout_retry_eintr(&[SemOp::wait(0)], Duration::from_secs(50), || {
                Duration::ZERO
            })
            .unwrap();
            assert!(HANDLED.load(Ordering::SeqCst) >= 2);
        });
        for _ in 0..2 {
            wait_until_blocked(peer.pid());
            peer.kill(libc::SIGUSR1);
            // The handler ran while semaphore 0 was still 0: the wait was interrupted.
            set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(30))
                .unwrap();
            wait_until_blocked(peer.pid());
            set.op(&[SemOp::post(0)]).unwrap();
        }
        peer.join();
    });
}

/// `lock` and `lock_timeout` wait again when a signal (or a stop: tests/stop.rs)
/// ends their semop with EINTR; the handler posts semaphore 1 to show it ran
/// while the lock was still taken.
fn lock_and_lock_timeout_wait_again_after_a_signal<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 2);
        let s = *set;
        let peer = fork_peer(move || {
            install_handler_with_sa_restart(Some(s.id()));
            let first = s.lock(0).unwrap();
            assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
            // Held while the second waits: only the parent's post frees it.
            let second = s.lock_timeout(0, Duration::from_secs(50)).unwrap();
            assert_eq!(HANDLED.load(Ordering::SeqCst), 2);
            drop((first, second));
        });
        for _ in 0..2 {
            wait_until_blocked(peer.pid());
            peer.kill(libc::SIGUSR1);
            // The handler ran while semaphore 0 was still 0: the wait was interrupted.
            set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(30))
                .unwrap();
            // Waiting again, not failed: a peer whose lock returned an error has
            // exited (or is about to), and its join says why, at once.
            let t0 = std::time::Instant::now();
            while !exited(peer.pid()) && t0.elapsed() < Duration::from_millis(200) {
                std::thread::sleep(Duration::from_millis(1));
            }
            if exited(peer.pid()) {
                peer.join();
                unreachable!("the peer left its lock call early");
            }
            wait_until_blocked(peer.pid());
            set.op(&[SemOp::post(0)]).unwrap();
        }
        peer.join();
    });
}

/// Whether `pid` (a child not yet reaped) has exited: a zombie.
fn exited(pid: libc::pid_t) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

fn timed_retry_keeps_the_deadline<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 2);
        let s = *set;

        // A clock that jumps two hours after the first reading: after one EINTR the
        // hour-long timeout is spent, so the call must end at once, not wait an hour.
        let peer = fork_peer(move || {
            install_handler_with_sa_restart(None);
            let mut readings = 0;
            let clock = || {
                readings += 1;
                if readings == 1 {
                    Duration::ZERO
                } else {
                    Duration::from_secs(7200)
                }
            };
            let t0 = Instant::now();
            let e =
                err(s.op_timeout_retry_eintr(&[SemOp::wait(0)], Duration::from_secs(3600), clock));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::TimedOut, Some(Errno::AGAIN))
            );
            assert_eq!(HANDLED.load(Ordering::SeqCst), 1);
            assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
        });
        wait_until_blocked(peer.pid());
        peer.kill(libc::SIGUSR1);
        // An hour-long wait would show as a timeout here rather than after 60 s.
        peer.join_timeout(Duration::from_secs(15));

        // The same with a real clock: three signals during a 300 ms wait still end in
        // TimedOut, never in Interrupted.
        let peer = fork_peer(move || {
            install_handler_with_sa_restart(None);
            let t0 = Instant::now();
            let e = err(s.op_timeout_retry_eintr(
                &[SemOp::wait(0)],
                Duration::from_millis(300),
                || t0.elapsed(),
            ));
            let took = t0.elapsed();
            assert_eq!(e.kind(), ErrorKind::TimedOut);
            assert!(
                HANDLED.load(Ordering::SeqCst) >= 2,
                "signals arrived during the wait"
            );
            // Only the lower bound is a guarantee; the upper one (the deadline kept
            // across restarts) is proven with the fake clock above, since timings on
            // a shared machine are no pass/fail criterion.
            assert!(took >= Duration::from_millis(300), "{took:?}");
        });
        wait_until_blocked(peer.pid());
        for pause in [0, 140, 130] {
            std::thread::sleep(Duration::from_millis(pause));
            peer.kill(libc::SIGUSR1);
        }
        peer.join();
        // After the deadline, one last non-blocking chance: it succeeds if it can.
        set.set(0, 1).unwrap();
        set.op_timeout_retry_eintr(&[SemOp::wait(0)], Duration::ZERO, || Duration::ZERO)
            .unwrap();
        let e = err(set.op_timeout_retry_eintr(
            &[SemOp::wait(0).nowait()],
            Duration::from_secs(9),
            || Duration::ZERO,
        ));
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
    });
}

fn lock_released_when_holder_is_killed<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = Removal::new(
            SemSet::new_initialized_in(b, Key::PRIVATE, &[1, 0], Mode::OWNER_RW).unwrap(),
        );
        {
            let guard = set.lock(0).unwrap();
            assert_eq!((guard.num(), guard.set().id()), (0, set.id()));
            assert_eq!(set.get(0).unwrap(), 0);
            let e = err(set.try_lock(0));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::WouldBlock, Some(Errno::AGAIN))
            );
            assert_eq!(
                kind(set.lock_timeout(0, Duration::from_millis(20))),
                ErrorKind::TimedOut
            );
        }
        assert_eq!(set.get(0).unwrap(), 1, "dropping the guard unlocks");
        set.try_lock(0).unwrap().unlock().unwrap();
        drop(set.lock_timeout(0, Duration::from_secs(1)).unwrap());
        assert_eq!(set.get(0).unwrap(), 1);

        // Take and give back with SEM_UNDO on both halves: the undo balance is zero,
        // so a normal exit must not change the value.
        let s = *set;
        fork_peer(move || {
            let g = s.lock(0).unwrap();
            drop(g);
            let _held = s.lock(0).unwrap();
            // Exits holding it: the kernel's undo gives it back.
        })
        .join();
        assert_eq!(set.get(0).unwrap(), 1, "undo balanced");

        let holder = fork_peer(move || {
            let _guard = s.lock(0).unwrap();
            // Holds the lock, blocked here until killed.
            let _ = s.op(&[SemOp::wait(1)]);
            unreachable!("semaphore 1 is never posted");
        });
        wait_until_blocked(holder.pid());
        assert_eq!(set.get(0).unwrap(), 0, "the peer holds the lock");
        assert_eq!(kind(set.try_lock(0)), ErrorKind::WouldBlock);
        holder.kill(libc::SIGKILL);
        drop(holder); // reaps it
        let guard = set.lock_timeout(0, Duration::from_secs(10)).unwrap();
        assert_eq!(set.waiting_for_increase(1).unwrap(), 0);
        drop(guard);
        assert_eq!(set.get(0).unwrap(), 1);

        // Unlock reports the error that drop ignores.
        let g = set.lock(0).unwrap();
        set.remove().unwrap();
        assert_eq!(kind(g.unlock()), ErrorKind::InvalidArgument);
        let _ = set.into_inner();
    });
}

/// A child forked while the parent holds a `SemGuard` has a copy of the guard, not
/// the lock: dropping the copy gives nothing back, unlocking it is refused.
fn guard_copied_into_a_forked_child_keeps_the_lock<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = Removal::new(
            SemSet::new_initialized_in(b, Key::PRIVATE, &[1], Mode::OWNER_RW).unwrap(),
        );
        let guard = set.lock(0).unwrap();
        let (held, s) = (&guard, *set);
        fork_peer(move || {
            // SAFETY: fork gave this process its own copy of the parent's memory, the
            // guard included; it is read out once here and never dropped otherwise
            // (the child leaves by `_exit`).
            let copy = unsafe { std::ptr::read(held) };
            let e = err(copy.unlock());
            assert_eq!(
                (e.kind(), e.call(), e.errno()),
                (ErrorKind::WrongProcess, None, None)
            );
            assert_eq!(s.get(0).unwrap(), 0, "unlock of the copy gave nothing back");
            // SAFETY: as above; `unlock` forgot the first copy, this is a new one.
            drop(unsafe { std::ptr::read(held) });
            assert_eq!(s.get(0).unwrap(), 0, "dropping the copy gave nothing back");
            assert_eq!(kind(s.try_lock(0)), ErrorKind::WouldBlock);
        })
        .join();
        assert_eq!(set.get(0).unwrap(), 0, "the parent still holds the lock");
        drop(guard);
        assert_eq!(set.get(0).unwrap(), 1, "the parent's drop gives it back");
    });
}

fn permissions_as_another_user<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        if !needs_root("permissions_as_another_user") {
            return;
        }
        let (k600, k644) = (Key::new(0x5e60), Key::new(0x5e64));
        let s600 = SemSet::new_initialized_in(b, k600, &[1], Mode::OWNER_RW).unwrap();
        let s644 = SemSet::new_initialized_in(b, k644, &[1], Mode::new(0o644)).unwrap();
        as_user(65534, 65534, move || {
            let denied = |e: Error| assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
            // Opening checks nothing; using does.
            assert_eq!(SemSet::open_in(b, k600).unwrap().id(), s600.id());
            denied(err(SemSet::create_in(
                b,
                k600,
                1,
                Intent::Open,
                Mode::OWNER_RW,
            )));
            denied(err(SemSet::new_initialized_in(
                b,
                k600,
                &[1],
                Mode::OWNER_RW,
            )));
            denied(err(s600.stat()));
            denied(err(s600.get(0)));
            denied(err(s600.get_all(&mut [0])));
            denied(err(s600.set(0, 2)));
            denied(err(s600.set_all(&[2])));
            denied(err(s600.last_pid(0)));
            denied(err(s600.waiting_for_increase(0)));
            denied(err(s600.waiting_for_zero(0)));
            denied(err(s600.op(&[SemOp::post(0)])));
            denied(err(s600.op_timeout(&[SemOp::post(0)], Duration::ZERO)));
            denied(err(s600.lock(0)));
            denied(err(s600.set_owner(Owner {
                uid: 65534,
                gid: 65534,
                mode: Mode::ALL_RW,
            })));
            let e = err(s600.remove());
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );

            // Readable, not writable.
            assert_eq!(s644.get(0).unwrap(), 1);
            assert_eq!(s644.stat().unwrap().nsems, 1);
            let mut v = [0];
            s644.get_all(&mut v).unwrap();
            assert_eq!(
                SemSet::new_initialized_in(b, k644, &[1], Mode::OWNER_RW)
                    .unwrap()
                    .id(),
                s644.id()
            );
            let e = err(s644.op(&[SemOp::post(0)]));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::PermissionDenied, Some(Errno::ACCES))
            );
            denied(err(s644.set(0, 2)));
            denied(err(s644.set_all(&[2])));
            let e = err(s644.set_owner(Owner {
                uid: 65534,
                gid: 65534,
                mode: Mode::ALL_RW,
            }));
            assert_eq!(e.errno(), Some(Errno::PERM));
            denied(err(s644.remove()));
        });
        assert_eq!(s644.get(0).unwrap(), 1, "nothing changed");

        // Given away, the set is the other user's to use and remove.
        s600.set_owner(Owner {
            uid: 65534,
            gid: 65534,
            mode: Mode::OWNER_RW,
        })
        .unwrap();
        let st = s600.stat().unwrap();
        assert_eq!((st.perm.uid, st.perm.gid, st.perm.cuid), (65534, 65534, 0));
        as_user(65534, 65534, move || {
            s600.op(&[SemOp::post(0)]).unwrap();
            assert_eq!(s600.get(0).unwrap(), 2);
            s600.set_owner(Owner {
                uid: 65534,
                gid: 65534,
                mode: Mode::new(0o640),
            })
            .unwrap();
            s600.remove().unwrap();
        });
        assert_eq!(kind(SemSet::open_in(b, k600)), ErrorKind::NotFound);
    });
}

/// `set_owner` as uid 65534: its own sets of modes it may not read (`0o000`,
/// `0o200`) are its to change, as the kernel's `IPC_SET` allows; on root's set it gets
/// the kernel's `EPERM`, not the `EACCES` of a read it should not need.
fn set_owner_needs_only_ownership<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        if !needs_root("set_owner_needs_only_ownership") {
            return;
        }
        let roots =
            SemSet::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        as_user(65534, 65534, move || {
            let nobody = Owner {
                uid: 65534,
                gid: 65534,
                mode: Mode::OWNER_RW,
            };
            for mode in [0o000, 0o200] {
                let set = SemSet::create_in(b, Key::PRIVATE, 1, Intent::CreateNew, Mode::new(mode))
                    .unwrap();
                assert_eq!(kind(set.stat()), ErrorKind::PermissionDenied);
                set.set_owner(nobody).unwrap();
                assert_eq!(set.stat().unwrap().perm.mode, Mode::OWNER_RW, "{mode:o}");
                set.remove().unwrap();
            }
            let e = err(roots.set_owner(nobody));
            assert_eq!(
                (e.kind(), e.errno()),
                (ErrorKind::PermissionDenied, Some(Errno::PERM))
            );
        });
        assert_eq!(roots.stat().unwrap().perm.uid, 0, "unchanged");
    });
}

fn too_many_ops_is_limit_reached<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        set_sysctl("kernel/sem", "32000 1024000000 4 32000");
        let set = private(b, 1);
        set.op(&[SemOp::post(0); 4]).unwrap();
        let e = err(set.op(&[SemOp::post(0); 5]));
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (
                ErrorKind::LimitReached,
                Some(Call::Semop),
                Some(Errno::TOOBIG)
            )
        );
        let e = err(set.op_timeout(&[SemOp::post(0); 5], Duration::ZERO));
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (
                ErrorKind::LimitReached,
                Some(Call::Semtimedop),
                Some(Errno::TOOBIG)
            )
        );
        assert_eq!(set.get(0).unwrap(), 4);
    });
}

fn new_initialized_protocol<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let key = Key::new(0x5e70);
        let set = SemSet::new_initialized_in(b, key, &[2, 0, 32767], Mode::OWNER_RW).unwrap();
        let mut v = [0; 3];
        set.get_all(&mut v).unwrap();
        assert_eq!(v, [2, 0, 32767]);
        assert_ne!(set.stat().unwrap().otime, 0);
        assert_eq!(
            set.last_pid(0).unwrap(),
            b.getpid(),
            "the creator's publishing semop"
        );
        // The -1/+1 order keeps SEMVMX in range.
        let top = Removal::new(
            SemSet::new_initialized_in(b, Key::PRIVATE, &[32767, 1], Mode::OWNER_RW).unwrap(),
        );
        assert_eq!((top.get(0).unwrap(), top.get(1).unwrap()), (32767, 1));

        // The second caller opens, finds it initialized (so even a zero join timeout
        // is enough), and leaves the values alone.
        set.set(0, 9).unwrap();
        let now = SemSetOptions::new().join_timeout(Duration::ZERO);
        let again =
            SemSet::new_initialized_with(b, key, &[2, 0, 32767], Mode::OWNER_RW, now).unwrap();
        assert_eq!((again.id(), again.get(0).unwrap()), (set.id(), 9));

        let e = err(SemSet::new_initialized_in(b, key, &[1, 1], Mode::OWNER_RW));
        assert_eq!(
            (e.kind(), e.actual(), e.expected()),
            (ErrorKind::SizeMismatch, Some(3), Some(2))
        );

        // A creator that "died" between semget and its semop.
        let stuck_key = Key::new(0x5e71);
        let stuck = SemSet::create_in(b, stuck_key, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let brief = SemSetOptions::new().join_timeout(Duration::from_millis(20));
        let e = err(SemSet::new_initialized_with(
            b,
            stuck_key,
            &[1],
            Mode::OWNER_RW,
            brief,
        ));
        assert_eq!(
            (e.kind(), e.call(), e.errno()),
            (ErrorKind::Uninitialized, None, None)
        );
        let text = e.to_string();
        assert!(text.contains("died") && text.contains("remove"), "{text}");
        // The default wait gives up too, in bounded time.
        let t0 = Instant::now();
        assert_eq!(
            kind(SemSet::new_initialized_in(
                b,
                stuck_key,
                &[1],
                Mode::OWNER_RW
            )),
            ErrorKind::Uninitialized
        );
        let took = t0.elapsed();
        if stats_wanted() {
            report(&format!(
                "new_initialized: the default wait gave up after {took:?} (JOIN_TIMEOUT {JOIN_TIMEOUT:?})"
            ));
        }
        assert!(took < Duration::from_secs(30), "{took:?}");
        assert_eq!(
            stuck.get(0).unwrap(),
            0,
            "the loser never touches the values"
        );
        stuck.remove().unwrap();

        // A failing creator removes the set, so nobody waits for it.
        let bad = Key::new(0x5e72);
        let e = err(SemSet::new_initialized_in(
            b,
            bad,
            &[1, 40000],
            Mode::OWNER_RW,
        ));
        assert_eq!(
            (e.kind(), e.errno()),
            (ErrorKind::OutOfRange, Some(Errno::RANGE))
        );
        assert_eq!(kind(SemSet::open_in(b, bad)), ErrorKind::NotFound);
        assert_eq!(
            kind(SemSet::new_initialized_in(b, bad, &[], Mode::OWNER_RW)),
            ErrorKind::InvalidArgument
        );
    });
}

fn new_initialized_loser_waits_for_the_creator<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        // The parent plays a slow creator by hand: semget, (pause), SETALL, semop.
        let key = Key::new(0x5e80);
        let raw = SemSet::create_in(b, key, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        // Patient enough for any delay of this process between the loser's block and
        // the initialisation: the point is the values it sees.
        let patient = SemSetOptions::new().join_timeout(Duration::from_secs(60));
        let loser = fork_peer(move || {
            let set =
                SemSet::new_initialized_with(b, key, &[3, 4], Mode::OWNER_RW, patient).unwrap();
            let mut v = [0; 2];
            set.get_all(&mut v).unwrap();
            assert_eq!(v, [3, 4], "initialized values");
        });
        wait_until_blocked(loser.pid()); // asleep in its wait
        raw.set_all(&[3, 4]).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            raw.last_pid(0).unwrap() != loser.pid(),
            "the loser did not operate"
        );
        raw.op(&[SemOp::post(0), SemOp::wait(0)]).unwrap();
        loser.join();

        // The creator gives up (removes the set) while a loser waits: the loser
        // starts over and becomes the creator itself.
        let key = Key::new(0x5e81);
        let raw = SemSet::create_in(b, key, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let loser = fork_peer(move || {
            let set = SemSet::new_initialized_with(b, key, &[7], Mode::OWNER_RW, patient).unwrap();
            assert_eq!(set.get(0).unwrap(), 7);
            assert_eq!(
                set.last_pid(0).unwrap(),
                b.getpid(),
                "it created the new set"
            );
        });
        wait_until_blocked(loser.pid());
        raw.remove().unwrap();
        loser.join();
        assert_ne!(SemSet::open_in(b, key).unwrap().id(), raw.id());
    });
}

fn racing_initializers_never_see_uninitialized_values<B: Backend + Copy>(b: B) {
    const PROCS: usize = 8;
    // 200 rather than 50: a round is ~0.2 ms, and more rounds hit the window more often.
    const ROUNDS: u16 = 200;
    in_ipc_namespace(move || {
        // Barrier: semaphore r starts at PROCS; each process takes one and waits for
        // zero, so all start round r together.
        let barrier = private(b, usize::from(ROUNDS));
        // A local, not a promoted constant: qemu-user writes SETALL's array back, and a
        // constant lives in read-only memory (EFAULT there).
        let start = [PROCS as u16; ROUNDS as usize];
        barrier.set_all(&start).unwrap();
        // Counters: 0 = creators.
        let counters = private(b, 1);
        let (bar, cnt) = (*barrier, *counters);
        let t0 = Instant::now();
        let peers: Vec<_> = (0..PROCS)
            .map(|_| {
                fork_peer(move || {
                    let me = b.getpid();
                    // The slowest call that did not create: one that met the set
                    // between its creator's semget and semop had to wait.
                    let mut slowest_loser = Duration::ZERO;
                    // Patient: eight processes share two CPUs with other builds.
                    let patient = SemSetOptions::new().join_timeout(Duration::from_secs(10));
                    for r in 0..ROUNDS {
                        let values: [u16; 3] = if r % 2 == 0 {
                            [5, 1, 32767]
                        } else {
                            [32767, 2, 9]
                        };
                        let key = Key::new(0x5e00_0000 + i32::from(r));
                        bar.op(&[SemOp::wait(r)]).unwrap();
                        // Bounded, so that one failing peer cannot leave the others stuck here.
                        bar.op_timeout(&[SemOp::wait_zero(r)], Duration::from_secs(10))
                            .unwrap();
                        let t0 = Instant::now();
                        let set =
                            SemSet::new_initialized_with(b, key, &values, Mode::OWNER_RW, patient)
                                .unwrap();
                        let took = t0.elapsed();
                        let mut seen = [0u16; 3];
                        set.get_all(&mut seen).unwrap();
                        assert_eq!(seen, values, "round {r}: values after new_initialized");
                        assert_ne!(set.stat().unwrap().otime, 0);
                        if set.last_pid(0).unwrap() == me {
                            cnt.op(&[SemOp::post(0)]).unwrap();
                        } else {
                            slowest_loser = slowest_loser.max(took);
                        }
                    }
                    if stats_wanted() {
                        report(&format!(
                            "race: pid {me}'s slowest call that did not create: {slowest_loser:?}"
                        ));
                    }
                })
            })
            .collect();
        for p in peers {
            p.join();
        }
        let took = t0.elapsed();
        let creators = counters.get(0).unwrap();
        if stats_wanted() {
            report(&format!(
                "race: {PROCS} processes x {ROUNDS} rounds in {took:?}; {creators} creators"
            ));
        }
        assert_eq!(creators, ROUNDS, "exactly one creator per round");
    });
}

fn no_allocation_on_any_path<B: Backend + Copy>(b: B) {
    in_ipc_namespace(move || {
        let set = private(b, 3);
        let key = Key::new(0x5e90);
        // Warm up whatever the first call may lazily set up (nothing, we expect).
        set.stat().unwrap();
        let mut buf = [0u16; 3];
        let before = sysv_ipc_testkit::allocations();

        set.op(&[SemOp::post(0), SemOp::add(1, 3)]).unwrap();
        set.op(&[SemOp::wait(0).undo(), SemOp::post(0).undo()])
            .unwrap();
        set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(1))
            .unwrap();
        set.op_retry_eintr(&[SemOp::post(1)]).unwrap();
        set.op_timeout_retry_eintr(&[SemOp::wait(1)], Duration::from_secs(1), || Duration::ZERO)
            .unwrap();
        let would_block = set.op(&[SemOp::wait(2).nowait()]).unwrap_err();
        let timed_out = set
            .op_timeout(&[SemOp::wait(2)], Duration::ZERO)
            .unwrap_err();
        let v = set.get(1).unwrap();
        set.set(2, 5).unwrap();
        set.get_all(&mut buf).unwrap();
        set.set_all(&[1, 2, 3]).unwrap();
        let mismatch = set.get_all(&mut buf[..2]).unwrap_err();
        let st = set.stat().unwrap();
        set.set_owner(Owner {
            uid: st.perm.uid,
            gid: st.perm.gid,
            mode: Mode::new(0o600),
        })
        .unwrap();
        let lp = set.last_pid(0).unwrap();
        let n = set.waiting_for_increase(0).unwrap() + set.waiting_for_zero(0).unwrap();
        drop(set.lock(0).unwrap());
        set.try_lock(0).unwrap().unlock().unwrap();
        drop(set.lock_timeout(0, Duration::from_secs(1)).unwrap());
        let created = SemSet::new_initialized_in(b, key, &[1, 1], Mode::OWNER_RW).unwrap();
        let opened = SemSet::new_initialized_in(b, key, &[1, 1], Mode::OWNER_RW).unwrap();
        let same = SemSet::open_in(b, key).unwrap().id() == opened.id();
        created.remove().unwrap();

        let after = sysv_ipc_testkit::allocations();
        assert_eq!(after - before, 0, "allocations on the API's paths");
        assert_eq!(would_block.kind(), ErrorKind::WouldBlock);
        assert_eq!(timed_out.kind(), ErrorKind::TimedOut);
        assert!(matches!(mismatch.kind(), ErrorKind::SizeMismatch));
        assert_eq!((v, buf, lp, n, same), (2, [1, 2, 5], b.getpid(), 0, true));
        assert_eq!(set.get_all(&mut buf).map(|()| buf), Ok([1, 2, 3]));
    });
}
