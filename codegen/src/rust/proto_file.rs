//! The `.proto` equivalent of `#[rpc_service]` traits, so clients in other languages can be
//! generated: per package, the services (with their kuberpc options as written) and every
//! message and enum they reach, read from the `#[prost(...)]` attributes of the Rust types.
//!
//! Emitted names round-trip through prost-build: fields keep their Rust names, enum values
//! get the `ENUM_NAME_` prefix prost strips again. What cannot be expressed (oneofs, types
//! not defined in the given files) is a located problem, never a guess. [`emit_all`] is the
//! back end `Config::generate_rust` runs: every package's file, the vocabulary beside them
//! when they import it, and the descriptors of the tree compiled back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use heck::ToShoutySnakeCase;
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;

use super::front::{file_span, RustService};
use super::ParsedFile;
use crate::error::{Error, Problem, Problems, SourceFile};
use crate::model::Package;
use crate::options::OPTIONS_PROTO_NAME;
use crate::schema::{fields, option_text};

/// A message or enum definition found in the given files.
enum Definition<'a> {
    Message(&'a syn::ItemStruct),
    Enum(&'a syn::ItemEnum),
}

/// The `.proto` of every package of the traits, plus the vocabulary they import (so the tree
/// compiles with any protobuf toolchain as it is), and their compiled descriptors.
pub(crate) fn emit_all(
    packages: &[Package],
    parsed: &[ParsedFile],
) -> Result<(Vec<(String, String)>, crate::proto::Compiled), Error> {
    let mut problems = Problems::default();
    let mut names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    names.dedup();
    let mut emitted: Vec<(String, String)> = names.iter().map(|name| emit(name, parsed, &mut problems)).collect();
    problems.finish(())?;
    let in_memory: Vec<(&str, &str)> = emitted.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let descriptors = crate::proto::compile_in_memory(&in_memory).map_err(|error| {
        Problem::new(format!("the emitted .proto does not compile: {error}")).with_help(
            "kuberpc checks the Rust types for what protobuf forbids; a rule it missed is a kuberpc bug, please report it",
        )
    })?;
    let imports_vocabulary = descriptors.file_descriptor_set.file.iter().any(|f| f.name() == OPTIONS_PROTO_NAME);
    if imports_vocabulary {
        emitted.push((OPTIONS_PROTO_NAME.to_string(), crate::options::vocabulary_file()));
    }
    Ok((emitted, descriptors))
}

/// The emitted file of `package`: its path under the proto directory
/// (`counter/v1/counter.proto`) and its text.
pub(crate) fn emit(package: &str, files: &[ParsedFile], problems: &mut Problems) -> (String, String) {
    let services: Vec<(&RustService, &ParsedFile)> = files
        .iter()
        .flat_map(|file| file.services.iter().map(move |s| (&s.rust, file)))
        .filter(|(rust, _)| rust.package == package)
        .collect();
    let mut definitions: BTreeMap<String, (Definition<'_>, &SourceFile)> = BTreeMap::new();
    for file in files {
        collect_definitions(&file.syntax.items, &file.source, &mut definitions);
    }
    let sources: BTreeSet<&str> = services.iter().map(|(_, f)| f.source.name()).collect();
    let sources: Vec<&str> = sources.into_iter().collect();

    let owner = if package.is_empty() { "no package" } else { package };
    let mut text = format!("{}\nsyntax = \"proto3\";\n\n", crate::header::line("//", &sources.join(", "), owner));
    if !package.is_empty() {
        writeln!(text, "package {package};\n").ok();
    }
    writeln!(text, "import \"{OPTIONS_PROTO_NAME}\";").ok();

    let mut emitter = Emitter { definitions: &definitions, problems, emitted: BTreeSet::new(), queue: Vec::new() };
    let mut body = String::new();
    for (rust, file) in &services {
        emitter.service(rust, &mut body);
        for method in &rust.methods {
            for ty in [&method.request, &method.reply] {
                emitter.reach(&message_name(ty), ty.span(), &file.source);
            }
        }
    }
    while let Some(name) = emitter.queue.pop() {
        emitter.definition(&name, &mut body);
    }
    text.push_str(&body);
    let stem = package.split('.').rfind(|p| !is_version(p)).unwrap_or("service");
    let mut path: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
    let file_name = format!("{stem}.proto");
    path.push(&file_name);
    (path.join("/"), text)
}

/// `v1`, `v2beta1`: the version segment of a package.
fn is_version(part: &str) -> bool {
    part.strip_prefix('v').is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

fn collect_definitions<'a>(
    items: &'a [syn::Item],
    source: &'a SourceFile,
    out: &mut BTreeMap<String, (Definition<'a>, &'a SourceFile)>,
) {
    for item in items {
        match item {
            syn::Item::Struct(s) if derives(&s.attrs, "Message") => {
                out.insert(s.ident.unraw().to_string(), (Definition::Message(s), source));
            }
            syn::Item::Enum(e) if derives(&e.attrs, "Enumeration") => {
                out.insert(e.ident.unraw().to_string(), (Definition::Enum(e), source));
            }
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    collect_definitions(items, source, out);
                }
            }
            _ => {}
        }
    }
}

