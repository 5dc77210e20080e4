//! Target (f): the broadcast layout (`sysv_ipc::layout::broadcast`) over arbitrary
//! shared words, as a hostile or crashed peer could leave them: the control block,
//! the reader lines and the slots are filled from the input, then a writer, three
//! reader handles, joins, leaves, drops, a close and re-opens run while the input
//! keeps overwriting shared words between operations.
//!
//! Properties: no panic, no out-of-bounds access (ASan); counts never above what
//! was asked or than the ring holds; every slot handed out is whole; a gap moves
//! the reader's cursor by exactly its count; a wake goes only to a reader line the
//! layout has.
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use libfuzzer_sys::fuzz_target;
use sysv_ipc::layout::broadcast::{
    BcCtl, BcReader, BcWriter, Broadcast, Fanout, Policy, ReadError, Start,
};
use sysv_ipc::layout::ring::{Barrier, Parking};

/// Capacity; readers; payload words per slot.
const N: usize = 4;
const R: usize = 3;
const S: usize = 2;

/// The fuzz input as a stream of words; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn word(&mut self) -> u64 {
        // Mostly small values and values near the others (a `seq` is 2m + 1 or
        // 2m + 2 of a message near `tail`), which reach deeper states than
        // uniformly random words.
        match self.byte() % 5 {
            0 | 1 => u64::from(self.byte()),
            2 => u64::MAX - u64::from(self.byte()),
            3 => (1 << 63) - u64::from(self.byte()),
            _ => u64::from_le_bytes(core::array::from_fn(|_| self.byte())),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parking that never sleeps (one thread): a park "fails", ending a blocking
/// call; a reader woken must be one of the layout's lines.
struct NoPark;

impl Parking for NoPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        Err(())
    }
    fn unpark_peer(&mut self) {}
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        Ok(())
    }
}

impl Fanout for NoPark {
    fn unpark_reader(&mut self, reader: usize) {
        assert!(reader < R, "woke reader {reader} of {R}");
    }
}

/// Every shared word a peer can write (the header aside: `header` has its own
/// target).
fn shared<'a>(
    ctl: &'a BcCtl,
    lines: &'a [AtomicU64],
    slots: &'a [AtomicU64],
) -> impl Iterator<Item = &'a AtomicU64> {
    [
        &ctl.tail,
        &ctl.policy,
        &ctl.barrier,
        &ctl.readers,
        &ctl.closed,
        &ctl.writer_pid,
        &ctl.writer_waiting,
    ]
    .into_iter()
    .chain(&ctl.readers_waiting)
    .chain(lines)
    .chain(slots)
}

/// A read's outcome: at most `max` (and `N`), as many as the callback saw; a gap
/// moved the cursor by exactly its count.
fn check_read(before: u64, after: u64, max: usize, seen: usize, got: Result<usize, ReadError>) {
    match got {
        Ok(n) => assert!(n <= max.min(N) && n == seen, "{n} of {max}, saw {seen}"),
        Err(ReadError::Lagged(k)) => {
            assert!(k > 0, "an empty gap");
            assert_eq!(
                after,
                before.wrapping_add(k),
                "the gap is where the cursor went"
            );
        }
        Err(ReadError::Corrupt | ReadError::Dropped) => {}
    }
}

