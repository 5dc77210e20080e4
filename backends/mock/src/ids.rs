//! Id tables: how Linux turns a slot into an id (`ipc_addid`, `ipc_idr_alloc`,
//! `ipc_buildid`, `ipc_rmid`, `ipc_obtain_object_check` in `ipc/util.c`).
//!
//! An id is `seq << 15 | idx` (`IPCMNI_SHIFT`; the `ipcmni_extend` boot option,
//! which makes it 24, is not modelled). The index comes from
//! `idr_alloc_cyclic(idr, 0, max)`: the lowest free index at or after the one
//! following the last allocation, wrapping to 0, within
//! `max = min(max(in_use * 3 / 2, 64), 32768)`. The table's sequence number goes up
//! by one whenever the new index is not above the previous one (so a fresh
//! namespace hands out 0, 1, 2, ..., 63, then 32768 + lowest free, ...), and wraps at
//! `INT_MAX >> 15`. The mock keeps the same counters, so for the same sequence of
//! creates and removes it hands out the same ids as a fresh kernel namespace.

use heapless::Vec;
use sysv_ipc_abi::{Errno, IPC_PRIVATE};

use crate::perm::Perm;

/// `IPCMNI_SHIFT`: bits of the index in an id.
pub(crate) const IPCMNI_SHIFT: u32 = 15;
/// `IPCMNI`: the number of indices.
pub(crate) const IPCMNI: i32 = 1 << IPCMNI_SHIFT;
/// `ipc_min_cycle`: `RADIX_TREE_MAP_SIZE` (64) without `CONFIG_BASE_SMALL`.
const MIN_CYCLE: i32 = 64;
/// `ipcid_seq_max()`: `INT_MAX >> IPCMNI_SHIFT`.
const SEQ_MAX: u32 = (i32::MAX as u32) >> IPCMNI_SHIFT;

/// One object in a table.
pub(crate) struct Entry<T> {
    pub idx: i32,
    pub id: i32,
    pub perm: Perm,
    pub obj: T,
}

/// The ids of one kind of object (`struct ipc_ids`), holding at most `N` objects.
pub(crate) struct IdTable<T, const N: usize> {
    entries: Vec<Entry<T>, N>,
    seq: u32,
    last_idx: i32,
    /// `idr->idr_next`: where the cyclic search starts.
    next: u32,
}

