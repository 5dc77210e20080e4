//! The generated C header `include/sysv_ipc_layout.h` is what the crate renders from
//! its layout definitions (`sysv_ipc::c_header::render`), byte for byte, and a C
//! compiler accepts it and the hand-written `include/sysv_ipc_protocol.h` with every
//! `_Static_assert` (struct offsets and sizes, segment sizes, fingerprints) holding.
//!
//! `SYSV_IPC_BLESS=1 cargo test --test c_header` rewrites the checked-in header
//! instead of failing.

use std::fs;
use std::path::Path;

use sysv_ipc_testkit::CProgram;

/// The checked-in header, embedded: the test binary needs nothing from the source
/// tree at run time (CI also runs it as another user from a copy).
const CHECKED_IN: &str = include_str!("../include/sysv_ipc_layout.h");
const PROTOCOL: &str = include_str!("../include/sysv_ipc_protocol.h");
const HEADER_PATH: &str = "include/sysv_ipc_layout.h";

fn rendered() -> String {
    let mut s = String::new();
    sysv_ipc::c_header::render(&mut s).expect("rendering into a String cannot fail");
    s
}

#[test]
fn the_checked_in_header_is_what_the_crate_renders() {
    let fresh = rendered();
    if fresh == CHECKED_IN {
        return;
    }
    if std::env::var_os("SYSV_IPC_BLESS").is_some_and(|v| v == "1") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(HEADER_PATH);
        fs::write(&path, &fresh).unwrap();
        eprintln!("SYSV_IPC_BLESS=1: rewrote {}", path.display());
        return;
    }
    let (line, (old, new)) = CHECKED_IN
        .lines()
        .chain(std::iter::repeat("<end of file>"))
        .zip(fresh.lines().chain(std::iter::repeat("<end of file>")))
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, pair)| (i + 1, pair))
        .unwrap_or((0, ("", "(only line endings differ)")));
    panic!(
        "{HEADER_PATH} is out of date with the crate's layouts.\n\
         first difference at line {line}:\n  checked in: {old}\n  rendered:   {new}\n\
         Regenerate it with\n\n    SYSV_IPC_BLESS=1 cargo test --test c_header\n\n\
         and review the diff (a changed layout also needs LAYOUT_VERSION bumped, and\n\
         include/sysv_ipc_protocol.h updated to the new protocol)."
    );
}

/// Compiles `main` (a C file) against `layout` and the protocol header, warnings
/// as errors; the compiler's stderr on failure.
fn compile(layout: &str, main: &str) -> Result<(), String> {
    let files = [
        ("sysv_ipc_layout.h", layout),
        ("sysv_ipc_protocol.h", PROTOCOL),
        ("main.c", main),
    ];
    CProgram::compile("c-header", &files, "main.c", &["-Wpedantic", "-c"]).map(drop)
}

const MAIN: &str =
    "#define _GNU_SOURCE\n#include \"sysv_ipc_protocol.h\"\nint main(void) { return 0; }\n";

#[test]
fn c_compiles_both_headers_with_every_static_assertion() {
    if let Err(stderr) = compile(&rendered(), MAIN) {
        panic!("the C compiler refused the headers:\n{stderr}");
    }
}

/// The assertions are real: a header whose declarations disagree with its numbers
/// (here, `head` declared one word later than Rust has it) does not compile.
#[test]
fn a_struct_that_disagrees_with_the_offsets_does_not_compile() {
    let good = rendered();
    let bad = good.replacen(
        "    _Atomic uint64_t head;",
        "    _Atomic uint64_t moved;\n    _Atomic uint64_t head;",
        1,
    );
    assert_ne!(bad, good, "the edit applies");
    let stderr = compile(&bad, MAIN).expect_err("a moved field must not compile");
    assert!(
        stderr.contains("svipc_ring_ctl.head: offset and size"),
        "{stderr}"
    );

    // A wrong fingerprint rule is caught as well (here: the version left out).
    let bad = good.replacen(
        "(align)), SVIPC_LAYOUT_VERSION)",
        "(align)), UINT64_C(0))",
        1,
    );
    assert_ne!(bad, good, "the edit applies");
    let stderr = compile(&bad, MAIN).expect_err("a wrong rule must not compile");
    assert!(stderr.contains("fingerprint rule"), "{stderr}");
}

/// The protocol header implements one layout version and says so when the
/// generated header moves on.
#[test]
fn the_protocol_header_refuses_another_layout_version() {
    let good = rendered();
    let version = sysv_ipc::layout::header::LAYOUT_VERSION;
    let bad = good.replacen(
        &format!("#define SVIPC_LAYOUT_VERSION UINT64_C({version})"),
        &format!("#define SVIPC_LAYOUT_VERSION UINT64_C({})", version + 1),
        1,
    );
    assert_ne!(bad, good, "the edit applies");
    let stderr = compile(&bad, MAIN).expect_err("another version must not compile");
    assert!(
        stderr.contains("sysv_ipc_protocol.h implements layout version"),
        "{stderr}"
    );
}
