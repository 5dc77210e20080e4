//! `CLOCK_MONOTONIC` through the backend, as a `Duration`: what every timed wait of
//! the crate (a `Queue`'s park, a message queue's poll, a join's back-off) keeps
//! its deadline with, and sleeps by.

use core::time::Duration;

use sysv_ipc_abi::{Backend, CLOCK_MONOTONIC, Errno, timespec};

/// The monotonic clock's reading. A negative or out-of-range field, which no kernel
/// returns, reads as 0 rather than panicking.
pub(crate) fn now<B: Backend>(backend: &B) -> Result<Duration, Errno> {
    let t = backend.clock_gettime(CLOCK_MONOTONIC)?;
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(t.tv_nsec)
        .ok()
        .filter(|&n| n < 1_000_000_000)
        .unwrap_or(0);
    Ok(Duration::new(secs, nanos))
}

/// Sleeps `d` on the monotonic clock; `EINTR` if a signal handler ran first.
pub(crate) fn sleep<B: Backend>(backend: &B, d: Duration) -> Result<(), Errno> {
    let request = timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    };
    backend.clock_nanosleep(CLOCK_MONOTONIC, &request)
}
