use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
struct Ref<'a> {
    a: &'a u32,
}

fn main() {}
