//! The crate's binaries (`ipcs`, `ipcmk`, `ipcrm`, `lsipc`) against util-linux's
//! own (`/usr/bin/...`, 2.38): the same objects, both tools, outputs compared byte
//! for byte. Each test runs in a fresh IPC namespace.
//!
//! Both run as child processes of the same namespace, started the same way: with
//! `LC_ALL=C` (our tools print only English) and `argv[0]` set to the bare name
//! (getopt's messages quote `argv[0]`). Ours are the binaries cargo built for this
//! test (see [`ours_path`]).
//!
//! Nothing is normalised. Times agree because both tools read the same kernel
//! timestamps; `lsipc`'s short times ("14:44" today, "Nov26" otherwise) would differ
//! only if midnight fell between the two runs. Starting a tool changes nothing
//! either: std's `Command` starts both with `posix_spawn`, whose child shares this
//! process's memory until it execs, so the segments attached here are not copied
//! into it (a forked child's exec would detach its copies and make its pid their
//! `lpid`, different for each tool: the tests that start tools from forked
//! children keep their segments attached in a peer instead, see `attach_in_peer`).
//!
//! Where this clone deliberately differs (three util-linux 2.38 bugs fixed in later
//! releases), the tests assert the exact difference.
//!
//! `lsipc` fits its table to a terminal: the tests at the end run both tools in
//! forked children whose standard output is a pseudo-terminal of a chosen size (or a
//! pipe), with a chosen `COLUMNS`, and compare what arrives on the other side.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::{Intent, Key, Mode, Owner, Removable, Segment, SemOp, SemSet};
use sysv_ipc_testkit::{
    as_user, fork_peer, in_ipc_namespace, is_root, needs_root, wait_until_blocked,
};
use sysv_ipc_tools::cli::Captured;

/// The binaries of ours, opened once: in `SYSV_IPC_TOOLS_DIR` (`.ci/unprivileged`,
/// where the target directory may be out of reach), or as cargo built them.
static OURS: OnceLock<[(&str, File); 4]> = OnceLock::new();

/// Our `name` as a path to run: `/proc/self/fd/N` of its open binary (see [`OURS`]),
/// whose `execve` needs only the file's own permission (0755 from cargo), not the
/// right to walk the directories above it. So a test that runs ours as uid 65534
/// (`as_user`) can, wherever the target directory is, when the binaries were opened
/// before dropping root: every test opens them first ([`opened`]).
fn ours_path(name: &str) -> String {
    let (_, file) = opened()
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no tool {name}"));
    format!("/proc/self/fd/{}", file.as_raw_fd())
}

/// [`OURS`], opened now if they were not.
fn opened() -> &'static [(&'static str, File); 4] {
    OURS.get_or_init(|| {
        let built = [
            ("ipcs", env!("CARGO_BIN_EXE_ipcs")),
            ("ipcmk", env!("CARGO_BIN_EXE_ipcmk")),
            ("ipcrm", env!("CARGO_BIN_EXE_ipcrm")),
            ("lsipc", env!("CARGO_BIN_EXE_lsipc")),
        ];
        built.map(|(name, path)| {
            let path = match std::env::var_os("SYSV_IPC_TOOLS_DIR") {
                Some(dir) => PathBuf::from(dir).join(name),
                None => PathBuf::from(path),
            };
            let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, file)
        })
    })
}

/// `name` run from `path` with `args`, as a shell would run it.
fn run(path: &str, name: &str, args: &[&str]) -> Captured {
    let out = Command::new(path)
        .arg0(name)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("run {path} ({name}): {e}"));
    Captured {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// util-linux's tool.
fn real(name: &str, args: &[&str]) -> Captured {
    run(&format!("/usr/bin/{name}"), name, args)
}

/// Ours.
fn ours(name: &str, args: &[&str]) -> Captured {
    run(&ours_path(name), name, args)
}

/// Opens ours ([`opened`], as root if the test runs as root) and tells whether
/// util-linux 2.38 is here to compare with. Without it the comparisons are skipped
/// with a message, except under CI (`CI` set), where that fails: util-linux is
/// essential on Debian, and another version prints other columns.
fn ready_to_compare() -> bool {
    opened();
    let version = Command::new("/usr/bin/ipcs")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if version.contains("util-linux 2.38") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "util-linux 2.38's ipcs is needed under CI, found {version:?}"
    );
    eprintln!("skipped: /usr/bin/ipcs is not util-linux 2.38 ({version:?})");
    false
}

/// Runs the real tool, then ours, and fails on the first difference.
#[track_caller]
fn same(name: &str, args: &[&str]) -> Captured {
    let mut theirs = real(name, args);
    let mine = ours(name, args);
    if name == "lsipc" {
        theirs.stdout = fix_semmns(&theirs.stdout);
    }
    assert_eq!(
        mine,
        theirs,
        "`{name} {}`: ours (left) differs from util-linux's (right)",
        args.join(" ")
    );
    mine
}

