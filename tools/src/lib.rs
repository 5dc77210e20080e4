//! util-linux's System V IPC tools, `ipcs`, `ipcmk`, `ipcrm` and `lsipc`, as util-linux
//! 2.38 has them (the same output byte for byte, usage and error messages included,
//! but for three 2.38 bugs `lsipc` does not copy: see [`lsipc`]), on sysv-ipc's API.
//!
//! Each tool is a function over its argument strings and an [`cli::Io`] (standard
//! output and error), which the crate's binaries run on the process's own
//! ([`cli::run`]) and a program can run into memory ([`cli::capture`]):
//!
//! ```
//! let listing = sysv_ipc_tools::cli::capture(sysv_ipc_tools::ipcs::main, &["ipcs", "-l"]);
//! assert_eq!(listing.status, 0);
//! assert!(listing.stdout.contains("------ Messages Limits --------"));
//! ```
//!
//! The crate's own binary, `sysv-ipc`, is the [`inspector`] of sysv-ipc's objects
//! (what each segment's header and roles say, cleanup after crashes, limits).
//!
//! Install the binaries with `cargo install --path tools` (from the repository).

pub mod cli;
pub mod inspector;
pub mod ipcmk;
pub mod ipcrm;
pub mod ipcs;
pub mod lsipc;
pub mod table;
pub mod text;
