//! The attribute syntax of the vocabulary, for the trait front end (the proc-macro and
//! `compile_rust`): `#[rpc_service(...)]` and `#[rpc(...)]` arguments on `proc_macro2` tokens →
//! the same [`ServiceOptions`] / [`MethodOptions`] the proto front end reads, so both syntaxes
//! mean the same thing through one [`crate::options::resolve_deploy`]. Which options exist,
//! their kinds and nesting come from options.proto's descriptor ([`crate::schema`]):
//! nothing here names an option, except `package`, which only the attribute has.
//!
//! Every mistake is collected into one `syn::Error` (each spanned on its token): unknown
//! options (with "did you mean"), values of the wrong type, duplicates. The `spans` map gives
//! the place of every option by dotted path, as [`crate::error::Spans`] does for files.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{LitStr, Token};

use crate::options::{MethodOptions, ServiceOptions};
use crate::schema::{fields, Encoder, Field, Kind};

/// `package = "counter.v1"`: the protobuf package of the trait path, on `#[rpc_service]` only.
const PACKAGE: Field = Field { name: "package", number: 0, kind: Kind::Str };

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(u64),
    Float(f64),
    Bool(bool),
    Group,
    List(Vec<String>),
    Map(BTreeMap<String, String>),
}

/// Every option written, by dotted path, with its value and place.
#[derive(Debug, Default)]
struct Written {
    values: BTreeMap<String, (Value, Span)>,
    errors: Errors,
}

impl Written {
    fn str(&self, path: &str) -> Option<String> {
        match self.values.get(path) {
            Some((Value::Str(s), _)) => Some(s.clone()),
            _ => None,
        }
    }

    fn spans(&self) -> BTreeMap<String, Span> {
        self.values.iter().map(|(path, (_, span))| (path.clone(), *span)).collect()
    }

    /// The written values of the message `fields` describes (at `prefix`), encoded by field
    /// number; an integer too large for its field is a mistake at its place.
    fn encode(&mut self, fields: &'static [Field], prefix: &str) -> Encoder {
        let mut encoder = Encoder::default();
        for field in fields {
            if let Kind::GroupList(inner) = field.kind {
                self.encode_elements(&mut encoder, field, inner, prefix);
                continue;
            }
            let path = if prefix.is_empty() { field.name.to_string() } else { format!("{prefix}.{}", field.name) };
            let Some((value, span)) = self.values.get(&path).cloned() else { continue };
            match (value, field.kind) {
                (Value::Str(s), _) => encoder.string(field, &s),
                (Value::Bool(b), _) => encoder.varint(field, u64::from(b)),
                (Value::Int(n), Kind::U32) if n > u64::from(u32::MAX) => {
                    self.errors.push(syn::Error::new(span, format!("`{path}` must be at most {}", u32::MAX)));
                }
                (Value::Int(n), _) => encoder.varint(field, n),
                (Value::Float(x), _) => encoder.double(field, x),
                (Value::List(items), _) => items.iter().for_each(|item| encoder.string(field, item)),
                (Value::Map(map), _) => map.iter().for_each(|(k, v)| encoder.map_entry(field, k, v)),
                (Value::Group, Kind::Group(inner)) => {
                    let inner = self.encode(inner, &path);
                    encoder.message(field, inner);
                }
                (Value::Group, _) => {}
            }
        }
        encoder
    }

    /// Every written element of the repeated group `field` at `prefix`, in order.
    fn encode_elements(&mut self, encoder: &mut Encoder, field: &Field, inner: &'static [Field], prefix: &str) {
        let path = if prefix.is_empty() { field.name.to_string() } else { format!("{prefix}.{}", field.name) };
        let elements: Vec<String> =
            (0..).map(|i| format!("{path}[{i}]")).take_while(|p| self.values.contains_key(p)).collect();
        for element in elements {
            let encoded = self.encode(inner, &element);
            encoder.message(field, encoded);
        }
    }
}

