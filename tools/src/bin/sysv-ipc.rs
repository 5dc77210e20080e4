//! `sysv-ipc`, the inspector of sysv-ipc's objects: see
//! [`sysv_ipc_tools::inspector`].

fn main() {
    let status =
        sysv_ipc_tools::inspector::main(std::env::args_os(), &mut std::io::stdout().lock());
    std::process::exit(status);
}
