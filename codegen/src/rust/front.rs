//! Reading an `#[rpc_service(...)]` trait: its shape (every method an `async fn` taking
//! `&self` and one request, returning `Result<_, Status>`) and its attributes, into the same
//! [`Package`] model the proto front end builds.
//!
//! Two passes. [`read_trait`] checks the Rust shape and parses the attributes, reporting each
//! mistake at its token. [`RustService::model`] then resolves the options through the shared
//! [`resolve_deploy`] (the caller adds [`crate::model_rules`]); their problems point at file spans, so the
//! token spans are first turned into file spans by a [`TokenSource`] (exact positions in a
//! build script, a numbered stand-in inside the proc-macro that leads back to the token).

use std::collections::BTreeMap;

use heck::ToUpperCamelCase;
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;

use crate::attributes::{parse_method_attribute, parse_service_attribute_leniently, Errors};
use crate::error::{Problems, SourceFile, Spans};
use crate::model::{Method, Package, Service};
use crate::options::{resolve_deploy, resolve_method, MethodOptions, ServiceContext, ServiceOptions};

/// One `#[rpc_service]` trait, read.
#[derive(Debug, Clone)]
pub(crate) struct RustService {
    /// `package = "…"`, or empty.
    pub package: String,
    /// The trait as written, minus the `#[rpc(...)]` attributes.
    pub item: syn::ItemTrait,
    /// The options of `#[rpc_service(...)]` as written.
    pub options: ServiceOptions,
    /// Where each service option was written.
    pub spans: BTreeMap<String, Span>,
    /// The RPC methods, in declaration order.
    pub methods: Vec<RustMethod>,
}

/// One RPC method of the trait.
#[derive(Debug, Clone)]
pub(crate) struct RustMethod {
    /// The Rust method name.
    pub ident: syn::Ident,
    /// Its wire name (`get_user` → `GetUser`).
    pub rpc_name: String,
    /// The request message type (the `T` of `Streaming<T>` for a client stream).
    pub request: syn::TypePath,
    /// The reply message type (the `T` of `ResponseStream<T>` for a server stream).
    pub reply: syn::TypePath,
    /// The handler takes the whole `Request<_>` (metadata, extensions, peer address), not
    /// only the message.
    pub whole_request: bool,
    /// The client sends a stream.
    pub client_streaming: bool,
    /// The server answers with a stream.
    pub server_streaming: bool,
    /// `#[rpc(...)]` as written.
    pub options: MethodOptions,
    /// Where each method option was written.
    pub spans: BTreeMap<String, Span>,
}

/// The trait attribute's name, and the method attribute's.
#[cfg(feature = "build")]
pub(crate) const SERVICE_ATTRIBUTE: &str = "rpc_service";
/// See [`SERVICE_ATTRIBUTE`].
pub(crate) const METHOD_ATTRIBUTE: &str = "rpc";

/// Whether `attribute` is `#[rpc(...)]`.
pub(crate) fn is_method_attribute(attribute: &syn::Attribute) -> bool {
    attribute.path().is_ident(METHOD_ATTRIBUTE)
}

/// Reads `item` with the arguments `attr` of its `#[rpc_service(...)]`. Every mistake is
/// reported at once: the service is still returned (without the methods that could not be
/// read) whenever its attribute parsed, so that its options can be checked in the same run.
pub(crate) fn read_trait(attr: TokenStream, item: &syn::ItemTrait) -> (Option<RustService>, syn::Result<()>) {
    let mut errors = Errors::default();
    let (attribute, mistakes) = parse_service_attribute_leniently(attr);
    errors.take(mistakes);
    if let Some(attribute) = &attribute {
        if let Some(package) = &attribute.package {
            if !is_package_name(package) {
                errors.push(syn::Error::new(
                    attribute.spans["package"],
                    format!("`package` {package:?} is not a protobuf package name (e.g. \"counter.v1\")"),
                ));
            }
        }
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.push(syn::Error::new(item.generics.span(), "an #[rpc_service] trait cannot be generic"));
    }
    if let Some(unsafety) = &item.unsafety {
        errors.push(syn::Error::new(unsafety.span, "an #[rpc_service] trait cannot be `unsafe`"));
    }

    let mut methods = Vec::new();
    let mut rpc_names: BTreeMap<String, syn::Ident> = BTreeMap::new();
    for trait_item in &item.items {
        let syn::TraitItem::Fn(function) = trait_item else {
            errors.push(syn::Error::new(
                trait_item.span(),
                "an #[rpc_service] trait holds only RPC methods (`async fn`)",
            ));
            continue;
        };
        let Some(method) = errors.take(read_method(function)) else { continue };
        match rpc_names.get(&method.rpc_name) {
            Some(first) => errors.push(syn::Error::new(
                method.ident.span(),
                format!("`{first}` and `{}` both map to the RPC name `{}`", method.ident, method.rpc_name),
            )),
            None => {
                rpc_names.insert(method.rpc_name.clone(), method.ident.clone());
            }
        }
        methods.push(method);
    }
    let service = attribute.map(|attribute| RustService {
        package: attribute.package.unwrap_or_default(),
        item: without_method_attributes(item),
        options: attribute.options,
        spans: attribute.spans,
        methods,
    });
    (service, errors.finish())
}

