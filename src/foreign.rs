//! The same struct in C and Python: declarations rendered from a Rust type's own
//! layout, with the offsets, size and alignment Rust computed, asserted on the
//! other side.
//!
//! A type that implements [`Foreign`] describes itself as a [`ForeignType`]: a
//! [`Scalar`] (`u8`..`u64`, `i8`..`i64`, `f32`, `f64`), an array of a
//! `ForeignType`, or a [`ForeignStruct`] (a name, `size_of`, `align_of`, and each
//! field's name, `offset_of!` and type).
//! [`#[derive(ShmView)]`](derive@crate::ShmView) implements it for every struct it
//! derives, with the numbers taken from the compiler (`core::mem::offset_of!`,
//! `size_of`, `align_of`); the primitives and arrays implement it here.
//!
//! [`render_c`] and [`render_python`] turn a list of types into a C header
//! (`typedef struct X { .. } X;` with `<stdint.h>` types, then `_Static_assert`s on
//! `sizeof`, `_Alignof` and every field's `offsetof` and `sizeof`) and a Python
//! module (a `ctypes.Structure` subclass with its `_fields_`, then `assert`s on
//! `ctypes.sizeof`, `ctypes.alignment` and every field's `offset` and `size`). The
//! other language's compiler or interpreter checks its own layout of the
//! declaration against Rust's numbers: a C compiler refuses a header whose layout
//! differs, and Python refuses to import the module.
//!
//! **Dependencies are the renderer's job.** A struct nesting other structs (as
//! fields, or as elements of array fields, at any depth) needs them declared first:
//! the renderers declare every struct the given types reach, each before the first
//! struct that uses it and each once, however many times it is reached. Two
//! different structs of the same name cannot both be declared in one C or Python
//! namespace: rendering them together is an error ([`fmt::Error`]). In C each
//! declaration sits in its own include guard (`SVIPC_STRUCT_X`), so two rendered
//! headers that both declare a nested `X` can be included together.
//!
//! Names are written as Rust has them (a raw identifier without its `r#`). A field
//! named as a C keyword (`int`, `float`, `char`, `long`, ..) makes a header C refuses:
//! rename the field. In Python, a field named as a keyword is asserted through
//! `getattr`. A zero-length array field (`[u8; 0]`) has no ISO C declaration (GNU C
//! accepts it).
//!
//! No allocation: everything is written straight into a [`fmt::Write`].
//!
//! # Example
//!
//! ```
//! use sysv_ipc::ShmView;
//! use sysv_ipc::foreign::{self, Foreign};
//! use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
//! #[repr(C)]
//! struct Pose { x: f64, y: f64 }
//!
//! #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
//! #[repr(C)]
//! struct Robot { temp_mc: i32, flags: u32, pose: Pose, samples: [[u16; 4]; 2] }
//!
//! let mut c = String::new();
//! foreign::render_c_declarations(&mut c, &[Robot::TYPE])?;
//! assert_eq!(c, r#"
//! #ifndef SVIPC_STRUCT_Pose
//! #define SVIPC_STRUCT_Pose
//! typedef struct Pose {
//!     double x;
//!     double y;
//! } Pose;
//! _Static_assert(sizeof(Pose) == 16, "Pose: size 16 in Rust");
//! _Static_assert(_Alignof(Pose) == 8, "Pose: alignment 8 in Rust");
//! _Static_assert(offsetof(Pose, x) == 0 && sizeof(((Pose *)0)->x) == 8, "Pose.x: offset 0, size 8 in Rust");
//! _Static_assert(offsetof(Pose, y) == 8 && sizeof(((Pose *)0)->y) == 8, "Pose.y: offset 8, size 8 in Rust");
//! #endif /* SVIPC_STRUCT_Pose */
//!
//! #ifndef SVIPC_STRUCT_Robot
//! #define SVIPC_STRUCT_Robot
//! typedef struct Robot {
//!     int32_t temp_mc;
//!     uint32_t flags;
//!     Pose pose;
//!     uint16_t samples[2][4];
//! } Robot;
//! _Static_assert(sizeof(Robot) == 40, "Robot: size 40 in Rust");
//! _Static_assert(_Alignof(Robot) == 8, "Robot: alignment 8 in Rust");
//! _Static_assert(offsetof(Robot, temp_mc) == 0 && sizeof(((Robot *)0)->temp_mc) == 4, "Robot.temp_mc: offset 0, size 4 in Rust");
//! _Static_assert(offsetof(Robot, flags) == 4 && sizeof(((Robot *)0)->flags) == 4, "Robot.flags: offset 4, size 4 in Rust");
//! _Static_assert(offsetof(Robot, pose) == 8 && sizeof(((Robot *)0)->pose) == 16, "Robot.pose: offset 8, size 16 in Rust");
//! _Static_assert(offsetof(Robot, samples) == 24 && sizeof(((Robot *)0)->samples) == 16, "Robot.samples: offset 24, size 16 in Rust");
//! #endif /* SVIPC_STRUCT_Robot */
//! "#);
//!
//! let mut py = String::new();
//! foreign::render_python_declarations(&mut py, &[Robot::TYPE])?;
//! assert_eq!(py, r#"
//! class Pose(ctypes.Structure):
//!     _fields_ = [
//!         ("x", ctypes.c_double),
//!         ("y", ctypes.c_double),
//!     ]
//!
//! assert ctypes.sizeof(Pose) == 16, "Pose: size 16 in Rust"
//! assert ctypes.alignment(Pose) == 8, "Pose: alignment 8 in Rust"
//! assert Pose.x.offset == 0 and Pose.x.size == 8, "Pose.x: offset 0, size 8 in Rust"
//! assert Pose.y.offset == 8 and Pose.y.size == 8, "Pose.y: offset 8, size 8 in Rust"
//!
//! class Robot(ctypes.Structure):
//!     _fields_ = [
//!         ("temp_mc", ctypes.c_int32),
//!         ("flags", ctypes.c_uint32),
//!         ("pose", Pose),
//!         ("samples", ctypes.c_uint16 * 4 * 2),
//!     ]
//!
//! assert ctypes.sizeof(Robot) == 40, "Robot: size 40 in Rust"
//! assert ctypes.alignment(Robot) == 8, "Robot: alignment 8 in Rust"
//! assert Robot.temp_mc.offset == 0 and Robot.temp_mc.size == 4, "Robot.temp_mc: offset 0, size 4 in Rust"
//! assert Robot.flags.offset == 4 and Robot.flags.size == 4, "Robot.flags: offset 4, size 4 in Rust"
//! assert Robot.pose.offset == 8 and Robot.pose.size == 16, "Robot.pose: offset 8, size 16 in Rust"
//! assert Robot.samples.offset == 24 and Robot.samples.size == 16, "Robot.samples: offset 24, size 16 in Rust"
//! "#);
//! # Ok::<(), core::fmt::Error>(())
//! ```
//!
//! [`render_c`] and [`render_python`] wrap the same declarations in a whole file (a
//! comment, the `#include`s or `import ctypes`); `examples/render_struct.rs` writes
//! them out for a C or Python program to use:
//!
//! ```sh
//! cargo run --example render_struct -- c > robot.h
//! cargo run --example render_struct -- python > robot.py
//! ```
//!
//! Python's `assert`s are left out under `python -O`; the C checks cannot be.

