//! `file_id` (the stat behind ftok), `getpid`, `membarrier` and `clock_gettime`.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use sysv_ipc_abi::*;

use super::under_qemu;
use crate::{fork_peer, in_ipc_namespace};

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// libc's `stat` of `path`, reduced to what ftok uses.
fn libc_file_id(path: &CStr) -> FileId {
    // SAFETY: an all-zero `struct stat` is valid (plain integers).
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated; `st` is a live local struct stat.
    let r = unsafe { libc::stat(path.as_ptr(), &mut st) };
    assert_eq!(r, 0, "stat({path:?})");
    FileId {
        dev: st.st_dev,
        ino: st.st_ino,
    }
}

/// Removes the scratch directory even when an assertion fails.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `file_id` agrees with libc's `stat`, and `ftok_from_file_id` with glibc's `ftok`,
/// for a regular file, a directory, a symlink (followed, across directories) and
/// files on other filesystems (`/tmp`, the working directory's, `/proc`, `/dev`).
pub fn file_id_and_ftok_match_libc<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        let scratch = std::env::temp_dir().join(format!("sysv-ipc-ftok-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).unwrap();
        let _guard = Scratch(scratch.clone());
        let file = scratch.join("file");
        std::fs::write(&file, b"x").unwrap();
        // The working directory is the package being tested, on /work's filesystem.
        let cwd = std::env::current_dir().unwrap();
        let manifest = cwd.join("Cargo.toml");
        let link = scratch.join("link");
        std::os::unix::fs::symlink(&manifest, &link).unwrap();
        let paths: Vec<PathBuf> = vec![
            file,
            scratch.clone(),
            std::env::temp_dir(),
            cwd,
            manifest.clone(),
            link.clone(),
            "/proc/self".into(),
            "/dev/null".into(),
            "/".into(),
        ];
        for path in &paths {
            let c = cpath(path);
            let ours = b.file_id(&c).unwrap();
            assert_eq!(ours, libc_file_id(&c), "{path:?}");
            for proj in [1u8, 0x41, 0x7f, 0x80, 0xff] {
                // SAFETY: `c` is NUL-terminated.
                let theirs = unsafe { libc::ftok(c.as_ptr(), i32::from(proj)) };
                assert_eq!(
                    ftok_from_file_id(ours, proj),
                    theirs,
                    "{path:?} proj {proj:#x}"
                );
            }
        }
        // A symlink is followed: it has the id of its target.
        assert_eq!(b.file_id(&cpath(&link)), b.file_id(&cpath(&manifest)));
    });
}

/// A missing file is `ENOENT`, a path through a regular file `ENOTDIR`, an empty path
/// `ENOENT` (no `AT_EMPTY_PATH`).
pub fn file_id_errors<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        assert_eq!(b.file_id(c"/nonexistent/sysv-ipc"), Err(Errno::NOENT));
        assert_eq!(b.file_id(c"/dev/null/x"), Err(Errno::NOTDIR));
        assert_eq!(b.file_id(c""), Err(Errno::NOENT));
    });
}

/// `getpid` is the caller's pid, in the test child and in a forked peer.
pub fn getpid_matches_libc<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        // SAFETY: getpid has no preconditions.
        assert_eq!(b.getpid(), unsafe { libc::getpid() });
        let parent = b.getpid();
        fork_peer(|| {
            // SAFETY: getpid has no preconditions.
            assert_eq!(b.getpid(), unsafe { libc::getpid() });
            assert_ne!(b.getpid(), parent);
        })
        .join();
    });
}