/// `item` without the `#[rpc(...)]` attributes of its methods (they are not real attributes:
/// left in, rustc would report them as unknown).
pub(crate) fn without_method_attributes(item: &syn::ItemTrait) -> syn::ItemTrait {
    let mut item = item.clone();
    for trait_item in &mut item.items {
        if let syn::TraitItem::Fn(function) = trait_item {
            function.attrs.retain(|a| !is_method_attribute(a));
        }
    }
    item
}

fn read_method(function: &syn::TraitItemFn) -> syn::Result<RustMethod> {
    let mut errors = Errors::default();
    let signature = &function.sig;
    let ident = signature.ident.clone();
    check_signature(signature, &mut errors);
    let request = read_request(signature, &mut errors);
    let reply = errors.take(reply_type(&signature.output, &ident));
    let attribute = read_method_attribute(function, &mut errors);
    errors.finish()?;
    let ((request, client_streaming, whole_request), (reply, server_streaming)) =
        (request.expect("no errors"), reply.expect("no errors"));
    let attribute = attribute.unwrap_or_else(|| crate::attributes::MethodAttribute {
        options: MethodOptions::default(),
        spans: BTreeMap::new(),
    });
    let mut spans = attribute.spans;
    spans.insert(String::new(), ident.span());
    Ok(RustMethod {
        rpc_name: ident.unraw().to_string().to_upper_camel_case(),
        ident,
        request,
        reply,
        whole_request,
        client_streaming,
        server_streaming,
        options: attribute.options,
        spans,
    })
}

/// What a method must be to become an RPC: `async fn(&self, …)`, not generic, const, unsafe
/// or variadic.
fn check_signature(signature: &syn::Signature, errors: &mut Errors) {
    let ident = &signature.ident;
    if signature.asyncness.is_none() {
        errors.push(syn::Error::new(signature.fn_token.span, format!("RPC method `{ident}` must be an `async fn`")));
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        errors.push(syn::Error::new(signature.generics.span(), format!("RPC method `{ident}` cannot be generic")));
    }
    if let Some(token) = signature.constness.as_ref().map(|c| c.span).or(signature.unsafety.map(|u| u.span)) {
        errors.push(syn::Error::new(token, format!("RPC method `{ident}` cannot be `const` or `unsafe`")));
    }
    if let Some(variadic) = &signature.variadic {
        errors.push(syn::Error::new(variadic.span(), "an RPC method takes exactly one request"));
    }
    match signature.inputs.first() {
        Some(syn::FnArg::Receiver(receiver)) if receiver.reference.is_some() && receiver.mutability.is_none() => {}
        Some(syn::FnArg::Receiver(receiver)) => errors.push(syn::Error::new(
            receiver.mutability.map_or(receiver.self_token.span, |m| m.span),
            format!("RPC method `{ident}` must take `&self` (calls run concurrently on one shared service)"),
        )),
        _ => errors.push(syn::Error::new(ident.span(), format!("RPC method `{ident}` must take `&self` first"))),
    }
}

/// The one argument after `&self`, read by [`request_type`].
fn read_request(signature: &syn::Signature, errors: &mut Errors) -> Option<(syn::TypePath, bool, bool)> {
    let ident = &signature.ident;
    let arguments: Vec<&syn::PatType> = signature
        .inputs
        .iter()
        .skip(1)
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) => Some(typed),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    if let [argument] = arguments.as_slice() {
        return errors.take(request_type(&argument.ty));
    }
    errors.push(syn::Error::new(
        arguments.get(1).map_or(ident.span(), |extra| extra.pat.span()),
        format!(
            "RPC method `{ident}` takes {} arguments after `&self`; it takes exactly one: the request \
             message, `kuberpc::Streaming<Message>` for a client stream, or either inside \
             `kuberpc::Request<…>` for the metadata",
            arguments.len()
        ),
    ));
    None
}

