//! Renders `include/sysv_ipc_layout.h`, the C view of the layouts in
//! [`layout`](crate::layout):
//! every field's offset and size, the magic, the layout version, the state, kind and
//! barrier values, the semaphores [`Queue`] and [`SeqLock`] use, and the type
//! fingerprint rule, all taken from the crate's own constants, `offset_of!` and
//! `size_of` when the header is rendered, so the C view cannot drift from Rust.
//!
//! `tests/c_header.rs` renders it and compares it byte for byte with the checked-in
//! file (`SYSV_IPC_BLESS=1 cargo test --test c_header` rewrites the file), and
//! compiles it: the header's `_Static_assert`s make a C compiler check its struct
//! declarations against the offsets rendered here. The functions that run the
//! protocols in C are hand-written in `include/sysv_ipc_protocol.h`, which pins the
//! layout version it implements.
//!
//! The field tables below must list every field of [`Header`], [`RingCtl`],
//! [`SeqCtl`], [`BcCtl`] and [`MpscCtl`] in order, without gaps: a compile-time check refuses the build
//! otherwise, so a field added to a layout cannot be left out of the C header.
//!
//! Not part of the API: the header is the interface. The module is compiled only
//! with the unsupported `test-hooks` feature (so its check runs in every build of
//! the crate's tests, `cargo clippy --all-targets` and CI, not in users' builds).

use core::fmt::{self, Write};
use core::mem::offset_of;

use crate::abi::{
    MEMBARRIER_CMD_GLOBAL_EXPEDITED, MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
};
use crate::broadcast::{self as typed_bc, Broadcast};
use crate::layout::broadcast::{self as bc, BcCtl};
use crate::layout::header::{
    HEADER_SIZE, Header, INITIALIZING, Kind, LAYOUT_VERSION, MAGIC, READY, UNINIT, fingerprint,
    fnv1a64, type_id,
};
use crate::layout::mpsc::{self as mpsc_layout, MpscCtl, MpscRing};
use crate::layout::ring::{self, Barrier, RingCtl};
use crate::layout::seqlock::{self, SeqCtl};
use crate::layout::table::{self as table_layout, Slots, TableCtl};
use crate::layout::{LINE, ShmType, WORD, words_for};
use crate::queue::{self, DEFAULT_SPINS, Queue};
use crate::seqlock::{self as lock, DEFAULT_ATTEMPTS, SeqLock};
use crate::table::{self as board, Table};

/// How a field is declared in C.
#[derive(Copy, Clone)]
enum CType {
    /// `_Atomic uint64_t name;`
    Word,
    /// `_Atomic uint64_t name[size / 8];`
    Words,
    /// `struct svipc_header name;`
    Header,
}

/// One field of a control struct, as Rust lays it out.
#[derive(Copy, Clone)]
struct Field {
    name: &'static str,
    offset: usize,
    size: usize,
    align: usize,
    ctype: CType,
    doc: &'static str,
}

/// Size and alignment of the field a projection names.
const fn size_align<S, F>(_: fn(&S) -> &F) -> (usize, usize) {
    (size_of::<F>(), align_of::<F>())
}

macro_rules! field {
    ($s:ty, $f:ident, $ctype:ident, $doc:expr) => {
        Field {
            name: stringify!($f),
            offset: offset_of!($s, $f),
            size: size_align(|s: &$s| &s.$f).0,
            align: size_align(|s: &$s| &s.$f).1,
            ctype: CType::$ctype,
            doc: $doc,
        }
    };
}

const HEADER_FIELDS: [Field; 13] = [
    field!(
        Header,
        state,
        Word,
        "SVIPC_STATE_*: 0 uninitialised (the kernel's zero fill), 1 initialising, 2 ready; anything else is corrupt"
    ),
    field!(Header, magic, Word, "SVIPC_MAGIC"),
    field!(Header, layout_version, Word, "SVIPC_LAYOUT_VERSION"),
    field!(
        Header,
        kind,
        Word,
        "SVIPC_KIND_RING (Queue), SVIPC_KIND_SEQLOCK (SeqLock), SVIPC_KIND_TABLE (Table), SVIPC_KIND_BROADCAST (Broadcast) or SVIPC_KIND_MPSC (Mpsc)"
    ),
    field!(
        Header,
        total_size,
        Word,
        "bytes the layout uses (the segment may be larger)"
    ),
    field!(
        Header,
        data_offset,
        Word,
        "offset of slot 0 / of the value: SVIPC_RING_DATA_OFFSET, SVIPC_SEQLOCK_DATA_OFFSET, SVIPC_TABLE_SLOTS_OFFSET(N), SVIPC_BC_DATA_OFFSET or SVIPC_MPSC_DATA_OFFSET(P)"
    ),
    field!(Header, type_size, Word, "sizeof(T)"),
    field!(Header, type_align, Word, "_Alignof(T)"),
    field!(
        Header,
        type_id,
        Word,
        "SVIPC_FINGERPRINT(TYPE_ID of T, sizeof(T), _Alignof(T)), not the TYPE_ID itself"
    ),
    field!(
        Header,
        capacity,
        Word,
        "ring slots (MAXSZ, a power of two); 1 for a seqlock"
    ),
    field!(
        Header,
        creator_pid,
        Word,
        "pid of the process that initialised the header"
    ),
    field!(
        Header,
        generation,
        Word,
        "1 (counts initialisations; reserved for re-initialisation)"
    ),
    field!(Header, reserved, Words, "zero"),
];

const RING_FIELDS: [Field; 11] = [
    field!(
        RingCtl,
        header,
        Header,
        "kind 1, capacity MAXSZ, data_offset 384"
    ),
    field!(
        RingCtl,
        tail,
        Word,
        "messages ever enqueued (free-running); stored by the producer only (release)"
    ),
    field!(
        RingCtl,
        consumer_waiting,
        Word,
        "non-zero: the consumer is (about to be) parked on SVIPC_QUEUE_SEM_ITEMS; set by the consumer, cleared by an exchange in the producer"
    ),
    field!(
        RingCtl,
        producer_pid,
        Word,
        "pid of the producer role's holder, 0 when released cleanly"
    ),
    field!(
        RingCtl,
        barrier,
        Word,
        "SVIPC_BARRIER_ASYMMETRIC (1) or anything else: symmetric; written by the creator before READY, read once per role"
    ),
    field!(
        RingCtl,
        closed,
        Word,
        "SVIPC_RING_OPEN (0), or SVIPC_RING_CLOSED (1) for good once the producer closed the stream (release); anything else is corrupt"
    ),
    field!(
        RingCtl,
        producer_pad,
        Words,
        "zero: keeps head off the producer's 128 bytes"
    ),
    field!(
        RingCtl,
        head,
        Word,
        "messages ever dequeued (free-running); stored by the consumer only (release)"
    ),
    field!(
        RingCtl,
        producer_waiting,
        Word,
        "non-zero: the producer is (about to be) parked on SVIPC_QUEUE_SEM_SPACE; set by the producer, cleared by an exchange in the consumer"
    ),
    field!(
        RingCtl,
        consumer_pid,
        Word,
        "pid of the consumer role's holder, 0 when released cleanly"
    ),
    field!(
        RingCtl,
        consumer_pad,
        Words,
        "zero: keeps the slots off the consumer's 128 bytes"
    ),
];

const SEQLOCK_FIELDS: [Field; 5] = [
    field!(
        SeqCtl,
        header,
        Header,
        "kind 2, capacity 1, data_offset 256"
    ),
    field!(
        SeqCtl,
        seq,
        Word,
        "sequence number: odd while a write is in progress; stored by the writer only"
    ),
    field!(
        SeqCtl,
        writer_pid,
        Word,
        "pid of the writer role's holder, 0 when released cleanly"
    ),
    field!(
        SeqCtl,
        watchers,
        Word,
        "low 32 bits: a wake epoch (bits 1..31) and bit 0, set (fetch_or) by a watcher that may sleep in a futex wait on the low half (layout version 7); after each write the writer, if bit 0 is set, moves the word to the next epoch with bit 0 clear (CAS) and futex-wakes all"
    ),
    field!(
        SeqCtl,
        pad,
        Words,
        "zero: keeps the value off the sequence's 128 bytes"
    ),
];

