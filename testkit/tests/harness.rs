//! The harness tests itself: panics travel home, timeouts fire, namespaces isolate.

use std::time::{Duration, Instant};

use sysv_ipc_testkit::{
    as_user, fork_peer, get_sysctl, in_ipc_namespace, in_ipc_namespace_timeout, is_root,
    needs_root, set_sysctl, wait_until_blocked,
};

fn panic_message(r: std::thread::Result<()>) -> String {
    let payload = r.expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn child_panic_message_and_location_reach_the_parent() {
    let r = std::panic::catch_unwind(|| in_ipc_namespace(|| panic!("boom {}", 42)));
    let msg = panic_message(r);
    assert!(msg.contains("boom 42"), "{msg}");
    assert!(msg.contains("harness.rs"), "location missing: {msg}");
}

#[test]
fn peer_panic_propagates_through_the_namespace_child() {
    let r = std::panic::catch_unwind(|| {
        in_ipc_namespace(|| fork_peer(|| assert_eq!(1 + 1, 3, "peer arithmetic")).join())
    });
    let msg = panic_message(r);
    assert!(msg.contains("peer arithmetic"), "{msg}");
    assert!(msg.contains("peer (pid"), "{msg}");
}

#[test]
fn a_hung_child_is_killed_at_the_timeout() {
    let start = Instant::now();
    let r = std::panic::catch_unwind(|| {
        in_ipc_namespace_timeout(Duration::from_millis(300), || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    });
    let msg = panic_message(r);
    assert!(msg.contains("timed out"), "{msg}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn objects_made_inside_do_not_leak_to_the_host() {
    let key = 0x5e57_0001;
    in_ipc_namespace(|| {
        // SAFETY: msgget takes plain integers.
        let id = unsafe { libc::msgget(key, libc::IPC_CREAT | 0o600) };
        assert!(id >= 0);
        // A fresh namespace starts empty: the first queue gets index 0, id 0.
        assert_eq!(id, 0);
    });
    // SAFETY: msgget takes plain integers.
    let id = unsafe { libc::msgget(key, 0) };
    assert_eq!(id, -1, "the key leaked into the host namespace");
}

#[test]
fn sysctl_is_per_namespace() {
    let host = get_sysctl("kernel/msgmni");
    in_ipc_namespace(|| {
        set_sysctl("kernel/msgmni", 3);
        assert_eq!(get_sysctl("kernel/msgmni"), "3");
    });
    assert_eq!(get_sysctl("kernel/msgmni"), host);
    let r = std::panic::catch_unwind(|| set_sysctl("kernel/msgmni", 3));
    assert!(panic_message(r).contains("outside in_ipc_namespace"));
}

#[test]
fn peer_blocks_and_can_be_killed() {
    in_ipc_namespace(|| {
        let peer = fork_peer(|| {
            // SAFETY: pause takes no arguments.
            unsafe { libc::pause() };
        });
        wait_until_blocked(peer.pid());
        peer.kill(libc::SIGKILL);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| peer.join()));
        assert!(panic_message(r).contains("killed by signal 9"));
    });
}

#[test]
fn as_user_switches_uid() {
    in_ipc_namespace(|| {
        if !needs_root("as_user_switches_uid") {
            return;
        }
        assert!(is_root());
        as_user(65534, 65534, || {
            // SAFETY: getuid has no preconditions.
            assert_eq!(unsafe { libc::getuid() }, 65534);
            // SAFETY: getgid has no preconditions.
            assert_eq!(unsafe { libc::getgid() }, 65534);
            assert!(!is_root());
        });
    });
}

#[test]
fn failing_refuses_only_the_listed_calls_and_commands() {
    use sysv_ipc_abi::{Backend, Errno, IPC_INFO, IPC_RMID, SEM_STAT_ANY, seminfo};
    use sysv_ipc_testkit::{Call, Fail, Failing};

    const FAILS: &[Fail] = &[
        Fail::cmd(Call::Semctl, SEM_STAT_ANY, Errno::INVAL),
        Fail::call(Call::Msgget, Errno::NOSPC),
        Fail::call(Call::Msgget, Errno::ACCES), // shadowed: the first match wins
    ];
    static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
    let b = Failing::new(&KERNEL, FAILS);
    assert_eq!(b.msgget(0, 0o600), Err(Errno::NOSPC));
    assert!(
        KERNEL.msgget(0, 0o600).is_ok(),
        "the inner kernel still has msgget"
    );
    let id = b.semget(0, 1, 0o600).unwrap();
    let mut ds = sysv_ipc_abi::semid64_ds::default();
    // SAFETY: `ds` is a live semid64_ds, what SEM_STAT_ANY would write.
    let r = unsafe { b.semctl(0, 0, SEM_STAT_ANY, (&raw mut ds).cast()) };
    assert_eq!(r, Err(Errno::INVAL));
    assert_eq!(ds.sem_nsems, 0, "refused before anything was written");
    // SAFETY: as above; the same call on the inner kernel is answered.
    let r = unsafe { KERNEL.semctl(0, 0, SEM_STAT_ANY, (&raw mut ds).cast()) };
    assert_eq!((r, ds.sem_nsems), (Ok(id), 1));
    let mut info = seminfo::default();
    // SAFETY: `info` is a live seminfo, what IPC_INFO writes.
    let r = unsafe { b.semctl(0, 0, IPC_INFO, (&raw mut info).cast()) };
    assert!(r.is_ok() && info.semmsl > 0, "other commands pass: {r:?}");
    // SAFETY: IPC_RMID reads no argument.
    let r = unsafe { b.semctl(id, 0, IPC_RMID, std::ptr::null_mut()) };
    assert_eq!(r, Ok(0));
    assert_eq!(b.membarrier(0, 0, 0), KERNEL.membarrier(0, 0, 0));
}
