//! The `sysv_ipc::foreign::Foreign` impl of a derived struct: its C and Python
//! description, with the name, size, alignment and every field's offset taken from
//! the compiler (`size_of`, `align_of`, `offset_of!`) where the impl is compiled.

use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::token::Comma;
use syn::{Field, Ident};

/// `impl Foreign for #name`, from its named `fields` (already checked by the
/// caller: named, of supported types). Each field's type must implement `Foreign`
/// too (the primitives and arrays do, and every derived struct); an error points at
/// the field that does not.
pub(crate) fn foreign_impl(name: &Ident, fields: &Punctuated<Field, Comma>) -> TokenStream2 {
    let krate = quote!(::sysv_ipc::foreign);
    // As C and Python spell it: a raw identifier without its `r#`.
    let name_text = name.unraw().to_string();
    let entries = fields.iter().filter_map(|f| {
        let ident = f.ident.as_ref()?;
        let text = ident.unraw().to_string();
        let ty = &f.ty;
        let ty_desc = quote_spanned!(ty.span()=> <#ty as #krate::Foreign>::TYPE);
        Some(quote! {
            #krate::ForeignField::new(#text, ::core::mem::offset_of!(#name, #ident), #ty_desc)
        })
    });
    quote! {
        impl #krate::Foreign for #name {
            const TYPE: &'static #krate::ForeignType =
                &#krate::ForeignType::Struct(#krate::ForeignStruct::new(
                    #name_text,
                    ::core::mem::size_of::<#name>(),
                    ::core::mem::align_of::<#name>(),
                    &[ #( #entries ),* ],
                ));
        }
    }
}
