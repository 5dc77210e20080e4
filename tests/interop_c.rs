//! Interop with C: a C program (`tests/c/peer.c`, compiled by the system `cc` when
//! the test runs) on the other end of a message queue, a semaphore set and a shared
//! memory segment made by the crate, through glibc's `msgrcv`, `semop`, `shmat` ...
//!
//! The C structs are declared field by field like the `#[repr(C)]` Rust ones; the
//! tests compare layouts, then the exact bytes and order of what crosses over in
//! each direction. Each IPC test runs in its own IPC namespace, and the C program is
//! started from inside it, so it sees the same objects and nothing else.

use std::ffi::CString;
use std::fs;
use std::mem::{offset_of, size_of};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::shm::Shm;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemOp, SemSet};
use sysv_ipc_testkit::{CProgram, in_ipc_namespace};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The C program's source, embedded so that the test binary needs nothing from the
/// source tree at run time (CI also runs it as another user from a copy).
const PEER_C: &str = include_str!("c/peer.c");

/// `struct record` in `peer.c`: sent as a typed message both ways.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Record {
    seq: u64,
    temp: i32,
    flags: u32,
    value: f64,
    tag: [u8; 8],
}

/// `struct telemetry` in `peer.c`: the value of a `Shm<Telemetry>`.
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

/// The compiled C peer (its directory goes with it).
struct CPeer(CProgram);

impl CPeer {
    /// Compiles `peer.c`, warnings as errors.
    fn build() -> CPeer {
        CProgram::compile("interop-c", &[("peer.c", PEER_C)], "peer.c", &["-O1"])
            .map(CPeer)
            .unwrap_or_else(|e| panic!("the C compiler failed on tests/c/peer.c:\n{e}"))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.0.exe());
        cmd.args(args);
        cmd
    }

    /// Runs the peer to the end; its stdout lines. Panics with its stderr if it fails.
    fn run(&self, args: &[&str]) -> Vec<String> {
        let out = self.command(args).output().unwrap();
        lines(args, out)
    }

    /// Starts the peer with stdout and stderr captured, for tests that act while it
    /// runs.
    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

fn lines(args: &[&str], out: Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "peer {args:?} failed ({}):\n{}",
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

/// The `n` words after `name` in `line`, parsed.
fn fields<T: std::str::FromStr>(line: &str, name: &str, n: usize) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    let mut words = line.split_whitespace();
    words.find(|w| *w == name);
    let got: Vec<T> = words.take(n).map(|w| w.parse().unwrap()).collect();
    assert_eq!(got.len(), n, "`{name}` in {line:?}");
    got
}

fn cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
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

#[test]
fn c_declares_the_same_layouts() {
    let peer = CPeer::build();
    let got = peer.run(&["layout"]);
    assert_eq!(
        got,
        [
            format!(
                "record {} seq {} temp {} flags {} value {} tag {}",
                size_of::<Record>(),
                offset_of!(Record, seq),
                offset_of!(Record, temp),
                offset_of!(Record, flags),
                offset_of!(Record, value),
                offset_of!(Record, tag),
            ),
            format!(
                "telemetry {} seq {} position {} temp_millis {} status {} flags {} name {} stamp {}",
                size_of::<Telemetry>(),
                offset_of!(Telemetry, seq),
                offset_of!(Telemetry, position),
                offset_of!(Telemetry, temp_millis),
                offset_of!(Telemetry, status),
                offset_of!(Telemetry, flags),
                offset_of!(Telemetry, name),
                offset_of!(Telemetry, stamp),
            ),
        ]
    );
}

#[test]
fn messages_cross_both_ways_with_types_bytes_and_structs() {
    let peer = CPeer::build();
    // The file both sides give to ftok: the C side finds the queue by this key.
    let key_file = peer.0.dir().join("queue-key");
    fs::write(&key_file, b"").unwrap();
    in_ipc_namespace(|| {
        let key = Key::ftok(&cstring(&key_file), b'I').unwrap();
        let q = MsgQueue::create(key, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let sent = Record {
            seq: 0x1122_3344_5566_7788,
            temp: -273,
            flags: 0x8000_0001,
            value: 1.0 / 3.0,
            tag: *b"rust->C\0",
        };
        q.send(5, b"first").unwrap();
        q.send_value(2, &sent).unwrap();
        q.send(5, b"third").unwrap();

        let id = q.id().to_string();
        let path = key_file.to_str().unwrap();
        let out = peer.run(&["msg", &id, path]);
        assert_eq!(out.len(), 5, "{out:#?}");
        assert_eq!(out[0], format!("key {:#x} id {id}", key.raw() as u32));
        // Queue order, exact lengths, exact bytes: the struct is its 32 bytes, no
        // more, in memory order.
        assert_eq!(out[1], format!("recv 5 5 {}", hex(b"first")));
        assert_eq!(out[2], format!("recv 2 32 {}", hex(sent.as_bytes())));
        assert_eq!(out[3], format!("recv 5 5 {}", hex(b"third")));
        let line = &out[4];
        assert_eq!(field::<u64>(line, "seq"), sent.seq);
        assert_eq!(field::<i32>(line, "temp"), sent.temp);
        assert_eq!(field::<String>(line, "flags"), format!("{:#x}", sent.flags));
        // %.17g prints a double that parses back to the same bits.
        assert_eq!(field::<f64>(line, "value").to_bits(), sent.value.to_bits());
        assert_eq!(field::<String>(line, "tag"), "rust->C");

        // The C side queued 9 "from C", 4 <record>, 9 "last". Take the record out
        // of order by type, then the rest in queue order.
        let (mtype, back) = q.recv_value::<Record>(Selector::Type(4)).unwrap();
        assert_eq!(mtype, 4);
        assert_eq!(
            back,
            Record {
                seq: sent.seq + 1,
                temp: 273,
                flags: !sent.flags,
                value: sent.value * 2.0,
                tag: *b"from C!\0",
            }
        );
        let mut text = [0u8; 64];
        let got = q.recv(&mut text, Selector::Any).unwrap();
        assert_eq!((got.mtype, &text[..got.len]), (9, &b"from C"[..]));
        let got = q.recv(&mut text, Selector::Any).unwrap();
        assert_eq!((got.mtype, &text[..got.len]), (9, &b"last"[..]));
        let e = q.try_recv(&mut text, Selector::Any).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NoMessage);
        q.remove().unwrap();
    });
}

