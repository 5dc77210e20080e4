use sysv_ipc::ShmView;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
struct NoRepr {
    a: u32,
}

fn main() {}
