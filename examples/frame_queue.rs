//! Two separately started programs handing 1 MiB frames through a `Queue` by loan:
//! the producer fills each frame in place in the queue's slot and commits it, the
//! consumer reads it in place and releases it. Both run in a thread with a 64 KiB
//! stack (16 times smaller than one frame): a frame that passed through a stack
//! temporary would overflow it.
//!
//! ```sh
//! cargo run --release --example frame_queue -- consume 0x15150002 64 &   # either one first
//! cargo run --release --example frame_queue -- produce 0x15150002 64
//! ```
//!
//! Both create with `Intent::OpenOrCreate`, so either may start first. The producer
//! closes the queue after the last frame; the consumer checks every word of every
//! frame, learns the close, and removes the queue.

use std::process::ExitCode;
use std::sync::atomic::Ordering::Relaxed;

use sysv_ipc::queue::Queue;
use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, ShmType, ShmView, type_id};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const WORDS: usize = (1 << 17) - 2;

/// Exactly 1 MiB.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Frame {
    seq: u64,
    /// A check word: `seq` mixed with the frame's first and last word.
    check: u64,
    words: [u64; WORDS],
}

const _: () = assert!(size_of::<Frame>() == 1 << 20);

impl ShmType for Frame {
    const TYPE_ID: u64 = type_id("sysv-ipc example frame_queue::Frame v1");
}

type Frames = Queue<Frame, 4>;

/// What the producer writes at word `i` of frame `seq`.
fn word(seq: u64, i: usize) -> u64 {
    (seq << 32) ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Words moved per range copy: 4 KiB on the stack.
const CHUNK: usize = 512;

fn produce(key: Key, count: u64) -> Result<String, String> {
    let queue = Frames::create(key, Intent::OpenOrCreate, Mode::OWNER_RW)
        .map_err(|e| format!("queue: {e}"))?;
    let mut tx = queue.producer().map_err(|e| format!("producer: {e}"))?;
    let mut seq = 0;
    let mut chunk = [0u64; CHUNK];
    while seq < count {
        // Up to two slots at once, whatever is free; waits while the queue is full.
        let loan = tx
            .loan_blocking(2.min((count - seq) as usize))
            .map_err(|e| format!("loan: {e}"))?;
        for frame in loan.iter() {
            let words = frame.words();
            for start in (0..WORDS).step_by(CHUNK) {
                let end = (start + CHUNK).min(WORDS);
                for (i, w) in (start..end).zip(chunk.iter_mut()) {
                    *w = word(seq, i);
                }
                words
                    .write_range(start..end, &chunk[..end - start])
                    .map_err(|e| format!("write_range: {e}"))?;
            }
            frame.seq().store(seq, Relaxed);
            frame
                .check()
                .store(seq ^ word(seq, 0) ^ word(seq, WORDS - 1), Relaxed);
            seq += 1;
        }
        loan.commit_all();
    }
    tx.close().map_err(|e| format!("close: {e}"))?;
    Ok(format!("produce: {count} frames of 1 MiB"))
}

fn consume(key: Key, count: u64) -> Result<String, String> {
    let queue = Frames::create(key, Intent::OpenOrCreate, Mode::OWNER_RW)
        .map_err(|e| format!("queue: {e}"))?;
    let mut rx = queue.consumer().map_err(|e| format!("consumer: {e}"))?;
    let mut seq = 0;
    let mut chunk = [0u64; CHUNK];
    loop {
        let loan = match rx.loan_blocking(4) {
            Ok(loan) => loan,
            Err(e) if e.kind() == ErrorKind::Closed => break,
            Err(e) => return Err(format!("loan: {e}")),
        };
        for frame in loan.iter() {
            let got = frame.seq().load(Relaxed);
            if got != seq {
                return Err(format!("frame {got} where {seq} was due"));
            }
            let words = frame.words();
            for start in (0..WORDS).step_by(CHUNK) {
                let end = (start + CHUNK).min(WORDS);
                words
                    .read_range(start..end, &mut chunk[..end - start])
                    .map_err(|e| format!("read_range: {e}"))?;
                if let Some(i) = (start..end).find(|&i| chunk[i - start] != word(seq, i)) {
                    return Err(format!("frame {seq}: word {i} is wrong"));
                }
            }
            if frame.check().load(Relaxed) != seq ^ word(seq, 0) ^ word(seq, WORDS - 1) {
                return Err(format!("frame {seq}: check word is wrong"));
            }
            seq += 1;
        }
        loan.release_all();
    }
    drop(rx);
    queue.remove().map_err(|e| format!("remove: {e}"))?;
    if seq != count {
        return Err(format!("{seq} frames before the close, {count} expected"));
    }
    Ok(format!(
        "consume: {seq} frames of 1 MiB, every word checked"
    ))
}

fn usage() -> ExitCode {
    eprintln!("usage: frame_queue produce|consume HEXKEY [COUNT]");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (role, key, count) = (args.next(), args.next(), args.next());
    let key = key
        .as_deref()
        .and_then(|k| i32::from_str_radix(k.trim_start_matches("0x"), 16).ok());
    let count = count.as_deref().map_or(Some(64), |c| c.parse::<u64>().ok());
    let role: fn(Key, u64) -> Result<String, String> = match role.as_deref() {
        Some("produce") => produce,
        Some("consume") => consume,
        _ => return usage(),
    };
    let (Some(key), Some(count)) = (key, count) else {
        return usage();
    };
    // The frames never touch this thread's stack.
    let result = std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(move || role(Key::new(key), count))
        .map_err(|e| format!("spawn: {e}"))
        .and_then(|t| t.join().unwrap_or_else(|_| Err("panicked".into())));
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!("frame_queue: {what}");
            ExitCode::FAILURE
        }
    }
}
