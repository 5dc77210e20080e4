//! The README's "Two real programs": `examples/sender.rs` and `examples/receiver.rs`
//! run as two separately started processes (their own binaries, not forks of the
//! test), in either order, in a fresh IPC namespace; each must exit 0 with its
//! summary, and nothing may be left in the namespace afterwards.
//!
//! `cargo test` builds the examples into `target/<profile>/examples/`, next to the
//! directory of this test's binary; a run of this test alone (`cargo test --test
//! two_programs`) builds only the test, so then it builds the two examples itself
//! with the same cargo, profile and target directory.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use sysv_ipc_testkit::in_ipc_namespace;

#[path = "common/left.rs"]
mod left;

/// Readings per run: more than the ring's 1024 slots, so that a sender started
/// first must wait for the receiver.
const COUNT: u64 = 20_000;

/// The example binary `name`: in `SYSV_IPC_EXAMPLES_DIR` if set (`.ci/unprivileged`
/// copies the test binaries and the examples where uid 65534 can run them, away from
/// the target directory), else beside this test's binary, built if this run did not
/// build it.
fn example(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("SYSV_IPC_EXAMPLES_DIR") {
        let bin = PathBuf::from(dir).join(name);
        assert!(bin.exists(), "{} is missing", bin.display());
        return bin;
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/two_programs-<hash> -> target/<profile>/examples/<name>
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = profile_dir.join("examples").join(name);
    if !bin.exists() {
        let release = profile_dir.file_name().is_some_and(|p| p == "release");
        let target_dir = profile_dir.parent().expect("target dir");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", "sender", "--example", "receiver"])
            .args(release.then_some("--release"))
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir)
            .status()
            .expect("run cargo build --example");
        assert!(
            status.success(),
            "cargo build --example sender --example receiver: {status}"
        );
    }
    assert!(bin.exists(), "{} not built", bin.display());
    bin
}

fn start(name: &str, args: &[&str]) -> Child {
    Command::new(example(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {name}: {e}"))
}

/// Waits for the program and checks that it exited 0; its standard output.
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

/// Both programs under `ftok(<a fresh directory>, 'r')`, `first` started first and
/// the other `delay` later; then the namespace must be empty.
fn run(sender_first: bool, delay: Duration) {
    let dir = std::env::temp_dir().join(format!("sysv-ipc-two-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.to_str().unwrap();
    let count = COUNT.to_string();
    let sender_args = [path, count.as_str()];
    let (sender, receiver) = if sender_first {
        let s = start("sender", &sender_args);
        thread::sleep(delay);
        (s, start("receiver", &[path]))
    } else {
        let r = start("receiver", &[path]);
        thread::sleep(delay);
        (start("sender", &sender_args), r)
    };
    let sent = finish("sender", sender);
    let received = finish("receiver", receiver);
    std::fs::remove_dir_all(&dir).unwrap();

    assert!(
        sent.starts_with(&format!(
            "sender: sent {COUNT} readings and closed the queue"
        )),
        "sender said: {sent}"
    );
    // The sum of 7 seq - 3 over seq in 0..COUNT.
    let sum = 7 * (COUNT * (COUNT - 1) / 2) as i64 - 3 * COUNT as i64;
    assert!(
        received.starts_with(&format!("receiver: {COUNT} readings in order, sum {sum},")),
        "receiver said: {received}"
    );
    assert!(
        received.trim_end().ends_with("removed"),
        "receiver said: {received}"
    );

    left::assert_nothing_left();
}

#[test]
fn receiver_first() {
    in_ipc_namespace(|| run(false, Duration::from_millis(200)));
}

#[test]
fn sender_first() {
    // The sender fills the ring and waits for a receiver that does not exist yet.
    in_ipc_namespace(|| run(true, Duration::from_millis(200)));
}

#[test]
fn started_together() {
    // Both may create: the one that comes second joins, whichever it is.
    in_ipc_namespace(|| {
        for _ in 0..5 {
            run(true, Duration::ZERO);
            run(false, Duration::ZERO);
        }
    });
}
