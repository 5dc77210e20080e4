//! The conformance suite against the real kernel, through raw syscalls. Each test
//! runs in its own IPC namespace (see `sysv-ipc-testkit`).

sysv_ipc_testkit::conformance_tests!(sysv_ipc_linux_raw::LinuxRaw);
