//! Separately started programs (their own binaries, not forks of the test) that
//! await: `examples/async_sender.rs` and `examples/async_receiver.rs` against
//! each other and against the core's blocking `sender` and `receiver`, started
//! in either order, in a fresh IPC namespace; each must exit 0 with its summary,
//! and nothing may be left in the namespace afterwards.

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
