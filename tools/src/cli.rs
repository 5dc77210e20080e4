//! What the util-linux tools get from glibc and `lib/`: `getopt_long` (with its
//! permutation, abbreviations and exact messages), `err`/`warnx`-style messages,
//! "Try '... --help'", and the terminal width libsmartcols fits tables to.
//!
//! The parser is hand-written, not clap, because the tools' usage errors must be
//! glibc's to the byte and come in util-linux's order, and clap (4.6) gives neither:
//! `--s` is "ambiguous; possibilities: '--shmems' '--semaphores' '--summary'" for
//! glibc, one suggestion for clap; `--foo=1` is "unrecognized option '--foo=1'",
//! where clap keeps only `--foo`; `-l=3` is "invalid option -- '='", a value for
//! clap; and util-linux acts on each option as `getopt_long` returns it, so `ipcs -i
//! abc -x` fails on the id before it sees `-x`, where clap reports the `-x` first.
//! Rebuilding those from clap's errors would be this parser again.
//!
//! # Safety
//!
//! `isatty` and `ioctl(TIOCGWINSZ)` are called on standard output with a pointer to
//! a live local `winsize`.
#![allow(unsafe_code)]

use std::io::Write;

/// Whether a long option takes an argument (`no_argument`, `required_argument`,
/// `optional_argument`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// `no_argument`.
    No,
    /// `required_argument`: attached (`--id=5`, `-i5`) or the next argument.
    Required,
    /// `optional_argument`: only attached (`--all=shm`, `-ashm`).
    Optional,
}

/// One entry of a `struct option` table; `val` is the short option it stands for
/// (or a private value above `char::MAX`-like range for long-only options).
#[derive(Copy, Clone, Debug)]
pub struct LongOpt {
    /// The name after `--`.
    pub name: &'static str,
    /// Whether it takes an argument.
    pub arg: Arg,
    /// What [`Getopt`] returns for it.
    pub val: u32,
}

/// What the parser found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// An option (its short letter or long-only value) and its argument.
    Opt(u32, Option<String>),
    /// glibc's message for a bad option, without the trailing newline.
    Bad(String),
}

/// `getopt_long` over `args` (`args[0]` is the program as invoked): options are
/// recognised anywhere (GNU permutation), operands are kept in [`Getopt::operands`]
/// in order, and `--` ends the options.
pub struct Getopt<'a> {
    args: &'a [String],
    short: &'static str,
    long: &'a [LongOpt],
    next: usize,
    /// Byte offset of the next option letter inside `args[next]` (a cluster like
    /// `-qmi5`), 0 when not inside one.
    pos: usize,
    /// The arguments that are not options, in their order, once parsing has ended.
    pub operands: Vec<String>,
}

impl<'a> Getopt<'a> {
    /// A parser of `args` with `getopt_long`'s `optstring` (`short`) and `longopts`.
    pub fn new(args: &'a [String], short: &'static str, long: &'a [LongOpt]) -> Self {
        Getopt {
            args,
            short,
            long,
            next: 1,
            pos: 0,
            operands: Vec::new(),
        }
    }

    fn argv0(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }

    /// The optstring's entry for `c`: `None` if unknown, else its argument kind.
    fn short_spec(&self, c: char) -> Option<Arg> {
        if c == ':' {
            return None;
        }
        let i = self.short.find(c)?;
        let rest = &self.short[i + c.len_utf8()..];
        Some(if rest.starts_with("::") {
            Arg::Optional
        } else if rest.starts_with(':') {
            Arg::Required
        } else {
            Arg::No
        })
    }

    fn long_option(&mut self, body: &str) -> Item {
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let argv0 = self.argv0().to_owned();
        let found = match self.long.iter().find(|o| o.name == name) {
            Some(o) => *o,
            None => {
                let candidates: Vec<&LongOpt> = self
                    .long
                    .iter()
                    .filter(|o| o.name.starts_with(name))
                    .collect();
                let Some(first) = candidates.first().copied() else {
                    return Item::Bad(format!("{argv0}: unrecognized option '--{body}'"));
                };
                // glibc accepts an abbreviation matching several entries if they all
                // mean the same thing, and otherwise lists the first match and every
                // match that differs from it.
                let differ: Vec<&&LongOpt> = candidates
                    .iter()
                    .filter(|o| o.arg != first.arg || o.val != first.val)
                    .collect();
                if !differ.is_empty() {
                    let mut msg =
                        format!("{argv0}: option '--{body}' is ambiguous; possibilities:");
                    for o in &candidates {
                        if std::ptr::eq(*o, first) || differ.iter().any(|d| std::ptr::eq(**d, *o)) {
                            msg.push_str(&format!(" '--{}'", o.name));
                        }
                    }
                    return Item::Bad(msg);
                }
                *first
            }
        };
        match (found.arg, value) {
            (Arg::No, Some(_)) => Item::Bad(format!(
                "{argv0}: option '--{}' doesn't allow an argument",
                found.name
            )),
            (Arg::No, None) | (Arg::Optional, None) => Item::Opt(found.val, None),
            (_, Some(v)) => Item::Opt(found.val, Some(v)),
            (Arg::Required, None) => match self.args.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Item::Opt(found.val, Some(v.clone()))
                }
                None => Item::Bad(format!(
                    "{argv0}: option '--{}' requires an argument",
                    found.name
                )),
            },
        }
    }
}

