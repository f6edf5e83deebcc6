//! [`Literal`]: a resolved value written as the Rust expression that rebuilds it, as the
//! generator writes it into a service's `<service>_deploy` module. Paths are absolute
//! (`::core::option::Option`), and the types are named through the runtime crate the caller
//! passes (`::kuberpc`, or the `__private` re-export of a renamed one), so the expression
//! compiles under `#![no_implicit_prelude]`.

use proc_macro2::{Literal as Lit, TokenStream};
use quote::{format_ident, quote, ToTokens};

/// A value written as a Rust expression (constant-evaluable: it may initialise a `static`).
pub trait Literal {
    /// The expression; `krate` is the path to the runtime crate, for the struct names.
    fn literal(&self, krate: &TokenStream) -> TokenStream;

    /// `pub const FIELD: T = …;` for each scalar field of a struct (nothing for a scalar).
    fn constants(&self) -> TokenStream {
        TokenStream::new()
    }

    /// The type of a `pub const` holding the value, for scalars; `None` for values that only
    /// appear inside their struct's literal.
    fn constant_type() -> Option<TokenStream>
    where
        Self: Sized,
    {
        None
    }
}

macro_rules! scalar {
    ($($ty:ident => $write:expr),* $(,)?) => {$(
        impl Literal for $ty {
            fn literal(&self, _: &TokenStream) -> TokenStream {
                let write: fn(&$ty) -> TokenStream = $write;
                write(self)
            }

            fn constant_type() -> Option<TokenStream> {
                Some(quote!($ty))
            }
        }
    )*};
}

scalar! {
    u16 => |n| Lit::u16_unsuffixed(*n).into_token_stream(),
    u32 => |n| Lit::u32_unsuffixed(*n).into_token_stream(),
    u64 => |n| Lit::u64_unsuffixed(*n).into_token_stream(),
    bool => |b| b.into_token_stream(),
}

impl Literal for String {
    fn literal(&self, krate: &TokenStream) -> TokenStream {
        self.as_str().literal(krate)
    }

    fn constant_type() -> Option<TokenStream> {
        <&str>::constant_type()
    }
}

impl Literal for &str {
    fn literal(&self, _: &TokenStream) -> TokenStream {
        self.into_token_stream()
    }

    fn constant_type() -> Option<TokenStream> {
        Some(quote!(&str))
    }
}

impl<T: Literal> Literal for Option<T> {
    fn literal(&self, krate: &TokenStream) -> TokenStream {
        match self {
            Some(value) => {
                let value = value.literal(krate);
                quote!(::core::option::Option::Some(#value))
            }
            None => quote!(::core::option::Option::None),
        }
    }
}

impl<T: Literal> Literal for Vec<T> {
    fn literal(&self, krate: &TokenStream) -> TokenStream {
        self.as_slice().literal(krate)
    }
}

impl<T: Literal> Literal for &[T] {
    fn literal(&self, krate: &TokenStream) -> TokenStream {
        let items = self.iter().map(|item| item.literal(krate));
        quote!(&[#(#items),*])
    }
}

/// `<krate>::Name { field: value, … }`.
pub(crate) fn structure<const N: usize>(
    krate: &TokenStream,
    name: &str,
    fields: [(&str, TokenStream); N],
) -> TokenStream {
    let name = format_ident!("{name}");
    let fields = fields.into_iter().map(|(field, value)| {
        let field = format_ident!("{field}");
        quote!(#field: #value)
    });
    quote!(#krate::#name { #(#fields),* })
}

/// `pub const FIELD: T = value;` documented as the field is, when `constant_type` is a scalar's.
pub(crate) fn constant(
    field: &str,
    docs: &[&str],
    constant_type: Option<TokenStream>,
    value: impl FnOnce() -> TokenStream,
) -> TokenStream {
    let Some(constant_type) = constant_type else { return TokenStream::new() };
    let name = format_ident!("{}", field.to_ascii_uppercase());
    let value = value();
    quote! {
        #(#[doc = #docs])*
        pub const #name: #constant_type = #value;
    }
}
