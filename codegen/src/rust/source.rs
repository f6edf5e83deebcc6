//! The build-script side of the trait front end (`Config::compile_rust`): every annotated
//! trait of a Rust source file, with problems at exact `file:line:col` (proc-macro2's
//! `span-locations`), where the macro side ([`super::expand`]) reports at tokens.

use proc_macro2::TokenStream;

use super::front::{self, read_trait, RustService, TokenSource, SERVICE_ATTRIBUTE};
use crate::error::{Error, Problem, Problems, SourceFile};
use crate::model::Package;

/// One annotated trait of a source file, with its model.
#[derive(Debug, Clone)]
pub(crate) struct FileService {
    /// The trait as read.
    pub rust: RustService,
    /// Its checked model (a package with this one service).
    pub package: Package,
}

/// A parsed source file: its annotated traits and the syntax tree (for the messages).
#[derive(Debug, Clone)]
pub(crate) struct ParsedFile {
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
/// the cross-field rules ([`crate::model_rules`]) once, over every service, in the same run.
/// `None` when the text is not Rust at all.
pub(crate) fn parse_source(display_name: &str, text: &str, problems: &mut Problems) -> Option<ParsedFile> {
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
