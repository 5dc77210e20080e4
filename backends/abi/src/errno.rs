//! `Errno`: the error number a System V IPC call failed with.

use core::fmt;

/// An error number, as the kernel returns it (`-errno` from a raw syscall, `errno`
/// after a libc call).
///
/// A newtype, not an enum: the kernel may return a value this crate has no name
/// for, and holding it is never undefined behaviour. The named constants are the
/// Linux `E*` values (identical on x86_64 and aarch64) without the leading `E`;
/// `E2BIG` is [`Errno::TOOBIG`].
///
/// `Display` prints the name and the C library's description, e.g.
/// `EIDRM (Identifier removed)`, without `std`.
#[repr(transparent)]
#[derive(Copy, Clone, Eq, PartialEq, Hash, PartialOrd, Ord)]
pub struct Errno(u16);

impl Errno {
    /// Wraps a raw error number. Values outside `1..=4095` are not errors the kernel
    /// returns; they are kept as given (and print as `E?`), never rejected.
    #[inline]
    pub const fn from_raw(raw: u16) -> Self {
        Self(raw)
    }

    /// Decodes a raw syscall return value: `-4095..=-1` is an error (Linux's
    /// `IS_ERR_VALUE`), anything else is a result.
    #[inline]
    pub const fn from_syscall_ret(ret: isize) -> Result<usize, Errno> {
        if ret < 0 && ret >= -4095 {
            Err(Errno((-ret) as u16))
        } else {
            Ok(ret as usize)
        }
    }

    /// The raw error number.
    #[inline]
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// The raw error number as C's `int errno`.
    #[inline]
    pub const fn raw_i32(self) -> i32 {
        self.0 as i32
    }
}

macro_rules! errnos {
    ($($name:ident = $val:literal, $cname:ident, $desc:literal;)*) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($cname), "` (", stringify!($val), "): ", $desc, ".")]
                pub const $name: Errno = Errno($val);
            )*

            /// The C name of this error number (`"EINVAL"`), or `None` if it has none.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some(stringify!($cname)),)*
                    _ => None,
                }
            }

            /// glibc's `strerror` text for this error number, or `None`.
            pub const fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($desc),)*
                    _ => None,
                }
            }
        }

        /// Every named error number beside the libc crate's value for the same name.
        #[cfg(test)]
        const ALL: &[(Errno, i32)] = &[$((Errno::$name, libc::$cname),)*];
    };
}

