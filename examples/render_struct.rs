//! Writes the C header or the Python module declaring a Rust struct shared through
//! System V shared memory (`sysv_ipc::foreign`), for a C or Python program that
//! attaches the same segment:
//!
//! ```sh
//! cargo run --example render_struct -- c > robot.h          # #include "robot.h"
//! cargo run --example render_struct -- python > robot.py    # from robot import Robot
//! ```
//!
//! The header's `_Static_assert`s and the module's `assert`s check, when the C is
//! compiled and the Python imported, that their layout of `Robot` is Rust's:
//! size, alignment and every field's offset. In C, cast `shmat`'s address to
//! `Robot *`; in Python, `Robot.from_address(address)` maps the class over it.
//!
//! Your own program does the same for its types: derive `ShmView`, then call
//! `foreign::render_c` / `render_python` with their `Foreign::TYPE`s (nested structs
//! are declared first, once), for instance from a test that keeps a checked-in
//! copy current.

use std::io::Write as _;
use std::process::ExitCode;

use sysv_ipc::ShmView;
use sysv_ipc::foreign::{self, Foreign};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A position.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Pose {
    x: f64,
    y: f64,
}

/// What a robot publishes.
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
#[repr(C)]
struct Robot {
    temp_mc: i32,
    flags: u32,
    pose: Pose,
    samples: [[u16; 4]; 2],
}

fn main() -> ExitCode {
    let mut text = String::new();
    let rendered = match std::env::args().nth(1).as_deref() {
        Some("c") => foreign::render_c(&mut text, &[Robot::TYPE]),
        Some("python") => foreign::render_python(&mut text, &[Robot::TYPE]),
        _ => {
            eprintln!("usage: render_struct c|python > FILE");
            return ExitCode::from(2);
        }
    };
    if rendered.is_err() {
        eprintln!("render_struct: two different structs share a name");
        return ExitCode::FAILURE;
    }
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("render_struct: {e}");
            ExitCode::FAILURE
        }
    }
}
