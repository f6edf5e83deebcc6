//! The attribute syntax of the vocabulary, for the trait front end (issue 3; the proc-macro
//! and `compile_rust` are still to come): `#[rpc_service(...)]` and `#[rpc(...)]` arguments on
//! `proc_macro2` tokens → the same [`ServiceOptions`] / [`MethodOptions`] the proto front end
//! reads, so both syntaxes mean the same thing through one [`crate::options::resolve_deploy`].
//!
//! Every mistake is collected into one `syn::Error` (each spanned on its token): unknown
//! options (with "did you mean"), values of the wrong type, duplicates. The `spans` map gives
//! the place of every option by dotted path, as [`crate::error::Spans`] does for files.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{LitStr, Token};

use crate::options::{
    AutoscaleOptions, GatewayOptions, IngressOptions, MethodOptions, ResourceOptions, ServiceOptions, StorageOptions,
};
use crate::suggest::closest;

/// What one option holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Bool,
    /// `name(...)` holding further options.
    Group(&'static [(&'static str, Kind)]),
    /// `hostnames("a", "b")`.
    StrList,
    /// `env(KEY = "value", ...)`.
    Map,
}

const RESOURCES: &[(&str, Kind)] =
    &[("cpu", Kind::Str), ("memory", Kind::Str), ("cpu_limit", Kind::Str), ("memory_limit", Kind::Str)];
const AUTOSCALE: &[(&str, Kind)] =
    &[("min", Kind::Int), ("max", Kind::Int), ("cpu_percent", Kind::Int), ("memory_percent", Kind::Int)];
const INGRESS: &[(&str, Kind)] = &[
    ("host", Kind::Str),
    ("tls_secret", Kind::Str),
    ("class_name", Kind::Str),
    ("path", Kind::Str),
    ("controller_namespace", Kind::Str),
];
const STORAGE: &[(&str, Kind)] =
    &[("size", Kind::Str), ("mount_path", Kind::Str), ("storage_class", Kind::Str), ("access_mode", Kind::Str)];
const GATEWAY: &[(&str, Kind)] =
    &[("parent", Kind::Str), ("hostnames", Kind::StrList), ("controller_namespace", Kind::Str)];

/// `#[rpc_service(...)]`: `package` (the protobuf package of the trait path) plus the
/// options of `(kuberpc.v1.service)`.
const SERVICE: &[(&str, Kind)] = &[
    ("package", Kind::Str),
    ("name", Kind::Str),
    ("image", Kind::Str),
    ("port", Kind::Int),
    ("replicas", Kind::Int),
    ("resources", Kind::Group(RESOURCES)),
    ("autoscale", Kind::Group(AUTOSCALE)),
    ("ingress", Kind::Group(INGRESS)),
    ("storage", Kind::Group(STORAGE)),
    ("env", Kind::Map),
    ("workload", Kind::Str),
    ("drain_seconds", Kind::Int),
    ("termination_grace_seconds", Kind::Int),
    ("gateway", Kind::Group(GATEWAY)),
];

/// `#[rpc(...)]`: the options of `(kuberpc.v1.method)`.
const METHOD: &[(&str, Kind)] = &[("timeout_ms", Kind::Int), ("idempotent", Kind::Bool)];

