//! A reader of `broadcast_ticker`'s stream (the core's example, the writer) that
//! awaits each tick (`sysv_ipc_async::broadcast::recv`) instead of blocking a
//! thread: it checks every tick as the blocking reader does (whole, in order,
//! none lost) until the writer closes the stream.
//!
//! ```sh
//! cargo run -p sysv-ipc-async --example async_ticker_reader -- 0x7b7c0001  # terminal 1
//! cargo run --example broadcast_ticker -- write 0x7b7c0001 100000 1      # terminal 2
//! ```

use std::process::ExitCode;
use std::time::Duration;

use sysv_ipc::broadcast::{Broadcast, Start};
use sysv_ipc::{DefaultBackend, Key};

#[path = "../../examples/shared/tick.rs"]
mod tick;
use tick::{Follower, ROOM, Tick, options};

const WAIT: Duration = Duration::from_secs(30);

async fn read(key: Key) -> Result<String, String> {
    let e = |e: sysv_ipc::Error| e.to_string();
    let bc = Broadcast::<Tick, ROOM>::open_wait_in(DefaultBackend::default(), key, options(), WAIT)
        .map_err(e)?;
    let mut rx = bc.reader(Start::Oldest).map_err(e)?;
    let mut follower = Follower::default();
    while follower.take(sysv_ipc_async::broadcast::recv(&mut rx).await)? {}
    Ok(follower.summary())
}

fn main() -> ExitCode {
    let key = std::env::args()
        .nth(1)
        .and_then(|k| i32::from_str_radix(k.trim_start_matches("0x"), 16).ok());
    let Some(key) = key else {
        eprintln!("usage: async_ticker_reader <hex key>");
        return ExitCode::FAILURE;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    match rt.block_on(read(Key::new(key))) {
        Ok(summary) => {
            println!("async {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("async_ticker_reader: {e}");
            ExitCode::FAILURE
        }
    }
}
