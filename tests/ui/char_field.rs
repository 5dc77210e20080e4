use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Letter {
    c: char,
}

fn main() {}