/// `getpid_cached` is `getpid` in the test child, in a forked peer (whose copy of
/// the cache the kernel wiped) and in the peer's own forked child, also after a
/// first call there.
///
/// qemu divergence: qemu-user 7.2 answers `MADV_WIPEONFORK` with success but a
/// forked child still reads its parent's page, so under qemu only the parent's
/// half runs.
pub fn getpid_cached_is_getpid_across_fork<B: Backend>(b: &B) {
    in_ipc_namespace(|| {
        // SAFETY: getpid has no preconditions.
        let me = unsafe { libc::getpid() };
        assert_eq!((b.getpid_cached(), b.getpid_cached()), (me, me));
        if under_qemu() {
            eprintln!("getpid_cached: the forked half skipped under qemu-user");
            return;
        }
        fork_peer(|| {
            // SAFETY: getpid has no preconditions.
            let child = unsafe { libc::getpid() };
            assert_ne!(child, me);
            assert_eq!((b.getpid_cached(), b.getpid_cached()), (child, child));
            fork_peer(|| {
                // SAFETY: getpid has no preconditions.
                assert_eq!(b.getpid_cached(), unsafe { libc::getpid() });
            })
            .join();
            assert_eq!(b.getpid_cached(), child);
        })
        .join();
        assert_eq!(b.getpid_cached(), me);
    });
}

/// `membarrier`: `MEMBARRIER_CMD_QUERY` answers the same mask as the C library's
/// `syscall(SYS_membarrier, ...)` (which checks the call number: a wrong one would
/// run another call), listing the global expedited barrier and its registration
/// (what `Queue` needs) and the private pair; registering and issuing the barrier
/// succeed, and a flag or an unknown command is `EINVAL`.
///
/// qemu divergence: a qemu-user without the call answers `ENOSYS`, the fallback
/// path (queues then use symmetric fences); that is accepted under qemu only, and
/// everything else here is then blind. qemu 7.2 passes the call through to the host.
pub fn membarrier_query_lists_the_expedited_commands<B: Backend>(b: &B) {
    let r = b.membarrier(MEMBARRIER_CMD_QUERY, 0, 0);
    if under_qemu() && r == Err(Errno::NOSYS) {
        eprintln!("membarrier: ENOSYS under qemu (the symmetric fallback)");
        return;
    }
    let mask = r.expect("membarrier(MEMBARRIER_CMD_QUERY)");
    // SAFETY: membarrier takes no pointers.
    let libc_mask = unsafe { libc::syscall(libc::SYS_membarrier, 0, 0, 0) };
    assert_eq!(i64::from(mask), libc_mask as i64, "the same call as libc's");
    let needed = MEMBARRIER_CMD_GLOBAL
        | MEMBARRIER_CMD_GLOBAL_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
        | MEMBARRIER_CMD_PRIVATE_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    assert_eq!(mask & needed, needed, "mask {mask:#x}");
    assert_eq!(mask & MEMBARRIER_CMD_QUERY, 0);
    assert_eq!(
        b.membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0),
        Ok(0)
    );
    assert_eq!(b.membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0), Ok(0));
    assert_eq!(b.membarrier(MEMBARRIER_CMD_QUERY, 1, 0), Err(Errno::INVAL));
    assert_eq!(b.membarrier(1 << 30, 0, 0), Err(Errno::INVAL));
}

/// The C library's reading of `clock`, as `(seconds, nanoseconds)`.
fn libc_clock(clock: i32) -> (i64, i64) {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a live local timespec that clock_gettime writes.
    let r = unsafe { libc::clock_gettime(clock, &mut t) };
    assert_eq!(r, 0, "clock_gettime({clock})");
    (t.tv_sec, t.tv_nsec)
}

