//! A joiner's wait for a layout's creator is bounded in time and sleeps (issue 13,
//! item 10): a joiner under `SCHED_FIFO`, pinned to its creator's CPU, must not
//! starve the creator it waits for.
//!
//! The creator (an ordinary `SCHED_OTHER` process) is held mid-initialisation:
//! the semaphore set under the key exists but is not initialised, so its
//! `create_in` has claimed the header and waits in `SemSet::new_initialized_in`.
//! Then the joiner starts on the same CPU at real-time priority, and this process
//! (on another CPU) initialises the set. The creator needs that CPU to publish; the
//! joiner must get its layout within a bound. A joiner that spins instead
//! (the count-bounded wait before) keeps the CPU until it gives up with
//! `Uninitialized`, or until the kernel's real-time throttling (950 ms of every
//! second by default) lets the creator run.
//!
//! Needs two CPUs and permission for `SCHED_FIFO`; prints why when it skips.

use std::io::{Read, Write};
use std::time::Duration;

use sysv_ipc::queue::Queue;
use sysv_ipc::sem::JOIN_TIMEOUT;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::shm::Segment;
use sysv_ipc::{Backend, ErrorKind, Intent, Key, LinuxRaw, Mode, Removable, SemOp, SemSet};
use sysv_ipc_libc::Libc;
use sysv_ipc_mock::{Call, Mock};
use sysv_ipc_testkit::fork_peer;

const KEY: Key = Key::new(0x5156_3001);

/// The header's `magic` word (offset 8): the mark a creator writes first.
const MAGIC: u64 = u64::from_le_bytes(*b"SVIPCRS1");

/// How long after the creator can finish the joiner must have its layout:
/// generous for a loaded host (the joiner sleeps at most 1 ms at a time), far
/// below what a spinning joiner takes.
const BOUND: Duration = Duration::from_millis(250);

#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `Queue<u64, 8>`.
    Queue,
    /// `SeqLock<u64>`.
    SeqLock,
}

impl Layout {
    /// Bytes of the layout (what its creator asks `shmget` for).
    fn size(self) -> usize {
        match self {
            Layout::Queue => 384 + 8 * 16,
            Layout::SeqLock => 256 + 8,
        }
    }

    fn nsems(self) -> usize {
        self.sem_values().len()
    }

