//! The C library and util-linux `lib/` behaviour the tools' output depends on:
//! `strtol`-family parsing, `strtosize`, `size_to_human_string`, `ctime`, the short
//! and ISO times of `lsipc`, `xstrmode`, and user/group names through NSS.
//!
//! # Safety
//!
//! `localtime_r`, `getpwuid_r` and `getgrgid_r` are called with pointers to live
//! locals and buffers of the length passed.
#![allow(unsafe_code)]

const ERANGE: i32 = 34;
const EINVAL: i32 = 22;

/// What a `strto*` scan of `s` saw: sign, magnitude (saturated), where it stopped.
#[derive(Copy, Clone, Debug)]
struct Scan {
    negative: bool,
    magnitude: u64,
    overflow: bool,
    /// Byte index just past the number; 0 when there was no number at all.
    end: usize,
}

fn digit(b: u8, base: u32) -> Option<u64> {
    let d = match b {
        b'0'..=b'9' => u32::from(b - b'0'),
        b'a'..=b'z' => u32::from(b - b'a') + 10,
        b'A'..=b'Z' => u32::from(b - b'A') + 10,
        _ => return None,
    };
    (d < base).then_some(u64::from(d))
}

/// The C locale's `isspace`.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The common part of glibc's `strtol` family: white space, a sign, a `0x`/`0`
/// prefix for bases 0 and 16, and digits.
fn scan(s: &str, mut base: u32) -> Scan {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        negative = b[i] == b'-';
        i += 1;
    }
    let hex_prefix = b.len() > i + 2
        && b[i] == b'0'
        && (b[i + 1] | 0x20) == b'x'
        && digit(b[i + 2], 16).is_some();
    if (base == 0 || base == 16) && hex_prefix {
        base = 16;
        i += 2;
    } else if base == 0 {
        base = if b.get(i) == Some(&b'0') { 8 } else { 10 };
    }
    let start = i;
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|&c| digit(c, base)) {
        match magnitude
            .checked_mul(u64::from(base))
            .and_then(|m| m.checked_add(d))
        {
            Some(m) => magnitude = m,
            None => overflow = true,
        }
        i += 1;
    }
    Scan {
        negative,
        magnitude: if overflow { u64::MAX } else { magnitude },
        overflow,
        end: if i == start { 0 } else { i },
    }
}

/// `strtoimax(s, &end, base)`: the value, the end index and whether `errno` became
/// `ERANGE`.
pub fn strtoimax(s: &str, base: u32) -> (i64, usize, bool) {
    let sc = scan(s, base);
    let limit = if sc.negative {
        1u64 << 63
    } else {
        i64::MAX as u64
    };
    if sc.overflow || sc.magnitude > limit {
        return (if sc.negative { i64::MIN } else { i64::MAX }, sc.end, true);
    }
    let v = if sc.negative {
        (sc.magnitude as i64).wrapping_neg()
    } else {
        sc.magnitude as i64
    };
    (v, sc.end, false)
}

/// `strtoul(s, &end, base)` (64-bit `unsigned long`): a minus sign negates modulo
/// 2^64, as C does.
pub fn strtoul(s: &str, base: u32) -> (u64, usize, bool) {
    let sc = scan(s, base);
    if sc.overflow {
        return (u64::MAX, sc.end, true);
    }
    let v = if sc.negative {
        sc.magnitude.wrapping_neg()
    } else {
        sc.magnitude
    };
    (v, sc.end, false)
}

/// util-linux's `strtos32_or_err(str, errmesg)`: the message to exit with on
/// failure (`errx`, or `err` with `ERANGE`'s text).
pub fn strtos32(s: &str, errmesg: &str) -> Result<i32, String> {
    let (v, end, erange) = strtoimax(s, 10);
    let bad = s.is_empty() || end == 0 || end != s.len();
    if !erange && !bad {
        if let Ok(v) = i32::try_from(v) {
            return Ok(v);
        }
        return Err(format!(
            "{errmesg}: '{s}': {}",
            crate::cli::strerror(ERANGE)
        ));
    }
    if erange {
        Err(format!(
            "{errmesg}: '{s}': {}",
            crate::cli::strerror(ERANGE)
        ))
    } else {
        Err(format!("{errmesg}: '{s}'"))
    }
}

