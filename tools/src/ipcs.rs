//! `ipcs`: util-linux 2.38's report of message queues, semaphore sets and shared
//! memory segments, column for column, from the crate's enumeration
//! ([`sysv_ipc::info`]) rather than `/proc/sysvipc`.
//!
//! Where util-linux reads a number from `/proc` the crate asks the kernel for the
//! same number: the `kernel.msgmni`-style limits come from `IPC_INFO`, the objects
//! from `*_STAT_ANY` (which, like `/proc/sysvipc`, lists objects the caller cannot
//! read).
//!
//! `ipcs` prints with fixed `printf` formats: unlike `lsipc`, it looks neither at
//! the terminal nor at `COLUMNS`.

use sysv_ipc::info;
use sysv_ipc::msg::{MsgQueue, MsgQueueStat};
use sysv_ipc::{Errno, Perm, SegmentStat, SemSet, SemSetStat};

use crate::cli::{Arg, Exit, Getopt, Io, Item, LongOpt, out};
use crate::text::{self, ctime, cut, human_size};

/// How sizes are printed (`IPC_UNIT_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Unit {
    Default,
    Bytes,
    Kb,
    Human,
}

/// The output option in force: the last of `-l -u -c -t -p` wins.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Format {
    Default,
    Limits,
    Status,
    Creator,
    Time,
    Pid,
}

const OPT_HUMAN: u32 = 0x80;

const LONG: &[LongOpt] = &[
    LongOpt {
        name: "id",
        arg: Arg::Required,
        val: 'i' as u32,
    },
    LongOpt {
        name: "queues",
        arg: Arg::No,
        val: 'q' as u32,
    },
    LongOpt {
        name: "shmems",
        arg: Arg::No,
        val: 'm' as u32,
    },
    LongOpt {
        name: "semaphores",
        arg: Arg::No,
        val: 's' as u32,
    },
    LongOpt {
        name: "all",
        arg: Arg::No,
        val: 'a' as u32,
    },
    LongOpt {
        name: "time",
        arg: Arg::No,
        val: 't' as u32,
    },
    LongOpt {
        name: "pid",
        arg: Arg::No,
        val: 'p' as u32,
    },
    LongOpt {
        name: "creator",
        arg: Arg::No,
        val: 'c' as u32,
    },
    LongOpt {
        name: "limits",
        arg: Arg::No,
        val: 'l' as u32,
    },
    LongOpt {
        name: "summary",
        arg: Arg::No,
        val: 'u' as u32,
    },
    LongOpt {
        name: "human",
        arg: Arg::No,
        val: OPT_HUMAN,
    },
    LongOpt {
        name: "bytes",
        arg: Arg::No,
        val: 'b' as u32,
    },
    LongOpt {
        name: "version",
        arg: Arg::No,
        val: 'V' as u32,
    },
    LongOpt {
        name: "help",
        arg: Arg::No,
        val: 'h' as u32,
    },
];

const USAGE: &str = "
Usage:
 ipcs [resource-option...] [output-option]
 ipcs -m|-q|-s -i <id>

Show information on IPC facilities.

Options:
 -i, --id <id>  print details on resource identified by <id>
 -h, --help     display this help
 -V, --version  display version

Resource options:
 -m, --shmems      shared memory segments
 -q, --queues      message queues
 -s, --semaphores  semaphores
 -a, --all         all (default)

Output options:
 -t, --time        show attach, detach and change times
 -p, --pid         show PIDs of creator and last operator
 -c, --creator     show creator and owner
 -l, --limits      show resource limits
 -u, --summary     show status summary
     --human       show sizes in human-readable format
 -b, --bytes       show sizes in bytes

For more details see ipcs(1).
";

