//! Interop with Python: the `sysv_ipc` package (Debian's `python3-sysv-ipc`, for
//! `/usr/bin/python3`) on the other end of a message queue, a semaphore and a shared
//! memory segment made by the crate, and its `ftok` beside [`Key::ftok`].
//!
//! The Python side is `tests/python/peer.py`, embedded and run with `python3 -c`.
//! Each IPC test runs in its own IPC namespace and starts Python from inside it.
//!
//! If `/usr/bin/python3 -c "import sysv_ipc"` fails the tests say so on stderr and
//! pass, except under CI (`CI` set), which installs the package: there they fail.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::shm::Shm;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemOp, SemSet};
use sysv_ipc_testkit::in_ipc_namespace;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The system Python, by full path: another `python3` may come first on `PATH`
/// (pyenv, a venv) without Debian's `sysv_ipc`.
const PYTHON: &str = "/usr/bin/python3";

/// The Python side, embedded so the test binary needs no source tree at run time.
const PEER_PY: &str = include_str!("python/peer.py");

/// `RECORD = struct.Struct("=QiId8s")` in `peer.py`.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Record {
    seq: u64,
    temp: i32,
    flags: u32,
    value: f64,
    tag: [u8; 8],
}

/// `TELEMETRY = struct.Struct("=Q3diHB9sq")` in `peer.py`.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Telemetry {
    seq: u64,
    position: [f64; 3],
    temp_millis: i32,
    status: u16,
    flags: u8,
    name: [u8; 9],
    stamp: i64,
}

/// Whether Python's `sysv_ipc` is there. If not: a line on stderr (past the test
/// harness's capture) and `false`, or a failure under CI.
fn have_sysv_ipc(test: &str) -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import sysv_ipc"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "`{PYTHON} -c \"import sysv_ipc\"` fails under CI: .ci/run installs python3-sysv-ipc"
    );
    let _ = writeln!(
        std::io::stderr(),
        "{test}: skipped: `{PYTHON} -c \"import sysv_ipc\"` fails (install python3-sysv-ipc)"
    );
    false
}

fn python(args: &[&str]) -> Command {
    let mut cmd = Command::new(PYTHON);
    cmd.arg("-c").arg(PEER_PY).args(args);
    cmd
}

/// Runs the Python peer to the end; its stdout lines. Panics with its stderr if it
/// fails.
fn run(args: &[&str]) -> Vec<String> {
    lines(args, python(args).output().unwrap())
}