const TABLE_FIELDS: [Field; 5] = [
    field!(
        TableCtl,
        header,
        Header,
        "kind 5, capacity N, data_offset SVIPC_TABLE_SLOTS_OFFSET(N)"
    ),
    field!(
        TableCtl,
        version,
        Word,
        "the table version: the last write whose change-index stores are complete (0: none); stored by the writer only (release)"
    ),
    field!(
        TableCtl,
        writer_pid,
        Word,
        "pid of the writer role's holder, 0 when released cleanly"
    ),
    field!(
        TableCtl,
        watchers,
        Word,
        "low 32 bits: a wake epoch (bits 1..31) and bit 0, set (fetch_or) by a watcher that may sleep in a futex wait on the low half (layout version 7); after each write the writer, if bit 0 is set, moves the word to the next epoch with bit 0 clear (CAS) and futex-wakes all"
    ),
    field!(
        TableCtl,
        pad,
        Words,
        "zero: keeps the change index off the writer's 128 bytes"
    ),
];

const BROADCAST_FIELDS: [Field; 10] = [
    field!(
        BcCtl,
        header,
        Header,
        "kind 3, capacity N, data_offset 384 (the first reader line)"
    ),
    field!(
        BcCtl,
        tail,
        Word,
        "messages ever published (free-running, below 2^63); stored by the writer only (release)"
    ),
    field!(
        BcCtl,
        policy,
        Word,
        "SVIPC_BC_LOSSY (0) or SVIPC_BC_LOSSLESS (1); anything else is corrupt; written by the creator before READY"
    ),
    field!(
        BcCtl,
        barrier,
        Word,
        "SVIPC_BARRIER_ASYMMETRIC (1) or anything else: symmetric; written by the creator before READY"
    ),
    field!(
        BcCtl,
        readers,
        Word,
        "R: reader lines after the control block, 1..SVIPC_BC_MAX_READERS; written by the creator before READY"
    ),
    field!(
        BcCtl,
        closed,
        Word,
        "0 open, then 1 for good once the writer closed the stream (release); anything else is corrupt"
    ),
    field!(
        BcCtl,
        writer_pid,
        Word,
        "pid of the writer role's holder, 0 when released cleanly"
    ),
    field!(
        BcCtl,
        writer_pad,
        Words,
        "zero: keeps the waiting line off the writer's 128 bytes"
    ),
    field!(
        BcCtl,
        writer_waiting,
        Word,
        "non-zero: a lossless writer is (about to be) parked on SVIPC_BC_SEM_WRITER_WAKE; set by the writer, cleared by an exchange in a reader"
    ),
    field!(
        BcCtl,
        readers_waiting,
        Words,
        "bit r % 64 of word r / 64: reader r is (about to be) parked on its wake semaphore; the writer exchanges a non-zero word with 0 and posts each set bit's reader"
    ),
];

/// `(capacity, size_of::<T>(), readers, Broadcast::<T, capacity>'s segment bytes)`.
const BROADCAST_SIZES: [(usize, usize, usize, usize); 3] = [
    (2, 1, 1, Broadcast::<u8, 2>::size_of(1)),
    (8, 12, 3, Broadcast::<[u8; 12], 8>::size_of(3)),
    (1024, 8, 8, Broadcast::<u64, 1024>::size_of(8)),
];

const MPSC_FIELDS: [Field; 11] = [
    field!(
        MpscCtl,
        header,
        Header,
        "kind 4, capacity N, data_offset SVIPC_MPSC_DATA_OFFSET(P) (slot 0)"
    ),
    field!(
        MpscCtl,
        tail,
        Word,
        "positions ever claimed (free-running); moved by the producers' compare-exchange only (release)"
    ),
    field!(
        MpscCtl,
        consumer_waiting,
        Word,
        "non-zero: the consumer is (about to be) parked on SVIPC_MPSC_SEM_CONSUMER_WAKE(P); set by the consumer, cleared by an exchange in a producer"
    ),
    field!(
        MpscCtl,
        barrier,
        Word,
        "SVIPC_BARRIER_ASYMMETRIC (1) or anything else: symmetric; written by the creator before READY"
    ),
    field!(
        MpscCtl,
        producers,
        Word,
        "P: producer entries after the control block, 1..SVIPC_MPSC_MAX_PRODUCERS; written by the creator before READY"
    ),
    field!(
        MpscCtl,
        producer_pad,
        Words,
        "zero: keeps head off the producers' 128 bytes"
    ),
    field!(
        MpscCtl,
        head,
        Word,
        "positions ever consumed or skipped (free-running); stored by the consumer only (release)"
    ),
    field!(
        MpscCtl,
        producers_waiting,
        Word,
        "bit j: producer entry j is (about to be) parked on SVIPC_MPSC_SEM_PRODUCER_WAKE(P, j); set by fetch-or, the consumer exchanges the word with 0 and posts each bit's producer"
    ),
    field!(
        MpscCtl,
        consumer_pid,
        Word,
        "pid of the consumer role's holder, 0 when released cleanly"
    ),
    field!(
        MpscCtl,
        abandoned,
        Word,
        "claims the consumers skipped as abandoned (a statistic, stored by the consumer only)"
    ),
    field!(
        MpscCtl,
        consumer_pad,
        Words,
        "zero: keeps the producer table off the consumer's 128 bytes"
    ),
];

/// `MpscRing`'s segment bytes for `N` slots of `size`-byte values and `p`
/// producers, as the typed `Mpsc` sizes its segment.
const fn mpsc_total<const N: usize>(size: usize, p: usize) -> usize {
    mpsc_layout::TABLE_OFFSET + MpscRing::<N>::words(p, words_for(size)) * WORD
}

/// `(capacity, size_of::<T>(), producers, segment bytes)`, as [`RING_SIZES`].
const MPSC_SIZES: [(usize, usize, usize, usize); 3] = [
    (1, 1, 1, mpsc_total::<1>(1, 1)),
    (8, 12, 3, mpsc_total::<8>(12, 3)),
    (1024, 8, 64, mpsc_total::<1024>(8, 64)),
];

/// Whether `fields` lie back to back from offset 0 to `size`, each declarable as
/// its C type says.
const fn covers(fields: &[Field], size: usize) -> bool {
    let mut end = 0;
    let mut i = 0;
    while i < fields.len() {
        let f = &fields[i];
        let declarable = match f.ctype {
            CType::Word => f.size == WORD && f.align == WORD,
            CType::Words => f.size.is_multiple_of(WORD) && f.size >= WORD && f.align == WORD,
            CType::Header => f.size == HEADER_SIZE && f.align == align_of::<Header>(),
        };
        if f.offset != end || !declarable {
            return false;
        }
        end += f.size;
        i += 1;
    }
    end == size
}

const _: () = {
    assert!(
        covers(&HEADER_FIELDS, size_of::<Header>()),
        "src/c_header.rs: HEADER_FIELDS must list every field of Header, in order; \
         then regenerate the C header: SYSV_IPC_BLESS=1 cargo test --test c_header"
    );
    assert!(
        covers(&RING_FIELDS, size_of::<RingCtl>()),
        "src/c_header.rs: RING_FIELDS must list every field of RingCtl, in order; \
         then regenerate the C header: SYSV_IPC_BLESS=1 cargo test --test c_header"
    );
    assert!(
        covers(&SEQLOCK_FIELDS, size_of::<SeqCtl>()),
        "src/c_header.rs: SEQLOCK_FIELDS must list every field of SeqCtl, in order; \
         then regenerate the C header: SYSV_IPC_BLESS=1 cargo test --test c_header"
    );
    assert!(
        covers(&TABLE_FIELDS, size_of::<TableCtl>()),
        "src/c_header.rs: TABLE_FIELDS must list every field of TableCtl, in order; \
         then regenerate the C header: SYSV_IPC_BLESS=1 cargo test --test c_header"
    );
    assert!(table_layout::INDEX_OFFSET == size_of::<TableCtl>());
    assert!(
        covers(&BROADCAST_FIELDS, size_of::<BcCtl>()),
        "src/c_header.rs: BROADCAST_FIELDS must list every field of BcCtl, in order; \
         then regenerate the C header: SYSV_IPC_BLESS=1 cargo test --test c_header"
    );
    assert!(bc::DATA_OFFSET == size_of::<BcCtl>());
    assert!(
        covers(&MPSC_FIELDS, size_of::<MpscCtl>()),
        "src/c_header.rs: MPSC_FIELDS must list every field of MpscCtl, in order; \
         then regenerate the C header: SYSV_IPC_BLESS=1 cargo test --test c_header"
    );
    assert!(mpsc_layout::TABLE_OFFSET == size_of::<MpscCtl>());
    assert!(mpsc_layout::ENTRY_WORDS * WORD == LINE);
    assert!(ring::DATA_OFFSET == size_of::<RingCtl>());
    assert!(seqlock::DATA_OFFSET == size_of::<SeqCtl>());
};

