//! Interop with C for `Broadcast`: a C program (`tests/c/bc_peer.c`), built by the
//! system `cc` against the generated `include/sysv_ipc_layout.h` and the
//! hand-written `include/sysv_ipc_protocol.h`, joins a `Broadcast<Sample, N>` that
//! Rust created:
//!
//! - a Rust writer and a C reader beside a Rust reader, lossless, 100 000 samples
//!   through 16 slots: both readers get every sample in order (the C reader parks
//!   on its semaphore and the Rust writer wakes it, and the Rust writer waits for
//!   it; the writer starts only once the C reader sleeps, `GETNCNT` on its wake
//!   semaphore); then lossy, where the C reader reports its gaps and every value
//!   it got is checked against its number;
//! - a C writer and two Rust readers, lossless: every sample, in order, then
//!   `Closed`; the readers start only once the C writer, having filled the ring,
//!   sleeps on its semaphore, and their reads wake it;
//! - the C side refuses another capacity, reader count or policy, and the broadcast
//!   opened as a queue.
//!
//! Each test runs in its own IPC namespace, with the C program started inside it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removable, ShmType, type_id};
use sysv_ipc_testkit::{CProgram, TIMEOUT, in_ipc_namespace};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const LAYOUT_H: &str = include_str!("../include/sysv_ipc_layout.h");
const PROTOCOL_H: &str = include_str!("../include/sysv_ipc_protocol.h");
const PEER_C: &str = include_str!("c/bc_peer.c");

/// `struct sample` in `bc_peer.c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Sample {
    seq: u64,
    square: u64,
    tag: u32,
    pad: u32,
}

impl ShmType for Sample {
    const TYPE_ID: u64 = type_id("sysv-ipc interop::Sample v1");
}

fn sample(k: u64) -> Sample {
    Sample {
        seq: k,
        square: k.wrapping_mul(k) ^ 0x5555,
        tag: k.wrapping_mul(7) as u32,
        pad: 0,
    }
}

const KEY: i32 = 0x4243_0101;
const CAP: usize = 16;
const READERS: usize = 3;
const COUNT: u64 = 100_000;

type Bc = Broadcast<Sample, CAP>;

