//! A guided tour of `sysv-ipc`: two processes (this one and a forked worker) talk
//! through every kind of System V IPC object, on the default backend (raw syscalls,
//! no libc in the library's path):
//!
//! 1. a message queue carrying typed messages, picked by type;
//! 2. a semaphore set guarding a critical section, with `SEM_UNDO`;
//! 3. a `Shm<T>`: one `#[repr(C)]` struct in a shared memory segment;
//! 4. a lock-free `Queue<T, MAXSZ>` streaming a million typed records;
//! 5. the system's limits and an `ipcs`-style listing of what the tour made.
//!
//! Every object is private (`IPC_PRIVATE`: nothing else on the machine can stumble on
//! it) and is removed at the end, also when a step fails. Needs no root and no setup:
//! `cargo run --example tour`. Exits non-zero if anything failed.

use std::process::ExitCode;
use std::time::Instant;

use sysv_ipc::info;
use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::queue::Queue;
use sysv_ipc::sem::SemSet;
use sysv_ipc::shm::Shm;
use sysv_ipc::{Backend, DefaultBackend, Intent, Key, Mode, Removable, Removal};
use sysv_ipc::{ShmType, type_id};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// An order, sent as a typed message (the C struct a peer would declare is the same).
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Order {
    id: u32,
    qty: u32,
    price_cents: u64,
}

/// The worker's answer to an order.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Receipt {
    order_id: u32,
    accepted: u32,
    total_cents: u64,
}

/// What both processes update under the semaphore.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Ledger {
    increments: u64,
    last_pid: i64,
}

/// One record of the stream.
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
struct Record {
    seq: u64,
    value: u64,
}

impl ShmType for Record {
    const TYPE_ID: u64 = type_id("sysv-ipc tour::Record v1");
}

const URGENT: i64 = 1;
const NORMAL: i64 = 5;
const RECEIPT: i64 = 100;
const INCREMENTS: u64 = 20_000;
const RECORDS: u64 = 1_000_000;

type Stream = Queue<Record, 1024>;

fn main() -> ExitCode {
    match tour() {
        Ok(()) => {
            println!("\nEvery step worked, and every object was removed.");
            ExitCode::SUCCESS
        }
        Err(what) => {
            eprintln!("\nThe tour failed: {what}");
            ExitCode::FAILURE
        }
    }
}

fn tour() -> Result<(), String> {
    let b = DefaultBackend::default();
    println!(
        "sysv-ipc tour — process {} on the {} backend\n",
        b.getpid(),
        std::any::type_name::<DefaultBackend>()
            .rsplit("::")
            .next()
            .unwrap_or("?")
    );
    let before = count_objects()?;
    // Removal guards remove each object when the tour ends, whatever happens.
    let orders = Removal::new(ok(
        "create a message queue",
        MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()),
    )?);
    let lock = Removal::new(ok(
        "create a semaphore set",
        SemSet::new_initialized(Key::PRIVATE, &[1], Mode::default()),
    )?);
    let ledger = ok(
        "create a Shm<Ledger>",
        Shm::<Ledger>::create(Key::PRIVATE, Intent::CreateNew, Mode::default()),
    )?;
    let ledger_segment = Removal::new(*ledger.segment());
    let stream = ok(
        "create a Queue<Record, 1024>",
        Stream::create(Key::PRIVATE, Intent::CreateNew, Mode::default()),
    )?;

    let worker = fork(|| worker(&orders, &lock, &ledger, &stream))?;
    let result = boss(&orders, &lock, &ledger, &stream);
    let worker_ok = join(worker);
    result?;
    worker_ok?;

    step(5, "what the tour made, as ipcs would list it");
    list_objects()?;
    limits()?;

    drop(ledger);
    ok("remove the stream", stream.remove())?;
    // A removed segment lives until its last detach: drop the queue's attachment.
    drop(stream);
    ok("remove the ledger", ledger_segment.remove_now())?;
    ok("remove the lock", lock.remove_now())?;
    ok("remove the queue", orders.remove_now())?;
    let after = count_objects()?;
    if after != before {
        return Err(format!("objects before {before:?}, after {after:?}"));
    }
    println!("\nRemoved all four objects (and the stream's semaphores); the system is as before.");
    Ok(())
}

