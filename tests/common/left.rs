//! The check that ends a test whose programs should clean up after themselves
//! (`tests/two_programs.rs`, `tests/open_wait.rs`). Included with `#[path]`: not a
//! test target of its own.

use sysv_ipc::info;

/// Panics unless this (test-fresh) IPC namespace holds no message queue, semaphore
/// set or segment.
pub fn assert_nothing_left() {
    let left = (
        info::message_queues().unwrap().count(),
        info::semaphore_sets().unwrap().count(),
        info::segments().unwrap().count(),
    );
    assert_eq!(left, (0, 0, 0), "queues, sets, segments left behind");
}
