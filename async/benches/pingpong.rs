//! Awaited queues against blocking ones and against a tokio `UnixStream`, between
//! two processes, interleaved in one run (these VMs are noisy: only ratios within
//! a run mean anything).
//!
//! - round trip: a ping-pong of one `u64` over two `Queue<u64, 64>` (a request and
//!   a reply queue), both sides async (a current-thread tokio runtime each), against
//!   the same with both sides blocking (`dequeue_blocking` with 0 spins: every wait
//!   parks on the semaphore, and with the default spins), and against a tokio
//!   `UnixStream` pair carrying 8 bytes each way;
//! - stream: 8-byte values one at a time from one process to the other, both
//!   sides async against both sides blocking (default spins).
//!
//! `cargo bench -p sysv-ipc-async --bench pingpong`; `SYSV_IPC_BENCH_ROUNDS` (default
//! 7) interleaved rounds. Prints the median time per operation of each row and
//! its ratio to the row's baseline, with the interquartile range of the per-round
//! ratios.

use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use sysv_ipc::queue::{Consumer, Producer, Queue};
use sysv_ipc::{Intent, Key, Mode, Removable};
use sysv_ipc_async::queue::{dequeue, enqueue};

type Q = Queue<u64, 64>;

const KEYS: [i32; 6] = [
    0x5a53_0001,
    0x5a53_0002,
    0x5a53_0003,
    0x5a53_0004,
    0x5a53_0005,
    0x5a53_0006,
];

/// What each row measures, on side A (the timer) and side B (the echo or sink).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Row {
    RttParked,
    RttSpinThenPark,
    RttAsync,
    RttUnixStream,
    StreamBlocking,
    StreamAsync,
}

const ROWS: [Row; 6] = [
    Row::RttParked,
    Row::RttSpinThenPark,
    Row::RttAsync,
    Row::RttUnixStream,
    Row::StreamBlocking,
    Row::StreamAsync,
];

impl Row {
    fn name(self) -> &'static str {
        match self {
            Row::RttParked => "round trip, blocking, 0 spins (every wait parks)",
            Row::RttSpinThenPark => "round trip, blocking, default spins",
            Row::RttAsync => "round trip, async both sides (tokio current-thread)",
            Row::RttUnixStream => "round trip, tokio UnixStream, 8 B",
            Row::StreamBlocking => "stream 8 B, blocking both sides",
            Row::StreamAsync => "stream 8 B, async both sides",
        }
    }

    /// The row this one is compared with.
    fn baseline(self) -> Row {
        match self {
            Row::RttAsync | Row::RttUnixStream | Row::RttSpinThenPark => Row::RttParked,
            Row::StreamAsync => Row::StreamBlocking,
            r => r,
        }
    }

    fn ops(self) -> u64 {
        match self {
            Row::StreamBlocking | Row::StreamAsync => 400_000,
            _ => 4_000,
        }
    }

    fn is_stream(self) -> bool {
        matches!(self, Row::StreamBlocking | Row::StreamAsync)
    }
}

