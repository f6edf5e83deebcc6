//! The code `#[rpc_service]` expands to: the trait made fit for tonic, `<Trait>Server`,
//! `<Trait>Client` and the `<trait>_deploy` module the proto path generates too.
//!
//! Hygiene: every path is absolute and goes through `<krate>::__private` (a hidden module of
//! the runtime crate, under whatever name the user's crate knows it), so the expansion
//! compiles under a renamed dependency and under `#![no_implicit_prelude]`. Locals use
//! mixed-site spans. The per-call work lives in the runtime (`kuberpc::__private::*`), so the
//! expansion is one short arm per method.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt as _;

use super::front::{RustMethod, RustService};
use crate::deploy_module::{deploy_module, Graph};
use crate::model::Service;

/// Everything the macro emits for `rust` (whose model is `service`).
pub(super) fn expand(rust: &RustService, service: &Service, krate: &TokenStream) -> TokenStream {
    let rt = quote!(#krate::__private);
    let service_trait = service_trait(rust, &rt);
    let server = server(rust, service, &rt);
    let client = client(rust, service, &rt);
    let deploy = deploy_module(service, krate, Graph::InBuildScript);
    quote! {
        #service_trait
        #server
        #client
        #deploy
    }
}

/// The trait as written, with `Send + Sync + 'static` added (tonic serves it from many tasks)
/// and each `async fn` turned into `fn … -> impl Future + Send`, so the server's futures are
/// `Send` whatever the implementation.
fn service_trait(rust: &RustService, rt: &TokenStream) -> TokenStream {
    let mut item = rust.item.clone();
    item.supertraits.push(syn::parse_quote!(#rt::core::marker::Send));
    item.supertraits.push(syn::parse_quote!(#rt::core::marker::Sync));
    item.supertraits.push(syn::parse_quote!('static));
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    for trait_item in &mut item.items {
        let syn::TraitItem::Fn(function) = trait_item else { continue };
        let output = match &function.sig.output {
            syn::ReturnType::Type(_, ty) => quote!(#ty),
            syn::ReturnType::Default => quote!(()),
        };
        function.sig.asyncness = None;
        function.sig.output =
            syn::parse_quote!(-> impl #rt::core::future::Future<Output = #output> + #rt::core::marker::Send);
        if let Some(body) = function.default.take() {
            function.default = Some(syn::parse_quote!({ async move #body }));
        }
    }
    quote!(#item)
}

fn server_ident(rust: &RustService) -> syn::Ident {
    format_ident!("{}Server", rust.item.ident.unraw())
}

fn client_ident(rust: &RustService) -> syn::Ident {
    format_ident!("{}Client", rust.item.ident.unraw())
}

/// `<Trait>Server<T>`: a tower `Service` over HTTP/2 requests, like a tonic-generated server.
fn server(rust: &RustService, service: &Service, rt: &TokenStream) -> TokenStream {
    let vis = &rust.item.vis;
    let trait_ident = &rust.item.ident;
    let server = server_ident(rust);
    let full_name = &service.full_name;
    let knobs = server_knobs(rt);
    let tower_service = server_tower_service(rust, service, rt);
    let doc = format!(" Serves a [`{trait_ident}`] implementation as the gRPC service `{full_name}`.");
    quote! {
        #[doc = #doc]
        #[derive(#rt::core::fmt::Debug)]
        #vis struct #server<T> {
            inner: #rt::std::sync::Arc<T>,
            settings: #rt::ServerSettings,
        }

        impl<T> #server<T> {
            /// Serves `inner`.
            pub fn new(inner: T) -> Self {
                Self::from_arc(#rt::std::sync::Arc::new(inner))
            }

            /// Serves a shared `inner`.
            pub fn from_arc(inner: #rt::std::sync::Arc<T>) -> Self {
                Self { inner, settings: #rt::core::default::Default::default() }
            }

            #knobs
        }

        impl<T> #rt::core::clone::Clone for #server<T> {
            fn clone(&self) -> Self {
                Self { inner: #rt::core::clone::Clone::clone(&self.inner), settings: self.settings }
            }
        }

        impl<T> #rt::tonic::server::NamedService for #server<T> {
            const NAME: &'static str = #full_name;
        }

        #tower_service
    }
}

/// The server's compression and message-size settings, named as on a tonic-generated server.
fn server_knobs(rt: &TokenStream) -> TokenStream {
    quote! {
        /// Accepts requests compressed with `encoding`.
        #[must_use]
        pub fn accept_compressed(mut self, encoding: #rt::tonic::codec::CompressionEncoding) -> Self {
            self.settings.accept_compressed(encoding);
            self
        }

        /// Compresses responses with `encoding` when the client accepts it.
        #[must_use]
        pub fn send_compressed(mut self, encoding: #rt::tonic::codec::CompressionEncoding) -> Self {
            self.settings.send_compressed(encoding);
            self
        }

        /// Largest decoded request message. Default: 4 MiB.
        #[must_use]
        pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
            self.settings.max_decoding_message_size(limit);
            self
        }

        /// Largest encoded response message. Default: `usize::MAX`.
        #[must_use]
        pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
            self.settings.max_encoding_message_size(limit);
            self
        }
    }
}

/// `impl Service<http::Request<B>>` for the server: route by path, one arm per method.
fn server_tower_service(rust: &RustService, service: &Service, rt: &TokenStream) -> TokenStream {
    let trait_ident = &rust.item.ident;
    let server = server_ident(rust);
    let (_, _, request) = locals();
    let dispatch = server_dispatch(rust, service, rt);
    quote! {
        impl<T: #trait_ident, B: #rt::RequestBody> #rt::tonic::codegen::Service<#rt::tonic::codegen::http::Request<B>>
            for #server<T>
        {
            type Response = #rt::tonic::codegen::http::Response<#rt::tonic::body::Body>;
            type Error = #rt::core::convert::Infallible;
            type Future = #rt::BoxResponse;

            fn poll_ready(
                &mut self,
                _: &mut #rt::core::task::Context<'_>,
            ) -> #rt::core::task::Poll<#rt::core::result::Result<(), Self::Error>> {
                #rt::core::task::Poll::Ready(#rt::core::result::Result::Ok(()))
            }

            fn call(&mut self, #request: #rt::tonic::codegen::http::Request<B>) -> Self::Future {
                #dispatch
            }
        }
    }
}

/// The body of `Service::call`: the request's path picks the method; each arm hands the
/// request to the runtime's serve function for its call kind.
fn server_dispatch(rust: &RustService, service: &Service, rt: &TokenStream) -> TokenStream {
    let trait_ident = &rust.item.ident;
    let full_name = &service.full_name;
    let (inner, settings, request) = locals();
    if rust.methods.is_empty() {
        return quote! {
            let _ = #request;
            #rt::unimplemented()
        };
    }
    let arms = rust.methods.iter().map(|method| {
        let path = format!("/{full_name}/{}", method.rpc_name);
        let ident = &method.ident;
        let argument = if method.whole_request { quote!(#request) } else { quote!(#request.into_inner()) };
        let serve = match (method.client_streaming, method.server_streaming) {
            (false, false) => quote!(unary),
            (false, true) => quote!(server_streaming),
            (true, false) => quote!(client_streaming),
            (true, true) => quote!(streaming),
        };
        quote! {
            #path => #rt::#serve(#settings, #request, move |#request: #rt::tonic::Request<_>| async move {
                <T as #trait_ident>::#ident(&#inner, #argument).await
            }),
        }
    });
    quote! {
        let #inner = #rt::core::clone::Clone::clone(&self.inner);
        let #settings = self.settings;
        match #request.uri().path() {
            #(#arms)*
            _ => #rt::unimplemented(),
        }
    }
}

/// The names of the generated functions' locals, invisible to user code.
fn locals() -> (syn::Ident, syn::Ident, syn::Ident) {
    let local = |name: &str| syn::Ident::new(name, Span::mixed_site());
    (local("inner"), local("settings"), local("request"))
}

/// `<Trait>Client<T>`: the same methods as a tonic-generated client, so code written against
/// either reads the same.
fn client(rust: &RustService, service: &Service, rt: &TokenStream) -> TokenStream {
    let vis = &rust.item.vis;
    let client = client_ident(rust);
    let full_name = &service.full_name;
    let (_, _, request) = locals();
    let methods = rust.methods.iter().map(|method| client_method(method, full_name, rt, &request));
    let knobs = client_knobs(rt);
    let doc = format!(" Calls the gRPC service `{full_name}`.");
    quote! {
        #[doc = #doc]
        #[derive(#rt::core::fmt::Debug, #rt::core::clone::Clone)]
        #vis struct #client<T> {
            inner: #rt::tonic::client::Grpc<T>,
        }

        impl #client<#rt::tonic::transport::Channel> {
            /// Connects to `destination` (`http://host:port`), as tonic-generated clients do. In a
            /// cluster, prefer `kuberpc::client::Client`: it balances over the headless Service.
            pub async fn connect<D>(destination: D) -> #rt::core::result::Result<Self, #rt::tonic::transport::Error>
            where
                D: #rt::core::convert::TryInto<#rt::tonic::transport::Endpoint>,
                D::Error: #rt::core::convert::Into<#rt::tonic::codegen::StdError>,
            {
                let channel = #rt::tonic::transport::Endpoint::new(destination)?.connect().await?;
                #rt::core::result::Result::Ok(Self::new(channel))
            }
        }

        impl<T: #rt::Transport> #client<T> {
            /// Calls through `inner`: a tonic `Channel`, a `kuberpc::client::PolicyChannel`, …
            pub fn new(inner: T) -> Self {
                Self { inner: #rt::tonic::client::Grpc::new(inner) }
            }

            /// Calls through `inner`, with `origin` as the request URI's scheme and authority.
            pub fn with_origin(inner: T, origin: #rt::tonic::codegen::http::Uri) -> Self {
                Self { inner: #rt::tonic::client::Grpc::with_origin(inner, origin) }
            }

            #knobs

            #(#methods)*
        }
    }
}

/// The client's compression and message-size settings, named as on a tonic-generated client.
fn client_knobs(rt: &TokenStream) -> TokenStream {
    quote! {
        /// Compresses requests with `encoding`.
        #[must_use]
        pub fn send_compressed(mut self, encoding: #rt::tonic::codec::CompressionEncoding) -> Self {
            self.inner = self.inner.send_compressed(encoding);
            self
        }

        /// Accepts responses compressed with `encoding`.
        #[must_use]
        pub fn accept_compressed(mut self, encoding: #rt::tonic::codec::CompressionEncoding) -> Self {
            self.inner = self.inner.accept_compressed(encoding);
            self
        }

        /// Largest decoded response message. Default: 4 MiB.
        #[must_use]
        pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
            self.inner = self.inner.max_decoding_message_size(limit);
            self
        }

        /// Largest encoded request message. Default: `usize::MAX`.
        #[must_use]
        pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
            self.inner = self.inner.max_encoding_message_size(limit);
            self
        }
    }
}

fn client_method(method: &RustMethod, full_name: &str, rt: &TokenStream, request: &syn::Ident) -> TokenStream {
    let ident = &method.ident;
    let rpc_name = &method.rpc_name;
    let path = format!("/{full_name}/{rpc_name}");
    let (input, output) = (&method.request, &method.reply);
    let doc = format!(" Calls `{rpc_name}`.");
    let (argument, into_request) = if method.client_streaming {
        (
            quote!(impl #rt::tonic::IntoStreamingRequest<Message = #input>),
            quote!(#rt::tonic::IntoStreamingRequest::into_streaming_request),
        )
    } else {
        (quote!(impl #rt::tonic::IntoRequest<#input>), quote!(#rt::tonic::IntoRequest::into_request))
    };
    let reply = if method.server_streaming { quote!(#rt::tonic::Streaming<#output>) } else { quote!(#output) };
    let call = match (method.client_streaming, method.server_streaming) {
        (false, false) => quote!(call_unary),
        (false, true) => quote!(call_server_streaming),
        (true, false) => quote!(call_client_streaming),
        (true, true) => quote!(call_streaming),
    };
    quote! {
        #[doc = #doc]
        pub async fn #ident(
            &mut self,
            #request: #argument,
        ) -> #rt::core::result::Result<#rt::tonic::Response<#reply>, #rt::tonic::Status> {
            #rt::#call(
                &mut self.inner,
                #rt::Rpc { service: #full_name, method: #rpc_name, path: #path },
                #into_request(#request),
            )
            .await
        }
    }
}
