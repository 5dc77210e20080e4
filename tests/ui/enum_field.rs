use sysv_ipc::ShmView;

#[derive(Clone, Copy)]
#[repr(u8)]
enum State {
    Idle,
    Busy,
}

#[derive(ShmView)]
#[repr(C)]
struct Machine {
    state: State,
}

fn main() {}
