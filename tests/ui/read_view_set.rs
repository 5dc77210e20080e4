// A read view of an array has no `set` or `write_range`, and a derived read view
// has no whole-value `store`.
use core::sync::atomic::Ordering::Relaxed;
use sysv_ipc::view::{ReadCell, ViewCell};
use sysv_ipc::{Key, ShmView, shm::Shm};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Samples {
    at: [u16; 4],
}

fn main() {
    let ro = Shm::<Samples>::open_read_only(Key::new(1)).unwrap();
    let v = ro.view();
    let _ = v.at().set(0, 7);
    let _ = v.at().write_range(0..1, &[7]);
    v.store(Samples { at: [0; 4] }, Relaxed);
    let _ = v.at().load(Relaxed);
}
