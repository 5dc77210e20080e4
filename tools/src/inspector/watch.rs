//! `--watch`: the list again every second, with each object's messages per second
//! from two readings of its counter ([`LayoutInfo::messages`]: indices and
//! versions the layout keeps anyway), so without joining any role.
//!
//! [`LayoutInfo::messages`]: sysv_ipc::info::LayoutInfo::messages

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::{Failure, rows};

/// Between two refreshes.
const PERIOD: Duration = Duration::from_secs(1);

/// Refreshes until `count` refreshes were printed (forever without one).
pub fn watch(out: &mut dyn Write, json: bool, count: Option<u64>) -> Result<i32, Failure> {
    // A segment is the same object while its id and creation time are.
    let mut last: HashMap<(i32, i64), (Instant, u64)> = HashMap::new();
    let clear = !json && std::io::stdout().is_terminal();
    let start = Instant::now();
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        if n > 0 {
            // Each refresh at its own second from the start: no drift.
            let due = start + PERIOD * u32::try_from(n).unwrap_or(u32::MAX);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        let now = crate::text::now();
        let mut seen = HashMap::new();
        let mut table = Vec::new();
        for found in sysv_ipc::info::layouts()? {
            let found = found?;
            // The instant of the reading: right after the counter was read.
            let at = Instant::now();
            let row = rows::row(&found, now);
            let ident = (found.id(), found.stat().ctime);
            let rate = row.layout.as_ref().and_then(|l| l.messages).map(|m| {
                seen.insert(ident, (at, m));
                last.get(&ident).and_then(|&(t0, m0)| {
                    let dt = at.duration_since(t0).as_secs_f64();
                    (dt > 0.0 && m >= m0).then(|| (m - m0) as f64 / dt)
                })
            });
            table.push((row, rate));
        }
        last = seen;
        if json {
            let v: Vec<_> = table.iter().map(|(r, rate)| rows::json(r, *rate)).collect();
            writeln!(out, "{}", serde_json::to_string(&v)?)?;
        } else {
            if clear {
                write!(out, "\x1b[H\x1b[2J")?;
            }
            let cells: Vec<_> = table
                .iter()
                .map(|(r, rate)| rows::cells(r, Some(rate.flatten())))
                .collect();
            writeln!(
                out,
                "sysv-ipc --watch: refresh {} ({} s)",
                n + 1,
                PERIOD.as_secs()
            )?;
            write!(out, "{}", rows::render(&rows::titles(true), &cells))?;
            writeln!(out)?;
        }
        out.flush()?;
        n += 1;
    }
    Ok(0)
}