// The table mirrors include/uapi/asm-generic/errno-base.h and errno.h, which both
// x86_64 and aarch64 use; descriptions are glibc's strerror() texts.
errnos! {
    PERM = 1, EPERM, "Operation not permitted";
    NOENT = 2, ENOENT, "No such file or directory";
    SRCH = 3, ESRCH, "No such process";
    INTR = 4, EINTR, "Interrupted system call";
    IO = 5, EIO, "Input/output error";
    NXIO = 6, ENXIO, "No such device or address";
    TOOBIG = 7, E2BIG, "Argument list too long";
    NOEXEC = 8, ENOEXEC, "Exec format error";
    BADF = 9, EBADF, "Bad file descriptor";
    CHILD = 10, ECHILD, "No child processes";
    AGAIN = 11, EAGAIN, "Resource temporarily unavailable";
    NOMEM = 12, ENOMEM, "Cannot allocate memory";
    ACCES = 13, EACCES, "Permission denied";
    FAULT = 14, EFAULT, "Bad address";
    NOTBLK = 15, ENOTBLK, "Block device required";
    BUSY = 16, EBUSY, "Device or resource busy";
    EXIST = 17, EEXIST, "File exists";
    XDEV = 18, EXDEV, "Invalid cross-device link";
    NODEV = 19, ENODEV, "No such device";
    NOTDIR = 20, ENOTDIR, "Not a directory";
    ISDIR = 21, EISDIR, "Is a directory";
    INVAL = 22, EINVAL, "Invalid argument";
    NFILE = 23, ENFILE, "Too many open files in system";
    MFILE = 24, EMFILE, "Too many open files";
    NOTTY = 25, ENOTTY, "Inappropriate ioctl for device";
    TXTBSY = 26, ETXTBSY, "Text file busy";
    FBIG = 27, EFBIG, "File too large";
    NOSPC = 28, ENOSPC, "No space left on device";
    SPIPE = 29, ESPIPE, "Illegal seek";
    ROFS = 30, EROFS, "Read-only file system";
    MLINK = 31, EMLINK, "Too many links";
    PIPE = 32, EPIPE, "Broken pipe";
    DOM = 33, EDOM, "Numerical argument out of domain";
    RANGE = 34, ERANGE, "Numerical result out of range";
    DEADLK = 35, EDEADLK, "Resource deadlock avoided";
    NAMETOOLONG = 36, ENAMETOOLONG, "File name too long";
    NOLCK = 37, ENOLCK, "No locks available";
    NOSYS = 38, ENOSYS, "Function not implemented";
    NOTEMPTY = 39, ENOTEMPTY, "Directory not empty";
    LOOP = 40, ELOOP, "Too many levels of symbolic links";
    NOMSG = 42, ENOMSG, "No message of desired type";
    IDRM = 43, EIDRM, "Identifier removed";
    CHRNG = 44, ECHRNG, "Channel number out of range";
    L2NSYNC = 45, EL2NSYNC, "Level 2 not synchronized";
    L3HLT = 46, EL3HLT, "Level 3 halted";
    L3RST = 47, EL3RST, "Level 3 reset";
    LNRNG = 48, ELNRNG, "Link number out of range";
    UNATCH = 49, EUNATCH, "Protocol driver not attached";
    NOCSI = 50, ENOCSI, "No CSI structure available";
    L2HLT = 51, EL2HLT, "Level 2 halted";
    BADE = 52, EBADE, "Invalid exchange";
    BADR = 53, EBADR, "Invalid request descriptor";
    XFULL = 54, EXFULL, "Exchange full";
    NOANO = 55, ENOANO, "No anode";
    BADRQC = 56, EBADRQC, "Invalid request code";
    BADSLT = 57, EBADSLT, "Invalid slot";
    BFONT = 59, EBFONT, "Bad font file format";
    NOSTR = 60, ENOSTR, "Device not a stream";
    NODATA = 61, ENODATA, "No data available";
    TIME = 62, ETIME, "Timer expired";
    NOSR = 63, ENOSR, "Out of streams resources";
    NONET = 64, ENONET, "Machine is not on the network";
    NOPKG = 65, ENOPKG, "Package not installed";
    REMOTE = 66, EREMOTE, "Object is remote";
    NOLINK = 67, ENOLINK, "Link has been severed";
    ADV = 68, EADV, "Advertise error";
    SRMNT = 69, ESRMNT, "Srmount error";
    COMM = 70, ECOMM, "Communication error on send";
    PROTO = 71, EPROTO, "Protocol error";
    MULTIHOP = 72, EMULTIHOP, "Multihop attempted";
    DOTDOT = 73, EDOTDOT, "RFS specific error";
    BADMSG = 74, EBADMSG, "Bad message";
    OVERFLOW = 75, EOVERFLOW, "Value too large for defined data type";
    NOTUNIQ = 76, ENOTUNIQ, "Name not unique on network";
    BADFD = 77, EBADFD, "File descriptor in bad state";
    REMCHG = 78, EREMCHG, "Remote address changed";
    LIBACC = 79, ELIBACC, "Can not access a needed shared library";
    LIBBAD = 80, ELIBBAD, "Accessing a corrupted shared library";
    LIBSCN = 81, ELIBSCN, ".lib section in a.out corrupted";
    LIBMAX = 82, ELIBMAX, "Attempting to link in too many shared libraries";
    LIBEXEC = 83, ELIBEXEC, "Cannot exec a shared library directly";
    ILSEQ = 84, EILSEQ, "Invalid or incomplete multibyte or wide character";
    RESTART = 85, ERESTART, "Interrupted system call should be restarted";
    STRPIPE = 86, ESTRPIPE, "Streams pipe error";
    USERS = 87, EUSERS, "Too many users";
    NOTSOCK = 88, ENOTSOCK, "Socket operation on non-socket";
    DESTADDRREQ = 89, EDESTADDRREQ, "Destination address required";
    MSGSIZE = 90, EMSGSIZE, "Message too long";
    PROTOTYPE = 91, EPROTOTYPE, "Protocol wrong type for socket";
    NOPROTOOPT = 92, ENOPROTOOPT, "Protocol not available";
    PROTONOSUPPORT = 93, EPROTONOSUPPORT, "Protocol not supported";
    SOCKTNOSUPPORT = 94, ESOCKTNOSUPPORT, "Socket type not supported";
    OPNOTSUPP = 95, EOPNOTSUPP, "Operation not supported";
    PFNOSUPPORT = 96, EPFNOSUPPORT, "Protocol family not supported";
    AFNOSUPPORT = 97, EAFNOSUPPORT, "Address family not supported by protocol";
    ADDRINUSE = 98, EADDRINUSE, "Address already in use";
    ADDRNOTAVAIL = 99, EADDRNOTAVAIL, "Cannot assign requested address";
    NETDOWN = 100, ENETDOWN, "Network is down";
    NETUNREACH = 101, ENETUNREACH, "Network is unreachable";
    NETRESET = 102, ENETRESET, "Network dropped connection on reset";
    CONNABORTED = 103, ECONNABORTED, "Software caused connection abort";
    CONNRESET = 104, ECONNRESET, "Connection reset by peer";
    NOBUFS = 105, ENOBUFS, "No buffer space available";
    ISCONN = 106, EISCONN, "Transport endpoint is already connected";
    NOTCONN = 107, ENOTCONN, "Transport endpoint is not connected";
    SHUTDOWN = 108, ESHUTDOWN, "Cannot send after transport endpoint shutdown";
    TOOMANYREFS = 109, ETOOMANYREFS, "Too many references: cannot splice";
    TIMEDOUT = 110, ETIMEDOUT, "Connection timed out";
    CONNREFUSED = 111, ECONNREFUSED, "Connection refused";
    HOSTDOWN = 112, EHOSTDOWN, "Host is down";
    HOSTUNREACH = 113, EHOSTUNREACH, "No route to host";
    ALREADY = 114, EALREADY, "Operation already in progress";
    INPROGRESS = 115, EINPROGRESS, "Operation now in progress";
    STALE = 116, ESTALE, "Stale file handle";
    UCLEAN = 117, EUCLEAN, "Structure needs cleaning";
    NOTNAM = 118, ENOTNAM, "Not a XENIX named type file";
    NAVAIL = 119, ENAVAIL, "No XENIX semaphores available";
    ISNAM = 120, EISNAM, "Is a named type file";
    REMOTEIO = 121, EREMOTEIO, "Remote I/O error";
    DQUOT = 122, EDQUOT, "Disk quota exceeded";
    NOMEDIUM = 123, ENOMEDIUM, "No medium found";
    MEDIUMTYPE = 124, EMEDIUMTYPE, "Wrong medium type";
    CANCELED = 125, ECANCELED, "Operation canceled";
    NOKEY = 126, ENOKEY, "Required key not available";
    KEYEXPIRED = 127, EKEYEXPIRED, "Key has expired";
    KEYREVOKED = 128, EKEYREVOKED, "Key has been revoked";
    KEYREJECTED = 129, EKEYREJECTED, "Key was rejected by service";
    OWNERDEAD = 130, EOWNERDEAD, "Owner died";
    NOTRECOVERABLE = 131, ENOTRECOVERABLE, "State not recoverable";
    RFKILL = 132, ERFKILL, "Operation not possible due to RF-kill";
    HWPOISON = 133, EHWPOISON, "Memory page has hardware error";
}

