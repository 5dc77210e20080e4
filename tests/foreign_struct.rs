//! One derived struct, three languages (`sysv_ipc::foreign`): the C declaration that
//! `render_c` gives for a nested struct (integers of every width, floats, 2-D arrays,
//! a nested struct and an array of them) compiles with its `_Static_assert`s, and one
//! that disagrees with Rust's offsets does not; a C program built on that header and
//! a Python program built on `render_python`'s classes attach a live `Shm<Robot>`
//! the Rust test holds, read what Rust wrote through its view and write other fields
//! in place, which Rust then reads through its view, field by field.
//!
//! The peers are `tests/c/foreign_peer.c` and `tests/python/foreign_peer.py`,
//! embedded. Each kernel test runs in its own IPC namespace and starts its peer from
//! inside it. Without `python3` the Python tests say so on stderr and pass, except
//! under CI (`CI` set), which installs it: there they fail.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering::Relaxed;

use sysv_ipc::ShmView;
use sysv_ipc::foreign::{self, Foreign};
use sysv_ipc::shm::Shm;
use sysv_ipc::{Intent, Key, Mode, Removable};
use sysv_ipc_testkit::{CProgram, in_ipc_namespace};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const PEER_C: &str = include_str!("c/foreign_peer.c");
const PEER_PY: &str = include_str!("python/foreign_peer.py");

#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Pose {
    x: f64,
    y: f64,
    heading: f32,
    quality: u32,
}

/// 144 bytes, no padding: every field type the derive takes, at several depths.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Robot {
    serial: u64,
    temp_mc: i32,
    flags: u32,
    pose: Pose,
    samples: [[u16; 4]; 2],
    level: i16,
    tiny: i8,
    bits: u8,
    gain: f32,
    offsets: [[i64; 2]; 2],
    path: [Pose; 2],
}

fn c_header() -> String {
    let mut s = String::new();
    foreign::render_c(&mut s, &[Robot::TYPE]).unwrap();
    s
}

fn python_module() -> String {
    let mut s = String::new();
    foreign::render_python(&mut s, &[Robot::TYPE]).unwrap();
    s
}

/// Compiles `robot.h` (given) and a `main.c` including it twice (the include
/// guards make that legal), `-std=c11 -Wall -Wextra -Werror -Wpedantic`, object
/// only.
fn compile_header(header: &str) -> Result<(), String> {
    let main = "#include \"robot.h\"\n#include \"robot.h\"\n\
                int main(void) { Robot r = {0}; return (int)sizeof r.path; }\n";
    CProgram::compile(
        "foreign-header",
        &[("robot.h", header), ("main.c", main)],
        "main.c",
        &["-Wpedantic", "-c"],
    )
    .map(drop)
}

#[test]
fn the_rendered_c_header_compiles_with_every_static_assert() {
    let header = c_header();
    // Each struct once, the nested one first; every field asserted.
    assert_eq!(header.matches("typedef struct Pose {").count(), 1);
    assert!(header.find("typedef struct Pose {") < header.find("typedef struct Robot {"));
    assert!(header.contains("    uint16_t samples[2][4];\n"), "{header}");
    assert!(header.contains("    Pose path[2];\n"), "{header}");
    assert!(
        header.contains("_Static_assert(sizeof(Robot) == 144, "),
        "{header}"
    );
    assert_eq!(
        header.matches("_Static_assert(offsetof(Robot, ").count(),
        11
    );
    assert_eq!(header.matches("_Static_assert(offsetof(Pose, ").count(), 4);
    if let Err(stderr) = compile_header(&header) {
        panic!("the C compiler refused the rendered header:\n{stderr}\n{header}");
    }
}

/// The `_Static_assert`s are real: a declaration that disagrees with Rust's layout,
/// or a wrong number, does not compile, and the message names the field.
#[test]
fn a_header_with_a_wrong_offset_does_not_compile() {
    let good = c_header();
    // Two fields swapped: both land at the other's offset.
    let swapped = good.replacen(
        "    int8_t tiny;\n    uint8_t bits;\n",
        "    uint8_t bits;\n    int8_t tiny;\n",
        1,
    );
    assert_ne!(swapped, good, "the edit applies");
    let stderr = compile_header(&swapped).expect_err("swapped fields must not compile");
    assert!(
        stderr.contains("Robot.tiny: offset 58, size 1 in Rust"),
        "{stderr}"
    );

    // The declaration right, the asserted number wrong.
    let wrong = good.replacen(
        "offsetof(Robot, gain) == 60",
        "offsetof(Robot, gain) == 64",
        1,
    );
    assert_ne!(wrong, good, "the edit applies");
    let stderr = compile_header(&wrong).expect_err("a wrong offset must not compile");
    assert!(
        stderr.contains("Robot.gain: offset 60, size 4 in Rust"),
        "{stderr}"
    );

    // A nested struct's field out of place breaks its own asserts and its users'.
    let nested = good.replacen(
        "    float heading;\n    uint32_t quality;\n",
        "    float heading;\n    uint64_t quality;\n",
        1,
    );
    assert_ne!(nested, good, "the edit applies");
    let stderr = compile_header(&nested).expect_err("a wider field must not compile");
    assert!(stderr.contains("Pose: size 24 in Rust"), "{stderr}");
    assert!(stderr.contains("Robot.samples: offset 40"), "{stderr}");
}