/// util-linux 2.38's `lsipc` global view with its one wrong number corrected:
/// `SEMMNS`'s USED, which 2.38 computes as the first set's semaphores times the
/// number of sets (fixed in util-linux 2.39), replaced by the true total the crate's
/// enumeration gives. Text (a USED column of 4, enough for these tests), `NAME="value"` pairs and
/// JSON.
/// Nothing else is touched, so every other byte is still compared.
fn fix_semmns(theirs: &str) -> String {
    let sets: Vec<usize> = sysv_ipc::info::semaphore_sets()
        .unwrap()
        .map(|r| r.unwrap().1.nsems)
        .collect();
    let wrong = sets.first().map_or(0, |n| n * sets.len());
    let right: usize = sets.iter().sum();
    if wrong == right {
        return theirs.to_owned();
    }
    let mut fixed = String::new();
    let mut in_semmns_json = false;
    for line in theirs.split_inclusive('\n') {
        if line.starts_with("RESOURCE=\"SEMMNS\"") {
            let from = format!("USED=\"{wrong}\"");
            assert!(line.contains(&from), "SEMMNS pairs {line:?} lack {from:?}");
            fixed += &line.replacen(&from, &format!("USED=\"{right}\""), 1);
        } else if line.trim_start().starts_with("SEMMNS ") {
            let from = format!(" {wrong:>4} ");
            assert!(line.contains(&from), "SEMMNS line {line:?} lacks {from:?}");
            fixed += &line.replacen(&from, &format!(" {right:>4} "), 1);
        } else if line.contains("\"resource\": \"SEMMNS\"") {
            in_semmns_json = true;
            fixed += line;
        } else if in_semmns_json && line.contains("\"used\": ") {
            in_semmns_json = false;
            let from = format!("\"used\": \"{wrong}\"");
            assert!(line.contains(&from), "SEMMNS JSON {line:?} lacks {from:?}");
            fixed += &line.replacen(&from, &format!("\"used\": \"{right}\""), 1);
        } else {
            fixed += line;
        }
    }
    fixed
}

/// Every listing `ipcs` and `lsipc` offer over whatever exists now.
fn every_view() {
    for args in [
        &[][..],
        &["-a"],
        &["-q"],
        &["-m"],
        &["-s"],
        &["-b"],
        &["--human"],
        &["-t"],
        &["-p"],
        &["-c"],
        &["-l"],
        &["-l", "-b"],
        &["-l", "--human"],
        &["-u"],
        &["-u", "-b"],
        &["-u", "--human"],
        &["-q", "-t"],
        &["-m", "-p"],
        &["-s", "-p"],
        &["-s", "-c"],
        &["-m", "--human"],
    ] {
        same("ipcs", args);
    }
    for args in [
        &[][..],
        &["-b"],
        &["-g"],
        &["-g", "-b"],
        &["-g", "-q"],
        &["-g", "-m", "-b"],
        &["--json"],
        &["-q"],
        &["-q", "-b"],
        &["-q", "--json"],
        &["-q", "-t"],
        &["-m"],
        &["-m", "-b"],
        &["-m", "--json"],
        &["-m", "-t", "-b"],
        &["-m", "-r"],
        &["-s"],
        &["-s", "--json"],
        &["-s", "-t", "--time-format=iso"],
        &["-s", "-c"],
        &["-s", "-e"],
        &["-q", "-n"],
        &[
            "-m",
            "--noheadings",
            "-o",
            "ID,PERMS,USER,GROUP,CUSER,CGROUP,NATTCH",
        ],
        &["-g", "-y", "-e"],
        &["-g", "-y"],
        &["-m", "-y", "--notruncate"],
    ] {
        same("lsipc", args);
    }
}

/// The `-i` views of every object that exists now.
fn every_id_view() {
    let msg: Vec<i32> = sysv_ipc::info::message_queues()
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    let shm: Vec<i32> = sysv_ipc::info::segments()
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    let sem: Vec<i32> = sysv_ipc::info::semaphore_sets()
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    for (kind, lskind, ids) in [("-q", "-q", msg), ("-m", "-m", shm), ("-s", "-s", sem)] {
        for id in ids {
            let id = id.to_string();
            same("ipcs", &[kind, "-i", &id]);
            same("ipcs", &[kind, "-i", &id, "--human"]);
            same("lsipc", &[lskind, "-i", &id]);
            same("lsipc", &[lskind, "-i", &id, "--json"]);
        }
    }
}

#[test]
fn an_empty_namespace_looks_the_same() {
    if !ready_to_compare() {
        return;
    }
    in_ipc_namespace(|| {
        every_view();
        same("ipcs", &["-q", "-i", "0"]);
        same("lsipc", &["-s", "-i", "0"]);
        // The empty JSON table is named only for semaphores, as there.
        assert!(same("lsipc", &["-q", "-J"]).stdout.contains("\"\": ["));
        assert!(
            same("lsipc", &["-s", "-J"])
                .stdout
                .contains("\"semaphores\": [")
        );
    });
}

