//! Values of several MiB through an awaited `Queue`, by loan (nothing of that
//! size on a stack): two processes, both sides awaiting, each waiting on the
//! other (0 spins, a ring of 4); and a loan future dropped while it waits takes
//! nothing. Each test runs in a fresh IPC namespace.

use std::future::Future;
use std::time::Duration;

use sysv_ipc::queue::Queue;
use sysv_ipc::{Intent, Key, Mode};
use sysv_ipc_async::queue::{read_loan, write_loan};
use sysv_ipc_async::reactor_stats;
use sysv_ipc_testkit::{fork_peer, in_ipc_namespace_timeout};

mod common;

/// 4 MiB.
const WORDS: usize = 512 * 1024;
type Frame = [u64; WORDS];
type Q = Queue<Frame, 4>;
const KEY: Key = Key::new(0x5a56_0001);
const LIMIT: Duration = Duration::from_secs(240);

/// Frame `i`'s word `j`.
fn word(i: u64, j: usize) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ j as u64
}

fn boxed_frame() -> Box<Frame> {
    vec![0u64; WORDS]
        .into_boxed_slice()
        .try_into()
        .expect("WORDS words")
}

/// 24 frames of 4 MiB from a producer process (smol) to this one (tokio): every
/// word of every frame as sent, in order; both sides waited on the reactor.
#[test]
fn four_mib_frames_between_two_processes() {
    const FRAMES: u64 = 24;
    in_ipc_namespace_timeout(LIMIT, || {
        let q = Q::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let producer = fork_peer(|| {
            let q = Q::open(KEY).unwrap();
            let mut tx = q.producer().unwrap();
            tx.set_spins(0);
            let mut frame = boxed_frame();
            smol::block_on(async {
                // The consumer is waiting on the empty ring before the first frame.
                // SAFETY: getppid has no preconditions.
                common::until_waiting_in_reactor(unsafe { libc::getppid() });
                for i in 0..FRAMES {
                    for (j, w) in frame.iter_mut().enumerate() {
                        *w = word(i, j);
                    }
                    let loan = write_loan(&mut tx, 1).await.unwrap();
                    assert_eq!(loan.len(), 1);
                    assert!(loan.write(0, &frame));
                    loan.commit_all();
                }
            });
            let s = reactor_stats();
            assert!(
                s.waits > 0 && s.woken > 0,
                "the producer never waited: {s:?}"
            );
        });
        let mut rx = q.consumer().unwrap();
        rx.set_spins(0);
        let mut got = boxed_frame();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                for i in 0..FRAMES {
                    if i == 6 {
                        // Not reading for a while: the producer fills the ring and
                        // waits on its word.
                        common::until_waiting_in_reactor(producer.pid());
                    }
                    let loan = read_loan(&mut rx, 1).await.unwrap();
                    assert!(loan.read_into(0, &mut got));
                    assert_eq!(loan.release_all(), 1);
                    if let Some(j) = (0..WORDS).find(|&j| got[j] != word(i, j)) {
                        panic!("frame {i}, word {j}: {:#x}", got[j]);
                    }
                }
            });
        producer.join();
        let s = reactor_stats();
        assert!(
            s.waits > 0 && s.woken > 0,
            "the consumer never waited: {s:?}"
        );
        assert!(rx.loan(1).unwrap().is_empty());
    });
}

/// A read-loan future dropped while it waits, and a write-loan future dropped
/// while the ring is full: neither takes, publishes nor loses anything, and the
/// next loans work.
#[test]
fn dropped_loan_futures_take_nothing() {
    in_ipc_namespace_timeout(LIMIT, || {
        let q: Queue<Frame, 1> = Queue::create(KEY, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let (mut tx, mut rx) = q.split().unwrap();
        rx.set_spins(0);
        tx.set_spins(0);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut waiting = Box::pin(read_loan(&mut rx, 1));
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        drop(waiting);
        let mut frame = boxed_frame();
        frame[WORDS - 1] = 42;
        let loan = tx.loan(1).unwrap();
        assert!(loan.write(0, &frame));
        loan.commit_all();
        // Full now: a write loan waits; dropped, it publishes nothing.
        let mut full = Box::pin(write_loan(&mut tx, 1));
        assert!(full.as_mut().poll(&mut cx).is_pending());
        drop(full);
        let mut got = boxed_frame();
        smol::future::block_on(async {
            let loan = read_loan(&mut rx, 1).await.unwrap();
            assert_eq!(loan.len(), 1);
            assert!(loan.read_into(0, &mut got));
            loan.release_all();
        });
        assert_eq!(got[WORDS - 1], 42);
        assert!(rx.loan(1).unwrap().is_empty(), "nothing else was published");
    });
}
