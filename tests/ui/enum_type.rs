use sysv_ipc::ShmView;

#[derive(ShmView)]
#[repr(u8)]
enum State {
    Idle,
    Busy,
}

fn main() {}
