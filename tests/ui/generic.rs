use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Wrapper<T> {
    value: T,
}

fn main() {}