/// One side's objects: the request and reply queues of the round trips (one
/// pair per queue row, so that settings never carry over), the stream queue,
/// and its end of the socket pair.
struct Side {
    req: (Option<Producer<u64, 64>>, Option<Consumer<u64, 64>>),
    rep: (Option<Producer<u64, 64>>, Option<Consumer<u64, 64>>),
    stream: (Option<Producer<u64, 64>>, Option<Consumer<u64, 64>>),
    sock: UnixStream,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Side A of one block: the elapsed time for `row.ops()` operations.
fn run_a(row: Row, s: &mut Side, rt: &tokio::runtime::Runtime) -> Duration {
    let n = row.ops();
    let start = Instant::now();
    match row {
        Row::RttParked | Row::RttSpinThenPark => {
            let (tx, rx) = (s.req.0.as_mut().unwrap(), s.rep.1.as_mut().unwrap());
            for i in 0..n {
                tx.enqueue_blocking(i).unwrap();
                assert_eq!(rx.dequeue_blocking().unwrap(), i);
            }
        }
        Row::RttAsync => {
            let (tx, rx) = (s.req.0.as_mut().unwrap(), s.rep.1.as_mut().unwrap());
            rt.block_on(async {
                for i in 0..n {
                    enqueue(tx, i).await.unwrap();
                    assert_eq!(dequeue(rx).await.unwrap(), i);
                }
            });
        }
        Row::RttUnixStream => {
            let sock = s.sock.try_clone().unwrap();
            rt.block_on(async {
                sock.set_nonblocking(true).unwrap();
                let mut sock = tokio::net::UnixStream::from_std(sock).unwrap();
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 8];
                for i in 0..n {
                    sock.write_all(&i.to_le_bytes()).await.unwrap();
                    sock.read_exact(&mut buf).await.unwrap();
                    assert_eq!(u64::from_le_bytes(buf), i);
                }
            });
        }
        Row::StreamBlocking => {
            let tx = s.stream.0.as_mut().unwrap();
            for i in 0..n {
                tx.enqueue_blocking(i).unwrap();
            }
            // The sink's last value back: the block ends when everything arrived.
            assert_eq!(s.rep.1.as_mut().unwrap().dequeue_blocking().unwrap(), n);
        }
        Row::StreamAsync => {
            let tx = s.stream.0.as_mut().unwrap();
            let done = s.rep.1.as_mut().unwrap();
            rt.block_on(async {
                for i in 0..n {
                    enqueue(tx, i).await.unwrap();
                }
                assert_eq!(dequeue(done).await.unwrap(), n);
            });
        }
    }
    start.elapsed()
}

/// Side B of one block: echoes or sinks.
fn run_b(row: Row, s: &mut Side, rt: &tokio::runtime::Runtime) {
    let n = row.ops();
    match row {
        Row::RttParked | Row::RttSpinThenPark => {
            let (rx, tx) = (s.req.1.as_mut().unwrap(), s.rep.0.as_mut().unwrap());
            for _ in 0..n {
                let v = rx.dequeue_blocking().unwrap();
                tx.enqueue_blocking(v).unwrap();
            }
        }
        Row::RttAsync => {
            let (rx, tx) = (s.req.1.as_mut().unwrap(), s.rep.0.as_mut().unwrap());
            rt.block_on(async {
                for _ in 0..n {
                    let v = dequeue(rx).await.unwrap();
                    enqueue(tx, v).await.unwrap();
                }
            });
        }
        Row::RttUnixStream => {
            // The echo is tokio too, for a like-for-like pair.
            let sock = s.sock.try_clone().unwrap();
            rt.block_on(async {
                sock.set_nonblocking(true).unwrap();
                let mut sock = tokio::net::UnixStream::from_std(sock).unwrap();
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 8];
                for _ in 0..n {
                    sock.read_exact(&mut buf).await.unwrap();
                    sock.write_all(&buf).await.unwrap();
                }
            });
        }
        Row::StreamBlocking => {
            let rx = s.stream.1.as_mut().unwrap();
            let mut sum = 0u64;
            for i in 0..n {
                let v = rx.dequeue_blocking().unwrap();
                assert_eq!(v, i);
                sum += 1;
            }
            s.rep.0.as_mut().unwrap().enqueue_blocking(sum).unwrap();
        }
        Row::StreamAsync => {
            let rx = s.stream.1.as_mut().unwrap();
            let done = s.rep.0.as_mut().unwrap();
            rt.block_on(async {
                for i in 0..n {
                    assert_eq!(dequeue(rx).await.unwrap(), i);
                }
                enqueue(done, n).await.unwrap();
            });
        }
    }
}

