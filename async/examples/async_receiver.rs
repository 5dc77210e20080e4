//! The receiver of `examples/receiver.rs`, awaiting instead of blocking: a
//! separately started program (its partner: the core's `sender` example or
//! `async_sender`) that takes readings from the `Queue` under `ftok(PATH, 'r')`
//! with `queue::dequeue(..).await` on a tokio current-thread runtime until the
//! sender closes it, checks that they came whole and in order, prints a summary
//! and removes the queue.
//!
//! ```sh
//! cargo run --release -p sysv-ipc-async --example async_receiver -- /tmp &
//! cargo run --release --example sender -- /tmp 100000
//! ```

use std::process::ExitCode;
use std::time::Instant;

use sysv_ipc::{ErrorKind, Intent, Mode, Removable};
use sysv_ipc_async::queue::dequeue;

#[path = "../../examples/two_programs/mod.rs"]
mod two_programs;
use two_programs::{Readings, value_of};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(what) => {
            eprintln!("async_receiver: {what}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or("usage: async_receiver PATH")?;
    let key = two_programs::key(&path)?;
    let queue = Readings::create(key, Intent::OpenOrCreate, Mode::OWNER_RW)
        .map_err(|e| format!("queue {key}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let result = runtime.block_on(receive(&queue));
    // Removed whatever happened, as the blocking receiver does.
    let removed = queue.remove().map_err(|e| format!("remove: {e}"));
    let (count, sum, secs) = result?;
    removed?;
    println!(
        "async_receiver: {count} readings in order, sum {sum}, {:.1} M/s; queue {key} removed",
        count as f64 / secs / 1e6
    );
    Ok(())
}

/// Takes readings until the sender closes the queue: how many, their sum, and the
/// seconds from the first reading to the end of the stream.
async fn receive(queue: &Readings) -> Result<(u64, i64, f64), String> {
    let mut rx = queue.consumer().map_err(|e| format!("consumer: {e}"))?;
    let (mut count, mut sum, mut start) = (0u64, 0i64, None);
    loop {
        let r = match dequeue(&mut rx).await {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::Closed => {
                let secs = start.map_or(0.0, |s: Instant| s.elapsed().as_secs_f64());
                return Ok((count, sum, secs.max(1e-9)));
            }
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
