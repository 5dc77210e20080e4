//! The `sysv-ipc` binary (the inspector), run as a program in a fresh IPC
//! namespace per test.
//!
//! What holds (asserted):
//!
//! - the table and the JSON list every kind with its known state: kind, layout
//!   version, fingerprint, size, capacity, occupancy, each registered role with
//!   its pid and liveness (alive for this process's, dead for a SIGKILLed
//!   holder's), the wake check; a plain segment as plain;
//! - a consumer asleep in `dequeue_blocking` is shown parked, and not once woken;
//! - `--watch` prints, for a broadcast a thread writes at a rate it controls, a
//!   rate within 10 % of the rate the test computes from its own counts;
//! - `clean --dry-run` lists exactly the objects whose holders were SIGKILLed (at
//!   random points) with nothing attached, and `clean` removes exactly those,
//!   never a live holder's or an attached one's; as uid 65534 the list shows
//!   root's 0600 object as unreadable and its 0644 ones in full, and `clean`
//!   lists and removes only its own, saying it skips root's;
//! - `doctor` passes with the namespace's default limits and, with `shmmax` and
//!   `kernel.sem` lowered, names each short limit and prints the exact sysctl
//!   commands, which, run, make it pass;
//! - the listing writes no byte: every segment is the same before and after.

use std::collections::BTreeSet;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use sysv_ipc::broadcast::{Broadcast, BroadcastOptions, Start};
use sysv_ipc::info;
use sysv_ipc::mpsc::{Mpsc, MpscOptions};
use sysv_ipc::queue::Queue;
use sysv_ipc::seqlock::SeqLock;
use sysv_ipc::table::Table;
use sysv_ipc::{Intent, Key, Mode, Segment, fingerprint};
use sysv_ipc_testkit::{as_user, fork_peer, in_ipc_namespace, needs_root, set_sysctl};

const NOBODY: u32 = 65534;

/// The binary, opened once: in `SYSV_IPC_TOOLS_DIR` (`.ci/unprivileged`, where
/// the target directory may be out of reach), or as cargo built it.
static BINARY: OnceLock<File> = OnceLock::new();

/// The binary as a path to run: `/proc/self/fd/N` of the open file, whose
/// `execve` needs only the file's own permission, not the right to walk the
/// directories above it (as `tools/tests/tools.rs` does), so that a test can run
/// it as uid 65534 once it was opened before dropping root: every test opens it
/// first.
fn binary() -> String {
    let file = BINARY.get_or_init(|| {
        let path = match std::env::var_os("SYSV_IPC_TOOLS_DIR") {
            Some(dir) => PathBuf::from(dir).join("sysv-ipc"),
            None => PathBuf::from(env!("CARGO_BIN_EXE_sysv-ipc")),
        };
        File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    });
    format!("/proc/self/fd/{}", file.as_raw_fd())
}

fn run(args: &[&str]) -> Output {
    Command::new(binary())
        .arg0("sysv-ipc")
        .args(args)
        .output()
        .expect("run sysv-ipc")
}

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "sysv-ipc {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(args)).unwrap()
}

/// The JSON object of segment `shmid`.
fn by_id(list: &Value, shmid: i32) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|o| o["shmid"] == shmid)
        .unwrap_or_else(|| panic!("shmid {shmid} not listed: {list}"))
}

