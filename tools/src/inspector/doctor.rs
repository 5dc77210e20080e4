//! `doctor`: what objects of a shape need ([`sysv_ipc::info::needs`], by the
//! layouts' own size functions) against the namespace's limits, and the sysctl
//! commands that raise those that are short.

use std::io::Write;

use sysv_ipc::Limit;
use sysv_ipc::info::{self, LayoutKind, Want};

use super::Failure;

fn shape(want: &Want) -> String {
    let mut s = format!("{} of {}-byte values", want.kind.name(), want.type_size);
    if want.kind != LayoutKind::SeqLock {
        s.push_str(&format!(", {} slots", want.capacity));
    }
    match want.kind {
        LayoutKind::Broadcast => s.push_str(&format!(", {} readers", want.seats)),
        LayoutKind::Mpsc => s.push_str(&format!(", {} producers", want.seats)),
        _ => {}
    }
    s
}

/// Prints the needs and the checks; 1 if a limit is short, 2 for a shape no
/// type has.
pub fn doctor(out: &mut dyn Write, want: &Want) -> Result<i32, Failure> {
    let page = usize::try_from(crate::text::page_size()).unwrap_or(4096);
    let Some(needs) = info::needs(want, page)? else {
        writeln!(
            out,
            "{}: no such layout (a ring's capacity is a power of two, a broadcast's at least 2; \
             values are not empty; alignment is a power of two up to 4096; seats are 1..=960 \
             readers or 1..=64 producers)",
            shape(want)
        )?;
        return Ok(2);
    };
    writeln!(
        out,
        "{}: a segment of {} bytes ({} pages of {page}) and a set of {} semaphores each; {} object{}",
        shape(want),
        needs.segment_size,
        needs.segment_pages,
        needs.semaphores_per_set,
        needs.count,
        if needs.count == 1 { "" } else { "s" },
    )?;
    let short: Vec<_> = needs.shortfalls().copied().collect();
    for limit in [
        Limit::Shmmax,
        Limit::Shmall,
        Limit::Shmmni,
        Limit::Semmsl,
        Limit::Semmns,
        Limit::Semmni,
    ] {
        match short.iter().find(|s| s.limit == limit) {
            Some(s) => writeln!(
                out,
                "SHORT {:<18} is {}, needs {}",
                limit.sysctl(),
                s.current,
                s.required
            )?,
            None => writeln!(out, "ok    {}", limit.sysctl())?,
        }
    }
    if needs.fits() {
        writeln!(out, "Every limit suffices.")?;
        return Ok(0);
    }
    writeln!(out, "Raise them (as root, in this IPC namespace):")?;
    write!(out, "{needs}")?;
    Ok(1)
}
