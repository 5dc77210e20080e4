//! Separately started programs (their own binaries, not forks of the test) that
//! await: `examples/async_sender.rs` and `examples/async_receiver.rs` against
//! each other and against the core's blocking `sender` and `receiver`, started
//! in either order; `examples/async_mpsc_producer.rs` beside the core's
//! `mpsc_producer` into one `Mpsc`; `examples/async_ticker_reader.rs` beside
//! the core's `broadcast_ticker` reader, following its writer. Each runs in a
//! fresh IPC namespace; each program must exit 0 with its summary, and nothing
//! may be left in the namespace afterwards.

use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use sysv_ipc::info;
use sysv_ipc_testkit::in_ipc_namespace;

#[path = "../../tests/common/examples.rs"]
mod examples;
use examples::example;

/// Readings per run: many times the ring's 1024 slots, so both sides wait.
const COUNT: u64 = 50_000;

fn start(name: &str, args: &[&str]) -> Child {
    Command::new(example(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {name}: {e}"))
}

/// Waits for the program; its standard output, after it exited 0 silently on
/// stderr.
fn finish(name: &str, child: Child) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    let (out, err) = (
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr),
    );
    assert!(
        status.success(),
        "{name} exited with {status}\nstdout: {out}\nstderr: {err}"
    );
    assert!(err.is_empty(), "{name} wrote to stderr: {err}");
    out.into_owned()
}

