//! `clean`: removes what [`sysv_ipc::info::abandoned`] finds and the caller may
//! remove (its own user's objects, or all for root), each after
//! [`sysv_ipc::info::remove_abandoned`]'s checks; `--dry-run` lists them.

use std::io::Write;

use serde_json::json;
use sysv_ipc::info::{self, AbandonReason, AbandonedObject, Cleanup};

use super::Failure;

fn reason(o: &AbandonedObject) -> String {
    match o.reason {
        AbandonReason::HoldersDied { dead } => {
            format!("every role holder died ({dead} dead), nothing attached")
        }
        AbandonReason::CreatorDied { state } => {
            format!("its creator died initialising it (state {state}), nothing attached")
        }
    }
}

fn what(o: &AbandonedObject) -> String {
    let kind = o.kind.map_or("unpublished layout", |k| k.name());
    let sems = o
        .semaphores
        .map_or_else(String::new, |s| format!(" and semaphore set {s}"));
    format!("key 0x{:08x} shmid {} ({kind}){sems}", o.key.raw(), o.id)
}

/// Lists (`dry_run`) or removes; skips what the caller may not remove, saying so
/// on standard error.
pub fn clean(out: &mut dyn Write, dry_run: bool, json: bool) -> Result<i32, Failure> {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    let mut status = 0;
    let mut listed = Vec::new();
    for o in info::abandoned()? {
        let o = o?;
        if !o.removable_by(euid) {
            eprintln!(
                "sysv-ipc: skipped {}: owned by uid {}, not removable by uid {euid}",
                what(&o),
                o.stat.perm.uid
            );
            continue;
        }
        let done = if dry_run {
            "would remove"
        } else {
            match info::remove_abandoned(&o) {
                Ok(Cleanup::Removed {
                    attached_meanwhile: false,
                    ..
                }) => "removed",
                Ok(Cleanup::Removed {
                    attached_meanwhile: true,
                    ..
                }) => "removed (a process attached it meanwhile)",
                Ok(Cleanup::NoLongerAbandoned) => "kept (no longer abandoned)",
                Ok(Cleanup::AlreadyGone) => "already gone",
                Err(e) => {
                    status = 1;
                    eprintln!("sysv-ipc: {}: {e}", what(&o));
                    continue;
                }
            }
        };
        if json {
            listed.push(json!({
                "action": done,
                "shmid": o.id,
                "key": o.key.raw(),
                "kind": o.kind.map(|k| k.name()),
                "semid": o.semaphores,
                "reason": reason(&o),
            }));
        } else {
            writeln!(out, "{done} {}: {}", what(&o), reason(&o))?;
        }
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&listed)?)?;
    }
    Ok(status)
}