/// A parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    Int(u64),
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

    fn int(&self, path: &str) -> Option<u64> {
        match self.values.get(path) {
            Some((Value::Int(n), _)) => Some(*n),
            _ => None,
        }
    }

    /// An integer option that must fit a `u32` (the proto field's type).
    fn u32(&mut self, path: &str) -> Option<u32> {
        let value = self.int(path)?;
        match u32::try_from(value) {
            Ok(value) => Some(value),
            Err(_) => {
                let span = self.values[path].1;
                self.errors.push(syn::Error::new(span, format!("`{path}` must be at most {}", u32::MAX)));
                None
            }
        }
    }

    fn has(&self, path: &str) -> bool {
        self.values.contains_key(path)
    }

    fn spans(&self) -> BTreeMap<String, Span> {
        self.values.iter().map(|(path, (_, span))| (path.clone(), *span)).collect()
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
pub fn parse_service_attribute_leniently(tokens: TokenStream) -> (Option<ServiceAttribute>, syn::Result<()>) {
    let mut written = match parse(tokens, SERVICE) {
        Ok(written) => written,
        Err(error) => return (None, Err(error)),
    };
    let group = |written: &Written, name: &str| written.has(name);
    let options = ServiceOptions {
        name: written.str("name"),
        image: written.str("image"),
        port: written.u32("port"),
        replicas: written.u32("replicas"),
        resources: group(&written, "resources").then(|| ResourceOptions {
            cpu: written.str("resources.cpu"),
            memory: written.str("resources.memory"),
            cpu_limit: written.str("resources.cpu_limit"),
            memory_limit: written.str("resources.memory_limit"),
        }),
        autoscale: group(&written, "autoscale").then(|| AutoscaleOptions {
            min: written.u32("autoscale.min"),
            max: written.u32("autoscale.max"),
            cpu_percent: written.u32("autoscale.cpu_percent"),
            memory_percent: written.u32("autoscale.memory_percent"),
        }),
        ingress: group(&written, "ingress").then(|| IngressOptions {
            host: written.str("ingress.host"),
            tls_secret: written.str("ingress.tls_secret"),
            class_name: written.str("ingress.class_name"),
            path: written.str("ingress.path"),
            controller_namespace: written.str("ingress.controller_namespace"),
        }),
        storage: group(&written, "storage").then(|| StorageOptions {
            size: written.str("storage.size"),
            mount_path: written.str("storage.mount_path"),
            storage_class: written.str("storage.storage_class"),
            access_mode: written.str("storage.access_mode"),
        }),
        env: match written.values.get("env") {
            Some((Value::Map(env), _)) => env.clone(),
            _ => BTreeMap::new(),
        },
        workload: written.str("workload"),
        drain_seconds: written.u32("drain_seconds"),
        termination_grace_seconds: written.u32("termination_grace_seconds"),
        gateway: group(&written, "gateway").then(|| GatewayOptions {
            parent: written.str("gateway.parent"),
            hostnames: match written.values.get("gateway.hostnames") {
                Some((Value::List(hosts), _)) => hosts.clone(),
                _ => Vec::new(),
            },
            controller_namespace: written.str("gateway.controller_namespace"),
        }),
    };
    let mistakes = finish(&mut written);
    (Some(ServiceAttribute { package: written.str("package"), options, spans: written.spans() }), mistakes)
}

/// Parses the arguments of `#[rpc(...)]`; all mistakes at once.
pub fn parse_method_attribute(tokens: TokenStream) -> syn::Result<MethodAttribute> {
    let mut written = parse(tokens, METHOD)?;
    let idempotent = match written.values.get("idempotent") {
        Some((Value::Bool(b), _)) => Some(*b),
        _ => None,
    };
    let options = MethodOptions { timeout_ms: written.int("timeout_ms"), idempotent };
    finish(&mut written)?;
    Ok(MethodAttribute { options, spans: written.spans() })
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
fn parse(tokens: TokenStream, known: &'static [(&'static str, Kind)]) -> syn::Result<Written> {
    let mut written = Written::default();
    let parser = syn::meta::parser(|meta| {
        walk(&meta, "", known, &mut written);
        Ok(())
    });
    syn::parse::Parser::parse2(parser, tokens)?;
    Ok(written)
}