/// `sender` and `receiver` under `ftok(<a fresh directory>, 'r')`, the sender
/// first or not, the other `delay` later; then the namespace must be empty.
fn run(sender: &str, receiver: &str, sender_first: bool, delay: Duration) {
    let dir = std::env::temp_dir().join(format!("sysv-ipc-async-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.to_str().unwrap();
    let count = COUNT.to_string();
    let sender_args = [path, count.as_str()];
    let (s, r) = if sender_first {
        let s = start(sender, &sender_args);
        thread::sleep(delay);
        (s, start(receiver, &[path]))
    } else {
        let r = start(receiver, &[path]);
        thread::sleep(delay);
        (start(sender, &sender_args), r)
    };
    let sent = finish(sender, s);
    let received = finish(receiver, r);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        sent.starts_with(&format!("{sender}: sent {COUNT} readings and closed")),
        "{sender} said: {sent}"
    );
    let sum = 7 * (COUNT * (COUNT - 1) / 2) as i64 - 3 * COUNT as i64;
    assert!(
        received.starts_with(&format!(
            "{receiver}: {COUNT} readings in order, sum {sum},"
        )),
        "{receiver} said: {received}"
    );
    assert!(
        received.trim_end().ends_with("removed"),
        "{receiver} said: {received}"
    );
    let left = (
        info::message_queues().unwrap().count(),
        info::semaphore_sets().unwrap().count(),
        info::segments().unwrap().count(),
    );
    assert_eq!(left, (0, 0, 0), "queues, sets, segments left behind");
}

#[test]
fn async_sender_and_async_receiver() {
    in_ipc_namespace(|| {
        run(
            "async_sender",
            "async_receiver",
            false,
            Duration::from_millis(200),
        );
        // The sender fills the ring and waits, asleep on its word, for a
        // receiver that does not exist yet.
        run(
            "async_sender",
            "async_receiver",
            true,
            Duration::from_millis(200),
        );
        run("async_sender", "async_receiver", true, Duration::ZERO);
    });
}

#[test]
fn a_blocking_sender_into_an_async_receiver() {
    in_ipc_namespace(|| {
        run(
            "sender",
            "async_receiver",
            false,
            Duration::from_millis(200),
        );
        run("sender", "async_receiver", true, Duration::from_millis(200));
    });
}

#[test]
fn an_async_sender_into_a_blocking_receiver() {
    in_ipc_namespace(|| {
        run(
            "async_sender",
            "receiver",
            false,
            Duration::from_millis(200),
        );
        run("async_sender", "receiver", true, Duration::from_millis(200));
    });
}

/// The key is already another program's: a plain segment of another size sits
/// under `ftok(path, 'r')`. The async receiver refuses it with the layout's
/// complaint on stderr and exit status 1, and leaves that segment as it was.
#[test]
fn a_key_another_program_holds_is_refused_and_left_alone() {
    use sysv_ipc::shm::Segment;
    use sysv_ipc::{Intent, Key, Mode, Removable};
    in_ipc_namespace(|| {
        let dir = std::env::temp_dir().join(format!("sysv-ipc-async-held-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let key = Key::ftok(&path, b'r').unwrap();
        let held = Segment::create(key, 4096, Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let out = start("async_receiver", &[dir.to_str().unwrap()])
            .wait_with_output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "stderr: {err}");
        assert!(
            err.starts_with(&format!("async_receiver: queue {key}: ")) && err.contains("size"),
            "stderr: {err}"
        );
        // Still there, the same size, and nothing else was made beside it.
        assert_eq!(held.stat().unwrap().size, 4096);
        assert_eq!(info::segments().unwrap().count(), 1);
        assert_eq!(info::semaphore_sets().unwrap().count(), 0);
        held.remove().unwrap();
    });
}

/// Values each `Mpsc` producer program sends: many times the ring's 64 slots.
const PER_PRODUCER: u64 = 20_000;

/// Two `async_mpsc_producer` programs and the core's blocking `mpsc_producer`
/// into one `Mpsc`, drained by awaited receives in this process: every stream
/// arrives whole and in order, every program says what it sent, and nothing is
/// left afterwards.
#[test]
fn async_and_blocking_mpsc_producer_programs_into_an_async_consumer() {
    use sysv_ipc::mpsc::{Mpsc, MpscOptions};
    use sysv_ipc::{DefaultBackend, Intent, Key, Mode, Removable};
    in_ipc_namespace(|| {
        let key = Key::new(0x4d50_00a1);
        let m = Mpsc::<u64, 64>::create_with(
            DefaultBackend::default(),
            key,
            Intent::CreateNew,
            Mode::OWNER_RW,
            MpscOptions::new().producers(4),
        )
        .unwrap();
        let mut rx = m.consumer().unwrap();
        let count = PER_PRODUCER.to_string();
        let programs = [
            ("async_mpsc_producer", "1"),
            ("async_mpsc_producer", "2"),
            ("mpsc_producer", "3"),
        ];
        let children: Vec<Child> = programs
            .iter()
            .map(|(name, stream)| start(name, &["4d5000a1", stream, count.as_str()]))
            .collect();
        let mut next = [0u64; 4];
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                for _ in 0..3 * PER_PRODUCER {
                    let v = sysv_ipc_async::mpsc::recv(&mut rx).await.unwrap();
                    let (stream, seq) = ((v >> 32) as usize, v & 0xffff_ffff);
                    assert!((1..=3).contains(&stream), "a value of no stream: {v:#x}");
                    assert_eq!(seq, next[stream], "stream {stream} out of order");
                    next[stream] += 1;
                }
            });
        assert_eq!(next[1..], [PER_PRODUCER; 3]);
        for ((name, stream), child) in programs.iter().zip(children) {
            let said = finish(name, child);
            assert_eq!(
                said.trim_end(),
                format!("{name}: stream {stream} sent {count}")
            );
        }
        drop(rx);
        m.remove().unwrap();
        drop(m);
        assert_eq!(info::segments().unwrap().count(), 0);
        assert_eq!(info::semaphore_sets().unwrap().count(), 0);
    });
}

/// Two `async_ticker_reader` programs and the core's blocking
/// `broadcast_ticker read` follow one `broadcast_ticker write`: each reader,
/// started before the writer, gets every tick whole and in order, and the
/// writer removes the stream once they left.
#[test]
fn async_ticker_reader_programs_beside_a_blocking_one() {
    in_ipc_namespace(|| {
        let key = "0x7b7c00a1";
        let ticks = 20_000u64.to_string();
        let readers = [
            ("async_ticker_reader", vec![key]),
            ("async_ticker_reader", vec![key]),
            ("broadcast_ticker", vec!["read", key]),
        ];
        let children: Vec<Child> = readers
            .iter()
            .map(|(name, args)| start(name, args))
            .collect();
        let writer = start("broadcast_ticker", &["write", key, ticks.as_str(), "3"]);
        assert_eq!(
            finish("broadcast_ticker", writer).trim_end(),
            format!("writer: {ticks} ticks to 3 readers")
        );
        for ((name, _), child) in readers.iter().zip(children) {
            let said = finish(name, child);
            let want =
                format!("reader: {ticks} ticks in order, 0 missed before joining, none torn");
            let want = if name.starts_with("async") {
                format!("async {want}")
            } else {
                want
            };
            assert_eq!(said.trim_end(), want, "{name}");
        }
        assert_eq!(info::segments().unwrap().count(), 0);
        assert_eq!(info::semaphore_sets().unwrap().count(), 0);
    });
}