use core::fmt::{self, Write};

/// A type with a C and a Python rendering: its [`ForeignType`], with the numbers
/// Rust computed for it.
///
/// [`#[derive(ShmView)]`](derive@crate::ShmView) implements it for each struct it
/// derives; the primitives `u8`..`u64`, `i8`..`i64`, `f32`, `f64` and arrays
/// `[E; N]` of `Foreign` types implement it here. A struct deriving `ShmView` needs
/// its nested field types to implement `Foreign` too (a hand-written `ShmView`
/// type nested in a derived struct implements it by hand, as below).
///
/// The trait is safe: a wrong description gives a wrong declaration, which the C
/// compiler and Python then refuse when it differs from their own layout of it. Take
/// the numbers from the compiler, as below, not from a table.
///
/// # Examples
///
/// ```
/// use core::mem::offset_of;
/// use sysv_ipc::foreign::{Foreign, ForeignField, ForeignStruct, ForeignType};
///
/// #[repr(C)]
/// struct Reading { id: u32, celsius: f32 }
///
/// impl Foreign for Reading {
///     const TYPE: &'static ForeignType = &ForeignType::Struct(ForeignStruct::new(
///         "Reading",
///         size_of::<Reading>(),
///         align_of::<Reading>(),
///         &[
///             ForeignField::new("id", offset_of!(Reading, id), u32::TYPE),
///             ForeignField::new("celsius", offset_of!(Reading, celsius), f32::TYPE),
///         ],
///     ));
/// }
///
/// assert_eq!(Reading::TYPE.size(), 8);
/// assert_eq!(<[[u16; 4]; 2]>::TYPE.size(), 16);
/// let mut c = String::new();
/// u16::TYPE.write_c_declarator(&mut c, "samples")?;
/// assert_eq!(c, "uint16_t samples");
/// # Ok::<(), core::fmt::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no C or Python rendering (it does not implement `Foreign`)",
    label = "no `Foreign` description for this type",
    note = "`#[derive(ShmView)]` implements `Foreign` for the struct it derives; a hand-written `ShmView` type nested in a derived struct implements `Foreign` by hand (see `sysv_ipc::foreign::Foreign`)"
)]
pub trait Foreign {
    /// The type's description.
    const TYPE: &'static ForeignType;
}

