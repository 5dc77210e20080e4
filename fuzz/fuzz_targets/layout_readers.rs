//! Target (b): the layout readers over arbitrary shared bytes, as a hostile or
//! crashed peer could leave them.
//!
//! 1. The pure layouts (`sysv_ipc::layout`): a header, a ring's control block and
//!    slots, a seqlock's control block and words, all filled from the input, then
//!    read and written while the input keeps overwriting shared words between (and
//!    during) operations.
//! 2. The same through the typed API over a mock segment: a `Queue` and a `SeqLock`
//!    whose segment bytes are overwritten with the input, then opened again (header
//!    validation through the real `view` of segment memory) and used.
//!
//! Properties: no panic, no out-of-bounds access (ASan), counts never above what
//! was asked, every slot handed out is whole, every decoded value came from the
//! slots (`T: FromBytes`, so any bytes are a valid `T`: never an invalid value).
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use libfuzzer_sys::fuzz_target;
use sysv_ipc::layout::header::{Kind, Shape};
use sysv_ipc::layout::ring::{Parking, Ring, RingConsumer, RingCtl, RingProducer};
use sysv_ipc::layout::seqlock::{self, SeqCtl, SeqWriter};
use sysv_ipc::layout::{Header, ShmType};
use sysv_ipc::queue::{Queue, QueueOptions};
use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
use sysv_ipc::{Intent, Key, Mode, Removable};
use sysv_ipc_mock::{Mock, OnBlock};