/// `#[rpc_service(...)]` arguments, parsed.
#[derive(Debug)]
pub struct ServiceAttribute {
    /// `package = "counter.v1"`, the protobuf package of the generated service.
    pub package: Option<String>,
    /// The deployment options.
    pub options: ServiceOptions,
    /// Where each option was written, by dotted path (`autoscale.min`).
    pub spans: BTreeMap<String, Span>,
}

/// `#[rpc(...)]` arguments, parsed.
#[derive(Debug)]
pub struct MethodAttribute {
    /// The method options.
    pub options: MethodOptions,
    /// Where each option was written.
    pub spans: BTreeMap<String, Span>,
}

/// Parses the arguments of `#[rpc_service(...)]`; all mistakes at once.
pub fn parse_service_attribute(tokens: TokenStream) -> syn::Result<ServiceAttribute> {
    let (attribute, mistakes) = parse_service_attribute_leniently(tokens);
    mistakes?;
    attribute.ok_or_else(|| syn::Error::new(Span::call_site(), "no attribute arguments"))
}

/// [`parse_service_attribute`] that also returns what was readable despite mistakes (a
/// wrongly typed option is left out), so the options that are fine can still be checked in
/// the same run. `None` only when the tokens are not attribute arguments at all.
pub(crate) fn parse_service_attribute_leniently(tokens: TokenStream) -> (Option<ServiceAttribute>, syn::Result<()>) {
    let mut written = match parse(tokens, &service_fields()) {
        Ok(written) => written,
        Err(error) => return (None, Err(error)),
    };
    let options: ServiceOptions = written.encode(fields::SERVICE_DEPLOYMENT, "").decode();
    let mistakes = finish(&mut written);
    (Some(ServiceAttribute { package: written.str("package"), options, spans: written.spans() }), mistakes)
}

/// Parses the arguments of `#[rpc(...)]`; all mistakes at once.
pub fn parse_method_attribute(tokens: TokenStream) -> syn::Result<MethodAttribute> {
    let known: Vec<&'static Field> = fields::METHOD_BEHAVIOUR.iter().collect();
    let mut written = parse(tokens, &known)?;
    let options: MethodOptions = written.encode(fields::METHOD_BEHAVIOUR, "").decode();
    finish(&mut written)?;
    Ok(MethodAttribute { options, spans: written.spans() })
}

/// What `#[rpc_service(...)]` takes: `package`, then the fields of `(kuberpc.v1.service)`.
fn service_fields() -> Vec<&'static Field> {
    std::iter::once(&PACKAGE).chain(fields::SERVICE_DEPLOYMENT).collect()
}

fn finish(written: &mut Written) -> syn::Result<()> {
    std::mem::take(&mut written.errors).finish()
}

/// Collects `syn::Error`s so that every mistake is reported at once.
#[derive(Debug, Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Walks `tokens` against `known`, recording values and errors; `Err` only when the tokens
/// are not attribute arguments at all.
fn parse(tokens: TokenStream, known: &[&'static Field]) -> syn::Result<Written> {
    let mut written = Written::default();
    let parser = syn::meta::parser(|meta| {
        walk(&meta, "", known, &mut written);
        Ok(())
    });
    syn::parse::Parser::parse2(parser, tokens)?;
    Ok(written)
}

fn walk(meta: &ParseNestedMeta<'_>, prefix: &str, known: &[&'static Field], written: &mut Written) {
    let Some(ident) = meta.path.get_ident() else {
        written.errors.push(meta.error("expected an option name"));
        return;
    };
    let name = ident.to_string();
    let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
    let Some(kind) = known.iter().find(|field| field.name == name).map(|field| field.kind) else {
        let names: Vec<&str> = known.iter().map(|field| field.name).collect();
        written.errors.push(syn::Error::new(ident.span(), crate::suggest::unknown_option(&path, &names)));
        skip_value(meta);
        return;
    };
    // Each element of a repeated group is its own path: `environments[1].name`.
    let path = match kind {
        Kind::GroupList(_) => {
            (0..).map(|i| format!("{path}[{i}]")).find(|p| !written.values.contains_key(p)).unwrap_or(path)
        }
        _ => path,
    };
    if written.values.contains_key(&path) {
        written.errors.push(syn::Error::new(ident.span(), format!("duplicate option `{path}`")));
        skip_value(meta);
        return;
    }
    match read_value(meta, &path, kind, written) {
        Ok(Some(value)) => {
            written.values.insert(path, (value, ident.span()));
        }
        Ok(None) => {}
        Err(error) => {
            written.errors.push(error);
            skip_value(meta);
        }
    }
}

