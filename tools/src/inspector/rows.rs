//! One row per segment: what the inspector shows, read through `info::layouts`
//! (read-only attachments, no role joined), as a table or as JSON.

use serde_json::{Value, json};
use sysv_ipc::info::{self, Inspection, LayoutKind, Liveness, NotLayout, Role, RoleEntry};
use sysv_ipc::queue::Barrier;

/// A role seat as the table names it: the role, and the seat's number where the
/// kind has several (`reader1`, an MPSC ring's `producer0`).
fn seat_name(kind: LayoutKind, role: Role, seat: usize) -> String {
    match (kind, role) {
        (LayoutKind::Broadcast, Role::Reader) | (LayoutKind::Mpsc, Role::Producer) => {
            format!("{}{seat}", role.name())
        }
        _ => role.name().to_owned(),
    }
}

/// A role seat that a process registered in.
#[derive(Clone, Debug)]
pub struct RoleRow {
    /// `producer`, `consumer`, `writer`, `reader`.
    pub role: &'static str,
    /// The role, with the seat where the kind has several (`reader1`).
    pub name: String,
    /// The seat of that role (0 for a single one).
    pub seat: usize,
    /// The registered pid.
    pub pid: Option<u32>,
    /// `alive`, `dead`, `claiming`, `free`, `unknown`.
    pub liveness: &'static str,
    /// The seat's waiting flag, where the layout keeps one.
    pub parked: Option<bool>,
    /// A broadcast reader's distance behind the writer.
    pub lag: Option<u64>,
}

/// The crate's layout in a segment.
#[derive(Clone, Debug)]
pub struct LayoutRow {
    /// `Queue`, `SeqLock`, ...
    pub kind: &'static str,
    /// `layout_version`.
    pub version: u64,
    /// The type fingerprint.
    pub fingerprint: u64,
    /// `size_of::<T>()`.
    pub type_size: u64,
    /// Slots.
    pub capacity: u64,
    /// Messages in a queue or an MPSC ring.
    pub occupancy: Option<u64>,
    /// Messages ever published (the rate's counter).
    pub messages: Option<u64>,
    /// Role seats in all.
    pub seats: usize,
    /// The seats a process registered in.
    pub roles: Vec<RoleRow>,
    /// The roles whose waiting flag is set.
    pub parked: Vec<String>,
    /// The wake check, for the ring kinds.
    pub barrier: Option<&'static str>,
    /// The pid that initialised the header.
    pub creator_pid: u64,
    /// The first implausible header field.
    pub corrupt: Option<&'static str>,
}

/// One segment.
#[derive(Clone, Debug)]
pub struct Row {
    /// The key (0 for a private one).
    pub key: i32,
    /// The segment id.
    pub shmid: i32,
    /// Bytes (`shm_segsz`).
    pub size: usize,
    /// Attachments (before the inspector's).
    pub nattch: u64,
    /// Owner uid.
    pub uid: u32,
    /// Creator uid.
    pub cuid: u32,
    /// The creating process (`shm_cpid`).
    pub cpid: i32,
    /// Seconds since `shm_ctime`.
    pub age: i64,
    /// The layout, if the segment holds one of the crate's.
    pub layout: Option<LayoutRow>,
    /// Otherwise what it is: `plain`, `initializing`, `unreadable`, ...
    pub other: Option<String>,
}

fn liveness(l: Liveness) -> &'static str {
    match l {
        Liveness::Free => "free",
        Liveness::Alive => "alive",
        Liveness::Claiming => "claiming",
        Liveness::Dead => "dead",
        Liveness::Unknown => "unknown",
    }
}

fn barrier(b: Barrier) -> &'static str {
    match b {
        Barrier::Symmetric => "symmetric",
        Barrier::Asymmetric => "asymmetric",
    }
}

fn other(found: &Inspection) -> String {
    if let Some(e) = found.unattachable() {
        return format!(
            "unreadable ({})",
            std::io::Error::from_raw_os_error(e.raw_i32())
        );
    }
    match found.not_layout() {
        Some(NotLayout::TooSmall | NotLayout::NoMark) | None => "plain".to_owned(),
        Some(NotLayout::NotReady { state }) => format!("initializing (state {state})"),
        Some(NotLayout::BadState(s)) => format!("corrupt header (state {s})"),
        Some(NotLayout::UnknownKind(k)) => format!("unknown kind {k}"),
    }
}

fn role_row(kind: LayoutKind, r: &RoleEntry) -> RoleRow {
    RoleRow {
        role: r.role.name(),
        name: seat_name(kind, r.role, r.seat),
        seat: r.seat,
        pid: r.pid,
        liveness: liveness(r.liveness),
        parked: r.parked,
        lag: r.lag,
    }
}

