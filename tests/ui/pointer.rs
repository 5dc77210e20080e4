use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Ptr {
    a: *const u32,
    b: *mut u8,
}

fn main() {}