/// `(role, pid, liveness)` of each registered role of `o`.
fn roles(o: &Value) -> Vec<(String, u64, String)> {
    o["layout"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                format!("{}{}", r["role"].as_str().unwrap(), r["seat"]),
                r["pid"].as_u64().unwrap_or(0),
                r["liveness"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn me() -> u64 {
    u64::from(std::process::id())
}

/// A process that runs `f` and then sleeps until killed; returns once `ready`
/// says it has done its part.
fn holder(f: impl FnOnce() + 'static, ready: impl Fn() -> bool) -> sysv_ipc_testkit::Peer {
    let peer = fork_peer(move || {
        f();
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "the holder never got ready");
        std::thread::sleep(Duration::from_millis(2));
    }
    peer
}

fn alive_roles(shmid: i32) -> usize {
    info::inspect(shmid)
        .ok()
        .and_then(|i| i.layout().is_some().then(|| i.counts().ok()).flatten())
        .map_or(0, |c| c.alive)
}

#[test]
fn table_and_json_of_every_kind() {
    binary();
    in_ipc_namespace(|| {
        let mode = Mode::OWNER_RW;
        let new = Intent::CreateNew;
        let q = Queue::<u64, 8>::create(Key::new(0x10), new, mode).unwrap();
        let s = SeqLock::<u64>::create(Key::new(0x11), new, mode).unwrap();
        let bc = Broadcast::<u64, 16>::create_with(
            Default::default(),
            Key::new(0x12),
            new,
            mode,
            BroadcastOptions::new().readers(2),
        )
        .unwrap();
        let m = Mpsc::<u64, 8>::create_with(
            Default::default(),
            Key::new(0x13),
            new,
            mode,
            MpscOptions::new().producers(2),
        )
        .unwrap();
        let t = Table::<u64, 4>::create(Key::new(0x14), new, mode).unwrap();
        let plain = Segment::create(Key::new(0x15), 1000, new, mode).unwrap();
        // This process: the queue's producer (3 values in), the seqlock's writer,
        // the broadcast's writer, the ring's consumer.
        let mut tx = q.producer().unwrap();
        for i in 0..3 {
            tx.enqueue(i).unwrap();
        }
        let mut w = s.writer().unwrap();
        w.write(&5).unwrap();
        let mut bw = bc.writer().unwrap();
        bw.send(1).unwrap();
        let _mrx = m.consumer().unwrap();
        // A holder, killed: the queue's consumer, a broadcast reader, a ring
        // producer, the table's writer.
        let ids = [
            q.segment().id(),
            bc.segment().id(),
            m.segment().id(),
            t.segment().id(),
        ];
        let peer = holder(
            move || {
                let q = Queue::<u64, 8>::open(Key::new(0x10)).unwrap();
                std::mem::forget(q.consumer().unwrap());
                let bc = Broadcast::<u64, 16>::create_with(
                    Default::default(),
                    Key::new(0x12),
                    Intent::Open,
                    Mode::OWNER_RW,
                    BroadcastOptions::new().readers(2),
                )
                .unwrap();
                std::mem::forget(bc.reader(Start::Oldest).unwrap());
                let m = Mpsc::<u64, 8>::create_with(
                    Default::default(),
                    Key::new(0x13),
                    Intent::Open,
                    Mode::OWNER_RW,
                    MpscOptions::new().producers(2),
                )
                .unwrap();
                let mut p = m.producer().unwrap();
                p.send(7).unwrap();
                std::mem::forget(p);
                let t = Table::<u64, 4>::open(Key::new(0x14)).unwrap();
                let mut tw = t.writer().unwrap();
                tw.write(1, &11).unwrap();
                std::mem::forget(tw);
                std::mem::forget((q, bc, m, t));
            },
            // The table's write is the holder's last step.
            move || {
                info::inspect(ids[3])
                    .ok()
                    .and_then(|i| i.layout().and_then(|l| l.messages()))
                    == Some(2)
            },
        );
        let dead = u64::try_from(peer.pid()).unwrap();
        drop(peer); // SIGKILL, reaped
        let before = snapshot();

        let list = json(&["--json"]);
        let fp = format!("{:016x}", fingerprint::<u64>());
        let qo = by_id(&list, q.segment().id());
        assert_eq!(qo["kind"], "Queue");
        assert_eq!(qo["key"], 0x10);
        assert_eq!(qo["layout"]["version"], info::LAYOUT_VERSION);
        assert_eq!(qo["layout"]["fingerprint"], fp);
        assert_eq!(qo["layout"]["capacity"], 8);
        assert_eq!(qo["layout"]["occupancy"], 3);
        assert_eq!(qo["layout"]["messages"], 3);
        assert_eq!(qo["size"], 384 + 8 * 16);
        // This process's attachments (the handle's, the producer's), not the
        // inspector's own.
        let attached = info::inspect(q.segment().id()).unwrap().stat().nattch;
        assert!(attached >= 1);
        assert_eq!(qo["attached"], attached);
        assert!(qo["layout"]["barrier"].is_string());
        assert_eq!(qo["layout"]["creator_pid"], me());
        assert_eq!(qo["cpid"], me());
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(
            (qo["uid"].as_u64(), qo["creator_uid"].as_u64()),
            (Some(euid.into()), Some(euid.into()))
        );
        assert_eq!(qo["key_hex"], "0x00000010");
        assert!(qo["age_seconds"].as_i64().is_some_and(|a| a >= 0));
        assert_eq!(
            roles(qo),
            [
                ("producer0".to_owned(), me(), "alive".to_owned()),
                ("consumer0".to_owned(), dead, "dead".to_owned())
            ]
        );
        let so = by_id(&list, s.segment().id());
        assert_eq!(
            (so["kind"].as_str(), so["layout"]["messages"].as_u64()),
            (Some("SeqLock"), Some(1))
        );
        assert_eq!(
            roles(so),
            [("writer0".to_owned(), me(), "alive".to_owned())]
        );
        assert_eq!(so["layout"]["barrier"], Value::Null);
        let bo = by_id(&list, bc.segment().id());
        assert_eq!(
            (bo["kind"].as_str(), bo["layout"]["capacity"].as_u64()),
            (Some("Broadcast"), Some(16))
        );
        assert_eq!(bo["layout"]["seats"], 3);
        assert_eq!(
            roles(bo),
            [
                ("writer0".to_owned(), me(), "alive".to_owned()),
                ("reader0".to_owned(), dead, "dead".to_owned())
            ]
        );
        // The dead reader joined at the oldest message, 1 behind the writer.
        assert_eq!(bo["layout"]["roles"][1]["lag"], 1);
        assert_eq!(bo["layout"]["roles"][0]["lag"], Value::Null);
        let mo = by_id(&list, m.segment().id());
        assert_eq!(
            (mo["kind"].as_str(), mo["layout"]["occupancy"].as_u64()),
            (Some("Mpsc"), Some(1))
        );
        assert_eq!(
            roles(mo),
            [
                ("consumer0".to_owned(), me(), "alive".to_owned()),
                ("producer0".to_owned(), dead, "dead".to_owned())
            ]
        );
        let to = by_id(&list, t.segment().id());
        // A table's version: one for the writer's arrival, one for its write.
        assert_eq!(
            (to["kind"].as_str(), to["layout"]["messages"].as_u64()),
            (Some("Table"), Some(2))
        );
        assert_eq!(roles(to), [("writer0".to_owned(), dead, "dead".to_owned())]);
        let po = by_id(&list, plain.id());
        assert_eq!(
            (po["kind"].clone(), po["plain"].as_str()),
            (Value::Null, Some("plain"))
        );
        assert_eq!(po["size"], 1000);

        // The table: a line per segment with the same facts.
        let table = stdout(&[]);
        let line = |id: i32| {
            table
                .lines()
                .find(|l| l.split_whitespace().nth(1) == Some(&id.to_string()))
                .unwrap_or_else(|| panic!("{id} not in\n{table}"))
                .to_owned()
        };
        assert!(table.starts_with("KEY "), "{table}");
        let ql = line(q.segment().id());
        let qcols: Vec<&str> = ql.split_whitespace().collect();
        assert_eq!(
            &qcols[..8],
            [
                "0x00000010",
                &q.segment().id().to_string(),
                "Queue",
                &info::LAYOUT_VERSION.to_string(),
                &fp,
                "512",
                "8",
                "3"
            ]
        );
        assert!(
            ql.contains(&format!("producer={}/alive consumer={dead}/dead", me())),
            "{ql}"
        );
        let bl = line(bc.segment().id());
        assert!(
            bl.contains(&format!("writer={}/alive reader0={dead}/dead", me())),
            "{bl}"
        );
        let ml = line(m.segment().id());
        assert!(
            ml.contains(&format!("consumer={}/alive producer0={dead}/dead", me())),
            "{ml}"
        );
        assert!(line(t.segment().id()).contains(&format!("writer={dead}/dead")));
        assert!(line(s.segment().id()).contains(&format!("writer={}/alive", me())));
        assert!(line(plain.id()).contains(" plain "));
        // `list` is the default.
        assert_eq!(stdout(&["list"]), table);

        // Nothing was written.
        assert_eq!(snapshot(), before);
        drop((tx, w, bw));
    });
}

/// Every segment's bytes, by id.
fn snapshot() -> Vec<(i32, Vec<u8>)> {
    info::segments()
        .unwrap()
        .map(Result::unwrap)
        .filter_map(|(id, stat)| {
            let att = Segment::from_id(sysv_ipc::DefaultBackend::default(), id)
                .attach_read_only()
                .ok()?;
            let mut bytes = vec![0u8; stat.size];
            att.read(0, &mut bytes).unwrap();
            Some((id, bytes))
        })
        .collect()
}

#[test]
fn watch_rates_match_the_stream() {
    binary();
    in_ipc_namespace(|| {
        let bc = Broadcast::<u64, 1024>::create(Key::new(0x20), Intent::CreateNew, Mode::OWNER_RW)
            .unwrap();
        let id = bc.segment().id();
        let stop = Arc::new(AtomicBool::new(false));
        // 40 messages every 10 ms (about 4000 a second), each one's instant
        // recorded: message `m` (1-based) was published at `sent[m - 1]`.
        let writer = {
            let stop = stop.clone();
            let mut w = bc.writer().unwrap();
            std::thread::spawn(move || {
                let mut sent = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..40 {
                        w.send(sent.len() as u64).unwrap();
                        sent.push(Instant::now());
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                sent
            })
        };
        std::thread::sleep(Duration::from_millis(300)); // streaming
        let out = stdout(&["--watch", "--json", "--count", "4"]);
        stop.store(true, Ordering::Relaxed);
        let sent = writer.join().unwrap();
        let refreshes: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(refreshes.len(), 4, "{out}");
        // The first refresh has no earlier reading.
        assert_eq!(by_id(&refreshes[0], id)["messages_per_second"], Value::Null);
        // The true rate between two readings: the messages between the counts the
        // tool read, over the time the writer took to publish them, by its clock.
        // (Not the tool's clock, and not a rate assumed from the sleeps: a loaded
        // machine slows the writer, and that is the rate the tool must show.)
        let count = |r: &Value| by_id(r, id)["layout"]["messages"].as_u64().unwrap() as usize;
        for pair in refreshes.windows(2) {
            let (m0, m1) = (count(&pair[0]), count(&pair[1]));
            assert!(m1 > m0 && m0 > 0, "{m0} then {m1}");
            let dt = sent[m1 - 1].duration_since(sent[m0 - 1]).as_secs_f64();
            let true_rate = (m1 - m0) as f64 / dt;
            let rate = by_id(&pair[1], id)["messages_per_second"].as_f64().unwrap();
            let error = (rate - true_rate).abs() / true_rate;
            assert!(error <= 0.10, "printed {rate:.0}/s, true {true_rate:.0}/s");
        }
        // The table shows the same column.
        let table = stdout(&["--watch", "--count", "2"]);
        assert!(table.contains("MSG/S"), "{table}");
    });
}

/// Keys of the set at `base`: a queue and a seqlock.
fn streaming_holder(base: i32, mode: Mode) -> (sysv_ipc_testkit::Peer, [i32; 2]) {
    let peer = fork_peer(move || {
        let q = Queue::<u64, 8>::create(Key::new(base), Intent::OpenOrCreate, mode).unwrap();
        let s = SeqLock::<u64>::create(Key::new(base + 1), Intent::OpenOrCreate, mode).unwrap();
        let (mut tx, mut rx) = q.split().unwrap();
        let mut w = s.writer().unwrap();
        for i in 0.. {
            tx.enqueue(i).unwrap();
            rx.dequeue().unwrap();
            w.write(&i).unwrap();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let ids = loop {
        let ids = [base, base + 1].map(|k| Segment::open(Key::new(k)).ok().map(|s| s.id()));
        if let [Some(a), Some(b)] = ids
            && alive_roles(a) == 2
            && alive_roles(b) == 1
        {
            break [a, b];
        }
        assert!(Instant::now() < deadline, "the holder never took its roles");
        std::thread::sleep(Duration::from_millis(2));
    };
    (peer, ids)
}

/// Kills `peer` at a random point of its streaming.
fn kill_at_random(peer: sysv_ipc_testkit::Peer) {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::thread::sleep(Duration::from_micros(u64::from(nanos % 20_000)));
    drop(peer); // SIGKILL, reaped
}

/// The shmids `clean` printed (`... shmid N ...`).
fn shmids(text: &str) -> BTreeSet<i32> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "shmid")?;
            words.next()?.parse().ok()
        })
        .collect()
}

fn segment_ids() -> BTreeSet<i32> {
    info::segments().unwrap().map(|e| e.unwrap().0).collect()
}

#[test]
fn clean_removes_exactly_the_abandoned() {
    binary();
    in_ipc_namespace(|| {
        let (a, dead1) = streaming_holder(0x100, Mode::OWNER_RW);
        kill_at_random(a);
        let (b, dead2) = streaming_holder(0x200, Mode::OWNER_RW);
        kill_at_random(b);
        // Dead holder, but attached here: kept.
        let (c, attached) = streaming_holder(0x300, Mode::OWNER_RW);
        let keep = Queue::<u64, 8>::open(Key::new(0x300)).unwrap();
        let keep2 = SeqLock::<u64>::open(Key::new(0x301)).unwrap();
        kill_at_random(c);
        // Alive: kept.
        let (live, alive) = streaming_holder(0x400, Mode::OWNER_RW);

        let abandoned: BTreeSet<i32> = dead1.iter().chain(&dead2).copied().collect();
        let dry = stdout(&["clean", "--dry-run"]);
        assert_eq!(shmids(&dry), abandoned, "{dry}");
        assert!(
            dry.lines().all(|l| l.starts_with("would remove key 0x")),
            "{dry}"
        );
        assert!(dry.contains("(Queue) and semaphore set"), "{dry}");
        assert!(dry.contains("every role holder died (2 dead)"), "{dry}");
        let as_json = json(&["clean", "--dry-run", "--json"]);
        let listed: BTreeSet<i32> = as_json
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                assert_eq!(o["action"], "would remove");
                assert!(o["semid"].is_i64(), "{o}");
                i32::try_from(o["shmid"].as_i64().unwrap()).unwrap()
            })
            .collect();
        assert_eq!(listed, abandoned);
        let all = segment_ids();
        assert_eq!(segment_ids(), all, "--dry-run removed something");

        let done = stdout(&["clean"]);
        assert_eq!(shmids(&done), abandoned, "{done}");
        assert!(
            done.lines().all(|l| l.starts_with("removed key 0x")),
            "{done}"
        );
        assert_eq!(segment_ids(), &all - &abandoned);
        for id in attached.iter().chain(&alive) {
            assert!(segment_ids().contains(id));
        }
        assert_eq!(stdout(&["clean", "--dry-run"]), "");
        drop((keep, keep2, live));
    });
}

#[test]
fn clean_as_nobody_only_its_own() {
    if !needs_root("clean_as_nobody_only_its_own") {
        return;
    }
    binary();
    in_ipc_namespace(|| {
        let (a, roots) = streaming_holder(0x100, Mode::new(0o644));
        kill_at_random(a);
        // Root's, not readable by others: listed as a segment nobody else may
        // read, without its header.
        let secret =
            Queue::<u64, 8>::create(Key::new(0x150), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let secret_id = secret.segment().id();
        as_user(NOBODY, NOBODY, move || {
            let list = json(&["--json"]);
            let o = by_id(&list, secret_id);
            assert_eq!(o["kind"], Value::Null);
            assert!(
                o["plain"].as_str().unwrap().starts_with("unreadable"),
                "{o}"
            );
            assert_eq!(by_id(&list, roots[0])["kind"], "Queue");
            let (b, own) = streaming_holder(0x200, Mode::OWNER_RW);
            kill_at_random(b);
            let out = run(&["clean", "--dry-run"]);
            let text = String::from_utf8(out.stdout).unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(out.status.success(), "{err}");
            assert_eq!(shmids(&text), own.into_iter().collect(), "{text}");
            // Root's, readable (0644), is skipped, and said so.
            assert_eq!(shmids(&err), roots.into_iter().collect(), "{err}");
            assert!(err.contains("not removable by uid 65534"), "{err}");
            let out = run(&["clean"]);
            assert!(out.status.success());
            let ids = segment_ids();
            assert!(own.iter().all(|id| !ids.contains(id)));
            assert!(roots.iter().all(|id| ids.contains(id)));
        });
        // Root's are still there, and root may clean them.
        let done = stdout(&["clean"]);
        assert_eq!(shmids(&done), roots.into_iter().collect());
        drop(secret);
    });
}

#[test]
fn doctor_names_the_sysctls() {
    binary();
    in_ipc_namespace(|| {
        let args = [
            "doctor",
            "--kind",
            "queue",
            "--size",
            "64",
            "--capacity",
            "1024",
            "--count",
            "3",
        ];
        let out = stdout(&args);
        assert!(
            out.starts_with(
                "Queue of 64-byte values, 1024 slots: a segment of 74112 bytes (19 pages of 4096) and a set of 4 semaphores each; 3 objects\n"
            ),
            "{out}"
        );
        assert!(out.ends_with("Every limit suffices.\n"), "{out}");

        set_sysctl("kernel/shmmax", 65536);
        set_sysctl("kernel/sem", "3 1000 500 2");
        let short = run(&args);
        assert_eq!(short.status.code(), Some(1));
        let text = String::from_utf8(short.stdout).unwrap();
        let words: Vec<String> = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        for want in [
            "ok kernel.shmall",
            "ok kernel.shmmni",
            "SHORT kernel.shmmax is 65536, needs 74112",
            "SHORT kernel.sem semmsl is 3, needs 4",
            "ok kernel.sem semmns",
            "SHORT kernel.sem semmni is 2, needs 3",
        ] {
            assert!(words.iter().any(|l| l == want), "{want:?} not in\n{text}");
        }
        let commands: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("sysctl -w "))
            .collect();
        assert_eq!(
            commands,
            [
                "sysctl -w kernel.shmmax=74112",
                "sysctl -w kernel.sem=\"4 1000 500 3\""
            ]
        );
        // Running them (here: writing the same values) makes it pass.
        set_sysctl("kernel/shmmax", 74112);
        set_sysctl("kernel/sem", "4 1000 500 3");
        assert!(stdout(&args).ends_with("Every limit suffices.\n"));
        // And the objects fit.
        let made: Vec<_> = (0..3)
            .map(|k| {
                Queue::<[u8; 64], 1024>::create(
                    Key::new(0x50 + k),
                    Intent::CreateNew,
                    Mode::OWNER_RW,
                )
                .unwrap()
            })
            .collect();
        assert_eq!(made.len(), 3);
        // A shape no type has.
        assert_eq!(
            run(&[
                "doctor",
                "--kind",
                "queue",
                "--size",
                "8",
                "--capacity",
                "1000"
            ])
            .status
            .code(),
            Some(2)
        );
    });
}

/// A consumer asleep in `dequeue_blocking` on an empty queue is shown parked (its
/// waiting flag), in the JSON and the table, and no longer once a value woke it.
#[test]
fn a_parked_consumer() {
    binary();
    in_ipc_namespace(|| {
        let q = Queue::<u64, 8>::create(Key::new(0x30), Intent::CreateNew, Mode::OWNER_RW).unwrap();
        let mut tx = q.producer().unwrap();
        let consumer = fork_peer(|| {
            let q = Queue::<u64, 8>::open(Key::new(0x30)).unwrap();
            let mut rx = q.consumer().unwrap();
            assert_eq!(rx.dequeue_blocking().unwrap(), 42);
        });
        sysv_ipc_testkit::wait_until_blocked(consumer.pid());
        let id = q.segment().id();
        let list = json(&["--json"]);
        let o = by_id(&list, id);
        assert_eq!(o["layout"]["parked"], serde_json::json!(["consumer"]));
        let parked: Vec<_> = o["layout"]["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["role"].as_str().unwrap().to_owned(),
                    r["parked"].as_bool(),
                )
            })
            .collect();
        assert_eq!(
            parked,
            [
                ("producer".to_owned(), Some(false)),
                ("consumer".to_owned(), Some(true))
            ]
        );
        let table = stdout(&[]);
        let line = table
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(&id.to_string()))
            .unwrap();
        assert_eq!(line.split_whitespace().nth(10), Some("consumer"), "{table}");
        tx.enqueue(42).unwrap();
        consumer.join();
        let list = json(&["--json"]);
        assert_eq!(by_id(&list, id)["layout"]["parked"], serde_json::json!([]));
    });
}