fn run(input: &mut Input<'_>) {
    let ctl = BcCtl::new();
    let policy = if input.byte() % 2 == 0 {
        Policy::Lossy
    } else {
        Policy::Lossless
    };
    let barrier = if input.byte() % 2 == 0 {
        Barrier::Symmetric
    } else {
        Barrier::Asymmetric
    };
    ctl.init(policy, R, barrier);
    let lines: Vec<AtomicU64> = (0..Broadcast::<N>::line_words(R))
        .map(|_| AtomicU64::new(0))
        .collect();
    let slots: Vec<AtomicU64> = (0..Broadcast::<N>::words(S))
        .map(|_| AtomicU64::new(0))
        .collect();
    // Start from garbage in the words the peer wrote before we came.
    let nfill = usize::from(input.byte());
    for _ in 0..nfill {
        let i = usize::from(input.byte());
        if let Some(w) = shared(&ctl, &lines, &slots).nth(i) {
            w.store(input.word(), Relaxed);
        }
    }
    let Some(mut bc) = Broadcast::<N>::new(&ctl, &lines, &slots, S) else {
        return;
    };
    let words = shared(&ctl, &lines, &slots).count();
    let park = &mut NoPark;
    let mut writer = BcWriter::new(bc).ok();
    let mut readers: [Option<BcReader<'_, N>>; 3] = [None, None, None];
    while !input.is_empty() {
        let op = input.byte();
        let max = usize::from(input.byte() % 8);
        let h = usize::from(input.byte()) % readers.len();
        match op % 12 {
            0 => {
                if let Some(w) = writer.as_mut() {
                    let mut calls = 0;
                    let r = w.push(
                        max,
                        |i, s| {
                            assert!(i < max && s.len() == S, "a whole slot of the batch");
                            s[0].store(i as u64, Relaxed);
                            calls += 1;
                        },
                        park,
                    );
                    if let Ok(n) = r {
                        assert!(n <= max.min(N) && n == calls);
                    }
                }
            }
            1 => {
                if let Some(w) = writer.as_mut()
                    && let Ok(n) = w.reserve(max)
                {
                    assert!(n <= max.min(N));
                    for i in 0..n {
                        assert_eq!(w.reserved(i).len(), S);
                    }
                    let k = usize::from(input.byte() % 8);
                    assert!(w.commit(k, park) <= n.min(k));
                }
            }
            2 => {
                if let Some(w) = writer.as_mut() {
                    let spins = u32::from(input.byte() % 3);
                    if let Ok(n) = w.push_blocking(max, spins, |_, s| assert_eq!(s.len(), S), park)
                    {
                        assert!(n <= max.min(N));
                    }
                }
            }
            3 => {
                if let Some(r) = readers[h].as_mut() {
                    let (before, mut seen) = (r.cursor(), 0);
                    let got = r.pop(
                        max,
                        |i, s| {
                            assert!(i < max && s.len() == S);
                            seen += 1;
                        },
                        park,
                    );
                    check_read(before, r.cursor(), max, seen, got);
                }
            }
            4 => {
                if let Some(r) = readers[h].as_mut()
                    && let Ok(n) = r.peek(max)
                {
                    assert!(n <= max.min(N));
                    for i in 0..n {
                        assert_eq!(r.peeked(i).len(), S);
                    }
                    let k = usize::from(input.byte() % 8);
                    let before = r.cursor();
                    let got = r.release(k, park);
                    // Up to what the reader knows is published (at least `n`).
                    check_read(before, r.cursor(), k, got.unwrap_or(0), got);
                }
            }
            5 => {
                if let Some(r) = readers[h].as_mut() {
                    let spins = u32::from(input.byte() % 3);
                    if let Ok(n) = r.pop_blocking(max, spins, |_, s| assert_eq!(s.len(), S), park) {
                        assert!(n <= max.min(N));
                    }
                }
            }
            6 => {
                let start = if max % 2 == 0 {
                    Start::Oldest
                } else {
                    Start::Newest
                };
                let line = usize::from(input.byte() % (R as u8 + 1));
                if let Ok(r) = BcReader::join(bc, line, start, park) {
                    assert!(r.index() < R);
                    readers[h] = Some(r);
                }
            }
            7 => {
                if let Some(r) = readers[h].take() {
                    let _ = r.leave(park);
                }
            }
            8 => {
                let line = usize::from(input.byte() % (R as u8 + 1));
                let ticket = match bc.ticket(line) {
                    Some((t, _)) => t.wrapping_add(u64::from(input.byte() % 2)),
                    None => input.word(),
                };
                let _ = bc.drop_reader(line, ticket, park);
            }
            9 => {
                if let Some(w) = writer.as_mut() {
                    w.close(park);
                }
            }
            10 => {
                // A new layout and writer over whatever is there now.
                if let Some(again) = Broadcast::<N>::new(&ctl, &lines, &slots, S) {
                    bc = again;
                    writer = BcWriter::new(bc).ok();
                }
            }
            _ => {
                // The hostile peer strikes: one shared word gets a new value.
                let i = usize::from(input.byte()) % words;
                if let Some(w) = shared(&ctl, &lines, &slots).nth(i) {
                    w.store(input.word(), Relaxed);
                }
            }
        }
        for r in readers.iter().flatten() {
            let _ = r.is_finished();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    run(&mut Input(data));
});