/// `ipcs [options]`: writes the report to `io` and returns the exit status.
pub fn main(args: &[String], io: &mut Io<'_>) -> Result<(), Exit> {
    let (mut msg, mut shm, mut sem) = (false, false, false);
    let mut id = None;
    let mut format = Format::Default;
    let mut unit = Unit::Default;
    let mut opts = Getopt::new(args, "i:qmsatpclubVh", LONG);
    for item in opts.by_ref() {
        let (c, arg) = match item {
            Item::Opt(c, arg) => (c, arg),
            Item::Bad(msg) => return Err(io.bad_option(&msg)),
        };
        match char::from_u32(c).unwrap_or('\0') {
            'i' => {
                let arg = arg.unwrap_or_default();
                id = Some(
                    text::strtos32(&arg, "failed to parse id argument").map_err(|m| io.errx(&m))?,
                );
            }
            'a' => (msg, shm, sem) = (true, true, true),
            'q' => msg = true,
            'm' => shm = true,
            's' => sem = true,
            't' => format = Format::Time,
            'c' => format = Format::Creator,
            'p' => format = Format::Pid,
            'l' => format = Format::Limits,
            'u' => format = Format::Status,
            'b' => unit = Unit::Bytes,
            'h' => {
                out!(io, "{USAGE}");
                return Ok(());
            }
            'V' => return Err(io.version()),
            _ if c == OPT_HUMAN => unit = Unit::Human,
            _ => return Err(io.try_help()),
        }
    }
    // Operands are ignored, as by util-linux.
    if let Some(id) = id {
        if u8::from(msg) + u8::from(shm) + u8::from(sem) != 1 {
            return Err(io.errx("when using an ID, a single resource must be specified"));
        }
        if msg {
            print_msg(io, id, unit);
        }
        if shm {
            print_shm(io, id, unit);
        }
        if sem {
            print_sem(io, id)?;
        }
        return Ok(());
    }
    if !msg && !shm && !sem {
        (msg, shm, sem) = (true, true, true);
    }
    out!(io, "\n");
    if msg {
        do_msg(io, format, unit);
        out!(io, "\n");
    }
    if shm {
        do_shm(io, format, unit);
        out!(io, "\n");
    }
    if sem {
        do_sem(io, format);
        out!(io, "\n");
    }
    Ok(())
}

// ---- the objects, from the crate's enumeration ---------------------------------------

/// Every queue, segment or set; an entry the walk reports as an error is left out,
/// as util-linux skips a line of `/proc/sysvipc` it cannot parse.
fn queues() -> Vec<(i32, MsgQueueStat)> {
    info::message_queues().map_or_else(|_| Vec::new(), |it| it.flatten().collect())
}

fn segments() -> Vec<(i32, SegmentStat)> {
    info::segments().map_or_else(|_| Vec::new(), |it| it.flatten().collect())
}

fn sets() -> Vec<(i32, SemSetStat)> {
    info::semaphore_sets().map_or_else(|_| Vec::new(), |it| it.flatten().collect())
}

// ---- printf helpers ---------------------------------------------------------------

/// `printf("%#o", v)`.
fn alt_octal(v: u32) -> String {
    if v == 0 {
        String::from("0")
    } else {
        format!("0{v:o}")
    }
}

/// `ctime(&t) + 4` cut to 16 characters ("Nov 26 14:44:06 "), or "Not set".
fn short_time(t: i64) -> String {
    if t == 0 {
        return String::from("Not set");
    }
    let full = format!("{}\n", ctime(t));
    cut(full.get(4..).unwrap_or(""), 16).to_owned()
}

/// `ctime(&t)` cut to 24 characters, or "Not set" when `unset_if_zero` and 0.
fn long_time(t: i64, unset_if_zero: bool) -> String {
    if t == 0 && unset_if_zero {
        return String::from("Not set");
    }
    cut(&ctime(t), 24).to_owned()
}

/// `"%-W.10s"` of the owner's name, or `"%-Wu"` of the uid: ipcs's owner column.
fn owner(uid: u32) -> String {
    match text::user_name(uid) {
        Some(name) => format!("{:<10}", cut(&name, 10)),
        None => format!("{uid:<10}"),
    }
}

/// `ipc_print_size`: an optional label ("name (bytes) = ", or a label ending in '='
/// as is), the size in `unit` with printf width `width` (negative: left-aligned),
/// and `end`.
fn print_size(io: &mut Io<'_>, unit: Unit, label: Option<&str>, size: u64, end: &str, width: i32) {
    match label {
        None => {}
        Some(l) if l.ends_with('=') => out!(io, "{l}"),
        Some(l) if unit == Unit::Bytes => out!(io, "{l} (bytes) = "),
        Some(l) if unit == Unit::Kb => out!(io, "{l} (kbytes) = "),
        Some(l) => out!(io, "{l} = "),
    }
    let value = match unit {
        Unit::Default | Unit::Bytes => size.to_string(),
        Unit::Kb => (size / 1024).to_string(),
        Unit::Human => human_size(size),
    };
    let w = width.unsigned_abs() as usize;
    if width < 0 {
        out!(io, "{value:<w$}");
    } else {
        out!(io, "{value:>w$}");
    }
    out!(io, "{end}");
}