/// Whether `attrs` hold `#[derive(..., name, ...)]` (any path ending in `name`).
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        let mut found = false;
        let _ = a.parse_nested_meta(|meta| {
            found |= meta.path.segments.last().is_some_and(|s| s.ident == name);
            Ok(())
        });
        found
    })
}

struct Emitter<'a, 'p> {
    definitions: &'a BTreeMap<String, (Definition<'a>, &'a SourceFile)>,
    problems: &'p mut Problems,
    emitted: BTreeSet<String>,
    queue: Vec<String>,
}

impl Emitter<'_, '_> {
    /// Schedules the definition of `name`, used at `at`.
    fn reach(&mut self, name: &str, at: proc_macro2::Span, source: &SourceFile) {
        if self.emitted.contains(name) {
            return;
        }
        if !self.definitions.contains_key(name) {
            self.problems.push(
                Problem::at(
                    format!("`{name}` is not a `#[derive(prost::Message)]` struct or `prost::Enumeration` enum of the given files, so the emitted .proto cannot define it"),
                    Some(file_span(source, at)),
                )
                .with_help("define it in a file passed to compile_rust"),
            );
            self.emitted.insert(name.to_string());
            return;
        }
        self.emitted.insert(name.to_string());
        self.queue.insert(0, name.to_string());
    }

    fn service(&mut self, rust: &RustService, out: &mut String) {
        out.push('\n');
        comments(&rust.item.attrs, "", out);
        writeln!(out, "service {} {{", rust.item.ident.unraw()).ok();
        let options = option_text(fields::SERVICE_DEPLOYMENT, &rust.options);
        if !options.is_empty() {
            let lines: String = options.iter().map(|entry| format!("    {entry}\n")).collect();
            writeln!(out, "  option (kuberpc.v1.service) = {{\n{lines}  }};\n").ok();
        }
        for method in &rust.methods {
            let function = rust.item.items.iter().find_map(|i| match i {
                syn::TraitItem::Fn(f) if f.sig.ident == method.ident => Some(f),
                _ => None,
            });
            if let Some(function) = function {
                comments(&function.attrs, "  ", out);
            }
            let stream = |yes: bool| if yes { "stream " } else { "" };
            write!(
                out,
                "  rpc {}({}{}) returns ({}{})",
                method.rpc_name,
                stream(method.client_streaming),
                message_name(&method.request),
                stream(method.server_streaming),
                message_name(&method.reply)
            )
            .ok();
            let options = option_text(fields::METHOD_BEHAVIOUR, &method.options);
            if options.is_empty() {
                out.push_str(";\n");
            } else {
                writeln!(out, " {{\n    option (kuberpc.v1.method) = {{ {} }};\n  }}", options.join(" ")).ok();
            }
        }
        out.push_str("}\n");
    }

    fn definition(&mut self, name: &str, out: &mut String) {
        let definitions = self.definitions;
        let Some((definition, source)) = definitions.get(name) else { return };
        out.push('\n');
        match definition {
            Definition::Enum(item) => self.enum_definition(item, name, source, out),
            Definition::Message(item) => self.message_definition(item, name, source, out),
        }
    }

    fn enum_definition(&mut self, item: &syn::ItemEnum, name: &str, source: &SourceFile, out: &mut String) {
        comments(&item.attrs, "", out);
        writeln!(out, "enum {name} {{").ok();
        let prefix = name.to_shouty_snake_case();
        let mut numbers = BTreeSet::new();
        for (index, variant) in item.variants.iter().enumerate() {
            comments(&variant.attrs, "  ", out);
            match enum_number(variant, index, name, &mut numbers) {
                Ok(number) => {
                    let value = variant.ident.unraw().to_string().to_shouty_snake_case();
                    writeln!(out, "  {prefix}_{value} = {number};").ok();
                }
                Err(problem) => {
                    self.problems.push(Problem::at(problem, Some(file_span(source, variant.ident.span()))));
                }
            }
        }
        out.push_str("}\n");
    }

