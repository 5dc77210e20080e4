//! What a layout needs from the namespace's limits, and which sysctl to raise when
//! they fall short (re-exported by [`info`](crate::info); a tool's `doctor`).

use core::fmt;

use crate::layout::{broadcast as bc, mpsc, ring, seqlock, table, words_for};
use crate::{Backend, DefaultBackend, Limit, Result};

use super::LayoutKind;

/// What is wanted: `count` objects of one kind, each with `capacity` slots of
/// `type_size`-byte values (and, for a broadcast or an MPSC ring, `seats`
/// readers or producers).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{LayoutKind, Want};
///
/// let want = Want::new(LayoutKind::Queue, 64, 1024).count(3);
/// assert_eq!(want.segment_size(), Some(384 + 1024 * (64 + 8)));
/// assert_eq!(want.semaphores_per_set(), Some(4));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Want {
    /// Which layout.
    pub kind: LayoutKind,
    /// `size_of::<T>()`.
    pub type_size: usize,
    /// `align_of::<T>()`: only checked (a power of two, at most a page); the
    /// layouts store whole 8-byte words whatever it is.
    pub type_align: usize,
    /// Slots (`N`); ignored for a seqlock.
    pub capacity: usize,
    /// Reader seats of a broadcast, producer seats of an MPSC ring; ignored
    /// otherwise.
    pub seats: usize,
    /// How many such objects.
    pub count: usize,
}

impl Want {
    /// One object of `kind` with `capacity` slots of `type_size` bytes, aligned
    /// to 8, with the kind's default seats (8 readers, 8 producers).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{LayoutKind, Want};
    ///
    /// assert_eq!(Want::new(LayoutKind::Mpsc, 8, 16).semaphores_per_set(), Some(2 * 8 + 3));
    /// ```
    pub const fn new(kind: LayoutKind, type_size: usize, capacity: usize) -> Want {
        let seats = match kind {
            LayoutKind::Mpsc => crate::mpsc::DEFAULT_PRODUCERS,
            LayoutKind::Broadcast => crate::broadcast::DEFAULT_READERS,
            _ => 1,
        };
        Want {
            kind,
            type_size,
            type_align: 8,
            capacity,
            seats,
            count: 1,
        }
    }

    /// With `count` objects.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{LayoutKind, Want};
    ///
    /// assert_eq!(Want::new(LayoutKind::Table, 8, 4).count(5).count, 5);
    /// ```
    pub const fn count(self, count: usize) -> Want {
        Want { count, ..self }
    }

    /// With `seats` readers (broadcast) or producers (MPSC ring).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{LayoutKind, Want};
    ///
    /// assert_eq!(Want::new(LayoutKind::Broadcast, 8, 4).seats(3).semaphores_per_set(), Some(2 + 2 * 3));
    /// ```
    pub const fn seats(self, seats: usize) -> Want {
        Want { seats, ..self }
    }

    /// With `align_of::<T>()` = `type_align`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{LayoutKind, Want};
    ///
    /// assert_eq!(Want::new(LayoutKind::Queue, 8, 4).align(3).segment_size(), None);
    /// ```
    pub const fn align(self, type_align: usize) -> Want {
        Want { type_align, ..self }
    }

