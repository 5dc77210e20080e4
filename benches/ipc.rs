//! The performance bar (issue 5): every figure beside its baseline, measured in the
//! same run, in the same process pair, interleaved.
//!
//! # Why a hand-written harness
//!
//! On this shared 2-core VM one binary run gives anywhere from 26 to 680 M msgs/s,
//! and cross-core round trips jump between placement modes; separate runs cannot
//! resolve even 2×. criterion and divan time one routine at a time, in one process,
//! and compare against a saved run: exactly what the noise defeats. Here a
//! producer/consumer process pair (fork, one pinned per CPU) runs *blocks* of every
//! implementation of a comparison in turn — C baseline, crate, other baselines — on
//! its own region each (drained at the end of each block), for many cycles, with
//! the order rotated each cycle (the rtt group also rotates each implementation
//! through 8 copies of its regions, since a round trip depends on where its lines'
//! physical addresses land). A cycle takes tens of milliseconds, so both sides
//! of a ratio see the same placement mode; the table reports the median of the
//! per-cycle ratios and their interquartile range. Timings never decide pass/fail:
//! the last column says whether the issue's target was met in this run.
//!
//! Every group runs in a fresh IPC namespace (a forked child calls
//! `unshare(CLONE_NEWIPC)`, or `CLONE_NEWUSER | CLONE_NEWIPC` when not root) and
//! removes what it made; the namespace going away with its last process removes
//! anything a crash left.
//!
//! Each side also records, per block and outside the timed span, its voluntary and
//! involuntary context switches (getrusage(2) `ru_nvcsw`, `ru_nivcsw`): a
//! voluntary one is a real sleep (a semop, read or futex that blocked), which on a
//! KVM guest costs an idle vCPU's wake-up, so a park row's time says little
//! without it. The rtt group prints them per round trip under the table, with the
//! C park baselines' own counters (parks announced, cut short by the re-check,
//! semop P and V calls).
//!
//! The C baselines (`benches/c/baselines.c`) are compiled at run time with the `cc`
//! crate's view of the C compiler (`CC`, `CFLAGS` honoured) into a shared object
//! that is `dlopen`ed, so the library crate needs no build script.
//!
//! # Knobs (environment)
//!
//! - `SYSV_IPC_BENCH_CYCLES`: cycles per group (default 200; the first two are a
//!   warm-up that sizes each implementation's block to about 1.5 ms, and are
//!   dropped);
//! - `SYSV_IPC_BENCH_SCALE`: multiplies the block duration (default 1);
//! - `SYSV_IPC_BENCH_PIN=0`: do not pin the two processes to CPUs 0 and 1;
//! - `SYSV_IPC_BENCH_ONLY=ring8,rtt,...`: run only these groups (`ring8`, `ring64`,
//!   `broadcast`, `fanout`, `rtt`, `local`, `shm4m`, `copy`, `view`, `field4m`, `frames`,
//!   `mpsc`, `table`, `ringfire` (x86_64 only)).
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_int, c_void};
use std::hint::{black_box, spin_loop};
use std::io::Write;
use std::mem::offset_of;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Policy, Start};
use sysv_ipc::layout::table::Slots;
use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::msg::{MsgBuf, MsgQueue, Selector};
use sysv_ipc::queue::Barrier;
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::view::{ReadCell, ViewCell};
use sysv_ipc::{
    Backend, DefaultBackend, Intent, Key, Mode, Removable, SemOp, SemSet, Shm, ShmSlice, ShmType,
    ShmView,
};
use sysv_ipc_libc::Libc;
use sysv_ipc_linux_raw::LinuxRaw;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

// ---- configuration --------------------------------------------------------------

/// Cycles per group unless `SYSV_IPC_BENCH_CYCLES` says otherwise.
const DEFAULT_CYCLES: usize = 200;
/// Block duration at scale 1.
const BLOCK_NS: f64 = 1.5e6;

#[derive(Clone, Debug)]
struct Config {
    cycles: usize,
    /// Target duration of one block, nanoseconds.
    block_ns: f64,
    pin: bool,
    only: Option<Vec<String>>,
}

impl Config {
    fn from_env() -> Config {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Config {
            cycles: var("SYSV_IPC_BENCH_CYCLES")
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_CYCLES)
                .max(WARMUP + 1),
            block_ns: var("SYSV_IPC_BENCH_SCALE")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1.0f64)
                .max(0.001)
                * BLOCK_NS,
            pin: var("SYSV_IPC_BENCH_PIN").is_none_or(|v| v != "0"),
            only: var("SYSV_IPC_BENCH_ONLY").map(|v| v.split(',').map(str::to_owned).collect()),
        }
    }

    fn wants(&self, group: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|g| g == group))
    }

    /// First guess of messages per block (the warm-up cycles rescale it).
    fn n(&self, base: u64) -> u64 {
        base
    }
}

// ---- the C baselines ------------------------------------------------------------

type Produce = unsafe extern "C" fn(*mut c_void, u64, u64, u64, u64, u64);
type Consume = unsafe extern "C" fn(*mut c_void, u64, u64, u64) -> u64;
type PingPong = unsafe extern "C" fn(*mut c_void, c_int, u32, u64, u64);
type StreamProduce = unsafe extern "C" fn(c_int, u64, u64) -> i64;
type StreamConsume = unsafe extern "C" fn(c_int, u64) -> u64;

/// Entry points of `benches/c/baselines.c`; see that file for what each does.
#[derive(Copy, Clone)]
struct CLib {
    cring_bytes: unsafe extern "C" fn(u64, u64) -> u64,
    produce_rt: Produce,
    consume_rt: Consume,
    produce_ct8: Produce,
    consume_ct8: Consume,
    produce_ct64: Produce,
    consume_ct64: Consume,
    produce_ct8w: Produce,
    consume_ct8w: Consume,
    produce_ct64w: Produce,
    consume_ct64w: Consume,
    produce_batch8: Produce,
    consume_batch8: Consume,
    produce_batch64: Produce,
    consume_batch64: Consume,
    pp_bytes: unsafe extern "C" fn() -> u64,
    pp_ping: PingPong,
    pp_pong: PingPong,
    pp_ping_mb: PingPong,
    pp_pong_mb: PingPong,
    pp_membarrier_ready: unsafe extern "C" fn() -> i64,
    pp_counters: unsafe extern "C" fn(*mut u64),
    msgq_produce: StreamProduce,
    msgq_consume: StreamConsume,
    msgq_produce64: StreamProduce,
    msgq_consume64: StreamConsume,
    pipe_produce: StreamProduce,
    pipe_consume: StreamConsume,
    tseq_write64: unsafe extern "C" fn(*mut AtomicU64, u64, u64),
    tseq_read64: unsafe extern "C" fn(*mut AtomicU64, u64) -> u64,
}

/// Compiles `benches/c/baselines.c` into a shared object with the C compiler the
/// `cc` crate picks, and loads it.
fn load_clib() -> CLib {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/c/baselines.c");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sysv_ipc_bench_baselines.so");
    let target = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let compiler = cc::Build::new()
        .target(&target)
        .host(&target)
        .opt_level(2)
        .cargo_metadata(false)
        .pic(true)
        .std("c11")
        .get_compiler();
    let status = compiler
        .to_command()
        .args(["-shared", "-Wall", "-Wextra", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "compiling {}", src.display());
    let path = CString::new(out.into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: dlopen needs a NUL-terminated path (a CString); the library has no
    // constructors, so loading it runs no code.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    assert!(!handle.is_null(), "dlopen: {}", dl_error());
    fn sym<F: Copy>(handle: *mut c_void, name: &CStr) -> F {
        // SAFETY: handle is a live dlopen handle and name a C string.
        let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
        assert!(!p.is_null(), "dlsym {name:?}: {}", dl_error());
        assert_eq!(size_of::<F>(), size_of::<*mut c_void>());
        // SAFETY: F is always an `unsafe extern "C" fn` type (pointer-sized, checked
        // above) whose signature matches the C definition of `name` in baselines.c;
        // dlsym returned that function's address, non-null.
        unsafe { std::mem::transmute_copy::<*mut c_void, F>(&p) }
    }
    CLib {
        cring_bytes: sym(handle, c"cring_bytes"),
        produce_rt: sym(handle, c"cring_produce_rt"),
        consume_rt: sym(handle, c"cring_consume_rt"),
        produce_ct8: sym(handle, c"cring_produce_ct8"),
        consume_ct8: sym(handle, c"cring_consume_ct8"),
        produce_ct64: sym(handle, c"cring_produce_ct64"),
        consume_ct64: sym(handle, c"cring_consume_ct64"),
        produce_ct8w: sym(handle, c"cring_produce_ct8w"),
        consume_ct8w: sym(handle, c"cring_consume_ct8w"),
        produce_ct64w: sym(handle, c"cring_produce_ct64w"),
        consume_ct64w: sym(handle, c"cring_consume_ct64w"),
        produce_batch8: sym(handle, c"cring_produce_batch8"),
        consume_batch8: sym(handle, c"cring_consume_batch8"),
        produce_batch64: sym(handle, c"cring_produce_batch64"),
        consume_batch64: sym(handle, c"cring_consume_batch64"),
        pp_bytes: sym(handle, c"pp_bytes"),
        pp_ping: sym(handle, c"pp_ping"),
        pp_pong: sym(handle, c"pp_pong"),
        pp_ping_mb: sym(handle, c"pp_ping_mb"),
        pp_pong_mb: sym(handle, c"pp_pong_mb"),
        pp_membarrier_ready: sym(handle, c"pp_membarrier_ready"),
        pp_counters: sym(handle, c"pp_counters"),
        msgq_produce: sym(handle, c"msgq_produce"),
        msgq_consume: sym(handle, c"msgq_consume"),
        msgq_produce64: sym(handle, c"msgq_produce64"),
        msgq_consume64: sym(handle, c"msgq_consume64"),
        pipe_produce: sym(handle, c"pipe_produce"),
        pipe_consume: sym(handle, c"pipe_consume"),
        tseq_write64: sym(handle, c"tseq_write64"),
        tseq_read64: sym(handle, c"tseq_read64"),
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror takes no arguments; the bench is single-threaded.
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        return "unknown".into();
    }
    // SAFETY: a non-null dlerror result is a NUL-terminated string valid until the
    // next dl* call; copied out at once.
    unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
}

// ---- raw kernel objects for the baselines (libc, checked) -------------------------

fn os_err(what: &str) -> ! {
    panic!("{what}: {}", std::io::Error::last_os_error())
}

/// A private segment of `bytes`, attached here and already marked for removal: it
/// goes away when the last process that inherited the mapping detaches or exits.
fn shm_region(bytes: u64) -> *mut c_void {
    // SAFETY: plain syscall wrapper, integer arguments.
    let id = unsafe { libc::shmget(libc::IPC_PRIVATE, bytes as usize, libc::IPC_CREAT | 0o600) };
    if id < 0 {
        os_err("shmget");
    }
    // SAFETY: null address lets the kernel choose; the mapping is only used through
    // the C baselines, which own its layout.
    let p = unsafe { libc::shmat(id, std::ptr::null(), 0) };
    if p as isize == -1 {
        os_err("shmat");
    }
    // SAFETY: integer arguments; IPC_RMID takes no buffer.
    if unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) } != 0 {
        os_err("shmctl(IPC_RMID)");
    }
    p
}

fn msgq_new() -> c_int {
    // SAFETY: integer arguments.
    let id = unsafe { libc::msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600) };
    if id < 0 {
        os_err("msgget");
    }
    id
}

fn msgq_remove(id: c_int) {
    // SAFETY: integer arguments; IPC_RMID takes no buffer.
    unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
}

/// A set of `n` semaphores, all 0.
fn sems_new(n: c_int) -> c_int {
    // SAFETY: integer arguments (a new set's values are 0 on Linux).
    let id = unsafe { libc::semget(libc::IPC_PRIVATE, n, libc::IPC_CREAT | 0o600) };
    if id < 0 {
        os_err("semget");
    }
    id
}

fn sems_remove(id: c_int) {
    // SAFETY: integer arguments; IPC_RMID ignores the fourth argument.
    unsafe { libc::semctl(id, 0, libc::IPC_RMID) };
}

fn pipe_new() -> [c_int; 2] {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        os_err("pipe");
    }
    fds
}

fn close(fd: c_int) {
    // SAFETY: fd is a descriptor this process opened and no longer uses.
    unsafe { libc::close(fd) };
}

// ---- processes --------------------------------------------------------------------

fn fork() -> libc::pid_t {
    std::io::stdout().flush().ok();
    std::io::stderr().flush().ok();
    // SAFETY: the bench is single-threaded, so the child is a complete copy.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        os_err("fork");
    }
    pid
}

/// Runs `f` in this (forked) child and leaves with its status, never returning to
/// the caller's stack frames (a panic is status 101).
fn child_exit(f: impl FnOnce()) -> ! {
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_ok();
    std::io::stdout().flush().ok();
    // SAFETY: _exit ends the process at once, with no atexit handlers that the
    // parent's state could confuse.
    unsafe { libc::_exit(if ok { 0 } else { 101 }) }
}

fn wait(pid: libc::pid_t) -> bool {
    let mut status = 0;
    // SAFETY: pid is our child; status is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// Pins this process to `cpu`; false if the kernel refused.
fn pin(cpu: usize) -> bool {
    // SAFETY: cpu_set_t is plain data; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: cpu < 2 < CPU_SETSIZE, inside the set.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: set is a valid cpu_set_t of the size passed.
    unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) == 0 }
}

/// Runs `f` in a forked child inside a fresh IPC namespace; true if it succeeded.
fn in_ipc_namespace(f: impl FnOnce()) -> bool {
    let pid = fork();
    if pid == 0 {
        child_exit(|| {
            // SAFETY: flag argument only.
            if unsafe { libc::unshare(libc::CLONE_NEWIPC) } != 0 {
                // SAFETY: flag argument only.
                if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWIPC) } != 0 {
                    os_err("unshare(CLONE_NEWIPC)");
                }
            }
            f();
        });
    }
    wait(pid)
}

/// Memory shared by every process forked after it is made (anonymous, MAP_SHARED):
/// the barrier and the results.
struct Shared {
    words: &'static [AtomicU64],
}

/// Word offsets in [`Shared`]: two barrier counters on their own lines, the
/// current messages per block of each implementation, [`NOTE_WORDS`] words that a
/// group may use for its report ([`Shared::note`]), then per block [`BLOCK_WORDS`]
/// words: the messages it moved, then side A's and side B's [`Stat`]s.
const ARRIVE_A: usize = 0;
const ARRIVE_B: usize = 16;
const SIZES: usize = 32;
const MAX_IMPS: usize = 64;
const NOTES: usize = SIZES + MAX_IMPS;
const NOTE_WORDS: usize = 4;
const RESULTS: usize = NOTES + NOTE_WORDS;

/// What each side records per block, in this order (word index = `Stat as usize`).
#[derive(Copy, Clone, Debug)]
enum Stat {
    /// Elapsed nanoseconds.
    Ns,
    /// Voluntary context switches (getrusage(2) `ru_nvcsw` delta): times this
    /// process slept, in a semop, a read, a futex.
    Sleeps,
    /// Involuntary context switches (`ru_nivcsw` delta): times it was preempted.
    Preempted,
    /// The C ping-pong's counters (`pp_counters` in baselines.c; zero in every
    /// other block): `get` gave up spinning and announced a park...
    ParkPath,
    /// ... its re-check after the barrier found the value (no semop) ...
    RecheckHit,
    /// ... semop P calls (a sleep, or not if the count was already up) ...
    SemP,
    /// ... and semop V calls (wake-ups posted by `put`).
    SemV,
    /// Ring blocks: times the producer found the ring full, or the consumer found
    /// it empty (each retry after a look at the peer's progress), in the C rings
    /// (`PP_RING_WAIT`) and in the bench's loops around the crate's calls
    /// ([`RING_WAITS`]).
    Waits,
}

