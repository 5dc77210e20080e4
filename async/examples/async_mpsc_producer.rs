//! One of many separately started producers into one `Mpsc`, as the core's
//! `mpsc_producer` (same arguments, same stream, same object), awaiting room
//! (`sysv_ipc_async::mpsc::send`) instead of blocking a thread: sends `COUNT`
//! values `STREAM << 32 | seq` through the `Mpsc<u64, 64>` of 4 producer seats
//! under `KEY` (hexadecimal).
//!
//! ```sh
//! cargo run -p sysv-ipc-async --example async_mpsc_producer -- 4d500002 1 10000
//! ```

use std::process::ExitCode;

use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::{DefaultBackend, Intent, Key, Mode};

fn main() -> ExitCode {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    match rt.block_on(run()) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!("async_mpsc_producer: {what}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, stream, count] = args.as_slice() else {
        return Err("usage: async_mpsc_producer KEY STREAM COUNT".into());
    };
    let key = i32::from_str_radix(key, 16).map_err(|e| format!("KEY: {e}"))?;
    let stream: u64 = stream.parse().map_err(|e| format!("STREAM: {e}"))?;
    let count: u64 = count.parse().map_err(|e| format!("COUNT: {e}"))?;
    let m = Mpsc::<u64, 64>::create_with(
        DefaultBackend::default(),
        Key::new(key),
        Intent::OpenOrCreate,
        Mode::OWNER_RW,
        MpscOptions::new().producers(4),
    )
    .map_err(|e| e.to_string())?;
    let mut tx = m.producer().map_err(|e| e.to_string())?;
    for seq in 0..count {
        sysv_ipc_async::mpsc::send(&mut tx, stream << 32 | seq)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(format!("async_mpsc_producer: stream {stream} sent {count}"))
}