    /// Bytes of one object's segment, by the layout's own size function (the one
    /// its type uses); `None` for a shape no type has: a zero size, an alignment
    /// that is not a power of two or above a page (4096), a ring capacity that is
    /// not a power of two (a broadcast's at least 2), seats out of range, or a
    /// layout past `isize::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{LayoutKind, Want};
    ///
    /// assert_eq!(Want::new(LayoutKind::SeqLock, 12, 1).segment_size(), Some(256 + 16));
    /// assert_eq!(Want::new(LayoutKind::Queue, 8, 1000).segment_size(), None); // not a power of two
    /// ```
    pub const fn segment_size(&self) -> Option<usize> {
        if self.type_size == 0 || !self.type_align.is_power_of_two() || self.type_align > 4096 {
            return None;
        }
        let words = words_for(self.type_size);
        let n = self.capacity;
        match self.kind {
            LayoutKind::Queue if n.is_power_of_two() => ring::layout_size(n, words),
            LayoutKind::SeqLock => seqlock::layout_size(words),
            LayoutKind::Broadcast
                if n.is_power_of_two()
                    && n >= 2
                    && self.seats >= 1
                    && self.seats <= bc::MAX_READERS =>
            {
                bc::layout_size(n, words, self.seats)
            }
            LayoutKind::Mpsc
                if n.is_power_of_two() && self.seats >= 1 && self.seats <= mpsc::MAX_PRODUCERS =>
            {
                mpsc::layout_size(n, self.seats, words)
            }
            LayoutKind::Table if n > 0 => match table::total_size_of(n, words) {
                s if s <= isize::MAX as usize => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// Semaphores of one object's set (as its type creates it); `None` for seats
    /// out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc::info::{LayoutKind, Want};
    ///
    /// assert_eq!(Want::new(LayoutKind::SeqLock, 8, 1).semaphores_per_set(), Some(1));
    /// ```
    pub fn semaphores_per_set(&self) -> Option<usize> {
        match self.kind {
            LayoutKind::Queue => Some(crate::queue::SEM_VALUES.len()),
            LayoutKind::SeqLock => Some(crate::seqlock::SEM_VALUES.len()),
            LayoutKind::Table => Some(crate::table::SEM_VALUES.len()),
            LayoutKind::Broadcast if (1..=bc::MAX_READERS).contains(&self.seats) => {
                crate::broadcast::set_size(self.seats)
            }
            LayoutKind::Mpsc if (1..=mpsc::MAX_PRODUCERS).contains(&self.seats) => {
                crate::mpsc::set_size(self.seats)
            }
            _ => None,
        }
    }
}

/// One limit that is short: its current value and the least value that lets
/// the [`Want`] be created on top of what the namespace already uses.
///
/// # Examples
///
/// See [`needs_in`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shortfall {
    /// Which limit.
    pub limit: Limit,
    /// Its value now.
    pub current: u64,
    /// The value it needs.
    pub required: u64,
}

/// What a [`Want`] needs, and the limits it is short of: made by [`needs_in`].
/// `Display` prints the commands that raise them, one a line: `sysctl -w
/// kernel.shmmax=N`, `sysctl -w kernel.shmall=N` (in pages), `sysctl -w
/// kernel.shmmni=N`, and one `sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI"`
/// with all four fields (the sysctl takes them together), those not short as
/// they are.
///
/// # Examples
///
/// See [`needs_in`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Needs {
    /// Bytes of one segment.
    pub segment_size: usize,
    /// Pages of one segment (what `kernel.shmall` counts).
    pub segment_pages: u64,
    /// Semaphores of one set.
    pub semaphores_per_set: usize,
    /// How many objects.
    pub count: usize,
    /// The namespace's `kernel.sem` now: `[semmsl, semmns, semopm, semmni]`.
    pub sem_now: [u64; 4],
    short: [Option<Shortfall>; 6],
}

impl Needs {
    /// The limits that are short, in the order `shmmax`, `shmall`, `shmmni`,
    /// `semmsl`, `semmns`, `semmni`.
    ///
    /// # Examples
    ///
    /// See [`needs_in`].
    pub fn shortfalls(&self) -> impl Iterator<Item = &Shortfall> {
        self.short.iter().flatten()
    }

    /// Whether every limit suffices.
    ///
    /// # Examples
    ///
    /// See [`needs_in`].
    pub fn fits(&self) -> bool {
        self.shortfalls().next().is_none()
    }

    fn required(&self, limit: Limit) -> Option<u64> {
        self.shortfalls()
            .find(|s| s.limit == limit)
            .map(|s| s.required)
    }
}

impl fmt::Display for Needs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (limit, name) in [
            (Limit::Shmmax, "kernel.shmmax"),
            (Limit::Shmall, "kernel.shmall"),
            (Limit::Shmmni, "kernel.shmmni"),
        ] {
            if let Some(v) = self.required(limit) {
                writeln!(f, "sysctl -w {name}={v}")?;
            }
        }
        let [msl, mns, opm, mni] = self.sem_now;
        let sem = [
            self.required(Limit::Semmsl),
            self.required(Limit::Semmns),
            self.required(Limit::Semmni),
        ];
        if sem.iter().any(Option::is_some) {
            writeln!(
                f,
                "sysctl -w kernel.sem=\"{} {} {} {}\"",
                sem[0].unwrap_or(msl),
                sem[1].unwrap_or(mns),
                opm,
                sem[2].unwrap_or(mni)
            )?;
        }
        Ok(())
    }
}

/// [`needs_in`] on the default backend.
///
/// # Errors
///
/// As [`needs_in`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LayoutKind, Want};
///
/// let needs = info::needs(&Want::new(LayoutKind::Queue, 64, 1024), 4096)?.expect("a queue's shape");
/// assert_eq!(needs.segment_pages, 19); // 74112 bytes
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn needs(want: &Want, page_size: usize) -> Result<Option<Needs>> {
    needs_in(DefaultBackend::default(), want, page_size)
}