/// The method's `#[rpc(...)]`, if any (at most one).
fn read_method_attribute(
    function: &syn::TraitItemFn,
    errors: &mut Errors,
) -> Option<crate::attributes::MethodAttribute> {
    let mut attribute = None;
    for rpc in function.attrs.iter().filter(|a| is_method_attribute(a)) {
        if attribute.is_some() {
            errors.push(syn::Error::new(rpc.span(), "duplicate `#[rpc(...)]` attribute"));
            continue;
        }
        let arguments = match &rpc.meta {
            syn::Meta::Path(_) => Ok(TokenStream::new()),
            syn::Meta::List(list) => Ok(list.tokens.clone()),
            syn::Meta::NameValue(nv) => Err(syn::Error::new(nv.span(), "write `#[rpc(option = value, ...)]`")),
        };
        attribute = errors.take(arguments.and_then(parse_method_attribute));
    }
    attribute
}

/// The request message, whether it is a client stream (`Streaming<T>`), and whether the
/// handler takes the whole `Request<…>` around it.
fn request_type(ty: &syn::Type) -> syn::Result<(syn::TypePath, bool, bool)> {
    let path = message_path(ty, "the request")?;
    match single_argument(&path, "Request") {
        Some(inner) => request_message(inner).map(|(message, streaming)| (message, streaming, true)),
        None => request_message(ty).map(|(message, streaming)| (message, streaming, false)),
    }
}

/// The request message, and whether it is a client stream (`Streaming<T>`).
fn request_message(ty: &syn::Type) -> syn::Result<(syn::TypePath, bool)> {
    let path = message_path(ty, "the request")?;
    match single_argument(&path, "Streaming") {
        Some(inner) => Ok((message_path(inner, "the streamed request")?, true)),
        None => Ok((path, false)),
    }
}

/// The reply message of `Result<Reply, Status>`, and whether it is a server stream
/// (`Result<ResponseStream<T>, Status>`).
fn reply_type(output: &syn::ReturnType, ident: &syn::Ident) -> syn::Result<(syn::TypePath, bool)> {
    let expected = "`Result<Reply, kuberpc::Status>` (or `Result<kuberpc::ResponseStream<Reply>, kuberpc::Status>`)";
    let syn::ReturnType::Type(_, ty) = output else {
        return Err(syn::Error::new(ident.span(), format!("RPC method `{ident}` must return {expected}")));
    };
    let wrong = || syn::Error::new(ty.span(), format!("RPC method `{ident}` must return {expected}"));
    let syn::Type::Path(result) = &**ty else { return Err(wrong()) };
    let last = result.path.segments.last().ok_or_else(wrong)?;
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else { return Err(wrong()) };
    let types: Vec<&syn::Type> = arguments
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    let [reply, status] = types.as_slice() else { return Err(wrong()) };
    let is_status = matches!(status, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Status"));
    if last.ident != "Result" || !is_status {
        return Err(wrong());
    }
    let path = message_path(reply, "the reply")?;
    match single_argument(&path, "ResponseStream") {
        Some(inner) => Ok((message_path(inner, "the streamed reply")?, true)),
        None => Ok((path, false)),
    }
}

/// `ty` as a plain path to a message type.
fn message_path(ty: &syn::Type, what: &str) -> syn::Result<syn::TypePath> {
    match ty {
        syn::Type::Path(path) if path.qself.is_none() && !path.path.segments.is_empty() => Ok(path.clone()),
        syn::Type::Group(group) => message_path(&group.elem, what),
        _ => Err(syn::Error::new(
            ty.span(),
            format!("{what} must be a message type (a `#[derive(prost::Message)]` struct), named by its path"),
        )),
    }
}

/// The `T` of `wrapper<T>` when `path` ends in `wrapper`.
fn single_argument<'a>(path: &'a syn::TypePath, wrapper: &str) -> Option<&'a syn::Type> {
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(arguments) if arguments.args.len() == 1 => match &arguments.args[0] {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        },
        _ => None,
    }
}

