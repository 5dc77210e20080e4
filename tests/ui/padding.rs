use sysv_ipc::ShmView;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Padded {
    a: u8,
    b: u32,
}

fn main() {}