type Kernel = Mock<4, 16, 8, 1024, 8>;

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
        // Mostly small values and values near the others, which reach deeper states
        // than uniformly random words.
        let tag = self.byte();
        match tag % 4 {
            0 => u64::from(self.byte()),
            1 => u64::MAX - u64::from(self.byte()),
            _ => u64::from_le_bytes(core::array::from_fn(|_| self.byte())),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parking that never sleeps (one thread): a park "fails", ending a blocking call.
struct NoPark;

impl Parking for NoPark {
    type Error = ();
    fn park(&mut self) -> Result<(), ()> {
        Err(())
    }
    fn unpark_peer(&mut self) {}
    fn heavy_barrier(&mut self) -> Result<(), ()> {
        Err(())
    }
}

fn fill(words: &[AtomicU64], input: &mut Input<'_>) {
    for w in words {
        w.store(input.word(), Relaxed);
    }
}

fn ctl_words(ctl: &RingCtl) -> [&AtomicU64; 6] {
    [
        &ctl.tail,
        &ctl.head,
        &ctl.consumer_waiting,
        &ctl.producer_waiting,
        &ctl.producer_pid,
        &ctl.consumer_pid,
    ]
}

fn header_words(h: &Header) -> [&AtomicU64; 12] {
    [
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
    ]
}

const N: usize = 4;

fn pure_layouts(input: &mut Input<'_>) {
    // Header: validation of arbitrary fields, and the ready wait (bounded).
    let h = Header::new();
    for w in header_words(&h) {
        w.store(input.word(), Relaxed);
    }
    let shape = Shape::of::<[u64; 2]>(Kind::Ring, N, 384, 384 + N * 16);
    let _ = h.check(&shape);
    let _ = h.attach(&shape, |attempt| attempt < 2);

    // Ring: N slots of 1..=3 payload words (and a `seq` each) over arbitrary
    // indices, sequences and slot bytes.
    let slot_words = usize::from(input.byte() % 3) + 1;
    let ctl = RingCtl::new();
    for w in ctl_words(&ctl) {
        w.store(input.word(), Relaxed);
    }
    let slots: Vec<AtomicU64> = (0..Ring::<N>::words(slot_words))
        .map(|_| AtomicU64::new(0))
        .collect();
    fill(&slots, input);
    let ring = Ring::<N>::new(&ctl, &slots, slot_words).expect("exact slot count");
    let mut consumer = RingConsumer::new(ring).ok();
    let mut producer = RingProducer::new(ring).ok();
    let _ = ctl.occupied::<N>();
    while !input.is_empty() {
        let op = input.byte();
        let max = usize::from(input.byte() % 8);
        match op % 6 {
            0 => {
                if let Some(c) = consumer.as_mut() {
                    let mut seen = 0;
                    let r = c.pop(
                        max,
                        |i, slot| {
                            assert_eq!(slot.len(), slot_words, "a whole slot");
                            assert!(i < max, "slot index within the batch");
                            let mut out = [0u8; 24];
                            let len = slot_words * 8;
                            assert!(sysv_ipc_load(slot, &mut out[..len]));
                            seen += 1;
                        },
                        &mut NoPark,
                    );
                    if let Ok(n) = r {
                        assert!(n <= max && n == seen, "popped {n} of {max}, read {seen}");
                    }
                }
            }
            1 => {
                if let Some(p) = producer.as_mut() {
                    let r = p.push(
                        max,
                        |i, slot| {
                            assert_eq!(slot.len(), slot_words);
                            assert!(i < max);
                            for w in slot {
                                w.store(i as u64, Relaxed);
                            }
                        },
                        &mut NoPark,
                    );
                    if let Ok(n) = r {
                        assert!(n <= max);
                    }
                }
            }
            2 => {
                if let Some(c) = consumer.as_mut() {
                    let _ =
                        c.pop_blocking(max, 2, |_, s| assert_eq!(s.len(), slot_words), &mut NoPark);
                    let _ = c.occupied();
                }
            }
            3 => {
                if let Some(p) = producer.as_mut() {
                    let _ = p.push_blocking(
                        max,
                        2,
                        |_, s| assert_eq!(s.len(), slot_words),
                        &mut NoPark,
                    );
                    let _ = p.occupied();
                }
            }
            4 => {
                // The hostile peer strikes: one control word gets a new value.
                let w = ctl_words(&ctl);
                w[usize::from(input.byte()) % w.len()].store(input.word(), Relaxed);
                if let Ok(n) = ctl.occupied::<N>() {
                    assert!(n <= N);
                }
            }
            _ => {
                // A new role holder starts over from the shared indices.
                consumer = RingConsumer::new(ring).ok();
                producer = RingProducer::new(ring).ok();
            }
        }
    }
}

/// `layout::load_words` is crate-private; this is the same copy for the test.
fn sysv_ipc_load(words: &[AtomicU64], dst: &mut [u8]) -> bool {
    if dst.len().div_ceil(8) > words.len() {
        return false;
    }
    for (w, chunk) in words.iter().zip(dst.chunks_mut(8)) {
        let b = w.load(Relaxed).to_ne_bytes();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
    true
}

fn pure_seqlock(input: &mut Input<'_>) {
    let ctl = SeqCtl::new();
    ctl.seq.store(input.word(), Relaxed);
    ctl.writer_pid.store(input.word(), Relaxed);
    let nwords = usize::from(input.byte() % 4) + 1;
    let words: Vec<AtomicU64> = (0..nwords).map(|_| AtomicU64::new(0)).collect();
    fill(&words, input);
    let mut w = SeqWriter::new(&ctl, &words);
    for _ in 0..4 {
        let len = usize::from(input.byte() % 40);
        let mut dst = vec![0u8; len];
        let attempts = u32::from(input.byte() % 4);
        if let Ok(seq) = seqlock::read(&ctl, &words, &mut dst, attempts) {
            assert!(
                seq.is_multiple_of(2),
                "a read succeeds only at an even sequence"
            );
            assert!(len.div_ceil(8) <= nwords, "read more than the words");
        }
        let src: Vec<u8> = (0..usize::from(input.byte() % 40))
            .map(|_| input.byte())
            .collect();
        let ok = w.write(&src);
        assert_eq!(ok, src.len().div_ceil(8) <= nwords);
        if ok {
            let mut back = vec![0u8; src.len()];
            assert!(seqlock::read(&ctl, &words, &mut back, 1).is_ok());
            assert_eq!(back, src, "a completed write reads back whole");
        }
        // The peer overwrites the sequence word.
        if input.byte().is_multiple_of(2) {
            ctl.seq.store(input.word(), Relaxed);
        }
    }
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    zerocopy::FromBytes,
    zerocopy::IntoBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
#[repr(C)]
struct Item {
    seq: u32,
    tag: u16,
    kind: u8,
    flag: u8,
    value: u64,
}

impl ShmType for Item {
    const TYPE_ID: u64 = sysv_ipc::type_id("sysv-ipc fuzz::Item v1");
}

fn typed_over_mock(k: &Kernel, input: &mut Input<'_>) {
    let key = Key::new(0x4655_5a5a);
    // A join gives up on an unready header after its spins, without sleeping.
    let wait = QueueOptions::new().join_timeout(core::time::Duration::ZERO);
    let Ok(q) = Queue::<Item, 4, _>::create_with(k, key, Intent::CreateNew, Mode::OWNER_RW, wait)
    else {
        return;
    };
    // The segment's bytes become the input's (header, lines, slots).
    let att = q.attachment();
    let len = att.len();
    let mut bytes = vec![0u8; len];
    for (i, b) in bytes.iter_mut().enumerate() {
        // Keep some valid prefix now and then so that deeper states are reached.
        *b = input.byte();
        if i == 0 && *b % 3 == 0 {
            break;
        }
    }
    if bytes.first().is_some_and(|b| b % 3 == 0) {
        // Leave the header valid, overwrite only the lines and slots.
        let _ = att.write(128, bytes.get(128..).unwrap_or(&[]));
    } else {
        let _ = att.write(0, &bytes);
    }
    // A second handle validates the header through the real segment view.
    let again = Queue::<Item, 4, _>::create_with(k, key, Intent::Open, Mode::OWNER_RW, wait);
    let _ = q.len();
    for q in [Some(&q), again.as_ref().ok()].into_iter().flatten() {
        if let Ok(mut c) = q.reclaim_consumer() {
            let _ = c.len();
            for _ in 0..3 {
                let _ = c.dequeue();
            }
            let mut out = [Item {
                seq: 0,
                tag: 0,
                kind: 0,
                flag: 0,
                value: 0,
            }; 5];
            if let Ok(n) = c.dequeue_into(&mut out) {
                assert!(n <= out.len());
            }
            let _ = c.dequeue_timeout(core::time::Duration::from_millis(1));
        }
        if let Ok(mut p) = q.reclaim_producer() {
            let _ = p.len();
            let _ = p.enqueue(Item {
                seq: 1,
                tag: 2,
                kind: 3,
                flag: 4,
                value: 5,
            });
        }
    }
    drop(again);
    let _ = q.remove();

    let wait = SeqLockOptions::new().join_timeout(core::time::Duration::ZERO);
    let Ok(lock) = SeqLock::<[u64; 3], _>::create_with(
        k,
        Key::new(0x4655_5a5b),
        Intent::CreateNew,
        Mode::OWNER_RW,
        wait,
    ) else {
        return;
    };
    let att = lock.attachment();
    let n = att.len();
    let bytes: Vec<u8> = (0..n).map(|_| input.byte()).collect();
    let start = if input.byte().is_multiple_of(2) {
        128
    } else {
        0
    };
    let _ = att.write(start, bytes.get(start..).unwrap_or(&[]));
    let _ = lock.read_with_attempts(3);
    let again = SeqLock::<[u64; 3], _>::create_with(
        k,
        Key::new(0x4655_5a5b),
        Intent::Open,
        Mode::OWNER_RW,
        wait,
    );
    if let Ok(l) = &again {
        let _ = l.read_with_attempts(3);
    }
    if let Ok(mut w) = lock.reclaim_writer() {
        w.write(&[1, 2, 3]).expect("the role is this process's");
        assert_eq!(
            lock.read_with_attempts(3),
            Ok([1, 2, 3]),
            "a completed write reads back"
        );
    }
    drop(again);
    let _ = lock.remove();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    match input.byte() % 3 {
        0 => pure_layouts(&mut input),
        1 => pure_seqlock(&mut input),
        _ => {
            let k: Box<Kernel> = Box::new(Kernel::new());
            k.set_on_block(OnBlock::Fail);
            typed_over_mock(&k, &mut input);
        }
    }
});