/// The row of one inspected segment at `now` (seconds since the epoch).
pub fn row(found: &Inspection, now: i64) -> Row {
    let stat = found.stat();
    let layout = found.layout().map(|l| {
        let entries: Vec<RoleEntry> = found.roles().filter_map(Result::ok).collect();
        let parked = entries
            .iter()
            .filter(|r| r.parked == Some(true))
            .map(|r| seat_name(l.kind, r.role, r.seat))
            .collect();
        LayoutRow {
            kind: l.kind.name(),
            version: l.version,
            fingerprint: l.type_id,
            type_size: l.type_size,
            capacity: l.capacity,
            occupancy: l.occupancy(),
            messages: l.messages(),
            seats: entries.len(),
            roles: entries
                .iter()
                .filter(|r| r.pid.is_some() || r.liveness.is_held())
                .map(|r| role_row(l.kind, r))
                .collect(),
            parked,
            barrier: l.barrier().map(barrier),
            creator_pid: l.creator_pid,
            corrupt: l.corrupt,
        }
    });
    Row {
        key: stat.perm.key.raw(),
        shmid: found.id(),
        size: stat.size,
        nattch: stat.nattch,
        uid: stat.perm.uid,
        cuid: stat.perm.cuid,
        cpid: stat.cpid,
        age: now.saturating_sub(stat.ctime).max(0),
        other: layout.is_none().then(|| other(found)),
        layout,
    }
}

/// Every segment of the namespace, in index order, as rows.
pub fn rows(now: i64) -> sysv_ipc::Result<Vec<Row>> {
    let mut out = Vec::new();
    for found in info::layouts()? {
        out.push(row(&found?, now));
    }
    Ok(out)
}

/// `1h02m`, `3m05s`, `42s`, `2d03h`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

/// The roles column: `producer=1234/alive consumer=1235/dead`, `-` for none.
pub fn roles_cell(l: &LayoutRow) -> String {
    if l.roles.is_empty() {
        return format!("-/{}", l.seats);
    }
    let list: Vec<String> = l
        .roles
        .iter()
        .map(|r| {
            let seat = &r.name;
            match r.pid {
                Some(pid) => format!("{seat}={pid}/{}", r.liveness),
                None => format!("{seat}/{}", r.liveness),
            }
        })
        .collect();
    list.join(" ")
}

/// Column titles of the table; `rate` adds the watch's `MSG/S`.
pub fn titles(rate: bool) -> Vec<&'static str> {
    let mut t = vec![
        "KEY",
        "SHMID",
        "KIND",
        "VER",
        "FINGERPRINT",
        "SIZE",
        "CAP",
        "OCC",
        "ROLES",
        "PARKED",
        "BARRIER",
        "CREATOR",
        "AGE",
        "ATT",
    ];
    if rate {
        t.push("MSG/S");
    }
    t
}

/// The table's cells of `row`; `rate` is the watch's, `Some(None)` before it
/// has two readings.
pub fn cells(row: &Row, rate: Option<Option<f64>>) -> Vec<String> {
    let dash = || "-".to_owned();
    let mut c = vec![format!("0x{:08x}", row.key), row.shmid.to_string()];
    match &row.layout {
        Some(l) => {
            let kind = match l.corrupt {
                Some(field) => format!("{} (corrupt {field})", l.kind),
                None => l.kind.to_owned(),
            };
            c.extend([
                kind,
                l.version.to_string(),
                format!("{:016x}", l.fingerprint),
                row.size.to_string(),
                l.capacity.to_string(),
                l.occupancy.map_or_else(dash, |o| o.to_string()),
                roles_cell(l),
                if l.parked.is_empty() {
                    dash()
                } else {
                    l.parked.join(",")
                },
                l.barrier.map_or_else(dash, str::to_owned),
                l.creator_pid.to_string(),
            ]);
        }
        None => {
            c.push(row.other.clone().unwrap_or_else(|| "plain".to_owned()));
            c.extend([dash(), dash(), row.size.to_string()]);
            c.extend([dash(), dash(), dash(), dash(), dash()]);
            c.push(row.cpid.to_string());
        }
    }
    c.push(age(row.age));
    c.push(row.nattch.to_string());
    if let Some(rate) = rate {
        c.push(rate.map_or_else(dash, |r| format!("{r:.1}")));
    }
    c
}

/// Left-aligned columns two spaces apart, trailing blanks trimmed.
pub fn render(titles: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = titles.iter().map(|t| t.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            l.push_str(c);
            let pad = widths[i].saturating_sub(c.chars().count());
            l.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut titles.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
    out
}

/// The JSON object of `row`; `rate` as in [`cells`].
pub fn json(row: &Row, rate: Option<Option<f64>>) -> Value {
    let mut v = json!({
        "key": row.key,
        "key_hex": format!("0x{:08x}", row.key),
        "shmid": row.shmid,
        "size": row.size,
        "attached": row.nattch,
        "uid": row.uid,
        "creator_uid": row.cuid,
        "cpid": row.cpid,
        "age_seconds": row.age,
    });
    match &row.layout {
        Some(l) => {
            v["kind"] = json!(l.kind);
            v["layout"] = json!({
                "version": l.version,
                "fingerprint": format!("{:016x}", l.fingerprint),
                "type_size": l.type_size,
                "capacity": l.capacity,
                "occupancy": l.occupancy,
                "messages": l.messages,
                "seats": l.seats,
                "roles": l.roles.iter().map(|r| json!({
                    "role": r.role,
                    "seat": r.seat,
                    "pid": r.pid,
                    "liveness": r.liveness,
                    "parked": r.parked,
                    "lag": r.lag,
                })).collect::<Vec<_>>(),
                "parked": l.parked,
                "barrier": l.barrier,
                "creator_pid": l.creator_pid,
                "corrupt": l.corrupt,
            });
        }
        None => {
            v["kind"] = Value::Null;
            v["plain"] = json!(row.other);
        }
    }
    if let Some(rate) = rate {
        v["messages_per_second"] = json!(rate);
    }
    v
}
