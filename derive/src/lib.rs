//! `#[derive(ShmView)]` for `sysv-ipc`: use it through `sysv_ipc::ShmView` (the
//! `derive` feature, on by default); the generated code names `::sysv_ipc`.
//!
//! For a `#[repr(C)]` struct `X` with named fields of the types `u8`..`u64`,
//! `i8`..`i64`, `f32`, `f64`, arrays of them (nested too) and other structs deriving
//! `ShmView`, it generates `XView`: a `#[repr(C)]` struct with the same fields as
//! atomic cells (the fields' `ShmView::View` types), one accessor per field, and the
//! `unsafe impl ShmView for X`, guarded by compile-time assertions that the view's
//! size, alignment and every field offset equal `X`'s and that `X` has no padding.
//!
//! It also implements `sysv_ipc::foreign::Foreign` for `X` (module `foreign` here):
//! the C and Python declarations of the struct, with the offsets Rust computed.
//!
//! It refuses, with a message saying why: a missing `#[repr(C)]`, `#[repr(packed)]`,
//! enums, unions, generic, tuple and empty structs, and fields that are references,
//! pointers, `bool`, `char`, `usize`, `isize`, tuples, slices, function pointers or
//! trait objects.

mod foreign;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, Type, parse_macro_input};

/// Derives `sysv_ipc::view::ShmView` and generates the struct's view type `XView`.
/// See the `sysv_ipc::view` module for the whole story and examples.
#[proc_macro_derive(ShmView)]
pub fn derive_shm_view(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// What the docs say of a field's atomicity, from its type as written.
enum Kind {
    /// A primitive of this many bytes.
    Prim(&'static str, u8),
    Array,
    Nested,
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let data = match &input.data {
        Data::Struct(s) => s,
        Data::Enum(e) => {
            return Err(Error::new(
                e.enum_token.span,
                "ShmView cannot be derived for an enum: a peer can write any bits, and most are not a valid discriminant; use an integer field and convert it",
            ));
        }
        Data::Union(u) => {
            return Err(Error::new(
                u.union_token.span,
                "ShmView cannot be derived for a union: use a struct with one field per byte range",
            ));
        }
    };
    check_repr(input)?;
    let fields = match &data.fields {
        Fields::Named(f) if !f.named.is_empty() => &f.named,
        Fields::Named(_) | Fields::Unit => {
            return Err(Error::new(
                name.span(),
                "ShmView needs at least one field: an empty struct has no bytes to view",
            ));
        }
        Fields::Unnamed(f) => {
            return Err(Error::new(
                f.span(),
                "ShmView needs named fields (each becomes an accessor of the same name)",
            ));
        }
    };

    let mut kinds = Vec::new();
    let mut errors: Option<Error> = None;
    for f in fields {
        match classify(&f.ty) {
            Ok(k) => kinds.push(k),
            Err(e) => match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            },
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    // After the fields, so that a reference field is refused for what it is rather
    // than for its lifetime parameter.
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return Err(Error::new(
            input.generics.span(),
            "ShmView cannot be derived for a generic struct: its layout checks need concrete field types",
        ));
    }

    let view = format_ident!("{}View", name);
    let vis = &input.vis;
    let krate = quote!(::sysv_ipc::view);
    let names: Vec<_> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let tys: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let cell_tys: Vec<_> = tys
        .iter()
        .map(|t| quote_spanned!(t.span()=> <#t as #krate::ShmView>::View))
        .collect();

    let view_doc = format!(
        "The in-place view of [`{name}`]: each field an atomic cell at the same offset \
         (derived by `ShmView`). Get one from `Shm::<{name}>::view`; each accessor \
         says whether its field is single-copy atomic. The whole is not one atomic \
         access: a peer writing while a `load` runs may leave it torn across fields."
    );
    let accessors = fields
        .iter()
        .zip(&kinds)
        .zip(&cell_tys)
        .map(|((f, kind), cell)| {
            let fname = f.ident.as_ref();
            let ty = &f.ty;
            let ty_text = quote!(#ty).to_string().replace(' ', "");
            let atomicity = match kind {
                Kind::Prim(cell_name, size) => format!(
                    "Single-copy atomic: one naturally aligned {size}-byte cell \
                 (`{cell_name}`); a load sees the whole of one write."
                ),
                Kind::Array => "An array view: each element is its own cell (single-copy \
                 atomic for primitive elements); the array as a whole is not one atomic \
                 access."
                    .to_owned(),
                Kind::Nested => "A nested view: each of its fields is its own cell; the \
                 struct as a whole is not one atomic access."
                    .to_owned(),
            };
            let doc = format!("The field `{}: {ty_text}`. {atomicity}", quote!(#fname));
            quote! {
                #[doc = #doc]
                #[inline(always)]
                pub fn #fname(&self) -> &#cell {
                    &self.#fname
                }
            }
        });

    let field_sizes = tys.iter().map(|t| quote!(::core::mem::size_of::<#t>()));
    let padding_msg = format!(
        "#[derive(ShmView)]: `{name}` has padding (its fields' sizes add up to less than \
         its size); padding bytes have no cell, so make them fields (e.g. `_pad: [u8; N]`)"
    );
    let offset_checks = names.iter().map(|n| {
        let msg =
            format!("#[derive(ShmView)]: the view's field `{n}` is not at `{name}.{n}`'s offset");
        quote! {
            ::core::assert!(
                ::core::mem::offset_of!(#view, #n) == ::core::mem::offset_of!(#name, #n),
                #msg
            );
        }
    });
    let size_msg = format!("#[derive(ShmView)]: `{view}` and `{name}` differ in size");
    let align_msg = format!("#[derive(ShmView)]: `{view}` and `{name}` differ in alignment");

    let foreign = foreign::foreign_impl(name, fields);

    Ok(quote! {
        #foreign

        #[doc = #view_doc]
        #[repr(C)]
        #vis struct #view {
            #( #names: #cell_tys, )*
        }

        impl #view {
            #( #accessors )*
        }

        const _: () = {
            ::core::assert!(
                0 #( + #field_sizes )* == ::core::mem::size_of::<#name>(),
                #padding_msg
            );
            ::core::assert!(
                ::core::mem::size_of::<#view>() == ::core::mem::size_of::<#name>(),
                #size_msg
            );
            ::core::assert!(
                ::core::mem::align_of::<#view>() == ::core::mem::align_of::<#name>(),
                #align_msg
            );
            #( #offset_checks )*
        };

        // SAFETY: #view is repr(C) with, in the same order, one field per field of
        // #name whose type is that field's ShmView::View (layout-identical to it by
        // that impl's contract), so each offset, the size and the alignment agree
        // (asserted above at compile time), and #name has no padding (asserted: its
        // fields' sizes add up to its size), so every byte of #view is inside a cell
        // whose bit patterns are all valid. Its methods only hand out those cells; it
        // has no Drop and no other state.
        unsafe impl #krate::ShmView for #name {
            type View = #view;
        }

        impl #krate::ViewCell for #view {
            type Value = #name;

            #[inline]
            fn load_into(&self, out: &mut #name, order: ::core::sync::atomic::Ordering) {
                #( #krate::ViewCell::load_into(&self.#names, &mut out.#names, order); )*
            }

            #[inline]
            fn store_from(&self, value: &#name, order: ::core::sync::atomic::Ordering) {
                #( #krate::ViewCell::store_from(&self.#names, &value.#names, order); )*
            }
        }
    })
}

fn check_repr(input: &DeriveInput) -> syn::Result<()> {
    let mut has_c = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") {
                has_c = true;
            } else if meta.path.is_ident("packed") {
                return Err(meta.error(
                    "ShmView cannot view a #[repr(packed)] struct: its fields may be misaligned, and atomic cells need natural alignment",
                ));
            } else if meta.input.peek(syn::token::Paren) {
                // align(N): allowed; any tail padding it adds is caught by the
                // padding assertion.
                let content;
                syn::parenthesized!(content in meta.input);
                let _: TokenStream2 = content.parse()?;
            }
            Ok(())
        })?;
    }
    if has_c {
        Ok(())
    } else {
        Err(Error::new(
            Span::call_site(),
            "ShmView needs #[repr(C)]: without it the field order and offsets are unspecified, and a peer (or the view) could not rely on them",
        ))
    }
}

fn classify(ty: &Type) -> syn::Result<Kind> {
    match ty {
        Type::Array(a) => classify(&a.elem).map(|_| Kind::Array),
        Type::Group(g) => classify(&g.elem),
        Type::Paren(p) => classify(&p.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Ok(Kind::Nested);
            };
            let id = last.ident.to_string();
            let refuse = |why: &str| Err(Error::new(ty.span(), why.to_owned()));
            match id.as_str() {
                "bool" => refuse(
                    "ShmView refuses `bool`: a peer can write any byte, and only 0 and 1 are valid bools; use `u8`",
                ),
                "char" => refuse(
                    "ShmView refuses `char`: a peer can write any bits, and surrogates and values above 0x10FFFF are not chars; use `u32`",
                ),
                "usize" | "isize" => refuse(
                    "ShmView refuses `usize`/`isize`: their width is the process's pointer width, so a peer of another width sees another layout; use `u64`/`i64` (or `u32`/`i32`)",
                ),
                "u128" | "i128" => refuse(
                    "ShmView refuses 128-bit integers: there is no 16-byte atomic cell; use `[u64; 2]`",
                ),
                "u8" => Ok(Kind::Prim("AtomicU8", 1)),
                "u16" => Ok(Kind::Prim("AtomicU16", 2)),
                "u32" => Ok(Kind::Prim("AtomicU32", 4)),
                "u64" => Ok(Kind::Prim("AtomicU64", 8)),
                "i8" => Ok(Kind::Prim("AtomicI8", 1)),
                "i16" => Ok(Kind::Prim("AtomicI16", 2)),
                "i32" => Ok(Kind::Prim("AtomicI32", 4)),
                "i64" => Ok(Kind::Prim("AtomicI64", 8)),
                "f32" => Ok(Kind::Prim("AtomicF32", 4)),
                "f64" => Ok(Kind::Prim("AtomicF64", 8)),
                _ => Ok(Kind::Nested),
            }
        }
        Type::Reference(_) => Err(Error::new(
            ty.span(),
            "ShmView refuses references: an address means nothing in another process, and a peer could write an invalid one",
        )),
        Type::Ptr(_) => Err(Error::new(
            ty.span(),
            "ShmView refuses raw pointers: an address means nothing in another process's mapping; store an offset (`u64`) instead",
        )),
        _ => Err(Error::new(
            ty.span(),
            "ShmView supports fields of integers, floats, arrays of them and structs deriving ShmView",
        )),
    }
}
