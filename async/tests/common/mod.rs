//! What the async tests share: the three runtimes, and looks at this process's
//! threads and CPU time through `/proc` and `getrusage`.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// The executors every test runs under.
#[derive(Copy, Clone, Debug)]
pub enum Rt {
    TokioMulti,
    TokioCurrent,
    Smol,
}

/// Runs `f` to completion on `rt` (a new runtime each time).
pub fn block_on<F: Future>(rt: Rt, f: F) -> F::Output {
    match rt {
        Rt::TokioMulti => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("tokio runtime")
            .block_on(f),
        Rt::TokioCurrent => tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime")
            .block_on(f),
        Rt::Smol => smol::block_on(f),
    }
}

/// This process's threads: (tid, name).
pub fn threads() -> Vec<(i32, String)> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|e| {
            let e = e.ok()?;
            let tid: i32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            Some((tid, comm.trim().to_string()))
        })
        .collect()
}

/// The pool's waiter threads now.
pub fn pool_threads() -> Vec<i32> {
    threads()
        .into_iter()
        .filter(|(_, n)| n == "sysv-ipc-pool")
        .map(|(t, _)| t)
        .collect()
}

/// The system call each pool thread is in (x86_64/aarch64 numbers), `None` if running
/// or not in one.
pub fn pool_syscalls() -> Vec<Option<i64>> {
    pool_threads()
        .into_iter()
        .map(|tid| {
            let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall"))
                .unwrap_or_default();
            s.split_whitespace().next().and_then(|n| n.parse().ok())
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
pub const WAITS: [i64; 4] = [70, 69, 65, 220]; // msgrcv, msgsnd, semop, semtimedop
#[cfg(target_arch = "aarch64")]
pub const WAITS: [i64; 4] = [188, 189, 193, 192];

/// Pool threads sitting in msgrcv/msgsnd/semop/semtimedop.
pub fn threads_in_ipc_waits() -> usize {
    pool_syscalls()
        .into_iter()
        .filter(|s| s.is_some_and(|n| WAITS.contains(&n)))
        .count()
}

/// Waits (polling /proc, at most 10 s) until `cond` holds.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// User + system CPU time of the whole process.
pub fn cpu_time() -> Duration {
    // SAFETY: `ru` is a live, zeroed rusage that getrusage fills.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    assert_eq!(r, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Polls `f` once with a no-op waker.
pub fn poll_once<F: Future + Unpin>(f: &mut F) -> std::task::Poll<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(f).poll(&mut cx)
}

/// Records in a stream test: `bounded` in CI, 1 M with `SYSV_IPC_ASYNC_FULL=1`
/// (the full count).
pub fn stream_len(bounded: u64) -> u64 {
    if std::env::var_os("SYSV_IPC_ASYNC_FULL").is_some_and(|v| v == "1") {
        1_000_000
    } else {
        bounded
    }
}

/// A receiving side whose futures the cancellation tests make, poll and drop.
pub trait Receiving {
    type Recv<'a>: Future<Output = sysv_ipc::Result<u64>> + Unpin
    where
        Self: 'a;
    /// The side's receive future.
    fn recv_future(&mut self) -> Self::Recv<'_>;
    /// The side's non-blocking receive.
    fn try_recv(&mut self) -> Option<u64>;
}

/// One proptest case of "dropped receives lose nothing": `steps` of 0 (send
/// the next value with `send`, which says whether it went in), 1 (poll a receive
/// future, made if there is none) and 2 (drop it); then a plain drain. Returns
/// what was received and what was sent, in order: equal unless a dropped
/// future lost or took a value.
pub fn dropped_receives<R: Receiving>(
    steps: &[u8],
    send: &mut dyn FnMut(u64) -> bool,
    rx: &mut R,
    next: &mut u64,
) -> (Vec<u64>, Vec<u64>) {
    let first = *next;
    let mut sent = |next: &mut u64| {
        if send(*next) {
            *next += 1;
        }
    };
    let mut got = Vec::new();
    let mut i = 0;
    while let Some(&step) = steps.get(i) {
        i += 1;
        match step {
            0 => sent(next),
            1 => {
                let mut f = rx.recv_future();
                loop {
                    if let std::task::Poll::Ready(v) = poll_once(&mut f) {
                        got.push(v.expect("receive"));
                        break;
                    }
                    let Some(&s) = steps.get(i) else { break };
                    i += 1;
                    match s {
                        0 => sent(next),
                        1 => {}
                        _ => break,
                    }
                }
            }
            _ => {}
        }
    }
    while let Some(v) = rx.try_recv() {
        got.push(v);
    }
    (got, (first..*next).collect())
}

/// The proptest runner of the cancellation tests: 256 cases, nothing persisted.
pub fn runner() -> proptest::test_runner::TestRunner {
    proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 256,
        failure_persistence: None,
        ..Default::default()
    })
}

/// A sending side whose futures the cancellation tests make, poll and drop.
pub trait Sending {
    type Send<'a>: Future<Output = Result<(), sysv_ipc::SendError<u64>>> + Unpin
    where
        Self: 'a;
    /// The side's send future of `value`.
    fn send_future(&mut self, value: u64) -> Self::Send<'_>;
}

/// One proptest case of "dropped sends send exactly what completed": `steps` of
/// 0 (the consumer takes one value with `take`), 1 (poll a send future of the
/// next value, made if there is none) and 2 (drop it); then a drain with
/// `take`. Returns what the consumer got and what the futures said they sent
/// (`Ready(Ok)`), in order: equal unless a dropped future sent its value or a
/// completed one lost it.
pub fn dropped_sends<S: Sending>(
    steps: &[u8],
    take: &mut dyn FnMut() -> Option<u64>,
    tx: &mut S,
    next: &mut u64,
) -> (Vec<u64>, Vec<u64>) {
    let (mut got, mut sent) = (Vec::new(), Vec::new());
    let mut i = 0;
    while let Some(&step) = steps.get(i) {
        i += 1;
        match step {
            0 => got.extend(take()),
            1 => {
                let v = *next;
                *next += 1;
                let mut f = tx.send_future(v);
                loop {
                    if let std::task::Poll::Ready(r) = poll_once(&mut f) {
                        r.expect("send");
                        sent.push(v);
                        break;
                    }
                    let Some(&s) = steps.get(i) else { break };
                    i += 1;
                    match s {
                        0 => got.extend(take()),
                        1 => {}
                        _ => break,
                    }
                }
            }
            _ => {}
        }
    }
    while let Some(v) = take() {
        got.push(v);
    }
    (got, sent)
}

/// Returns once a thread of process `pid` sleeps in `futex_waitv` (syscall
/// 449 on x86_64 and aarch64): its reactor waits for an awaited loan. Without
/// this, whether either side ever waits depends on their relative speeds.
pub fn until_waiting_in_reactor(pid: libc::pid_t) {
    let start = std::time::Instant::now();
    loop {
        let waiting = sysv_ipc_testkit::debugger::threads_of(pid)
            .into_iter()
            .any(|tid| {
                std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
                    .is_ok_and(|s| s.starts_with("449 "))
            });
        if waiting {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{pid}: no wait in the reactor"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