/// A primitive type, as C (`<stdint.h>`) and Python (`ctypes`) spell it.
///
/// ```
/// use sysv_ipc::foreign::Scalar;
///
/// assert_eq!(Scalar::I16.c_name(), "int16_t");
/// assert_eq!(Scalar::F32.python_name(), "ctypes.c_float");
/// assert_eq!(Scalar::U64.size(), 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Each variant is the Rust type of its name.
pub enum Scalar {
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

impl Scalar {
    /// The C type: `uint8_t`..`int64_t` from `<stdint.h>`, `float`, `double`.
    ///
    /// ```
    /// assert_eq!(sysv_ipc::foreign::Scalar::F64.c_name(), "double");
    /// ```
    pub const fn c_name(self) -> &'static str {
        match self {
            Scalar::U8 => "uint8_t",
            Scalar::U16 => "uint16_t",
            Scalar::U32 => "uint32_t",
            Scalar::U64 => "uint64_t",
            Scalar::I8 => "int8_t",
            Scalar::I16 => "int16_t",
            Scalar::I32 => "int32_t",
            Scalar::I64 => "int64_t",
            Scalar::F32 => "float",
            Scalar::F64 => "double",
        }
    }

    /// The Python `ctypes` type: `ctypes.c_uint8`..`ctypes.c_int64`,
    /// `ctypes.c_float`, `ctypes.c_double`.
    ///
    /// ```
    /// assert_eq!(sysv_ipc::foreign::Scalar::U8.python_name(), "ctypes.c_uint8");
    /// ```
    pub const fn python_name(self) -> &'static str {
        match self {
            Scalar::U8 => "ctypes.c_uint8",
            Scalar::U16 => "ctypes.c_uint16",
            Scalar::U32 => "ctypes.c_uint32",
            Scalar::U64 => "ctypes.c_uint64",
            Scalar::I8 => "ctypes.c_int8",
            Scalar::I16 => "ctypes.c_int16",
            Scalar::I32 => "ctypes.c_int32",
            Scalar::I64 => "ctypes.c_int64",
            Scalar::F32 => "ctypes.c_float",
            Scalar::F64 => "ctypes.c_double",
        }
    }

    /// Its size in bytes (`size_of` of the Rust type), which is also its alignment
    /// on the targets the crate supports.
    ///
    /// ```
    /// assert_eq!(sysv_ipc::foreign::Scalar::I16.size(), 2);
    /// ```
    pub const fn size(self) -> usize {
        match self {
            Scalar::U8 => size_of::<u8>(),
            Scalar::U16 => size_of::<u16>(),
            Scalar::U32 => size_of::<u32>(),
            Scalar::U64 => size_of::<u64>(),
            Scalar::I8 => size_of::<i8>(),
            Scalar::I16 => size_of::<i16>(),
            Scalar::I32 => size_of::<i32>(),
            Scalar::I64 => size_of::<i64>(),
            Scalar::F32 => size_of::<f32>(),
            Scalar::F64 => size_of::<f64>(),
        }
    }
}

