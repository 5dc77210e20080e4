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

use sysv_ipc::queue::{Queue, QueueOptions};
use sysv_ipc::sem::{JOIN_TIMEOUT, SemSetOptions};
use sysv_ipc::seqlock::{SeqLock, SeqLockOptions};
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

    /// The layout of `KEY`, created or opened with options whose join timeout is
    /// `timeout`.
    fn join_within<B: Backend + Clone>(
        self,
        b: B,
        intent: Intent,
        timeout: Duration,
    ) -> sysv_ipc::Result<()> {
        match self {
            Layout::Queue => {
                let options = QueueOptions::new().join_timeout(timeout);
                Queue::<u64, 8, _>::create_with(b, KEY, intent, Mode::OWNER_RW, options).map(drop)
            }
            Layout::SeqLock => {
                let options = SeqLockOptions::new().join_timeout(timeout);
                SeqLock::<u64, _>::create_with(b, KEY, intent, Mode::OWNER_RW, options).map(drop)
            }
        }
    }
}

/// A segment of `layout`'s size under `KEY` whose "creator" marked and claimed the
/// header and never finishes: the returned attachment keeps it attached, as a
/// hung creator would, so no joiner may recover it.
fn hung_creator<B: Backend + Clone>(b: B, layout: Layout) -> (Segment<B>, sysv_ipc::Attachment<B>) {
    let seg = Segment::create_in(b, KEY, layout.size(), Intent::CreateNew, Mode::OWNER_RW).unwrap();
    let att = seg.attach().unwrap();
    att.write(8, &MAGIC.to_ne_bytes()).unwrap();
    att.write(0, &1u64.to_ne_bytes()).unwrap();
    (seg, att)
}

/// Join timeouts below, at and above the default: the options replace it, they do
/// not only shorten it.
const TIMEOUTS: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(30),
    Duration::from_millis(800),
];