/// What `want` needs (segment bytes and pages of `page_size` bytes, semaphores
/// per set), checked against the namespace's limits and what it uses now
/// (`IPC_INFO`, `SHM_INFO`, `SEM_INFO`): `None` for a shape no type has
/// ([`Want::segment_size`]).
///
/// The kernel's checks, each a [`Shortfall`] when it would fail:
/// - `shmget`: the size above `kernel.shmmax` (`EINVAL`); the namespace's pages
///   (`shm_tot`) plus the new ones above `kernel.shmall` (`ENOSPC`); its
///   segments plus the new ones above `kernel.shmmni` (`ENOSPC`);
/// - `semget`: a set's semaphores above `semmsl` (`EINVAL`); the namespace's
///   semaphores plus the new ones above `semmns`, its sets plus the new ones
///   above `semmni` (`ENOSPC`) — `kernel.sem`'s first, second and fourth fields.
///
/// The values are the least that fit now: other processes creating objects
/// meanwhile need more. The kernel caps `shmmni` and `semmni` at `IPCMNI`
/// (32768, or 16M with `ipcmni_extend` on the kernel's command line).
///
/// # Errors
///
/// The `*_INFO` calls (none on Linux).
///
/// # Examples
///
/// ```
/// use sysv_ipc::info::{self, LayoutKind, Want};
/// use sysv_ipc::Limit;
/// use sysv_ipc_mock::{Limits, Mock};
///
/// let kernel: Mock = Mock::new();
/// kernel.set_limits(Limits { shmmax: 65536, semmni: 2, ..Limits::LINUX });
/// let want = Want::new(LayoutKind::Queue, 64, 1024).count(3);
/// let needs = info::needs_in(&kernel, &want, 4096)?.expect("a queue's shape");
/// let short: Vec<_> = needs.shortfalls().map(|s| (s.limit, s.current, s.required)).collect();
/// assert_eq!(short, [(Limit::Shmmax, 65536, 74112), (Limit::Semmni, 2, 3)]);
/// assert_eq!(
///     needs.to_string(),
///     format!("sysctl -w kernel.shmmax=74112\nsysctl -w kernel.sem=\"{} {} {} 3\"\n",
///         Limits::LINUX.semmsl, Limits::LINUX.semmns, Limits::LINUX.semopm),
/// );
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub fn needs_in<B: Backend + Clone>(
    backend: B,
    want: &Want,
    page_size: usize,
) -> Result<Option<Needs>> {
    let (Some(size), Some(nsems)) = (want.segment_size(), want.semaphores_per_set()) else {
        return Ok(None);
    };
    let shm = super::shm_limits_in(backend.clone())?;
    let sem = super::sem_limits_in(backend.clone())?;
    let shm_used = super::shm_usage_in(backend.clone())?;
    let sem_used = super::sem_usage_in(backend)?;
    let n = u64::try_from(want.count).unwrap_or(u64::MAX);
    let size64 = u64::try_from(size).unwrap_or(u64::MAX);
    let page = u64::try_from(page_size.max(1)).unwrap_or(u64::MAX);
    let pages = size64.div_ceil(page);
    let nsems64 = u64::try_from(nsems).unwrap_or(u64::MAX);
    let check = |limit, current: u64, required: u64| {
        (required > current).then_some(Shortfall {
            limit,
            current,
            required,
        })
    };
    let short = [
        check(Limit::Shmmax, shm.shmmax, size64),
        check(
            Limit::Shmall,
            shm.shmall,
            shm_used.pages_total.saturating_add(pages.saturating_mul(n)),
        ),
        check(
            Limit::Shmmni,
            shm.shmmni,
            u64::from(shm_used.segments).saturating_add(n),
        ),
        check(Limit::Semmsl, u64::from(sem.semmsl), nsems64),
        check(
            Limit::Semmns,
            u64::from(sem.semmns),
            u64::from(sem_used.semaphores).saturating_add(nsems64.saturating_mul(n)),
        ),
        check(
            Limit::Semmni,
            u64::from(sem.semmni),
            u64::from(sem_used.sets).saturating_add(n),
        ),
    ];
    Ok(Some(Needs {
        segment_size: size,
        segment_pages: pages,
        semaphores_per_set: nsems,
        count: want.count,
        sem_now: [
            u64::from(sem.semmsl),
            u64::from(sem.semmns),
            u64::from(sem.semopm),
            u64::from(sem.semmni),
        ],
        short,
    }))
}
