//! How an attachment reaches a segment's pages: the one thing that differs
//! between the mock's two memory models (see the crate docs, "Shared memory").
//!
//! - With `std` on Linux (outside miri): each segment's memory is a `memfd` of
//!   its size, made with the segment (so zero-filled, as a new shmem file is)
//!   and closed when it is destroyed, and every `shmat` is its own
//!   `mmap(MAP_SHARED)` of it, so attachments have distinct addresses that
//!   alias the same physical pages, `SHM_RDONLY` is `PROT_READ`, a
//!   caller-chosen address is mapped there, and `shmdt` unmaps. A mapping
//!   keeps its pages after the file is closed, as an attachment keeps a
//!   destroyed segment's. One file per segment rather than one for the whole
//!   arena: the mapping offset is always 0, so a host whose pages are larger
//!   than 4096 bytes maps it too; nothing needs zeroing; and a real `fork()`
//!   of the test process cannot zero a parent's pages through its copy of the
//!   model.
//! - Otherwise (`no_std`, where there is no `mmap`; miri, which cannot map a
//!   file): the pages are the `Mock`'s own arena, and every attachment of a
//!   segment is its one address there.
//!
//! In both, the bookkeeping (`shm.rs`) counts a segment's pages against the
//! arena's `SHM_PAGES` (`ENOMEM` beyond), and never counts a page free while an
//! attachment may still reach it.

/// Whether this build gives each attachment its own address (the memfd model).
pub(crate) const DISTINCT: bool = cfg!(all(feature = "std", target_os = "linux", not(miri)));

#[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
pub(crate) use arena::Maps;
#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
pub(crate) use memfd::Maps;

#[cfg(all(feature = "std", target_os = "linux", not(miri)))]
mod memfd {
    extern crate std;

    use core::ffi::c_void;
    use sysv_ipc_abi::{Errno, SHM_EXEC, SHM_RDONLY, SHM_REMAP};

    use crate::shm::PAGE_SIZE;

    /// Nothing to hold: each segment keeps its own memfd (`shm::Seg::fd`).
    pub(crate) struct Maps;

