//! Opt-in removal: IPC objects outlive their handles unless asked otherwise.

use core::ops::Deref;

use crate::Result;

/// An IPC object that can be removed (`IPC_RMID`).
pub trait Removable {
    /// Removes the object from the system: `*ctl(id, IPC_RMID)`. Blocked waiters wake
    /// with [`ErrorKind::Removed`](crate::ErrorKind::Removed); a segment's memory lives
    /// on until its last attachment is gone.
    fn remove(&self) -> Result<()>;
}

/// A handle that removes its object when dropped: for private objects, scratch
/// objects and tests. Derefs to the handle.
///
/// Removal on drop ignores errors (the object may already be gone); call
/// [`Removal::remove_now`] to see them.
#[derive(Debug)]
pub struct Removal<H: Removable> {
    handle: H,
    armed: bool,
}

impl<H: Removable> Removal<H> {
    /// Takes `handle`; its object is removed when this guard drops.
    pub fn new(handle: H) -> Self {
        Removal {
            handle,
            armed: true,
        }
    }

    /// Removes the object now and reports the result.
    pub fn remove_now(mut self) -> Result<()> {
        self.armed = false;
        self.handle.remove()
    }

    /// Gives the handle back without removing anything.
    pub fn keep(mut self) -> H
    where
        H: Clone,
    {
        self.armed = false;
        self.handle.clone()
    }
}

impl<H: Removable> Deref for Removal<H> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.handle
    }
}

impl<H: Removable> Drop for Removal<H> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.handle.remove();
        }
    }
}
