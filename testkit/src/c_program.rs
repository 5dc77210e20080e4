//! [`CProgram`]: C sources a test supplies, compiled with the system compiler in a
//! scratch directory of their own.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A C program (or object) built by [`CProgram::compile`]; its directory goes with it.
///
/// # Examples
///
/// ```
/// use sysv_ipc_testkit::CProgram;
///
/// let hello = "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n";
/// let p = CProgram::compile("doc", &[("hello.c", hello)], "hello.c", &[]).unwrap();
/// let out = std::process::Command::new(p.exe()).output().unwrap();
/// assert_eq!(out.stdout, b"hi\n");
/// // Warnings are errors: the compiler's complaint comes back.
/// let bad = "int main(void) { int unused; return 0; }\n";
/// let e = CProgram::compile("doc", &[("bad.c", bad)], "bad.c", &[]).unwrap_err();
/// assert!(e.contains("unused"), "{e}");
/// ```
#[derive(Debug)]
pub struct CProgram {
    dir: PathBuf,
    exe: PathBuf,
}

impl CProgram {
    /// Writes `files` (name, text) into a fresh directory and compiles `main`, one
    /// of them, with `$CC` (default `cc`): `-std=c11 -Wall -Wextra -Werror`, the
    /// directory on the include path, then `flags` (`-c` compiles only). `tag`
    /// names the directory. The compiler's stderr if it fails.
    ///
    /// # Panics
    ///
    /// If the directory cannot be written or the compiler cannot be started.
    pub fn compile(
        tag: &str,
        files: &[(&str, &str)],
        main: &str,
        flags: &[&str],
    ) -> Result<CProgram, String> {
        static N: AtomicUsize = AtomicUsize::new(0);
        // A directory of our own: one left by an earlier process of the same pid
        // (another user's, or a killed run's) is skipped, not reused, since it
        // may not be writable (a root run's, seen from uid 65534).
        let dir = loop {
            let dir = std::env::temp_dir().join(format!(
                "sysv-ipc-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            match fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create {}: {e}", dir.display()),
            }
        };
        // Owned from here, so the directory goes on every return.
        let program = CProgram {
            exe: dir.join(main.trim_end_matches(".c")),
            dir,
        };
        for (name, text) in files {
            fs::write(program.dir.join(name), text).unwrap();
        }
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let out = Command::new(&cc)
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
            .arg("-I")
            .arg(&program.dir)
            .args(flags)
            .arg("-o")
            .arg(&program.exe)
            .arg(program.dir.join(main))
            .output()
            .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}"));
        if out.status.success() {
            Ok(program)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// The compiler's output file.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_testkit::CProgram;
    ///
    /// let p = CProgram::compile("doc", &[("m.c", "int main(void) { return 3; }\n")], "m.c", &[]).unwrap();
    /// assert_eq!(std::process::Command::new(p.exe()).status().unwrap().code(), Some(3));
    /// ```
    pub fn exe(&self) -> &Path {
        &self.exe
    }
}

impl CProgram {
    /// The scratch directory (sources, output, and whatever else a test puts
    /// there), removed with the program.
    ///
    /// # Examples
    ///
    /// ```
    /// use sysv_ipc_testkit::CProgram;
    ///
    /// let p = CProgram::compile("doc", &[("m.c", "int main(void) { return 0; }\n")], "m.c", &[]).unwrap();
    /// assert!(p.dir().join("m.c").is_file());
    /// let dir = p.dir().to_owned();
    /// drop(p);
    /// assert!(!dir.exists());
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for CProgram {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}