    /// The semaphore set's initial values, as the layout's creator makes it.
    fn sem_values(self) -> &'static [u16] {
        match self {
            Layout::Queue => &[0, 0, 1, 1],
            Layout::SeqLock => &[1],
        }
    }

    /// The layout of `KEY`, created or opened with the default wait.
    fn join<B: Backend + Clone>(self, b: B, intent: Intent) -> sysv_ipc::Result<()> {
        match self {
            Layout::Queue => {
                Queue::<u64, 8, _>::create_in(b, KEY, intent, Mode::OWNER_RW).map(drop)
            }
            Layout::SeqLock => {
                SeqLock::<u64, _>::create_in(b, KEY, intent, Mode::OWNER_RW).map(drop)
            }
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds (the same clock in every process).
fn mono_ns() -> u64 {
    clock_ns(::libc::CLOCK_MONOTONIC)
}

/// Clock `id` in nanoseconds.
fn clock_ns(id: ::libc::clockid_t) -> u64 {
    let mut t = ::libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a live local timespec that clock_gettime writes.
    let r = unsafe { ::libc::clock_gettime(id, &mut t) };
    assert_eq!(r, 0);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: ::libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live local of the size passed.
    let r = unsafe { ::libc::sched_getaffinity(0, size_of::<::libc::cpu_set_t>(), &mut set) };
    assert_eq!(
        r,
        0,
        "sched_getaffinity: {}",
        std::io::Error::last_os_error()
    );
    (0..::libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE.
        .filter(|&cpu| unsafe { ::libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Pins the calling process to `cpu`.
fn pin(cpu: usize) {
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: ::libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below CPU_SETSIZE (it came from `allowed_cpus`).
    unsafe { ::libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live local of the size passed.
    let r = unsafe { ::libc::sched_setaffinity(0, size_of::<::libc::cpu_set_t>(), &set) };
    assert_eq!(
        r,
        0,
        "sched_setaffinity({cpu}): {}",
        std::io::Error::last_os_error()
    );
}

/// Sets the calling process's policy: `SCHED_FIFO` at priority 10, or back to
/// `SCHED_OTHER`.
fn set_fifo(on: bool) -> std::io::Result<()> {
    let (policy, priority) = if on {
        (::libc::SCHED_FIFO, 10)
    } else {
        (::libc::SCHED_OTHER, 0)
    };
    let param = ::libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a live local sched_param.
    if unsafe { ::libc::sched_setscheduler(0, policy, &param) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The header's `state` word of `KEY`'s segment, if there is one.
fn header_state<B: Backend + Clone>(b: B) -> Option<u64> {
    let seg = Segment::open_in(b, KEY).ok()?;
    seg.attach_read_only().ok()?.load_u64(0)
}

/// One round: a creator held mid-initialisation on `cpu`, a `SCHED_FIFO` joiner
/// on the same CPU; returns how long after the set was initialised the joiner
/// had its layout.
fn fifo_round<B: Backend + Clone>(b: B, layout: Layout, cpu: usize) -> Duration {
    let set = SemSet::create_in(
        b.clone(),
        KEY,
        layout.nsems(),
        Intent::CreateNew,
        Mode::OWNER_RW,
    )
    .unwrap();
    let creator = fork_peer({
        let b = b.clone();
        move || {
            pin(cpu);
            layout
                .join(b, Intent::CreateNew)
                .unwrap_or_else(|e| panic!("{layout:?}: the creator failed: {e}"));
        }
    });
    // The creator has claimed the header (state 1) and waits for the set.
    let deadline = mono_ns() + 10_000_000_000;
    while header_state(b.clone()) != Some(1) {
        assert!(
            mono_ns() < deadline,
            "{layout:?}: the creator never claimed the header"
        );
        std::thread::sleep(Duration::from_micros(100));
    }
    let (mut done_r, mut done_w) = std::io::pipe().unwrap();
    let joiner = fork_peer({
        let b = b.clone();
        move || {
            pin(cpu);
            set_fifo(true).expect("SCHED_FIFO");
            let r = layout.join(b, Intent::Open);
            let done = mono_ns();
            r.unwrap_or_else(|e| panic!("{layout:?}: the SCHED_FIFO joiner failed: {e}"));
            done_w.write_all(&done.to_ne_bytes()).unwrap();
        }
    });
    // The joiner is on the creator's CPU now, waiting on the header.
    std::thread::sleep(Duration::from_millis(50));
    let ready = mono_ns();
    // What the creator's `new_initialized_in` waits for: values, then `sem_otime`.
    set.set_all(layout.sem_values()).unwrap();
    set.op(&[SemOp::add(0, 1), SemOp::add(0, -1)]).unwrap();
    joiner.join_timeout(Duration::from_secs(10));
    creator.join_timeout(Duration::from_secs(10));
    let mut done = [0; 8];
    done_r.read_exact(&mut done).unwrap();
    let took = Duration::from_nanos(u64::from_ne_bytes(done).saturating_sub(ready));
    // Removes the layout the two made.
    SemSet::open_in(b.clone(), KEY).unwrap().remove().unwrap();
    Segment::open_in(b, KEY).unwrap().remove().unwrap();
    took
}

/// The CPUs this process may use, if there are two and `SCHED_FIFO` is permitted;
/// otherwise `None`, after printing why the test skips.
fn fifo_cpus() -> Option<Vec<usize>> {
    let cpus = allowed_cpus();
    if cpus.len() < 2 {
        println!("skipped: needs two CPUs, this process may use {cpus:?}");
        return None;
    }
    if let Err(e) = set_fifo(true).and_then(|()| set_fifo(false)) {
        println!("skipped: SCHED_FIFO is not permitted here ({e})");
        return None;
    }
    Some(cpus)
}

/// A `SCHED_FIFO` joiner pinned to its creator's CPU gets its layout within
/// [`BOUND`] of the creator being able to finish, for `Queue` and `SeqLock`.
fn fifo_joiner_leaves_the_cpu_to_its_creator<B: Backend + Clone>(b: B) {
    let Some(cpus) = fifo_cpus() else {
        return;
    };
    // This process initialises the set from another CPU than the two processes'.
    pin(cpus[1]);
    for layout in [Layout::Queue, Layout::SeqLock] {
        for round in 0..3 {
            let took = fifo_round(b.clone(), layout, cpus[0]);
            println!("{layout:?}, round {round}: joined {took:?} after the creator could finish");
            assert!(
                took < BOUND,
                "{layout:?}: the SCHED_FIFO joiner took {took:?} (bound {BOUND:?})"
            );
        }
    }
}

/// A header nobody publishes (its creator marked and claimed it, then hung,
/// still attached): the default wait gives up with `Uninitialized` after
/// `JOIN_TIMEOUT` of real time, within 200 ms of it, and spent that time asleep.
fn stuck_header_is_given_up_after_the_timeout<B: Backend + Clone>(b: B) {
    for layout in [Layout::Queue, Layout::SeqLock] {
        let seg = Segment::create_in(
            b.clone(),
            KEY,
            layout.size(),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let att = seg.attach().unwrap();
        att.write(8, &MAGIC.to_ne_bytes()).unwrap();
        att.write(0, &1u64.to_ne_bytes()).unwrap();
        let cpu0 = cpu_time_ns();
        let t0 = mono_ns();
        let e = layout.join(b.clone(), Intent::OpenOrCreate).unwrap_err();
        let waited = Duration::from_nanos(mono_ns() - t0);
        let busy = Duration::from_nanos(cpu_time_ns() - cpu0);
        println!("{layout:?}: gave up after {waited:?}, {busy:?} of it on the CPU");
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
        assert!(
            JOIN_TIMEOUT <= waited && waited < JOIN_TIMEOUT + Duration::from_millis(200),
            "{layout:?}: waited {waited:?}"
        );
        // Asleep, not spinning: a spinning wait is on the CPU all along.
        assert!(
            busy < waited / 4,
            "{layout:?}: {busy:?} on the CPU in {waited:?}"
        );
        drop(att);
        seg.remove().unwrap();
    }
}

/// The CPU time this process has used, in nanoseconds.
fn cpu_time_ns() -> u64 {
    clock_ns(::libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// `SemSet::new_initialized_in` with its default wait: a `SCHED_FIFO` opener pinned
/// to the CPU of the set's creator, which has made the set and is about to
/// initialise it, gets the set within [`BOUND`] of the creator being let go. With
/// the spinning wait it had before, the opener kept the CPU until it gave up
/// (`Uninitialized`) or real-time throttling let the creator in.
fn fifo_semset_opener_leaves_the_cpu_to_its_creator<B: Backend + Clone>(b: B) {
    let Some(cpus) = fifo_cpus() else {
        return;
    };
    pin(cpus[1]);
    let cpu = cpus[0];
    let values = [3u16, 1, 4];
    for round in 0..3 {
        let (mut go_r, mut go_w) = std::io::pipe().unwrap();
        let (mut made_r, mut made_w) = std::io::pipe().unwrap();
        let creator = fork_peer({
            let b = b.clone();
            move || {
                pin(cpu);
                // The first half of new_initialized's creator: the set, not yet its
                // values or sem_otime.
                let set =
                    SemSet::create_in(b, KEY, values.len(), Intent::CreateNew, Mode::OWNER_RW)
                        .unwrap();
                made_w.write_all(&[1]).unwrap();
                let mut go = [0];
                go_r.read_exact(&mut go).unwrap();
                set.set_all(&values).unwrap();
                set.op(&[SemOp::add(0, 1), SemOp::add(0, -1)]).unwrap();
            }
        });
        made_r.read_exact(&mut [0]).unwrap();
        let (mut done_r, mut done_w) = std::io::pipe().unwrap();
        let opener = fork_peer({
            let b = b.clone();
            move || {
                pin(cpu);
                set_fifo(true).expect("SCHED_FIFO");
                let r = SemSet::new_initialized_in(b, KEY, &values, Mode::OWNER_RW);
                let done = mono_ns();
                let set = r.unwrap_or_else(|e| panic!("the SCHED_FIFO opener failed: {e}"));
                assert_eq!(set.get(2).unwrap(), 4);
                done_w.write_all(&done.to_ne_bytes()).unwrap();
            }
        });
        // The opener is on the creator's CPU now, waiting for sem_otime.
        std::thread::sleep(Duration::from_millis(50));
        let ready = mono_ns();
        go_w.write_all(&[1]).unwrap();
        opener.join_timeout(Duration::from_secs(10));
        creator.join_timeout(Duration::from_secs(10));
        let mut done = [0; 8];
        done_r.read_exact(&mut done).unwrap();
        let took = Duration::from_nanos(u64::from_ne_bytes(done).saturating_sub(ready));
        println!("SemSet, round {round}: opened {took:?} after the creator could finish");
        assert!(
            took < BOUND,
            "the SCHED_FIFO opener took {took:?} (bound {BOUND:?})"
        );
        SemSet::open_in(b.clone(), KEY).unwrap().remove().unwrap();
    }
}

sysv_ipc_testkit::on_both_backends!(
    fifo_joiner_leaves_the_cpu_to_its_creator,
    stuck_header_is_given_up_after_the_timeout,
    fifo_semset_opener_leaves_the_cpu_to_its_creator,
);

/// On the mock: `SemSet::new_initialized_in` on a set whose creator never
/// initialises it gives up with `Uninitialized` after `JOIN_TIMEOUT` of sleeps
/// (before: a count of spins, no time at all on the virtual clock).
#[test]
fn mock_semset_wait_is_bounded_in_time_and_sleeps() {
    let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
    let set = SemSet::create_in(kernel, KEY, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let (t0, sleeps0) = (kernel.monotonic(), kernel.calls(Call::ClockNanosleep));
    let e = SemSet::new_initialized_in(kernel, KEY, &[1, 1], Mode::OWNER_RW).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Uninitialized, "{e}");
    let waited = kernel.monotonic() - t0;
    let sleeps = kernel.calls(Call::ClockNanosleep) - sleeps0;
    assert!(
        JOIN_TIMEOUT <= waited && waited <= JOIN_TIMEOUT + Duration::from_millis(1),
        "waited {waited:?}"
    );
    assert!((490..=510).contains(&sleeps), "{sleeps} sleeps");
    set.remove().unwrap();
}

/// On the mock (virtual clock: a sleep moves it by its request): a header nobody
/// publishes is given up after `JOIN_TIMEOUT` of sleeps, 10 µs doubling to 1 ms,
/// not a count of spins; the wait ends within one sleep of the bound.
#[test]
fn mock_wait_is_bounded_in_time_and_sleeps() {
    let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
    for layout in [Layout::Queue, Layout::SeqLock] {
        // A creator that marked and claimed the header, then hung (still attached).
        let seg = Segment::create_in(
            kernel,
            KEY,
            layout.size(),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        let att = seg.attach().unwrap();
        att.write(8, &MAGIC.to_ne_bytes()).unwrap();
        att.write(0, &1u64.to_ne_bytes()).unwrap();
        let (t0, sleeps0) = (kernel.monotonic(), kernel.calls(Call::ClockNanosleep));
        let e = layout.join(kernel, Intent::Open).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
        let waited = kernel.monotonic() - t0;
        let sleeps = kernel.calls(Call::ClockNanosleep) - sleeps0;
        println!("{layout:?}: gave up after {waited:?} in {sleeps} sleeps");
        assert!(
            JOIN_TIMEOUT <= waited && waited <= JOIN_TIMEOUT + Duration::from_millis(1),
            "{layout:?}: waited {waited:?}"
        );
        // 10, 20, ... 640 µs, then 1 ms sleeps: about 500 in all.
        assert!((490..=510).contains(&sleeps), "{layout:?}: {sleeps} sleeps");
        drop(att);
        seg.remove().unwrap();
    }
}