    /// The calling thread's `errno` after a failed libc call.
    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    impl Maps {
        pub(crate) const fn new() -> Self {
            Self
        }

        /// `shmem_kernel_file_setup`: a new segment's memory, a memfd of `pages`
        /// pages, all zero. `ENFILE` if the system is out of files, else
        /// `ENOMEM` if it cannot be made, as the kernel's setup answers.
        pub(crate) fn create(&mut self, pages: usize) -> Result<i32, Errno> {
            let size = pages
                .checked_mul(PAGE_SIZE)
                .and_then(|s| libc::off_t::try_from(s).ok())
                .ok_or(Errno::NOMEM)?;
            // SAFETY: the name is a NUL-terminated literal; no other memory is passed.
            let fd = unsafe { libc::memfd_create(c"sysv-ipc-mock".as_ptr(), libc::MFD_CLOEXEC) };
            if fd < 0 {
                return Err(if errno() == libc::ENFILE {
                    Errno::NFILE
                } else {
                    Errno::NOMEM
                });
            }
            // SAFETY: `fd` is the memfd just made, ours alone; no memory is passed.
            if unsafe { libc::ftruncate(fd, size) } != 0 {
                self.destroy(fd);
                return Err(Errno::NOMEM);
            }
            Ok(fd)
        }

        /// The segment is destroyed: its file goes (mappings of it keep its pages).
        pub(crate) fn destroy(&mut self, fd: i32) {
            // SAFETY: `fd` is a memfd `create` made, closed once (the segment that
            // owned it is gone).
            unsafe { libc::close(fd) };
        }

        /// `do_shmat`'s `do_mmap`: a new shared mapping of the `pages` pages of
        /// segment file `fd` at a free address of the kernel's choosing
        /// (`at == 0`), or at `at`: with `SHM_REMAP` replacing what is there
        /// (the caller of `shmat` owns that range, by `Backend::shmat`'s
        /// contract), without it only if the range is free (`EINVAL` otherwise,
        /// as `find_vma_intersection` answers). The other arguments are the
        /// arena model's.
        pub(crate) fn map(
            &mut self,
            fd: i32,
            (_first, pages): (usize, usize),
            at: usize,
            shmflg: i32,
            _arena: *mut u8,
        ) -> Result<*mut u8, Errno> {
            let len = pages * PAGE_SIZE;
            let mut prot = libc::PROT_READ;
            if shmflg & SHM_RDONLY == 0 {
                prot |= libc::PROT_WRITE;
            }
            if shmflg & SHM_EXEC != 0 {
                prot |= libc::PROT_EXEC;
            }
            let mut flags = libc::MAP_SHARED;
            if at != 0 {
                if shmflg & SHM_REMAP != 0 {
                    flags |= libc::MAP_FIXED;
                } else {
                    if at.checked_add(len).is_none() {
                        return Err(Errno::INVAL);
                    }
                    flags |= libc::MAP_FIXED_NOREPLACE;
                }
            }
            let hint = core::ptr::without_provenance_mut::<c_void>(at);
            // SAFETY: a mapping of the whole of the segment's memfd (`len` bytes,
            // its size). Without an address, or with MAP_FIXED_NOREPLACE, nothing
            // mapped in this process is touched; with MAP_FIXED (SHM_REMAP) the
            // range is the caller's to replace.
            let p = unsafe { libc::mmap(hint, len, prot, flags, fd, 0) };
            if p == libc::MAP_FAILED {
                return Err(match errno() {
                    libc::EEXIST => Errno::INVAL,
                    0 => Errno::NOMEM,
                    e => Errno::from_raw(e as u16),
                });
            }
            if at != 0 && p.addr() != at {
                // A kernel older than MAP_FIXED_NOREPLACE (4.17) took it as a
                // hint: the range was not free.
                // SAFETY: `p` is the mapping of `len` bytes just made, which
                // nothing has seen.
                unsafe { libc::munmap(p, len) };
                return Err(Errno::INVAL);
            }
            Ok(p.cast())
        }

        /// Unmaps the `pages` pages mapped at `addr` (the last attachment there
        /// went: see `shm::ShmState::forget`).
        pub(crate) fn unmap(&self, addr: usize, pages: usize) {
            let p = core::ptr::without_provenance_mut::<c_void>(addr);
            // SAFETY: `addr` is a mapping `map` made, and no attachment record
            // (so no address `shmat` handed out and not yet detached) is left
            // there.
            unsafe { libc::munmap(p, pages * PAGE_SIZE) };
        }
    }
}

#[cfg(not(all(feature = "std", target_os = "linux", not(miri))))]
mod arena {
    use sysv_ipc_abi::Errno;

    use crate::shm::PAGE_SIZE;

    /// Nothing to hold: the pages are the mock's arena.
    pub(crate) struct Maps;

    impl Maps {
        pub(crate) const fn new() -> Self {
            Self
        }

        /// No file: the caller (`Mock::shmget`) zero-fills the arena pages.
        pub(crate) fn create(&mut self, _pages: usize) -> Result<i32, Errno> {
            Ok(-1)
        }

        /// Nothing to close.
        pub(crate) fn destroy(&mut self, _fd: i32) {}

        /// The segment's one address in `arena`, at page `first`. Without an MMU
        /// nothing can be mapped at a caller-chosen address: `EINVAL`, as for a
        /// range in use.
        pub(crate) fn map(
            &mut self,
            _fd: i32,
            (first, _pages): (usize, usize),
            at: usize,
            _shmflg: i32,
            arena: *mut u8,
        ) -> Result<*mut u8, Errno> {
            if at != 0 {
                return Err(Errno::INVAL);
            }
            Ok(arena.wrapping_add(first.saturating_mul(PAGE_SIZE)))
        }

        /// Nothing to unmap.
        pub(crate) fn unmap(&self, _: usize, _: usize) {}
    }
}
