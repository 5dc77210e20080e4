//! The cost model's numbers: wake-up round trip of an async ping-pong against the
//! blocking sync ping-pong, in the same run, interleaved; the threads it used; the
//! CPU an idle process with pending futures uses.
//!
//! ```text
//! cargo run --release -p sysv-ipc-async --example wake
//! ```
//!
//! The echo peer is another process (this program, started with `echo`): it receives
//! type 1 and sends type 2 back (message queue), or waits on semaphore 0 and posts 1
//! (semaphore set), with the blocking sync calls. The measuring side runs batches of
//! round trips, alternating sync and async (tokio current-thread, tokio
//! multi-thread, smol) batch by batch, so that both see the same machine; it prints
//! the percentiles of every round trip of each, and the median's ratio to sync
//! (percentiles of single round trips rather than batch means: on a shared machine a
//! few preempted round trips would otherwise decide the mean).

use std::future::Future;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use sysv_ipc::msg::{MsgQueue, Selector};
use sysv_ipc::{Intent, Key, Mode, Removable, SemOp, SemSet};
use sysv_ipc_async::{AsyncMsgQueue, AsyncSemSet, Pool};

const BATCH: u32 = 2_000;
const BATCHES: usize = 15;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("echo") {
        let (q, set) = (args[2].parse().unwrap(), args[3].parse().unwrap());
        return echo(q, set);
    }
    let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap();
    let set = SemSet::new_initialized(Key::PRIVATE, &[0, 0], Mode::OWNER_RW).unwrap();
    let mut peer = spawn_echo(q.id(), set.id());
    let pool = Pool::builder().max_threads(4).build();
    let aq = AsyncMsgQueue::with_pool(q, pool.clone());
    let aset = AsyncSemSet::with_pool(set, pool.clone());
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();

    // Each returns its round trips in µs.
    let msg_sync = || {
        let mut text = [0u8; 8];
        let mut rtts = Vec::with_capacity(BATCH as usize);
        for i in 0..BATCH {
            let t = Instant::now();
            q.send(1, &u64::from(i).to_ne_bytes()).unwrap();
            q.recv(&mut text, Selector::Type(2)).unwrap();
            rtts.push(us(t.elapsed()));
        }
        rtts
    };
    let msg_async = || async {
        let mut text = [0u8; 8];
        let mut rtts = Vec::with_capacity(BATCH as usize);
        for i in 0..BATCH {
            let t = Instant::now();
            aq.send(1, &u64::from(i).to_ne_bytes()).await.unwrap();
            aq.recv(&mut text, Selector::Type(2)).await.unwrap();
            rtts.push(us(t.elapsed()));
        }
        rtts
    };
    // The receive polled once before the send: it always waits in a pool thread (the
    // reply cannot be there yet), so every round trip takes the wake-up path.
    let msg_pool = || async {
        let mut text = [0u8; 8];
        let mut rtts = Vec::with_capacity(BATCH as usize);
        for i in 0..BATCH {
            let t = Instant::now();
            let mut recv = aq.recv(&mut text, Selector::Type(2));
            poll_once(&mut recv).await;
            aq.send(1, &u64::from(i).to_ne_bytes()).await.unwrap();
            recv.await.unwrap();
            rtts.push(us(t.elapsed()));
        }
        rtts
    };
    let sem_pool = || async {
        let mut rtts = Vec::with_capacity(BATCH as usize);
        for _ in 0..BATCH {
            let t = Instant::now();
            let mut wait = aset.op(&[SemOp::wait(1)]);
            poll_once(&mut wait).await;
            aset.op(&[SemOp::post(0)]).await.unwrap();
            wait.await.unwrap();
            rtts.push(us(t.elapsed()));
        }
        rtts
    };
    let sem_sync = || {
        let mut rtts = Vec::with_capacity(BATCH as usize);
        for _ in 0..BATCH {
            let t = Instant::now();
            set.op(&[SemOp::post(0)]).unwrap();
            set.op(&[SemOp::wait(1)]).unwrap();
            rtts.push(us(t.elapsed()));
        }
        rtts
    };
    let sem_async = || async {
        let mut rtts = Vec::with_capacity(BATCH as usize);
        for _ in 0..BATCH {
            let t = Instant::now();
            aset.op(&[SemOp::post(0)]).await.unwrap();
            aset.op(&[SemOp::wait(1)]).await.unwrap();
            rtts.push(us(t.elapsed()));
        }
        rtts
    };

    let mut rows: Vec<(&str, Vec<f64>)> = vec![
        ("msg sync (blocking)", vec![]),
        ("msg async tokio current-thread", vec![]),
        ("msg async tokio multi-thread", vec![]),
        ("msg async smol", vec![]),
        ("msg async, via the pool, tokio current-thread", vec![]),
        ("msg async, via the pool, tokio multi-thread", vec![]),
        ("msg async, via the pool, smol", vec![]),
        ("sem sync (blocking)", vec![]),
        ("sem async tokio current-thread", vec![]),
        ("sem async tokio multi-thread", vec![]),
        ("sem async smol", vec![]),
        ("sem async, via the pool, tokio current-thread", vec![]),
        ("sem async, via the pool, tokio multi-thread", vec![]),
        ("sem async, via the pool, smol", vec![]),
    ];
    for _ in 0..BATCHES {
        rows[0].1.extend(msg_sync());
        rows[1].1.extend(current.block_on(msg_async()));
        rows[2].1.extend(multi.block_on(msg_async()));
        rows[3].1.extend(smol::block_on(msg_async()));
        rows[4].1.extend(current.block_on(msg_pool()));
        rows[5].1.extend(multi.block_on(msg_pool()));
        rows[6].1.extend(smol::block_on(msg_pool()));
        rows[7].1.extend(sem_sync());
        rows[8].1.extend(current.block_on(sem_async()));
        rows[9].1.extend(multi.block_on(sem_async()));
        rows[10].1.extend(smol::block_on(sem_async()));
        rows[11].1.extend(current.block_on(sem_pool()));
        rows[12].1.extend(multi.block_on(sem_pool()));
        rows[13].1.extend(smol::block_on(sem_pool()));
    }
    println!(
        "round trip over {BATCHES} interleaved batches of {BATCH}, 8-byte messages: p50 (p10, p90) in us, p50 vs sync"
    );
    let mut base = 0.0;
    for (i, (name, v)) in rows.iter_mut().enumerate() {
        v.sort_by(f64::total_cmp);
        let at = |p: usize| v[v.len() * p / 100];
        if i % 7 == 0 {
            base = at(50);
        }
        println!(
            "  {name:46} {:7.1} ({:.1}, {:.1})  {:.2}x",
            at(50),
            at(10),
            at(90),
            at(50) / base
        );
    }
    let stats = pool.stats();
    // Each async round trip awaits two calls; a call that did not block used no job.
    let awaits = 2 * 12 * BATCHES as u64 * u64::from(BATCH);
    println!(
        "pool: {} threads at most (bound {}); {} of {awaits} async calls waited in a pool thread; process threads now: {}",
        stats.peak_threads,
        pool.max_threads(),
        stats.runs,
        std::fs::read_dir("/proc/self/task").unwrap().count()
    );
    peer.kill().ok();
    peer.wait().ok();
    drop((current, multi));
    idle_cpu();
    q.remove().unwrap();
    set.remove().unwrap();
}

