//! `ipcs`, as util-linux 2.38 has it, on the crate's API: see `common/ipcs.rs`.

// Each example uses one tool of the shared module.
#[allow(dead_code)]
#[path = "common/mod.rs"]
mod common;

fn main() {
    common::cli::run(common::ipcs::main)
}
