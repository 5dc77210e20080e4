//! Two separately started programs sharing one 4 MiB struct in place (`Shm::view`):
//! the writer fills three far-apart fields and publishes them; the reader, in a
//! thread with a 64 KiB stack (64 times smaller than the struct), waits for them,
//! reads the three fields through the view and acknowledges. Neither copies the
//! struct: a copy would overflow the reader's stack.
//!
//! ```sh
//! cargo run --release --example view_frame -- read 0x15150001 &   # either one first
//! cargo run --release --example view_frame -- write 0x15150001
//! ```
//!
//! Both create with `Intent::OpenOrCreate`, so either may start first; the reader
//! removes the segment when it is done.

use std::process::ExitCode;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

use sysv_ipc::{Intent, Key, Mode, Removable, Shm, ShmView};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Pose {
    x: f64,
    y: f64,
}

/// Exactly 4 MiB.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Frame {
    /// 1 once the writer's fields are in place.
    seq: u64,
    /// 1 once the reader has read them.
    ack: u64,
    pose: Pose,
    pixels: [[u8; 4096]; 1023],
    tail: [u64; 508],
}

const _: () = assert!(size_of::<Frame>() == 4 << 20);

const PIXEL: u8 = 0xab;
const Y: f64 = -2.5;
const TAIL: u64 = 0x1122_3344_5566_7788;
const WAIT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (role, key) = (args.next(), args.next());
    let key = key
        .as_deref()
        .and_then(|k| i32::from_str_radix(k.trim_start_matches("0x"), 16).ok());
    let result = match (role.as_deref(), key) {
        (Some("write"), Some(k)) => write(Key::new(k)),
        (Some("read"), Some(k)) => std::thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(move || read(Key::new(k)))
            .map_err(|e| format!("spawn: {e}"))
            .and_then(|t| {
                t.join()
                    .unwrap_or_else(|_| Err("the reader panicked".into()))
            }),
        _ => Err("usage: view_frame write|read HEXKEY".into()),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!("view_frame: {what}");
            ExitCode::FAILURE
        }
    }
}

fn open(key: Key) -> Result<Shm<Frame>, String> {
    Shm::<Frame>::create(key, Intent::OpenOrCreate, Mode::OWNER_RW).map_err(|e| format!("{e}"))
}

fn wait_for(what: &str, done: impl Fn() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

fn write(key: Key) -> Result<String, String> {
    let mut shm = open(key)?;
    let frame = shm.view();
    frame
        .pixels()
        .at(1000)
        .and_then(|row| row.set(4000, PIXEL).ok())
        .ok_or("pixel")?;
    frame.pose().y().store(Y, Relaxed);
    frame.tail().set(507, TAIL).map_err(|e| e.to_string())?;
    // Release: publishes the three stores; pairs with the reader's Acquire of `seq`.
    frame.seq().store(1, Release);
    wait_for("the reader's ack", || frame.ack().load(Acquire) == 1)?;
    Ok("write: published 3 fields, acknowledged".into())
}

fn read(key: Key) -> Result<String, String> {
    let mut shm = open(key)?;
    let frame = shm.view();
    wait_for("the writer", || frame.seq().load(Acquire) == 1)?;
    let got = (
        frame.pixels().at(1000).and_then(|row| row.get(4000)),
        frame.pose().y().load(Relaxed),
        frame.tail().get(507),
    );
    if got != (Some(PIXEL), Y, Some(TAIL)) {
        return Err(format!("read {got:?}"));
    }
    frame.ack().store(1, Release);
    shm.segment().remove().map_err(|e| format!("remove: {e}"))?;
    Ok(format!("read: {got:?} from a 64 KiB stack"))
}
