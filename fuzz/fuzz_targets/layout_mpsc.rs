//! The many-producer ring (`sysv_ipc::layout::mpsc`) over arbitrary shared bytes,
//! as a hostile or crashed peer could leave them: the control block, the
//! producer table and the slots filled from the input, then producers
//! registering, claiming, publishing, cancelling, leaving and being killed, the
//! consumer peeking, popping, releasing and being replaced, registrations
//! reclaimed and producers declared dead, while the input keeps overwriting any
//! shared word between operations.
//!
//! Properties: no panic, no out-of-bounds access (ASan), counts never above
//! what was asked or the capacity, every claimed or loaned slot whole.
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use libfuzzer_sys::fuzz_target;
use sysv_ipc::layout::mpsc::{ConsumerParking, MpscConsumer, MpscCtl, MpscProducer, MpscRing};
use sysv_ipc::layout::ring::{Barrier, Parking};

/// The fuzz input as a stream of bytes and words; zeros once it runs out.
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
        // Mostly small values and values near the top, which reach deeper states
        // than uniformly random words.
        match self.byte() % 4 {
            0 => u64::from(self.byte()),
            1 => u64::MAX - u64::from(self.byte()),
            _ => u64::from_le_bytes(core::array::from_fn(|_| self.byte())),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parking that never sleeps (one thread): a park "fails", ending a blocking
/// call. The producers in `dead` are dead.
#[derive(Default)]
struct Env {
    dead: u64,
}

impl Parking for Env {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        Err(())
    }
    fn unpark_peer(&mut self) {}
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        Err(())
    }
}

impl ConsumerParking for Env {
    fn is_alive(&mut self, producer: usize, _: u64) -> bool {
        self.dead >> (producer % 64) & 1 == 0
    }
    fn unpark_producer(&mut self, producer: usize) {
        assert!(producer < 64, "a producer past the table woken");
    }
}

const N: usize = 4;

fn run(input: &mut Input<'_>) {
    let producers = usize::from(input.byte() % 4) + 1;
    let slot_words = usize::from(input.byte() % 3) + 1;
    let ctl = MpscCtl::new();
    let data: Vec<AtomicU64> = (0..MpscRing::<N>::words(producers, slot_words))
        .map(|_| AtomicU64::new(0))
        .collect();
    let ring = MpscRing::<N>::new(&ctl, &data, producers, slot_words).expect("exact size");
    let ctl_words = [
        &ctl.tail,
        &ctl.consumer_waiting,
        &ctl.barrier,
        &ctl.producers,
        &ctl.head,
        &ctl.producers_waiting,
        &ctl.consumer_pid,
        &ctl.abandoned,
    ];
    // A fresh ring or the input's bytes everywhere.
    if input.byte() & 1 == 0 {
        ring.init(Barrier::Symmetric);
    } else {
        for w in ctl_words.iter().copied().chain(&data) {
            w.store(input.word(), Relaxed);
        }
    }
    let env = &mut Env::default();
    let mut held: Vec<MpscProducer<'_, N>> = Vec::new();
    let mut consumer = MpscConsumer::new(ring).ok();
    while !input.is_empty() {
        let op = input.byte() % 12;
        let arg = input.byte();
        let pick = usize::from(arg);
        match op {
            0 => {
                if let Some(p) = MpscProducer::register(ring, u64::from(arg), env) {
                    assert!(p.index() < producers && p.registration() & 1 == 1);
                    held.push(p);
                }
            }
            1..=4 if !held.is_empty() => {
                let at = pick % held.len();
                let p = &mut held[at];
                match op {
                    1 => {
                        let _ = p.reserve();
                    }
                    2 => {
                        let had = !p.reserved().is_empty();
                        assert_eq!(p.commit(env), had);
                    }
                    3 => {
                        let _ = p.cancel(env);
                    }
                    _ => {
                        let _ = p.push(|s| s[0].store(u64::from(arg), Relaxed), env);
                        let _ = p.reserve_blocking(u32::from(arg % 3), env);
                        // An asynchronous wait for room armed over whatever the
                        // entry's `wait` word and the bitmap hold, then given up.
                        if let Ok(Some(word)) = p.arm(env) {
                            let _ = word.load(Relaxed);
                            p.disarm(env);
                        }
                    }
                }
                let len = p.reserved().len();
                assert!(len == 0 || len == slot_words, "claimed slot of {len} words");
            }
            5 if !held.is_empty() => {
                let p = held.swap_remove(pick % held.len());
                if arg & 1 == 0 {
                    p.leave(env);
                } else {
                    let _killed = p; // killed: no publish, no leave
                }
            }
            6 => {
                let _ = ring.reclaim(pick % (producers + 1), input.word());
                let _ = ring.registration(pick);
            }
            7 => consumer = MpscConsumer::new(ring).ok(),
            8 | 9 => {
                if let Some(c) = consumer.as_mut() {
                    let max = pick % (N + 2);
                    if op == 8 {
                        if let Ok(n) = c.peek(max, env) {
                            assert!(n <= max && n <= N);
                            for i in 0..n {
                                assert_eq!(c.peeked(i).len(), slot_words);
                            }
                            assert!(c.release(usize::from(input.byte()), env) <= N);
                        }
                    } else {
                        let mut seen = 0;
                        let read = |_: usize, s: &[AtomicU64]| {
                            assert_eq!(s.len(), slot_words);
                            seen += 1;
                        };
                        if let Ok(n) = c.pop(max, read, env) {
                            assert!(n == seen && n <= max);
                        }
                        let read = |_: usize, s: &[AtomicU64]| assert_eq!(s.len(), slot_words);
                        let _ = c.pop_blocking(max, u32::from(arg % 3), read, env);
                    }
                }
            }
            10 => env.dead = input.word(),
            _ => {
                // The hostile peer: one word anywhere.
                let value = input.word();
                let at = pick % (ctl_words.len() + data.len());
                match ctl_words.get(at) {
                    Some(w) => w.store(value, Relaxed),
                    None => data[at - ctl_words.len()].store(value, Relaxed),
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    run(&mut Input(data));
});