/// How a type is declared in C and Python.
///
/// ```
/// use sysv_ipc::foreign::{Foreign, ForeignType, Scalar};
///
/// assert_eq!(*i32::TYPE, ForeignType::Scalar(Scalar::I32));
/// assert_eq!(*<[f32; 3]>::TYPE, ForeignType::Array { elem: f32::TYPE, len: 3 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForeignType {
    /// A primitive.
    Scalar(Scalar),
    /// `[elem; len]`.
    Array {
        /// The element type.
        elem: &'static ForeignType,
        /// The number of elements.
        len: usize,
    },
    /// A struct, declared by name.
    Struct(ForeignStruct),
}

/// A `#[repr(C)]` struct: its name, size, alignment and fields.
///
/// ```
/// use sysv_ipc::foreign::{ForeignField, ForeignStruct, Foreign};
///
/// const FIELDS: &[ForeignField] = &[ForeignField::new("seq", 0, u64::TYPE)];
/// let s = ForeignStruct::new("Stamp", 8, 8, FIELDS);
/// assert_eq!((s.name(), s.size(), s.align(), s.fields().len()), ("Stamp", 8, 8, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForeignStruct {
    name: &'static str,
    size: usize,
    align: usize,
    fields: &'static [ForeignField],
}

impl ForeignStruct {
    /// A struct named `name` (its name in C and Python) of `size` bytes
    /// (`size_of`), aligned to `align` (`align_of`), with `fields` in declaration
    /// order.
    ///
    /// ```
    /// use sysv_ipc::foreign::{ForeignField, ForeignStruct, Foreign};
    ///
    /// const S: ForeignStruct = ForeignStruct::new("Two", 2, 1, &[
    ///     ForeignField::new("a", 0, u8::TYPE),
    ///     ForeignField::new("b", 1, i8::TYPE),
    /// ]);
    /// assert_eq!(S.fields()[1].offset(), 1);
    /// ```
    pub const fn new(
        name: &'static str,
        size: usize,
        align: usize,
        fields: &'static [ForeignField],
    ) -> ForeignStruct {
        ForeignStruct {
            name,
            size,
            align,
            fields,
        }
    }

    /// The name.
    ///
    /// ```
    /// # use sysv_ipc::foreign::ForeignStruct;
    /// assert_eq!(ForeignStruct::new("Empty", 0, 1, &[]).name(), "Empty");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// `size_of` the struct.
    ///
    /// ```
    /// # use sysv_ipc::foreign::ForeignStruct;
    /// assert_eq!(ForeignStruct::new("Empty", 0, 1, &[]).size(), 0);
    /// ```
    pub const fn size(&self) -> usize {
        self.size
    }

    /// `align_of` the struct.
    ///
    /// ```
    /// # use sysv_ipc::foreign::ForeignStruct;
    /// assert_eq!(ForeignStruct::new("Empty", 0, 1, &[]).align(), 1);
    /// ```
    pub const fn align(&self) -> usize {
        self.align
    }

    /// The fields, in declaration order.
    ///
    /// ```
    /// # use sysv_ipc::foreign::ForeignStruct;
    /// assert!(ForeignStruct::new("Empty", 0, 1, &[]).fields().is_empty());
    /// ```
    pub const fn fields(&self) -> &'static [ForeignField] {
        self.fields
    }
}

/// One field of a [`ForeignStruct`]: its name, offset and type.
///
/// ```
/// use sysv_ipc::foreign::{Foreign, ForeignField};
///
/// let f = ForeignField::new("volts", 8, <[f32; 2]>::TYPE);
/// assert_eq!((f.name(), f.offset(), f.ty().size()), ("volts", 8, 8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForeignField {
    name: &'static str,
    offset: usize,
    ty: &'static ForeignType,
}

impl ForeignField {
    /// A field named `name` at `offset` bytes (`offset_of!`) of type `ty`.
    ///
    /// ```
    /// use sysv_ipc::foreign::{Foreign, ForeignField};
    ///
    /// assert_eq!(ForeignField::new("n", 4, u32::TYPE).offset(), 4);
    /// ```
    pub const fn new(name: &'static str, offset: usize, ty: &'static ForeignType) -> ForeignField {
        ForeignField { name, offset, ty }
    }

