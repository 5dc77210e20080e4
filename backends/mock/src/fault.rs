//! Fault injection and call counting: "the Nth call of X fails with E".
//!
//! Every `Backend` call counts itself first, then consults the script; an injected
//! failure returns before the call does anything else (no state changes, no
//! counters other than this one), as a kernel error raised at syscall entry would.

use heapless::Vec;
use sysv_ipc_abi::Errno;

/// A `Backend` entry point, for counting and scripting failures.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Call {
    /// `msgget`
    Msgget,
    /// `msgsnd`
    Msgsnd,
    /// `msgrcv`
    Msgrcv,
    /// `msgctl`
    Msgctl,
    /// `semget`
    Semget,
    /// `semop`
    Semop,
    /// `semtimedop`
    Semtimedop,
    /// `semctl`
    Semctl,
    /// `shmget`
    Shmget,
    /// `shmat`
    Shmat,
    /// `shmdt`
    Shmdt,
    /// `shmctl`
    Shmctl,
    /// `file_id` (the `stat` behind `ftok`)
    FileId,
    /// `clock_gettime`
    ClockGettime,
    /// `clock_nanosleep`
    ClockNanosleep,
    /// `membarrier` (the mock implements only `MEMBARRIER_CMD_QUERY`, answering
    /// that no command is supported)
    Membarrier,
    /// `futex_wake` (the mock has no futex waiters: it answers 0 woken)
    FutexWake,
}

const NCALLS: usize = 17;

impl Call {
    /// Every entry point, in declaration order (each `Call as usize` is its index).
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_mock::Call;
    ///
    /// assert_eq!(Call::ALL[Call::Semop as usize], Call::Semop);
    /// assert_eq!(Call::ALL.last(), Some(&Call::FutexWake));
    /// ```
    pub const ALL: [Call; NCALLS] = [
        Call::Msgget,
        Call::Msgsnd,
        Call::Msgrcv,
        Call::Msgctl,
        Call::Semget,
        Call::Semop,
        Call::Semtimedop,
        Call::Semctl,
        Call::Shmget,
        Call::Shmat,
        Call::Shmdt,
        Call::Shmctl,
        Call::FileId,
        Call::ClockGettime,
        Call::ClockNanosleep,
        Call::Membarrier,
        Call::FutexWake,
    ];
}

// `ALL` lists every variant once, in order: an index mismatch would be a variant
// left out or repeated.
const _: () = {
    let mut i = 0;
    while i < NCALLS {
        assert!(Call::ALL[i] as usize == i);
        i += 1;
    }
};

/// Scripted failures the mock holds at once.
pub const MAX_FAULTS: usize = 32;

#[derive(Copy, Clone, Debug)]
struct Fault {
    call: Call,
    /// Fails the call whose 1-based count equals this; 0 means every call.
    nth: u64,
    errno: Errno,
}

pub(crate) struct Faults {
    counts: [u64; NCALLS],
    script: Vec<Fault, MAX_FAULTS>,
}

impl Faults {
    pub(crate) const fn new() -> Self {
        Self {
            counts: [0; NCALLS],
            script: Vec::new(),
        }
    }

    pub(crate) fn count(&self, call: Call) -> u64 {
        self.counts.get(call as usize).copied().unwrap_or(0)
    }

    /// Counts a call of `call` and says whether the script fails it.
    pub(crate) fn enter(&mut self, call: Call) -> Result<(), Errno> {
        let Some(n) = self.counts.get_mut(call as usize) else {
            return Ok(());
        };
        *n = n.saturating_add(1);
        let n = *n;
        let hit = self
            .script
            .iter()
            .position(|f| f.call == call && (f.nth == n || f.nth == 0));
        match hit {
            None => Ok(()),
            Some(i) => {
                let f = self.script.get(i).copied();
                // One-shot faults are used up; "always" ones stay until cleared.
                if f.is_some_and(|f| f.nth != 0) {
                    self.script.remove(i);
                }
                f.map_or(Ok(()), |f| Err(f.errno))
            }
        }
    }

    pub(crate) fn fail_nth(&mut self, call: Call, nth: u64, errno: Errno) -> Result<(), Errno> {
        self.script
            .push(Fault { call, nth, errno })
            .map_err(|_| Errno::NOSPC)
    }

    pub(crate) fn fail_next(&mut self, call: Call, errno: Errno) -> Result<(), Errno> {
        let nth = self.count(call).saturating_add(1);
        // A pending fault may already cover the next call: script the first call
        // after every pending one-shot fault of this kind instead.
        let nth = self
            .script
            .iter()
            .filter(|f| f.call == call && f.nth >= nth)
            .map(|f| f.nth + 1)
            .max()
            .unwrap_or(nth);
        self.fail_nth(call, nth, errno)
    }

    pub(crate) fn fail_always(&mut self, call: Call, errno: Errno) -> Result<(), Errno> {
        self.script
            .push(Fault {
                call,
                nth: 0,
                errno,
            })
            .map_err(|_| Errno::NOSPC)
    }

    pub(crate) fn clear(&mut self) {
        self.script.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_next_always() {
        let mut f = Faults::new();
        f.fail_nth(Call::Msgsnd, 2, Errno::INTR).unwrap();
        assert_eq!(f.enter(Call::Msgsnd), Ok(()));
        assert_eq!(f.enter(Call::Msgsnd), Err(Errno::INTR));
        assert_eq!(f.enter(Call::Msgsnd), Ok(()));
        assert_eq!(f.count(Call::Msgsnd), 3);
        f.fail_next(Call::Semop, Errno::IDRM).unwrap();
        f.fail_next(Call::Semop, Errno::NOMEM).unwrap();
        assert_eq!(f.enter(Call::Msgsnd), Ok(()));
        assert_eq!(f.enter(Call::Semop), Err(Errno::IDRM));
        assert_eq!(f.enter(Call::Semop), Err(Errno::NOMEM));
        assert_eq!(f.enter(Call::Semop), Ok(()));
        f.fail_always(Call::Shmat, Errno::NOSPC).unwrap();
        assert_eq!(f.enter(Call::Shmat), Err(Errno::NOSPC));
        assert_eq!(f.enter(Call::Shmat), Err(Errno::NOSPC));
        f.clear();
        assert_eq!(f.enter(Call::Shmat), Ok(()));
        assert_eq!(f.count(Call::Shmat), 3);
    }
}