fn walk(meta: &ParseNestedMeta<'_>, prefix: &str, known: &'static [(&'static str, Kind)], written: &mut Written) {
    let Some(ident) = meta.path.get_ident() else {
        written.errors.push(meta.error("expected an option name"));
        return;
    };
    let name = ident.to_string();
    let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
    let Some(kind) = known.iter().find(|(k, _)| *k == name).map(|(_, kind)| *kind) else {
        let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
        let message = match closest(&name, &names) {
            Some(suggestion) => format!("unknown option `{path}`; did you mean `{suggestion}`?"),
            None => format!("unknown option `{path}`; expected one of: {}", names.join(", ")),
        };
        written.errors.push(syn::Error::new(ident.span(), message));
        skip_value(meta);
        return;
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

/// Reads the value of an option of `kind`; `Ok(None)` when errors were already recorded.
fn read_value(meta: &ParseNestedMeta<'_>, path: &str, kind: Kind, written: &mut Written) -> syn::Result<Option<Value>> {
    match kind {
        Kind::Group(fields) => {
            if !meta.input.peek(syn::token::Paren) {
                return Err(meta.error(format!("`{path}` takes options in parentheses: `{path}(...)`")));
            }
            meta.parse_nested_meta(|inner| {
                walk(&inner, path, fields, written);
                Ok(())
            })?;
            Ok(Some(Value::Group))
        }
        Kind::Map => {
            let mut map = BTreeMap::new();
            meta.parse_nested_meta(|entry| {
                let key = entry.path.get_ident().map(ToString::to_string).unwrap_or_default();
                let value: LitStr = entry.value()?.parse()?;
                map.insert(key, value.value());
                Ok(())
            })?;
            Ok(Some(Value::Map(map)))
        }
        Kind::StrList => {
            let content;
            syn::parenthesized!(content in meta.input);
            let hosts = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            Ok(Some(Value::List(hosts.iter().map(LitStr::value).collect())))
        }
        Kind::Bool if !meta.input.peek(Token![=]) => Ok(Some(Value::Bool(true))),
        Kind::Str | Kind::Int | Kind::Bool => {
            let literal: syn::Lit = meta.value()?.parse()?;
            let value = match (kind, &literal) {
                (Kind::Str, syn::Lit::Str(s)) => Value::Str(s.value()),
                (Kind::Int, syn::Lit::Int(n)) => Value::Int(n.base10_parse()?),
                (Kind::Bool, syn::Lit::Bool(b)) => Value::Bool(b.value),
                _ => {
                    let expected = match kind {
                        Kind::Str => "a string",
                        Kind::Int => "an integer",
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

    /// Every option path of the attribute syntax, from a table.
    fn table_paths(table: &[(&str, Kind)], prefix: &str, out: &mut Vec<String>) {
        for (name, kind) in table {
            let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
            if let Kind::Group(fields) = kind {
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
        for (message, table, extra) in
            [("kuberpc.v1.ServiceDeployment", SERVICE, vec!["package"]), ("kuberpc.v1.MethodBehaviour", METHOD, vec![])]
        {
            let mut from_proto = Vec::new();
            proto_paths(&pool.get_message_by_name(message).unwrap(), "", &mut from_proto);
            from_proto.extend(extra.into_iter().map(String::from));
            let mut from_table = Vec::new();
            table_paths(table, "", &mut from_table);
            from_proto.sort();
            from_table.sort();
            assert_eq!(from_table, from_proto, "{message}");
        }
    }

    #[test]
    fn method_options_take_a_flag_or_a_value() {
        let parsed = parse_method_attribute(quote!(timeout_ms = 200, idempotent)).unwrap();
        assert_eq!(parsed.options, MethodOptions { timeout_ms: Some(200), idempotent: Some(true) });
        let parsed = parse_method_attribute(quote!(idempotent = false)).unwrap();
        assert_eq!(parsed.options.idempotent, Some(false));
    }

    #[test]
    fn an_unknown_option_gets_a_suggestion() {
        let errors = messages(parse_service_attribute(quote!(prot = 8080)).unwrap_err());
        assert_eq!(errors, ["unknown option `prot`; did you mean `port`?"]);
        let errors = messages(parse_service_attribute(quote!(autoscale(mni = 1, max = 2))).unwrap_err());
        assert_eq!(errors, ["unknown option `autoscale.mni`; did you mean `min`?"]);
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
                "unknown option `timeout`; did you mean `timeout_ms`?",
                "`idempotent` expects `true` or `false`, found a string"
            ]
        );
    }
}