impl Iterator for Getopt<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.pos == 0 {
            loop {
                let arg = self.args.get(self.next)?;
                if arg == "--" {
                    self.operands
                        .extend(self.args[self.next + 1..].iter().cloned());
                    self.next = self.args.len();
                    return None;
                }
                if let Some(body) = arg.strip_prefix("--") {
                    let body = body.to_owned();
                    self.next += 1;
                    return Some(self.long_option(&body));
                }
                if arg.len() > 1 && arg.starts_with('-') {
                    self.pos = 1;
                    break;
                }
                self.operands.push(arg.clone());
                self.next += 1;
            }
        }
        let arg = &self.args[self.next];
        let c = arg[self.pos..].chars().next()?;
        self.pos += c.len_utf8();
        let rest = arg[self.pos..].to_owned();
        let at_end = rest.is_empty();
        let argv0 = self.argv0().to_owned();
        let finish_cluster = |g: &mut Self| {
            g.pos = 0;
            g.next += 1;
        };
        match self.short_spec(c) {
            None => {
                if at_end {
                    finish_cluster(self);
                }
                Some(Item::Bad(format!("{argv0}: invalid option -- '{c}'")))
            }
            Some(Arg::No) => {
                if at_end {
                    finish_cluster(self);
                }
                Some(Item::Opt(c as u32, None))
            }
            Some(Arg::Optional) => {
                finish_cluster(self);
                Some(Item::Opt(c as u32, (!at_end).then_some(rest)))
            }
            Some(Arg::Required) => {
                finish_cluster(self);
                if !at_end {
                    return Some(Item::Opt(c as u32, Some(rest)));
                }
                match self.args.get(self.next) {
                    Some(v) => {
                        let v = v.clone();
                        self.next += 1;
                        Some(Item::Opt(c as u32, Some(v)))
                    }
                    None => Some(Item::Bad(format!(
                        "{argv0}: option requires an argument -- '{c}'"
                    ))),
                }
            }
        }
    }
}

/// How a tool ends early: its exit status, after its message was written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Exit(pub i32);

/// A tool's streams and names: `prog` is `program_invocation_short_name`, which
/// util-linux puts before its own messages (getopt's use `argv[0]` as given).
pub struct Io<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
    /// `argv[0]`'s last path component.
    pub prog: String,
    /// The first failed write to `out`, reported at exit as util-linux's
    /// `close_stdout` does.
    pub out_error: Option<std::io::Error>,
    /// `out`'s terminal width when `out` is a terminal ([`terminal_width`]); `None`
    /// (not a terminal) unless the caller says otherwise.
    pub terminal: Option<usize>,
}

impl<'a> Io<'a> {
    /// The streams of a program invoked as `argv0`, not a terminal.
    pub fn new(argv0: &str, out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        let prog = argv0.rsplit('/').next().unwrap_or(argv0).to_owned();
        Io {
            out,
            err,
            prog,
            out_error: None,
            terminal: None,
        }
    }

    /// Writes to standard output (printf); a failure is remembered for the exit.
    pub fn print(&mut self, args: std::fmt::Arguments<'_>) {
        if self.out_error.is_none()
            && let Err(e) = self.out.write_fmt(args)
        {
            self.out_error = Some(e);
        }
    }

    /// `warnx`: "prog: message".
    pub fn warnx(&mut self, msg: &str) {
        // Nothing useful is left to do when standard error itself fails.
        let _ = writeln!(self.err, "{}: {msg}", self.prog);
    }

    /// `errx(EXIT_FAILURE, ...)`.
    pub fn errx(&mut self, msg: &str) -> Exit {
        self.warnx(msg);
        Exit(1)
    }

    /// `err(EXIT_FAILURE, ...)`: the message and `strerror(errno)`.
    pub fn err_errno(&mut self, msg: &str, errno: i32) -> Exit {
        self.warnx(&format!("{msg}: {}", strerror(errno)));
        Exit(1)
    }

    /// getopt's message for a bad option, then `errtryhelp(EXIT_FAILURE)`.
    pub fn bad_option(&mut self, msg: &str) -> Exit {
        let _ = writeln!(self.err, "{msg}");
        self.try_help()
    }

    /// `errtryhelp(EXIT_FAILURE)`.
    pub fn try_help(&mut self) -> Exit {
        let _ = writeln!(self.err, "Try '{} --help' for more information.", self.prog);
        Exit(1)
    }

