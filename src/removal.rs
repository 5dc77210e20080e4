//! Opt-in removal: IPC objects outlive their handles unless asked otherwise.
//!
//! # Safety
//!
//! One `unsafe` block, in [`Removal::into_inner`]: moving the handle out of a type
//! with a `Drop` impl, which safe Rust only allows by cloning (or by an `Option`,
//! whose `None` every `Deref` would then have to handle).
#![allow(unsafe_code)]

use core::mem::ManuallyDrop;
use core::ops::Deref;
use core::ptr;

use crate::Result;

/// An IPC object that can be removed (`IPC_RMID`).
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemSet};
///
/// /// Removes every object, stopping at the first error.
/// fn remove_all(objects: &[&dyn Removable]) -> sysv_ipc::Result<()> {
///     objects.iter().try_for_each(|o| o.remove())
/// }
///
/// let q = MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?;
/// let set = SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
/// remove_all(&[&q, &set])?;
/// assert_eq!(q.stat().unwrap_err().kind(), ErrorKind::InvalidArgument); // both gone
/// assert_eq!(set.stat().unwrap_err().kind(), ErrorKind::InvalidArgument);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub trait Removable {
    /// Removes the object from the system: `*ctl(id, IPC_RMID)`. Blocked waiters wake
    /// with [`ErrorKind::Removed`](crate::ErrorKind::Removed); a segment's memory lives
    /// on until its last attachment is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, SemOp, SemSet};
    ///
    /// let set = SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| set.op(&[SemOp::wait(0)])); // blocks: the value is 0
    ///     while set.waiting_for_increase(0)? == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     set.remove()?;
    ///     assert_eq!(waiter.join().unwrap().unwrap_err().kind(), ErrorKind::Removed);
    ///     Ok::<(), sysv_ipc::Error>(())
    /// })?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    fn remove(&self) -> Result<()>;
}

/// A handle that removes its object when dropped: for private objects, scratch
/// objects and tests. Derefs to the handle.
///
/// Removal on drop ignores errors (the object may already be gone); call
/// [`Removal::remove_now`] to see them.
///
/// # Examples
///
/// ```
/// use sysv_ipc::msg::MsgQueue;
/// use sysv_ipc::{DefaultBackend, ErrorKind, Intent, Key, Mode, Removal};
///
/// let id = {
///     let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
///     q.send(1, b"scratch")?; // derefs to the MsgQueue
///     q.id()
/// }; // removed here
/// let gone = MsgQueue::from_id(DefaultBackend::default(), id);
/// assert_eq!(gone.stat().unwrap_err().kind(), ErrorKind::InvalidArgument);
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
#[derive(Debug)]
pub struct Removal<H: Removable> {
    handle: H,
    armed: bool,
}

impl<H: Removable> Removal<H> {
    /// Takes `handle`; its object is removed when this guard drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Removal, SemSet};
    ///
    /// let set = Removal::new(SemSet::create(Key::PRIVATE, 1, Intent::CreateNew, Mode::OWNER_RW)?);
    /// set.set(0, 3)?; // a SemSet method, through Deref
    /// assert_eq!(set.get(0)?, 3);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn new(handle: H) -> Self {
        Removal {
            handle,
            armed: true,
        }
    }

    /// Removes the object now and reports the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::msg::MsgQueue;
    /// use sysv_ipc::{ErrorKind, Intent, Key, Mode, Removable, Removal};
    ///
    /// let q = Removal::new(MsgQueue::create(Key::PRIVATE, Intent::CreateNew, Mode::default())?);
    /// let handle = *q; // a copy of the handle, as another part of the program may hold
    /// q.remove_now()?;
    /// assert_eq!(handle.stat().unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// // Removing it again fails, and remove_now says so where a drop would not:
    /// let q = Removal::new(handle);
    /// assert_eq!(q.remove_now().unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn remove_now(mut self) -> Result<()> {
        self.armed = false;
        self.handle.remove()
    }

    /// Gives the handle back without removing anything: for an object that was set
    /// up under the guard (so that a failed set-up removed it) and now outlives it.
    ///
    /// Moves the handle out, so it works for every handle, `Queue` and `SeqLock`
    /// (which are not `Clone`: they own an attachment) as well as the `Copy` ones.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::{Intent, Key, Mode, Queue, Removable, Removal};
    ///
    /// let q = Removal::new(Queue::<u64, 8>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)?);
    /// q.producer()?.enqueue(7)?; // set up; were this to fail, the drop would remove the queue
    /// let q: Queue<u64, 8> = q.into_inner(); // keep it beyond this scope
    /// assert_eq!(q.consumer()?.dequeue()?, Some(7));
    /// q.remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn into_inner(self) -> H {
        let this = ManuallyDrop::new(self);
        // SAFETY: `ptr::read` needs a valid, aligned, initialised source (core::ptr::read,
        // 1.95): a reference to a live field is. It duplicates the handle; the
        // original is never used or dropped again, because `this` is a ManuallyDrop
        // that goes out of scope here without running `Removal`'s drop (which would
        // remove the object) or dropping the field (the other field, a bool, has no
        // drop glue).
        unsafe { ptr::read(&this.handle) }
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

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::queue::Queue;
    use crate::{ErrorKind, Intent, Key, Mode, Removable, Removal};

    /// `into_inner` moves the handle out exactly once: the queue is neither removed
    /// nor detached twice (Miri checks the move: a double drop of the attachment
    /// would be a use after free of the handle's bytes).
    #[test]
    fn into_inner_moves_a_queue_out_once() {
        static KERNEL: sysv_ipc_mock::Mock = sysv_ipc_mock::Mock::new();
        let k = &KERNEL;
        let key = Key::new(11);
        let q = Removal::new(
            Queue::<u64, 2, _>::create_in(k, key, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        q.producer().unwrap().enqueue(3).unwrap();
        let q = q.into_inner();
        assert_eq!(q.consumer().unwrap().dequeue(), Ok(Some(3)));
        q.remove().unwrap();
        drop(q);
        let dropped = Removal::new(
            Queue::<u64, 2, _>::create_in(k, key, Intent::CreateNew, Mode::OWNER_RW).unwrap(),
        );
        drop(dropped);
        assert_eq!(
            Queue::<u64, 2, _>::open_in(k, key).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
}
