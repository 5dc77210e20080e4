//! `lsipc`: util-linux 2.38's table of IPC limits and objects, from the crate's
//! limits, usage and enumeration ([`sysv_ipc::info`]), laid out as libsmartcols
//! lays it out, fitted to the terminal's width when standard output is one (see
//! [`crate::table`]: `COMMAND` is cut unless `--notruncate`, `STATUS` ignores its
//! few long cells).
//!
//! Differences from util-linux 2.38, all deliberate:
//! - three 2.38 bugs that later util-linux releases fixed print the right value
//!   here: the `CGID` column of queues and segments (2.38 prints the creator's
//!   *uid*), `SEMMNS`'s `USED` in the global view (2.38 counts the first set's
//!   semaphores once per set), and `-P` for queues (2.38 leaves `PERMS` empty);
//! - `COMMAND` (a segment creator's, a semaphore's last operator's command line)
//!   is not IPC state and so not in the crate: it is read from
//!   `/proc/<pid>/cmdline`, as util-linux does.

use sysv_ipc::msg::MsgQueueStat;
use sysv_ipc::{DefaultBackend, Errno, Perm, SegmentStat, SemSet, SemSetStat, abi, info};

use crate::cli::{Arg, Exit, Getopt, Io, Item, LongOpt, out};
use crate::table::{Column, Format, Table};
use crate::text::{self, human_size, strmode};

/// One column of lsipc's table of columns: name, `--help` text, `--id` label,
/// `SCOLS_FL_*` flags.
struct Desc {
    name: &'static str,
    help: &'static str,
    pretty: &'static str,
    flags: u8,
}

/// `SCOLS_FL_RIGHT`: right-aligned.
const RIGHT: u8 = 1;
/// `SCOLS_FL_TRUNC`: cut to fit a terminal (`COMMAND`, unless `--notruncate`).
const TRUNC: u8 = 2;
/// `SCOLS_FL_NOEXTREMES`: a few long cells do not widen it on a terminal (`STATUS`).
const NOEXTREMES: u8 = 4;

const fn d(name: &'static str, help: &'static str, pretty: &'static str, flags: u8) -> Desc {
    Desc {
        name,
        help,
        pretty,
        flags,
    }
}

// Column ids: indices into COLS, in util-linux's order (ranges matter).
const KEY: usize = 0;
const ID: usize = 1;
const OWNER: usize = 2;
const PERMS: usize = 3;
const CUID: usize = 4;
const CUSER: usize = 5;
const CGID: usize = 6;
const CGROUP: usize = 7;
const UID: usize = 8;
const USER: usize = 9;
const GID: usize = 10;
const GROUP: usize = 11;
const CTIME: usize = 12;
const USEDBYTES: usize = 13;
const MSGS: usize = 14;
const SEND: usize = 15;
const RECV: usize = 16;
const LSPID: usize = 17;
const LRPID: usize = 18;
const SIZE: usize = 19;
const NATTCH: usize = 20;
const STATUS: usize = 21;
const ATTACH: usize = 22;
const DETACH: usize = 23;
const COMMAND: usize = 24;
const CPID: usize = 25;
const LPID: usize = 26;
const NSEMS: usize = 27;
const OTIME: usize = 28;
const RESOURCE: usize = 29;
const DESCRIPTION: usize = 30;
const LIMIT: usize = 31;
const USED: usize = 32;
const USEPERC: usize = 33;

const MSG_FIRST: usize = USEDBYTES;
const MSG_LAST: usize = LRPID;
const SHM_FIRST: usize = SIZE;
const SHM_LAST: usize = LPID;
const SEM_FIRST: usize = NSEMS;
const SEM_LAST: usize = OTIME;
const SUM_FIRST: usize = RESOURCE;
const SUM_LAST: usize = USEPERC;