    /// `-V`: util-linux prints "prog from util-linux 2.38.1"; this is not util-linux.
    pub fn version(&mut self) -> Exit {
        let prog = self.prog.clone();
        self.print(format_args!(
            "{prog} from sysv-ipc {} (util-linux 2.38 compatible)\n",
            env!("CARGO_PKG_VERSION")
        ));
        Exit(0)
    }

    /// The exit status a tool returns, with `close_stdout`'s check of the output.
    pub fn finish(&mut self, status: Result<(), Exit>) -> i32 {
        let status = match status {
            Ok(()) => 0,
            Err(Exit(code)) => code,
        };
        if let Err(e) = self.out.flush()
            && self.out_error.is_none()
        {
            self.out_error = Some(e);
        }
        match self.out_error.take() {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                match e.raw_os_error() {
                    Some(errno) => self.warnx(&format!("write error: {}", strerror(errno))),
                    None => self.warnx("write error"),
                }
                1
            }
            _ => status,
        }
    }
}

/// `printf` into an [`Io`]'s standard output.
macro_rules! out {
    ($io:expr, $($arg:tt)*) => {
        $io.print(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// glibc's `strerror` text for `errno` (the crate carries glibc's table).
pub fn strerror(errno: i32) -> String {
    if errno == 0 {
        return String::from("Success");
    }
    u16::try_from(errno)
        .ok()
        .and_then(|e| sysv_ipc::Errno::from_raw(e).description())
        .map_or_else(|| format!("Unknown error {errno}"), str::to_owned)
}

/// Runs `tool` as a program: the process's arguments, standard streams and exit.
pub fn run(tool: fn(&[String], &mut Io<'_>) -> Result<(), Exit>) -> ! {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    std::process::exit(run_on_stdio(tool, &args, &mut out, &mut err))
}

/// Runs `tool` on `args` (`args[0]` the program name) writing to `out` and `err`,
/// which are the process's standard output and error: whether `out` is a terminal,
/// and how wide, is asked of file descriptor 1 ([`terminal_width`]). Returns the exit
/// status.
pub fn run_on_stdio(
    tool: fn(&[String], &mut Io<'_>) -> Result<(), Exit>,
    args: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let argv0 = args.first().cloned().unwrap_or_default();
    let mut io = Io::new(&argv0, out, err);
    io.terminal = terminal_width();
    let status = tool(args, &mut io);
    io.finish(status)
}

/// The width libsmartcols 2.38 fits its tables to, `None` when standard output is
/// not a terminal (`isatty(STDOUT_FILENO)`; then nothing is fitted and `COLUMNS`
/// is never looked at).
///
/// On a terminal: its column count (`ioctl(STDOUT_FILENO, TIOCGWINSZ)`); when that
/// fails or is 0 (a terminal nobody sized, as a fresh pseudo-terminal is), `COLUMNS`
/// if it is a decimal number from 1 to `INT_MAX` and nothing else, as `strtol`
/// reads it (leading blanks and a `+` allowed); otherwise 80 (`get_terminal_dimension`
/// in util-linux's `lib/ttyutils.c`, `scols_new_table` in `libsmartcols/src/table.c`).
pub fn terminal_width() -> Option<usize> {
    // SAFETY: isatty takes a descriptor number only.
    if unsafe { libc::isatty(libc::STDOUT_FILENO) } != 1 {
        return None;
    }
    // SAFETY: `winsize` is plain integers, for which zero is valid.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, to a live local.
    let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &raw mut ws) };
    if r == 0 && ws.ws_col > 0 {
        return Some(usize::from(ws.ws_col));
    }
    Some(columns_env(std::env::var_os("COLUMNS").as_deref()).unwrap_or(80))
}

/// util-linux's `get_env_int`: `strtol(value, &end, 10)` with no error, at least one
/// digit, nothing after them, and a value in `1..=INT_MAX`.
fn columns_env(value: Option<&std::ffi::OsStr>) -> Option<usize> {
    let s = value?.to_str()?;
    let (x, end, erange) = crate::text::strtoimax(s, 10);
    if erange || end == 0 || end != s.len() || !(1..=i64::from(i32::MAX)).contains(&x) {
        return None;
    }
    usize::try_from(x).ok()
}

/// A tool's complete run captured in memory: what the tests compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// The exit status.
    pub status: i32,
    /// Standard output (UTF-8, lossily).
    pub stdout: String,
    /// Standard error (UTF-8, lossily).
    pub stderr: String,
}

/// Runs `tool` on `args` (`args[0]` the program name) into memory.
pub fn capture(tool: fn(&[String], &mut Io<'_>) -> Result<(), Exit>, args: &[&str]) -> Captured {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = {
        let mut io = Io::new(&args[0], &mut out, &mut err);
        let r = tool(&args, &mut io);
        io.finish(r)
    };
    Captured {
        status,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}
