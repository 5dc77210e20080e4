//! The receiver of two separately started programs (its partner: `sender.rs`):
//! takes readings from the lock-free `Queue` under `ftok(PATH, 'r')` until the
//! sender closes it (`ErrorKind::Closed`, after the last reading), checks that they
//! came whole and in order, prints a summary and removes the queue (its segment and
//! semaphore set).
//!
//! ```sh
//! cargo run --release --example receiver -- /tmp &   # either one first
//! cargo run --release --example sender -- /tmp 100000
//! ```

use std::process::ExitCode;
use std::time::Instant;

use sysv_ipc::{ErrorKind, Intent, Mode, Removable};

#[path = "two_programs/mod.rs"]
mod two_programs;
use two_programs::{Readings, value_of};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(what) => {
            eprintln!("receiver: {what}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let path = std::env::args_os().nth(1).ok_or("usage: receiver PATH")?;
    let key = two_programs::key(&path)?;
    let queue = Readings::create(key, Intent::OpenOrCreate, Mode::OWNER_RW)
        .map_err(|e| format!("queue {key}: {e}"))?;
    let result = receive(&queue);
    // Removed whatever happened: the segment and the semaphore set outlive both
    // processes otherwise. A sender still attached keeps the memory until it
    // detaches; its next wait ends with `Removed`.
    let removed = queue.remove().map_err(|e| format!("remove: {e}"));
    let (count, sum, secs) = result?;
    removed?;
    println!(
        "receiver: {count} readings in order, sum {sum}, {:.1} M/s; queue {key} removed",
        count as f64 / secs / 1e6
    );
    Ok(())
}

/// Takes readings until the sender closes the queue: how many, their sum, and the
/// seconds from the first reading to the end of the stream.
fn receive(queue: &Readings) -> Result<(u64, i64, f64), String> {
    let mut rx = queue.consumer().map_err(|e| format!("consumer: {e}"))?;
    let mut count = 0u64;
    let mut sum = 0i64;
    let mut start = None;
    loop {
        let r = match rx.dequeue_blocking() {
            Ok(r) => r,
            // The sender closed the queue, and every reading it sent is taken.
            Err(e) if e.kind() == ErrorKind::Closed => {
                let secs = start.map_or(0.0, |s: Instant| s.elapsed().as_secs_f64());
                return Ok((count, sum, secs.max(1e-9)));
            }
            // PeerDied: the sender died without closing.
            Err(e) => return Err(format!("after {count}: {e}")),
        };
        start.get_or_insert_with(Instant::now);
        if r.seq != count || r.value != value_of(r.seq) {
            return Err(format!("expected reading {count}, got {r:?}"));
        }
        sum = sum.wrapping_add(r.value);
        count += 1;
    }
}
