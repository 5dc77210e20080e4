//! The per-IPC-namespace limits under `/proc/sys/kernel`.
//!
//! `kernel.msgmax`, `msgmnb`, `msgmni`, `sem`, `shmmax`, `shmall`, `shmmni` belong to
//! the IPC namespace of the process that opens the file, so a test lowers them inside
//! [`in_ipc_namespace`](crate::in_ipc_namespace) and the host never notices.

use std::fmt::Display;
use std::sync::atomic::Ordering;

use crate::process::IN_NAMESPACE;

/// Writes `value` to `/proc/sys/<name>`, e.g. `set_sysctl("kernel/msgmni", 1)`.
///
/// # Panics
///
/// Outside a namespace made by [`in_ipc_namespace`](crate::in_ipc_namespace) (it
/// would change the host's limits), or if the write fails.
pub fn set_sysctl(name: &str, value: impl Display) {
    assert!(
        IN_NAMESPACE.load(Ordering::Relaxed),
        "set_sysctl({name}) outside in_ipc_namespace would change the host's limits"
    );
    let path = format!("/proc/sys/{name}");
    let text = value.to_string();
    if let Err(e) = std::fs::write(&path, &text) {
        panic!("write {text:?} to {path}: {e}");
    }
}

/// Reads `/proc/sys/<name>`, trimmed, e.g. `get_sysctl("kernel/sem")` is
/// `"32000\t1024000000\t500\t32000"`.
///
/// # Panics
///
/// If the file cannot be read.
pub fn get_sysctl(name: &str) -> String {
    let path = format!("/proc/sys/{name}");
    match std::fs::read_to_string(&path) {
        Ok(s) => s.trim().to_owned(),
        Err(e) => panic!("read {path}: {e}"),
    }
}

/// The host's huge pages as the mock describes them: the sizes under
/// `/sys/kernel/mm/hugepages/` and `vm.hugetlb_shm_group`, so that a mock and
/// this kernel answer `SHM_HUGETLB` alike. (The mock's own kernel test keeps a
/// copy: a dev-dependency on this crate would give it a second mock crate.)
pub fn host_huge_pages() -> sysv_ipc_mock::HugePages {
    let mut sizes = 0u64;
    let dir = std::fs::read_dir("/sys/kernel/mm/hugepages");
    for e in dir.into_iter().flatten().flatten() {
        let name = e.file_name().into_string().unwrap_or_default();
        let kb = name
            .strip_prefix("hugepages-")
            .and_then(|n| n.strip_suffix("kB"))
            .and_then(|kb| kb.parse::<u64>().ok());
        if let Some(kb) = kb {
            // Bit n for pages of 2^n bytes.
            sizes |= 1u64 << (kb * 1024).trailing_zeros();
        }
    }
    let shm_group = std::fs::read_to_string("/proc/sys/vm/hugetlb_shm_group")
        .ok()
        .and_then(|g| g.trim().parse().ok())
        .unwrap_or(0);
    sysv_ipc_mock::HugePages { sizes, shm_group }
}
