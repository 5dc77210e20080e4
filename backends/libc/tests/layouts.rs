//! Every struct the libc backend hands to the C library, field by field.
//!
//! The backend passes `sysv-ipc-abi`'s kernel structs (`ipc64_perm`, `msqid64_ds`,
//! `semid64_ds`, `shmid64_ds`, `msginfo`, `seminfo`, `shminfo64`, `shm_info`, `sembuf`,
//! `timespec`) to glibc cast to glibc's own, and glibc hands them on to the kernel. So
//! each must agree with three descriptions, on every field's offset and size and on
//! the struct's size and alignment:
//!
//! - the kernel's, printed by a C program built from the kernel's headers
//!   (`<asm/{ipc,msg,sem,shm}buf.h>`, `<linux/{msg,sem,shm,time_types}.h>`);
//! - glibc's, printed by a C program built from `<sys/{ipc,msg,sem,shm}.h>` and
//!   `<time.h>`: the structs glibc's prototypes take;
//! - the libc crate's, through `offset_of!` on its public fields (its padding is
//!   private, and it binds neither `shminfo` nor `shm_info`).
//!
//! The C programs are built with the target's compiler and run on the target: natively
//! on x86_64; on aarch64 with `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER` as the
//! compiler and `..._RUNNER` (qemu-user) to run them when those are set, as in CI.
//!
//! Found when this was written (glibc 2.36, Linux 6.1 headers, libc 0.2.191): glibc's
//! structs are the kernel's field for field under other names (`__key`, `__seq`,
//! `__glibc_reserved*`; x86_64's `semid_ds` names its spare words `__sem_*time_high`);
//! the libc crate agrees on every public field except x86_64's `ipc_perm.mode`, a
//! `u16` at 20 followed by a private `u16`, where glibc and the kernel have a 4-byte
//! `mode_t`: harmless here (the backend never reads the libc crate's fields, and on a
//! little-endian target its 2 bytes are the low half of the kernel's 4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::mem::{align_of, offset_of, size_of};
use std::process::Command;

use sysv_ipc_abi::*;

