//! Process-wide singletons that a `fork` does not share.
//!
//! Only the forking thread survives a `fork(2)`: a child inherits its parent's
//! globals, but not the threads that serve them, and any lock one of those threads
//! held at that moment stays held forever. So the reactor and the global pool are
//! made per process: each is tagged with the pid that built it, and a child that
//! finds its parent's makes its own, swapping it in with a compare-exchange (no
//! lock the fork could have left held). The parent's copy is leaked in the child,
//! never touched.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicPtr, Ordering};

use sysv_ipc::{Backend, DefaultBackend};

/// This process's id, to tell a forked child from its parent: the backend's
/// cached form ([`Backend::getpid_cached`], a page a fork leaves zeroed in the
/// child), so the checks on the reactor's and the pool's paths make no system
/// call, as the roles' holder checks make none.
pub(crate) fn pid() -> u32 {
    DefaultBackend::default().getpid_cached() as u32
}

/// One process's value of a singleton: the pid that built it, and the value.
pub(crate) type Tagged<T> = (u32, T);

/// This process's value in `slot`, made with `make` on first use in this process.
pub(crate) fn get<T: Send + Sync + 'static>(
    slot: &'static AtomicPtr<Tagged<T>>,
    make: impl Fn() -> T,
) -> &'static T {
    let pid = pid();
    // Acquire: pairs with the AcqRel publication below, so the value is seen whole.
    let mut cur = slot.load(Ordering::Acquire);
    loop {
        // SAFETY: a non-null pointer in `slot` was published below from
        // `Box::into_raw` and is never freed, so it is valid for 'static.
        if let Some(v) = unsafe { cur.as_ref() }
            && v.0 == pid
        {
            return &v.1;
        }
        let new = Box::into_raw(Box::new((pid, make())));
        match slot.compare_exchange(cur, new, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: `new` is published and never freed from here on.
            Ok(_) => return unsafe { &(*new).1 },
            Err(winner) => {
                // SAFETY: `new` was never published; this is its only owner.
                drop(unsafe { Box::from_raw(new) });
                cur = winner;
            }
        }
    }
}
