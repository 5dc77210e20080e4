//! Interop with C for the table: a C program (`tests/c/table_peer.c`), built by the
//! system `cc` against the generated `include/sysv_ipc_layout.h` and the
//! hand-written `include/sysv_ipc_protocol.h`, joins a `Table<Cell, 100>` that Rust
//! created.
//!
//! - a Rust writer and a C reader (read-only mapping): the C side refuses another
//!   `N`, another type and the seqlock's shape, naming the header field, and a
//!   writer role on its read-only handle; then follows the table through
//!   `changed_since` while Rust writes 2 000 rounds of every slot, rewriting slot 0
//!   between every two others while the C side reads it over and over: every cell
//!   it reads whole and of its slot, until every slot holds the last round (with
//!   the C reader's second sequence check removed, this fails on a torn cell);
//! - a C writer and a Rust reader: the C side finds the role taken by Rust, takes
//!   it once Rust lets go, writes 200 rounds of every slot (refusing a slot past
//!   the end); Rust follows with `changed_since` and reads, every cell whole, and
//!   ends with every slot at the last round, the versions the C side reports, and
//!   the role released cleanly (a Rust writer takes it over without a reclaim and
//!   writes above the C writer's versions).
//!
//! Each test runs in its own IPC namespace, with the C program started inside it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use sysv_ipc::table::Table;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, ShmType, type_id};
use sysv_ipc_testkit::{CProgram, in_ipc_namespace};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Embedded, so the test binary needs nothing from the source tree at run time.
const LAYOUT_H: &str = include_str!("../include/sysv_ipc_layout.h");
const PROTOCOL_H: &str = include_str!("../include/sysv_ipc_protocol.h");
const PEER_C: &str = include_str!("c/table_peer.c");

const KEY: i32 = 0x5443_0001;
const N: usize = 100;
const ROUNDS: u64 = 200;

/// `struct cell` in `table_peer.c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Cell {
    round: u64,
    slot: u64,
    data: [u64; 5],
    check: u64,
}

impl ShmType for Cell {
    const TYPE_ID: u64 = type_id("sysv-ipc interop::Cell v1");
}

/// Cell `(round, slot)`, as `make_cell` in `table_peer.c` builds it.
fn make_cell(round: u64, slot: u64) -> Cell {
    let data =
        std::array::from_fn(|j| round.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (slot << 8 | j as u64));
    let mut c = Cell {
        round,
        slot,
        data,
        check: 0,
    };
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for w in [c.round, c.slot].iter().chain(&c.data) {
        h = (h ^ w).wrapping_mul(0x100_0000_01b3);
    }
    c.check = h;
    c
}

type Board = Table<Cell, N>;

/// The compiled C peer, shared by the tests that run at the same time.
fn peer() -> Arc<CProgram> {
    static SHARED: Mutex<Weak<CProgram>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(peer) = shared.upgrade() {
        return peer;
    }
    let files = [
        ("sysv_ipc_layout.h", LAYOUT_H),
        ("sysv_ipc_protocol.h", PROTOCOL_H),
        ("table_peer.c", PEER_C),
    ];
    let peer = Arc::new(
        CProgram::compile(
            "interop-c-table",
            &files,
            "table_peer.c",
            &["-O2", "-Wpedantic"],
        )
        .unwrap_or_else(|e| panic!("the C compiler failed on tests/c/table_peer.c:\n{e}")),
    );
    *shared = Arc::downgrade(&peer);
    peer
}

/// A running C peer.
struct Running {
    child: Child,
    out: BufReader<ChildStdout>,
}

impl Running {
    fn start(peer: &CProgram, args: &[&str]) -> Running {
        let mut child = Command::new(peer.exe())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Running { child, out }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        assert!(
            !line.is_empty(),
            "the peer closed its stdout: {}",
            self.stderr()
        );
        line.trim_end().to_owned()
    }

    fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for it to exit 0; the rest of its stdout.
    fn finish(mut self) -> Vec<String> {
        drop(self.child.stdin.take());
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        let err = self.stderr();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "peer failed ({status}):\n{err}");
        rest.lines().map(str::to_owned).collect()
    }
}

#[test]
fn c_reads_a_table_rust_writes() {
    let peer = peer();
    in_ipc_namespace(|| {
        let board = Board::create(Key::new(KEY), Intent::CreateNew, Mode::new(0o644)).unwrap();
        let mut w = board.writer().unwrap();
        let last = (10 * ROUNDS).to_string();
        let mut c = Running::start(&peer, &["read", &KEY.to_string(), &N.to_string(), &last]);
        assert_eq!(c.line(), "n+1 layout mismatch capacity");
        assert_eq!(c.line(), "other type layout mismatch type_id");
        assert_eq!(c.line(), "as seqlock layout mismatch kind");
        assert_eq!(c.line(), "writer on a read-only handle invalid argument");
        assert_eq!(c.line(), "ready");
        // Slot 0 between every two others: the C side's reads of it race writes.
        for round in 1..=10 * ROUNDS {
            for slot in 1..N {
                w.write(slot, &make_cell(round, slot as u64)).unwrap();
                w.write(0, &make_cell(round, 0)).unwrap();
            }
        }
        assert_eq!(
            c.finish(),
            [format!(
                "slots {N} at round {last}, reads>=slots 1, reports>=slots 1, hot reads>0 1"
            )]
        );
        drop(w);
        board.remove().unwrap();
    });
}

#[test]
fn rust_reads_a_table_c_writes() {
    let peer = peer();
    in_ipc_namespace(|| {
        let board = Board::create(Key::new(KEY), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let w = board.writer().unwrap();
        let mut c = Running::start(
            &peer,
            &[
                "write",
                &KEY.to_string(),
                &N.to_string(),
                &ROUNDS.to_string(),
            ],
        );
        assert_eq!(c.line(), "writer role taken");
        assert_eq!(c.line(), "waiting");
        drop(w);
        c.send("go\n");
        let (mut since, mut last, mut reports) = (0u64, [0u64; N], 0u64);
        loop {
            // Looked at first: once the C writer has let go, this pass sees its
            // every write.
            let gone = !board.has_writer().unwrap() && c.child.try_wait().unwrap().is_some();
            let mut marks = [false; N];
            since = board.changed_since(since, |i| marks[i] = true).unwrap();
            for slot in (0..N).filter(|&i| marks[i]) {
                reports += 1;
                match board.read_versioned(slot) {
                    Ok((cell, version)) => {
                        assert_eq!(
                            cell,
                            make_cell(cell.round, slot as u64),
                            "torn or foreign cell"
                        );
                        assert!(version > 0 && cell.round >= last[slot]);
                        last[slot] = cell.round;
                    }
                    // A writer preempted mid-write: the next query from 0 looks again.
                    Err(e) if e.kind() == ErrorKind::Busy => since = 0,
                    Err(e) => panic!("{e}"),
                }
            }
            if gone {
                break;
            }
        }
        assert!(last.iter().all(|&r| r == ROUNDS), "{last:?}");
        assert!(reports >= N as u64);
        let out = c.finish();
        let (_, v) = board.read_versioned(N - 1).unwrap();
        let first = v - (ROUNDS * N as u64 - 1);
        assert_eq!(
            out,
            [
                "write past the end invalid argument".to_owned(),
                format!("wrote {ROUNDS} rounds, versions {first} to {v}, table version {v}"),
            ]
        );
        assert_eq!(board.version().unwrap(), v);
        // Released cleanly: a Rust writer takes over without a reclaim, above.
        let mut w = board.writer().unwrap();
        assert!(w.write(0, &make_cell(ROUNDS + 1, 0)).unwrap() > v + 1);
        drop(w);
        board.remove().unwrap();
    });
}