    fn message_definition(&mut self, item: &syn::ItemStruct, name: &str, source: &SourceFile, out: &mut String) {
        comments(&item.attrs, "", out);
        writeln!(out, "message {name} {{").ok();
        let mut tags = BTreeMap::new();
        for field in &item.fields {
            let Some((line, tag, tag_span)) = self.field(field, source) else { continue };
            if let Some(first) = tags.insert(tag, field.ident.clone()) {
                self.problems.push(Problem::at(
                    format!(
                        "tag {tag} of `{name}` is used twice (by `{}` and `{}`)",
                        first.map(|i| i.to_string()).unwrap_or_default(),
                        field.ident.as_ref().map(|i| i.to_string()).unwrap_or_default()
                    ),
                    Some(file_span(source, tag_span)),
                ));
            }
            comments(&field.attrs, "  ", out);
            writeln!(out, "  {line}").ok();
        }
        out.push_str("}\n");
    }

    /// One field's declaration, from `#[prost(...)]`, and its number.
    fn field(&mut self, field: &syn::Field, source: &SourceFile) -> Option<(String, u32, proc_macro2::Span)> {
        let name = field.ident.as_ref()?.unraw().to_string();
        let Some(attribute) = field.attrs.iter().find(|a| a.path().is_ident("prost")) else {
            self.problems.push(Problem::at(
                format!("field `{name}` has no `#[prost(...)]` attribute"),
                Some(file_span(source, field.span())),
            ));
            return None;
        };
        let prost = match ProstField::parse(attribute) {
            Ok(prost) => prost,
            Err(error) => {
                self.problems.push(Problem::at(error.to_string(), Some(file_span(source, error.span()))));
                return None;
            }
        };
        let at = attribute.span();
        let ty = match prost.kind.as_str() {
            "message" => {
                let inner = message_in(&field.ty)?;
                self.reach(&inner, field.ty.span(), source);
                inner
            }
            "enumeration" => {
                let enum_name = prost.enumeration.rsplit("::").next().unwrap_or_default().to_string();
                self.reach(&enum_name, at, source);
                enum_name
            }
            "map" => return self.map_field(field, &prost, &name, source),
            "oneof" => {
                self.problems.push(Problem::at(
                    format!("field `{name}`: oneof fields cannot be emitted to the .proto yet"),
                    Some(file_span(source, at)),
                ));
                return None;
            }
            scalar => scalar.to_string(),
        };
        let label = match (prost.repeated, prost.optional && prost.kind != "message") {
            (true, _) => "repeated ",
            (false, true) => "optional ",
            _ => "",
        };
        Some((format!("{label}{ty} {name} = {};", prost.tag), prost.tag, prost.tag_span?))
    }

    /// A `map<K, V>` field's declaration, and its number.
    fn map_field(
        &mut self,
        field: &syn::Field,
        prost: &ProstField,
        name: &str,
        source: &SourceFile,
    ) -> Option<(String, u32, proc_macro2::Span)> {
        let at = field.attrs.iter().find(|a| a.path().is_ident("prost"))?.span();
        let (key, value) = prost.map.split_once(',').map(|(k, v)| (k.trim(), v.trim()))?;
        let value_is_known = SCALARS.contains(&value) || value == "message" || value.starts_with("enumeration(");
        if !MAP_KEYS.contains(&key) || !value_is_known {
            self.problems.push(Problem::at(
                format!("field `{name}`: `map = \"{}\"` is not a protobuf map type", prost.map),
                Some(file_span(source, at)),
            ));
            return None;
        }
        let value = if value == "message" {
            let inner = map_value_in(&field.ty)?;
            self.reach(&inner, field.ty.span(), source);
            inner
        } else if let Some(e) = value.strip_prefix("enumeration(").and_then(|v| v.strip_suffix(')')) {
            let e = e.rsplit("::").next().unwrap_or_default().to_string();
            self.reach(&e, at, source);
            e
        } else {
            value.to_string()
        };
        Some((format!("map<{key}, {value}> {name} = {};", prost.tag), prost.tag, prost.tag_span?))
    }
}

