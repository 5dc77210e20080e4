//! `ipcrm`: util-linux 2.38's remover, by id, by key or all, through the crate's
//! `open`/`from_id` and `remove()`; same options (and the old `ipcrm shm|msg|sem
//! id...` form), messages and exit codes.
//!
//! `-a` walks the crate's enumeration (`*_STAT_ANY`, which lists every object) but,
//! like util-linux's `*_STAT` walk, skips objects the caller may not read: it asks
//! `IPC_STAT` first, whose permission check is the same.

use sysv_ipc::msg::MsgQueue;
use sysv_ipc::{DefaultBackend, Errno, Key, Removable, Segment, SemSet, info};

use crate::cli::{Arg, Exit, Getopt, Io, Item, LongOpt, out};
use crate::text;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Shm,
    Sem,
    Msg,
    All,
}

const LONG: &[LongOpt] = &[
    LongOpt {
        name: "shmem-id",
        arg: Arg::Required,
        val: 'm' as u32,
    },
    LongOpt {
        name: "shmem-key",
        arg: Arg::Required,
        val: 'M' as u32,
    },
    LongOpt {
        name: "queue-id",
        arg: Arg::Required,
        val: 'q' as u32,
    },
    LongOpt {
        name: "queue-key",
        arg: Arg::Required,
        val: 'Q' as u32,
    },
    LongOpt {
        name: "semaphore-id",
        arg: Arg::Required,
        val: 's' as u32,
    },
    LongOpt {
        name: "semaphore-key",
        arg: Arg::Required,
        val: 'S' as u32,
    },
    LongOpt {
        name: "all",
        arg: Arg::Optional,
        val: 'a' as u32,
    },
    LongOpt {
        name: "verbose",
        arg: Arg::No,
        val: 'v' as u32,
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
 ipcrm [options]
 ipcrm shm|msg|sem <id>...

Remove certain IPC resources.

Options:
 -m, --shmem-id <id>        remove shared memory segment by id
 -M, --shmem-key <key>      remove shared memory segment by key
 -q, --queue-id <id>        remove message queue by id
 -Q, --queue-key <key>      remove message queue by key
 -s, --semaphore-id <id>    remove semaphore by id
 -S, --semaphore-key <key>  remove semaphore by key
 -a, --all[=shm|msg|sem]    remove all (in the specified category)
 -v, --verbose              explain what is being done

 -h, --help                 display this help
 -V, --version              display version

For more details see ipcrm(1).
";

struct Ctx {
    verbose: bool,
}

fn errno_of(e: &sysv_ipc::Error) -> Errno {
    e.errno().unwrap_or(Errno::INVAL)
}

/// `IPC_RMID` on `id`; `Ok(true)` when it failed with a message printed (util-linux
/// counts those), `Err` when util-linux exits at once.
fn remove_id(io: &mut Io<'_>, ctx: &Ctx, kind: Kind, iskey: bool, id: i32) -> Result<bool, Exit> {
    let b = DefaultBackend::default();
    let r = match kind {
        Kind::Shm => {
            if ctx.verbose {
                out!(io, "removing shared memory segment id `{id}'\n");
            }
            Segment::from_id(b, id).remove()
        }
        Kind::Msg => {
            if ctx.verbose {
                out!(io, "removing message queue id `{id}'\n");
            }
            MsgQueue::from_id(b, id).remove()
        }
        Kind::Sem => {
            if ctx.verbose {
                out!(io, "removing semaphore id `{id}'\n");
            }
            SemSet::from_id(b, id).remove()
        }
        Kind::All => return Err(io.errx("impossible occurred")),
    };
    let Err(e) = r else {
        return Ok(false);
    };
    let what = if iskey { "key" } else { "id" };
    let msg = match errno_of(&e) {
        Errno::ACCES | Errno::PERM => format!("permission denied for {what}"),
        Errno::INVAL => format!("invalid {what}"),
        Errno::IDRM => format!("already removed {what}"),
        other => return Err(io.err_errno(&format!("{what} failed"), other.raw_i32())),
    };
    io.warnx(&format!("{msg} ({id})"));
    Ok(true)
}

/// The old form's id list: each parsed by `strtoul(.., 10)` into an `int`.
fn remove_arg_list(io: &mut Io<'_>, ctx: &Ctx, kind: Kind, ids: &[String]) -> Result<u32, Exit> {
    let mut errors = 0;
    for arg in ids {
        let (v, end, erange) = text::strtoul(arg, 10);
        // As there: no digits at all passes for 0 (strtoul sets no error for it).
        let end = if end == 0 && !arg.is_empty() {
            0
        } else {
            end.max(arg.len() * usize::from(end == 0))
        };
        if erange || end != arg.len() {
            io.warnx(&format!("invalid id: {arg}"));
            errors += 1;
        } else if remove_id(io, ctx, kind, false, v as i32)? {
            errors += 1;
        }
    }
    Ok(errors)
}

/// util-linux's `strtokey`: decimal, hex or octal (`strtoul(.., 0)`), cut to a
/// `key_t`.
fn strtokey(io: &mut Io<'_>, s: &str) -> Result<Key, Exit> {
    let msg = format!("failed to parse argument: '{s}'");
    if s.is_empty() {
        return Err(io.errx(&msg));
    }
    let (v, end, erange) = text::strtoul(s, 0);
    if erange {
        return Err(io.err_errno(&msg, 34));
    }
    if end == 0 || end != s.len() {
        return Err(io.errx(&msg));
    }
    Ok(Key::new(v as i32))
}

/// The id `key` names, or the printed message and `None`.
fn key_to_id(io: &mut Io<'_>, kind: Kind, s: &str) -> Result<Option<i32>, Exit> {
    let key = strtokey(io, s)?;
    if key.is_private() {
        io.warnx(&format!("illegal key ({s})"));
        return Ok(None);
    }
    let b = DefaultBackend::default();
    let r = match kind {
        Kind::Shm => Segment::open_in(b, key).map(|s| s.id()),
        Kind::Msg => MsgQueue::open_in(b, key).map(|q| q.id()),
        Kind::Sem => SemSet::open_in(b, key).map(|s| s.id()),
        Kind::All => return Err(io.errx("impossible occurred")),
    };
    let e = match r {
        Ok(id) => return Ok(Some(id)),
        Err(e) => e,
    };
    let msg = match errno_of(&e) {
        Errno::ACCES => "permission denied for key",
        Errno::IDRM => "already removed key",
        Errno::NOENT => "invalid key",
        other => return Err(io.err_errno("key failed", other.raw_i32())),
    };
    io.warnx(&format!("{msg} ({s})"));
    Ok(None)
}

/// `-a`: every object of `kind` the caller may read, in util-linux's order
/// (segments, sets, queues); whether any removal failed.
fn remove_all(io: &mut Io<'_>, ctx: &Ctx, kind: Kind) -> Result<bool, Exit> {
    let b = DefaultBackend::default();
    let mut failed = false;
    if matches!(kind, Kind::Shm | Kind::All) {
        let Ok(all) = info::segments() else {
            return Err(io.errx("kernel not configured for shared memory"));
        };
        let ids: Vec<i32> = all.flatten().map(|(id, _)| id).collect();
        for id in ids {
            if Segment::from_id(b, id).stat().is_ok() {
                failed |= remove_id(io, ctx, Kind::Shm, false, id)?;
            }
        }
    }
    if matches!(kind, Kind::Sem | Kind::All) {
        let Ok(all) = info::semaphore_sets() else {
            return Err(io.errx("kernel not configured for semaphores"));
        };
        let ids: Vec<i32> = all.flatten().map(|(id, _)| id).collect();
        for id in ids {
            if SemSet::from_id(b, id).stat().is_ok() {
                failed |= remove_id(io, ctx, Kind::Sem, false, id)?;
            }
        }
    }
    if matches!(kind, Kind::Msg | Kind::All) {
        let Ok(all) = info::message_queues() else {
            return Err(io.errx("kernel not configured for message queues"));
        };
        let ids: Vec<i32> = all.flatten().map(|(id, _)| id).collect();
        for id in ids {
            if MsgQueue::from_id(b, id).stat().is_ok() {
                failed |= remove_id(io, ctx, Kind::Msg, false, id)?;
            }
        }
    }
    Ok(failed)
}

/// `ipcrm [options]` or `ipcrm shm|msg|sem id...`.
pub fn main(args: &[String], io: &mut Io<'_>) -> Result<(), Exit> {
    if args.len() <= 1 {
        return Ok(());
    }
    let mut ctx = Ctx { verbose: false };
    let old = match args[1].as_str() {
        "shm" => Some(Kind::Shm),
        "msg" => Some(Kind::Msg),
        "sem" => Some(Kind::Sem),
        _ => None,
    };
    if let Some(kind) = old {
        if args.len() < 3 {
            io.warnx("not enough arguments");
            return Err(io.try_help());
        }
        if remove_arg_list(io, &ctx, kind, &args[2..])? != 0 {
            return Err(Exit(1));
        }
        out!(io, "resource(s) deleted\n");
        return Ok(());
    }
    let mut errors = 0u32;
    let mut rm_all = None;
    let mut opts = Getopt::new(args, "q:m:s:Q:M:S:a::vhV", LONG);
    for item in opts.by_ref() {
        let (c, arg) = match item {
            Item::Opt(c, arg) => (c, arg),
            Item::Bad(msg) => return Err(io.bad_option(&msg)),
        };
        let c = char::from_u32(c).unwrap_or('\0');
        let kind = match c.to_ascii_lowercase() {
            'm' => Some(Kind::Shm),
            'q' => Some(Kind::Msg),
            's' => Some(Kind::Sem),
            _ => None,
        };
        if let Some(kind) = kind {
            let arg = arg.unwrap_or_default();
            let iskey = c.is_ascii_uppercase();
            let id = if iskey {
                match key_to_id(io, kind, &arg)? {
                    Some(id) => id,
                    None => {
                        errors += 1;
                        continue;
                    }
                }
            } else {
                text::strtos32(&arg, "failed to parse argument").map_err(|m| io.errx(&m))?
            };
            if remove_id(io, &ctx, kind, iskey, id)? {
                errors += 1;
            }
            continue;
        }
        match c {
            'a' => {
                rm_all = Some(match arg.as_deref() {
                    None => Kind::All,
                    Some("shm") => Kind::Shm,
                    Some("msg") => Kind::Msg,
                    Some("sem") => Kind::Sem,
                    Some(other) => return Err(io.errx(&format!("unknown argument: {other}"))),
                });
            }
            'v' => ctx.verbose = true,
            'h' => {
                out!(io, "{USAGE}");
                return Ok(());
            }
            'V' => return Err(io.version()),
            _ => return Err(io.try_help()),
        }
    }
    if let Some(kind) = rm_all
        && remove_all(io, &ctx, kind)?
    {
        errors += 1;
    }
    if let Some(first) = opts.operands.first() {
        io.warnx(&format!("unknown argument: {first}"));
        return Err(io.try_help());
    }
    if errors == 0 { Ok(()) } else { Err(Exit(1)) }
}