/// The queues of a row, opened (and the roles of `side` claimed) in this process.
fn side(a: bool, row_keys: [i32; 3], sock: UnixStream, spins: u32) -> Side {
    let open = |k: i32| Q::open(Key::new(k)).unwrap();
    let (req, rep, stream) = (open(row_keys[0]), open(row_keys[1]), open(row_keys[2]));
    let mut s = if a {
        Side {
            req: (Some(req.producer().unwrap()), None),
            rep: (None, Some(rep.consumer().unwrap())),
            stream: (Some(stream.producer().unwrap()), None),
            sock,
        }
    } else {
        Side {
            req: (None, Some(req.consumer().unwrap())),
            rep: (Some(rep.producer().unwrap()), None),
            stream: (None, Some(stream.consumer().unwrap())),
            sock,
        }
    };
    for p in [&mut s.req.0, &mut s.rep.0, &mut s.stream.0]
        .into_iter()
        .flatten()
    {
        p.set_spins(spins);
    }
    for c in [&mut s.req.1, &mut s.rep.1, &mut s.stream.1]
        .into_iter()
        .flatten()
    {
        c.set_spins(spins);
    }
    s
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds: usize = std::env::var("SYSV_IPC_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    // A fresh IPC namespace when we may make one (root); the host's otherwise.
    // SAFETY: unshare takes no pointers.
    let _ = unsafe { libc::unshare(libc::CLONE_NEWIPC) };
    let queues: Vec<Q> = KEYS
        .iter()
        .map(|&k| Q::create(Key::new(k), Intent::CreateNew, Mode::OWNER_RW).unwrap())
        .collect();
    // Keys of the parked rows (0 spins) and of the spinning rows.
    let parked = [KEYS[0], KEYS[1], KEYS[2]];
    let spinning = [KEYS[3], KEYS[4], KEYS[5]];
    let (sa, sb) = UnixStream::pair().unwrap();
    let schedule: Vec<Row> = (0..rounds).flat_map(|_| ROWS).collect();
    let keys_of = |row: Row| match row {
        Row::RttParked | Row::RttAsync => (parked, 0),
        _ => (spinning, sysv_ipc::queue::DEFAULT_SPINS),
    };
    // SAFETY: fork in a single-threaded process (no runtime exists yet).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let rt = rt();
        let mut sides = [
            side(false, parked, sb.try_clone().unwrap(), 0),
            side(
                false,
                spinning,
                sb.try_clone().unwrap(),
                sysv_ipc::queue::DEFAULT_SPINS,
            ),
        ];
        for &row in &schedule {
            let i = usize::from(keys_of(row).1 != 0);
            run_b(row, &mut sides[i], &rt);
        }
        drop(sides);
        // SAFETY: leaves the forked child without running the parent's exit path.
        unsafe { libc::_exit(0) };
    }
    let rt = rt();
    let mut sides = [
        side(true, parked, sa.try_clone().unwrap(), 0),
        side(
            true,
            spinning,
            sa.try_clone().unwrap(),
            sysv_ipc::queue::DEFAULT_SPINS,
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); ROWS.len()];
    for &row in &schedule {
        let i = usize::from(keys_of(row).1 != 0);
        let t = run_a(row, &mut sides[i], &rt);
        let r = ROWS.iter().position(|&x| x == row).unwrap();
        times[r].push(t.as_nanos() as f64 / row.ops() as f64);
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    assert_eq!(status, 0, "side B failed");
    drop(sides);
    for q in queues {
        q.remove().unwrap();
    }
    println!(
        "{rounds} interleaved rounds; ns per operation (a round trip, or a value of the stream)"
    );
    for (r, &row) in ROWS.iter().enumerate() {
        let base = ROWS.iter().position(|&x| x == row.baseline()).unwrap();
        let mut ratios: Vec<f64> = times[r]
            .iter()
            .zip(&times[base])
            .map(|(t, b)| t / b)
            .collect();
        let mut own = times[r].clone();
        own.sort_by(f64::total_cmp);
        ratios.sort_by(f64::total_cmp);
        let q = |v: &[f64], f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        let line = if row.baseline() == row {
            String::from("(baseline)")
        } else {
            format!(
                "{:.2}x [{:.2}-{:.2}] of \"{}\"",
                q(&ratios, 0.5),
                q(&ratios, 0.25),
                q(&ratios, 0.75),
                row.baseline().name()
            )
        };
        let stream = if row.is_stream() {
            format!(" ({:.1} M/s)", 1e3 / q(&own, 0.5))
        } else {
            String::new()
        };
        println!(
            "{:<55} {:>9.0} ns{stream}  {line}",
            row.name(),
            q(&own, 0.5)
        );
    }
}
