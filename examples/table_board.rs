//! Two separately started programs sharing a board of latest values
//! (`table::Table`): the writer updates 256 slots of 64 bytes, round after round,
//! each value carrying its own checksum; the reader follows the board through
//! `changed_since` (it is told which slots changed, never scans them all), checks
//! every value it reads, and stops once the writer's last round is on the board.
//!
//! ```sh
//! cargo run --release --example table_board -- read 0x7ab1e001 &   # either one first
//! cargo run --release --example table_board -- write 0x7ab1e001 2000
//! ```
//!
//! The writer creates the board with `Intent::OpenOrCreate` (mode 0o644) and
//! leaves it when it is done; the reader opens it read-only (waiting for it to
//! exist) and removes it when it has seen the last round.

use std::process::ExitCode;
use std::time::Duration;

use sysv_ipc::table::Table;
use sysv_ipc::{Intent, Key, Mode, Removable, ShmType, type_id};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Slots on the board; the last one is the writer's progress.
const SLOTS: usize = 256;
/// The progress slot: its `round` is the last round the writer completed.
const DONE: usize = SLOTS - 1;
const WAIT: Duration = Duration::from_secs(30);

/// One slot's value: 64 bytes, the last word a checksum of the others.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Reading {
    round: u64,
    slot: u64,
    data: [u64; 5],
    check: u64,
}

impl ShmType for Reading {
    const TYPE_ID: u64 = type_id("sysv-ipc examples::table_board::Reading v1");
}

impl Reading {
    fn new(round: u64, slot: usize) -> Reading {
        let slot = slot as u64;
        let data = core::array::from_fn(|k| {
            round.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (slot << 8 | k as u64)
        });
        let mut r = Reading {
            round,
            slot,
            data,
            check: 0,
        };
        r.check = r.sum();
        r
    }

    fn sum(&self) -> u64 {
        let words = [
            self.round,
            self.slot,
            self.data[0],
            self.data[1],
            self.data[2],
            self.data[3],
            self.data[4],
        ];
        words.iter().fold(0xcbf2_9ce4_8422_2325, |h, w| {
            (h ^ w).wrapping_mul(0x100_0000_01b3)
        })
    }

    /// Whether this is one write's value: the checksum agrees (a torn value
    /// would not), and it is slot `slot`'s.
    fn whole(&self, slot: usize) -> bool {
        self.check == self.sum() && (self.round == 0 || self.slot == slot as u64)
    }
}

type Board = Table<Reading, SLOTS>;

fn write(key: Key, rounds: u64) -> Result<String, sysv_ipc::Error> {
    let board = Board::create(key, Intent::OpenOrCreate, Mode::new(0o644))?;
    let mut w = board.writer()?;
    for round in 1..=rounds {
        for slot in 0..DONE {
            w.write(slot, &Reading::new(round, slot))?;
        }
        w.write(DONE, &Reading::new(round, DONE))?;
    }
    Ok(format!("writer: {rounds} rounds of {SLOTS} slots"))
}

fn read(key: Key) -> Result<String, String> {
    let board =
        Table::<Reading, SLOTS>::open_read_only_wait(key, WAIT).map_err(|e| e.to_string())?;
    let (mut since, mut reads, mut reports) = (0u64, 0u64, 0u64);
    let mut last = [0u64; SLOTS];
    let start = std::time::Instant::now();
    loop {
        // Looked at before the changes: once the writer is gone, this pass sees
        // every write it made (it released the role after its last one).
        let gone = !board.has_writer().map_err(|e| e.to_string())?;
        let mut changed = [false; SLOTS];
        since = board
            .changed_since(since, |i| changed[i] = true)
            .map_err(|e| e.to_string())?;
        for slot in (0..SLOTS).filter(|&i| changed[i]) {
            reports += 1;
            let r = read_slot(&board, slot)?;
            reads += 1;
            if !r.whole(slot) {
                return Err(format!("slot {slot}: a torn value {r:?}"));
            }
            if r.round < last[slot] {
                return Err(format!(
                    "slot {slot}: round {} after {}",
                    r.round, last[slot]
                ));
            }
            last[slot] = r.round;
        }
        let done = last[DONE];
        if done > 0 && gone {
            // The writer is gone: its last round is complete on the board.
            if let Some(slot) = (0..SLOTS).find(|&i| last[i] != done) {
                return Err(format!(
                    "slot {slot}: round {} at the end, not {done}",
                    last[slot]
                ));
            }
            board.remove().map_err(|e| e.to_string())?;
            return Ok(format!(
                "reader: {done} rounds, {reports} changes reported, {reads} reads, none torn"
            ));
        }
        if start.elapsed() > WAIT {
            return Err(format!("no end after {WAIT:?} (round {done})"));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Slot `slot`'s value. `Busy` means the writer was in the middle of writing it
/// for every attempt (a writer preempted mid-write, on a busy machine): try again
/// a little later, for as long as the writer lives.
fn read_slot(
    board: &Table<Reading, SLOTS, sysv_ipc::DefaultBackend, sysv_ipc::ReadOnly>,
    slot: usize,
) -> Result<Reading, String> {
    let start = std::time::Instant::now();
    loop {
        match board.read(slot) {
            Err(e) if e.kind() == sysv_ipc::ErrorKind::Busy && start.elapsed() < WAIT => {
                std::thread::sleep(Duration::from_micros(100));
            }
            r => return r.map_err(|e| e.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (role, key, rounds) = (args.next(), args.next(), args.next());
    let key = key
        .as_deref()
        .and_then(|k| i32::from_str_radix(k.trim_start_matches("0x"), 16).ok());
    let rounds = rounds.as_deref().map_or(Some(2000), |r| r.parse().ok());
    let result = match (role.as_deref(), key, rounds) {
        (Some("write"), Some(k), Some(n)) => write(Key::new(k), n).map_err(|e| e.to_string()),
        (Some("read"), Some(k), _) => read(Key::new(k)),
        _ => Err("usage: table_board write|read <hex key> [rounds]".into()),
    };
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("table_board: {e}");
            ExitCode::FAILURE
        }
    }
}