/// Words of one side's [`Stat`]s.
const SIDE_WORDS: usize = Stat::Waits as usize + 1;
/// Words per block: the messages it moved, then each side's [`Stat`]s.
const BLOCK_WORDS: usize = 1 + 2 * SIDE_WORDS;

/// Cycles whose blocks calibrate the block sizes; their results are dropped.
const WARMUP: usize = 2;

impl Shared {
    fn new(blocks: usize, imps: &[Imp]) -> Shared {
        assert!(imps.len() <= MAX_IMPS);
        let len = (RESULTS + BLOCK_WORDS * blocks) * 8;
        // SAFETY: a fresh anonymous mapping; no address hint.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            os_err("mmap");
        }
        // SAFETY: p is page-aligned, len bytes mapped read-write, zero-filled (valid
        // AtomicU64s), never unmapped (leaked for 'static: one small mapping per
        // group), and only ever accessed through these atomics, in every process.
        let words = unsafe { std::slice::from_raw_parts(p.cast::<AtomicU64>(), len / 8) };
        for (k, imp) in imps.iter().enumerate() {
            words[SIZES + k].store(imp.n, Ordering::Relaxed);
        }
        Shared { words }
    }

    /// Messages per block of implementation `imp` (read after a barrier).
    fn size(&self, imp: usize) -> &AtomicU64 {
        &self.words[SIZES + imp]
    }

    /// During the warm-up cycles, scales implementation `imp`'s block so that it
    /// lasts about `target_ns`: long enough to dwarf the barrier, short enough that
    /// a cycle sits inside one placement mode (and one scheduler time slice).
    fn calibrate(&self, cycle: usize, imp: usize, n: u64, ns: u64, target_ns: f64) {
        if cycle < WARMUP {
            let scaled = (n as f64 * target_ns / ns as f64) as u64;
            // Relaxed: published by the Release store of the next barrier.
            self.size(imp)
                .store(scaled.clamp(16, n.saturating_mul(256)), Ordering::Relaxed);
        }
    }

    /// Both sides have reached block `b`.
    fn barrier(&self, side: Side, b: usize) {
        let (own, other) = match side {
            Side::A => (ARRIVE_A, ARRIVE_B),
            Side::B => (ARRIVE_B, ARRIVE_A),
        };
        let v = b as u64 + 1;
        self.words[own].store(v, Ordering::Release);
        let mut spins = 0u32;
        while self.words[other].load(Ordering::Acquire) < v {
            spins += 1;
            if spins.is_multiple_of(1024) {
                // Unpinned, both sides may share a CPU: let the other one run.
                std::thread::yield_now();
            } else {
                spin_loop();
            }
        }
    }

    /// `side`'s `stat` in `block`.
    fn stat(&self, side: Side, block: usize, stat: Stat) -> &AtomicU64 {
        &self.words[RESULTS + BLOCK_WORDS * block + 1 + SIDE_WORDS * side as usize + stat as usize]
    }

    /// Records what `side` did in `block` (`before` and `after` from [`stats`]).
    fn record(&self, side: Side, block: usize, ns: u64, before: [u64; 7], after: [u64; 7]) {
        let stats = [
            Stat::Sleeps,
            Stat::Preempted,
            Stat::ParkPath,
            Stat::RecheckHit,
            Stat::SemP,
            Stat::SemV,
            Stat::Waits,
        ];
        // Relaxed: read after the last barrier, whose Release store publishes it.
        self.stat(side, block, Stat::Ns)
            .store(ns, Ordering::Relaxed);
        for ((s, b), a) in stats.into_iter().zip(before).zip(after) {
            self.stat(side, block, s)
                .store(a.wrapping_sub(b), Ordering::Relaxed);
        }
    }

    fn moved(&self, block: usize) -> &AtomicU64 {
        &self.words[RESULTS + BLOCK_WORDS * block]
    }

    /// Word `k` of the group's report, set by whichever process knows it (the rtt
    /// group: the queues' barrier mode, and how each side found its membarrier
    /// registration).
    fn note(&self, k: usize) -> &AtomicU64 {
        &self.words[NOTES + k]
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Side {
    /// Producer / initiator: the namespace's first process, CPU 0.
    A = 0,
    /// Consumer / echo: its forked peer, CPU 1.
    B = 1,
}

/// One implementation in a group: a name and messages (or round trips) per block.
struct Imp {
    name: &'static str,
    n: u64,
}

/// The block schedule: cycle `c` runs every implementation once, the order rotated
/// by `c` so that none always follows the same neighbour.
fn schedule(imps: usize, cycles: usize) -> Vec<(usize, usize)> {
    let mut s = Vec::with_capacity(imps * cycles);
    for c in 0..cycles {
        for k in 0..imps {
            s.push((c, (c + k) % imps));
        }
    }
    s
}

/// This process's voluntary and involuntary context switches so far
/// (getrusage(2) `RUSAGE_SELF`: `ru_nvcsw`, `ru_nivcsw`), then the C ping-pong's
/// park counters since the last call (read and reset; zero outside its blocks).
fn stats(clib: &CLib) -> [u64; 7] {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: ru is a valid out-pointer to one rusage, which getrusage fills.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    assert_eq!(r, 0, "getrusage");
    // SAFETY: getrusage returned 0, so it filled ru.
    let ru = unsafe { ru.assume_init() };
    let mut pp = [0u64; 5];
    // SAFETY: pp_counters writes 5 u64s to its argument; pp has room for them.
    unsafe { (clib.pp_counters)(pp.as_mut_ptr()) };
    [
        ru.ru_nvcsw as u64,
        ru.ru_nivcsw as u64,
        pp[0],
        pp[1],
        pp[2],
        pp[3],
        // Relaxed: this process's own counter.
        pp[4] + RING_WAITS.swap(0, Ordering::Relaxed),
    ]
}

/// The crate side's count for [`Stat::Waits`]: full or empty retries in the
/// ring group's Queue loops (read and reset by [`stats`]).
static RING_WAITS: AtomicU64 = AtomicU64::new(0);

/// Counts one retry; a load and a store, off the message path.
fn ring_wait() {
    // Relaxed: one thread per process touches it.
    RING_WAITS.store(RING_WAITS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Per-side work of one block: `(implementation, first message number, count)` →
/// checksum (the consumer's sum of every word it received; ignored on side A).
type Work<'a> = Box<dyn FnMut(usize, u64, u64) -> u64 + 'a>;

/// Runs the schedule in a process pair: this process is side A, a forked peer side
/// B; `make(side)` builds a side's work after the fork (role claims are per
/// process). Each block starts at a barrier; each side records its elapsed
/// nanoseconds and its [`stats`] deltas (taken outside the timed span); side B's
/// checksum is compared with `expect(imp, first, n)`; the `timer` side sizes the
/// blocks during the warm-up.
fn pair<'a>(
    cfg: &Config,
    sh: &Shared,
    imps: &[Imp],
    timer: Side,
    clib: &CLib,
    expect: impl Fn(usize, u64, u64) -> Option<u64>,
    mut make: impl FnMut(Side) -> Work<'a>,
) {
    let sched = schedule(imps.len(), cfg.cycles);
    let run = |side: Side, work: &mut Work<'a>| {
        let mut first = vec![0u64; imps.len()];
        for (b, &(c, imp)) in sched.iter().enumerate() {
            sh.barrier(side, b);
            // Relaxed: written before the barrier's Release store, read after its
            // Acquire load.
            let n = sh.size(imp).load(Ordering::Relaxed);
            let before = stats(clib);
            let t0 = Instant::now();
            let sum = work(imp, first[imp], n);
            let ns = (t0.elapsed().as_nanos() as u64).max(1);
            sh.record(side, b, ns, before, stats(clib));
            if side == timer {
                sh.moved(b).store(n, Ordering::Relaxed);
                sh.calibrate(c, imp, n, ns, cfg.block_ns);
            }
            if side == Side::B
                && let Some(want) = expect(imp, first[imp], n)
            {
                assert_eq!(sum, want, "{}: wrong checksum", imps[imp].name);
            }
            first[imp] += n;
        }
        sh.barrier(side, sched.len());
    };
    let peer = fork();
    if peer == 0 {
        child_exit(|| {
            if cfg.pin {
                pin(1);
            }
            let mut work = make(Side::B);
            run(Side::B, &mut work);
        });
    }
    if cfg.pin {
        pin(0);
    }
    let mut work = make(Side::A);
    run(Side::A, &mut work);
    drop(work);
    assert!(wait(peer), "side B failed");
}

/// Runs the schedule in this one process (side A's result slots).
fn solo(cfg: &Config, sh: &Shared, imps: &[Imp], clib: &CLib, mut work: impl FnMut(usize, u64)) {
    if cfg.pin {
        pin(0);
    }
    for (b, &(c, imp)) in schedule(imps.len(), cfg.cycles).iter().enumerate() {
        let n = sh.size(imp).load(Ordering::Relaxed);
        let before = stats(clib);
        let t0 = Instant::now();
        work(imp, n);
        let ns = (t0.elapsed().as_nanos() as u64).max(1);
        sh.record(Side::A, b, ns, before, stats(clib));
        sh.moved(b).store(n, Ordering::Relaxed);
        sh.calibrate(c, imp, n, ns, cfg.block_ns);
    }
}

/// Per-implementation nanoseconds per message, indexed `[imp][cycle]`, warm-up
/// cycles dropped.
fn per_msg(cfg: &Config, sh: &Shared, imps: &[Imp], side: Side) -> Vec<Vec<f64>> {
    per_msg_of(cfg, sh, imps, |b| {
        sh.stat(side, b, Stat::Ns).load(Ordering::Relaxed)
    })
}

/// `value(block)` per message, indexed `[imp][cycle]`, warm-up cycles dropped.
fn per_msg_of(
    cfg: &Config,
    sh: &Shared,
    imps: &[Imp],
    value: impl Fn(usize) -> u64,
) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; cfg.cycles]; imps.len()];
    for (b, &(c, imp)) in schedule(imps.len(), cfg.cycles).iter().enumerate() {
        out[imp][c] = value(b) as f64 / sh.moved(b).load(Ordering::Relaxed) as f64;
    }
    for v in &mut out {
        v.drain(..WARMUP);
    }
    out
}

// ---- messages ---------------------------------------------------------------------

/// Word 1.. of every message (word 0 is the counter).
const FILLER: u64 = 0x0101_0101_0101_0101;

/// A message type for the ring benches: built from a counter, checksummed by adding
/// up its words (as the C consumer does).
trait Msg: ShmType + ShmView + Copy + Default {
    const WORDS: u64;
    fn make(i: u64) -> Self;
    fn sum(&self) -> u64;
}

impl Msg for u64 {
    const WORDS: u64 = 1;
    #[inline(always)]
    fn make(i: u64) -> Self {
        i
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        *self
    }
}

impl Msg for [u64; 8] {
    const WORDS: u64 = 8;
    #[inline(always)]
    fn make(i: u64) -> Self {
        let mut m = [FILLER; 8];
        m[0] = i;
        m
    }
    #[inline(always)]
    fn sum(&self) -> u64 {
        self.iter().fold(0u64, |s, w| s.wrapping_add(*w))
    }
}

/// What a consumer of messages `first..first + n` of `M` adds up.
fn checksum<M: Msg>(first: u64, n: u64) -> u64 {
    let counters = (first..first + n).fold(0u64, |s, i| s.wrapping_add(i));
    counters.wrapping_add(n.wrapping_mul(M::WORDS - 1).wrapping_mul(FILLER))
}

// ---- results ----------------------------------------------------------------------

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn median_iqr(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (quantile(&v, 0.5), quantile(&v, 0.25), quantile(&v, 0.75))
}

#[derive(Copy, Clone)]
enum Unit {
    /// Messages per second (higher is better); ratio = crate / baseline rate.
    Rate,
    /// Nanoseconds per operation (lower is better); ratio = crate / baseline time.
    Time,
}

/// A target on the ratio: at least (`Rate`) or at most (`Time`) this.
struct Row {
    op: String,
    ours: f64,
    base: f64,
    base_name: String,
    ratio: (f64, f64, f64),
    unit: Unit,
    target: Option<f64>,
}

impl Row {
    fn new(
        op: impl Into<String>,
        per_msg: &[Vec<f64>],
        ours: usize,
        base: usize,
        base_name: impl Into<String>,
        unit: Unit,
        target: Option<f64>,
    ) -> Row {
        let ratios = per_msg[ours]
            .iter()
            .zip(&per_msg[base])
            .map(|(o, b)| match unit {
                Unit::Rate => b / o,
                Unit::Time => o / b,
            })
            .collect();
        Row {
            op: op.into(),
            ours: median_iqr(per_msg[ours].clone()).0,
            base: median_iqr(per_msg[base].clone()).0,
            base_name: base_name.into(),
            ratio: median_iqr(ratios),
            unit,
            target,
        }
    }

    fn fmt_value(&self, ns: f64) -> String {
        match self.unit {
            // Frames of several MiB pass a few thousand times a second (group frames).
            Unit::Rate if ns >= 100_000.0 => format!("{:.0} /s", 1e9 / ns),
            Unit::Rate => format!("{:.1} M/s", 1e3 / ns),
            Unit::Time if ns >= 1000.0 => format!("{:.2} µs", ns / 1e3),
            // A field load takes a fraction of a nanosecond (group field4m).
            Unit::Time if ns < 10.0 => format!("{ns:.2} ns"),
            Unit::Time => format!("{ns:.0} ns"),
        }
    }

    fn print(&self) {
        let (m, lo, hi) = self.ratio;
        let (target, met) = match (self.target, self.unit) {
            (None, _) => ("—".to_owned(), "—"),
            (Some(t), Unit::Rate) => (format!("≥ {t}×"), if m >= t { "met" } else { "MISSED" }),
            (Some(t), Unit::Time) => (format!("≤ {t}×"), if m <= t { "met" } else { "MISSED" }),
        };
        println!(
            "| {} | {} | {}: {} | {:.2}× [{:.2}–{:.2}] | {} | {} |",
            self.op,
            self.fmt_value(self.ours),
            self.base_name,
            self.fmt_value(self.base),
            m,
            lo,
            hi,
            target,
            met
        );
    }
}

// ---- groups -------------------------------------------------------------------------

const RING_CAP: usize = 1024;
const BATCH: usize = 128;

/// Pauses after an empty poll in the ring group's "consumer backs off" loop.
const BACKOFF: usize = 64;