/// `ipc_print_perms`: id, mode, then creator and owner by name (or number).
fn print_perms(io: &mut Io<'_>, id: i32, p: &Perm) {
    let user = |uid: u32| text::user_name(uid).unwrap_or_else(|| uid.to_string());
    let group = |gid: u32| text::group_name(gid).unwrap_or_else(|| gid.to_string());
    out!(
        io,
        "{id:<10} {:<10o} {:<10} {:<10} {:<10} {:<10}\n",
        p.raw_mode & 0o777,
        user(p.cuid),
        group(p.cgid),
        user(p.uid),
        group(p.gid)
    );
}

// ---- shared memory ----------------------------------------------------------------

fn do_shm(io: &mut Io<'_>, format: Format, unit: Unit) {
    match format {
        Format::Limits => {
            let Ok(lim) = info::shm_limits() else {
                out!(io, "unable to fetch shared memory limits\n");
                return;
            };
            let pgsz = text::page_size();
            out!(io, "------ Shared Memory Limits --------\n");
            out!(io, "max number of segments = {}\n", lim.shmmni);
            let u = if unit == Unit::Default {
                Unit::Kb
            } else {
                unit
            };
            print_size(io, u, Some("max seg size"), lim.shmmax, "\n", 0);
            if matches!(unit, Unit::Kb | Unit::Default) {
                let k = pgsz / 1024;
                // An overflow prints the largest multiple of the factor, as there.
                let tmp = lim.shmall.checked_mul(k).unwrap_or(u64::MAX - u64::MAX % k);
                print_size(
                    io,
                    Unit::Default,
                    Some("max total shared memory (kbytes)"),
                    tmp,
                    "\n",
                    0,
                );
            } else {
                let tmp = lim
                    .shmall
                    .checked_mul(pgsz)
                    .unwrap_or(u64::MAX - u64::MAX % pgsz);
                print_size(io, unit, Some("max total shared memory"), tmp, "\n", 0);
            }
            let u = if unit == Unit::Default {
                Unit::Bytes
            } else {
                unit
            };
            print_size(io, u, Some("min seg size"), lim.shmmin, "\n", 0);
            return;
        }
        Format::Status => {
            let Ok(u) = info::shm_usage() else {
                out!(io, "kernel not configured for shared memory\n");
                return;
            };
            out!(io, "------ Shared Memory Status --------\n");
            // Every field of the kernel's shm_info, the `unsigned long`s as `%ld`.
            out!(
                io,
                "segments allocated {}\npages allocated {}\npages resident  {}\npages swapped   {}\nSwap performance: {} attempts\t {} successes\n",
                u.segments as i32,
                u.pages_total as i64,
                u.pages_resident as i64,
                u.pages_swapped as i64,
                u.swap_attempts as i64,
                u.swap_successes as i64
            );
            return;
        }
        Format::Creator => {
            out!(
                io,
                "------ Shared Memory Segment Creators/Owners --------\n"
            );
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10} {:<10} {:<10}\n",
                "shmid",
                "perms",
                "cuid",
                "cgid",
                "uid",
                "gid"
            );
        }
        Format::Time => {
            out!(
                io,
                "------ Shared Memory Attach/Detach/Change Times --------\n"
            );
            out!(
                io,
                "{:<10} {:<10} {:<20} {:<20} {:<20}\n",
                "shmid",
                "owner",
                "attached",
                "detached",
                "changed"
            );
        }
        Format::Pid => {
            out!(io, "------ Shared Memory Creator/Last-op PIDs --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10}\n",
                "shmid",
                "owner",
                "cpid",
                "lpid"
            );
        }
        Format::Default => {
            out!(io, "------ Shared Memory Segments --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10} {:<10} {:<10} {:<12}\n",
                "key",
                "shmid",
                "owner",
                "perms",
                if unit == Unit::Human { "size" } else { "bytes" },
                "nattch",
                "status"
            );
        }
    }
    for (id, s) in segments() {
        let p = &s.perm;
        match format {
            Format::Creator => print_perms(io, id, p),
            Format::Time => out!(
                io,
                "{id:<10} {} {:<20} {:<20} {:<20}\n",
                owner(p.uid),
                short_time(s.atime),
                short_time(s.dtime),
                short_time(s.ctime)
            ),
            Format::Pid => out!(
                io,
                "{id:<10} {} {:<10} {:<10}\n",
                owner(p.uid),
                s.cpid as u32,
                s.lpid as u32
            ),
            _ => {
                out!(
                    io,
                    "{} {id:<10} {} {:<10o} ",
                    p.key,
                    owner(p.uid),
                    p.raw_mode & 0o777
                );
                if unit == Unit::Human {
                    print_size(io, unit, None, s.size as u64, "    ", 6);
                } else {
                    print_size(io, unit, None, s.size as u64, "", -10);
                }
                out!(
                    io,
                    " {:<10} {:<6} {:<6}\n",
                    s.nattch,
                    if s.is_removed() { "dest" } else { " " },
                    if s.is_locked() { "locked" } else { " " }
                );
            }
        }
    }
}