/// Polls `f` once with the task's waker (registering its wait), whatever it returns.
async fn poll_once<F: Future + Unpin>(f: &mut F) {
    std::future::poll_fn(|cx| {
        let _ = std::pin::Pin::new(&mut *f).poll(cx);
        std::task::Poll::Ready(())
    })
    .await
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn spawn_echo(q: i32, set: i32) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["echo", &q.to_string(), &set.to_string()])
        .spawn()
        .unwrap()
}

fn echo(q: i32, set: i32) {
    let q = MsgQueue::from_id(sysv_ipc::DefaultBackend::default(), q);
    let set = SemSet::from_id(sysv_ipc::DefaultBackend::default(), set);
    let sem = std::thread::spawn(move || {
        while set.op(&[SemOp::wait(0)]).is_ok() {
            set.op(&[SemOp::post(1)]).unwrap();
        }
    });
    let mut text = [0u8; 8];
    while let Ok(got) = q.recv(&mut text, Selector::Type(1)) {
        q.send(2, &text[..got.len]).unwrap();
    }
    sem.join().ok();
}

/// CPU time of this process over 1 s with 64 futures pending on 64 queues.
fn idle_cpu() {
    let pool = Pool::builder().max_threads(64).build();
    let queues: Vec<MsgQueue> = (0..64)
        .map(|_| MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default()).unwrap())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let tasks: Vec<_> = queues
        .iter()
        .map(|q| {
            let aq = AsyncMsgQueue::with_pool(*q, pool.clone());
            rt.spawn(async move { aq.recv(&mut [0u8; 8], Selector::Any).await.map(drop) })
        })
        .collect();
    while pool.stats().threads < 64 {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    let before = cpu();
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu() - before;
    println!(
        "idle: {used:?} of CPU over 1 s with 64 futures pending ({} pool threads, {} process threads)",
        pool.stats().threads,
        std::fs::read_dir("/proc/self/task").unwrap().count()
    );
    for q in &queues {
        q.remove().unwrap();
    }
    rt.block_on(async {
        for t in tasks {
            let _ = t.await;
        }
    });
}

fn cpu() -> Duration {
    // SAFETY: `ru` is a live, zeroed rusage that getrusage fills.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}
