//! `#[kuberpc::rpc_service(...)]`: a thin shim. It finds the path under which the user's
//! crate knows `kuberpc` (renamed or not) and hands the tokens to
//! [`kuberpc_codegen::rust::expand`], where the parsing, checking and code generation live.

use proc_macro::TokenStream;
use proc_macro_crate::{crate_name, FoundCrate};
use quote::{format_ident, quote};

/// Turns an annotated Rust trait into a gRPC service: the trait (made `Send` for tonic), a
/// `<Trait>Server`, a `<Trait>Client` and a `<trait>_deploy` module. See the `kuberpc` crate
/// docs and `DESIGN.md` for the attribute vocabulary.
#[proc_macro_attribute]
pub fn rpc_service(attr: TokenStream, item: TokenStream) -> TokenStream {
    let krate = match crate_name("kuberpc") {
        Ok(FoundCrate::Name(name)) => {
            let name = format_ident!("{name}");
            quote!(::#name)
        }
        // Inside kuberpc itself, or when Cargo.toml cannot be read: the usual name.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::kuberpc),
    };
    kuberpc_codegen::rust::expand(attr.into(), item.into(), &krate).into()
}