const COLS: [Desc; 34] = [
    d("KEY", "Resource key", "Key", 0),
    d("ID", "Resource ID", "ID", 0),
    d("OWNER", "Owner's username or UID", "Owner", RIGHT),
    d("PERMS", "Permissions", "Permissions", RIGHT),
    d("CUID", "Creator UID", "Creator UID", RIGHT),
    d("CUSER", "Creator user", "Creator user", 0),
    d("CGID", "Creator GID", "Creator GID", RIGHT),
    d("CGROUP", "Creator group", "Creator group", 0),
    d("UID", "User ID", "UID", RIGHT),
    d("USER", "User name", "User name", 0),
    d("GID", "Group ID", "GID", RIGHT),
    d("GROUP", "Group name", "Group name", 0),
    d("CTIME", "Time of the last change", "Last change", RIGHT),
    d("USEDBYTES", "Bytes used", "Bytes used", RIGHT),
    d("MSGS", "Number of messages", "Messages", 0),
    d("SEND", "Time of last msg sent", "Msg sent", RIGHT),
    d("RECV", "Time of last msg received", "Msg received", RIGHT),
    d("LSPID", "PID of the last msg sender", "Msg sender", RIGHT),
    d(
        "LRPID",
        "PID of the last msg receiver",
        "Msg receiver",
        RIGHT,
    ),
    d("SIZE", "Segment size", "Segment size", RIGHT),
    d(
        "NATTCH",
        "Number of attached processes",
        "Attached processes",
        RIGHT,
    ),
    d("STATUS", "Status", "Status", NOEXTREMES),
    d("ATTACH", "Attach time", "Attach time", RIGHT),
    d("DETACH", "Detach time", "Detach time", RIGHT),
    d("COMMAND", "Creator command line", "Creator command", TRUNC),
    d("CPID", "PID of the creator", "Creator PID", RIGHT),
    d("LPID", "PID of last user", "Last user PID", RIGHT),
    d("NSEMS", "Number of semaphores", "Semaphores", RIGHT),
    d(
        "OTIME",
        "Time of the last operation",
        "Last operation",
        RIGHT,
    ),
    d("RESOURCE", "Resource name", "Resource", 0),
    d("DESCRIPTION", "Resource description", "Description", 0),
    d("LIMIT", "System-wide limit", "Limit", RIGHT),
    d("USED", "Currently used", "Used", RIGHT),
    d("USE%", "Currently use percentage", "Use", RIGHT),
];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Out {
    Default,
    Export,
    Newline,
    Raw,
    Json,
    Pretty,
    List,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum TimeMode {
    Unset,
    Short,
    Full,
    Iso,
}

struct Ctl {
    out: Out,
    noheadings: bool,
    shellvar: bool,
    bytes: bool,
    numperms: bool,
    /// `--notruncate`: `COMMAND` is not cut to fit the terminal.
    notrunc: bool,
    time: TimeMode,
    now: i64,
    /// Standard output's terminal width, if it is a terminal ([`Io::terminal`]).
    terminal: Option<usize>,
}

const NOTRUNC: u32 = 0x80;
const NOHEAD: u32 = 0x81;
const TIME_FMT: u32 = 0x82;

const LONG: &[LongOpt] = &[
    LongOpt {
        name: "bytes",
        arg: Arg::No,
        val: 'b' as u32,
    },
    LongOpt {
        name: "creator",
        arg: Arg::No,
        val: 'c' as u32,
    },
    LongOpt {
        name: "export",
        arg: Arg::No,
        val: 'e' as u32,
    },
    LongOpt {
        name: "global",
        arg: Arg::No,
        val: 'g' as u32,
    },
    LongOpt {
        name: "help",
        arg: Arg::No,
        val: 'h' as u32,
    },
    LongOpt {
        name: "id",
        arg: Arg::Required,
        val: 'i' as u32,
    },
    LongOpt {
        name: "json",
        arg: Arg::No,
        val: 'J' as u32,
    },
    LongOpt {
        name: "list",
        arg: Arg::No,
        val: 'l' as u32,
    },
    LongOpt {
        name: "newline",
        arg: Arg::No,
        val: 'n' as u32,
    },
    LongOpt {
        name: "noheadings",
        arg: Arg::No,
        val: NOHEAD,
    },
    LongOpt {
        name: "notruncate",
        arg: Arg::No,
        val: NOTRUNC,
    },
    LongOpt {
        name: "numeric-perms",
        arg: Arg::No,
        val: 'P' as u32,
    },
    LongOpt {
        name: "output",
        arg: Arg::Required,
        val: 'o' as u32,
    },
    LongOpt {
        name: "queues",
        arg: Arg::No,
        val: 'q' as u32,
    },
    LongOpt {
        name: "raw",
        arg: Arg::No,
        val: 'r' as u32,
    },
    LongOpt {
        name: "semaphores",
        arg: Arg::No,
        val: 's' as u32,
    },
    LongOpt {
        name: "shmems",
        arg: Arg::No,
        val: 'm' as u32,
    },
    LongOpt {
        name: "time",
        arg: Arg::No,
        val: 't' as u32,
    },
    LongOpt {
        name: "time-format",
        arg: Arg::Required,
        val: TIME_FMT,
    },
    LongOpt {
        name: "version",
        arg: Arg::No,
        val: 'V' as u32,
    },
    LongOpt {
        name: "shell",
        arg: Arg::No,
        val: 'y' as u32,
    },
];

/// Groups of mutually exclusive options, as util-linux lists them. Its check walks
/// the groups in order and stops at the first whose first letter sorts after the
/// option, so `-c` (before `g` in ASCII, in the third group) is never checked.
const EXCL: &[&[char]] = &[
    &['J', 'e', 'l', 'n', 'r'],
    &['g', 'i'],
    &['c', 'o', 't'],
    &['m', 'q', 's'],
];

const USAGE_HEAD: &str = "
Usage:
 lsipc [options]

Show information on IPC facilities.

Resource options:
 -m, --shmems      shared memory segments
 -q, --queues      message queues
 -s, --semaphores  semaphores
 -g, --global      info about system-wide usage (may be used with -m, -q and -s)
 -i, --id <id>     print details on resource identified by <id>

Options:
     --noheadings         don't print headings
     --notruncate         don't truncate output
     --time-format=<type> display dates in short, full or iso format
 -b, --bytes              print SIZE in bytes rather than in human readable format
 -c, --creator            show creator and owner
 -e, --export             display in an export-able output format
 -J, --json               use the JSON output format
 -n, --newline            display each piece of information on a new line
 -l, --list               force list output format (for example with --id)
 -o, --output[=<list>]    define the columns to output
 -P, --numeric-perms      print numeric permissions (PERMS column)
 -r, --raw                display in raw mode
 -t, --time               show attach, detach and change times
 -y, --shell              use column names to be usable as shell variable identifiers

 -h, --help               display this help
 -V, --version            display version
";

fn usage(io: &mut Io<'_>) {
    out!(io, "{USAGE_HEAD}");
    let groups = [
        ("Generic columns:", KEY, CTIME),
        ("Shared-memory columns (--shmems):", SHM_FIRST, SHM_LAST),
        ("Message-queue columns (--queues):", MSG_FIRST, MSG_LAST),
        ("Semaphore columns (--semaphores):", SEM_FIRST, SEM_LAST),
        ("Summary columns (--global):", SUM_FIRST, SUM_LAST),
    ];
    for (title, first, last) in groups {
        out!(io, "\n{title}\n");
        for c in &COLS[first..=last] {
            out!(io, " {:>14}  {}\n", c.name, c.help);
        }
    }
    out!(io, "\nFor more details see lsipc(1).\n");
}

/// The columns chosen so far; util-linux keeps at most twice the number of
/// descriptions.
struct Columns {
    ids: Vec<usize>,
}

impl Columns {
    fn add(&mut self, io: &mut Io<'_>, id: usize) -> Result<(), Exit> {
        if self.ids.len() >= 2 * COLS.len() {
            return Err(io.errx(&format!(
                "too many columns specified, the limit is {} columns",
                2 * COLS.len() - 1
            )));
        }
        self.ids.push(id);
        Ok(())
    }
}

/// `-o list`: replaces the columns (appends with a leading `+`); a bad name ends
/// the program with util-linux's message, which quotes the rest of the list.
fn parse_output(
    io: &mut Io<'_>,
    list: &str,
    cols: &mut Columns,
    range: (usize, usize),
) -> Result<(), Exit> {
    let list = match list.strip_prefix('+') {
        Some(rest) => rest,
        None => {
            cols.ids.clear();
            list
        }
    };
    if list.is_empty() {
        return Err(Exit(1));
    }
    let mut start = 0;
    for part in list.split(',') {
        let rest = &list[start..];
        start += part.len() + 1;
        if part.is_empty() {
            continue;
        }
        let found = COLS.iter().position(|c| c.name.eq_ignore_ascii_case(part));
        let id = match found {
            Some(i) if i > CTIME && !(range.0 <= i && i <= range.1) => {
                io.warnx(&format!(
                    "column {rest} does not apply to the specified IPC"
                ));
                return Err(Exit(1));
            }
            Some(i) => i,
            None => {
                io.warnx(&format!("unknown column: {rest}"));
                return Err(Exit(1));
            }
        };
        cols.add(io, id)?;
    }
    Ok(())
}

/// `lsipc [options]`.
pub fn main(args: &[String], io: &mut Io<'_>) -> Result<(), Exit> {
    let (mut msg, mut shm, mut sem, mut global) = (false, false, false, false);
    let mut id: Option<i32> = None;
    let (mut show_time, mut show_creat) = (false, false);
    let mut outarg: Option<String> = None;
    let mut cols = Columns { ids: Vec::new() };
    let mut range = (0, 0);
    let mut ctl = Ctl {
        out: Out::Default,
        noheadings: false,
        shellvar: false,
        bytes: false,
        numperms: false,
        notrunc: false,
        time: TimeMode::Unset,
        now: text::now(),
        terminal: io.terminal,
    };
    let mut excl_seen = [None::<char>; 4];
    for item in Getopt::new(args, "bceghi:Jlmno:PqrstVy", LONG) {
        let (c, arg) = match item {
            Item::Opt(c, arg) => (c, arg),
            Item::Bad(msg) => return Err(io.bad_option(&msg)),
        };
        let ch = char::from_u32(c).unwrap_or('\0');
        for (g, group) in EXCL.iter().enumerate() {
            if group[0] > ch {
                break;
            }
            if !group.contains(&ch) {
                continue;
            }
            match excl_seen[g] {
                None => excl_seen[g] = Some(ch),
                Some(prev) if prev == ch => {}
                Some(_) => {
                    let names: Vec<String> = group
                        .iter()
                        .map(|o| {
                            LONG.iter()
                                .find(|l| l.val == *o as u32)
                                .map_or_else(|| format!(" -{o}"), |l| format!(" --{}", l.name))
                        })
                        .collect();
                    io.warnx(&format!("mutually exclusive arguments:{}", names.concat()));
                    return Err(Exit(1));
                }
            }
        }
        match ch {
            'b' => ctl.bytes = true,
            'i' => {
                let a = arg.unwrap_or_default();
                id = Some(
                    text::strtos32(&a, "failed to parse IPC identifier")
                        .map_err(|m| io.errx(&m))?,
                );
            }
            'e' => ctl.out = Out::Export,
            'r' => ctl.out = Out::Raw,
            'o' => outarg = arg,
            'g' => global = true,
            'q' => {
                msg = true;
                for c in [KEY, ID, PERMS, OWNER, USEDBYTES, MSGS, LSPID, LRPID] {
                    cols.add(io, c)?;
                }
                range = (MSG_FIRST, MSG_LAST);
            }
            'l' => ctl.out = Out::List,
            'm' => {
                shm = true;
                for c in [
                    KEY, ID, PERMS, OWNER, SIZE, NATTCH, STATUS, CTIME, CPID, LPID, COMMAND,
                ] {
                    cols.add(io, c)?;
                }
                range = (SHM_FIRST, SHM_LAST);
            }
            'n' => ctl.out = Out::Newline,
            'P' => ctl.numperms = true,
            's' => {
                sem = true;
                for c in [KEY, ID, PERMS, OWNER, NSEMS] {
                    cols.add(io, c)?;
                }
                range = (SEM_FIRST, SEM_LAST);
            }
            'J' => ctl.out = Out::Json,
            't' => show_time = true,
            'c' => show_creat = true,
            'y' => ctl.shellvar = true,
            'h' => {
                usage(io);
                return Ok(());
            }
            'V' => return Err(io.version()),
            _ if c == NOTRUNC => ctl.notrunc = true,
            _ if c == NOHEAD => ctl.noheadings = true,
            _ if c == TIME_FMT => {
                ctl.time = match arg.as_deref().unwrap_or("") {
                    "iso" => TimeMode::Iso,
                    "full" => TimeMode::Full,
                    "short" => TimeMode::Short,
                    other => return Err(io.errx(&format!("unknown time format: {other}"))),
                };
            }
            _ => return Err(io.try_help()),
        }
    }
    if !msg && !shm && !sem {
        (msg, shm, sem, global) = (true, true, true, true);
        if show_time || show_creat || id.is_some() {
            return Err(io.errx("--global is mutually exclusive with --creator, --id and --time"));
        }
    }
    if global {
        for c in [RESOURCE, DESCRIPTION, LIMIT, USED, USEPERC] {
            cols.add(io, c)?;
        }
        range = (SUM_FIRST, SUM_LAST);
    }
    if id.is_some() && ctl.out == Out::Default {
        ctl.out = Out::Pretty;
    }
    if ctl.time == TimeMode::Unset {
        ctl.time = if ctl.out == Out::Pretty {
            TimeMode::Full
        } else {
            TimeMode::Short
        };
    }
    if ctl.out == Out::Pretty && !(show_creat || show_time) {
        cols.ids = (0..COLS.len()).collect();
    } else {
        if show_creat {
            for c in [CUID, CGID, UID, GID] {
                cols.add(io, c)?;
            }
        }
        if msg && show_time {
            for c in [SEND, RECV, CTIME] {
                cols.add(io, c)?;
            }
        }
        if shm && show_time {
            // COMMAND stays the last column.
            let cmd = cols.ids.last() == Some(&COMMAND);
            if cmd {
                cols.ids.pop();
            }
            cols.add(io, ATTACH)?;
            cols.add(io, DETACH)?;
            if cmd {
                cols.add(io, COMMAND)?;
            }
        }
        if sem && show_time {
            cols.add(io, OTIME)?;
            cols.add(io, CTIME)?;
        }
    }
    if let Some(list) = &outarg {
        parse_output(io, list, &mut cols, range)?;
    }

    let mut name = None;
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let mut elements = None;
    if global {
        name = Some("ipclimits");
        if msg {
            msg_global(&ctl, &cols.ids, &mut rows);
        }
        if shm {
            shm_global(&ctl, &cols.ids, &mut rows);
        }
        if sem {
            sem_global(&ctl, &cols.ids, &mut rows);
        }
    } else {
        if msg {
            do_msg(io, &ctl, id, &cols.ids, &mut rows, &mut name);
        }
        if shm {
            do_shm(io, &ctl, id, &cols.ids, &mut rows, &mut name);
        }
        if sem {
            elements = do_sem(io, &ctl, id, &cols.ids, &mut rows, &mut name)?;
        }
    }
    let table = make_table(&ctl, name, &cols.ids, rows);
    if ctl.out == Out::Pretty {
        print_pretty(io, &cols.ids, &table, elements);
    } else {
        let s = table.render();
        out!(io, "{s}");
    }
    Ok(())
}

fn make_table(
    ctl: &Ctl,
    name: Option<&'static str>,
    ids: &[usize],
    rows: Vec<Vec<Option<String>>>,
) -> Table {
    let columns = ids
        .iter()
        .map(|&i| {
            let flags = COLS[i].flags;
            Column {
                name: COLS[i].name,
                right: flags & RIGHT != 0,
                trunc: flags & TRUNC != 0 && !ctl.notrunc,
                noextremes: flags & NOEXTREMES != 0,
            }
        })
        .collect();
    let (format, sep) = match ctl.out {
        Out::Raw => (Format::Raw, " "),
        Out::Export => (Format::Export, " "),
        Out::Newline => (Format::Export, "\n"),
        Out::Json => (Format::Json, " "),
        Out::Default | Out::List | Out::Pretty => (Format::Human, " "),
    };
    Table {
        name,
        columns,
        rows,
        format,
        noheadings: ctl.noheadings || ctl.out == Out::Pretty,
        shellvar: ctl.shellvar,
        separator: sep,
        terminal: ctl.terminal,
    }
}

/// `--id` without an output format: one "Label:   value" line per column that has a
/// value, then a semaphore set's elements as a table.
fn print_pretty(io: &mut Io<'_>, ids: &[usize], table: &Table, elements: Option<Table>) {
    let Some(row) = table.rows.first() else {
        return;
    };
    for (&col, cell) in ids.iter().zip(row) {
        if let Some(data) = cell {
            let label = COLS[col].pretty;
            let pad = 35usize.saturating_sub(label.len()).max(1);
            out!(io, "{label}:{:pad$}{data:<36}\n", "");
        }
    }
    if let Some(sub) = elements {
        out!(io, "Elements:\n\n");
        let s = sub.render();
        out!(io, "{s}");
    }
}

// ---- cells -----------------------------------------------------------------------

fn time(ctl: &Ctl, t: i64) -> Option<String> {
    if t == 0 {
        return None;
    }
    Some(match ctl.time {
        TimeMode::Full => text::ctime(t),
        TimeMode::Iso => text::time_iso(t),
        TimeMode::Short | TimeMode::Unset => text::time_short(t, ctl.now),
    })
}

fn size(ctl: &Ctl, v: u64) -> String {
    if ctl.bytes {
        v.to_string()
    } else {
        human_size(v)
    }
}

/// A process's command line as util-linux reads it: arguments joined by spaces,
/// at most 8191 bytes, none for an empty file or a gone process.
fn cmdline(pid: i32) -> Option<String> {
    let mut bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if bytes.is_empty() {
        return None;
    }
    bytes.truncate(8192);
    bytes.pop();
    for b in &mut bytes {
        if *b == 0 {
            *b = b' ';
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The columns every kind of object has.
fn generic(ctl: &Ctl, col: usize, id: i32, p: &Perm) -> Option<String> {
    Some(match col {
        KEY => p.key.to_string(),
        ID => id.to_string(),
        OWNER => text::user_name(p.uid).unwrap_or_else(|| p.uid.to_string()),
        PERMS if ctl.numperms => {
            let m = p.raw_mode & 0o777;
            if m == 0 {
                String::from("0")
            } else {
                format!("0{m:o}")
            }
        }
        PERMS => strmode(p.raw_mode & 0o777),
        CUID => p.cuid.to_string(),
        CUSER => text::user_name(p.cuid)?,
        CGID => p.cgid.to_string(),
        CGROUP => text::group_name(p.cgid)?,
        UID => p.uid.to_string(),
        USER => text::user_name(p.uid)?,
        GID => p.gid.to_string(),
        GROUP => text::group_name(p.gid)?,
        _ => return None,
    })
}

fn msg_cell(ctl: &Ctl, col: usize, id: i32, q: &MsgQueueStat) -> Option<String> {
    match col {
        CTIME => time(ctl, q.change_time),
        USEDBYTES => Some(size(ctl, q.bytes)),
        MSGS => Some(q.messages.to_string()),
        SEND => time(ctl, q.send_time),
        RECV => time(ctl, q.recv_time),
        LSPID => Some((q.last_send_pid as u32).to_string()),
        LRPID => Some((q.last_recv_pid as u32).to_string()),
        _ => generic(ctl, col, id, &q.perm),
    }
}

fn shm_cell(ctl: &Ctl, col: usize, id: i32, s: &SegmentStat) -> Option<String> {
    match col {
        CTIME => time(ctl, s.ctime),
        SIZE => Some(size(ctl, s.size as u64)),
        NATTCH => Some(s.nattch.to_string()),
        STATUS => {
            // As util-linux joins them: a comma only after "dest".
            let mode = s.perm.raw_mode;
            let mut st = String::new();
            let comma = mode & abi::SHM_DEST != 0;
            if comma {
                st.push_str("dest");
            }
            for (bit, word) in [
                (abi::SHM_LOCKED, "locked"),
                (abi::SHM_HUGETLB as u32, "hugetlb"),
                (abi::SHM_NORESERVE as u32, "noreserve"),
            ] {
                if mode & bit != 0 {
                    if comma {
                        st.push(',');
                    }
                    st.push_str(word);
                }
            }
            Some(st)
        }
        ATTACH => time(ctl, s.atime),
        DETACH => time(ctl, s.dtime),
        CPID => Some((s.cpid as u32).to_string()),
        LPID => Some((s.lpid as u32).to_string()),
        COMMAND => cmdline(s.cpid),
        _ => generic(ctl, col, id, &s.perm),
    }
}

fn sem_cell(ctl: &Ctl, col: usize, id: i32, s: &SemSetStat) -> Option<String> {
    match col {
        CTIME => time(ctl, s.ctime),
        NSEMS => Some(s.nsems.to_string()),
        OTIME => time(ctl, s.otime),
        _ => generic(ctl, col, id, &s.perm),
    }
}

// ---- the three kinds ------------------------------------------------------------------

fn do_msg(
    io: &mut Io<'_>,
    ctl: &Ctl,
    id: Option<i32>,
    ids: &[usize],
    rows: &mut Vec<Vec<Option<String>>>,
    name: &mut Option<&'static str>,
) {
    let all: Vec<(i32, MsgQueueStat)> =
        info::message_queues().map_or_else(|_| Vec::new(), |it| it.flatten().collect());
    let chosen: Vec<_> = all
        .iter()
        .filter(|(i, _)| id.is_none_or(|w| w == *i))
        .take(if id.is_some() { 1 } else { usize::MAX })
        .collect();
    if chosen.is_empty() {
        if let Some(id) = id {
            io.warnx(&format!("id {id} not found"));
        }
        return;
    }
    // util-linux names the table only when it has queues to list.
    *name = Some("messages");
    for (i, q) in chosen {
        rows.push(ids.iter().map(|&c| msg_cell(ctl, c, *i, q)).collect());
    }
}

fn do_shm(
    io: &mut Io<'_>,
    ctl: &Ctl,
    id: Option<i32>,
    ids: &[usize],
    rows: &mut Vec<Vec<Option<String>>>,
    name: &mut Option<&'static str>,
) {
    let all: Vec<(i32, SegmentStat)> =
        info::segments().map_or_else(|_| Vec::new(), |it| it.flatten().collect());
    let chosen: Vec<_> = all
        .iter()
        .filter(|(i, _)| id.is_none_or(|w| w == *i))
        .take(if id.is_some() { 1 } else { usize::MAX })
        .collect();
    if chosen.is_empty() {
        if let Some(id) = id {
            io.warnx(&format!("id {id} not found"));
        }
        return;
    }
    *name = Some("sharedmemory");
    for (i, s) in chosen {
        rows.push(ids.iter().map(|&c| shm_cell(ctl, c, *i, s)).collect());
    }
}

/// Semaphore sets; with `--id`, also the table of the set's elements.
fn do_sem(
    io: &mut Io<'_>,
    ctl: &Ctl,
    id: Option<i32>,
    ids: &[usize],
    rows: &mut Vec<Vec<Option<String>>>,
    name: &mut Option<&'static str>,
) -> Result<Option<Table>, Exit> {
    *name = Some("semaphores");
    let all: Vec<(i32, SemSetStat)> =
        info::semaphore_sets().map_or_else(|_| Vec::new(), |it| it.flatten().collect());
    let Some(id) = id else {
        for (i, s) in &all {
            rows.push(ids.iter().map(|&c| sem_cell(ctl, c, *i, s)).collect());
        }
        return Ok(None);
    };
    let Some((_, s)) = all.iter().find(|(i, _)| *i == id) else {
        io.warnx(&format!("id {id} not found"));
        return Ok(None);
    };
    // util-linux reads the elements first and exits at the first failure.
    let set = SemSet::from_id(DefaultBackend::default(), id);
    let mut lines = Vec::with_capacity(s.nsems);
    for num in 0..s.nsems {
        let n = u16::try_from(num).unwrap_or(u16::MAX);
        let fail = |io: &mut Io<'_>, call: &str, e: sysv_ipc::Error| {
            io.err_errno(
                &format!("{call} failed"),
                e.errno().unwrap_or(Errno::INVAL).raw_i32(),
            )
        };
        let value = set.get(n).map_err(|e| fail(io, "semctl(GETVAL)", e))?;
        let ncount = set
            .waiting_for_increase(n)
            .map_err(|e| fail(io, "semctl(GETNCNT)", e))?;
        let zcount = set
            .waiting_for_zero(n)
            .map_err(|e| fail(io, "semctl(GETZCNT)", e))?;
        let pid = set.last_pid(n).map_err(|e| fail(io, "semctl(GETPID)", e))?;
        lines.push(vec![
            Some(num.to_string()),
            Some(value.to_string()),
            Some(ncount.to_string()),
            Some(zcount.to_string()),
            Some(pid.to_string()),
            cmdline(pid),
        ]);
    }
    rows.push(ids.iter().map(|&c| sem_cell(ctl, c, id, s)).collect());
    if ctl.out != Out::Pretty {
        return Ok(None);
    }
    let columns = ["SEMNUM", "VALUE", "NCOUNT", "ZCOUNT", "PID", "COMMAND"]
        .into_iter()
        .map(|name| Column {
            name,
            right: true,
            trunc: false,
            noextremes: false,
        })
        .collect();
    // A table of its own, fitted to the terminal too (which, with these flags,
    // changes nothing).
    Ok(Some(Table {
        name: Some("elements"),
        columns,
        rows: lines,
        format: Format::Human,
        noheadings: false,
        shellvar: ctl.shellvar,
        separator: " ",
        terminal: ctl.terminal,
    }))
}

// ---- the global view -------------------------------------------------------------

/// One line of the global view: the used count and percentage only where `used`.
fn global_row(
    ctl: &Ctl,
    ids: &[usize],
    resource: &str,
    desc: &str,
    used: Option<u64>,
    limit: u64,
    byte_unit: bool,
) -> Vec<Option<String>> {
    let num = |v: u64| {
        if !byte_unit || ctl.bytes {
            v.to_string()
        } else {
            human_size(v)
        }
    };
    ids.iter()
        .map(|&c| match c {
            RESOURCE => Some(resource.to_owned()),
            DESCRIPTION => Some(desc.to_owned()),
            USED => Some(used.map_or_else(|| String::from("-"), num)),
            USEPERC => Some(used.map_or_else(|| String::from("-"), |u| percent(u, limit))),
            LIMIT => Some(num(limit)),
            _ => None,
        })
        .collect()
}

/// `printf("%2.2f%%", used / limit * 100)`, with C's "inf" and "-nan" for a limit
/// of 0.
fn percent(used: u64, limit: u64) -> String {
    if limit == 0 {
        return String::from(if used == 0 { "-nan%" } else { "inf%" });
    }
    format!("{:2.2}%", used as f64 / limit as f64 * 100.0)
}

fn msg_global(ctl: &Ctl, ids: &[usize], rows: &mut Vec<Vec<Option<String>>>) {
    let lim = info::msg_limits().ok();
    let queues = info::message_queues().map_or(0, |it| it.flatten().count()) as u64;
    let (mni, max, mnb) = lim.map_or((0, 0, 0), |l| {
        (u64::from(l.msgmni), l.msgmax as u64, l.msgmnb as u64)
    });
    rows.push(global_row(
        ctl,
        ids,
        "MSGMNI",
        "Number of message queues",
        Some(queues),
        mni,
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "MSGMAX",
        "Max size of message (bytes)",
        None,
        max,
        true,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "MSGMNB",
        "Default max size of queue (bytes)",
        None,
        mnb,
        true,
    ));
}

fn shm_global(ctl: &Ctl, ids: &[usize], rows: &mut Vec<Vec<Option<String>>>) {
    let lim = info::shm_limits().ok();
    let (mut nsegs, mut sum) = (0u64, 0u64);
    if let Ok(it) = info::segments() {
        for (_, s) in it.flatten() {
            nsegs += 1;
            sum = sum.wrapping_add(s.size as u64);
        }
    }
    // Bytes of all segments over the page size, rounded down, as util-linux counts
    // (the kernel's own count, `shm_usage().pages_total`, rounds each segment up).
    let pages = sum / text::page_size();
    let (mni, all, max, min) =
        lim.map_or((0, 0, 0, 0), |l| (l.shmmni, l.shmall, l.shmmax, l.shmmin));
    rows.push(global_row(
        ctl,
        ids,
        "SHMMNI",
        "Shared memory segments",
        Some(nsegs),
        mni,
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SHMALL",
        "Shared memory pages",
        Some(pages),
        all,
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SHMMAX",
        "Max size of shared memory segment (bytes)",
        None,
        max,
        true,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SHMMIN",
        "Min size of shared memory segment (bytes)",
        None,
        min,
        true,
    ));
}

fn sem_global(ctl: &Ctl, ids: &[usize], rows: &mut Vec<Vec<Option<String>>>) {
    let lim = info::sem_limits().ok();
    let (mut nsets, mut nsems) = (0u64, 0u64);
    if let Ok(it) = info::semaphore_sets() {
        for (_, s) in it.flatten() {
            nsets += 1;
            nsems += s.nsems as u64;
        }
    }
    let l = |f: fn(&info::SemLimits) -> u32| lim.as_ref().map_or(0, |l| u64::from(f(l)));
    rows.push(global_row(
        ctl,
        ids,
        "SEMMNI",
        "Number of semaphore identifiers",
        Some(nsets),
        l(|l| l.semmni),
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SEMMNS",
        "Total number of semaphores",
        Some(nsems),
        l(|l| l.semmns),
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SEMMSL",
        "Max semaphores per semaphore set.",
        None,
        l(|l| l.semmsl),
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SEMOPM",
        "Max number of operations per semop(2)",
        None,
        l(|l| l.semopm),
        false,
    ));
    rows.push(global_row(
        ctl,
        ids,
        "SEMVMX",
        "Semaphore max value",
        None,
        l(|l| l.semvmx),
        false,
    ));
}