#[test]
fn semaphores_agree_between_c_and_rust() {
    let peer = CPeer::build();
    in_ipc_namespace(|| {
        let set = SemSet::create(Key::PRIVATE, 3, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        set.set(2, 7).unwrap();
        let child = peer.spawn(&["sem", &set.id().to_string()]);
        let c_pid = i32::try_from(child.id()).unwrap();

        // The C side blocks in semop(-1) on semaphore 0: the kernel counts it.
        wait_for("the C peer to wait on semaphore 0", || {
            set.waiting_for_increase(0).unwrap() == 1
        });
        assert_eq!(set.get(0).unwrap(), 0);
        set.op(&[SemOp::post(0)]).unwrap();
        // The C side answers by posting semaphore 1.
        set.op_timeout(&[SemOp::wait(1)], Duration::from_secs(10))
            .unwrap();

        let out = lines(&["sem"], child.wait_with_output().unwrap());
        assert_eq!(
            out,
            [
                "after wait: sem0 0 sem2 7 sempid0_is_me 1".to_owned(),
                format!("pid {c_pid}"),
            ]
        );
        assert_eq!(set.get(0).unwrap(), 0, "the C side took what Rust posted");
        assert_eq!(set.get(1).unwrap(), 0, "Rust took what the C side posted");
        assert_eq!(set.get(2).unwrap(), 42, "the C side's SETVAL");
        // sempid: the last process to change each semaphore.
        assert_eq!(set.last_pid(0).unwrap(), c_pid);
        assert_eq!(set.last_pid(2).unwrap(), c_pid);
        assert_eq!(
            set.last_pid(1).unwrap(),
            i32::try_from(std::process::id()).unwrap()
        );
        assert_eq!(set.waiting_for_increase(0).unwrap(), 0);
        set.remove().unwrap();
    });
}

#[test]
fn a_shared_struct_is_read_and_written_field_by_field_in_c() {
    let peer = CPeer::build();
    in_ipc_namespace(|| {
        let shm =
            Shm::<Telemetry>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let segment = *shm.segment();
        let written = Telemetry {
            seq: 41,
            position: [1.5, -2.25, 1e-300],
            temp_millis: 21_500,
            status: 0x1234,
            flags: 0b1010_0101,
            name: *b"rust-side",
            stamp: -1_700_000_000_123,
        };
        shm.write(&written);

        let out = peer.run(&["shm", &segment.id().to_string()]);
        assert_eq!(out.len(), 2, "{out:#?}");
        // The C side saw the segment at its real size, attached by us only.
        assert_eq!(out[0], "segsz 56 nattch 1");
        let line = &out[1];
        assert_eq!(field::<u64>(line, "seq"), 41);
        let position: Vec<f64> = fields(line, "position", 3);
        assert_eq!(position, written.position);
        assert_eq!(field::<i32>(line, "temp_millis"), 21_500);
        assert_eq!(field::<u16>(line, "status"), 0x1234);
        assert_eq!(field::<u8>(line, "flags"), 0b1010_0101);
        assert_eq!(field::<String>(line, "name"), "rust-side");
        assert_eq!(field::<i64>(line, "stamp"), -1_700_000_000_123);

        // What the C side stored, one field at a time, reads back as one value.
        assert_eq!(
            shm.read(),
            Telemetry {
                seq: 42,
                position: [1e-300, -2.25, 1.5],
                temp_millis: 20_500,
                status: 0x2468,
                flags: 0b0101_1010,
                name: *b"c-writer\0",
                stamp: 1_700_000_000_123,
            }
        );
        assert_eq!(segment.stat().unwrap().nattch, 1, "the C side detached");
        drop(shm);
        segment.remove().unwrap();
    });
}