/// `CLOCK_MONOTONIC` through backend `b`: the kernel's clock, or the mock's
/// virtual one.
fn backend_now<B: Backend>(b: &B) -> Duration {
    let t = b.clock_gettime(sysv_ipc::abi::CLOCK_MONOTONIC).unwrap();
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The join timeout of `QueueOptions`, `SeqLockOptions` and `SemSetOptions` is
/// honoured on the kernel: a header (or a set, met by a joiner or by a layout's
/// creator) its creator never finishes is given up with `Uninitialized`, and never
/// before the timeout has passed. The
/// only bound on the other side is a sanity one (30 s): how much later it returns
/// is the scheduler's business on a shared host; the mock test below checks the
/// wait itself.
fn join_timeout_option_is_honoured<B: Backend + Clone>(b: B) {
    let sanity = Duration::from_secs(30);
    for layout in [Layout::Queue, Layout::SeqLock] {
        let (seg, att) = hung_creator(b.clone(), layout);
        for timeout in TIMEOUTS {
            let t0 = backend_now(&b);
            let e = layout
                .join_within(b.clone(), Intent::Open, timeout)
                .unwrap_err();
            let waited = backend_now(&b) - t0;
            println!("{layout:?}, join_timeout {timeout:?}: gave up after {waited:?}");
            assert_eq!(e.kind(), ErrorKind::Uninitialized, "{layout:?}: {e}");
            assert!(
                timeout <= waited && waited < timeout + sanity,
                "{layout:?}, join_timeout {timeout:?}: waited {waited:?}"
            );
        }
        drop(att);
        seg.remove().unwrap();
        // The layout's creator meets a semaphore set under the key that another
        // process made and never initialised: it waits as long for its values.
        let set = SemSet::create_in(
            b.clone(),
            KEY,
            layout.nsems(),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        for timeout in TIMEOUTS {
            let t0 = backend_now(&b);
            let e = layout
                .join_within(b.clone(), Intent::CreateNew, timeout)
                .unwrap_err();
            let waited = backend_now(&b) - t0;
            println!("{layout:?} creator, join_timeout {timeout:?}: gave up after {waited:?}");
            assert_eq!(
                e.kind(),
                ErrorKind::Uninitialized,
                "{layout:?} creator: {e}"
            );
            assert!(
                timeout <= waited && waited < timeout + sanity,
                "{layout:?} creator, join_timeout {timeout:?}: waited {waited:?}"
            );
        }
        set.remove().unwrap();
    }
    // A read-only opener waits as long, for the header first: the creator makes the
    // semaphore set only before publishing it (a reader that looked for the set
    // first got `NotFound` at once).
    let (seg, att) = hung_creator(b.clone(), Layout::SeqLock);
    for timeout in TIMEOUTS {
        let options = SeqLockOptions::new().join_timeout(timeout);
        let t0 = backend_now(&b);
        let e = SeqLock::<u64, _, _>::open_read_only_with(b.clone(), KEY, options).unwrap_err();
        let waited = backend_now(&b) - t0;
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "read-only: {e}");
        assert!(
            timeout <= waited && waited < timeout + sanity,
            "read-only, join_timeout {timeout:?}: waited {waited:?}"
        );
    }
    drop(att);
    seg.remove().unwrap();
    // A set its creator made and never initialised.
    let set = SemSet::create_in(b.clone(), KEY, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    for timeout in TIMEOUTS {
        let options = SemSetOptions::new().join_timeout(timeout);
        let t0 = backend_now(&b);
        let e = SemSet::new_initialized_with(b.clone(), KEY, &[1, 1], Mode::OWNER_RW, options)
            .unwrap_err();
        let waited = backend_now(&b) - t0;
        println!("SemSet, join_timeout {timeout:?}: gave up after {waited:?}");
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "{e}");
        assert!(
            timeout <= waited && waited < timeout + sanity,
            "SemSet, join_timeout {timeout:?}: waited {waited:?}"
        );
    }
    set.remove().unwrap();
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
/// `JOIN_TIMEOUT` of real time (never before it; within a 2 s sanity bound after
/// it, which only a wait that never gives up would break), and spent that time
/// asleep.
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
            JOIN_TIMEOUT <= waited && waited < JOIN_TIMEOUT + Duration::from_secs(2),
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
    join_timeout_option_is_honoured,
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

/// On the mock (virtual clock: a sleep moves it by its request): the join timeout
/// of `QueueOptions`, `SeqLockOptions` and `SemSetOptions` is the wait, to within
/// one sleep: a hung creator (of the header, or of the semaphore set a layout's
/// creator meets) is given up with `Uninitialized` after the given time, and a
/// zero timeout gives up after the spins, without a sleep. A ready layout or set
/// is joined with a zero timeout, also without a sleep.
#[test]
fn mock_join_timeout_option_is_the_wait() {
    let kernel: &'static Mock = Box::leak(Box::new(Mock::new()));
    let check = |what: &str, timeout: Duration, join: &dyn Fn() -> sysv_ipc::Result<()>| {
        let (t0, sleeps0) = (kernel.monotonic(), kernel.calls(Call::ClockNanosleep));
        let e = join().unwrap_err();
        let waited = kernel.monotonic() - t0;
        let sleeps = kernel.calls(Call::ClockNanosleep) - sleeps0;
        println!("{what}, join_timeout {timeout:?}: gave up after {waited:?} in {sleeps} sleeps");
        assert_eq!(e.kind(), ErrorKind::Uninitialized, "{what}: {e}");
        assert!(
            timeout <= waited && waited <= timeout + Duration::from_millis(1),
            "{what}, join_timeout {timeout:?}: waited {waited:?}"
        );
        if timeout.is_zero() {
            assert_eq!(sleeps, 0, "{what}: a zero timeout never sleeps");
        }
    };
    for layout in [Layout::Queue, Layout::SeqLock] {
        let (seg, att) = hung_creator(kernel, layout);
        for timeout in TIMEOUTS {
            check(&format!("{layout:?}"), timeout, &|| {
                layout.join_within(kernel, Intent::Open, timeout)
            });
        }
        drop(att);
        seg.remove().unwrap();
        // The creator, facing a semaphore set another process made and never
        // initialised, waits as long for its values.
        let set = SemSet::create_in(
            kernel,
            KEY,
            layout.nsems(),
            Intent::CreateNew,
            Mode::OWNER_RW,
        )
        .unwrap();
        for timeout in TIMEOUTS {
            check(&format!("{layout:?} creator"), timeout, &|| {
                layout.join_within(kernel, Intent::CreateNew, timeout)
            });
        }
        set.remove().unwrap();
        // Ready: joined at once.
        layout.join(kernel, Intent::CreateNew).unwrap();
        let sleeps0 = kernel.calls(Call::ClockNanosleep);
        layout
            .join_within(kernel, Intent::Open, Duration::ZERO)
            .unwrap();
        assert_eq!(kernel.calls(Call::ClockNanosleep), sleeps0, "{layout:?}");
        SemSet::open_in(kernel, KEY).unwrap().remove().unwrap();
        Segment::open_in(kernel, KEY).unwrap().remove().unwrap();
    }
    let (seg, att) = hung_creator(kernel, Layout::SeqLock);
    for timeout in TIMEOUTS {
        check("SeqLock read-only", timeout, &|| {
            let options = SeqLockOptions::new().join_timeout(timeout);
            SeqLock::<u64, _, _>::open_read_only_with(kernel, KEY, options).map(drop)
        });
    }
    drop(att);
    seg.remove().unwrap();
    let set = SemSet::create_in(kernel, KEY, 2, Intent::CreateNew, Mode::OWNER_RW).unwrap();
    for timeout in TIMEOUTS {
        let options = SemSetOptions::new().join_timeout(timeout);
        check("SemSet", timeout, &|| {
            SemSet::new_initialized_with(kernel, KEY, &[1, 1], Mode::OWNER_RW, options).map(drop)
        });
    }
    set.remove().unwrap();
    SemSet::new_initialized_in(kernel, KEY, &[1, 1], Mode::OWNER_RW).unwrap();
    let sleeps0 = kernel.calls(Call::ClockNanosleep);
    let now = SemSetOptions::new().join_timeout(Duration::ZERO);
    SemSet::new_initialized_with(kernel, KEY, &[1, 1], Mode::OWNER_RW, now).unwrap();
    assert_eq!(kernel.calls(Call::ClockNanosleep), sleeps0, "SemSet");
    SemSet::open_in(kernel, KEY).unwrap().remove().unwrap();
}
