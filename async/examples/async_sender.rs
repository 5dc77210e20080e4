//! The sender of `examples/sender.rs`, awaiting instead of blocking: a
//! separately started program (its partner: the core's `receiver` example or
//! `async_receiver`) that sends COUNT readings into the `Queue` under
//! `ftok(PATH, 'r')` with `queue::enqueue(..).await` under smol (a full ring is
//! a wait on the reactor, no thread blocked), then closes it.
//!
//! ```sh
//! cargo run --release --example receiver -- /tmp &
//! cargo run --release -p sysv-ipc-async --example async_sender -- /tmp 100000
//! ```

use std::process::ExitCode;

use sysv_ipc::{Intent, Mode};
use sysv_ipc_async::queue::enqueue;

#[path = "../../examples/two_programs/mod.rs"]
mod two_programs;
use two_programs::{Reading, Readings, value_of};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(what) => {
            eprintln!("async_sender: {what}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args_os().skip(1);
    let path = args.next().ok_or("usage: async_sender PATH [COUNT]")?;
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
    let mut tx = queue.producer().map_err(|e| format!("producer: {e}"))?;
    smol::block_on(async {
        for seq in 0..count {
            let reading = Reading {
                seq,
                value: value_of(seq),
            };
            enqueue(&mut tx, reading)
                .await
                .map_err(|e| format!("record {seq}: {}", e.error()))?;
        }
        Ok::<(), String>(())
    })?;
    tx.close().map_err(|e| format!("close: {e}"))?;
    println!("async_sender: sent {count} readings and closed the queue under key {key}");
    Ok(())
}
