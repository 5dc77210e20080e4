//! The setup the tests of `tests/users.rs` share, so that each test there states
//! only what it checks: its objects under one key ([`Fx`]: created, joined, in a
//! forked peer or as another user), the blocking and timed forms of a role's call
//! taken in turn ([`RecvInTurn`], [`SendInTurn`]), Ctrl-Z and a debugger's visits to a peer, storms of
//! them ([`storm`]), and example programs started as programs of their own.
//! Included with `#[path]`: not a test target of its own.

use std::ops::Range;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Reader, Writer};
use sysv_ipc::mpsc::{Mpsc, MpscOptions, Receiver, Sender};
use sysv_ipc::table::Table;
use sysv_ipc::{Backend, Intent, Key, Mode, Removable, Result, SendError, ShmType};
use sysv_ipc_testkit::{Peer, as_user, fork_peer};

/// The key of each test's objects ([`Fx::at`]: the keys after it).
pub const KEY: Key = Key::new(0x5553_0001);
/// The other user (uid and gid) of the permission tests: `nobody`.
pub const OTHER: u32 = 65534;
/// Longer than any test: a timed call that must not end on its own.
pub const LONG: Duration = Duration::from_secs(60);
/// How long a test waits for a peer to join before it fails.
const JOINED: Duration = Duration::from_secs(10);

/// What `Mpsc` in these tests is made with (a joiner gives the creator's).
pub fn mpsc_options() -> MpscOptions {
    MpscOptions::new().producers(2)
}

/// A test's backend, key and mode: creates its objects (`CreateNew`), joins them
/// (`Open`), and hands itself to the processes it starts.
#[derive(Clone)]
pub struct Fx<B> {
    b: B,
    key: Key,
    mode: Mode,
}

impl<B: Backend + Clone> Fx<B> {
    /// [`KEY`], mode 0o600.
    pub fn new(b: B) -> Fx<B> {
        Fx {
            b,
            key: KEY,
            mode: Mode::OWNER_RW,
        }
    }

    /// The same, `n` keys after [`KEY`].
    pub fn at(&self, n: i32) -> Fx<B> {
        Fx {
            key: Key::new(KEY.raw() + n),
            ..self.clone()
        }
    }

    /// The same, creating with `mode`.
    pub fn mode(&self, mode: Mode) -> Fx<B> {
        Fx {
            mode,
            ..self.clone()
        }
    }

    pub fn backend(&self) -> B {
        self.b.clone()
    }

    pub fn key(&self) -> Key {
        self.key
    }

    pub fn broadcast<T: ShmType, const N: usize>(&self, o: BroadcastOptions) -> Broadcast<T, N, B> {
        Broadcast::create_with(self.backend(), self.key, Intent::CreateNew, self.mode, o).unwrap()
    }

    pub fn try_join_broadcast<T: ShmType, const N: usize>(
        &self,
        o: BroadcastOptions,
    ) -> Result<Broadcast<T, N, B>> {
        Broadcast::create_with(self.backend(), self.key, Intent::Open, Mode::OWNER_RW, o)
    }

    pub fn join_broadcast<T: ShmType, const N: usize>(
        &self,
        o: BroadcastOptions,
    ) -> Broadcast<T, N, B> {
        self.try_join_broadcast(o).unwrap()
    }

    /// An `Mpsc` of [`mpsc_options`].
    pub fn mpsc<T: ShmType, const N: usize>(&self) -> Mpsc<T, N, B> {
        let o = mpsc_options();
        Mpsc::create_with(self.backend(), self.key, Intent::CreateNew, self.mode, o).unwrap()
    }

    pub fn try_join_mpsc<T: ShmType, const N: usize>(&self) -> Result<Mpsc<T, N, B>> {
        let o = mpsc_options();
        Mpsc::create_with(self.backend(), self.key, Intent::Open, Mode::OWNER_RW, o)
    }

    pub fn join_mpsc<T: ShmType, const N: usize>(&self) -> Mpsc<T, N, B> {
        self.try_join_mpsc().unwrap()
    }

    pub fn table<T: ShmType, const N: usize>(&self) -> Table<T, N, B> {
        Table::create_in(self.backend(), self.key, Intent::CreateNew, self.mode).unwrap()
    }

    /// `f` in a forked peer process, given this fixture.
    pub fn peer(&self, f: impl FnOnce(Fx<B>)) -> Peer {
        let fx = self.clone();
        fork_peer(move || f(fx))
    }

    /// `f` in a child process of uid and gid [`OTHER`], given this fixture; waits
    /// for it.
    pub fn as_other(&self, f: impl FnOnce(Fx<B>)) {
        let fx = self.clone();
        as_user(OTHER, OTHER, move || f(fx));
    }
}

/// Waits until `joined` says the peer joined; panics with `what` after 10 s.
pub fn until(what: &str, mut joined: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !joined() {
        assert!(t0.elapsed() < JOINED, "{what}");
        std::thread::yield_now();
    }
}