/// Streaming throughput of `M`-sized messages: the two C rings, the queue one at a
/// time and in batches, the SysV message queue and a pipe.
fn ring_group<M: Msg>(cfg: &Config, clib: CLib, label: &str, notes: &mut Vec<String>) -> Vec<Row> {
    let size = M::WORDS * 8;
    let (c_produce, c_consume, w_produce, w_consume, b_produce, b_consume) = if size == 8 {
        (
            clib.produce_ct8,
            clib.consume_ct8,
            clib.produce_ct8w,
            clib.consume_ct8w,
            clib.produce_batch8,
            clib.consume_batch8,
        )
    } else {
        (
            clib.produce_ct64,
            clib.consume_ct64,
            clib.produce_ct64w,
            clib.consume_ct64w,
            clib.produce_batch64,
            clib.consume_batch64,
        )
    };
    let (msgq_produce, msgq_consume) = if size == 8 {
        (clib.msgq_produce, clib.msgq_consume)
    } else {
        (clib.msgq_produce64, clib.msgq_consume64)
    };
    let imps = [
        Imp {
            name: "C ring, runtime size",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "C ring, compile-time size",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue enqueue/dequeue",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue enqueue_slice/dequeue_into (batches of 128)",
            n: cfg.n(1 << 19),
        },
        Imp {
            name: "SysV msgsnd/msgrcv",
            n: cfg.n(1 << 12),
        },
        Imp {
            name: "pipe write/read",
            n: cfg.n(1 << 12),
        },
        Imp {
            name: "C ring, compile-time size, with the wake check",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue enqueue/dequeue, consumer backs off",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "C ring, batch (128), compile-time size",
            n: cfg.n(1 << 19),
        },
        Imp {
            name: "Queue enqueue_with/dequeue_with (batches of 128)",
            n: cfg.n(1 << 19),
        },
        Imp {
            name: "Queue loan(1)/commit, loan(1)/release (in place)",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue loans of up to 128 (in place)",
            n: cfg.n(1 << 19),
        },
    ];
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        let cap = RING_CAP as u64;
        // SAFETY: a pure function of its integer arguments.
        let bytes = unsafe { (clib.cring_bytes)(cap, size) };
        let rt = shm_region(bytes) as usize;
        let ct = shm_region(bytes) as usize;
        let ctw = shm_region(bytes) as usize;
        let ctb = shm_region(bytes) as usize;
        let mode = Mode::OWNER_RW;
        let q1 = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qb = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qo = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qw = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let ql = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qlb = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let msqid = msgq_new();
        let [rd, wr] = pipe_new();
        let expect = |imp: usize, first: u64, n: u64| {
            Some(if imp == 4 || imp == 5 {
                checksum::<u64>(first, n)
            } else {
                checksum::<M>(first, n)
            })
        };
        pair(cfg, &sh, &imps, Side::B, &clib, expect, |side| match side {
            Side::A => {
                close(rd);
                let mut p1 = q1.producer().unwrap();
                let mut pb = qb.producer().unwrap();
                let mut po = qo.producer().unwrap();
                let mut pw = qw.producer().unwrap();
                let mut pl = ql.producer().unwrap();
                let mut plb = qlb.producer().unwrap();
                let mut buf = [M::default(); BATCH];
                Box::new(move |imp, first, n| {
                    match imp {
                        // SAFETY: rt/ct are live mappings of `bytes` bytes laid out as
                        // the C ring of cap slots of `size` bytes; this process is the
                        // only producer.
                        0 => unsafe { (clib.produce_rt)(rt as _, cap, size, first, n, FILLER) },
                        // SAFETY: as above.
                        1 => unsafe { c_produce(ct as _, cap, size, first, n, FILLER) },
                        2 | 7 => {
                            let p = if imp == 2 { &mut p1 } else { &mut po };
                            for i in first..first + n {
                                let mut v = M::make(i);
                                while let Err(e) = p.enqueue(v) {
                                    assert!(e.is_full(), "{e}");
                                    v = e.into_inner();
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        3 => send_in_batches(first, n, |next, m| {
                            for (j, slot) in buf[..m].iter_mut().enumerate() {
                                *slot = M::make(next + j as u64);
                            }
                            pb.enqueue_slice(&buf[..m]).unwrap()
                        }),
                        // SAFETY: msqid is a live queue; integer arguments.
                        4 => assert_eq!(unsafe { msgq_produce(msqid, first, n) }, 0),
                        // SAFETY: as for rt and ct.
                        6 => unsafe { w_produce(ctw as _, cap, size, first, n, FILLER) },
                        // SAFETY: as for rt and ct.
                        8 => unsafe { b_produce(ctb as _, cap, size, first, n, FILLER) },
                        9 => send_in_batches(first, n, |next, m| {
                            pw.enqueue_with(m, |j| M::make(next + j as u64)).unwrap()
                        }),
                        10 => {
                            for i in first..first + n {
                                loop {
                                    let loan = pl.loan(1).unwrap();
                                    if let Some(slot) = loan.slot(0) {
                                        slot.store_from(&M::make(i), Ordering::Relaxed);
                                        loan.commit_all();
                                        break;
                                    }
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        11 => send_in_batches(first, n, |next, m| {
                            let loan = plb.loan(m).unwrap();
                            for (j, slot) in loan.iter().enumerate() {
                                slot.store_from(&M::make(next + j as u64), Ordering::Relaxed);
                            }
                            loan.commit_all()
                        }),
                        // SAFETY: wr is our pipe's write end.
                        _ => assert_eq!(unsafe { (clib.pipe_produce)(wr, first, n) }, 0),
                    }
                    0
                })
            }
            Side::B => {
                close(wr);
                let mut c1 = q1.consumer().unwrap();
                let mut cb = qb.consumer().unwrap();
                let mut co = qo.consumer().unwrap();
                let mut cw = qw.consumer().unwrap();
                let mut cl = ql.consumer().unwrap();
                let mut clb = qlb.consumer().unwrap();
                let mut buf = [M::default(); BATCH];
                Box::new(move |imp, _first, n| match imp {
                    // SAFETY: as for the producer; this process is the only consumer.
                    0 => unsafe { (clib.consume_rt)(rt as _, cap, size, n) },
                    // SAFETY: as above.
                    1 => unsafe { c_consume(ct as _, cap, size, n) },
                    // 7: the same, pausing BACKOFF times after an empty poll: the
                    // consumer leaves the line the producer is writing alone long
                    // enough for the ring to fill (not a target; shows the regime).
                    2 | 7 => {
                        let (c, pauses) = if imp == 2 {
                            (&mut c1, 1)
                        } else {
                            (&mut co, BACKOFF)
                        };
                        let mut sum = 0u64;
                        for _ in 0..n {
                            loop {
                                if let Some(v) = c.dequeue().unwrap() {
                                    sum = sum.wrapping_add(v.sum());
                                    break;
                                }
                                ring_wait();
                                for _ in 0..pauses {
                                    spin_loop();
                                }
                            }
                        }
                        sum
                    }
                    3 => {
                        let mut sum = 0u64;
                        take_in_batches(n, |want| {
                            let k = cb.dequeue_into(&mut buf[..want]).unwrap();
                            for v in &buf[..k] {
                                sum = sum.wrapping_add(v.sum());
                            }
                            k
                        });
                        sum
                    }
                    // SAFETY: msqid is a live queue; integer arguments.
                    4 => unsafe { msgq_consume(msqid, n) },
                    // SAFETY: as above.
                    6 => unsafe { w_consume(ctw as _, cap, size, n) },
                    // SAFETY: as above.
                    8 => unsafe { b_consume(ctb as _, cap, size, n) },
                    9 => {
                        let mut sum = 0u64;
                        take_in_batches(n, |want| {
                            cw.dequeue_with(want, |v| sum = sum.wrapping_add(v.sum()))
                                .unwrap()
                        });
                        sum
                    }
                    10 => {
                        let mut sum = 0u64;
                        let mut v = M::default();
                        for _ in 0..n {
                            loop {
                                let loan = cl.loan(1).unwrap();
                                if let Some(slot) = loan.slot(0) {
                                    slot.load_into(&mut v, Ordering::Relaxed);
                                    sum = sum.wrapping_add(v.sum());
                                    loan.release_all();
                                    break;
                                }
                                ring_wait();
                                spin_loop();
                            }
                        }
                        sum
                    }
                    11 => {
                        let mut sum = 0u64;
                        let mut v = M::default();
                        take_in_batches(n, |want| {
                            let loan = clb.loan(want).unwrap();
                            for slot in loan.iter() {
                                slot.load_into(&mut v, Ordering::Relaxed);
                                sum = sum.wrapping_add(v.sum());
                            }
                            loan.release_all()
                        });
                        sum
                    }
                    // SAFETY: rd is our pipe's read end.
                    _ => unsafe { (clib.pipe_consume)(rd, n) },
                })
            }
        });
        q1.remove().unwrap();
        qb.remove().unwrap();
        qo.remove().unwrap();
        qw.remove().unwrap();
        ql.remove().unwrap();
        qlb.remove().unwrap();
        msgq_remove(msqid);
    });
    assert!(ok, "ring group {label} failed");
    let t = per_msg(cfg, &sh, &imps, Side::B);
    ring_notes(cfg, &sh, &imps, label, notes);
    let (crt, cct, q1, qb, msgq, pipe, cctw, qo, cb, qw) = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    let (ql, qlb) = (10, 11);
    let (one_vs_ct, one_vs_rt, b_vs_rt) = if size == 8 {
        (0.9, 1.5, 3.0)
    } else {
        (0.9, 1.5, 4.0)
    };
    vec![
        Row::new(
            format!("Queue one-at-a-time, {label}"),
            &t,
            q1,
            cct,
            "C ring const size",
            Unit::Rate,
            Some(one_vs_ct),
        ),
        Row::new(
            format!("Queue one-at-a-time, {label}"),
            &t,
            q1,
            crt,
            "C ring runtime size",
            Unit::Rate,
            Some(one_vs_rt),
        ),
        // The batch rows use the in-place calls (values made into and taken out of
        // the slots by closures); the slice calls copy through the caller's arrays
        // on both sides, and their row says what that costs.
        Row::new(
            format!("Queue batch ({BATCH}), {label}"),
            &t,
            qw,
            crt,
            "C ring runtime size",
            Unit::Rate,
            Some(b_vs_rt),
        ),
        Row::new(
            format!("Queue batch ({BATCH}), {label}"),
            &t,
            qw,
            msgq,
            format!("SysV msgsnd/msgrcv {label}"),
            Unit::Rate,
            Some(50.0),
        ),
        // Not targets: the batch read against a batched C ring (one index store per
        // 128 messages, constant-size memcpy), that ring against the runtime-size
        // one (what batching gives a hand-written ring here), and the slice calls.
        Row::new(
            format!("Queue batch ({BATCH}), {label}"),
            &t,
            qw,
            cb,
            format!("C ring batch ({BATCH}) const size"),
            Unit::Rate,
            None,
        ),
        Row::new(
            format!("Queue batch ({BATCH}) via slices, {label}"),
            &t,
            qb,
            qw,
            "Queue batch in place",
            Unit::Rate,
            None,
        ),
        Row::new(
            format!("C ring batch ({BATCH}) const size, {label}"),
            &t,
            cb,
            crt,
            "C ring runtime size",
            Unit::Rate,
            None,
        ),
        Row::new(
            format!("Queue one-at-a-time, {label}"),
            &t,
            q1,
            pipe,
            "pipe 8 B",
            Unit::Rate,
            None,
        ),
        // Not a target: the same C ring paying the crate's wake-up check (a SeqCst
        // fence after every index store), to show what that fence costs.
        Row::new(
            format!("Queue one-at-a-time, {label}"),
            &t,
            q1,
            cctw,
            "C ring const size + wake check",
            Unit::Rate,
            None,
        ),
        Row::new(
            format!("Queue one-at-a-time, consumer backs off ({BACKOFF} pauses), {label}"),
            &t,
            qo,
            crt,
            "C ring runtime size",
            Unit::Rate,
            None,
        ),
        Row::new(
            format!("Queue one-at-a-time, consumer backs off ({BACKOFF} pauses), {label}"),
            &t,
            qo,
            cct,
            "C ring const size",
            Unit::Rate,
            None,
        ),
        // Loans (issue 15): the same messages stored and loaded in place through
        // the slots' views, against the copy forms of the same shape.
        Row::new(
            format!("Queue loan one-at-a-time, {label}"),
            &t,
            ql,
            q1,
            "Queue enqueue/dequeue",
            Unit::Rate,
            Some(1.0),
        ),
        Row::new(
            format!("Queue loans of up to {BATCH}, {label}"),
            &t,
            qlb,
            qw,
            "Queue batch in place",
            Unit::Rate,
            Some(1.0),
        ),
        Row::new(
            format!("C ring const size + wake check, {label}"),
            &t,
            cctw,
            cct,
            "C ring const size",
            Unit::Rate,
            None,
        ),
    ]
}

/// `Broadcast` with one reader process against `Queue` (issue 16): the same
/// process pair, one value at a time and in batches of [`BATCH`], lossless (every
/// value delivered and checksummed). Fan-out to several reader processes needs more
/// than the pair harness: not measured here yet.
fn broadcast_group<M: Msg>(cfg: &Config, clib: CLib, label: &str) -> Vec<Row> {
    let imps = [
        Imp {
            name: "Queue enqueue/dequeue",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Broadcast send/recv (1 reader, lossless)",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue enqueue_with/dequeue_with (batches of 128)",
            n: cfg.n(1 << 19),
        },
        Imp {
            name: "Broadcast send_with/recv_with (batches of 128, 1 reader, lossless)",
            n: cfg.n(1 << 19),
        },
    ];
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        let mode = Mode::OWNER_RW;
        let q1 = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qw = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let o = BroadcastOptions::new().readers(1).policy(Policy::Lossless);
        let b = DefaultBackend::default();
        let bc = || {
            Broadcast::<M, RING_CAP, _>::create_with(b, Key::PRIVATE, Intent::CreateNew, mode, o)
                .unwrap()
        };
        let (b1, bw) = (bc(), bc());
        let expect = |_: usize, first: u64, n: u64| Some(checksum::<M>(first, n));
        pair(cfg, &sh, &imps, Side::B, &clib, expect, |side| match side {
            Side::A => {
                let mut p1 = q1.producer().unwrap();
                let mut pw = qw.producer().unwrap();
                let mut w1 = b1.writer().unwrap();
                let mut ww = bw.writer().unwrap();
                Box::new(move |imp, first, n| {
                    match imp {
                        0 => {
                            for i in first..first + n {
                                let mut v = M::make(i);
                                while let Err(e) = p1.enqueue(v) {
                                    v = e.into_inner();
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        1 => {
                            for i in first..first + n {
                                let mut v = M::make(i);
                                while let Err(e) = w1.send(v) {
                                    v = e.into_inner();
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        2 => send_in_batches(first, n, |next, m| {
                            pw.enqueue_with(m, |j| M::make(next + j as u64)).unwrap()
                        }),
                        _ => send_in_batches(first, n, |next, m| {
                            ww.send_with(m, |j| M::make(next + j as u64)).unwrap()
                        }),
                    }
                    0
                })
            }
            Side::B => {
                let mut c1 = q1.consumer().unwrap();
                let mut cw = qw.consumer().unwrap();
                let mut r1 = b1.reader(Start::Newest).unwrap();
                let mut rw = bw.reader(Start::Newest).unwrap();
                Box::new(move |imp, _first, n| {
                    let mut sum = 0u64;
                    match imp {
                        0 => {
                            for _ in 0..n {
                                loop {
                                    if let Some(v) = c1.dequeue().unwrap() {
                                        sum = sum.wrapping_add(v.sum());
                                        break;
                                    }
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        1 => {
                            for _ in 0..n {
                                loop {
                                    if let Some(v) = r1.recv().unwrap() {
                                        sum = sum.wrapping_add(v.sum());
                                        break;
                                    }
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        2 => take_in_batches(n, |want| {
                            cw.dequeue_with(want, |v| sum = sum.wrapping_add(v.sum()))
                                .unwrap()
                        }),
                        _ => take_in_batches(n, |want| {
                            rw.recv_with(want, |v| sum = sum.wrapping_add(v.sum()))
                                .unwrap()
                        }),
                    }
                    sum
                })
            }
        });
        q1.remove().unwrap();
        qw.remove().unwrap();
        b1.remove().unwrap();
        bw.remove().unwrap();
    });
    assert!(ok, "broadcast group {label} failed");
    let t = per_msg(cfg, &sh, &imps, Side::B);
    vec![
        Row::new(
            format!("Broadcast one-at-a-time, 1 reader, {label}"),
            &t,
            1,
            0,
            "Queue one-at-a-time",
            Unit::Rate,
            Some(0.9),
        ),
        Row::new(
            format!("Broadcast batch ({BATCH}), 1 reader, {label}"),
            &t,
            3,
            2,
            format!("Queue batch ({BATCH})"),
            Unit::Rate,
            Some(0.9),
        ),
    ]
}

/// Reader processes of the fan-out group, by row.
const FAN_OUT: [usize; 3] = [1, 2, 4];

/// `Broadcast` fan-out (issue 16): one writer process and 1, 2 or 4 reader
/// processes, lossless, 8-byte values in batches of [`BATCH`], each reader checking
/// the sum of everything it got; per cycle and reader count a fresh broadcast, the
/// clocks started together once every reader has joined. Reports each reader's
/// rate (the median reader) and the writer's, against the one-reader run of the
/// same cycle. Not pinned: the readers outnumber the CPUs.
fn fanout_group(cfg: &Config) -> Vec<Row> {
    const READY: usize = 0;
    const START: usize = 8;
    const RESULTS: usize = 16;
    let cycles = (cfg.cycles / 10).max(5);
    let n = cfg.n(1 << 20);
    let procs = 1 + FAN_OUT[FAN_OUT.len() - 1];
    let words_len = RESULTS + cycles * FAN_OUT.len() * procs;
    let region = shm_region(8 * words_len as u64);
    // SAFETY: a fresh private segment of `words_len` words, page-aligned and
    // zero-filled (valid AtomicU64s), attached for the life of the bench (every
    // forked process inherits the attachment) and only used through these atomics.
    let words: &'static [AtomicU64] =
        unsafe { std::slice::from_raw_parts(region.cast::<AtomicU64>(), words_len) };
    let slot = |c: usize, f: usize, p: usize| &words[RESULTS + (c * FAN_OUT.len() + f) * procs + p];
    let ok = in_ipc_namespace(|| {
        for c in 0..cycles {
            for (f, &readers) in FAN_OUT.iter().enumerate() {
                let o = BroadcastOptions::new()
                    .readers(readers)
                    .policy(Policy::Lossless);
                let bc = Broadcast::<u64, RING_CAP, _>::create_with(
                    DefaultBackend::default(),
                    Key::PRIVATE,
                    Intent::CreateNew,
                    Mode::OWNER_RW,
                    o,
                )
                .unwrap();
                // Relaxed (both): the forks below order them for the children.
                words[READY].store(0, Ordering::Relaxed);
                words[START].store(0, Ordering::Relaxed);
                let pids: Vec<_> = (0..readers)
                    .map(|r| {
                        let pid = fork();
                        if pid == 0 {
                            child_exit(|| {
                                let mut rx = bc.reader(Start::Newest).unwrap();
                                words[READY].fetch_add(1, Ordering::Release);
                                while words[START].load(Ordering::Acquire) == 0 {
                                    std::thread::yield_now();
                                }
                                let t0 = Instant::now();
                                let mut sum = 0u64;
                                // Spin, then park when nothing comes: with more
                                // processes than the 2 CPUs here, a reader that
                                // only spins keeps the writer off its CPU.
                                take_in_batches(n, |want| {
                                    let k =
                                        rx.recv_with(want, |v| sum = sum.wrapping_add(v)).unwrap();
                                    if k == 0 {
                                        rx.wait_blocking().unwrap();
                                    }
                                    k
                                });
                                let ns = t0.elapsed().as_nanos() as u64;
                                slot(c, f, 1 + r).store(ns.max(1), Ordering::Relaxed);
                                assert_eq!(sum, checksum::<u64>(0, n), "fan-out reader {r}");
                            });
                        }
                        pid
                    })
                    .collect();
                let mut tx = bc.writer().unwrap();
                while words[READY].load(Ordering::Acquire) < readers as u64 {
                    std::thread::yield_now();
                }
                words[START].store(1, Ordering::Release);
                let t0 = Instant::now();
                send_in_batches(0, n, |next, m| {
                    match tx.send_with(m, |j| next + j as u64).unwrap() {
                        // Full: wait for the slowest reader (spin, then park).
                        0 => {
                            tx.send_blocking(next).unwrap();
                            1
                        }
                        k => k,
                    }
                });
                let ns = t0.elapsed().as_nanos() as u64;
                slot(c, f, 0).store(ns.max(1), Ordering::Relaxed);
                for pid in pids {
                    assert!(wait(pid), "a fan-out reader failed");
                }
                drop(tx);
                bc.remove().unwrap();
            }
        }
    });
    assert!(ok, "fan-out group failed");
    // [writer, median reader] per reader count, nanoseconds per value, per cycle.
    // Relaxed: the namespace child that stored them has been reaped.
    let per =
        |c: usize, f: usize, p: usize| slot(c, f, p).load(Ordering::Relaxed) as f64 / n as f64;
    let mut t = Vec::new();
    for (f, &readers) in FAN_OUT.iter().enumerate() {
        t.push((0..cycles).map(|c| per(c, f, 0)).collect::<Vec<_>>());
        t.push(
            (0..cycles)
                .map(|c| median_iqr((1..=readers).map(|p| per(c, f, p)).collect()).0)
                .collect(),
        );
    }
    let mut rows = Vec::new();
    for (f, &readers) in FAN_OUT.iter().enumerate().skip(1) {
        rows.push(Row::new(
            format!("Broadcast fan-out to {readers} reader processes, per reader, 8 B"),
            &t,
            2 * f + 1,
            1,
            "1 reader",
            Unit::Rate,
            None,
        ));
        rows.push(Row::new(
            format!("Broadcast fan-out to {readers} reader processes, the writer, 8 B"),
            &t,
            2 * f,
            0,
            "writer with 1 reader",
            Unit::Rate,
            None,
        ));
    }
    rows
}

/// Sends messages `first..first + n` in batches of at most [`BATCH`]:
/// `send(next, m)` offers messages `next..next + m` and returns how many it sent;
/// after a full ring it waits a little.
fn send_in_batches(first: u64, n: u64, mut send: impl FnMut(u64, usize) -> usize) {
    let (mut next, end) = (first, first + n);
    while next < end {
        let k = send(next, (end - next).min(BATCH as u64) as usize);
        next += k as u64;
        if k == 0 {
            ring_wait();
            spin_loop();
        }
    }
}

/// Receives `n` messages in batches of at most [`BATCH`]: `take(want)` takes up
/// to `want` and returns how many it took; after an empty ring it waits a little.
fn take_in_batches(n: u64, mut take: impl FnMut(usize) -> usize) {
    let mut got = 0u64;
    while got < n {
        let k = take((n - got).min(BATCH as u64) as usize);
        got += k as u64;
        if k == 0 {
            ring_wait();
            spin_loop();
        }
    }
}

/// The ring group's regime, one line per ring: how often the producer found the
/// ring full and the consumer found it empty, per message (median [IQR] over
/// cycles). A side that waits about once per message is the faster one, catching
/// up message by message; near 0 on both, the ring runs with room to spare.
fn ring_notes(cfg: &Config, sh: &Shared, imps: &[Imp], label: &str, notes: &mut Vec<String>) {
    let waits = |side| {
        per_msg_of(cfg, sh, imps, |b| {
            sh.stat(side, b, Stat::Waits).load(Ordering::Relaxed)
        })
    };
    let (full, empty) = (waits(Side::A), waits(Side::B));
    let fmt = |v: &[f64]| {
        let (m, lo, hi) = median_iqr(v.to_vec());
        format!("{m:.3} [{lo:.3}–{hi:.3}]")
    };
    notes.push(format!(
        "ring {label}: waits per message (producer found the ring full / consumer found it empty; median [IQR] over cycles):"
    ));
    for (k, imp) in imps.iter().enumerate() {
        if imp.name.contains("ring") || imp.name.starts_with("Queue") {
            notes.push(format!(
                "- {}: full {}, empty {}",
                imp.name,
                fmt(&full[k]),
                fmt(&empty[k])
            ));
        }
    }
}

/// Copies of every region of the rtt group, used in turn, one per block: a round
/// trip's time depends on where the two lines' physical addresses land (two runs of
/// the same C flags differ by up to 1.3×), so each implementation's median must
/// cover several placements, not the one its single region drew.
const PLACES: usize = 8;

/// Capacity of the rtt group's queues: the ring groups' (see the capacity-16 row
/// for what a small one costs).
const RTT_CAP: usize = RING_CAP;

/// Capacity of the rtt group's small-ring queue pair.
const SMALL_CAP: usize = 16;

/// Round trips: spin, spin-then-park (default spins), park at once (0 spins), pipe;
/// the C park baselines under both barrier pairs. `notes` gets what each side's
/// parks did: sleeps (voluntary context switches) per round trip for every
/// implementation, and the C baselines' park counters.
fn rtt_group(cfg: &Config, clib: CLib, notes: &mut Vec<String>) -> Vec<Row> {
    let spins = sysv_ipc::queue::DEFAULT_SPINS;
    let imps = [
        Imp {
            name: "C spin ping-pong",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "Queue spin ping-pong",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "C spin-then-park",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "Queue *_blocking",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "C park (0 spins)",
            n: cfg.n(1 << 9),
        },
        Imp {
            name: "Queue *_blocking (0 spins)",
            n: cfg.n(1 << 9),
        },
        Imp {
            name: "pipe ping-pong",
            n: cfg.n(1 << 9),
        },
        Imp {
            name: "C spin-then-park, membarrier",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "C park (0 spins), membarrier",
            n: cfg.n(1 << 9),
        },
        Imp {
            name: "Queue spin ping-pong, capacity 16",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "slot-layout ping-pong (Rust, no Queue API)",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "MsgQueue ping-pong, blocking recv",
            n: cfg.n(1 << 9),
        },
        Imp {
            name: "MsgQueue ping-pong, recv_timeout",
            n: cfg.n(1 << 9),
        },
    ];
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    // Notes: the queues' barrier pair (2: asymmetric, 1: symmetric), side A's and
    // B's membarrier registration as pp_membarrier_ready found it.
    let (barrier_note, registered_note) = (0, |side: Side| 1 + side as usize);
    let ok = in_ipc_namespace(|| {
        // SAFETY: no arguments.
        let pp_bytes = unsafe { (clib.pp_bytes)() };
        // Flags and semaphores of imps 2, 4, 7, 8 (0 uses its flags only).
        // PLACES copies of each region, used in turn (see PLACES).
        let flags: Vec<[usize; 5]> = (0..PLACES)
            .map(|_| std::array::from_fn(|_| shm_region(pp_bytes) as usize))
            .collect();
        let sems: [c_int; 5] = std::array::from_fn(|_| sems_new(2));
        type Q = Queue<u64, RTT_CAP>;
        let mk = || Q::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let qs: Vec<[(Q, Q); 3]> = (0..PLACES)
            .map(|_| [(mk(), mk()), (mk(), mk()), (mk(), mk())])
            .collect();
        type Small = Queue<u64, SMALL_CAP>;
        let mk = || Small::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let small: Vec<(Small, Small)> = (0..PLACES).map(|_| (mk(), mk())).collect();
        let slot_pp: Vec<[usize; 2]> = (0..PLACES)
            .map(|_| std::array::from_fn(|_| shm_region(SlotPingPong::BYTES as u64) as usize))
            .collect();
        let asymmetric = qs[0][0].0.barrier().unwrap() == Barrier::Asymmetric;
        sh.note(barrier_note)
            .store(1 + u64::from(asymmetric), Ordering::Relaxed);
        let (ab, ba) = (pipe_new(), pipe_new());
        let mq = || MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let (mq_ab, mq_ba) = (mq(), mq());
        pair(
            cfg,
            &sh,
            &imps,
            Side::A,
            &clib,
            |_, _, _| None,
            |side| {
                let (mut there, mut cons): (Vec<Vec<_>>, Vec<Vec<_>>) = qs
                    .iter()
                    .map(|place| {
                        let (out, inn): (Vec<_>, Vec<_>) = place
                            .iter()
                            .map(|(q0, q1)| {
                                let (p, c) = if side == Side::A { (q0, q1) } else { (q1, q0) };
                                let (mut p, mut c) = (p.producer().unwrap(), c.consumer().unwrap());
                                p.set_spins(spins);
                                c.set_spins(spins);
                                (p, c)
                            })
                            .unzip();
                        (out, inn)
                    })
                    .unzip();
                for (place_out, place_in) in there.iter_mut().zip(&mut cons) {
                    place_out[2].set_spins(0);
                    place_in[2].set_spins(0);
                }
                let mut small: Vec<_> = small
                    .iter()
                    .map(|(q0, q1)| {
                        let (p, c) = if side == Side::A { (q0, q1) } else { (q1, q0) };
                        (p.producer().unwrap(), c.consumer().unwrap())
                    })
                    .collect();
                // Blocks run so far per implementation: block j of an implementation
                // uses place j % PLACES (both sides count the same blocks).
                let mut blocks = vec![0usize; imps.len()];
                // The roles just claimed registered this process for membarrier
                // (asymmetric queues); the C "mb" baselines need that too. Records
                // whether it was so (1) or had to be done here.
                // SAFETY: no arguments.
                let ready = unsafe { (clib.pp_membarrier_ready)() };
                sh.note(registered_note(side))
                    .store(ready as u64, Ordering::Relaxed);
                assert!(ready > 0, "membarrier registration: errno {}", -ready);
                let (c_side, c_side_mb) = if side == Side::A {
                    (clib.pp_ping, clib.pp_ping_mb)
                } else {
                    (clib.pp_pong, clib.pp_pong_mb)
                };
                let (pipe_out, pipe_in) = if side == Side::A {
                    (ab[1], ba[0])
                } else {
                    (ba[1], ab[0])
                };
                let flags = flags.clone();
                let slot_pp = slot_pp.clone();
                Box::new(move |imp, first, n| {
                    let place = blocks[imp] % PLACES;
                    blocks[imp] += 1;
                    let flags = &flags[place];
                    let (there, cons) = (&mut there[place], &mut cons[place]);
                    let small = &mut small[place];
                    match imp {
                        // SAFETY: each flag region is a live mapping of pp_bytes bytes
                        // used only by one implementation's pp_ping/pp_pong; each
                        // semaphore set has 2 semaphores; both processes are
                        // registered for membarrier (checked above) before the "mb"
                        // ones run.
                        0 => unsafe { c_side(flags[0] as _, -1, 0, first, n) },
                        // SAFETY: as above.
                        2 => unsafe { c_side(flags[1] as _, sems[1], spins, first, n) },
                        // SAFETY: as above.
                        4 => unsafe { c_side(flags[2] as _, sems[2], 0, first, n) },
                        // SAFETY: as above.
                        7 => unsafe { c_side_mb(flags[3] as _, sems[3], spins, first, n) },
                        // SAFETY: as above.
                        8 => unsafe { c_side_mb(flags[4] as _, sems[4], 0, first, n) },
                        1 | 3 | 5 => {
                            let k = imp / 2;
                            ping_pong(&mut there[k], &mut cons[k], side, first, n, k);
                        }
                        9 => ping_pong(&mut small.0, &mut small.1, side, first, n, 0),
                        11 | 12 => {
                            let (out, inn) = if side == Side::A {
                                (mq_ab, mq_ba)
                            } else {
                                (mq_ba, mq_ab)
                            };
                            let recv = |_| {
                                let (_, v) = if imp == 11 {
                                    inn.recv_value::<u64>(Selector::Any)
                                } else {
                                    inn.recv_value_timeout::<u64>(Selector::Any, TIMED_WAIT)
                                }
                                .unwrap();
                                v
                            };
                            round_trips(side, first, n, |v| out.send_value(1, &v).unwrap(), recv);
                        }
                        10 => {
                            let [ab, ba] = slot_pp[place].map(SlotPingPong::new);
                            let (out, inn) = if side == Side::A { (ab, ba) } else { (ba, ab) };
                            round_trips(side, first, n, |v| out.send(v), |i| inn.recv(i));
                        }
                        _ => {
                            round_trips(side, first, n, |v| write8(pipe_out, v), |_| read8(pipe_in))
                        }
                    }
                    0
                })
            },
        );
        for (a, b) in qs.iter().flatten() {
            a.remove().unwrap();
            b.remove().unwrap();
        }
        for (a, b) in &small {
            a.remove().unwrap();
            b.remove().unwrap();
        }
        for id in sems {
            sems_remove(id);
        }
        mq_ab.remove().unwrap();
        mq_ba.remove().unwrap();
    });
    assert!(ok, "rtt group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    rtt_notes(cfg, &sh, &imps, notes);
    let how = |side| match sh.note(registered_note(side)).load(Ordering::Relaxed) {
        1 => "already registered",
        2 => "registered by the C side",
        _ => "registered by the C side (MEMBARRIER_CMD_GET_REGISTRATIONS unsupported)",
    };
    notes.push(format!(
        "rtt: the queues' barrier pair: {}; membarrier (GLOBAL_EXPEDITED) registration before the first C membarrier block: A {}, B {}",
        if sh.note(barrier_note).load(Ordering::Relaxed) == 2 {
            "asymmetric"
        } else {
            "symmetric"
        },
        how(Side::A),
        how(Side::B)
    ));
    let (spin_then_park, park0) = (
        format!("spin-then-park ({spins} spins)"),
        "park at once (0 spins)",
    );
    vec![
        Row::new(
            "ping-pong RTT, spin (u64), capacity 1024",
            &t,
            1,
            0,
            "C spin flags",
            Unit::Time,
            Some(1.10),
        ),
        // Not a target: what a small ring adds. The producer reloads the consumer's
        // `head` (a line the consumer owns) once the cached copy says full, which in
        // ping-pong is once every capacity messages per direction.
        Row::new(
            format!("ping-pong RTT, spin (u64), capacity {SMALL_CAP}"),
            &t,
            9,
            0,
            "C spin flags",
            Unit::Time,
            None,
        ),
        Row::new(
            format!("ping-pong RTT, spin (u64), capacity {SMALL_CAP}"),
            &t,
            9,
            1,
            format!("Queue spin, capacity {RTT_CAP}"),
            Unit::Time,
            None,
        ),
        // Not targets: the round trip split into what the slot layout costs (the
        // same stores and loads as the Queue, without its API) and what the Queue's
        // calls add to it.
        Row::new(
            "ping-pong RTT, spin, slot layout without the Queue API",
            &t,
            10,
            0,
            "C spin flags",
            Unit::Time,
            None,
        ),
        Row::new(
            format!("ping-pong RTT, spin (u64), capacity {RTT_CAP}"),
            &t,
            1,
            10,
            "slot layout without the API",
            Unit::Time,
            None,
        ),
        Row::new(
            format!("ping-pong RTT, {spin_then_park}"),
            &t,
            3,
            7,
            "C spin-then-park, membarrier",
            Unit::Time,
            Some(1.10),
        ),
        Row::new(
            format!("ping-pong RTT, {spin_then_park}"),
            &t,
            3,
            2,
            "C spin-then-park, fences",
            Unit::Time,
            None,
        ),
        Row::new(
            format!("ping-pong RTT, {park0}"),
            &t,
            5,
            8,
            "C park, 0 spins, membarrier",
            Unit::Time,
            Some(1.10),
        ),
        Row::new(
            format!("ping-pong RTT, {park0}"),
            &t,
            5,
            4,
            "C park, 0 spins, fences",
            Unit::Time,
            None,
        ),
        Row::new(
            format!("ping-pong RTT, {park0}"),
            &t,
            5,
            6,
            "pipe",
            Unit::Time,
            None,
        ),
        // Not a target: what polling costs a timed receive (the kernel has no timed
        // msgrcv; see MsgQueue::recv_timeout) against a receive that blocks in the
        // kernel and is woken by the send.
        Row::new(
            "msg timed wake: MsgQueue RTT, recv_value_timeout",
            &t,
            12,
            11,
            "blocking recv_value",
            Unit::Time,
            None,
        ),
    ]
}

/// The timeout of the rtt group's timed receives: never reached.
const TIMED_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The rtt group's per-round-trip counts, one line per implementation: sleeps
/// (voluntary context switches) of side A, side B and both, preemptions of both,
/// and for the C park baselines what their parks did (both sides). Each figure is
/// the median over cycles of the block's count ÷ its round trips, with the
/// interquartile range.
fn rtt_notes(cfg: &Config, sh: &Shared, imps: &[Imp], notes: &mut Vec<String>) {
    let per_rtt = |f: &dyn Fn(usize) -> u64| per_msg_of(cfg, sh, imps, f);
    let load = |side, b, stat| sh.stat(side, b, stat).load(Ordering::Relaxed);
    let both = |stat| move |b| load(Side::A, b, stat) + load(Side::B, b, stat);
    let sleeps_a = per_rtt(&|b| load(Side::A, b, Stat::Sleeps));
    let sleeps_b = per_rtt(&|b| load(Side::B, b, Stat::Sleeps));
    let sleeps = per_rtt(&both(Stat::Sleeps));
    let preempted = per_rtt(&both(Stat::Preempted));
    let c_stats = [
        ("announced", per_rtt(&both(Stat::ParkPath))),
        ("re-check hit", per_rtt(&both(Stat::RecheckHit))),
        ("semop P", per_rtt(&both(Stat::SemP))),
        ("semop V", per_rtt(&both(Stat::SemV))),
    ];
    let fmt = |v: &[f64]| {
        let (m, lo, hi) = median_iqr(v.to_vec());
        format!("{m:.3} [{lo:.3}–{hi:.3}]")
    };
    notes.push(
        "sleeps per round trip (getrusage ru_nvcsw delta per block ÷ round trips; median [IQR] over cycles; A initiates on CPU 0, B echoes on CPU 1):".into(),
    );
    for (k, imp) in imps.iter().enumerate() {
        let mut line = format!(
            "- {}: sleeps A {}, B {}, A+B {}; preempted A+B {}",
            imp.name,
            fmt(&sleeps_a[k]),
            fmt(&sleeps_b[k]),
            fmt(&sleeps[k]),
            fmt(&preempted[k]),
        );
        if imp.name.starts_with("C ") && c_stats[0].1[k].iter().any(|&x| x > 0.0) {
            line.push_str("; C parks, A+B:");
            for (name, v) in &c_stats {
                line.push_str(&format!(" {name} {}", fmt(&v[k])));
            }
        }
        notes.push(line);
    }
}

type Prod<const N: usize> = sysv_ipc::queue::Producer<u64, N>;
type Cons<const N: usize> = sysv_ipc::queue::Consumer<u64, N>;

/// A ping-pong direction over the `Queue`'s byte layout, written out by hand (no
/// crate code): the sender stores the payload, `tail`, then the slot's `seq`; the
/// receiver polls the `seq` of the slot it expects, loads the payload and stores
/// `head`. Messages `i` are numbered from 1 and never reused, so a `seq` equal to
/// `i` means message `i` (the Queue stores `i + 1` for message `i` from 0: the
/// same stores). No capacity checks: a ping-pong never has two messages in flight.
#[derive(Copy, Clone)]
struct SlotPingPong(&'static [AtomicU64]);

impl SlotPingPong {
    const SLOTS: usize = RTT_CAP;
    /// Words: the control lines (tail at word 16, head at 32), then the slots.
    const WORDS: usize = 48 + 2 * Self::SLOTS;
    const BYTES: usize = Self::WORDS * 8;

    fn new(region: usize) -> SlotPingPong {
        // SAFETY: `region` is a shared mapping of BYTES bytes from `shm_region`
        // (page-aligned, so aligned for AtomicU64), attached before the fork and
        // never detached, and accessed only through these atomics.
        SlotPingPong(unsafe { std::slice::from_raw_parts(region as *const AtomicU64, Self::WORDS) })
    }

    fn slot(&self, i: u64) -> usize {
        48 + 2 * (i as usize & (Self::SLOTS - 1))
    }

    #[inline(always)]
    fn send(&self, i: u64) {
        let k = self.slot(i);
        self.0[k + 1].store(i, Ordering::Relaxed);
        self.0[16].store(i, Ordering::Release);
        self.0[k].store(i, Ordering::Release);
    }

    #[inline(always)]
    fn recv(&self, i: u64) -> u64 {
        let k = self.slot(i);
        while self.0[k].load(Ordering::Acquire) != i {
            spin_loop();
        }
        let v = self.0[k + 1].load(Ordering::Relaxed);
        self.0[32].store(i, Ordering::Release);
        v
    }
}

/// `n` round trips: side A sends `first + 1..=first + n` and checks each echo,
/// side B echoes. `recv(i)` receives message `i` (an implementation may use the
/// number it expects; the check is here).
#[inline(always)]
fn round_trips(
    side: Side,
    first: u64,
    n: u64,
    mut send: impl FnMut(u64),
    mut recv: impl FnMut(u64) -> u64,
) {
    for i in first + 1..=first + n {
        if side == Side::A {
            send(i);
            assert_eq!(recv(i), i);
        } else {
            let v = recv(i);
            send(v);
        }
    }
}

/// [`round_trips`] through a queue pair, calling it as `variant` says.
fn ping_pong<const N: usize>(
    tx: &mut Prod<N>,
    rx: &mut Cons<N>,
    side: Side,
    first: u64,
    n: u64,
    variant: usize,
) {
    round_trips(
        side,
        first,
        n,
        |v| send(tx, v, variant),
        |_| recv(rx, variant),
    );
}

/// Ping-pong step: variant 0 spins on the non-blocking call, 1 and 2 block.
#[inline(always)]
fn send<const N: usize>(tx: &mut Prod<N>, v: u64, variant: usize) {
    if variant == 0 {
        let mut v = v;
        while let Err(e) = tx.enqueue(v) {
            v = e.into_inner();
            spin_loop();
        }
    } else {
        tx.enqueue_blocking(v).unwrap();
    }
}

#[inline(always)]
fn recv<const N: usize>(rx: &mut Cons<N>, variant: usize) -> u64 {
    if variant == 0 {
        loop {
            if let Some(v) = rx.dequeue().unwrap() {
                return v;
            }
            spin_loop();
        }
    } else {
        rx.dequeue_blocking().unwrap()
    }
}

fn write8(fd: c_int, v: u64) {
    // SAFETY: fd is a pipe's write end; the buffer is 8 readable bytes.
    let r = unsafe { libc::write(fd, (&raw const v).cast(), 8) };
    assert_eq!(r, 8);
}

fn read8(fd: c_int) -> u64 {
    let mut v = 0u64;
    // SAFETY: fd is a pipe's read end; the buffer is 8 writable bytes.
    let r = unsafe { libc::read(fd, (&raw mut v).cast(), 8) };
    assert_eq!(r, 8);
    v
}

/// One process: msgsnd+msgrcv and semop P+V, direct libc against the crate over
/// each backend.
fn local_group(cfg: &Config, clib: CLib) -> Vec<Row> {
    let imps = [
        Imp {
            name: "libc msgsnd+msgrcv",
            n: cfg.n(1 << 13),
        },
        Imp {
            name: "MsgQueue<LinuxRaw> send+recv",
            n: cfg.n(1 << 13),
        },
        Imp {
            name: "MsgQueue<Libc> send+recv",
            n: cfg.n(1 << 13),
        },
        Imp {
            name: "MsgQueue<LinuxRaw> send_buf+recv_buf",
            n: cfg.n(1 << 13),
        },
        Imp {
            name: "MsgQueue<Libc> send_buf+recv_buf",
            n: cfg.n(1 << 13),
        },
        Imp {
            name: "libc semop P+V",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "SemSet<LinuxRaw> P+V",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "SemSet<Libc> P+V",
            n: cfg.n(1 << 14),
        },
        Imp {
            name: "C ring const size 8 B, one process",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue 8 B enqueue+dequeue, one process",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "C ring const size 64 B, one process",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue 64 B enqueue+dequeue, one process",
            n: cfg.n(1 << 18),
        },
    ];
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        let msq = [msgq_new(), msgq_new(), msgq_new()];
        let sem = [sems_new(1), sems_new(1), sems_new(1)];
        let raw_q = MsgQueue::from_id(LinuxRaw, msq[1]);
        let libc_q = MsgQueue::from_id(Libc, msq[2]);
        let raw_s = SemSet::from_id(LinuxRaw, sem[1]);
        let libc_s = SemSet::from_id(Libc, sem[2]);
        // P+V on a semaphore at 1: never blocks.
        raw_s.op(&[SemOp::post(0)]).unwrap();
        for s in [&libc_s, &SemSet::from_id(Libc, sem[0])] {
            s.op(&[SemOp::post(0)]).unwrap();
        }
        let cap = RING_CAP as u64;
        let region = |size| {
            // SAFETY: a pure function of its integer arguments.
            shm_region(unsafe { (clib.cring_bytes)(cap, size) })
        };
        let (c8, c64) = (region(8), region(64));
        let mode = Mode::OWNER_RW;
        let q8 = Queue::<u64, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let q64 =
            Queue::<[u64; 8], RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let (mut tx8, mut rx8) = q8.split().unwrap();
        let (mut tx64, mut rx64) = q64.split().unwrap();
        let mut sent = [0u64; 2];
        solo(cfg, &sh, &imps, &clib, |imp, n| match imp {
            // SAFETY: c8/c64 are live mappings of the C ring of `cap` slots of 8/64
            // bytes; this one thread is its producer and consumer.
            8 => unsafe { one_process_c(clib.produce_ct8, clib.consume_ct8, c8, 8, n) },
            9 => one_process_queue(&mut tx8, &mut rx8, &mut sent[0], n),
            // SAFETY: as above.
            10 => unsafe { one_process_c(clib.produce_ct64, clib.consume_ct64, c64, 64, n) },
            11 => one_process_queue(&mut tx64, &mut rx64, &mut sent[1], n),
            0 => libc_sendrecv(msq[0], n),
            1 => crate_sendrecv(&raw_q, n),
            2 => crate_sendrecv(&libc_q, n),
            3 => crate_sendrecv_buf(&raw_q, n),
            4 => crate_sendrecv_buf(&libc_q, n),
            5 => libc_pv(sem[0], n),
            6 => crate_pv(&raw_s, n),
            _ => crate_pv(&libc_s, n),
        });
        drop((tx8, rx8, tx64, rx64));
        q8.remove().unwrap();
        q64.remove().unwrap();
        for id in msq {
            msgq_remove(id);
        }
        for id in sem {
            sems_remove(id);
        }
    });
    assert!(ok, "local group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    vec![
        Row::new(
            "MsgQueue<LinuxRaw> send+recv 8 B",
            &t,
            1,
            0,
            "libc msgsnd+msgrcv",
            Unit::Time,
            Some(1.05),
        ),
        Row::new(
            "MsgQueue<Libc> send+recv 8 B",
            &t,
            2,
            0,
            "libc msgsnd+msgrcv",
            Unit::Time,
            Some(1.05),
        ),
        Row::new(
            "MsgQueue<LinuxRaw> send+recv 8 B",
            &t,
            1,
            2,
            "MsgQueue<Libc>",
            Unit::Time,
            Some(1.0),
        ),
        Row::new(
            "MsgQueue<LinuxRaw> send_buf+recv_buf 8 B",
            &t,
            3,
            0,
            "libc msgsnd+msgrcv",
            Unit::Time,
            Some(1.05),
        ),
        Row::new(
            "MsgQueue<Libc> send_buf+recv_buf 8 B",
            &t,
            4,
            0,
            "libc msgsnd+msgrcv",
            Unit::Time,
            Some(1.05),
        ),
        Row::new(
            "MsgQueue<LinuxRaw> send_buf+recv_buf 8 B",
            &t,
            3,
            4,
            "MsgQueue<Libc>",
            Unit::Time,
            Some(1.0),
        ),
        Row::new(
            "SemSet<LinuxRaw> P+V",
            &t,
            6,
            5,
            "libc semop P+V",
            Unit::Time,
            Some(1.05),
        ),
        Row::new(
            "SemSet<Libc> P+V",
            &t,
            7,
            5,
            "libc semop P+V",
            Unit::Time,
            Some(1.05),
        ),
        Row::new(
            "SemSet<LinuxRaw> P+V",
            &t,
            6,
            7,
            "SemSet<Libc>",
            Unit::Time,
            Some(1.0),
        ),
        // Not targets: what a call costs in instructions, with no line moving
        // between cores (bursts of ONE_PROCESS_BURST enqueues, then as many
        // dequeues, in one thread).
        Row::new(
            "Queue enqueue+dequeue 8 B, one process",
            &t,
            9,
            8,
            "C ring const size",
            Unit::Time,
            None,
        ),
        Row::new(
            "Queue enqueue+dequeue 64 B, one process",
            &t,
            11,
            10,
            "C ring const size",
            Unit::Time,
            None,
        ),
    ]
}

/// Messages per burst in the one-process rows.
const ONE_PROCESS_BURST: u64 = 64;

/// `n` messages through the C ring at `base` in bursts, in this one thread.
///
/// # Safety
///
/// `base` is a live mapping laid out as the C ring of `RING_CAP` slots of `size`
/// bytes, used by no other thread.
unsafe fn one_process_c(produce: Produce, consume: Consume, base: *mut c_void, size: u64, n: u64) {
    let (cap, mut done) = (RING_CAP as u64, 0);
    while done < n {
        let k = ONE_PROCESS_BURST.min(n - done);
        // SAFETY: the caller's promise; k <= cap, so the producer never waits.
        unsafe { produce(base, cap, size, done, k, FILLER) };
        // SAFETY: as above; k messages are there, so the consumer never waits.
        black_box(unsafe { consume(base, cap, size, k) });
        done += k;
    }
}

/// `n` messages through a queue whose both roles this thread holds, in bursts.
/// A record viewed in place: the benched field sits at a non-zero offset.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct ViewRec {
    head: [u64; 3],
    value: u64,
    temp: f64,
    tail: [u64; 8],
}

/// One process: a view's field `load`/`store` (and an array view's `get`) against a
/// hand-written `AtomicU64` (and `[AtomicU64]` index) at the same address of the same
/// `Shm`, interleaved.
fn view_group(cfg: &Config, clib: CLib) -> Vec<Row> {
    let imps = [
        ("hand AtomicU64 load", 1 << 20),
        ("view u64 field load", 1 << 20),
        ("hand AtomicU64 store", 1 << 20),
        ("view u64 field store", 1 << 20),
        ("hand [AtomicU64] get(i)", 1 << 20),
        ("view [u64; 8] get(i)", 1 << 20),
        ("view f64 field load", 1 << 20),
        ("hand AtomicU64 load as f64", 1 << 20),
    ]
    .map(|(name, n)| Imp { name, n: cfg.n(n) });
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        let mut shm =
            Shm::<ViewRec>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let seg = *shm.segment();
        let base = shm.attachment().as_ptr().cast_mut();
        // SAFETY: offset_of!(value) is 8-aligned and in bounds of the live read-write
        // mapping that `shm` holds for this whole closure; it and the view below are
        // the only accessors, both atomic and 8 bytes wide.
        let hand =
            unsafe { AtomicU64::from_ptr(base.wrapping_add(offset_of!(ViewRec, value)).cast()) };
        // SAFETY: as above, for the 8 words of `tail`.
        let hand_tail: &[AtomicU64; 8] = unsafe {
            &*base
                .wrapping_add(offset_of!(ViewRec, tail))
                .cast::<[AtomicU64; 8]>()
        };
        let v = shm.view();
        let mut acc = 0u64;
        solo(cfg, &sh, &imps, &clib, |imp, n| match imp {
            0 => {
                for _ in 0..n {
                    acc = acc.wrapping_add(hand.load(Ordering::Relaxed));
                }
            }
            1 => {
                for _ in 0..n {
                    acc = acc.wrapping_add(v.value().load(Ordering::Relaxed));
                }
            }
            2 => {
                for i in 0..n {
                    hand.store(i, Ordering::Relaxed);
                }
            }
            3 => {
                for i in 0..n {
                    v.value().store(i, Ordering::Relaxed);
                }
            }
            4 => {
                for i in 0..n {
                    let c = hand_tail
                        .get(i as usize % 8)
                        .map(|c| c.load(Ordering::Relaxed));
                    acc = acc.wrapping_add(c.unwrap_or(0));
                }
            }
            5 => {
                for i in 0..n {
                    acc = acc.wrapping_add(v.tail().get(i as usize % 8).unwrap_or(0));
                }
            }
            6 => {
                for _ in 0..n {
                    acc = acc.wrapping_add(v.temp().load(Ordering::Relaxed) as u64);
                }
            }
            _ => {
                for _ in 0..n {
                    acc = acc.wrapping_add(f64::from_bits(hand.load(Ordering::Relaxed)) as u64);
                }
            }
        });
        black_box(acc);
        seg.remove().unwrap();
    });
    assert!(ok, "view group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    vec![
        Row::new(
            "view u64 field load",
            &t,
            1,
            0,
            "hand AtomicU64",
            Unit::Time,
            Some(1.02),
        ),
        Row::new(
            "view u64 field store",
            &t,
            3,
            2,
            "hand AtomicU64",
            Unit::Time,
            Some(1.02),
        ),
        Row::new(
            "view [u64; 8] get(i)",
            &t,
            5,
            4,
            "hand [AtomicU64]",
            Unit::Time,
            Some(1.02),
        ),
        Row::new(
            "view f64 field load",
            &t,
            6,
            7,
            "hand AtomicU64 as f64",
            Unit::Time,
            Some(1.02),
        ),
    ]
}

fn one_process_queue<M: Msg>(
    tx: &mut sysv_ipc::queue::Producer<M, RING_CAP>,
    rx: &mut sysv_ipc::queue::Consumer<M, RING_CAP>,
    sent: &mut u64,
    n: u64,
) {
    let mut done = 0;
    while done < n {
        let k = ONE_PROCESS_BURST.min(n - done);
        for i in 0..k {
            tx.enqueue(M::make(*sent + i)).unwrap();
        }
        let mut sum = 0u64;
        for _ in 0..k {
            sum = sum.wrapping_add(rx.dequeue().unwrap().unwrap().sum());
        }
        black_box(sum);
        *sent += k;
        done += k;
    }
}

#[repr(C)]
struct Msg8 {
    mtype: libc::c_long,
    v: u64,
}

fn libc_sendrecv(msqid: c_int, n: u64) {
    let mut m = Msg8 { mtype: 1, v: 0 };
    for i in 0..n {
        m.v = i;
        // SAFETY: m is a msgbuf (long mtype, then 8 bytes of text).
        let r = unsafe { libc::msgsnd(msqid, (&raw const m).cast(), 8, 0) };
        assert_eq!(r, 0);
        // SAFETY: m has room for 8 bytes of text after mtype.
        let r = unsafe { libc::msgrcv(msqid, (&raw mut m).cast(), 8, 0, 0) };
        assert_eq!((r, m.v), (8, i));
    }
}

fn crate_sendrecv<B: Backend>(q: &MsgQueue<B>, n: u64) {
    let mut text = [0u8; 8];
    for i in 0..n {
        q.send(1, &i.to_ne_bytes()).unwrap();
        let got = q.recv(&mut text, Selector::Any).unwrap();
        assert_eq!((got.len, u64::from_ne_bytes(text)), (8, i));
    }
}

fn crate_sendrecv_buf<B: Backend>(q: &MsgQueue<B>, n: u64) {
    let mut out = MsgBuf::<8>::new();
    let mut buf = MsgBuf::<8>::new();
    for i in 0..n {
        buf.set(1, &i.to_ne_bytes()).unwrap();
        q.send_buf(&buf).unwrap();
        q.recv_buf(&mut out, Selector::Any).unwrap();
        assert_eq!(out.text(), i.to_ne_bytes());
    }
}

fn libc_pv(semid: c_int, n: u64) {
    let mut p = libc::sembuf {
        sem_num: 0,
        sem_op: -1,
        sem_flg: 0,
    };
    let mut v = libc::sembuf {
        sem_num: 0,
        sem_op: 1,
        sem_flg: 0,
    };
    for _ in 0..n {
        // SAFETY: one valid sembuf.
        assert_eq!(unsafe { libc::semop(semid, &mut p, 1) }, 0);
        // SAFETY: one valid sembuf.
        assert_eq!(unsafe { libc::semop(semid, &mut v, 1) }, 0);
    }
}

fn crate_pv<B: Backend>(s: &SemSet<B>, n: u64) {
    for _ in 0..n {
        s.op(&[SemOp::wait(0)]).unwrap();
        s.op(&[SemOp::post(0)]).unwrap();
    }
}

/// The three sizes of the copy group: a cache line, a page, a large frame.
const COPY_SIZES: [usize; 3] = [64, 4 << 10, 4 << 20];
/// `SeqLock::read` by value of one copy-group size, returning whether it succeeded.
type ReadByValue<const W: usize> = fn(&SeqLock<[u64; W]>) -> bool;

/// One size's handles and local buffers for the copy group: `W` words, `W * 8` bytes.
struct CopySet<const W: usize> {
    shm: Shm<[u64; W]>,
    lock: SeqLock<[u64; W]>,
    writer: sysv_ipc::seqlock::Writer<[u64; W]>,
    /// The local value, on the heap.
    value: Box<[u64; W]>,
    /// A second local buffer: the memcpy's and the reads' destination.
    out: Box<[u64; W]>,
    /// `SeqLock::read` by value, for the sizes it compiles for (at most
    /// `shm::MAX_READ_BY_VALUE`); `None` for 4 MiB.
    read_by_value: Option<ReadByValue<W>>,
}

impl<const W: usize> CopySet<W> {
    fn new(read_by_value: Option<ReadByValue<W>>) -> CopySet<W> {
        let mode = Mode::OWNER_RW;
        let shm = Shm::<[u64; W]>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let lock = SeqLock::<[u64; W]>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let writer = lock.writer().unwrap();
        let words: Vec<u64> = (0..W as u64).map(|i| FILLER.wrapping_mul(i + 1)).collect();
        let value: Box<[u64; W]> = words.into_boxed_slice().try_into().unwrap();
        let out: Box<[u64; W]> = vec![0u64; W].into_boxed_slice().try_into().unwrap();
        CopySet {
            shm,
            lock,
            writer,
            value,
            out,
            read_by_value,
        }
    }

    /// `n` operations of kind `k` (0..6, as in [`copy_group`]).
    fn run(&mut self, k: usize, n: u64) {
        for _ in 0..n {
            match k {
                0 => black_box(&mut self.out[..]).copy_from_slice(black_box(&self.value[..])),
                1 => self.shm.write(black_box(&*self.value)),
                2 => self.shm.read_into(black_box(&mut *self.out)),
                3 => self.writer.write(black_box(&*self.value)).unwrap(),
                4 => self.lock.read_into(black_box(&mut *self.out)).unwrap(),
                _ => {
                    let read = self.read_by_value.expect("no by-value read at this size");
                    assert!(read(&self.lock));
                }
            }
            black_box(&self.out);
        }
    }

    fn remove(self) {
        drop(self.writer);
        self.lock.remove().unwrap();
        self.shm.segment().remove().unwrap();
    }
}

/// Whole-value copies between local memory and a segment against `memcpy` of the
/// same bytes, in one process (issue 15): per size, `memcpy` (the baseline),
/// `Shm::write`, `Shm::read_into`, `seqlock::Writer::write`, `SeqLock::read_into`
/// and `SeqLock::read` (by value: it zero-fills its `T`, copies into it, and moves
/// it into its `Result`: three passes over the bytes where the others make one; only
/// up to `shm::MAX_READ_BY_VALUE`, so not at 4 MiB, where it does not compile).
/// Then a note: a 4 MiB
/// `SeqLock` read under a writer at 1 kHz in another process, whole reads against
/// `Busy` answers.
fn copy_group(cfg: &Config, clib: CLib, notes: &mut Vec<String>) -> Vec<Row> {
    let mut imps = Vec::new();
    // Per implementation: its size's index in COPY_SIZES and its kind (0..6).
    let mut which = Vec::new();
    for (s, size) in COPY_SIZES.into_iter().enumerate() {
        let label = |what: &str| -> &'static str {
            Box::leak(format!("{what} {}", fmt_size(size)).into_boxed_str())
        };
        // A first guess of about 0.1 ms per block; the warm-up rescales it.
        let n = (100_000 / (size as u64 / 8).max(1)).max(16);
        for (k, what) in [
            "memcpy",
            "Shm::write",
            "Shm::read_into",
            "Writer::write",
            "SeqLock::read_into",
            "SeqLock::read (by value)",
        ]
        .into_iter()
        .enumerate()
        {
            if k == 5 && size > sysv_ipc::shm::MAX_READ_BY_VALUE {
                continue;
            }
            imps.push(Imp {
                name: label(what),
                n: cfg.n(n),
            });
            which.push((s, k));
        }
    }
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .spawn_scoped(scope, || {
                    // By reference: unwrapping would move the value once more.
                    let mut small = CopySet::<{ 64 / 8 }>::new(Some(|l| {
                        let r = l.read();
                        black_box(&r).is_ok()
                    }));
                    let mut page = CopySet::<{ (4 << 10) / 8 }>::new(Some(|l| {
                        let r = l.read();
                        black_box(&r).is_ok()
                    }));
                    let mut large = CopySet::<{ (4 << 20) / 8 }>::new(None);
                    solo(cfg, &sh, &imps, &clib, |imp, n| {
                        let (set, k) = which[imp];
                        match set {
                            0 => small.run(k, n),
                            1 => page.run(k, n),
                            _ => large.run(k, n),
                        }
                    });
                    small.remove();
                    page.remove();
                    large.remove();
                    seqlock_under_writer(&sh);
                })
                .unwrap()
                .join()
                .unwrap();
        });
    });
    assert!(ok, "copy group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    let mut rows = Vec::new();
    for (i, &(s, k)) in which.iter().enumerate() {
        if k == 0 {
            continue;
        }
        let base = which
            .iter()
            .position(|&w| w == (s, 0))
            .expect("memcpy of each size");
        // Issue 15: at least 0.8× memcpy's bandwidth from 4 KiB on, i.e. at most
        // 1.25× its time.
        let target = (COPY_SIZES[s] >= 4 << 10).then_some(1.25);
        rows.push(Row::new(
            imps[i].name,
            &t,
            i,
            base,
            "memcpy",
            Unit::Time,
            target,
        ));
    }
    let (whole, busy) = (
        sh.note(0).load(Ordering::Relaxed),
        sh.note(1).load(Ordering::Relaxed),
    );
    notes.push(format!(
        "copy: SeqLock 4 MiB read under a writer at 1 kHz (another process, 2 s): {whole} whole reads, {busy} Busy: {:.1} % whole (issue 15 target: ≥ 95 %)",
        100.0 * whole as f64 / (whole + busy).max(1) as f64
    ));
    rows
}

/// A writer process writes a 4 MiB `SeqLock` every millisecond for 2 s while this
/// thread reads it as fast as it can; every read is checked whole. Records whole
/// reads and `Busy` answers in notes 0 and 1 of `sh`.
fn seqlock_under_writer(sh: &Shared) {
    const W: usize = (4 << 20) / 8;
    const WRITES: u64 = 2000;
    let lock =
        SeqLock::<[u64; W]>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let writer = fork();
    if writer == 0 {
        child_exit(|| {
            let mut w = lock.writer().unwrap();
            let mut value: Box<[u64; W]> = vec![0u64; W].into_boxed_slice().try_into().unwrap();
            let start = Instant::now();
            for k in 1..=WRITES {
                value.fill(k);
                w.write(&value).unwrap();
                let next = start + std::time::Duration::from_millis(k);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
    }
    let (mut whole, mut busy, mut last) = (0u64, 0u64, 0u64);
    let mut v: Box<[u64; W]> = vec![0u64; W].into_boxed_slice().try_into().unwrap();
    while last < WRITES {
        match lock.read_into(&mut v) {
            Ok(()) => {
                let k = v[0];
                assert!(v.iter().all(|&w| w == k), "torn read");
                last = k;
                whole += 1;
            }
            Err(_) => busy += 1,
        }
    }
    assert!(wait(writer), "the writer failed");
    lock.remove().unwrap();
    // Relaxed: read after this process's exit is waited for.
    sh.note(0).store(whole, Ordering::Relaxed);
    sh.note(1).store(busy, Ordering::Relaxed);
}

fn fmt_size(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// One 4 MiB value.
type Big4 = [u64; 1 << 19];

/// One process: 4 MiB copied into and out of a `Shm` (and by range out of a
/// `ShmSlice`) against `memcpy` of the same bytes between two heap buffers; a block
/// is `n` copies.
fn shm4m_group(cfg: &Config, clib: CLib) -> Vec<Row> {
    let imps = [
        Imp {
            name: "memcpy 4 MiB",
            n: cfg.n(4),
        },
        Imp {
            name: "Shm::write 4 MiB",
            n: cfg.n(4),
        },
        Imp {
            name: "Shm::read_into 4 MiB",
            n: cfg.n(4),
        },
        Imp {
            name: "ShmSlice::read_range 4 MiB",
            n: cfg.n(4),
        },
    ];
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        use zerocopy::FromZeros;
        let mode = Mode::OWNER_RW;
        let shm = Shm::<Big4>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let slice =
            ShmSlice::<u64>::create(Key::PRIVATE, 1 << 19, Intent::CreateNew, mode).unwrap();
        let mut src = Big4::new_box_zeroed().unwrap();
        for (i, w) in src.iter_mut().enumerate() {
            *w = i as u64;
        }
        let mut dst = Big4::new_box_zeroed().unwrap();
        shm.write(&src);
        slice.write_range(0, &src[..]).unwrap();
        solo(cfg, &sh, &imps, &clib, |imp, n| {
            for _ in 0..n {
                match imp {
                    0 => dst.copy_from_slice(black_box(&src[..])),
                    1 => shm.write(black_box(&src)),
                    2 => shm.read_into(black_box(&mut dst)),
                    _ => slice
                        .read_range(0..1 << 19, black_box(&mut dst[..]))
                        .unwrap(),
                }
                black_box(&mut dst);
            }
        });
        assert_eq!(dst[12345], 12345);
        shm.into_segment().remove().unwrap();
        slice.into_segment().remove().unwrap();
    });
    assert!(ok, "shm4m group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    (1..imps.len())
        .map(|k| {
            Row::new(
                imps[k].name,
                &t,
                k,
                0,
                "memcpy 4 MiB",
                Unit::Time,
                Some(1.25),
            )
        })
        .collect()
}

/// A 4 MiB struct whose benched field is its last 8 bytes, as far from the start
/// as it gets.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Frame4 {
    seq: u64,
    words: [u64; (4 << 20) / 8 - 2],
    crc: u64,
}

/// One process, issue 15's "reading one field of a 4 MiB `Shm<T>`: O(1), against
/// `read()` of the whole": the last field through `Shm::view`, against
/// `Shm::read_into` of the whole 4 MiB (a by-value `read` does not compile at that
/// size), reported as the whole copy's time over the field's (how many field reads
/// one copy costs); and through trusted mode's `as_ref_unchecked`, against the view
/// (the atomic cell against a plain load: about 1×). A block is `n` reads.
fn field4m_group(cfg: &Config, clib: CLib) -> Vec<Row> {
    let imps = [
        ("Shm::read_into 4 MiB (whole)", 4),
        ("view field load, 4 MiB Shm", 1 << 20),
        ("as_ref_unchecked field, 4 MiB Shm", 1 << 20),
    ]
    .map(|(name, n)| Imp { name, n: cfg.n(n) });
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        use zerocopy::FromZeros;
        let mode = Mode::OWNER_RW;
        let shm = Shm::<Frame4>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let seg = *shm.segment();
        let mut crc = Frame4::new_box_zeroed().unwrap();
        crc.crc = 0xc0ffee;
        shm.write(&crc);
        // A second attachment for the view, which borrows its `Shm` mutably.
        let mut viewed = Shm::<Frame4>::from_segment(seg).unwrap();
        let v = viewed.view();
        // SAFETY: nothing writes the segment from here to the end of the closure:
        // all three implementations only read it (`read_into`, the view's loads,
        // this reference's loads; racing reads, atomic or not, are allowed).
        let r = unsafe { shm.as_ref_unchecked() };
        let mut out = Frame4::new_box_zeroed().unwrap();
        let mut acc = 0u64;
        solo(cfg, &sh, &imps, &clib, |imp, n| match imp {
            0 => {
                for _ in 0..n {
                    shm.read_into(black_box(&mut out));
                    acc = acc.wrapping_add(black_box(&out).crc);
                }
            }
            1 => {
                for _ in 0..n {
                    acc = acc.wrapping_add(black_box(v).crc().load(Ordering::Relaxed));
                }
            }
            _ => {
                for _ in 0..n {
                    acc = acc.wrapping_add(black_box(r).crc);
                }
            }
        });
        assert_eq!(out.crc, 0xc0ffee);
        black_box(acc);
        drop(viewed);
        seg.remove().unwrap();
    });
    assert!(ok, "field4m group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    vec![
        Row::new(imps[0].name, &t, 0, 1, "view field load", Unit::Time, None),
        Row::new(imps[2].name, &t, 2, 1, "view field load", Unit::Time, None),
    ]
}

/// Frames of `W` words (1 MiB, 4 MiB) handed through a `Queue<[u64; W], 2>` in one
/// process, against `memcpy` of the same bytes:
/// - by loan, one copy: the producer writes the frame into its slot (`write`, as it
///   would render it there), the consumer reads two words of it in place;
/// - by loan, two copies: the consumer copies it out whole (`read_into`);
/// - by the copy forms (`enqueue_slice`/`dequeue_into`): two copies.
fn frames_group<const W: usize>(cfg: &Config, clib: CLib, label: &'static str) -> Vec<Row> {
    let names: [&'static str; 4] = match label {
        "1 MiB" => [
            "memcpy 1 MiB",
            "Queue loan 1 MiB frame, written in, read in place",
            "Queue loan 1 MiB frame, written in, read_into",
            "Queue enqueue_slice/dequeue_into 1 MiB frame",
        ],
        _ => [
            "memcpy 4 MiB",
            "Queue loan 4 MiB frame, written in, read in place",
            "Queue loan 4 MiB frame, written in, read_into",
            "Queue enqueue_slice/dequeue_into 4 MiB frame",
        ],
    };
    let per_block = (64 << 20) / (W as u64 * 8);
    let imps = names.map(|name| Imp {
        name,
        n: cfg.n(per_block),
    });
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        use zerocopy::FromZeros;
        let mode = Mode::OWNER_RW;
        let q = Queue::<[u64; W], 2>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let (mut tx, mut rx) = q.split().unwrap();
        let mut src = <[u64; W]>::new_box_zeroed().unwrap();
        for (i, w) in src.iter_mut().enumerate() {
            *w = i as u64;
        }
        let mut dst = <[u64; W]>::new_box_zeroed().unwrap();
        let mut acc = 0u64;
        solo(cfg, &sh, &imps, &clib, |imp, n| {
            for _ in 0..n {
                match imp {
                    0 => dst.copy_from_slice(black_box(&src[..])),
                    1 | 2 => {
                        let loan = tx.loan(1).unwrap();
                        assert!(loan.write(0, black_box(&src)));
                        loan.commit_all();
                        let loan = rx.loan(1).unwrap();
                        if imp == 1 {
                            let frame = loan.slot(0).unwrap();
                            acc = acc
                                .wrapping_add(frame.get(1).unwrap_or(0))
                                .wrapping_add(frame.get(W - 1).unwrap_or(0));
                        } else {
                            assert!(loan.read_into(0, black_box(&mut dst)));
                        }
                        loan.release_all();
                    }
                    _ => {
                        assert_eq!(tx.enqueue_slice(core::slice::from_ref(&*src)).unwrap(), 1);
                        assert_eq!(
                            rx.dequeue_into(core::slice::from_mut(&mut *dst)).unwrap(),
                            1
                        );
                    }
                }
                black_box(&mut dst);
            }
        });
        assert_eq!(dst[W - 1], W as u64 - 1);
        black_box(acc);
        drop((tx, rx));
        q.remove().unwrap();
    });
    assert!(ok, "frames group {label} failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    vec![
        Row::new(imps[1].name, &t, 1, 0, imps[0].name, Unit::Rate, Some(0.8)),
        Row::new(imps[2].name, &t, 2, 0, imps[0].name, Unit::Rate, None),
        Row::new(imps[3].name, &t, 3, 0, imps[0].name, Unit::Rate, None),
        Row::new(imps[2].name, &t, 2, 3, "the copy forms", Unit::Rate, None),
    ]
}

/// Streaming throughput against ringfire (issue 16): its SPMC ring over a
/// `/dev/shm` file, lossless (`FlowControl::LosslessBackpressure`, one registered
/// reader), every message checked as ours are, against `Queue` in the same process
/// pair, one at a time and in batches of [`BATCH`], with the constant-size C ring
/// beside them.
#[cfg(target_arch = "x86_64")]
fn ringfire_group<M: Msg + 'static>(
    cfg: &Config,
    clib: CLib,
    label: &str,
    notes: &mut Vec<String>,
) -> Vec<Row> {
    use ringfire::{
        CleanupMode, FlowControl, FutexWait, RingConsumer, RingProducer, RingProducerBuilder,
    };
    let size = M::WORDS * 8;
    let (c_produce, c_consume) = if size == 8 {
        (clib.produce_ct8, clib.consume_ct8)
    } else {
        (clib.produce_ct64, clib.consume_ct64)
    };
    let imps = [
        Imp {
            name: "ringfire push/try_recv (lossless)",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "Queue enqueue/dequeue",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "ringfire push_batch/recv_batch (lossless)",
            n: cfg.n(1 << 19),
        },
        Imp {
            name: "Queue enqueue_with/dequeue_with",
            n: cfg.n(1 << 19),
        },
        Imp {
            name: "C ring, compile-time size",
            n: cfg.n(1 << 18),
        },
        Imp {
            name: "ringfire spin round trip",
            n: cfg.n(1 << 12),
        },
        Imp {
            name: "Queue spin round trip",
            n: cfg.n(1 << 12),
        },
        // Both sides asleep at every message: ringfire's futex wait (no spins)
        // against the queue's blocking calls with 0 spins (issue 17's park target).
        Imp {
            name: "ringfire futex round trip (0 spins)",
            n: cfg.n(1 << 8),
        },
        Imp {
            name: "Queue park round trip (0 spins)",
            n: cfg.n(1 << 8),
        },
    ];
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        let cap = RING_CAP as u64;
        // SAFETY: a pure function of its integer arguments.
        let bytes = unsafe { (clib.cring_bytes)(cap, size) };
        let ct = shm_region(bytes) as usize;
        let mode = Mode::OWNER_RW;
        let q1 = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qw = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        // Round trips: a request queue (A to B) and a reply queue (B to A) each.
        let qreq = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let qrep = Queue::<M, RING_CAP>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        let path = |k: usize| PathBuf::from(format!("/dev/shm/sysv-ipc-bench-rf-{pid}-{size}-{k}"));
        let ring = |k: usize| -> RingProducer<M> {
            RingProducerBuilder::new(cap)
                .flow_control(FlowControl::LosslessBackpressure)
                .max_readers(1)
                .cleanup_mode(CleanupMode::UnlinkOnDrop)
                .build(path(k))
                .unwrap()
        };
        // Made before the fork so that the reader finds the files; side A moves them
        // into its work, and side B's copies are never used or dropped (it leaves
        // through _exit).
        let mut producers = Some((ring(0), ring(2), ring(5)));
        // The reply ring's producer is side B: made here too (before the fork, so
        // that side A finds its file), used only by the child's copy.
        let mut reply = Some(ring(6));
        let expect = |imp: usize, first: u64, n: u64| (imp < 5).then(|| checksum::<M>(first, n));
        pair(cfg, &sh, &imps, Side::B, &clib, expect, |side| match side {
            Side::A => {
                let (mut r1, mut rb, mut rreq) = producers.take().unwrap();
                let mut rrep = RingConsumer::<M>::builder()
                    .start_from_oldest()
                    .attach(path(6))
                    .unwrap();
                let mut p1 = q1.producer().unwrap();
                let mut pw = qw.producer().unwrap();
                let mut preq = qreq.producer().unwrap();
                let mut crep = qrep.consumer().unwrap();
                let mut buf = [M::default(); BATCH];
                Box::new(move |imp, first, n| {
                    match imp {
                        0 => {
                            for i in first..first + n {
                                r1.push(&M::make(i));
                            }
                        }
                        1 => {
                            for i in first..first + n {
                                let mut v = M::make(i);
                                while let Err(e) = p1.enqueue(v) {
                                    assert!(e.is_full(), "{e}");
                                    v = e.into_inner();
                                    ring_wait();
                                    spin_loop();
                                }
                            }
                        }
                        2 => send_in_batches(first, n, |next, m| {
                            for (j, slot) in buf[..m].iter_mut().enumerate() {
                                *slot = M::make(next + j as u64);
                            }
                            rb.push_batch(&buf[..m]);
                            m
                        }),
                        3 => send_in_batches(first, n, |next, m| {
                            pw.enqueue_with(m, |j| M::make(next + j as u64)).unwrap()
                        }),
                        5 => {
                            for i in first..first + n {
                                rreq.push(&M::make(i));
                                let back = loop {
                                    if let Some(v) = rrep.try_recv() {
                                        break v;
                                    }
                                    spin_loop();
                                };
                                assert_eq!(back.sum(), M::make(i).sum());
                            }
                        }
                        6 => {
                            for i in first..first + n {
                                let mut v = M::make(i);
                                while let Err(e) = preq.enqueue(v) {
                                    v = e.into_inner();
                                    spin_loop();
                                }
                                let back = loop {
                                    if let Some(v) = crep.dequeue().unwrap() {
                                        break v;
                                    }
                                    spin_loop();
                                };
                                assert_eq!(back.sum(), M::make(i).sum());
                            }
                        }
                        7 => {
                            let mut wait = FutexWait::new(0, None);
                            for i in first..first + n {
                                rreq.push(&M::make(i));
                                let back = rrep.recv_blocking(&mut wait);
                                assert_eq!(back.sum(), M::make(i).sum());
                            }
                        }
                        8 => {
                            crep.set_spins(0);
                            for i in first..first + n {
                                preq.enqueue_blocking(M::make(i)).unwrap();
                                let back = crep.dequeue_blocking().unwrap();
                                assert_eq!(back.sum(), M::make(i).sum());
                            }
                        }
                        // SAFETY: ct is a live mapping of `bytes` bytes laid out as the
                        // C ring of cap slots of `size` bytes; this process is its only
                        // producer.
                        _ => unsafe { c_produce(ct as _, cap, size, first, n, FILLER) },
                    }
                    0
                })
            }
            Side::B => {
                let attach = |k| {
                    RingConsumer::<M>::builder()
                        .start_from_oldest()
                        .attach(path(k))
                        .unwrap()
                };
                let (mut r1, mut rb, mut rreq) = (attach(0), attach(2), attach(5));
                let mut rrep = reply.take().unwrap();
                let mut c1 = q1.consumer().unwrap();
                let mut cw = qw.consumer().unwrap();
                let mut creq = qreq.consumer().unwrap();
                let mut prep = qrep.producer().unwrap();
                let mut buf = [M::default(); BATCH];
                Box::new(move |imp, _first, n| match imp {
                    0 => {
                        let mut sum = 0u64;
                        for _ in 0..n {
                            loop {
                                if let Some(v) = r1.try_recv() {
                                    sum = sum.wrapping_add(v.sum());
                                    break;
                                }
                                ring_wait();
                                spin_loop();
                            }
                        }
                        sum
                    }
                    1 => {
                        let mut sum = 0u64;
                        for _ in 0..n {
                            loop {
                                if let Some(v) = c1.dequeue().unwrap() {
                                    sum = sum.wrapping_add(v.sum());
                                    break;
                                }
                                ring_wait();
                                spin_loop();
                            }
                        }
                        sum
                    }
                    2 => {
                        let mut sum = 0u64;
                        take_in_batches(n, |want| {
                            let k = rb.recv_batch(&mut buf[..want]);
                            for v in &buf[..k] {
                                sum = sum.wrapping_add(v.sum());
                            }
                            k
                        });
                        sum
                    }
                    3 => {
                        let mut sum = 0u64;
                        take_in_batches(n, |want| {
                            cw.dequeue_with(want, |v| sum = sum.wrapping_add(v.sum()))
                                .unwrap()
                        });
                        sum
                    }
                    5 => {
                        for _ in 0..n {
                            let v = loop {
                                if let Some(v) = rreq.try_recv() {
                                    break v;
                                }
                                spin_loop();
                            };
                            rrep.push(&v);
                        }
                        0
                    }
                    6 => {
                        for _ in 0..n {
                            let mut v = loop {
                                if let Some(v) = creq.dequeue().unwrap() {
                                    break v;
                                }
                                spin_loop();
                            };
                            while let Err(e) = prep.enqueue(v) {
                                v = e.into_inner();
                                spin_loop();
                            }
                        }
                        0
                    }
                    7 => {
                        let mut wait = FutexWait::new(0, None);
                        for _ in 0..n {
                            let v = rreq.recv_blocking(&mut wait);
                            rrep.push(&v);
                        }
                        0
                    }
                    8 => {
                        creq.set_spins(0);
                        for _ in 0..n {
                            let v = creq.dequeue_blocking().unwrap();
                            prep.enqueue_blocking(v).unwrap();
                        }
                        0
                    }
                    // SAFETY: as for the producer; this process is the only consumer.
                    _ => unsafe { c_consume(ct as _, cap, size, n) },
                })
            }
        });
        drop(reply);
        q1.remove().unwrap();
        qw.remove().unwrap();
        qreq.remove().unwrap();
        qrep.remove().unwrap();
    });
    assert!(ok, "ringfire group {label} failed");
    ring_notes(cfg, &sh, &imps, label, notes);
    let t = per_msg(cfg, &sh, &imps, Side::B);
    let (rf1, q1, rfb, qb, cct, rfrt, qrt, rfpark, qpark) = (0, 1, 2, 3, 4, 5, 6, 7, 8);
    vec![
        Row::new(
            format!("Queue one-at-a-time, {label}"),
            &t,
            q1,
            rf1,
            "ringfire one-at-a-time, lossless",
            Unit::Rate,
            Some(1.0),
        ),
        Row::new(
            format!("Queue batch ({BATCH}), {label}"),
            &t,
            qb,
            rfb,
            format!("ringfire batch ({BATCH}), lossless"),
            Unit::Rate,
            Some(1.0),
        ),
        Row::new(
            format!("Queue one-at-a-time, {label}"),
            &t,
            q1,
            cct,
            "C ring const size",
            Unit::Rate,
            Some(0.9),
        ),
        Row::new(
            format!("Queue spin round trip, {label}"),
            &t,
            qrt,
            rfrt,
            "ringfire spin round trip",
            Unit::Time,
            Some(1.0),
        ),
        Row::new(
            format!("Queue park round trip (0 spins), {label}"),
            &t,
            qpark,
            rfpark,
            "ringfire futex round trip (0 spins)",
            Unit::Time,
            Some(1.0),
        ),
        Row::new(
            format!("ringfire one-at-a-time, lossless, {label}"),
            &t,
            rf1,
            cct,
            "C ring const size",
            Unit::Rate,
            None,
        ),
    ]
}

/// Slots of the `table` group's board.
const TABLE_SLOTS: usize = 64;

/// One process: `Table` write and read of a 64 B slot against a hand-written C
/// seqlock (`tseq_write64`, `tseq_read64` in baselines.c) over another slot of the
/// same segment (its sequence word and value words, as the table lays them out),
/// interleaved. The table's write also stores its change index (three words on
/// lines of their own: `slot_version`, `group`, `version`), which the C seqlock
/// has no counterpart of; its read is the C reader's loop plus the index check.
fn table_group(cfg: &Config, clib: CLib) -> Vec<Row> {
    let imps = [
        "C seqlock write 64 B",
        "Table::write 64 B",
        "C seqlock read 64 B",
        "Table::read 64 B",
        "Table::read_into 64 B",
    ]
    .map(|name| Imp {
        name,
        n: cfg.n(1 << 18),
    });
    let sh = Shared::new(imps.len() * cfg.cycles, &imps);
    let ok = in_ipc_namespace(|| {
        type M = [u64; 8];
        let mode = Mode::OWNER_RW;
        let t = Table::<M, TABLE_SLOTS>::create(Key::PRIVATE, Intent::CreateNew, mode).unwrap();
        let mut w = t.writer().unwrap();
        // Slot 1's sequence word, in this handle's mapping: the header's data
        // offset (slot 0) plus one stride.
        let stride = Slots::<TABLE_SLOTS>::stride_words(8) * 8;
        let slot1 = Slots::<TABLE_SLOTS>::slots_offset() + stride;
        let c_slot = t
            .attachment()
            .as_ptr()
            .wrapping_add(slot1)
            .cast_mut()
            .cast::<AtomicU64>();
        assert_eq!(stride, 128);
        assert_eq!(t.attachment().load_u64(slot1), Some(0));
        let mut first = [0u64; 2];
        let mut out = M::default();
        let mut acc = 0u64;
        solo(cfg, &sh, &imps, &clib, |imp, n| match imp {
            0 => {
                // SAFETY: `c_slot` is slot 1 of the table's mapping (nine words,
                // inside it while `t` lives); nothing else in this process writes
                // it, and every access there is atomic.
                unsafe { (clib.tseq_write64)(c_slot, first[0], n) };
                first[0] += n;
            }
            1 => {
                for i in first[1]..first[1] + n {
                    w.write(0, black_box(&M::make(i))).unwrap();
                }
                first[1] += n;
            }
            // SAFETY: as for imp 0; reads only.
            2 => acc = acc.wrapping_add(unsafe { (clib.tseq_read64)(c_slot, n) }),
            3 => {
                for _ in 0..n {
                    acc = acc.wrapping_add(t.read(black_box(0)).unwrap().sum());
                }
            }
            _ => {
                for _ in 0..n {
                    t.read_into(black_box(0), &mut out).unwrap();
                    acc = acc.wrapping_add(black_box(&out).sum());
                }
            }
        });
        black_box(acc);
        drop(w);
        t.remove().unwrap();
    });
    assert!(ok, "table group failed");
    let t = per_msg(cfg, &sh, &imps, Side::A);
    vec![
        Row::new(imps[1].name, &t, 1, 0, imps[0].name, Unit::Time, Some(1.1)),
        Row::new(imps[3].name, &t, 3, 2, imps[2].name, Unit::Time, Some(1.1)),
        Row::new(imps[4].name, &t, 4, 2, imps[2].name, Unit::Time, Some(1.1)),
    ]
}

// ---- main ---------------------------------------------------------------------------

// ---- many producers into one consumer ------------------------------------------

/// Messages per block, shared out among the producers.
const MPSC_MSGS: u64 = 1 << 14;
/// Producer processes per row.
const MPSC_PRODUCERS: [usize; 3] = [1, 2, 4];

/// `Mpsc` with 1, 2 and 4 producer processes against as many `MsgQueue` senders
/// into one receiver (the kernel's own many-to-one), 8 B values, blocking sends
/// and receives, every value summed and checked. Each block forks its producers,
/// which take their roles and wait on a start word; the consumer times from the
/// start to its last receive. Unpinned: 2 CPUs for up to 5 processes.
fn mpsc_group(cfg: &Config) -> Vec<Row> {
    let imps = 2 * MPSC_PRODUCERS.len();
    let cycles = cfg.cycles;
    let words = 2 + cycles * imps;
    let region = shm_region((words * 8) as u64).cast::<AtomicU64>();
    // SAFETY: the region is `words` words, page-aligned (so aligned for
    // AtomicU64), zero-filled, mapped shared for this process and its forks, and
    // never unmapped; every access is atomic.
    let w: &'static [AtomicU64] = unsafe { std::slice::from_raw_parts(region, words) };
    let ok = in_ipc_namespace(|| {
        for c in 0..cycles {
            for i in 0..imps {
                let imp = (i + c) % imps;
                let k = MPSC_PRODUCERS[imp / 2];
                let ns = if imp.is_multiple_of(2) {
                    mpsc_block(k, w)
                } else {
                    msgq_block(k, w)
                };
                w[2 + c * imps + imp].store(ns.to_bits(), Ordering::Relaxed);
            }
        }
    });
    if !ok {
        eprintln!("mpsc group failed");
        return Vec::new();
    }
    let per_msg: Vec<Vec<f64>> = (0..imps)
        .map(|imp| {
            (WARMUP..cycles)
                .map(|c| f64::from_bits(w[2 + c * imps + imp].load(Ordering::Relaxed)))
                .collect()
        })
        .collect();
    MPSC_PRODUCERS
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            let s = if k == 1 { "" } else { "es" };
            Row::new(
                format!("Mpsc, {k} producer process{s} → 1 consumer, 8 B"),
                &per_msg,
                2 * j,
                2 * j + 1,
                format!("MsgQueue, {k} sender process{s}"),
                Unit::Rate,
                Some(20.0),
            )
        })
        .collect()
}