/// `x * base^power`, or `ERANGE` (with `x` as far as it got, which util-linux
/// ignores).
fn scale(x: &mut u64, base: u64, power: u32) -> Result<(), i32> {
    for _ in 0..power {
        *x = x.checked_mul(base).ok_or(ERANGE)?;
    }
    Ok(())
}

/// util-linux's `strtosize`: a size with an optional `K`/`KiB` (1024^n) or `KB`
/// (1000^n) suffix, `K` to `Y` (lower case too), an optional fraction before the
/// suffix; the errno on failure. Arithmetic quirks included: `1.25K` is 1279 and
/// `1.10K` is 2048, as util-linux 2.38 computes them.
pub fn strtosize(s: &str) -> Result<u64, i32> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(EINVAL);
    }
    let lead = b.iter().take_while(|&&c| is_c_space(c)).count();
    if b.get(lead) == Some(&b'-') {
        return Err(EINVAL);
    }
    let (mut x, end, erange) = strtoul(s, 0);
    if end == 0 || (erange && (x == u64::MAX || x == 0)) {
        return Err(if erange { ERANGE } else { EINVAL });
    }
    if end == b.len() {
        return Ok(x);
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut p = end;
    let mut frac: u64 = 0;
    let mut frac_zeros = 0;
    let base: u64 = loop {
        if at(p + 1) == b'i' && matches!(at(p + 2), b'B' | b'b') && at(p + 3) == 0 {
            break 1024;
        }
        if matches!(at(p + 1), b'B' | b'b') && at(p + 2) == 0 {
            break 1000;
        }
        if at(p + 1) == 0 {
            break 1024;
        }
        // A decimal point (the C locale's) once, then the suffix again.
        if frac == 0 && at(p) == b'.' {
            let mut f = p + 1;
            while at(f) == b'0' {
                frac_zeros += 1;
                f += 1;
            }
            let frac_end = if at(f).is_ascii_digit() {
                let (v, e, erange) = strtoul(&s[f..], 0);
                if e == 0 || (erange && (v == u64::MAX || v == 0)) {
                    return Err(if erange { ERANGE } else { EINVAL });
                }
                frac = v;
                f + e
            } else {
                f
            };
            if frac != 0 && frac_end >= b.len() {
                return Err(EINVAL);
            }
            p = frac_end;
            continue;
        }
        return Err(EINVAL);
    };
    let power = match b"KMGTPEZY".iter().position(|&c| c == at(p)) {
        Some(i) => i + 1,
        None => match b"kmgtpezy".iter().position(|&c| c == at(p)) {
            Some(i) => i + 1,
            None => return Err(EINVAL),
        },
    } as u32;
    let scaled = scale(&mut x, base, power);
    if frac != 0 {
        let mut frac_base = 1u64;
        let _ = scale(&mut frac_base, base, power);
        let mut frac_div: u64 = 10;
        while frac_div < frac {
            if frac_div <= u64::MAX / 10 {
                frac_div *= 10;
            } else {
                frac /= 10;
            }
        }
        for _ in 0..frac_zeros {
            if frac_div <= u64::MAX / 10 {
                frac_div *= 10;
            } else {
                frac /= 10;
            }
        }
        // Digit by digit from the last, each adding its share of one unit.
        let mut frac_poz: u64 = 1;
        loop {
            let seg = frac % 10;
            let Some(seg_div) = frac_div.checked_div(frac_poz) else {
                break;
            };
            frac /= 10;
            frac_poz = frac_poz.wrapping_mul(10);
            if seg != 0 && seg_div / seg != 0 {
                x = x.wrapping_add(frac_base / (seg_div / seg));
            }
            if frac == 0 {
                break;
            }
        }
    }
    scaled.map(|()| x)
}