/// What the test writes through its view before the peer runs.
fn rust_writes(v: &RobotView) {
    v.serial().store(0x1234_5678_9abc_def0, Relaxed);
    v.temp_mc().store(-21_500, Relaxed);
    v.pose().x().store(1.5, Relaxed);
    v.pose().y().store(-1e-300, Relaxed);
    v.pose().heading().store(f32::MIN_POSITIVE, Relaxed);
    v.pose().quality().store(u32::MAX, Relaxed);
    for i in 0..2 {
        for j in 0..4 {
            let row = v.samples().at(i).unwrap();
            row.set(j, (1000 * i + j) as u16 | 0x8000).unwrap();
        }
    }
    v.tiny().store(i8::MIN, Relaxed);
    v.gain().store(0.1, Relaxed);
    let p0 = v.path().at(0).unwrap();
    p0.x().store(f64::MAX, Relaxed);
    p0.y().store(-0.0, Relaxed);
    p0.heading().store(3.25, Relaxed);
    p0.quality().store(7, Relaxed);
}

/// The lines a peer prints for what [`rust_writes`] wrote (floats as their bits).
fn expected_lines() -> Vec<String> {
    let pose = |name: &str, x: f64, y: f64, heading: f32, quality: u32| {
        vec![
            format!("{name}.x {:016x}", x.to_bits()),
            format!("{name}.y {:016x}", y.to_bits()),
            format!("{name}.heading {:08x}", heading.to_bits()),
            format!("{name}.quality {quality}"),
        ]
    };
    let mut lines = vec![
        format!("serial {}", 0x1234_5678_9abc_def0u64),
        "temp_mc -21500".to_owned(),
    ];
    lines.extend(pose("pose", 1.5, -1e-300, f32::MIN_POSITIVE, u32::MAX));
    for i in 0..2 {
        for j in 0..4 {
            lines.push(format!("samples[{i}][{j}] {}", (1000 * i + j) | 0x8000));
        }
    }
    lines.push(format!("tiny {}", i8::MIN));
    lines.push(format!("gain {:08x}", 0.1f32.to_bits()));
    lines.extend(pose("path[0]", f64::MAX, -0.0, 3.25, 7));
    lines
}

/// What both peers write, checked through the view, field by field; and the fields
/// Rust wrote are as it left them.
fn check_peer_writes(v: &RobotView) {
    assert_eq!(v.flags().load(Relaxed), 0xC0FF_EE01);
    assert_eq!(v.level().load(Relaxed), -12_345);
    assert_eq!(v.bits().load(Relaxed), 0xA5);
    let offsets = v.offsets();
    assert_eq!(offsets.at(0).unwrap().get(0), Some(-1));
    assert_eq!(offsets.at(0).unwrap().get(1), Some(i64::MIN));
    assert_eq!(offsets.at(1).unwrap().get(0), Some(i64::MAX));
    assert_eq!(offsets.at(1).unwrap().get(1), Some(42));
    let p1 = v.path().at(1).unwrap();
    assert_eq!(p1.x().load(Relaxed).to_bits(), (-2.25f64).to_bits());
    assert_eq!(p1.y().load(Relaxed).to_bits(), 1e300f64.to_bits());
    assert_eq!(p1.heading().load(Relaxed).to_bits(), (-0.0f32).to_bits());
    assert_eq!(p1.quality().load(Relaxed), 77);

    // Untouched by the peer.
    assert_eq!(v.serial().load(Relaxed), 0x1234_5678_9abc_def0);
    assert_eq!(v.temp_mc().load(Relaxed), -21_500);
    assert_eq!(v.pose().quality().load(Relaxed), u32::MAX);
    assert_eq!(v.samples().at(1).unwrap().get(3), Some(0x8000 | 1003));
    assert_eq!(v.tiny().load(Relaxed), i8::MIN);
    assert_eq!(v.path().at(0).unwrap().x().load(Relaxed), f64::MAX);
}

