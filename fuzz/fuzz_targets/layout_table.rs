//! Target (table): the table layout (`sysv_ipc::layout::table`) over arbitrary shared
//! bytes, as a hostile or crashed peer could leave them: the control block
//! (header, writer line), the change index and the slots are filled from the
//! input, then read, queried and written while the input keeps overwriting shared
//! words between operations and during them (inside the copy callbacks and the
//! query's report), and writers take over from ones that died mid-write.
//!
//! Properties: no panic, no out-of-bounds access (ASan); every operation returns
//! a value or the error its arguments call for (`NoSlot` for a slot past `N`,
//! `TooLarge` for a value longer than a slot, otherwise only `Busy`); a copy
//! callback gets exactly a slot's value words; a query reports slots below `N`,
//! each once, in increasing order, and returns the `version` it loaded; a write
//! nothing overwrote reads back whole and is reported by a query from just before
//! it.
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use libfuzzer_sys::fuzz_target;
use sysv_ipc::layout::header::{Kind, Shape};
use sysv_ipc::layout::table::{Slots, TableCtl, TableError, TableWriter};
use sysv_ipc::layout::watch::{WATCHED, Watch};

/// Two change groups, the second partial.
const N: usize = 70;
/// The longest value a case uses: 3 words.
const MAX_BYTES: usize = 24;

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
        // (versions that compare, `seq` words that are even) than uniform words.
        match self.byte() % 4 {
            0 => u64::from(self.byte()),
            1 => u64::MAX - u64::from(self.byte()),
            _ => u64::from_le_bytes(core::array::from_fn(|_| self.byte())),
        }
    }

    /// A slot number: mostly a real one, sometimes `N` or any number.
    fn slot(&mut self) -> usize {
        match self.byte() % 8 {
            0 => N,
            1 => self.word() as usize,
            _ => usize::from(self.byte()) % N,
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every word of the control block: header, writer line, padding.
fn ctl_words(ctl: &TableCtl) -> Vec<&AtomicU64> {
    let h = &ctl.header;
    let mut v: Vec<&AtomicU64> = vec![
        &h.state,
        &h.magic,
        &h.layout_version,
        &h.kind,
        &h.total_size,
        &h.data_offset,
        &h.type_size,
        &h.type_align,
        &h.type_id,
        &h.capacity,
        &h.creator_pid,
        &h.generation,
        &ctl.version,
        &ctl.writer_pid,
        &ctl.watchers,
    ];
    v.extend(h.reserved.iter().chain(ctl.pad.iter()));
    v
}

/// The peer strikes: one shared word (any of them) gets a word of the input.
fn clobber(shared: &[&AtomicU64], input: &mut Input<'_>) {
    let i = input.word() as usize % shared.len();
    shared[i].store(input.word(), Relaxed);
}

fn run(input: &mut Input<'_>) {
    let value_words = usize::from(input.byte() % 3) + 1;
    let bytes = value_words * 8;
    let ctl = TableCtl::new();
    let words: Vec<AtomicU64> = (0..Slots::<N>::words(value_words))
        .map(|_| AtomicU64::new(0))
        .collect();
    let shared: Vec<&AtomicU64> = ctl_words(&ctl).into_iter().chain(words.iter()).collect();
    // Fill a prefix of the shared words from the input (the rest stays zero, a
    // fresh segment's bytes), so short inputs still reach the operations.
    let filled = usize::from(input.byte()) * 4;
    for w in shared.iter().take(filled) {
        w.store(input.word(), Relaxed);
    }
    let slots = Slots::<N>::new(&ctl, &words, value_words).expect("exact word count");
    let shape = Shape::of::<[u64; 3]>(
        Kind::Table,
        N,
        Slots::<N>::slots_offset(),
        Slots::<N>::total_size(value_words),
    );
    let mut writer: Option<TableWriter<'_, N>> = None;
    while !input.is_empty() {
        match input.byte() % 11 {
            0 | 1 => clobber(&shared, input),
            2 => {
                let slot = input.slot();
                let len = usize::from(input.byte()) % (MAX_BYTES + 9);
                let attempts = u32::from(input.byte() % 4);
                let mut out = [0u8; MAX_BYTES + 8];
                let r = slots.read(slot, &mut out[..len], attempts);
                if len > bytes {
                    assert_eq!(r, Err(TableError::TooLarge));
                } else if slot >= N {
                    assert_eq!(r, Err(TableError::NoSlot));
                } else if attempts == 0 {
                    assert_eq!(r, Err(TableError::Busy));
                } else {
                    assert!(matches!(r, Ok(_) | Err(TableError::Busy)), "{r:?}");
                }
            }
            3 => {
                // The peer writes inside the copy: the run is thrown away or
                // accepted, never out of bounds.
                let slot = input.slot();
                let attempts = u32::from(input.byte() % 4);
                let r = slots.read_consistent(slot, attempts, |value| {
                    assert_eq!(value.len(), value_words, "a whole value");
                    clobber(&shared, input);
                    value
                        .iter()
                        .map(|w| w.load(Relaxed))
                        .fold(0, u64::wrapping_add)
                });
                if slot >= N {
                    assert_eq!(r, Err(TableError::NoSlot));
                } else {
                    assert!(matches!(r, Ok(_) | Err(TableError::Busy)), "{r:?}");
                }
            }
            4 => {
                let since = input.word();
                let strike = input.byte().is_multiple_of(2);
                let mut got = Vec::new();
                let before = ctl.version.load(Relaxed);
                let now = slots.changed_since(since, |i| {
                    got.push(i);
                    if strike {
                        clobber(&shared, input);
                    }
                });
                assert_eq!(now, before, "the version it loaded");
                assert!(got.iter().all(|&i| i < N), "{got:?}");
                assert!(got.windows(2).all(|p| p[0] < p[1]), "{got:?}");
                if since == now {
                    assert!(got.is_empty());
                } else if since > now {
                    assert_eq!(got.len(), N, "a version from elsewhere: every slot");
                }
            }
            5 => writer = Some(TableWriter::new(slots)),
            6 => {
                let Some(w) = writer.as_mut() else { continue };
                let slot = input.slot();
                let len = usize::from(input.byte()) % (MAX_BYTES + 9);
                let src: Vec<u8> = (0..len).map(|_| input.byte()).collect();
                let r = w.write(slot, &src);
                if len > bytes {
                    assert_eq!(r, Err(TableError::TooLarge));
                } else if slot >= N {
                    assert_eq!(r, Err(TableError::NoSlot));
                } else {
                    // Nothing overwrote it since: it reads back, and a query from
                    // just before it reports it.
                    let v = r.expect("a slot below N and a value that fits");
                    let mut out = [0u8; MAX_BYTES + 8];
                    assert_eq!(
                        slots.read(slot, &mut out[..len], 1),
                        Ok(v & (u64::MAX >> 1))
                    );
                    assert_eq!(out[..len], src[..]);
                    let mut reported = false;
                    assert_eq!(
                        slots.changed_since(v.wrapping_sub(1), |i| reported |= i == slot),
                        v
                    );
                    assert!(reported, "write {v} of slot {slot}");
                }
            }
            7 => {
                let Some(w) = writer.as_mut() else { continue };
                let slot = input.slot();
                let r = w.write_in_place(slot, |value| {
                    assert_eq!(value.len(), value_words, "a whole value");
                    for word in value {
                        word.store(input.word(), Relaxed);
                    }
                    clobber(&shared, input);
                });
                assert_eq!(r.is_err(), slot >= N);
            }
            8 => {
                // A writer dying mid-write, then another taking over.
                let Some(w) = writer.as_mut() else { continue };
                let slot = input.slot();
                assert_eq!(w.begin_and_abandon(slot), slot < N);
                writer = None;
            }
            9 => {
                // A writer dying after its slot's `seq`, before the index.
                let Some(w) = writer.as_mut() else { continue };
                let slot = input.slot();
                let len = usize::from(input.byte()) % (MAX_BYTES + 9);
                let r = w.write_and_abandon(slot, &[0xa5; MAX_BYTES + 8][..len]);
                assert_eq!(r.is_ok(), slot < N && len <= bytes);
                writer = None;
            }
            10 if input.byte().is_multiple_of(2) => {
                // A watcher arms against garbage: a change is the version it
                // loaded, an arm leaves the flag set; the writer's check then
                // takes the flag and moves the word, whatever else it held.
                let since = input.word();
                match slots.arm_watch(since) {
                    Watch::Changed(v) => assert_ne!(v, since),
                    Watch::Armed { expected } => {
                        assert_eq!(u64::from(expected) & WATCHED, WATCHED);
                    }
                }
                assert_eq!(ctl.watchers.load(Relaxed) & WATCHED, WATCHED);
                if let Some(w) = writer.as_ref() {
                    assert!(w.wake_check());
                    assert_eq!(ctl.watchers.load(Relaxed) & (WATCHED | !0xffff_ffff), 0);
                }
            }
            _ => {
                let _ = ctl.header.check(&shape);
                let _ = ctl.header.attach(&shape, |attempt| attempt < 2);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    run(&mut Input(data));
});