/// util-linux's `size_to_human_string(SIZE_SUFFIX_1LETTER, bytes)`: "0B", "1.5K",
/// "16E" (one decimal, rounded, a trailing zero dropped).
pub fn human_size(bytes: u64) -> String {
    let mut exp = 0u32;
    while exp < 60 && bytes >= 1u64 << (exp + 10) {
        exp += 10;
    }
    let letter = b"BKMGTPE"[(exp / 10) as usize] as char;
    let mut dec = if exp == 0 { bytes } else { bytes >> exp };
    let mut frac = if exp == 0 {
        0
    } else {
        bytes & ((1u64 << exp) - 1)
    };
    if frac != 0 {
        frac = if frac >= u64::MAX / 1000 {
            ((frac / 1024) * 1000) / (1u64 << (exp - 10))
        } else {
            (frac * 1000) / (1u64 << exp)
        };
        frac = (frac + 50) / 100 * 10;
        if frac == 100 {
            dec += 1;
            frac = 0;
        }
    }
    if frac == 0 {
        return format!("{dec}{letter}");
    }
    let mut s = format!("{dec}.{frac:02}");
    if s.ends_with('0') {
        s.pop();
    }
    s.push(letter);
    s
}

/// Local broken-down time (`localtime_r`).
#[derive(Copy, Clone, Debug)]
pub struct Tm {
    /// The year (not `tm_year`'s years since 1900).
    pub year: i64,
    /// The month, 0 to 11.
    pub mon: usize,
    /// The day of the month, 1 to 31.
    pub mday: i32,
    /// Hours, 0 to 23.
    pub hour: i32,
    /// Minutes, 0 to 59.
    pub min: i32,
    /// Seconds, 0 to 60.
    pub sec: i32,
    /// The day of the week, 0 (Sunday) to 6.
    pub wday: usize,
    /// The day of the year, 0 to 365.
    pub yday: i32,
    /// Seconds east of UTC.
    pub gmtoff: i64,
}

/// `t` (seconds since the epoch) in the local time zone; `None` where
/// `localtime_r` fails.
pub fn localtime(t: i64) -> Option<Tm> {
    let t: libc::time_t = t;
    // SAFETY: `libc::tm` is plain integers and a pointer, for which zero is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return None;
    }
    Some(Tm {
        year: i64::from(tm.tm_year) + 1900,
        mon: usize::try_from(tm.tm_mon).ok()?.min(11),
        mday: tm.tm_mday,
        hour: tm.tm_hour,
        min: tm.tm_min,
        sec: tm.tm_sec,
        wday: usize::try_from(tm.tm_wday).ok()?.min(6),
        yday: tm.tm_yday,
        gmtoff: tm.tm_gmtoff,
    })
}

/// The C locale's names, which `ctime`/`asctime` always use (glibc formats them
/// from the C locale regardless of `LC_TIME`).
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `ctime(&t)` without its newline: "Thu Nov 26 14:44:06 2026".
pub fn ctime(t: i64) -> String {
    match localtime(t) {
        Some(tm) => format!(
            "{} {}{:3} {:02}:{:02}:{:02} {}",
            DAYS[tm.wday], MONTHS[tm.mon], tm.mday, tm.hour, tm.min, tm.sec, tm.year
        ),
        None => String::from("???"),
    }
}

/// util-linux's `strtime_short`: "14:44" today, "Nov26" this year, "2025-Nov26"
/// before; month names of the C locale.
pub fn time_short(t: i64, now: i64) -> String {
    let (Some(tm), Some(now)) = (localtime(t), localtime(now)) else {
        return String::new();
    };
    if tm.year == now.year && tm.yday == now.yday {
        format!("{:02}:{:02}", tm.hour, tm.min)
    } else if tm.year == now.year {
        format!("{}{:02}", MONTHS[tm.mon], tm.mday)
    } else {
        format!("{}-{}{:02}", tm.year, MONTHS[tm.mon], tm.mday)
    }
}

/// util-linux's `strtime_iso(ISO_TIMESTAMP_T)`: "2026-11-26T14:44:06+01:00" (the
/// hour of the offset carries its sign, so -00:30 prints as "+00:30", as there).
pub fn time_iso(t: i64) -> String {
    let Some(tm) = localtime(t) else {
        return String::new();
    };
    let tmin = tm.gmtoff / 60;
    format!(
        "{:4}-{:02}-{:02}T{:02}:{:02}:{:02}{:+03}:{:02}",
        tm.year,
        tm.mon + 1,
        tm.mday,
        tm.hour,
        tm.min,
        tm.sec,
        tmin / 60,
        (tmin % 60).abs()
    )
}