/// The size of a field, from a projection: no value of the struct is needed.
fn field_size<T, F>(_: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// One field of an abi struct and its names in the two C descriptions; `""` where
/// C has no field there (the abi spells out the implicit padding C leaves).
#[derive(Debug)]
struct Field {
    rust: &'static str,
    offset: usize,
    size: usize,
    kernel: &'static str,
    glibc: &'static str,
}

/// An abi struct and the names of its C counterparts.
#[derive(Debug)]
struct Layout {
    rust: &'static str,
    size: usize,
    align: usize,
    kernel: &'static str,
    glibc: &'static str,
    fields: Vec<Field>,
}

macro_rules! layout {
    ($t:ident, kernel $k:literal, glibc $g:literal { $($f:ident => $kf:literal, $gf:literal;)* }) => {
        Layout {
            rust: stringify!($t),
            size: size_of::<$t>(),
            align: align_of::<$t>(),
            kernel: $k,
            glibc: $g,
            fields: vec![$(Field {
                rust: stringify!($f),
                offset: offset_of!($t, $f),
                size: field_size(|s: &$t| &s.$f),
                kernel: $kf,
                glibc: $gf,
            }),*],
        }
    };
}

/// Every struct the backend casts, with every field.
fn layouts() -> Vec<Layout> {
    let mut all = vec![layout!(ipc64_perm, kernel "ipc64_perm", glibc "ipc_perm" {
        key => "key", "__key";
        uid => "uid", "uid";
        gid => "gid", "gid";
        cuid => "cuid", "cuid";
        cgid => "cgid", "cgid";
        mode => "mode", "mode";
        seq => "seq", "__seq";
        _pad2 => "__pad2", "__pad2";
        _pad3 => "", "";
        _unused1 => "__unused1", "__glibc_reserved1";
        _unused2 => "__unused2", "__glibc_reserved2";
    })];
    all.push(layout!(msqid64_ds, kernel "msqid64_ds", glibc "msqid_ds" {
        msg_perm => "msg_perm", "msg_perm";
        msg_stime => "msg_stime", "msg_stime";
        msg_rtime => "msg_rtime", "msg_rtime";
        msg_ctime => "msg_ctime", "msg_ctime";
        msg_cbytes => "msg_cbytes", "__msg_cbytes";
        msg_qnum => "msg_qnum", "msg_qnum";
        msg_qbytes => "msg_qbytes", "msg_qbytes";
        msg_lspid => "msg_lspid", "msg_lspid";
        msg_lrpid => "msg_lrpid", "msg_lrpid";
        _unused4 => "__unused4", "__glibc_reserved4";
        _unused5 => "__unused5", "__glibc_reserved5";
    }));
    #[cfg(target_arch = "x86_64")]
    all.push(layout!(semid64_ds, kernel "semid64_ds", glibc "semid_ds" {
        sem_perm => "sem_perm", "sem_perm";
        sem_otime => "sem_otime", "sem_otime";
        _unused1 => "__unused1", "__sem_otime_high";
        sem_ctime => "sem_ctime", "sem_ctime";
        _unused2 => "__unused2", "__sem_ctime_high";
        sem_nsems => "sem_nsems", "sem_nsems";
        _unused3 => "__unused3", "__glibc_reserved3";
        _unused4 => "__unused4", "__glibc_reserved4";
    }));
    #[cfg(target_arch = "aarch64")]
    all.push(layout!(semid64_ds, kernel "semid64_ds", glibc "semid_ds" {
        sem_perm => "sem_perm", "sem_perm";
        sem_otime => "sem_otime", "sem_otime";
        sem_ctime => "sem_ctime", "sem_ctime";
        sem_nsems => "sem_nsems", "sem_nsems";
        _unused3 => "__unused3", "__glibc_reserved3";
        _unused4 => "__unused4", "__glibc_reserved4";
    }));
    all.push(layout!(shmid64_ds, kernel "shmid64_ds", glibc "shmid_ds" {
        shm_perm => "shm_perm", "shm_perm";
        shm_segsz => "shm_segsz", "shm_segsz";
        shm_atime => "shm_atime", "shm_atime";
        shm_dtime => "shm_dtime", "shm_dtime";
        shm_ctime => "shm_ctime", "shm_ctime";
        shm_cpid => "shm_cpid", "shm_cpid";
        shm_lpid => "shm_lpid", "shm_lpid";
        shm_nattch => "shm_nattch", "shm_nattch";
        _unused4 => "__unused4", "__glibc_reserved5";
        _unused5 => "__unused5", "__glibc_reserved6";
    }));
    all.push(layout!(msginfo, kernel "msginfo", glibc "msginfo" {
        msgpool => "msgpool", "msgpool";
        msgmap => "msgmap", "msgmap";
        msgmax => "msgmax", "msgmax";
        msgmnb => "msgmnb", "msgmnb";
        msgmni => "msgmni", "msgmni";
        msgssz => "msgssz", "msgssz";
        msgtql => "msgtql", "msgtql";
        msgseg => "msgseg", "msgseg";
        _pad => "", "";
    }));
    all.push(layout!(seminfo, kernel "seminfo", glibc "seminfo" {
        semmap => "semmap", "semmap";
        semmni => "semmni", "semmni";
        semmns => "semmns", "semmns";
        semmnu => "semmnu", "semmnu";
        semmsl => "semmsl", "semmsl";
        semopm => "semopm", "semopm";
        semume => "semume", "semume";
        semusz => "semusz", "semusz";
        semvmx => "semvmx", "semvmx";
        semaem => "semaem", "semaem";
    }));
    all.push(layout!(shminfo64, kernel "shminfo64", glibc "shminfo" {
        shmmax => "shmmax", "shmmax";
        shmmin => "shmmin", "shmmin";
        shmmni => "shmmni", "shmmni";
        shmseg => "shmseg", "shmseg";
        shmall => "shmall", "shmall";
        _unused1 => "__unused1", "__glibc_reserved1";
        _unused2 => "__unused2", "__glibc_reserved2";
        _unused3 => "__unused3", "__glibc_reserved3";
        _unused4 => "__unused4", "__glibc_reserved4";
    }));
    all.push(layout!(shm_info, kernel "shm_info", glibc "shm_info" {
        used_ids => "used_ids", "used_ids";
        _pad => "", "";
        shm_tot => "shm_tot", "shm_tot";
        shm_rss => "shm_rss", "shm_rss";
        shm_swp => "shm_swp", "shm_swp";
        swap_attempts => "swap_attempts", "swap_attempts";
        swap_successes => "swap_successes", "swap_successes";
    }));
    all.push(layout!(sembuf, kernel "sembuf", glibc "sembuf" {
        sem_num => "sem_num", "sem_num";
        sem_op => "sem_op", "sem_op";
        sem_flg => "sem_flg", "sem_flg";
    }));
    all.push(
        layout!(timespec, kernel "__kernel_timespec", glibc "timespec" {
            tv_sec => "tv_sec", "tv_sec";
            tv_nsec => "tv_nsec", "tv_nsec";
        }),
    );
    all
}

/// The tables name every byte: the abi's fields tile each struct with no gap and no
/// overlap (so the implicit C padding is where the `""` fields say, and nothing else
/// of a C struct can hide from the comparison: its named fields and these pads
/// cover it whole once the sizes agree).
#[test]
fn the_tables_cover_every_byte() {
    for l in layouts() {
        let mut end = 0;
        for f in &l.fields {
            assert_eq!(
                f.offset, end,
                "{}.{} does not follow the field before it",
                l.rust, f.rust
            );
            end += f.size;
        }
        assert_eq!(end, l.size, "{}'s fields do not fill it", l.rust);
    }
}

/// The C toolchain for this test's target: the compiler, and the command that runs
/// what it builds (empty: run it directly).
fn c_toolchain() -> (String, Vec<String>) {
    let var = if cfg!(target_arch = "aarch64") {
        "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU"
    } else {
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU"
    };
    let cc = std::env::var(format!("{var}_LINKER"))
        .or_else(|_| std::env::var("CC"))
        .unwrap_or_else(|_| "cc".into());
    let runner = std::env::var(format!("{var}_RUNNER"))
        .map(|r| r.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    (cc, runner)
}

/// One C struct as the compiler lays it out: size, alignment, and offset and size
/// of each field asked for.
#[derive(Debug, Default)]
struct CStruct {
    size: usize,
    align: usize,
    fields: BTreeMap<String, (usize, usize)>,
}

/// Builds and runs a C program that includes `headers` and prints, for every layout,
/// the struct named by `name` and each of its fields named by `field`.
fn c_layouts(
    tag: &str,
    headers: &str,
    name: fn(&Layout) -> &'static str,
    field: fn(&Field) -> &'static str,
) -> BTreeMap<String, CStruct> {
    let mut src = String::from(headers);
    src.push_str(
        "#include <stddef.h>\n#include <stdio.h>\n\
         #define S(T) printf(\"struct %s %zu %zu\\n\", #T, sizeof(struct T), _Alignof(struct T));\n\
         #define F(T, f) printf(\"field %s %s %zu %zu\\n\", #T, #f, offsetof(struct T, f), \
         sizeof(((struct T *)0)->f));\nint main(void) {\n",
    );
    for l in layouts() {
        let t = name(&l);
        writeln!(src, "S({t})").unwrap();
        for f in l.fields.iter().map(field).filter(|f| !f.is_empty()) {
            writeln!(src, "F({t}, {f})").unwrap();
        }
    }
    src.push_str("return 0;\n}\n");

    let dir = std::env::temp_dir().join(format!("sysv-ipc-layouts-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, exe) = (dir.join("layouts.c"), dir.join("layouts"));
    std::fs::write(&c, &src).unwrap();
    let (cc, runner) = c_toolchain();
    let built = Command::new(&cc)
        .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg(&c)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}"));
    assert!(
        built.status.success(),
        "`{cc}` failed on the {tag} layout program:\n{}\n{src}",
        String::from_utf8_lossy(&built.stderr)
    );
    let ran = match runner.split_first() {
        Some((first, args)) => Command::new(first).args(args).arg(&exe).output(),
        None => Command::new(&exe).output(),
    }
    .unwrap_or_else(|e| panic!("cannot run the {tag} layout program ({runner:?}): {e}"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        ran.status.success(),
        "the {tag} layout program failed: {ran:?}"
    );

    let mut out = BTreeMap::<String, CStruct>::new();
    for line in String::from_utf8(ran.stdout).unwrap().lines() {
        let w: Vec<&str> = line.split(' ').collect();
        let n = |s: &str| s.parse::<usize>().unwrap();
        match w[..] {
            ["struct", t, size, align] => {
                let s = out.entry(t.into()).or_default();
                (s.size, s.align) = (n(size), n(align));
            }
            ["field", t, f, off, size] => {
                let s = out.get_mut(t).unwrap();
                s.fields.insert(f.into(), (n(off), n(size)));
            }
            _ => panic!("unexpected line from the {tag} program: {line:?}"),
        }
    }
    out
}

/// Compares every layout with what the C program printed; all differences at once.
fn compare(
    tag: &str,
    c: &BTreeMap<String, CStruct>,
    name: fn(&Layout) -> &'static str,
    field: fn(&Field) -> &'static str,
) {
    let mut bad = Vec::new();
    for l in layouts() {
        let cs = &c[name(&l)];
        if (cs.size, cs.align) != (l.size, l.align) {
            bad.push(format!(
                "{} is {} bytes, align {}; {tag} struct {}: {}, align {}",
                l.rust,
                l.size,
                l.align,
                name(&l),
                cs.size,
                cs.align
            ));
        }
        for f in l.fields.iter().filter(|f| !field(f).is_empty()) {
            let (off, size) = cs.fields[field(f)];
            if (off, size) != (f.offset, f.size) {
                bad.push(format!(
                    "{}.{} at {} ({} bytes); {tag} {}.{} at {off} ({size} bytes)",
                    l.rust,
                    f.rust,
                    f.offset,
                    f.size,
                    name(&l),
                    field(f)
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "layouts differ from the {tag} headers:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_field_matches_the_kernel_headers() {
    let headers = "#include <asm/ipcbuf.h>\n#include <asm/msgbuf.h>\n#include <asm/sembuf.h>\n\
                   #include <asm/shmbuf.h>\n#include <linux/msg.h>\n#include <linux/sem.h>\n\
                   #include <linux/shm.h>\n#include <linux/time_types.h>\n";
    let c = c_layouts("kernel", headers, |l| l.kernel, |f| f.kernel);
    compare("kernel", &c, |l| l.kernel, |f| f.kernel);
}

#[test]
fn every_field_matches_the_glibc_headers() {
    let headers = "#define _GNU_SOURCE\n#include <sys/ipc.h>\n#include <sys/msg.h>\n\
                   #include <sys/sem.h>\n#include <sys/shm.h>\n#include <time.h>\n";
    let c = c_layouts("glibc", headers, |l| l.glibc, |f| f.glibc);
    compare("glibc", &c, |l| l.glibc, |f| f.glibc);
}

/// Size and alignment of a libc crate struct against the abi's, then each listed
/// public field: `libc_field = abi_field`.
macro_rules! against_libc {
    ($bad:ident, $l:ty, $a:ty { $($lf:ident = $af:ident),* $(,)? }) => {
        if (size_of::<$l>(), align_of::<$l>()) != (size_of::<$a>(), align_of::<$a>()) {
            $bad.push(format!(
                "{}: {} bytes, align {}; {}: {}, align {}",
                stringify!($a), size_of::<$a>(), align_of::<$a>(),
                stringify!($l), size_of::<$l>(), align_of::<$l>()
            ));
        }
        $(
            let ours = (offset_of!($a, $af), field_size(|s: &$a| &s.$af));
            let theirs = (offset_of!($l, $lf), field_size(|s: &$l| &s.$lf));
            if ours != theirs {
                $bad.push(format!(
                    "{}.{} at {} ({} bytes); {}.{} at {} ({} bytes)",
                    stringify!($a), stringify!($af), ours.0, ours.1,
                    stringify!($l), stringify!($lf), theirs.0, theirs.1
                ));
            }
        )*
    };
}

#[test]
fn every_public_field_matches_the_libc_crate() {
    let mut bad: Vec<String> = Vec::new();
    // x86_64's `mode` is the one difference (see the module docs), checked on its own.
    #[cfg(target_arch = "x86_64")]
    {
        assert_eq!(
            offset_of!(libc::ipc_perm, mode),
            offset_of!(ipc64_perm, mode)
        );
        assert_eq!(field_size(|s: &libc::ipc_perm| &s.mode), 2);
        assert_eq!(offset_of!(libc::ipc_perm, __seq), 24);
        against_libc!(bad, libc::ipc_perm, ipc64_perm { __key = key, uid = uid, gid = gid,
            cuid = cuid, cgid = cgid, __seq = seq });
    }
    #[cfg(not(target_arch = "x86_64"))]
    against_libc!(bad, libc::ipc_perm, ipc64_perm { __key = key, uid = uid, gid = gid,
        cuid = cuid, cgid = cgid, mode = mode, __seq = seq });
    against_libc!(bad, libc::msqid_ds, msqid64_ds {
        msg_perm = msg_perm, msg_stime = msg_stime, msg_rtime = msg_rtime,
        msg_ctime = msg_ctime, __msg_cbytes = msg_cbytes, msg_qnum = msg_qnum,
        msg_qbytes = msg_qbytes, msg_lspid = msg_lspid, msg_lrpid = msg_lrpid,
    });
    against_libc!(bad, libc::semid_ds, semid64_ds {
        sem_perm = sem_perm, sem_otime = sem_otime, sem_ctime = sem_ctime,
        sem_nsems = sem_nsems,
    });
    against_libc!(bad, libc::shmid_ds, shmid64_ds {
        shm_perm = shm_perm, shm_segsz = shm_segsz, shm_atime = shm_atime,
        shm_dtime = shm_dtime, shm_ctime = shm_ctime, shm_cpid = shm_cpid,
        shm_lpid = shm_lpid, shm_nattch = shm_nattch,
    });
    against_libc!(bad, libc::msginfo, msginfo {
        msgpool = msgpool, msgmap = msgmap, msgmax = msgmax, msgmnb = msgmnb,
        msgmni = msgmni, msgssz = msgssz, msgtql = msgtql, msgseg = msgseg,
    });
    against_libc!(bad, libc::seminfo, seminfo {
        semmap = semmap, semmni = semmni, semmns = semmns, semmnu = semmnu,
        semmsl = semmsl, semopm = semopm, semume = semume, semusz = semusz,
        semvmx = semvmx, semaem = semaem,
    });
    against_libc!(bad, libc::sembuf, sembuf { sem_num = sem_num, sem_op = sem_op,
        sem_flg = sem_flg });
    against_libc!(bad, libc::timespec, timespec { tv_sec = tv_sec, tv_nsec = tv_nsec });
    assert!(
        bad.is_empty(),
        "layouts differ from the libc crate's:\n{}",
        bad.join("\n")
    );
}