/// `(capacity, size_of::<T>(), Queue::<T, capacity>'s segment bytes)` for a few
/// `T`: the header asserts its size formula against them.
const RING_SIZES: [(usize, usize, usize); 4] = [
    (1, 1, Queue::<u8, 1>::SIZE),
    (8, 12, Queue::<[u8; 12], 8>::SIZE),
    (2, 40, Queue::<[u64; 5], 2>::SIZE),
    (1024, 8, Queue::<u64, 1024>::SIZE),
];

/// `(size_of::<T>(), SeqLock::<T>'s segment bytes)`, as [`RING_SIZES`].
const SEQLOCK_SIZES: [(usize, usize); 3] = [
    (1, SeqLock::<u8>::SIZE),
    (20, SeqLock::<[u32; 5]>::SIZE),
    (24, SeqLock::<[u64; 3]>::SIZE),
];

/// `(N, size_of::<T>(), Table::<T, N>'s slots offset, its segment bytes)`, as
/// [`RING_SIZES`].
const TABLE_SIZES: [(usize, usize, usize, usize); 5] = [
    (1, 1, Slots::<1>::slots_offset(), Table::<u8, 1>::SIZE),
    (4, 8, Slots::<4>::slots_offset(), Table::<u64, 4>::SIZE),
    (
        65,
        56,
        Slots::<65>::slots_offset(),
        Table::<[u64; 7], 65>::SIZE,
    ),
    (
        150,
        64,
        Slots::<150>::slots_offset(),
        Table::<[u64; 8], 150>::SIZE,
    ),
    (
        3,
        20,
        Slots::<3>::slots_offset(),
        Table::<[u32; 5], 3>::SIZE,
    ),
];

/// The primitive types' `TYPE_ID`s, by Rust name.
const PRIMITIVE_IDS: [(&str, u64); 10] = [
    ("u8", u8::TYPE_ID),
    ("u16", u16::TYPE_ID),
    ("u32", u32::TYPE_ID),
    ("u64", u64::TYPE_ID),
    ("i8", i8::TYPE_ID),
    ("i16", i16::TYPE_ID),
    ("i32", i32::TYPE_ID),
    ("i64", i64::TYPE_ID),
    ("f32", f32::TYPE_ID),
    ("f64", f64::TYPE_ID),
];

/// `(C expression, fingerprint::<T>())`: the header asserts its fingerprint macros
/// against them.
const FINGERPRINTS: [(&str, u64); 5] = [
    (
        "SVIPC_FINGERPRINT(SVIPC_TYPE_ID_U8, 1, 1)",
        fingerprint::<u8>(),
    ),
    (
        "SVIPC_FINGERPRINT(SVIPC_TYPE_ID_U64, 8, 8)",
        fingerprint::<u64>(),
    ),
    (
        "SVIPC_FINGERPRINT(SVIPC_TYPE_ID_F64, 8, 8)",
        fingerprint::<f64>(),
    ),
    (
        "SVIPC_FINGERPRINT(SVIPC_ARRAY_TYPE_ID(SVIPC_TYPE_ID_U32, 3), 12, 4)",
        fingerprint::<[u32; 3]>(),
    ),
    (
        "SVIPC_FINGERPRINT(SVIPC_ARRAY_TYPE_ID(SVIPC_ARRAY_TYPE_ID(SVIPC_TYPE_ID_I16, 2), 5), 20, 2)",
        fingerprint::<[[i16; 2]; 5]>(),
    ),
];

/// Writes its string upper-cased (ASCII).
struct Upper<'a>(&'a str);

impl fmt::Display for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .chars()
            .try_for_each(|c| f.write_char(c.to_ascii_uppercase()))
    }
}

/// Writes `values` as a C initializer: `{ 0, 0, 1, 1 }`.
struct Initializer<'a>(&'a [u16]);

impl fmt::Display for Initializer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{ ")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str(" }")
    }
}

/// The C header, `include/sysv_ipc_layout.h`, into `out`.
///
/// # Errors
///
/// Only `out`'s.
///
/// # Examples
///
/// ```
/// let mut header = String::new();
/// sysv_ipc::c_header::render(&mut header).unwrap();
/// assert!(header.contains("#define SVIPC_RING_DATA_OFFSET 384"));
/// ```
pub fn render<W: Write>(out: &mut W) -> fmt::Result {
    preamble(out)?;
    header_section(out)?;
    fingerprint_section(out)?;
    ring_section(out)?;
    seqlock_section(out)?;
    table_section(out)?;
    broadcast_section(out)?;
    mpsc_section(out)?;
    out.write_str("\n#endif /* SYSV_IPC_LAYOUT_H */\n")
}

