//! The util-linux IPC tools (`ipcs`, `ipcmk`, `ipcrm`, `lsipc`) on the crate's API,
//! each a function over argument strings and two `io::Write` streams, so that the
//! examples are thin `main`s and `tests/tools.rs` can call the very same code
//! next to the real tools. Included with `#[path]` by each example and by the test;
//! each includer uses a part of it, hence the `dead_code` allowance at the include.

pub mod cli;
pub mod ipcmk;
pub mod ipcrm;
pub mod ipcs;
pub mod lsipc;
pub mod table;
pub mod text;