impl<T, const N: usize> IdTable<T, N> {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
            seq: 0,
            last_idx: -1,
            next: 0,
        }
    }

    pub(crate) fn in_use(&self) -> usize {
        self.entries.len()
    }

    /// `ipc_get_maxidx`: the highest index in use, -1 when empty.
    pub(crate) fn max_idx(&self) -> i32 {
        self.entries.iter().map(|e| e.idx).max().unwrap_or(-1)
    }

    /// What the `*_INFO` commands return: the highest index, 0 when empty.
    pub(crate) fn info_ret(&self) -> i32 {
        self.max_idx().max(0)
    }

    fn idx_used(&self, idx: i32) -> bool {
        self.entries.iter().any(|e| e.idx == idx)
    }

    fn lowest_free(&self, from: i32, end: i32) -> Option<i32> {
        // At most N indices are taken, so a free one is among the first N + 1.
        (from..end).take(N + 1).find(|&i| !self.idx_used(i))
    }

    /// `ipc_addid`: allocates a slot for `obj` under the namespace `limit`
    /// (`msgmni`, `semmni`, `shmmni`); `ENOSPC` when the limit or the mock's
    /// capacity `N` is reached. Returns the new id.
    pub(crate) fn add(&mut self, limit: i64, mut perm: Perm, obj: T) -> Result<i32, Errno> {
        let limit = limit.min(i64::from(IPCMNI));
        let in_use = self.entries.len() as i64;
        if in_use >= limit || self.entries.is_full() {
            return Err(Errno::NOSPC);
        }
        let max = ((in_use * 3 / 2).max(i64::from(MIN_CYCLE))).min(i64::from(IPCMNI)) as i32;
        let start = i32::try_from(self.next).unwrap_or(i32::MAX);
        let idx = match self.lowest_free(start, max) {
            Some(i) => i,
            None => self.lowest_free(0, max).ok_or(Errno::NOSPC)?,
        };
        if idx <= self.last_idx {
            self.seq += 1;
            if self.seq >= SEQ_MAX {
                self.seq = 0;
            }
        }
        self.last_idx = idx;
        self.next = idx as u32 + 1;
        perm.seq = self.seq as u16;
        let id = ((self.seq << IPCMNI_SHIFT) as i32).wrapping_add(idx);
        self.entries
            .push(Entry { idx, id, perm, obj })
            .map_err(|_| Errno::NOSPC)?;
        Ok(id)
    }

    /// `ipc_findkey`: the object created with `key` (never `IPC_PRIVATE`, which
    /// removed shared memory segments also carry).
    pub(crate) fn find_key(&self, key: i32) -> Option<usize> {
        if key == IPC_PRIVATE {
            return None;
        }
        self.entries.iter().position(|e| e.perm.key == key)
    }

    /// `ipc_obtain_object_idr`: the object in the slot of `id`'s index, whatever its
    /// sequence number (`*_STAT` by index). `EINVAL` if the slot is empty.
    pub(crate) fn by_idx(&self, id: i32) -> Result<usize, Errno> {
        let idx = id & (IPCMNI - 1);
        self.entries
            .iter()
            .position(|e| e.idx == idx)
            .ok_or(Errno::INVAL)
    }

    /// `ipc_obtain_object_check`: like `by_idx`, and the sequence number must match
    /// too; a stale id (slot reused or empty) is `EINVAL`. (`EIDRM` only comes from
    /// racing with a removal, which the mock serialises; blocked callers get it.)
    pub(crate) fn check(&self, id: i32) -> Result<usize, Errno> {
        let pos = self.by_idx(id)?;
        match self.entries.get(pos) {
            Some(e) if e.id == id => Ok(pos),
            _ => Err(Errno::INVAL),
        }
    }

    /// Position of the object whose id is exactly `id`, if it still exists.
    pub(crate) fn find_id(&self, id: i32) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    pub(crate) fn get(&self, pos: usize) -> Option<&Entry<T>> {
        self.entries.get(pos)
    }

    pub(crate) fn get_mut(&mut self, pos: usize) -> Option<&mut Entry<T>> {
        self.entries.get_mut(pos)
    }

    /// `ipc_rmid`: frees the slot (order of the others is kept).
    pub(crate) fn remove(&mut self, pos: usize) -> Option<Entry<T>> {
        if pos < self.entries.len() {
            Some(self.entries.remove(pos))
        } else {
            None
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry<T>> {
        self.entries.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Entry<T>> {
        self.entries.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add<const N: usize>(t: &mut IdTable<(), N>, key: i32) -> i32 {
        t.add(
            32000,
            Perm {
                key,
                ..Perm::default()
            },
            (),
        )
        .unwrap()
    }

    fn rm<const N: usize>(t: &mut IdTable<(), N>, id: i32) {
        let pos = t.check(id).unwrap();
        t.remove(pos).unwrap();
    }

    #[test]
    fn ids_cycle_like_idr_alloc_cyclic() {
        // Measured on 6.18 in a fresh namespace: 0, 1, 2, rm 1 -> 3, rm all -> 4.
        let mut t: IdTable<(), 8> = IdTable::new();
        let a = add(&mut t, 0);
        let b = add(&mut t, 0);
        let c = add(&mut t, 0);
        assert_eq!((a, b, c), (0, 1, 2));
        rm(&mut t, b);
        let d = add(&mut t, 0);
        assert_eq!(d, 3);
        rm(&mut t, a);
        rm(&mut t, c);
        rm(&mut t, d);
        assert_eq!(add(&mut t, 0), 4);
        assert_eq!(t.max_idx(), 4);
    }

    #[test]
    fn wraps_at_min_cycle_and_bumps_seq() {
        let mut t: IdTable<(), 4> = IdTable::new();
        for i in 0..64 {
            let id = add(&mut t, 0);
            assert_eq!(id, i);
            rm(&mut t, id);
        }
        // Index 64 is outside [0, 64) with one object in use: wrap to 0, seq 1.
        let id = add(&mut t, 0);
        assert_eq!(id, 1 << 15);
        assert_eq!(t.get(t.check(id).unwrap()).unwrap().perm.seq, 1);
        // The stale id of slot 0 is EINVAL, not EIDRM.
        assert_eq!(t.check(0), Err(Errno::INVAL));
        assert_eq!(t.by_idx(0), Ok(0));
        assert_eq!(t.check(-5 & 0x7fff_ffff), Err(Errno::INVAL));
    }

    #[test]
    fn limits_give_enospc() {
        let mut t: IdTable<(), 2> = IdTable::new();
        add(&mut t, 1);
        assert_eq!(t.add(1, Perm::default(), ()), Err(Errno::NOSPC));
        add(&mut t, 2);
        assert_eq!(t.add(100, Perm::default(), ()), Err(Errno::NOSPC));
        assert_eq!(t.find_key(2), Some(1));
        assert_eq!(t.find_key(IPC_PRIVATE), None);
    }
}
