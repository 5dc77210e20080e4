use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Pair(u32, u32);

fn main() {}