fn spawn(args: &[&str]) -> Child {
    python(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn lines(args: &[&str], out: Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "peer.py {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The whitespace-separated word after `name` in `line`, parsed.
fn field<T: std::str::FromStr>(line: &str, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    let mut words = line.split_whitespace();
    words.find(|w| *w == name);
    let word = words
        .next()
        .unwrap_or_else(|| panic!("no `{name}` in {line:?}"));
    word.parse()
        .unwrap_or_else(|e| panic!("`{name}` {word:?} in {line:?}: {e:?}"))
}

/// Polls `cond` every millisecond for up to 10 s.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sysv-ipc-interop-py-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

#[test]
fn messages_cross_both_ways_with_types_and_bytes() {
    if !have_sysv_ipc("messages_cross_both_ways_with_types_and_bytes") {
        return;
    }
    in_ipc_namespace(|| {
        let key = Key::new(0x5059_0001);
        let q = MsgQueue::create(key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sent = Record {
            seq: 0x0102_0304_0506_0708,
            temp: -40,
            flags: 0xf00d_cafe,
            value: 6.02214076e23,
            tag: *b"rust\0\0\0\0",
        };
        q.send(5, b"first").unwrap();
        q.send_value(2, &sent).unwrap();
        q.send(1_000_000, b"big type").unwrap();

        let out = run(&["msg", &key.raw().to_string()]);
        assert_eq!(out.len(), 5, "{out:#?}");
        assert_eq!(out[0], format!("id {}", q.id()));
        assert_eq!(out[1], format!("recv 5 5 {}", hex(b"first")));
        assert_eq!(out[2], format!("recv 2 32 {}", hex(sent.as_bytes())));
        assert_eq!(out[3], format!("recv 1000000 8 {}", hex(b"big type")));
        let line = &out[4];
        assert_eq!(field::<u64>(line, "seq"), sent.seq);
        assert_eq!(field::<i32>(line, "temp"), sent.temp);
        assert_eq!(field::<String>(line, "flags"), format!("{:#x}", sent.flags));
        // repr() of a Python float parses back to the same bits.
        assert_eq!(field::<f64>(line, "value").to_bits(), sent.value.to_bits());
        assert_eq!(field::<String>(line, "tag"), "rust");

        // Python queued 7 b"from python", 3 <record>, 7 b"" (an empty text).
        let (mtype, back) = q.recv_value::<Record>(Selector::Type(3)).unwrap();
        assert_eq!(mtype, 3);
        assert_eq!(
            back,
            Record {
                seq: sent.seq * 3,
                temp: 960,
                flags: sent.flags >> 4,
                value: -sent.value,
                tag: *b"python\0\0",
            }
        );
        let mut text = [0u8; 64];
        let got = q.recv(&mut text, Selector::Type(7)).unwrap();
        assert_eq!((got.mtype, &text[..got.len]), (7, &b"from python"[..]));
        let got = q.recv(&mut text, Selector::Any).unwrap();
        assert_eq!((got.mtype, got.len), (7, 0));
        let e = q.try_recv(&mut text, Selector::Any).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NoMessage);
        q.remove().unwrap();
    });
}

#[test]
fn python_acquire_and_release_meet_rust_semops() {
    if !have_sysv_ipc("python_acquire_and_release_meet_rust_semops") {
        return;
    }
    in_ipc_namespace(|| {
        let key = Key::new(0x5059_0002);
        // One semaphore: what `sysv_ipc.Semaphore` operates on (number 0).
        let set = SemSet::create(key, 1, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let child = spawn(&["sem", &key.raw().to_string()]);
        let py_pid = i32::try_from(child.id()).unwrap();

        // Python's acquire() blocks in semop(-1): the kernel counts it.
        wait_for("Python to block in acquire()", || {
            set.waiting_for_increase(0).unwrap() == 1
        });
        set.op(&[SemOp::post(0)]).unwrap();

        let out = lines(&["sem"], child.wait_with_output().unwrap());
        assert_eq!(
            out,
            ["start 0", "acquired 0 last_pid_is_me 1", "busy 3"],
            "Python saw 0, took what Rust posted, released 3, could not take 5"
        );
        assert_eq!(set.get(0).unwrap(), 3);
        assert_eq!(set.last_pid(0).unwrap(), py_pid);
        // Rust can take exactly the three Python released, and no more.
        set.op(&[SemOp::add(0, -3).nowait()]).unwrap();
        let e = set.op(&[SemOp::wait(0).nowait()]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        set.remove().unwrap();
    });
}

#[test]
fn python_unpacks_and_packs_the_shared_struct() {
    if !have_sysv_ipc("python_unpacks_and_packs_the_shared_struct") {
        return;
    }
    in_ipc_namespace(|| {
        let key = Key::new(0x5059_0003);
        let shm = Shm::<Telemetry>::create(key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let segment = *shm.segment();
        let written = Telemetry {
            seq: 1 << 40,
            position: [0.1, -0.0, 12345.678],
            temp_millis: -5_250,
            status: 0x00ff,
            flags: 0x81,
            name: *b"rust-side",
            stamp: i64::MAX - 1,
        };
        shm.write(&written);

        let out = run(&["shm", &key.raw().to_string(), &segment.id().to_string()]);
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(out[0], "id_matches 1 size 56");
        let line = &out[1];
        assert_eq!(field::<u64>(line, "seq"), 1 << 40);
        let mut words = line.split_whitespace().skip_while(|w| *w != "position");
        words.next();
        let position: Vec<u64> = words
            .take(3)
            .map(|w| w.parse::<f64>().unwrap().to_bits())
            .collect();
        assert_eq!(position, written.position.map(f64::to_bits));
        assert_eq!(field::<i32>(line, "temp_millis"), -5_250);
        assert_eq!(field::<u16>(line, "status"), 0x00ff);
        assert_eq!(field::<u8>(line, "flags"), 0x81);
        assert_eq!(field::<String>(line, "name"), "rust-side");
        assert_eq!(field::<i64>(line, "stamp"), i64::MAX - 1);

        let back = shm.read();
        assert_eq!(
            back,
            Telemetry {
                seq: 1 << 41,
                position: [-0.1, 0.0, -12345.678],
                temp_millis: -5_243,
                status: 0xff00,
                flags: 0x40,
                name: *b"py-writer",
                stamp: i64::MAX,
            }
        );
        // -(-0.0) is +0.0: the sign bit crossed as Python wrote it.
        assert_eq!(back.position[1].to_bits(), 0.0f64.to_bits());
        assert_eq!(segment.stat().unwrap().nattch, 1, "Python detached");
        drop(shm);
        segment.remove().unwrap();
    });
}

#[test]
fn python_ftok_equals_key_ftok() {
    if !have_sysv_ipc("python_ftok_equals_key_ftok") {
        return;
    }
    let dir = TempDir::new();
    let mut paths: Vec<PathBuf> = (0..4).map(|i| dir.0.join(format!("file-{i}"))).collect();
    for p in &paths {
        fs::write(p, b"").unwrap();
    }
    // A symlink (ftok follows it), the directory itself, and files elsewhere (other
    // inodes, maybe another device).
    let link = dir.0.join("link-to-file-0");
    std::os::unix::fs::symlink(&paths[0], &link).unwrap();
    paths.extend([link, dir.0.clone(), "/".into(), "/etc/passwd".into()]);

    let path_args: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    for proj in [1u8, b'A', 0x7f, 0x80, 0xff] {
        let mut args = vec!["ftok".to_owned(), proj.to_string()];
        args.extend(path_args.iter().map(|p| (*p).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let ours: Vec<String> = paths
            .iter()
            .map(|p| Key::ftok(&cstring(p), proj).unwrap().raw().to_string())
            .collect();
        assert_eq!(out, ours, "proj {proj:#x}, paths {path_args:#?}");
    }
    // The symlink gives its target's key; and the keys are not all alike (two files
    // may share one, as ftok keeps only 16 bits of the inode, but not six).
    let keys: Vec<Key> = paths
        .iter()
        .map(|p| Key::ftok(&cstring(p), b'A').unwrap())
        .collect();
    assert_eq!(keys[4], keys[0]);
    let distinct: std::collections::HashSet<Key> = keys.iter().copied().collect();
    assert!(distinct.len() >= 3, "{keys:?}");
}