/// `name(KEY = "value", "a.b/c" = "value", …)`: a key is a Rust identifier or, for keys no
/// identifier can spell (`kubernetes.io/os`), a string literal.
fn read_map(meta: &ParseNestedMeta<'_>, path: &str) -> syn::Result<BTreeMap<String, String>> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("`{path}` takes entries in parentheses: `{path}(KEY = \"value\")`")));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let entries = map_entries(&content, path);
    if entries.is_err() {
        // Leave nothing behind: syn would report leftovers instead of the mistake.
        content.step(|cursor| {
            let mut rest = *cursor;
            while let Some((_, next)) = rest.token_tree() {
                rest = next;
            }
            Ok(((), rest))
        })?;
    }
    entries
}

fn map_entries(content: syn::parse::ParseStream<'_>, path: &str) -> syn::Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    while !content.is_empty() {
        let key = if content.peek(LitStr) {
            content.parse::<LitStr>()?.value()
        } else if content.peek(syn::Ident::peek_any) {
            syn::Ident::parse_any(content)?.unraw().to_string()
        } else {
            let message = format!("a `{path}` key is a name or a string: `KEY = \"value\"`, `\"a.b/c\" = \"value\"`");
            return Err(content.error(message));
        };
        content.parse::<Token![=]>()?;
        map.insert(key, content.parse::<LitStr>()?.value());
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(map)
}

/// Reads the value of an option of `kind`; `Ok(None)` when errors were already recorded.
fn read_value(meta: &ParseNestedMeta<'_>, path: &str, kind: Kind, written: &mut Written) -> syn::Result<Option<Value>> {
    match kind {
        Kind::Group(fields) | Kind::GroupList(fields) => {
            if !meta.input.peek(syn::token::Paren) {
                return Err(meta.error(format!("`{path}` takes options in parentheses: `{path}(...)`")));
            }
            // `mtls()`: a group written with no options is there all the same (syn's nested
            // parser wants at least one).
            let ahead = meta.input.fork();
            let content;
            syn::parenthesized!(content in ahead);
            if content.is_empty() {
                meta.input.parse::<proc_macro2::TokenTree>()?;
                return Ok(Some(Value::Group));
            }
            let fields: Vec<&'static Field> = fields.iter().collect();
            meta.parse_nested_meta(|inner| {
                walk(&inner, path, &fields, written);
                Ok(())
            })?;
            Ok(Some(Value::Group))
        }
        Kind::Map => read_map(meta, path).map(|map| Some(Value::Map(map))),
        Kind::StrList => {
            if !meta.input.peek(syn::token::Paren) {
                return Err(meta.error(format!("`{path}` takes its values in parentheses: `{path}(\"a\", \"b\")`")));
            }
            let content;
            syn::parenthesized!(content in meta.input);
            let hosts = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            Ok(Some(Value::List(hosts.iter().map(LitStr::value).collect())))
        }
        Kind::Bool if !meta.input.peek(Token![=]) => Ok(Some(Value::Bool(true))),
        Kind::Str | Kind::U32 | Kind::U64 | Kind::Bool | Kind::F64 => {
            let literal: syn::Lit = meta.value()?.parse()?;
            let value = match (kind, &literal) {
                (Kind::Str, syn::Lit::Str(s)) => Value::Str(s.value()),
                (Kind::U32 | Kind::U64, syn::Lit::Int(n)) => Value::Int(n.base10_parse()?),
                (Kind::Bool, syn::Lit::Bool(b)) => Value::Bool(b.value),
                (Kind::F64, syn::Lit::Float(x)) => Value::Float(x.base10_parse()?),
                (Kind::F64, syn::Lit::Int(n)) => Value::Float(n.base10_parse()?),
                _ => {
                    let expected = match kind {
                        Kind::Str => "a string",
                        Kind::U32 | Kind::U64 => "an integer",
                        Kind::F64 => "a number",
                        _ => "`true` or `false`",
                    };
                    let found = match literal {
                        syn::Lit::Str(_) => "a string",
                        syn::Lit::Int(_) => "an integer",
                        syn::Lit::Float(_) => "a number",
                        syn::Lit::Bool(_) => "a boolean",
                        _ => "another literal",
                    };
                    return Err(syn::Error::new(literal.span(), crate::options::type_mistake(path, expected, found)));
                }
            };
            Ok(Some(value))
        }
    }
}

