use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Len {
    n: usize,
    d: [isize; 2],
}

fn main() {}