/// The number of enum value `index` of enum `name`, or what is wrong with it (missing, not an
/// int32, a first value other than 0, a repeat of one of `numbers`).
fn enum_number(
    variant: &syn::Variant,
    index: usize,
    name: &str,
    numbers: &mut BTreeSet<String>,
) -> Result<String, String> {
    let number = match &variant.discriminant {
        Some((_, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(n), .. }))) => n.to_string(),
        Some((_, syn::Expr::Unary(u))) if matches!(u.op, syn::UnOp::Neg(_)) => {
            quote::ToTokens::to_token_stream(u).to_string().replace(' ', "")
        }
        _ => return Err(format!("enum value `{}` needs an explicit number (`= 0`)", variant.ident)),
    };
    let repeated = !numbers.insert(number.clone());
    if number.parse::<i32>().is_err() {
        Err(format!("enum value `{}` = {number} does not fit an int32", variant.ident))
    } else if index == 0 && number != "0" {
        Err(format!("the first value of enum `{name}` must be `= 0` in proto3"))
    } else if repeated {
        Err(format!("enum value `{}` repeats the number {number}", variant.ident))
    } else {
        Ok(number)
    }
}

/// What `#[prost(...)]` says about a field.
#[derive(Default)]
struct ProstField {
    kind: String,
    tag: u32,
    tag_span: Option<proc_macro2::Span>,
    repeated: bool,
    optional: bool,
    enumeration: String,
    map: String,
}

const SCALARS: [&str; 15] = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32",
    "sfixed64", "bool", "string", "bytes",
];

/// Key types a protobuf map accepts.
const MAP_KEYS: [&str; 12] = [
    "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool",
    "string",
];

impl ProstField {
    fn parse(attribute: &syn::Attribute) -> syn::Result<Self> {
        let mut field = ProstField::default();
        attribute.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            let value = || -> syn::Result<String> { Ok(meta.value()?.parse::<syn::LitStr>()?.value()) };
            match key.as_str() {
                "tag" => {
                    let literal: syn::LitStr = meta.value()?.parse()?;
                    field.tag_span = Some(literal.span());
                    field.tag =
                        literal.value().trim().parse().ok().filter(|tag| is_field_number(*tag)).ok_or_else(|| {
                            syn::Error::new(
                                literal.span(),
                                format!(
                                    "tag {:?} is not a protobuf field number (1 to 536870911, except 19000 to 19999)",
                                    literal.value()
                                ),
                            )
                        })?;
                }
                "repeated" => field.repeated = true,
                "optional" => field.optional = true,
                "packed" | "default" | "required" | "json_name" => {
                    if meta.input.peek(syn::Token![=]) {
                        value()?;
                    }
                }
                "enumeration" => {
                    field.kind = key;
                    field.enumeration = value()?;
                }
                "map" | "hash_map" | "btree_map" => {
                    field.kind = "map".to_string();
                    field.map = value()?;
                }
                "oneof" => {
                    field.kind = key;
                    value()?;
                }
                "tags" => {
                    value()?;
                }
                "bytes" => {
                    field.kind = key;
                    if meta.input.peek(syn::Token![=]) {
                        value()?;
                    }
                }
                "message" => field.kind = key,
                scalar if SCALARS.contains(&scalar) => field.kind = key,
                _ => {
                    return Err(meta.error(format!("`{key}` in #[prost(...)] is not known to kuberpc's .proto emitter")))
                }
            }
            Ok(())
        })?;
        if field.kind.is_empty() {
            return Err(syn::Error::new(attribute.span(), "#[prost(...)] names no field type"));
        }
        if field.tag == 0 && field.kind != "oneof" {
            return Err(syn::Error::new(attribute.span(), "#[prost(...)] has no `tag`"));
        }
        Ok(field)
    }
}

/// Field numbers protobuf accepts (19000–19999 are reserved for the implementation).
fn is_field_number(tag: u32) -> bool {
    (1..=536_870_911).contains(&tag) && !(19_000..=19_999).contains(&tag)
}

/// `T` of `Option<T>`, `Vec<T>`, `Box<T>` or `T`: the message a field holds.
fn message_in(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
        if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
            if ["Option", "Vec", "Box"].iter().any(|w| last.ident == w) {
                return message_in(inner);
            }
        }
    }
    Some(last.ident.unraw().to_string())
}

/// The value message of `HashMap<K, V>` / `BTreeMap<K, V>`.
fn map_value_in(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else { return None };
    let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else { return None };
    match args.args.iter().nth(1)? {
        syn::GenericArgument::Type(value) => message_in(value),
        _ => None,
    }
}

/// `///` docs as `//` comments.
fn comments(attrs: &[syn::Attribute], indent: &str, out: &mut String) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(syn::MetaNameValue {
            value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(doc), .. }),
            ..
        }) = &attr.meta
        {
            for line in doc.value().lines() {
                writeln!(out, "{indent}//{}", line.trim_end()).ok();
            }
        }
    }
}

/// The protobuf name of a message type: the last segment of its Rust path.
fn message_name(path: &syn::TypePath) -> String {
    path.path.segments.last().map(|s| s.ident.unraw().to_string()).unwrap_or_default()
}
