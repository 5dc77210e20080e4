//! `ipcrm`, as util-linux 2.38 has it: see [`sysv_ipc_tools::ipcrm`].

fn main() {
    sysv_ipc_tools::cli::run(sysv_ipc_tools::ipcrm::main)
}
