//! One of many separately started producers into one `Mpsc` (the test
//! `tests/mpsc.rs` starts several and consumes): sends `COUNT` values
//! `STREAM << 32 | seq` through the `Mpsc<u64, 64>` of 4 producer seats under `KEY`
//! (hexadecimal), blocking while it is full.
//!
//! ```sh
//! cargo run --example mpsc_producer -- 4d500002 1 10000
//! ```

use std::process::ExitCode;

use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::{DefaultBackend, Intent, Key, Mode};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(what) => {
            eprintln!("mpsc_producer: {what}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, stream, count] = args.as_slice() else {
        return Err("usage: mpsc_producer KEY STREAM COUNT".into());
    };
    let key = i32::from_str_radix(key, 16).map_err(|e| format!("KEY: {e}"))?;
    let stream: u64 = stream.parse().map_err(|e| format!("STREAM: {e}"))?;
    let count: u64 = count.parse().map_err(|e| format!("COUNT: {e}"))?;
    let o = MpscOptions::new().producers(4);
    let m = Mpsc::<u64, 64>::create_with(
        DefaultBackend::default(),
        Key::new(key),
        Intent::OpenOrCreate,
        Mode::OWNER_RW,
        o,
    )
    .map_err(|e| e.to_string())?;
    let mut tx = m.producer().map_err(|e| e.to_string())?;
    for seq in 0..count {
        tx.send_blocking(stream << 32 | seq)
            .map_err(|e| e.to_string())?;
    }
    println!("mpsc_producer: stream {stream} sent {count}");
    Ok(())
}