impl Errno {
    /// `EWOULDBLOCK`, the same number as [`Errno::AGAIN`] on Linux.
    pub const WOULDBLOCK: Errno = Errno::AGAIN;
    /// `EDEADLOCK`, the same number as [`Errno::DEADLK`] on Linux.
    pub const DEADLOCK: Errno = Errno::DEADLK;
    /// `ENOTSUP`, the same number as [`Errno::OPNOTSUPP`] on Linux.
    pub const NOTSUP: Errno = Errno::OPNOTSUPP;
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.description()) {
            (Some(name), Some(desc)) => write!(f, "{name} ({desc})"),
            _ => write!(f, "E? (unknown error {})", self.0),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl core::error::Error for Errno {}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::{ffi::CStr, format};

    #[test]
    fn every_name_matches_libc_and_strerror() {
        for &(errno, value) in ALL {
            assert_eq!(errno.raw_i32(), value, "{errno:?}");
            // SAFETY: strerror takes any int.
            let ptr = unsafe { libc::strerror(value) };
            // SAFETY: strerror returns a NUL-terminated string that stays valid until
            // the next strerror call on this thread; we compare it at once.
            let text = unsafe { CStr::from_ptr(ptr) };
            assert_eq!(
                errno.description(),
                Some(text.to_str().unwrap()),
                "{errno:?}"
            );
        }
    }

    #[test]
    fn decodes_only_the_error_range() {
        assert_eq!(Errno::from_syscall_ret(-22), Err(Errno::INVAL));
        assert_eq!(Errno::from_syscall_ret(-4095), Err(Errno::from_raw(4095)));
        assert_eq!(Errno::from_syscall_ret(-4096), Ok((-4096isize) as usize));
        assert_eq!(Errno::from_syscall_ret(0), Ok(0));
        assert_eq!(Errno::from_syscall_ret(isize::MAX), Ok(isize::MAX as usize));
    }

    #[test]
    fn display_without_std_names_the_error() {
        assert_eq!(format!("{}", Errno::IDRM), "EIDRM (Identifier removed)");
        assert_eq!(format!("{:?}", Errno::TOOBIG), "E2BIG");
        assert_eq!(
            format!("{}", Errno::from_raw(999)),
            "E? (unknown error 999)"
        );
        assert_eq!(format!("{:?}", Errno::from_raw(999)), "Errno(999)");
    }
}
