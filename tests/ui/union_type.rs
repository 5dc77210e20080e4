use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(C)]
union Either {
    a: u32,
    b: f32,
}

fn main() {}