/// Consumes whatever follows an option that is being rejected, so parsing goes on.
fn skip_value(meta: &ParseNestedMeta<'_>) {
    if meta.input.peek(Token![=]) {
        let _ = meta.value().and_then(|v| v.parse::<syn::Expr>());
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.input.step(|cursor| match cursor.token_tree() {
            Some((_, rest)) => Ok(((), rest)),
            None => Err(cursor.error("expected a group")),
        });
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::schema::option_text;

    fn messages(error: syn::Error) -> Vec<String> {
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn the_design_example_parses_into_the_same_options_as_the_proto() {
        let parsed = parse_service_attribute(quote! {
            package = "greeter.v1", image = "ghcr.io/acme/greeter:1.4.2", port = 50051, replicas = 2,
            resources(cpu = "250m", memory = "256Mi"),
            autoscale(min = 2, max = 10, cpu_percent = 70),
            env(GREETING = "Hello"),
            gateway(parent = "infra/public", hostnames("a.example.com", "b.example.com")),
        })
        .unwrap();
        assert_eq!(parsed.package.as_deref(), Some("greeter.v1"));
        let options = parsed.options;
        assert_eq!((options.port, options.replicas), (Some(50051), Some(2)));
        assert_eq!(options.resources.unwrap().cpu.as_deref(), Some("250m"));
        let autoscale = options.autoscale.unwrap();
        assert_eq!((autoscale.min, autoscale.max, autoscale.cpu_percent), (Some(2), Some(10), Some(70)));
        assert_eq!(options.env["GREETING"], "Hello");
        assert_eq!(options.gateway.unwrap().hostnames, ["a.example.com", "b.example.com"]);
        assert!(parsed.spans.contains_key("autoscale.max"));
    }

    #[test]
    fn map_keys_are_identifiers_or_strings() {
        let parsed = parse_service_attribute(quote! {
            env(r#type = "a", PLAIN = "b", "dotted.name" = "c",),
        })
        .unwrap();
        let keys: Vec<&str> = parsed.options.env.keys().map(String::as_str).collect();
        assert_eq!(keys, ["PLAIN", "dotted.name", "type"]);
        let message = messages(parse_service_attribute(quote!(env(1 = "a"))).unwrap_err()).join(" / ");
        assert!(message.contains("a `env` key is a name or a string"), "{message}");
        let error = parse_service_attribute(quote!(env = "a")).unwrap_err();
        assert!(messages(error)[0].contains("`env(KEY = \"value\")`"));
    }

    #[test]
    fn repeated_groups_are_written_once_per_element_and_located_each() {
        let parsed = parse_service_attribute(quote! {
            environments(name = "staging", autoscale(max = 4)),
            environments(name = "prod", resources(cpu = "1")),
        })
        .unwrap();
        let names: Vec<_> = parsed.options.environments.iter().map(|e| e.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["staging", "prod"]);
        assert_eq!(parsed.options.environments[1].resources.as_ref().unwrap().cpu.as_deref(), Some("1"));
        for path in ["environments[0]", "environments[0].autoscale.max", "environments[1].resources.cpu"] {
            assert!(parsed.spans.contains_key(path), "{path} not located: {:?}", parsed.spans.keys());
        }
        let message = messages(parse_service_attribute(quote!(environments(nme = "x"))).unwrap_err()).remove(0);
        assert!(message.contains("`environments[0].nme` is not a kuberpc option; did you mean `name`?"), "{message}");
    }

    /// Every option path of the attribute syntax, from a table.
    fn table_paths(table: &[Field], prefix: &str, out: &mut Vec<String>) {
        for Field { name, kind, .. } in table {
            let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
            if let Kind::Group(fields) | Kind::GroupList(fields) = kind {
                table_paths(fields, &path, out);
            }
            out.push(path);
        }
    }

    /// Every field path of a vocabulary message, from options.proto itself.
    fn proto_paths(message: &prost_reflect::MessageDescriptor, prefix: &str, out: &mut Vec<String>) {
        for field in message.fields() {
            let path = if prefix.is_empty() { field.name().to_string() } else { format!("{prefix}.{}", field.name()) };
            if let (Some(child), false) = (field.kind().as_message(), field.is_map()) {
                proto_paths(child, &path, out);
            }
            out.push(path);
        }
    }

    /// The two syntaxes have the same vocabulary: an option added to options.proto but not
    /// here (or the other way round) fails this test.
    #[test]
    fn the_attribute_vocabulary_is_the_proto_vocabulary() {
        let compiled = crate::proto::compile_in_memory(&[(
            "probe.proto",
            "syntax = \"proto3\";\nimport \"kuberpc/v1/options.proto\";\n",
        )])
        .unwrap();
        let pool = prost_reflect::DescriptorPool::from_file_descriptor_set(compiled.file_descriptor_set).unwrap();
        for (message, table, extra) in [
            ("kuberpc.v1.ServiceDeployment", fields::SERVICE_DEPLOYMENT, vec!["package"]),
            ("kuberpc.v1.MethodBehaviour", fields::METHOD_BEHAVIOUR, vec![]),
        ] {
            let mut from_proto = Vec::new();
            proto_paths(&pool.get_message_by_name(message).unwrap(), "", &mut from_proto);
            from_proto.extend(extra.into_iter().map(String::from));
            let mut from_table = Vec::new();
            table_paths(table, "", &mut from_table);
            if message.ends_with("ServiceDeployment") {
                from_table.push("package".into());
            }
            from_proto.sort();
            from_table.sort();
            assert_eq!(from_table, from_proto, "{message}");
        }
    }

    /// An attribute argument setting every field of `table` to a sample of its kind.
    fn every_field(table: &[Field]) -> TokenStream {
        let arguments = table.iter().map(|field| {
            let name = quote::format_ident!("{}", field.name);
            match field.kind {
                Kind::Str => quote!(#name = "x"),
                Kind::U32 | Kind::U64 => quote!(#name = 7),
                Kind::Bool => quote!(#name = true),
                Kind::F64 => quote!(#name = 0.5),
                Kind::StrList => quote!(#name("a", "b")),
                Kind::Map => quote!(#name(K = "v")),
                Kind::Group(inner) => {
                    let inner = every_field(inner);
                    quote!(#name(#inner))
                }
                Kind::GroupList(inner) => {
                    let inner = every_field(inner);
                    quote!(#name(#inner), #name(#inner))
                }
            }
        });
        quote!(#(#arguments),*)
    }

    /// Every field of the vocabulary, written in the attribute syntax, arrives in the typed
    /// options and comes back out in the emitted option text: a field options.proto gains is
    /// read and written by the trait path with no code naming it.
    #[test]
    fn every_vocabulary_field_survives_attribute_to_typed_to_text() {
        let service = parse_service_attribute(every_field(fields::SERVICE_DEPLOYMENT)).unwrap().options;
        let method = parse_method_attribute(every_field(fields::METHOD_BEHAVIOUR)).unwrap().options;
        for (debug, text, table) in [
            (
                format!("{service:?}"),
                option_text(fields::SERVICE_DEPLOYMENT, &service).join(" "),
                fields::SERVICE_DEPLOYMENT,
            ),
            (format!("{method:?}"), option_text(fields::METHOD_BEHAVIOUR, &method).join(" "), fields::METHOD_BEHAVIOUR),
        ] {
            assert!(!debug.contains("None"), "a field did not reach the typed options: {debug}");
            let mut paths = Vec::new();
            table_paths(table, "", &mut paths);
            for name in paths.iter().map(|p| p.rsplit('.').next().unwrap()) {
                assert!(
                    text.contains(&format!("{name}: ")) || text.contains(&format!("{name} {{")),
                    "{name} missing: {text}"
                );
            }
        }
        // The method's scalar options: each written once, in table order, with its sample (its
        // groups' fields were found above).
        let scalar = |field: &Field| match field.kind {
            Kind::Bool => Some(format!("{}: true", field.name)),
            Kind::Group(_) | Kind::GroupList(_) => None,
            _ => Some(format!("{}: 7", field.name)),
        };
        let written = option_text(fields::METHOD_BEHAVIOUR, &method);
        assert_eq!(
            written.into_iter().filter(|text| !text.contains('{')).collect::<Vec<_>>(),
            fields::METHOD_BEHAVIOUR.iter().filter_map(scalar).collect::<Vec<_>>()
        );
    }

    #[test]
    fn method_options_take_a_flag_or_a_value() {
        let parsed = parse_method_attribute(quote!(timeout_ms = 200, idempotent)).unwrap();
        assert_eq!(
            parsed.options,
            MethodOptions { timeout_ms: Some(200), idempotent: Some(true), ..MethodOptions::default() }
        );
        let parsed = parse_method_attribute(quote!(idempotent = false)).unwrap();
        assert_eq!(parsed.options.idempotent, Some(false));
    }

    /// `mtls()` turns mutual TLS on as `mtls { }` does: an empty group is there.
    #[test]
    fn a_group_written_with_no_options_is_present() {
        let parsed = parse_service_attribute(quote!(mtls(), calls(service = "vault"))).unwrap();
        assert_eq!(parsed.options.mtls, Some(Default::default()));
        assert_eq!(parsed.options.calls.len(), 1);
        let parsed = parse_service_attribute(quote!(mtls(issuer()))).unwrap();
        assert_eq!(parsed.options.mtls.and_then(|m| m.issuer), Some(Default::default()));
        let errors = messages(parse_service_attribute(quote!(mtls)).unwrap_err());
        assert_eq!(errors, ["`mtls` takes options in parentheses: `mtls(...)`"]);
    }

    #[test]
    fn an_unknown_option_gets_a_suggestion() {
        let errors = messages(parse_service_attribute(quote!(prot = 8080)).unwrap_err());
        assert_eq!(errors, ["`prot` is not a kuberpc option; did you mean `port`?"]);
        let errors = messages(parse_service_attribute(quote!(autoscale(mni = 1, max = 2))).unwrap_err());
        assert_eq!(errors, ["`autoscale.mni` is not a kuberpc option; did you mean `min`?"]);
    }

    #[test]
    fn wrong_types_duplicates_and_ranges_are_all_reported_together() {
        let errors = messages(
            parse_service_attribute(quote!(
                port = "80",
                image = "a",
                image = "b",
                replicas = 5000000000,
                autoscale = 3
            ))
            .unwrap_err(),
        );
        assert_eq!(
            errors,
            [
                "`port` expects an integer, found a string",
                "duplicate option `image`",
                "`autoscale` takes options in parentheses: `autoscale(...)`",
                "`replicas` must be at most 4294967295",
            ]
        );
    }

    #[test]
    fn method_option_mistakes() {
        let errors = messages(parse_method_attribute(quote!(timeout = 5, idempotent = "yes")).unwrap_err());
        assert_eq!(
            errors,
            [
                "`timeout` is not a kuberpc option; did you mean `timeout_ms`?",
                "`idempotent` expects `true` or `false`, found a string"
            ]
        );
    }
}