/// `clock_gettime`: `CLOCK_MONOTONIC` is the C library's monotonic clock (a
/// reading of ours falls between two of libc's, so a wrong call number or clock id
/// shows), `CLOCK_REALTIME` agrees with libc's within a second, nanoseconds are in
/// range, and a clock that does not exist is `EINVAL`.
pub fn clock_gettime_matches_libc<B: Backend>(b: &B) {
    for _ in 0..100 {
        let before = libc_clock(CLOCK_MONOTONIC);
        let t = b.clock_gettime(CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC");
        let after = libc_clock(CLOCK_MONOTONIC);
        assert!(
            before <= (t.tv_sec, t.tv_nsec) && (t.tv_sec, t.tv_nsec) <= after,
            "{before:?} <= ({}, {}) <= {after:?}",
            t.tv_sec,
            t.tv_nsec
        );
        assert!((0..1_000_000_000).contains(&t.tv_nsec));
    }
    let t = b.clock_gettime(CLOCK_REALTIME).expect("CLOCK_REALTIME");
    let (secs, _) = libc_clock(CLOCK_REALTIME);
    assert!((t.tv_sec - secs).abs() <= 1, "{} vs {secs}", t.tv_sec);
    assert!((0..1_000_000_000).contains(&t.tv_nsec));
    assert_eq!(b.clock_gettime(1000).map(|_| ()), Err(Errno::INVAL));
}

/// `clock_nanosleep`: a relative sleep on `CLOCK_MONOTONIC` lasts at least its
/// request by the C library's clock (a lower bound the kernel guarantees; the upper
/// one is generous, for a loaded host), and a clock that does not exist or a
/// request out of range is `EINVAL`, with no sleep.
pub fn clock_nanosleep_sleeps_the_request<B: Backend>(b: &B) {
    let nanos = |(s, ns): (i64, i64)| s * 1_000_000_000 + ns;
    for request_ns in [1_000, 2_000_000] {
        let before = nanos(libc_clock(CLOCK_MONOTONIC));
        let request = timespec {
            tv_sec: 0,
            tv_nsec: request_ns,
        };
        b.clock_nanosleep(CLOCK_MONOTONIC, &request)
            .expect("CLOCK_MONOTONIC");
        let slept = nanos(libc_clock(CLOCK_MONOTONIC)) - before;
        assert!(slept >= request_ns, "slept {slept} ns for {request_ns}");
        assert!(slept < 2_000_000_000, "slept {slept} ns for {request_ns}");
    }
    let short = timespec {
        tv_sec: 0,
        tv_nsec: 1,
    };
    b.clock_nanosleep(CLOCK_REALTIME, &short)
        .expect("CLOCK_REALTIME");
    assert_eq!(b.clock_nanosleep(1000, &short), Err(Errno::INVAL));
    for (tv_sec, tv_nsec) in [(0, 1_000_000_000), (0, -1), (-1, 0)] {
        let bad = timespec { tv_sec, tv_nsec };
        assert_eq!(
            b.clock_nanosleep(CLOCK_MONOTONIC, &bad),
            Err(Errno::INVAL),
            "({tv_sec}, {tv_nsec})"
        );
    }
}

/// `futex_wake`: wakes a process sleeping in `FUTEX_WAIT` on a word of a shared
/// mapping (what an asynchronous waiter on a layout's flag does; a wrong call
/// number or a private operation would never wake it), answers how many it woke,
/// 0 with nobody waiting, and `EINVAL` for an unaligned word.
pub fn futex_wake_wakes_a_process_waiting_on_a_shared_word<B: Backend>(b: &B) {
    // SAFETY: a fresh anonymous shared page; no address hint.
    let page = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(page, libc::MAP_FAILED);
    let word = page.cast::<u32>();
    assert_eq!(b.futex_wake(word, 1), Ok(0), "nobody waits yet");
    assert_eq!(
        b.futex_wake(word.cast::<u8>().wrapping_add(1).cast(), 1),
        Err(Errno::INVAL)
    );
    let waiter = fork_peer(move || {
        // SAFETY: FUTEX_WAIT (shared) reads the word, mapped in this child too.
        let r = unsafe { libc::syscall(libc::SYS_futex, word, libc::FUTEX_WAIT, 0u32, 0usize) };
        assert_eq!(r, 0, "woken, not {}", std::io::Error::last_os_error());
    });
    let start = std::time::Instant::now();
    loop {
        match b.futex_wake(word, 1) {
            Ok(1) => break,
            Ok(0) => {
                assert!(start.elapsed().as_secs() < 60, "the child never waited");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            r => panic!("futex_wake: {r:?}"),
        }
    }
    waiter.join();
    // SAFETY: the page mapped above, no longer used.
    unsafe { libc::munmap(page, 4096) };
}