/// `xstrmode(mode & 0777)`: "rw-r-----" (no type letter: no file type bits).
pub fn strmode(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Runs a `get*_r` call with a buffer that grows on `ERANGE`; `call` returns the
/// errno and whether an entry was found, and copies the name out while the buffer
/// lives.
fn lookup(mut call: impl FnMut(&mut [u8]) -> (i32, Option<String>)) -> Option<String> {
    let mut len = 1024;
    loop {
        let mut buf = vec![0u8; len];
        match call(&mut buf) {
            (ERANGE, _) if len < 1 << 20 => len *= 4,
            (_, name) => return name,
        }
    }
}

/// The user name of `uid` (`getpwuid`), as `ipcs` prints it; `None` when unknown.
pub fn user_name(uid: u32) -> Option<String> {
    lookup(|buf| {
        // SAFETY: `libc::passwd` is pointers and integers; zero is a valid value.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `pw`, `result` are live locals; `buf` is writable for its length.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pw,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if result.is_null() {
            return (rc, None);
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string in `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) };
        (0, Some(name.to_string_lossy().into_owned()))
    })
}

/// The group name of `gid` (`getgrgid`); `None` when unknown.
pub fn group_name(gid: u32) -> Option<String> {
    lookup(|buf| {
        // SAFETY: `libc::group` is pointers and integers; zero is a valid value.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: `gr`, `result` are live locals; `buf` is writable for its length.
        let rc = unsafe {
            libc::getgrgid_r(
                gid,
                &mut gr,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if result.is_null() {
            return (rc, None);
        }
        // SAFETY: on success `gr_name` points to a NUL-terminated string in `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(gr.gr_name) };
        (0, Some(name.to_string_lossy().into_owned()))
    })
}

/// The page size (`getpagesize`), which `ipcs -l` and `lsipc` scale `shmall` by.
pub fn page_size() -> u64 {
    // SAFETY: sysconf only reads a number.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096)
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `s` cut to at most `n` characters (printf's `%.Ns`).
pub fn cut(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_util_linux_does() {
        assert_eq!(strtosize("1KB"), Ok(1000));
        assert_eq!(strtosize("1.5KiB"), Ok(1536));
        assert_eq!(strtosize("0x10"), Ok(16));
        assert_eq!(strtosize("010"), Ok(8));
        assert_eq!(strtosize("1k"), Ok(1024));
        assert_eq!(strtosize("1.25K"), Ok(1279));
        assert_eq!(strtosize("1.10K"), Ok(2048));
        assert_eq!(strtosize("1.5"), Err(EINVAL));
        assert_eq!(strtosize("1.0"), Err(EINVAL));
        assert_eq!(strtosize("-1"), Err(EINVAL));
        assert_eq!(strtosize("20E"), Err(ERANGE));
        assert_eq!(strtosize("99999999999999999999"), Err(ERANGE));
    }

    #[test]
    fn human_sizes_round_to_one_decimal() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1), "1B");
        assert_eq!(human_size(1536), "1.5K");
        assert_eq!(human_size(4096), "4K");
        assert_eq!(human_size(8192), "8K");
        assert_eq!(human_size(18446744073692774399), "16E");
        assert_eq!(human_size(1024 + 30), "1K");
        assert_eq!(human_size(2047), "2K");
    }

    #[test]
    fn numbers_parse_as_strtol_does() {
        assert_eq!(strtos32(" +7", "m"), Ok(7));
        assert_eq!(strtos32("abc", "m"), Err("m: 'abc'".into()));
        assert_eq!(strtos32("", "m"), Err("m: ''".into()));
        assert_eq!(
            strtos32("99999999999", "m"),
            Err("m: '99999999999': Numerical result out of range".into())
        );
        assert_eq!(strtoul("-1", 0).0, u64::MAX);
        assert_eq!(strtoul("0x1g", 0), (1, 3, false));
        assert_eq!(strtoul("0xg", 0), (0, 1, false));
        assert_eq!(strmode(0o640), "rw-r-----");
    }
}