    /// The name.
    ///
    /// ```
    /// use sysv_ipc::foreign::{Foreign, ForeignField};
    ///
    /// assert_eq!(ForeignField::new("n", 4, u32::TYPE).name(), "n");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The offset in bytes from the start of the struct.
    ///
    /// ```
    /// use sysv_ipc::foreign::{Foreign, ForeignField};
    ///
    /// assert_eq!(ForeignField::new("n", 12, u32::TYPE).offset(), 12);
    /// ```
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The type.
    ///
    /// ```
    /// use sysv_ipc::foreign::{Foreign, ForeignField};
    ///
    /// assert_eq!(ForeignField::new("n", 4, u32::TYPE).ty(), u32::TYPE);
    /// ```
    pub const fn ty(&self) -> &'static ForeignType {
        self.ty
    }
}

impl ForeignType {
    /// The size in bytes.
    ///
    /// ```
    /// use sysv_ipc::foreign::Foreign;
    ///
    /// assert_eq!(<[[i64; 3]; 2]>::TYPE.size(), 48);
    /// ```
    pub const fn size(&self) -> usize {
        match self {
            ForeignType::Scalar(s) => s.size(),
            // Saturating: a description made by hand may claim any length.
            ForeignType::Array { elem, len } => elem.size().saturating_mul(*len),
            ForeignType::Struct(s) => s.size,
        }
    }

    /// A C declarator of this type named `name`: `uint16_t samples[2][4]`,
    /// `Pose pose`.
    ///
    /// # Errors
    ///
    /// Only `out`'s.
    ///
    /// ```
    /// use sysv_ipc::foreign::Foreign;
    ///
    /// let mut s = String::new();
    /// <[[u16; 4]; 2]>::TYPE.write_c_declarator(&mut s, "samples")?;
    /// assert_eq!(s, "uint16_t samples[2][4]");
    /// # Ok::<(), core::fmt::Error>(())
    /// ```
    pub fn write_c_declarator(&self, out: &mut dyn Write, name: &str) -> fmt::Result {
        out.write_str(self.base_names().0)?;
        write!(out, " {name}")?;
        let mut t = self;
        while let ForeignType::Array { elem, len } = t {
            write!(out, "[{len}]")?;
            t = elem;
        }
        Ok(())
    }

    /// The Python `ctypes` type expression: `ctypes.c_uint16 * 4 * 2` (an array of
    /// 2 arrays of 4), `Pose`.
    ///
    /// # Errors
    ///
    /// Only `out`'s.
    ///
    /// ```
    /// use sysv_ipc::foreign::Foreign;
    ///
    /// let mut s = String::new();
    /// <[[u16; 4]; 2]>::TYPE.write_python(&mut s)?;
    /// assert_eq!(s, "ctypes.c_uint16 * 4 * 2");
    /// # Ok::<(), core::fmt::Error>(())
    /// ```
    pub fn write_python(&self, out: &mut dyn Write) -> fmt::Result {
        match self {
            ForeignType::Array { elem, len } => {
                elem.write_python(out)?;
                write!(out, " * {len}")
            }
            t => out.write_str(t.base_names().1),
        }
    }

    /// The element type under every array dimension.
    fn innermost(&self) -> &ForeignType {
        let mut t = self;
        while let ForeignType::Array { elem, .. } = t {
            t = elem;
        }
        t
    }

    /// The C and the Python name of the element type under every array dimension:
    /// a scalar's or a struct's.
    fn base_names(&self) -> (&'static str, &'static str) {
        match self.innermost() {
            ForeignType::Scalar(s) => (s.c_name(), s.python_name()),
            ForeignType::Struct(s) => (s.name, s.name),
            // innermost() never stops at an array.
            ForeignType::Array { .. } => ("", ""),
        }
    }
}

macro_rules! scalars {
    ($($t:ty => $s:ident),* $(,)?) => {$(
        impl Foreign for $t {
            const TYPE: &'static ForeignType = &ForeignType::Scalar(Scalar::$s);
        }
        const _: () = assert!(Scalar::$s.size() == align_of::<$t>());
    )*};
}

scalars! {
    u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    f32 => F32, f64 => F64,
}