/// The parent's side of every step.
fn boss(
    orders: &MsgQueue,
    lock: &SemSet,
    ledger: &Shm<Ledger>,
    stream: &Stream,
) -> Result<(), String> {
    step(1, "typed messages, picked by type");
    let sent = [
        (
            NORMAL,
            Order {
                id: 1,
                qty: 3,
                price_cents: 1_250,
            },
        ),
        (
            NORMAL,
            Order {
                id: 2,
                qty: 1,
                price_cents: 99_00,
            },
        ),
        (
            URGENT,
            Order {
                id: 3,
                qty: 10,
                price_cents: 40,
            },
        ),
    ];
    for (mtype, order) in &sent {
        ok("send an order", orders.send_value(*mtype, order))?;
        let kind = if *mtype == URGENT { "urgent" } else { "normal" };
        println!("  boss   → sent {kind} order {} (mtype {mtype})", order.id);
    }
    for _ in &sent {
        let (_, r) = ok(
            "receive a receipt",
            orders.recv_value::<Receipt>(Selector::Type(RECEIPT)),
        )?;
        println!(
            "  boss   ← receipt for order {}: {} item(s), {:.2} in total",
            r.order_id,
            r.accepted,
            r.total_cents as f64 / 100.0
        );
    }

    step(
        2,
        "a semaphore as a mutex (SEM_UNDO: a holder that dies releases it)",
    );
    let mine = bump_ledger(lock, ledger, INCREMENTS / 2)?;
    println!("  boss   did {mine} increments under the lock");

    step(3, "a Shm<Ledger>: one struct in a shared segment");
    wait_for_ledger(ledger)?;
    let l = ledger.read();
    println!(
        "  boss   reads increments = {} (expected {INCREMENTS}), last written by pid {}",
        l.increments, l.last_pid
    );
    if l.increments != INCREMENTS {
        return Err(format!("the ledger says {} increments", l.increments));
    }

    step(
        4,
        "a lock-free Queue<Record, 1024> between the two processes",
    );
    let mut producer = ok("claim the producer role", stream.producer())?;
    let start = Instant::now();
    let mut batch = [Record { seq: 0, value: 0 }; 64];
    let mut seq = 0;
    while seq < RECORDS {
        let n = batch.len().min((RECORDS - seq) as usize);
        for (i, r) in batch[..n].iter_mut().enumerate() {
            let s = seq + i as u64;
            *r = Record {
                seq: s,
                value: checksum(s),
            };
        }
        let mut sent = ok("enqueue records", producer.enqueue_slice(&batch[..n]))?;
        while sent < n {
            // Full: wait (a bounded spin, then parked on a semaphore) for room for
            // one, then push the rest of the batch.
            ok("enqueue a record", producer.enqueue_blocking(batch[sent]))?;
            sent += 1;
            sent += ok("enqueue records", producer.enqueue_slice(&batch[sent..n]))?;
        }
        seq += n as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "  boss   → streamed {RECORDS} records in {:.0} ms: {:.1} M records/s{}",
        secs * 1e3,
        RECORDS as f64 / secs / 1e6,
        if cfg!(debug_assertions) {
            " (a debug build: try --release)"
        } else {
            ""
        }
    );
    Ok(())
}

/// The worker's side, in the forked child.
fn worker(
    orders: &MsgQueue,
    lock: &SemSet,
    ledger: &Shm<Ledger>,
    stream: &Stream,
) -> Result<(), String> {
    // Let the boss queue all three orders, so that the pick by type shows.
    while ok("stat the queue", orders.stat())?.messages < 3 {
        std::thread::yield_now();
    }
    // Urgent orders first: `UpTo(NORMAL)` takes the lowest type up to NORMAL.
    for _ in 0..3 {
        let (mtype, o) = ok(
            "receive an order",
            orders.recv_value::<Order>(Selector::UpTo(NORMAL)),
        )?;
        println!(
            "  worker ← order {} (mtype {mtype}, taken lowest type first)",
            o.id
        );
        let receipt = Receipt {
            order_id: o.id,
            accepted: o.qty,
            total_cents: u64::from(o.qty) * o.price_cents,
        };
        ok("send a receipt", orders.send_value(RECEIPT, &receipt))?;
    }
    let mine = bump_ledger(lock, ledger, INCREMENTS / 2)?;
    println!("  worker did {mine} increments under the lock");

    let mut consumer = ok("claim the consumer role", stream.consumer())?;
    let mut buf = [Record { seq: 0, value: 0 }; 64];
    let mut expected = 0;
    while expected < RECORDS {
        let mut n = ok("dequeue records", consumer.dequeue_into(&mut buf))?;
        if n == 0 {
            // Empty: wait (a bounded spin, then parked) for one record.
            buf[0] = ok("dequeue a record", consumer.dequeue_blocking())?;
            n = 1;
        }
        for r in &buf[..n] {
            if r.seq != expected || r.value != checksum(expected) {
                return Err(format!("record {expected} arrived as {r:?}"));
            }
            expected += 1;
        }
    }
    println!("  worker ← all {RECORDS} records arrived in order, checksums intact");
    Ok(())
}