/// Queues with messages, sets with a blocked waiter, segments attached, locked and
/// removed while attached, an owner without a name: every view agrees.
#[test]
fn objects_of_every_kind_look_the_same() {
    if !ready_to_compare() {
        return;
    }
    in_ipc_namespace(|| {
        let q = MsgQueue::create(Key::new(0x1234), Intent::CreateNew, Mode::new(0o644)).unwrap();
        q.send(1, b"hello").unwrap();
        q.send(2, &[7u8; 3000]).unwrap();
        q.send(3, b"").unwrap();
        let mut buf = [0u8; 16];
        q.recv(&mut buf, Selector::Type(1)).unwrap();
        let empty = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::new(0o600)).unwrap();
        // An owner no passwd entry names: ipcs prints the number. Only with a
        // real root: in the user namespace of an unprivileged run only uid 0 is
        // mapped, and IPC_SET refuses the others (EINVAL).
        if is_root() {
            empty
                .set_owner(Owner {
                    uid: 12345,
                    gid: 54321,
                    mode: Mode::new(0o640),
                })
                .unwrap();
        }

        let set = SemSet::create(Key::new(0x2345), 3, Intent::CreateNew, Mode::new(0o660)).unwrap();
        set.set(1, 5).unwrap();
        set.op(&[SemOp::add(2, 2)]).unwrap();
        let one = SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::new(0o600)).unwrap();

        let seg =
            Segment::create(Key::new(0x3456), 1536, Intent::CreateNew, Mode::new(0o644)).unwrap();
        let _att = seg.attach().unwrap();
        let doomed = Segment::create(
            Key::new(0x4567),
            100_000,
            Intent::CreateNew,
            Mode::new(0o600),
        )
        .unwrap();
        let att2 = doomed.attach().unwrap();
        att2.write(0, &[1; 8192]).unwrap();
        doomed.remove().unwrap();
        let locked =
            Segment::create(Key::new(0x5678), 4096, Intent::CreateNew, Mode::new(0o600)).unwrap();
        locked.lock().unwrap();
        let _big = Segment::create(
            Key::new(0x6789),
            3 << 20,
            Intent::CreateNew,
            Mode::new(0o666),
        )
        .unwrap();

        // A process blocked on a semaphore: `-i` shows it in ncount.
        let waiter_set = set;
        let waiter = fork_peer(move || waiter_set.op(&[SemOp::wait(0)]).unwrap());
        wait_until_blocked(waiter.pid());

        let listing = same("ipcs", &["-m"]).stdout;
        assert!(
            listing.contains("0x00000000 "),
            "the removed segment's key is private"
        );
        assert!(
            listing.contains("dest"),
            "and it is marked dest:\n{listing}"
        );
        assert!(listing.contains("locked"), "{listing}");
        assert_eq!(same("ipcs", &["-q"]).stdout.contains("12345"), is_root());
        let detail = same("ipcs", &["-s", "-i", &set.id().to_string()]).stdout;
        assert!(
            detail.contains("\n0          0          1 "),
            "a waiter on 0:\n{detail}"
        );

        every_view();
        every_id_view();

        set.op(&[SemOp::post(0)]).unwrap();
        waiter.join();
        let _ = one;
    });
}

/// Objects of another user (uid 65534), and the views of that user, who may not
/// read everything: `ipcs -i` of an unreadable queue shows qbytes=0, of an
/// unreadable set fails on GETVAL, as util-linux does.
#[test]
fn other_users_objects_and_views_look_the_same() {
    if !ready_to_compare() || !needs_root("other_users_objects_and_views_look_the_same") {
        return;
    }
    in_ipc_namespace(|| {
        as_user(65534, 65534, || {
            let q = MsgQueue::create(Key::new(0x111), Intent::CreateNew, Mode::new(0o600)).unwrap();
            q.send(5, b"from nobody").unwrap();
            SemSet::create(Key::new(0x222), 2, Intent::CreateNew, Mode::new(0o640)).unwrap();
            Segment::create(Key::new(0x333), 10, Intent::CreateNew, Mode::new(0o604)).unwrap();
        });
        let root_q =
            MsgQueue::create(Key::new(0x444), Intent::CreateNew, Mode::new(0o600)).unwrap();
        let root_sem =
            SemSet::create(Key::new(0x555), 1, Intent::CreateNew, Mode::new(0o600)).unwrap();
        assert!(same("ipcs", &[]).stdout.contains("nobody"));
        every_view();
        every_id_view();
        let (qid, sid) = (root_q.id().to_string(), root_sem.id().to_string());
        as_user(65534, 65534, || {
            every_view();
            let q = same("ipcs", &["-q", "-i", &qid]);
            assert!(q.stdout.contains("qbytes=0\t"), "{q:?}");
            let s = same("ipcs", &["-s", "-i", &sid]);
            assert_eq!(s.status, 1);
            assert_eq!(s.stderr, "ipcs: semctl(GETVAL) failed: Permission denied\n");
            same("lsipc", &["-s", "-i", &sid]);
        });
    });
}

#[test]
fn bad_usage_of_ipcs_and_lsipc_ends_the_same() {
    if !ready_to_compare() {
        return;
    }
    in_ipc_namespace(|| {
        for args in [
            &["-x"][..],
            &["--foo"],
            &["--foo=1"],
            &["-i"],
            &["--id"],
            &["--s"],
            &["--sh"],
            &["-i", "abc", "-q"],
            &["-q", "-i", "99999999999"],
            &["-i", "1"],
            &["-a", "-i", "1"],
            &["-l=3"],
            &["--limits=3"],
            &["-q", "-i", "77"],
            &["-qi", "77"],
            &["--id=77", "-m"],
            &["extra", "-q"],
            &["-q", "--", "-s"],
            &["--help"],
        ] {
            same("ipcs", args);
        }
        for args in [
            &["-q", "-s"][..],
            &["-c"],
            &["-g", "-i", "1"],
            &["-J", "-r"],
            &["-e", "-J"],
            &["-q", "-i", "77"],
            &["-o", "KEY,FOO", "-q"],
            &["-q", "-o", "SIZE"],
            &["-q", "-o", "+CTIME,NSEMS,KEY"],
            &["-m", "-c", "-t"],
            &["-q", "-t", "-o", "KEY"],
            &["--time-format=week", "-q"],
            &["-i", "x", "-s"],
            &["-q", "-q", "-q"],
            &["-m", "-m", "-m", "-m", "-m", "-m", "-m"],
            &["--help"],
        ] {
            same("lsipc", args);
        }
    });
}