fn peer() -> &'static CProgram {
    static PEER: OnceLock<CProgram> = OnceLock::new();
    PEER.get_or_init(|| {
        let files = [
            ("sysv_ipc_layout.h", LAYOUT_H),
            ("sysv_ipc_protocol.h", PROTOCOL_H),
            ("bc_peer.c", PEER_C),
        ];
        CProgram::compile("bc-peer", &files, "bc_peer.c", &["-O2"])
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn spawn(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(peer().exe())
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn line(out: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut s = String::new();
    out.read_line(&mut s).unwrap();
    s.trim_end().to_owned()
}

fn finish(mut child: Child) {
    let status = child.wait().unwrap();
    assert!(status.success(), "bc_peer: {status}");
}

/// The semaphores `src/broadcast.rs` gives the writer's and reader `k`'s parks, as
/// section 6 of the C header numbers them.
const WRITER_WAKE: u16 = 0;

fn reader_wake(k: u16) -> u16 {
    2 + 2 * k
}

/// Waits until a process sleeps on semaphore `num` of `bc`'s set.
fn wait_parked(bc: &Bc, num: u16) {
    let start = Instant::now();
    while bc.semaphores().waiting_for_increase(num).unwrap() == 0 {
        assert!(start.elapsed() < TIMEOUT, "semaphore {num}: nobody parked");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn create(policy: Policy) -> Bc {
    let o = BroadcastOptions::new().readers(READERS).policy(policy);
    let b = DefaultBackend::default();
    Bc::create_with(b, Key::new(KEY), Intent::CreateNew, Mode::OWNER_RW, o).unwrap()
}

fn args(mode: &str, policy: Policy) -> Vec<String> {
    [mode, &KEY.to_string(), &COUNT.to_string(), &CAP.to_string()]
        .iter()
        .map(|s| s.to_string())
        .chain([READERS.to_string(), (policy as u64).to_string()])
        .collect()
}

/// A Rust writer, a C reader and a Rust reader.
fn rust_writer_c_reader(policy: Policy) {
    let bc = create(policy);
    let a = args("read", policy);
    let (child, mut out) = spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let seat: u16 = line(&mut out)
        .strip_prefix("joined ")
        .unwrap()
        .parse()
        .unwrap();
    // The C reader parks on the empty ring before anything is sent.
    wait_parked(&bc, reader_wake(seat));
    let mut rx = bc.reader(Start::Newest).unwrap();
    let mut tx = bc.writer().unwrap();
    let mut mine = 0;
    for k in 0..COUNT {
        tx.send_blocking(sample(k)).unwrap();
        // The Rust reader keeps up (lossless: it must, or the writer waits for it).
        while let Some(s) = rx.recv().unwrap() {
            assert_eq!(s, sample(mine));
            mine += 1;
        }
    }
    tx.close().unwrap();
    while let Some(s) = rx.recv().map_or_else(
        |e| {
            assert_eq!(e.kind(), ErrorKind::Closed);
            None
        },
        Some,
    ) {
        if let Some(s) = s {
            assert_eq!(s, sample(mine));
            mine += 1;
        }
    }
    assert_eq!(mine, COUNT);
    let report = line(&mut out);
    finish(child);
    let words: Vec<u64> = report
        .split(' ')
        .skip(1)
        .step_by(2)
        .map(|w| w.parse().unwrap())
        .collect();
    let [got, missed, _sum] = words[..] else {
        panic!("bad report {report:?}");
    };
    assert_eq!(got + missed, COUNT, "{report}");
    if policy == Policy::Lossless {
        assert_eq!((got, missed), (COUNT, 0), "{report}");
        assert_eq!(words[2], COUNT * (COUNT - 1) / 2);
    }
    eprintln!("{policy:?} C reader: {report}");
    bc.remove().unwrap();
}

#[test]
fn lossless_rust_writer_c_reader() {
    in_ipc_namespace(|| rust_writer_c_reader(Policy::Lossless));
}

#[test]
fn lossy_rust_writer_c_reader() {
    in_ipc_namespace(|| rust_writer_c_reader(Policy::Lossy));
}

#[test]
fn c_writer_rust_readers() {
    in_ipc_namespace(|| {
        let bc = create(Policy::Lossless);
        let mut readers = [
            bc.reader(Start::Newest).unwrap(),
            bc.reader(Start::Oldest).unwrap(),
        ];
        let a = args("write", Policy::Lossless);
        let (child, mut out) = spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
        // The C writer fills the ring and parks: the readers' first reads wake it.
        wait_parked(&bc, WRITER_WAKE);
        let mut next = [0u64; 2];
        loop {
            let mut progress = false;
            for (r, n) in readers.iter_mut().zip(&mut next) {
                match r.recv() {
                    Ok(Some(s)) => {
                        assert_eq!(s, sample(*n));
                        *n += 1;
                        progress = true;
                    }
                    Ok(None) => {}
                    Err(e) if e.kind() == ErrorKind::Closed => {}
                    Err(e) => panic!("{e}"),
                }
            }
            if !progress && next == [COUNT; 2] {
                break;
            }
            if !progress {
                std::thread::yield_now();
            }
        }
        let report = line(&mut out);
        finish(child);
        eprintln!("C writer: {report}");
        let wakes = report
            .rsplit(' ')
            .next()
            .and_then(|w| w.parse::<u64>().ok());
        assert!(report.starts_with("sent parks "), "{report}");
        assert!(wakes.is_some_and(|w| w >= 1), "{report}");
        for r in &mut readers {
            assert_eq!(r.recv_blocking().unwrap_err().kind(), ErrorKind::Closed);
        }
        drop(readers);
        bc.remove().unwrap();
    });
}

/// A C writer wakes a Rust reader that waits on its line's word (the
/// asynchronous wait, layout version 6) for every sample: the C writer's wake
/// futex-wakes the word instead of posting the reader's semaphore. Without that
/// the wait times out.
#[test]
fn c_writer_wakes_a_word_waiting_rust_reader() {
    const SAMPLES: u64 = 200;
    in_ipc_namespace(|| {
        let bc = create(Policy::Lossless);
        let mut r = bc.reader(Start::Oldest).unwrap();
        assert_eq!(r.seat(), 0);
        let key = KEY.to_string();
        let (n, cap, readers) = (SAMPLES.to_string(), CAP.to_string(), READERS.to_string());
        let policy = (Policy::Lossless as u64).to_string();
        let (child, mut out) = spawn(&["write-word", &key, &n, &cap, &readers, &policy]);
        for k in 0..SAMPLES {
            let s = loop {
                if let Some(s) = r.recv().unwrap() {
                    break s;
                }
                let Some(word) = r.arm_wake().unwrap() else {
                    continue;
                };
                let ts = libc::timespec {
                    tv_sec: 20,
                    tv_nsec: 0,
                };
                // SAFETY: FUTEX_WAIT reads the 32-bit word at `addr` (in our live
                // attachment) and the timespec (a live local); it writes nothing.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_futex,
                        word.addr(),
                        libc::FUTEX_WAIT,
                        word.expected(),
                        &raw const ts,
                    )
                };
                let errno = std::io::Error::last_os_error().raw_os_error();
                assert!(
                    rc == 0 || errno == Some(libc::EAGAIN),
                    "sample {k}: the C writer never woke the word ({errno:?})"
                );
            };
            assert_eq!(s, sample(k));
        }
        let report = line(&mut out);
        assert!(report.starts_with("sent parks "), "{report}");
        finish(child);
        drop(r);
        bc.remove().unwrap();
    });
}

#[test]
fn c_refuses_other_shapes() {
    in_ipc_namespace(|| {
        let bc = create(Policy::Lossless);
        let policy = (Policy::Lossless as u64).to_string();
        let (key, cap, readers) = (KEY.to_string(), CAP.to_string(), READERS.to_string());
        let (child, mut out) = spawn(&["refuse", &key, &cap, &readers, &policy]);
        assert_eq!(line(&mut out), "refused");
        finish(child);
        bc.remove().unwrap();
    });
}

/// A lossless Rust writer with no peer check parked on a C reader that is stopped,
/// then SIGKILLed: the C reader's death itself wakes the writer (the `SEM_UNDO`
/// post `svipc_bc_reader` arms for a lossless reader), which drops it and sends on.
#[test]
fn a_killed_c_reader_wakes_the_parked_rust_writer() {
    in_ipc_namespace(|| {
        let bc = create(Policy::Lossless);
        let a = args("read", Policy::Lossless);
        let (mut child, mut out) = spawn(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(line(&mut out).starts_with("joined "));
        // SAFETY: kill(2) on our own child's pid, which it still is (not reaped).
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGSTOP) }, 0);
        let start = Instant::now();
        loop {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
            if stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('T'))
            {
                break;
            }
            assert!(start.elapsed() < TIMEOUT, "the C reader did not stop");
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut tx = bc.writer().unwrap();
        tx.set_spins(0);
        tx.set_peer_check(None);
        let mut k = 0;
        while tx.send(sample(k)).is_ok() {
            k += 1; // until the stopped reader is N behind
        }
        assert_eq!(k, CAP as u64);
        std::thread::scope(|s| {
            let sent = s.spawn(|| tx.send_timeout(sample(k), TIMEOUT));
            wait_parked(&bc, WRITER_WAKE);
            child.kill().unwrap();
            child.wait().unwrap();
            sent.join().unwrap().expect("woken by the C reader's death");
        });
        assert_eq!(bc.readers_registered().unwrap(), 0);
        drop(tx);
        bc.remove().unwrap();
    });
}