/// A receiving role's blocking and timed ([`LONG`]) forms taken in turn: call `i`
/// is `recv_blocking` when `i` is even, `recv_timeout` when it is odd.
pub trait RecvInTurn<T> {
    fn recv_in_turn(&mut self, i: u64) -> Result<T>;
}

/// [`RecvInTurn`] for a sending role: `send_blocking`, `send_timeout`.
pub trait SendInTurn<T> {
    fn send_in_turn(&mut self, i: u64, value: T) -> core::result::Result<(), SendError<T>>;
}

// The roles of both kinds have the same call forms but no trait in common.
macro_rules! in_turn {
    ($tr:ident for $($role:ident),* => $body:tt) => {$(
        impl<T: ShmType, const N: usize, B: Backend> $tr<T> for $role<T, N, B> $body
    )*};
}

in_turn! { RecvInTurn for Reader, Receiver => {
    fn recv_in_turn(&mut self, i: u64) -> Result<T> {
        if i.is_multiple_of(2) {
            self.recv_blocking()
        } else {
            self.recv_timeout(LONG)
        }
    }
}}

in_turn! { SendInTurn for Writer, Sender => {
    fn send_in_turn(&mut self, i: u64, value: T) -> core::result::Result<(), SendError<T>> {
        if i.is_multiple_of(2) {
            self.send_blocking(value)
        } else {
            self.send_timeout(value, LONG)
        }
    }
}}

/// `send_in_turn(v, v)` for each `v` of `values`: each sent.
pub fn send_each_in_turn(tx: &mut impl SendInTurn<u64>, values: Range<u64>) {
    for v in values {
        let r = tx.send_in_turn(v, v);
        r.unwrap_or_else(|e| panic!("send {v}: {}", e.error()));
    }
}

/// `recv_in_turn(want)` for each `want` of `values`: each gets `want`.
pub fn recv_each_in_turn(rx: &mut impl RecvInTurn<u64>, values: Range<u64>) {
    for want in values {
        let got = rx.recv_in_turn(want);
        assert_eq!(got.unwrap_or_else(|e| panic!("recv {want}: {e}")), want);
    }
}

// ---- example programs --------------------------------------------------------------------

/// `bin args...`, its output piped.
pub fn start(bin: &std::path::Path, args: &[&str]) -> Child {
    Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// What `child` printed, trimmed, once it exited 0.
pub fn finish(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{}: {o}{e}", out.status);
    o.trim().to_owned()
}

// Ctrl-Z and a debugger: `sysv_ipc_testkit::debugger`, re-exported here.
pub use sysv_ipc_testkit::debugger::*;

// ---- storms ------------------------------------------------------------------------------

/// Values per storm test: `SYSV_IPC_STOP_ITEMS`, else 40 000 (CI: about half a
/// second and a thousand stops each here; 300 000 took 4 s and 5 000 to 8 500
/// stops).
pub fn storm_items() -> u64 {
    std::env::var("SYSV_IPC_STOP_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40_000)
}

/// A one-page segment of done words, one per peer: how a peer tells the storm
/// it finished (a stop must not land on a peer that has exited).
pub struct Done<B: Backend>(sysv_ipc::Shm<[u64; 8], B>);

impl<B: Backend + Clone> Done<B> {
    pub fn new(b: B) -> Done<B> {
        Done(sysv_ipc::Shm::create_in(b, Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW).unwrap())
    }

    /// Peer `me`'s done word, for it to [`Flag::set`].
    pub fn flag(&self, me: usize) -> Flag<B> {
        Flag(self.0.segment().clone(), me)
    }

    pub fn remove(self) {
        self.0.segment().remove().unwrap();
    }
}

/// One peer's done word.
pub struct Flag<B: Backend>(sysv_ipc::Segment<B>, usize);

impl<B: Backend + Clone> Flag<B> {
    pub fn set(&self) {
        let one = 1u64.to_ne_bytes();
        self.0.attach().unwrap().write(self.1 * 8, &one).unwrap();
    }
}

/// Stops and continues each peer in turn with `stop`, 200 µs apart, until each
/// has set its done word or exited (a failed peer: its join says why), then
/// joins them all and removes `done`; panics unless a stop happened (the test
/// would have proved nothing). The stops made.
pub fn storm<B: Backend + Clone>(
    done: Done<B>,
    peers: Vec<Peer>,
    stop: fn(libc::pid_t) -> bool,
) -> u64 {
    let mut stops = 0;
    loop {
        let words = done.0.read();
        let running: Vec<_> = peers
            .iter()
            .enumerate()
            .filter(|&(i, p)| words[i] == 0 && !matches!(state(p.pid()), Some(b'Z' | b'X') | None))
            .map(|(_, p)| p.pid())
            .collect();
        if running.is_empty() {
            break;
        }
        for pid in running {
            stops += u64::from(stop(pid));
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    for p in peers {
        p.join();
    }
    assert!(stops > 0, "no stop happened: the test proved nothing");
    done.remove();
    stops
}
