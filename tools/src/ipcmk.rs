//! `ipcmk`: util-linux 2.38's creator of a queue, a semaphore set or a segment under a
//! random key, through the crate's `create` calls; same options, output, messages
//! and exit codes.
//!
//! One difference: the crate's [`Mode`] keeps the nine permission bits only, so
//! `-p` bits above `0777` (which util-linux passes on into the `*get` flags, where
//! they mean `IPC_CREAT`, `IPC_EXCL`, `SHM_HUGETLB`, ...) are dropped.
//!
//! # Safety
//!
//! `getrandom` writes into a live local of the length passed.
#![allow(unsafe_code)]

use sysv_ipc::msg::MsgQueue;
use sysv_ipc::{Errno, Intent, Key, Mode, Segment, SemSet};

use crate::cli::{Arg, Exit, Getopt, Io, Item, LongOpt, out};
use crate::text;

const LONG: &[LongOpt] = &[
    LongOpt {
        name: "shmem",
        arg: Arg::Required,
        val: 'M' as u32,
    },
    LongOpt {
        name: "semaphore",
        arg: Arg::Required,
        val: 'S' as u32,
    },
    LongOpt {
        name: "queue",
        arg: Arg::No,
        val: 'Q' as u32,
    },
    LongOpt {
        name: "mode",
        arg: Arg::Required,
        val: 'p' as u32,
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
 ipcmk [options]

Create various IPC resources.

Options:
 -M, --shmem <size>       create shared memory segment of size <size>
 -S, --semaphore <number> create semaphore array with <number> elements
 -Q, --queue              create message queue
 -p, --mode <mode>        permission for the resource (default is 0644)

 -h, --help               display this help
 -V, --version            display version

Arguments:
 <size> arguments may be followed by the suffixes for
   GiB, TiB, PiB, EiB, ZiB, and YiB (the \"iB\" is optional)

For more details see ipcmk(1).
";

/// A random key, as util-linux draws one (`getrandom`).
fn random_key() -> Key {
    let mut raw = [0u8; 4];
    // SAFETY: `raw` is a live local array of `raw.len()` writable bytes.
    let n = unsafe { libc::getrandom(raw.as_mut_ptr().cast(), raw.len(), 0) };
    if n != 4 {
        // util-linux falls back to weaker randomness too; any key will do.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ std::process::id());
        raw = t.to_ne_bytes();
    }
    Key::new(i32::from_ne_bytes(raw))
}

/// The errno a crate error carries; an error found before any call stands for the
/// `EINVAL` the kernel would have returned.
fn errno(e: &sysv_ipc::Error) -> i32 {
    e.errno().unwrap_or(Errno::INVAL).raw_i32()
}

/// `ipcmk [options]`.
pub fn main(args: &[String], io: &mut Io<'_>) -> Result<(), Exit> {
    let mut permission: u64 = 0o644;
    let mut size: Option<u64> = None;
    let mut nsems: Option<i32> = None;
    let mut ask_msg = false;
    for item in Getopt::new(args, "hM:QS:p:Vh", LONG) {
        let (c, arg) = match item {
            Item::Opt(c, arg) => (c, arg.unwrap_or_default()),
            Item::Bad(msg) => return Err(io.bad_option(&msg)),
        };
        match char::from_u32(c).unwrap_or('\0') {
            'M' => match text::strtosize(&arg) {
                Ok(v) => size = Some(v),
                Err(e) => {
                    return Err(io.err_errno(&format!("failed to parse size: '{arg}'"), e));
                }
            },
            'Q' => ask_msg = true,
            'S' => {
                nsems = Some(
                    text::strtos32(&arg, "failed to parse elements").map_err(|m| io.errx(&m))?,
                );
            }
            'p' => {
                let (v, end, erange) = text::strtoul(&arg, 8);
                if erange || end == 0 || end != arg.len() {
                    // err() with whatever errno is: 0 ("Success") unless ERANGE.
                    return Err(io.err_errno("failed to parse mode", if erange { 34 } else { 0 }));
                }
                permission = v;
            }
            'h' => {
                out!(io, "{USAGE}");
                return Ok(());
            }
            'V' => return Err(io.version()),
            _ => return Err(io.try_help()),
        }
    }
    if size.is_none() && !ask_msg && nsems.is_none() {
        io.warnx("bad usage");
        return Err(io.try_help());
    }
    let mode = Mode::new((permission & 0o777) as u32);
    if let Some(size) = size {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        match Segment::create(random_key(), size, Intent::OpenOrCreate, mode) {
            Ok(s) => out!(io, "Shared memory id: {}\n", s.id()),
            Err(e) => return Err(io.err_errno("create share memory failed", errno(&e))),
        }
    }
    if ask_msg {
        match MsgQueue::create(random_key(), Intent::OpenOrCreate, mode) {
            Ok(q) => out!(io, "Message queue id: {}\n", q.id()),
            Err(e) => return Err(io.err_errno("create message queue failed", errno(&e))),
        }
    }
    if let Some(n) = nsems {
        // A negative count cannot be expressed to the crate (`usize`); the kernel
        // answers one with EINVAL, which `errno` supplies for the crate's refusal.
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        match SemSet::create(random_key(), n, Intent::OpenOrCreate, mode) {
            Ok(s) => out!(io, "Semaphore id: {}\n", s.id()),
            Err(e) => return Err(io.err_errno("create semaphore failed", errno(&e))),
        }
    }
    Ok(())
}