fn print_shm(io: &mut Io<'_>, id: i32, unit: Unit) {
    let Some((_, s)) = segments().into_iter().find(|(i, _)| *i == id) else {
        io.warnx(&format!("id {id} not found"));
        return;
    };
    let p = &s.perm;
    out!(io, "\nShared memory Segment shmid={id}\n");
    out!(
        io,
        "uid={}\tgid={}\tcuid={}\tcgid={}\n",
        p.uid,
        p.gid,
        p.cuid,
        p.cgid
    );
    out!(
        io,
        "mode={}\taccess_perms={}\n",
        alt_octal(p.raw_mode),
        alt_octal(p.raw_mode & 0o777)
    );
    let label = if unit == Unit::Human {
        "size="
    } else {
        "bytes="
    };
    print_size(io, unit, Some(label), s.size as u64, "\t", 0);
    out!(
        io,
        "lpid={}\tcpid={}\tnattch={}\n",
        s.lpid as u32,
        s.cpid as u32,
        s.nattch
    );
    out!(io, "att_time={:<26}\n", long_time(s.atime, true));
    out!(io, "det_time={:<26}\n", long_time(s.dtime, true));
    out!(io, "change_time={:<26}\n", long_time(s.ctime, false));
    out!(io, "\n");
}

// ---- semaphores ----------------------------------------------------------------------

fn do_sem(io: &mut Io<'_>, format: Format) {
    match format {
        Format::Limits => {
            let Ok(lim) = info::sem_limits() else {
                out!(io, "unable to fetch semaphore limits\n");
                return;
            };
            out!(io, "------ Semaphore Limits --------\n");
            out!(io, "max number of arrays = {}\n", lim.semmni);
            out!(io, "max semaphores per array = {}\n", lim.semmsl);
            out!(io, "max semaphores system wide = {}\n", lim.semmns);
            out!(io, "max ops per semop call = {}\n", lim.semopm);
            out!(io, "semaphore max value = {}\n", lim.semvmx);
            return;
        }
        Format::Status => {
            let Ok(u) = info::sem_usage() else {
                out!(io, "kernel not configured for semaphores\n");
                return;
            };
            out!(io, "------ Semaphore Status --------\n");
            out!(io, "used arrays = {}\n", u.sets);
            out!(io, "allocated semaphores = {}\n", u.semaphores);
            return;
        }
        Format::Creator => {
            out!(io, "------ Semaphore Arrays Creators/Owners --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10} {:<10} {:<10}\n",
                "semid",
                "perms",
                "cuid",
                "cgid",
                "uid",
                "gid"
            );
        }
        Format::Time => {
            out!(io, "------ Semaphore Operation/Change Times --------\n");
            out!(
                io,
                "{:<8} {:<10} {:<26} {:<26}\n",
                "semid",
                "owner",
                "last-op",
                "last-changed"
            );
        }
        // util-linux has no PID view of semaphores: nothing, not even a header.
        Format::Pid => return,
        Format::Default => {
            out!(io, "------ Semaphore Arrays --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10} {:<10}\n",
                "key",
                "semid",
                "owner",
                "perms",
                "nsems"
            );
        }
    }
    for (id, s) in sets() {
        let p = &s.perm;
        match format {
            Format::Creator => print_perms(io, id, p),
            Format::Time => out!(
                io,
                "{id:<8} {}  {:<26} {:<26}\n",
                owner(p.uid),
                long_time(s.otime, true),
                long_time(s.ctime, true)
            ),
            _ => out!(
                io,
                "{} {id:<10} {} {:<10o} {:<10}\n",
                p.key,
                owner(p.uid),
                p.raw_mode & 0o777,
                s.nsems
            ),
        }
    }
}