impl<E: Foreign, const N: usize> Foreign for [E; N] {
    const TYPE: &'static ForeignType = &ForeignType::Array {
        elem: E::TYPE,
        len: N,
    };
}

/// Calls `f` on every struct that `types` reach, each after the structs its fields
/// reach (post-order), as often as it is reached.
fn walk(
    types: &[&'static ForeignType],
    f: &mut dyn FnMut(&'static ForeignStruct) -> fmt::Result,
) -> fmt::Result {
    fn visit(
        t: &'static ForeignType,
        f: &mut dyn FnMut(&'static ForeignStruct) -> fmt::Result,
    ) -> fmt::Result {
        match t {
            ForeignType::Scalar(_) => Ok(()),
            ForeignType::Array { elem, .. } => visit(elem, f),
            ForeignType::Struct(s) => {
                for field in s.fields {
                    visit(field.ty, f)?;
                }
                f(s)
            }
        }
    }
    types.iter().try_for_each(|t| visit(t, f))
}

/// Calls `f` on every struct that `types` reach, dependencies first, each once (the
/// first time it is reached). Without allocation, "seen before" is a second walk
/// up to the current position: quadratic in the number of times structs are
/// reached (once per path from a root to them; an array's elements count once),
/// which is small for layouts written by hand.
fn each_struct_once(
    types: &[&'static ForeignType],
    f: &mut dyn FnMut(&'static ForeignStruct) -> fmt::Result,
) -> fmt::Result {
    let mut position = 0usize;
    walk(types, &mut |s| {
        let here = position;
        position += 1;
        // The position where a struct of this name is first reached, and whether
        // it is this one.
        let mut i = 0usize;
        let mut first = None;
        // Stopping at the first match: `fmt::Error` is the walk's only way out.
        let _ = walk(types, &mut |other| {
            if other.name == s.name {
                first = Some((i, other == s));
                return Err(fmt::Error);
            }
            i += 1;
            Ok(())
        });
        match first {
            Some((at, true)) if at == here => f(s),
            Some((_, true)) => Ok(()),
            // Another struct of the same name came first: C and Python cannot
            // declare both.
            _ => Err(fmt::Error),
        }
    })
}

/// Python's keywords: a field of one of these names is asserted through `getattr`.
const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// `Class.field`, or `getattr(Class, "field")` for a field named as a keyword.
struct PythonAttr(&'static str, &'static str);

impl fmt::Display for PythonAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let PythonAttr(class, field) = *self;
        if PYTHON_KEYWORDS.contains(&field) {
            write!(f, "getattr({class}, \"{field}\")")
        } else {
            write!(f, "{class}.{field}")
        }
    }
}

/// The C declarations of every struct `types` reach: for each, dependencies first
/// and once, `typedef struct X { .. } X;` and its `_Static_assert`s, in an include
/// guard `SVIPC_STRUCT_X`. Scalars and arrays need no declaration: only the structs
/// they reach are written. The text needs `<stddef.h>` and `<stdint.h>` included
/// before it; [`render_c`] writes a whole header.
///
/// # Errors
///
/// `out`'s, and [`fmt::Error`] when two different structs of the same name are
/// reached (C has one namespace for them).
///
/// # Examples
///
/// See the [module docs](self) for the output for a nested struct.
///
/// ```
/// use sysv_ipc::foreign::{self, Foreign};
///
/// let mut s = String::new();
/// foreign::render_c_declarations(&mut s, &[u32::TYPE, <[f64; 3]>::TYPE])?;
/// assert_eq!(s, ""); // no structs, nothing to declare
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub fn render_c_declarations(out: &mut dyn Write, types: &[&'static ForeignType]) -> fmt::Result {
    each_struct_once(types, &mut |s| {
        let name = s.name;
        write!(
            out,
            "\n#ifndef SVIPC_STRUCT_{name}\n#define SVIPC_STRUCT_{name}\ntypedef struct {name} {{\n"
        )?;
        for f in s.fields {
            out.write_str("    ")?;
            f.ty.write_c_declarator(out, f.name)?;
            out.write_str(";\n")?;
        }
        writeln!(out, "}} {name};")?;
        writeln!(
            out,
            "_Static_assert(sizeof({name}) == {size}, \"{name}: size {size} in Rust\");",
            size = s.size
        )?;
        writeln!(
            out,
            "_Static_assert(_Alignof({name}) == {align}, \"{name}: alignment {align} in Rust\");",
            align = s.align
        )?;
        for f in s.fields {
            writeln!(
                out,
                "_Static_assert(offsetof({name}, {f}) == {offset} && sizeof((({name} *)0)->{f}) == {size}, \
                 \"{name}.{f}: offset {offset}, size {size} in Rust\");",
                f = f.name,
                offset = f.offset,
                size = f.ty.size(),
            )?;
        }
        writeln!(out, "#endif /* SVIPC_STRUCT_{name} */")
    })
}

/// The Python declarations of every struct `types` reach: for each, dependencies
/// first and once, `class X(ctypes.Structure)` with its `_fields_`, and `assert`s
/// of its size, alignment and every field's offset and size. The text needs
/// `import ctypes` before it; [`render_python`] writes a whole module.
///
/// # Errors
///
/// `out`'s, and [`fmt::Error`] when two different structs of the same name are
/// reached.
///
/// # Examples
///
/// See the [module docs](self) for the output for a nested struct.
///
/// ```
/// use sysv_ipc::foreign::{self, Foreign};
///
/// let mut s = String::new();
/// foreign::render_python_declarations(&mut s, &[i8::TYPE])?;
/// assert_eq!(s, "");
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub fn render_python_declarations(
    out: &mut dyn Write,
    types: &[&'static ForeignType],
) -> fmt::Result {
    each_struct_once(types, &mut |s| {
        let name = s.name;
        write!(out, "\nclass {name}(ctypes.Structure):\n    _fields_ = [\n")?;
        for f in s.fields {
            write!(out, "        (\"{}\", ", f.name)?;
            f.ty.write_python(out)?;
            out.write_str("),\n")?;
        }
        out.write_str("    ]\n\n")?;
        writeln!(
            out,
            "assert ctypes.sizeof({name}) == {size}, \"{name}: size {size} in Rust\"",
            size = s.size
        )?;
        writeln!(
            out,
            "assert ctypes.alignment({name}) == {align}, \"{name}: alignment {align} in Rust\"",
            align = s.align
        )?;
        for f in s.fields {
            let (field, offset, size) = (f.name, f.offset, f.ty.size());
            let attr = PythonAttr(name, field);
            writeln!(
                out,
                "assert {attr}.offset == {offset} and {attr}.size == {size}, \
                 \"{name}.{field}: offset {offset}, size {size} in Rust\""
            )?;
        }
        Ok(())
    })
}

/// A whole C header declaring every struct `types` reach: a comment saying where it
/// comes from, `#include <stddef.h>` and `<stdint.h>`, then
/// [`render_c_declarations`] (each struct in its own include guard, so the file
/// needs none of its own).
///
/// # Errors
///
/// As [`render_c_declarations`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::ShmView;
/// use sysv_ipc::foreign::{self, Foreign};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
/// #[repr(C)]
/// struct Sample { at_ns: u64, volts: [f32; 2] }
///
/// let mut h = String::new();
/// foreign::render_c(&mut h, &[Sample::TYPE])?;
/// assert!(h.contains("#include <stdint.h>\n"));
/// assert!(h.contains("    float volts[2];\n"));
/// assert!(h.contains("_Static_assert(offsetof(Sample, volts) == 8 && "));
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub fn render_c(out: &mut dyn Write, types: &[&'static ForeignType]) -> fmt::Result {
    write!(
        out,
        "\
/*
 * GENERATED by sysv-ipc {} (sysv_ipc::foreign::render_c) from the Rust structs'
 * layouts: every size, alignment and offset below is what the Rust compiler computed,
 * and the _Static_asserts make the C compiler check its own layout against them.
 * Fields are native-endian; a peer writing while another reads should use atomic
 * accesses of each field's own width (as Rust's ShmView views do).
 */
#include <stddef.h>
#include <stdint.h>
",
        env!("CARGO_PKG_VERSION")
    )?;
    render_c_declarations(out, types)
}

/// A whole Python module declaring every struct `types` reach: a comment,
/// `import ctypes`, then [`render_python_declarations`]. Map a class over shared
/// memory with `X.from_address(address)` (the address `shmat` returned), or over a
/// buffer with `X.from_buffer`.
///
/// # Errors
///
/// As [`render_python_declarations`].
///
/// # Examples
///
/// ```
/// use sysv_ipc::ShmView;
/// use sysv_ipc::foreign::{self, Foreign};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(FromBytes, IntoBytes, Immutable, KnownLayout, ShmView)]
/// #[repr(C)]
/// struct Sample { at_ns: u64, volts: [f32; 2] }
///
/// let mut py = String::new();
/// foreign::render_python(&mut py, &[Sample::TYPE])?;
/// assert!(py.contains("\nimport ctypes\n"));
/// assert!(py.contains("        (\"volts\", ctypes.c_float * 2),\n"));
/// # Ok::<(), core::fmt::Error>(())
/// ```
pub fn render_python(out: &mut dyn Write, types: &[&'static ForeignType]) -> fmt::Result {
    write!(
        out,
        "\
# GENERATED by sysv-ipc {} (sysv_ipc::foreign::render_python) from the Rust structs'
# layouts: every size, alignment and offset asserted below is what the Rust compiler
# computed. Fields are native-endian. Map a class over a segment with
# X.from_address(shmat's address).

import ctypes
",
        env!("CARGO_PKG_VERSION")
    )?;
    render_python_declarations(out, types)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Buf {
        bytes: [u8; 4096],
        len: usize,
    }

    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len + s.len();
            self.bytes
                .get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    impl Buf {
        fn new() -> Buf {
            Buf {
                bytes: [0; 4096],
                len: 0,
            }
        }
        fn text(&self) -> &str {
            core::str::from_utf8(&self.bytes[..self.len]).unwrap()
        }
    }

    const A: ForeignType = ForeignType::Struct(ForeignStruct::new(
        "A",
        4,
        4,
        &[ForeignField::new("v", 0, u32::TYPE)],
    ));
    const OTHER_A: ForeignType = ForeignType::Struct(ForeignStruct::new(
        "A",
        8,
        8,
        &[ForeignField::new("v", 0, u64::TYPE)],
    ));
    const B: ForeignType = ForeignType::Struct(ForeignStruct::new(
        "B",
        12,
        4,
        &[
            ForeignField::new("a", 0, &A),
            ForeignField::new("more", 4, &ForeignType::Array { elem: &A, len: 2 }),
        ],
    ));

    fn count(text: &str, needle: &str) -> usize {
        text.matches(needle).count()
    }

    #[test]
    fn a_struct_reached_many_times_is_declared_once_before_its_users() {
        let mut out = Buf::new();
        render_c_declarations(&mut out, &[&B, &A, &B]).unwrap();
        let text = out.text();
        assert_eq!(count(text, "typedef struct A {"), 1, "{text}");
        assert_eq!(count(text, "typedef struct B {"), 1, "{text}");
        assert!(text.find("struct A {") < text.find("struct B {"), "{text}");
        assert!(text.contains("    A more[2];\n"), "{text}");

        let mut out = Buf::new();
        render_python_declarations(&mut out, &[&B, &A]).unwrap();
        let text = out.text();
        assert_eq!(count(text, "class A(ctypes.Structure)"), 1, "{text}");
        assert!(text.contains("(\"more\", A * 2),"), "{text}");
    }

    #[test]
    fn two_structs_of_one_name_are_an_error() {
        assert_eq!(
            render_c_declarations(&mut Buf::new(), &[&A, &OTHER_A]),
            Err(fmt::Error)
        );
        assert_eq!(
            render_python_declarations(&mut Buf::new(), &[&B, &OTHER_A]),
            Err(fmt::Error)
        );
    }

    #[test]
    fn a_python_keyword_field_is_asserted_through_getattr() {
        const K: ForeignType = ForeignType::Struct(ForeignStruct::new(
            "K",
            1,
            1,
            &[ForeignField::new("from", 0, u8::TYPE)],
        ));
        let mut out = Buf::new();
        render_python_declarations(&mut out, &[&K]).unwrap();
        assert!(
            out.text().contains(
                "assert getattr(K, \"from\").offset == 0 and getattr(K, \"from\").size == 1,"
            ),
            "{}",
            out.text()
        );
    }
}