/// The three util-linux 2.38 bugs this clone does not copy, each asserted as the
/// exact difference: `SEMMNS`'s USED, the CGID column of queues and segments, and
/// `-P` on queues.
#[test]
fn lsipc_fixes_three_bugs_of_util_linux_2_38() {
    if !ready_to_compare() || !needs_root("lsipc_fixes_three_bugs_of_util_linux_2_38") {
        return;
    }
    in_ipc_namespace(|| {
        SemSet::create(Key::new(1), 1, Intent::CreateNew, Mode::new(0o600)).unwrap();
        SemSet::create(Key::new(2), 3, Intent::CreateNew, Mode::new(0o600)).unwrap();
        // 2.38 adds the first set's count once per set: 1 + 1.
        let semmns = |out: &str| -> Vec<String> {
            let line = out
                .lines()
                .find(|l| l.starts_with("SEMMNS"))
                .unwrap()
                .to_owned();
            line.split_whitespace().map(str::to_owned).collect()
        };
        let theirs = real("lsipc", &["-g"]).stdout;
        let mine = ours("lsipc", &["-g"]).stdout;
        assert_eq!(semmns(&theirs)[6], "2", "{theirs}");
        assert_eq!(semmns(&mine)[6], "4", "{mine}");
        assert_eq!(mine, fix_semmns(&theirs), "only SEMMNS's USED differs");

        // Created by uid 0 with gid 65534: 2.38 prints the creator's uid as CGID.
        as_user(0, 65534, || {
            MsgQueue::create(Key::new(3), Intent::CreateNew, Mode::new(0o644)).unwrap();
            Segment::create(Key::new(4), 8, Intent::CreateNew, Mode::new(0o644)).unwrap();
        });
        for kind in ["-q", "-m"] {
            let args = [kind, "-o", "ID,CUID,CGID", "--noheadings", "-r"];
            assert_eq!(real("lsipc", &args).stdout, "0 0 0\n");
            assert_eq!(ours("lsipc", &args).stdout, "0 0 65534\n");
        }

        // -P: 2.38 leaves a queue's PERMS empty.
        let args = ["-q", "-P", "-o", "ID,PERMS", "-r", "--noheadings"];
        assert_eq!(real("lsipc", &args).stdout, "0 \n");
        assert_eq!(ours("lsipc", &args).stdout, "0 0644\n");
        same("lsipc", &["-m", "-P", "-o", "ID,PERMS"]);
    });
}

/// glibc's `struct shm_info` (`<sys/shm.h>`), which the libc crate does not have.
#[repr(C)]
#[derive(Default)]
struct ShmInfo {
    used_ids: libc::c_int,
    shm_tot: libc::c_ulong,
    shm_rss: libc::c_ulong,
    shm_swp: libc::c_ulong,
    swap_attempts: libc::c_ulong,
    swap_successes: libc::c_ulong,
}

/// `ipcs -u`'s shared memory status prints every field of `shm_info`, the swap
/// counters included, as util-linux does; the crate's `ShmUsage` holds what a
/// direct `shmctl(0, SHM_INFO)` through glibc returns.
#[test]
fn ipcs_u_prints_every_field_of_shm_info() {
    if !ready_to_compare() {
        return;
    }
    in_ipc_namespace(|| {
        let page = sysv_ipc_tools::text::page_size() as usize;
        let seg = Segment::create(
            Key::new(0x77),
            5 * page,
            Intent::CreateNew,
            Mode::new(0o600),
        )
        .unwrap();
        let att = seg.attach().unwrap();
        // Two pages touched.
        att.write(page - 1, &[1, 1]).unwrap();
        Segment::create(Key::PRIVATE, 100, Intent::CreateNew, Mode::new(0o600)).unwrap();

        let mut raw = ShmInfo::default();
        /// `SHM_INFO` in `<sys/shm.h>` (not in the libc crate for Linux).
        const SHM_INFO: libc::c_int = 14;
        // SAFETY: SHM_INFO writes one `struct shm_info` through the pointer, which
        // is a live local of glibc's layout.
        let r = unsafe { libc::shmctl(0, SHM_INFO, (&raw mut raw).cast()) };
        assert!(
            r >= 0,
            "shmctl(SHM_INFO): {}",
            std::io::Error::last_os_error()
        );
        let u = sysv_ipc::info::shm_usage().unwrap();
        assert_eq!(
            (
                u.segments,
                u.pages_total,
                u.pages_resident,
                u.pages_swapped,
                u.swap_attempts,
                u.swap_successes
            ),
            (
                raw.used_ids as u32,
                raw.shm_tot,
                raw.shm_rss,
                raw.shm_swp,
                raw.swap_attempts,
                raw.swap_successes
            )
        );
        assert_eq!((u.segments, u.pages_total, u.pages_resident), (2, 6, 2));

        let expected = format!(
            "------ Shared Memory Status --------\n\
             segments allocated {}\n\
             pages allocated {}\n\
             pages resident  {}\n\
             pages swapped   {}\n\
             Swap performance: {} attempts\t {} successes\n",
            raw.used_ids,
            raw.shm_tot,
            raw.shm_rss,
            raw.shm_swp,
            raw.swap_attempts,
            raw.swap_successes
        );
        for args in [&["-m", "-u"][..], &["-u"]] {
            let out = same("ipcs", args).stdout;
            assert!(out.contains(&expected), "{out}\nlacks\n{expected}");
        }
        drop(att);
    });
}