/// One semaphore's value, waiter counts and last pid, each as `semctl` reports
/// it; the failing command's name otherwise.
fn element(set: &SemSet, num: u16) -> Result<[i64; 4], (&'static str, sysv_ipc::Error)> {
    let value = set.get(num).map_err(|e| ("semctl(GETVAL)", e))?;
    let ncount = set
        .waiting_for_increase(num)
        .map_err(|e| ("semctl(GETNCNT)", e))?;
    let zcount = set
        .waiting_for_zero(num)
        .map_err(|e| ("semctl(GETZCNT)", e))?;
    let pid = set.last_pid(num).map_err(|e| ("semctl(GETPID)", e))?;
    Ok([
        i64::from(value),
        ncount as i64,
        zcount as i64,
        i64::from(pid),
    ])
}

fn print_sem(io: &mut Io<'_>, id: i32) -> Result<(), Exit> {
    let Some((_, s)) = sets().into_iter().find(|(i, _)| *i == id) else {
        io.warnx(&format!("id {id} not found"));
        return Ok(());
    };
    // util-linux reads every element before printing anything, and stops at the
    // first failure (no read permission: EACCES).
    let set = SemSet::from_id(sysv_ipc::DefaultBackend::default(), id);
    let mut elements = Vec::with_capacity(s.nsems);
    for num in 0..s.nsems {
        let num = u16::try_from(num).unwrap_or(u16::MAX);
        match element(&set, num) {
            Ok(e) => elements.push(e),
            Err((call, e)) => {
                let errno = e.errno().unwrap_or(Errno::INVAL).raw_i32();
                return Err(io.err_errno(&format!("{call} failed"), errno));
            }
        }
    }
    let p = &s.perm;
    out!(io, "\nSemaphore Array semid={id}\n");
    out!(
        io,
        "uid={}\t gid={}\t cuid={}\t cgid={}\n",
        p.uid,
        p.gid,
        p.cuid,
        p.cgid
    );
    out!(
        io,
        "mode={}, access_perms={}\n",
        alt_octal(p.raw_mode),
        alt_octal(p.raw_mode & 0o777)
    );
    out!(io, "nsems = {}\n", s.nsems);
    out!(io, "otime = {:<26}\n", long_time(s.otime, true));
    out!(io, "ctime = {:<26}\n", long_time(s.ctime, false));
    out!(
        io,
        "{:<10} {:<10} {:<10} {:<10} {:<10}\n",
        "semnum",
        "value",
        "ncount",
        "zcount",
        "pid"
    );
    for (i, [value, ncount, zcount, pid]) in elements.iter().enumerate() {
        out!(
            io,
            "{i:<10} {value:<10} {ncount:<10} {zcount:<10} {pid:<10}\n"
        );
    }
    out!(io, "\n");
    Ok(())
}

// ---- message queues ------------------------------------------------------------------