fn is_package_name(package: &str) -> bool {
    package.split('.').all(|part| {
        part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `first` and `second` as one result, errors combined in order.
pub(crate) fn combine(first: syn::Result<()>, second: syn::Result<()>) -> syn::Result<()> {
    let mut errors = Errors::default();
    errors.take(first);
    errors.take(second);
    errors.finish()
}

/// Where the model's problems point: token spans turned into file spans, and back.
#[derive(Debug, Clone)]
pub(crate) enum TokenSource {
    /// A file parsed in a build script: token positions are exact (proc-macro2's
    /// `span-locations`).
    #[cfg_attr(not(feature = "build"), allow(dead_code))] // built by `rust::source` only
    File(SourceFile),
    /// Inside the proc-macro there is no file text: token `i` becomes offset `i` of a blank
    /// stand-in file, and a problem at offset `i` is reported at token `i`.
    Macro,
}

/// The model of one trait and the problems found while building it.
pub(crate) struct Modelled {
    /// The package holding the one service.
    pub package: Package,
    /// Option mistakes (the caller adds those of the cross-field rules).
    pub problems: Problems,
    /// For [`TokenSource::Macro`]: the token of each stand-in offset.
    tokens: Vec<Span>,
    /// Where problems without a place are reported: the trait's name.
    fallback: Span,
}

impl Modelled {
    /// Every problem as one `syn::Error` spanned on its token (for the proc-macro).
    pub(crate) fn token_errors(self) -> syn::Result<()> {
        let mut errors = Errors::default();
        for problem in self.problems.into_vec() {
            let token = problem.span().and_then(|s| self.tokens.get(s.offset()).copied()).unwrap_or(self.fallback);
            let text = match problem.help() {
                Some(help) => format!("{}\n  = help: {help}", problem.message()),
                None => problem.message().to_string(),
            };
            errors.push(syn::Error::new(token, text));
        }
        errors.finish()
    }
}

impl RustService {
    /// The model of this trait: options resolved with the proto front end's rules (the
    /// cross-field rules of [`crate::model_rules`] are the caller's, run once over every service).
    /// `source_file` is how generated headers name the file.
    pub(crate) fn model(&self, source_file: &str, source: &TokenSource) -> Modelled {
        let stand_in_len = self.spans.len() + 1 + self.methods.iter().map(|m| m.spans.len()).sum::<usize>();
        let stand_in = SourceFile::new(format!("{source_file} (#[rpc_service])"), " ".repeat(stand_in_len));
        let mut tokens = Vec::new();
        let mut to_file_spans = |map: &BTreeMap<String, Span>| -> Spans {
            let mut spans = Spans::default();
            for (path, token) in map {
                let span = match source {
                    TokenSource::File(file) => file_span(file, *token),
                    TokenSource::Macro => {
                        tokens.push(*token);
                        stand_in.span(tokens.len() - 1, 0)
                    }
                };
                spans.insert(path.clone(), span);
            }
            spans
        };
        let name = self.item.ident.unraw().to_string();
        let mut service_spans = self.spans.clone();
        service_spans.insert(String::new(), self.item.ident.span());
        let spans = to_file_spans(&service_spans);
        let mut problems = Problems::default();
        let deploy = resolve_deploy(&name, &self.options, &spans, &mut problems);
        let qualified =
            |name: &str| if self.package.is_empty() { name.to_string() } else { format!("{}.{name}", self.package) };
        let full_name = qualified(&name);
        let context = ServiceContext { full_name: &full_name, written: &self.options, deploy: &deploy, spans: &spans };
        let mut methods = Vec::new();
        for method in &self.methods {
            let method_spans = to_file_spans(&method.spans);
            let streaming = (method.client_streaming, method.server_streaming);
            let (policy, slo) =
                resolve_method(&context, &method.rpc_name, &method.options, streaming, &method_spans, &mut problems);
            methods.push(Method { name: method.rpc_name.clone(), policy, rest: Vec::new(), slo, spans: method_spans });
        }
        let service = Service {
            full_name,
            name,
            source_file: source_file.to_string(),
            methods,
            deploy,
            openapi: None,
            descriptor: None,
            spans,
        };
        let package = Package { name: self.package.clone(), services: vec![service] };
        Modelled { package, problems, tokens, fallback: self.item.ident.span() }
    }
}

/// Where `token` of a file parsed by syn stands in `file` (proc-macro2's `span-locations`
/// give 1-based lines and 0-based character columns).
pub(crate) fn file_span(file: &SourceFile, token: Span) -> crate::error::Span {
    let (start, end) = (token.start(), token.end());
    file.span_lines(start.line.saturating_sub(1), start.column, end.line.saturating_sub(1), end.column)
}
