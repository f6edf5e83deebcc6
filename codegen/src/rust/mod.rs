//! The trait front end: `#[rpc_service(...)]` on a Rust trait → the same model as a `.proto`.
//!
//! - [`expand`] is the whole proc-macro (`kuberpc-macros` only finds the crate path): read
//!   the trait ([`front`]), resolve and check its options, generate the server, client and
//!   deploy module (`generate`). On any mistake it emits the trait as written (minus the
//!   `#[rpc]` attributes) plus one spanned error per mistake, so the user's other code does
//!   not drown in follow-on errors.
//! - [`parse_source`] is the build-script side (`Config::compile_rust`): every annotated trait
//!   of a source file, with problems at exact `file:line:col`.

pub mod front;
mod generate;
#[cfg(feature = "build")]
pub mod proto_file;

use proc_macro2::TokenStream;
use quote::quote;

use crate::error::{Error, Problem, Problems, SourceFile};
use crate::model::Package;
use front::{read_trait, without_method_attributes, RustService, TokenSource, SERVICE_ATTRIBUTE};

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
    if let Err(error) = crate::check::check(std::slice::from_ref(&modelled.package)) {
        modelled.problems.extend(error);
    }
    let service = modelled.package.services[0].clone();
    front::combine(shape, modelled.token_errors())?;
    Ok(generate::expand(&rust, &service, krate))
}

/// One annotated trait of a source file, with its model.
#[derive(Debug, Clone)]
pub struct FileService {
    /// The trait as read.
    pub rust: RustService,
    /// Its checked model (a package with this one service).
    pub package: Package,
}

/// A parsed source file: its annotated traits and the syntax tree (for the messages).
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// Every `#[rpc_service]` trait, in file order (inline modules included).
    pub services: Vec<FileService>,
    /// The whole file.
    pub syntax: syn::File,
    /// The text, for locating problems.
    pub source: SourceFile,
}

/// Reads every `#[rpc_service]` trait of the Rust source `text`, named `display_name` in
/// headers and problems. Shape and option mistakes go to `problems`, and the traits are
/// still returned (options with defaults in place of bad values), so that the caller runs
/// the cross-field rules ([`crate::check`]) once, over every service, in the same run.
/// `None` when the text is not Rust at all.
pub fn parse_source(display_name: &str, text: &str, problems: &mut Problems) -> Option<ParsedFile> {
    let source = SourceFile::new(display_name, text);
    let syntax = match syn::parse_file(text) {
        Ok(syntax) => syntax,
        Err(e) => {
            problems.extend(syn_problem(&source, syn::Error::new(e.span(), format!("not valid Rust: {e}"))));
            return None;
        }
    };
    let mut services = Vec::new();
    let mut traits = Vec::new();
    collect_traits(&syntax.items, &mut traits);
    let collected = traits.len();
    for (item, attribute) in traits {
        let arguments = match &attribute.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let (rust, shape) = read_trait(arguments, item);
        if let Err(error) = shape {
            problems.extend(syn_problem(&source, error));
        }
        if let Some(rust) = rust {
            let modelled = rust.model(display_name, &TokenSource::File(source.clone()));
            let package = modelled.package.clone();
            modelled.problems.into_vec().into_iter().for_each(|p| problems.push(p));
            services.push(FileService { rust, package });
        }
    }
    if collected == 0 {
        problems.push(Problem::at(format!("{display_name} has no `#[rpc_service]` trait"), Some(source.span(0, 0))));
    }
    Some(ParsedFile { services, syntax, source })
}

/// Every trait carrying `#[rpc_service]` (any path ending in it), in inline modules too.
fn collect_traits<'a>(items: &'a [syn::Item], out: &mut Vec<(&'a syn::ItemTrait, &'a syn::Attribute)>) {
    for item in items {
        match item {
            syn::Item::Trait(item_trait) => {
                let attribute = item_trait
                    .attrs
                    .iter()
                    .find(|a| a.path().segments.last().is_some_and(|s| s.ident == SERVICE_ATTRIBUTE));
                if let Some(attribute) = attribute {
                    out.push((item_trait, attribute));
                }
            }
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    collect_traits(items, out);
                }
            }
            _ => {}
        }
    }
}

/// A `syn::Error` as a located problem (positions from proc-macro2's `span-locations`).
fn syn_problem(source: &SourceFile, error: syn::Error) -> Error {
    let mut problems = Problems::default();
    for error in error {
        problems.push(Problem::at(error.to_string(), Some(front::file_span(source, error.span()))));
    }
    problems.into_error()
}
