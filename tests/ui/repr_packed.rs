use sysv_ipc::ShmView;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C, packed)]
struct Packed {
    a: u8,
    b: u64,
}

fn main() {}