/// Adds `n` to the shared ledger, one increment per critical section.
fn bump_ledger(lock: &SemSet, ledger: &Shm<Ledger>, n: u64) -> Result<u64, String> {
    let pid = i64::from(DefaultBackend::default().getpid());
    for _ in 0..n {
        let guard = ok("take the lock", lock.lock(0))?;
        let mut l = ledger.read();
        l.increments += 1;
        l.last_pid = pid;
        ledger.write(&l);
        ok("release the lock", guard.unlock())?;
    }
    Ok(n)
}

/// Waits (briefly) until both processes have finished their increments.
fn wait_for_ledger(ledger: &Shm<Ledger>) -> Result<(), String> {
    let start = Instant::now();
    while ledger.read().increments < INCREMENTS {
        if start.elapsed().as_secs() > 30 {
            return Err("the worker never finished its increments".into());
        }
        std::thread::yield_now();
    }
    Ok(())
}

fn checksum(seq: u64) -> u64 {
    seq.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17)
}

fn list_objects() -> Result<(), String> {
    println!("  ------ Message Queues --------");
    println!(
        "  {:<10} {:<10} {:<10} {:<6} {:>10} {:>10}",
        "key", "msqid", "owner", "perms", "used-bytes", "messages"
    );
    for q in ok("list queues", info::message_queues())? {
        let (id, s) = ok("read a queue", q)?;
        println!(
            "  {:<10} {:<10} {:<10} {:<6} {:>10} {:>10}",
            s.perm.key, id, s.perm.uid, s.perm.mode, s.bytes, s.messages
        );
    }
    println!("  ------ Semaphore Arrays --------");
    println!(
        "  {:<10} {:<10} {:<10} {:<6} {:>10}",
        "key", "semid", "owner", "perms", "nsems"
    );
    for set in ok("list semaphore sets", info::semaphore_sets())? {
        let (id, s) = ok("read a set", set)?;
        println!(
            "  {:<10} {:<10} {:<10} {:<6} {:>10}",
            s.perm.key, id, s.perm.uid, s.perm.mode, s.nsems
        );
    }
    println!("  ------ Shared Memory Segments --------");
    println!(
        "  {:<10} {:<10} {:<10} {:<6} {:>10} {:>10}",
        "key", "shmid", "owner", "perms", "bytes", "nattch"
    );
    for seg in ok("list segments", info::segments())? {
        let (id, s) = ok("read a segment", seg)?;
        println!(
            "  {:<10} {:<10} {:<10} {:<6} {:>10} {:>10}",
            s.perm.key, id, s.perm.uid, s.perm.mode, s.size, s.nattch
        );
    }
    println!(
        "  (the host may have objects of its own; the tour's are the private ones, key 0x00000000)"
    );
    Ok(())
}

fn limits() -> Result<(), String> {
    let m = ok("message limits", info::msg_limits())?;
    let s = ok("semaphore limits", info::sem_limits())?;
    let h = ok("shared memory limits", info::shm_limits())?;
    println!("\n  limits of this IPC namespace:");
    println!(
        "  messages:      at most {} bytes each, {} bytes per queue, {} queues",
        m.msgmax, m.msgmnb, m.msgmni
    );
    println!(
        "  semaphores:    {} per set, {} sets, {} operations per call, values up to {}",
        s.semmsl, s.semmni, s.semopm, s.semvmx
    );
    println!(
        "  shared memory: segments up to {} bytes, {} segments",
        h.shmmax, h.shmmni
    );
    Ok(())
}

/// How many queues, sets and segments exist (to show the tour leaves nothing).
fn count_objects() -> Result<(usize, usize, usize), String> {
    Ok((
        ok("list queues", info::message_queues())?.count(),
        ok("list sets", info::semaphore_sets())?.count(),
        ok("list segments", info::segments())?.count(),
    ))
}

fn step(n: u32, title: &str) {
    println!("\n{n}. {title}");
}

fn ok<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Runs `f` in a forked child that exits with 0 on success, 1 on failure (printing
/// why); returns the child's pid.
fn fork(f: impl FnOnce() -> Result<(), String>) -> Result<libc::pid_t, String> {
    use std::io::Write;
    std::io::stdout().flush().ok();
    // SAFETY: the tour is single-threaded; the child runs `f` and leaves with _exit.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(format!("fork: {}", std::io::Error::last_os_error())),
        0 => {
            let code = match f() {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("  worker failed: {e}");
                    1
                }
            };
            std::io::stdout().flush().ok();
            // SAFETY: ends the child without running the parent's destructors (the
            // Removal guards belong to the parent).
            unsafe { libc::_exit(code) }
        }
        pid => Ok(pid),
    }
}

fn join(pid: libc::pid_t) -> Result<(), String> {
    let mut status = 0;
    // SAFETY: `pid` is our child and `status` a live local.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    if r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        Ok(())
    } else {
        Err(format!(
            "the worker (pid {pid}) failed (status {status:#x})"
        ))
    }
}