fn preamble<W: Write>(out: &mut W) -> fmt::Result {
    let version = env!("CARGO_PKG_VERSION");
    write!(
        out,
        "\
/*
 * sysv_ipc_layout.h: the byte layouts that the Rust crate sysv-ipc places in System V
 * shared memory segments (the segment header and its handshake, the ring behind
 * Queue<T, MAXSZ>, the seqlock behind SeqLock<T>, the slots behind Table<T, N>, the
 * rings behind Broadcast<T, N> and Mpsc<T, N>), for C programs that join them.
 *
 * GENERATED by sysv-ipc {version} (src/c_header.rs) from the crate's own layout
 * definitions: constants, offset_of! and size_of. Do not edit. tests/c_header.rs
 * fails when this file differs from what the crate renders; regenerate it with
 *
 *     SYSV_IPC_BLESS=1 cargo test --test c_header
 *
 * The _Static_asserts below make the C compiler check every struct declaration
 * against the offsets and sizes Rust uses. The functions that run the protocols
 * (join, roles, enqueue/dequeue, park/wake, seqlock read/write) are hand-written in
 * sysv_ipc_protocol.h, next to this file.
 *
 * Every field of every layout is an aligned, native-endian 64-bit word, accessed
 * only atomically (_Atomic uint64_t): one access size for every byte, never mixed.
 * A value of type T (a slot, the seqlock's value) takes sizeof(T) rounded up to 8
 * bytes: T's bytes as its struct layout has them, then zeros, copied by whole words.
 *
 * References: shmget(2), shmat(2), shmctl(2) (IPC_STAT: shm_segsz, shm_perm.cuid),
 * semget(2), semop(2) and semtimedop(2) (IPC_NOWAIT, SEM_UNDO), semctl(2) (GETVAL,
 * GETNCNT, IPC_STAT: sem_otime), membarrier(2); C11 7.17 <stdatomic.h>.
 */
#ifndef SYSV_IPC_LAYOUT_H
#define SYSV_IPC_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Cross-process atomics must be lock-free: a lock would be private to each process. */
#if ATOMIC_LONG_LOCK_FREE != 2 && ATOMIC_LLONG_LOCK_FREE != 2
#error \"sysv-ipc layouts need lock-free 64-bit atomics\"
#endif
_Static_assert(sizeof(_Atomic uint64_t) == 8 && _Alignof(_Atomic uint64_t) == 8,
               \"an _Atomic uint64_t must overlay exactly one aligned word\");

/* Bytes per shared word. */
#define SVIPC_WORD {WORD}
/* Distance between words written by different processes (two 64-byte cache lines). */
#define SVIPC_LINE {LINE}
/* Bytes a value of type_size bytes takes in a slot or seqlock: rounded up to words. */
#define SVIPC_VALUE_BYTES(type_size) (((uint64_t)(type_size) + {round}) / {WORD} * {WORD})
",
        round = WORD - 1,
    )
}

fn header_section<W: Write>(out: &mut W) -> fmt::Result {
    let magic = MAGIC.to_le_bytes();
    let magic_text = core::str::from_utf8(&magic).map_err(|_| fmt::Error)?;
    write!(
        out,
        "
/*
 * 1. The header: the first {HEADER_SIZE} bytes of every layout segment.
 *
 * Creating (the Rust side: Queue::create, SeqLock::create):
 *  1. the creator is the one process whose shmget(key, size, IPC_CREAT | IPC_EXCL)
 *     succeeded; the kernel zero-fills a new segment, so state is 0;
 *  2. it stores magic = SVIPC_MAGIC (the mark, relaxed), then moves state 0 -> 1
 *     with a compare-exchange (acq_rel: the mark is visible with the claim);
 *  3. it initialises the control words after the header (relaxed), writes every
 *     header field (relaxed), creates and initialises the semaphore set under the
 *     same key, and finally stores state = 2 with release.
 *  A creator stays attached from its shmat before step 2 until after step 3: a
 *  Rust joiner that may create (Intent::OpenOrCreate) and whose wait runs out
 *  removes a segment whose only attachment is its own (shm_nattch == 1) only if
 *  it is provably a dead creator's: shm_segsz is exactly the layout's size and
 *  magic is SVIPC_MAGIC with state 1, or with state 0 and every other header word
 *  0; and a semaphore set under the key that only the segment's creator has
 *  operated on; then it creates the layout afresh. Any other segment under the
 *  key (zero-filled, another program's) is never removed. A creator that skips
 *  the mark is still joined, but its segment is not recovered if it dies. A
 *  creator whose step 2 compare-exchange fails must not initialise: someone else
 *  claimed the segment.
 * Joining (svipc_queue_open / svipc_seqlock_open in sysv_ipc_protocol.h):
 *  1. shmget(key, 0, 0); shmctl(IPC_STAT): shm_segsz >= data_offset; shmat;
 *  2. wait, bounded, for an acquire load of state to see 2: it pairs with the
 *     creator's release store, so every field and the initial control words are
 *     visible. Still 0 or 1 when the wait runs out: not ready (a creator that died
 *     initialising leaves 1 for good; removing the segment is the recovery). Any
 *     other value: corrupt;
 *  3. read each field once (relaxed) and compare it, in this order, with what the
 *     joiner computes itself: magic, layout_version, kind, data_offset, type_size,
 *     type_align, type_id, capacity, total_size. The first difference refuses the
 *     segment before any payload is touched. Never use a header field as a size or
 *     an offset: compute them from your own T and capacity;
 *  4. shm_segsz >= total_size (as computed by the joiner);
 *  5. the semaphore set of the same key: semget(key, 0, 0); semctl(IPC_STAT):
 *     sem_nsems as the layout says, sem_otime != 0 (initialised: wait, bounded),
 *     and sem_perm.cuid == the segment's shm_perm.cuid (else another user made it).
 */
#define SVIPC_MAGIC UINT64_C({MAGIC:#018x}) /* the bytes \"{magic_text}\" read as a little-endian uint64_t */
#define SVIPC_LAYOUT_VERSION UINT64_C({LAYOUT_VERSION}) /* of the header and of every layout after it */
#define SVIPC_HEADER_SIZE {HEADER_SIZE}
#define SVIPC_STATE_UNINIT UINT64_C({UNINIT})
#define SVIPC_STATE_INITIALIZING UINT64_C({INITIALIZING})
#define SVIPC_STATE_READY UINT64_C({READY})
#define SVIPC_KIND_RING UINT64_C({ring}) /* Queue<T, MAXSZ> */
#define SVIPC_KIND_SEQLOCK UINT64_C({seqlock}) /* SeqLock<T> */
#define SVIPC_KIND_TABLE UINT64_C({table}) /* Table<T, N> */
#define SVIPC_KIND_BROADCAST UINT64_C({broadcast}) /* Broadcast<T, N> */
#define SVIPC_KIND_MPSC UINT64_C({mpsc}) /* Mpsc<T, N> */

/* A waiting flag's announcement (queue consumer_waiting and producer_waiting,
 * broadcast writer_waiting, mpsc consumer_waiting): who waits, and so how the
 * side that clears the flag (an exchange with 0, after its index store) must wake
 * it. SVIPC_WAITING_SEM: a blocking call parked on its semaphore: post it.
 * SVIPC_WAITING_WORD (layout version 6): an asynchronous waiter sleeping in a
 * futex wait on the flag's own low 32 bits (shared, no FUTEX_PRIVATE_FLAG):
 * futex(flag, FUTEX_WAKE, INT_MAX) after the exchange. Any other non-zero value
 * is treated as SVIPC_WAITING_SEM. A C side always announces SVIPC_WAITING_SEM. */
#define SVIPC_WAITING_SEM UINT64_C({WAITING_SEM})
#define SVIPC_WAITING_WORD UINT64_C({WAITING_WORD})
",
        WAITING_SEM = crate::layout::ring::WAITING_SEM,
        WAITING_WORD = crate::layout::ring::WAITING_WORD,
        ring = Kind::Ring as u64,
        seqlock = Kind::SeqLock as u64,
        table = Kind::Table as u64,
        broadcast = Kind::Broadcast as u64,
        mpsc = Kind::Mpsc as u64,
    )?;
    structure(
        out,
        "svipc_header",
        "HEADER",
        &HEADER_FIELDS,
        size_of::<Header>(),
    )
}

fn fingerprint_section<W: Write>(out: &mut W) -> fmt::Result {
    let array_basis = type_id("[T; N]");
    write!(
        out,
        "
/*
 * 2. The type fingerprint (header field type_id).
 *
 * Each type has a 64-bit TYPE_ID that its Rust side chose (sysv_ipc::ShmType),
 * usually type_id(\"name vN\"): 64-bit FNV-1a of the name's UTF-8 bytes
 * (svipc_type_id() in sysv_ipc_protocol.h). The header does not store the TYPE_ID
 * but a fingerprint: 64-bit FNV-1a of 32 bytes, the little-endian bytes of four
 * uint64_t: TYPE_ID, sizeof(T), _Alignof(T), SVIPC_LAYOUT_VERSION. So another
 * type, the same name with another size, or another layout version all differ.
 * A primitive's TYPE_ID is type_id of its Rust name (\"u8\" ... \"f64\"); an array
 * [T; N]'s is FNV-1a continued from type_id(\"[T; N]\") over the little-endian bytes
 * of T's TYPE_ID, then of N, as uint64_t. All these are constant expressions.
 */
#define SVIPC_FNV1A64_BASIS UINT64_C({basis:#018x})
#define SVIPC_FNV1A64_PRIME UINT64_C(0x00000100000001b3)
/* FNV-1a of one more byte: byte i (0 = least significant) of x. */
#define SVIPC_FNV1A64_BYTE(h, x, i) \\
    ((((uint64_t)(h)) ^ ((((uint64_t)(x)) >> (8 * (i))) & 0xff)) * SVIPC_FNV1A64_PRIME)
/* FNV-1a of the 8 little-endian bytes of x, continued from h. */
#define SVIPC_FNV1A64_U64(h, x)                                                          \\
    SVIPC_FNV1A64_BYTE(SVIPC_FNV1A64_BYTE(SVIPC_FNV1A64_BYTE(SVIPC_FNV1A64_BYTE(        \\
        SVIPC_FNV1A64_BYTE(SVIPC_FNV1A64_BYTE(SVIPC_FNV1A64_BYTE(SVIPC_FNV1A64_BYTE(    \\
            (h), (x), 0), (x), 1), (x), 2), (x), 3), (x), 4), (x), 5), (x), 6), (x), 7)
/* The header's type_id for a type with this TYPE_ID, size and alignment. */
#define SVIPC_FINGERPRINT(type_id, size, align)                                          \\
    SVIPC_FNV1A64_U64(SVIPC_FNV1A64_U64(SVIPC_FNV1A64_U64(SVIPC_FNV1A64_U64(            \\
        SVIPC_FNV1A64_BASIS, (type_id)), (size)), (align)), SVIPC_LAYOUT_VERSION)
/* type_id(\"[T; N]\"), where an array's TYPE_ID starts. */
#define SVIPC_TYPE_ID_ARRAY_BASIS UINT64_C({array_basis:#018x})
/* The TYPE_ID of [T; n], T's being elem. */
#define SVIPC_ARRAY_TYPE_ID(elem, n) \\
    SVIPC_FNV1A64_U64(SVIPC_FNV1A64_U64(SVIPC_TYPE_ID_ARRAY_BASIS, (elem)), (n))
",
        basis = fnv1a64(b""),
    )?;
    for (name, id) in PRIMITIVE_IDS {
        writeln!(
            out,
            "#define SVIPC_TYPE_ID_{} UINT64_C({id:#018x}) /* type_id(\"{name}\") */",
            Upper(name)
        )?;
    }
    out.write_str("/* The macros against the crate's fingerprint::<T>(): */\n")?;
    for (expr, value) in FINGERPRINTS {
        writeln!(
            out,
            "_Static_assert({expr} == UINT64_C({value:#018x}), \"fingerprint rule\");"
        )?;
    }
    Ok(())
}

fn ring_section<W: Write>(out: &mut W) -> fmt::Result {
    write!(
        out,
        "
/*
 * 3. Queue<T, MAXSZ>: a single-producer single-consumer ring (kind SVIPC_KIND_RING).
 *
 * Segment: the control block below ({data} bytes), then MAXSZ slots of
 * SVIPC_RING_SLOT_BYTES(sizeof(T)) bytes: a uint64_t seq word, then the value
 * (SVIPC_VALUE_BYTES(sizeof(T)) bytes). MAXSZ is a power of two and every slot is
 * usable. Message k (counting from 0) is in slot k & (MAXSZ - 1); the ring holds
 * tail - head messages (wrapping uint64_t subtraction), always <= MAXSZ: any other
 * difference (also head ahead of tail) is a corrupt segment, never a bound.
 * Mask with your own compile-time MAXSZ, never with a value read from the segment.
 *
 * Publishing messages k..e (e = k + 1 for one): write their values, store
 * tail = e (release), then store e into the seq word of message k's slot
 * (release), in that order (tail is the commit point; a consumer that reads e
 * there with acquire sees the values and a tail covering them). The other slots'
 * seq words are not written. A consumer with no message cached may test the seq
 * word of slot head (acquire) instead of loading tail: a value e with e - head
 * from 1 to MAXSZ (wrapping uint64_t) means head..e are published, and e may be
 * cached as tail; any other value means not yet, and it must load tail at least
 * now and then (a producer that died between the two stores leaves committed
 * messages with a stale seq; a producer taking the role stores tail into the seq
 * of head's slot). Batch pops, the re-check before parking, and occupancy read
 * tail.
 *
 * Closing (end of stream): a producer that is done stores closed =
 * SVIPC_RING_CLOSED (release) after its last tail store, then SVIPC_RING_CLOSED_SEQ
 * (release) into the seq word of slot tail (no publish ends there: a consumer
 * polling seq takes it for a hint to load tail and closed now), runs the wake check
 * as after a publish, and releases its role. A consumer that finds the ring empty
 * by a tail load then loads closed (acquire): SVIPC_RING_CLOSED means load tail
 * again (acquire; now the final tail) and report the end only if head has reached
 * it; the re-check before parking reads closed the same way. A producer claiming
 * the role reads closed while holding it: SVIPC_RING_CLOSED refuses the role
 * (closed is for good). Any value but OPEN and CLOSED is corrupt.
 *
 * Semaphores: a set of SVIPC_QUEUE_NSEMS under the segment's key, initial values
 * SVIPC_QUEUE_SEM_INITIAL. A role (producer or consumer) is claimed by
 * semop(-1, IPC_NOWAIT | SEM_UNDO) on its semaphore (EAGAIN: taken; the kernel's
 * undo frees it when the holder dies), then the pid word is read with acquire:
 * non-zero means the last holder died without releasing (abandoned: give the
 * semaphore back unless taking over on purpose), else store getpid() (relaxed).
 * Releasing: store 0 in the pid word with release, then semop(+1, SEM_UNDO).
 * A side parks with semop(-1) (no flags) on its own semaphore (the consumer on
 * ITEMS, the producer on SPACE) after announcing SVIPC_WAITING_SEM in its flag;
 * the peer wakes it with semop(+1) on it (or a futex wake for
 * SVIPC_WAITING_WORD, see there).
 *
 * Barrier mode (the barrier word, read once when a role is taken): the wake check
 * after every index store and the re-check before parking must be ordered so that
 * either the parking side sees the new index or the storing side sees the flag.
 *  - SVIPC_BARRIER_ASYMMETRIC: after an index store only a compiler barrier
 *    (atomic_signal_fence(memory_order_seq_cst)); before re-checking, a side about
 *    to park calls membarrier(SVIPC_MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0). Every
 *    process must register, membarrier(SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
 *    0), before its first push or pop, and refuse the role if that fails.
 *  - any other value (SVIPC_BARRIER_SYMMETRIC): atomic_thread_fence(
 *    memory_order_seq_cst) in both places.
 */
#define SVIPC_RING_DATA_OFFSET {data}
#define SVIPC_BARRIER_SYMMETRIC UINT64_C({sym})
#define SVIPC_BARRIER_ASYMMETRIC UINT64_C({asym})
#define SVIPC_RING_OPEN UINT64_C({open})
#define SVIPC_RING_CLOSED UINT64_C({closed})
#define SVIPC_RING_CLOSED_SEQ UINT64_C({closed_seq:#018x}) /* into slot tail's seq by a close */
/* Bytes of one ring slot of a type_size-byte value: its seq word and the value. */
#define SVIPC_RING_SLOT_SEQ_BYTES {seq_bytes}
#define SVIPC_RING_SLOT_BYTES(type_size) \\
    ((uint64_t)SVIPC_RING_SLOT_SEQ_BYTES + SVIPC_VALUE_BYTES(type_size))
/* Bytes of the segment of a Queue of capacity slots of type_size bytes. */
#define SVIPC_RING_TOTAL_SIZE(capacity, type_size) \\
    ((uint64_t)SVIPC_RING_DATA_OFFSET + (uint64_t)(capacity) * SVIPC_RING_SLOT_BYTES(type_size))
/* Offset in the segment of the slot (its seq word) of message index (capacity a
 * power of two); the value follows SVIPC_RING_SLOT_SEQ_BYTES later. */
#define SVIPC_RING_SLOT_OFFSET(capacity, type_size, index)                     \\
    ((uint64_t)SVIPC_RING_DATA_OFFSET +                                         \\
     ((uint64_t)(index) & ((uint64_t)(capacity) - 1)) * SVIPC_RING_SLOT_BYTES(type_size))
#define SVIPC_QUEUE_NSEMS {nsems}
#define SVIPC_QUEUE_SEM_ITEMS {items} /* a parked consumer waits here; the producer posts */
#define SVIPC_QUEUE_SEM_SPACE {space} /* a parked producer waits here; the consumer posts */
#define SVIPC_QUEUE_SEM_PRODUCER {producer} /* the producer role: 1 free, 0 taken */
#define SVIPC_QUEUE_SEM_CONSUMER {consumer} /* the consumer role: 1 free, 0 taken */
#define SVIPC_QUEUE_SEM_INITIAL {initial}
/* Spins of a blocking call before it parks (Rust's default). */
#define SVIPC_DEFAULT_SPINS {DEFAULT_SPINS}
/* membarrier(2) commands (linux/membarrier.h). */
#define SVIPC_MEMBARRIER_CMD_QUERY {MEMBARRIER_CMD_QUERY}
#define SVIPC_MEMBARRIER_CMD_GLOBAL_EXPEDITED {MEMBARRIER_CMD_GLOBAL_EXPEDITED}
#define SVIPC_MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED {MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED}
",
        data = ring::DATA_OFFSET,
        seq_bytes = WORD,
        sym = Barrier::Symmetric as u64,
        asym = Barrier::Asymmetric as u64,
        open = ring::OPEN,
        closed = ring::CLOSED,
        closed_seq = ring::CLOSED_SEQ,
        nsems = queue::SEM_VALUES.len(),
        items = queue::ITEMS,
        space = queue::SPACE,
        producer = queue::PRODUCER,
        consumer = queue::CONSUMER,
        initial = Initializer(&queue::SEM_VALUES),
    )?;
    structure(
        out,
        "svipc_ring_ctl",
        "RING",
        &RING_FIELDS,
        ring::DATA_OFFSET,
    )?;
    out.write_str("/* The size formula against the crate's Queue<T, MAXSZ>: */\n")?;
    for (capacity, size, total) in RING_SIZES {
        writeln!(
            out,
            "_Static_assert(SVIPC_RING_TOTAL_SIZE({capacity}, {size}) == {total}, \"Queue size\");"
        )?;
    }
    Ok(())
}

fn seqlock_section<W: Write>(out: &mut W) -> fmt::Result {
    write!(
        out,
        "
/*
 * 4. SeqLock<T>: one writer, any number of readers (kind SVIPC_KIND_SEQLOCK).
 *
 * Segment: the control block below ({data} bytes), then the value:
 * SVIPC_VALUE_BYTES(sizeof(T)) bytes. Header capacity 1.
 *  - writer: s = its own even sequence number; store seq = s + 1 (relaxed);
 *    atomic_thread_fence(memory_order_release); store the value's words (relaxed);
 *    store seq = s + 2 (release). A new writer starts from the seq it loads
 *    (acquire), rounded up to even (a writer that died mid-write leaves it odd).
 *  - reader: s1 = seq (acquire); if s1 is even: load the value's words (relaxed),
 *    atomic_thread_fence(memory_order_acquire), s2 = seq (relaxed); s1 == s2: the
 *    copy is one the writer stored whole. Otherwise retry, a bounded number of
 *    times (a dead or hostile writer can leave seq odd for good): then busy.
 * Semaphores: a set of SVIPC_SEQLOCK_NSEMS under the segment's key; the writer
 * role is claimed and released like a Queue role (pid word writer_pid).
 */
#define SVIPC_SEQLOCK_DATA_OFFSET {data}
/* Bytes of the segment of a SeqLock of a type_size-byte value. */
#define SVIPC_SEQLOCK_TOTAL_SIZE(type_size) \\
    ((uint64_t)SVIPC_SEQLOCK_DATA_OFFSET + SVIPC_VALUE_BYTES(type_size))
#define SVIPC_SEQLOCK_NSEMS {nsems}
#define SVIPC_SEQLOCK_SEM_WRITER {writer} /* the writer role: 1 free, 0 taken */
#define SVIPC_SEQLOCK_SEM_INITIAL {initial}
/* Read attempts before a Rust reader reports busy (its default). */
#define SVIPC_SEQLOCK_DEFAULT_ATTEMPTS {DEFAULT_ATTEMPTS}
",
        data = seqlock::DATA_OFFSET,
        nsems = lock::SEM_VALUES.len(),
        writer = lock::WRITER,
        initial = Initializer(&lock::SEM_VALUES),
    )?;
    structure(
        out,
        "svipc_seqlock_ctl",
        "SEQLOCK",
        &SEQLOCK_FIELDS,
        seqlock::DATA_OFFSET,
    )?;
    out.write_str("/* The size formula against the crate's SeqLock<T>: */\n")?;
    for (size, total) in SEQLOCK_SIZES {
        writeln!(
            out,
            "_Static_assert(SVIPC_SEQLOCK_TOTAL_SIZE({size}) == {total}, \"SeqLock size\");"
        )?;
    }
    Ok(())
}

fn table_section<W: Write>(out: &mut W) -> fmt::Result {
    write!(
        out,
        "
/*
 * 5. Table<T, N>: N slots, each a seqlock of its own, one writer for the whole
 *    table, any number of readers (kind SVIPC_KIND_TABLE; src/layout/table.rs).
 *
 * Segment: the control block below ({index} bytes); the change index: G =
 * SVIPC_TABLE_GROUPS(N) group words, padded to whole {LINE}-byte lines, then N
 * slot_version words from SVIPC_TABLE_VERSIONS_OFFSET(N), padded likewise; then
 * the N slots from SVIPC_TABLE_SLOTS_OFFSET(N) (the header's data_offset), slot i
 * at SVIPC_TABLE_SLOT_OFFSET(N, i, sizeof(T)): its seq word, then the value's
 * SVIPC_VALUE_BYTES(sizeof(T)) bytes, the stride rounded up to
 * {align} bytes. Header capacity N.
 * Every version comes from one counter: the writes to the table, whatever their
 * slot, get strictly increasing versions; a slot's seq is twice its version.
 *  - write v of slot i (v = the writer's last version + 1): store seq[i] = 2v - 1
 *    (relaxed); atomic_thread_fence(memory_order_release); the value's words
 *    (relaxed); seq[i] = 2v (release); then slot_version[i] = v and
 *    group[i / {group}] = v (relaxed), and version = v (release).
 *  - read slot i: s1 = seq[i] (relaxed), odd: retry; atomic_thread_fence(acquire);
 *    the value's words (relaxed); atomic_thread_fence(acquire); s2 = seq[i]
 *    (relaxed); s1 == s2: one write's value, of version s1 / 2. Retry a bounded
 *    number of times, then busy (fences rather than acquire loads: a reader's
 *    mapping may be read-only).
 *  - changed since `since`: now = version (relaxed), atomic_thread_fence(acquire);
 *    for each group g whose word is above since (or every group if since > now),
 *    each of its slots whose slot_version is above since (or every slot) changed.
 *    Every write with since < v <= now is reported; now is the next since.
 *  - taking over the writer role: load version (acquire) as V; for each slot i, if
 *    seq[i] != 2 * slot_version[i] or group[i / {group}] < slot_version[i] (a
 *    writer died between its stores), store slot_version[i] = group[i / {group}]
 *    = V + 1 (relaxed); then store version = V + 1 (release): the first write is
 *    V + 2, so no seq value a reader may hold is reused.
 * Semaphores: a set of SVIPC_TABLE_NSEMS under the segment's key; the writer role
 * is claimed and released like a Queue role (pid word writer_pid).
 */
#define SVIPC_TABLE_INDEX_OFFSET {index}
#define SVIPC_TABLE_GROUP {group} /* slots per change group */
#define SVIPC_TABLE_SLOT_ALIGN {align}
#define SVIPC_TABLE_GROUPS(n) (((uint64_t)(n) + {group_round}) / {group})
#define SVIPC_TABLE_LINES_(bytes) (((uint64_t)(bytes) + {line_round}) / {LINE} * {LINE})
#define SVIPC_TABLE_VERSIONS_OFFSET(n) \\
    ((uint64_t)SVIPC_TABLE_INDEX_OFFSET + SVIPC_TABLE_LINES_({WORD} * SVIPC_TABLE_GROUPS(n)))
#define SVIPC_TABLE_SLOTS_OFFSET(n) \\
    (SVIPC_TABLE_VERSIONS_OFFSET(n) + SVIPC_TABLE_LINES_({WORD} * (uint64_t)(n)))
/* Bytes from one slot's seq to the next one's. */
#define SVIPC_TABLE_STRIDE(type_size) \\
    (({WORD} + SVIPC_VALUE_BYTES(type_size) + {align_round}) / {align} * {align})
#define SVIPC_TABLE_SLOT_OFFSET(n, i, type_size) \\
    (SVIPC_TABLE_SLOTS_OFFSET(n) + (uint64_t)(i) * SVIPC_TABLE_STRIDE(type_size))
/* Bytes of the segment of a Table of n slots of type_size-byte values. */
#define SVIPC_TABLE_TOTAL_SIZE(n, type_size) \\
    (SVIPC_TABLE_SLOTS_OFFSET(n) + (uint64_t)(n) * SVIPC_TABLE_STRIDE(type_size))
#define SVIPC_TABLE_NSEMS {nsems}
#define SVIPC_TABLE_SEM_WRITER {writer} /* the writer role: 1 free, 0 taken */
#define SVIPC_TABLE_SEM_INITIAL {initial}
/* Read attempts before a Rust reader reports busy (its default). */
#define SVIPC_TABLE_DEFAULT_ATTEMPTS {attempts}
",
        index = table_layout::INDEX_OFFSET,
        group = table_layout::GROUP,
        group_round = table_layout::GROUP - 1,
        align = table_layout::SLOT_ALIGN,
        align_round = table_layout::SLOT_ALIGN - 1,
        line_round = LINE - 1,
        nsems = board::SEM_VALUES.len(),
        writer = board::WRITER,
        initial = Initializer(&board::SEM_VALUES),
        attempts = board::DEFAULT_ATTEMPTS,
    )?;
    structure(
        out,
        "svipc_table_ctl",
        "TABLE",
        &TABLE_FIELDS,
        table_layout::INDEX_OFFSET,
    )?;
    out.write_str("/* The offset and size formulas against the crate's Table<T, N>: */\n")?;
    for (n, size, slots, total) in TABLE_SIZES {
        writeln!(
            out,
            "_Static_assert(SVIPC_TABLE_SLOTS_OFFSET({n}) == {slots} && \
             SVIPC_TABLE_TOTAL_SIZE({n}, {size}) == {total}, \"Table size\");"
        )?;
    }
    Ok(())
}

fn broadcast_section<W: Write>(out: &mut W) -> fmt::Result {
    write!(
        out,
        "
/*
 * 6. Broadcast<T, N>: one writer, up to R readers fixed at creation, each with its
 * own cursor (kind SVIPC_KIND_BROADCAST). src/layout/broadcast.rs has the protocol
 * and its proof; in short:
 *
 * Segment: the control block below ({data} bytes), then R reader lines of
 * SVIPC_LINE bytes (struct svipc_bc_line), then N slots of
 * SVIPC_RING_SLOT_BYTES(sizeof(T)) bytes: a seq word, then the value. N is a power
 * of two, at least 2; message m is in slot m & (N - 1).
 *
 *  - write m: store seq = 2m + 1 (release), atomic_thread_fence(release), store
 *    the value's words (relaxed), store seq = 2m + 2 (release), then tail = m + 1
 *    (release), then the wake check (barrier as for a Queue) over the
 *    ceil(R / 64) readers_waiting words.
 *  - lossless: before publishing m, every ACTIVE line's cursor must be above
 *    m - N (scan: atomic_thread_fence(seq_cst), then state and cursor with acquire);
 *    a JOINING line blocks too.
 *  - read at cursor c: learn of c from tail (acquire) or from the slot's seq ==
 *    2c + 2 (acquire); copy the value (relaxed); atomic_thread_fence(acquire);
 *    re-load seq (relaxed): anything but 2c + 2 means the copy is void. A seq of a
 *    later message of the same slot, or tail - c > N, means the reader was lapped:
 *    load tail and go on from max(tail - N, m' + 1 - N), reporting the gap. Then
 *    store cursor (release) and, lossless, run the writer's wake check.
 *  - join: compare-exchange state FREE -> JOINING, ticket += 1,
 *    atomic_thread_fence(seq_cst), load tail = t, store cursor (t, or t - N at the
 *    oldest), store state = ACTIVE (release). Leave (or drop a dead reader):
 *    compare-exchange ticket from the one the occupancy took to the next, clear
 *    its waiting bit, store state = FREE (release), wake check for the writer.
 *  - close: store closed = 1 (release) after the last tail store, wake every
 *    parked reader.
 *
 * Semaphores: a set of SVIPC_BC_NSEMS(R) under the segment's key: writer wake,
 * writer role, then per reader k its wake (2 + 2k) and its seat (3 + 2k). Roles and
 * seats are claimed and released like a Queue role (pid words: writer_pid, and the
 * reader line's pid); a reader holds its seat for as long as it is joined, so an
 * occupant of a line whose seat the joiner holds is a dead reader's, dropped first.
 */
#define SVIPC_BC_DATA_OFFSET {data}
#define SVIPC_BC_MAX_READERS {max_readers}
#define SVIPC_BC_LOSSY UINT64_C({lossy})
#define SVIPC_BC_LOSSLESS UINT64_C({lossless})
#define SVIPC_BC_FREE UINT64_C({free})
#define SVIPC_BC_JOINING UINT64_C({joining})
#define SVIPC_BC_ACTIVE UINT64_C({active})
/* Offset of reader line r. */
#define SVIPC_BC_LINE_OFFSET(r) ((uint64_t)SVIPC_BC_DATA_OFFSET + (uint64_t)(r) * SVIPC_LINE)
/* Bytes of the segment of a Broadcast of capacity slots of type_size bytes and
 * readers reader lines. */
#define SVIPC_BC_TOTAL_SIZE(capacity, type_size, readers)                  \\
    (SVIPC_BC_LINE_OFFSET(readers) + (uint64_t)(capacity) * SVIPC_RING_SLOT_BYTES(type_size))
#define SVIPC_BC_NSEMS(readers) (2 + 2 * (readers))
#define SVIPC_BC_SEM_WRITER_WAKE {writer_wake} /* a parked lossless writer waits here */
#define SVIPC_BC_SEM_WRITER {writer} /* the writer role: 1 free, 0 taken */
#define SVIPC_BC_SEM_READER_WAKE(k) (2 + 2 * (k)) /* reader k parks here */
#define SVIPC_BC_SEM_READER(k) (3 + 2 * (k)) /* reader seat k: 1 free, 0 taken */

struct svipc_bc_line {{
    /* {cursor}: the next message this reader reads (free-running); stored by the reader (release) */
    _Atomic uint64_t cursor;
    /* {state}: SVIPC_BC_FREE, SVIPC_BC_JOINING or SVIPC_BC_ACTIVE; anything else is corrupt */
    _Atomic uint64_t state;
    /* {ticket}: names one occupancy of the line (+1 on join, +1 on leave or drop) */
    _Atomic uint64_t ticket;
    /* {pid}: pid of the seat's holder, 0 when released cleanly */
    _Atomic uint64_t pid;
    /* {wait}: SVIPC_WAITING_WORD while this reader waits asynchronously on this word
     * (a futex wait), stored before its bit in readers_waiting, whose announcing
     * fetch_or is a release (layout version 6). A writer swaps each bitmap word it
     * takes with acquire, and for each taken bit exchanges this word with 0: if
     * it held SVIPC_WAITING_WORD, futex(FUTEX_WAKE) on it, else post the reader's
     * semaphore. A C reader parks on its semaphore and leaves it 0. */
    _Atomic uint64_t wait;
    /* {pad}: zero */
    _Atomic uint64_t pad[{pad_words}];
}};
_Static_assert(sizeof(struct svipc_bc_line) == SVIPC_LINE, \"svipc_bc_line: size\");
_Static_assert(offsetof(struct svipc_bc_line, cursor) == {cursor} &&
               offsetof(struct svipc_bc_line, state) == {state} &&
               offsetof(struct svipc_bc_line, ticket) == {ticket} &&
               offsetof(struct svipc_bc_line, pid) == {pid} &&
               offsetof(struct svipc_bc_line, wait) == {wait},
               \"svipc_bc_line: offsets\");
",
        data = bc::DATA_OFFSET,
        max_readers = bc::MAX_READERS,
        lossy = bc::Policy::Lossy as u64,
        lossless = bc::Policy::Lossless as u64,
        free = bc::FREE,
        joining = bc::JOINING,
        active = bc::ACTIVE,
        writer_wake = typed_bc::WRITER_WAKE,
        writer = typed_bc::WRITER_ROLE,
        cursor = bc::CURSOR * WORD,
        state = bc::STATE * WORD,
        ticket = bc::TICKET * WORD,
        pid = bc::PID * WORD,
        wait = bc::WAIT * WORD,
        pad = (bc::WAIT + 1) * WORD,
        pad_words = bc::LINE_WORDS - bc::WAIT - 1,
    )?;
    structure(
        out,
        "svipc_bc_ctl",
        "BC",
        &BROADCAST_FIELDS,
        bc::DATA_OFFSET,
    )?;
    out.write_str("/* The size formula against the crate's Broadcast<T, N>: */\n")?;
    for (capacity, size, readers, total) in BROADCAST_SIZES {
        writeln!(
            out,
            "_Static_assert(SVIPC_BC_TOTAL_SIZE({capacity}, {size}, {readers}) == {total}, \"Broadcast size\");"
        )?;
    }
    Ok(())
}

fn mpsc_section<W: Write>(out: &mut W) -> fmt::Result {
    write!(
        out,
        "
/*
 * 7. Mpsc<T, N>: up to P producers (P fixed at creation), one consumer, bounded
 * (kind SVIPC_KIND_MPSC). src/layout/mpsc.rs has the protocol and its proof; in
 * short:
 *
 * Segment: the control block below ({table} bytes), then P producer entries of
 * SVIPC_LINE bytes (struct svipc_mpsc_entry), then N slots from
 * SVIPC_MPSC_DATA_OFFSET(P) (the header's data_offset, so P is checked by the
 * handshake) of SVIPC_RING_SLOT_BYTES(sizeof(T)) bytes: a seq word, then the
 * value. N is a power of two; position k (counting from 0) is in slot k & (N - 1).
 * A slot's seq is SVIPC_MPSC_SEQ(k, state) for the position k it belongs to:
 * SVIPC_MPSC_SEQ_FREE (free for k: not claimed, or claimed and not yet
 * published), SVIPC_MPSC_SEQ_PUBLISHED (k's value is in the slot) or
 * SVIPC_MPSC_SEQ_CANCELLED (its claimer gave k up). The creator stores FREE(i)
 * into slot i. An entry's reg is an epoch: even free, odd registered, +1 at every
 * registration and at every end of one (so a registration is never confused with
 * a later one of the same entry).
 *
 *  - register (under the lock semaphore, below): take the first entry whose reg
 *    is even by compare-exchange reg -> reg + 1 (acquire), store claim = 0
 *    (release) and pid (relaxed), then the wake check on consumer_waiting.
 *  - claim: pos = tail (relaxed); s = seq of pos's slot (acquire). s == FREE(pos):
 *    store claim = pos + 1 (release) in the entry, compare-exchange tail pos ->
 *    pos + 1 (release; on failure retry with the value read). s of an older lap:
 *    full (load head, acquire; pos - head > 2N is corrupt). s of a newer one:
 *    reload tail (a tail still at pos is corrupt).
 *  - publish (or cancel): the value's words (relaxed), then seq =
 *    SVIPC_MPSC_SEQ(pos, PUBLISHED or CANCELLED) (release), then the wake check
 *    on consumer_waiting (barrier as for a Queue).
 *  - consume at head = k: s = seq (acquire). PUBLISHED(k): copy the value
 *    (relaxed), store seq = FREE(k + N) (release), head = k + 1 (release), then
 *    the wake check on producers_waiting. CANCELLED(k): the same without a value.
 *    FREE(k): load tail (acquire); tail == k is empty; tail - k > N is corrupt;
 *    otherwise k is claimed: every entry whose reg (acquire) is odd and whose
 *    claim (acquire) is k + 1 may hold it. If any of those registrations is alive
 *    (its seat semaphore is 0, or reg moved on), wait. If none is, skip k:
 *    compare-exchange seq FREE(k) -> FREE(k + N) (acq_rel; acquire on failure, and
 *    look again), count it in abandoned, move head as above. Anything else: corrupt.
 *  - leave: cancel a held claim, store pid = 0, compare-exchange reg -> reg + 1
 *    (release), all under the lock, then release the seat.
 *  - a new consumer moves head over every slot whose seq already says
 *    FREE(head + N) (a consumer killed between its seq and head stores).
 *
 * Semaphores: a set of SVIPC_MPSC_NSEMS(P) under the segment's key: producer seat
 * j at j, the lock at P, the consumer seat at P + 1, the consumer's wake at P + 2,
 * producer j's wake at P + 3 + j. Seats are claimed and released like a Queue role
 * (pid words: the entry's pid, consumer_pid), a producer's only while holding the
 * lock (semop(-1, SEM_UNDO)), after ending every registration whose seat is free
 * (its holder died) by compare-exchange reg -> reg + 1. A consumer that finds a
 * registered entry's seat free takes the lock without waiting (IPC_NOWAIT: if it
 * is held, ask again later), re-checks, and ends that registration the same way.
 */
#define SVIPC_MPSC_TABLE_OFFSET {table}
#define SVIPC_MPSC_MAX_PRODUCERS {max}
#define SVIPC_MPSC_SEQ_FREE UINT64_C({free})
#define SVIPC_MPSC_SEQ_PUBLISHED UINT64_C({published})
#define SVIPC_MPSC_SEQ_CANCELLED UINT64_C({cancelled})
#define SVIPC_MPSC_SEQ(position, state) (((uint64_t)(position) << 2) | (uint64_t)(state))
/* Offset of producer entry j. */
#define SVIPC_MPSC_ENTRY_OFFSET(j) ((uint64_t)SVIPC_MPSC_TABLE_OFFSET + (uint64_t)(j) * SVIPC_LINE)
/* Offset of slot 0 with p producer entries: the header's data_offset. */
#define SVIPC_MPSC_DATA_OFFSET(p) SVIPC_MPSC_ENTRY_OFFSET(p)
/* Offset of the slot (its seq word) of position pos (capacity a power of two). */
#define SVIPC_MPSC_SLOT_OFFSET(p, capacity, type_size, pos)                    \\
    (SVIPC_MPSC_DATA_OFFSET(p) +                                                \\
     ((uint64_t)(pos) & ((uint64_t)(capacity) - 1)) * SVIPC_RING_SLOT_BYTES(type_size))
/* Bytes of the segment of an Mpsc of capacity slots of type_size bytes and p
 * producer entries. */
#define SVIPC_MPSC_TOTAL_SIZE(capacity, type_size, p) \\
    (SVIPC_MPSC_DATA_OFFSET(p) + (uint64_t)(capacity) * SVIPC_RING_SLOT_BYTES(type_size))
#define SVIPC_MPSC_NSEMS(p) (2 * (p) + 3)
#define SVIPC_MPSC_SEM_SEAT(j) (j) /* producer seat j: 1 free, 0 taken */
#define SVIPC_MPSC_SEM_LOCK(p) (p) /* serialises producers' joins and leaves with death checks: 1 free */
#define SVIPC_MPSC_SEM_CONSUMER(p) ((p) + 1) /* the consumer role: 1 free, 0 taken */
#define SVIPC_MPSC_SEM_CONSUMER_WAKE(p) ((p) + 2) /* a parked consumer waits here */
#define SVIPC_MPSC_SEM_PRODUCER_WAKE(p, j) ((p) + 3 + (j)) /* producer j parks here */
/* Initial value of semaphore i of a set for p producers. */
#define SVIPC_MPSC_SEM_INITIAL(p, i) ((i) < (p) + 2 ? 1 : 0)

struct svipc_mpsc_entry {{
    /* {reg}: registration epoch: even free, odd registered */
    _Atomic uint64_t reg;
    /* {claim}: k + 1 while claiming position k (announced before the claim, kept until the next); 0 none */
    _Atomic uint64_t claim;
    /* {pid}: pid of the registrant (its seat's pid word), 0 when it left cleanly */
    _Atomic uint64_t pid;
    /* {wait}: SVIPC_WAITING_WORD while the registrant waits for room asynchronously
     * (a futex wait on this word; set before its bit of producers_waiting, release),
     * else 0: the consumer that takes the bit takes this word too and futex-wakes it,
     * or posts the producer's semaphore (layout version 7) */
    _Atomic uint64_t wait;
    /* {pad}: zero */
    _Atomic uint64_t pad[{pad_words}];
}};
_Static_assert(sizeof(struct svipc_mpsc_entry) == SVIPC_LINE, \"svipc_mpsc_entry: size\");
_Static_assert(offsetof(struct svipc_mpsc_entry, reg) == {reg} &&
               offsetof(struct svipc_mpsc_entry, claim) == {claim} &&
               offsetof(struct svipc_mpsc_entry, pid) == {pid} &&
               offsetof(struct svipc_mpsc_entry, wait) == {wait},
               \"svipc_mpsc_entry: offsets\");
",
        table = mpsc_layout::TABLE_OFFSET,
        max = mpsc_layout::MAX_PRODUCERS,
        free = mpsc_layout::SEQ_FREE,
        published = mpsc_layout::SEQ_PUBLISHED,
        cancelled = mpsc_layout::SEQ_CANCELLED,
        reg = 0,
        claim = WORD,
        pid = 2 * WORD,
        wait = 3 * WORD,
        pad = 4 * WORD,
        pad_words = mpsc_layout::ENTRY_WORDS - 4,
    )?;
    structure(
        out,
        "svipc_mpsc_ctl",
        "MPSC",
        &MPSC_FIELDS,
        mpsc_layout::TABLE_OFFSET,
    )?;
    out.write_str("/* The size formula against the crate's Mpsc<T, N> layout: */\n")?;
    for (capacity, size, p, total) in MPSC_SIZES {
        writeln!(
            out,
            "_Static_assert(SVIPC_MPSC_TOTAL_SIZE({capacity}, {size}, {p}) == {total}, \"Mpsc size\");"
        )?;
    }
    Ok(())
}

/// `struct name { ... };`, its offset and size macros, and the assertions tying
/// them together.
fn structure<W: Write>(
    out: &mut W,
    name: &str,
    prefix: &str,
    fields: &[Field],
    size: usize,
) -> fmt::Result {
    writeln!(out, "\nstruct {name} {{")?;
    for f in fields {
        writeln!(out, "    /* {}: {} */", f.offset, f.doc)?;
        match f.ctype {
            CType::Word => writeln!(out, "    _Atomic uint64_t {};", f.name)?,
            CType::Words => writeln!(out, "    _Atomic uint64_t {}[{}];", f.name, f.size / WORD)?,
            CType::Header => writeln!(out, "    struct svipc_header {};", f.name)?,
        }
    }
    out.write_str("};\n")?;
    writeln!(
        out,
        "#define SVIPC_SIZEOF_{} {size}",
        Upper(name.trim_start_matches("svipc_"))
    )?;
    for f in fields {
        let field = Upper(f.name);
        writeln!(out, "#define SVIPC_{prefix}_{field}_OFFSET {}", f.offset)?;
        writeln!(out, "#define SVIPC_{prefix}_{field}_SIZE {}", f.size)?;
    }
    writeln!(
        out,
        "_Static_assert(sizeof(struct {name}) == SVIPC_SIZEOF_{}, \"{name}: size\");",
        Upper(name.trim_start_matches("svipc_"))
    )?;
    for f in fields {
        let field = Upper(f.name);
        writeln!(
            out,
            "_Static_assert(offsetof(struct {name}, {f}) == SVIPC_{prefix}_{field}_OFFSET &&\n               \
             sizeof(((struct {name} *)0)->{f}) == SVIPC_{prefix}_{field}_SIZE,\n               \
             \"{name}.{f}: offset and size\");",
            f = f.name,
        )?;
    }
    Ok(())
}
