use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Flags {
    on: bool,
}

fn main() {}
