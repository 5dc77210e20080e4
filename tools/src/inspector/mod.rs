//! `sysv-ipc`, the inspector of the crate's own objects: every segment of the IPC
//! namespace with what its header says (`list`, the default; `--json`; `--watch`
//! with message rates), the cleanup of objects nobody can use any more (`clean`),
//! and the namespace's limits against what an object needs (`doctor`).
//!
//! It only reads: each segment is attached read-only (`SHM_RDONLY`) by
//! [`sysv_ipc::info::layouts`] and no role is joined; `clean` removes what
//! [`sysv_ipc::info::abandoned`] finds, and nothing else writes.
//!
//! ```
//! let mut out = Vec::new();
//! let status = sysv_ipc_tools::inspector::main(["sysv-ipc", "doctor", "--kind", "seqlock", "--size", "8"], &mut out);
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("SeqLock of 8-byte values: a segment of 264 bytes"), "{text}");
//! assert!(status == 0 || text.contains("sysctl -w"));
//! ```

mod clean;
mod doctor;
pub mod rows;
mod watch;

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};
use sysv_ipc::info::{LayoutKind, Want};

/// The command line.
#[derive(Parser, Debug)]
#[command(
    name = "sysv-ipc",
    version,
    about = "Inspect sysv-ipc's objects (Queue, SeqLock, Broadcast, Mpsc, Table) in this IPC namespace"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    list: ListArgs,
}

/// How to list (`sysv-ipc` alone, or `sysv-ipc list`).
#[derive(clap::Args, Debug, Default)]
struct ListArgs {
    /// JSON instead of a table (with --watch: one JSON array a line, a refresh each).
    #[arg(long)]
    json: bool,
    /// Refresh every second, with messages per second per object (from its
    /// indices: no role is joined).
    #[arg(long)]
    watch: bool,
    /// With --watch: stop after N refreshes.
    #[arg(long, value_name = "N", requires = "watch")]
    count: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Every segment: the crate's objects described, the others as plain segments
    /// (the default).
    List(ListArgs),
    /// Remove the crate's objects nobody can use any more: every role holder dead
    /// and nothing attached, or a creator that died initialising it.
    Clean {
        /// Only list what would be removed, and why.
        #[arg(long)]
        dry_run: bool,
        /// JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Check the namespace's limits against what objects of a shape need, and say
    /// which sysctl to raise.
    Doctor {
        /// The object's kind.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Bytes of one value (`size_of::<T>()`).
        #[arg(long)]
        size: usize,
        /// `align_of::<T>()`.
        #[arg(long, default_value_t = 8)]
        align: usize,
        /// Slots (`N`; a power of two for the rings); ignored for a seqlock.
        #[arg(long, default_value_t = 1)]
        capacity: usize,
        /// Reader seats of a broadcast, producer seats of an MPSC ring.
        #[arg(long)]
        seats: Option<usize>,
        /// How many such objects.
        #[arg(long, default_value_t = 1, value_name = "N")]
        count: usize,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum Kind {
    Queue,
    Seqlock,
    Broadcast,
    Mpsc,
    Table,
}

/// Runs the inspector on `args` (the program's name first), writing to `out`;
/// returns the exit status: 0, 1 for a failure (or `doctor` finding a limit
/// short), 2 for a usage error.
pub fn main<I, T>(args: I, out: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version on the output, usage errors on standard error.
            if e.use_stderr() {
                eprint!("{}", e.render());
            } else {
                let _ = write!(out, "{}", e.render());
            }
            return e.exit_code();
        }
    };
    let result = match cli.command.unwrap_or(Command::List(cli.list)) {
        Command::List(l) if l.watch => watch::watch(out, l.json, l.count),
        Command::List(l) => list(out, l.json),
        Command::Clean { dry_run, json } => clean::clean(out, dry_run, json),
        Command::Doctor {
            kind,
            size,
            align,
            capacity,
            seats,
            count,
        } => {
            let kind = match kind {
                Kind::Queue => LayoutKind::Queue,
                Kind::Seqlock => LayoutKind::SeqLock,
                Kind::Broadcast => LayoutKind::Broadcast,
                Kind::Mpsc => LayoutKind::Mpsc,
                Kind::Table => LayoutKind::Table,
            };
            let mut want = Want::new(kind, size, capacity).align(align).count(count);
            if let Some(seats) = seats {
                want = want.seats(seats);
            }
            doctor::doctor(out, &want)
        }
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            let _ = out.flush();
            eprintln!("sysv-ipc: {e}");
            1
        }
    }
}

/// An error of the tool: the crate's, or writing the output.
type Failure = Box<dyn std::error::Error>;

fn list(out: &mut dyn Write, json: bool) -> Result<i32, Failure> {
    let rows = rows::rows(crate::text::now())?;
    if json {
        let v: Vec<_> = rows.iter().map(|r| rows::json(r, None)).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let cells: Vec<_> = rows.iter().map(|r| rows::cells(r, None)).collect();
        write!(out, "{}", rows::render(&rows::titles(false), &cells))?;
    }
    Ok(0)
}