// ---- ipcmk and ipcrm: outputs and effects ---------------------------------------------

/// Runs `f` in a fresh IPC namespace and brings back what it returns.
fn in_fresh_namespace(f: impl FnOnce() -> String) -> String {
    let path = std::env::temp_dir().join(format!(
        "sysv-ipc-tools-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_file(&path);
    let p = path.clone();
    in_ipc_namespace(move || std::fs::write(&p, f()).unwrap());
    let s = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    s
}

/// What exists, without keys (ipcmk's are random): kind, id, mode, size or count.
fn snapshot() -> String {
    let mut s = String::new();
    for r in sysv_ipc::info::message_queues().unwrap() {
        let (id, q) = r.unwrap();
        s += &format!("msg {id} {:o} {}\n", q.perm.raw_mode, q.perm.key);
    }
    for r in sysv_ipc::info::segments().unwrap() {
        let (id, m) = r.unwrap();
        s += &format!("shm {id} {:o} {} {}\n", m.perm.raw_mode, m.size, m.perm.key);
    }
    for r in sysv_ipc::info::semaphore_sets().unwrap() {
        let (id, m) = r.unwrap();
        s += &format!(
            "sem {id} {:o} {} {}\n",
            m.perm.raw_mode, m.nsems, m.perm.key
        );
    }
    s
}

/// `name args` by `run` after `setup`, each in its own namespace: output, exit
/// status and what is left (keys dropped for ipcmk, whose keys are random).
fn effect(run: fn(&str, &[&str]) -> Captured, setup: fn(), name: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let name = name.to_owned();
    in_fresh_namespace(move || {
        setup();
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let c = run(&name, &a);
        let mut left = snapshot();
        if name == "ipcmk" {
            left = left
                .lines()
                .map(|l| l.rsplit_once(' ').map_or(l, |(rest, _key)| rest).to_owned() + "\n")
                .collect();
        }
        format!(
            "status {}\nstdout:\n{}stderr:\n{}left:\n{left}",
            c.status, c.stdout, c.stderr
        )
    })
}

#[track_caller]
fn same_effect(setup: fn(), name: &str, args: &[&str]) {
    let theirs = effect(real, setup, name, args);
    let mine = effect(ours, setup, name, args);
    assert_eq!(
        mine,
        theirs,
        "`{name} {}`: ours (left) differs from util-linux's (right)",
        args.join(" ")
    );
}

fn nothing() {}

#[test]
fn ipcmk_creates_and_fails_the_same() {
    if !ready_to_compare() {
        return;
    }
    for args in [
        &["-Q"][..],
        &["-Q", "-Q"],
        &["-S", "3"],
        &["-M", "1.5K", "-p", "0600"],
        &["-M", "1KB", "-S", "2", "-Q", "-p", "640"],
        &["-M", "1.5KiB"],
        &["-M", "0x10"],
        &["-M", "010"],
        &["-M", "1k"],
        &["-M", "1.25K"],
        &["-M", "1.10K"],
        &["--shmem=2M", "--mode", "604"],
        &["--sem", "1", "--queue"],
        &["-M", "abc"],
        &["-M", "1.5"],
        &["-M", "1.0"],
        &["-M", "1x"],
        &["-M", "-1"],
        &["-M", "0"],
        &["-M", "99999999999999999999"],
        &["-M", "20E"],
        &["-S", "abc"],
        &["-S", "0"],
        &["-S", "-1"],
        &["-S", "99999999999"],
        &["-p", "999", "-Q"],
        &["-p", "abc", "-Q"],
        &["-p", "0", "-Q"],
        &["-Q", "-S", "0"],
        &[],
        &["-x"],
        &["-M"],
        &["--mode"],
        &["--help"],
    ] {
        same_effect(nothing, "ipcmk", args);
    }
}

/// A queue, a set and a segment under known keys, and one of each that uid 65534
/// owns or may not touch, for ipcrm.
fn ipcrm_setup() {
    MsgQueue::create(Key::new(0x10), Intent::CreateNew, Mode::new(0o644)).unwrap();
    SemSet::create(Key::new(0x20), 1, Intent::CreateNew, Mode::new(0o644)).unwrap();
    Segment::create(Key::new(0x30), 64, Intent::CreateNew, Mode::new(0o644)).unwrap();
    MsgQueue::create(Key::new(0x11), Intent::CreateNew, Mode::new(0o600)).unwrap();
}

#[test]
fn ipcrm_removes_and_fails_the_same() {
    if !ready_to_compare() {
        return;
    }
    for args in [
        &["-q", "0"][..],
        &["-q", "5"],
        &["-q", "abc"],
        &["-q", "99999999999"],
        &["-m", "0", "-s", "0"],
        &["-m", "5"],
        &["-s", "7"],
        &["-Q", "0x10"],
        &["-Q", "16"],
        &["-Q", "020"],
        &["-Q", "0"],
        &["-Q", "0x1234"],
        &["-Q", "abc"],
        &["-Q", "0x1g"],
        &["-Q", ""],
        &["-Q", "99999999999999999999"],
        &["-Q", "-1"],
        &["-M", "0x30", "-S", "0x20"],
        &["-M", "12"],
        &["-S", "0x5"],
        &["-a"],
        &["-a", "foo"],
        &["-ashm"],
        &["--all=sem"],
        &["--all=msg", "-v"],
        &["-ax"],
        &["shm", "0", "abc"],
        &["msg", "0", "1", ""],
        &["msg"],
        &["sem", "3", "0"],
        &["-v", "-q", "0", "-q", "0"],
        &["extra"],
        &["-q", "0", "extra"],
        &["--queue-id"],
        &["--queue"],
        &["-x"],
        &[],
        &["--help"],
    ] {
        same_effect(ipcrm_setup, "ipcrm", args);
    }
}

/// ipcrm as uid 65534 on root's objects: permission messages for what it may read,
/// silence from `-a` for what it may not.
#[test]
fn ipcrm_as_another_user_fails_the_same() {
    if !ready_to_compare() || !needs_root("ipcrm_as_another_user_fails_the_same") {
        return;
    }
    fn as_nobody(which: &'static str, args: &'static [&'static str]) -> String {
        in_fresh_namespace(move || {
            ipcrm_setup();
            let path = std::env::temp_dir().join(format!(
                "sysv-ipc-tools-nobody-{which}-{}",
                std::process::id()
            ));
            let p = path.clone();
            as_user(65534, 65534, move || {
                let c = if which == "real" {
                    real("ipcrm", args)
                } else {
                    ours("ipcrm", args)
                };
                std::fs::write(&p, format!("{c:?}")).unwrap();
            });
            let c = std::fs::read_to_string(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            format!("{c}\n{}", snapshot())
        })
    }
    for args in [
        &["-q", "0"][..],
        &["-Q", "0x11"],
        &["-Q", "0x10"],
        &["-m", "0"],
        &["-a"],
        &["-a", "-v"],
        &["msg", "0", "1"],
    ] {
        let theirs = as_nobody("real", args);
        let mine = as_nobody("ours", args);
        assert_eq!(mine, theirs, "`ipcrm {}` as uid 65534", args.join(" "));
    }
    // The checks above compare; this one pins a message.
    let c = as_nobody("ours", &["-q", "0"]);
    assert!(c.contains("ipcrm: permission denied for id (0)"), "{c}");
}

/// `ipcrm -a` as root empties the namespace, as util-linux's does, removed-but-attached
/// segments included (they stay listed as `dest` until detached).
#[test]
fn ipcrm_all_leaves_the_same() {
    if !ready_to_compare() {
        return;
    }
    fn setup() {
        ipcrm_setup();
        let s = Segment::create(Key::new(0x40), 64, Intent::CreateNew, Mode::new(0o600)).unwrap();
        // Kept attached for the rest of the namespace's life.
        std::mem::forget(s.attach().unwrap());
    }
    same_effect(setup, "ipcrm", &["-a"]);
    same_effect(setup, "ipcrm", &["-a", "-v"]);
    let left = effect(ours, setup, "ipcrm", &["-a"]);
    assert!(
        left.ends_with("left:\nshm 1 1600 64 0x00000000\n"),
        "{left}"
    );
}

// ---- on a terminal --------------------------------------------------------------------

/// Where [`shown`] sends a tool's standard output.
#[derive(Copy, Clone, Debug)]
enum Screen {
    /// A pseudo-terminal `cols` columns wide (0: a terminal nobody sized, as a fresh
    /// pseudo-terminal is), in raw mode so that what arrives is what was written.
    Tty(u16),
    /// A pipe: not a terminal.
    Pipe,
}

fn check(r: libc::c_int, what: &str) {
    assert!(r >= 0, "{what}: {}", std::io::Error::last_os_error());
}

/// Runs `name args` with its standard output on `screen` and `COLUMNS` set to
/// `columns` (or unset), started by a forked child: util-linux's tool (`real`) or
/// ours. Returns everything written there; both must exit with 0 and write nothing
/// to standard error.
fn shown(real: bool, name: &str, args: &[&str], screen: Screen, columns: Option<&str>) -> String {
    let (read_end, write_end) = match screen {
        Screen::Tty(cols) => {
            let (mut master, mut slave) = (-1, -1);
            let size = libc::winsize {
                ws_row: 24,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: the descriptors are written to live locals; no name buffer and
            // no termios are passed (null), the winsize is a live local.
            let r = unsafe {
                libc::openpty(
                    &mut master,
                    &mut slave,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    &size,
                )
            };
            check(r, "openpty");
            // SAFETY: `termios` is plain integers, for which zero is valid.
            let mut t: libc::termios = unsafe { std::mem::zeroed() };
            // SAFETY: `slave` is the terminal just opened; `t` is a live local.
            check(unsafe { libc::tcgetattr(slave, &mut t) }, "tcgetattr");
            // SAFETY: `t` is a live local termios.
            unsafe { libc::cfmakeraw(&mut t) };
            // SAFETY: as for tcgetattr.
            check(
                unsafe { libc::tcsetattr(slave, libc::TCSANOW, &t) },
                "tcsetattr",
            );
            (master, slave)
        }
        Screen::Pipe => {
            let mut fds = [-1; 2];
            // SAFETY: pipe2 writes two descriptors into the live local array.
            check(unsafe { libc::pipe2(fds.as_mut_ptr(), 0) }, "pipe2");
            (fds[0], fds[1])
        }
    };
    let argv: Vec<String> = std::iter::once(name)
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect();
    let columns = columns.map(str::to_owned);
    let name = name.to_owned();
    let peer = fork_peer(move || {
        // SAFETY: the child's own copies of the two descriptors; fd 1 becomes the
        // screen.
        check(unsafe { libc::dup2(write_end, 1) }, "dup2");
        // SAFETY: as above; neither is used again in the child.
        unsafe { libc::close(write_end) };
        // SAFETY: as above.
        unsafe { libc::close(read_end) };
        // Standard error is collected: nothing may be written there. No lock of
        // std's is taken but the environment's read lock (`Command` copies the
        // environment), as a fork that no writer of the environment races leaves it.
        let path = if real {
            format!("/usr/bin/{name}")
        } else {
            ours_path(&name)
        };
        let mut cmd = Command::new(&path);
        cmd.arg0(&name)
            .args(&argv[1..])
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::inherit());
        match &columns {
            Some(c) => cmd.env("COLUMNS", c),
            None => cmd.env_remove("COLUMNS"),
        };
        let o = cmd
            .output()
            .unwrap_or_else(|e| panic!("run {path} ({name}): {e}"));
        let (status, stderr) = (o.status.code().unwrap_or(-1), o.stderr);
        assert_eq!(
            (status, String::from_utf8_lossy(&stderr).as_ref()),
            (0, ""),
            "`{}` (real: {real})",
            argv.join(" ")
        );
    });
    // SAFETY: the parent's copy of the write end: closed so that the read end
    // reports the end (EIO for a terminal, EOF for a pipe) once the child is gone.
    unsafe { libc::close(write_end) };
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `buf` is a live local array of `buf.len()` bytes.
        let n = unsafe { libc::read(read_end, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            out.extend_from_slice(&buf[..n as usize]);
            continue;
        }
        let e = std::io::Error::last_os_error();
        if n < 0 && e.kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        assert!(n == 0 || e.raw_os_error() == Some(libc::EIO), "read: {e}");
        break;
    }
    // SAFETY: our read end, not used again.
    unsafe { libc::close(read_end) };
    peer.join();
    String::from_utf8(out).unwrap()
}

/// Ours and util-linux's on the same screen, compared; util-linux's output returned.
#[track_caller]
fn same_shown(name: &str, args: &[&str], screen: Screen, columns: Option<&str>) -> String {
    let theirs = shown(true, name, args, screen, columns);
    let mine = shown(false, name, args, screen, columns);
    assert_eq!(
        mine,
        theirs,
        "`{name} {}` on {screen:?}, COLUMNS={columns:?}: ours (left) differs from util-linux's (right)",
        args.join(" ")
    );
    theirs
}

/// A peer holding every segment named attached, so that the forks of the test's
/// own process (each tool runs in one) change nothing in them; it leaves when `set`'s
/// semaphore 0 is posted.
fn attach_in_peer(set: SemSet, segs: Vec<Segment>) -> sysv_ipc_testkit::Peer {
    let peer = fork_peer(move || {
        let held: Vec<_> = segs.iter().map(|s| s.attach().unwrap()).collect();
        set.op(&[SemOp::post(1)]).unwrap();
        set.op(&[SemOp::wait(0)]).unwrap();
        drop(held);
    });
    set.op(&[SemOp::wait(1)]).unwrap();
    peer
}

/// `lsipc` fitted to terminals of many widths: `COMMAND` cut (or not, with
/// `--notruncate`), an extreme `STATUS` ("dest,locked" among short ones) narrowed so
/// that its long cell pushes the rest of the row onto the next line, every view,
/// `COLUMNS` consulted only when the terminal has no size and never for a pipe.
/// `ipcs`, which prints with fixed formats, is the same on any screen.
#[test]
fn lsipc_fits_the_terminal_as_util_linux_does() {
    if !ready_to_compare() {
        return;
    }
    in_ipc_namespace(|| {
        let q = MsgQueue::create(Key::new(0x1234), Intent::CreateNew, Mode::new(0o644)).unwrap();
        q.send(1, &[1u8; 3000]).unwrap();
        let set = SemSet::create(Key::new(0x2345), 3, Intent::CreateNew, Mode::new(0o660)).unwrap();
        let segs: Vec<Segment> = (0..4)
            .map(|i| {
                Segment::create(
                    Key::new(0x3000 + i),
                    4096 << i,
                    Intent::CreateNew,
                    Mode::new(0o644),
                )
                .unwrap()
            })
            .collect();
        segs[1].lock().unwrap();
        let holder = attach_in_peer(set, segs.clone());
        segs[1].remove().unwrap();

        let plain = shown(true, "lsipc", &["-m"], Screen::Pipe, None);
        assert!(plain.contains(" dest,locked "), "{plain}");
        let cmdline = std::fs::read("/proc/self/cmdline").unwrap();
        let full = plain.lines().map(str::len).max().unwrap();
        assert!(
            full > 64 + 6 + 5,
            "COMMAND ({} bytes) is long enough to cut:\n{plain}",
            cmdline.len()
        );

        let sid = set.id().to_string();
        for args in [
            &[][..],
            &["-q"],
            &["-q", "-b", "-t"],
            &["-s"],
            &["-s", "-i", &sid],
            &["-g"],
            &["-g", "-y"],
            &["-m"],
            &["-m", "-t"],
            &["-m", "-c"],
            &["-m", "--notruncate"],
            &["-m", "--noheadings"],
            &["-m", "-y"],
            &["-m", "-o", "KEY,STATUS,COMMAND,ID"],
            &["-m", "-o", "COMMAND,STATUS", "--notruncate"],
            &["-m", "-r"],
            &["-m", "-e"],
            &["-m", "--json"],
        ] {
            let natural = shown(true, "lsipc", args, Screen::Pipe, None);
            let w = natural.lines().map(str::len).max().unwrap_or(0);
            let mut widths = vec![1, 20, 40, 60, 80, 132, 200, 250];
            widths.extend((w.saturating_sub(8)..=w + 1).filter(|&c| c > 0));
            for cols in widths {
                same_shown("lsipc", args, Screen::Tty(cols as u16), None);
            }
        }

        // What the terminal did: cut COMMAND, narrowed STATUS (the row goes on below
        // it), and nothing with --notruncate but the narrowing.
        let at80 = same_shown("lsipc", &["-m"], Screen::Tty(80), None);
        assert_ne!(at80, plain);
        assert!(at80.contains(" dest,locked\n "), "{at80}");
        assert!(at80.lines().all(|l| l.len() <= 80), "{at80}");
        let notrunc = same_shown("lsipc", &["-m", "--notruncate"], Screen::Tty(80), None);
        assert!(notrunc.lines().any(|l| l.len() > 80), "{notrunc}");
        assert_eq!(
            same_shown("lsipc", &["-m"], Screen::Tty(250), None),
            plain,
            "a wide enough terminal changes nothing"
        );

        // COLUMNS: only when the terminal has no size (0), only a plain positive
        // decimal int; 80 otherwise.
        let at = |cols: u16| same_shown("lsipc", &["-m"], Screen::Tty(cols), None);
        let (at50, at70) = (at(50), at(70));
        assert_ne!(at50, at80);
        assert_ne!(at70, at80);
        for (columns, expect) in [
            (None, &at80),
            (Some("50"), &at50),
            (Some(" 50"), &at50),
            (Some("+50"), &at50),
            (Some("070"), &at70),
            (Some("abc"), &at80),
            (Some(""), &at80),
            (Some("0"), &at80),
            (Some("-50"), &at80),
            (Some("50x"), &at80),
            (Some("50 "), &at80),
            (Some("0x40"), &at80),
            (Some("2147483648"), &at80),
            (Some("99999999999999999999"), &at80),
        ] {
            let shown = same_shown("lsipc", &["-m"], Screen::Tty(0), columns);
            assert_eq!(&shown, expect, "COLUMNS={columns:?} on an unsized terminal");
        }
        assert_eq!(
            same_shown("lsipc", &["-m"], Screen::Tty(70), Some("50")),
            at70,
            "the terminal's size wins over COLUMNS"
        );
        assert_eq!(
            same_shown("lsipc", &["-m"], Screen::Pipe, Some("20")),
            plain,
            "no fitting for a pipe, whatever COLUMNS says"
        );

        // ipcs: fixed printf formats, whatever the screen.
        for args in [
            &[][..],
            &["-m"],
            &["-t"],
            &["-p"],
            &["-c"],
            &["-l"],
            &["-u"],
        ] {
            let plain = same_shown("ipcs", args, Screen::Pipe, None);
            assert_eq!(same_shown("ipcs", args, Screen::Tty(20), None), plain);
            assert_eq!(same_shown("ipcs", args, Screen::Tty(0), Some("20")), plain);
        }

        set.op(&[SemOp::post(0)]).unwrap();
        holder.join();
    });
}

/// 2.38's unsigned arithmetic on an extreme `STATUS` whose longest cell ("dest") is
/// narrower than its header: on a terminal wide enough for the table, the column
/// shrinks to 4 and the header goes on below "STATUS". Ours does the same.
#[test]
fn lsipc_narrows_a_status_column_below_its_header_as_util_linux_2_38_does() {
    if !ready_to_compare() {
        return;
    }
    in_ipc_namespace(|| {
        let set = SemSet::create(Key::PRIVATE, 2, Intent::CreateNew, Mode::new(0o600)).unwrap();
        let segs: Vec<Segment> = (0..4)
            .map(|_| {
                Segment::create(Key::PRIVATE, 4096, Intent::CreateNew, Mode::new(0o600)).unwrap()
            })
            .collect();
        let holder = attach_in_peer(set, vec![segs[1]]);
        segs[1].remove().unwrap();
        let plain = same_shown("lsipc", &["-m"], Screen::Pipe, None);
        assert!(plain.starts_with("KEY        ID     PERMS OWNER SIZE NATTCH STATUS CTIME"));
        let wide = same_shown("lsipc", &["-m"], Screen::Tty(250), None);
        assert!(wide.contains(" STATUS\n"), "{wide}");
        for args in [
            &["-m", "-o", "ID,STATUS,KEY"][..],
            &["-m", "-o", "ID,STATUS"],
        ] {
            for cols in [250, 80, 40, 20, 10] {
                same_shown("lsipc", args, Screen::Tty(cols), None);
            }
        }
        set.op(&[SemOp::post(0)]).unwrap();
        holder.join();
    });
}