/// Forks `k` producers that run `send(first, n)` once `w[0]` says go, after
/// counting themselves ready in `w[1]`; returns their pids and the time the go
/// was given.
fn start_producers<'a>(
    k: usize,
    w: &[AtomicU64],
    mut setup: impl FnMut() -> Box<dyn FnMut(u64, u64) + 'a>,
) -> (Vec<libc::pid_t>, Instant) {
    w[0].store(0, Ordering::Relaxed);
    w[1].store(0, Ordering::Relaxed);
    let per = MPSC_MSGS / k as u64;
    let pids = (0..k as u64)
        .map(|p| {
            let pid = fork();
            if pid == 0 {
                child_exit(|| {
                    let mut send = setup();
                    w[1].fetch_add(1, Ordering::AcqRel);
                    while w[0].load(Ordering::Acquire) == 0 {
                        spin_loop();
                    }
                    send(p * per, per);
                });
            }
            pid
        })
        .collect();
    while w[1].load(Ordering::Acquire) < k as u64 {
        std::thread::yield_now();
    }
    let t = Instant::now();
    w[0].store(1, Ordering::Release);
    (pids, t)
}

fn mpsc_block(k: usize, w: &[AtomicU64]) -> f64 {
    let o = MpscOptions::new().producers(k);
    let m = Mpsc::<u64, RING_CAP>::create_with(
        sysv_ipc::DefaultBackend::default(),
        Key::PRIVATE,
        Intent::CreateNew,
        Mode::OWNER_RW,
        o,
    )
    .unwrap();
    let mut rx = m.consumer().unwrap();
    let (pids, t) = start_producers(k, w, || {
        let mut tx = m.producer().unwrap();
        Box::new(move |first, n| {
            for v in first..first + n {
                tx.send_blocking(v).unwrap();
            }
        })
    });
    let total = MPSC_MSGS / k as u64 * k as u64;
    let mut sum = 0u64;
    for _ in 0..total {
        sum = sum.wrapping_add(rx.recv_blocking().unwrap());
    }
    let ns = t.elapsed().as_nanos() as f64 / total as f64;
    assert_eq!(sum, total * (total - 1) / 2, "every value once");
    for pid in pids {
        assert!(wait(pid), "an Mpsc producer failed");
    }
    drop(rx);
    m.remove().unwrap();
    ns
}