fn do_msg(io: &mut Io<'_>, format: Format, unit: Unit) {
    match format {
        Format::Limits => {
            let Ok(lim) = info::msg_limits() else {
                out!(io, "unable to fetch message limits\n");
                return;
            };
            out!(io, "------ Messages Limits --------\n");
            out!(io, "max queues system wide = {}\n", lim.msgmni);
            let u = if unit == Unit::Default {
                Unit::Bytes
            } else {
                unit
            };
            print_size(
                io,
                u,
                Some("max size of message"),
                lim.msgmax as u64,
                "\n",
                0,
            );
            print_size(
                io,
                u,
                Some("default max size of queue"),
                lim.msgmnb as u64,
                "\n",
                0,
            );
            return;
        }
        Format::Status => {
            let Ok(u) = info::msg_usage() else {
                out!(io, "kernel not configured for message queues\n");
                return;
            };
            out!(io, "------ Messages Status --------\n");
            out!(io, "allocated queues = {}\n", u.queues);
            out!(io, "used headers = {}\n", u.messages);
            let end = if unit == Unit::Default {
                " bytes\n"
            } else {
                "\n"
            };
            print_size(io, unit, Some("used space"), u64::from(u.bytes), end, 0);
            return;
        }
        Format::Creator => {
            out!(io, "------ Message Queues Creators/Owners --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10} {:<10} {:<10}\n",
                "msqid",
                "perms",
                "cuid",
                "cgid",
                "uid",
                "gid"
            );
        }
        Format::Time => {
            out!(
                io,
                "------ Message Queues Send/Recv/Change Times --------\n"
            );
            out!(
                io,
                "{:<8} {:<10} {:<20} {:<20} {:<20}\n",
                "msqid",
                "owner",
                "send",
                "recv",
                "change"
            );
        }
        Format::Pid => {
            out!(io, "------ Message Queues PIDs --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10}\n",
                "msqid",
                "owner",
                "lspid",
                "lrpid"
            );
        }
        Format::Default => {
            out!(io, "------ Message Queues --------\n");
            out!(
                io,
                "{:<10} {:<10} {:<10} {:<10} {:<12} {:<12}\n",
                "key",
                "msqid",
                "owner",
                "perms",
                if unit == Unit::Human {
                    "size"
                } else {
                    "used-bytes"
                },
                "messages"
            );
        }
    }
    for (id, q) in queues() {
        let p = &q.perm;
        match format {
            Format::Creator => print_perms(io, id, p),
            Format::Time => out!(
                io,
                "{id:<8} {} {:<20} {:<20} {:<20}\n",
                owner(p.uid),
                short_time(q.send_time),
                short_time(q.recv_time),
                short_time(q.change_time)
            ),
            Format::Pid => out!(
                io,
                "{id:<8} {}  {:>5}     {:>5}\n",
                owner(p.uid),
                q.last_send_pid,
                q.last_recv_pid
            ),
            _ => {
                out!(
                    io,
                    "{} {id:<10} {} {:<10o} ",
                    p.key,
                    owner(p.uid),
                    p.raw_mode & 0o777
                );
                if unit == Unit::Human {
                    print_size(io, unit, None, q.bytes, "      ", 6);
                } else {
                    print_size(io, unit, None, q.bytes, "", -12);
                }
                out!(io, " {:<12}\n", q.messages);
            }
        }
    }
}

fn print_msg(io: &mut Io<'_>, id: i32, unit: Unit) {
    let Some((_, q)) = queues().into_iter().find(|(i, _)| *i == id) else {
        io.warnx(&format!("id {id} not found"));
        return;
    };
    // util-linux takes qbytes from IPC_STAT, which needs read permission: without
    // it the field stays 0 there, so it does here.
    let qbytes = MsgQueue::from_id(sysv_ipc::DefaultBackend::default(), id)
        .stat()
        .map_or(0, |s| s.max_bytes);
    let p = &q.perm;
    out!(io, "\nMessage Queue msqid={id}\n");
    out!(
        io,
        "uid={}\tgid={}\tcuid={}\tcgid={}\tmode={}\n",
        p.uid,
        p.gid,
        p.cuid,
        p.cgid,
        alt_octal(p.raw_mode)
    );
    let human = unit == Unit::Human;
    print_size(
        io,
        unit,
        Some(if human { "csize=" } else { "cbytes=" }),
        q.bytes,
        "\t",
        0,
    );
    print_size(
        io,
        unit,
        Some(if human { "qsize=" } else { "qbytes=" }),
        qbytes,
        "\t",
        0,
    );
    out!(
        io,
        "qnum={}\tlspid={}\tlrpid={}\n",
        q.messages,
        q.last_send_pid,
        q.last_recv_pid
    );
    out!(io, "send_time={:<26}\n", long_time(q.send_time, true));
    out!(io, "rcv_time={:<26}\n", long_time(q.recv_time, true));
    out!(io, "change_time={:<26}\n", long_time(q.change_time, true));
    out!(io, "\n");
}
