//! The trait front end: `#[rpc_service(...)]` on a Rust trait → the same model as a `.proto`.
//!
//! - [`expand`] is the whole proc-macro (`kuberpc-macros` only finds the crate path): read
//!   the trait ([`front`]), resolve and check its options, generate the server, client and
//!   deploy module ([`stubs`]). On any mistake it emits the trait as written (minus the
//!   `#[rpc]` attributes) plus one spanned error per mistake, so the user's other code does
//!   not drown in follow-on errors.
//! - [`parse_source`] is the build-script side (`Config::compile_rust`, in [`source`]): every
//!   annotated trait of a source file, with problems at exact `file:line:col`; [`proto_file`]
//!   writes their equivalent `.proto`.

pub(crate) mod front;
#[cfg(feature = "build")]
pub(crate) mod proto_file;
#[cfg(feature = "build")]
mod source;
mod stubs;

#[cfg(feature = "build")]
pub(crate) use source::{parse_source, ParsedFile};

use proc_macro2::TokenStream;
use quote::quote;

use front::{read_trait, without_method_attributes, TokenSource};

/// Expands `#[rpc_service(attr)] item`, naming the runtime crate `krate` (e.g. `::kuberpc`).
pub fn expand(attr: TokenStream, item: TokenStream, krate: &TokenStream) -> TokenStream {
    let item_trait: syn::ItemTrait = match syn::parse2(item.clone()) {
        Ok(item_trait) => item_trait,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[rpc_service] goes on a trait: `pub trait Counter { async fn get(&self, …) -> … }`",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };
    match expand_trait(attr, &item_trait, krate) {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            let item = without_method_attributes(&item_trait);
            quote!(#item #error)
        }
    }
}

fn expand_trait(attr: TokenStream, item: &syn::ItemTrait, krate: &TokenStream) -> syn::Result<TokenStream> {
    let (rust, shape) = read_trait(attr, item);
    let Some(rust) = rust else { return shape.map(|()| TokenStream::new()) };
    let mut modelled = rust.model("", &TokenSource::Macro);
    if let Err(error) = crate::model_rules::enforce(std::slice::from_ref(&modelled.package)) {
        modelled.problems.extend(error);
    }
    let service = modelled.package.services[0].clone();
    front::combine(shape, modelled.token_errors())?;
    Ok(stubs::expand(&rust, &service, krate))
}