fn msgq_block(k: usize, w: &[AtomicU64]) -> f64 {
    let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let (pids, t) = start_producers(k, w, || {
        let q = &q;
        Box::new(move |first, n| {
            for v in first..first + n {
                q.send(1, &v.to_ne_bytes()).unwrap();
            }
        })
    });
    let total = MPSC_MSGS / k as u64 * k as u64;
    let mut sum = 0u64;
    let mut text = [0u8; 8];
    for _ in 0..total {
        q.recv(&mut text, Selector::Any).unwrap();
        sum = sum.wrapping_add(u64::from_ne_bytes(text));
    }
    let ns = t.elapsed().as_nanos() as f64 / total as f64;
    assert_eq!(sum, total * (total - 1) / 2, "every value once");
    for pid in pids {
        assert!(wait(pid), "a MsgQueue sender failed");
    }
    q.remove().unwrap();
    ns
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then only
    // check that everything links and the C side compiles.
    let benching = std::env::args().any(|a| a == "--bench");
    let cfg = Config::from_env();
    let clib = load_clib();
    if !benching {
        println!("ipc bench: built; run with `cargo bench` to measure");
        return;
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    if cfg.wants("ring8") {
        rows.extend(ring_group::<u64>(&cfg, clib, "8 B", &mut notes));
    }
    if cfg.wants("ring64") {
        rows.extend(ring_group::<[u64; 8]>(&cfg, clib, "64 B", &mut notes));
    }
    if cfg.wants("broadcast") {
        rows.extend(broadcast_group::<u64>(&cfg, clib, "8 B"));
        rows.extend(broadcast_group::<[u64; 8]>(&cfg, clib, "64 B"));
    }
    if cfg.wants("fanout") {
        rows.extend(fanout_group(&cfg));
    }
    if cfg.wants("rtt") {
        rows.extend(rtt_group(&cfg, clib, &mut notes));
    }
    if cfg.wants("local") {
        rows.extend(local_group(&cfg, clib));
    }
    if cfg.wants("shm4m") {
        rows.extend(shm4m_group(&cfg, clib));
    }
    if cfg.wants("copy") {
        rows.extend(copy_group(&cfg, clib, &mut notes));
    }
    if cfg.wants("view") {
        rows.extend(view_group(&cfg, clib));
    }
    if cfg.wants("field4m") {
        rows.extend(field4m_group(&cfg, clib));
    }
    #[cfg(target_arch = "x86_64")]
    if cfg.wants("ringfire") {
        rows.extend(ringfire_group::<u64>(&cfg, clib, "8 B", &mut notes));
        rows.extend(ringfire_group::<[u64; 8]>(&cfg, clib, "64 B", &mut notes));
    }
    if cfg.wants("mpsc") {
        rows.extend(mpsc_group(&cfg));
    }
    if cfg.wants("table") {
        rows.extend(table_group(&cfg, clib));
    }
    if cfg.wants("frames") {
        rows.extend(frames_group::<{ 1 << 17 }>(&cfg, clib, "1 MiB"));
        rows.extend(frames_group::<{ 1 << 19 }>(&cfg, clib, "4 MiB"));
    }
    println!();
    println!(
        "sysv-ipc benches: {} cycles (+{WARMUP} warm-up), blocks of {:.1} ms, {}; ring capacity {RING_CAP}",
        cfg.cycles - WARMUP,
        cfg.block_ns / 1e6,
        if cfg.pin {
            "pinned A→CPU0, B→CPU1"
        } else {
            "not pinned"
        }
    );
    println!(
        "ratio: median of per-cycle ratios [interquartile range]; rates: crate/baseline, times: crate/baseline"
    );
    println!();
    println!("| operation | this crate | baseline | ratio | target | |");
    println!("|---|---:|---|---:|---|---|");
    for r in &rows {
        r.print();
    }
    println!();
    for n in &notes {
        println!("{n}");
    }
    if !notes.is_empty() {
        println!();
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());
}