fn peer_lines(what: &str, out: Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "the {what} peer failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Creates the `Shm<Robot>`, writes through its view, runs `peer` (a separately
/// started process, given the segment id) while attached, and checks what it
/// printed and wrote. `first` is the peer's first line given the segment's size
/// and attach count, if it prints one.
fn round_trip(what: &str, peer: impl FnOnce(i32) -> Output, first: Option<&str>) {
    in_ipc_namespace(|| {
        let mut shm = Shm::<Robot>::create(Key::PRIVATE, Intent::CreateNew, Mode::OWNER_RW)
            .expect("create the segment");
        let segment = *shm.segment();
        rust_writes(shm.view());

        let mut lines = peer_lines(what, peer(segment.id()));
        if let Some(first) = first {
            assert_eq!(lines.remove(0), first, "the peer attached beside us");
        }
        assert_eq!(lines, expected_lines(), "what the {what} peer read");

        check_peer_writes(shm.view());
        assert_eq!(segment.stat().unwrap().nattch, 1, "the peer detached");
        drop(shm);
        segment.remove().unwrap();
    });
}

#[test]
fn a_c_program_reads_and_writes_the_struct_in_place() {
    let header = c_header();
    let peer = CProgram::compile(
        "foreign-peer",
        &[("robot.h", &header), ("foreign_peer.c", PEER_C)],
        "foreign_peer.c",
        &["-O1"],
    )
    .unwrap_or_else(|e| panic!("the C compiler failed on tests/c/foreign_peer.c:\n{e}"));
    round_trip(
        "C",
        |id| {
            Command::new(peer.exe())
                .arg(id.to_string())
                .output()
                .unwrap()
        },
        Some("segsz 144 nattch 2"),
    );
}

/// Whether `python3` runs. If not: a line on stderr (past the harness's capture)
/// and `false`, or a failure under CI.
fn have_python(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import ctypes"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "`python3 -c \"import ctypes\"` fails under CI: .ci/run installs python3"
    );
    let _ = writeln!(
        std::io::stderr(),
        "{test}: skipped: `python3 -c \"import ctypes\"` fails (no python3 here)"
    );
    false
}

fn python(script: &str, args: &[&str]) -> Output {
    Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_python_program_reads_and_writes_the_struct_in_place() {
    if !have_python("a_python_program_reads_and_writes_the_struct_in_place") {
        return;
    }
    let script = format!("{}\n{PEER_PY}", python_module());
    round_trip("Python", |id| python(&script, &[&id.to_string()]), None);
}

/// Python's asserts are real too: a class whose fields disagree with Rust's offsets
/// does not import.
#[test]
fn a_python_class_with_a_wrong_offset_does_not_import() {
    if !have_python("a_python_class_with_a_wrong_offset_does_not_import") {
        return;
    }
    let good = python_module();
    let out = python(&good, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = good.replacen(
        "        (\"tiny\", ctypes.c_int8),\n        (\"bits\", ctypes.c_uint8),\n",
        "        (\"bits\", ctypes.c_uint8),\n        (\"tiny\", ctypes.c_int8),\n",
        1,
    );
    assert_ne!(bad, good, "the edit applies");
    let out = python(&bad, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a swapped class must not import");
    assert!(
        stderr.contains("AssertionError: Robot.tiny: offset 58, size 1 in Rust"),
        "{stderr}"
    );
}

/// Raw identifiers lose their `r#`; a field named as a Python keyword is asserted
/// through `getattr`, and both files still compile and import.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct r#Tagged {
    r#type: u32,
    r#in: [u8; 4],
}

#[test]
fn raw_identifiers_and_python_keywords_render_as_their_names() {
    let mut c = String::new();
    foreign::render_c(&mut c, &[Tagged::TYPE]).unwrap();
    assert!(
        c.contains("typedef struct Tagged {\n    uint32_t type;\n    uint8_t in[4];\n} Tagged;"),
        "{c}"
    );
    let files = [
        ("tagged.h", c.as_str()),
        (
            "main.c",
            "#include \"tagged.h\"\nint main(void) { return 0; }\n",
        ),
    ];
    if let Err(stderr) = CProgram::compile("foreign-raw", &files, "main.c", &["-c"]) {
        panic!("{stderr}\n{c}");
    }

    let mut py = String::new();
    foreign::render_python(&mut py, &[Tagged::TYPE]).unwrap();
    assert!(
        py.contains("        (\"in\", ctypes.c_uint8 * 4),\n"),
        "{py}"
    );
    assert!(
        py.contains("assert getattr(Tagged, \"in\").offset == 4 and "),
        "{py}"
    );
    assert!(py.contains("assert Tagged.type.offset == 0 and "), "{py}");
    if have_python("raw_identifiers_and_python_keywords_render_as_their_names") {
        let out = python(&py, &[]);
        assert!(
            out.status.success(),
            "{}\n{py}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
