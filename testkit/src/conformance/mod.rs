//! The backend conformance suite: kernel tests written once against
//! [`Backend`](sysv_ipc_abi::Backend), run by each backend's `tests/kernel.rs`.
