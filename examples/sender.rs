//! The sender of two separately started programs (its partner: `receiver.rs`):
//! sends COUNT readings through a lock-free `Queue` found under `ftok(PATH, 'r')`,
//! then closes it (the end of the stream: no end marker of its own).
//!
//! ```sh
//! cargo run --release --example receiver -- /tmp &   # either one first
//! cargo run --release --example sender -- /tmp 100000
//! ```
//!
//! Either program may start first: both open with `Intent::OpenOrCreate`, and
//! whichever comes second joins what the first made (the queue's handshake makes
//! two creators racing on one key safe). A sender that finds no receiver yet fills
//! the ring and waits; a role never claimed is not a dead peer. The receiver
//! removes the queue once it has taken every reading and learned the close
//! (`ErrorKind::Closed`), so nothing is left behind.

use std::process::ExitCode;

use sysv_ipc::{Intent, Mode};

#[path = "two_programs/mod.rs"]
mod two_programs;
use two_programs::{Reading, Readings, value_of};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(what) => {
            eprintln!("sender: {what}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args_os().skip(1);
    let path = args.next().ok_or("usage: sender PATH [COUNT]")?;
    let count: u64 = match args.next() {
        Some(n) => n
            .to_str()
            .and_then(|n| n.parse().ok())
            .ok_or("COUNT: not a number")?,
        None => 100_000,
    };
    let key = two_programs::key(&path)?;
    let queue = Readings::create(key, Intent::OpenOrCreate, Mode::OWNER_RW)
        .map_err(|e| format!("queue {key}: {e}"))?;
    // The producer role is this process's until `tx` is dropped: a second sender
    // on the same key gets `RoleTaken`.
    let mut tx = queue.producer().map_err(|e| format!("producer: {e}"))?;
    for seq in 0..count {
        let value = value_of(seq);
        tx.enqueue_blocking(Reading { seq, value })
            .map_err(|e| format!("record {seq}: {}", e.error()))?;
    }
    // The end of the stream: the receiver takes what is in the ring, then learns
    // that nothing more comes. (Dropping `tx` instead would leave it waiting for
    // another sender.)
    tx.close().map_err(|e| format!("close: {e}"))?;
    println!("sender: sent {count} readings and closed the queue under key {key}");
    Ok(())
}
