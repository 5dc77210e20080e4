//! Separately started programs sharing one stream (`broadcast::Broadcast`): the
//! writer sends numbered ticks of 64 bytes, each carrying its own checksum, to
//! every reader; each reader checks every tick it gets (whole, in order, no
//! value lost) until the writer closes the stream.
//!
//! Two terminals (or more: one per reader, up to 4):
//!
//! ```sh
//! cargo run --release --example broadcast_ticker -- read 0x7b7c0001      # terminal 1
//! cargo run --release --example broadcast_ticker -- write 0x7b7c0001 100000 1   # terminal 2
//! ```
//!
//! The last argument of `write` is the number of readers it waits for (at most 30
//! seconds) before its first tick: the stream is lossless, so a reader that joined
//! before the first tick sees them all. Start the readers first, in any order; a
//! reader started later joins at the oldest tick still in the ring and prints how
//! many it missed before it got there. The writer creates the stream (mode 0o600,
//! 4 reader seats, 256 ticks of room) with `Intent::OpenOrCreate`, waits for the
//! readers after its last tick and then removes it; a reader started first waits
//! for it to exist.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use sysv_ipc::broadcast::{Broadcast, Start};
use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removable};

#[path = "shared/tick.rs"]
mod tick;
use tick::{Follower, ROOM, Tick, options};

const WAIT: Duration = Duration::from_secs(30);

type Ticker = Broadcast<Tick, ROOM>;

fn write(key: Key, count: u64, readers: usize) -> Result<String, String> {
    let e = |e: sysv_ipc::Error| e.to_string();
    let bc = Ticker::create_with(
        DefaultBackend::default(),
        key,
        Intent::OpenOrCreate,
        Mode::OWNER_RW,
        options(),
    )
    .map_err(e)?;
    if let Err(what) = send_all(&bc, count, readers) {
        // The next writer starts a stream of its own, from tick 0: this one's
        // readers get `Removed`.
        let _ = bc.remove();
        return Err(what);
    }
    // Each reader leaves once it has read the last tick; the stream goes then.
    let start = Instant::now();
    while bc.readers_alive().map_err(e)? > 0 {
        if start.elapsed() > WAIT {
            return Err(format!("readers still there {WAIT:?} after the end"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    bc.remove().map_err(e)?;
    Ok(format!("writer: {count} ticks to {readers} readers"))
}

fn send_all(bc: &Ticker, count: u64, readers: usize) -> Result<(), String> {
    let e = |e: sysv_ipc::Error| e.to_string();
    let mut tx = bc.writer().map_err(e)?;
    let start = Instant::now();
    while bc.readers_registered().map_err(e)? < readers {
        if start.elapsed() > WAIT {
            return Err(format!("fewer than {readers} readers after {WAIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    for seq in 0..count {
        // A reader that stops reading (a Ctrl-Z) holds the stream up: say so
        // rather than wait for it for ever.
        tx.send_timeout(Tick::new(seq), WAIT)
            .map_err(|err| format!("tick {seq}: {}", err.error()))?;
    }
    tx.close().map_err(e)
}

fn read(key: Key) -> Result<String, String> {
    let e = |e: sysv_ipc::Error| e.to_string();
    let bc = Ticker::open_wait_in(DefaultBackend::default(), key, options(), WAIT).map_err(e)?;
    let mut rx = bc.reader(Start::Oldest).map_err(e)?;
    let mut follower = Follower::default();
    while follower.take(rx.recv_blocking())? {}
    Ok(follower.summary())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (role, key, count, readers) = (args.next(), args.next(), args.next(), args.next());
    let key = key
        .as_deref()
        .and_then(|k| i32::from_str_radix(k.trim_start_matches("0x"), 16).ok());
    let count = count.as_deref().map_or(Some(100_000), |c| c.parse().ok());
    let readers = readers.as_deref().map_or(Some(1), |r| r.parse().ok());
    let result = match (role.as_deref(), key, count, readers) {
        (Some("write"), Some(k), Some(n), Some(r)) => write(Key::new(k), n, r),
        (Some("read"), Some(k), _, _) => read(Key::new(k)),
        _ => {
            Err("usage: broadcast_ticker write <hex key> [ticks] [readers] | read <hex key>".into())
        }
    };
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("broadcast_ticker: {e}");
            ExitCode::FAILURE
        }
    }
}
