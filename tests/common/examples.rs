//! The repository's example programs, started by tests as separately started
//! programs (their own binaries, not forks of the test).

use std::path::PathBuf;
use std::process::Command;

/// `examples/<name>`: in `SYSV_IPC_EXAMPLES_DIR` (`.ci/unprivileged`, where the
/// source tree is out of reach), or beside this test's binary (built by `cargo
/// test`), built here if this run did not build it.
pub fn example(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("SYSV_IPC_EXAMPLES_DIR") {
        let bin = PathBuf::from(dir).join(name);
        assert!(bin.exists(), "{} is missing", bin.display());
        return bin;
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/examples/<name>
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = profile_dir.join("examples").join(name);
    if !bin.exists() {
        let release = profile_dir.file_name().is_some_and(|p| p == "release");
        let status = Command::new(env!("CARGO"))
            // `--workspace`: the example may be any member's (the async crate's
            // tests start the core's examples and their own).
            .args(["build", "--workspace", "--example", name])
            .args(release.then_some("--release"))
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .env(
                "CARGO_TARGET_DIR",
                profile_dir.parent().expect("target dir"),
            )
            .status()
            .expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name}: {status}");
    }
    assert!(bin.exists(), "{} not built", bin.display());
    bin
}
