// A read view only loads: no `store` on its cells (a read-only mapping would fault).
use core::sync::atomic::Ordering::Relaxed;
use sysv_ipc::{Key, ShmView, shm::Shm};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Status {
    seq: u64,
    volts: f32,
    flags: u32,
}

fn main() {
    let ro = Shm::<Status>::open_read_only(Key::new(1)).unwrap();
    let v = ro.view();
    v.seq().store(1, Relaxed);
    v.volts().store(1.0, Relaxed);
    v.flags().fetch_or(1, Relaxed);
}
